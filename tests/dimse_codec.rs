//! Command set codec, dictionary, CommandField and the typed messages: exact bytes against
//! the captured vectors and the reference's worked examples, exact errors for malformed input.

mod dimse_support;

use std::borrow::Cow;

use dimse_support::*;
use fastdimse::dimse::{
    command_field, decode_command_set, entries, lookup, lookup_keyword, peek, tags, CCancelRq,
    CEchoRq, CEchoRsp, CommandField, CommandSet, DimseError, Vr,
};
use proptest::prelude::*;
use serde_json::Value;

const VERIFICATION: &[u8] = b"1.2.840.10008.1.1";

/// Every command set with the given CommandField in a vector, in wire order.
fn command_sets(vector: &Value, field: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for pdu in vector["pdus"].as_array().unwrap() {
        for pdv in pdu["decode"]["pdvs"].as_array().into_iter().flatten() {
            if let Some(cs) = pdv.get("command_set") {
                let raw = unhex(cs["raw_hex"].as_str().unwrap());
                if command_field(&raw) == Some(field) {
                    out.push(raw);
                }
            }
        }
    }
    out
}

fn encoded(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    f(&mut out);
    out
}

// ---------------------------------------------------------------- dictionary

#[test]
fn dictionary_has_every_annex_e_element() {
    let expected: [(u32, Vr, &str); 24] = [
        (0x0000, Vr::UL, "CommandGroupLength"),
        (0x0002, Vr::UI, "AffectedSOPClassUID"),
        (0x0003, Vr::UI, "RequestedSOPClassUID"),
        (0x0100, Vr::US, "CommandField"),
        (0x0110, Vr::US, "MessageID"),
        (0x0120, Vr::US, "MessageIDBeingRespondedTo"),
        (0x0600, Vr::AE, "MoveDestination"),
        (0x0700, Vr::US, "Priority"),
        (0x0800, Vr::US, "CommandDataSetType"),
        (0x0900, Vr::US, "Status"),
        (0x0901, Vr::AT, "OffendingElement"),
        (0x0902, Vr::LO, "ErrorComment"),
        (0x0903, Vr::US, "ErrorID"),
        (0x1000, Vr::UI, "AffectedSOPInstanceUID"),
        (0x1001, Vr::UI, "RequestedSOPInstanceUID"),
        (0x1002, Vr::US, "EventTypeID"),
        (0x1005, Vr::AT, "AttributeIdentifierList"),
        (0x1008, Vr::US, "ActionTypeID"),
        (0x1020, Vr::US, "NumberOfRemainingSuboperations"),
        (0x1021, Vr::US, "NumberOfCompletedSuboperations"),
        (0x1022, Vr::US, "NumberOfFailedSuboperations"),
        (0x1023, Vr::US, "NumberOfWarningSuboperations"),
        (0x1030, Vr::AE, "MoveOriginatorApplicationEntityTitle"),
        (0x1031, Vr::US, "MoveOriginatorMessageID"),
    ];
    assert_eq!(entries().len(), expected.len());
    for (tag, vr, keyword) in expected {
        let by_tag = lookup(tag).unwrap();
        assert_eq!((by_tag.tag, by_tag.vr, by_tag.keyword), (tag, vr, keyword));
        assert_eq!(lookup_keyword(keyword), Some(by_tag));
    }
    assert_eq!(lookup(0x0001), None);
    assert_eq!(lookup(0x0008_0016), None);
    assert_eq!(lookup_keyword("commandfield"), None);
    assert_eq!(tags::MOVE_ORIGINATOR_MESSAGE_ID, 0x1031);
}

