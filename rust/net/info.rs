//! What an association is, as the layer above reads it: which end we are, where it is in
//! its life, and what the A-ASSOCIATE-RQ carried and negotiation settled.

use std::sync::Arc;

use crate::assoc::{NegotiatedContext, SopClassCommonExtended, SopClassExtended, UserIdentity};

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
    pub(crate) fn from_u8(v: u8) -> Self {
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
