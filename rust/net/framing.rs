//! Splits a byte stream into whole PDUs, checking each header before its body is read.
//!
//! The reader keeps one reusable buffer per association. It never allocates what a peer
//! claims: the buffer grows only with bytes that actually arrived, and a PDU whose header
//! announces more than the limit for its type is refused as soon as the header is in.

use std::io;
use std::time::Duration;

use tokio::io::Interest;
use tokio::time::Instant;

use crate::pdu::{PduType, HEADER_LEN};

use super::runtime::{self, PollSlot};
use super::spin::{Polled, Spin};
use super::sys::{self, AsRawFd};
use super::transport::ReadSide;

/// Largest A-ASSOCIATE-RQ/AC we accept: real ones are a few KiB (128 contexts with a
/// dozen transfer syntaxes each stay well below it); DCMTK's limit is 1 MiB.
pub const MAX_ASSOCIATE_PDU: u32 = 1 << 20;
/// Ceiling for P-DATA-TF when we announced "no maximum" (0): bounds memory per association.
pub const MAX_UNLIMITED_PDATA: u32 = 64 << 20;
/// How much the buffer asks the kernel for at a time.
const READ_CHUNK: usize = 4 * 1024;

/// Limits applied to incoming PDUs, from what we announced in our maximum length sub-item.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest P-DATA-TF PDU-length we accept (our announced maximum; 0 = our ceiling).
    pub max_pdata: u32,
}

impl Limits {
    pub fn new(announced_max: u32) -> Self {
        let max_pdata = if announced_max == 0 {
            MAX_UNLIMITED_PDATA
        } else {
            announced_max
        };
        Self { max_pdata }
    }

    fn limit_for(&self, pdu_type: u8) -> u32 {
        match PduType::from_u8(pdu_type) {
            Some(PduType::PData) => self.max_pdata,
            Some(PduType::AssociateRq | PduType::AssociateAc) => MAX_ASSOCIATE_PDU,
            // Fixed-length PDUs are 4 bytes; a little slack for lenient peers.
            Some(_) => 64,
            // Unknown types are answered as soon as the header is in; their body is not read.
            None => 0,
        }
    }
}

/// What the reader produced.
#[derive(Debug)]
pub enum Frame {
    /// A whole PDU, header included: `reader.pdu()` borrows it until the next read.
    Pdu { pdu_type: u8, len: usize },
    /// A header whose type is not one of the seven PDUs.
    UnknownType(u8),
    /// A header announcing more than the limit for its type.
    TooLarge {
        pdu_type: u8,
        length: u32,
        limit: u32,
    },
    /// The peer closed the connection (`mid_pdu` if it did so inside a PDU).
    Closed { mid_pdu: bool },
    /// The peer started a PDU and did not finish it within the stall limit.
    Stalled,
}

/// Buffered PDU reader over the read side of a connection (any transport).
pub struct PduReader {
    half: ReadSide,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Length of the PDU returned last, consumed on the next call.
    pending_consume: usize,
    pub limits: Limits,
    /// How long a started PDU may take to arrive completely; `None` waits forever.
    pub stall: Option<Duration>,
    /// When the first bytes of the unfinished PDU in the buffer were seen.
    partial_since: Option<Instant>,
    /// Polls the socket before waiting for it (accepted associations: [`PduReader::poll_first`]).
    spin: Option<Spin>,
    /// Cleared while the association has work elsewhere (a Python handler answering): the
    /// peer's next PDU waits for that, and a poll would only take CPU the handler needs.
    pub poll_allowed: bool,
}

impl PduReader {
    pub(crate) fn new(half: ReadSide, limits: Limits) -> Self {
        Self {
            half,
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            pending_consume: 0,
            limits,
            stall: None,
            partial_since: None,
            spin: None,
            poll_allowed: true,
        }
    }

    /// Before each wait for the peer, polls the socket for a window that adapts to how soon
    /// the peer's next PDU comes ([`super::spin`]), holding this worker meanwhile, but only
    /// while another worker of the runtime stands idle to serve everything else.
    /// TCP only: other transports hold their bytes where a socket poll cannot see them.
    /// `ceiling` bounds the window (`None`: the process's, `FASTDIMSE_SPIN_US`).
    pub fn poll_first(&mut self, ceiling: Option<Duration>) {
        if let Some(fd) = self.half.poll_fd() {
            self.spin = Some(match ceiling {
                Some(c) => Spin::with_ceiling(fd, c),
                None => Spin::new(fd),
            });
        }
    }