#[test]
fn command_field_names_every_message() {
    let all = [
        (0x0001, "C-STORE-RQ"),
        (0x8001, "C-STORE-RSP"),
        (0x0010, "C-GET-RQ"),
        (0x8010, "C-GET-RSP"),
        (0x0020, "C-FIND-RQ"),
        (0x8020, "C-FIND-RSP"),
        (0x0021, "C-MOVE-RQ"),
        (0x8021, "C-MOVE-RSP"),
        (0x0030, "C-ECHO-RQ"),
        (0x8030, "C-ECHO-RSP"),
        (0x0100, "N-EVENT-REPORT-RQ"),
        (0x8100, "N-EVENT-REPORT-RSP"),
        (0x0110, "N-GET-RQ"),
        (0x8110, "N-GET-RSP"),
        (0x0120, "N-SET-RQ"),
        (0x8120, "N-SET-RSP"),
        (0x0130, "N-ACTION-RQ"),
        (0x8130, "N-ACTION-RSP"),
        (0x0140, "N-CREATE-RQ"),
        (0x8140, "N-CREATE-RSP"),
        (0x0150, "N-DELETE-RQ"),
        (0x8150, "N-DELETE-RSP"),
        (0x0FFF, "C-CANCEL-RQ"),
    ];
    for (value, name) in all {
        let f = CommandField::from_u16(value).unwrap();
        assert_eq!(f.value(), value);
        assert_eq!(f.name(), name);
        assert_eq!(f.to_string(), name);
        assert_eq!(f.is_response(), name.ends_with("-RSP"));
    }
    let known = (0..=u16::MAX)
        .filter(|&v| CommandField::from_u16(v).is_some())
        .count();
    assert_eq!(known, all.len());
    assert_eq!(CommandField::from_u16(0x8FFF), None);
}

// ---------------------------------------------------------------- typed messages

#[test]
fn c_echo_rq_matches_both_implementations() {
    for name in [
        "pynetdicom_scu__pynetdicom_scp__echo",
        "dcmtk_echoscu__dcmtk_storescp__echo",
    ] {
        let raw = command_sets(&load_vector(name), 0x0030).remove(0);
        assert_eq!(raw.len(), 68);
        let rq = CEchoRq {
            message_id: 1,
            affected_sop_class_uid: Cow::Borrowed(VERIFICATION),
        };
        assert_eq!(
            hex::encode(encoded(|o| rq.encode(o))),
            hex::encode(&raw),
            "{name}"
        );
        let cmd = decode_command_set(&raw).unwrap();
        assert_eq!(CEchoRq::decode(&cmd).unwrap(), rq);
    }
}

#[test]
fn c_echo_rq_message_ids_from_repeat_vector() {
    let raws = command_sets(
        &load_vector("echo_repeat3__dcmtk_echoscu__dcmtk_storescp"),
        0x0030,
    );
    assert_eq!(raws.len(), 3);
    for (i, raw) in raws.iter().enumerate() {
        let cmd = decode_command_set(raw).unwrap();
        let rq = CEchoRq::decode(&cmd).unwrap();
        assert_eq!(rq.message_id as usize, i + 1);
        assert_eq!(encoded(|o| rq.encode(o)), *raw);
    }
}

#[test]
fn c_echo_rsp_success_is_78_bytes() {
    let raw = command_sets(&load_vector("pynetdicom_scu__pynetdicom_scp__echo"), 0x8030).remove(0);
    assert_eq!(raw.len(), 78);
    let rsp = CEchoRsp::new(1, VERIFICATION, 0x0000);
    assert_eq!(hex::encode(encoded(|o| rsp.encode(o))), hex::encode(&raw));
    let cmd = decode_command_set(&raw).unwrap();
    assert_eq!(CEchoRsp::decode(&cmd).unwrap(), rsp);
    // DCMTK's response is the same bytes.
    let dcmtk = command_sets(&load_vector("dcmtk_echoscu__dcmtk_storescp__echo"), 0x8030).remove(0);
    assert_eq!(dcmtk, raw);
}

#[test]
fn c_echo_rsp_0210_with_error_comment() {
    for name in [
        "echo_status_0210_dataset__pynetdicom_scu__pynetdicom_scp",
        "echo_status_0210_dataset__dcmtk_echoscu__pynetdicom_scp",
    ] {
        let raw = command_sets(&load_vector(name), 0x8030).remove(0);
        let rsp = CEchoRsp {
            error_comment: Some(Cow::Borrowed(b"Duplicate invocation (test)")),
            ..CEchoRsp::new(1, VERIFICATION, 0x0210)
        };
        assert_eq!(
            hex::encode(encoded(|o| rsp.encode(o))),
            hex::encode(&raw),
            "{name}"
        );
        let cmd = decode_command_set(&raw).unwrap();
        assert_eq!(CEchoRsp::decode(&cmd).unwrap(), rsp);
    }
}

