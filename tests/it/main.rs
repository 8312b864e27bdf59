//! Integration tests of the facade: one binary, one module per behaviour.

#[allow(dead_code, reason = "helpers used by some modules only")]
mod util;
