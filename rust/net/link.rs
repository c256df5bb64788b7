//! The owner of an association: its PS3.8 state machine and its outgoing bytes, behind
//! one lock.
//!
//! Every event of an association, whoever raises it, is looked up in the state table here,
//! once, and every byte the association sends leaves through here, in the order the
//! actions that produced it were decided. The association's task raises the events of the
//! reader, the timers and the commands it serves; two other threads raise Evt9 (P-DATA
//! request) themselves, over TCP only: a Python handler's response on its handler thread,
//! and a `send_c_echo()` on its caller's thread. They do not write around the state
//! machine: [`Link::p_data`] looks Evt9 up under the same lock and sends only if the table
//! names DT-1 (Sta6) or AR-7 (Sta8), so nothing is sent after an A-RELEASE-RQ of ours, an
//! A-RELEASE-RP or an A-ABORT was decided, and nothing before the A-ASSOCIATE-AC
//! ([`Link::event_and_queue`] decides AE-7 and queues the AC in one step).
//!
//! Why those threads may perform DT-1 themselves instead of handing the message to the
//! task: the hand-off costs a wake-up of the task per echo, which on a VM is about as much
//! CPU as the whole round trip (docs/architecture.md, "Who writes the bytes", has the
//! figures). The lock is uncontended in the common case and held for one table lookup and
//! one non-blocking `send`.
//!
//! Over TCP the holder of the lock sends what the socket takes at once; the rest is queued
//! here and the task finishes it when the socket is writable. Over other transports (TLS,
//! in-memory pipes) every byte is queued here and only the task writes, with async writes.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::ul::{Action, Event, EventContext, Role as UlRole, State, StateMachine, UlError};

use super::log;
use super::sys::{self, RawFd};

/// Outcome of [`Link::p_data`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    /// Everything was handed to the kernel.
    Written,
    /// Part (or all) is queued: the task must be told to flush.
    Queued,
    /// The table does not allow P-DATA now (no association yet, or it is ending or
    /// ended), or the connection is broken.
    Refused,
}

struct Inner {
    /// The association's PS3.8 state machine: the only record of its protocol state.
    fsm: StateMachine,
    /// The TCP socket; `None` for other transports, whose bytes only the task writes.
    fd: Option<RawFd>,
    /// Bytes decided for sending but not yet taken by the transport, in order.
    pending: Vec<u8>,
    /// The socket is closed or being closed: nothing may be written any more.
    closed: bool,
}

pub(crate) struct Link {
    inner: Mutex<Inner>,
    /// For log lines.
    id: u64,
}

