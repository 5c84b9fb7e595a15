//! `authsift search`: golden output on the shape fixtures and the bundled sample.
//!
//! Expected events were found independently with python3 over the JSON (json.load, then plain
//! comparisons on the raw fields), not with authsift.

mod common;

use authsift::aggregate::search::{Search, WholeEvents};
use authsift::filter::Filter;
use authsift::pipeline::{self, Options};
use common::{authsift, stdout_of, testdata};
use indicatif::ProgressBar;

const EVENTS: &str = "testdata/shapes/events.json";
const SAMPLE_JSON: &str = "testdata/okta-sample.json";
const SAMPLE_CSV: &str = "testdata/okta-sample.csv";

/// Okta's hunting-guide expression for basic-auth password spraying through WS-Trust.
const WSFED_SPRAY: &str = r#"eventType eq "user.session.start" and outcome.result eq "FAILURE" and debugContext.debugData.requestUri co "/sso/wsfed/active""#;

/// The 7 user.session.start failures of the 2024-05-02 spray, default columns.
const WSFED_SPRAY_CSV: &str = "\
published,eventType,outcome.result,outcome.reason,actor.alternateId,client.ipAddress,client.userAgent.rawUserAgent,debugContext.debugData.requestUri
2024-05-02T02:26:54.026Z,user.session.start,FAILURE,INVALID_CREDENTIALS,farid.white@example.com,203.0.113.43,python-requests/2.31.0,/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active
2024-05-02T02:36:10.566Z,user.session.start,FAILURE,INVALID_CREDENTIALS,nina.muller@example.com,203.0.113.43,python-requests/2.31.0,/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active
2024-05-02T02:39:16.339Z,user.session.start,FAILURE,INVALID_CREDENTIALS,grace.hill@example.com,203.0.113.43,python-requests/2.31.0,/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active
2024-05-02T02:41:36.862Z,user.session.start,FAILURE,INVALID_CREDENTIALS,farid.lopez@example.com,203.0.113.43,python-requests/2.31.0,/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active
2024-05-02T02:42:04.717Z,user.session.start,FAILURE,INVALID_CREDENTIALS,daniel.roberts@example.com,203.0.113.43,python-requests/2.31.0,/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active
2024-05-02T02:46:32.528Z,user.session.start,FAILURE,INVALID_CREDENTIALS,bruno.brown@example.com,203.0.113.43,python-requests/2.31.0,/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active
2024-05-02T02:51:38.764Z,user.session.start,FAILURE,INVALID_CREDENTIALS,gabriela.white@example.com,203.0.113.43,python-requests/2.31.0,/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active
";

#[test]
fn okta_guide_wsfed_spray_finds_the_seven_session_failures_in_either_export() {
    for sample in [SAMPLE_JSON, SAMPLE_CSV] {
        assert_eq!(
            stdout_of(&["search", "--format", "csv", "--filter", WSFED_SPRAY, sample]),
            WSFED_SPRAY_CSV,
            "{sample}"
        );
    }
}

#[test]
fn table_escapes_control_characters_and_joins_targets() {
    assert_eq!(
        stdout_of(&[
            "search",
            "--format",
            "table",
            "--filter",
            r#"client.ipAddress eq "185.220.101.45""#,
            "--fields",
            "uuid,displayMessage,target.displayName,securityContext.isProxy,securityContext.asNumber",
            EVENTS
        ]),
        "uuid                                  displayMessage                            target.displayName    securityContext.isProxy  securityContext.asNumber\n\
         3f1c2a10-0b7e-11ef-9a01-0242ac120001  Authentication of a user via Rich Client  Microsoft Office 365  false                                      208091\n\
         3f1c2a10-0b7e-11ef-9a01-0242ac120002  User login to Okta\\nvia WS-Trust                                false                                      208091\n\
         3f1c2a10-0b7e-11ef-9a01-0242ac120004  Request from suspicious actor                                   true                                       208091\n"
    );
}

#[test]
fn csv_neutralises_formulas_and_lists_every_target() {
    assert_eq!(
        stdout_of(&[
            "search",
            "--format",
            "csv",
            "--filter",
            r#"client.userAgent.rawUserAgent sw "=""#,
            "--fields",
            "uuid, client.userAgent.rawUserAgent ,target.type",
            EVENTS
        ]),
        "uuid,client.userAgent.rawUserAgent,target.type\n\
         3f1c2a10-0b7e-11ef-9a01-0242ac120003,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Mozilla/5.0\"\")\",AuthenticatorEnrollment; AppInstance\n"
    );
}

