#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

pub use ptrcache_core::{Builder, Expiration, PtrCache, RandomState, Stats};
