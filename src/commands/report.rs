//! `authsift report`: the case report, one self-contained HTML file to hand over, or the same
//! sections as JSON.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;

use crate::aggregate::case::Case;
use crate::cli::{Common, parse_time};
use crate::commands::{Global, exit_code, read};
use crate::detect::params::Settings;
use crate::error::Error;
use crate::report::document::{CaseHeader, Document, LAYOUT_VERSION};
use crate::report::{FormatName, Output, html};
use crate::time::Timestamp;

/// Write a case report: one HTML file that opens offline in any browser.
///
/// Sections: the case (when, which authsift, the command line, and per input its shape, size,
/// SHA-256, events, skipped records, duplicates and time range: the chain of custody); the
/// headline figures; a chart of failures, denials and basic-auth failures over time (UTC);
/// the basic-auth user agents; the findings of every `authsift hunt` detection with their
/// evidence; the top source IPs by failures (ASN, organisation, country, proxy) and the top
/// targeted users; and coverage: the time each input covers, gaps between inputs, overlaps and
/// duplicates removed. Windows of medium, high and critical findings are shaded on the chart.
///
/// The file holds no link to anything outside it: styles, chart and the small script that
/// sorts tables (click a header) are inline, and the page forbids itself any fetch. Text from
/// the logs is escaped. The same inputs and options give the same bytes, but for the creation
/// time, which --now pins.
///
/// --format json (or -o FILE.json) writes the same sections as a JSON document:
/// {"case","inputs","headline","timeline","basic_auth_agents","findings","top_ips","top_users",
/// "coverage"}.
#[derive(Debug, Args)]
#[command(mut_arg("format", |arg| arg.help(
    "Output format: html (the default) or json; -o's extension (.html, .json) also chooses"
)))]
pub struct ReportArgs {
    #[command(flatten)]
    pub common: Common,

    /// Rows in the tables of top source IPs and top targeted users.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,

    /// Change a detection threshold, as for `authsift hunt` (repeatable; `authsift hunt
    /// --list` shows them).
    #[arg(long = "set", value_name = "ID.PARAM=VALUE")]
    pub set: Vec<String>,

    /// The creation time to record instead of the current time (RFC 3339), for reports that
    /// must compare byte for byte.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub now: Option<Timestamp>,
}

pub fn run(args: &ReportArgs, global: Global) -> Result<ExitCode, Error> {
    let as_json = match args.common.format_name() {
        None | Some(FormatName::Html) => false,
        Some(FormatName::Json) => true,
        Some(_) => {
            return Err(Error::Usage(
                "report writes html or json (--format html|json)".into(),
            ));
        }
    };
    let settings = Settings::from_assignments(&args.set).map_err(Error::Usage)?;
    let created = args.now.unwrap_or_else(now);
    let mut output = Output::open(args.common.output.as_ref(), &args.common.paths)?;
    let run = read(&args.common, global, true, Case::default)?;
    let header = CaseHeader {
        layout_version: LAYOUT_VERSION,
        created,
        authsift_version: env!("CARGO_PKG_VERSION"),
        command_line: command_line(),
        since: args.common.since,
        until: args.common.until,
        filter: args.common.filter.clone(),
    };
    let code = exit_code(&run.files);
    let document = Document::new(run.aggregate, run.files, header, args.top, &settings);
    if as_json {
        output.json(&document)?;
    } else {
        output.text(&html::render(&document))?;
    }
    output.finish()?;
    Ok(code)
}

/// The current time; the epoch when the clock is set before it.
fn now() -> Timestamp {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Timestamp(i64::try_from(millis).unwrap_or(i64::MAX))
}

/// The arguments as given, after `authsift`: the program's own path would differ between
/// machines and says nothing about the case.
fn command_line() -> Vec<String> {
    std::iter::once("authsift".to_string())
        .chain(
            std::env::args_os()
                .skip(1)
                .map(|arg| arg.to_string_lossy().into_owned()),
        )
        .collect()
}
