//! The function under `#[ptr_cached]`, read into what the expansion needs: how each argument
//! enters the key, and how the return type maps to the cached value.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Ident, ItemFn, Pat, PatType, PathArguments, Receiver, ReturnType, Type};

/// A function as written, classified; nothing is rejected here (see `validate`).
pub(crate) struct Function<'a> {
    pub(crate) item: &'a ItemFn,
    pub(crate) receiver: Option<&'a Receiver>,
    pub(crate) args: Vec<Arg<'a>>,
    pub(crate) output: Output,
}

/// One typed argument.
pub(crate) struct Arg<'a> {
    pub(crate) pat: &'a PatType,
    /// The binding when the pattern is a plain name (`x` or `mut x`).
    pub(crate) name: Option<&'a Ident>,
    pub(crate) pass: Pass<'a>,
}

/// How an argument is passed, which decides its part of the key.
#[derive(Clone, Copy)]
pub(crate) enum Pass<'a> {
    /// `x: &T` (or `&mut T`): the key holds `T::Owned`.
    Ref { referent: &'a Type, mutable: bool },
    /// `x: T`: the key holds a clone.
    Value(&'a Type),
}

/// What the function returns.
pub(crate) struct Output {
    /// `-> Result<T, E>` (any path whose last name is `Result`, so aliases like
    /// `io::Result<T>` too): only `Ok` is cached.
    pub(crate) fallible: bool,
    /// The type the cache stores: `T` of `Arc<T>` when `shared`, else the returned (`Ok`) type.
    pub(crate) value: Type,
    /// `Arc<T>` of a sized `T` is returned: the cache stores `T`, and callers get the cached
    /// pointer itself. (For an unsized `T` the value is the `Arc<T>`, cloned out.)
    pub(crate) shared: bool,
    /// The return type as written (or the function's name for `-> ()`), for error spans.
    pub(crate) span: Span,
}

impl<'a> Function<'a> {
    pub(crate) fn new(item: &'a ItemFn) -> Self {
        let mut receiver = None;
        let mut args = Vec::new();
        for input in &item.sig.inputs {
            match input {
                FnArg::Receiver(self_arg) => receiver = Some(self_arg),
                FnArg::Typed(pat) => args.push(Arg::new(pat)),
            }
        }
        Function { item, receiver, args, output: Output::new(&item.sig.output, item.sig.ident.span()) }
    }

    pub(crate) fn is_async(&self) -> bool {
        self.item.sig.asyncness.is_some()
    }
}

impl<'a> Arg<'a> {
    fn new(pat: &'a PatType) -> Self {
        let name = match &*pat.pat {
            Pat::Ident(binding) if binding.by_ref.is_none() && binding.subpat.is_none() => {
                Some(&binding.ident)
            }
            _ => None,
        };
        let pass = match peel(&pat.ty) {
            Type::Reference(reference) => {
                Pass::Ref { referent: &reference.elem, mutable: reference.mutability.is_some() }
            }
            ty => Pass::Value(ty),
        };
        Arg { pat, name, pass }
    }
}

impl Output {
    fn new(output: &ReturnType, name_span: Span) -> Self {
        let (returned, span) = match output {
            ReturnType::Type(_, ty) => ((**ty).clone(), ty.span()),
            ReturnType::Default => (syn::parse_quote!(()), name_span),
        };
        // `Result`, and aliases named so (`io::Result<T>`). Not `ApiResult<T>`: a type of such a
        // name may as well be a struct (`SearchResult<T>`), which must stay a plain value.
        let ok = generic_args(&returned, |name| name == "Result").map(|args| args[0].clone());
        let fallible = ok.is_some();
        let ok = ok.unwrap_or(returned);
        match generic_args(&ok, |name| name == "Arc").as_deref() {
            // An unsized `T` (`Arc<str>`) cannot be the cache's value type, so the cache keeps
            // the `Arc<T>` itself and clones it out: still the same pointer for every caller.
            Some([inner]) if !is_unsized(inner) => {
                Output { fallible, value: (*inner).clone(), shared: true, span }
            }
            _ => Output { fallible, value: ok, shared: false, span },
        }
    }
}

/// Whether `ty` is written as a type without a size: `str`, `[T]`, `dyn Trait`, or the std
/// names `Path`, `OsStr` and `CStr` (a sized type of one of those names only costs one more
/// allocation per cached value).
fn is_unsized(ty: &Type) -> bool {
    match peel(ty) {
        Type::Slice(_) | Type::TraitObject(_) => true,
        Type::Path(path) => {
            path.qself.is_none()
                && path.path.segments.last().is_some_and(|last| {
                    last.arguments.is_empty()
                        && ["str", "Path", "OsStr", "CStr"].iter().any(|name| last.ident == name)
                })
        }
        _ => false,
    }
}

/// The type arguments of `ty` if it is a path whose last segment is `name<..>` for a `name`
/// that `is_name` accepts.
fn generic_args(ty: &Type, is_name: impl Fn(&str) -> bool) -> Option<Vec<&Type>> {
    let Type::Path(path) = peel(ty) else { return None };
    let last = path.path.segments.last()?;
    if path.qself.is_some() || !is_name(&last.ident.to_string()) {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    let types: Vec<&Type> = args
        .args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    (!types.is_empty()).then_some(types)
}

/// `ty` without parentheses and the invisible groups `macro_rules!` wraps types in.
pub(crate) fn peel(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Paren(inner) => ty = &inner.elem,
            Type::Group(inner) => ty = &inner.elem,
            _ => return ty,
        }
    }
}
