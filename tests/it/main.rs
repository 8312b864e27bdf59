//! Integration tests of the facade: one binary, one module per behaviour.

#[cfg(feature = "async")]
mod aget;
mod bound;
mod cached_property;
#[cfg(feature = "async")]
mod cached_property_async;
mod cached_property_hygiene;
mod expiry;
mod failure;
mod hostile;
mod lock_free_reads;
mod pointer;
mod ptr_cached;
#[cfg(feature = "async")]
mod ptr_cached_async;
mod ptr_cached_hygiene;
mod send_sync;
mod single_flight;
mod stats;
mod stress;
#[allow(dead_code, reason = "helpers used by some modules only")]
mod util;
