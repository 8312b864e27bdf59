//! The storage of one shard: a slab of entries, a hash table of slab indices and the eviction
//! policy (the keys whose initializer is running sit beside it, see shard.rs). Every method here runs under the shard's
//! protocol (`&self` for readers, `&mut self` under the write lock, see shard.rs); nothing here
//! runs user code except `Eq` of keys, always before the first change of a call, so a panicking
//! `Eq` leaves the store as it was. `Hash` never runs here: each entry keeps 32 bits of its hash
//! (the table hash is derived from them), so that growing, rehashing or shrinking a table,
//! evicting and sweeping cannot be interrupted halfway by a panicking `Hash` (hashbrown loses
//! the entries it has not yet moved when its hasher panics in a rehash). And
//! nothing here drops a key or a value: what leaves the store goes into a [`Trash`] that the
//! caller empties after unlocking, so a `Drop` that panics or uses the cache cannot break or
//! deadlock it.

use crate::clock::{self, Nanos};
use crate::policy::{Links, Policy, Queue};
use crate::sketch::Seen;
use crate::stats::Counters;
use crate::sync::{AtomicU8, AtomicU32, Ordering};
use hashbrown::HashTable;
use std::{borrow::Borrow, sync::Arc};

/// How many slab slots each insertion checks for expired entries, so that expired values are
/// released by normal traffic even when the cache is far below its bound.
const SWEEP_STEPS: usize = 2;

/// How many slab slots a lookup that met an expired entry checks, once it holds the write lock
/// to remove it: lookups alone (no insertions) must also release the expired entries that no
/// lookup meets, such as keys the frequency filter kept for their past popularity
/// (`ptrcache-bench expiry`, 100k lookups past the deadline of a full 5,000-entry cache: 2,140
/// expired values were left without this sweep, 53 and 96 in two runs with 8 slots, 0 to 13 in
/// three runs with 16).
const LOOKUP_SWEEP_STEPS: usize = 16;

/// Slabs smaller than this are not compacted until they are empty.
const MIN_SHRINK_SLOTS: usize = 16;

/// The most credit a hit can give an entry (S3-FIFO's 2-bit frequency).
const MAX_CREDIT: u8 = 3;

/// The hash the table and the frequency sketch use for a key: its 32-bit tag spread over 64
/// bits (an odd multiplier keeps the low bits a bijection of the tag's and fills the top 7 that
/// hashbrown uses as its control byte). The shard index comes from bits 32..40 of the full
/// hash, which the tag does not contain, so the keys of one shard still spread over its whole
/// table.
#[inline]
pub(crate) fn spread(tag: u32) -> u64 {
    u64::from(tag).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The table hash of a key whose full hash is `hash`.
#[inline]
#[allow(clippy::cast_possible_truncation, reason = "the tag is the hash's low 32 bits by design")]
fn table_hash(hash: u64) -> u64 {
    spread(hash as u32)
}

/// One cached entry. In C order, with what a hit reads first (key, value, deadline, credit), so
/// that a hit touches one cache line of the entry as often as possible.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Node<K, V> {
    pub(crate) key: K,
    pub(crate) value: Arc<V>,
    pub(crate) deadline: Nanos,
    /// Hits since the policy last looked, saturating at [`MAX_CREDIT`]; written by readers.
    credit: AtomicU8,
    pub(crate) queue: Queue,
    /// How often the frequency sketch had seen the key when it last counted it (in what
    /// would otherwise be padding).
    pub(crate) seen: Seen,
    /// The low half of the key's hash, computed once outside the lock (see the module docs);
    /// the table's hash is derived from it by [`spread`], so 4 bytes suffice.
    pub(crate) tag: u32,
    pub(crate) links: Links,
}

impl<K, V> Node<K, V> {
    /// Records a hit. Only a read and, until the counter saturates, a relaxed store: no
    /// read-modify-write, and no write at all to an entry that is hit often (PERF-NOTES).
    #[inline]
    pub(crate) fn touch(&self) {
        let credit = self.credit.load(Ordering::Relaxed);
        if credit < MAX_CREDIT {
            // Racing readers may lose an increment; the count is a hint.
            self.credit.store(credit + 1, Ordering::Relaxed);
        }
    }

    pub(crate) fn credit(&self) -> u8 {
        self.credit.load(Ordering::Relaxed)
    }

    pub(crate) fn set_credit(&mut self, credit: u8) {
        self.credit.store(credit, Ordering::Relaxed);
    }

    fn expired_at(&self, now: Nanos) -> bool {
        self.deadline <= now
    }
}

/// Entries by index; freed indices are reused before the slab grows.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Slab<K, V> {
    nodes: Vec<Option<Node<K, V>>>,
    free: Vec<u32>,
    /// The most entries the shard holds: its share of `max_entries`, plus what it borrowed from
    /// other shards, minus what it lent them (see [`Store::lend`]). Below `u32::MAX`.
    capacity: u32,
    /// Capacity lent to other shards since the last write, taken off `capacity` at the start of
    /// the next. Atomic: a borrowing shard adds to it with shared access only.
    lent: AtomicU32,
}

