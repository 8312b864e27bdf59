use crate::sync::{AtomicU64, Ordering};

/// Counters of what a cache has done since it was built, from [`PtrCache::stats`].
///
/// [`PtrCache::stats`]: crate::PtrCache::stats
///
/// - `hits`: lookups (`get`, get-or-insert calls) that found a live value.
/// - `misses`: lookups that did not; a get-or-insert call counts one miss however long it waits.
/// - `inserts`: values stored (`set`, `set_exp`, and initializers whose value was kept).
/// - `evictions`: live values dropped to respect `max_entries`.
/// - `expirations`: expired values removed (by a lookup, `purge_expired`, or normal traffic).
///
/// `contains_key` counts neither a hit nor a miss. Hits are counted by each thread in a counter
/// of its own (so a hit writes no shared counter), the rest with relaxed atomics per shard; a
/// snapshot taken while other threads work may be a little behind, never ahead.
///
/// ```
/// let cache = ptrcache::PtrCache::<&str, u32>::new();
/// cache.set("a", 1);
/// assert!(cache.get("a").is_some());
/// assert!(cache.get("b").is_none());
/// let stats = cache.stats();
/// assert_eq!((stats.hits, stats.misses, stats.inserts), (1, 1, 1));
/// assert_eq!(stats.hit_ratio(), 0.5);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Stats {
    /// Lookups that found a live value.
    pub hits: u64,
    /// Lookups that found no live value.
    pub misses: u64,
    /// Values stored.
    pub inserts: u64,
    /// Live values dropped to respect `max_entries`.
    pub evictions: u64,
    /// Expired values removed.
    pub expirations: u64,
}

impl Stats {
    /// `hits / (hits + misses)`, or 0 when there were no lookups.
    ///
    /// ```
    /// assert_eq!(ptrcache::Stats::default().hit_ratio(), 0.0);
    /// ```
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "a ratio: counts past 2^53 lose only digits far below what a ratio shows"
    )]
    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.hits + self.misses;
        if lookups == 0 { 0.0 } else { self.hits as f64 / lookups as f64 }
    }
}

/// One shard's counters (hits are counted per thread, see `readers.rs`). Misses are bumped without
/// the lock, the rest under the write lock; all are atomics so that `stats()` can read them
/// without locking. `expirations`, rarely bumped, comes first: it shares a line with fields a
/// miss leaves clean, and the others the line of what every miss writes (see `Shard`).
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct Counters {
    pub(crate) expirations: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) inserts: AtomicU64,
    pub(crate) evictions: AtomicU64,
}

impl Counters {
    /// Adds to `inserts`, `evictions` or `expirations`, which only change under the shard's
    /// write lock: a plain load and store, since a locked add would also wait for every store of
    /// the write to drain (measured: the costliest instruction of an insert).
    #[inline]
    pub(crate) fn add(counter: &AtomicU64, n: u64) -> u64 {
        let sum = counter.load(Ordering::Relaxed) + n;
        counter.store(sum, Ordering::Relaxed);
        sum
    }

    /// Adds to `misses`, which `get` counts without the lock; returns the new count (the old
    /// one when `n` is 0).
    #[inline]
    pub(crate) fn add_miss(counter: &AtomicU64, n: u64) -> u64 {
        if n == 0 {
            return counter.load(Ordering::Relaxed);
        }
        counter.fetch_add(n, Ordering::Relaxed).wrapping_add(n)
    }

    pub(crate) fn add_to(&self, stats: &mut Stats) {
        stats.misses += self.misses.load(Ordering::Relaxed);
        stats.inserts += self.inserts.load(Ordering::Relaxed);
        stats.evictions += self.evictions.load(Ordering::Relaxed);
        stats.expirations += self.expirations.load(Ordering::Relaxed);
    }
}
