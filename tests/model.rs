//! Model-based property tests: random sequences of every public operation, run against the
//! cache and against a simple reference model, with the invariants checked after every step.
//!
//! Time is the test clock (`ptrcache-core`'s `mock-clock` feature): steps move it forward by
//! whole minutes, and expirations are whole minutes, so real time passing during a case (far
//! less than a minute) never makes an entry's state ambiguous. The clock is process-global,
//! which is why these tests live in their own binary and take [`CLOCK`] one at a time.
//!
//! The model knows exactly what the cache holds: every value counts its drop, the test keeps no
//! `Arc` of its own, so a value leaves the cache exactly when it is dropped. What the model cannot
//! predict is *which* entry an eviction picks; it learns that from the drops and checks that the
//! choice was allowed (one live victim at most, only when a new key enters a full shard).
//!
//! `PROPTEST_CASES=5000 cargo test --test model` searches longer. A failing case shrinks, and
//! proptest saves its seed in `tests/model.proptest-regressions` (replayed first on every run);
//! commit that file, and write the shrunk case out as a named test below.

use proptest::prelude::*;
use ptrcache::{Expiration, PtrCache};
use ptrcache_core::advance_mock_clock;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, Once};
use std::time::Duration;

/// The model's unit of time, long enough that the real time a case takes is negligible.
const MINUTE: Duration = Duration::from_secs(60);

/// What a panicking initializer panics with; the panic hook keeps it quiet.
const INIT_PANIC: &str = "model: the initializer panics";

/// `PROPTEST_CASES` if set, else `default`.
fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default)
}

/// Held by each test, since they all move the process-global clock.
static CLOCK: Mutex<()> = Mutex::new(());

fn serialize() -> MutexGuard<'static, ()> {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&INIT_PANIC) {
                default(info);
            }
        }));
    });
    CLOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An expiration, in the model's minutes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Exp {
    Never,
    /// `Duration::MAX`: must mean never.
    Max,
    /// Expired at once: returned, not kept.
    Zero,
    Minutes(u64),
}

impl Exp {
    fn expiration(self) -> Expiration {
        match self {
            Exp::Never => Expiration::from_secs(-1),
            Exp::Max => Expiration::After(Duration::MAX),
            Exp::Zero => Expiration::After(Duration::ZERO),
            Exp::Minutes(minutes) => Expiration::After(MINUTE * minutes as u32),
        }
    }

