//! `password-spray`: one IP trying a few passwords on each of many users, paced to stay under
//! the lockout threshold.

use crate::detect::params::{Param, Unit, Values};
use crate::detect::records::Record;
use crate::detect::window::{Band, Distinct, Tally, group_by, keyed_episodes, peak};
use crate::detect::{Context, Detection, Finding, Key, Severity, plural, span};

const USERS: &str = "users";
const ATTEMPTS: &str = "attempts";
const MIN_PER_USER: &str = "min_per_user";
const MAX_PER_USER: &str = "max_per_user";
const WINDOW: &str = "window";

pub const DETECTION: Detection = Detection {
    id: "password-spray",
    title: "Password spray from one IP",
    severity: Severity::Medium,
    logic: "One IP whose failed sign-ins (user.session.start, user.authentication.*) reach at \
            least {users} users with {min_per_user} to {max_per_user} attempts each, and at least \
            {attempts} attempts on those users, within {window}. Users tried more often than \
            that are left out of the count (that is brute force), not a reason to miss the spray.",
    params: &[
        Param {
            name: USERS,
            unit: Unit::Count,
            default: 5,
            doc: "users tried within the per-user band",
        },
        Param {
            name: ATTEMPTS,
            unit: Unit::Count,
            default: 15,
            doc: "attempts on those users",
        },
        Param {
            name: MIN_PER_USER,
            unit: Unit::Count,
            default: 2,
            doc: "fewest attempts on a user that count",
        },
        Param {
            name: MAX_PER_USER,
            unit: Unit::Count,
            default: 8,
            doc: "most attempts on a user that count",
        },
        Param {
            name: WINDOW,
            unit: Unit::Duration,
            default: 3_600,
            doc: "sliding window",
        },
    ],
    closest: "Elastic \"Potential Okta Password Spray (Single Source)\" (an hour's failures \
              with reason INVALID_CREDENTIALS or LOCKED_OUT: at least 5 users and 15 attempts, at \
              most 8 per user, 60% of users at 2-6, spread over 5 minutes or more). Ours counts \
              every failure reason, slides the window, and counts the users in the 2-8 band \
              instead of letting one user above 8 veto the spray.",
    credit: None,
    reads_earlier: false,
    run,
};

struct Spray {
    band: Band,
    users: usize,
    attempts: u64,
}

impl Tally for Spray {
    fn add(&mut self, record: &Record) {
        if let Some(user) = record.user {
            self.band.add(user);
        }
    }
    fn remove(&mut self, record: &Record) {
        if let Some(user) = record.user {
            self.band.remove(user);
        }
    }
    fn met(&self) -> bool {
        self.band.users >= self.users && self.band.attempts >= self.attempts
    }
}

fn run(context: &Context<'_>, values: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let by_ip = group_by(
        context.records.iter().filter(|r| r.is_failed_sign_in()),
        table,
        |r| table.ip_id(r),
    );
    let (min, max) = (values.get(MIN_PER_USER), values.get(MAX_PER_USER));
    let width = values.millis(WINDOW);
    let new_tally = || Spray {
        band: Band::new(min, max),
        users: values.count(USERS),
        attempts: values.get(ATTEMPTS),
    };
    keyed_episodes(&by_ip, width, new_tally)
        .into_iter()
        .map(|(ip, attempts)| {
            let mut per_user = Distinct::default();
            for user in attempts.iter().filter_map(|r| r.user) {
                per_user.add(user);
            }
            // The users in the band within one window: over an episode longer than the window,
            // each user's attempts add up past the band even though every window held the spray.
            let in_band = peak(&attempts, width, &mut new_tally(), |spray| spray.band.users);
            let finding = Finding::new(&DETECTION, Key::ip(ip), attempts.iter().copied(), table);
            let users = finding.users.len();
            let details = format!(
                "{} failed sign-ins against {} from {ip} in {}; {} tried {min} to {max} times",
                attempts.len(),
                plural(users, "user"),
                span(finding.start, finding.end),
                plural(in_band, "user"),
            );
            finding
                .count("attempts", attempts.len())
                .count("users", users)
                .count("users_in_band", in_band)
                .count("max_per_user", per_user.max())
                .details(details)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::{at, fail, run};

    /// `users` users, each tried `rounds` times, one attempt every `every` seconds.
    fn spray(users: usize, rounds: usize, every: i64) -> Vec<Record> {
        (0..users * rounds)
            .map(|i| {
                fail(
                    at(i as i64 * every),
                    &format!("user{}@example.com", i % users),
                    "198.51.100.7",
                )
            })
            .collect()
    }

    #[test]
    fn five_users_three_times_each_within_an_hour() {
        let findings = run(&DETECTION, &spray(5, 3, 60), &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].counts,
            [
                ("attempts", 15),
                ("users", 5),
                ("users_in_band", 5),
                ("max_per_user", 3)
            ]
        );
    }

    #[test]
    fn a_brute_forced_user_beside_the_spray_does_not_hide_it() {
        let mut records = spray(5, 3, 60);
        records.extend((0..20).map(|i| fail(at(i), "boss@example.com", "198.51.100.7")));
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].figure("users_in_band"), 5);
        assert_eq!(findings[0].figure("max_per_user"), 20);
    }

    #[test]
    fn a_long_spray_reports_the_users_its_windows_had_in_the_band() {
        // Five users, each tried every 20 minutes for 3 hours and a quarter: 4 attempts each in
        // any hour, so every window holds the spray, but 10 each over the whole episode.
        let findings = run(&DETECTION, &spray(5, 10, 240), &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].figure("users_in_band"), 5);
        assert_eq!(findings[0].figure("max_per_user"), 10);
        assert!(
            findings[0]
                .details
                .ends_with("; 5 users tried 2 to 8 times"),
            "{}",
            findings[0].details
        );
    }

    #[test]
    fn near_misses() {
        // Four users in the band.
        assert_eq!(run(&DETECTION, &spray(4, 4, 60), &[]), []);
        // Fourteen attempts.
        assert_eq!(run(&DETECTION, &spray(7, 2, 60), &[]), []);
        // One attempt per user is stuffing, not a spray.
        assert_eq!(run(&DETECTION, &spray(30, 1, 60), &[]), []);
        // Nine attempts on one user after another is brute force, user by user.
        let bursts: Vec<Record> = (0..45)
            .map(|i| fail(at(i), &format!("user{}@example.com", i / 9), "198.51.100.7"))
            .collect();
        assert_eq!(run(&DETECTION, &bursts, &[]), []);
        // Fifteen attempts over more than an hour.
        assert_eq!(run(&DETECTION, &spray(5, 3, 258), &[]), []);
        assert_eq!(run(&DETECTION, &spray(5, 3, 257), &[]).len(), 1);
    }
}
