//! CSV shapes: the Admin Console "Download CSV" (snake_case dotted header, `timestamp`,
//! `target0.*`..`target3.*`) and SIEM re-exports (camelCase dotted header, `published`).
//!
//! Columns are matched by name, in any order, after folding case and dropping underscores, so
//! `client.user_agent.raw_user_agent` and `client.userAgent.rawUserAgent` are one column.
//! Records are split by hand (RFC 4180) so that unquoted and simply quoted fields borrow from
//! the input instead of being copied.

use std::borrow::Cow;

use memchr::memchr;

use crate::event::{Event, OutcomeResult, Parts, Target, text};
use crate::input::json::targets_from_json;
use crate::input::lenient::{parse_as_number, parse_bool, parse_number};
use crate::input::problem::{Problem, ProblemKind};
use crate::input::{Chunk, ChunkOutput, EventSink, classify_block, next_line_start, prefix_xor};
use crate::prefetch::ReadAhead;
use crate::time::Timestamp;

/// Which header convention a CSV export uses; only reported, both are read the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvStyle {
    AdminConsole,
    CamelCase,
}

/// The header of a CSV export: what each column holds.
#[derive(Debug, Clone)]
pub struct CsvLayout {
    pub style: CsvStyle,
    columns: Vec<Option<Column>>,
    header: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Uuid,
    Published,
    EventType,
    LegacyEventType,
    DisplayMessage,
    Severity,
    OutcomeResult,
    OutcomeReason,
    ActorId,
    ActorType,
    ActorAlternateId,
    ActorDisplayName,
    ClientIp,
    UserAgent,
    Os,
    Browser,
    Zone,
    Device,
    City,
    State,
    Country,
    PostalCode,
    Lat,
    Lon,
    AsNumber,
    AsOrg,
    Isp,
    Domain,
    IsProxy,
    RequestUri,
    ExternalSessionId,
    TransactionId,
    TargetList,
    Target(usize, TargetField),
}

