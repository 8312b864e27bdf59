use ptrcache::ptr_cached;

#[ptr_cached]
fn describe<T: std::fmt::Debug + Clone + std::hash::Hash + Eq>(value: T) -> String {
    format!("{value:?}")
}

fn main() {
    let _ = describe(1);
}
