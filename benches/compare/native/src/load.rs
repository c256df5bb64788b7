//! Repeat an operation from several threads until a deadline or a total count.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::args::Args;

/// Stop a run early once this many operations failed: a dead server fails fast and would
/// otherwise spin.
const MAX_FAILURES: u64 = 1000;

/// What frames a measured run: untimed operations before it, and the server process whose
/// CPU is counted over the measured part only.
///
/// Why a warm-up: on this 2-vCPU VM a ping-pong pair that has just started runs 3-10x
/// faster for its first 0.1-0.3 s (the scheduler keeps both ends on one vCPU until their
/// load averages build up, then spreads them over two; measured: the first 10,000 round
/// trips of the floor at about 200k/s, then 20-30k/s). A short run measured mostly that
/// phase, and how long it lasts differs from one pair of processes to the next.
#[derive(Clone, Copy, Default)]
pub struct Window {
    pub warmup: Duration,
    pub server_pid: Option<u32>,
}

impl Window {
    /// `--warmup S` (seconds, default 0) and `--server-pid P` (default: none).
    pub fn from_args(args: &Args) -> Self {
        let warmup: f64 = args.get("warmup", 0.0);
        let pid: u32 = args.get("server-pid", 0);
        Window {
            warmup: Duration::from_secs_f64(if warmup.is_finite() {
                warmup.max(0.0)
            } else {
                0.0
            }),
            server_pid: (pid != 0).then_some(pid),
        }
    }

    fn server_cpu(&self) -> Option<f64> {
        self.server_pid.map(crate::cpu::pid_seconds)
    }
}

/// The fields every run reports: counts, time, and the CPU of both ends.
fn counts(
    ok: u64,
    failed: u64,
    elapsed: Duration,
    client_cpu: f64,
    server_cpu: Option<f64>,
) -> crate::report::Report {
    crate::report::Report::new()
        .int("ok", ok)
        .int("failed", failed)
        .num("secs", elapsed.as_secs_f64())
        .num("client_cpu", client_cpu)
        .num_if("server_cpu", server_cpu)
}

/// What a load run did.
pub struct Outcome {
    pub ok: u64,
    pub failed: u64,
    /// From the first start to the last operation's end.
    pub elapsed: Duration,
    /// The first failure's message, if any.
    pub first_error: Option<String>,
    /// The server's CPU seconds over the measured part, when its process was given.
    pub server_cpu: Option<f64>,
    /// This process's CPU seconds over the measured part.
    pub client_cpu: f64,
    /// Latency of the successful operations: median, 99th percentile, maximum.
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Outcome {
    /// Adds the fields every load run reports.
    pub fn report(&self) -> crate::report::Report {
        counts(
            self.ok,
            self.failed,
            self.elapsed,
            self.client_cpu,
            self.server_cpu,
        )
        .num("p50_us", self.p50.as_secs_f64() * 1e6)
        .num("p99_us", self.p99.as_secs_f64() * 1e6)
        .num("max_us", self.max.as_secs_f64() * 1e6)
        .text("error", self.first_error.as_deref().unwrap_or(""))
    }
}

/// Runs `op` from `threads` threads, each starting operations while fewer than `max_ops`
/// were started and `duration` has not passed, after `window.warmup` of untimed ones from
/// the same threads. Operations under way at the deadline finish.
pub fn run<F>(threads: usize, window: Window, duration: Duration, max_ops: u64, op: F) -> Outcome
where
    F: Fn() -> Result<(), String> + Sync,
{
    let threads = threads.max(1);
    let started = AtomicU64::new(0);
    let ok = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let first_error = Mutex::new(None);
    let latencies = Mutex::new(Vec::new());
    let warm_until = Instant::now() + window.warmup;
    let barrier = Barrier::new(threads);
    // When the timed part starts, with the server's and this process's CPU then: taken by
    // the first thread past the barrier, the others wait for it.
    let start: OnceLock<(Instant, Option<f64>, f64)> = OnceLock::new();
    let begin = || {
        (
            Instant::now(),
            window.server_cpu(),
            crate::cpu::process_seconds(),
        )
    };
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while Instant::now() < warm_until {
                    if let Err(e) = op() {
                        failed.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut slot) = first_error.lock() {
                            slot.get_or_insert(format!("during the warm-up: {e}"));
                        }
                        break;
                    }
                }
                barrier.wait();
                let deadline = start.get_or_init(begin).0 + duration;
                let mut mine = Vec::new();
                loop {
                    if Instant::now() >= deadline || failed.load(Ordering::Relaxed) >= MAX_FAILURES
                    {
                        break;
                    }
                    if started.fetch_add(1, Ordering::Relaxed) >= max_ops {
                        break;
                    }
                    let t = Instant::now();
                    match op() {
                        Ok(()) => {
                            mine.push(t.elapsed());
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            if let Ok(mut slot) = first_error.lock() {
                                slot.get_or_insert(e);
                            }
                        }
                    }
                }
                if let Ok(mut all) = latencies.lock() {
                    all.extend(mine);
                }
            });
        }
    });
    let (t0, server0, client0) = start.get().copied().unwrap_or_else(begin);
    let elapsed = t0.elapsed();
    let client_cpu = crate::cpu::process_seconds() - client0;
    let server_cpu = window.server_cpu().zip(server0).map(|(b, a)| b - a);
    let mut lat = latencies.into_inner().unwrap_or_default();
    lat.sort_unstable();
    let pick = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    Outcome {
        ok: ok.into_inner(),
        failed: failed.into_inner(),
        elapsed,
        first_error: first_error.into_inner().unwrap_or(None),
        server_cpu,
        client_cpu,
        p50: pick(0.5),
        p99: pick(0.99),
        max: lat.last().copied().unwrap_or_default(),
    }
}

