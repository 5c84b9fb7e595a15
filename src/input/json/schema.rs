//! Maps the keys of an Okta LogEvent onto the normalised event. Keys are matched ignoring ASCII
//! case, because some SIEMs re-export them lower-cased (`eventtype`, `debugcontext`); anything
//! not listed is stepped over. Values are read leniently: numbers and booleans where text is
//! documented become their text, text where numbers are documented is parsed, and a value of
//! the wrong kind (an object for a string, say) is absent rather than fatal.

use std::borrow::Cow;

use crate::event::{Event, OutcomeResult, Parts, Target, Text, text};
use crate::input::json::cursor::{Cursor, Kind, Result};
use crate::input::lenient::{parse_as_number, parse_bool, parse_number};
use crate::input::problem::ProblemKind;
use crate::time::Timestamp;

/// One JSON record as read, before the required fields are checked. Its optional fields are
/// read straight into `event`, whose uuid, time and eventType are set once they are checked:
/// an event is several hundred bytes, and a reader reuses one record rather than moving them.
pub struct Record<'a> {
    uuid: Text<'a>,
    published: Text<'a>,
    event_type: Text<'a>,
    event: Event<'a>,
    /// Events of an Event Hook envelope (`data.events`).
    envelope: Option<Vec<Record<'a>>>,
    deferred: Deferred,
}

/// Where the values of the keys left unread for now begin: `actor` and `client`, the objects
/// most events have and few commands need in every event.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Deferred {
    actor: Option<usize>,
    client: Option<usize>,
    /// One of them stands more than once (a later one adds to and overrides the earlier), and
    /// the record must be read again without deferring, whether its event needs them or not:
    /// only reading them in order tells what they leave.
    pub repeated: bool,
}

impl Deferred {
    pub fn is_empty(&self) -> bool {
        self.actor.is_none() && self.client.is_none()
    }

    /// Reads the deferred values of the record in `data` into `event`. An error means the
    /// record breaks the grammar there, which reading it without deferring reports in full.
    pub fn read_into<'a>(&self, data: &'a [u8], parts: Parts, event: &mut Event<'a>) -> Result<()> {
        if let Some(at) = self.actor {
            actor(&mut Cursor::new(data, at), &mut event.actor)?;
        }
        if let Some(at) = self.client {
            client(&mut Cursor::new(data, at), parts, &mut event.client)?;
        }
        Ok(())
    }
}

/// The objects that can be deferred.
#[derive(Clone, Copy)]
enum Deferrable {
    Actor,
    Client,
}

impl Deferrable {
    /// The parts read from the object.
    fn parts(self) -> Parts {
        match self {
            Deferrable::Actor => Parts::ACTOR,
            Deferrable::Client => Parts::CLIENT.with(Parts::USER_AGENT).with(Parts::GEO),
        }
    }

    /// Whether the object is left unread: when every part of it that is read may be deferred
    /// (an object is read whole or not at all).
    fn is_deferred(self, parts: Parts, deferrable: Parts) -> bool {
        let read = parts.within(self.parts());
        read != Parts::CORE && deferrable.has(read)
    }
}

impl Deferred {
    /// Steps over the object at the cursor, noting where it begins.
    fn step_over(&mut self, object: Deferrable, cursor: &mut Cursor<'_>) -> Result<()> {
        let at = match object {
            Deferrable::Actor => &mut self.actor,
            Deferrable::Client => &mut self.client,
        };
        let earlier = at.replace(cursor.pos);
        self.repeated |= earlier.is_some();
        cursor.skip_unread()
    }
}

/// Keys longer than this are none of the keys read.
const LONGEST_KEY: usize = 24;

/// `key` in ASCII lower case, in `buffer`; empty when it is too long to be a key that is read.
fn folded<'b>(key: &[u8], buffer: &'b mut [u8; LONGEST_KEY]) -> &'b [u8] {
    let Some(target) = buffer.get_mut(..key.len()) else {
        return b"";
    };
    for (out, byte) in target.iter_mut().zip(key) {
        *out = byte.to_ascii_lowercase();
    }
    target
}

