//! Which shards can lend capacity: one bit per shard, so that a full shard finds a lender
//! without reading every shard's header.
//!
//! Each shard holds a share of `max_entries`. Filled with about `max_entries` keys, some shards
//! get more keys than their share and others fewer, so a cache of fixed shares evicts while it
//! still has room (a default cache on 2 cores, 64 shards, held about 4,775 of 5,000 such keys).
//! So a full shard borrows a unit of capacity that another shard does not use and has not
//! needed, as it has not evicted (see `Store::lend`), and the sum of the shards' capacities
//! stays `max_entries`.
//!
//! A shard publishes its bit at the end of each write that changed its length, and only when
//! the bit changes, so that a full cache in its steady state (every shard full, every bit down)
//! writes no shared line here (entries that leave a shard which has not evicted do flip bits).
//! A borrower that finds a lender unable to lend takes its bit down. A bit is a hint: the
//! lender checks again under its own lock ([`Store::lend`](crate::store::Store::lend)).

use crate::sync::{AtomicU64, Ordering};

/// Bits per word.
const BITS: usize = 64;

#[derive(Debug)]
pub(crate) struct Lenders {
    words: Box<[AtomicU64]>,
}

impl Lenders {
    /// For `shards` shards, all able to lend if `lending`.
    pub(crate) fn new(shards: usize, lending: bool) -> Self {
        let words = (0..shards.div_ceil(BITS))
            .map(|word| {
                let bits = (shards - word * BITS).min(BITS);
                let all = if bits == BITS { u64::MAX } else { (1 << bits) - 1 };
                AtomicU64::new(if lending { all } else { 0 })
            })
            .collect();
        Lenders { words }
    }

    /// Records whether `shard` can lend; writes only if that changed.
    pub(crate) fn publish(&self, shard: usize, can_lend: bool) {
        let (word, bit) = (&self.words[shard / BITS], 1 << (shard % BITS));
        if (word.load(Ordering::Relaxed) & bit != 0) != can_lend {
            if can_lend {
                word.fetch_or(bit, Ordering::Relaxed);
            } else {
                word.fetch_and(!bit, Ordering::Relaxed);
            }
        }
    }

    /// Whether a shard other than `borrower` published it can lend: a load per word (one word
    /// up to 64 shards), asked on every insert into a full shard.
    #[inline]
    pub(crate) fn any_but(&self, borrower: usize) -> bool {
        if let [word] = &*self.words {
            return word.load(Ordering::Relaxed) & !(1 << borrower) != 0;
        }
        self.words.iter().enumerate().any(|(index, word)| {
            let own = if index == borrower / BITS { 1 << (borrower % BITS) } else { 0 };
            word.load(Ordering::Relaxed) & !own != 0
        })
    }

    /// The shards other than `borrower` that published they can lend, in order from the one
    /// after it round to the one before it (so that borrowers do not all start at shard 0).
    pub(crate) fn near(&self, borrower: usize) -> impl Iterator<Item = usize> + '_ {
        let words = self.words.len();
        let (first, offset) = (borrower / BITS, borrower % BITS);
        // The bits after the borrower's in its word, then, past the other words, those before.
        let after = !0 << offset << 1;
        let before = !after & !(1 << offset);
        (0..=words).flat_map(move |step| {
            let index = (first + step) % words;
            let mask = match step {
                0 => after,
                last if last == words => before,
                _ => !0,
            };
            SetBits(self.words[index].load(Ordering::Relaxed) & mask).map(move |bit| index * BITS + bit)
        })
    }
}

/// The indices of the set bits of a word, lowest first.
struct SetBits(u64);

impl Iterator for SetBits {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let bit = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(bit)
    }
}

#[cfg(all(test, not(ptrcache_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_borrower_finds_every_lender_but_itself() {
        let lenders = Lenders::new(130, true);
        let found: Vec<usize> = lenders.near(65).collect();
        assert_eq!(found.len(), 129);
        assert!(!found.contains(&65));
        assert_eq!(found[..3], [66, 67, 68], "from the one after the borrower");
        assert_eq!(found[found.len() - 2..], [63, 64], "round to the one before it");
        assert!(found.iter().all(|&shard| shard < 130), "no bit past the last shard");
    }

    #[test]
    fn publishing_sets_and_clears_one_bit() {
        let lenders = Lenders::new(8, false);
        assert_eq!(lenders.near(0).count(), 0);
        lenders.publish(3, true);
        lenders.publish(5, true);
        lenders.publish(5, true);
        assert_eq!(lenders.near(0).collect::<Vec<_>>(), [3, 5]);
        assert_eq!(lenders.near(3).collect::<Vec<_>>(), [5]);
        assert_eq!(lenders.near(4).collect::<Vec<_>>(), [5, 3]);
        lenders.publish(3, false);
        assert_eq!(lenders.near(0).collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn a_single_shard_has_no_lender() {
        let lenders = Lenders::new(1, true);
        assert!(!lenders.any_but(0));
        assert_eq!(lenders.near(0).count(), 0);
    }

    #[test]
    fn any_but_sees_a_lender_in_any_word_but_not_the_borrower() {
        let lenders = Lenders::new(200, false);
        lenders.publish(70, true);
        assert!(!lenders.any_but(70));
        assert!(lenders.any_but(0) && lenders.any_but(69) && lenders.any_but(199));
        lenders.publish(70, false);
        assert!(!lenders.any_but(0));
    }
}
