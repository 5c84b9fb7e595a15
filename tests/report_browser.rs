//! The report in a real browser, headless Chromium: the inline script runs without error,
//! nothing reaches the console (script errors and refused fetches would), every section and
//! the expected rows are in the DOM, hostile log text builds no element, and a screenshot of
//! the sample's report is left at `target/tmp/report.png` (in the target directory, wherever
//! `CARGO_TARGET_DIR` puts it) for people to look at.
//!
//! Without Chromium the tests are skipped with a message, except in CI (`CI` set), where they
//! fail: `.ci/run` installs Debian's `chromium`. `AUTHSIFT_CHROMIUM` names another binary.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::stdout_of;

const NOW: &str = "2024-06-01T10:00:00Z";
/// Longest a browser run may take before the test gives up on it.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AUTHSIFT_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required in CI (.ci/run installs it): /usr/bin/chromium is missing"
        );
        eprintln!("skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)");
    }
    found
}

/// Runs headless Chromium on `page` with `arguments`: (standard output, standard error).
fn browse(chromium: &Path, page: &Path, arguments: &[&str]) -> (String, String) {
    let scratch = tempfile::tempdir().unwrap();
    let profile = scratch.path().join("profile");
    let (stdout_path, stderr_path) = (scratch.path().join("out"), scratch.path().join("err"));
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(arguments)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", chromium.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            panic!("Chromium did not finish within {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(status.success(), "Chromium failed: {stderr}");
    (stdout, stderr)
}

/// Writes the report of `input` into `dir`.
fn report(dir: &Path, input: &str) -> PathBuf {
    let page = dir.join("report.html");
    stdout_of(&["report", "--now", NOW, "-o", page.to_str().unwrap(), input]);
    page
}

/// What the page logged to the console: script errors, refused fetches, anything.
fn console(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// The rows in the body of the table with this id.
fn rows(dom: &str, id: &str) -> usize {
    let table = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let body = &dom[table..];
    let body = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    body.matches("<tr").count()
}

#[test]
fn the_sample_report_in_a_browser() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = report(dir.path(), "testdata/okta-sample.json");
    let (dom, stderr) = browse(&chromium, &page, &["--dump-dom"]);
    assert_eq!(console(&stderr), Vec::<&str>::new(), "console messages");
    assert!(
        dom.contains("<html lang=\"en\" data-script-ok=\"\">"),
        "the inline script ran to its end"
    );
    for section in [
        "case", "headline", "timeline", "agents", "findings", "sources", "targets", "coverage",
    ] {
        assert!(
            dom.contains(&format!("<section id=\"{section}\">")),
            "{section}"
        );
    }
    for (table, expected) in [
        ("inputs", 1),
        ("agents", 8),
        ("findings", 21),
        ("top-ips", 10),
        ("top-users", 10),
        ("coverage-inputs", 1),
    ] {
        assert_eq!(rows(&dom, table), expected, "rows of {table}");
    }
    // The script made every header of the six tables a sort control.
    assert_eq!(
        dom.matches("title=\"Sort by this column\"").count(),
        9 + 9 + 7 + 11 + 6 + 6
    );
    // The chart and a sparkline per top IP and user.
    assert_eq!(dom.matches("<svg").count(), 1 + 10 + 10);

    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let _ = std::fs::remove_file(&screenshot);
    let (_, stderr) = browse(
        &chromium,
        &page,
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,2400",
        ],
    );
    assert_eq!(console(&stderr), Vec::<&str>::new(), "console messages");
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 50_000);
    eprintln!("screenshot: {}", screenshot.display());
}

#[test]
fn hostile_log_text_builds_no_element_in_a_browser() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = report(dir.path(), "testdata/hostile/payloads.ndjson");
    let (dom, stderr) = browse(&chromium, &page, &["--dump-dom"]);
    assert_eq!(console(&stderr), Vec::<&str>::new(), "console messages");
    assert!(dom.contains("data-script-ok"));
    assert_eq!(dom.matches("<script").count(), 1);
    assert_eq!(dom.matches("<style").count(), 1);
    assert_eq!(dom.matches("<svg").count(), 1 + 8 + 8);
    assert!(!dom.contains("<img"));
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(rows(&dom, "top-ips"), 8);
}
