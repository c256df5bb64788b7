//! The seven Upper Layer PDUs of PS3.8 section 9.3, with every item and sub-item.
//!
//! Decoding borrows from the input (`Cow::Borrowed`), so a decoded PDU copies no payload;
//! [`Pdu::into_owned`] detaches it from the buffer when it must outlive it. Every field that
//! can carry non-zero bytes in real traffic (reserved bytes included: DCMTK writes 0xFF in
//! byte 7 of its presentation context items) is kept, so decode + encode reproduces the input
//! byte for byte. Items are kept in wire order, because peers do not always send them in the
//! increasing order PS3.8 asks for.

use std::borrow::Cow;

mod access;
mod decode;
mod encode;
mod error;

pub use access::{RoleSelection, UserIdentityRequest};
pub use decode::{decode, decode_header, pdvs, whole_pdus, PdvIter};
pub use encode::encode_pdata_single;
pub use error::{PduError, PduErrorKind};

/// A variable-length byte field (UID, AE title text, opaque value) borrowed from the input
/// or owned.
pub type Bytes<'a> = Cow<'a, [u8]>;

/// Length of the PDU header: type, reserved, 32-bit length.
pub const HEADER_LEN: usize = 6;

/// PDU type codes (PS3.8 Table 9-11 and siblings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PduType {
    AssociateRq = 0x01,
    AssociateAc = 0x02,
    AssociateRj = 0x03,
    PData = 0x04,
    ReleaseRq = 0x05,
    ReleaseRp = 0x06,
    Abort = 0x07,
}

impl PduType {
    /// The PDU type for a type byte, or `None` for an unrecognised one.
    pub fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            0x01 => Self::AssociateRq,
            0x02 => Self::AssociateAc,
            0x03 => Self::AssociateRj,
            0x04 => Self::PData,
            0x05 => Self::ReleaseRq,
            0x06 => Self::ReleaseRp,
            0x07 => Self::Abort,
            _ => return None,
        })
    }

    /// The name PS3.8 gives the PDU, for logs and errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::AssociateRq => "A-ASSOCIATE-RQ",
            Self::AssociateAc => "A-ASSOCIATE-AC",
            Self::AssociateRj => "A-ASSOCIATE-RJ",
            Self::PData => "P-DATA-TF",
            Self::ReleaseRq => "A-RELEASE-RQ",
            Self::ReleaseRp => "A-RELEASE-RP",
            Self::Abort => "A-ABORT",
        }
    }
}

