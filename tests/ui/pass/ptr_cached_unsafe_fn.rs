//! An `unsafe fn` keeps its contract for callers, and its body runs in an `unsafe` call.
#![allow(unsafe_code)]

use ptrcache::ptr_cached;

/// # Safety
///
/// `index` is less than 3.
#[ptr_cached]
unsafe fn pick(index: usize) -> u32 {
    let values = [10, 20, 30];
    // SAFETY: the caller promises `index < 3`.
    unsafe { *values.get_unchecked(index) }
}

fn main() {
    // SAFETY: 1 < 3.
    assert_eq!(unsafe { pick(1) }, 20);
    assert_eq!(pick_cache().len(), 1);
}
