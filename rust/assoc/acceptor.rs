//! Negotiation as the association-acceptor: from a received A-ASSOCIATE-RQ to either the
//! A-ASSOCIATE-AC to send or the reason to reject.
//!
//! Policies (pynetdicom 3.0.4 behaviour unless the standard says otherwise):
//! - Checks run in this order and the first failure rejects: protocol version bit 0
//!   (1,2,2); at least one presentation context item (20H) once unknown items are
//!   skipped (1,2,1: AE-6, not acceptable to the service provider, since an AC must answer
//!   a context, PS3.8 9.3.3); application context name, missing counts as wrong (1,1,2); called AE title
//!   when `require_called_aet` (1,1,7); calling AE title when `require_calling_aet` is
//!   not empty (1,1,3); user identity handler (2,2,1), which is pynetdicom's code.
//!   AE titles compare exactly (case-sensitive) once leading/trailing spaces are dropped.
//! - The association is accepted even when every context is rejected (as pynetdicom and
//!   DCMTK `storescp` do).
//! - Each proposed context gets one 21H answer, in RQ order. The accepted transfer syntax
//!   is the first in *our* preference order that the requestor proposed. UIDs compare
//!   without trailing NUL/space padding.
//! - A context ID that is even, zero, or proposed more than once gets result 2
//!   (no-reason) on every occurrence: an ambiguous ID is never accepted, and every
//!   proposal still gets its answer.
//! - The transfer syntax sub-item of a rejected context is not significant; we send:
//!   result 4, the first proposed transfer syntax (pynetdicom), or Implicit VR LE if none
//!   was proposed; result 3 and 2, Implicit VR LE; result 1, the syntax we had chosen.
//! - Role selection (54H): with `scu_role` and `scp_role` both set in the supported
//!   context, a proposed role is granted only if the config allows it, and an answer is
//!   sent for that SOP class (once, in the order of the RQ's 54H items). If neither role
//!   survives the context is rejected with result 1. With either unset, no answer is sent
//!   and default roles apply (requestor SCU, acceptor SCP), as in pynetdicom.
//! - Maximum length: the peer's 51H value, absent meaning 0 (no limit).
//! - Asynchronous operations window (53H): answered only when proposed, with our window
//!   (by default [`OPS_WINDOW`]: the requestor may have 16 requests outstanding, which we
//!   perform in arrival order, and we invoke one at a time), each side limited to what was
//!   proposed (0 = unlimited). pynetdicom answers (1,1) when an
//!   `EVT_ASYNC_OPS` handler is bound, else nothing.
//! - User identity (58H) goes to the handler; a 59H answer is sent only when a positive
//!   response was requested and the handler gave a server response.
//! - SOP class extended negotiation (56H): [`accept`] answers none; [`accept_with`] answers
//!   with the items it is given (what pynetdicom's `EVT_SOP_EXTENDED` handler returns),
//!   in that order, after the role selection answers. An item is sent only for a SOP class
//!   the requestor proposed in a 56H (an answer to nothing is not an answer), once per SOP
//!   class, and only if its UID is valid and it fits its length field and the user
//!   information item; the others are dropped (the caller checks and logs them first).
//! - SOP class common extended negotiation (57H) is never answered (PS3.7 D.3.3.6).
//! - Unknown items and sub-items are ignored.

use std::borrow::Cow;

use super::context::{requestor_roles, result, NegotiatedContext};
use super::error::AssocError;
use super::extended::SopClassExtended;
use super::identity::{IdentityDecision, UserIdentity};
use super::items;
use super::rejection::Rejection;
use super::text::{
    ae_title_bytes, ae_title_text, check_uid, check_version_name, same_uid, uid_text,
};
use crate::pdu::{Associate, Bytes, Item, PresentationContextAc, UserItem};
use crate::uid;

/// A SOP class we accept, with the transfer syntaxes we accept for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportedContext {
    pub abstract_syntax: String,
    /// In our order of preference.
    pub transfer_syntaxes: Vec<String>,
    /// Whether a requestor may act as SCU when it proposes so; see the module policies.
    pub scu_role: Option<bool>,
    /// Whether a requestor may act as SCP when it proposes so.
    pub scp_role: Option<bool>,
}

impl SupportedContext {
    /// A supported context with no role selection answer.
    pub fn new<I, S>(abstract_syntax: impl Into<String>, transfer_syntaxes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        SupportedContext {
            abstract_syntax: abstract_syntax.into(),
            transfer_syntaxes: transfer_syntaxes.into_iter().map(Into::into).collect(),
            scu_role: None,
            scp_role: None,
        }
    }
}

