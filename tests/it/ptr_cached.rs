//! `#[ptr_cached]` on synchronous functions: what runs, what is kept, and for how long. Each
//! test memoizes its own function, so the process-wide caches of parallel tests never meet.

use crate::util::within;
use ptrcache::{Expiration, ptr_cached};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::sleep;
use std::time::{Duration, Instant};

#[test]
fn body_runs_once_per_distinct_arguments() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    fn square(x: u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        x * x
    }

    assert_eq!(square(3), 9);
    assert_eq!(square(3), 9);
    assert_eq!(square(4), 16);
    assert_eq!(square(3), 9);
    assert_eq!(square(4), 16);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    let stats = square_cache().stats();
    assert_eq!((stats.hits, stats.misses, stats.inserts), (3, 2, 2));
}

#[test]
fn arc_return_is_the_cached_pointer_itself() {
    #[ptr_cached]
    fn champion(id: u32) -> Arc<String> {
        Arc::new(format!("champion {id}"))
    }

    let first = champion(7);
    let again = champion(7);
    assert!(Arc::ptr_eq(&first, &again));
    assert!(Arc::ptr_eq(&first, &champion_cache().get(&(7,)).unwrap()));
    assert!(!Arc::ptr_eq(&first, &champion(8)));
}

#[test]
fn other_returns_are_cloned_out() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    fn name(id: u32) -> String {
        RUNS.fetch_add(1, Ordering::SeqCst);
        format!("#{id}")
    }

    let mut first = name(1);
    first.push_str(" changed by the caller");
    assert_eq!(name(1), "#1", "a caller's clone is its own");
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(*name_cache().get(&(1,)).unwrap(), "#1");
}

#[test]
fn borrowed_arguments_are_made_owned_in_the_key() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[derive(Clone, PartialEq, Eq, Hash, Debug)]
    struct Region(u8);
    #[ptr_cached]
    fn label(region: &Region, sep: &str, parts: &[u32]) -> String {
        RUNS.fetch_add(1, Ordering::SeqCst);
        let parts: Vec<String> = parts.iter().map(u32::to_string).collect();
        format!("{}:{}", region.0, parts.join(sep))
    }

    let sep = String::from("-");
    assert_eq!(label(&Region(1), &sep, &[1, 2]), "1:1-2");
    let parts: Vec<u32> = (1..=2).collect();
    assert_eq!(label(&Region(1), "-", &parts), "1:1-2", "equal values from other buffers hit");
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);

    let key = (Region(1), "-".to_string(), vec![1, 2]);
    assert!(label_cache().contains_key(&key));
    assert!(label_cache().remove(&key).is_some());
    assert_eq!(label(&Region(1), "-", &[1, 2]), "1:1-2");
    assert_eq!(RUNS.load(Ordering::SeqCst), 2, "a removed entry is computed again");
}

#[test]
fn a_function_without_arguments_is_keyed_by_unit() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    fn settings() -> Arc<Vec<u8>> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Arc::new(vec![1, 2, 3])
    }

    assert!(Arc::ptr_eq(&settings(), &settings()));
    assert!(settings_cache().contains_key(&()));
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
}

#[test]
fn err_is_returned_not_cached_and_the_next_call_retries() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    fn flaky(id: u32) -> Result<u32, String> {
        match RUNS.fetch_add(1, Ordering::SeqCst) {
            0 => Err(format!("backend down for {id}")),
            _ => Ok(id * 10),
        }
    }

    assert_eq!(flaky(5), Err("backend down for 5".to_string()));
    assert!(flaky_cache().is_empty(), "an Err is not stored");
    assert_eq!(flaky(5), Ok(50));
    assert_eq!(flaky(5), Ok(50));
    assert_eq!(RUNS.load(Ordering::SeqCst), 2, "the Ok is cached");
}

#[test]
fn ok_arc_is_the_cached_pointer_itself() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    fn parse(text: &str) -> Result<Arc<u64>, std::num::ParseIntError> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Ok(Arc::new(text.parse()?))
    }

    assert!(parse("x").is_err());
    assert!(parse("x").is_err());
    assert_eq!(RUNS.load(Ordering::SeqCst), 2, "errors are never cached");
    let first = parse("42").unwrap();
    assert!(Arc::ptr_eq(&first, &parse("42").unwrap()));
    assert_eq!(RUNS.load(Ordering::SeqCst), 3);
}

#[test]
fn result_aliases_count_as_result() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    fn read(path: &str) -> std::io::Result<String> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Err(std::io::Error::other(format!("no {path}")))
    }

    assert!(read("a").is_err());
    assert!(read("a").is_err());
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}

