//! The parallel driver: cuts each input into chunks at record boundaries, reads chunks on rayon
//! workers, removes duplicate events in input order, and folds the rest into mergeable
//! aggregates, also on the workers. Output does not depend on thread count or chunk size.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::dedup::{FingerprintSet, window_of};
use crate::error::Error;
use crate::event::{Event, Parts};
use crate::filter::Filter;
use crate::input::gunzip::may_have_cut;
use crate::input::problem::{Problem, ProblemKind};
use crate::input::source::{
    InputPath, Mapped, Opened, Source, describe_io, expand, file_facts, hex_digest,
};
use crate::input::{Chunk, ChunkOutput, Detected, EventSink, Shape, detect};
use crate::memory::release_freed;
use crate::time::Timestamp;

/// A fold over events that can be split across workers and merged back in input order.
pub trait Aggregate: Send {
    /// The parts of each event that [`Aggregate::add`] reads; the readers skip the rest.
    const PARTS: Parts = Parts::ALL;
    /// Chunks of a mapped file read in parallel before their events are counted, which bounds
    /// memory: a batch's pages stay resident until it is read, and each chunk has an aggregate
    /// of its own until the batch is counted. Each batch ends with the workers waiting for one
    /// another: at 8 chunks that idled 8% of a 2-thread run, at 16 (8 MB more pages) 3%.
    /// Aggregates that are large per chunk take fewer.
    const CHUNKS_PER_BATCH: usize = 16;
    /// How many times [`Options::chunk_size`] a chunk is. Each chunk folds into an aggregate
    /// of its own, merged into the run's in input order: an aggregate that is costly to merge
    /// (many tallies keyed by text) takes fewer, larger chunks.
    const CHUNK_SCALE: usize = 1;
    /// The part of [`Aggregate::PARTS`] that `add` reads only for the events
    /// [`Aggregate::needs_parts`] accepts: the JSON reader steps over it and goes back for it
    /// when an event needs it, which spares walking its objects in most events. None when
    /// most events need it (going back would double the work).
    fn deferrable(&self) -> Parts {
        Parts::CORE
    }
    /// Whether `add` reads [`Aggregate::deferrable`] parts for `event`, of which only the
    /// other fields are read yet. A question of the event and the aggregate's settings, not of
    /// what it has counted.
    fn needs_parts(&self, _event: &Event<'_>) -> bool {
        true
    }
    fn add(&mut self, event: &Event<'_>);
    fn merge(&mut self, later: Self);
}

/// How a run reads its inputs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Events before this instant are left out of the aggregates (they still count as read).
    pub since: Option<Timestamp>,
    /// Events at or after this instant are left out of the aggregates.
    pub until: Option<Timestamp>,
    /// Events that do not match are left out of the aggregates (they still count as read).
    pub filter: Option<Arc<Filter>>,
    /// Make the first skipped record an error.
    pub strict: bool,
    /// Compute each input's SHA-256.
    pub hash: bool,
    /// Target chunk size in bytes; chunks end at the first record end past it.
    pub chunk_size: usize,
    /// Examples of each kind of skipped record reported per file.
    pub examples_per_kind: usize,
    /// Longest record read from a stream (gzip, standard input): one that goes on longer is
    /// reported and the rest of that input left unread, rather than held in memory whole.
    pub max_record: usize,
}

impl Options {
    /// Whether `t` is within `--since` and `--until`.
    fn in_range(&self, t: Timestamp) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            since: None,
            until: None,
            filter: None,
            strict: false,
            hash: false,
            chunk_size: 1 << 20,
            examples_per_kind: 3,
            max_record: 256 << 20,
        }
    }
}

/// What was read from one input: the chain-of-custody facts a report starts with. Its JSON
/// (`summary`'s `files`, `report`'s `inputs`) is a public contract.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FileReport {
    #[serde(rename = "path")]
    pub name: String,
    /// The detected shape, with `+gzip` when compressed; `None` when the file was refused.
    pub shape: Option<String>,
    /// Size on disk (compressed size for gzip).
    pub bytes: u64,
    /// Distinct events read (duplicates not included).
    pub events: u64,
    /// Events already read from an earlier input or earlier in this one.
    pub duplicates: u64,
    /// Events left out by `--since`/`--until`.
    pub outside_range: u64,
    /// Events within the range that `--filter` left out.
    pub filtered_out: u64,
    pub skipped: BTreeMap<String, u64>,
    /// The time range the file covers, duplicates included.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub sha256: Option<String>,
    /// Why the file could not be read, when it could not.
    pub error: Option<String>,
    /// Warnings to print: the first few skipped records of each kind, with their position.
    #[serde(skip)]
    pub messages: Vec<String>,
}

