//! The transport seam: the byte streams an association can run over.
//!
//! The engine (`association`) reads PDUs from a [`ReadSide`] and writes them to a
//! [`WriteSide`]; it does not care what carries the bytes. Two kinds exist:
//!
//! - [`Conn::Tcp`]: a plain TCP connection. It keeps the fast paths that need the socket
//!   itself: a `recv` tried before the task waits, the adaptive poll before it sleeps
//!   (`spin`), and non-blocking `send`s from the thread that produced a message
//!   (`link::Link`).
//! - [`Conn::Stream`]: any other stream that implements tokio's `AsyncRead + AsyncWrite`
//!   (an in-memory pipe in tests, TLS over TCP). Every byte goes through the association's
//!   task, with plain async reads and writes.
//!
//! What the engine enforces (PDU size limits, the stall limit, ARTIM, the ACSE, DIMSE and
//! network timeouts) is the same for both, because it is done above this seam.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::sys::{AsRawFd, RawFd};
use crate::tls::CertIdentity;

/// A byte stream other than plain TCP that an association can run over.
pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static> AsyncStream for T {}

/// A boxed [`AsyncStream`].
pub type BoxedStream = Box<dyn AsyncStream>;

/// A connection to run one association over, with the addresses the layer above reports.
pub enum Conn {
    /// Plain TCP, with the socket-level fast paths.
    Tcp(TcpStream),
    /// Any other byte stream (TLS, an in-memory pipe).
    Stream {
        stream: BoxedStream,
        peer: SocketAddr,
        local: SocketAddr,
        /// Who the peer's certificate names, when the stream is TLS and it sent one.
        peer_certificate: Option<CertIdentity>,
        /// The TCP socket under the stream (TLS), watched (never read or written) by the
        /// adaptive poll before a wait sleeps.
        poll_fd: Option<RawFd>,
    },
}

impl Conn {
    /// A connection over `stream`, reporting `peer` and `local` as its addresses.
    pub fn stream(stream: impl AsyncStream, peer: SocketAddr, local: SocketAddr) -> Self {
        Conn::Stream {
            stream: Box::new(stream),
            peer,
            local,
            peer_certificate: None,
            poll_fd: None,
        }
    }

    /// The same connection, with the TCP socket under the stream to watch while polling.
    /// The socket must live as long as the stream (it is the stream's own).
    pub fn with_poll_fd(mut self, fd: RawFd) -> Self {
        if let Conn::Stream { poll_fd, .. } = &mut self {
            *poll_fd = Some(fd);
        }
        self
    }

    /// The socket the adaptive poll watches: the TCP socket itself, or the one under TLS.
    pub(crate) fn poll_fd(&self) -> Option<RawFd> {
        match self {
            Conn::Tcp(s) => Some(s.as_raw_fd()),
            Conn::Stream { poll_fd, .. } => *poll_fd,
        }
    }

    /// The same connection, with the identity the peer's certificate gave.
    pub fn with_peer_certificate(mut self, identity: Option<CertIdentity>) -> Self {
        if let Conn::Stream {
            peer_certificate, ..
        } = &mut self
        {
            *peer_certificate = identity;
        }
        self
    }

    /// Who the peer's certificate names (TLS only).
    pub(crate) fn peer_certificate(&self) -> Option<&CertIdentity> {
        match self {
            Conn::Tcp(_) => None,
            Conn::Stream {
                peer_certificate, ..
            } => peer_certificate.as_ref(),
        }
    }

    /// The socket descriptor, for the fast paths that need it (TCP only).
    pub(crate) fn raw_fd(&self) -> Option<RawFd> {
        match self {
            Conn::Tcp(s) => Some(s.as_raw_fd()),
            Conn::Stream { .. } => None,
        }
    }

