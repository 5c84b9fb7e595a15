//! `distributed-spray`: a spray spread over many addresses so that no single IP stands out;
//! only the tenant-wide view shows it.

use crate::detect::params::{Param, Unit, Values};
use crate::detect::records::{Record, Table};
use crate::detect::window::{Band, Distinct, Tally, episodes};
use crate::detect::{Context, Detection, Finding, Key, Severity, plural, span};

const IPS: &str = "ips";
const USERS: &str = "users";
const ATTEMPTS: &str = "attempts";
const MAX_PER_USER: &str = "max_per_user";
const BUSIEST_IP: &str = "busiest_ip";
const WINDOW: &str = "window";

pub const DETECTION: Detection = Detection {
    id: "distributed-spray",
    title: "Password spray from many IPs",
    severity: Severity::Medium,
    logic: "Tenant-wide, failed sign-ins within {window} from at least {ips} IPs reaching at \
            least {users} users tried at most {max_per_user} times each, with at least \
            {attempts} attempts on those users, and no IP sending more than {busiest_ip} of the \
            window's failures (one dominant IP is a single-source spray, which password-spray \
            and credential-stuffing report). Only failures from addresses where sign-ins mostly \
            fail count (more failures than successes over the input): offices, VPNs and homes, \
            where people mostly sign in fine, are where a large tenant's typos come from.",
    params: &[
        Param {
            name: IPS,
            unit: Unit::Count,
            default: 5,
            doc: "distinct source IPs",
        },
        Param {
            name: USERS,
            unit: Unit::Count,
            default: 8,
            doc: "users tried at most max_per_user times",
        },
        Param {
            name: ATTEMPTS,
            unit: Unit::Count,
            default: 25,
            doc: "attempts on those users",
        },
        Param {
            name: MAX_PER_USER,
            unit: Unit::Count,
            default: 5,
            doc: "most attempts on a user that count",
        },
        Param {
            name: BUSIEST_IP,
            unit: Unit::Percent,
            default: 50,
            doc: "largest share of the failures one IP may send",
        },
        Param {
            name: WINDOW,
            unit: Unit::Duration,
            default: 900,
            doc: "sliding window",
        },
    ],
    closest: "Elastic \"Potential Okta Password Spray (Multi-Source)\" (fixed 15-minute buckets: \
              at least 5 IPs, 8 users, 25 attempts, on average at most 5 per user). Ours slides \
              the window, caps attempts per user instead of averaging them (so a brute-forced \
              account in the same minutes does not hide the spray), ignores addresses where \
              sign-ins mostly succeed, and requires that no IP dominates.",
    credit: None,
    reads_earlier: false,
    run,
};

struct Spread<'t> {
    table: &'t Table,
    users: Band,
    ips: Distinct,
    failures: u64,
    needed: (usize, usize, u64, u64),
}

impl Tally for Spread<'_> {
    fn add(&mut self, record: &Record) {
        self.failures += 1;
        if let Some(user) = record.user {
            self.users.add(user);
        }
        if let Some(ip) = self.table.source_of(record).ip {
            self.ips.add(ip);
        }
    }
    fn remove(&mut self, record: &Record) {
        self.failures -= 1;
        if let Some(user) = record.user {
            self.users.remove(user);
        }
        if let Some(ip) = self.table.source_of(record).ip {
            self.ips.remove(ip);
        }
    }
    fn met(&self) -> bool {
        let (ips, users, attempts, busiest_percent) = self.needed;
        self.ips.len() >= ips
            && self.users.users >= users
            && self.users.attempts >= attempts
            && self.ips.max() * 100 <= busiest_percent * self.failures
    }
}

fn run(context: &Context<'_>, values: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let failing = context.failing_ips();
    let failures: Vec<&Record> = context
        .records
        .iter()
        .filter(|r| r.is_failed_sign_in())
        .filter(|r| table.ip_id(r).is_some_and(|ip| failing.contains(&ip)))
        .collect();
    let max_per_user = values.get(MAX_PER_USER);
    let mut tally = Spread {
        table,
        users: Band::new(1, max_per_user),
        ips: Distinct::default(),
        failures: 0,
        needed: (
            values.count(IPS),
            values.count(USERS),
            values.get(ATTEMPTS),
            values.get(BUSIEST_IP),
        ),
    };
    episodes(&failures, values.millis(WINDOW), &mut tally)
        .into_iter()
        .map(|range| {
            let attempts = &failures[range];
            let finding = Finding::new(&DETECTION, Key::tenant(), attempts.iter().copied(), table);
            let mut per_ip = Distinct::default();
            for ip in attempts.iter().filter_map(|r| table.source_of(r).ip) {
                per_ip.add(ip);
            }
            let (users, ips) = (finding.users.len(), finding.ips.len());
            let details = format!(
                "{} failed sign-ins against {} from {} in {}; the busiest IP sent {}",
                attempts.len(),
                plural(users, "user"),
                plural(ips, "IP"),
                span(finding.start, finding.end),
                per_ip.max()
            );
            finding
                .count("attempts", attempts.len())
                .count("users", users)
                .count("ips", ips)
                .count("busiest_ip_attempts", per_ip.max())
                .details(details)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::{at, fail, run, success};

    /// `attempts` failures, one every 20 s, cycling through `users` users and `ips` IPs.
    fn spread(attempts: usize, users: usize, ips: usize) -> Vec<Record> {
        (0..attempts)
            .map(|i| {
                fail(
                    at(i as i64 * 20),
                    &format!("user{}@example.com", i % users),
                    &format!("198.51.100.{}", i % ips),
                )
            })
            .collect()
    }

    #[test]
    fn many_ips_many_users_few_attempts_each() {
        let findings = run(&DETECTION, &spread(25, 8, 5), &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].key, Key::tenant());
        assert_eq!(
            findings[0].counts,
            [
                ("attempts", 25),
                ("users", 8),
                ("ips", 5),
                ("busiest_ip_attempts", 5)
            ]
        );
    }

    #[test]
    fn near_misses() {
        assert_eq!(run(&DETECTION, &spread(24, 8, 5), &[]), []);
        assert_eq!(run(&DETECTION, &spread(25, 7, 5), &[]), []);
        assert_eq!(run(&DETECTION, &spread(25, 8, 4), &[]), []);
        // Three more users, but tried 6 times each: only 5 users within the cap.
        let mut heavy = spread(25, 5, 5);
        heavy.extend((0..18).map(|i| fail(at(0), &format!("x{}", i / 6), "192.0.2.9")));
        assert_eq!(run(&DETECTION, &heavy, &[]), []);
    }

    #[test]
    fn typos_from_offices_where_people_sign_in_fine_are_not_a_spray() {
        let mut records = spread(25, 8, 5);
        for ip in 0..5 {
            for k in 0..6 {
                records.push(success(
                    at(k * 60),
                    &format!("ok{k}"),
                    &format!("198.51.100.{ip}"),
                ));
            }
        }
        assert_eq!(run(&DETECTION, &records, &[]), []);
    }

    #[test]
    fn one_dominant_ip_is_a_single_source_spray() {
        let mut records = spread(25, 25, 25);
        records.extend((0..52).map(|i| fail(at(i * 10), &format!("v{i}"), "203.0.113.43")));
        assert_eq!(run(&DETECTION, &records, &[]), []);
        assert_eq!(run(&DETECTION, &records, &["busiest_ip=70%"]).len(), 1);
    }
}
