//! The built-in detections of `authsift hunt`: the catalogue, the findings they produce, and
//! the run that applies them all to the records of one pass over the input.
//!
//! Each detection lives in its own file with its parameters, its logic and its tests. They all
//! read the same time-sorted [`records::Record`]s, so one parallel pass over the input feeds
//! every detection, and output depends only on the input, never on thread count.

pub mod params;
pub mod records;
mod window;

pub mod account_lockouts;
pub mod anonymizing_proxy;
pub mod brute_force;
pub mod credential_stuffing;
pub mod distributed_spray;
pub mod legacy_auth_success;
pub mod legacy_password_spray;
pub mod many_countries;
pub mod mfa_push_fatigue;
pub mod password_in_username;
pub mod password_spray;
pub mod success_after_failures;
pub mod threatinsight;

use std::sync::OnceLock;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::detect::params::{Param, Settings, Values};
use crate::detect::records::{EventUuid, Record, Records, Table, TextId, Uuid};
use crate::memory::release_freed;
use crate::time::Timestamp;

/// How bad a finding is, least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A built-in detection, as the catalogue lists it.
pub struct Detection {
    pub id: &'static str,
    pub title: &'static str,
    /// The severity of its findings unless `logic` says when it is raised.
    pub severity: Severity,
    /// What it looks for; `{name}` stands for the value of parameter `name`.
    pub logic: &'static str,
    pub params: &'static [Param],
    /// The public rule it is closest to, and how it differs.
    pub closest: &'static str,
    /// The author a finding must credit, for detections derived from a Sigma rule (DRL 1.1).
    pub credit: Option<&'static str>,
    /// Whether `run` reads [`Context::earlier`]: such a detection runs once every detection
    /// before it in the catalogue has; the others run side by side.
    pub reads_earlier: bool,
    pub run: fn(&Context<'_>, &Values<'_>) -> Vec<Finding>,
}

impl Detection {
    /// `logic` with each `{name}` replaced by the parameter's value in `values`.
    pub fn explain(&self, values: &Values<'_>) -> String {
        values
            .iter()
            .fold(self.logic.to_string(), |text, (param, value)| {
                text.replace(
                    &format!("{{{}}}", param.name),
                    &params::format_value(param.unit, value),
                )
            })
    }
}

/// Every detection, in the order its findings are gathered: `success-after-failures` reads the
/// findings of the credential attacks before it ([`Detection::reads_earlier`]).
pub const CATALOGUE: &[Detection] = &[
    legacy_auth_success::DETECTION,
    legacy_password_spray::DETECTION,
    password_spray::DETECTION,
    distributed_spray::DETECTION,
    credential_stuffing::DETECTION,
    brute_force::DETECTION,
    success_after_failures::DETECTION,
    account_lockouts::DETECTION,
    mfa_push_fatigue::DETECTION,
    threatinsight::DETECTION,
    password_in_username::DETECTION,
    anonymizing_proxy::DETECTION,
    many_countries::DETECTION,
];

/// What a detection reads.
pub struct Context<'a> {
    /// Every kept record, sorted by time.
    pub records: &'a [Record],
    /// The texts and places of the records.
    pub table: &'a Table,
    /// The findings of the detections that ran before this one.
    pub earlier: &'a [Finding],
    /// Show typed passwords in full instead of masked.
    pub show_secrets: bool,
    /// The failing IPs ([`Context::failing_ips`]), worked out once for the detections that ask.
    pub failing: &'a OnceLock<FxHashSet<TextId>>,
}

impl Context<'_> {
    /// The addresses from which more sign-ins failed than succeeded over the input. Offices,
    /// VPNs and homes, where people mostly sign in fine, are left out: their failures are
    /// typos, and counting them as attack sources floods a large tenant with findings.
    pub fn failing_ips(&self) -> &FxHashSet<TextId> {
        self.failing.get_or_init(|| {
            let mut tally: FxHashMap<TextId, (u64, u64)> = FxHashMap::default();
            for record in self.records {
                let Some(ip) = self.table.ip_id(record) else {
                    continue;
                };
                if record.is_failed_sign_in() {
                    tally.entry(ip).or_default().0 += 1;
                } else if record.is_successful_sign_in() {
                    tally.entry(ip).or_default().1 += 1;
                }
            }
            tally
                .into_iter()
                .filter(|(_, (failed, succeeded))| failed > succeeded)
                .map(|(ip, _)| ip)
                .collect()
        })
    }
}

