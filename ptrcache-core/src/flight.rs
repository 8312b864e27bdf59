//! Single flight: one initializer per missing key, whoever asks.
//!
//! The first caller that misses a key records the key as pending in the shard (under the write
//! lock) and becomes its leader; later callers for that key find the record and wait on its
//! [`Flight`], a thread on the [`Condvar`], a task on the [`tokio::sync::Notify`] — one
//! protocol, two kinds of waiter. The flight is only allocated when a first waiter arrives, so
//! an uncontended miss costs no allocation. No lock is held while the initializer runs. The
//! leader's [`Guard`] ends the record whatever happens: on success it stores the value and hands
//! it to every waiter; if the initializer panics, returns an error, or its future is dropped, the
//! guard's `Drop` removes the record and wakes the waiters, which then try again (one of them
//! becomes the next leader).

use crate::shard::Stamp;
use crate::sync::{Arc as SyncArc, Condvar, Mutex, lock, wait};
use std::sync::Arc;

#[derive(Debug)]
enum State<V> {
    Running,
    Done(Arc<V>),
    Abandoned,
}

/// The shared state of one running initialization.
#[derive(Debug)]
pub(crate) struct Flight<V> {
    state: Mutex<State<V>>,
    /// Wakes waiting threads.
    done: Condvar,
    /// Wakes waiting tasks.
    #[cfg(feature = "async")]
    notify: tokio::sync::Notify,
}

impl<V> Flight<V> {
    pub(crate) fn new() -> Self {
        Flight {
            state: Mutex::new(State::Running),
            done: Condvar::new(),
            #[cfg(feature = "async")]
            notify: tokio::sync::Notify::new(),
        }
    }

    /// Publishes the outcome and wakes every waiter: `Some` is the stored value, `None` means
    /// the initialization failed and waiters should try again.
    pub(crate) fn finish(&self, outcome: Option<Arc<V>>) {
        *lock(&self.state) = match outcome {
            Some(value) => State::Done(value),
            None => State::Abandoned,
        };
        self.done.notify_all();
        #[cfg(feature = "async")]
        self.notify.notify_waiters();
    }

    /// The outcome, or `Err(())` while the initializer runs.
    #[cfg(feature = "async")]
    fn outcome(&self) -> Result<Option<Arc<V>>, ()> {
        match &*lock(&self.state) {
            State::Running => Err(()),
            State::Done(value) => Ok(Some(Arc::clone(value))),
            State::Abandoned => Ok(None),
        }
    }

    /// Blocks the thread until the flight ends; `None` means "try again".
    pub(crate) fn wait(&self) -> Option<Arc<V>> {
        let mut state = lock(&self.state);
        loop {
            match &*state {
                State::Running => state = wait(&self.done, state),
                State::Done(value) => return Some(Arc::clone(value)),
                State::Abandoned => return None,
            }
        }
    }

    /// Waits without blocking the executor until the flight ends; `None` means "try again".
    ///
    /// Cancel safe: dropping this future only stops this waiter.
    #[cfg(feature = "async")]
    pub(crate) async fn wait_async(&self) -> Option<Arc<V>> {
        loop {
            // Created before the state is read, so a `notify_waiters` between the read and the
            // `.await` still wakes it.
            let notified = self.notify.notified();
            match self.outcome() {
                Ok(outcome) => return outcome,
                Err(()) => notified.await,
            }
        }
    }
}

/// What a caller that missed a key does next.
#[derive(Debug)]
pub(crate) enum Join<V, G, K> {
    /// Another caller stored the value meanwhile.
    Hit(Arc<V>),
    /// This caller runs the initializer; the guard ends the flight.
    Lead(G),
    /// Another caller runs it: wait on the flight, and get the key back for a retry.
    Wait(SyncArc<Flight<V>>, K),
}

/// The message of the panic that replaces a certain deadlock.
pub(crate) const REENTRANT: &str = "ptrcache: an initializer asked the cache for its own key on the same \
     thread; waiting for itself would deadlock (compute the value without the cache, or use a \
     different key)";

/// Wakes the waiters of a flight when dropped, with `value` if it was set: so they are woken
/// even if storing the value panics (a key's `Hash` or `Eq` did).
#[derive(Debug)]
pub(crate) struct Release<V> {
    pub(crate) flight: Option<SyncArc<Flight<V>>>,
    pub(crate) value: Option<Arc<V>>,
}

impl<V> Drop for Release<V> {
    fn drop(&mut self) {
        if let Some(flight) = self.flight.take() {
            flight.finish(self.value.take());
        }
    }
}

/// What ends a pending key's record: implemented by the cache, called by [`Guard`].
pub(crate) trait Land<V> {
    /// Stores `value` for the record `id`'s key, ends the record and wakes its waiters.
    /// `absent`: the store's version in which the key was absent when the record began, if it
    /// was.
    fn land(&self, hash: u64, id: u64, value: Arc<V>, absent: Option<Stamp>);
    /// Ends the record `id` without a value and wakes its waiters to try again.
    fn abandon(&self, hash: u64, id: u64);
}

/// Held by the leader while its initializer runs; see the module docs.
pub(crate) struct Guard<'a, V, C: Land<V>> {
    cache: &'a C,
    hash: u64,
    id: u64,
    absent: Option<Stamp>,
    landed: bool,
    value: std::marker::PhantomData<fn() -> V>,
}

impl<V, C: Land<V>> std::fmt::Debug for Guard<'_, V, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard").field("hash", &self.hash).field("id", &self.id).finish_non_exhaustive()
    }
}

impl<'a, V, C: Land<V>> Guard<'a, V, C> {
    pub(crate) fn new(cache: &'a C, hash: u64, id: u64, absent: Option<Stamp>) -> Self {
        Guard { cache, hash, id, absent, landed: false, value: std::marker::PhantomData }
    }

    /// Stores the initializer's value, wakes the waiters and returns the stored pointer.
    pub(crate) fn complete(mut self, value: Arc<V>) -> Arc<V> {
        self.cache.land(self.hash, self.id, Arc::clone(&value), self.absent);
        self.landed = true;
        value
    }
}

impl<V, C: Land<V>> Drop for Guard<'_, V, C> {
    fn drop(&mut self) {
        if !self.landed {
            // The initializer panicked, failed, or its future was dropped.
            self.cache.abandon(self.hash, self.id);
        }
    }
}
