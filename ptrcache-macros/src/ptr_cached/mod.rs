//! `#[ptr_cached]`: not implemented yet (issue 5).

use proc_macro2::TokenStream;

pub(crate) fn expand(_args: TokenStream, item: TokenStream) -> TokenStream {
    let error = syn::Error::new(proc_macro2::Span::call_site(), "#[ptr_cached] is not implemented yet");
    crate::fallback::item_with_error(item, error)
}
