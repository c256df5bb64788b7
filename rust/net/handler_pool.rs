//! The threads that run the layer above's hooks (C-ECHO handlers, event notifications,
//! user identity checks): the most recently idle one takes the next, and it is woken
//! after every lock is released.
//!
//! Why not tokio's blocking pool (`spawn_blocking`), which ran them before: it wakes an
//! idle thread while still holding the pool's lock, so the woken thread, preempting the
//! I/O thread on a busy vCPU, finds the lock taken and sleeps again until it is released.
//! On one vCPU that cost 4.4 context switches per handled echo where 2 are needed (the
//! I/O thread's and the handler's). And it wakes whichever idle thread waited longest,
//! where the one that just finished a handler still has the interpreter's state warm.
//!
//! A handler may block for as long as its user code likes, so the pool grows a thread for
//! every handler running at once (up to [`MAX_THREADS`]; beyond that, requests wait in
//! order), and a thread idle for [`KEEP_ALIVE`] ends.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// One handler run.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// The most handler threads at once (tokio's blocking pool had the same default).
pub(crate) const MAX_THREADS: usize = 512;
/// How long an idle handler thread waits for work before it ends.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(300);

/// An idle thread's mailbox: a job is put here, then the thread is woken.
#[derive(Default)]
struct Mailbox {
    job: Mutex<Option<Job>>,
    ready: Condvar,
}

impl Mailbox {
    fn put(&self, job: Job) {
        *lock(&self.job) = Some(job);
        self.ready.notify_one();
    }

