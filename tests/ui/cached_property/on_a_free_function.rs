use ptrcache::cached_property;

#[cached_property]
fn total() -> u64 {
    42
}

fn main() {}
