use ptrcache::{PropertyCell, cached_property};

struct Counter {
    total: PropertyCell<u64>,
}

impl Counter {
    #[cached_property]
    fn total(&self, times: u64, offset: u64) -> u64 {
        42 * times + offset
    }
}

fn main() {}
