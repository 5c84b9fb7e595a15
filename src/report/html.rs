//! The case report as one self-contained HTML file: inline CSS, an inline SVG chart and one
//! small inline script that sorts tables; nothing is fetched when it is opened, and a
//! Content-Security-Policy tells the browser to refuse any fetch all the same. Without the
//! script the page reads the same, unsorted.
//!
//! Every text that reaches the page goes through [`escape`], attribute values included: user
//! agents, usernames, IPs, organisations and file names are the attacker's to choose.

use std::fmt::Write;

use crate::aggregate::coverage::Coverage;
use crate::detect::{Finding, Severity};
use crate::report::document::{COMPROMISE, Document, Headline};
use crate::report::svg::{Bar, Chart, Mark, sparkline};
use crate::time::Timestamp;

/// Forbids the page every fetch: no script, style, image, font or frame from anywhere but the
/// page itself, and no form or link that leaves it without a click.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/sort.js");

/// The whole page.
pub fn render(document: &Document) -> String {
    let mut page = String::with_capacity(64 * 1024);
    let headline = &document.headline;
    let range = match (headline.first, headline.last) {
        (Some(first), Some(last)) => format!("{} – {}", date(first), date(last)),
        _ => "no events".into(),
    };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"authsift {version}\">\n\
         <title>Okta System Log report: {range}</title>\n<style>\n{STYLE}</style>\n</head>\n\
         <body>\n<main>\n",
        csp = escape(CONTENT_SECURITY_POLICY),
        version = escape(document.case.authsift_version),
        range = escape(&range),
    );
    masthead(&mut page, document, &range);
    case_section(&mut page, document);
    headline_section(&mut page, headline, &document.findings);
    timeline_section(&mut page, document);
    agents_section(&mut page, document);
    findings_section(&mut page, document);
    sources_section(&mut page, document);
    targets_section(&mut page, document);
    coverage_section(&mut page, &document.coverage);
    let _ = write!(
        page,
        "<footer>Made by authsift {} on {} UTC, offline, from the inputs listed in section 1. \
         All times are UTC. Text from the logs is shown as written, escaped.</footer>\n\
         </main>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        escape(document.case.authsift_version),
        time(document.case.created),
    );
    page
}

fn masthead(page: &mut String, document: &Document, range: &str) {
    let headline = &document.headline;
    let inputs = document.inputs.len();
    let _ = write!(
        page,
        "<header class=\"masthead\">\n<div class=\"kicker\">authsift · Okta System Log \
         forensic report</div>\n<h1>Identity attack report</h1>\n<p class=\"lede\">{} · {} · \
         {} · all times UTC</p>\n<nav class=\"toc\"><a href=\"#case\">Case</a> <a href=\"#headline\">Headline</a> \
         <a href=\"#timeline\">Timeline</a> <a href=\"#agents\">Basic-auth clients</a> <a href=\"#findings\">Findings</a> \
         <a href=\"#sources\">Source IPs</a> <a href=\"#targets\">Targeted users</a> \
         <a href=\"#coverage\">Coverage</a></nav>\n</header>\n",
        escape(range),
        escape(&plural(headline.events, "event")),
        escape(&plural(inputs as u64, "input file")),
    );
}

