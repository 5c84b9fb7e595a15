//! Failures and denials over time in UTC buckets, for `authsift timeline`.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::aggregate::{DistinctSet, insert_distinct, merge_maps};
use crate::classify::{is_denied, is_failure, is_legacy, user_key};
use crate::event::Event;
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
    pub fn rows(self) -> Vec<(Timestamp, String, BucketCounts)> {
        let width = self.config.bucket_ms;
        if self.config.by.is_some() {
            let mut rows: Vec<_> = self
                .buckets
                .into_iter()
                .map(|((start, key), counts)| (start, key, counts))
                .collect();
            rows.sort_by(|a, b| {
                a.0.cmp(&b.0)
                    .then((b.2.failures + b.2.denied).cmp(&(a.2.failures + a.2.denied)))
                    .then_with(|| a.1.cmp(&b.1))
            });
            return rows;
        }
        let mut by_start: BTreeMap<Timestamp, BucketCounts> = self
            .buckets
            .into_iter()
            .map(|((start, _), counts)| (start, counts))
            .collect();
        let (Some(first), Some(last)) = (
            by_start.keys().next().copied(),
            by_start.keys().next_back().copied(),
        ) else {
            return Vec::new();
        };
        let mut rows = Vec::new();
        let mut start = first;
        while start <= last {
            let counts = by_start.remove(&start).unwrap_or_default();
            rows.push((start, String::new(), counts));
            start = Timestamp(start.0 + width);
        }
        rows
    }
}

impl Aggregate for Timeline {
    fn add(&mut self, event: &Event<'_>) {
        let failure = is_failure(event);
        let denied = is_denied(event);
        if !failure && !denied {
            return;
        }
        let legacy = is_legacy(event);
        if self.config.legacy_only && !legacy {
            return;
        }
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
            insert_distinct(&mut counts.users, &user);
        }
        if let Some(ip) = &event.client.ip_address {
            insert_distinct(&mut counts.ips, ip);
        }
    }

    fn merge(&mut self, later: Timeline) {
        merge_maps(&mut self.buckets, later.buckets, BucketCounts::merge);
    }
}
