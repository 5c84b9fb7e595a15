//! The attribute paths of the filter language (also `search --fields`), spelt as Okta documents
//! them and matched ignoring case, and how each one is read from a normalised event.

use crate::event::{Event, Parts, Target, Text};
use crate::time::Timestamp;

/// What an attribute holds; decides which operators and which literals it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Text,
    Number,
    Flag,
    Time,
}

impl ValueType {
    /// How error messages and help name the type.
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::Text => "text",
            ValueType::Number => "a number",
            ValueType::Flag => "true or false",
            ValueType::Time => "a time",
        }
    }
}

/// One value of an attribute in one event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'e> {
    Text(&'e str),
    /// `securityContext.asNumber`, kept whole so it prints without a fraction.
    Integer(u64),
    Decimal(f64),
    Flag(bool),
    Time(Timestamp),
}

impl Value<'_> {
    /// The value as a number, for numeric comparisons.
    pub fn as_number(self) -> Option<f64> {
        match self {
            Value::Integer(n) => Some(n as f64),
            Value::Decimal(n) => Some(n),
            _ => None,
        }
    }

    pub fn to_json(self) -> serde_json::Value {
        match self {
            Value::Text(text) => text.into(),
            Value::Integer(n) => n.into(),
            Value::Decimal(n) => {
                serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, Into::into)
            }
            Value::Flag(flag) => flag.into(),
            Value::Time(time) => time.to_string().into(),
        }
    }
}

/// The single-valued attributes of the event model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventField {
    Uuid,
    Published,
    EventType,
    LegacyEventType,
    DisplayMessage,
    Severity,
    OutcomeResult,
    OutcomeReason,
    ActorId,
    ActorType,
    ActorAlternateId,
    ActorDisplayName,
    ClientIpAddress,
    ClientUserAgent,
    ClientOs,
    ClientBrowser,
    ClientZone,
    ClientDevice,
    City,
    State,
    Country,
    PostalCode,
    Latitude,
    Longitude,
    AsNumber,
    AsOrg,
    Isp,
    Domain,
    IsProxy,
    ExternalSessionId,
    TransactionId,
}

impl EventField {
    fn part(self) -> Parts {
        use EventField as E;
        match self {
            E::Uuid
            | E::Published
            | E::EventType
            | E::LegacyEventType
            | E::DisplayMessage
            | E::Severity
            | E::OutcomeResult
            | E::OutcomeReason => Parts::CORE,
            E::ActorId | E::ActorType | E::ActorAlternateId | E::ActorDisplayName => Parts::ACTOR,
            E::ClientIpAddress | E::ClientZone | E::ClientDevice => Parts::CLIENT,
            E::ClientUserAgent | E::ClientOs | E::ClientBrowser => Parts::USER_AGENT,
            E::City | E::State | E::Country | E::PostalCode | E::Latitude | E::Longitude => {
                Parts::GEO
            }
            E::AsNumber | E::AsOrg | E::Isp | E::Domain | E::IsProxy => Parts::SECURITY,
            E::ExternalSessionId => Parts::SESSION,
            E::TransactionId => Parts::TRANSACTION,
        }
    }
}

/// The attributes of each target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetField {
    Id,
    Type,
    AlternateId,
    DisplayName,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Event(EventField),
    Target(TargetField),
    /// `debugContext.debugData.<key>`, looked up with [`Event::debug_value`].
    DebugData(Box<str>),
}