/// A text value: strings (normalised by [`text`]), numbers and booleans as written, null and
/// containers as absent.
#[inline]
fn lenient_text<'a>(cursor: &mut Cursor<'a>) -> Result<Text<'a>> {
    match cursor.peek_kind()? {
        Kind::String => cursor.string().map(text),
        Kind::Scalar => cursor.scalar().map(|s| s.map(Cow::Borrowed)),
        Kind::Object | Kind::Array => cursor.skip_unread().map(|()| None),
    }
}

/// Reads a nested object with `entry` when the value is one; steps over anything else.
fn nested<'a>(
    cursor: &mut Cursor<'a>,
    entry: impl FnMut(&mut Cursor<'a>, Cow<'a, [u8]>) -> Result<()>,
) -> Result<()> {
    if cursor.peek_kind()? == Kind::Object {
        cursor.object(entry)
    } else {
        cursor.skip_unread()
    }
}

/// Reads `value` with `read` when `parts` include `part`; steps over it unread otherwise.
fn read_part<'a>(
    cursor: &mut Cursor<'a>,
    parts: Parts,
    part: Parts,
    read: impl FnOnce(&mut Cursor<'a>) -> Result<()>,
) -> Result<()> {
    if parts.has(part) {
        read(cursor)
    } else {
        cursor.skip_unread()
    }
}

/// Reads the event object at the cursor: the `parts` of it a command needs, and the fields
/// every command needs. The `actor` and `client` objects, when `deferrable` holds the parts
/// read from them, are checked for structure and left for [`Deferred::read_into`] (in the
/// record itself, not in an envelope's events).
pub fn record<'a>(cursor: &mut Cursor<'a>, parts: Parts, deferrable: Parts) -> Result<Record<'a>> {
    let mut record = Record::default();
    read_record(cursor, parts, deferrable, &mut record)?;
    Ok(record)
}