impl FileReport {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// The result of a run: the merged aggregate and a report per input.
pub struct Run<A> {
    pub aggregate: A,
    pub files: Vec<FileReport>,
}

/// Chunks of a stream read at once. Streams are read batch after batch, not overlapped with
/// counting, and parsing waits for a batch to be decompressed: 16 was 17% slower on gzip.
const CHUNKS_PER_STREAM_BATCH: usize = 8;
/// Batches between two releases of freed memory ([`release_freed`]): often enough that what the
/// workers free does not pile up, seldom enough that pages are not handed back and faulted in
/// again for every batch.
const BATCHES_PER_RELEASE: usize = 16;
/// Bytes a stream reader hands over at a time.
const BLOCK_SIZE: usize = 1 << 22;

/// Reads every input and folds its events into one aggregate made by `make`.
pub fn run<A, F>(
    paths: &[std::path::PathBuf],
    options: &Options,
    progress: &ProgressBar,
    make: F,
) -> Result<Run<A>, Error>
where
    A: Aggregate,
    F: Fn() -> A + Sync,
{
    let mut state = State {
        seen: FingerprintSet::default(),
        inputs: Vec::new(),
        aggregate: make(),
        options,
        batches: 0,
    };
    let mut files = Vec::new();
    for input in expand(paths) {
        let report = match input {
            Err((name, reason)) => FileReport {
                name,
                error: Some(reason),
                ..FileReport::default()
            },
            Ok(input) => read_input(&input, &mut state, progress, &make)?,
        };
        if options.strict
            && let Some(error) = &report.error
        {
            return Err(Error::Input(report.name, error.clone()));
        }
        files.push(report);
    }
    Ok(Run {
        aggregate: state.aggregate,
        files,
    })
}

/// Reads an export held in memory, as if it were a file named `name`: for tests and for
/// callers that already hold the bytes.
pub fn read_bytes<A, F>(
    name: &str,
    data: &[u8],
    options: &Options,
    make: F,
) -> Result<Run<A>, Error>
where
    A: Aggregate,
    F: Fn() -> A + Sync,
{
    let mut state = State {
        seen: FingerprintSet::default(),
        inputs: Vec::new(),
        aggregate: make(),
        options,
        batches: 0,
    };
    let mut report = FileReport {
        name: name.to_string(),
        bytes: data.len() as u64,
        ..FileReport::default()
    };
    read_mapped(
        data,
        |_, _| (),
        Some(Again::Borrowed(data)),
        &mut report,
        &mut state,
        &ProgressBar::hidden(),
        &make,
    )?;
    Ok(Run {
        aggregate: state.aggregate,
        files: vec![report],
    })
}

struct State<'o, 'd, A> {
    /// Events already seen: overlapping exports repeat events whole.
    seen: FingerprintSet<ChunkSource>,
    /// The inputs read so far that can be read again, for the fingerprints `seen` evicted.
    inputs: Vec<Rereadable<'d>>,
    aggregate: A,
    options: &'o Options,
    /// Batches merged, for releasing freed memory every [`BATCHES_PER_RELEASE`].
    batches: usize,
}

/// An input whose chunks can be read again.
struct Rereadable<'d> {
    bytes: Again<'d>,
    shape: Shape,
}

/// How an input is read again: from the bytes a caller holds, or by opening its file again,
/// to map it or, gzip, to decompress it again from the start. No file is held open or mapped
/// meanwhile: a run may read more files than a process may map.
enum Again<'d> {
    Borrowed(&'d [u8]),
    Mapped(FileId),
    Gzip(FileId),
}

/// A file as it was when read: one that has changed since cannot be read again.
struct FileId {
    path: std::path::PathBuf,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileId {
    /// The regular file at `path` as it is now.
    fn of(path: &std::path::Path) -> Option<FileId> {
        let metadata = path.metadata().ok().filter(|m| m.is_file())?;
        Some(FileId {
            path: path.to_path_buf(),
            len: metadata.len(),
            modified: metadata.modified().ok(),
        })
    }

    /// Opens the file again, unchanged.
    fn open(&self) -> Result<std::fs::File, Error> {
        let file = std::fs::File::open(&self.path).map_err(|e| self.failed(&describe_io(&e)))?;
        let metadata = file.metadata().map_err(|e| self.failed(&describe_io(&e)))?;
        if metadata.len() != self.len || metadata.modified().ok() != self.modified {
            return Err(self.failed("it changed while authsift ran"));
        }
        Ok(file)
    }

    fn failed(&self, why: &str) -> Error {
        Error::Input(
            self.path.display().to_string(),
            format!("could not be read again to find repeated events: {why}"),
        )
    }
}

/// The records a chunk of one of [`State::inputs`] held, `start..end` of the (decompressed)
/// input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ChunkSource {
    input: usize,
    /// Its place among the input's chunks that held events: a chunk without (the unfinished
    /// tail of a stream's batch, a chunk smaller than a record) breaks no stretch.
    ordinal: usize,
    start: usize,
    end: usize,
}

impl crate::dedup::Source for ChunkSource {
    fn follows(&self, earlier: &Self) -> bool {
        self.input == earlier.input && self.ordinal == earlier.ordinal + 1
    }
}

/// Per-file bookkeeping while its chunks are merged.
struct FileState<'r> {
    /// The file among [`State::inputs`]; `None` for a stream, which cannot be read again.
    input: Option<usize>,
    /// Its chunks that held events, counted so far.
    chunks_counted: usize,
    report: &'r mut FileReport,
    lines: LineCounter,
    /// Offset of the current buffer within the (decompressed) input.
    buffer_offset: u64,
}

