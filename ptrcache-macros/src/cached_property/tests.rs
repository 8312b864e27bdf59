//! The expansion as tokens: what the method becomes, and what an error leaves in place.

use quote::quote;

/// The expansion, without whitespace (token printing spaces `||` differently once reparsed).
fn expand(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> String {
    squeeze(&super::expand(args, item))
}

fn squeeze(tokens: &proc_macro2::TokenStream) -> String {
    tokens.to_string().split_whitespace().collect()
}

#[test]
fn sync_method_reads_its_field_through_the_runtime() {
    let expanded = expand(
        quote!(),
        quote! {
            /// The area.
            #[inline]
            pub(crate) fn area(&self) -> f64 { PI * self.r * self.r }
        },
    );
    let expected = quote! {
        /// The area.
        #[inline]
        pub(crate) fn area(&self) -> &f64 {
            let Self { area: __field, .. } = self;
            let __cell = ::ptrcache::__private::PropertyField::<f64>::cell(__field);
            ::ptrcache::__private::PropertyCell::get_or_init(__cell, || -> f64 { PI * self.r * self.r })
        }
    };
    assert_eq!(expanded, squeeze(&expected));
}

#[test]
fn async_method_awaits_an_async_cell() {
    let expanded = expand(
        quote!(field = name_cell),
        quote!(
            async fn name(&self) -> String {
                load().await
            }
        ),
    );
    let expected = quote! {
        async fn name(&self) -> &String {
            let Self { name_cell: __field, .. } = self;
            let __cell = ::ptrcache::__private::AsyncPropertyField::<String>::cell(__field);
            ::ptrcache::__private::AsyncPropertyCell::get_or_init(__cell, || async move {
                let __value: String = { load().await };
                #[allow(unreachable_code)]
                __value
            }).await
        }
    };
    assert_eq!(expanded, squeeze(&expected));
}

#[test]
fn crate_option_moves_every_path_to_the_runtime() {
    let expanded = expand(
        quote!(crate = ::my::ptrcache),
        quote!(
            fn n(&self) -> u8 {
                1
            }
        ),
    );
    assert!(expanded.contains("::my::ptrcache::__private::PropertyField::<u8>"), "{expanded}");
    assert!(expanded.contains("::my::ptrcache::__private::PropertyCell::get_or_init"), "{expanded}");
    assert_eq!(expanded.matches("ptrcache::__private").count(), 2, "{expanded}");
}

#[test]
fn tuple_struct_fields_are_named_by_index() {
    let expanded = expand(
        quote!(field = 1),
        quote!(
            fn n(&self) -> u8 {
                1
            }
        ),
    );
    assert!(expanded.contains("letSelf{1:__field,..}=self;"), "{expanded}");
}

#[test]
fn on_error_the_item_is_kept_unchanged_beside_every_error() {
    let item = quote!(
        fn total(&mut self, times: u64) -> u64 {
            42 * times
        }
    );
    let expanded = expand(quote!(exp = 60), item.clone());
    assert!(expanded.starts_with(&squeeze(&item)), "{expanded}");
    assert_eq!(expanded.matches("compile_error!").count(), 3, "{expanded}");
}

#[test]
fn typed_shared_receiver_and_lifetime_parameters_are_accepted() {
    for (item, output) in [
        (
            quote!(
                fn n(self: &Self) -> u8 {
                    1
                }
            ),
            "->&u8",
        ),
        // The named lifetime carries over to the returned reference.
        (
            quote!(
                fn n<'a>(&'a self) -> u8 {
                    1
                }
            ),
            "->&'au8",
        ),
    ] {
        let expanded = expand(quote!(), item);
        assert!(!expanded.contains("compile_error"), "{expanded}");
        assert!(expanded.contains(output), "{expanded}");
    }
}

#[test]
fn a_repeated_option_is_flagged_even_when_its_first_value_was_wrong() {
    let expanded = expand(
        quote!(field = "a", field = b),
        quote!(
            fn n(&self) -> u8 {
                1
            }
        ),
    );
    assert!(expanded.contains("duplicateoption`field`"), "{expanded}");
    assert!(expanded.contains("withoutquotes"), "{expanded}");
}
