//! Every public sample in `../shared/okta-samples/` (SOURCES.md there says where each comes
//! from) is read with its events counted; every skipped record and refused file is explained
//! here. Skips cleanly when `../shared` is absent.

mod common;

use authsift::pipeline::Options;
use common::{read, shared_samples};

/// (path under okta-samples, shape, events, duplicates, skipped records by reason, error)
type Expected = (
    &'static str,
    Option<&'static str>,
    u64,
    u64,
    &'static [(&'static str, u64)],
    Option<&'static str>,
);

const NOT_AN_EXPORT: Option<&str> =
    Some("not an Okta export: unrecognised content (not JSON, NDJSON or an Okta CSV export)");
/// Sekoia's test cases wrap the raw event as a JSON string in `input.message`, with Sekoia's
/// expected parse beside it: test harness files, not exports. The raw events themselves are in
/// `okta_system_log_inputs.ndjson`, which is read.
const SEKOIA_CASE: Option<&str> = NO_LOG_EVENT;
const NO_LOG_EVENT: Option<&str> =
    Some("not an Okta export: JSON whose first object has no uuid, published or eventType");

const EXPECTED: &[Expected] = &[
    // Prose, catalogues and YAML test definitions are refused by name.
    ("SOURCES.md", None, 0, 0, &[], NOT_AN_EXPORT),
    (
        "azure-sentinel/OktaV2_CL.excerpt.json",
        Some("json-array"),
        3,
        0,
        &[],
        None,
    ),
    // A header line alone: a valid Admin Console CSV with no events.
    (
        "derived/okta-systemlog-csv-export-header.56col.csv",
        Some("csv-admin"),
        0,
        0,
        &[],
        None,
    ),
    // The fourth line repeats the first (same uuid and published time).
    (
        "elastic-integrations/test-okta-system-no-flattened-events.first4.ndjson",
        Some("ndjson"),
        3,
        1,
        &[],
        None,
    ),
    (
        "ocsf-examples/account_change.raw",
        Some("json-object"),
        1,
        0,
        &[],
        None,
    ),
    (
        "ocsf-examples/authentication.raw",
        Some("json-object"),
        1,
        0,
        &[],
        None,
    ),
    // The OCSF examples reuse one uuid and one published time across files (SOURCES.md).
    (
        "ocsf-examples/entity_management.raw",
        Some("json-object"),
        0,
        1,
        &[],
        None,
    ),
    (
        "ocsf-examples/generic_api_activity.raw",
        Some("json-object"),
        0,
        1,
        &[],
        None,
    ),
    (
        "ocsf-examples/group_management.raw",
        Some("json-object"),
        0,
        1,
        &[],
        None,
    ),
    (
        "okta-developer-docs/event-hook-delivery-payload_example.json",
        Some("json-object"),
        1,
        0,
        &[],
        None,
    ),
    // The event-type catalogue: JSON, but no LogEvent.
    (
        "okta-developer-docs/event-types.json",
        None,
        0,
        0,
        &[],
        NO_LOG_EVENT,
    ),
    (
        "okta-developer-docs/events-api-migration_example-logevent.json",
        Some("json-object"),
        1,
        0,
        &[],
        None,
    ),
    (
        "okta-developer-docs/okta-event-types.csv",
        None,
        0,
        0,
        &[],
        NOT_AN_EXPORT,
    ),
    // Okta's own example is published on 2017-09-31, a day that does not exist.
    (
        "okta-developer-docs/system-log-reference_example-logevent.json",
        Some("json-object"),
        0,
        0,
        &[("unreadable time", 1)],
        None,
    ),
    (
        "panther-analysis/okta_rule_test_events.index.tsv",
        None,
        0,
        0,
        &[],
        NOT_AN_EXPORT,
    ),
    // Panther's rule-test events are edited by hand: 12 have no uuid, 2 no published time, 4
    // have "redacted" as their time, and 46 repeat the uuid and time of an earlier test event.
    (
        "panther-analysis/okta_rule_test_events.ndjson",
        Some("ndjson"),
        20,
        46,
        &[
            ("missing published", 2),
            ("missing uuid", 12),
            ("unreadable time", 4),
        ],
        None,
    ),
    (
        "panther-analysis/test_scenarios/compromised-root-creds/attacker_okta.ndjson",
        Some("ndjson"),
        2,
        0,
        &[],
        None,
    ),
    (
        "panther-analysis/test_scenarios/compromised-root-creds/attacker_okta.yml",
        None,
        0,
        0,
        &[],
        NOT_AN_EXPORT,
    ),
    (
        "panther-analysis/test_scenarios/compromised-root-creds/victim_okta.ndjson",
        Some("ndjson"),
        1,
        0,
        &[],
        None,
    ),
    (
        "panther-analysis/test_scenarios/compromised-root-creds/victim_okta.yml",
        None,
        0,
        0,
        &[],
        NOT_AN_EXPORT,
    ),
    (
        "panther-analysis/test_scenarios/okta-add-administrator/admin_privs_assigned.ndjson",
        Some("ndjson"),
        1,
        0,
        &[],
        None,
    ),
    (
        "panther-analysis/test_scenarios/okta-add-administrator/admin_privs_assigned.yml",
        None,
        0,
        0,
        &[],
        NOT_AN_EXPORT,
    ),
    (
        "panther-analysis/test_scenarios/okta-add-administrator/legit_login.ndjson",
        Some("ndjson"),
        5,
        0,
        &[],
        None,
    ),
    (
        "panther-analysis/test_scenarios/okta-add-administrator/legit_login.yml",
        None,
        0,
        0,
        &[],
        NOT_AN_EXPORT,
    ),
    (
        "panther-analysis/test_scenarios/okta-add-administrator/new-user.ndjson",
        Some("ndjson"),
        1,
        0,
        &[],
        None,
    ),
    (
        "panther-analysis/test_scenarios/okta-add-administrator/new-user.yml",
        None,
        0,
        0,
        &[],
        NOT_AN_EXPORT,
    ),
    // test_authentication_sso_with_slashes repeats test_authentication_sso's event.
    (
        "sekoia-intake-formats/okta_system_log_inputs.ndjson",
        Some("ndjson"),
        7,
        1,
        &[],
        None,
    ),
    (
        "sekoia-intake-formats/tests/test_auth_via_idp.json",
        None,
        0,
        0,
        &[],
        SEKOIA_CASE,
    ),
    (
        "sekoia-intake-formats/tests/test_auth_via_mfa.json",
        None,
        0,
        0,
        &[],
        SEKOIA_CASE,
    ),
    (
        "sekoia-intake-formats/tests/test_authentication_sso.json",
        None,
        0,
        0,
        &[],
        SEKOIA_CASE,
    ),
    (
        "sekoia-intake-formats/tests/test_authentication_sso_with_slashes.json",
        None,
        0,
        0,
        &[],
        SEKOIA_CASE,
    ),
    (
        "sekoia-intake-formats/tests/test_login.json",
        None,
        0,
        0,
        &[],
        SEKOIA_CASE,
    ),
    (
        "sekoia-intake-formats/tests/test_send_factor.json",
        None,
        0,
        0,
        &[],
        SEKOIA_CASE,
    ),
    (
        "sekoia-intake-formats/tests/test_target.json",
        None,
        0,
        0,
        &[],
        SEKOIA_CASE,
    ),
    (
        "sekoia-intake-formats/tests/test_update_account.json",
        None,
        0,
        0,
        &[],
        SEKOIA_CASE,
    ),
];

