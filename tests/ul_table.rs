//! The Upper Layer state machine against PS3.8 Table 9-10.
//!
//! `EXPECTED` is the transition table copied as text from PS3.8 Table 9-10,
//! parsed here independently of `fastdimse::ul::TABLE`, so a typo in either fails a test.

use std::time::{Duration, Instant};

use fastdimse::ul::{
    lookup, Action, Artim, Event, EventContext, Next, Role, State, StateMachine, UlError, TABLE,
};

const EXPECTED: &str = "
| Event | Sta1 | Sta2 | Sta3 | Sta4 | Sta5 | Sta6 | Sta7 | Sta8 | Sta9 | Sta10 | Sta11 | Sta12 | Sta13 |
| Evt1 | AE-1→4 | · | · | · | · | · | · | · | · | · | · | · | · |
| Evt2 | · | · | · | AE-2→5 | · | · | · | · | · | · | · | · | · |
| Evt3 | · | AA-1→13 | AA-8→13 | · | AE-3→6 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-6→13 |
| Evt4 | · | AA-1→13 | AA-8→13 | · | AE-4→1 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-6→13 |
| Evt5 | AE-5→2 | · | · | · | · | · | · | · | · | · | · | · | · |
| Evt6 | · | AE-6→3/13 | AA-8→13 | · | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-7→13 |
| Evt7 | · | · | AE-7→6 | · | · | · | · | · | · | · | · | · | · |
| Evt8 | · | · | AE-8→13 | · | · | · | · | · | · | · | · | · | · |
| Evt9 | · | · | · | · | · | DT-1→6 | · | AR-7→8 | · | · | · | · | · |
| Evt10 | · | AA-1→13 | AA-8→13 | · | AA-8→13 | DT-2→6 | AR-6→7 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-6→13 |
| Evt11 | · | · | · | · | · | AR-1→7 | · | · | · | · | · | · | · |
| Evt12 | · | AA-1→13 | AA-8→13 | · | AA-8→13 | AR-2→8 | AR-8→9/10 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-6→13 |
| Evt13 | · | AA-1→13 | AA-8→13 | · | AA-8→13 | AA-8→13 | AR-3→1 | AA-8→13 | AA-8→13 | AR-10→12 | AR-3→1 | AA-8→13 | AA-6→13 |
| Evt14 | · | · | · | · | · | · | · | AR-4→13 | AR-9→11 | · | · | AR-4→13 | · |
| Evt15 | · | · | AA-1→13 | AA-2→1 | AA-1→13 | AA-1→13 | AA-1→13 | AA-1→13 | AA-1→13 | AA-1→13 | AA-1→13 | AA-1→13 | · |
| Evt16 | · | AA-2→1 | AA-3→1 | · | AA-3→1 | AA-3→1 | AA-3→1 | AA-3→1 | AA-3→1 | AA-3→1 | AA-3→1 | AA-3→1 | AA-2→1 |
| Evt17 | · | AA-5→1 | AA-4→1 | AA-4→1 | AA-4→1 | AA-4→1 | AA-4→1 | AA-4→1 | AA-4→1 | AA-4→1 | AA-4→1 | AA-4→1 | AR-5→1 |
| Evt18 | · | AA-2→1 | · | · | · | · | · | · | · | · | · | · | AA-2→1 |
| Evt19 | · | AA-1→13 | AA-8→13 | · | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-8→13 | AA-7→13 |
";

/// What a cell of the text table says: action name and next-state spelling ("3/13").
#[derive(Debug, Clone, PartialEq, Eq)]
struct TextCell {
    action: String,
    next: String,
}

/// `grid[event][state]` from `EXPECTED`.
fn expected_grid() -> Vec<Vec<Option<TextCell>>> {
    let mut grid = Vec::new();
    for line in EXPECTED.lines().filter(|l| l.starts_with("| Evt")) {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        assert_eq!(cells.len(), 14, "row {line}");
        assert_eq!(cells[0], format!("Evt{}", grid.len() + 1));
        let row = cells[1..]
            .iter()
            .map(|c| {
                if *c == "·" {
                    None
                } else {
                    let (action, next) = c.split_once('→').expect("action→state");
                    Some(TextCell {
                        action: action.to_string(),
                        next: next.to_string(),
                    })
                }
            })
            .collect();
        grid.push(row);
    }
    assert_eq!(grid.len(), 19);
    grid
}

