//! The generic command set codec: group-0000 elements in Implicit VR Little Endian, kept as
//! raw value bytes in wire order (PS3.7 section 6.3.1, Annex E).
//!
//! Decoding borrows the values from the input; encoding computes CommandGroupLength itself.
//! Elements the dictionary does not know (retired or future group-0000 tags) are kept, so a
//! decoded command set re-encodes to the same bytes.

use std::borrow::Cow;

use super::dictionary::{lookup, tags, NO_DATA_SET};
use super::error::DimseError;
use crate::uid::trim_padding;

/// Bytes of an Implicit VR element header: group, element (u16 LE each), length (u32 LE).
pub(crate) const ELEMENT_HEADER_LEN: usize = 8;
/// Bytes of the CommandGroupLength element (header + 4-byte value).
pub(crate) const GROUP_LENGTH_ELEMENT_LEN: usize = 12;

/// One command element: its tag and its value bytes exactly as on the wire (padding kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element<'a> {
    /// `(group << 16) | element`; the group is always 0000.
    pub tag: u32,
    pub value: Cow<'a, [u8]>,
}

/// A command set: its elements in strictly ascending tag order, CommandGroupLength excluded
/// (it is checked on decode and recomputed on encode, so it cannot go stale).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandSet<'a> {
    elements: Vec<Element<'a>>,
}

/// Reads a u16 LE at `at`, if the bytes are there.
fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

/// Reads a u32 LE at `at`, if the bytes are there.
fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads the element header at `at`: (tag, value length). `None` if fewer than 8 bytes remain.
fn read_header(bytes: &[u8], at: usize) -> Option<(u32, u32)> {
    let group = read_u16(bytes, at)?;
    let element = read_u16(bytes, at.checked_add(2)?)?;
    let length = read_u32(bytes, at.checked_add(4)?)?;
    Some(((u32::from(group) << 16) | u32::from(element), length))
}

/// Validates a whole command set and calls `visit` for every element after
/// CommandGroupLength, in order. Allocation-free, so the assembler can validate without
/// building a [`CommandSet`].
pub(crate) fn walk<'a>(
    bytes: &'a [u8],
    mut visit: impl FnMut(u32, &'a [u8]),
) -> Result<(), DimseError> {
    let total = bytes.len();
    let Some((first_tag, first_len)) = read_header(bytes, 0) else {
        return Err(if total == 0 {
            DimseError::MissingGroupLength { found: None }
        } else {
            DimseError::Truncated {
                offset: 0,
                needed: ELEMENT_HEADER_LEN,
                available: total,
            }
        });
    };
    if first_tag != tags::COMMAND_GROUP_LENGTH {
        return Err(DimseError::MissingGroupLength {
            found: Some(first_tag),
        });
    }
    if first_len != 4 {
        return Err(DimseError::BadValueLength {
            tag: tags::COMMAND_GROUP_LENGTH,
            length: first_len as usize,
        });
    }
    let Some(declared) = read_u32(bytes, ELEMENT_HEADER_LEN) else {
        return Err(DimseError::Truncated {
            offset: 0,
            needed: GROUP_LENGTH_ELEMENT_LEN,
            available: total,
        });
    };

    let mut offset = GROUP_LENGTH_ELEMENT_LEN;
    let mut previous = tags::COMMAND_GROUP_LENGTH;
    while offset < total {
        let available = total - offset;
        let Some((tag, length)) = read_header(bytes, offset) else {
            return Err(DimseError::Truncated {
                offset,
                needed: ELEMENT_HEADER_LEN,
                available,
            });
        };
        if tag >> 16 != 0 {
            return Err(DimseError::WrongGroup { offset, tag });
        }
        if tag <= previous {
            return Err(DimseError::NotAscending {
                offset,
                tag,
                previous,
            });
        }
        if length % 2 != 0 {
            return Err(DimseError::OddLength {
                offset,
                tag,
                length,
            });
        }
        let needed = (length as usize).saturating_add(ELEMENT_HEADER_LEN);
        if needed > available {
            return Err(DimseError::Truncated {
                offset,
                needed,
                available,
            });
        }
        let value_start = offset + ELEMENT_HEADER_LEN;
        let value_end = offset + needed;
        let value = bytes.get(value_start..value_end).unwrap_or_default();
        if let Some(info) = lookup(tag) {
            if !info.vr.allows_length(value.len()) {
                return Err(DimseError::BadValueLength {
                    tag,
                    length: value.len(),
                });
            }
        }
        visit(tag, value);
        previous = tag;
        offset = value_end;
    }

    let actual = total - GROUP_LENGTH_ELEMENT_LEN;
    if declared as usize != actual {
        return Err(DimseError::GroupLengthMismatch { declared, actual });
    }
    Ok(())
}

