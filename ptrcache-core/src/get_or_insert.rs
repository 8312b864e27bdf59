//! The synchronous get-or-insert calls, and the part of single flight that both they and the
//! async calls use: joining or leading a flight under the shard's write lock ([`PtrCache::join`]),
//! and landing or abandoning it ([`Land`]).

use crate::PtrCache;
use crate::clock;
use crate::flight::{Flight, Guard, Join, Land, REENTRANT, Release};
use crate::shard::Stamp;
use crate::stats::Counters;
use crate::store::is_live;
use crate::sync::{Arc as SyncArc, ThreadId, current_thread_id};
use std::convert::Infallible;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

/// The guard of a leader of this cache.
pub(crate) type Leader<'a, K, V, S> = Guard<'a, V, PtrCache<K, V, S>>;

impl<K, V, S> PtrCache<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    /// The value for `key`, or, on a miss, the value `init` returns, stored with the cache's
    /// expiration (the original's `get(name, func)`).
    ///
    /// `init` runs at most once per call, and at most once among concurrent calls for the same
    /// missing key: the others block until it finishes and receive the same pointer (see
    /// [Concurrent calls on the same key](PtrCache#concurrent-calls-on-the-same-key)). No lock is
    /// held while it runs, so it may use the cache for other keys.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, String>::new();
    /// let a = cache.get_or_insert_with(1, || "computed".to_string());
    /// let b = cache.get_or_insert_with(1, || unreachable!("a hit does not run the initializer"));
    /// assert!(std::sync::Arc::ptr_eq(&a, &b));
    /// ```
    ///
    /// # Panics
    ///
    /// If `init` panics, the panic propagates to this caller, nothing is stored, and a waiting
    /// caller runs its own initializer instead. If `init` asks the cache for this same key on
    /// the same thread (which would wait for itself forever), that inner call panics.
    pub fn get_or_insert_with(&self, key: K, init: impl FnOnce() -> V) -> Arc<V> {
        match self.try_get_or_insert_with(key, || Ok::<V, Infallible>(init())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`get_or_insert_with`](PtrCache::get_or_insert_with) with a fallible initializer:
    /// an `Err` is returned to this caller and nothing is stored.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::new();
    /// let failed: Result<_, &str> = cache.try_get_or_insert_with(1, || Err("backend down"));
    /// assert_eq!(failed, Err("backend down"));
    /// assert!(cache.get(&1).is_none()); // errors are not cached
    /// let ok: Result<_, &str> = cache.try_get_or_insert_with(1, || Ok(5));
    /// assert_eq!(*ok.unwrap(), 5);
    /// ```
    ///
    /// # Errors
    ///
    /// The error `init` returned. Concurrent callers waiting on the same key do not receive it:
    /// one of them runs its own initializer.
    ///
    /// # Panics
    ///
    /// As [`get_or_insert_with`](PtrCache::get_or_insert_with).
    pub fn try_get_or_insert_with<E>(
        &self,
        key: K,
        init: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        self.try_get_or_insert_arc_with(key, || init().map(Arc::new))
    }

    /// Like [`try_get_or_insert_with`](PtrCache::try_get_or_insert_with) with an initializer
    /// that returns the `Arc` to store, so that callers get that very pointer. Used by
    /// `#[ptr_cached]` on functions that return `Arc<T>`.
    #[doc(hidden)]
    pub fn try_get_or_insert_arc_with<E>(
        &self,
        key: K,
        init: impl FnOnce() -> Result<Arc<V>, E>,
    ) -> Result<Arc<V>, E> {
        let hash = self.hash(&key);
        let mut stamp = match self.lookup(self.shard(hash), hash, &key) {
            Ok(value) => return Ok(value),
            Err(stamp) => stamp,
        };
        let mut key = key;
        let mut first = true;
        loop {
            match self.join(hash, key, true, std::mem::take(&mut first), stamp.take()) {
                Join::Hit(value) => return Ok(value),
                Join::Lead(guard) => return Ok(guard.complete(init()?)),
                Join::Wait(flight, returned) => match flight.wait() {
                    Some(value) => return Ok(value),
                    None => key = returned,
                },
            }
        }
    }

    /// On a miss: under the write lock, finds the value, or the flight to wait on, or records the
    /// key as pending with this caller as its leader. `sync` tells whether the caller would run
    /// the initializer on this thread. Counts the call's hit or miss if `count` (its first try).
    /// `stamp`: the store's version in which the caller's lookup found the key absent; if the
    /// store is unchanged since, the key is not looked up again (the common case).
    ///
    /// It reads the store without waiting for announced readers (see [`Shard::join`]). An
    /// expired entry in the way is removed by a write of its own, then the call looks again;
    /// only once: if it meets one again (a racing `set` of a value expired on arrival), it
    /// leaves it for the landing write to replace.
    ///
    /// # Panics
    ///
    /// If the key's synchronous initializer runs on this very thread, or if another thread's
    /// does and this one is reading the key's shard (a key's `Eq` calling get-or-insert): it
    /// would wait for itself. (Not checked on the common path: such a call that leads runs its
    /// initializer, then panics as its landing write finds the read.)
    ///
    /// [`Shard::join`]: crate::shard::Shard::join
    #[cold]
    pub(crate) fn join(
        &self,
        hash: u64,
        key: K,
        sync: bool,
        count: bool,
        mut stamp: Option<Stamp>,
    ) -> Join<V, Leader<'_, K, V, S>, K> {
        let shard = self.shard(hash);
        let thread: ThreadId = current_thread_id();
        let mut key = key;
        let mut remove_expired = true;
        loop {
            let joined = shard.join(|store, pending, counters, version| {
                let found = if stamp == Some(version) { None } else { store.find(hash, &key) };
                let absent = found.is_none().then_some(version);
                let expired = match found {
                    Some((_, node)) if is_live(node) => {
                        node.touch();
                        if count {
                            self.readers.hit();
                        }
                        return Joined::Hit(Arc::clone(&node.value), key);
                    }
                    found => found.map(|(index, _)| index).filter(|_| remove_expired),
                };
                // Looked up before anything changes, the removal of an expired entry included:
                // comparing keys runs the user's `Eq`, which may panic, and the call must then
                // have had no effect.
                let waiting = pending
                    .find_mut(hash, &key)
                    .map(|pending| (pending.sync_leader == Some(thread), pending.flight()));
                if let Some(index) = expired {
                    return Joined::Expired(key, index);
                }
                Counters::add_miss(&counters.misses, u64::from(count));
                match waiting {
                    Some((true, _)) => Joined::Reentrant(key),
                    Some((false, flight)) => Joined::Wait(flight, key),
                    None => Joined::Lead(pending.add(hash, key, sync.then_some(thread)), absent),
                }
            });
            // Keys not kept are dropped here, after unlocking: a key's `Drop` may use the cache.
            return match joined {
                Joined::Hit(value, key) => {
                    drop(key);
                    Join::Hit(value)
                }
                Joined::Expired(returned, index) => {
                    key = returned;
                    remove_expired = false;
                    stamp = None;
                    self.write(shard, |store, counters, trash| {
                        store.remove_expired_at(index, counters, trash);
                    });
                    continue;
                }
                Joined::Lead(id, absent) => Join::Lead(Guard::new(self, hash, id, absent)),
                Joined::Wait(flight, key) => {
                    // The leader's landing write would wait for this thread's read, if any.
                    shard.refuse_nested_wait(&self.readers);
                    Join::Wait(flight, key)
                }
                Joined::Reentrant(key) => {
                    drop(key);
                    panic!("{REENTRANT}");
                }
            };
        }
    }
}

