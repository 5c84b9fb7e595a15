//! The failure timeline as an SVG bar chart, drawn by hand so that it needs nothing at view
//! time: failures and denials stacked per bucket, the part through basic auth hatched, UTC time
//! labels, and detection windows shaded with numbered labels.
//!
//! Output depends only on the input: coordinates are printed with one decimal, colours are
//! presentation attributes (an SVG `<style>` inside an HTML page would style the whole page),
//! and every text goes through [`escape`].

use std::fmt::Write;

use crate::report::html::escape;
use crate::time::Timestamp;

/// One bucket of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub start: Timestamp,
    pub failures: u64,
    pub denied: u64,
    /// Failures and denials through legacy (basic) authentication.
    pub legacy_failures: u64,
}

/// A time window to shade: a finding's, numbered as in the findings table.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Drawn above the plot as `F3`; windows too close to label apart share one label, such
    /// as `F3–F6`.
    pub number: usize,
    /// The tooltip.
    pub title: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// A CSS colour for the shading and the label.
    pub colour: &'static str,
    /// How much the mark matters: a shared label takes the colour of the weightiest.
    pub weight: u8,
}

/// One label above the plot, for one or more marks.
#[derive(Debug, PartialEq)]
struct Label {
    text: String,
    title: String,
    colour: &'static str,
    left: f64,
    row: usize,
}

/// A chart of `bars`, each `bucket_ms` wide and called `bucket_name` (`hour`, `5 minutes`).
pub struct Chart<'a> {
    pub bars: &'a [Bar],
    pub bucket_ms: i64,
    pub bucket_name: &'a str,
    pub marks: &'a [Mark],
}

const WIDTH: f64 = 1000.0;
const PLOT_LEFT: f64 = 56.0;
const PLOT_RIGHT: f64 = WIDTH - 16.0;
const PLOT_HEIGHT: f64 = 220.0;
/// Rows of mark labels above the plot; labels that fit in none overlap in the last.
const MARK_ROWS: usize = 3;
/// Marks whose windows start closer than this (in chart units) share a label.
const LABEL_GROUPING: f64 = 24.0;
const MARK_ROW_HEIGHT: f64 = 18.0;
/// Space under the plot: two lines of tick labels, the axis caption and the legend.
const BELOW_PLOT: f64 = 84.0;

const FAILURE_COLOUR: &str = "#e8590c";
const DENIED_COLOUR: &str = "#5f3dc4";
const HATCH_COLOUR: &str = "#111111";
const AXIS_COLOUR: &str = "#495057";
const GRID_COLOUR: &str = "#dee2e6";
const FONT: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

/// Tick intervals the time axis chooses from, in minutes.
const TICK_MINUTES: [i64; 15] = [
    1,
    5,
    10,
    15,
    30,
    60,
    120,
    180,
    360,
    720,
    1440,
    2 * 1440,
    7 * 1440,
    14 * 1440,
    28 * 1440,
];
/// Most labelled ticks on the time axis.
const MAX_TICKS: i64 = 9;

