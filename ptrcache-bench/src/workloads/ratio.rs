//! Workload 3, hit ratio: every real trace at 0.1%, 1% and 10% of its distinct keys, and the
//! synthetic traces, replayed single-threaded through `get` and, on a miss, `insert`, in a cache
//! of that capacity without expiration. Exact LRU, Belady's optimum and the infinite cache are
//! reference rows; the exact LRU is checked against the hit counts that
//! `shared/traces/README.md` publishes.
//!
//! Hit ratios do not depend on timing, so replays run once, on both cores in parallel.
//!
//! Each replay also samples how many entries the cache holds ([`Contender::held`]), at
//! [`HELD_SAMPLES`] points evenly over the trace. moka applies its bound in deferred batches and
//! holds more entries than its capacity in between (2.8× on average at the smallest
//! configuration, cache2k-web12 at 14 entries), so each configuration is also compared with the
//! best peer that stays within its bound ([`BOUND_SLACK`]), beside the best peer of all. That
//! comparison is supplementary: the target is against the best peer of all. Where a peer
//! over its bound beats ptrcache, ptrcache and exact LRU are replayed again with as many entries
//! as that peer held ([`at_peer_size`]), which tells whether its lead is its policy or its size.

use crate::Opts;
use crate::contenders::{
    AsyncContender, CachedLruTtl, Contender, LruMutex, MiniMoka, Moka, MokaFuture, Ptr, Quick,
};
use crate::payload::Payload;
use crate::report::{Table, pct, print_table};
use crate::sim::{lru_hits, next_uses, opt_hits};
use crate::timing::current_thread_runtime;
use crate::traces::{self, FRACTIONS, TRACES};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A policy: replays a trace at a capacity.
type Replay = fn(&Trace, usize) -> Replayed;

/// A peer whose mean occupancy exceeds its capacity by more than this factor is not "within
/// its bound" (quick_cache's shards round the capacity up by a few entries).
pub const BOUND_SLACK: f64 = 1.05;

/// Occupancy samples per replay (at least; up to twice as many on short traces).
pub const HELD_SAMPLES: usize = 256;

/// What one replay found.
#[derive(Clone, Copy, Debug)]
pub struct Replayed {
    /// Requests that hit.
    pub hits: u64,
    /// Entries held, averaged over the [`HELD_SAMPLES`] points of the trace from the first at
    /// which the cache held its capacity (over all of them if it never did).
    pub mean_held: f64,
    /// The most entries held at any of those points.
    pub max_held: usize,
}

impl Replayed {
    /// A replay that held `capacity` entries throughout (the reference policies, which never
    /// hold more by construction).
    fn full(hits: u64, capacity: usize) -> Self {
        Replayed { hits, mean_held: capacity as f64, max_held: capacity }
    }
}

/// One policy on one configuration.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    /// Hits per request.
    pub ratio: f64,
    /// Mean entries held per entry of capacity (see [`Replayed::mean_held`]).
    pub held: f64,
    /// The most entries held at a sample point, per entry of capacity.
    pub max_held: f64,
}

impl Outcome {
    /// Whether the policy kept (about) to its bound.
    pub fn within_bound(&self) -> bool {
        self.held <= BOUND_SLACK
    }
}

/// Samples a cache's occupancy at [`HELD_SAMPLES`] evenly spaced requests of a replay. The
/// mean starts once the cache has held its capacity, so that filling it does not dilute it.
struct Occupancy {
    capacity: usize,
    every: usize,
    /// Sum and count of the samples since the cache first held its capacity.
    full: (usize, usize),
    /// Sum and count of all samples.
    all: (usize, usize),
    max: usize,
}

impl Occupancy {
    fn new(trace: &Trace, capacity: usize) -> Self {
        let every = (trace.keys.len() / HELD_SAMPLES).max(1);
        Occupancy { capacity, every, full: (0, 0), all: (0, 0), max: 0 }
    }

    /// After request `i`: samples `held()` if it is one of the points.
    fn after(&mut self, i: usize, held: impl FnOnce() -> usize) {
        if i % self.every == self.every - 1 {
            let held = held();
            self.max = self.max.max(held);
            self.all = (self.all.0 + held, self.all.1 + 1);
            if self.max >= self.capacity {
                self.full = (self.full.0 + held, self.full.1 + 1);
            }
        }
    }

