use ptrcache::{PropertyCell, cached_property};

struct Counter {
    total: PropertyCell<u64>,
}

impl Counter {
    #[cached_property]
    fn total(&self) -> impl std::fmt::Display {
        42
    }
}

fn main() {}
