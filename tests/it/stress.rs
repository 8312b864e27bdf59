//! Concurrent stress: threads and tasks doing every operation on a few shared keys, with
//! initializers that panic, fail, are slow or are cancelled. During the run no call returns a
//! value of another key or a stale one, and no two initializers of one key ever run at once;
//! afterwards the bound holds, nobody is stuck (each test fails after a time limit instead of
//! hanging) and every value is dropped exactly once when the cache is.

use crate::util::{random, within};
use ptrcache::{Expiration, PtrCache};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, Instant};

/// How long values live unless a call says otherwise: short, so entries expire during the run.
const EXPIRATION: Duration = Duration::from_millis(15);

/// Keys shared by every worker: few, so that they meet on the same keys all the time.
const KEYS: u64 = 12;

/// A panic that the workers expect (and catch).
const INIT_PANIC: &str = "stress: the initializer panics";

/// A value: its key, when its storing call returned, and a drop counter.
#[derive(Debug)]
struct Stamp {
    key: u64,
    /// Set by the storing caller once its call returned: the deadline is at most this plus the
    /// expiration (unset while the call runs, or for values stored by an initializer).
    stored: OnceLock<(Instant, Duration)>,
    drops: Arc<AtomicUsize>,
}

impl Drop for Stamp {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts what is created and dropped, and which initializers are running.
#[derive(Debug, Default)]
struct Ledger {
    created: AtomicUsize,
    drops: Arc<AtomicUsize>,
    /// Initializers running per key: never more than one (single flight).
    running: [AtomicUsize; KEYS as usize],
}

impl Ledger {
    fn stamp(&self, key: u64) -> Stamp {
        self.created.fetch_add(1, Ordering::SeqCst);
        Stamp { key, stored: OnceLock::new(), drops: Arc::clone(&self.drops) }
    }

    /// Runs an initializer of `key`, checking that it is the only one.
    fn init<T>(&self, key: u64, f: impl FnOnce() -> T) -> T {
        let _running = self.start(key);
        f()
    }

    /// Marks an initializer of `key` as running until the guard drops (also on panic or
    /// cancellation), checking that it is the only one.
    fn start(&self, key: u64) -> Running<'_> {
        let before = self.running[key as usize].fetch_add(1, Ordering::SeqCst);
        assert_eq!(before, 0, "two initializers of key {key} ran at once");
        Running(&self.running[key as usize])
    }
}

/// A running initializer, counted in [`Ledger::running`].
struct Running<'a>(&'a AtomicUsize);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Checks a value a call returned for `key`, when the call started at `asked`.
fn check_returned(key: u64, value: &Stamp, asked: Instant) {
    assert_eq!(value.key, key, "a value of key {} returned for key {key}", value.key);
    if let Some(&(stored, expiration)) = value.stored.get() {
        assert!(asked < stored + expiration, "a stale value: asked {:?} after its deadline", asked - stored);
    }
}

/// An initializer's behaviour, picked at random.
fn init_outcome(roll: u64) -> Result<Duration, bool> {
    match roll % 10 {
        0 => Err(true),                                   // panics
        1 | 2 => Err(false),                              // returns Err
        3 => Ok(Duration::from_micros(200 + roll % 800)), // slow
        _ => Ok(Duration::ZERO),
    }
}

/// One synchronous worker's mix of every operation.
fn sync_worker(cache: &PtrCache<u64, Stamp>, ledger: &Ledger, seed: u64, ops: usize) {
    let mut next = random(seed);
    for _ in 0..ops {
        let roll = next();
        let key = roll % KEYS;
        let asked = Instant::now();
        match (roll >> 8) % 20 {
            0..=5 => {
                if let Some(value) = cache.get(&key) {
                    check_returned(key, &value, asked);
                }
            }
            6..=10 => {
                let outcome = init_outcome(roll >> 16);
                let mut led = false;
                let result = catch_unwind(AssertUnwindSafe(|| {
                    cache.try_get_or_insert_with(key, || {
                        led = true;
                        ledger.init(key, || match outcome {
                            Err(true) => std::panic::panic_any(INIT_PANIC),
                            Err(false) => Err("refused"),
                            Ok(pause) => {
                                std::thread::sleep(pause);
                                Ok(ledger.stamp(key))
                            }
                        })
                    })
                }));
                match result {
                    Ok(Ok(value)) => {
                        check_returned(key, &value, asked);
                        if led {
                            // Stored with the cache's expiration before the call returned.
                            let _ = value.stored.set((Instant::now(), EXPIRATION));
                        }
                    }
                    Ok(Err(_)) => {}
                    Err(payload) => {
                        assert_eq!(
                            payload.downcast_ref::<&str>(),
                            Some(&INIT_PANIC),
                            "the cache itself panicked"
                        )
                    }
                }
            }
            11..=13 => {
                let value = cache.set(key, ledger.stamp(key));
                let _ = value.stored.set((Instant::now(), EXPIRATION));
            }
            14 => {
                let expiration = Duration::from_micros(roll >> 32 & 2047);
                let value = cache.set_exp(key, ledger.stamp(key), expiration);
                let _ = value.stored.set((Instant::now(), expiration));
            }
            15 => {
                let value = cache.set_exp(key, ledger.stamp(key), Expiration::Never);
                let _ = value.stored.set((Instant::now(), Duration::from_secs(1 << 40)));
            }
            16 => {
                if let Some(value) = cache.remove(&key) {
                    check_returned(key, &value, asked);
                }
            }
            17 => drop(cache.contains_key(&key)),
            18 => {
                for (key, value) in cache.entries() {
                    check_returned(key, &value, asked);
                }
            }
            _ => match roll >> 32 & 7 {
                0 => cache.clear(),
                1 => drop(cache.purge_expired()),
                _ => assert!(cache.len() <= cache.max_entries()),
            },
        }
        assert!(cache.len() <= cache.max_entries(), "len {} > max_entries", cache.len());
    }
}