/// What [`PtrCache::join`] found under the lock, with the key when the store did not take it.
enum Joined<V, K> {
    Hit(Arc<V>, K),
    /// An expired entry in the way, at this slab index.
    Expired(K, u32),
    /// The record's id, and the store's version if the key was absent from it.
    Lead(u64, Option<Stamp>),
    Wait(SyncArc<Flight<V>>, K),
    /// The key's synchronous initializer runs on this very thread.
    Reentrant(K),
}

impl<K, V, S> Land<V> for PtrCache<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    fn land(&self, hash: u64, id: u64, value: Arc<V>, absent: Option<Stamp>) {
        let now = clock::coarse_now();
        let deadline = clock::deadline(now, self.expiration());
        // Declared first, dropped last: wakes the waiters after the lock is released, with the
        // value once it is stored, or with nothing if storing panicked.
        let mut release = Release { flight: None, value: None };
        let mut tune = false;
        let shard = self.shard(hash);
        let stored = self.write_with_pending(shard, |store, pending, counters, trash| {
            let (key, flight) = pending.take(hash, id)?;
            // Waiters get the pointer too; without waiters (the common case) no clone is made.
            let stored = flight.as_ref().map(|_| Arc::clone(&value));
            release.flight = flight;
            // Still absent if the store was not written since the record began: then storing
            // need not look the key up.
            let absent = absent == Some(shard.version());
            tune = self.insert_locked(store, counters, trash, (hash, key, value), (deadline, now), absent);
            stored
        });
        release.value = stored;
        drop(release); // wake the waiters first
        if tune {
            self.tune();
        }
    }

    fn abandon(&self, hash: u64, id: u64) {
        let taken = self.shard(hash).join(|_, pending, _, _| pending.take(hash, id));
        if let Some((key, flight)) = taken {
            drop(key);
            drop(Release { flight, value: None });
        }
    }
}
