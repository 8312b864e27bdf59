//! `#[cached_property]` expansions reach the runtime only through `::ptrcache::__private` or the
//! `crate = path` option, name nothing the user's code can shadow, and trip no lint.

#![deny(unused_qualifications, clippy::all, clippy::pedantic, clippy::nursery)]
#![allow(
    clippy::redundant_pub_crate,
    reason = "it contradicts rustc's `unreachable_pub`, which the workspace warns on"
)]

/// A stand-in for `ptrcache` with its own cells that count their first accesses: if an
/// expansion reached the real crate instead, the field types below would not match and this
/// would not compile, and the counts would stay at zero.
mod fake_ptrcache {
    #![allow(clippy::future_not_send, reason = "a stand-in whose futures are never sent")]

    pub(crate) mod __private {
        use std::sync::atomic::{AtomicUsize, Ordering};

        pub(crate) static INITS: AtomicUsize = AtomicUsize::new(0);

        #[derive(Default)]
        pub(crate) struct PropertyCell<T>(std::sync::OnceLock<T>);

        impl<T> PropertyCell<T> {
            pub(crate) fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
                self.0.get_or_init(|| {
                    INITS.fetch_add(1, Ordering::SeqCst);
                    init()
                })
            }
        }

        pub(crate) trait PropertyField<T> {
            fn cell(&self) -> &PropertyCell<T>;
        }

        impl<T> PropertyField<T> for PropertyCell<T> {
            fn cell(&self) -> &Self {
                self
            }
        }

        /// Not single-flight: the fake only needs to be reached, not to be right under load.
        #[derive(Default)]
        pub(crate) struct AsyncPropertyCell<T>(std::sync::OnceLock<T>);

        impl<T> AsyncPropertyCell<T> {
            pub(crate) async fn get_or_init<F: Future<Output = T>>(&self, init: impl FnOnce() -> F) -> &T {
                if let Some(value) = self.0.get() {
                    return value;
                }
                let value = init().await;
                INITS.fetch_add(1, Ordering::SeqCst);
                self.0.get_or_init(|| value)
            }
        }

        pub(crate) trait AsyncPropertyField<T> {
            fn cell(&self) -> &AsyncPropertyCell<T>;
        }

        impl<T> AsyncPropertyField<T> for AsyncPropertyCell<T> {
            fn cell(&self) -> &Self {
                self
            }
        }
    }
}

/// The real crate under another name, as with `renamed = { package = "ptrcache" }`.
mod reexport {
    pub(crate) use ptrcache as renamed;
}

mod with_a_crate_path {
    use super::fake_ptrcache::__private::{AsyncPropertyCell, INITS, PropertyCell};
    use ptrcache::cached_property;
    use std::sync::atomic::Ordering;

    #[derive(Default)]
    struct Fake {
        sync_value: PropertyCell<u32>,
        async_value: AsyncPropertyCell<u32>,
    }

    impl Fake {
        #[cached_property(crate = super::fake_ptrcache)]
        fn sync_value(&self) -> u32 {
            1
        }

        #[cached_property(crate = crate::cached_property_hygiene::fake_ptrcache)]
        async fn async_value(&self) -> u32 {
            2
        }
    }

    #[derive(Default)]
    struct Renamed {
        value: crate::cached_property_hygiene::reexport::renamed::PropertyCell<u32>,
    }

    impl Renamed {
        #[cached_property(crate = super::reexport::renamed)]
        fn value(&self) -> u32 {
            3
        }
    }

    #[tokio::test]
    async fn expansions_use_the_crate_path_option() {
        let fake = Fake::default();
        assert_eq!(*fake.sync_value(), 1);
        assert_eq!(*fake.async_value().await, 2);
        assert_eq!(INITS.load(Ordering::SeqCst), 2, "the fake runtime was used for both");
        assert_eq!(*Renamed::default().value(), 3);
    }
}

/// User code that shadows the names an expansion might use unqualified.
mod shadowing {
    #![allow(dead_code, reason = "the shadows only need to exist")]

    use ::ptrcache::{PropertyCell, cached_property};

    mod core {}
    mod std {}
    mod ptrcache {}
    mod __private {}
    struct Option;
    struct Some;
    struct None;
    struct Result;
    trait PropertyField {}
    trait Future {}

    #[derive(Default)]
    struct Shadowed {
        value: PropertyCell<u32>,
        #[cfg(feature = "async")]
        later: ::ptrcache::AsyncPropertyCell<u32>,
    }

    impl Shadowed {
        #[cached_property]
        fn value(&self) -> u32 {
            let __field = 40;
            let __cell = 2;
            __field + __cell
        }

        #[cfg(feature = "async")]
        #[cached_property]
        async fn later(&self) -> u32 {
            *self.value() + 1
        }
    }

    #[tokio::test]
    async fn expansions_survive_shadowed_names() {
        let shadowed = Shadowed::default();
        assert_eq!(*shadowed.value(), 42);
        #[cfg(feature = "async")]
        assert_eq!(*shadowed.later().await, 43);
    }
}
