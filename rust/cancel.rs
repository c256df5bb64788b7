//! The per-association set of cancelled message IDs: C-CANCEL-RQs recorded by the task that
//! reads the socket, consumed once by the handler of the request they cancel.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// How many cancels are remembered at once.
///
/// Only the request in progress can be cancelled (the tracker is cleared when a new request
/// is taken), so a handful of slots is plenty; pynetdicom keeps 10. A fixed array of 16
/// atomics is 64 bytes per association, where a bitmap over the whole u16 space would be
/// 8 KiB: with thousands of mostly idle associations, memory is what matters, and scanning
/// 16 slots is as constant-time as indexing a bitmap.
const SLOTS: usize = 16;

/// Slot value of an empty slot. Occupied slots hold `message_id + 1`, so every u16 fits.
const EMPTY: u32 = 0;

/// Message IDs named by C-CANCEL-RQs (MessageIDBeingRespondedTo), bounded and lock-free.
///
/// Every operation is a short sequence of atomic operations, so the reading task and a
/// handler thread can use it at the same time without a lock. When more than 16 distinct IDs
/// are outstanding the oldest-written slot is reused: a peer flooding stray cancels can only
/// push out its own earlier cancels.
///
/// Ordering contract: call [`clear`](Self::clear) on the task that calls
/// [`record`](Self::record), when it hands a new request over, before it reads the next
/// PDU. A cancel for that request can only arrive after the request, so it then cannot be
/// wiped by a late `clear`.
#[derive(Debug, Default)]
pub struct CancelTracker {
    slots: [AtomicU32; SLOTS],
    /// Next slot to overwrite when all are occupied.
    cursor: AtomicUsize,
}

#[inline]
fn key(message_id: u16) -> u32 {
    u32::from(message_id) + 1
}

impl CancelTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers that a C-CANCEL-RQ named `message_id_being_responded_to`. Recording an ID
    /// that is already remembered changes nothing.
    pub fn record(&self, message_id_being_responded_to: u16) {
        let k = key(message_id_being_responded_to);
        if self.slots.iter().any(|s| s.load(Ordering::Acquire) == k) {
            return;
        }
        for slot in &self.slots {
            if slot
                .compare_exchange(EMPTY, k, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return;
            }
        }
        let victim = self.cursor.fetch_add(1, Ordering::Relaxed) % SLOTS;
        self.slots[victim].store(k, Ordering::Release);
    }

    /// True if a cancel for `message_id` was recorded and not yet taken; it is forgotten, so
    /// only the first call after a cancel returns true, even when two threads race.
    pub fn take(&self, message_id: u16) -> bool {
        let k = key(message_id);
        let mut found = false;
        // Every slot is visited: a racing pair of records may have stored the ID twice.
        for slot in &self.slots {
            if slot.load(Ordering::Acquire) == k
                && slot
                    .compare_exchange(k, EMPTY, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                found = true;
            }
        }
        found
    }

    /// Forgets every recorded cancel (a new request starts).
    pub fn clear(&self) {
        for slot in &self.slots {
            slot.store(EMPTY, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};
    use std::thread;

    #[test]
    fn take_is_one_shot() {
        let t = CancelTracker::new();
        assert!(!t.take(7));
        t.record(7);
        assert!(!t.take(8));
        assert!(t.take(7));
        assert!(!t.take(7));
    }

    #[test]
    fn extreme_ids() {
        let t = CancelTracker::new();
        t.record(0);
        t.record(u16::MAX);
        assert!(t.take(u16::MAX));
        assert!(t.take(0));
        assert!(!t.take(0));
    }

    #[test]
    fn duplicate_record_is_taken_once() {
        let t = CancelTracker::new();
        t.record(3);
        t.record(3);
        assert!(t.take(3));
        assert!(!t.take(3));
    }

    #[test]
    fn clear_forgets_everything() {
        let t = CancelTracker::new();
        for id in 0..10 {
            t.record(id);
        }
        t.clear();
        assert!((0..10).all(|id| !t.take(id)));
    }

    #[test]
    fn holds_sixteen_and_stays_bounded() {
        let t = CancelTracker::new();
        for id in 100..116 {
            t.record(id);
        }
        assert!((100..116).all(|id| t.take(id)));
        // 40 distinct IDs: only the last 16 written can remain, and the newest is kept.
        for id in 0..40 {
            t.record(id);
        }
        let kept = (0..40).filter(|&id| t.take(id)).count();
        assert_eq!(kept, SLOTS);
        t.record(1);
        t.record(2);
        assert!(t.take(2));
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<CancelTracker>();
    }

    /// Two threads take the same recorded ID at the same moment, many times: exactly one
    /// must win each round. A take that loads and then stores without a compare-exchange
    /// lets both win and fails this test.
    #[test]
    fn racing_takes_win_exactly_once() {
        const ROUNDS: usize = 2000;
        let tracker = Arc::new(CancelTracker::new());
        let start = Arc::new(Barrier::new(3));
        let done = Arc::new(Barrier::new(3));
        let spawn = || {
            let (tracker, start, done) = (tracker.clone(), start.clone(), done.clone());
            thread::spawn(move || {
                let mut wins = Vec::with_capacity(ROUNDS);
                for round in 0..ROUNDS {
                    start.wait();
                    wins.push(tracker.take((round % 65536) as u16));
                    done.wait();
                }
                wins
            })
        };
        let (a, b) = (spawn(), spawn());
        for round in 0..ROUNDS {
            tracker.record(round as u16);
            start.wait();
            done.wait();
        }
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        for round in 0..ROUNDS {
            assert!(
                a[round] ^ b[round],
                "round {round}: a={} b={}",
                a[round],
                b[round]
            );
        }
    }

    /// A recording thread and a polling handler thread run at once, as in an association:
    /// the recorder records each ID (amid stray cancels for other IDs) and waits until the
    /// handler has seen it; the handler polls `take` until it does, then checks it is gone.
    /// A lost cancel trips the spin bound, a duplicated one the second `take`.
    #[test]
    fn record_and_take_from_two_threads() {
        const N: u16 = 2000;
        // Each side yields while it waits, so the test also finishes on an overloaded
        // machine; a lost cancel shows up as the deadline, not as a hang.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let tracker = Arc::new(CancelTracker::new());
        let consumed = Arc::new(AtomicU32::new(0));
        let barrier = Arc::new(Barrier::new(2));
        let recorder = {
            let (tracker, consumed, barrier) = (tracker.clone(), consumed.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                for id in 0..N {
                    tracker.record(id);
                    tracker.record(N + (id % 4));
                    while consumed.load(Ordering::Acquire) <= u32::from(id) {
                        assert!(
                            std::time::Instant::now() < deadline,
                            "handler never consumed {id}"
                        );
                        thread::yield_now();
                    }
                }
            })
        };
        barrier.wait();
        for id in 0..N {
            while !tracker.take(id) {
                assert!(std::time::Instant::now() < deadline, "cancel for {id} lost");
                thread::yield_now();
            }
            assert!(!tracker.take(id), "id {id} taken twice");
            consumed.store(u32::from(id) + 1, Ordering::Release);
        }
        recorder.join().unwrap();
        assert!((N..N + 4).all(|id| tracker.take(id)));
    }
}
