//! Repeat an operation from several threads until a deadline or a total count.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Stop a run early once this many operations failed: a dead server fails fast and would
/// otherwise spin.
const MAX_FAILURES: u64 = 1000;

/// What a load run did.
pub struct Outcome {
    pub ok: u64,
    pub failed: u64,
    /// From the first start to the last operation's end.
    pub elapsed: Duration,
    /// The first failure's message, if any.
    pub first_error: Option<String>,
    /// Latency of the successful operations: median, 99th percentile, maximum.
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Outcome {
    /// Adds the fields every load run reports.
    pub fn report(&self, client_cpu: f64) -> crate::report::Report {
        crate::report::Report::new()
            .int("ok", self.ok)
            .int("failed", self.failed)
            .num("secs", self.elapsed.as_secs_f64())
            .num("client_cpu", client_cpu)
            .num("p50_us", self.p50.as_secs_f64() * 1e6)
            .num("p99_us", self.p99.as_secs_f64() * 1e6)
            .num("max_us", self.max.as_secs_f64() * 1e6)
            .text("error", self.first_error.as_deref().unwrap_or(""))
    }
}

/// Runs `op` from `threads` threads, each starting operations while fewer than `max_ops`
/// were started and `duration` has not passed. Operations under way at the deadline finish.
pub fn run<F>(threads: usize, duration: Duration, max_ops: u64, op: F) -> Outcome
where
    F: Fn() -> Result<(), String> + Sync,
{
    let started = AtomicU64::new(0);
    let ok = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let first_error = Mutex::new(None);
    let latencies = Mutex::new(Vec::new());
    let t0 = Instant::now();
    let deadline = t0 + duration;
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
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
        elapsed: t0.elapsed(),
        first_error: first_error.into_inner().unwrap_or(None),
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
}

impl Sequence {
    /// Counts a failure that came after the run (closing the connection, say).
    pub fn fail(&mut self, error: String) {
        self.failed += 1;
        self.error = error;
    }

    /// The fields every sequential run reports.
    pub fn report(&self) -> crate::report::Report {
        crate::report::Report::new()
            .int("ok", self.ok)
            .int("failed", self.failed)
            .num("secs", self.elapsed.as_secs_f64())
            .num("client_cpu", self.client_cpu)
            .text("error", &self.error)
    }
}

/// Runs `op` on this thread, one after another, until `duration` has passed, `max_ops`
/// succeeded, or one failed (a broken connection does not recover).
pub fn sequence<F>(duration: Duration, max_ops: u64, mut op: F) -> Sequence
where
    F: FnMut() -> Result<(), String>,
{
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
    }
}

/// The `assoc` mode of every client: `op` from `threads` threads, then the report printed.
pub fn print_concurrent<F>(threads: usize, duration: Duration, max_ops: u64, op: F)
where
    F: Fn() -> Result<(), String> + Sync,
{
    let cpu0 = crate::cpu::process_seconds();
    let out = run(threads, duration, max_ops, op);
    out.report(crate::cpu::process_seconds() - cpu0).print();
}
