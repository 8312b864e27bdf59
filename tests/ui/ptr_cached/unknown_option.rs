use ptrcache::ptr_cached;

#[ptr_cached(exp = 60, shards = 16)]
fn double(x: u32) -> u32 {
    x * 2
}

fn main() {
    // The function is still emitted: no error here.
    let _ = double(1);
}