fn case_section(page: &mut String, document: &Document) {
    let case = &document.case;
    page.push_str("<section id=\"case\">\n<h2>1 Case</h2>\n<dl class=\"meta\">\n");
    let mut facts = vec![
        ("Report created", format!("{} UTC", time(case.created))),
        ("authsift version", escape(case.authsift_version)),
        (
            "Command line",
            format!("<code>{}</code>", escape(&shell_words(&case.command_line))),
        ),
    ];
    if let Some(since) = case.since {
        facts.push(("Events from", format!("{} UTC (--since)", time(since))));
    }
    if let Some(until) = case.until {
        facts.push(("Events before", format!("{} UTC (--until)", time(until))));
    }
    if let Some(filter) = &case.filter {
        facts.push(("Filter", format!("<code>{}</code>", escape(filter))));
    }
    for (term, definition) in facts {
        let _ = writeln!(page, "<dt>{term}</dt><dd>{definition}</dd>");
    }
    page.push_str(
        "</dl>\n<h3>Inputs: chain of custody</h3>\n<p class=\"note\">Each file as read: the \
         shape recognised from its content, its size on disk and SHA-256 as stored (compressed, \
         for gzip), the distinct events it held, records skipped as unreadable, events already \
         read from an earlier input, and its first and last event.</p>\n",
    );
    let rows = document
        .inputs
        .iter()
        .map(|file| {
            let skipped = file.skipped_total();
            let reasons: Vec<String> = file
                .skipped
                .iter()
                .map(|(reason, n)| format!("{reason} {n}"))
                .collect();
            let shape = match (&file.shape, &file.error) {
                (Some(shape), None) => escape(shape),
                (Some(shape), Some(error)) => format!(
                    "{}<div class=\"error\">{}</div>",
                    escape(shape),
                    escape(error)
                ),
                (None, error) => format!(
                    "<span class=\"error\">not read: {}</span>",
                    escape(error.as_deref().unwrap_or_default())
                ),
            };
            vec![
                Cell::mono(&file.name),
                Cell::html(shape),
                Cell::number(file.bytes),
                Cell::number(file.events),
                Cell {
                    html: if reasons.is_empty() {
                        group(skipped)
                    } else {
                        format!(
                            "{}<div class=\"sub\">{}</div>",
                            group(skipped),
                            escape(&reasons.join(", "))
                        )
                    },
                    sort: Some(skipped.to_string()),
                },
                Cell::number(file.duplicates),
                Cell::time(file.first),
                Cell::time(file.last),
                Cell::mono(file.sha256.as_deref().unwrap_or_default()),
            ]
        })
        .collect();
    table(
        page,
        "inputs",
        &[
            Column::text("File"),
            Column::text("Shape"),
            Column::number("Bytes"),
            Column::number("Events"),
            Column::number("Skipped"),
            Column::number("Duplicates"),
            Column::text("First event"),
            Column::text("Last event"),
            Column::text("SHA-256"),
        ],
        rows,
        "no inputs",
    );
    page.push_str("</section>\n");
}

fn headline_section(page: &mut String, headline: &Headline, findings: &[Finding]) {
    page.push_str("<section id=\"headline\">\n<h2>2 Headline</h2>\n<div class=\"cards\">\n");
    let span = match (headline.first, headline.last) {
        (Some(first), Some(last)) => format!(
            "{} to {} ({})",
            minute(first),
            minute(last),
            duration(last.0 - first.0)
        ),
        _ => "no events".into(),
    };
    card(page, "Events", &group(headline.events), &span, "");
    card(
        page,
        "Failures",
        &group(headline.failures),
        &format!(
            "outcome FAILURE, plus {} (DENY)",
            plural(headline.denied, "denial")
        ),
        if headline.failures + headline.denied > 0 {
            "warn"
        } else {
            ""
        },
    );
    let legacy = &headline.legacy;
    card(
        page,
        "Basic-auth (legacy) events",
        &group(legacy.events),
        &format!(
            "{} failed or denied, {} succeeded",
            group(legacy.failures),
            group(legacy.successes)
        ),
        if legacy.events > 0 { "warn" } else { "" },
    );
    let compromised = &headline.successes_after_attacks;
    let numbers: Vec<String> = findings
        .iter()
        .enumerate()
        .filter(|(_, finding)| finding.detection == COMPROMISE)
        .map(|(i, _)| format!("F{}", i + 1))
        .collect();
    card(
        page,
        "Successes after attacks",
        &group(compromised.len() as u64),
        &match numbers.len() {
            0 => "no sign-in after a credential attack".to_string(),
            n if n > 4 => format!(
                "accounts, in {} and {} more",
                numbers[..3].join(", "),
                n - 3
            ),
            _ => format!("accounts, in {}", numbers.join(", ")),
        },
        if compromised.is_empty() { "" } else { "alert" },
    );
    let by_severity = &headline.findings_by_severity;
    let total: usize = by_severity.iter().iter().map(|(_, n)| n).sum();
    let breakdown: Vec<String> = by_severity
        .iter()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(severity, n)| format!("{n} {}", severity.as_str()))
        .collect();
    card(
        page,
        "Findings",
        &group(total as u64),
        &if breakdown.is_empty() {
            "no detection fired".to_string()
        } else {
            breakdown.join(" · ")
        },
        if by_severity.critical + by_severity.high > 0 {
            "alert"
        } else if total > 0 {
            "warn"
        } else {
            ""
        },
    );
    card(
        page,
        "Users and source IPs",
        &format!(
            "{} / {}",
            group(headline.users as u64),
            group(headline.ips as u64)
        ),
        "distinct actor.alternateId / client.ipAddress",
        "",
    );
    page.push_str("</div>\n");
    key_findings(page, findings);
    page.push_str("</section>\n");
}

