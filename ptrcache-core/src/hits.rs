//! Counting hits without a shared write per hit.
//!
//! A hit already writes the shard's lock word and the value's reference count; an atomic add
//! to a shared counter would be a third locked instruction and, with several threads, a third
//! cache line moving between cores (PERF-NOTES). So each thread counts a cache's hits in a
//! counter of its own, registered with the cache: only that thread writes it, with a plain load
//! and store, and [`HitCounter::load`] sums the registered counters. When a thread ends (or
//! stops counting for a cache, see [`SLOTS`]) its count is folded into the cache's `retired`
//! total and its counter unregistered, so the registry stays as small as the set of threads
//! that count right now.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Caches a thread counts hits for at once; one more evicts the least recently added.
const SLOTS: usize = 8;

/// The hit count of one cache.
#[derive(Debug, Default)]
pub(crate) struct HitCounter {
    shared: Arc<Registry>,
}

/// A cache's counters of live threads, and the hits of threads that stopped counting.
#[derive(Debug, Default)]
struct Registry {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    retired: u64,
    threads: Vec<Arc<AtomicU64>>,
}

impl Registry {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Folds a thread's counter into `retired` and unregisters it.
    fn retire(&self, counter: &Arc<AtomicU64>) {
        let mut counts = self.counts();
        counts.retired += counter.load(Ordering::Relaxed);
        counts.threads.retain(|other| !Arc::ptr_eq(other, counter));
        if counts.threads.is_empty() {
            // Back to an unused cache's footprint once no thread counts.
            counts.threads = Vec::new();
        }
    }
}

impl HitCounter {
    /// Counts one hit.
    #[inline]
    pub(crate) fn record(&self) {
        let counted = LOCAL.try_with(|local| {
            let Ok(mut local) = local.try_borrow_mut() else { return false };
            let counter = local.counter(&self.shared);
            // Only this thread writes its counter: no read-modify-write needed.
            counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            true
        });
        if counted != Ok(true) {
            // During the thread's teardown.
            self.add(1);
        }
    }

    /// Adds `hits` at once.
    pub(crate) fn add(&self, hits: u64) {
        self.shared.counts().retired += hits;
    }

    /// The total.
    pub(crate) fn load(&self) -> u64 {
        let counts = self.shared.counts();
        counts.retired + counts.threads.iter().map(|counter| counter.load(Ordering::Relaxed)).sum::<u64>()
    }
}

impl Drop for HitCounter {
    fn drop(&mut self) {
        // Free this thread's slot now rather than when the thread ends.
        let _ = LOCAL.try_with(|local| {
            if let Ok(mut local) = local.try_borrow_mut() {
                local.release(&self.shared);
            }
        });
    }
}

type Slot = Option<(Arc<Registry>, Arc<AtomicU64>)>;

thread_local! {
    static LOCAL: RefCell<Local> =
        const { RefCell::new(Local { slots: [const { None }; SLOTS], last: 0, next: 0 }) };
}

/// One thread's counters, per cache.
struct Local {
    slots: [Slot; SLOTS],
    /// The slot used last, looked at first.
    last: usize,
    /// The slot to reuse next.
    next: usize,
}

impl Local {
    #[inline]
    fn counter(&mut self, registry: &Arc<Registry>) -> &AtomicU64 {
        if !matches!(&self.slots[self.last], Some((r, _)) if Arc::ptr_eq(r, registry)) {
            self.find(registry);
        }
        match &self.slots[self.last] {
            Some((_, counter)) => counter,
            None => unreachable!("`find` fills the slot it points `last` at"),
        }
    }

    /// Points `last` at `registry`'s slot, registering a counter if there is none.
    #[cold]
    fn find(&mut self, registry: &Arc<Registry>) {
        let found =
            self.slots.iter().position(|slot| slot.as_ref().is_some_and(|(r, _)| Arc::ptr_eq(r, registry)));
        self.last = match found {
            Some(index) => index,
            None => self.register(registry),
        };
    }

    #[cold]
    fn register(&mut self, registry: &Arc<Registry>) -> usize {
        let index = self.next;
        self.next = (self.next + 1) % SLOTS;
        if let Some((old, counter)) = self.slots[index].take() {
            old.retire(&counter);
        }
        let counter = Arc::new(AtomicU64::new(0));
        registry.counts().threads.push(Arc::clone(&counter));
        self.slots[index] = Some((Arc::clone(registry), counter));
        index
    }

    fn release(&mut self, registry: &Arc<Registry>) {
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|(r, _)| Arc::ptr_eq(r, registry))
                && let Some((registry, counter)) = slot.take()
            {
                registry.retire(&counter);
            }
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        for (registry, counter) in self.slots.iter_mut().filter_map(Option::take) {
            registry.retire(&counter);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_are_counted_at_once_on_every_thread() {
        let counter = HitCounter::default();
        for n in 1..=100 {
            counter.record();
            assert_eq!(counter.load(), n);
        }
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            s.spawn(|| {
                (0..1_000).for_each(|_| counter.record());
                barrier.wait(); // still running: its counter is registered, not retired
                barrier.wait();
            });
            barrier.wait();
            assert_eq!(counter.load(), 1_100);
            barrier.wait();
        });
        assert_eq!(counter.load(), 1_100);
    }

    #[test]
    fn hits_of_ended_threads_stay_counted_and_their_counters_are_unregistered() {
        let counter = HitCounter::default();
        for _ in 0..3 {
            std::thread::spawn({
                let counter = HitCounter { shared: Arc::clone(&counter.shared) };
                move || {
                    (0..1_001).for_each(|_| counter.record());
                    std::mem::forget(counter); // keep the slot: retired at thread exit
                }
            })
            .join()
            .unwrap();
        }
        assert_eq!(counter.load(), 3_003);
        assert!(counter.shared.counts().threads.is_empty());
    }

    #[test]
    fn a_thread_that_alternates_between_many_caches_loses_no_hit() {
        let counters: Vec<HitCounter> = (0..SLOTS + 3).map(|_| HitCounter::default()).collect();
        for round in 0..100 {
            for (i, counter) in counters.iter().enumerate() {
                if (round + i) % 3 != 0 {
                    counter.record();
                }
            }
        }
        for (i, counter) in counters.iter().enumerate() {
            assert_eq!(counter.load(), (0..100).filter(|round| (round + i) % 3 != 0).count() as u64);
            assert!(counter.shared.counts().threads.len() <= 1);
        }
    }

    #[test]
    fn a_dropped_counter_leaves_no_slot_behind() {
        let counter = HitCounter::default();
        counter.record();
        let registry = Arc::clone(&counter.shared);
        drop(counter);
        assert_eq!(Arc::strong_count(&registry), 1, "the thread's slot still holds the registry");
        assert_eq!(registry.counts().retired, 1);
    }
}
