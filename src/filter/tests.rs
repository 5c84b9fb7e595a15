//! The parser table (every operator, precedence, associativity, literal and error message) and
//! evaluation against two events: a full one with two targets and a bare one.

use std::borrow::Cow;

use super::parser::{Expr, Operand};
use super::{Filter, FilterError};
use crate::event::{Actor, Client, Event, Outcome, OutcomeResult, SecurityContext, Target};
use crate::time::Timestamp;

/// The parsed expression, fully parenthesised, with paths in Okta's spelling.
fn render(expression: &Expr) -> String {
    let join = |terms: &[Expr], word: &str| {
        let parts: Vec<String> = terms.iter().map(render).collect();
        format!("({})", parts.join(word))
    };
    match expression {
        Expr::Any(terms) => join(terms, " or "),
        Expr::All(terms) => join(terms, " and "),
        Expr::Not(inner) => format!("not {}", render(inner)),
        Expr::Present(attribute) => format!("{} pr", attribute.path()),
        Expr::Compare(c) => {
            let operand = match &c.operand {
                Operand::Text(text) => format!("{text:?}"),
                Operand::Number(number) => format!("{number:?}"),
                Operand::Flag(flag) => flag.to_string(),
                Operand::Time(time) => format!("@{time}"),
            };
            format!("{} {} {operand}", c.attribute.path(), c.operator.name())
        }
    }
}

fn parsed(expression: &str) -> String {
    match Filter::parse(expression) {
        Ok(filter) => render(&filter.expression),
        Err(error) => format!("error: {error}"),
    }
}

