//! The part of an association that other threads see: its state, what was negotiated, the
//! cancel tracker, and the queue of commands to its task.

use std::any::Any;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Wake, Waker};
use std::time::Instant;

use tokio::sync::mpsc::UnboundedSender;

use crate::assoc::{NegotiatedContext, SopClassCommonExtended, SopClassExtended, UserIdentity};
use crate::cancel::CancelTracker;
use crate::dimse;
use crate::tls::CertIdentity;
use crate::uid;

use super::config::Timeouts;
use super::error::NetError;
use super::hooks::{Hooks, NotificationKind};
use super::spin::Spin;
use super::timer::Alarm;
use super::transport::Conn;
use super::waiter::Waiter;
use super::writer::{Direct, SharedWriter};

/// Which end of the association we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Requestor,
    Acceptor,
}

/// Where an association is in its life, as the Python API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Lifecycle {
    /// Connecting or negotiating.
    Negotiating = 0,
    Established = 1,
    /// Released normally or in progress of releasing.
    Releasing = 2,
    Released = 3,
    Rejected = 4,
    Aborted = 5,
}

impl Lifecycle {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Established,
            2 => Self::Releasing,
            3 => Self::Released,
            4 => Self::Rejected,
            5 => Self::Aborted,
            _ => Self::Negotiating,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Negotiating => "negotiating",
            Self::Established => "established",
            Self::Releasing => "releasing",
            Self::Released => "released",
            Self::Rejected => "rejected",
            Self::Aborted => "aborted",
        }
    }
}

/// The fields of an A-ASSOCIATE-RQ that applications read back (pynetdicom's A-ASSOCIATE
/// request primitive): the AE titles as sent, trimmed, and the proposed contexts in wire
/// order with their transfer syntaxes.
#[derive(Debug, Clone, Default)]
pub struct RequestSummary {
    pub calling_ae_title: String,
    pub called_ae_title: String,
    /// (context ID, abstract syntax, transfer syntaxes).
    pub contexts: Vec<(u8, String, Vec<String>)>,
    /// The SOP class extended negotiation items (56H), in wire order.
    pub sop_class_extended: Vec<SopClassExtended>,
    /// The SOP class common extended negotiation items (57H), in wire order.
    pub sop_class_common_extended: Vec<SopClassCommonExtended>,
}

impl RequestSummary {
    pub fn of(rq: &crate::pdu::Associate<'_>) -> Self {
        let text = |raw: &[u8]| String::from_utf8_lossy(crate::uid::trim_padding(raw)).into_owned();
        let ae = |raw: &[u8; 16]| String::from_utf8_lossy(raw).trim_matches(' ').to_string();
        RequestSummary {
            calling_ae_title: ae(&rq.calling_ae_title),
            called_ae_title: ae(&rq.called_ae_title),
            contexts: rq
                .presentation_contexts_rq()
                .map(|pc| {
                    (
                        pc.context_id,
                        text(&pc.abstract_syntax),
                        pc.transfer_syntaxes.iter().map(|ts| text(ts)).collect(),
                    )
                })
                .collect(),
            sop_class_extended: crate::assoc::sop_class_extended_of(rq),
            sop_class_common_extended: crate::assoc::sop_class_common_extended_of(rq),
        }
    }
}

