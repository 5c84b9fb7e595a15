//! JSON shapes: System Log API pages (arrays, possibly several concatenated), NDJSON lines,
//! single or pretty-printed objects, and Event Hook envelopes (`data.events[]`).
//!
//! Records are found by walking the top level: whitespace, commas and array brackets between
//! records are skipped, each object is read in place field by field ([`cursor`], [`schema`]),
//! and an object that fails is stepped over by brace matching so the records after it count.

mod cursor;
mod schema;

use memchr::{memchr2, memchr3};

use crate::event::Target;
use crate::input::ChunkOutput;
use crate::input::problem::{Problem, ProblemKind};
use cursor::Cursor;

/// Reads every record in `data`, a chunk cut at record boundaries. In NDJSON (`lines`), a
/// broken record ends at its line's end, and reading resumes on the next line.
pub fn read_records<'a>(data: &'a [u8], lines: bool, out: &mut ChunkOutput<'a>) {
    let mut pos = 0;
    while pos < data.len() {
        match data[pos] {
            b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' => pos += 1,
            b'{' => pos = read_object(data, pos, lines, out),
            _ => {
                let end = memchr3(b'{', b'[', b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
                let excerpt = String::from_utf8_lossy(&data[pos..end.min(pos + 40)]);
                out.problems.push(Problem::new(
                    ProblemKind::UnexpectedText,
                    pos,
                    format!("{:?}", excerpt.trim_end()),
                ));
                pos = end.max(pos + 1);
            }
        }
    }
}

/// Reads the object starting at `start` and returns the offset just past it. A record that
/// does not parse is reported where the reader stopped and stepped over: to the end of its line
/// in NDJSON, else by brace matching. One that the data ends inside is truncated.
fn read_object<'a>(data: &'a [u8], start: usize, lines: bool, out: &mut ChunkOutput<'a>) -> usize {
    let mut cursor = Cursor::new(data, start);
    let error = match schema::record(&mut cursor) {
        Ok(record) => {
            record.into_events(&mut |event| match event {
                Ok(event) => out.events.push(event),
                Err((kind, detail)) => out.problems.push(Problem::new(kind, start, detail)),
            });
            return cursor.pos;
        }
        Err(error) => error,
    };
    if lines {
        let line_end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        let (offset, message) = if error.offset > line_end || error.eof {
            (line_end, "the line ends inside the record")
        } else {
            (error.offset, error.message)
        };
        out.problems
            .push(Problem::new(ProblemKind::InvalidJson, offset, message));
        return line_end + 1;
    }
    if error.eof {
        out.problems.push(Problem::new(
            ProblemKind::Truncated,
            start,
            format!(
                "{} bytes, the input ends inside the record",
                data.len() - start
            ),
        ));
        return data.len();
    }
    out.problems.push(Problem::new(
        ProblemKind::InvalidJson,
        error.offset,
        error.message,
    ));
    object_end(data, start).unwrap_or(data.len())
}

/// The offset just past the object opening at `start`, matching braces outside strings; `None`
/// when the data ends first.
pub fn object_end(data: &[u8], start: usize) -> Option<usize> {
    BraceScanner::at(start).next_record_end(data, start)
}

/// Tracks brace depth and string state across a JSON byte stream so that record boundaries can
/// be found without parsing. Used both to step over broken records and to cut large inputs
/// into chunks that end exactly after a record.
#[derive(Debug, Default, Clone)]
pub struct BraceScanner {
    pub pos: usize,
    depth: u32,
    in_string: bool,
}

impl BraceScanner {
    pub fn at(pos: usize) -> BraceScanner {
        BraceScanner {
            pos,
            ..BraceScanner::default()
        }
    }

    /// The first offset at or after `min` that closes a top-level object, scanning on from where
    /// the previous call stopped; `None` when `data` ends first (the state is kept).
    pub fn next_record_end(&mut self, data: &[u8], min: usize) -> Option<usize> {
        while self.pos < data.len() {
            let rest = &data[self.pos..];
            if self.in_string {
                match memchr2(b'"', b'\\', rest) {
                    Some(i) if rest[i] == b'\\' => self.pos += i + 2,
                    Some(i) => {
                        self.pos += i + 1;
                        self.in_string = false;
                    }
                    None => self.pos = data.len(),
                }
                continue;
            }
            match memchr3(b'"', b'{', b'}', rest) {
                Some(i) => {
                    self.pos += i + 1;
                    match rest[i] {
                        b'"' => self.in_string = true,
                        b'{' => self.depth += 1,
                        _ => {
                            self.depth = self.depth.saturating_sub(1);
                            if self.depth == 0 && self.pos >= min {
                                return Some(self.pos);
                            }
                        }
                    }
                }
                None => self.pos = data.len(),
            }
        }
        self.pos = self.pos.min(data.len());
        None
    }
}

/// Checks that the first JSON record of a file looks like a LogEvent or an Event Hook envelope,
/// so that catalogues and unrelated JSON are refused by name rather than skipped record by
/// record. `Ok` when the first record cannot be read in full: the reader will report it.
pub fn check_first_record(data: &[u8]) -> Result<(), String> {
    let Some(start) = data.iter().position(|&b| b == b'{') else {
        return Ok(());
    };
    match schema::record(&mut Cursor::new(data, start)) {
        Ok(record) if !record.looks_like_event() => {
            Err("JSON whose first object has no uuid, published or eventType".into())
        }
        _ => Ok(()),
    }
}

/// Reads the `target` column of camelCase CSV re-exports, which holds the JSON array itself.
pub fn targets_from_json(text: &str) -> Vec<Target<'static>> {
    let own =
        |t: Option<std::borrow::Cow<'_, str>>| t.map(|c| std::borrow::Cow::Owned(c.into_owned()));
    schema::targets(&mut Cursor::new(text.as_bytes(), 0))
        .unwrap_or_default()
        .into_iter()
        .map(|t| Target {
            id: own(t.id),
            kind: own(t.kind),
            alternate_id: own(t.alternate_id),
            display_name: own(t.display_name),
        })
        .collect()
}
