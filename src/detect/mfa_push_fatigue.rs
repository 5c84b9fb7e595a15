//! `mfa-push-fatigue`: an attacker who has the password sends push after push until the user
//! gives in. Refused and ignored pushes both count; a success from the same address afterwards
//! means the user gave in.

use std::collections::BTreeSet;
use std::ops::Range;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::detect::params::{Param, Unit, Values};
use crate::detect::records::{Kind, Outcome, Record, TextId, Uuid};
use crate::detect::window::{Tally, episodes, group_by, index_by};
use crate::detect::{Context, Detection, Finding, Key, Severity, span};
use crate::time::Timestamp;

const REJECTIONS: &str = "rejections";
const WINDOW: &str = "window";

pub const DETECTION: Detection = Detection {
    id: "mfa-push-fatigue",
    title: "MFA push fatigue",
    severity: Severity::Medium,
    logic: "At least {rejections} refused or unanswered MFA pushes for one user within \
            {window}. Refused: user.mfa.okta_verify.deny_push, or a failed \
            user.authentication.auth_via_mfa (how Identity Engine logs a refusal). Unanswered: a \
            system.push.send_factor_verify_push followed by no MFA verification, refusal or \
            failure before the next push to the user. Critical when the user then succeeds (an \
            MFA verification or sign-in) from an IP the pushes were requested from, within \
            {window} of the last refusal: the attacker is in.",
    params: &[
        Param {
            name: REJECTIONS,
            unit: Unit::Count,
            default: 5,
            doc: "refused or unanswered pushes",
        },
        Param {
            name: WINDOW,
            unit: Unit::Duration,
            default: 600,
            doc: "sliding window, and how long after the last refusal a success counts",
        },
    ],
    closest: "Elastic \"Potential Okta MFA Bombing via Push Notifications\" and the hunting \
              query \"Rapid MFA Deny Push Notifications\" (more than 5 deny_push in 10 minutes), \
              and \"Potential Abuse of Repeated MFA Push Notifications\" (2 denials then an SSO \
              within 10 minutes). Ours counts unanswered pushes and Identity Engine MFA failures \
              too, and escalates only a success from the address that requested the pushes.",
    credit: None,
    reads_earlier: false,
    run,
};

/// A push refused, failed or left unanswered.
fn is_response(record: &Record) -> bool {
    record.kind() == Kind::PushDenied || record.kind() == Kind::Mfa
}

struct Count(usize, usize);

impl Tally for Count {
    fn add(&mut self, _: &Record) {
        self.0 += 1;
    }
    fn remove(&mut self, _: &Record) {
        self.0 -= 1;
    }
    fn met(&self) -> bool {
        self.0 >= self.1
    }
}

/// A user's refused or unanswered pushes, and the storms among them.
struct Stormy<'r> {
    user: &'r str,
    /// Every record of a group has the user's id.
    user_id: Option<TextId>,
    events: &'r [&'r Record],
    rejections: Vec<&'r Record>,
    unanswered: FxHashSet<Uuid>,
    storms: Vec<Range<usize>>,
}

/// The push a user has yet to answer, as their events go by in time order.
#[derive(Default)]
struct Awaiting<'r>(Option<&'r Record>);

impl<'r> Awaiting<'r> {
    /// The refusal `event` makes known, if any, and whether it is a push left unanswered (the
    /// user was sent another) rather than a refusing answer.
    fn next(&mut self, event: &'r Record) -> Option<(&'r Record, bool)> {
        if event.kind() == Kind::PushSent {
            return self.0.replace(event).map(|push| (push, true));
        }
        if is_response(event) {
            self.0 = None;
            if event.kind() == Kind::PushDenied || event.outcome() == Outcome::Failure {
                return Some((event, false));
            }
        }
        None
    }

    /// The push left unanswered when the events end.
    fn last(self) -> Option<&'r Record> {
        self.0
    }

    fn is_waiting(&self) -> bool {
        self.0.is_some()
    }
}

/// The pushes in `events` (a user's, in time order) that were refused or left unanswered, in
/// time order, and the uuids of the unanswered.
fn refusals<'r>(events: &[&'r Record]) -> (Vec<&'r Record>, FxHashSet<Uuid>) {
    let mut awaiting = Awaiting::default();
    let mut refused: Vec<(&Record, bool)> = events
        .iter()
        .filter_map(|&event| awaiting.next(event))
        .collect();
    refused.extend(awaiting.last().map(|push| (push, true)));
    let unanswered = refused
        .iter()
        .filter(|(_, left_unanswered)| *left_unanswered)
        .map(|(push, _)| push.uuid())
        .collect();
    let mut rejections: Vec<&Record> = refused.into_iter().map(|(refusal, _)| refusal).collect();
    rejections.sort_by_key(|r| r.published());
    (rejections, unanswered)
}