#[test]
fn parses_every_operator_literal_and_grouping() {
    let cases = [
        // Every comparison operator, on text.
        (r#"eventType eq "a""#, r#"eventType eq "a""#),
        (r#"eventType ne "a""#, r#"eventType ne "a""#),
        (r#"eventType sw "a""#, r#"eventType sw "a""#),
        (r#"eventType co "a""#, r#"eventType co "a""#),
        (r#"eventType ew "a""#, r#"eventType ew "a""#),
        (r#"eventType gt "a""#, r#"eventType gt "a""#),
        (r#"eventType ge "a""#, r#"eventType ge "a""#),
        (r#"eventType lt "a""#, r#"eventType lt "a""#),
        (r#"eventType le "a""#, r#"eventType le "a""#),
        ("client.zone pr", "client.zone pr"),
        // Keywords, operators and paths in any case.
        (
            r#"EVENTTYPE EQ "a" AND Not Client.Zone PR Or actor.ALTERNATEID Sw "b""#,
            r#"((eventType eq "a" and not client.zone pr) or actor.alternateId sw "b")"#,
        ),
        // Precedence: not > and > or; and/or chains are flat (left to right).
        (
            r#"uuid eq "1" or uuid eq "2" and uuid eq "3" or uuid eq "4""#,
            r#"(uuid eq "1" or (uuid eq "2" and uuid eq "3") or uuid eq "4")"#,
        ),
        (
            r#"uuid eq "1" and uuid eq "2" and uuid eq "3""#,
            r#"(uuid eq "1" and uuid eq "2" and uuid eq "3")"#,
        ),
        (
            r#"not uuid eq "1" and uuid eq "2""#,
            r#"(not uuid eq "1" and uuid eq "2")"#,
        ),
        (
            r#"not (uuid eq "1" and uuid eq "2")"#,
            r#"not (uuid eq "1" and uuid eq "2")"#,
        ),
        (r#"not not uuid pr"#, "not not uuid pr"),
        // Parentheses override precedence, and may be redundant.
        (
            r#"(uuid eq "1" or uuid eq "2") and uuid eq "3""#,
            r#"((uuid eq "1" or uuid eq "2") and uuid eq "3")"#,
        ),
        (r#"((uuid pr))"#, "uuid pr"),
        // Whitespace is optional around parentheses and may be any whitespace.
        ("(uuid pr)and(severity pr)", "(uuid pr and severity pr)"),
        ("\tuuid\npr ", "uuid pr"),
        // String escapes, as in JSON.
        (r#"displayMessage eq "a\"b""#, r#"displayMessage eq "a\"b""#),
        (r#"displayMessage eq "a\\b""#, r#"displayMessage eq "a\\b""#),
        (
            r#"displayMessage eq "\n\t\r\b\f\/""#,
            r#"displayMessage eq "\n\t\r\u{8}\u{c}/""#,
        ),
        (
            r#"displayMessage eq "\u00e9\u00E9""#,
            r#"displayMessage eq "éé""#,
        ),
        (
            r#"displayMessage eq "\ud83d\ude00""#,
            r#"displayMessage eq "😀""#,
        ),
        (
            r#"displayMessage eq "naïve 東京""#,
            r#"displayMessage eq "naïve 東京""#,
        ),
        (r#"displayMessage eq """#, r#"displayMessage eq """#),
        // Booleans, numbers and times.
        (
            "securityContext.isProxy eq true",
            "securityContext.isProxy eq true",
        ),
        (
            "securityContext.isProxy ne FALSE",
            "securityContext.isProxy ne false",
        ),
        (
            "securityContext.asNumber eq 14061",
            "securityContext.asNumber eq 14061.0",
        ),
        (
            "client.geographicalContext.geolocation.lat lt -33.5",
            "client.geographicalContext.geolocation.lat lt -33.5",
        ),
        (
            "client.geographicalContext.geolocation.lon ge 0.25",
            "client.geographicalContext.geolocation.lon ge 0.25",
        ),
        (
            r#"published ge "2024-05-02T04:30:00+02:00""#,
            "published ge @2024-05-02T02:30:00.000Z",
        ),
        (
            r#"published lt "2024-05-03""#,
            "published lt @2024-05-03T00:00:00.000Z",
        ),
        // debugData takes any key; target attributes.
        (
            r#"debugContext.debugData.requestUri co "/sso/wsfed/active""#,
            r#"debugContext.debugData.requestUri co "/sso/wsfed/active""#,
        ),
        (
            r#"DEBUGCONTEXT.debugdata.threatSuspected eq "true""#,
            r#"debugContext.debugData.threatSuspected eq "true""#,
        ),
        (r#"target.id eq "0oa1""#, r#"target.id eq "0oa1""#),
    ];
    for (input, expected) in cases {
        assert_eq!(parsed(input), expected, "input {input:?}");
    }
}

#[test]
fn every_mistake_is_reported_with_its_column_and_a_caret() {
    let cases = [
        (
            r#"eventType foo "x""#,
            "expected an operator after \"eventType\" at column 11\n  eventType foo \"x\"\n            ^",
        ),
        (
            "eventType",
            "expected an operator after \"eventType\" at column 10\n  eventType\n           ^",
        ),
        (
            r#"foo.bar eq "x""#,
            "unknown attribute \"foo.bar\" at column 1\n  foo.bar eq \"x\"\n  ^",
        ),
        (
            r#"eventType eq user.session.start"#,
            "expected a \"quoted string\" after \"eventType eq\" at column 14\n  eventType eq user.session.start\n               ^",
        ),
        (
            r#"securityContext.asNumber eq "14061""#,
            "expected a number after \"securityContext.asNumber eq\" at column 29\n  securityContext.asNumber eq \"14061\"\n                              ^",
        ),
        (
            r#"securityContext.isProxy EQ "true""#,
            "expected true or false after \"securityContext.isProxy EQ\" at column 28\n  securityContext.isProxy EQ \"true\"\n                             ^",
        ),
        (
            "published gt 2024",
            "expected a \"quoted\" time after \"published gt\" at column 14\n  published gt 2024\n               ^",
        ),
        (
            r#"published gt "yesterday""#,
            "invalid time \"yesterday\" (RFC 3339 or YYYY-MM-DD) at column 14\n  published gt \"yesterday\"\n               ^",
        ),
        (
            r#"published sw "2024""#,
            "\"sw\" does not apply to \"published\", which is a time at column 11\n  published sw \"2024\"\n            ^",
        ),
        (
            "securityContext.asNumber co 1",
            "\"co\" does not apply to \"securityContext.asNumber\", which is a number at column 26\n  securityContext.asNumber co 1\n                           ^",
        ),
        (
            "securityContext.isProxy gt true",
            "\"gt\" does not apply to \"securityContext.isProxy\", which is true or false at column 25\n  securityContext.isProxy gt true\n                          ^",
        ),
        (
            r#"client.zone pr "x""#,
            "\"pr\" takes no value at column 16\n  client.zone pr \"x\"\n                 ^",
        ),
        (
            "",
            "expected an attribute, \"not\" or \"(\" at column 1\n  \n  ^",
        ),
        (
            r#"uuid pr and"#,
            "expected an attribute, \"not\" or \"(\" at column 12\n  uuid pr and\n             ^",
        ),
        (
            r#"uuid pr uuid pr"#,
            "expected \"and\" or \"or\" at column 9\n  uuid pr uuid pr\n          ^",
        ),
        (
            r#"(uuid pr uuid pr)"#,
            "expected \"and\", \"or\" or \")\" at column 10\n  (uuid pr uuid pr)\n           ^",
        ),
        (
            r#"(uuid pr or (severity pr)"#,
            "unclosed \"(\" at column 1\n  (uuid pr or (severity pr)\n  ^",
        ),
        (
            r#"uuid pr)"#,
            "unmatched \")\" at column 8\n  uuid pr)\n         ^",
        ),
        (
            r#"eventType eq "user.session"#,
            "unterminated string at column 14\n  eventType eq \"user.session\n               ^",
        ),
        (
            r#"eventType eq "ab\"#,
            "unterminated string at column 14\n  eventType eq \"ab\\\n               ^",
        ),
        (
            r#"eventType eq "a\qb""#,
            "invalid escape \"\\q\" in a string at column 16\n  eventType eq \"a\\qb\"\n                 ^",
        ),
        (
            r#"eventType eq "\u12G4""#,
            "invalid unicode escape \"\\u12G4\" at column 15\n  eventType eq \"\\u12G4\"\n                ^",
        ),
        (
            r#"eventType eq "\udc00""#,
            "invalid unicode escape \"\\udc00\" at column 15\n  eventType eq \"\\udc00\"\n                ^",
        ),
        (
            r#"eventType eq "\ud83dx""#,
            "invalid unicode escape \"\\ud83d\" at column 15\n  eventType eq \"\\ud83dx\"\n                ^",
        ),
        (
            "securityContext.asNumber eq 1e5",
            "invalid number \"1e5\" at column 29\n  securityContext.asNumber eq 1e5\n                              ^",
        ),
        (
            "securityContext.asNumber eq 1.2.3",
            "invalid number \"1.2.3\" at column 29\n  securityContext.asNumber eq 1.2.3\n                              ^",
        ),
        (
            "client.geographicalContext.geolocation.lat gt -",
            "invalid number \"-\" at column 47\n  client.geographicalContext.geolocation.lat gt -\n                                                ^",
        ),
        (
            "client.geographicalContext.geolocation.lat gt .5",
            "unexpected character '.' at column 47\n  client.geographicalContext.geolocation.lat gt .5\n                                                ^",
        ),
        (
            "eventType = \"x\"",
            "unexpected character '=' at column 11\n  eventType = \"x\"\n            ^",
        ),
        (
            "eventType eq 'x'",
            "unexpected ': strings are written in double quotes at column 14\n  eventType eq 'x'\n               ^",
        ),
        (
            "uuid pr and [uuid pr]",
            "unexpected character '[' at column 13\n  uuid pr and [uuid pr]\n              ^",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            parsed(input),
            format!("error: {expected}"),
            "input {input:?}"
        );
    }
}

#[test]
fn columns_count_characters_and_the_caret_follows_wide_ones() {
    let error = Filter::parse("displayMessage eq \"東京\" foo").err();
    assert_eq!(
        error.map(|e| (e.column, e.to_string())),
        Some((
            24,
            "expected \"and\" or \"or\" at column 24\n  displayMessage eq \"東京\" foo\n                           ^"
                .to_string()
        ))
    );
    // A pasted tab or newline is shown as a space so the caret stays under its column.
    let error = Filter::parse("uuid\tpr\nfoo").err().map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("expected \"and\" or \"or\" at column 9\n  uuid pr foo\n          ^")
    );
}

#[test]
fn nesting_is_bounded_instead_of_overflowing_the_stack() {
    // README: "Nesting is limited to 64 parentheses or `not`s": 64 of either are allowed.
    let deep_but_allowed = format!("{}uuid pr{}", "(".repeat(64), ")".repeat(64));
    assert_eq!(parsed(&deep_but_allowed), "uuid pr");
    let nots_allowed = format!("{}uuid pr", "not ".repeat(64));
    assert!(Filter::parse(&nots_allowed).is_ok());
    let mixed = format!("{}uuid pr{}", "not (".repeat(32), ")".repeat(32));
    assert!(Filter::parse(&mixed).is_ok());
    let one_more = format!("{}uuid pr{}", "(".repeat(65), ")".repeat(65));
    assert_eq!(Filter::parse(&one_more).err().map(|e| e.column), Some(65));
    let too_deep = format!("{}uuid pr{}", "(".repeat(100_000), ")".repeat(100_000));
    let error = Filter::parse(&too_deep).err();
    assert_eq!(
        error.as_ref().map(|e| (e.message.as_str(), e.column)),
        Some(("more than 64 nested parentheses or \"not\"s", 65))
    );
    let nots = format!("{}uuid pr", "not ".repeat(65));
    assert_eq!(
        Filter::parse(&nots).err().map(|e| e.column),
        Some(64 * 4 + 1)
    );
    // Long flat chains are fine: they are not nested.
    let chain = vec!["uuid pr"; 100_000].join(" and ");
    assert!(Filter::parse(&chain).is_ok());
}

/// A legacy-auth failure like the sample's spray, with two targets.
fn full_event() -> Event<'static> {
    let text = |s: &'static str| Some(Cow::Borrowed(s));
    Event {
        uuid: Cow::Borrowed("3f1c2a10-0b7e-11ef-9a01-0242ac120001"),
        published: Timestamp::parse("2024-05-01T13:00:00.123Z").unwrap_or(Timestamp(0)),
        event_type: Cow::Borrowed("user.authentication.auth_via_richclient"),
        legacy_event_type: text("app.rich_client.login_failure"),
        display_message: text("Authentication of a user via Rich Client"),
        severity: text("WARN"),
        outcome: Outcome {
            result: Some(OutcomeResult::Failure),
            reason: text("INVALID_CREDENTIALS"),
        },
        actor: Actor {
            id: text("00u1a2b3c4D5e6F7g8h9"),
            kind: text("User"),
            alternate_id: text("Jane.Doe@example.com"),
            display_name: text("Jane Doe"),
        },
        client: Client {
            ip_address: text("185.220.101.45"),
            raw_user_agent: text("python-requests/2.31.0"),
            os: text("Unknown"),
            browser: text("UNKNOWN"),
            zone: None,
            device: text("Computer"),
            city: text("Amsterdam"),
            state: text("North Holland"),
            country: text("Netherlands"),
            postal_code: text("1012"),
            lat: Some(52.374),
            lon: Some(4.8897),
        },
        security_context: SecurityContext {
            as_number: Some(208091),
            as_org: text("xtom"),
            isp: text("xTom GmbH"),
            domain: text("xtom.com"),
            is_proxy: Some(false),
        },
        request_uri: text("/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active"),
        threat_detections: None,
        debug_data: vec![(Cow::Borrowed("threatSuspected"), Cow::Borrowed("false"))],
        external_session_id: text("unknown"),
        transaction_id: text("ZjJ4aXh0eWZ1bmN0aW9u"),
        targets: vec![
            Target {
                id: text("0oa1x2y3z4AbCdEfG5h6"),
                kind: text("AppInstance"),
                alternate_id: text("Microsoft Office 365"),
                display_name: text("Microsoft Office 365"),
            },
            Target {
                id: text("00u1a2b3c4D5e6F7g8h9"),
                kind: text("User"),
                alternate_id: None,
                display_name: text("Jane Doe"),
            },
        ],
    }
}

/// Only what every event has.
fn bare_event() -> Event<'static> {
    Event::new(
        Cow::Borrowed("bare"),
        Timestamp::parse("2024-05-02T00:00:00Z").unwrap_or(Timestamp(0)),
        Cow::Borrowed("user.session.end"),
    )
}

/// (filter, matches the full event, matches the bare event)
const EVALUATIONS: &[(&str, bool, bool)] = &[
    // Okta's guide example: basic auth through WS-Trust, failed.
    (
        r#"eventType eq "user.authentication.auth_via_richclient" and outcome.result eq "FAILURE" and debugContext.debugData.requestUri co "/sso/wsfed/active""#,
        true,
        false,
    ),
    // String values are compared exactly, case included.
    (r#"outcome.result eq "FAILURE""#, true, false),
    (r#"outcome.result eq "failure""#, false, false),
    (
        r#"actor.alternateId eq "jane.doe@example.com""#,
        false,
        false,
    ),
    (
        r#"actor.alternateId eq "Jane.Doe@example.com""#,
        true,
        false,
    ),
    (r#"client.userAgent.rawUserAgent sw "python-""#, true, false),
    (
        r#"client.userAgent.rawUserAgent sw "Python-""#,
        false,
        false,
    ),
    (
        r#"debugContext.debugData.requestUri co "/SSO/""#,
        false,
        false,
    ),
    (
        r#"debugContext.debugData.requestUri ew "/active""#,
        true,
        false,
    ),
    (r#"eventType co "session""#, false, true),
    // Lexical order for text.
    (r#"client.ipAddress gt "185.220.101.44""#, true, false),
    (r#"client.ipAddress ge "185.220.101.45""#, true, false),
    (r#"client.ipAddress lt "185.220.101.45""#, false, false),
    (r#"client.ipAddress le "185.220.101.45""#, true, false),
    // A missing value: only ne and not pr are true.
    (r#"client.zone eq "OFF_NETWORK""#, false, false),
    (r#"client.zone ne "OFF_NETWORK""#, true, true),
    (r#"client.zone sw """#, false, false),
    ("client.zone pr", false, false),
    ("not client.zone pr", true, true),
    ("securityContext.asNumber lt 1000000", true, false),
    ("securityContext.asNumber ne 1", true, true),
    // Numbers compare numerically, whatever their spelling.
    ("securityContext.asNumber eq 208091", true, false),
    ("securityContext.asNumber eq 208091.0", true, false),
    ("securityContext.asNumber gt 99999", true, false),
    (
        "client.geographicalContext.geolocation.lat ge 52.374",
        true,
        false,
    ),
    (
        "client.geographicalContext.geolocation.lat gt 52.374",
        false,
        false,
    ),
    (
        "client.geographicalContext.geolocation.lon le -0.5",
        false,
        false,
    ),
    // Booleans.
    ("securityContext.isProxy eq false", true, false),
    ("securityContext.isProxy ne true", true, true),
    // Times compare as instants, whatever the offset written.
    (
        r#"published eq "2024-05-01T15:00:00.123+02:00""#,
        true,
        false,
    ),
    (r#"published lt "2024-05-02""#, true, false),
    (r#"published ge "2024-05-02""#, false, true),
    (r#"published gt "2024-05-01T13:00:00.123Z""#, false, true),
    (r#"published le "2024-05-01T13:00:00.123Z""#, true, false),
    // debugData keys ignore case; absent keys are absent.
    (
        r#"debugContext.debugData.THREATSUSPECTED eq "false""#,
        true,
        false,
    ),
    ("debugContext.debugData.risk pr", false, false),
    // Any target may match; with no targets, target.* is absent.
    (r#"target.type eq "User""#, true, false),
    (
        r#"target.type eq "AppInstance" and target.type eq "User""#,
        true,
        false,
    ),
    (r#"target.type ne "User""#, true, true),
    (r#"not target.type eq "User""#, false, true),
    ("target.alternateId pr", true, false),
    ("not target.id pr", false, true),
    // Logic.
    (r#"uuid eq "bare" or severity eq "WARN""#, true, true),
    (
        r#"not (uuid eq "bare" or severity eq "WARN")"#,
        false,
        false,
    ),
    (r#"eventType pr and not outcome.result pr"#, false, true),
];

#[test]
fn evaluates_like_okta() {
    let (full, bare) = (full_event(), bare_event());
    for (expression, on_full, on_bare) in EVALUATIONS {
        let filter = Filter::parse(expression);
        assert_eq!(
            filter
                .as_ref()
                .map(|f| (f.matches(&full), f.matches(&bare)))
                .map_err(FilterError::to_string),
            Ok((*on_full, *on_bare)),
            "filter {expression}"
        );
    }
}

#[test]
fn a_filter_names_the_parts_of_an_event_it_reads() {
    use crate::event::Parts;
    let parts = |expression: &str| Filter::parse(expression).expect("valid").parts();
    assert_eq!(
        parts(r#"eventType eq "x" and outcome.reason pr"#),
        Parts::CORE
    );
    assert_eq!(
        parts(r#"debugContext.debugData.requestUri co "/sso/wsfed/active""#),
        Parts::CORE
    );
    assert_eq!(
        parts(r#"debugContext.debugData.threatSuspected eq "true""#),
        Parts::DEBUG_DATA
    );
    assert_eq!(
        parts(
            r#"not (client.geographicalContext.country eq "France" or target.type eq "AppUser") and actor.id pr"#
        ),
        Parts::GEO.with(Parts::TARGETS).with(Parts::ACTOR)
    );
    assert_eq!(
        parts(
            r#"client.zone pr or client.userAgent.os pr or securityContext.isp pr or authenticationContext.externalSessionId pr or transaction.id pr"#
        ),
        Parts::CLIENT
            .with(Parts::USER_AGENT)
            .with(Parts::SECURITY)
            .with(Parts::SESSION)
            .with(Parts::TRANSACTION)
    );
}