/// Line numbers for warnings, counted only as far as a warning needs: most files have none.
#[derive(Default)]
struct LineCounter {
    /// Newlines before `offset`.
    counted: u64,
    /// Offset into the current buffer up to which newlines are counted.
    offset: usize,
}

impl LineCounter {
    /// The 1-based line of `offset` in `data`; offsets must not go backwards.
    fn line_of(&mut self, data: &[u8], offset: usize) -> u64 {
        if offset > self.offset {
            self.counted += count_lines(&data[self.offset..offset]);
            self.offset = offset;
        }
        self.counted + 1
    }

    /// Counts up to `consumed`, then shifts to a buffer whose first `consumed` bytes are gone.
    fn rebase(&mut self, data: &[u8], consumed: usize) {
        self.line_of(data, consumed);
        self.offset -= consumed;
    }
}

fn read_input<'d, A, F>(
    input: &InputPath,
    state: &mut State<'_, 'd, A>,
    progress: &ProgressBar,
    make: &F,
) -> Result<FileReport, Error>
where
    A: Aggregate,
    F: Fn() -> A + Sync,
{
    let mut report = FileReport {
        name: input.display(),
        ..FileReport::default()
    };
    let source = match Source::open(input, state.options.hash) {
        Ok(source) => source,
        Err(error) => {
            report.error = Some(describe_io(&error));
            return Ok(report);
        }
    };
    let progress_base = progress.position();
    let gzip = source.gzip;
    let raw_read = source.raw_read;
    let raw_hash = source.raw_hash;
    match source.opened {
        Opened::Mapped(mapped) => {
            report.bytes = mapped.bytes().len() as u64;
            // A file that could not be mapped was read into memory whole: not again.
            let again = match (input, &mapped) {
                (InputPath::File(path), Mapped::Map(_)) => FileId::of(path).map(Again::Mapped),
                _ => None,
            };
            let hash = std::thread::scope(|scope| {
                let hasher = state.options.hash.then(|| scope.spawn(|| mapped.sha256()));
                let release = |start, end| mapped.release(start, end);
                let result = read_mapped(
                    mapped.bytes(),
                    release,
                    again,
                    &mut report,
                    state,
                    progress,
                    make,
                );
                let hash = hasher.and_then(|h| h.join().ok());
                result.map(|()| hash)
            })?;
            report.sha256 = hash;
        }
        Opened::Stream(reader) => {
            // A gzip file can be decompressed again; standard input, or a pipe, cannot.
            let again = match input {
                InputPath::File(path) if gzip => FileId::of(path),
                _ => None,
            };
            let stream = Stream {
                reader,
                gzip,
                again,
            };
            read_stream(stream, &raw_read, &mut report, state, progress, make)?;
            report.bytes = raw_read.load(Ordering::Relaxed);
            report.sha256 = raw_hash
                .and_then(|h| std::sync::Arc::try_unwrap(h).ok())
                .and_then(|m| m.into_inner().ok())
                .map(hex_digest);
            // Decompression that failed stopped reading the file where it failed; its size
            // and hash are still those of the whole file.
            if let (Some(_), InputPath::File(path)) = (&report.error, input) {
                match file_facts(path, state.options.hash) {
                    Ok((bytes, sha256)) => {
                        report.bytes = bytes;
                        report.sha256 = sha256;
                    }
                    Err(error) => {
                        let read = report.error.take().unwrap_or_default();
                        let again = describe_io(&error);
                        report.error =
                            Some(format!("{read}; reading it whole for its hash: {again}"));
                    }
                }
            }
        }
    }
    progress.set_position(progress_base + report.bytes);
    Ok(report)
}

/// Records why a file could not be read in full; with `--strict` that ends the run.
fn fail(report: &mut FileReport, reason: String, strict: bool) -> Result<(), Error> {
    if strict {
        return Err(Error::Input(report.name.clone(), reason));
    }
    report.error = Some(reason);
    Ok(())
}

