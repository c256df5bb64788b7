//! The peer certificate's subject and subject alternative names, for handlers that authorise
//! by them. A small DER walk of the X.509 structure (RFC 5280) that reads only the subject
//! Name and the subjectAltName extension; malformed input gives `None`, never a panic.

use std::net::Ipv4Addr;

use rustls::CommonState;

/// What a certificate says about whom it names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertIdentity {
    /// The subject as an RFC 4514 string, last RDN first: "CN=client,O=Hospital,C=DE".
    pub subject: String,
    /// The subject's attributes in certificate order, as (short name or dotted OID, value):
    /// the order Python's `getpeercert()['subject']` uses.
    pub subject_attrs: Vec<(String, String)>,
    /// The same attributes grouped by RDN (several only in a multi-valued RDN).
    pub rdns: Vec<Vec<(String, String)>>,
    /// Subject alternative names as (kind, value), kinds and IP address forms as Python's
    /// `getpeercert()` gives them: "DNS", "IP Address", "email", "URI".
    pub sans: Vec<(String, String)>,
}

/// The peer's certificate identity, once the handshake has finished and if the peer
/// presented a certificate. `ServerConnection` and `ClientConnection` dereference to
/// `CommonState`: `peer_identity(stream.get_ref().1)`.
pub fn peer_identity(conn: &CommonState) -> Option<CertIdentity> {
    let cert = conn.peer_certificates()?.first()?;
    parse_identity(cert.as_ref())
}

/// The peer certificate's subject as an RFC 4514 string (see [`peer_identity`]).
pub fn peer_subject(conn: &CommonState) -> Option<String> {
    peer_identity(conn).map(|id| id.subject)
}

/// One DER element: (tag, contents, rest). Definite lengths up to 4 bytes only (DER).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The contents of the element with `tag` at the start of `input`, and the rest.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, body, rest) = tlv(input)?;
    (t == tag).then_some((body, rest))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;

/// Parses a DER certificate's subject and subjectAltName; `None` if it is malformed.
pub fn parse_identity(der: &[u8]) -> Option<CertIdentity> {
    let (cert, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(cert, SEQUENCE)?;
    let mut rest = tbs;
    // version [0] EXPLICIT, optional
    if let Some((0xa0, _, r)) = tlv(rest) {
        rest = r;
    }
    let (_serial, r) = expect(rest, 0x02)?;
    let (_sig_alg, r) = expect(r, SEQUENCE)?;
    let (_issuer, r) = expect(r, SEQUENCE)?;
    let (_validity, r) = expect(r, SEQUENCE)?;
    let (subject, r) = expect(r, SEQUENCE)?;
    let (_spki, mut r) = expect(r, SEQUENCE)?;
    let rdns = parse_name(subject)?;
    let mut sans = Vec::new();
    while let Some((tag, body, next)) = tlv(r) {
        if tag == 0xa3 {
            sans = parse_extensions(body).unwrap_or_default();
        }
        r = next;
    }
    let subject = rdns
        .iter()
        .rev()
        .map(|rdn| {
            rdn.iter()
                .map(|(k, v)| format!("{k}={}", escape_rfc4514(v)))
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>()
        .join(",");
    Some(CertIdentity {
        subject,
        subject_attrs: rdns.iter().flatten().cloned().collect(),
        rdns,
        sans,
    })
}

/// A Name as its RDNs in certificate order, each a list of (attribute name, value).
fn parse_name(mut name: &[u8]) -> Option<Vec<Vec<(String, String)>>> {
    let mut rdns = Vec::new();
    while !name.is_empty() {
        let (set, rest) = expect(name, SET)?;
        name = rest;
        let mut rdn = Vec::new();
        let mut atvs = set;
        while !atvs.is_empty() {
            let (atv, rest) = expect(atvs, SEQUENCE)?;
            atvs = rest;
            let (oid, value) = expect(atv, OID)?;
            let (vtag, vbody, _) = tlv(value)?;
            rdn.push((attr_name(oid), decode_string(vtag, vbody)));
        }
        rdns.push(rdn);
    }
    Some(rdns)
}

/// The RFC 4514 short name of an attribute type, or its dotted OID.
fn attr_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "CN".into(),
        [0x55, 0x04, 0x05] => "serialNumber".into(),
        [0x55, 0x04, 0x06] => "C".into(),
        [0x55, 0x04, 0x07] => "L".into(),
        [0x55, 0x04, 0x08] => "ST".into(),
        [0x55, 0x04, 0x09] => "STREET".into(),
        [0x55, 0x04, 0x0a] => "O".into(),
        [0x55, 0x04, 0x0b] => "OU".into(),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress".into(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC".into(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID".into(),
        other => dotted_oid(other),
    }
}

fn dotted_oid(oid: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut value: u64 = 0;
    for (i, &b) in oid.iter().enumerate() {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let first = (value / 40).min(2);
                parts.push(first);
                parts.push(value - first * 40);
            } else {
                parts.push(value);
            }
            value = 0;
        } else if i + 1 == oid.len() || value > u64::MAX >> 8 {
            break;
        }
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// A directory string's text: UTF8String, PrintableString, IA5String, TeletexString (as
/// Latin-1), BMPString, UniversalString; anything else as `#` and its hex (RFC 4514).
fn decode_string(tag: u8, body: &[u8]) -> String {
    match tag {
        0x0c | 0x13 | 0x16 | 0x12 | 0x1a => String::from_utf8_lossy(body).into_owned(),
        0x14 => body.iter().map(|&b| char::from(b)).collect(),
        0x1e => {
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        0x1c => body
            .chunks_exact(4)
            .map(|c| {
                char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])).unwrap_or('\u{fffd}')
            })
            .collect(),
        _ => {
            let hex: String = body.iter().map(|b| format!("{b:02x}")).collect();
            format!("#{hex}")
        }
    }
}

