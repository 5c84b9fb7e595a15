//! Failures and denials over time in UTC buckets, for `authsift timeline`.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::aggregate::{DistinctSet, merge_maps};
use crate::classify::{is_denied, is_failure, is_legacy, user_key};
use crate::event::{Event, Parts};
use crate::pipeline::Aggregate;
use crate::time::Timestamp;

/// What a row of a `--by` timeline is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    /// outcome.reason
    Reason,
    /// eventType
    EventType,
    /// client.ipAddress
    Ip,
    /// actor.alternateId, lower case
    User,
}

#[derive(Debug, Clone, Copy)]
pub struct TimelineConfig {
    pub bucket_ms: i64,
    pub legacy_only: bool,
    pub by: Option<GroupBy>,
}

#[derive(Debug, Default)]
pub struct BucketCounts {
    pub failures: u64,
    pub denied: u64,
    pub legacy_failures: u64,
    pub users: DistinctSet,
    pub ips: DistinctSet,
}

impl BucketCounts {
    fn merge(&mut self, later: BucketCounts) {
        self.failures += later.failures;
        self.denied += later.denied;
        self.legacy_failures += later.legacy_failures;
        self.users.extend(later.users);
        self.ips.extend(later.ips);
    }
}

/// One bucket (and key, with `--by`); its JSON is a public contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineRow {
    pub start: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub failures: u64,
    pub denied: u64,
    pub legacy_failures: u64,
    pub users: usize,
    pub ips: usize,
}

impl TimelineRow {
    fn new(start: Timestamp, key: Option<String>, counts: &BucketCounts) -> TimelineRow {
        TimelineRow {
            start,
            key,
            failures: counts.failures,
            denied: counts.denied,
            legacy_failures: counts.legacy_failures,
            users: counts.users.len(),
            ips: counts.ips.len(),
        }
    }
}

/// Counts per (bucket start, group key); the key is `""` without `--by`.
#[derive(Debug)]
pub struct Timeline {
    pub config: TimelineConfig,
    pub buckets: FxHashMap<(Timestamp, String), BucketCounts>,
}

impl Timeline {
    pub fn new(config: TimelineConfig) -> Timeline {
        Timeline {
            config,
            buckets: FxHashMap::default(),
        }
    }

    /// Without `--by`, the first and last buckets holding a failure or denial and how many
    /// rows lie from one to the other, zeros included: what [`Timeline::rows`] will list.
    pub fn filled_span(&self) -> Option<(Timestamp, Timestamp, u64)> {
        if self.config.by.is_some() {
            return None;
        }
        let first = self.buckets.keys().map(|(start, _)| *start).min()?;
        let last = self.buckets.keys().map(|(start, _)| *start).max()?;
        let rows = (last.0 - first.0) / self.config.bucket_ms + 1;
        Some((first, last, u64::try_from(rows).unwrap_or(u64::MAX)))
    }

    /// Rows in time order. Without `--by`, every bucket from the first to the last one with a
    /// failure or denial, zeros included; with `--by`, the non-empty rows, busiest key first
    /// within a bucket.
    pub fn rows(self) -> Vec<TimelineRow> {
        if self.config.by.is_some() {
            let mut rows: Vec<TimelineRow> = self
                .buckets
                .into_iter()
                .map(|((start, key), counts)| TimelineRow::new(start, Some(key), &counts))
                .collect();
            rows.sort_by(|a, b| {
                a.start
                    .cmp(&b.start)
                    .then((b.failures + b.denied).cmp(&(a.failures + a.denied)))
                    .then_with(|| a.key.cmp(&b.key))
            });
            return rows;
        }
        let first = self.buckets.keys().map(|(start, _)| *start).min();
        let last = self.buckets.keys().map(|(start, _)| *start).max();
        match first.zip(last) {
            Some(span) => self.rows_spanning(span),
            None => Vec::new(),
        }
    }

    /// Rows of a timeline without `--by`: every bucket whose start lies in `first..=last`
    /// (bucket starts), zeros included, so that a chart can span more than the failures.
    /// Counts outside the span are left out.
    pub fn rows_spanning(self, (first, last): (Timestamp, Timestamp)) -> Vec<TimelineRow> {
        let width = self.config.bucket_ms;
        let mut by_start: BTreeMap<Timestamp, BucketCounts> = BTreeMap::new();
        for ((start, _), counts) in self.buckets {
            by_start.entry(start).or_default().merge(counts);
        }
        let mut rows = Vec::new();
        let mut start = first.floor(width);
        while start <= last {
            let counts = by_start.remove(&start).unwrap_or_default();
            rows.push(TimelineRow::new(start, None, &counts));
            start = Timestamp(start.0 + width);
        }
        rows
    }

    /// The same counts in buckets `bucket_ms` wide, a multiple of the current width: distinct
    /// users and IPs stay exact, as the buckets keep their sets.
    pub fn regroup(self, bucket_ms: i64) -> Timeline {
        let mut wider = Timeline::new(TimelineConfig {
            bucket_ms,
            ..self.config
        });
        for ((start, key), counts) in self.buckets {
            wider
                .buckets
                .entry((start.floor(bucket_ms), key))
                .or_default()
                .merge(counts);
        }
        wider
    }
}

impl Aggregate for Timeline {
    const PARTS: Parts = Parts::ACTOR.with(Parts::CLIENT);

    fn deferrable(&self) -> Parts {
        Self::PARTS
    }

    /// Only failures and denials (legacy ones with `--legacy-only`) are counted.
    fn needs_parts(&self, event: &Event<'_>) -> bool {
        (is_failure(event) || is_denied(event)) && (!self.config.legacy_only || is_legacy(event))
    }

    fn add(&mut self, event: &Event<'_>) {
        if !self.needs_parts(event) {
            return;
        }
        let failure = is_failure(event);
        let denied = is_denied(event);
        let legacy = is_legacy(event);
        let user = user_key(event);
        let key = match self.config.by {
            None => String::new(),
            Some(GroupBy::Reason) => event
                .outcome
                .reason
                .as_deref()
                .unwrap_or_default()
                .to_string(),
            Some(GroupBy::EventType) => event.event_type.to_string(),
            Some(GroupBy::Ip) => event
                .client
                .ip_address
                .as_deref()
                .unwrap_or_default()
                .to_string(),
            Some(GroupBy::User) => user.as_deref().unwrap_or_default().to_string(),
        };
        let counts = self
            .buckets
            .entry((event.published.floor(self.config.bucket_ms), key))
            .or_default();
        counts.failures += u64::from(failure);
        counts.denied += u64::from(denied);
        counts.legacy_failures += u64::from(legacy);
        if let Some(user) = user {
            counts.users.insert(&user);
        }
        if let Some(ip) = &event.client.ip_address {
            counts.ips.insert(ip);
        }
    }

    fn merge(&mut self, later: Timeline) {
        merge_maps(&mut self.buckets, later.buckets, BucketCounts::merge);
    }
}
