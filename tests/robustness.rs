//! No input makes the reader panic: every fixture cut at every length and with bytes changed at
//! random (a fixed-seed generator, so failures repeat) is read in large and in tiny chunks, and
//! the chunk size never changes what is read.

mod common;

use authsift::event::{Event, Parts};
use authsift::pipeline::{Aggregate, FileReport, Options, read_bytes};
use common::{Collect, testdata};

/// A small deterministic generator (xorshift64*), so that a failing case can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Collects the uuids of the events read with only the parts every command reads, so that
/// every object the others read goes through the structure scan instead.
#[derive(Default)]
struct CollectCore(Vec<String>);

impl Aggregate for CollectCore {
    const PARTS: Parts = Parts::CORE;

    fn add(&mut self, event: &Event<'_>) {
        self.0.push(event.uuid.to_string());
    }

    fn merge(&mut self, later: CollectCore) {
        self.0.extend(later.0);
    }
}

fn read<A: Aggregate>(
    data: &[u8],
    chunk_size: usize,
    make: impl Fn() -> A + Sync,
) -> (A, FileReport) {
    let options = Options {
        chunk_size,
        ..Options::default()
    };
    let mut run = read_bytes("input", data, &options, make).expect("not strict");
    (run.aggregate, run.files.remove(0))
}

/// Reads `data` whole and in 13-byte chunks: the same events and skips either way, whether
/// every part of an event is read or only the core. Reading less skips no more records.
fn read_all(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (whole, whole_report) = read(data, 1 << 20, Collect::default);
    let (chunked, chunked_report) = read(data, 13, Collect::default);
    assert_eq!(chunked.0, whole.0, "{text:?}");
    assert_eq!(chunked_report.skipped, whole_report.skipped, "{text:?}");

    let (core, core_report) = read(data, 1 << 20, CollectCore::default);
    let (core_chunked, core_chunked_report) = read(data, 13, CollectCore::default);
    assert_eq!(core_chunked.0, core.0, "{text:?}");
    assert_eq!(core_chunked_report.skipped, core_report.skipped, "{text:?}");
    assert!(
        core_report.skipped_total() <= whole_report.skipped_total(),
        "{text:?}"
    );

    let mut core_uuids = core.0.iter();
    for event in &whole.0 {
        let uuid = event["uuid"].as_str().expect("a uuid");
        assert!(
            core_uuids.any(|u| u == uuid),
            "{uuid} read in full but not in core: {text:?}"
        );
    }
}

const FIXTURES: [&str; 6] = [
    "shapes/events.json",
    "shapes/pages.json",
    "shapes/events.ndjson",
    "shapes/events-admin.csv",
    "shapes/events-camel.csv",
    "shapes/events-hook.json",
];

#[test]
fn every_truncation_is_read_without_panic() {
    for name in FIXTURES {
        let data = std::fs::read(testdata(name)).unwrap();
        for len in 0..data.len() {
            read_all(&data[..len]);
        }
    }
}

#[test]
fn random_corruption_is_read_without_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    const INTERESTING: &[u8] = b"{}[]\",:\\\n\r\x00\xff\xef\xbb\xbf 0aZ";
    for name in FIXTURES {
        let original = std::fs::read(testdata(name)).unwrap();
        for _ in 0..300 {
            let mut data = original.clone();
            for _ in 0..1 + rng.next() % 8 {
                let at = (rng.next() % data.len() as u64) as usize;
                let byte = INTERESTING[(rng.next() % INTERESTING.len() as u64) as usize];
                match rng.next() % 3 {
                    0 => data[at] = byte,
                    1 => {
                        data.remove(at);
                    }
                    _ => data.insert(at, byte),
                }
            }
            read_all(&data);
        }
    }
}

/// A stream whose record never ends is not held in memory whole: past `max_record` bytes the
/// rest of the input is reported unread, and what came before still counts.
#[test]
fn a_never_ending_record_in_a_stream_is_reported_not_buffered() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("endless.ndjson.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&std::fs::read(testdata("shapes/events.ndjson")).unwrap())
        .unwrap();
    gz.write_all(b"{\"uuid\":\"").unwrap();
    for _ in 0..(8 << 20) / 64 {
        gz.write_all(&[b'a'; 64]).unwrap();
    }
    gz.finish().unwrap();
    let options = Options {
        max_record: 1 << 20,
        chunk_size: 64 << 10,
        ..Options::default()
    };
    let run = common::read(std::slice::from_ref(&path), &options);
    assert_eq!(run.aggregate.0.len(), 4);
    assert_eq!(
        run.files[0].error.as_deref(),
        Some(
            "a record of more than 1048576 bytes starts at byte 4479: the rest of the input was not read"
        )
    );
}

