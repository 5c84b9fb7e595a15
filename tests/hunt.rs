//! `authsift hunt`: each detection on its fixture (`testdata/hunt/<id>.ndjson`, golden JSON in
//! `tests/golden/hunt/`) and on its near miss (`<id>-near-miss.ndjson`, which sits just under a
//! threshold and must find nothing); the bundled sample's findings, checked against
//! testdata/SAMPLE.md; options, formats and errors.
//!
//! `UPDATE_GOLDEN=1 cargo test` rewrites the golden files; review the diff.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use authsift::detect::CATALOGUE;
use common::{authsift, stdout_of};
use serde_json::Value;

const SAMPLE: &str = "testdata/okta-sample.json";
const SAMPLE_CSV: &str = "testdata/okta-sample.csv";

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

fn findings(args: &[&str]) -> Vec<Value> {
    let stdout = stdout_of(&[&["hunt", "--format", "json"], args].concat());
    let document: Value = serde_json::from_str(&stdout).unwrap();
    document["findings"].as_array().unwrap().clone()
}

fn fixture(name: &str) -> String {
    format!("testdata/hunt/{name}.ndjson")
}

#[test]
fn every_detection_finds_its_fixture() {
    for detection in CATALOGUE {
        let path = fixture(detection.id);
        let stdout = stdout_of(&[
            "hunt",
            "--format",
            "json",
            "--detection",
            detection.id,
            &path,
        ]);
        golden(&format!("hunt/{}.json", detection.id), &stdout);
        let found: Value = serde_json::from_str(&stdout).unwrap();
        let found = found["findings"].as_array().unwrap();
        assert!(!found.is_empty(), "{path}");
        assert!(
            found.iter().all(|f| f["detection"] == detection.id),
            "{path}"
        );
    }
}

#[test]
fn every_near_miss_finds_nothing() {
    for detection in CATALOGUE {
        let path = fixture(&format!("{}-near-miss", detection.id));
        assert_eq!(
            stdout_of(&[
                "hunt",
                "--format",
                "json",
                "--detection",
                detection.id,
                &path
            ]),
            "{\n  \"findings\": []\n}\n",
            "{path}"
        );
    }
}

#[test]
fn fixtures_are_clean_exports() {
    let summary: Value = serde_json::from_str(&stdout_of(&[
        "summary",
        "--format",
        "json",
        "testdata/hunt",
    ]))
    .unwrap();
    let files = summary["files"].as_array().unwrap();
    assert_eq!(files.len(), 2 * CATALOGUE.len());
    for file in files {
        assert_eq!(file["shape"], "ndjson", "{file}");
        assert_eq!(file["skipped"], serde_json::json!({}), "{file}");
        assert_eq!(file["duplicates"], 0, "{file}");
    }
}

#[test]
fn thresholds_can_be_changed() {
    let near_miss = fixture("brute-force-near-miss");
    for setting in ["brute-force.failures=9", "brute-force.window=32m"] {
        let found = findings(&["--detection", "brute-force", "--set", setting, &near_miss]);
        assert_eq!(found.len(), 1, "{setting}");
    }
    let found = findings(&["--set", "brute-force.failures=13", &fixture("brute-force")]);
    assert!(found.iter().all(|f| f["detection"] != "brute-force"));
}

#[test]
fn bad_options_are_one_line_errors() {
    for (args, message) in [
        (
            &["--set", "brute-force.failures=0"][..],
            "--set brute-force.failures=0: expected a whole number from 1 to 1000000000",
        ),
        (
            &["--set", "brute-force.speed=3"],
            "--set brute-force.speed=3: brute-force has no parameter \"speed\" (it has failures, window)",
        ),
        (
            &["--set", "nope.window=1h"],
            "--set nope.window=1h: no detection \"nope\" (authsift hunt --list shows them)",
        ),
        (
            &["--set", "password-spray.window=1 hour"],
            "--set password-spray.window=1 hour: expected a duration such as 90s, 15m, 3h or 1d (at most 366d)",
        ),
        (
            &["--set", "window=1h"],
            "--set window=1h: expected ID.PARAM=VALUE, such as brute-force.failures=20",
        ),
        (
            &["--detection", "brute_force"],
            "--detection brute_force: no such detection (authsift hunt --list shows them)",
        ),
        (
            &[
                "--set",
                "password-spray.max_per_user=3",
                "--set",
                "password-spray.min_per_user=4",
            ],
            "--set: password-spray.min_per_user (4) is above password-spray.max_per_user (3), so password-spray could never fire",
        ),
    ] {
        let (stdout, stderr, code) = authsift(&[&["hunt"], args, &[SAMPLE]].concat());
        assert_eq!(
            (stdout.as_str(), stderr.as_str(), code),
            ("", format!("authsift: error: {message}\n").as_str(), 2),
            "{args:?}"
        );
    }
}