/// The critical and high findings in a sentence each: what a reader must know first.
fn key_findings(page: &mut String, findings: &[Finding]) {
    let key: Vec<(usize, &Finding)> = findings
        .iter()
        .enumerate()
        .filter(|(_, finding)| finding.severity >= Severity::High)
        .collect();
    if key.is_empty() {
        return;
    }
    page.push_str("<h3>Critical and high findings</h3>\n<ul class=\"key-findings\">\n");
    let mut ordered = key;
    ordered.sort_by_key(|(i, finding)| (std::cmp::Reverse(finding.severity), *i));
    for (i, finding) in ordered {
        let _ = writeln!(
            page,
            "<li>{} <strong>F{}</strong> {} <span class=\"sub\">({} <span class=\"mono\">{}\
             </span>, from {} UTC)</span></li>",
            severity_badge(finding.severity),
            i + 1,
            escape(finding.title),
            escape(finding.key.kind),
            escape(&finding.key.value),
            minute(finding.start),
        );
    }
    page.push_str("</ul>\n");
}

fn card(page: &mut String, label: &str, value: &str, sub: &str, class: &str) {
    let _ = writeln!(
        page,
        "<div class=\"card {class}\"><div class=\"label\">{}</div><div class=\"value\">{}</div>\
         <div class=\"sub\">{}</div></div>",
        escape(label),
        escape(value),
        escape(sub)
    );
}

fn timeline_section(page: &mut String, document: &Document) {
    let timeline = &document.timeline;
    let bars: Vec<Bar> = timeline
        .rows
        .iter()
        .map(|row| Bar {
            start: row.start,
            failures: row.failures,
            denied: row.denied,
            legacy_failures: row.legacy_failures,
        })
        .collect();
    let marks = finding_marks(&document.findings);
    let chart = Chart {
        bars: &bars,
        bucket_ms: timeline.bucket_seconds * 1000,
        bucket_name: &timeline.bucket,
        marks: &marks,
    }
    .render();
    let busiest = timeline
        .rows
        .iter()
        .max_by(|a, b| {
            (a.failures + a.denied)
                .cmp(&(b.failures + b.denied))
                .then(b.start.cmp(&a.start))
        })
        .filter(|row| row.failures + row.denied > 0);
    let busiest = match busiest {
        Some(row) => format!(
            " The busiest {} starts {} UTC: {}, {}, {} through basic auth.",
            timeline.bucket,
            minute(row.start),
            plural(row.failures, "failure"),
            plural(row.denied, "denial"),
            row.legacy_failures
        ),
        None => String::new(),
    };
    let _ = write!(
        page,
        "<section id=\"timeline\">\n<h2>3 Failure timeline</h2>\n<figure class=\"chart\">\n\
         {chart}<figcaption>Failures (outcome FAILURE) and denials (DENY) per {} in UTC, from \
         the first event to the last; hatched, those through legacy (basic) authentication; shaded and numbered, the windows of \
         medium, high and critical findings (section 5).{}</figcaption>\n</figure>\n</section>\n",
        escape(&timeline.bucket),
        escape(&busiest)
    );
}

