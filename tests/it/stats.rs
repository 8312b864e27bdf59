//! `stats()` counts what happened, also under concurrency.

use ptrcache::PtrCache;
use std::sync::Barrier;
use std::time::Duration;

#[test]
fn stats_count_each_kind_of_event() {
    let cache = PtrCache::<u32, u32>::builder().max_entries(2).never_expire().build();
    cache.set(1, 1); // insert
    cache.set(1, 2); // insert (replace)
    assert!(cache.get(&1).is_some()); // hit
    assert!(cache.get(&9).is_none()); // miss
    cache.get_or_insert_with(2, || 2); // miss + insert
    cache.get_or_insert_with(2, || 2); // hit
    cache.set(3, 3); // insert + eviction
    cache.set_exp(4, 4, Duration::ZERO); // not kept: no insert
    assert!(cache.contains_key(&3)); // not counted
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.inserts, stats.evictions), (2, 2, 4, 1));
    assert_eq!(stats.expirations, 0);
}

#[test]
fn stats_count_expirations() {
    let cache = PtrCache::<u32, u32>::builder().expiration(Duration::from_millis(5)).build();
    cache.set(1, 1);
    cache.set(2, 2);
    cache.set(3, 3);
    std::thread::sleep(Duration::from_millis(20));
    assert!(cache.get(&1).is_none());
    assert!(cache.remove(&2).is_none());
    // The lookup of 1 also swept a few slots of its shard: 3 is gone already if it shares it.
    let purged = cache.purge_expired();
    assert!(purged <= 1 && cache.is_empty(), "purged {purged}, {} left", cache.len());
    let stats = cache.stats();
    assert_eq!((stats.expirations, stats.misses, stats.evictions), (3, 1, 0));
}

#[test]
fn stats_are_exact_under_concurrency() {
    let cache = PtrCache::<u64, u64>::builder().max_entries(100_000).build();
    for key in 0..1_000 {
        cache.set(key, key);
    }
    let barrier = Barrier::new(4);
    std::thread::scope(|s| {
        for thread in 0..4u64 {
            let (cache, barrier) = (&cache, &barrier);
            s.spawn(move || {
                barrier.wait();
                for i in 0..20_000u64 {
                    assert!(cache.get(&(i % 1_000)).is_some());
                    assert!(cache.get(&(1_000_000 + thread * 100_000 + i)).is_none());
                }
            });
        }
    });
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.inserts), (80_000, 80_000, 1_000));
}
