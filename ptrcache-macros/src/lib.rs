//! Attribute macros of [ptrcache](https://docs.rs/ptrcache): `#[cached_property]` and
//! `#[ptr_cached]`. Use them through the `ptrcache` crate, which re-exports them.
