//! Every captured PDU of tests/vectors decodes to the fields of its `decode`, re-encodes byte
//! for byte, and each direction's byte stream splits back into the same PDUs.

use fastdimse::pdu::{
    decode, decode_header, encode_pdata_single, pdvs, Associate, Item, Pdu, PduType, UserItem,
    HEADER_LEN,
};
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");

struct Vector {
    file: String,
    dir: String,
    bytes: Vec<u8>,
    decode: Value,
    pdu_type: u64,
}

fn vectors() -> Vec<Vector> {
    let mut files: Vec<_> = std::fs::read_dir(VECTORS)
        .expect("vectors directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 44, "expected the 44 vector files");
    let mut out = Vec::new();
    for path in files {
        let json: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read vector")).expect("json");
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for pdu in json["pdus"].as_array().expect("pdus") {
            out.push(Vector {
                file: format!("{file}#{}", pdu["index"]),
                dir: pdu["dir"].as_str().expect("dir").to_owned(),
                bytes: hex::decode(pdu["hex"].as_str().expect("hex")).expect("hex digits"),
                decode: pdu["decode"].clone(),
                pdu_type: pdu["type"].as_u64().expect("type"),
            });
        }
    }
    out
}

fn int(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("expected an integer, got {v}"))
}

fn text(v: &Value) -> &[u8] {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .as_bytes()
}

fn hex_field(v: &Value) -> Vec<u8> {
    let s = v.as_str().expect("hex string");
    hex::decode(s.trim_start_matches("0x")).expect("hex")
}

fn type_list(v: &Value) -> Vec<u8> {
    v.as_array()
        .expect("type list")
        .iter()
        .map(|t| u8::from_str_radix(t.as_str().unwrap().trim_start_matches("0x"), 16).unwrap())
        .collect()
}

#[test]
fn every_vector_pdu_round_trips_byte_for_byte() {
    let all = vectors();
    for v in &all {
        let pdu = decode(&v.bytes).unwrap_or_else(|e| panic!("{}: {e}", v.file));
        assert_eq!(pdu.pdu_type() as u64, v.pdu_type, "{}", v.file);
        assert_eq!(pdu.encoded_len(), v.bytes.len(), "{}", v.file);
        assert_eq!(pdu.to_bytes(), v.bytes, "{}: re-encoding differs", v.file);
        let owned = pdu.clone().into_owned();
        assert_eq!(owned, pdu, "{}", v.file);
        assert_eq!(owned.to_bytes(), v.bytes, "{}", v.file);
    }
    println!("{} PDUs round-tripped", all.len());
}

