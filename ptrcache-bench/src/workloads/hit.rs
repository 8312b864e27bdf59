//! Workload 1, hit latency: 10k present keys, uniformly random `get`s on 1 and 2 threads;
//! ns per get (per thread).
//!
//! Every cache is sized 20,000 so that all 10k keys fit in every shard layout; each is checked
//! to hold all of them before timing, and any miss during timing is reported. ptrcache runs
//! with its default expiration (3 h), as users get it, so its clock check is on the measured
//! path; a `never_expire` row shows that check's cost, and a reference row times the check's
//! clock read alone (the coarse monotonic clock, on Linux). Peers run without expiration
//! (cached's LruTtlCache needs one: 100 years).
//!
//! Two more reference rows bound what any cache can reach here. "Arc clone alone" hands out
//! the same values with no lookup at all (an index into a `Vec<Arc<Payload>>`): on 2 threads
//! each clone and drop writes a reference count that the other thread also writes, which no
//! cache returning an `Arc` avoids. "HashMap (one per thread)" shares nothing between threads,
//! so its 2-thread figure is what the host gives two private threads.

use super::{DEFAULT_EXP, Runner, Sample, rounds};
use crate::Opts;
use crate::contenders::{
    AsyncContender, CachedLruTtl, Contender, Dash, Hash, LruMutex, MiniMoka, Moka, MokaFuture, Ptr, Quick,
};
use crate::payload::Payload;
use crate::report::{Better, Measured, figure_table, print_table};
use crate::rng::{SplitMix64, key_of};
use crate::timing::{calibrate, current_thread_runtime, parallel, single};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// Rounds in a full run: more than most workloads, since 1-thread ratios swing most with the
/// host's state (the hit's between the rounds of one run: 0.43-1.68 at 5ab5d73, 0.81-1.71 at
/// 7afd22c) and each round is short.
pub const ROUNDS: usize = 9;
/// Keys present in the cache.
pub const PRESENT: usize = 10_000;
/// Capacity of every cache, so that all present keys fit whatever the sharding.
pub const CAPACITY: usize = 20_000;
/// Length of each thread's precomputed query cycle (fits in L2 with its keys).
const QUERY_CYCLE: usize = 1 << 16;

/// What one measurement needs.
#[derive(Debug)]
pub struct Args {
    threads: usize,
    /// Time each measurement aims at (the get count is calibrated per contender).
    target: Duration,
    /// Bounds of the calibrated get count per thread.
    min_gets: usize,
    max_gets: usize,
    present: Vec<u64>,
    queries: Vec<Vec<u64>>,
}

impl Args {
    /// The calibrated get count per thread.
    fn gets(&self, pilot: impl FnMut(usize) -> Duration) -> usize {
        calibrate(self.target, self.min_gets, self.max_gets, pilot)
    }
}

fn fill<C: Contender<Payload>>(cache: &C, present: &[u64]) {
    for &key in present {
        cache.insert(key, Arc::new(Payload::new(key)));
    }
    cache.settle();
    let missing = present.iter().filter(|&&key| cache.get(key).is_none()).count();
    assert_eq!(missing, 0, "{} lost {missing} of {} present keys", C::NAME, present.len());
}

#[inline]
fn get_loop<C: Contender<Payload>>(cache: &C, queries: &[u64], gets: usize) -> usize {
    let mut hits = 0;
    for i in 0..gets {
        let key = queries[i & (QUERY_CYCLE - 1)];
        if let Some(value) = cache.get(black_box(key)) {
            hits += 1;
            black_box(&value);
        }
    }
    hits
}

fn check_hits(name: &str, hits: usize, expected: usize) {
    if hits != expected {
        eprintln!("warning: {name} missed {} of {expected} gets of present keys", expected - hits);
    }
}