    fn finish(self, hits: u64) -> Replayed {
        let (sum, count) = if self.full.1 > 0 { self.full } else { self.all };
        Replayed { hits, mean_held: sum as f64 / count.max(1) as f64, max_held: self.max }
    }
}

/// A trace in memory, with its next-use array for OPT (computed on demand).
#[derive(Debug)]
pub struct Trace {
    /// Name in the tables.
    pub name: String,
    /// The requests.
    pub keys: Vec<u64>,
    /// Distinct keys.
    pub distinct: usize,
    /// Whether it is one of the real traces.
    pub real: bool,
}

/// One (trace, capacity) configuration.
#[derive(Debug)]
pub struct Config {
    /// Which trace.
    pub trace: Arc<Trace>,
    /// Capacity in entries.
    pub capacity: usize,
    /// `0.1%`, `1%`, `10%`, or empty for synthetic traces.
    pub fraction: &'static str,
    /// The published exact-LRU hits, for real traces.
    pub published_lru: Option<u64>,
}

impl Config {
    /// `trace @ fraction (capacity)`.
    pub fn label(&self) -> String {
        if self.fraction.is_empty() {
            format!("{} @ {}", self.trace.name, self.capacity)
        } else {
            format!("{} @ {} ({})", self.trace.name, self.fraction, self.capacity)
        }
    }
}

fn replay_sync<C: Contender<Payload>>(trace: &Trace, capacity: usize) -> Replayed {
    let cache = C::build(capacity, None);
    let (mut hits, mut occupancy) = (0, Occupancy::new(trace, capacity));
    for (i, &key) in trace.keys.iter().enumerate() {
        if cache.get(key).is_some() {
            hits += 1;
        } else {
            cache.insert(key, Arc::new(Payload::new(key)));
        }
        occupancy.after(i, || cache.held());
    }
    occupancy.finish(hits)
}

fn replay_async<A: AsyncContender<Payload>>(trace: &Trace, capacity: usize) -> Replayed {
    let cache = A::build(capacity, None);
    current_thread_runtime().block_on(async {
        let (mut hits, mut occupancy) = (0, Occupancy::new(trace, capacity));
        for (i, &key) in trace.keys.iter().enumerate() {
            if cache.get(key).await.is_some() {
                hits += 1;
            } else {
                cache.insert(key, Arc::new(Payload::new(key))).await;
            }
            occupancy.after(i, || cache.held());
        }
        occupancy.finish(hits)
    })
}

fn replay_lru(trace: &Trace, capacity: usize) -> Replayed {
    Replayed::full(lru_hits(&trace.keys, capacity), capacity)
}

fn replay_opt(trace: &Trace, capacity: usize) -> Replayed {
    Replayed::full(opt_hits(&trace.keys, &next_uses(&trace.keys), capacity), capacity)
}

/// The name of moka's async cache, which [`policies`] leaves out unless asked.
pub const MOKA_FUTURE: &str = "moka (future)";

/// The contenders (`true`: a real cache) and references, in table order. `all`: include
/// moka's `future::Cache`, which shares the sync cache's policy (equal hit ratios within
/// ±0.2 points here) and whose replays take minutes.
pub fn policies(all: bool) -> Vec<(&'static str, bool, Replay)> {
    let mut policies: Vec<(&'static str, bool, Replay)> = vec![
        ("ptrcache", true, replay_sync::<Ptr<Payload>>),
        ("quick_cache", true, replay_sync::<Quick<Payload>>),
        ("moka", true, replay_sync::<Moka<Payload>>),
        (MOKA_FUTURE, true, replay_async::<MokaFuture<Payload>>),
        ("mini-moka", true, replay_sync::<MiniMoka<Payload>>),
        ("cached", true, replay_sync::<CachedLruTtl<Payload>>),
        ("lru", true, replay_sync::<LruMutex<Payload>>),
        ("LRU (exact)", false, replay_lru),
        ("OPT (Belady)", false, replay_opt),
    ];
    if !all {
        policies.retain(|policy| policy.0 != MOKA_FUTURE);
    }
    policies
}

