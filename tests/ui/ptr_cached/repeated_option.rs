use ptrcache::ptr_cached;

#[ptr_cached(exp = 60, max_entries = 10, exp = "5m")]
fn double(x: u32) -> u32 {
    x * 2
}

fn main() {
    let _ = double(1);
}
