use crate::builder::Builder;
use crate::clock::{self, Nanos};
use crate::loans::Lenders;
use crate::pending::PendingKeys;
use crate::readers::Readers;
use crate::shard::{Shard, Stamp};
use crate::stats::{Counters, Stats};
use crate::store::{Store, Trash, is_live};
use crate::tuning::Tuner;
use crate::{Expiration, RandomState};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::panic::RefUnwindSafe;
use std::sync::Arc;

/// Shards are never smaller than this (when the cache is at least this big), so each shard's
/// eviction policy sees enough entries to choose well.
const MIN_ENTRIES_PER_SHARD: usize = 64;

/// Lenders a full shard tries before it evicts (see [`PtrCache::borrow`]).
const LENDERS_TRIED: usize = 2;

/// The most shards on any machine (shard tags and slab indices assume it).
const MAX_SHARDS: usize = 256;

/// Shards per core: enough that two threads rarely write to the same one at once.
const SHARDS_PER_CORE: usize = 32;

/// Every this many misses of a `get` in a shard, the miss also sweeps some of the shard's slots
/// for expired values (under the write lock, which a miss otherwise never takes).
const MISSES_PER_SWEEP: u64 = 64;

/// Why a lookup found no live value.
enum Miss {
    /// The key is absent from the store, at this version of it.
    Absent(Stamp),
    /// An expired entry of the key is in the way, at this slab index.
    Expired(u32),
}

/// The most shards on this machine. Every hit reads its shard's header, so the headers should
/// stay in the L1 cache, but every write dirties one, so threads that write should rarely share
/// one. cachegrind, hits on 10k keys: the shard line missed L1 on 0.79 gets in 1 with 256
/// shards, 0.33 with 64, 0.01 with 16; but 16 shards on 2 cores lowered 2-thread get-or-insert's
/// ratio to `quick_cache` by about 0.1 (`ptrcache-bench -- getorinsert`, three paired runs).
fn max_shards() -> usize {
    max_shards_for(crate::readers::cores())
}

/// The most shards with `cores` cores: 32 per core, rounded up to a power of two, at most 256.
fn max_shards_for(cores: usize) -> usize {
    cores.saturating_mul(SHARDS_PER_CORE).min(MAX_SHARDS).next_power_of_two()
}

/// A concurrent, bounded cache that keeps values by pointer (`Arc<V>`) and expires them.
///
/// Cloning a value out of the cache is an `Arc` clone: all holders share one value, and a change
/// made through its interior mutability is seen by all of them. Entries expire after the
/// cache's [`expiration`](Builder::expiration) (3 hours by default) or their own
/// ([`set_exp`](PtrCache::set_exp)), and the cache keeps at most
/// [`max_entries`](Builder::max_entries) (5,000 by default), evicting with S3-FIFO and a
/// TinyLFU frequency filter.
///
/// ```
/// use std::sync::Arc;
/// use ptrcache::PtrCache;
///
/// let cache: PtrCache<String, Vec<u8>> = PtrCache::new();
/// let stored = cache.set("a".to_string(), vec![1, 2, 3]);
/// let got = cache.get("a").unwrap();
/// assert!(Arc::ptr_eq(&stored, &got)); // the same allocation, not a copy
///
/// let computed = cache.get_or_insert_with("b".to_string(), || vec![4]);
/// assert_eq!(*computed, [4]);
/// assert_eq!(cache.len(), 2);
/// ```
///
/// # Concurrent calls on the same key
///
/// The get-or-insert calls ([`get_or_insert_with`](PtrCache::get_or_insert_with),
/// [`try_get_or_insert_with`](PtrCache::try_get_or_insert_with) and the async `aget*`) run the
/// initializer of a missing key once, however many threads and tasks ask at the same time: the
/// others wait and receive the same pointer. Calls on other keys do not wait, and no lock is held
/// while an initializer runs. If the initializer panics, returns `Err`, or (async) is cancelled,
/// nothing is stored, the panic or error goes to its own caller only, and one of the waiters
/// runs the initializer again.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use ptrcache::PtrCache;
///
/// let cache = PtrCache::<u32, String>::new();
/// let runs = AtomicUsize::new(0);
/// std::thread::scope(|s| {
///     for _ in 0..8 {
///         s.spawn(|| {
///             let value = cache.get_or_insert_with(7, || {
///                 runs.fetch_add(1, Ordering::SeqCst);
///                 std::thread::sleep(std::time::Duration::from_millis(20));
///                 "seven".to_string()
///             });
///             assert_eq!(*value, "seven");
///         });
///     }
/// });
/// assert_eq!(runs.load(Ordering::SeqCst), 1);
/// ```
pub struct PtrCache<K, V, S = RandomState> {
    shards: Box<[Shard<K, V>]>,
    pub(crate) readers: Readers,
    hasher: S,
    expiration: Expiration,
    max_entries: usize,
    tuner: Tuner,
    /// Which shards can lend capacity to a full one (loans.rs).
    lenders: Lenders,
    /// The least capacity a shard keeps when it lends (half its share).
    floor: usize,
}

