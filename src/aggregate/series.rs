//! Failures and denials over time of each client IP and of each user: the small charts beside
//! the report's top IPs and users.
//!
//! Only counts are kept. A timeline `--by ip` or `--by user` also keeps the distinct users and
//! IPs of every bucket, which for every key and minute of a large export costs far more memory
//! than these charts need.

use rustc_hash::FxHashMap;

use crate::aggregate::merge_maps;
use crate::classify::{is_denied, is_failure, user_key};
use crate::event::{Event, Parts};
use crate::pipeline::Aggregate;
use crate::time::Timestamp;

/// What a series is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKey {
    /// `client.ipAddress`
    Ip,
    /// `actor.alternateId`, lower case
    User,
}

#[derive(Debug)]
pub struct FailureSeries {
    key: SeriesKey,
    bucket_ms: i64,
    /// Failures and denials per key, per bucket start.
    counts: FxHashMap<Box<str>, FxHashMap<Timestamp, u64>>,
}

impl FailureSeries {
    pub fn new(key: SeriesKey, bucket_ms: i64) -> FailureSeries {
        FailureSeries {
            key,
            bucket_ms,
            counts: FxHashMap::default(),
        }
    }

    /// Failures and denials of each of `keys` per bucket `width` wide (a multiple of the
    /// bucket this was counted in), every bucket whose start lies in `first..=last`, in the
    /// order of `keys`.
    pub fn series(
        &self,
        keys: &[&str],
        width: i64,
        (first, last): (Timestamp, Timestamp),
    ) -> Vec<Vec<u64>> {
        let first = first.floor(width);
        let buckets = usize::try_from((last.0 - first.0).div_euclid(width) + 1).unwrap_or(0);
        keys.iter()
            .map(|key| {
                let mut row = vec![0; buckets];
                for (start, count) in self.counts.get(*key).into_iter().flatten() {
                    let bucket = usize::try_from((start.floor(width).0 - first.0) / width).ok();
                    if let Some(slot) = bucket.and_then(|b| row.get_mut(b)) {
                        *slot += count;
                    }
                }
                row
            })
            .collect()
    }
}

impl Aggregate for FailureSeries {
    const PARTS: Parts = Parts::ACTOR.with(Parts::CLIENT);

    fn add(&mut self, event: &Event<'_>) {
        if !is_failure(event) && !is_denied(event) {
            return;
        }
        let key = match self.key {
            SeriesKey::Ip => event.client.ip_address.as_deref().map(Into::into),
            SeriesKey::User => user_key(event),
        };
        let Some(key) = key else { return };
        let per_bucket = match self.counts.get_mut(key.as_ref()) {
            Some(per_bucket) => per_bucket,
            None => self.counts.entry(key.as_ref().into()).or_default(),
        };
        *per_bucket
            .entry(event.published.floor(self.bucket_ms))
            .or_default() += 1;
    }

    fn merge(&mut self, later: FailureSeries) {
        merge_maps(&mut self.counts, later.counts, |earlier, later| {
            merge_maps(earlier, later, |a, b| *a += b)
        });
    }
}
