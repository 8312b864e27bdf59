//! Compile-time checks of the thread-safety promises.

use ptrcache::PtrCache;
use std::sync::{Arc, LazyLock};

fn assert_send_sync<T: Send + Sync>() {}

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
