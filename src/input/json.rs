//! JSON shapes: System Log API pages (arrays, possibly several concatenated), NDJSON lines,
//! single or pretty-printed objects, and Event Hook envelopes (`data.events[]`).
//!
//! Records are found by walking the top level: whitespace, commas and array brackets between
//! records are skipped, each object is deserialized in place by serde (borrowing strings), and
//! an object that fails is stepped over by brace matching so the records after it still count.

use std::borrow::Cow;

use memchr::{memchr2, memchr3};
use serde::Deserialize;

use crate::event::{Actor, Client, Event, Outcome, OutcomeResult, SecurityContext, Target};
use crate::input::ChunkOutput;
use crate::input::lenient::{
    LenientNumber, LenientPairs, LenientText, lenient_object, parse_as_number, parse_bool,
};
use crate::input::problem::{Problem, ProblemKind};
use crate::time::Timestamp;

/// Reads every record in `data` (a chunk cut at record boundaries, or one NDJSON line, then
/// `one_line` is set) whose first byte sits at `base` within the chunk.
pub fn read_records<'a>(data: &'a [u8], base: usize, one_line: bool, out: &mut ChunkOutput<'a>) {
    let mut pos = 0;
    while pos < data.len() {
        match data[pos] {
            b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' => pos += 1,
            b'{' => pos = read_object(data, pos, base, one_line, out),
            _ => {
                let end = memchr3(b'{', b'[', b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
                let excerpt = String::from_utf8_lossy(&data[pos..end.min(pos + 40)]);
                out.problems.push(Problem::new(
                    ProblemKind::UnexpectedText,
                    base + pos,
                    format!("{:?}", excerpt.trim_end()),
                ));
                pos = end.max(pos + 1);
            }
        }
    }
}

/// Reads the object starting at `start` and returns the offset just past it. A record that
/// does not parse is reported where the parser stopped, and stepped over by brace matching;
/// one that the data ends inside is truncated, unless it is an NDJSON line (then it is broken).
fn read_object<'a>(
    data: &'a [u8],
    start: usize,
    base: usize,
    one_line: bool,
    out: &mut ChunkOutput<'a>,
) -> usize {
    let mut stream = serde_json::Deserializer::from_slice(&data[start..]).into_iter::<RawEvent>();
    let error = match stream.next() {
        Some(Ok(raw)) => {
            let end = start + stream.byte_offset();
            raw.emit(base + start, out);
            return end;
        }
        None => return data.len(),
        Some(Err(error)) => error,
    };
    let end = object_end(data, start);
    if end.is_none() && !one_line {
        out.problems.push(Problem::new(
            ProblemKind::Truncated,
            base + start,
            format!(
                "{} bytes, the input ends inside the record",
                data.len() - start
            ),
        ));
        return data.len();
    }
    let at = start + error_offset(&data[start..], &error);
    let message = error.to_string();
    let message = message
        .rfind(" at line ")
        .map_or(message.as_str(), |i| &message[..i]);
    out.problems.push(Problem::new(
        ProblemKind::InvalidJson,
        base + at.min(data.len()),
        message,
    ));
    end.unwrap_or(data.len())
}

/// The byte offset within `data` of the line and column serde reports an error at.
fn error_offset(data: &[u8], error: &serde_json::Error) -> usize {
    let line_start = if error.line() <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', data)
            .nth(error.line() - 2)
            .map_or(data.len(), |i| i + 1)
    };
    line_start + error.column().saturating_sub(1)
}

/// The offset just past the object opening at `start`, matching braces outside strings; `None`
/// when the data ends first.
pub fn object_end(data: &[u8], start: usize) -> Option<usize> {
    BraceScanner::at(start).next_record_end(data, start)
}

/// Tracks brace depth and string state across a JSON byte stream so that record boundaries can
/// be found without parsing. Used both to step over broken records and to cut large inputs
/// into chunks that end exactly after a record.
#[derive(Debug, Default, Clone)]
pub struct BraceScanner {
    pub pos: usize,
    depth: u32,
    in_string: bool,
}