/// What negotiation settled, fixed once the association is established.
#[derive(Debug, Clone)]
pub struct AssocInfo {
    pub contexts: Vec<NegotiatedContext>,
    /// Largest P-DATA-TF PDU-length the peer accepts (0 = no limit).
    pub peer_max_pdu_length: u32,
    /// What we announced.
    pub local_max_pdu_length: u32,
    pub local_ae_title: String,
    pub peer_ae_title: String,
    /// What the A-ASSOCIATE-RQ carried (pynetdicom's `requestor.primitive`).
    pub request: Arc<RequestSummary>,
    pub peer_implementation_class_uid: String,
    pub peer_implementation_version_name: Option<String>,
    /// The identity the requestor sent (acceptor side).
    pub user_identity: Option<UserIdentity>,
    /// The server response from the acceptor (requestor side).
    pub user_identity_response: Option<Vec<u8>>,
    /// The requestor's asynchronous operations window (53H) proposal, if it sent one.
    pub proposed_async_ops_window: Option<(u16, u16)>,
    /// The acceptor's asynchronous operations window (53H) answer, if it sent one.
    pub async_ops_window: Option<(u16, u16)>,
    /// How many requests the requestor may have outstanding at once (0 = no limit), as the
    /// asynchronous operations window (53H) settled it: 1 unless both sides sent one.
    pub max_outstanding: u16,
    /// The acceptor's SOP class extended negotiation answers (56H), in wire order.
    pub accepted_sop_class_extended: Vec<SopClassExtended>,
}

/// How a request sent by the SCU ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EchoOutcome {
    /// The matching C-ECHO-RSP: its status and whole command set.
    Response { status: u16, command: Vec<u8> },
    /// No response within the DIMSE timeout; the association was aborted.
    Timeout,
    /// The association was aborted or closed before the response came.
    Aborted,
}

/// How a release ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseOutcome {
    Released,
    /// No A-RELEASE-RP within the ACSE timeout, or the peer aborted: the association was
    /// aborted instead.
    Aborted,
}

/// Where the task delivers the outcome of an operation: a channel a thread waits on, or a
/// callback (used by the asyncio API to complete a future without a waiting thread).
pub enum Reply<T> {
    Channel(SyncSender<T>),
    Callback(Box<dyn FnOnce(T) + Send + Sync>),
    /// To a blocking caller's [`Waiter`].
    Waiter(tokio::sync::oneshot::Sender<T>),
}

impl<T> Reply<T> {
    /// A reply and the [`Waiter`] of a blocking caller. With `drive`, the reply comes from
    /// a task on the client runtime, which the waiting thread then drives itself.
    pub fn waiter(drive: bool) -> (Self, Waiter<T>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (Self::Waiter(tx), Waiter::new(rx, drive))
    }

    /// Delivers `value`; a caller that stopped waiting is not an error.
    pub fn send(self, value: T) {
        match self {
            Self::Channel(tx) => {
                let _ = tx.try_send(value);
            }
            Self::Callback(f) => f(value),
            Self::Waiter(tx) => {
                let _ = tx.send(value);
            }
        }
    }
}

pub(crate) const HANDLER_IDLE: u8 = 0;
pub(crate) const HANDLER_BUSY: u8 = 1;
pub(crate) const HANDLER_WAITED: u8 = 2;

/// A request of the SCU's awaiting its response.
pub(crate) struct PendingEcho {
    pub message_id: u16,
    pub reply: Reply<EchoOutcome>,
    /// When the task gives up waiting; `None` when the caller or `alarm` enforces the
    /// timeout.
    pub deadline: Option<Instant>,
    /// Tells this request from a later one with the same message ID (see `alarm`).
    pub token: u64,
    /// The DIMSE timeout of a caller that does not wait out the request itself (asyncio).
    /// Dropped, and so withdrawn, with the request.
    pub alarm: Option<Alarm>,
}

impl PendingEcho {
    pub(crate) fn new(
        message_id: u16,
        reply: Reply<EchoOutcome>,
        deadline: Option<Instant>,
    ) -> Self {
        static TOKENS: AtomicU64 = AtomicU64::new(1);
        Self {
            message_id,
            reply,
            deadline,
            token: TOKENS.fetch_add(1, Ordering::Relaxed),
            alarm: None,
        }
    }
}

/// The SCU's requests awaiting their responses: at most the negotiated window of them,
/// each with its own message ID. Windows are small in practice (fastdimse grants 16), so a
/// list searched in order.
#[derive(Default)]
pub(crate) struct Outstanding {
    requests: Vec<PendingEcho>,
}

