//! Compile-time checks of the thread-safety promises.

use ptrcache::PtrCache;
use std::sync::{Arc, LazyLock};

fn assert_send_sync<T: Send + Sync>() {}

fn assert_unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}

#[test]
fn ptr_cache_is_send_and_sync_when_its_types_are() {
    assert_send_sync::<PtrCache<u64, String>>();
    assert_send_sync::<PtrCache<String, Vec<u8>>>();
    assert_send_sync::<PtrCache<u64, std::sync::Mutex<u32>, std::collections::hash_map::RandomState>>();
    assert_send_sync::<ptrcache::Builder<u64, String>>();
    assert_send_sync::<ptrcache::Stats>();
}

#[test]
fn ptr_cache_lives_in_a_static_and_in_an_arc() {
    static CACHE: LazyLock<PtrCache<u32, &'static str>> = LazyLock::new(PtrCache::new);
    CACHE.set(1, "one");
    let shared = Arc::new(PtrCache::<u32, u32>::new());
    let other = Arc::clone(&shared);
    std::thread::spawn(move || other.set(1, 1)).join().unwrap();
    assert_eq!(shared.get(&1).as_deref(), Some(&1));
    assert_eq!(CACHE.get(&1).as_deref(), Some(&"one"));
}

#[test]
fn a_cache_may_be_used_across_catch_unwind_and_works_after_a_panic() {
    assert_unwind_safe::<PtrCache<u64, String>>();
    assert_unwind_safe::<PtrCache<String, Vec<u8>, std::collections::hash_map::RandomState>>();
    let cache = PtrCache::<u32, u32>::new();
    // The closure holds `&cache`: it compiles because the cache is `RefUnwindSafe`.
    let failed = std::panic::catch_unwind(|| cache.get_or_insert_with(1, || panic!("init failed")));
    assert!(failed.is_err());
    assert!(cache.get(&1).is_none());
    assert_eq!(*cache.get_or_insert_with(1, || 1), 1);
}
