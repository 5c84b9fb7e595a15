//! The parallel driver: cuts each input into chunks at record boundaries, reads chunks on rayon
//! workers, removes duplicate events in input order, and folds the rest into mergeable
//! aggregates, also on the workers. Output does not depend on thread count or chunk size.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::dedup::FingerprintSet;
use crate::error::Error;
use crate::event::{Event, Parts};
use crate::filter::Filter;
use crate::input::source::{InputPath, Opened, Source, describe_io, expand, hex_digest};
use crate::input::{Chunk, ChunkOutput, Detected, Shape, detect};
use crate::memory::release_freed;
use crate::time::Timestamp;

/// A fold over events that can be split across workers and merged back in input order.
pub trait Aggregate: Send {
    /// The parts of each event that [`Aggregate::add`] reads; the readers skip the rest.
    const PARTS: Parts = Parts::ALL;
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

/// Chunks read in parallel before their events are merged; bounds memory.
const CHUNKS_PER_BATCH: usize = 8;
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

struct State<'o, A> {
    /// Events already seen: overlapping exports repeat events whole.
    seen: FingerprintSet,
    aggregate: A,
    options: &'o Options,
    /// Batches merged, for releasing freed memory every [`BATCHES_PER_RELEASE`].
    batches: usize,
}

/// Per-file bookkeeping while its chunks are merged.
struct FileState<'r> {
    report: &'r mut FileReport,
    shape: Shape,
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

