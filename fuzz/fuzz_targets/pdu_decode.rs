//! Fuzzes the PDU decoder: no input may panic, and whatever decodes must re-encode to bytes
//! that decode to the same value. Run with `cargo +nightly fuzz run pdu_decode`, seeding the
//! corpus with the `hex` of tests/vectors.
#![no_main]

use fastdimse::pdu::{decode, pdvs, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pdu) = decode(data) {
        let bytes = pdu.to_bytes();
        assert_eq!(bytes.len(), pdu.encoded_len());
        assert_eq!(decode(&bytes).expect("re-encoded PDU decodes"), pdu);
    }
    if let Some(body) = data.get(HEADER_LEN..) {
        for pdv in pdvs(body) {
            if pdv.is_err() {
                break;
            }
        }
    }
});
