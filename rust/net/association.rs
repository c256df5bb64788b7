//! One association's task: reads PDUs, drives the PS3.8 state machine, answers or hands
//! over DIMSE messages, writes PDUs, and enforces every timeout. Both roles share it, over
//! any transport (`transport.rs`).
//!
//! The task owns the connection's reading, its timers and its writes that wait. Other
//! threads talk to it through [`Command`]s; it sleeps in one `select!` on the connection,
//! the command queue and the nearest deadline (over TCP its reader may first poll the
//! socket for an adaptive window, `spin.rs`). The state machine and the outgoing bytes
//! belong to the association's owner (`link.rs`).
//!
//! The table's actions are the engine. Each event handler (`accept`, `request`,
//! `on_frame`, `on_command`, `on_deadline`, `transport_closed`, `local_abort`,
//! `request_release`, `release_response`, `p_data_request`, `await_close`, and
//! `protocol_error` for the PDUs that are out of place) looks its event up once
//! (`Task::fsm`, or `Link::event_and_queue` when the action's bytes must be queued in the
//! same step) and matches on the action the cell names, calling the one method that
//! performs it: `ae_2_send_rq` .. `ae_8_send_rj`, `dt_1_send_p_data`,
//! `dt_2_p_data_received`, `ar_1_send_release_rq` .. `ar_10_release_confirmed_collision`,
//! `aa_1_send_abort` .. `aa_8_send_provider_abort` (the section "the actions of PS3.8
//! Tables 9-6 to 9-9" below, each with the standard's text). Nothing is written but the
//! PDU of an action a lookup named. See docs/architecture.md for the events, who raises
//! them, which method performs each action, and who writes the bytes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc::UnboundedReceiver;

use crate::assoc::{self, IdentityDecision};
use crate::dimse;
use crate::pdu::{self, abort_reason, Pdu, PduType};
use crate::uid;
use crate::ul::{Action, Event, Role as UlRole, State};

use super::command::{Command, Outgoing, ReleaseOutcome, Reply};
use super::config::{ClientConfig, ServerConfig};
use super::dump;
use super::error::NetError;
use super::framing::{Frame, Limits, PduReader};
use super::hooks::{EchoIndication, Hooks, Notification, NotificationKind};
use super::info::{AssocInfo, Lifecycle, RequestSummary, Role};
use super::log;
use super::outstanding::{verification_echo_rq, EchoOutcome, PendingEcho};
use super::shared::AssocShared;
use super::timer::LazyTimer;
use super::transport::{Conn, WriteSide};

/// Abort sources (PS3.8 Table 9-26).
const SOURCE_USER: u8 = 0;
const SOURCE_PROVIDER: u8 = 2;

/// Status values the core answers by itself.
const STATUS_SUCCESS: u16 = 0x0000;
const STATUS_SOP_CLASS_NOT_SUPPORTED: u16 = 0x0122;
const STATUS_UNRECOGNIZED_OPERATION: u16 = 0x0211;
/// The most requests that wait for a running handler: as many as 16-bit message IDs can
/// tell apart. A peer within its window has at most that window waiting.
const MAX_QUEUED: usize = u16::MAX as usize;

/// How long `abort()` waits for the peer to close the connection after our A-ABORT before
/// it returns anyway (the association is aborted either way).
const ABORT_LINGER: std::time::Duration = std::time::Duration::from_millis(500);

/// Largest data set accepted in a message: Verification carries none, so this only bounds
/// what a misbehaving peer can make us buffer.
const MAX_DATASET: usize = 1 << 20;

/// A C-ECHO-RQ as taken off the wire, decoded once.
struct EchoRequest {
    context_id: u8,
    message_id: u16,
    /// AffectedSOPClassUID without its padding.
    affected: Vec<u8>,
    /// The whole command set, for the handler.
    command: Vec<u8>,
}

/// Whole DIMSE messages taken off a P-DATA-TF: (presentation context ID, command set).
type Messages = Vec<(u8, Vec<u8>)>;

/// Why a PDU is invalid: the A-ABORT reason (PS3.8 Table 9-26) and the log line.
type Fault = (u8, String);

/// Why the main loop ended.
enum End {
    /// The transport is closed or must be closed now.
    Close,
    /// We are in Sta13: wait for the peer to close, bounded by ARTIM.
    AwaitClose,
}

pub(crate) struct Task {
    shared: Arc<AssocShared>,
    hooks: Arc<dyn Hooks>,
    reader: PduReader,
    writer: WriteSide,
    rx: UnboundedReceiver<Command>,
    assembler: dimse::Assembler,
    /// Messages of ours are queued in the owner but not flushed: the peer's next PDU was
    /// already in, so the answers to it go out with them in one write (`dt_1_send_p_data`).
    unflushed: bool,
    /// What the task writes next over a transport other than TCP (`write_stream`), kept
    /// between writes for its capacity.
    stream_out: Vec<u8>,
    last_rx: Instant,
    /// Deadline of the wait for A-ASSOCIATE-AC/RJ or A-RELEASE-RP.
    acse_deadline: Option<Instant>,
    release_reply: Option<Reply<ReleaseOutcome>>,
    /// How our release ended, told to `release_reply` once the connection is closed and the
    /// handlers have run (pynetdicom's order: EVT_RELEASED, EVT_CONN_CLOSE, then `release()`
    /// returns).
    released: bool,
    /// `abort()` callers, answered the same way once the connection is closed.
    abort_replies: Vec<Reply<()>>,
    /// Requests that arrived while the handler was busy: (context ID, command set).
    queued: VecDeque<EchoRequest>,
    /// The peer asked to release while a handler was running: answer once it is done.
    release_deferred: bool,
    /// Commands that came before the association was established, other than `abort()`
    /// (`abort_if_requested`): served first once it is.
    early: VecDeque<Command>,
    /// The user called `abort()` (Evt15 from the API).
    user_aborted: bool,
    ended_logged: bool,
    /// The peer closed the connection (we read its FIN).
    peer_closed: bool,
    /// Serves every deadline of the association.
    timer: LazyTimer,
}

impl Task {
    fn new(
        conn: Conn,
        shared: Arc<AssocShared>,
        hooks: Arc<dyn Hooks>,
        rx: UnboundedReceiver<Command>,
        role: UlRole,
        local_max: u32,
        poll_ceiling: Option<std::time::Duration>,
    ) -> Self {
        if role == UlRole::Requestor {
            // Accepted sockets inherit TCP_NODELAY from the listener.
            conn.set_nodelay();
        }
        let (rd, wr) = conn.split();
        let mut reader = PduReader::new(rd, Limits::new(local_max));
        reader.stall = Some(shared.timeouts().stall());
        if role == UlRole::Acceptor {
            reader.poll_first(poll_ceiling);
        }
        Self {
            shared,
            hooks,
            reader,
            writer: wr,
            rx,
            assembler: dimse::Assembler::new(MAX_DATASET),
            unflushed: false,
            stream_out: Vec::new(),
            last_rx: Instant::now(),
            acse_deadline: None,
            release_reply: None,
            released: false,
            abort_replies: Vec::new(),
            queued: VecDeque::new(),
            release_deferred: false,
            early: VecDeque::new(),
            user_aborted: false,
            ended_logged: false,
            peer_closed: false,
            timer: LazyTimer::default(),
        }
    }

    fn id(&self) -> u64 {
        self.shared.id
    }

    /// Looks `event` up in the state table, once, through the association's owner
    /// (`link.rs`); `None` for a cell the table leaves empty.
    fn fsm(&mut self, event: Event) -> Option<Action> {
        self.shared.link.event(event)
    }

    /// When ARTIM expires: as it runs, or (not running) a full ARTIM timeout from now.
    fn artim_deadline(&self) -> Instant {
        self.shared
            .link
            .artim_deadline()
            .unwrap_or_else(|| Instant::now() + self.shared.timeouts().artim())
    }

    /// The current PS3.8 state.
    fn state(&self) -> State {
        self.shared.link.state()
    }

    async fn notify(&self, event: Notification) {
        if !self.observes(event.kind()) {
            return;
        }
        let _ = self
            .run_hook(move |hooks, shared| hooks.notify(shared, &event))
            .await;
    }

