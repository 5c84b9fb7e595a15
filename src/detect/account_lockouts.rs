//! `account-lockouts`: one account locked again and again, or many accounts locked at once.
//! A single lockout is everyday forgetfulness; repeats are someone still guessing.

use crate::detect::params::{Param, Unit, Values};
use crate::detect::records::{Kind, Record};
use crate::detect::window::{Band, Tally, episodes, group_by, keyed_episodes};
use crate::detect::{Context, Detection, Finding, Key, Severity, plural, span};

const USER_LOCKS: &str = "user_locks";
const USER_WINDOW: &str = "user_window";
const TENANT_USERS: &str = "tenant_users";
const TENANT_WINDOW: &str = "tenant_window";

pub const DETECTION: Detection = Detection {
    id: "account-lockouts",
    title: "Repeated account lockouts",
    severity: Severity::Medium,
    logic: "At least {user_locks} user.account.lock events for one user within {user_window} \
            (medium), or at least {tenant_users} users locked within {tenant_window} across the \
            tenant (high).",
    params: &[
        Param {
            name: USER_LOCKS,
            unit: Unit::Count,
            default: 3,
            doc: "lockouts of one user",
        },
        Param {
            name: USER_WINDOW,
            unit: Unit::Duration,
            default: 10_800,
            doc: "sliding window for one user",
        },
        Param {
            name: TENANT_USERS,
            unit: Unit::Count,
            default: 5,
            doc: "distinct users locked across the tenant",
        },
        Param {
            name: TENANT_WINDOW,
            unit: Unit::Duration,
            default: 300,
            doc: "sliding window across the tenant",
        },
    ],
    closest: "Elastic \"Attempts to Brute Force an Okta User Account\" (3 lockouts of a user in \
              3 hours) and Splunk \"Okta Multiple Accounts Locked Out\" (more than 5 accounts in \
              5 minutes); Sigma \"Okta User Account Locked Out\" (Austin Songer) reports every \
              lockout. Ours keeps both thresholds, slides the windows, and leaves single lockouts \
              to the brute-force detection that explains them.",
    credit: None,
    reads_earlier: false,
    run,
};

struct Locks {
    users: Band,
    count: usize,
    needed_locks: usize,
    needed_users: usize,
}

impl Tally for Locks {
    fn add(&mut self, record: &Record) {
        self.count += 1;
        if let Some(user) = record.user {
            self.users.add(user);
        }
    }
    fn remove(&mut self, record: &Record) {
        self.count -= 1;
        if let Some(user) = record.user {
            self.users.remove(user);
        }
    }
    fn met(&self) -> bool {
        self.count >= self.needed_locks && self.users.users >= self.needed_users
    }
}

fn run(context: &Context<'_>, values: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let locks: Vec<&Record> = context
        .records
        .iter()
        .filter(|r| r.kind() == Kind::Lock && r.user.is_some())
        .collect();
    let by_user = group_by(locks.iter().copied(), table, |r| r.user);
    let per_user = keyed_episodes(&by_user, values.millis(USER_WINDOW), || Locks {
        users: Band::any(),
        count: 0,
        needed_locks: values.count(USER_LOCKS),
        needed_users: 1,
    })
    .into_iter()
    .map(|(user, locks)| {
        let finding = Finding::new(&DETECTION, Key::user(user), locks.iter().copied(), table);
        let details = format!(
            "{user} locked out {} times in {}",
            locks.len(),
            span(finding.start, finding.end)
        );
        finding.count("locks", locks.len()).details(details)
    });
    let mut tenant = Locks {
        users: Band::any(),
        count: 0,
        needed_locks: 1,
        needed_users: values.count(TENANT_USERS),
    };
    let tenant_wide = episodes(&locks, values.millis(TENANT_WINDOW), &mut tenant)
        .into_iter()
        .map(|range| {
            let locks = &locks[range];
            let finding = Finding::new(&DETECTION, Key::tenant(), locks.iter().copied(), table);
            let users = finding.users.len();
            let details = format!(
                "{} locked out in {}",
                plural(users, "user"),
                span(finding.start, finding.end)
            );
            finding
                .count("locks", locks.len())
                .count("users", users)
                .severity(Severity::High)
                .details(details)
        });
    per_user.chain(tenant_wide).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::records::Outcome;
    use crate::detect::testing::{at, record, run};

    fn lock(seconds: i64, user: &str) -> Record {
        record(
            Kind::Lock,
            Outcome::Failure,
            at(seconds),
            user,
            "198.51.100.18",
        )
    }

    #[test]
    fn three_lockouts_of_one_user_in_three_hours() {
        let records = [
            lock(0, "a@x.com"),
            lock(5000, "a@x.com"),
            lock(10_800, "a@x.com"),
        ];
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].key, Key::user("a@x.com"));
        assert_eq!(findings[0].counts, [("locks", 3)]);
        assert_eq!(findings[0].details, "a@x.com locked out 3 times in 3h");
    }

    #[test]
    fn five_users_locked_in_five_minutes() {
        let records: Vec<Record> = (0..5)
            .map(|i| lock(i * 75, &format!("u{i}@x.com")))
            .collect();
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].key, Key::tenant());
        assert_eq!(findings[0].severity, Severity::High);
        assert_eq!(findings[0].counts, [("locks", 5), ("users", 5)]);
    }

    #[test]
    fn near_misses() {
        let slow = [
            lock(0, "a@x.com"),
            lock(5000, "a@x.com"),
            lock(10_801, "a@x.com"),
        ];
        assert_eq!(run(&DETECTION, &slow, &[]), []);
        let few: Vec<Record> = (0..4)
            .map(|i| lock(i * 10, &format!("u{i}@x.com")))
            .collect();
        assert_eq!(run(&DETECTION, &few, &[]), []);
        // Five lockouts in a minute, but of one user twice: four users.
        let mut repeat = few.clone();
        repeat.push(lock(50, "u0@x.com"));
        assert_eq!(run(&DETECTION, &repeat, &[]), []);
        let spread: Vec<Record> = (0..5)
            .map(|i| lock(i * 76, &format!("u{i}@x.com")))
            .collect();
        assert_eq!(run(&DETECTION, &spread, &[]), []);
    }
}