#[test]
fn every_vector_pdu_decodes_to_its_fields() {
    let mut checked = [0usize; 8];
    for v in vectors() {
        let pdu = decode(&v.bytes).unwrap_or_else(|e| panic!("{}: {e}", v.file));
        let d = &v.decode;
        assert_eq!(int(&d["length"]) as usize, v.bytes.len() - HEADER_LEN);
        match &pdu {
            Pdu::AssociateRq(a) => check_associate(&v.file, a, d, true),
            Pdu::AssociateAc(a) => check_associate(&v.file, a, d, false),
            Pdu::AssociateRj(rj) => {
                assert_eq!(
                    u64::from(rj.reserved_6),
                    int(&d["reserved_byte_6"]),
                    "{}",
                    v.file
                );
                assert_eq!(u64::from(rj.result), int(&d["result"]), "{}", v.file);
                assert_eq!(u64::from(rj.source), int(&d["source"]), "{}", v.file);
                assert_eq!(u64::from(rj.reason), int(&d["reason"]), "{}", v.file);
            }
            Pdu::PData(p) => {
                let expected = d["pdvs"].as_array().expect("pdvs");
                assert_eq!(p.pdvs.len(), expected.len(), "{}", v.file);
                for (pdv, e) in p.pdvs.iter().zip(expected) {
                    assert_eq!(
                        u64::from(pdv.context_id),
                        int(&e["context_id"]),
                        "{}",
                        v.file
                    );
                    assert_eq!(
                        vec![pdv.message_control],
                        hex_field(&e["message_control_header"])
                    );
                    assert_eq!(pdv.is_command(), e["is_command"].as_bool().unwrap());
                    assert_eq!(pdv.is_last(), e["is_last_fragment"].as_bool().unwrap());
                    assert_eq!(pdv.data.len() as u64, int(&e["fragment_length"]));
                    assert_eq!(pdv.data.len() as u64 + 2, int(&e["item_length"]));
                    assert_eq!(
                        &pdv.data[..],
                        &hex_field(&e["fragment_hex"])[..],
                        "{}",
                        v.file
                    );
                }
                // The zero-allocation iterator sees the same PDVs.
                let iterated: Vec<_> = pdvs(&v.bytes[HEADER_LEN..])
                    .collect::<Result<_, _>>()
                    .expect("pdvs");
                assert_eq!(iterated, p.pdvs, "{}", v.file);
            }
            Pdu::ReleaseRq(r) | Pdu::ReleaseRp(r) => {
                assert_eq!(
                    r.reserved.to_vec(),
                    hex_field(&d["reserved_6_9"]),
                    "{}",
                    v.file
                );
            }
            Pdu::Abort(a) => {
                assert_eq!(
                    a.reserved.to_vec(),
                    hex_field(&d["reserved_6_7"]),
                    "{}",
                    v.file
                );
                assert_eq!(u64::from(a.source), int(&d["source"]), "{}", v.file);
                assert_eq!(u64::from(a.reason), int(&d["reason"]), "{}", v.file);
            }
        }
        checked[pdu.pdu_type() as usize] += 1;
    }
    // Every PDU type appears in the captured set.
    for (t, n) in checked.iter().enumerate().skip(1) {
        assert!(*n > 0, "no vector of PDU type {t}");
    }
}

fn check_associate(file: &str, a: &Associate<'_>, d: &Value, rq: bool) {
    assert_eq!(
        u64::from(a.protocol_version),
        int(&d["protocol_version"]),
        "{file}"
    );
    assert_eq!(
        a.reserved_8_9.to_be_bytes().to_vec(),
        hex_field(&d["reserved_8_9"])
    );
    assert_eq!(
        &a.called_ae_title[..],
        text(&d["called_ae_title"]),
        "{file}"
    );
    assert_eq!(
        &a.calling_ae_title[..],
        text(&d["calling_ae_title"]),
        "{file}"
    );
    assert!(
        d.get("reserved_42_73_nonzero").is_none(),
        "{file}: new case"
    );
    assert_eq!(a.reserved_42_73, [0; 32], "{file}");

    let item_types: Vec<u8> = a.items.iter().map(Item::item_type).collect();
    assert_eq!(item_types, type_list(&d["item_order"]), "{file}");

    let app = &d["application_context"];
    assert_eq!(
        a.application_context(),
        Some(text(&app["application_context_name"])),
        "{file}"
    );
    assert_eq!(
        int(&app["length"]) as usize,
        text(&app["application_context_name"]).len()
    );

    let contexts = d["presentation_contexts"].as_array().expect("contexts");
    if rq {
        let ours: Vec<_> = a.presentation_contexts_rq().collect();
        assert_eq!(a.presentation_contexts_ac().count(), 0, "{file}");
        assert_eq!(ours.len(), contexts.len(), "{file}");
        for (pc, e) in ours.iter().zip(contexts) {
            assert_eq!(u64::from(pc.context_id), int(&e["context_id"]), "{file}");
            assert_eq!(
                &pc.abstract_syntax[..],
                text(&e["abstract_syntax"]),
                "{file}"
            );
            let ts: Vec<&[u8]> = e["transfer_syntaxes"]
                .as_array()
                .unwrap()
                .iter()
                .map(text)
                .collect();
            let our_ts: Vec<&[u8]> = pc.transfer_syntaxes.iter().map(|t| &t[..]).collect();
            assert_eq!(our_ts, ts, "{file}");
            let reserved: Vec<u8> = match e.get("reserved_item_bytes_6_7_8") {
                Some(r) => r.as_array().unwrap().iter().map(|b| int(b) as u8).collect(),
                None => vec![0; 3],
            };
            assert_eq!(pc.reserved.to_vec(), reserved, "{file}");
            let mut order = vec![0x30];
            order.extend(std::iter::repeat_n(0x40, ts.len()));
            assert_eq!(type_list(&e["sub_item_order"]), order, "{file}");
            let value_len =
                4 + 4 + pc.abstract_syntax.len() + ts.iter().map(|t| 4 + t.len()).sum::<usize>();
            assert_eq!(value_len as u64, int(&e["length"]), "{file}");
        }
    } else {
        let ours: Vec<_> = a.presentation_contexts_ac().collect();
        assert_eq!(a.presentation_contexts_rq().count(), 0, "{file}");
        assert_eq!(ours.len(), contexts.len(), "{file}");
        for (pc, e) in ours.iter().zip(contexts) {
            assert_eq!(u64::from(pc.context_id), int(&e["context_id"]), "{file}");
            assert_eq!(u64::from(pc.result), int(&e["result"]), "{file}");
            assert_eq!((pc.reserved_5, pc.reserved_7), (0, 0), "{file}");
            match e.get("transfer_syntax") {
                Some(ts) => assert_eq!(pc.transfer_syntax.as_deref(), Some(text(ts)), "{file}"),
                None => assert_eq!(pc.transfer_syntax, None, "{file}"),
            }
        }
    }

    let ui = &d["user_information"];
    let subs = a.user_items();
    let types: Vec<u8> = subs.iter().map(UserItem::item_type).collect();
    assert_eq!(types, type_list(&ui["sub_item_order"]), "{file}");
    let expected = ui["sub_items"].as_array().expect("sub_items");
    assert_eq!(subs.len(), expected.len(), "{file}");
    for (sub, e) in subs.iter().zip(expected) {
        assert_eq!(u64::from(sub.item_type()), int(&e["item_type"]), "{file}");
        check_user_item(file, sub, e);
    }
    // The accessors agree with the list.
    assert_eq!(
        a.maximum_length().map(u64::from),
        expected
            .iter()
            .find(|e| int(&e["item_type"]) == 0x51)
            .map(|e| int(&e["maximum_length_received"]))
    );
    assert_eq!(
        a.implementation_class_uid(),
        expected
            .iter()
            .find(|e| int(&e["item_type"]) == 0x52)
            .map(|e| text(&e["implementation_class_uid"]))
    );
    assert_eq!(
        a.implementation_version_name(),
        expected
            .iter()
            .find(|e| int(&e["item_type"]) == 0x55)
            .map(|e| text(&e["implementation_version_name"]))
    );
}

