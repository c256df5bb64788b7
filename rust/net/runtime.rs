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

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

use super::sys;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
/// Workers of the shared runtime, once it runs.
static WORKERS: AtomicUsize = AtomicUsize::new(0);
/// Workers of the shared runtime that are parked (idle) right now.
static PARKED: AtomicUsize = AtomicUsize::new(0);
/// Association tasks polling their socket right now ([`PollSlot`]).
static POLLING: AtomicUsize = AtomicUsize::new(0);

/// True while some worker of the shared runtime is idle, so that it, not a worker busy
/// polling one socket, will notice whatever else arrives.
pub(crate) fn a_worker_is_idle() -> bool {
    PARKED.load(Ordering::SeqCst) > 0
}

/// The right of one association task to hold its worker while it polls its socket
/// ([`super::spin`]). At most one worker fewer than there are may poll at once, and only
/// while another stands idle: the server never stops listening to the others.
pub(crate) struct PollSlot(());

impl PollSlot {
    pub(crate) fn take() -> Option<Self> {
        let workers = WORKERS.load(Ordering::Relaxed);
        if !a_worker_is_idle() {
            return None;
        }
        POLLING
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                room_to_poll(n, workers).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(()))
    }
}

/// Whether one more task may poll while `polling` do, on a runtime of `workers`: one
/// worker is always left to the event loop, so a runtime of one never polls.
fn room_to_poll(polling: usize, workers: usize) -> bool {
    polling + 1 < workers
}

impl Drop for PollSlot {
    fn drop(&mut self) {
        POLLING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Worker threads asked for by the layer above (`AE.io_threads`) before the runtime
/// started; 0 when none was.
static REQUESTED_WORKERS: AtomicUsize = AtomicUsize::new(0);

/// Asks for `n` worker threads in the shared runtime. Before it starts, this is the number it
/// starts with (over `FASTDIMSE_WORKERS`); once it runs, asking for the number it has is
/// fine and any other is refused with the number it has.
pub fn request_workers(n: usize) -> Result<(), usize> {
    if RUNTIME.get().is_some() {
        let running = WORKERS.load(Ordering::Relaxed);
        return if running == n { Ok(()) } else { Err(running) };
    }
    REQUESTED_WORKERS.store(n, Ordering::Relaxed);
    Ok(())
}

/// The shared runtime, started on first use with the workers asked for by
/// [`request_workers`], else `FASTDIMSE_WORKERS` (a positive number), else one per core.
pub fn handle() -> &'static Handle {
    RUNTIME
        .get_or_init(|| {
            let requested = REQUESTED_WORKERS.load(Ordering::Relaxed);
            let workers = Some(requested)
                .filter(|&n| n > 0)
                .or_else(|| {
                    std::env::var("FASTDIMSE_WORKERS")
                        .ok()
                        .and_then(|v| v.parse::<usize>().ok())
                        .filter(|&n| n > 0)
                })
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            WORKERS.store(workers, Ordering::Relaxed);
            build(
                Builder::new_multi_thread()
                    .worker_threads(workers)
                    .on_thread_park(|| {
                        PARKED.fetch_add(1, Ordering::SeqCst);
                    })
                    .on_thread_unpark(|| {
                        PARKED.fetch_sub(1, Ordering::SeqCst);
                    }),
            )
            .expect("the fastdimse runtime could not start (threads or epoll unavailable)")
        })
        .handle()
}

/// What both runtimes share: named threads that keep process signals away, and blocking
/// threads (tokio's own, for name lookups) that stay warm.
pub(crate) fn build(builder: &mut Builder) -> std::io::Result<Runtime> {
    builder
        .thread_name("fastdimse-io")
        .on_thread_start(sys::block_process_signals)
        .thread_keep_alive(std::time::Duration::from_secs(300))
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_worker_is_always_left_to_the_event_loop() {
        assert!(!room_to_poll(0, 1));
        assert!(room_to_poll(0, 2));
        assert!(!room_to_poll(1, 2));
        assert!(room_to_poll(2, 4));
        assert!(!room_to_poll(3, 4));
    }

    #[test]
    fn the_shared_runtime_counts_its_idle_workers() {
        let handle = handle();
        // Once nothing runs, every worker parks; a task that holds its worker leaves at
        // least one fewer parked.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while PARKED.load(Ordering::SeqCst) < WORKERS.load(Ordering::SeqCst)
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(a_worker_is_idle());
        let (tx, rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        handle.spawn(async move {
            let _ = tx.send(PARKED.load(Ordering::SeqCst));
            let _ = release_rx.recv_timeout(std::time::Duration::from_secs(5));
        });
        let parked_while_busy = rx.recv().unwrap();
        let _ = release_tx.send(());
        assert!(parked_while_busy < WORKERS.load(Ordering::SeqCst));
    }
}