    /// The deadline of a value stored at `now`; `None` never comes.
    fn deadline(self, now: u64) -> Option<u64> {
        match self {
            Exp::Never | Exp::Max => None,
            Exp::Zero => Some(now),
            Exp::Minutes(minutes) => Some(now + minutes),
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Get(u16),
    GetOrInsert(u16),
    TryOk(u16),
    TryErr(u16),
    /// `get_or_insert_with` whose initializer panics.
    InitPanics(u16),
    /// `aget_with` with a ready future.
    Aget(u16),
    Set(u16),
    SetExp(u16, Exp),
    Remove(u16),
    ContainsKey(u16),
    Clear,
    PurgeExpired,
    Entries,
    Len,
    Stats,
    Advance(u64),
}

impl Op {
    /// The key this operation is about, if any.
    fn key(&self) -> Option<u16> {
        match *self {
            Op::Get(k)
            | Op::GetOrInsert(k)
            | Op::TryOk(k)
            | Op::TryErr(k)
            | Op::InitPanics(k)
            | Op::Aget(k)
            | Op::Set(k)
            | Op::SetExp(k, _)
            | Op::Remove(k)
            | Op::ContainsKey(k) => Some(k),
            _ => None,
        }
    }
}

fn exp() -> impl Strategy<Value = Exp> {
    prop_oneof![
        1 => Just(Exp::Never),
        1 => Just(Exp::Max),
        1 => Just(Exp::Zero),
        5 => (1..=4u64).prop_map(Exp::Minutes),
    ]
}

fn op(keys: u16) -> impl Strategy<Value = Op> {
    let key = 0..keys;
    prop_oneof![
        6 => key.clone().prop_map(Op::Get),
        5 => key.clone().prop_map(Op::GetOrInsert),
        2 => key.clone().prop_map(Op::TryOk),
        2 => key.clone().prop_map(Op::TryErr),
        1 => key.clone().prop_map(Op::InitPanics),
        2 => key.clone().prop_map(Op::Aget),
        6 => key.clone().prop_map(Op::Set),
        4 => (key.clone(), exp()).prop_map(|(k, e)| Op::SetExp(k, e)),
        3 => key.clone().prop_map(Op::Remove),
        2 => key.prop_map(Op::ContainsKey),
        1 => Just(Op::Clear),
        1 => Just(Op::PurgeExpired),
        1 => Just(Op::Entries),
        1 => Just(Op::Len),
        1 => Just(Op::Stats),
        3 => (0..=3u64).prop_map(Op::Advance),
    ]
}

/// The cache's settings for one case.
#[derive(Clone, Debug)]
struct Config {
    max_entries: usize,
    expiration: Exp,
    /// Every key hashes alike (all collide, one shard).
    collide: bool,
}

fn configs(max_entries: impl Strategy<Value = usize>) -> impl Strategy<Value = Config> {
    let expiration = prop_oneof![3 => (1..=4u64).prop_map(Exp::Minutes), 1 => Just(Exp::Never), 1 => Just(Exp::Zero), 1 => Just(Exp::Max)];
    (max_entries, expiration, proptest::bool::weighted(0.2))
        .prop_map(|(max_entries, expiration, collide)| Config { max_entries, expiration, collide })
}

/// A hasher under which every key collides.
#[derive(Clone, Debug, Default)]
struct Collide;

impl BuildHasher for Collide {
    type Hasher = CollideHasher;
    fn build_hasher(&self) -> CollideHasher {
        CollideHasher
    }
}

#[derive(Debug)]
struct CollideHasher;

impl Hasher for CollideHasher {
    fn finish(&self) -> u64 {
        0x5EED
    }
    fn write(&mut self, _: &[u8]) {}
}

/// A stored value: its key, a unique id, and a log of drops shared with the test.
#[derive(Debug)]
struct Val {
    key: u16,
    id: u64,
    drops: Arc<Mutex<Vec<u64>>>,
}

impl Drop for Val {
    fn drop(&mut self) {
        self.drops.lock().unwrap().push(self.id);
    }
}

/// What the model knows of a stored value.
#[derive(Clone, Copy, Debug)]
struct Entry {
    id: u64,
    deadline: Option<u64>,
}

/// The reference model: what is stored (exactly, learned from drops), the time, the counters.
#[derive(Debug, Default)]
struct Model {
    now: u64,
    stored: HashMap<u16, Entry>,
    hits: u64,
    misses: u64,
    inserts: u64,
    evictions: u64,
    expirations: u64,
    next_id: u64,
}

impl Model {
    fn live(&self, entry: &Entry) -> bool {
        entry.deadline.is_none_or(|deadline| deadline > self.now)
    }

    fn live_id(&self, key: u16) -> Option<u64> {
        self.stored.get(&key).filter(|entry| self.live(entry)).map(|entry| entry.id)
    }

    fn expired_entry(&self, key: u16) -> bool {
        self.stored.get(&key).is_some_and(|entry| !self.live(entry))
    }
}

/// Polls a future that must not wait (nothing else runs): an uncontended `aget_with`.
#[cfg(feature = "async")]
fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("an uncontended aget_with waited"),
    }
}