/// How the static table's next state would be spelled in the text table.
fn spell(next: Next) -> String {
    match next {
        Next::Fixed(s) => s.number().to_string(),
        Next::AcceptableOrReject { ok, reject } => format!("{}/{}", ok.number(), reject.number()),
        Next::ByRole {
            requestor,
            acceptor,
        } => format!("{}/{}", requestor.number(), acceptor.number()),
    }
}

fn ctx(now: Instant) -> EventContext {
    EventContext::new(now)
}

/// A machine forced into `state` by a legal path, for cell-by-cell checks.
fn machine_in(state: State, role: Role, now: Instant) -> StateMachine {
    use Event::*;
    let path: &[Event] = match state {
        State::Sta1 => &[],
        State::Sta2 => &[Evt5],
        State::Sta3 => &[Evt5, Evt6],
        State::Sta4 => &[Evt1],
        State::Sta5 => &[Evt1, Evt2],
        State::Sta6 => &[Evt1, Evt2, Evt3],
        State::Sta7 => &[Evt1, Evt2, Evt3, Evt11],
        State::Sta8 => &[Evt1, Evt2, Evt3, Evt12],
        // Release collisions: requestor goes Sta7 -Evt12-> Sta9, acceptor -> Sta10.
        State::Sta9 => &[Evt1, Evt2, Evt3, Evt11, Evt12],
        State::Sta10 => &[Evt5, Evt6, Evt7, Evt11, Evt12],
        State::Sta11 => &[Evt1, Evt2, Evt3, Evt11, Evt12, Evt14],
        State::Sta12 => &[Evt5, Evt6, Evt7, Evt11, Evt12, Evt13],
        State::Sta13 => &[Evt5, Evt6, Evt8],
    };
    let role = match state {
        State::Sta9 | State::Sta11 => Role::Requestor,
        State::Sta10 | State::Sta12 => Role::Acceptor,
        _ => role,
    };
    let mut m = StateMachine::new(role, Duration::from_secs(30));
    for e in path {
        m.on_event(*e, ctx(now)).expect("legal path");
    }
    assert_eq!(m.state(), state);
    m
}

#[test]
fn names_follow_the_standard() {
    assert_eq!(State::Sta6.name(), "Sta6");
    assert_eq!(State::Sta13.to_string(), "Sta13");
    assert_eq!(Event::Evt10.name(), "Evt10");
    assert_eq!(Event::Evt19.to_string(), "Evt19");
    assert_eq!(Action::Ae6.name(), "AE-6");
    assert_eq!(Action::Ar10.to_string(), "AR-10");
    assert_eq!(Action::Dt2.name(), "DT-2");
    assert_eq!(Action::Aa8.name(), "AA-8");
    for (i, s) in State::ALL.iter().enumerate() {
        assert_eq!(s.name(), format!("Sta{}", i + 1));
        assert_eq!(State::from_number(s.number()), Some(*s));
        assert!(!s.description().is_empty());
    }
    for (i, e) in Event::ALL.iter().enumerate() {
        assert_eq!(e.name(), format!("Evt{}", i + 1));
        assert_eq!(Event::from_number(e.number()), Some(*e));
        assert!(!e.description().is_empty());
    }
    assert_eq!(State::from_number(0), None);
    assert_eq!(State::from_number(14), None);
    assert_eq!(Event::from_number(20), None);
    for a in Action::ALL {
        assert_eq!(Action::from_name(a.name()), Some(a));
        assert!(!a.description().is_empty());
    }
    assert_eq!(Action::ALL.len(), 28);
}

#[test]
fn every_cell_matches_the_reference_table() {
    let grid = expected_grid();
    let mut defined = 0;
    for event in Event::ALL {
        for state in State::ALL {
            let expected = &grid[event.index()][state.index()];
            let actual = lookup(state, event);
            assert_eq!(actual, TABLE[event.index()][state.index()]);
            match (expected, actual) {
                (None, None) => {}
                (Some(e), Some(a)) => {
                    defined += 1;
                    assert_eq!(a.action.name(), e.action, "{event} in {state}");
                    assert_eq!(spell(a.next), e.next, "{event} in {state}");
                }
                _ => panic!("{event} in {state}: expected {expected:?}, table has {actual:?}"),
            }
        }
    }
    assert_eq!(defined, 123);
}