impl Chart<'_> {
    /// A standalone SVG document (also valid inline in HTML), ending in a newline.
    pub fn render(&self) -> String {
        let labels = self.labels();
        let rows_used = labels.iter().map(|label| label.row + 1).max().unwrap_or(0);
        let plot_top = 12.0 + rows_used as f64 * MARK_ROW_HEIGHT;
        let plot_bottom = plot_top + PLOT_HEIGHT;
        let height = plot_bottom + BELOW_PLOT;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
             width=\"{WIDTH}\" height=\"{height}\" role=\"img\" font-family=\"{}\" \
             font-size=\"11\" class=\"chart\">",
            escape(FONT)
        );
        let _ = writeln!(
            svg,
            "<title>Failures and denials per {} (UTC)</title>",
            escape(self.bucket_name)
        );
        let _ = writeln!(
            svg,
            "<defs><pattern id=\"legacy-hatch\" patternUnits=\"userSpaceOnUse\" width=\"5\" \
             height=\"5\" patternTransform=\"rotate(45)\"><rect width=\"2\" height=\"5\" \
             fill=\"{HATCH_COLOUR}\" fill-opacity=\"0.6\"/></pattern></defs>"
        );
        let _ = writeln!(
            svg,
            "<rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>"
        );
        let (Some(first), Some(last)) = (self.bars.first(), self.bars.last()) else {
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{AXIS_COLOUR}\" \
                 font-size=\"14\">No failures or denials</text>\n</svg>",
                WIDTH / 2.0,
                plot_top + PLOT_HEIGHT / 2.0
            );
            return svg;
        };
        let span = (first.start, Timestamp(last.start.0 + self.bucket_ms));
        let x = |t: Timestamp| -> f64 {
            let fraction = (t.0 - span.0.0) as f64 / (span.1.0 - span.0.0).max(1) as f64;
            PLOT_LEFT + fraction.clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT)
        };
        let busiest = self
            .bars
            .iter()
            .map(|b| b.failures + b.denied)
            .max()
            .unwrap_or(0);
        let (step, top) = value_axis(busiest);
        let y = |value: u64| -> f64 { plot_bottom - value as f64 / top as f64 * PLOT_HEIGHT };

        // Value grid and labels.
        for value in (0..=top).step_by(usize::try_from(step).unwrap_or(usize::MAX)) {
            let _ = writeln!(
                svg,
                "<line x1=\"{PLOT_LEFT}\" x2=\"{PLOT_RIGHT}\" y1=\"{0:.1}\" y2=\"{0:.1}\" \
                 stroke=\"{GRID_COLOUR}\"/><text x=\"{1}\" y=\"{2:.1}\" text-anchor=\"end\" \
                 fill=\"{AXIS_COLOUR}\">{value}</text>",
                y(value),
                PLOT_LEFT - 6.0,
                y(value) + 4.0
            );
        }
        let _ = writeln!(
            svg,
            "<text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\" \
             fill=\"{AXIS_COLOUR}\">failures + denials per {}</text>",
            plot_top + PLOT_HEIGHT / 2.0,
            escape(self.bucket_name)
        );

        // Detection windows, behind the bars.
        for mark in self.marks {
            let left = x(mark.start);
            let width = (x(mark.end) - left).max(2.0);
            let _ = writeln!(
                svg,
                "<rect x=\"{left:.1}\" y=\"{plot_top:.1}\" width=\"{width:.1}\" \
                 height=\"{PLOT_HEIGHT}\" fill=\"{0}\" fill-opacity=\"0.12\" stroke=\"{0}\" \
                 stroke-width=\"1\" stroke-dasharray=\"3 2\"><title>{1}</title></rect>",
                mark.colour,
                escape(&mark.title)
            );
        }

        // Bars.
        let slot = (PLOT_RIGHT - PLOT_LEFT) / self.bars.len() as f64;
        let bar_width = if slot >= 4.0 { slot * 0.8 } else { slot };
        for (i, bar) in self.bars.iter().enumerate() {
            let total = bar.failures + bar.denied;
            if total == 0 {
                continue;
            }
            let left = PLOT_LEFT + i as f64 * slot + (slot - bar_width) / 2.0;
            let _ = write!(
                svg,
                "<g><title>{} UTC: {}</title>",
                time_label(bar.start),
                escape(&bar_text(bar))
            );
            for (from, to, fill) in [
                (0, bar.failures, FAILURE_COLOUR),
                (bar.failures, total, DENIED_COLOUR),
                (0, bar.legacy_failures.min(total), "url(#legacy-hatch)"),
            ] {
                if to > from {
                    let _ = write!(
                        svg,
                        "<rect x=\"{left:.1}\" y=\"{:.1}\" width=\"{bar_width:.1}\" \
                         height=\"{:.1}\" fill=\"{fill}\"/>",
                        y(to),
                        y(from) - y(to)
                    );
                }
            }
            svg.push_str("</g>\n");
        }

        // Time axis.
        let _ = writeln!(
            svg,
            "<line x1=\"{PLOT_LEFT}\" x2=\"{PLOT_RIGHT}\" y1=\"{plot_bottom:.1}\" \
             y2=\"{plot_bottom:.1}\" stroke=\"{AXIS_COLOUR}\"/>"
        );
        let mut previous_date = String::new();
        for tick in time_ticks(span) {
            let text = tick.to_string();
            let (date, hour_minute) = (&text[..10], &text[11..16]);
            let at = x(tick);
            let _ = write!(
                svg,
                "<line x1=\"{at:.1}\" x2=\"{at:.1}\" y1=\"{plot_bottom:.1}\" y2=\"{:.1}\" \
                 stroke=\"{AXIS_COLOUR}\"/><text x=\"{at:.1}\" y=\"{:.1}\" \
                 text-anchor=\"middle\" fill=\"{AXIS_COLOUR}\">{hour_minute}</text>",
                plot_bottom + 4.0,
                plot_bottom + 16.0
            );
            if date != previous_date {
                // A date is about 62 units wide: near the right edge it ends at the tick.
                let anchor = if at + 34.0 > WIDTH { "end" } else { "middle" };
                let _ = write!(
                    svg,
                    "<text x=\"{at:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" \
                     fill=\"{AXIS_COLOUR}\" font-weight=\"600\">{date}</text>",
                    plot_bottom + 29.0
                );
                previous_date = date.to_string();
            }
            svg.push('\n');
        }
        let _ = writeln!(
            svg,
            "<text x=\"{PLOT_RIGHT}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{AXIS_COLOUR}\">\
             time in UTC, one bar per {}</text>",
            plot_bottom + 46.0,
            escape(self.bucket_name)
        );
        self.legend(&mut svg, plot_bottom + 70.0);

        // Window labels, on top of everything.
        for label in &labels {
            let top = 6.0 + label.row as f64 * MARK_ROW_HEIGHT;
            let width = label_width(&label.text);
            let _ = writeln!(
                svg,
                "<g><title>{title}</title><line x1=\"{left:.1}\" x2=\"{left:.1}\" \
                 y1=\"{0:.1}\" y2=\"{plot_top:.1}\" stroke=\"{colour}\"/><rect x=\"{left:.1}\" \
                 y=\"{top:.1}\" width=\"{width:.1}\" height=\"14\" rx=\"3\" fill=\"{colour}\"/>\
                 <text x=\"{1:.1}\" y=\"{2:.1}\" text-anchor=\"middle\" fill=\"#ffffff\" \
                 font-weight=\"700\">{text}</text></g>",
                top + 14.0,
                label.left + width / 2.0,
                top + 11.0,
                left = label.left,
                title = escape(&label.title),
                colour = label.colour,
                text = escape(&label.text),
            );
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// The labels above the plot: marks, in order of start, grouped while they start within
    /// [`LABEL_GROUPING`] of the group's first; each group in the first row where it clears
    /// the label before it.
    fn labels(&self) -> Vec<Label> {
        let (Some(first), Some(last)) = (self.bars.first(), self.bars.last()) else {
            return Vec::new();
        };
        let span = (first.start.0, last.start.0 + self.bucket_ms);
        let x = |t: Timestamp| {
            let fraction = (t.0 - span.0) as f64 / (span.1 - span.0).max(1) as f64;
            PLOT_LEFT + fraction.clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT)
        };
        let mut marks: Vec<&Mark> = self.marks.iter().collect();
        marks.sort_by_key(|mark| (mark.start, mark.number));
        let mut groups: Vec<Vec<&Mark>> = Vec::new();
        for mark in marks {
            match groups.last_mut() {
                Some(group) if x(mark.start) - x(group[0].start) < LABEL_GROUPING => {
                    group.push(mark)
                }
                _ => groups.push(vec![mark]),
            }
        }
        let mut row_ends = [f64::MIN; MARK_ROWS];
        groups
            .into_iter()
            .map(|group| {
                let text = numbers_text(group.iter().map(|mark| mark.number));
                let width = label_width(&text);
                let left = x(group[0].start).min(PLOT_RIGHT - width);
                let row = row_ends
                    .iter()
                    .position(|end| left >= end + 3.0)
                    .unwrap_or(MARK_ROWS - 1);
                row_ends[row] = left + width;
                let weightiest = group.iter().max_by_key(|mark| mark.weight);
                Label {
                    title: group
                        .iter()
                        .map(|mark| mark.title.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                    colour: weightiest.map_or(AXIS_COLOUR, |mark| mark.colour),
                    text,
                    left,
                    row,
                }
            })
            .collect()
    }

    fn legend(&self, svg: &mut String, baseline: f64) {
        let mut entries = vec![
            (FAILURE_COLOUR, "failures"),
            (DENIED_COLOUR, "denials"),
            ("url(#legacy-hatch)", "of which basic auth (legacy)"),
        ];
        if !self.marks.is_empty() {
            entries.push(("#adb5bd", "detection window (numbered as in the findings)"));
        }
        let mut left = PLOT_LEFT;
        for (fill, text) in entries {
            let _ = writeln!(
                svg,
                "<rect x=\"{left:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{fill}\" \
                 stroke=\"{AXIS_COLOUR}\" stroke-width=\"0.5\"/><text x=\"{:.1}\" y=\"{baseline:.1}\" \
                 fill=\"#212529\">{text}</text>",
                baseline - 10.0,
                left + 17.0
            );
            left += 17.0 + text.len() as f64 * 6.2 + 22.0;
        }
    }
}