// A panic in user code (a key's `Hash` or `Eq`, an initializer, a value's `Drop`) leaves the
// cache consistent (see "Hostile inputs" in the crate docs), so a reference to it may cross
// `catch_unwind`, as one to std's locks may (they poison; the cache has nothing to). Without
// this, the `UnsafeCell` of each shard's store would keep it out. The keys and values it hands
// out must be unwind-safe themselves, as an `Arc`'s must.
impl<K: RefUnwindSafe, V: RefUnwindSafe, S: RefUnwindSafe> RefUnwindSafe for PtrCache<K, V, S> {}

impl<K, V> PtrCache<K, V> {
    /// The default bound, as in the original: 5,000 entries.
    pub const DEFAULT_MAX_ENTRIES: usize = 5_000;

    /// A cache with the defaults: 3-hour expiration, at most 5,000 entries.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::new();
    /// assert_eq!(cache.max_entries(), 5_000);
    /// assert_eq!(cache.expiration(), ptrcache::Expiration::from_secs(3 * 60 * 60));
    /// ```
    #[must_use]
    pub fn new() -> Self
    where
        K: Hash + Eq,
    {
        Builder::new().build()
    }

    /// A [`Builder`] to set the expiration, the bound and the hasher.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::builder().max_entries(3).never_expire().build();
    /// assert_eq!(cache.max_entries(), 3);
    /// ```
    pub fn builder() -> Builder<K, V> {
        Builder::new()
    }
}