fn read_mapped<'d, A, F>(
    data: &[u8],
    release: impl Fn(usize, usize) + Sync,
    again: Option<Again<'d>>,
    report: &mut FileReport,
    state: &mut State<'_, 'd, A>,
    progress: &ProgressBar,
    make: &F,
) -> Result<(), Error>
where
    A: Aggregate,
    F: Fn() -> A + Sync,
{
    let Detected { shape, body_start } = match detect(data) {
        Ok(detected) => detected,
        Err(reason) => {
            return fail(
                report,
                format!("not an Okta export: {reason}"),
                state.options.strict,
            );
        }
    };
    report.shape = Some(shape.to_string());
    let input = again.map(|bytes| {
        state.inputs.push(Rereadable {
            bytes,
            shape: shape.clone(),
        });
        state.inputs.len() - 1
    });
    let mut file = FileState {
        input,
        chunks_counted: 0,
        report,
        lines: LineCounter::default(),
        buffer_offset: 0,
    };
    let base = progress.position();
    let options = state.options;
    let batch_bytes = chunk_bytes::<A>(options) * A::CHUNKS_PER_BATCH;
    // Each batch is read by the workers while the one before it is counted, which is
    // sequential work that would otherwise leave them idle. Its pages are released once read
    // rather than once counted, so that one batch is resident, not two when counting lags
    // behind (a busy machine: 27 MB instead of up to 43): counting reads the input again only
    // for a skipped record's line or a chunk with repeats, and releases it again.
    let mut counting: Option<Batch<'_, A>> = None;
    let mut start = body_start;
    loop {
        let (read, counted) = rayon::join(
            || {
                (start < data.len()).then(|| {
                    let until = (start + batch_bytes).min(data.len());
                    let batch = read_batch(data, (start, until), true, &shape, options, make);
                    release(start, batch.end);
                    batch
                })
            },
            || -> Result<(), Error> {
                let Some(batch) = counting.take() else {
                    return Ok(());
                };
                let (start, end) = (batch.start, batch.end);
                count_batch(data, batch, &shape, &mut file, state, make)?;
                release(start, end);
                progress.set_position(base + end as u64);
                Ok(())
            },
        );
        counted?;
        match read {
            Some(batch) => {
                start = batch.end;
                counting = Some(batch);
            }
            None => return Ok(()),
        }
    }
}

/// A stream to read: decompressed gzip, or standard input; `again`, the gzip file, when it
/// can be read again.
struct Stream {
    reader: Box<dyn Read + Send>,
    gzip: bool,
    again: Option<FileId>,
}

fn read_stream<'d, A, F>(
    Stream {
        reader,
        gzip,
        again,
    }: Stream,
    raw_read: &AtomicU64,
    report: &mut FileReport,
    state: &mut State<'_, 'd, A>,
    progress: &ProgressBar,
    make: &F,
) -> Result<(), Error>
where
    A: Aggregate,
    F: Fn() -> A + Sync,
{
    let strict = state.options.strict;
    let base = progress.position();
    std::thread::scope(|scope| {
        // The receiving end lives in this closure: when reading ends early (an error), it is
        // dropped before the scope waits for the reader thread, whose next send then fails
        // instead of blocking forever.
        let (sender, blocks) = mpsc::sync_channel::<std::io::Result<Vec<u8>>>(2);
        scope.spawn(move || pump(reader, sender));
        // A failure comes with whether it may have cut the last record read before it.
        let next_block = |buffer: &mut Vec<u8>| -> Result<bool, (String, bool)> {
            match blocks.recv() {
                Ok(Ok(block)) => {
                    buffer.extend_from_slice(&block);
                    Ok(true)
                }
                Ok(Err(error)) => Err((describe_io(&error), may_have_cut(&error))),
                Err(_) => Ok(false),
            }
        };
        let mut buffer: Vec<u8> = Vec::new();
        let mut eof = false;
        // A stream that breaks off (a truncated or corrupt gzip file) is still read up to the
        // break, and the failure reported after.
        let mut broken_off = None;
        let mut cut = false;
        // Enough bytes to recognise the shape from.
        while !eof && buffer.len() < 1 << 16 {
            match next_block(&mut buffer) {
                Ok(more) => eof = !more,
                Err((reason, _)) if buffer.is_empty() || strict => {
                    return fail(report, format!("read failed: {reason}"), strict);
                }
                Err((reason, may_have_cut)) => {
                    broken_off = Some(format!(
                        "read failed after {} bytes: {reason}",
                        buffer.len()
                    ));
                    cut = may_have_cut;
                    eof = true;
                }
            }
        }
        let Detected { shape, body_start } = match detect(&buffer) {
            Ok(detected) => detected,
            Err(reason) => {
                let reason = broken_off.unwrap_or(format!("not an Okta export: {reason}"));
                return fail(report, reason, strict);
            }
        };
        report.shape = Some(if gzip {
            format!("{shape}+gzip")
        } else {
            shape.to_string()
        });
        let input = again.map(|path| {
            state.inputs.push(Rereadable {
                bytes: Again::Gzip(path),
                shape: shape.clone(),
            });
            state.inputs.len() - 1
        });
        if let Some(reason) = broken_off {
            fail(report, reason, strict)?;
        }
        let mut file = FileState {
            input,
            chunks_counted: 0,
            report,
            lines: LineCounter::default(),
            buffer_offset: 0,
        };
        let mut start = body_start;
        loop {
            if eof || buffer.len() - start >= state.options.chunk_size * CHUNKS_PER_STREAM_BATCH {
                // A CSV row cut inside its last field still splits into fields: when the
                // stream broke off inside its data, the text after the last whole row is a
                // cut record.
                let cut_row = eof && cut && matches!(shape, Shape::Csv(_));
                let batch = read_batch(
                    &buffer,
                    (start, buffer.len()),
                    eof && !cut_row,
                    &shape,
                    state.options,
                    make,
                );
                let end = batch.end;
                count_batch(&buffer, batch, &shape, &mut file, state, make)?;
                if eof {
                    if cut_row {
                        report_cut_record(&buffer, end, &mut file, state.options)?;
                    }
                    return Ok(());
                }
                if end == start && buffer.len() - start > state.options.max_record {
                    let at = file.buffer_offset + start as u64;
                    let limit = state.options.max_record;
                    return fail(
                        file.report,
                        format!(
                            "a record of more than {limit} bytes starts at byte {at}: the rest \
                             of the input was not read"
                        ),
                        strict,
                    );
                }
                file.lines.rebase(&buffer, end);
                buffer.drain(..end);
                file.buffer_offset += end as u64;
                start = 0;
                progress.set_position(base + raw_read.load(Ordering::Relaxed));
            }
            match next_block(&mut buffer) {
                Ok(more) => eof = !more,
                Err((reason, may_have_cut)) => {
                    cut = may_have_cut;
                    let at = file.buffer_offset + buffer.len() as u64;
                    fail(
                        file.report,
                        format!("read failed after {at} bytes: {reason}"),
                        strict,
                    )?;
                    eof = true;
                }
            }
        }
    })
}

