//! The synchronization primitives the cache is built on, in one place so that a model checker
//! can replace them: `--cfg ptrcache_loom` swaps in `loom`'s versions (see tests/loom.rs).
//!
//! Locks are never poisoned from the cache's point of view: no user code runs while one is held
//! except `Eq` of keys (before any change, see store.rs) and `Clone` of keys under a read lock in
//! `entries`, and the helpers below recover the guard if that code panicked.

// loom's locks return std's `LockResult` too, so one `PoisonError` serves both.
use std::sync::{PoisonError, TryLockError};

#[cfg(not(ptrcache_loom))]
pub(crate) use std::sync::{
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering},
};

#[cfg(not(ptrcache_loom))]
pub(crate) use std::thread::{ThreadId, yield_now};

#[cfg(not(ptrcache_loom))]
pub(crate) use data_cell::{DataCell, Exclusive, Shared};

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
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering},
};

#[cfg(ptrcache_loom)]
pub(crate) use loom_data_cell::{DataCell, Exclusive, Shared};

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

/// Read-locks `lock`, ignoring poison (see the module docs).
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks `lock` if no writer holds it, ignoring poison (see the module docs).
pub(crate) fn try_read<T>(lock: &RwLock<T>) -> Option<RwLockReadGuard<'_, T>> {
    match lock.try_read() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// Write-locks `lock`, ignoring poison (see the module docs).
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks `lock` if no one holds it, ignoring poison (see the module docs).
pub(crate) fn try_write<T>(lock: &RwLock<T>) -> Option<RwLockWriteGuard<'_, T>> {
    match lock.try_write() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// Waits on `condvar`, ignoring poison.
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// A reader's half of the handshake: announces `tag` in its `slot`, then reads the shard's
/// `writing` flag, such that of a reader and a writer doing this crosswise (see [`raise`]), at
/// least one sees the other's store (Dekker). Returns the flag, read with acquire ordering.
///
/// The store must also be a release: a writer that reads a reader's *next* announcement (of
/// another shard) must see the reads before it as finished, and since C++20 a later relaxed
/// store of the same thread no longer extends the release sequence of the earlier clear.
#[inline]
pub(crate) fn store_then_load(slot: &AtomicUsize, tag: usize, writing: &AtomicBool) -> bool {
    // `SeqCst` store and load (one `xchg` on x86) order the pair; loom does not model `SeqCst`
    // accesses, only `SeqCst` fences, so under loom the equivalent fence form is checked.
    #[cfg(not(ptrcache_loom))]
    {
        slot.store(tag, Ordering::SeqCst);
        writing.load(Ordering::SeqCst)
    }
    #[cfg(ptrcache_loom)]
    {
        slot.store(tag, Ordering::Release);
        loom::sync::atomic::fence(Ordering::SeqCst);
        writing.load(Ordering::Acquire)
    }
}

/// The writer's half of [`store_then_load`]: raises `flag`; the caller then reads the readers'
/// stores with [`load_after_raise`].
#[inline]
pub(crate) fn raise(flag: &AtomicBool) {
    #[cfg(not(ptrcache_loom))]
    flag.store(true, Ordering::SeqCst);
    #[cfg(ptrcache_loom)]
    {
        flag.store(true, Ordering::Relaxed);
        loom::sync::atomic::fence(Ordering::SeqCst);
    }
}

/// A read of a reader's store after [`raise`], with acquire ordering.
#[inline]
pub(crate) fn load_after_raise(other: &AtomicUsize) -> usize {
    #[cfg(not(ptrcache_loom))]
    return other.load(Ordering::SeqCst);
    #[cfg(ptrcache_loom)]
    return other.load(Ordering::Acquire);
}

/// An `UnsafeCell` whose accesses loom can check: data guarded by a protocol of our own (see
/// `shard.rs`) rather than by a lock.
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
