//! The lock of a shard: one word that is both the writers' lock and the flag that lock-free
//! readers check (see `shard.rs` for the protocol).
//!
//! A write used to take a std `RwLock`, then raise a `writing` flag beside it, then lower both:
//! three locked instructions and two dirtied cache lines per write, and a miss writes twice.
//! Here the flag is the lock's own word. Taking it is one `SeqCst` compare-exchange, which is
//! also the writer's half of the handshake with announced readers; releasing it is one swap.
//!
//! Waiters spin, then yield (no user code runs under the lock but a key's `Eq` and, under a
//! read lock in `entries`, its `Clone`, so holds are short), then sleep until a release wakes
//! them: a waiter raises [`PARKED`] and sleeps on a condition variable (one of a few shared by
//! every lock, chosen by the lock's address), and a release that finds `PARKED` raised wakes
//! the sleepers there. So a release is a swap rather than a plain store (within the noise: 0.99
//! to 1.06 of the plain store's get-or-insert throughput in same-process A/Bs), and a waiter for
//! a long hold (whole-shard work such as `clear` or `purge_expired`, or a preempted holder) is
//! woken at once instead of polling (a 50 µs sleep overshot to 69–111 µs in half the tries).
//! Writers are not queued: one woken can be overtaken by another, as with std's lock.
//!
//! Locked readers (threads without a reader slot, nested and long reads) count themselves in the
//! word. A writer that has to wait raises [`WRITER_WAITING`], which keeps new locked readers out
//! so that they cannot starve it, as std's `RwLock` prefers writers too. Among sixteen threads
//! reading one shard, a writer did 185–390k writes a second in a same-process probe on 2 cores
//! (the std `RwLock` and flag this replaced: 12–28k; `quick_cache`: 260–520k);
//! `tests/it/lock_free_reads.rs` checks that such a writer is not starved.

use crate::sync::{AtomicU32, AtomicUsize, Backoff, Condvar, Mutex, Ordering, lock, store_then_load, wait};

/// Set while a writer holds the lock.
const WRITER: u32 = 1;

/// Set by a writer waiting for the lock; new locked readers wait too.
const WRITER_WAITING: u32 = 2;

/// Set by a waiter that sleeps (or is about to) on the lock's condition variable. A write
/// release, or the last locked reader leaving, clears it and wakes the sleepers, who raise it
/// again if they must sleep on. It may also linger on a free lock (raised by a waiter that then
/// found the lock free), which only sends the next writer down the slow path and its release
/// to a needless wake-up.
const PARKED: u32 = 4;

/// One locked reader, counted in the bits above the three flags.
const READER: u32 = 8;

/// A shard's lock and its writers' flag, in one word.
#[derive(Debug, Default)]
pub(crate) struct ShardLock {
    state: AtomicU32,
    /// Where this lock's waiters sleep under loom, which needs its objects made in the model
    /// (elsewhere: a few spots shared by every lock, see [`SPOTS`]).
    #[cfg(ptrcache_loom)]
    spot: Spot,
}

/// Where waiters sleep.
type Spot = (Mutex<()>, Condvar);

/// The sleeping spots of every lock, chosen by a lock's address: a wake-up there may wake the
/// waiters of another lock too, who look again and sleep on.
#[cfg(not(ptrcache_loom))]
static SPOTS: [Spot; 64] = [const { (Mutex::new(()), Condvar::new()) }; 64];

/// A held write lock; released on drop, even if the write panics.
#[must_use]
pub(crate) struct WriteLock<'a>(&'a ShardLock);

/// A held read lock; released on drop.
#[must_use]
pub(crate) struct ReadLock<'a>(&'a ShardLock);

