//! The synchronous contenders.

use super::{Contender, FOREVER, Kind, NoStamp, Stamp, Value};
use cached::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The reference maps hash with foldhash, so that they show the physical limit.
type FastState = foldhash::fast::RandomState;

/// ptrcache's `PtrCache`, with its own expiration (`None`: `never_expire`).
#[derive(Debug)]
pub struct Ptr<V>(pub ptrcache::PtrCache<u64, V>);

impl<V: Value> Contender<V> for Ptr<V> {
    const NAME: &'static str = "ptrcache";
    const EXPIRES: bool = true;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        let builder = ptrcache::PtrCache::builder().max_entries(capacity);
        Ptr(match ttl {
            Some(ttl) => builder.expiration(ttl).build(),
            None => builder.never_expire().build(),
        })
    }
    #[inline]
    fn get(&self, key: u64) -> Option<Arc<V>> {
        self.0.get(&key)
    }
    #[inline]
    fn insert(&self, key: u64, value: Arc<V>) {
        self.0.set(key, value);
    }
    #[inline]
    fn get_or_insert_with(&self, key: u64, init: impl FnOnce() -> V) -> Arc<V> {
        self.0.get_or_insert_with(key, init)
    }
    fn purge_expired(&self) -> bool {
        self.0.purge_expired();
        true
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// quick_cache's sync `Cache` (no expiration of its own: a [`Stamp`] emulates one).
pub struct Quick<V, T = NoStamp> {
    cache: quick_cache::sync::Cache<u64, (T, Arc<V>)>,
    ttl: Option<Duration>,
}

impl<V: Value, T: Stamp> Contender<V> for Quick<V, T> {
    const NAME: &'static str = "quick_cache";
    const EXPIRES: bool = T::EXPIRES;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        Quick { cache: quick_cache::sync::Cache::new(capacity), ttl }
    }
    #[inline]
    fn get(&self, key: u64) -> Option<Arc<V>> {
        let (stamp, value) = self.cache.get(&key)?;
        if stamp.is_live() {
            return Some(value);
        }
        self.cache.remove(&key);
        None
    }
    #[inline]
    fn insert(&self, key: u64, value: Arc<V>) {
        self.cache.insert(key, (T::stamp(self.ttl), value));
    }
    #[inline]
    fn get_or_insert_with(&self, key: u64, init: impl FnOnce() -> V) -> Arc<V> {
        if T::EXPIRES {
            // Drop a dead entry first (a race may still hand one back; only the expiry
            // workload stamps, and it does not use this call).
            if let Some(value) = self.get(key) {
                return value;
            }
        }
        let made = self
            .cache
            .get_or_insert_with(&key, || Ok::<_, Infallible>((T::stamp(self.ttl), Arc::new(init()))));
        match made {
            Ok((_, value)) => value,
            Err(never) => match never {},
        }
    }
    fn purge_expired(&self) -> bool {
        self.cache.retain(|_, (stamp, _)| stamp.is_live());
        T::EXPIRES
    }
    fn len(&self) -> usize {
        self.cache.len()
    }
}

/// moka's sync `Cache`, with its own `time_to_live`.
pub struct Moka<V>(pub moka::sync::Cache<u64, Arc<V>>);

impl<V: Value> Contender<V> for Moka<V> {
    const NAME: &'static str = "moka";
    const EXPIRES: bool = true;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        let builder = moka::sync::Cache::builder().max_capacity(capacity as u64);
        Moka(match ttl {
            Some(ttl) => builder.time_to_live(ttl).build(),
            None => builder.build(),
        })
    }
    #[inline]
    fn get(&self, key: u64) -> Option<Arc<V>> {
        self.0.get(&key)
    }
    #[inline]
    fn insert(&self, key: u64, value: Arc<V>) {
        self.0.insert(key, value);
    }
    #[inline]
    fn get_or_insert_with(&self, key: u64, init: impl FnOnce() -> V) -> Arc<V> {
        self.0.get_with(key, || Arc::new(init()))
    }
    fn purge_expired(&self) -> bool {
        self.0.run_pending_tasks();
        true
    }
    fn settle(&self) {
        self.0.run_pending_tasks();
    }
    fn len(&self) -> usize {
        self.0.entry_count() as usize
    }
    /// The entries in its map, admitted by its policy or not yet (`entry_count` is the policy's
    /// count as of the last batch).
    fn held(&self) -> usize {
        self.0.iter().count()
    }
}