fn run(context: &Context<'_>, values: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let window = values.millis(WINDOW);
    let needed = values.count(REJECTIONS);
    let pushes = || {
        context
            .records
            .iter()
            .filter(|r| matches!(r.kind(), Kind::PushSent | Kind::PushDenied | Kind::Mfa))
    };
    // A storm is at least `needed` refusals: the events of the users with fewer over the whole
    // input, nearly all of them, are not gathered.
    let mut refused: FxHashMap<TextId, (Awaiting, usize)> = FxHashMap::default();
    for event in pushes() {
        if let Some(user) = event.user {
            let (awaiting, count) = refused.entry(user).or_default();
            *count += usize::from(awaiting.next(event).is_some());
        }
    }
    refused.retain(|_, (awaiting, count)| *count + usize::from(awaiting.is_waiting()) >= needed);
    let by_user = group_by(
        pushes().filter(|r| r.user.is_some_and(|user| refused.contains_key(&user))),
        table,
        |r| r.user,
    );
    let stormy: Vec<Stormy> = by_user
        .iter()
        .filter_map(|(user, events)| {
            let (rejections, unanswered) = refusals(events);
            let storms = episodes(&rejections, window, &mut Count(0, needed));
            (!storms.is_empty()).then_some(Stormy {
                user,
                user_id: events.first().and_then(|r| r.user),
                events,
                rejections,
                unanswered,
                storms,
            })
        })
        .collect();
    // Only the users with a storm need their sign-ins, and they are few: indexing every
    // user's would cost a pass over the log.
    let stormy_users: FxHashSet<TextId> = stormy.iter().filter_map(|s| s.user_id).collect();
    let sign_ins = index_by(
        context.records.iter().filter(|r| {
            r.is_successful_sign_in() && r.user.is_some_and(|id| stormy_users.contains(&id))
        }),
        |r| r.user,
    );
    let mut findings = Vec::new();
    for Stormy {
        user,
        user_id,
        events,
        rejections,
        unanswered,
        storms,
    } in stormy
    {
        for storm in storms {
            let storm = &rejections[storm];
            let (Some(first), Some(last)) = (storm.first(), storm.last()) else {
                continue;
            };
            // From the push the first refusal answered.
            let from = events
                .iter()
                .rev()
                .find(|r| r.kind() == Kind::PushSent && r.published() <= first.published())
                .map_or(first.published(), |r| r.published());
            let until = Timestamp(last.published().0.saturating_add(window));
            let storm_ips: BTreeSet<&str> = events
                .iter()
                .filter(|r| r.kind() == Kind::PushSent && r.published() >= from)
                .filter(|r| r.published() <= last.published())
                .filter_map(|r| table.ip(r))
                .collect();
            let accepted: Vec<&Record> = events
                .iter()
                .filter(|r| r.kind() == Kind::Mfa)
                .chain(
                    user_id
                        .and_then(|id| sign_ins.get(&id))
                        .into_iter()
                        .flatten(),
                )
                .copied()
                .filter(|r| r.outcome() == Outcome::Success)
                .filter(|r| r.published() > from && r.published() <= until)
                .filter(|r| {
                    storm_ips.is_empty() || table.ip(r).is_some_and(|ip| storm_ips.contains(ip))
                })
                .collect();
            let end = accepted
                .iter()
                .map(|r| r.published())
                .max()
                .map_or(last.published(), |t| t.max(last.published()));
            let mut evidence: Vec<&Record> = events
                .iter()
                .copied()
                .filter(|r| r.published() >= from && r.published() <= end)
                .filter(|r| r.kind() != Kind::Mfa || r.outcome() == Outcome::Failure)
                .chain(accepted.iter().copied())
                .collect();
            evidence.sort_by_key(|r| r.published());
            evidence.dedup_by(|a, b| a.uuid() == b.uuid());
            let pushes = evidence
                .iter()
                .filter(|r| r.kind() == Kind::PushSent)
                .count();
            let ignored = storm
                .iter()
                .filter(|r| unanswered.contains(&r.uuid()))
                .count();
            let refused = storm.len() - ignored;
            let finding = Finding::new(&DETECTION, Key::user(user), evidence, table);
            let details = format!(
                "{pushes} {} to {user} in {}: {refused} refused, {ignored} unanswered{}",
                if pushes == 1 { "push" } else { "pushes" },
                span(finding.start, finding.end),
                if accepted.is_empty() {
                    String::new()
                } else if storm_ips.is_empty() {
                    "; then a success (no push names the IP it was requested from): MFA bypassed"
                        .to_string()
                } else {
                    let ips: Vec<&str> = storm_ips.iter().copied().collect();
                    format!("; then a success from {}: MFA bypassed", ips.join(", "))
                }
            );
            findings.push(
                finding
                    .count("pushes", pushes)
                    .count("refused", refused)
                    .count("unanswered", ignored)
                    .count("successes", accepted.len())
                    .severity(if accepted.is_empty() {
                        DETECTION.severity
                    } else {
                        Severity::Critical
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
    use crate::detect::testing::{at, record, run, success};

    const USER: &str = "valentina@example.com";
    const ATTACKER: &str = "203.0.113.104";

    fn push(s: i64) -> Record {
        record(Kind::PushSent, Outcome::Success, at(s), USER, ATTACKER)
    }
    fn deny(s: i64) -> Record {
        record(Kind::PushDenied, Outcome::Failure, at(s), USER, ATTACKER)
    }
    fn mfa(s: i64, outcome: Outcome, ip: &str) -> Record {
        record(Kind::Mfa, outcome, at(s), USER, ip)
    }

    /// Pushes every 60 s, refused 20 s later, `refused` times.
    fn storm(refused: i64) -> Vec<Record> {
        (0..refused)
            .flat_map(|i| [push(i * 60), deny(i * 60 + 20)])
            .collect()
    }

    #[test]
    fn five_refusals_in_ten_minutes() {
        let findings = run(&DETECTION, &storm(5), &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Medium);
        assert_eq!(
            findings[0].counts,
            [
                ("pushes", 5),
                ("refused", 5),
                ("unanswered", 0),
                ("successes", 0)
            ]
        );
    }

    #[test]
    fn unanswered_pushes_count_and_acceptance_from_the_attacker_is_critical() {
        let mut records = storm(3);
        // Two pushes left unanswered, then one accepted from the attacker's address.
        records.extend([push(200), push(260), push(320)]);
        records.push(mfa(335, Outcome::Success, ATTACKER));
        records.push(success(at(336), USER, ATTACKER));
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(
            finding.counts,
            [
                ("pushes", 6),
                ("refused", 3),
                ("unanswered", 2),
                ("successes", 2)
            ]
        );
        assert_eq!(finding.evidence.len(), 11);
        assert_eq!(finding.end, at(336));
    }

    /// The last push of the input, never answered, is a refusal too, also when the users
    /// with enough refusals are picked out before their events are gathered.
    #[test]
    fn a_push_still_unanswered_when_the_input_ends_counts() {
        let mut records = storm(4);
        records.push(push(300));
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].counts,
            [
                ("pushes", 5),
                ("refused", 4),
                ("unanswered", 1),
                ("successes", 0)
            ]
        );
        assert_eq!(findings[0].end, at(300));
    }

    #[test]
    fn identity_engine_failures_count_as_refusals() {
        let records: Vec<Record> = (0..5)
            .flat_map(|i| [push(i * 60), mfa(i * 60 + 20, Outcome::Failure, ATTACKER)])
            .collect();
        assert_eq!(run(&DETECTION, &records, &[]).len(), 1);
    }

    #[test]
    fn near_misses() {
        assert_eq!(run(&DETECTION, &storm(4), &[]), []);
        // Five refusals over more than ten minutes.
        let slow: Vec<Record> = (0..5)
            .flat_map(|i| [push(i * 151), deny(i * 151 + 5)])
            .collect();
        assert_eq!(run(&DETECTION, &slow, &[]), []);
        // Pushes answered by approvals are ordinary sign-ins.
        let approved: Vec<Record> = (0..8)
            .flat_map(|i| [push(i * 60), mfa(i * 60 + 10, Outcome::Success, ATTACKER)])
            .collect();
        assert_eq!(run(&DETECTION, &approved, &[]), []);
    }

    #[test]
    fn details_read_right_when_the_pushes_name_no_address() {
        // Refusals logged without their pushes (an export of user.mfa.* events only), then a
        // success: there is no push address to name.
        let mut records: Vec<Record> = (0..5).map(|i| deny(i * 60)).collect();
        records.push(success(at(330), USER, "192.0.2.10"));
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 1);
        assert!(
            !findings[0].details.contains("from :"),
            "{}",
            findings[0].details
        );
        assert_eq!(
            findings[0].details,
            "0 pushes to valentina@example.com in 5m 30s: 5 refused, 0 unanswered; then a \
             success (no push names the IP it was requested from): MFA bypassed"
        );
        // One push is one push.
        let mut one: Vec<Record> = vec![push(0)];
        one.extend((0..5).map(|i| deny(20 + i * 60)));
        assert!(
            run(&DETECTION, &one, &[])[0]
                .details
                .starts_with("1 push to valentina@example.com in ")
        );
    }

    #[test]
    fn a_success_from_elsewhere_is_the_user_not_the_attacker() {
        let mut records = storm(5);
        records.push(success(at(400), USER, "192.0.2.10"));
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings[0].severity, Severity::Medium);
    }
}
