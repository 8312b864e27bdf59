//! `#[cached_property]` on sync methods, and `PropertyCell` itself.

use crate::util::{DropCounted, within};
use ptrcache::{PropertyCell, cached_property};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// A circle that counts how often its area was computed.
#[derive(Debug, Default)]
struct Circle {
    r: f64,
    area: PropertyCell<f64>,
    computed: AtomicUsize,
}

impl Circle {
    fn new(r: f64) -> Self {
        Circle { r, ..Circle::default() }
    }

    #[cached_property]
    fn area(&self) -> f64 {
        self.computed.fetch_add(1, Ordering::SeqCst);
        std::f64::consts::PI * self.r * self.r
    }

    fn computed(&self) -> usize {
        self.computed.load(Ordering::SeqCst)
    }
}

#[test]
fn body_runs_once_per_instance() {
    let circle = Circle::new(2.0);
    let first: &f64 = circle.area();
    let second = circle.area();
    assert_eq!(*first, 4.0 * std::f64::consts::PI);
    assert!(std::ptr::eq(first, second), "both calls must return the kept value");
    assert_eq!(circle.computed(), 1);
}

#[test]
fn each_instance_computes_its_own_value() {
    let small = Circle::new(1.0);
    let big = Circle::new(10.0);
    assert_eq!(*small.area(), std::f64::consts::PI);
    assert_eq!(*big.area(), 100.0 * std::f64::consts::PI);
    assert_eq!((small.computed(), big.computed()), (1, 1));
}

#[test]
fn concurrent_first_access_from_threads_computes_once() {
    const THREADS: usize = 8;
    /// A body slow enough that every thread arrives while it runs.
    #[derive(Default)]
    struct Slow {
        runs: AtomicUsize,
        value: PropertyCell<String>,
    }
    impl Slow {
        #[cached_property]
        fn value(&self) -> String {
            self.runs.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            "computed".to_string()
        }
    }

    let runs = within(Duration::from_secs(10), || {
        let slow = Slow::default();
        let barrier = Barrier::new(THREADS);
        let addresses: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        std::ptr::from_ref(slow.value()).addr()
                    })
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().unwrap()).collect()
        });
        assert!(addresses.windows(2).all(|w| w[0] == w[1]), "every thread must read the same value");
        slow.runs.load(Ordering::SeqCst)
    });
    assert_eq!(runs, 1);
}

/// Its body panics on the first call only.
#[derive(Default)]
struct Flaky {
    calls: AtomicUsize,
    value: PropertyCell<u32>,
}

impl Flaky {
    #[cached_property]
    fn value(&self) -> u32 {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("the first computation fails");
        }
        7
    }
}

#[test]
fn panicking_body_leaves_the_cell_empty_and_the_next_call_retries() {
    let flaky = Flaky::default();
    let panic = catch_unwind(AssertUnwindSafe(|| *flaky.value())).expect_err("the first call panics");
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"the first computation fails"));
    assert_eq!(flaky.value.get(), None, "a panic must store nothing");
    assert_eq!(*flaky.value(), 7);
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 2);
}

#[test]
fn take_invalidates_and_the_next_access_recomputes() {
    let mut circle = Circle::new(1.0);
    circle.area();
    circle.r = 2.0;
    assert_eq!(*circle.area(), std::f64::consts::PI, "still the kept value");
    assert_eq!(circle.area.take(), Some(std::f64::consts::PI));
    assert_eq!(circle.area.take(), None);
    assert_eq!(*circle.area(), 4.0 * std::f64::consts::PI);
    assert_eq!(circle.computed(), 2);
}

#[test]
fn get_peeks_without_computing() {
    let circle = Circle::new(1.0);
    assert_eq!(circle.area.get(), None);
    assert_eq!(circle.computed(), 0);
    let area = circle.area();
    assert_eq!(circle.area.get(), Some(area));
    assert_eq!(circle.computed(), 1);
}

#[test]
fn clone_of_a_cell_clones_the_value() {
    #[derive(Clone, Default)]
    struct Named {
        calls: Arc<AtomicUsize>,
        label: PropertyCell<String>,
    }
    impl Named {
        #[cached_property]
        fn label(&self) -> String {
            self.calls.fetch_add(1, Ordering::SeqCst);
            "label".to_string()
        }
    }

    let named = Named::default();
    let empty_copy = named.clone();
    assert_eq!(empty_copy.label.get(), None);
    let original = named.label();
    let copy = named.clone();
    assert_eq!(copy.label.get().map(String::as_str), Some("label"));
    assert!(!std::ptr::eq(copy.label(), original), "a clone owns its own copy of the value");
    assert_eq!(named.calls.load(Ordering::SeqCst), 1, "the clone must not recompute");
    empty_copy.label();
    assert_eq!(named.calls.load(Ordering::SeqCst), 2, "an empty clone computes its own");
}

