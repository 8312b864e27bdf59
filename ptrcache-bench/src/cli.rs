//! Command-line handling shared by the two binaries.

use crate::Opts;
use std::time::Instant;

/// Parsed arguments: the workloads to run and the options.
#[derive(Debug)]
pub struct Cli {
    /// Workload names, in the order given (`all` expanded by the caller).
    pub workloads: Vec<String>,
    /// Options.
    pub opts: Opts,
}

/// Parses `args` (without the program name), accepting `known` workload names and `all`.
pub fn parse(args: impl IntoIterator<Item = String>, known: &[&str], usage: &str) -> Result<Cli, String> {
    let mut workloads = Vec::new();
    let mut quick = false;
    let mut rounds = None;
    let mut all_contenders = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--all-contenders" => all_contenders = true,
            "--rounds" => {
                let value = args.next().ok_or("--rounds needs a number")?;
                rounds = Some(value.parse::<usize>().map_err(|_| format!("bad --rounds {value}"))?.max(1));
            }
            "-h" | "--help" => return Err(usage.to_string()),
            name if name == "all" || known.contains(&name) => workloads.push(name.to_string()),
            other => return Err(format!("unknown argument {other:?}\n\n{usage}")),
        }
    }
    if workloads.is_empty() || workloads.iter().any(|name| name == "all") {
        workloads = known.iter().map(|name| name.to_string()).collect();
    }
    Ok(Cli { workloads, opts: Opts { quick, rounds, all_contenders } })
}

/// Prints the machine and build description that heads every report.
pub fn print_header(program: &str, cli: &Cli) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .map(|line| line.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let commit = std::process::Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let profile = if cfg!(debug_assertions) { "debug (numbers meaningless)" } else { "release" };
    println!(
        "<!-- {program} {} -->\n\nMachine: {cpu}, {cores} cores; commit {commit}; {profile} build; \
         {} mode, rounds: {}; load average at start {}.\n",
        cli.workloads.join(" "),
        if cli.opts.quick { "quick" } else { "full" },
        cli.opts.rounds.map_or("per workload".to_string(), |rounds| rounds.to_string()),
        crate::timing::load_average()
    );
}

/// Prints the closing line: time taken and load average.
pub fn print_footer(start: Instant) {
    println!(
        "Done in {:.1} s; load average at end {}.\n",
        start.elapsed().as_secs_f64(),
        crate::timing::load_average()
    );
}