/// What a finding is about: an IP, a user, the whole tenant...
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Key {
    pub kind: &'static str,
    pub value: String,
}

impl Key {
    pub fn ip(value: &str) -> Key {
        Key {
            kind: "ip",
            value: value.to_string(),
        }
    }

    pub fn user(value: &str) -> Key {
        Key {
            kind: "user",
            value: value.to_string(),
        }
    }

    pub fn tenant() -> Key {
        Key {
            kind: "tenant",
            value: "all users".into(),
        }
    }
}

/// One finding. The JSON field names are a public contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub detection: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The first evidence event.
    pub start: Timestamp,
    /// The last evidence event.
    pub end: Timestamp,
    pub key: Key,
    /// Named figures, in the order the detection gives them.
    #[serde(serialize_with = "serialize_counts")]
    pub counts: Vec<(&'static str, u64)>,
    pub users: Vec<String>,
    pub ips: Vec<String>,
    pub user_agents: Vec<String>,
    pub countries: Vec<String>,
    pub asns: Vec<String>,
    /// The uuids of the evidence events, in time order.
    pub evidence: Vec<EventUuid>,
    pub details: String,
    /// The author of the Sigma rule the detection derives from (DRL 1.1), or `null`.
    pub credit: Option<&'static str>,
}

impl Finding {
    /// A finding of `detection` about `key`, with its time window and its lists of users,
    /// addresses, user agents, countries and ASNs taken from the evidence.
    pub fn new<'r>(
        detection: &Detection,
        key: Key,
        evidence: impl IntoIterator<Item = &'r Record>,
        table: &Table,
    ) -> Finding {
        let mut window: Option<(Timestamp, Timestamp)> = None;
        // Users, IPs, user agents, countries and ASNs. Equal texts have equal ids within one
        // table (and equal uuid texts equal `Uuid`s), so ids tell repeats apart.
        let mut texts: [FxHashSet<TextId>; 5] = Default::default();
        let mut seen: FxHashSet<Uuid> = FxHashSet::default();
        let mut uuids: Vec<EventUuid> = Vec::new();
        for record in evidence {
            let t = record.published();
            window = Some(window.map_or((t, t), |(first, last)| (first.min(t), last.max(t))));
            let source = table.source_of(record);
            let ids = [
                record.user,
                source.ip,
                source.user_agent,
                source.country,
                source.asn,
            ];
            for (set, id) in texts.iter_mut().zip(ids) {
                set.extend(id);
            }
            if seen.insert(record.uuid()) {
                uuids.push(table.event_uuid(record.uuid()));
            }
        }
        let [users, ips, user_agents, countries, asns] = texts.map(|ids| {
            let mut sorted: Vec<String> = ids
                .into_iter()
                .filter_map(|id| table.text(Some(id)))
                .map(str::to_string)
                .collect();
            sorted.sort_unstable();
            sorted
        });
        let (start, end) = window.unwrap_or((Timestamp(0), Timestamp(0)));
        Finding {
            detection: detection.id,
            title: detection.title,
            severity: detection.severity,
            start,
            end,
            key,
            counts: Vec::new(),
            users,
            ips,
            user_agents,
            countries,
            asns,
            evidence: uuids,
            details: String::new(),
            credit: detection.credit,
        }
    }

    /// Adds a named figure.
    pub fn count(mut self, name: &'static str, value: impl TryInto<u64>) -> Finding {
        self.counts
            .push((name, value.try_into().unwrap_or(u64::MAX)));
        self
    }

    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    pub fn details(mut self, details: String) -> Finding {
        self.details = details;
        self
    }

    /// The value of a named figure, 0 when absent.
    #[cfg(test)]
    pub fn figure(&self, name: &str) -> u64 {
        self.counts
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, v)| *v)
    }
}

