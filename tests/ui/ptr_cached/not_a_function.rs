use ptrcache::ptr_cached;

#[ptr_cached]
struct Champion {
    id: u32,
}

fn main() {
    let _ = Champion { id: 1 }.id;
}
