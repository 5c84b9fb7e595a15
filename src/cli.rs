//! Command-line definitions: the top level and the arguments every command shares.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::classify::LEGACY_DEFINITION;
use crate::commands::{
    agents::AgentsArgs, hunt::HuntArgs, report::ReportArgs, search::SearchArgs,
    summary::SummaryArgs, timeline::TimelineArgs,
};
use crate::error::Error;
use crate::filter::Filter;
use crate::pipeline::Options;
use crate::report::{Format, FormatName};
use crate::time::Timestamp;

/// Offline forensics for identity-provider logs.
///
/// Reads Okta System Log exports (JSON, NDJSON, Event Hook envelopes, Admin Console and SIEM CSV,
/// any of them gzipped) and answers who was attacked through legacy (basic) authentication, when
/// failures spiked and which clients used basic auth.
///
/// Exit codes: 0 done; 2 error (bad arguments, an input that is not an export or cannot be
/// read — the other inputs are still read and reported first — or, with --strict, the first
/// skipped record).
#[derive(Debug, Parser)]
#[command(name = "authsift", version, max_term_width = 100, after_long_help = LEGACY_DEFINITION)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Worker threads, 1 to 256 (default: one per core).
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,

    /// No progress bar and no warnings about skipped records (errors are still printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Summary(SummaryArgs),
    Timeline(TimelineArgs),
    Agents(AgentsArgs),
    Search(SearchArgs),
    Hunt(HuntArgs),
    Report(ReportArgs),
}

/// Arguments every command takes.
#[derive(Debug, Args)]
pub struct Common {
    /// Export files, directories (read recursively, in sorted order) or - for standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format [default: from -o's extension, else table on a terminal or with -o, else
    /// json]. svg: timeline only; html: report only.
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<FormatName>,

    /// Only events at or after this time (RFC 3339, or a date YYYY-MM-DD meaning 00:00 UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<Timestamp>,

    /// Only events before this time (RFC 3339, or a date YYYY-MM-DD meaning 00:00 UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<Timestamp>,

    /// Only events matching this Okta System Log filter expression, such as
    /// 'eventType eq "user.session.start" and outcome.result eq "FAILURE"' (the language:
    /// authsift search --help).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,

    /// Write the output to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Stop with an error at the first skipped record or unreadable input.
    #[arg(long)]
    pub strict: bool,
}

/// Parses `--since`, `--until` and `--now`.
pub fn parse_time(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse_bound(text).ok_or_else(|| {
        format!("expected RFC 3339 (2024-05-01T13:00:00Z) or a date (2024-05-01), got {text:?}")
    })
}

impl Common {
    pub fn options(&self, hash: bool) -> Result<Options, Error> {
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since >= until
        {
            return Err(Error::Usage(format!(
                "--since ({since}) must be before --until ({until})"
            )));
        }
        let filter = self
            .filter
            .as_deref()
            .map(Filter::parse)
            .transpose()
            .map_err(|error| Error::Usage(format!("invalid --filter: {error}")))?;
        Ok(Options {
            since: self.since,
            until: self.until,
            filter: filter.map(Arc::new),
            strict: self.strict,
            hash,
            ..Options::default()
        })
    }

    /// The row format; an error for `svg` and `html`, which only one command each writes.
    pub fn format(&self) -> Result<Format, Error> {
        Format::choose(self.format, self.output.as_deref())
    }

    /// The format `--format` or `-o`'s extension names, if any.
    pub fn format_name(&self) -> Option<FormatName> {
        FormatName::asked(self.format, self.output.as_deref())
    }
}