    /// Runs `hook` on a handler thread and waits for it, with the thread marked as running
    /// a hook this task waits for (`AssocShared::hook_running_here`). `None` if it panicked.
    async fn run_hook<R: Send + 'static>(
        &self,
        hook: impl FnOnce(&dyn Hooks, &Arc<AssocShared>) -> R + Send + 'static,
    ) -> Option<R> {
        let hooks = Arc::clone(&self.hooks);
        let shared = Arc::clone(&self.shared);
        super::handler_pool::run(move || {
            let _inside = shared.hook_running_here();
            hook(hooks.as_ref(), &shared)
        })
        .await
    }

    fn observes(&self, kind: NotificationKind) -> bool {
        self.shared.observed() & kind.bit() != 0
    }

    /// Writes everything queued in the owner (`link.rs`): over TCP what the socket takes at
    /// once, then the rest as it becomes writable; over other transports with async writes.
    /// At most the stall limit for the peer to take it. False if the transport failed.
    async fn flush(&mut self) -> bool {
        self.unflushed = false;
        // EVT_DATA_SENT: what is queued now is what this flush writes (while the event is
        // observed, other threads hand their messages to the task, `AssocShared::write_message`).
        let sent = self
            .observes(NotificationKind::DataSent)
            .then(|| self.shared.link.queued_copy());
        let written = if self.writer.is_tcp() {
            self.write_tcp().await
        } else {
            self.write_stream().await
        };
        if let (true, Some(bytes)) = (written, sent) {
            self.data_sent(&bytes).await;
        }
        written
    }

    /// EVT_DATA_SENT for each whole PDU of `written`, bytes the task has just written.
    async fn data_sent(&self, written: &[u8]) {
        for pdu in pdu::whole_pdus(written) {
            self.notify(Notification::DataSent { data: pdu.to_vec() })
                .await;
        }
    }

    /// EVT_DATA_RECV for the PDU of `len` bytes the reader has just framed, before it is
    /// decoded (pynetdicom's order). Nothing is copied unless the event is observed.
    async fn data_received(&self, len: usize) {
        if self.observes(NotificationKind::DataRecv) {
            let data = self.reader.pdu(len).to_vec();
            self.notify(Notification::DataRecv { data }).await;
        }
    }

    /// A transport other than TCP: every byte is the task's, written with plain async
    /// writes, at most the stall limit for the peer to take them.
    async fn write_stream(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + self.shared.timeouts().stall();
        loop {
            self.shared.link.take_queued(&mut self.stream_out);
            if self.stream_out.is_empty() {
                return true;
            }
            match tokio::time::timeout_at(deadline, self.writer.write_all(&self.stream_out)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return false,
                Err(_) => return self.peer_not_reading(),
            }
        }
    }

    /// TCP: sends what the owner holds, at once if the socket takes it, else as it becomes
    /// writable, at most the stall limit.
    async fn write_tcp(&mut self) -> bool {
        let mut deadline = None;
        loop {
            let half = &self.writer;
            match self.shared.link.flush_some(|b| half.try_write(b)) {
                Ok(true) => return true,
                Ok(false) => {}
                Err(_) => return false,
            }
            let deadline = *deadline.get_or_insert_with(|| {
                tokio::time::Instant::now() + self.shared.timeouts().stall()
            });
            match tokio::time::timeout_at(deadline, self.writer.writable()).await {
                Ok(Ok(())) => {}
                _ => return self.peer_not_reading(),
            }
        }
    }

    /// A write did not finish within the stall limit: logged; false (the transport failed).
    fn peer_not_reading(&self) -> bool {
        log::error(format_args!(
            "[{}] Failed to send a PDU: the peer is not reading",
            self.id()
        ));
        false
    }

    /// Sends `pdu`, the PDU of an action the table has just named (see [`Link::queue`]),
    /// after anything queued before it.
    async fn send_pdu(&mut self, pdu: &Pdu<'_>) -> bool {
        self.shared.link.queue(|buf| pdu.encode(buf));
        self.flush().await
    }

    async fn send_abort(&mut self, source: u8, reason: u8) {
        let _ = self.send_pdu(&Pdu::abort(source, reason)).await;
        let _ = self.writer.shutdown().await;
    }

    fn log_aborted(&mut self, by_peer: bool, source: u8) {
        if self.ended_logged {
            return;
        }
        self.ended_logged = true;
        // pynetdicom's wording: the peer's service-user abort is an A-ABORT; anything the
        // provider initiated (protocol error, lost connection) an A-P-ABORT. Our own
        // A-ABORT was already announced by "Aborting Association".
        if by_peer && source == SOURCE_USER {
            log::info(format_args!("Association Aborted"));
        } else if by_peer || source != SOURCE_USER {
            log::info(format_args!("Association Aborted (A-P-ABORT)"));
        }
    }

    /// Marks the association aborted and fails whatever was waiting on it.
    async fn become_aborted(&mut self, by_peer: bool, source: u8, reason: u8) {
        let was_live = matches!(
            self.shared.lifecycle(),
            Lifecycle::Established | Lifecycle::Releasing
        );
        if self.shared.lifecycle() != Lifecycle::Rejected
            && self.shared.lifecycle() != Lifecycle::Released
        {
            self.shared.set_lifecycle(Lifecycle::Aborted);
        }
        self.fail_outstanding();
        if was_live || self.shared.role == Role::Requestor || self.user_aborted {
            self.log_aborted(by_peer, source);
            self.notify(Notification::Aborted {
                by_peer,
                source,
                reason,
            })
            .await;
        }
    }

    /// A PDU event that is a protocol error here, found by us (an unexpected or invalid
    /// PDU): looks `event` up once and performs what the table names (see
    /// [`Self::protocol_error`]).
    async fn pdu_error(&mut self, event: Event, reason: u8, why: String) -> End {
        let action = self.fsm(event);
        self.protocol_error(action, reason, why).await
    }

    /// Performs the action the table named for a PDU event that is an error in this state;
    /// the event was looked up exactly once, by the caller. `reason` is the A-ABORT reason
    /// when the service-provider is the source, `why` the fault, for the log. The cells
    /// (PS3.8 Table 9-10): AA-1 in Sta2 (no association yet), AA-8 once one is negotiated
    /// or exists, AA-7 or AA-6 in Sta13.
    async fn protocol_error(&mut self, action: Option<Action>, reason: u8, why: String) -> End {
        match action {
            Some(Action::Aa8) => {
                log::error(format_args!("[{}] {why}", self.id()));
                self.aa_8_send_provider_abort(reason).await
            }
            Some(Action::Aa1) => {
                log::error(format_args!("[{}] {why}", self.id()));
                self.aa_1_send_abort().await
            }
            Some(Action::Aa7) => {
                log::error(format_args!("[{}] {why}", self.id()));
                self.aa_7_send_abort(reason).await
            }
            Some(Action::Aa6) => {
                log::debug(format_args!("[{}] Ignored in Sta13: {why}", self.id()));
                self.aa_6_ignore()
            }
            other => {
                // Every PDU event has a cell once a connection is open (PS3.8 Table 9-10);
                // reaching here is a bug of ours, not the peer's: close.
                log::error(format_args!(
                    "[{}] {why} (the state table named {other:?}): closing",
                    self.id()
                ));
                self.become_aborted(false, SOURCE_PROVIDER, reason).await;
                End::Close
            }
        }
    }

    /// An event the task raised got no cell, or a cell it never gets where the task raises
    /// it: a bug of ours, not the peer's. Logged; the association closes.
    fn off_table(&self, event: Event, action: Option<Action>) -> End {
        log::error(format_args!(
            "[{}] The state table named {action:?} for {event}, which the engine does not \
             expect there: closing",
            self.id()
        ));
        End::Close
    }

    /// Handles a frame that is not a well-formed PDU of a known type: an invalid PDU
    /// (Evt19, see [`frame_fault`]).
    async fn bad_frame(&mut self, frame: &Frame) -> End {
        match frame_fault(frame) {
            Some((reason, why)) => self.pdu_error(Event::Evt19, reason, why).await,
            None => End::Close,
        }
    }

    /// Evt17, the transport closed under us (`mid_pdu`: in the middle of a PDU): AR-5 in
    /// Sta13, AA-5 in Sta2, AA-4 in any other state.
    async fn transport_closed(&mut self, mid_pdu: bool) -> End {
        self.peer_closed = true;
        let action = self.fsm(Event::Evt17);
        if action == Some(Action::Ar5) {
            return self.ar_5_stop_artim();
        }
        if mid_pdu {
            log::error(format_args!(
                "[{}] The peer closed the connection in the middle of a PDU",
                self.id()
            ));
        }
        match action {
            Some(Action::Aa5) => self.aa_5_stop_artim(),
            // AA-4 (no cell only in Sta1, which the task leaves by ending).
            _ => self.aa_4_provider_abort_indication().await,
        }
    }

    /// Ends every outstanding request of ours: the association is gone.
    fn fail_outstanding(&self) {
        let failed = self.shared.outstanding().take_all();
        for p in failed {
            p.reply.send(EchoOutcome::Aborted);
        }
    }

    /// The next instant at which something must happen without input.
    fn next_deadline(&self) -> Option<Instant> {
        let mut best: Option<Instant> = None;
        let mut consider = |d: Option<Instant>| {
            if let Some(d) = d {
                best = Some(best.map_or(d, |b| b.min(d)));
            }
        };
        let (state, artim) = self.shared.link.state_and_artim();
        consider(artim);
        consider(self.acse_deadline);
        consider(self.shared.outstanding().next_deadline());
        if matches!(state, State::Sta6 | State::Sta7 | State::Sta8) {
            // Armed even while a handler runs or a request waits: a handler that returns
            // does not wake the task, so the idle deadline must already be in place.
            if let Some(network) = self.shared.timeouts().network {
                consider(Some(self.last_rx + network));
            }
        }
        if self.reader.mid_pdu() {
            consider(Some(self.last_rx + self.shared.timeouts().stall()));
        }
        best
    }

    /// Something timed out at `now`.
    async fn on_deadline(&mut self, now: Instant) -> Option<End> {
        if self.shared.link.artim_deadline().is_some_and(|d| d <= now) {
            log::info(format_args!("[{}] ARTIM timer expired", self.id()));
            return Some(match self.fsm(Event::Evt18) {
                Some(Action::Aa2) => {
                    if self.shared.lifecycle() == Lifecycle::Negotiating {
                        self.shared.set_lifecycle(Lifecycle::Aborted);
                    }
                    self.aa_2_close()
                }
                other => self.off_table(Event::Evt18, other),
            });
        }
        let due = self.shared.outstanding().take_due(now);
        if let Some(pending) = due {
            return Some(self.dimse_timed_out(pending).await);
        }
        if self.acse_deadline.is_some_and(|d| d <= now) {
            self.acse_deadline = None;
            log::error(format_args!(
                "ACSE timeout reached while waiting for the peer"
            ));
            return Some(self.local_abort().await);
        }
        if self.reader.mid_pdu() && self.last_rx + self.shared.timeouts().stall() <= now {
            return Some(
                self.pdu_error(
                    Event::Evt19,
                    abort_reason::NOT_SPECIFIED,
                    "The peer stalled in the middle of a PDU".to_string(),
                )
                .await,
            );
        }
        if let Some(network) = self.shared.timeouts().network {
            if self.last_rx + network <= now {
                if self.shared.handler_running() || !self.shared.outstanding().is_empty() {
                    // Not idle: we are the ones working (a handler) or waiting under the
                    // DIMSE timeout. Idle time counts again from now.
                    self.last_rx = now;
                    return None;
                }
                log::error(format_args!("Network timeout reached"));
                if self.shared.release_on_idle() && self.state() == State::Sta6 {
                    // network_timeout_response = "A-RELEASE": ask to release; the ACSE
                    // timeout bounds the wait for the answer, then it is aborted.
                    self.last_rx = now;
                    return self.request_release(None).await;
                }
                return Some(self.local_abort().await);
            }
        }
        None
    }

    /// The DIMSE timeout of `pending`, a request of ours, passed: the association is
    /// aborted first, so that it is aborted when `send_c_echo()` returns, then its caller is
    /// told.
    async fn dimse_timed_out(&mut self, pending: PendingEcho) -> End {
        log::error(format_args!(
            "DIMSE timeout reached while waiting for message response"
        ));
        let end = self.local_abort().await;
        pending.reply.send(EchoOutcome::Timeout);
        end
    }

    /// Evt15, the A-ABORT request primitive (the user's `abort()`, or a timeout or fault
    /// on our side): AA-1, or AA-2 while the transport connection is still being made
    /// (Sta4).
    async fn local_abort(&mut self) -> End {
        match self.fsm(Event::Evt15) {
            Some(Action::Aa1) => self.aa_1_send_abort().await,
            Some(Action::Aa2) => {
                self.become_aborted(false, SOURCE_USER, 0).await;
                self.aa_2_close()
            }
            // No cell (Sta1, Sta2, Sta13): nothing left to abort.
            _ => End::Close,
        }
    }

    /// Evt15 from a handler the task waited for before the association was established
    /// (on the acceptor EVT_REQUESTED and the user identity and extended negotiation
    /// handlers, in Sta3; on the requestor EVT_REQUESTED, in Sta5): `abort()` there is
    /// performed at once, AA-1, so the A-ABORT goes out instead of the A-ASSOCIATE-AC (or
    /// before the answer arrives), as it does from pynetdicom's handlers. Other commands
    /// wait for the association (`early`).
    async fn abort_if_requested(&mut self) -> Option<End> {
        while let Ok(cmd) = self.rx.try_recv() {
            if let Some(end) = self.before_established(cmd).await {
                return Some(end);
            }
        }
        None
    }

    /// A command that came before the association was established: `abort()` is performed
    /// at once (Evt15), anything else waits in `early`.
    async fn before_established(&mut self, cmd: Command) -> Option<End> {
        match cmd {
            Command::Abort { reply } => Some(self.abort_command(reply).await),
            other => {
                self.early.push_back(other);
                None
            }
        }
    }

    /// `abort()`: Evt15, with its caller told once the connection is closed. EVT_ABORTED
    /// follows in every state, as after pynetdicom's `abort()`, also before the acceptor
    /// has answered the A-ASSOCIATE-RQ.
    async fn abort_command(&mut self, reply: Option<Reply<()>>) -> End {
        self.abort_replies.extend(reply);
        self.user_aborted = true;
        self.local_abort().await
    }

    /// Sta13: waits for the peer to close (Evt17: AR-5), at most until ARTIM expires
    /// (Evt18: AA-2). Meanwhile an A-ABORT ends the wait (Evt16: AA-2), an A-ASSOCIATE-RQ
    /// or an invalid PDU is answered with an A-ABORT (Evt6, Evt19: AA-7), and any other
    /// PDU is ignored (AA-6).
    async fn await_close(&mut self) {
        if self.state() != State::Sta13 {
            return;
        }
        let deadline = self.artim_deadline();
        // `abort()` callers wait for the peer's close (PS3.8 AA-1: the peer closes on our
        // A-ABORT, and pynetdicom's `abort()` returns after EVT_CONN_CLOSE), but not for a
        // peer that never closes: at most ABORT_LINGER, then they are told and the task
        // alone waits out ARTIM.
        let mut answer_abort_at =
            (!self.abort_replies.is_empty()).then(|| Instant::now() + ABORT_LINGER);
        loop {
            self.timer
                .cover(Some(answer_abort_at.map_or(deadline, |a| a.min(deadline))));
            let end = tokio::select! {
                frame = self.reader.next() => match frame {
                    Ok(Frame::Pdu { pdu_type, len }) => {
                        self.data_received(len).await;
                        let event = Event::for_pdu_type(pdu_type);
                        match self.fsm(event) {
                            // Evt6: an A-ASSOCIATE-RQ.
                            Some(Action::Aa7) => {
                                self.aa_7_send_abort(abort_reason::UNEXPECTED_PDU).await
                            }
                            // Evt16: an A-ABORT.
                            Some(Action::Aa2) => self.aa_2_close(),
                            Some(Action::Aa6) => self.aa_6_ignore(),
                            other => self.off_table(event, other),
                        }
                    }
                    Ok(Frame::Closed { .. }) | Err(_) => {
                        self.peer_closed = true;
                        match self.fsm(Event::Evt17) {
                            Some(Action::Ar5) => self.ar_5_stop_artim(),
                            other => self.off_table(Event::Evt17, other),
                        }
                    }
                    // An unrecognised PDU, one over the size limit, or one that stalled: an
                    // invalid PDU (Evt19). The stream cannot be read past it, so the wait
                    // ends after the A-ABORT.
                    Ok(other) => match (frame_fault(&other), self.fsm(Event::Evt19)) {
                        (Some((reason, why)), Some(Action::Aa7)) => {
                            log::error(format_args!("[{}] {why}", self.id()));
                            self.aa_7_send_abort(reason).await;
                            End::Close
                        }
                        (_, action) => self.off_table(Event::Evt19, action),
                    },
                },
                _ = self.timer.fired() => {
                    let now = Instant::now();
                    if answer_abort_at.is_some_and(|a| now >= a) {
                        answer_abort_at = None;
                        for r in self.abort_replies.drain(..) {
                            r.send(());
                        }
                    }
                    if now >= deadline {
                        match self.fsm(Event::Evt18) {
                            Some(Action::Aa2) => self.aa_2_close(),
                            other => self.off_table(Event::Evt18, other),
                        }
                    } else {
                        End::AwaitClose
                    }
                }
            };
            if let End::Close = end {
                return;
            }
        }
    }

    // ----- acceptor ---------------------------------------------------------------------

    /// An accepted connection, from Evt5 to Sta6: the A-ASSOCIATE-RQ (Evt6), the decision
    /// on it and our answer (Evt7 or Evt8). `Ok` once established.
    async fn accept(&mut self, cfg: &ServerConfig, over_limit: bool) -> Result<(), End> {
        match self.fsm(Event::Evt5) {
            Some(Action::Ae5) => self.ae_5_connection_open().await,
            other => return Err(self.off_table(Event::Evt5, other)),
        }
        let deadline = self.artim_deadline();
        self.timer.cover(Some(deadline));
        let frame = tokio::select! {
            biased;
            frame = self.reader.next() => frame,
            // A fresh timer: it fires at `deadline`, not before.
            _ = self.timer.fired() => {
                log::info(format_args!("[{}] ARTIM timer expired: no A-ASSOCIATE-RQ received", self.id()));
                return Err(match self.fsm(Event::Evt18) {
                    Some(Action::Aa2) => self.aa_2_close(),
                    other => self.off_table(Event::Evt18, other),
                });
            }
        };
        self.last_rx = Instant::now();
        let (pdu_type, len) = match frame {
            Ok(Frame::Pdu { pdu_type, len }) => (pdu_type, len),
            Ok(Frame::Closed { .. }) | Err(_) => {
                return Err(match self.fsm(Event::Evt17) {
                    Some(Action::Aa5) => self.aa_5_stop_artim(),
                    other => self.off_table(Event::Evt17, other),
                });
            }
            Ok(other) => return Err(self.bad_frame(&other).await),
        };
        self.data_received(len).await;
        if pdu_type != PduType::AssociateRq as u8 {
            let event = Event::for_pdu_type(pdu_type);
            let action = self.fsm(event);
            if action == Some(Action::Aa2) {
                // Evt16: an A-ABORT before any association.
                return Err(self.aa_2_close());
            }
            return Err(self
                .protocol_error(
                    action,
                    abort_reason::UNEXPECTED_PDU,
                    format!("Expected an A-ASSOCIATE-RQ, received PDU type 0x{pdu_type:02X}"),
                )
                .await);
        }
        let rq = match pdu::decode(self.reader.pdu(len)) {
            Ok(Pdu::AssociateRq(rq)) => rq.into_owned(),
            Ok(_) => return Err(End::Close),
            Err(e) => {
                let reason = e.abort_reason();
                return Err(self
                    .pdu_error(Event::Evt19, reason, format!("Invalid A-ASSOCIATE-RQ: {e}"))
                    .await);
            }
        };
        match self.fsm(Event::Evt6) {
            Some(Action::Ae6) => self.ae_6_rq_received(&rq).await,
            other => return Err(self.off_table(Event::Evt6, other)),
        }
        let decision = self.decide(cfg, over_limit, &rq).await;
        if let Some(end) = self.abort_if_requested().await {
            return Err(end);
        }
        match decision {
            Ok(accepted) => self.accept_response(cfg, &rq, accepted).await,
            Err(rj) => Err(self.reject_response(rj).await),
        }
    }

    /// The answer to the A-ASSOCIATE indication: the server's limit on associations, the
    /// user identity hook (on a handler thread) and the negotiation (`assoc::accept`).
    async fn decide(
        &self,
        cfg: &ServerConfig,
        over_limit: bool,
        rq: &pdu::Associate<'static>,
    ) -> Result<assoc::Accepted, assoc::Rejection> {
        if over_limit {
            return Err(assoc::Rejection::local_limit_exceeded());
        }
        let decision = match identity_of(rq) {
            Some(identity) if self.hooks.handles_user_identity() => self
                .run_hook(move |hooks, shared| hooks.user_identity(shared, &identity))
                .await
                .unwrap_or(IdentityDecision::Reject),
            _ => IdentityDecision::Accept {
                server_response: None,
            },
        };
        // pynetdicom asks its EVT_SOP_EXTENDED and EVT_SOP_COMMON handlers on every request,
        // items or none; so do we, when one is bound.
        let extended_answers = if self.hooks.handles_sop_class_extended() {
            let extended = assoc::sop_class_extended_of(rq);
            let common = assoc::sop_class_common_extended_of(rq);
            self.run_hook(move |hooks, shared| hooks.sop_class_extended(shared, &extended, &common))
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut decide = |_: &assoc::UserIdentity| decision.clone();
        assoc::accept_with(rq, &cfg.acceptor, &mut decide, &extended_answers)
    }

    /// Evt7, the A-ASSOCIATE response primitive (accept): records the association and runs
    /// the EVT_ACCEPTED and EVT_ESTABLISHED handlers, then looks Evt7 up and queues the AC
    /// in the same step of the owner, so that no P-DATA can precede it (AE-7).
    async fn accept_response(
        &mut self,
        cfg: &ServerConfig,
        rq: &pdu::Associate<'static>,
        accepted: assoc::Accepted,
    ) -> Result<(), End> {
        log::info(format_args!("Accepting Association"));
        if dump::enabled() {
            dump::log_lines(&dump::associate_ac(&accepted.ac, rq, true));
        }
        let ac = Pdu::AssociateAc(accepted.ac);
        // Established before the AC goes out: once the requestor holds the AC, anyone
        // asking about this end must find it established. The protocol state moves to Sta6
        // only with the AC (below), so no P-DATA can precede it.
        self.shared.set_info(AssocInfo {
            contexts: accepted.contexts,
            peer_max_pdu_length: accepted.peer_max_pdu_length,
            local_max_pdu_length: cfg.acceptor.maximum_pdu_length,
            local_ae_title: accepted.called_ae_title,
            peer_ae_title: accepted.calling_ae_title,
            request: Arc::new(RequestSummary::of(rq)),
            peer_implementation_class_uid: accepted.peer_implementation_class_uid,
            peer_implementation_version_name: accepted.peer_implementation_version_name,
            user_identity: accepted.user_identity,
            user_identity_response: None,
            max_outstanding: accepted.async_ops_window.map_or(1, |(allowed, _)| allowed),
            proposed_async_ops_window: rq.async_ops_window(),
            async_ops_window: accepted.async_ops_window,
            accepted_sop_class_extended: accepted.sop_class_extended,
        });
        self.shared.set_lifecycle(Lifecycle::Established);
        // EVT_ACCEPTED and EVT_ESTABLISHED handlers run before the AC goes out, so that they
        // have run once the requestor's associate() returns (pynetdicom runs them just
        // after, which a requestor usually does not beat).
        self.notify(Notification::Accepted).await;
        self.notify(Notification::Established).await;
        let (action, queued) = self
            .shared
            .link
            .event_and_queue(Event::Evt7, |action, buf| {
                let send = action == Action::Ae7;
                if send {
                    ac.encode(buf);
                }
                send
            });
        match action {
            Some(Action::Ae7) => self.ae_7_send_ac(queued).await,
            other => {
                let end = self.off_table(Event::Evt7, other);
                self.become_aborted(false, SOURCE_PROVIDER, 0).await;
                Err(end)
            }
        }
    }

    /// Evt8, the A-ASSOCIATE response primitive (reject), with the rejection `rj`.
    async fn reject_response(&mut self, rj: assoc::Rejection) -> End {
        log::info(format_args!("Rejecting Association"));
        match self.fsm(Event::Evt8) {
            Some(Action::Ae8) => self.ae_8_send_rj(rj).await,
            other => self.off_table(Event::Evt8, other),
        }
    }

    // ----- requestor --------------------------------------------------------------------

    /// An outgoing association, from Evt1 to Sta6: our A-ASSOCIATE-RQ, then the answer
    /// (Evt3, Evt4 or Evt16) within the ACSE timeout. `Ok` once established.
    async fn request(
        &mut self,
        cfg: &ClientConfig,
        rq: pdu::Associate<'static>,
    ) -> Result<(), End> {
        // AE-1 (the TRANSPORT CONNECT request) is `client.rs`'s, which connected (and
        // upgraded, for TLS) before this task began; Evt2 is its confirmation.
        match self.fsm(Event::Evt1) {
            Some(Action::Ae1) => {}
            other => return Err(self.off_table(Event::Evt1, other)),
        }
        let rq = match self.fsm(Event::Evt2) {
            Some(Action::Ae2) => {
                self.notify(Notification::ConnOpen).await;
                self.ae_2_send_rq(rq).await?
            }
            other => return Err(self.off_table(Event::Evt2, other)),
        };
        if let Some(end) = self.abort_if_requested().await {
            return Err(end);
        }
        let deadline = self.shared.timeouts().acse.map(|t| Instant::now() + t);
        let timed = self.timer.cover(deadline);
        let frame = loop {
            tokio::select! {
                biased;
                frame = self.reader.next() => break frame,
                // `abort()` while the answer is awaited (Sta5): Evt15, AA-1 at once.
                Some(cmd) = self.rx.recv() => {
                    if let Some(end) = self.before_established(cmd).await {
                        return Err(end);
                    }
                }
                // A fresh timer: it fires at `deadline`, not before.
                _ = self.timer.fired(), if timed => {
                    log::error(format_args!("ACSE timeout reached while waiting for response to association request"));
                    return Err(self.local_abort().await);
                }
            }
        };
        self.last_rx = Instant::now();
        let len = match frame {
            Ok(Frame::Pdu { len, .. }) => len,
            Ok(Frame::Closed { .. }) | Err(_) => {
                log::error(format_args!(
                    "Association request failed: the peer closed the connection"
                ));
                return Err(match self.fsm(Event::Evt17) {
                    Some(Action::Aa4) => self.aa_4_provider_abort_indication().await,
                    other => self.off_table(Event::Evt17, other),
                });
            }
            Ok(other) => return Err(self.bad_frame(&other).await),
        };
        self.data_received(len).await;
        let decoded = pdu::decode(self.reader.pdu(len)).map(Pdu::into_owned);
        match decoded {
            Ok(Pdu::AssociateAc(ac)) => match self.fsm(Event::Evt3) {
                Some(Action::Ae3) => self.ae_3_accepted(cfg, &rq, &ac).await,
                other => Err(self.unexpected(other, "A-ASSOCIATE-AC").await),
            },
            Ok(Pdu::AssociateRj(rj)) => match self.fsm(Event::Evt4) {
                Some(Action::Ae4) => Err(self.ae_4_rejected(rj.result, rj.source, rj.reason).await),
                other => Err(self.unexpected(other, "A-ASSOCIATE-RJ").await),
            },
            Ok(Pdu::Abort(a)) => match self.fsm(Event::Evt16) {
                Some(Action::Aa3) => Err(self.aa_3_abort_indication(a.source, a.reason).await),
                other => Err(self.off_table(Event::Evt16, other)),
            },
            Ok(other) => {
                let event = Event::for_pdu_type(other.pdu_type() as u8);
                Err(self
                    .pdu_error(
                        event,
                        abort_reason::UNEXPECTED_PDU,
                        format!(
                            "Unexpected {} while requesting an association",
                            other.pdu_type().name()
                        ),
                    )
                    .await)
            }
            Err(e) => {
                let reason = e.abort_reason();
                Err(self
                    .pdu_error(Event::Evt19, reason, format!("Invalid PDU: {e}"))
                    .await)
            }
        }
    }

    // ----- established ------------------------------------------------------------------

    async fn run_established(&mut self) -> End {
        while let Some(cmd) = self.early.pop_front() {
            if let Some(end) = self.on_command(cmd).await {
                return end;
            }
        }
        loop {
            // Answers held back while more requests were already in (`dt_1_send_p_data`) go
            // out before the task waits for anything.
            if self.unflushed && !self.reader.next_pdu_buffered() && !self.flush().await {
                return self.transport_closed(false).await;
            }
            let timed = self.timer.cover(self.next_deadline());
            self.reader.poll_allowed = !self.shared.handler_running();
            tokio::select! {
                biased;
                cmd = self.rx.recv() => {
                    let Some(cmd) = cmd else { continue };
                    if let Some(end) = self.on_command(cmd).await {
                        return end;
                    }
                }
                frame = self.reader.next() => {
                    self.last_rx = Instant::now();
                    let frame = match frame {
                        Ok(f) => f,
                        Err(e) => {
                            log::error(format_args!("[{}] Connection error: {e}", self.id()));
                            return self.transport_closed(false).await;
                        }
                    };
                    if let Some(end) = self.on_frame(frame).await {
                        return end;
                    }
                }
                _ = self.timer.fired(), if timed => {
                    if let Some(end) = self.on_deadline(Instant::now()).await {
                        return end;
                    }
                }
            }
        }
    }

    /// One frame from the reader while the association runs: the event of each PDU is
    /// looked up once and the action its cell names is performed.
    async fn on_frame(&mut self, frame: Frame) -> Option<End> {
        let (pdu_type, len) = match frame {
            Frame::Pdu { pdu_type, len } => (pdu_type, len),
            Frame::Closed { mid_pdu } => return Some(self.transport_closed(mid_pdu).await),
            other => return Some(self.bad_frame(&other).await),
        };
        self.data_received(len).await;
        match PduType::from_u8(pdu_type) {
            Some(PduType::PData) => {
                // A P-DATA-TF whose PDVs do not parse, or name a context that was not
                // accepted, or do not make valid DIMSE fragments, is an invalid PDU (Evt19),
                // not a P-DATA-TF (Evt10): read first, so that the PDU raises one event.
                let messages = match self.read_p_data(len) {
                    Ok(messages) => messages,
                    Err((reason, why)) => {
                        return Some(self.pdu_error(Event::Evt19, reason, why).await)
                    }
                };
                match self.fsm(Event::Evt10) {
                    Some(Action::Dt2 | Action::Ar6) => self.dt_2_p_data_received(messages).await,
                    other => Some(self.unexpected(other, "P-DATA-TF").await),
                }
            }
            Some(PduType::ReleaseRq) => match self.fsm(Event::Evt12) {
                Some(Action::Ar2) => self.ar_2_release_indication().await,
                Some(Action::Ar8) => self.ar_8_release_collision().await,
                other => Some(self.unexpected(other, "A-RELEASE-RQ").await),
            },
            Some(PduType::ReleaseRp) => match self.fsm(Event::Evt13) {
                Some(Action::Ar3) => Some(self.ar_3_release_confirmed().await),
                Some(Action::Ar10) => self.ar_10_release_confirmed_collision().await,
                other => Some(self.unexpected(other, "A-RELEASE-RP").await),
            },
            Some(PduType::Abort) => {
                let (source, reason) = match pdu::decode(self.reader.pdu(len)) {
                    Ok(Pdu::Abort(a)) => (a.source, a.reason),
                    _ => (SOURCE_PROVIDER, 0),
                };
                match self.fsm(Event::Evt16) {
                    Some(Action::Aa3) => Some(self.aa_3_abort_indication(source, reason).await),
                    other => Some(self.off_table(Event::Evt16, other)),
                }
            }
            Some(t @ (PduType::AssociateRq | PduType::AssociateAc | PduType::AssociateRj)) => {
                let event = Event::for_pdu_type(t as u8);
                Some(
                    self.pdu_error(
                        event,
                        abort_reason::UNEXPECTED_PDU,
                        format!("Unexpected {} received", t.name()),
                    )
                    .await,
                )
            }
            None => Some(self.bad_frame(&Frame::UnknownType(pdu_type)).await),
        }
    }

    /// A PDU the table does not expect here: `action` is what its one lookup named.
    async fn unexpected(&mut self, action: Option<Action>, what: &str) -> End {
        self.protocol_error(
            action,
            abort_reason::UNEXPECTED_PDU,
            format!("Unexpected {what} received"),
        )
        .await
    }

    /// One whole DIMSE message.
    async fn on_message(&mut self, context_id: u8, command: Vec<u8>) -> Option<End> {
        if self.observes(NotificationKind::DimseRecv) {
            self.notify(Notification::DimseRecv {
                context_id,
                command: command.clone(),
            })
            .await;
        }
        if dump::enabled() {
            // pynetdicom writes this line for every command set it decodes (always
            // implicit VR little endian, PS3.7 6.3.1); its users look for it with -d.
            log::debug(format_args!(
                "pydicom.read_dataset() TransferSyntax=\"Little Endian Implicit\""
            ));
        }
        let set = match dimse::decode_command_set(&command) {
            Ok(set) => set,
            Err(e) => {
                log::error(format_args!("[{}] Invalid command set: {e}", self.id()));
                return Some(self.local_abort().await);
            }
        };
        let field = set.get_us(dimse::tags::COMMAND_FIELD);
        match field.and_then(dimse::CommandField::from_u16) {
            Some(dimse::CommandField::CEchoRq) => {
                let message_id = set.get_us(dimse::tags::MESSAGE_ID).unwrap_or(0);
                let affected = set
                    .get_str(dimse::tags::AFFECTED_SOP_CLASS_UID)
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                drop(set); // it borrows `command`
                let request = EchoRequest {
                    context_id,
                    message_id,
                    affected,
                    command,
                };
                if self.queued.is_empty() && !self.shared.wait_for_handler() {
                    return self.on_echo_rq(request).await;
                }
                // One request at a time, in arrival order: this one waits its turn. A peer
                // may have as many outstanding as its window allows (and one more may cross a
                // handler's response before the handler returns). Beyond that it breaks the
                // agreement: it is still answered in order, as before windows were negotiated,
                // up to the message ID space, after which IDs must repeat and the peer is
                // aborted rather than queued without bound.
                let window = self.shared.info().map_or(1, |i| i.max_outstanding);
                if window != 0 && self.queued.len() == usize::from(window) {
                    log::warning(format_args!(
                        "[{}] The peer has more requests outstanding than its asynchronous \
                         operations window of {window}: answering them in order",
                        self.id()
                    ));
                }
                if self.queued.len() >= MAX_QUEUED {
                    log::error(format_args!(
                        "[{}] The peer has {MAX_QUEUED} requests waiting for a handler, more \
                         than message IDs can tell apart: aborting",
                        self.id()
                    ));
                    return Some(self.local_abort().await);
                }
                self.queued.push_back(request);
                if self.shared.wait_for_handler() {
                    None // the running handler's return wakes the task
                } else {
                    self.after_handler().await // it has returned already: serve the queue
                }
            }
            Some(dimse::CommandField::CCancelRq) => {
                if let Some(id) = set.get_us(dimse::tags::MESSAGE_ID_BEING_RESPONDED_TO) {
                    log::debug(format_args!("Received C-CANCEL-RQ for MsgID {id}"));
                    self.shared.cancel.record(id);
                }
                None
            }
            Some(dimse::CommandField::CEchoRsp) => {
                let responded = set.get_us(dimse::tags::MESSAGE_ID_BEING_RESPONDED_TO);
                let status = set.get_us(dimse::tags::STATUS);
                drop(set);
                let matched = match (responded, status) {
                    (Some(id), Some(status)) => self
                        .shared
                        .outstanding()
                        .take(id, None)
                        .map(|p| (p, status)),
                    _ => None,
                };
                match matched {
                    Some((pending, status)) => {
                        pending
                            .reply
                            .send(EchoOutcome::Response { status, command });
                        None
                    }
                    _ => {
                        log::error(format_args!(
                            "[{}] Received a C-ECHO-RSP that matches no outstanding request (MsgID {:?})",
                            self.id(),
                            responded
                        ));
                        Some(self.local_abort().await)
                    }
                }
            }
            Some(other) if !other.is_response() => {
                // A request this Verification service does not provide: refuse it.
                let message_id = set.get_us(dimse::tags::MESSAGE_ID).unwrap_or(0);
                let affected = set
                    .get_str(dimse::tags::AFFECTED_SOP_CLASS_UID)
                    .map(|s| s.to_vec());
                drop(set);
                log::warning(format_args!(
                    "Received unsupported {} (MsgID {message_id})",
                    other.name()
                ));
                let rsp_field = 0x8000 | other.value();
                let mut rsp = dimse::CommandSet::new();
                if let Some(a) = affected {
                    rsp.set_uid(dimse::tags::AFFECTED_SOP_CLASS_UID, &a);
                }
                rsp.set_us(dimse::tags::COMMAND_FIELD, rsp_field);
                rsp.set_us(dimse::tags::MESSAGE_ID_BEING_RESPONDED_TO, message_id);
                rsp.set_us(dimse::tags::COMMAND_DATA_SET_TYPE, 0x0101);
                rsp.set_us(dimse::tags::STATUS, STATUS_UNRECOGNIZED_OPERATION);
                let mut bytes = Vec::new();
                rsp.encode(&mut bytes);
                self.write_message(context_id, bytes).await
            }
            _ => {
                log::error(format_args!(
                    "[{}] Received an unexpected DIMSE message (CommandField {field:?})",
                    self.id()
                ));
                Some(self.local_abort().await)
            }
        }
    }

    async fn on_echo_rq(&mut self, request: EchoRequest) -> Option<End> {
        let EchoRequest {
            context_id,
            message_id,
            affected,
            command,
        } = request;
        log::info(format_args!("Received Echo Request (MsgID {message_id})"));
        self.shared.cancel.clear();
        let context_is_verification = self
            .shared
            .info()
            .and_then(|i| i.contexts.iter().find(|c| c.context_id == context_id))
            .is_some_and(|c| {
                uid::trim_padding(c.abstract_syntax.as_bytes()) == uid::VERIFICATION.as_bytes()
            });
        if affected != uid::VERIFICATION.as_bytes() || !context_is_verification {
            // Never Success for something that is not a Verification request.
            let status = STATUS_SOP_CLASS_NOT_SUPPORTED;
            log::warning(format_args!(
                "C-ECHO-RQ for a SOP Class other than Verification: answering 0x{status:04X}"
            ));
            return self
                .send_echo_rsp(context_id, message_id, &affected, status)
                .await;
        }
        if self.shared.handles_echo() {
            let ind = EchoIndication {
                context_id,
                message_id,
                affected_sop_class_uid: String::from_utf8_lossy(&affected).into_owned(),
                command,
            };
            let hooks = Arc::clone(&self.hooks);
            let shared = Arc::clone(&self.shared);
            shared.enter_handler();
            super::handler_pool::handler_pool().spawn(Box::new(move || {
                // The hook must never take the association down with a panic.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    hooks.c_echo(&shared, ind)
                }));
                shared.handler_done();
            }));
            None
        } else {
            self.send_echo_rsp(context_id, message_id, &affected, STATUS_SUCCESS)
                .await
        }
    }

    async fn send_echo_rsp(
        &mut self,
        context_id: u8,
        message_id: u16,
        affected: &[u8],
        status: u16,
    ) -> Option<End> {
        let mut command = Vec::with_capacity(78);
        dimse::CEchoRsp::new(message_id, affected, status).encode(&mut command);
        self.write_message(context_id, command).await
    }

    /// Evt9 raised by the task for one DIMSE message of its own (an answer it gives itself,
    /// a request from `Command::Echo`, a message from `Command::Send`): looks it up and, in
    /// the same step of the owner, queues the message's P-DATA-TF PDUs (`encode`) if the
    /// table names DT-1 or AR-7, then performs that action. With no cell (no association
    /// yet, or it is ending) the message is not sent.
    async fn p_data_request(
        &mut self,
        context_id: u8,
        command: Vec<u8>,
        encode: impl FnOnce(&[u8], &mut Vec<u8>),
    ) -> Option<End> {
        let (action, queued) = self
            .shared
            .link
            .event_and_queue(Event::Evt9, |action, buf| {
                let send = matches!(action, Action::Dt1 | Action::Ar7);
                if send {
                    encode(&command, buf);
                }
                send
            });
        match action {
            Some(Action::Dt1 | Action::Ar7) => {
                self.dt_1_send_p_data(queued, context_id, command).await
            }
            _ => None,
        }
    }

    /// Evt9 for a DIMSE message the task encodes itself: `command` as P-DATA-TF PDUs no
    /// larger than the peer takes.
    async fn write_message(&mut self, context_id: u8, command: Vec<u8>) -> Option<End> {
        let peer_max = self.shared.info().map_or(0, |i| i.peer_max_pdu_length);
        self.p_data_request(context_id, command, |command, buf| {
            dimse::write_message(buf, context_id, command, None, peer_max);
        })
        .await
    }

    async fn on_command(&mut self, cmd: Command) -> Option<End> {
        match cmd {
            Command::Send(message) => {
                let Outgoing {
                    pdus,
                    context_id,
                    command,
                } = message;
                self.p_data_request(context_id, command, |_, buf| {
                    buf.extend_from_slice(&pdus);
                })
                .await
            }
            Command::Echo {
                message_id,
                context_id,
                reply,
            } => {
                let window = self.shared.info().map_or(1, |i| i.max_outstanding);
                if !matches!(self.state(), State::Sta6) {
                    reply.send(EchoOutcome::Aborted);
                    return None;
                }
                let deadline = self.shared.timeouts().dimse.map(|t| Instant::now() + t);
                {
                    let mut outstanding = self.shared.outstanding();
                    if let Err(e) = outstanding.room_for(message_id, window) {
                        drop(outstanding);
                        log::error(format_args!("[{}] Echo not sent: {e}", self.id()));
                        reply.send(EchoOutcome::Aborted);
                        return None;
                    }
                    outstanding.push(PendingEcho::new(message_id, reply, deadline));
                }
                log::info(format_args!("Sending Echo Request: MsgID {message_id}"));
                let command = verification_echo_rq(message_id);
                self.write_message(context_id, command).await
            }
            Command::Release { reply } => self.request_release(Some(reply)).await,
            Command::Abort { reply } => Some(self.abort_command(reply).await),
            Command::Flush => {
                if self.flush().await {
                    None
                } else {
                    Some(self.transport_closed(false).await)
                }
            }
            Command::DimseTimeout { message_id, token } => {
                let expired = self.shared.outstanding().take(message_id, token);
                Some(self.dimse_timed_out(expired?).await)
            }
            Command::HandlerDone => self.after_handler().await,
            Command::Wake => {
                // Deadlines are recomputed before the task sleeps again.
                let t = self.shared.timeouts();
                self.reader.stall = Some(t.stall());
                self.shared.link.set_artim_timeout(t.artim());
                None
            }
        }
    }

    /// Evt11, the A-RELEASE request primitive: from `release()` (with its `reply`) or from
    /// the network timeout when `network_timeout_response` is "A-RELEASE". With no cell
    /// (not Sta6: no association, or it is already ending) `reply` is told it was aborted.
    async fn request_release(&mut self, reply: Option<Reply<ReleaseOutcome>>) -> Option<End> {
        match self.fsm(Event::Evt11) {
            Some(Action::Ar1) => self.ar_1_send_release_rq(reply).await,
            _ => {
                if let Some(reply) = reply {
                    reply.send(ReleaseOutcome::Aborted);
                }
                None
            }
        }
    }

    /// The handler returned while requests or a release were waiting for it.
    async fn after_handler(&mut self) -> Option<End> {
        loop {
            while !self.shared.handler_running() {
                let Some(request) = self.queued.pop_front() else {
                    break;
                };
                if let Some(end) = self.on_echo_rq(request).await {
                    return Some(end);
                }
            }
            if self.shared.handler_running() {
                // A queued request started another handler.
                if (!self.queued.is_empty() || self.release_deferred)
                    && !self.shared.wait_for_handler()
                {
                    continue; // it has already returned
                }
                return None;
            }
            if self.release_deferred {
                self.release_deferred = false;
                return self.release_response().await;
            }
            return None;
        }
    }

    /// Evt14, the A-RELEASE response primitive, which the engine issues itself as the
    /// local user: once no response is still due after the peer's A-RELEASE-RQ (Sta8:
    /// AR-4), or at once in a release collision (Sta9: AR-9; Sta12, after AR-10: AR-4;
    /// Sta10 has no cell, the answer waits for the peer's RP there, AR-10).
    async fn release_response(&mut self) -> Option<End> {
        match self.fsm(Event::Evt14) {
            Some(Action::Ar4) => Some(self.ar_4_send_release_rp().await),
            Some(Action::Ar9) => self.ar_9_send_release_rp_collision().await,
            _ => None,
        }
    }

    // ----- the actions of PS3.8 Tables 9-6 to 9-9 ----------------------------------------
    //
    // One method per action the engine performs, named for it, each called with the action
    // one lookup of its event named (the cells are in `rust/ul/table.rs`). When one runs,
    // the machine is already in the cell's next state and has started or stopped ARTIM as
    // the action says (`ul::StateMachine::on_event`). AE-1 is `client.rs`'s (the connect,
    // before the task begins). AR-6 and AR-7 are DT-2 and DT-1 while releasing, the same
    // text in PS3.8, and share their methods.

    /// AE-2, "Send A-ASSOCIATE-RQ PDU" (Sta4 to Sta5), then EVT_REQUESTED. Gives `rq` back,
    /// to check the answer against.
    async fn ae_2_send_rq(
        &mut self,
        rq: pdu::Associate<'static>,
    ) -> Result<pdu::Associate<'static>, End> {
        log::info(format_args!("Requesting Association"));
        if dump::enabled() {
            dump::log_lines(&dump::associate_rq(&rq, true));
        }
        let rq_pdu = Pdu::AssociateRq(rq);
        if !self.send_pdu(&rq_pdu).await {
            self.shared.set_lifecycle(Lifecycle::Aborted);
            return Err(End::Close);
        }
        self.notify(Notification::Requested).await;
        let Pdu::AssociateRq(rq) = rq_pdu else {
            unreachable!("constructed above")
        };
        Ok(rq)
    }

    /// AE-3, "Issue A-ASSOCIATE confirmation (accept) primitive" (Sta5 to Sta6): the AC
    /// `ac` is checked against our request `rq` (PS3.8 9.3.3), the association recorded,
    /// and the user told (EVT_ACCEPTED, EVT_ESTABLISHED). An AC that does not answer the
    /// request, or accepts no presentation context, is aborted (Evt15), as pynetdicom's
    /// requestor does.
    async fn ae_3_accepted(
        &mut self,
        cfg: &ClientConfig,
        rq: &pdu::Associate<'static>,
        ac: &pdu::Associate<'static>,
    ) -> Result<(), End> {
        if dump::enabled() {
            dump::log_lines(&dump::associate_ac(ac, rq, false));
        }
        match assoc::process_ac(&cfg.requestor, rq, ac) {
            Ok(est) => {
                for why in &est.unusable_acceptances {
                    log::warning(format_args!("[{}] The A-ASSOCIATE-AC: {why}", self.id()));
                }
                let any_accepted = est.contexts.iter().any(|c| c.result == 0);
                self.shared.set_info(AssocInfo {
                    contexts: est.contexts,
                    peer_max_pdu_length: est.peer_max_pdu_length,
                    local_max_pdu_length: cfg.requestor.maximum_pdu_length,
                    local_ae_title: cfg.requestor.calling_ae_title.clone(),
                    peer_ae_title: cfg.requestor.called_ae_title.clone(),
                    request: Arc::new(RequestSummary::of(rq)),
                    peer_implementation_class_uid: est.peer_implementation_class_uid,
                    peer_implementation_version_name: est.peer_implementation_version_name,
                    user_identity: None,
                    user_identity_response: est.user_identity_response,
                    max_outstanding: est.max_outstanding,
                    proposed_async_ops_window: cfg.requestor.async_ops_window,
                    async_ops_window: est.async_ops_window,
                    accepted_sop_class_extended: est.sop_class_extended,
                });
                if !any_accepted {
                    // Nothing can be sent on it: abort, as pynetdicom's requestor does.
                    self.notify(Notification::Accepted).await;
                    log::error(format_args!("No accepted presentation contexts"));
                    return Err(self.local_abort().await);
                }
                log::info(format_args!("Association Accepted"));
                self.shared.set_lifecycle(Lifecycle::Established);
                self.notify(Notification::Accepted).await;
                self.notify(Notification::Established).await;
                Ok(())
            }
            Err(e) => {
                log::error(format_args!("Invalid A-ASSOCIATE-AC: {e}: aborting"));
                Err(self.local_abort().await)
            }
        }
    }

    /// AE-4, "Issue A-ASSOCIATE confirmation (reject) primitive and close transport
    /// connection" (Sta5 to Sta1): the rejection (`result`, `source`, `reason`) is recorded,
    /// logged and told to the user (EVT_REJECTED); the connection closes.
    async fn ae_4_rejected(&mut self, result: u8, source: u8, reason: u8) -> End {
        self.shared.set_rejection((result, source, reason));
        self.shared.set_lifecycle(Lifecycle::Rejected);
        log::error(format_args!("Association Rejected"));
        log::error(format_args!(
            "{}",
            assoc::Rejection {
                result,
                source,
                reason
            }
            .describe()
        ));
        self.notify(Notification::Rejected {
            result,
            source,
            reason,
        })
        .await;
        End::Close
    }

    /// AE-5, "Issue Transport connection response primitive; start ARTIM timer" (Sta1 to
    /// Sta2): the connection is open (EVT_CONN_OPEN); the A-ASSOCIATE-RQ is awaited under
    /// ARTIM.
    async fn ae_5_connection_open(&mut self) {
        self.notify(Notification::ConnOpen).await;
    }

    /// AE-6, "Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue
    /// A-ASSOCIATE indication primitive (next state Sta3); otherwise issue A-ASSOCIATE-RJ
    /// PDU and start ARTIM timer (next state Sta13)". Every RQ that decodes is taken as
    /// acceptable here and indicated (EVT_REQUESTED); what the provider cannot accept (no
    /// presentation context, PS3.8 9.3.2; the server's association limit) is then rejected
    /// by the answer to the indication (Evt8, AE-8: the same RJ, and ARTIM started).
    async fn ae_6_rq_received(&mut self, rq: &pdu::Associate<'static>) {
        if dump::enabled() {
            dump::log_lines(&dump::associate_rq(rq, false));
        }
        if !rq
            .items
            .iter()
            .any(|i| matches!(i, pdu::Item::PresentationContextRq(_)))
        {
            log::error(format_args!(
                "[{}] The A-ASSOCIATE-RQ proposes no presentation context (PS3.8 9.3.2 \
                 requires one or more): rejecting (1, 2, 1)",
                self.id()
            ));
        }
        self.notify(Notification::Requested).await;
    }

    /// AE-7, "Send A-ASSOCIATE-AC PDU" (Sta3 to Sta6). The AC was queued (`queued`) in the
    /// step of the owner that looked Evt7 up (`accept_response`), so nothing another thread
    /// sends can precede it; this writes it. If the connection went before the AC did, the
    /// user, told it was established, is told it ended.
    async fn ae_7_send_ac(&mut self, queued: bool) -> Result<(), End> {
        if !queued || !self.flush().await {
            self.become_aborted(false, SOURCE_PROVIDER, 0).await;
            return Err(End::Close);
        }
        Ok(())
    }

    /// AE-8, "Send A-ASSOCIATE-RJ PDU and start ARTIM timer" (Sta3 to Sta13): the rejection
    /// `rj` is recorded and EVT_REJECTED's handlers run before the RJ goes out, as
    /// EVT_ACCEPTED's do before the AC; then the peer's close is awaited under ARTIM.
    async fn ae_8_send_rj(&mut self, rj: assoc::Rejection) -> End {
        self.shared.set_rejection((rj.result, rj.source, rj.reason));
        self.shared.set_lifecycle(Lifecycle::Rejected);
        self.notify(Notification::Rejected {
            result: rj.result,
            source: rj.source,
            reason: rj.reason,
        })
        .await;
        let _ = self
            .send_pdu(&Pdu::reject(rj.result, rj.source, rj.reason))
            .await;
        End::AwaitClose
    }

    /// DT-1, "Send P-DATA-TF PDU" (Sta6), and AR-7, "Issue P-DATA-TF PDU" (Sta8), the same
    /// action while the peer's release waits for our responses. The PDUs of the message
    /// (`command` on `context_id`) were queued (`queued`) in the step of the owner that
    /// looked Evt9 up (`p_data_request`); this writes them, unless the peer's next PDU is
    /// already in, in which case the write waits for the answers to it so that requests
    /// that arrived together are answered with one `send` (`run_established`). Then
    /// EVT_DIMSE_SENT. (A handler's response and `send_c_echo()` perform DT-1 on their own
    /// threads: `Link::p_data`.)
    async fn dt_1_send_p_data(
        &mut self,
        queued: bool,
        context_id: u8,
        command: Vec<u8>,
    ) -> Option<End> {
        if !queued {
            return None;
        }
        let observed = self.observes(NotificationKind::DimseSent);
        if !observed && self.reader.next_pdu_buffered() {
            self.unflushed = true;
            return None;
        }
        if !self.flush().await {
            return Some(self.transport_closed(false).await);
        }
        if observed {
            self.notify(Notification::DimseSent {
                context_id,
                command,
            })
            .await;
        }
        None
    }

    /// DT-2, "Send P-DATA indication primitive" (Sta6), and AR-6, "Issue P-DATA indication"
    /// (Sta7), the same action while our release request waits for its answer: every
    /// message the P-DATA-TF completed (`read_p_data`), in order (`on_message`).
    async fn dt_2_p_data_received(&mut self, messages: Messages) -> Option<End> {
        for (context_id, command) in messages {
            if let Some(end) = self.on_message(context_id, command).await {
                return Some(end);
            }
        }
        None
    }

    /// Reads the P-DATA-TF of `len` bytes in the reader, in one pass: its PDVs (at least
    /// one, each on an accepted presentation context) into the DIMSE assembler, and the
    /// messages they complete, (context ID, command set). Otherwise it is an invalid PDU:
    /// the A-ABORT reason and the log line. The assembler may be left holding part of a
    /// message then; nothing reads it again, as the association is aborted.
    fn read_p_data(&mut self, len: usize) -> Result<Messages, Fault> {
        let pdu_bytes = self.reader.pdu(len);
        let body = &pdu_bytes[pdu::HEADER_LEN..];
        let info = self.shared.info();
        let mut messages = Vec::new();
        let mut count = 0usize;
        for pdv in pdu::pdvs(body) {
            let pdv = pdv.map_err(|e| (e.abort_reason(), format!("Invalid P-DATA-TF: {e}")))?;
            count += 1;
            let accepted = info.is_some_and(|i| {
                i.contexts
                    .iter()
                    .any(|c| c.context_id == pdv.context_id && c.result == 0)
            });
            if !accepted {
                return Err((
                    abort_reason::INVALID_PDU_PARAMETER_VALUE,
                    format!(
                        "PDV on presentation context {} which is not accepted",
                        pdv.context_id
                    ),
                ));
            }
            let complete = self
                .assembler
                .push(pdv.context_id, pdv.message_control, &pdv.data)
                .map_err(|e| {
                    (
                        abort_reason::INVALID_PDU_PARAMETER_VALUE,
                        format!("Invalid DIMSE fragment: {e}"),
                    )
                })?;
            if let Some(msg) = complete {
                messages.push((msg.context_id, msg.command.to_vec()));
            }
        }
        if count == 0 {
            return Err((
                abort_reason::INVALID_PDU_PARAMETER_VALUE,
                "P-DATA-TF without any PDV".into(),
            ));
        }
        Ok(messages)
    }

    /// AR-1, "Send A-RELEASE-RQ PDU" (Sta6 to Sta7): the association is releasing, the
    /// answer is awaited under the ACSE timeout, and `reply` (`release()`'s) is told how it
    /// ended once the connection is closed.
    async fn ar_1_send_release_rq(&mut self, reply: Option<Reply<ReleaseOutcome>>) -> Option<End> {
        log::info(format_args!("Releasing Association"));
        self.shared.set_lifecycle(Lifecycle::Releasing);
        self.release_reply = reply;
        self.acse_deadline = self.shared.timeouts().acse.map(|t| Instant::now() + t);
        if !self.send_pdu(&Pdu::release_rq()).await {
            return Some(self.transport_closed(false).await);
        }
        None
    }

    /// AR-2, "Issue A-RELEASE indication primitive" (Sta6 to Sta8). The engine is the
    /// local user that answers it (Evt14, [`Self::release_response`]): at once, or once
    /// the responses still due (a running handler's, the requests waiting for it) have
    /// gone out, which Sta8 allows (AR-7).
    async fn ar_2_release_indication(&mut self) -> Option<End> {
        log::info(format_args!("Received Association Release Request"));
        self.shared.set_lifecycle(Lifecycle::Releasing);
        if !self.queued.is_empty() || self.shared.wait_for_handler() {
            self.release_deferred = true;
            if self.shared.wait_for_handler() {
                return None;
            }
            return self.after_handler().await;
        }
        self.release_response().await
    }

    /// AR-3, "Issue A-RELEASE confirmation primitive, and close transport connection"
    /// (Sta7 or Sta11 to Sta1): our release is confirmed (EVT_RELEASED; `release()` is told
    /// once the connection is closed), and the connection closes.
    async fn ar_3_release_confirmed(&mut self) -> End {
        self.acse_deadline = None;
        self.shared.set_lifecycle(Lifecycle::Released);
        log::info(format_args!("Association Released"));
        self.ended_logged = true;
        self.released = true;
        self.notify(Notification::Released).await;
        End::Close
    }

    /// AR-4, "Issue A-RELEASE-RP PDU and start ARTIM timer" (Sta8 or Sta12 to Sta13), then
    /// the peer's close is awaited under ARTIM.
    ///
    /// After the peer's A-RELEASE-RQ (Sta8) the association is released before the RP goes
    /// out: once the peer holds the RP (its release() has returned), anyone asking about
    /// this end must find it released, as with the AC and "established", and the user's
    /// EVT_RELEASED handlers have run (pynetdicom runs them just after, which a peer usually
    /// does not beat). An abort() from such a handler does not wait on this task
    /// (`waits_on_this_thread`) and is moot: the release is answered here and the
    /// association is over. In a collision (Sta12) AR-10 has recorded and told that already.
    async fn ar_4_send_release_rp(&mut self) -> End {
        if self.shared.lifecycle() != Lifecycle::Released {
            self.shared.set_lifecycle(Lifecycle::Released);
            log::info(format_args!("Association Released"));
            self.ended_logged = true;
            self.notify(Notification::Released).await;
        }
        let _ = self.send_pdu(&Pdu::release_rp()).await;
        End::AwaitClose
    }

    /// AR-5, "Stop ARTIM timer" (Sta13 to Sta1): the peer closed the transport after the
    /// end of the association; ours closes too.
    fn ar_5_stop_artim(&self) -> End {
        End::Close
    }

    /// AR-8, "Issue A-RELEASE indication (release collision): if association-requestor,
    /// next state is Sta9, if not next state is Sta10". The engine answers at once (Evt14):
    /// the requestor sends its RP (AR-9); the acceptor's answer has no cell in Sta10 and
    /// waits for the peer's RP (AR-10).
    async fn ar_8_release_collision(&mut self) -> Option<End> {
        self.release_response().await
    }

    /// AR-9, "Send A-RELEASE-RP PDU" (Sta9 to Sta11): the requestor's answer in a release
    /// collision; the peer's RP comes next (AR-3).
    async fn ar_9_send_release_rp_collision(&mut self) -> Option<End> {
        let _ = self.send_pdu(&Pdu::release_rp()).await;
        None
    }

    /// AR-10, "Issue A-RELEASE confirmation primitive" (Sta10 to Sta12): the acceptor's own
    /// release is confirmed (EVT_RELEASED; `release()` is told once the connection is
    /// closed), then it answers the peer's request at once (Evt14: AR-4 sends the RP).
    async fn ar_10_release_confirmed_collision(&mut self) -> Option<End> {
        self.shared.set_lifecycle(Lifecycle::Released);
        self.released = true;
        self.notify(Notification::Released).await;
        self.release_response().await
    }

    /// AA-1, "Send A-ABORT PDU (service-user source) and start (or restart if already
    /// started) ARTIM timer" (to Sta13): the A-ABORT (0, 0), our side of the connection
    /// shut down for writing, the user told (EVT_ABORTED); then the peer's close is awaited
    /// under ARTIM. Performed for the A-ABORT request (Evt15) and, before any association
    /// (Sta2), for a PDU out of place, as PS3.8 says (the reason is then not significant
    /// and sent as 0).
    async fn aa_1_send_abort(&mut self) -> End {
        log::info(format_args!("Aborting Association"));
        self.send_abort(SOURCE_USER, 0).await;
        self.become_aborted(false, SOURCE_USER, 0).await;
        End::AwaitClose
    }

    /// AA-2, "Stop ARTIM timer if running. Close transport connection" (to Sta1).
    fn aa_2_close(&self) -> End {
        End::Close
    }

    /// AA-3, "If (service-user initiated abort): issue A-ABORT indication and close
    /// transport connection; otherwise (service-provider initiated abort): issue A-P-ABORT
    /// indication and close transport connection" (to Sta1): the peer's A-ABORT, with its
    /// `source` and `reason`, to the user (EVT_ABORTED, logged as an A-ABORT or an
    /// A-P-ABORT by `source`); the connection closes.
    async fn aa_3_abort_indication(&mut self, source: u8, reason: u8) -> End {
        self.become_aborted(true, source, reason).await;
        End::Close
    }

    /// AA-4, "Issue A-P-ABORT indication primitive" (to Sta1): the transport is gone; the
    /// user is told (EVT_ABORTED), if an association was requested or accepted.
    async fn aa_4_provider_abort_indication(&mut self) -> End {
        self.become_aborted(false, SOURCE_PROVIDER, 0).await;
        End::Close
    }

    /// AA-5, "Stop ARTIM timer" (Sta2 to Sta1): the peer closed before any A-ASSOCIATE-RQ;
    /// nothing to report but the close.
    fn aa_5_stop_artim(&self) -> End {
        End::Close
    }

    /// AA-6, "Ignore PDU" (Sta13): the wait for the close goes on.
    fn aa_6_ignore(&self) -> End {
        End::AwaitClose
    }

    /// AA-7, "Send A-ABORT PDU" (Sta13), with the service-provider source and `reason`;
    /// the wait for the close goes on.
    async fn aa_7_send_abort(&mut self, reason: u8) -> End {
        let _ = self.send_pdu(&Pdu::abort(SOURCE_PROVIDER, reason)).await;
        End::AwaitClose
    }

    /// AA-8, "Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and
    /// start ARTIM timer" (to Sta13): the A-ABORT (2, `reason`), our side of the connection
    /// shut down for writing, the user told (EVT_ABORTED); then the peer's close is awaited
    /// under ARTIM.
    async fn aa_8_send_provider_abort(&mut self, reason: u8) -> End {
        log::info(format_args!("Aborting Association"));
        self.send_abort(SOURCE_PROVIDER, reason).await;
        self.become_aborted(false, SOURCE_PROVIDER, reason).await;
        End::AwaitClose
    }

    /// Closes the connection and tells whoever still waits.
    async fn finish(mut self) {
        if !self.ended_logged
            && matches!(
                self.shared.lifecycle(),
                Lifecycle::Established | Lifecycle::Releasing
            )
        {
            self.become_aborted(false, SOURCE_PROVIDER, 0).await;
        }
        self.fail_outstanding();
        self.shared.link.close();
        if !self.peer_closed {
            let _ = self.writer.shutdown().await;
        }
        if self.shared.lifecycle() != Lifecycle::Aborted {
            // After an abort, "Association Aborted" was the last word (pynetdicom logs
            // nothing more, and its users check that nothing follows).
            log::debug(format_args!("[{}] Connection closed", self.id()));
        }
        self.notify(Notification::ConnClose).await;
        // Last, as in pynetdicom: `release()` and `abort()` return once every handler of
        // the end of the association has run.
        if let Some(r) = self.release_reply.take() {
            r.send(if self.released {
                ReleaseOutcome::Released
            } else {
                ReleaseOutcome::Aborted
            });
        }
        for r in self.abort_replies.drain(..) {
            r.send(());
        }
        // Either the write side is shut down already or the peer closed first: closing the
        // descriptor (when the read half drops) is all that is left, with no second
        // shutdown(2) from the write half's drop.
        let Task { writer, .. } = self;
        writer.forget();
    }
}

