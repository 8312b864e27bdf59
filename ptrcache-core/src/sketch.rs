//! How often a shard has seen each key lately: a count-min sketch of 4-bit counters, the
//! frequency filter of TinyLFU (Einziger, Friedman and Manes, ACM TOS 2017). The policy asks
//! it whether a newcomer leaving the small queue has been seen clearly more often than the
//! main queue's next victim, and keeps the newcomer only then (see policy.rs).
//!
//! Counted: every insertion of a key the shard does not hold, and the hits of held entries as
//! the policy meets them (the credits it spends). Never the hit itself: a hit writes nothing
//! shared (PERF-NOTES), so hits reach the sketch late and at most three at a time, which is
//! enough to tell a popular entry from a newcomer. After [`SAMPLE_PER_ENTRY`] counts per entry
//! of the shard, every counter is halved, so popularity fades; so is the count of counts, so
//! later halvings come every half of that.
//!
//! A key's four counters lie in four words of one 64-byte block, so a count or an estimate
//! reads one cache line. The sketch has four counters per entry of the shard (2 bytes, what the
//! ghost table it replaced took) in shards of 1,024 entries or more; smaller shards get up to
//! 32 per entry (16 bytes) within 4,096 counters (2 KiB): a small shard sees as many distinct
//! keys per sample as a large one, in fewer counters (replaying the traces of `ptrcache-bench
//! ratio`: 4 per entry at every size lost 1.5 points of synthetic mean). A full default cache
//! (5,000 entries, 64 shards on 2 cores) holds 80 KiB of sketch. It is allocated when the shard
//! first evicts and freed when the shard compacts or is cleared, so a cache that never fills
//! never pays for it.
//!
//! Only counting reads the counters. The estimate a count leaves is kept in the entry as a
//! [`Seen`] (in what was padding), with the number of halvings so far, and the policy compares
//! two keys by their `Seen`s, which [`Sketch::recall`] brings up to date by halving them as often
//! as the counters were halved since: the two entries are read for the comparison anyway, while
//! their sketch blocks rarely are in the L1 cache. Against reading the counters, 1M get-or-inserts
//! at Zipf 0.8 over 1M keys into 100k entries ran 4% fewer instructions and 9% fewer L1 misses
//! in the cache's code (cachegrind), with hit ratios within the spread of earlier runs
//! (`ptrcache-bench ratio`: 48.80% real-trace mean, 61.23% synthetic, against 48.64–48.88% and
//! 61.02–61.33% over thirteen runs before). What a recalled estimate leaves out is what keys sharing
//! a counter added since its own last count (a count-min sketch's error, which it does not
//! carry). When the sketch is freed, the entries' estimates go with it.

/// Counts per entry of the shard before the first halving of every counter (later ones come
/// every half of that: a halving halves the count of counts too).
const SAMPLE_PER_ENTRY: u64 = 100;

/// Counters per entry of the shard, at least.
const COUNTERS_PER_ENTRY: usize = 4;

/// Counters per entry of small shards, until the sketch has [`SMALL_SHARD_COUNTERS`].
const SMALL_SHARD_COUNTERS_PER_ENTRY: usize = 32;

/// Counters below which small shards get [`SMALL_SHARD_COUNTERS_PER_ENTRY`].
const SMALL_SHARD_COUNTERS: usize = 4_096;

/// Words of a block: a 64-byte cache line.
const BLOCK_WORDS: usize = 8;

/// 4-bit counters per word.
const COUNTERS_PER_WORD: usize = 16;

/// The largest count.
const MAX_COUNT: u64 = 15;

/// Words after the blocks: the counts since the last halving, and the halvings so far.
const TAIL_WORDS: usize = 2;

/// Bits of a [`Seen`] that hold the estimate; the others count halvings (modulo 4,096).
const SEEN_COUNT_BITS: u32 = 4;

/// The estimate's bits in a [`Seen`].
const SEEN_COUNT_MASK: u16 = (1 << SEEN_COUNT_BITS) - 1;

