//! A minimal C-ECHO client that speaks raw bytes (see `wire`), independent of fastdimse.
//!
//! - `echo --port P --secs S --max N`: one association, C-ECHOs back to back.
//! - `assoc --port P --threads C --secs S --max N`: associate, one C-ECHO, release, from C
//!   threads at once; failures counted.
//! - `hold --port P --count N --threads T`: open N associations and keep them; print a
//!   `{"ready": ...}` line, wait for a line on stdin, release them all, print the result.
//!
//! `--timeout T` (seconds, default 10) bounds every connect and read: an operation the peer
//! leaves waiting that long counts as failed.

use std::io::BufRead;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fastdimse_compare::args::Args;
use fastdimse_compare::load;
use fastdimse_compare::report::Report;
use fastdimse_compare::wire::{self, RawAssociation};

fn one_association(addr: SocketAddr, rq: &[u8], timeout: Duration) -> Result<(), String> {
    let mut assoc = wire::associate(addr, rq, timeout, true)?;
    assoc.echo()?;
    assoc.release()
}

fn echo(addr: SocketAddr, rq: &[u8], timeout: Duration, window: load::Window, secs: f64, max: u64) {
    let mut assoc = wire::associate(addr, rq, timeout, false).unwrap_or_else(|e| {
        eprintln!("associate: {e}");
        std::process::exit(1);
    });
    let mut run = load::sequence(window, Duration::from_secs_f64(secs), max, || assoc.echo());
    if run.failed == 0 {
        if let Err(e) = assoc.release() {
            run.fail(e);
        }
    }
    run.report().print();
}

/// Opens `count` associations from `threads` threads; returns those that succeeded and the
/// number that failed.
fn open_many(
    addr: SocketAddr,
    rq: &[u8],
    timeout: Duration,
    count: usize,
    threads: usize,
) -> (Vec<RawAssociation>, usize, String) {
    let threads = threads.clamp(1, count.max(1));
    let per_thread = count.div_ceil(threads);
    let results: Vec<(Vec<RawAssociation>, usize, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let n = per_thread.min(count.saturating_sub(t * per_thread));
                s.spawn(move || {
                    let (mut held, mut failed, mut error) =
                        (Vec::with_capacity(n), 0, String::new());
                    for _ in 0..n {
                        match wire::associate(addr, rq, timeout, true) {
                            Ok(a) => held.push(a),
                            Err(e) => {
                                failed += 1;
                                error = e;
                            }
                        }
                    }
                    (held, failed, error)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut all = Vec::with_capacity(count);
    let (mut failed, mut error) = (0, String::new());
    for (held, f, e) in results {
        all.extend(held);
        failed += f;
        if !e.is_empty() {
            error = e;
        }
    }
    (all, failed, error)
}

fn hold(addr: SocketAddr, rq: &[u8], timeout: Duration, count: usize, threads: usize) {
    let t0 = Instant::now();
    let (held, failed, error) = open_many(addr, rq, timeout, count, threads);
    Report::new()
        .int("ready", held.len() as u64)
        .int("failed", failed as u64)
        .num("secs", t0.elapsed().as_secs_f64())
        .text("error", &error)
        .print();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    // Release them all: proves each was still alive after the idle period.
    let n_chunks = threads.max(1);
    let mut chunks: Vec<Vec<RawAssociation>> = (0..n_chunks).map(|_| Vec::new()).collect();
    for (i, a) in held.into_iter().enumerate() {
        chunks[i % n_chunks].push(a);
    }
    let t1 = Instant::now();
    let (released, not_released) = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    let (mut ok, mut bad) = (0u64, 0u64);
                    for a in chunk {
                        match a.release() {
                            Ok(()) => ok += 1,
                            Err(_) => bad += 1,
                        }
                    }
                    (ok, bad)
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .fold((0, 0), |acc, r| (acc.0 + r.0, acc.1 + r.1))
    });
    Report::new()
        .int("released", released)
        .int("not_released", not_released)
        .num("secs", t1.elapsed().as_secs_f64())
        .print();
}

fn main() {
    let args = Args::parse();
    let port: u16 = args.get("port", 0);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let rq = wire::associate_rq("FDBENCH", &args.get("called", "ANY-SCP".to_string()));
    let secs: f64 = args.get("secs", 1.0);
    let max: u64 = args.get("max", u64::MAX);
    let window = load::Window::from_args(&args);
    let timeout = Duration::from_secs_f64(args.get("timeout", 10.0_f64).max(0.001));
    match args.mode.as_str() {
        "echo" => echo(addr, &rq, timeout, window, secs, max),
        "assoc" => load::print_concurrent(
            args.get("threads", 1),
            window,
            Duration::from_secs_f64(secs),
            max,
            || one_association(addr, &rq, timeout),
        ),
        "hold" => hold(
            addr,
            &rq,
            timeout,
            args.get("count", 1000),
            args.get("threads", 8),
        ),
        m => {
            eprintln!("unknown mode {m:?} (echo | assoc | hold)");
            std::process::exit(2);
        }
    }
}