#[test]
fn conditional_cells_are_modelled_explicitly() {
    assert_eq!(
        lookup(State::Sta2, Event::Evt6).unwrap().next,
        Next::AcceptableOrReject {
            ok: State::Sta3,
            reject: State::Sta13
        }
    );
    assert_eq!(
        lookup(State::Sta7, Event::Evt12).unwrap().next,
        Next::ByRole {
            requestor: State::Sta9,
            acceptor: State::Sta10
        }
    );
    // Only those two cells are conditional.
    let conditional = TABLE
        .iter()
        .flatten()
        .flatten()
        .filter(|c| !matches!(c.next, Next::Fixed(_)))
        .count();
    assert_eq!(conditional, 2);
}

#[test]
fn machine_follows_every_defined_cell_and_refuses_blank_ones() {
    let now = Instant::now();
    let grid = expected_grid();
    for role in [Role::Requestor, Role::Acceptor] {
        for state in State::ALL {
            for event in Event::ALL {
                let mut m = machine_in(state, role, now);
                let role = m.role();
                let result = m.on_event(event, ctx(now));
                match &grid[event.index()][state.index()] {
                    None => {
                        assert_eq!(result, Err(UlError::NoAction { state, event }));
                        assert_eq!(m.state(), state, "blank cell must keep the state");
                    }
                    Some(cell) => {
                        assert_eq!(result.unwrap().name(), cell.action);
                        let want = match cell.next.as_str() {
                            "3/13" => "3",
                            "9/10" if role == Role::Requestor => "9",
                            "9/10" => "10",
                            other => other,
                        };
                        assert_eq!(m.state().number().to_string(), want, "{event} in {state}");
                    }
                }
            }
        }
    }
}

#[test]
fn blank_cell_keeps_artim_untouched() {
    let now = Instant::now();
    let mut m = machine_in(State::Sta2, Role::Acceptor, now);
    let before = *m.artim();
    assert!(before.is_running());
    let err = m
        .on_event(Event::Evt1, ctx(now + Duration::from_secs(5)))
        .unwrap_err();
    assert_eq!(
        err,
        UlError::NoAction {
            state: State::Sta2,
            event: Event::Evt1
        }
    );
    assert_eq!(*m.artim(), before);
    assert!(err.to_string().contains("Evt1"));
    assert!(err.to_string().contains("Sta2"));
}

#[test]
fn ae6_rejecting_goes_to_sta13_and_restarts_artim() {
    let t0 = Instant::now();
    let t1 = t0 + Duration::from_secs(3);
    let mut m = StateMachine::new(Role::Acceptor, Duration::from_secs(10));
    assert_eq!(m.on_event(Event::Evt5, ctx(t0)), Ok(Action::Ae5));
    assert_eq!(m.artim().deadline(), Some(t0 + Duration::from_secs(10)));
    assert_eq!(
        m.on_event(Event::Evt6, EventContext::rejecting(t1)),
        Ok(Action::Ae6)
    );
    assert_eq!(m.state(), State::Sta13);
    assert_eq!(m.artim().deadline(), Some(t1 + Duration::from_secs(10)));
}

#[test]
fn ae6_accepting_stops_artim() {
    let t0 = Instant::now();
    let mut m = StateMachine::new(Role::Acceptor, Duration::from_secs(10));
    m.on_event(Event::Evt5, ctx(t0)).unwrap();
    assert!(m.artim().is_running());
    m.on_event(Event::Evt6, ctx(t0 + Duration::from_secs(1)))
        .unwrap();
    assert_eq!(m.state(), State::Sta3);
    assert!(!m.artim().is_running());
    assert_eq!(m.artim().deadline(), None);
}

