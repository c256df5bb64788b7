//! Decoding of whole PDUs from bytes received off the wire.
//!
//! Every length is checked against the bytes actually present before it is used, and nothing
//! is allocated from a length the peer claims: variable fields borrow from the input.
//!
//! Leniency, decided once here:
//! - Fixed-length PDUs (A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT) need a length field of at
//!   least 4; bytes after the first 4 are ignored, as DCMTK and pynetdicom do (dcm4che aborts).
//! - Unrecognised items and user-information sub-items are kept as `Unknown` (they re-encode
//!   unchanged and negotiation skips them); unrecognised sub-items inside a presentation
//!   context item are skipped and dropped.
//! - Items 20H and 21H are decoded in either A-ASSOCIATE PDU; the accessors on
//!   [`Associate`] pick the ones that belong to the PDU at hand.
//! - Zero-length values are refused only where PS3.8 makes the value mandatory: the
//!   application context name (10H), the abstract syntax (30H), transfer syntaxes (40H) of a
//!   proposed context, and the transfer syntax of an accepted context (21H with result 0).
//!
//! Byte-for-byte re-encoding holds for every input that decodes, except for what is dropped
//! above, the reserved byte 1 of the PDU header and of items (always written as 0), and
//! sub-items of a presentation context item that do not come as 30H first then 40H.

use std::borrow::Cow;

use super::{
    Abort, Associate, AssociateRj, Item, PData, Pdu, PduType, Pdv, PresentationContextAc,
    PresentationContextRq, Release, UserItem, HEADER_LEN,
};
use super::{PduError, PduErrorKind};

/// Name used in errors when the PDU type byte is not recognised.
const UNKNOWN_PDU: &str = "unknown PDU";
/// Item name used in errors raised by [`PdvIter`].
const PDV_ITEM: &str = "PDV item";

/// Length of the fixed part of an A-ASSOCIATE-RQ/AC body (bytes 6-73).
const ASSOCIATE_FIXED_LEN: usize = 68;
/// Length of the body of A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT.
const FIXED_BODY_LEN: usize = 4;

/// Splits the 6-byte PDU header into the PDU type byte and the PDU-length field.
///
/// An unrecognised type byte is not an error here (see [`PduType::from_u8`]); only a header
/// shorter than 6 bytes is.
pub fn decode_header(header: &[u8]) -> Result<(u8, u32), PduError> {
    match header.first_chunk::<HEADER_LEN>() {
        Some(&[pdu_type, _, a, b, c, d]) => Ok((pdu_type, u32::from_be_bytes([a, b, c, d]))),
        None => Err(PduError {
            pdu: header
                .first()
                .and_then(|&t| PduType::from_u8(t))
                .map_or(UNKNOWN_PDU, PduType::name),
            item: None,
            offset: header.len(),
            kind: PduErrorKind::Truncated {
                needed: HEADER_LEN,
                available: header.len(),
            },
        }),
    }
}

/// Decodes one whole PDU, header included; its length field must match `data` exactly.
pub fn decode(data: &[u8]) -> Result<Pdu<'_>, PduError> {
    let (type_byte, length) = decode_header(data)?;
    let Some(pdu_type) = PduType::from_u8(type_byte) else {
        return Err(PduError {
            pdu: UNKNOWN_PDU,
            item: None,
            offset: 0,
            kind: PduErrorKind::UnknownPduType(type_byte),
        });
    };
    let pdu = pdu_type.name();
    let declared = usize::try_from(length).unwrap_or(usize::MAX);
    let actual = data.len() - HEADER_LEN;
    if declared > actual {
        return Err(PduError {
            pdu,
            item: None,
            offset: data.len(),
            kind: PduErrorKind::Truncated {
                needed: declared.saturating_add(HEADER_LEN),
                available: data.len(),
            },
        });
    }
    if declared < actual {
        return Err(PduError {
            pdu,
            item: None,
            offset: 2,
            kind: PduErrorKind::InvalidLength {
                declared,
                expected: actual,
            },
        });
    }
    let mut r = Reader {
        data,
        pos: HEADER_LEN,
        end: data.len(),
        pdu,
        item: None,
    };
    Ok(match pdu_type {
        PduType::AssociateRq => Pdu::AssociateRq(decode_associate(r)?),
        PduType::AssociateAc => Pdu::AssociateAc(decode_associate(r)?),
        PduType::AssociateRj => {
            let [reserved_6, result, source, reason] = fixed_body(&mut r)?;
            Pdu::AssociateRj(AssociateRj {
                reserved_6,
                result,
                source,
                reason,
            })
        }
        PduType::PData => {
            let body = r.rest();
            let pdvs = self::pdvs(body).collect::<Result<Vec<_>, _>>()?;
            Pdu::PData(PData { pdvs })
        }
        PduType::ReleaseRq => Pdu::ReleaseRq(Release {
            reserved: fixed_body(&mut r)?,
        }),
        PduType::ReleaseRp => Pdu::ReleaseRp(Release {
            reserved: fixed_body(&mut r)?,
        }),
        PduType::Abort => {
            let [r6, r7, source, reason] = fixed_body(&mut r)?;
            Pdu::Abort(Abort {
                reserved: [r6, r7],
                source,
                reason,
            })
        }
    })
}

