//! One lock's worth of the cache, read without writing any shared line.
//!
//! A hit must not write the shard's lock word: with two threads that line would move between
//! cores on every hit (PERF-NOTES). So a reader announces the shard in its own slot instead
//! (see `readers.rs`), and writers wait for those announcements:
//!
//! - A reader stores the shard's tag in its slot, then loads the word of `lock` (see
//!   `shard_lock.rs`). If no writer holds it, the reader reads the store without any lock and
//!   clears its slot (release) when done. If one does, the reader clears its slot and
//!   read-locks `lock` instead.
//! - A writer write-locks `lock` (excluding other writers and locked readers: one
//!   compare-exchange of the word, which is also what announced readers check), then waits
//!   until no claimed slot shows the shard's tag (acquire), writes, and unlocks (release).
//!
//! Both sides store, then load the other's store, in one total order (`SeqCst`, see
//! [`store_then_load`](crate::sync::store_then_load)), so at least one sees the other: either
//! the writer sees the announcement and waits for its release, or the reader sees the writer
//! and takes the lock.
//! A reader that sees no writer saw the last writer's release, so it sees its writes.
//! A thread that is already reading (a key's `Eq` using the cache), or has no slot, read-locks.
//!
//! The keys whose initializer runs (single flight's records, `pending.rs`) sit beside the store,
//! not in it: readers never look at them, so a get-or-insert miss that only records its key
//! (the common case: no value, no expired entry in the way) holds the write lock without
//! waiting for announced readers, reading the store as they do ([`Shard::join`]). Only a write
//! to the store waits for them. Skipping that wait (a look at every claimed slot, lines the
//! other threads write) measured 1.03-1.07x get-or-insert throughput on 2 threads and
//! 0.97-1.04x on 1 in same-process A/Bs on the EPYC (Zipf 0.8 and 0.99, 31 to 61 paired
//! rounds).
//!
//! Every write to the store also moves its version on ([`Stamp`]), which a read can take: a
//! get-or-insert whose lookup missed compares it in that first write and, if no write came
//! between, does not look its key up again (the common case); nor does its landing write, if
//! no write came since the first. In same-process A/Bs on the EPYC the first skip gained
//! 1-thread get-or-insert 0.99-1.08x (median of eight 31- and 41-round medians: 1.04x), the
//! second 0.99-1.05x (median of eight: 1.005x), 2 threads within 0.99-1.01x; callgrind counts
//! 16 and 18 instructions fewer per miss.
//!
//! With `DataCell` in sync.rs, this is the crate's only `unsafe` (four blocks and the `Sync`
//! impl below), under the project's conditions for it: the gain was measured in one process
//! against the `RwLock` read path it replaced (hits on 2 threads 1.12x -> 1.60x `quick_cache`'s
//! throughput; `ptrcache-bench -- hit`: 1.00x -> 1.64-1.83x), each block carries its SAFETY
//! argument, and the protocol is tested under concurrency: loom models in `tests/loom.rs` (they
//! fail if the reader skips the lock word, if the writer skips its wait, or if the fences or the
//! release stores are weakened; loom checks the fence form of [`store_then_load`], not the
//! `SeqCst` accesses it compiles to) and the thread test `tests/it/lock_free_reads.rs`.

use crate::pending::PendingKeys;
use crate::readers::{IDLE, Readers, Slot};
use crate::shard_lock::{ReadLock, ShardLock, WriteLock};
use crate::stats::Counters;
use crate::store::{Store, Trash};
use crate::sync::{AtomicU32, Backoff, DataCell, Ordering, Shared, load_after_lock};

