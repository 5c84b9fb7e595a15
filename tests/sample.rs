//! The bundled sample (`testdata/okta-sample.*`, described in testdata/SAMPLE.md): golden output
//! of every command, the JSON and CSV exports agreeing, and output independent of threads.
//!
//! Golden files live in tests/golden/; `UPDATE_GOLDEN=1 cargo test` rewrites them (then review
//! the diff: every figure was checked against SAMPLE.md when the files were written).

mod common;

use std::path::Path;

use common::{authsift, stdout_of};

const JSON: &str = "testdata/okta-sample.json";
const CSV: &str = "testdata/okta-sample.csv";

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

#[test]
fn agents_of_the_sample() {
    golden(
        "agents.table",
        &stdout_of(&["agents", "--format", "table", JSON]),
    );
    golden(
        "agents-all.csv",
        &stdout_of(&["agents", "--all", "--format", "csv", JSON]),
    );
}

#[test]
fn timeline_of_the_sample() {
    golden(
        "timeline-day.json",
        &stdout_of(&["timeline", "--bucket", "day", "--format", "json", JSON]),
    );
    golden(
        "timeline-legacy-by-ip.table",
        &stdout_of(&[
            "timeline",
            "--legacy-only",
            "--by",
            "ip",
            "--format",
            "table",
            JSON,
        ]),
    );
    golden(
        "timeline-spray-minutes.csv",
        &stdout_of(&[
            "timeline",
            "--bucket",
            "minute",
            "--since",
            "2024-05-02T02:10:00Z",
            "--until",
            "2024-05-02T03:00:00Z",
            "--format",
            "csv",
            JSON,
        ]),
    );
}

#[test]
fn timeline_chart_of_the_sample() {
    golden(
        "timeline.svg",
        &stdout_of(&["timeline", "--format", "svg", JSON]),
    );
    golden(
        "timeline-spray-minutes.svg",
        &stdout_of(&[
            "timeline",
            "--bucket",
            "minute",
            "--legacy-only",
            "--since",
            "2024-05-02T02:00:00Z",
            "--until",
            "2024-05-02T03:00:00Z",
            "--format",
            "svg",
            JSON,
        ]),
    );
}

#[test]
fn summary_of_the_sample() {
    golden(
        "summary.table",
        &stdout_of(&["summary", "--format", "table", JSON]),
    );
}

#[test]
fn the_csv_export_reads_as_the_json_export() {
    for args in [
        &["agents", "--all", "--format", "json"][..],
        &["timeline", "--bucket", "minute", "--format", "csv"],
        &["timeline", "--by", "user", "--format", "ndjson"],
    ] {
        let from_json = stdout_of(&[args, &[JSON]].concat());
        let from_csv = stdout_of(&[args, &[CSV]].concat());
        assert_eq!(from_json, from_csv, "{args:?}");
    }
    let (stdout, stderr, code) = authsift(&["summary", "--format", "json", JSON, CSV]);
    assert_eq!(code, 0);
    assert_eq!(
        stderr,
        "authsift: note: testdata/okta-sample.csv: 520 duplicate events (same uuid and published time as an event already read) counted once\n"
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["overall"]["events"], 520);
    assert_eq!(summary["files"][1]["duplicates"], 520);
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    for args in [
        &["summary", "--format", "json"][..],
        &["agents", "--all", "--format", "json"],
        &[
            "timeline", "--by", "ip", "--bucket", "minute", "--format", "csv",
        ],
    ] {
        let one = stdout_of(&[&["--quiet", "--threads", "1"], args, &[JSON, CSV]].concat());
        let two = stdout_of(&[&["--quiet", "--threads", "2"], args, &[CSV, JSON]].concat());
        let four = stdout_of(&[&["--quiet", "--threads", "4"], args, &[JSON, CSV]].concat());
        assert_eq!(one, four, "{args:?}");
        if args[0] != "summary" {
            // The order of inputs changes which copy is the duplicate, not the result.
            assert_eq!(one, two, "{args:?}");
        }
    }
}
