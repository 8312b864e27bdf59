//! The cells behind `#[cached_property]`: a value computed at most once per instance and kept in
//! it. [`PropertyCell`] serves threads ([`OnceLock`] underneath), [`AsyncPropertyCell`] serves
//! tasks (`tokio::sync::OnceCell` underneath, no runtime needed).

use std::cell::RefCell;
use std::fmt;
use std::sync::OnceLock;

/// The field that keeps a `#[cached_property]`'s value: empty until the first access computes
/// it, then the value, until [`take`](PropertyCell::take) empties it again.
///
/// The macro calls [`get_or_init`](PropertyCell::get_or_init) for you; the other methods let
/// you peek at the value or invalidate it. The cell can also be used by hand.
///
/// ```
/// use ptrcache::{PropertyCell, cached_property};
///
/// #[derive(Default)]
/// struct Circle {
///     r: f64,
///     area: PropertyCell<f64>,
/// }
///
/// impl Circle {
///     #[cached_property]
///     fn area(&self) -> f64 {
///         std::f64::consts::PI * self.r * self.r
///     }
/// }
///
/// let mut circle = Circle { r: 2.0, ..Circle::default() };
/// assert_eq!(circle.area.get(), None);        // nothing computed yet
/// assert_eq!(*circle.area(), 4.0 * std::f64::consts::PI);
/// assert!(circle.area.get().is_some());       // now it is kept
///
/// circle.r = 3.0;
/// circle.area.take();                         // invalidate: the next access recomputes
/// assert_eq!(*circle.area(), 9.0 * std::f64::consts::PI);
/// ```
///
/// # Concurrent first access
///
/// If several threads ask an empty cell at once, one runs the initializer and the others block
/// until it is done, then all read the same value. If the initializer panics, the panic goes to
/// the thread that ran it, the cell stays empty, and a waiting thread (or the next caller) runs
/// its own initializer. A `PropertyCell<T>` is `Sync` when `T` is `Send + Sync`, so a struct of
/// such fields stays shareable between threads.
#[derive(Clone)]
pub struct PropertyCell<T> {
    value: OnceLock<T>,
}

impl<T> PropertyCell<T> {
    /// An empty cell; the same as [`PropertyCell::default`], usable in a `const` or `static`.
    ///
    /// ```
    /// static ANSWER: ptrcache::PropertyCell<u32> = ptrcache::PropertyCell::new();
    /// assert_eq!(*ANSWER.get_or_init(|| 42), 42);
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        PropertyCell { value: OnceLock::new() }
    }

    /// The value, if it has been computed; never computes it.
    ///
    /// ```
    /// let cell = ptrcache::PropertyCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.get_or_init(|| "computed");
    /// assert_eq!(cell.get(), Some(&"computed"));
    /// ```
    #[inline]
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Empties the cell and returns the value it held, if any; the next
    /// [`get_or_init`](PropertyCell::get_or_init) (the next access to the property) computes the
    /// value again. This is Python's `del obj.attr`. It takes `&mut self`, so no thread can be
    /// reading the old value meanwhile.
    ///
    /// ```
    /// let mut cell = ptrcache::PropertyCell::new();
    /// cell.get_or_init(|| 1);
    /// assert_eq!(cell.take(), Some(1));
    /// assert_eq!(cell.get(), None);
    /// assert_eq!(*cell.get_or_init(|| 2), 2);
    /// ```
    pub fn take(&mut self) -> Option<T> {
        self.value.take()
    }

    /// The value, computing it with `init` if the cell is empty.
    ///
    /// `init` runs at most once per filling of the cell: concurrent callers on an empty cell
    /// wait for the one that runs it (see [Concurrent first access](PropertyCell#concurrent-first-access)),
    /// and a cell that has a value returns it without locking.
    ///
    /// ```
    /// let cell = ptrcache::PropertyCell::new();
    /// assert_eq!(*cell.get_or_init(|| 6 * 7), 42);
    /// assert_eq!(*cell.get_or_init(|| unreachable!("already computed")), 42);
    /// ```
    ///
    /// # Panics
    ///
    /// If `init` panics, the panic propagates to this caller and the cell stays empty; the next
    /// caller runs its own `init`. If `init` asks the same cell for its value on the same
    /// thread (a property whose body reads itself), this panics with a clear message rather
    /// than waiting for itself forever.
    #[inline]
    pub fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
        match self.value.get() {
            Some(value) => value,
            None => self.initialize(init),
        }
    }

    /// The miss path of [`get_or_init`](PropertyCell::get_or_init), out of line so the hit stays
    /// small enough to inline.
    #[cold]
    fn initialize(&self, init: impl FnOnce() -> T) -> &T {
        let _running = Running::enter(std::ptr::from_ref(self).addr());
        self.value.get_or_init(init)
    }
}

