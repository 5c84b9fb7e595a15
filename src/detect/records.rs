//! The compact records detections work on, and the [`Hunt`] aggregate that collects them.
//!
//! Only events some detection needs are kept — sign-in attempts that succeeded, failed or were
//! denied, MFA verifications, pushes, lockouts and ThreatInsight events — never the whole
//! stream, and each as a few owned fields. Repeated text (addresses, user agents, countries) is
//! shared within a chunk.

use std::sync::Arc;

use rustc_hash::FxHashSet;

use crate::classify::{is_denied, is_failure, is_legacy, is_success, user_key};
use crate::detect::password_in_username::looks_like_password;
use crate::event::{Event, Parts};
use crate::pipeline::Aggregate;
use crate::time::Timestamp;

/// What a kept event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A credential check: `user.session.start` or `user.authentication.*` other than
    /// `auth_via_mfa` (a second factor), `sso`, `slo` and `universal_logout*` (no credential is
    /// checked there).
    SignIn,
    /// `user.authentication.auth_via_mfa`: a second factor verified or refused.
    Mfa,
    /// `system.push.send_factor_verify_push`: an Okta Verify push was sent.
    PushSent,
    /// `user.mfa.okta_verify.deny_push`: the user refused a push.
    PushDenied,
    /// `user.account.lock`.
    Lock,
    /// `security.threat.detected`: Okta ThreatInsight flagged the request.
    Threat,
}

/// `outcome.result`, as detections need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// FAILURE or DENY.
    Failure,
    Other,
}

/// One kept event.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub published: Timestamp,
    pub uuid: Box<str>,
    pub kind: Kind,
    pub outcome: Outcome,
    /// Legacy (basic) authentication, see [`crate::classify::is_legacy`].
    pub legacy: bool,
    /// `actor.alternateId` in lower case; `None` for `unknown` and for a password typed as the
    /// username, so that a secret never reaches another finding's list of users.
    pub user: Option<Arc<str>>,
    /// The `actor.alternateId` of a failed sign-in, as typed, when it looks like a password.
    pub typed_secret: Option<Arc<str>>,
    pub ip: Option<Arc<str>>,
    pub user_agent: Option<Arc<str>>,
    pub country: Option<Arc<str>>,
    /// Latitude and longitude in degrees.
    pub location: Option<(f64, f64)>,
    /// `AS14061 digitalocean, llc`.
    pub asn: Option<Arc<str>>,
    /// `securityContext.isProxy`.
    pub proxy: bool,
    /// ThreatInsight's `threatDetections` (or else `outcome.reason`) of a `Threat` record.
    pub threats: Option<Arc<str>>,
}

impl Record {
    pub fn is_failed_sign_in(&self) -> bool {
        self.kind == Kind::SignIn && self.outcome == Outcome::Failure
    }

    pub fn is_successful_sign_in(&self) -> bool {
        self.kind == Kind::SignIn && self.outcome == Outcome::Success
    }
}

/// The event types that check a credential, see [`Kind::SignIn`].
pub fn is_sign_in(event_type: &str) -> bool {
    event_type == "user.session.start"
        || event_type
            .strip_prefix("user.authentication.")
            .is_some_and(|rest| {
                !matches!(rest, "auth_via_mfa" | "sso" | "slo")
                    && !rest.starts_with("universal_logout")
            })
}

fn kind_of(event_type: &str) -> Option<Kind> {
    match event_type {
        "user.authentication.auth_via_mfa" => Some(Kind::Mfa),
        "system.push.send_factor_verify_push" => Some(Kind::PushSent),
        "user.mfa.okta_verify.deny_push" => Some(Kind::PushDenied),
        "user.account.lock" => Some(Kind::Lock),
        "security.threat.detected" => Some(Kind::Threat),
        t if is_sign_in(t) => Some(Kind::SignIn),
        _ => None,
    }
}

/// Shares one allocation between equal strings.
#[derive(Debug, Default)]
struct Interner(FxHashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = text.into();
        self.0.insert(shared.clone());
        shared
    }
}