/// Reports what follows `end` in `data`, the last whole record of a stream that broke off, as
/// one truncated record.
fn report_cut_record(
    data: &[u8],
    end: usize,
    file: &mut FileState<'_>,
    options: &Options,
) -> Result<(), Error> {
    let rest = data.get(end..).unwrap_or_default();
    let Some(first) = rest.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Ok(());
    };
    let cut = Problem::new(
        ProblemKind::Truncated,
        end + first,
        format!(
            "{} bytes, the input breaks off inside the record",
            rest.len() - first
        ),
    );
    report_problems(
        data,
        &[cut],
        file.report,
        &mut file.lines,
        file.buffer_offset,
        options,
    )
}

/// Reads a stream into blocks on its own thread, so decompression overlaps parsing.
fn pump(mut reader: Box<dyn Read + Send>, sender: mpsc::SyncSender<std::io::Result<Vec<u8>>>) {
    loop {
        let mut block = vec![0u8; BLOCK_SIZE];
        let mut filled = 0;
        while filled < BLOCK_SIZE {
            match reader.read(&mut block[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    // What was read before the failure is read like the rest.
                    block.truncate(filled);
                    if filled == 0 || sender.send(Ok(block)).is_ok() {
                        let _ = sender.send(Err(error));
                    }
                    return;
                }
            }
        }
        if filled == 0 {
            return;
        }
        block.truncate(filled);
        if sender.send(Ok(block)).is_err() {
            return;
        }
    }
}

fn count_lines(data: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', data).count() as u64
}

/// The parts of an event read for `A` and the filter: the first read of a chunk and its
/// refold must read the same, so that they see the same events.
fn parts_read<A: Aggregate>(options: &Options) -> Parts {
    A::PARTS.with(options.filter.as_ref().map_or(Parts::CORE, |f| f.parts()))
}

/// The size of `A`'s chunks.
fn chunk_bytes<A: Aggregate>(options: &Options) -> usize {
    options.chunk_size.max(1) * A::CHUNK_SCALE
}

/// What became of an event a worker read, for the pass in input order that counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    OutsideRange,
    FilteredOut,
    Folded,
}

/// Folds a chunk's events into an aggregate as they are read, before it is known which are
/// duplicates: that is asked of the fingerprints when the batch is counted ([`count_batch`]),
/// and a chunk that folded a duplicate is folded again without it.
struct ChunkFold<'o, A> {
    options: &'o Options,
    aggregate: A,
    fingerprints: Vec<u64>,
    /// The [`window_of`] each event, for its fingerprint.
    windows: Vec<i64>,
    fates: Vec<Fate>,
    /// The time range of the chunk's events, duplicates included.
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl<'o, A> ChunkFold<'o, A> {
    fn new(options: &'o Options, aggregate: A) -> Self {
        ChunkFold {
            options,
            aggregate,
            fingerprints: Vec::new(),
            windows: Vec::new(),
            fates: Vec::new(),
            first: None,
            last: None,
        }
    }
}

/// The parts of [`Aggregate::deferrable`] read only for the events that need them: none with a
/// filter, which may read any part of every event.
fn deferrable<A: Aggregate>(options: &Options, aggregate: &A) -> Parts {
    if options.filter.is_some() {
        Parts::CORE
    } else {
        aggregate.deferrable()
    }
}

/// Whether the deferred parts of `event` are read: when it is in the time range and the
/// aggregate needs them. [`Refold`] must answer as the first read did.
fn needs_parts<A: Aggregate>(options: &Options, aggregate: &A, event: &Event<'_>) -> bool {
    options.in_range(event.published) && aggregate.needs_parts(event)
}

impl<A: Aggregate> EventSink for ChunkFold<'_, A> {
    fn deferrable(&self) -> Parts {
        deferrable(self.options, &self.aggregate)
    }

    fn needs_parts(&self, event: &Event<'_>) -> bool {
        needs_parts(self.options, &self.aggregate, event)
    }

    fn event(&mut self, event: &Event<'_>) {
        let t = event.published;
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        let options = self.options;
        let fate = if !options.in_range(t) {
            Fate::OutsideRange
        } else if !options.filter.as_deref().is_none_or(|f| f.matches(event)) {
            Fate::FilteredOut
        } else {
            self.aggregate.add(event);
            Fate::Folded
        };
        self.fingerprints.push(event.fingerprint());
        self.windows.push(window_of(t));
        self.fates.push(fate);
    }
}

