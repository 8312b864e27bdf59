//! Expansions compile without a warning in a crate that denies them, and keep `cfg`s.
#![deny(warnings, missing_docs, unused_qualifications)]

use ptrcache::ptr_cached;
use std::sync::Arc;

/// A documented public function: its accessor is documented too.
#[ptr_cached(exp = "1m")]
pub fn public(id: u32) -> Arc<String> {
    Arc::new(id.to_string())
}

/// Unused, and allowed to be: the accessor adds no warning of its own.
#[allow(dead_code)]
#[ptr_cached]
fn unused(x: u32) -> u32 {
    x
}

#[cfg(any())]
struct Gone;

/// Compiled out with its accessor, which would otherwise name a type that does not exist.
#[ptr_cached]
#[cfg(any())]
fn gone() -> Gone {
    Gone
}

fn main() {
    assert!(Arc::ptr_eq(&public(1), &public(1)));
    assert_eq!(public_cache().len(), 1);
}
