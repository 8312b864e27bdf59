use ptrcache::ptr_cached;

#[ptr_cached]
fn label(id: u32) -> impl std::fmt::Display {
    id
}

fn main() {
    let _ = label(1);
}