/// The checks once every worker is done: bound, consistency, drops.
fn check_after(cache: PtrCache<u64, Stamp>, ledger: &Ledger) {
    assert!(cache.len() <= cache.max_entries());
    cache.purge_expired();
    let entries = cache.entries();
    assert_eq!(entries.len(), cache.len(), "len() after purge_expired disagrees with the entries");
    for (key, value) in &entries {
        assert_eq!(value.key, *key);
    }
    drop(entries);
    assert!(ledger.running.iter().all(|running| running.load(Ordering::SeqCst) == 0));
    let stored = cache.len();
    assert_eq!(
        ledger.drops.load(Ordering::SeqCst) + stored,
        ledger.created.load(Ordering::SeqCst),
        "values released by the cache plus those it holds must be all that were made"
    );
    drop(cache);
    assert_eq!(
        ledger.drops.load(Ordering::SeqCst),
        ledger.created.load(Ordering::SeqCst),
        "a value leaked or was dropped twice"
    );
}

fn cache(max_entries: usize) -> PtrCache<u64, Stamp> {
    PtrCache::builder().max_entries(max_entries).expiration(EXPIRATION).build()
}

#[test]
fn threads_with_panicking_failing_and_slow_initializers_keep_every_invariant() {
    within(Duration::from_secs(30), || {
        // 0 and 3: nothing kept / constant eviction; 200: several shards.
        for max_entries in [0, 3, 200] {
            let cache = cache(max_entries);
            let ledger = Ledger::default();
            let barrier = Barrier::new(4);
            std::thread::scope(|s| {
                for seed in 0..4 {
                    let (cache, ledger, barrier) = (&cache, &ledger, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        sync_worker(cache, ledger, seed * 1_000 + max_entries as u64, 3_000);
                    });
                }
            });
            check_after(cache, &ledger);
        }
    });
}

#[cfg(feature = "async")]
#[test]
fn tasks_and_threads_with_cancelled_initializers_leave_no_waiter_stuck() {
    use tokio::time::{sleep, timeout};

    within(Duration::from_secs(30), || {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let cache = Arc::new(cache(5));
        let ledger = Arc::new(Ledger::default());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Two threads block on the same keys as the tasks, so flights led by tasks have thread
        // waiters and the other way round.
        let threads: Vec<_> = (0..2)
            .map(|seed| {
                let (cache, ledger, stop) = (Arc::clone(&cache), Arc::clone(&ledger), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let mut round = 0;
                    while !stop.load(Ordering::SeqCst) {
                        sync_worker(&cache, &ledger, 77 + seed * 1_000 + round, 100);
                        round += 1;
                    }
                })
            })
            .collect();
        runtime.block_on(async {
            let tasks: Vec<_> = (0..64u64)
                .map(|task| {
                    let (cache, ledger) = (Arc::clone(&cache), Arc::clone(&ledger));
                    tokio::spawn(async move {
                        let mut next = random(task);
                        for _ in 0..60 {
                            let roll = next();
                            let key = roll % KEYS;
                            let asked = Instant::now();
                            let ledger = &ledger;
                            let led = AtomicUsize::new(0);
                            let led = &led;
                            // The initializer: ready, slow, failing or panicking; and the call may
                            // be cancelled by a timeout while it leads or while it waits.
                            let call = cache.try_aget_with(key, || async move {
                                let outcome = init_outcome(roll >> 16);
                                led.store(1, Ordering::SeqCst);
                                let _running = ledger.start(key);
                                match outcome {
                                    Err(true) => std::panic::panic_any(INIT_PANIC),
                                    Err(false) => Err("refused"),
                                    Ok(pause) => {
                                        sleep(pause * 2).await;
                                        Ok(ledger.stamp(key))
                                    }
                                }
                            });
                            let call = AssertUnwindSafe(call);
                            let limit = Duration::from_micros(if roll >> 40 & 3 == 0 { 300 } else { 20_000 });
                            match timeout(limit, futures_catch_unwind(call)).await {
                                Err(_cancelled) => {}
                                Ok(Ok(Ok(value))) => {
                                    check_returned(key, &value, asked);
                                    if led.load(Ordering::SeqCst) == 1 {
                                        let _ = value.stored.set((Instant::now(), EXPIRATION));
                                    }
                                }
                                Ok(Ok(Err(_refused))) => {}
                                Ok(Err(payload)) => assert_eq!(
                                    payload.downcast_ref::<&str>(),
                                    Some(&INIT_PANIC),
                                    "the cache itself panicked"
                                ),
                            }
                            if roll >> 48 & 7 == 0 {
                                tokio::task::yield_now().await;
                            }
                        }
                    })
                })
                .collect();
            for task in tasks {
                timeout(Duration::from_secs(20), task)
                    .await
                    .expect("a task is stuck")
                    .expect("a task failed its checks");
            }
        });
        stop.store(true, Ordering::SeqCst);
        for thread in threads {
            thread.join().expect("a thread failed its checks");
        }
        drop(runtime);
        let cache = Arc::into_inner(cache).expect("the cache is shared no more");
        check_after(cache, &ledger);
    });
}

/// Catches a panic of a future's poll, as `catch_unwind` does for a closure.
#[cfg(feature = "async")]
async fn futures_catch_unwind<F: std::future::Future>(
    future: AssertUnwindSafe<F>,
) -> std::thread::Result<F::Output> {
    let mut future = std::pin::pin!(future.0);
    std::future::poll_fn(move |cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Ok(output)),
        Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
        Err(payload) => std::task::Poll::Ready(Err(payload)),
    })
    .await
}
