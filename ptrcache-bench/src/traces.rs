//! The real traces of `shared/traces` (gzip, one `u64` per line) and their published figures,
//! plus the synthetic traces of the hit-ratio workload.

use crate::rng::{SplitMix64, Zipf, key_of};
use flate2::read::GzDecoder;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

/// The capacities of the hit-ratio workload, as fractions of a trace's distinct keys.
pub const FRACTIONS: [f64; 3] = [0.001, 0.01, 0.1];

/// A real trace and the figures that `shared/traces/README.md` publishes for it.
#[derive(Clone, Copy, Debug)]
pub struct TraceInfo {
    /// File name without `.keys.gz`.
    pub name: &'static str,
    /// Requests in the trace.
    pub requests: usize,
    /// Distinct keys.
    pub distinct: usize,
    /// Exact LRU hits at each of [`FRACTIONS`] of the distinct keys.
    pub lru_hits: [u64; 3],
}

/// The six real traces, in the README's order.
pub const TRACES: [TraceInfo; 6] = [
    TraceInfo {
        name: "arc-oltp",
        requests: 914_145,
        distinct: 186_880,
        lru_hits: [125_877, 380_653, 608_101],
    },
    TraceInfo { name: "arc-p3", requests: 3_912_296, distinct: 762_543, lru_hits: [36_910, 62_270, 657_527] },
    TraceInfo {
        name: "cache2k-orm-busy",
        requests: 5_000_000,
        distinct: 76_349,
        lru_hits: [2_509_575, 3_851_698, 4_400_401],
    },
    TraceInfo {
        name: "cache2k-web12",
        requests: 95_607,
        distinct: 13_756,
        lru_hits: [16_170, 38_043, 65_483],
    },
    TraceInfo {
        name: "scarab-recs",
        requests: 1_245_184,
        distinct: 258_368,
        lru_hits: [227_325, 432_205, 754_547],
    },
    TraceInfo {
        name: "cloudphysics-w106",
        requests: 5_292_456,
        distinct: 275_171,
        lru_hits: [3_617_543, 4_222_887, 4_857_017],
    },
];

/// The capacity for `fraction` of `distinct` keys: `round(fraction * distinct)`, as the README.
pub fn capacity(distinct: usize, fraction: f64) -> usize {
    (fraction * distinct as f64).round() as usize
}

/// Where the traces are: `$PTRCACHE_TRACES`, else `shared/traces` beside the repository.
pub fn trace_dir() -> PathBuf {
    match std::env::var_os("PTRCACHE_TRACES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/traces"),
    }
}

/// Reads `dir/NAME.keys.gz` into memory.
pub fn load(dir: &Path, name: &str) -> io::Result<Vec<u64>> {
    let file = std::fs::File::open(dir.join(format!("{name}.keys.gz")))?;
    let mut reader = BufReader::with_capacity(1 << 16, GzDecoder::new(file));
    let mut keys = Vec::new();
    let mut line = Vec::with_capacity(32);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(keys);
        }
        let digits = line.strip_suffix(b"\n").unwrap_or(&line);
        let key = digits.iter().try_fold(0u64, |acc, &byte| {
            let digit = byte.wrapping_sub(b'0');
            (digit < 10).then_some(())?;
            acc.checked_mul(10)?.checked_add(u64::from(digit))
        });
        match key {
            Some(key) if !digits.is_empty() => keys.push(key),
            _ => {
                let text = String::from_utf8_lossy(digits);
                return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{name}: bad key {text:?}")));
            }
        }
    }
}

/// The number of distinct keys in `trace`.
pub fn distinct(trace: &[u64]) -> usize {
    let mut seen: std::collections::HashSet<u64, foldhash::fast::RandomState> = Default::default();
    trace.iter().filter(|&&key| seen.insert(key)).count()
}

/// A synthetic trace and the capacities it is replayed at.
#[derive(Clone, Debug)]
pub struct Synthetic {
    /// Name in the tables.
    pub name: &'static str,
    /// The requests.
    pub keys: Vec<u64>,
    /// Capacities to replay at.
    pub capacities: Vec<usize>,
}

/// The synthetic traces: Zipf 0.99 and 0.8 (100k keys), a Zipf hot set cut by one-time scans,
/// and a loop slightly larger than the cache. `requests` per trace (1M in a full run).
pub fn synthetic(requests: usize) -> Vec<Synthetic> {
    let zipf = |theta: f64, seed: u64| Zipf::new(100_000, theta).keys(requests, seed);
    // 80% Zipf 0.99 over 10k hot keys; every 100k requests a scan of 20k never-seen keys.
    let scan = {
        let hot = Zipf::new(10_000, 0.99);
        let mut rng = SplitMix64::new(3);
        let mut next_cold = 1u64 << 40;
        let mut keys = Vec::with_capacity(requests);
        while keys.len() < requests {
            for _ in 0..80_000 {
                keys.push(key_of(hot.sample(&mut rng)));
            }
            for _ in 0..20_000 {
                keys.push(key_of(next_cold));
                next_cold += 1;
            }
        }
        keys.truncate(requests);
        keys
    };
    // A loop over 10k keys: LRU and FIFO hit nothing below 10k entries, OPT keeps a fixed part.
    let looped: Vec<u64> = (0..requests as u64).map(|i| key_of(i % 10_000)).collect();
    vec![
        Synthetic { name: "zipf-0.99", keys: zipf(0.99, 1), capacities: vec![1_000, 10_000] },
        Synthetic { name: "zipf-0.8", keys: zipf(0.8, 2), capacities: vec![1_000, 10_000] },
        Synthetic { name: "scan", keys: scan, capacities: vec![1_000, 5_000] },
        Synthetic { name: "loop", keys: looped, capacities: vec![5_000, 9_000] },
    ]
}
