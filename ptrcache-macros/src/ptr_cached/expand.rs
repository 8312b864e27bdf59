//! The expansion of a valid `#[ptr_cached]` function.

use super::model::{Arg, Function, Pass, peel};
use super::options::{Exp, Options};
use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{AttrStyle, FnArg, Ident, Pat, Type};

// input:
//
//     #[ptr_cached(exp = 60)]
//     pub fn summoner(region: &str, id: u64) -> Result<Arc<Summoner>, ApiError> { body }
//
// output (`P` is `::ptrcache::__private`, or `<crate = path>::__private`):
//
//     pub fn summoner(region: &str, id: u64) -> Result<Arc<Summoner>, ApiError> {
//         use P as __ptrcache;
//         fn __ptr_cached_body(region: &str, id: u64) -> Result<Arc<Summoner>, ApiError> { body }
//         __ptrcache::key_arg::<str>();                    // at `str`: has an owned form
//         __ptrcache::key_arg::<u64>();                    // at `u64`
//         __ptrcache::key_part::<String>();                // at `(..)`: is Hash + Eq
//         __ptrcache::key_part::<u64>();                   // at `(..)`
//         let __key = (__ptrcache::key::<str>(region), __ptrcache::key::<u64>(&id),);
//         __ptrcache::try_get_arc::<(String, u64,), _, _, _>(  // at `(..)`
//             summoner_cache(), __key, move || __ptr_cached_body(region, id),
//         )
//     }
//
//     /// The cache of [`summoner`] ..
//     #[must_use]
//     #[allow(dead_code)]
//     pub fn summoner_cache() -> &'static P::PtrCache<(String, u64,), Summoner> {
//         use P as __ptrcache;
//         static __CACHE: __ptrcache::CacheStatic<(String, u64,), Summoner> =  // at the return type
//             __ptrcache::CacheStatic::new(|| {
//                 __ptrcache::key_part::<String>();        // at `(..)`, as above
//                 __ptrcache::key_part::<u64>();
//                 __ptrcache::new_cache::<(String, u64,), _>(  // at `(..)`
//                     __ptrcache::PtrCache::builder().expiration(__ptrcache::Duration::new(60, 0)),
//                 )
//             });
//         &__CACHE
//     }
//
// An `async fn` gets an `async fn __ptr_cached_body` and `__ptrcache::try_aget_arc(..).await`;
// the helper (`[try_][a]get_{arc,clone}`) follows the return type, and one that clones out
// also takes `__ptrcache::clone_out::<T>` (at the return type).
//
// The spans ("at") carry errors to the user's tokens: rustc reports an unmet bound once per
// span and function, first where it meets it. So every use of the key type sits on the
// argument list after `key_part`, and a key that is not `Hash + Eq` is one error per missing
// trait, in `key_part`'s words; the same holds for `key_arg` and `key` (an argument that is
// not `Clone`), `clone_out` (a return that is not), and the static (a value that is not
// `Send + Sync`). Paths on user spans go through the `__ptrcache` alias, not the path the user
// wrote, which `unused_qualifications` would then inspect.
pub(crate) fn expand(function: &Function<'_>, options: &Options) -> TokenStream {
    let root = Runtime::new(options);
    let item = function.item;
    let vis = &item.vis;
    let sig = &item.sig;
    let accessor = match &options.cache {
        Some(accessor) => accessor.clone(),
        None => format_ident!("{}_cache", sig.ident),
    };
    let (outer_attrs, inner_attrs): (Vec<_>, Vec<_>) =
        item.attrs.iter().partition(|attr| matches!(attr.style, AttrStyle::Outer));

    // Callers see the signature as written, less `mut` on bindings (the body's business).
    let mut outer_sig = sig.clone();
    for input in &mut outer_sig.inputs {
        if let FnArg::Typed(arg) = input
            && let Pat::Ident(binding) = &mut *arg.pat
        {
            binding.mutability = None;
        }
    }
    let body_fn = Ident::new("__ptr_cached_body", Span::mixed_site());
    let mut body_sig = sig.clone();
    body_sig.ident = body_fn.clone();
    body_sig.abi = None;
    let stmts = &item.block.stmts;

    let args_span = args_span(function);
    let key_type = key_type(function, &root);
    let key_parts = function.args.iter().map(|arg| owned_type(arg, &root));
    let key_check = key_parts.map(|part| root.at(quote!(key_part::<#part>();), args_span));
    let key_check = quote!(#(#key_check)*);
    let names: Vec<&Ident> = function.args.iter().filter_map(|arg| arg.name).collect();
    let key_var = Ident::new("__key", Span::mixed_site());
    let arg_checks = function.args.iter().map(|arg| {
        let ty = key_referent(arg);
        root.at(quote!(key_arg::<#ty>();), ty.span())
    });
    let key_exprs = function.args.iter().map(|arg| key_expr(arg, &root));
    let mut call = quote!(#body_fn(#(#names),*));
    if sig.unsafety.is_some() {
        call = quote!(unsafe { #call });
    }
    let (helper, inferred) = helper(function);
    let helper = Ident::new(helper, Span::call_site());
    let inferred = std::iter::repeat_n(quote!(_), inferred);
    let helper = root.at(quote!(#helper::<#key_type, #(#inferred),*>), args_span);
    let value_type = &function.output.value;
    let clone =
        (!function.output.shared).then(|| root.at(quote!(clone_out::<#value_type>), function.output.span));
    let helper_args =
        respan_group(Delimiter::Parenthesis, quote!(#accessor(), #key_var, move || #call, #clone), args_span);
    let mut lookup = quote!(#helper #helper_args);
    if function.is_async() {
        lookup = quote!(#lookup.await);
    }
    let accessor_fn = accessor_fn(function, options, &root, &accessor, &key_type, &key_check);
    let import = root.import();
    // The body keeps the braces of the user's, so that rustc sees the function as the user's
    // (`dead_code` warns about it when it is never called, as it would without the macro).
    let block_span = item.block.brace_token.span.join();
    let inner_body = respan_group(Delimiter::Brace, quote!(#(#inner_attrs)* #(#stmts)*), block_span);
    let outer_body = quote! {
        #import
        // The user's signature, written twice: clippy's lints on it are left to the outer
        // function, so that each is reported once.
        #[allow(clippy::needless_lifetimes, clippy::ref_option, clippy::trivially_copy_pass_by_ref)]
        #body_sig #inner_body
        #(#arg_checks)*
        #key_check
        let #key_var = (#(#key_exprs,)*);
        #lookup
    };
    let outer_body = respan_group(Delimiter::Brace, outer_body, block_span);

    quote! {
        #(#outer_attrs)*
        #vis #outer_sig #outer_body

        #accessor_fn
    }
}

/// `fn <name>_cache() -> &'static PtrCache<Key, Value>`, holding the cache in a static.
fn accessor_fn(
    function: &Function<'_>,
    options: &Options,
    root: &Runtime,
    accessor: &Ident,
    key_type: &TokenStream,
    key_check: &TokenStream,
) -> TokenStream {
    let item = function.item;
    let vis = &item.vis;
    let name = &item.sig.ident;
    let cfgs = item.attrs.iter().filter(|attr| attr.path().is_ident("cfg"));
    let value_type = &function.output.value;
    let output_span = function.output.span;
    let static_type = root.at(quote!(CacheStatic<), output_span);
    let static_type_end = respan(quote!(>), output_span);
    let exp = options.exp.map(|exp| match exp {
        Exp::Never => root.at(quote!(Expiration::Never), Span::call_site()),
        Exp::After(duration) => {
            let (secs, nanos) = (duration.as_secs(), duration.subsec_nanos());
            root.at(quote!(Duration::new(#secs, #nanos)), Span::call_site())
        }
    });
    let max_entries = options.max_entries.map(|max| {
        let max = proc_macro2::Literal::u64_unsuffixed(max);
        quote!(.max_entries(#max))
    });
    let exp = exp.map(|exp| quote!(.expiration(#exp)));
    let args_span = args_span(function);
    let new_cache = root.at(quote!(new_cache::<#key_type, _>), args_span);
    let builder = root.at(quote!(PtrCache::builder()), Span::call_site());
    let builder = respan_group(Delimiter::Parenthesis, quote!(#builder #exp #max_entries), args_span);
    let cache_type = root.at(quote!(CacheStatic), Span::call_site());
    let import = root.import();
    let path = &root.path;
    let cache_static = Ident::new("__CACHE", Span::mixed_site());
    let doc = format!(
        " The cache of [`{name}`], made by `#[ptr_cached]` and filled on first use.\n\n \
         Its key is the tuple of `{name}`'s arguments made owned (a `&str` is kept as a \
         `String`, a `&[T]` as a `Vec<T>`, a `&T` as a `T`), so `{accessor}().remove(&(..,))` \
         with those values forgets one call and `{accessor}().clear()` forgets them all."
    );
    quote! {
        #(#cfgs)*
        #[doc = #doc]
        #[must_use]
        #[allow(dead_code, reason = "the function is used whenever the cached function is; if that one is not, rustc says so")]
        #vis fn #accessor() -> &'static #path::PtrCache<#key_type, #value_type> {
            #import
            static #cache_static: #static_type #key_type, #value_type #static_type_end =
                #cache_type::new(|| {
                    #key_check
                    #new_cache #builder
                });
            &#cache_static
        }
    }
}

/// The argument list with its parentheses, where key errors are reported; the function's name
/// when there are no arguments (the key `()` is always fine).
fn args_span(function: &Function<'_>) -> Span {
    if function.args.is_empty() {
        function.item.sig.ident.span()
    } else {
        function.item.sig.paren_token.span.join()
    }
}

/// The key type, `(Owned1, Owned2, ..)`.
fn key_type(function: &Function<'_>, root: &Runtime) -> TokenStream {
    let parts = function.args.iter().map(|arg| owned_type(arg, root));
    quote!((#(#parts,)*))
}

/// The runtime function for this kind of function and return, and how many generic parameters
/// it has after the key's.
fn helper(function: &Function<'_>) -> (&'static str, usize) {
    match (function.output.fallible, function.is_async(), function.output.shared) {
        (false, false, true) => ("get_arc", 2),
        (false, false, false) => ("get_clone", 2),
        (true, false, true) => ("try_get_arc", 3),
        (true, false, false) => ("try_get_clone", 3),
        (false, true, true) => ("aget_arc", 3),
        (false, true, false) => ("aget_clone", 3),
        (true, true, true) => ("try_aget_arc", 4),
        (true, true, false) => ("try_aget_clone", 4),
    }
}

/// `__private::key::<T>(argument)`: the owned key part of one argument, at the span of its
/// type. The argument's name keeps its own span: respanned, it would take the type's hygiene,
/// which differs when a `macro_rules!` wrote the type (`$t:ty`).
fn key_expr(arg: &Arg<'_>, root: &Runtime) -> TokenStream {
    let ty = key_referent(arg);
    let name = arg.name;
    let argument = match arg.pass {
        Pass::Ref { .. } => quote!(#name),
        Pass::Value(_) => quote!(&#name),
    };
    let function = root.at(quote!(key::<#ty>), ty.span());
    let argument = respan_group(Delimiter::Parenthesis, argument, ty.span());
    quote!(#function #argument)
}

/// The type whose owned form goes into the key: `T` of `&T`, or the argument's type.
fn key_referent<'a>(arg: &Arg<'a>) -> &'a Type {
    match arg.pass {
        Pass::Ref { referent, .. } => referent,
        Pass::Value(ty) => ty,
    }
}

/// The owned form of an argument, as `key` makes it (`ToOwned`): `String` for `&str`, `Vec<T>`
/// for `&[T]`, `<T as ToOwned>::Owned` for `&Path`, `&OsStr` and `&CStr` (`PathBuf` and so on
/// for std's, the type itself for a user's type of that name), else the referent (which is
/// then `Clone`) or the type of a by-value argument.
fn owned_type(arg: &Arg<'_>, root: &Runtime) -> TokenStream {
    let ty = match arg.pass {
        Pass::Value(ty) => return quote!(#ty),
        Pass::Ref { referent, .. } => peel(referent),
    };
    if let Type::Slice(slice) = ty {
        let elem = &slice.elem;
        return quote!(::std::vec::Vec<#elem>);
    }
    if let Type::Path(path) = ty
        && path.qself.is_none()
        && let Some(last) = path.path.segments.last()
        && last.arguments.is_empty()
    {
        match last.ident.to_string().as_str() {
            "str" if path.path.segments.len() == 1 => return quote!(::std::string::String),
            "Path" | "OsStr" | "CStr" => {
                let runtime = &root.path;
                return quote!(#runtime::Owned<#ty>);
            }
            _ => {}
        }
    }
    quote!(#ty)
}

/// `tokens` in `delimiter`s whose span is `span` (the tokens keep theirs).
fn respan_group(delimiter: Delimiter, tokens: TokenStream, span: Span) -> Group {
    let mut group = Group::new(delimiter, tokens);
    group.set_span(span);
    group
}

/// How the expansion reaches `__private`: `::ptrcache::__private` or `<crate = path>::__private`
/// in signatures, and in bodies through a `use` of it as `__ptrcache`, whose paths can carry the
/// user's spans (for errors) without `unused_qualifications` looking at a path the user wrote.
struct Runtime {
    path: TokenStream,
    alias: Ident,
}

impl Runtime {
    fn new(options: &Options) -> Self {
        let path = if let Some(path) = &options.krate {
            quote!(#path::__private)
        } else {
            quote!(::ptrcache::__private)
        };
        Runtime { path, alias: Ident::new("__ptrcache", Span::call_site()) }
    }

    /// `use <path> as __ptrcache;`, first in a body that uses `at`.
    fn import(&self) -> TokenStream {
        let Runtime { path, alias } = self;
        quote!(use #path as #alias;)
    }

    /// `__ptrcache::tail`, every token spanned at `span`, so that rustc reports an error in it
    /// there.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "every caller passes a fresh `quote!`, which a `&` at each of them would only obscure"
    )]
    fn at(&self, tail: TokenStream, span: Span) -> TokenStream {
        let alias = &self.alias;
        respan(quote!(#alias::#tail), span)
    }
}

/// `tokens` with every span set to `span`, so that rustc reports an error in them there.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                TokenTree::Group(respanned)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}
