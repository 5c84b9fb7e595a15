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
