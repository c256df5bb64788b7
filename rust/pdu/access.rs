//! Constructors, accessors and owned copies of PDU values.

use std::borrow::Cow;

use super::{
    Abort, Associate, AssociateRj, Bytes, Item, PData, Pdu, PduType, Pdv, PresentationContextAc,
    PresentationContextRq, Release, UserItem,
};

/// An SCP/SCU role selection sub-item (54H), borrowed from an [`Associate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleSelection<'s> {
    pub sop_class_uid: &'s [u8],
    pub scu_role: u8,
    pub scp_role: u8,
}

/// A user identity request sub-item (58H), borrowed from an [`Associate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserIdentityRequest<'s> {
    pub identity_type: u8,
    pub positive_response_requested: u8,
    pub primary: &'s [u8],
    pub secondary: &'s [u8],
}

fn owned(bytes: Bytes<'_>) -> Bytes<'static> {
    Cow::Owned(bytes.into_owned())
}

impl<'a> Pdu<'a> {
    /// The type of this PDU.
    pub fn pdu_type(&self) -> PduType {
        match self {
            Pdu::AssociateRq(_) => PduType::AssociateRq,
            Pdu::AssociateAc(_) => PduType::AssociateAc,
            Pdu::AssociateRj(_) => PduType::AssociateRj,
            Pdu::PData(_) => PduType::PData,
            Pdu::ReleaseRq(_) => PduType::ReleaseRq,
            Pdu::ReleaseRp(_) => PduType::ReleaseRp,
            Pdu::Abort(_) => PduType::Abort,
        }
    }

    /// A copy that owns all its bytes, detached from the input buffer.
    pub fn into_owned(self) -> Pdu<'static> {
        match self {
            Pdu::AssociateRq(a) => Pdu::AssociateRq(a.into_owned()),
            Pdu::AssociateAc(a) => Pdu::AssociateAc(a.into_owned()),
            Pdu::AssociateRj(rj) => Pdu::AssociateRj(rj),
            Pdu::PData(p) => Pdu::PData(p.into_owned()),
            Pdu::ReleaseRq(r) => Pdu::ReleaseRq(r),
            Pdu::ReleaseRp(r) => Pdu::ReleaseRp(r),
            Pdu::Abort(a) => Pdu::Abort(a),
        }
    }

    /// An A-ABORT with zero reserved bytes.
    pub fn abort(source: u8, reason: u8) -> Pdu<'static> {
        Pdu::Abort(Abort {
            reserved: [0; 2],
            source,
            reason,
        })
    }

    /// An A-RELEASE-RQ with zero reserved bytes.
    pub fn release_rq() -> Pdu<'static> {
        Pdu::ReleaseRq(Release::default())
    }

    /// An A-RELEASE-RP with zero reserved bytes.
    pub fn release_rp() -> Pdu<'static> {
        Pdu::ReleaseRp(Release::default())
    }

    /// An A-ASSOCIATE-RJ with a zero reserved byte.
    pub fn reject(result: u8, source: u8, reason: u8) -> Pdu<'static> {
        Pdu::AssociateRj(AssociateRj {
            reserved_6: 0,
            result,
            source,
            reason,
        })
    }
}

impl<'a> Associate<'a> {
    /// Protocol version 1, zero reserved fields, the given AE titles (already padded to 16
    /// bytes) and no items yet.
    pub fn new(called_ae_title: [u8; 16], calling_ae_title: [u8; 16]) -> Self {
        Self {
            protocol_version: 1,
            reserved_8_9: 0,
            called_ae_title,
            calling_ae_title,
            reserved_42_73: [0; 32],
            items: Vec::new(),
        }
    }

