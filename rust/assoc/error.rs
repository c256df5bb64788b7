//! Errors of association negotiation.

use std::fmt;

/// What can go wrong building an A-ASSOCIATE-RQ or reading the peer's A-ASSOCIATE-AC.
/// Each variant names the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssocError {
    /// An AE title that cannot go on the wire: empty, longer than 16 characters, not
    /// ASCII, or holding a control character or backslash.
    InvalidAeTitle { value: String, reason: &'static str },
    /// A UID that is empty, longer than 64 characters, or holds something other than
    /// digits and '.'.
    InvalidUid { value: String, reason: &'static str },
    /// An implementation version name that is empty, longer than 16 characters or not
    /// printable ASCII.
    InvalidImplementationVersionName { value: String },
    /// No presentation context was requested; an A-ASSOCIATE-RQ needs at least one.
    NoContexts,
    /// More than 128 presentation contexts (odd IDs 1..=255 allow no more).
    TooManyContexts { count: usize },
    /// A requested context ID that is even or zero.
    InvalidContextId { id: u8 },
    /// A context ID given to two requested contexts.
    DuplicateContextId { id: u8 },
    /// A requested context with no transfer syntax.
    NoTransferSyntax { abstract_syntax: String },
    /// Two requested contexts for one SOP class propose different SCP/SCU roles; the
    /// role selection sub-item is per SOP class.
    ConflictingRoles { abstract_syntax: String },
    /// A variable-length field longer than its 16-bit length field allows.
    FieldTooLong { field: &'static str, len: usize },
    /// The A-ASSOCIATE-AC answers a presentation context ID we did not propose.
    UnknownContextId { id: u8 },
    /// The A-ASSOCIATE-AC answers one presentation context ID twice.
    DuplicateContextResult { id: u8 },
    /// The A-ASSOCIATE-AC has no application context item (PS3.8 9.3.3 requires one).
    NoApplicationContext,
    /// The A-ASSOCIATE-AC answers none of the presentation contexts we proposed (PS3.8
    /// 9.3.3 requires a result for each).
    NoContextAnswered,
}

impl fmt::Display for AssocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssocError::InvalidAeTitle { value, reason } => {
                write!(f, "invalid AE title {value:?}: {reason}")
            }
            AssocError::InvalidUid { value, reason } => write!(f, "invalid UID {value:?}: {reason}"),
            AssocError::InvalidImplementationVersionName { value } => write!(
                f,
                "invalid implementation version name {value:?}: must be 1 to 16 printable ASCII characters"
            ),
            AssocError::NoContexts => f.write_str("no presentation context requested"),
            AssocError::NoApplicationContext => {
                f.write_str("no application context item")
            }
            AssocError::NoContextAnswered => f.write_str(
                "no result for any of the proposed presentation contexts",
            ),
            AssocError::TooManyContexts { count } => write!(
                f,
                "{count} presentation contexts requested; at most 128 fit in an association"
            ),
            AssocError::InvalidContextId { id } => write!(
                f,
                "presentation context ID {id} is invalid: it must be odd, 1 to 255"
            ),
            AssocError::DuplicateContextId { id } => {
                write!(f, "presentation context ID {id} is used twice")
            }
            AssocError::NoTransferSyntax { abstract_syntax } => write!(
                f,
                "presentation context for {abstract_syntax} has no transfer syntax"
            ),
            AssocError::ConflictingRoles { abstract_syntax } => write!(
                f,
                "presentation contexts for {abstract_syntax} propose different SCP/SCU roles"
            ),
            AssocError::FieldTooLong { field, len } => {
                write!(f, "{field} is {len} bytes long; at most 65535 fit")
            }
            AssocError::UnknownContextId { id } => write!(
                f,
                "the A-ASSOCIATE-AC answers presentation context ID {id}, which was not proposed"
            ),
            AssocError::DuplicateContextResult { id } => write!(
                f,
                "the A-ASSOCIATE-AC answers presentation context ID {id} more than once"
            ),
        }
    }
}

impl std::error::Error for AssocError {}