fn agents_section(page: &mut String, document: &Document) {
    page.push_str(
        "<section id=\"agents\">\n<h2>4 Basic-auth clients</h2>\n<p class=\"note\">The user \
         agents of legacy (basic) authentication events: clients that send a password with \
         every request, which multi-factor authentication does not protect. Failures count \
         FAILURE and DENY.</p>\n",
    );
    let rows = document
        .basic_auth_agents
        .iter()
        .map(|agent| {
            vec![
                if agent.user_agent.is_empty() {
                    Cell::html("<span class=\"empty\">(none)</span>".into())
                } else {
                    Cell::mono(&agent.user_agent)
                },
                Cell::text(agent.client),
                Cell::number(agent.events),
                Cell::number(agent.successes),
                Cell::number(agent.failures),
                Cell::number(agent.users as u64),
                Cell::number(agent.ips as u64),
                Cell::time(agent.first_seen),
                Cell::time(agent.last_seen),
            ]
        })
        .collect();
    table(
        page,
        "agents",
        &[
            Column::text("User agent"),
            Column::text("Client"),
            Column::number("Events"),
            Column::number("Successes"),
            Column::number("Failures"),
            Column::number("Users"),
            Column::number("IPs"),
            Column::text("First seen"),
            Column::text("Last seen"),
        ],
        rows,
        "no legacy (basic-auth) events",
    );
    page.push_str("</section>\n");
}

fn findings_section(page: &mut String, document: &Document) {
    page.push_str(
        "<section id=\"findings\">\n<h2>5 Findings</h2>\n<p class=\"note\">What the built-in \
         detections of <code>authsift hunt</code> found, by window start, the most severe \
         first. A window runs from a finding's first evidence event to its last; the evidence \
         events are listed by uuid below the table, to look up with <code>authsift search \
         --filter 'uuid eq \"…\"'</code>. Windows of medium, high and critical findings are \
         shaded on the chart.</p>\n",
    );
    let rows = document
        .findings
        .iter()
        .enumerate()
        .map(|(i, finding)| {
            let number = i + 1;
            let mut about = format!(
                "<strong>{}</strong><div>{}</div><div class=\"sub\"><span class=\"mono\">{}\
                 </span> · {} <span class=\"mono\">{}</span></div>",
                escape(finding.title),
                escape(&finding.details),
                escape(finding.detection),
                escape(finding.key.kind),
                escape(&finding.key.value),
            );
            if let Some(credit) = finding.credit {
                let _ = write!(about, "<div class=\"sub\">after {}</div>", escape(credit));
            }
            let figures: String = finding
                .counts
                .iter()
                .map(|(name, value)| {
                    format!(
                        "<div class=\"nowrap\">{} {}</div>",
                        escape(&name.replace('_', " ")),
                        group(*value)
                    )
                })
                .collect();
            vec![
                Cell {
                    html: format!("F{number}"),
                    sort: Some(number.to_string()),
                },
                Cell {
                    html: severity_badge(finding.severity),
                    sort: Some((finding.severity as u8).to_string()),
                },
                Cell::html(about),
                Cell {
                    html: format!(
                        "<span class=\"nowrap\">{}</span><br><span class=\"nowrap\">{}</span>\
                         <div class=\"sub\">{}</div>",
                        time(finding.start),
                        time(finding.end),
                        duration(finding.end.0 - finding.start.0)
                    ),
                    sort: Some(finding.start.to_string()),
                },
                Cell::html(figures),
                Cell::html(format!(
                    "{}{}",
                    list(&finding.users, "user"),
                    list(&finding.ips, "IP")
                )),
                Cell {
                    html: format!(
                        "<a href=\"#evidence-f{number}\">{}</a>",
                        escape(&plural(finding.evidence.len() as u64, "event"))
                    ),
                    sort: Some(finding.evidence.len().to_string()),
                },
            ]
        })
        .collect();
    table(
        page,
        "findings",
        &[
            Column::ranked("#"),
            Column::ranked("Severity"),
            Column::text("Finding"),
            Column::text("Window"),
            Column::text("Figures"),
            Column::text("Users and IPs"),
            Column::ranked("Evidence"),
        ],
        rows,
        "no findings",
    );
    if !document.findings.is_empty() {
        page.push_str("<h3>Evidence</h3>\n<div class=\"evidence\">\n");
        for (i, finding) in document.findings.iter().enumerate() {
            let _ = write!(
                page,
                "<div class=\"evidence-item\" id=\"evidence-f{}\"><div><strong>F{}</strong> \
                 <span class=\"mono\">{}</span> · {} <span class=\"mono\">{}</span> · {}</div>\
                 <ol class=\"uuids\">",
                i + 1,
                i + 1,
                escape(finding.detection),
                escape(finding.key.kind),
                escape(&finding.key.value),
                escape(&plural(finding.evidence.len() as u64, "event")),
            );
            for uuid in &finding.evidence {
                let _ = write!(page, "<li>{}</li>", escape(&uuid.to_string()));
            }
            page.push_str("</ol></div>\n");
        }
        page.push_str("</div>\n");
    }
    page.push_str("</section>\n");
}

