//! `authsift summary`: what was read, file by file, and the overall picture.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::aggregate::summary::{Legacy, Summary};
use crate::classify::LEGACY_DEFINITION;
use crate::cli::Common;
use crate::commands::{Global, exit_code, read, time_text};
use crate::error::Error;
use crate::pipeline::FileReport;
use crate::report::csv::{self, Cell};
use crate::report::table::{Align, Table, keep_tail, printable};
use crate::report::{Format, Output};
use crate::time::Timestamp;

/// What was read: per file and overall.
///
/// Per input file: detected shape, size, events, skipped records with reasons, duplicates, first
/// and last event, SHA-256 (of the file as stored, compressed or not). Overall: events, counts
/// per outcome, top event types, legacy (basic-auth) events, distinct users and IPs.
///
/// Per-file figures cover the whole file; the overall figures honour --since/--until and
/// --filter (outside_range and filtered_out count what each left out).
///
/// JSON: {"files":[{"path","shape","bytes","events","duplicates","outside_range","filtered_out","skipped":{reason:N},
/// "first","last","sha256","error"}],"overall":{"events","first","last","outcomes":{result:N},
/// "top_event_types":[{"event_type","events"}],"legacy":{"events","successes","failures"},"users","ips"}}
#[derive(Debug, Args)]
#[command(after_long_help = LEGACY_DEFINITION)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub common: Common,

    /// How many event types to list, most frequent first.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
}

#[derive(Serialize)]
struct Overall {
    events: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    outcomes: BTreeMap<String, u64>,
    top_event_types: Vec<EventTypeRow>,
    legacy: Legacy,
    users: usize,
    ips: usize,
}

#[derive(Serialize)]
struct EventTypeRow {
    event_type: String,
    events: u64,
}

/// The name of events without `outcome.result` in the outcome counts.
const NO_OUTCOME: &str = "(none)";

pub fn run(args: &SummaryArgs, global: Global) -> Result<ExitCode, Error> {
    let format = args.common.format()?;
    let mut output = Output::open(args.common.output.as_ref(), &args.common.paths)?;
    let run = read(&args.common, global, true, Summary::default)?;
    let summary = run.aggregate;
    let legacy = summary.legacy();
    let mut event_types: Vec<EventTypeRow> = summary
        .event_types
        .into_iter()
        .map(|(event_type, events)| EventTypeRow { event_type, events })
        .collect();
    event_types.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then_with(|| a.event_type.cmp(&b.event_type))
    });
    event_types.truncate(args.top);
    // An event whose outcome.result is literally "(none)" falls under the same name as those
    // without one: the two counts add up rather than one replacing the other.
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    for (name, events) in summary.outcomes {
        let name = if name.is_empty() {
            NO_OUTCOME.to_string()
        } else {
            name
        };
        *outcomes.entry(name).or_insert(0) += events;
    }
    let overall = Overall {
        events: summary.events,
        first: summary.range.map(|r| r.0),
        last: summary.range.map(|r| r.1),
        outcomes,
        top_event_types: event_types,
        legacy,
        users: summary.users.len(),
        ips: summary.ips.len(),
    };
    let files = &run.files;
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Document<'a> {
                files: &'a [FileReport],
                overall: &'a Overall,
            }
            output.json(&Document {
                files,
                overall: &overall,
            })?;
        }
        Format::Ndjson => {
            #[derive(Serialize)]
            #[serde(rename_all = "lowercase")]
            enum Line<'a> {
                File(&'a FileReport),
                Overall(&'a Overall),
            }
            output.ndjson(
                files
                    .iter()
                    .map(Line::File)
                    .chain([Line::Overall(&overall)]),
            )?;
        }
        Format::Csv => csv::write(
            &mut output,
            &[
                "path",
                "shape",
                "bytes",
                "events",
                "duplicates",
                "outside_range",
                "filtered_out",
                "skipped",
                "first",
                "last",
                "sha256",
                "error",
            ],
            files.iter().map(|f| {
                vec![
                    Cell::text(&f.name),
                    Cell::text(f.shape.as_deref().unwrap_or_default()),
                    Cell::number(f.bytes),
                    Cell::number(f.events),
                    Cell::number(f.duplicates),
                    Cell::number(f.outside_range),
                    Cell::number(f.filtered_out),
                    Cell::number(f.skipped.values().sum::<u64>()),
                    Cell::text(time_text(f.first)),
                    Cell::text(time_text(f.last)),
                    Cell::text(f.sha256.as_deref().unwrap_or_default()),
                    Cell::text(f.error.as_deref().unwrap_or_default()),
                ]
            }),
        )?,
        Format::Table => output.text(&render_table(files, &overall))?,
    }
    output.finish()?;
    Ok(exit_code(&run.files))
}

/// Widest file name shown in the table; longer paths keep their end.
const FILE_WIDTH: usize = 48;

fn render_table(files: &[FileReport], overall: &Overall) -> String {
    let mut table = Table::new(&[
        ("FILE", Align::Left, FILE_WIDTH),
        ("SHAPE", Align::Left, 16),
        ("BYTES", Align::Right, 20),
        ("EVENTS", Align::Right, 20),
        ("SKIPPED", Align::Right, 20),
        ("DUPLICATES", Align::Right, 20),
        ("FIRST", Align::Left, 24),
        ("LAST", Align::Left, 24),
        ("SHA-256", Align::Left, 64),
    ]);
    for f in files {
        table.row(vec![
            keep_tail(&printable(&f.name), FILE_WIDTH),
            f.shape.as_deref().unwrap_or("error").to_string(),
            f.bytes.to_string(),
            f.events.to_string(),
            f.skipped.values().sum::<u64>().to_string(),
            f.duplicates.to_string(),
            time_text(f.first),
            time_text(f.last),
            f.sha256.clone().unwrap_or_default(),
        ]);
    }
    let mut out = table.render();
    let mut outcomes: Vec<(&String, &u64)> = overall.outcomes.iter().collect();
    outcomes.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let outcomes: Vec<String> = outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let range = match (overall.first, overall.last) {
        (Some(first), Some(last)) => format!(" ({first} .. {last})"),
        _ => String::new(),
    };
    out.push('\n');
    out.push_str(&format!("Events          {}{range}\n", overall.events));
    out.push_str(&format!("Outcomes        {}\n", outcomes.join(", ")));
    out.push_str(&format!(
        "Legacy events   {} (successes {}, failures {})\n",
        overall.legacy.events, overall.legacy.successes, overall.legacy.failures
    ));
    out.push_str(&format!("Distinct users  {}\n", overall.users));
    out.push_str(&format!("Distinct IPs    {}\n", overall.ips));
    if !overall.top_event_types.is_empty() {
        out.push('\n');
        let mut types = Table::new(&[
            ("EVENT TYPE", Align::Left, 64),
            ("EVENTS", Align::Right, 20),
        ]);
        for row in &overall.top_event_types {
            types.row(vec![row.event_type.clone(), row.events.to_string()]);
        }
        out.push_str(&types.render());
    }
    out
}
