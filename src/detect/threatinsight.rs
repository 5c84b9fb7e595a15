//! `threatinsight`: what Okta ThreatInsight itself flagged, per source IP, with the threat names
//! and levels it gave (`debugData.threatDetections`).

use std::collections::BTreeMap;

use crate::detect::params::Values;
use crate::detect::records::Kind;
use crate::detect::window::group_by_text;
use crate::detect::{Context, Detection, Finding, Key, Severity, plural};

pub const DETECTION: Detection = Detection {
    id: "threatinsight",
    title: "Okta ThreatInsight detection",
    severity: Severity::Medium,
    logic: "security.threat.detected events, one finding per source IP, naming the threats from \
            debugData.threatDetections (read leniently: JSON such as {\"Password Spray\":\"HIGH\"}, \
            Java-style {Password Spray=HIGH} or a plain list; else outcome.reason). The severity \
            is the highest threat level given (LOW, MEDIUM, HIGH), medium when none is.",
    params: &[],
    closest: "Sigma \"Okta Security Threat Detected\" (5c82f0b9-3c6d-477f-a318-0e14a1df73e0, by \
              Austin Songer, DRL 1.1): every security.threat.detected event, level medium. Ours \
              groups them per IP, names the threats and takes the severity from their levels.",
    credit: Some(
        "Austin Songer @austinsonger (Sigma 5c82f0b9-3c6d-477f-a318-0e14a1df73e0, DRL 1.1)",
    ),
    reads_earlier: false,
    run,
};

/// Threat names and levels from a `threatDetections` value or an `outcome.reason`.
pub fn parse_threats(text: &str) -> Vec<(String, Option<String>)> {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(text) {
        return map
            .into_iter()
            .map(|(name, level)| {
                let level = match level {
                    serde_json::Value::String(s) => Some(s),
                    serde_json::Value::Null => None,
                    other => Some(other.to_string()),
                };
                (name, level)
            })
            .collect();
    }
    let body = text.trim().trim_start_matches('{').trim_end_matches('}');
    let unquote = |s: &str| s.trim().trim_matches(['"', '\'']).trim().to_string();
    body.split(',')
        .filter_map(|part| {
            let (name, level) = match part.split_once([':', '=']) {
                Some((name, level)) => (unquote(name), Some(unquote(level))),
                None => (unquote(part), None),
            };
            (!name.is_empty()).then(|| (name, level.filter(|l| !l.is_empty())))
        })
        .collect()
}

fn severity_of(level: &str) -> Option<Severity> {
    match level.to_ascii_uppercase().as_str() {
        "LOW" => Some(Severity::Low),
        "MEDIUM" => Some(Severity::Medium),
        "HIGH" => Some(Severity::High),
        "CRITICAL" => Some(Severity::Critical),
        _ => None,
    }
}

fn run(context: &Context<'_>, _: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let threats = context.records.iter().filter(|r| r.kind() == Kind::Threat);
    group_by_text(threats, |r| Some(table.ip(r).unwrap_or("unknown")))
        .into_iter()
        .map(|(ip, events)| {
            let mut names: BTreeMap<String, Option<String>> = BTreeMap::new();
            for text in events.iter().filter_map(|r| table.text(table.threats(r))) {
                for (name, level) in parse_threats(text) {
                    let known = names.entry(name).or_default();
                    let rank = |l: &Option<String>| l.as_deref().and_then(severity_of);
                    if level.is_some() && (known.is_none() || rank(&level) > rank(known)) {
                        *known = level;
                    }
                }
            }
            let severity = names
                .values()
                .filter_map(|l| l.as_deref().and_then(severity_of))
                .max()
                .unwrap_or(DETECTION.severity);
            let listed: Vec<String> = names
                .iter()
                .map(|(name, level)| match level {
                    Some(level) => format!("{name} ({level})"),
                    None => name.clone(),
                })
                .collect();
            let finding = Finding::new(&DETECTION, Key::ip(ip), events.iter().copied(), table);
            let details = format!(
                "{} from {ip}: {}",
                plural(events.len(), "ThreatInsight event"),
                if listed.is_empty() {
                    "no threat named".to_string()
                } else {
                    listed.join(", ")
                }
            );
            finding
                .count("events", events.len())
                .count("threats", names.len())
                .severity(severity)
                .details(details)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::records::{Outcome, Record};
    use crate::detect::testing::{self, at, record, run};

    fn threat(s: i64, ip: &str, text: Option<&str>) -> Record {
        let threat = record(Kind::Threat, Outcome::Failure, at(s), "", ip);
        testing::with_detail(threat, text.and_then(testing::text))
    }

    #[test]
    fn threat_names_are_read_from_every_form() {
        let json =
            r#"{"Password Spray":"HIGH","Login failures with high unknown users count":"MEDIUM"}"#;
        assert_eq!(
            parse_threats(json),
            [
                (
                    "Login failures with high unknown users count".into(),
                    Some("MEDIUM".into())
                ),
                ("Password Spray".into(), Some("HIGH".into()))
            ]
        );
        assert_eq!(
            parse_threats("{Password Spray=HIGH, Brute Force=LOW}"),
            [
                ("Password Spray".into(), Some("HIGH".into())),
                ("Brute Force".into(), Some("LOW".into()))
            ]
        );
        assert_eq!(
            parse_threats("Password Spray, Login failures with high unknown users count"),
            [
                ("Password Spray".into(), None),
                ("Login failures with high unknown users count".into(), None)
            ]
        );
        assert_eq!(parse_threats("{\"broken\":"), [("broken".into(), None)]);
        assert_eq!(parse_threats(""), []);
        assert_eq!(parse_threats("{}"), []);
    }

    #[test]
    fn one_finding_per_ip_with_the_highest_level() {
        let records = [
            threat(0, "203.0.113.43", Some(r#"{"Password Spray":"MEDIUM"}"#)),
            threat(60, "203.0.113.43", Some(r#"{"Password Spray":"HIGH"}"#)),
            threat(90, "192.0.2.1", None),
        ];
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].key, Key::ip("192.0.2.1"));
        assert_eq!(findings[0].severity, Severity::Medium);
        assert_eq!(
            findings[0].details,
            "1 ThreatInsight event from 192.0.2.1: no threat named"
        );
        assert_eq!(findings[1].severity, Severity::High);
        assert_eq!(
            findings[1].details,
            "2 ThreatInsight events from 203.0.113.43: Password Spray (HIGH)"
        );
        assert!(
            findings[1]
                .credit
                .is_some_and(|c| c.contains("Austin Songer"))
        );
    }

    #[test]
    fn other_events_are_not() {
        let records = [record(
            Kind::SignIn,
            Outcome::Failure,
            at(0),
            "a@x.com",
            "192.0.2.1",
        )];
        assert_eq!(run(&DETECTION, &records, &[]), []);
    }
}
