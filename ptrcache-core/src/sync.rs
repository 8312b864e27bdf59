//! The synchronization primitives the cache is built on, in one place so that a model checker
//! can replace them: `--cfg ptrcache_loom` swaps in `loom`'s versions (see tests/loom.rs).
//!
//! Locks are never poisoned from the cache's point of view: no user code runs while one is held
//! except `Eq` of keys (before any change, see store.rs) and `Clone` of keys under a read lock in
//! `entries`, and the helpers below recover the guard if that code panicked.

// loom's locks return std's `LockResult` too, so one `PoisonError` serves both.
use std::sync::PoisonError;

#[cfg(not(ptrcache_loom))]
pub(crate) use std::sync::{
    Arc, Condvar, Mutex, MutexGuard,
    atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering},
};

#[cfg(not(ptrcache_loom))]
pub(crate) use std::thread::{ThreadId, yield_now};

#[cfg(not(ptrcache_loom))]
pub(crate) use data_cell::{DataCell, Shared};

/// The calling thread's id, kept in a thread-local: `thread::current()` clones an `Arc`.
#[cfg(not(ptrcache_loom))]
pub(crate) fn current_thread_id() -> ThreadId {
    std::thread_local! {
        static ID: ThreadId = std::thread::current().id();
    }
    ID.try_with(|id| *id).unwrap_or_else(|_| std::thread::current().id())
}

#[cfg(ptrcache_loom)]
pub(crate) use loom::sync::{
    Arc, Condvar, Mutex, MutexGuard,
    atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering},
};

#[cfg(ptrcache_loom)]
pub(crate) use loom_data_cell::{DataCell, Shared};

// loom runs its threads on one OS thread, so thread identity must come from loom too.
#[cfg(ptrcache_loom)]
pub(crate) use loom::thread::{ThreadId, yield_now};

#[cfg(ptrcache_loom)]
pub(crate) fn current_thread_id() -> ThreadId {
    loom::thread::current().id()
}

/// Locks `mutex`, ignoring poison: every critical section leaves its data consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `condvar`, ignoring poison.
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// A reader's half of the handshake: announces `tag` in its `slot`, then reads the shard's lock
/// word, such that of a reader and a writer doing this crosswise (the writer takes the lock
/// word, then reads the slots with [`load_after_lock`]), at least one sees the other's store
/// (Dekker). Returns the word, read with acquire ordering.
///
/// The store must also be a release: a writer that reads a reader's *next* announcement (of
/// another shard) must see the reads before it as finished, and since C++20 a later relaxed
/// store of the same thread no longer extends the release sequence of the earlier clear.
#[inline]
pub(crate) fn store_then_load(slot: &AtomicUsize, tag: usize, word: &AtomicU32) -> u32 {
    // `SeqCst` store and load (one `xchg` on x86) order the pair; loom does not model `SeqCst`
    // accesses, only `SeqCst` fences, so under loom the equivalent fence form is checked.
    #[cfg(not(ptrcache_loom))]
    {
        slot.store(tag, Ordering::SeqCst);
        word.load(Ordering::SeqCst)
    }
    #[cfg(ptrcache_loom)]
    {
        slot.store(tag, Ordering::Release);
        loom::sync::atomic::fence(Ordering::SeqCst);
        word.load(Ordering::Acquire)
    }
}

/// A writer's read of a reader's slot once it holds the lock word (see [`store_then_load`]),
/// with acquire ordering.
#[inline]
pub(crate) fn load_after_lock(other: &AtomicUsize) -> usize {
    #[cfg(not(ptrcache_loom))]
    return other.load(Ordering::SeqCst);
    #[cfg(ptrcache_loom)]
    return other.load(Ordering::Acquire);
}

/// Spins before a waiter starts yielding.
const SPINS: u32 = 64;

/// Yields before a waiter starts sleeping.
const YIELDS: u32 = 64;

