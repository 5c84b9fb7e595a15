//! The overall counts of `authsift summary`.

use rustc_hash::FxHashMap;

use crate::aggregate::{DistinctSet, merge_maps, min_max};
use crate::classify::{is_denied, is_failure, is_legacy, is_success, user_key};
use crate::event::{Event, Parts};
use crate::pipeline::Aggregate;
use crate::time::Timestamp;

/// The legacy (basic-auth) events of a summary, as `summary` and `report` print them.
#[derive(Debug, serde::Serialize)]
pub struct Legacy {
    pub events: u64,
    pub successes: u64,
    /// FAILURE and DENY.
    pub failures: u64,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub events: u64,
    /// Events per `outcome.result`; `""` for events without one.
    pub outcomes: FxHashMap<String, u64>,
    pub event_types: FxHashMap<String, u64>,
    pub legacy_events: u64,
    pub legacy_successes: u64,
    pub legacy_failures: u64,
    pub users: DistinctSet,
    pub ips: DistinctSet,
    pub range: Option<(Timestamp, Timestamp)>,
}

impl Summary {
    pub fn legacy(&self) -> Legacy {
        Legacy {
            events: self.legacy_events,
            successes: self.legacy_successes,
            failures: self.legacy_failures,
        }
    }
}

impl Aggregate for Summary {
    const PARTS: Parts = Parts::ACTOR.with(Parts::CLIENT);

    fn add(&mut self, event: &Event<'_>) {
        self.events += 1;
        let outcome = event.outcome.result.as_ref().map_or("", |r| r.as_str());
        match self.outcomes.get_mut(outcome) {
            Some(count) => *count += 1,
            None => {
                self.outcomes.insert(outcome.to_string(), 1);
            }
        }
        match self.event_types.get_mut(event.event_type.as_ref()) {
            Some(count) => *count += 1,
            None => {
                self.event_types.insert(event.event_type.to_string(), 1);
            }
        }
        if is_legacy(event) {
            self.legacy_events += 1;
            self.legacy_successes += u64::from(is_success(event));
            self.legacy_failures += u64::from(is_failure(event) || is_denied(event));
        }
        if let Some(user) = user_key(event) {
            self.users.insert(&user);
        }
        if let Some(ip) = &event.client.ip_address {
            self.ips.insert(ip);
        }
        min_max(&mut self.range, Some((event.published, event.published)));
    }

    fn merge(&mut self, later: Summary) {
        self.events += later.events;
        merge_maps(&mut self.outcomes, later.outcomes, |a, b| *a += b);
        merge_maps(&mut self.event_types, later.event_types, |a, b| *a += b);
        self.legacy_events += later.legacy_events;
        self.legacy_successes += later.legacy_successes;
        self.legacy_failures += later.legacy_failures;
        self.users.extend(later.users);
        self.ips.extend(later.ips);
        min_max(&mut self.range, later.range);
    }
}
