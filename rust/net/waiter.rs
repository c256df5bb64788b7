//! A blocking caller's wait for one outcome from an association's task.
//!
//! A caller of an association this process requested waits by driving the client runtime
//! itself ([`client_runtime::drive`]): the socket wakes the waiting thread directly, which then
//! runs the association's task and returns, instead of the runtime's own thread reading
//! the response and waking the caller. On a host where waking a thread is cheap, that hand-off
//! was a fifth of a C-ECHO round trip, and it doubled the context switches per echo.
//!
//! Where the caller cannot drive (an accepted association, which lives on the shared
//! runtime, or a thread that is itself inside a runtime), it parks until woken.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::client_runtime;
use super::spin::{Polled, Spin};

/// How a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Waited<T> {
    Done(T),
    /// The task ended without an outcome.
    Gone,
    /// `until` passed first; the wait may be resumed.
    TimedOut,
}

/// The receiving end of a [`super::Reply`] made by [`super::Reply::waiter`].
#[derive(Debug)]
pub struct Waiter<T> {
    rx: oneshot::Receiver<T>,
    /// The task runs on the client runtime, so waiting may drive it.
    drive: bool,
    /// The association's polling window, used by the first wait only ([`super::spin`]).
    spin: Option<Arc<Spin>>,
}

/// The task ended without an outcome, or the wait timed out (`recv_timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitError {
    Gone,
    TimedOut,
}

impl<T> Waiter<T> {
    pub(crate) fn new(rx: oneshot::Receiver<T>, drive: bool) -> Self {
        Self {
            rx,
            drive,
            spin: None,
        }
    }

    /// Polls `spin`'s socket before the first wait sleeps, and adapts its window.
    pub(crate) fn polling(mut self, spin: Option<Arc<Spin>>) -> Self {
        self.spin = spin.filter(|_| self.drive);
        self
    }

    /// Waits until the outcome arrives, or until `until` passes.
    pub fn wait(&mut self, until: Option<Instant>) -> Waited<T> {
        if self.drive {
            let rx = &mut self.rx;
            let spin = self.spin.take();
            let driven = client_runtime::drive(async move {
                // Inside `drive`, so the keeper has stepped aside and the answer is ours
                // to read; a later wait (after a timed-out slice) does not poll again.
                let start = Instant::now();
                let polled = match &spin {
                    Some(spin) if !spin.window().is_zero() => {
                        // What the task has to do first (write a request handed to it, as a
                        // release is) runs before the poll, which would otherwise starve it.
                        tokio::task::yield_now().await;
                        Some(spin.poll(until, || !rx.is_empty()))
                    }
                    Some(_) => Some(Polled::Skipped),
                    None => None,
                };
                let outcome = match until {
                    Some(at) => tokio::time::timeout_at(at.into(), &mut *rx).await.ok(),
                    None => Some((&mut *rx).await),
                };
                if let (Some(spin), Some(Polled::Skipped | Polled::Missed)) = (spin, polled) {
                    // A slice that timed out says the answer is slow only once it has
                    // outlasted the ceiling.
                    let waited = start.elapsed();
                    if outcome.is_some() || waited > spin.ceiling() {
                        spin.slept(waited);
                    }
                }
                outcome
            });
            if let Some(result) = driven {
                return match result {
                    Some(Ok(value)) => Waited::Done(value),
                    Some(Err(_)) => Waited::Gone,
                    None => Waited::TimedOut,
                };
            }
        }
        park_until(&mut self.rx, until)
    }

    /// Waits for ever (as `mpsc::Receiver::recv`).
    pub fn recv(mut self) -> Result<T, WaitError> {
        match self.wait(None) {
            Waited::Done(value) => Ok(value),
            _ => Err(WaitError::Gone),
        }
    }

    /// Waits at most `timeout` (as `mpsc::Receiver::recv_timeout`).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, WaitError> {
        match self.wait(Some(Instant::now() + timeout)) {
            Waited::Done(value) => Ok(value),
            Waited::Gone => Err(WaitError::Gone),
            Waited::TimedOut => Err(WaitError::TimedOut),
        }
    }
}

/// Wakes a parked thread.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