fn check_user_item(file: &str, sub: &UserItem<'_>, e: &Value) {
    let what = format!("{file}: sub-item {e}");
    match sub {
        UserItem::MaximumLength(max) => {
            assert_eq!(
                u64::from(*max),
                int(&e["maximum_length_received"]),
                "{what}"
            )
        }
        UserItem::ImplementationClassUid(uid) => {
            assert_eq!(&uid[..], text(&e["implementation_class_uid"]), "{what}")
        }
        UserItem::AsyncOpsWindow { invoked, performed } => {
            assert_eq!(
                u64::from(*invoked),
                int(&e["max_operations_invoked"]),
                "{what}"
            );
            assert_eq!(
                u64::from(*performed),
                int(&e["max_operations_performed"]),
                "{what}"
            );
        }
        UserItem::RoleSelection {
            sop_class_uid,
            scu_role,
            scp_role,
        } => {
            assert_eq!(&sop_class_uid[..], text(&e["sop_class_uid"]), "{what}");
            assert_eq!(sop_class_uid.len() as u64, int(&e["uid_length"]), "{what}");
            assert_eq!(u64::from(*scu_role), int(&e["scu_role"]), "{what}");
            assert_eq!(u64::from(*scp_role), int(&e["scp_role"]), "{what}");
        }
        UserItem::ImplementationVersionName(name) => {
            assert_eq!(&name[..], text(&e["implementation_version_name"]), "{what}")
        }
        UserItem::SopClassExtended {
            sop_class_uid,
            app_info,
        } => {
            assert_eq!(&sop_class_uid[..], text(&e["sop_class_uid"]), "{what}");
            assert_eq!(
                app_info.to_vec(),
                hex_field(&e["service_class_application_information"])
            );
        }
        UserItem::SopClassCommonExtended {
            version,
            sop_class_uid,
            service_class_uid,
            related_general_sop_classes,
        } => {
            assert_eq!(u64::from(*version), int(&e["sub_item_version"]), "{what}");
            assert_eq!(&sop_class_uid[..], text(&e["sop_class_uid"]), "{what}");
            assert_eq!(
                &service_class_uid[..],
                text(&e["service_class_uid"]),
                "{what}"
            );
            let related: Vec<&[u8]> = e["related_general_sop_class_uids"]
                .as_array()
                .unwrap()
                .iter()
                .map(text)
                .collect();
            let ours: Vec<&[u8]> = related_general_sop_classes.iter().map(|u| &u[..]).collect();
            assert_eq!(ours, related, "{what}");
            let related_len: usize = ours.iter().map(|u| 2 + u.len()).sum();
            assert_eq!(
                related_len as u64,
                int(&e["related_general_sop_class_identification_length"])
            );
        }
        UserItem::UserIdentityRq {
            identity_type,
            positive_response_requested,
            primary,
            secondary,
        } => {
            assert_eq!(
                u64::from(*identity_type),
                int(&e["user_identity_type"]),
                "{what}"
            );
            assert_eq!(
                u64::from(*positive_response_requested),
                int(&e["positive_response_requested"])
            );
            assert_eq!(
                primary.len() as u64,
                int(&e["primary_field_length"]),
                "{what}"
            );
            assert_eq!(
                secondary.len() as u64,
                int(&e["secondary_field_length"]),
                "{what}"
            );
            assert_eq!(&primary[..], text(&e["primary_field"]), "{what}");
            let secondary_expected = e.get("secondary_field").map_or(&[][..], text);
            assert_eq!(&secondary[..], secondary_expected, "{what}");
        }
        UserItem::UserIdentityAc { server_response } => {
            assert_eq!(
                server_response.len() as u64,
                int(&e["server_response_length"])
            );
            assert_eq!(&server_response[..], text(&e["server_response"]), "{what}");
        }
        UserItem::Unknown { item_type, .. } => panic!("{what}: unknown sub-item {item_type:02X}"),
    }
    // The sub-item length field on the wire equals what we would encode.
    assert_eq!(
        int(&e["length"]) as usize,
        encoded_sub_item_len(sub) - 4,
        "{what}"
    );
}

