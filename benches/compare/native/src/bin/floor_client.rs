//! The TCP floor's client.
//!
//! - `pingpong --port P --secs S --max N`: one connection, 80-byte request, 90-byte reply,
//!   as many round trips as fit. With `--spin 1` (against `floor_server --spin 1`): the
//!   busy-poll floor, a non-blocking socket on which the client spins for the whole run
//!   (`fastdimse_compare::busy`), never sleeping in the kernel.
//! - `assoc --port P --threads C --secs S --max N`: connect, 287/194, 80/90, 10/10, close,
//!   from C threads at once.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use fastdimse_compare::args::Args;
use fastdimse_compare::{busy, connect, load};

const ASSOCIATION_SHAPE: [(usize, usize); 3] = [(287, 194), (80, 90), (10, 10)];

fn exchange(stream: &mut TcpStream, rq: &[u8], rp: &mut [u8]) -> std::io::Result<()> {
    stream.write_all(rq)?;
    stream.read_exact(rp)
}

fn exchange_spinning(stream: &mut TcpStream, rq: &[u8], rp: &mut [u8]) -> std::io::Result<()> {
    busy::write_all(stream, rq)?;
    busy::read_exact(stream, rp)
}

fn pingpong(port: u16, window: load::Window, secs: f64, max: u64, spin: bool) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| {
        eprintln!("connect: {e}");
        std::process::exit(1);
    });
    let _ = stream.set_nodelay(true);
    if spin {
        if let Err(e) = stream.set_nonblocking(true) {
            eprintln!("set_nonblocking: {e}");
            std::process::exit(1);
        }
    }
    let rq = [0xa5u8; 80];
    let mut rp = [0u8; 90];
    load::sequence(window, Duration::from_secs_f64(secs), max, || {
        if spin {
            exchange_spinning(&mut stream, &rq, &mut rp)
        } else {
            exchange(&mut stream, &rq, &mut rp)
        }
        .map_err(|e| format!("exchange: {e}"))
    })
    .report()
    .print();
}

fn association_shaped(port: u16) -> Result<(), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = connect::connect(addr, Duration::from_secs(10), true)
        .map_err(|e| format!("connect: {e}"))?;
    let rq = [0xa5u8; 287];
    let mut rp = [0u8; 194];
    for (rq_len, rp_len) in ASSOCIATION_SHAPE {
        exchange(&mut stream, &rq[..rq_len], &mut rp[..rp_len])
            .map_err(|e| format!("exchange: {e}"))?;
    }
    Ok(())
}

fn main() {
    let args = Args::parse();
    let port: u16 = args.get("port", 0);
    let secs: f64 = args.get("secs", 1.0);
    let max: u64 = args.get("max", u64::MAX);
    let window = load::Window::from_args(&args);
    match args.mode.as_str() {
        "pingpong" => pingpong(port, window, secs, max, args.get::<u8>("spin", 0) != 0),
        "assoc" => load::print_concurrent(
            args.get("threads", 1),
            window,
            Duration::from_secs_f64(secs),
            max,
            || association_shaped(port),
        ),
        m => {
            eprintln!("unknown mode {m:?} (pingpong | assoc)");
            std::process::exit(2);
        }
    }
}