/// Folds a chunk again, when it folded a duplicate the first time: only the events marked in
/// `fold`, by their place in the chunk.
struct Refold<'k, A> {
    options: &'k Options,
    fold: &'k [bool],
    next: usize,
    aggregate: A,
}

impl<A: Aggregate> EventSink for Refold<'_, A> {
    fn deferrable(&self) -> Parts {
        deferrable(self.options, &self.aggregate)
    }

    fn needs_parts(&self, event: &Event<'_>) -> bool {
        needs_parts(self.options, &self.aggregate, event)
    }

    fn event(&mut self, event: &Event<'_>) {
        if self.fold.get(self.next) == Some(&true) {
            self.aggregate.add(event);
        }
        self.next += 1;
    }
}

/// Reads a chunk again for the fingerprints of its events alone ([`restore_evicted`]): which
/// parts are deferred is asked of the aggregate as in the first reading, which gives the same
/// events, but nothing is folded.
struct Fingerprints<'o, A> {
    options: &'o Options,
    aggregate: A,
    /// Each event's fingerprint and [`window_of`].
    read: Vec<(u64, i64)>,
}

impl<A: Aggregate> EventSink for Fingerprints<'_, A> {
    fn deferrable(&self) -> Parts {
        deferrable(self.options, &self.aggregate)
    }

    fn needs_parts(&self, event: &Event<'_>) -> bool {
        needs_parts(self.options, &self.aggregate, event)
    }

    fn event(&mut self, event: &Event<'_>) {
        self.read
            .push((event.fingerprint(), window_of(event.published)));
    }
}

/// A batch read and folded by the workers, not yet counted: its chunks as read, and where the
/// next batch begins.
struct Batch<'o, A> {
    start: usize,
    end: usize,
    chunks: Vec<Chunk>,
    outputs: Vec<ChunkOutput<ChunkFold<'o, A>>>,
}

/// Reads the records that begin in `data[start..until]`, where `start` is a record boundary,
/// and returns them with where the next record begins. The range is cut into chunks read in
/// parallel, each finding its own first record and folding its events as it reads them; a
/// chunk whose first record is not where the previous one ended (its guess fell inside a
/// record) is read again from the right place. With `at_eof` false, a record cut off at the
/// end of `data` is left unread. Nothing here touches the de-duplication state, so a mapped
/// file's next batch is read while the previous one is counted ([`count_batch`]).
fn read_batch<'o, A, F>(
    data: &[u8],
    (start, until): (usize, usize),
    at_eof: bool,
    shape: &Shape,
    options: &'o Options,
    make: &F,
) -> Batch<'o, A>
where
    A: Aggregate,
    F: Fn() -> A + Sync,
{
    let size = chunk_bytes::<A>(options);
    let parts = parts_read::<A>(options);
    let mut chunks: Vec<Chunk> = (start..until)
        .step_by(size)
        .map(|from| Chunk {
            from,
            until: (from + size).min(until),
            known_start: from == start,
            at_eof,
        })
        .collect();
    let read =
        |chunk: &Chunk| shape.read_chunk(data, *chunk, parts, ChunkFold::new(options, make()));
    let mut outputs: Vec<ChunkOutput<ChunkFold<'_, A>>> = chunks.par_iter().map(read).collect();
    let mut next = start;
    for (chunk, output) in chunks.iter_mut().zip(outputs.iter_mut()) {
        if next >= chunk.until {
            // The previous chunk's last record reaches past this whole chunk.
            *output = ChunkOutput::empty(ChunkFold::new(options, make()), next);
        } else if output.start != next {
            *chunk = Chunk {
                from: next,
                known_start: true,
                ..*chunk
            };
            *output = read(chunk);
        }
        next = output.end.max(next);
    }
    Batch {
        start,
        end: next,
        chunks,
        outputs,
    }
}

