//! The case report as data: every section of `authsift report`, built once from the run and
//! then either serialised (`--format json`, a public contract) or rendered as HTML, so that the
//! two always say the same.

use serde::Serialize;

use crate::aggregate::agents::AgentRow;
use crate::aggregate::case::{Case, FINEST_BUCKET_MS};
use crate::aggregate::coverage::Coverage;
use crate::aggregate::series::FailureSeries;
use crate::aggregate::summary::Legacy;
use crate::aggregate::timeline::TimelineRow;
use crate::detect::params::Settings;
use crate::detect::{Finding, Severity, hunt};
use crate::pipeline::FileReport;
use crate::time::Timestamp;

/// The version of the JSON document's layout: raised when a field is renamed or removed.
pub const LAYOUT_VERSION: u32 = 1;

/// The bucket widths the report's chart chooses from, narrowest first.
const BUCKETS: [(i64, &str); 5] = [
    (60_000, "minute"),
    (300_000, "5 minutes"),
    (900_000, "15 minutes"),
    (3_600_000, "hour"),
    (86_400_000, "day"),
];
/// Most bars the chart is drawn with: past 300 days, buckets are as many days as it takes.
const MOST_BARS: i64 = 300;

#[derive(Debug, Serialize)]
pub struct Document {
    pub case: CaseHeader,
    /// The chain of custody: what was read from each input.
    pub inputs: Vec<FileReport>,
    pub headline: Headline,
    pub timeline: TimelineSection,
    /// User agents of legacy (basic-auth) events, as `authsift agents` lists them.
    pub basic_auth_agents: Vec<AgentRow>,
    /// The findings of `authsift hunt`, in its order: by window start, then severity.
    pub findings: Vec<Finding>,
    pub top_ips: Vec<SourceRow>,
    pub top_users: Vec<TargetRow>,
    pub coverage: Coverage,
}

/// When, by what and how the report was made.
#[derive(Debug, Serialize)]
pub struct CaseHeader {
    pub layout_version: u32,
    pub created: Timestamp,
    pub authsift_version: &'static str,
    /// The arguments as given, `authsift` first.
    pub command_line: Vec<String>,
    /// The options that narrowed the events: `--since`, `--until`, `--filter`.
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub filter: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Headline {
    pub events: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// `outcome.result` FAILURE.
    pub failures: u64,
    /// `outcome.result` DENY.
    pub denied: u64,
    pub legacy: Legacy,
    pub users: usize,
    pub ips: usize,
    /// The users a `success-after-failures` finding names: likely compromised.
    pub successes_after_attacks: Vec<String>,
    pub findings_by_severity: BySeverity,
}

/// Findings per severity, most severe first.
#[derive(Debug, Default, Serialize)]
pub struct BySeverity {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub informational: usize,
}

impl BySeverity {
    fn of(findings: &[Finding]) -> BySeverity {
        let mut counts = BySeverity::default();
        for finding in findings {
            *match finding.severity {
                Severity::Critical => &mut counts.critical,
                Severity::High => &mut counts.high,
                Severity::Medium => &mut counts.medium,
                Severity::Low => &mut counts.low,
                Severity::Informational => &mut counts.informational,
            } += 1;
        }
        counts
    }

