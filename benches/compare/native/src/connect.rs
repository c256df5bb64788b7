//! Opening client connections, optionally from many loopback source addresses.
//!
//! Linux gives `connect()` the even half of `ip_local_port_range` (14,116 ports by default)
//! and reuses a port held in TIME_WAIT only after a second, so one source address cannot open
//! more than about 14,000 connections per second to one server port, whatever the server.
//! Associations/s runs therefore spread their connections over 127.0.0.2 .. 127.0.0.254, as
//! clients on many hosts would; every server under test and the floor get the same client.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

static NEXT_SOURCE: AtomicU32 = AtomicU32::new(0);
const SOURCES: u32 = 253;

/// Connects to `addr` with TCP_NODELAY; with `spread`, from the next loopback source address.
pub fn connect(addr: SocketAddr, timeout: Duration, spread: bool) -> io::Result<TcpStream> {
    let stream = if spread {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        let n = NEXT_SOURCE.fetch_add(1, Ordering::Relaxed) % SOURCES;
        let source = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 2 + n as u8), 0);
        socket.bind(&SocketAddr::V4(source).into())?;
        socket.connect_timeout(&addr.into(), timeout)?;
        TcpStream::from(socket)
    } else {
        TcpStream::connect_timeout(&addr, timeout)?
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}
