//! `success-after-failures`: a successful sign-in right after a credential attack from the same
//! source or on the same account — the likely compromise.
//!
//! Multi-user attacks (sprays, stuffing) are followed by their source IPs, not their targets: a
//! spray learns a password only through a successful attempt from its own addresses, which the
//! IP rule catches, while a sprayed user signing in from home an hour later is no evidence of
//! anything (on the bundled sample, two such users would be reported otherwise). Brute force
//! follows both its target and its sources.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::detect::params::{Param, Unit, Values, format_value};
use crate::detect::records::{Record, TextId};
use crate::detect::window::index_by;
use crate::detect::{Context, Detection, Finding, Key, Severity, plural};
use crate::time::Timestamp;

const WINDOW: &str = "window";
const FAILURES: &str = "failures";

/// The detections whose sources (and, for brute force, target) are followed.
const ATTACKS: [&str; 5] = [
    "legacy-password-spray",
    "password-spray",
    "distributed-spray",
    "credential-stuffing",
    "brute-force",
];

pub const DETECTION: Detection = Detection {
    id: "success-after-failures",
    title: "Successful sign-in after a credential attack",
    severity: Severity::High,
    logic: "A successful sign-in from an IP that was a source of legacy-password-spray, \
            password-spray, distributed-spray, credential-stuffing or brute-force, or for the \
            user brute-force targeted, from the attack's start until {window} after its end; or \
            a success from an IP, or for a user, with at least {failures} failed sign-ins in the \
            {window} before it. IPs count only where sign-ins mostly fail (more failures than \
            successes over the input), so an office or VPN address with a few typos is no attack \
            source; and a targeted user signing in from an address they had already signed in \
            from before the attack or the failures is taken to be the user, back. The users a \
            spray merely targeted are not followed (a spray learns a password only by succeeding \
            from its own IPs). One finding per user; critical when a success was legacy (basic) \
            authentication, which no MFA protects.",
    params: &[
        Param {
            name: WINDOW,
            unit: Unit::Duration,
            default: 10_800,
            doc: "how long after an attack, or after failures, a success counts",
        },
        Param {
            name: FAILURES,
            unit: Unit::Count,
            default: 5,
            doc: "failed sign-ins from the IP or for the user before the success",
        },
    ],
    closest: "Elastic \"Okta Successful Login After Credential Attack\" (a success for a user \
              within 3 hours after a spray, stuffing or brute-force alert naming that user). Ours \
              follows the attacking IPs rather than every sprayed user, adds the plain \
              failures-then-success case, and escalates basic-auth successes to critical.",
    credit: None,
    reads_earlier: true,
    run,
};

/// An attack a success may follow: from its start to `window` after its end.
struct Attack {
    from: Timestamp,
    until: Timestamp,
    detection: &'static str,
}

impl Attack {
    fn covers(&self, t: Timestamp) -> bool {
        self.from <= t && t <= self.until
    }
}

