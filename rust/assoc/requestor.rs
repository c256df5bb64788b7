//! Negotiation as the association-requestor: building the A-ASSOCIATE-RQ and reading the
//! acceptor's A-ASSOCIATE-AC.
//!
//! Policies:
//! - Context IDs not given are assigned in order, each the smallest odd ID (1, 3, 5, ...)
//!   no other context uses.
//! - Role selection (54H) is proposed for a SOP class when any of its contexts sets a
//!   role; an unset role of the pair is proposed as 0 (pynetdicom does the same). The
//!   sub-items follow the first context of each SOP class.
//! - User information sub-items are sent as 51H, 52H, 55H, 53H, 54H..., 56H..., 57H...,
//!   58H; the 56H and 57H items in the order given.
//! - Reading the AC: a 21H for an ID we did not propose, or a second 21H for one ID, is an
//!   error. A proposed context with no answer gets result 2 (no-reason, as pynetdicom). An
//!   acceptance whose transfer syntax is missing or not one we proposed for that context
//!   is reported as result 2 with no transfer syntax: it cannot be used.
//! - Roles: without a 54H answer for the SOP class (or without our proposal) we are SCU
//!   only; with both, a role survives if we proposed it and the acceptor agreed. An
//!   accepted context on which no role survives is reported as result 1
//!   (user-rejection), the answer a conforming acceptor would have given.
//! - The acceptor's 51H value (absent = 0, no limit) bounds the P-DATA-TF we send.
//! - The acceptor's 56H answers are reported as they came; 57H is never answered
//!   (PS3.7 D.3.3.6).

use std::borrow::Cow;

use super::context::{requestor_roles, result, NegotiatedContext};
use super::error::AssocError;
use super::extended::{SopClassCommonExtended, SopClassExtended};
use super::identity::UserIdentity;
use super::items;
use super::text::{ae_title_bytes, check_uid, check_version_name, same_uid, uid_text};
use crate::pdu::{Associate, Item, PresentationContextAc, PresentationContextRq, UserItem};
use crate::uid;

/// A presentation context we propose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedContext {
    /// `None` assigns the next free odd ID.
    pub context_id: Option<u8>,
    pub abstract_syntax: String,
    /// In our order of preference (the acceptor may use its own).
    pub transfer_syntaxes: Vec<String>,
    /// Propose (or not) that we act as SCU; see the module policies.
    pub scu_role: Option<bool>,
    /// Propose (or not) that we act as SCP.
    pub scp_role: Option<bool>,
}

impl RequestedContext {
    /// A context with an automatic ID and no role selection.
    pub fn new<I, S>(abstract_syntax: impl Into<String>, transfer_syntaxes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RequestedContext {
            context_id: None,
            abstract_syntax: abstract_syntax.into(),
            transfer_syntaxes: transfer_syntaxes.into_iter().map(Into::into).collect(),
            scu_role: None,
            scp_role: None,
        }
    }
}

/// What we ask for when requesting an association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestorConfig {
    pub calling_ae_title: String,
    pub called_ae_title: String,
    pub requested: Vec<RequestedContext>,
    /// Our 51H value: the largest P-DATA-TF we receive; 0 = unlimited.
    pub maximum_pdu_length: u32,
    pub implementation_class_uid: String,
    pub implementation_version_name: Option<String>,
    pub user_identity: Option<UserIdentity>,
    /// Proposed as 53H when set.
    pub async_ops_window: Option<(u16, u16)>,
    /// Proposed as 56H sub-items, in this order.
    pub sop_class_extended: Vec<SopClassExtended>,
    /// Proposed as 57H sub-items, in this order.
    pub sop_class_common_extended: Vec<SopClassCommonExtended>,
}