impl Outstanding {
    pub(crate) fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// The earliest deadline the task keeps for a request.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.requests.iter().filter_map(|p| p.deadline).min()
    }

    /// Whether a request `message_id` may be added: none outstanding has that message ID,
    /// and fewer than `window` are outstanding (0 = no limit).
    pub(crate) fn room_for(&self, message_id: u16, window: u16) -> Result<(), NetError> {
        if self.requests.iter().any(|p| p.message_id == message_id) {
            return Err(NetError::MessageIdInUse(message_id));
        }
        if window != 0 && self.requests.len() >= usize::from(window) {
            return Err(NetError::WindowFull { window });
        }
        Ok(())
    }

    /// Adds a request that [`Outstanding::room_for`] made room for.
    pub(crate) fn push(&mut self, pending: PendingEcho) {
        self.requests.push(pending);
    }

    /// Removes the request `message_id`, and with `token`, only if it is that request
    /// (an alarm that raced the response must not end a later one with the same ID).
    pub(crate) fn take(&mut self, message_id: u16, token: Option<u64>) -> Option<PendingEcho> {
        let at = self
            .requests
            .iter()
            .position(|p| p.message_id == message_id && token.is_none_or(|t| t == p.token))?;
        Some(self.requests.swap_remove(at))
    }

    /// Removes a request whose task deadline is at or before `now`.
    pub(crate) fn take_due(&mut self, now: Instant) -> Option<PendingEcho> {
        let at = self
            .requests
            .iter()
            .position(|p| p.deadline.is_some_and(|d| d <= now))?;
        Some(self.requests.swap_remove(at))
    }

    /// Removes every request.
    pub(crate) fn take_all(&mut self) -> Vec<PendingEcho> {
        std::mem::take(&mut self.requests)
    }
}

/// What an [`Alarm`] for a request's DIMSE timeout does when it goes off: tell the task.
struct DimseAlarm {
    tx: UnboundedSender<Command>,
    message_id: u16,
    token: u64,
}

impl Wake for DimseAlarm {
    fn wake(self: Arc<Self>) {
        let _ = self.tx.send(Command::DimseTimeout {
            message_id: self.message_id,
            token: Some(self.token),
        });
        // Its caller does not drive the client runtime: the keeper must, now.
        super::client_runtime::nudge();
    }
}

/// One DIMSE message ready to write: its P-DATA-TF PDUs, and the command set for observers.
pub(crate) struct Outgoing {
    pub pdus: Vec<u8>,
    pub context_id: u8,
    pub command: Vec<u8>,
}

/// Work for the association's task from other threads.
pub(crate) enum Command {
    /// Write one DIMSE message as a P-DATA request.
    Send(Outgoing),
    /// Send a C-ECHO-RQ and report the matching response.
    Echo {
        message_id: u16,
        context_id: u8,
        reply: Reply<EchoOutcome>,
    },
    /// Release the association (A-RELEASE request primitive).
    Release { reply: Reply<ReleaseOutcome> },
    /// Abort the association (A-ABORT request primitive).
    Abort { reply: Option<Reply<()>> },
    /// A handler running on a handler thread has returned.
    HandlerDone,
    /// Another thread queued bytes in the shared writer: write them.
    Flush,
    /// A setting the task reads changed (timeouts, observed events): look again.
    Wake,
    /// A direct C-ECHO's DIMSE timeout expired: its blocking caller gave up waiting
    /// (`token: None`), or its alarm went off (the request's token, so that an alarm that
    /// raced the response never ends a later request with the same message ID).
    DimseTimeout { message_id: u16, token: Option<u64> },
}

