//! One file per subcommand; this module holds what they share: reading the inputs with a
//! progress bar, printing warnings about what was skipped, and the exit code.

pub mod agents;
pub mod hunt;
pub mod report;
pub mod search;
pub mod summary;
pub mod timeline;

use std::io::IsTerminal;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::Common;
use crate::error::Error;
use crate::pipeline::{self, Aggregate, FileReport, Run};

/// Settings from the top level of the command line.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    pub quiet: bool,
}

/// Reads the inputs of a command into an aggregate, showing progress on a terminal and
/// reporting skipped records, duplicates and unreadable files on standard error.
pub fn read<A, F>(common: &Common, global: Global, hash: bool, make: F) -> Result<Run<A>, Error>
where
    A: Aggregate,
    F: Fn() -> A + Sync,
{
    let options = common.options(hash)?;
    let progress = if !global.quiet && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total_size(&common.paths));
        bar.set_style(
            ProgressStyle::with_template(
                "{bytes}/{total_bytes} {wide_bar} {binary_bytes_per_sec} {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let run = pipeline::run(&common.paths, &options, &progress, make);
    progress.finish_and_clear();
    let run = run?;
    for file in &run.files {
        report_file(file, global.quiet);
    }
    Ok(run)
}

fn total_size(paths: &[std::path::PathBuf]) -> u64 {
    crate::input::source::expand(paths)
        .into_iter()
        .filter_map(|input| match input {
            Ok(crate::input::source::InputPath::File(path)) => {
                std::fs::metadata(path).ok().map(|m| m.len())
            }
            _ => None,
        })
        .sum()
}

fn report_file(file: &FileReport, quiet: bool) {
    if let Some(error) = &file.error {
        eprintln!("authsift: error: {}: {error}", file.name);
    }
    if quiet {
        return;
    }
    for message in &file.messages {
        eprintln!("authsift: warning: {message}");
    }
    let skipped = file.skipped_total();
    if skipped > 0 {
        let kinds: Vec<String> = file
            .skipped
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        eprintln!(
            "authsift: warning: {}: {skipped} record{} skipped ({})",
            file.name,
            plural(skipped),
            kinds.join(", ")
        );
    }
    if file.duplicates > 0 {
        eprintln!(
            "authsift: note: {}: {} duplicate event{} (same uuid and published time as an event already read) counted once",
            file.name,
            file.duplicates,
            plural(file.duplicates)
        );
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// 2 when an input could not be read (its error was printed), else 0.
pub fn exit_code(files: &[FileReport]) -> ExitCode {
    if files.iter().any(|f| f.error.is_some()) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// An optional instant as output text: RFC 3339 with milliseconds, or empty.
pub fn time_text(time: Option<crate::time::Timestamp>) -> String {
    time.map(|t| t.to_string()).unwrap_or_default()
}
