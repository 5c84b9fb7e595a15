//! `authsift hunt`: every built-in detection in one pass, and the findings.

use std::fmt::Display;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::cli::Common;
use crate::commands::{Global, exit_code, read};
use crate::detect::params::{Settings, format_value};
use crate::detect::records::Hunt;
use crate::detect::{CATALOGUE, Detection, Finding, Severity, hunt, span};
use crate::error::Error;
use crate::report::csv::{self, Cell};
use crate::report::table::{fit, printable};
use crate::report::{Format, Output};

/// Hunt for attacks: run every built-in detection and list the findings.
///
/// Detections: legacy-auth-success, legacy-password-spray, password-spray, distributed-spray,
/// credential-stuffing, brute-force, success-after-failures, account-lockouts,
/// mfa-push-fatigue, threatinsight, password-in-username, anonymizing-proxy, many-countries.
/// --list shows what each looks for and its thresholds; --set changes a threshold.
///
/// Findings are sorted by window start, then severity (most severe first), detection and key.
/// Windows slide over event time and include both ends: "within 30m" holds events exactly 30
/// minutes apart. Exit code 0 when the run completes, findings or not.
///
/// JSON: {"findings":[{"detection","title","severity","start","end","key":{"kind","value"},
/// "counts":{name:N},"users","ips","user_agents","countries","asns","evidence","details","credit"}]}
#[derive(Debug, Args)]
#[command(mut_arg("paths", |paths| paths.required(false).required_unless_present("list")))]
pub struct HuntArgs {
    #[command(flatten)]
    pub common: Common,

    /// Only findings of this severity or worse.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Severity::Informational)]
    pub min_severity: Severity,

    /// Only findings of this detection (repeatable).
    #[arg(long = "detection", value_name = "ID")]
    pub detections: Vec<String>,

    /// Print the catalogue of detections, their logic and thresholds, and exit.
    #[arg(long)]
    pub list: bool,

    /// Change a threshold, such as brute-force.failures=20 or password-spray.window=2h
    /// (repeatable; --list shows them all).
    #[arg(long = "set", value_name = "ID.PARAM=VALUE")]
    pub set: Vec<String>,

    /// Show passwords typed as usernames in full instead of first and last character.
    #[arg(long)]
    pub show_secrets: bool,
}

pub fn run(args: &HuntArgs, global: Global) -> Result<ExitCode, Error> {
    let settings = Settings::from_assignments(&args.set).map_err(Error::Usage)?;
    if let Some(unknown) = args
        .detections
        .iter()
        .find(|id| !CATALOGUE.iter().any(|d| d.id == id.as_str()))
    {
        return Err(Error::Usage(format!(
            "--detection {unknown}: no such detection (authsift hunt --list shows them)"
        )));
    }
    let format = args.common.format()?;
    let mut output = Output::open(args.common.output.as_ref(), &args.common.paths)?;
    if args.list {
        let listed: Vec<&Detection> = CATALOGUE
            .iter()
            .filter(|d| args.detections.is_empty() || args.detections.iter().any(|id| id == d.id))
            .collect();
        write_catalogue(&mut output, format, &listed, &settings)?;
        output.finish()?;
        return Ok(ExitCode::SUCCESS);
    }
    let run = read(&args.common, global, false, Hunt::default)?;
    let records = run.aggregate.into_records();
    let findings: Vec<Finding> = hunt(&records, &settings, args.show_secrets)
        .into_iter()
        .filter(|f| f.severity >= args.min_severity)
        .filter(|f| {
            args.detections.is_empty() || args.detections.iter().any(|id| id == f.detection)
        })
        .collect();
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Document<'a> {
                findings: &'a [Finding],
            }
            output.json(&Document {
                findings: &findings,
            })?
        }
        Format::Ndjson => output.ndjson(&findings)?,
        Format::Csv => write_csv(&mut output, &findings)?,
        Format::Table => output.text(&render(&findings))?,
    }
    output.finish()?;
    Ok(exit_code(&run.files))
}