#[test]
fn kept_value_is_dropped_once_with_the_instance_or_when_taken() {
    struct Holder {
        drops: Arc<AtomicUsize>,
        value: PropertyCell<DropCounted>,
    }
    impl Holder {
        #[cached_property]
        fn value(&self) -> DropCounted {
            DropCounted::new(1, &self.drops)
        }
    }

    let drops = Arc::new(AtomicUsize::new(0));
    let mut holder = Holder { drops: Arc::clone(&drops), value: PropertyCell::new() };
    assert_eq!(holder.value().id, 1);
    holder.value();
    let taken = holder.value.take().expect("the value was kept");
    assert_eq!(drops.load(Ordering::SeqCst), 0, "take hands the value back, it does not drop it");
    drop(taken);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    holder.value();
    drop(holder);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn return_and_question_mark_in_the_body_keep_their_meaning() {
    #[derive(Default)]
    struct Config {
        raw: &'static str,
        port: PropertyCell<Result<u16, std::num::ParseIntError>>,
    }
    impl Config {
        #[cached_property]
        fn port(&self) -> Result<u16, std::num::ParseIntError> {
            if self.raw.is_empty() {
                return Ok(80);
            }
            let port = self.raw.trim().parse::<u16>()?;
            Ok(port + 1)
        }
    }

    assert_eq!(*Config { raw: "", ..Config::default() }.port(), Ok(80));
    assert_eq!(*Config { raw: " 8079 ", ..Config::default() }.port(), Ok(8080));
    assert!(Config { raw: "http", ..Config::default() }.port().is_err(), "`?` returned the error");
}

#[test]
fn field_option_names_another_field() {
    #[derive(Default)]
    struct Text {
        body: &'static str,
        words_cache: PropertyCell<usize>,
    }
    impl Text {
        #[cached_property(field = words_cache)]
        fn words(&self) -> usize {
            self.body.split_whitespace().count()
        }
    }
    struct Pair(u32, PropertyCell<u32>);
    impl Pair {
        #[cached_property(field = 1)]
        fn doubled(&self) -> u32 {
            self.0 * 2
        }
    }

    let text = Text { body: "a cached property", ..Text::default() };
    assert_eq!(*text.words(), 3);
    assert_eq!(text.words_cache.get(), Some(&3));
    let pair = Pair(21, PropertyCell::new());
    assert_eq!(*pair.doubled(), 42);
    assert_eq!(pair.1.get(), Some(&42));
}

#[test]
fn body_can_read_other_properties() {
    #[derive(Default)]
    struct Square {
        side: u64,
        area: PropertyCell<u64>,
        volume: PropertyCell<u64>,
    }
    impl Square {
        #[cached_property]
        fn area(&self) -> u64 {
            self.side * self.side
        }
        #[cached_property]
        fn volume(&self) -> u64 {
            self.area() * self.side
        }
    }

    let square = Square { side: 3, ..Square::default() };
    assert_eq!(*square.volume(), 27);
    assert_eq!(square.area.get(), Some(&9));
}

#[test]
fn body_that_reads_its_own_property_panics_instead_of_deadlocking() {
    #[derive(Default)]
    struct Loop {
        value: PropertyCell<u32>,
    }
    impl Loop {
        #[cached_property]
        fn value(&self) -> u32 {
            *self.value() + 1
        }
    }

    let message = within(Duration::from_secs(10), || {
        let looping = Loop::default();
        let panic = catch_unwind(AssertUnwindSafe(|| *looping.value())).expect_err("recursion must panic");
        assert_eq!(looping.value.get(), None);
        panic.downcast_ref::<&str>().map(|message| message.to_string())
    });
    assert!(message.is_some_and(|message| message.contains("asked for the same property")));
}

/// Methods whose attributes and visibility must survive the expansion.
mod kept {
    use ptrcache::{PropertyCell, cached_property};

    #[derive(Default)]
    pub(crate) struct Flags {
        pub(crate) value: PropertyCell<u32>,
        pub(crate) name: PropertyCell<&'static str>,
    }

    impl Flags {
        /// Doc comments stay on the method.
        #[cached_property]
        #[must_use]
        #[inline]
        pub(crate) fn name(&self) -> &'static str {
            "flags"
        }

        // If `cfg` were dropped, these two would be duplicate definitions.
        #[cached_property]
        #[cfg(not(test))]
        pub(crate) fn value(&self) -> u32 {
            1
        }

        #[cached_property]
        #[cfg(test)]
        pub(crate) fn value(&self) -> u32 {
            2
        }
    }
}

#[test]
fn attributes_and_visibility_are_kept() {
    let flags = kept::Flags::default();
    assert_eq!(*flags.name(), "flags");
    assert_eq!(*flags.value(), 2, "the `cfg(test)` method is the one compiled");
}

#[test]
fn structs_with_property_cells_stay_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Circle>();
    send_sync::<Flaky>();
    send_sync::<PropertyCell<Vec<String>>>();
}
