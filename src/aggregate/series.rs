//! Failures and denials over time of each client IP and of each user: the small charts beside
//! the report's top IPs and users.
//!
//! Only counts are kept. A timeline `--by ip` or `--by user` also keeps the distinct users and
//! IPs of every bucket, which for every key and minute of a large export costs far more memory
//! than these charts need.

use crate::aggregate::Keyed;
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
    counts: Keyed<Buckets>,
}

/// Counts per bucket start, ascending. A key fails in a few buckets, which a vector holds in a
/// fraction of the room of a hash map.
#[derive(Debug, Default)]
struct Buckets(Vec<(Timestamp, u64)>);

impl Buckets {
    fn add(&mut self, start: Timestamp, count: u64) {
        let at = match self.0.last() {
            // Events come mostly in time order.
            Some(&(last, _)) if last < start => self.0.len(),
            _ => match self.0.binary_search_by_key(&start, |&(s, _)| s) {
                Ok(at) => {
                    self.0[at].1 += count;
                    return;
                }
                Err(at) => at,
            },
        };
        self.0.insert(at, (start, count));
    }

    fn merge(&mut self, later: Buckets) {
        for (start, count) in later.0 {
            self.add(start, count);
        }
    }
}

impl FailureSeries {
    pub fn new(key: SeriesKey, bucket_ms: i64) -> FailureSeries {
        FailureSeries {
            key,
            bucket_ms,
            counts: Keyed::default(),
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
                let buckets = self.counts.get(key).map_or(&[][..], |b| &b.0[..]);
                for (start, count) in buckets {
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
        self.counts
            .entry(&key)
            .add(event.published.floor(self.bucket_ms), 1);
    }

    fn merge(&mut self, later: FailureSeries) {
        self.counts.merge(later.counts, Buckets::merge);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_stay_ascending_and_sum_repeats() {
        let mut earlier = Buckets::default();
        for start in [5, 7, 7, 3, 9, 5] {
            earlier.add(Timestamp(start), 1);
        }
        let mut later = Buckets::default();
        for start in [1, 9, 11] {
            later.add(Timestamp(start), 2);
        }
        earlier.merge(later);
        let counts: Vec<(i64, u64)> = earlier.0.iter().map(|&(t, c)| (t.0, c)).collect();
        assert_eq!(counts, [(1, 2), (3, 1), (5, 2), (7, 2), (9, 3), (11, 2)]);
    }
}
