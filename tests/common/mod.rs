//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use authsift::event::Event;
use authsift::pipeline::{self, Aggregate, Options, Run};
use indicatif::ProgressBar;

/// Collects every event as its normalised JSON, in input order.
#[derive(Default)]
pub struct Collect(pub Vec<serde_json::Value>);

impl Aggregate for Collect {
    fn add(&mut self, event: &Event<'_>) {
        self.0
            .push(serde_json::to_value(event).expect("events serialise"));
    }
    fn merge(&mut self, later: Collect) {
        self.0.extend(later.0);
    }
}

pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// Reads `paths` with the library pipeline.
pub fn read(paths: &[PathBuf], options: &Options) -> Run<Collect> {
    pipeline::run(paths, options, &ProgressBar::hidden(), Collect::default).expect("run succeeds")
}

/// `../shared/okta-samples`, when present beside the repository.
pub fn shared_samples() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/okta-samples");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: ../shared/okta-samples is absent");
        None
    }
}

/// Runs the binary from the repository root: (stdout, stderr, exit code).
pub fn authsift(args: &[&str]) -> (String, String, i32) {
    let output = assert_cmd::Command::cargo_bin("authsift")
        .expect("binary built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("binary runs");
    (
        String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        output.status.code().expect("exit code"),
    )
}

/// Runs the binary and returns its standard output, requiring success and a quiet stderr.
pub fn stdout_of(args: &[&str]) -> String {
    let (stdout, stderr, code) = authsift(args);
    assert_eq!((stderr.as_str(), code), ("", 0), "authsift {args:?}");
    stdout
}
