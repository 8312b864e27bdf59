//! What a macro emits when the input is wrong: the user's item unchanged, plus the errors, so
//! that only the real mistake is reported and the rest of the crate still type-checks.

use proc_macro2::TokenStream;

/// `item` as the user wrote it, followed by `error` as `compile_error!`s at their spans.
pub(crate) fn item_with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let mut tokens = item;
    tokens.extend(error.into_compile_error());
    tokens
}