/// RFC 4514 section 2.4 escaping of an attribute value.
fn escape_rfc4514(v: &str) -> String {
    if v.starts_with('#') && v.len() > 1 && v[1..].bytes().all(|b| b.is_ascii_hexdigit()) {
        return v.to_string(); // already the hex form of a non-string value
    }
    let mut out = String::with_capacity(v.len());
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i + 1 == n => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            _ => out.push(c),
        }
    }
    out
}

/// The subjectAltName entries of an extensions block ([3] EXPLICIT SEQUENCE OF Extension).
fn parse_extensions(block: &[u8]) -> Option<Vec<(String, String)>> {
    let (mut exts, _) = expect(block, SEQUENCE)?;
    while !exts.is_empty() {
        let (ext, rest) = expect(exts, SEQUENCE)?;
        exts = rest;
        let (oid, mut r) = expect(ext, OID)?;
        if let Some((0x01, _, after_critical)) = tlv(r) {
            r = after_critical;
        }
        if oid == [0x55, 0x1d, 0x11] {
            let (octets, _) = expect(r, 0x04)?;
            let (mut names, _) = expect(octets, SEQUENCE)?;
            let mut out = Vec::new();
            while !names.is_empty() {
                let (tag, body, rest) = tlv(names)?;
                names = rest;
                let text = String::from_utf8_lossy(body).into_owned();
                match tag {
                    0x81 => out.push(("email".into(), text)),
                    0x82 => out.push(("DNS".into(), text)),
                    0x86 => out.push(("URI".into(), text)),
                    0x87 => {
                        let ip = match body.len() {
                            4 => Ipv4Addr::new(body[0], body[1], body[2], body[3]).to_string(),
                            // Python's getpeercert() form: eight uppercase groups, no "::".
                            16 => body
                                .chunks_exact(2)
                                .map(|g| format!("{:X}", u16::from_be_bytes([g[0], g[1]])))
                                .collect::<Vec<_>>()
                                .join(":"),
                            _ => continue,
                        };
                        out.push(("IP Address".into(), ip));
                    }
                    _ => {}
                }
            }
            return Some(out);
        }
    }
    Some(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_and_garbage_input_gives_none() {
        assert_eq!(parse_identity(&[]), None);
        assert_eq!(parse_identity(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(parse_identity(&[0x30, 0x03, 0x30, 0x01, 0x00]), None);
        for len in 0..64u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            let _ = parse_identity(&bytes);
        }
    }

    #[test]
    fn escapes_special_characters() {
        assert_eq!(escape_rfc4514("a,b+c"), "a\\,b\\+c");
        assert_eq!(escape_rfc4514(" lead"), "\\ lead");
        assert_eq!(escape_rfc4514("#x"), "\\#x");
        assert_eq!(escape_rfc4514("trail "), "trail\\ ");
    }

    #[test]
    fn dotted_oids() {
        assert_eq!(dotted_oid(&[0x55, 0x04, 0x03]), "2.5.4.3");
        assert_eq!(
            dotted_oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]),
            "1.2.840.113549"
        );
    }
}
