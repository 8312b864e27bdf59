//! A small HTTP-style handler memoizing a slow backend under concurrent load, with stats.
//!
//! Run with `cargo run --example service`.

use ptrcache::ptr_cached;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What the backend returns for a product page.
#[derive(Debug)]
struct Product {
    id: u32,
    title: String,
}

static BACKEND_CALLS: AtomicUsize = AtomicUsize::new(0);

/// The backend: 20 ms per lookup. Memoized for 30 s in at most 500 entries; concurrent requests
/// for one id share one lookup.
#[ptr_cached(exp = "30s", max_entries = 500)]
async fn load_product(id: u32) -> Arc<Product> {
    BACKEND_CALLS.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(20)).await;
    Arc::new(Product { id, title: format!("product #{id}") })
}

/// The handler: `GET /products/{id}` → a status line and a body.
async fn handle(path: &str) -> (u16, String) {
    let Some(id) = path.strip_prefix("/products/").and_then(|id| id.parse::<u32>().ok()) else {
        return (404, "not found".to_string());
    };
    let product = load_product(id).await;
    (200, format!("{{\"id\":{},\"title\":\"{}\"}}", product.id, product.title))
}

#[tokio::main]
async fn main() {
    let start = Instant::now();
    // 64 clients, 200 requests each, over 1,000 products with a hot head (a crude Zipf).
    let clients: Vec<_> = (0..64u32)
        .map(|client| {
            tokio::spawn(async move {
                let mut ok = 0;
                for request in 0..200u32 {
                    let spread = (client * 7919 + request * 104_729) % 1_000;
                    let id = spread * spread * spread / 1_000_000; // small ids far more often
                    let (status, _body) = handle(&format!("/products/{id}")).await;
                    ok += usize::from(status == 200);
                }
                ok
            })
        })
        .collect();
    let mut served = 0;
    for client in clients {
        served += client.await.expect("client task panicked");
    }
    let stats = load_product_cache().stats();
    println!("served {served} requests in {:.2?}", start.elapsed());
    let backend_calls = BACKEND_CALLS.load(Ordering::Relaxed);
    println!("{:.1} requests served per backend call", served as f64 / backend_calls as f64);
    // A call that waited for another's lookup of the same id counts as a miss.
    println!(
        "backend calls: {}, hits: {}, misses: {}, hit ratio: {:.1}%, cached: {} of {}",
        backend_calls,
        stats.hits,
        stats.misses,
        100.0 * stats.hit_ratio(),
        load_product_cache().len(),
        load_product_cache().max_entries()
    );
    println!("GET /nope -> {:?}", handle("/nope").await);
}
