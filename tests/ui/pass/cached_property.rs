//! A property used as a user crate would: the struct, its impl and the caller in different
//! modules, sync and async, under `deny(warnings)`.
#![deny(warnings)]

mod shapes {
    use ptrcache::{AsyncPropertyCell, PropertyCell};

    #[derive(Debug, Default)]
    pub struct Circle {
        pub r: f64,
        pub(crate) area: PropertyCell<f64>,
        pub(crate) label: AsyncPropertyCell<String>,
        pub(crate) diameter: PropertyCell<f64>,
        pub(crate) name: AsyncPropertyCell<String>,
        pub(crate) kind: AsyncPropertyCell<String>,
    }
}

mod properties {
    use crate::shapes::Circle;
    use ptrcache::cached_property;

    impl Circle {
        /// The area, computed once.
        #[cached_property]
        pub fn area(&self) -> f64 {
            std::f64::consts::PI * self.r * self.r
        }

        /// A label, loaded once.
        #[cached_property]
        pub async fn label(&self) -> String {
            format!("circle of area {:.1}", self.area())
        }

        /// A named receiver lifetime: the reference returned carries it (`-> &'a f64`), so
        /// `mismatched_lifetime_syntaxes` has nothing to warn about.
        #[cached_property]
        pub fn diameter<'a>(&'a self) -> f64 {
            2.0 * self.r
        }

        /// The same, async.
        #[cached_property]
        pub async fn name<'a>(&'a self) -> String {
            format!("circle of diameter {}", self.diameter())
        }

        /// A body that leaves by `return` (diverges): the expansion's code after it is not
        /// reported as unreachable.
        #[cached_property]
        #[allow(clippy::needless_return)]
        pub async fn kind(&self) -> String {
            return "circle".to_string();
        }
    }
}

fn main() {
    let circle = shapes::Circle { r: 1.0, ..Default::default() };
    let area: &f64 = circle.area();
    assert!((area - std::f64::consts::PI).abs() < 1e-12);
    let label = tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(circle.label());
    assert_eq!(label, "circle of area 3.1");
    assert_eq!(*circle.diameter(), 2.0);
    let name = tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(circle.name());
    assert_eq!(name, "circle of diameter 2");
    let kind = tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(circle.kind());
    assert_eq!(kind, "circle");
}