/// One decoded PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu<'a> {
    AssociateRq(Associate<'a>),
    AssociateAc(Associate<'a>),
    AssociateRj(AssociateRj),
    PData(PData<'a>),
    ReleaseRq(Release),
    ReleaseRp(Release),
    Abort(Abort),
}

/// A-ASSOCIATE-RQ and A-ASSOCIATE-AC share one layout; which one it is comes from [`Pdu`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Associate<'a> {
    /// Bytes 6-7. Only bit 0 is significant.
    pub protocol_version: u16,
    /// Bytes 8-9 (reserved).
    pub reserved_8_9: u16,
    /// Bytes 10-25, exactly as on the wire (space-padded).
    pub called_ae_title: [u8; 16],
    /// Bytes 26-41, exactly as on the wire (space-padded).
    pub calling_ae_title: [u8; 16],
    /// Bytes 42-73 (reserved; the AC echoes the RQ's).
    pub reserved_42_73: [u8; 32],
    /// Variable items, in wire order.
    pub items: Vec<Item<'a>>,
}

/// A top-level variable item of an A-ASSOCIATE-RQ/AC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// 10H: the application context name.
    ApplicationContext(Bytes<'a>),
    /// 20H: a proposed presentation context (RQ).
    PresentationContextRq(PresentationContextRq<'a>),
    /// 21H: a presentation context result (AC).
    PresentationContextAc(PresentationContextAc<'a>),
    /// 50H: user information, its sub-items in wire order.
    UserInformation(Vec<UserItem<'a>>),
    /// An item type PS3.8 does not define here; kept so re-encoding reproduces it.
    Unknown { item_type: u8, value: Bytes<'a> },
}

/// Item 20H.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationContextRq<'a> {
    /// Odd, 1-255.
    pub context_id: u8,
    /// Bytes 5, 6 and 7 of the item, 0-based (reserved; DCMTK sends 0xFF in byte 6, which
    /// PS3.8's 1-based numbering calls byte 7).
    pub reserved: [u8; 3],
    /// Sub-item 30H.
    pub abstract_syntax: Bytes<'a>,
    /// Sub-items 40H, in wire order.
    pub transfer_syntaxes: Vec<Bytes<'a>>,
}

/// Item 21H.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationContextAc<'a> {
    pub context_id: u8,
    /// Byte 5 (reserved).
    pub reserved_5: u8,
    /// Byte 6: 0 acceptance, 1 user-rejection, 2 no-reason, 3 abstract syntax not supported,
    /// 4 transfer syntaxes not supported.
    pub result: u8,
    /// Byte 7 (reserved).
    pub reserved_7: u8,
    /// Sub-item 40H; not significant when `result != 0`. `None` if the item had none.
    pub transfer_syntax: Option<Bytes<'a>>,
}

/// A sub-item of the user information item (50H), PS3.8 Annex D and PS3.7 Annex D.3.3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserItem<'a> {
    /// 51H: the largest P-DATA-TF PDU-length the sender will receive; 0 = no limit.
    MaximumLength(u32),
    /// 52H.
    ImplementationClassUid(Bytes<'a>),
    /// 53H.
    AsyncOpsWindow { invoked: u16, performed: u16 },
    /// 54H.
    RoleSelection {
        sop_class_uid: Bytes<'a>,
        scu_role: u8,
        scp_role: u8,
    },
    /// 55H.
    ImplementationVersionName(Bytes<'a>),
    /// 56H.
    SopClassExtended {
        sop_class_uid: Bytes<'a>,
        app_info: Bytes<'a>,
    },
    /// 57H. `version` is byte 1 of the sub-item (the sub-item version, 00H).
    SopClassCommonExtended {
        version: u8,
        sop_class_uid: Bytes<'a>,
        service_class_uid: Bytes<'a>,
        related_general_sop_classes: Vec<Bytes<'a>>,
    },
    /// 58H.
    UserIdentityRq {
        identity_type: u8,
        positive_response_requested: u8,
        primary: Bytes<'a>,
        secondary: Bytes<'a>,
    },
    /// 59H.
    UserIdentityAc { server_response: Bytes<'a> },
    /// A sub-item type not defined here; skipped by negotiation, kept for re-encoding.
    Unknown { item_type: u8, value: Bytes<'a> },
}

/// A-ASSOCIATE-RJ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssociateRj {
    /// Byte 6 (reserved).
    pub reserved_6: u8,
    /// 1 permanent, 2 transient.
    pub result: u8,
    /// 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation).
    pub source: u8,
    pub reason: u8,
}

/// P-DATA-TF: one or more PDV items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PData<'a> {
    pub pdvs: Vec<Pdv<'a>>,
}

/// One presentation data value item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdv<'a> {
    pub context_id: u8,
    /// Message control header: bit 0 command, bit 1 last fragment.
    pub message_control: u8,
    pub data: Bytes<'a>,
}

impl Pdv<'_> {
    pub fn is_command(&self) -> bool {
        self.message_control & 0x01 != 0
    }
    pub fn is_last(&self) -> bool {
        self.message_control & 0x02 != 0
    }
}

/// A-RELEASE-RQ or A-RELEASE-RP: four reserved bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Release {
    pub reserved: [u8; 4],
}

/// A-ABORT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abort {
    /// Bytes 6 and 7 (reserved).
    pub reserved: [u8; 2],
    /// 0 service-user, 2 service-provider.
    pub source: u8,
    /// Meaningful when `source == 2`; see [`abort_reason`].
    pub reason: u8,
}

/// A-ABORT reason codes for source 2 (PS3.8 Table 9-26).
pub mod abort_reason {
    pub const NOT_SPECIFIED: u8 = 0;
    pub const UNRECOGNIZED_PDU: u8 = 1;
    pub const UNEXPECTED_PDU: u8 = 2;
    pub const UNRECOGNIZED_PDU_PARAMETER: u8 = 4;
    pub const UNEXPECTED_PDU_PARAMETER: u8 = 5;
    pub const INVALID_PDU_PARAMETER_VALUE: u8 = 6;
}
