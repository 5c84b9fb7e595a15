//! JSON shapes: System Log API pages (arrays, possibly several concatenated), NDJSON lines,
//! single or pretty-printed objects, and Event Hook envelopes (`data.events[]`).
//!
//! Records are found by walking the top level: whitespace, commas and array brackets between
//! records are skipped, each object is read in place field by field ([`cursor`], [`schema`]),
//! and an object that fails is stepped over (to its closing brace, or to where the next record
//! plausibly begins when its structure is broken) so the records after it count.

mod cursor;
mod schema;
mod structure;

use memchr::{memchr2, memchr3};

use crate::event::{Parts, Target};
use crate::input::problem::{Problem, ProblemKind};
use crate::input::{Chunk, ChunkOutput, EventSink};
use crate::prefetch::ReadAhead;
use cursor::Cursor;

/// Reads the records of `chunk` (see [`crate::input::Shape::read_chunk`]). In NDJSON
/// (`lines`), a broken record ends at its line's end, and reading resumes on the next line.
pub fn read_records<S: EventSink>(
    data: &[u8],
    chunk: Chunk,
    lines: bool,
    parts: Parts,
    out: &mut ChunkOutput<S>,
) {
    let mut pos = if chunk.known_start {
        chunk.from
    } else {
        guess_record_start(data, chunk.from, chunk.until, lines)
    };
    pos = skip_separators(data, pos);
    out.start = pos;
    let mut ahead = ReadAhead::default();
    let mut record = schema::Record::default();
    while pos < chunk.until {
        ahead.reached(data, pos);
        match data[pos] {
            b'{' => match read_object(data, pos, lines, chunk.at_eof, parts, &mut record, out) {
                Some(end) => pos = end,
                None => break,
            },
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
        pos = skip_separators(data, pos);
    }
    out.end = pos;
}

/// Skips what may stand between records: white space, commas and the brackets of API pages.
fn skip_separators(data: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']') = data.get(pos) {
        pos += 1;
    }
    pos
}

/// The first place in `from..until` where a record plausibly begins: a line start in NDJSON;
/// otherwise an object, after a bracket or comma, that reads as an event with a uuid and an
/// eventType (nested objects such as targets have neither). `until` when there is none. A
/// wrong guess costs only time: the pipeline checks it against where the previous chunk ended.
fn guess_record_start(data: &[u8], from: usize, until: usize, lines: bool) -> usize {
    if lines {
        return crate::input::next_line_start(data, from);
    }
    let mut pos = from;
    while let Some(i) = memchr::memchr(b'{', data.get(pos..until).unwrap_or_default()) {
        let at = pos + i;
        let before = data[..at].iter().rposition(|b| !b.is_ascii_whitespace());
        if before.is_none_or(|b| matches!(data[b], b'[' | b',' | b']' | b'}'))
            && let Ok(record) = schema::record(&mut Cursor::new(data, at), Parts::CORE, Parts::CORE)
            && record.is_complete_event()
        {
            return at;
        }
        pos = at + 1;
    }
    until
}

/// Reads the object starting at `start` and returns the offset just past it. A record that
/// does not parse is reported where the reader stopped and stepped over: to the end of its line
/// in NDJSON, else to its closing brace or, when its brackets or quotes do not hold, to the
/// next plausible record start. One that the data ends inside, with no record after, is
/// truncated.
/// `None` when the data ends inside the record and more is to come (`!at_eof`): the record is
/// left for the next read.
fn read_object<'a, S: EventSink>(
    data: &'a [u8],
    start: usize,
    lines: bool,
    at_eof: bool,
    parts: Parts,
    record: &mut schema::Record<'a>,
    out: &mut ChunkOutput<S>,
) -> Option<usize> {
    let error = match read_deferring(data, start, parts, record, out) {
        Ok(end) => return Some(end),
        Err(error) => error,
    };
    if lines {
        if !at_eof && (error.eof || memchr::memchr(b'\n', &data[start..]).is_none()) {
            return None;
        }
        let line_end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        let (offset, message) = if error.offset > line_end || error.eof {
            (line_end, "the line ends inside the record")
        } else {
            (error.offset, error.message)
        };
        out.problems
            .push(Problem::new(ProblemKind::InvalidJson, offset, message));
        return Some(line_end + 1);
    }
    if !at_eof && error.eof {
        return None;
    }
    // Where the broken record ends: its closing brace when its structure holds (a bad token),
    // else where the next record plausibly begins, so that a lost quote or bracket costs this
    // record only rather than the records after it.
    let end = match structure::value_end(data, start) {
        Ok(end) => Some(end),
        Err(_) => Some(guess_record_start(data, start + 1, data.len(), false))
            .filter(|&next| next < data.len()),
    };
    match end {
        None if !at_eof => None,
        None if error.eof => {
            out.problems.push(Problem::new(
                ProblemKind::Truncated,
                start,
                format!(
                    "{} bytes, the input ends inside the record",
                    data.len() - start
                ),
            ));
            Some(data.len())
        }
        Some(end) if error.eof => {
            out.problems.push(Problem::new(
                ProblemKind::InvalidJson,
                start,
                "the record does not end before the next one begins",
            ));
            Some(end)
        }
        end => {
            out.problems.push(Problem::new(
                ProblemKind::InvalidJson,
                error.offset,
                error.message,
            ));
            Some(end.unwrap_or(data.len()))
        }
    }
}

