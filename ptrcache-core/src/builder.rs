use crate::{Expiration, PtrCache, RandomState};
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

/// Configures a [`PtrCache`]; from [`PtrCache::builder`].
///
/// ```
/// use std::time::Duration;
/// use ptrcache::PtrCache;
///
/// let cache: PtrCache<u64, String> = PtrCache::builder()
///     .expiration(Duration::from_secs(60))
///     .max_entries(10_000)
///     .build();
/// assert_eq!(cache.max_entries(), 10_000);
/// assert_eq!(cache.expiration(), ptrcache::Expiration::After(Duration::from_secs(60)));
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder<K, V, S = RandomState> {
    expiration: Expiration,
    max_entries: usize,
    hasher: S,
    /// The key and value types, so that `build` needs no annotation of its own.
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> Builder<K, V> {
    pub(crate) fn new() -> Self {
        Builder {
            expiration: Expiration::DEFAULT,
            max_entries: PtrCache::<K, V>::DEFAULT_MAX_ENTRIES,
            hasher: RandomState::default(),
            types: PhantomData,
        }
    }
}

impl<K, V, S: Clone> Clone for Builder<K, V, S> {
    fn clone(&self) -> Self {
        Builder { hasher: self.hasher.clone(), ..*self }
    }
}

impl<K, V, S> std::fmt::Debug for Builder<K, V, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("expiration", &self.expiration)
            .field("max_entries", &self.max_entries)
            .finish_non_exhaustive()
    }
}

impl<K, V, S> Builder<K, V, S> {
    /// The expiration of values stored without one of their own (default: 3 hours).
    ///
    /// Takes a [`Duration`](std::time::Duration) or an [`Expiration`]; `Duration::MAX` means
    /// never, `Duration::ZERO` means values are returned but never kept.
    ///
    /// ```
    /// use std::time::Duration;
    /// let cache = ptrcache::PtrCache::<u32, u32>::builder().expiration(Duration::from_millis(250)).build();
    /// assert_eq!(cache.expiration().duration(), Some(Duration::from_millis(250)));
    /// ```
    pub fn expiration(mut self, expiration: impl Into<Expiration>) -> Self {
        self.expiration = expiration.into();
        self
    }

    /// Values stored without an expiration of their own never expire.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::builder().never_expire().build();
    /// assert_eq!(cache.expiration(), ptrcache::Expiration::Never);
    /// ```
    pub fn never_expire(self) -> Self {
        self.expiration(Expiration::Never)
    }

    /// The most entries the cache keeps (default: 5,000). With 0 it keeps nothing: every
    /// lookup misses, and get-or-insert calls still return (and share) the computed value.
    ///
    /// Nothing of this size is allocated up front; storage grows with the entries.
    ///
    /// ```
    /// let cache = ptrcache::PtrCache::<u32, u32>::builder().max_entries(0).build();
    /// assert_eq!(*cache.get_or_insert_with(1, || 10), 10);
    /// assert!(cache.get(&1).is_none());
    /// ```
    pub fn max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// The hasher of keys (default: [`RandomState`], foldhash seeded per cache; see the crate
    /// docs on HashDoS). Any [`BuildHasher`] works, such as std's SipHash `RandomState`.
    ///
    /// ```
    /// use std::collections::hash_map::RandomState;
    /// let cache = ptrcache::PtrCache::<String, u32>::builder().hasher(RandomState::new()).build();
    /// cache.set("k".to_string(), 1);
    /// assert_eq!(cache.get("k").as_deref(), Some(&1));
    /// ```
    pub fn hasher<S2>(self, hasher: S2) -> Builder<K, V, S2> {
        Builder { expiration: self.expiration, max_entries: self.max_entries, hasher, types: PhantomData }
    }

    /// Builds the cache.
    ///
    /// ```
    /// let cache: ptrcache::PtrCache<u32, String> = ptrcache::PtrCache::builder().build();
    /// assert!(cache.is_empty());
    /// ```
    pub fn build(self) -> PtrCache<K, V, S>
    where
        K: Hash + Eq,
        S: BuildHasher,
    {
        PtrCache::from_parts(self.expiration, self.max_entries, self.hasher)
    }
}
