//! The inventory of client user agents, for `authsift agents`.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::aggregate::{DistinctSet, merge_maps, min_max};
use crate::classify::client::family;
use crate::classify::{is_denied, is_failure, is_legacy, is_success, user_key};
use crate::event::{Event, Parts};
use crate::pipeline::Aggregate;
use crate::time::Timestamp;

#[derive(Debug, Default)]
pub struct AgentCounts {
    pub events: u64,
    pub successes: u64,
    pub failures: u64,
    pub users: DistinctSet,
    pub ips: DistinctSet,
    pub range: Option<(Timestamp, Timestamp)>,
}

/// Counts per raw user agent (`""` when missing) of legacy events, or of all with `--all`.
#[derive(Debug)]
pub struct Agents {
    pub all_events: bool,
    pub agents: FxHashMap<String, AgentCounts>,
}

impl Agents {
    pub fn new(all_events: bool) -> Agents {
        Agents {
            all_events,
            agents: FxHashMap::default(),
        }
    }

    /// Rows by events (descending), then user agent.
    pub fn rows(self) -> Vec<AgentRow> {
        let mut rows: Vec<AgentRow> = self
            .agents
            .into_iter()
            .map(|(user_agent, counts)| AgentRow {
                client: family(&user_agent),
                user_agent,
                events: counts.events,
                successes: counts.successes,
                failures: counts.failures,
                users: counts.users.len(),
                ips: counts.ips.len(),
                first_seen: counts.range.map(|r| r.0),
                last_seen: counts.range.map(|r| r.1),
            })
            .collect();
        rows.sort_by(|a, b| {
            b.events
                .cmp(&a.events)
                .then_with(|| a.user_agent.cmp(&b.user_agent))
        });
        rows
    }
}

/// One user agent of the inventory; its JSON is a public contract.
#[derive(Debug, Serialize)]
pub struct AgentRow {
    pub user_agent: String,
    pub client: &'static str,
    pub events: u64,
    pub successes: u64,
    pub failures: u64,
    pub users: usize,
    pub ips: usize,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
}

impl Aggregate for Agents {
    const PARTS: Parts = Parts::ACTOR.with(Parts::CLIENT).with(Parts::USER_AGENT);
    /// With `--all` every event is counted: nothing to defer.
    fn deferrable(&self) -> Parts {
        if self.all_events {
            Parts::CORE
        } else {
            Self::PARTS
        }
    }

    /// Only legacy events are counted, unless `--all`.
    fn needs_parts(&self, event: &Event<'_>) -> bool {
        self.all_events || is_legacy(event)
    }

    fn add(&mut self, event: &Event<'_>) {
        if !self.needs_parts(event) {
            return;
        }
        let user_agent = event.client.raw_user_agent.as_deref().unwrap_or_default();
        let counts = match self.agents.get_mut(user_agent) {
            Some(counts) => counts,
            None => self.agents.entry(user_agent.to_string()).or_default(),
        };
        counts.events += 1;
        counts.successes += u64::from(is_success(event));
        counts.failures += u64::from(is_failure(event) || is_denied(event));
        if let Some(user) = user_key(event) {
            counts.users.insert(&user);
        }
        if let Some(ip) = &event.client.ip_address {
            counts.ips.insert(ip);
        }
        min_max(&mut counts.range, Some((event.published, event.published)));
    }

    fn merge(&mut self, later: Agents) {
        merge_maps(&mut self.agents, later.agents, |a, b| {
            a.events += b.events;
            a.successes += b.successes;
            a.failures += b.failures;
            a.users.extend(b.users);
            a.ips.extend(b.ips);
            min_max(&mut a.range, b.range);
        });
    }
}
