//! The async get-or-insert calls: the same single flight as the sync ones, with tasks waiting
//! on a `tokio::sync::Notify` instead of blocking their thread.

use crate::PtrCache;
use crate::flight::Join;
use std::convert::Infallible;
use std::future::Future;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

impl<K, V, S> PtrCache<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    /// The value for `key`, or, on a miss, the output of `init`, stored with the cache's
    /// expiration (the original's `aget(name, coro)`). On a hit `init` is dropped without ever
    /// being polled.
    ///
    /// Concurrent calls for the same missing key (async or sync) run one initializer; the
    /// others wait and receive the same pointer, an `aget*` call without blocking its executor
    /// thread (a synchronous call blocks its thread, so in async code prefer `aget*`: a sync
    /// call that waits for a task of the same runtime can starve it of the thread it needs).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let cache = ptrcache::PtrCache::<u32, String>::new();
    /// let a = cache.aget(1, async { "fetched".to_string() }).await;
    /// let b = cache.aget(1, async { unreachable!("not polled on a hit") }).await;
    /// assert!(std::sync::Arc::ptr_eq(&a, &b));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future is safe at any point. If it was running the initializer,
    /// nothing is stored and one of the waiting calls runs its own initializer; if it was
    /// waiting, the running initializer is not disturbed.
    ///
    /// # Panics
    ///
    /// If `init` panics, the panic propagates to this caller, nothing is stored, and a waiting
    /// caller runs its own initializer. Panics if called, for the same key, from the thread
    /// that runs that key's synchronous initializer, as a `block_on` inside that initializer
    /// would be: its wait would never end. (A separate task that the initializer does not
    /// await could have waited, but the cache cannot tell it apart.)
    pub async fn aget(&self, key: K, init: impl Future<Output = V>) -> Arc<V> {
        self.aget_with(key, || init).await
    }

    /// Like [`aget`](PtrCache::aget), but the future is only created on a miss (the original's
    /// `aget(name, coro, lazy=True)`).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let cache = ptrcache::PtrCache::<u32, u64>::new();
    /// let value = cache.aget_with(3, || async { 3 * 3 }).await;
    /// assert_eq!(*value, 9);
    /// # });
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As [`aget`](PtrCache::aget).
    ///
    /// # Panics
    ///
    /// As [`aget`](PtrCache::aget).
    pub async fn aget_with<F, Fut>(&self, key: K, init: F) -> Arc<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let result = self.try_aget_with(key, || async { Ok::<V, Infallible>(init().await) }).await;
        match result {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`aget_with`](PtrCache::aget_with) with a fallible initializer: an `Err` is
    /// returned to this caller and nothing is stored.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let cache = ptrcache::PtrCache::<u32, u64>::new();
    /// let failed = cache.try_aget_with(1, || async { Err::<u64, _>("timeout") }).await;
    /// assert_eq!(failed, Err("timeout"));
    /// assert!(cache.get(&1).is_none());
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// The error the initializer returned. Concurrent callers waiting on the same key do not
    /// receive it: one of them runs its own initializer.
    ///
    /// # Cancel safety
    ///
    /// As [`aget`](PtrCache::aget).
    ///
    /// # Panics
    ///
    /// As [`aget`](PtrCache::aget).
    pub async fn try_aget_with<F, Fut, E>(&self, key: K, init: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        self.try_aget_arc_with(key, || async { init().await.map(Arc::new) }).await
    }

    /// Like [`try_aget_with`](PtrCache::try_aget_with) with an initializer that returns the
    /// `Arc` to store. Used by `#[ptr_cached]` on `async fn`s that return `Arc<T>`.
    #[doc(hidden)]
    pub async fn try_aget_arc_with<F, Fut, E>(&self, key: K, init: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<V>, E>>,
    {
        let hash = self.hash(&key);
        let mut stamp = match self.lookup(self.shard(hash), hash, &key) {
            Ok(value) => return Ok(value),
            Err(stamp) => stamp,
        };
        let mut key = key;
        let mut first = true;
        loop {
            match self.join(hash, key, false, std::mem::take(&mut first), stamp.take()) {
                Join::Hit(value) => return Ok(value),
                Join::Lead(guard) => return Ok(guard.complete(init().await?)),
                Join::Wait(flight, returned) => match flight.wait_async().await {
                    Some(value) => return Ok(value),
                    None => key = returned,
                },
            }
        }
    }
}
