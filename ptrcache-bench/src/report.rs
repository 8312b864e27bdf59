//! Summaries of repeated measurements and markdown tables.

use crate::contenders::Kind;
use std::fmt::Write as _;

/// Min, median and max of repeated measurements.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Smallest sample.
    pub min: f64,
    /// Median sample (mean of the middle two for an even count).
    pub median: f64,
    /// Largest sample.
    pub max: f64,
}

impl Summary {
    /// The summary of `samples` (not empty).
    pub fn of(samples: &[f64]) -> Summary {
        assert!(!samples.is_empty(), "no samples");
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
        Summary { min: sorted[0], median, max: sorted[n - 1] }
    }

    /// `median (min–max)` with `decimals`.
    pub fn show(&self, decimals: usize) -> String {
        format!("{:.d$} ({:.d$}–{:.d$})", self.median, self.min, self.max, d = decimals)
    }
}

/// Whether smaller or larger figures are better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Times, bytes.
    Lower,
    /// Throughputs, hit ratios.
    Higher,
}

/// One contender's samples in one configuration.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Row label.
    pub name: String,
    /// Real cache or reference.
    pub kind: Kind,
    /// One sample per round.
    pub samples: Vec<f64>,
    /// Extra cells after the figure (e.g. hit ratio).
    pub extra: Vec<String>,
    /// The summary of the secondary figure, if there is one.
    pub aux: Option<Summary>,
}

impl Measured {
    /// The summary of the samples.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.samples)
    }
}

/// How `value` compares with `best` as a fraction of the best's performance (1.00 = as good,
/// 0.50 = half as fast or half the throughput); references may exceed 1.
pub fn ratio(value: f64, best: f64, better: Better) -> f64 {
    match better {
        Better::Lower => best / value,
        Better::Higher => value / best,
    }
}

/// The per-round ratio of `row` to `base` (each round's samples paired: contenders run back to
/// back in a round, so a slow phase of the shared machine hits both), summarized over the
/// rounds; `None` if the rows do not have one sample per round each.
pub fn paired(row: &Measured, base: &Measured, better: Better) -> Option<Summary> {
    if row.samples.len() != base.samples.len() || row.samples.is_empty() {
        return None;
    }
    let ratios: Vec<f64> =
        row.samples.iter().zip(&base.samples).map(|(&value, &base)| ratio(value, base, better)).collect();
    Some(Summary::of(&ratios))
}

/// The best median among the real caches of `rows`.
pub fn best_real(rows: &[Measured], better: Better) -> Option<f64> {
    let medians = rows.iter().filter(|row| row.kind == Kind::Real).map(|row| row.summary().median);
    match better {
        Better::Lower => medians.min_by(f64::total_cmp),
        Better::Higher => medians.max_by(f64::total_cmp),
    }
}

/// The median of the row named `name`, if present.
pub fn median_of(rows: &[Measured], name: &str) -> Option<f64> {
    rows.iter().find(|row| row.name == name).map(|row| row.summary().median)
}

/// A markdown table of `rows`: the figure as `median (min–max)`, its ratio to the best real
/// cache (of the medians), its ratio to `baseline` (a row name and a column label) if given,
/// paired per round as `median (min–max)`, then the extra cells.
pub fn figure_table(
    figure: &str,
    decimals: usize,
    better: Better,
    baseline: Option<(&str, &str)>,
    extra_headers: &[&str],
    rows: &[Measured],
) -> Table {
    let mut headers = vec!["contender".to_string(), format!("{figure}: median (min–max)")];
    headers.push("× best real".to_string());
    if let Some((_, column)) = baseline {
        headers.push(format!("× {column}, paired per round"));
    }
    headers.extend(extra_headers.iter().map(|header| header.to_string()));
    let mut table = Table::new(headers);
    let best = best_real(rows, better);
    let base = baseline.and_then(|(name, _)| rows.iter().find(|row| row.name == name));
    for row in rows {
        let summary = row.summary();
        let mut cells = vec![label(row), summary.show(decimals)];
        cells.push(best.map_or("—".into(), |best| format!("{:.2}", ratio(summary.median, best, better))));
        if baseline.is_some() {
            let pair = base.and_then(|base| paired(row, base, better));
            cells.push(pair.map_or("—".into(), |pair| pair.show(2)));
        }
        cells.extend(row.extra.iter().cloned());
        table.row(cells);
    }
    table
}

/// The row label, references in italics.
pub fn label(row: &Measured) -> String {
    match row.kind {
        Kind::Real => row.name.clone(),
        Kind::Reference => format!("*{}*", row.name),
    }
}

/// A markdown table.
#[derive(Clone, Debug)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: Vec<String>) -> Table {
        Table { headers, rows: Vec::new() }
    }

    /// Adds a row (as many cells as headers).
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    /// The markdown text: first column left-aligned, the others right-aligned.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "| {} |", self.headers.join(" | "));
        let aligns: Vec<&str> =
            (0..self.headers.len()).map(|i| if i == 0 { "---" } else { "---:" }).collect();
        let _ = writeln!(out, "|{}|", aligns.join("|"));
        for row in &self.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out
    }
}

/// Prints a heading and a table, then a blank line.
pub fn print_table(heading: &str, table: &Table) {
    println!("{heading}\n\n{}", table.render());
}

/// A percentage with 2 decimals.
pub fn pct(ratio: f64) -> String {
    format!("{:.2}%", ratio * 100.0)
}
