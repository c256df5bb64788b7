//! The command dictionary: every group-0000 element of PS3.7 Annex E (Table E.1-1), with
//! its VR and keyword. Command sets carry no VR on the wire, so this table is the only
//! source of it.

use std::fmt;

/// The value representations used by command elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vr {
    /// Application Entity: up to 16 characters, space padded.
    AE,
    /// Attribute Tag: one or more (group, element) pairs of u16 LE.
    AT,
    /// Long String: up to 64 characters, space padded.
    LO,
    /// Unique Identifier: padded with one NUL to even length.
    UI,
    /// Unsigned Long: 4 bytes LE.
    UL,
    /// Unsigned Short: 2 bytes LE.
    US,
}

impl Vr {
    /// The two-letter VR code.
    pub fn as_str(self) -> &'static str {
        match self {
            Vr::AE => "AE",
            Vr::AT => "AT",
            Vr::LO => "LO",
            Vr::UI => "UI",
            Vr::UL => "UL",
            Vr::US => "US",
        }
    }

    /// Whether a value of `len` bytes is well formed for this VR in a command set
    /// (every fixed-size command element has VM 1; AT elements may hold several tags).
    pub fn allows_length(self, len: usize) -> bool {
        match self {
            Vr::US => len == 2,
            Vr::UL => len == 4,
            Vr::AT => len % 4 == 0,
            Vr::AE | Vr::LO | Vr::UI => true,
        }
    }
}

impl fmt::Display for Vr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the command dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementInfo {
    /// `(group << 16) | element`; the group is always 0000.
    pub tag: u32,
    pub vr: Vr,
    pub keyword: &'static str,
}

/// Tag constants for the command elements, named by keyword.
pub mod tags {
    pub const COMMAND_GROUP_LENGTH: u32 = 0x0000_0000;
    pub const AFFECTED_SOP_CLASS_UID: u32 = 0x0000_0002;
    pub const REQUESTED_SOP_CLASS_UID: u32 = 0x0000_0003;
    pub const COMMAND_FIELD: u32 = 0x0000_0100;
    pub const MESSAGE_ID: u32 = 0x0000_0110;
    pub const MESSAGE_ID_BEING_RESPONDED_TO: u32 = 0x0000_0120;
    pub const MOVE_DESTINATION: u32 = 0x0000_0600;
    pub const PRIORITY: u32 = 0x0000_0700;
    pub const COMMAND_DATA_SET_TYPE: u32 = 0x0000_0800;
    pub const STATUS: u32 = 0x0000_0900;
    pub const OFFENDING_ELEMENT: u32 = 0x0000_0901;
    pub const ERROR_COMMENT: u32 = 0x0000_0902;
    pub const ERROR_ID: u32 = 0x0000_0903;
    pub const AFFECTED_SOP_INSTANCE_UID: u32 = 0x0000_1000;
    pub const REQUESTED_SOP_INSTANCE_UID: u32 = 0x0000_1001;
    pub const EVENT_TYPE_ID: u32 = 0x0000_1002;
    pub const ATTRIBUTE_IDENTIFIER_LIST: u32 = 0x0000_1005;
    pub const ACTION_TYPE_ID: u32 = 0x0000_1008;
    pub const NUMBER_OF_REMAINING_SUBOPERATIONS: u32 = 0x0000_1020;
    pub const NUMBER_OF_COMPLETED_SUBOPERATIONS: u32 = 0x0000_1021;
    pub const NUMBER_OF_FAILED_SUBOPERATIONS: u32 = 0x0000_1022;
    pub const NUMBER_OF_WARNING_SUBOPERATIONS: u32 = 0x0000_1023;
    pub const MOVE_ORIGINATOR_APPLICATION_ENTITY_TITLE: u32 = 0x0000_1030;
    pub const MOVE_ORIGINATOR_MESSAGE_ID: u32 = 0x0000_1031;
}

/// CommandDataSetType value meaning "no data set follows"; any other value means one does.
pub const NO_DATA_SET: u16 = 0x0101;

const fn row(tag: u32, vr: Vr, keyword: &'static str) -> ElementInfo {
    ElementInfo { tag, vr, keyword }
}