impl BraceScanner {
    pub fn at(pos: usize) -> BraceScanner {
        BraceScanner {
            pos,
            ..BraceScanner::default()
        }
    }

    /// The first offset at or after `min` that closes a top-level object, scanning on from where
    /// the previous call stopped; `None` when `data` ends first (the state is kept).
    pub fn next_record_end(&mut self, data: &[u8], min: usize) -> Option<usize> {
        while self.pos < data.len() {
            let rest = &data[self.pos..];
            if self.in_string {
                match memchr2(b'"', b'\\', rest) {
                    Some(i) if rest[i] == b'\\' => self.pos += i + 2,
                    Some(i) => {
                        self.pos += i + 1;
                        self.in_string = false;
                    }
                    None => self.pos = data.len(),
                }
                continue;
            }
            match memchr3(b'"', b'{', b'}', rest) {
                Some(i) => {
                    self.pos += i + 1;
                    match rest[i] {
                        b'"' => self.in_string = true,
                        b'{' => self.depth += 1,
                        _ => {
                            self.depth = self.depth.saturating_sub(1);
                            if self.depth == 0 && self.pos >= min {
                                return Some(self.pos);
                            }
                        }
                    }
                }
                None => self.pos = data.len(),
            }
        }
        self.pos = self.pos.min(data.len());
        None
    }
}