/// A sync contender on `args.threads` threads.
fn sync_runner<'a, C: Contender<Payload> + Sync>(label: &str, ttl: Option<Duration>) -> Runner<'a, Args> {
    Runner::new(label, C::KIND, move |args: &Args| {
        let cache = C::build(CAPACITY, ttl);
        fill(&cache, &args.present);
        let gets = args.gets(|n| single(|| get_loop(&cache, &args.queries[0], n)).0);
        let (wall, hits) =
            parallel(args.threads, |_| (), |thread, ()| get_loop(&cache, &args.queries[thread], gets));
        check_hits(C::NAME, hits.iter().sum(), gets * args.threads);
        Some(Sample::new(wall.as_nanos() as f64 / gets as f64))
    })
}

/// An unsynchronized contender (the `HashMap`): one per thread, each filled with the same
/// keys (values of its own), so that threads share nothing.
fn local_runner<'a, C: Contender<Payload> + Send>(label: &str) -> Runner<'a, Args> {
    Runner::new(label, C::KIND, move |args: &Args| {
        // The get count is calibrated on a map of the calling thread, like every other row's.
        let pilot = C::build(CAPACITY, None);
        fill(&pilot, &args.present);
        let gets = args.gets(|n| single(|| get_loop(&pilot, &args.queries[0], n)).0);
        drop(pilot);
        let (wall, outcomes) = parallel(
            args.threads,
            |_| {
                let cache = C::build(CAPACITY, None);
                fill(&cache, &args.present);
                cache
            },
            // Each map is handed back so that it is dropped after the timing.
            |thread, cache| (get_loop(&cache, &args.queries[thread], gets), cache),
        );
        let hits = outcomes.iter().map(|(hits, _)| hits).sum();
        drop(outcomes);
        check_hits(C::NAME, hits, gets * args.threads);
        Some(Sample::new(wall.as_nanos() as f64 / gets as f64))
    })
}

/// Clones and drops `values[index]` for each of `gets` indices: a hit without the lookup.
#[inline]
fn arc_loop(values: &[Arc<Payload>], indices: &[u32], gets: usize) {
    for i in 0..gets {
        let value = Arc::clone(&values[black_box(indices[i & (QUERY_CYCLE - 1)]) as usize]);
        black_box(&value);
    }
}

/// Handing out the present values with no cache around them: what the `Arc` costs a get.
fn arc_runner<'a>() -> Runner<'a, Args> {
    Runner::new(
        "Arc clone alone (Vec<Arc<Payload>>, no lookup)",
        crate::contenders::Kind::Reference,
        |args: &Args| {
            let values: Vec<Arc<Payload>> =
                args.present.iter().map(|&key| Arc::new(Payload::new(key))).collect();
            let position: std::collections::HashMap<u64, u32> =
                args.present.iter().zip(0..).map(|(&key, index)| (key, index)).collect();
            let indices: Vec<Vec<u32>> = args
                .queries
                .iter()
                .map(|queries| queries.iter().map(|key| position[key]).collect())
                .collect();
            let gets = args.gets(|n| single(|| arc_loop(&values, &indices[0], n)).0);
            let (wall, _) =
                parallel(args.threads, |_| (), |thread, ()| arc_loop(&values, &indices[thread], gets));
            Some(Sample::new(wall.as_nanos() as f64 / gets as f64))
        },
    )
}

/// An async contender, each thread driving it from a current-thread runtime.
fn async_runner<'a, A: AsyncContender<Payload>>(label: &str) -> Runner<'a, Args> {
    Runner::new(label, A::KIND, move |args: &Args| {
        let cache = A::build(CAPACITY, None);
        current_thread_runtime().block_on(async {
            for &key in &args.present {
                cache.insert(key, Arc::new(Payload::new(key))).await;
            }
        });
        let get_async = |runtime: &tokio::runtime::Runtime, queries: &[u64], gets: usize| {
            runtime.block_on(async {
                let mut hits = 0;
                for i in 0..gets {
                    if let Some(value) = cache.get(black_box(queries[i & (QUERY_CYCLE - 1)])).await {
                        hits += 1;
                        black_box(&value);
                    }
                }
                hits
            })
        };
        let pilot = current_thread_runtime();
        let gets = args.gets(|n| single(|| get_async(&pilot, &args.queries[0], n)).0);
        let (wall, hits) = parallel(
            args.threads,
            |_| current_thread_runtime(),
            |thread, runtime| get_async(&runtime, &args.queries[thread], gets),
        );
        check_hits(A::NAME, hits.iter().sum(), gets * args.threads);
        Some(Sample::new(wall.as_nanos() as f64 / gets as f64))
    })
}

