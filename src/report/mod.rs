//! Writers: aligned text tables for people, CSV (formula-neutralised) for spreadsheets, JSON and
//! NDJSON for machines. Commands build rows; these functions only print them.

pub mod csv;
pub mod document;
pub mod html;
pub mod svg;
pub mod table;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Row format of a command's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ndjson,
}

/// What `--format` can name: the row formats every command writes, and two documents that one
/// command each writes: `timeline` draws an `svg` chart, `report` writes `html`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatName {
    Table,
    Csv,
    Json,
    Ndjson,
    Svg,
    Html,
}

impl FormatName {
    /// The format asked for, or else the one `-o FILE`'s extension names, if any.
    pub fn asked(asked: Option<FormatName>, output: Option<&Path>) -> Option<FormatName> {
        asked.or_else(
            || match output?.extension()?.to_str()?.to_ascii_lowercase().as_str() {
                "csv" => Some(FormatName::Csv),
                "json" => Some(FormatName::Json),
                "ndjson" | "jsonl" => Some(FormatName::Ndjson),
                "svg" => Some(FormatName::Svg),
                "html" | "htm" => Some(FormatName::Html),
                _ => None,
            },
        )
    }
}

impl Format {
    /// The row format asked for, or else the one `-o FILE`'s extension names, or else a table
    /// when writing to a terminal or a file, JSON when piped. `svg` and `html` are refused: the
    /// commands that write them check for them first.
    pub fn choose(asked: Option<FormatName>, output: Option<&Path>) -> Result<Format, Error> {
        Ok(match FormatName::asked(asked, output) {
            Some(FormatName::Table) => Format::Table,
            Some(FormatName::Csv) => Format::Csv,
            Some(FormatName::Json) => Format::Json,
            Some(FormatName::Ndjson) => Format::Ndjson,
            Some(FormatName::Svg) => return Err(refused("svg", "authsift timeline")),
            Some(FormatName::Html) => return Err(refused("html", "authsift report")),
            None if output.is_some() || io::stdout().is_terminal() => Format::Table,
            None => Format::Json,
        })
    }
}

fn refused(format: &str, writer: &str) -> Error {
    Error::Usage(format!(
        "this command writes table, csv, json or ndjson, not {format} (only `{writer}` writes {format})"
    ))
}

/// Where writing to `output` puts the bytes: symbolic links followed, also a link to a file
/// that does not exist yet. `None` when that cannot be told (the open will then fail).
fn written_path(output: &Path) -> Option<PathBuf> {
    let mut path = output.to_path_buf();
    // As many links as Linux follows before giving up with ELOOP.
    for _ in 0..40 {
        if let Ok(real) = path.canonicalize() {
            return Some(real);
        }
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        match std::fs::read_link(&path) {
            // A relative target is relative to the link's directory; `join` keeps an absolute one.
            Ok(target) => path = parent.join(target),
            Err(_) => return Some(parent.canonicalize().ok()?.join(path.file_name()?)),
        }
    }
    None
}

/// The input that `output` is, or lies below: authsift never writes beside its evidence.
fn evidence_clash(output: &Path, inputs: &[PathBuf]) -> Option<String> {
    let target = written_path(output)?;
    inputs
        .iter()
        .find(|input| {
            input.canonicalize().is_ok_and(|c| target.starts_with(&c))
                || same_file_below(&target, input)
        })
        .map(|input| input.display().to_string())
}

/// True when `target` exists and is a file of `input` (the input, or a file below it) under
/// another name: a hard link.
#[cfg(unix)]
fn same_file_below(target: &Path, input: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(written) = std::fs::metadata(target) else {
        return false;
    };
    crate::input::source::expand(std::slice::from_ref(&input.to_path_buf()))
        .into_iter()
        .filter_map(|found| match found {
            Ok(crate::input::source::InputPath::File(path)) => std::fs::metadata(path).ok(),
            _ => None,
        })
        .any(|read| read.dev() == written.dev() && read.ino() == written.ino())
}

#[cfg(not(unix))]
fn same_file_below(_: &Path, _: &Path) -> bool {
    false
}

/// Where a command's output goes: standard output, or the file named by `-o`.
pub struct Output {
    target: Box<dyn Write>,
    name: String,
}

impl Output {
    /// Opens `-o FILE` (refusing to overwrite an input) or standard output.
    pub fn open(path: Option<&PathBuf>, inputs: &[PathBuf]) -> Result<Output, Error> {
        let Some(path) = path else {
            return Ok(Output {
                target: Box::new(BufWriter::new(io::stdout().lock())),
                name: "standard output".into(),
            });
        };
        let name = path.display().to_string();
        if let Some(clash) = evidence_clash(path, inputs) {
            return Err(Error::Output(
                name,
                format!("it is inside the input {clash} (evidence is read-only)"),
            ));
        }
        let file = File::create(path)
            .map_err(|e| Error::Output(name.clone(), crate::input::source::describe_io(&e)))?;
        Ok(Output {
            target: Box::new(BufWriter::new(file)),
            name,
        })
    }

    pub fn finish(mut self) -> Result<(), Error> {
        self.target.flush().map_err(|e| self.error(e))
    }

    /// Turns a write failure into an error naming the output; a closed pipe stays an I/O error
    /// so that `main` can treat it as success.
    pub fn error(&self, error: io::Error) -> Error {
        if error.kind() == io::ErrorKind::BrokenPipe {
            Error::Io(error)
        } else {
            Error::Output(self.name.clone(), crate::input::source::describe_io(&error))
        }
    }

    /// Writes `value` as indented JSON followed by a newline.
    pub fn json<T: serde::Serialize>(&mut self, value: &T) -> Result<(), Error> {
        serde_json::to_writer_pretty(&mut self.target, value)
            .map_err(io::Error::from)
            .and_then(|()| self.target.write_all(b"\n"))
            .map_err(|e| self.error(e))
    }

    /// Writes each value as one compact JSON line.
    pub fn ndjson<T: serde::Serialize>(
        &mut self,
        values: impl IntoIterator<Item = T>,
    ) -> Result<(), Error> {
        for value in values {
            serde_json::to_writer(&mut self.target, &value)
                .map_err(io::Error::from)
                .and_then(|()| self.target.write_all(b"\n"))
                .map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    pub fn text(&mut self, text: &str) -> Result<(), Error> {
        self.target
            .write_all(text.as_bytes())
            .map_err(|e| self.error(e))
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.target
    }
}
