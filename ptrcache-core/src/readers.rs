//! Per-thread slots of one cache: where a thread announces the shard it is reading without
//! taking the shard's lock, and counts its hits.
//!
//! A read lock writes the lock word, a line every reading thread writes: with two threads that
//! line moves between cores on every hit (PERF-NOTES). So a thread that reads a shard instead
//! writes the shard's tag into a slot of its own (one per thread and cache, on its own cache
//! line), and a writer, once it holds the shard's lock, waits until no slot shows its tag (see
//! `shard.rs` for the protocol). The same slot counts the thread's hits with a plain load and
//! store: no shared write per hit at all, and [`Readers::hits`] sums the slots.
//!
//! Slots are claimed on a thread's first read of the cache and freed when the thread ends (or
//! stops using the cache, see [`CACHES_PER_THREAD`]); a freed slot keeps its hit count for the
//! next owner to add to. A thread that finds no free slot reads through the lock.

use crate::sync::{AtomicU64, AtomicUsize, Mutex, Ordering, lock};
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// Caches a thread holds a slot of at once; one more frees the least recently claimed.
const CACHES_PER_THREAD: usize = 8;

/// A slot's `reading` when its thread reads no shard without the lock.
pub(crate) const IDLE: usize = 0;

/// In `LAST`: the thread found every slot of that cache taken. Harmless if stale (a new cache
/// at a freed one's address): the thread only reads through the lock until it tries again.
const NO_SLOT: usize = usize::MAX;

/// The slots of one cache.
#[derive(Debug)]
pub(crate) struct Readers {
    shared: Arc<Registry>,
}

#[derive(Debug)]
struct Registry {
    slots: Box<[Slot]>,
    /// Slots at or past this index have never been claimed; writers look at the others only.
    claimed: AtomicUsize,
    /// Which slots are free.
    free: Mutex<Vec<usize>>,
    /// Hits counted by threads without a slot (a shared add: they are past the fast path anyway).
    unslotted_hits: AtomicU64,
}

/// One thread's slot, on a line of its own so that threads never write a shared line.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct Slot {
    /// The tag of the shard the owner is reading without the lock, or [`IDLE`].
    pub(crate) reading: AtomicUsize,
    /// Hits counted by this slot's owners; only the owner writes it.
    hits: AtomicU64,
}

impl Slot {
    /// Counts one hit: a plain load and store, since only the owner writes.
    #[inline]
    pub(crate) fn hit(&self) {
        self.hits.store(self.hits.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
}

/// The cores this process may use (4 if unknown). Asked once per process:
/// `available_parallelism` reads files (cgroup quotas) on Linux.
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(4, std::num::NonZero::get))
}

impl Default for Readers {
    fn default() -> Self {
        // Enough for every core twice over; threads past that read through the locks.
        let count = (cores() * 2).clamp(4, 64);
        let slots =
            (0..count).map(|_| Slot { reading: AtomicUsize::new(IDLE), hits: AtomicU64::new(0) }).collect();
        let free = (0..count).rev().collect();
        Readers {
            shared: Arc::new(Registry {
                slots,
                claimed: AtomicUsize::new(0),
                free: Mutex::new(free),
                unslotted_hits: AtomicU64::new(0),
            }),
        }
    }
}

impl Readers {
    /// The calling thread's slot, claimed on first use; `None` if every slot is taken or the
    /// thread is ending.
    #[inline]
    pub(crate) fn slot(&self) -> Option<&Slot> {
        let registry = Arc::as_ptr(&self.shared).addr();
        match LAST.try_with(Cell::get) {
            Ok((last, NO_SLOT)) if last == registry => None,
            Ok((last, index)) if last == registry => Some(&self.shared.slots[index]),
            _ => self.claimed_slot(),
        }
    }

