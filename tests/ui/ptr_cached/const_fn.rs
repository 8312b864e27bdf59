use ptrcache::ptr_cached;

#[ptr_cached]
const fn double(x: u32) -> u32 {
    x * 2
}

fn main() {
    let _ = double(1);
}