fn park_until<T>(rx: &mut oneshot::Receiver<T>, until: Option<Instant>) -> Waited<T> {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match Pin::new(&mut *rx).poll(&mut cx) {
            Poll::Ready(Ok(value)) => return Waited::Done(value),
            Poll::Ready(Err(_)) => return Waited::Gone,
            Poll::Pending => {}
        }
        match until {
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Waited::TimedOut;
                }
                std::thread::park_timeout(left);
            }
            None => std::thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::spin::test_spin;

    #[test]
    fn a_parked_wait_gets_the_value_sent_from_another_thread() {
        let _alone = client_runtime::test_alone();
        let (tx, rx) = oneshot::channel();
        let mut waiter = Waiter::new(rx, false);
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx.send(7u32).unwrap();
        });
        assert_eq!(waiter.wait(None), Waited::Done(7));
        sender.join().unwrap();
    }

    #[test]
    fn a_driven_wait_times_out_then_resumes() {
        let _alone = client_runtime::test_alone();
        let (tx, rx) = oneshot::channel();
        let mut waiter = Waiter::new(rx, true);
        let soon = Instant::now() + Duration::from_millis(10);
        assert_eq!(waiter.wait(Some(soon)), Waited::TimedOut);
        // A task on the client runtime sends it: only a driver can run it.
        client_runtime::client_handle().spawn(async move {
            let _ = tx.send("late");
        });
        assert_eq!(waiter.recv_timeout(Duration::from_secs(5)), Ok("late"));
    }

    #[test]
    fn a_dropped_sender_ends_the_wait_in_both_modes() {
        let _alone = client_runtime::test_alone();
        for drive in [false, true] {
            let (tx, rx) = oneshot::channel::<u8>();
            let mut waiter = Waiter::new(rx, drive);
            drop(tx);
            assert_eq!(waiter.wait(None), Waited::Gone);
        }
    }

    #[test]
    fn inside_a_runtime_the_wait_parks_instead_of_driving() {
        let _alone = client_runtime::test_alone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (tx, rx) = oneshot::channel();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx.send(1u8).unwrap();
        });
        let _guard = rt.enter();
        let mut waiter = Waiter::new(rx, true);
        assert_eq!(waiter.wait(None), Waited::Done(1));
        sender.join().unwrap();
    }

    #[test]
    fn a_quick_answer_that_needed_the_sleep_opens_the_polling_window() {
        let _alone = client_runtime::test_alone();
        let (spin, _ours, _peer) = test_spin(Duration::from_secs(1));
        assert_eq!(spin.window(), Duration::ZERO);
        let (tx, rx) = oneshot::channel();
        let mut waiter = Waiter::new(rx, true).polling(Some(Arc::clone(&spin)));
        client_runtime::client_handle().spawn(async move {
            let _ = tx.send(5u8);
        });
        assert_eq!(waiter.wait(None), Waited::Done(5));
        assert!(spin.window() > Duration::ZERO);
        assert!(spin.window() < Duration::from_secs(1));
    }

    #[test]
    fn a_slow_answer_closes_the_polling_window_and_a_timed_out_slice_counts() {
        let _alone = client_runtime::test_alone();
        let (spin, _ours, _peer) = test_spin(Duration::from_millis(4));
        spin.slept(Duration::from_millis(1));
        assert_eq!(spin.window(), Duration::from_millis(2));
        let (_tx, rx) = oneshot::channel::<u8>();
        let mut waiter = Waiter::new(rx, true).polling(Some(Arc::clone(&spin)));
        let until = Instant::now() + Duration::from_millis(30);
        assert_eq!(waiter.wait(Some(until)), Waited::TimedOut);
        // Polled 2 ms, then slept past the 4 ms ceiling: the window halves.
        assert_eq!(spin.window(), Duration::from_millis(1));
    }

    #[test]
    fn an_open_window_ends_the_poll_as_soon_as_the_outcome_is_in() {
        let _alone = client_runtime::test_alone();
        // A 10 s window: the wait must end with the outcome, not with the window.
        let (spin, _ours, _peer) = test_spin(Duration::from_secs(10));
        spin.slept(Duration::from_secs(5));
        let (tx, rx) = oneshot::channel();
        let mut waiter = Waiter::new(rx, true).polling(Some(spin));
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx.send(9u8).unwrap();
        });
        let start = Instant::now();
        assert_eq!(waiter.wait(None), Waited::Done(9));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        sender.join().unwrap();
    }

    #[test]
    fn a_waiter_that_cannot_drive_never_polls() {
        let (spin, _ours, _peer) = test_spin(Duration::from_secs(1));
        let (_tx, rx) = oneshot::channel::<u8>();
        let waiter = Waiter::new(rx, false).polling(Some(spin));
        assert!(waiter.spin.is_none());
    }
}
