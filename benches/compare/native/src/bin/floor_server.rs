//! The TCP floor's server: for each connection, read a request of the first size, answer
//! with the reply size, and cycle through the pattern until the peer closes.
//!
//! `floor_server --pattern 80:90` is the ping-pong floor; `--pattern 287:194,80:90,10:10`
//! is the association-shaped one. Prints `PORT <n>` once listening on 127.0.0.1.
//!
//! `--spin 1` makes it the busy-poll floor's server: each connection's socket is
//! non-blocking and its thread spins on it (`fastdimse_compare::busy`) instead of sleeping
//! in `recv`, from the connection's accept to its close. Only `accept` blocks.
//!
//! A fixed pool of threads (`--workers`, default 96) each accept and serve one connection at
//! a time: a new connection wakes a sleeping thread instead of spawning one, so the floor
//! pays no thread creation (which, on a loaded machine, costs a scheduler tick).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use fastdimse_compare::args::Args;
use fastdimse_compare::busy;

fn parse_pattern(text: &str) -> Option<Vec<(usize, usize)>> {
    text.split(',')
        .map(|pair| {
            let (rq, rp) = pair.split_once(':')?;
            Some((rq.trim().parse().ok()?, rp.trim().parse().ok()?))
        })
        .collect()
}

fn serve(mut stream: TcpStream, pattern: &[(usize, usize)], spin: bool) {
    let _ = stream.set_nodelay(true);
    if spin && stream.set_nonblocking(true).is_err() {
        return;
    }
    let largest = pattern.iter().map(|&(a, b)| a.max(b)).max().unwrap_or(0);
    let mut rq = vec![0u8; largest];
    let rp = vec![0x5au8; largest];
    loop {
        for &(rq_len, rp_len) in pattern {
            let answered = if spin {
                busy::read_exact(&mut stream, &mut rq[..rq_len])
                    .and_then(|()| busy::write_all(&mut stream, &rp[..rp_len]))
            } else {
                stream
                    .read_exact(&mut rq[..rq_len])
                    .and_then(|()| stream.write_all(&rp[..rp_len]))
            };
            if answered.is_err() {
                return;
            }
        }
    }
}

fn main() {
    let args = Args::parse();
    let port: u16 = args.get("port", 0);
    let pattern_text: String = args.get("pattern", "80:90".to_string());
    let Some(pattern) = parse_pattern(&pattern_text).filter(|p| !p.is_empty()) else {
        eprintln!("bad --pattern {pattern_text}");
        std::process::exit(2);
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| {
        eprintln!("bind: {e}");
        std::process::exit(1);
    });
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    println!("PORT {port}");
    let workers: usize = args.get("workers", 96);
    let spin = args.get::<u8>("spin", 0) != 0;
    let pattern: &'static [(usize, usize)] = Box::leak(pattern.into_boxed_slice());
    let listener: &'static TcpListener = Box::leak(Box::new(listener));
    let pool: Vec<_> = (0..workers.max(1))
        .map(|_| {
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    serve(stream, pattern, spin);
                }
            })
        })
        .collect();
    for t in pool {
        let _ = t.join();
    }
}
