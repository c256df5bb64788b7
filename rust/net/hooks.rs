//! The points where the layer above (Python, or a native test) observes and decides.
//!
//! Hooks are called on the handler pool's threads (`handler_pool`), never on the runtime's
//! workers, so a slow handler delays only its own association. An association calls a hook only if it says it observes
//! the event: with nothing bound, no thread hop and no GIL are ever involved.

use std::sync::Arc;

use crate::assoc::{IdentityDecision, SopClassCommonExtended, SopClassExtended, UserIdentity};

use super::shared::AssocShared;

/// Notification events, as pynetdicom names them (`evt.EVT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    ConnOpen,
    ConnClose,
    Requested,
    Accepted,
    Rejected,
    Established,
    Released,
    Aborted,
    DimseRecv,
    DimseSent,
    DataRecv,
    DataSent,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 12] = [
        Self::ConnOpen,
        Self::ConnClose,
        Self::Requested,
        Self::Accepted,
        Self::Rejected,
        Self::Established,
        Self::Released,
        Self::Aborted,
        Self::DimseRecv,
        Self::DimseSent,
        Self::DataRecv,
        Self::DataSent,
    ];

    /// pynetdicom's event name without the `EVT_` prefix.
    pub fn name(self) -> &'static str {
        match self {
            Self::ConnOpen => "CONN_OPEN",
            Self::ConnClose => "CONN_CLOSE",
            Self::Requested => "REQUESTED",
            Self::Accepted => "ACCEPTED",
            Self::Rejected => "REJECTED",
            Self::Established => "ESTABLISHED",
            Self::Released => "RELEASED",
            Self::Aborted => "ABORTED",
            Self::DimseRecv => "DIMSE_RECV",
            Self::DimseSent => "DIMSE_SENT",
            Self::DataRecv => "DATA_RECV",
            Self::DataSent => "DATA_SENT",
        }
    }

    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// One notification with what the observer needs to know.
#[derive(Debug, Clone)]
pub enum Notification {
    ConnOpen,
    ConnClose,
    Requested,
    Accepted,
    Rejected {
        result: u8,
        source: u8,
        reason: u8,
    },
    Established,
    Released,
    /// `source`/`reason` from the A-ABORT (or 2/0 for a lost connection).
    Aborted {
        by_peer: bool,
        source: u8,
        reason: u8,
    },
    /// A whole DIMSE message arrived: its context and command set bytes.
    DimseRecv {
        context_id: u8,
        command: Vec<u8>,
    },
    /// A DIMSE message was sent.
    DimseSent {
        context_id: u8,
        command: Vec<u8>,
    },
    /// One whole PDU arrived, header included, before it is decoded (pynetdicom's
    /// EVT_DATA_RECV `event.data`). Copied only while this kind is observed.
    DataRecv {
        data: Vec<u8>,
    },
    /// One whole PDU, header included, was handed to the transport (EVT_DATA_SENT).
    DataSent {
        data: Vec<u8>,
    },
}

impl Notification {
    pub fn kind(&self) -> NotificationKind {
        match self {
            Self::ConnOpen => NotificationKind::ConnOpen,
            Self::ConnClose => NotificationKind::ConnClose,
            Self::Requested => NotificationKind::Requested,
            Self::Accepted => NotificationKind::Accepted,
            Self::Rejected { .. } => NotificationKind::Rejected,
            Self::Established => NotificationKind::Established,
            Self::Released => NotificationKind::Released,
            Self::Aborted { .. } => NotificationKind::Aborted,
            Self::DimseRecv { .. } => NotificationKind::DimseRecv,
            Self::DimseSent { .. } => NotificationKind::DimseSent,
            Self::DataRecv { .. } => NotificationKind::DataRecv,
            Self::DataSent { .. } => NotificationKind::DataSent,
        }
    }
}

/// A C-ECHO-RQ handed to the layer above.
#[derive(Debug, Clone)]
pub struct EchoIndication {
    pub context_id: u8,
    pub message_id: u16,
    /// AffectedSOPClassUID with its padding removed.
    pub affected_sop_class_uid: String,
    /// The whole command set as received.
    pub command: Vec<u8>,
}

/// What the layer above supplies. Every method has a default meaning "not observed".
pub trait Hooks: Send + Sync + 'static {
    /// Bit set of [`NotificationKind::bit`] for the notifications to deliver.
    fn observed(&self) -> u32 {
        0
    }
    /// Called in order, per association, on a handler thread.
    fn notify(&self, _assoc: &Arc<AssocShared>, _event: &Notification) {}
    /// True if C-ECHO-RQs go to [`Hooks::c_echo`] instead of being answered Success natively.
    fn handles_echo(&self) -> bool {
        false
    }
    /// Handles one C-ECHO-RQ on a handler thread. It sends the response itself through
    /// `assoc` (or releases/aborts); if it sends nothing, nothing is sent.
    fn c_echo(&self, _assoc: &Arc<AssocShared>, _request: EchoIndication) {}
    /// True if user identity negotiation goes to [`Hooks::user_identity`].
    fn handles_user_identity(&self) -> bool {
        false
    }
    fn user_identity(
        &self,
        _assoc: &Arc<AssocShared>,
        _identity: &UserIdentity,
    ) -> IdentityDecision {
        IdentityDecision::Accept {
            server_response: None,
        }
    }
    /// True if SOP class extended and common extended negotiation go to
    /// [`Hooks::sop_class_extended`].
    fn handles_sop_class_extended(&self) -> bool {
        false
    }
    /// Sees the requestor's SOP class extended (56H, `extended`) and common extended (57H,
    /// `common`) items, either list possibly empty, and returns the 56H answers to send
    /// (57H is never answered, PS3.7 D.3.3.6).
    fn sop_class_extended(
        &self,
        _assoc: &Arc<AssocShared>,
        _extended: &[SopClassExtended],
        _common: &[SopClassCommonExtended],
    ) -> Vec<SopClassExtended> {
        Vec::new()
    }
}

/// Hooks that observe nothing: every C-ECHO is answered Success in the core.
pub struct NoHooks;

impl Hooks for NoHooks {}