/// Up to [`LIST_SHOWN`] items, one a line, then how many more: the evidence section and the
/// JSON document have them all.
fn list(items: &[String], noun: &str) -> String {
    let mut html: String = items
        .iter()
        .take(LIST_SHOWN)
        .map(|item| format!("<div class=\"mono nowrap\">{}</div>", escape(item)))
        .collect();
    if items.len() > LIST_SHOWN {
        let _ = write!(
            html,
            "<div class=\"sub\">and {} more</div>",
            escape(&plural((items.len() - LIST_SHOWN) as u64, noun))
        );
    }
    html
}

/// Items of a list shown in a table cell.
const LIST_SHOWN: usize = 3;

fn severity_badge(severity: Severity) -> String {
    format!(
        "<span class=\"sev sev-{0}\">{0}</span>",
        escape(severity.as_str())
    )
}

/// The colour of a severity, on the chart as in the badges; darker for the more severe, so
/// that greyscale prints keep the order.
fn severity_colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#7a1212",
        Severity::High => "#c92a2a",
        Severity::Medium => "#e67700",
        Severity::Low => "#f2c94c",
        Severity::Informational => "#ced4da",
    }
}

/// The windows of medium, high and critical findings, for the chart; low and informational
/// ones (such as every mail client's basic-auth sign-ins) would cover it.
fn finding_marks(findings: &[Finding]) -> Vec<Mark> {
    findings
        .iter()
        .enumerate()
        .filter(|(_, finding)| finding.severity >= Severity::Medium)
        .map(|(i, finding)| Mark {
            number: i + 1,
            title: format!(
                "F{} {}: {} ({}, {} to {} UTC)",
                i + 1,
                finding.severity.as_str(),
                finding.title,
                finding.key.value,
                minute(finding.start),
                minute(finding.end)
            ),
            start: finding.start,
            end: finding.end,
            colour: severity_colour(finding.severity),
            weight: finding.severity as u8,
        })
        .collect()
}

fn sources_section(page: &mut String, document: &Document) {
    page.push_str(
        "<section id=\"sources\">\n<h2>6 Top source IPs</h2>\n<p class=\"note\">The client \
         IPs with the most failures (FAILURE and DENY), and when they failed, on the time axis \
         of the chart, each scaled to its own peak. Users counts the distinct users they \
         failed for; successes and events count all their events. ASN, organisation and \
         country are Okta's, from the address's earliest event that has them; proxy: Okta \
         flagged at least one event as coming through a proxy.</p>\n",
    );
    let rows = document
        .top_ips
        .iter()
        .map(|ip| {
            vec![
                Cell::unbroken(&ip.ip),
                Cell::number(ip.failures),
                Cell::number(ip.legacy_failures),
                Cell::number(ip.successes),
                Cell::number(ip.events),
                Cell::number(ip.users as u64),
                Cell::text(&network(ip.asn, ip.as_org.as_deref())),
                Cell::text(ip.country.as_deref().unwrap_or_default()),
                if ip.proxy {
                    Cell::html("<span class=\"flag\">proxy</span>".into())
                } else {
                    Cell::text("")
                },
                range_cell(ip.first, ip.last),
                spark_cell(&ip.failures_per_bucket, &ip.ip, &document.timeline.bucket),
            ]
        })
        .collect();
    table(
        page,
        "top-ips",
        &[
            Column::text("IP"),
            Column::number("Failures"),
            Column::number("Basic auth"),
            Column::number("Successes"),
            Column::number("Events"),
            Column::number("Users"),
            Column::text("Network (ASN and organisation)"),
            Column::text("Country"),
            Column::text("Proxy"),
            Column::text("First and last seen"),
            Column::text("Failures over time"),
        ],
        rows,
        "no failures",
    );
    page.push_str("</section>\n");
}

