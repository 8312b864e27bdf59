//! Attribute macros of [ptrcache](https://docs.rs/ptrcache): `#[cached_property]` and
//! `#[ptr_cached]`. Use them through the `ptrcache` crate, which re-exports them with their
//! documentation.

mod cached_property;
mod fallback;
mod ptr_cached;

use proc_macro::TokenStream;

/// Computes a method's value once per instance and keeps it in the instance.
///
/// See the `ptrcache` crate for the documentation.
#[proc_macro_attribute]
pub fn cached_property(args: TokenStream, item: TokenStream) -> TokenStream {
    cached_property::expand(args.into(), item.into()).into()
}

#[doc = include_str!("ptr_cached/docs.md")]
#[proc_macro_attribute]
pub fn ptr_cached(args: TokenStream, item: TokenStream) -> TokenStream {
    ptr_cached::expand(args.into(), item.into()).into()
}
