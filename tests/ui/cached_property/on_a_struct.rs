use ptrcache::{PropertyCell, cached_property};

#[cached_property]
struct Counter {
    total: PropertyCell<u64>,
}

fn main() {}