/// PS3.7 Table E.1-1, sorted by tag (lookup relies on the order).
static DICTIONARY: [ElementInfo; 24] = {
    use tags::*;
    [
        row(COMMAND_GROUP_LENGTH, Vr::UL, "CommandGroupLength"),
        row(AFFECTED_SOP_CLASS_UID, Vr::UI, "AffectedSOPClassUID"),
        row(REQUESTED_SOP_CLASS_UID, Vr::UI, "RequestedSOPClassUID"),
        row(COMMAND_FIELD, Vr::US, "CommandField"),
        row(MESSAGE_ID, Vr::US, "MessageID"),
        row(
            MESSAGE_ID_BEING_RESPONDED_TO,
            Vr::US,
            "MessageIDBeingRespondedTo",
        ),
        row(MOVE_DESTINATION, Vr::AE, "MoveDestination"),
        row(PRIORITY, Vr::US, "Priority"),
        row(COMMAND_DATA_SET_TYPE, Vr::US, "CommandDataSetType"),
        row(STATUS, Vr::US, "Status"),
        row(OFFENDING_ELEMENT, Vr::AT, "OffendingElement"),
        row(ERROR_COMMENT, Vr::LO, "ErrorComment"),
        row(ERROR_ID, Vr::US, "ErrorID"),
        row(AFFECTED_SOP_INSTANCE_UID, Vr::UI, "AffectedSOPInstanceUID"),
        row(
            REQUESTED_SOP_INSTANCE_UID,
            Vr::UI,
            "RequestedSOPInstanceUID",
        ),
        row(EVENT_TYPE_ID, Vr::US, "EventTypeID"),
        row(ATTRIBUTE_IDENTIFIER_LIST, Vr::AT, "AttributeIdentifierList"),
        row(ACTION_TYPE_ID, Vr::US, "ActionTypeID"),
        row(
            NUMBER_OF_REMAINING_SUBOPERATIONS,
            Vr::US,
            "NumberOfRemainingSuboperations",
        ),
        row(
            NUMBER_OF_COMPLETED_SUBOPERATIONS,
            Vr::US,
            "NumberOfCompletedSuboperations",
        ),
        row(
            NUMBER_OF_FAILED_SUBOPERATIONS,
            Vr::US,
            "NumberOfFailedSuboperations",
        ),
        row(
            NUMBER_OF_WARNING_SUBOPERATIONS,
            Vr::US,
            "NumberOfWarningSuboperations",
        ),
        row(
            MOVE_ORIGINATOR_APPLICATION_ENTITY_TITLE,
            Vr::AE,
            "MoveOriginatorApplicationEntityTitle",
        ),
        row(
            MOVE_ORIGINATOR_MESSAGE_ID,
            Vr::US,
            "MoveOriginatorMessageID",
        ),
    ]
};

/// All command dictionary entries in ascending tag order.
pub fn entries() -> &'static [ElementInfo] {
    &DICTIONARY
}

/// The dictionary entry for `tag`, if it is a PS3.7 Annex E command element.
pub fn lookup(tag: u32) -> Option<&'static ElementInfo> {
    DICTIONARY
        .binary_search_by_key(&tag, |e| e.tag)
        .ok()
        .and_then(|i| DICTIONARY.get(i))
}

/// The dictionary entry whose keyword is `keyword` (exact, case-sensitive).
pub fn lookup_keyword(keyword: &str) -> Option<&'static ElementInfo> {
    DICTIONARY.iter().find(|e| e.keyword == keyword)
}

/// `(gggg,eeee) Keyword` for messages; the keyword is left out for unknown tags.
pub(crate) fn tag_name(tag: u32) -> TagName {
    TagName(tag)
}

/// Display helper for a tag with its keyword.
pub(crate) struct TagName(u32);

impl fmt::Display for TagName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:04X},{:04X})", self.0 >> 16, self.0 & 0xFFFF)?;
        if let Some(info) = lookup(self.0) {
            write!(f, " {}", info.keyword)?;
        }
        Ok(())
    }
}
