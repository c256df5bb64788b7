//! Malformed PDUs give the expected error kind and offset, and no input makes decode panic.

use std::sync::OnceLock;

use fastdimse::pdu::{
    decode, decode_header, pdvs, Item, Pdu, PduError, PduErrorKind, PduErrorKind::*, UserItem,
    HEADER_LEN,
};
use proptest::prelude::*;

/// A PDU of type `t` around `body`, with a correct length field.
fn pdu(t: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![t, 0];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// An A-ASSOCIATE PDU (type `t`) whose variable part is `items`.
fn associate(t: u8, items: &[u8]) -> Vec<u8> {
    let mut body = vec![0, 1, 0, 0];
    body.extend_from_slice(b"CALLED          CALLING         ");
    body.extend_from_slice(&[0; 32]);
    body.extend_from_slice(items);
    pdu(t, &body)
}

/// An item or sub-item with a correct 16-bit length.
fn item(t: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![t, 0];
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
    out
}

fn pc_rq(id: u8, subs: &[Vec<u8>]) -> Vec<u8> {
    let mut value = vec![id, 0, 0, 0];
    value.extend(subs.concat());
    item(0x20, &value)
}

fn pc_ac(id: u8, result: u8, subs: &[Vec<u8>]) -> Vec<u8> {
    let mut value = vec![id, 0, result, 0];
    value.extend(subs.concat());
    item(0x21, &value)
}

const APP: &[u8] = b"1.2.840.10008.3.1.1.1";

/// First byte of the variable items of an A-ASSOCIATE PDU.
const ITEMS: usize = 74;

fn err(data: &[u8]) -> PduError {
    match decode(data) {
        Ok(pdu) => panic!("decoded {pdu:?} from {}", hex::encode(data)),
        Err(e) => {
            // Display names the PDU and the offset.
            let shown = e.to_string();
            assert!(shown.contains(e.pdu), "{shown}");
            assert!(shown.contains(&format!("offset {}", e.offset)), "{shown}");
            if let Some(item) = e.item {
                assert!(shown.contains(item), "{shown}");
            }
            e
        }
    }
}

/// One table row: input, expected kind, expected offset (None: not meaningful) and item.
struct Case {
    name: &'static str,
    input: Vec<u8>,
    kind: PduErrorKind,
    offset: Option<usize>,
    item: Option<&'static str>,
}

fn case(
    name: &'static str,
    input: Vec<u8>,
    kind: PduErrorKind,
    offset: Option<usize>,
    item: Option<&'static str>,
) -> Case {
    Case {
        name,
        input,
        kind,
        offset,
        item,
    }
}

fn table() -> Vec<Case> {
    let user = |subs: &[Vec<u8>]| item(0x50, &subs.concat());
    let verification = item(0x30, b"1.2.840.10008.1.1");
    let implicit = item(0x40, b"1.2.840.10008.1.2");
    let mut big_pdv = pdu(4, &[0, 0, 0, 8, 1, 3, 0, 0]);
    big_pdv[2..6].copy_from_slice(&0xFFFF_FFFFu32.to_be_bytes());
    let mut rq_too_long = associate(1, &item(0x10, APP));
    rq_too_long[5] += 1;
    let mut rq_too_short = associate(1, &item(0x10, APP));
    rq_too_short[5] -= 1;
    let mut overrunning_app = associate(1, &item(0x10, APP));
    overrunning_app[ITEMS + 3] += 1;
    vec![
        case(
            "empty input",
            vec![],
            Truncated {
                needed: 6,
                available: 0,
            },
            Some(0),
            None,
        ),
        case(
            "truncated header",
            vec![1, 0, 0, 0],
            Truncated {
                needed: 6,
                available: 4,
            },
            Some(4),
            None,
        ),
        case(
            "unknown PDU type",
            pdu(0x08, &[0; 4]),
            UnknownPduType(0x08),
            Some(0),
            None,
        ),
        case(
            "PDU type 0",
            pdu(0x00, &[0; 4]),
            UnknownPduType(0),
            Some(0),
            None,
        ),
        case(
            "truncated body",
            pdu(5, &[0; 4])[..8].to_vec(),
            Truncated {
                needed: 10,
                available: 8,
            },
            Some(8),
            None,
        ),
        case(
            "length field too long",
            rq_too_long,
            Truncated {
                needed: 6 + 68 + 25 + 1,
                available: 6 + 68 + 25,
            },
            None,
            None,
        ),
        case(
            "length field too short",
            rq_too_short,
            InvalidLength {
                declared: 68 + 25 - 1,
                expected: 68 + 25,
            },
            Some(2),
            None,
        ),
        case(
            "absurd PDU length with a tiny body",
            big_pdv,
            Truncated {
                needed: 0xFFFF_FFFF + 6,
                available: 14,
            },
            Some(14),
            None,
        ),
        case(
            "release length 3",
            pdu(5, &[0; 3]),
            LengthTooSmall {
                declared: 3,
                minimum: 4,
            },
            Some(2),
            None,
        ),
        case(
            "abort length 0",
            pdu(7, &[]),
            LengthTooSmall {
                declared: 0,
                minimum: 4,
            },
            Some(2),
            None,
        ),
        case(
            "reject length 1",
            pdu(3, &[1]),
            LengthTooSmall {
                declared: 1,
                minimum: 4,
            },
            Some(2),
            None,
        ),
        case(
            "associate shorter than its fixed part",
            pdu(1, &[0; 67]),
            LengthTooSmall {
                declared: 67,
                minimum: 68,
            },
            Some(2),
            None,
        ),
        case(
            "item header cut short",
            associate(1, &[0x10, 0]),
            Truncated {
                needed: 4,
                available: 2,
            },
            Some(ITEMS),
            Some("Application Context (10H)"),
        ),
        case(
            "item longer than its parent",
            overrunning_app,
            ItemOverrunsParent {
                item_end: ITEMS + 4 + 22,
                parent_end: ITEMS + 4 + 21,
            },
            Some(ITEMS),
            Some("Application Context (10H)"),
        ),
        case(
            "empty application context",
            associate(1, &item(0x10, b"")),
            EmptyField,
            Some(ITEMS),
            Some("Application Context (10H)"),
        ),
        case(
            "empty abstract syntax",
            associate(1, &pc_rq(1, &[item(0x30, b""), implicit.clone()])),
            EmptyField,
            Some(ITEMS + 8),
            Some("Abstract Syntax (30H)"),
        ),
        case(
            "empty proposed transfer syntax",
            associate(1, &pc_rq(1, &[verification.clone(), item(0x40, b"")])),
            EmptyField,
            Some(ITEMS + 8 + 21),
            Some("Transfer Syntax (40H)"),
        ),
        case(
            "empty accepted transfer syntax",
            associate(2, &pc_ac(1, 0, &[item(0x40, b"")])),
            EmptyField,
            Some(ITEMS + 8),
            Some("Transfer Syntax (40H)"),
        ),
        case(
            "proposed context without abstract syntax",
            associate(1, &pc_rq(1, std::slice::from_ref(&implicit))),
            Invalid("presentation context without abstract syntax sub-item"),
            Some(ITEMS),
            Some("Presentation Context (20H)"),
        ),
        case(
            "two abstract syntaxes",
            associate(1, &pc_rq(1, &[verification.clone(), verification.clone()])),
            Invalid("more than one abstract syntax sub-item"),
            Some(ITEMS + 8 + 21),
            Some("Abstract Syntax (30H)"),
        ),
        case(
            "two accepted transfer syntaxes",
            associate(2, &pc_ac(1, 0, &[implicit.clone(), implicit.clone()])),
            Invalid("more than one transfer syntax sub-item"),
            Some(ITEMS + 8 + 21),
            Some("Transfer Syntax (40H)"),
        ),
        case(
            "presentation context item shorter than 4",
            associate(1, &item(0x20, &[1, 0])),
            Truncated {
                needed: 4,
                available: 2,
            },
            Some(ITEMS + 4),
            Some("Presentation Context (20H)"),
        ),
        case(
            "sub-item overrunning the presentation context",
            associate(1, &pc_rq(1, &[verification[..10].to_vec()])),
            ItemOverrunsParent {
                item_end: ITEMS + 8 + 4 + 17,
                parent_end: ITEMS + 8 + 10,
            },
            Some(ITEMS + 8),
            Some("Abstract Syntax (30H)"),
        ),
        case(
            "sub-item overrunning the user information item",
            associate(1, &user(&[item(0x51, &[0, 0, 0x40, 0])[..6].to_vec()])),
            ItemOverrunsParent {
                item_end: ITEMS + 4 + 8,
                parent_end: ITEMS + 4 + 6,
            },
            Some(ITEMS + 4),
            Some("Maximum Length (51H)"),
        ),
        case(
            "maximum length sub-item of 3 bytes",
            associate(1, &user(&[item(0x51, &[0, 0x40, 0])])),
            InvalidLength {
                declared: 3,
                expected: 4,
            },
            Some(ITEMS + 4),
            Some("Maximum Length (51H)"),
        ),
        case(
            "async window sub-item of 5 bytes",
            associate(1, &user(&[item(0x53, &[0, 1, 0, 1, 0])])),
            InvalidLength {
                declared: 5,
                expected: 4,
            },
            Some(ITEMS + 4),
            Some("Asynchronous Operations Window (53H)"),
        ),
        case(
            "role selection UID length beyond the sub-item",
            associate(1, &user(&[item(0x54, &[0, 9, b'1', b'.', b'2', 1, 1])])),
            Truncated {
                needed: 9,
                available: 5,
            },
            Some(ITEMS + 4 + 6),
            Some("SCP/SCU Role Selection (54H)"),
        ),
        case(
            "role selection with a trailing byte",
            associate(1, &user(&[item(0x54, &[0, 1, b'1', 1, 1, 0])])),
            InvalidLength {
                declared: 6,
                expected: 5,
            },
            Some(ITEMS + 4),
            Some("SCP/SCU Role Selection (54H)"),
        ),
        case(
            "user identity secondary length beyond the sub-item",
            associate(1, &user(&[item(0x58, &[2, 0, 0, 1, b'a', 0, 5, b'b'])])),
            Truncated {
                needed: 5,
                available: 1,
            },
            Some(ITEMS + 4 + 11),
            Some("User Identity (58H)"),
        ),
        case(
            "user identity response with a trailing byte",
            associate(2, &user(&[item(0x59, &[0, 1, b'x', 0])])),
            InvalidLength {
                declared: 4,
                expected: 3,
            },
            Some(ITEMS + 4),
            Some("User Identity (59H)"),
        ),
        case(
            "common extended related list overrunning",
            associate(
                1,
                &user(&[item(
                    0x57,
                    &[0, 1, b'1', 0, 1, b'2', 0, 4, 0, 3, b'3', b'4'],
                )]),
            ),
            Truncated {
                needed: 3,
                available: 2,
            },
            Some(ITEMS + 4 + 4 + 10),
            Some("SOP Class Common Extended Negotiation (57H)"),
        ),
        case(
            "zero PDVs",
            pdu(4, &[]),
            NoPdv,
            Some(HEADER_LEN),
            Some("PDV item"),
        ),
        case(
            "PDV length 0",
            pdu(4, &[0, 0, 0, 0]),
            LengthTooSmall {
                declared: 0,
                minimum: 2,
            },
            Some(HEADER_LEN),
            Some("PDV item"),
        ),
        case(
            "PDV length 1",
            pdu(4, &[0, 0, 0, 1, 1]),
            LengthTooSmall {
                declared: 1,
                minimum: 2,
            },
            Some(HEADER_LEN),
            Some("PDV item"),
        ),
        case(
            "PDV overrunning the PDU",
            pdu(4, &[0, 0, 0, 4, 1, 3, 0]),
            ItemOverrunsParent {
                item_end: 6 + 8,
                parent_end: 6 + 7,
            },
            Some(HEADER_LEN),
            Some("PDV item"),
        ),
        case(
            "second PDV overrunning the PDU",
            pdu(4, &[0, 0, 0, 2, 1, 3, 0, 0, 0, 9, 1, 2, 0]),
            ItemOverrunsParent {
                item_end: 12 + 13,
                parent_end: 6 + 13,
            },
            Some(HEADER_LEN + 6),
            Some("PDV item"),
        ),
        case(
            "PDV length field cut short",
            pdu(4, &[0, 0, 0, 2, 1, 3, 0, 0, 0]),
            Truncated {
                needed: 4,
                available: 3,
            },
            Some(HEADER_LEN + 6),
            Some("PDV item"),
        ),
        case(
            "PDV length 0xFFFFFFFF",
            pdu(4, &[0xFF, 0xFF, 0xFF, 0xFF, 1, 3]),
            ItemOverrunsParent {
                item_end: 6 + 4 + 0xFFFF_FFFF,
                parent_end: 6 + 6,
            },
            Some(HEADER_LEN),
            Some("PDV item"),
        ),
    ]
}

#[test]
fn malformed_table() {
    let cases = table();
    for c in &cases {
        let e = err(&c.input);
        assert_eq!(e.kind, c.kind, "{}: {e}", c.name);
        if let Some(offset) = c.offset {
            assert_eq!(e.offset, offset, "{}: {e}", c.name);
        }
        assert_eq!(e.item, c.item, "{}: {e}", c.name);
        let expected_reason = if matches!(c.kind, UnknownPduType(_)) {
            1
        } else {
            6
        };
        assert_eq!(e.abort_reason(), expected_reason, "{}", c.name);
    }
    assert!(cases.len() >= 35);
}

#[test]
fn pdv_iterator_reports_the_same_errors_then_stops() {
    for c in table().iter().filter(|c| c.input.first() == Some(&4)) {
        // Only PDUs whose length field matches, so the iterator sees the whole body.
        let Some(body) = c.input.get(HEADER_LEN..) else {
            continue;
        };
        if decode_header(&c.input).map(|(_, l)| l as usize) != Ok(body.len()) {
            continue;
        }
        let mut it = pdvs(body);
        let mut last = None;
        for r in it.by_ref() {
            last = Some(r);
        }
        let e = last.expect("at least one result").expect_err(c.name);
        assert_eq!(e.kind, c.kind, "{}", c.name);
        assert_eq!(it.next(), None);
    }
}

#[test]
fn pdu_names_in_errors() {
    assert_eq!(err(&[]).pdu, "unknown PDU");
    assert_eq!(err(&[4, 0]).pdu, "P-DATA-TF");
    assert_eq!(err(&pdu(9, &[])).pdu, "unknown PDU");
    assert_eq!(err(&pdu(3, &[])).pdu, "A-ASSOCIATE-RJ");
    assert_eq!(err(&associate(2, &item(0x10, b""))).pdu, "A-ASSOCIATE-AC");
    let e = err(&pdu(4, &[0, 0, 0, 1, 1]));
    assert_eq!(
        e.to_string(),
        "malformed P-DATA-TF, PDV item at offset 6: length field is 1, minimum is 2"
    );
}

#[test]
fn fixed_length_pdus_ignore_excess_bytes() {
    let Pdu::ReleaseRq(r) = decode(&pdu(5, &[1, 2, 3, 4, 0xFF])).unwrap() else {
        panic!("not a release RQ")
    };
    assert_eq!(r.reserved, [1, 2, 3, 4]);
    let Pdu::Abort(a) = decode(&pdu(7, &[0, 0, 2, 6, 9, 9])).unwrap() else {
        panic!("not an abort")
    };
    assert_eq!((a.source, a.reason), (2, 6));
    let Pdu::AssociateRj(rj) = decode(&pdu(3, &[0, 1, 1, 7, 0, 0, 0])).unwrap() else {
        panic!("not a reject")
    };
    assert_eq!((rj.result, rj.source, rj.reason), (1, 1, 7));
    assert!(matches!(decode(&pdu(6, &[0; 5])), Ok(Pdu::ReleaseRp(_))));
}

#[test]
fn unknown_items_are_kept_and_unknown_context_sub_items_skipped() {
    let verification = item(0x30, b"1.2.840.10008.1.1");
    let implicit = item(0x40, b"1.2.840.10008.1.2");
    let items = [
        item(0x10, APP),
        item(0x99, b"opaque"),
        pc_rq(
            1,
            &[verification.clone(), item(0x77, b"xx"), implicit.clone()],
        ),
        item(
            0x50,
            &[item(0x51, &[0, 0, 0x40, 0]), item(0x5F, b"zz")].concat(),
        ),
    ]
    .concat();
    let data = associate(1, &items);
    let Pdu::AssociateRq(a) = decode(&data).unwrap() else {
        panic!("not an RQ")
    };
    assert_eq!(
        a.items[1],
        Item::Unknown {
            item_type: 0x99,
            value: b"opaque"[..].into()
        }
    );
    let pc = a.presentation_contexts_rq().next().unwrap();
    assert_eq!(&pc.abstract_syntax[..], b"1.2.840.10008.1.1");
    assert_eq!(pc.transfer_syntaxes.len(), 1);
    assert_eq!(
        a.user_items()[1],
        UserItem::Unknown {
            item_type: 0x5F,
            value: b"zz"[..].into()
        }
    );
    assert_eq!(a.maximum_length(), Some(0x4000));
    // Re-encoding keeps the unknown item and sub-item, drops the skipped 77H sub-item.
    let expected = associate(
        1,
        &[
            item(0x10, APP),
            item(0x99, b"opaque"),
            pc_rq(1, &[verification, implicit]),
            item(
                0x50,
                &[item(0x51, &[0, 0, 0x40, 0]), item(0x5F, b"zz")].concat(),
            ),
        ]
        .concat(),
    );
    assert_eq!(Pdu::AssociateRq(a).to_bytes(), expected);
}

#[test]
fn rejected_context_may_carry_an_empty_or_no_transfer_syntax() {
    for (subs, expected) in [(vec![item(0x40, b"")], Some(&b""[..])), (vec![], None)] {
        let data = associate(2, &pc_ac(3, 4, &subs));
        let Pdu::AssociateAc(a) = decode(&data).unwrap() else {
            panic!("not an AC")
        };
        let pc = a.presentation_contexts_ac().next().unwrap();
        assert_eq!((pc.context_id, pc.result), (3, 4));
        assert_eq!(pc.transfer_syntax.as_deref(), expected);
        assert_eq!(Pdu::AssociateAc(a).to_bytes(), data);
    }
}

fn vector_pdus() -> &'static [Vec<u8>] {
    static PDUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    PDUS.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
        let mut out = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for path in files {
            let json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            for p in json["pdus"].as_array().unwrap() {
                let bytes = hex::decode(p["hex"].as_str().unwrap()).unwrap();
                // Keep the set varied but small: all non-P-DATA PDUs, a few P-DATA.
                if bytes[0] != 4 || out.len() % 7 == 0 {
                    out.push(bytes);
                }
            }
        }
        out
    })
}