impl Link {
    /// The owner of association `id` in `role`, in Sta1, with ARTIM's timeout `artim`,
    /// writing to the TCP socket `fd`, or (`None`) to a transport only the task writes to.
    pub fn new(id: u64, role: UlRole, artim: Duration, fd: Option<RawFd>) -> Self {
        Self {
            id,
            inner: Mutex::new(Inner {
                fsm: StateMachine::new(role, artim),
                fd,
                pending: Vec::new(),
                closed: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Looks `event` up once and moves to the next state; returns the action the table
    /// names for the caller to perform (`None` for a blank cell, which changes nothing).
    pub fn event(&self, event: Event) -> Option<Action> {
        let looked_up = Self::lookup(&mut self.lock(), event);
        self.noted(looked_up)
    }

    fn lookup(inner: &mut Inner, event: Event) -> Result<Action, UlError> {
        inner.fsm.on_event(event, EventContext::new(Instant::now()))
    }

    /// The action of a lookup, with a blank cell logged: after the lock is released, since
    /// a log record may have to wait for Python's GIL, and a thread holding the GIL may be
    /// waiting for this lock (`p_data` from the asyncio event loop).
    fn noted(&self, looked_up: Result<Action, UlError>) -> Option<Action> {
        match looked_up {
            Ok(action) => Some(action),
            Err(e) => {
                log::debug(format_args!("[{}] {e}", self.id));
                None
            }
        }
    }

    /// Looks `event` up once and, in the same step, lets `encode` append to the queue the
    /// bytes of the action the table named (it returns false when that action sends
    /// nothing). Nothing another thread sends can come between the decision and those
    /// bytes: that keeps P-DATA behind the A-ASSOCIATE-AC (AE-7), and the task's own
    /// messages (DT-1) in the order they were decided. The task then flushes.
    pub fn event_and_queue(
        &self,
        event: Event,
        encode: impl FnOnce(Action, &mut Vec<u8>) -> bool,
    ) -> (Option<Action>, bool) {
        let mut inner = self.lock();
        let looked_up = Self::lookup(&mut inner, event);
        let queued = match looked_up {
            Ok(action) if !inner.closed => encode(action, &mut inner.pending),
            _ => false,
        };
        drop(inner);
        (self.noted(looked_up), queued)
    }

    /// Queues the bytes of an action the caller has just been given by [`Link::event`]
    /// (an A-ABORT, an A-RELEASE-RQ or -RP, an A-ASSOCIATE-RQ or -RJ): the state that
    /// action moved to lets no other thread's P-DATA in between. The task then flushes.
    pub fn queue(&self, encode: impl FnOnce(&mut Vec<u8>)) {
        let mut inner = self.lock();
        if !inner.closed {
            encode(&mut inner.pending);
        }
    }

    /// Evt9 from any thread: the P-DATA request of one whole DIMSE message (`bytes`, its
    /// P-DATA-TF PDUs). Sent now if the table names DT-1 or AR-7 and the socket takes it.
    pub fn p_data(&self, bytes: &[u8]) -> Sent {
        let mut inner = self.lock();
        if inner.closed {
            return Sent::Refused;
        }
        match Self::lookup(&mut inner, Event::Evt9) {
            Ok(Action::Dt1 | Action::Ar7) => {}
            other => {
                drop(inner);
                self.noted(other);
                return Sent::Refused;
            }
        }
        if !inner.pending.is_empty() || inner.fd.is_none() {
            inner.pending.extend_from_slice(bytes);
            return Sent::Queued;
        }
        match send_now(&inner, bytes) {
            Ok(n) if n == bytes.len() => Sent::Written,
            Ok(n) => {
                inner.pending.extend_from_slice(&bytes[n..]);
                Sent::Queued
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                inner.pending.extend_from_slice(bytes);
                Sent::Queued
            }
            // A broken connection: the task sees it on its next read and ends.
            Err(_) => Sent::Refused,
        }
    }

    /// The task: sends what it can of the queue. True when the queue is empty.
    pub fn flush_some(
        &self,
        try_write: impl Fn(&[u8]) -> std::io::Result<usize>,
    ) -> std::io::Result<bool> {
        let mut inner = self.lock();
        Self::drain(&mut inner, &try_write)
    }

    /// The task, over a transport other than TCP: everything queued so far into `out` (its
    /// own buffer, cleared first), to write with async writes; empty when nothing is queued.
    /// The two buffers are swapped, so both keep their capacity.
    pub fn take_queued(&self, out: &mut Vec<u8>) {
        out.clear();
        std::mem::swap(&mut self.lock().pending, out);
    }

    fn drain(
        inner: &mut Inner,
        try_write: &impl Fn(&[u8]) -> std::io::Result<usize>,
    ) -> std::io::Result<bool> {
        while !inner.pending.is_empty() {
            match try_write(&inner.pending) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    inner.pending.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// A copy of the bytes queued and not yet written, for EVT_DATA_SENT observers (the
    /// task takes it just before it writes them).
    pub fn queued_copy(&self) -> Vec<u8> {
        self.lock().pending.clone()
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.lock().fsm.state()
    }

    /// The current state and when ARTIM expires (if it runs), read together: what the task
    /// needs for its next deadline, with one lock.
    pub fn state_and_artim(&self) -> (State, Option<Instant>) {
        let inner = self.lock();
        (inner.fsm.state(), inner.fsm.artim().deadline())
    }

    /// When ARTIM expires, if it runs.
    pub fn artim_deadline(&self) -> Option<Instant> {
        self.lock().fsm.artim().deadline()
    }

    /// Changes ARTIM's timeout (the ACSE timeout changed on a live association).
    pub fn set_artim_timeout(&self, timeout: Duration) {
        self.lock().fsm.set_artim_timeout(timeout);
    }

    /// Nothing is written any more; called before the task closes the socket.
    pub fn close(&self) {
        let mut inner = self.lock();
        inner.closed = true;
        inner.pending.clear();
    }
}

/// One non-blocking send to the TCP socket. `fd` is the association's socket, open for as
/// long as `closed` is false: the caller holds the lock that `close` takes before the
/// descriptor is released.
fn send_now(inner: &Inner, bytes: &[u8]) -> std::io::Result<usize> {
    let Some(fd) = inner.fd else {
        return Err(std::io::ErrorKind::Unsupported.into());
    };
    sys::send_now(fd, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An acceptor's owner over a transport only the task writes (everything queues).
    /// Everything queued, taken as the task takes it.
    fn taken(link: &Link) -> Vec<u8> {
        let mut out = vec![0xEE; 4]; // the task's buffer, with stale bytes
        link.take_queued(&mut out);
        out
    }

    fn acceptor() -> Link {
        Link::new(1, UlRole::Acceptor, Duration::from_secs(30), None)
    }

    fn established() -> Link {
        let link = acceptor();
        assert_eq!(link.event(Event::Evt5), Some(Action::Ae5));
        assert_eq!(link.event(Event::Evt6), Some(Action::Ae6));
        let (action, queued) = link.event_and_queue(Event::Evt7, |a, buf| {
            buf.extend_from_slice(b"AC");
            a == Action::Ae7
        });
        assert_eq!((action, queued), (Some(Action::Ae7), true));
        assert_eq!(taken(&link), b"AC");
        link
    }

    #[test]
    fn p_data_is_refused_until_the_ac_is_decided() {
        let link = acceptor();
        assert_eq!(link.p_data(b"early"), Sent::Refused);
        link.event(Event::Evt5);
        link.event(Event::Evt6);
        // Sta3: the user has been asked; the AC is not decided yet.
        assert_eq!(link.p_data(b"early"), Sent::Refused);
        assert_eq!(link.state(), State::Sta3);
        let (_, queued) = link.event_and_queue(Event::Evt7, |_, buf| {
            buf.extend_from_slice(b"AC|");
            true
        });
        assert!(queued);
        assert_eq!(link.p_data(b"data"), Sent::Queued);
        assert_eq!(taken(&link), b"AC|data", "the AC before any P-DATA");
    }

    #[test]
    fn p_data_follows_the_table_through_release_and_abort() {
        // Sta6: DT-1.
        let link = established();
        assert_eq!(link.p_data(b"1"), Sent::Queued);
        // The peer asks to release (AR-2, Sta8): responses still due go out (AR-7).
        assert_eq!(link.event(Event::Evt12), Some(Action::Ar2));
        assert_eq!(link.p_data(b"2"), Sent::Queued);
        // The RP is decided (AR-4, Sta13): nothing after it.
        assert_eq!(link.event(Event::Evt14), Some(Action::Ar4));
        link.queue(|buf| buf.extend_from_slice(b"RP"));
        assert_eq!(link.p_data(b"3"), Sent::Refused);
        assert_eq!(taken(&link), b"12RP");

        // Our own release request (AR-1, Sta7): no P-DATA after it.
        let link = established();
        assert_eq!(link.event(Event::Evt11), Some(Action::Ar1));
        assert_eq!(link.p_data(b"x"), Sent::Refused);

        // An abort (AA-1, Sta13): no P-DATA after it, ever.
        let link = established();
        assert_eq!(link.event(Event::Evt15), Some(Action::Aa1));
        assert_eq!(link.p_data(b"x"), Sent::Refused);
        assert_eq!(link.state(), State::Sta13);
    }

    #[test]
    fn a_closed_link_takes_nothing() {
        let link = established();
        link.close();
        assert_eq!(link.p_data(b"x"), Sent::Refused);
        link.queue(|buf| buf.extend_from_slice(b"y"));
        let (_, queued) = link.event_and_queue(Event::Evt9, |_, buf| {
            buf.extend_from_slice(b"z");
            true
        });
        assert!(!queued);
        assert!(taken(&link).is_empty());
    }

    #[test]
    fn each_event_is_looked_up_once() {
        // A refused P-DATA request leaves the state as it was (a blank cell changes nothing),
        // and a decided one moves the machine exactly one step.
        let link = established();
        link.event(Event::Evt11); // Sta7
        assert_eq!(link.p_data(b"x"), Sent::Refused);
        assert_eq!(link.state(), State::Sta7);
        assert_eq!(link.event(Event::Evt13), Some(Action::Ar3));
        assert_eq!(link.state(), State::Sta1);
    }
}