/// The coarse clock ptrcache's expiry check reads on every hit (Linux): `gets` reads.
#[cfg(target_os = "linux")]
fn clock_loop(gets: usize) -> usize {
    for _ in 0..gets {
        black_box(rustix::time::clock_gettime(rustix::time::ClockId::MonotonicCoarse));
    }
    gets
}

/// The clock read alone, timed like a get: the part of a hit that expiry costs. Skipped where
/// ptrcache would not use the coarse clock (a resolution above 5 ms, see its clock.rs).
#[cfg(target_os = "linux")]
fn clock_runner<'a>() -> Runner<'a, Args> {
    use rustix::time::{ClockId, clock_getres};
    Runner::new("coarse clock read alone", crate::contenders::Kind::Reference, |args: &Args| {
        let resolution = clock_getres(ClockId::MonotonicCoarse);
        if resolution.tv_sec != 0 || resolution.tv_nsec == 0 || resolution.tv_nsec > 5_000_000 {
            return None;
        }
        let gets = args.gets(|n| single(|| clock_loop(n)).0);
        let (wall, _) = parallel(args.threads, |_| (), |_, ()| clock_loop(gets));
        Some(Sample::new(wall.as_nanos() as f64 / gets as f64))
    })
}

/// The runners, ptrcache's main row first.
pub fn runners<'a>() -> Vec<Runner<'a, Args>> {
    vec![
        // ptrcache and quick_cache adjacent: their per-round paired ratio is the target.
        sync_runner::<Ptr<Payload>>("ptrcache", Some(DEFAULT_EXP)),
        sync_runner::<Quick<Payload>>("quick_cache", None),
        sync_runner::<Ptr<Payload>>("ptrcache (never_expire)", None).as_reference(),
        sync_runner::<Moka<Payload>>("moka", None),
        async_runner::<MokaFuture<Payload>>("moka (future)"),
        sync_runner::<MiniMoka<Payload>>("mini-moka", None),
        sync_runner::<CachedLruTtl<Payload>>("cached (LruTtlCache, Mutex)", None),
        sync_runner::<LruMutex<Payload>>("lru (Mutex)", None),
        local_runner::<Hash<Payload>>("HashMap (one per thread, foldhash)"),
        sync_runner::<Dash<Payload>>("dashmap (no eviction, foldhash)", None),
        arc_runner(),
        #[cfg(target_os = "linux")]
        clock_runner(),
    ]
}

/// Runs the workload for 1 and 2 threads and prints the tables; returns them by thread count.
pub fn run(opts: &Opts) -> Vec<(usize, Vec<Measured>)> {
    let present: Vec<u64> = (0..PRESENT as u64).map(key_of).collect();
    let target = Duration::from_millis(if opts.quick { 20 } else { 150 });
    let runners = runners();
    let mut results = Vec::new();
    for threads in [1, 2] {
        let queries = (0..threads)
            .map(|thread| {
                let mut rng = SplitMix64::new(100 + thread as u64);
                (0..QUERY_CYCLE).map(|_| present[rng.below(PRESENT as u64) as usize]).collect()
            })
            .collect();
        let args = Args {
            threads,
            target,
            min_gets: opts.ops(200_000),
            max_gets: opts.ops(5_000_000),
            present: present.clone(),
            queries,
        };
        let rows = rounds(opts.rounds(ROUNDS), &runners, &args, |_| String::new());
        let table =
            figure_table("ns/get", 1, Better::Lower, Some(("quick_cache", "quick_cache")), &[], &rows);
        print_table(
            &format!(
                "### Hit latency, {threads} thread{} ({PRESENT} present keys, ~{} ms of gets per measurement, {} rounds)",
                if threads == 1 { "" } else { "s" },
                target.as_millis(),
                opts.rounds(ROUNDS)
            ),
            &table,
        );
        results.push((threads, rows));
    }
    results
}
