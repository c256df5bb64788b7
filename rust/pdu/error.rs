//! The one error type of the PDU layer: what is wrong, in which PDU and item, and where.

use std::fmt;

use super::abort_reason;

/// A PDU that could not be decoded.
///
/// `offset` is absolute within the PDU (0 = the PDU type byte), so a log line points at the
/// exact byte of a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PduError {
    /// The PDU's name, e.g. `"A-ASSOCIATE-RQ"`; `"unknown PDU"` when the type byte is not one
    /// of the seven.
    pub pdu: &'static str,
    /// The item or sub-item being decoded, e.g. `"Presentation Context (20H)"`; `None` for
    /// the PDU's own fields.
    pub item: Option<&'static str>,
    /// Absolute offset in the PDU of the field, item or length at fault.
    pub offset: usize,
    pub kind: PduErrorKind,
}

/// What is wrong with a PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PduErrorKind {
    /// A field or item header needs more bytes than its container has left.
    Truncated { needed: usize, available: usize },
    /// The PDU type byte is not one of the seven PS3.8 defines.
    UnknownPduType(u8),
    /// A length field disagrees with the bytes it describes (`expected` is what the
    /// structure or the data actually holds).
    InvalidLength { declared: usize, expected: usize },
    /// A length field is below the minimum its structure needs.
    LengthTooSmall { declared: usize, minimum: usize },
    /// An item or sub-item claims to end after the end of the PDU, item or field holding it.
    ItemOverrunsParent { item_end: usize, parent_end: usize },
    /// A value that PS3.8 requires to be non-empty has zero length.
    EmptyField,
    /// A P-DATA-TF carries no PDV item.
    NoPdv,
    /// A length beyond what this side accepts or can address.
    TooLarge { length: usize, limit: usize },
    /// Any other violation, described in a few words.
    Invalid(&'static str),
}

impl PduError {
    /// The A-ABORT reason (source 2, service-provider) that answers this error:
    /// unrecognized-PDU (1) for an unknown PDU type, invalid-PDU-parameter-value (6) otherwise.
    pub fn abort_reason(&self) -> u8 {
        match self.kind {
            PduErrorKind::UnknownPduType(_) => abort_reason::UNRECOGNIZED_PDU,
            _ => abort_reason::INVALID_PDU_PARAMETER_VALUE,
        }
    }

    /// A PDU whose length field exceeds `limit`; for callers that check the header before
    /// reading the body.
    pub fn too_large(pdu: &'static str, length: usize, limit: usize) -> Self {
        Self {
            pdu,
            item: None,
            offset: 2,
            kind: PduErrorKind::TooLarge { length, limit },
        }
    }
}

impl fmt::Display for PduErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated { needed, available } => {
                write!(f, "truncated: needs {needed} bytes, {available} available")
            }
            Self::UnknownPduType(t) => write!(f, "unknown PDU type {t:02X}H"),
            Self::InvalidLength { declared, expected } => {
                write!(f, "length field is {declared}, expected {expected}")
            }
            Self::LengthTooSmall { declared, minimum } => {
                write!(f, "length field is {declared}, minimum is {minimum}")
            }
            Self::ItemOverrunsParent {
                item_end,
                parent_end,
            } => write!(
                f,
                "item ends at offset {item_end}, beyond its container's end at {parent_end}"
            ),
            Self::EmptyField => f.write_str("zero-length value where one is required"),
            Self::NoPdv => f.write_str("P-DATA-TF without any PDV item"),
            Self::TooLarge { length, limit } => {
                write!(f, "length {length} exceeds the limit of {limit}")
            }
            Self::Invalid(what) => f.write_str(what),
        }
    }
}

impl fmt::Display for PduError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed {}", self.pdu)?;
        if let Some(item) = self.item {
            write!(f, ", {item}")?;
        }
        write!(f, " at offset {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for PduError {}