/// Waiting for a short hold (of a lock, or of a read announced in a slot) to end: spin a
/// little, then yield to let a descheduled holder run, then sleep (a yield does not let a
/// thread of lower real-time priority run on the same core). A waiter that can be woken (the
/// shard lock's) sleeps until it is once [`is_spent`](Self::is_spent); a waiter for a slot,
/// which a plain store clears, sleeps 50 µs at a time.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    rounds: u32,
}

impl Backoff {
    /// Whether the spins and yields are over, so that a waiter that can be woken should sleep
    /// until it is (always, under loom).
    pub(crate) fn is_spent(&self) -> bool {
        cfg!(ptrcache_loom) || self.rounds >= SPINS + YIELDS
    }

    /// Waits one round.
    pub(crate) fn snooze(&mut self) {
        // Under loom every spin is a step to explore: yield at once.
        if cfg!(ptrcache_loom) || (SPINS..SPINS + YIELDS).contains(&self.rounds) {
            yield_now();
        } else if self.rounds < SPINS {
            std::hint::spin_loop();
        } else {
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
        self.rounds = self.rounds.saturating_add(1);
    }
}

/// An `UnsafeCell` whose accesses loom can check: data guarded by a protocol of our own (see
/// `shard.rs`) rather than by a std lock.
#[cfg(not(ptrcache_loom))]
#[allow(unsafe_code, reason = "the one place that turns the shard protocol into references")]
mod data_cell {
    use std::cell::UnsafeCell;

    #[derive(Debug)]
    pub(crate) struct DataCell<T>(UnsafeCell<T>);

    pub(crate) type Shared<'a, T> = &'a T;
    pub(crate) type Exclusive<'a, T> = &'a mut T;

    impl<T> DataCell<T> {
        pub(crate) fn new(value: T) -> Self {
            DataCell(UnsafeCell::new(value))
        }

        /// # Safety
        /// No [`exclusive`](Self::exclusive) access may exist while the result lives.
        #[inline]
        pub(crate) unsafe fn shared(&self) -> Shared<'_, T> {
            // SAFETY: the caller guarantees that no exclusive reference exists meanwhile.
            unsafe { &*self.0.get() }
        }

        /// # Safety
        /// No other access may exist while the result lives.
        #[inline]
        pub(crate) unsafe fn exclusive(&self) -> Exclusive<'_, T> {
            // SAFETY: the caller guarantees that no other reference exists meanwhile.
            unsafe { &mut *self.0.get() }
        }
    }
}

#[cfg(ptrcache_loom)]
#[allow(unsafe_code, reason = "the one place that turns the shard protocol into references")]
mod loom_data_cell {
    use loom::cell::{ConstPtr, MutPtr, UnsafeCell};
    use std::marker::PhantomData;
    use std::ops::{Deref, DerefMut};

    #[derive(Debug)]
    pub(crate) struct DataCell<T>(UnsafeCell<T>);

    /// loom tracks the access until this is dropped.
    pub(crate) struct Shared<'a, T>(ConstPtr<T>, PhantomData<&'a T>);
    pub(crate) struct Exclusive<'a, T>(MutPtr<T>, PhantomData<&'a mut T>);

    impl<T> DataCell<T> {
        pub(crate) fn new(value: T) -> Self {
            DataCell(UnsafeCell::new(value))
        }

        pub(crate) unsafe fn shared(&self) -> Shared<'_, T> {
            Shared(self.0.get(), PhantomData)
        }

        pub(crate) unsafe fn exclusive(&self) -> Exclusive<'_, T> {
            Exclusive(self.0.get_mut(), PhantomData)
        }
    }

    impl<T> Deref for Shared<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: as for `DataCell::shared`; loom checks it.
            unsafe { self.0.deref() }
        }
    }

    impl<T> Deref for Exclusive<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: as for `DataCell::exclusive`; loom checks it.
            unsafe { self.0.deref() }
        }
    }

    impl<T> DerefMut for Exclusive<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: as for `DataCell::exclusive`; loom checks it.
            unsafe { self.0.deref() }
        }
    }
}