impl ShardLock {
    /// Write-locks, waiting for the writer or the locked readers in.
    #[inline]
    pub(crate) fn write(&self) -> WriteLock<'_> {
        if !self.acquire_from(0) {
            self.write_contended();
        }
        WriteLock(self)
    }

    /// Write-locks if no one holds the lock or waits for it.
    #[inline]
    pub(crate) fn try_write(&self) -> Option<WriteLock<'_>> {
        // Not `then_some`: a guard built and dropped for a failed try would release the lock.
        if self.acquire_from(0) { Some(WriteLock(self)) } else { None }
    }

    /// Read-locks, waiting while a writer holds the lock or waits for it.
    pub(crate) fn read(&self) -> ReadLock<'_> {
        let mut backoff = Backoff::default();
        loop {
            if let Some(lock) = self.try_read() {
                return lock;
            }
            self.pause(&mut backoff, PARKED, |state| state & (WRITER | WRITER_WAITING) != 0);
        }
    }

    /// Read-locks if no writer holds the lock or waits for it.
    pub(crate) fn try_read(&self) -> Option<ReadLock<'_>> {
        let mut state = self.state.load(Ordering::Relaxed);
        while state & (WRITER | WRITER_WAITING) == 0 {
            match self.state.compare_exchange(state, state + READER, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return Some(ReadLock(self)),
                Err(now) => state = now,
            }
        }
        None
    }

    /// The reader's half of the handshake: announces `tag` in `slot`, then tells whether a
    /// writer holds the lock, such that of this and a writer taking the lock, at least one sees
    /// the other (see [`store_then_load`]).
    #[inline]
    pub(crate) fn announce_then_is_written(&self, slot: &AtomicUsize, tag: usize) -> bool {
        store_then_load(slot, tag, &self.state) & WRITER != 0
    }

    /// Takes the lock if its word is `from` (free, perhaps with a writer waiting or sleepers
    /// to wake at the release, who stay `PARKED`). The compare-exchange is the writer's half of
    /// the handshake with announced readers: it is ordered before the writer's loads of their
    /// slots in one total order (`SeqCst`; under loom, which models only `SeqCst` fences, the
    /// fence form).
    #[inline]
    fn acquire_from(&self, from: u32) -> bool {
        let to = WRITER | (from & PARKED);
        #[cfg(not(ptrcache_loom))]
        return self.state.compare_exchange(from, to, Ordering::SeqCst, Ordering::Relaxed).is_ok();
        #[cfg(ptrcache_loom)]
        {
            let acquired =
                self.state.compare_exchange(from, to, Ordering::Acquire, Ordering::Relaxed).is_ok();
            if acquired {
                loom::sync::atomic::fence(Ordering::SeqCst);
            }
            acquired
        }
    }

    /// [`write`](Self::write) when the lock was not free at once.
    #[cold]
    #[inline(never)]
    fn write_contended(&self) {
        let mut backoff = Backoff::default();
        loop {
            let state = self.state.load(Ordering::Relaxed);
            if state & !(WRITER_WAITING | PARKED) == 0 {
                if self.acquire_from(state) {
                    return;
                }
            } else if state & WRITER_WAITING == 0 {
                // Keeps new locked readers out; if the word changed meanwhile, the next round
                // looks again.
                let _ = self.state.compare_exchange(
                    state,
                    state | WRITER_WAITING,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
            }
            // A writer that sleeps keeps new locked readers out too: it raises both flags in one
            // step, as a raise of `WRITER_WAITING` alone above may have failed.
            self.pause(&mut backoff, PARKED | WRITER_WAITING, |state| {
                state & !(WRITER_WAITING | PARKED) != 0
            });
        }
    }

    /// Waits a round of `backoff` or, once it is spent, sleeps until a release, if the word is
    /// still `blocked` once the flags `raise` ([`PARKED`], and [`WRITER_WAITING`] for a writer)
    /// are raised.
    fn pause(&self, backoff: &mut Backoff, raise: u32, blocked: impl Fn(u32) -> bool) {
        if !backoff.is_spent() {
            backoff.snooze();
            return;
        }
        // A read-modify-write: ordered with the releases' swaps, so either the release comes
        // after it and sees `PARKED`, or this sees the release and does not sleep.
        if !blocked(self.state.fetch_or(raise, Ordering::Relaxed)) {
            return;
        }
        let (mutex, condvar) = self.spot();
        let guard = lock(mutex);
        // A release that came since has cleared `PARKED` and waits for this mutex to wake the
        // sleepers, or has woken them already: then the word shows it.
        let state = self.state.load(Ordering::Relaxed);
        if blocked(state) && state & PARKED != 0 {
            drop(wait(condvar, guard));
        }
    }

    /// Wakes the waiters sleeping in [`pause`](Self::pause), for a release that found
    /// [`PARKED`] raised. Out of line: sleepers are rare.
    #[cold]
    #[inline(never)]
    fn wake(&self) {
        let (mutex, condvar) = self.spot();
        let _guard = lock(mutex);
        condvar.notify_all();
    }

    /// For a locked reader that left a word with [`PARKED`] raised (`before` its leaving): if it
    /// was the last, wakes the sleepers (a writer waits for the last locked reader to leave;
    /// other sleepers wait for a writer, whose release wakes them). Out of line, so that the
    /// hit path, which holds a read guard that may be a locked one, stays small.
    #[cold]
    #[inline(never)]
    fn reader_left(&self, before: u32) {
        if before / READER == 1 {
            self.state.fetch_and(!PARKED, Ordering::Relaxed);
            self.wake();
        }
    }

    /// Where this lock's waiters sleep.
    fn spot(&self) -> &Spot {
        #[cfg(not(ptrcache_loom))]
        return &SPOTS[(std::ptr::from_ref(self).addr() >> 7) % SPOTS.len()];
        #[cfg(ptrcache_loom)]
        return &self.spot;
    }
}