/// Hit ratios and occupancy of every policy on every configuration: `results[config][policy]`.
pub fn replay_all(
    configs: &[Config],
    policies: &[(&'static str, bool, Replay)],
    threads: usize,
) -> Vec<Vec<Outcome>> {
    // Largest jobs first, so that the two workers finish together.
    let mut jobs: Vec<(usize, usize)> =
        (0..configs.len()).flat_map(|c| (0..policies.len()).map(move |p| (c, p))).collect();
    jobs.sort_by_key(|&(c, _)| std::cmp::Reverse(configs[c].trace.keys.len()));
    let unset = Outcome { ratio: f64::NAN, held: f64::NAN, max_held: f64::NAN };
    let results = Mutex::new(vec![vec![unset; policies.len()]; configs.len()]);
    let seconds = Mutex::new(vec![0.0; policies.len()]);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let Some(&(c, p)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) else { return };
                    let config = &configs[c];
                    let began = std::time::Instant::now();
                    let replayed = (policies[p].2)(&config.trace, config.capacity);
                    results.lock().unwrap()[c][p] = Outcome {
                        ratio: replayed.hits as f64 / config.trace.keys.len() as f64,
                        held: replayed.mean_held / config.capacity as f64,
                        max_held: replayed.max_held as f64 / config.capacity as f64,
                    };
                    seconds.lock().unwrap()[p] += began.elapsed().as_secs_f64();
                }
            });
        }
    });
    let seconds = seconds.into_inner().unwrap();
    let spent: Vec<String> = policies
        .iter()
        .zip(&seconds)
        .map(|(policy, seconds)| format!("{} {seconds:.1} s", policy.0))
        .collect();
    eprintln!("replay time per policy (CPU seconds): {}", spent.join(", "));
    results.into_inner().unwrap()
}

/// Loads the real traces (all, or the two small ones in a quick run) and makes the configs.
pub fn real_configs(opts: &Opts) -> std::io::Result<Vec<Config>> {
    let dir = traces::trace_dir();
    let infos: Vec<_> = TRACES
        .iter()
        .filter(|info| !opts.quick || matches!(info.name, "cache2k-web12" | "arc-oltp"))
        .collect();
    let loaded: Vec<std::io::Result<Vec<u64>>> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            infos.iter().map(|info| scope.spawn(|| traces::load(&dir, info.name))).collect();
        handles.into_iter().map(|handle| handle.join().expect("trace loader panicked")).collect()
    });
    let mut configs = Vec::new();
    for (info, keys) in infos.iter().zip(loaded) {
        let keys = keys.map_err(|error| {
            std::io::Error::new(error.kind(), format!("{} in {}: {error}", info.name, dir.display()))
        })?;
        assert_eq!(keys.len(), info.requests, "{}: request count differs from the README", info.name);
        let trace = Arc::new(Trace { name: info.name.into(), distinct: info.distinct, keys, real: true });
        for (i, fraction) in FRACTIONS.iter().enumerate() {
            configs.push(Config {
                trace: Arc::clone(&trace),
                capacity: traces::capacity(info.distinct, *fraction),
                fraction: ["0.1%", "1%", "10%"][i],
                published_lru: Some(info.lru_hits[i]),
            });
        }
    }
    Ok(configs)
}

/// The synthetic configurations.
pub fn synthetic_configs(opts: &Opts) -> Vec<Config> {
    let mut configs = Vec::new();
    for synthetic in traces::synthetic(opts.ops(1_000_000)) {
        let distinct = traces::distinct(&synthetic.keys);
        let trace =
            Arc::new(Trace { name: synthetic.name.into(), keys: synthetic.keys, distinct, real: false });
        for capacity in synthetic.capacities {
            configs.push(Config { trace: Arc::clone(&trace), capacity, fraction: "", published_lru: None });
        }
    }
    configs
}

/// The summary of one set of configurations, per policy.
#[derive(Clone, Debug)]
pub struct PolicySummary {
    /// Policy name.
    pub name: &'static str,
    /// Mean hit ratio over the configurations.
    pub mean: f64,
    /// Worst (most negative) difference to the configuration's best peer, in ratio units.
    pub worst_vs_best_peer: f64,
    /// The configuration where that happens.
    pub worst_config: String,
    /// Worst difference to the configuration's best peer within its bound, in ratio units.
    pub worst_vs_bounded_peer: f64,
    /// The configuration where that happens.
    pub worst_bounded_config: String,
}

