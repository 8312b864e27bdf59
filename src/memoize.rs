//! What `#[ptr_cached]` expansions call, reached through `__private`. Not public API.
//!
//! The expansion spans its calls of these functions on the user's tokens, and calls the
//! checks (`key_arg`, `key_part`) before anything else with the same bound on the same span:
//! rustc then reports an argument that is not `Clone`, a key that is not `Hash + Eq` or a
//! return type that is not `Clone` once, at the argument, the argument list or the return
//! type, in the words of the `on_unimplemented` below.

use ptrcache_core::{Builder, PtrCache};
use std::hash::Hash;
use std::sync::{Arc, LazyLock};

/// An argument that the cache key can hold an owned copy of: `ToOwned`, so any `Clone` type,
/// `str` and `[T]`.
#[diagnostic::on_unimplemented(
    message = "the cache key of a `#[ptr_cached]` function holds an owned copy of each argument, and `{Self}` is not `Clone`",
    label = "this argument is copied into the cache key",
    note = "derive `Clone` for `{Self}`, or take an argument of another type"
)]
pub trait KeyArg: ToOwned {}

impl<T: ToOwned + ?Sized> KeyArg for T {}

/// Requires an argument to have an owned form. Called before `key`, on the same span, so that
/// rustc reports this bound, with its message.
#[inline]
pub fn key_arg<T: KeyArg + ?Sized>() {}

/// The owned copy of one argument, for the key: a `String` for a `&str`, a `Vec<T>` for a
/// `&[T]`, a clone for anything `Clone`.
#[inline]
pub fn key<T: KeyArg + ?Sized>(argument: &T) -> T::Owned {
    argument.to_owned()
}

/// The owned form of a `&T` argument where the expansion cannot tell it by name: `PathBuf`
/// for std's `Path`, the type itself for a `Clone` type of the same name.
pub type Owned<T> = <T as ToOwned>::Owned;

/// The owned form of an argument, as the cache key holds it: `Hash + Eq`.
#[diagnostic::on_unimplemented(
    message = "the arguments of a `#[ptr_cached]` function must be `Hash + Eq`, and `{Self}` is not",
    label = "the cache key holds an owned `{Self}` from these arguments",
    note = "derive `PartialEq, Eq, Hash` for `{Self}`, or take arguments of other types"
)]
pub trait KeyPart: Hash + Eq {}

impl<T: Hash + Eq> KeyPart for T {}

/// Requires one part of a `#[ptr_cached]` function's key to be `Hash + Eq`. Called for every
/// part before the key is used, on the same span, so that rustc reports this bound, with its
/// message, instead of the same failure deeper in the cache.
#[inline]
pub fn key_part<T: KeyPart>() {}

/// A return type that can be cloned out of the cache.
#[diagnostic::on_unimplemented(
    message = "`#[ptr_cached]` returns a clone of the cached value, and `{Self}` is not `Clone`",
    label = "the cached value of this type is cloned out on every call",
    note = "return `Arc<{Self}>` to hand out the cached pointer itself, or derive `Clone` for `{Self}`"
)]
pub trait CloneOut: Clone {}

impl<T: Clone> CloneOut for T {}

/// A clone of a cached value, for functions that do not return `Arc<T>`.
#[inline]
pub fn clone_out<V: CloneOut>(value: &V) -> V {
    value.clone()
}

/// The type of the static that holds a `#[ptr_cached]` function's cache.
pub type CacheStatic<K, V> = LazyLock<PtrCache<K, V>>;

/// Builds the cache of a `#[ptr_cached]` function (`Builder::build`, with the key's bound
/// spanned like every other use of the key).
#[inline]
#[must_use]
pub fn new_cache<K: Hash + Eq, V>(builder: Builder<K, V>) -> PtrCache<K, V> {
    builder.build()
}