fn serialize_counts<S: serde::Serializer>(
    counts: &[(&'static str, u64)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(counts.len()))?;
    for (name, value) in counts {
        map.serialize_entry(name, value)?;
    }
    map.end()
}

/// Runs every detection over `records` (time-sorted) and returns the findings by window start,
/// then severity (most severe first), detection id and key.
pub fn hunt(records: &Records, settings: &Settings, show_secrets: bool) -> Vec<Finding> {
    let failing = OnceLock::new();
    let run = |detection: &Detection, earlier: &[Finding]| {
        let context = Context {
            records: &records.records,
            table: &records.table,
            earlier,
            show_secrets,
            failing: &failing,
        };
        let found = (detection.run)(&context, &settings.of(detection.id));
        // What a detection grouped is freed in its thread's arena, out of the other's reach.
        release_freed();
        found
    };
    // Those that read no findings, side by side, in catalogue order.
    let side_by_side = |detections: &[Detection]| -> Vec<Finding> {
        let found: Vec<Vec<Finding>> = detections.par_iter().map(|d| run(d, &[])).collect();
        found.concat()
    };
    // A detection that reads findings waits for every detection before it in the catalogue,
    // while those after it that read none run beside it.
    let first_reader = |detections: &[Detection]| {
        detections
            .iter()
            .position(|d| d.reads_earlier)
            .unwrap_or(detections.len())
    };
    let (independent, mut rest) = CATALOGUE.split_at(first_reader(CATALOGUE));
    let mut findings = side_by_side(independent);
    while let Some((reader, after)) = rest.split_first() {
        let (independent, later) = after.split_at(first_reader(after));
        let (found, beside) = rayon::join(|| run(reader, &findings), || side_by_side(independent));
        findings.extend(found);
        findings.extend(beside);
        rest = later;
    }
    findings.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.severity.cmp(&a.severity))
            .then(a.detection.cmp(b.detection))
            .then(a.key.cmp(&b.key))
            .then(a.end.cmp(&b.end))
    });
    findings
}

/// Span of time in words for details: `37m 11s`, `2h 5m`, `12s`.
pub fn span(from: Timestamp, to: Timestamp) -> String {
    let seconds = (to.0 - from.0).max(0) / 1000;
    match (seconds / 3600, seconds / 60 % 60, seconds % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// "1 user", "3 users", "2 countries".
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        return format!("1 {word}");
    }
    match word.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {word}s"),
    }
}

/// Helpers for the detections' unit tests: records built in a line, run with the defaults or
/// with overrides.
#[cfg(test)]
pub mod testing {
    use std::cell::RefCell;

    use super::*;
    use crate::detect::records::{Kind, Outcome, PlaceId, Source, SourceId, TextId};

    thread_local! {
        /// The table test records refer to: one per test, as each test runs on its own thread.
        static TABLE: RefCell<Table> = RefCell::default();
    }

    /// `value` in the test table; `None` when empty.
    pub fn text(value: &str) -> Option<TextId> {
        (!value.is_empty()).then(|| TABLE.with_borrow_mut(|t| t.text_id(value)))
    }

    /// A latitude and longitude in the test table.
    pub fn place(lat: f64, lon: f64) -> Option<PlaceId> {
        Some(TABLE.with_borrow_mut(|t| t.place_id((lat, lon))))
    }

    /// A copy of the test table, as detections read it.
    pub fn table() -> Table {
        TABLE.with_borrow(Clone::clone)
    }

    /// `seconds` after 2024-05-01T00:00:00Z.
    pub fn at(seconds: i64) -> Timestamp {
        Timestamp(1_714_521_600_000 + seconds * 1000)
    }

    /// A record of `kind` and `outcome`, with a uuid made from its time and user.
    pub fn record(kind: Kind, outcome: Outcome, t: Timestamp, user: &str, ip: &str) -> Record {
        let uuid =
            TABLE.with_borrow_mut(|table| table.uuid_of(&format!("{kind:?}-{}-{user}", t.0)));
        let source = source(Source {
            ip: text(ip),
            ..Source::default()
        });
        Record::new(t, uuid, kind, outcome, source).with_user(text(user))
    }

    fn source(source: Source) -> SourceId {
        TABLE.with_borrow_mut(|table| table.source_id(source))
    }

    /// `record` with `detail` as its typed secret or threats.
    pub fn with_detail(record: Record, detail: Option<TextId>) -> Record {
        TABLE.with_borrow_mut(|table| table.with_detail(record, detail))
    }