/// What a run of one operation after another, on one thread, did.
pub struct Sequence {
    pub ok: u64,
    pub failed: u64,
    pub elapsed: Duration,
    /// Process CPU seconds spent during the run.
    pub client_cpu: f64,
    /// The failure's message, if any.
    pub error: String,
    /// The server's CPU seconds over the measured part, when its process was given.
    pub server_cpu: Option<f64>,
}

impl Sequence {
    /// Counts a failure that came after the run (closing the connection, say).
    pub fn fail(&mut self, error: String) {
        self.failed += 1;
        self.error = error;
    }

    /// The fields every sequential run reports.
    pub fn report(&self) -> crate::report::Report {
        counts(
            self.ok,
            self.failed,
            self.elapsed,
            self.client_cpu,
            self.server_cpu,
        )
        .text("error", &self.error)
    }
}

/// Runs `op` on this thread, one after another, until `duration` has passed, `max_ops`
/// succeeded, or one failed (a broken connection does not recover); before that, for
/// `window.warmup`, untimed.
pub fn sequence<F>(window: Window, duration: Duration, max_ops: u64, mut op: F) -> Sequence
where
    F: FnMut() -> Result<(), String>,
{
    let warm_until = Instant::now() + window.warmup;
    while Instant::now() < warm_until {
        if let Err(e) = op() {
            return Sequence {
                ok: 0,
                failed: 1,
                elapsed: Duration::ZERO,
                client_cpu: 0.0,
                error: format!("during the warm-up: {e}"),
                server_cpu: None,
            };
        }
    }
    let server0 = window.server_cpu();
    let cpu0 = crate::cpu::process_seconds();
    let t0 = Instant::now();
    let deadline = t0 + duration;
    let (mut ok, mut failed, mut error) = (0u64, 0u64, String::new());
    while ok < max_ops && Instant::now() < deadline {
        match op() {
            Ok(()) => ok += 1,
            Err(e) => {
                failed += 1;
                error = e;
                break;
            }
        }
    }
    Sequence {
        ok,
        failed,
        elapsed: t0.elapsed(),
        client_cpu: crate::cpu::process_seconds() - cpu0,
        error,
        server_cpu: window.server_cpu().zip(server0).map(|(b, a)| b - a),
    }
}

/// The `assoc` mode of every client: `op` from `threads` threads, then the report printed.
pub fn print_concurrent<F>(threads: usize, window: Window, duration: Duration, max_ops: u64, op: F)
where
    F: Fn() -> Result<(), String> + Sync,
{
    run(threads, window, duration, max_ops, op).report().print();
}