#[test]
fn the_catalogue_lists_logic_thresholds_and_public_rules() {
    let listed: Value =
        serde_json::from_str(&stdout_of(&["hunt", "--list", "--format", "json"])).unwrap();
    let detections = listed["detections"].as_array().unwrap();
    let ids: Vec<&str> = detections
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = CATALOGUE.iter().map(|d| d.id).collect();
    assert_eq!(ids, expected);
    for d in detections {
        assert!(d["logic"].as_str().is_some_and(|l| l.len() > 40), "{d}");
        assert!(
            d["closest"].as_str().is_some_and(|c| c.contains("Ours")),
            "{d}"
        );
    }
    let brute: Value = serde_json::from_str(&stdout_of(&[
        "hunt",
        "--list",
        "--format",
        "json",
        "--detection",
        "brute-force",
        "--set",
        "brute-force.window=1h",
    ]))
    .unwrap();
    assert_eq!(
        brute["detections"][0]["params"],
        serde_json::json!([
            {"name": "failures", "value": "10", "default": "10", "doc": "failed sign-ins for the user"},
            {"name": "window", "value": "1h", "default": "30m", "doc": "sliding window"}
        ])
    );
    assert!(
        brute["detections"][0]["logic"]
            .as_str()
            .unwrap()
            .contains("within 1h")
    );
    let table = stdout_of(&["hunt", "--list", "--format", "table"]);
    let help = stdout_of(&["hunt", "--help"]);
    for d in CATALOGUE {
        assert!(table.contains(&format!("\n{}  ", d.id)) || table.starts_with(d.id));
        assert!(help.contains(d.id), "--help names {}", d.id);
    }
    assert!(table.contains("credit   kelnage"));
    let (_, stderr, code) = authsift(&["hunt", "--format", "json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("<PATH>"), "{stderr}");
}

#[test]
fn typed_passwords_are_masked_unless_asked() {
    let path = fixture("password-in-username");
    for format in ["json", "csv", "ndjson", "table"] {
        let stdout = stdout_of(&["hunt", "--format", format, &path]);
        assert!(!stdout.contains("Spring2024"), "{format}");
        assert!(stdout.contains("S****!"), "{format}");
    }
    let shown = findings(&["--show-secrets", &path]);
    assert_eq!(shown[0]["key"]["value"], "Spring2024!");
    assert_eq!(
        shown[0]["users"],
        serde_json::json!(["maria.garcia@example.com"])
    );
}

#[test]
fn formats_carry_the_same_findings() {
    let json = findings(&[SAMPLE]);
    let ndjson = stdout_of(&["hunt", "--format", "ndjson", SAMPLE]);
    let lines: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, json);
    let csv = stdout_of(&["hunt", "--format", "csv", SAMPLE]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), json.len());
    for (row, finding) in rows.iter().zip(&json) {
        assert_eq!(&row[0], finding["detection"].as_str().unwrap());
        let evidence: Vec<&str> = row[13].split(' ').collect();
        assert_eq!(serde_json::json!(evidence), finding["evidence"]);
    }
    let table = stdout_of(&["hunt", "--format", "table", SAMPLE]);
    assert!(table.starts_with(&format!("{} findings: ", json.len())));
    assert!(
        table.contains(" +40 more\n"),
        "evidence is cut in the table"
    );
}

#[test]
fn attacker_text_is_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.ndjson");
    let line = std::fs::read_to_string(fixture("legacy-auth-success"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .replace(
            "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17628; Pro)",
            "=HYPERLINK(\\\"http://evil.example\\\")\\u001b[31m",
        );
    std::fs::write(&path, line + "\n").unwrap();
    let path = path.to_str().unwrap();
    let csv = stdout_of(&["hunt", "--format", "csv", path]);
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\")\u{1b}[31m\","),
        "{csv}"
    );
    let table = stdout_of(&["hunt", "--format", "table", path]);
    assert!(
        table.contains("=HYPERLINK(\"http://evil.example\")\\u{1b}[31m"),
        "{table}"
    );
    assert!(!table.contains('\u{1b}'));
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let all: Vec<String> = CATALOGUE.iter().map(|d| fixture(d.id)).collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    for inputs in [&[SAMPLE, SAMPLE_CSV][..], &all] {
        let run = |threads: &str| {
            stdout_of(
                &[
                    &["--quiet", "--threads", threads, "hunt", "--format", "json"],
                    inputs,
                ]
                .concat(),
            )
        };
        let one = run("1");
        assert_eq!(one, run("3"));
        assert_eq!(one, run("8"));
    }
}