    /// A copy that owns all its bytes.
    pub fn into_owned(self) -> Associate<'static> {
        Associate {
            protocol_version: self.protocol_version,
            reserved_8_9: self.reserved_8_9,
            called_ae_title: self.called_ae_title,
            calling_ae_title: self.calling_ae_title,
            reserved_42_73: self.reserved_42_73,
            items: self.items.into_iter().map(Item::into_owned).collect(),
        }
    }

    /// The first application context name (10H), as on the wire.
    pub fn application_context(&self) -> Option<&[u8]> {
        self.items.iter().find_map(|item| match item {
            Item::ApplicationContext(name) => Some(&name[..]),
            _ => None,
        })
    }

    /// The proposed presentation contexts (20H), in wire order.
    pub fn presentation_contexts_rq(&self) -> impl Iterator<Item = &PresentationContextRq<'a>> {
        self.items.iter().filter_map(|item| match item {
            Item::PresentationContextRq(pc) => Some(pc),
            _ => None,
        })
    }

    /// The presentation context results (21H), in wire order.
    pub fn presentation_contexts_ac(&self) -> impl Iterator<Item = &PresentationContextAc<'a>> {
        self.items.iter().filter_map(|item| match item {
            Item::PresentationContextAc(pc) => Some(pc),
            _ => None,
        })
    }

    /// The sub-items of the first user information item (50H); empty if there is none.
    pub fn user_items(&self) -> &[UserItem<'a>] {
        self.items
            .iter()
            .find_map(|item| match item {
                Item::UserInformation(subs) => Some(&subs[..]),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The first maximum length sub-item (51H).
    pub fn maximum_length(&self) -> Option<u32> {
        self.user_items().iter().find_map(|sub| match sub {
            UserItem::MaximumLength(max) => Some(*max),
            _ => None,
        })
    }

    /// The first implementation class UID sub-item (52H), as on the wire.
    pub fn implementation_class_uid(&self) -> Option<&[u8]> {
        self.user_items().iter().find_map(|sub| match sub {
            UserItem::ImplementationClassUid(uid) => Some(&uid[..]),
            _ => None,
        })
    }

    /// The first implementation version name sub-item (55H), as on the wire.
    pub fn implementation_version_name(&self) -> Option<&[u8]> {
        self.user_items().iter().find_map(|sub| match sub {
            UserItem::ImplementationVersionName(name) => Some(&name[..]),
            _ => None,
        })
    }

    /// The first asynchronous operations window sub-item (53H): (invoked, performed).
    pub fn async_ops_window(&self) -> Option<(u16, u16)> {
        self.user_items().iter().find_map(|sub| match sub {
            UserItem::AsyncOpsWindow { invoked, performed } => Some((*invoked, *performed)),
            _ => None,
        })
    }

    /// The SCP/SCU role selection sub-items (54H), in wire order.
    pub fn role_selections(&self) -> impl Iterator<Item = RoleSelection<'_>> {
        self.user_items().iter().filter_map(|sub| match sub {
            UserItem::RoleSelection {
                sop_class_uid,
                scu_role,
                scp_role,
            } => Some(RoleSelection {
                sop_class_uid,
                scu_role: *scu_role,
                scp_role: *scp_role,
            }),
            _ => None,
        })
    }

    /// The first user identity request sub-item (58H).
    pub fn user_identity_rq(&self) -> Option<UserIdentityRequest<'_>> {
        self.user_items().iter().find_map(|sub| match sub {
            UserItem::UserIdentityRq {
                identity_type,
                positive_response_requested,
                primary,
                secondary,
            } => Some(UserIdentityRequest {
                identity_type: *identity_type,
                positive_response_requested: *positive_response_requested,
                primary,
                secondary,
            }),
            _ => None,
        })
    }

    /// The server response of the first user identity response sub-item (59H).
    pub fn user_identity_ac(&self) -> Option<&[u8]> {
        self.user_items().iter().find_map(|sub| match sub {
            UserItem::UserIdentityAc { server_response } => Some(&server_response[..]),
            _ => None,
        })
    }
}