#[test]
fn c_echo_rsp_0122() {
    let raw = command_sets(
        &load_vector("echo_status_0122__dcmtk_echoscu__pynetdicom_scp"),
        0x8030,
    )
    .remove(0);
    let cmd = decode_command_set(&raw).unwrap();
    let rsp = CEchoRsp::decode(&cmd).unwrap();
    assert_eq!(rsp.status, 0x0122);
    assert_eq!(encoded(|o| rsp.encode(o)), raw);
}

#[test]
fn c_echo_rsp_with_every_optional_element_round_trips() {
    let rsp = CEchoRsp {
        message_id_being_responded_to: 0xBEEF,
        affected_sop_class_uid: Some(Cow::Borrowed(b"1.2.3")),
        status: 0xC001,
        error_comment: Some(Cow::Borrowed(b"even")),
        error_id: Some(0x1234),
        offending_element: Some(vec![0x0008_0016, 0x0010_0010]),
    };
    let raw = encoded(|o| rsp.encode(o));
    let cmd = decode_command_set(&raw).unwrap();
    assert_eq!(cmd.get(tags::AFFECTED_SOP_CLASS_UID), Some(&b"1.2.3\0"[..]));
    assert_eq!(cmd.get(tags::ERROR_COMMENT), Some(&b"even"[..]));
    assert_eq!(
        cmd.get(tags::OFFENDING_ELEMENT),
        Some(&[0x08, 0, 0x16, 0, 0x10, 0, 0x10, 0][..])
    );
    assert_eq!(CEchoRsp::decode(&cmd).unwrap(), rsp);
    // The generic encoder agrees with the hand-written one.
    assert_eq!(encoded(|o| cmd.encode(o)), raw);
    // Without the UID: PS3.7 makes it optional.
    let bare = CEchoRsp {
        affected_sop_class_uid: None,
        ..CEchoRsp::new(2, VERIFICATION, 0)
    };
    let raw = encoded(|o| bare.encode(o));
    assert_eq!(raw.len(), 78 - 26);
    assert_eq!(
        CEchoRsp::decode(&decode_command_set(&raw).unwrap()).unwrap(),
        bare
    );
}

#[test]
fn c_cancel_rq_matches_vectors() {
    for name in [
        "c_cancel_find__dcmtk_findscu__pynetdicom_scp",
        "c_cancel_find__pynetdicom_scu__pynetdicom_scp",
        "c_cancel_after_echo__pynetdicom_scu__pynetdicom_scp",
    ] {
        let raw = command_sets(&load_vector(name), 0x0FFF).remove(0);
        assert_eq!(raw.len(), 42);
        let cmd = decode_command_set(&raw).unwrap();
        let rq = CCancelRq::decode(&cmd).unwrap();
        assert_eq!(encoded(|o| rq.encode(o)), raw, "{name}");
    }
}

/// PS3.7 worked example (reference section 13.3): C-CANCEL-RQ for MessageID 7.
#[test]
fn c_cancel_rq_worked_example() {
    let raw = encoded(|o| {
        CCancelRq {
            message_id_being_responded_to: 7,
        }
        .encode(o)
    });
    assert_eq!(
        hex::encode(&raw),
        concat!(
            "00000000040000001e000000",
            "0000000102000000ff0f",
            "00002001020000000700",
            "00000008020000000101"
        )
    );
}

