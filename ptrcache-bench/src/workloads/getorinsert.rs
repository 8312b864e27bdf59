//! Workload 2, concurrent get-or-insert: Zipf 0.99 and 0.8 over 1M keys, capacity 100k, 1 and 2
//! threads, each cache's own get-or-insert call; Mops/s and hit ratio.
//!
//! Every round starts from an empty cache; each thread replays its own precomputed sequence
//! (1M operations in all in a full run, split between the threads, so that the hit ratios of
//! 1 and 2 threads compare). The hit ratio is 1 − initializer runs / operations. The reference
//! maps never evict, so they end up holding every key they saw. ptrcache runs with its default
//! expiration (3 h), as users get it: each hit and insert then reads the coarse clock; a
//! `never_expire` reference row shows what that costs. Peers run without expiration (cached's
//! LruTtlCache needs one: 100 years). A reference row runs ptrcache with a cache of its own
//! per thread, each fed a whole sequence of its own (as many operations as the 1-thread run):
//! on 2 threads nothing is shared and each cache does the 1-thread run's work, so it shows how
//! far the host lets ptrcache's own code scale, at the 1-thread hit ratio. Two more reference
//! rows, on 2 threads only, run ptrcache and quick_cache with one cache of twice the capacity
//! whose threads each replay such a whole run on keys of their own: the threads share the
//! cache's structure but no key and no value, so against the cache-per-thread row (the same
//! work and memory, about the same hit ratio: see its column) they show what sharing the
//! structure alone costs. The rows of whole runs replay as many operations per thread as the
//! others do in all.

use super::{DEFAULT_EXP, Runner, Sample, rounds};
use crate::Opts;
use crate::contenders::{
    AsyncContender, CachedLruTtl, Contender, Dash, Hash, Kind, LruMutex, MiniMoka, Moka, MokaFuture, Ptr,
    PtrAsync, Quick, QuickAsync,
};
use crate::payload::Payload;
use crate::report::{Better, Measured, figure_table, pct, print_table};
use crate::rng::{Zipf, mix64};
use crate::timing::{current_thread_runtime, parallel, single};
use std::hint::black_box;
use std::time::Duration;

/// Rounds in a full run.
pub const ROUNDS: usize = 3;
/// Distinct keys the Zipf distribution draws from.
pub const KEYS: usize = 1_000_000;
/// Capacity of every cache.
pub const CAPACITY: usize = 100_000;
/// Multiplied by a thread's number, the salt of its own key space (distinct per thread).
const SALT: u64 = 0x9E37_79B9_7F4A_7C15;

/// What one measurement needs.
#[derive(Debug)]
pub struct Args {
    threads: usize,
    /// Each thread's share of the operations.
    sequences: Vec<Vec<u64>>,
    /// Each thread's own whole run, as long as all of `sequences` together (the first is the
    /// 1-thread run's): for the reference row of a cache per thread.
    whole: Vec<Vec<u64>>,
    /// `whole` with each thread's keys mapped into a key space of its own (2 threads or more).
    disjoint: Vec<Vec<u64>>,
}

impl Args {
    fn sample(sequences: &[Vec<u64>], wall: std::time::Duration, inits: u64) -> Sample {
        let ops: usize = sequences.iter().map(Vec::len).sum();
        Sample { figure: ops as f64 / wall.as_secs_f64() / 1e6, aux: Some(1.0 - inits as f64 / ops as f64) }
    }
}

#[inline]
fn goi_loop<C: Contender<Payload>>(cache: &C, keys: &[u64]) -> u64 {
    let mut inits = 0;
    for &key in keys {
        let value = cache.get_or_insert_with(key, || {
            inits += 1;
            Payload::new(key)
        });
        black_box(&value);
    }
    inits
}

