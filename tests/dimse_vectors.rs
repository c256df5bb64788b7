//! Every P-DATA-TF of every captured vector: PDVs reassembled by `Assembler`, command sets
//! decoded and compared with the vector's element decode, re-encoded byte for byte, and
//! messages sent by pynetdicom re-fragmented to the same PDUs.

mod dimse_support;

use dimse_support::*;
use fastdimse::dimse::{
    decode_command_set, lookup, write_message, Assembler, CommandField, OwnedMessage, Vr,
};
use serde_json::Value;

/// Compares a decoded command set with the vector's `elements` list.
fn check_elements(name: &str, raw: &[u8], expected: &[Value]) {
    let cmd = decode_command_set(raw).unwrap_or_else(|e| panic!("{name}: {e}"));
    // The vector lists CommandGroupLength first; the CommandSet keeps it implicit.
    let (first, rest) = expected.split_first().expect("elements");
    assert_eq!(parse_tag(first["tag"].as_str().unwrap()), 0);
    assert_eq!(
        first["value"].as_u64().unwrap() as usize,
        raw.len() - 12,
        "{name}"
    );
    assert_eq!(cmd.elements().len(), rest.len(), "{name}: element count");
    for (got, want) in cmd.elements().iter().zip(rest) {
        let tag = parse_tag(want["tag"].as_str().unwrap());
        assert_eq!(got.tag, tag, "{name}");
        assert_eq!(
            got.value.len() as u64,
            want["length"].as_u64().unwrap(),
            "{name} {tag:08X}"
        );
        let info = lookup(tag).unwrap_or_else(|| panic!("{name}: {tag:08X} not in dictionary"));
        assert_eq!(info.keyword, want["keyword"].as_str().unwrap());
        assert_eq!(info.vr.as_str(), want["vr"].as_str().unwrap());
        match info.vr {
            Vr::US => assert_eq!(
                u64::from(cmd.get_us(tag).unwrap()),
                want["value"].as_u64().unwrap(),
                "{name} {}",
                info.keyword
            ),
            Vr::UL => assert_eq!(
                u64::from(cmd.get_ul(tag).unwrap()),
                want["value"].as_u64().unwrap()
            ),
            _ => assert_eq!(
                got.value.as_ref(),
                want["value"].as_str().unwrap().as_bytes(),
                "{name} {}",
                info.keyword
            ),
        }
    }
    if let Some(field) = cmd.command_field() {
        let message = CommandField::from_u16(field).expect("known command field");
        assert_eq!(
            message.name(),
            expected
                .iter()
                .find(|e| e["keyword"] == "CommandField")
                .and_then(|e| e["meaning"].as_str())
                .unwrap()
        );
    }
    let mut encoded = Vec::new();
    cmd.encode(&mut encoded);
    assert_eq!(hex::encode(&encoded), hex::encode(raw), "{name}: re-encode");
}

/// A message seen in a vector: the PDU bytes that carried it and the vector's decode.
struct Seen {
    pdus: Vec<u8>,
    message: OwnedMessage,
    command_set: Value,
    data_set: Option<Value>,
}

fn collect(name: &str, vector: &Value, dir: &str) -> Vec<Seen> {
    let mut assembler = Assembler::default();
    let mut seen = Vec::new();
    let mut pdus = Vec::new();
    let mut pending_command: Option<(OwnedMessage, Value)> = None;
    for pdu in vector["pdus"].as_array().unwrap() {
        if pdu["dir"] != dir || pdu["type"] != 4 {
            continue;
        }
        let bytes = unhex(pdu["hex"].as_str().unwrap());
        pdus.extend_from_slice(&bytes);
        let pdvs = parse_p_data(&bytes);
        let decoded = pdu["decode"]["pdvs"].as_array().unwrap();
        assert_eq!(pdvs.len(), decoded.len(), "{name}");
        for (pdv, dec) in pdvs.iter().zip(decoded) {
            assert_eq!(
                hex::encode(&pdv.fragment),
                dec["fragment_hex"].as_str().unwrap()
            );
            let done = assembler
                .push(pdv.context_id, pdv.control, &pdv.fragment)
                .unwrap_or_else(|e| panic!("{name} {dir}: {e}"))
                .map(|m| m.to_owned_message());
            // The vector's decoder puts command_set on the PDV completing the command and
            // data_set on the PDV completing the data set.
            if let Some(cs) = dec.get("command_set") {
                let raw = unhex(cs["raw_hex"].as_str().unwrap());
                assert!(pending_command.is_none());
                match &done {
                    Some(m) => {
                        assert_eq!(m.command, raw, "{name}");
                        assert!(m.dataset.is_none());
                        seen.push(Seen {
                            pdus: std::mem::take(&mut pdus),
                            message: m.clone(),
                            command_set: cs.clone(),
                            data_set: None,
                        });
                    }
                    None => {
                        let placeholder = OwnedMessage {
                            context_id: pdv.context_id,
                            command: raw,
                            dataset: None,
                        };
                        pending_command = Some((placeholder, cs.clone()));
                    }
                }
            } else if let Some(ds) = dec.get("data_set") {
                let m = done.unwrap_or_else(|| panic!("{name}: data set not completed"));
                let (cmd, cs) = pending_command.take().expect("command before data set");
                assert_eq!(m.command, cmd.command);
                assert_eq!(
                    hex::encode(m.dataset.as_deref().unwrap()),
                    ds["raw_hex"].as_str().unwrap()
                );
                seen.push(Seen {
                    pdus: std::mem::take(&mut pdus),
                    message: m,
                    command_set: cs,
                    data_set: Some(ds.clone()),
                });
            } else {
                assert!(done.is_none(), "{name}: message completed early");
            }
        }
    }
    assert!(
        pending_command.is_none(),
        "{name}: data set never completed"
    );
    assert!(assembler.is_idle());
    seen
}

