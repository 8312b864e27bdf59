use crate::stats::Counters;
use crate::store::{Store, Trash};
use crate::sync::{AtomicUsize, Ordering, RwLock, RwLockWriteGuard, write};

/// One lock's worth of the cache. Aligned to two cache lines so that neighbouring shards never
/// share a line, nor its adjacent-line prefetch pair. In C order so that the lock word and the
/// heads of the table and slab (see [`Store`]) that every hit reads share the first line.
#[derive(Debug)]
#[repr(C, align(128))]
pub(crate) struct Shard<K, V> {
    pub(crate) store: RwLock<Store<K, V>>,
    pub(crate) counters: Counters,
    /// `store.len()`, readable without the lock.
    len: AtomicUsize,
}

impl<K, V> Shard<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Shard {
            store: RwLock::new(Store::new(capacity)),
            len: AtomicUsize::new(0),
            counters: Counters::default(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Runs `f` under the write lock, then drops what it removed after unlocking.
    pub(crate) fn write<R>(
        &self,
        f: impl FnOnce(&mut RwLockWriteGuard<'_, Store<K, V>>, &Counters, &mut Trash<K, V>) -> R,
    ) -> R {
        let mut trash = Trash::default();
        let result = {
            let mut store = write(&self.store);
            let result = f(&mut store, &self.counters, &mut trash);
            self.len.store(store.len(), Ordering::Relaxed);
            result
        };
        drop(trash);
        result
    }
}