/// Decodes and validates a command set: group 0000 only, CommandGroupLength first and equal
/// to the bytes that follow it, tags strictly ascending, even lengths inside the input,
/// fixed-size values (US, UL, AT) of a size their VR allows.
pub fn decode_command_set(bytes: &[u8]) -> Result<CommandSet<'_>, DimseError> {
    let mut elements = Vec::with_capacity(8);
    walk(bytes, |tag, value| {
        elements.push(Element {
            tag,
            value: Cow::Borrowed(value),
        })
    })?;
    Ok(CommandSet { elements })
}

/// Finds the value of `tag` in an encoded command set without validating or allocating.
/// Meant for quick dispatch; a message must still go through [`decode_command_set`].
pub fn peek(cmd: &[u8], tag: u32) -> Option<&[u8]> {
    let mut offset = 0usize;
    loop {
        let (t, length) = read_header(cmd, offset)?;
        let start = offset.checked_add(ELEMENT_HEADER_LEN)?;
        let end = start.checked_add(length as usize)?;
        if t == tag {
            return cmd.get(start..end);
        }
        if t > tag {
            return None;
        }
        offset = end;
    }
}

/// CommandField (0000,0100) of an encoded command set, found by [`peek`].
pub fn command_field(cmd: &[u8]) -> Option<u16> {
    let v = peek(cmd, tags::COMMAND_FIELD)?;
    (v.len() == 2).then(|| u16::from_le_bytes([v[0], v[1]]))
}

/// Appends an element header for a group-0000 `tag` with value length `length`.
#[inline]
pub(crate) fn put_header(out: &mut Vec<u8>, tag: u32, length: u32) {
    let element = (tag & 0xFFFF) as u16;
    let g = ((tag >> 16) as u16).to_le_bytes();
    let e = element.to_le_bytes();
    let l = length.to_le_bytes();
    out.extend_from_slice(&[g[0], g[1], e[0], e[1], l[0], l[1], l[2], l[3]]);
}

/// Appends a US element.
#[inline]
pub(crate) fn put_us(out: &mut Vec<u8>, tag: u32, value: u16) {
    put_header(out, tag, 2);
    out.extend_from_slice(&value.to_le_bytes());
}

/// `len` rounded up to even.
#[inline]
pub(crate) fn padded_len(len: usize) -> usize {
    len + (len & 1)
}

/// A length as the u32 of an element header. Values of 4 GiB and more cannot be encoded;
/// they only come from local callers, and a receiver bounds command sets far below that.
#[inline]
pub(crate) fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Appends an element whose value is padded with `pad` to even length.
#[inline]
pub(crate) fn put_padded(out: &mut Vec<u8>, tag: u32, value: &[u8], pad: u8) {
    put_header(out, tag, len32(padded_len(value.len())));
    out.extend_from_slice(value);
    if value.len() % 2 != 0 {
        out.push(pad);
    }
}

/// Appends CommandGroupLength (0000,0000) for `following` bytes of elements.
#[inline]
pub(crate) fn put_group_length(out: &mut Vec<u8>, following: usize) {
    put_header(out, tags::COMMAND_GROUP_LENGTH, 4);
    out.extend_from_slice(&len32(following).to_le_bytes());
}

fn pad_to_even(mut value: Vec<u8>, pad: u8) -> Vec<u8> {
    if value.len() % 2 != 0 {
        value.push(pad);
    }
    value
}

impl<'a> CommandSet<'a> {
    /// An empty command set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The elements in ascending tag order, CommandGroupLength excluded.
    pub fn elements(&self) -> &[Element<'a>] {
        &self.elements
    }

    /// The raw value of `tag` (padding kept).
    pub fn get(&self, tag: u32) -> Option<&[u8]> {
        self.elements
            .binary_search_by_key(&tag, |e| e.tag)
            .ok()
            .and_then(|i| self.elements.get(i))
            .map(|e| e.value.as_ref())
    }

    /// `tag` as an unsigned short; `None` if absent or not exactly 2 bytes.
    pub fn get_us(&self, tag: u32) -> Option<u16> {
        let v = self.get(tag)?;
        (v.len() == 2).then(|| u16::from_le_bytes([v[0], v[1]]))
    }

