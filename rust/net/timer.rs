//! An association's one timer, moved as rarely as possible.
//!
//! Every deadline of an association (ARTIM, ACSE, DIMSE, network, stall) is served by one
//! tokio `Sleep`. Registering or moving a tokio timer takes the time driver's lock and,
//! when the new deadline is earlier than the one a parked worker sleeps towards, wakes that
//! worker through the driver's eventfd: measured, that cost a contended futex and an extra
//! wake-up per exchange when each wait armed a fresh `Sleep`. So the timer only moves
//! *earlier*. A later deadline leaves it where it is; if it then fires early, the caller
//! finds nothing due and waits again, which re-arms it once at the later deadline.

use std::pin::Pin;
use std::time::Instant;

use tokio::time::Sleep;

#[derive(Default)]
pub(crate) struct LazyTimer {
    sleep: Option<Pin<Box<Sleep>>>,
    /// Where the timer is set, until it fires.
    armed: Option<Instant>,
}

impl LazyTimer {
    /// Makes sure the timer fires no later than `deadline`. Returns false when there is
    /// no deadline, in which case the caller must not wait on [`LazyTimer::fired`].
    pub fn cover(&mut self, deadline: Option<Instant>) -> bool {
        let Some(deadline) = deadline else {
            return false;
        };
        if self.armed.is_some_and(|armed| armed <= deadline) {
            return true;
        }
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().reset(deadline.into()),
            None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline.into()))),
        }
        self.armed = Some(deadline);
        true
    }

    /// Completes when the timer goes off, which may be before the deadline last passed to
    /// [`LazyTimer::cover`]: the caller checks what is actually due.
    pub async fn fired(&mut self) {
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().await,
            None => std::future::pending().await,
        }
        self.armed = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn no_deadline_means_no_wait() {
        assert!(!LazyTimer::default().cover(None));
    }

    #[test]
    fn moves_earlier_at_once() {
        rt().block_on(async {
            let t0 = Instant::now();
            let mut timer = LazyTimer::default();
            assert!(timer.cover(Some(t0 + Duration::from_millis(600))));
            assert!(timer.cover(Some(t0 + Duration::from_millis(50))));
            timer.fired().await;
            let waited = Instant::now() - t0;
            assert!(waited >= Duration::from_millis(50) && waited < Duration::from_millis(600));
        });
    }

    #[test]
    fn a_later_deadline_fires_early_then_rearms_once() {
        rt().block_on(async {
            let t0 = Instant::now();
            let mut timer = LazyTimer::default();
            timer.cover(Some(t0 + Duration::from_millis(50)));
            // Pushed later: the timer stays at 50 ms and fires there...
            timer.cover(Some(t0 + Duration::from_millis(300)));
            timer.fired().await;
            let first = Instant::now() - t0;
            assert!(first >= Duration::from_millis(50) && first < Duration::from_millis(300));
            // ...and the next cover re-arms it at the later deadline.
            timer.cover(Some(t0 + Duration::from_millis(300)));
            timer.fired().await;
            assert!(Instant::now() - t0 >= Duration::from_millis(300));
        });
    }
}