    /// Reads the next bytes by polling the socket, if the window is open and a slot free.
    /// `Ready` means bytes were read, or the peer closed, or the socket failed.
    fn poll_socket(&mut self) -> Option<Polled> {
        let spin = self.spin.as_ref()?;
        if spin.window().is_zero() || !self.poll_allowed {
            return Some(Polled::Skipped);
        }
        let Some(tcp) = self.half.tcp() else {
            // A stream over TCP (TLS): watch the socket; the stream's read then finds the
            // record in without the worker having slept.
            let fd = self.half.poll_fd()?;
            let _slot = PollSlot::take()?;
            return Some(spin.poll_while(
                None,
                || sys::readable_now(fd),
                runtime::a_worker_is_idle,
            ));
        };
        let fd = tcp.as_ref().as_raw_fd();
        let Some(_slot) = PollSlot::take() else {
            return Some(Polled::Skipped);
        };
        let (buf, end) = (&mut self.buf, &mut self.end);
        Some(spin.poll_while(
            None,
            // The end of the stream, or an error, is seen again by the next read.
            || match sys::recv_now(fd, &mut buf[*end..]) {
                Ok(n) => {
                    *end += n;
                    true
                }
                Err(e) => e.kind() != io::ErrorKind::WouldBlock,
            },
            runtime::a_worker_is_idle,
        ))
    }

    /// Bytes of the PDU returned by the last `Frame::Pdu`.
    pub fn pdu(&self, len: usize) -> &[u8] {
        &self.buf[self.start..self.start + len]
    }

    /// True when the PDU after the one returned last is wholly in the buffer, so that
    /// [`PduReader::next`] returns it without reading the socket.
    pub fn next_pdu_buffered(&self) -> bool {
        let start = self.start + self.pending_consume;
        let Some(head) = self.buf[start..self.end].get(..HEADER_LEN) else {
            return false;
        };
        let length = u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize;
        self.end - start >= HEADER_LEN + length
    }

    /// True when part of a PDU has arrived but not all of it.
    pub fn mid_pdu(&self) -> bool {
        self.end > self.start + self.pending_consume
    }

    /// Checks the buffered bytes for a whole PDU without reading the socket.
    fn frame_buffered(&mut self) -> Option<Frame> {
        let avail = self.end - self.start;
        if avail < HEADER_LEN {
            return None;
        }
        let head = &self.buf[self.start..self.start + HEADER_LEN];
        let pdu_type = head[0];
        let length = u32::from_be_bytes([head[2], head[3], head[4], head[5]]);
        if PduType::from_u8(pdu_type).is_none() {
            return Some(Frame::UnknownType(pdu_type));
        }
        let limit = self.limits.limit_for(pdu_type);
        if length > limit {
            return Some(Frame::TooLarge {
                pdu_type,
                length,
                limit,
            });
        }
        let total = HEADER_LEN + length as usize;
        if avail >= total {
            self.pending_consume = total;
            self.partial_since = None;
            return Some(Frame::Pdu {
                pdu_type,
                len: total,
            });
        }
        None
    }