/// [`record`] into `record`, which must be empty ([`Record::clear`]).
pub fn read_record<'a>(
    cursor: &mut Cursor<'a>,
    parts: Parts,
    deferrable: Parts,
    record: &mut Record<'a>,
) -> Result<()> {
    let defer_actor = Deferrable::Actor.is_deferred(parts, deferrable);
    let defer_client = Deferrable::Client.is_deferred(parts, deferrable);
    cursor.object(|cursor, key| {
        let event = &mut record.event;
        let deferred = &mut record.deferred;
        match folded(&key, &mut [0; LONGEST_KEY]) {
            b"uuid" => record.uuid = lenient_text(cursor)?,
            b"published" => record.published = lenient_text(cursor)?,
            b"eventtype" => record.event_type = lenient_text(cursor)?,
            b"legacyeventtype" => event.legacy_event_type = lenient_text(cursor)?,
            b"displaymessage" => event.display_message = lenient_text(cursor)?,
            b"severity" => event.severity = lenient_text(cursor)?,
            b"outcome" => nested(cursor, |cursor, key| {
                match folded(&key, &mut [0; LONGEST_KEY]) {
                    b"result" => {
                        event.outcome.result = lenient_text(cursor)?.map(OutcomeResult::parse)
                    }
                    b"reason" => event.outcome.reason = lenient_text(cursor)?,
                    _ => cursor.skip_unread()?,
                }
                Ok(())
            })?,
            b"actor" if defer_actor => deferred.step_over(Deferrable::Actor, cursor)?,
            b"actor" => read_part(cursor, parts, Parts::ACTOR, |cursor| {
                actor(cursor, &mut event.actor)
            })?,
            b"client" if defer_client => deferred.step_over(Deferrable::Client, cursor)?,
            b"client" => client(cursor, parts, &mut event.client)?,
            b"securitycontext" => read_part(cursor, parts, Parts::SECURITY, |cursor| {
                nested(cursor, |cursor, key| {
                    let security = &mut event.security_context;
                    match folded(&key, &mut [0; LONGEST_KEY]) {
                        b"asnumber" => {
                            security.as_number =
                                lenient_text(cursor)?.as_deref().and_then(parse_as_number)
                        }
                        b"asorg" => security.as_org = lenient_text(cursor)?,
                        b"isp" => security.isp = lenient_text(cursor)?,
                        b"domain" => security.domain = lenient_text(cursor)?,
                        b"isproxy" => {
                            security.is_proxy =
                                lenient_text(cursor)?.as_deref().and_then(parse_bool)
                        }
                        _ => cursor.skip_unread()?,
                    }
                    Ok(())
                })
            })?,
            b"debugcontext" => nested(cursor, |cursor, key| {
                if key.eq_ignore_ascii_case(b"debugData") {
                    nested(cursor, |cursor, key| {
                        if key.eq_ignore_ascii_case(b"requestUri") {
                            event.request_uri = lenient_text(cursor)?;
                        } else if parts.has(Parts::DEBUG_DATA) {
                            if let Some(value) = lenient_text(cursor)? {
                                event.debug_data.push((key_text(key), value));
                            }
                        } else if parts.has(Parts::THREATS)
                            && key.eq_ignore_ascii_case(b"threatDetections")
                        {
                            // The first with a value, as the lookup among all entries finds.
                            let value = lenient_text(cursor)?;
                            if event.threat_detections.is_none() {
                                event.threat_detections = value;
                            }
                        } else {
                            cursor.skip_unread()?;
                        }
                        Ok(())
                    })
                } else {
                    cursor.skip_unread()
                }
            })?,
            b"authenticationcontext" => read_part(cursor, parts, Parts::SESSION, |cursor| {
                nested(cursor, |cursor, key| {
                    if key.eq_ignore_ascii_case(b"externalSessionId") {
                        event.external_session_id = lenient_text(cursor)?;
                        Ok(())
                    } else {
                        cursor.skip_unread()
                    }
                })
            })?,
            b"transaction" => read_part(cursor, parts, Parts::TRANSACTION, |cursor| {
                nested(cursor, |cursor, key| {
                    if key.eq_ignore_ascii_case(b"id") {
                        event.transaction_id = lenient_text(cursor)?;
                        Ok(())
                    } else {
                        cursor.skip_unread()
                    }
                })
            })?,
            b"target" => read_part(cursor, parts, Parts::TARGETS, |cursor| {
                event.targets = targets(cursor)?;
                Ok(())
            })?,
            b"data" => nested(cursor, |cursor, key| {
                if key.eq_ignore_ascii_case(b"events") && cursor.peek_kind()? == Kind::Array {
                    let mut events = Vec::new();
                    cursor.array(|cursor| {
                        if cursor.peek_kind()? == Kind::Object {
                            events.push(self::record(cursor, parts, Parts::CORE)?);
                            Ok(())
                        } else {
                            cursor.skip_unread()
                        }
                    })?;
                    record.envelope = Some(events);
                    Ok(())
                } else {
                    cursor.skip_unread()
                }
            })?,
            _ => cursor.skip_unread()?,
        }
        Ok(())
    })
}

