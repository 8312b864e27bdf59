//! The runtime of [ptrcache](https://docs.rs/ptrcache): a concurrent, bounded, expiring cache
//! that keeps values by pointer (`Arc<V>`), with single-flight get-or-insert for threads and
//! tasks. Use it through the `ptrcache` crate, which re-exports everything here along with the
//! `#[cached_property]` and `#[ptr_cached]` macros.
//!
//! ```
//! use std::time::Duration;
//! use ptrcache::PtrCache;
//!
//! let cache: PtrCache<u32, String> = PtrCache::builder()
//!     .expiration(Duration::from_secs(60))
//!     .max_entries(1_000)
//!     .build();
//! let name = cache.get_or_insert_with(42, || "Ahri".to_string()); // a miss: runs the closure
//! let again = cache.get(&42).unwrap();                            // a hit: the same pointer
//! assert!(std::sync::Arc::ptr_eq(&name, &again));
//! assert_eq!(cache.stats().hits, 1);
//! ```
//!
//! # Names
//!
//! Methods follow std's words: `_with` takes a closure that computes the value on a miss, `try_`
//! marks a fallible closure whose `Err` is returned and not stored, and an `a` prefix
//! (`aget`, `aget_with`, `try_aget_with`) marks the async form (`aget` is the original's name).
//!
//! # Expiry
//!
//! Every value has a deadline: the cache's expiration (3 hours unless configured), or its own
//! from [`PtrCache::set_exp`]. No call returns a value past its deadline. To keep hits cheap,
//! the check reads the kernel's coarse monotonic clock (~5 ns on Linux) and pays for a precise
//! clock read only within 10 ms of a deadline; so values expire exactly, neither late nor early
//! (on Linux this relies on the coarse clock lagging by at most 10 ms, which holds for any
//! kernel tick rate of 100 Hz or more; other platforms read the precise clock every time).
//! Expired values are released by [`PtrCache::purge_expired`], by lookups that meet them, and
//! by normal traffic: each insertion also checks two slots of its shard, and eviction takes
//! expired entries first. No background thread is started.
//!
//! # Bound and eviction
//!
//! `len() <= max_entries()` holds after every call. The cache is split into up to 256 shards
//! (each with at least 64 entries' worth of capacity when the bound allows), each with its own
//! lock and its own [S3-FIFO](https://dl.acm.org/doi/10.1145/3600006.3613147) eviction: new keys
//! enter a small FIFO, keys hit there are promoted to a main CLOCK queue, and keys evicted
//! without a hit are remembered so that they are promoted at once when they come back. It beats
//! LRU on most real traces (see the README's benchmarks), costs O(1) amortized per operation,
//! and a hit only reads a shard lock and bumps a saturating counter, so reads never take a
//! write lock. A value that is evicted, replaced or removed is released by the cache before the
//! call returns.
//!
//! # Hashing and HashDoS
//!
//! The default hasher, [`RandomState`], is [foldhash](https://docs.rs/foldhash)'s, seeded at
//! random for each cache: about twice as fast as std's SipHash on the hit path. It resists
//! casual collision attacks but makes no cryptographic promise; for keys chosen by an attacker,
//! build the cache with `.hasher(std::collections::hash_map::RandomState::new())`.
//!
//! # Features
//!
//! | feature | default | enables | costs |
//! | --- | --- | --- | --- |
//! | `async` | yes | `aget`, `aget_with`, `try_aget_with`, `AsyncPropertyCell` | `tokio` with only its `sync` feature |
//! | `mock-clock` | no | **test-only**: a hidden `advance_mock_clock(Duration)` that moves the clock of every cache in the process forward | an atomic load per clock read |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

mod builder;
mod cache;
mod clock;
mod expiration;
mod flight;
mod get_or_insert;
mod policy;
mod property;
mod shard;
mod stats;
mod store;
mod sync;

#[cfg(feature = "async")]
mod aget;

pub use builder::Builder;
pub use cache::PtrCache;
#[cfg(feature = "mock-clock")]
#[doc(hidden)]
pub use clock::advance_mock_clock;
pub use expiration::Expiration;
#[cfg(feature = "async")]
pub use property::AsyncPropertyCell;
pub use property::PropertyCell;
pub use stats::Stats;

/// The default hasher of a [`PtrCache`]: foldhash, seeded at random per cache (see
/// [Hashing and HashDoS](crate#hashing-and-hashdos)).
pub type RandomState = foldhash::fast::RandomState;