#[test]
fn json_without_fields_prints_whole_normalised_events_up_to_the_limit() {
    let (stdout, stderr, code) = authsift(&[
        "search", "--format", "json", "--limit", "1", "--filter", "uuid pr", EVENTS,
    ]);
    assert_eq!(
        (stderr.as_str(), code),
        (
            "authsift: note: showing the first 1 of 4 matching events (--limit)\n",
            0
        )
    );
    assert_eq!(
        stdout,
        r#"{
  "events": [
    {
      "uuid": "3f1c2a10-0b7e-11ef-9a01-0242ac120001",
      "published": "2024-05-01T13:00:00.123Z",
      "eventType": "user.authentication.auth_via_richclient",
      "legacyEventType": "app.rich_client.login_failure",
      "displayMessage": "Authentication of a user via Rich Client",
      "severity": "WARN",
      "outcome": {
        "result": "FAILURE",
        "reason": "INVALID_CREDENTIALS"
      },
      "actor": {
        "id": "00u1a2b3c4D5e6F7g8h9",
        "type": "User",
        "alternateId": "Jane.Doe@example.com",
        "displayName": "Doe, \"JJ\" Jane"
      },
      "client": {
        "ipAddress": "185.220.101.45",
        "rawUserAgent": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
        "os": "Windows 10",
        "browser": "UNKNOWN",
        "zone": null,
        "device": "Computer",
        "city": "Amsterdam",
        "state": "North Holland",
        "country": "Netherlands",
        "postalCode": "1012",
        "lat": 52.374,
        "lon": 4.8897
      },
      "securityContext": {
        "asNumber": 208091,
        "asOrg": "xtom",
        "isp": "xTom GmbH",
        "domain": "xtom.com",
        "isProxy": false
      },
      "requestUri": "/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active",
      "debugData": {
        "threatSuspected": "false"
      },
      "externalSessionId": "unknown",
      "transactionId": "ZjJ4aXh0eWZ1bmN0aW9u",
      "targets": [
        {
          "id": "0oa1x2y3z4AbCdEfG5h6",
          "type": "AppInstance",
          "alternateId": "Microsoft Office 365",
          "displayName": "Microsoft Office 365"
        }
      ]
    }
  ]
}
"#
    );
}

#[test]
fn ndjson_with_fields_keeps_their_order_and_json_types() {
    // The third event (12:10Z, written as 14:10+02:00) is before the bound.
    assert_eq!(
        stdout_of(&[
            "search",
            "--format",
            "ndjson",
            "--fields",
            "published,client.geographicalContext.geolocation.lat,securityContext.isProxy,target.id",
            "--filter",
            r#"published ge "2024-05-01T13:00:00Z""#,
            EVENTS
        ]),
        "{\"published\":\"2024-05-01T13:00:00.123Z\",\"client.geographicalContext.geolocation.lat\":52.374,\"securityContext.isProxy\":false,\"target.id\":[\"0oa1x2y3z4AbCdEfG5h6\"]}\n\
         {\"published\":\"2024-05-01T13:00:07.500Z\",\"client.geographicalContext.geolocation.lat\":52.374,\"securityContext.isProxy\":false,\"target.id\":[]}\n\
         {\"published\":\"2024-05-01T13:05:00.123Z\",\"client.geographicalContext.geolocation.lat\":null,\"securityContext.isProxy\":true,\"target.id\":[]}\n"
    );
}

