//! `legacy-password-spray`: one IP failing basic-auth sign-ins against many users. Sprays aim
//! at basic auth because a right guess there is a session, with no second factor to pass.

use crate::detect::params::{Param, Unit, Values};
use crate::detect::window::{Band, users_in_band_per_ip};
use crate::detect::{Context, Detection, Finding, Severity};

const USERS: &str = "users";
const WINDOW: &str = "window";

pub const DETECTION: Detection = Detection {
    id: "legacy-password-spray",
    title: "Password spray through legacy (basic) authentication",
    severity: Severity::High,
    logic: "One IP whose failed legacy (basic-auth) sign-ins target at least {users} distinct \
            users within {window}.",
    params: &[
        Param {
            name: USERS,
            unit: Unit::Count,
            default: 10,
            doc: "distinct users with a failed basic-auth sign-in from the IP",
        },
        Param {
            name: WINDOW,
            unit: Unit::Duration,
            default: 3_600,
            doc: "sliding window",
        },
    ],
    closest: "Splunk \"Okta Multiple Users Failing To Authenticate From Ip\" (more than 9 users \
              from one IP in 5 minutes). Ours counts basic-auth failures only, over a sliding \
              1-hour window, because basic-auth sprays are paced to stay under lockout.",
    credit: None,
    reads_earlier: false,
    run,
};

fn run(context: &Context<'_>, values: &Values<'_>) -> Vec<Finding> {
    users_in_band_per_ip(
        context,
        &DETECTION,
        context
            .records
            .iter()
            .filter(|r| r.legacy() && r.is_failed_sign_in()),
        values.millis(WINDOW),
        Band::any,
        values.count(USERS),
        "failed basic-auth sign-ins",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Key;
    use crate::detect::records::Record;
    use crate::detect::testing::{at, fail, run};

    fn spray(users: usize, every: i64) -> Vec<Record> {
        (0..users)
            .map(|i| {
                fail(
                    at(i as i64 * every),
                    &format!("user{i}@example.com"),
                    "203.0.113.43",
                )
                .with_legacy(true)
            })
            .collect()
    }

    #[test]
    fn ten_users_in_an_hour_from_one_ip() {
        let findings = run(&DETECTION, &spray(10, 390), &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].key, Key::ip("203.0.113.43"));
        assert_eq!(findings[0].counts, [("attempts", 10), ("users", 10)]);
        assert_eq!((findings[0].start, findings[0].end), (at(0), at(3510)));
        assert_eq!(findings[0].severity, Severity::High);
    }

    #[test]
    fn nine_users_or_a_slower_pace_or_modern_auth_is_not() {
        assert_eq!(run(&DETECTION, &spray(9, 390), &[]), []);
        assert_eq!(run(&DETECTION, &spray(10, 401), &[]), []);
        let modern: Vec<Record> = spray(10, 60)
            .into_iter()
            .map(|r| r.with_legacy(false))
            .collect();
        assert_eq!(run(&DETECTION, &modern, &[]), []);
    }

    #[test]
    fn thresholds_can_be_changed() {
        assert_eq!(run(&DETECTION, &spray(9, 390), &["users=9"]).len(), 1);
        assert_eq!(run(&DETECTION, &spray(10, 401), &["window=2h"]).len(), 1);
    }
}
