//! `authsift summary`: golden output.

mod common;

use common::{authsift, stdout_of};

#[test]
fn json_lists_files_and_the_overall_picture() {
    let (stdout, stderr, code) = authsift(&[
        "summary",
        "--format",
        "json",
        "--top",
        "2",
        "testdata/shapes/events.json",
        "testdata/shapes/events-camel.csv",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        stderr,
        "authsift: note: testdata/shapes/events-camel.csv: 4 duplicate events (same uuid and published time as an event already read) counted once\n"
    );
    assert_eq!(
        stdout,
        r#"{
  "files": [
    {
      "path": "testdata/shapes/events.json",
      "shape": "json-array",
      "bytes": 6300,
      "events": 4,
      "duplicates": 0,
      "outside_range": 0,
      "filtered_out": 0,
      "skipped": {},
      "first": "2024-05-01T12:10:00.000Z",
      "last": "2024-05-01T13:05:00.123Z",
      "sha256": "ab78664e95a577557fa75febb3d56bcf0a3a6f6d21b84186f1822bf10a97d700",
      "error": null
    },
    {
      "path": "testdata/shapes/events-camel.csv",
      "shape": "csv-camel",
      "bytes": 2961,
      "events": 0,
      "duplicates": 4,
      "outside_range": 0,
      "filtered_out": 0,
      "skipped": {},
      "first": "2024-05-01T12:10:00.000Z",
      "last": "2024-05-01T13:05:00.123Z",
      "sha256": "fd2c8252ba8469e4ff638c16c429dffc147305858089bae79fb59c388d3efe67",
      "error": null
    }
  ],
  "overall": {
    "events": 4,
    "first": "2024-05-01T12:10:00.000Z",
    "last": "2024-05-01T13:05:00.123Z",
    "outcomes": {
      "DENY": 1,
      "FAILURE": 2,
      "SUCCESS": 1
    },
    "top_event_types": [
      {
        "event_type": "user.session.start",
        "events": 2
      },
      {
        "event_type": "security.threat.detected",
        "events": 1
      }
    ],
    "legacy": {
      "events": 3,
      "successes": 0,
      "failures": 3
    },
    "users": 3,
    "ips": 2
  }
}
"#
    );
}

#[test]
fn time_range_narrows_the_overall_figures_only() {
    let stdout = stdout_of(&[
        "summary",
        "--format",
        "ndjson",
        "--since",
        "2024-05-01T13:00:00Z",
        "--until",
        "2024-05-01T13:05:00Z",
        "testdata/shapes/events.ndjson",
    ]);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["file"]["events"], 4);
    assert_eq!(lines[0]["file"]["outside_range"], 2);
    assert_eq!(lines[1]["overall"]["events"], 2);
    assert_eq!(
        lines[1]["overall"]["outcomes"],
        serde_json::json!({"FAILURE": 2})
    );
    assert_eq!(
        lines[1]["overall"]["legacy"],
        serde_json::json!({"events": 2, "successes": 0, "failures": 2})
    );
}

#[test]
fn table_for_people() {
    assert_eq!(
        stdout_of(&[
            "summary",
            "--format",
            "table",
            "testdata/shapes/events-admin.csv"
        ]),
        "FILE                              SHAPE      BYTES  EVENTS  SKIPPED  DUPLICATES  FIRST                     LAST                      SHA-256\n\
         testdata/shapes/events-admin.csv  csv-admin   3261       4        0           0  2024-05-01T12:10:00.000Z  2024-05-01T13:05:00.123Z  cc061df59ebb32768272d3b18a59ab1237a21bcf608b7bc04f4046991684bb7f\n\
         \n\
         Events          4 (2024-05-01T12:10:00.000Z .. 2024-05-01T13:05:00.123Z)\n\
         Outcomes        FAILURE 2, DENY 1, SUCCESS 1\n\
         Legacy events   3 (successes 0, failures 3)\n\
         Distinct users  3\n\
         Distinct IPs    2\n\
         \n\
         EVENT TYPE                               EVENTS\n\
         user.session.start                            2\n\
         security.threat.detected                      1\n\
         user.authentication.auth_via_richclient       1\n"
    );
}

/// Events without `outcome.result` are shown as `(none)`; an event whose result is literally
/// `(none)` must add to that count, not replace it.
#[test]
fn outcome_counts_add_up_to_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outcomes.ndjson");
    let mut lines = String::new();
    for i in 0..3 {
        lines.push_str(&format!(
            "{{\"uuid\":\"a{i}\",\"published\":\"2024-05-01T00:00:0{i}Z\",\"eventType\":\"x\"}}\n"
        ));
    }
    for i in 0..5 {
        lines.push_str(&format!(
            "{{\"uuid\":\"b{i}\",\"published\":\"2024-05-01T00:00:0{i}Z\",\"eventType\":\"x\",\"outcome\":{{\"result\":\"(none)\"}}}}\n"
        ));
    }
    std::fs::write(&path, lines).unwrap();
    let path = path.to_str().unwrap();
    for threads in ["1", "4"] {
        let stdout = stdout_of(&["--threads", threads, "summary", "--format", "json", path]);
        let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(document["overall"]["events"], 8);
        assert_eq!(
            document["overall"]["outcomes"],
            serde_json::json!({"(none)": 8}),
            "threads {threads}"
        );
    }
}