    /// `(severity, findings)`, most severe first.
    pub fn iter(&self) -> [(Severity, usize); 5] {
        [
            (Severity::Critical, self.critical),
            (Severity::High, self.high),
            (Severity::Medium, self.medium),
            (Severity::Low, self.low),
            (Severity::Informational, self.informational),
        ]
    }
}

/// The detection whose findings are the likely compromises the headline counts.
pub const COMPROMISE: &str = "success-after-failures";

#[derive(Debug, Serialize)]
pub struct TimelineSection {
    /// The bucket width, chosen for the time range: at most 300 bars (`minute`, `5 minutes`,
    /// `15 minutes`, `hour`, `day`, or `N days` past 300 days).
    pub bucket: String,
    pub bucket_seconds: i64,
    /// Every bucket from the first event's to the last event's, zeros included.
    pub rows: Vec<TimelineRow>,
}

#[derive(Debug, Serialize)]
pub struct SourceRow {
    pub ip: String,
    /// FAILURE and DENY.
    pub failures: u64,
    pub legacy_failures: u64,
    pub successes: u64,
    pub events: u64,
    /// Distinct users among the failures.
    pub users: usize,
    pub asn: Option<u64>,
    pub as_org: Option<String>,
    pub country: Option<String>,
    pub proxy: bool,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Failures per bucket of `timeline`, bucket by bucket.
    pub failures_per_bucket: Vec<u64>,
}

#[derive(Debug, Serialize)]
pub struct TargetRow {
    pub user: String,
    /// FAILURE and DENY.
    pub failures: u64,
    pub legacy_failures: u64,
    /// Distinct client IPs among the failures.
    pub ips: usize,
    pub first_failure: Option<Timestamp>,
    pub last_failure: Option<Timestamp>,
    /// Failures per bucket of `timeline`, bucket by bucket.
    pub failures_per_bucket: Vec<u64>,
}

impl Document {
    /// The report of a run: `top` rows in the IP and user tables, findings by the detections
    /// with `settings`. Typed passwords stay masked: a report is handed on.
    ///
    /// The tables, charts and timeline are taken from their aggregates first, and those
    /// dropped, so that their memory serves the detections.
    pub fn new(
        case: Case,
        files: Vec<FileReport>,
        header: CaseHeader,
        top: usize,
        settings: &Settings,
    ) -> Document {
        let Case {
            summary,
            timeline,
            ip_series,
            user_series,
            agents,
            sources,
            targets,
            hunt: records,
        } = case;
        let bucket = summary
            .range
            .map(|(first, last)| (bucket_for(first, last), (first, last)));
        let top_ips = sources.top(top);
        let top_users = targets.top(top);
        let (timeline, ip_series, user_series) = match bucket {
            Some(((width, name), span)) => {
                let series =
                    |series: FailureSeries, keys: Vec<&str>| series.series(&keys, width, span);
                (
                    TimelineSection {
                        bucket: name,
                        bucket_seconds: width / 1000,
                        rows: timeline.regroup(width).rows_spanning(span),
                    },
                    series(ip_series, top_ips.iter().map(|r| r.0.as_str()).collect()),
                    series(
                        user_series,
                        top_users.iter().map(|r| r.0.as_str()).collect(),
                    ),
                )
            }
            None => (
                TimelineSection {
                    bucket: BUCKETS[0].1.to_string(),
                    bucket_seconds: FINEST_BUCKET_MS / 1000,
                    rows: Vec::new(),
                },
                Vec::new(),
                Vec::new(),
            ),
        };
        let top_ips: Vec<SourceRow> = top_ips
            .into_iter()
            .zip(ip_series)
            .map(|((ip, counts), failures_per_bucket)| SourceRow {
                ip,
                failures: counts.failures,
                legacy_failures: counts.legacy_failures,
                successes: counts.successes,
                events: counts.events,
                users: counts.users.len(),
                asn: counts.as_number.value().copied(),
                as_org: counts.as_org.value().map(|name| name.to_string()),
                country: counts.country.value().map(|name| name.to_string()),
                proxy: counts.proxy,
                first: counts.range.map(|r| r.0),
                last: counts.range.map(|r| r.1),
                failures_per_bucket,
            })
            .collect();
        let top_users: Vec<TargetRow> = top_users
            .into_iter()
            .zip(user_series)
            .map(|((user, counts), failures_per_bucket)| TargetRow {
                user,
                failures: counts.failures,
                legacy_failures: counts.legacy_failures,
                ips: counts.ips.len(),
                first_failure: counts.failure_range.map(|r| r.0),
                last_failure: counts.failure_range.map(|r| r.1),
                failures_per_bucket,
            })
            .collect();
        let basic_auth_agents = agents.rows();
        let findings = hunt(&records.into_records(), settings, false);
        let mut compromised: Vec<String> = findings
            .iter()
            .filter(|f| f.detection == COMPROMISE)
            .flat_map(|f| f.users.iter().cloned())
            .collect();
        compromised.sort();
        compromised.dedup();
        let outcome = |name: &str| summary.outcomes.get(name).copied().unwrap_or(0);
        let headline = Headline {
            events: summary.events,
            first: summary.range.map(|r| r.0),
            last: summary.range.map(|r| r.1),
            failures: outcome("FAILURE"),
            denied: outcome("DENY"),
            legacy: summary.legacy(),
            users: summary.users.len(),
            ips: summary.ips.len(),
            successes_after_attacks: compromised,
            findings_by_severity: BySeverity::of(&findings),
        };
        Document {
            case: header,
            coverage: Coverage::of(&files),
            inputs: files,
            headline,
            timeline,
            basic_auth_agents,
            findings,
            top_ips,
            top_users,
        }
    }
}

/// The narrowest bucket that draws the range from `first` to `last` in at most
/// [`MOST_BARS`] bars; past 300 days, whole days enough to stay within it, so that a forged
/// event dated in year 1 cannot make the report millions of bars long.
fn bucket_for(first: Timestamp, last: Timestamp) -> (i64, String) {
    let fits = |width: i64| last.floor(width).0 - first.floor(width).0 < MOST_BARS * width;
    if let Some((width, name)) = BUCKETS.into_iter().find(|(width, _)| fits(*width)) {
        return (width, name.to_string());
    }
    let (day, _) = BUCKETS[BUCKETS.len() - 1];
    let mut days = (last.0 - first.0) / day / MOST_BARS + 1;
    while !fits(days * day) {
        days += 1;
    }
    (days * day, format!("{days} days"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_give_at_most_300_bars() {
        let at = |text: &str| Timestamp::parse(text).unwrap_or(Timestamp(0));
        let bucket = |from: &str, to: &str| bucket_for(at(from), at(to)).1;
        let bars = |from: &str, to: &str| {
            let (width, _) = bucket_for(at(from), at(to));
            (at(to).floor(width).0 - at(from).floor(width).0) / width + 1
        };
        assert_eq!(
            bucket("2024-05-01T00:00:00Z", "2024-05-01T04:59:59Z"),
            "minute"
        );
        assert_eq!(
            bucket("2024-05-01T00:00:00Z", "2024-05-01T05:00:00Z"),
            "5 minutes"
        );
        assert_eq!(
            bucket("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"),
            "5 minutes"
        );
        assert_eq!(
            bucket("2024-05-01T00:00:00Z", "2024-05-03T00:00:00Z"),
            "15 minutes"
        );
        assert_eq!(
            bucket("2024-05-01T00:14:54Z", "2024-05-04T23:17:24Z"),
            "hour"
        );
        assert_eq!(
            bucket("2024-05-01T00:00:00Z", "2024-07-01T00:00:00Z"),
            "day"
        );
        assert_eq!(
            bucket("2020-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
            "5 days"
        );
        for (from, to) in [
            ("2024-05-01T00:00:00Z", "2025-02-25T00:00:00Z"),
            ("2020-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
            ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
        ] {
            assert!(bars(from, to) <= 300, "{from} {to}: {}", bars(from, to));
        }
    }
}
