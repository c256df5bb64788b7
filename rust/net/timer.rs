//! An association's one timer, served by one clock thread for the whole process.
//!
//! Every deadline of an association (ARTIM, ACSE, DIMSE, network, stall) is served by one
//! [`LazyTimer`]. Why not a tokio `Sleep`: registering a tokio timer earlier than the time
//! driver's next wake-up writes to the driver's eventfd and wakes a parked worker, and
//! between two associations the driver's wheel is empty, so every new association paid
//! that wake-up (measured: 0.8 eventfd writes per association, and 6-9% of one client's
//! associations/s). Here one thread sleeps towards the earliest deadline it knows of, and a
//! new deadline wakes it only when it is earlier than that. Deadlines are "now plus a
//! timeout", so in steady traffic a new one is never earlier and nothing is woken. A
//! deadline withdrawn before it is due leaves the thread's target early: it wakes once,
//! finds nothing due and sleeps towards the next one. With no deadline at all it sleeps
//! without a limit, so idle associations cost no wake-ups.
//!
//! The timer only moves *earlier*. A later deadline leaves it where it is; if it then fires
//! early, the caller finds nothing due and waits again, which re-arms it once at the later
//! deadline.

use std::collections::BTreeMap;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::task::{Poll, Waker};
use std::time::Instant;

/// What the clock thread and one timer share.
#[derive(Default)]
struct Slot {
    /// Set by the clock, under its lock, when the slot's deadline passes.
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// A deadline in the clock: when, and a number that tells equal instants apart.
type Key = (Instant, u64);

#[derive(Default)]
struct Schedule {
    due: BTreeMap<Key, Arc<Slot>>,
    next_seq: u64,
    /// What the clock thread sleeps towards (`None`: without a limit). Never later than
    /// the earliest deadline in `due`.
    target: Option<Instant>,
}

struct Clock {
    schedule: Mutex<Schedule>,
    changed: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Clock {
    /// The process's clock; its thread starts on first use.
    fn get() -> &'static Clock {
        static CLOCK: OnceLock<&'static Clock> = OnceLock::new();
        CLOCK.get_or_init(|| {
            let clock: &'static Clock = Box::leak(Box::new(Clock {
                schedule: Mutex::new(Schedule::default()),
                changed: Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("fastdimse-clock".into())
                .spawn(move || {
                    super::sys::block_process_signals();
                    clock.run()
                })
                .expect("the fastdimse clock thread could not start");
            clock
        })
    }

    /// Sets `slot` at `deadline`, withdrawing its previous deadline `old` in the same step.
    fn set(&self, old: Option<Key>, deadline: Instant, slot: &Arc<Slot>) -> Key {
        let mut s = lock(&self.schedule);
        if let Some(old) = old {
            s.due.remove(&old);
        }
        let key = (deadline, s.next_seq);
        s.next_seq += 1;
        slot.fired.store(false, Ordering::Release);
        s.due.insert(key, Arc::clone(slot));
        if s.target.is_none_or(|target| deadline < target) {
            s.target = Some(deadline);
            self.changed.notify_one();
        }
        key
    }

    fn remove(&self, key: &Key) {
        lock(&self.schedule).due.remove(key);
    }

    fn run(&self) {
        let mut woken: Vec<Waker> = Vec::new();
        let mut s = lock(&self.schedule);
        loop {
            let now = Instant::now();
            while let Some(entry) = s.due.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let slot = entry.remove();
                slot.fired.store(true, Ordering::Release);
                woken.extend(lock(&slot.waker).take());
            }
            if !woken.is_empty() {
                // Wake outside the lock, then look again: time has passed meanwhile.
                drop(s);
                woken.drain(..).for_each(Waker::wake);
                s = lock(&self.schedule);
                continue;
            }
            s.target = s.due.first_key_value().map(|(key, _)| key.0);
            s = match s.target {
                Some(target) => {
                    let wait = target.saturating_duration_since(now);
                    self.changed
                        .wait_timeout(s, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self.changed.wait(s).unwrap_or_else(|e| e.into_inner()),
            };
        }
    }
}

/// One association's timer. Dropping it withdraws its deadline.
#[derive(Default)]
pub(crate) struct LazyTimer {
    slot: Arc<Slot>,
    /// Where the timer is set in the clock, until it fires.
    armed: Option<Key>,
}

impl LazyTimer {
    /// Makes sure the timer fires no later than `deadline`. Returns false when there is
    /// no deadline, in which case the caller must not wait on [`LazyTimer::fired`].
    pub fn cover(&mut self, deadline: Option<Instant>) -> bool {
        let Some(deadline) = deadline else {
            return false;
        };
        if self.armed.is_some_and(|(armed, _)| armed <= deadline) {
            return true;
        }
        self.armed = Some(Clock::get().set(self.armed, deadline, &self.slot));
        true
    }

