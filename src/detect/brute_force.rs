//! `brute-force`: many failed sign-ins on one account, from wherever they come; attackers
//! rotate addresses to stay under per-IP limits, so the addresses, countries and networks are
//! part of the finding.

use crate::detect::params::{Param, Unit, Values};
use crate::detect::records::Record;
use crate::detect::window::{Tally, group_by, keyed_episodes};
use crate::detect::{Context, Detection, Finding, Key, Severity, plural, span};

const FAILURES: &str = "failures";
const WINDOW: &str = "window";

pub const DETECTION: Detection = Detection {
    id: "brute-force",
    title: "Brute force against one user",
    severity: Severity::Medium,
    logic: "At least {failures} failed sign-ins for one user within {window}, from any number \
            of IPs; the finding lists the IPs, countries and ASNs they came from.",
    params: &[
        Param {
            name: FAILURES,
            unit: Unit::Count,
            default: 10,
            doc: "failed sign-ins for the user",
        },
        Param {
            name: WINDOW,
            unit: Unit::Duration,
            default: 1_800,
            doc: "sliding window",
        },
    ],
    closest: "Elastic \"Potential Okta Brute Force (Multi-Source)\" (30 minutes: at least 10 \
              attempts from at least 5 IPs, with 2 countries, 3 ASNs, 8 IPs or 3 user agents) and \
              Panther's deprecated \"Okta Brute Force Logins\" (5 failed user.session.start in \
              15 minutes). Ours needs no minimum of addresses, so a single-source brute force \
              counts too, and slides the window.",
    credit: None,
    reads_earlier: false,
    run,
};

struct Failures {
    count: usize,
    needed: usize,
}

impl Tally for Failures {
    fn add(&mut self, _: &Record) {
        self.count += 1;
    }
    fn remove(&mut self, _: &Record) {
        self.count -= 1;
    }
    fn met(&self) -> bool {
        self.count >= self.needed
    }
}

fn run(context: &Context<'_>, values: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let by_user = group_by(
        context.records.iter().filter(|r| r.is_failed_sign_in()),
        table,
        |r| r.user,
    );
    keyed_episodes(&by_user, values.millis(WINDOW), || Failures {
        count: 0,
        needed: values.count(FAILURES),
    })
    .into_iter()
    .map(|(user, failures)| {
        let finding = Finding::new(&DETECTION, Key::user(user), failures.iter().copied(), table);
        let (ips, countries, asns) = (
            finding.ips.len(),
            finding.countries.len(),
            finding.asns.len(),
        );
        let details = format!(
            "{} failed sign-ins for {user} in {} from {} in {} and {}",
            failures.len(),
            span(finding.start, finding.end),
            plural(ips, "IP"),
            plural(countries, "country"),
            plural(asns, "ASN"),
        );
        finding
            .count("failures", failures.len())
            .count("ips", ips)
            .count("countries", countries)
            .count("asns", asns)
            .details(details)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::{at, fail, run, text, with_source};

    fn attempts(n: i64, every: i64) -> Vec<Record> {
        (0..n)
            .map(|i| {
                let attempt = fail(
                    at(i * every),
                    "hiroshi@example.com",
                    &format!("203.0.113.{}", i % 3),
                );
                with_source(attempt, |source| {
                    source.country = text(["France", "Germany"][i as usize % 2]);
                    source.asn =
                        text(["AS16276 ovh sas", "AS14061 digitalocean, llc"][i as usize % 2]);
                })
            })
            .collect()
    }

    #[test]
    fn ten_failures_in_thirty_minutes() {
        let findings = run(&DETECTION, &attempts(10, 200), &[]);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.key, Key::user("hiroshi@example.com"));
        assert_eq!(
            finding.counts,
            [("failures", 10), ("ips", 3), ("countries", 2), ("asns", 2)]
        );
        assert_eq!(finding.countries, ["France", "Germany"]);
        assert_eq!(
            finding.details,
            "10 failed sign-ins for hiroshi@example.com in 30m from 3 IPs in 2 countries and 2 ASNs"
        );
    }

    #[test]
    fn nine_failures_or_a_slower_pace_is_not() {
        assert_eq!(run(&DETECTION, &attempts(9, 10), &[]), []);
        assert_eq!(run(&DETECTION, &attempts(10, 201), &[]), []);
    }
}
