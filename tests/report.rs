//! `authsift report`: golden output of the sample, determinism, and that nothing an attacker
//! writes into a log becomes markup.

mod common;

use std::path::Path;

use common::{authsift, stdout_of};

const SAMPLE: &str = "testdata/okta-sample.json";
const HOSTILE: &str = "testdata/hostile/payloads.ndjson";
const NOW: &str = "2024-06-01T10:00:00Z";

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
fn report_of_the_sample() {
    golden("report.html", &stdout_of(&["report", "--now", NOW, SAMPLE]));
    golden(
        "report.json",
        &stdout_of(&["report", "--now", NOW, "--format", "json", SAMPLE]),
    );
}

#[test]
fn the_json_document_has_the_documented_sections() {
    let text = stdout_of(&["report", "--now", NOW, "--format", "json", SAMPLE]);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sections = [
        "case",
        "inputs",
        "headline",
        "timeline",
        "basic_auth_agents",
        "findings",
        "top_ips",
        "top_users",
        "coverage",
    ];
    assert_eq!(json.as_object().unwrap().len(), sections.len());
    let positions: Vec<usize> = sections
        .iter()
        .map(|key| text.find(&format!("\n  \"{key}\": ")).unwrap())
        .collect();
    assert!(positions.is_sorted(), "sections in the documented order");
    assert_eq!(json["case"]["created"], "2024-06-01T10:00:00.000Z");
    assert_eq!(
        json["case"]["command_line"],
        serde_json::json!([
            "authsift", "report", "--now", NOW, "--format", "json", SAMPLE
        ])
    );
    assert_eq!(
        json["inputs"][0]["sha256"],
        "b0f41c1951589b46edead6fc757e9b55b307281683b352f0df8229b9ea1d8e2b"
    );
    assert_eq!(json["headline"]["events"], 520);
    assert_eq!(json["headline"]["failures"], 80);
    assert_eq!(json["headline"]["denied"], 3);
    assert_eq!(
        json["headline"]["successes_after_attacks"],
        serde_json::json!(["daniel.roberts@example.com", "felix.miller@example.com"])
    );
    assert_eq!(
        json["headline"]["findings_by_severity"],
        serde_json::json!({"critical": 3, "high": 4, "medium": 4, "low": 10, "informational": 0})
    );
    // The same findings as `authsift hunt`.
    let hunt: serde_json::Value =
        serde_json::from_str(&stdout_of(&["hunt", "--format", "json", SAMPLE])).unwrap();
    assert_eq!(json["findings"], hunt["findings"]);
    assert_eq!(json["timeline"]["bucket"], "hour");
    // Every hour from the first event's to the last event's.
    assert_eq!(json["timeline"]["rows"].as_array().unwrap().len(), 96);
    assert_eq!(json["basic_auth_agents"].as_array().unwrap().len(), 8);
    assert_eq!(json["top_ips"][0]["ip"], "203.0.113.43");
    assert_eq!(json["top_ips"][0]["asn"], 14061);
    // On the chart's axis: the spray hour is the 27th.
    let spray = json["top_ips"][0]["failures_per_bucket"]
        .as_array()
        .unwrap();
    assert_eq!(spray.len(), 96);
    assert_eq!(spray[26], 46);
    assert_eq!(spray.iter().filter_map(|n| n.as_u64()).sum::<u64>(), 46);
    assert_eq!(json["top_users"][0]["user"], "hiroshi.phillips@example.com");
    assert_eq!(json["coverage"]["duplicates"], 0);
}

#[test]
fn the_same_inputs_give_the_same_bytes_whatever_the_thread_count() {
    let run = |threads: &str| {
        let output = assert_cmd::Command::cargo_bin("authsift")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("RAYON_NUM_THREADS", threads)
            .args(["report", "--now", NOW, SAMPLE, "testdata/okta-sample.csv"])
            .output()
            .unwrap();
        assert!(output.status.success());
        output.stdout
    };
    assert_eq!(run("1"), run("4"));
}

#[test]
fn coverage_shows_overlapping_inputs_and_duplicates() {
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "--quiet",
        "report",
        "--now",
        NOW,
        "--format",
        "json",
        SAMPLE,
        "testdata/okta-sample.csv",
    ]))
    .unwrap();
    let coverage = &json["coverage"];
    assert_eq!(coverage["duplicates"], 520);
    assert_eq!(coverage["gaps"], serde_json::json!([]));
    assert_eq!(
        coverage["overlaps"],
        serde_json::json!([{
            "start": "2024-05-01T00:14:54.643Z",
            "end": "2024-05-04T23:17:24.038Z",
            "inputs": [SAMPLE, "testdata/okta-sample.csv"]
        }])
    );
}

