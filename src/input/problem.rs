//! Records that could not be read. Every one is counted per file and kind, and the first few of
//! each kind are reported with their position, so no data is lost silently.

use std::fmt;

/// Why a record was skipped. The `Display` text is the kind's name in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    InvalidJson,
    Truncated,
    UnexpectedText,
    MissingField(&'static str),
    BadTime,
    FieldCount,
    InvalidUtf8,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::InvalidJson => f.write_str("invalid JSON"),
            ProblemKind::Truncated => f.write_str("truncated record"),
            ProblemKind::UnexpectedText => f.write_str("text outside any record"),
            ProblemKind::MissingField(name) => write!(f, "missing {name}"),
            ProblemKind::BadTime => f.write_str("unreadable time"),
            ProblemKind::FieldCount => f.write_str("wrong number of CSV fields"),
            ProblemKind::InvalidUtf8 => f.write_str("invalid UTF-8"),
        }
    }
}

/// One skipped record, positioned by its byte offset within the chunk it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub offset: usize,
    pub detail: String,
}

impl Problem {
    pub fn new(kind: ProblemKind, offset: usize, detail: impl Into<String>) -> Problem {
        Problem {
            kind,
            offset,
            detail: detail.into(),
        }
    }
}