/// mini-moka's sync `Cache`, with its own `time_to_live` (no get-or-insert call, no purge call).
#[derive(Debug)]
pub struct MiniMoka<V>(pub mini_moka::sync::Cache<u64, Arc<V>>);

impl<V: Value> Contender<V> for MiniMoka<V> {
    const NAME: &'static str = "mini-moka";
    const EXPIRES: bool = true;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        let builder = mini_moka::sync::Cache::builder().max_capacity(capacity as u64);
        MiniMoka(match ttl {
            Some(ttl) => builder.time_to_live(ttl).build(),
            None => builder.build(),
        })
    }
    #[inline]
    fn get(&self, key: u64) -> Option<Arc<V>> {
        self.0.get(&key)
    }
    #[inline]
    fn insert(&self, key: u64, value: Arc<V>) {
        self.0.insert(key, value);
    }
    #[inline]
    fn get_or_insert_with(&self, key: u64, init: impl FnOnce() -> V) -> Arc<V> {
        if let Some(value) = self.0.get(&key) {
            return value;
        }
        let value = Arc::new(init());
        self.0.insert(key, Arc::clone(&value));
        value
    }
    fn purge_expired(&self) -> bool {
        false
    }
    fn len(&self) -> usize {
        self.0.entry_count() as usize
    }
    /// As moka's: the entries in its map.
    fn held(&self) -> usize {
        self.0.iter().count()
    }
}

/// cached's `LruTtlCache` in a `Mutex` (its TTL is required: [`FOREVER`] stands for none).
#[derive(Debug)]
pub struct CachedLruTtl<V>(pub Mutex<cached::LruTtlCache<u64, Arc<V>>>);

impl<V: Value> Contender<V> for CachedLruTtl<V> {
    const NAME: &'static str = "cached";
    const EXPIRES: bool = true;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        CachedLruTtl(Mutex::new(cached::LruTtlCache::new(capacity, ttl.unwrap_or(FOREVER))))
    }
    #[inline]
    fn get(&self, key: u64) -> Option<Arc<V>> {
        self.0.lock().unwrap().get(&key).cloned()
    }
    #[inline]
    fn insert(&self, key: u64, value: Arc<V>) {
        self.0.lock().unwrap().set(key, value);
    }
    #[inline]
    fn get_or_insert_with(&self, key: u64, init: impl FnOnce() -> V) -> Arc<V> {
        Arc::clone(self.0.lock().unwrap().get_or_set_with(key, || Arc::new(init())))
    }
    fn purge_expired(&self) -> bool {
        let _expired = self.0.lock().unwrap().evict();
        true
    }
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// The `lru` crate's `LruCache` in a `Mutex` (no expiration of its own: a [`Stamp`]).
pub struct LruMutex<V, T = NoStamp> {
    cache: Mutex<lru::LruCache<u64, (T, Arc<V>)>>,
    ttl: Option<Duration>,
}

impl<V: Value, T: Stamp> Contender<V> for LruMutex<V, T> {
    const NAME: &'static str = "lru";
    const EXPIRES: bool = T::EXPIRES;

    fn build(capacity: usize, ttl: Option<Duration>) -> Self {
        let capacity = NonZeroUsize::new(capacity).expect("lru needs a capacity above 0");
        LruMutex { cache: Mutex::new(lru::LruCache::new(capacity)), ttl }
    }
    #[inline]
    fn get(&self, key: u64) -> Option<Arc<V>> {
        let mut cache = self.cache.lock().unwrap();
        match cache.get(&key) {
            Some((stamp, value)) if stamp.is_live() => Some(Arc::clone(value)),
            Some(_) => {
                cache.pop(&key);
                None
            }
            None => None,
        }
    }
    #[inline]
    fn insert(&self, key: u64, value: Arc<V>) {
        self.cache.lock().unwrap().put(key, (T::stamp(self.ttl), value));
    }
    #[inline]
    fn get_or_insert_with(&self, key: u64, init: impl FnOnce() -> V) -> Arc<V> {
        let mut cache = self.cache.lock().unwrap();
        if T::EXPIRES && cache.get(&key).is_some_and(|(stamp, _)| !stamp.is_live()) {
            cache.pop(&key);
        }
        Arc::clone(&cache.get_or_insert(key, || (T::stamp(self.ttl), Arc::new(init()))).1)
    }
    fn purge_expired(&self) -> bool {
        self.cache.lock().unwrap().retain(|_, (stamp, _)| stamp.is_live());
        T::EXPIRES
    }
    fn len(&self) -> usize {
        self.cache.lock().unwrap().len()
    }
}

