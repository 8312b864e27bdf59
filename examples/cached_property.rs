//! `#[cached_property]`: a slow method computed once per instance, even when several threads
//! ask at once, and computed again after `take()` empties its field.
//!
//! Run with `cargo run --example cached_property`.

use ptrcache::{PropertyCell, cached_property};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A match history whose win rate takes a slow scan to compute.
#[derive(Debug, Default)]
struct History {
    games: Vec<bool>,
    win_rate: PropertyCell<f64>,
    scans: AtomicU32,
}

impl History {
    /// The share of games won; the body runs on the first call only.
    #[cached_property]
    fn win_rate(&self) -> f64 {
        self.scans.fetch_add(1, Ordering::Relaxed);
        sleep(Duration::from_millis(100)); // the slow part
        let wins = self.games.iter().filter(|&&won| won).count();
        wins as f64 / self.games.len().max(1) as f64
    }
}

fn main() {
    let mut history = History { games: vec![true, false, true, true], ..History::default() };
    println!("before any call the field holds {:?}", history.win_rate);

    let start = Instant::now();
    std::thread::scope(|s| {
        for thread in 0..4 {
            let history = &history;
            s.spawn(move || println!("  thread {thread} reads {:.2}", history.win_rate()));
        }
    });
    let scans = history.scans.load(Ordering::Relaxed);
    println!("4 threads at once took {:.0?}: {scans} scan", start.elapsed());

    let start = Instant::now();
    println!("a later call returns {:.2} in {:?}", history.win_rate(), start.elapsed());

    history.games.push(false);
    history.win_rate.take(); // the games changed: forget the kept value
    let rate = *history.win_rate();
    println!(
        "after take() and a new game: {rate:.2}, {} scans in all",
        history.scans.load(Ordering::Relaxed)
    );
}
