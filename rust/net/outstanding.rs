//! The SCU's requests awaiting their responses: each with its reply, its DIMSE deadline
//! or alarm, and the bookkeeping of the asynchronous operations window.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::Instant;

use tokio::sync::mpsc::UnboundedSender;

use crate::dimse;
use crate::uid;

use super::command::{Command, Reply};
use super::error::NetError;
use super::timer::Alarm;

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

/// The waker of an [`Alarm`] for request `message_id`'s DIMSE timeout (`token` tells it from
/// a later request with the same ID): when it goes off, the task is told.
pub(crate) fn dimse_alarm(tx: UnboundedSender<Command>, message_id: u16, token: u64) -> Waker {
    Waker::from(Arc::new(DimseAlarm {
        tx,
        message_id,
        token,
    }))
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