/// The whole PDUs at the start of a byte stream, in order, each with its 6-byte header,
/// split by the lengths their headers announce; a trailing piece shorter than its header
/// says is left out (its bytes follow the last PDU yielded).
pub fn whole_pdus(mut bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (_, len) = decode_header(bytes).ok()?;
        let pdu = bytes.get(..HEADER_LEN.checked_add(len as usize)?)?;
        bytes = &bytes[pdu.len()..];
        Some(pdu)
    })
}

/// The PDV items of a P-DATA-TF body (the bytes after the 6-byte header), without
/// allocating.
pub fn pdvs(body: &[u8]) -> PdvIter<'_> {
    PdvIter {
        body,
        pos: 0,
        done: false,
    }
}

/// Iterator over the PDV items of a P-DATA-TF body; see [`pdvs`].
///
/// Yields an error, then stops, if the body holds no PDV ([`PduErrorKind::NoPdv`]), if a PDV
/// item length is below 2, or if an item does not end exactly within the body. Error offsets
/// are absolute in the PDU (the body starts at offset 6).
#[derive(Debug, Clone)]
pub struct PdvIter<'a> {
    body: &'a [u8],
    /// Offset in `body` of the next PDV item.
    pos: usize,
    done: bool,
}

impl<'a> PdvIter<'a> {
    /// An error at `pos` in the body.
    #[cold]
    fn fail(&mut self, kind: PduErrorKind) -> Option<Result<Pdv<'a>, PduError>> {
        self.done = true;
        Some(Err(PduError {
            pdu: PduType::PData.name(),
            item: Some(PDV_ITEM),
            offset: HEADER_LEN + self.pos,
            kind,
        }))
    }
}

impl<'a> Iterator for PdvIter<'a> {
    type Item = Result<Pdv<'a>, PduError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.body.get(self.pos..).unwrap_or_default();
        let Some((len_field, value)) = rest.split_first_chunk::<4>() else {
            if rest.is_empty() {
                if self.pos == 0 {
                    return self.fail(PduErrorKind::NoPdv);
                }
                self.done = true;
                return None;
            }
            return self.fail(PduErrorKind::Truncated {
                needed: 4,
                available: rest.len(),
            });
        };
        let len = usize::try_from(u32::from_be_bytes(*len_field)).unwrap_or(usize::MAX);
        match value.get(..len) {
            Some([context_id, message_control, data @ ..]) => {
                self.pos += 4 + len;
                Some(Ok(Pdv {
                    context_id: *context_id,
                    message_control: *message_control,
                    data: Cow::Borrowed(data),
                }))
            }
            Some(_) => self.fail(PduErrorKind::LengthTooSmall {
                declared: len,
                minimum: 2,
            }),
            None => {
                let start = HEADER_LEN + self.pos;
                self.fail(PduErrorKind::ItemOverrunsParent {
                    item_end: start.saturating_add(4).saturating_add(len),
                    parent_end: HEADER_LEN + self.body.len(),
                })
            }
        }
    }
}