/// The Maximum Length the A-ASSOCIATE PDU of `dir` announced.
fn announced_max(vector: &Value, pdu_type: u64) -> Option<u32> {
    let pdu = vector["pdus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == pdu_type)?;
    pdu["decode"]["user_information"]["sub_items"]
        .as_array()?
        .iter()
        .find(|s| s["item_type"] == 0x51)
        .map(|s| s["maximum_length_received"].as_u64().unwrap() as u32)
}

#[test]
fn every_command_set_in_every_vector() {
    let mut commands = 0;
    let mut datasets = 0;
    for (name, vector) in load_vectors() {
        for dir in ["rq", "rsp"] {
            for s in collect(&name, &vector, dir) {
                let elements = s.command_set["elements"].as_array().unwrap();
                check_elements(&name, &s.message.command, elements);
                commands += 1;
                datasets += usize::from(s.data_set.is_some());
            }
        }
    }
    // 79 command sets and 6 data sets in the capture set.
    assert_eq!(commands, 79);
    assert_eq!(datasets, 6);
}

/// pynetdicom fills each PDV to max − 6, one PDV per PDU, which is exactly our policy for
/// the maxima in the vectors (all even, plus 7): its messages must come out byte-identical.
#[test]
fn pynetdicom_messages_refragment_identically() {
    let mut checked = 0;
    let mut small = 0;
    for (name, vector) in load_vectors() {
        let (Some(rq_max), Some(ac_max)) = (announced_max(&vector, 1), announced_max(&vector, 2))
        else {
            continue;
        };
        for (dir, role, peer_max) in [("rq", "scu", ac_max), ("rsp", "scp", rq_max)] {
            let sender = vector["source"][role]["implementation"].as_str().unwrap();
            if !sender.starts_with("pynetdicom") {
                continue;
            }
            for s in collect(&name, &vector, dir) {
                let mut out = Vec::new();
                write_message(
                    &mut out,
                    s.message.context_id,
                    &s.message.command,
                    s.message.dataset.as_deref(),
                    peer_max,
                );
                assert_eq!(hex::encode(&out), hex::encode(&s.pdus), "{name} {dir}");
                checked += 1;
                small += usize::from(peer_max != 0 && peer_max < 100);
            }
        }
    }
    assert!(checked >= 40, "only {checked} messages checked");
    // Sent by pynetdicom to a peer with a small maximum: both directions of
    // small_pdu_32__pynetdicom_scu__pynetdicom_scp and of small_pdu_7.
    assert_eq!(small, 4);
}

#[test]
fn small_pdu_32_has_pynetdicom_fragment_sizes() {
    let vector = load_vector("small_pdu_32__pynetdicom_scu__pynetdicom_scp");
    let seen = collect("small_pdu_32", &vector, "rq");
    let mut out = Vec::new();
    write_message(&mut out, 1, &seen[0].message.command, None, 32);
    let sizes: Vec<_> = split_pdus(&out)
        .iter()
        .map(|p| parse_p_data(p)[0].fragment.len())
        .collect();
    assert_eq!(sizes, [26, 26, 16]);
    let controls: Vec<_> = split_pdus(&out)
        .iter()
        .map(|p| parse_p_data(p)[0].control)
        .collect();
    assert_eq!(controls, [1, 1, 3]);
}

#[test]
fn small_pdu_7_is_one_byte_per_pdu() {
    let vector = load_vector("small_pdu_7__pynetdicom_scu__pynetdicom_scp");
    let rq = collect("small_pdu_7", &vector, "rq");
    let rsp = collect("small_pdu_7", &vector, "rsp");
    assert_eq!(rq.len(), 1);
    assert_eq!(rsp.len(), 1);
    assert_eq!(rq[0].message.command.len(), 68);
    assert_eq!(rsp[0].message.command.len(), 78);
    let mut out = Vec::new();
    write_message(&mut out, 1, &rq[0].message.command, None, 7);
    let pdus = split_pdus(&out);
    assert_eq!(pdus.len(), 68);
    assert!(pdus.iter().all(|p| p.len() == 13 && p[5] == 7));
}
