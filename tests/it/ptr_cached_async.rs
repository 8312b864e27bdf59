//! `#[ptr_cached]` on `async fn`: single flight across tasks, `Err` not cached, the shared
//! pointer. Each test memoizes its own function.

use ptrcache::ptr_cached;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_time().build().unwrap()
}

#[test]
fn concurrent_tasks_run_the_body_once() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    async fn summoner(region: &str, name: &str) -> Arc<String> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        Arc::new(format!("{name}@{region}"))
    }

    let tasks = 64;
    let values = runtime().block_on(async move {
        let barrier = Arc::new(tokio::sync::Barrier::new(tasks));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    summoner("euw", "faker").await
                })
            })
            .collect();
        let mut values = Vec::new();
        for handle in handles {
            values.push(tokio::time::timeout(Duration::from_secs(30), handle).await.unwrap().unwrap());
        }
        values
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert!(values.iter().all(|value| Arc::ptr_eq(value, &values[0])));
    assert_eq!(*values[0], "faker@euw");
    assert!(summoner_cache().remove(&("euw".to_string(), "faker".to_string())).is_some());
}

#[test]
fn err_is_not_cached_and_the_next_call_retries() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached]
    async fn flaky(id: u32) -> Result<String, String> {
        tokio::task::yield_now().await;
        match RUNS.fetch_add(1, Ordering::SeqCst) {
            0 => Err("timeout".to_string()),
            _ => Ok(format!("#{id}")),
        }
    }

    runtime().block_on(async {
        assert_eq!(flaky(1).await, Err("timeout".to_string()));
        assert!(flaky_cache().is_empty());
        assert_eq!(flaky(1).await, Ok("#1".to_string()));
        assert_eq!(flaky(1).await, Ok("#1".to_string()));
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}

#[test]
fn ok_arc_is_the_cached_pointer_and_question_mark_works() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[ptr_cached(exp = "10m")]
    async fn parse(text: &str) -> Result<Arc<u64>, std::num::ParseIntError> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        Ok(Arc::new(text.parse()?))
    }

    runtime().block_on(async {
        assert!(parse("x").await.is_err());
        let first = parse("7").await.unwrap();
        assert!(Arc::ptr_eq(&first, &parse("7").await.unwrap()));
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}

#[test]
fn the_future_is_send() {
    #[ptr_cached]
    async fn value(id: u32) -> u32 {
        id
    }

    fn assert_send<T: Send>(value: T) -> T {
        value
    }
    assert_eq!(runtime().block_on(assert_send(value(3))), 3);
}
