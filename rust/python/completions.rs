//! How the asyncio API learns that an operation ended: a [`CompletionQueue`] per event loop,
//! whose descriptor the loop watches (`fastdimse._completion`).
//!
//! Why not a callback into Python from the core's thread: that thread would take the GIL
//! for every response while the event loop's thread wants it too, and then wake the loop
//! through `call_soon_threadsafe`; with many echoes in flight the two threads would trade
//! the GIL on every response. Here the core's thread queues the outcome without the GIL,
//! and the loop's reader converts everything queued to Python on its own thread.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::net::CompletionQueue;

/// Turns a queued outcome into its Python value, on the loop's thread.
pub type Convert = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

type Queue = CompletionQueue<Convert>;

/// One event loop's queue of finished operations. `fileno()` is for `loop.add_reader`;
/// `drain()` returns `[(token, value, error)]`.
#[pyclass(module = "fastdimse._core", frozen)]
pub struct Completions {
    queue: Arc<Queue>,
}

#[pymethods]
impl Completions {
    /// Raises OSError where there is no eventfd (the API then falls back to callbacks).
    #[new]
    fn new() -> PyResult<Self> {
        Ok(Self {
            queue: Arc::new(Queue::new()?),
        })
    }

    /// The descriptor that becomes readable when outcomes are queued.
    fn fileno(&self) -> i32 {
        self.queue.fd()
    }

    /// Every queued outcome as `(token, value, None)`, or `(token, None, exception)` if
    /// its conversion failed; the descriptor is reset.
    fn drain(&self, py: Python<'_>) -> Vec<(u64, Option<Py<PyAny>>, Option<PyErr>)> {
        self.queue
            .take()
            .into_iter()
            .map(|(token, convert)| match convert(py) {
                Ok(value) => (token, Some(value), None),
                Err(e) => (token, None, Some(e)),
            })
            .collect()
    }

    /// Where the core delivers the outcome of the operation `token` stands for.
    fn slot(&self, token: u64) -> CompletionSlot {
        CompletionSlot(Slot {
            queue: Arc::clone(&self.queue),
            token,
        })
    }
}

/// One pending operation's place in a [`Completions`] queue, given to the core instead of
/// a Python callback.
#[pyclass(module = "fastdimse._core", frozen)]
pub struct CompletionSlot(Slot);

impl CompletionSlot {
    /// The slot itself, for the core's thread to complete without the GIL.
    pub fn slot(&self) -> Slot {
        self.0.clone()
    }
}

/// See [`CompletionSlot`].
#[derive(Clone)]
pub struct Slot {
    queue: Arc<Queue>,
    token: u64,
}

impl Slot {
    /// Queues this operation's outcome (any thread, no GIL).
    pub fn complete(self, convert: Convert) {
        self.queue.push(self.token, convert);
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Completions>()?;
    m.add_class::<CompletionSlot>()?;
    Ok(())
}
