//! Three ways to forget: remove one key, clear a cache, and invalidate a cached property.
//!
//! Run with `cargo run --example invalidation`.

use ptrcache::{PropertyCell, PtrCache, cached_property, ptr_cached};
use std::sync::atomic::{AtomicU32, Ordering};

static PRICE_LOOKUPS: AtomicU32 = AtomicU32::new(0);

#[ptr_cached(exp = -1)]
fn price(item: &str) -> u32 {
    PRICE_LOOKUPS.fetch_add(1, Ordering::Relaxed);
    item.len() as u32 * 10
}

#[derive(Default)]
struct Report {
    rows: Vec<u32>,
    total: PropertyCell<u32>,
}

impl Report {
    #[cached_property]
    fn total(&self) -> u32 {
        self.rows.iter().sum()
    }
}

fn main() {
    // 1. Remove one key: a `#[ptr_cached]` key is the tuple of its arguments, made owned.
    price("apple");
    price("pear");
    price_cache().remove(&("apple".to_string(),));
    price("apple"); // looked up again
    price("pear"); // still cached
    println!("price lookups after removing apple: {}", PRICE_LOOKUPS.load(Ordering::Relaxed));

    // 2. Clear a whole cache.
    let sessions: PtrCache<u64, String> = PtrCache::new();
    sessions.set(1, String::from("alice"));
    sessions.set(2, String::from("bob"));
    sessions.clear();
    println!("sessions after clear: {}", sessions.len());

    // 3. Invalidate a cached property when its inputs change (`take` needs `&mut`).
    let mut report = Report { rows: vec![1, 2, 3], ..Report::default() };
    println!("total: {}", report.total());
    report.rows.push(4);
    println!("total before invalidation (stale by design): {}", report.total());
    report.total.take();
    println!("total after invalidation: {}", report.total());
}
