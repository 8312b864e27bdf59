//! What `#[ptr_cached]` cannot memoize, reported at the user's tokens with what to write
//! instead. Every problem is reported, not only the first.

use super::Errors;
use super::model::{Function, Pass};
use syn::{GenericArgument, GenericParam, Lifetime, PathArguments, ReturnType, Type, TypePath};

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
    // An associated function without `self` cannot be told from a free one, except by `Self`.
    let mentions_self = |ty: &Type| matches!(ty, Type::Path(path) if path.qself.is_none() && path.path.segments.first().is_some_and(|first| first.ident == "Self"));
    let types = function.args.iter().map(|arg| &*arg.pat.ty).chain(match &sig.output {
        ReturnType::Type(_, ty) => Some(&**ty),
        ReturnType::Default => None,
    });
    if function.receiver.is_none()
        && let Some(self_type) = types.into_iter().find_map(|ty| find_type(ty, &mentions_self))
    {
        errors.push(syn::Error::new_spanned(
            self_type,
            "#[ptr_cached] memoizes free functions, and `Self` means this one is in an `impl` \
             block: move it out of the block (its cache accessor is a free function beside it) \
             and name the type instead of `Self`",
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
        let owned = match arg.pass {
            Pass::Ref { referent, .. } => referent,
            Pass::Value(ty) => ty,
        };
        if let Some(impl_trait) = find_type(&arg.pat.ty, &|ty| matches!(ty, Type::ImplTrait(_))) {
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
        } else if let Some(borrow) = find_type(owned, &borrows) {
            errors.push(syn::Error::new_spanned(
                borrow,
                "the cache key outlives the call, so it cannot hold this borrow; take an owned \
                 type (`String` for `&str`, `Vec<T>` for `&[T]`) or a `'static` one",
            ));
        }
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if let Some(impl_trait) = find_type(ty, &|ty| matches!(ty, Type::ImplTrait(_))) {
            errors.push(syn::Error::new_spanned(
                impl_trait,
                "#[ptr_cached] keeps the return value in a static, so its type must be named; \
                 return a concrete type instead of `impl Trait`",
            ));
        } else if let Some(borrow) = find_type(ty, &borrows) {
            errors.push(syn::Error::new_spanned(
                borrow,
                "#[ptr_cached] keeps the return value beyond the call, so it cannot borrow; \
                 return an owned type, an `Arc<T>`, or a `'static` borrow",
            ));
        }
    }
    errors.finish()
}

/// The first type in `ty` (itself included) that `is` picks.
fn find_type<'t>(ty: &'t Type, is: &dyn Fn(&Type) -> bool) -> Option<&'t Type> {
    if is(ty) {
        return Some(ty);
    }
    let inner: Vec<&Type> = match ty {
        Type::Array(inner) => vec![&inner.elem],
        Type::Group(inner) => vec![&inner.elem],
        Type::Paren(inner) => vec![&inner.elem],
        Type::Ptr(inner) => vec![&inner.elem],
        Type::Reference(inner) => vec![&inner.elem],
        Type::Slice(inner) => vec![&inner.elem],
        Type::Tuple(tuple) => tuple.elems.iter().collect(),
        Type::Path(path) => generic_args(path)
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    inner.into_iter().find_map(|inner| find_type(inner, is))
}

/// A reference or a path with a lifetime argument, unless it is `'static`.
fn borrows(ty: &Type) -> bool {
    let short = |lifetime: &Lifetime| lifetime.ident != "static";
    match ty {
        Type::Reference(reference) => reference.lifetime.as_ref().is_none_or(short),
        Type::Path(path) => {
            generic_args(path).any(|arg| matches!(arg, GenericArgument::Lifetime(l) if short(l)))
        }
        _ => false,
    }
}

/// The generic arguments of every segment of a path type.
fn generic_args(path: &TypePath) -> impl Iterator<Item = &GenericArgument> {
    path.path
        .segments
        .iter()
        .filter_map(|segment| match &segment.arguments {
            PathArguments::AngleBracketed(args) => Some(args.args.iter()),
            _ => None,
        })
        .flatten()
}