/// One lock's worth of the cache. Aligned to two cache lines so that neighbouring shards never
/// share a line, nor its adjacent-line prefetch pair. In C order so that what every hit reads
/// (the lock word and the heads of the table and slab, see [`Store`]) shares the first line;
/// and 256 bytes in all for word-sized keys (test below), which the narrow `tag` and `len` keep.
///
/// A miss into a full shard writes the first line (the lock word, the table's counts), the
/// second (the slab's free list, the policy's queues) and the fourth (`pending`, and the
/// counters it bumps, test below). The third (the store's sweep bounds, its small-queue target
/// and compaction flag, `len`, `expirations`) is written only when one of them changes, which in
/// a full shard is rare, so the other core keeps its copy: 2-thread get-or-insert ran 3–4%
/// faster than when they were stored on every write (same-process A/B, 31 rounds each).
#[derive(Debug)]
#[repr(C, align(128))]
pub(crate) struct Shard<K, V> {
    lock: ShardLock,
    /// The shard's tag in reader slots (its index + 1, never [`IDLE`]) in the low
    /// [`TAG_BITS`], and above them the store's version: bumped by every write to the store, so
    /// that a get-or-insert miss can tell that the store is still as its lookup saw it (see
    /// [`Stamp`]). Only writers change it, under the lock.
    tag_version: AtomicU32,
    store: DataCell<Store<K, V>>,
    /// `store.len()`, readable without the lock (a shard holds fewer than `u32::MAX` entries).
    len: AtomicU32,
    pub(crate) counters: Counters,
    /// The keys whose initializer runs; used only under the write lock (module docs).
    pending: DataCell<PendingKeys<K, V>>,
}

// SAFETY: `store` is shared between threads only under the protocol of the module docs, which
// gives the guarantees of `RwLock<Store<K, V>>`: shared access from several threads at once
// (so `Store: Sync`) and exclusive access from any one thread (so `Store: Send`). `pending` is
// used by one thread at a time, under the write lock, as in a `Mutex` (so `PendingKeys: Send`).
#[allow(unsafe_code, reason = "the lock-free read protocol of the module docs")]
unsafe impl<K, V> Sync for Shard<K, V>
where
    Store<K, V>: Send + Sync,
    PendingKeys<K, V>: Send,
{
}

impl<K, V> Shard<K, V> {
    /// The shard at `index` (below 256) of a cache.
    pub(crate) fn new(index: u32, capacity: usize) -> Self {
        assert!(index < TAG_MASK, "a shard index past the tag's bits");
        Shard {
            lock: ShardLock::default(),
            tag_version: AtomicU32::new(index + 1),
            store: DataCell::new(Store::new(capacity)),
            len: AtomicU32::new(0),
            counters: Counters::default(),
            pending: DataCell::new(PendingKeys::default()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed) as usize
    }

    /// The shard's index in its cache.
    pub(crate) fn index(&self) -> usize {
        self.tag() - 1
    }

    /// The shard's tag in reader slots.
    #[inline]
    fn tag(&self) -> usize {
        (self.tag_version.load(Ordering::Relaxed) & TAG_MASK) as usize
    }

    /// The store's version as `guard`, a read of it, sees it: a write to the store since
    /// then changes it (see [`join`](Self::join)).
    pub(crate) fn stamp(&self, guard: &ReadGuard<'_, K, V>) -> Stamp {
        // The guard proves a read: writers are out until it ends, so this is the store's version.
        let _ = guard;
        self.version()
    }

    /// Shared access to the store, without writing a shared line when the thread has a slot.
    #[inline]
    pub(crate) fn read<'a>(&'a self, readers: &'a Readers) -> ReadGuard<'a, K, V> {
        match self.announce(readers) {
            Some(guard) => guard,
            None => self.read_locked(),
        }
    }

    /// Shared access under the read lock if no writer holds it or waits for it: for a thread
    /// that holds another shard's write lock (a shard borrowing capacity), which must never
    /// wait. Not announced in a slot, so that a thread that only writes claims none.
    pub(crate) fn try_read(&self) -> Option<ReadGuard<'_, K, V>> {
        self.lock.try_read().map(|guard| self.locked(guard))
    }