impl std::iter::FusedIterator for PdvIter<'_> {}

/// The 4-byte body of a fixed-length PDU; excess bytes are ignored.
fn fixed_body(r: &mut Reader<'_>) -> Result<[u8; FIXED_BODY_LEN], PduError> {
    if r.remaining() < FIXED_BODY_LEN {
        return Err(r.error_at(
            2,
            PduErrorKind::LengthTooSmall {
                declared: r.remaining(),
                minimum: FIXED_BODY_LEN,
            },
        ));
    }
    r.array()
}

fn decode_associate(mut r: Reader<'_>) -> Result<Associate<'_>, PduError> {
    if r.remaining() < ASSOCIATE_FIXED_LEN {
        return Err(r.error_at(
            2,
            PduErrorKind::LengthTooSmall {
                declared: r.remaining(),
                minimum: ASSOCIATE_FIXED_LEN,
            },
        ));
    }
    let protocol_version = r.u16()?;
    let reserved_8_9 = r.u16()?;
    let called_ae_title = r.array()?;
    let calling_ae_title = r.array()?;
    let reserved_42_73 = r.array()?;
    let mut items = Vec::new();
    while r.remaining() > 0 {
        let (item_type, _, start, mut v) = r.item(top_item_name)?;
        items.push(match item_type {
            0x10 => Item::ApplicationContext(v.non_empty(start)?),
            0x20 => Item::PresentationContextRq(decode_context_rq(&mut v)?),
            0x21 => Item::PresentationContextAc(decode_context_ac(&mut v)?),
            0x50 => Item::UserInformation(decode_user_information(&mut v)?),
            _ => Item::Unknown {
                item_type,
                value: Cow::Borrowed(v.rest()),
            },
        });
    }
    Ok(Associate {
        protocol_version,
        reserved_8_9,
        called_ae_title,
        calling_ae_title,
        reserved_42_73,
        items,
    })
}

fn decode_context_rq<'a>(r: &mut Reader<'a>) -> Result<PresentationContextRq<'a>, PduError> {
    let item_start = r.pos.saturating_sub(4);
    let [context_id, r5, r6, r7] = r.array()?;
    let mut abstract_syntax = None;
    let mut transfer_syntaxes = Vec::new();
    while r.remaining() > 0 {
        let (sub_type, _, start, mut v) = r.item(context_sub_item_name)?;
        match sub_type {
            0x30 => {
                if abstract_syntax.is_some() {
                    return Err(v.error_at(
                        start,
                        PduErrorKind::Invalid("more than one abstract syntax sub-item"),
                    ));
                }
                abstract_syntax = Some(v.non_empty(start)?);
            }
            0x40 => transfer_syntaxes.push(v.non_empty(start)?),
            _ => {}
        }
    }
    let Some(abstract_syntax) = abstract_syntax else {
        return Err(r.error_at(
            item_start,
            PduErrorKind::Invalid("presentation context without abstract syntax sub-item"),
        ));
    };
    Ok(PresentationContextRq {
        context_id,
        reserved: [r5, r6, r7],
        abstract_syntax,
        transfer_syntaxes,
    })
}

fn decode_context_ac<'a>(r: &mut Reader<'a>) -> Result<PresentationContextAc<'a>, PduError> {
    let [context_id, reserved_5, result, reserved_7] = r.array()?;
    let mut transfer_syntax = None;
    while r.remaining() > 0 {
        let (sub_type, _, start, mut v) = r.item(context_sub_item_name)?;
        if sub_type != 0x40 {
            continue;
        }
        if transfer_syntax.is_some() {
            return Err(v.error_at(
                start,
                PduErrorKind::Invalid("more than one transfer syntax sub-item"),
            ));
        }
        transfer_syntax = Some(if result == 0 {
            v.non_empty(start)?
        } else {
            Cow::Borrowed(v.rest())
        });
    }
    Ok(PresentationContextAc {
        context_id,
        reserved_5,
        result,
        reserved_7,
        transfer_syntax,
    })
}

