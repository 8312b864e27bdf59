//! Eviction: S3-FIFO (Yang et al., SOSP 2023) over the slab of a shard.
//!
//! New keys enter a small FIFO queue (a tenth of the shard at first, then tuned, see below); a
//! key that is hit while there moves to the main queue when it reaches the head, others are
//! evicted and their hash is remembered in a ghost table. A key that comes back while remembered
//! enters the main queue directly. The main queue is a CLOCK: a hit entry at the head is
//! reinserted with one less credit, others are evicted.
//!
//! The small queue's share is tuned by hill climbing on the cache's hit ratio (tuning.rs):
//! recency-heavy traces want it large, loops small (`ptrcache-bench ratio`, results/latest.md at
//! 08c7e51 against the run at 32e8a5d: cache2k-orm-busy at 76 entries 40.34% -> 49.34%, loops
//! 39.17/69.73% -> 44.13/75.23%, real-trace mean 48.34% -> 48.83%). An
//! ARC-like share (grown by ghost hits of the small queue's victims, shrunk by the main
//! queue's) was tried first: +0.3 points on the real traces, but it collapsed on loops (3% where
//! a fixed tenth keeps 39%), since on a loop both kinds of ghost hit come back.
//!
//! Hits only bump a saturating 2-bit counter in the entry (see [`Node::touch`]), so reads
//! never need the write lock, and eviction is O(1) amortized: each reinsertion spends a credit.
//!
//! [`Node::touch`]: crate::store::Node::touch

use crate::store::{Node, Slab};
use crate::tuning::START_SHARE;

/// Ghost tables are never smaller than this, so tiny shards still remember recent victims.
const MIN_GHOSTS: usize = 64;

/// The end of a list.
pub(crate) const NIL: u32 = u32::MAX;

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

/// A doubly linked FIFO threaded through the slab by index.
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
        if prev == NIL {
            self.head = next;
        } else {
            slab.node_mut(prev).links.next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            slab.node_mut(next).links.prev = prev;
        }
        self.len -= 1;
    }

    fn pop_front<K, V>(&mut self, slab: &mut Slab<K, V>) -> Option<u32> {
        let head = self.head;
        (head != NIL).then(|| {
            self.unlink(slab, head);
            head
        })
    }
}

/// Why an entry was chosen for eviction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Victim {
    pub(crate) index: u32,
    pub(crate) expired: bool,
    /// Evicted from the small queue without a hit: remember its hash in the ghost table.
    pub(crate) remember: bool,
}

/// The S3-FIFO state of one shard.
#[derive(Debug)]
pub(crate) struct Policy {
    small: List,
    main: List,
    ghost: Ghost,
    /// Target length of the small queue (32 bits, like slab indices: the shard stays 256 bytes).
    small_target: u32,
    /// The share of the shard's capacity `small_target` was computed from, in thousandths.
    small_share: u32,
}

impl Policy {
    pub(crate) fn new(capacity: usize) -> Self {
        Policy {
            small: List::EMPTY,
            main: List::EMPTY,
            ghost: Ghost::default(),
            small_target: small_target(START_SHARE, capacity),
            small_share: START_SHARE,
        }
    }

    /// Sets the small queue's share of the shard's `capacity`, in thousandths.
    pub(crate) fn set_small_share(&mut self, share: u32, capacity: usize) {
        if share != self.small_share {
            self.small_share = share;
            self.small_target = small_target(share, capacity);
        }
    }

    /// Puts a new entry in its queue: the main one if its hash is remembered as a recent victim.
    pub(crate) fn admit<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32, hash: u64) {
        let queue = if self.ghost.take(hash) { Queue::Main } else { Queue::Small };
        slab.node_mut(index).queue = queue;
        self.list(queue).push_back(slab, index);
    }

    /// Points the neighbours (or the list ends) of an entry moved to slab index `index` at it.
    pub(crate) fn relocate<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        let node = slab.node_mut(index);
        let (Links { prev, next }, queue) = (node.links, node.queue);
        let list = self.list(queue);
        if prev == NIL {
            list.head = index;
        } else {
            slab.node_mut(prev).links.next = index;
        }
        if next == NIL {
            list.tail = index;
        } else {
            slab.node_mut(next).links.prev = index;
        }
    }

    /// Shrinks the ghost table to suit a shard of `len` entries (forgetting its victims).
    pub(crate) fn shrink_ghosts(&mut self, len: usize) {
        if len == 0 || self.ghost.slots.len() > len.max(MIN_GHOSTS).next_power_of_two() {
            self.ghost.slots = Box::default();
        }
    }

    /// Takes an entry out of its queue (it is being removed).
    pub(crate) fn forget<K, V>(&mut self, slab: &mut Slab<K, V>, index: u32) {
        let queue = slab.node_mut(index).queue;
        self.list(queue).unlink(slab, index);
    }

    /// Remembers the hash of an entry evicted from the small queue.
    pub(crate) fn remember(&mut self, hash: u64, ghost_len: usize) {
        self.ghost.insert(hash, ghost_len.max(MIN_GHOSTS));
    }

    /// Chooses and unlinks the entry to evict. `expired` tells which entries are dead already.
    /// Returns `None` only if the shard is empty.
    pub(crate) fn victim<K, V>(
        &mut self,
        slab: &mut Slab<K, V>,
        expired: impl Fn(&Node<K, V>) -> bool,
    ) -> Option<Victim> {
        loop {
            let from_small =
                self.small.len > 0 && (self.small.len >= self.small_target || self.main.len == 0);
            let index = if from_small { self.small.pop_front(slab)? } else { self.main.pop_front(slab)? };
            let node = slab.node_mut(index);
            if expired(node) {
                return Some(Victim { index, expired: true, remember: false });
            }
            let credit = node.credit();
            if credit == 0 {
                return Some(Victim { index, expired: false, remember: from_small });
            }
            // A hit entry gets another round in the main queue; the credit it spends bounds the
            // rounds, which makes eviction O(1) amortized.
            node.set_credit(if from_small { 0 } else { credit - 1 });
            node.queue = Queue::Main;
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

/// Hashes of recent victims: a direct-mapped table of 16-bit fingerprints,
/// sized like the shard's slab. A collision forgets the older hash, which is harmless here.
#[derive(Debug, Default)]
struct Ghost {
    /// Replaced whole, never grown: a boxed slice is 8 bytes smaller than a `Vec` (the shard
    /// stays 256 bytes).
    slots: Box<[u16]>,
}

impl Ghost {
    fn slot(&self, hash: u64) -> (usize, u16) {
        // The low bits pick the slot and the top 15 make the fingerprint (a false match once in
        // 32,768 lookups, harmless), shifted to leave bit 0 set: the slot is used.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "only the low bits pick the slot: truncating the hash to `usize` is intended"
        )]
        let slot = (hash as usize) & (self.slots.len() - 1);
        (slot, (((hash >> 49) as u16) << 1) | 1)
    }

    fn insert(&mut self, hash: u64, len: usize) {
        let len = len.next_power_of_two();
        if self.slots.len() < len {
            self.slots = vec![0; len].into_boxed_slice();
        }
        let (slot, print) = self.slot(hash);
        self.slots[slot] = print;
    }

    fn take(&mut self, hash: u64) -> bool {
        if self.slots.is_empty() {
            return false;
        }
        let (slot, print) = self.slot(hash);
        let hit = self.slots[slot] == print;
        if hit {
            self.slots[slot] = 0;
        }
        hit
    }
}
