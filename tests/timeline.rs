//! `authsift timeline`: golden output for each format and option.

mod common;

use common::stdout_of;

const EVENTS: &str = "testdata/shapes/events.json";

#[test]
fn hourly_json_is_the_documented_contract() {
    assert_eq!(
        stdout_of(&["timeline", "--format", "json", EVENTS]),
        r#"{
  "bucket": "hour",
  "rows": [
    {
      "start": "2024-05-01T13:00:00.000Z",
      "failures": 2,
      "denied": 1,
      "legacy_failures": 3,
      "users": 2,
      "ips": 1
    }
  ]
}
"#
    );
}

#[test]
fn minute_buckets_list_the_quiet_minutes_between_failures() {
    assert_eq!(
        stdout_of(&["timeline", "--format", "csv", "--bucket", "minute", EVENTS]),
        "start,failures,denied,legacy_failures,users,ips\n\
         2024-05-01T13:00:00.000Z,2,0,2,2,1\n\
         2024-05-01T13:01:00.000Z,0,0,0,0,0\n\
         2024-05-01T13:02:00.000Z,0,0,0,0,0\n\
         2024-05-01T13:03:00.000Z,0,0,0,0,0\n\
         2024-05-01T13:04:00.000Z,0,0,0,0,0\n\
         2024-05-01T13:05:00.000Z,0,1,1,0,1\n"
    );
}

#[test]
fn table_draws_a_bar_per_row() {
    assert_eq!(
        stdout_of(&[
            "timeline",
            "--format",
            "table",
            "--bucket",
            "minute",
            "--until",
            "2024-05-01T13:02:00Z",
            EVENTS
        ]),
        "START                     FAILURES  DENIED  LEGACY  USERS  IPS\n\
         2024-05-01T13:00:00.000Z         2       0       2      2    1  ████████████████████████████████████████\n"
    );
}

#[test]
fn by_key_lists_non_empty_rows_busiest_first() {
    assert_eq!(
        stdout_of(&["timeline", "--format", "csv", "--by", "reason", EVENTS]),
        "start,key,failures,denied,legacy_failures,users,ips\n\
         2024-05-01T13:00:00.000Z,INVALID_CREDENTIALS,1,0,1,1,1\n\
         2024-05-01T13:00:00.000Z,Password Spray,0,1,1,0,1\n\
         2024-05-01T13:00:00.000Z,VERIFICATION_ERROR,1,0,1,1,1\n"
    );
    assert_eq!(
        stdout_of(&[
            "timeline",
            "--format",
            "json",
            "--by",
            "event-type",
            "--since",
            "2024-05-01T13:01:00Z",
            EVENTS
        ]),
        r#"{
  "bucket": "hour",
  "by": "event-type",
  "rows": [
    {
      "start": "2024-05-01T13:00:00.000Z",
      "key": "security.threat.detected",
      "failures": 0,
      "denied": 1,
      "legacy_failures": 1,
      "users": 0,
      "ips": 1
    }
  ]
}
"#
    );
}

#[test]
fn legacy_only_and_ndjson() {
    assert_eq!(
        stdout_of(&[
            "timeline",
            "--format",
            "ndjson",
            "--legacy-only",
            "--by",
            "ip",
            EVENTS
        ]),
        "{\"start\":\"2024-05-01T13:00:00.000Z\",\"key\":\"185.220.101.45\",\"failures\":2,\"denied\":1,\"legacy_failures\":3,\"users\":2,\"ips\":1}\n"
    );
}

#[test]
fn no_failures_gives_no_rows() {
    assert_eq!(
        stdout_of(&[
            "timeline",
            "--format",
            "table",
            "--until",
            "2024-05-01T13:00:00Z",
            EVENTS
        ]),
        "no failures or denials\n"
    );
    assert_eq!(
        stdout_of(&[
            "timeline",
            "--format",
            "json",
            "--until",
            "2024-05-01T13:00:00Z",
            EVENTS
        ]),
        "{\n  \"bucket\": \"hour\",\n  \"rows\": []\n}\n"
    );
}

#[test]
fn svg_is_a_chart_of_the_rows_and_only_timeline_draws_it() {
    let svg = stdout_of(&["timeline", "--format", "svg", "--bucket", "minute", EVENTS]);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>\n"));
    assert!(svg.contains(
        "<title>2024-05-01 13:00 UTC: 2 failures, 0 denials, 2 through basic auth</title>"
    ));
    assert!(svg.contains(
        "<title>2024-05-01 13:05 UTC: 0 failures, 1 denial, 1 through basic auth</title>"
    ));
    for args in [
        &["summary", "--format", "svg"][..],
        &["agents", "--format", "svg"],
        &["search", "--filter", "uuid pr", "--format", "svg"],
        &["timeline", "--format", "html"],
    ] {
        let (stdout, stderr, code) = common::authsift(&[args, &[EVENTS]].concat());
        assert_eq!((stdout.as_str(), code), ("", 2), "{args:?}");
        assert!(
            stderr.starts_with(
                "authsift: error: this command writes table, csv, json or ndjson, not "
            ),
            "{stderr}"
        );
    }
    let (_, stderr, code) =
        common::authsift(&["timeline", "--format", "svg", "--by", "ip", EVENTS]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "authsift: error: --format svg charts the overall timeline and takes no --by\n"
    );
}

/// One failure stamped 1970-01-01 (a broken pipeline's zero time) beside one from 2024: the
/// zero-filled minute timeline between them would be 28.6 million rows, and building it ran out
/// of memory and aborted. It is refused with a way out; a span that fits is still listed whole.
#[test]
fn a_span_too_long_to_list_is_refused_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("epoch.ndjson");
    std::fs::write(
        &path,
        "{\"uuid\":\"a\",\"published\":\"1970-01-01T00:00:00Z\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"FAILURE\"}}\n\
         {\"uuid\":\"b\",\"published\":\"2024-05-01T00:00:00Z\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"FAILURE\"}}\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let (stdout, stderr, code) =
        common::authsift(&["timeline", "--bucket", "minute", "--format", "csv", path]);
    assert_eq!((stdout.as_str(), code), ("", 2), "{stderr}");
    assert_eq!(
        stderr,
        "authsift: error: the timeline from 1970-01-01T00:00:00.000Z to 2024-05-01T00:00:00.000Z \
         would list 28575361 minute buckets (at most 1000000): narrow it with --since and \
         --until, take a wider --bucket, or list only the busy ones with --by\n"
    );
    let days = stdout_of(&["timeline", "--bucket", "day", "--format", "csv", path]);
    assert_eq!(days.lines().count(), 1 + 19_845);
    let by = stdout_of(&[
        "timeline", "--bucket", "minute", "--by", "ip", "--format", "csv", path,
    ]);
    assert_eq!(by.lines().count(), 1 + 2);
}
