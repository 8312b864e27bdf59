//! Several saved runs of the suite in one table: min, median and max of each target's figure.
//!
//! One run of the suite on the shared 2-core host can catch it in a fast or a slow state, so
//! the issue asks for runs repeated until the medians are stable and for min–median–max over
//! them. `ptrcache-bench summary FILE...` reads the "Targets of issue 6" tables of saved
//! reports (the markdown the suite prints) and lines the runs up, target by target.

use crate::report::Table;

/// One target row of a report: its name, goal, leading figure and whether it was met.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetRow {
    /// What is measured (the row's first cell).
    pub what: String,
    /// The goal as the report states it.
    pub goal: String,
    /// The first number of the "measured" cell, if it starts with one.
    pub figure: Option<f64>,
    /// Whether the report marked the target met.
    pub met: bool,
}

/// One saved run: where it came from, its commit, and its target rows.
#[derive(Clone, Debug)]
pub struct Run {
    /// The report's file name (or any label).
    pub name: String,
    /// The commit named in the report's header, if any.
    pub commit: Option<String>,
    /// The rows of all its "Targets of issue 6" tables, in order.
    pub targets: Vec<TargetRow>,
    /// Lines of those tables that could not be read as a target row (fewer than 4 cells).
    pub unreadable: Vec<String>,
}

/// Reads a report printed by `ptrcache-bench` (and `ptrcache-bench-alloc`).
pub fn parse_run(name: &str, text: &str) -> Run {
    let commit = text.lines().find_map(|line| {
        let rest = &line[line.find("; commit ")? + "; commit ".len()..];
        rest.split(';').next().map(|commit| commit.trim().to_string())
    });
    let (mut targets, mut unreadable) = (Vec::new(), Vec::new());
    let mut in_targets = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            in_targets = line.contains("Targets of issue 6");
            continue;
        }
        if !in_targets || !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        // The last three cells are the goal, the figure and the verdict; a `|` inside the
        // first (the target's name) leaves it split, so its pieces are joined again.
        let Some(split) = cells.len().checked_sub(3).filter(|&split| split > 0) else {
            unreadable.push(line.to_string());
            continue;
        };
        let what = cells[..split].join(" | ");
        let [goal, measured, met] = [cells[split], cells[split + 1], cells[split + 2]];
        if what == "target" || what.starts_with("---") {
            continue;
        }
        targets.push(TargetRow {
            what,
            goal: goal.to_string(),
            figure: leading_number(measured),
            met: met == "yes",
        });
    }
    Run { name: name.to_string(), commit, targets, unreadable }
}

/// The number a cell starts with: `+2.15 points` → 2.15, `-9.55` → -9.55, `0.91 (...)` → 0.91.
/// Also reads the minus sign `−` (U+2212) the goals use.
fn leading_number(cell: &str) -> Option<f64> {
    let cell = cell.trim().replace('\u{2212}', "-");
    let end = cell
        .char_indices()
        .find(|&(at, c)| !(c.is_ascii_digit() || c == '.' || (at == 0 && (c == '+' || c == '-'))))
        .map_or(cell.len(), |(at, _)| at);
    cell[..end].parse().ok()
}

/// Whether `figure` meets a goal of the form `≥ x` or `≤ x` (with any unit after `x`); `None`
/// for goals of other forms (`≤ quick_cache`, `1 init per key; ...`).
fn meets(goal: &str, figure: f64) -> Option<bool> {
    if let Some(bound) = goal.strip_prefix('≥') {
        return leading_number(bound).map(|bound| figure >= bound);
    }
    if let Some(bound) = goal.strip_prefix('≤') {
        return leading_number(bound).map(|bound| figure <= bound);
    }
    None
}

/// The median of `values` (the mean of the middle two for an even count), sorting `values`
/// in place (callers read the min and max from it); `values` not empty.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 { values[middle] } else { (values[middle - 1] + values[middle]) / 2.0 }
}

