use ptrcache::ptr_cached;
use std::rc::Rc;

#[ptr_cached]
fn shared(id: u32) -> Rc<u32> {
    Rc::new(id)
}

fn main() {
    let _ = shared(1);
}
