//! No value is returned past its deadline, and expired values do not pile up.

use crate::util::DropCounted;
use ptrcache::{Expiration, PtrCache};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

fn short_lived(expiration: Duration) -> PtrCache<u64, DropCounted> {
    PtrCache::builder().expiration(expiration).max_entries(100_000).build()
}

#[test]
fn no_call_returns_a_value_past_its_deadline() {
    let drops = Arc::new(AtomicUsize::new(0));
    let cache = short_lived(Duration::from_millis(40));
    // Hammer the entries across their deadline: every value returned must be within it. The
    // deadline is at most 40 ms after `set` returns, so a lookup that starts later must miss.
    let stored_at: Vec<Instant> = (0..50)
        .map(|key| {
            cache.set(key, DropCounted::new(key, &drops));
            Instant::now()
        })
        .collect();
    let deadline = *stored_at.last().unwrap() + Duration::from_millis(40);
    while Instant::now() < deadline + Duration::from_millis(30) {
        for key in 0..50u64 {
            let before = Instant::now();
            if let Some(value) = cache.get(&key) {
                assert!(
                    before < stored_at[key as usize] + Duration::from_millis(40),
                    "a stale value was returned"
                );
                assert_eq!(value.id, key);
            }
            if cache.contains_key(&key) {
                assert!(
                    before < stored_at[key as usize] + Duration::from_millis(40),
                    "contains_key saw a stale value"
                );
            }
        }
    }
    for key in 0..50 {
        assert!(cache.get(&key).is_none());
    }
    assert!(cache.entries().is_empty());
}

#[test]
fn a_get_removes_the_expired_entry_it_meets() {
    let drops = Arc::new(AtomicUsize::new(0));
    let cache = short_lived(Duration::from_millis(5));
    cache.set(1, DropCounted::new(1, &drops));
    sleep(Duration::from_millis(20));
    assert!(cache.get(&1).is_none());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(cache.len(), 0);
    assert_eq!(cache.stats().expirations, 1);
}

#[test]
fn purge_expired_drops_all_expired_values_and_counts_them() {
    let drops = Arc::new(AtomicUsize::new(0));
    // Long enough that nothing expires (and is swept by the next insert) while the cache fills,
    // even on a loaded machine.
    let cache = short_lived(Duration::from_millis(150));
    for key in 0..300 {
        cache.set(key, DropCounted::new(key, &drops));
    }
    cache.set_exp(1_000, DropCounted::new(1_000, &drops), Expiration::Never);
    sleep(Duration::from_millis(200));
    assert_eq!(cache.len(), 301, "len counts what is stored");
    assert_eq!(cache.purge_expired(), 300);
    assert_eq!(drops.load(Ordering::SeqCst), 300);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.stats().expirations, 300);
    assert_eq!(cache.purge_expired(), 0);
}

#[test]
fn expired_values_are_released_by_normal_traffic_far_below_the_bound() {
    let drops = Arc::new(AtomicUsize::new(0));
    let cache = short_lived(Duration::from_millis(10));
    for key in 0..1_000 {
        cache.set(key, DropCounted::new(key, &drops));
    }
    sleep(Duration::from_millis(30));
    // Only inserts of other keys, never-expiring, far below the bound of 100,000; no purge.
    for key in 10_000..40_000 {
        cache.set_exp(key, DropCounted::new(key, &drops), Expiration::Never);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1_000, "expired values were not released by traffic");
    assert_eq!(cache.len(), 30_000);
}

#[test]
fn lookups_alone_release_expired_values_they_do_not_meet() {
    // No insertion after the deadline: each lookup that meets an expired entry also sweeps a few
    // slots of its shard, so lookups of the newer half of the keys release the older half too.
    // The premise is that nothing expires while the cache fills: a fill slower than that (a
    // loaded machine) sweeps and evicts early keys, and leaves the lookups too few entries to
    // meet, so such a round is run again.
    const EXPIRATION: Duration = Duration::from_millis(100);
    for _ in 0..10 {
        let drops = Arc::new(AtomicUsize::new(0));
        let cache = PtrCache::builder().expiration(EXPIRATION).max_entries(1_000).build();
        let start = std::time::Instant::now();
        for key in 0..1_000 {
            cache.set(key, DropCounted::new(key, &drops));
        }
        if start.elapsed() >= EXPIRATION / 2 {
            continue;
        }
        sleep(EXPIRATION + Duration::from_millis(20));
        for key in (500..1_000).rev() {
            assert!(cache.get(&key).is_none());
        }
        assert_eq!(drops.load(Ordering::SeqCst), 1_000, "expired values that no lookup met were kept");
        assert_eq!(cache.len(), 0);
        return;
    }
    panic!("ten fills of 1,000 entries each took longer than {:?}", EXPIRATION / 2);
}

