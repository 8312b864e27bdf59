//! The cached value: 64 bytes, so that an `Arc<Payload>` block is 80 bytes.

use std::sync::atomic::{AtomicI64, Ordering};

/// The value of every workload: 64 bytes, built from its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    /// The key it was made for, then filler.
    pub words: [u64; 8],
}

impl Payload {
    /// The payload for `key`.
    #[inline]
    pub fn new(key: u64) -> Self {
        Payload { words: [key, 1, 2, 3, 4, 5, 6, 7] }
    }

    /// The key it was made for.
    #[inline]
    pub fn key(&self) -> u64 {
        self.words[0]
    }
}

const _: () = assert!(size_of::<Payload>() == 64);

/// Payloads of type [`Tracked`] alive right now (the expiry workload is single-threaded).
pub static TRACKED_LIVE: AtomicI64 = AtomicI64::new(0);

/// A 64-byte payload that counts how many of its kind are alive, to tell how many values a
/// cache still holds. Used only where that is measured (expiry), never in timed loops.
#[derive(Debug)]
pub struct Tracked {
    /// The key it was made for, then filler.
    pub words: [u64; 8],
}

impl Tracked {
    /// The payload for `key`; counts one more alive.
    pub fn new(key: u64) -> Self {
        TRACKED_LIVE.fetch_add(1, Ordering::Relaxed);
        Tracked { words: [key, 1, 2, 3, 4, 5, 6, 7] }
    }

    /// How many are alive.
    pub fn live() -> i64 {
        TRACKED_LIVE.load(Ordering::Relaxed)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        TRACKED_LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

const _: () = assert!(size_of::<Tracked>() == 64);