/// Every fixed path, as Okta spells it in LogEvent.
const PATHS: [(&str, Source); 35] = {
    use EventField as E;
    use Source::{Event as Ev, Target as Tg};
    [
        ("uuid", Ev(E::Uuid)),
        ("published", Ev(E::Published)),
        ("eventType", Ev(E::EventType)),
        ("legacyEventType", Ev(E::LegacyEventType)),
        ("displayMessage", Ev(E::DisplayMessage)),
        ("severity", Ev(E::Severity)),
        ("outcome.result", Ev(E::OutcomeResult)),
        ("outcome.reason", Ev(E::OutcomeReason)),
        ("actor.id", Ev(E::ActorId)),
        ("actor.type", Ev(E::ActorType)),
        ("actor.alternateId", Ev(E::ActorAlternateId)),
        ("actor.displayName", Ev(E::ActorDisplayName)),
        ("client.ipAddress", Ev(E::ClientIpAddress)),
        ("client.userAgent.rawUserAgent", Ev(E::ClientUserAgent)),
        ("client.userAgent.os", Ev(E::ClientOs)),
        ("client.userAgent.browser", Ev(E::ClientBrowser)),
        ("client.zone", Ev(E::ClientZone)),
        ("client.device", Ev(E::ClientDevice)),
        ("client.geographicalContext.city", Ev(E::City)),
        ("client.geographicalContext.state", Ev(E::State)),
        ("client.geographicalContext.country", Ev(E::Country)),
        ("client.geographicalContext.postalCode", Ev(E::PostalCode)),
        (
            "client.geographicalContext.geolocation.lat",
            Ev(E::Latitude),
        ),
        (
            "client.geographicalContext.geolocation.lon",
            Ev(E::Longitude),
        ),
        ("securityContext.asNumber", Ev(E::AsNumber)),
        ("securityContext.asOrg", Ev(E::AsOrg)),
        ("securityContext.isp", Ev(E::Isp)),
        ("securityContext.domain", Ev(E::Domain)),
        ("securityContext.isProxy", Ev(E::IsProxy)),
        (
            "authenticationContext.externalSessionId",
            Ev(E::ExternalSessionId),
        ),
        ("transaction.id", Ev(E::TransactionId)),
        ("target.id", Tg(TargetField::Id)),
        ("target.type", Tg(TargetField::Type)),
        ("target.alternateId", Tg(TargetField::AlternateId)),
        ("target.displayName", Tg(TargetField::DisplayName)),
    ]
};

const DEBUG_DATA: &str = "debugContext.debugData.";

/// A known attribute path, in Okta's spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    path: Box<str>,
    source: Source,
}

impl Attribute {
    /// The attribute `path` names, ignoring case (SIEM re-exports lower-case them).
    pub fn parse(path: &str) -> Option<Attribute> {
        if let Some((name, source)) = PATHS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(path))
        {
            return Some(Attribute {
                path: (*name).into(),
                source: source.clone(),
            });
        }
        let prefix = path.get(..DEBUG_DATA.len())?;
        let key = &path[DEBUG_DATA.len()..];
        let valid_key = !key.is_empty() && key.split('.').all(|part| !part.is_empty());
        (prefix.eq_ignore_ascii_case(DEBUG_DATA) && valid_key).then(|| Attribute {
            path: format!("{DEBUG_DATA}{key}").into(),
            source: Source::DebugData(key.into()),
        })
    }

    /// The part of an event the attribute is read from.
    pub fn part(&self) -> Parts {
        match &self.source {
            Source::Event(field) => field.part(),
            Source::Target(_) => Parts::TARGETS,
            Source::DebugData(key) if key.eq_ignore_ascii_case("requestUri") => Parts::CORE,
            Source::DebugData(_) => Parts::DEBUG_DATA,
        }
    }

    /// The path in Okta's spelling, whatever case it was written in.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn value_type(&self) -> ValueType {
        match self.source {
            Source::Event(EventField::Published) => ValueType::Time,
            Source::Event(EventField::Latitude | EventField::Longitude | EventField::AsNumber) => {
                ValueType::Number
            }
            Source::Event(EventField::IsProxy) => ValueType::Flag,
            _ => ValueType::Text,
        }
    }

    /// True when `test` passes for a value of this attribute in `event`; `test` sees `None` for
    /// an absent value. `target.*` is tried on each target and passes when any target passes,
    /// as Okta does; an event without targets is tried once, with `None`.
    pub(super) fn any_value(
        &self,
        event: &Event<'_>,
        mut test: impl FnMut(Option<Value<'_>>) -> bool,
    ) -> bool {
        match &self.source {
            Source::Event(field) => test(event_value(*field, event)),
            Source::Target(_) if event.targets.is_empty() => test(None),
            Source::Target(field) => event
                .targets
                .iter()
                .any(|target| test(target_value(*field, target))),
            Source::DebugData(key) => test(event.debug_value(key).map(Value::Text)),
        }
    }

    /// The attribute's value in `event` as JSON: `null` when absent; for `target.*`, an array of
    /// the targets' values.
    pub fn to_json(&self, event: &Event<'_>) -> serde_json::Value {
        let mut values = Vec::new();
        self.any_value(event, |value| {
            values.extend(value.map(Value::to_json));
            false
        });
        match self.source {
            Source::Target(_) => values.into(),
            _ => values.pop().unwrap_or(serde_json::Value::Null),
        }
    }
}

