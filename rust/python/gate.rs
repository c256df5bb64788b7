//! The one way core threads enter Python, closed when the interpreter starts exiting.
//!
//! Once CPython finalizes, a thread that tries to take the GIL is ended with
//! `pthread_exit`. On a core thread that forced unwind runs into Rust frames and the whole
//! process aborts (SIGABRT at exit, seen when a server's last association ended while the
//! interpreter shut down). So every call from a core thread into Python (handlers, event
//! notifications, asyncio completions, log records) goes through [`enter`], and an
//! `atexit` hook calls [`close`]: from then on core threads stay out of Python, and exit
//! waits for the calls already inside to return, as it would for a non-daemon thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use pyo3::prelude::*;

static CLOSED: AtomicBool = AtomicBool::new(false);
static INSIDE: AtomicUsize = AtomicUsize::new(0);
static LEFT: (Mutex<()>, Condvar) = (Mutex::new(()), Condvar::new());

thread_local! {
    /// This thread keeps a Python thread state between calls.
    static THREAD_STATE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Counts one call inside the gate for as long as it lives.
struct Inside;

impl Inside {
    fn new() -> Option<Self> {
        INSIDE.fetch_add(1, Ordering::SeqCst);
        let inside = Inside;
        if CLOSED.load(Ordering::SeqCst) {
            return None; // dropping `inside` counts the call out again
        }
        Some(inside)
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        if INSIDE.fetch_sub(1, Ordering::SeqCst) == 1 && CLOSED.load(Ordering::SeqCst) {
            let _guard = LEFT.0.lock().unwrap_or_else(|e| e.into_inner());
            LEFT.1.notify_all();
        }
    }
}

/// True once the interpreter is exiting: Python is no longer entered from core threads.
pub fn is_closed() -> bool {
    CLOSED.load(Ordering::SeqCst)
}

/// Runs `f` with the GIL on a core thread, unless the interpreter is exiting (then `None`).
/// Never call it on a thread that holds the GIL.
///
/// A core thread's Python thread state is created on its first call and kept, with the
/// GIL released, for the thread's life instead of being created and torn down around
/// every call. It is never freed: that could only happen during finalization, where taking
/// the GIL is exactly what must not happen.
pub fn enter<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    let _inside = Inside::new()?;
    THREAD_STATE.with(|kept| {
        if !kept.get() {
            // SAFETY: PyGILState_Ensure creates this thread's state and takes the GIL;
            // PyEval_SaveThread releases the GIL and leaves the state attached, so later
            // PyGILState_Ensure calls (Python::attach) reuse it. A thread that has a state
            // already (a Python thread driving the client runtime while it waits, with the
            // GIL released) is left as it is: Python::attach uses that state.
            unsafe {
                if pyo3::ffi::Py_IsInitialized() != 0 {
                    if pyo3::ffi::PyGILState_GetThisThreadState().is_null() {
                        pyo3::ffi::PyGILState_Ensure();
                        pyo3::ffi::PyEval_SaveThread();
                    }
                    kept.set(true);
                }
            }
        }
    });
    Some(Python::attach(f))
}

/// Closes the gate and waits, without the GIL, for the calls already inside to return.
/// Registered with `atexit` by `fastdimse/__init__.py`; calling it again does nothing.
#[pyfunction]
pub fn close_gate(py: Python<'_>) {
    if CLOSED.swap(true, Ordering::SeqCst) {
        return;
    }
    let mut warned = false;
    py.detach(|| {
        let mut guard = LEFT.0.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let inside = INSIDE.load(Ordering::SeqCst);
            if inside == 0 {
                return;
            }
            let (next, timeout) = LEFT
                .1
                .wait_timeout(guard, Duration::from_secs(1))
                .unwrap_or_else(|e| e.into_inner());
            guard = next;
            if timeout.timed_out() && !warned {
                warned = true;
                // Straight to stderr: the logging machinery may itself be what is waited on.
                eprintln!(
                    "fastdimse: waiting for {inside} event handler(s) to return before exiting"
                );
            }
        }
    });
}

/// The `log` backend: Python's `logging` through pyo3-log, entered through the gate, so a
/// record logged by a core thread while the interpreter exits is dropped, not fatal.
pub struct GatedLogger(pub pyo3_log::Logger);

impl log::Log for GatedLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        !is_closed() && self.0.enabled(metadata)
    }

    fn log(&self, record: &log::Record) {
        // Any thread logs, including Python's own (which may hold the GIL already), so this
        // takes the GIL the plain way rather than through `enter`.
        if self.0.enabled(record.metadata()) {
            if let Some(_inside) = Inside::new() {
                self.0.log(record);
            }
        }
    }

    fn flush(&self) {}
}
