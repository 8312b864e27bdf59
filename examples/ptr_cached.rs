//! `#[ptr_cached]` in front of a flaky backend: an `Ok` is cached, an `Err` is not.
//!
//! Run with `cargo run --example ptr_cached`.

use ptrcache::ptr_cached;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::sleep;
use std::time::Duration;

#[derive(Debug)]
struct Summoner {
    name: String,
    level: u32,
}

/// Calls that reached the backend.
static BACKEND_CALLS: AtomicU32 = AtomicU32::new(0);

/// A slow lookup that fails on its first call, like a backend that times out now and then.
#[ptr_cached(exp = "2s", max_entries = 100)]
fn summoner(region: &str, name: &str) -> Result<Arc<Summoner>, String> {
    let call = BACKEND_CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    sleep(Duration::from_millis(50));
    if call == 1 {
        return Err(format!("{region}: timed out"));
    }
    Ok(Arc::new(Summoner { name: name.to_owned(), level: 30 + call }))
}

fn main() {
    for attempt in 1..=4 {
        match summoner("euw", "faker") {
            Ok(found) => println!("attempt {attempt}: {} (level {})", found.name, found.level),
            Err(error) => println!("attempt {attempt}: error {error:?} (not cached)"),
        }
    }
    let first = summoner("euw", "faker").unwrap();
    println!("same pointer on a hit: {}", Arc::ptr_eq(&first, &summoner("euw", "faker").unwrap()));

    sleep(Duration::from_millis(2100));
    println!("after 2.1 s (exp = 2s), level {}", summoner("euw", "faker").unwrap().level);

    let stats = summoner_cache().stats();
    println!(
        "backend calls: {}, hits: {}, misses: {}, cached entries: {}",
        BACKEND_CALLS.load(Ordering::Relaxed),
        stats.hits,
        stats.misses,
        summoner_cache().len()
    );
}
