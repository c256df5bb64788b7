//! Typed C-ECHO-RQ, C-ECHO-RSP and C-CANCEL-RQ (PS3.7 Tables 9.3-12, 9.3-13, 9.3-5).
//!
//! Their encoders write straight into the output buffer in ascending tag order: they are
//! the hot path of a Verification SCP and SCU, so they skip [`CommandSet`]. Text values
//! (UIDs, ErrorComment) are held without padding; encoders pad them (UI with NUL, LO with
//! a space) and decoders strip it.

use std::borrow::Cow;

use super::command_field::CommandField;
use super::command_set::{
    padded_len, put_group_length, put_header, put_padded, put_us, CommandSet, ELEMENT_HEADER_LEN,
    GROUP_LENGTH_ELEMENT_LEN,
};
use super::dictionary::{tags, NO_DATA_SET};
use super::error::DimseError;

/// Size of an encoded US element.
const US_ELEMENT_LEN: usize = ELEMENT_HEADER_LEN + 2;

fn expect_field(cmd: &CommandSet<'_>, expected: CommandField) -> Result<(), DimseError> {
    let found = cmd.require_us(tags::COMMAND_FIELD)?;
    if found != expected.value() {
        return Err(DimseError::UnexpectedCommandField {
            expected: expected.value(),
            found,
        });
    }
    Ok(())
}

fn require_str<'c>(cmd: &'c CommandSet<'_>, tag: u32) -> Result<&'c [u8], DimseError> {
    cmd.get_str(tag).ok_or(DimseError::MissingElement { tag })
}

/// C-ECHO-RQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CEchoRq<'a> {
    pub message_id: u16,
    /// Without padding; normally the Verification SOP Class `1.2.840.10008.1.1`.
    pub affected_sop_class_uid: Cow<'a, [u8]>,
}

impl<'a> CEchoRq<'a> {
    /// Appends the command set (68 bytes for the Verification SOP Class).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let uid = &self.affected_sop_class_uid;
        let following = ELEMENT_HEADER_LEN + padded_len(uid.len()) + 3 * US_ELEMENT_LEN;
        out.reserve(GROUP_LENGTH_ELEMENT_LEN + following);
        put_group_length(out, following);
        put_padded(out, tags::AFFECTED_SOP_CLASS_UID, uid, 0);
        put_us(out, tags::COMMAND_FIELD, CommandField::CEchoRq.value());
        put_us(out, tags::MESSAGE_ID, self.message_id);
        put_us(out, tags::COMMAND_DATA_SET_TYPE, NO_DATA_SET);
    }

    /// Reads a C-ECHO-RQ; the UID borrows from `cmd`.
    pub fn decode(cmd: &'a CommandSet<'_>) -> Result<Self, DimseError> {
        expect_field(cmd, CommandField::CEchoRq)?;
        cmd.require_us(tags::COMMAND_DATA_SET_TYPE)?;
        Ok(CEchoRq {
            message_id: cmd.require_us(tags::MESSAGE_ID)?,
            affected_sop_class_uid: Cow::Borrowed(require_str(cmd, tags::AFFECTED_SOP_CLASS_UID)?),
        })
    }
}

/// C-ECHO-RSP.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CEchoRsp<'a> {
    pub message_id_being_responded_to: u16,
    /// Optional in PS3.7 (U(=)) but sent by DCMTK and pynetdicom; without padding.
    pub affected_sop_class_uid: Option<Cow<'a, [u8]>>,
    pub status: u16,
    /// ErrorComment (0000,0902), without padding.
    pub error_comment: Option<Cow<'a, [u8]>>,
    /// ErrorID (0000,0903).
    pub error_id: Option<u16>,
    /// OffendingElement (0000,0901): tags as `(group << 16) | element`.
    pub offending_element: Option<Vec<u32>>,
}

impl<'a> CEchoRsp<'a> {
    /// A response with `status` to MessageID `message_id`, echoing the request's UID.
    pub fn new(message_id: u16, affected_sop_class_uid: &'a [u8], status: u16) -> Self {
        CEchoRsp {
            message_id_being_responded_to: message_id,
            affected_sop_class_uid: Some(Cow::Borrowed(affected_sop_class_uid)),
            status,
            ..Self::default()
        }
    }

