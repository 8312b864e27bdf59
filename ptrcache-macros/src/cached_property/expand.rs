//! The expansion of a checked `#[cached_property]` method.

use super::model::Property;
use super::options::Options;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{FnArg, Member, Type, parse_quote, parse_quote_spanned};

// #[doc = ".."] pub fn area(&self) -> f64 { body }
//
// becomes
//
// #[doc = ".."] pub fn area(&self) -> &f64 {
//     let Self { area: __field, .. } = self;
//     let __cell = ::ptrcache::__private::PropertyField::<f64>::cell(__field);
//     ::ptrcache::__private::PropertyCell::get_or_init(__cell, || -> f64 { body })
// }
//
// and `async fn` alike, with `AsyncPropertyField` and `AsyncPropertyCell`, whose
// `get_or_init(__cell, || async move { let __value: f64 = { body }; __value })` is awaited
// (the typed `let` coerces the body's value, as a closure's `-> T` does). The body stays a
// block of its own (a closure's, an async block's), so `return` and `?` in it keep their
// meaning. The field is
// reached by destructuring `Self`, not by `self.area`, so that a missing field is reported as
// such rather than as "attempted to take value of method `area`".
pub(super) fn expand(options: &Options, property: Property) -> TokenStream {
    let Property { mut method, self_token, ty } = property;
    let runtime = options.runtime();
    let field = options.field.clone().unwrap_or_else(|| Member::Named(method.sig.ident.clone()));
    // Hidden names resolve at the macro (the body cannot see them) but errors about them point
    // at the field's name, where the user can act.
    let hidden = |name: &str| Ident::new(name, Span::mixed_site().located_at(field.span()));
    let (field_ref, cell) = (hidden("__field"), hidden("__cell"));
    let body = &method.block;
    let compute = if method.sig.asyncness.is_some() {
        // An async block has no return type to coerce its value to (`Box<Closure>` to
        // `Box<dyn Fn()>`), so the body's value is coerced in a typed `let`.
        let value = Ident::new("__value", Span::mixed_site());
        quote! {
            let #cell = #runtime::AsyncPropertyField::<#ty>::cell(#field_ref);
            #runtime::AsyncPropertyCell::get_or_init(#cell, || async move {
                let #value: #ty = #body;
                // A body that diverges (`todo!()`) makes this unreachable; that is not the user's.
                #[allow(unreachable_code)]
                #value
            }).await
        }
    } else {
        quote! {
            let #cell = #runtime::PropertyField::<#ty>::cell(#field_ref);
            #runtime::PropertyCell::get_or_init(#cell, || -> #ty #body)
        }
    };
    method.block = parse_quote!({
        let Self { #field: #field_ref, .. } = #self_token;
        #compute
    });
    // `&'a self` gives `-> &'a T`: an elided `&T` beside a named lifetime trips
    // `mismatched_lifetime_syntaxes`, a warning on by default.
    let lifetime = match method.sig.inputs.first() {
        Some(FnArg::Receiver(receiver)) => match &*receiver.ty {
            Type::Reference(reference) => reference.lifetime.clone(),
            _ => None,
        },
        _ => None,
    };
    method.sig.output = parse_quote_spanned!(ty.span()=> -> &#lifetime #ty);
    quote!(#method)
}
