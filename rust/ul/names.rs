//! The states, events and actions of the PS3.8 section 9.2 Upper Layer protocol machine,
//! with the names the standard gives them ("Sta6", "Evt10", "AE-6").

use std::fmt;

use crate::pdu::PduType;

/// Which end of the association this machine serves; it decides AR-8's next state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The association-requestor (normally the SCU).
    Requestor,
    /// The association-acceptor (normally the SCP).
    Acceptor,
}

/// The thirteen states of PS3.8 Table 9-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Sta1,
    Sta2,
    Sta3,
    Sta4,
    Sta5,
    Sta6,
    Sta7,
    Sta8,
    Sta9,
    Sta10,
    Sta11,
    Sta12,
    Sta13,
}

impl State {
    /// Every state, in the standard's order (index = number - 1).
    pub const ALL: [State; 13] = [
        State::Sta1,
        State::Sta2,
        State::Sta3,
        State::Sta4,
        State::Sta5,
        State::Sta6,
        State::Sta7,
        State::Sta8,
        State::Sta9,
        State::Sta10,
        State::Sta11,
        State::Sta12,
        State::Sta13,
    ];

    /// Column of this state in the transition table (0 for Sta1).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The number the standard gives the state (1 for Sta1).
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The state with this number (1..=13).
    pub fn from_number(number: u8) -> Option<State> {
        State::ALL.get(usize::from(number).checked_sub(1)?).copied()
    }

    /// The standard's name: "Sta1".."Sta13".
    pub fn name(self) -> &'static str {
        match self {
            State::Sta1 => "Sta1",
            State::Sta2 => "Sta2",
            State::Sta3 => "Sta3",
            State::Sta4 => "Sta4",
            State::Sta5 => "Sta5",
            State::Sta6 => "Sta6",
            State::Sta7 => "Sta7",
            State::Sta8 => "Sta8",
            State::Sta9 => "Sta9",
            State::Sta10 => "Sta10",
            State::Sta11 => "Sta11",
            State::Sta12 => "Sta12",
            State::Sta13 => "Sta13",
        }
    }

    /// One line saying what the machine is waiting for in this state.
    pub fn description(self) -> &'static str {
        match self {
            State::Sta1 => "Idle",
            State::Sta2 => "Transport connection open (awaiting A-ASSOCIATE-RQ PDU)",
            State::Sta3 => "Awaiting local A-ASSOCIATE response primitive",
            State::Sta4 => "Awaiting transport connection opening to complete",
            State::Sta5 => "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
            State::Sta6 => "Association established and ready for data transfer",
            State::Sta7 => "Awaiting A-RELEASE-RP PDU",
            State::Sta8 => "Awaiting local A-RELEASE response primitive",
            State::Sta9 => "Release collision requestor side; awaiting A-RELEASE response",
            State::Sta10 => "Release collision acceptor side; awaiting A-RELEASE-RP PDU",
            State::Sta11 => "Release collision requestor side; awaiting A-RELEASE-RP PDU",
            State::Sta12 => "Release collision acceptor side; awaiting A-RELEASE response",
            State::Sta13 => "Awaiting transport connection close indication",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The nineteen events of PS3.8 Table 9-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    Evt1,
    Evt2,
    Evt3,
    Evt4,
    Evt5,
    Evt6,
    Evt7,
    Evt8,
    Evt9,
    Evt10,
    Evt11,
    Evt12,
    Evt13,
    Evt14,
    Evt15,
    Evt16,
    Evt17,
    Evt18,
    Evt19,
}

impl Event {
    /// Every event, in the standard's order (index = number - 1).
    pub const ALL: [Event; 19] = [
        Event::Evt1,
        Event::Evt2,
        Event::Evt3,
        Event::Evt4,
        Event::Evt5,
        Event::Evt6,
        Event::Evt7,
        Event::Evt8,
        Event::Evt9,
        Event::Evt10,
        Event::Evt11,
        Event::Evt12,
        Event::Evt13,
        Event::Evt14,
        Event::Evt15,
        Event::Evt16,
        Event::Evt17,
        Event::Evt18,
        Event::Evt19,
    ];

    /// Row of this event in the transition table (0 for Evt1).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The number the standard gives the event (1 for Evt1).
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The event with this number (1..=19).
    pub fn from_number(number: u8) -> Option<Event> {
        Event::ALL.get(usize::from(number).checked_sub(1)?).copied()
    }

    /// The event raised when a PDU with this type byte arrives: a type the standard does
    /// not define is Evt19 (unrecognised PDU).
    pub fn for_pdu_type(pdu_type: u8) -> Event {
        match pdu_type {
            0x01 => Event::Evt6,
            0x02 => Event::Evt3,
            0x03 => Event::Evt4,
            0x04 => Event::Evt10,
            0x05 => Event::Evt12,
            0x06 => Event::Evt13,
            0x07 => Event::Evt16,
            _ => Event::Evt19,
        }
    }

