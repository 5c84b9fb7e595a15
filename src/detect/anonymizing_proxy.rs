//! `anonymizing-proxy`: sign-ins through an address Okta knows as an anonymizing proxy (Tor,
//! open proxies, anonymising VPNs). Employees rarely need one; attackers nearly always use one.

use crate::detect::params::Values;
use crate::detect::records::Outcome;
use crate::detect::window::group_by_text;
use crate::detect::{Context, Detection, Finding, Key, Severity, plural};

pub const DETECTION: Detection = Detection {
    id: "anonymizing-proxy",
    title: "Sign-in through an anonymizing proxy",
    severity: Severity::Medium,
    logic: "Sign-ins (user.session.start, user.authentication.*, any outcome) with \
            securityContext.isProxy true, one finding per IP; high when one of them succeeded. \
            (The Admin Console CSV export has no securityContext, so it shows none.)",
    params: &[],
    closest: "Sigma \"Okta User Session Start Via An Anonymising Proxy Service\" \
              (bde30855-5c53-4c18-ae90-1ff79ebc9578, by kelnage, DRL 1.1): every \
              user.session.start with isProxy true, level high. Ours also covers basic-auth and \
              other credential checks, groups per IP, and keeps high for successes.",
    credit: Some("kelnage (Sigma bde30855-5c53-4c18-ae90-1ff79ebc9578, DRL 1.1)"),
    reads_earlier: false,
    run,
};

fn run(context: &Context<'_>, _: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let proxied = context
        .records
        .iter()
        .filter(|r| r.is_failed_sign_in() || r.is_successful_sign_in())
        .filter(|r| table.source_of(r).proxy);
    group_by_text(proxied, |r| Some(table.ip(r).unwrap_or("unknown")))
        .into_iter()
        .map(|(ip, sign_ins)| {
            let successes = sign_ins
                .iter()
                .filter(|r| r.outcome() == Outcome::Success)
                .count();
            let failures = sign_ins.len() - successes;
            let finding = Finding::new(&DETECTION, Key::ip(ip), sign_ins.iter().copied(), table);
            let users = finding.users.len();
            let details = format!(
                "{} through proxy {ip} ({successes} succeeded, {failures} failed) for {}",
                plural(sign_ins.len(), "sign-in"),
                plural(users, "user")
            );
            finding
                .count("sign_ins", sign_ins.len())
                .count("successes", successes)
                .count("failures", failures)
                .count("users", users)
                .severity(if successes > 0 {
                    Severity::High
                } else {
                    DETECTION.severity
                })
                .details(details)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::records::{Kind, Record};
    use crate::detect::testing::{at, fail, record, run, success, with_source};

    fn proxied(record: Record) -> Record {
        with_source(record, |source| source.proxy = true)
    }

    #[test]
    fn sign_ins_through_a_proxy_per_ip() {
        let records = [
            proxied(fail(at(0), "a@x.com", "203.0.113.213")),
            proxied(fail(at(60), "a@x.com", "203.0.113.213")),
            proxied(success(at(90), "b@x.com", "198.51.100.1")),
        ];
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].key, Key::ip("198.51.100.1"));
        assert_eq!(findings[0].severity, Severity::High);
        assert_eq!(findings[1].severity, Severity::Medium);
        assert_eq!(
            findings[1].counts,
            [
                ("sign_ins", 2),
                ("successes", 0),
                ("failures", 2),
                ("users", 1)
            ]
        );
        assert!(findings[1].credit.is_some_and(|c| c.contains("kelnage")));
    }

    #[test]
    fn no_proxy_or_no_sign_in_is_not() {
        let records = [
            fail(at(0), "a@x.com", "203.0.113.213"),
            proxied(record(
                Kind::PushSent,
                Outcome::Success,
                at(1),
                "a@x.com",
                "203.0.113.9",
            )),
            proxied(record(
                Kind::Threat,
                Outcome::Failure,
                at(2),
                "",
                "203.0.113.9",
            )),
        ];
        assert_eq!(run(&DETECTION, &records, &[]), []);
    }
}