fn decode_user_information<'a>(r: &mut Reader<'a>) -> Result<Vec<UserItem<'a>>, PduError> {
    let mut sub_items = Vec::new();
    while r.remaining() > 0 {
        let (sub_type, byte_1, start, mut v) = r.item(user_sub_item_name)?;
        sub_items.push(decode_user_item(sub_type, byte_1, start, &mut v)?);
        if v.remaining() != 0 {
            let declared = v.end.saturating_sub(start + 4);
            return Err(v.error_at(
                start,
                PduErrorKind::InvalidLength {
                    declared,
                    expected: declared.saturating_sub(v.remaining()),
                },
            ));
        }
    }
    Ok(sub_items)
}

/// One user-information sub-item; the caller checks that its value was fully consumed.
fn decode_user_item<'a>(
    sub_type: u8,
    byte_1: u8,
    start: usize,
    v: &mut Reader<'a>,
) -> Result<UserItem<'a>, PduError> {
    Ok(match sub_type {
        0x51 => {
            v.exact_len(start, 4)?;
            UserItem::MaximumLength(v.u32()?)
        }
        0x52 => UserItem::ImplementationClassUid(Cow::Borrowed(v.rest())),
        0x53 => {
            v.exact_len(start, 4)?;
            UserItem::AsyncOpsWindow {
                invoked: v.u16()?,
                performed: v.u16()?,
            }
        }
        0x54 => UserItem::RoleSelection {
            sop_class_uid: v.field16()?,
            scu_role: v.u8()?,
            scp_role: v.u8()?,
        },
        0x55 => UserItem::ImplementationVersionName(Cow::Borrowed(v.rest())),
        0x56 => UserItem::SopClassExtended {
            sop_class_uid: v.field16()?,
            app_info: Cow::Borrowed(v.rest()),
        },
        0x57 => {
            let sop_class_uid = v.field16()?;
            let service_class_uid = v.field16()?;
            let related_len = usize::from(v.u16()?);
            let related_start = v.pos;
            let related_bytes = v.take(related_len)?;
            let mut related = Reader {
                data: v.data,
                pos: related_start,
                end: related_start + related_bytes.len(),
                pdu: v.pdu,
                item: v.item,
            };
            let mut related_general_sop_classes = Vec::new();
            while related.remaining() > 0 {
                related_general_sop_classes.push(related.field16()?);
            }
            UserItem::SopClassCommonExtended {
                version: byte_1,
                sop_class_uid,
                service_class_uid,
                related_general_sop_classes,
            }
        }
        0x58 => UserItem::UserIdentityRq {
            identity_type: v.u8()?,
            positive_response_requested: v.u8()?,
            primary: v.field16()?,
            secondary: v.field16()?,
        },
        0x59 => UserItem::UserIdentityAc {
            server_response: v.field16()?,
        },
        _ => UserItem::Unknown {
            item_type: sub_type,
            value: Cow::Borrowed(v.rest()),
        },
    })
}

fn top_item_name(item_type: u8) -> &'static str {
    match item_type {
        0x10 => "Application Context (10H)",
        0x20 => "Presentation Context (20H)",
        0x21 => "Presentation Context (21H)",
        0x50 => "User Information (50H)",
        _ => "unrecognised item",
    }
}

fn context_sub_item_name(item_type: u8) -> &'static str {
    match item_type {
        0x30 => "Abstract Syntax (30H)",
        0x40 => "Transfer Syntax (40H)",
        _ => "unrecognised presentation context sub-item",
    }
}

fn user_sub_item_name(item_type: u8) -> &'static str {
    match item_type {
        0x51 => "Maximum Length (51H)",
        0x52 => "Implementation Class UID (52H)",
        0x53 => "Asynchronous Operations Window (53H)",
        0x54 => "SCP/SCU Role Selection (54H)",
        0x55 => "Implementation Version Name (55H)",
        0x56 => "SOP Class Extended Negotiation (56H)",
        0x57 => "SOP Class Common Extended Negotiation (57H)",
        0x58 => "User Identity (58H)",
        0x59 => "User Identity (59H)",
        _ => "unrecognised user information sub-item",
    }
}

/// A bounds-checked cursor over one region (PDU body, item or sub-item value) of a PDU.
///
/// Invariant: `pos <= end <= data.len()`; positions are absolute in the PDU.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
    pdu: &'static str,
    item: Option<&'static str>,
}

