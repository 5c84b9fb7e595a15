//! `legacy-auth-success`: every successful legacy (basic-auth) sign-in, per user. Basic auth
//! carries no second factor, so each success is a password-only sign-in, whoever made it.

use crate::classify::client::family;
use crate::detect::params::Values;
use crate::detect::window::group_by;
use crate::detect::{Context, Detection, Finding, Key, Severity, plural};

/// The client family of the scripting libraries and spray tools (see `classify::client`).
const SCRIPTED: &str = "Scripted client";

pub const DETECTION: Detection = Detection {
    id: "legacy-auth-success",
    title: "Successful legacy (basic) authentication",
    severity: Severity::Low,
    logic: "Every successful sign-in through legacy (basic) authentication, one finding per user \
            with the first and last success, IPs and user agents. Basic auth cannot carry MFA, so \
            each success is a password-only sign-in. High when a user agent is a scripted client \
            (python-requests, curl, BAV2ROPC...), which no mail client sends.",
    params: &[],
    closest: "Okta's hunting guide query eventType eq \"user.authentication.auth_via_richclient\". \
              Ours keeps successes only, also recognises /sso/wsfed/active and app.rich_client.* \
              events, groups them per user and raises scripted clients to high.",
    credit: None,
    reads_earlier: false,
    run,
};

fn run(context: &Context<'_>, _: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let by_user = group_by(
        context
            .records
            .iter()
            .filter(|r| r.legacy() && r.is_successful_sign_in()),
        table,
        |r| r.user,
    );
    by_user
        .into_iter()
        .map(|(user, successes)| {
            let finding = Finding::new(
                &DETECTION,
                Key::user(user),
                successes.iter().copied(),
                table,
            );
            let scripted = finding.user_agents.iter().find(|ua| family(ua) == SCRIPTED);
            let details = format!(
                "{} through basic auth from {} with {}{}",
                plural(successes.len(), "successful sign-in"),
                plural(finding.ips.len(), "IP"),
                plural(finding.user_agents.len(), "user agent"),
                scripted.map_or(String::new(), |ua| format!("; scripted client {ua}"))
            );
            let severity = match scripted {
                Some(_) => Severity::High,
                None => DETECTION.severity,
            };
            let (ips, agents) = (finding.ips.len(), finding.user_agents.len());
            finding
                .count("successes", successes.len())
                .count("ips", ips)
                .count("user_agents", agents)
                .severity(severity)
                .details(details)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::records::Record;
    use crate::detect::testing::{at, fail, run, success, text, with_source};

    fn legacy(record: Record, user_agent: &str) -> Record {
        let record = with_source(record, |source| source.user_agent = text(user_agent));
        record.with_legacy(true)
    }

    #[test]
    fn every_basic_auth_success_is_reported_per_user() {
        let records = [
            legacy(
                success(at(0), "ann@example.com", "192.0.2.1"),
                "Outlook-iOS/2.0",
            ),
            legacy(
                success(at(3600), "ann@example.com", "192.0.2.2"),
                "Outlook-iOS/2.0",
            ),
            legacy(
                success(at(60), "bob@example.com", "203.0.113.43"),
                "python-requests/2.31.0",
            ),
        ];
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 2);
        let ann = &findings[0];
        assert_eq!(ann.key, Key::user("ann@example.com"));
        assert_eq!((ann.start, ann.end), (at(0), at(3600)));
        assert_eq!(ann.severity, Severity::Low);
        assert_eq!(ann.ips, ["192.0.2.1", "192.0.2.2"]);
        assert_eq!(
            ann.counts,
            [("successes", 2), ("ips", 2), ("user_agents", 1)]
        );
        assert_eq!(findings[1].severity, Severity::High);
        assert!(
            findings[1]
                .details
                .ends_with("scripted client python-requests/2.31.0")
        );
    }

    #[test]
    fn failures_and_modern_sign_ins_are_not() {
        let records = [
            legacy(
                fail(at(0), "ann@example.com", "192.0.2.1"),
                "Outlook-iOS/2.0",
            ),
            success(at(1), "ann@example.com", "192.0.2.1"),
        ];
        assert_eq!(run(&DETECTION, &records, &[]), []);
    }
}
