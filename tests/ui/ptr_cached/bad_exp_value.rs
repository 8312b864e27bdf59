use ptrcache::ptr_cached;

#[ptr_cached(exp = "5 parsecs")]
fn double(x: u32) -> u32 {
    x * 2
}

fn main() {
    let _ = double(1);
}
