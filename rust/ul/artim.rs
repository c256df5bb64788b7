//! The Association Request/Reject/Release timer (ARTIM, PS3.8 section 9.1.5).
//!
//! The timer only records when it was started; the caller passes the current time, so the
//! network layer decides how to wait and tests need no sleeps.

use std::time::{Duration, Instant};

/// ARTIM: bounds the wait for an A-ASSOCIATE-RQ after a connection is accepted (Sta2) and
/// the wait for the peer to close after we sent A-ASSOCIATE-RJ, A-RELEASE-RP or A-ABORT
/// (Sta13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Artim {
    timeout: Duration,
    started: Option<Instant>,
}

impl Artim {
    /// A stopped timer that expires `timeout` after each start.
    pub fn new(timeout: Duration) -> Self {
        Artim {
            timeout,
            started: None,
        }
    }

    /// The configured timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Changes the timeout; a running timer keeps its start, so its deadline moves with it
    /// (pynetdicom's `Association.acse_timeout` setter changes its running ARTIM the same way).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Starts the timer at `now`, restarting it if it was running.
    pub fn start(&mut self, now: Instant) {
        self.started = Some(now);
    }

    /// Stops the timer; stopping a stopped timer does nothing.
    pub fn stop(&mut self) {
        self.started = None;
    }

    /// True between `start` and `stop`.
    pub fn is_running(&self) -> bool {
        self.started.is_some()
    }

    /// When the timer expires, if it is running. `None` also when the instant cannot be
    /// represented (an absurdly large timeout), which then never expires.
    pub fn deadline(&self) -> Option<Instant> {
        self.started?.checked_add(self.timeout)
    }

    /// True when the timer is running and `timeout` has passed since it was started.
    pub fn is_expired(&self, now: Instant) -> bool {
        match self.started {
            Some(started) => now.saturating_duration_since(started) >= self.timeout,
            None => false,
        }
    }

    /// Time left before expiry (zero once expired), if running.
    pub fn remaining(&self, now: Instant) -> Option<Duration> {
        let started = self.started?;
        Some(
            self.timeout
                .saturating_sub(now.saturating_duration_since(started)),
        )
    }
}
