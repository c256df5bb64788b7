//! The process-wide event loops that own every socket: a multi-threaded one for servers
//! and their accepted associations, and a one-thread one for the associations this process
//! requests ([`client_handle`]).
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
static CLIENT: OnceLock<Handle> = OnceLock::new();

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

/// The runtime of outgoing associations: one thread of its own, started on first use.
///
/// Why not the shared runtime: a request from a caller's thread (start an association, send
/// a release) reaches a parked worker, and tokio's multi-threaded scheduler then wakes a
/// second worker to look for more work, which finds none. Measured with one client doing
/// associate, echo and release in a loop, that cost about 55 µs of CPU per association, a
/// third of the client's total, and a single thread gave 17% more associations/s. One
/// thread is also plenty for what calls into it: Python callers, who hold the GIL in turn.
/// Servers stay on the shared runtime, whose second worker does pay off under load.
pub fn client_handle() -> &'static Handle {
    CLIENT.get_or_init(|| {
        let runtime = build(&mut Builder::new_current_thread())
            .expect("the fastdimse client runtime could not start (epoll unavailable)");
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("fastdimse-scu".into())
            .spawn(move || {
                block_process_signals();
                runtime.block_on(std::future::pending::<()>());
            })
            .expect("the fastdimse client thread could not start");
        handle
    })
}

/// What both runtimes share: named threads that keep process signals away, and blocking
/// threads (tokio's own, for name lookups) that stay warm.
fn build(builder: &mut Builder) -> std::io::Result<Runtime> {
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
