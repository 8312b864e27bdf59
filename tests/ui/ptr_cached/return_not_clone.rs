use ptrcache::ptr_cached;

struct Report {
    lines: Vec<String>,
}

#[ptr_cached]
fn report(id: u32) -> Report {
    Report { lines: vec![id.to_string()] }
}

fn main() {
    let _ = report(1).lines;
}
