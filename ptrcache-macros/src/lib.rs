//! Attribute macros of [ptrcache](https://docs.rs/ptrcache): `#[cached_property]` and
//! `#[ptr_cached]`. Use them through the `ptrcache` crate, which re-exports them with their
//! documentation.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
#![warn(clippy::pedantic)]

mod cached_property;
mod fallback;
mod ptr_cached;

use proc_macro::TokenStream;

/// Computes a method's value once per instance and keeps it in the instance, like Python's
/// `functools.cached_property`.
///
/// ```
/// use ptrcache::{PropertyCell, cached_property};
///
/// #[derive(Default)]
/// struct Circle {
///     r: f64,
///     area: PropertyCell<f64>, // keeps the value of `area()`
/// }
///
/// impl Circle {
///     #[cached_property]
///     fn area(&self) -> f64 { // becomes `fn area(&self) -> &f64`
///         std::f64::consts::PI * self.r * self.r
///     }
/// }
///
/// let mut circle = Circle { r: 1.0, ..Circle::default() };
/// assert_eq!(*circle.area(), std::f64::consts::PI); // computed
/// assert_eq!(*circle.area(), std::f64::consts::PI); // read back
///
/// circle.r = 2.0;
/// circle.area.take(); // like Python's `del circle.area`: the next call recomputes
/// assert_eq!(*circle.area(), 4.0 * std::f64::consts::PI);
/// ```
///
/// # What the expansion gives you
///
/// - **The signature.** `fn name(&self) -> T` becomes `fn name(&self) -> &T`, and
///   `async fn name(&self) -> T` becomes `async fn name(&self) -> &T`. Attributes, doc
///   comments and visibility stay as written. The body is unchanged: `return` and `?` in it
///   mean what they meant. A `-> Result<..>` keeps the whole `Result`, `Err` included. In an
///   `async fn`, the body's value is coerced to the return type as in any function (a
///   `Box::new(closure)` to a `Box<dyn Fn()>`), but an early `return` of such a value needs the
///   type written out (`return Box::new(closure) as Box<dyn Fn()>`): an async block has no
///   declared return type to coerce it to.
/// - **The field.** The struct needs a field of type `PropertyCell<T>` (`AsyncPropertyCell<T>`
///   for an `async fn`), by default named like the method: a field and a method may share a
///   name. `#[cached_property(field = other)]` names another field (`field = 1` in a tuple
///   struct). The cells implement `Default`, so `#[derive(Default)]` or
///   `..Default::default()` fills them.
/// - **Once per instance.** The first call runs the body and keeps its value in the field;
///   later calls return a reference to it without locking. Each instance computes its own
///   value. `self.name.get()` peeks without computing, and `self.name.take()` (it needs
///   `&mut self`) empties the field so that the next call computes again. Cloning a cell
///   clones the value it holds.
/// - **Thread safety.** Concurrent first calls from several threads (or, for an `async fn`,
///   tasks) run the body once; the others wait and then read the same value. A struct whose
///   cells hold `Send + Sync` values stays `Send + Sync`.
/// - **Failure.** If the body panics, nothing is kept: the panic reaches the caller that ran
///   the body, and the next call (or a waiting one) runs it again. The same holds when the
///   future of an `async` call is dropped before it finishes. A sync body that reads its own
///   property on the same thread panics with a clear message rather than deadlocking.
/// - **Compile errors**, each pointing at what you wrote and saying what to write instead:
///   a receiver other than `&self`, other parameters, type or const parameters, a missing
///   return type or an `impl Trait` one, a `const fn`, use outside an `impl` method, a
///   missing field (the error names it) or a field of the wrong type (the error names the
///   type it must have), and unknown or repeated options. With a mistake, the method is left
///   as written so that only the real error is reported.
///
/// # Options
///
/// - `field = name`: the field that keeps the value, when it is not named like the method.
/// - `crate = path`: the path to the `ptrcache` crate, when it is renamed or re-exported
///   (`crate = ::my_ptrcache`, `crate = crate::deps::ptrcache`).
///
/// # Async
///
/// The body of an `async fn` runs once per instance however many tasks ask at once; it needs
/// no particular runtime.
///
/// ```
/// use ptrcache::{AsyncPropertyCell, cached_property};
///
/// struct Summoner {
///     name: String,
///     rank: AsyncPropertyCell<u32>,
/// }
///
/// impl Summoner {
///     #[cached_property]
///     async fn rank(&self) -> u32 {
///         fetch_rank(&self.name).await // runs on the first call only
///     }
/// }
///
/// async fn fetch_rank(name: &str) -> u32 {
///     name.len() as u32
/// }
///
/// async fn show(summoner: &Summoner) {
///     let rank: &u32 = summoner.rank().await;
///     println!("{} is ranked {rank}", summoner.name);
/// }
/// # let _ = show;
/// ```
#[proc_macro_attribute]
pub fn cached_property(args: TokenStream, item: TokenStream) -> TokenStream {
    cached_property::expand(args.into(), item.into()).into()
}

#[doc = include_str!("ptr_cached/docs.md")]
#[proc_macro_attribute]
pub fn ptr_cached(args: TokenStream, item: TokenStream) -> TokenStream {
    ptr_cached::expand(args.into(), item.into()).into()
}
