//! Workload 3, hit ratio: every real trace at 0.1%, 1% and 10% of its distinct keys, and the
//! synthetic traces, replayed single-threaded through `get` and, on a miss, `insert`, in a cache
//! of that capacity without expiration. Exact LRU, Belady's optimum and the infinite cache are
//! reference rows; the exact LRU is checked against the hit counts that
//! `shared/traces/README.md` publishes.
//!
//! Hit ratios do not depend on timing, so replays run once, on both cores in parallel.

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

/// A policy: replays a trace at a capacity, returns the hits.
type Replay = fn(&Trace, usize) -> u64;

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

fn replay_sync<C: Contender<Payload>>(trace: &Trace, capacity: usize) -> u64 {
    let cache = C::build(capacity, None);
    let mut hits = 0;
    for &key in &trace.keys {
        if cache.get(key).is_some() {
            hits += 1;
        } else {
            cache.insert(key, Arc::new(Payload::new(key)));
        }
    }
    hits
}

fn replay_async<A: AsyncContender<Payload>>(trace: &Trace, capacity: usize) -> u64 {
    let cache = A::build(capacity, None);
    current_thread_runtime().block_on(async {
        let mut hits = 0;
        for &key in &trace.keys {
            if cache.get(key).await.is_some() {
                hits += 1;
            } else {
                cache.insert(key, Arc::new(Payload::new(key))).await;
            }
        }
        hits
    })
}

fn replay_lru(trace: &Trace, capacity: usize) -> u64 {
    lru_hits(&trace.keys, capacity)
}

fn replay_opt(trace: &Trace, capacity: usize) -> u64 {
    opt_hits(&trace.keys, &next_uses(&trace.keys), capacity)
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

/// Hit ratios of every policy on every configuration: `results[config][policy]`.
pub fn replay_all(
    configs: &[Config],
    policies: &[(&'static str, bool, Replay)],
    threads: usize,
) -> Vec<Vec<f64>> {
    // Largest jobs first, so that the two workers finish together.
    let mut jobs: Vec<(usize, usize)> =
        (0..configs.len()).flat_map(|c| (0..policies.len()).map(move |p| (c, p))).collect();
    jobs.sort_by_key(|&(c, _)| std::cmp::Reverse(configs[c].trace.keys.len()));
    let results = Mutex::new(vec![vec![f64::NAN; policies.len()]; configs.len()]);
    let seconds = Mutex::new(vec![0.0; policies.len()]);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let Some(&(c, p)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) else { return };
                    let config = &configs[c];
                    let began = std::time::Instant::now();
                    let hits = (policies[p].2)(&config.trace, config.capacity);
                    results.lock().unwrap()[c][p] = hits as f64 / config.trace.keys.len() as f64;
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
}

fn summarize(
    configs: &[Config],
    results: &[Vec<f64>],
    policies: &[(&'static str, bool, Replay)],
) -> (Vec<PolicySummary>, f64) {
    // Peers: the real caches other than ptrcache (index 0).
    let best_peer: Vec<f64> = results
        .iter()
        .map(|row| {
            (1..policies.len()).filter(|&p| policies[p].1).map(|p| row[p]).fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let count = configs.len() as f64;
    let summaries = policies
        .iter()
        .enumerate()
        .map(|(p, policy)| {
            let mean = results.iter().map(|row| row[p]).sum::<f64>() / count;
            let (worst, at) = results
                .iter()
                .zip(&best_peer)
                .enumerate()
                .map(|(c, (row, best))| (row[p] - best, c))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .unwrap_or((0.0, 0));
            PolicySummary {
                name: policy.0,
                mean,
                worst_vs_best_peer: worst,
                worst_config: configs.get(at).map(Config::label).unwrap_or_default(),
            }
        })
        .collect();
    (summaries, best_peer.iter().sum::<f64>() / count)
}

fn config_table(
    configs: &[Config],
    results: &[Vec<f64>],
    policies: &[(&'static str, bool, Replay)],
) -> Table {
    let mut headers = vec!["trace @ capacity".to_string()];
    headers.extend(policies.iter().map(|policy| policy.0.to_string()));
    headers.push("best peer".into());
    headers.push("ptrcache − best peer (points)".into());
    let mut table = Table::new(headers);
    for (config, row) in configs.iter().zip(results) {
        let best =
            (1..policies.len()).filter(|&p| policies[p].1).map(|p| row[p]).fold(f64::NEG_INFINITY, f64::max);
        let mut cells = vec![config.label()];
        cells.extend(row.iter().map(|&ratio| pct(ratio)));
        cells.push(pct(best));
        cells.push(format!("{:+.2}", (row[0] - best) * 100.0));
        table.row(cells);
    }
    table
}

fn summary_table(summaries: &[PolicySummary], best_peer_mean: f64) -> Table {
    let mut table = Table::new(vec![
        "policy".into(),
        "mean hit ratio".into(),
        "vs best peer per config: worst (points)".into(),
        "worst at".into(),
    ]);
    for summary in summaries {
        table.row(vec![
            summary.name.to_string(),
            pct(summary.mean),
            format!("{:+.2}", summary.worst_vs_best_peer * 100.0),
            summary.worst_config.clone(),
        ]);
    }
    table.row(vec!["*best peer per config*".into(), pct(best_peer_mean), "0.00".into(), String::new()]);
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
            for (p, &ratio) in row.iter().enumerate() {
                if ratio > row[opt] + 1e-12 {
                    outcome.opt_violations.push(format!("{}: {} above OPT", config.label(), policies[p].0));
                }
            }
        }
        if is_real {
            let lru = policies.iter().position(|policy| policy.0 == "LRU (exact)").expect("LRU row");
            let lru_crate = policies.iter().position(|policy| policy.0 == "lru").expect("lru row");
            for (config, row) in configs.iter().zip(&results) {
                let hits = (row[lru] * config.trace.keys.len() as f64).round() as u64;
                let crate_hits = (row[lru_crate] * config.trace.keys.len() as f64).round() as u64;
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
            outcome.real = summaries;
            outcome.best_peer_mean = best_peer_mean;
        } else {
            outcome.synthetic = summaries;
        }
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
