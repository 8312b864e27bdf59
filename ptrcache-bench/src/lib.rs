//! The benchmark suite of ptrcache (issue 6): ptrcache against quick_cache, moka, mini-moka,
//! cached, lru, and the reference maps `HashMap` and dashmap.
//!
//! The binaries `ptrcache-bench` (timing and hit-ratio workloads) and `ptrcache-bench-alloc`
//! (memory and expiry, under a counting global allocator) print markdown tables; see the
//! crate's README for the workloads and how to run them. This library holds what they share,
//! so that the smoke tests can drive the same code.

pub mod cli;
pub mod contenders;
pub mod payload;
pub mod report;
pub mod rng;
pub mod sim;
pub mod summary;
pub mod targets;
pub mod timing;
pub mod traces;
pub mod workloads;

/// Options shared by every workload.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    /// Smoke run: fewer rounds, fewer operations, fewer traces.
    pub quick: bool,
    /// Rounds of each timed measurement (contenders run back to back in every round); `None`:
    /// each workload's default.
    pub rounds: Option<usize>,
    /// Also run the contenders left out by default to save time (moka (future) in the hit-ratio
    /// workload: it shares moka's policy and its replays take minutes).
    pub all_contenders: bool,
}

impl Opts {
    /// The defaults for a full or a quick run.
    pub fn new(quick: bool) -> Self {
        Opts { quick, rounds: None, all_contenders: false }
    }

    /// The rounds to run: the `--rounds` given, else `full` (2 in a quick run).
    pub fn rounds(&self, full: usize) -> usize {
        self.rounds.unwrap_or(if self.quick { 2 } else { full })
    }

    /// `full` operations, or a tenth of them in a quick run.
    pub fn ops(&self, full: usize) -> usize {
        if self.quick { full / 10 } else { full }
    }
}