fn read_input<A, F>(
    input: &InputPath,
    state: &mut State<'_, A>,
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
            let hash = std::thread::scope(|scope| {
                let hasher = state.options.hash.then(|| scope.spawn(|| mapped.sha256()));
                let release = |start, end| mapped.release(start, end);
                let result =
                    read_mapped(mapped.bytes(), release, &mut report, state, progress, make);
                let hash = hasher.and_then(|h| h.join().ok());
                result.map(|()| hash)
            })?;
            report.sha256 = hash;
        }
        Opened::Stream(reader) => {
            read_stream(reader, gzip, &raw_read, &mut report, state, progress, make)?;
            report.bytes = raw_read.load(Ordering::Relaxed);
            report.sha256 = raw_hash
                .and_then(|h| std::sync::Arc::try_unwrap(h).ok())
                .and_then(|m| m.into_inner().ok())
                .map(hex_digest);
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

fn read_mapped<A, F>(
    data: &[u8],
    release: impl Fn(usize, usize),
    report: &mut FileReport,
    state: &mut State<'_, A>,
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
    let mut file = FileState {
        report,
        lines: LineCounter::default(),
        shape,
        buffer_offset: 0,
    };
    let base = progress.position();
    let mut start = body_start;
    while start < data.len() {
        let batch_end = (start + state.options.chunk_size * CHUNKS_PER_BATCH).min(data.len());
        let end = merge_batch(data, start, batch_end, true, &mut file, state, make)?;
        release(start, end);
        progress.set_position(base + end as u64);
        start = end;
    }
    Ok(())
}

fn read_stream<A, F>(
    reader: Box<dyn Read + Send>,
    gzip: bool,
    raw_read: &AtomicU64,
    report: &mut FileReport,
    state: &mut State<'_, A>,
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
        let next_block = |buffer: &mut Vec<u8>| -> Result<bool, String> {
            match blocks.recv() {
                Ok(Ok(block)) => {
                    buffer.extend_from_slice(&block);
                    Ok(true)
                }
                Ok(Err(error)) => Err(describe_io(&error)),
                Err(_) => Ok(false),
            }
        };
        let mut buffer: Vec<u8> = Vec::new();
        let mut eof = false;
        // Enough bytes to recognise the shape from.
        while !eof && buffer.len() < 1 << 16 {
            match next_block(&mut buffer) {
                Ok(more) => eof = !more,
                Err(reason) => return fail(report, format!("read failed: {reason}"), strict),
            }
        }
        let Detected { shape, body_start } = match detect(&buffer) {
            Ok(detected) => detected,
            Err(reason) => return fail(report, format!("not an Okta export: {reason}"), strict),
        };
        report.shape = Some(if gzip {
            format!("{shape}+gzip")
        } else {
            shape.to_string()
        });
        let mut file = FileState {
            report,
            lines: LineCounter::default(),
            shape,
            buffer_offset: 0,
        };
        let mut start = body_start;
        loop {
            if eof || buffer.len() - start >= state.options.chunk_size * CHUNKS_PER_BATCH {
                let end = merge_batch(&buffer, start, buffer.len(), eof, &mut file, state, make)?;
                if eof {
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
                Err(reason) => {
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
                    let _ = sender.send(Err(error));
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

/// Reads the records that begin in `data[start..until]`, where `start` is a record boundary,
/// and returns where the next record begins. The range is cut into chunks read in parallel,
/// each finding its own first record; a chunk whose first record is not where the previous one
/// ended (its guess fell inside a record) is read again from the right place. Then duplicates
/// are removed and the time range applied in input order, and the filter applied and what
/// remains folded in parallel. With `at_eof` false, a record cut off at the end of `data` is
/// left unread.
fn merge_batch<A, F>(
    data: &[u8],
    start: usize,
    until: usize,
    at_eof: bool,
    file: &mut FileState<'_>,
    state: &mut State<'_, A>,
    make: &F,
) -> Result<usize, Error>
where
    A: Aggregate,
    F: Fn() -> A + Sync,
{
    let shape = &file.shape;
    let size = state.options.chunk_size.max(1);
    let parts = A::PARTS.with(
        state
            .options
            .filter
            .as_ref()
            .map_or(Parts::CORE, |f| f.parts()),
    );
    let chunks: Vec<Chunk> = (start..until)
        .step_by(size)
        .map(|from| Chunk {
            from,
            until: (from + size).min(until),
            known_start: from == start,
            at_eof,
        })
        .collect();
    let mut outputs: Vec<ChunkOutput<'_>> = chunks
        .par_iter()
        .map(|chunk| shape.read_chunk(data, *chunk, parts))
        .collect();
    let mut next = start;
    for (chunk, output) in chunks.iter().zip(outputs.iter_mut()) {
        if next >= chunk.until {
            // The previous chunk's last record reaches past this whole chunk.
            *output = ChunkOutput {
                start: next,
                end: next,
                ..ChunkOutput::default()
            };
        } else if output.start != next {
            *output = shape.read_chunk(
                data,
                Chunk {
                    from: next,
                    known_start: true,
                    ..*chunk
                },
                parts,
            );
        }
        next = output.end.max(next);
    }
    let options = state.options;
    // Which events an earlier batch already had, asked of the merged fingerprints in parallel;
    // the rest are added in input order below.
    let seen = &state.seen;
    let merged: Vec<Vec<bool>> = outputs
        .par_iter()
        .map(|output| {
            output
                .fingerprints
                .iter()
                .map(|f| seen.contains_merged(*f))
                .collect()
        })
        .collect();
    let mut keep: Vec<Vec<bool>> = Vec::with_capacity(outputs.len());
    for (output, merged) in outputs.iter().zip(&merged) {
        for problem in &output.problems {
            let count = file
                .report
                .skipped
                .entry(problem.kind.to_string())
                .or_insert(0);
            *count += 1;
            if !options.strict && *count > options.examples_per_kind as u64 {
                continue;
            }
            let line = file.lines.line_of(data, problem.offset);
            let detail = if problem.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", problem.detail)
            };
            let message = format!(
                "{}:{line}: skipped record ({}{detail}) at byte {}",
                file.report.name,
                problem.kind,
                file.buffer_offset + problem.offset as u64
            );
            if options.strict {
                return Err(Error::Strict(message));
            }
            file.report.messages.push(message);
        }
        let mut chunk_keep = Vec::with_capacity(output.events.len());
        for ((event, fingerprint), merged) in
            output.events.iter().zip(&output.fingerprints).zip(merged)
        {
            let t = event.published;
            file.report.first = Some(file.report.first.map_or(t, |f| f.min(t)));
            file.report.last = Some(file.report.last.map_or(t, |l| l.max(t)));
            if *merged || !state.seen.insert_unmerged(*fingerprint) {
                file.report.duplicates += 1;
                chunk_keep.push(false);
                continue;
            }
            file.report.events += 1;
            let in_range =
                options.since.is_none_or(|s| t >= s) && options.until.is_none_or(|u| t < u);
            if !in_range {
                file.report.outside_range += 1;
            }
            chunk_keep.push(in_range);
        }
        keep.push(chunk_keep);
    }
    state.seen.merge_if_due();
    let filter = options.filter.as_deref();
    let folded = outputs
        .par_iter()
        .zip(keep.par_iter())
        .map(|(output, keep)| {
            let mut aggregate = make();
            let mut filtered_out = 0;
            for (event, _) in output.events.iter().zip(keep).filter(|(_, k)| **k) {
                if filter.is_none_or(|f| f.matches(event)) {
                    aggregate.add(event);
                } else {
                    filtered_out += 1;
                }
            }
            (aggregate, filtered_out)
        })
        .reduce_with(|(mut earlier, earlier_out), (later, later_out)| {
            earlier.merge(later);
            (earlier, earlier_out + later_out)
        });
    if let Some((folded, filtered_out)) = folded {
        state.aggregate.merge(folded);
        file.report.filtered_out += filtered_out;
    }
    drop(outputs);
    state.batches += 1;
    if state.batches.is_multiple_of(BATCHES_PER_RELEASE) {
        release_freed();
    }
    Ok(next)
}