fn targets_section(page: &mut String, document: &Document) {
    page.push_str(
        "<section id=\"targets\">\n<h2>7 Top targeted users</h2>\n<p class=\"note\">The users \
         (actor.alternateId, lower case) with the most failures (FAILURE and DENY), how many \
         of them through basic auth, from how many IPs, and when, as for the IPs.</p>\n",
    );
    let rows = document
        .top_users
        .iter()
        .map(|user| {
            vec![
                Cell::mono(&user.user),
                Cell::number(user.failures),
                Cell::number(user.legacy_failures),
                Cell::number(user.ips as u64),
                range_cell(user.first_failure, user.last_failure),
                spark_cell(
                    &user.failures_per_bucket,
                    &user.user,
                    &document.timeline.bucket,
                ),
            ]
        })
        .collect();
    table(
        page,
        "top-users",
        &[
            Column::text("User"),
            Column::number("Failures"),
            Column::number("Basic auth"),
            Column::number("IPs"),
            Column::text("First and last failure"),
            Column::text("Failures over time"),
        ],
        rows,
        "no failures",
    );
    page.push_str("</section>\n");
}

fn coverage_section(page: &mut String, coverage: &Coverage) {
    page.push_str("<section id=\"coverage\">\n<h2>8 Coverage</h2>\n");
    let span = match (coverage.first, coverage.last) {
        (Some(first), Some(last)) => format!(
            "The inputs cover {} to {} UTC ({}).",
            time(first),
            time(last),
            duration(last.0 - first.0)
        ),
        _ => "The inputs hold no events.".into(),
    };
    let gaps = match coverage.gaps.len() {
        0 => "No gaps between inputs.".to_string(),
        n => format!(
            "{} between inputs, when no input has events: a missing export or a quiet period.",
            plural(n as u64, "gap")
        ),
    };
    let overlaps = match coverage.overlaps.len() {
        0 => "No overlaps.".to_string(),
        n => format!(
            "{} covered by more than one input.",
            plural(n as u64, "period")
        ),
    };
    let _ = writeln!(
        page,
        "<p class=\"note\">{} {} {} {} removed (same uuid and time as an event already read, \
         counted once).</p>",
        escape(&span),
        escape(&gaps),
        escape(&overlaps),
        escape(&plural(coverage.duplicates, "duplicate event")),
    );
    let rows = coverage
        .inputs
        .iter()
        .map(|input| {
            vec![
                Cell::mono(&input.path),
                Cell::time(input.first),
                Cell::time(input.last),
                span_cell(input.first, input.last),
                Cell::number(input.events),
                Cell::number(input.duplicates),
            ]
        })
        .collect();
    table(
        page,
        "coverage-inputs",
        &[
            Column::text("Input"),
            Column::text("First event"),
            Column::text("Last event"),
            Column::number("Span"),
            Column::number("Events"),
            Column::number("Duplicates removed"),
        ],
        rows,
        "no inputs",
    );
    if !coverage.gaps.is_empty() {
        page.push_str("<h3>Gaps</h3>\n");
        let rows = coverage
            .gaps
            .iter()
            .map(|gap| {
                vec![
                    Cell::time(Some(gap.start)),
                    Cell::time(Some(gap.end)),
                    span_cell(Some(gap.start), Some(gap.end)),
                    Cell::mono(&gap.after),
                    Cell::mono(&gap.before),
                ]
            })
            .collect();
        table(
            page,
            "gaps",
            &[
                Column::text("From"),
                Column::text("To"),
                Column::number("Length"),
                Column::text("After the last event of"),
                Column::text("Before the first event of"),
            ],
            rows,
            "",
        );
    }
    if !coverage.overlaps.is_empty() {
        page.push_str("<h3>Overlaps</h3>\n");
        let rows = coverage
            .overlaps
            .iter()
            .map(|overlap| {
                vec![
                    Cell::time(Some(overlap.start)),
                    Cell::time(Some(overlap.end)),
                    span_cell(Some(overlap.start), Some(overlap.end)),
                    Cell::html(
                        overlap
                            .inputs
                            .iter()
                            .map(|path| format!("<div class=\"mono\">{}</div>", escape(path)))
                            .collect(),
                    ),
                ]
            })
            .collect();
        table(
            page,
            "overlaps",
            &[
                Column::text("From"),
                Column::text("To"),
                Column::number("Length"),
                Column::text("Inputs"),
            ],
            rows,
            "",
        );
    }
    page.push_str("</section>\n");
}

