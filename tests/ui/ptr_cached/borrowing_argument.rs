use ptrcache::ptr_cached;

#[ptr_cached]
fn greet(name: Option<&str>) -> String {
    format!("hello {}", name.unwrap_or("you"))
}

fn main() {
    let _ = greet(Some("faker"));
}