/// `fn(..) -> Arc<V>`: the stored pointer itself.
#[inline]
pub fn get_arc<K: Hash + Eq, V, F: FnOnce() -> Arc<V>>(cache: &PtrCache<K, V>, key: K, init: F) -> Arc<V> {
    match cache.try_get_or_insert_arc_with(key, || Ok::<_, std::convert::Infallible>(init())) {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

/// `fn(..) -> V`: a clone of the stored value.
#[inline]
pub fn get_clone<K: Hash + Eq, V, F: FnOnce() -> V>(
    cache: &PtrCache<K, V>,
    key: K,
    init: F,
    clone: fn(&V) -> V,
) -> V {
    clone(&get_arc(cache, key, || Arc::new(init())))
}

/// `fn(..) -> Result<Arc<V>, E>`: only `Ok` is stored.
///
/// # Errors
///
/// The error of `init` when this call ran it and it failed; nothing is stored then.
#[inline]
pub fn try_get_arc<K: Hash + Eq, V, E, F: FnOnce() -> Result<Arc<V>, E>>(
    cache: &PtrCache<K, V>,
    key: K,
    init: F,
) -> Result<Arc<V>, E> {
    cache.try_get_or_insert_arc_with(key, init)
}

/// `fn(..) -> Result<V, E>`: only `Ok` is stored, and a clone of it is returned.
///
/// # Errors
///
/// The error of `init` when this call ran it and it failed; nothing is stored then.
#[inline]
pub fn try_get_clone<K: Hash + Eq, V, E, F: FnOnce() -> Result<V, E>>(
    cache: &PtrCache<K, V>,
    key: K,
    init: F,
    clone: fn(&V) -> V,
) -> Result<V, E> {
    cache.try_get_or_insert_arc_with(key, || init().map(Arc::new)).map(|value| clone(&value))
}

#[cfg(feature = "async")]
pub use self::asynchronous::*;

#[cfg(feature = "async")]
mod asynchronous {
    use ptrcache_core::PtrCache;
    use std::future::Future;
    use std::hash::Hash;
    use std::sync::Arc;

    /// `async fn(..) -> Arc<V>`: the stored pointer itself.
    pub async fn aget_arc<K, V, F, Fut>(cache: &PtrCache<K, V>, key: K, init: F) -> Arc<V>
    where
        K: Hash + Eq,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Arc<V>>,
    {
        let result =
            cache.try_aget_arc_with(key, || async { Ok::<_, std::convert::Infallible>(init().await) });
        match result.await {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// `async fn(..) -> V`: a clone of the stored value.
    pub async fn aget_clone<K, V, F, Fut>(cache: &PtrCache<K, V>, key: K, init: F, clone: fn(&V) -> V) -> V
    where
        K: Hash + Eq,
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let value = aget_arc(cache, key, || async { Arc::new(init().await) }).await;
        clone(&value)
    }

    /// `async fn(..) -> Result<Arc<V>, E>`: only `Ok` is stored.
    ///
    /// # Errors
    ///
    /// The error of `init` when this call ran it and it failed; nothing is stored then.
    pub async fn try_aget_arc<K, V, E, F, Fut>(cache: &PtrCache<K, V>, key: K, init: F) -> Result<Arc<V>, E>
    where
        K: Hash + Eq,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<V>, E>>,
    {
        cache.try_aget_arc_with(key, init).await
    }

    /// `async fn(..) -> Result<V, E>`: only `Ok` is stored, and a clone of it is returned.
    ///
    /// # Errors
    ///
    /// The error of `init` when this call ran it and it failed; nothing is stored then.
    pub async fn try_aget_clone<K, V, E, F, Fut>(
        cache: &PtrCache<K, V>,
        key: K,
        init: F,
        clone: fn(&V) -> V,
    ) -> Result<V, E>
    where
        K: Hash + Eq,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let value = cache.try_aget_arc_with(key, || async { init().await.map(Arc::new) }).await?;
        Ok(clone(&value))
    }
}
