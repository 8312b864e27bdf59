use ptrcache::ptr_cached;

// Rust reads `500ms` as the number 500 with a suffix: without the error this would be 500 s.
#[ptr_cached(exp = 500ms, max_entries = 10k)]
fn double(x: u32) -> u32 {
    x * 2
}

fn main() {
    let _ = double(1);
}