impl RequestorConfig {
    /// A config with pynetdicom's defaults: maximum length 16382, fastdimse's
    /// implementation UID and version name, nothing requested yet.
    pub fn new(calling_ae_title: impl Into<String>, called_ae_title: impl Into<String>) -> Self {
        RequestorConfig {
            calling_ae_title: calling_ae_title.into(),
            called_ae_title: called_ae_title.into(),
            requested: Vec::new(),
            maximum_pdu_length: 16382,
            implementation_class_uid: uid::IMPLEMENTATION_CLASS_UID.to_string(),
            implementation_version_name: Some(uid::IMPLEMENTATION_VERSION_NAME.to_string()),
            user_identity: None,
            async_ops_window: None,
            sop_class_extended: Vec::new(),
            sop_class_common_extended: Vec::new(),
        }
    }
}

/// An association the acceptor accepted, as we see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Established {
    /// One per proposed context, in RQ order; `as_scu`/`as_scp` are our roles.
    pub contexts: Vec<NegotiatedContext>,
    /// The acceptor's 51H value (0 = unlimited): the largest P-DATA-TF we may send.
    pub peer_max_pdu_length: u32,
    /// Empty if the acceptor sent none.
    pub peer_implementation_class_uid: String,
    pub peer_implementation_version_name: Option<String>,
    /// The acceptor's 53H answer; `None` means the default (1,1).
    pub async_ops_window: Option<(u16, u16)>,
    /// How many of our requests may be outstanding at once (0 = no limit): the first field
    /// of the acceptor's 53H answer, never more than we proposed; 1 unless both sides sent
    /// a window.
    pub max_outstanding: u16,
    /// The server response of the acceptor's 59H sub-item, if it sent one.
    pub user_identity_response: Option<Vec<u8>>,
    /// The acceptor's 56H answers, in wire order.
    pub sop_class_extended: Vec<SopClassExtended>,
    /// Our AE title, trimmed.
    pub calling_ae_title: String,
    /// The peer's AE title as we addressed it, trimmed.
    pub called_ae_title: String,
    /// Acceptances we could not take (no transfer syntax, or one we did not propose for
    /// that context), one line each for the log: the acceptor selects one of the transfer
    /// syntaxes proposed for the context (PS3.8 9.3.3). Each is reported as result 2.
    pub unusable_acceptances: Vec<String>,
}

impl Established {
    /// The accepted context with this ID.
    pub fn accepted_context(&self, context_id: u8) -> Option<&NegotiatedContext> {
        self.contexts
            .iter()
            .find(|c| c.context_id == context_id && c.is_accepted())
    }
}

