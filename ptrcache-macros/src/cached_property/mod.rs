//! `#[cached_property]`: not implemented yet (issue 4).

use proc_macro2::TokenStream;

pub(crate) fn expand(_args: TokenStream, item: TokenStream) -> TokenStream {
    let error = syn::Error::new(proc_macro2::Span::call_site(), "#[cached_property] is not implemented yet");
    crate::fallback::item_with_error(item, error)
}