/// Why `frame` is an invalid PDU (Evt19): the A-ABORT reason and the log line. `None` for a
/// frame that is a PDU, or the end of the stream.
fn frame_fault(frame: &Frame) -> Option<Fault> {
    Some(match *frame {
        Frame::UnknownType(t) => {
            // 0x16 starts a TLS handshake record, 0x15 a TLS alert: name the mismatch.
            let why = match t {
                0x16 => format!(
                    "Unrecognised PDU type 0x{t:02X} received: it looks like a TLS handshake, \
                     the peer uses TLS on a connection without it"
                ),
                0x15 => format!(
                    "Unrecognised PDU type 0x{t:02X} received: it looks like a TLS alert, the \
                     peer expects TLS on this connection"
                ),
                _ => format!("Unrecognised PDU type 0x{t:02X} received"),
            };
            (abort_reason::UNRECOGNIZED_PDU, why)
        }
        Frame::TooLarge {
            pdu_type,
            length,
            limit,
        } => {
            let name = PduType::from_u8(pdu_type).map_or("PDU", PduType::name);
            (
                abort_reason::INVALID_PDU_PARAMETER_VALUE,
                format!("{name} of {length} bytes exceeds the maximum of {limit}"),
            )
        }
        Frame::Stalled => (
            abort_reason::NOT_SPECIFIED,
            "The peer stalled in the middle of a PDU".to_string(),
        ),
        Frame::Pdu { .. } | Frame::Closed { .. } => return None,
    })
}

