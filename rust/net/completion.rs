//! A queue of finished operations that another thread's event loop drains, woken through
//! one descriptor it watches (an `eventfd`).
//!
//! What it is for: the asyncio API (`python/completions.rs`). The core's I/O thread pushes
//! an outcome without touching Python, and writes the descriptor only when the queue was
//! empty; the event loop reads the descriptor and takes everything queued at once. So a
//! burst of responses costs one wake-up of the loop, and the I/O thread never waits for
//! the GIL.
//!
//! No wake-up is lost: [`CompletionQueue::take`] resets the descriptor before it takes the
//! items, so an item pushed in between is either taken now or, having found the queue
//! empty, writes the descriptor again. The price is an occasional wake-up that finds
//! nothing, which the drain ignores.

use std::sync::{Mutex, MutexGuard};

use super::sys::{self, AsRawFd, OwnedFd, RawFd};

/// See the module docs. `T` is whatever the consumer turns into its own values.
pub struct CompletionQueue<T> {
    fd: OwnedFd,
    items: Mutex<Vec<(u64, T)>>,
}

impl<T> CompletionQueue<T> {
    /// A new queue with its own non-blocking, close-on-exec descriptor (Linux only: the
    /// error elsewhere tells the caller to use another way).
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            fd: sys::eventfd_new()?,
            items: Mutex::new(Vec::new()),
        })
    }

    /// The descriptor that is readable while a wake-up is due.
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    fn items(&self) -> MutexGuard<'_, Vec<(u64, T)>> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Any thread: queues `item` under `token`, and makes the descriptor readable if the
    /// queue was empty.
    pub fn push(&self, token: u64, item: T) {
        let was_empty = {
            let mut items = self.items();
            let empty = items.is_empty();
            items.push((token, item));
            empty
        };
        if was_empty {
            self.wake();
        }
    }

    /// The consumer: resets the descriptor, then takes every queued item in push order.
    pub fn take(&self) -> Vec<(u64, T)> {
        self.reset();
        std::mem::take(&mut *self.items())
    }

    /// Makes the descriptor readable (a wake-up is due).
    fn wake(&self) {
        sys::eventfd_signal(self.fd());
    }

    /// Makes the descriptor unreadable again. With no wake-up due, the non-blocking read
    /// finds nothing at once: the result does not matter either way.
    fn reset(&self) {
        let _ = sys::eventfd_take(self.fd());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn readable(queue: &CompletionQueue<u32>) -> bool {
        sys::wait_readable(queue.fd(), 0)
    }

    #[test]
    fn a_push_makes_it_readable_and_a_take_empties_and_resets_it() {
        let queue = CompletionQueue::new().unwrap();
        assert!(!readable(&queue));
        queue.push(7, 70);
        assert!(readable(&queue));
        queue.push(8, 80);
        assert_eq!(queue.take(), vec![(7, 70), (8, 80)]);
        assert!(!readable(&queue));
        assert!(queue.take().is_empty());
    }

    #[test]
    fn only_a_push_onto_an_empty_queue_writes_the_descriptor() {
        let queue = CompletionQueue::new().unwrap();
        for i in 0..5 {
            queue.push(i, i as u32);
        }
        // The counter the pushes left.
        assert_eq!(sys::eventfd_take(queue.fd()).unwrap(), 1);
        assert_eq!(queue.take().len(), 5);
    }

    #[test]
    fn items_pushed_from_many_threads_are_all_taken_and_each_burst_wakes() {
        let queue = Arc::new(CompletionQueue::new().unwrap());
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let queue = Arc::clone(&queue);
                std::thread::spawn(move || {
                    for i in 0..1000u64 {
                        queue.push(t * 1000 + i, 0);
                    }
                })
            })
            .collect();
        let mut seen = Vec::new();
        let mut drains = 0;
        while seen.len() < 4000 {
            // Waits at most 5 s for the next wake-up.
            assert!(
                sys::wait_readable(queue.fd(), 5000),
                "a queued item left the descriptor unreadable"
            );
            seen.extend(queue.take().into_iter().map(|(token, _)| token));
            drains += 1;
        }
        for t in threads {
            t.join().unwrap();
        }
        seen.extend(queue.take().into_iter().map(|(token, _)| token));
        seen.sort_unstable();
        assert_eq!(seen, (0..4000).collect::<Vec<_>>());
        assert!(drains <= 4000);
    }
}