/// State shared between an association's task and the threads using it.
pub struct AssocShared {
    /// Unique within the process, for logs and for the layer above.
    pub id: u64,
    pub role: Role,
    pub peer_addr: SocketAddr,
    pub local_addr: SocketAddr,
    /// Read when they apply, so that a change reaches the live association.
    timeouts: LiveTimeouts,
    /// `network_timeout_response == "A-RELEASE"`: an idle association is released, not
    /// aborted.
    release_on_idle: AtomicBool,
    /// C-CANCEL-RQs received for the request being handled.
    pub cancel: CancelTracker,
    lifecycle: AtomicU8,
    info: OnceLock<AssocInfo>,
    rejection: OnceLock<(u8, u8, u8)>,
    pub(crate) tx: UnboundedSender<Command>,
    /// The socket's write side, for writing from the caller's thread.
    pub(crate) writer: SharedWriter,
    /// The notification kinds observed on this association (`NotificationKind::bit`s):
    /// the hooks' at first, then whatever handlers bound to this association say.
    observed: AtomicU32,
    /// Whether a C-ECHO-RQ goes to the hooks (a handler is bound) or is answered here.
    echo_bound: AtomicBool,
    /// The SCU's requests awaiting their responses.
    pub(crate) outstanding: Mutex<Outstanding>,
    /// Whether a handler runs for this association (`HANDLER_IDLE` and friends).
    handler: AtomicU8,
    /// The polling window of this process's blocking waits (requested associations only).
    spin: Option<Arc<Spin>>,
    /// A slot the layer above uses to attach its own object (e.g. the Python Association).
    pub user_data: OnceLock<Box<dyn Any + Send + Sync>>,
    /// Who the peer's TLS certificate names, for handlers that authorise by it.
    peer_certificate: OnceLock<CertIdentity>,
}

/// What an association is opened with, besides its connection.
pub(crate) struct Opening<'a> {
    pub role: Role,
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub timeouts: Timeouts,
    pub hooks: &'a dyn Hooks,
    pub poll_ceiling: Option<std::time::Duration>,
}

impl AssocShared {
    /// The shared state of a new association over `conn`, with a process-wide unique ID,
    /// and the receiving end of its task's command queue. Server and client both open
    /// associations here.
    pub(crate) fn open(
        conn: &Conn,
        o: Opening<'_>,
    ) -> (Arc<Self>, tokio::sync::mpsc::UnboundedReceiver<Command>) {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        // A blocking caller of a requested association polls the socket (under TLS too)
        // before it sleeps; only plain TCP lets other threads write directly.
        let spin = conn
            .poll_fd()
            .filter(|_| o.role == Role::Requestor)
            .map(|fd| {
                Arc::new(match o.poll_ceiling {
                    Some(c) => Spin::with_ceiling(fd, c),
                    None => Spin::new(fd),
                })
            });
        let shared = Arc::new(Self::new(
            NEXT_ID.fetch_add(1, Ordering::Relaxed),
            o.role,
            (o.peer, o.local),
            o.timeouts,
            tx,
            SharedWriter::new(conn.raw_fd()),
            (o.hooks.observed(), o.hooks.handles_echo()),
            spin,
        ));
        shared.set_peer_certificate(conn.peer_certificate());
        (shared, rx)
    }

    #[allow(clippy::too_many_arguments)] // called by `open` only
    fn new(
        id: u64,
        role: Role,
        (peer_addr, local_addr): (SocketAddr, SocketAddr),
        timeouts: Timeouts,
        tx: UnboundedSender<Command>,
        writer: SharedWriter,
        interest: (u32, bool),
        spin: Option<Arc<Spin>>,
    ) -> Self {
        Self {
            spin,
            id,
            role,
            peer_addr,
            local_addr,
            timeouts: LiveTimeouts::new(timeouts),
            release_on_idle: AtomicBool::new(false),
            cancel: CancelTracker::new(),
            lifecycle: AtomicU8::new(Lifecycle::Negotiating as u8),
            info: OnceLock::new(),
            rejection: OnceLock::new(),
            tx,
            writer,
            observed: AtomicU32::new(interest.0),
            echo_bound: AtomicBool::new(interest.1),
            outstanding: Mutex::new(Outstanding::default()),
            handler: AtomicU8::new(HANDLER_IDLE),
            user_data: OnceLock::new(),
            peer_certificate: OnceLock::new(),
        }
    }