/// Runs `ops` on a cache built from `config` and on the model, checking every step.
fn check(config: &Config, ops: &[Op]) -> Result<(), TestCaseError> {
    let _clock = serialize();
    let builder = PtrCache::<u16, Val>::builder()
        .max_entries(config.max_entries)
        .expiration(config.expiration.expiration());
    if config.collide {
        run(builder.hasher(Collide).build(), config, ops)
    } else {
        run(builder.build(), config, ops)
    }
}

fn run<S: BuildHasher>(
    cache: PtrCache<u16, Val, S>,
    config: &Config,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let drops = Arc::new(Mutex::new(Vec::new()));
    let mut model = Model::default();
    let mut dropped = HashSet::new();
    let max = config.max_entries;
    // One shard below 128 entries: then an eviction happens only when the whole cache is full.
    let one_shard = max < 128;
    for (step, op) in ops.iter().enumerate() {
        let drops_before = drops.lock().unwrap().len();
        // Whether this step may push other keys out: it stores a key that is not there (a
        // get-or-insert call first removes an expired entry of its key).
        let replaces = matches!(op, Op::Set(key) | Op::SetExp(key, _) if model.stored.contains_key(key));
        // Whether this step is a lookup that meets an expired entry of its key (removing it, the
        // cache also sweeps a few slots of the shard), or a `get` that misses (every 64th miss
        // of a shard sweeps too): either may release other expired values.
        let sweeps = matches!(
            op,
            Op::Get(key) | Op::GetOrInsert(key) | Op::TryOk(key) | Op::TryErr(key) | Op::InitPanics(key)
                | Op::Aget(key) if model.expired_entry(*key)
        ) || matches!(op, Op::Get(key) if model.live_id(*key).is_none());
        // Whether this step may remove its key's stored entry (`remove`, or a set whose value is
        // not kept): a removal that leaves the shard sparse releases every expired value there
        // before the shard compacts.
        let removes = matches!(op, Op::Remove(key) | Op::Set(key) | Op::SetExp(key, _) if model.stored.contains_key(key));
        // The value this step creates, and whether the cache must keep it.
        let mut created: Option<(u16, u64, Option<u64>)> = None;
        let new_val = |model: &mut Model, key: u16| {
            model.next_id += 1;
            Val { key, id: model.next_id, drops: Arc::clone(&drops) }
        };
        // A get-or-insert call: the hit it must return, or the value its initializer makes.
        macro_rules! get_or_insert {
            ($key:expr, $call:expr, $init_ok:expr) => {{
                let key = $key;
                let expected = model.live_id(key);
                let mut made = None;
                let outcome = $call(&mut model, &mut made);
                match expected {
                    Some(id) => {
                        model.hits += 1;
                        prop_assert!(made.is_none(), "step {step}: the initializer ran on a hit");
                        prop_assert_eq!(outcome, Some(id), "step {}: not the stored value", step);
                    }
                    None => {
                        model.misses += 1;
                        if model.expired_entry(key) {
                            model.expirations += 1;
                        }
                        prop_assert!(made.is_some(), "step {step}: the initializer did not run on a miss");
                        if $init_ok {
                            prop_assert_eq!(outcome, made, "step {}: not the initializer's value", step);
                            let deadline = config.expiration.deadline(model.now);
                            created = Some((key, made.unwrap(), deadline));
                        } else {
                            prop_assert_eq!(
                                outcome,
                                None,
                                "step {}: a failed initializer returned a value",
                                step
                            );
                        }
                    }
                }
            }};
        }
        match *op {
            Op::Get(key) => {
                let got = cache.get(&key).map(|value| value.id);
                prop_assert_eq!(got, model.live_id(key), "step {}: get({})", step, key);
                if got.is_some() {
                    model.hits += 1;
                } else {
                    model.misses += 1;
                    if model.expired_entry(key) {
                        model.expirations += 1;
                    }
                }
            }
            Op::GetOrInsert(key) => get_or_insert!(
                key,
                |model: &mut Model, made: &mut Option<u64>| {
                    let value = cache.get_or_insert_with(key, || {
                        let value = new_val(model, key);
                        *made = Some(value.id);
                        value
                    });
                    Some(value.id)
                },
                true
            ),
            Op::Aget(key) => get_or_insert!(
                key,
                |model: &mut Model, made: &mut Option<u64>| {
                    #[cfg_attr(not(feature = "async"), allow(unused_mut))]
                    let mut init = || {
                        let value = new_val(model, key);
                        *made = Some(value.id);
                        value
                    };
                    #[cfg(feature = "async")]
                    let value = ready(cache.aget_with(key, || std::future::ready(init())));
                    #[cfg(not(feature = "async"))]
                    let value = cache.get_or_insert_with(key, init);
                    Some(value.id)
                },
                true
            ),
            Op::TryOk(key) => get_or_insert!(
                key,
                |model: &mut Model, made: &mut Option<u64>| {
                    let value = cache.try_get_or_insert_with(key, || {
                        let value = new_val(model, key);
                        *made = Some(value.id);
                        Ok::<_, ()>(value)
                    });
                    value.ok().map(|value| value.id)
                },
                true
            ),
            Op::TryErr(key) => get_or_insert!(
                key,
                |_: &mut Model, made: &mut Option<u64>| {
                    let value = cache.try_get_or_insert_with(key, || {
                        *made = Some(0);
                        Err::<Val, _>("refused")
                    });
                    value.ok().map(|value| value.id)
                },
                false
            ),
            Op::InitPanics(key) => get_or_insert!(
                key,
                |_: &mut Model, made: &mut Option<u64>| {
                    let value = catch_unwind(AssertUnwindSafe(|| {
                        cache.get_or_insert_with(key, || {
                            *made = Some(0);
                            std::panic::panic_any(INIT_PANIC)
                        })
                    }));
                    value.ok().map(|value| value.id)
                },
                false
            ),
            Op::Set(key) | Op::SetExp(key, _) => {
                let value = new_val(&mut model, key);
                let id = value.id;
                let (returned, deadline) = match *op {
                    Op::SetExp(_, exp) => {
                        (cache.set_exp(key, value, exp.expiration()), exp.deadline(model.now))
                    }
                    _ => (cache.set(key, value), config.expiration.deadline(model.now)),
                };
                prop_assert_eq!(returned.id, id, "step {}: set returned another value", step);
                drop(returned);
                created = Some((key, id, deadline));
            }
            Op::Remove(key) => {
                let removed = cache.remove(&key).map(|value| value.id);
                prop_assert_eq!(removed, model.live_id(key), "step {}: remove({})", step, key);
                if model.expired_entry(key) {
                    model.expirations += 1;
                }
            }
            Op::ContainsKey(key) => {
                prop_assert_eq!(cache.contains_key(&key), model.live_id(key).is_some(), "step {}", step);
            }
            Op::Clear => cache.clear(),
            Op::PurgeExpired => {
                let expired = model.stored.values().filter(|entry| !model.live(entry)).count();
                prop_assert_eq!(cache.purge_expired(), expired, "step {}: purge_expired", step);
                model.expirations += expired as u64;
            }
            Op::Advance(minutes) => {
                advance_mock_clock(MINUTE * minutes as u32);
                model.now += minutes;
            }
            // Checked after every step below.
            Op::Entries | Op::Len | Op::Stats => {}
        }

        // Learn what left the cache from the drops, and check each departure was allowed.
        let new_drops: Vec<u64> = drops.lock().unwrap()[drops_before..].to_vec();
        let mut live_evicted = 0;
        let mut created_dropped = false;
        let kept = created
            .is_some_and(|(_, _, deadline)| max > 0 && deadline.is_none_or(|deadline| deadline > model.now));
        for id in new_drops {
            prop_assert!(dropped.insert(id), "step {step}: value {id} dropped twice");
            if created.is_some_and(|(_, created_id, _)| created_id == id) {
                created_dropped = true;
                continue;
            }
            let Some((&key, &entry)) = model.stored.iter().find(|(_, entry)| entry.id == id) else {
                return Err(TestCaseError::fail(format!(
                    "step {step}: value {id} was dropped but not stored"
                )));
            };
            model.stored.remove(&key);
            let live = model.live(&entry);
            let own_key = op.key() == Some(key);
            match op {
                // Replaced, or superseded by a value that is not kept.
                Op::Set(_) | Op::SetExp(..) if own_key => {}
                Op::Remove(_) if own_key => {}
                Op::Clear => {}
                Op::PurgeExpired => prop_assert!(!live, "step {step}: purge_expired dropped a live value"),
                _ if own_key => prop_assert!(!live, "step {step}: a lookup of {key} dropped its live value"),
                _ if (sweeps || (removes && !kept)) && !live => model.expirations += 1,
                _ => {
                    // Only a new key entering a shard may push others out (expired values go
                    // with the sweeps and removals above).
                    let inserts_new = !replaces
                        && created.is_some_and(|(_, _, deadline)| {
                            max > 0 && deadline.is_none_or(|deadline| deadline > model.now)
                        });
                    prop_assert!(inserts_new, "step {step}: {op:?} dropped the value of key {key}");
                    if live {
                        live_evicted += 1;
                        model.evictions += 1;
                    } else {
                        model.expirations += 1;
                    }
                }
            }
        }
        prop_assert!(live_evicted <= 1, "step {step}: {live_evicted} live values evicted for one insertion");
        if let Some((key, id, deadline)) = created {
            let keep = max > 0 && deadline.is_none_or(|deadline| deadline > model.now);
            if keep {
                // A set is kept: the eviction policy never refuses the newest entry.
                prop_assert!(!created_dropped, "step {step}: the value just stored ({id}) was dropped");
                prop_assert!(cache.contains_key(&key), "step {step}: the value just stored is not found");
                if let Some(old) = model.stored.insert(key, Entry { id, deadline }) {
                    return Err(TestCaseError::fail(format!(
                        "step {step}: old value {} of {key} kept",
                        old.id
                    )));
                }
                model.inserts += 1;
                if live_evicted == 1 && one_shard {
                    prop_assert_eq!(model.stored.len(), max, "step {}: evicted below the bound", step);
                }
            } else {
                prop_assert!(created_dropped, "step {step}: a value that must not be kept was kept");
                prop_assert!(
                    !model.stored.contains_key(&key),
                    "step {step}: the old value of {key} outlived its replacement"
                );
            }
        }
        if matches!(op, Op::Clear) {
            prop_assert!(model.stored.is_empty(), "step {step}: clear left values alive");
        }

        // The invariants, after every step.
        prop_assert!(cache.len() <= max, "step {step}: len {} > max_entries {max}", cache.len());
        prop_assert_eq!(cache.len(), model.stored.len(), "step {}: len() is not what is stored", step);
        let mut entries: Vec<(u16, u64)> = cache
            .entries()
            .into_iter()
            .map(|(key, value)| {
                assert_eq!(key, value.key, "a value under another key");
                (key, value.id)
            })
            .collect();
        entries.sort_unstable();
        let mut expected: Vec<(u16, u64)> = model
            .stored
            .iter()
            .filter(|(_, entry)| model.live(entry))
            .map(|(&key, entry)| (key, entry.id))
            .collect();
        expected.sort_unstable();
        prop_assert_eq!(entries, expected, "step {}: entries() after {:?}", step, op);
        let stats = cache.stats();
        let expected = (model.hits, model.misses, model.inserts, model.evictions, model.expirations);
        prop_assert_eq!(
            (stats.hits, stats.misses, stats.inserts, stats.evictions, stats.expirations),
            expected,
            "step {}: stats (hits, misses, inserts, evictions, expirations) after {:?}",
            step,
            op
        );
    }
    // Each value is dropped exactly once once the cache is gone.
    drop(cache);
    let drops = drops.lock().unwrap();
    let unique: HashSet<u64> = drops.iter().copied().collect();
    prop_assert_eq!(unique.len(), drops.len(), "a value was dropped twice");
    prop_assert_eq!(drops.len() as u64, model.next_id, "a value leaked");
    Ok(())
}

