#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

pub use ptrcache_core::{Builder, Expiration, PtrCache, RandomState, Stats};
pub use ptrcache_macros::{cached_property, ptr_cached};

mod memoize;

/// What the macros' expansions use. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use std::sync::Arc;

    // `#[ptr_cached]`
    pub use crate::memoize::*;
    pub use ptrcache_core::{Expiration, PtrCache};
    pub use std::time::Duration;
}