    /// Shared access announced in the thread's slot, if it has one and no writer is in.
    #[inline]
    fn announce<'a>(&'a self, readers: &'a Readers) -> Option<ReadGuard<'a, K, V>> {
        let slot = readers.slot()?;
        if slot.reading.load(Ordering::Relaxed) != IDLE {
            return None;
        }
        if !self.lock.announce_then_is_written(&slot.reading, self.tag()) {
            // SAFETY: the slot announces this read and no writer held the lock after the
            // announcement, so no writer writes until the guard clears the slot (module docs).
            #[allow(unsafe_code, reason = "the lock-free read protocol of the module docs")]
            let store = unsafe { self.store.shared() };
            return Some(ReadGuard { store, access: Access::Announced(slot) });
        }
        slot.reading.store(IDLE, Ordering::Release);
        None
    }

    /// Shared access under the read lock: for a thread without a slot, one already reading, one
    /// that met a writer, and long reads (which must not keep writers spinning).
    #[cold]
    pub(crate) fn read_locked(&self) -> ReadGuard<'_, K, V> {
        self.locked(self.lock.read())
    }

    /// Shared access under `guard`, a read lock of this shard.
    fn locked<'a>(&'a self, guard: ReadLock<'a>) -> ReadGuard<'a, K, V> {
        // SAFETY: writers hold the write lock while they write, so none writes meanwhile.
        #[allow(unsafe_code, reason = "the lock-free read protocol of the module docs")]
        let store = unsafe { self.store.shared() };
        ReadGuard { store, access: Access::Locked(guard) }
    }

    /// Runs `f` with exclusive access to the store and the pending keys, then drops what it
    /// removed after unlocking.
    pub(crate) fn write<R>(
        &self,
        readers: &Readers,
        f: impl FnOnce(&mut Store<K, V>, &mut PendingKeys<K, V>, &Counters, &mut Trash<K, V>) -> R,
    ) -> R {
        self.write_under(self.lock.write(), readers, true, f)
            .unwrap_or_else(|| unreachable!("a write that waits for readers always runs"))
    }

    /// Like [`write`](Self::write) for work that may be skipped: `None` instead of waiting for
    /// the lock or for a reader of the shard (which may be the calling thread itself, or a
    /// thread waiting for a lock this one holds, when the call comes from a key's `Eq`).
    pub(crate) fn try_write<R>(
        &self,
        readers: &Readers,
        f: impl FnOnce(&mut Store<K, V>, &mut PendingKeys<K, V>, &Counters, &mut Trash<K, V>) -> R,
    ) -> Option<R> {
        self.write_under(self.lock.try_write()?, readers, false, f)
    }

    /// Runs `f` under the write lock with the pending keys and shared access to the store,
    /// without waiting for announced readers, who only read the store too (module docs): a
    /// get-or-insert miss recording its key, or a record ending without a value. `f` also gets
    /// the store's version: if it is a lookup's [`Stamp`], the store is as that lookup saw it.
    pub(crate) fn join<R>(
        &self,
        f: impl FnOnce(&Store<K, V>, &mut PendingKeys<K, V>, &Counters, Stamp) -> R,
    ) -> R {
        let _lock = self.lock.write();
        let version = self.version();
        // SAFETY: the write lock excludes every other writer, so no exclusive access to the
        // store exists while `_lock` is held (readers only share it), nor any other access to
        // the pending keys, which only writers use. A nested write from this thread (a key's
        // `Eq`) waits for the lock or gives up (`try_write`): it never gets a reference.
        #[allow(unsafe_code, reason = "the lock-free read protocol of the module docs")]
        #[cfg_attr(not(ptrcache_loom), allow(unused_mut, reason = "loom's access guard needs it"))]
        let (store, mut pending) = unsafe { (self.store.shared(), self.pending.exclusive()) };
        #[cfg_attr(
            not(ptrcache_loom),
            allow(clippy::borrow_deref_ref, reason = "loom's `Shared` is not a reference")
        )]
        f(&*store, &mut *pending, &self.counters, version)
    }

    /// The store's version, for a caller that holds the write lock (in [`join`](Self::join) or a
    /// [`write`](Self::write)'s closure, where it is the version before that write) or reads the
    /// store ([`stamp`](Self::stamp)): either orders this load after every earlier write's bump
    /// (see `write_under`).
    pub(crate) fn version(&self) -> Stamp {
        Stamp(self.tag_version.load(Ordering::Relaxed) >> TAG_BITS)
    }

    /// Panics if the calling thread is reading this shard without the lock: for a call from a
    /// key's `Eq` that would wait for a write to this shard, which waits for that very read.
    /// Only the thread's own slot is looked at.
    pub(crate) fn refuse_nested_wait(&self, readers: &Readers) {
        if let Some(slot) = readers.slot() {
            assert!(slot.reading.load(Ordering::Relaxed) != self.tag(), "{REENTRANT_WRITE}");
        }
    }

    /// [`write`](Self::write) once `lock` is held; if `wait` is false, `None` when a reader is
    /// in (the held lock keeps new ones out, so one look at the slots is enough).
    fn write_under<R>(
        &self,
        lock: WriteLock<'_>,
        readers: &Readers,
        wait: bool,
        f: impl FnOnce(&mut Store<K, V>, &mut PendingKeys<K, V>, &Counters, &mut Trash<K, V>) -> R,
    ) -> Option<R> {
        let mut trash = Trash::default();
        let result = {
            let _lock = lock;
            let tag = self.tag();
            for slot in readers.claimed() {
                if wait {
                    wait_while_reading(slot, tag, readers);
                } else if load_after_lock(&slot.reading) == tag {
                    return None;
                }
            }
            // SAFETY: the write lock excludes other writers and locked readers, and every
            // announced reader has left (module docs); `_lock` keeps new ones out until the
            // references are gone. Only writers use the pending keys.
            #[allow(unsafe_code, reason = "the lock-free read protocol of the module docs")]
            #[cfg_attr(not(ptrcache_loom), allow(unused_mut, reason = "loom's access guard needs it"))]
            let (mut store, mut pending) = unsafe { (self.store.exclusive(), self.pending.exclusive()) };
            let result = f(&mut *store, &mut *pending, &self.counters, &mut trash);
            // A new version for every write to the store, published by the lock's release
            // (wrapping within its bits: see `Stamp`). After the write, whose closure reads the
            // version before it (`version`): a write that panics (a key's `Eq`, which runs
            // before the store changes) leaves the store and its version as they were.
            let tag_version = self.tag_version.load(Ordering::Relaxed);
            self.tag_version.store(tag_version.wrapping_add(1 << TAG_BITS), Ordering::Relaxed);
            if store.take_compacted() {
                // A compacted or cleared shard returns to an empty one's footprint, but for the
                // records still open.
                pending.shrink();
            }
            #[allow(clippy::cast_possible_truncation, reason = "shard capacities are below `u32::MAX`")]
            // Stored only if it changed: see the type's docs for the line it is on.
            if self.len.load(Ordering::Relaxed) != store.len() as u32 {
                self.len.store(store.len() as u32, Ordering::Relaxed);
            }
            result
        };
        drop(trash);
        Some(result)
    }
}