    /// `record` with its source changed by `change`.
    pub fn with_source(mut record: Record, change: impl FnOnce(&mut Source)) -> Record {
        let mut changed = TABLE.with_borrow(|table| table.source_of(&record));
        change(&mut changed);
        record.source = source(changed);
        record
    }

    pub fn fail(t: Timestamp, user: &str, ip: &str) -> Record {
        record(Kind::SignIn, Outcome::Failure, t, user, ip)
    }

    pub fn success(t: Timestamp, user: &str, ip: &str) -> Record {
        record(Kind::SignIn, Outcome::Success, t, user, ip)
    }

    /// Runs `detection` alone with `overrides` (`PARAM=VALUE`) on `records` sorted by time.
    pub fn run(detection: &Detection, records: &[Record], overrides: &[&str]) -> Vec<Finding> {
        run_after(detection, records, overrides, &[])
    }

    /// As [`run`], with the findings of earlier detections.
    pub fn run_after(
        detection: &Detection,
        records: &[Record],
        overrides: &[&str],
        earlier: &[Finding],
    ) -> Vec<Finding> {
        let mut settings = Settings::default();
        for o in overrides {
            if let Err(e) = settings.apply(&format!("{}.{o}", detection.id)) {
                panic!("{e}");
            }
        }
        let mut sorted = records.to_vec();
        sorted.sort_by_key(|r| r.published());
        let table = table();
        let context = Context {
            records: &sorted,
            table: &table,
            earlier,
            show_secrets: false,
            failing: &OnceLock::new(),
        };
        (detection.run)(&context, &settings.of(detection.id))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::testing::{at, fail, run, run_after, success};
    use super::*;

    /// A detection marked as reading no findings runs before any exist (`hunt`): given the
    /// others' findings, it must find the same.
    #[test]
    fn detections_that_read_no_findings_find_the_same_given_findings() {
        let mut records: Vec<Record> = (0..30)
            .map(|i| fail(at(i * 10), "victim@example.com", "198.51.100.7"))
            .collect();
        records.extend(
            (0..20).map(|i| fail(at(400 + i), &format!("u{i}@example.com"), "203.0.113.9")),
        );
        records.push(success(at(700), "victim@example.com", "198.51.100.7"));
        records.push(success(at(710), "u3@example.com", "203.0.113.9"));
        let earlier: Vec<Finding> = CATALOGUE
            .iter()
            .flat_map(|detection| run(detection, &records, &[]))
            .collect();
        let found: BTreeSet<&str> = earlier.iter().map(|f| f.detection).collect();
        assert_eq!(
            found,
            BTreeSet::from([
                "brute-force",
                "credential-stuffing",
                "success-after-failures"
            ])
        );
        for detection in CATALOGUE.iter().filter(|d| !d.reads_earlier) {
            assert_eq!(
                run_after(detection, &records, &[], &earlier),
                run(detection, &records, &[]),
                "{}",
                detection.id
            );
        }
    }

    #[test]
    fn every_logic_placeholder_names_a_parameter_and_every_parameter_is_explained() {
        let settings = Settings::default();
        let mut ids = BTreeSet::new();
        for detection in CATALOGUE {
            assert!(ids.insert(detection.id), "{} twice", detection.id);
            let explained = detection.explain(&settings.of(detection.id));
            let placeholder = explained.split('{').skip(1).find(|rest| {
                rest.split_once('}').is_some_and(|(name, _)| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                })
            });
            assert_eq!(placeholder, None, "{}: unknown placeholder", detection.id);
            for param in detection.params {
                assert!(
                    detection.logic.contains(&format!("{{{}}}", param.name)),
                    "{}: {} not in the logic",
                    detection.id,
                    param.name
                );
            }
        }
    }

    #[test]
    fn spans_read_naturally() {
        let t = |s: i64| Timestamp(s * 1000);
        assert_eq!(span(t(0), t(12)), "12s");
        assert_eq!(span(t(0), t(120)), "2m");
        assert_eq!(span(t(0), t(2231)), "37m 11s");
        assert_eq!(span(t(0), t(7500)), "2h 5m");
        assert_eq!(span(t(0), t(7200)), "2h");
        assert_eq!(plural(1, "country"), "1 country");
        assert_eq!(plural(2, "country"), "2 countries");
        assert_eq!(plural(2, "key"), "2 keys");
        assert_eq!(plural(0, "IP"), "0 IPs");
    }
}