    /// Waits for a job until `deadline`; `None` if none came (`None` deadline: no limit).
    fn wait(&self, deadline: Option<Instant>) -> Option<Job> {
        let mut slot = lock(&self.job);
        loop {
            if let Some(job) = slot.take() {
                return Some(job);
            }
            match deadline {
                None => slot = self.ready.wait(slot).unwrap_or_else(|e| e.into_inner()),
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return None;
                    }
                    slot = self
                        .ready
                        .wait_timeout(slot, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }
}

#[derive(Default)]
struct State {
    /// Jobs no thread was free for, in arrival order.
    queue: VecDeque<Job>,
    /// Idle threads' mailboxes, the most recently idle last.
    idle: Vec<Arc<Mailbox>>,
    threads: usize,
}

/// See the module docs.
pub(crate) struct HandlerPool {
    state: Mutex<State>,
    max_threads: usize,
    keep_alive: Duration,
    name: &'static str,
    on_start: fn(),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl HandlerPool {
    pub(crate) fn new(
        name: &'static str,
        max_threads: usize,
        keep_alive: Duration,
        on_start: fn(),
    ) -> Self {
        Self {
            state: Mutex::new(State::default()),
            max_threads: max_threads.max(1),
            keep_alive,
            name,
            on_start,
        }
    }

    /// Runs `job` on an idle thread (the most recently idle), a new one, or, with
    /// [`MAX_THREADS`] busy, the first that becomes free.
    pub(crate) fn spawn(self: &Arc<Self>, job: Job) {
        let mut state = lock(&self.state);
        if let Some(mailbox) = state.idle.pop() {
            drop(state);
            mailbox.put(job);
            return;
        }
        if state.threads < self.max_threads {
            state.threads += 1;
            drop(state);
            // The job reaches the new thread through this cell, so that it can be taken
            // back if no thread can be started.
            let first = Arc::new(Mutex::new(Some(job)));
            let pool = Arc::clone(self);
            let handed = Arc::clone(&first);
            let started = std::thread::Builder::new()
                .name(self.name.into())
                .spawn(move || {
                    let job = lock(&handed).take();
                    pool.work(job)
                });
            if started.is_err() {
                let job = lock(&first).take();
                let mut state = lock(&self.state);
                state.threads -= 1;
                let Some(job) = job else { return };
                if state.threads > 0 {
                    // A running thread takes it when it is free.
                    state.queue.push_back(job);
                    return;
                }
                drop(state);
                crate::net::log::error(format_args!(
                    "no handler thread could be started: running the handler on this thread"
                ));
                job();
            }
            return;
        }
        state.queue.push_back(job);
    }

    /// A thread's life: its first job, then queued jobs or jobs handed to its mailbox.
    fn work(self: Arc<Self>, first: Option<Job>) {
        (self.on_start)();
        let mailbox = Arc::new(Mailbox::default());
        let mut job = first;
        loop {
            if let Some(run) = job.take() {
                // A job that panics must not take its thread, and the pool's count, with it.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
            }
            let mut state = lock(&self.state);
            if let Some(next) = state.queue.pop_front() {
                job = Some(next);
                continue;
            }
            state.idle.push(Arc::clone(&mailbox));
            drop(state);
            job = mailbox.wait(Some(Instant::now() + self.keep_alive));
            if job.is_some() {
                continue;
            }
            // Idle for the keep-alive: end, unless a job was handed over meanwhile.
            let mut state = lock(&self.state);
            match state.idle.iter().position(|m| Arc::ptr_eq(m, &mailbox)) {
                Some(at) => {
                    state.idle.remove(at);
                    state.threads -= 1;
                    return;
                }
                None => {
                    drop(state);
                    job = mailbox.wait(None);
                }
            }
        }
    }

    #[cfg(test)]
    fn threads(&self) -> usize {
        lock(&self.state).threads
    }
}

/// Runs `f` on the handler pool and waits for its result without blocking the I/O
/// thread; `None` if `f` panicked.
pub(crate) async fn run<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Option<R> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    handler_pool().spawn(Box::new(move || {
        if let Ok(value) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            let _ = tx.send(value);
        }
    }));
    rx.await.ok()
}

/// The process's handler pool, started on first use.
pub(crate) fn handler_pool() -> &'static Arc<HandlerPool> {
    static POOL: OnceLock<Arc<HandlerPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        Arc::new(HandlerPool::new(
            "fastdimse-handler",
            MAX_THREADS,
            KEEP_ALIVE,
            super::sys::block_process_signals,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn pool(max: usize, keep_alive: Duration) -> Arc<HandlerPool> {
        Arc::new(HandlerPool::new("test-handler", max, keep_alive, || {}))
    }

    /// Each of 0..n arrives on `rx` exactly once (in any order), within 5 s each.
    fn assert_all_arrive(rx: &mpsc::Receiver<i32>, n: i32) {
        let mut got: Vec<i32> = (0..n)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn a_job_after_a_thread_parked_again_goes_to_that_thread() {
        let pool = pool(8, KEEP_ALIVE);
        let (tx, rx) = mpsc::channel();
        let mut ids = std::collections::HashSet::new();
        for i in 0..10 {
            let tx = tx.clone();
            pool.spawn(Box::new(move || {
                tx.send((i, std::thread::current().id())).unwrap();
            }));
            let (got, id) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            assert_eq!(got, i);
            ids.insert(id);
            // As one association's requests come: the next after the answer.
            while lock(&pool.state).idle.is_empty() {
                std::thread::yield_now();
            }
        }
        assert_eq!(ids.len(), 1);
        assert_eq!(pool.threads(), 1);
    }

    #[test]
    fn jobs_spawned_back_to_back_all_run() {
        let pool = pool(8, KEEP_ALIVE);
        let (tx, rx) = mpsc::channel();
        for i in 0..50 {
            let tx = tx.clone();
            pool.spawn(Box::new(move || tx.send(i).unwrap()));
        }
        assert_all_arrive(&rx, 50);
        assert!(pool.threads() <= 8);
    }

    #[test]
    fn blocked_jobs_get_threads_of_their_own_up_to_the_limit_then_queue() {
        let pool = pool(3, KEEP_ALIVE);
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let (tx, rx) = mpsc::channel();
        for i in 0..5 {
            let (gate, tx) = (Arc::clone(&gate), tx.clone());
            pool.spawn(Box::new(move || {
                tx.send(("started", i)).unwrap();
                let mut open = lock(&gate.0);
                while !*open {
                    open = gate.1.wait(open).unwrap();
                }
                tx.send(("done", i)).unwrap();
            }));
        }
        let mut started: Vec<i32> = (0..3)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap().1)
            .collect();
        started.sort_unstable();
        assert_eq!(started, vec![0, 1, 2]);
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
        assert_eq!(pool.threads(), 3);
        *lock(&gate.0) = true;
        gate.1.notify_all();
        let rest: Vec<_> = (0..7)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert_eq!(rest.iter().filter(|(what, _)| *what == "done").count(), 5);
        assert_eq!(
            rest.iter().filter(|(what, _)| *what == "started").count(),
            2
        );
    }

    #[test]
    fn an_idle_thread_ends_after_the_keep_alive_and_the_pool_starts_another() {
        let pool = pool(4, Duration::from_millis(50));
        let (tx, rx) = mpsc::channel();
        let t = tx.clone();
        pool.spawn(Box::new(move || t.send(1).unwrap()));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 1);
        let deadline = Instant::now() + Duration::from_secs(5);
        while pool.threads() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(pool.threads(), 0);
        pool.spawn(Box::new(move || tx.send(2).unwrap()));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 2);
    }

    #[test]
    fn a_job_that_panics_leaves_its_thread_serving() {
        let pool = pool(1, KEEP_ALIVE);
        pool.spawn(Box::new(|| panic!("a handler's bug")));
        let (tx, rx) = mpsc::channel();
        pool.spawn(Box::new(move || {
            tx.send(std::thread::current().name().map(String::from))
                .unwrap()
        }));
        let name = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(name.as_deref(), Some("test-handler"));
        assert_eq!(pool.threads(), 1);
    }

    #[test]
    fn many_producers_lose_no_job() {
        let pool = pool(16, KEEP_ALIVE);
        let (tx, rx) = mpsc::channel();
        let producers: Vec<_> = (0..4)
            .map(|p| {
                let (pool, tx) = (Arc::clone(&pool), tx.clone());
                std::thread::spawn(move || {
                    for i in 0..500 {
                        let tx = tx.clone();
                        pool.spawn(Box::new(move || tx.send(p * 500 + i).unwrap()));
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        assert_all_arrive(&rx, 2000);
        assert!(pool.threads() <= 16);
    }
}
