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
//! from [`PtrCache::set_exp`]. No call returns a value past its deadline. To keep hits and
//! inserts cheap, ptrcache reads the kernel's coarse monotonic clock (5–8 ns on Linux, against
//! ~22 ns for `Instant::now()`): a hit pays for a precise clock read only within 100 ms of a
//! deadline, and a deadline is set from the coarse time, which is about one timer tick behind
//! (4 ms on a typical kernel; up to 6.5–8.7 ms measured on a busy 2-vCPU VM). So a value may
//! expire that much *early*, never late. (On Linux this relies on the coarse clock lagging by
//! less than 100 ms; other platforms read the precise clock every time.)
//! Expired values are released by [`PtrCache::purge_expired`], by lookups that meet them, and
//! by normal traffic: each insertion also checks two slots of its shard (once an entry of the
//! shard can have expired), a lookup that meets an expired entry removes it and checks sixteen
//! slots, every 64th `get` of a shard that misses checks sixteen too (a `get` skips this
//! clean-up when it would wait: another thread holds or reads the shard, or it runs inside a
//! key's `Eq`; a later call does it; hits alone release nothing), eviction takes expired
//! entries first, and a shard that removals leave three quarters empty releases
//! all its expired values as it compacts (so a `remove` or a `set` may release other keys'
//! expired values too). No background thread is started.
//!
//! # Bound and eviction
//!
//! `len() <= max_entries()` holds after every call. The cache is split into shards (at most 32
//! per core, a power of two, 256 in all; each with at least 64 entries' worth of capacity when
//! the bound allows), each with its own
//! lock and its own [S3-FIFO](https://dl.acm.org/doi/10.1145/3600006.3613147) eviction with
//! [TinyLFU](https://arxiv.org/abs/1512.00727)'s frequency filter: new keys enter a small FIFO,
//! keys hit there are promoted to a main CLOCK queue, and a key that leaves the small FIFO
//! without a hit takes the main queue's next victim's place only if the shard has seen it more
//! often lately (a sketch of 4-bit counters, allocated when the shard first evicts: 2 bytes per
//! entry in shards of 1,024 entries or more, up to 16 in smaller ones, within 2 KiB per shard;
//! freed when the shard compacts or is cleared). The small FIFO's share of the cache is tuned by
//! hill climbing on the hit ratio (2% at first; larger for recency-heavy traffic). It beats
//! LRU on most real traces and keeps most of a loop larger than the cache (see the README's
//! benchmarks), costs O(1) amortized per operation,
//! and a hit takes no lock: it announces its read in a slot of its own thread (128 bytes per
//! thread and cache), which writers of that shard wait for, and bumps a saturating counter. So
//! hits on several threads write no shared cache line except the value's reference count (see
//! `src/shard.rs` for the protocol, the crate's only `unsafe`, model-checked with loom in
//! `tests/loom.rs`). Each cache has slots for twice as many threads as the machine has cores
//! (4 to 64, so up to 8 KiB per cache); a thread keeps its slot until it ends, drops the cache,
//! or has used 8 other caches since. Threads that find every slot taken, and reads nested in a
//! key's `Eq`, still work: they read through the shard's lock. A thread that uses more than 8
//! caches in turn claims and frees slots as it goes (a mutex per switch). A value that is evicted, replaced or removed is released by the cache before the
//! call returns. A shard whose slab is three quarters empty (after expiry or removals) releases its
//! expired values, compacts and gives the memory back.
//!
//! # Hashing and HashDoS
//!
//! The default hasher, [`RandomState`], is [foldhash](https://docs.rs/foldhash)'s: 2-3 times
//! faster than std's SipHash on the hit path. Each cache gets its own seed, mixed from a
//! per-process seed (addresses under ASLR and the time at start-up) and a per-cache one (the
//! stack address and a per-thread counter); none of it comes from the operating system's random
//! source. foldhash calls itself "minimally DoS-resistant": no fixed list of keys collides in
//! every process, but it makes no promise against an attacker who can watch the program (timing)
//! and adapt. For keys an attacker chooses, build the cache with std's SipHash-1-3, seeded from
//! the OS: `.hasher(std::collections::hash_map::RandomState::new())`. The bound limits the
//! damage of collisions anyway: colliding keys all land in one shard and share its part of the
//! bound, so a call scans at most that many keys (see [Hostile inputs](#hostile-inputs)).
//!
//! # Hostile inputs
//!
//! What the cache does with inputs that misbehave. In every case it stays consistent (the bound,
//! `len()`, the entries and the single flight agree) and keeps working afterwards; each line is
//! checked by `tests/it/hostile.rs` in the repository.
//!
//! - **Keys that all collide** (a constant `Hash`, or a flood against the hasher): still
//!   correct, only slower. They all land in one shard, so together they get that shard's share
//!   of `max_entries` (`max_entries` divided by the number of shards, 1 to 256), and a call
//!   scans at most that many keys.
//! - **A key whose `Hash` or `Eq` panics**: the panic reaches the caller whose call ran it, and
//!   that call has no effect, as if it had not been made (a get-or-insert call whose value could
//!   not be stored behaves as a failed initializer: nothing stored, waiters retry). The cache
//!   calls `Hash` only outside its locks (each entry keeps its hash, so growing a table and
//!   evicting never rehash keys), and `Eq` only before it changes anything.
//! - **A key whose `Eq` uses the cache it is compared in**: keep `Eq` free of cache calls.
//!   What happens otherwise: a `get` compares keys only while reading, and its clean-up (the
//!   removal of the expired entry it met, a sweep) compares none and is skipped rather than
//!   waited for, so an `Eq` that only looks keys up, called by `get`, works on one thread (tests
//!   in `hostile.rs`). The calls that store or remove (`set`, `remove`, the get-or-insert
//!   calls) compare keys under the shard's write lock: an `Eq` that then uses that shard at
//!   all deadlocks. An `Eq` that writes to the shard being read (a get-or-insert call
//!   that misses included, once it has run its initializer, or at once if another thread
//!   runs one for that key) panics with a clear message instead of waiting for
//!   itself when the reading thread has a slot, and deadlocks when it
//!   reads through the lock (no slot, or a nested read). Reading a shard again while another
//!   thread writes to it deadlocks, like a read lock taken twice, and two threads whose `Eq`s
//!   each write to the shard the other is reading deadlock, as locks taken in opposite orders
//!   do.
//! - **A key or value whose `Drop` uses the cache**: the cache drops the keys and values it does
//!   not keep after unlocking, so their `Drop` may call it.
//! - **A value whose `Drop` panics**: values are dropped after the cache has unlocked and
//!   finished its work on that shard, so the panic reaches the caller of the call that released
//!   the value (an eviction by `set`, `remove`, `clear`, `purge_expired`, dropping the cache) and
//!   the cache is consistent. `clear` still empties every shard; `purge_expired` may stop before
//!   the shards it had not reached (a later call releases them). If one call releases two such
//!   values, the second panics while the first unwinds and Rust aborts the process, as it does
//!   when a `Vec` drops them.
//! - **Huge and zero durations**: an expiration that would overflow the clock
//!   (`Duration::MAX`, `Expiration::from_secs(i64::MAX)`) means never; `Duration::ZERO` expires
//!   at once: the call returns the value and the cache does not keep it. A value with an
//!   expiration of a few nanoseconds has expired by the next call: it is stored but never
//!   returned, and released like any expired value.
//! - **`max_entries(usize::MAX)`**: nothing of that size is allocated; a cache allocates its
//!   shards (at most 256, a few cache lines each) up front, and storage grows with the entries.
//! - **Initializers that call back into the cache**: for other keys, they may do anything (no
//!   lock is held while an initializer runs), also in the same shard. An initializer that stores
//!   or removes its own key with `set`, `remove` or `clear` is overruled: its return value is
//!   stored last. A synchronous initializer that asks for its own key on the same thread panics
//!   with a clear message instead of deadlocking (the cache is not poisoned; the next call runs
//!   a new initializer). An async initializer that awaits its own key waits forever, like a
//!   future that awaits itself; cancelling it (a timeout) leaves no trace. Blocking on its own
//!   key with a synchronous call from inside an async initializer blocks the thread that runs
//!   it, like any blocking call in async code: don't. For the same reason, a synchronous
//!   get-or-insert made from async code waits for an async initializer of its key by blocking
//!   its thread, which that initializer's task may need (always, on a current-thread runtime):
//!   in async code use `aget*`.
//!
//! # Guarantees
//!
//! Each promise, and the tests that check it (in the repository: `tests/it/` is the `it` test
//! binary, `tests/model.rs` the model-based property tests on a mock clock, `tests/soak.rs` the
//! memory soak, `ptrcache-core/tests/loom.rs` the loom model checks).
//!
//! - **Pointer semantics**: two `get`s of an entry return the same `Arc`; `set` of an `Arc`
//!   stores that very pointer. `pointer::repeated_gets_return_the_same_pointer`,
//!   `pointer::set_of_an_arc_stores_that_very_pointer`.
//! - **Bound**: `len() <= max_entries()` after every call, for bounds 0 to 4 and sharded ones,
//!   from many threads. `bound::the_bound_holds_after_every_call_for_small_and_large_bounds`,
//!   `bound::the_bound_holds_from_many_threads_at_once`, `model::tiny_caches_follow_the_model`,
//!   `model::a_sharded_cache_follows_the_model`, `stress::*`.
//! - **Release**: what is evicted, replaced, removed or cleared is released before the call
//!   returns; every value is dropped exactly once.
//!   `bound::evicted_replaced_and_removed_values_are_released_before_the_call_returns`,
//!   `model::*` (a drop log, every step), `stress::*`.
//! - **A set is kept**: `bound::a_value_just_stored_is_kept`, `model::*`.
//! - **Expiry**: no call returns a value past its deadline; expired values do not pile up.
//!   `expiry::no_call_returns_a_value_past_its_deadline`,
//!   `expiry::expired_values_are_released_by_normal_traffic_far_below_the_bound`, `model::*`,
//!   `stress::*` (stale checks).
//! - **Single flight**: one initializer per missing key; the others wait and share its pointer.
//!   `single_flight::concurrent_callers_run_the_initializer_once_and_share_the_pointer`,
//!   `aget::a_thread_and_a_task_share_one_initializer`,
//!   `loom::two_threads_racing_to_initialize_run_one_init_and_share_the_value`, `stress::*`
//!   (never two initializers of a key at once).
//! - **Failure**: a panicking, failing or cancelled initializer stores nothing, leaves no waiter
//!   stuck, and never poisons the cache. `failure::a_waiter_takes_over_when_the_leader_panics`,
//!   `failure::waiters_retry_after_an_err_and_one_of_them_succeeds`,
//!   `aget::a_cancelled_leader_stores_nothing_and_a_waiter_takes_over`,
//!   `loom::a_panicking_leader_hands_over_to_the_waiter_and_stores_nothing_of_its_own`,
//!   `loom::a_failing_leader_hands_over_to_the_waiter_and_stores_nothing_of_its_own`,
//!   `stress::tasks_and_threads_with_cancelled_initializers_leave_no_waiter_stuck`.
//! - **Races**: `remove`/`set` during an initialization and eviction during a `get` leave a
//!   consistent cache. `loom::remove_and_set_racing_with_an_initialization_leave_a_consistent_cache`,
//!   `loom::eviction_racing_with_a_get_of_the_evicted_key_returns_the_value_or_nothing`.
//! - **Stats add up**: `stats::stats_count_each_kind_of_event`,
//!   `stats::stats_are_exact_under_concurrency`, `model::*` (exact after every step).
//! - **Thread safety**: `send_sync::ptr_cache_is_send_and_sync_when_its_types_are`.
//! - **Memory**: flat under churn, back to the empty footprint after `clear()`, nothing
//!   allocated up front for a huge bound.
//!   `soak::the_heap_stays_bounded_and_flat_and_clear_returns_it_to_the_empty_footprint` (and the
//!   long `soak::a_long_soak_keeps_the_heap_flat`).
//! - **Hostile inputs** (above): `hostile::*`.
//!
//! # Features
//!
//! | feature | default | enables | costs |
//! | --- | --- | --- | --- |
//! | `async` | yes | `aget`, `aget_with`, `try_aget_with`, `AsyncPropertyCell` | `tokio` with only its `sync` feature |
//! | `mock-clock` | no | **test-only**: a hidden `advance_mock_clock(Duration)` that moves the clock of every cache in the process forward | an atomic load per clock read |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]
#![warn(clippy::pedantic)]

mod builder;
mod cache;
mod clock;
mod expiration;
mod flight;
mod get_or_insert;
mod loans;
mod pending;
mod policy;
mod property;
mod readers;
mod shard;
mod shard_lock;
mod sketch;
mod stats;
mod store;
mod sync;
mod tuning;

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
