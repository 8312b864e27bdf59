// The README's examples use the async API, so they are the crate docs (and doctests) with it.
#![cfg_attr(feature = "async", doc = include_str!("../README.md"))]
#![cfg_attr(
    not(feature = "async"),
    doc = "A fast, bounded, expiring in-process cache that keeps values by pointer (`Arc<V>`). \
           Built without the `async` feature: see the README for the whole guide."
)]
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
#![warn(clippy::pedantic)]

pub use ptrcache_core::{Builder, Expiration, PtrCache, RandomState, Stats};
pub use ptrcache_macros::{cached_property, ptr_cached};

#[cfg(feature = "async")]
pub use ptrcache_core::AsyncPropertyCell;
pub use ptrcache_core::PropertyCell;

mod memoize;
mod property;

/// What the macros' expansions use. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use std::sync::Arc;

    #[cfg(feature = "async")]
    pub use crate::property::AsyncPropertyField;
    pub use crate::property::PropertyField;
    #[cfg(feature = "async")]
    pub use ptrcache_core::AsyncPropertyCell;
    pub use ptrcache_core::PropertyCell;
    // `#[ptr_cached]`
    pub use crate::memoize::*;
    pub use ptrcache_core::{Expiration, PtrCache};
    pub use std::time::Duration;
}