proptest! {
    // A few seconds in all on CI; `PROPTEST_CASES` overrides it for a longer search.
    #![proptest_config(ProptestConfig::with_cases(proptest_cases(256)))]

    #[test]
    fn tiny_caches_follow_the_model(
        (config, ops) in configs(0..=4usize).prop_flat_map(|config| {
            let keys = (config.max_entries as u16) * 2 + 2;
            (Just(config), proptest::collection::vec(op(keys), 1..120))
        })
    ) {
        check(&config, &ops)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(proptest_cases(64)))]

    #[test]
    fn a_sharded_cache_follows_the_model(
        (config, ops) in configs(prop_oneof![Just(70usize), Just(130usize)]).prop_flat_map(|config| {
            let keys = config.max_entries as u16 + 40;
            (Just(config), proptest::collection::vec(op(keys), 1..400))
        })
    ) {
        check(&config, &ops)?;
    }
}

/// Cases the random search does not reach: in one shard (70 entries), 24 expired entries, then
/// removals until one leaves the slab sparse, which releases the other expired values. The
/// model check accepts those releases; `released_past_expiry` checks that they happen.
fn removals_past_expiry(last: Op) -> Vec<Op> {
    let mut ops: Vec<Op> = (0..24).map(Op::Set).collect();
    ops.push(Op::Advance(2));
    ops.extend((0..17).map(Op::Remove));
    ops.push(last);
    ops.extend([Op::Len, Op::Stats, Op::Entries]);
    ops
}