/// Counts a batch read by [`read_batch`] into its file's report and folds it into the run's
/// aggregate, in input order: problems are reported, duplicates found (of earlier batches,
/// asked of the fingerprints in parallel, then within the batch), and a chunk that folded a
/// duplicate is folded again without it.
fn count_batch<'d, A, F>(
    data: &[u8],
    batch: Batch<'_, A>,
    shape: &Shape,
    file: &mut FileState<'_>,
    state: &mut State<'_, 'd, A>,
    make: &F,
) -> Result<(), Error>
where
    A: Aggregate,
    F: Fn() -> A + Sync,
{
    let Batch {
        chunks,
        mut outputs,
        ..
    } = batch;
    let options = state.options;
    let parts = parts_read::<A>(options);
    restore_evicted(&outputs, state, make)?;
    let seen = &state.seen;
    // Mutable only because aggregates need be `Send`, not `Sync`; nothing is changed here.
    let earlier: Vec<Vec<bool>> = outputs
        .par_iter_mut()
        .map(|output| seen.contains_all(&output.sink.fingerprints, &output.sink.windows))
        .collect();
    let mut refolds: Vec<(usize, Vec<bool>)> = Vec::new();
    let mut counts = Counts::default();
    for (index, (output, earlier)) in outputs.iter_mut().zip(&earlier).enumerate() {
        report_problems(
            data,
            &output.problems,
            file.report,
            &mut file.lines,
            file.buffer_offset,
            options,
        )?;
        if output.sink.fingerprints.is_empty() {
            continue;
        }
        file.chunks_counted += 1;
        // A chunk that ends in a cut record reports its end a byte past the data (where the
        // record's line end would be): the data is all that can be read again.
        let source = file.input.map(|input| ChunkSource {
            input,
            ordinal: file.chunks_counted,
            start: file.buffer_offset as usize + output.start,
            end: file.buffer_offset as usize + output.end.min(data.len()),
        });
        let chunk = &mut output.sink;
        for t in [chunk.first, chunk.last].into_iter().flatten() {
            file.report.first = Some(file.report.first.map_or(t, |f| f.min(t)));
            file.report.last = Some(file.report.last.map_or(t, |l| l.max(t)));
        }
        let mut duplicate_folded = false;
        let mut kept = Vec::with_capacity(chunk.fates.len());
        for (((&fingerprint, &window), &fate), &seen) in chunk
            .fingerprints
            .iter()
            .zip(&chunk.windows)
            .zip(&chunk.fates)
            .zip(earlier)
        {
            let new = state.seen.add(fingerprint, window, seen, source);
            counts.add(new, fate);
            duplicate_folded |= !new && fate == Fate::Folded;
            kept.push(new && fate == Fate::Folded);
        }
        if duplicate_folded {
            if kept.contains(&true) {
                refolds.push((index, kept));
            } else {
                // Nothing of it is to be folded: no need to read it again.
                chunk.aggregate = make();
            }
        }
    }
    counts.record(file.report);
    let refolded: Vec<(usize, A)> = refolds
        .par_iter()
        .map(|(index, kept)| {
            let refold = Refold {
                options,
                fold: kept,
                next: 0,
                aggregate: make(),
            };
            let output = shape.read_chunk(data, chunks[*index], parts, refold);
            (*index, output.sink.aggregate)
        })
        .collect();
    let mut aggregates: Vec<A> = outputs.into_iter().map(|o| o.sink.aggregate).collect();
    for (index, aggregate) in refolded {
        aggregates[index] = aggregate;
    }
    state.seen.end_batch();
    if let Some(folded) = aggregates
        .into_par_iter()
        .reduce_with(|mut earlier, later| {
            earlier.merge(later);
            earlier
        })
    {
        state.aggregate.merge(folded);
    }
    state.batches += 1;
    if state.batches.is_multiple_of(BATCHES_PER_RELEASE) {
        release_freed();
    }
    Ok(())
}

