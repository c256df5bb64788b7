//! Adaptive polling before a blocking SCU wait: a caller that expects its peer's answer
//! within a few tens of microseconds watches the socket for that long before it sleeps.
//!
//! Why: on a virtual machine, going to sleep and being woken costs about as much CPU as a
//! loopback round trip, and far more time. Measured on a 2-vCPU KVM guest, a C client
//! against the blocking ping-pong floor server ran 16.3k round trips/s at 21 µs of CPU
//! each when it slept in `recv`, and 47k/s at the same 21 µs when it polled: the peer's
//! `send` no longer has to wake a halted vCPU, nor the client pay a context switch.
//!
//! The window adapts per association, as the kernel's `cpuidle-haltpoll` governor does
//! for idle vCPUs: an answer that came while the caller slept, but within the ceiling,
//! widens the window to twice that wait; an answer later than the ceiling halves it, down
//! to nothing. So a peer across a slow network costs a handful of short polls and then
//! none, and an idle association costs nothing at all (nobody waits on it).
//!
//! The ceiling is `FASTDIMSE_SPIN_US` (microseconds, read once; 0 turns polling off),
//! [`DEFAULT_CEILING_US`] by default.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::sys::{self, RawFd};

/// The default ceiling of the window, in µs: a loopback or same-rack round trip fits,
/// a WAN one does not. `cpuidle-haltpoll` and KVM's host-side halt polling both default
/// to 200 µs; a caller's poll is kept shorter because it holds a core of its own.
pub const DEFAULT_CEILING_US: u32 = 100;

/// The largest ceiling taken from `FASTDIMSE_SPIN_US`: 10 ms.
const MAX_CEILING_US: u32 = 10_000;

/// A window below this is not worth a poll: it is closed to zero.
const MIN_WINDOW_NS: u32 = 2_000;

/// The ceiling in force, from `FASTDIMSE_SPIN_US` once.
pub fn ceiling() -> Duration {
    static CEILING: OnceLock<Duration> = OnceLock::new();
    *CEILING.get_or_init(|| {
        let us = std::env::var("FASTDIMSE_SPIN_US")
            .ok()
            .map_or(DEFAULT_CEILING_US, |v| parse_ceiling(&v));
        Duration::from_micros(u64::from(us))
    })
}

/// The ceiling `FASTDIMSE_SPIN_US` asks for, in µs, at most [`MAX_CEILING_US`]; anything
/// but a whole number is reported and the default used.
fn parse_ceiling(value: &str) -> u32 {
    match value.trim().parse::<u32>() {
        Ok(us) if us > MAX_CEILING_US => {
            super::log::warning(format_args!(
                "FASTDIMSE_SPIN_US={us} is above {MAX_CEILING_US}: using {MAX_CEILING_US}"
            ));
            MAX_CEILING_US
        }
        Ok(us) => us,
        Err(_) => {
            super::log::warning(format_args!(
                "FASTDIMSE_SPIN_US={value:?} is not a whole number of microseconds: \
                 using {DEFAULT_CEILING_US}"
            ));
            DEFAULT_CEILING_US
        }
    }
}

/// One association's socket and polling window, shared by its blocking waits.
#[derive(Debug)]
pub(crate) struct Spin {
    fd: RawFd,
    /// Current window in ns; starts closed, so a one-off request never polls.
    window_ns: AtomicU32,
    ceiling_ns: u32,
}

/// What a poll found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Polled {
    /// The window was closed: nothing was tried.
    Skipped,
    /// The socket (or the outcome) was ready within the window.
    Ready,
    /// The window ran out.
    Missed,
}

impl Spin {
    pub fn new(fd: RawFd) -> Self {
        Self::with_ceiling(fd, ceiling())
    }

    pub fn with_ceiling(fd: RawFd, ceiling: Duration) -> Self {
        Self {
            fd,
            window_ns: AtomicU32::new(0),
            ceiling_ns: u32::try_from(ceiling.as_nanos()).unwrap_or(u32::MAX),
        }
    }

    pub fn ceiling(&self) -> Duration {
        Duration::from_nanos(u64::from(self.ceiling_ns))
    }

    pub fn window(&self) -> Duration {
        Duration::from_nanos(u64::from(self.window_ns.load(Ordering::Relaxed)))
    }

    /// Polls the socket until it is readable, `done()` holds, the window passes, or
    /// `until` comes, whichever is first. An answer within the window keeps the window at
    /// least twice as long as it took, so one late answer does not start closing a window
    /// that the usual ones need.
    pub fn poll(&self, until: Option<Instant>, done: impl Fn() -> bool) -> Polled {
        self.poll_while(until, || done() || self.readable(), || true)
    }

    /// Tries `ready()` until it holds (Ready), or the window passes, `until` comes or
    /// `go_on()` fails (Missed). `ready` is what the caller can do without blocking: look
    /// at the socket ([`Spin::poll`]), or read it outright when it owns it.
    pub fn poll_while(
        &self,
        until: Option<Instant>,
        mut ready: impl FnMut() -> bool,
        go_on: impl Fn() -> bool,
    ) -> Polled {
        let window = self.window();
        if window.is_zero() {
            return Polled::Skipped;
        }
        let start = Instant::now();
        let end = until.map_or(start + window, |u| u.min(start + window));
        loop {
            if ready() {
                self.widen(start.elapsed());
                return Polled::Ready;
            }
            if !go_on() || Instant::now() >= end {
                return Polled::Missed;
            }
            // The peer (or whatever must run for the answer to come) may be waiting for
            // this very CPU: let it go first.
            std::thread::yield_now();
        }
    }