/// The user identity sub-item of an A-ASSOCIATE-RQ, detached from the PDU.
fn identity_of(rq: &pdu::Associate<'_>) -> Option<assoc::UserIdentity> {
    rq.user_identity_rq().map(|u| assoc::UserIdentity {
        identity_type: u.identity_type,
        positive_response_requested: u.positive_response_requested != 0,
        primary: u.primary.to_vec(),
        secondary: u.secondary.to_vec(),
    })
}

/// Serves one accepted connection from the A-ASSOCIATE-RQ to the close.
pub(crate) async fn serve(
    conn: Conn,
    shared: Arc<AssocShared>,
    hooks: Arc<dyn Hooks>,
    rx: UnboundedReceiver<Command>,
    cfg: Arc<ServerConfig>,
    over_limit: bool,
) {
    let mut task = Task::new(
        conn,
        shared,
        hooks,
        rx,
        UlRole::Acceptor,
        cfg.acceptor.maximum_pdu_length,
        cfg.poll_ceiling,
    );
    let end = match task.accept(&cfg, over_limit).await {
        Ok(()) => task.run_established().await,
        Err(end) => end,
    };
    if let End::AwaitClose = end {
        task.await_close().await;
    }
    task.finish().await;
}

/// Runs one outgoing association; `done` gets it once it is established, rejected or failed.
pub(crate) async fn request(
    conn: Conn,
    shared: Arc<AssocShared>,
    hooks: Arc<dyn Hooks>,
    rx: UnboundedReceiver<Command>,
    cfg: Arc<ClientConfig>,
    rq: pdu::Associate<'static>,
    done: Reply<Result<Arc<AssocShared>, NetError>>,
) {
    let mut task = Task::new(
        conn,
        shared,
        hooks,
        rx,
        UlRole::Requestor,
        cfg.requestor.maximum_pdu_length,
        cfg.poll_ceiling,
    );
    let outcome = task.request(&cfg, rq).await;
    done.send(Ok(Arc::clone(&task.shared)));
    let end = match outcome {
        Ok(()) => task.run_established().await,
        Err(end) => end,
    };
    if let End::AwaitClose = end {
        task.await_close().await;
    }
    task.finish().await;
}
