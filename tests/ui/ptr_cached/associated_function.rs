use ptrcache::ptr_cached;
use std::sync::Arc;

struct Champion {
    id: u32,
}

impl Champion {
    #[ptr_cached]
    fn load(id: u32) -> Arc<Self> {
        Arc::new(Champion { id })
    }
}

fn main() {
    let _ = Champion::load(1).id;
}
