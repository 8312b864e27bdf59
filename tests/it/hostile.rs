//! Hostile inputs: keys whose `Hash` collides, or whose `Hash`/`Eq` panic, values whose `Drop`
//! panics, odd durations and bounds, and initializers that call back into the cache. Each has a
//! documented behaviour (the "Hostile inputs" section of the `PtrCache` docs), and the cache
//! keeps working with its invariants intact afterwards.

use crate::util::{DropCounted, assert_consistent, random, within};
use ptrcache::PtrCache;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// When a [`Touchy`] key's `Hash` or `Eq` panics.
#[derive(Debug, Default)]
struct Trap {
    /// Hashing the key with this id panics (`u64::MAX`: none).
    hash_id: AtomicU64,
    /// Every `hash_every`-th hash of any key panics (0: never).
    hash_every: AtomicU64,
    /// Every `eq_every`-th comparison panics (0: never).
    eq_every: AtomicU64,
    /// Every key hashes alike, so lookups compare keys (and pending initializations) more.
    collide: AtomicBool,
    /// Comparing the key with this id to any other key panics (`u64::MAX`: none).
    eq_id: AtomicU64,
    calls: AtomicU64,
}

impl Trap {
    fn new() -> Arc<Trap> {
        Arc::new(Trap {
            hash_id: AtomicU64::new(u64::MAX),
            eq_id: AtomicU64::new(u64::MAX),
            ..Trap::default()
        })
    }

    fn disarm(&self) {
        self.hash_id.store(u64::MAX, Ordering::SeqCst);
        self.hash_every.store(0, Ordering::SeqCst);
        self.eq_every.store(0, Ordering::SeqCst);
        self.eq_id.store(u64::MAX, Ordering::SeqCst);
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
        if !self.trap.collide.load(Ordering::SeqCst) {
            self.id.hash(state);
        }
    }
}