#[test]
fn string_values_are_compared_case_sensitively_as_okta_does() {
    let search = |filter: &str| {
        stdout_of(&[
            "search", "--format", "csv", "--fields", "uuid", "--filter", filter, EVENTS,
        ])
    };
    assert_eq!(
        search(r#"actor.alternateId eq "Jane.Doe@example.com""#),
        "uuid\n3f1c2a10-0b7e-11ef-9a01-0242ac120001\n"
    );
    assert_eq!(
        search(r#"actor.alternateId eq "jane.doe@example.com""#),
        "uuid\n"
    );
    // Keywords, operators and attribute paths ignore case.
    assert_eq!(
        search(r#"ACTOR.ALTERNATEID EQ "Jane.Doe@example.com" OR NOT Client.Zone PR"#),
        "uuid\n\
         3f1c2a10-0b7e-11ef-9a01-0242ac120001\n\
         3f1c2a10-0b7e-11ef-9a01-0242ac120002\n\
         3f1c2a10-0b7e-11ef-9a01-0242ac120004\n"
    );
}

#[test]
fn no_match_is_not_an_error() {
    let filter = r#"eventType eq "user.lifecycle.create""#;
    assert_eq!(
        stdout_of(&["search", "--format", "table", "--filter", filter, EVENTS]),
        "no matching events\n"
    );
    assert_eq!(
        stdout_of(&["search", "--format", "json", "--filter", filter, EVENTS]),
        "{\n  \"events\": []\n}\n"
    );
    assert_eq!(
        stdout_of(&["search", "--format", "ndjson", "--filter", filter, EVENTS]),
        ""
    );
}

#[test]
fn duplicates_across_exports_are_printed_once() {
    let (stdout, stderr, code) = authsift(&[
        "search",
        "--format",
        "csv",
        "--fields",
        "uuid,eventType",
        "--filter",
        r#"outcome.result ne "SUCCESS""#,
        EVENTS,
        "testdata/shapes/events-camel.csv",
    ]);
    assert_eq!(
        (stdout.as_str(), stderr.as_str(), code),
        (
            "uuid,eventType\n\
             3f1c2a10-0b7e-11ef-9a01-0242ac120001,user.authentication.auth_via_richclient\n\
             3f1c2a10-0b7e-11ef-9a01-0242ac120002,user.session.start\n\
             3f1c2a10-0b7e-11ef-9a01-0242ac120004,security.threat.detected\n",
            "authsift: note: testdata/shapes/events-camel.csv: 4 duplicate events (same uuid and published time as an event already read) counted once\n",
            0
        )
    );
}

#[test]
fn syntax_errors_show_the_column_with_a_caret_and_exit_2() {
    assert_eq!(
        authsift(&["search", "--filter", r#"eventType foo "x""#, EVENTS]),
        (
            String::new(),
            format!(
                "authsift: error: invalid --filter: expected an operator after \"eventType\" at column 11\n  \
                 eventType foo \"x\"\n  {}^\n",
                " ".repeat(10)
            ),
            2
        )
    );
    assert_eq!(
        authsift(&["search", "--filter", r#"foo.bar eq "x""#, EVENTS]),
        (
            String::new(),
            "authsift: error: invalid --filter: unknown attribute \"foo.bar\" at column 1\n  foo.bar eq \"x\"\n  ^\n"
                .to_string(),
            2
        )
    );
}

#[test]
fn bad_fields_and_a_missing_filter_are_usage_errors() {
    assert_eq!(
        authsift(&[
            "search", "--filter", "uuid pr", "--fields", "uuid,foo", EVENTS
        ]),
        (
            String::new(),
            "authsift: error: unknown attribute \"foo\" in --fields\n".to_string(),
            2
        )
    );
    let (stdout, stderr, code) = authsift(&["search", EVENTS]);
    assert_eq!((stdout.as_str(), code), ("", 2));
    assert!(
        stderr.starts_with(
            "error: the following required arguments were not provided:\n  --filter <EXPR>\n"
        ),
        "{stderr}"
    );
}

#[test]
fn matches_keep_input_order_whatever_the_chunk_size() {
    let filter =
        Filter::parse(r#"eventType eq "user.session.start" and outcome.result eq "FAILURE""#)
            .expect("valid filter");
    let uuids = |chunk_size: usize, limit: Option<usize>| {
        let options = Options {
            chunk_size,
            filter: Some(filter.clone().into()),
            ..Options::default()
        };
        let run = pipeline::run(
            &[testdata("okta-sample.json")],
            &options,
            &ProgressBar::hidden(),
            || Search::new(&WholeEvents, limit),
        )
        .expect("run succeeds");
        let uuids: Vec<String> = run
            .aggregate
            .rows
            .iter()
            .map(|e| e.uuid.to_string())
            .collect();
        (run.aggregate.matched, uuids)
    };
    let (matched, whole) = uuids(1 << 20, None);
    // SAMPLE.md: 37 user.session.start failures.
    assert_eq!((matched, whole.len()), (37, 37));
    assert_eq!(uuids(4096, None), (37, whole.clone()));
    assert_eq!(uuids(4096, Some(5)), (37, whole[..5].to_vec()));
}

#[test]
fn readme_examples_find_what_the_readme_says() {
    // Counts checked with python3 over the sample (and SAMPLE.md's table where it has them).
    let examples = [
        (
            r#"eventType eq "user.session.start" and outcome.result eq "FAILURE""#,
            37,
        ),
        (WSFED_SPRAY, 7),
        (r#"client.userAgent.rawUserAgent co "python-requests""#, 48),
        (r#"outcome.reason eq "UNKNOWN_USER""#, 3),
        (r#"eventType eq "security.threat.detected""#, 3),
        (r#"debugContext.debugData.threatSuspected eq "true""#, 92),
        (r#"eventType eq "user.mfa.okta_verify.deny_push""#, 6),
        (r#"eventType eq "user.account.lock""#, 1),
        ("securityContext.isProxy eq true", 2),
        (r#"eventType sw "user.authentication""#, 278),
        (r#"eventType co "session""#, 124),
        (r#"eventType ew "push""#, 45),
        (
            r#"target.type eq "AppInstance" and target.alternateId eq "Microsoft Office 365""#,
            136,
        ),
    ];
    for (filter, expected) in examples {
        let stdout = stdout_of(&[
            "search",
            "--format",
            "ndjson",
            "--fields",
            "uuid",
            "--filter",
            filter,
            SAMPLE_JSON,
        ]);
        assert_eq!(stdout.lines().count(), expected, "{filter}");
    }
}