/// The halvings' bits in a [`Seen`], shifted down.
const SEEN_EPOCH_MASK: u16 = u16::MAX >> SEEN_COUNT_BITS;

/// A key's estimate as its last count left it, and when: see the module docs. Halvings are
/// kept modulo 4,096, so an entry not counted for 4,096 halvings (about 205,000 counts per entry
/// of the shard) may be taken for as frequent as it was, until one of its hits is counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Seen(u16);

#[derive(Debug, Default)]
pub(crate) struct Sketch {
    /// Blocks of [`BLOCK_WORDS`] words, then [`TAIL_WORDS`]: the counts since the last halving
    /// and the halvings so far (in the same allocation: a separate field would pad the shard past
    /// 256 bytes). Empty until the shard first evicts.
    words: Box<[u64]>,
}

impl Sketch {
    /// Counts one sighting of the key with table hash `hash`, in a shard of `capacity` entries,
    /// and returns the key's estimate after it. Nothing is counted before the sketch is
    /// allocated (the estimate is then 0).
    pub(crate) fn count(&mut self, hash: u64, capacity: usize) -> Seen {
        let Some((start, counters)) = self.locate(hash) else { return Seen::default() };
        let block: &mut [u64; BLOCK_WORDS] =
            (&mut self.words[start..start + BLOCK_WORDS]).try_into().expect("a whole block");
        let least = least(block, counters);
        if least < MAX_COUNT {
            // Conservative update: only the counters at the minimum grow, which keeps the
            // estimates of keys that share counters with frequent ones from inflating. Each is
            // read again: two rows may share a counter, which must then grow once. Without a
            // branch: which counters are at the minimum is random, and branching on it was
            // mispredicted 0.9M times in 1M get-or-inserts at Zipf 0.8 (callgrind's branch
            // simulation), a quarter of all their mispredictions.
            for (word, shift) in counters {
                let at_least = (block[word] >> shift) & MAX_COUNT == least;
                block[word] += u64::from(at_least) << shift;
            }
        }
        let estimate = (least + 1).min(MAX_COUNT);
        let seen = self.seen(estimate);
        let [additions, _] = self.tail_mut();
        *additions += 1;
        if *additions >= sample(capacity) {
            self.halve();
        }
        seen
    }

    /// A [`Seen`]'s estimate now: halved once per halving of the counters since (0 to 15).
    pub(crate) fn recall(&self, seen: Seen) -> u64 {
        if !self.is_allocated() {
            return 0;
        }
        let since = self.epoch().wrapping_sub(seen.0 >> SEEN_COUNT_BITS) & SEEN_EPOCH_MASK;
        u64::from(seen.0 & SEEN_COUNT_MASK).checked_shr(u32::from(since)).unwrap_or(0)
    }

    /// How often the key with table hash `hash` was counted lately (0 to 15, an overestimate).
    #[cfg(test)]
    pub(crate) fn frequency(&self, hash: u64) -> u64 {
        let Some((start, counters)) = self.locate(hash) else { return 0 };
        least(self.words[start..start + BLOCK_WORDS].try_into().expect("a whole block"), counters)
    }

    /// Allocates the counters for a shard of `capacity` entries, if they are not yet.
    pub(crate) fn allocate(&mut self, capacity: usize) {
        if self.words.is_empty() {
            self.words = vec![0; words(capacity) + TAIL_WORDS].into_boxed_slice();
        }
    }

    /// Whether the counters are allocated.
    pub(crate) fn is_allocated(&self) -> bool {
        !self.words.is_empty()
    }

    /// Frees the counters, forgetting every count.
    pub(crate) fn free(&mut self) {
        *self = Sketch::default();
    }

    /// The size in words, the tail included (0 while unallocated).
    #[cfg(test)]
    pub(crate) fn allocated_words(&self) -> usize {
        self.words.len()
    }