impl PartialEq for Touchy {
    fn eq(&self, other: &Self) -> bool {
        let eq_id = self.trap.eq_id.load(Ordering::SeqCst);
        if self.trap.tick(&self.trap.eq_every)
            || (self.id != other.id && (eq_id == self.id || eq_id == other.id))
        {
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

#[test]
fn a_key_whose_eq_panics_while_a_get_or_insert_meets_an_expired_entry_has_no_effect() {
    within(Duration::from_secs(20), || {
        let trap = Trap::new();
        trap.collide.store(true, Ordering::SeqCst);
        let key = |id| Touchy { id, trap: Arc::clone(&trap) };
        let cache = PtrCache::<Touchy, u64>::builder().max_entries(8).never_expire().build();
        let (started, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|s| {
            // Key 1's initialization stays pending on another thread.
            s.spawn(|| {
                cache.get_or_insert_with(key(1), || {
                    started.wait();
                    release.wait();
                    1
                })
            });
            started.wait();
            cache.set_exp(key(2), 2, Duration::from_nanos(1));
            std::thread::sleep(Duration::from_millis(1));
            // Key 2's call meets its expired entry and key 1's pending initialization (same
            // hash); comparing the two keys panics.
            let before = (cache.stats(), cache.len());
            trap.eq_id.store(1, Ordering::SeqCst);
            let result = catch_unwind(AssertUnwindSafe(|| cache.get_or_insert_with(key(2), || 3)));
            trap.disarm();
            assert!(result.is_err());
            let after = (cache.stats(), cache.len());
            // `len()` as the call left it, before a write to the shard could correct it.
            let len = cache.len();
            let stored = cache.purge_expired() + cache.entries().len();
            release.wait();
            // The call had no effect: the expired entry was still there, uncounted.
            assert_eq!(after, before, "the panicking call changed the cache");
            assert_eq!(len, stored, "len() was not what is stored");
        });
        assert_consistent(&cache);
        assert_eq!(*cache.get_or_insert_with(key(2), || 4), 4);
    });
}

/// Churns a cache with keys whose `Hash` (or `Eq`) panics every few calls, wherever that
/// lands: at a call's entry, in a table's growth or in-place rehash, in an eviction or a sweep,
/// while an initializer runs (they use the cache for other keys), with values that expire at
/// once or never. After every call the cache must be consistent (`len()` too, before anything
/// else corrects it), and at the end every value is dropped once.
fn churn_with_panicking_keys(collide: bool, arm: impl Fn(&Trap)) {
    let trap = Trap::new();
    trap.collide.store(collide, Ordering::SeqCst);
    let key = |id| Touchy { id, trap: Arc::clone(&trap) };
    let drops = Arc::new(AtomicUsize::new(0));
    let created = AtomicUsize::new(0);
    let cache = PtrCache::<Touchy, DropCounted>::builder().max_entries(48).never_expire().build();
    let make = |id| {
        created.fetch_add(1, Ordering::SeqCst);
        DropCounted::new(id, &drops)
    };
    let mut next = random(3);
    let mut panics = 0;
    for _ in 0..6_000 {
        let id = next() % 160;
        arm(&trap);
        let roll = next();
        let result = catch_unwind(AssertUnwindSafe(|| match roll % 6 {
            0 => drop(cache.set(key(id), make(id))),
            // Stored, and expired a nanosecond later.
            1 => drop(cache.set_exp(key(id), make(id), Duration::from_nanos(1))),
            2 => {
                let value = cache.get_or_insert_with(key(id), || make(id));
                assert_eq!(value.id, id, "a value under another key");
            }
            5 => {
                // An initializer that looks up, and initializes, other keys while its own
                // initialization is pending.
                let value = cache.get_or_insert_with(key(id), || {
                    let other = (id + 1 + (roll >> 8) % 4) % 160;
                    if roll >> 16 & 1 == 0 {
                        // Met expired by the call below, while this key's initialization is pending.
                        drop(cache.set_exp(key(other), make(other), Duration::from_nanos(1)));
                    }
                    let nested = cache.get_or_insert_with(key(other), || make(other));
                    assert_eq!(nested.id, other, "a value under another key");
                    make(id)
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
        // `len()` as the call left it, before a write to its shard could correct it.
        let len = cache.len();
        let purged = cache.purge_expired();
        assert_eq!(len, purged + cache.entries().len(), "len() was not what is stored");
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
    churn_with_panicking_keys(false, |trap| trap.hash_every.store(23, Ordering::SeqCst));
}

#[test]
fn keys_whose_eq_panics_anywhere_never_corrupt_the_cache() {
    churn_with_panicking_keys(false, |trap| trap.eq_every.store(7, Ordering::SeqCst));
}

#[test]
fn colliding_keys_whose_eq_panics_anywhere_never_corrupt_the_cache() {
    churn_with_panicking_keys(true, |trap| trap.eq_every.store(13, Ordering::SeqCst));
}

/// A key whose every value hashes alike.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Colliding(u64);

impl Hash for Colliding {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

#[test]
fn keys_that_all_collide_stay_correct() {
    within(Duration::from_secs(30), || {
        // No eviction: the cache must agree with a map, operation by operation. (Colliding keys
        // share one shard and its share of the bound: 127 entries make a single shard.)
        let cache = PtrCache::<Colliding, u64>::builder().max_entries(127).never_expire().build();
        let mut model = std::collections::HashMap::new();
        let mut next = random(11);
        for step in 0..20_000u64 {
            let key = next() % 120;
            match next() % 4 {
                0 => assert_eq!(cache.set(Colliding(key), step).as_ref(), &step),
                1 => {
                    let got = cache.get_or_insert_with(Colliding(key), || step);
                    assert_eq!(*got, *model.entry(key).or_insert(step));
                    continue;
                }
                2 => assert_eq!(cache.remove(&Colliding(key)).as_deref(), model.remove(&key).as_ref()),
                _ => assert_eq!(cache.get(&Colliding(key)).as_deref(), model.get(&key)),
            }
            if let Some(value) = cache.get(&Colliding(key)) {
                model.insert(key, *value);
            }
        }
        assert_eq!(cache.len(), model.len());
        assert_consistent(&cache);
        // With eviction and expiry: consistent, the bound holds, a set is kept.
        let cache = PtrCache::<Colliding, u64>::builder()
            .max_entries(50)
            .expiration(Duration::from_millis(1))
            .build();
        for step in 0..5_000u64 {
            let key = Colliding(next() % 300);
            cache.set_exp(key.clone(), step, Duration::from_secs(60));
            assert_eq!(cache.get(&key).as_deref(), Some(&step), "a set was not kept");
            cache.get_or_insert_with(Colliding(next() % 300), || step);
            assert!(cache.len() <= 50);
        }
        // Past every 1 ms expiration (and a coarse-clock tick), so that no entry expires while
        // `assert_consistent` compares `entries()` with `get`.
        std::thread::sleep(Duration::from_millis(20));
        cache.purge_expired();
        assert_consistent(&cache);
    });
}

const DROPPERS_EXPIRE: Duration = Duration::from_millis(200);

/// A value whose `Drop` panics (unless the thread is already panicking).
#[derive(Debug)]
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("hostile Drop of {}", self.0);
        }
    }
}

/// A cache of many shards whose values' `Drop` panics or not, as `hostile` says. Its values
/// expire after [`DROPPERS_EXPIRE`]: long enough that none expires while it fills (an insert
/// that met an expired hostile value would panic here), even on a loaded machine.
fn cache_of_droppers(hostile: impl Fn(u64) -> bool) -> PtrCache<u64, Result<PanicOnDrop, u64>> {
    let cache = PtrCache::builder().max_entries(1_000).expiration(DROPPERS_EXPIRE).build();
    for key in 0..300 {
        cache.set(key, if hostile(key) { Ok(PanicOnDrop("a value")) } else { Err(key) });
    }
    cache
}

#[test]
fn clear_empties_every_shard_even_if_a_value_drop_panics() {
    let cache = cache_of_droppers(|key| key == 7);
    let result = catch_unwind(AssertUnwindSafe(|| cache.clear()));
    assert!(result.is_err(), "the panic of the value's Drop reaches the caller");
    assert!(cache.is_empty(), "clear() stopped at the panicking value: {} entries left", cache.len());
    cache.set(1, Err(1));
    assert_consistent(&cache);
}

#[test]
fn values_whose_drop_panics_never_corrupt_the_cache() {
    let cache = cache_of_droppers(|key| key % 50 == 3);
    std::thread::sleep(DROPPERS_EXPIRE + Duration::from_millis(50));
    // Each call that releases one panics after the cache is consistent again; later calls work.
    let mut panics = 0;
    while catch_unwind(AssertUnwindSafe(|| cache.purge_expired())).is_err() {
        panics += 1;
        assert!(panics <= 6, "purge_expired keeps panicking");
    }
    // One panic per shard that held some (a second one in the same call is dropped while the
    // first unwinds, and does not panic again).
    assert!(panics >= 1, "the panics of the values' Drop reach the caller");
    assert!(cache.is_empty());
    cache.set(1, Ok(PanicOnDrop("a replaced value")));
    assert!(catch_unwind(AssertUnwindSafe(|| cache.set(1, Err(2)))).is_err());
    assert!(matches!(cache.get(&1).as_deref(), Some(Err(2))), "the replacing value was stored");
    cache.set(2, Ok(PanicOnDrop("a removed value")));
    assert!(catch_unwind(AssertUnwindSafe(|| drop(cache.remove(&2)))).is_err(), "dropped by the caller");
    assert!(!cache.contains_key(&2));
    assert_consistent(&cache);
}

#[test]
fn odd_durations_mean_never_or_now_and_never_panic() {
    let never = [
        Duration::MAX,
        Duration::new(u64::MAX, 0),
        Duration::from_nanos(u64::MAX),
        Duration::from_secs(u64::MAX / 2),
    ];
    for expiration in never {
        let cache = PtrCache::<u32, u32>::builder().expiration(expiration).max_entries(4).build();
        cache.set(1, 1);
        cache.set_exp(2, 2, expiration);
        cache.get_or_insert_with(3, || 3);
        assert!((1..=3).all(|key| cache.contains_key(&key)), "{expiration:?} must mean never");
        assert_eq!(cache.purge_expired(), 0);
        assert_consistent(&cache);
    }
    for expiration in [Duration::ZERO, Duration::from_nanos(1)] {
        let cache = PtrCache::<u32, u32>::builder().expiration(expiration).max_entries(4).build();
        cache.set(1, 1);
        cache.set_exp(2, 2, expiration);
        assert_eq!(*cache.get_or_insert_with(3, || 3), 3, "still returned to the caller");
        if expiration.is_zero() {
            assert!(cache.is_empty(), "a zero expiration is not even stored");
        }
        std::thread::sleep(Duration::from_millis(1));
        assert!((1..=3).all(|key| cache.get(&key).is_none()), "{expiration:?} must expire at once");
        cache.purge_expired();
        assert!(cache.is_empty());
    }
    let cache = PtrCache::<u32, u32>::new();
    cache.set_exp(1, 1, ptrcache::Expiration::from_secs(i64::MIN));
    cache.set_exp(2, 2, ptrcache::Expiration::from_secs(i64::MAX));
    assert!(cache.contains_key(&1) && cache.contains_key(&2));
}

#[test]
fn an_initializer_may_use_the_cache_for_other_keys_even_in_its_shard() {
    within(Duration::from_secs(20), || {
        // One shard: every key shares the lock, which no initializer holds.
        let cache = PtrCache::<u32, u32>::builder().max_entries(8).never_expire().build();
        let value = cache.get_or_insert_with(1, || {
            let two = cache.get_or_insert_with(2, || *cache.get_or_insert_with(3, || 3) + 10);
            cache.set(4, 4);
            cache.remove(&4);
            assert!(cache.get(&1).is_none(), "a get does not wait for its key's initializer");
            *two + 100
        });
        assert_eq!(*value, 113);
        assert_eq!((cache.get(&2).as_deref(), cache.get(&3).as_deref()), (Some(&13), Some(&3)));
        assert_consistent(&cache);
    });
}

#[test]
fn an_initializer_that_sets_removes_or_clears_its_own_key_is_overruled_by_its_value() {
    within(Duration::from_secs(20), || {
        let cache = PtrCache::<u32, u32>::builder().max_entries(8).never_expire().build();
        let value = cache.get_or_insert_with(1, || {
            cache.set(1, 5);
            assert_eq!(cache.get(&1).as_deref(), Some(&5));
            cache.remove(&1);
            cache.set(1, 6);
            cache.clear();
            7
        });
        assert_eq!(*value, 7);
        assert!(Arc::ptr_eq(&value, &cache.get(&1).unwrap()), "the initializer's value is stored last");
        assert_consistent(&cache);
    });
}

#[test]
fn an_initializer_asking_for_its_own_key_panics_and_the_key_works_afterwards() {
    within(Duration::from_secs(20), || {
        let cache = PtrCache::<u32, u32>::new();
        for attempt in 0..3 {
            let result = catch_unwind(AssertUnwindSafe(|| {
                cache.get_or_insert_with(1, || *cache.try_get_or_insert_with(1, || Ok::<_, ()>(2)).unwrap())
            }));
            assert!(result.is_err(), "attempt {attempt}: no panic");
        }
        assert_eq!(*cache.get_or_insert_with(1, || 3), 3);
        assert_consistent(&cache);
    });
}

#[cfg(feature = "async")]
#[test]
fn an_async_initializer_awaiting_its_own_key_waits_until_cancelled_and_leaves_no_trace() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let cache = PtrCache::<u32, u32>::new();
        // Like a future that awaits itself: it cannot finish. A timeout cancels it.
        let waited = tokio::time::timeout(
            Duration::from_millis(50),
            cache.aget_with(1, || async { *cache.aget_with(1, || async { 2 }).await + 1 }),
        )
        .await;
        assert!(waited.is_err(), "it finished?");
        assert_eq!(*cache.aget_with(1, || async { 3 }).await, 3, "the cancelled flight left no trace");
        assert_consistent(&cache);
    });
}

/// A key whose `Eq` writes its own key into [`REENTRANT`] when armed.
#[derive(Debug, Clone)]
struct Writing(u32);

impl Hash for Writing {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

static REENTRANT: std::sync::LazyLock<PtrCache<Writing, u32>> = std::sync::LazyLock::new(PtrCache::new);
static ARMED: AtomicBool = AtomicBool::new(false);

impl PartialEq for Writing {
    fn eq(&self, other: &Self) -> bool {
        if ARMED.swap(false, Ordering::SeqCst) {
            REENTRANT.set(self.clone(), 0);
        }
        self.0 == other.0
    }
}

impl Eq for Writing {}

#[test]
fn a_key_whose_eq_writes_to_the_shard_it_is_compared_in_panics_instead_of_hanging() {
    REENTRANT.set(Writing(1), 1);
    ARMED.store(true, Ordering::SeqCst);
    let outcome = within(Duration::from_secs(10), || catch_unwind(|| REENTRANT.get(&Writing(1))));
    let message = outcome.expect_err("the read went on");
    let message = message.downcast_ref::<String>().map(String::as_str).unwrap_or_default();
    assert!(message.contains("wait for itself"), "{message}");
    // The shard was left unlocked and consistent.
    assert_eq!(REENTRANT.get(&Writing(1)).as_deref(), Some(&1));
    REENTRANT.set(Writing(1), 2);
    assert_eq!(REENTRANT.get(&Writing(1)).as_deref(), Some(&2));
}

/// A key whose `Eq` asks its cache for key 2 when armed. Every key hashes alike: one shard.
#[derive(Clone)]
struct Joining {
    id: u32,
    hooks: &'static JoinHooks,
}

/// A cache of [`Joining`] keys, with what their `Eq` does and whether key 2's initializer ran.
struct JoinHooks {
    cache: std::sync::LazyLock<PtrCache<Joining, u32>>,
    armed: AtomicBool,
    ran: AtomicBool,
}

impl JoinHooks {
    const fn new() -> Self {
        JoinHooks {
            cache: std::sync::LazyLock::new(PtrCache::new),
            armed: AtomicBool::new(false),
            ran: AtomicBool::new(false),
        }
    }

    fn key(&'static self, id: u32) -> Joining {
        Joining { id, hooks: self }
    }
}

impl std::fmt::Debug for Joining {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Joining({})", self.id)
    }
}

impl Hash for Joining {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

impl PartialEq for Joining {
    fn eq(&self, other: &Self) -> bool {
        if self.hooks.armed.swap(false, Ordering::SeqCst) {
            self.hooks.cache.get_or_insert_with(self.hooks.key(2), || {
                self.hooks.ran.store(true, Ordering::SeqCst);
                2
            });
        }
        self.id == other.id
    }
}

impl Eq for Joining {}

/// Looks key 1 up in `hooks`' cache with the `Eq` armed; returns the panic's message.
fn get_with_a_joining_eq(hooks: &'static JoinHooks) -> String {
    hooks.armed.store(true, Ordering::SeqCst);
    let outcome = within(Duration::from_secs(10), move || {
        catch_unwind(AssertUnwindSafe(|| hooks.cache.get(&hooks.key(1)).map(|v| *v)))
    });
    let message = outcome.expect_err("the read went on");
    message.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn a_key_whose_eq_asks_for_a_key_of_the_shard_being_read_panics_and_stores_nothing() {
    // The call leads key 2 and runs its initializer (the common path does not look for this
    // misuse); storing the value would wait for the read, so for itself: it panics instead.
    static HOOKS: JoinHooks = JoinHooks::new();
    HOOKS.cache.set(HOOKS.key(1), 1);
    let message = get_with_a_joining_eq(&HOOKS);
    assert!(message.contains("wait for itself"), "{message}");
    assert!(HOOKS.ran.load(Ordering::SeqCst));
    // Nothing was stored, and nothing was left pending.
    assert!(HOOKS.cache.get(&HOOKS.key(2)).is_none());
    assert_eq!(*within(Duration::from_secs(10), || HOOKS.cache.get_or_insert_with(HOOKS.key(2), || 22)), 22);
    assert_consistent(&HOOKS.cache);
}

#[test]
fn a_key_whose_eq_asks_for_a_key_another_thread_initializes_in_the_shard_being_read_panics() {
    // Waiting for that flight would hang both threads: the leader's landing write would wait
    // for this thread's read, which waits for the leader.
    static HOOKS: JoinHooks = JoinHooks::new();
    HOOKS.cache.set(HOOKS.key(1), 1);
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let leader = std::thread::spawn(move || {
        *HOOKS.cache.get_or_insert_with(HOOKS.key(2), || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            20
        })
    });
    started_rx.recv().unwrap();
    // Released in any case, so that a hang below fails the test rather than leaving the leader.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let _ = release_tx.send(());
    });
    let message = get_with_a_joining_eq(&HOOKS);
    assert!(message.contains("wait for itself"), "{message}");
    assert_eq!(leader.join().unwrap(), 20);
    releaser.join().unwrap();
    assert_eq!(HOOKS.cache.get(&HOOKS.key(2)).as_deref(), Some(&20));
    assert_consistent(&HOOKS.cache);
}

/// A key whose `Drop` reads the cache it was used with (`REENTRANT_DROP`), when `reads`.
#[derive(Debug)]
struct ReadsOnDrop {
    id: u64,
    reads: bool,
}

impl Hash for ReadsOnDrop {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl PartialEq for ReadsOnDrop {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for ReadsOnDrop {}

impl Drop for ReadsOnDrop {
    fn drop(&mut self) {
        if self.reads {
            let _ = REENTRANT_DROP.get(&ReadsOnDrop { id: u64::MAX, reads: false });
        }
    }
}

/// One shard, so that the two threads below meet in it.
static REENTRANT_DROP: std::sync::LazyLock<PtrCache<ReadsOnDrop, u64>> =
    std::sync::LazyLock::new(|| PtrCache::builder().max_entries(8).build());

#[test]
fn a_key_whose_drop_uses_the_cache_is_dropped_after_unlocking() {
    // A get-or-insert that misses without the lock and then finds the key under it (another
    // thread stored it in between) hands its own key back: dropped under the lock, its `Drop`
    // waited for that very lock forever (in the first 100k rounds here).
    let stop = Arc::new(AtomicBool::new(false));
    let setter = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                REENTRANT_DROP.set(ReadsOnDrop { id: 1, reads: false }, 1);
                REENTRANT_DROP.remove(&ReadsOnDrop { id: 1, reads: false });
            }
        })
    };
    let found = within(Duration::from_secs(30), || {
        let (mut hits, mut misses) = (0_u64, 0_u64);
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            let mut ran = false;
            let value = REENTRANT_DROP.get_or_insert_with(ReadsOnDrop { id: 1, reads: true }, || {
                ran = true;
                2
            });
            if ran {
                misses += 1
            } else {
                hits += u64::from(*value == 1)
            }
            REENTRANT_DROP.remove(&ReadsOnDrop { id: 1, reads: false });
        }
        (hits, misses)
    });
    stop.store(true, Ordering::Relaxed);
    setter.join().unwrap();
    assert!(found.0 > 0 && found.1 > 0, "both outcomes were met: {found:?}");
}

/// A key that all hash alike (one shard) and whose `Eq` looks up absent keys of
/// [`READING_EQ`] when it is `reads`.
#[derive(Debug, Clone)]
struct ReadingEq {
    id: u32,
    reads: bool,
}

impl Hash for ReadingEq {
    fn hash<H: Hasher>(&self, state: &mut H) {
        0_u32.hash(state);
    }
}

impl PartialEq for ReadingEq {
    fn eq(&self, other: &Self) -> bool {
        if self.reads || other.reads {
            for absent in 1_000..1_200 {
                assert!(READING_EQ.get(&ReadingEq { id: absent, reads: false }).is_none());
            }
            assert!(READING_EQ.get(&ReadingEq { id: 2, reads: false }).is_none(), "expired");
        }
        self.id == other.id
    }
}

impl Eq for ReadingEq {}

static READING_EQ: std::sync::LazyLock<PtrCache<ReadingEq, u32>> = std::sync::LazyLock::new(PtrCache::new);

#[test]
fn a_key_whose_eq_only_reads_the_cache_never_makes_a_lookup_write_to_its_shard() {
    // A lookup that meets an expired entry removes it, and every 64th miss of a shard sweeps
    // it, but never from inside a read of the cache: here 200 misses and a lookup of an
    // expired key in the shard being read, from the `Eq` that reads it, would have written to
    // it (and panicked: it would wait for itself).
    READING_EQ.set(ReadingEq { id: 1, reads: false }, 1);
    // Stored, but expired by the next call.
    READING_EQ.set_exp(ReadingEq { id: 2, reads: false }, 2, Duration::from_nanos(1));
    std::thread::sleep(Duration::from_millis(1));
    let found =
        within(Duration::from_secs(10), || READING_EQ.get(&ReadingEq { id: 1, reads: true }).map(|v| *v));
    assert_eq!(found, Some(1));
    assert!(READING_EQ.stats().misses >= 201);
    // Outside an `Eq`, a lookup removes the expired entry it meets, without comparing keys
    // under the write lock: this key's `Eq` reads the shard, and under its own write lock the
    // thread would wait for itself.
    assert_eq!(READING_EQ.len(), 2);
    let expired =
        within(Duration::from_secs(10), || READING_EQ.get(&ReadingEq { id: 2, reads: true }).is_none());
    assert!(expired);
    assert_eq!(READING_EQ.len(), 1);
}

/// Hashes a `u64` to itself, so that tests choose the shard of each key.
#[derive(Clone, Default)]
struct Identity;

struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 hashes here")
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl std::hash::BuildHasher for Identity {
    type Hasher = IdentityHasher;

    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

/// A key whose `Eq` looks up other keys of [`CROSS_READS`]: absent ones of shard B when its
/// `role` is 1, the key of shard A when it is 2.
#[derive(Debug)]
struct CrossReading {
    hash: u64,
    role: u8,
}

const SHARD_A: u64 = 0;
const SHARD_B: u64 = 1 << 32;

impl Hash for CrossReading {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for CrossReading {
    fn eq(&self, other: &Self) -> bool {
        match self.role.max(other.role) {
            1 => {
                for absent in 0..200 {
                    let _ = CROSS_READS.get(&CrossReading { hash: SHARD_B | (absent + 100), role: 0 });
                }
            }
            2 => {
                let _ = CROSS_READS.get(&CrossReading { hash: SHARD_A, role: 0 });
            }
            _ => {}
        }
        self.hash == other.hash
    }
}

impl Eq for CrossReading {}

static CROSS_READS: std::sync::LazyLock<PtrCache<CrossReading, u32, Identity>> =
    std::sync::LazyLock::new(|| PtrCache::builder().hasher(Identity).build());

#[test]
fn lookups_from_eqs_on_two_threads_never_wait_for_each_other() {
    // One thread removes and sets shard A's key, whose `Eq` (run under A's write lock) misses in
    // shard B 200 times; the other reads shard B's key, whose `Eq` (run while announced in B)
    // reads shard A. A miss that swept B while waiting for B's reader deadlocked the two.
    CROSS_READS.set(CrossReading { hash: SHARD_A, role: 0 }, 1);
    CROSS_READS.set(CrossReading { hash: SHARD_B, role: 0 }, 2);
    let rounds = within(Duration::from_secs(30), || {
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut rounds = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    let _ = CROSS_READS.remove(&CrossReading { hash: SHARD_A, role: 1 });
                    CROSS_READS.set(CrossReading { hash: SHARD_A, role: 0 }, 1);
                    rounds += 1;
                }
                rounds
            })
        };
        let reader = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = CROSS_READS.get(&CrossReading { hash: SHARD_B, role: 2 });
                }
            })
        };
        std::thread::sleep(Duration::from_secs(2));
        stop.store(true, Ordering::Relaxed);
        reader.join().unwrap();
        writer.join().unwrap()
    });
    assert!(rounds > 0);
}

/// A value whose `Drop` reads [`REENTRANT_VALUE_DROP`].
struct ReadsCacheOnDrop;

impl Drop for ReadsCacheOnDrop {
    fn drop(&mut self) {
        let _ = REENTRANT_VALUE_DROP.get(&0);
    }
}

/// One shard, so that every drop reads the shard that released the value.
static REENTRANT_VALUE_DROP: std::sync::LazyLock<PtrCache<u64, ReadsCacheOnDrop>> =
    std::sync::LazyLock::new(|| PtrCache::builder().max_entries(2).build());

#[test]
fn a_value_whose_drop_uses_the_cache_is_dropped_after_unlocking() {
    // Replaced, evicted, removed, cleared: each releases a value whose `Drop` reads the shard;
    // dropped under the shard's write lock, it would wait for that lock forever.
    within(Duration::from_secs(10), || {
        let cache = &*REENTRANT_VALUE_DROP;
        cache.set(0, ReadsCacheOnDrop);
        cache.set(0, ReadsCacheOnDrop); // replaces
        for key in 1..10 {
            cache.set(key, ReadsCacheOnDrop); // evicts
        }
        cache.remove(&9);
        cache.clear();
        assert!(cache.is_empty());
    });
}
