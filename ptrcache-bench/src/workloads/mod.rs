//! The workloads of issue 6. Each prints markdown tables; `run` functions take [`Opts`](crate::Opts).
//!
//! Timed workloads build a list of [`Runner`]s, one per contender, and [`rounds`] runs them back
//! to back, in a rotated order each round, so that every contender sees the same machine state
//! as often as the others. Only the memory and expiry workloads need the counting allocator;
//! they live in [`memory`] and [`expiry`] and run in the `ptrcache-bench-alloc` binary.

pub mod expiry;
pub mod getorinsert;
pub mod hit;
pub mod memo;
pub mod memory;
pub mod ratio;
pub mod stampede;

use crate::contenders::Kind;
use std::time::Duration;

/// ptrcache's default expiration, which its main rows run with, as users get it (peers have
/// none; a `never_expire` reference row beside them shows what the expiry check costs).
pub const DEFAULT_EXP: Duration = Duration::from_secs(3 * 60 * 60);
use crate::report::{Measured, Summary};
use crate::timing::round_order;

/// The counting allocator's figures, read by the memory and expiry workloads (the allocator
/// itself lives in the `ptrcache-bench-alloc` binary, so that it never runs under the timing
/// workloads).
pub trait HeapProbe {
    /// Bytes currently allocated.
    fn live_bytes(&self) -> i64;
    /// Allocations currently alive.
    fn live_blocks(&self) -> i64;
    /// Allocations made so far.
    fn allocations(&self) -> u64;
}

/// One measurement: the figure and an optional second one (e.g. the hit ratio).
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// The main figure (ns per op, Mops/s, ms).
    pub figure: f64,
    /// A secondary figure, summarized by its median.
    pub aux: Option<f64>,
}

impl Sample {
    /// A sample without a secondary figure.
    pub fn new(figure: f64) -> Self {
        Sample { figure, aux: None }
    }
}

/// Runs one measurement with the workload's arguments.
pub type RunFn<'a, A> = Box<dyn Fn(&A) -> Option<Sample> + 'a>;

/// A contender's measurement in one configuration (`None`: not applicable, e.g. a
/// single-threaded reference on two threads).
pub struct Runner<'a, A> {
    /// Row label.
    pub name: String,
    /// Real cache or reference.
    pub kind: Kind,
    /// Runs one measurement.
    pub run: RunFn<'a, A>,
}

impl<A> std::fmt::Debug for Runner<'_, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner").field("name", &self.name).finish_non_exhaustive()
    }
}

impl<'a, A> Runner<'a, A> {
    /// The same runner as a reference row: shown, but never the "best real" cache.
    #[must_use]
    pub fn as_reference(self) -> Self {
        Runner { kind: Kind::Reference, ..self }
    }

    /// A runner named `name`.
    pub fn new(name: impl Into<String>, kind: Kind, run: impl Fn(&A) -> Option<Sample> + 'a) -> Self {
        Runner { name: name.into(), kind, run: Box::new(run) }
    }
}

/// Runs every runner `count` times, back to back in a rotated order, and returns one
/// [`Measured`] per applicable runner; `aux` summaries are formatted by `show_aux` into `extra`.
pub fn rounds<A>(
    count: usize,
    runners: &[Runner<'_, A>],
    args: &A,
    show_aux: impl Fn(Summary) -> String,
) -> Vec<Measured> {
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); runners.len()];
    for round in 0..count {
        for index in round_order(runners.len(), round) {
            if let Some(sample) = (runners[index].run)(args) {
                samples[index].push(sample);
            }
        }
    }
    runners
        .iter()
        .zip(samples)
        .filter(|(_, samples)| !samples.is_empty())
        .map(|(runner, samples)| {
            let aux: Vec<f64> = samples.iter().filter_map(|sample| sample.aux).collect();
            let aux = (!aux.is_empty()).then(|| Summary::of(&aux));
            Measured {
                name: runner.name.clone(),
                kind: runner.kind,
                samples: samples.iter().map(|sample| sample.figure).collect(),
                extra: aux.map(&show_aux).into_iter().collect(),
                aux,
            }
        })
        .collect()
}
