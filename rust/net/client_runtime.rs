//! The runtime of the associations this process requests, and who drives it.
//!
//! It is a one-thread tokio runtime, but its thread is whichever one waits: a caller
//! blocked on one of its associations (a C-ECHO response, an A-ASSOCIATE-AC, a release)
//! drives it itself through [`drive`], so the socket wakes the waiting thread directly.
//! Before, a thread of the runtime's own read each response and then woke the caller: two
//! wake-ups per round trip instead of one. A keeper thread drives whenever no caller does.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

use super::runtime::build;
use super::sys::block_process_signals;

/// The runtime of outgoing associations, started on first use.
///
/// Why not the shared runtime: a request from a caller's thread (start an association, send
/// a release) reaches a parked worker, and tokio's multi-threaded scheduler then wakes a
/// second worker to look for more work, which finds none. Measured with one client doing
/// associate, echo and release in a loop, that cost about 55 µs of CPU per association, a
/// third of the client's total, and a single thread gave 17% more associations/s. One
/// thread is also plenty for what calls into it: Python callers, who hold the GIL in turn.
/// Servers stay on the shared runtime, whose second worker does pay off under load.
pub fn client_handle() -> &'static Handle {
    client().runtime.handle()
}

/// The client runtime and who drives it.
///
/// A thread that waits for one of its associations drives the runtime itself
/// ([`drive`]), so the socket wakes that thread directly. The keeper thread drives it
/// the rest of the time: peers' aborts, timers, and asyncio's operations need a driver
/// when no caller waits. It steps aside when a caller arrives, and takes over again once
/// no caller has come back for [`KEEPER_GRACE`], or at once when something that no caller
/// will wait for is started ([`nudge`]). So a thread echoing in a loop drives all along,
/// and the keeper only looks in every [`KEEPER_NAP`] meanwhile.
struct Client {
    runtime: Runtime,
    keeper: OnceLock<std::thread::Thread>,
    /// Threads inside [`drive`]: driving, or waiting for the keeper to step aside.
    callers: AtomicUsize,
    keeper_driving: AtomicBool,
    /// Tells the driving keeper that a caller wants the runtime.
    want: tokio::sync::Notify,
    /// Set by [`nudge`]: the keeper takes over as soon as no caller drives.
    resume: AtomicBool,
    /// When the last caller left [`drive`], in ns since `epoch`.
    last_exit: AtomicU64,
    epoch: std::time::Instant,
}

/// How long the keeper leaves the runtime to callers after the last one left.
const KEEPER_GRACE: std::time::Duration = std::time::Duration::from_millis(1);
/// How often the keeper looks again while callers drive (the last one to leave wakes it
/// only if something asked for the keeper meanwhile).
const KEEPER_NAP: std::time::Duration = std::time::Duration::from_millis(20);

static CLIENT: OnceLock<&'static Client> = OnceLock::new();

fn client() -> &'static Client {
    CLIENT.get_or_init(|| {
        let runtime = build(&mut Builder::new_current_thread())
            .expect("the fastdimse client runtime could not start (epoll unavailable)");
        let client: &'static Client = Box::leak(Box::new(Client {
            runtime,
            keeper: OnceLock::new(),
            callers: AtomicUsize::new(0),
            keeper_driving: AtomicBool::new(false),
            want: tokio::sync::Notify::new(),
            resume: AtomicBool::new(false),
            last_exit: AtomicU64::new(0),
            epoch: std::time::Instant::now(),
        }));
        let keeper = std::thread::Builder::new()
            .name("fastdimse-scu".into())
            .spawn(move || {
                block_process_signals();
                client.keep();
            })
            .expect("the fastdimse client thread could not start");
        let _ = client.keeper.set(keeper.thread().clone());
        client
    })
}

impl Client {
    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn keep(&self) {
        loop {
            self.keeper_driving.store(true, Ordering::SeqCst);
            self.runtime.block_on(async {
                loop {
                    let wanted = self.want.notified();
                    if self.callers.load(Ordering::SeqCst) > 0 {
                        return;
                    }
                    wanted.await;
                }
            });
            self.keeper_driving.store(false, Ordering::SeqCst);
            loop {
                let nap = if self.callers.load(Ordering::SeqCst) > 0 {
                    KEEPER_NAP
                } else {
                    let idle = self
                        .now_ns()
                        .saturating_sub(self.last_exit.load(Ordering::SeqCst));
                    if self.resume.swap(false, Ordering::SeqCst)
                        || idle >= KEEPER_GRACE.as_nanos() as u64
                    {
                        break;
                    }
                    KEEPER_GRACE
                };
                std::thread::park_timeout(nap);
            }
        }
    }