/// One cache of `capacity` shared by one thread per run, each replaying its run; the cache is
/// dropped after the timing.
fn shared_run<C: Contender<Payload> + Sync>(
    capacity: usize,
    ttl: Option<Duration>,
    runs: &[Vec<u64>],
) -> Sample {
    let cache = C::build(capacity, ttl);
    let (wall, inits) = parallel(runs.len(), |_| (), |thread, ()| goi_loop(&cache, &runs[thread]));
    let sample = Args::sample(runs, wall, inits.iter().sum());
    drop(cache);
    sample
}

fn sync_runner<'a, C: Contender<Payload> + Sync>(label: &str, ttl: Option<Duration>) -> Runner<'a, Args> {
    Runner::new(label, C::KIND, move |args: &Args| Some(shared_run::<C>(CAPACITY, ttl, &args.sequences)))
}

/// A contender with a cache of its own on each thread, each of the full capacity and fed a
/// whole run of its own (`Args::whole`). Nothing is shared and each cache does the 1-thread
/// run's work at its hit ratio, so on 2 threads the row shows what the host gives the cache's
/// own code: what a shared cache would reach if sharing cost nothing. (Not quite a ceiling:
/// two caches take twice the memory of one, so they compete more for the shared L3 cache.)
/// On 1 thread it is the main row's setup again, so the two rows show the noise of one run.
fn private_runner<'a, C: Contender<Payload> + Send>(label: &str, ttl: Option<Duration>) -> Runner<'a, Args> {
    Runner::new(label, Kind::Reference, move |args: &Args| {
        let (wall, outcomes) = parallel(
            args.threads,
            |_| C::build(CAPACITY, ttl),
            // The cache is handed back so that it is dropped after the timing, as in `sync_runner`.
            |thread, cache| (goi_loop(&cache, &args.whole[thread]), cache),
        );
        let inits = outcomes.iter().map(|(inits, _)| inits).sum();
        drop(outcomes);
        Some(Args::sample(&args.whole, wall, inits))
    })
}

/// One cache of `threads` times the capacity, each thread replaying a whole run on keys of its
/// own (`Args::disjoint`): what sharing the cache's structure costs without sharing a key or a
/// value (compare the cache-per-thread row). On 2 threads or more only.
fn disjoint_runner<'a, C: Contender<Payload> + Sync>(label: &str, ttl: Option<Duration>) -> Runner<'a, Args> {
    Runner::new(label, Kind::Reference, move |args: &Args| {
        (args.threads > 1).then(|| shared_run::<C>(CAPACITY * args.threads, ttl, &args.disjoint))
    })
}

fn local_runner<'a, C: Contender<Payload>>(label: &str) -> Runner<'a, Args> {
    Runner::new(label, C::KIND, |args: &Args| {
        if args.threads != 1 {
            return None;
        }
        let cache = C::build(CAPACITY, None);
        let (time, inits) = single(|| goi_loop(&cache, &args.sequences[0]));
        Some(Args::sample(&args.sequences, time, inits))
    })
}

fn async_runner<'a, A: AsyncContender<Payload>>(label: &str, ttl: Option<Duration>) -> Runner<'a, Args> {
    Runner::new(label, A::KIND, move |args: &Args| {
        let cache = A::build(CAPACITY, ttl);
        let (wall, inits) = parallel(
            args.threads,
            |_| current_thread_runtime(),
            |thread, runtime| {
                runtime.block_on(async {
                    let mut inits = 0u64;
                    for &key in &args.sequences[thread] {
                        let value = cache
                            .get_or_insert_with(key, || {
                                inits += 1;
                                async move { Payload::new(key) }
                            })
                            .await;
                        black_box(&value);
                    }
                    inits
                })
            },
        );
        Some(Args::sample(&args.sequences, wall, inits.iter().sum()))
    })
}