    /// True for the events a PDU arrival raises (Evt3, 4, 6, 10, 12, 13, 16, 19).
    pub fn is_pdu_received(self) -> bool {
        matches!(
            self,
            Event::Evt3
                | Event::Evt4
                | Event::Evt6
                | Event::Evt10
                | Event::Evt12
                | Event::Evt13
                | Event::Evt16
                | Event::Evt19
        )
    }

    /// True for the events the local service-user raises with a primitive
    /// (Evt1, 7, 8, 9, 11, 14, 15); such an event in a blank cell is a programming error.
    pub fn is_local_primitive(self) -> bool {
        matches!(
            self,
            Event::Evt1
                | Event::Evt7
                | Event::Evt8
                | Event::Evt9
                | Event::Evt11
                | Event::Evt14
                | Event::Evt15
        )
    }

    /// The standard's name: "Evt1".."Evt19".
    pub fn name(self) -> &'static str {
        match self {
            Event::Evt1 => "Evt1",
            Event::Evt2 => "Evt2",
            Event::Evt3 => "Evt3",
            Event::Evt4 => "Evt4",
            Event::Evt5 => "Evt5",
            Event::Evt6 => "Evt6",
            Event::Evt7 => "Evt7",
            Event::Evt8 => "Evt8",
            Event::Evt9 => "Evt9",
            Event::Evt10 => "Evt10",
            Event::Evt11 => "Evt11",
            Event::Evt12 => "Evt12",
            Event::Evt13 => "Evt13",
            Event::Evt14 => "Evt14",
            Event::Evt15 => "Evt15",
            Event::Evt16 => "Evt16",
            Event::Evt17 => "Evt17",
            Event::Evt18 => "Evt18",
            Event::Evt19 => "Evt19",
        }
    }

    /// One line saying what happened.
    pub fn description(self) -> &'static str {
        match self {
            Event::Evt1 => "A-ASSOCIATE request (local user)",
            Event::Evt2 => "Transport connect confirmation (local transport service)",
            Event::Evt3 => "A-ASSOCIATE-AC PDU received",
            Event::Evt4 => "A-ASSOCIATE-RJ PDU received",
            Event::Evt5 => "Transport connection indication (local transport service)",
            Event::Evt6 => "A-ASSOCIATE-RQ PDU received",
            Event::Evt7 => "A-ASSOCIATE response primitive (accept)",
            Event::Evt8 => "A-ASSOCIATE response primitive (reject)",
            Event::Evt9 => "P-DATA request primitive",
            Event::Evt10 => "P-DATA-TF PDU received",
            Event::Evt11 => "A-RELEASE request primitive",
            Event::Evt12 => "A-RELEASE-RQ PDU received",
            Event::Evt13 => "A-RELEASE-RP PDU received",
            Event::Evt14 => "A-RELEASE response primitive",
            Event::Evt15 => "A-ABORT request primitive",
            Event::Evt16 => "A-ABORT PDU received",
            Event::Evt17 => "Transport connection closed indication",
            Event::Evt18 => "ARTIM timer expired",
            Event::Evt19 => "Unrecognized or invalid PDU received",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The actions of PS3.8 Tables 9-6 to 9-9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Ae1,
    Ae2,
    Ae3,
    Ae4,
    Ae5,
    Ae6,
    Ae7,
    Ae8,
    Dt1,
    Dt2,
    Ar1,
    Ar2,
    Ar3,
    Ar4,
    Ar5,
    Ar6,
    Ar7,
    Ar8,
    Ar9,
    Ar10,
    Aa1,
    Aa2,
    Aa3,
    Aa4,
    Aa5,
    Aa6,
    Aa7,
    Aa8,
}

impl Action {
    /// Every action, grouped as the standard groups them.
    pub const ALL: [Action; 28] = [
        Action::Ae1,
        Action::Ae2,
        Action::Ae3,
        Action::Ae4,
        Action::Ae5,
        Action::Ae6,
        Action::Ae7,
        Action::Ae8,
        Action::Dt1,
        Action::Dt2,
        Action::Ar1,
        Action::Ar2,
        Action::Ar3,
        Action::Ar4,
        Action::Ar5,
        Action::Ar6,
        Action::Ar7,
        Action::Ar8,
        Action::Ar9,
        Action::Ar10,
        Action::Aa1,
        Action::Aa2,
        Action::Aa3,
        Action::Aa4,
        Action::Aa5,
        Action::Aa6,
        Action::Aa7,
        Action::Aa8,
    ];

