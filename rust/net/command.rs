//! What other threads ask of an association's task ([`Command`]), and how the task
//! answers them ([`Reply`]).

use std::sync::mpsc::SyncSender;

use super::outstanding::EchoOutcome;
use super::waiter::Waiter;

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
    /// Another thread queued bytes in the association's owner (`link.rs`): write them.
    Flush,
    /// A setting the task reads changed (timeouts, observed events): look again.
    Wake,
    /// A direct C-ECHO's DIMSE timeout expired: its blocking caller gave up waiting
    /// (`token: None`), or its alarm went off (the request's token, so that an alarm that
    /// raced the response never ends a later request with the same message ID).
    DimseTimeout { message_id: u16, token: Option<u64> },
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