impl<'a> Reader<'a> {
    #[cold]
    fn error_at(&self, offset: usize, kind: PduErrorKind) -> PduError {
        PduError {
            pdu: self.pdu,
            item: self.item,
            offset,
            kind,
        }
    }

    fn remaining(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }

    /// The next `n` bytes of the region.
    fn take(&mut self, n: usize) -> Result<&'a [u8], PduError> {
        let available = self.remaining();
        let bytes = if n <= available {
            self.data.get(self.pos..self.pos + n)
        } else {
            None
        };
        match bytes {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(self.error_at(
                self.pos,
                PduErrorKind::Truncated {
                    needed: n,
                    available,
                },
            )),
        }
    }

    /// Everything left in the region.
    fn rest(&mut self) -> &'a [u8] {
        let rest = self.data.get(self.pos..self.end).unwrap_or_default();
        self.pos = self.end;
        rest
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PduError> {
        let bytes = self.take(N)?;
        bytes
            .try_into()
            .map_err(|_| self.error_at(self.pos, PduErrorKind::Invalid("internal length error")))
    }

    fn u8(&mut self) -> Result<u8, PduError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, PduError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, PduError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A field preceded by its own 16-bit length.
    fn field16(&mut self) -> Result<Cow<'a, [u8]>, PduError> {
        let len = usize::from(self.u16()?);
        Ok(Cow::Borrowed(self.take(len)?))
    }

    /// The rest of the region, which must not be empty; `start` is the enclosing item's.
    fn non_empty(&mut self, start: usize) -> Result<Cow<'a, [u8]>, PduError> {
        let value = self.rest();
        if value.is_empty() {
            return Err(self.error_at(start, PduErrorKind::EmptyField));
        }
        Ok(Cow::Borrowed(value))
    }

    /// Requires the region to be exactly `len` bytes long; `start` is the item's offset.
    fn exact_len(&self, start: usize, len: usize) -> Result<(), PduError> {
        let declared = self.remaining();
        if declared != len {
            return Err(self.error_at(
                start,
                PduErrorKind::InvalidLength {
                    declared,
                    expected: len,
                },
            ));
        }
        Ok(())
    }

    /// The next item: its type, byte 1 (reserved, or a version), its absolute start, and a
    /// reader over its value. Items have a 16-bit length.
    fn item(
        &mut self,
        name_of: fn(u8) -> &'static str,
    ) -> Result<(u8, u8, usize, Reader<'a>), PduError> {
        let start = self.pos;
        let name = self.data.get(start).map(|&t| name_of(t));
        let header: [u8; 4] = match self.array() {
            Ok(header) => header,
            Err(mut e) => {
                e.item = name.or(e.item);
                return Err(e);
            }
        };
        let [item_type, byte_1, hi, lo] = header;
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let value_start = self.pos;
        if len > self.remaining() {
            return Err(PduError {
                pdu: self.pdu,
                item: name,
                offset: start,
                kind: PduErrorKind::ItemOverrunsParent {
                    item_end: value_start + len,
                    parent_end: self.end,
                },
            });
        }
        self.pos += len;
        Ok((
            item_type,
            byte_1,
            start,
            Reader {
                data: self.data,
                pos: value_start,
                end: value_start + len,
                pdu: self.pdu,
                item: name,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_pdus_splits_at_each_header_length() {
        let release_rq = [5u8, 0, 0, 0, 0, 4, 0, 0, 0, 0];
        let pdata = [4u8, 0, 0, 0, 0, 2, 0xAA, 0xBB];
        let mut bytes = release_rq.to_vec();
        bytes.extend_from_slice(&pdata);
        let got: Vec<&[u8]> = whole_pdus(&bytes).collect();
        assert_eq!(got, vec![&release_rq[..], &pdata[..]]);
        // A piece shorter than its header says is not a PDU.
        bytes.extend_from_slice(&[7, 0, 0, 0, 0, 4, 0]);
        assert_eq!(whole_pdus(&bytes).count(), 2);
        assert_eq!(whole_pdus(&[]).count(), 0);
    }
}
