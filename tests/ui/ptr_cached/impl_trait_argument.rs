use ptrcache::ptr_cached;

#[ptr_cached]
fn describe(value: impl std::fmt::Display) -> String {
    value.to_string()
}

fn main() {
    let _ = describe(1);
}
