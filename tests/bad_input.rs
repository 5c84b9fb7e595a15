//! Bad input never panics and never loses data silently: each case below pins the exact
//! warning or error, the counts, and the exit code.

use assert_cmd::Command;

fn authsift() -> Command {
    let mut command = Command::cargo_bin("authsift").unwrap();
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// `summary --format csv` of one file: (stdout, stderr, exit code).
fn summary(path: &str, extra: &[&str]) -> (String, String, i32) {
    let output = authsift()
        .args(["summary", "--format", "csv"])
        .args(extra)
        .arg(path)
        .output()
        .unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
        output.status.code().unwrap(),
    )
}

const HEADER: &str = "path,shape,bytes,events,duplicates,outside_range,filtered_out,skipped,first,last,sha256,error\n";

#[test]
fn truncated_json_array_keeps_the_complete_events() {
    let (stdout, stderr, code) = summary("testdata/bad/truncated.json", &[]);
    assert_eq!(
        stderr,
        "authsift: warning: testdata/bad/truncated.json:136: skipped record (truncated record: 206 bytes, the input ends inside the record) at byte 3489\n\
         authsift: warning: testdata/bad/truncated.json: 1 record skipped (truncated record 1)\n"
    );
    assert_eq!(
        stdout,
        format!(
            "{HEADER}testdata/bad/truncated.json,json-array,3695,2,0,0,0,1,2024-05-01T13:00:00.123Z,2024-05-01T13:00:07.500Z,a8fd281b3bc4273f18146a5b7d2eda5cb29896f7b2ace61c0f6d9faa4cdeb5f6,\n"
        )
    );
    assert_eq!(code, 0);
}

#[test]
fn one_broken_ndjson_line_among_good_ones() {
    let (stdout, stderr, code) = summary("testdata/bad/broken-line.ndjson", &[]);
    assert_eq!(
        stderr,
        "authsift: warning: testdata/bad/broken-line.ndjson:2: skipped record (invalid JSON: expected `,` or `}`) at byte 1544\n\
         authsift: warning: testdata/bad/broken-line.ndjson: 1 record skipped (invalid JSON 1)\n"
    );
    assert!(
        stdout
            .contains(",ndjson,4472,3,0,0,0,1,2024-05-01T12:10:00.000Z,2024-05-01T13:05:00.123Z,"),
        "{stdout}"
    );
    assert_eq!(code, 0);
}

#[test]
fn csv_row_with_the_wrong_column_count() {
    let (stdout, stderr, code) = summary("testdata/bad/wrong-columns.csv", &[]);
    assert_eq!(
        stderr,
        "authsift: warning: testdata/bad/wrong-columns.csv:5: skipped record (wrong number of CSV fields: expected 56 fields, found 55) at byte 2407\n\
         authsift: warning: testdata/bad/wrong-columns.csv: 1 record skipped (wrong number of CSV fields 1)\n"
    );
    assert!(stdout.contains(",csv-admin,3260,3,0,0,0,1,"), "{stdout}");
    assert_eq!(code, 0);
}

#[test]
fn impossible_time_and_missing_uuid_are_skipped_and_counted() {
    let (stdout, stderr, code) = summary("testdata/bad/bad-time.ndjson", &[]);
    assert_eq!(
        stderr,
        "authsift: warning: testdata/bad/bad-time.ndjson:1: skipped record (unreadable time: \"2017-09-31T22:23:07.777Z\") at byte 0\n\
         authsift: warning: testdata/bad/bad-time.ndjson:2: skipped record (missing uuid) at byte 1529\n\
         authsift: warning: testdata/bad/bad-time.ndjson: 2 records skipped (missing uuid 1, unreadable time 1)\n"
    );
    assert!(stdout.contains(",ndjson,3857,1,0,0,0,2,"), "{stdout}");
    assert_eq!(code, 0);
}

#[test]
fn files_that_are_no_export_get_one_error_line_and_exit_2() {
    for (path, reason) in [
        ("testdata/bad/binary.bin", "binary data"),
        ("testdata/bad/empty.json", "empty file"),
        (
            "testdata/bad/notes.txt",
            "unrecognised content (not JSON, NDJSON or an Okta CSV export)",
        ),
    ] {
        let (stdout, stderr, code) = summary(path, &[]);
        assert_eq!(
            stderr,
            format!("authsift: error: {path}: not an Okta export: {reason}\n")
        );
        assert!(stdout.starts_with(HEADER), "{stdout}");
        assert_eq!(code, 2, "{path}");
    }
}

