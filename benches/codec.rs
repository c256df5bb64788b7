//! Codec benchmarks on real captured bytes (issue 2, item 7).
//!
//! Inputs come from `tests/vectors/pynetdicom_scu__pynetdicom_scp__echo.json`: the 287-byte
//! A-ASSOCIATE-RQ pynetdicom sends by default and the C-ECHO-RQ P-DATA-TF that follows.
//! Targets: RQ decode under 1 us, C-ECHO-RQ encode (command set + P-DATA-TF) under 0.2 us.
//! Output buffers are reused across iterations, as the association loop reuses its write
//! buffer; decoding borrows from the input, so it allocates only the item vectors.
//!
//! Run: `cargo bench --bench codec`.

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

use fastdimse::assoc::{self, AcceptorConfig, IdentityDecision, SupportedContext};
use fastdimse::dimse::{self, Assembler, CEchoRq, CEchoRsp};
use fastdimse::pdu::{self, Pdu, HEADER_LEN};

const VECTOR: &str = "pynetdicom_scu__pynetdicom_scp__echo";
const VERIFICATION: &[u8] = b"1.2.840.10008.1.1";
/// pynetdicom's default Maximum Length, the peer limit the fragmenter sees in practice.
const PEER_MAX: u32 = 16382;

/// The PDUs of the vector, in wire order.
fn vector_pdus() -> Vec<Vec<u8>> {
    let path = format!("{}/tests/vectors/{VECTOR}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: serde_json::Value = serde_json::from_str(&text).expect("vector is JSON");
    json["pdus"]
        .as_array()
        .expect("pdus array")
        .iter()
        .map(|p| hex::decode(p["hex"].as_str().expect("hex string")).expect("valid hex"))
        .collect()
}

fn associate_rq(pdus: &[Vec<u8>]) -> &[u8] {
    let rq = &pdus[0];
    assert_eq!(
        (rq[0], rq.len()),
        (0x01, 287),
        "pdus[0] is the 287-byte A-ASSOCIATE-RQ"
    );
    rq
}

fn echo_rq_pdata(pdus: &[Vec<u8>]) -> &[u8] {
    let p = &pdus[2];
    assert_eq!(
        (p[0], p.len()),
        (0x04, 80),
        "pdus[2] is the C-ECHO-RQ P-DATA-TF"
    );
    p
}

fn bench_associate(c: &mut Criterion) {
    let pdus = vector_pdus();
    let rq_bytes = associate_rq(&pdus);
    let mut g = c.benchmark_group("associate_rq");

    g.bench_function("decode_287B", |b| {
        b.iter(|| pdu::decode(black_box(rq_bytes)).expect("valid RQ"))
    });

    let rq = pdu::decode(rq_bytes).expect("valid RQ");
    let mut out = Vec::with_capacity(512);
    rq.encode(&mut out);
    assert_eq!(out, rq_bytes, "encode reproduces the vector");
    g.bench_function("encode_287B", |b| {
        b.iter(|| {
            out.clear();
            black_box(&rq).encode(&mut out);
            black_box(out.len())
        })
    });

    let Pdu::AssociateRq(assoc_rq) = &rq else {
        unreachable!("checked above")
    };
    let mut cfg = AcceptorConfig::new("ANY-SCP");
    cfg.supported.push(SupportedContext::new(
        "1.2.840.10008.1.1",
        ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"],
    ));
    let mut identity = |_: &assoc::UserIdentity| IdentityDecision::Accept {
        server_response: None,
    };
    let accepted = assoc::accept(assoc_rq, &cfg, &mut identity).expect("accepted");
    assert!(accepted.accepted_context(1).is_some());
    g.bench_function("accept_to_ac", |b| {
        b.iter(|| assoc::accept(black_box(assoc_rq), &cfg, &mut identity).expect("accepted"))
    });
    g.bench_function("decode_accept_encode_ac", |b| {
        b.iter(|| {
            let pdu = pdu::decode(black_box(rq_bytes)).expect("valid RQ");
            let Pdu::AssociateRq(a) = &pdu else {
                unreachable!("an RQ")
            };
            let acc = assoc::accept(a, &cfg, &mut identity).expect("accepted");
            out.clear();
            Pdu::AssociateAc(acc.ac).encode(&mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

fn bench_echo(c: &mut Criterion) {
    let pdus = vector_pdus();
    let rq_pdata = echo_rq_pdata(&pdus);
    let rsp_pdata = &pdus[3];
    let mut g = c.benchmark_group("c_echo");

    let mut cmd = Vec::with_capacity(128);
    let mut out = Vec::with_capacity(256);
    let rq = CEchoRq {
        message_id: 1,
        affected_sop_class_uid: Cow::Borrowed(VERIFICATION),
    };
    rq.encode(&mut cmd);
    dimse::write_message(&mut out, 1, &cmd, None, PEER_MAX);
    assert_eq!(out, rq_pdata, "C-ECHO-RQ encodes to the vector's bytes");
    g.bench_function("rq_encode_pdata", |b| {
        b.iter(|| {
            cmd.clear();
            out.clear();
            black_box(&rq).encode(&mut cmd);
            dimse::write_message(&mut out, black_box(1), &cmd, None, black_box(PEER_MAX));
            black_box(out.len())
        })
    });

    let rsp = CEchoRsp::new(1, VERIFICATION, 0x0000);
    cmd.clear();
    out.clear();
    rsp.encode(&mut cmd);
    dimse::write_message(&mut out, 1, &cmd, None, PEER_MAX);
    assert_eq!(&out, rsp_pdata, "C-ECHO-RSP encodes to the vector's bytes");
    g.bench_function("rsp_encode_pdata", |b| {
        b.iter(|| {
            cmd.clear();
            out.clear();
            black_box(&rsp).encode(&mut cmd);
            dimse::write_message(&mut out, black_box(1), &cmd, None, black_box(PEER_MAX));
            black_box(out.len())
        })
    });

    let mut assembler = Assembler::default();
    let decode_rq = |assembler: &mut Assembler, bytes: &[u8]| -> u16 {
        let (_, len) = pdu::decode_header(bytes).expect("header");
        let body = &bytes[HEADER_LEN..HEADER_LEN + len as usize];
        let mut id = 0;
        for pdv in pdu::pdvs(body) {
            let pdv = pdv.expect("valid PDV");
            let msg = assembler
                .push(pdv.context_id, pdv.message_control, &pdv.data)
                .expect("valid fragment")
                .expect("a complete message");
            let set = dimse::decode_command_set(msg.command).expect("valid command set");
            id = CEchoRq::decode(&set).expect("a C-ECHO-RQ").message_id;
        }
        id
    };
    assert_eq!(decode_rq(&mut assembler, rq_pdata), 1);
    g.bench_function("rq_decode_pdata", |b| {
        b.iter(|| decode_rq(&mut assembler, black_box(rq_pdata)))
    });
    g.finish();
}

criterion_group!(benches, bench_associate, bench_echo);
criterion_main!(benches);
