//! Waiting for the core without the GIL, while staying interruptible by Ctrl-C.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use pyo3::prelude::*;

/// How often a waiting thread takes the GIL back to let Python run signal handlers.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Receives from `rx` with the GIL released. `Ok(None)` if the sender went away.
/// A KeyboardInterrupt (or any exception a signal handler raises) is returned as `Err`.
pub fn recv<T: Send>(py: Python<'_>, rx: Receiver<T>) -> PyResult<Option<T>> {
    let mut rx = rx;
    loop {
        let (result, back) = py.detach(move || (rx.recv_timeout(SIGNAL_CHECK), rx));
        rx = back;
        match result {
            Ok(value) => return Ok(Some(value)),
            Err(RecvTimeoutError::Disconnected) => return Ok(None),
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
        }
    }
}

/// As [`recv`], but stops at `deadline`: `Err(rx)` hands the receiver back when it passed.
pub fn recv_until<T: Send>(
    py: Python<'_>,
    rx: Receiver<T>,
    deadline: Option<std::time::Instant>,
) -> PyResult<Result<Option<T>, Receiver<T>>> {
    let mut rx = rx;
    loop {
        let slice = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Ok(Err(rx));
                }
                left.min(SIGNAL_CHECK)
            }
            None => SIGNAL_CHECK,
        };
        let (result, back) = py.detach(move || (rx.recv_timeout(slice), rx));
        rx = back;
        match result {
            Ok(value) => return Ok(Ok(Some(value))),
            Err(RecvTimeoutError::Disconnected) => return Ok(Ok(None)),
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
        }
    }
}

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