/// Bits of [`Shard::tag_version`] that hold the tag: enough for the 256 shards a cache has at
/// most, and [`IDLE`].
const TAG_BITS: u32 = 9;

/// The tag's bits in [`Shard::tag_version`].
const TAG_MASK: u32 = (1 << TAG_BITS) - 1;

/// A shard store's version as a read saw it ([`Shard::stamp`]), or a write (under the lock,
/// [`Shard::version`]), to tell later whether the store was written since. Versions wrap after 2^23 writes, so a call stalled
/// between its lookup and its join for exactly a multiple of that many writes to the shard (at
/// least 8,388,608) takes the store as unchanged: if its key was stored meanwhile, it leads the
/// key once more, its initializer runs too and its value replaces the stored one. Nothing else
/// rests on the version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp(u32);

/// The panic of a key's `Eq` that writes to the shard it is being compared in.
pub(crate) const REENTRANT_WRITE: &str = "ptrcache: a key's `Eq` (or `Borrow`) wrote to the cache \
     shard it was being compared in; it would wait for itself forever";

/// Waits until `slot` no longer announces a read of shard `tag`. Reads are short (a table probe
/// and `Eq` of keys), so a [`Backoff`] does.
///
/// # Panics
///
/// If `slot` is the caller's own: a key's `Eq` that writes to the shard it is being compared in
/// would wait for itself forever.
#[inline]
fn wait_while_reading(slot: &Slot, tag: usize, readers: &Readers) {
    // The common case, no reader of this shard in the slot, without a call (every write looks
    // at every claimed slot).
    if load_after_lock(&slot.reading) != tag {
        return;
    }
    wait_for_reader(slot, tag, readers);
}