/// A debugData key as text; keys are ASCII in practice, anything else is kept lossily.
fn key_text(key: Cow<'_, [u8]>) -> Cow<'_, str> {
    match key {
        Cow::Borrowed(bytes) => String::from_utf8_lossy(bytes),
        Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

/// `actor`: who did it.
fn actor<'a>(cursor: &mut Cursor<'a>, actor: &mut crate::event::Actor<'a>) -> Result<()> {
    nested(cursor, |cursor, key| {
        let crate::event::Actor {
            id,
            kind,
            alternate_id,
            display_name,
        } = actor;
        identity_entry(cursor, &key, [id, kind, alternate_id, display_name])
    })
}

/// One entry of an actor or a target, which identify themselves alike: into `id`, `type`,
/// `alternateId` and `displayName`.
fn identity_entry<'a>(
    cursor: &mut Cursor<'a>,
    key: &[u8],
    [id, kind, alternate_id, display_name]: [&mut Text<'a>; 4],
) -> Result<()> {
    match folded(key, &mut [0; LONGEST_KEY]) {
        b"id" => *id = lenient_text(cursor)?,
        b"type" => *kind = lenient_text(cursor)?,
        b"alternateid" => *alternate_id = lenient_text(cursor)?,
        b"displayname" => *display_name = lenient_text(cursor)?,
        _ => cursor.skip_unread()?,
    }
    Ok(())
}

/// `client`: the `parts` of it that are read.
fn client<'a>(
    cursor: &mut Cursor<'a>,
    parts: Parts,
    client: &mut crate::event::Client<'a>,
) -> Result<()> {
    nested(cursor, |cursor, key| {
        client_entry(cursor, key, parts, client)
    })
}

fn client_entry<'a>(
    cursor: &mut Cursor<'a>,
    key: Cow<'a, [u8]>,
    parts: Parts,
    client: &mut crate::event::Client<'a>,
) -> Result<()> {
    match folded(&key, &mut [0; LONGEST_KEY]) {
        b"ipaddress" | b"zone" | b"device" if !parts.has(Parts::CLIENT) => cursor.skip_unread()?,
        b"useragent" if !parts.has(Parts::USER_AGENT) => cursor.skip_unread()?,
        b"geographicalcontext" if !parts.has(Parts::GEO) => cursor.skip_unread()?,
        b"ipaddress" => client.ip_address = lenient_text(cursor)?,
        b"zone" => client.zone = lenient_text(cursor)?,
        b"device" => client.device = lenient_text(cursor)?,
        b"useragent" => nested(cursor, |cursor, key| {
            match folded(&key, &mut [0; LONGEST_KEY]) {
                b"rawuseragent" => client.raw_user_agent = lenient_text(cursor)?,
                b"os" => client.os = lenient_text(cursor)?,
                b"browser" => client.browser = lenient_text(cursor)?,
                _ => cursor.skip_unread()?,
            }
            Ok(())
        })?,
        b"geographicalcontext" => nested(cursor, |cursor, key| {
            match folded(&key, &mut [0; LONGEST_KEY]) {
                b"city" => client.city = lenient_text(cursor)?,
                b"state" => client.state = lenient_text(cursor)?,
                b"country" => client.country = lenient_text(cursor)?,
                b"postalcode" => client.postal_code = lenient_text(cursor)?,
                b"geolocation" => nested(cursor, |cursor, key| {
                    match folded(&key, &mut [0; LONGEST_KEY]) {
                        b"lat" => {
                            client.lat = lenient_text(cursor)?.as_deref().and_then(parse_number)
                        }
                        b"lon" => {
                            client.lon = lenient_text(cursor)?.as_deref().and_then(parse_number)
                        }
                        _ => cursor.skip_unread()?,
                    }
                    Ok(())
                })?,
                _ => cursor.skip_unread()?,
            }
            Ok(())
        })?,
        _ => cursor.skip_unread()?,
    }
    Ok(())
}

/// `target`: an array of objects; null, other values and non-object elements give nothing.
pub fn targets<'a>(cursor: &mut Cursor<'a>) -> Result<Vec<Target<'a>>> {
    let mut targets = Vec::new();
    if cursor.peek_kind()? != Kind::Array {
        cursor.skip_unread()?;
        return Ok(targets);
    }
    cursor.array(|cursor| {
        if cursor.peek_kind()? != Kind::Object {
            return cursor.skip_unread();
        }
        let mut target = Target::default();
        cursor.object(|cursor, key| {
            let Target {
                id,
                kind,
                alternate_id,
                display_name,
            } = &mut target;
            identity_entry(cursor, &key, [id, kind, alternate_id, display_name])
        })?;
        targets.push(target);
        Ok(())
    })?;
    Ok(targets)
}