    /// The action with this name ("AE-6"), for tables written as text.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The standard's name: "AE-1", "DT-2", "AR-10", "AA-8", ...
    pub fn name(self) -> &'static str {
        match self {
            Action::Ae1 => "AE-1",
            Action::Ae2 => "AE-2",
            Action::Ae3 => "AE-3",
            Action::Ae4 => "AE-4",
            Action::Ae5 => "AE-5",
            Action::Ae6 => "AE-6",
            Action::Ae7 => "AE-7",
            Action::Ae8 => "AE-8",
            Action::Dt1 => "DT-1",
            Action::Dt2 => "DT-2",
            Action::Ar1 => "AR-1",
            Action::Ar2 => "AR-2",
            Action::Ar3 => "AR-3",
            Action::Ar4 => "AR-4",
            Action::Ar5 => "AR-5",
            Action::Ar6 => "AR-6",
            Action::Ar7 => "AR-7",
            Action::Ar8 => "AR-8",
            Action::Ar9 => "AR-9",
            Action::Ar10 => "AR-10",
            Action::Aa1 => "AA-1",
            Action::Aa2 => "AA-2",
            Action::Aa3 => "AA-3",
            Action::Aa4 => "AA-4",
            Action::Aa5 => "AA-5",
            Action::Aa6 => "AA-6",
            Action::Aa7 => "AA-7",
            Action::Aa8 => "AA-8",
        }
    }

    /// One line saying what the network layer must do for this action.
    pub fn description(self) -> &'static str {
        match self {
            Action::Ae1 => "Issue TRANSPORT CONNECT request primitive to local transport service",
            Action::Ae2 => "Send A-ASSOCIATE-RQ PDU",
            Action::Ae3 => "Issue A-ASSOCIATE confirmation (accept) primitive",
            Action::Ae4 => "Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection",
            Action::Ae5 => "Issue transport connection response primitive; start ARTIM timer",
            Action::Ae6 => "Stop ARTIM; if A-ASSOCIATE-RQ acceptable issue A-ASSOCIATE indication, else send A-ASSOCIATE-RJ PDU and start ARTIM",
            Action::Ae7 => "Send A-ASSOCIATE-AC PDU",
            Action::Ae8 => "Send A-ASSOCIATE-RJ PDU and start ARTIM timer",
            Action::Dt1 => "Send P-DATA-TF PDU",
            Action::Dt2 => "Send P-DATA indication primitive",
            Action::Ar1 => "Send A-RELEASE-RQ PDU",
            Action::Ar2 => "Issue A-RELEASE indication primitive",
            Action::Ar3 => "Issue A-RELEASE confirmation primitive and close transport connection",
            Action::Ar4 => "Issue A-RELEASE-RP PDU and start ARTIM timer",
            Action::Ar5 => "Stop ARTIM timer",
            Action::Ar6 => "Issue P-DATA indication",
            Action::Ar7 => "Issue P-DATA-TF PDU",
            Action::Ar8 => "Issue A-RELEASE indication (release collision)",
            Action::Ar9 => "Send A-RELEASE-RP PDU",
            Action::Ar10 => "Issue A-RELEASE confirmation primitive",
            Action::Aa1 => "Send A-ABORT PDU (service-user source) and start (or restart) ARTIM timer",
            Action::Aa2 => "Stop ARTIM timer if running; close transport connection",
            Action::Aa3 => "Issue A-ABORT or A-P-ABORT indication and close transport connection",
            Action::Aa4 => "Issue A-P-ABORT indication primitive",
            Action::Aa5 => "Stop ARTIM timer",
            Action::Aa6 => "Ignore PDU",
            Action::Aa7 => "Send A-ABORT PDU",
            Action::Aa8 => "Send A-ABORT PDU (service-provider source), issue A-P-ABORT indication, and start ARTIM timer",
        }
    }

    /// True for the actions that put an A-ABORT PDU on the wire (AA-1, AA-7, AA-8).
    pub fn sends_abort(self) -> bool {
        matches!(self, Action::Aa1 | Action::Aa7 | Action::Aa8)
    }

    /// The A-ABORT source byte to send: 0 (service-user) for AA-1, 2 (service-provider)
    /// for AA-7 and AA-8. AA-7 answers an unexpected PDU in Sta13, which the provider
    /// detects, hence source 2. `None` for actions that send no A-ABORT.
    pub fn abort_source(self) -> Option<u8> {
        match self {
            Action::Aa1 => Some(0),
            Action::Aa7 | Action::Aa8 => Some(2),
            _ => None,
        }
    }

    /// The PDU this action sends, if any. AE-6 is `None` here: it sends an A-ASSOCIATE-RJ
    /// only when the request was not acceptable, which the machine shows by moving to Sta13.
    pub fn sends_pdu(self) -> Option<PduType> {
        match self {
            Action::Ae2 => Some(PduType::AssociateRq),
            Action::Ae7 => Some(PduType::AssociateAc),
            Action::Ae8 => Some(PduType::AssociateRj),
            Action::Dt1 | Action::Ar7 => Some(PduType::PData),
            Action::Ar1 => Some(PduType::ReleaseRq),
            Action::Ar4 | Action::Ar9 => Some(PduType::ReleaseRp),
            Action::Aa1 | Action::Aa7 | Action::Aa8 => Some(PduType::Abort),
            _ => None,
        }
    }

    /// True for the actions after which the local side closes the transport connection
    /// (AE-4, AR-3, AA-2, AA-3). AA-4, AA-5 and AR-5 follow a close by the peer.
    pub fn closes_transport(self) -> bool {
        matches!(self, Action::Ae4 | Action::Ar3 | Action::Aa2 | Action::Aa3)
    }

    /// True for the actions that hand received P-DATA to the user (DT-2, AR-6).
    pub fn delivers_data(self) -> bool {
        matches!(self, Action::Dt2 | Action::Ar6)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
