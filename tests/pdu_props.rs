//! Property tests: any valid PDU value survives encode -> decode unchanged, and the decoded
//! bytes re-encode identically.

use std::borrow::Cow;

use fastdimse::pdu::{
    decode, encode_pdata_single, pdvs, Abort, Associate, AssociateRj, Bytes, Item, PData, Pdu, Pdv,
    PresentationContextAc, PresentationContextRq, Release, UserItem, HEADER_LEN,
};
use proptest::collection::vec;
use proptest::prelude::*;

fn bytes(min: usize, max: usize) -> impl Strategy<Value = Bytes<'static>> {
    vec(any::<u8>(), min..=max).prop_map(Cow::Owned)
}

/// A UID-like value; never empty.
fn uid() -> impl Strategy<Value = Bytes<'static>> {
    bytes(1, 40)
}

fn context_rq() -> impl Strategy<Value = PresentationContextRq<'static>> {
    (any::<u8>(), any::<[u8; 3]>(), uid(), vec(uid(), 0..4)).prop_map(
        |(context_id, reserved, abstract_syntax, transfer_syntaxes)| PresentationContextRq {
            context_id,
            reserved,
            abstract_syntax,
            transfer_syntaxes,
        },
    )
}

fn context_ac() -> impl Strategy<Value = PresentationContextAc<'static>> {
    (
        any::<u8>(),
        any::<u8>(),
        0u8..6,
        any::<u8>(),
        proptest::option::of(uid()),
        bytes(0, 3),
    )
        .prop_map(
            |(context_id, reserved_5, result, reserved_7, ts, empty_or_short)| {
                // A rejected context may carry any transfer syntax value, even an empty one.
                let transfer_syntax = match (result, ts) {
                    (0, ts) => ts,
                    (_, Some(_)) => Some(empty_or_short),
                    (_, None) => None,
                };
                PresentationContextAc {
                    context_id,
                    reserved_5,
                    result,
                    reserved_7,
                    transfer_syntax,
                }
            },
        )
}

fn user_item() -> impl Strategy<Value = UserItem<'static>> {
    prop_oneof![
        any::<u32>().prop_map(UserItem::MaximumLength),
        bytes(0, 64).prop_map(UserItem::ImplementationClassUid),
        (any::<u16>(), any::<u16>())
            .prop_map(|(invoked, performed)| UserItem::AsyncOpsWindow { invoked, performed }),
        (bytes(0, 64), any::<u8>(), any::<u8>()).prop_map(|(sop_class_uid, scu_role, scp_role)| {
            UserItem::RoleSelection {
                sop_class_uid,
                scu_role,
                scp_role,
            }
        }),
        bytes(0, 16).prop_map(UserItem::ImplementationVersionName),
        (bytes(0, 64), bytes(0, 32)).prop_map(|(sop_class_uid, app_info)| {
            UserItem::SopClassExtended {
                sop_class_uid,
                app_info,
            }
        }),
        (
            any::<u8>(),
            bytes(0, 64),
            bytes(0, 64),
            vec(bytes(0, 64), 0..4)
        )
            .prop_map(
                |(version, sop_class_uid, service_class_uid, related_general_sop_classes)| {
                    UserItem::SopClassCommonExtended {
                        version,
                        sop_class_uid,
                        service_class_uid,
                        related_general_sop_classes,
                    }
                }
            ),
        (any::<u8>(), any::<u8>(), bytes(0, 64), bytes(0, 64)).prop_map(
            |(identity_type, positive_response_requested, primary, secondary)| {
                UserItem::UserIdentityRq {
                    identity_type,
                    positive_response_requested,
                    primary,
                    secondary,
                }
            }
        ),
        bytes(0, 64).prop_map(|server_response| UserItem::UserIdentityAc { server_response }),
        (
            any::<u8>().prop_filter("not a defined sub-item", |t| !(0x51..=0x59).contains(t)),
            bytes(0, 32)
        )
            .prop_map(|(item_type, value)| UserItem::Unknown { item_type, value }),
    ]
}

fn item() -> impl Strategy<Value = Item<'static>> {
    prop_oneof![
        uid().prop_map(Item::ApplicationContext),
        context_rq().prop_map(Item::PresentationContextRq),
        context_ac().prop_map(Item::PresentationContextAc),
        vec(user_item(), 0..8).prop_map(Item::UserInformation),
        (
            any::<u8>().prop_filter("not a defined item", |t| ![0x10, 0x20, 0x21, 0x50]
                .contains(t)),
            bytes(0, 32)
        )
            .prop_map(|(item_type, value)| Item::Unknown { item_type, value }),
    ]
}

fn associate() -> impl Strategy<Value = Associate<'static>> {
    (
        any::<u16>(),
        any::<u16>(),
        any::<[u8; 16]>(),
        any::<[u8; 16]>(),
        any::<[u8; 32]>(),
        vec(item(), 0..8),
    )
        .prop_map(
            |(protocol_version, reserved_8_9, called, calling, reserved_42_73, items)| Associate {
                protocol_version,
                reserved_8_9,
                called_ae_title: called,
                calling_ae_title: calling,
                reserved_42_73,
                items,
            },
        )
}