#[test]
fn only_types_named_result_count_as_result() {
    // The macro knows `Result` by its name only: a struct of another name ending in `Result`
    // is a plain value, cloned out, and so is an alias of such a name (documented).
    #[derive(Clone, Debug, PartialEq)]
    struct SearchResult<T>(Vec<T>);
    type ApiResult<T> = Result<T, String>;
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    fn search(query: u32) -> SearchResult<u32> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        SearchResult(vec![query; 2])
    }
    #[ptr_cached]
    fn fetch(id: u32) -> ApiResult<u32> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Err(format!("no id {id}"))
    }

    assert_eq!(search(3), SearchResult(vec![3, 3]));
    assert_eq!(search(3), SearchResult(vec![3, 3]));
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert!(fetch(0).is_err());
    assert!(fetch(0).is_err());
    assert_eq!(RUNS.load(Ordering::SeqCst), 2, "the alias's `Err` is a cached value");
}

#[test]
fn an_arc_of_an_unsized_value_is_the_cached_pointer_too() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    fn name(id: u32) -> Arc<str> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Arc::from(format!("champion {id}"))
    }
    #[ptr_cached]
    fn bytes(id: u8) -> Arc<[u8]> {
        Arc::from(vec![id; 3])
    }
    #[ptr_cached]
    fn hook(id: u32) -> Result<Arc<dyn Fn() -> u32 + Send + Sync>, String> {
        Ok(Arc::new(move || id))
    }

    assert!(Arc::ptr_eq(&name(1), &name(1)));
    assert_eq!(&*name(1), "champion 1");
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    // The cache keeps the `Arc<str>` itself as its value.
    assert!(Arc::ptr_eq(&name(1), &name_cache().get(&(1,)).unwrap()));
    assert!(Arc::ptr_eq(&bytes(2), &bytes(2)));
    assert_eq!(&*bytes(2), &[2, 2, 2]);
    let (first, again) = (hook(3).unwrap(), hook(3).unwrap());
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(first(), 3);
}

#[test]
fn a_type_of_a_std_name_keeps_its_own_owned_form() {
    mod geo {
        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
        pub(crate) struct Path(pub(crate) u32);
    }
    use geo::Path;
    #[ptr_cached]
    fn length(path: &Path) -> u32 {
        path.0 * 2
    }
    #[ptr_cached]
    fn depth(path: &std::path::Path) -> usize {
        path.components().count()
    }

    assert_eq!(length(&Path(4)), 8);
    assert!(length_cache().contains_key(&(Path(4),)), "keyed by the user's `Path` itself");
    assert_eq!(depth(std::path::Path::new("/a/b")), 3);
    assert!(depth_cache().contains_key(&(std::path::PathBuf::from("/a/b"),)), "std's by a `PathBuf`");
}

#[test]
fn a_function_written_by_a_macro_rules_macro_works() {
    macro_rules! memoized_len {
        ($name:ident, $arg:ty) => {
            #[ptr_cached]
            fn $name(key: $arg) -> usize {
                key.len()
            }
        };
    }
    memoized_len!(by_name, &str);
    memoized_len!(by_bytes, Vec<u8>);

    assert_eq!(by_name("abc"), 3);
    assert!(by_name_cache().contains_key(&("abc".to_string(),)));
    assert_eq!(by_bytes(vec![1, 2]), 2);
    assert!(by_bytes_cache().contains_key(&(vec![1, 2],)));
}

#[test]
fn return_and_question_mark_in_the_body_still_work() {
    #[ptr_cached]
    fn first_even(text: &str) -> Result<u32, std::num::ParseIntError> {
        for part in text.split(',') {
            let n: u32 = part.trim().parse()?;
            if n.is_multiple_of(2) {
                return Ok(n);
            }
        }
        Ok(0)
    }

    assert_eq!(first_even("1, 3, 4, 6"), Ok(4));
    assert_eq!(first_even("1, 3"), Ok(0));
    assert!(first_even("1, x").is_err());
    assert_eq!(first_even_cache().len(), 2);
}

#[test]
fn the_body_may_call_its_own_function() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    fn fib(n: u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
    }

    assert_eq!(fib(80), 23_416_728_348_467_685);
    assert_eq!(RUNS.load(Ordering::SeqCst), 81, "each n is computed once");
}