fn counts_text(finding: &Finding) -> String {
    finding
        .counts
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_csv(output: &mut Output, findings: &[Finding]) -> Result<(), Error> {
    csv::write(
        output,
        &[
            "detection",
            "title",
            "severity",
            "start",
            "end",
            "key_kind",
            "key",
            "counts",
            "users",
            "ips",
            "user_agents",
            "countries",
            "asns",
            "evidence",
            "details",
            "credit",
        ],
        findings.iter().map(|f| {
            vec![
                Cell::text(f.detection),
                Cell::text(f.title),
                Cell::text(f.severity.as_str()),
                Cell::text(f.start.to_string()),
                Cell::text(f.end.to_string()),
                Cell::text(f.key.kind),
                Cell::text(&f.key.value),
                Cell::text(counts_text(f)),
                Cell::text(f.users.join("; ")),
                Cell::text(f.ips.join("; ")),
                Cell::text(f.user_agents.join("; ")),
                Cell::text(f.countries.join("; ")),
                Cell::text(f.asns.join("; ")),
                Cell::text(
                    f.evidence
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                Cell::text(&f.details),
                Cell::text(f.credit.unwrap_or_default()),
            ]
        }),
    )
}

/// How many list items and evidence uuids a finding shows in the table.
const LIST_ITEMS: usize = 5;
const EVIDENCE_ITEMS: usize = 3;

/// The first `shown` items joined by `separator`, then `+N more`.
fn some_of(items: &[impl Display], shown: usize, separator: &str, width: usize) -> String {
    let mut text = items
        .iter()
        .take(shown)
        .map(|item| fit(&printable(&item.to_string()), width))
        .collect::<Vec<_>>()
        .join(separator);
    if items.len() > shown {
        text.push_str(&format!(" +{} more", items.len() - shown));
    }
    text
}

/// Findings for a terminal: a header line per finding, then its figures, one per line.
/// Attacker-controlled text is escaped and cut.
fn render(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no findings\n".into();
    }
    let mut by_severity: Vec<String> = Vec::new();
    for severity in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ] {
        let n = findings.iter().filter(|f| f.severity == severity).count();
        if n > 0 {
            by_severity.push(format!("{n} {}", severity.as_str()));
        }
    }
    let mut out = format!(
        "{} finding{}: {}\n",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        by_severity.join(", ")
    );
    for f in findings {
        out.push_str(&format!(
            "\n{}  {:<8}  {}  {} {}\n  {}: {}\n",
            f.start,
            f.severity.as_str(),
            f.detection,
            f.key.kind,
            fit(&printable(&f.key.value), 80),
            f.title,
            printable(&f.details)
        ));
        let mut line = |label: &str, value: String| {
            if !value.is_empty() {
                out.push_str(&format!("  {label:<9}  {value}\n"));
            }
        };
        line(
            "window",
            format!("{} .. {} ({})", f.start, f.end, span(f.start, f.end)),
        );
        line("counts", counts_text(f));
        line("users", some_of(&f.users, LIST_ITEMS, ", ", 60));
        line("ips", some_of(&f.ips, LIST_ITEMS, ", ", 45));
        line("agents", some_of(&f.user_agents, 2, " | ", 60));
        line("countries", some_of(&f.countries, LIST_ITEMS, ", ", 40));
        line("asns", some_of(&f.asns, 3, "; ", 40));
        line("evidence", some_of(&f.evidence, EVIDENCE_ITEMS, " ", 40));
        line("credit", f.credit.unwrap_or_default().to_string());
    }
    out
}

#[derive(Serialize)]
struct ListedParam {
    name: &'static str,
    value: String,
    default: String,
    doc: &'static str,
}

#[derive(Serialize)]
struct Listed {
    id: &'static str,
    title: &'static str,
    severity: Severity,
    logic: String,
    params: Vec<ListedParam>,
    closest: &'static str,
    credit: Option<&'static str>,
}

fn write_catalogue(
    output: &mut Output,
    format: Format,
    detections: &[&Detection],
    settings: &Settings,
) -> Result<(), Error> {
    let listed: Vec<Listed> = detections
        .iter()
        .map(|d| {
            let values = settings.of(d.id);
            Listed {
                id: d.id,
                title: d.title,
                severity: d.severity,
                logic: d.explain(&values),
                params: values
                    .iter()
                    .map(|(p, value)| ListedParam {
                        name: p.name,
                        value: format_value(p.unit, value),
                        default: format_value(p.unit, p.default),
                        doc: p.doc,
                    })
                    .collect(),
                closest: d.closest,
                credit: d.credit,
            }
        })
        .collect();
    let params_text = |d: &Listed| {
        d.params
            .iter()
            .map(|p| format!("{}={}", p.name, p.value))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Catalogue<'a> {
                detections: &'a [Listed],
            }
            output.json(&Catalogue {
                detections: &listed,
            })
        }
        Format::Ndjson => output.ndjson(&listed),
        Format::Csv => csv::write(
            output,
            &[
                "id", "title", "severity", "params", "logic", "closest", "credit",
            ],
            listed.iter().map(|d| {
                vec![
                    Cell::text(d.id),
                    Cell::text(d.title),
                    Cell::text(d.severity.as_str()),
                    Cell::text(params_text(d)),
                    Cell::text(&d.logic),
                    Cell::text(d.closest),
                    Cell::text(d.credit.unwrap_or_default()),
                ]
            }),
        ),
        Format::Table => {
            let mut out = String::new();
            for d in &listed {
                out.push_str(&format!("{}  {}  {}\n", d.id, d.severity.as_str(), d.title));
                out.push_str(&wrap("logic", &d.logic));
                for p in &d.params {
                    let changed = if p.value == p.default {
                        String::new()
                    } else {
                        format!(" (default {})", p.default)
                    };
                    out.push_str(&wrap(
                        "param",
                        &format!("{} = {}{changed}: {}", p.name, p.value, p.doc),
                    ));
                }
                out.push_str(&wrap("closest", d.closest));
                if let Some(credit) = d.credit {
                    out.push_str(&wrap("credit", credit));
                }
                out.push('\n');
            }
            output.text(&out)
        }
    }
}

/// Text wrapped at 100 columns under a label: `  label    text...`.
fn wrap(label: &str, text: &str) -> String {
    const WIDTH: usize = 100;
    const INDENT: usize = 11;
    let mut out = String::new();
    let mut line = format!("  {label:<8} ");
    for word in text.split_whitespace() {
        if line.len() > INDENT && line.len() + 1 + word.len() > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(INDENT);
        }
        if line.len() > INDENT {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_under_a_label() {
        let text = "word ".repeat(30);
        let wrapped = wrap("logic", &text);
        assert!(wrapped.starts_with("  logic    word word"));
        assert!(wrapped.lines().all(|l| l.len() <= 100));
        assert!(
            wrapped
                .lines()
                .skip(1)
                .all(|l| l.starts_with("           word"))
        );
    }

    #[test]
    fn lists_are_cut_with_a_count_of_the_rest() {
        let items: Vec<String> = (0..7).map(|i| format!("u{i}")).collect();
        assert_eq!(some_of(&items, 5, ", ", 40), "u0, u1, u2, u3, u4 +2 more");
        assert_eq!(some_of(&items[..2], 5, ", ", 40), "u0, u1");
        assert_eq!(some_of(&["a\u{1b}[31m"], 5, ", ", 40), "a\\u{1b}[31m");
    }
}
