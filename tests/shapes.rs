//! Every export shape reads into the same normalised events, whatever the chunk size.

mod common;

use authsift::pipeline::Options;
use common::{read, testdata};
use serde_json::{Value, json};

fn events(name: &str) -> Vec<Value> {
    let run = read(&[testdata(name)], &Options::default());
    assert_eq!(run.files[0].error, None, "{name}");
    assert!(
        run.files[0].skipped.is_empty(),
        "{name}: {:?}",
        run.files[0].skipped
    );
    run.aggregate.0
}

#[test]
fn every_shape_gives_the_same_events() {
    let reference = events("shapes/events.json");
    assert_eq!(reference.len(), 4);
    for name in [
        "shapes/pages.json",
        "shapes/events.ndjson",
        "shapes/events-hook.json",
    ] {
        assert_eq!(events(name), reference, "{name}");
    }
    // CSV exports carry no debugData but the request URI.
    let mut without_csv_gaps = reference.clone();
    for event in &mut without_csv_gaps {
        event["debugData"] = json!({});
    }
    assert_eq!(events("shapes/events-camel.csv"), without_csv_gaps);
    // The Admin Console CSV has no securityContext and no client state column either.
    let mut without_admin_gaps = without_csv_gaps.clone();
    for event in &mut without_admin_gaps {
        event["securityContext"] =
            json!({"asNumber": null, "asOrg": null, "isp": null, "domain": null, "isProxy": null});
        event["client"]["state"] = Value::Null;
    }
    assert_eq!(events("shapes/events-admin.csv"), without_admin_gaps);
}

#[test]
fn normalised_event_holds_every_field() {
    let first = &events("shapes/events.json")[0];
    assert_eq!(
        first,
        &json!({
            "uuid": "3f1c2a10-0b7e-11ef-9a01-0242ac120001",
            "published": "2024-05-01T13:00:00.123Z",
            "eventType": "user.authentication.auth_via_richclient",
            "legacyEventType": "app.rich_client.login_failure",
            "displayMessage": "Authentication of a user via Rich Client",
            "severity": "WARN",
            "outcome": {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
            "actor": {"id": "00u1a2b3c4D5e6F7g8h9", "type": "User", "alternateId": "Jane.Doe@example.com", "displayName": "Doe, \"JJ\" Jane"},
            "client": {
                "ipAddress": "185.220.101.45",
                "rawUserAgent": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
                "os": "Windows 10", "browser": "UNKNOWN", "zone": null, "device": "Computer",
                "city": "Amsterdam", "state": "North Holland", "country": "Netherlands", "postalCode": "1012",
                "lat": 52.374, "lon": 4.8897
            },
            "securityContext": {"asNumber": 208091, "asOrg": "xtom", "isp": "xTom GmbH", "domain": "xtom.com", "isProxy": false},
            "requestUri": "/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active",
            "debugData": {"threatSuspected": "false"},
            "externalSessionId": "unknown",
            "transactionId": "ZjJ4aXh0eWZ1bmN0aW9u",
            "targets": [{"id": "0oa1x2y3z4AbCdEfG5h6", "type": "AppInstance", "alternateId": "Microsoft Office 365", "displayName": "Microsoft Office 365"}]
        })
    );
}

#[test]
fn numeric_offsets_and_nine_digit_fractions_are_normalised_to_utc_milliseconds() {
    let events = events("shapes/events.json");
    assert_eq!(events[2]["published"], "2024-05-01T12:10:00.000Z");
    assert_eq!(events[3]["published"], "2024-05-01T13:05:00.123Z");
    assert_eq!(events[3]["client"]["rawUserAgent"], Value::Null);
    assert_eq!(events[3]["securityContext"]["isProxy"], true);
}

#[test]
fn chunk_size_does_not_change_the_result() {
    for name in [
        "shapes/events.json",
        "shapes/pages.json",
        "shapes/events.ndjson",
        "shapes/events-admin.csv",
        "shapes/events-camel.csv",
        "shapes/events-hook.json",
    ] {
        let whole = events(name);
        for chunk_size in [1, 7, 100, 1000] {
            let options = Options {
                chunk_size,
                ..Options::default()
            };
            let run = read(&[testdata(name)], &options);
            assert_eq!(
                run.aggregate.0, whole,
                "{name} with chunks of {chunk_size} bytes"
            );
        }
    }
}

/// Records that straddle chunk boundaries: quoted CSV fields holding newlines and text that
/// looks like a whole record, JSON strings holding brackets, escaped quotes and what looks like
/// the start of a record. Every chunk size from 1 byte up, on one thread and on four, reads them
/// as the whole file read at once does.
#[test]
fn records_straddling_chunks_are_read_whole_whatever_the_cut() {
    for name in ["shapes/straddle.csv", "shapes/straddle.json"] {
        let whole = events(name);
        assert_eq!(whole.len(), 12, "{name}");
        assert!(
            whole
                .iter()
                .all(|e| e["uuid"] != "3f1c2a10-0b7e-11ef-9a01-0242ac12ffff"),
            "{name}"
        );
        let data = std::fs::read(testdata(name)).unwrap();
        for threads in [1, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for chunk_size in (1..=64).chain([97, 256, 1000, 4096]) {
                let options = Options {
                    chunk_size,
                    ..Options::default()
                };
                let run = pool.install(|| {
                    authsift::pipeline::read_bytes(name, &data, &options, common::Collect::default)
                        .unwrap()
                });
                assert!(run.files[0].skipped.is_empty(), "{name} {chunk_size}");
                assert_eq!(
                    run.aggregate.0, whole,
                    "{name} in chunks of {chunk_size} on {threads} threads"
                );
            }
        }
    }
}