/// Builds the A-ASSOCIATE-RQ for `cfg`, checking every value that goes on the wire.
pub fn build_rq(cfg: &RequestorConfig) -> Result<Associate<'static>, AssocError> {
    let calling = ae_title_bytes(&cfg.calling_ae_title)?;
    let called = ae_title_bytes(&cfg.called_ae_title)?;
    if cfg.requested.is_empty() {
        return Err(AssocError::NoContexts);
    }
    if cfg.requested.len() > 128 {
        return Err(AssocError::TooManyContexts {
            count: cfg.requested.len(),
        });
    }
    check_uid(&cfg.implementation_class_uid)?;
    if let Some(name) = &cfg.implementation_version_name {
        check_version_name(name)?;
    }

    let ids = assign_context_ids(&cfg.requested)?;
    let mut items = Vec::with_capacity(cfg.requested.len() + 2);
    items.push(Item::ApplicationContext(Cow::Borrowed(
        uid::APPLICATION_CONTEXT.as_bytes(),
    )));
    // (SOP class UID, SCU, SCP), first context of each SOP class that sets a role.
    let mut roles: Vec<(&str, bool, bool)> = Vec::new();
    for (rc, id) in cfg.requested.iter().zip(ids) {
        check_uid(&rc.abstract_syntax)?;
        if rc.transfer_syntaxes.is_empty() {
            return Err(AssocError::NoTransferSyntax {
                abstract_syntax: rc.abstract_syntax.clone(),
            });
        }
        for ts in &rc.transfer_syntaxes {
            check_uid(ts)?;
        }
        if rc.scu_role.is_some() || rc.scp_role.is_some() {
            let pair = (rc.scu_role.unwrap_or(false), rc.scp_role.unwrap_or(false));
            match roles.iter().find(|r| r.0 == rc.abstract_syntax) {
                Some(r) if (r.1, r.2) != pair => {
                    return Err(AssocError::ConflictingRoles {
                        abstract_syntax: rc.abstract_syntax.clone(),
                    })
                }
                Some(_) => {}
                None => roles.push((&rc.abstract_syntax, pair.0, pair.1)),
            }
        }
        items.push(Item::PresentationContextRq(PresentationContextRq {
            context_id: id,
            reserved: [0; 3],
            abstract_syntax: Cow::Owned(rc.abstract_syntax.as_bytes().to_vec()),
            transfer_syntaxes: rc
                .transfer_syntaxes
                .iter()
                .map(|ts| Cow::Owned(ts.as_bytes().to_vec()))
                .collect(),
        }));
    }

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
    if let Some((invoked, performed)) = cfg.async_ops_window {
        user_info.push(UserItem::AsyncOpsWindow { invoked, performed });
    }
    for (sop, scu, scp) in roles {
        user_info.push(UserItem::RoleSelection {
            sop_class_uid: Cow::Owned(sop.as_bytes().to_vec()),
            scu_role: u8::from(scu),
            scp_role: u8::from(scp),
        });
    }
    for item in &cfg.sop_class_extended {
        user_info.push(item.to_user_item()?);
    }
    for item in &cfg.sop_class_common_extended {
        user_info.push(item.to_user_item()?);
    }
    if let Some(ui) = &cfg.user_identity {
        for (field, value) in [
            ("user identity primary field", &ui.primary),
            ("user identity secondary field", &ui.secondary),
        ] {
            if value.len() > usize::from(u16::MAX) {
                return Err(AssocError::FieldTooLong {
                    field,
                    len: value.len(),
                });
            }
        }
        user_info.push(UserItem::UserIdentityRq {
            identity_type: ui.identity_type,
            positive_response_requested: u8::from(ui.positive_response_requested),
            primary: Cow::Owned(ui.primary.clone()),
            secondary: Cow::Owned(ui.secondary.clone()),
        });
    }
    let user_info_len: usize = user_info.iter().map(UserItem::encoded_len).sum();
    if user_info_len > usize::from(u16::MAX) {
        return Err(AssocError::FieldTooLong {
            field: "user information item",
            len: user_info_len,
        });
    }
    items.push(Item::UserInformation(user_info));

    Ok(Associate {
        protocol_version: 1,
        reserved_8_9: 0,
        called_ae_title: called,
        calling_ae_title: calling,
        reserved_42_73: [0; 32],
        items,
    })
}