/// Checks that the first JSON record of a file looks like a LogEvent or an Event Hook envelope,
/// so that catalogues and unrelated JSON are refused by name rather than skipped record by
/// record. `Ok` when the first record cannot be read in full: the reader will report it.
pub fn check_first_record(data: &[u8]) -> Result<(), String> {
    let Some(start) = data.iter().position(|&b| b == b'{') else {
        return Ok(());
    };
    let mut deserializer = serde_json::Deserializer::from_slice(&data[start..]);
    match RawEvent::deserialize(&mut deserializer) {
        Ok(raw) if raw.looks_like_event() => Ok(()),
        Ok(_) => Err("JSON whose first object has no uuid, published or eventType".into()),
        Err(_) => Ok(()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawEvent<'a> {
    #[serde(borrow)]
    uuid: LenientText<'a>,
    #[serde(borrow)]
    published: LenientText<'a>,
    #[serde(borrow, rename = "eventType", alias = "eventtype")]
    event_type: LenientText<'a>,
    #[serde(borrow, rename = "legacyEventType", alias = "legacyeventtype")]
    legacy_event_type: LenientText<'a>,
    #[serde(borrow, rename = "displayMessage", alias = "displaymessage")]
    display_message: LenientText<'a>,
    #[serde(borrow)]
    severity: LenientText<'a>,
    #[serde(borrow, deserialize_with = "lenient_object")]
    outcome: Option<RawOutcome<'a>>,
    #[serde(borrow, deserialize_with = "lenient_object")]
    actor: Option<RawActor<'a>>,
    #[serde(borrow, deserialize_with = "lenient_object")]
    client: Option<RawClient<'a>>,
    #[serde(
        borrow,
        rename = "securityContext",
        alias = "securitycontext",
        deserialize_with = "lenient_object"
    )]
    security_context: Option<RawSecurityContext<'a>>,
    #[serde(
        borrow,
        rename = "debugContext",
        alias = "debugcontext",
        deserialize_with = "lenient_object"
    )]
    debug_context: Option<RawDebugContext<'a>>,
    #[serde(
        borrow,
        rename = "authenticationContext",
        alias = "authenticationcontext",
        deserialize_with = "lenient_object"
    )]
    authentication_context: Option<RawAuthenticationContext<'a>>,
    #[serde(borrow, deserialize_with = "lenient_object")]
    transaction: Option<RawTransaction<'a>>,
    #[serde(borrow, deserialize_with = "lenient_targets")]
    target: Vec<RawTarget<'a>>,
    /// Event Hook envelope: `{"eventType":"com.okta.event_hook", "data":{"events":[...]}}`.
    #[serde(borrow, deserialize_with = "lenient_object")]
    data: Option<RawEnvelopeData<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawEnvelopeData<'a> {
    #[serde(borrow)]
    events: Vec<RawEvent<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawOutcome<'a> {
    #[serde(borrow)]
    result: LenientText<'a>,
    #[serde(borrow)]
    reason: LenientText<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawActor<'a> {
    #[serde(borrow)]
    id: LenientText<'a>,
    #[serde(borrow, rename = "type")]
    kind: LenientText<'a>,
    #[serde(borrow, rename = "alternateId", alias = "alternateid")]
    alternate_id: LenientText<'a>,
    #[serde(borrow, rename = "displayName", alias = "displayname")]
    display_name: LenientText<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawClient<'a> {
    #[serde(borrow, rename = "ipAddress", alias = "ipaddress")]
    ip_address: LenientText<'a>,
    #[serde(
        borrow,
        rename = "userAgent",
        alias = "useragent",
        deserialize_with = "lenient_object"
    )]
    user_agent: Option<RawUserAgent<'a>>,
    #[serde(borrow)]
    zone: LenientText<'a>,
    #[serde(borrow)]
    device: LenientText<'a>,
    #[serde(
        borrow,
        rename = "geographicalContext",
        alias = "geographicalcontext",
        deserialize_with = "lenient_object"
    )]
    geographical_context: Option<RawGeo<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawUserAgent<'a> {
    #[serde(borrow, rename = "rawUserAgent", alias = "rawuseragent")]
    raw_user_agent: LenientText<'a>,
    #[serde(borrow)]
    os: LenientText<'a>,
    #[serde(borrow)]
    browser: LenientText<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawGeo<'a> {
    #[serde(borrow)]
    city: LenientText<'a>,
    #[serde(borrow)]
    state: LenientText<'a>,
    #[serde(borrow)]
    country: LenientText<'a>,
    #[serde(borrow, rename = "postalCode", alias = "postalcode")]
    postal_code: LenientText<'a>,
    #[serde(deserialize_with = "lenient_object")]
    geolocation: Option<RawGeolocation>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawGeolocation {
    lat: LenientNumber,
    lon: LenientNumber,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSecurityContext<'a> {
    #[serde(borrow, rename = "asNumber", alias = "asnumber")]
    as_number: LenientText<'a>,
    #[serde(borrow, rename = "asOrg", alias = "asorg")]
    as_org: LenientText<'a>,
    #[serde(borrow)]
    isp: LenientText<'a>,
    #[serde(borrow)]
    domain: LenientText<'a>,
    #[serde(borrow, rename = "isProxy", alias = "isproxy")]
    is_proxy: LenientText<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawDebugContext<'a> {
    #[serde(borrow, rename = "debugData", alias = "debugdata")]
    debug_data: LenientPairs<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAuthenticationContext<'a> {
    #[serde(borrow, rename = "externalSessionId", alias = "externalsessionid")]
    external_session_id: LenientText<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawTransaction<'a> {
    #[serde(borrow)]
    id: LenientText<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawTarget<'a> {
    #[serde(borrow)]
    id: LenientText<'a>,
    #[serde(borrow, rename = "type")]
    kind: LenientText<'a>,
    #[serde(borrow, rename = "alternateId", alias = "alternateid")]
    alternate_id: LenientText<'a>,
    #[serde(borrow, rename = "displayName", alias = "displayname")]
    display_name: LenientText<'a>,
}

/// `target` is an array of objects, or null; elements that are not objects are dropped.
fn lenient_targets<'de, D>(deserializer: D) -> Result<Vec<RawTarget<'de>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    crate::input::lenient::lenient_object_list(deserializer)
}

impl<'a> RawEvent<'a> {
    fn looks_like_event(&self) -> bool {
        self.uuid.0.is_some()
            || self.published.0.is_some()
            || self.event_type.0.is_some()
            || self.data.as_ref().is_some_and(|d| !d.events.is_empty())
    }

