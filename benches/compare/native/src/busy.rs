//! Busy-poll I/O for the busy-poll floor: a non-blocking socket tried again and again until
//! the bytes are through, never a wait in the kernel (no blocking call, no poll/epoll).
//!
//! Between two tries that found nothing, the thread calls `sched_yield` (as fastdimse's own
//! polling does, `rust/net/spin.rs`): it never sleeps, but when the peer is runnable on the
//! same vCPU (another process took the other one) the peer goes first instead of waiting for
//! the end of this thread's time slice. With a vCPU each, the yield returns at once.
//! Measured on the 2-vCPU guest with other builds running (load average 4.6): a pure spin
//! (`spin_loop` hint only) made 135-5,700 round trips/s, one time slice per half trip
//! whenever both ends shared a vCPU; with the yield, 9,000-51,000/s in the same minute.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;

/// Reads exactly `buf.len()` bytes from a non-blocking `stream`, spinning until they came.
/// The peer closing the connection first is an `UnexpectedEof` error.
pub fn read_exact(stream: &mut TcpStream, buf: &mut [u8]) -> std::io::Result<()> {
    let mut got = 0;
    while got < buf.len() {
        match stream.read(&mut buf[got..]) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::yield_now(),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes all of `buf` to a non-blocking `stream`, spinning while the send buffer is full
/// (it never is for the floor's 80 and 90 bytes; the loop is for correctness).
pub fn write_all(stream: &mut TcpStream, buf: &[u8]) -> std::io::Result<()> {
    let mut sent = 0;
    while sent < buf.len() {
        match stream.write(&buf[sent..]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::yield_now(),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