/// Reads again, from the chunks they were read from, the fingerprints that `state.seen`
/// evicted from the windows of time the events of `outputs` fall in. A gzip file is
/// decompressed again from its start, so when one must be, every window read from it is
/// restored or kept at once, and it is read again at most once.
fn restore_evicted<A, F>(
    outputs: &[ChunkOutput<ChunkFold<'_, A>>],
    state: &mut State<'_, '_, A>,
    make: &F,
) -> Result<(), Error>
where
    A: Aggregate,
    F: Fn() -> A + Sync,
{
    let windows = outputs.iter().flat_map(|output| {
        let windows = &output.sink.windows;
        // Events in time order share their window with the one before.
        windows
            .iter()
            .enumerate()
            .filter(|&(i, w)| i == 0 || windows[i - 1] != *w)
            .map(|(_, &w)| w)
    });
    let mut evicted = state.seen.evicted(windows);
    if evicted.is_empty() {
        return Ok(());
    }
    // The chunks read again hold other windows' events too: every evicted window they feed is
    // restored with them, and the others are kept from now on, so that no chunk is read again
    // twice. A gzip file is read again whole, so that goes for every window read from it.
    let inputs = &state.inputs;
    let mut sources: Vec<ChunkSource> = Vec::new();
    let mut gzips: Vec<usize> = Vec::new();
    loop {
        sources.extend(
            evicted
                .iter()
                .flat_map(|(_, sources)| sources.iter().copied()),
        );
        sources.sort_unstable();
        sources.dedup();
        gzips.extend(
            sources
                .iter()
                .map(|source| source.input)
                .filter(|&input| matches!(inputs[input].bytes, Again::Gzip(_))),
        );
        gzips.sort_unstable();
        gzips.dedup();
        let fed = state.seen.evicted_from(|source| {
            sources.binary_search(source).is_ok() || gzips.binary_search(&source.input).is_ok()
        });
        let before = evicted.len();
        evicted.extend(fed);
        evicted.sort_unstable_by_key(|&(window, _)| window);
        evicted.dedup_by_key(|&mut (window, _)| window);
        if evicted.len() == before {
            break;
        }
    }
    let wanted: Vec<i64> = evicted.iter().map(|&(window, _)| window).collect();
    let in_wanted = |&(_, window): &(u64, i64)| wanted.binary_search(&window).is_ok();
    let options = state.options;
    let parts = parts_read::<A>(options);
    let inputs = &state.inputs;
    let fingerprints_of = |input: &Rereadable<'_>, data: &[u8], start: usize, end: usize| {
        let chunk = Chunk {
            from: start,
            until: end,
            known_start: true,
            at_eof: true,
        };
        let sink = Fingerprints {
            options,
            aggregate: make(),
            read: Vec::new(),
        };
        let output = input.shape.read_chunk(data, chunk, parts, sink);
        output.sink.read.into_iter().filter(in_wanted)
    };
    let mut read: Vec<(u64, i64)> = Vec::new();
    let mut of_input = &sources[..];
    while let Some(first) = of_input.first() {
        let count = of_input.partition_point(|source| source.input == first.input);
        let (these, later) = of_input.split_at(count);
        of_input = later;
        let input = &inputs[first.input];
        // Each chunk's pages handed back once read, as in the first reading.
        let from_data = |data: &[u8], release: &(dyn Fn(usize, usize) + Sync)| {
            these
                .par_iter()
                .flat_map_iter(|source| {
                    let read: Vec<(u64, i64)> =
                        fingerprints_of(input, data, source.start, source.end).collect();
                    release(source.start, source.end);
                    read
                })
                .collect::<Vec<(u64, i64)>>()
        };
        match &input.bytes {
            Again::Borrowed(data) => read.extend(from_data(data, &|_, _| ())),
            Again::Mapped(file) => {
                let file_id = file;
                let file = file_id.open()?;
                // SAFETY: as for the first reading (`Source::open`): read-only, and a file
                // changed since is refused above.
                let map = unsafe { memmap2::Mmap::map(&file) }
                    .map_err(|e| file_id.failed(&describe_io(&e)))?;
                let mapped = Mapped::Map(map);
                read.extend(from_data(mapped.bytes(), &|start, end| {
                    mapped.release(start, end)
                }));
            }
            Again::Gzip(file) => {
                let failed = |e: std::io::Error| file.failed(&describe_io(&e));
                let mut reader = crate::input::source::gunzip(file.open()?);
                let mut at = 0;
                for source in these {
                    let skip = source.start.saturating_sub(at) as u64;
                    let skipped =
                        std::io::copy(&mut (&mut reader).take(skip), &mut std::io::sink());
                    if skipped.map_err(failed)? != skip {
                        return Err(failed(std::io::ErrorKind::UnexpectedEof.into()));
                    }
                    let mut bytes = vec![0; source.end - source.start];
                    reader.read_exact(&mut bytes).map_err(failed)?;
                    at = source.end;
                    read.extend(fingerprints_of(input, &bytes, 0, bytes.len()));
                }
            }
        }
    }
    read.sort_unstable_by_key(|&(_, window)| window);
    let mut rest = read.as_slice();
    for window in wanted {
        let count = rest.partition_point(|&(_, w)| w <= window);
        let (of_window, later) = rest.split_at(count);
        state
            .seen
            .restore(window, of_window.iter().map(|&(f, _)| f));
        rest = later;
    }
    Ok(())
}

/// A batch's events by what became of them, added to its file's report once counted.
#[derive(Default)]
struct Counts {
    events: u64,
    duplicates: u64,
    outside_range: u64,
    filtered_out: u64,
}

impl Counts {
    fn add(&mut self, new: bool, fate: Fate) {
        if !new {
            self.duplicates += 1;
            return;
        }
        self.events += 1;
        match fate {
            Fate::OutsideRange => self.outside_range += 1,
            Fate::FilteredOut => self.filtered_out += 1,
            Fate::Folded => {}
        }
    }

    fn record(&self, report: &mut FileReport) {
        report.events += self.events;
        report.duplicates += self.duplicates;
        report.outside_range += self.outside_range;
        report.filtered_out += self.filtered_out;
    }
}

/// Counts a chunk's skipped records by kind and keeps the first few of each as warnings (with
/// `--strict`, the first one is the error).
fn report_problems(
    data: &[u8],
    problems: &[Problem],
    report: &mut FileReport,
    lines: &mut LineCounter,
    buffer_offset: u64,
    options: &Options,
) -> Result<(), Error> {
    for problem in problems {
        let count = report.skipped.entry(problem.kind.to_string()).or_insert(0);
        *count += 1;
        if !options.strict && *count > options.examples_per_kind as u64 {
            continue;
        }
        let line = lines.line_of(data, problem.offset);
        let detail = if problem.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", problem.detail)
        };
        let message = format!(
            "{}:{line}: skipped record ({}{detail}) at byte {}",
            report.name,
            problem.kind,
            buffer_offset + problem.offset as u64
        );
        if options.strict {
            return Err(Error::Strict(message));
        }
        report.messages.push(message);
    }
    Ok(())
}
