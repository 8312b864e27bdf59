use ptrcache::ptr_cached;

#[ptr_cached]
fn first_word(text: &str) -> &str {
    text.split(' ').next().unwrap_or("")
}

fn main() {
    let _ = first_word("hello world");
}
