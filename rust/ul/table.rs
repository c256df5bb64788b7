//! The PS3.8 section 9.2 state transition table (Table 9-10) as data: one cell per
//! (event, state) pair, holding the action to perform and the state to move to.

use super::names::Action::{self, *};
use super::names::State::{self, *};
use super::names::{Event, Role};

/// Where a cell sends the machine after its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Next {
    /// Always this state.
    Fixed(State),
    /// AE-6: `ok` when the A-ASSOCIATE-RQ is acceptable to the service provider, else
    /// `reject` (an A-ASSOCIATE-RJ is sent).
    AcceptableOrReject { ok: State, reject: State },
    /// AR-8 (release collision): `requestor` for the association-requestor, `acceptor`
    /// for the association-acceptor.
    ByRole { requestor: State, acceptor: State },
}

impl Next {
    /// The state this resolves to, given the role and whether the request was acceptable.
    pub fn resolve(self, role: Role, rq_acceptable: bool) -> State {
        match self {
            Next::Fixed(state) => state,
            Next::AcceptableOrReject { ok, reject } => {
                if rq_acceptable {
                    ok
                } else {
                    reject
                }
            }
            Next::ByRole {
                requestor,
                acceptor,
            } => match role {
                Role::Requestor => requestor,
                Role::Acceptor => acceptor,
            },
        }
    }
}

/// A defined cell of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cell {
    pub action: Action,
    pub next: Next,
}

/// The cell for `event` in `state`, or `None` where the standard defines no transition.
pub fn lookup(state: State, event: Event) -> Option<Cell> {
    TABLE
        .get(event.index())
        .and_then(|row| row.get(state.index()))
        .copied()
        .flatten()
}

const N: Option<Cell> = None;

const fn go(action: Action, next: State) -> Option<Cell> {
    Some(Cell {
        action,
        next: Next::Fixed(next),
    })
}

const AE6: Option<Cell> = Some(Cell {
    action: Ae6,
    next: Next::AcceptableOrReject {
        ok: Sta3,
        reject: Sta13,
    },
});

const AR8: Option<Cell> = Some(Cell {
    action: Ar8,
    next: Next::ByRole {
        requestor: Sta9,
        acceptor: Sta10,
    },
});

/// `TABLE[event.index()][state.index()]`: rows Evt1..Evt19, columns Sta1..Sta13.
pub static TABLE: [[Option<Cell>; 13]; 19] = [
    // Evt1
    [go(Ae1, Sta4), N, N, N, N, N, N, N, N, N, N, N, N],
    // Evt2
    [N, N, N, go(Ae2, Sta5), N, N, N, N, N, N, N, N, N],
    // Evt3
    [
        N,
        go(Aa1, Sta13),
        go(Aa8, Sta13),
        N,
        go(Ae3, Sta6),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa6, Sta13),
    ],
    // Evt4
    [
        N,
        go(Aa1, Sta13),
        go(Aa8, Sta13),
        N,
        go(Ae4, Sta1),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa6, Sta13),
    ],
    // Evt5
    [go(Ae5, Sta2), N, N, N, N, N, N, N, N, N, N, N, N],
    // Evt6
    [
        N,
        AE6,
        go(Aa8, Sta13),
        N,
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa7, Sta13),
    ],
    // Evt7
    [N, N, go(Ae7, Sta6), N, N, N, N, N, N, N, N, N, N],
    // Evt8
    [N, N, go(Ae8, Sta13), N, N, N, N, N, N, N, N, N, N],
    // Evt9
    [
        N,
        N,
        N,
        N,
        N,
        go(Dt1, Sta6),
        N,
        go(Ar7, Sta8),
        N,
        N,
        N,
        N,
        N,
    ],
    // Evt10
    [
        N,
        go(Aa1, Sta13),
        go(Aa8, Sta13),
        N,
        go(Aa8, Sta13),
        go(Dt2, Sta6),
        go(Ar6, Sta7),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa6, Sta13),
    ],
    // Evt11
    [N, N, N, N, N, go(Ar1, Sta7), N, N, N, N, N, N, N],
    // Evt12
    [
        N,
        go(Aa1, Sta13),
        go(Aa8, Sta13),
        N,
        go(Aa8, Sta13),
        go(Ar2, Sta8),
        AR8,
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa6, Sta13),
    ],
    // Evt13
    [
        N,
        go(Aa1, Sta13),
        go(Aa8, Sta13),
        N,
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Ar3, Sta1),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Ar10, Sta12),
        go(Ar3, Sta1),
        go(Aa8, Sta13),
        go(Aa6, Sta13),
    ],
    // Evt14
    [
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        go(Ar4, Sta13),
        go(Ar9, Sta11),
        N,
        N,
        go(Ar4, Sta13),
        N,
    ],
    // Evt15
    [
        N,
        N,
        go(Aa1, Sta13),
        go(Aa2, Sta1),
        go(Aa1, Sta13),
        go(Aa1, Sta13),
        go(Aa1, Sta13),
        go(Aa1, Sta13),
        go(Aa1, Sta13),
        go(Aa1, Sta13),
        go(Aa1, Sta13),
        go(Aa1, Sta13),
        N,
    ],
    // Evt16
    [
        N,
        go(Aa2, Sta1),
        go(Aa3, Sta1),
        N,
        go(Aa3, Sta1),
        go(Aa3, Sta1),
        go(Aa3, Sta1),
        go(Aa3, Sta1),
        go(Aa3, Sta1),
        go(Aa3, Sta1),
        go(Aa3, Sta1),
        go(Aa3, Sta1),
        go(Aa2, Sta1),
    ],
    // Evt17
    [
        N,
        go(Aa5, Sta1),
        go(Aa4, Sta1),
        go(Aa4, Sta1),
        go(Aa4, Sta1),
        go(Aa4, Sta1),
        go(Aa4, Sta1),
        go(Aa4, Sta1),
        go(Aa4, Sta1),
        go(Aa4, Sta1),
        go(Aa4, Sta1),
        go(Aa4, Sta1),
        go(Ar5, Sta1),
    ],
    // Evt18
    [
        N,
        go(Aa2, Sta1),
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        go(Aa2, Sta1),
    ],
    // Evt19
    [
        N,
        go(Aa1, Sta13),
        go(Aa8, Sta13),
        N,
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa8, Sta13),
        go(Aa7, Sta13),
    ],
];
