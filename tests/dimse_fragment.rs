//! Fragmentation and reassembly: PDU limits for every legal maximum, even fragments, the
//! Annex E ordering errors, zero-copy delivery, several messages per PDU.

mod dimse_support;

use std::borrow::Cow;

use dimse_support::*;
use fastdimse::dimse::{
    decode_command_set, max_fragment_len, tags, write_message, Assembler, CEchoRq, CEchoRsp,
    CommandSet, DimseError, OwnedMessage, MAX_COMMAND_LEN,
};
use proptest::prelude::*;

const VERIFICATION: &[u8] = b"1.2.840.10008.1.1";

fn echo_rq(message_id: u16) -> Vec<u8> {
    let mut out = Vec::new();
    CEchoRq {
        message_id,
        affected_sop_class_uid: Cow::Borrowed(VERIFICATION),
    }
    .encode(&mut out);
    out
}

/// A command set announcing a data set (CommandDataSetType 0000H), padded with an unknown
/// tag to `extra` more bytes (rounded to even).
fn command_with_dataset(has_dataset: bool, extra: usize) -> Vec<u8> {
    let mut cmd = CommandSet::new();
    cmd.set_us(tags::COMMAND_FIELD, 0x0001);
    cmd.set_us(tags::MESSAGE_ID, 9);
    cmd.set_us(
        tags::COMMAND_DATA_SET_TYPE,
        if has_dataset { 0x0000 } else { 0x0101 },
    );
    cmd.set_raw(0x4000u32, vec![0xAB; extra & !1]);
    let mut out = Vec::new();
    cmd.encode(&mut out);
    out
}

