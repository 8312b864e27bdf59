use ptrcache::ptr_cached;

#[derive(PartialEq, Eq, Hash)]
struct Config {
    level: u8,
}

#[ptr_cached]
fn describe(config: &Config, verbose: bool) -> String {
    format!("{} {verbose}", config.level)
}

fn main() {
    let _ = describe(&Config { level: 1 }, true);
}