#[test]
fn artim_start_stop_per_action() {
    let t0 = Instant::now();
    let later = t0 + Duration::from_secs(7);
    let timeout = Duration::from_secs(30);
    // (state, role, event, action, running after, restarted at `later`)
    let cases: &[(State, Role, Event, Action, bool)] = &[
        (State::Sta1, Role::Acceptor, Event::Evt5, Action::Ae5, true),
        (State::Sta3, Role::Acceptor, Event::Evt8, Action::Ae8, true),
        (State::Sta8, Role::Acceptor, Event::Evt14, Action::Ar4, true),
        (
            State::Sta12,
            Role::Acceptor,
            Event::Evt14,
            Action::Ar4,
            true,
        ),
        (
            State::Sta6,
            Role::Requestor,
            Event::Evt15,
            Action::Aa1,
            true,
        ),
        (State::Sta2, Role::Acceptor, Event::Evt10, Action::Aa1, true),
        (State::Sta6, Role::Acceptor, Event::Evt19, Action::Aa8, true),
        (
            State::Sta13,
            Role::Acceptor,
            Event::Evt17,
            Action::Ar5,
            false,
        ),
        (
            State::Sta13,
            Role::Acceptor,
            Event::Evt18,
            Action::Aa2,
            false,
        ),
        (
            State::Sta2,
            Role::Acceptor,
            Event::Evt18,
            Action::Aa2,
            false,
        ),
        (
            State::Sta13,
            Role::Acceptor,
            Event::Evt16,
            Action::Aa2,
            false,
        ),
        (
            State::Sta2,
            Role::Acceptor,
            Event::Evt17,
            Action::Aa5,
            false,
        ),
    ];
    for &(state, role, event, action, running) in cases {
        let mut m = machine_in(state, role, t0);
        assert_eq!(
            m.on_event(event, ctx(later)),
            Ok(action),
            "{event} in {state}"
        );
        assert_eq!(m.artim().is_running(), running, "{action} in {state}");
        if running {
            assert_eq!(
                m.artim().deadline(),
                Some(later + timeout),
                "{action} restarts"
            );
        }
    }
}

#[test]
fn aa1_restarts_a_running_artim() {
    let t0 = Instant::now();
    let mut m = machine_in(State::Sta2, Role::Acceptor, t0);
    assert_eq!(m.artim().deadline(), Some(t0 + Duration::from_secs(30)));
    let t1 = t0 + Duration::from_secs(20);
    assert_eq!(m.on_event(Event::Evt3, ctx(t1)), Ok(Action::Aa1));
    assert_eq!(m.state(), State::Sta13);
    assert_eq!(m.artim().deadline(), Some(t1 + Duration::from_secs(30)));
    assert!(!m.is_artim_expired(t0 + Duration::from_secs(31)));
    assert!(m.is_artim_expired(t1 + Duration::from_secs(30)));
}

#[test]
fn artim_in_sta13_keeps_running_through_aa6_and_aa7() {
    let t0 = Instant::now();
    let mut m = machine_in(State::Sta13, Role::Acceptor, t0);
    let deadline = m.artim().deadline();
    let t1 = t0 + Duration::from_secs(1);
    assert_eq!(m.on_event(Event::Evt10, ctx(t1)), Ok(Action::Aa6));
    assert_eq!(m.on_event(Event::Evt6, ctx(t1)), Ok(Action::Aa7));
    assert_eq!(m.on_event(Event::Evt19, ctx(t1)), Ok(Action::Aa7));
    assert_eq!(m.state(), State::Sta13);
    assert_eq!(m.artim().deadline(), deadline);
}

#[test]
fn artim_runs_exactly_in_sta2_and_sta13_on_every_cell() {
    let now = Instant::now();
    for role in [Role::Requestor, Role::Acceptor] {
        for state in State::ALL {
            for event in Event::ALL {
                let mut m = machine_in(state, role, now);
                if m.on_event(event, ctx(now)).is_ok() {
                    let in_timed_state = matches!(m.state(), State::Sta2 | State::Sta13);
                    assert_eq!(
                        m.artim().is_running(),
                        in_timed_state,
                        "{event} from {state} to {}",
                        m.state()
                    );
                }
            }
        }
    }
}

