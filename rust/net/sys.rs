//! Every system call the engine makes outside tokio, each as a small safe function.
//!
//! Why the engine calls the system itself: its fast paths need the socket, not tokio's view
//! of it (docs/architecture.md, "Transports" and "Threads"). A `recv` tried before the task
//! waits, the adaptive poll before a thread sleeps, and a `send` from the thread that
//! produced a message each save a wake-up per echo. The asyncio API is woken through an
//! `eventfd`, and the core's threads keep process signals away from themselves so that
//! Python's main thread receives them.
//!
//! Keeping them here puts all of the crate's system calls and all of its platform-specific
//! code in one place: the rest of the engine calls these functions, with no `unsafe` of its
//! own around them, and takes its descriptor types (`AsRawFd`, `OwnedFd`, `RawFd`) from
//! here.
//!
//! Unix only: Linux x86_64 is the one platform built and tested. The functions that take a
//! raw descriptor are safe in Rust's sense (a closed or reused number gives an error or
//! acts on another descriptor, never on memory); keeping it open is the caller's business,
//! as each caller's docs say.

#[cfg(not(unix))]
compile_error!("fastdimse builds on Unix only; Linux x86_64 is built and tested");

use std::io;

pub(crate) use std::os::unix::io::{AsRawFd, IntoRawFd, OwnedFd, RawFd};

/// One `recv` with `MSG_DONTWAIT`, retried when a signal interrupts it. `WouldBlock` when
/// nothing is waiting; `Ok(0)` at the end of the stream.
pub(crate) fn recv_now(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: `buf` is valid for writes of its length for the whole call; `fd` is only
        // a number to the kernel.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// One `send` with `MSG_DONTWAIT | MSG_NOSIGNAL`: never blocks, and a peer that has gone
/// gives `EPIPE` instead of a SIGPIPE to the process. Returns how many bytes the kernel
/// took.
pub(crate) fn send_now(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of its length for the whole call; `fd` is only a
    // number to the kernel.
    let n = unsafe {
        libc::send(
            fd,
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// `poll` for `POLLIN` on `fd` alone, waiting up to `timeout_ms` (0: not at all, -1:
/// without limit). The number of ready descriptors (0 or 1), or -1 on failure.
fn poll_in(fd: RawFd, timeout_ms: i32) -> i32 {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid, initialised pollfd on this stack frame, and a count of 1. A
    // descriptor that is not open is reported as POLLNVAL, not an error of memory.
    unsafe { libc::poll(&mut pfd, 1, timeout_ms) }
}

/// True when a read of `fd` would not block now: data, end of stream, an error, or a
/// descriptor that is no longer open (all of which end a poll).
pub(crate) fn readable_now(fd: RawFd) -> bool {
    poll_in(fd, 0) != 0
}

/// Waits up to `timeout_ms` for `fd` to become ready to read. False on timeout or failure.
#[cfg(test)]
pub(crate) fn wait_readable(fd: RawFd, timeout_ms: i32) -> bool {
    poll_in(fd, timeout_ms) > 0
}

/// One `recv` with `MSG_PEEK | MSG_DONTWAIT`: what is waiting, left in the socket.
#[cfg(test)]
pub(crate) fn peek_now(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: as in `recv_now`.
    let n = unsafe {
        libc::recv(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// A new `eventfd` (counter 0, non-blocking, close-on-exec): readable while its counter is
/// not zero. Linux only; elsewhere an `Unsupported` error tells the caller to use another
/// way.
pub(crate) fn eventfd_new() -> io::Result<OwnedFd> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::FromRawFd;
        // SAFETY: eventfd takes no pointers; a non-negative result is a new descriptor.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and nothing else owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
    #[cfg(not(target_os = "linux"))]
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "completion queues need eventfd (Linux)",
    ))
}

/// Adds 1 to the counter of the `eventfd` `fd`, making it readable. The write fails only
/// when the counter would overflow, and then the descriptor is readable already: so the
/// result is ignored.
pub(crate) fn eventfd_signal(fd: RawFd) {
    let one: u64 = 1;
    // SAFETY: the buffer is the 8 bytes of `one`, valid for reads for the whole call.
    unsafe {
        libc::write(fd, (&one as *const u64).cast(), 8);
    }
}

/// Reads the counter of the non-blocking `eventfd` `fd` and resets it to 0. With nothing
/// signalled since the last take, `WouldBlock` at once.
pub(crate) fn eventfd_take(fd: RawFd) -> io::Result<u64> {
    let mut count: u64 = 0;
    // SAFETY: the buffer is the 8 bytes of `count`, valid for writes for the whole call.
    let n = unsafe { libc::read(fd, (&mut count as *mut u64).cast(), 8) };
    match n {
        8 => Ok(count),
        n if n < 0 => Err(io::Error::last_os_error()),
        _ => Err(io::ErrorKind::UnexpectedEof.into()),
    }
}

/// Keeps process-directed signals (Ctrl-C, SIGTERM, ...) away from the calling thread, so
/// the kernel delivers them to a Python thread: CPython runs its handlers in the main thread
/// and only notices a signal promptly when one of its own threads receives it. Every thread
/// the core starts calls this first.
pub(crate) fn block_process_signals() {
    // SAFETY: `set` is a properly initialised signal set on this thread's stack, and
    // pthread_sigmask only changes the calling thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in [
            libc::SIGINT,
            libc::SIGTERM,
            libc::SIGHUP,
            libc::SIGQUIT,
            libc::SIGUSR1,
            libc::SIGUSR2,
            libc::SIGALRM,
            libc::SIGCHLD,
        ] {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Raises the process's soft limit on open files to its hard limit, when it is lower. A
/// failure leaves the limit as it was.
pub(crate) fn raise_open_file_limit() {
    // SAFETY: getrlimit/setrlimit with a valid, initialised rlimit struct on this stack.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
