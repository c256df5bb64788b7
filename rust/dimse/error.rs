//! The one error type of the DIMSE layer: malformed command sets, missing elements and
//! P-DATA fragments that break the message encapsulation rules of PS3.8 Annex E.

use std::fmt;

use super::dictionary::tag_name;

/// Everything that can go wrong while decoding a command set or reassembling a message.
///
/// Offsets are byte offsets into the command set (the first element starts at 0). Tags are
/// the full 32-bit value `(group << 16) | element`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DimseError {
    /// An element header or value runs past the end of the command set.
    Truncated {
        /// Offset of the element whose header or value is cut short.
        offset: usize,
        /// Bytes the element needs from `offset` on.
        needed: usize,
        /// Bytes left from `offset` on.
        available: usize,
    },
    /// An element outside group 0000 appeared in a command set.
    WrongGroup { offset: usize, tag: u32 },
    /// Tags are not strictly ascending (covers a repeated tag too).
    NotAscending {
        offset: usize,
        tag: u32,
        previous: u32,
    },
    /// An element has an odd value length; Implicit VR Little Endian values are even.
    OddLength {
        offset: usize,
        tag: u32,
        length: u32,
    },
    /// The first element is not CommandGroupLength (0000,0000) with a 4-byte value.
    MissingGroupLength { found: Option<u32> },
    /// CommandGroupLength disagrees with the number of bytes that follow it.
    GroupLengthMismatch { declared: u32, actual: usize },
    /// A dictionary element has a value length its VR does not allow (US must be 2, …).
    BadValueLength { tag: u32, length: usize },
    /// A required element is absent.
    MissingElement { tag: u32 },
    /// The command set is a different message than the one being decoded.
    UnexpectedCommandField { expected: u16, found: u16 },
    /// A data set fragment arrived before the command set was complete.
    DatasetBeforeCommand { context_id: u8 },
    /// A data set fragment arrived although CommandDataSetType (0000,0800) is 0101H.
    UnexpectedDataset { context_id: u8 },
    /// A command fragment arrived while the data set of the previous command was expected.
    CommandDuringDataset { context_id: u8 },
    /// A fragment arrived on another presentation context than the message it continues.
    ContextChanged { expected: u8, found: u8 },
    /// The reassembled command set would exceed the fixed command bound.
    CommandTooLarge { limit: usize },
    /// The reassembled data set would exceed the configured bound.
    DatasetTooLarge { limit: usize },
}

impl fmt::Display for DimseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DimseError::*;
        match *self {
            Truncated {
                offset,
                needed,
                available,
            } => write!(
                f,
                "command set truncated at offset {offset}: element needs {needed} bytes, {available} left"
            ),
            WrongGroup { offset, tag } => write!(
                f,
                "element {} at offset {offset} is not in command group 0000",
                tag_name(tag)
            ),
            NotAscending {
                offset,
                tag,
                previous,
            } => write!(
                f,
                "element {} at offset {offset} does not follow {} in ascending tag order",
                tag_name(tag),
                tag_name(previous)
            ),
            OddLength {
                offset,
                tag,
                length,
            } => write!(
                f,
                "element {} at offset {offset} has odd value length {length}",
                tag_name(tag)
            ),
            MissingGroupLength { found: None } => {
                write!(f, "empty command set: CommandGroupLength (0000,0000) missing")
            }
            MissingGroupLength { found: Some(tag) } => write!(
                f,
                "command set starts with {} instead of a 4-byte CommandGroupLength (0000,0000)",
                tag_name(tag)
            ),
            GroupLengthMismatch { declared, actual } => write!(
                f,
                "CommandGroupLength (0000,0000) says {declared} bytes follow, {actual} do"
            ),
            BadValueLength { tag, length } => write!(
                f,
                "element {} has a value length of {length}, which its VR does not allow",
                tag_name(tag)
            ),
            MissingElement { tag } => write!(f, "required element {} is missing", tag_name(tag)),
            UnexpectedCommandField { expected, found } => write!(
                f,
                "CommandField (0000,0100) is {found:04X}H, expected {expected:04X}H"
            ),
            DatasetBeforeCommand { context_id } => write!(
                f,
                "data set fragment on context {context_id} before the command set was complete"
            ),
            UnexpectedDataset { context_id } => write!(
                f,
                "data set fragment on context {context_id} but CommandDataSetType (0000,0800) says no data set"
            ),
            CommandDuringDataset { context_id } => write!(
                f,
                "command fragment on context {context_id} while the previous command's data set was expected"
            ),
            ContextChanged { expected, found } => write!(
                f,
                "fragment on presentation context {found} continues a message on context {expected}"
            ),
            CommandTooLarge { limit } => {
                write!(f, "command set larger than the {limit}-byte bound")
            }
            DatasetTooLarge { limit } => {
                write!(f, "data set larger than the configured {limit}-byte bound")
            }
        }
    }
}

impl std::error::Error for DimseError {}
