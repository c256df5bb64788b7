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