/// A table column: its heading, whether it holds numbers (right-aligned), and whether it
/// sorts by value rather than by text.
struct Column {
    title: &'static str,
    numeric: bool,
    by_value: bool,
}

impl Column {
    fn text(title: &'static str) -> Column {
        Column {
            title,
            numeric: false,
            by_value: false,
        }
    }

    fn number(title: &'static str) -> Column {
        Column {
            title,
            numeric: true,
            by_value: true,
        }
    }

    /// Left-aligned, sorted by the number each cell carries, such as a severity's rank.
    fn ranked(title: &'static str) -> Column {
        Column {
            title,
            numeric: false,
            by_value: true,
        }
    }
}

/// A table cell: its HTML, already escaped, and the value it sorts by when that is not its
/// text.
struct Cell {
    html: String,
    sort: Option<String>,
}

impl Cell {
    fn text(text: &str) -> Cell {
        Cell {
            html: escape(text),
            sort: None,
        }
    }

    fn mono(text: &str) -> Cell {
        Cell {
            html: format!("<span class=\"mono\">{}</span>", escape(text)),
            sort: None,
        }
    }

    /// HTML built by the caller, every text in it escaped.
    fn html(html: String) -> Cell {
        Cell { html, sort: None }
    }

    fn number(n: u64) -> Cell {
        Cell {
            html: group(n),
            sort: Some(n.to_string()),
        }
    }

    /// Text kept on one line, such as an IP address.
    fn unbroken(text: &str) -> Cell {
        Cell {
            html: format!("<span class=\"mono nowrap\">{}</span>", escape(text)),
            sort: None,
        }
    }

    fn time(t: Option<Timestamp>) -> Cell {
        match t {
            Some(t) => Cell {
                html: format!("<span class=\"nowrap\">{}</span>", time(t)),
                sort: Some(t.to_string()),
            },
            None => Cell::text(""),
        }
    }
}

/// Two instants, one above the other; sorted by the first.
fn range_cell(first: Option<Timestamp>, last: Option<Timestamp>) -> Cell {
    match first.zip(last) {
        Some((first, last)) => Cell {
            html: format!(
                "<span class=\"nowrap\">{}</span><br><span class=\"nowrap\">{}</span>",
                time(first),
                time(last)
            ),
            sort: Some(first.to_string()),
        },
        None => Cell::text(""),
    }
}

/// A sparkline of a row's failures per bucket, on the chart's time axis.
fn spark_cell(failures: &[u64], who: &str, bucket: &str) -> Cell {
    let peak = failures.iter().copied().max().unwrap_or(0);
    Cell::html(sparkline(
        failures,
        &format!("failures and denials of {who} per {bucket}, as on the chart; at most {peak}"),
    ))
}

fn span_cell(first: Option<Timestamp>, last: Option<Timestamp>) -> Cell {
    match first.zip(last) {
        Some((first, last)) => Cell {
            html: duration(last.0 - first.0),
            sort: Some((last.0 - first.0).to_string()),
        },
        None => Cell::text(""),
    }
}