    /// `tag` as an unsigned long; `None` if absent or not exactly 4 bytes.
    pub fn get_ul(&self, tag: u32) -> Option<u32> {
        let v = self.get(tag)?;
        (v.len() == 4).then(|| u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
    }

    /// `tag` as text (UI, AE, LO) with trailing NUL and space padding stripped.
    pub fn get_str(&self, tag: u32) -> Option<&[u8]> {
        self.get(tag).map(trim_padding)
    }

    /// `tag` as a list of attribute tags `(group << 16) | element`; `None` if absent or not
    /// a multiple of 4 bytes.
    pub fn get_at(&self, tag: u32) -> Option<Vec<u32>> {
        let v = self.get(tag)?;
        if v.len() % 4 != 0 {
            return None;
        }
        Some(
            v.chunks_exact(4)
                .map(|c| {
                    (u32::from(u16::from_le_bytes([c[0], c[1]])) << 16)
                        | u32::from(u16::from_le_bytes([c[2], c[3]]))
                })
                .collect(),
        )
    }

    /// `tag` as US, or the error a typed decoder reports: missing, or of the wrong size.
    pub fn require_us(&self, tag: u32) -> Result<u16, DimseError> {
        match self.get(tag) {
            None => Err(DimseError::MissingElement { tag }),
            Some(v) if v.len() == 2 => Ok(u16::from_le_bytes([v[0], v[1]])),
            Some(v) => Err(DimseError::BadValueLength {
                tag,
                length: v.len(),
            }),
        }
    }

    /// CommandField (0000,0100), if present.
    pub fn command_field(&self) -> Option<u16> {
        self.get_us(tags::COMMAND_FIELD)
    }

    /// Whether a data set follows: CommandDataSetType (0000,0800) is anything but 0101H.
    /// `None` when the element is missing.
    pub fn has_data_set(&self) -> Option<bool> {
        self.get_us(tags::COMMAND_DATA_SET_TYPE)
            .map(|v| v != NO_DATA_SET)
    }

    /// Sets `tag` to `value` as given, keeping tag order. An odd-length value gets one NUL
    /// on encode. CommandGroupLength is ignored: [`encode`](Self::encode) computes it.
    pub fn set_raw(&mut self, tag: u32, value: impl Into<Cow<'a, [u8]>>) {
        if tag == tags::COMMAND_GROUP_LENGTH {
            return;
        }
        let element = Element {
            tag,
            value: value.into(),
        };
        match self.elements.binary_search_by_key(&tag, |e| e.tag) {
            Ok(i) => self.elements[i] = element,
            Err(i) => self.elements.insert(i, element),
        }
    }

    /// Sets an unsigned short.
    pub fn set_us(&mut self, tag: u32, value: u16) {
        self.set_raw(tag, value.to_le_bytes().to_vec());
    }

    /// Sets an unsigned long.
    pub fn set_ul(&mut self, tag: u32, value: u32) {
        self.set_raw(tag, value.to_le_bytes().to_vec());
    }

    /// Sets a UID, padded with one NUL when its length is odd.
    pub fn set_uid(&mut self, tag: u32, uid: &[u8]) {
        self.set_raw(tag, pad_to_even(uid.to_vec(), 0));
    }

    /// Sets an AE or LO text value, padded with one space when its length is odd.
    pub fn set_text(&mut self, tag: u32, text: &[u8]) {
        self.set_raw(tag, pad_to_even(text.to_vec(), b' '));
    }

    /// Sets an AT value: each tag `(group << 16) | element` as two u16 LE.
    pub fn set_at(&mut self, tag: u32, attribute_tags: &[u32]) {
        let mut v = Vec::with_capacity(attribute_tags.len() * 4);
        for t in attribute_tags {
            v.extend_from_slice(&((t >> 16) as u16).to_le_bytes());
            v.extend_from_slice(&((t & 0xFFFF) as u16).to_le_bytes());
        }
        self.set_raw(tag, v);
    }

    /// Removes `tag`, returning whether it was there.
    pub fn remove(&mut self, tag: u32) -> bool {
        match self.elements.binary_search_by_key(&tag, |e| e.tag) {
            Ok(i) => {
                self.elements.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Length of the encoded command set, CommandGroupLength included.
    pub fn encoded_len(&self) -> usize {
        GROUP_LENGTH_ELEMENT_LEN + self.group_length()
    }

    fn group_length(&self) -> usize {
        self.elements
            .iter()
            .map(|e| ELEMENT_HEADER_LEN + padded_len(e.value.len()))
            .sum()
    }

    /// Appends the command set in Implicit VR Little Endian, CommandGroupLength first.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let following = self.group_length();
        out.reserve(GROUP_LENGTH_ELEMENT_LEN + following);
        put_group_length(out, following);
        for e in &self.elements {
            put_padded(out, e.tag, &e.value, 0);
        }
    }

    /// Detaches the command set from the buffer it was decoded from.
    pub fn into_owned(self) -> CommandSet<'static> {
        CommandSet {
            elements: self
                .elements
                .into_iter()
                .map(|e| Element {
                    tag: e.tag,
                    value: Cow::Owned(e.value.into_owned()),
                })
                .collect(),
        }
    }
}
