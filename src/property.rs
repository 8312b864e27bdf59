//! What `#[cached_property]` expansions call, through `__private`: a check that the property's
//! field has the right cell type, with an error message that says which type that is.

use ptrcache_core::PropertyCell;

/// Implemented by the one type a sync `#[cached_property]` returning `T` can keep its value in.
#[diagnostic::on_unimplemented(
    message = "the field of a `#[cached_property]` returning `{T}` must have type `PropertyCell<{T}>`, not `{Self}`",
    label = "this property's field has type `{Self}`",
    note = "declare the field with type `ptrcache::PropertyCell<{T}>`, or name another field with `#[cached_property(field = other)]`"
)]
pub trait PropertyField<T> {
    /// The field as the cell it is.
    fn cell(&self) -> &PropertyCell<T>;
}

#[diagnostic::do_not_recommend]
impl<T> PropertyField<T> for PropertyCell<T> {
    #[inline]
    fn cell(&self) -> &PropertyCell<T> {
        self
    }
}

#[cfg(feature = "async")]
pub use self::async_field::AsyncPropertyField;

#[cfg(feature = "async")]
mod async_field {
    use ptrcache_core::AsyncPropertyCell;

    /// Implemented by the one type an `async` `#[cached_property]` returning `T` can keep its
    /// value in.
    #[diagnostic::on_unimplemented(
        message = "the field of an async `#[cached_property]` returning `{T}` must have type `AsyncPropertyCell<{T}>`, not `{Self}`",
        label = "this property's field has type `{Self}`",
        note = "declare the field with type `ptrcache::AsyncPropertyCell<{T}>`, or name another field with `#[cached_property(field = other)]`"
    )]
    pub trait AsyncPropertyField<T> {
        /// The field as the cell it is.
        fn cell(&self) -> &AsyncPropertyCell<T>;
    }

    #[diagnostic::do_not_recommend]
    impl<T> AsyncPropertyField<T> for AsyncPropertyCell<T> {
        #[inline]
        fn cell(&self) -> &AsyncPropertyCell<T> {
            self
        }
    }
}
