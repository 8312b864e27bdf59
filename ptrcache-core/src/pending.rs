//! The keys of a shard whose initializer is running (single flight's records, see flight.rs).
//!
//! Every get-or-insert miss adds a record and removes it, and most shards have none or one at a
//! time, so the first [`FEW`] records live in a list scanned in place: a hash table's insert and
//! removal cost ~78 instructions more per miss than this list (callgrind, 1M get-or-inserts at
//! Zipf 0.8 over 1M keys into 100k entries: 40M of the cache's ~928M instructions, 4.3%; a list
//! without the table behind it saved 44M). Records past those go to a hash table, so that a
//! shard with thousands of keys loading at once (async initializers) still finds each record in
//! O(1); the table is freed once it empties, so that later misses do not search it.

use crate::flight::Flight;
use crate::sync::{Arc as SyncArc, ThreadId};
use hashbrown::HashTable;

/// Records kept in the scanned list before the hash table is used.
const FEW: usize = 8;

/// A key whose initializer is running.
#[derive(Debug)]
pub(crate) struct Pending<K, V> {
    pub(crate) key: K,
    /// The key's hash, computed once outside the lock (see store.rs).
    hash: u64,
    /// Tells this record from a later one for the same key.
    id: u64,
    /// The thread running a synchronous initializer: if it asks for the same key, waiting
    /// would deadlock.
    pub(crate) sync_leader: Option<ThreadId>,
    /// What waiters wait on; allocated by the first waiter.
    flight: Option<SyncArc<Flight<V>>>,
}

impl<K, V> Pending<K, V> {
    /// The flight to wait on, allocating it for the first waiter.
    pub(crate) fn flight(&mut self) -> SyncArc<Flight<V>> {
        SyncArc::clone(self.flight.get_or_insert_with(|| SyncArc::new(Flight::new())))
    }
}

/// The records of one shard.
#[derive(Debug)]
pub(crate) struct PendingKeys<K, V> {
    /// Up to [`FEW`] records, in no order.
    few: Vec<Pending<K, V>>,
    /// The records past the first [`FEW`], by hash; boxed, as it is rarely needed and the
    /// shard's size is counted (see shard.rs).
    many: Option<Box<HashTable<Pending<K, V>>>>,
    /// The id of the next record.
    next_id: u64,
}

impl<K, V> Default for PendingKeys<K, V> {
    fn default() -> Self {
        PendingKeys { few: Vec::new(), many: None, next_id: 0 }
    }
}

impl<K: Eq, V> PendingKeys<K, V> {
    /// The record of `key` (whose hash is `hash`), if its initializer is running.
    pub(crate) fn find_mut(&mut self, hash: u64, key: &K) -> Option<&mut Pending<K, V>> {
        let matches = |pending: &Pending<K, V>| pending.hash == hash && pending.key == *key;
        match self.few.iter().position(matches) {
            Some(at) => self.few.get_mut(at),
            None if self.many.is_some() => self.find_many(hash, key),
            None => None,
        }
    }

    #[cold]
    fn find_many(&mut self, hash: u64, key: &K) -> Option<&mut Pending<K, V>> {
        self.many.as_mut()?.find_mut(hash, |pending| pending.key == *key)
    }
}

impl<K, V> PendingKeys<K, V> {
    /// Records that `key`'s initializer runs (it has no record yet); returns the record's id.
    pub(crate) fn add(&mut self, hash: u64, key: K, sync_leader: Option<ThreadId>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let pending = Pending { key, hash, id, sync_leader, flight: None };
        if self.few.len() < FEW {
            self.few.push(pending);
        } else {
            self.add_many(pending);
        }
        id
    }

    #[cold]
    fn add_many(&mut self, pending: Pending<K, V>) {
        let many = self.many.get_or_insert_with(Box::default);
        many.insert_unique(pending.hash, pending, |pending| pending.hash);
    }

    /// Ends the record `id` of a key whose hash is `hash`, handing back its key and its flight,
    /// if a waiter made one; `None` if it has ended already.
    pub(crate) fn take(&mut self, hash: u64, id: u64) -> Option<(K, Option<SyncArc<Flight<V>>>)> {
        let pending = match self.few.iter().position(|pending| pending.id == id) {
            Some(at) => self.few.swap_remove(at),
            None => self.take_many(hash, id)?,
        };
        Some((pending.key, pending.flight))
    }

