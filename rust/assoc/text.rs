//! AE titles, UIDs and version names: checks before they go on the wire, and trimming of
//! what arrives.

use super::error::AssocError;
use crate::uid::trim_padding;

/// The 16 space-padded bytes of an AE title for the A-ASSOCIATE-RQ header.
///
/// Leading and trailing spaces are not significant and are dropped first; what remains
/// must be 1 to 16 ASCII characters with no control character and no backslash (the AE
/// value representation of PS3.5).
pub fn ae_title_bytes(title: &str) -> Result<[u8; 16], AssocError> {
    let trimmed = title.trim_matches(' ');
    let invalid = |reason| AssocError::InvalidAeTitle {
        value: title.to_string(),
        reason,
    };
    if trimmed.is_empty() {
        return Err(invalid("empty or all spaces"));
    }
    if !trimmed.is_ascii() {
        return Err(invalid("not ASCII"));
    }
    if trimmed.len() > 16 {
        return Err(invalid("longer than 16 characters"));
    }
    if trimmed.bytes().any(|b| b.is_ascii_control()) {
        return Err(invalid("contains a control character"));
    }
    if trimmed.contains('\\') {
        return Err(invalid("contains a backslash"));
    }
    let mut out = [b' '; 16];
    out[..trimmed.len()].copy_from_slice(trimmed.as_bytes());
    Ok(out)
}

/// An AE title as received, without its padding (leading/trailing spaces, trailing NULs);
/// bytes that are not UTF-8 are replaced rather than refused.
pub fn ae_title_text(raw: &[u8]) -> String {
    let end = trim_padding(raw);
    let start = end.iter().position(|&b| b != b' ').unwrap_or(end.len());
    String::from_utf8_lossy(&end[start..]).into_owned()
}

/// A UID or other text field as received, without trailing NUL/space padding.
pub fn uid_text(raw: &[u8]) -> String {
    String::from_utf8_lossy(trim_padding(raw)).into_owned()
}

/// Checks a UID we are about to send: 1 to 64 characters, digits and '.' only.
pub fn check_uid(uid: &str) -> Result<(), AssocError> {
    let invalid = |reason| AssocError::InvalidUid {
        value: uid.to_string(),
        reason,
    };
    if uid.is_empty() {
        return Err(invalid("empty"));
    }
    if uid.len() > 64 {
        return Err(invalid("longer than 64 characters"));
    }
    if !uid.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(invalid("contains characters other than digits and '.'"));
    }
    Ok(())
}

/// Checks an implementation version name: 1 to 16 printable ASCII characters.
pub fn check_version_name(name: &str) -> Result<(), AssocError> {
    let ok = !name.is_empty()
        && name.len() <= 16
        && name.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if ok {
        Ok(())
    } else {
        Err(AssocError::InvalidImplementationVersionName {
            value: name.to_string(),
        })
    }
}

/// True when two UIDs are equal once trailing NUL/space padding is ignored.
pub fn same_uid(a: &[u8], b: &[u8]) -> bool {
    trim_padding(a) == trim_padding(b)
}
