//! `password-in-username`: a failed sign-in whose username is really a password, typed in the
//! wrong box. Okta logs it in clear as `actor.alternateId`, so the password now sits in every
//! copy of the log; the owner must change it.
//!
//! # The heuristic
//!
//! A username here is what the user typed; Okta usernames are e-mail addresses unless the
//! organisation allows short names. A typed username looks like a password when all of these hold:
//!
//! 1. 8 to 64 characters (Okta's default password policy asks for 8), no whitespace, no control
//!    characters — display names (`Jane Doe`) and pasted junk are not passwords;
//! 2. not an address: `local@domain.tld`, or `local@domain` whose domain has letters, dots and
//!    hyphens only (a mistyped address such as `John.Smith@Example`);
//! 3. not a Windows account `DOMAIN\user`, not an Okta object id (20 letters and digits starting
//!    with `0`, or anything starting with `0oa`, as the Sigma rule excludes);
//! 4. at least three of four character classes — lower case, upper case, digits, symbols — where
//!    `.`, `_` and `-` are not symbols but the separators usernames use; and either a symbol or
//!    no separator at all.
//!
//! So `Summer2024!`, `P@ssw0rd` and `Welcome1` are passwords; `jdoe`, `jsmith01`,
//! `Jane.Doe2024`, `svc_Backup01`, `CORP\JSmith01`, `unknown` and `correcthorsebatterystaple`
//! are not. A mixed-case short name with digits (`JSmith01`) looks like a password; it is
//! cleared when the same name also signs in successfully somewhere in the input.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::detect::params::{Param, Unit, Values};
use crate::detect::records::{Kind, Record, TextId};
use crate::detect::window::index_by;
use crate::detect::{Context, Detection, Finding, Key, Severity, plural, span};

const OWNER_WITHIN: &str = "owner_within";

pub const DETECTION: Detection = Detection {
    id: "password-in-username",
    title: "Password typed as the username",
    severity: Severity::High,
    logic: "A failed sign-in whose username is not an address, a DOMAIN\\user, an Okta id or \
            the username of any successful sign-in, but 8 to 64 characters without spaces mixing \
            at least three of lower case, upper case, digits and symbols (. _ - are separators, \
            not symbols), with a symbol or no separator. Shown as first and last character only \
            unless --show-secrets. The likely owner is the user of the next sign-in from the same \
            IP within {owner_within}.",
    params: &[Param {
        name: OWNER_WITHIN,
        unit: Unit::Duration,
        default: 300,
        doc: "how soon after it the next sign-in from the same IP names the likely owner",
    }],
    closest: "Sigma \"Potential Okta Password in AlternateID Field\" (91b76b84-8589-47aa-9605-\
              c837583b82a9, by kelnage, DRL 1.1): every core.user_auth.login_failed whose \
              alternateId is neither e-mail-like nor 0oa-prefixed. Ours asks for a password-like \
              mix of characters, so short names such as jdoe or DOMAIN\\user are not reported, \
              masks the secret, and names the likely owner.",
    credit: Some("kelnage (Sigma 91b76b84-8589-47aa-9605-c837583b82a9, DRL 1.1)"),
    reads_earlier: false,
    run,
};

/// True when a typed username looks like a password; see the module documentation.
pub fn looks_like_password(typed: &str) -> bool {
    let length = typed.chars().count();
    if !(8..=64).contains(&length)
        || typed.chars().any(|c| c.is_whitespace() || c.is_control())
        || is_address(typed)
        || is_windows_account(typed)
        || is_okta_id(typed)
    {
        return false;
    }
    let is_separator = |c: char| matches!(c, '.' | '_' | '-');
    let has = |test: &dyn Fn(char) -> bool| typed.chars().any(test);
    let symbol = has(&|c| !c.is_alphanumeric() && !is_separator(c));
    let classes = [
        has(&char::is_lowercase),
        has(&char::is_uppercase),
        has(&char::is_numeric),
        symbol,
    ]
    .into_iter()
    .filter(|present| *present)
    .count();
    classes >= 3 && (symbol || !has(&is_separator))
}

fn is_username_part(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '%' | '\''))
}

