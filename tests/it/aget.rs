//! The async get-or-insert calls: single flight across tasks, cancellation, failure, mixing.

use ptrcache::PtrCache;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;
use tokio::time::{sleep, timeout};

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap()
}

/// Fails the test if the future does not finish in time, instead of hanging CI.
async fn bounded<T>(future: impl Future<Output = T>) -> T {
    timeout(Duration::from_secs(20), future).await.expect("timed out: a waiter is stuck")
}

#[test]
fn many_tasks_run_one_initializer_and_share_the_pointer() {
    multi_thread().block_on(bounded(async {
        let cache = Arc::new(PtrCache::<u32, String>::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let (cache, runs) = (Arc::clone(&cache), Arc::clone(&runs));
                tokio::spawn(async move {
                    cache
                        .aget_with(1, || async {
                            runs.fetch_add(1, Ordering::SeqCst);
                            sleep(Duration::from_millis(50)).await;
                            "one".to_string()
                        })
                        .await
                })
            })
            .collect();
        let mut values = Vec::new();
        for task in tasks {
            values.push(task.await.unwrap());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(values.iter().all(|v| Arc::ptr_eq(v, &values[0])));
        assert!(Arc::ptr_eq(&values[0], &cache.get(&1).unwrap()));
    }));
}

#[test]
fn aget_drops_the_future_unpolled_on_a_hit() {
    multi_thread().block_on(async {
        let cache = PtrCache::<u32, u32>::new();
        cache.set(1, 1);
        let polled = AtomicBool::new(false);
        let value = cache
            .aget(1, async {
                polled.store(true, Ordering::SeqCst);
                2
            })
            .await;
        assert_eq!(*value, 1);
        assert!(!polled.load(Ordering::SeqCst));
        // On a miss the eager future is what computes the value.
        assert_eq!(*cache.aget(2, async { 20 }).await, 20);
    });
}

#[test]
fn aget_with_creates_the_future_only_on_a_miss() {
    multi_thread().block_on(async {
        let cache = PtrCache::<u32, u32>::new();
        let created = AtomicUsize::new(0);
        for _ in 0..3 {
            cache
                .aget_with(1, || {
                    created.fetch_add(1, Ordering::SeqCst);
                    async { 1 }
                })
                .await;
        }
        assert_eq!(created.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_cancelled_leader_stores_nothing_and_a_waiter_takes_over() {
    multi_thread().block_on(bounded(async {
        let cache = Arc::new(PtrCache::<u32, u32>::new());
        let leader_started = Arc::new(tokio::sync::Notify::new());
        let leader = {
            let (cache, started) = (Arc::clone(&cache), Arc::clone(&leader_started));
            tokio::spawn(async move {
                // The leader's future is dropped by the timeout while its initializer runs.
                timeout(
                    Duration::from_millis(150),
                    cache.aget_with(1, || async move {
                        started.notify_one();
                        sleep(Duration::from_secs(3_600)).await;
                        1
                    }),
                )
                .await
            })
        };
        leader_started.notified().await;
        let waiter = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.aget_with(1, || async { 2 }).await })
        };
        assert!(leader.await.unwrap().is_err(), "the leader should have timed out");
        assert_eq!(*waiter.await.unwrap(), 2, "the waiter must take over after the cancellation");
        assert_eq!(cache.get(&1).as_deref(), Some(&2));
    }));
}

#[test]
fn a_cancelled_waiter_does_not_disturb_the_leader() {
    multi_thread().block_on(bounded(async {
        let cache = Arc::new(PtrCache::<u32, u32>::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let leader = {
            let (cache, runs) = (Arc::clone(&cache), Arc::clone(&runs));
            tokio::spawn(async move {
                cache
                    .aget_with(1, || async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        sleep(Duration::from_millis(300)).await;
                        1
                    })
                    .await
            })
        };
        sleep(Duration::from_millis(50)).await;
        // Waiters that give up early, and one aborted outright.
        for _ in 0..10 {
            let _ = timeout(Duration::from_millis(20), cache.aget_with(1, || async { 99 })).await;
        }
        let aborted = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.aget_with(1, || async { 98 }).await })
        };
        sleep(Duration::from_millis(20)).await;
        aborted.abort();
        let patient = cache.aget_with(1, || async { 97 }).await;
        assert_eq!(*leader.await.unwrap(), 1);
        assert_eq!(*patient, 1);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }));
}

#[test]
fn an_err_is_not_stored_and_waiters_retry() {
    multi_thread().block_on(bounded(async {
        let cache = Arc::new(PtrCache::<u32, u32>::new());
        let attempts = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, attempts) = (Arc::clone(&cache), Arc::clone(&attempts));
                tokio::spawn(async move {
                    cache
                        .try_aget_with(1, || async move {
                            let attempt = attempts.fetch_add(1, Ordering::SeqCst);
                            sleep(Duration::from_millis(10)).await;
                            if attempt < 2 { Err(attempt) } else { Ok(7) }
                        })
                        .await
                })
            })
            .collect();
        let mut errors = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(value) => assert_eq!(*value, 7),
                Err(_) => errors += 1,
            }
        }
        assert_eq!(errors, 2);
        assert_eq!(attempts.load(Ordering::SeqCst), 3);
        assert_eq!(cache.get(&1).as_deref(), Some(&7));
    }));
}