    fn wake_keeper(&self) {
        self.resume.store(true, Ordering::SeqCst);
        if let Some(keeper) = self.keeper.get() {
            keeper.unpark();
        }
    }
}

/// Runs `fut` to completion on this thread, driving the client runtime meanwhile. `None`
/// (and `fut` is dropped unpolled) on a thread that is inside a runtime already, where
/// blocking on another one is not allowed.
pub(crate) fn drive<F: std::future::Future>(fut: F) -> Option<F::Output> {
    if Handle::try_current().is_ok() {
        return None;
    }
    let c = client();
    c.callers.fetch_add(1, Ordering::SeqCst);
    let _leaving = Leaving(c);
    if c.keeper_driving.load(Ordering::SeqCst) {
        c.want.notify_one();
    }
    Some(c.runtime.block_on(fut))
}

/// Counts a caller out of [`drive`], however it leaves.
struct Leaving(&'static Client);

impl Drop for Leaving {
    fn drop(&mut self) {
        let c = self.0;
        c.last_exit.store(c.now_ns(), Ordering::SeqCst);
        if c.callers.fetch_sub(1, Ordering::SeqCst) == 1 && c.resume.load(Ordering::SeqCst) {
            c.wake_keeper();
        }
    }
}

/// Something was started on the client runtime that no caller will drive it for (an
/// asyncio operation): the keeper takes over now rather than after its grace period.
pub fn nudge() {
    let c = client();
    if !c.keeper_driving.load(Ordering::SeqCst) {
        c.wake_keeper();
    }
}

/// Serializes the tests that drive the client runtime: a test that checks which thread
/// ran a task must not have another test's thread driving meanwhile.
#[cfg(test)]
pub(crate) fn test_alone() -> std::sync::MutexGuard<'static, ()> {
    static DRIVERS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    DRIVERS.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_waiting_caller_runs_the_client_tasks_on_its_own_thread() {
        let _alone = test_alone();
        // A task spawned just as the keeper steps aside may still run on the keeper, so
        // this counts: nearly every one must run on the caller's thread.
        let here = std::thread::current().id();
        let on_caller = (0..50)
            .filter(|_| {
                let ran_on = drive(async {
                    client_handle()
                        .spawn(async { std::thread::current().id() })
                        .await
                        .expect("the task ran")
                })
                .expect("not inside a runtime");
                ran_on == here
            })
            .count();
        assert!(on_caller >= 40, "only {on_caller} of 50 ran on the caller");
    }

    /// After a caller has driven and left, spawns a task (nudging the keeper first if
    /// `nudged`) and returns the name of the thread that ran it.
    fn thread_of_a_task_spawned_after_a_caller(nudged: bool) -> Option<String> {
        assert_eq!(drive(async { 1 }), Some(1));
        let (tx, rx) = std::sync::mpsc::channel();
        client_handle().spawn(async move {
            let _ = tx.send(std::thread::current().name().map(str::to_owned));
        });
        if nudged {
            nudge();
        }
        rx.recv_timeout(Duration::from_secs(5)).expect("task ran")
    }

    #[test]
    fn the_keeper_drives_once_the_callers_are_gone() {
        let _alone = test_alone();
        // Without a nudge the keeper runs it after its grace period.
        let ran_on = thread_of_a_task_spawned_after_a_caller(false);
        assert_eq!(ran_on.as_deref(), Some("fastdimse-scu"));
    }

    #[test]
    fn a_nudged_task_runs_on_the_keeper() {
        let _alone = test_alone();
        let ran_on = thread_of_a_task_spawned_after_a_caller(true);
        assert_eq!(ran_on.as_deref(), Some("fastdimse-scu"));
    }

    #[test]
    fn callers_on_several_threads_all_finish() {
        let _alone = test_alone();
        let threads: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    (0..200)
                        .map(|_| {
                            drive(async move {
                                client_handle().spawn(async move { i }).await.unwrap()
                            })
                            .unwrap()
                        })
                        .sum::<u32>()
                })
            })
            .collect();
        let sums: Vec<u32> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(sums, vec![0, 200, 400, 600]);
    }

    #[test]
    fn inside_a_runtime_drive_declines() {
        let _alone = test_alone();
        let rt = Builder::new_current_thread().build().unwrap();
        let _guard = rt.enter();
        assert_eq!(drive(async { 3 }), None);
    }
}
