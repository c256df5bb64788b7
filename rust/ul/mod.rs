//! The PS3.8 section 9.2 Upper Layer protocol machine, kept as data.
//!
//! - [`names`]: states, events and actions with the standard's names.
//! - [`table`]: the 19 x 13 transition table.
//! - [`artim`]: the ARTIM timer, driven by caller-supplied instants.
//! - [`machine`]: one association's state, role and ARTIM, advanced event by event.
//!
//! The machine decides; it performs no I/O. The network layer maps each received PDU to an
//! event ([`Event::for_pdu_type`]), feeds local primitives and timer expiry, and carries out
//! the returned [`Action`].

pub mod artim;
pub mod machine;
pub mod names;
pub mod table;

pub use artim::Artim;
pub use machine::{EventContext, StateMachine, UlError};
pub use names::{Action, Event, Role, State};
pub use table::{lookup, Cell, Next, TABLE};
