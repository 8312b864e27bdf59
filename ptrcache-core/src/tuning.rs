//! The share of the small queue, tuned by hill climbing on the cache's hit ratio.
//!
//! No fixed split of S3-FIFO's queues suits every workload: recency-heavy traces want a large
//! small queue (closer to LRU), loops and frequency-heavy ones a tiny one, where the frequency
//! filter decides (policy.rs). So the share starts at 2% and moves by steps: at the first insert
//! after each sample of requests (ten times the bound), the sample's hit ratio is compared with
//! the previous one's, and if it fell the direction reverses. Steps decay so that the share
//! settles (down to a floor, so that it still follows slow drifts), turn around at the share's
//! bounds, and restart when the hit ratio jumps (the workload changed).
//! This is Caffeine's climber for the window of its W-TinyLFU, applied to the small queue.
//!
//! Plain std atomics and mutex even under loom: tuning is a heuristic outside the protocol
//! being model-checked, and no model runs long enough to take a step.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The share the small queue starts at, in thousandths. With the frequency filter, a small
/// start does best (replaying the traces of `ptrcache-bench ratio`, means of three runs:
/// synthetic 61.2% from 2%, 60.4% from 10%, 59.5% from 20%; real within 0.1 point of 48.8%
/// for all three).
pub(crate) const START_SHARE: u32 = 20;
const START: f64 = START_SHARE as f64;
/// The smallest and largest shares, in thousandths.
const MIN: f64 = 10.0;
const MAX: f64 = 900.0;
/// The first step, in thousandths, its decay per sample, and its floor.
const STEP: f64 = 62.5;
const DECAY: f64 = 0.98;
const MIN_STEP: f64 = 2.0;
/// A change of the hit ratio this large restarts the steps at full size.
const RESTART: f64 = 0.05;
/// A sample is this many times the bound, and at least `MIN_SAMPLE` requests.
const SAMPLE_PER_ENTRY: u64 = 10;
const MIN_SAMPLE: u64 = 256;

#[derive(Debug)]
pub(crate) struct Tuner {
    /// The small queue's share of each shard, in thousandths.
    share: AtomicU32,
    sample: u64,
    /// A shard offers a step after each `every` of its inserts (a power of two), about four
    /// times per sample of its share of the inserts.
    every: u64,
    /// Offers since the cache was made; one in `gate` (the shard count) gathers the totals.
    offers: AtomicU64,
    gate: u64,
    climb: Mutex<Climb>,
}

#[derive(Debug)]
struct Climb {
    share: f64,
    /// Signed: the direction of the next move.
    step: f64,
    previous_ratio: Option<f64>,
    /// Hits and requests when the sample started.
    hits: u64,
    requests: u64,
}

impl Tuner {
    /// The tuner of a cache of `max_entries` in `shards` shards (a power of two).
    pub(crate) fn new(max_entries: usize, shards: usize) -> Self {
        let sample = (max_entries as u64).saturating_mul(SAMPLE_PER_ENTRY).max(MIN_SAMPLE);
        Tuner {
            share: AtomicU32::new(thousandths(START)),
            sample,
            every: 1 << (sample / (4 * shards as u64)).max(1).ilog2(),
            offers: AtomicU64::new(0),
            gate: shards as u64,
            climb: Mutex::new(Climb { share: START, step: STEP, previous_ratio: None, hits: 0, requests: 0 }),
        }
    }

    /// The small queue's share, in thousandths.
    pub(crate) fn share(&self) -> u32 {
        self.share.load(Ordering::Relaxed)
    }

    /// Whether a shard that has made `inserts` inserts offers a step now. A mask, so that
    /// counting costs no division on the insert path.
    pub(crate) fn is_due(&self, inserts: u64) -> bool {
        inserts & (self.every - 1) == 0
    }

    /// Offers a step: taken if a sample has passed since the last one, and skipped if another
    /// thread is stepping. `totals` gives the cache's hits and requests; it is called on one
    /// offer in `gate` (the cache's shard count), so that the offers of every shard together
    /// gather the stats a few times per sample.
    pub(crate) fn offer(&self, totals: impl FnOnce() -> (u64, u64)) {
        if self.offers.fetch_add(1, Ordering::Relaxed) & (self.gate - 1) != 0 {
            return;
        }
        let Ok(mut climb) = self.climb.try_lock() else { return };
        let (hits, requests) = totals();
        climb.step(hits, requests, self.sample);
        self.share.store(thousandths(climb.share), Ordering::Relaxed);
    }

    /// Starts a new sample at these totals, forgetting the last ratio: after `clear`, the refill
    /// would otherwise look like a fall of the hit ratio and turn the climb around.
    pub(crate) fn restart(&self, (hits, requests): (u64, u64)) {
        let mut climb = self.climb.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        (climb.hits, climb.requests, climb.previous_ratio) = (hits, requests, None);
    }

    /// How many requests a sample takes.
    #[cfg(test)]
    fn sample(&self) -> u64 {
        self.sample
    }
}