#[test]
fn a_panicking_async_initializer_stores_nothing_and_waiters_retry() {
    multi_thread().block_on(bounded(async {
        let cache = Arc::new(PtrCache::<u32, u32>::new());
        let leader = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move {
                cache
                    .aget_with(1, || async {
                        sleep(Duration::from_millis(100)).await;
                        panic!("async boom")
                    })
                    .await
            })
        };
        sleep(Duration::from_millis(20)).await;
        let waiter = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.aget_with(1, || async { 5 }).await })
        };
        assert!(leader.await.unwrap_err().is_panic());
        assert_eq!(*waiter.await.unwrap(), 5);
        // The same from a caught panic inside one task: the cache is not poisoned.
        let inner = Arc::clone(&cache);
        let caught =
            futures_catch(async move { inner.aget_with(2, || async { panic!("again") }).await }).await;
        assert!(caught.is_err());
        assert_eq!(*cache.aget_with(2, || async { 6 }).await, 6);
    }));
}

/// Catches a panic of a future (without the `futures` crate).
async fn futures_catch<T>(future: impl Future<Output = T> + Send + 'static) -> Result<T, ()>
where
    T: Send + 'static,
{
    tokio::spawn(AssertUnwindSafe(future)).await.map_err(|_| ())
}

#[test]
fn a_thread_and_a_task_share_one_initializer() {
    let cache = Arc::new(PtrCache::<u32, u32>::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(2));
    let thread = {
        let (cache, runs, barrier) = (Arc::clone(&cache), Arc::clone(&runs), Arc::clone(&barrier));
        std::thread::spawn(move || {
            barrier.wait();
            cache.get_or_insert_with(1, || {
                runs.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(100));
                1
            })
        })
    };
    let from_task = multi_thread().block_on(bounded(async {
        barrier.wait();
        cache
            .aget_with(1, || async {
                runs.fetch_add(1, Ordering::SeqCst);
                sleep(Duration::from_millis(100)).await;
                1
            })
            .await
    }));
    let from_thread = thread.join().unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(Arc::ptr_eq(&from_task, &from_thread));
}

#[test]
fn waiting_tasks_do_not_block_a_current_thread_runtime() {
    // One executor thread: if waiters blocked it, the initializer's timer could never fire.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(bounded(async {
        let cache = Arc::new(PtrCache::<u32, u32>::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (cache, runs) = (Arc::clone(&cache), Arc::clone(&runs));
                tokio::spawn(async move {
                    cache
                        .aget_with(1, || async move {
                            runs.fetch_add(1, Ordering::SeqCst);
                            sleep(Duration::from_millis(50)).await;
                            1
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(*task.await.unwrap(), 1);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }));
}

#[test]
fn aget_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let cache = PtrCache::<String, Vec<u8>>::new();
    assert_send(&cache.aget("k".to_string(), async { vec![] }));
    assert_send(&cache.aget_with("k".to_string(), || async { vec![] }));
    assert_send(&cache.try_aget_with("k".to_string(), || async { Ok::<_, std::io::Error>(vec![]) }));
}

#[test]
fn a_shard_with_many_keys_loading_at_once_keeps_one_flight_per_key() {
    // As the thread test in single_flight.rs, with tasks: 24 keys of one shard loading at once,
    // past the few records a shard scans in place.
    const KEYS: u32 = 24;
    multi_thread().block_on(bounded(async {
        let cache = Arc::new(PtrCache::<u32, u32>::builder().max_entries(10).build());
        let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..KEYS).map(|_| AtomicUsize::new(0)).collect());
        // Closed to let every initializer finish (a barrier would be tripped by an extra one).
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let call = |key: u32| {
            let (cache, runs, release) = (Arc::clone(&cache), Arc::clone(&runs), Arc::clone(&release));
            tokio::spawn(async move {
                let value = cache
                    .aget_with(key, || async move {
                        runs[key as usize].fetch_add(1, Ordering::SeqCst);
                        let _ = release.acquire().await;
                        key * 3
                    })
                    .await;
                (key, value)
            })
        };
        let leaders: Vec<_> = (0..KEYS).map(call).collect();
        while runs.iter().map(|r| r.load(Ordering::SeqCst)).sum::<usize>() < KEYS as usize {
            tokio::task::yield_now().await;
        }
        let waiters: Vec<_> = (0..KEYS * 2).map(|i| call(i % KEYS)).collect();
        // Each waiter counts its miss before it waits: release the initializers once all did
        // (or, if one stored a value, once the others hit it: the asserts below then fail).
        while cache.stats().misses + cache.stats().hits < u64::from(KEYS * 3) {
            tokio::task::yield_now().await;
        }
        release.close();
        let mut firsts = Vec::new();
        for leader in leaders {
            firsts.push(leader.await.unwrap().1);
        }
        for waiter in waiters {
            let (key, value) = waiter.await.unwrap();
            assert!(Arc::ptr_eq(&value, &firsts[key as usize]), "a waiter of key {key} got another pointer");
        }
        assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) == 1), "some key was initialized twice");
        assert!(cache.len() <= 10);
    }));
}
