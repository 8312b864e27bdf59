//! Hostile inputs: keys whose `Hash` collides, or whose `Hash`/`Eq` panic, values whose `Drop`
//! panics, odd durations and bounds, and initializers that call back into the cache. Each has a
//! documented behaviour (the "Hostile inputs" section of the `PtrCache` docs), and the cache
//! keeps working with its invariants intact afterwards.

use crate::util::{DropCounted, assert_consistent};
use ptrcache::PtrCache;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// When a [`Touchy`] key's `Hash` or `Eq` panics.
#[derive(Debug, Default)]
struct Trap {
    /// Hashing the key with this id panics (`u64::MAX`: none).
    hash_id: AtomicU64,
    /// Every `hash_every`-th hash of any key panics (0: never).
    hash_every: AtomicU64,
    /// Every `eq_every`-th comparison panics (0: never).
    eq_every: AtomicU64,
    calls: AtomicU64,
}

impl Trap {
    fn new() -> Arc<Trap> {
        Arc::new(Trap { hash_id: AtomicU64::new(u64::MAX), ..Trap::default() })
    }

    fn disarm(&self) {
        self.hash_id.store(u64::MAX, Ordering::SeqCst);
        self.hash_every.store(0, Ordering::SeqCst);
        self.eq_every.store(0, Ordering::SeqCst);
    }

    fn tick(&self, every: &AtomicU64) -> bool {
        let every = every.load(Ordering::SeqCst);
        every != 0 && self.calls.fetch_add(1, Ordering::SeqCst) % every == every - 1
    }
}

/// A key whose `Hash` and `Eq` panic when its [`Trap`] says so.
#[derive(Clone, Debug)]
struct Touchy {
    id: u64,
    trap: Arc<Trap>,
}

impl Hash for Touchy {
    fn hash<H: Hasher>(&self, state: &mut H) {
        if self.trap.hash_id.load(Ordering::SeqCst) == self.id || self.trap.tick(&self.trap.hash_every) {
            panic!("hostile Hash");
        }
        self.id.hash(state);
    }
}

impl PartialEq for Touchy {
    fn eq(&self, other: &Self) -> bool {
        if self.trap.tick(&self.trap.eq_every) {
            panic!("hostile Eq");
        }
        self.id == other.id
    }
}

impl Eq for Touchy {}

#[test]
fn a_key_whose_hash_panics_during_an_eviction_leaves_the_cache_consistent() {
    let trap = Trap::new();
    let key = |id| Touchy { id, trap: Arc::clone(&trap) };
    let cache = PtrCache::<Touchy, u64>::builder().max_entries(1).never_expire().build();
    cache.set(key(1), 1);
    // Key 1 is the only eviction victim when key 2 arrives; its `Hash` now panics.
    trap.hash_id.store(1, Ordering::SeqCst);
    let _ = catch_unwind(AssertUnwindSafe(|| cache.set(key(2), 2)));
    trap.disarm();
    assert_consistent(&cache);
    cache.set(key(3), 3);
    assert_consistent(&cache);
    assert_eq!(cache.get(&key(3)).as_deref(), Some(&3));
    cache.remove(&key(1));
    cache.remove(&key(2));
    cache.set(key(4), 4);
    assert_consistent(&cache);
}

/// A small deterministic generator (splitmix64), so that failures reproduce.
fn random(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Churns a cache with keys whose `Hash` (or `Eq`) panics every few calls, wherever that
/// lands: at a call's entry, in a table's growth or in-place rehash, in an eviction or a sweep.
/// After every call the cache must be consistent, and at the end every value is dropped once.
fn churn_with_panicking_keys(arm: impl Fn(&Trap)) {
    let trap = Trap::new();
    let key = |id| Touchy { id, trap: Arc::clone(&trap) };
    let drops = Arc::new(AtomicUsize::new(0));
    let created = AtomicUsize::new(0);
    let cache = PtrCache::<Touchy, DropCounted>::builder().max_entries(48).never_expire().build();
    let mut next = random(3);
    let mut panics = 0;
    for _ in 0..6_000 {
        let id = next() % 160;
        arm(&trap);
        let result = catch_unwind(AssertUnwindSafe(|| match next() % 5 {
            0 | 1 => {
                created.fetch_add(1, Ordering::SeqCst);
                drop(cache.set(key(id), DropCounted::new(id, &drops)));
            }
            2 => {
                let value = cache.get_or_insert_with(key(id), || {
                    created.fetch_add(1, Ordering::SeqCst);
                    DropCounted::new(id, &drops)
                });
                assert_eq!(value.id, id, "a value under another key");
            }
            3 => drop(cache.remove(&key(id))),
            _ => {
                if let Some(value) = cache.get(&key(id)) {
                    assert_eq!(value.id, id, "a value under another key");
                }
            }
        }));
        trap.disarm();
        if let Err(payload) = result {
            let message = payload.downcast_ref::<&str>().copied().unwrap_or("");
            assert!(message.starts_with("hostile"), "the cache itself panicked: {message:?}");
            panics += 1;
        }
        assert_consistent(&cache);
    }
    assert!(panics > 100, "the trap hardly fired ({panics} panics)");
    drop(cache);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        created.load(Ordering::SeqCst),
        "a value leaked or dropped twice"
    );
}

#[test]
fn keys_whose_hash_panics_anywhere_never_corrupt_the_cache() {
    churn_with_panicking_keys(|trap| trap.hash_every.store(23, Ordering::SeqCst));
}

#[test]
fn keys_whose_eq_panics_anywhere_never_corrupt_the_cache() {
    churn_with_panicking_keys(|trap| trap.eq_every.store(7, Ordering::SeqCst));
}
