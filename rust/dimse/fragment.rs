//! Fragmentation: a command set and optional data set as P-DATA-TF PDUs that respect the
//! peer's Maximum Length (PS3.8 Annex E, section 9.3.5; PS3.7 section 6.3.1).

/// P-DATA-TF PDU type.
const P_DATA_TF: u8 = 0x04;
/// PDU header: type, reserved, PDU length (u32 BE).
const PDU_HEADER_LEN: usize = 6;
/// PDV item overhead counted in the PDU length: item length (u32 BE), context ID, MCH.
const PDV_OVERHEAD: u32 = 6;

/// Message control header bits (PS3.8 E.2).
pub mod mch {
    /// Bit 0: the fragment belongs to the command set (clear: data set).
    pub const COMMAND: u8 = 0x01;
    /// Bit 1: the fragment is the last of its command set or data set.
    pub const LAST: u8 = 0x02;
}

/// The largest fragment a PDU may carry when the peer's Maximum Length is `peer_max`:
/// `peer_max − 6`, rounded down to even so every fragment keeps the even length PS3.8
/// requires. `0` means unlimited (bounded only by the 32-bit PDU length).
///
/// `None` for `peer_max` in `1..=7`, where even fragments cannot fit: a peer that announces
/// such a value cannot receive a standard-conforming P-DATA-TF. See [`write_message`] for
/// what is sent anyway.
pub fn max_fragment_len(peer_max: u32) -> Option<usize> {
    let limit = if peer_max == 0 { u32::MAX } else { peer_max };
    let room = limit.checked_sub(PDV_OVERHEAD)? & !1;
    if room == 0 {
        return None;
    }
    usize::try_from(room).ok()
}

/// The fragment size actually used for `peer_max`: [`max_fragment_len`], or for the
/// degenerate maxima 1..=7 the largest fragment that fits (`peer_max − 6`, i.e. 1 byte for
/// 7, as pynetdicom sends), and 1 byte where even that is zero (1..=6: nothing fits, so the
/// PDU is one byte over the limit rather than the message never being sent).
fn fragment_len(peer_max: u32) -> usize {
    max_fragment_len(peer_max)
        .unwrap_or_else(|| peer_max.saturating_sub(PDV_OVERHEAD).max(1) as usize)
}

/// Appends one P-DATA-TF PDU holding one PDV.
#[inline]
fn put_pdu(out: &mut Vec<u8>, context_id: u8, control: u8, fragment: &[u8]) {
    // fragment_len keeps fragment.len() <= u32::MAX - 6, so neither length wraps.
    let item_len = (fragment.len() as u32).wrapping_add(2);
    let pdu_len = item_len.wrapping_add(4);
    let p = pdu_len.to_be_bytes();
    let i = item_len.to_be_bytes();
    out.extend_from_slice(&[
        P_DATA_TF, 0, p[0], p[1], p[2], p[3], i[0], i[1], i[2], i[3], context_id, control,
    ]);
    out.extend_from_slice(fragment);
}

fn put_fragments(out: &mut Vec<u8>, context_id: u8, kind: u8, bytes: &[u8], size: usize) {
    if bytes.is_empty() {
        put_pdu(out, context_id, kind | mch::LAST, bytes);
        return;
    }
    let mut chunks = bytes.chunks(size).peekable();
    while let Some(chunk) = chunks.next() {
        let control = if chunks.peek().is_none() {
            kind | mch::LAST
        } else {
            kind
        };
        put_pdu(out, context_id, control, chunk);
    }
}

/// Appends the message as complete P-DATA-TF PDUs, one PDV per PDU: first the command set
/// (MCH 01H, last 03H), then the data set if any (MCH 00H, last 02H), each in its own PDUs.
///
/// `peer_max_pdu_length` is the Maximum Length the peer announced: the largest PDU-length
/// field (PDU size minus its 6-byte header) it accepts; `0` means no limit. Every fragment
/// but the last of each part is [`max_fragment_len`] bytes, so PDUs never exceed the peer's
/// limit and fragments stay even when the inputs are (command sets and data sets always are;
/// an odd input is a caller bug).
///
/// Degenerate maxima below 8 cannot hold an even fragment. For 7, 1-byte fragments are sent,
/// as pynetdicom does (odd fragments only there). For 1..=6 no fragment fits at all; 1-byte
/// fragments are sent and those PDUs exceed the limit. The association layer should refuse
/// such peers up front ([`max_fragment_len`] returns `None` for all of 1..=7).
pub fn write_message(
    out: &mut Vec<u8>,
    context_id: u8,
    command: &[u8],
    dataset: Option<&[u8]>,
    peer_max_pdu_length: u32,
) {
    debug_assert!(command.len() % 2 == 0, "command set of odd length");
    debug_assert!(
        dataset.is_none_or(|d| d.len() % 2 == 0),
        "data set of odd length"
    );
    let size = fragment_len(peer_max_pdu_length);
    let pdus = |n: usize| n.div_ceil(size).max(1);
    let overhead = PDU_HEADER_LEN + PDV_OVERHEAD as usize;
    let mut total = command.len() + pdus(command.len()) * overhead;
    if let Some(d) = dataset {
        total += d.len() + pdus(d.len()) * overhead;
    }
    out.reserve(total);
    put_fragments(out, context_id, mch::COMMAND, command, size);
    if let Some(d) = dataset {
        put_fragments(out, context_id, 0, d, size);
    }
}