#[test]
fn other_files_are_still_read_when_one_is_no_export() {
    let output = authsift()
        .args([
            "summary",
            "--format",
            "csv",
            "testdata/bad/binary.bin",
            "testdata/shapes/events.ndjson",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("testdata/shapes/events.ndjson,ndjson,4479,4,0,0,0,0,"),
        "{stdout}"
    );
}

#[test]
fn missing_path_is_named() {
    let (_, stderr, code) = summary("testdata/no-such-file.json", &[]);
    assert_eq!(
        stderr,
        "authsift: error: testdata/no-such-file.json: no such file or directory\n"
    );
    assert_eq!(code, 2);
}

#[test]
fn byte_order_mark_is_accepted() {
    let (stdout, stderr, code) = summary("testdata/bad/bom.ndjson", &[]);
    assert_eq!(stderr, "");
    assert!(stdout.contains(",ndjson,4476,4,0,0,0,0,"), "{stdout}");
    assert_eq!(code, 0);
}

#[test]
fn gzip_is_recognised_by_its_magic_bytes() {
    let (stdout, stderr, code) = summary("testdata/shapes/events.ndjson.gz", &[]);
    assert_eq!(stderr, "");
    assert_eq!(
        stdout,
        format!(
            "{HEADER}testdata/shapes/events.ndjson.gz,ndjson+gzip,1507,4,0,0,0,0,2024-05-01T12:10:00.000Z,2024-05-01T13:05:00.123Z,{},\n",
            sha256("testdata/shapes/events.ndjson.gz")
        )
    );
    assert_eq!(code, 0);
}

#[test]
fn standard_input_is_read_too() {
    let data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/shapes/events-admin.csv"
    ))
    .unwrap();
    let output = authsift()
        .args(["summary", "--format", "csv", "-"])
        .write_stdin(data)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout,
        format!(
            "{HEADER}<stdin>,csv-admin,3261,4,0,0,0,0,2024-05-01T12:10:00.000Z,2024-05-01T13:05:00.123Z,{},\n",
            sha256("testdata/shapes/events-admin.csv")
        )
    );
}

#[test]
fn strict_makes_the_first_skipped_record_an_error() {
    let (stdout, stderr, code) = summary("testdata/bad/broken-line.ndjson", &["--strict"]);
    assert_eq!(
        stderr,
        "authsift: error: testdata/bad/broken-line.ndjson:2: skipped record (invalid JSON: expected `,` or `}`) at byte 1544 (--strict)\n"
    );
    assert_eq!(stdout, "");
    assert_eq!(code, 2);
}

#[test]
fn duplicates_across_overlapping_exports_count_once() {
    let output = authsift()
        .args([
            "summary",
            "--format",
            "csv",
            "testdata/shapes/events.json",
            "testdata/shapes/events-camel.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "authsift: note: testdata/shapes/events-camel.csv: 4 duplicate events (same uuid and published time as an event already read) counted once\n"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("testdata/shapes/events-camel.csv,csv-camel,2961,0,4,0,0,0,2024-05-01T12:10:00.000Z,2024-05-01T13:05:00.123Z,"),
        "{stdout}"
    );
}

#[test]
fn output_is_never_written_into_the_evidence() {
    let output = authsift()
        .args([
            "agents",
            "testdata/shapes",
            "-o",
            "testdata/shapes/agents.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "authsift: error: cannot write testdata/shapes/agents.csv: it is inside the input testdata/shapes (evidence is read-only)\n"
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/shapes/agents.csv"
        ))
        .exists()
    );
}

#[test]
fn bad_time_bounds_are_usage_errors() {
    let output = authsift()
        .args(["timeline", "--since", "yesterday", "testdata/shapes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("invalid value 'yesterday' for '--since <TIME>': expected RFC 3339 (2024-05-01T13:00:00Z) or a date (2024-05-01), got \"yesterday\""),
        "{stderr}"
    );
}

