//! Input: finding export files, recognising their shape from content, and turning chunks of
//! bytes into events. The parallel driver that feeds chunks to workers is in `crate::pipeline`.

pub mod csv;
pub mod json;
pub mod lenient;
pub mod problem;
pub mod source;

use std::fmt;

use memchr::memchr;

use crate::event::Event;
use crate::input::csv::{CsvLayout, CsvStyle, QuoteScanner};
use crate::input::json::BraceScanner;
use crate::input::problem::Problem;

/// The shape of an export, recognised from its first bytes.
#[derive(Debug, Clone)]
pub enum Shape {
    /// One or more JSON arrays of events (System Log API pages), compact or pretty-printed.
    JsonArray,
    /// One compact JSON value per line.
    Ndjson,
    /// One or more pretty-printed JSON objects: single events or Event Hook envelopes.
    JsonObjects,
    Csv(CsvLayout),
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Shape::JsonArray => "json-array",
            Shape::Ndjson => "ndjson",
            Shape::JsonObjects => "json-object",
            Shape::Csv(layout) => match layout.style {
                CsvStyle::AdminConsole => "csv-admin",
                CsvStyle::CamelCase => "csv-camel",
            },
        })
    }
}

/// What reading one chunk gave: its events in input order and the records it had to skip.
#[derive(Debug, Default)]
pub struct ChunkOutput<'a> {
    pub events: Vec<Event<'a>>,
    pub problems: Vec<Problem>,
}

/// A recognised shape and where its records begin (after a byte-order mark or CSV header).
#[derive(Debug, Clone)]
pub struct Detected {
    pub shape: Shape,
    pub body_start: usize,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Recognises the shape of an export from its first bytes (`prefix` holds the whole input when
/// it is small). `Err` is a one-line reason why it is not an export.
pub fn detect(prefix: &[u8]) -> Result<Detected, String> {
    let bom = if prefix.starts_with(BOM) {
        BOM.len()
    } else {
        0
    };
    let body = &prefix[bom..];
    let Some(first) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Err(if prefix.is_empty() {
            "empty file".into()
        } else {
            "no records (only white space)".into()
        });
    };
    if body[..body.len().min(4096)].contains(&0) {
        return Err("binary data".into());
    }
    match body[first] {
        b'[' => {
            json::check_first_record(&body[first..])?;
            Ok(Detected {
                shape: Shape::JsonArray,
                body_start: bom,
            })
        }
        b'{' => {
            json::check_first_record(&body[first..])?;
            let one_line = match json::object_end(body, first) {
                Some(end) => !body[first..end].contains(&b'\n'),
                None => memchr(b'\n', &body[first..]).is_some(),
            };
            Ok(Detected {
                shape: if one_line {
                    Shape::Ndjson
                } else {
                    Shape::JsonObjects
                },
                body_start: bom,
            })
        }
        _ => {
            let header_end = memchr(b'\n', body).unwrap_or(body.len());
            let header = body[..header_end]
                .strip_suffix(b"\r")
                .unwrap_or(&body[..header_end]);
            let layout = CsvLayout::from_header(header)?;
            Ok(Detected {
                shape: Shape::Csv(layout),
                body_start: bom + (header_end + 1).min(body.len()),
            })
        }
    }
}

impl Shape {
    /// Reads every record of a chunk that starts and ends at record boundaries.
    pub fn read_chunk<'a>(&self, data: &'a [u8]) -> ChunkOutput<'a> {
        let mut out = ChunkOutput::default();
        match self {
            Shape::JsonArray | Shape::JsonObjects => json::read_records(data, false, &mut out),
            Shape::Ndjson => json::read_records(data, true, &mut out),
            Shape::Csv(layout) => csv::read_records(data, layout, &mut out),
        }
        out
    }

    /// A scanner that finds the record ends at which this shape's input may be cut, starting
    /// at `start` (the first byte after a header or byte-order mark).
    pub fn splitter(&self, start: usize) -> Splitter {
        match self {
            Shape::JsonArray | Shape::JsonObjects => Splitter::Json(BraceScanner::at(start)),
            Shape::Ndjson => Splitter::Lines { pos: start },
            Shape::Csv(_) => Splitter::Csv(QuoteScanner::at(start)),
        }
    }
}

/// Finds chunk boundaries: offsets just after a record, so that each chunk can be read alone.
/// The scan is incremental: successive calls continue where the last one stopped.
#[derive(Debug, Clone)]
pub enum Splitter {
    Lines { pos: usize },
    Json(BraceScanner),
    Csv(QuoteScanner),
}

impl Splitter {
    /// The first record end at or after `min`, or `None` when `data` ends first.
    pub fn next_cut(&mut self, data: &[u8], min: usize) -> Option<usize> {
        match self {
            Splitter::Lines { pos } => {
                let from = (*pos).max(min);
                let cut = memchr(b'\n', data.get(from..)?).map(|i| from + i + 1);
                *pos = cut.unwrap_or(data.len().max(from));
                cut
            }
            Splitter::Json(scanner) => scanner.next_record_end(data, min),
            Splitter::Csv(scanner) => scanner.next_record_end(data, min),
        }
    }

    /// Shifts the scan position after the first `consumed` bytes of a stream buffer were dropped.
    pub fn rebase(&mut self, consumed: usize) {
        let pos = match self {
            Splitter::Lines { pos } => pos,
            Splitter::Json(scanner) => &mut scanner.pos,
            Splitter::Csv(scanner) => &mut scanner.pos,
        };
        *pos = pos.saturating_sub(consumed);
    }
}