    /// One non-blocking `recv` into the free part of the buffer; `None` when nothing is
    /// waiting.
    ///
    /// Why not only tokio's `read`: after a read that does not fill the buffer, tokio marks
    /// the socket not-ready, so the next read always yields to the scheduler and waits for
    /// `epoll` to report the socket again, even when the peer's next PDU is already in.
    /// Measured, that round trip through the scheduler (its worker parks, wakes, and wakes
    /// another worker to look for work) cost about a third of the associations/s of a
    /// sequential client. Trying the socket first costs one `recv` that may find nothing.
    ///
    /// The `recv` goes through tokio's `try_io` when tokio believes the socket readable, so
    /// a `recv` that finds nothing also clears tokio's readiness (with the event tick taken
    /// before the call, so a wake-up that lands meanwhile is kept), and the wait that
    /// follows does not try the socket a second time.
    ///
    /// Other transports: nothing (`None`), their read goes through the wait.
    fn read_now(&mut self) -> io::Result<Option<usize>> {
        let Some(tcp) = self.half.tcp() else {
            return Ok(None);
        };
        let fd = tcp.as_ref().as_raw_fd();
        let free = &mut self.buf[self.end..];
        let mut tried = false;
        let through_tokio = tcp.as_ref().try_io(Interest::READABLE, || {
            tried = true;
            sys::recv_now(fd, free)
        });
        match through_tokio {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if tried {
                    Ok(None)
                } else {
                    // tokio's readiness may be stale (cleared after a short read): ask the
                    // socket. Nothing there means tokio is right, and the wait is armed.
                    match sys::recv_now(fd, free) {
                        Ok(n) => Ok(Some(n)),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
                        Err(e) => Err(e),
                    }
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The peer closed the connection.
    fn closed(&self) -> Frame {
        Frame::Closed {
            mid_pdu: self.end > self.start,
        }
    }

    /// Waits for the socket and reads; `None` when a started PDU stalled.
    async fn read_when_ready(&mut self) -> io::Result<Option<usize>> {
        let read = self.half.read(&mut self.buf[self.end..]);
        match (self.stall, self.end > self.start) {
            (Some(stall), true) => {
                // Part of a PDU is in: the rest must come within the stall limit.
                let since = *self.partial_since.get_or_insert_with(Instant::now);
                match tokio::time::timeout_at(since + stall, read).await {
                    Ok(r) => r.map(Some),
                    Err(_) => Ok(None),
                }
            }
            _ => read.await.map(Some),
        }
    }

    /// Reads until a whole PDU (or an error condition) is available.
    ///
    /// Cancel-safe: bytes read before a cancellation stay in the buffer.
    pub async fn next(&mut self) -> io::Result<Frame> {
        if self.pending_consume > 0 {
            self.start += self.pending_consume;
            self.pending_consume = 0;
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
                if self.buf.len() > 4 * READ_CHUNK {
                    // A large PDU is done: an idle association keeps only a small buffer.
                    self.buf = vec![0; READ_CHUNK];
                }
            }
        }
        loop {
            if let Some(frame) = self.frame_buffered() {
                return Ok(frame);
            }
            if self.end == self.buf.len() {
                if self.start > 0 {
                    self.buf.copy_within(self.start..self.end, 0);
                    self.end -= self.start;
                    self.start = 0;
                } else {
                    // Full of one unfinished PDU whose header passed the limits: grow by
                    // doubling, so the buffer tracks what the peer actually sent.
                    let grow = self.buf.len().min(1 << 20);
                    self.buf.resize(self.buf.len() + grow, 0);
                }
            }
            // The bytes may already be in: take them without a trip through the scheduler.
            match self.read_now()? {
                Some(0) => return Ok(self.closed()),
                Some(n) => {
                    // Counted before the await, which may be where a cancellation lands.
                    self.end += n;
                    // tokio's own reads count against the task's budget; this one must too.
                    tokio::task::coop::consume_budget().await;
                    continue;
                }
                None => {}
            }
            // Only the wait for a new PDU polls (and teaches the window): the rest of a
            // started one is waited for under the stall limit, so a peer that trickles
            // bytes cannot keep a worker polling.
            let waiting_since = (self.spin.is_some() && !self.mid_pdu()).then(Instant::now);
            if waiting_since.is_some()
                && self.poll_socket() == Some(Polled::Ready)
                && self.half.tcp().is_some()
            {
                // TCP: the poll read the bytes itself. A stream's poll only saw the socket
                // readable: its read below takes them.
                continue;
            }
            let Some(n) = self.read_when_ready().await? else {
                return Ok(Frame::Stalled);
            };
            if let (Some(since), Some(spin)) = (waiting_since, &self.spin) {
                spin.slept(since.elapsed());
            }
            if n == 0 {
                return Ok(self.closed());
            }
            self.end += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::io::Write;
    use std::task::{Context, Poll, Waker};

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A connected pair: the tokio read half under test and the std peer that writes.
    fn pair(rt: &tokio::runtime::Runtime) -> (PduReader, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (ours, _) = listener.accept().unwrap();
        ours.set_nonblocking(true).unwrap();
        let _guard = rt.enter();
        let (rd, _wr) = tokio::net::TcpStream::from_std(ours).unwrap().into_split();
        (PduReader::new(ReadSide::Tcp(rd), Limits::new(16384)), peer)
    }

    /// Waits, outside tokio, until the socket has bytes to read.
    fn wait_until_readable(fd: sys::RawFd) {
        let mut probe = [0u8; 1];
        while !matches!(sys::peek_now(fd, &mut probe), Ok(1)) {
            std::thread::yield_now();
        }
    }

    /// Polls `next()` once, without letting the runtime look at epoll first.
    fn poll_once(reader: &mut PduReader) -> Poll<io::Result<Frame>> {
        let mut fut = std::pin::pin!(reader.next());
        fut.as_mut().poll(&mut Context::from_waker(Waker::noop()))
    }

    fn expect_release_rq_at_first_poll(reader: &mut PduReader) {
        match poll_once(reader) {
            Poll::Ready(Ok(Frame::Pdu {
                pdu_type: 0x05,
                len: 10,
            })) => {}
            other => panic!("expected the A-RELEASE-RQ at the first poll, got {other:?}"),
        }
    }

    #[test]
    fn a_read_that_finds_nothing_leaves_the_wait_without_a_second_try() {
        let rt = rt();
        let (mut reader, mut peer) = pair(&rt);
        let _guard = rt.enter();
        // tokio learns the socket is readable...
        peer.write_all(&[0x05]).unwrap();
        rt.block_on(reader.half.tcp().unwrap().as_ref().readable())
            .unwrap();
        // ...and the byte goes behind its back, so its readiness is stale.
        let mut byte = [0u8; 1];
        let fd = reader.half.tcp().unwrap().as_ref().as_raw_fd();
        assert_eq!(sys::recv_now(fd, &mut byte).unwrap(), 1);
        assert!(matches!(reader.read_now(), Ok(None)));
        // The empty read cleared tokio's readiness: the wait that follows goes to epoll
        // without trying the socket again.
        let retried = reader
            .half
            .tcp()
            .unwrap()
            .as_ref()
            .try_io(Interest::READABLE, || -> io::Result<()> {
                panic!("the socket was tried a second time")
            });
        assert_eq!(retried.unwrap_err().kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn a_pdu_already_received_is_returned_without_waiting_for_readiness() {
        let rt = rt();
        let (mut reader, mut peer) = pair(&rt);
        // An A-RELEASE-RQ: 10 bytes, far less than the buffer (a short read).
        let release_rq = [0x05, 0x00, 0, 0, 0, 4, 0, 0, 0, 0];
        peer.write_all(&release_rq).unwrap();
        let _guard = rt.enter();
        let fd = reader.half.tcp().unwrap().as_ref().as_raw_fd();
        wait_until_readable(fd);
        expect_release_rq_at_first_poll(&mut reader);
        // The next PDU arrives after a short read left tokio's readiness cleared: it is
        // still taken at the first poll.
        peer.write_all(&release_rq).unwrap();
        wait_until_readable(fd);
        expect_release_rq_at_first_poll(&mut reader);
        // Nothing more in the socket: the reader waits.
        assert!(poll_once(&mut reader).is_pending());
        // The peer closes: seen as Closed, not as an error.
        drop(peer);
        let frame = rt.block_on(reader.next()).unwrap();
        assert!(
            matches!(frame, Frame::Closed { mid_pdu: false }),
            "{frame:?}"
        );
    }

    #[test]
    fn whether_the_next_pdu_is_in_is_told_from_the_buffer_alone() {
        let rt = rt();
        let (mut reader, mut peer) = pair(&rt);
        let _guard = rt.enter();
        let release_rq = [0x05, 0x00, 0, 0, 0, 4, 0, 0, 0, 0];
        // Two whole PDUs and the first 8 bytes of a third, in one read.
        let mut bytes = release_rq.repeat(2);
        bytes.extend_from_slice(&release_rq[..8]);
        peer.write_all(&bytes).unwrap();
        let fd = reader.half.tcp().unwrap().as_ref().as_raw_fd();
        wait_until_readable(fd);
        assert!(!reader.next_pdu_buffered(), "nothing read yet");
        expect_release_rq_at_first_poll(&mut reader);
        assert!(reader.next_pdu_buffered(), "the second PDU is whole");
        expect_release_rq_at_first_poll(&mut reader);
        assert!(!reader.next_pdu_buffered(), "the third is 8 of 10 bytes");
        assert!(poll_once(&mut reader).is_pending());
        // Its last 2 bytes arrive; only a read can know.
        peer.write_all(&release_rq[8..]).unwrap();
        assert!(!reader.next_pdu_buffered());
        wait_until_readable(fd);
        expect_release_rq_at_first_poll(&mut reader);
        assert!(!reader.next_pdu_buffered());
    }
}