impl Item<'_> {
    /// A copy that owns all its bytes.
    pub fn into_owned(self) -> Item<'static> {
        match self {
            Item::ApplicationContext(name) => Item::ApplicationContext(owned(name)),
            Item::PresentationContextRq(pc) => Item::PresentationContextRq(pc.into_owned()),
            Item::PresentationContextAc(pc) => Item::PresentationContextAc(pc.into_owned()),
            Item::UserInformation(subs) => {
                Item::UserInformation(subs.into_iter().map(UserItem::into_owned).collect())
            }
            Item::Unknown { item_type, value } => Item::Unknown {
                item_type,
                value: owned(value),
            },
        }
    }
}

impl PresentationContextRq<'_> {
    /// A copy that owns all its bytes.
    pub fn into_owned(self) -> PresentationContextRq<'static> {
        PresentationContextRq {
            context_id: self.context_id,
            reserved: self.reserved,
            abstract_syntax: owned(self.abstract_syntax),
            transfer_syntaxes: self.transfer_syntaxes.into_iter().map(owned).collect(),
        }
    }
}

impl PresentationContextAc<'_> {
    /// A copy that owns all its bytes.
    pub fn into_owned(self) -> PresentationContextAc<'static> {
        PresentationContextAc {
            context_id: self.context_id,
            reserved_5: self.reserved_5,
            result: self.result,
            reserved_7: self.reserved_7,
            transfer_syntax: self.transfer_syntax.map(owned),
        }
    }
}

impl UserItem<'_> {
    /// A copy that owns all its bytes.
    pub fn into_owned(self) -> UserItem<'static> {
        match self {
            UserItem::MaximumLength(max) => UserItem::MaximumLength(max),
            UserItem::ImplementationClassUid(uid) => UserItem::ImplementationClassUid(owned(uid)),
            UserItem::AsyncOpsWindow { invoked, performed } => {
                UserItem::AsyncOpsWindow { invoked, performed }
            }
            UserItem::RoleSelection {
                sop_class_uid,
                scu_role,
                scp_role,
            } => UserItem::RoleSelection {
                sop_class_uid: owned(sop_class_uid),
                scu_role,
                scp_role,
            },
            UserItem::ImplementationVersionName(name) => {
                UserItem::ImplementationVersionName(owned(name))
            }
            UserItem::SopClassExtended {
                sop_class_uid,
                app_info,
            } => UserItem::SopClassExtended {
                sop_class_uid: owned(sop_class_uid),
                app_info: owned(app_info),
            },
            UserItem::SopClassCommonExtended {
                version,
                sop_class_uid,
                service_class_uid,
                related_general_sop_classes,
            } => UserItem::SopClassCommonExtended {
                version,
                sop_class_uid: owned(sop_class_uid),
                service_class_uid: owned(service_class_uid),
                related_general_sop_classes: related_general_sop_classes
                    .into_iter()
                    .map(owned)
                    .collect(),
            },
            UserItem::UserIdentityRq {
                identity_type,
                positive_response_requested,
                primary,
                secondary,
            } => UserItem::UserIdentityRq {
                identity_type,
                positive_response_requested,
                primary: owned(primary),
                secondary: owned(secondary),
            },
            UserItem::UserIdentityAc { server_response } => UserItem::UserIdentityAc {
                server_response: owned(server_response),
            },
            UserItem::Unknown { item_type, value } => UserItem::Unknown {
                item_type,
                value: owned(value),
            },
        }
    }
}

impl PData<'_> {
    /// A copy that owns all its bytes.
    pub fn into_owned(self) -> PData<'static> {
        PData {
            pdvs: self.pdvs.into_iter().map(Pdv::into_owned).collect(),
        }
    }
}

impl Pdv<'_> {
    /// A copy that owns all its bytes.
    pub fn into_owned(self) -> Pdv<'static> {
        Pdv {
            context_id: self.context_id,
            message_control: self.message_control,
            data: owned(self.data),
        }
    }
}