#[test]
fn typed_decode_names_missing_elements() {
    let rq = CEchoRq {
        message_id: 5,
        affected_sop_class_uid: Cow::Borrowed(VERIFICATION),
    };
    let raw = encoded(|o| rq.encode(o));
    let full = decode_command_set(&raw).unwrap();

    for (tag, keyword) in [
        (tags::MESSAGE_ID, "MessageID"),
        (tags::AFFECTED_SOP_CLASS_UID, "AffectedSOPClassUID"),
        (tags::COMMAND_DATA_SET_TYPE, "CommandDataSetType"),
        (tags::COMMAND_FIELD, "CommandField"),
    ] {
        let mut cmd = full.clone();
        assert!(cmd.remove(tag));
        let err = CEchoRq::decode(&cmd).unwrap_err();
        assert_eq!(err, DimseError::MissingElement { tag });
        assert!(err.to_string().contains(keyword), "{err}");
    }

    assert_eq!(
        CEchoRsp::decode(&full).unwrap_err(),
        DimseError::UnexpectedCommandField {
            expected: 0x8030,
            found: 0x0030
        }
    );
    assert_eq!(
        CCancelRq::decode(&full).unwrap_err(),
        DimseError::UnexpectedCommandField {
            expected: 0x0FFF,
            found: 0x0030
        }
    );
    let rsp_raw = encoded(|o| CEchoRsp::new(5, VERIFICATION, 0).encode(o));
    let mut rsp = decode_command_set(&rsp_raw).unwrap().into_owned();
    rsp.remove(tags::STATUS);
    assert_eq!(
        CEchoRsp::decode(&rsp).unwrap_err(),
        DimseError::MissingElement { tag: tags::STATUS }
    );
    // A US of the wrong size set through the generic API is reported as such.
    let mut bad = full.clone();
    bad.set_ul(tags::MESSAGE_ID, 5);
    assert_eq!(
        CEchoRq::decode(&bad).unwrap_err(),
        DimseError::BadValueLength {
            tag: tags::MESSAGE_ID,
            length: 4
        }
    );
}

// ---------------------------------------------------------------- generic CommandSet

#[test]
fn command_set_builder_matches_typed_encoder() {
    let mut cmd = CommandSet::new();
    // Inserted out of order on purpose: the set keeps tags ascending.
    cmd.set_us(tags::COMMAND_DATA_SET_TYPE, 0x0101);
    cmd.set_us(tags::MESSAGE_ID, 1);
    cmd.set_uid(tags::AFFECTED_SOP_CLASS_UID, VERIFICATION);
    cmd.set_us(tags::COMMAND_FIELD, 0x0030);
    cmd.set_ul(tags::COMMAND_GROUP_LENGTH, 999); // ignored
    let rq = CEchoRq {
        message_id: 1,
        affected_sop_class_uid: Cow::Borrowed(VERIFICATION),
    };
    assert_eq!(encoded(|o| cmd.encode(o)), encoded(|o| rq.encode(o)));
    assert_eq!(cmd.encoded_len(), 68);
    assert_eq!(cmd.command_field(), Some(0x0030));
    assert_eq!(cmd.has_data_set(), Some(false));
    assert_eq!(
        cmd.get_str(tags::AFFECTED_SOP_CLASS_UID),
        Some(VERIFICATION)
    );
    assert_eq!(cmd.get(tags::AFFECTED_SOP_CLASS_UID).unwrap().len(), 18);
}

#[test]
fn command_set_setters_and_getters() {
    let mut cmd = CommandSet::new();
    cmd.set_text(tags::MOVE_DESTINATION, b"ODDSCP7");
    cmd.set_text(tags::ERROR_COMMENT, b"ab");
    cmd.set_at(tags::ATTRIBUTE_IDENTIFIER_LIST, &[0x0010_0010, 0x7FE0_0010]);
    cmd.set_us(tags::PRIORITY, 2);
    cmd.set_us(tags::PRIORITY, 1); // replaces
    cmd.set_raw(0x4000u32, vec![1u8, 2, 3, 4]); // retired/unknown tag kept
    assert_eq!(cmd.get(tags::MOVE_DESTINATION), Some(&b"ODDSCP7 "[..]));
    assert_eq!(cmd.get_str(tags::MOVE_DESTINATION), Some(&b"ODDSCP7"[..]));
    assert_eq!(cmd.get(tags::ERROR_COMMENT), Some(&b"ab"[..]));
    assert_eq!(
        cmd.get_at(tags::ATTRIBUTE_IDENTIFIER_LIST),
        Some(vec![0x0010_0010, 0x7FE0_0010])
    );
    assert_eq!(cmd.get_us(tags::PRIORITY), Some(1));
    assert_eq!(cmd.get_ul(tags::PRIORITY), None);
    assert_eq!(cmd.get_us(tags::STATUS), None);
    let tags_in_order: Vec<u32> = cmd.elements().iter().map(|e| e.tag).collect();
    assert_eq!(tags_in_order, [0x0600, 0x0700, 0x0902, 0x1005, 0x4000]);

    let raw = encoded(|o| cmd.encode(o));
    let back = decode_command_set(&raw).unwrap();
    assert_eq!(back, cmd);
    assert_eq!(peek(&raw, 0x4000), Some(&[1u8, 2, 3, 4][..]));
    assert_eq!(peek(&raw, tags::STATUS), None);
    let mut back = back;
    assert!(back.remove(0x4000));
    assert!(!back.remove(0x4000));
    assert_eq!(back.elements().len(), 4);
}