impl<K: Hash + Eq, V> Default for PtrCache<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V, S> PtrCache<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    pub(crate) fn from_parts(expiration: Expiration, max_entries: usize, hasher: S) -> Self {
        let wanted = (max_entries / MIN_ENTRIES_PER_SHARD).clamp(1, max_shards());
        let count = 1 << (usize::BITS - 1 - wanted.leading_zeros());
        // Slab indices are `u32`; no shard could hold more entries than memory allows anyway.
        let capacity = |index: usize| {
            (max_entries / count + usize::from(index < max_entries % count)).min(u32::MAX as usize - 1)
        };
        let floor = capacity(count - 1).div_ceil(2);
        PtrCache {
            tuner: Tuner::new(max_entries, count),
            lenders: Lenders::new(count, capacity(count - 1) > floor),
            floor,
            shards: (0..count)
                .map(|index| Shard::new(u32::try_from(index).expect("at most 256 shards"), capacity(index)))
                .collect(),
            readers: Readers::default(),
            hasher,
            expiration,
            max_entries,
        }
    }

    #[inline]
    pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The shard of a hash: bits 32.., which neither hashbrown's bucket index (low bits) nor its
    /// tag (top 7 bits) uses, so each shard's table still sees well-spread hashes.
    #[inline]
    pub(crate) fn shard(&self, hash: u64) -> &Shard<K, V> {
        &self.shards[(hash >> 32) as usize & (self.shards.len() - 1)]
    }

    /// Runs `f` with exclusive access to `shard`'s store (see [`Shard::write`]), after taking the
    /// capacity the shard lent since its last write off its own, then publishes
    /// whether the shard can lend capacity if its length changed (nothing else here can make a
    /// shard able to lend; a borrower takes down the bit of a lender it left unable).
    pub(crate) fn write<R>(
        &self,
        shard: &Shard<K, V>,
        f: impl FnOnce(&mut Store<K, V>, &Counters, &mut Trash<K, V>) -> R,
    ) -> R {
        self.write_with_pending(shard, |store, _, counters, trash| f(store, counters, trash))
    }

    /// [`write`](Self::write), with the shard's pending keys too: for a write that ends a record.
    pub(crate) fn write_with_pending<R>(
        &self,
        shard: &Shard<K, V>,
        f: impl FnOnce(&mut Store<K, V>, &mut PendingKeys<K, V>, &Counters, &mut Trash<K, V>) -> R,
    ) -> R {
        shard.write(&self.readers, self.with_loans(shard, f))
    }

    /// [`write`](Self::write) for work that may be skipped (see [`Shard::try_write`]).
    fn try_write<R>(
        &self,
        shard: &Shard<K, V>,
        f: impl FnOnce(&mut Store<K, V>, &Counters, &mut Trash<K, V>) -> R,
    ) -> Option<R> {
        shard.try_write(
            &self.readers,
            self.with_loans(shard, |store, _, counters, trash| f(store, counters, trash)),
        )
    }

    /// `f`, with the loan bookkeeping of [`write`](Self::write) around it.
    #[allow(clippy::type_complexity, reason = "the arguments of `Shard::write`, spelled out")]
    fn with_loans<'a, R>(
        &'a self,
        shard: &'a Shard<K, V>,
        f: impl FnOnce(&mut Store<K, V>, &mut PendingKeys<K, V>, &Counters, &mut Trash<K, V>) -> R + 'a,
    ) -> impl FnOnce(&mut Store<K, V>, &mut PendingKeys<K, V>, &Counters, &mut Trash<K, V>) -> R + 'a {
        move |store, pending, counters, trash| {
            store.settle_loans();
            let len = store.len();
            let result = f(store, pending, counters, trash);
            debug_assert!(store.len() <= store.capacity(), "a shard holds more than its capacity");
            if store.len() != len {
                self.lenders.publish(shard.index(), store.can_lend(self.floor));
            }
            result
        }
    }

    /// A unit of capacity for the full shard `borrower`, from a shard that does not use it (see
    /// [`Store::lend`]). Never waits: the caller holds the borrower's write lock. Asked on every
    /// insert into a full shard, so the common answer in a full cache, no lender, is inline.
    #[inline]
    fn borrow(&self, borrower: usize) -> bool {
        self.lenders.any_but(borrower) && self.borrow_from_lenders(borrower)
    }

    #[cold]
    #[inline(never)]
    fn borrow_from_lenders(&self, borrower: usize) -> bool {
        for lender in self.lenders.near(borrower).take(LENDERS_TRIED) {
            let Some(store) = self.shards[lender].try_read() else { continue };
            let lent = store.lend(self.floor);
            if !store.can_lend(self.floor) {
                self.lenders.publish(lender, false);
            }
            if lent {
                return true;
            }
        }
        false
    }

    /// The live value for `key`, counting a hit, or (without counting a miss) the version of
    /// the store in which the key was absent, for a get-or-insert's join to skip looking again
    /// if the store is unchanged; `Err(None)` if an expired entry was in the way.
    #[inline]
    pub(crate) fn lookup<Q>(&self, shard: &Shard<K, V>, hash: u64, key: &Q) -> Result<Arc<V>, Option<Stamp>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.probe(shard, hash, key).map_err(|miss| match miss {
            Miss::Absent(stamp) => Some(stamp),
            Miss::Expired(_) => None,
        })
    }

    /// Like [`lookup`](Self::lookup), and on a miss tells where an expired entry is in the way
    /// ([`Miss::Expired`]), so that a miss on an absent key costs one probe, not two, and
    /// the expired one can be removed without comparing keys again.
    ///
    /// Always inlined: left to itself the compiler calls it (its cold branches make it large).
    /// The call's register saves and its `Result` passed through memory cost a 1-thread hit
    /// 2.6 ns (of 20) without expiry in a same-process A/B on AMD EPYC; with expiry, this and
    /// the precise clock check moved out of line (`clock::expired_precisely`) saved about 1 ns,
    /// and 4% of the instructions of get-or-insert (callgrind, 1M calls at Zipf 0.8).
    #[allow(clippy::inline_always, reason = "measured: see above")]
    #[inline(always)]
    fn probe<Q>(&self, shard: &Shard<K, V>, hash: u64, key: &Q) -> Result<Arc<V>, Miss>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let store = shard.read(&self.readers);
        let Some((index, node)) = store.find(hash, key) else {
            return Err(Miss::Absent(shard.stamp(&store)));
        };
        if !is_live(node) {
            return Err(Miss::Expired(index));
        }
        node.touch();
        let value = Arc::clone(&node.value);
        store.hit(&self.readers);
        Ok(value)
    }

    /// The live value for `key`, or `None`.
    ///
    /// An expired entry is never returned; `get` removes it, unless that would wait for a
    /// thread that holds or reads its shard at that moment (a later call or sweep does then: a
    /// `get` does not wait to clean up). Nor does a `get` wait for a running initializer of
    /// `key`: it returns `None` (or the previous value, if it is still live).
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<String, u32>::new();
    /// cache.set("one".to_string(), 1);
    /// assert_eq!(cache.get("one").as_deref(), Some(&1)); // look up a `String` key with a `&str`
    /// assert_eq!(cache.get("two"), None);
    /// ```
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash(key);
        let shard = self.shard(hash);
        match self.probe(shard, hash, key) {
            Ok(value) => Some(value),
            Err(miss) => {
                self.miss(shard, if let Miss::Expired(index) = miss { Some(index) } else { None });
                None
            }
        }
    }

    /// Counts a `get`'s miss. The removal of the expired entry it met (at slab index `expired`),
    /// or every [`MISSES_PER_SWEEP`]th miss's sweep, is skipped if it would wait (see
    /// [`Shard::try_write`]): a `get` does not wait to clean up, and from a key's `Eq` it could
    /// wait for itself. The expired entry is not returned either way; a later call removes it.
    /// Neither compares keys, so no user code runs under the write lock.
    #[cold]
    fn miss(&self, shard: &Shard<K, V>, expired: Option<u32>) {
        let misses = Counters::add_miss(&shard.counters.misses, 1);
        if let Some(index) = expired {
            self.try_write(shard, |store, counters, trash| store.remove_expired_at(index, counters, trash));
        } else if misses.is_multiple_of(MISSES_PER_SWEEP) && shard.len() > 0 {
            // Lookups that miss release expired values too, as inserts do (a cache that only
            // sees gets kept every expired value that no get asked for).
            self.try_write(shard, Store::sweep_after_miss);
        }
    }

    /// Whether `key` has a live value. Counts neither a hit nor a miss.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::new();
    /// cache.set(1, 1);
    /// assert!(cache.contains_key(&1));
    /// assert!(!cache.contains_key(&2));
    /// assert_eq!(cache.stats().hits + cache.stats().misses, 0);
    /// ```
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash(key);
        self.shard(hash).read(&self.readers).get(hash, key).is_some_and(is_live)
    }

    /// Stores `value` for `key` with the cache's expiration, replacing any old value, and
    /// returns the stored pointer. Passing an `Arc` stores that very pointer.
    ///
    /// If the shard is full, one entry is evicted first (never this one). With `max_entries`
    /// of 0, or an expiration of zero, nothing is kept and the pointer is only returned.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let cache = ptrcache::PtrCache::<&str, Mutex<Vec<u32>>>::new();
    /// let list = Arc::new(Mutex::new(vec![1]));
    /// cache.set("list", Arc::clone(&list));
    /// list.lock().unwrap().push(2); // changed through our own handle...
    /// assert_eq!(*cache.get("list").unwrap().lock().unwrap(), [1, 2]); // ...seen through the cache
    /// ```
    pub fn set(&self, key: K, value: impl Into<Arc<V>>) -> Arc<V> {
        self.set_exp(key, value, self.expiration)
    }

    /// Like [`set`](PtrCache::set), with an expiration of its own for this value: a
    /// [`Duration`](std::time::Duration) or an [`Expiration`] (`Expiration::from_secs(-1)` or
    /// `Expiration::Never`: never expires).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ptrcache::Expiration;
    /// let cache = ptrcache::PtrCache::<&str, u32>::new();
    /// cache.set_exp("forever", 1, Expiration::from_secs(-1));
    /// cache.set_exp("brief", 2, Duration::from_millis(1));
    /// std::thread::sleep(Duration::from_millis(5));
    /// assert!(cache.get("forever").is_some());
    /// assert!(cache.get("brief").is_none());
    /// ```
    pub fn set_exp(&self, key: K, value: impl Into<Arc<V>>, expiration: impl Into<Expiration>) -> Arc<V> {
        let value = value.into();
        let hash = self.hash(&key);
        self.store(hash, key, Arc::clone(&value), expiration.into());
        value
    }

    /// Stores `value` under the shard's write lock; drops what it displaced after unlocking.
    pub(crate) fn store(&self, hash: u64, key: K, value: Arc<V>, expiration: Expiration) {
        let now = clock::coarse_now();
        let deadline = clock::deadline(now, expiration);
        let tune = self.write(self.shard(hash), |store, counters, trash| {
            self.insert_locked(store, counters, trash, (hash, key, value), (deadline, now), false)
        });
        if tune {
            self.tune();
        }
    }

    /// Stores an entry under the shard's write lock, with the small queue at the tuned share, and
    /// counts it if kept. Returns whether to offer the tuner a step ([`tune`](Self::tune), after
    /// unlocking).
    pub(crate) fn insert_locked(
        &self,
        store: &mut Store<K, V>,
        counters: &Counters,
        trash: &mut Trash<K, V>,
        (hash, key, value): (u64, K, Arc<V>),
        (deadline, now): (Nanos, Nanos),
        absent: bool,
    ) -> bool {
        store.set_small_share(self.tuner.share());
        let borrow = || self.borrow(self.shard(hash).index());
        store.insert(hash, (key, value, absent), deadline, now, counters, trash, borrow)
            && self.tuner.is_due(Counters::add(&counters.inserts, 1))
    }

    /// Offers the tuner a step (see tuning.rs).
    #[cold]
    pub(crate) fn tune(&self) {
        self.tuner.offer(|| self.totals());
    }

    /// Hits and requests so far.
    fn totals(&self) -> (u64, u64) {
        let stats = self.stats();
        (stats.hits, stats.hits + stats.misses)
    }

    /// The small queue's share the tuner chose.
    #[cfg(all(test, not(ptrcache_loom)))]
    fn small_share(&self) -> u32 {
        self.tuner.share()
    }

    /// Removes `key`'s entry and returns its value if it was live. If that leaves its shard three
    /// quarters empty, the shard also releases every expired value it holds, then compacts.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::new();
    /// cache.set(1, 10);
    /// assert_eq!(cache.remove(&1).as_deref(), Some(&10));
    /// assert_eq!(cache.remove(&1), None);
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash(key);
        let now = clock::now();
        let (key, value, deadline) = self.write(self.shard(hash), |store, counters, trash| {
            let removed = store.remove(hash, key, now, counters, trash)?;
            if removed.2 <= now {
                Counters::add(&counters.expirations, 1);
            }
            Some(removed)
        })?;
        drop(key);
        (deadline > now).then_some(value)
    }

    /// Removes every entry. Values live on only in the `Arc`s callers still hold.
    ///
    /// Initializers running at the time are not interrupted; their values are stored when they
    /// finish.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::new();
    /// cache.set(1, 1);
    /// cache.clear();
    /// assert!(cache.is_empty());
    /// ```
    pub fn clear(&self) {
        // Every shard is emptied before any value is dropped: a `Drop` that panics cannot stop
        // the clear halfway.
        let removed: Vec<_> =
            self.shards.iter().map(|shard| self.write(shard, |store, _, _| store.clear())).collect();
        self.tuner.restart(self.totals());
        drop(removed);
    }

    /// Removes every expired entry now and returns how many there were.
    ///
    /// Not needed for correctness (expired values are never returned, and normal traffic
    /// releases them too), but it makes [`len`](PtrCache::len) exact and frees their memory at
    /// once.
    ///
    /// ```
    /// use std::time::Duration;
    /// let cache = ptrcache::PtrCache::<u32, u32>::builder().expiration(Duration::from_millis(1)).build();
    /// cache.set(1, 1);
    /// cache.set(2, 2);
    /// std::thread::sleep(Duration::from_millis(5));
    /// assert_eq!(cache.purge_expired(), 2);
    /// assert_eq!(cache.len(), 0);
    /// ```
    pub fn purge_expired(&self) -> usize {
        let now = clock::now();
        self.shards
            .iter()
            .map(|shard| {
                self.write(shard, |store, counters, trash| {
                    let purged = store.purge(now, trash);
                    Counters::add(&counters.expirations, purged as u64);
                    purged
                })
            })
            .sum()
    }

    /// A snapshot of the live entries (the original's `objects`), in no particular order.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, &str>::new();
    /// cache.set(1, "one");
    /// cache.set(2, "two");
    /// let mut entries: Vec<_> = cache.entries().into_iter().map(|(k, v)| (k, *v)).collect();
    /// entries.sort();
    /// assert_eq!(entries, [(1, "one"), (2, "two")]);
    /// ```
    pub fn entries(&self) -> Vec<(K, Arc<V>)>
    where
        K: Clone,
    {
        let now = clock::now();
        let mut entries = Vec::with_capacity(self.len());
        for shard in &self.shards {
            // Under the lock: a long read must not keep writers waiting for its slot.
            let store = shard.read_locked();
            entries.extend(store.live(now).map(|node| (node.key.clone(), Arc::clone(&node.value))));
        }
        entries
    }
}

