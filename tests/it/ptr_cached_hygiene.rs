//! `#[ptr_cached]` expansions in hostile scopes: the runtime reached through `crate = path`,
//! `core`, `std` and prelude names shadowed, and strict lints that the expansion must not trip.

#![deny(
    unused_qualifications,
    unused_lifetimes,
    single_use_lifetimes,
    elided_lifetimes_in_paths,
    trivial_casts,
    unused_results,
    clippy::all,
    clippy::pedantic
)]

use std::sync::atomic::Ordering;

/// Stands in for a renamed `ptrcache` dependency. Its `key` counts calls, to prove that the
/// expansion goes through the path given to `crate = ..` and not through `::ptrcache`.
mod fake {
    pub(crate) mod __private {
        pub(crate) use ptrcache::__private::*;
        use std::sync::atomic::{AtomicUsize, Ordering};

        pub(crate) static KEYS: AtomicUsize = AtomicUsize::new(0);

        pub(crate) fn key<T: ToOwned + ?Sized>(argument: &T) -> T::Owned {
            let _ = KEYS.fetch_add(1, Ordering::SeqCst);
            argument.to_owned()
        }
    }
}

#[ptrcache::ptr_cached(crate = crate::ptr_cached_hygiene::fake, exp = 60)]
fn through_fake(name: &str, id: u32) -> String {
    format!("{name}{id}")
}

#[ptrcache::ptr_cached(crate = fake)]
fn through_relative_path(id: u32) -> Vec<u32> {
    vec![id]
}

#[test]
fn crate_path_is_used_for_every_runtime_call() {
    let before = fake::__private::KEYS.load(Ordering::SeqCst);
    assert_eq!(through_fake("a", 1), "a1");
    assert_eq!(through_fake("a", 1), "a1");
    assert_eq!(through_relative_path(7), [7]);
    let keys = fake::__private::KEYS.load(Ordering::SeqCst) - before;
    assert_eq!(keys, 2 + 2 + 1, "one `key` per argument and call");
    assert_eq!(through_fake_cache().len(), 1);
    assert_eq!(through_relative_path_cache().len(), 1);
}

/// Every name the expansion could reach without a leading `::` or its root, shadowed.
#[allow(dead_code, non_camel_case_types, clippy::pedantic)]
mod shadowed {
    mod core {}
    mod std {}
    mod ptrcache {}
    mod __private {}
    struct String;
    struct Vec;
    struct Box;
    struct Option;
    struct LazyLock;
    struct PtrCache;
    struct Duration;
    struct Expiration;
    struct ToOwned;
    struct Clone;
    struct Hash;
    struct Infallible;
    struct Send;
    struct Sync;
    struct Fn;
    struct FnOnce;
    struct Future;
    fn key() {}
    fn get_arc() {}
    fn get_clone() {}
    fn try_get_clone() {}
    fn aget_arc() {}

    pub(super) static RUNS: ::core::sync::atomic::AtomicUsize = ::core::sync::atomic::AtomicUsize::new(0);

    #[::ptrcache::ptr_cached(exp = "1h", max_entries = 10)]
    pub(super) fn joined(sep: &str, parts: &[u32]) -> ::std::string::String {
        let _ = RUNS.fetch_add(1, ::core::sync::atomic::Ordering::SeqCst);
        parts.iter().map(u32::to_string).collect::<::std::vec::Vec<_>>().join(sep)
    }

    #[::ptrcache::ptr_cached]
    pub(super) fn checked(text: &str) -> ::core::result::Result<u32, ::std::num::ParseIntError> {
        text.parse()
    }

    #[cfg(feature = "async")]
    #[::ptrcache::ptr_cached]
    pub(super) async fn shared(id: u32) -> ::std::sync::Arc<u32> {
        ::std::sync::Arc::new(id)
    }
}

#[test]
fn shadowed_core_std_and_prelude_names_do_not_matter() {
    assert_eq!(shadowed::joined(",", &[1, 2]), "1,2");
    assert_eq!(shadowed::joined(",", &[1, 2]), "1,2");
    assert_eq!(shadowed::RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(shadowed::checked("5"), Ok(5));
    assert!(shadowed::checked("x").is_err());
    #[cfg(feature = "async")]
    {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (a, b) = runtime.block_on(async { (shadowed::shared(1).await, shadowed::shared(1).await) });
        assert!(std::sync::Arc::ptr_eq(&a, &b));
    }
    assert_eq!(shadowed::joined_cache().max_entries(), 10);
}

/// Public items with documentation, lifetimes and `mut` bindings, under the lints above.
pub(crate) mod strict {
    use ptrcache::ptr_cached;
    use std::sync::Arc;

    /// A documented, public, memoized function.
    #[ptr_cached(exp = -1)]
    #[must_use]
    pub(crate) fn describe<'a>(name: &'a str, suffix: &'a str, mut count: u32) -> Arc<String> {
        count += 1;
        Arc::new(format!("{name}{suffix} x{count}"))
    }

    /// With an early `return` and `?`.
    ///
    /// # Errors
    ///
    /// When `text` is not a number.
    #[cfg(feature = "async")]
    #[ptr_cached]
    pub(crate) async fn number(text: &str) -> Result<u64, std::num::ParseIntError> {
        tokio::task::yield_now().await;
        if text.is_empty() {
            return Ok(0);
        }
        Ok(text.parse::<u64>()? + 1)
    }
}

#[test]
fn strict_lints_pass_on_public_expansions() {
    assert!(std::sync::Arc::ptr_eq(&strict::describe("a", "", 1), &strict::describe("a", "", 1)));
    assert_eq!(strict::describe_cache().len(), 1);
    #[cfg(feature = "async")]
    {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(runtime.block_on(strict::number("")), Ok(0));
        assert_eq!(runtime.block_on(strict::number("1")), Ok(2));
        assert_eq!(strict::number_cache().len(), 2);
    }
}
