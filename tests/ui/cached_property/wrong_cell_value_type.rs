use ptrcache::{PropertyCell, cached_property};

struct Counter {
    count: u64,
    total: PropertyCell<u32>,
}

impl Counter {
    #[cached_property]
    fn total(&self) -> u64 {
        self.count * 2
    }
}

fn main() {}