fn run(context: &Context<'_>, values: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let window = values.millis(WINDOW);
    let window_text = format_value(Unit::Duration, values.get(WINDOW));
    let needed = values.count(FAILURES);

    let mut attacks_from: FxHashMap<&str, Vec<Attack>> = FxHashMap::default();
    let mut attacks_on: FxHashMap<&str, Vec<Attack>> = FxHashMap::default();
    for finding in context
        .earlier
        .iter()
        .filter(|f| ATTACKS.contains(&f.detection))
    {
        let attack = || Attack {
            from: finding.start,
            until: Timestamp(finding.end.0.saturating_add(window)),
            detection: finding.detection,
        };
        for ip in &finding.ips {
            attacks_from.entry(ip).or_default().push(attack());
        }
        if finding.detection == "brute-force" {
            attacks_on
                .entry(&finding.key.value)
                .or_default()
                .push(attack());
        }
    }

    let failing = context.failing_ips();
    // The times of the failed sign-ins from each IP and for each user. Users and IPs by id,
    // and times side by side: these are looked up for every successful sign-in.
    let mut failures_from: FxHashMap<TextId, Vec<i64>> = FxHashMap::default();
    let mut failures_for: FxHashMap<TextId, Vec<i64>> = FxHashMap::default();
    for record in context.records.iter().filter(|r| r.is_failed_sign_in()) {
        let t = record.published().0;
        if let Some(ip) = table.ip_id(record) {
            failures_from.entry(ip).or_default().push(t);
        }
        if let Some(user) = record.user {
            failures_for.entry(user).or_default().push(t);
        }
    }
    // Each user's first success from each IP, for the users a rule below may ask about: one
    // with `needed` failures over the input, or one brute-force targeted. Every user's would
    // be most of this detection's memory on a large tenant.
    let followed = |user: TextId| {
        failures_for
            .get(&user)
            .is_some_and(|times| times.len() >= needed)
            || table
                .text(Some(user))
                .is_some_and(|text| attacks_on.contains_key(text))
    };
    let mut first_success: FxHashMap<(TextId, TextId), Timestamp> = FxHashMap::default();
    for record in context.records.iter().filter(|r| r.is_successful_sign_in()) {
        if let (Some(user), Some(ip)) = (record.user, table.ip_id(record))
            && followed(user)
        {
            first_success
                .entry((user, ip))
                .or_insert(record.published());
        }
    }
    // The failures at `times` (sorted) within [from, to).
    let between = |times: Option<&Vec<i64>>, from: i64, to: i64| -> usize {
        times.map_or(0, |times| {
            times.partition_point(|&t| t < to) - times.partition_point(|&t| t < from)
        })
    };

    let mut hits: BTreeMap<&str, Vec<(&Record, BTreeSet<String>)>> = BTreeMap::new();
    for success in context.records.iter().filter(|r| r.is_successful_sign_in()) {
        let (Some(user_id), Some(user)) = (success.user, table.text(success.user)) else {
            continue;
        };
        let ip_id = table.ip_id(success);
        let t = success.published();
        let since = t.0.saturating_sub(window);
        let mut reasons = BTreeSet::new();
        if let Some(failing_ip) = ip_id.filter(|ip| failing.contains(ip))
            && let Some(ip) = table.text(Some(failing_ip))
        {
            let sources: BTreeSet<&str> = attacks_from
                .get(ip)
                .into_iter()
                .flatten()
                .filter(|a| a.covers(t))
                .map(|a| a.detection)
                .collect();
            let n = between(failures_from.get(&failing_ip), since, t.0);
            if !sources.is_empty() {
                let names: Vec<&str> = sources.into_iter().collect();
                reasons.insert(format!("from {ip}, a source of {}", names.join(", ")));
            } else if n >= needed {
                reasons.insert(format!(
                    "from {ip}, which had {n} failed sign-ins in the {window_text} before"
                ));
            }
        }
        // The user coming back from an address they had signed in from before it started.
        let returning = |from: Timestamp| {
            ip_id
                .and_then(|ip| first_success.get(&(user_id, ip)))
                .is_some_and(|first| *first < from)
        };
        let user_failures = failures_for.get(&user_id);
        let n = between(user_failures, since, t.0);
        let first_failure = user_failures
            .and_then(|times| times.get(times.partition_point(|&f| f < since)))
            .map_or(t, |&f| Timestamp(f));
        if attacks_on
            .get(user)
            .is_some_and(|list| list.iter().any(|a| a.covers(t) && !returning(a.from)))
        {
            reasons.insert("the user was the target of brute-force".to_string());
        } else if n >= needed && !returning(first_failure) {
            reasons.insert(format!(
                "after {n} failed sign-ins for the user in the {window_text} before"
            ));
        }
        if !reasons.is_empty() {
            hits.entry(user).or_default().push((success, reasons));
        }
    }

    // The failures of the users with a hit, few, are the evidence.
    let hit_users: FxHashSet<TextId> = hits
        .values()
        .flatten()
        .filter_map(|(r, _)| r.user)
        .collect();
    let evidence_for = index_by(
        context.records.iter().filter(|r| {
            r.is_failed_sign_in() && r.user.is_some_and(|user| hit_users.contains(&user))
        }),
        |r| r.user,
    );
    let mut findings = Vec::new();
    for (user, hits) in hits {
        let mut episodes: Vec<Vec<(&Record, BTreeSet<String>)>> = Vec::new();
        for hit in hits {
            match episodes.last_mut() {
                Some(last)
                    if last.last().is_some_and(|(previous, _)| {
                        hit.0.published().0 - previous.published().0 <= window
                    }) =>
                {
                    last.push(hit)
                }
                _ => episodes.push(vec![hit]),
            }
        }
        for episode in episodes {
            let (Some((first, _)), Some((last, _))) = (episode.first(), episode.last()) else {
                continue;
            };
            let (from, to) = (
                first.published().0.saturating_sub(window),
                last.published().0,
            );
            let own_failures: Vec<&Record> = first
                .user
                .and_then(|id| evidence_for.get(&id))
                .into_iter()
                .flatten()
                .copied()
                .filter(|r| r.published().0 >= from && r.published().0 <= to)
                .collect();
            let successes: Vec<&Record> = episode.iter().map(|(r, _)| *r).collect();
            let success_ips: FxHashSet<TextId> =
                successes.iter().filter_map(|r| table.ip_id(r)).collect();
            let source_failures: usize = success_ips
                .iter()
                .map(|ip| between(failures_from.get(ip), from, to))
                .sum();
            let legacy = successes.iter().filter(|r| r.legacy()).count();
            let reasons: BTreeSet<&String> = episode.iter().flat_map(|(_, why)| why).collect();
            let mut evidence: Vec<&Record> =
                own_failures.iter().chain(&successes).copied().collect();
            evidence.sort_by_key(|r| r.published());
            let details = format!(
                "{}{}: {}",
                plural(successes.len(), "successful sign-in"),
                if legacy > 0 {
                    format!(" ({legacy} through basic auth)")
                } else {
                    String::new()
                },
                reasons
                    .into_iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            findings.push(
                Finding::new(&DETECTION, Key::user(user), evidence, table)
                    .count("successes", successes.len())
                    .count("legacy_successes", legacy)
                    .count("user_failures", own_failures.len())
                    .count("source_failures", source_failures)
                    .severity(if legacy > 0 {
                        Severity::Critical
                    } else {
                        Severity::High
                    })
                    .details(details),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::{at, fail, run, run_after, success};
    use crate::detect::{CATALOGUE, Finding};

    const SPRAYER: &str = "203.0.113.43";

    /// Findings of the attack detections on `records`, as `hunt` would hand them on.
    fn attacks(records: &[Record]) -> Vec<Finding> {
        CATALOGUE
            .iter()
            .filter(|d| ATTACKS.contains(&d.id))
            .flat_map(|d| run(d, records, &[]))
            .collect()
    }

    /// A basic-auth spray: 12 users, one attempt each, a minute apart.
    fn spray() -> Vec<Record> {
        (0..12)
            .map(|i| fail(at(i * 60), &format!("user{i}@example.com"), SPRAYER).with_legacy(true))
            .collect()
    }

    #[test]
    fn a_success_from_the_spraying_ip_is_the_compromise() {
        let mut records = spray();
        records.push(success(at(800), "user3@example.com", SPRAYER).with_legacy(true));
        let earlier = attacks(&records);
        assert_eq!(earlier.len(), 1);
        let findings = run_after(&DETECTION, &records, &[], &earlier);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.key, Key::user("user3@example.com"));
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(
            finding.counts,
            [
                ("successes", 1),
                ("legacy_successes", 1),
                ("user_failures", 1),
                ("source_failures", 12)
            ]
        );
        assert_eq!(finding.evidence.len(), 2);
        assert_eq!(
            finding.details,
            "1 successful sign-in (1 through basic auth): from 203.0.113.43, a source of legacy-password-spray"
        );
    }

    #[test]
    fn a_sprayed_user_signing_in_from_elsewhere_is_not() {
        let mut records = spray();
        records.push(success(at(3600), "user3@example.com", "192.0.2.10"));
        assert_eq!(run_after(&DETECTION, &records, &[], &attacks(&records)), []);
    }

    #[test]
    fn the_attack_is_followed_for_three_hours_after_its_end() {
        let mut records = spray();
        records.push(success(at(660 + 10_800), "user3@example.com", SPRAYER));
        assert_eq!(
            run_after(&DETECTION, &records, &[], &attacks(&records)).len(),
            1
        );
        records.pop();
        records.push(success(at(661 + 10_800), "user3@example.com", SPRAYER));
        assert_eq!(run_after(&DETECTION, &records, &[], &attacks(&records)), []);
    }

    #[test]
    fn brute_force_is_followed_on_its_target_from_any_ip() {
        let mut records: Vec<Record> = (0..10)
            .map(|i| fail(at(i * 30), "ann@example.com", &format!("198.51.100.{i}")))
            .collect();
        records.push(success(at(2000), "ann@example.com", "192.0.2.200"));
        let findings = run_after(&DETECTION, &records, &[], &attacks(&records));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::High);
        assert_eq!(findings[0].figure("user_failures"), 10);
        assert_eq!(
            findings[0].details,
            "1 successful sign-in: the user was the target of brute-force"
        );
    }

    /// Ann signs in at her desk, fails `failures` times from elsewhere, then signs in at her
    /// desk again.
    fn back_at_her_desk(failures: i64, desk_before: bool) -> Vec<Record> {
        let mut records: Vec<Record> = (0..failures)
            .map(|i| {
                fail(
                    at(600 + i * 30),
                    "ann@example.com",
                    &format!("198.51.100.{i}"),
                )
            })
            .collect();
        if desk_before {
            records.push(success(at(0), "ann@example.com", "192.0.2.200"));
        }
        records.push(success(at(2000), "ann@example.com", "192.0.2.200"));
        records.sort_by_key(Record::published);
        records
    }

    #[test]
    fn the_target_back_at_a_desk_it_used_before_is_not() {
        let records = back_at_her_desk(10, true);
        assert_eq!(run_after(&DETECTION, &records, &[], &attacks(&records)), []);
    }

    #[test]
    fn a_user_back_at_a_desk_after_just_enough_failures_is_not() {
        let findings = run(&DETECTION, &back_at_her_desk(5, false), &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].details,
            "1 successful sign-in: after 5 failed sign-ins for the user in the 3h before"
        );
        assert_eq!(run(&DETECTION, &back_at_her_desk(5, true), &[]), []);
    }

    #[test]
    fn a_brute_force_target_under_the_failures_threshold_back_at_a_desk_is_not() {
        let brute_force = |records: &[Record]| {
            run(
                &crate::detect::brute_force::DETECTION,
                records,
                &["failures=4"],
            )
        };
        let records = back_at_her_desk(4, false);
        let findings = run_after(&DETECTION, &records, &[], &brute_force(&records));
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].details,
            "1 successful sign-in: the user was the target of brute-force"
        );
        let records = back_at_her_desk(4, true);
        assert_eq!(
            run_after(&DETECTION, &records, &[], &brute_force(&records)),
            []
        );
    }

    #[test]
    fn five_failures_then_a_success_without_any_attack_finding() {
        let mut records: Vec<Record> = (0..5)
            .map(|i| fail(at(i * 600), &format!("u{i}@example.com"), "192.0.2.50"))
            .collect();
        records.push(success(at(3000), "other@example.com", "192.0.2.50"));
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].figure("source_failures"), 5);
        assert_eq!(findings[0].figure("user_failures"), 0);
        // From an address where most sign-ins succeed, they are typos.
        let mut office = records.clone();
        office.extend(
            (0..6).map(|i| success(at(i * 400), &format!("s{i}@example.com"), "192.0.2.50")),
        );
        assert_eq!(run(&DETECTION, &office, &[]), []);
        // Four failures, or the fifth more than 3 hours before, are not enough.
        assert_eq!(run(&DETECTION, &records[1..], &[]), []);
        assert_eq!(run(&DETECTION, &records, &["window=40m"]), []);
    }
}
