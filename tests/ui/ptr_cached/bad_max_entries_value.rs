use ptrcache::ptr_cached;

#[ptr_cached(max_entries = -10)]
fn double(x: u32) -> u32 {
    x * 2
}

fn main() {
    let _ = double(1);
}