impl Drop for WriteLock<'_> {
    #[inline]
    fn drop(&mut self) {
        // No reader can have counted itself in while the writer held the lock, so the word is
        // `WRITER`, perhaps with `WRITER_WAITING` (which the waiting writers raise again) and
        // `PARKED`. A swap rather than a store, to learn of sleepers.
        if self.0.state.swap(0, Ordering::Release) & PARKED != 0 {
            self.0.wake();
        }
    }
}

impl Drop for ReadLock<'_> {
    #[inline]
    fn drop(&mut self) {
        let before = self.0.state.fetch_sub(READER, Ordering::Release);
        if before & PARKED != 0 {
            self.0.reader_left(before);
        }
    }
}

#[cfg(all(test, not(ptrcache_loom)))]
mod tests {
    use super::{PARKED, ShardLock, WRITER, WRITER_WAITING};
    use crate::sync::Ordering;
    use std::sync::{Arc, mpsc};
    use std::time::{Duration, Instant};

    /// Waits (10 s at most) until a waiter of `lock` has raised `flag`.
    fn until_raised(lock: &ShardLock, flag: u32) {
        let start = Instant::now();
        while lock.state.load(Ordering::Relaxed) & flag == 0 {
            assert!(start.elapsed() < Duration::from_secs(10), "the waiter never raised {flag}");
            std::thread::yield_now();
        }
    }

    /// Waits until a waiter of `lock` is going to sleep, then lets it fall asleep: it raises
    /// `PARKED` first, and a release before it sleeps would not test a wake-up.
    fn until_parked(lock: &ShardLock) {
        until_raised(lock, PARKED);
        std::thread::sleep(Duration::from_millis(50));
    }

    #[test]
    fn a_release_wakes_a_sleeping_reader_and_the_last_reader_a_sleeping_writer() {
        let lock = Arc::new(ShardLock::default());
        let (sender, entered) = mpsc::channel();
        // A reader that sleeps on a writer, then a writer that sleeps on two readers.
        let write = lock.write();
        let reader = {
            let (lock, sender) = (Arc::clone(&lock), sender.clone());
            std::thread::spawn(move || {
                drop(lock.read());
                sender.send("reader").unwrap();
            })
        };
        until_parked(&lock);
        drop(write);
        assert_eq!(entered.recv_timeout(Duration::from_secs(10)), Ok("reader"), "not woken");
        reader.join().unwrap();

        let reads = (lock.read(), lock.read());
        let writer = {
            let lock = Arc::clone(&lock);
            std::thread::spawn(move || {
                drop(lock.write());
                sender.send("writer").unwrap();
            })
        };
        until_parked(&lock);
        assert!(lock.try_read().is_none(), "a sleeping writer keeps new locked readers out");
        drop(reads.0);
        assert!(entered.recv_timeout(Duration::from_millis(50)).is_err(), "in past a reader");
        drop(reads.1);
        assert_eq!(entered.recv_timeout(Duration::from_secs(10)), Ok("writer"), "not woken");
        writer.join().unwrap();
        assert_eq!(lock.state.load(Ordering::Relaxed) & !PARKED, 0);
    }