#[test]
fn artim_timer_alone() {
    let t0 = Instant::now();
    let mut a = Artim::new(Duration::from_secs(2));
    assert_eq!(a.timeout(), Duration::from_secs(2));
    assert!(!a.is_running());
    assert!(!a.is_expired(t0 + Duration::from_secs(100)));
    assert_eq!(a.deadline(), None);
    assert_eq!(a.remaining(t0), None);
    a.start(t0);
    assert!(!a.is_expired(t0));
    assert!(!a.is_expired(t0 + Duration::from_millis(1999)));
    assert!(a.is_expired(t0 + Duration::from_secs(2)));
    assert_eq!(
        a.remaining(t0 + Duration::from_millis(500)),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        a.remaining(t0 + Duration::from_secs(9)),
        Some(Duration::ZERO)
    );
    // A clock reading before the start does not underflow.
    let t1 = t0 + Duration::from_secs(1);
    a.start(t1);
    assert!(!a.is_expired(t0));
    assert_eq!(a.deadline(), Some(t1 + Duration::from_secs(2)));
    a.stop();
    a.stop();
    assert!(!a.is_running());
    assert!(!a.is_expired(t1 + Duration::from_secs(60)));
    // A timeout too large to add to an Instant never expires and has no deadline.
    let mut huge = Artim::new(Duration::MAX);
    huge.start(t0);
    assert!(huge.is_running());
    assert_eq!(huge.deadline(), None);
    assert!(!huge.is_expired(t0 + Duration::from_secs(1_000_000)));
}

#[test]
fn artim_expiry_in_sta2_closes_without_sending() {
    let t0 = Instant::now();
    let mut m = StateMachine::new(Role::Acceptor, Duration::from_secs(2));
    m.on_event(Event::Evt5, ctx(t0)).unwrap();
    let t1 = t0 + Duration::from_secs(2);
    assert!(m.is_artim_expired(t1));
    let action = m.on_event(Event::Evt18, ctx(t1)).unwrap();
    assert_eq!(action, Action::Aa2);
    assert_eq!(action.sends_pdu(), None);
    assert!(action.closes_transport());
    assert_eq!(m.state(), State::Sta1);
    assert!(!m.artim().is_running());
}

/// Runs `steps` from Sta1, checking each action and state.
fn walk(role: Role, steps: &[(Event, Action, State)]) {
    let now = Instant::now();
    let mut m = StateMachine::new(role, Duration::from_secs(30));
    for (event, action, state) in steps {
        assert_eq!(
            m.on_event(*event, ctx(now)),
            Ok(*action),
            "{event} in {}",
            m.state()
        );
        assert_eq!(m.state(), *state, "after {event}");
    }
}

#[test]
fn typical_scp_path() {
    use Action::*;
    use Event::*;
    use State::*;
    walk(
        Role::Acceptor,
        &[
            (Evt5, Ae5, Sta2),
            (Evt6, Ae6, Sta3),
            (Evt7, Ae7, Sta6),
            (Evt10, Dt2, Sta6),
            (Evt9, Dt1, Sta6),
            (Evt12, Ar2, Sta8),
            (Evt14, Ar4, Sta13),
            (Evt17, Ar5, Sta1),
        ],
    );
}

#[test]
fn typical_scu_path() {
    use Action::*;
    use Event::*;
    use State::*;
    walk(
        Role::Requestor,
        &[
            (Evt1, Ae1, Sta4),
            (Evt2, Ae2, Sta5),
            (Evt3, Ae3, Sta6),
            (Evt9, Dt1, Sta6),
            (Evt10, Dt2, Sta6),
            (Evt11, Ar1, Sta7),
            (Evt10, Ar6, Sta7),
            (Evt13, Ar3, Sta1),
        ],
    );
}

#[test]
fn scu_rejected_path() {
    use Action::*;
    use Event::*;
    use State::*;
    walk(
        Role::Requestor,
        &[(Evt1, Ae1, Sta4), (Evt2, Ae2, Sta5), (Evt4, Ae4, Sta1)],
    );
}

#[test]
fn release_collision_requestor() {
    use Action::*;
    use Event::*;
    use State::*;
    // Both sides send A-RELEASE-RQ; the requestor answers first (Sta9 -> Sta11), then
    // receives the acceptor's RP.
    walk(
        Role::Requestor,
        &[
            (Evt1, Ae1, Sta4),
            (Evt2, Ae2, Sta5),
            (Evt3, Ae3, Sta6),
            (Evt11, Ar1, Sta7),
            (Evt12, Ar8, Sta9),
            (Evt14, Ar9, Sta11),
            (Evt13, Ar3, Sta1),
        ],
    );
}