impl<K, V> Slab<K, V> {
    /// The most entries the shard holds.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity as usize
    }

    pub(crate) fn node(&self, index: u32) -> &Node<K, V> {
        self.nodes[index as usize].as_ref().expect("ptrcache: slab index of a free slot")
    }

    pub(crate) fn node_mut(&mut self, index: u32) -> &mut Node<K, V> {
        self.nodes[index as usize].as_mut().expect("ptrcache: slab index of a free slot")
    }

    /// Every entry, in slot order.
    pub(crate) fn nodes_mut(&mut self) -> impl Iterator<Item = &mut Node<K, V>> {
        self.nodes.iter_mut().flatten()
    }

    #[allow(
        clippy::cast_possible_truncation,
        reason = "slab indices stay below the shard's capacity, which `PtrCache::from_parts` caps at \
                  `u32::MAX - 1`"
    )]
    fn insert(&mut self, node: Node<K, V>) -> u32 {
        if let Some(index) = self.free.pop() {
            self.nodes[index as usize] = Some(node);
            return index;
        }
        let len = self.nodes.len();
        if len == self.nodes.capacity() {
            // Double, but never more than a sixteenth past the shard's capacity. At least a
            // sixteenth, as a capacity raised by borrowing grows a unit at a time: a slab copied
            // on every borrowed unit made filling 100k entries ~3% slower.
            let target = (len * 2).max(4).min(self.capacity().max(1));
            self.nodes.reserve_exact(target.saturating_sub(len).max(len / 16).max(1));
        }
        self.nodes.push(Some(node));
        (self.nodes.len() - 1) as u32
    }

    fn remove(&mut self, index: u32) -> Node<K, V> {
        let node = self.nodes[index as usize].take().expect("ptrcache: removing a free slot");
        self.free.push(index);
        node
    }

    fn get(&self, index: usize) -> Option<&Node<K, V>> {
        self.nodes.get(index).and_then(Option::as_ref)
    }
}

/// What a slab slot held when the expiry sweep (or a purge) looked at it.
enum Slot {
    Free,
    /// An expired entry, now removed.
    Expired,
    /// A live entry, with its deadline.
    Live(Nanos),
}

/// Keys and values removed under the lock, dropped by the caller after unlocking. The first
/// is held in place; more (a sweep that found expired entries, a purge) go to a `Vec`. Every
/// write makes and drops one, mostly holding one item or none, so it is kept to two fields:
/// three `Option` slots in place cost 24M more instructions (callgrind, 1M get-or-inserts at
/// Zipf 0.8 into 100k entries: 2.7% of the cache's).
#[derive(Debug)]
pub(crate) struct Trash<K, V> {
    first: Option<(K, Arc<V>)>,
    rest: Vec<(K, Arc<V>)>,
}

impl<K, V> Default for Trash<K, V> {
    fn default() -> Self {
        Trash { first: None, rest: Vec::new() }
    }
}

impl<K, V> Trash<K, V> {
    pub(crate) fn push(&mut self, key: K, value: Arc<V>) {
        if self.first.is_none() {
            self.first = Some((key, value));
        } else {
            self.rest.push((key, value));
        }
    }
}

/// The storage of one shard. In C order: the table and the slab, which every hit reads, come
/// first, on the cache line of the shard's lock word; the fields written only when they change
/// come last, from [`RARELY_WRITTEN_FROM`] on (see `Shard`).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Store<K, V> {
    table: HashTable<u32>,
    slab: Slab<K, V>,
    policy: Policy,
    /// Next slab slot the expiry sweep looks at.
    sweep_hand: usize,
    /// No entry expires before this (a lower bound), so until then the sweep has nothing to do
    /// and skips its slab reads, which are cache misses in a large cache.
    earliest: Nanos,
    /// The least deadline the sweep has seen in its current pass over the slab, and of every
    /// entry stored since the pass began: the new `earliest` once the pass is over.
    pass_earliest: Nanos,
    /// Set when the store gave memory back (a compaction or a clear), for the shard to shrink
    /// its pending keys too (see [`take_compacted`](Self::take_compacted)).
    compacted: bool,
}

/// Where the fields written only when they change begin in a [`Store`] (the policy's small-queue
/// target, then the sweep's fields and the compaction flag), for the shard's layout test.
#[cfg(all(test, not(ptrcache_loom)))]
pub(crate) const RARELY_WRITTEN_FROM: usize =
    std::mem::offset_of!(Store<u64, [u8; 64]>, policy) + Policy::SMALL_TARGET_OFFSET;

/// Where the policy's queues, written on every insertion, end in a [`Store`].
#[cfg(all(test, not(ptrcache_loom)))]
pub(crate) const QUEUES_END: usize = std::mem::offset_of!(Store<u64, [u8; 64]>, policy) + Policy::QUEUES_END;

impl<K, V> Store<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Store {
            table: HashTable::new(),
            slab: Slab {
                nodes: Vec::new(),
                free: Vec::new(),
                capacity: u32::try_from(capacity).expect("shard capacities are below `u32::MAX`"),
                lent: AtomicU32::new(0),
            },
            policy: Policy::new(capacity),
            sweep_hand: 0,
            earliest: clock::NEVER,
            pass_earliest: clock::NEVER,
            compacted: false,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// Sets the small queue's share of the shard, in thousandths (see tuning.rs).
    pub(crate) fn set_small_share(&mut self, share: u32) {
        self.policy.set_small_share(share, self.slab.capacity());
    }

