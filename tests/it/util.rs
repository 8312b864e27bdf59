//! Helpers shared by the integration tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A value that counts its drops in a shared counter, to prove no leak and no double drop.
#[derive(Debug)]
pub(crate) struct DropCounted {
    pub(crate) id: u64,
    drops: Arc<AtomicUsize>,
}

impl DropCounted {
    pub(crate) fn new(id: u64, drops: &Arc<AtomicUsize>) -> Self {
        DropCounted { id, drops: Arc::clone(drops) }
    }
}

impl Drop for DropCounted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A small deterministic generator (splitmix64), so that failures reproduce.
pub(crate) fn random(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Runs `f` on another thread and fails the test if it does not finish within `limit`,
/// so a deadlock fails CI instead of hanging it.
pub(crate) fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => {
            handle.join().expect("the test thread panicked after sending");
            value
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(handle.join().expect_err("the test thread ended without a result"))
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("timed out after {limit:?}: a deadlock?"),
    }
}

/// Checks what a cache must satisfy after any call, whatever happened before: the bound,
/// `len()` agrees with the live entries (for caches whose values do not expire), keys are
/// unique, and every entry is found by `get` with the same pointer.
pub(crate) fn assert_consistent<K, V, S>(cache: &ptrcache::PtrCache<K, V, S>)
where
    K: std::hash::Hash + Eq + Clone + std::fmt::Debug,
    S: std::hash::BuildHasher,
{
    let entries = cache.entries();
    assert!(cache.len() <= cache.max_entries(), "len {} > max_entries {}", cache.len(), cache.max_entries());
    assert_eq!(entries.len(), cache.len(), "len() disagrees with the entries");
    for (index, (key, value)) in entries.iter().enumerate() {
        assert!(entries[..index].iter().all(|(other, _)| other != key), "key {key:?} stored twice");
        let found = cache.get(key).unwrap_or_else(|| panic!("entry {key:?} is not found by get"));
        assert!(Arc::ptr_eq(&found, value), "get({key:?}) returned another pointer than entries()");
    }
}