    /// [`slot`](Self::slot) when `LAST` names another cache. A thread that finds every slot
    /// taken remembers it in `LAST`, so that it does not lock the free list on every call; it
    /// tries again once it has used another cache.
    #[cold]
    fn claimed_slot(&self) -> Option<&Slot> {
        let found = LOCAL
            .try_with(|local| local.try_borrow_mut().ok().map(|mut local| local.find(&self.shared)))
            .ok()
            .flatten()?;
        let address = Arc::as_ptr(&self.shared).addr();
        let _ = LAST.try_with(|last| last.set((address, found.unwrap_or(NO_SLOT))));
        Some(&self.shared.slots[found?])
    }

    /// Whether `slot` is the calling thread's claim (never claims one).
    pub(crate) fn is_own(&self, slot: &Slot) -> bool {
        LOCAL
            .try_with(|local| {
                local.try_borrow().is_ok_and(|local| {
                    local.claims.iter().flatten().any(|(registry, index)| {
                        Arc::ptr_eq(registry, &self.shared)
                            && std::ptr::eq(std::ptr::from_ref(&registry.slots[*index]), slot)
                    })
                })
            })
            .unwrap_or(false)
    }

    /// Counts a hit of the calling thread.
    pub(crate) fn hit(&self) {
        match self.slot() {
            Some(slot) => slot.hit(),
            // No slot: a shared add, but such a thread is past the fast path anyway.
            None => {
                self.shared.unslotted_hits.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Every hit counted so far.
    pub(crate) fn hits(&self) -> u64 {
        let slotted: u64 = self.shared.slots.iter().map(|slot| slot.hits.load(Ordering::Relaxed)).sum();
        self.shared.unslotted_hits.load(Ordering::Relaxed) + slotted
    }

    /// The slots a writer must look at: every slot ever claimed.
    ///
    /// Read after the writer has taken its shard's lock word, in the same total order
    /// (`SeqCst`) as a new owner's claim: a slot this misses was claimed after the lock was
    /// taken, so its owner sees the writer and takes the lock. (loom checks the fence form of the
    /// protocol, where weaker orderings here would pass too: keep these `SeqCst`.)
    pub(crate) fn claimed(&self) -> &[Slot] {
        &self.shared.slots[..self.shared.claimed.load(Ordering::SeqCst)]
    }
}

impl Registry {
    fn claim(&self) -> Option<usize> {
        let index = lock(&self.free).pop()?;
        self.claimed.fetch_max(index + 1, Ordering::SeqCst);
        Some(index)
    }

    /// Frees a claim of the calling thread (only the owner frees its claims).
    fn free(&self, index: usize) {
        debug_assert_eq!(self.slots[index].reading.load(Ordering::Relaxed), IDLE);
        let address = std::ptr::from_ref(self).addr();
        let _ = LAST.try_with(|last| {
            if last.get().0 == address {
                last.set((0, 0));
            }
        });
        lock(&self.free).push(index);
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        // Free this thread's slot now rather than when the thread ends.
        let _ = LOCAL.try_with(|local| {
            if let Ok(mut local) = local.try_borrow_mut() {
                local.release(&self.shared);
            }
        });
    }
}

/// A claimed slot: the cache it belongs to and its index there.
type Claim = Option<(Arc<Registry>, usize)>;

#[cfg(not(ptrcache_loom))]
std::thread_local! {
    static LOCAL: RefCell<Local> =
        const { RefCell::new(Local { claims: [const { None }; CACHES_PER_THREAD], next: 0 }) };
    /// The claim used last, as (registry address, slot index), read by every hit without a
    /// borrow of `LOCAL` (and without a destructor, so without a registration check). It only
    /// ever names a claim that `LOCAL` holds, so the registry is alive (its address cannot be
    /// reused) and the slot is this thread's; `Registry::free` clears it.
    static LAST: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

// loom runs its threads on one OS thread: each needs thread-locals of loom's.
#[cfg(ptrcache_loom)]
loom::thread_local! {
    static LOCAL: RefCell<Local> = RefCell::new(Local { claims: [const { None }; CACHES_PER_THREAD], next: 0 });
    static LAST: Cell<(usize, usize)> = Cell::new((0, 0));
}

/// One thread's slots, per cache.
struct Local {
    claims: [Claim; CACHES_PER_THREAD],
    /// The claim to replace next.
    next: usize,
}

impl Local {
    /// The index of this thread's slot of `registry`, claiming one if needed.
    fn find(&mut self, registry: &Arc<Registry>) -> Option<usize> {
        let found = self
            .claims
            .iter()
            .position(|claim| claim.as_ref().is_some_and(|(r, _)| Arc::ptr_eq(r, registry)));
        let position = match found {
            Some(position) => position,
            None => self.claim(registry)?,
        };
        self.claims[position].as_ref().map(|(_, index)| *index)
    }

    /// Claims a slot of `registry` in place of the oldest claim whose thread is not reading
    /// through it: a thread in the middle of a read (a key's `Eq` may use another cache) must
    /// keep its slot until the read ends.
    #[cold]
    fn claim(&mut self, registry: &Arc<Registry>) -> Option<usize> {
        let position =
            (0..CACHES_PER_THREAD).map(|i| (self.next + i) % CACHES_PER_THREAD).find(|&position| {
                self.claims[position]
                    .as_ref()
                    .is_none_or(|(r, index)| r.slots[*index].reading.load(Ordering::Relaxed) == IDLE)
            })?;
        let index = registry.claim()?;
        self.next = (position + 1) % CACHES_PER_THREAD;
        if let Some((old, old_index)) = self.claims[position].replace((Arc::clone(registry), index)) {
            old.free(old_index);
        }
        Some(position)
    }

    fn release(&mut self, registry: &Arc<Registry>) {
        for claim in &mut self.claims {
            if claim.as_ref().is_some_and(|(r, _)| Arc::ptr_eq(r, registry))
                && let Some((registry, index)) = claim.take()
            {
                registry.free(index);
            }
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        for (registry, index) in self.claims.iter_mut().filter_map(Option::take) {
            registry.free(index);
        }
    }
}

#[cfg(all(test, not(ptrcache_loom)))]
mod tests {
    use super::*;

    fn record(readers: &Readers) {
        readers.hit();
    }

    fn free_slots(readers: &Readers) -> usize {
        lock(&readers.shared.free).len()
    }

    #[test]
    fn hits_are_counted_at_once_on_every_thread() {
        let readers = Readers::default();
        for n in 1..=100 {
            record(&readers);
            assert_eq!(readers.hits(), n);
        }
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            s.spawn(|| {
                (0..1_000).for_each(|_| record(&readers));
                barrier.wait(); // still running: its slot is claimed
                barrier.wait();
            });
            barrier.wait();
            assert_eq!(readers.hits(), 1_100);
            assert_eq!(readers.claimed().len(), 2);
            barrier.wait();
        });
        assert_eq!(readers.hits(), 1_100);
    }

    #[test]
    fn ended_threads_free_their_slots_and_keep_their_hits() {
        let readers = Readers::default();
        let all = free_slots(&readers);
        for _ in 0..3 {
            std::thread::spawn({
                let readers = Readers { shared: Arc::clone(&readers.shared) };
                move || {
                    (0..1_001).for_each(|_| record(&readers));
                    std::mem::forget(readers); // keep the slot: freed at thread exit
                }
            })
            .join()
            .unwrap();
        }
        assert_eq!(readers.hits(), 3_003);
        assert_eq!(free_slots(&readers), all);
        assert_eq!(readers.claimed().len(), 1, "each ended thread's slot was reused");
    }

    #[test]
    fn threads_past_the_slots_count_their_hits_too() {
        let readers = Readers::default();
        let all = free_slots(&readers);
        let barrier = std::sync::Barrier::new(all + 3);
        std::thread::scope(|s| {
            for _ in 0..all + 3 {
                s.spawn(|| {
                    (0..10).for_each(|_| record(&readers));
                    barrier.wait();
                });
            }
        });
        // Scoped threads may still be running their thread-local destructors here.
        assert_eq!(readers.hits(), (all as u64 + 3) * 10);
        // Every thread held its slot until all had counted: at least 3 counted without one.
        assert!(readers.shared.unslotted_hits.load(Ordering::Relaxed) >= 30);
    }

    #[test]
    fn a_thread_without_a_slot_remembers_it_and_tries_again_after_using_another_cache() {
        let readers = Readers::default();
        let all = free_slots(&readers);
        let taken = Arc::new(std::sync::Barrier::new(all + 1));
        let release = Arc::new(std::sync::Barrier::new(all + 1));
        let handles: Vec<_> = (0..all)
            .map(|_| {
                let readers = Readers { shared: Arc::clone(&readers.shared) };
                let (taken, release) = (Arc::clone(&taken), Arc::clone(&release));
                std::thread::spawn(move || {
                    assert!(readers.slot().is_some());
                    taken.wait();
                    release.wait();
                    std::mem::forget(readers); // keep the claim: freed at thread exit
                })
            })
            .collect();
        taken.wait();
        assert!(readers.slot().is_none(), "every slot is taken");
        readers.hit();
        assert!(readers.slot().is_none());
        release.wait();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(free_slots(&readers), all);
        assert!(readers.slot().is_none(), "remembered until another cache is used");
        let other = Readers::default();
        assert!(other.slot().is_some());
        assert!(readers.slot().is_some(), "tried again after using another cache");
        assert_eq!(readers.hits(), 1);
    }

    #[test]
    fn a_thread_that_alternates_between_many_caches_loses_no_hit() {
        let caches: Vec<Readers> = (0..CACHES_PER_THREAD + 3).map(|_| Readers::default()).collect();
        for round in 0..100 {
            for (i, readers) in caches.iter().enumerate() {
                if (round + i) % 3 != 0 {
                    record(readers);
                }
            }
        }
        for (i, readers) in caches.iter().enumerate() {
            assert_eq!(readers.hits(), (0..100).filter(|round| (round + i) % 3 != 0).count() as u64);
            assert!(free_slots(readers) + 1 >= readers.shared.slots.len());
        }
    }

    #[test]
    fn a_slot_in_use_by_a_read_is_never_given_up() {
        let caches: Vec<Readers> = (0..=CACHES_PER_THREAD).map(|_| Readers::default()).collect();
        let reading = caches[0].slot().unwrap();
        reading.reading.store(1, Ordering::Relaxed);
        for readers in &caches[1..] {
            record(readers);
        }
        let again = caches[0].slot().unwrap();
        assert!(std::ptr::eq(reading, again), "the reading slot was freed");
        reading.reading.store(IDLE, Ordering::Relaxed);
    }

    #[test]
    fn a_new_cache_at_a_dropped_one_s_address_gets_a_claim_of_its_own() {
        // The allocator reuses the registry's address at once, so a stale `LAST` would hand
        // out an index of the old cache without claiming it in the new one.
        let all = free_slots(&Readers::default());
        for _ in 0..100 {
            let readers = Readers::default();
            record(&readers);
            assert_eq!(free_slots(&readers), all - 1, "the hit used a slot it had not claimed");
            assert_eq!(readers.hits(), 1);
        }
    }

    #[test]
    fn a_dropped_cache_leaves_no_claim_behind() {
        let readers = Readers::default();
        record(&readers);
        let registry = Arc::clone(&readers.shared);
        drop(readers);
        assert_eq!(Arc::strong_count(&registry), 1, "the thread's claim still holds the registry");
        assert_eq!(registry.slots.iter().map(|slot| slot.hits.load(Ordering::Relaxed)).sum::<u64>(), 1);
    }
}