impl<'a> Record<'a> {
    /// True when the record has any of the fields that make a LogEvent, or is an envelope.
    pub fn looks_like_event(&self) -> bool {
        self.uuid.is_some()
            || self.published.is_some()
            || self.event_type.is_some()
            || self
                .envelope
                .as_ref()
                .is_some_and(|events| !events.is_empty())
    }

    /// True when the record has what every event needs: a uuid, a time and an eventType.
    pub fn is_complete_event(&self) -> bool {
        self.uuid.is_some() && self.published.is_some() && self.event_type.is_some()
    }

    /// Whether the record stands for an Event Hook envelope's events rather than for itself.
    pub fn is_envelope(&self) -> bool {
        self.uuid.is_none() && self.envelope.is_some()
    }

    /// Where the objects left unread in the record itself begin (not in an envelope's events).
    pub fn deferred(&self) -> Deferred {
        self.deferred
    }

    /// The events this record stands for: itself, or an envelope's events when it has no uuid;
    /// each with what was deferred in it.
    pub fn emit_events(
        &mut self,
        emit: &mut impl FnMut(std::result::Result<(&mut Event<'a>, Deferred), (ProblemKind, String)>),
    ) {
        if self.is_envelope()
            && let Some(events) = &mut self.envelope
        {
            for inner in events {
                inner.emit_events(emit);
            }
            return;
        }
        let deferred = self.deferred;
        match self.complete_event() {
            Ok(event) => emit(Ok((event, deferred))),
            Err(error) => emit(Err(error)),
        }
    }

    /// The event with its uuid, time and eventType, once they are checked.
    fn complete_event(&mut self) -> std::result::Result<&mut Event<'a>, (ProblemKind, String)> {
        let uuid = self
            .uuid
            .take()
            .ok_or((ProblemKind::MissingField("uuid"), String::new()))?;
        let published_text = self
            .published
            .take()
            .ok_or((ProblemKind::MissingField("published"), String::new()))?;
        let published = Timestamp::parse(&published_text)
            .ok_or_else(|| (ProblemKind::BadTime, format!("{published_text:?}")))?;
        let event_type = self
            .event_type
            .take()
            .ok_or((ProblemKind::MissingField("eventType"), String::new()))?;
        self.event.uuid = uuid;
        self.event.published = published;
        self.event.event_type = event_type;
        Ok(&mut self.event)
    }

    /// Empties the record for the next one.
    pub fn clear(&mut self) {
        *self = Record::default();
    }
}

impl Default for Record<'_> {
    fn default() -> Self {
        Record {
            uuid: None,
            published: None,
            event_type: None,
            event: Event::new(Cow::Borrowed(""), Timestamp(0), Cow::Borrowed("")),
            envelope: None,
            deferred: Deferred::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Vec<std::result::Result<Event<'_>, (ProblemKind, String)>> {
        read_parts(json, Parts::ALL)
    }

    fn read_parts(
        json: &str,
        parts: Parts,
    ) -> Vec<std::result::Result<Event<'_>, (ProblemKind, String)>> {
        let mut events = Vec::new();
        record(&mut Cursor::new(json.as_bytes(), 0), parts, Parts::CORE)
            .expect("valid JSON")
            .emit_events(&mut |e| events.push(e.map(|(event, _)| event.clone())));
        events
    }

