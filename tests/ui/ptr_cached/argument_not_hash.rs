use ptrcache::ptr_cached;

#[derive(Clone, PartialEq)]
struct Point {
    x: f64,
    y: f64,
}

#[ptr_cached]
fn norm(id: u32, point: &Point) -> String {
    format!("{id}: {}", (point.x * point.x + point.y * point.y).sqrt())
}

fn main() {
    let _ = norm(1, &Point { x: 3.0, y: 4.0 });
}