    #[cold]
    fn take_many(&mut self, hash: u64, id: u64) -> Option<Pending<K, V>> {
        let many = self.many.as_mut()?;
        let pending = many.find_entry(hash, |pending| pending.id == id).ok()?.remove().0;
        if many.is_empty() {
            self.many = None;
        }
        Some(pending)
    }

    /// Gives back the memory that past records left (a cleared or compacted shard returns to
    /// an empty one's footprint, but for the records still open).
    pub(crate) fn shrink(&mut self) {
        self.few.shrink_to_fit();
        // An emptied table is gone already (see `take_many`).
        if let Some(many) = &mut self.many {
            many.shrink_to(many.len(), |pending| pending.hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes that put every key in one bucket group, as a poor hasher would.
    fn colliding(key: u64) -> u64 {
        key % 3
    }

    #[test]
    fn records_past_the_few_are_found_and_taken_like_the_first() {
        let mut pending = PendingKeys::<u64, ()>::default();
        let ids: Vec<u64> = (0..100).map(|key| pending.add(colliding(key), key, None)).collect();
        assert_eq!(pending.few.len(), FEW);
        assert_eq!(pending.many.as_ref().map(|many| many.len()), Some(100 - FEW));
        for key in 0..100 {
            let found = pending.find_mut(colliding(key), &key).expect("a running key's record");
            assert_eq!(found.key, key);
        }
        assert!(pending.find_mut(colliding(100), &100).is_none());
        // The table's records first (ids 99 down to 8), then the list's.
        for (key, &id) in ids.iter().enumerate().rev() {
            let key = key as u64;
            let (taken, flight) = pending.take(colliding(key), id).expect("open");
            assert_eq!(taken, key);
            assert!(flight.is_none());
            assert!(pending.take(colliding(key), id).is_none(), "taken twice");
            assert!(pending.find_mut(colliding(key), &key).is_none());
        }
        assert!(pending.many.is_none(), "an emptied table is freed at once");
        pending.shrink();
        assert_eq!(pending.few.capacity(), 0);
    }

    #[test]
    fn the_list_refills_while_the_table_holds_records() {
        let mut pending = PendingKeys::<u64, ()>::default();
        let mut ids: Vec<(u64, u64)> =
            (0..12).map(|key| (key, pending.add(colliding(key), key, None))).collect();
        // Four leave the list while four remain in the table; three newcomers go to the list.
        for (key, id) in ids.drain(..4) {
            assert_eq!(pending.take(colliding(key), id).map(|(key, _)| key), Some(key));
        }
        ids.extend((12..15).map(|key| (key, pending.add(colliding(key), key, None))));
        assert_eq!((pending.few.len(), pending.many.as_ref().map(|many| many.len())), (7, Some(4)));
        for &(key, _) in &ids {
            assert_eq!(pending.find_mut(colliding(key), &key).map(|found| found.key), Some(key));
        }
        for (key, id) in ids {
            assert_eq!(pending.take(colliding(key), id).map(|(key, _)| key), Some(key));
            assert!(pending.find_mut(colliding(key), &key).is_none());
        }
        assert!(pending.few.is_empty() && pending.many.is_none());
    }

    #[test]
    fn a_later_record_of_the_same_key_is_told_from_an_earlier_one_by_its_id() {
        let mut pending = PendingKeys::<u64, ()>::default();
        let first = pending.add(7, 1, None);
        let (key, _) = pending.take(7, first).expect("open");
        let second = pending.add(7, key, None);
        assert_ne!(first, second);
        assert!(pending.take(7, first).is_none(), "an ended record's id ends nothing else");
        assert!(pending.find_mut(7, &1).is_some());
        assert!(pending.take(7, second).is_some());
    }

    #[test]
    fn a_flight_made_by_a_waiter_is_handed_back_with_the_key() {
        let mut pending = PendingKeys::<u64, u32>::default();
        let id = pending.add(5, 5, None);
        let flight = pending.find_mut(5, &5).expect("open").flight();
        let again = pending.find_mut(5, &5).expect("open").flight();
        assert!(SyncArc::ptr_eq(&flight, &again), "one flight per record");
        let (_, handed) = pending.take(5, id).expect("open");
        assert!(SyncArc::ptr_eq(&flight, &handed.expect("the waiter's flight")));
    }
}
