//! Panicking, failing and re-entrant initializers: nothing stored, no waiter stuck, no poison.

use crate::util::within;
use ptrcache::PtrCache;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::sleep;
use std::time::Duration;

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_panicking_initializer_stores_nothing_and_does_not_poison() {
    let cache = PtrCache::<u32, u32>::new();
    let result = catch_unwind(AssertUnwindSafe(|| cache.get_or_insert_with(1, || panic!("boom"))));
    assert_eq!(panic_message(result.unwrap_err()), "boom");
    assert!(cache.get(&1).is_none());
    assert_eq!(*cache.get_or_insert_with(1, || 7), 7);
    cache.set(2, 2);
    assert_eq!(cache.len(), 2);
}

#[test]
fn an_err_is_returned_and_not_stored() {
    let cache = PtrCache::<u32, u32>::new();
    let runs = AtomicUsize::new(0);
    let fail = || {
        runs.fetch_add(1, Ordering::SeqCst);
        Err::<u32, _>("down")
    };
    assert_eq!(cache.try_get_or_insert_with(1, fail), Err("down"));
    assert_eq!(cache.try_get_or_insert_with(1, fail), Err("down"));
    assert_eq!(runs.load(Ordering::SeqCst), 2, "an error must not be cached");
    assert!(cache.is_empty());
    assert_eq!(*cache.try_get_or_insert_with(1, || Ok::<_, &str>(3)).unwrap(), 3);
}

#[test]
fn a_waiter_takes_over_when_the_leader_panics() {
    within(Duration::from_secs(20), || {
        let cache = PtrCache::<u32, u32>::new();
        let leader_started = AtomicBool::new(false);
        let leader_panicked = AtomicBool::new(false);
        let waiter_called = AtomicBool::new(false);
        std::thread::scope(|s| {
            let leader = s.spawn(|| {
                catch_unwind(AssertUnwindSafe(|| {
                    cache.get_or_insert_with(1, || {
                        leader_started.store(true, Ordering::SeqCst);
                        while !waiter_called.load(Ordering::SeqCst) {
                            std::thread::yield_now();
                        }
                        sleep(Duration::from_millis(100)); // the waiter is now waiting
                        leader_panicked.store(true, Ordering::SeqCst);
                        panic!("leader fails")
                    })
                }))
            });
            let waiter = s.spawn(|| {
                while !leader_started.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
                waiter_called.store(true, Ordering::SeqCst);
                cache.get_or_insert_with(1, || {
                    assert!(
                        leader_panicked.load(Ordering::SeqCst),
                        "the waiter ran before the leader failed"
                    );
                    2
                })
            });
            assert!(leader.join().unwrap().is_err());
            assert_eq!(*waiter.join().unwrap(), 2);
        });
        assert_eq!(cache.get(&1).as_deref(), Some(&2));
    });
}

#[test]
fn waiters_retry_after_an_err_and_one_of_them_succeeds() {
    within(Duration::from_secs(20), || {
        let cache = PtrCache::<u32, u32>::new();
        let attempts = AtomicUsize::new(0);
        let barrier = Barrier::new(8);
        let results: Vec<Result<Arc<u32>, usize>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        cache.try_get_or_insert_with(1, || {
                            let attempt = attempts.fetch_add(1, Ordering::SeqCst);
                            sleep(Duration::from_millis(20));
                            if attempt < 3 { Err(attempt) } else { Ok(42) }
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // Three callers saw their own error; all the others got the one stored value.
        let errors: Vec<usize> = results.iter().filter_map(|r| r.as_ref().err().copied()).collect();
        assert_eq!(errors.len(), 3, "{results:?}");
        assert_eq!(attempts.load(Ordering::SeqCst), 4, "exactly one successful initialization");
        let stored = cache.get(&1).unwrap();
        assert!(results.iter().flatten().all(|v| Arc::ptr_eq(v, &stored)));
    });
}

#[test]
fn an_initializer_asking_for_its_own_key_panics_instead_of_deadlocking() {
    within(Duration::from_secs(20), || {
        let cache = PtrCache::<u32, u32>::new();
        let result = catch_unwind(AssertUnwindSafe(|| {
            cache.get_or_insert_with(1, || *cache.get_or_insert_with(1, || 2) + 1)
        }));
        let message = panic_message(result.unwrap_err());
        assert!(message.contains("its own key on the same thread"), "unclear message: {message}");
        // Not poisoned: the key can be initialized afterwards.
        assert!(cache.get(&1).is_none());
        assert_eq!(*cache.get_or_insert_with(1, || 3), 3);
    });
}

#[test]
fn the_cache_survives_a_panic_in_a_value_drop() {
    struct PanicOnDrop(bool);
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            if self.0 && !std::thread::panicking() {
                panic!("drop");
            }
        }
    }
    let cache = PtrCache::<u32, PanicOnDrop>::builder().max_entries(1).build();
    cache.set(1, PanicOnDrop(true));
    // Evicting the value runs its panicking `Drop` after the cache has unlocked.
    assert!(catch_unwind(AssertUnwindSafe(|| cache.set(2, PanicOnDrop(false)))).is_err());
    assert!(cache.get(&2).is_some(), "the new value was stored before the old one was dropped");
    cache.set(3, PanicOnDrop(false));
    assert_eq!(cache.len(), 1);
    assert!(cache.contains_key(&3));
}

#[test]
fn a_value_drop_may_use_the_cache() {
    struct UsesCache(Arc<PtrCache<u32, u32>>);
    impl Drop for UsesCache {
        fn drop(&mut self) {
            // Would deadlock if values were dropped under the shard lock.
            self.0.set(99, 99);
            let _ = self.0.get(&99);
        }
    }
    within(Duration::from_secs(20), || {
        let side = Arc::new(PtrCache::<u32, u32>::new());
        let cache = PtrCache::<u32, UsesCache>::builder().max_entries(1).build();
        cache.set(1, UsesCache(Arc::clone(&side)));
        cache.set(2, UsesCache(Arc::clone(&side)));
        drop(cache.remove(&2));
        assert!(side.contains_key(&99));
    });
}