    /// Where the key's four counters are: the first word of its block, chosen by the high half
    /// of a remix of the hash, and in the block a (word, bit shift) from each of the low four
    /// bytes. `None` while the sketch is unallocated. Offsets within the block (not into the
    /// whole sketch) let the compiler drop the bounds checks of the four reads.
    #[inline]
    fn locate(&self, hash: u64) -> Option<(usize, [(usize, u32); 4])> {
        let blocks = (self.words.len() / BLOCK_WORDS) as u64; // the tail is not a block
        if blocks == 0 {
            return None;
        }
        let mixed = (hash ^ (hash >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        // Multiply-shift maps the 32 high bits onto the blocks without a division or a power of
        // two, so the sketch is sized to the entry.
        #[allow(clippy::cast_possible_truncation, reason = "below the block count, a `usize`")]
        let start = (((mixed >> 32) * blocks) >> 32) as usize * BLOCK_WORDS;
        Some((
            start,
            std::array::from_fn(|row| {
                #[allow(clippy::cast_possible_truncation, reason = "one byte of the hash is wanted")]
                let byte = (mixed >> (8 * row)) as u8;
                (usize::from(byte) % BLOCK_WORDS, u32::from(byte >> 3 & 15) * 4)
            }),
        ))
    }

    /// The counts since the last halving and the halvings so far.
    fn tail_mut(&mut self) -> &mut [u64; TAIL_WORDS] {
        let start = self.words.len() - TAIL_WORDS;
        (&mut self.words[start..]).try_into().expect("allocated")
    }

    /// The halvings so far, modulo 4,096 once in a [`Seen`] (0 while unallocated).
    fn epoch(&self) -> u16 {
        #[allow(clippy::cast_possible_truncation, reason = "a `Seen` keeps halvings modulo 4,096")]
        self.words.last().map_or(0, |&halvings| halvings as u16)
    }

    /// A [`Seen`] of `estimate` now.
    fn seen(&self, estimate: u64) -> Seen {
        #[allow(clippy::cast_possible_truncation, reason = "a 4-bit estimate")]
        Seen((self.epoch() << SEEN_COUNT_BITS) | estimate as u16)
    }

    fn halve(&mut self) {
        let start = self.words.len() - TAIL_WORDS;
        for word in &mut self.words[..start] {
            *word = (*word >> 1) & 0x7777_7777_7777_7777;
        }
        let [additions, halvings] = self.tail_mut();
        *additions /= 2;
        *halvings += 1;
    }
}

/// The least of a key's four counters in its block.
#[inline]
fn least(block: &[u64; BLOCK_WORDS], counters: [(usize, u32); 4]) -> u64 {
    counters.iter().fold(MAX_COUNT, |least, &(word, shift)| least.min((block[word] >> shift) & MAX_COUNT))
}

/// Counts between two halvings, for a shard of `capacity` entries.
fn sample(capacity: usize) -> u64 {
    (capacity.max(16) as u64).saturating_mul(SAMPLE_PER_ENTRY)
}

/// The counters' size in words for a shard of `capacity` entries: whole blocks, at least one.
fn words(capacity: usize) -> usize {
    let counters = capacity
        .saturating_mul(COUNTERS_PER_ENTRY)
        .max(capacity.saturating_mul(SMALL_SHARD_COUNTERS_PER_ENTRY).min(SMALL_SHARD_COUNTERS));
    let blocks = counters.div_ceil(COUNTERS_PER_WORD * BLOCK_WORDS).max(1);
    blocks.saturating_mul(BLOCK_WORDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(key: u64) -> u64 {
        key.wrapping_mul(0x2545_F491_4F6C_DD1D).rotate_left(17)
    }

    /// Counts keys from `others` until the counters have been halved `halvings` times.
    fn count_others_until(
        sketch: &mut Sketch,
        capacity: usize,
        others: &mut impl Iterator<Item = u64>,
        halvings: u64,
    ) {
        while sketch.tail_mut()[1] < halvings {
            sketch.count(hash(others.next().expect("endless")), capacity);
        }
    }

    fn allocated(capacity: usize) -> Sketch {
        let mut sketch = Sketch::default();
        sketch.allocate(capacity);
        sketch
    }

    #[test]
    fn takes_two_bytes_per_entry_in_large_shards_and_more_in_small_ones() {
        assert_eq!(words(1_000_000) * 8, 2_000_000);
        assert_eq!(words(100) * 8 / 100, 32 / 2);
        assert_eq!(words(1_000) * 8, 4_096 / 2);
        assert_eq!(words(0), BLOCK_WORDS);
        assert!(words(usize::MAX) > 0);
    }

    #[test]
    fn counts_nothing_until_allocated_and_forgets_when_freed() {
        let mut sketch = Sketch::default();
        sketch.count(hash(1), 100);
        assert_eq!(sketch.frequency(hash(1)), 0);
        sketch.allocate(100);
        for _ in 0..3 {
            sketch.count(hash(1), 100);
        }
        assert_eq!(sketch.frequency(hash(1)), 3);
        sketch.free();
        assert_eq!((sketch.frequency(hash(1)), sketch.words.len()), (0, 0));
    }

    /// Whether the four rows use four different counters.
    fn distinct(counters: &[(usize, u32); 4]) -> bool {
        (0..4).all(|i| (0..i).all(|j| counters[i] != counters[j]))
    }

    /// The values of the key's four counters, row by row.
    fn counters_of(sketch: &Sketch, hash: u64) -> [u64; 4] {
        let (start, counters) = sketch.locate(hash).expect("allocated");
        counters.map(|(word, shift)| (sketch.words[start + word] >> shift) & MAX_COUNT)
    }

    #[test]
    fn only_the_counters_at_the_minimum_grow_and_a_shared_one_grows_once() {
        let capacity = 1_000;
        let mut sketch = allocated(capacity);
        // A key two of whose rows share a counter: one count makes it 1, not 2.
        let twice = (0..10_000)
            .map(hash)
            .find(|&hash| {
                let (_, counters) = sketch.locate(hash).expect("allocated");
                counters[0] == counters[1]
            })
            .expect("some hash maps two rows to one counter");
        sketch.count(twice, capacity);
        assert_eq!(counters_of(&sketch, twice)[..2], [1, 1]);
        assert_eq!(sketch.frequency(twice), 1);
        // Two keys in one block that share exactly one counter: after three counts of the
        // first, a count of the second grows its three counters at 0 and not the shared one.
        let counted_block = sketch.locate(twice).expect("allocated").0;
        let (first, second) = (0..100)
            .map(hash)
            .find_map(|first| {
                let (block, ours) = sketch.locate(first).expect("allocated");
                if !distinct(&ours) || block == counted_block {
                    return None;
                }
                (0..20_000)
                    .map(|n| hash(n + 1_000_000))
                    .find(|&second| {
                        let (other_block, theirs) = sketch.locate(second).expect("allocated");
                        other_block == block
                            && distinct(&theirs)
                            && theirs.iter().filter(|counter| ours.contains(counter)).count() == 1
                            && theirs[0] == ours[0]
                    })
                    .map(|second| (first, second))
            })
            .expect("two keys sharing one counter");
        for _ in 0..3 {
            sketch.count(first, capacity);
        }
        assert_eq!(counters_of(&sketch, second), [3, 0, 0, 0]);
        sketch.count(second, capacity);
        assert_eq!(counters_of(&sketch, second), [3, 1, 1, 1], "the shared counter is above the minimum");
        assert_eq!(counters_of(&sketch, first), [3, 3, 3, 3]);
        assert_eq!(sketch.frequency(second), 1);
    }

    #[test]
    fn tells_frequent_keys_from_rare_ones_among_many() {
        let capacity = 1_000;
        let mut sketch = allocated(capacity);
        // 50 keys seen 10 times each among 2,000 keys seen once: less than one sample.
        for round in 0..10 {
            for key in 0..50 {
                sketch.count(hash(key), capacity);
            }
            for key in 0..200 {
                sketch.count(hash(1_000 + round * 200 + key), capacity);
            }
        }
        let frequent = (0..50).filter(|&key| sketch.frequency(hash(key)) >= 10).count();
        let rare = (1_000..3_000).filter(|&key| sketch.frequency(hash(key)) >= 3).count();
        assert_eq!(frequent, 50, "a count-min sketch never underestimates before a halving");
        assert!(rare < 20, "{rare} of 2,000 keys seen once look frequent");
    }

    #[test]
    fn saturates_at_fifteen_and_halves_after_a_sample() {
        let capacity = 16;
        let mut sketch = allocated(capacity);
        for _ in 0..20 {
            sketch.count(hash(7), capacity);
        }
        assert_eq!(sketch.frequency(hash(7)), 15);
        // The sample is 1,600 counts: the other keys' counts bring on the halving.
        for key in 0..(sample(capacity) - 20) {
            sketch.count(hash(100 + key), capacity);
        }
        assert!(sketch.frequency(hash(7)) <= 8, "not halved: {}", sketch.frequency(hash(7)));
        assert!(sketch.tail_mut()[0] < sample(capacity));
    }

    #[test]
    fn a_recalled_estimate_is_the_count_it_returned_halved_as_often_as_the_counters() {
        let capacity = 16;
        let mut sketch = allocated(capacity);
        let mut seen = Seen::default();
        for expected in 1..=15 {
            seen = sketch.count(hash(7), capacity);
            assert_eq!(sketch.recall(seen), expected);
        }
        let saturated = sketch.count(hash(7), capacity);
        assert_eq!(sketch.recall(saturated), 15);
        let mut others = 100..;
        for halvings in 1..=5 {
            count_others_until(&mut sketch, capacity, &mut others, halvings);
            // Other keys may share a counter with key 7 and inflate what the sketch says, never
            // what was recalled.
            assert_eq!(sketch.recall(seen), 15 >> halvings);
            assert!(sketch.frequency(hash(7)) >= sketch.recall(seen));
        }
        assert_eq!(Sketch::default().recall(seen), 0, "an unallocated sketch knows nothing");
        // A `Seen` taken after halvings is halved only by the later ones.
        let late = sketch.count(hash(8), capacity);
        assert_eq!(sketch.recall(late), sketch.frequency(hash(8)));
        let estimate = sketch.recall(late);
        count_others_until(&mut sketch, capacity, &mut others, 7);
        assert_eq!(sketch.recall(late), estimate >> 2);
        assert_eq!(Sketch::default().count(hash(7), capacity), Seen::default());
    }

    #[test]
    fn a_count_that_brings_on_a_halving_returns_the_estimate_before_it_and_recalls_it_halved() {
        let capacity = 16;
        let mut sketch = allocated(capacity);
        for _ in 0..6 {
            sketch.count(hash(7), capacity);
        }
        sketch.tail_mut()[0] = sample(capacity) - 1;
        let seen = sketch.count(hash(7), capacity);
        assert_eq!(sketch.tail_mut()[1], 1, "halved");
        assert_eq!(sketch.recall(seen), 7 >> 1);
        assert_eq!(sketch.recall(seen), sketch.frequency(hash(7)));
    }

    #[test]
    fn halvings_wrap_at_four_thousand_and_ninety_six() {
        let capacity = 16;
        let mut sketch = allocated(capacity);
        sketch.tail_mut()[1] = 4_095;
        let mut seen = Seen::default();
        for _ in 0..15 {
            seen = sketch.count(hash(7), capacity);
        }
        assert_eq!(sketch.recall(seen), 15);
        sketch.halve();
        assert_eq!(sketch.recall(seen), 15 >> 1, "across the wrap");
        sketch.halve();
        assert_eq!(sketch.recall(seen), 15 >> 2);
    }
}