/// dashmap without eviction (a reference: it grows without bound).
pub struct Dash<V, T = NoStamp> {
    map: dashmap::DashMap<u64, (T, Arc<V>), FastState>,
    ttl: Option<Duration>,
}

impl<V: Value, T: Stamp> Contender<V> for Dash<V, T> {
    const NAME: &'static str = "dashmap (no eviction)";
    const KIND: Kind = Kind::Reference;
    const EXPIRES: bool = T::EXPIRES;

    fn build(_capacity: usize, ttl: Option<Duration>) -> Self {
        Dash { map: dashmap::DashMap::with_hasher(FastState::default()), ttl }
    }
    #[inline]
    fn get(&self, key: u64) -> Option<Arc<V>> {
        let found = self.map.get(&key).map(|entry| (entry.0, Arc::clone(&entry.1)))?;
        if found.0.is_live() {
            return Some(found.1);
        }
        self.map.remove_if(&key, |_, (stamp, _)| !stamp.is_live());
        None
    }
    #[inline]
    fn insert(&self, key: u64, value: Arc<V>) {
        self.map.insert(key, (T::stamp(self.ttl), value));
    }
    #[inline]
    fn get_or_insert_with(&self, key: u64, init: impl FnOnce() -> V) -> Arc<V> {
        if let Some(value) = self.map.get(&key).filter(|entry| entry.0.is_live()) {
            return Arc::clone(&value.1);
        }
        let mut entry = self.map.entry(key).or_insert_with(|| (T::stamp(self.ttl), Arc::new(init())));
        if !entry.0.is_live() {
            // Expired in the meantime: a stamped map has no init left to run; keep it simple.
            entry.0 = T::stamp(self.ttl);
        }
        Arc::clone(&entry.1)
    }
    fn purge_expired(&self) -> bool {
        self.map.retain(|_, (stamp, _)| stamp.is_live());
        T::EXPIRES
    }
    fn len(&self) -> usize {
        self.map.len()
    }
}

/// An unsynchronized `HashMap` (a reference without eviction, used by one thread: the `hit`
/// workload gives each thread its own).
pub struct Hash<V, T = NoStamp> {
    map: RefCell<HashMap<u64, (T, Arc<V>), FastState>>,
    ttl: Option<Duration>,
}

impl<V: Value, T: Stamp> Contender<V> for Hash<V, T> {
    const NAME: &'static str = "HashMap (1 thread, no eviction)";
    const KIND: Kind = Kind::Reference;
    const EXPIRES: bool = T::EXPIRES;

    fn build(_capacity: usize, ttl: Option<Duration>) -> Self {
        Hash { map: RefCell::new(HashMap::with_hasher(FastState::default())), ttl }
    }
    #[inline]
    fn get(&self, key: u64) -> Option<Arc<V>> {
        let found = self.map.borrow().get(&key).map(|(stamp, value)| (*stamp, Arc::clone(value)))?;
        if found.0.is_live() {
            return Some(found.1);
        }
        self.map.borrow_mut().remove(&key);
        None
    }
    #[inline]
    fn insert(&self, key: u64, value: Arc<V>) {
        self.map.borrow_mut().insert(key, (T::stamp(self.ttl), value));
    }
    #[inline]
    fn get_or_insert_with(&self, key: u64, init: impl FnOnce() -> V) -> Arc<V> {
        let mut map = self.map.borrow_mut();
        let entry = map.entry(key).or_insert_with(|| (T::stamp(self.ttl), Arc::new(init())));
        Arc::clone(&entry.1)
    }
    fn purge_expired(&self) -> bool {
        self.map.borrow_mut().retain(|_, (stamp, _)| stamp.is_live());
        T::EXPIRES
    }
    fn len(&self) -> usize {
        self.map.borrow().len()
    }
}
