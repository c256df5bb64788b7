//! Waiting for the core without the GIL, while staying interruptible by Ctrl-C.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use pyo3::prelude::*;

use crate::net::{Waited, Waiter};

/// How often a waiting thread takes the GIL back to let Python run signal handlers.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Receives from `rx` (kept, and handed back) with the GIL released, for as long as
/// `waiting()` holds at each signal check; `None` once it no longer does, or the sender
/// went away.
pub fn recv_while<T: Send>(
    py: Python<'_>,
    rx: Receiver<T>,
    waiting: impl Fn() -> bool,
) -> PyResult<(Option<T>, Receiver<T>)> {
    let mut rx = rx;
    loop {
        let (result, back) = py.detach(move || (rx.recv_timeout(SIGNAL_CHECK), rx));
        rx = back;
        match result {
            Ok(value) => return Ok((Some(value), rx)),
            Err(RecvTimeoutError::Disconnected) => return Ok((None, rx)),
            Err(RecvTimeoutError::Timeout) => {
                py.check_signals()?;
                if !waiting() {
                    return Ok((None, rx));
                }
            }
        }
    }
}

/// Waits on `waiter` with the GIL released until `deadline` (or for ever), taking the GIL
/// back every [`SIGNAL_CHECK`] to run signal handlers. `TimedOut` only once `deadline` passed.
pub fn wait_for<T: Send>(
    py: Python<'_>,
    waiter: &mut Waiter<T>,
    deadline: Option<std::time::Instant>,
) -> PyResult<Waited<T>> {
    loop {
        let now = std::time::Instant::now();
        let slice = match deadline {
            Some(d) if d <= now => return Ok(Waited::TimedOut),
            Some(d) => d.min(now + SIGNAL_CHECK),
            None => now + SIGNAL_CHECK,
        };
        match py.detach(|| waiter.wait(Some(slice))) {
            Waited::TimedOut => py.check_signals()?,
            done => return Ok(done),
        }
    }
}

/// [`wait_for`] without a deadline: `None` if the task ended without an outcome.
pub fn wait<T: Send>(py: Python<'_>, mut waiter: Waiter<T>) -> PyResult<Option<T>> {
    match wait_for(py, &mut waiter, None)? {
        Waited::Done(value) => Ok(Some(value)),
        _ => Ok(None),
    }
}