#[test]
fn odd_raw_value_is_padded_on_encode() {
    let mut cmd = CommandSet::new();
    cmd.set_raw(tags::AFFECTED_SOP_INSTANCE_UID, &b"1.2.3"[..]);
    let raw = encoded(|o| cmd.encode(o));
    let back = decode_command_set(&raw).unwrap();
    assert_eq!(
        back.get(tags::AFFECTED_SOP_INSTANCE_UID),
        Some(&b"1.2.3\0"[..])
    );
}

// ---------------------------------------------------------------- malformed input

fn element(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
    v.extend_from_slice(&((tag & 0xFFFF) as u16).to_le_bytes());
    v.extend_from_slice(&(value.len() as u32).to_le_bytes());
    v.extend_from_slice(value);
    v
}

/// A command set from raw element bytes, with a correct group length in front.
fn with_group_length(body: &[u8]) -> Vec<u8> {
    let mut v = element(0, &(body.len() as u32).to_le_bytes());
    v.extend_from_slice(body);
    v
}

fn echo_rq() -> Vec<u8> {
    encoded(|o| {
        CEchoRq {
            message_id: 1,
            affected_sop_class_uid: Cow::Borrowed(VERIFICATION),
        }
        .encode(o)
    })
}

#[test]
fn wrong_group_length() {
    let mut raw = echo_rq();
    raw[8] = 57;
    let err = decode_command_set(&raw).unwrap_err();
    assert_eq!(
        err,
        DimseError::GroupLengthMismatch {
            declared: 57,
            actual: 56
        }
    );
    assert!(err.to_string().contains("(0000,0000)"), "{err}");
}

#[test]
fn missing_group_length() {
    assert_eq!(
        decode_command_set(&[]).unwrap_err(),
        DimseError::MissingGroupLength { found: None }
    );
    let raw = echo_rq();
    let err = decode_command_set(&raw[12..]).unwrap_err();
    assert_eq!(err, DimseError::MissingGroupLength { found: Some(2) });
    assert!(
        err.to_string().contains("(0000,0002) AffectedSOPClassUID"),
        "{err}"
    );
    // Group length with a 2-byte value.
    let mut bad = element(0, &[0, 0]);
    bad.extend(element(0x0100, &[0x30, 0]));
    assert_eq!(
        decode_command_set(&bad).unwrap_err(),
        DimseError::BadValueLength { tag: 0, length: 2 }
    );
    assert_eq!(
        decode_command_set(&raw[..10]).unwrap_err(),
        DimseError::Truncated {
            offset: 0,
            needed: 12,
            available: 10
        }
    );
    assert_eq!(
        decode_command_set(&raw[..5]).unwrap_err(),
        DimseError::Truncated {
            offset: 0,
            needed: 8,
            available: 5
        }
    );
}