/// The findings on the bundled sample, each checked against testdata/SAMPLE.md.
#[test]
fn the_sample_findings_are_its_three_attacks_and_its_basic_auth_users() {
    let stdout = stdout_of(&["hunt", "--format", "json", SAMPLE]);
    golden("hunt.json", &stdout);
    golden(
        "hunt.table",
        &stdout_of(&["hunt", "--format", "table", SAMPLE]),
    );
    let found: Value = serde_json::from_str(&stdout).unwrap();
    let found = found["findings"].as_array().unwrap();
    let of = |id: &str| -> Vec<&Value> { found.iter().filter(|f| f["detection"] == id).collect() };
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };

    // 1. Brute force on hiroshi.phillips: 26 failed user.session.start from 5 addresses,
    // 15:37:15.961 to 15:54:14.433 (the lockout follows at 15:54:14.758).
    let brute = of("brute-force");
    assert_eq!(brute.len(), 1);
    assert_eq!(brute[0]["key"]["value"], "hiroshi.phillips@example.com");
    assert_eq!(brute[0]["counts"]["failures"], 26);
    assert_eq!(
        strings(&brute[0]["ips"]),
        [
            "198.51.100.18",
            "198.51.100.217",
            "203.0.113.213",
            "203.0.113.6",
            "203.0.113.67"
        ]
    );
    assert_eq!(brute[0]["start"], "2024-05-01T15:37:15.961Z");
    assert_eq!(brute[0]["end"], "2024-05-01T15:54:14.433Z");
    // ... two of its attempts came through 203.0.113.213, the Tor exit (isProxy true).
    let proxy = of("anonymizing-proxy");
    assert_eq!(proxy.len(), 1);
    assert_eq!(proxy[0]["key"]["value"], "203.0.113.213");
    assert_eq!(proxy[0]["counts"]["failures"], 2);
    assert_eq!(proxy[0]["severity"], "medium");

    // 2. The basic-auth spray from 203.0.113.43: 30 users and 3 unknown names, 43 failed
    // sign-ins (36 rich-client, 7 session starts); its 3 ThreatInsight denials apart.
    for id in [
        "legacy-password-spray",
        "password-spray",
        "credential-stuffing",
    ] {
        let spray = of(id);
        assert_eq!(spray.len(), 1, "{id}");
        assert_eq!(spray[0]["key"]["value"], "203.0.113.43", "{id}");
    }
    let spray = of("legacy-password-spray")[0];
    assert_eq!(spray["counts"]["users"], 33);
    assert_eq!(spray["counts"]["attempts"], 43);
    assert_eq!(spray["start"], "2024-05-02T02:16:04.264Z");
    let threats = of("threatinsight");
    assert_eq!(threats.len(), 1);
    assert_eq!(threats[0]["key"]["value"], "203.0.113.43");
    assert_eq!(threats[0]["counts"]["events"], 3);
    assert_eq!(threats[0]["severity"], "high");
    // ... which compromised felix.miller and daniel.roberts through basic auth.
    let compromised = of("success-after-failures");
    let users: BTreeSet<&str> = compromised
        .iter()
        .map(|f| f["key"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        users,
        BTreeSet::from(["daniel.roberts@example.com", "felix.miller@example.com"])
    );
    assert!(compromised.iter().all(|f| f["severity"] == "critical"));
    assert!(
        compromised
            .iter()
            .all(|f| f["ips"] == serde_json::json!(["203.0.113.43"]))
    );

    // 3. The push storm on valentina.walker from 203.0.113.104: 8 pushes, 6 refused, one
    // ignored, the last accepted, then a session from the attacker's address.
    let storm = of("mfa-push-fatigue");
    assert_eq!(storm.len(), 1);
    assert_eq!(storm[0]["key"]["value"], "valentina.walker@example.com");
    assert_eq!(storm[0]["severity"], "critical");
    assert_eq!(
        storm[0]["counts"],
        serde_json::json!({"pushes": 8, "refused": 6, "unanswered": 1, "successes": 2})
    );
    assert_eq!(storm[0]["ips"], serde_json::json!(["203.0.113.104"]));
    // SAMPLE.md's window opens with the sign-on policy challenge at 13:52:40.703; the first
    // push follows at 13:52:43.391.
    assert_eq!(storm[0]["start"], "2024-05-03T13:52:43.391Z");
    assert_eq!(storm[0]["end"], "2024-05-03T13:59:43.804Z");

    // Basic auth in use: the 10 employees' mail clients (low) and the two compromised
    // accounts, whose only basic-auth successes came from the spray tool (high).
    let basic = of("legacy-auth-success");
    let low: BTreeSet<&str> = basic
        .iter()
        .filter(|f| f["severity"] == "low")
        .map(|f| f["key"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        low,
        BTreeSet::from([
            "liam.phillips@example.com",
            "zoe.walker@example.com",
            "nina.davis@example.com",
            "william.nelson@example.com",
            "bruno.brown@example.com",
            "gabriela.lopez@example.com",
            "kenji.harris@example.com",
            "ben.white@example.com",
            "jack.harris@example.com",
            "jose.wilson@example.com",
        ])
    );
    let high: BTreeSet<&str> = basic
        .iter()
        .filter(|f| f["severity"] == "high")
        .map(|f| f["key"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(high, users);

    // Nothing else: no lockout storm (one lockout), no distributed spray, no typed password,
    // no account in two countries within an hour.
    let detections: BTreeSet<&str> = found
        .iter()
        .map(|f| f["detection"].as_str().unwrap())
        .collect();
    assert_eq!(
        detections,
        BTreeSet::from([
            "anonymizing-proxy",
            "brute-force",
            "credential-stuffing",
            "legacy-auth-success",
            "legacy-password-spray",
            "mfa-push-fatigue",
            "password-spray",
            "success-after-failures",
            "threatinsight",
        ])
    );
    assert_eq!(found.len(), 21);
}

#[test]
fn severity_and_detection_filters() {
    let critical = findings(&["--min-severity", "critical", SAMPLE]);
    assert_eq!(critical.len(), 3);
    assert!(critical.iter().all(|f| f["severity"] == "critical"));
    let some = findings(&[
        "--detection",
        "brute-force",
        "--detection",
        "threatinsight",
        SAMPLE,
    ]);
    let ids: Vec<&str> = some
        .iter()
        .map(|f| f["detection"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["brute-force", "threatinsight"]);
    // success-after-failures still follows the attacks it is not asked to print.
    let only = findings(&["--detection", "success-after-failures", SAMPLE]);
    assert_eq!(only.len(), 2);
}

/// The Admin Console CSV export has no securityContext and no debugData but the request URI:
/// the proxy finding is lost, ThreatInsight names come from outcome.reason without levels, and
/// the ASNs are unknown. Everything else is found alike.
#[test]
fn the_csv_export_finds_the_same_attacks_with_less_context() {
    let key = |f: &Value| format!("{} {} {}", f["detection"], f["key"]["value"], f["start"]);
    let from_json: BTreeSet<String> = findings(&[SAMPLE]).iter().map(key).collect();
    let from_csv = findings(&[SAMPLE_CSV]);
    let expected: BTreeSet<String> = from_json
        .into_iter()
        .filter(|k| !k.starts_with("\"anonymizing-proxy\""))
        .collect();
    assert_eq!(from_csv.iter().map(key).collect::<BTreeSet<_>>(), expected);
    let threat = from_csv
        .iter()
        .find(|f| f["detection"] == "threatinsight")
        .unwrap();
    assert_eq!(threat["severity"], "medium");
    assert_eq!(
        threat["details"],
        "3 ThreatInsight events from 203.0.113.43: Login failures with high unknown users count, Password Spray"
    );
    assert!(from_csv.iter().all(|f| f["asns"] == serde_json::json!([])));
}

/// README: "Within 30m" includes both ends, with its example: ten failures 200 s apart (0 s to
/// 1800 s) are a brute force, 201 s apart they are not.
#[test]
fn windows_include_both_ends_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    for (every, expected) in [(200, 1), (201, 0)] {
        let path = dir.path().join(format!("every-{every}.ndjson"));
        let lines: String = (0..10)
            .map(|i| {
                let t = 1_714_521_600 + i * every;
                format!(
                    "{{\"uuid\":\"e{i}\",\"published\":\"2024-05-01T{:02}:{:02}:{:02}Z\",\"eventType\":\"user.session.start\",\"outcome\":{{\"result\":\"FAILURE\"}},\"actor\":{{\"alternateId\":\"ann@example.com\"}},\"client\":{{\"ipAddress\":\"192.0.2.1\"}}}}\n",
                    (t / 3600) % 24,
                    (t / 60) % 60,
                    t % 60
                )
            })
            .collect();
        std::fs::write(&path, lines).unwrap();
        let found = findings(&["--detection", "brute-force", path.to_str().unwrap()]);
        assert_eq!(found.len(), expected, "every {every} s");
    }
    let (help, _, _) = authsift(&["hunt", "--help"]);
    assert!(help.contains("include both ends"), "{help}");
}
