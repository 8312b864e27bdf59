//! Workload 5, expiry churn: 2M inserts of fresh keys with a 50 ms expiration into a 5k cache,
//! interleaved with gets of 1,000 hot keys stored at the start (with the same expiration), so
//! that the gets cross the hot values' deadlines while the churn goes on. Then: sleep past the
//! expiration, "normal traffic" (100k gets: hot keys and the last 10k fresh keys, all expired
//! by then; no inserts), and the crate's purge call. Needs the counting allocator.
//!
//! Reported: heap bytes held by the cache (values included) and values still alive, right after
//! the churn, after the traffic, after the purge; and stale values returned. A value counts as
//! stale if a `get` that *started* after the end of its `insert` + 50 ms returned it (so an
//! early expiry is never counted, a late one always is). Caches without expiration (quick_cache,
//! lru and the references) get a hand-written deadline per entry, checked on `get`, and a
//! `retain` of live entries as their purge.

use super::HeapProbe;
use crate::Opts;
use crate::contenders::{
    Blocking, CachedLruTtl, Contender, Dash, Deadline, Hash, LruMutex, MiniMoka, Moka, MokaFuture, Ptr,
    Quick, warm_blocking_runtime,
};
use crate::payload::Tracked;
use crate::report::{Table, print_table};
use crate::rng::{SplitMix64, key_of};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The expiration of every value.
pub const TTL: Duration = Duration::from_millis(50);
/// The bound of every cache.
pub const CAPACITY: usize = 5_000;
/// Hot keys, stored once at the start and read throughout.
pub const HOT: usize = 1_000;

/// Heap bytes and alive values at one moment.
#[derive(Clone, Copy, Debug, Default)]
pub struct Footprint {
    /// Heap bytes held since the cache was built (its structures and values).
    pub bytes: i64,
    /// Values still alive.
    pub values: i64,
}

/// One contender's figures.
#[derive(Clone, Debug)]
pub struct ExpiryRow {
    /// Contender.
    pub name: &'static str,
    /// The empty cache.
    pub empty: Footprint,
    /// Right after the churn.
    pub after_churn: Footprint,
    /// After the traffic past the expiration.
    pub after_traffic: Footprint,
    /// After the purge call (`None`: the crate has none).
    pub after_purge: Option<Footprint>,
    /// Stale values returned (must be 0).
    pub stale: u64,
    /// Hot gets that hit while the value was live (shows the check had teeth).
    pub live_hot_hits: u64,
    /// Duration of the churn phase.
    pub churn_time: Duration,
}

fn footprint(probe: &dyn HeapProbe, base: i64, values_base: i64) -> Footprint {
    Footprint { bytes: probe.live_bytes() - base, values: Tracked::live() - values_base }
}

fn measure<C: Contender<Tracked>>(name: &'static str, inserts: usize, probe: &dyn HeapProbe) -> ExpiryRow {
    let hot: Vec<u64> = (0..HOT as u64).map(key_of).collect();
    let mut hot_done = vec![Instant::now(); HOT];
    let recent_start = inserts.saturating_sub(10_000) as u64;
    let mut rng = SplitMix64::new(77);
    let (base, values_base) = (probe.live_bytes(), Tracked::live());
    let cache = C::build(CAPACITY, Some(TTL));
    let empty = footprint(probe, base, values_base);
    let (mut stale, mut live_hot_hits) = (0, 0);
    let mut check = |key: u64, value: Option<Arc<Tracked>>, started: Instant, done: Instant| {
        if let Some(value) = value {
            assert_eq!(value.words[0], key, "{name} returned another key's value");
            if started > done + TTL { stale += 1 } else { live_hot_hits += 1 }
        }
    };
    let churn_start = Instant::now();
    for (key, done) in hot.iter().zip(&mut hot_done) {
        cache.insert(*key, Arc::new(Tracked::new(*key)));
        *done = Instant::now();
    }
    for i in 0..inserts as u64 {
        let fresh = key_of((1 << 40) + i);
        cache.insert(fresh, Arc::new(Tracked::new(fresh)));
        let index = rng.below(HOT as u64) as usize;
        let started = Instant::now();
        check(hot[index], cache.get(hot[index]), started, hot_done[index]);
    }
    let churn_end = Instant::now();
    let churn_time = churn_end - churn_start;
    cache.settle();
    let after_churn = footprint(probe, base, values_base);
    // Past every deadline (each is at most insert end + TTL), with a margin.
    std::thread::sleep(
        (churn_end + TTL + Duration::from_millis(20)).saturating_duration_since(Instant::now()),
    );
    for _ in 0..100_000 {
        let key = if rng.below(2) == 0 {
            hot[rng.below(HOT as u64) as usize]
        } else {
            key_of((1 << 40) + recent_start + rng.below(inserts as u64 - recent_start))
        };
        // Every value is past its deadline now: any hit is stale.
        let started = Instant::now();
        check(key, cache.get(key), started, churn_end);
    }
    let after_traffic = footprint(probe, base, values_base);
    let after_purge = cache.purge_expired().then(|| footprint(probe, base, values_base));
    drop(cache);
    ExpiryRow { name, empty, after_churn, after_traffic, after_purge, stale, live_hot_hits, churn_time }
}

fn kib(footprint: Footprint) -> String {
    format!("{:.0} KiB, {} values", footprint.bytes as f64 / 1024.0, footprint.values)
}

/// Measures every contender and prints the table.
pub fn run(opts: &Opts, probe: &dyn HeapProbe) -> Vec<ExpiryRow> {
    let inserts = opts.ops(2_000_000);
    warm_blocking_runtime();
    let rows = vec![
        measure::<Ptr<Tracked>>("ptrcache", inserts, probe),
        measure::<Quick<Tracked, Deadline>>("quick_cache (deadline by hand)", inserts, probe),
        measure::<Moka<Tracked>>("moka", inserts, probe),
        measure::<Blocking<MokaFuture<Tracked>>>("moka (future)", inserts, probe),
        measure::<MiniMoka<Tracked>>("mini-moka", inserts, probe),
        measure::<CachedLruTtl<Tracked>>("cached (LruTtlCache)", inserts, probe),
        measure::<LruMutex<Tracked, Deadline>>("lru (deadline by hand)", inserts, probe),
        measure::<Dash<Tracked, Deadline>>("*dashmap (no eviction, deadline by hand)*", inserts, probe),
        measure::<Hash<Tracked, Deadline>>("*HashMap (no eviction, deadline by hand)*", inserts, probe),
    ];
    let mut table = Table::new(
        [
            "contender",
            "empty",
            "right after churn",
            "after traffic past expiry",
            "× empty",
            "after purge",
            "stale returned",
            "live hot hits",
            "churn time",
        ]
        .map(String::from)
        .to_vec(),
    );
    for row in &rows {
        table.row(vec![
            row.name.to_string(),
            format!("{:.0} KiB", row.empty.bytes as f64 / 1024.0),
            kib(row.after_churn),
            kib(row.after_traffic),
            format!("{:.2}", row.after_traffic.bytes as f64 / row.empty.bytes.max(1) as f64),
            row.after_purge.map_or("no purge call".into(), kib),
            row.stale.to_string(),
            row.live_hot_hits.to_string(),
            format!("{:.0} ms", row.churn_time.as_secs_f64() * 1e3),
        ]);
    }
    print_table(
        &format!(
            "### Expiry churn ({inserts} inserts, {} ms expiration, {CAPACITY}-entry caches, {HOT} hot keys)",
            TTL.as_millis()
        ),
        &table,
    );
    rows
}
