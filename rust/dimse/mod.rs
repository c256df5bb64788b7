//! DIMSE (PS3.7): the command set codec (group 0000, Implicit VR Little Endian), the
//! typed Verification and C-CANCEL messages, and the P-DATA fragmentation and reassembly of
//! PS3.8 Annex E.
//!
//! This layer works on raw bytes and `(context ID, message control header, fragment)`
//! triples; framing PDUs is the `pdu` module's job.

mod assembler;
mod command_field;
mod command_set;
mod dictionary;
mod error;
mod fragment;
mod messages;

pub use assembler::{Assembler, Message, OwnedMessage, DEFAULT_MAX_DATASET_LEN, MAX_COMMAND_LEN};
pub use command_field::CommandField;
pub use command_set::{command_field, decode_command_set, peek, CommandSet, Element};
pub use dictionary::{entries, lookup, lookup_keyword, tags, ElementInfo, Vr, NO_DATA_SET};
pub use error::DimseError;
pub use fragment::{max_fragment_len, mch, write_message};
pub use messages::{CCancelRq, CEchoRq, CEchoRsp};