fn pdv() -> impl Strategy<Value = Pdv<'static>> {
    (any::<u8>(), any::<u8>(), bytes(0, 100)).prop_map(|(context_id, message_control, data)| Pdv {
        context_id,
        message_control,
        data,
    })
}

fn pdu() -> impl Strategy<Value = Pdu<'static>> {
    prop_oneof![
        associate().prop_map(Pdu::AssociateRq),
        associate().prop_map(Pdu::AssociateAc),
        any::<[u8; 4]>().prop_map(|[reserved_6, result, source, reason]| {
            Pdu::AssociateRj(AssociateRj {
                reserved_6,
                result,
                source,
                reason,
            })
        }),
        vec(pdv(), 1..5).prop_map(|pdvs| Pdu::PData(PData { pdvs })),
        any::<[u8; 4]>().prop_map(|reserved| Pdu::ReleaseRq(Release { reserved })),
        any::<[u8; 4]>().prop_map(|reserved| Pdu::ReleaseRp(Release { reserved })),
        any::<[u8; 4]>().prop_map(|[r6, r7, source, reason]| {
            Pdu::Abort(Abort {
                reserved: [r6, r7],
                source,
                reason,
            })
        }),
    ]
}

/// Every variable field of a decoded PDU borrows from the input.
fn all_borrowed(pdu: &Pdu<'_>) -> bool {
    let b = |v: &Bytes<'_>| matches!(v, Cow::Borrowed(_));
    match pdu {
        Pdu::AssociateRq(a) | Pdu::AssociateAc(a) => a.items.iter().all(|item| match item {
            Item::ApplicationContext(v) | Item::Unknown { value: v, .. } => b(v),
            Item::PresentationContextRq(pc) => {
                b(&pc.abstract_syntax) && pc.transfer_syntaxes.iter().all(b)
            }
            Item::PresentationContextAc(pc) => pc.transfer_syntax.as_ref().is_none_or(b),
            Item::UserInformation(subs) => subs.iter().all(|s| match s {
                UserItem::MaximumLength(_) | UserItem::AsyncOpsWindow { .. } => true,
                UserItem::ImplementationClassUid(v)
                | UserItem::ImplementationVersionName(v)
                | UserItem::Unknown { value: v, .. }
                | UserItem::RoleSelection {
                    sop_class_uid: v, ..
                }
                | UserItem::UserIdentityAc { server_response: v } => b(v),
                UserItem::SopClassExtended {
                    sop_class_uid,
                    app_info,
                } => b(sop_class_uid) && b(app_info),
                UserItem::SopClassCommonExtended {
                    sop_class_uid,
                    service_class_uid,
                    related_general_sop_classes,
                    ..
                } => {
                    b(sop_class_uid)
                        && b(service_class_uid)
                        && related_general_sop_classes.iter().all(b)
                }
                UserItem::UserIdentityRq {
                    primary, secondary, ..
                } => b(primary) && b(secondary),
            }),
        }),
        Pdu::PData(p) => p.pdvs.iter().all(|pdv| b(&pdv.data)),
        _ => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn encode_then_decode_gives_the_same_value(pdu in pdu()) {
        let bytes = pdu.to_bytes();
        prop_assert_eq!(bytes.len(), pdu.encoded_len());
        prop_assert_eq!(bytes[0], pdu.pdu_type() as u8);
        let length = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]) as usize;
        prop_assert_eq!(length, bytes.len() - HEADER_LEN);
        let decoded = decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(all_borrowed(&decoded));
        prop_assert_eq!(&decoded, &pdu);
        // decode -> encode is the identity on these bytes.
        prop_assert_eq!(decoded.to_bytes(), bytes.clone());
        // Encoding appends; it does not clear the buffer.
        let mut out = vec![0xEE; 3];
        decoded.encode(&mut out);
        prop_assert_eq!(&out[3..], &bytes[..]);
        prop_assert_eq!(decoded.into_owned(), pdu);
    }

    #[test]
    fn pdv_iterator_agrees_with_decode(pdvs_in in vec(pdv(), 1..6)) {
        let pdu = Pdu::PData(PData { pdvs: pdvs_in.clone() });
        let bytes = pdu.to_bytes();
        let iterated: Vec<_> = pdvs(&bytes[HEADER_LEN..]).collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(iterated, pdvs_in);
    }

    #[test]
    fn single_pdv_fast_path_equals_the_general_encoder(one in pdv()) {
        let mut fast = Vec::new();
        encode_pdata_single(&mut fast, one.context_id, one.message_control, &one.data);
        prop_assert_eq!(fast, Pdu::PData(PData { pdvs: vec![one] }).to_bytes());
    }
}