#[test]
fn report_writes_html_or_json_only() {
    for format in ["csv", "table", "ndjson", "svg"] {
        let (stdout, stderr, code) = authsift(&["report", "--format", format, SAMPLE]);
        assert_eq!((stdout.as_str(), code), ("", 2));
        assert_eq!(
            stderr,
            "authsift: error: report writes html or json (--format html|json)\n"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("case.json");
    stdout_of(&["report", "--now", NOW, "-o", json.to_str().unwrap(), SAMPLE]);
    let written = std::fs::read_to_string(&json).unwrap();
    assert!(
        written.starts_with("{\n  \"case\": {"),
        "-o .json writes JSON"
    );
}

/// Every field of the hostile fixture holds markup; the file name and the filter do too.
#[test]
fn attacker_text_is_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("\"onmouseover=alert(7) <b>x.ndjson");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(HOSTILE), &input).unwrap();
    let filter = "actor.displayName ne \"</script><script>alert(8)</script>\"";
    let html = stdout_of(&[
        "report",
        "--now",
        NOW,
        "--filter",
        filter,
        input.to_str().unwrap(),
    ]);
    for shown in [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&quot;onmouseover=&quot;alert(2)",
        "&#39;onmouseover=&#39;alert(3)",
        "&lt;/svg&gt;&lt;script&gt;alert(4)&lt;/script&gt;",
        "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;img src=x onerror=alert(5)&gt;",
        "]]&gt;&lt;!-- --&gt;&lt;style&gt;body{display:none}&lt;/style&gt;",
        "&quot;onmouseover=alert(7) &lt;b&gt;x.ndjson",
        "&lt;/script&gt;&lt;script&gt;alert(8)&lt;/script&gt;",
    ] {
        assert!(html.contains(shown), "{shown} is not shown as text");
    }
    // The user agents, users, IPs, organisations and countries all reached the page.
    for table in ["agents", "findings", "top-ips", "top-users"] {
        assert!(html.contains(&format!("<table class=\"sortable\" id=\"{table}\">")));
    }
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the report's own script"
    );
    // The chart and a sparkline per top IP and user (8 each).
    assert_eq!(html.matches("<svg").count(), 1 + 8 + 8);
    assert_eq!(html.matches("</svg>").count(), 1 + 8 + 8);
    assert_eq!(html.matches("<style").count(), 1);
    assert_eq!(
        html.matches("</table>").count(),
        html.matches("<table").count()
    );
    for raw in ["<img", "<b>", "\"onmouseover", "'onmouseover", "<!--"] {
        assert!(!html.contains(raw), "{raw} reached the page as markup");
    }
    assert_no_fetch(&html);
}

#[test]
fn the_sample_report_fetches_nothing() {
    assert_no_fetch(&stdout_of(&["report", "--now", NOW, SAMPLE]));
}

/// No `src` at all, links only within the page, `url()` only of the page's own patterns, and
/// a Content-Security-Policy that forbids the browser any fetch. Text from the logs may say
/// `src=` or `http://`: only tags and the style sheet are looked at.
fn assert_no_fetch(html: &str) {
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; \
         style-src &#39;unsafe-inline&#39;; script-src &#39;unsafe-inline&#39;; img-src data:\">"
    ));
    let style = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
    let tags = html
        .split('<')
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(rest));
    for markup in tags.chain([style]) {
        let name = markup.split([' ', '\n']).next().unwrap_or_default();
        assert!(
            !["link", "iframe", "object", "embed", "img", "image", "use"].contains(&name),
            "<{markup}>"
        );
        assert!(!markup.contains("src="), "<{markup}>");
        assert!(!markup.contains("@import"), "{markup}");
        for (i, _) in markup.match_indices("href=\"") {
            assert!(
                markup[i + 6..].starts_with('#'),
                "link leaves the page: <{markup}>"
            );
        }
        for (i, _) in markup.match_indices("url(") {
            assert!(
                markup[i + 4..].starts_with('#'),
                "fetching url(): <{markup}>"
            );
        }
    }
}

/// One forged event dated in year 1 must not make the chart millions of bars long.
#[test]
fn far_apart_events_keep_the_chart_within_300_bars() {
    let events = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/shapes/events.ndjson"),
    )
    .unwrap();
    let mut lines = events.lines();
    let forged = format!(
        "{}\n{}\n",
        lines
            .next()
            .unwrap()
            .replace("2024-05-01T13:00:00.123Z", "0001-01-01T00:00:00.000Z"),
        lines
            .next()
            .unwrap()
            .replace("2024-05-01T13:00:07.5Z", "9999-12-31T23:59:59.000Z"),
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("forged.ndjson");
    std::fs::write(&input, forged).unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "report",
        "--format",
        "json",
        input.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(json["timeline"]["bucket"], "12190 days");
    assert!(json["timeline"]["rows"].as_array().unwrap().len() <= 300);
}

/// The report's pass reads its own, larger chunks (`Aggregate::CHUNK_SCALE`) and merges every
/// tally of each chunk in input order: whatever the chunk size and thread count, the document
/// is the one a single chunk gives, on the sample as an API export and as the Admin Console CSV.
#[test]
fn the_document_is_the_same_whatever_the_chunks() {
    use authsift::aggregate::case::Case;
    use authsift::detect::params::Settings;
    use authsift::pipeline::{Options, read_bytes};
    use authsift::report::document::{CaseHeader, Document};
    use authsift::time::Timestamp;

    let document = |name: &str, data: &[u8], chunk_size: usize, threads: usize| {
        let options = Options {
            chunk_size,
            ..Options::default()
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let run = pool
            .install(|| read_bytes(name, data, &options, Case::default))
            .unwrap();
        let header = CaseHeader {
            layout_version: 1,
            created: Timestamp(0),
            authsift_version: "test",
            command_line: Vec::new(),
            since: None,
            until: None,
            filter: None,
        };
        let document = Document::new(run.aggregate, run.files, header, 10, &Settings::default());
        serde_json::to_string(&document).unwrap()
    };
    for name in [SAMPLE, "testdata/okta-sample.csv"] {
        let data = std::fs::read(name).unwrap();
        let whole = document(name, &data, data.len(), 1);
        for section in ["findings", "basic_auth_agents", "top_ips", "top_users"] {
            assert!(
                whole.contains(&format!("\"{section}\":[{{")),
                "{name}: no {section} to compare"
            );
        }
        for chunk_size in [500, 4_096, 65_536] {
            for threads in [1, 3] {
                assert_eq!(
                    document(name, &data, chunk_size, threads),
                    whole,
                    "{name} in chunks of {chunk_size} bytes on {threads} threads"
                );
            }
        }
    }
}
