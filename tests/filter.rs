//! `--filter` on the aggregate commands: only matching events reach the figures, per-file
//! figures stay whole-file. Expected figures were computed independently with python3 over
//! testdata/okta-sample.json.

mod common;

use common::{authsift, stdout_of};

const SAMPLE: &str = "testdata/okta-sample.json";

#[test]
fn timeline_counts_only_matching_events() {
    assert_eq!(
        stdout_of(&[
            "timeline",
            "--format",
            "csv",
            "--bucket",
            "day",
            "--filter",
            r#"eventType eq "user.session.start""#,
            SAMPLE
        ]),
        "start,failures,denied,legacy_failures,users,ips\n\
         2024-05-01T00:00:00.000Z,27,0,0,2,6\n\
         2024-05-02T00:00:00.000Z,8,0,7,8,2\n\
         2024-05-03T00:00:00.000Z,2,0,0,2,2\n"
    );
}

#[test]
fn filter_and_time_range_apply_together() {
    // Of the day's user.session.start failures, those of the spray hour.
    assert_eq!(
        stdout_of(&[
            "timeline",
            "--format",
            "csv",
            "--bucket",
            "day",
            "--since",
            "2024-05-02T02:00:00Z",
            "--until",
            "2024-05-02T03:00:00Z",
            "--filter",
            r#"eventType eq "user.session.start""#,
            SAMPLE
        ]),
        "start,failures,denied,legacy_failures,users,ips\n\
         2024-05-02T00:00:00.000Z,7,0,7,7,1\n"
    );
}

#[test]
fn agents_inventory_of_one_country() {
    assert_eq!(
        stdout_of(&[
            "agents",
            "--all",
            "--format",
            "csv",
            "--filter",
            r#"client.geographicalContext.country eq "France""#,
            SAMPLE
        ]),
        "user_agent,client,events,successes,failures,users,ips,first_seen,last_seen\n\
         Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0,Browser,17,10,6,1,1,2024-05-03T13:52:40.703Z,2024-05-03T13:59:43.804Z\n\
         CBAInPROD,Scripted client,4,0,4,1,1,2024-05-01T15:37:15.961Z,2024-05-01T15:51:16.823Z\n"
    );
}

#[test]
fn agents_of_the_spray_address() {
    assert_eq!(
        stdout_of(&[
            "agents",
            "--format",
            "table",
            "--filter",
            r#"client.ipAddress eq "203.0.113.43""#,
            SAMPLE
        ]),
        "USER AGENT              CLIENT           EVENTS  SUCCESSES  FAILURES  USERS  IPS  FIRST SEEN                LAST SEEN\n\
         python-requests/2.31.0  Scripted client      48          2        46     33    1  2024-05-02T02:16:04.264Z  2024-05-02T02:53:15.768Z\n"
    );
}

#[test]
fn summary_reports_what_the_filter_left_out_per_file() {
    let stdout = stdout_of(&[
        "summary",
        "--format",
        "csv",
        "--since",
        "2024-05-02",
        "--filter",
        r#"eventType eq "user.session.start""#,
        SAMPLE,
    ]);
    // 520 events: 140 before 2024-05-02; of the other 380, 62 are user.session.start.
    assert_eq!(
        stdout,
        "path,shape,bytes,events,duplicates,outside_range,filtered_out,skipped,first,last,sha256,error\n\
         testdata/okta-sample.json,json-array,1531426,520,0,140,318,0,2024-05-01T00:14:54.643Z,2024-05-04T23:17:24.038Z,b0f41c1951589b46edead6fc757e9b55b307281683b352f0df8229b9ea1d8e2b,\n"
    );
}

#[test]
fn every_command_refuses_a_bad_filter_with_a_caret() {
    for command in ["summary", "timeline", "agents"] {
        assert_eq!(
            authsift(&[command, "--filter", r#"eventType eq "x" and"#, SAMPLE]),
            (
                String::new(),
                format!(
                    "authsift: error: invalid --filter: expected an attribute, \"not\" or \"(\" at column 21\n  \
                     eventType eq \"x\" and\n  {}^\n",
                    " ".repeat(20)
                ),
                2
            ),
            "{command}"
        );
    }
}

/// No expression makes the parser or the evaluator panic: generated expressions (fixed seed, so
/// a failure repeats), half of them well-formed and the rest with pieces inserted at random,
/// are parsed, and the valid ones are evaluated against the events of testdata/shapes.
#[test]
fn random_expressions_never_panic() {
    use authsift::filter::Filter;
    use authsift::pipeline::Options;
    const PATHS: &[&str] = &[
        "eventType",
        "outcome.result",
        "target.id",
        "debugContext.debugData.requestUri",
        "published",
        "securityContext.isProxy",
        "client.geographicalContext.geolocation.lat",
        "actor.alternateId",
        "debugContext.debugData.threatSuspected",
        "securityContext.asNumber",
    ];
    const OPERATORS: &[&str] = &[
        " eq ", " ne ", " sw ", " co ", " ew ", " gt ", " ge ", " lt ", " le ",
    ];
    const VALUES: &[&str] = &[
        "\"x\"",
        "\"2024-05-01T13:00:00Z\"",
        "\"\\u00e9\\\"\"",
        "true",
        "false",
        "12",
        "-3.5",
        "1e3",
        "\"FAILURE\"",
    ];
    const NOISE: &[&str] = &[
        "(", ")", "\"", "\\", "é", "\t", " not ", " and", "or ", " pr", "[", "\"\\q\"", "1.", "eq",
    ];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut valid = Vec::new();
    for round in 0..5_000 {
        let mut expression = String::new();
        for term in 0..1 + next(4) {
            if term > 0 {
                expression.push_str([" and ", " or "][next(2)]);
            }
            if next(3) == 0 {
                expression.push_str("not (");
            }
            expression.push_str(PATHS[next(PATHS.len())]);
            if next(5) == 0 {
                expression.push_str(" pr");
            } else {
                expression.push_str(OPERATORS[next(OPERATORS.len())]);
                expression.push_str(VALUES[next(VALUES.len())]);
            }
            if expression.matches('(').count() > expression.matches(')').count() {
                expression.push(')');
            }
        }
        if round % 2 == 1 {
            let at = expression
                .char_indices()
                .map(|(i, _)| i)
                .nth(next(expression.chars().count()))
                .unwrap_or(0);
            expression.insert_str(at, NOISE[next(NOISE.len())]);
        }
        if let Ok(filter) = Filter::parse(&expression) {
            valid.push(filter);
        }
    }
    assert!(valid.len() > 400, "{}", valid.len());
    for filter in valid.into_iter().take(200) {
        let options = Options {
            filter: Some(std::sync::Arc::new(filter)),
            ..Options::default()
        };
        common::read(&[common::testdata("shapes/events.json")], &options);
    }
}