/// Whatever decodes re-encodes to something that decodes to the same value.
fn check_stable(data: &[u8]) {
    if let Ok(pdu) = decode(data) {
        let again = pdu.to_bytes();
        assert_eq!(again.len(), pdu.encoded_len());
        assert_eq!(decode(&again).expect("re-encoded PDU decodes"), pdu);
    }
    if data.len() >= HEADER_LEN {
        for r in pdvs(&data[HEADER_LEN..]) {
            if r.is_err() {
                break;
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => any::<usize>().prop_map(Mutation::Remove),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_stable(&data);
    }

    #[test]
    fn random_bodies_behind_a_valid_header_never_panic(
        t in 0u8..9,
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        check_stable(&pdu(t, &body));
    }

    #[test]
    fn mutated_vector_pdus_never_panic(
        pick in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
        fix_length in any::<bool>(),
    ) {
        let pdus = vector_pdus();
        let mut data = pdus[pick.index(pdus.len())].clone();
        for m in mutations {
            let n = data.len().max(1);
            match m {
                Mutation::Set(i, b) => { let i = i % n; if i < data.len() { data[i] = b; } }
                Mutation::Truncate(i) => data.truncate(i % n),
                Mutation::Insert(i, b) => data.insert(i % (data.len() + 1), b),
                Mutation::Remove(i) => { if !data.is_empty() { data.remove(i % n); } }
            }
        }
        if fix_length && data.len() >= HEADER_LEN {
            let len = (data.len() - HEADER_LEN) as u32;
            data[2..6].copy_from_slice(&len.to_be_bytes());
        }
        check_stable(&data);
    }
}
