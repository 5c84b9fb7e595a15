//! `authsift agents`: which client user agents used legacy (basic) authentication.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::aggregate::agents::{AgentRow, Agents};
use crate::classify::LEGACY_DEFINITION;
use crate::cli::Common;
use crate::commands::{Global, exit_code, read};
use crate::error::Error;
use crate::report::csv::{self, Cell};
use crate::report::table::{Align, Table};
use crate::report::{Format, Output};

/// Which clients used basic auth: an inventory of user agents.
///
/// The client user agents (client.userAgent.rawUserAgent) of legacy (basic-auth) events, or of
/// every event with --all, with their client family, counts and first and last sighting.
///
/// failures counts outcome.result FAILURE and DENY; users counts distinct lower-cased
/// actor.alternateId, ips distinct client.ipAddress. A missing user agent is "". Rows are sorted
/// by events (descending), then user agent.
///
/// JSON: {"rows":[{"user_agent","client","events","successes","failures","users","ips","first_seen","last_seen"}]}
#[derive(Debug, Args)]
#[command(after_long_help = LEGACY_DEFINITION)]
pub struct AgentsArgs {
    #[command(flatten)]
    pub common: Common,

    /// Inventory the user agents of every event, not only legacy ones.
    #[arg(long)]
    pub all: bool,
}

pub fn run(args: &AgentsArgs, global: Global) -> Result<ExitCode, Error> {
    let format = args.common.format()?;
    let mut output = Output::open(args.common.output.as_ref(), &args.common.paths)?;
    let run = read(&args.common, global, false, || Agents::new(args.all))?;
    let rows = run.aggregate.rows();
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Document<'a> {
                rows: &'a [AgentRow],
            }
            output.json(&Document { rows: &rows })?
        }
        Format::Ndjson => output.ndjson(&rows)?,
        Format::Csv => csv::write(
            &mut output,
            &[
                "user_agent",
                "client",
                "events",
                "successes",
                "failures",
                "users",
                "ips",
                "first_seen",
                "last_seen",
            ],
            rows.iter().map(|r| {
                vec![
                    Cell::text(&r.user_agent),
                    Cell::text(r.client),
                    Cell::number(r.events),
                    Cell::number(r.successes),
                    Cell::number(r.failures),
                    Cell::number(r.users),
                    Cell::number(r.ips),
                    Cell::text(crate::commands::time_text(r.first_seen)),
                    Cell::text(crate::commands::time_text(r.last_seen)),
                ]
            }),
        )?,
        Format::Table => output.text(&render_table(&rows))?,
    }
    output.finish()?;
    Ok(exit_code(&run.files))
}

fn render_table(rows: &[AgentRow]) -> String {
    if rows.is_empty() {
        return "no legacy (basic-auth) events\n".into();
    }
    let mut table = Table::new(&[
        ("USER AGENT", Align::Left, 60),
        ("CLIENT", Align::Left, 28),
        ("EVENTS", Align::Right, 20),
        ("SUCCESSES", Align::Right, 20),
        ("FAILURES", Align::Right, 20),
        ("USERS", Align::Right, 20),
        ("IPS", Align::Right, 20),
        ("FIRST SEEN", Align::Left, 24),
        ("LAST SEEN", Align::Left, 24),
    ]);
    for r in rows {
        table.row(vec![
            if r.user_agent.is_empty() {
                "(none)".into()
            } else {
                r.user_agent.clone()
            },
            r.client.to_string(),
            r.events.to_string(),
            r.successes.to_string(),
            r.failures.to_string(),
            r.users.to_string(),
            r.ips.to_string(),
            crate::commands::time_text(r.first_seen),
            crate::commands::time_text(r.last_seen),
        ]);
    }
    table.render()
}