    /// The entry for `key`, live or not.
    #[inline]
    pub(crate) fn get<Q>(&self, hash: u64, key: &Q) -> Option<&Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.find(hash, key).map(|(_, node)| node)
    }

    /// [`get`](Self::get), with the entry's slab index.
    #[inline]
    pub(crate) fn find<Q>(&self, hash: u64, key: &Q) -> Option<(u32, &Node<K, V>)>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let slab = &self.slab;
        let index = *self.table.find(table_hash(hash), |&index| slab.node(index).key.borrow() == key)?;
        Some((index, slab.node(index)))
    }

    /// Stores `value` for `key` with `deadline`, replacing an old value, evicting one entry if
    /// the shard is full. Returns whether the value was kept (not with a capacity of 0 or a
    /// deadline already past); what it displaced goes into `trash`. `absent`: the caller knows
    /// that the key is not in the store (a get-or-insert that found it absent, with no write to
    /// the store since), so it is not looked up.
    ///
    /// A full shard first asks `borrow` for a unit of another shard's capacity (see
    /// [`lend`](Self::lend)) and evicts only if it gets none.
    #[allow(clippy::too_many_arguments, reason = "the shard's context, passed apart to borrow disjointly")]
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        (key, value, absent): (K, Arc<V>, bool),
        deadline: Nanos,
        now: Nanos,
        counters: &Counters,
        trash: &mut Trash<K, V>,
        borrow: impl FnOnce() -> bool,
    ) -> bool
    where
        K: Eq,
    {
        if self.slab.capacity == 0 || deadline <= now {
            // Not kept; an old value is superseded by this one, so it goes too.
            if let Some((old_key, old_value, _)) = self.remove(hash, &key, now, counters, trash) {
                trash.push(old_key, old_value);
            }
            trash.push(key, value);
            return false;
        }
        let Store { table, slab, .. } = self;
        let found =
            if absent { None } else { table.find(table_hash(hash), |&index| slab.node(index).key == key) };
        if let Some(&index) = found {
            let node = slab.node_mut(index);
            let old_value = std::mem::replace(&mut node.value, value);
            node.deadline = deadline;
            trash.push(key, old_value);
            self.lower_earliest(deadline);
            return true;
        }
        self.sweep(now, SWEEP_STEPS, counters, trash);
        if self.len() >= self.slab.capacity() {
            if self.slab.capacity < u32::MAX - 1 && borrow() {
                self.slab.capacity += 1;
            } else {
                self.evict(now, counters, trash);
            }
        }
        // After the sweep: had its pass ended, the new entry may land below the hand of the next.
        self.lower_earliest(deadline);
        #[allow(clippy::cast_possible_truncation, reason = "the tag is the hash's low 32 bits by design")]
        let index = self.slab.insert(Node {
            key,
            value,
            tag: hash as u32,
            deadline,
            links: Links::UNLINKED,
            queue: Queue::Small,
            seen: Seen::default(),
            credit: AtomicU8::new(0),
        });
        let Store { table, slab, policy, .. } = self;
        table.insert_unique(table_hash(hash), index, |&index| spread(slab.node(index).tag));
        policy.admit(slab, index, table_hash(hash));
        true
    }

    /// Takes the deadline of an entry being stored into the sweep's bounds. Stores only what it
    /// lowers: see `Shard` for the line these are on.
    fn lower_earliest(&mut self, deadline: Nanos) {
        if deadline < self.earliest {
            self.earliest = deadline;
        }
        if deadline < self.pass_earliest {
            self.pass_earliest = deadline;
        }
    }

    /// Removes the entry for `key`, live or not, returning it with its deadline. If that leaves
    /// the slab sparse, also removes every entry expired by `now` into `trash`, counting them,
    /// and compacts (see [`shrink_if_sparse`](Self::shrink_if_sparse)).
    pub(crate) fn remove<Q>(
        &mut self,
        hash: u64,
        key: &Q,
        now: Nanos,
        counters: &Counters,
        trash: &mut Trash<K, V>,
    ) -> Option<(K, Arc<V>, Nanos)>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let slab = &self.slab;
        let entry =
            self.table.find_entry(table_hash(hash), |&index| slab.node(index).key.borrow() == key).ok()?;
        let (index, _) = entry.remove();
        self.policy.forget(&mut self.slab, index);
        let node = self.slab.remove(index);
        self.shrink_if_sparse(now, counters, trash);
        Some((node.key, node.value, node.deadline))
    }

    /// Removes the entry at slab `index` if it has expired, for a lookup that found it so
    /// without the lock (the slot may hold another entry by now, or none: an expired one goes
    /// as well, a live one stays), then sweeps [`LOOKUP_SWEEP_STEPS`] slots while the lock is
    /// held (the whole slab, if a removal leaves it sparse: see
    /// [`shrink_if_sparse`](Self::shrink_if_sparse)). Compares no keys.
    pub(crate) fn remove_expired_at(&mut self, index: u32, counters: &Counters, trash: &mut Trash<K, V>) {
        // The precise time, which the lookup judged the entry by (the coarse time may not have
        // passed a deadline that the precise time has).
        let now = clock::now();
        if matches!(self.expire_slot(index as usize, now, trash), Slot::Expired) {
            Counters::add(&counters.expirations, 1);
            self.shrink_if_sparse(now, counters, trash);
        }
        self.sweep(now, LOOKUP_SWEEP_STEPS, counters, trash);
    }

    /// Checks [`LOOKUP_SWEEP_STEPS`] slots for expired entries, for a lookup that missed (see
    /// `MISSES_PER_SWEEP` in cache.rs).
    pub(crate) fn sweep_after_miss(&mut self, counters: &Counters, trash: &mut Trash<K, V>) {
        self.sweep(clock::coarse_now(), LOOKUP_SWEEP_STEPS, counters, trash);
    }

    /// Removes the entry at `index` (already unlinked from the policy's queues).
    fn remove_at(&mut self, index: u32) -> Node<K, V> {
        let hash = spread(self.slab.node(index).tag);
        if let Ok(entry) = self.table.find_entry(hash, |&found| found == index) {
            entry.remove();
        }
        self.slab.remove(index)
    }

    /// Evicts one entry chosen by the policy, preferring expired ones as they come.
    fn evict(&mut self, now: Nanos, counters: &Counters, trash: &mut Trash<K, V>) {
        let Some(victim) = self.policy.victim(&mut self.slab, |node| node.expired_at(now)) else {
            return;
        };
        let node = self.remove_at(victim.index);
        Counters::add(if victim.expired { &counters.expirations } else { &counters.evictions }, 1);
        trash.push(node.key, node.value);
    }

    /// Looks at the next `steps` slab slots and removes the entries expired by `now` there,
    /// unless no entry can have expired yet.
    #[inline]
    fn sweep(&mut self, now: Nanos, steps: usize, counters: &Counters, trash: &mut Trash<K, V>) {
        // The common case, resting mid-pass, without a call (cachegrind, get-or-insert at Zipf
        // 0.8: about 50 instructions fewer per insert, mostly register saves and restores).
        if now < self.earliest && self.sweep_hand < self.slab.nodes.len() {
            return;
        }
        self.sweep_slots(now, steps, counters, trash);
    }

    #[inline(never)]
    fn sweep_slots(&mut self, now: Nanos, steps: usize, counters: &Counters, trash: &mut Trash<K, V>) {
        let slots = self.slab.nodes.len();
        let mut swept = false;
        for _ in 0..steps.min(slots) {
            if self.sweep_hand >= slots {
                // A pass is over: every entry now in the slab was seen by it or stored since.
                self.sweep_hand = 0;
                self.earliest = std::mem::replace(&mut self.pass_earliest, clock::NEVER);
            }
            if now < self.earliest {
                break;
            }
            let index = self.sweep_hand;
            self.sweep_hand += 1;
            match self.expire_slot(index, now, trash) {
                Slot::Expired => {
                    Counters::add(&counters.expirations, 1);
                    swept = true;
                }
                Slot::Live(deadline) => self.pass_earliest = self.pass_earliest.min(deadline),
                Slot::Free => {}
            }
        }
        if swept {
            self.shrink_if_sparse(now, counters, trash);
        }
    }

    /// Removes the entry at slab slot `index` if it expired by `now`; tells what was there.
    fn expire_slot(&mut self, index: usize, now: Nanos, trash: &mut Trash<K, V>) -> Slot {
        match self.slab.get(index) {
            None => Slot::Free,
            Some(node) if !node.expired_at(now) => Slot::Live(node.deadline),
            Some(_) => {
                #[allow(clippy::cast_possible_truncation, reason = "a slab index (see `Slab::insert`)")]
                let index = index as u32;
                self.policy.forget(&mut self.slab, index);
                let node = self.remove_at(index);
                trash.push(node.key, node.value);
                Slot::Expired
            }
        }
    }

    /// Removes every entry that expired by `now`; returns how many.
    pub(crate) fn purge(&mut self, now: Nanos, trash: &mut Trash<K, V>) -> usize {
        let (mut purged, mut earliest) = (0, clock::NEVER);
        for index in 0..self.slab.nodes.len() {
            match self.expire_slot(index, now, trash) {
                Slot::Expired => purged += 1,
                Slot::Live(deadline) => earliest = earliest.min(deadline),
                Slot::Free => {}
            }
        }
        // A whole pass: the sweep knows when it next has work, and starts over.
        (self.earliest, self.pass_earliest, self.sweep_hand) = (earliest, clock::NEVER, 0);
        if self.is_sparse() {
            self.compact();
        }
        purged
    }

    /// Gives memory back once at most a quarter of the slab is in use: a cache that emptied
    /// (expiry, removals) does not keep its peak footprint. Amortized O(1): a shrink moves at
    /// most the live entries, and the next needs three quarters of them to go first.
    ///
    /// A compaction moves entries below the sweep's hand, so the sweep's pass starts over; and
    /// the shard may see no further sweep (with lookups alone, only those that meet an expired
    /// entry sweep, and the entries left may be keys no lookup asks for). So the compaction
    /// comes with a whole pass that removes the entries expired by `now` first ([`purge`]),
    /// reading the slots the compaction reads anyway. (`ptrcache-bench expiry`: 37 expired
    /// values were left after the traffic, every one in a shard compacted during it with the
    /// hand back at 0; none with the pass.)
    ///
    /// [`purge`]: Self::purge
    fn shrink_if_sparse(&mut self, now: Nanos, counters: &Counters, trash: &mut Trash<K, V>) {
        if self.is_sparse() {
            let purged = self.purge(now, trash); // compacts once it is done
            Counters::add(&counters.expirations, purged as u64);
        }
    }

    /// Whether at most a quarter of the slab's slots hold entries (all of it is free, in small
    /// slabs).
    fn is_sparse(&self) -> bool {
        let slots = self.slab.nodes.len();
        slots > 0 && (self.len() == 0 || (slots >= MIN_SHRINK_SLOTS && self.len() * 4 <= slots))
    }

    /// Moves the entries at the end of the slab into its free slots below `len()`, so that the
    /// slab can be cut to `len()`, then shrinks the table and the slab to fit and frees the
    /// frequency sketch.
    fn compact(&mut self) {
        let len = self.len();
        let holes: Vec<u32> = self.slab.free.iter().copied().filter(|&hole| (hole as usize) < len).collect();
        let mut from = self.slab.nodes.len();
        for hole in holes {
            from -= 1;
            while self.slab.nodes[from].is_none() {
                from -= 1;
            }
            #[allow(clippy::cast_possible_truncation, reason = "a slab index (see `Slab::insert`)")]
            self.relocate(from as u32, hole);
        }
        self.slab.nodes.truncate(len);
        self.slab.nodes.shrink_to_fit();
        self.slab.free = Vec::new();
        let Store { table, slab, .. } = self;
        table.shrink_to(len, |&index| spread(slab.node(index).tag));
        self.policy.free_sketch(&mut self.slab);
        self.compacted = true;
        // Entries moved below the hand would be missed by the pass: start a new one.
        self.sweep_hand = 0;
        self.pass_earliest = clock::NEVER;
    }

    /// Moves the entry at slab index `from` to the free index `to`, keeping its place in its
    /// queue and its table slot.
    fn relocate(&mut self, from: u32, to: u32) {
        let node = self.slab.nodes[from as usize].take().expect("relocating a free slot");
        let tag = node.tag;
        self.slab.nodes[to as usize] = Some(node);
        self.policy.relocate(&mut self.slab, from, to);
        if let Some(slot) = self.table.find_mut(spread(tag), |&index| index == from) {
            *slot = to;
        }
    }

    /// Takes the capacity lent since the last write off this shard's (done first in every
    /// write, see `PtrCache::write`).
    pub(crate) fn settle_loans(&mut self) {
        let lent = self.slab.lent.load(Ordering::Relaxed);
        if lent > 0 {
            self.slab.capacity -= lent;
            self.slab.lent.store(0, Ordering::Relaxed);
        }
    }

    /// The most entries the shard holds now (what it lent since its last write deducted).
    pub(crate) fn capacity(&self) -> usize {
        (self.slab.capacity - self.slab.lent.load(Ordering::Relaxed)) as usize
    }

    /// Whether [`lend`](Self::lend) would lend now.
    pub(crate) fn can_lend(&self, floor: usize) -> bool {
        self.lendable(self.slab.lent.load(Ordering::Relaxed), floor)
    }

    /// Lends one unit of this shard's capacity to another, full shard: one it does not use and
    /// has not needed (see `lendable`), and never so much that its capacity would fall below
    /// `floor` (so a shard always keeps room for the newest entry, and its share of a full
    /// cache stays at least `floor`). Needs only shared access: writers of this shard are
    /// excluded, and borrowers that share the access take turns through the atomic `lent`,
    /// which the next write here settles.
    ///
    /// This is what lets a cache filled with `max_entries` keys hold them all: with fixed
    /// shares it would evict from the shards that got more keys than their share (unless the
    /// keys fall so unevenly that some shard gets fewer than `floor`).
    pub(crate) fn lend(&self, floor: usize) -> bool {
        self.slab
            .lent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |lent| {
                self.lendable(lent, floor).then_some(lent + 1)
            })
            .is_ok()
    }

    /// Whether, with `lent` already lent, one more unit is unused and above `floor`, in a
    /// shard that has not evicted since it last compacted or was cleared. A shard that evicts
    /// needs its share; lending the room its expired or removed entries leave would move
    /// capacity between shards on every expiry, and let a borrower's newcomers into the main
    /// queue without a contest, where they outlive the entries around them.
    fn lendable(&self, lent: u32, floor: usize) -> bool {
        let available = (self.slab.capacity - lent) as usize;
        self.len() < available && available > floor && !self.policy.has_evicted()
    }

    /// Empties the store, handing back the old slab.
    pub(crate) fn clear(&mut self) -> Vec<Option<Node<K, V>>> {
        self.table = HashTable::new();
        self.policy = Policy::new(self.slab.capacity());
        self.sweep_hand = 0;
        self.earliest = clock::NEVER;
        self.pass_earliest = clock::NEVER;
        self.slab.free = Vec::new();
        self.compacted = true;
        std::mem::take(&mut self.slab.nodes)
    }

    /// The live entries (deadline after `now`).
    pub(crate) fn live(&self, now: Nanos) -> impl Iterator<Item = &Node<K, V>> {
        self.slab.nodes.iter().flatten().filter(move |node| !node.expired_at(now))
    }

    /// Whether the store gave memory back since the last call.
    pub(crate) fn take_compacted(&mut self) -> bool {
        // Written only when set: every write asks, and this line is otherwise left clean.
        let compacted = self.compacted;
        if compacted {
            self.compacted = false;
        }
        compacted
    }
}

