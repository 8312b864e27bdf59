//! A champion lookup in front of a slow data source: hits, misses, expiry, the bound and stats.
//!
//! Run with `cargo run --example quickstart`.

use ptrcache::{Expiration, PtrCache};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Champion {
    id: u32,
    name: String,
}

/// The slow backend: 50 ms per call, and it counts its calls.
static BACKEND_CALLS: AtomicU32 = AtomicU32::new(0);

fn fetch_champion(id: u32) -> Champion {
    BACKEND_CALLS.fetch_add(1, Ordering::Relaxed);
    sleep(Duration::from_millis(50));
    let names = ["Ahri", "Braum", "Caitlyn", "Darius", "Ezreal"];
    Champion { id, name: names[id as usize % names.len()].to_string() }
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    println!("{what:<44} {:>8.2?}", start.elapsed());
    value
}

fn main() {
    let cache: PtrCache<u32, Champion> =
        PtrCache::builder().expiration(Duration::from_millis(300)).max_entries(3).build();

    let ahri =
        timed("first lookup of 0 (miss: backend call)", || cache.get_or_insert_with(0, || fetch_champion(0)));
    let again = timed("second lookup of 0 (hit)", || cache.get_or_insert_with(0, || fetch_champion(0)));
    println!("  same pointer: {}, name: {}", Arc::ptr_eq(&ahri, &again), again.name);

    for id in 1..=4 {
        cache.get_or_insert_with(id, || fetch_champion(id));
    }
    println!("after 4 more champions: len = {} (max_entries = {})", cache.len(), cache.max_entries());

    // A pinned entry that never expires (negative seconds, as in the original).
    cache.set_exp(99, Champion { id: 99, name: "Teemo".into() }, Expiration::from_secs(-1));

    sleep(Duration::from_millis(350));
    println!("after 350 ms: champion 4 cached? {}", cache.get(&4).is_some());
    if let Some(teemo) = cache.get(&99) {
        println!("  pinned champion {} ({}) is still there", teemo.id, teemo.name);
    }
    println!("purge_expired removed {} entries; len = {}", cache.purge_expired(), cache.len());

    let stats = cache.stats();
    println!(
        "stats: {} hits, {} misses, {} inserts, {} evictions, {} expirations; backend calls: {}",
        stats.hits,
        stats.misses,
        stats.inserts,
        stats.evictions,
        stats.expirations,
        BACKEND_CALLS.load(Ordering::Relaxed)
    );
}