    /// Who the peer's TLS certificate names (`None` over plain TCP, or without one).
    pub fn peer_certificate(&self) -> Option<&CertIdentity> {
        self.peer_certificate.get()
    }

    pub(crate) fn set_peer_certificate(&self, identity: Option<&CertIdentity>) {
        if let Some(id) = identity {
            let _ = self.peer_certificate.set(id.clone());
        }
    }

    /// Marks this thread as running a hook the association's task waits for (a
    /// notification, the user identity check), until the guard drops. While it does, the
    /// task cannot take commands: see [`AssocShared::waits_on_this_thread`].
    pub(crate) fn hook_running_here(&self) -> HookGuard {
        HOOK_OF.with(|c| c.set(Some(self.id)));
        HookGuard
    }

    /// True on the thread of a hook this association's task is waiting for: a `release()`
    /// or `abort()` from there must not wait for the task (it would wait on itself, as an
    /// `EVT_ESTABLISHED` handler that calls `abort()` did); the task performs it once the
    /// hook returns.
    pub fn waits_on_this_thread(&self) -> bool {
        HOOK_OF.with(|c| c.get() == Some(self.id))
    }

    /// The timeouts in force now.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts.get()
    }

    /// Changes the timeouts of this live association (pynetdicom's `Association` setters):
    /// each applies from the next time it is read (a DIMSE timeout from the next request,
    /// the network timeout at once).
    pub fn set_timeouts(&self, timeouts: Timeouts) {
        self.timeouts.set(timeouts);
        let _ = self.tx.send(Command::Wake);
    }

    /// Whether an idle association is released rather than aborted.
    pub fn release_on_idle(&self) -> bool {
        self.release_on_idle.load(Ordering::Acquire)
    }

    pub fn set_release_on_idle(&self, release: bool) {
        self.release_on_idle.store(release, Ordering::Release);
    }

    /// The notification kinds observed on this association, as `NotificationKind` bits.
    pub fn observed(&self) -> u32 {
        self.observed.load(Ordering::Acquire)
    }

    /// Whether C-ECHO-RQs go to the hooks' `c_echo` (a handler is bound).
    pub fn handles_echo(&self) -> bool {
        self.echo_bound.load(Ordering::Acquire)
    }

    /// Handlers were bound to or unbound from this association while it lives (or its
    /// server's were, which reach it as pynetdicom's do): what it delivers from now on.
    pub fn set_interest(&self, observed: u32, handles_echo: bool) {
        self.observed.store(observed, Ordering::Release);
        self.echo_bound.store(handles_echo, Ordering::Release);
        // The task may sleep with no reason to look again: wake it (no-op command).
        let _ = self.tx.send(Command::Wake);
    }

    pub fn lifecycle(&self) -> Lifecycle {
        Lifecycle::from_u8(self.lifecycle.load(Ordering::Acquire))
    }

    pub(crate) fn set_lifecycle(&self, state: Lifecycle) {
        self.lifecycle.store(state as u8, Ordering::Release);
    }

    pub fn is_established(&self) -> bool {
        self.lifecycle() == Lifecycle::Established
    }

    /// Negotiated parameters, once the association was accepted.
    pub fn info(&self) -> Option<&AssocInfo> {
        self.info.get()
    }

    pub(crate) fn set_info(&self, info: AssocInfo) {
        let _ = self.info.set(info);
    }

    /// (result, source, reason) of the A-ASSOCIATE-RJ, if the association was rejected.
    pub fn rejection(&self) -> Option<(u8, u8, u8)> {
        self.rejection.get().copied()
    }

    pub(crate) fn set_rejection(&self, rj: (u8, u8, u8)) {
        let _ = self.rejection.set(rj);
    }

    fn require_established(&self, operation: &'static str) -> Result<&AssocInfo, NetError> {
        match (self.lifecycle(), self.info.get()) {
            (Lifecycle::Established, Some(info)) => Ok(info),
            (state, _) => Err(NetError::InvalidState {
                operation,
                state: state.name(),
            }),
        }
    }

    /// Sends one DIMSE message (command set, no data set) on `context_id`, fragmented to the
    /// peer's maximum length. Returns once it is queued; the task writes it in order.
    pub fn send_command(&self, context_id: u8, command: Vec<u8>) -> Result<(), NetError> {
        // While the peer's release is pending, responses still due may be sent (AR-7).
        let info = match (self.lifecycle(), self.info.get()) {
            (Lifecycle::Established | Lifecycle::Releasing, Some(info)) => info,
            (state, _) => {
                return Err(NetError::InvalidState {
                    operation: "send a DIMSE message",
                    state: state.name(),
                })
            }
        };
        if !info
            .contexts
            .iter()
            .any(|c| c.context_id == context_id && c.result == 0)
        {
            return Err(NetError::NoContext(format!("context ID {context_id}")));
        }
        let mut pdus = Vec::with_capacity(command.len() + 12);
        dimse::write_message(
            &mut pdus,
            context_id,
            &command,
            None,
            info.peer_max_pdu_length,
        );
        self.write_message(Outgoing {
            pdus,
            context_id,
            command,
        })
    }

    /// Writes a message from the calling thread when it can, else hands it to the task.
    /// Observers of DIMSE_SENT get their notification from the task, so then it always goes
    /// through the task.
    fn write_message(&self, message: Outgoing) -> Result<(), NetError> {
        if self.observed() & NotificationKind::DimseSent.bit() != 0 || !self.writer.is_direct() {
            return self
                .tx
                .send(Command::Send(message))
                .map_err(|_| NetError::Closed);
        }
        match self.writer.write_data(&message.pdus) {
            Direct::Written => Ok(()),
            Direct::Queued => self.tx.send(Command::Flush).map_err(|_| NetError::Closed),
            Direct::Refused => Err(NetError::InvalidState {
                operation: "send a DIMSE message",
                state: self.lifecycle().name(),
            }),
        }
    }

    /// The SCU's outstanding requests, locked.
    pub(crate) fn outstanding(&self) -> std::sync::MutexGuard<'_, Outstanding> {
        self.outstanding.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The task is about to run a handler for this association.
    pub(crate) fn enter_handler(&self) {
        self.handler.store(HANDLER_BUSY, Ordering::SeqCst);
    }

    /// The handler returned. The task is woken only if it waits for that.
    pub(crate) fn handler_done(&self) {
        if self.handler.swap(HANDLER_IDLE, Ordering::SeqCst) == HANDLER_WAITED {
            let _ = self.tx.send(Command::HandlerDone);
        }
    }

    /// True while a handler runs for this association.
    pub(crate) fn handler_running(&self) -> bool {
        self.handler.load(Ordering::SeqCst) != HANDLER_IDLE
    }

    /// The task wants to be told when the handler returns. False if it already has.
    pub(crate) fn wait_for_handler(&self) -> bool {
        match self.handler.compare_exchange(
            HANDLER_BUSY,
            HANDLER_WAITED,
            Ordering::SeqCst,
            Ordering::SeqCst,
        ) {
            Ok(_) => true,
            Err(current) => current == HANDLER_WAITED,
        }
    }

    /// The accepted context to send a C-ECHO-RQ on: the first accepted Verification context.
    pub fn echo_context(&self) -> Result<u8, NetError> {
        let info = self.require_established("send a C-ECHO")?;
        info.contexts
            .iter()
            .find(|c| {
                c.result == 0
                    && uid::trim_padding(c.abstract_syntax.as_bytes())
                        == uid::VERIFICATION.as_bytes()
            })
            .map(|c| c.context_id)
            .ok_or_else(|| NetError::NoContext("the Verification SOP Class".into()))
    }

    /// Starts a C-ECHO; the waiter yields the outcome. The task enforces the DIMSE timeout.
    pub fn start_echo(
        &self,
        message_id: u16,
        context_id: Option<u8>,
    ) -> Result<Waiter<EchoOutcome>, NetError> {
        let (reply, waiter) = self.waiter();
        self.start_echo_with(message_id, context_id, reply)?;
        Ok(waiter)
    }

    /// A reply for a caller of this thread to wait on; it drives the client runtime while
    /// it waits if that is where this association lives.
    fn waiter<T>(&self) -> (Reply<T>, Waiter<T>) {
        let (reply, waiter) = Reply::waiter(self.role == Role::Requestor);
        (reply, waiter.polling(self.spin.clone()))
    }

    /// Starts a C-ECHO whose outcome goes to `reply`.
    pub fn start_echo_with(
        &self,
        message_id: u16,
        context_id: Option<u8>,
        reply: Reply<EchoOutcome>,
    ) -> Result<(), NetError> {
        let context_id = match context_id {
            Some(id) => id,
            None => self.echo_context()?,
        };
        self.tx
            .send(Command::Echo {
                message_id,
                context_id,
                reply,
            })
            .map_err(|_| NetError::Closed)
    }

    /// Sends a C-ECHO-RQ from the calling thread, without handing it to the task, and
    /// returns the waiter of its outcome with the instant at which the caller must stop
    /// waiting (the DIMSE timeout). A caller that gives up calls
    /// [`AssocShared::dimse_timeout_expired`], which aborts the association.
    pub fn echo_direct(
        &self,
        message_id: u16,
        context_id: Option<u8>,
    ) -> Result<(Waiter<EchoOutcome>, Option<Instant>), NetError> {
        let (reply, waiter) = self.waiter();
        let deadline = self.send_echo_rq(message_id, context_id, reply, false)?;
        Ok((waiter, deadline))
    }

    /// Sends a C-ECHO-RQ from the calling thread, like [`AssocShared::echo_direct`], for a
    /// caller that does not wait: the outcome goes to `reply`, and the process's clock
    /// enforces the DIMSE timeout. This is the asyncio path: the event loop's thread writes
    /// the request itself rather than waking the association's task to do it.
    pub fn echo_direct_with(
        &self,
        message_id: u16,
        context_id: Option<u8>,
        reply: Reply<EchoOutcome>,
    ) -> Result<(), NetError> {
        self.send_echo_rq(message_id, context_id, reply, true)
            .map(|_| ())
    }

    /// Registers the request as the one in flight and writes it; returns its DIMSE
    /// deadline. With `alarm`, the clock tells the task when that deadline passes.
    fn send_echo_rq(
        &self,
        message_id: u16,
        context_id: Option<u8>,
        reply: Reply<EchoOutcome>,
        alarm: bool,
    ) -> Result<Option<Instant>, NetError> {
        let context_id = match context_id {
            Some(id) => id,
            None => self.echo_context()?,
        };
        let info = self.require_established("send a C-ECHO")?;
        let deadline = self.timeouts().dimse.map(|t| Instant::now() + t);
        {
            let mut outstanding = self.outstanding();
            outstanding.room_for(message_id, info.max_outstanding)?;
            let mut pending = PendingEcho::new(message_id, reply, None);
            if let (true, Some(deadline)) = (alarm, deadline) {
                let waker = Waker::from(Arc::new(DimseAlarm {
                    tx: self.tx.clone(),
                    message_id,
                    token: pending.token,
                }));
                pending.alarm = Some(Alarm::set(deadline, waker));
            }
            outstanding.push(pending);
        }
        super::log::info(format_args!("Sending Echo Request: MsgID {message_id}"));
        let command = verification_echo_rq(message_id);
        let mut pdus = Vec::with_capacity(80);
        dimse::write_message(
            &mut pdus,
            context_id,
            &command,
            None,
            info.peer_max_pdu_length,
        );
        if let Err(e) = self.write_message(Outgoing {
            pdus,
            context_id,
            command,
        }) {
            self.outstanding().take(message_id, None);
            return Err(e);
        }
        Ok(deadline)
    }

    /// The caller of [`AssocShared::echo_direct`] stopped waiting: the task aborts the
    /// association ("DIMSE timeout reached") and the receiver yields `Timeout`.
    pub fn dimse_timeout_expired(&self, message_id: u16) {
        let _ = self.tx.send(Command::DimseTimeout {
            message_id,
            token: None,
        });
    }

    /// Sends a C-CANCEL-RQ for `message_id` on `context_id`.
    pub fn send_cancel(&self, message_id: u16, context_id: u8) -> Result<(), NetError> {
        let mut command = Vec::with_capacity(42);
        dimse::CCancelRq {
            message_id_being_responded_to: message_id,
        }
        .encode(&mut command);
        self.send_command(context_id, command)
    }

    /// Starts a release; the receiver yields how it ended.
    pub fn start_release(&self) -> Result<Waiter<ReleaseOutcome>, NetError> {
        let (reply, waiter) = self.waiter();
        self.start_release_with(reply)?;
        Ok(waiter)
    }

    /// Starts a release whose outcome goes to `reply`.
    pub fn start_release_with(&self, reply: Reply<ReleaseOutcome>) -> Result<(), NetError> {
        self.require_established("release")?;
        self.tx
            .send(Command::Release { reply })
            .map_err(|_| NetError::Closed)
    }

    /// Aborts the association; the receiver fires once the A-ABORT is written and the
    /// connection closed. Aborting an association that already ended does nothing.
    pub fn start_abort(&self) -> Option<Waiter<()>> {
        let (reply, waiter) = self.waiter();
        self.tx
            .send(Command::Abort { reply: Some(reply) })
            .ok()
            .map(|_| waiter)
    }
}

