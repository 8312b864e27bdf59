use ptrcache::{PropertyCell, cached_property};

struct Counter {
    total: PropertyCell<u64>,
}

impl Counter {
    #[cached_property(fields = total)]
    fn total<T>(&mut self, times: u64) {
        println!("{}", 42 * times);
    }
}

fn main() {}
