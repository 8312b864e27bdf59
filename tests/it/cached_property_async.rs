//! `#[cached_property]` on `async fn`, and `AsyncPropertyCell` itself.

use ptrcache::{AsyncPropertyCell, cached_property};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A user whose profile takes a (simulated) network round trip to load.
#[derive(Debug, Default)]
struct User {
    id: u32,
    profile: AsyncPropertyCell<String>,
    loads: AtomicUsize,
}

impl User {
    fn new(id: u32) -> Self {
        User { id, ..User::default() }
    }

    #[cached_property]
    async fn profile(&self) -> String {
        self.loads.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        format!("profile of #{}", self.id)
    }

    fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn body_runs_once_per_instance() {
    let user = User::new(1);
    let first: &String = user.profile().await;
    let second = user.profile().await;
    assert_eq!(first, "profile of #1");
    assert!(std::ptr::eq(first, second), "both calls must return the kept value");
    assert_eq!(user.loads(), 1);

    let other = User::new(2);
    assert_eq!(other.profile().await, "profile of #2");
    assert_eq!(other.loads(), 1, "another instance computes its own value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_access_from_tasks_computes_once() {
    const TASKS: usize = 64;
    let user = Arc::new(User::new(3));
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (user, barrier) = (Arc::clone(&user), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                std::ptr::from_ref(user.profile().await).addr()
            })
        })
        .collect();
    let mut addresses = Vec::new();
    for task in tasks {
        addresses
            .push(tokio::time::timeout(Duration::from_secs(10), task).await.expect("a task hung").unwrap());
    }
    assert!(addresses.windows(2).all(|w| w[0] == w[1]), "every task must read the same value");
    assert_eq!(user.loads(), 1);
}

/// Its body panics on the first call only.
#[derive(Default)]
struct Flaky {
    calls: AtomicUsize,
    value: AsyncPropertyCell<u32>,
}

impl Flaky {
    #[cached_property]
    async fn value(&self) -> u32 {
        tokio::task::yield_now().await;
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("the first computation fails");
        }
        7
    }
}

#[tokio::test]
async fn panicking_body_leaves_the_cell_empty_and_the_next_call_retries() {
    let flaky = Arc::new(Flaky::default());
    let task = tokio::spawn({
        let flaky = Arc::clone(&flaky);
        async move { *flaky.value().await }
    });
    assert!(task.await.expect_err("the first call panics").is_panic());
    assert_eq!(flaky.value.get(), None, "a panic must store nothing");
    assert_eq!(*flaky.value().await, 7);
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn cancelled_first_access_leaves_the_cell_empty_and_the_next_call_retries() {
    let user = User::new(4);
    let cancelled = tokio::time::timeout(Duration::from_millis(1), user.profile()).await;
    assert!(cancelled.is_err(), "the 20 ms body cannot finish in 1 ms");
    assert_eq!(user.profile.get(), None, "a dropped future must store nothing");
    assert_eq!(user.profile().await, "profile of #4");
    assert_eq!(user.loads(), 2);
}

#[tokio::test]
async fn take_invalidates_and_get_peeks_without_computing() {
    let mut user = User::new(5);
    assert_eq!(user.profile.get(), None);
    assert_eq!(user.loads(), 0, "get must not compute");
    user.profile().await;
    assert_eq!(user.profile.get().map(String::as_str), Some("profile of #5"));
    user.id = 6;
    assert_eq!(user.profile.take().as_deref(), Some("profile of #5"));
    assert_eq!(user.profile().await, "profile of #6");
    assert_eq!(user.loads(), 2);
}

#[tokio::test]
async fn clone_of_a_cell_clones_the_value() {
    let cell = AsyncPropertyCell::new();
    let original = cell.get_or_init(|| async { vec![1, 2, 3] }).await;
    let copy = cell.clone();
    assert_eq!(copy.get(), Some(&vec![1, 2, 3]));
    assert!(!std::ptr::eq(copy.get().unwrap(), original), "a clone owns its own copy");
    assert_eq!(format!("{copy:?}"), "AsyncPropertyCell([1, 2, 3])");
    assert_eq!(format!("{:?}", AsyncPropertyCell::<u8>::new()), "AsyncPropertyCell(<empty>)");
}

#[tokio::test]
async fn return_and_question_mark_in_the_body_keep_their_meaning() {
    #[derive(Default)]
    struct Config {
        raw: &'static str,
        port: AsyncPropertyCell<Result<u16, std::num::ParseIntError>>,
    }
    impl Config {
        #[cached_property]
        async fn port(&self) -> Result<u16, std::num::ParseIntError> {
            if self.raw.is_empty() {
                return Ok(80);
            }
            let port = self.raw.parse::<u16>()?;
            Ok(port + 1)
        }
    }

    assert_eq!(*Config::default().port().await, Ok(80));
    assert_eq!(*Config { raw: "8079", ..Config::default() }.port().await, Ok(8080));
    assert!(Config { raw: "http", ..Config::default() }.port().await.is_err());
}

#[test]
fn structs_and_futures_stay_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<User>();
    send_sync::<AsyncPropertyCell<Vec<String>>>();
    let user = User::new(7);
    send(&user.profile());
}

#[tokio::test]
async fn the_bodys_value_is_coerced_to_the_return_type_as_in_a_plain_async_fn() {
    type Hook = Box<dyn Fn() -> u32 + Send + Sync>;
    #[derive(Default)]
    struct Plugin {
        base: u32,
        hook: AsyncPropertyCell<Hook>,
    }
    impl Plugin {
        #[cached_property]
        async fn hook(&self) -> Hook {
            let base = self.base;
            tokio::task::yield_now().await;
            Box::new(move || base + 1) // a `Box<closure>`, coerced to the `Box<dyn Fn>`
        }
    }

    let plugin = Plugin { base: 41, ..Plugin::default() };
    assert_eq!((plugin.hook().await)(), 42);
    assert!(std::ptr::eq(plugin.hook().await, plugin.hook().await));
}
