//! `authsift search`: the events matching an Okta System Log filter expression.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::aggregate::search::{Fields, Projection, Search, WholeEvents};
use crate::cli::Common;
use crate::commands::{Global, exit_code, read};
use crate::error::Error;
use crate::filter::{Attribute, ValueType};
use crate::report::csv::{self, Cell};
use crate::report::table::{Align, Table};
use crate::report::{Format, Output};

/// Find events with Okta's System Log filter language.
///
/// Prints the events matching --filter, in input order, each once (duplicates across exports
/// are left out), within --since/--until. Paste expressions from Okta's hunting guides:
///
/// authsift search --filter 'eventType eq "user.session.start" and outcome.result eq "FAILURE"
/// and debugContext.debugData.requestUri co "/sso/wsfed/active"' exports/
///
/// Table and CSV show the --fields columns; JSON and NDJSON show whole normalised events, or
/// objects with the --fields keys when --fields is given. A target.* field lists every target's
/// value ("; " between them in table and CSV, an array in JSON).
///
/// JSON: {"events":[{...}]}; NDJSON: one event per line.
#[derive(Debug, Args)]
#[command(
    after_long_help = FILTER_LANGUAGE,
    mut_arg("filter", |arg| arg.required(true))
)]
pub struct SearchArgs {
    #[command(flatten)]
    pub common: Common,

    /// Attributes to show, comma-separated, as the filter language names them [default for
    /// table and csv: published, eventType, outcome.result, outcome.reason, actor.alternateId,
    /// client.ipAddress, client.userAgent.rawUserAgent, debugContext.debugData.requestUri; for
    /// json and ndjson: the whole event].
    #[arg(long, value_delimiter = ',', value_name = "PATHS")]
    pub fields: Vec<String>,

    /// Show only the first N matching events.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

/// The filter language, for `--help`.
pub const FILTER_LANGUAGE: &str = "\
Filter language (Okta's System Log `filter`, evaluated offline):
  ATTRIBUTE OP VALUE   OP: eq ne sw (starts with) co (contains) ew (ends with) gt ge lt le
  ATTRIBUTE pr         present: has a value
  a and b   a or b   not a   ( ... )      not binds tighter than and, and tighter than or
Values: \"strings\" (JSON escapes), numbers (-12.5), true, false; published takes a \"time\"
(RFC 3339 or YYYY-MM-DD) and compares as an instant.
Operators, keywords and attribute paths ignore case; string values do not (as in Okta).
A missing attribute matches only ne and not pr. target.* matches when any target does.
Attributes: uuid published eventType legacyEventType displayMessage severity
  outcome.result outcome.reason actor.id actor.type actor.alternateId actor.displayName
  client.ipAddress client.userAgent.rawUserAgent client.userAgent.os client.userAgent.browser
  client.zone client.device client.geographicalContext.city .state .country .postalCode
  client.geographicalContext.geolocation.lat .lon (numbers)
  securityContext.asNumber (number) .asOrg .isp .domain .isProxy (true/false)
  debugContext.debugData.KEY (any key, e.g. requestUri, threatSuspected)
  authenticationContext.externalSessionId transaction.id
  target.id target.type target.alternateId target.displayName";

/// Columns of the table and CSV when --fields is not given.
const DEFAULT_FIELDS: [&str; 8] = [
    "published",
    "eventType",
    "outcome.result",
    "outcome.reason",
    "actor.alternateId",
    "client.ipAddress",
    "client.userAgent.rawUserAgent",
    "debugContext.debugData.requestUri",
];

/// Widest a table cell is shown.
const CELL_WIDTH: usize = 60;

pub fn run(args: &SearchArgs, global: Global) -> Result<ExitCode, Error> {
    let format = args.common.format()?;
    let chosen = args
        .fields
        .iter()
        .map(|path| {
            Attribute::parse(path.trim())
                .ok_or_else(|| Error::Usage(format!("unknown attribute {path:?} in --fields")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let limit = args.limit.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let mut output = Output::open(args.common.output.as_ref(), &args.common.paths)?;
    let whole_events = chosen.is_empty() && matches!(format, Format::Json | Format::Ndjson);
    let (files, matched, shown) = if whole_events {
        let run = read(&args.common, global, false, || {
            Search::new(&WholeEvents, limit)
        })?;
        let events = &run.aggregate.rows;
        if format == Format::Json {
            output.json(&Document { events })?;
        } else {
            output.ndjson(events)?;
        }
        (run.files, run.aggregate.matched, events.len())
    } else {
        let fields = Fields(if chosen.is_empty() {
            DEFAULT_FIELDS
                .iter()
                .filter_map(|p| Attribute::parse(p))
                .collect()
        } else {
            chosen
        });
        let run = read(&args.common, global, false, || Search::new(&fields, limit))?;
        let rows = &run.aggregate.rows;
        write_fields(&mut output, format, &fields.0, rows)?;
        (run.files, run.aggregate.matched, rows.len())
    };
    output.finish()?;
    if !global.quiet && (shown as u64) < matched {
        eprintln!(
            "authsift: note: showing the first {shown} of {matched} matching events (--limit)"
        );
    }
    Ok(exit_code(&files))
}

#[derive(Serialize)]
struct Document<'a, T> {
    events: &'a [T],
}

/// One event's fields as a JSON object, keys in --fields order.
struct Record<'a> {
    attributes: &'a [Attribute],
    values: &'a [serde_json::Value],
}

impl Serialize for Record<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.attributes.len()))?;
        for (attribute, value) in self.attributes.iter().zip(self.values) {
            map.serialize_entry(attribute.path(), value)?;
        }
        map.end()
    }
}

fn write_fields(
    output: &mut Output,
    format: Format,
    attributes: &[Attribute],
    rows: &[<Fields as Projection>::Row],
) -> Result<(), Error> {
    let records = rows.iter().map(|values| Record { attributes, values });
    match format {
        Format::Json => output.json(&Document {
            events: &records.collect::<Vec<_>>(),
        }),
        Format::Ndjson => output.ndjson(records),
        Format::Csv => {
            let header: Vec<&str> = attributes.iter().map(Attribute::path).collect();
            csv::write(
                output,
                &header,
                rows.iter()
                    .map(|values| values.iter().map(csv_cell).collect()),
            )
        }
        Format::Table => output.text(&render_table(attributes, rows)),
    }
}

/// A field as text: absent is empty, several targets' values are joined with "; ".
fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(values) => {
            let parts: Vec<String> = values.iter().map(text).collect();
            parts.join("; ")
        }
        other => other.to_string(),
    }
}

fn csv_cell(value: &serde_json::Value) -> Cell {
    match value {
        serde_json::Value::Number(number) => Cell::number(number),
        other => Cell::text(text(other)),
    }
}

fn render_table(attributes: &[Attribute], rows: &[Vec<serde_json::Value>]) -> String {
    if rows.is_empty() {
        return "no matching events\n".into();
    }
    let columns: Vec<(&str, Align, usize)> = attributes
        .iter()
        .map(|a| {
            let align = match a.value_type() {
                ValueType::Number => Align::Right,
                _ => Align::Left,
            };
            (a.path(), align, CELL_WIDTH)
        })
        .collect();
    let mut table = Table::new(&columns);
    for values in rows {
        table.row(values.iter().map(text).collect());
    }
    table.render()
}
