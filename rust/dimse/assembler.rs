//! Reassembly: PDV fragments back into messages (command set + optional data set), with
//! the ordering rules of PS3.8 Annex E enforced and memory bounded.

use super::command_set::walk;
use super::dictionary::{tags, NO_DATA_SET};
use super::error::DimseError;
use super::fragment::mch;

/// Upper bound on a reassembled command set. With every PS3.7 Annex E element present at
/// its largest legal value a command set stays under 1 KiB; only the AT lists (Attribute
/// Identifier List of N-GET) can grow, and 64 KiB still holds over 16,000 tags. A larger
/// "command" is garbage or an attack, and is refused before it is buffered.
pub const MAX_COMMAND_LEN: usize = 64 * 1024;

/// Data set bound used by [`Assembler::default`]. Verification carries no data set, so this
/// only bounds what a misbehaving peer can make us buffer.
pub const DEFAULT_MAX_DATASET_LEN: usize = 16 * 1024 * 1024;

/// Buffers that grew beyond this are released after their message was delivered, so one
/// large message does not pin memory for the rest of the association.
const RETAINED_CAPACITY: usize = 256 * 1024;

/// A complete message. The slices borrow either the fragment just pushed (when the command
/// set came whole in one PDV, no copy is made) or the assembler's buffers; they stay valid
/// until the next call on the [`Assembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// The presentation context every fragment of the message arrived on.
    pub context_id: u8,
    /// The encoded command set, already validated (see [`decode_command_set`]).
    ///
    /// [`decode_command_set`]: super::decode_command_set
    pub command: &'a [u8],
    /// The encoded data set, present when CommandDataSetType is not 0101H.
    pub dataset: Option<&'a [u8]>,
}

/// A [`Message`] that owns its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedMessage {
    pub context_id: u8,
    pub command: Vec<u8>,
    pub dataset: Option<Vec<u8>>,
}

impl Message<'_> {
    /// Copies the message out of the assembler's buffers.
    pub fn to_owned_message(&self) -> OwnedMessage {
        OwnedMessage {
            context_id: self.context_id,
            command: self.command.to_vec(),
            dataset: self.dataset.map(<[u8]>::to_vec),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between messages; both buffers are empty.
    Idle,
    /// Command fragments of a message on this context are buffered.
    Command(u8),
    /// The command set is complete and buffered; its data set is expected on this context.
    Dataset(u8),
    /// The buffers hold the message returned by the last push.
    Delivered,
}

/// What a fragment completed, decided before the result borrows anything.
enum Completed {
    Nothing,
    /// The fragment itself is the whole command set and no data set follows.
    CommandInFragment,
    /// The buffered command set, without data set.
    BufferedCommand,
    /// The buffered command set and the fragment as its whole data set.
    DatasetInFragment,
    /// The buffered command set and the buffered data set.
    BufferedBoth,
}

/// Reassembles the P-DATA fragments of one association, one direction.
///
/// Push every PDV in wire order, whatever PDU it came in: messages may span PDVs and PDUs,
/// and one PDU may complete several messages. After an error the assembler is reset; the
/// caller is expected to abort the association.
#[derive(Debug)]
pub struct Assembler {
    state: State,
    command: Vec<u8>,
    dataset: Vec<u8>,
    max_dataset_len: usize,
    /// The last message had no data set, so a data set fragment now contradicts its
    /// CommandDataSetType rather than coming "before the command".
    after_command_only: bool,
}

impl Default for Assembler {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_DATASET_LEN)
    }
}

/// Validates a complete command set and says whether a data set follows it.
fn expects_dataset(command: &[u8]) -> Result<bool, DimseError> {
    let mut data_set_type = None;
    walk(command, |tag, value| {
        if tag == tags::COMMAND_DATA_SET_TYPE {
            data_set_type = Some(value);
        }
    })?;
    match data_set_type {
        // walk checked that US values are exactly 2 bytes.
        Some(&[lo, hi]) => Ok(u16::from_le_bytes([lo, hi]) != NO_DATA_SET),
        _ => Err(DimseError::MissingElement {
            tag: tags::COMMAND_DATA_SET_TYPE,
        }),
    }
}

impl Assembler {
    /// An assembler that refuses data sets larger than `max_dataset_len` bytes.
    pub fn new(max_dataset_len: usize) -> Self {
        Assembler {
            state: State::Idle,
            command: Vec::new(),
            dataset: Vec::new(),
            max_dataset_len,
            after_command_only: false,
        }
    }

