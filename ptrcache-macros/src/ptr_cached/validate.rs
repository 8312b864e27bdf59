//! What `#[ptr_cached]` cannot memoize, reported at the user's tokens with what to write
//! instead. Every problem is reported, not only the first.

use super::Errors;
use super::model::{Function, Pass};
use syn::{GenericArgument, GenericParam, PathArguments, ReturnType, Type};

pub(crate) fn check(function: &Function<'_>) -> Result<(), syn::Error> {
    let mut errors = Errors::default();
    let sig = &function.item.sig;
    if let Some(receiver) = function.receiver {
        errors.push(syn::Error::new_spanned(
            receiver,
            "#[ptr_cached] memoizes free functions, not methods: for a value computed once per \
             instance use `#[cached_property]`, or keep a `PtrCache` in a field and call its \
             `get_or_insert_with`",
        ));
    }
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new(
            constness.span,
            "a `const fn` cannot use a cache at run time; remove `const` to use #[ptr_cached]",
        ));
    }
    for param in &sig.generics.params {
        if !matches!(param, GenericParam::Lifetime(_)) {
            errors.push(syn::Error::new_spanned(
                param,
                "#[ptr_cached] functions cannot be generic: one cache holds one key type and one \
                 value type; write a non-generic function for each type you need",
            ));
        }
    }
    for arg in &function.args {
        if arg.name.is_none() {
            errors.push(syn::Error::new_spanned(
                &arg.pat.pat,
                "#[ptr_cached] needs a plain name for each argument to build the cache key; \
                 write `name: Type` and destructure it in the body",
            ));
        }
        if let Some(impl_trait) = find_impl_trait(&arg.pat.ty) {
            errors.push(syn::Error::new_spanned(
                impl_trait,
                "an `impl Trait` argument cannot be part of a cache key; take a concrete type \
                 (#[ptr_cached] functions cannot be generic)",
            ));
        } else if let Pass::Ref { mutable: true, .. } = arg.pass {
            errors.push(syn::Error::new_spanned(
                &arg.pat.ty,
                "a `&mut` argument cannot be part of a cache key: a cached call would skip the \
                 body's changes to it; take it by `&` or by value",
            ));
        }
    }
    if let ReturnType::Type(_, ty) = &sig.output
        && let Some(impl_trait) = find_impl_trait(ty)
    {
        errors.push(syn::Error::new_spanned(
            impl_trait,
            "#[ptr_cached] keeps the return value in a static, so its type must be named; \
             return a concrete type instead of `impl Trait`",
        ));
    }
    errors.finish()
}

/// The first `impl Trait` anywhere in `ty`.
fn find_impl_trait(ty: &Type) -> Option<&Type> {
    match ty {
        Type::ImplTrait(_) => Some(ty),
        Type::Array(inner) => find_impl_trait(&inner.elem),
        Type::Group(inner) => find_impl_trait(&inner.elem),
        Type::Paren(inner) => find_impl_trait(&inner.elem),
        Type::Ptr(inner) => find_impl_trait(&inner.elem),
        Type::Reference(inner) => find_impl_trait(&inner.elem),
        Type::Slice(inner) => find_impl_trait(&inner.elem),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(find_impl_trait),
        Type::Path(path) => path.path.segments.iter().find_map(|segment| match &segment.arguments {
            PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(ty) => find_impl_trait(ty),
                _ => None,
            }),
            _ => None,
        }),
        _ => None,
    }
}
