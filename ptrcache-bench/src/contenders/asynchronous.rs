//! The asynchronous contenders: each crate's async get-or-insert, awaited on tokio.

use super::{Contender, Kind, Value};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// A cache used from async code. The futures are `Send`, so tasks can move between workers.
pub trait AsyncContender<V: Value>: Sized + Send + Sync {
    /// The name in the tables.
    const NAME: &'static str;
    /// Real cache or reference map.
    const KIND: Kind = Kind::Real;
    /// Whether concurrent calls on one missing key run one initializer.
    const SINGLE_FLIGHT: bool;

    /// A cache bounded to `capacity` entries whose values expire after `ttl` (`None`: never).
    fn build(capacity: usize, ttl: Option<Duration>) -> Self;

    /// The live value of `key`, if any.
    fn get(&self, key: u64) -> impl Future<Output = Option<Arc<V>>> + Send;

    /// Stores `value` for `key`.
    fn insert(&self, key: u64, value: Arc<V>) -> impl Future<Output = ()> + Send;

    /// The value of `key`, or the output of the future `init` makes, stored.
    fn get_or_insert_with<F, Fut>(&self, key: u64, init: F) -> impl Future<Output = Arc<V>> + Send
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = V> + Send;

    /// Drops every expired entry now with the crate's call for it; `false` if it has none.
    fn purge_expired(&self) -> impl Future<Output = bool> + Send;