/// Pushes every PDV of every PDU in `stream`, returning the completed messages.
fn reassemble(asm: &mut Assembler, stream: &[u8]) -> Result<Vec<OwnedMessage>, DimseError> {
    let mut out = Vec::new();
    for pdu in split_pdus(stream) {
        for pdv in parse_p_data(pdu) {
            if let Some(m) = asm.push(pdv.context_id, pdv.control, &pdv.fragment)? {
                out.push(m.to_owned_message());
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- fragmentation

/// Reference sections 13.1 and 13.2: the complete P-DATA-TF bytes.
#[test]
fn worked_examples_as_p_data() {
    let mut out = Vec::new();
    write_message(&mut out, 1, &echo_rq(1), None, 16384);
    assert_eq!(out.len(), 80);
    assert_eq!(
        hex::encode(&out[..12]),
        "0400000000 4a0000004601 03".replace(' ', "")
    );
    let mut out = Vec::new();
    let mut rsp = Vec::new();
    CEchoRsp::new(1, VERIFICATION, 0).encode(&mut rsp);
    write_message(&mut out, 1, &rsp, None, 0);
    assert_eq!(out.len(), 90);
    assert_eq!(hex::encode(&out[..12]), "040000000054000000500103");
    assert_eq!(out[12..], rsp[..]);
}

#[test]
fn max_fragment_len_for_legal_maxima() {
    assert_eq!(max_fragment_len(0), Some(0xFFFF_FFF8));
    assert_eq!(max_fragment_len(8), Some(2));
    assert_eq!(max_fragment_len(9), Some(2));
    assert_eq!(max_fragment_len(10), Some(4));
    assert_eq!(max_fragment_len(32), Some(26));
    assert_eq!(max_fragment_len(33), Some(26));
    assert_eq!(max_fragment_len(16382), Some(16376));
    assert_eq!(max_fragment_len(u32::MAX), Some(0xFFFF_FFF8));
    for tiny in 1..=7 {
        assert_eq!(max_fragment_len(tiny), None, "{tiny}");
    }
}

#[test]
fn max_8_sends_two_byte_fragments() {
    let cmd = echo_rq(1);
    let mut out = Vec::new();
    write_message(&mut out, 3, &cmd, None, 8);
    let pdus = split_pdus(&out);
    assert_eq!(pdus.len(), 34);
    for (i, pdu) in pdus.iter().enumerate() {
        assert_eq!(pdu.len(), 14);
        assert_eq!(&pdu[..10], &[4, 0, 0, 0, 0, 8, 0, 0, 0, 4]);
        assert_eq!(pdu[10], 3);
        assert_eq!(pdu[11], if i == 33 { 3 } else { 1 });
    }
}

#[test]
fn odd_maximum_rounds_down_to_even() {
    let cmd = echo_rq(1);
    let mut out = Vec::new();
    write_message(&mut out, 1, &cmd, None, 33);
    let sizes: Vec<_> = split_pdus(&out)
        .iter()
        .map(|p| parse_p_data(p)[0].fragment.len())
        .collect();
    assert_eq!(sizes, [26, 26, 16]);
}

/// Maxima 1..=6 cannot carry any fragment; the documented fallback is 1-byte fragments
/// (PDU length 7) rather than never sending.
#[test]
fn degenerate_maxima_send_one_byte_fragments() {
    for peer_max in 1..=7 {
        let mut out = Vec::new();
        write_message(&mut out, 1, &echo_rq(1), None, peer_max);
        let pdus = split_pdus(&out);
        assert_eq!(pdus.len(), 68, "{peer_max}");
        assert!(pdus.iter().all(|p| p.len() == 13));
        let mut asm = Assembler::default();
        let msgs = reassemble(&mut asm, &out).unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].command, echo_rq(1));
    }
}

#[test]
fn command_and_dataset_go_in_separate_pdus() {
    let cmd = command_with_dataset(true, 0);
    let ds = vec![7u8; 10];
    let mut out = Vec::new();
    write_message(&mut out, 5, &cmd, Some(&ds), 0);
    let pdus = split_pdus(&out);
    assert_eq!(pdus.len(), 2);
    assert_eq!(parse_p_data(pdus[0])[0].control, 0x03);
    assert_eq!(
        parse_p_data(pdus[1]),
        vec![Pdv {
            context_id: 5,
            control: 0x02,
            fragment: ds.clone()
        }]
    );
    // An empty data set still ends with a last fragment, so the receiver completes it.
    let mut out = Vec::new();
    write_message(&mut out, 5, &cmd, Some(&[]), 100);
    let pdus = split_pdus(&out);
    assert_eq!(pdus[1], &[4, 0, 0, 0, 0, 6, 0, 0, 0, 2, 5, 2]);
    let msgs = reassemble(&mut Assembler::default(), &out).unwrap();
    assert_eq!(msgs[0].dataset.as_deref(), Some(&[][..]));
}

#[test]
fn write_message_appends() {
    let mut out = vec![0xEE];
    write_message(&mut out, 1, &echo_rq(1), None, 0);
    assert_eq!(out[0], 0xEE);
    assert_eq!(out.len(), 81);
}

// ---------------------------------------------------------------- reassembly

#[test]
fn whole_command_in_one_pdv_is_not_copied() {
    let cmd = echo_rq(1);
    let mut asm = Assembler::default();
    let m = asm.push(1, 0x03, &cmd).unwrap().unwrap();
    assert_eq!(m.context_id, 1);
    assert!(
        std::ptr::eq(m.command, &cmd[..]),
        "expected the fragment itself"
    );
    assert_eq!(m.dataset, None);
    assert!(asm.is_idle());
}

#[test]
fn whole_dataset_in_one_pdv_is_not_copied() {
    let cmd = command_with_dataset(true, 0);
    let ds = vec![1u8, 2, 3, 4];
    let mut asm = Assembler::default();
    assert!(asm.push(1, 0x03, &cmd).unwrap().is_none());
    assert!(!asm.is_idle());
    let m = asm.push(1, 0x02, &ds).unwrap().unwrap();
    assert_eq!(m.command, &cmd[..]);
    assert!(std::ptr::eq(m.dataset.unwrap(), &ds[..]));
}

#[test]
fn several_messages_in_one_pdu() {
    // One PDU: C-ECHO-RQ 1 whole, C-ECHO-RQ 2 in two PDVs, then a command with a data set
    // in three PDVs. PDVs of different messages never interleave, but may share a PDU.
    let one = echo_rq(1);
    let two = echo_rq(2);
    let three = command_with_dataset(true, 6);
    let pdvs: Vec<(u8, u8, &[u8])> = vec![
        (1, 0x03, &one),
        (3, 0x01, &two[..20]),
        (3, 0x03, &two[20..]),
        (5, 0x03, &three),
        (5, 0x00, &[9, 9]),
        (5, 0x02, &[8, 8, 7, 7]),
    ];
    let mut pdu = vec![4, 0, 0, 0, 0, 0];
    for (ctx, mch, frag) in &pdvs {
        pdu.extend_from_slice(&(frag.len() as u32 + 2).to_be_bytes());
        pdu.extend_from_slice(&[*ctx, *mch]);
        pdu.extend_from_slice(frag);
    }
    let len = (pdu.len() - 6) as u32;
    pdu[2..6].copy_from_slice(&len.to_be_bytes());
    let msgs = reassemble(&mut Assembler::default(), &pdu).unwrap();
    assert_eq!(
        msgs,
        vec![
            OwnedMessage {
                context_id: 1,
                command: one.clone(),
                dataset: None
            },
            OwnedMessage {
                context_id: 3,
                command: two.clone(),
                dataset: None
            },
            OwnedMessage {
                context_id: 5,
                command: three.clone(),
                dataset: Some(vec![9, 9, 8, 8, 7, 7])
            },
        ]
    );
    let cmd = decode_command_set(&msgs[1].command).unwrap();
    assert_eq!(CEchoRq::decode(&cmd).unwrap().message_id, 2);
}

#[test]
fn dataset_before_command() {
    let mut asm = Assembler::default();
    assert_eq!(
        asm.push(1, 0x02, &[0, 0]).unwrap_err(),
        DimseError::DatasetBeforeCommand { context_id: 1 }
    );
    let cmd = echo_rq(1);
    let mut asm = Assembler::default();
    assert!(asm.push(1, 0x01, &cmd[..10]).unwrap().is_none());
    assert_eq!(
        asm.push(1, 0x00, &[0, 0]).unwrap_err(),
        DimseError::DatasetBeforeCommand { context_id: 1 }
    );
    // The assembler was reset: a fresh message goes through.
    assert!(asm.is_idle());
    assert!(asm.push(1, 0x03, &cmd).unwrap().is_some());
}

#[test]
fn dataset_when_command_says_none() {
    let mut asm = Assembler::default();
    let cmd = echo_rq(1);
    assert!(asm.push(1, 0x03, &cmd).unwrap().is_some());
    let err = asm.push(1, 0x02, &[0, 0]).unwrap_err();
    assert_eq!(err, DimseError::UnexpectedDataset { context_id: 1 });
    assert!(err.to_string().contains("(0000,0800)"), "{err}");
    // Also after a command reassembled from several PDVs.
    let mut asm = Assembler::default();
    assert!(asm.push(1, 0x01, &cmd[..34]).unwrap().is_none());
    assert!(asm.push(1, 0x03, &cmd[34..]).unwrap().is_some());
    assert_eq!(
        asm.push(1, 0x00, &[0, 0]).unwrap_err(),
        DimseError::UnexpectedDataset { context_id: 1 }
    );
}

#[test]
fn context_change_mid_message() {
    let cmd = echo_rq(1);
    let mut asm = Assembler::default();
    asm.push(1, 0x01, &cmd[..10]).unwrap();
    assert_eq!(
        asm.push(3, 0x03, &cmd[10..]).unwrap_err(),
        DimseError::ContextChanged {
            expected: 1,
            found: 3
        }
    );
    let with_ds = command_with_dataset(true, 0);
    let mut asm = Assembler::default();
    asm.push(1, 0x03, &with_ds).unwrap();
    assert_eq!(
        asm.push(3, 0x02, &[0, 0]).unwrap_err(),
        DimseError::ContextChanged {
            expected: 1,
            found: 3
        }
    );
}

#[test]
fn command_while_dataset_expected() {
    let with_ds = command_with_dataset(true, 0);
    let mut asm = Assembler::default();
    asm.push(1, 0x03, &with_ds).unwrap();
    asm.push(1, 0x00, &[0, 0]).unwrap();
    assert_eq!(
        asm.push(1, 0x03, &echo_rq(2)).unwrap_err(),
        DimseError::CommandDuringDataset { context_id: 1 }
    );
}

#[test]
fn command_bound() {
    let chunk = vec![0u8; 16 * 1024];
    let mut asm = Assembler::default();
    for _ in 0..4 {
        assert!(asm.push(1, 0x01, &chunk).unwrap().is_none());
    }
    assert_eq!(
        asm.push(1, 0x01, &[0, 0]).unwrap_err(),
        DimseError::CommandTooLarge {
            limit: MAX_COMMAND_LEN
        }
    );
    let huge = vec![0u8; MAX_COMMAND_LEN + 2];
    assert_eq!(
        Assembler::default().push(1, 0x03, &huge).unwrap_err(),
        DimseError::CommandTooLarge {
            limit: MAX_COMMAND_LEN
        }
    );
    // A command set right at the bound is accepted.
    let big = command_with_dataset(false, MAX_COMMAND_LEN - 12 - 30 - 8);
    assert_eq!(big.len(), MAX_COMMAND_LEN);
    let mut out = Vec::new();
    write_message(&mut out, 1, &big, None, 1000);
    assert_eq!(
        reassemble(&mut Assembler::default(), &out).unwrap().len(),
        1
    );
}

#[test]
fn dataset_bound() {
    let cmd = command_with_dataset(true, 0);
    let mut asm = Assembler::new(8);
    asm.push(1, 0x03, &cmd).unwrap();
    asm.push(1, 0x00, &[0; 6]).unwrap();
    assert_eq!(
        asm.push(1, 0x02, &[0; 4]).unwrap_err(),
        DimseError::DatasetTooLarge { limit: 8 }
    );
    let mut asm = Assembler::new(8);
    asm.push(1, 0x03, &cmd).unwrap();
    assert_eq!(
        asm.push(1, 0x02, &[0; 10]).unwrap_err(),
        DimseError::DatasetTooLarge { limit: 8 }
    );
    let mut asm = Assembler::new(8);
    asm.push(1, 0x03, &cmd).unwrap();
    assert!(asm.push(1, 0x02, &[0; 8]).unwrap().is_some());
}

#[test]
fn malformed_command_is_reported_on_completion() {
    let mut cmd = echo_rq(1);
    cmd[8] = 99;
    let mut asm = Assembler::default();
    assert_eq!(
        asm.push(1, 0x03, &cmd).unwrap_err(),
        DimseError::GroupLengthMismatch {
            declared: 99,
            actual: 56
        }
    );
    // A command set without CommandDataSetType: whether a data set follows is unknown.
    let mut no_type = CommandSet::new();
    no_type.set_us(tags::COMMAND_FIELD, 0x0030);
    let mut raw = Vec::new();
    no_type.encode(&mut raw);
    assert_eq!(
        Assembler::default().push(1, 0x03, &raw).unwrap_err(),
        DimseError::MissingElement {
            tag: tags::COMMAND_DATA_SET_TYPE
        }
    );
}

#[test]
fn message_control_bits_2_to_7_are_ignored() {
    let cmd = echo_rq(1);
    let mut asm = Assembler::default();
    assert!(asm.push(1, 0xFF, &cmd).unwrap().is_some());
}

// ---------------------------------------------------------------- property

fn peer_max() -> impl Strategy<Value = u32> {
    prop_oneof![
        1 => Just(0u32),
        3 => 8u32..=64,
        3 => 65u32..=100_000,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Fragment a command (and maybe a data set) for a random peer maximum, check every PDU
    /// against the limit and every fragment for even length, regroup the PDVs into PDUs of
    /// random sizes, and reassemble: the same bytes come back, as the only message.
    #[test]
    fn fragment_then_reassemble(
        extra in 0usize..3000,
        dataset in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..4000)),
        peer_max in peer_max(),
        context_id in (0u8..128).prop_map(|c| c * 2 + 1),
        group_sizes in proptest::collection::vec(1usize..6, 1..50),
    ) {
        let dataset = dataset.map(|mut d| { d.truncate(d.len() & !1); d });
        let command = command_with_dataset(dataset.is_some(), extra);
        let mut out = Vec::new();
        write_message(&mut out, context_id, &command, dataset.as_deref(), peer_max);

        let mut pdvs = Vec::new();
        for pdu in split_pdus(&out) {
            let length = u32::from_be_bytes(pdu[2..6].try_into().unwrap());
            if peer_max != 0 {
                prop_assert!(length <= peer_max, "PDU length {} > {}", length, peer_max);
            }
            let items = parse_p_data(pdu);
            prop_assert_eq!(items.len(), 1);
            let pdv = &items[0];
            prop_assert_eq!(pdv.fragment.len() % 2, 0);
            prop_assert_eq!(pdv.context_id, context_id);
            if peer_max != 0 {
                // Every fragment but the last of each part is full.
                let full = max_fragment_len(peer_max).unwrap();
                prop_assert!(pdv.fragment.len() == full || pdv.control & 0x02 != 0);
            }
            pdvs.push(pdv.clone());
        }
        // Command PDVs first, then data set PDVs, each part ending with exactly one last.
        let controls: Vec<u8> = pdvs.iter().map(|p| p.control).collect();
        let n_cmd = controls.iter().filter(|c| *c & 1 == 1).count();
        prop_assert!(controls[..n_cmd].iter().all(|c| *c & 1 == 1));
        prop_assert_eq!(controls[n_cmd - 1], 0x03);
        prop_assert_eq!(controls.iter().filter(|c| **c == 0x03).count(), 1);
        if dataset.is_some() {
            prop_assert_eq!(*controls.last().unwrap(), 0x02);
            prop_assert_eq!(controls.iter().filter(|c| **c == 0x02).count(), 1);
        } else {
            prop_assert_eq!(n_cmd, controls.len());
        }

        // Regroup PDVs into multi-PDV PDUs, then push them as a receiver would.
        let mut stream = Vec::new();
        let mut rest = &pdvs[..];
        let mut sizes = group_sizes.iter().cycle();
        while !rest.is_empty() {
            let take = (*sizes.next().unwrap()).min(rest.len());
            let (group, tail) = rest.split_at(take);
            let body: usize = group.iter().map(|p| 6 + p.fragment.len()).sum();
            stream.extend_from_slice(&[4, 0]);
            stream.extend_from_slice(&(body as u32).to_be_bytes());
            for p in group {
                stream.extend_from_slice(&(p.fragment.len() as u32 + 2).to_be_bytes());
                stream.extend_from_slice(&[p.context_id, p.control]);
                stream.extend_from_slice(&p.fragment);
            }
            rest = tail;
        }
        // Twice in a row: buffers are reused between messages.
        stream.extend_from_slice(&stream.clone());
        let mut asm = Assembler::default();
        let msgs = reassemble(&mut asm, &stream).unwrap();
        let expected = OwnedMessage { context_id, command, dataset };
        prop_assert_eq!(msgs, vec![expected.clone(), expected]);
        prop_assert!(asm.is_idle());
    }

    /// Random PDV sequences never panic the assembler.
    #[test]
    fn arbitrary_pdvs_never_panic(
        pdvs in proptest::collection::vec(
            (any::<u8>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..80)),
            0..30
        )
    ) {
        let mut asm = Assembler::new(1000);
        let valid = echo_rq(3);
        for (i, (ctx, mch, frag)) in pdvs.iter().enumerate() {
            let frag: &[u8] = if i % 3 == 0 { &valid } else { frag };
            let _ = asm.push(*ctx, *mch, frag);
        }
    }
}