fn sha256(path: &str) -> String {
    use sha2::Digest;
    let data = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    sha2::Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `-o` naming a symbolic link to an input (or to a place inside an input directory, even one
/// that does not exist yet) is refused: opening it would truncate or add to the evidence.
#[cfg(unix)]
#[test]
fn output_through_a_symbolic_link_is_never_written_into_the_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    std::fs::create_dir(&evidence).unwrap();
    let export = evidence.join("export.json");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/shapes/events.json"),
        &export,
    )
    .unwrap();
    let original = std::fs::read(&export).unwrap();
    let to_file = dir.path().join("report.json");
    std::os::unix::fs::symlink(&export, &to_file).unwrap();
    let dangling = dir.path().join("later.json");
    std::os::unix::fs::symlink(evidence.join("new.json"), &dangling).unwrap();
    for (input, output) in [
        (&export, &to_file),
        (&evidence, &to_file),
        (&evidence, &dangling),
    ] {
        let result = authsift()
            .arg("summary")
            .arg(input)
            .arg("-o")
            .arg(output)
            .output()
            .unwrap();
        let stderr = String::from_utf8(result.stderr).unwrap();
        assert_eq!(result.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("(evidence is read-only)"), "{stderr}");
        assert_eq!(std::fs::read(&export).unwrap(), original);
        assert!(!evidence.join("new.json").exists());
    }
}

/// `-o` naming a hard link to an input file (or to a file inside an input directory) is the
/// input itself under another name: refused, the evidence left as it was.
#[cfg(unix)]
#[test]
fn output_to_a_hard_link_of_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    std::fs::create_dir(&evidence).unwrap();
    let export = evidence.join("export.json");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/shapes/events.json"),
        &export,
    )
    .unwrap();
    let original = std::fs::read(&export).unwrap();
    let linked = dir.path().join("report.json");
    std::fs::hard_link(&export, &linked).unwrap();
    for input in [&export, &evidence] {
        let result = authsift()
            .arg("summary")
            .arg(input)
            .arg("-o")
            .arg(&linked)
            .output()
            .unwrap();
        let stderr = String::from_utf8(result.stderr).unwrap();
        assert_eq!(result.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("(evidence is read-only)"), "{stderr}");
        assert_eq!(std::fs::read(&export).unwrap(), original);
    }
    // An unrelated existing file is still overwritten as asked.
    let other = dir.path().join("other.json");
    std::fs::write(&other, "old").unwrap();
    let result = authsift()
        .arg("summary")
        .arg(&evidence)
        .arg("-o")
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(0));
    assert_ne!(std::fs::read(&other).unwrap(), b"old");
}