impl<K, V, S> PtrCache<K, V, S> {
    /// How many entries are stored. This may include expired entries not yet released; after
    /// [`purge_expired`](PtrCache::purge_expired) it is exact. Never more than
    /// [`max_entries`](PtrCache::max_entries). While other threads write, it adds up the shards
    /// one at a time, so it is a snapshot of no single moment.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::builder().max_entries(2).build();
    /// for i in 0..10 { cache.set(i, i); }
    /// assert_eq!(cache.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        // The shards together never hold more than `max_entries`, but shards lend each other
        // capacity: read one at a time while a remove in one lets another grow, the sum could.
        self.shards.iter().map(Shard::len).sum::<usize>().min(self.max_entries)
    }

    /// Whether no entry is stored.
    ///
    /// ```
    /// assert!(ptrcache::PtrCache::<u32, u32>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bound on [`len`](PtrCache::len).
    ///
    /// ```
    /// assert_eq!(ptrcache::PtrCache::<u32, u32>::new().max_entries(), 5_000);
    /// ```
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// The expiration of values stored without one of their own.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::builder().never_expire().build();
    /// assert_eq!(cache.expiration(), ptrcache::Expiration::Never);
    /// ```
    pub fn expiration(&self) -> Expiration {
        self.expiration
    }

    /// The counters of hits, misses, inserts, evictions and expirations (see [`Stats`]).
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::builder().max_entries(1).build();
    /// cache.set(1, 1);
    /// cache.set(2, 2);
    /// assert_eq!(cache.stats().inserts, 2);
    /// assert_eq!(cache.stats().evictions, 1);
    /// ```
    pub fn stats(&self) -> Stats {
        let mut stats = Stats { hits: self.readers.hits(), ..Stats::default() };
        for shard in &self.shards {
            shard.counters.add_to(&mut stats);
        }
        stats
    }
}

