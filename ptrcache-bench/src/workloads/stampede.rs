//! Workload 6, stampede: 1,000 tokio tasks (async calls) and 32 threads (sync calls) ask for
//! one missing key, or for 10 missing keys (caller `i` asks for key `i % 10`), at once; the
//! initializer takes 10 ms. Reports the initializer runs and the total time, from the release
//! of the callers until the last one has its value.
//!
//! Each crate is used through its own get-or-insert call; crates without one (mini-moka, and
//! every crate but ptrcache, quick_cache and moka in async code) are used as their users write
//! it: `get`, and on a miss compute, then `insert`. The sync `get_or_insert` of lru and cached
//! and dashmap's `entry` run the initializer under their lock, which serializes it.

use super::{Runner, Sample, rounds};
use crate::Opts;
use crate::contenders::{
    AsyncContender, CachedLruTtl, Contender, Dash, LruMutex, MiniMoka, Moka, MokaFuture, Naive, Ptr,
    PtrAsync, Quick, QuickAsync,
};
use crate::payload::Payload;
use crate::report::{Better, Measured, figure_table, print_table};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Rounds in a full run.
pub const ROUNDS: usize = 5;
/// How long an initializer takes.
pub const INIT_TIME: Duration = Duration::from_millis(10);
/// Tasks of the async variant.
pub const TASKS: usize = 1_000;
/// Threads of the sync variant.
pub const THREADS: usize = 32;

/// What one measurement needs.
#[derive(Clone, Copy, Debug)]
pub struct Args {
    /// Distinct keys asked for.
    pub keys: u64,
}

fn sample(time: Duration, inits: u64) -> Sample {
    Sample { figure: time.as_secs_f64() * 1e3, aux: Some(inits as f64) }
}

fn sync_runner<'a, C: Contender<Payload> + Sync>(label: &str) -> Runner<'a, Args> {
    Runner::new(label, C::KIND, |args: &Args| {
        let cache = C::build(1_000, None);
        let inits = AtomicU64::new(0);
        let barrier = Barrier::new(THREADS + 1);
        let time = std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (cache, inits, barrier) = (&cache, &inits, &barrier);
                scope.spawn(move || {
                    let key = thread as u64 % args.keys;
                    barrier.wait();
                    let value = cache.get_or_insert_with(key, || {
                        inits.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(INIT_TIME);
                        Payload::new(key)
                    });
                    assert_eq!(value.key(), key);
                });
            }
            barrier.wait();
            Instant::now()
        })
        .elapsed();
        Some(sample(time, inits.into_inner()))
    })
}

fn async_runner<'a, A: AsyncContender<Payload> + 'static>(label: &str) -> Runner<'a, Args> {
    Runner::new(label, A::KIND, |args: &Args| {
        let cache = Arc::new(A::build(1_000, None));
        let inits = Arc::new(AtomicU64::new(0));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let keys = args.keys;
        let time = runtime.block_on(async {
            let start = Instant::now();
            let tasks: Vec<_> = (0..TASKS)
                .map(|task| {
                    let (cache, inits) = (Arc::clone(&cache), Arc::clone(&inits));
                    tokio::spawn(async move {
                        let key = task as u64 % keys;
                        let value = cache
                            .get_or_insert_with(key, || async move {
                                inits.fetch_add(1, Ordering::Relaxed);
                                tokio::time::sleep(INIT_TIME).await;
                                Payload::new(key)
                            })
                            .await;
                        assert_eq!(value.key(), key);
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("stampede task panicked");
            }
            start.elapsed()
        });
        Some(sample(time, inits.load(Ordering::Relaxed)))
    })
}

/// The sync runners (32 threads).
pub fn sync_runners<'a>() -> Vec<Runner<'a, Args>> {
    vec![
        sync_runner::<Ptr<Payload>>("ptrcache"),
        sync_runner::<Quick<Payload>>("quick_cache"),
        sync_runner::<Moka<Payload>>("moka"),
        sync_runner::<MiniMoka<Payload>>("mini-moka (get, then insert)"),
        sync_runner::<CachedLruTtl<Payload>>("cached (get_or_set_with under its Mutex)"),
        sync_runner::<LruMutex<Payload>>("lru (get_or_insert under its Mutex)"),
        sync_runner::<Dash<Payload>>("dashmap (entry, no eviction)"),
    ]
}

/// The async runners (1,000 tasks on a 2-worker runtime).
pub fn async_runners<'a>() -> Vec<Runner<'a, Args>> {
    vec![
        async_runner::<PtrAsync<Payload>>("ptrcache (aget_with)"),
        async_runner::<QuickAsync<Payload>>("quick_cache (get_or_insert_async)"),
        async_runner::<MokaFuture<Payload>>("moka (future, get_with)"),
        async_runner::<Naive<MiniMoka<Payload>>>("mini-moka (get, await, insert)"),
        async_runner::<Naive<CachedLruTtl<Payload>>>("cached (get, await, insert)"),
        async_runner::<Naive<LruMutex<Payload>>>("lru (get, await, insert)"),
        async_runner::<Naive<Dash<Payload>>>("dashmap (get, await, insert)"),
    ]
}

/// One variant's rows.
#[derive(Debug)]
pub struct Variant {
    /// `1,000 tokio tasks (2 workers)` or `32 threads`.
    pub who: &'static str,
    /// Distinct keys asked for.
    pub keys: u64,
    /// The rows (figure: total ms; extra: init runs).
    pub rows: Vec<Measured>,
}

/// Runs the four variants and prints their tables.
pub fn run(opts: &Opts) -> Vec<Variant> {
    let mut results = Vec::new();
    let variants: [(&'static str, Vec<Runner<'_, Args>>); 2] =
        [("1,000 tokio tasks (2 workers)", async_runners()), ("32 threads", sync_runners())];
    for &(who, ref runners) in &variants {
        for keys in [1, 10] {
            let args = Args { keys };
            let rows = rounds(opts.rounds(ROUNDS), runners, &args, |summary| summary.show(0));
            let table =
                figure_table("total ms", 1, Better::Lower, None, &["init runs: median (min–max)"], &rows);
            let title = format!(
                "### Stampede, {who} on {keys} missing key{} (10 ms initializer, {} rounds)",
                if keys == 1 { "" } else { "s" },
                opts.rounds(ROUNDS)
            );
            print_table(&title, &table);
            results.push(Variant { who, keys, rows });
        }
    }
    results
}
