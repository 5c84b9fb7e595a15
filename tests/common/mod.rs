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