    /// Appends the command set (78 bytes for a plain response with the Verification UID).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut following = 4 * US_ELEMENT_LEN;
        if let Some(uid) = &self.affected_sop_class_uid {
            following += ELEMENT_HEADER_LEN + padded_len(uid.len());
        }
        if let Some(tags) = &self.offending_element {
            following += ELEMENT_HEADER_LEN + 4 * tags.len();
        }
        if let Some(comment) = &self.error_comment {
            following += ELEMENT_HEADER_LEN + padded_len(comment.len());
        }
        if self.error_id.is_some() {
            following += US_ELEMENT_LEN;
        }
        out.reserve(GROUP_LENGTH_ELEMENT_LEN + following);
        put_group_length(out, following);
        if let Some(uid) = &self.affected_sop_class_uid {
            put_padded(out, tags::AFFECTED_SOP_CLASS_UID, uid, 0);
        }
        put_us(out, tags::COMMAND_FIELD, CommandField::CEchoRsp.value());
        put_us(
            out,
            tags::MESSAGE_ID_BEING_RESPONDED_TO,
            self.message_id_being_responded_to,
        );
        put_us(out, tags::COMMAND_DATA_SET_TYPE, NO_DATA_SET);
        put_us(out, tags::STATUS, self.status);
        if let Some(list) = &self.offending_element {
            put_header(
                out,
                tags::OFFENDING_ELEMENT,
                super::command_set::len32(4 * list.len()),
            );
            for t in list {
                out.extend_from_slice(&((t >> 16) as u16).to_le_bytes());
                out.extend_from_slice(&((t & 0xFFFF) as u16).to_le_bytes());
            }
        }
        if let Some(comment) = &self.error_comment {
            put_padded(out, tags::ERROR_COMMENT, comment, b' ');
        }
        if let Some(id) = self.error_id {
            put_us(out, tags::ERROR_ID, id);
        }
    }

    /// Reads a C-ECHO-RSP; text values borrow from `cmd`. A MessageID (0000,0110), which
    /// the retired usage allowed in responses, is ignored.
    pub fn decode(cmd: &'a CommandSet<'_>) -> Result<Self, DimseError> {
        expect_field(cmd, CommandField::CEchoRsp)?;
        cmd.require_us(tags::COMMAND_DATA_SET_TYPE)?;
        let error_id = match cmd.get(tags::ERROR_ID) {
            None => None,
            Some(_) => Some(cmd.require_us(tags::ERROR_ID)?),
        };
        Ok(CEchoRsp {
            message_id_being_responded_to: cmd.require_us(tags::MESSAGE_ID_BEING_RESPONDED_TO)?,
            affected_sop_class_uid: cmd.get_str(tags::AFFECTED_SOP_CLASS_UID).map(Cow::Borrowed),
            status: cmd.require_us(tags::STATUS)?,
            error_comment: cmd.get_str(tags::ERROR_COMMENT).map(Cow::Borrowed),
            error_id,
            offending_element: cmd.get_at(tags::OFFENDING_ELEMENT),
        })
    }
}

/// C-CANCEL-RQ: asks the peer to stop the C-FIND/C-GET/C-MOVE with this MessageID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CCancelRq {
    pub message_id_being_responded_to: u16,
}

impl CCancelRq {
    /// Appends the command set (always 42 bytes).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let following = 3 * US_ELEMENT_LEN;
        out.reserve(GROUP_LENGTH_ELEMENT_LEN + following);
        put_group_length(out, following);
        put_us(out, tags::COMMAND_FIELD, CommandField::CCancelRq.value());
        put_us(
            out,
            tags::MESSAGE_ID_BEING_RESPONDED_TO,
            self.message_id_being_responded_to,
        );
        put_us(out, tags::COMMAND_DATA_SET_TYPE, NO_DATA_SET);
    }

    /// Reads a C-CANCEL-RQ.
    pub fn decode(cmd: &CommandSet<'_>) -> Result<Self, DimseError> {
        expect_field(cmd, CommandField::CCancelRq)?;
        cmd.require_us(tags::COMMAND_DATA_SET_TYPE)?;
        Ok(CCancelRq {
            message_id_being_responded_to: cmd.require_us(tags::MESSAGE_ID_BEING_RESPONDED_TO)?,
        })
    }
}