/// An NDJSON line cut short inside a value no command reads (`request`), outside a string: the
/// lines after it balance out, so its brackets never close. In a stream it is one broken line,
/// as in a file, not a record that runs on past `max_record` and ends the input.
#[test]
fn a_line_cut_short_inside_an_unread_value_costs_that_line_in_a_stream_too() {
    use std::io::Write;
    let events = std::fs::read(testdata("shapes/events.ndjson")).unwrap();
    let first = events.split(|&b| b == b'\n').next().unwrap();
    let cut = first
        .windows(22)
        .position(|w| w == b"\"request\":{\"ipChain\":[")
        .expect("the fixture has a request")
        + 22;
    let mut data = first[..cut].to_vec();
    data.push(b'\n');
    while data.len() < 3 << 20 {
        data.extend_from_slice(&events);
    }
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("cut.ndjson");
    std::fs::write(&plain, &data).unwrap();
    let gzipped = dir.path().join("cut.ndjson.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&gzipped).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&data).unwrap();
    gz.finish().unwrap();
    let options = Options {
        max_record: 1 << 20,
        chunk_size: 64 << 10,
        ..Options::default()
    };
    let file = common::read(std::slice::from_ref(&plain), &options);
    let stream = common::read(std::slice::from_ref(&gzipped), &options);
    assert_eq!(file.files[0].error, None);
    assert_eq!(stream.files[0].error, None);
    assert_eq!(stream.files[0].skipped, file.files[0].skipped);
    assert_eq!(stream.files[0].skipped_total(), 1);
    assert_eq!(
        stream.files[0].events + stream.files[0].duplicates,
        file.files[0].events + file.files[0].duplicates
    );
    assert_eq!(stream.aggregate.0, file.aggregate.0);
}

/// Workers fold events as they read them, before the duplicates within their batch are known;
/// a chunk that folded a repeat is folded again without it. Whatever the chunk size (the whole
/// input in one chunk, a few records per chunk, or records straddling chunks), an input that
/// repeats its events gives the events of the input without repeats, each once, and counts
/// every repeat as a duplicate, inside and outside `--since`.
#[test]
fn repeats_within_a_batch_are_folded_once() {
    let sample: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(testdata("okta-sample.json")).unwrap()).unwrap();
    let lines: Vec<Vec<u8>> = sample
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap())
        .collect();
    let events = lines.join(&b'\n');
    let mut repeated = Vec::new();
    let mut repeats = 0;
    for (i, line) in lines.iter().enumerate() {
        repeated.extend_from_slice(line);
        repeated.push(b'\n');
        // Every third event again, and every seventh the one five places back.
        let agains = [
            (i % 3 == 0).then_some(i),
            (i % 7 == 0).then(|| i.saturating_sub(5)),
        ];
        for again in agains.into_iter().flatten() {
            repeated.extend_from_slice(&lines[again]);
            repeated.push(b'\n');
            repeats += 1;
        }
    }
    let since = authsift::time::Timestamp::parse("2024-05-01T12:00:00Z");
    for since in [None, since] {
        let options = |chunk_size| Options {
            chunk_size,
            since,
            ..Options::default()
        };
        let plain = read_bytes("plain", &events, &options(1 << 20), Collect::default).unwrap();
        assert_eq!(plain.files[0].duplicates, 0);
        for chunk_size in [1 << 20, 4096, 700, 13] {
            let run = read_bytes(
                "repeated",
                &repeated,
                &options(chunk_size),
                Collect::default,
            )
            .unwrap();
            let (file, expected) = (&run.files[0], &plain.files[0]);
            assert_eq!(file.duplicates, repeats, "chunk size {chunk_size}");
            assert_eq!(file.events, expected.events, "chunk size {chunk_size}");
            assert_eq!(file.outside_range, expected.outside_range);
            assert_eq!(
                run.aggregate.0, plain.aggregate.0,
                "chunk size {chunk_size}"
            );
        }
    }
}

/// Past the point where de-duplication merges its fingerprints into the sorted array (65,536),
/// with batches read while the previous one is counted: every repeat of an earlier batch is
/// found there, and each event is folded once, in input order, at any chunk size.
#[test]
fn repeats_of_merged_fingerprints_are_found_across_pipelined_batches() {
    let line = |i: u32| {
        format!(
            r#"{{"uuid":"00000000-0000-4000-8000-{i:012x}","published":"2024-05-01T00:00:00Z","eventType":"x"}}"#
        )
    };
    let order: Vec<u32> = (0..80_000).chain(0..20_000).chain(70_000..80_000).collect();
    let data: String = order.iter().map(|&i| line(i) + "\n").collect();
    let expected: Vec<String> = (0..80_000)
        .map(|i| format!("00000000-0000-4000-8000-{i:012x}"))
        .collect();
    for chunk_size in [64 << 10, 1 << 20] {
        let (uuids, report) = read(data.as_bytes(), chunk_size, CollectCore::default);
        assert_eq!(report.events, 80_000, "chunk size {chunk_size}");
        assert_eq!(report.duplicates, 30_000, "chunk size {chunk_size}");
        assert!(
            uuids.0 == expected,
            "chunk size {chunk_size}: events differ"
        );
    }
}
