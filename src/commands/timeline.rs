//! `authsift timeline`: failures and denials over time.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::aggregate::timeline::{GroupBy, Timeline, TimelineConfig, TimelineRow};
use crate::classify::LEGACY_DEFINITION;
use crate::cli::Common;
use crate::commands::{Global, exit_code, read};
use crate::error::Error;
use crate::report::csv::{self, Cell};
use crate::report::svg::{Bar, Chart};
use crate::report::table::{Align, Table};
use crate::report::{Format, FormatName, Output};

/// When failures spiked: failures and denials per UTC time bucket.
///
/// Failures are events with outcome.result FAILURE, denials those with DENY.
/// Without --by, every bucket from the first to the last one holding a failure or denial is
/// listed, zeros included (at most 1,000,000 rows: a longer span is an error). users and ips
/// count the distinct actor.alternateId (lower case) and client.ipAddress among the bucket's
/// failures and denials; legacy_failures counts those that are legacy (basic) authentication. With --by, each row is one bucket and key, and only
/// non-empty rows are listed, the busiest key first within a bucket.
///
/// JSON: {"bucket":"hour","rows":[{"start","failures","denied","legacy_failures","users","ips"}]}
/// (with --by, "by" names the grouping and each row has "key").
///
/// --format svg (or -o FILE.svg) draws the rows as a bar chart instead, the one `authsift
/// report` shows: failures and denials stacked, the basic-auth part hatched (not with --by).
#[derive(Debug, Args)]
#[command(after_long_help = LEGACY_DEFINITION)]
pub struct TimelineArgs {
    #[command(flatten)]
    pub common: Common,

    /// Bucket width.
    #[arg(long, value_enum, default_value_t = Bucket::Hour)]
    pub bucket: Bucket,

    /// Count only legacy (basic-auth) events.
    #[arg(long)]
    pub legacy_only: bool,

    /// One row per bucket and value of this field.
    #[arg(long, value_enum)]
    pub by: Option<GroupBy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Minute,
    Hour,
    Day,
}

/// Most rows a timeline without `--by` lists. Every bucket between the first and the last
/// failure is a row, so one event stamped 1970 (a pipeline's zero time) beside this year's
/// would otherwise fill memory with 28 million empty minutes.
const MAX_FILLED_ROWS: u64 = 1_000_000;

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::Minute => "minute",
            Bucket::Hour => "hour",
            Bucket::Day => "day",
        }
    }

    fn millis(self) -> i64 {
        match self {
            Bucket::Minute => 60_000,
            Bucket::Hour => 3_600_000,
            Bucket::Day => 86_400_000,
        }
    }
}

#[derive(Serialize)]
struct Document<'a> {
    bucket: Bucket,
    #[serde(skip_serializing_if = "Option::is_none")]
    by: Option<&'a str>,
    rows: &'a [TimelineRow],
}

fn by_name(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Reason => "reason",
        GroupBy::EventType => "event-type",
        GroupBy::Ip => "ip",
        GroupBy::User => "user",
    }
}

pub fn run(args: &TimelineArgs, global: Global) -> Result<ExitCode, Error> {
    // `None`: the SVG chart.
    let format = if args.common.format_name() == Some(FormatName::Svg) {
        if args.by.is_some() {
            return Err(Error::Usage(
                "--format svg charts the overall timeline and takes no --by".into(),
            ));
        }
        None
    } else {
        Some(args.common.format()?)
    };
    let config = TimelineConfig {
        bucket_ms: args.bucket.millis(),
        legacy_only: args.legacy_only,
        by: args.by,
    };
    let mut output = Output::open(args.common.output.as_ref(), &args.common.paths)?;
    let run = read(&args.common, global, false, || Timeline::new(config))?;
    if let Some((first, last, rows)) = run.aggregate.filled_span()
        && rows > MAX_FILLED_ROWS
    {
        return Err(Error::Usage(format!(
            "the timeline from {first} to {last} would list {rows} {} buckets (at most \
             {MAX_FILLED_ROWS}): narrow it with --since and --until, take a wider --bucket, or \
             list only the busy ones with --by",
            args.bucket.name()
        )));
    }
    let rows = run.aggregate.rows();
    let by = args.by.map(by_name);
    match format {
        None => output.text(&render_chart(&rows, args.bucket))?,
        Some(Format::Json) => output.json(&Document {
            bucket: args.bucket,
            by,
            rows: &rows,
        })?,
        Some(Format::Ndjson) => output.ndjson(&rows)?,
        Some(Format::Csv) => {
            let mut header = vec!["start"];
            header.extend(by.map(|_| "key"));
            header.extend(["failures", "denied", "legacy_failures", "users", "ips"]);
            csv::write(
                &mut output,
                &header,
                rows.iter().map(|r| {
                    let mut cells = vec![Cell::text(r.start.to_string())];
                    cells.extend(r.key.as_ref().map(Cell::text));
                    cells.extend([
                        Cell::number(r.failures),
                        Cell::number(r.denied),
                        Cell::number(r.legacy_failures),
                        Cell::number(r.users),
                        Cell::number(r.ips),
                    ]);
                    cells
                }),
            )?
        }
        Some(Format::Table) => output.text(&render_table(&rows, by))?,
    }
    output.finish()?;
    Ok(exit_code(&run.files))
}

fn render_chart(rows: &[TimelineRow], bucket: Bucket) -> String {
    let bars: Vec<Bar> = rows
        .iter()
        .map(|r| Bar {
            start: r.start,
            failures: r.failures,
            denied: r.denied,
            legacy_failures: r.legacy_failures,
        })
        .collect();
    Chart {
        bars: &bars,
        bucket_ms: bucket.millis(),
        bucket_name: bucket.name(),
        marks: &[],
    }
    .render()
}

/// Widest bar, in characters, drawn for the busiest row.
const BAR_WIDTH: u64 = 40;

fn render_table(rows: &[TimelineRow], by: Option<&str>) -> String {
    let key_header = by.map(str::to_uppercase).unwrap_or_default();
    let mut columns = vec![("START", Align::Left, 24)];
    if by.is_some() {
        columns.push((key_header.as_str(), Align::Left, 48));
    }
    columns.extend([
        ("FAILURES", Align::Right, 20),
        ("DENIED", Align::Right, 20),
        ("LEGACY", Align::Right, 20),
        ("USERS", Align::Right, 20),
        ("IPS", Align::Right, 20),
        ("", Align::Left, BAR_WIDTH as usize),
    ]);
    let mut table = Table::new(&columns);
    let busiest = rows
        .iter()
        .map(|r| r.failures + r.denied)
        .max()
        .unwrap_or(0)
        .max(1);
    for row in rows {
        let total = row.failures + row.denied;
        let bar_len = (total * BAR_WIDTH).div_ceil(busiest);
        let mut cells = vec![row.start.to_string()];
        if let Some(key) = &row.key {
            cells.push(if key.is_empty() {
                "(none)".into()
            } else {
                key.clone()
            });
        }
        cells.extend([
            row.failures.to_string(),
            row.denied.to_string(),
            row.legacy_failures.to_string(),
            row.users.to_string(),
            row.ips.to_string(),
            "█".repeat(bar_len as usize),
        ]);
        table.row(cells);
    }
    if rows.is_empty() {
        return "no failures or denials\n".into();
    }
    table.render()
}
