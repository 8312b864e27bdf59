use ptrcache::{PropertyCell, cached_property};

struct Counter {
    total: PropertyCell<u64>,
}

impl Counter {
    #[cached_property(exp = 60)]
    fn total(&self) -> u64 {
        42
    }
}

fn main() {}