#[test]
fn every_public_sample_is_read_and_every_skip_explained() {
    let Some(dir) = shared_samples() else { return };
    let run = read(std::slice::from_ref(&dir), &Options::default());
    let prefix = format!("{}/", dir.display());
    let actual: Vec<_> = run
        .files
        .iter()
        .map(|f| {
            let skipped: Vec<(String, u64)> =
                f.skipped.iter().map(|(k, v)| (k.clone(), *v)).collect();
            (
                f.name.strip_prefix(&prefix).unwrap_or(&f.name).to_string(),
                f.shape.clone(),
                f.events,
                f.duplicates,
                skipped,
                f.error.clone(),
            )
        })
        .collect();
    let expected: Vec<_> = EXPECTED
        .iter()
        .map(|(path, shape, events, duplicates, skipped, error)| {
            (
                path.to_string(),
                shape.map(String::from),
                *events,
                *duplicates,
                skipped
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect::<Vec<_>>(),
                error.map(String::from),
            )
        })
        .collect();
    assert_eq!(actual, expected);
    assert_eq!(run.aggregate.0.len(), 47);
}

#[test]
fn quirks_of_public_samples_are_normalised() {
    let Some(dir) = shared_samples() else { return };
    let run = read(
        &[dir.join("panther-analysis/okta_rule_test_events.ndjson")],
        &Options::default(),
    );
    let first = &run.aggregate.0[0];
    // Lower-cased keys (`eventtype`, `debugcontext`, `securitycontext`) and a zone-less time.
    assert_eq!(first["eventType"], "user.session.start");
    assert_eq!(first["published"], "2023-01-10T17:39:40.526Z");
    assert_eq!(first["requestUri"], "/idp/idx/identify");
    assert_eq!(first["securityContext"]["asNumber"], 1337);
    assert_eq!(first["client"]["zone"], serde_json::Value::Null);

    let run = read(
        &[dir.join("azure-sentinel/OktaV2_CL.excerpt.json")],
        &Options::default(),
    );
    let system = &run.aggregate.0[2];
    assert_eq!(system["actor"]["type"], "SystemPrincipal");
    assert_eq!(system["client"]["rawUserAgent"], serde_json::Value::Null);
    assert_eq!(system["transactionId"], "unknown");

    let run = read(
        &[dir.join("okta-developer-docs/event-hook-delivery-payload_example.json")],
        &Options::default(),
    );
    assert_eq!(
        run.aggregate.0[0]["uuid"],
        "f1d0b993-cc19-11ed-a688-db22c99ef6c4"
    );
}
