//! Eviction: S3-FIFO (Yang et al., SOSP 2023) over the slab of a shard, with TinyLFU's
//! frequency filter (Einziger et al., ACM TOS 2017) in place of S3-FIFO's ghost queue.
//!
//! New keys enter a small FIFO queue (2% of the shard at first, then tuned, see below); a
//! key that is hit while there moves to the main queue when it reaches the head. A key that
//! reaches the head without a hit moves to the main queue only if the frequency sketch has seen
//! it at least two sightings more than the main queue's next victim, which it then replaces
//! (see [`ADMISSION_MARGIN`]); otherwise it is
//! evicted (while the main queue has room, it moves there). The main queue is a CLOCK: a hit
//! entry at the head is reinserted with one less credit, others are its victims.
//!
//! The filter is what keeps a loop's keys from flushing each other out of the main queue, and
//! what a ghost queue could not do without knowing how often a key came back
//! (`ptrcache-bench ratio`, results/latest.md at bdb676a against 08c7e51: loops 44.1/75.2% ->
//! 47.6/86.0%, synthetic mean 58.5% -> 61.1%, real-trace mean 48.8% either way). Its cost: on
//! large Zipf caches it keeps up to a point less (the get-or-insert rows, 100k entries over 1M
//! keys: 49.15% against 50.2% at Zipf 0.8). Not for want of counters: eight per entry instead of
//! four gave 49.26% (one `ptrcache-bench getorinsert` run at 5ab5d73), and counting every hit
//! in the sketch, in a replay, lost 0.25 points.
//!
//! The small queue's share is tuned by hill climbing on the cache's hit ratio (tuning.rs):
//! recency-heavy traces want it large, frequency-heavy ones small (`ptrcache-bench ratio` at
//! 08c7e51 against 32e8a5d: cache2k-orm-busy at 76 entries 40.34% -> 49.34%). (With the
//! ghost queue of the earlier design, an ARC-like share, grown by ghost hits of the small
//! queue's victims and shrunk by the main queue's, was tried first: +0.3 points on the real
//! traces, but it collapsed on loops, where both kinds of ghost hit come back.)
//!
//! Hits only bump a saturating 2-bit counter in the entry (see [`Node::touch`]), so reads
//! never need the write lock; the policy passes those credits on to the sketch as it spends
//! them. Eviction is O(1) amortized: each reinsertion spends a credit.
//!
//! [`Node::touch`]: crate::store::Node::touch

use crate::sketch::{Seen, Sketch};
use crate::store::{Node, Slab, spread};
use crate::tuning::START_SHARE;

/// The end of a list.
pub(crate) const NIL: u32 = u32::MAX;

/// How many more sightings a newcomer needs than the main queue's victim to replace it. With
/// a margin of 1 rather than 0, a newcomer replaces an entry of the main queue only when the
/// sketch clearly prefers it, so fewer long-held entries, whose lines have gone cold, are
/// evicted: on AMD EPYC, 1-thread get-or-insert at Zipf 0.8 and 0.99 (100k entries over 1M
/// keys) went from 0.89 and 0.88 to 0.97 and 0.99 of `quick_cache`'s throughput in a
/// same-process A/B, at hit ratios of 49.24% and 74.57% against 49.04% and 74.54%; two
/// `ptrcache-bench ratio` runs gave real-trace means of 48.92% and 48.71% (48.71–48.95% in
/// three runs before) and synthetic means of 61.28% and 61.44% (60.81–61.27%). A margin of 2
/// was faster still but kept 48.46% on the real traces.
const ADMISSION_MARGIN: u64 = 1;

/// Links of a slab entry in its queue.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Links {
    prev: u32,
    next: u32,
}

impl Links {
    pub(crate) const UNLINKED: Links = Links { prev: NIL, next: NIL };
}

/// Which queue an entry is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Queue {
    Small,
    Main,
}

/// A doubly linked FIFO threaded through the slab by index. The head's `prev` may be stale: taking
/// the head off leaves its successor's `prev` as it was, since writing it would touch one more
/// entry (an L1 miss on most evictions, cachegrind). It is never read while its entry is the
/// head, and an entry leaves the head only by being unlinked, which resets its links.
#[derive(Debug)]
struct List {
    head: u32,
    tail: u32,
    /// Entries in the list (32 bits, like slab indices: the shard stays 256 bytes).
    len: u32,
}

impl List {
    const EMPTY: List = List { head: NIL, tail: NIL, len: 0 };