/// The runners, ptrcache first.
pub fn runners<'a>() -> Vec<Runner<'a, Args>> {
    vec![
        // ptrcache with its default expiration, as users get it, and quick_cache adjacent:
        // their per-round paired ratio is the target.
        sync_runner::<Ptr<Payload>>("ptrcache", Some(DEFAULT_EXP)),
        sync_runner::<Quick<Payload>>("quick_cache", None),
        sync_runner::<Ptr<Payload>>("ptrcache (never_expire)", None).as_reference(),
        private_runner::<Ptr<Payload>>(
            "ptrcache (one cache per thread, each the 1-thread run's work)",
            Some(DEFAULT_EXP),
        ),
        disjoint_runner::<Ptr<Payload>>(
            "ptrcache (one cache of twice the capacity, each thread a whole run on keys of its own)",
            Some(DEFAULT_EXP),
        ),
        disjoint_runner::<Quick<Payload>>(
            "quick_cache (one cache of twice the capacity, each thread a whole run on keys of its own)",
            None,
        ),
        sync_runner::<Moka<Payload>>("moka", None),
        sync_runner::<MiniMoka<Payload>>("mini-moka (get, then insert)", None),
        sync_runner::<CachedLruTtl<Payload>>("cached (LruTtlCache, Mutex)", None),
        sync_runner::<LruMutex<Payload>>("lru (Mutex)", None),
        async_runner::<PtrAsync<Payload>>("ptrcache (aget_with)", Some(DEFAULT_EXP)),
        async_runner::<QuickAsync<Payload>>("quick_cache (async)", None),
        async_runner::<MokaFuture<Payload>>("moka (future)", None),
        local_runner::<Hash<Payload>>("HashMap (1 thread, foldhash)"),
        sync_runner::<Dash<Payload>>("dashmap (no eviction, foldhash)", None),
    ]
}

/// Runs the workload and prints one table per (theta, threads); returns the rows.
pub fn run(opts: &Opts) -> Vec<(f64, usize, Vec<Measured>)> {
    let ops = opts.ops(1_000_000);
    let runners = runners();
    let mut results = Vec::new();
    for theta in [0.99, 0.8] {
        let zipf = Zipf::new(KEYS, theta);
        for threads in [1, 2] {
            // The same number of operations in all, split between the threads, so that the hit
            // ratios of 1 and 2 threads are comparable.
            let sequences: Vec<Vec<u64>> =
                (0..threads as u64).map(|thread| zipf.keys(ops / threads, 1000 + thread)).collect();
            let whole = if threads == 1 {
                sequences.clone()
            } else {
                (0..threads as u64).map(|thread| zipf.keys(ops, 1000 + thread)).collect()
            };
            let disjoint = if threads == 1 { Vec::new() } else { disjoint_runs(&whole) };
            let args = Args { threads, sequences, whole, disjoint };
            let rows = rounds(opts.rounds(ROUNDS), &runners, &args, |summary| pct(summary.median));
            let table = figure_table(
                "Mops/s",
                2,
                Better::Higher,
                Some(("quick_cache", "quick_cache")),
                &["hit ratio"],
                &rows,
            );
            print_table(
                &format!(
                    "### Get-or-insert, Zipf {theta}, {threads} thread{} (1M keys, capacity 100k, {ops} ops in all{}, {} rounds)",
                    if threads == 1 { "" } else { "s" },
                    if threads == 1 { "" } else { "; whole-run reference rows: that many per thread" },
                    opts.rounds(ROUNDS)
                ),
                &table,
            );
            results.push((theta, threads, rows));
        }
    }
    results
}

/// `whole` with each thread's keys moved into a key space of its own: a bijection of the key
/// salted by the thread's number. Checked, outside any timing, that no two threads share a key.
fn disjoint_runs(whole: &[Vec<u64>]) -> Vec<Vec<u64>> {
    let runs: Vec<Vec<u64>> = whole
        .iter()
        .zip(1u64..)
        .map(|(run, thread)| run.iter().map(|&key| mix64(key ^ thread.wrapping_mul(SALT))).collect())
        .collect();
    let mut owner = std::collections::HashMap::new();
    for (thread, run) in runs.iter().enumerate() {
        for &key in run {
            let first = *owner.entry(key).or_insert(thread);
            assert_eq!(first, thread, "two threads' key spaces met; change SALT");
        }
    }
    runs
}