    /// Adapts the window to a wait that needed the sleep: `waited` is from the start of the
    /// wait (poll included) to the outcome. Within the ceiling, the window opens to twice
    /// that wait; past it, the window halves, and closes once it is too short to use.
    ///
    /// A wait that slept includes the wake-up, so it overstates the round trip: on a
    /// 2-vCPU guest a 21 µs polled round trip takes 60-75 µs when the caller sleeps. The
    /// ceiling must stay above the latter, or a window once closed never reopens there.
    pub fn slept(&self, waited: Duration) {
        if waited <= self.ceiling() {
            self.widen(waited);
        } else {
            let half = self.window_ns.load(Ordering::Relaxed) / 2;
            let next = if half < MIN_WINDOW_NS { 0 } else { half };
            self.window_ns.store(next, Ordering::Relaxed);
        }
    }

    /// Opens the window to at least twice `answered`, within the ceiling.
    fn widen(&self, answered: Duration) {
        let twice = u32::try_from(answered.as_nanos().saturating_mul(2)).unwrap_or(u32::MAX);
        let next = twice.max(MIN_WINDOW_NS).min(self.ceiling_ns);
        self.window_ns.fetch_max(next, Ordering::Relaxed);
    }

    /// True when a read would not block (data, end of stream, an error, or a descriptor
    /// that is no longer open: all of them end the poll).
    ///
    /// The descriptor may have been closed by the association's task meanwhile; the poll
    /// then reports it not open (or, if the number was reused, another socket's
    /// readiness), which at worst ends the poll early.
    fn readable(&self) -> bool {
        sys::readable_now(self.fd)
    }
}

/// For tests: a [`Spin`] over one end of a loopback TCP pair, shared as the association's
/// waits share it, with both ends (which must outlive it).
#[cfg(test)]
pub(crate) fn test_spin(
    ceiling: Duration,
) -> (
    std::sync::Arc<Spin>,
    std::net::TcpStream,
    std::net::TcpStream,
) {
    use super::sys::AsRawFd;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (peer, _) = listener.accept().unwrap();
    let spin = Spin::with_ceiling(ours.as_raw_fd(), ceiling);
    (std::sync::Arc::new(spin), ours, peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_ceiling_setting_is_a_whole_number_of_microseconds_within_bounds() {
        assert_eq!(parse_ceiling("0"), 0);
        assert_eq!(parse_ceiling(" 250 "), 250);
        assert_eq!(parse_ceiling("1000000"), MAX_CEILING_US);
        assert_eq!(parse_ceiling("fast"), DEFAULT_CEILING_US);
        assert_eq!(parse_ceiling("-5"), DEFAULT_CEILING_US);
    }

    #[test]
    fn a_closed_window_never_polls() {
        let (spin, _ours, _peer) = test_spin(Duration::from_micros(50));
        assert_eq!(spin.window(), Duration::ZERO);
        assert_eq!(spin.poll(None, || false), Polled::Skipped);
    }

    #[test]
    fn the_window_grows_to_twice_a_quick_answer_and_stops_at_the_ceiling() {
        let (spin, _ours, _peer) = test_spin(Duration::from_micros(50));
        spin.slept(Duration::from_micros(10));
        assert_eq!(spin.window(), Duration::from_micros(20));
        spin.slept(Duration::from_micros(40));
        assert_eq!(spin.window(), Duration::from_micros(50));
    }

    #[test]
    fn slow_answers_close_the_window() {
        let (spin, _ours, _peer) = test_spin(Duration::from_micros(50));
        spin.slept(Duration::from_micros(25));
        assert_eq!(spin.window(), Duration::from_micros(50));
        let mut halvings = 0;
        while !spin.window().is_zero() {
            spin.slept(Duration::from_millis(1));
            halvings += 1;
        }
        // 50 -> 25 -> 12.5 -> 6.25 -> 3.125 -> (1.56 < 2) 0
        assert_eq!(halvings, 5);
        assert_eq!(spin.poll(None, || false), Polled::Skipped);
    }

    #[test]
    fn a_zero_ceiling_keeps_polling_off() {
        let (spin, _ours, _peer) = test_spin(Duration::ZERO);
        spin.slept(Duration::from_micros(1));
        assert_eq!(spin.window(), Duration::ZERO);
    }

    #[test]
    fn a_poll_ends_when_bytes_arrive_or_the_window_passes() {
        let (spin, _ours, mut b) = test_spin(Duration::from_millis(5));
        spin.slept(Duration::from_millis(2));
        assert_eq!(spin.window(), Duration::from_millis(4));
        let start = Instant::now();
        assert_eq!(spin.poll(None, || false), Polled::Missed);
        assert!(start.elapsed() >= Duration::from_millis(4));
        // The deadline cuts the window short.
        let start = Instant::now();
        let until = start + Duration::from_micros(100);
        assert_eq!(spin.poll(Some(until), || false), Polled::Missed);
        assert!(start.elapsed() < Duration::from_millis(4));
        // The outcome arriving by another way ends it too.
        assert_eq!(spin.poll(None, || true), Polled::Ready);
        b.write_all(b"x").unwrap();
        let start = Instant::now();
        assert_eq!(spin.poll(None, || false), Polled::Ready);
        assert!(start.elapsed() < Duration::from_millis(4));
    }

    #[test]
    fn a_closed_peer_ends_a_poll() {
        let (spin, _ours, peer) = test_spin(Duration::from_millis(5));
        spin.slept(Duration::from_millis(2));
        drop(peer);
        assert_eq!(spin.poll(None, || false), Polled::Ready);
    }
}
