//! Values are kept by pointer: no copies on get or set.

use ptrcache::{Expiration, PtrCache};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn repeated_gets_return_the_same_pointer() {
    let cache = PtrCache::<u32, String>::new();
    cache.set(1, "one".to_string());
    let a = cache.get(&1).unwrap();
    let b = cache.get(&1).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
}

#[test]
fn set_of_an_arc_stores_that_very_pointer() {
    let cache = PtrCache::<u32, String>::new();
    let mine = Arc::new("mine".to_string());
    let returned = cache.set(1, Arc::clone(&mine));
    assert!(Arc::ptr_eq(&mine, &returned));
    assert!(Arc::ptr_eq(&mine, &cache.get(&1).unwrap()));
    let with_exp = cache.set_exp(2, Arc::clone(&mine), Expiration::Never);
    assert!(Arc::ptr_eq(&mine, &with_exp));
}

#[test]
fn get_or_insert_returns_the_stored_pointer() {
    let cache = PtrCache::<u32, String>::new();
    let first = cache.get_or_insert_with(1, || "x".to_string());
    let second = cache.get_or_insert_with(1, || unreachable!("hit"));
    assert!(Arc::ptr_eq(&first, &second));
    assert!(Arc::ptr_eq(&first, &cache.get(&1).unwrap()));
}

#[test]
fn interior_mutation_is_seen_by_every_holder() {
    let cache = PtrCache::<&str, Mutex<Vec<u32>>>::new();
    let holder = cache.get_or_insert_with("list", || Mutex::new(vec![]));
    holder.lock().unwrap().push(1);
    cache.get("list").unwrap().lock().unwrap().push(2);
    assert_eq!(*holder.lock().unwrap(), [1, 2]);
    assert_eq!(*cache.get("list").unwrap().lock().unwrap(), [1, 2]);
}

#[test]
fn the_defaults_are_the_originals() {
    let cache = PtrCache::<u32, u32>::new();
    assert_eq!(cache.expiration(), Expiration::After(Duration::from_secs(10_800)));
    assert_eq!(cache.max_entries(), 5_000);
    let default = PtrCache::<u32, u32>::default();
    assert_eq!((default.expiration(), default.max_entries()), (cache.expiration(), cache.max_entries()));
}

#[test]
fn borrowed_lookups_work_for_string_keys() {
    let cache = PtrCache::<String, u32>::new();
    cache.set("key".to_string(), 1);
    assert_eq!(cache.get("key").as_deref(), Some(&1));
    assert!(cache.contains_key("key"));
    assert_eq!(cache.remove("key").as_deref(), Some(&1));
    assert!(!cache.contains_key("key"));
}

#[test]
fn entries_is_a_snapshot_of_the_live_values() {
    let cache = PtrCache::<u32, u32>::new();
    let kept = cache.set(1, 10);
    cache.set(2, 20);
    cache.set_exp(3, 30, Duration::ZERO);
    let mut entries = cache.entries();
    entries.sort_by_key(|(key, _)| *key);
    assert_eq!(entries.iter().map(|(k, v)| (*k, **v)).collect::<Vec<_>>(), [(1, 10), (2, 20)]);
    assert!(Arc::ptr_eq(&entries[0].1, &kept));
}

#[test]
fn a_custom_hasher_works() {
    let cache: PtrCache<String, u32, std::collections::hash_map::RandomState> =
        PtrCache::builder().hasher(std::collections::hash_map::RandomState::new()).build();
    for i in 0..100 {
        cache.set(i.to_string(), i);
    }
    assert!((0..100).all(|i| cache.get(&i.to_string()).as_deref() == Some(&i)));
}
