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
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering},
};

#[cfg(not(ptrcache_loom))]
pub(crate) use std::thread::ThreadId;

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
    atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering},
};

// loom runs its threads on one OS thread, so thread identity must come from loom too.
#[cfg(ptrcache_loom)]
pub(crate) use loom::thread::ThreadId;

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

/// Write-locks `lock`, ignoring poison (see the module docs).
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `condvar`, ignoring poison.
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}
