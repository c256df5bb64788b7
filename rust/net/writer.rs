//! The write side of an association as other threads see it.
//!
//! The association's task owns the socket. A thread that produces a message for it (a
//! Python handler's response, a blocking SCU request) can still write it straight away,
//! without waking the task: one non-blocking `send` under this lock, in order with
//! everything the task writes (which takes the same lock). Bytes the socket does not take
//! at once are queued here, and the task finishes writing them (`Command::Flush`).
//! Before the task closes the socket or leaves the states where P-DATA may be sent, it
//! shuts the door here, so no thread can write after an A-ABORT or A-RELEASE-RP, or touch
//! a descriptor that was closed.

use std::sync::Mutex;

use super::sys::{self, RawFd};

/// Outcome of [`SharedWriter::write_data`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direct {
    /// Everything was handed to the kernel.
    Written,
    /// Part (or all) is queued: the task must be told to flush.
    Queued,
    /// P-DATA may not be sent now (association ending or ended).
    Refused,
}

struct State {
    /// The TCP socket; `None` for other transports, whose bytes only the task writes.
    fd: Option<RawFd>,
    /// Bytes accepted for writing but not yet taken by the kernel, in order.
    pending: Vec<u8>,
    /// P-DATA-TF may be written (Sta6, or Sta8 while answering).
    data_allowed: bool,
    /// The socket is closed or being closed: nothing may be written any more.
    closed: bool,
}

pub(crate) struct SharedWriter {
    state: Mutex<State>,
    /// `state.fd` is set: fixed at construction, so asking needs no lock.
    direct: bool,
}

impl SharedWriter {
    /// A writer for the TCP socket `fd`, or (`None`) for a transport that only the task
    /// writes to.
    pub fn new(fd: Option<RawFd>) -> Self {
        Self {
            direct: fd.is_some(),
            state: Mutex::new(State {
                fd,
                pending: Vec::new(),
                data_allowed: false,
                closed: false,
            }),
        }
    }

    /// Whether other threads may write directly (a TCP socket), or must hand their bytes
    /// to the task.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// From any thread: writes a P-DATA message now if the association may send data.
    pub fn write_data(&self, bytes: &[u8]) -> Direct {
        let mut st = self.lock();
        if st.closed || !st.data_allowed {
            return Direct::Refused;
        }
        if !st.pending.is_empty() {
            st.pending.extend_from_slice(bytes);
            return Direct::Queued;
        }
        match send_now(&st, bytes) {
            Ok(n) if n == bytes.len() => Direct::Written,
            Ok(n) => {
                st.pending.extend_from_slice(&bytes[n..]);
                Direct::Queued
            }
            // A broken connection: the task sees it on its next read and ends.
            Err(_) => Direct::Refused,
        }
    }

    /// The task: sends what it can of `bytes` after anything queued, without blocking.
    /// Returns true when nothing is left queued. `try_write` is the task's own socket.
    pub fn write_or_queue(
        &self,
        bytes: &[u8],
        try_write: impl Fn(&[u8]) -> std::io::Result<usize>,
    ) -> std::io::Result<bool> {
        let mut st = self.lock();
        if st.closed {
            return Err(std::io::Error::from(std::io::ErrorKind::NotConnected));
        }
        if st.pending.is_empty() {
            match try_write(bytes) {
                Ok(n) if n == bytes.len() => return Ok(true),
                Ok(n) => st.pending.extend_from_slice(&bytes[n..]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    st.pending.extend_from_slice(bytes)
                }
                Err(e) => return Err(e),
            }
            return Ok(false);
        }
        st.pending.extend_from_slice(bytes);
        Self::drain(&mut st, &try_write)
    }

    /// The task: writes what it can of the queue. True when the queue is empty.
    pub fn flush_some(
        &self,
        try_write: impl Fn(&[u8]) -> std::io::Result<usize>,
    ) -> std::io::Result<bool> {
        let mut st = self.lock();
        Self::drain(&mut st, &try_write)
    }

    fn drain(
        st: &mut State,
        try_write: &impl Fn(&[u8]) -> std::io::Result<usize>,
    ) -> std::io::Result<bool> {
        while !st.pending.is_empty() {
            match try_write(&st.pending) {
                Ok(0) => return Err(std::io::Error::from(std::io::ErrorKind::WriteZero)),
                Ok(n) => {
                    st.pending.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Whether other threads may write P-DATA now.
    pub fn allow_data(&self, allowed: bool) {
        self.lock().data_allowed = allowed;
    }

    /// No thread writes any more; called before the task closes the socket.
    pub fn close(&self) {
        let mut st = self.lock();
        st.closed = true;
        st.data_allowed = false;
        st.pending.clear();
    }
}

/// One non-blocking send to the TCP socket. `fd` is the association's socket, open for as
/// long as `closed` is false: the caller holds the lock that `close` takes before the
/// descriptor is released.
fn send_now(st: &State, bytes: &[u8]) -> std::io::Result<usize> {
    let Some(fd) = st.fd else {
        return Err(std::io::ErrorKind::Unsupported.into());
    };
    sys::send_now(fd, bytes)
}
