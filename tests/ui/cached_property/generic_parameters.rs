use ptrcache::{PropertyCell, cached_property};

struct Counter {
    total: PropertyCell<u64>,
}

impl Counter {
    #[cached_property]
    fn total<T: Into<u64> + Default>(&self) -> u64 {
        T::default().into()
    }
}

fn main() {}
