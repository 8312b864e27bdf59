use ptrcache::cached_property;

struct Counter {
    count: u64,
    total: u64,
}

impl Counter {
    #[cached_property]
    fn total(&self) -> u64 {
        self.count * 2
    }
}

fn main() {}