/// Reads the record at `start` and hands its events to the sink; returns the offset just past
/// it. The parts the sink may defer are stepped over (checked for structure only) and read only
/// for the events that need them. Whenever that does not give what reading in full would for
/// such an event — a deferred key repeated, any error, an envelope's own objects, a record that
/// is no event — the record is read again without deferring. So deferring changes nothing but
/// this: an event that does not need its deferred objects is not checked token by token there.
fn read_deferring<'a, S: EventSink>(
    data: &'a [u8],
    start: usize,
    parts: Parts,
    record: &mut schema::Record<'a>,
    out: &mut ChunkOutput<S>,
) -> Result<usize, cursor::JsonError> {
    let mut deferrable = out.sink.deferrable();
    loop {
        let mut cursor = Cursor::new(data, start);
        record.clear();
        match schema::read_record(&mut cursor, parts, deferrable, record) {
            Ok(()) => {}
            // The structure scan of a deferred object stops elsewhere than reading it would, and
            // says other things (a bare word is "outside a string", not "an invalid literal"):
            // the error reported is the one reading in full finds.
            Err(_) if deferrable != Parts::CORE => {
                deferrable = Parts::CORE;
                continue;
            }
            Err(error) => return Err(error),
        };
        // Objects repeated must be read in order to tell what they leave; an envelope's own
        // are never read for an event, yet a broken one makes the whole record invalid JSON.
        let own = record.deferred();
        if own.repeated || (!own.is_empty() && record.is_envelope()) {
            deferrable = Parts::CORE;
            continue;
        }
        let mut undeferred = false;
        record.emit_events(&mut |event| match event {
            Ok((event, deferred)) => {
                if !deferred.is_empty()
                    && out.sink.needs_parts(event)
                    && deferred.read_into(data, parts, event).is_err()
                {
                    undeferred = true;
                    return;
                }
                out.sink.event(event);
            }
            // A record that is no event (no uuid, an unreadable time) is reported as invalid
            // JSON first when a deferred object of it breaks the grammar.
            Err(_) if !own.is_empty() => undeferred = true,
            Err((kind, detail)) => out.problems.push(Problem::new(kind, start, detail)),
        });
        if !undeferred {
            return Ok(cursor.pos);
        }
        deferrable = Parts::CORE;
    }
}

/// The offset just past the object opening at `start`, matching braces outside strings; `None`
/// when the data ends first. Used to tell one-line records from pretty-printed ones.
pub fn object_end(data: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0u32;
    let mut pos = start;
    loop {
        let i = memchr3(b'"', b'{', b'}', data.get(pos..)?)?;
        pos += i + 1;
        match data[pos - 1] {
            b'"' => loop {
                let j = memchr2(b'"', b'\\', data.get(pos..)?)?;
                pos += j + 1;
                if data[pos - 1] == b'"' {
                    break;
                }
                pos += 1;
            },
            b'{' => depth += 1,
            _ => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(pos);
                }
            }
        }
    }
}

/// Checks that the first JSON record of a file looks like a LogEvent or an Event Hook envelope,
/// so that catalogues and unrelated JSON are refused by name rather than skipped record by
/// record. `Ok` when the first record cannot be read in full: the reader will report it.
pub fn check_first_record(data: &[u8]) -> Result<(), String> {
    let Some(start) = data.iter().position(|&b| b == b'{') else {
        return Ok(());
    };
    match schema::record(&mut Cursor::new(data, start), Parts::CORE, Parts::CORE) {
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
