use ptrcache::ptr_cached;

#[ptr_cached]
fn push(items: &mut Vec<u32>) -> usize {
    items.push(1);
    items.len()
}

fn main() {
    let _ = push(&mut Vec::new());
}
