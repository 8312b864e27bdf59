#![deny(unused_must_use)]

use ptrcache::{PropertyCell, cached_property};

#[derive(Default)]
struct Counter {
    total: PropertyCell<u64>,
}

impl Counter {
    #[cached_property]
    #[must_use = "the total is the point"]
    fn total(&self) -> u64 {
        42
    }
}

fn main() {
    Counter::default().total();
}
