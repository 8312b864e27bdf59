//! Many concurrent requests for the same slow resource, served by one fetch.
//!
//! Run with `cargo run --example async_aget`.

use ptrcache::PtrCache;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Profile {
    name: String,
    rank: u32,
}

/// The slow backend: 200 ms per fetch, counted.
async fn fetch_profile(name: &str, fetches: &AtomicUsize) -> Profile {
    fetches.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    Profile { name: name.to_string(), rank: name.len() as u32 * 100 }
}

#[tokio::main]
async fn main() {
    let cache = Arc::new(PtrCache::<String, Profile>::builder().expiration(Duration::from_secs(60)).build());
    let fetches = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();

    // 1,000 requests at once, for three different profiles.
    let requests: Vec<_> = (0..1_000)
        .map(|i| {
            let (cache, fetches) = (Arc::clone(&cache), Arc::clone(&fetches));
            let name = ["faker", "chovy", "caps"][i % 3].to_string();
            tokio::spawn(async move {
                // Lazy form: the fetch future is only created by the one request that misses.
                cache.aget_with(name.clone(), || async move { fetch_profile(&name, &fetches).await }).await
            })
        })
        .collect();
    let mut served = Vec::new();
    for request in requests {
        served.push(request.await.expect("request task panicked"));
    }

    println!("served {} requests in {:?}", served.len(), start.elapsed());
    println!("backend fetches: {} (one per distinct profile)", fetches.load(Ordering::SeqCst));
    let faker = cache.get("faker").expect("cached");
    let same = served.iter().filter(|p| Arc::ptr_eq(p, &faker)).count();
    println!("{} requests share the very same `{}` profile (rank {})", same, faker.name, faker.rank);
    println!("stats: {:?}", cache.stats());
}
