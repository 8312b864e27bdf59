use ptrcache::{PropertyCell, cached_property};
use std::cell::Cell;

#[derive(Default)]
struct Counter {
    total: PropertyCell<Cell<u64>>,
}

impl Counter {
    #[cached_property]
    fn total(&self) -> Cell<u64> {
        Cell::new(42)
    }
}

fn share<T: Sync>(_: &T) {}

fn main() {
    share(&Counter::default());
}
