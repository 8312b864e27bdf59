//! The options of `#[cached_property(...)]`: `field = name` and `crate = path`.

use super::Errors;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, Member, Meta, Path, Token};

/// What `#[cached_property]` takes, for the error on anything else.
const VALID: &str = "`#[cached_property]` takes `field = name` and `crate = path`";

#[derive(Default)]
pub(super) struct Options {
    /// `field = name`: the field that keeps the value, instead of the one named like the method.
    pub(super) field: Option<Member>,
    /// `crate = path`: where the `ptrcache` crate is, for a renamed or re-exported dependency.
    pub(super) krate: Option<Path>,
}

impl Options {
    /// Parses the attribute's arguments, reporting every mistake at once.
    pub(super) fn parse(args: TokenStream) -> syn::Result<Options> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
        let mut options = Options::default();
        let mut errors = Errors::default();
        let (mut seen_field, mut seen_crate) = (false, false);
        for meta in metas {
            let name = meta.path();
            if name.is_ident("field") {
                if std::mem::replace(&mut seen_field, true) {
                    errors.push(duplicate(name, "field"));
                }
                match value(&meta, "field = name").and_then(field) {
                    Ok(member) => options.field = Some(member),
                    Err(error) => errors.push(error),
                }
            } else if name.is_ident("crate") {
                if std::mem::replace(&mut seen_crate, true) {
                    errors.push(duplicate(name, "crate"));
                }
                match value(&meta, "crate = path").and_then(krate) {
                    Ok(path) => options.krate = Some(path),
                    Err(error) => errors.push(error),
                }
            } else {
                errors.push(unknown(name));
            }
        }
        errors.finish(options)
    }

    /// The module that expansions call into: `::ptrcache::__private`, or `path::__private`.
    pub(super) fn runtime(&self) -> TokenStream {
        if let Some(path) = &self.krate { quote!(#path::__private) } else { quote!(::ptrcache::__private) }
    }
}

/// The `value` of `name = value`, or an error that shows the `expected` form.
fn value<'a>(meta: &'a Meta, expected: &str) -> syn::Result<&'a Expr> {
    match meta {
        Meta::NameValue(name_value) => Ok(&name_value.value),
        _ => Err(syn::Error::new_spanned(meta, format!("this option needs a value: write `{expected}`"))),
    }
}

/// `field = area` or, for a tuple struct, `field = 0`.
fn field(value: &Expr) -> syn::Result<Member> {
    match value {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
            if let Some(ident) = path.path.get_ident() {
                return Ok(Member::Named(ident.clone()));
            }
        }
        Expr::Lit(ExprLit { lit: Lit::Int(index), .. }) => {
            return syn::parse2(index.to_token_stream());
        }
        Expr::Lit(ExprLit { lit: Lit::Str(name), .. }) => {
            return Err(syn::Error::new_spanned(
                name,
                format!("write the field name without quotes: `field = {}`", name.value()),
            ));
        }
        _ => {}
    }
    Err(syn::Error::new_spanned(value, "expected the name of a field of the struct: `field = other_name`"))
}

/// `crate = my_ptrcache` or `crate = ::some::reexport::ptrcache`.
fn krate(value: &Expr) -> syn::Result<Path> {
    match value {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => return Ok(path.path.clone()),
        Expr::Lit(ExprLit { lit: Lit::Str(path), .. }) => {
            return Err(syn::Error::new_spanned(
                path,
                format!("write the path without quotes: `crate = {}`", path.value()),
            ));
        }
        _ => {}
    }
    Err(syn::Error::new_spanned(value, "expected a path to the `ptrcache` crate: `crate = ::my_ptrcache`"))
}

fn duplicate(name: &Path, option: &str) -> syn::Error {
    syn::Error::new_spanned(name, format!("duplicate option `{option}`: keep only one `{option} = ..`"))
}

fn unknown(name: &Path) -> syn::Error {
    let spelled = name.to_token_stream().to_string().replace(' ', "");
    let hint = match spelled.as_str() {
        "name" | "cell" | "attr" => "; write `field = ..` to name the field that keeps the value",
        "krate" | "ptrcache" => "; write `crate = ..` to name the path to `ptrcache`",
        "exp" | "max_entries" | "cache" => {
            "; this option belongs to `#[ptr_cached]`: a cached property never expires, it is kept until \
             `take()` empties its field"
        }
        _ => "",
    };
    syn::Error::new_spanned(name, format!("unknown option `{spelled}`: {VALID}{hint}"))
}