    /// Adds this record to `out`: an event, the events of an envelope, or a problem.
    fn emit(self, offset: usize, out: &mut ChunkOutput<'a>) {
        if self.uuid.0.is_none()
            && let Some(envelope) = self.data
        {
            for inner in envelope.events {
                inner.emit(offset, out);
            }
            return;
        }
        match self.into_event() {
            Ok(event) => out.events.push(event),
            Err((kind, detail)) => out.problems.push(Problem::new(kind, offset, detail)),
        }
    }

    fn into_event(self) -> Result<Event<'a>, (ProblemKind, String)> {
        let uuid = self
            .uuid
            .0
            .ok_or((ProblemKind::MissingField("uuid"), String::new()))?;
        let published_text = self
            .published
            .0
            .ok_or((ProblemKind::MissingField("published"), String::new()))?;
        let published = Timestamp::parse(&published_text)
            .ok_or_else(|| (ProblemKind::BadTime, format!("{published_text:?}")))?;
        let event_type = self
            .event_type
            .0
            .ok_or((ProblemKind::MissingField("eventType"), String::new()))?;
        let outcome = self.outcome.unwrap_or_default();
        let actor = self.actor.unwrap_or_default();
        let client = self.client.unwrap_or_default();
        let user_agent = client.user_agent.unwrap_or_default();
        let geo = client.geographical_context.unwrap_or_default();
        let geolocation = geo.geolocation.unwrap_or_default();
        let security = self.security_context.unwrap_or_default();
        let mut debug_data = self
            .debug_context
            .map(|d| d.debug_data.0)
            .unwrap_or_default();
        let request_uri = debug_data
            .iter()
            .position(|(key, _)| key.eq_ignore_ascii_case("requestUri"))
            .map(|i| debug_data.remove(i).1);
        Ok(Event {
            uuid,
            published,
            event_type,
            legacy_event_type: self.legacy_event_type.0,
            display_message: self.display_message.0,
            severity: self.severity.0,
            outcome: Outcome {
                result: outcome.result.0.map(OutcomeResult::parse),
                reason: outcome.reason.0,
            },
            actor: Actor {
                id: actor.id.0,
                kind: actor.kind.0,
                alternate_id: actor.alternate_id.0,
                display_name: actor.display_name.0,
            },
            client: Client {
                ip_address: client.ip_address.0,
                raw_user_agent: user_agent.raw_user_agent.0,
                os: user_agent.os.0,
                browser: user_agent.browser.0,
                zone: client.zone.0,
                device: client.device.0,
                city: geo.city.0,
                state: geo.state.0,
                country: geo.country.0,
                postal_code: geo.postal_code.0,
                lat: geolocation.lat.0,
                lon: geolocation.lon.0,
            },
            security_context: SecurityContext {
                as_number: security.as_number.0.as_deref().and_then(parse_as_number),
                as_org: security.as_org.0,
                isp: security.isp.0,
                domain: security.domain.0,
                is_proxy: security.is_proxy.0.as_deref().and_then(parse_bool),
            },
            request_uri,
            debug_data,
            external_session_id: self
                .authentication_context
                .and_then(|a| a.external_session_id.0),
            transaction_id: self.transaction.and_then(|t| t.id.0),
            targets: self
                .target
                .into_iter()
                .map(|t| Target {
                    id: t.id.0,
                    kind: t.kind.0,
                    alternate_id: t.alternate_id.0,
                    display_name: t.display_name.0,
                })
                .collect(),
        })
    }
}

/// Reads the `target` column of camelCase CSV re-exports, which holds the JSON array itself.
pub fn targets_from_json(text: &str) -> Vec<Target<'static>> {
    let own = |t: Option<Cow<'_, str>>| t.map(|c| Cow::Owned(c.into_owned()));
    let mut deserializer = serde_json::Deserializer::from_str(text);
    lenient_targets(&mut deserializer)
        .unwrap_or_default()
        .into_iter()
        .map(|t| Target {
            id: own(t.id.0),
            kind: own(t.kind.0),
            alternate_id: own(t.alternate_id.0),
            display_name: own(t.display_name.0),
        })
        .collect()
}