/// The encoded size of one user sub-item, measured through a whole PDU.
fn encoded_sub_item_len(sub: &UserItem<'_>) -> usize {
    let mut a = Associate::new([b' '; 16], [b' '; 16]);
    let empty = Pdu::AssociateRq(a.clone()).encoded_len();
    a.items.push(Item::UserInformation(vec![sub.clone()]));
    Pdu::AssociateRq(a).encoded_len() - empty - 4
}

#[test]
fn each_direction_splits_back_into_its_pdus_at_any_chunk_size() {
    let all = vectors();
    let mut streams: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    for v in &all {
        let key = format!("{}:{}", v.file.split('#').next().unwrap(), v.dir);
        match streams.last_mut() {
            Some((k, pdus)) if *k == key => pdus.push(v.bytes.clone()),
            _ => match streams.iter_mut().find(|(k, _)| *k == key) {
                Some((_, pdus)) => pdus.push(v.bytes.clone()),
                None => streams.push((key, vec![v.bytes.clone()])),
            },
        }
    }
    for (key, pdus) in &streams {
        let stream: Vec<u8> = pdus.concat();
        for chunk in [1usize, 2, 3, 5, 6, 7, 13, 64, 1000, usize::MAX] {
            assert_eq!(&split(&stream, |_| chunk), pdus, "{key} chunk {chunk}");
        }
        // A deterministic irregular pattern of chunk sizes.
        let mut seed = 0x2545_f491_u32;
        let irregular = split(&stream, |_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            1 + (seed % 97) as usize
        });
        assert_eq!(&irregular, pdus, "{key} irregular chunks");
    }
}