/// `local@domain.tld`, or `local@domain` with a letters-only domain (a mistyped address).
fn is_address(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    if !is_username_part(local) || domain.is_empty() {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let well_formed = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    let mistyped = domain
        .chars()
        .all(|c| c.is_alphabetic() || matches!(c, '.' | '-'));
    well_formed || mistyped
}

/// `DOMAIN\user`.
fn is_windows_account(text: &str) -> bool {
    text.split_once('\\').is_some_and(|(domain, user)| {
        !domain.is_empty()
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
            && is_username_part(user)
    })
}

/// Okta object ids: 20 letters and digits starting with `0` (`00u…`, `0oa…`), or `0oa…`.
fn is_okta_id(text: &str) -> bool {
    text.starts_with("0oa")
        || (text.len() == 20
            && text.starts_with('0')
            && text.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The first and last character, the length hidden: `S****!`.
pub fn mask(secret: &str) -> String {
    let mut chars = secret.chars();
    match (chars.next(), chars.next_back()) {
        (Some(first), Some(last)) => format!("{first}****{last}"),
        _ => "****".into(),
    }
}

fn run(context: &Context<'_>, values: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let within = values.millis(OWNER_WITHIN);
    let mut by_secret: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for record in context.records.iter().filter(|r| r.is_failed_sign_in()) {
        if let Some(secret) = table.text(table.typed_secret(record)) {
            by_secret.entry(secret).or_default().push(record);
        }
    }
    // Only the sign-ins from the IPs a secret was typed from, few or none, are looked at.
    let typed_from: FxHashSet<TextId> = by_secret
        .values()
        .flatten()
        .filter_map(|r| table.ip_id(r))
        .collect();
    let sign_ins_from = if typed_from.is_empty() {
        FxHashMap::default()
    } else {
        index_by(
            context
                .records
                .iter()
                .filter(|r| r.kind() == Kind::SignIn && r.user.is_some()),
            |r| table.ip_id(r).filter(|ip| typed_from.contains(ip)),
        )
    };
    by_secret
        .into_iter()
        .map(|(secret, failures)| {
            // The user of the next sign-in from the same IP, soon after each failure.
            let owners: Vec<(&Record, &Record)> = failures
                .iter()
                .filter_map(|failure| {
                    let later = sign_ins_from.get(&table.ip_id(failure)?)?;
                    let next = later
                        [later.partition_point(|r| r.published() <= failure.published())..]
                        .first()?;
                    (next.published().0 - failure.published().0 <= within)
                        .then_some((*failure, *next))
                })
                .collect();
            let shown = if context.show_secrets {
                secret.to_string()
            } else {
                mask(secret)
            };
            let mut finding = Finding::new(
                &DETECTION,
                Key {
                    kind: "typed_username",
                    value: shown.clone(),
                },
                failures.iter().copied(),
                table,
            );
            let mut owner_names: Vec<String> = owners
                .iter()
                .filter_map(|(_, next)| table.text(next.user).map(str::to_string))
                .collect();
            owner_names.sort();
            owner_names.dedup();
            let owner = match owners.first() {
                Some((failure, next)) => format!(
                    "; likely owner {} (next sign-in from the same IP, {} later)",
                    owner_names.join(", "),
                    span(failure.published(), next.published())
                ),
                None => "; no sign-in from the same IP followed it".into(),
            };
            let details = format!(
                "a password-like username ({shown}) in {} from {}{owner}; it is in the log in \
                 clear, so its owner should change it",
                plural(failures.len(), "failed sign-in"),
                finding.ips.join(", "),
            );
            let owner_count = owner_names.len();
            finding.users = owner_names;
            finding
                .count("attempts", failures.len())
                .count("likely_owners", owner_count)
                .details(details)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::{at, fail, run, success, table, text, with_detail};

    #[test]
    fn passwords_are_recognised() {
        for typed in [
            "Summer2024!",
            "P@ssw0rd",
            "Welcome1",
            "Tr0ub4dor&3",
            "correct-Horse-7!",
            "hunter2Hunter",
            "Ünïcödé2024",
            "JSmith01",
        ] {
            assert!(looks_like_password(typed), "{typed}");
        }
    }

    #[test]
    fn usernames_are_not_passwords() {
        for typed in [
            "jdoe",
            "unknown",
            "DOMAIN\\jdoe",
            "CORP\\JSmith01",
            "corp.example\\Jane.Doe",
            "john.smith@example.com",
            "John.Smith@Example.COM",
            "john.smith@examplecom",
            "John.Smith@Example",
            "P@ssword",
            "Jane.Doe2024",
            "jsmith01",
            "svc_Backup01",
            "Jane Doe",
            "Doe, Jane",
            "correcthorsebatterystaple",
            "+15551234567",
            "3F1C2A10-0B7E-11EF-9A01-0242AC120001",
            "0oa1b2c3d4E5f6G7h8I9",
            "00u1a2b3c4D5e6F7g8h9",
            "Ab1!",
            "Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!",
            "Abc\u{1b}[31m1",
        ] {
            assert!(!looks_like_password(typed), "{typed}");
        }
    }

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(mask("Summer2024!"), "S****!");
        assert_eq!(mask("Ünïcödé2024"), "Ü****4");
        assert_eq!(mask("x"), "****");
    }

    fn typed(t: i64, secret: &str, ip: &str) -> Record {
        with_detail(fail(at(t), "", ip).with_user(None), text(secret))
    }

    #[test]
    fn the_finding_is_masked_and_names_the_likely_owner() {
        let records = [
            typed(0, "Summer2024!", "192.0.2.10"),
            success(at(20), "ann@example.com", "192.0.2.10"),
            typed(100, "Winter2024?", "192.0.2.11"),
            success(at(401), "bob@example.com", "192.0.2.11"),
        ];
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 2);
        let summer = &findings[0];
        assert_eq!(summer.key.value, "S****!");
        assert_eq!(summer.users, ["ann@example.com"]);
        assert_eq!(summer.counts, [("attempts", 1), ("likely_owners", 1)]);
        assert_eq!(
            summer.details,
            "a password-like username (S****!) in 1 failed sign-in from 192.0.2.10; likely owner \
             ann@example.com (next sign-in from the same IP, 20s later); it is in the log in clear, \
             so its owner should change it"
        );
        assert!(!format!("{findings:?}").contains("Summer2024!"));
        // Bob signed in 5 minutes and 1 second later: too late to name him.
        assert_eq!(findings[1].users, Vec::<String>::new());
        assert!(findings[1].credit.is_some_and(|c| c.contains("kelnage")));
    }

    #[test]
    fn show_secrets_shows_them() {
        let records = [typed(0, "Summer2024!", "192.0.2.10")];
        let sorted = records.to_vec();
        let table = table();
        let context = Context {
            records: &sorted,
            table: &table,
            earlier: &[],
            show_secrets: true,
            failing: &std::sync::OnceLock::new(),
        };
        let settings = crate::detect::params::Settings::default();
        let findings = (DETECTION.run)(&context, &settings.of(DETECTION.id));
        assert_eq!(findings[0].key.value, "Summer2024!");
    }
}
