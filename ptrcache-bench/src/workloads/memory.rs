//! Workload 4, memory: heap bytes per entry beyond the payload and its `Arc` block, for 1M
//! entries, and allocations per entry. Needs the counting allocator of `ptrcache-bench-alloc`.
//!
//! The 1M values (`Arc<Payload>`, 80-byte blocks) are made first; each cache, built with
//! capacity 1M and no expiration, then gets a clone of every `Arc`, so everything it allocates
//! is its own overhead (keys included). Bytes are the sizes requested from the allocator
//! (malloc's own rounding and headers are not counted). "Live blocks" are allocations still
//! alive after the fill; "allocations" also count the ones freed again (table growth).
//!
//! Then, on the full cache, get-or-insert misses (fresh keys, each evicting an entry): a tenth
//! of the entries, and at least [`MIN_MISSES`] so that every shard of a small cache evicts too.
//! Allocations per miss, the value's own `Arc` included (1 for a cache that allocates nothing
//! else on a miss), and the bytes per entry again once every shard has evicted (ptrcache
//! allocates its frequency sketch at a shard's first eviction): the steady state, though a
//! cache whose table grows by doubling shows where that growth fell.
//!
//! The same table at 5,000 entries, the original's default bound, shows what fixed costs (shard
//! headers, a small shard's sketch) weigh in a small cache.

use super::HeapProbe;
use crate::Opts;
use crate::contenders::{
    Blocking, CachedLruTtl, Contender, Dash, Hash, LruMutex, MiniMoka, Moka, MokaFuture, Ptr, Quick,
    warm_blocking_runtime,
};
use crate::payload::Payload;
use crate::report::{Table, print_table};
use crate::rng::key_of;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

/// One contender's figures.
#[derive(Clone, Debug)]
pub struct MemoryRow {
    /// Contender.
    pub name: &'static str,
    /// Entries held after the fill.
    pub len: usize,
    /// Bytes of the empty cache (capacity 1M).
    pub empty_bytes: i64,
    /// Overhead bytes per held entry after the fill.
    pub bytes_per_entry: f64,
    /// Allocations alive per entry after the fill.
    pub blocks_per_entry: f64,
    /// Allocations made during the fill per entry.
    pub allocs_per_entry: f64,
    /// Allocations per get-or-insert miss on the full cache (the value's `Arc` included).
    pub allocs_per_miss: f64,
    /// Overhead bytes per held entry after those misses (the new values' `Arc` blocks not
    /// counted).
    pub bytes_per_entry_after_misses: f64,
    /// Bytes still allocated after dropping the cache (should be 0).
    pub leaked: i64,
}

fn measure<C: Contender<Payload>>(
    name: &'static str,
    values: &[Arc<Payload>],
    probe: &dyn HeapProbe,
) -> MemoryRow {
    let (base_bytes, base_blocks) = (probe.live_bytes(), probe.live_blocks());
    let cache = C::build(values.len(), None);
    let empty_bytes = probe.live_bytes() - base_bytes;
    let allocs_before = probe.allocations();
    for value in values {
        cache.insert(value.key(), Arc::clone(value));
    }
    cache.settle();
    let len = cache.len();
    let (bytes, blocks) = (probe.live_bytes() - base_bytes, probe.live_blocks() - base_blocks);
    let allocations = probe.allocations() - allocs_before;
    let misses = (values.len() / 10).max(MIN_MISSES);
    let allocs_before = probe.allocations();
    for i in 0..misses as u64 {
        let key = key_of((1 << 48) + i);
        drop(cache.get_or_insert_with(key, || Payload::new(key)));
    }
    let allocs_per_miss = (probe.allocations() - allocs_before) as f64 / misses as f64;
    cache.settle();
    let (bytes_after_misses, len_after) = (probe.live_bytes() - base_bytes, cache.held());
    // The values made by the misses that the cache still holds are payload, not overhead.
    let new_held = (0..misses as u64).filter(|&i| cache.get(key_of((1 << 48) + i)).is_some()).count();
    let payload_bytes = new_held * std::mem::size_of::<(AtomicUsize, AtomicUsize, Payload)>();
    drop(cache);
    let per = |total: f64| total / len.max(1) as f64;
    MemoryRow {
        name,
        len,
        empty_bytes,
        bytes_per_entry: per(bytes as f64),
        blocks_per_entry: per(blocks as f64),
        allocs_per_entry: per(allocations as f64),
        allocs_per_miss,
        bytes_per_entry_after_misses: (bytes_after_misses as f64 - payload_bytes as f64)
            / len_after.max(1) as f64,
        leaked: probe.live_bytes() - base_bytes,
    }
}

/// Get-or-insert misses on the full cache, at least: 20 per shard of ptrcache's most (256).
pub const MIN_MISSES: usize = 5_120;

/// The original's default bound, for the small-cache table.
pub const DEFAULT_ENTRIES: usize = 5_000;

/// Measures every contender at 1M entries and at [`DEFAULT_ENTRIES`], and prints the tables;
/// returns the 1M rows.
pub fn run(opts: &Opts, probe: &dyn HeapProbe) -> Vec<MemoryRow> {
    warm_blocking_runtime();
    let rows = table(opts.ops(1_000_000), probe);
    table(DEFAULT_ENTRIES, probe);
    rows
}

/// Measures every contender with `entries` entries and prints the table.
fn table(entries: usize, probe: &dyn HeapProbe) -> Vec<MemoryRow> {
    let values: Vec<Arc<Payload>> = (0..entries as u64).map(|i| Arc::new(Payload::new(key_of(i)))).collect();
    let rows = vec![
        measure::<Ptr<Payload>>("ptrcache", &values, probe),
        measure::<Quick<Payload>>("quick_cache", &values, probe),
        measure::<Moka<Payload>>("moka", &values, probe),
        measure::<Blocking<MokaFuture<Payload>>>("moka (future)", &values, probe),
        measure::<MiniMoka<Payload>>("mini-moka", &values, probe),
        measure::<CachedLruTtl<Payload>>("cached (LruTtlCache)", &values, probe),
        measure::<LruMutex<Payload>>("lru", &values, probe),
        measure::<Dash<Payload>>("*dashmap (no eviction, foldhash)*", &values, probe),
        measure::<Hash<Payload>>("*HashMap (foldhash)*", &values, probe),
    ];
    let quick = rows.iter().find(|row| row.name == "quick_cache").map(|row| row.bytes_per_entry);
    let mut table = Table::new(
        [
            "contender",
            "entries held",
            "bytes/entry beyond payload",
            "× quick_cache",
            "live blocks/entry",
            "allocations/entry during fill",
            "allocations per get-or-insert miss (full cache)",
            "bytes/entry after the misses",
            "empty cache (KiB)",
            "left after drop (B)",
        ]
        .map(String::from)
        .to_vec(),
    );
    for row in &rows {
        table.row(vec![
            row.name.to_string(),
            row.len.to_string(),
            format!("{:.1}", row.bytes_per_entry),
            quick.map_or("—".into(), |quick| format!("{:.2}", row.bytes_per_entry / quick)),
            format!("{:.3}", row.blocks_per_entry),
            format!("{:.3}", row.allocs_per_entry),
            format!("{:.2}", row.allocs_per_miss),
            format!("{:.1}", row.bytes_per_entry_after_misses),
            format!("{:.1}", row.empty_bytes as f64 / 1024.0),
            row.leaked.to_string(),
        ]);
    }
    print_table(
        &format!(
            "### Memory, {entries} entries (u64 key, Arc<Payload> value; the 80-byte Arc block is not counted; lower is better)"
        ),
        &table,
    );
    rows
}
