//! The caches under test, behind one small interface each for sync and async use.
//!
//! Every contender stores `Arc<V>` values under `u64` keys and is used the way its own docs
//! suggest: its own get-or-insert call where it has one, its own expiration where it has one.
//! Contenders without expiration get a hand-written deadline per entry ([`Deadline`]) when a
//! workload needs one, as a user would write it; with [`NoStamp`] they store the bare `Arc`.
//! The reference maps (`HashMap`, dashmap) never evict.

mod asynchronous;
mod peers;

pub use asynchronous::{
    AsyncContender, Blocking, MokaFuture, Naive, PtrAsync, QuickAsync, warm_blocking_runtime,
};
pub use peers::{CachedLruTtl, Dash, Hash, LruMutex, MiniMoka, Moka, Ptr, Quick};

use crate::payload::{Payload, Tracked};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether a contender is a real cache or a reference map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A bounded cache: ratios are taken against the best of these.
    Real,
    /// A reference (`HashMap`, dashmap): no eviction, shown for scale only.
    Reference,
}

/// The "no expiration" of caches that have none: effectively forever in a benchmark.
pub const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A value type the workloads can make from its key.
pub trait Value: Send + Sync + 'static {
    /// The value for `key`.
    fn make(key: u64) -> Self;
}

impl Value for Payload {
    #[inline]
    fn make(key: u64) -> Self {
        Payload::new(key)
    }
}

impl Value for Tracked {
    fn make(key: u64) -> Self {
        Tracked::new(key)
    }
}

/// What a cache without expiration stores beside a value to emulate one.
pub trait Stamp: Copy + Send + Sync + 'static {
    /// Whether this emulates expiration (else `ttl` must be `None`).
    const EXPIRES: bool;
    /// The stamp of a value stored now with `ttl`.
    fn stamp(ttl: Option<Duration>) -> Self;
    /// Whether the value is still live.
    fn is_live(&self) -> bool;
}

/// No expiration: the bare `Arc` is stored (a zero-sized stamp).
#[derive(Clone, Copy, Debug)]
pub struct NoStamp;

impl Stamp for NoStamp {
    const EXPIRES: bool = false;
    #[inline]
    fn stamp(ttl: Option<Duration>) -> Self {
        debug_assert!(ttl.is_none(), "NoStamp cannot expire");
        NoStamp
    }
    #[inline]
    fn is_live(&self) -> bool {
        true
    }
}

/// A hand-written expiration: the deadline stored with the value, checked on every get
/// against `Instant::now()`.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(Instant);

impl Stamp for Deadline {
    const EXPIRES: bool = true;
    #[inline]
    fn stamp(ttl: Option<Duration>) -> Self {
        let now = Instant::now();
        Deadline(now.checked_add(ttl.unwrap_or(FOREVER)).unwrap_or(now + FOREVER))
    }
    #[inline]
    fn is_live(&self) -> bool {
        Instant::now() < self.0
    }
}

/// A cache used from synchronous code.
pub trait Contender<V: Value>: Sized {
    /// The name in the tables.
    const NAME: &'static str;
    /// Real cache or reference map.
    const KIND: Kind = Kind::Real;
    /// Whether it expires values (natively or with a [`Deadline`]).
    const EXPIRES: bool;

    /// A cache bounded to `capacity` entries whose values expire after `ttl` (`None`: never).
    fn build(capacity: usize, ttl: Option<Duration>) -> Self;

    /// The live value of `key`, if any.
    fn get(&self, key: u64) -> Option<Arc<V>>;

    /// Stores `value` for `key`.
    fn insert(&self, key: u64, value: Arc<V>);

    /// The value of `key`, or the one `init` makes, stored, through the crate's own
    /// get-or-insert call (a get then an insert where it has none).
    fn get_or_insert_with(&self, key: u64, init: impl FnOnce() -> V) -> Arc<V>;

    /// Drops every expired entry now, with the crate's call for it; `false` if it has none.
    fn purge_expired(&self) -> bool;

    /// Lets a cache with deferred bookkeeping (moka) settle, so that `len` and memory are
    /// final. A no-op for the others.
    fn settle(&self) {}

    /// Entries stored (after [`settle`](Contender::settle)).
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

/// `Debug` that names the type only (the wrapped caches' own `Debug` needs bounds on `V`).
macro_rules! opaque_debug {
    ($($name:ident<$($param:ident),+>),* $(,)?) => {$(
        impl<$($param),+> std::fmt::Debug for $name<$($param),+> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    )*};
}

opaque_debug!(Quick<V, T>, Moka<V>, LruMutex<V, T>, Dash<V, T>, Hash<V, T>, MokaFuture<V>);
