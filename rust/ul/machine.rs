//! One association's Upper Layer protocol machine: the current state, its role and ARTIM,
//! driven by the table in [`super::table`].

use std::fmt;
use std::time::{Duration, Instant};

use super::artim::Artim;
use super::names::{Action, Event, Role, State};
use super::table::lookup;

/// Errors of the Upper Layer state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UlError {
    /// The standard defines no transition for `event` in `state`; the state is unchanged.
    /// For a local primitive this is a programming error; no PDU event can reach a blank
    /// cell once a connection is open.
    NoAction { state: State, event: Event },
}

impl fmt::Display for UlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UlError::NoAction { state, event } => write!(
                f,
                "no action defined for {event} ({}) in {state} ({})",
                event.description(),
                state.description()
            ),
        }
    }
}

impl std::error::Error for UlError {}

/// What [`StateMachine::on_event`] needs besides the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventContext {
    /// The current time, for ARTIM.
    pub now: Instant,
    /// For Evt6 in Sta2 (AE-6): whether the A-ASSOCIATE-RQ is acceptable to the service
    /// provider. Ignored by every other cell.
    pub rq_acceptable: bool,
}

impl EventContext {
    /// A context at `now` in which an A-ASSOCIATE-RQ is acceptable.
    pub fn new(now: Instant) -> Self {
        EventContext {
            now,
            rq_acceptable: true,
        }
    }

    /// A context at `now` in which the A-ASSOCIATE-RQ is not acceptable (AE-6 rejects).
    pub fn rejecting(now: Instant) -> Self {
        EventContext {
            now,
            rq_acceptable: false,
        }
    }
}

/// The protocol machine of one association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachine {
    state: State,
    role: Role,
    artim: Artim,
}

impl StateMachine {
    /// A machine in Sta1 (idle) with a stopped ARTIM of `artim_timeout`.
    pub fn new(role: Role, artim_timeout: Duration) -> Self {
        StateMachine {
            state: State::Sta1,
            role,
            artim: Artim::new(artim_timeout),
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn artim(&self) -> &Artim {
        &self.artim
    }

    /// Changes ARTIM's timeout (the ACSE timeout changed on a live association).
    pub fn set_artim_timeout(&mut self, timeout: Duration) {
        self.artim.set_timeout(timeout);
    }

    /// True when ARTIM has run out at `now`; the caller then raises Evt18.
    pub fn is_artim_expired(&self, now: Instant) -> bool {
        self.artim.is_expired(now)
    }

    /// Looks up `event` in the current state, moves to the next state, applies the
    /// action's effect on ARTIM and returns the action for the caller to perform.
    /// A blank cell returns [`UlError::NoAction`] and changes nothing.
    pub fn on_event(&mut self, event: Event, ctx: EventContext) -> Result<Action, UlError> {
        let cell = lookup(self.state, event).ok_or(UlError::NoAction {
            state: self.state,
            event,
        })?;
        let next = cell.next.resolve(self.role, ctx.rq_acceptable);
        match cell.action {
            Action::Ae5 | Action::Ae8 | Action::Ar4 | Action::Aa1 | Action::Aa8 => {
                self.artim.start(ctx.now)
            }
            Action::Ae6 => {
                self.artim.stop();
                if !ctx.rq_acceptable {
                    self.artim.start(ctx.now);
                }
            }
            Action::Ar5 | Action::Aa2 | Action::Aa5 => self.artim.stop(),
            _ => {}
        }
        self.state = next;
        Ok(cell.action)
    }
}