/// Whether `node` may be returned: its deadline has not passed (see [`clock::is_expired`]).
#[inline]
pub(crate) fn is_live<K, V>(node: &Node<K, V>) -> bool {
    !clock::is_expired(node.deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_of_a_word_sized_key_takes_five_words() {
        // key 8 + value pointer 8 + deadline 8 + links 8 + tag 4 + credit 1 + queue 1 + seen 2,
        // no padding left; the memory benchmark's per-entry overhead rests on this.
        assert_eq!(std::mem::size_of::<Option<Node<u64, [u8; 64]>>>(), 40);
    }

    fn filled(count: u64) -> Store<u64, u64> {
        let mut store = Store::new(1_000);
        let (counters, mut trash) = (Counters::default(), Trash::default());
        for key in 0..count {
            assert!(insert_forever(&mut store, key, &counters, &mut trash));
        }
        store
    }

    /// Inserts `key` (its own value) to never expire, at time 1, with nothing to borrow.
    fn insert_forever(
        store: &mut Store<u64, u64>,
        key: u64,
        counters: &Counters,
        trash: &mut Trash<u64, u64>,
    ) -> bool {
        insert_at(store, key, (clock::NEVER, 1), counters, trash)
    }

    /// Inserts `key` (its own value) with `deadline` at time `now`, with nothing to borrow.
    fn insert_at(
        store: &mut Store<u64, u64>,
        key: u64,
        (deadline, now): (Nanos, Nanos),
        counters: &Counters,
        trash: &mut Trash<u64, u64>,
    ) -> bool {
        store.insert(hash_of(key), (key, Arc::new(key), false), deadline, now, counters, trash, || false)
    }

    fn hash_of(key: u64) -> u64 {
        key.wrapping_mul(0x2545_F491_4F6C_DD1D).rotate_left(17)
    }

    /// A small deterministic generator (xorshift64): each call gives a number below its bound.
    fn xorshift() -> impl FnMut(u64) -> u64 {
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        move |bound| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        }
    }

    #[test]
    fn a_sparse_store_compacts_and_keeps_every_live_entry_in_queue_order() {
        let mut store = filled(400);
        let (counters, mut trash) = (Counters::default(), Trash::default());
        // Remove all but every tenth key, from everywhere in the slab.
        for key in (0..400).filter(|key| key % 10 != 0) {
            assert!(store.remove(hash_of(key), &key, 0, &counters, &mut trash).is_some());
        }
        assert_eq!(store.len(), 40);
        assert!(store.slab.nodes.len() < 400, "the slab did not shrink");
        assert!(store.slab.nodes.capacity() <= 4 * 40);
        for key in (0..400).step_by(10) {
            let node = store.get(hash_of(key), &key).expect("a live entry was lost by the compaction");
            assert_eq!(*node.value, key);
        }
        // The queues still hold every entry once: evicting drains them all, oldest first.
        let mut order = Vec::new();
        while store.len() > 0 {
            let before: Vec<u64> = store.live(0).map(|node| node.key).collect();
            store.evict(0, &counters, &mut trash);
            let after: Vec<u64> = store.live(0).map(|node| node.key).collect();
            order.extend(before.into_iter().filter(|key| !after.contains(key)));
        }
        assert_eq!(order, (0..400).step_by(10).collect::<Vec<_>>());
    }

    #[test]
    fn the_sweep_reads_no_slot_before_the_earliest_deadline_and_then_a_whole_pass() {
        let mut store = Store::new(1_000);
        let (counters, mut trash) = (Counters::default(), Trash::default());
        let mut insert = |store: &mut Store<u64, u64>, key: u64, deadline: Nanos, now: Nanos| {
            assert!(insert_at(store, key, (deadline, now), &counters, &mut trash));
        };
        for key in 0..100 {
            insert(&mut store, key, 1_000, 10);
        }
        assert_eq!(store.sweep_hand, 0, "swept before any entry could expire");
        // One entry that expires at 50: from then on, sweeps run (and take it).
        insert(&mut store, 100, 50, 10);
        insert(&mut store, 101, 1_000, 60);
        assert_eq!(store.sweep_hand, 2);
        for key in 102..600 {
            insert(&mut store, key, 1_000, 60);
        }
        assert!(store.get(hash_of(100), &100).is_none(), "the expired entry was not swept");
        // Once a pass has seen every entry (the first still counts the expired one, as it was
        // stored during it), the sweep rests again until the earliest deadline.
        assert_eq!((store.earliest, store.sweep_hand), (1_000, 0));
        // A replacement lowers the bound too.
        insert(&mut store, 5, 70, 60);
        insert(&mut store, 600, 1_000, 80);
        assert_eq!(store.sweep_hand, 2);
    }

    #[test]
    fn the_earliest_deadline_never_passes_a_held_entrys() {
        // Inserts, replacements and removals with mixed deadlines as time goes on; the sweep's
        // bound must stay at or below every held entry's deadline, whatever slot it lands in.
        let mut store = Store::new(200);
        let (counters, mut trash) = (Counters::default(), Trash::default());
        let mut next = xorshift();
        let mut compactions = 0;
        for now in 1..40_000 {
            if now % 5_000 == 0 {
                // Most keys go at once: the store turns sparse, and the removal that makes it so
                // removes every expired entry before compacting.
                let slots = store.slab.nodes.len();
                for key in (0..300).filter(|key| key % 8 != 0) {
                    store.remove(hash_of(key), &key, now, &counters, &mut trash);
                }
                if store.slab.nodes.len() < slots {
                    compactions += 1;
                    assert!(
                        store.live(0).all(|node| node.deadline > now),
                        "step {now}: expired entries kept"
                    );
                }
            }
            // Below the bound for a while (slots freed by the sweep are reused), then above it.
            let key = next(if now < 20_000 { 150 } else { 300 });
            if next(10) == 0 {
                store.remove(hash_of(key), &key, now, &counters, &mut trash);
            } else {
                let span = if next(2) == 0 { 50 } else { 5_000 };
                let deadline = now + 1 + next(span);
                insert_at(&mut store, key, (deadline, now), &counters, &mut trash);
            }
            // Expired entries still held count too: they are what the sweep must find.
            let least = store.live(0).map(|node| node.deadline).min().unwrap_or(clock::NEVER);
            assert!(
                store.earliest <= least,
                "step {now}: bound {} above a held deadline {least}",
                store.earliest
            );
        }
        assert!(compactions >= 6, "{compactions} of 7 bursts of removals compacted the store");
    }

    #[test]
    fn a_compaction_removes_the_expired_entries_it_moves_below_the_sweep() {
        // 60 entries expire at 10 (long past on the real clock that lookups read), 4 never.
        let mut store = Store::new(1_000);
        let (counters, mut trash) = (Counters::default(), Trash::default());
        for key in 0..64 {
            let deadline = if key < 60 { 10 } else { clock::NEVER };
            assert!(insert_at(&mut store, key, (deadline, 0), &counters, &mut trash));
        }
        // Each lookup that meets an expired entry removes it and sweeps 16 more slots. The third
        // leaves 16 of 64 slots in use: the store compacts, moving the unswept slots 48..64 (12
        // expired entries among them) below the hand, which starts over at 0. Nothing sweeps
        // after that here; the compaction itself must not leave them.
        for key in [0, 16, 32] {
            let (index, _) = store.find(hash_of(key), &key).expect("stored");
            store.remove_expired_at(index, &counters, &mut trash);
        }
        assert!(store.slab.nodes.len() < 64, "the store did not compact");
        assert_eq!(store.len(), 4, "expired entries moved by the compaction were kept");
        assert_eq!(counters.expirations.load(std::sync::atomic::Ordering::Relaxed), 60);
    }

    #[test]
    fn removing_an_expired_entry_by_a_stale_index_removes_only_an_expired_one() {
        // `get` finds an expired entry without the lock and removes it by slab index under the
        // lock; meanwhile the slot may have been freed, reused, or compacted away.
        let mut store = Store::new(1_000);
        let (counters, mut trash) = (Counters::default(), Trash::default());
        let insert = |store: &mut Store<u64, u64>, key: u64, deadline: Nanos, trash: &mut Trash<u64, u64>| {
            assert!(insert_at(store, key, (deadline, 0), &counters, trash));
        };
        for key in 0..20 {
            insert(&mut store, key, if key == 5 { 10 } else { clock::NEVER }, &mut trash);
        }
        let expirations = || counters.expirations.load(std::sync::atomic::Ordering::Relaxed);
        let (index, _) = store.find(hash_of(5), &5).expect("stored");
        // Freed meanwhile: nothing to remove.
        assert!(store.remove(hash_of(5), &5, 0, &counters, &mut trash).is_some());
        store.remove_expired_at(index, &counters, &mut trash);
        assert_eq!((store.len(), expirations()), (19, 0));
        // Reused by a live entry: it stays.
        insert(&mut store, 100, clock::NEVER, &mut trash);
        assert_eq!(store.find(hash_of(100), &100).map(|(at, _)| at), Some(index));
        store.remove_expired_at(index, &counters, &mut trash);
        assert!(store.get(hash_of(100), &100).is_some());
        assert_eq!((store.len(), expirations()), (20, 0));
        // Reused by another expired entry: it goes, as a sweep's would, counted once.
        assert!(store.remove(hash_of(100), &100, 0, &counters, &mut trash).is_some());
        insert(&mut store, 101, 10, &mut trash);
        store.remove_expired_at(index, &counters, &mut trash);
        assert!(store.get(hash_of(101), &101).is_none());
        assert_eq!((store.len(), expirations()), (19, 1));
        // Past the end of a slab that compaction shrank: nothing happens, nothing panics.
        for key in (0..20).filter(|&key| key != 5 && key != 0) {
            assert!(store.remove(hash_of(key), &key, 0, &counters, &mut trash).is_some());
        }
        assert!(store.slab.nodes.len() < 20, "the slab did not shrink");
        store.remove_expired_at(19, &counters, &mut trash);
        assert_eq!(store.len(), 1);
        assert!(store.get(hash_of(0), &0).is_some());
    }

    #[test]
    fn trash_drops_everything_it_was_given_and_nothing_before() {
        for count in [0, 1, 2, 5] {
            let values: Vec<Arc<u64>> = (0..count).map(Arc::new).collect();
            let mut trash = Trash::default();
            for (key, value) in values.iter().enumerate() {
                trash.push(key, Arc::clone(value));
            }
            assert!(values.iter().all(|value| Arc::strong_count(value) == 2), "dropped before the trash");
            drop(trash);
            assert!(values.iter().all(|value| Arc::strong_count(value) == 1), "{count} pushed: one kept");
        }
    }

    #[test]
    fn the_queues_stay_linked_through_evictions_removals_and_compactions() {
        // Random inserts (which evict once full), hits, removals and bursts of removals that
        // compact, checking every link after each: heads taken off the queues leave their
        // successors' `prev` stale, which no later unlink or relocation may follow.
        let mut store = Store::new(64);
        let (counters, mut trash) = (Counters::default(), Trash::default());
        let mut next = xorshift();
        let mut compactions = 0;
        for step in 0..20_000 {
            let slots = store.slab.nodes.len();
            let key = next(200);
            match next(10) {
                0..=5 => {
                    insert_forever(&mut store, key, &counters, &mut trash);
                }
                6 | 7 => {
                    if let Some(node) = store.get(hash_of(key), &key) {
                        node.touch();
                    }
                }
                8 => drop(store.remove(hash_of(key), &key, 0, &counters, &mut trash)),
                _ if step % 50 == 0 => {
                    for key in 0..200 {
                        if next(5) > 0 {
                            drop(store.remove(hash_of(key), &key, 0, &counters, &mut trash));
                        }
                    }
                }
                _ => {}
            }
            let [small, main] = store.policy.queues(&store.slab);
            let mut queued: Vec<u32> = small.into_iter().chain(main).collect();
            queued.sort_unstable();
            let mut held: Vec<u32> = store.table.iter().copied().collect();
            held.sort_unstable();
            assert_eq!(queued, held, "step {step}: the queues do not hold exactly the entries");
            compactions += usize::from(store.slab.nodes.len() < slots);
        }
        assert!(compactions >= 20, "only {compactions} compactions: the relocations went untested");
    }

    #[test]
    fn an_emptied_store_holds_no_memory() {
        let mut store = filled(100);
        let (counters, mut trash) = (Counters::default(), Trash::default());
        for key in 0..100 {
            store.remove(hash_of(key), &key, 0, &counters, &mut trash);
        }
        assert_eq!((store.slab.nodes.capacity(), store.table.capacity()), (0, 0));
        assert_eq!(store.slab.free.capacity(), 0);
    }

    #[test]
    fn the_frequency_sketch_comes_with_the_first_eviction_and_goes_with_compaction() {
        let mut store = filled(1_000);
        assert_eq!(store.policy.sketch_words(), 0, "allocated before the store was full");
        let (counters, mut trash) = (Counters::default(), Trash::default());
        assert!(insert_forever(&mut store, 1_000, &counters, &mut trash));
        assert_eq!(store.policy.sketch_words(), 4_096 / 16 + 2, "1,000 entries: 4,096 counters and the tail");
        // Seen twice (evicted, then inserted again), the newcomers pass the admission margin
        // against the uncounted entries, and stay.
        for _ in 0..2 {
            for key in 1_001..1_300 {
                insert_forever(&mut store, key, &counters, &mut trash);
            }
        }
        let mut keys: Vec<(bool, u64)> =
            store.live(0).map(|node| (node.seen != Seen::default(), node.key)).collect();
        keys.sort_unstable();
        let counted = keys.iter().filter(|&&(counted, _)| counted).count();
        assert!(counted >= 200, "{counted} of {} counted", keys.len());
        for (_, key) in &keys[..800] {
            store.remove(hash_of(*key), key, 1, &counters, &mut trash);
        }
        assert_eq!(store.policy.sketch_words(), 0, "kept after compaction");
        assert_eq!(store.len(), 200);
        assert!(store.live(0).all(|node| node.seen == Seen::default()), "estimates of a freed sketch kept");
    }

    #[test]
    fn spread_keeps_distinct_tags_distinct_in_the_low_bits() {
        let buckets = 1u32 << 12;
        let mut seen = std::collections::HashSet::new();
        for tag in 0..buckets {
            assert!(seen.insert(spread(tag) & u64::from(buckets - 1)), "two tags share a bucket index");
        }
    }
}
