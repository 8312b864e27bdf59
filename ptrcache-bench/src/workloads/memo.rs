//! Workload 7, memoization: the hit path of memoized functions on 1 and 2 threads, ns per call.
//!
//! Each function maps a `u64` to an `Arc<Payload>`; 1,000 distinct arguments, all cached
//! (capacity 10,000) before timing; random calls. Contenders: the `cached` crate's macros, the
//! `memoize` crate's macro (thread-local by default, and `SharedCache`), and hand-written
//! memoization with a `static LazyLock` cache of quick_cache, moka and ptrcache.
//!
//! ptrcache runs three times: through `#[ptr_cached]`, as users write it (its key is the tuple
//! `(u64,)`, its expiration the default 3 h), by hand, to show what the macro's expansion costs,
//! and, as a reference row, through `#[ptr_cached(exp = -1)]`, to show what the expiry check's
//! clock read costs.

use super::{Runner, Sample, rounds};
use crate::Opts;
use crate::contenders::Kind;
use crate::payload::Payload;
use crate::report::{Better, Measured, figure_table, print_table};
use crate::rng::{SplitMix64, key_of};
use crate::timing::{calibrate, parallel, single};
use std::convert::Infallible;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Rounds in a full run: as many as `hit`'s, for the same reason (short rounds, 1-thread
/// ratios that swing with the host's state).
pub const ROUNDS: usize = super::hit::ROUNDS;
/// Distinct arguments.
pub const ARGS: usize = 1_000;
/// Capacity of every memo cache.
pub const CAPACITY: usize = 10_000;
const CALL_CYCLE: usize = 1 << 16;

/// Runs of memoized bodies, all functions together.
static BODY_RUNS: AtomicU64 = AtomicU64::new(0);

fn compute_value(x: u64) -> Payload {
    BODY_RUNS.fetch_add(1, Ordering::Relaxed);
    Payload::new(x)
}

fn compute(x: u64) -> Arc<Payload> {
    Arc::new(compute_value(x))
}

#[cached::macros::cached(max_size = 10_000)]
fn memo_cached(x: u64) -> Arc<Payload> {
    compute(x)
}

#[cached::macros::cached(max_size = 10_000, ttl_secs = 10_800)]
fn memo_cached_ttl(x: u64) -> Arc<Payload> {
    compute(x)
}

#[cached::macros::concurrent_cached(max_size = 10_000)]
fn memo_concurrent_cached(x: u64) -> Arc<Payload> {
    compute(x)
}

#[memoize::memoize(Capacity: 10_000)]
fn memo_memoize(x: u64) -> Arc<Payload> {
    compute(x)
}

#[memoize::memoize(SharedCache, Capacity: 10_000)]
fn memo_memoize_shared(x: u64) -> Arc<Payload> {
    compute(x)
}

static QUICK: LazyLock<quick_cache::sync::Cache<u64, Arc<Payload>>> =
    LazyLock::new(|| quick_cache::sync::Cache::new(CAPACITY));