#[test]
fn lookups_that_miss_release_expired_values_no_lookup_asks_for() {
    // Only hits of a live key and misses of absent keys after the deadline: no lookup meets an
    // expired entry and nothing is inserted, yet every 64th miss of a shard sweeps part of it.
    let drops = Arc::new(AtomicUsize::new(0));
    let cache = PtrCache::builder().max_entries(1_000).build();
    for key in 0..500 {
        cache.set_exp(key, DropCounted::new(key, &drops), Duration::from_millis(20));
    }
    cache.set_exp(u64::MAX, DropCounted::new(u64::MAX, &drops), Expiration::Never);
    sleep(Duration::from_millis(50));
    for absent in 1_000..201_000 {
        assert!(cache.get(&u64::MAX).is_some());
        assert!(cache.get(&absent).is_none());
    }
    assert_eq!(drops.load(Ordering::SeqCst), 500, "expired values that no lookup asked for were kept");
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.stats().expirations, 500);
}

#[test]
fn traffic_releases_short_lived_values_stored_after_long_lived_ones() {
    // The sweep rests until the earliest deadline it knows of: later and replaced entries with
    // shorter expirations must bring that deadline forward.
    let drops = Arc::new(AtomicUsize::new(0));
    let cache = short_lived(Duration::from_secs(3_600));
    for key in 0..1_000 {
        cache.set(key, DropCounted::new(key, &drops));
    }
    assert_eq!(cache.purge_expired(), 0);
    for key in 1_000..2_000 {
        cache.set_exp(key, DropCounted::new(key, &drops), Duration::from_millis(200));
    }
    for key in 0..500 {
        cache.set_exp(key, DropCounted::new(key, &drops), Duration::from_millis(200));
    }
    assert_eq!(drops.load(Ordering::SeqCst), 500, "the replaced values");
    sleep(Duration::from_millis(400));
    for key in 10_000..50_000 {
        cache.set_exp(key, DropCounted::new(key, &drops), Expiration::Never);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 2_000, "expired values were not released by traffic");
    assert_eq!(cache.len(), 500 + 40_000);
}

#[test]
fn expiration_odd_values_do_not_panic() {
    let cache = PtrCache::<u32, u32>::builder().expiration(Duration::MAX).build();
    cache.set(1, 1);
    assert_eq!(cache.get(&1).as_deref(), Some(&1));
    cache.set_exp(2, 2, Duration::MAX);
    cache.set_exp(3, 3, Duration::from_secs(u64::MAX));
    cache.set_exp(4, 4, Expiration::from_secs(i64::MAX));
    cache.set_exp(5, 5, Expiration::from_secs(i64::MIN));
    assert!((2..=5).all(|key| cache.get(&key).is_some()));
    assert_eq!(cache.purge_expired(), 0);
}

#[test]
fn zero_duration_expires_at_once() {
    let cache = PtrCache::<u32, u32>::builder().expiration(Duration::ZERO).build();
    assert_eq!(*cache.set(1, 1), 1);
    assert!(cache.get(&1).is_none());
    assert_eq!(*cache.get_or_insert_with(2, || 2), 2);
    assert!(cache.get(&2).is_none());
    let other = PtrCache::<u32, u32>::new();
    other.set(1, 1);
    other.set_exp(1, 2, Duration::ZERO);
    assert!(other.get(&1).is_none(), "a zero expiration must also supersede the old value");
}

