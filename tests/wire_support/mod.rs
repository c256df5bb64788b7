//! Wire fixtures shared by the engine's integration tests (`net_wire` over TCP,
//! `engine_cells` over in-memory pipes): captured PDUs from the wire reference, and the few
//! PDUs the tests build by hand.

#![allow(dead_code)]

use fastdimse::uid::IMPLICIT_VR_LE;

/// Wire reference 13.5: A-ASSOCIATE-RQ, Verification on context 1, max length 16384.
pub const ASSOC_RQ: &str = "0100000000c700010000414e592d5343502020202020202020204543484f5343
    5520202020202020202000000000000000000000000000000000000000000000
    0000000000000000000010000015312e322e3834302e31303030382e332e312e
    312e31200000450100000030000011312e322e3834302e31303030382e312e31
    40000011312e322e3834302e31303030382e312e3240000013312e322e383430
    2e31303030382e312e322e315000001d510000040000400052000007312e322e
    332e3455000006544553545f30";
/// Wire reference 13.1 / 13.2: C-ECHO-RQ and C-ECHO-RSP, MessageID 1, context 1.
pub const ECHO_RQ: &str =
    "0400000000 4a00000046 0103000000 0004000000 3800000000 0002001200 0000312e32
    2e3834302e 3130303038 2e312e3100 0000000102 0000003000 0000100102 0000000100 0000000802
    0000000101";
pub const ECHO_RSP: &str =
    "040000000054 000000500103 000000000400 000042000000 000002001200 0000312e322e
    3834302e3130 3030382e312e 310000000001 020000003080 000020010200 000001000000 000802000000
    010100000009 020000000000";
pub const RELEASE_RQ: [u8; 10] = [5, 0, 0, 0, 0, 4, 0, 0, 0, 0];
pub const RELEASE_RP: [u8; 10] = [6, 0, 0, 0, 0, 4, 0, 0, 0, 0];
pub const ABORT_USER: [u8; 10] = [7, 0, 0, 0, 0, 4, 0, 0, 0, 0];

pub fn unhex(s: &str) -> Vec<u8> {
    let clean: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    hex::decode(clean).expect("valid hex")
}

pub fn abort(source: u8, reason: u8) -> Vec<u8> {
    vec![7, 0, 0, 0, 0, 4, 0, 0, source, reason]
}

/// A-ASSOCIATE-RJ (1, 1, 1): rejected-permanent, service-user, no reason given.
pub const RJ_111: [u8; 10] = [3, 0, 0, 0, 0, 4, 0, 1, 1, 1];

/// An A-ASSOCIATE-AC for context 1 with Implicit VR LE, echoing the RQ's fixed fields.
pub fn raw_ac(rq: &[u8]) -> Vec<u8> {
    let mut body = vec![0, 1, 0, 0];
    body.extend_from_slice(&rq[10..74]);
    let app = b"1.2.840.10008.3.1.1.1";
    body.extend_from_slice(&[0x10, 0, 0, app.len() as u8]);
    body.extend_from_slice(app);
    let ts = IMPLICIT_VR_LE.as_bytes();
    body.extend_from_slice(&[
        0x21,
        0,
        0,
        (8 + ts.len()) as u8,
        1,
        0,
        0,
        0,
        0x40,
        0,
        0,
        ts.len() as u8,
    ]);
    body.extend_from_slice(ts);
    body.extend_from_slice(&[0x50, 0, 0, 8, 0x51, 0, 0, 4, 0, 0, 0x40, 0]);
    let mut ac = vec![2, 0];
    ac.extend_from_slice(&(body.len() as u32).to_be_bytes());
    ac.extend_from_slice(&body);
    ac
}
