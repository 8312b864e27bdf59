use ptrcache::{PropertyCell, cached_property};

struct Counter {
    total: PropertyCell<u64>,
}

impl Counter {
    #[cached_property]
    const fn total(&self) -> u64 {
        42
    }
}

fn main() {}
