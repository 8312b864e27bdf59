use ptrcache::{PropertyCell, cached_property};

struct Counter {
    total: PropertyCell<u64>,
    other: PropertyCell<u64>,
}

impl Counter {
    #[cached_property(field = total, field = other)]
    fn total(&self) -> u64 {
        42
    }
}

fn main() {}
