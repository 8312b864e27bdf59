//! `#[cached_property]`: a method whose value is computed once per instance and kept in a field.
//!
//! The stages: [`options`] parses the attribute's arguments, [`model`] parses and checks the
//! method, [`expand`] rewrites it. Each stage reports all its mistakes at once, and on any
//! mistake the user's item is emitted unchanged beside the errors (see [`crate::fallback`]).

mod expand;
mod model;
mod options;
#[cfg(test)]
mod tests;

use model::Property;
use options::Options;
use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match (Options::parse(args), Property::parse(item.clone())) {
        (Ok(options), Ok(property)) => expand::expand(&options, property),
        (Err(mut error), property) => {
            if let Err(more) = property {
                error.combine(more);
            }
            crate::fallback::item_with_error(item, error)
        }
        (Ok(_), Err(error)) => crate::fallback::item_with_error(item, error),
    }
}

/// Errors gathered so that all of them are reported together.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// The value of a check that passed; the error of one that failed is kept for later.
    fn check<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// `value`, or every error gathered.
    fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(errors) => Err(errors),
            None => Ok(value),
        }
    }
}