    fn push_back<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        let tail = self.tail;
        slab.node_mut(index).links = Links { prev: tail, next: NIL };
        if tail == NIL {
            self.head = index;
        } else {
            slab.node_mut(tail).links.next = index;
        }
        self.tail = index;
        self.len += 1;
    }

    fn unlink<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        let Links { prev, next } = std::mem::replace(&mut slab.node_mut(index).links, Links::UNLINKED);
        if index == self.head {
            // `prev` is stale; so becomes the successor's (see the type's docs).
            self.head = next;
            if next == NIL {
                self.tail = NIL;
            }
        } else {
            slab.node_mut(prev).links.next = next;
            if next == NIL {
                self.tail = prev;
            } else {
                slab.node_mut(next).links.prev = prev;
            }
        }
        self.len -= 1;
    }
}

/// Why an entry was chosen for eviction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Victim {
    pub(crate) index: u32,
    pub(crate) expired: bool,
}

/// The S3-FIFO state of one shard. In C order: the queues, written on every insertion, before
/// the small queue's target, written only when it changes (see `Shard`'s layout).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Policy {
    small: List,
    main: List,
    sketch: Sketch,
    /// Target length of the small queue (32 bits, like slab indices: the shard stays 256 bytes).
    small_target: u32,
}

impl Policy {
    /// Where `small_target`, written only when it changes, lies (see `Shard`'s layout test).
    #[cfg(all(test, not(ptrcache_loom)))]
    pub(crate) const SMALL_TARGET_OFFSET: usize = std::mem::offset_of!(Policy, small_target);

    /// Where the queues, written on every insertion, end (see `Shard`'s layout test).
    #[cfg(all(test, not(ptrcache_loom)))]
    pub(crate) const QUEUES_END: usize = std::mem::offset_of!(Policy, main) + size_of::<List>();

    pub(crate) fn new(capacity: usize) -> Self {
        Policy {
            small: List::EMPTY,
            main: List::EMPTY,
            sketch: Sketch::default(),
            small_target: small_target(START_SHARE, capacity),
        }
    }

    /// Sets the small queue's share of the shard's `capacity`, in thousandths. (Recomputed on
    /// every insertion: a multiplication, the division by a constant compiles to one too.
    /// Stored only if it changed: see `Shard` for the line it is on.)
    pub(crate) fn set_small_share(&mut self, share: u32, capacity: usize) {
        let target = small_target(share, capacity);
        if self.small_target != target {
            self.small_target = target;
        }
    }

