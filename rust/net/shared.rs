//! The part of an association that other threads see ([`AssocShared`]): its owner
//! (`link.rs`), its live settings and handler interest, what was negotiated, the cancel
//! tracker, the SCU's outstanding requests, and the queue of commands to its task, with
//! the operations other threads start through them (send, echo, release, abort).

use std::any::Any;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use tokio::sync::mpsc::UnboundedSender;

use crate::cancel::CancelTracker;
use crate::dimse;
use crate::tls::CertIdentity;
use crate::uid;

use super::command::{Command, Outgoing, ReleaseOutcome, Reply};
use super::config::Timeouts;
use super::error::NetError;
use super::hooks::{Hooks, NotificationKind};
use super::info::{AssocInfo, Lifecycle, Role};
use super::link::{Link, Sent};
use super::outstanding::{
    dimse_alarm, verification_echo_rq, EchoOutcome, Outstanding, PendingEcho,
};
use super::spin::Spin;
use super::timer::Alarm;
use super::transport::Conn;
use super::waiter::Waiter;

pub(crate) const HANDLER_IDLE: u8 = 0;
pub(crate) const HANDLER_BUSY: u8 = 1;
pub(crate) const HANDLER_WAITED: u8 = 2;

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
    /// The association's owner: its state machine and outgoing bytes (`link.rs`).
    pub(crate) link: Link,
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
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let ul_role = match o.role {
            Role::Requestor => crate::ul::Role::Requestor,
            Role::Acceptor => crate::ul::Role::Acceptor,
        };
        let link = Link::new(id, ul_role, o.timeouts.artim(), conn.raw_fd());
        let shared = Arc::new(Self::new(
            id,
            o.role,
            (o.peer, o.local),
            o.timeouts,
            tx,
            link,
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
        link: Link,
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
            link,
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

    /// Raises Evt9 for `message` from the calling thread: the owner (`link.rs`) sends it
    /// at once if the table allows P-DATA now (DT-1, AR-7) and the socket takes it; what
    /// it queues instead the task writes. Observers of DIMSE_SENT and DATA_SENT get their
    /// notifications from the task, so then the message goes through the task.
    fn write_message(&self, message: Outgoing) -> Result<(), NetError> {
        let via_task = NotificationKind::DimseSent.bit() | NotificationKind::DataSent.bit();
        if self.observed() & via_task != 0 {
            return self
                .tx
                .send(Command::Send(message))
                .map_err(|_| NetError::Closed);
        }
        match self.link.p_data(&message.pdus) {
            Sent::Written => Ok(()),
            // A blocking caller drives the client runtime while it waits; the asyncio calls
            // nudge the keeper themselves.
            Sent::Queued => self.tx.send(Command::Flush).map_err(|_| NetError::Closed),
            Sent::Refused => Err(NetError::InvalidState {
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
                let waker = dimse_alarm(self.tx.clone(), message_id, pending.token);
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