/// Values dropped, and the cache's length and expirations, after the same steps through the
/// API, with `last` as the step that leaves the shard sparse.
fn released_past_expiry(
    last: impl FnOnce(&PtrCache<u16, Val>, &Arc<Mutex<Vec<u64>>>),
) -> (usize, usize, u64) {
    let _clock = serialize();
    let drops = Arc::new(Mutex::new(Vec::new()));
    let cache = PtrCache::builder().max_entries(70).expiration(MINUTE).build();
    for key in 0..24 {
        cache.set(key, Val { key, id: u64::from(key), drops: Arc::clone(&drops) });
    }
    advance_mock_clock(MINUTE * 2);
    for key in 0..17 {
        assert!(cache.remove(&key).is_none(), "an expired value was returned");
    }
    last(&cache, &drops);
    let dropped = drops.lock().unwrap().len();
    (dropped, cache.len(), cache.stats().expirations)
}

#[test]
fn a_removal_that_leaves_a_shard_sparse_releases_its_expired_values() {
    let config = Config { max_entries: 70, expiration: Exp::Minutes(1), collide: false };
    check(&config, &removals_past_expiry(Op::Remove(17))).unwrap();
    let (dropped, len, expirations) = released_past_expiry(|cache, _| assert!(cache.remove(&17).is_none()));
    assert_eq!((dropped, len, expirations), (24, 0, 24), "(values dropped, len, expirations)");
}

#[test]
fn a_set_not_kept_that_leaves_a_shard_sparse_releases_its_expired_values() {
    let config = Config { max_entries: 70, expiration: Exp::Minutes(1), collide: false };
    check(&config, &removals_past_expiry(Op::SetExp(17, Exp::Zero))).unwrap();
    let (dropped, len, _) = released_past_expiry(|cache, drops| {
        cache.set_exp(17, Val { key: 17, id: 100, drops: Arc::clone(drops) }, Duration::ZERO);
    });
    // The 24 stored values and the one not kept.
    assert_eq!((dropped, len), (25, 0), "(values dropped, len)");
}