#[test]
fn release_collision_acceptor() {
    use Action::*;
    use Event::*;
    use State::*;
    // The acceptor waits for the requestor's RP (Sta10 -> Sta12), then sends its own.
    walk(
        Role::Acceptor,
        &[
            (Evt5, Ae5, Sta2),
            (Evt6, Ae6, Sta3),
            (Evt7, Ae7, Sta6),
            (Evt11, Ar1, Sta7),
            (Evt12, Ar8, Sta10),
            (Evt13, Ar10, Sta12),
            (Evt14, Ar4, Sta13),
            (Evt17, Ar5, Sta1),
        ],
    );
}

#[test]
fn pdu_type_to_event() {
    let expected = [
        (0u8, Event::Evt19),
        (1, Event::Evt6),
        (2, Event::Evt3),
        (3, Event::Evt4),
        (4, Event::Evt10),
        (5, Event::Evt12),
        (6, Event::Evt13),
        (7, Event::Evt16),
        (8, Event::Evt19),
        (0xFF, Event::Evt19),
    ];
    for (t, e) in expected {
        assert_eq!(Event::for_pdu_type(t), e, "type {t}");
    }
    for t in 0..=255u8 {
        assert!(Event::for_pdu_type(t).is_pdu_received());
    }
    let local: Vec<u8> = Event::ALL
        .iter()
        .filter(|e| e.is_local_primitive())
        .map(|e| e.number())
        .collect();
    assert_eq!(local, [1, 7, 8, 9, 11, 14, 15]);
    let received: Vec<u8> = Event::ALL
        .iter()
        .filter(|e| e.is_pdu_received())
        .map(|e| e.number())
        .collect();
    assert_eq!(received, [3, 4, 6, 10, 12, 13, 16, 19]);
}

#[test]
fn action_helpers() {
    use fastdimse::pdu::PduType;
    let aborts: Vec<&str> = Action::ALL
        .iter()
        .filter(|a| a.sends_abort())
        .map(|a| a.name())
        .collect();
    assert_eq!(aborts, ["AA-1", "AA-7", "AA-8"]);
    assert_eq!(Action::Aa1.abort_source(), Some(0));
    assert_eq!(Action::Aa7.abort_source(), Some(2));
    assert_eq!(Action::Aa8.abort_source(), Some(2));
    assert_eq!(Action::Aa2.abort_source(), None);
    let closes: Vec<&str> = Action::ALL
        .iter()
        .filter(|a| a.closes_transport())
        .map(|a| a.name())
        .collect();
    assert_eq!(closes, ["AE-4", "AR-3", "AA-2", "AA-3"]);
    let data: Vec<&str> = Action::ALL
        .iter()
        .filter(|a| a.delivers_data())
        .map(|a| a.name())
        .collect();
    assert_eq!(data, ["DT-2", "AR-6"]);
    let sends: Vec<(&str, PduType)> = Action::ALL
        .iter()
        .filter_map(|a| a.sends_pdu().map(|p| (a.name(), p)))
        .collect();
    assert_eq!(
        sends,
        [
            ("AE-2", PduType::AssociateRq),
            ("AE-7", PduType::AssociateAc),
            ("AE-8", PduType::AssociateRj),
            ("DT-1", PduType::PData),
            ("AR-1", PduType::ReleaseRq),
            ("AR-4", PduType::ReleaseRp),
            ("AR-7", PduType::PData),
            ("AR-9", PduType::ReleaseRp),
            ("AA-1", PduType::Abort),
            ("AA-7", PduType::Abort),
            ("AA-8", PduType::Abort),
        ]
    );
}

#[test]
fn sta13_sends_nothing_after_a_normal_release() {
    // After AR-4 the only legal outcomes of the peer closing or ARTIM expiring send nothing.
    let now = Instant::now();
    for event in [Event::Evt17, Event::Evt18, Event::Evt16] {
        let mut m = machine_in(State::Sta8, Role::Acceptor, now);
        assert_eq!(m.on_event(Event::Evt14, ctx(now)), Ok(Action::Ar4));
        let action = m.on_event(event, ctx(now)).unwrap();
        assert_eq!(action.sends_pdu(), None, "{event}");
        assert_eq!(m.state(), State::Sta1);
    }
}
