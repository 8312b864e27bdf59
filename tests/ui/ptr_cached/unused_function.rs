#![deny(dead_code)]

use ptrcache::ptr_cached;

// The function is reported as never used, as it would be without the attribute; its accessor,
// `never_called_cache`, is not reported on top.
#[ptr_cached]
fn never_called(x: u32) -> u32 {
    x
}

fn main() {}