impl Climb {
    fn step(&mut self, hits: u64, requests: u64, sample: u64) {
        let done = requests.saturating_sub(self.requests);
        if done < sample {
            return;
        }
        let ratio = fraction(hits.saturating_sub(self.hits), done);
        (self.hits, self.requests) = (hits, requests);
        let Some(previous) = self.previous_ratio.replace(ratio) else { return };
        let change = ratio - previous;
        let amount = if change >= 0.0 { self.step } else { -self.step };
        let share = (self.share + amount).clamp(MIN, MAX);
        self.step = if change.abs() >= RESTART {
            STEP.copysign(amount)
        } else if (share - self.share).abs() < f64::EPSILON {
            // Pushed against a bound: no change to measure next time, which would read as no
            // loss and push again forever. Turn around instead.
            -amount
        } else {
            // Decay, but keep a floor, so that the share still follows a slow drift.
            (amount * DECAY).abs().max(MIN_STEP).copysign(amount)
        };
        self.share = share;
    }
}

/// `part / whole` (`whole > 0`); counts beyond 2^52 lose precision that a ratio does not need.
#[allow(clippy::cast_precision_loss, reason = "a hit ratio needs no more than f64's 52 bits")]
fn fraction(part: u64, whole: u64) -> f64 {
    part as f64 / whole as f64
}

/// A share in [`MIN`, `MAX`] as whole thousandths.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "shares stay within MIN..=MAX, so the integer part fits a u32 and is positive"
)]
fn thousandths(share: f64) -> u32 {
    share as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `samples` samples of a workload whose hit ratio, for a small-queue share, is `ratio`.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "test counts are small and ratios within 0..=1"
    )]
    fn climb(tuner: &Tuner, samples: u64, ratio: impl Fn(f64) -> f64) {
        let (mut hits, mut requests) = (0, 0);
        for _ in 0..samples {
            let share = f64::from(tuner.share());
            requests += tuner.sample();
            hits += (ratio(share) * tuner.sample() as f64) as u64;
            tuner.offer(|| (hits, requests));
        }
    }

    #[test]
    fn the_share_climbs_to_the_best_ratio_and_stays_near_it() {
        for best in [30.0, 250.0, 600.0] {
            let tuner = Tuner::new(1_000, 1);
            climb(&tuner, 400, |share| 0.8 - ((share - best) / 1000.0).powi(2));
            let share = f64::from(tuner.share());
            assert!((share - best).abs() <= 15.0, "settled at {share} thousandths, best is {best}");
        }
    }

    #[test]
    fn the_share_follows_a_slow_drift() {
        let tuner = Tuner::new(1_000, 1);
        climb(&tuner, 300, |share| 0.8 - ((share - 600.0) / 1000.0).powi(2));
        // Then the best share drifts down, too slowly to restart the steps.
        let best = std::cell::Cell::new(600.0_f64);
        climb(&tuner, 800, |share| {
            best.set((best.get() - 0.7).max(40.0));
            0.8 - ((share - best.get()) / 1000.0).powi(2)
        });
        let share = f64::from(tuner.share());
        assert!((share - 40.0).abs() <= 30.0, "stayed at {share} thousandths, best is 40");
    }

    #[test]
    fn the_share_stays_within_its_bounds() {
        for (ratio, bound) in [(1.0_f64, MAX), (-1.0, MIN)] {
            let tuner = Tuner::new(10, 1);
            // The hit ratio grows (or falls) with the share without end.
            climb(&tuner, 200, |share| 0.5 + ratio * share / 2000.0);
            let share = f64::from(tuner.share());
            assert!((share - bound).abs() <= 2.0 * STEP, "share {share}, bound {bound}");
            assert!((MIN..=MAX).contains(&share));
        }
    }

    #[test]
    fn nothing_moves_before_a_sample_has_passed() {
        let tuner = Tuner::new(1_000, 1);
        tuner.offer(|| (0, tuner.sample()));
        tuner.offer(|| (tuner.sample() - 1, 2 * tuner.sample() - 1));
        assert_eq!(tuner.share(), START_SHARE);
    }

    #[test]
    fn a_restart_forgets_the_last_ratio() {
        let tuner = Tuner::new(1_000, 1);
        let sample = tuner.sample();
        tuner.offer(|| (sample, sample)); // every request hit
        tuner.restart((sample, sample));
        // After a clear nothing hits for a while: without the restart, a fall to be turned from.
        tuner.offer(|| (sample, 2 * sample));
        assert_eq!(tuner.share(), START_SHARE);
    }

    #[test]
    fn only_one_offer_in_the_gate_gathers_the_totals() {
        let tuner = Tuner::new(1_000, 8);
        let gathered = std::cell::Cell::new(0);
        for _ in 0..80 {
            tuner.offer(|| {
                gathered.set(gathered.get() + 1);
                (0, 0)
            });
        }
        assert_eq!(gathered.get(), 10);
    }
}
