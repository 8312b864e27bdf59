//! Concurrent get-or-insert calls on one missing key run the initializer once.

use crate::util::within;
use ptrcache::PtrCache;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread::sleep;
use std::time::Duration;

#[test]
fn concurrent_callers_run_the_initializer_once_and_share_the_pointer() {
    let cache = PtrCache::<u32, String>::new();
    let runs = AtomicUsize::new(0);
    let barrier = Barrier::new(16);
    let values: Vec<Arc<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    cache.get_or_insert_with(1, || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        sleep(Duration::from_millis(50));
                        "one".to_string()
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(values.iter().all(|v| Arc::ptr_eq(v, &values[0])));
    assert!(Arc::ptr_eq(&values[0], &cache.get(&1).unwrap()));
}

/// Runs `during` on this thread while another thread's initializer of `key` (returning
/// `value`) is blocked, then lets the initializer finish.
fn while_initializing(cache: &PtrCache<u32, u32>, key: u32, value: u32, during: impl FnOnce()) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            cache.get_or_insert_with(key, || {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                value
            })
        });
        started_rx.recv().unwrap();
        during();
        release_tx.send(()).unwrap();
    });
}

#[test]
fn other_keys_are_not_blocked_by_a_running_initializer() {
    let cache = PtrCache::<u32, u32>::new();
    while_initializing(&cache, 1, 1, || {
        // Key 1's initializer is blocked; everything else proceeds.
        assert_eq!(*cache.get_or_insert_with(2, || 2), 2);
        cache.set(3, 3);
        assert_eq!(cache.get(&3).as_deref(), Some(&3));
        assert!(cache.get(&1).is_none(), "a plain get must not wait for a running initializer");
        assert!(!cache.contains_key(&1));
    });
    assert_eq!(cache.get(&1).as_deref(), Some(&1));
}

#[test]
fn a_get_during_initialization_returns_the_old_live_value() {
    let cache = PtrCache::<u32, u32>::new();
    while_initializing(&cache, 1, 10, || {
        cache.set(1, 5); // a value set while the initializer runs is visible at once
        assert_eq!(cache.get(&1).as_deref(), Some(&5));
    });
    // The initializer finished last, so its value is the one kept.
    assert_eq!(cache.get(&1).as_deref(), Some(&10));
}

#[test]
fn an_initializer_may_use_the_cache_for_other_keys() {
    let cache = PtrCache::<u32, u32>::builder().max_entries(10).build();
    let total = cache.get_or_insert_with(0, || {
        // Nested get-or-insert and set on other keys: no lock is held while this runs.
        let a = cache.get_or_insert_with(1, || 1);
        let b = cache.get_or_insert_with(2, || *cache.get_or_insert_with(3, || 3) + 1);
        cache.set(5, 5);
        cache.clear();
        *a + *b
    });
    assert_eq!(*total, 5);
    assert_eq!(cache.get(&0).as_deref(), Some(&5));
}

#[test]
fn a_value_set_for_the_key_while_its_initializer_runs_is_replaced_by_the_initializer_s() {
    // The key was absent when the call began its flight; the landing write must look it up
    // again, as a write came since, and replace the set value rather than store a second entry.
    let cache = PtrCache::<u32, u32>::new();
    let set = std::cell::Cell::new(None);
    let value = cache.get_or_insert_with(1, || {
        cache.set(1, 10);
        set.set(cache.get(&1));
        11
    });
    assert_eq!((*value, set.take().as_deref().copied()), (11, Some(10)));
    assert_eq!(cache.get(&1).as_deref(), Some(&11));
    assert_eq!(cache.len(), 1, "one entry for the key");
    assert!(cache.remove(&1).is_some());
    assert_eq!((cache.get(&1), cache.len()), (None, 0), "no second entry left behind");
}

#[test]
fn concurrent_callers_on_many_keys_run_one_initializer_per_key() {
    let cache = PtrCache::<u32, u32>::builder().max_entries(10_000).build();
    let runs: Vec<AtomicUsize> = (0..64).map(|_| AtomicUsize::new(0)).collect();
    let barrier = Barrier::new(8);
    std::thread::scope(|s| {
        for thread in 0..8u32 {
            let (cache, runs, barrier) = (&cache, &runs, &barrier);
            s.spawn(move || {
                barrier.wait();
                for i in 0..64u32 {
                    let key = (i + thread * 8) % 64;
                    let value = cache.get_or_insert_with(key, || {
                        runs[key as usize].fetch_add(1, Ordering::SeqCst);
                        sleep(Duration::from_millis(1));
                        key * 2
                    });
                    assert_eq!(*value, key * 2);
                }
            });
        }
    });
    assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) == 1), "some key was initialized twice");
}

#[test]
fn each_waiting_call_counts_one_miss_and_no_hit() {
    let cache = PtrCache::<u32, u32>::new();
    let barrier = Barrier::new(9);
    std::thread::scope(|s| {
        for _ in 0..9 {
            s.spawn(|| {
                barrier.wait();
                cache.get_or_insert_with(1, || {
                    sleep(Duration::from_millis(100));
                    1
                });
            });
        }
    });
    let stats = cache.stats();
    assert_eq!(stats.hits + stats.misses, 9);
    assert!(stats.misses >= 1);
    assert_eq!(stats.inserts, 1);
}

