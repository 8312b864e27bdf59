use ptrcache::ptr_cached;

struct Circle {
    r: f64,
}

impl Circle {
    #[ptr_cached]
    fn area(&self) -> f64 {
        3.14 * self.r * self.r
    }
}

fn main() {
    let _ = Circle { r: 1.0 }.area();
}
