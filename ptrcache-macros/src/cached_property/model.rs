//! The model of a `#[cached_property]` method, and the checks that the item is one: a method
//! with a body that takes only `&self`, is not generic and returns the value to keep.

use super::Errors;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{FnArg, GenericParam, ImplItemFn, Item, ReturnType, Signature, Token, Type};

/// A method that passed every check.
pub(super) struct Property {
    /// The user's method, to be changed in place.
    pub(super) method: ImplItemFn,
    /// The user's `self`, so that the expansion's `self` is the method's own parameter.
    pub(super) self_token: Token![self],
    /// The written return type: the type of the value the property keeps.
    pub(super) ty: Type,
}

impl Property {
    /// Parses and checks the item under the attribute, reporting every mistake at once.
    pub(super) fn parse(item: TokenStream) -> syn::Result<Property> {
        let method: ImplItemFn = match syn::parse2(item.clone()) {
            Ok(method) => method,
            Err(_) => return Err(not_a_method(item)),
        };
        let sig = &method.sig;
        let mut errors = Errors::default();
        errors.check(not_const(sig));
        errors.check(not_generic(sig));
        let self_token = errors.check(receiver(sig));
        errors.check(no_other_parameters(sig));
        let ty = errors.check(output(sig));
        errors.finish(())?;
        let (Some(self_token), Some(ty)) = (self_token, ty) else {
            unreachable!("a check that finds nothing records an error")
        };
        Ok(Property { method, self_token, ty })
    }
}

fn not_const(sig: &Signature) -> syn::Result<()> {
    match &sig.constness {
        Some(constness) => Err(syn::Error::new_spanned(
            constness,
            "a cached property cannot be a `const fn` (its first call stores a value): remove `const`",
        )),
        None => Ok(()),
    }
}

/// Lifetime parameters are harmless; type and const parameters would need one field per
/// instantiation.
fn not_generic(sig: &Signature) -> syn::Result<()> {
    if sig.generics.params.iter().all(|param| matches!(param, GenericParam::Lifetime(_))) {
        return Ok(());
    }
    Err(syn::Error::new_spanned(
        &sig.generics,
        "a cached property cannot have type or const parameters (its field keeps one value of one \
         type): remove them and return a concrete type",
    ))
}

/// `&self` (or `self: &Self`), or an error that says to write it.
fn receiver(sig: &Signature) -> syn::Result<Token![self]> {
    let Some(FnArg::Receiver(receiver)) = sig.inputs.first() else {
        let mut parens = TokenStream::new();
        sig.paren_token.surround(&mut parens, |tokens| sig.inputs.to_tokens(tokens));
        let ident = &sig.ident;
        return Err(syn::Error::new_spanned(
            parens,
            format!(
                "a cached property is a method that takes `&self`: write `fn {ident}(&self)`, inside \
                 an `impl` block"
            ),
        ));
    };
    let by_shared_reference = match &*receiver.ty {
        Type::Reference(reference) => {
            reference.mutability.is_none()
                && matches!(&*reference.elem, Type::Path(path) if path.qself.is_none() && path.path.is_ident("Self"))
        }
        _ => false,
    };
    if by_shared_reference {
        return Ok(receiver.self_token);
    }
    let written = match (&receiver.reference, &receiver.colon_token, &*receiver.ty) {
        // `&mut self`, or a typed `self: &mut Self`.
        (Some(_), None, _) => "`&mut self`",
        (_, Some(_), Type::Reference(reference)) if reference.mutability.is_some() => "`&mut self`",
        (None, None, _) => "`self` by value",
        // `self: Box<Self>`, `self: &Box<Self>`, ..
        (_, Some(_), _) => "a `self` of another type",
    };
    Err(syn::Error::new_spanned(
        receiver,
        format!(
            "a cached property takes `&self`, not {written} (its value is computed once and shared): write `&self`"
        ),
    ))
}

fn no_other_parameters(sig: &Signature) -> syn::Result<()> {
    let others: Vec<&FnArg> = sig.inputs.iter().filter(|input| matches!(input, FnArg::Typed(_))).collect();
    if others.is_empty() {
        return Ok(());
    }
    let these = if others.len() == 1 { "this parameter" } else { "these parameters" };
    Err(syn::Error::new_spanned(
        quote!(#(#others)*),
        format!(
            "a cached property takes no parameters besides `&self` (it keeps one value per instance): \
             remove {these}; to cache by argument, use `#[ptr_cached]` or a `PtrCache` field instead"
        ),
    ))
}

/// `T` in `-> T`.
fn output(sig: &Signature) -> syn::Result<Type> {
    match &sig.output {
        ReturnType::Type(_, ty) => match &**ty {
            Type::ImplTrait(_) => Err(syn::Error::new_spanned(
                ty,
                "a cached property keeps its value in a field, whose type must be written out: \
                 return a concrete type (for example `Box<dyn Trait>`) instead of `impl Trait`",
            )),
            ty => Ok(ty.clone()),
        },
        ReturnType::Default => {
            let mut signature = TokenStream::new();
            sig.fn_token.to_tokens(&mut signature);
            sig.ident.to_tokens(&mut signature);
            sig.paren_token.surround(&mut signature, |tokens| sig.inputs.to_tokens(tokens));
            Err(syn::Error::new_spanned(
                signature,
                format!(
                    "a cached property returns the value it keeps: add a return type, `fn {}(&self) -> T`",
                    sig.ident
                ),
            ))
        }
    }
}

/// The error for an item that is not a method with a body: it names what the item is.
fn not_a_method(item: TokenStream) -> syn::Error {
    const PUT_IT: &str =
        "put `#[cached_property]` on a method `fn name(&self) -> T { .. }` inside an `impl` block";
    if let Ok(function) = syn::parse2::<syn::TraitItemFn>(item.clone()) {
        return syn::Error::new_spanned(
            &function.sig,
            format!("{PUT_IT}; a cached property needs a body and a field, so a trait cannot declare one"),
        );
    }
    let (what, tokens) = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Struct(item)) => ("a struct", head(&item.struct_token, &item.ident)),
        Ok(Item::Enum(item)) => ("an enum", head(&item.enum_token, &item.ident)),
        Ok(Item::Union(item)) => ("a union", head(&item.union_token, &item.ident)),
        Ok(Item::Trait(item)) => ("a trait", head(&item.trait_token, &item.ident)),
        Ok(Item::Impl(item)) => ("the `impl` block itself", head(&item.impl_token, &item.self_ty)),
        Ok(Item::Const(item)) => ("a constant", head(&item.const_token, &item.ident)),
        Ok(Item::Static(item)) => ("a static", head(&item.static_token, &item.ident)),
        Ok(Item::Type(item)) => ("a type alias", head(&item.type_token, &item.ident)),
        Ok(Item::Mod(item)) => ("a module", head(&item.mod_token, &item.ident)),
        _ => ("this item", item),
    };
    syn::Error::new_spanned(tokens, format!("{PUT_IT}, not on {what}"))
}

/// The keyword and name of an item, where its error goes.
fn head(keyword: &dyn ToTokens, name: &dyn ToTokens) -> TokenStream {
    quote!(#keyword #name)
}
