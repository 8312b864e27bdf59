use ptrcache::{PropertyCell, cached_property};

struct Counter {
    count: u64,
    total: PropertyCell<u64>,
}

impl Counter {
    #[cached_property(field = total_cache)]
    fn total(&self) -> u64 {
        self.count * 2
    }
}

fn main() {}
