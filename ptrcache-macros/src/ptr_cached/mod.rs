//! `#[ptr_cached(...)]`: memoizes a free function in a process-wide `PtrCache` keyed by its
//! arguments. Stages: `options` (the attribute's arguments), `model` (the function read),
//! `validate` (what cannot be memoized) and `expand`.

mod expand;
mod model;
mod options;
mod validate;

use crate::fallback;
use model::Function;
use options::Options;
use proc_macro2::{Span, TokenStream};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let options = Options::parse(args);
    let Ok(function) = syn::parse2::<syn::ItemFn>(item.clone()) else {
        let mut error = syn::Error::new(
            Span::call_site(),
            "#[ptr_cached] memoizes functions; put it on a `fn` with a body",
        );
        if let Err(options_error) = options {
            error.combine(options_error);
        }
        return fallback::item_with_error(item, error);
    };
    let model = Function::new(&function);
    match (options, validate::check(&model)) {
        (Ok(options), Ok(())) => expand::expand(&model, &options),
        (Err(mut error), Err(invalid)) => {
            error.combine(invalid);
            fallback::item_with_error(item, error)
        }
        (Err(error), Ok(())) | (Ok(_), Err(error)) => fallback::item_with_error(item, error),
    }
}

/// Errors gathered to be reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        self.0.map_or(Ok(()), Err)
    }
}