impl<K, V, S> fmt::Debug for PtrCache<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PtrCache")
            .field("len", &self.len())
            .field("max_entries", &self.max_entries)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(ptrcache_loom)))]
mod tests {
    use super::*;

    fn shards(max_entries: usize) -> usize {
        PtrCache::<u64, u64>::builder().max_entries(max_entries).build().shards.len()
    }

    #[test]
    fn shards_follow_the_bound_up_to_a_number_per_core() {
        for (cores, most) in [(1, 32), (2, 64), (3, 128), (4, 128), (8, 256), (1_000, 256), (usize::MAX, 256)]
        {
            assert_eq!(max_shards_for(cores), most, "{cores} cores");
        }
        assert_eq!(shards(0), 1);
        assert_eq!(shards(MIN_ENTRIES_PER_SHARD * 2 - 1), 1);
        assert_eq!(shards(MIN_ENTRIES_PER_SHARD * 4), 4);
        assert_eq!(shards(usize::MAX), max_shards());
    }

    /// Hashes a `u64` key to itself: keys below 2^32 fall in shard 0, `(n << 32) | k` in shard `n`.
    #[derive(Clone, Default)]
    struct ShardInKey;

    struct Identity(u64);

    impl std::hash::Hasher for Identity {
        fn finish(&self) -> u64 {
            self.0
        }