impl<T> Default for PropertyCell<T> {
    fn default() -> Self {
        PropertyCell::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for PropertyCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_cell(f, "PropertyCell", self.get())
    }
}

thread_local! {
    /// The addresses of the cells whose initializer runs on this thread, innermost last.
    static RUNNING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks a cell's initializer as running on this thread while it lives, so that a recursive
/// access panics instead of deadlocking in `OnceLock::get_or_init` (which would wait for itself).
/// An address identifies a cell here: the cell is borrowed, so it can neither move nor be freed
/// while its initializer runs.
struct Running {
    cell: usize,
}

impl Running {
    fn enter(cell: usize) -> Running {
        RUNNING.with_borrow_mut(|running| {
            assert!(
                !running.contains(&cell),
                "ptrcache: a cached property's body asked for the same property of the same \
                 instance; waiting for itself would deadlock (compute the value without reading \
                 the property)"
            );
            running.push(cell);
        });
        Running { cell }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // `try_with`: a cell may be initialized in another thread-local's destructor, after
        // this one is gone; then there is nothing left to clean up.
        let _ = RUNNING.try_with(|running| {
            let mut running = running.borrow_mut();
            if let Some(index) = running.iter().rposition(|&cell| cell == self.cell) {
                running.remove(index);
            }
        });
    }
}

/// `Name(value)`, or `Name(<empty>)` for an empty cell.
fn debug_cell<T: fmt::Debug>(f: &mut fmt::Formatter<'_>, name: &str, value: Option<&T>) -> fmt::Result {
    let mut tuple = f.debug_tuple(name);
    match value {
        Some(value) => tuple.field(value),
        None => tuple.field(&format_args!("<empty>")),
    };
    tuple.finish()
}

#[cfg(feature = "async")]
pub use self::async_cell::AsyncPropertyCell;

#[cfg(feature = "async")]
mod async_cell {
    use std::fmt;
    use std::future::Future;
    use tokio::sync::OnceCell;

    /// The field that keeps an `async` `#[cached_property]`'s value: [`PropertyCell`]'s
    /// counterpart for tasks, whose first access awaits instead of blocking the thread.
    ///
    /// [`PropertyCell`]: crate::PropertyCell
    ///
    /// ```
    /// use ptrcache::{AsyncPropertyCell, cached_property};
    ///
    /// #[derive(Default)]
    /// struct User {
    ///     id: u32,
    ///     name: AsyncPropertyCell<String>,
    /// }
    ///
    /// impl User {
    ///     #[cached_property]
    ///     async fn name(&self) -> String {
    ///         format!("user #{}", self.id) // imagine a database query here
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let user = User { id: 7, ..User::default() };
    /// assert_eq!(user.name.get(), None);
    /// assert_eq!(user.name().await, "user #7");
    /// assert_eq!(user.name.get().map(String::as_str), Some("user #7"));
    /// # });
    /// ```
    ///
    /// # Concurrent first access
    ///
    /// If several tasks (or threads) ask an empty cell at once, one runs the initializer and the
    /// others wait without blocking their executor thread, then all read the same value. If the
    /// initializer panics or its future is dropped, the cell stays empty and a waiting task (or
    /// the next caller) runs its own initializer. An `AsyncPropertyCell<T>` is `Sync` when `T`
    /// is `Send + Sync`. It needs no particular runtime.
    #[derive(Clone)]
    pub struct AsyncPropertyCell<T> {
        value: OnceCell<T>,
    }

    impl<T> AsyncPropertyCell<T> {
        /// An empty cell; the same as [`AsyncPropertyCell::default`], usable in a `const` or
        /// `static`.
        ///
        /// ```
        /// static GREETING: ptrcache::AsyncPropertyCell<String> = ptrcache::AsyncPropertyCell::new();
        /// assert_eq!(GREETING.get(), None);
        /// ```
        #[must_use]
        pub const fn new() -> Self {
            AsyncPropertyCell { value: OnceCell::const_new() }
        }

        /// The value, if it has been computed; never computes it or waits.
        ///
        /// ```
        /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
        /// let cell = ptrcache::AsyncPropertyCell::new();
        /// assert_eq!(cell.get(), None);
        /// cell.get_or_init(|| async { 5 }).await;
        /// assert_eq!(cell.get(), Some(&5));
        /// # });
        /// ```
        #[inline]
        pub fn get(&self) -> Option<&T> {
            self.value.get()
        }

        /// Empties the cell and returns the value it held, if any; the next access computes
        /// the value again (Python's `del obj.attr`).
        ///
        /// ```
        /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
        /// let mut cell = ptrcache::AsyncPropertyCell::new();
        /// cell.get_or_init(|| async { 1 }).await;
        /// assert_eq!(cell.take(), Some(1));
        /// assert_eq!(*cell.get_or_init(|| async { 2 }).await, 2);
        /// # });
        /// ```
        pub fn take(&mut self) -> Option<T> {
            self.value.take()
        }

        /// The value, computing it by awaiting `init()` if the cell is empty.
        ///
        /// The future is created and awaited at most once per filling of the cell: concurrent
        /// callers on an empty cell wait for the one that runs it (see
        /// [Concurrent first access](AsyncPropertyCell#concurrent-first-access)).
        ///
        /// ```
        /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
        /// let cell = ptrcache::AsyncPropertyCell::new();
        /// assert_eq!(*cell.get_or_init(|| async { 6 * 7 }).await, 42);
        /// assert_eq!(*cell.get_or_init(|| async { unreachable!() }).await, 42);
        /// # });
        /// ```
        ///
        /// # Cancel safety
        ///
        /// Dropping the returned future is safe at any point. If it was running `init`, the cell
        /// stays empty and a waiting caller runs its own `init`; if it was waiting, nothing
        /// else is disturbed.
        ///
        /// # Panics
        ///
        /// If `init` panics, the panic propagates to this caller and the cell stays empty; the
        /// next caller runs its own `init`. Unlike [`PropertyCell`](crate::PropertyCell), a
        /// future that awaits its own cell is not detected: it waits forever.
        pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
        where
            F: FnOnce() -> Fut,
            Fut: Future<Output = T>,
        {
            self.value.get_or_init(init).await
        }
    }

    impl<T> Default for AsyncPropertyCell<T> {
        fn default() -> Self {
            AsyncPropertyCell::new()
        }
    }

    impl<T: fmt::Debug> fmt::Debug for AsyncPropertyCell<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            super::debug_cell(f, "AsyncPropertyCell", self.get())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PropertyCell;

    #[test]
    fn debug_shows_the_value_or_empty() {
        let cell = PropertyCell::new();
        assert_eq!(format!("{cell:?}"), "PropertyCell(<empty>)");
        cell.get_or_init(|| "pi");
        assert_eq!(format!("{cell:?}"), r#"PropertyCell("pi")"#);
    }

    #[test]
    fn nested_initializers_of_different_cells_run() {
        let outer = PropertyCell::new();
        let inner = PropertyCell::new();
        assert_eq!(*outer.get_or_init(|| *inner.get_or_init(|| 1) + 1), 2);
    }

    #[test]
    fn recursion_guard_is_released_after_a_panic() {
        let cell = PropertyCell::<u32>::new();
        let result = std::panic::catch_unwind(|| cell.get_or_init(|| panic!("boom")).to_owned());
        assert!(result.is_err());
        assert_eq!(*cell.get_or_init(|| 3), 3, "the cell was left marked as running");
    }
}