    /// `hunt` reads only `threatDetections` of the debugData entries, and finds the value a
    /// lookup among all of them finds: the first that is not null.
    #[test]
    fn threat_detections_alone_are_the_value_all_entries_give() {
        let json = r#"{"uuid":"u1","published":"2024-05-01T00:00:00Z","eventType":"x",
            "debugContext":{"debugData":{"threatDetections":null,"risk":"{level=HIGH}",
            "ThreatDetections":"{\"Password Spray\":\"HIGH\"}","threatDetections":"later"}}}"#;
        for (parts, risk) in [
            (Parts::THREATS, None),
            (Parts::DEBUG_DATA, Some("{level=HIGH}")),
            (Parts::ALL, Some("{level=HIGH}")),
        ] {
            let events = read_parts(json, parts);
            let event = events[0].as_ref().expect("an event");
            assert_eq!(
                event.debug_value("threatDetections"),
                Some(r#"{"Password Spray":"HIGH"}"#),
                "{parts:?}"
            );
            assert_eq!(event.debug_value("risk"), risk, "{parts:?}");
        }
        let events = read_parts(json, Parts::SECURITY);
        let event = events[0].as_ref().expect("an event");
        assert_eq!(event.debug_value("threatDetections"), None);
    }

    #[test]
    fn values_of_the_wrong_kind_are_read_leniently() {
        let events = read(
            r#"{"UUID":"u1","published":"2024-05-01T00:00:00Z","eventtype":"x","version":0,
            "client":{"userAgent":"curl/8","zone":"null","ipAddress":10,"geographicalContext":
            {"postalCode":10013,"geolocation":{"lat":"43.5","lon":[1]}}},
            "securityContext":{"asNumber":"AS64500","isProxy":"TRUE"},
            "outcome":{"result":"failure","reason":{"nested":true}},
            "debugcontext":{"debugData":{"requestUri":"/x","risk":"{level=HIGH}","n":null,"b":false}},
            "target":[null,"x",{"id":7}],"actor":[]}"#,
        );
        let event = events[0].as_ref().expect("an event");
        assert_eq!(event.uuid, "u1");
        assert_eq!(event.client.raw_user_agent, None);
        assert_eq!(event.client.zone, None);
        assert_eq!(event.client.ip_address.as_deref(), Some("10"));
        assert_eq!(event.client.postal_code.as_deref(), Some("10013"));
        assert_eq!((event.client.lat, event.client.lon), (Some(43.5), None));
        assert_eq!(event.security_context.as_number, Some(64500));
        assert_eq!(event.security_context.is_proxy, Some(true));
        assert_eq!(event.outcome.result, Some(OutcomeResult::Failure));
        assert_eq!(event.outcome.reason, None);
        assert_eq!(event.request_uri.as_deref(), Some("/x"));
        assert_eq!(event.debug_value("RISK"), Some("{level=HIGH}"));
        assert_eq!(event.debug_value("b"), Some("false"));
        assert_eq!(event.debug_value("n"), None);
        assert_eq!(event.targets.len(), 1);
        assert_eq!(event.targets[0].id.as_deref(), Some("7"));
        assert_eq!(event.actor, crate::event::Actor::default());
    }

    #[test]
    fn envelopes_give_their_events_and_missing_fields_are_named() {
        let events = read(
            r#"{"eventType":"com.okta.event_hook","data":{"events":[
            {"uuid":"a","published":"2024-05-01T00:00:00Z","eventType":"x"},
            {"uuid":"b","eventType":"x"},
            {"uuid":"c","published":"2024-02-30T00:00:00Z","eventType":"x"}]}}"#,
        );
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].as_ref().map(|e| e.uuid.as_ref()), Ok("a"));
        assert_eq!(
            events[1].as_ref().err(),
            Some(&(ProblemKind::MissingField("published"), String::new()))
        );
        assert_eq!(
            events[2].as_ref().err(),
            Some(&(ProblemKind::BadTime, "\"2024-02-30T00:00:00Z\"".to_string()))
        );
    }

    #[test]
    fn a_later_duplicate_key_wins() {
        let events =
            read(r#"{"uuid":"a","uuid":"b","published":"2024-05-01T00:00:00Z","eventType":"x"}"#);
        assert_eq!(events[0].as_ref().map(|e| e.uuid.as_ref()), Ok("b"));
    }
}