/// The aggregate behind `authsift hunt`: the records of the events detections need, in input
/// order. Chunks are merged by appending, so the order does not depend on the thread count.
#[derive(Debug, Default)]
pub struct Hunt {
    records: Vec<Record>,
    strings: Interner,
}

impl Aggregate for Hunt {
    const PARTS: Parts = Parts::ACTOR
        .with(Parts::CLIENT)
        .with(Parts::USER_AGENT)
        .with(Parts::GEO)
        .with(Parts::SECURITY)
        .with(Parts::DEBUG_DATA);

    fn add(&mut self, event: &Event<'_>) {
        let Some(kind) = kind_of(&event.event_type) else {
            return;
        };
        let outcome = if is_success(event) {
            Outcome::Success
        } else if is_failure(event) || is_denied(event) {
            Outcome::Failure
        } else {
            Outcome::Other
        };
        if matches!(kind, Kind::SignIn | Kind::Mfa) && outcome == Outcome::Other {
            return;
        }
        let strings = &mut self.strings;
        let typed_secret = (kind == Kind::SignIn && outcome == Outcome::Failure)
            .then_some(event.actor.alternate_id.as_deref())
            .flatten()
            .filter(|id| looks_like_password(id))
            .map(|id| strings.get(id));
        let client = &event.client;
        let context = &event.security_context;
        let asn = match (context.as_number, context.as_org.as_deref()) {
            (Some(number), Some(org)) => Some(format!("AS{number} {org}")),
            (Some(number), None) => Some(format!("AS{number}")),
            (None, org) => org.map(str::to_string),
        };
        let location = client
            .lat
            .zip(client.lon)
            .filter(|(lat, lon)| lat.abs() <= 90.0 && lon.abs() <= 180.0);
        let threats = (kind == Kind::Threat)
            .then(|| {
                event
                    .debug_value("threatDetections")
                    .or(event.outcome.reason.as_deref())
            })
            .flatten();
        self.records.push(Record {
            published: event.published,
            uuid: event.uuid.as_ref().into(),
            kind,
            outcome,
            legacy: is_legacy(event),
            user: user_key(event).map(|u| strings.get(&u)),
            typed_secret,
            ip: client.ip_address.as_deref().map(|t| strings.get(t)),
            user_agent: client.raw_user_agent.as_deref().map(|t| strings.get(t)),
            country: client.country.as_deref().map(|t| strings.get(t)),
            location,
            asn: asn.map(|t| strings.get(&t)),
            proxy: context.is_proxy == Some(true),
            threats: threats.map(|t| strings.get(t)),
        });
    }

    fn merge(&mut self, later: Hunt) {
        self.records.extend(later.records);
    }
}

impl Hunt {
    /// The records in time order (input order among equal times), ready for the detections.
    ///
    /// A failed sign-in's username that looks like a password but is also the username of a
    /// successful sign-in is a real username after all; every other one is kept only as a
    /// typed secret, never as a user.
    pub fn into_records(self) -> Vec<Record> {
        let mut records = self.records;
        records.sort_by_key(|r| r.published);
        let signed_in: FxHashSet<Arc<str>> = records
            .iter()
            .filter(|r| r.is_successful_sign_in())
            .filter_map(|r| r.user.clone())
            .collect();
        for record in records.iter_mut().filter(|r| r.typed_secret.is_some()) {
            if record.user.as_ref().is_some_and(|u| signed_in.contains(u)) {
                record.typed_secret = None;
            } else {
                record.user = None;
            }
        }
        records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_ins_are_credential_checks() {
        for t in [
            "user.session.start",
            "user.authentication.auth_via_richclient",
            "user.authentication.auth_via_AD_agent",
            "user.authentication.authenticate",
            "user.authentication.verify",
        ] {
            assert!(is_sign_in(t), "{t}");
        }
        for t in [
            "user.authentication.sso",
            "user.authentication.slo",
            "user.authentication.auth_via_mfa",
            "user.authentication.universal_logout",
            "user.session.end",
            "policy.evaluate_sign_on",
            "user.authentication",
        ] {
            assert!(!is_sign_in(t), "{t}");
        }
    }
}