    /// Lets deferred bookkeeping settle (moka), so that `len` and memory are final.
    fn settle(&self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// Entries stored (after [`settle`](AsyncContender::settle)).
    fn len(&self) -> usize;

    /// Entries held right now, without settling: what lookups can find. Caches with
    /// deferred bookkeeping (moka, mini-moka) apply their bound in batches, so between two
    /// batches they may hold more entries than their capacity.
    fn held(&self) -> usize {
        self.len()
    }

    /// Whether nothing is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// ptrcache's `aget_with` (and its sync `get`, which never waits for an initializer).
#[derive(Debug)]
pub struct PtrAsync<V>(pub ptrcache::PtrCache<u64, V>);

impl<V: Value> AsyncContender<V> for PtrAsync<V> {
    const NAME: &'static str = "ptrcache (aget_with)";
    const SINGLE_FLIGHT: bool = true;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        PtrAsync(super::Ptr::build(capacity, ttl).0)
    }
    async fn get(&self, key: u64) -> Option<Arc<V>> {
        self.0.get(&key)
    }
    async fn insert(&self, key: u64, value: Arc<V>) {
        self.0.set(key, value);
    }
    fn get_or_insert_with<F, Fut>(&self, key: u64, init: F) -> impl Future<Output = Arc<V>> + Send
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = V> + Send,
    {
        self.0.aget_with(key, init)
    }
    async fn purge_expired(&self) -> bool {
        self.0.purge_expired();
        true
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// quick_cache's sync `Cache` through its async calls (`get_or_insert_async`).
#[derive(Debug)]
pub struct QuickAsync<V>(pub quick_cache::sync::Cache<u64, Arc<V>>);

impl<V: Value> AsyncContender<V> for QuickAsync<V> {
    const NAME: &'static str = "quick_cache (async)";
    const SINGLE_FLIGHT: bool = true;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        assert!(ttl.is_none(), "quick_cache has no expiration");
        QuickAsync(quick_cache::sync::Cache::new(capacity))
    }
    async fn get(&self, key: u64) -> Option<Arc<V>> {
        self.0.get(&key)
    }
    async fn insert(&self, key: u64, value: Arc<V>) {
        self.0.insert(key, value);
    }
    async fn get_or_insert_with<F, Fut>(&self, key: u64, init: F) -> Arc<V>
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = V> + Send,
    {
        let made = self.0.get_or_insert_async(&key, async { Ok::<_, Infallible>(Arc::new(init().await)) });
        match made.await {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }
    async fn purge_expired(&self) -> bool {
        false
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// moka's `future::Cache` (`get_with`).
pub struct MokaFuture<V>(pub moka::future::Cache<u64, Arc<V>>);

impl<V: Value> AsyncContender<V> for MokaFuture<V> {
    const NAME: &'static str = "moka (future)";
    const SINGLE_FLIGHT: bool = true;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        let builder = moka::future::Cache::builder().max_capacity(capacity as u64);
        MokaFuture(match ttl {
            Some(ttl) => builder.time_to_live(ttl).build(),
            None => builder.build(),
        })
    }
    async fn get(&self, key: u64) -> Option<Arc<V>> {
        self.0.get(&key).await
    }
    async fn insert(&self, key: u64, value: Arc<V>) {
        self.0.insert(key, value).await;
    }
    async fn get_or_insert_with<F, Fut>(&self, key: u64, init: F) -> Arc<V>
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = V> + Send,
    {
        self.0.get_with(key, async { Arc::new(init().await) }).await
    }
    async fn purge_expired(&self) -> bool {
        self.0.run_pending_tasks().await;
        true
    }
    async fn settle(&self) {
        self.0.run_pending_tasks().await;
    }
    fn len(&self) -> usize {
        self.0.entry_count() as usize
    }
    /// As the sync cache's: the entries in its map.
    fn held(&self) -> usize {
        self.0.iter().count()
    }
}

/// A sync contender from async code, as users write it for crates without an async
/// get-or-insert: `get`, and on a miss await the initializer (no lock held), then `insert`.
/// Concurrent misses of one key each run the initializer.
#[derive(Debug)]
pub struct Naive<C>(pub C);

impl<V: Value, C: Contender<V> + Send + Sync> AsyncContender<V> for Naive<C> {
    const NAME: &'static str = C::NAME;
    const KIND: Kind = C::KIND;
    const SINGLE_FLIGHT: bool = false;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        Naive(C::build(capacity, ttl))
    }
    async fn get(&self, key: u64) -> Option<Arc<V>> {
        self.0.get(key)
    }
    async fn insert(&self, key: u64, value: Arc<V>) {
        self.0.insert(key, value);
    }
    async fn get_or_insert_with<F, Fut>(&self, key: u64, init: F) -> Arc<V>
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = V> + Send,
    {
        if let Some(value) = self.0.get(key) {
            return value;
        }
        let value = Arc::new(init().await);
        self.0.insert(key, Arc::clone(&value));
        value
    }
    async fn purge_expired(&self) -> bool {
        self.0.purge_expired()
    }
    async fn settle(&self) {
        self.0.settle();
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

thread_local! {
    /// The runtime [`Blocking`] drives its futures on (one per thread, made on first use).
    static RUNTIME: tokio::runtime::Runtime = crate::timing::current_thread_runtime();
}

/// Makes this thread's [`Blocking`] runtime now (so that its memory is not counted later).
pub fn warm_blocking_runtime() {
    RUNTIME.with(|_| ());
}

/// An async contender used from sync code: every call is `block_on` on a thread-local
/// current-thread runtime. For workloads that are not timed per call (memory, expiry).
#[derive(Debug)]
pub struct Blocking<A>(pub A);

impl<V: Value, A: AsyncContender<V>> Contender<V> for Blocking<A> {
    const NAME: &'static str = A::NAME;
    const KIND: Kind = A::KIND;
    const EXPIRES: bool = true;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        Blocking(A::build(capacity, ttl))
    }
    fn get(&self, key: u64) -> Option<Arc<V>> {
        RUNTIME.with(|runtime| runtime.block_on(self.0.get(key)))
    }
    fn insert(&self, key: u64, value: Arc<V>) {
        RUNTIME.with(|runtime| runtime.block_on(self.0.insert(key, value)));
    }
    /// A get, then an insert (the sync `init` cannot go into a `Send` future).
    fn get_or_insert_with(&self, key: u64, init: impl FnOnce() -> V) -> Arc<V> {
        if let Some(value) = self.get(key) {
            return value;
        }
        let value = Arc::new(init());
        self.insert(key, Arc::clone(&value));
        value
    }
    fn purge_expired(&self) -> bool {
        RUNTIME.with(|runtime| runtime.block_on(self.0.purge_expired()))
    }
    fn settle(&self) {
        RUNTIME.with(|runtime| runtime.block_on(self.0.settle()));
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn held(&self) -> usize {
        self.0.held()
    }
}