#[test]
fn truncated_element() {
    let raw = echo_rq();
    // Drop the last 2 bytes (half of CommandDataSetType's value) and fix the group length,
    // so only the element itself is wrong.
    let mut cut = raw[..66].to_vec();
    cut[8] = 54;
    assert_eq!(
        decode_command_set(&cut).unwrap_err(),
        DimseError::Truncated {
            offset: 58,
            needed: 10,
            available: 8
        }
    );
    // A header cut in half.
    let mut cut = raw[..62].to_vec();
    cut[8] = 50;
    let err = decode_command_set(&cut).unwrap_err();
    assert_eq!(
        err,
        DimseError::Truncated {
            offset: 58,
            needed: 8,
            available: 4
        }
    );
    assert!(err.to_string().contains("offset 58"), "{err}");
    // A length claiming far more than is there (never allocated).
    let body = [element(0x0100, &[0x30, 0]), {
        let mut e = element(0x0110, &[]);
        e[4..8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        e
    }]
    .concat();
    assert_eq!(
        decode_command_set(&with_group_length(&body)).unwrap_err(),
        DimseError::Truncated {
            offset: 22,
            needed: 0xFFFF_FFF8,
            available: 8
        }
    );
}

#[test]
fn non_ascending_tags() {
    let body = [element(0x0110, &[1, 0]), element(0x0100, &[0x30, 0])].concat();
    let err = decode_command_set(&with_group_length(&body)).unwrap_err();
    assert_eq!(
        err,
        DimseError::NotAscending {
            offset: 22,
            tag: 0x0100,
            previous: 0x0110
        }
    );
    assert!(
        err.to_string().contains("(0000,0100) CommandField"),
        "{err}"
    );
    // A repeated tag is not ascending either.
    let body = [element(0x0100, &[0x30, 0]), element(0x0100, &[0x30, 0])].concat();
    assert!(matches!(
        decode_command_set(&with_group_length(&body)),
        Err(DimseError::NotAscending {
            tag: 0x0100,
            previous: 0x0100,
            ..
        })
    ));
    // A second group length after the first.
    let body = element(0, &[0, 0, 0, 0]);
    assert!(matches!(
        decode_command_set(&with_group_length(&body)),
        Err(DimseError::NotAscending { tag: 0, .. })
    ));
}

#[test]
fn odd_length() {
    let body = [element(0x0002, b"1.2"), element(0x0100, &[0x30, 0])].concat();
    assert_eq!(
        decode_command_set(&with_group_length(&body)).unwrap_err(),
        DimseError::OddLength {
            offset: 12,
            tag: 2,
            length: 3
        }
    );
}

#[test]
fn wrong_group() {
    let body = [element(0x0100, &[0x30, 0]), element(0x0008_0016, b"12")].concat();
    let err = decode_command_set(&with_group_length(&body)).unwrap_err();
    assert_eq!(
        err,
        DimseError::WrongGroup {
            offset: 22,
            tag: 0x0008_0016
        }
    );
    assert!(err.to_string().contains("(0008,0016)"), "{err}");
}

#[test]
fn fixed_size_values_are_checked() {
    for (tag, value) in [
        (tags::COMMAND_FIELD, &[0x30u8, 0, 0, 0][..]),
        (tags::MESSAGE_ID, &[][..]),
        (tags::OFFENDING_ELEMENT, &[1, 2][..]),
    ] {
        let body = element(tag, value);
        assert_eq!(
            decode_command_set(&with_group_length(&body)).unwrap_err(),
            DimseError::BadValueLength {
                tag,
                length: value.len()
            }
        );
    }
    // Unknown group-0000 tags are accepted whatever their (even) size.
    let body = [element(0x0001, &[1, 2, 3, 4, 5, 6]), element(0x5000, &[])].concat();
    let raw = with_group_length(&body);
    let cmd = decode_command_set(&raw).unwrap();
    assert_eq!(cmd.elements().len(), 2);
    assert_eq!(encoded(|o| cmd.encode(o)), raw);
}

#[test]
fn peek_command_field() {
    assert_eq!(command_field(&echo_rq()), Some(0x0030));
    assert_eq!(command_field(&[]), None);
    assert_eq!(command_field(&echo_rq()[..30]), None);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_command_set(&bytes);
        let _ = command_field(&bytes);
        let _ = peek(&bytes, 0x0800);
    }

    #[test]
    fn mutated_commands_never_panic_and_valid_ones_round_trip(
        at in 0usize..68, value in any::<u8>(), cut in 0usize..=68
    ) {
        let mut raw = echo_rq();
        raw[at] = value;
        raw.truncate(cut);
        let _ = command_field(&raw);
        if let Ok(cmd) = decode_command_set(&raw) {
            prop_assert_eq!(encoded(|o| cmd.encode(o)), raw.clone());
            let _ = CEchoRq::decode(&cmd);
            let _ = CEchoRsp::decode(&cmd);
        }
    }
}