/// How we answer association requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptorConfig {
    /// Our AE title.
    pub ae_title: String,
    /// Reject (1,1,7) a request whose called AE title is not `ae_title`.
    pub require_called_aet: bool,
    /// Calling AE titles we accept; empty accepts anyone.
    pub require_calling_aet: Vec<String>,
    pub supported: Vec<SupportedContext>,
    /// Our 51H value: the largest P-DATA-TF we receive; 0 = unlimited.
    pub maximum_pdu_length: u32,
    pub implementation_class_uid: String,
    pub implementation_version_name: Option<String>,
    /// Our asynchronous operations window, answered when the requestor proposes one:
    /// (how many requests the requestor may have outstanding, how many we invoke). `None`
    /// answers (1,1), the synchronous default.
    pub async_ops_window: Option<(u16, u16)>,
}

/// The window [`AcceptorConfig::new`] answers with: up to 16 of the requestor's requests
/// outstanding, each queued in arrival order (a few hundred bytes each), and one of ours.
pub const OPS_WINDOW: (u16, u16) = (16, 1);

impl AcceptorConfig {
    /// A config for `ae_title` with pynetdicom's defaults: no AE title checks, maximum
    /// length 16382, fastdimse's implementation UID and version name, nothing supported.
    pub fn new(ae_title: impl Into<String>) -> Self {
        AcceptorConfig {
            ae_title: ae_title.into(),
            require_called_aet: false,
            require_calling_aet: Vec::new(),
            supported: Vec::new(),
            maximum_pdu_length: 16382,
            implementation_class_uid: uid::IMPLEMENTATION_CLASS_UID.to_string(),
            implementation_version_name: Some(uid::IMPLEMENTATION_VERSION_NAME.to_string()),
            async_ops_window: Some(OPS_WINDOW),
        }
    }

    /// Checks what [`accept`] will put on the wire: our AE title, the implementation UID
    /// and version name, and every supported UID.
    pub fn validate(&self) -> Result<(), AssocError> {
        ae_title_bytes(&self.ae_title)?;
        check_uid(&self.implementation_class_uid)?;
        if let Some(name) = &self.implementation_version_name {
            check_version_name(name)?;
        }
        for sc in &self.supported {
            check_uid(&sc.abstract_syntax)?;
            for ts in &sc.transfer_syntaxes {
                check_uid(ts)?;
            }
        }
        Ok(())
    }
}

/// An accepted association: the A-ASSOCIATE-AC to send and what was agreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The A-ASSOCIATE-AC to send.
    pub ac: Associate<'static>,
    /// One per proposed context, in RQ order.
    pub contexts: Vec<NegotiatedContext>,
    /// The requestor's 51H value (0 = unlimited): the largest P-DATA-TF we may send.
    pub peer_max_pdu_length: u32,
    /// Without padding.
    pub calling_ae_title: String,
    /// Without padding.
    pub called_ae_title: String,
    /// Empty if the requestor sent none.
    pub peer_implementation_class_uid: String,
    pub peer_implementation_version_name: Option<String>,
    /// The identity the requestor presented, if any.
    pub user_identity: Option<UserIdentity>,
    /// The window we answered with, if the requestor proposed one.
    pub async_ops_window: Option<(u16, u16)>,
    /// The SOP class extended negotiation answers (56H) we sent.
    pub sop_class_extended: Vec<SopClassExtended>,
}

impl Accepted {
    /// The accepted context with this ID.
    pub fn accepted_context(&self, context_id: u8) -> Option<&NegotiatedContext> {
        self.contexts
            .iter()
            .find(|c| c.context_id == context_id && c.is_accepted())
    }
}

/// A 54H proposal from the RQ and the answer we will give, if any.
struct RoleProposal<'s> {
    sop_class_uid: &'s [u8],
    scu: bool,
    scp: bool,
    answer: Option<(bool, bool)>,
}

/// Negotiates `rq` against `cfg`. `identity` is called only when the request carries a
/// user identity, and only once the AE title checks passed. SOP class extended
/// negotiation is not answered.
pub fn accept(
    rq: &Associate<'_>,
    cfg: &AcceptorConfig,
    identity: &mut dyn FnMut(&UserIdentity) -> IdentityDecision,
) -> Result<Accepted, Rejection> {
    accept_with(rq, cfg, identity, &[])
}