/// Feeds `stream` in chunks and cuts whole PDUs with `decode_header`, as a socket reader does.
fn split(stream: &[u8], mut chunk: impl FnMut(usize) -> usize) -> Vec<Vec<u8>> {
    let mut buffered = Vec::new();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < stream.len() {
        let n = chunk(pos).min(stream.len() - pos);
        buffered.extend_from_slice(&stream[pos..pos + n]);
        pos += n;
        while let Ok((pdu_type, length)) = decode_header(&buffered) {
            assert!(PduType::from_u8(pdu_type).is_some());
            let total = HEADER_LEN + length as usize;
            if buffered.len() < total {
                break;
            }
            let rest = buffered.split_off(total);
            let pdu = std::mem::replace(&mut buffered, rest);
            decode(&pdu).expect("a whole PDU");
            out.push(pdu);
        }
    }
    assert!(buffered.is_empty(), "bytes left over");
    out
}

#[test]
fn single_pdv_fast_path_matches_the_captured_pdata() {
    let mut n = 0;
    for v in vectors() {
        let Ok(Pdu::PData(p)) = decode(&v.bytes) else {
            continue;
        };
        let [pdv] = &p.pdvs[..] else { continue };
        let mut out = vec![0xAA];
        encode_pdata_single(&mut out, pdv.context_id, pdv.message_control, &pdv.data);
        assert_eq!(&out[1..], &v.bytes[..], "{}", v.file);
        n += 1;
    }
    assert!(n > 100);
}

#[test]
fn constructors_match_captured_pdus() {
    let find = |t: u64, pick: &dyn Fn(&Pdu<'_>) -> bool| {
        vectors()
            .into_iter()
            .find(|v| v.pdu_type == t && pick(&decode(&v.bytes).unwrap()))
            .unwrap_or_else(|| panic!("no vector of type {t}"))
            .bytes
    };
    assert_eq!(Pdu::release_rq().to_bytes(), find(5, &|_| true));
    assert_eq!(Pdu::release_rp().to_bytes(), find(6, &|_| true));
    assert_eq!(
        Pdu::abort(0, 0).to_bytes(),
        find(7, &|p| matches!(p, Pdu::Abort(a) if a.source == 0))
    );
    assert_eq!(
        Pdu::abort(2, 0).to_bytes(),
        find(
            7,
            &|p| matches!(p, Pdu::Abort(a) if a.source == 2 && a.reason == 0)
        )
    );
    assert_eq!(
        Pdu::reject(1, 1, 7).to_bytes(),
        find(3, &|p| matches!(p, Pdu::AssociateRj(r) if r.reason == 7))
    );
    assert_eq!(
        Pdu::reject(2, 3, 2).to_bytes(),
        find(3, &|p| matches!(p, Pdu::AssociateRj(r) if r.source == 3))
    );
}

#[test]
fn extended_negotiation_accessors() {
    let bytes = vectors()
        .into_iter()
        .find(|v| {
            v.file
                .starts_with("ext_neg__pynetdicom_scu__pynetdicom_scp")
                && v.pdu_type == 1
        })
        .unwrap()
        .bytes;
    let Pdu::AssociateRq(a) = decode(&bytes).unwrap() else {
        panic!("not an RQ")
    };
    assert_eq!(a.async_ops_window(), Some((5, 6)));
    let roles: Vec<_> = a.role_selections().collect();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].sop_class_uid, b"1.2.840.10008.5.1.4.1.1.2");
    assert_eq!((roles[0].scu_role, roles[0].scp_role), (1, 1));
    let id = a.user_identity_rq().expect("58H");
    assert_eq!(
        (
            id.identity_type,
            id.positive_response_requested,
            id.primary,
            id.secondary
        ),
        (2, 1, &b"alice"[..], &b"s3cret"[..])
    );
    assert_eq!(a.user_identity_ac(), None);

    let bytes = vectors()
        .into_iter()
        .find(|v| v.file.starts_with("user_identity_jwt_posrsp") && v.pdu_type == 2)
        .unwrap()
        .bytes;
    let Pdu::AssociateAc(a) = decode(&bytes).unwrap() else {
        panic!("not an AC")
    };
    assert_eq!(a.user_identity_ac(), Some(&b"SERVER-TOKEN-1"[..]));
    assert_eq!(a.user_identity_rq(), None);
}
