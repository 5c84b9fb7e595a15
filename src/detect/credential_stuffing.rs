//! `credential-stuffing`: one IP trying many accounts once or twice each, as a list of leaked
//! username and password pairs is replayed.

use crate::detect::params::{Param, Unit, Values};
use crate::detect::window::{Band, users_in_band_per_ip};
use crate::detect::{Context, Detection, Finding, Severity};

const USERS: &str = "users";
const MAX_PER_USER: &str = "max_per_user";
const WINDOW: &str = "window";

pub const DETECTION: Detection = Detection {
    id: "credential-stuffing",
    title: "Credential stuffing from one IP",
    severity: Severity::Medium,
    logic: "One IP whose failed sign-ins reach at least {users} users tried at most \
            {max_per_user} times each within {window}. A fast spray with one password per user \
            has the same shape and is reported here too.",
    params: &[
        Param {
            name: USERS,
            unit: Unit::Count,
            default: 15,
            doc: "users tried at most max_per_user times",
        },
        Param {
            name: MAX_PER_USER,
            unit: Unit::Count,
            default: 2,
            doc: "most attempts on a user that count",
        },
        Param {
            name: WINDOW,
            unit: Unit::Duration,
            default: 900,
            doc: "sliding window",
        },
    ],
    closest: "Elastic \"Potential Okta Credential Stuffing (Single Source)\" (15 minutes of \
              failures with reason INVALID_CREDENTIALS or LOCKED_OUT: at least 15 users and 25 \
              attempts, at most 2 per user). Ours counts every failure reason, has no floor on \
              total attempts, slides the window, and leaves users above the cap out of the count \
              instead of letting them veto it.",
    credit: None,
    reads_earlier: false,
    run,
};

fn run(context: &Context<'_>, values: &Values<'_>) -> Vec<Finding> {
    users_in_band_per_ip(
        context,
        &DETECTION,
        context.records.iter().filter(|r| r.is_failed_sign_in()),
        values.millis(WINDOW),
        || Band::new(1, values.get(MAX_PER_USER)),
        values.count(USERS),
        "failed sign-ins",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Key;
    use crate::detect::records::Record;
    use crate::detect::testing::{at, fail, run};

    fn stuffing(users: usize, rounds: usize, every: i64) -> Vec<Record> {
        (0..users * rounds)
            .map(|i| {
                fail(
                    at(i as i64 * every),
                    &format!("user{}@example.com", i % users),
                    "192.0.2.77",
                )
            })
            .collect()
    }

    #[test]
    fn fifteen_users_within_fifteen_minutes() {
        let findings = run(&DETECTION, &stuffing(15, 2, 30), &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].counts, [("attempts", 30), ("users", 15)]);
        assert_eq!(findings[0].key, Key::ip("192.0.2.77"));
    }

    #[test]
    fn near_misses() {
        assert_eq!(run(&DETECTION, &stuffing(14, 1, 30), &[]), []);
        // Fifteen users over 15 minutes and 4 seconds.
        assert_eq!(run(&DETECTION, &stuffing(15, 1, 65), &[]), []);
        assert_eq!(run(&DETECTION, &stuffing(15, 1, 64), &[]).len(), 1);
        // Three attempts on each of 15 users, one user at a time: each leaves the count.
        let bursts: Vec<Record> = (0..45)
            .map(|i| fail(at(i), &format!("user{}@example.com", i / 3), "192.0.2.77"))
            .collect();
        assert_eq!(run(&DETECTION, &bursts, &[]), []);
    }
}