        fn write(&mut self, _: &[u8]) {
            unreachable!("only u64 keys here")
        }

        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }
    }

    impl BuildHasher for ShardInKey {
        type Hasher = Identity;

        fn build_hasher(&self) -> Identity {
            Identity(0)
        }
    }

    #[test]
    fn a_full_shard_borrows_what_others_do_not_use_and_they_keep_half_their_share() {
        let cache =
            PtrCache::<u64, u64, _>::builder().max_entries(1_000).never_expire().hasher(ShardInKey).build();
        let (count, floor) = (cache.shards.len(), cache.floor);
        let share = 1_000 / count;
        assert_eq!((count, share, floor), (8, 125, 63));
        for key in 0..10_000 {
            cache.set(key, key);
            assert!(cache.len() <= 1_000);
        }
        // Shard 0 holds its share and what the 7 others lent it, down to their floor.
        assert_eq!(cache.len(), share + (count - 1) * (share - floor));
        let evictions = cache.stats().evictions;
        // Shard 1 still has its floor: that many new keys there evict nothing, one more does.
        let in_shard_1 = |key: u64| (1 << 32) | key;
        for key in 0..floor as u64 {
            cache.set(in_shard_1(key), key);
        }
        assert_eq!(cache.stats().evictions, evictions);
        cache.set(in_shard_1(floor as u64), 0);
        assert_eq!(cache.stats().evictions, evictions + 1);
        // Shard 0 has evicted: room its removed entries leave is its own (lending it would move
        // capacity on every expiry), so shard 1 evicts for its new keys.
        let held: Vec<u64> =
            cache.entries().into_iter().map(|(key, _)| key).filter(|&key| key < 1 << 32).collect();
        for key in &held[..100] {
            assert!(cache.remove(key).is_some());
        }
        for key in 1_000..1_050 {
            cache.set(in_shard_1(key), key);
        }
        assert_eq!(cache.stats().evictions, evictions + 51, "shard 1 borrowed from a shard that evicts");
        // Down to a quarter, shard 0 compacts and forgets that it evicted: it lends again.
        let quarter = held.len() / 4;
        for key in &held[100..held.len() - quarter] {
            assert!(cache.remove(key).is_some());
        }
        for key in 2_000..2_100 {
            cache.set(in_shard_1(key), key);
        }
        assert_eq!(cache.stats().evictions, evictions + 51, "shard 1 did not borrow what shard 0 left");
        assert!(cache.len() <= 1_000);
    }

    #[test]
    fn a_loop_larger_than_the_cache_shrinks_the_small_queue() {
        // On a loop, keys come back only after the small queue has dropped them: every entry it
        // holds is wasted, and the hit ratio grows as its share falls. The share starts low
        // (2%), so the gain is small and the climber's probing blurs it: with a random hasher
        // the share ended below its start in about 95% of runs (98% before shards lent each
        // other capacity). A fixed hasher makes the run the same every time.
        let cache = PtrCache::<u64, u64, _>::builder()
            .max_entries(1_000)
            .never_expire()
            .hasher(std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default())
            .build();
        let start = cache.small_share();
        let mut hits = 0;
        for key in (0..150).flat_map(|_| 0..1_100) {
            if cache.get(&key).is_some() {
                hits += 1;
            } else {
                cache.set(key, key);
            }
        }
        assert!(cache.small_share() < start, "share {} of {start}, {hits} hits", cache.small_share());
    }
}