    /// Puts a new entry in the small queue, and counts its key.
    pub(crate) fn admit<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32, hash: u64) {
        let seen = self.sketch.count(hash, slab.capacity());
        let node = slab.node_mut(index);
        node.queue = Queue::Small;
        node.seen = seen;
        self.small.push_back(slab, index);
    }

    /// Points the neighbours (or the list ends) of an entry moved from slab index `from` to
    /// `index` at it.
    pub(crate) fn relocate<K, V>(&mut self, slab: &mut Slab<K, V>, from: u32, index: u32) {
        let node = slab.node_mut(index);
        let (Links { prev, next }, queue) = (node.links, node.queue);
        let list = self.list(queue);
        if list.head == from {
            list.head = index; // its `prev` is stale (see `List`)
        } else {
            slab.node_mut(prev).links.next = index;
        }
        if next == NIL {
            list.tail = index;
        } else {
            slab.node_mut(next).links.prev = index;
        }
    }

    /// Whether the shard has evicted since it last compacted or was cleared (its frequency
    /// sketch is allocated at its first eviction and freed then).
    pub(crate) fn has_evicted(&self) -> bool {
        self.sketch.is_allocated()
    }

    /// Frees the frequency sketch (a shard that compacts is far from full: it is allocated
    /// again when the shard next evicts), and the estimates it left in the entries: a new
    /// sketch starts its halvings at 0, so they would read as current.
    pub(crate) fn free_sketch<K, V>(&mut self, slab: &mut Slab<K, V>) {
        self.sketch.free();
        for node in slab.nodes_mut() {
            node.seen = Seen::default();
        }
    }

    /// Takes an entry out of its queue (it is being removed).
    pub(crate) fn forget<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        let queue = slab.node_mut(index).queue;
        self.list(queue).unlink(slab, index);
    }

    /// Chooses and unlinks the entry to evict from a full shard.
    /// `expired` tells which entries are dead already. Returns `None` only if the shard is empty.
    pub(crate) fn victim<K, V>(
        &mut self,
        slab: &mut Slab<K, V>,
        expired: impl Fn(&Node<K, V>) -> bool,
    ) -> Option<Victim> {
        let capacity = slab.capacity();
        self.sketch.allocate(capacity);
        loop {
            let from_small =
                self.small.len > 0 && (self.small.len >= self.small_target || self.main.len == 0);
            if !from_small {
                let victim = self.main_victim(slab, &expired)?;
                self.main.unlink(slab, victim.index);
                return Some(victim);
            }
            let index = self.small.head;
            let node = slab.node_mut(index);
            if expired(node) {
                self.small.unlink(slab, index);
                return Some(Victim { index, expired: true });
            }
            let (credit, hash) = (node.credit(), spread(node.tag));
            if credit > 0 {
                // Hit while in the small queue: promoted, its hits counted.
                node.set_credit(0);
                for _ in 0..credit {
                    node.seen = self.sketch.count(hash, capacity);
                }
                self.promote(slab, index);
                continue;
            }
            if (self.main.len as usize).saturating_add(self.small_target as usize) < capacity {
                self.promote(slab, index);
                continue;
            }
            // The newcomer against the main queue's victim: the newcomer stays only if it was
            // seen more often by a margin.
            let rival = self.main_victim(slab, &expired).filter(|rival| {
                rival.expired
                    || self.sketch.recall(slab.node(index).seen)
                        > self.sketch.recall(slab.node(rival.index).seen) + ADMISSION_MARGIN
            });
            let Some(rival) = rival else {
                self.small.unlink(slab, index);
                return Some(Victim { index, expired: false });
            };
            self.main.unlink(slab, rival.index);
            self.promote(slab, index);
            return Some(rival);
        }
    }

    /// The slab indices of the small and the main queue, head first, after checking the
    /// links: each `next` leads to the tail, each `prev` but the head's to the entry before.
    #[cfg(test)]
    pub(crate) fn queues<K, V>(&self, slab: &Slab<K, V>) -> [Vec<u32>; 2] {
        [(&self.small, Queue::Small), (&self.main, Queue::Main)].map(|(list, queue)| {
            let (mut order, mut index, mut before) = (Vec::new(), list.head, NIL);
            while index != NIL {
                assert!(order.len() < list.len as usize, "a cycle, or more entries than the length");
                let node = slab.node(index);
                assert_eq!(node.queue, queue, "an entry linked into the other queue");
                let links = node.links;
                if before != NIL {
                    assert_eq!(links.prev, before, "a stale `prev` past the head");
                }
                (before, index) = (index, links.next);
                order.push(before);
            }
            assert_eq!((order.len(), order.last().copied().unwrap_or(NIL)), (list.len as usize, list.tail));
            order
        })
    }

    /// The frequency sketch's size in words (0 while unallocated).
    #[cfg(test)]
    pub(crate) fn sketch_words(&self) -> usize {
        self.sketch.allocated_words()
    }

    /// Moves the small queue's head to the main queue.
    fn promote<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        self.small.unlink(slab, index);
        slab.node_mut(index).queue = Queue::Main;
        self.main.push_back(slab, index);
    }

    /// Turns the main queue's CLOCK until its head has no credit left (or has expired), and
    /// returns that head, still linked; `None` if the main queue is empty. Each credit spent
    /// counts a hit in the sketch.
    fn main_victim<K, V>(
        &mut self,
        slab: &mut Slab<K, V>,
        expired: &impl Fn(&Node<K, V>) -> bool,
    ) -> Option<Victim> {
        let capacity = slab.capacity();
        loop {
            let index = self.main.head;
            if index == NIL {
                return None;
            }
            let node = slab.node_mut(index);
            if expired(node) {
                return Some(Victim { index, expired: true });
            }
            let credit = node.credit();
            if credit == 0 {
                return Some(Victim { index, expired: false });
            }
            // A hit entry gets another round; the credit it spends bounds the rounds, which
            // makes eviction O(1) amortized.
            node.set_credit(credit - 1);
            node.seen = self.sketch.count(spread(node.tag), capacity);
            self.main.unlink(slab, index);
            self.main.push_back(slab, index);
        }
    }

    fn list(&mut self, queue: Queue) -> &mut List {
        match queue {
            Queue::Small => &mut self.small,
            Queue::Main => &mut self.main,
        }
    }
}

/// The small queue's length for a `share` (in thousandths) of `capacity`: at least one entry.
fn small_target(share: u32, capacity: usize) -> u32 {
    let target = (capacity as u64).saturating_mul(u64::from(share)) / 1000;
    u32::try_from(target.max(1)).unwrap_or(u32::MAX)
}