    /// (peer, local) addresses.
    pub(crate) fn addresses(&self) -> io::Result<(SocketAddr, SocketAddr)> {
        match self {
            Conn::Tcp(s) => {
                let peer = s.peer_addr()?;
                Ok((peer, s.local_addr().unwrap_or(peer)))
            }
            Conn::Stream { peer, local, .. } => Ok((*peer, *local)),
        }
    }

    /// Sets TCP_NODELAY where there is a TCP socket to set it on.
    pub(crate) fn set_nodelay(&self) {
        if let Conn::Tcp(s) = self {
            let _ = s.set_nodelay(true);
        }
    }

    pub(crate) fn split(self) -> (ReadSide, WriteSide) {
        match self {
            Conn::Tcp(s) => {
                let (r, w) = s.into_split();
                (ReadSide::Tcp(r), WriteSide::Tcp(w))
            }
            Conn::Stream {
                stream, poll_fd, ..
            } => {
                let (r, w) = tokio::io::split(stream);
                (ReadSide::Stream(r, poll_fd), WriteSide::Stream(w))
            }
        }
    }
}

/// The read side of a [`Conn`].
pub(crate) enum ReadSide {
    Tcp(OwnedReadHalf),
    /// The stream's read half, and the TCP socket under it to watch while polling.
    Stream(tokio::io::ReadHalf<BoxedStream>, Option<RawFd>),
}

impl ReadSide {
    /// The TCP half, for the reads that go to the socket directly.
    pub(crate) fn tcp(&self) -> Option<&OwnedReadHalf> {
        match self {
            ReadSide::Tcp(h) => Some(h),
            ReadSide::Stream(..) => None,
        }
    }

    /// The socket the adaptive poll may watch for readability.
    pub(crate) fn poll_fd(&self) -> Option<RawFd> {
        match self {
            ReadSide::Tcp(h) => Some(h.as_ref().as_raw_fd()),
            ReadSide::Stream(_, fd) => *fd,
        }
    }

    /// Waits until bytes arrive and reads them into `buf`; 0 at the end of the stream.
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ReadSide::Tcp(h) => h.read(buf).await,
            ReadSide::Stream(h, _) => h.read(buf).await,
        }
    }
}

/// The write side of a [`Conn`]: only the association's task writes through it.
pub(crate) enum WriteSide {
    Tcp(OwnedWriteHalf),
    Stream(tokio::io::WriteHalf<BoxedStream>),
}

impl WriteSide {
    /// Writes what the socket takes now without waiting. Streams other than TCP take
    /// nothing this way (`WouldBlock`): their bytes go through [`WriteSide::write_all`].
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            WriteSide::Tcp(h) => h.try_write(buf),
            WriteSide::Stream(_) => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// True for the kind that [`WriteSide::try_write`] can write to.
    pub(crate) fn is_tcp(&self) -> bool {
        matches!(self, WriteSide::Tcp(_))
    }

    /// Waits until the TCP socket can take more bytes (other streams: at once).
    pub(crate) async fn writable(&self) -> io::Result<()> {
        match self {
            WriteSide::Tcp(h) => h.writable().await,
            WriteSide::Stream(_) => Ok(()),
        }
    }

    /// Writes all of `buf` and flushes it (a TLS record is sent, not buffered).
    pub(crate) async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            WriteSide::Tcp(h) => h.write_all(buf).await,
            WriteSide::Stream(h) => {
                h.write_all(buf).await?;
                h.flush().await
            }
        }
    }

    /// Shuts down the write direction (TCP FIN; TLS close_notify, then FIN).
    pub(crate) async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            WriteSide::Tcp(h) => h.shutdown().await,
            WriteSide::Stream(h) => h.shutdown().await,
        }
    }

    /// Drops the write side without a second `shutdown(2)` for TCP (the task shut it down
    /// already, or the peer closed first).
    pub(crate) fn forget(self) {
        match self {
            WriteSide::Tcp(h) => h.forget(),
            WriteSide::Stream(h) => drop(h),
        }
    }
}
