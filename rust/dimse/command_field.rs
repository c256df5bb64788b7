//! CommandField (0000,0100): which DIMSE message a command set is (PS3.7 Annex E).

/// Every DIMSE message, by its CommandField value. Bit 15 marks a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum CommandField {
    CStoreRq = 0x0001,
    CStoreRsp = 0x8001,
    CGetRq = 0x0010,
    CGetRsp = 0x8010,
    CFindRq = 0x0020,
    CFindRsp = 0x8020,
    CMoveRq = 0x0021,
    CMoveRsp = 0x8021,
    CEchoRq = 0x0030,
    CEchoRsp = 0x8030,
    NEventReportRq = 0x0100,
    NEventReportRsp = 0x8100,
    NGetRq = 0x0110,
    NGetRsp = 0x8110,
    NSetRq = 0x0120,
    NSetRsp = 0x8120,
    NActionRq = 0x0130,
    NActionRsp = 0x8130,
    NCreateRq = 0x0140,
    NCreateRsp = 0x8140,
    NDeleteRq = 0x0150,
    NDeleteRsp = 0x8150,
    CCancelRq = 0x0FFF,
}

impl CommandField {
    /// The message with CommandField `value`, or `None` for a value PS3.7 does not define.
    pub fn from_u16(value: u16) -> Option<Self> {
        use CommandField::*;
        Some(match value {
            0x0001 => CStoreRq,
            0x8001 => CStoreRsp,
            0x0010 => CGetRq,
            0x8010 => CGetRsp,
            0x0020 => CFindRq,
            0x8020 => CFindRsp,
            0x0021 => CMoveRq,
            0x8021 => CMoveRsp,
            0x0030 => CEchoRq,
            0x8030 => CEchoRsp,
            0x0100 => NEventReportRq,
            0x8100 => NEventReportRsp,
            0x0110 => NGetRq,
            0x8110 => NGetRsp,
            0x0120 => NSetRq,
            0x8120 => NSetRsp,
            0x0130 => NActionRq,
            0x8130 => NActionRsp,
            0x0140 => NCreateRq,
            0x8140 => NCreateRsp,
            0x0150 => NDeleteRq,
            0x8150 => NDeleteRsp,
            0x0FFF => CCancelRq,
            _ => return None,
        })
    }

    /// The CommandField value on the wire.
    pub fn value(self) -> u16 {
        self as u16
    }

    /// The message name as PS3.7 writes it, e.g. `"C-ECHO-RQ"`.
    pub fn name(self) -> &'static str {
        use CommandField::*;
        match self {
            CStoreRq => "C-STORE-RQ",
            CStoreRsp => "C-STORE-RSP",
            CGetRq => "C-GET-RQ",
            CGetRsp => "C-GET-RSP",
            CFindRq => "C-FIND-RQ",
            CFindRsp => "C-FIND-RSP",
            CMoveRq => "C-MOVE-RQ",
            CMoveRsp => "C-MOVE-RSP",
            CEchoRq => "C-ECHO-RQ",
            CEchoRsp => "C-ECHO-RSP",
            NEventReportRq => "N-EVENT-REPORT-RQ",
            NEventReportRsp => "N-EVENT-REPORT-RSP",
            NGetRq => "N-GET-RQ",
            NGetRsp => "N-GET-RSP",
            NSetRq => "N-SET-RQ",
            NSetRsp => "N-SET-RSP",
            NActionRq => "N-ACTION-RQ",
            NActionRsp => "N-ACTION-RSP",
            NCreateRq => "N-CREATE-RQ",
            NCreateRsp => "N-CREATE-RSP",
            NDeleteRq => "N-DELETE-RQ",
            NDeleteRsp => "N-DELETE-RSP",
            CCancelRq => "C-CANCEL-RQ",
        }
    }

    /// True for the `-RSP` messages (bit 15 set).
    pub fn is_response(self) -> bool {
        self.value() & 0x8000 != 0
    }
}

impl std::fmt::Display for CommandField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