    /// True when no message is partly received.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle | State::Delivered)
    }

    /// Drops any partial message.
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.after_command_only = false;
        self.release_buffers();
    }

    fn release_buffers(&mut self) {
        for buf in [&mut self.command, &mut self.dataset] {
            if buf.capacity() > RETAINED_CAPACITY {
                *buf = Vec::new();
            } else {
                buf.clear();
            }
        }
    }

    /// Takes one PDV: its presentation context ID, message control header and fragment.
    /// Returns the message this fragment completes, if any.
    pub fn push<'s>(
        &'s mut self,
        context_id: u8,
        message_control: u8,
        fragment: &'s [u8],
    ) -> Result<Option<Message<'s>>, DimseError> {
        if self.state == State::Delivered {
            self.state = State::Idle;
            self.release_buffers();
        }
        let completed = match self.step(context_id, message_control, fragment) {
            Ok(c) => c,
            Err(e) => {
                self.reset();
                return Err(e);
            }
        };
        let (command, dataset): (&'s [u8], Option<&'s [u8]>) = match completed {
            Completed::Nothing => return Ok(None),
            Completed::CommandInFragment => (fragment, None),
            Completed::BufferedCommand => (&self.command, None),
            Completed::DatasetInFragment => (&self.command, Some(fragment)),
            Completed::BufferedBoth => (&self.command, Some(&self.dataset)),
        };
        Ok(Some(Message {
            context_id,
            command,
            dataset,
        }))
    }

    fn step(
        &mut self,
        context_id: u8,
        control: u8,
        fragment: &[u8],
    ) -> Result<Completed, DimseError> {
        let is_command = control & mch::COMMAND != 0;
        let is_last = control & mch::LAST != 0;
        match self.state {
            State::Idle | State::Delivered => {
                if !is_command {
                    return Err(if self.after_command_only {
                        DimseError::UnexpectedDataset { context_id }
                    } else {
                        DimseError::DatasetBeforeCommand { context_id }
                    });
                }
                self.after_command_only = false;
                if fragment.len() > MAX_COMMAND_LEN {
                    return Err(DimseError::CommandTooLarge {
                        limit: MAX_COMMAND_LEN,
                    });
                }
                if !is_last {
                    self.command.extend_from_slice(fragment);
                    self.state = State::Command(context_id);
                    return Ok(Completed::Nothing);
                }
                if expects_dataset(fragment)? {
                    self.command.extend_from_slice(fragment);
                    self.state = State::Dataset(context_id);
                    Ok(Completed::Nothing)
                } else {
                    self.after_command_only = true;
                    Ok(Completed::CommandInFragment)
                }
            }
            State::Command(expected) => {
                if context_id != expected {
                    return Err(DimseError::ContextChanged {
                        expected,
                        found: context_id,
                    });
                }
                if !is_command {
                    return Err(DimseError::DatasetBeforeCommand { context_id });
                }
                if self.command.len().saturating_add(fragment.len()) > MAX_COMMAND_LEN {
                    return Err(DimseError::CommandTooLarge {
                        limit: MAX_COMMAND_LEN,
                    });
                }
                self.command.extend_from_slice(fragment);
                if !is_last {
                    return Ok(Completed::Nothing);
                }
                if expects_dataset(&self.command)? {
                    self.state = State::Dataset(context_id);
                    Ok(Completed::Nothing)
                } else {
                    self.state = State::Delivered;
                    self.after_command_only = true;
                    Ok(Completed::BufferedCommand)
                }
            }
            State::Dataset(expected) => {
                if context_id != expected {
                    return Err(DimseError::ContextChanged {
                        expected,
                        found: context_id,
                    });
                }
                if is_command {
                    return Err(DimseError::CommandDuringDataset { context_id });
                }
                if self.dataset.len().saturating_add(fragment.len()) > self.max_dataset_len {
                    return Err(DimseError::DatasetTooLarge {
                        limit: self.max_dataset_len,
                    });
                }
                if is_last && self.dataset.is_empty() {
                    self.state = State::Delivered;
                    return Ok(Completed::DatasetInFragment);
                }
                self.dataset.extend_from_slice(fragment);
                if is_last {
                    self.state = State::Delivered;
                    Ok(Completed::BufferedBoth)
                } else {
                    Ok(Completed::Nothing)
                }
            }
        }
    }
}
