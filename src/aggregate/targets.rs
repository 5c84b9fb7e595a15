//! The users that failed to sign in, for the report's table of top targeted users: how often,
//! through basic auth or not, and from how many addresses. Whether an attack succeeded is the
//! findings' business (`success-after-failures`), which know what a sign-in is.

use crate::aggregate::{DistinctSet, Keyed, min_max};
use crate::classify::{is_denied, is_failure, is_legacy, user_key};
use crate::event::{Event, Parts};
use crate::pipeline::Aggregate;
use crate::time::Timestamp;

#[derive(Debug, Default)]
pub struct TargetCounts {
    /// FAILURE and DENY.
    pub failures: u64,
    /// Failures through legacy (basic) authentication.
    pub legacy_failures: u64,
    /// Distinct client IPs among the failures.
    pub ips: DistinctSet,
    /// The first and last failure.
    pub failure_range: Option<(Timestamp, Timestamp)>,
}

impl TargetCounts {
    fn merge(&mut self, later: TargetCounts) {
        self.failures += later.failures;
        self.legacy_failures += later.legacy_failures;
        self.ips.extend(later.ips);
        min_max(&mut self.failure_range, later.failure_range);
    }
}

/// Failures (FAILURE and DENY) per user, by lower-cased `actor.alternateId`.
#[derive(Debug, Default)]
pub struct Targets {
    pub users: Keyed<TargetCounts>,
}

impl Targets {
    /// The `top` users, most failures first, then by user.
    pub fn top(self, top: usize) -> Vec<(String, TargetCounts)> {
        let mut rows: Vec<_> = self.users.into_iter().collect();
        rows.sort_by(|a, b| b.1.failures.cmp(&a.1.failures).then_with(|| a.0.cmp(&b.0)));
        rows.truncate(top);
        rows.into_iter()
            .map(|(user, counts)| (user.into_string(), counts))
            .collect()
    }
}

impl Aggregate for Targets {
    const PARTS: Parts = Parts::ACTOR.with(Parts::CLIENT);

    fn add(&mut self, event: &Event<'_>) {
        if !is_failure(event) && !is_denied(event) {
            return;
        }
        let Some(user) = user_key(event) else {
            return;
        };
        let counts = self.users.entry(&user);
        let t = event.published;
        counts.failures += 1;
        counts.legacy_failures += u64::from(is_legacy(event));
        if let Some(ip) = &event.client.ip_address {
            counts.ips.insert(ip);
        }
        min_max(&mut counts.failure_range, Some((t, t)));
    }

    fn merge(&mut self, later: Targets) {
        self.users.merge(later.users, TargetCounts::merge);
    }
}
