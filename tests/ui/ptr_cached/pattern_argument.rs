use ptrcache::ptr_cached;

#[ptr_cached]
fn sum((a, b): (u32, u32)) -> u32 {
    a + b
}

fn main() {
    let _ = sum((1, 2));
}
