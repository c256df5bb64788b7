//! Encoding of PDUs to bytes; every length field is computed from the contents.
//!
//! Values are written as given (no padding is added or removed). Item and sub-item values
//! are limited to 65535 bytes by their 16-bit length fields; building a longer one is a
//! programming error (debug builds assert, release builds write 65535).

use super::{
    Associate, Item, PData, Pdu, Pdv, PresentationContextAc, PresentationContextRq, UserItem,
    HEADER_LEN,
};

impl Pdu<'_> {
    /// Appends the encoded PDU, header included, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let body_len = self.body_len();
        out.reserve(HEADER_LEN + body_len);
        out.push(self.pdu_type() as u8);
        out.push(0);
        put_u32(out, len32(body_len));
        match self {
            Pdu::AssociateRq(a) | Pdu::AssociateAc(a) => a.encode_body(out),
            Pdu::AssociateRj(rj) => {
                out.extend_from_slice(&[rj.reserved_6, rj.result, rj.source, rj.reason])
            }
            Pdu::PData(p) => p.encode_body(out),
            Pdu::ReleaseRq(r) | Pdu::ReleaseRp(r) => out.extend_from_slice(&r.reserved),
            Pdu::Abort(a) => {
                out.extend_from_slice(&a.reserved);
                out.push(a.source);
                out.push(a.reason);
            }
        }
    }

    /// The number of bytes [`Pdu::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.body_len()
    }

    /// The encoded PDU in a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }

    /// The value of the PDU-length field.
    fn body_len(&self) -> usize {
        match self {
            Pdu::AssociateRq(a) | Pdu::AssociateAc(a) => a.body_len(),
            Pdu::PData(p) => p.pdvs.iter().map(Pdv::item_len).sum(),
            Pdu::AssociateRj(_) | Pdu::ReleaseRq(_) | Pdu::ReleaseRp(_) | Pdu::Abort(_) => 4,
        }
    }
}

/// Appends a P-DATA-TF holding one PDV, without building a [`Pdu`]: the send path of the
/// network layer.
pub fn encode_pdata_single(
    out: &mut Vec<u8>,
    context_id: u8,
    message_control: u8,
    fragment: &[u8],
) {
    let pdv_len = 2 + fragment.len();
    out.reserve(HEADER_LEN + 4 + pdv_len);
    out.push(0x04);
    out.push(0);
    put_u32(out, len32(4 + pdv_len));
    put_u32(out, len32(pdv_len));
    out.push(context_id);
    out.push(message_control);
    out.extend_from_slice(fragment);
}

impl Associate<'_> {
    fn body_len(&self) -> usize {
        68 + self.items.iter().map(|i| 4 + i.value_len()).sum::<usize>()
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        put_u16(out, self.protocol_version);
        put_u16(out, self.reserved_8_9);
        out.extend_from_slice(&self.called_ae_title);
        out.extend_from_slice(&self.calling_ae_title);
        out.extend_from_slice(&self.reserved_42_73);
        for item in &self.items {
            item.encode(out);
        }
    }
}

impl Item<'_> {
    /// The item type byte.
    pub fn item_type(&self) -> u8 {
        match self {
            Item::ApplicationContext(_) => 0x10,
            Item::PresentationContextRq(_) => 0x20,
            Item::PresentationContextAc(_) => 0x21,
            Item::UserInformation(_) => 0x50,
            Item::Unknown { item_type, .. } => *item_type,
        }
    }

    /// The value of the item's length field.
    fn value_len(&self) -> usize {
        match self {
            Item::ApplicationContext(name) => name.len(),
            Item::PresentationContextRq(pc) => pc.value_len(),
            Item::PresentationContextAc(pc) => pc.value_len(),
            Item::UserInformation(subs) => subs.iter().map(|s| 4 + s.value_len()).sum(),
            Item::Unknown { value, .. } => value.len(),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_item_header(out, self.item_type(), 0, self.value_len());
        match self {
            Item::ApplicationContext(name) => out.extend_from_slice(name),
            Item::PresentationContextRq(pc) => {
                out.push(pc.context_id);
                out.extend_from_slice(&pc.reserved);
                put_item(out, 0x30, &pc.abstract_syntax);
                for ts in &pc.transfer_syntaxes {
                    put_item(out, 0x40, ts);
                }
            }
            Item::PresentationContextAc(pc) => {
                out.extend_from_slice(&[pc.context_id, pc.reserved_5, pc.result, pc.reserved_7]);
                if let Some(ts) = &pc.transfer_syntax {
                    put_item(out, 0x40, ts);
                }
            }
            Item::UserInformation(subs) => {
                for sub in subs {
                    sub.encode(out);
                }
            }
            Item::Unknown { value, .. } => out.extend_from_slice(value),
        }
    }
}

impl PresentationContextRq<'_> {
    fn value_len(&self) -> usize {
        4 + 4
            + self.abstract_syntax.len()
            + self
                .transfer_syntaxes
                .iter()
                .map(|ts| 4 + ts.len())
                .sum::<usize>()
    }
}

impl PresentationContextAc<'_> {
    fn value_len(&self) -> usize {
        4 + self.transfer_syntax.as_ref().map_or(0, |ts| 4 + ts.len())
    }
}

