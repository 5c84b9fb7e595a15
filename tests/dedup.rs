//! Duplicates are found exactly, whatever the order of the inputs: the fingerprints of an hour
//! of event time that the reader left behind are dropped from memory and read again from the
//! input when a later event falls in that hour, and the fingerprints of hours with a few events
//! are settled together (`src/dedup.rs`). Small chunks make the batches small, so that the hours
//! of the first file are dropped or settled long before the second file repeats some of them.

mod common;

use authsift::pipeline::Options;
use common::{read, testdata};

/// `early.ndjson`: 36 events in each hour from 00:00 to 04:00, more than an hour settles with,
/// and 6 in each from 05:00 to 09:00. `overlap.ndjson`: hours 08:00 and 09:00 again (12
/// repeats), 12 events at 10:00 and 11:00, then 3 repeats and 2 new events at 01:00 (an hour
/// dropped and read back), a new event at 00:00, and 2 repeats and a new event at 06:00 (an
/// hour settled).
#[test]
fn repeats_of_hours_read_long_before_are_found_at_every_chunk_size() {
    found_at_every_chunk_size(["dedup/early.ndjson", "dedup/overlap.ndjson"]);
}

/// A gzip file's hours are read again by decompressing it again.
#[test]
fn repeats_of_hours_of_a_gzip_file_are_found_at_every_chunk_size() {
    found_at_every_chunk_size(["dedup/early.ndjson.gz", "dedup/overlap.ndjson"]);
    found_at_every_chunk_size(["dedup/early.ndjson", "dedup/overlap.ndjson.gz"]);
    found_at_every_chunk_size(["dedup/early.ndjson.gz", "dedup/overlap.ndjson.gz"]);
}

/// `tail-cut.ndjson.gz`: 1,000 events in hour 13:00, the last of them cut.
/// `later-hours.ndjson.gz`: 12,000 events from 15:00 on, enough for hour 13:00 to be dropped.
/// `tail-again.ndjson`: a repeat of the 969th event, so hour 13:00 is read back from the gzip
/// file, the chunk ending in the cut record included. Regression: that chunk was read again a
/// byte past the data, and the run stopped with an error.
#[test]
fn repeats_of_an_hour_of_a_gzip_file_ending_in_a_cut_record_are_found() {
    read_back_up_to_the_cut("dedup/tail-cut.ndjson.gz", 999);
}

/// The same 1,000 events gzipped, the compressed data cut at 97%: the file is read up to the
/// break, and read back up to it. 971 whole lines come out (by Python's zlib).
#[test]
fn repeats_of_an_hour_of_a_gzip_file_that_breaks_off_are_found() {
    read_back_up_to_the_cut("dedup/tail-broken.ndjson.gz", 971);
}

/// Reads `cut` (holding `events` whole events, then a cut one) with `later-hours.ndjson.gz` and
/// `tail-again.ndjson`, in chunks of 64 KiB (the last chunk of `cut` holds events and the cut
/// record) and of the default size, on one and two threads.
fn read_back_up_to_the_cut(cut: &str, events: u64) {
    let paths = [
        cut,
        "dedup/later-hours.ndjson.gz",
        "dedup/tail-again.ndjson",
    ]
    .map(testdata);
    for chunk_size in [1 << 16, Options::default().chunk_size] {
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            let options = Options {
                chunk_size,
                ..Options::default()
            };
            let run = pool.install(|| read(&paths, &options));
            let counts: Vec<(u64, u64, u64)> = run
                .files
                .iter()
                .map(|f| (f.events, f.duplicates, f.skipped.values().sum()))
                .collect();
            let context = format!("chunks of {chunk_size} bytes on {threads} threads");
            assert_eq!(
                counts,
                [(events, 0, 1), (12_000, 0, 0), (0, 1, 0)],
                "{context}"
            );
        }
    }
}

fn found_at_every_chunk_size(names: [&str; 2]) {
    let paths = names.map(testdata);
    let whole = read(&paths, &Options::default());
    let counts = |run: &authsift::pipeline::Run<common::Collect>| -> Vec<(u64, u64)> {
        run.files.iter().map(|f| (f.events, f.duplicates)).collect()
    };
    assert_eq!(counts(&whole), [(210, 0), (16, 17)]);
    let uuids = |run: &authsift::pipeline::Run<common::Collect>| -> Vec<String> {
        run.aggregate
            .0
            .iter()
            .map(|e| e["uuid"].to_string())
            .collect()
    };
    let mut distinct = uuids(&whole);
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 226);
    assert_eq!(uuids(&whole).len(), 226);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        for chunk_size in (40..=1200).step_by(29) {
            let options = Options {
                chunk_size,
                ..Options::default()
            };
            let chunked = pool.install(|| read(&paths, &options));
            let context = format!("{names:?} in chunks of {chunk_size} bytes on {threads} threads");
            assert_eq!(counts(&chunked), counts(&whole), "{context}");
            assert_eq!(uuids(&chunked), uuids(&whole), "{context}");
        }
    }
}