/// The context ID of each requested context: explicit ones checked, the others assigned.
fn assign_context_ids(requested: &[RequestedContext]) -> Result<Vec<u8>, AssocError> {
    let mut used = [false; 256];
    for id in requested.iter().filter_map(|rc| rc.context_id) {
        if id % 2 == 0 {
            return Err(AssocError::InvalidContextId { id });
        }
        if used[usize::from(id)] {
            return Err(AssocError::DuplicateContextId { id });
        }
        used[usize::from(id)] = true;
    }
    let mut next: u8 = 1;
    let mut ids = Vec::with_capacity(requested.len());
    for rc in requested {
        let id = match rc.context_id {
            Some(id) => id,
            None => {
                while used[usize::from(next)] {
                    next = next.checked_add(2).ok_or(AssocError::TooManyContexts {
                        count: requested.len(),
                    })?;
                }
                used[usize::from(next)] = true;
                next
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Reads the acceptor's answer `ac` to our request `rq` (as built by [`build_rq`] from
/// `cfg`).
pub fn process_ac(
    cfg: &RequestorConfig,
    rq: &Associate<'_>,
    ac: &Associate<'_>,
) -> Result<Established, AssocError> {
    if items::application_context(ac).is_none() {
        return Err(AssocError::NoApplicationContext);
    }
    let proposed: Vec<&PresentationContextRq<'_>> = items::rq_contexts(rq).collect();
    let mut answers: Vec<&PresentationContextAc<'_>> = Vec::with_capacity(proposed.len());
    for pc in items::ac_contexts(ac) {
        if !proposed.iter().any(|p| p.context_id == pc.context_id) {
            return Err(AssocError::UnknownContextId { id: pc.context_id });
        }
        if answers.iter().any(|a| a.context_id == pc.context_id) {
            return Err(AssocError::DuplicateContextResult { id: pc.context_id });
        }
        answers.push(pc);
    }
    if answers.is_empty() {
        return Err(AssocError::NoContextAnswered);
    }

    let our_roles: Vec<(&[u8], bool, bool)> = items::role_selections(rq).collect();
    let their_roles: Vec<(&[u8], bool, bool)> = items::role_selections(ac).collect();
    let find_role = |list: &[(&[u8], bool, bool)], sop: &[u8]| {
        list.iter().find(|r| same_uid(r.0, sop)).map(|r| (r.1, r.2))
    };

    let mut contexts = Vec::with_capacity(proposed.len());
    let mut unusable_acceptances = Vec::new();
    for pc in &proposed {
        let abstract_syntax = uid_text(&pc.abstract_syntax);
        let answer = answers.iter().find(|a| a.context_id == pc.context_id);
        let negotiated = match answer {
            None => NegotiatedContext::rejected(pc.context_id, abstract_syntax, result::NO_REASON),
            Some(a) if a.result != result::ACCEPTANCE => {
                NegotiatedContext::rejected(pc.context_id, abstract_syntax, a.result)
            }
            Some(a) => {
                let ts = a
                    .transfer_syntax
                    .as_ref()
                    .filter(|ts| pc.transfer_syntaxes.iter().any(|ours| same_uid(ours, ts)));
                match ts {
                    None => {
                        unusable_acceptances.push(match &a.transfer_syntax {
                            Some(theirs) => format!(
                                "presentation context {} was accepted with transfer syntax \
                                 {:?}, which was not proposed for it: taken as rejected",
                                pc.context_id,
                                uid_text(theirs)
                            ),
                            None => format!(
                                "presentation context {} was accepted without a transfer \
                                 syntax: taken as rejected",
                                pc.context_id
                            ),
                        });
                        NegotiatedContext::rejected(
                            pc.context_id,
                            abstract_syntax,
                            result::NO_REASON,
                        )
                    }
                    Some(ts) => {
                        let (scu, scp) = match (
                            find_role(&our_roles, &pc.abstract_syntax),
                            find_role(&their_roles, &pc.abstract_syntax),
                        ) {
                            (Some(ours), Some(theirs)) => requestor_roles(ours, theirs),
                            _ => (true, false),
                        };
                        if !scu && !scp {
                            NegotiatedContext::rejected(
                                pc.context_id,
                                abstract_syntax,
                                result::USER_REJECTION,
                            )
                        } else {
                            NegotiatedContext {
                                context_id: pc.context_id,
                                abstract_syntax,
                                transfer_syntax: Some(uid_text(ts)),
                                result: result::ACCEPTANCE,
                                as_scu: scu,
                                as_scp: scp,
                            }
                        }
                    }
                }
            }
        };
        contexts.push(negotiated);
    }

    Ok(Established {
        contexts,
        peer_max_pdu_length: items::maximum_length(ac).unwrap_or(0),
        peer_implementation_class_uid: items::implementation_class_uid(ac)
            .map(uid_text)
            .unwrap_or_default(),
        peer_implementation_version_name: items::implementation_version_name(ac).map(uid_text),
        async_ops_window: items::async_ops_window(ac),
        max_outstanding: match (cfg.async_ops_window, items::async_ops_window(ac)) {
            (Some((proposed, _)), Some((allowed, _))) => items::window_limit(proposed, allowed),
            _ => 1,
        },
        user_identity_response: items::user_items(ac).find_map(|s| match s {
            UserItem::UserIdentityAc { server_response } => Some(server_response.to_vec()),
            _ => None,
        }),
        sop_class_extended: items::sop_class_extended(ac).collect(),
        calling_ae_title: cfg.calling_ae_title.trim_matches(' ').to_string(),
        called_ae_title: cfg.called_ae_title.trim_matches(' ').to_string(),
        unusable_acceptances,
    })
}