/// The targets of `runs`, in the order they first appear, with min–median–max of their
/// figures, how many runs met each, and whether the median meets the goal.
pub fn table(runs: &[Run]) -> Table {
    let mut order: Vec<(&str, &str)> = Vec::new();
    for row in runs.iter().flat_map(|run| &run.targets) {
        if !order.iter().any(|&(what, _)| what == row.what) {
            order.push((&row.what, &row.goal));
        }
    }
    let mut table = Table::new(
        ["target", "goal", "runs", "figure: min – median – max", "met in", "median meets the goal"]
            .map(String::from)
            .to_vec(),
    );
    for (what, goal) in order {
        let rows: Vec<&TargetRow> =
            runs.iter().flat_map(|run| &run.targets).filter(|row| row.what == what).collect();
        let mut figures: Vec<f64> = rows.iter().filter_map(|row| row.figure).collect();
        let met = rows.iter().filter(|row| row.met).count();
        let (range, by_median) = if figures.is_empty() {
            ("—".to_string(), "—".to_string())
        } else {
            let middle = median(&mut figures);
            // Three decimals: the median of an even count of two-decimal figures ends in a 5.
            let range = format!("{:.3} – {middle:.3} – {:.3}", figures[0], figures[figures.len() - 1]);
            let by_median = match meets(goal, middle) {
                Some(true) => "yes".to_string(),
                Some(false) => "**no**".to_string(),
                None => "—".to_string(),
            };
            (range, by_median)
        };
        table.row(vec![
            what.to_string(),
            goal.to_string(),
            rows.len().to_string(),
            range,
            format!("{met} of {}", rows.len()),
            by_median,
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "<!-- ptrcache-bench all -->

Machine: Intel(R) Xeon(R) Processor @ 2.50GHz, 2 cores; commit 3ca60ba; release build; full mode.

## hit

| contender | ns/get | x | y |
|---|---:|---:|---:|
| ptrcache | 109.3 | 0.80 | yes |

## Targets of issue 6 (timing and hit-ratio workloads)

| target | goal | measured (median; timings: paired per round) | met |
|---|---:|---:|---:|
| hit latency, 1T: quick_cache ns ÷ ptrcache ns | ≥ 1.0 | 0.80 (109.3 vs 90.4 ns) | **no** |
| hit ratio, worst config vs that config's best peer | ≥ −3.00 points | -9.55 points (web12) | **no** |
| hit ratio, mean of 18 real configs vs best peer's mean | ≥ +1.00 point | +2.15 points (48.69%) | yes |
| stampede, 32 threads on 1 key | 1 init per key; time ≤ 1.2× best peer | inits 1–1; 10.5 ms | yes |
  | a | name | with | pipes | ≥ 1.0 | 1.50 (indented, split name) | yes |
| too | short |
";

    #[test]
    fn reads_the_commit_and_only_the_target_rows() {
        let run = parse_run("e.md", REPORT);
        assert_eq!(run.commit.as_deref(), Some("3ca60ba"));
        let figures: Vec<Option<f64>> = run.targets.iter().map(|row| row.figure).collect();
        assert_eq!(figures, [Some(0.80), Some(-9.55), Some(2.15), None, Some(1.5)]);
        let met: Vec<bool> = run.targets.iter().map(|row| row.met).collect();
        assert_eq!(met, [false, false, true, true, true]);
        assert_eq!(run.targets[4].what, "a | name | with | pipes");
        assert_eq!(run.unreadable, ["| too | short |"]);
    }

    #[test]
    fn goals_read_both_minus_signs_and_both_directions() {
        assert_eq!(meets("≥ −3.00 points", -2.5), Some(true));
        assert_eq!(meets("≥ −3.00 points", -3.5), Some(false));
        assert_eq!(meets("≥ +1.00 point", 0.99), Some(false));
        assert_eq!(meets("≤ 2", 1.0), Some(true));
        assert_eq!(meets("≤ quick_cache", 1.0), None);
    }

    #[test]
    fn the_table_gives_the_spread_and_judges_the_median() {
        let runs: Vec<Run> = [0.80, 1.04, 0.93]
            .iter()
            .enumerate()
            .map(|(index, figure)| {
                let text = REPORT.replace("| 0.80 (109.3", &format!("| {figure:.2} (109.3"));
                let text = if *figure >= 1.0 { text.replacen("| **no** |", "| yes |", 1) } else { text };
                parse_run(&format!("run{index}.md"), &text)
            })
            .collect();
        let rendered = table(&runs).render();
        let hit = rendered.lines().find(|line| line.contains("hit latency, 1T")).expect("hit row");
        assert!(hit.contains("| 3 | 0.800 – 0.930 – 1.040 | 1 of 3 | **no** |"), "{hit}");
        let mean = rendered.lines().find(|line| line.contains("mean of 18")).expect("mean row");
        assert!(mean.contains("| 2.150 – 2.150 – 2.150 | 3 of 3 | yes |"), "{mean}");
        let stampede = rendered.lines().find(|line| line.contains("stampede")).expect("stampede row");
        assert!(stampede.contains("| 3 | — | 3 of 3 | — |"), "{stampede}");
    }

    #[test]
    fn reads_every_saved_run() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results/runs");
        let mut runs = Vec::new();
        for entry in std::fs::read_dir(&folder).expect("results/runs") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("report");
            runs.push(parse_run(&path.display().to_string(), &text));
        }
        assert!(runs.len() >= 5, "{} runs in {}", runs.len(), folder.display());
        for run in &runs {
            assert!(run.commit.is_some(), "{}: no commit", run.name);
            assert!(run.unreadable.is_empty(), "{}: {:?}", run.name, run.unreadable);
            // Memory (2), expiry (3), hit (2), get-or-insert (4), hit ratio (4), stampede (4),
            // memo (2).
            assert_eq!(run.targets.len(), 21, "{}: {:?}", run.name, run.targets);
            let hit = run.targets.iter().find(|row| row.what.starts_with("hit latency, 1T")).expect("hit");
            assert!(hit.figure.is_some_and(|figure| figure > 0.0), "{}: {hit:?}", run.name);
        }
    }

    #[test]
    fn an_even_count_takes_the_mean_of_the_middle_two() {
        assert!((median(&mut [1.0, 4.0, 2.0, 3.0]) - 2.5).abs() < 1e-12);
    }
}
