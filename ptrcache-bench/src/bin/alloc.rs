//! `ptrcache-bench-alloc`: the memory and expiry workloads of issue 6, under a counting global
//! allocator (kept out of the timing binary so that it never distorts a timing).

use ptrcache_bench::workloads::{self, HeapProbe};
use ptrcache_bench::{cli, report, targets};
use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

const USAGE: &str = "usage: ptrcache-bench-alloc [memory|expiry|all] [--quick]";

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static LIVE_BLOCKS: AtomicI64 = AtomicI64::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting requested bytes, live blocks and allocations.
struct Counting;

#[allow(unsafe_code, reason = "a global allocator is an `unsafe impl`; every call forwards to `System`")]
// SAFETY: each method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters are plain atomics and never touch the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's `layout` contract is passed on unchanged.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            counted(layout.size() as i64, 1);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            counted(layout.size() as i64, 1);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through this allocator) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller checks `new_size`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            counted(new_size as i64 - layout.size() as i64, 0);
        }
        new
    }
}

fn counted(bytes: i64, blocks: i64) {
    LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed);
    LIVE_BLOCKS.fetch_add(blocks, Ordering::Relaxed);
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Probe;

impl HeapProbe for Probe {
    fn live_bytes(&self) -> i64 {
        LIVE_BYTES.load(Ordering::Relaxed)
    }
    fn live_blocks(&self) -> i64 {
        LIVE_BLOCKS.load(Ordering::Relaxed)
    }
    fn allocations(&self) -> u64 {
        ALLOCATIONS.load(Ordering::Relaxed)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let header = !args.iter().any(|arg| arg == "--no-header");
    let args = args.into_iter().filter(|arg| arg != "--no-header");
    let cli = match cli::parse(args, &["memory", "expiry"], USAGE) {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    if header {
        cli::print_header("ptrcache-bench-alloc", &cli);
    }
    let mut goals = Vec::new();
    for workload in &cli.workloads {
        match workload.as_str() {
            "memory" => goals.extend(targets::memory(&workloads::memory::run(&cli.opts, &Probe))),
            "expiry" => goals.extend(targets::expiry(&workloads::expiry::run(&cli.opts, &Probe))),
            _ => unreachable!("parse accepts only known workloads"),
        }
    }
    report::print_table(
        &format!("#### Targets of issue 6 ({})", cli.workloads.join(", ")),
        &targets::table(&goals),
    );
    if header {
        cli::print_footer(start);
    }
    ExitCode::SUCCESS
}