/// A sortable table, or `empty` in its place when there are no rows.
fn table(page: &mut String, id: &str, columns: &[Column], rows: Vec<Vec<Cell>>, empty: &str) {
    if rows.is_empty() {
        let _ = writeln!(
            page,
            "<p class=\"empty\" id=\"{}\">{}</p>",
            escape(id),
            escape(empty)
        );
        return;
    }
    let _ = write!(
        page,
        "<div class=\"table-wrap\"><table class=\"sortable\" id=\"{}\">\n<thead><tr>",
        escape(id)
    );
    for column in columns {
        let class = match (column.numeric, column.by_value) {
            (true, _) => " class=\"num\" data-type=\"number\"",
            (false, true) => " data-type=\"number\"",
            (false, false) => "",
        };
        let _ = write!(page, "<th{class}>{}</th>", escape(column.title));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        page.push_str("<tr>");
        for (cell, column) in row.iter().zip(columns) {
            let class = if column.numeric { " class=\"num\"" } else { "" };
            let sort = match &cell.sort {
                Some(value) => format!(" data-sort=\"{}\"", escape(value)),
                None => String::new(),
            };
            let _ = write!(page, "<td{class}{sort}>{}</td>", cell.html);
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table></div>\n");
}

/// `AS14061 digitalocean, llc`.
fn network(asn: Option<u64>, org: Option<&str>) -> String {
    match (asn, org) {
        (Some(asn), Some(org)) => format!("AS{asn} {org}"),
        (Some(asn), None) => format!("AS{asn}"),
        (None, org) => org.unwrap_or_default().to_string(),
    }
}

/// `2024-05-01 13:00:00.123`: the UTC instant, as in the other outputs, made easier to read.
fn time(t: Timestamp) -> String {
    let text = t.to_string();
    format!("{} {}", &text[..10], &text[11..23])
}

/// `2024-05-01 13:00`.
fn minute(t: Timestamp) -> String {
    let text = t.to_string();
    format!("{} {}", &text[..10], &text[11..16])
}

/// `2024-05-01`.
fn date(t: Timestamp) -> String {
    t.to_string()[..10].to_string()
}

/// A length of time in words: `4d 23h`, `2h 5m`, `37m 11s`, `12s`, `250 ms`.
fn duration(ms: i64) -> String {
    let seconds = ms / 1000;
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (days, hours, minutes) {
        _ if ms < 1000 => format!("{ms} ms"),
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m {secs}s"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// `1,531,426`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `1 event`, `520 events`.
fn plural(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", group(n), if n == 1 { "" } else { "s" })
}

/// Arguments joined as a POSIX shell would need them typed: quoted when they hold anything
/// but plain characters.
fn shell_words(arguments: &[String]) -> String {
    arguments
        .iter()
        .map(|argument| {
            let plain = !argument.is_empty()
                && argument
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c));
            if plain {
                argument.clone()
            } else {
                format!("'{}'", argument.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes text for HTML and SVG, in element content and in quoted attribute values alike.
///
/// Besides the five markup characters, control characters and the Unicode bidirectional
/// overrides are shown as `\u{..}`: a user agent must not reorder or hide the text around it.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// The explicit embeddings, overrides and isolates of Unicode's bidirectional algorithm, and
/// the marks that steer it.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_controls_and_bidi_overrides() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\u{a}");
        assert_eq!(escape("user\u{202e}gpj.exe"), "user\\u{202e}gpj.exe");
        assert_eq!(escape("Zoë 日本"), "Zoë 日本");
    }

    #[test]
    fn figures_lengths_and_command_lines_read_well() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_531_426), "1,531,426");
        assert_eq!(duration(250), "250 ms");
        assert_eq!(duration(12_000), "12s");
        assert_eq!(duration(2_231_000), "37m 11s");
        assert_eq!(duration(7_500_000), "2h 5m");
        assert_eq!(duration(428_550_000), "4d 23h");
        let words =
            |args: &[&str]| shell_words(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
        assert_eq!(
            words(&[
                "authsift",
                "report",
                "--filter",
                "eventType eq \"x\"",
                "a b.json",
                "it's",
                ""
            ]),
            "authsift report --filter 'eventType eq \"x\"' 'a b.json' 'it'\\''s' ''"
        );
    }
}