/// What the workload found, for the caller's summary.
#[derive(Clone, Debug, Default)]
pub struct RatioOutcome {
    /// Per-policy summaries over the real configurations.
    pub real: Vec<PolicySummary>,
    /// Mean over real configurations of the best peer (excluding ptrcache) per configuration.
    pub best_peer_mean: f64,
    /// Per-policy summaries over the synthetic configurations.
    pub synthetic: Vec<PolicySummary>,
    /// Exact-LRU configurations matching the published hit counts, and how many were checked.
    pub lru_exact: (usize, usize),
    /// Configurations where some policy beat OPT (must be empty).
    pub opt_violations: Vec<String>,
    /// Real configurations where a peer held more than its bound allows: (config, peer, its
    /// outcome there).
    pub over_bound: Vec<(String, &'static str, Outcome)>,
    /// Real configurations where a peer over its bound beat ptrcache, replayed again with
    /// ptrcache and exact LRU given the entries that peer held (see [`AtPeerSize`]).
    pub at_peer_size: Vec<AtPeerSize>,
}

/// A peer that beat ptrcache while holding more than its bound, against ptrcache and exact LRU
/// bounded at the peer's mean occupancy: whether the lead comes from the extra entries.
#[derive(Clone, Debug)]
pub struct AtPeerSize {
    /// The configuration's label.
    pub config: String,
    /// The peer.
    pub peer: &'static str,
    /// The peer's hit ratio there.
    pub peer_ratio: f64,
    /// The entries the peer held on average once full (its mean occupancy, rounded).
    pub entries: usize,
    /// ptrcache's hit ratio at its own capacity (the configuration's).
    pub ours: f64,
    /// ptrcache's hit ratio with `entries` as its capacity.
    pub ours_at_size: f64,
    /// Exact LRU's hit ratio with `entries` as its capacity.
    pub lru_at_size: f64,
}

/// The best peer's hit ratio on one configuration: of the real caches other than ptrcache
/// (index 0), all of them or only those `within_bound`; `None` if there is none.
fn best_peer(row: &[Outcome], policies: &[(&'static str, bool, Replay)], within_bound: bool) -> Option<f64> {
    (1..policies.len())
        .filter(|&p| policies[p].1 && (!within_bound || row[p].within_bound()))
        .map(|p| row[p].ratio)
        .max_by(f64::total_cmp)
}

/// The worst difference of `column` to `best` over the configurations that have one, and where.
fn worst(configs: &[Config], results: &[Vec<Outcome>], column: usize, best: &[Option<f64>]) -> (f64, String) {
    let (difference, at) = results
        .iter()
        .zip(best)
        .enumerate()
        .filter_map(|(c, (row, best))| Some((row[column].ratio - (*best)?, c)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or((0.0, 0));
    (difference, configs.get(at).map(Config::label).unwrap_or_default())
}

fn summarize(
    configs: &[Config],
    results: &[Vec<Outcome>],
    policies: &[(&'static str, bool, Replay)],
) -> (Vec<PolicySummary>, f64) {
    let best: Vec<Option<f64>> = results.iter().map(|row| best_peer(row, policies, false)).collect();
    let bounded: Vec<Option<f64>> = results.iter().map(|row| best_peer(row, policies, true)).collect();
    let count = configs.len() as f64;
    let summaries = policies
        .iter()
        .enumerate()
        .map(|(p, policy)| {
            let (worst_vs_best_peer, worst_config) = worst(configs, results, p, &best);
            let (worst_vs_bounded_peer, worst_bounded_config) = worst(configs, results, p, &bounded);
            PolicySummary {
                name: policy.0,
                mean: results.iter().map(|row| row[p].ratio).sum::<f64>() / count,
                worst_vs_best_peer,
                worst_config,
                worst_vs_bounded_peer,
                worst_bounded_config,
            }
        })
        .collect();
    (summaries, best.iter().flatten().sum::<f64>() / count)
}

/// The peers of a configuration over their bound.
fn over_bound(row: &[Outcome], policies: &[(&'static str, bool, Replay)]) -> Vec<(&'static str, Outcome)> {
    (1..policies.len())
        .filter(|&p| policies[p].1 && !row[p].within_bound())
        .map(|p| (policies[p].0, row[p]))
        .collect()
}

/// `moka 2.77× (max 5.14×)`.
fn show_over(name: &str, outcome: &Outcome) -> String {
    format!("{name} {:.2}× (max {:.2}×)", outcome.held, outcome.max_held)
}

/// A best-peer cell and ptrcache's difference to it, or dashes.
fn best_cells(ours: f64, best: Option<f64>) -> [String; 2] {
    match best {
        Some(best) => [pct(best), format!("{:+.2}", (ours - best) * 100.0)],
        None => ["—".into(), "—".into()],
    }
}

fn config_table(
    configs: &[Config],
    results: &[Vec<Outcome>],
    policies: &[(&'static str, bool, Replay)],
) -> Table {
    let mut headers = vec!["trace @ capacity".to_string()];
    headers.extend(policies.iter().map(|policy| policy.0.to_string()));
    headers.extend(
        [
            "best peer",
            "ptrcache − best peer (points)",
            "peers over their bound (entries held ÷ capacity: mean once full, max)",
            "best peer within its bound",
            "ptrcache − best peer within its bound (points)",
        ]
        .map(String::from),
    );
    let mut table = Table::new(headers);
    for (config, row) in configs.iter().zip(results) {
        let (best, bounded) = (best_peer(row, policies, false), best_peer(row, policies, true));
        let over: Vec<String> =
            over_bound(row, policies).iter().map(|(name, outcome)| show_over(name, outcome)).collect();
        let mut cells = vec![config.label()];
        cells.extend(row.iter().map(|outcome| pct(outcome.ratio)));
        cells.extend(best_cells(row[0].ratio, best));
        cells.push(if over.is_empty() { "none".into() } else { over.join(", ") });
        cells.extend(best_cells(row[0].ratio, bounded));
        table.row(cells);
    }
    table
}

fn summary_table(summaries: &[PolicySummary], best_peer_mean: f64) -> Table {
    let mut table = Table::new(
        [
            "policy",
            "mean hit ratio",
            "vs best peer per config: worst (points)",
            "worst at",
            "vs best peer within its bound: worst (points)",
            "worst at",
        ]
        .map(String::from)
        .to_vec(),
    );
    for summary in summaries {
        table.row(vec![
            summary.name.to_string(),
            pct(summary.mean),
            format!("{:+.2}", summary.worst_vs_best_peer * 100.0),
            summary.worst_config.clone(),
            format!("{:+.2}", summary.worst_vs_bounded_peer * 100.0),
            summary.worst_bounded_config.clone(),
        ]);
    }
    table
        .row(["*best peer per config*", &pct(best_peer_mean), "0.00", "", "", ""].map(String::from).to_vec());
    table
}

/// Replays ptrcache and exact LRU, bounded at the mean occupancy of each peer that held more
/// than its bound and beat ptrcache, on that peer's configuration (in parallel). `policies`
/// must start with ptrcache, as [`policies`] does.
pub fn at_peer_size(
    configs: &[Config],
    results: &[Vec<Outcome>],
    policies: &[(&'static str, bool, Replay)],
) -> Vec<AtPeerSize> {
    let cases: Vec<(&Config, &'static str, Outcome, f64)> = configs
        .iter()
        .zip(results)
        .flat_map(|(config, row)| {
            over_bound(row, policies)
                .into_iter()
                .filter(|(_, over)| over.ratio > row[0].ratio)
                .map(move |(name, over)| (config, name, over, row[0].ratio))
        })
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|&(config, peer, over, ours)| {
                scope.spawn(move || {
                    let entries = (over.held * config.capacity as f64).round() as usize;
                    let ratio = |replay: Replay| {
                        replay(&config.trace, entries).hits as f64 / config.trace.keys.len() as f64
                    };
                    AtPeerSize {
                        config: config.label(),
                        peer,
                        peer_ratio: over.ratio,
                        entries,
                        ours,
                        ours_at_size: ratio(replay_sync::<Ptr<Payload>>),
                        lru_at_size: ratio(replay_lru),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().expect("replay panicked")).collect()
    })
}

fn at_peer_size_table(rows: &[AtPeerSize]) -> Table {
    let mut table = Table::new(
        [
            "trace @ capacity",
            "peer",
            "peer's hit ratio",
            "entries the peer held (mean once full)",
            "ptrcache at the capacity",
            "ptrcache at the peer's entries",
            "exact LRU at the peer's entries",
            "ptrcache at the peer's entries − peer (points)",
        ]
        .map(String::from)
        .to_vec(),
    );
    for row in rows {
        table.row(vec![
            row.config.clone(),
            row.peer.to_string(),
            pct(row.peer_ratio),
            row.entries.to_string(),
            pct(row.ours),
            pct(row.ours_at_size),
            pct(row.lru_at_size),
            format!("{:+.2}", (row.ours_at_size - row.peer_ratio) * 100.0),
        ]);
    }
    table
}

/// Runs the workload and prints its tables.
pub fn run(opts: &Opts) -> std::io::Result<RatioOutcome> {
    let policies = policies(opts.all_contenders);
    let real = real_configs(opts)?;
    let synthetic = synthetic_configs(opts);
    let mut outcome = RatioOutcome::default();
    for (configs, is_real) in [(&real, true), (&synthetic, false)] {
        let results = replay_all(configs, &policies, 2);
        let what = if is_real { "real traces" } else { "synthetic traces" };
        print_table(
            &format!("### Hit ratio per configuration, {what}"),
            &config_table(configs, &results, &policies),
        );
        let (summaries, best_peer_mean) = summarize(configs, &results, &policies);
        print_table(
            &format!("### Hit ratio summary, {what} ({} configurations)", configs.len()),
            &summary_table(&summaries, best_peer_mean),
        );
        let opt = policies.iter().position(|policy| policy.0 == "OPT (Belady)").expect("OPT row");
        for (config, row) in configs.iter().zip(&results) {
            for (p, replayed) in row.iter().enumerate() {
                if replayed.ratio > row[opt].ratio + 1e-12 {
                    outcome.opt_violations.push(format!("{}: {} above OPT", config.label(), policies[p].0));
                }
            }
        }
        if is_real {
            let lru = policies.iter().position(|policy| policy.0 == "LRU (exact)").expect("LRU row");
            let lru_crate = policies.iter().position(|policy| policy.0 == "lru").expect("lru row");
            for (config, row) in configs.iter().zip(&results) {
                let hits = (row[lru].ratio * config.trace.keys.len() as f64).round() as u64;
                let crate_hits = (row[lru_crate].ratio * config.trace.keys.len() as f64).round() as u64;
                outcome.lru_exact.1 += 1;
                if Some(hits) == config.published_lru && crate_hits == hits {
                    outcome.lru_exact.0 += 1;
                } else {
                    eprintln!(
                        "warning: LRU of {} gives {hits} hits (lru crate {crate_hits}), README says {:?}",
                        config.label(),
                        config.published_lru
                    );
                }
            }
            for (config, row) in configs.iter().zip(&results) {
                for (name, over) in over_bound(row, &policies) {
                    outcome.over_bound.push((config.label(), name, over));
                }
            }
            outcome.at_peer_size = at_peer_size(configs, &results, &policies);
            if !outcome.at_peer_size.is_empty() {
                print_table(
                    "### Peers over their bound that beat ptrcache, against ptrcache and exact LRU at the \
                     peer's size",
                    &at_peer_size_table(&outcome.at_peer_size),
                );
            }
            outcome.real = summaries;
            outcome.best_peer_mean = best_peer_mean;
        } else {
            outcome.synthetic = summaries;
        }
    }
    if !outcome.over_bound.is_empty() {
        let over: Vec<String> = outcome
            .over_bound
            .iter()
            .map(|(config, name, outcome)| format!("{} at {config}", show_over(name, outcome)))
            .collect();
        println!(
            "Peers holding more than {BOUND_SLACK}× their capacity on average once full (mean and \
             max of {HELD_SAMPLES} samples per replay): {}.\n",
            over.join("; ")
        );
    }
    println!(
        "Checks: exact LRU (and the `lru` crate) reproduce the README's hit counts on {}/{} real configurations; \
         policies above OPT: {}.\n",
        outcome.lru_exact.0,
        outcome.lru_exact.1,
        if outcome.opt_violations.is_empty() {
            "none".to_string()
        } else {
            outcome.opt_violations.join("; ")
        }
    );
    Ok(outcome)
}