/// A small bar chart of `values` for a table cell, scaled to its own peak: one unit of width
/// per value, stretched to the cell; `title` is its tooltip.
pub fn sparkline(values: &[u64], title: &str) -> String {
    let peak = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut svg = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {} {SPARK_HEIGHT}\" preserveAspectRatio=\"none\" \
         role=\"img\"><title>{}</title><rect y=\"{}\" width=\"{0}\" height=\"0.5\" \
         fill=\"{AXIS_COLOUR}\"/>",
        values.len().max(1),
        escape(title),
        SPARK_HEIGHT - 0.5,
    );
    for (i, value) in values.iter().enumerate().filter(|(_, v)| **v > 0) {
        let height = (*value as f64 / peak * SPARK_HEIGHT).max(1.5);
        let _ = write!(
            svg,
            "<rect x=\"{i}\" y=\"{:.1}\" width=\"1\" height=\"{height:.1}\" \
             fill=\"{FAILURE_COLOUR}\"/>",
            SPARK_HEIGHT - height
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Height of a sparkline in its own units.
const SPARK_HEIGHT: f64 = 20.0;

/// The step between value labels and the top of the value axis, for a busiest bar of `max`:
/// a step of 1, 2 or 5 times a power of ten, four or five of them.
fn value_axis(max: u64) -> (u64, u64) {
    let mut step = 1;
    'search: for power in 0..19 {
        for factor in [1, 2, 5] {
            step = factor * 10u64.pow(power);
            if step.saturating_mul(4) >= max {
                break 'search;
            }
        }
    }
    (step, max.div_ceil(step).max(1).saturating_mul(step))
}

/// Instants within `span` at multiples of the smallest interval that gives at most
/// [`MAX_TICKS`] of them (about as many on spans longer than [`TICK_MINUTES`] foresees).
fn time_ticks((start, end): (Timestamp, Timestamp)) -> Vec<Timestamp> {
    let length = end.0 - start.0;
    let interval = TICK_MINUTES
        .iter()
        .map(|minutes| minutes * 60_000)
        .find(|interval| length / interval <= MAX_TICKS)
        .unwrap_or_else(|| {
            // Longer than years: whole days, as many as it takes.
            let day = 86_400_000;
            (length / MAX_TICKS / day + 1) * day
        });
    let mut ticks = Vec::new();
    let mut tick = Timestamp(start.0.div_euclid(interval) * interval);
    if tick < start {
        tick = Timestamp(tick.0 + interval);
    }
    while tick <= end {
        ticks.push(tick);
        tick = Timestamp(tick.0 + interval);
    }
    ticks
}

/// `2024-05-02 02:00`.
fn time_label(t: Timestamp) -> String {
    let text = t.to_string();
    format!("{} {}", &text[..10], &text[11..16])
}

fn bar_text(bar: &Bar) -> String {
    let mut parts = vec![count(bar.failures, "failure"), count(bar.denied, "denial")];
    if bar.legacy_failures > 0 {
        parts.push(format!("{} through basic auth", bar.legacy_failures));
    }
    parts.join(", ")
}

/// `F3`, `F3–F6` for a run of numbers, `F3, F5` otherwise.
fn numbers_text(numbers: impl Iterator<Item = usize>) -> String {
    let mut numbers: Vec<usize> = numbers.collect();
    numbers.sort_unstable();
    numbers.dedup();
    match numbers.as_slice() {
        [] => String::new(),
        [only] => format!("F{only}"),
        [first, .., last] if last - first + 1 == numbers.len() => format!("F{first}–F{last}"),
        _ => numbers
            .iter()
            .map(|n| format!("F{n}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `1 failure`, `3 failures`.
fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn label_width(label: &str) -> f64 {
    label.chars().count() as f64 * 7.0 + 8.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_axis_steps_are_round() {
        assert_eq!(value_axis(0), (1, 1));
        assert_eq!(value_axis(3), (1, 3));
        assert_eq!(value_axis(46), (20, 60));
        assert_eq!(value_axis(100), (50, 100));
        assert_eq!(value_axis(1234), (500, 1500));
        assert_eq!(value_axis(u64::MAX).0, 5_000_000_000_000_000_000);
    }

    #[test]
    fn time_ticks_fall_on_round_utc_times() {
        let day = 86_400_000;
        let start = Timestamp::parse("2024-05-01T00:00:00Z").unwrap_or(Timestamp(0));
        let ticks = time_ticks((start, Timestamp(start.0 + 4 * day)));
        let texts: Vec<String> = ticks.iter().map(|t| time_label(*t)).collect();
        assert_eq!(
            texts,
            [
                "2024-05-01 00:00",
                "2024-05-01 12:00",
                "2024-05-02 00:00",
                "2024-05-02 12:00",
                "2024-05-03 00:00",
                "2024-05-03 12:00",
                "2024-05-04 00:00",
                "2024-05-04 12:00",
                "2024-05-05 00:00"
            ]
        );
        let short = time_ticks((Timestamp(start.0 + 90_000), Timestamp(start.0 + 1_500_000)));
        assert_eq!(
            short.iter().map(|t| time_label(*t)).collect::<Vec<_>>(),
            [
                "2024-05-01 00:05",
                "2024-05-01 00:10",
                "2024-05-01 00:15",
                "2024-05-01 00:20",
                "2024-05-01 00:25"
            ]
        );
    }

    #[test]
    fn close_windows_share_a_label_and_labels_that_collide_take_another_row() {
        let bars: Vec<Bar> = (0..100)
            .map(|i| Bar {
                start: Timestamp(i * 60_000),
                failures: 1,
                denied: 0,
                legacy_failures: 0,
            })
            .collect();
        let mark = |number: usize, minute: i64, weight: u8| Mark {
            number,
            title: format!("finding {number}"),
            start: Timestamp(minute * 60_000),
            end: Timestamp(minute * 60_000),
            colour: if weight > 1 { "red" } else { "grey" },
            weight,
        };
        // A minute is 9.28 units wide: F1 and F2 share a label, F3 collides with it, F4 and
        // F6 share one far off.
        let marks = [
            mark(2, 1, 2),
            mark(1, 0, 1),
            mark(3, 4, 1),
            mark(4, 30, 1),
            mark(6, 31, 1),
        ];
        let chart = Chart {
            bars: &bars,
            bucket_ms: 60_000,
            bucket_name: "minute",
            marks: &marks,
        };
        let labels: Vec<(String, usize, &str)> = chart
            .labels()
            .into_iter()
            .map(|label| (label.text, label.row, label.colour))
            .collect();
        assert_eq!(
            labels,
            [
                ("F1–F2".to_string(), 0, "red"),
                ("F3".to_string(), 1, "grey"),
                ("F4, F6".to_string(), 0, "grey"),
            ]
        );
    }
}
