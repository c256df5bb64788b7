//! The process-wide event loops that own every socket: a multi-threaded one for servers
//! and their accepted associations, and a one-thread one for the associations this process
//! requests (`client_runtime`).
//!
//! Why tokio: an association is a state machine that waits on three things at once (the
//! socket, commands from other threads, a deadline). An epoll-driven task expresses that
//! as one `select!` with no polling, costs a few KiB while idle (so 10,000 idle associations
//! cost memory, not CPU or threads), and its multi-threaded scheduler spreads busy
//! associations over the cores. Python handlers run on threads of their own
//! (`handler_pool`), so a slow handler never stalls other associations.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The shared runtime, started on first use with one worker per core (or
/// `FASTDIMSE_WORKERS`, when set to a positive number).
pub fn handle() -> &'static Handle {
    RUNTIME
        .get_or_init(|| {
            let workers = std::env::var("FASTDIMSE_WORKERS")
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            build(Builder::new_multi_thread().worker_threads(workers))
                .expect("the fastdimse runtime could not start (threads or epoll unavailable)")
        })
        .handle()
}

/// What both runtimes share: named threads that keep process signals away, and blocking
/// threads (tokio's own, for name lookups) that stay warm.
pub(crate) fn build(builder: &mut Builder) -> std::io::Result<Runtime> {
    builder
        .thread_name("fastdimse-io")
        .on_thread_start(block_process_signals)
        .thread_keep_alive(std::time::Duration::from_secs(300))
        .enable_all()
        .build()
}

/// Keeps process-directed signals (Ctrl-C, SIGTERM, ...) away from the core's threads, so
/// the kernel delivers them to a Python thread: CPython runs its handlers in the main thread
/// and only notices a signal promptly when one of its own threads receives it.
pub(crate) fn block_process_signals() {
    #[cfg(unix)]
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