/// The command set of a C-ECHO-RQ for the Verification SOP Class.
pub(crate) fn verification_echo_rq(message_id: u16) -> Vec<u8> {
    let mut command = Vec::with_capacity(68);
    dimse::CEchoRq {
        message_id,
        affected_sop_class_uid: std::borrow::Cow::Borrowed(uid::VERIFICATION.as_bytes()),
    }
    .encode(&mut command);
    command
}

std::thread_local! {
    /// The association whose task waits for the hook running on this thread.
    static HOOK_OF: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Ends [`AssocShared::hook_running_here`] when dropped.
pub(crate) struct HookGuard;

impl Drop for HookGuard {
    fn drop(&mut self) {
        HOOK_OF.with(|c| c.set(None));
    }
}

/// [`Timeouts`] that other threads may change while the association's task reads them:
/// each duration in nanoseconds, `u64::MAX` for none.
struct LiveTimeouts([AtomicU64; 4]);

impl LiveTimeouts {
    const NONE: u64 = u64::MAX;

    fn encode(d: Option<std::time::Duration>) -> u64 {
        d.map_or(Self::NONE, |d| {
            u64::try_from(d.as_nanos()).unwrap_or(Self::NONE - 1)
        })
    }

    fn decode(v: u64) -> Option<std::time::Duration> {
        (v != Self::NONE).then(|| std::time::Duration::from_nanos(v))
    }

    fn new(t: Timeouts) -> Self {
        let s = Self(Default::default());
        s.set(t);
        s
    }

    fn set(&self, t: Timeouts) {
        for (slot, d) in self
            .0
            .iter()
            .zip([t.acse, t.dimse, t.network, t.connection])
        {
            slot.store(Self::encode(d), Ordering::Relaxed);
        }
    }

    fn get(&self) -> Timeouts {
        let v = |i: usize| Self::decode(self.0[i].load(Ordering::Relaxed));
        Timeouts {
            acse: v(0),
            dimse: v(1),
            network: v(2),
            connection: v(3),
        }
    }
}