    /// Completes when the timer goes off, which may be before the deadline last passed to
    /// [`LazyTimer::cover`]: the caller checks what is actually due.
    pub async fn fired(&mut self) {
        if self.armed.is_none() {
            return std::future::pending().await;
        }
        let slot = &self.slot;
        poll_fn(|cx| {
            if slot.fired.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            {
                let mut waker = lock(&slot.waker);
                if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *waker = Some(cx.waker().clone());
                }
            }
            // The clock sets `fired` before taking the waker: seen here if it just fired.
            if slot.fired.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        self.armed = None;
    }
}

impl Drop for LazyTimer {
    fn drop(&mut self) {
        if let Some(key) = self.armed.take() {
            Clock::get().remove(&key);
        }
    }
}

/// A one-shot deadline for work that no task waits on: when it passes, the clock thread
/// wakes `waker` (which does the work, e.g. tells an association that an asyncio caller's
/// DIMSE timeout expired). Dropping it first withdraws it.
pub(crate) struct Alarm {
    key: Key,
}

impl Alarm {
    pub fn set(deadline: Instant, waker: Waker) -> Self {
        let slot = Arc::new(Slot {
            fired: AtomicBool::new(false),
            waker: Mutex::new(Some(waker)),
        });
        Self {
            key: Clock::get().set(None, deadline, &slot),
        }
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        Clock::get().remove(&self.key);
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
    fn fires_at_its_deadline_not_before() {
        rt().block_on(async {
            let t0 = Instant::now();
            let mut timer = LazyTimer::default();
            assert!(timer.cover(Some(t0 + Duration::from_millis(80))));
            timer.fired().await;
            let waited = Instant::now() - t0;
            assert!(waited >= Duration::from_millis(80), "{waited:?}");
            assert!(waited < Duration::from_millis(2000), "{waited:?}");
        });
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

    #[test]
    fn a_dropped_timer_leaves_the_clock_and_others_still_fire() {
        rt().block_on(async {
            let t0 = Instant::now();
            let mut dropped = LazyTimer::default();
            dropped.cover(Some(t0 + Duration::from_millis(20)));
            let key = dropped.armed.unwrap();
            drop(dropped);
            assert!(!lock(&Clock::get().schedule).due.contains_key(&key));
            // The clock's target is now early (20 ms); a later timer still fires on time.
            let mut kept = LazyTimer::default();
            kept.cover(Some(t0 + Duration::from_millis(120)));
            kept.fired().await;
            assert!(Instant::now() - t0 >= Duration::from_millis(120));
        });
    }

    #[test]
    fn many_timers_on_several_threads_each_fire_on_time() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..50u64)
            .rev()
            .map(|i| {
                rt.spawn(async move {
                    let mut timer = LazyTimer::default();
                    let deadline = t0 + Duration::from_millis(20 + 4 * i);
                    timer.cover(Some(deadline));
                    timer.fired().await;
                    let now = Instant::now();
                    assert!(now >= deadline, "timer {i} fired early");
                    now - deadline
                })
            })
            .collect();
        let late: Vec<Duration> = rt.block_on(async {
            let mut late = Vec::new();
            for task in tasks {
                late.push(task.await.unwrap());
            }
            late
        });
        assert!(late.iter().all(|l| *l < Duration::from_secs(2)), "{late:?}");
    }

    /// The work an [`Alarm`] does when it goes off, here: report the instant.
    struct Report(Mutex<std::sync::mpsc::Sender<Instant>>);

    impl std::task::Wake for Report {
        fn wake(self: Arc<Self>) {
            let _ = lock(&self.0).send(Instant::now());
        }
    }

    fn reporter() -> (Waker, std::sync::mpsc::Receiver<Instant>) {
        let (tx, rx) = std::sync::mpsc::channel();
        (Waker::from(Arc::new(Report(Mutex::new(tx)))), rx)
    }

    #[test]
    fn an_alarm_goes_off_once_at_its_deadline() {
        let (waker, fired) = reporter();
        let deadline = Instant::now() + Duration::from_millis(60);
        let alarm = Alarm::set(deadline, waker);
        let at = fired
            .recv_timeout(Duration::from_secs(5))
            .expect("went off");
        assert!(at >= deadline);
        // It left the clock as it went off; dropping it now withdraws nothing.
        assert!(!lock(&Clock::get().schedule).due.contains_key(&alarm.key));
        drop(alarm);
        assert!(fired.try_recv().is_err());
    }

    #[test]
    fn a_dropped_alarm_never_goes_off() {
        let (dropped_waker, dropped) = reporter();
        let (kept_waker, kept) = reporter();
        let t0 = Instant::now();
        let alarm = Alarm::set(t0 + Duration::from_millis(20), dropped_waker);
        let key = alarm.key;
        drop(alarm);
        assert!(!lock(&Clock::get().schedule).due.contains_key(&key));
        // The clock serves deadlines in order: once a later alarm went off, the dropped one
        // would have gone off before it.
        let _later = Alarm::set(t0 + Duration::from_millis(80), kept_waker);
        kept.recv_timeout(Duration::from_secs(5))
            .expect("later alarm");
        assert!(dropped.try_recv().is_err());
    }
}