#[test]
fn thread_count_is_bounded() {
    let output = authsift()
        .args(["--threads", "0", "summary", "testdata/shapes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "error: invalid value '0' for '--threads <N>': 0 is not in 1..=256\n\nFor more information, try '--help'.\n"
    );
}

/// `summary` of a gzip file that breaks off after `read` decompressed bytes, inside record
/// `line`: the `events` before the break count, the record it cuts is skipped, and the run
/// ends with exit 2. `bytes` is the file's size, `first`/`last` its time range.
fn assert_read_up_to_the_break(
    path: &str,
    read: u64,
    line: u64,
    (events, bytes): (u64, u64),
    (first, last): (&str, &str),
) {
    let (stdout, stderr, code) = summary(path, &[]);
    let failure = format!("read failed after {read} bytes: incomplete deflate stream");
    assert_eq!(
        stderr,
        format!(
            "authsift: error: {path}: {failure}\n\
             authsift: warning: {path}:{line}: skipped record (invalid JSON: the line ends inside the record) at byte {read}\n\
             authsift: warning: {path}: 1 record skipped (invalid JSON 1)\n"
        )
    );
    assert_eq!(
        stdout,
        format!(
            "{HEADER}{path},ndjson+gzip,{bytes},{events},0,0,0,1,{first},{last},{},{failure}\n",
            sha256(path)
        )
    );
    assert_eq!(code, 2);
}

/// Regression: a gzip file that broke off lost every event of the decompressed block it broke
/// off in (up to 4 MiB, here the whole file) and reported no shape. The expected figures were
/// worked out apart from authsift, with Python's zlib on the same truncated bytes: 7,180
/// bytes come out, five whole lines and 45 bytes of a sixth.
#[test]
fn a_gzip_file_that_breaks_off_is_read_up_to_the_break() {
    assert_read_up_to_the_break(
        "testdata/bad/truncated.ndjson.gz",
        7180,
        6,
        (5, 976),
        ("2024-05-01T13:00:00.000Z", "2024-05-01T13:00:28.004Z"),
    );
}

/// As above, for a file whose decompressed data outgrows what shape detection reads first
/// (309,346 bytes: 216 whole lines, then 1,114 bytes of the 217th, by Python's zlib).
#[test]
fn a_long_gzip_file_that_breaks_off_is_read_up_to_the_break() {
    assert_read_up_to_the_break(
        "testdata/bad/truncated-long.ndjson.gz",
        309_346,
        217,
        (216, 4795),
        ("2024-05-01T13:00:00.000Z", "2024-05-01T13:25:05.215Z"),
    );
}

/// Regression: a gzip file with a fault in its compressed data (one byte changed at 37,500 of
/// 72,997) lost what the failing read had decompressed, 33 whole records here, and reported
/// the size and SHA-256 of the compressed bytes read before the fault as the file's. Python's
/// zlib, fed a byte at a time, fails at byte 37,512 after 522,428 bytes: 255 whole lines.
#[test]
fn a_corrupt_gzip_file_is_read_up_to_the_fault_and_hashed_whole() {
    let path = "testdata/bad/corrupt.ndjson.gz";
    let failure = "read failed after 522428 bytes: corrupt gzip data (invalid bit length repeat)";
    let (stdout, stderr, code) = summary(path, &[]);
    assert_eq!(
        stderr,
        format!(
            "authsift: error: {path}: {failure}\n\
             authsift: warning: {path}:256: skipped record (invalid JSON: the line ends inside the record) at byte 522428\n\
             authsift: warning: {path}: 1 record skipped (invalid JSON 1)\n"
        )
    );
    assert_eq!(
        stdout,
        format!(
            "{HEADER}{path},ndjson+gzip,72997,255,0,0,0,1,2024-05-01T00:14:54.643Z,2024-05-02T13:26:29.297Z,{},{failure}\n",
            sha256(path)
        )
    );
    assert_eq!(code, 2);
    // On standard input, the same events.
    let output = authsift()
        .args(["summary", "--format", "csv", "-"])
        .pipe_stdin(path)
        .unwrap()
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("\n<stdin>,ndjson+gzip,") && stdout.contains(",255,0,0,0,1,"),
        "{stdout}"
    );
}

/// Regression: a CSV row cut inside its last field by a gzip file breaking off still split
/// into every field, and was counted as an event with a cut uuid (and so as a new event when
/// it repeats one already read). Five rows stored uncompressed, the data cut 10 bytes before
/// its end, inside the fifth row's uuid: four events and the cut row.
#[test]
fn a_csv_row_cut_by_a_gzip_file_breaking_off_is_a_truncated_record() {
    let path = "testdata/bad/truncated-row.csv.gz";
    let (stdout, stderr, code) = summary(path, &[]);
    let failure = "read failed after 650 bytes: incomplete deflate stream";
    assert_eq!(
        stderr,
        format!(
            "authsift: error: {path}: {failure}\n\
             authsift: warning: {path}:6: skipped record (truncated record: 107 bytes, the input breaks off inside the record) at byte 543\n\
             authsift: warning: {path}: 1 record skipped (truncated record 1)\n"
        )
    );
    assert_eq!(
        stdout,
        format!(
            "{HEADER}{path},csv-camel+gzip,665,4,0,0,0,1,2024-05-01T13:00:00.000Z,2024-05-01T13:03:00.000Z,{},{failure}\n",
            sha256(path)
        )
    );
    assert_eq!(code, 2);
}