/// [`accept`], answering the requestor's SOP class extended negotiation (56H) with
/// `extended` (see the module policies for which items are sent).
pub fn accept_with(
    rq: &Associate<'_>,
    cfg: &AcceptorConfig,
    identity: &mut dyn FnMut(&UserIdentity) -> IdentityDecision,
    extended: &[SopClassExtended],
) -> Result<Accepted, Rejection> {
    if rq.protocol_version & 1 == 0 {
        return Err(Rejection::protocol_version_not_supported());
    }
    if items::rq_contexts(rq).next().is_none() {
        // AE-6: not acceptable to the service provider. Answering with an AC would need a
        // presentation context item to answer (PS3.8 9.3.3), and there is none.
        return Err(Rejection::provider_no_reason());
    }
    match items::application_context(rq) {
        Some(name) if same_uid(name, uid::APPLICATION_CONTEXT.as_bytes()) => {}
        _ => return Err(Rejection::application_context_not_supported()),
    }
    let called = ae_title_text(&rq.called_ae_title);
    let calling = ae_title_text(&rq.calling_ae_title);
    if cfg.require_called_aet && called != cfg.ae_title.trim_matches(' ') {
        return Err(Rejection::called_ae_not_recognized());
    }
    if !cfg.require_calling_aet.is_empty()
        && !cfg
            .require_calling_aet
            .iter()
            .any(|t| t.trim_matches(' ') == calling)
    {
        return Err(Rejection::calling_ae_not_recognized());
    }

    let user_identity = user_identity_rq(rq);
    let mut identity_answer = None;
    if let Some(ui) = &user_identity {
        match identity(ui) {
            IdentityDecision::Reject => return Err(Rejection::user_identity_rejected()),
            IdentityDecision::Accept { server_response } => {
                if ui.positive_response_requested {
                    identity_answer = server_response;
                }
            }
        }
    }

    let mut roles: Vec<RoleProposal<'_>> = Vec::new();
    for (sop_class_uid, scu, scp) in items::role_selections(rq) {
        if !roles
            .iter()
            .any(|r| same_uid(r.sop_class_uid, sop_class_uid))
        {
            roles.push(RoleProposal {
                sop_class_uid,
                scu,
                scp,
                answer: None,
            });
        }
    }

    let mut id_counts = [0u16; 256];
    for pc in items::rq_contexts(rq) {
        let slot = &mut id_counts[usize::from(pc.context_id)];
        *slot = slot.saturating_add(1);
    }

    let mut contexts = Vec::new();
    let mut results = Vec::new();
    for pc in items::rq_contexts(rq) {
        let abstract_syntax = uid_text(&pc.abstract_syntax);
        let id = pc.context_id;
        let reject = |code: u8, ts: Bytes<'static>| {
            (
                NegotiatedContext::rejected(id, abstract_syntax.clone(), code),
                ts,
            )
        };
        let implicit = || Cow::Borrowed(uid::IMPLICIT_VR_LE.as_bytes());

        let (negotiated, ts_sent) = if id % 2 == 0 || id_counts[usize::from(id)] > 1 {
            reject(result::NO_REASON, implicit())
        } else if let Some(sc) = cfg
            .supported
            .iter()
            .find(|sc| same_uid(sc.abstract_syntax.as_bytes(), &pc.abstract_syntax))
        {
            let chosen = sc.transfer_syntaxes.iter().find(|ours| {
                pc.transfer_syntaxes
                    .iter()
                    .any(|theirs| same_uid(ours.as_bytes(), theirs))
            });
            match chosen {
                None => {
                    let echo = pc
                        .transfer_syntaxes
                        .first()
                        .map(|ts| Cow::Owned(uid::trim_padding(ts).to_vec()))
                        .unwrap_or_else(implicit);
                    reject(result::TRANSFER_SYNTAXES_NOT_SUPPORTED, echo)
                }
                Some(ts) => {
                    let ts_bytes: Bytes<'static> =
                        Cow::Owned(uid::trim_padding(ts.as_bytes()).to_vec());
                    let proposal = roles
                        .iter_mut()
                        .find(|r| same_uid(r.sop_class_uid, &pc.abstract_syntax));
                    let (rq_scu, rq_scp, answered) = match (proposal, sc.scu_role, sc.scp_role) {
                        (Some(p), Some(allow_scu), Some(allow_scp)) => {
                            let (scu, scp) =
                                requestor_roles((p.scu, p.scp), (allow_scu, allow_scp));
                            (scu, scp, Some(p))
                        }
                        _ => (true, false, None),
                    };
                    if !rq_scu && !rq_scp {
                        reject(result::USER_REJECTION, ts_bytes)
                    } else {
                        if let Some(p) = answered {
                            p.answer = Some((rq_scu, rq_scp));
                        }
                        (
                            NegotiatedContext {
                                context_id: id,
                                abstract_syntax: abstract_syntax.clone(),
                                transfer_syntax: Some(uid_text(ts.as_bytes())),
                                result: result::ACCEPTANCE,
                                // The acceptor mirrors the requestor.
                                as_scu: rq_scp,
                                as_scp: rq_scu,
                            },
                            ts_bytes,
                        )
                    }
                }
            }
        } else {
            reject(result::ABSTRACT_SYNTAX_NOT_SUPPORTED, implicit())
        };
        results.push(Item::PresentationContextAc(PresentationContextAc {
            context_id: id,
            reserved_5: 0,
            result: negotiated.result,
            reserved_7: 0,
            transfer_syntax: Some(ts_sent),
        }));
        contexts.push(negotiated);
    }

    let async_ops_window = items::async_ops_window(rq).map(|proposed| {
        let ours = cfg.async_ops_window.unwrap_or((1, 1));
        (
            items::window_limit(ours.0, proposed.0),
            items::window_limit(ours.1, proposed.1),
        )
    });

    let mut user_info = vec![
        UserItem::MaximumLength(cfg.maximum_pdu_length),
        UserItem::ImplementationClassUid(Cow::Owned(
            cfg.implementation_class_uid.as_bytes().to_vec(),
        )),
    ];
    if let Some(name) = &cfg.implementation_version_name {
        user_info.push(UserItem::ImplementationVersionName(Cow::Owned(
            name.as_bytes().to_vec(),
        )));
    }
    if let Some((invoked, performed)) = async_ops_window {
        user_info.push(UserItem::AsyncOpsWindow { invoked, performed });
    }
    for role in &roles {
        if let Some((scu, scp)) = role.answer {
            user_info.push(UserItem::RoleSelection {
                sop_class_uid: Cow::Owned(uid::trim_padding(role.sop_class_uid).to_vec()),
                scu_role: u8::from(scu),
                scp_role: u8::from(scp),
            });
        }
    }
    let mut extended_sent: Vec<SopClassExtended> = Vec::new();
    if !extended.is_empty() {
        let proposed: Vec<SopClassExtended> = items::sop_class_extended(rq).collect();
        // Room left in the 50H item (16-bit length) once the identity answer is counted.
        let mut room = usize::from(u16::MAX).saturating_sub(
            user_info.iter().map(UserItem::encoded_len).sum::<usize>()
                + identity_answer.as_ref().map_or(0, |r| 6 + r.len()),
        );
        for answer in extended {
            let asked = proposed
                .iter()
                .any(|p| same_uid(p.sop_class_uid.as_bytes(), answer.sop_class_uid.as_bytes()));
            let repeated = extended_sent
                .iter()
                .any(|s| same_uid(s.sop_class_uid.as_bytes(), answer.sop_class_uid.as_bytes()));
            if !asked || repeated {
                continue;
            }
            if let Ok(item) = answer.to_user_item() {
                if item.encoded_len() <= room {
                    room -= item.encoded_len();
                    user_info.push(item);
                    extended_sent.push(answer.clone());
                }
            }
        }
    }
    if let Some(response) = identity_answer {
        user_info.push(UserItem::UserIdentityAc {
            server_response: Cow::Owned(response),
        });
    }

    let mut ac_items = Vec::with_capacity(results.len() + 2);
    ac_items.push(Item::ApplicationContext(Cow::Borrowed(
        uid::APPLICATION_CONTEXT.as_bytes(),
    )));
    ac_items.extend(results);
    ac_items.push(Item::UserInformation(user_info));

    Ok(Accepted {
        ac: Associate {
            protocol_version: 1,
            reserved_8_9: 0,
            called_ae_title: rq.called_ae_title,
            calling_ae_title: rq.calling_ae_title,
            reserved_42_73: rq.reserved_42_73,
            items: ac_items,
        },
        contexts,
        peer_max_pdu_length: items::maximum_length(rq).unwrap_or(0),
        calling_ae_title: calling,
        called_ae_title: called,
        peer_implementation_class_uid: items::implementation_class_uid(rq)
            .map(uid_text)
            .unwrap_or_default(),
        peer_implementation_version_name: items::implementation_version_name(rq).map(uid_text),
        user_identity,
        async_ops_window,
        sop_class_extended: extended_sent,
    })
}

/// The first user identity (58H) sub-item of the request.
fn user_identity_rq(rq: &Associate<'_>) -> Option<UserIdentity> {
    items::user_items(rq).find_map(|s| match s {
        UserItem::UserIdentityRq {
            identity_type,
            positive_response_requested,
            primary,
            secondary,
        } => Some(UserIdentity {
            identity_type: *identity_type,
            positive_response_requested: *positive_response_requested != 0,
            primary: primary.to_vec(),
            secondary: secondary.to_vec(),
        }),
        _ => None,
    })
}
