use ptrcache::cached_property;

trait Total {
    #[cached_property]
    fn total(&self) -> u64;
}

fn main() {}
