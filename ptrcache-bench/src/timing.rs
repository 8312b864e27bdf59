//! Running a measurement on one or more threads that start together.

use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Runs `prepare(i)` on each of `threads` threads, then, all together behind a barrier,
/// `run(i, prepared)`, timing each thread's `run`. Returns the slowest thread's time (the wall
/// time of the parallel part) and the results in thread order.
pub fn parallel<P, R, Prep, Run>(threads: usize, prepare: Prep, run: Run) -> (Duration, Vec<R>)
where
    R: Send,
    Prep: Fn(usize) -> P + Sync,
    Run: Fn(usize, P) -> R + Sync,
{
    let barrier = Barrier::new(threads);
    let outcomes: Vec<(Duration, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|index| {
                let (barrier, prepare, run) = (&barrier, &prepare, &run);
                scope.spawn(move || {
                    let prepared = prepare(index);
                    barrier.wait();
                    let start = Instant::now();
                    let result = run(index, prepared);
                    (start.elapsed(), result)
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().expect("benchmark thread panicked")).collect()
    });
    let wall = outcomes.iter().map(|(time, _)| *time).max().unwrap_or_default();
    (wall, outcomes.into_iter().map(|(_, result)| result).collect())
}

/// Runs `run` on the current thread and times it.
pub fn single<R>(run: impl FnOnce() -> R) -> (Duration, R) {
    let start = Instant::now();
    let result = run();
    (start.elapsed(), result)
}

/// A current-thread tokio runtime, for driving async contenders from one thread.
pub fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime")
}

/// The order of `count` contenders in round `round`: rotated each round, so that no contender
/// always runs first (on a warm or a cold machine).
pub fn round_order(count: usize, round: usize) -> Vec<usize> {
    (0..count).map(|i| (i + round) % count.max(1)).collect()
}

/// The 1-, 5- and 15-minute load averages, as printed by `uptime`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// How many operations make a measurement of about `target` on one thread, from a pilot run:
/// `pilot(n)` runs `n` operations and returns their time. Clamped to `min..=max`, so that fast
/// and slow contenders are each measured for about the same time on a noisy machine.
pub fn calibrate(
    target: Duration,
    min: usize,
    max: usize,
    mut pilot: impl FnMut(usize) -> Duration,
) -> usize {
    const PILOT_OPS: usize = 20_000;
    pilot(PILOT_OPS); // warm up caches and branch predictors
    let per_op = pilot(PILOT_OPS).as_secs_f64() / PILOT_OPS as f64;
    let ops = (target.as_secs_f64() / per_op.max(1e-10)) as usize;
    ops.clamp(min, max)
}