#[test]
fn negative_seconds_never_expire() {
    let cache = PtrCache::<u32, u32>::builder().expiration(Duration::from_millis(5)).build();
    cache.set_exp(1, 1, Expiration::from_secs(-1));
    cache.set(2, 2);
    sleep(Duration::from_millis(20));
    assert_eq!(cache.get(&1).as_deref(), Some(&1));
    assert!(cache.get(&2).is_none());
}

#[test]
fn set_renews_the_deadline() {
    let cache = PtrCache::<u32, u32>::builder().expiration(Duration::from_millis(150)).build();
    cache.set(1, 1);
    sleep(Duration::from_millis(100));
    cache.set(1, 2);
    sleep(Duration::from_millis(100));
    assert_eq!(cache.get(&1).as_deref(), Some(&2), "the replaced value kept the old deadline");
}

#[test]
fn get_or_insert_recomputes_an_expired_value() {
    let cache = PtrCache::<u32, u32>::builder().expiration(Duration::from_millis(5)).build();
    let first = cache.get_or_insert_with(1, || 1);
    sleep(Duration::from_millis(20));
    let second = cache.get_or_insert_with(1, || 2);
    assert_eq!((*first, *second), (1, 2));
}

#[test]
fn get_or_insert_removes_the_expired_entry_in_its_way_before_it_initializes() {
    let drops = Arc::new(AtomicUsize::new(0));
    let cache = short_lived(Duration::from_millis(5));
    cache.set(1, DropCounted::new(1, &drops));
    sleep(Duration::from_millis(20));
    let fresh = cache.get_or_insert_with(1, || {
        assert_eq!(drops.load(Ordering::SeqCst), 1, "the expired value outlived the miss");
        assert_eq!(cache.len(), 0);
        DropCounted::new(2, &drops)
    });
    assert_eq!(fresh.id, 2);
    let stats = cache.stats();
    assert_eq!((stats.misses, stats.expirations, stats.inserts, cache.len()), (1, 1, 2, 1));
}

#[test]
fn concurrent_get_or_inserts_across_deadlines_return_no_stale_value_and_keep_one_flight() {
    // Four threads ask for eight keys that expire every 2 ms, so that calls keep meeting
    // expired entries, each other's flights and each other's fresh values; a fifth `set`s
    // them meanwhile, some already expired on arrival.
    let expiration = Duration::from_millis(2);
    // Each value records when it was made. Its deadline is up to the moment it was stored
    // later (a preempted leader), hence the slack; a call that returned expired values would
    // return them for the whole run, most of a second late.
    let slack = Duration::from_millis(200);
    let cache = PtrCache::<u64, (u64, Instant)>::builder().expiration(expiration).build();
    let running: Vec<AtomicBool> = (0..8).map(|_| AtomicBool::new(false)).collect();
    let (inits, sets) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let end = Instant::now() + Duration::from_secs(1);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let mut key = 0;
                while Instant::now() < end {
                    key = (key + 1) % 8;
                    let began = Instant::now();
                    let value = cache.get_or_insert_with(key, || {
                        let flag = &running[key as usize];
                        assert!(!flag.swap(true, Ordering::SeqCst), "two initializers of one key at once");
                        inits.fetch_add(1, Ordering::Relaxed);
                        std::thread::yield_now();
                        flag.store(false, Ordering::SeqCst);
                        (key, Instant::now())
                    });
                    assert_eq!(value.0, key);
                    assert!(began < value.1 + expiration + slack, "a stale value was returned");
                }
            });
        }
        scope.spawn(|| {
            let mut key = 0;
            while Instant::now() < end {
                key = (key + 3) % 8;
                let expiration = if key % 2 == 0 { Duration::from_nanos(1) } else { expiration };
                cache.set_exp(key, (key, Instant::now()), expiration);
                sets.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(50));
            }
        });
    });
    let stats = cache.stats();
    let inits = inits.load(Ordering::Relaxed) as u64;
    let sets = sets.load(Ordering::Relaxed) as u64;
    assert_eq!(stats.inserts, inits + sets, "one insert per initializer run and per set");
    assert!(inits > 8 && stats.misses >= inits && stats.expirations > 0, "{inits} inits, {stats:?}");
}
