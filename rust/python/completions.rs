//! How the asyncio API learns that an operation ended: a queue per event loop, and one
//! file descriptor the loop watches.
//!
//! Why not a callback into Python from the core's thread: that thread would take the GIL
//! for every response, while the event loop's thread wants it too, and then wake the loop
//! through `call_soon_threadsafe`. With 16 echoes in flight the two threads traded the GIL
//! on every response. Here the core's thread only queues the outcome and, if the queue was
//! empty, writes the descriptor, all without the GIL. The loop's reader then takes every
//! queued outcome at once and converts them to Python on its own thread.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

/// Turns a queued outcome into its Python value, on the loop's thread.
pub type Convert = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

struct Queue {
    #[cfg(target_os = "linux")]
    fd: std::os::fd::OwnedFd,
    items: Mutex<Vec<(u64, Convert)>>,
}

impl Queue {
    fn items(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Convert)>> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// From any thread, without the GIL: queues `token`'s outcome and wakes the loop if
    /// it was not already due to drain.
    fn push(&self, token: u64, convert: Convert) {
        let was_empty = {
            let mut items = self.items();
            let empty = items.is_empty();
            items.push((token, convert));
            empty
        };
        if was_empty {
            self.wake();
        }
    }

    #[cfg(target_os = "linux")]
    fn wake(&self) {
        use std::os::fd::AsRawFd;
        let one: u64 = 1;
        // SAFETY: `fd` is an open eventfd owned by this queue; the buffer is 8 bytes.
        // Only an overflowing counter fails, and then a wake-up is already due.
        unsafe {
            libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8);
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn wake(&self) {}

    /// Resets the descriptor, then takes what is queued. In this order, an outcome queued
    /// in between is either taken now or wakes the loop again.
    #[cfg(target_os = "linux")]
    fn take(&self) -> Vec<(u64, Convert)> {
        use std::os::fd::AsRawFd;
        let mut count: u64 = 0;
        // SAFETY: as in `wake`; the descriptor is non-blocking, so an unset counter
        // returns EAGAIN at once.
        unsafe {
            libc::read(self.fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8);
        }
        std::mem::take(&mut *self.items())
    }

    #[cfg(not(target_os = "linux"))]
    fn take(&self) -> Vec<(u64, Convert)> {
        std::mem::take(&mut *self.items())
    }
}

/// One event loop's queue of finished operations (see the module docs). `fileno()` is
/// for `loop.add_reader`; `drain()` returns `[(token, value, error)]`.
#[pyclass(module = "fastdimse._core", frozen)]
pub struct Completions {
    queue: Arc<Queue>,
}

#[pymethods]
impl Completions {
    /// Raises OSError where there is no eventfd (then the API falls back to callbacks).
    #[new]
    fn new() -> PyResult<Self> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::FromRawFd;
            // SAFETY: eventfd has no memory arguments; a non-negative result is a new
            // descriptor this process owns, handed to OwnedFd exactly once.
            let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
            if fd < 0 {
                return Err(std::io::Error::last_os_error().into());
            }
            // SAFETY: `fd` was just created and nothing else owns it.
            let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
            Ok(Self {
                queue: Arc::new(Queue {
                    fd,
                    items: Mutex::new(Vec::new()),
                }),
            })
        }
        #[cfg(not(target_os = "linux"))]
        Err(pyo3::exceptions::PyOSError::new_err(
            "completion queues need eventfd (Linux)",
        ))
    }

    /// The descriptor that becomes readable when outcomes are queued.
    fn fileno(&self) -> i32 {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            self.queue.fd.as_raw_fd()
        }
        #[cfg(not(target_os = "linux"))]
        -1
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
