//! How much a cache's hit ratio on one trace depends on its hash seed.
//!
//! `PtrCache`'s default hasher is foldhash with a random seed per process (the shared part) and
//! per cache. This replays one trace at one capacity with `seeds` different shared seeds, for
//! ptrcache and for quick_cache given the same hasher, and prints the spread. Seeds come from
//! `SharedSeed::from_u64(1..=seeds)`.
//!
//! ```text
//! cargo run --release -p ptrcache-bench --example seed_sensitivity -- cache2k-orm-busy 763 100
//! ```

use foldhash::SharedSeed;
use foldhash::fast::SeedableRandomState;
use ptrcache_bench::traces;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

fn hasher(seed: u64) -> SeedableRandomState {
    let shared: &'static SharedSeed = Box::leak(Box::new(SharedSeed::from_u64(seed)));
    SeedableRandomState::with_seed(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), shared)
}

fn ptrcache_ratio(keys: &[u64], capacity: usize, seed: u64) -> f64 {
    let cache = ptrcache::PtrCache::<u64, u64>::builder()
        .max_entries(capacity)
        .never_expire()
        .hasher(hasher(seed))
        .build();
    let mut hits = 0;
    for &key in keys {
        if cache.get(&key).is_some() {
            hits += 1;
        } else {
            cache.set(key, Arc::new(key));
        }
    }
    hits as f64 / keys.len() as f64
}

fn quick_ratio(keys: &[u64], capacity: usize, seed: u64) -> f64 {
    let cache = quick_cache::sync::Cache::<u64, u64, _, _, _>::with(
        capacity,
        capacity as u64,
        quick_cache::UnitWeighter,
        hasher(seed),
        quick_cache::sync::DefaultLifecycle::default(),
    );
    let mut hits = 0;
    for &key in keys {
        if cache.get(&key).is_some() {
            hits += 1;
        } else {
            cache.insert(key, key);
        }
    }
    hits as f64 / keys.len() as f64
}

fn spread(name: &str, mut ratios: Vec<(f64, u64)>) {
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mean = ratios.iter().map(|r| r.0).sum::<f64>() / ratios.len() as f64;
    let lowest: Vec<String> =
        ratios.iter().take(4).map(|(ratio, seed)| format!("{:.2}% (seed {seed})", ratio * 100.0)).collect();
    println!(
        "{name}: mean {:.2}%, max {:.2}%, lowest {}",
        mean * 100.0,
        ratios.last().map_or(0.0, |r| r.0) * 100.0,
        lowest.join(", ")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map_or("cache2k-orm-busy", String::as_str);
    let capacity: usize = args.get(1).and_then(|arg| arg.parse().ok()).unwrap_or(763);
    let seeds: u64 = args.get(2).and_then(|arg| arg.parse().ok()).unwrap_or(100);
    let keys = traces::load(&traces::trace_dir(), name).expect("trace (set PTRCACHE_TRACES)");
    let next = AtomicU64::new(1);
    let results = Mutex::new((Vec::new(), Vec::new()));
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed > seeds {
                        return;
                    }
                    let ours = ptrcache_ratio(&keys, capacity, seed);
                    let theirs = quick_ratio(&keys, capacity, seed);
                    let mut results = results.lock().unwrap();
                    results.0.push((ours, seed));
                    results.1.push((theirs, seed));
                }
            });
        }
    });
    let (ours, theirs) = results.into_inner().unwrap();
    println!("{name} @ {capacity}, {seeds} shared hash seeds:");
    spread("ptrcache", ours);
    spread("quick_cache (same hasher)", theirs);
}