#[test]
fn a_shard_with_many_keys_loading_at_once_keeps_one_flight_per_key() {
    within(Duration::from_secs(30), many_keys_loading_at_once_in_one_shard);
}

fn many_keys_loading_at_once_in_one_shard() {
    // One shard (a bound this small has one), 24 keys loading at once: past the few records a
    // shard scans in place, the rest are found through its hash table. Every initializer waits
    // until all have started, and two more callers per key join while they wait.
    const KEYS: u32 = 24;
    let cache = PtrCache::<u32, u32>::builder().max_entries(10).build();
    let runs: Vec<AtomicUsize> = (0..KEYS).map(|_| AtomicUsize::new(0)).collect();
    let started = Barrier::new(KEYS as usize + 1);
    let release = Barrier::new(KEYS as usize + 1);
    let values = std::thread::scope(|s| {
        let leaders: Vec<_> = (0..KEYS)
            .map(|key| {
                let (cache, runs, started, release) = (&cache, &runs, &started, &release);
                s.spawn(move || {
                    cache.get_or_insert_with(key, || {
                        runs[key as usize].fetch_add(1, Ordering::SeqCst);
                        started.wait();
                        release.wait();
                        key * 3
                    })
                })
            })
            .collect();
        started.wait(); // every key is pending now
        let waiters: Vec<_> = (0..KEYS * 2)
            .map(|i| {
                let (cache, runs) = (&cache, &runs);
                s.spawn(move || {
                    let key = i % KEYS;
                    (
                        key,
                        cache.get_or_insert_with(key, || {
                            runs[key as usize].fetch_add(1, Ordering::SeqCst);
                            key * 3
                        }),
                    )
                })
            })
            .collect();
        // Each waiter counts its miss before it waits: release the initializers once all
        // did. (A waiter that found no record and stored a value would make a later one hit:
        // counting hits too ends the wait, and the asserts below fail instead of a timeout.)
        while cache.stats().misses + cache.stats().hits < u64::from(KEYS * 3) {
            std::thread::yield_now();
        }
        release.wait();
        let leaders: Vec<_> = leaders.into_iter().map(|leader| leader.join().unwrap()).collect();
        let waiters: Vec<_> = waiters.into_iter().map(|waiter| waiter.join().unwrap()).collect();
        (leaders, waiters)
    });
    let (leaders, waiters) = values;
    assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) == 1), "some key was initialized twice");
    for (key, value) in waiters {
        assert!(Arc::ptr_eq(&value, &leaders[key as usize]), "a waiter of key {key} got another pointer");
        assert_eq!(*value, key * 3);
    }
    assert!(cache.len() <= 10);
}

/// A key whose `Eq`, when armed, calls `during` (once) and then sleeps: a lookup that compares
/// it is held up, in the middle of its read, for as long. Every key hashes alike (one shard, and
/// lookups compare every key present).
#[derive(Clone)]
struct Stalling {
    id: u32,
    armed: Arc<std::sync::Mutex<Option<During>>>,
}

/// What an armed [`Stalling`] key's `Eq` calls.
type During = Box<dyn FnOnce() + Send>;

impl std::hash::Hash for Stalling {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl PartialEq for Stalling {
    fn eq(&self, other: &Self) -> bool {
        let during = self.armed.lock().unwrap().take();
        if let Some(during) = during {
            during();
            sleep(Duration::from_millis(200));
        }
        self.id == other.id
    }
}

impl Eq for Stalling {}

impl std::fmt::Debug for Stalling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stalling({})", self.id)
    }
}

#[test]
fn a_value_stored_between_a_get_or_insert_s_lookup_and_its_join_is_found_and_not_initialized_again() {
    // The lookup misses the key while another thread's write of it waits for that read; the
    // call's join then comes after the write. It must look again (the store's version moved
    // on) and return the stored value, not lead the key and run its initializer.
    let cache = Arc::new(PtrCache::<Stalling, u32>::new());
    let armed = Arc::new(std::sync::Mutex::new(None));
    let key = |id| Stalling { id, armed: Arc::clone(&armed) };
    cache.set(key(1), 1);
    let (wrote_tx, wrote_rx) = mpsc::channel();
    let writer = {
        let (cache, key2) = (Arc::clone(&cache), key(2));
        move || {
            // Started from inside the lookup's read: the set takes the lock and waits for it.
            std::thread::spawn(move || {
                cache.set(key2, 20);
                wrote_tx.send(()).unwrap();
            });
        }
    };
    *armed.lock().unwrap() = Some(Box::new(writer));
    let runs = Arc::new(AtomicUsize::new(0));
    let value = {
        let (cache, key2, runs) = (Arc::clone(&cache), key(2), Arc::clone(&runs));
        within(Duration::from_secs(10), move || {
            *cache.get_or_insert_with(key2, || {
                runs.fetch_add(1, Ordering::SeqCst);
                21
            })
        })
    };
    wrote_rx.recv_timeout(Duration::from_secs(10)).expect("the set finished");
    assert_eq!((value, runs.load(Ordering::SeqCst)), (20, 0), "the join did not look again");
    assert_eq!(cache.get(&key(2)).as_deref(), Some(&20));
}
