//! Input: finding export files, recognising their shape from content, and turning chunks of
//! bytes into events. The parallel driver that feeds chunks to workers is in `crate::pipeline`.

pub mod csv;
pub mod gunzip;
pub mod json;
pub mod lenient;
pub mod problem;
pub mod source;

use std::fmt;

use memchr::memchr;

use crate::event::{Event, Parts};
use crate::input::csv::{CsvLayout, CsvStyle};
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

/// Where a reader hands each event it reads, in input order, as soon as it is read: the
/// event borrows the input and is gone after the call, so no chunk's events are ever held.
pub trait EventSink {
    /// Parts that a reader may leave unread (JSON objects checked for structure only) until
    /// [`EventSink::needs_parts`] asks for them.
    fn deferrable(&self) -> Parts {
        Parts::CORE
    }

    /// Whether `event`, read so far without its [`EventSink::deferrable`] parts, needs them.
    /// The answer must not depend on the events before it: a chunk read again must read the
    /// same records in full.
    fn needs_parts(&self, _event: &Event<'_>) -> bool {
        true
    }

    fn event(&mut self, event: &Event<'_>);
}

/// What reading one chunk gave: the sink its events went to, the records it had to skip, and
/// where its records began and ended, so that the chunks can be checked to join up.
#[derive(Debug)]
pub struct ChunkOutput<S> {
    pub sink: S,
    pub problems: Vec<Problem>,
    /// Where the first record read begins (or `end`, when none was).
    pub start: usize,
    /// Just past the last record read: where the next chunk's first record must begin.
    pub end: usize,
}

impl<S> ChunkOutput<S> {
    /// An output with no records yet, starting and ending at `at`.
    pub fn empty(sink: S, at: usize) -> ChunkOutput<S> {
        ChunkOutput {
            sink,
            problems: Vec::new(),
            start: at,
            end: at,
        }
    }
}

/// A part of the input to read: the records that begin in `from..until` of `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub from: usize,
    pub until: usize,
    /// `from` is a record boundary, known from the previous chunk; otherwise the reader finds
    /// the first plausible record start itself, to be checked against the previous chunk.
    pub known_start: bool,
    /// `data` ends where the input ends; otherwise a record cut off at the end of `data` is
    /// left for the next read rather than reported as truncated.
    pub at_eof: bool,
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
    /// Reads the records of `chunk` into events holding `parts` (see [`Parts`]). A record
    /// that begins before `chunk.until` is read whole, even past it; offsets in the output are
    /// offsets into `data`.
    pub fn read_chunk<S: EventSink>(
        &self,
        data: &[u8],
        chunk: Chunk,
        parts: Parts,
        sink: S,
    ) -> ChunkOutput<S> {
        let mut out = ChunkOutput::empty(sink, chunk.from);
        match self {
            Shape::JsonArray | Shape::JsonObjects => {
                json::read_records(data, chunk, false, parts, &mut out)
            }
            Shape::Ndjson => json::read_records(data, chunk, true, parts, &mut out),
            Shape::Csv(layout) => csv::read_records(data, chunk, layout, parts, &mut out),
        }
        out
    }
}

/// `classify` applied to the 64 bytes of `data` from `at`, `pad` standing in for what lies past
/// the data's end: the readers classify input a block at a time for SIMD.
pub fn classify_block<T>(
    data: &[u8],
    at: usize,
    pad: u8,
    classify: impl FnOnce(&[u8; 64]) -> T,
) -> T {
    match data.get(at..at + 64) {
        Some(block) => classify(block.try_into().unwrap_or(&[pad; 64])),
        None => {
            let mut padded = [pad; 64];
            let rest = data.get(at..).unwrap_or_default();
            padded[..rest.len()].copy_from_slice(rest);
            classify(&padded)
        }
    }
}

/// Each bit the exclusive-or of itself and all lower bits: of a mask of quotes, set from each
/// opening quote up to (not including) its closing quote.
pub fn prefix_xor(mut bits: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        bits ^= bits << shift;
    }
    bits
}

/// The first line start at or after `from` (lines are records in NDJSON and, mostly, in CSV).
pub fn next_line_start(data: &[u8], from: usize) -> usize {
    if from == 0 || data.get(from - 1) == Some(&b'\n') {
        return from.min(data.len());
    }
    memchr(b'\n', data.get(from..).unwrap_or_default()).map_or(data.len(), |i| from + i + 1)
}