    #[test]
    fn a_write_lock_excludes_readers_and_writers_until_dropped() {
        let lock = ShardLock::default();
        let write = lock.write();
        assert!(lock.try_write().is_none());
        assert!(lock.try_read().is_none());
        drop(write);
        let read = lock.try_read().expect("free after the writer left");
        let second = lock.try_read().expect("readers share the lock");
        assert!(lock.try_write().is_none());
        drop((read, second));
        assert!(lock.try_write().is_some());
        assert_eq!(lock.state.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_waiting_writer_keeps_new_locked_readers_out_and_gets_the_lock() {
        let lock = ShardLock::default();
        let read = lock.read();
        std::thread::scope(|scope| {
            let writer = scope.spawn(|| {
                let _write = lock.write();
                assert_eq!(lock.state.load(Ordering::Relaxed) & WRITER, WRITER);
            });
            until_raised(&lock, WRITER_WAITING);
            assert!(lock.try_read().is_none(), "a new reader would starve the waiting writer");
            drop(read);
            writer.join().unwrap();
        });
        assert!(lock.try_read().is_some());
    }

    #[test]
    fn a_word_with_only_a_waiting_writer_admits_no_try_but_a_writer() {
        let lock = ShardLock::default();
        lock.state.store(WRITER_WAITING, Ordering::Relaxed);
        assert!(lock.try_read().is_none(), "readers wait for the waiting writer");
        assert!(lock.try_write().is_none(), "a try does not overtake the waiting writer");
        drop(lock.write()); // what the waiting writer does once it runs
        assert!(lock.try_read().is_some());
    }

    #[test]
    fn a_panicking_writer_releases_the_lock() {
        let lock = ShardLock::default();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _write = lock.write();
            panic!("the write failed");
        }));
        assert!(panicked.is_err());
        assert!(lock.try_write().is_some());
    }

    #[test]
    fn writers_and_locked_readers_on_threads_exclude_each_other_and_see_every_write() {
        const WRITES: u64 = 2_000;
        let lock = ShardLock::default();
        let inside = std::sync::atomic::AtomicU32::new(0);
        // Grown by a relaxed load and store, not an atomic add: only the lock's exclusion and its
        // acquire and release orderings keep every increment.
        let count = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..WRITES {
                        let _write = lock.write();
                        assert_eq!(inside.fetch_add(1, Ordering::Relaxed), 0, "two writers in");
                        count.store(count.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                        inside.fetch_sub(1, Ordering::Relaxed);
                    }
                });
            }
            scope.spawn(|| {
                for _ in 0..WRITES {
                    let _read = lock.read();
                    let seen = count.load(Ordering::Relaxed);
                    std::hint::spin_loop();
                    assert_eq!(count.load(Ordering::Relaxed), seen, "a write under a read lock");
                }
            });
        });
        assert_eq!(count.load(Ordering::Relaxed), 4 * WRITES);
        assert_eq!(lock.state.load(Ordering::Relaxed) & !PARKED, 0);
    }
}

/// The lock alone under loom, with its waiting path (a locked reader and two writers, so that
/// one writer may wait on the other and on the reader, raising `WRITER_WAITING`). Run with
/// `RUSTFLAGS="--cfg ptrcache_loom" cargo test -p ptrcache-core --lib --release shard_lock::loom_tests`
/// (in .ci/run).
#[cfg(all(test, ptrcache_loom))]
mod loom_tests {
    use super::ShardLock;
    use crate::sync::{AtomicUsize, Ordering};
    use loom::sync::Arc;

    #[test]
    fn a_locked_reader_and_two_writers_exclude_each_other_and_see_every_write() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let lock = Arc::new(ShardLock::default());
            // Grown by a relaxed load and store: only the lock keeps both increments.
            let count = Arc::new(AtomicUsize::new(0));
            let writers: Vec<_> = (0..2)
                .map(|_| {
                    let (lock, count) = (Arc::clone(&lock), Arc::clone(&count));
                    loom::thread::spawn(move || {
                        let _write = lock.write();
                        count.store(count.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    })
                })
                .collect();
            {
                let _read = lock.read();
                let seen = count.load(Ordering::Relaxed);
                assert_eq!(count.load(Ordering::Relaxed), seen, "a write under a read lock");
            }
            for writer in writers {
                writer.join().unwrap();
            }
            assert_eq!(count.load(Ordering::Relaxed), 2);
        });
    }
}
