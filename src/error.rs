//! Errors that end a run (exit code 2). Problems confined to one record or one file are not
//! errors: they are counted in the file's report and the run goes on.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// A file that could not be read, under `--strict`.
    #[error("{0}: {1}")]
    Input(String, String),
    /// The first skipped record, under `--strict`.
    #[error("{0} (--strict)")]
    Strict(String),
    /// A command-line value that clap could not check by itself.
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {0}: {1}")]
    Output(String, String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