impl Column {
    /// The part of an event the column fills.
    fn part(self) -> Parts {
        match self {
            Column::Uuid
            | Column::Published
            | Column::EventType
            | Column::LegacyEventType
            | Column::DisplayMessage
            | Column::Severity
            | Column::OutcomeResult
            | Column::OutcomeReason
            | Column::RequestUri => Parts::CORE,
            Column::ActorId
            | Column::ActorType
            | Column::ActorAlternateId
            | Column::ActorDisplayName => Parts::ACTOR,
            Column::ClientIp | Column::Zone | Column::Device => Parts::CLIENT,
            Column::UserAgent | Column::Os | Column::Browser => Parts::USER_AGENT,
            Column::City
            | Column::State
            | Column::Country
            | Column::PostalCode
            | Column::Lat
            | Column::Lon => Parts::GEO,
            Column::AsNumber | Column::AsOrg | Column::Isp | Column::Domain | Column::IsProxy => {
                Parts::SECURITY
            }
            Column::ExternalSessionId => Parts::SESSION,
            Column::TransactionId => Parts::TRANSACTION,
            Column::TargetList | Column::Target(..) => Parts::TARGETS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetField {
    Id,
    Type,
    AlternateId,
    DisplayName,
}

/// Column names after folding (lower case, no underscores), and what they hold.
const COLUMNS: &[(&str, Column)] = &[
    ("uuid", Column::Uuid),
    ("published", Column::Published),
    ("timestamp", Column::Published),
    ("eventtype", Column::EventType),
    ("legacyeventtype", Column::LegacyEventType),
    ("displaymessage", Column::DisplayMessage),
    ("severity", Column::Severity),
    ("outcome.result", Column::OutcomeResult),
    ("outcome.reason", Column::OutcomeReason),
    ("actor.id", Column::ActorId),
    ("actor.type", Column::ActorType),
    ("actor.alternateid", Column::ActorAlternateId),
    ("actor.displayname", Column::ActorDisplayName),
    ("client.ipaddress", Column::ClientIp),
    ("client.useragent.rawuseragent", Column::UserAgent),
    ("client.useragent.os", Column::Os),
    ("client.useragent.browser", Column::Browser),
    ("client.zone", Column::Zone),
    ("client.device", Column::Device),
    ("client.geographicalcontext.city", Column::City),
    ("client.geographicalcontext.state", Column::State),
    ("client.geographicalcontext.country", Column::Country),
    ("client.geographicalcontext.postalcode", Column::PostalCode),
    ("client.geographicalcontext.geolocation.lat", Column::Lat),
    ("client.geographicalcontext.geolocation.lon", Column::Lon),
    ("securitycontext.asnumber", Column::AsNumber),
    ("securitycontext.asorg", Column::AsOrg),
    ("securitycontext.isp", Column::Isp),
    ("securitycontext.domain", Column::Domain),
    ("securitycontext.isproxy", Column::IsProxy),
    ("debugcontext.debugdata.requesturi", Column::RequestUri),
    (
        "authenticationcontext.externalsessionid",
        Column::ExternalSessionId,
    ),
    ("transaction.id", Column::TransactionId),
    ("target", Column::TargetList),
];

/// Targets kept from `targetN.*` columns: Okta's export has four.
const MAX_TARGETS: usize = 4;

fn fold_name(name: &str) -> String {
    name.trim()
        .chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

fn column_named(folded: &str) -> Option<Column> {
    if let Some((_, column)) = COLUMNS.iter().find(|(name, _)| *name == folded) {
        return Some(*column);
    }
    // `target0.id` (Admin Console) or `target.0.id` (json_normalize-style).
    let rest = folded.strip_prefix("target")?;
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let (index, field) = rest.split_once('.')?;
    let index: usize = index.parse().ok().filter(|i| *i < MAX_TARGETS)?;
    let field = match field {
        "id" => TargetField::Id,
        "type" => TargetField::Type,
        "alternateid" => TargetField::AlternateId,
        "displayname" => TargetField::DisplayName,
        _ => return None,
    };
    Some(Column::Target(index, field))
}

impl CsvLayout {
    /// Reads a header line (without its line ending). `Err` says why it is not an Okta export.
    pub fn from_header(line: &[u8]) -> Result<CsvLayout, String> {
        let header = std::str::from_utf8(line).map_err(|_| "binary data".to_string())?;
        // A line holds at most one field more than it has bytes.
        let mut names = vec![FieldSpan::default(); line.len() + 1];
        // A name that opens a quote the line does not close is left out, the names before it
        // kept.
        let count = match split_record(line, &mut Delimiters::new(line), 0, &mut names, &[]) {
            Ok((_, count)) | Err(count) => count,
        };
        let folded: Vec<String> = names[..count]
            .iter()
            .map(|f| fold_name(&String::from_utf8_lossy(f.bytes(line))))
            .collect();
        let mut seen = Vec::new();
        let columns: Vec<Option<Column>> = folded
            .iter()
            .map(|name| {
                let column = column_named(name).filter(|c| !seen.contains(c));
                seen.extend(column);
                column
            })
            .collect();
        let missing: Vec<&str> = [
            (Column::Uuid, "uuid"),
            (Column::Published, "timestamp or published"),
            (Column::EventType, "event_type or eventType"),
        ]
        .iter()
        .filter(|(column, _)| !seen.contains(column))
        .map(|(_, name)| *name)
        .collect();
        if missing.len() == 3 {
            return Err("unrecognised content (not JSON, NDJSON or an Okta CSV export)".into());
        }
        if !missing.is_empty() {
            return Err(format!("CSV header lacks {}", missing.join(", ")));
        }
        let style = if folded.iter().any(|n| n == "timestamp")
            || header.contains("event_type")
            || header.contains("alternate_id")
        {
            CsvStyle::AdminConsole
        } else {
            CsvStyle::CamelCase
        };
        Ok(CsvLayout {
            style,
            columns,
            header: line.to_vec(),
        })
    }

    pub fn column_count(&self) -> usize {
        self.columns.len()
    }
}

/// A field's position in the input: `[start, end)`, and whether it held doubled quotes.
#[derive(Debug, Clone, Copy, Default)]
struct FieldSpan {
    start: usize,
    end: usize,
    escaped: bool,
}

impl FieldSpan {
    fn bytes(self, data: &[u8]) -> &[u8] {
        &data[self.start..self.end]
    }
}

/// Finds the commas and newlines of `data` 64 bytes at a time and keeps the block's mask for
/// the fields that follow: fields are mostly short or empty, so one block serves several, where
/// a search per field would pay its set-up each time. The mask is of raw bytes, quoted or not;
/// the splitter only asks from where a field may end.
struct Delimiters<'d> {
    data: &'d [u8],
    /// Offset of the block the masks describe; `block..block + 64` is the range they cover.
    block: usize,
    /// Bit `i` is set when `data[block + i]` is a comma or a newline; none before the first
    /// block is classified.
    mask: u64,
    /// The newlines and the quotes of the block, for stepping over several fields at once.
    newlines: u64,
    quotes: u64,
}

impl<'d> Delimiters<'d> {
    fn new(data: &'d [u8]) -> Delimiters<'d> {
        Delimiters {
            data,
            block: 0,
            mask: 0,
            newlines: 0,
            quotes: 0,
        }
    }

    /// The first comma or newline at or after `pos`, or the end of the data.
    #[inline(always)]
    fn next(&mut self, pos: usize) -> usize {
        let offset = pos.wrapping_sub(self.block);
        if offset < 64 {
            let found = self.mask & (u64::MAX << offset);
            if found != 0 {
                return self.block + found.trailing_zeros() as usize;
            }
        }
        self.next_in_later_blocks(pos)
    }

    /// Steps over up to `count` fields from `pos` with the current block's masks alone: as many
    /// as end in the block before a field that starts with a quote, and not past the end of a
    /// line. Returns where the last one stepped over ends (its comma or newline) and how many
    /// that was, or `None` when not even the first can be (the caller then splits it field by
    /// field). Fields stepped over this way are plain, so field-by-field splitting would end
    /// them at the same delimiters.
    #[inline(always)]
    fn skip_fields(&self, pos: usize, count: u32) -> Option<(usize, u32)> {
        let offset = pos.wrapping_sub(self.block);
        if offset >= 64 {
            return None;
        }
        let ahead = self.mask & (u64::MAX << offset);
        // Up to and including the first newline.
        let line_end = ahead & self.newlines;
        let before_line_end = if line_end == 0 {
            u64::MAX
        } else {
            let first = line_end & line_end.wrapping_neg();
            first | (first - 1)
        };
        // Below the first field start that is a quote: that field is not plain.
        let quoted_starts = (ahead << 1 | 1 << offset) & self.quotes;
        let before_quoted = if quoted_starts == 0 {
            u64::MAX
        } else {
            (quoted_starts & quoted_starts.wrapping_neg()) - 1
        };
        let mut ends = ahead & before_line_end & before_quoted;
        if ends == 0 {
            return None;
        }
        let mut skipped = 1;
        while skipped < count && ends & (ends - 1) != 0 {
            ends &= ends - 1;
            skipped += 1;
        }
        Some((self.block + ends.trailing_zeros() as usize, skipped))
    }

    /// [`Delimiters::next`] when the current block has no delimiter at or after `pos`.
    #[inline(never)]
    fn next_in_later_blocks(&mut self, mut pos: usize) -> usize {
        loop {
            if pos >= self.data.len() {
                return self.data.len();
            }
            self.load(pos);
            if self.mask != 0 {
                return pos + self.mask.trailing_zeros() as usize;
            }
            pos += 64;
        }
    }

    fn load(&mut self, at: usize) {
        self.block = at;
        (self.mask, self.newlines, self.quotes) =
            classify_block(self.data, at, 0, classify_delimiters);
    }
}

/// The commas and newlines, the newlines, and the quotes of a 64-byte block as bit masks.
fn classify_delimiters(block: &[u8; 64]) -> (u64, u64, u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of every x86-64 CPU.
    return unsafe { delimiter_masks(block) };
    #[cfg(not(target_arch = "x86_64"))]
    delimiter_masks(block)
}

/// [`classify_delimiters`] sixteen bytes at a compare.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn delimiter_masks(block: &[u8; 64]) -> (u64, u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let (mut commas, mut newlines, mut quotes) = (0, 0, 0);
    for quarter in 0..4 {
        // SAFETY: the load reads 16 bytes inside `block`, which is 64 bytes long.
        let bytes = unsafe { _mm_loadu_si128(block.as_ptr().add(quarter * 16).cast::<__m128i>()) };
        let mask = |byte: u8| {
            let hits = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(byte as i8));
            u64::from(_mm_movemask_epi8(hits) as u16) << (quarter * 16)
        };
        commas |= mask(b',');
        newlines |= mask(b'\n');
        quotes |= mask(b'"');
    }
    (commas | newlines, newlines, quotes)
}

/// [`classify_delimiters`] a byte at a time.
#[cfg(not(target_arch = "x86_64"))]
fn delimiter_masks(block: &[u8; 64]) -> (u64, u64, u64) {
    let mask = |byte: u8| {
        block
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == byte)
            .fold(0, |mask, (i, _)| mask | 1 << i)
    };
    let newlines = mask(b'\n');
    (mask(b',') | newlines, newlines, mask(b'"'))
}

/// Splits the record starting at `pos`. The span of field `i` goes to `fields[i]` when there
/// is such a slot and `skip` wants it: `skip[i]`, where present, is how many fields from `i`
/// on are not wanted (0 when field `i` is), so that a run of them is stepped over at once.
/// Returns where the next record starts and how many fields the record has, or, when the data
/// ends inside a quoted field, `Err` with how many fields came before that one.
fn split_record(
    data: &[u8],
    delimiters: &mut Delimiters<'_>,
    mut pos: usize,
    fields: &mut [FieldSpan],
    skip: &[u32],
) -> Result<(usize, usize), usize> {
    let mut column = 0;
    loop {
        let run = skip.get(column).copied().unwrap_or(0);
        if run > 0
            && let Some((end, skipped)) = delimiters.skip_fields(pos, run)
        {
            column += skipped as usize;
            match data.get(end) {
                Some(b',') => {
                    pos = end + 1;
                    continue;
                }
                Some(_) => return Ok((end + 1, column)),
                None => return Ok((end, column)),
            }
        }
        let slot = if run == 0 {
            fields.get_mut(column)
        } else {
            None
        };
        column += 1;
        if data.get(pos) == Some(&b'"') {
            let start = pos + 1;
            let mut scan = start;
            let mut escaped = false;
            let end = loop {
                let quote = scan + memchr(b'"', &data[scan..]).ok_or(column - 1)?;
                if data.get(quote + 1) == Some(&b'"') {
                    escaped = true;
                    scan = quote + 2;
                } else {
                    break quote;
                }
            };
            if let Some(slot) = slot {
                *slot = FieldSpan {
                    start,
                    end,
                    escaped,
                };
            }
            pos = end + 1;
            // Anything between the closing quote and the delimiter is not RFC 4180; skip it.
            pos = delimiters.next(pos);
        } else {
            let end = delimiters.next(pos);
            let comma = data.get(end) == Some(&b',');
            if let Some(slot) = slot {
                let trimmed = if !comma && end > pos && data[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                *slot = FieldSpan {
                    start: pos,
                    end: trimmed,
                    escaped: false,
                };
            }
            if comma {
                pos = end + 1;
                continue;
            }
            pos = end;
        }
        match data.get(pos) {
            Some(b',') => pos += 1,
            Some(_) => return Ok((pos + 1, column)),
            None => return Ok((pos, column)),
        }
    }
}

/// Splits the record at `pos` as [`split_record`] does, when it is plain RFC 4180: each quote
/// opens a field, closes it right before its delimiter, or doubles another inside it. The
/// record's 64-byte blocks are classified whole, quotes and all, and its fields are then the
/// delimiters outside quotes, one bit each: no search per field, and no step that waits on
/// the one before. `None` for any other record (a quote inside an unquoted field, text after
/// a closing quote, a record within 64 bytes of the end of the data), which the field-by-field
/// splitter reads as before.
fn split_plain_record(
    data: &[u8],
    pos: usize,
    fields: &mut [FieldSpan],
    skip: &[u32],
) -> Option<(usize, usize)> {
    let mut base = pos;
    // What the blocks before left: inside quotes (all bits), a field start at bit 0 (the
    // record's own start), a closing quote in the byte before.
    let (mut carried_inside, mut carried_start, mut carried_close) = (0u64, 1u64, 0u64);
    let mut column = 0;
    let mut field_start = pos;
    loop {
        let block: &[u8; 64] = data.get(base..base + 64)?.try_into().ok()?;
        let (raw_delimiters, newlines, quotes) = classify_delimiters(block);
        // Most blocks hold no quote: no need to wait on the chain of shifts.
        let inside = if quotes == 0 { 0 } else { prefix_xor(quotes) } ^ carried_inside;
        let delimiters = raw_delimiters & !inside;
        let opening = quotes & inside;
        let closing = quotes & !inside;
        let starts = delimiters << 1 | carried_start;
        let after_close = closing << 1 | carried_close;
        // Up to and including the newline that ends the record.
        let ends = newlines & delimiters;
        let within = if ends == 0 {
            u64::MAX
        } else {
            let end = ends & ends.wrapping_neg();
            end | (end - 1)
        };
        let misplaced_quote = opening & !(starts | after_close);
        let text_after_close = after_close & !quotes & !delimiters;
        if (misplaced_quote | text_after_close) & within != 0 {
            return None;
        }
        let mut field_ends = delimiters & within;
        while field_ends != 0 {
            let end = base + field_ends.trailing_zeros() as usize;
            field_ends &= field_ends - 1;
            if skip.get(column).copied().unwrap_or(0) == 0
                && let Some(slot) = fields.get_mut(column)
            {
                *slot = plain_field(data, field_start, end);
            }
            column += 1;
            field_start = end + 1;
        }
        if ends != 0 {
            return Some((field_start, column));
        }
        carried_inside = (inside >> 63).wrapping_neg();
        carried_start = delimiters >> 63;
        carried_close = closing >> 63;
        base += 64;
    }
}

/// The span of the field `data[start..end]` of a plain record ([`split_plain_record`]): inside
/// its quotes when it is quoted, else without the carriage return of a CRLF line ending.
fn plain_field(data: &[u8], start: usize, end: usize) -> FieldSpan {
    if data.get(start) == Some(&b'"') {
        // A plain quoted field closes right before its delimiter.
        let inner = start + 1..end - 1;
        FieldSpan {
            escaped: memchr(b'"', &data[inner.clone()]).is_some(),
            start: inner.start,
            end: inner.end,
        }
    } else {
        let trimmed = if end > start && data[end] == b'\n' && data[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        FieldSpan {
            start,
            end: trimmed,
            escaped: false,
        }
    }
}

/// For each of `count` columns, how many columns from it on are not wanted (0 when it is):
/// runs of them are stepped over without their spans being taken.
fn skip_runs(count: usize, wanted: impl Fn(usize) -> bool) -> Vec<u32> {
    let mut skip = vec![0u32; count];
    for index in (0..count).rev() {
        if !wanted(index) {
            skip[index] = 1 + skip.get(index + 1).copied().unwrap_or(0);
        }
    }
    skip
}

/// Reads the CSV records of `chunk` (see [`crate::input::Shape::read_chunk`]); the header is
/// not part of any chunk.
pub fn read_records<S: EventSink>(
    data: &[u8],
    chunk: Chunk,
    layout: &CsvLayout,
    parts: Parts,
    out: &mut ChunkOutput<S>,
) {
    // The columns of the parts wanted; the others are split off but not read.
    let wanted: Vec<(usize, Column)> = layout
        .columns
        .iter()
        .enumerate()
        .filter_map(|(index, column)| Some((index, (*column)?)))
        .filter(|(_, column)| parts.has(column.part()))
        .collect();
    let skip = skip_runs(layout.column_count(), |index| {
        wanted.iter().any(|(wanted, _)| *wanted == index)
    });
    let mut fields = vec![FieldSpan::default(); layout.column_count()];
    let mut delimiters = Delimiters::new(data);
    let mut pos = if chunk.known_start {
        chunk.from
    } else {
        next_line_start(data, chunk.from)
    };
    out.start = pos;
    let mut ahead = ReadAhead::default();
    let mut event = Event::new(Cow::Borrowed(""), Timestamp(0), Cow::Borrowed(""));
    let mut targets: [Target<'_>; MAX_TARGETS] = Default::default();
    while pos < chunk.until {
        ahead.reached(data, pos);
        let start = pos;
        if let Some(next) = blank_or_header(data, pos, &layout.header) {
            // Blank lines and headers repeated by concatenated exports hold no record.
            pos = next;
            continue;
        }
        let split = match split_plain_record(data, pos, &mut fields, &skip) {
            Some(split) => Ok(split),
            None => split_record(data, &mut delimiters, pos, &mut fields, &skip),
        };
        let Ok((next, count)) = split else {
            if chunk.at_eof {
                out.problems.push(Problem::new(
                    ProblemKind::Truncated,
                    start,
                    "input ends inside a quoted field",
                ));
                pos = data.len();
            }
            break;
        };
        if !chunk.at_eof && next == data.len() && data.last() != Some(&b'\n') {
            // The record may go on in data not read yet.
            break;
        }
        pos = next;
        if count != layout.column_count() {
            out.problems.push(Problem::new(
                ProblemKind::FieldCount,
                start,
                format!("expected {} fields, found {count}", layout.column_count()),
            ));
            continue;
        }
        let record = match valid_utf8(&data[start..next]) {
            Ok(record) => record,
            Err(error) => {
                out.problems.push(Problem::new(
                    ProblemKind::InvalidUtf8,
                    start + error.valid_up_to(),
                    String::new(),
                ));
                continue;
            }
        };
        match fill_event(record, start, &fields, &wanted, &mut event, &mut targets) {
            Ok(()) => out.sink.event(&event),
            Err((kind, detail)) => out.problems.push(Problem::new(kind, start, detail)),
        }
    }
    out.end = pos;
}

/// `bytes` as text when they are valid UTF-8. A record is checked whole, so the check runs over
/// every byte read: the SIMD validator is two to three times as fast on ASCII as the standard
/// library's, which is consulted only for where invalid input goes wrong.
fn valid_utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    simdutf8::basic::from_utf8(bytes).or_else(|_| std::str::from_utf8(bytes))
}

/// Where the next line starts when the line at `pos` is blank or repeats the header.
fn blank_or_header(data: &[u8], pos: usize, header: &[u8]) -> Option<usize> {
    let rest = &data[pos..];
    let line_end =
        |from: usize| memchr(b'\n', &rest[from..]).map_or(data.len(), |i| pos + from + i + 1);
    match rest.first() {
        Some(b'\n' | b'\r' | b' ' | b'\t') => {
            let end = line_end(0);
            data[pos..end]
                .iter()
                .all(u8::is_ascii_whitespace)
                .then_some(end)
        }
        Some(_) if rest.starts_with(header) => match &rest[header.len()..] {
            [] => Some(data.len()),
            [b'\n', ..] | [b'\r', b'\n', ..] => Some(line_end(header.len())),
            _ => None,
        },
        _ => None,
    }
}

/// A field's text within its record (`record` starts at offset `base` of the data).
fn field_text(record: &str, base: usize, span: FieldSpan) -> Option<Cow<'_, str>> {
    // A bound below `base` wraps around to beyond the record, and is refused with it.
    let range = span.start.wrapping_sub(base)..span.end.wrapping_sub(base);
    let bytes = record.as_bytes().get(range)?;
    debug_assert!(std::str::from_utf8(bytes).is_ok());
    // SAFETY: the splitters only put field bounds next to ASCII delimiters (a comma, a quote,
    // a carriage return, a newline) or at the ends of the record, which are character
    // boundaries of the validated record, so the bytes are valid UTF-8; checking both bounds
    // for that again was 4% of a CSV read. Where they lie is checked above.
    let value = unsafe { std::str::from_utf8_unchecked(bytes) };
    text(if span.escaped {
        Cow::Owned(value.replace("\"\"", "\""))
    } else {
        Cow::Borrowed(value)
    })
}

/// Fills `event` from the wanted fields of a record (`record` starts at offset `base` of the
/// data). One event serves a whole chunk: every wanted column is written, value or none, for
/// each record, and the others are never touched, so nothing of the record before can remain;
/// building and moving a fresh event of some 800 bytes per record was an eighth of the time.
fn fill_event<'a>(
    record: &'a str,
    base: usize,
    fields: &[FieldSpan],
    wanted: &[(usize, Column)],
    event: &mut Event<'a>,
    targets: &mut [Target<'a>; MAX_TARGETS],
) -> Result<(), (ProblemKind, String)> {
    let mut uuid = None;
    let mut published = None;
    let mut event_type = None;
    // Whether the record has a `target` column (a JSON list), and `targetN.*` columns.
    let (mut listed, mut in_columns) = (false, false);
    for (index, column) in wanted {
        let value = fields
            .get(*index)
            .and_then(|span| field_text(record, base, *span));
        match column {
            Column::Uuid => uuid = value,
            Column::Published => published = value,
            Column::EventType => event_type = value,
            Column::LegacyEventType => event.legacy_event_type = value,
            Column::DisplayMessage => event.display_message = value,
            Column::Severity => event.severity = value,
            Column::OutcomeResult => event.outcome.result = value.map(OutcomeResult::parse),
            Column::OutcomeReason => event.outcome.reason = value,
            Column::ActorId => event.actor.id = value,
            Column::ActorType => event.actor.kind = value,
            Column::ActorAlternateId => event.actor.alternate_id = value,
            Column::ActorDisplayName => event.actor.display_name = value,
            Column::ClientIp => event.client.ip_address = value,
            Column::UserAgent => event.client.raw_user_agent = value,
            Column::Os => event.client.os = value,
            Column::Browser => event.client.browser = value,
            Column::Zone => event.client.zone = value,
            Column::Device => event.client.device = value,
            Column::City => event.client.city = value,
            Column::State => event.client.state = value,
            Column::Country => event.client.country = value,
            Column::PostalCode => event.client.postal_code = value,
            Column::Lat => event.client.lat = value.as_deref().and_then(parse_number),
            Column::Lon => event.client.lon = value.as_deref().and_then(parse_number),
            Column::AsNumber => {
                event.security_context.as_number = value.as_deref().and_then(parse_as_number)
            }
            Column::AsOrg => event.security_context.as_org = value,
            Column::Isp => event.security_context.isp = value,
            Column::Domain => event.security_context.domain = value,
            Column::IsProxy => {
                event.security_context.is_proxy = value.as_deref().and_then(parse_bool)
            }
            Column::RequestUri => event.request_uri = value,
            Column::ExternalSessionId => event.external_session_id = value,
            Column::TransactionId => event.transaction_id = value,
            Column::TargetList => {
                listed = true;
                event.targets = value.as_deref().map(targets_from_json).unwrap_or_default()
            }
            Column::Target(index, field) => {
                in_columns = true;
                let target = &mut targets[*index];
                match field {
                    TargetField::Id => target.id = value,
                    TargetField::Type => target.kind = value,
                    TargetField::AlternateId => target.alternate_id = value,
                    TargetField::DisplayName => target.display_name = value,
                }
            }
        }
    }
    if in_columns {
        if !listed {
            event.targets.clear();
        }
        if event.targets.is_empty() {
            let filled = targets.iter().filter(|t| !t.is_empty()).cloned();
            event.targets.extend(filled);
        }
    }
    event.uuid = uuid.ok_or((ProblemKind::MissingField("uuid"), String::new()))?;
    let published = published.ok_or((ProblemKind::MissingField("published"), String::new()))?;
    event.published = Timestamp::parse(&published)
        .ok_or_else(|| (ProblemKind::BadTime, format!("{published:?}")))?;
    event.event_type = event_type.ok_or((ProblemKind::MissingField("eventType"), String::new()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of a field, its doubled quotes undone.
    fn text_of(span: FieldSpan, data: &[u8]) -> String {
        let value = String::from_utf8_lossy(span.bytes(data)).into_owned();
        if span.escaped {
            value.replace("\"\"", "\"")
        } else {
            value
        }
    }

    fn fields(line: &str) -> Vec<String> {
        let bytes = line.as_bytes();
        let mut spans = vec![FieldSpan::default(); 16];
        let (_, count) = split_record(bytes, &mut Delimiters::new(bytes), 0, &mut spans, &[])
            .expect("complete record");
        spans[..count].iter().map(|s| text_of(*s, bytes)).collect()
    }

    /// A seeded generator of numbers below the limit it is given (a linear congruential one:
    /// the tests need variety, not quality).
    fn numbers_below(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |limit| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % limit
        }
    }

    /// Reads `csv` (header first) with every part and gives, per event, its actor, its
    /// outcome and its targets' ids.
    fn read_all(csv: &str) -> Vec<(Option<String>, Option<String>, Vec<String>)> {
        struct Rows(Vec<(Option<String>, Option<String>, Vec<String>)>);
        impl EventSink for Rows {
            fn event(&mut self, event: &Event<'_>) {
                let ids = event.targets.iter().map(|t| t.id.as_deref());
                self.0.push((
                    event.actor.alternate_id.as_deref().map(str::to_string),
                    event.outcome.result.as_ref().map(|r| format!("{r:?}")),
                    ids.map(|id| id.unwrap_or("-").to_string()).collect(),
                ));
            }
        }
        let data = csv.as_bytes();
        let header_end = memchr(b'\n', data).expect("a header line");
        let layout = CsvLayout::from_header(&data[..header_end]).expect("an Okta header");
        let chunk = Chunk {
            from: header_end + 1,
            until: data.len(),
            known_start: true,
            at_eof: true,
        };
        let mut out = ChunkOutput::empty(Rows(Vec::new()), chunk.from);
        read_records(data, chunk, &layout, Parts::ALL, &mut out);
        assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
        out.sink.0
    }

    /// One event is filled record after record: nothing of a record may show in the next,
    /// whatever its fields leave empty or it lacks.
    #[test]
    fn no_field_of_a_record_carries_over_to_the_next() {
        let rows = read_all(
            "uuid,published,eventType,actor.alternateId,outcome.result,target,target0.id\n\
             u1,2024-05-01T00:00:00Z,x,ann,FAILURE,\"[{\"\"id\"\":\"\"listed\"\"}]\",column\n\
             u2,2024-05-01T00:00:00Z,x,,,,column\n\
             u3,2024-05-01T00:00:00Z,x,bob,SUCCESS,,\n\
             u4,2024-05-01T00:00:00Z,,carl,DENY,,\n\
             u5,2024-05-01T00:00:00Z,x,,,,\n",
        );
        assert_eq!(
            rows,
            [
                (
                    Some("ann".into()),
                    Some("Failure".into()),
                    vec!["listed".into()]
                ),
                (None, None, vec!["column".into()]),
                (Some("bob".into()), Some("Success".into()), vec![]),
                (None, None, vec![]),
            ]
        );
        let rows = read_all(
            "uuid,published,eventType,target0.id,target1.id\n\
             u1,2024-05-01T00:00:00Z,x,a,b\n\
             u2,2024-05-01T00:00:00Z,x,,c\n\
             u3,2024-05-01T00:00:00Z,x,,\n\
             u4,2024-05-01T00:00:00Z\n",
        );
        let targets: Vec<Vec<String>> = rows.into_iter().map(|(_, _, ids)| ids).collect();
        assert_eq!(targets, [vec!["a", "b"], vec!["c"], vec![]]);
    }

    #[test]
    fn splits_rfc4180_records() {
        assert_eq!(fields("a,b,c\n"), ["a", "b", "c"]);
        assert_eq!(fields("a,,c\r\n"), ["a", "", "c"]);
        assert_eq!(
            fields(r#""x, y","say ""hi""",z"#),
            ["x, y", r#"say "hi""#, "z"]
        );
        assert_eq!(fields("\"multi\nline\",2\n"), ["multi\nline", "2"]);
        assert_eq!(fields("a,b,\n"), ["a", "b", ""]);
        assert_eq!(fields("\"\"\n"), [""]);
    }

    /// The splitter on records whose fields fall anywhere against the 64-byte blocks of the
    /// delimiter masks: fields from empty to longer than two blocks, quoted (with commas,
    /// newlines and doubled quotes inside) or not, CRLF or LF, several records in a row
    /// sharing blocks, the last one without a line ending; the wanted fields taken and runs
    /// of the others stepped over.
    #[test]
    fn splits_fields_across_delimiter_blocks() {
        let mut next = numbers_below(7);
        for _ in 0..300 {
            let mut data = String::new();
            let mut expected: Vec<Vec<String>> = Vec::new();
            let records = 1 + next(4);
            for record in 0..records {
                let mut row = Vec::new();
                for field in 0..1 + next(6) {
                    if field > 0 {
                        data.push(',');
                    }
                    let length = [0, 1, 7, 63, 64, 65, 150][next(7) as usize];
                    let mut value: String = (0..length)
                        .map(|i| (b'a' + (i % 26) as u8) as char)
                        .collect();
                    if next(3) == 0 {
                        let at = next(value.len() as u64 + 1) as usize;
                        value.insert_str(at, [",", "\n", "\"", "x"][next(4) as usize]);
                        data.push('"');
                        data.push_str(&value.replace('"', "\"\""));
                        data.push('"');
                    } else {
                        data.push_str(&value);
                    }
                    row.push(value);
                }
                if record + 1 < records || next(2) == 0 {
                    data.push_str(if next(2) == 0 { "\r\n" } else { "\n" });
                }
                expected.push(row);
            }
            let bytes = data.as_bytes();
            // Runs of unwanted fields to step over, as the reader builds them.
            let wanted: Vec<bool> = (0..8).map(|_| next(3) == 0).collect();
            let skip = skip_runs(wanted.len(), |index| wanted[index]);
            let mut delimiters = Delimiters::new(bytes);
            let mut pos = 0;
            for row in &expected {
                let mut spans = vec![FieldSpan::default(); 8];
                let (next, count) =
                    split_record(bytes, &mut delimiters, pos, &mut spans, &skip).unwrap();
                pos = next;
                assert_eq!(count, row.len(), "in {data:?}");
                for (index, value) in row.iter().enumerate().filter(|(i, _)| wanted[*i]) {
                    assert_eq!(&text_of(spans[index], bytes), value, "in {data:?}");
                }
            }
            assert_eq!(pos, bytes.len(), "in {data:?}");
        }
    }

    /// The whole-record splitter against the field-by-field one, on random text made of the
    /// bytes that matter (commas, quotes, CR, LF) among letters: wherever it takes a record,
    /// it must split it exactly as the other does, and it must take every plain one (short of
    /// the data's last 64 bytes).
    #[test]
    fn the_plain_splitter_agrees_with_the_field_splitter() {
        let mut next = numbers_below(11);
        let mut taken = 0;
        for round in 0..3000 {
            // Half the rounds plain records (quoted fields doubling their quotes), half noise.
            let plain = round % 2 == 0;
            let mut data = Vec::new();
            for _ in 0..next(400) {
                if plain {
                    let field = b"abcdefghij,\n\"".repeat(1 + next(12) as usize);
                    let field = &field[..next(field.len() as u64) as usize];
                    if field.iter().any(|b| b"\",\n".contains(b)) {
                        data.push(b'"');
                        for &b in field {
                            if b == b'"' {
                                data.push(b'"');
                            }
                            data.push(b);
                        }
                        data.push(b'"');
                    } else {
                        data.extend_from_slice(field);
                    }
                    data.push([b',', b',', b',', b'\n'][next(4) as usize]);
                } else {
                    data.push(b"aaaaaa,,,\"\"\n\rx"[next(13) as usize]);
                }
            }
            let wanted: Vec<bool> = (0..40).map(|_| next(3) == 0).collect();
            let skip = skip_runs(wanted.len(), |index| wanted[index]);
            let mut delimiters = Delimiters::new(&data);
            let mut pos = 0;
            while pos < data.len() {
                let mut expected = vec![FieldSpan::default(); 40];
                let Ok(split) = split_record(&data, &mut delimiters, pos, &mut expected, &skip)
                else {
                    break;
                };
                let mut spans = vec![FieldSpan::default(); 40];
                let fast = split_plain_record(&data, pos, &mut spans, &skip);
                if plain && split.0 + 64 <= data.len() {
                    assert!(fast.is_some(), "plain, at {pos} of {data:?}");
                }
                if let Some(fast) = fast {
                    taken += 1;
                    assert_eq!(
                        fast,
                        split,
                        "at {pos} of {:?}",
                        String::from_utf8_lossy(&data)
                    );
                    for index in (0..split.1.min(40)).filter(|&i| wanted[i]) {
                        assert_eq!(
                            (spans[index].start, spans[index].end, spans[index].escaped),
                            (
                                expected[index].start,
                                expected[index].end,
                                expected[index].escaped
                            ),
                            "field {index} at {pos} of {:?}",
                            String::from_utf8_lossy(&data)
                        );
                    }
                }
                pos = split.0;
            }
        }
        assert!(taken > 50_000, "{taken} records taken");
    }

    /// A header line whose last name opens a quote it never closes (the line was cut at a
    /// newline inside it) keeps the names before it, as it did before the splitter took masks.
    #[test]
    fn a_header_ending_inside_a_quote_keeps_the_names_before_it() {
        let layout = CsvLayout::from_header(b"uuid,published,eventType,\"oops").unwrap();
        assert_eq!(layout.column_count(), 3);
    }

    #[test]
    fn header_styles_and_refusals() {
        let admin =
            CsvLayout::from_header(b"severity,event_type,uuid,timestamp,actor.alternate_id")
                .unwrap();
        assert_eq!(admin.style, CsvStyle::AdminConsole);
        let camel =
            CsvLayout::from_header(b"\"uuid\",published,eventType,actor.alternateId").unwrap();
        assert_eq!(camel.style, CsvStyle::CamelCase);
        assert_eq!(
            CsvLayout::from_header(b"published,eventType").unwrap_err(),
            "CSV header lacks uuid"
        );
        assert_eq!(
            CsvLayout::from_header(b"Event Type,Description").unwrap_err(),
            "unrecognised content (not JSON, NDJSON or an Okta CSV export)"
        );
    }
}