#[test]
fn a_body_calling_itself_with_equal_arguments_panics_instead_of_deadlocking() {
    #[ptr_cached]
    fn forever(n: u32) -> u32 {
        forever(n) + 1
    }

    let panic = within(Duration::from_secs(30), || std::panic::catch_unwind(|| forever(1)).unwrap_err());
    let message =
        panic.downcast_ref::<String>().map(String::as_str).or(panic.downcast_ref::<&str>().copied());
    assert!(message.is_some_and(|message| message.contains("its own key")), "{message:?}");
    assert!(forever_cache().is_empty(), "nothing is stored by a panicking body");
}

#[test]
fn the_signature_is_unchanged_for_callers() {
    /// Doubles.
    #[ptr_cached]
    #[inline]
    pub(crate) fn double(mut x: u32) -> u32 {
        x *= 2;
        x
    }

    let as_pointer: fn(u32) -> u32 = double;
    assert_eq!(as_pointer(21), 42);
}

#[test]
fn short_exp_expires() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached(exp = "300ms")]
    fn slow(id: u32) -> u32 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        id
    }

    let start = Instant::now();
    slow(1);
    slow(1);
    // On a loaded machine the second call may already be past the deadline; then it reran.
    if start.elapsed() < Duration::from_millis(250) {
        assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    }
    sleep(Duration::from_millis(300));
    let runs = RUNS.load(Ordering::SeqCst);
    slow(1);
    assert_eq!(RUNS.load(Ordering::SeqCst), runs + 1, "no value is returned past its deadline");
}

#[test]
fn negative_exp_never_expires() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached(exp = -1)]
    fn pinned(id: u32) -> u32 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        id
    }

    assert_eq!(pinned_cache().expiration(), Expiration::Never);
    pinned(1);
    sleep(Duration::from_millis(50));
    pinned(1);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
}

#[test]
fn exp_and_max_entries_configure_the_cache() {
    #[ptr_cached]
    fn defaults() {}
    #[ptr_cached(exp = 60, max_entries = 1_000)]
    fn seconds() {}
    #[ptr_cached(exp = "500ms")]
    fn millis() {}
    #[ptr_cached(exp = "30s")]
    fn secs_unit() {}
    #[ptr_cached(exp = "10m")]
    fn minutes() {}
    #[ptr_cached(exp = "3h")]
    fn hours() {}
    #[ptr_cached(exp = "1d", max_entries = 0)]
    fn days() {}

    defaults();
    seconds();
    millis();
    secs_unit();
    minutes();
    hours();
    let after = |d: Duration| Expiration::After(d);
    assert_eq!(defaults_cache().expiration(), after(Duration::from_secs(3 * 60 * 60)));
    assert_eq!(defaults_cache().max_entries(), 5_000);
    assert_eq!(seconds_cache().expiration(), after(Duration::from_secs(60)));
    assert_eq!(seconds_cache().max_entries(), 1_000);
    assert_eq!(millis_cache().expiration(), after(Duration::from_millis(500)));
    assert_eq!(secs_unit_cache().expiration(), after(Duration::from_secs(30)));
    assert_eq!(minutes_cache().expiration(), after(Duration::from_secs(600)));
    assert_eq!(hours_cache().expiration(), after(Duration::from_secs(3 * 3600)));
    assert_eq!(days_cache().expiration(), after(Duration::from_secs(86_400)));
    assert_eq!(days_cache().max_entries(), 0);
    days();
    assert!(days_cache().is_empty(), "max_entries = 0 keeps nothing");
}

#[test]
fn the_bound_holds_through_the_accessor() {
    #[ptr_cached(max_entries = 3)]
    fn bounded(id: u32) -> u32 {
        id
    }

    for id in 0..50 {
        assert_eq!(bounded(id), id);
        assert!(bounded_cache().len() <= 3, "len {} after {id}", bounded_cache().len());
    }
    assert_eq!(bounded_cache().max_entries(), 3);
    assert!(bounded_cache().contains_key(&(49,)), "the newest entry is kept");
}

#[test]
fn the_accessor_can_be_renamed() {
    #[ptr_cached(cache = champion_store)]
    fn champion_by_id(id: u32) -> u32 {
        id + 1
    }

    champion_by_id(1);
    assert_eq!(champion_store().len(), 1);
    champion_store().clear();
    assert!(champion_store().is_empty());
}

#[test]
fn concurrent_calls_from_threads_run_the_body_once() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    fn shared(id: u32) -> Arc<u32> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        sleep(Duration::from_millis(50));
        Arc::new(id)
    }

    let threads = 8;
    let values = within(Duration::from_secs(30), move || {
        let barrier = Barrier::new(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        shared(1)
                    })
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().unwrap()).collect::<Vec<_>>()
        })
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert!(values.iter().all(|value| Arc::ptr_eq(value, &values[0])));
}