fn memo_quick(x: u64) -> Arc<Payload> {
    match QUICK.get_or_insert_with(&x, || Ok::<_, Infallible>(compute(x))) {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

static MOKA: LazyLock<moka::sync::Cache<u64, Arc<Payload>>> =
    LazyLock::new(|| moka::sync::Cache::new(CAPACITY as u64));

fn memo_moka(x: u64) -> Arc<Payload> {
    MOKA.get_with(x, || compute(x))
}

/// Stand-in for `#[ptr_cached(max_entries = 10_000)]`: the macro's default expiration (3 h).
static PTR: LazyLock<ptrcache::PtrCache<u64, Payload>> =
    LazyLock::new(|| ptrcache::PtrCache::builder().max_entries(CAPACITY).build());

#[ptrcache::ptr_cached(max_entries = 10_000)]
fn memo_ptr_cached(x: u64) -> Arc<Payload> {
    compute(x)
}

/// The same without expiry: its row shows what the clock read of the expiry check costs.
#[ptrcache::ptr_cached(max_entries = 10_000, exp = -1)]
fn memo_ptr_cached_never(x: u64) -> Arc<Payload> {
    compute(x)
}

fn memo_ptr_by_hand(x: u64) -> Arc<Payload> {
    PTR.get_or_insert_with(x, || compute_value(x))
}

/// The row of `#[ptr_cached]`, which the targets compare.
pub const PTR_CACHED: &str = "ptrcache #[ptr_cached]";

/// What one measurement needs.
#[derive(Debug)]
pub struct Args {
    threads: usize,
    /// Time each measurement aims at (the call count is calibrated per contender).
    target: Duration,
    min_calls: usize,
    max_calls: usize,
    args: Vec<u64>,
    sequences: Vec<Vec<u64>>,
}

/// A memoized function on `args.threads` threads. `thread_local`: each thread has its own
/// cache (memoize's default), so each thread computes every argument once while warming up.
fn memo_runner<'a, F>(label: &str, thread_local: bool, function: F) -> Runner<'a, Args>
where
    F: Fn(u64) -> Arc<Payload> + Sync + Copy + 'a,
{
    let name = label.to_string();
    Runner::new(label, Kind::Real, move |args: &Args| {
        for &arg in &args.args {
            black_box(function(arg));
        }
        let calls_loop = |sequence: &[u64], calls: usize| {
            for i in 0..calls {
                black_box(function(black_box(sequence[i & (CALL_CYCLE - 1)])));
            }
        };
        let calls = calibrate(args.target, args.min_calls, args.max_calls, |n| {
            single(|| calls_loop(&args.sequences[0], n)).0
        });
        let before = BODY_RUNS.load(Ordering::Relaxed);
        let (wall, _) = parallel(
            args.threads,
            |_| {
                for &arg in &args.args {
                    black_box(function(arg));
                }
            },
            |thread, ()| calls_loop(&args.sequences[thread], calls),
        );
        let expected = if thread_local { (args.threads * args.args.len()) as u64 } else { 0 };
        let misses = (BODY_RUNS.load(Ordering::Relaxed) - before).saturating_sub(expected);
        if misses > 0 {
            eprintln!("warning: {name} ran its body {misses} times on warm arguments");
        }
        Some(Sample::new(wall.as_nanos() as f64 / calls as f64))
    })
}

/// The runners.
pub fn runners<'a>() -> Vec<Runner<'a, Args>> {
    vec![
        memo_runner(PTR_CACHED, false, memo_ptr_cached),
        memo_runner("ptrcache #[ptr_cached(exp = -1)] (never expires)", false, memo_ptr_cached_never)
            .as_reference(),
        memo_runner("ptrcache (by hand: static LazyLock + get_or_insert_with)", false, memo_ptr_by_hand),
        memo_runner("quick_cache (by hand: static LazyLock + get_or_insert_with)", false, memo_quick),
        memo_runner("moka (by hand: static LazyLock + get_with)", false, memo_moka),
        memo_runner("cached #[cached(max_size)]", false, memo_cached),
        memo_runner("cached #[cached(max_size, ttl_secs)]", false, memo_cached_ttl),
        memo_runner("cached #[concurrent_cached(max_size)]", false, memo_concurrent_cached),
        memo_runner("memoize #[memoize(Capacity)] (thread-local)", true, memo_memoize),
        memo_runner("memoize #[memoize(SharedCache, Capacity)]", false, memo_memoize_shared),
    ]
}

/// Runs the workload for 1 and 2 threads and prints the tables.
pub fn run(opts: &Opts) -> Vec<(usize, Vec<Measured>)> {
    let arguments: Vec<u64> = (0..ARGS as u64).map(key_of).collect();
    let target = Duration::from_millis(if opts.quick { 20 } else { 150 });
    let sequences: Vec<Vec<u64>> = (0..2)
        .map(|thread| {
            let mut rng = SplitMix64::new(500 + thread);
            (0..CALL_CYCLE).map(|_| arguments[rng.below(ARGS as u64) as usize]).collect()
        })
        .collect();
    let runners = runners();
    let mut results = Vec::new();
    for threads in [1, 2] {
        let args = Args {
            threads,
            target,
            min_calls: opts.ops(200_000),
            max_calls: opts.ops(5_000_000),
            args: arguments.clone(),
            sequences: sequences.clone(),
        };
        let rows = rounds(opts.rounds(ROUNDS), &runners, &args, |_| String::new());
        let baseline = "quick_cache (by hand: static LazyLock + get_or_insert_with)";
        let table =
            figure_table("ns/call", 1, Better::Lower, Some((baseline, "quick_cache by hand")), &[], &rows);
        print_table(
            &format!(
                "### Memoization hit path, {threads} thread{} ({ARGS} warm arguments, ~{} ms of calls per measurement, {} rounds)",
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
