//! The `authsift` binary: parses arguments, runs a command, and maps the outcome to an exit
//! code in one place (0 done, 2 error; a closed output pipe counts as done).

use std::process::ExitCode;

use clap::Parser;

use authsift::cli::{Cli, Command};
use authsift::commands::{self, Global};
use authsift::error::Error;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(threads) = cli.threads
        && let Err(error) = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(threads))
            .build_global()
    {
        eprintln!("authsift: error: cannot start {threads} threads: {error}");
        return ExitCode::from(2);
    }
    let global = Global { quiet: cli.quiet };
    let result = match &cli.command {
        Command::Summary(args) => commands::summary::run(args, global),
        Command::Timeline(args) => commands::timeline::run(args, global),
        Command::Agents(args) => commands::agents::run(args, global),
        Command::Search(args) => commands::search::run(args, global),
        Command::Hunt(args) => commands::hunt::run(args, global),
        Command::Report(args) => commands::report::run(args, global),
    };
    match result {
        Ok(code) => code,
        Err(Error::Io(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("authsift: error: {error}");
            ExitCode::from(2)
        }
    }
}