/// [`wait_while_reading`] once the slot was seen announcing a read of the shard.
#[cold]
#[inline(never)]
fn wait_for_reader(slot: &Slot, tag: usize, readers: &Readers) {
    assert!(!(load_after_lock(&slot.reading) == tag && readers.is_own(slot)), "{REENTRANT_WRITE}");
    let mut backoff = Backoff::default();
    while load_after_lock(&slot.reading) == tag {
        backoff.snooze();
    }
}

/// Shared access to a shard's store. The fields drop in order: the reference (which loom
/// tracks) before the access that protects it ends.
pub(crate) struct ReadGuard<'a, K, V> {
    store: Shared<'a, Store<K, V>>,
    access: Access<'a>,
}

/// What protects a read; dropping it ends the read.
enum Access<'a> {
    /// Announced in this slot, without the lock.
    Announced(&'a Slot),
    /// Under the read lock (held, not read). No slot is kept: a key's `Eq` may use enough other
    /// caches meanwhile for this thread to give up its slot of this one.
    Locked(#[allow(dead_code, reason = "held for its drop")] ReadLock<'a>),
}

impl<K, V> ReadGuard<'_, K, V> {
    /// Counts a hit in the reading thread's slot.
    #[inline]
    pub(crate) fn hit(&self, readers: &Readers) {
        match self.access {
            Access::Announced(slot) => slot.hit(),
            Access::Locked(_) => readers.hit(),
        }
    }
}

impl<K, V> std::ops::Deref for ReadGuard<'_, K, V> {
    type Target = Store<K, V>;

    #[inline]
    #[cfg_attr(
        not(ptrcache_loom),
        allow(clippy::borrow_deref_ref, reason = "loom's `Shared` is not a reference")
    )]
    #[cfg_attr(
        ptrcache_loom,
        allow(clippy::explicit_auto_deref, reason = "the same line must compile for `&Store` too")
    )]
    fn deref(&self) -> &Store<K, V> {
        &*self.store
    }
}

impl Drop for Access<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Access::Announced(slot) = self {
            slot.reading.store(IDLE, Ordering::Release);
        }
    }
}

#[cfg(all(test, not(ptrcache_loom)))]
mod tests {
    #[test]
    fn a_shard_of_word_sized_keys_takes_two_pairs_of_cache_lines() {
        // 64 shards of a large cache on 2 cores: 16 KiB empty (256 at most: 64 KiB). The empty-footprint
        // figures rest on this.
        assert_eq!(std::mem::size_of::<super::Shard<u64, [u8; 64]>>(), 256);
    }

    #[test]
    fn what_every_miss_writes_shares_the_fourth_line_and_the_rarely_written_fields_the_third() {
        use crate::stats::Counters;
        use std::mem::offset_of;
        type Shard = super::Shard<u64, [u8; 64]>;
        let line = |offset: usize| offset / 64;
        let counters = offset_of!(Shard, counters);
        for every_miss in [
            offset_of!(Shard, pending),
            counters + offset_of!(Counters, misses),
            counters + offset_of!(Counters, inserts),
            counters + offset_of!(Counters, evictions),
        ] {
            assert_eq!(line(every_miss), 3, "at byte {every_miss}");
        }
        for rarely in [offset_of!(Shard, len), counters + offset_of!(Counters, expirations)] {
            assert_eq!(line(rarely), 2, "at byte {rarely}");
        }
        let store = offset_of!(Shard, store);
        assert_eq!(line(store + crate::store::QUEUES_END - 1), 1, "the queues reach the third line");
        assert_eq!(line(store + crate::store::RARELY_WRITTEN_FROM), 2);
    }
}
