//! SOP class extended negotiation (sub-item 56H, PS3.7 D.3.3.5) and SOP class common
//! extended negotiation (sub-item 57H, PS3.7 D.3.3.6).
//!
//! 56H carries service-class specific application information for one SOP class: the
//! requestor proposes it and the acceptor may answer it with its own 56H for that SOP
//! class. 57H tells the acceptor which service class (and which general SOP classes) a
//! specialised SOP class belongs to; it is never answered (D.3.3.6).

use std::borrow::Cow;

use super::error::AssocError;
use super::text::{check_uid, uid_text};
use crate::pdu::UserItem;

/// One SOP class extended negotiation sub-item (56H).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SopClassExtended {
    pub sop_class_uid: String,
    /// The service class application information, as defined by the service class
    /// (PS3.4); opaque here.
    pub app_info: Vec<u8>,
}

/// One SOP class common extended negotiation sub-item (57H).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SopClassCommonExtended {
    pub sop_class_uid: String,
    pub service_class_uid: String,
    /// The related general SOP class UIDs, possibly none.
    pub related_general_sop_classes: Vec<String>,
}

/// Fails when a sub-item value of `len` bytes does not fit its 16-bit length field.
fn fits(field: &'static str, len: usize) -> Result<(), AssocError> {
    if len > usize::from(u16::MAX) {
        return Err(AssocError::FieldTooLong { field, len });
    }
    Ok(())
}

impl SopClassExtended {
    /// The 56H sub-item, its UID and length checked.
    pub fn to_user_item(&self) -> Result<UserItem<'static>, AssocError> {
        check_uid(&self.sop_class_uid)?;
        fits(
            "SOP class extended negotiation sub-item",
            2 + self.sop_class_uid.len() + self.app_info.len(),
        )?;
        Ok(UserItem::SopClassExtended {
            sop_class_uid: Cow::Owned(self.sop_class_uid.as_bytes().to_vec()),
            app_info: Cow::Owned(self.app_info.clone()),
        })
    }

    /// The 56H sub-item `item`, if it is one (its UID without padding).
    pub fn from_user_item(item: &UserItem<'_>) -> Option<Self> {
        match item {
            UserItem::SopClassExtended {
                sop_class_uid,
                app_info,
            } => Some(SopClassExtended {
                sop_class_uid: uid_text(sop_class_uid),
                app_info: app_info.to_vec(),
            }),
            _ => None,
        }
    }
}

impl SopClassCommonExtended {
    /// The 57H sub-item (version 0), its UIDs and lengths checked.
    pub fn to_user_item(&self) -> Result<UserItem<'static>, AssocError> {
        check_uid(&self.sop_class_uid)?;
        check_uid(&self.service_class_uid)?;
        let mut related_len = 0;
        for uid in &self.related_general_sop_classes {
            check_uid(uid)?;
            related_len += 2 + uid.len();
        }
        fits("related general SOP class identification", related_len)?;
        fits(
            "SOP class common extended negotiation sub-item",
            2 + self.sop_class_uid.len() + 2 + self.service_class_uid.len() + 2 + related_len,
        )?;
        let bytes = |uid: &String| Cow::Owned(uid.as_bytes().to_vec());
        Ok(UserItem::SopClassCommonExtended {
            version: 0,
            sop_class_uid: bytes(&self.sop_class_uid),
            service_class_uid: bytes(&self.service_class_uid),
            related_general_sop_classes: self
                .related_general_sop_classes
                .iter()
                .map(bytes)
                .collect(),
        })
    }

    /// The 57H sub-item `item`, if it is one (its UIDs without padding).
    pub fn from_user_item(item: &UserItem<'_>) -> Option<Self> {
        match item {
            UserItem::SopClassCommonExtended {
                sop_class_uid,
                service_class_uid,
                related_general_sop_classes,
                ..
            } => Some(SopClassCommonExtended {
                sop_class_uid: uid_text(sop_class_uid),
                service_class_uid: uid_text(service_class_uid),
                related_general_sop_classes: related_general_sop_classes
                    .iter()
                    .map(|uid| uid_text(uid))
                    .collect(),
            }),
            _ => None,
        }
    }
}

/// The SOP class extended negotiation sub-items (56H) of an A-ASSOCIATE-RQ or -AC, in wire
/// order.
pub fn sop_class_extended_of(a: &crate::pdu::Associate<'_>) -> Vec<SopClassExtended> {
    super::items::sop_class_extended(a).collect()
}

/// The SOP class common extended negotiation sub-items (57H) of an A-ASSOCIATE-RQ, in wire
/// order.
pub fn sop_class_common_extended_of(a: &crate::pdu::Associate<'_>) -> Vec<SopClassCommonExtended> {
    super::items::sop_class_common_extended(a).collect()
}