impl UserItem<'_> {
    /// The sub-item type byte.
    pub fn item_type(&self) -> u8 {
        match self {
            UserItem::MaximumLength(_) => 0x51,
            UserItem::ImplementationClassUid(_) => 0x52,
            UserItem::AsyncOpsWindow { .. } => 0x53,
            UserItem::RoleSelection { .. } => 0x54,
            UserItem::ImplementationVersionName(_) => 0x55,
            UserItem::SopClassExtended { .. } => 0x56,
            UserItem::SopClassCommonExtended { .. } => 0x57,
            UserItem::UserIdentityRq { .. } => 0x58,
            UserItem::UserIdentityAc { .. } => 0x59,
            UserItem::Unknown { item_type, .. } => *item_type,
        }
    }

    /// The number of bytes [`UserItem::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        4 + self.value_len()
    }

    /// The value of the sub-item's length field.
    fn value_len(&self) -> usize {
        match self {
            UserItem::MaximumLength(_) | UserItem::AsyncOpsWindow { .. } => 4,
            UserItem::ImplementationClassUid(v)
            | UserItem::ImplementationVersionName(v)
            | UserItem::Unknown { value: v, .. } => v.len(),
            UserItem::RoleSelection { sop_class_uid, .. } => 2 + sop_class_uid.len() + 2,
            UserItem::SopClassExtended {
                sop_class_uid,
                app_info,
            } => 2 + sop_class_uid.len() + app_info.len(),
            UserItem::SopClassCommonExtended {
                sop_class_uid,
                service_class_uid,
                related_general_sop_classes,
                ..
            } => {
                2 + sop_class_uid.len()
                    + 2
                    + service_class_uid.len()
                    + 2
                    + related_len(related_general_sop_classes)
            }
            UserItem::UserIdentityRq {
                primary, secondary, ..
            } => 2 + 2 + primary.len() + 2 + secondary.len(),
            UserItem::UserIdentityAc { server_response } => 2 + server_response.len(),
        }
    }

    /// Appends the encoded sub-item (type, reserved/version byte, length, value) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let byte_1 = match self {
            UserItem::SopClassCommonExtended { version, .. } => *version,
            _ => 0,
        };
        put_item_header(out, self.item_type(), byte_1, self.value_len());
        match self {
            UserItem::MaximumLength(max) => put_u32(out, *max),
            UserItem::ImplementationClassUid(v)
            | UserItem::ImplementationVersionName(v)
            | UserItem::Unknown { value: v, .. } => out.extend_from_slice(v),
            UserItem::AsyncOpsWindow { invoked, performed } => {
                put_u16(out, *invoked);
                put_u16(out, *performed);
            }
            UserItem::RoleSelection {
                sop_class_uid,
                scu_role,
                scp_role,
            } => {
                put_field16(out, sop_class_uid);
                out.push(*scu_role);
                out.push(*scp_role);
            }
            UserItem::SopClassExtended {
                sop_class_uid,
                app_info,
            } => {
                put_field16(out, sop_class_uid);
                out.extend_from_slice(app_info);
            }
            UserItem::SopClassCommonExtended {
                sop_class_uid,
                service_class_uid,
                related_general_sop_classes,
                ..
            } => {
                put_field16(out, sop_class_uid);
                put_field16(out, service_class_uid);
                put_u16(out, len16(related_len(related_general_sop_classes)));
                for uid in related_general_sop_classes {
                    put_field16(out, uid);
                }
            }
            UserItem::UserIdentityRq {
                identity_type,
                positive_response_requested,
                primary,
                secondary,
            } => {
                out.push(*identity_type);
                out.push(*positive_response_requested);
                put_field16(out, primary);
                put_field16(out, secondary);
            }
            UserItem::UserIdentityAc { server_response } => put_field16(out, server_response),
        }
    }
}

impl PData<'_> {
    fn encode_body(&self, out: &mut Vec<u8>) {
        for pdv in &self.pdvs {
            put_u32(out, len32(2 + pdv.data.len()));
            out.push(pdv.context_id);
            out.push(pdv.message_control);
            out.extend_from_slice(&pdv.data);
        }
    }
}

impl Pdv<'_> {
    /// Bytes of the whole PDV item, its 4-byte length field included.
    fn item_len(&self) -> usize {
        4 + 2 + self.data.len()
    }
}

/// Bytes of the related-general-SOP-class list of sub-item 57H.
fn related_len(uids: &[super::Bytes<'_>]) -> usize {
    uids.iter().map(|uid| 2 + uid.len()).sum()
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn len16(len: usize) -> u16 {
    debug_assert!(len <= usize::from(u16::MAX), "item value of {len} bytes");
    u16::try_from(len).unwrap_or(u16::MAX)
}

fn len32(len: usize) -> u32 {
    debug_assert!(u32::try_from(len).is_ok(), "PDU of {len} bytes");
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn put_item_header(out: &mut Vec<u8>, item_type: u8, byte_1: u8, value_len: usize) {
    out.push(item_type);
    out.push(byte_1);
    put_u16(out, len16(value_len));
}

/// An item or sub-item whose whole value is `value`.
fn put_item(out: &mut Vec<u8>, item_type: u8, value: &[u8]) {
    put_item_header(out, item_type, 0, value.len());
    out.extend_from_slice(value);
}

/// A field preceded by its 16-bit length.
fn put_field16(out: &mut Vec<u8>, value: &[u8]) {
    put_u16(out, len16(value.len()));
    out.extend_from_slice(value);
}