/// Regression (found in review): a whole gzip member, checksum and all, then 16 zero bytes of
/// padding. The member's CSV has no newline after its last row, which was then taken for a
/// row cut by the failure after it. All four rows are events; the padding is still reported.
#[test]
fn a_whole_gzip_member_followed_by_padding_keeps_its_last_row() {
    let path = "testdata/bad/padded.csv.gz";
    let (stdout, stderr, code) = summary(path, &[]);
    let failure = "read failed after 2960 bytes: corrupt gzip data (incorrect header check)";
    assert_eq!(stderr, format!("authsift: error: {path}: {failure}\n"));
    assert_eq!(
        stdout,
        format!(
            "{HEADER}{path},csv-camel+gzip,2999,4,0,0,0,0,2024-05-01T12:10:00.000Z,2024-05-01T13:05:00.123Z,{},{failure}\n",
            sha256(path)
        )
    );
    assert_eq!(code, 2);
}

/// Regression: an error that ended the read of a stream early (here `--strict` on a broken
/// first line of a gzip file several blocks long) left the decompressing thread blocked on a
/// full channel, and the run never finished.
#[test]
fn a_stream_abandoned_early_does_not_hang() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.ndjson.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(b"{\"uuid\": broken\n").unwrap();
    let line = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/shapes/events.ndjson"
    ))
    .unwrap();
    for _ in 0..8_000 {
        gz.write_all(&line).unwrap();
    }
    gz.finish().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("authsift"))
        .args(["summary", "--strict", "--format", "csv"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed().as_secs() > 60 {
            child.kill().unwrap();
            panic!("authsift hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(child.wait().unwrap().code(), Some(2));
}

/// Values a command does not read are checked for structure (brackets balance and match,
/// strings close, only punctuation, numbers and `true`/`false`/`null` letters outside strings)
/// but not token by token, as an on-demand JSON parser does: a missing comma in
/// `request.ipChain`, which nothing reads, costs no event; `nul` in a target costs the event
/// only in commands that read targets; a string left open always does.
#[test]
fn broken_values_cost_the_event_only_where_they_are_read() {
    let path = "testdata/bad/broken-unread-value.ndjson";
    let (stdout, stderr, code) = summary(path, &[]);
    assert_eq!(
        stderr,
        format!(
            "authsift: warning: {path}:3: skipped record (invalid JSON: control character inside a string) at byte 964\n\
             authsift: warning: {path}: 1 record skipped (invalid JSON 1)\n"
        )
    );
    assert!(
        stdout.contains(",ndjson,965,2,0,0,0,1,2024-05-01T12:00:00.000Z,2024-05-01T12:01:00.000Z,"),
        "{stdout}"
    );
    assert_eq!(code, 0);

    let output = authsift()
        .args([
            "search", "--format", "csv", "--fields", "uuid", "--filter", "uuid pr", path,
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "uuid\n7b005486-eb10-4784-b548-fa02ba7a5001\n"
    );
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!(
            "authsift: warning: {path}:2: skipped record (invalid JSON: invalid literal) at byte 656\n\
             authsift: warning: {path}:3: skipped record (invalid JSON: control character inside a string) at byte 964\n\
             authsift: warning: {path}: 2 records skipped (invalid JSON 2)\n"
        )
    );
}

/// A lost quote turns the strings after it inside out. In a one-line API page, brace matching
/// from the broken record would run on through every record after it; the reader instead
/// resumes where the next record plausibly begins, whether or not the command reads the field.
#[test]
fn a_lost_quote_costs_one_record_not_the_rest_of_the_page() {
    let path = "testdata/bad/lost-quote.json";
    for (command, message) in [
        ("summary", "unexpected character outside a string"),
        ("search", "expected `,` or `}`"),
    ] {
        let output = authsift()
            .args([command, "--format", "csv", "--filter", "uuid pr", path])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(output.stderr).unwrap(),
            format!(
                "authsift: warning: {path}:1: skipped record (invalid JSON: {message}) at byte 306\n\
                 authsift: warning: {path}: 1 record skipped (invalid JSON 1)\n"
            ),
            "{command}"
        );
    }
    let (stdout, _, code) = summary(path, &[]);
    assert!(
        stdout.contains(
            ",json-array,8305,3,0,0,0,1,2024-05-01T00:14:55.366Z,2024-05-01T05:40:48.058Z,"
        ),
        "{stdout}"
    );
    assert_eq!(code, 0);
}