fn text<'e>(value: &'e Text<'_>) -> Option<Value<'e>> {
    value.as_deref().map(Value::Text)
}

fn target_value<'e>(field: TargetField, target: &'e Target<'_>) -> Option<Value<'e>> {
    match field {
        TargetField::Id => text(&target.id),
        TargetField::Type => text(&target.kind),
        TargetField::AlternateId => text(&target.alternate_id),
        TargetField::DisplayName => text(&target.display_name),
    }
}

fn event_value<'e>(field: EventField, event: &'e Event<'_>) -> Option<Value<'e>> {
    use EventField as E;
    let client = &event.client;
    let security = &event.security_context;
    match field {
        E::Uuid => Some(Value::Text(&event.uuid)),
        E::Published => Some(Value::Time(event.published)),
        E::EventType => Some(Value::Text(&event.event_type)),
        E::LegacyEventType => text(&event.legacy_event_type),
        E::DisplayMessage => text(&event.display_message),
        E::Severity => text(&event.severity),
        E::OutcomeResult => event
            .outcome
            .result
            .as_ref()
            .map(|r| Value::Text(r.as_str())),
        E::OutcomeReason => text(&event.outcome.reason),
        E::ActorId => text(&event.actor.id),
        E::ActorType => text(&event.actor.kind),
        E::ActorAlternateId => text(&event.actor.alternate_id),
        E::ActorDisplayName => text(&event.actor.display_name),
        E::ClientIpAddress => text(&client.ip_address),
        E::ClientUserAgent => text(&client.raw_user_agent),
        E::ClientOs => text(&client.os),
        E::ClientBrowser => text(&client.browser),
        E::ClientZone => text(&client.zone),
        E::ClientDevice => text(&client.device),
        E::City => text(&client.city),
        E::State => text(&client.state),
        E::Country => text(&client.country),
        E::PostalCode => text(&client.postal_code),
        E::Latitude => client.lat.map(Value::Decimal),
        E::Longitude => client.lon.map(Value::Decimal),
        E::AsNumber => security.as_number.map(Value::Integer),
        E::AsOrg => text(&security.as_org),
        E::Isp => text(&security.isp),
        E::Domain => text(&security.domain),
        E::IsProxy => security.is_proxy.map(Value::Flag),
        E::ExternalSessionId => text(&event.external_session_id),
        E::TransactionId => text(&event.transaction_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_matched_ignoring_case_and_kept_in_okta_spelling() {
        let cases = [
            ("eventType", Some("eventType")),
            ("EVENTTYPE", Some("eventType")),
            (
                "client.useragent.rawuseragent",
                Some("client.userAgent.rawUserAgent"),
            ),
            (
                "debugcontext.debugdata.requestUri",
                Some("debugContext.debugData.requestUri"),
            ),
            (
                "debugContext.debugData.threat.level",
                Some("debugContext.debugData.threat.level"),
            ),
            ("debugContext.debugData.", None),
            ("debugContext.debugData", None),
            ("debugContext.debugData.a..b", None),
            ("target", None),
            ("foo.bar", None),
            ("", None),
        ];
        for (path, expected) in cases {
            assert_eq!(
                Attribute::parse(path).as_ref().map(Attribute::path),
                expected,
                "path {path:?}"
            );
        }
    }

    #[test]
    fn every_fixed_path_is_distinct_and_only_five_are_not_text() {
        let typed: Vec<(String, ValueType)> = PATHS
            .iter()
            .filter_map(|(path, _)| Attribute::parse(path))
            .filter(|a| a.value_type() != ValueType::Text)
            .map(|a| (a.path().to_string(), a.value_type()))
            .collect();
        let expected = [
            ("published", ValueType::Time),
            (
                "client.geographicalContext.geolocation.lat",
                ValueType::Number,
            ),
            (
                "client.geographicalContext.geolocation.lon",
                ValueType::Number,
            ),
            ("securityContext.asNumber", ValueType::Number),
            ("securityContext.isProxy", ValueType::Flag),
        ]
        .map(|(p, t)| (p.to_string(), t));
        assert_eq!(typed, expected);
        let mut names: Vec<String> = PATHS.iter().map(|(p, _)| p.to_ascii_lowercase()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PATHS.len());
    }
}
