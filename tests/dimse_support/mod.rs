//! Shared helpers for the dimse integration tests: vector loading and a minimal P-DATA
//! parser (written here so these tests do not depend on the `pdu` module).

#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

/// Every vector as (file stem, parsed JSON), sorted by name.
pub fn load_vectors() -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(vectors_dir())
        .expect("vectors directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "expected the vector set, found {}",
        files.len()
    );
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read vector");
            let json: Value = serde_json::from_str(&text).expect("vector JSON");
            (p.file_stem().unwrap().to_string_lossy().into_owned(), json)
        })
        .collect()
}

pub fn load_vector(name: &str) -> Value {
    let text = std::fs::read_to_string(vectors_dir().join(format!("{name}.json"))).expect("vector");
    serde_json::from_str(&text).expect("vector JSON")
}

/// One PDV: context ID, message control header, fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdv {
    pub context_id: u8,
    pub control: u8,
    pub fragment: Vec<u8>,
}

/// Splits a complete P-DATA-TF PDU into its PDVs, asserting the framing is consistent.
pub fn parse_p_data(pdu: &[u8]) -> Vec<Pdv> {
    assert_eq!(pdu[0], 0x04, "not a P-DATA-TF");
    let len = u32::from_be_bytes(pdu[2..6].try_into().unwrap()) as usize;
    assert_eq!(len + 6, pdu.len(), "PDU length field");
    let mut pdvs = Vec::new();
    let mut at = 6;
    while at < pdu.len() {
        let item = u32::from_be_bytes(pdu[at..at + 4].try_into().unwrap()) as usize;
        assert!(item >= 2 && at + 4 + item <= pdu.len(), "PDV item length");
        pdvs.push(Pdv {
            context_id: pdu[at + 4],
            control: pdu[at + 5],
            fragment: pdu[at + 6..at + 4 + item].to_vec(),
        });
        at += 4 + item;
    }
    pdvs
}

/// Splits a byte stream of back-to-back P-DATA-TF PDUs into PDUs.
pub fn split_pdus(stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        let len = u32::from_be_bytes(stream[at + 2..at + 6].try_into().unwrap()) as usize;
        out.push(&stream[at..at + 6 + len]);
        at += 6 + len;
    }
    out
}

/// "(gggg,eeee)" to the 32-bit tag.
pub fn parse_tag(text: &str) -> u32 {
    let t = text.trim_matches(|c| c == '(' || c == ')');
    let (g, e) = t.split_once(',').expect("tag");
    (u32::from_str_radix(g, 16).unwrap() << 16) | u32::from_str_radix(e, 16).unwrap()
}

pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}
