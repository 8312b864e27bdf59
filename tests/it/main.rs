//! Integration tests of the facade: one binary, one module per behaviour.

mod ptr_cached;
mod ptr_cached_async;
mod ptr_cached_hygiene;
#[allow(dead_code, reason = "helpers used by some modules only")]
mod util;
