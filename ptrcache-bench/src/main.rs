//! `ptrcache-bench`: the timing and hit-ratio workloads of issue 6, printed as markdown.
//! The memory and expiry workloads run in the `ptrcache-bench-alloc` binary (a counting
//! allocator), which this one starts when asked for them.

use ptrcache_bench::{cli, report, summary, targets, workloads};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "usage: ptrcache-bench [WORKLOAD...] [--quick] [--rounds N]
       ptrcache-bench summary REPORT.md...   (min-median-max of each target over saved runs)
workloads: hit getorinsert ratio memory expiry stampede memo all (default: all)
  --quick     smoke run: a tenth of the operations, 2 rounds, 2 of the 6 traces
  --rounds N  rounds of each timed measurement (default: 5; hit and memo 9, getorinsert 3)
  --all-contenders  also replay moka (future) in `ratio` (same policy as moka; +2-3 minutes)";

const WORKLOADS: [&str; 7] = ["hit", "getorinsert", "ratio", "memory", "expiry", "stampede", "memo"];

/// The sibling binary with the counting allocator.
fn alloc_binary() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|error| error.to_string())?;
    let sibling = me.with_file_name(format!("ptrcache-bench-alloc{}", std::env::consts::EXE_SUFFIX));
    // Under `cargo run`, (re)build it with the same profile as this binary: a sibling left by an
    // earlier build would measure an older ptrcache. Run directly, use the sibling as it is.
    let Some(cargo) = std::env::var_os("CARGO") else {
        return if sibling.exists() {
            Ok(sibling)
        } else {
            Err("ptrcache-bench-alloc not found beside this binary".into())
        };
    };
    let profile =
        me.parent().and_then(|dir| dir.file_name()).and_then(|name| name.to_str()).unwrap_or("debug");
    let profile = if profile == "debug" { "dev" } else { profile };
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "ptrcache-bench",
            "--bin",
            "ptrcache-bench-alloc",
            "--profile",
            profile,
        ])
        .status()
        .map_err(|error| error.to_string())?;
    if status.success() && sibling.exists() {
        Ok(sibling)
    } else {
        Err("could not build ptrcache-bench-alloc".into())
    }
}

fn run_alloc(workload: &str, cli: &cli::Cli) -> Result<(), String> {
    let mut command = Command::new(alloc_binary()?);
    command.arg(workload).arg("--no-header");
    if let Some(rounds) = cli.opts.rounds {
        command.arg("--rounds").arg(rounds.to_string());
    }
    if cli.opts.quick {
        command.arg("--quick");
    }
    let status = command.status().map_err(|error| error.to_string())?;
    if status.success() { Ok(()) } else { Err(format!("ptrcache-bench-alloc {workload} failed: {status}")) }
}

/// `summary FILE...`: the targets of saved reports, lined up.
fn summarize(files: &[String]) -> ExitCode {
    if files.is_empty() || files.iter().any(|file| file == "-h" || file == "--help") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut runs = Vec::new();
    for file in files {
        match std::fs::read_to_string(file) {
            Ok(text) => runs.push(summary::parse_run(file, &text)),
            Err(error) => {
                eprintln!("cannot read {file}: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(run) = runs.iter().find(|run| run.targets.is_empty()) {
        eprintln!("{} has no \"Targets of issue 6\" table", run.name);
        return ExitCode::FAILURE;
    }
    for run in &runs {
        println!("- {}: commit {}", run.name, run.commit.as_deref().unwrap_or("unknown"));
        for line in &run.unreadable {
            eprintln!("warning: {}: not read as a target row: {line}", run.name);
        }
    }
    println!();
    report::print_table(&format!("## Targets of issue 6 over {} runs", runs.len()), &summary::table(&runs));
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("summary") {
        return summarize(&args[1..]);
    }
    let cli = match cli::parse(args, &WORKLOADS, USAGE) {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    cli::print_header("ptrcache-bench", &cli);
    let mut goals = Vec::new();
    for workload in &cli.workloads {
        println!("## {workload}\n");
        let began = Instant::now();
        match workload.as_str() {
            "hit" => goals.extend(targets::hit(&workloads::hit::run(&cli.opts))),
            "getorinsert" => goals.extend(targets::get_or_insert(&workloads::getorinsert::run(&cli.opts))),
            "ratio" => match workloads::ratio::run(&cli.opts) {
                Ok(outcome) => goals.extend(targets::ratio(&outcome)),
                Err(error) => {
                    eprintln!("ratio: cannot read the traces ({error}); set PTRCACHE_TRACES to their folder");
                    return ExitCode::FAILURE;
                }
            },
            "stampede" => goals.extend(targets::stampede(&workloads::stampede::run(&cli.opts))),
            "memo" => {
                goals.extend(targets::memo(&workloads::memo::run(&cli.opts), workloads::memo::PTR_CACHED))
            }
            "memory" | "expiry" => {
                if let Err(error) = run_alloc(workload, &cli) {
                    eprintln!("{error}");
                    return ExitCode::FAILURE;
                }
            }
            _ => unreachable!("parse accepts only known workloads"),
        }
        println!(
            "_{workload}: {:.1} s, load average {}_\n",
            began.elapsed().as_secs_f64(),
            ptrcache_bench::timing::load_average()
        );
    }
    if !goals.is_empty() {
        report::print_table(
            "## Targets of issue 6 (timing and hit-ratio workloads)",
            &targets::table(&goals),
        );
    }
    cli::print_footer(start);
    ExitCode::SUCCESS
}
