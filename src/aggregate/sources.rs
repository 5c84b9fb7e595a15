//! The client IPs that failed, for the report's table of top source IPs: how often each failed
//! and succeeded, how many users it tried, and where it is (ASN, organisation, country, proxy).

use std::sync::Arc;

use rustc_hash::FxHashSet;

use crate::aggregate::{DistinctSet, Earliest, Keyed, min_max};
use crate::classify::{is_denied, is_failure, is_legacy, is_success, user_key};
use crate::event::{Event, Parts};
use crate::pipeline::Aggregate;
use crate::time::Timestamp;

#[derive(Debug, Default)]
pub struct SourceCounts {
    pub events: u64,
    /// FAILURE and DENY.
    pub failures: u64,
    /// Failures through legacy (basic) authentication.
    pub legacy_failures: u64,
    pub successes: u64,
    /// Distinct users among the failures: the accounts this address tried.
    pub users: DistinctSet,
    pub range: Option<(Timestamp, Timestamp)>,
    /// `securityContext.asNumber`, `.asOrg` and `client.geographicalContext.country` of the
    /// address's earliest event that has each: addresses move between networks rarely, and the
    /// first sighting is the one an investigation cites.
    pub as_number: Earliest<u64>,
    pub as_org: Earliest<Arc<str>>,
    pub country: Earliest<Arc<str>>,
    /// Okta flagged at least one of its events as coming through a proxy.
    pub proxy: bool,
}

impl SourceCounts {
    fn merge(&mut self, later: SourceCounts) {
        self.events += later.events;
        self.failures += later.failures;
        self.legacy_failures += later.legacy_failures;
        self.successes += later.successes;
        self.users.extend(later.users);
        min_max(&mut self.range, later.range);
        self.as_number.merge(later.as_number);
        self.as_org.merge(later.as_org);
        self.country.merge(later.country);
        self.proxy |= later.proxy;
    }
}

/// One copy of each organisation and country name: tens of thousands of addresses share a
/// few thousand of them.
#[derive(Debug, Default)]
struct Names(FxHashSet<Arc<str>>);

impl Names {
    fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(name) {
            return shared.clone();
        }
        let shared: Arc<str> = name.into();
        self.0.insert(shared.clone());
        shared
    }

    /// `earliest` with its name replaced by this set's copy.
    fn share(&mut self, earliest: &mut Earliest<Arc<str>>) {
        *earliest = std::mem::take(earliest).map(|name| self.get(&name));
    }
}

/// Counts per `client.ipAddress`; events without one are not counted.
#[derive(Debug, Default)]
pub struct Sources {
    pub ips: Keyed<SourceCounts>,
    names: Names,
}

impl Sources {
    /// The `top` addresses with failures, most failures first, then most events, then by
    /// address.
    pub fn top(self, top: usize) -> Vec<(String, SourceCounts)> {
        let mut rows: Vec<_> = self
            .ips
            .into_iter()
            .filter(|(_, counts)| counts.failures > 0)
            .collect();
        rows.sort_by(|a, b| {
            b.1.failures
                .cmp(&a.1.failures)
                .then(b.1.events.cmp(&a.1.events))
                .then_with(|| a.0.cmp(&b.0))
        });
        rows.truncate(top);
        rows.into_iter()
            .map(|(ip, counts)| (ip.into_string(), counts))
            .collect()
    }
}

impl Aggregate for Sources {
    const PARTS: Parts = Parts::ACTOR
        .with(Parts::CLIENT)
        .with(Parts::GEO)
        .with(Parts::SECURITY);

    fn add(&mut self, event: &Event<'_>) {
        let Some(ip) = event.client.ip_address.as_deref() else {
            return;
        };
        let counts = self.ips.entry(ip);
        let t = event.published;
        counts.events += 1;
        counts.successes += u64::from(is_success(event));
        if is_failure(event) || is_denied(event) {
            counts.failures += 1;
            counts.legacy_failures += u64::from(is_legacy(event));
            if let Some(user) = user_key(event) {
                counts.users.insert(&user);
            }
        }
        min_max(&mut counts.range, Some((t, t)));
        let context = &event.security_context;
        if let Some(number) = context.as_number {
            counts.as_number.offer(t, &number);
        }
        let names = &mut self.names;
        if let Some(org) = context.as_org.as_deref() {
            counts.as_org.offer_with(t, org, |org| names.get(org));
        }
        if let Some(country) = event.client.country.as_deref() {
            counts
                .country
                .offer_with(t, country, |country| names.get(country));
        }
        counts.proxy |= context.is_proxy == Some(true);
    }

    fn merge(&mut self, later: Sources) {
        let mut later_ips = later.ips;
        for counts in later_ips.values_mut() {
            self.names.share(&mut counts.as_org);
            self.names.share(&mut counts.country);
        }
        self.ips.merge(later_ips, SourceCounts::merge);
    }
}
