//! The normalised Okta LogEvent every input shape is read into.
//!
//! Text borrows from the input buffer where it can (`Cow`), so a memory-mapped export is parsed
//! without copying most strings. Every field but `uuid`, `published` and `event_type` may be
//! absent: Okta documents most of them as nullable and re-exports drop more.

use std::borrow::Cow;

use serde::Serialize;

use crate::time::Timestamp;

/// Optional text, borrowed from the input where possible.
pub type Text<'a> = Option<Cow<'a, str>>;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    pub uuid: Cow<'a, str>,
    pub published: Timestamp,
    pub event_type: Cow<'a, str>,
    pub legacy_event_type: Text<'a>,
    pub display_message: Text<'a>,
    pub severity: Text<'a>,
    pub outcome: Outcome<'a>,
    pub actor: Actor<'a>,
    pub client: Client<'a>,
    pub security_context: SecurityContext<'a>,
    /// `debugContext.debugData.requestUri`, the signal of WS-Trust (basic) authentication.
    pub request_uri: Text<'a>,
    /// `debugContext.debugData.threatDetections` when a command reads it and not every entry
    /// ([`Parts::THREATS`]), so that collecting them all is left to the commands that show
    /// them; otherwise it is among `debug_data`. Read it with [`Event::debug_value`].
    #[serde(skip)]
    pub threat_detections: Text<'a>,
    /// The other `debugContext.debugData` entries with a value, in input order (JSON inputs
    /// only: the CSV exports carry no other debugData column).
    #[serde(serialize_with = "serialize_pairs")]
    pub debug_data: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub external_session_id: Text<'a>,
    pub transaction_id: Text<'a>,
    pub targets: Vec<Target<'a>>,
}

/// The parts of an event a command reads. Readers step over the rest without building it
/// (JSON objects are then checked for structure only), which is most of what makes a
/// question about a few fields fast. uuid, published, eventType, legacyEventType,
/// displayMessage, severity, outcome and `debugData.requestUri` are always read: they are
/// short, and de-duplication and classification need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts(u16);

impl Parts {
    pub const CORE: Parts = Parts(0);
    /// `actor.*`
    pub const ACTOR: Parts = Parts(1);
    /// `client.ipAddress`, `client.zone`, `client.device`
    pub const CLIENT: Parts = Parts(1 << 1);
    /// `client.userAgent.*`
    pub const USER_AGENT: Parts = Parts(1 << 2);
    /// `client.geographicalContext.*`
    pub const GEO: Parts = Parts(1 << 3);
    /// `securityContext.*`
    pub const SECURITY: Parts = Parts(1 << 4);
    /// The `debugContext.debugData` entries other than `requestUri`.
    pub const DEBUG_DATA: Parts = Parts(1 << 5);
    /// `authenticationContext.externalSessionId`
    pub const SESSION: Parts = Parts(1 << 6);
    /// `transaction.id`
    pub const TRANSACTION: Parts = Parts(1 << 7);
    /// `target[]`
    pub const TARGETS: Parts = Parts(1 << 8);
    /// `debugContext.debugData.threatDetections` alone: [`Parts::DEBUG_DATA`] holds it too,
    /// among every entry.
    pub const THREATS: Parts = Parts(1 << 9);
    pub const ALL: Parts = Parts((1 << 10) - 1);

    pub const fn with(self, other: Parts) -> Parts {
        Parts(self.0 | other.0)
    }

    pub const fn has(self, part: Parts) -> bool {
        self.0 & part.0 == part.0
    }

    /// The parts in both.
    pub const fn within(self, other: Parts) -> Parts {
        Parts(self.0 & other.0)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome<'a> {
    pub result: Option<OutcomeResult<'a>>,
    pub reason: Text<'a>,
}

/// `outcome.result`; values outside Okta's documented set are kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutcomeResult<'a> {
    Success,
    Failure,
    Skipped,
    Allow,
    Deny,
    Challenge,
    Unknown,
    Other(Cow<'a, str>),
}

impl<'a> OutcomeResult<'a> {
    pub fn parse(text: Cow<'a, str>) -> OutcomeResult<'a> {
        // Okta writes them in upper case: matched exactly first, as this runs for every event.
        match text.as_ref() {
            "SUCCESS" => return OutcomeResult::Success,
            "FAILURE" => return OutcomeResult::Failure,
            _ => {}
        }
        // A static, iterated by reference: a const array would be copied in on every call.
        static KNOWN: [(&str, OutcomeResult<'static>); 7] = [
            ("SUCCESS", OutcomeResult::Success),
            ("FAILURE", OutcomeResult::Failure),
            ("SKIPPED", OutcomeResult::Skipped),
            ("ALLOW", OutcomeResult::Allow),
            ("DENY", OutcomeResult::Deny),
            ("CHALLENGE", OutcomeResult::Challenge),
            ("UNKNOWN", OutcomeResult::Unknown),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| text.eq_ignore_ascii_case(name))
            .map_or(OutcomeResult::Other(text), |(_, result)| result.clone())
    }

    pub fn to_owned_result(&self) -> OutcomeResult<'static> {
        match self {
            OutcomeResult::Success => OutcomeResult::Success,
            OutcomeResult::Failure => OutcomeResult::Failure,
            OutcomeResult::Skipped => OutcomeResult::Skipped,
            OutcomeResult::Allow => OutcomeResult::Allow,
            OutcomeResult::Deny => OutcomeResult::Deny,
            OutcomeResult::Challenge => OutcomeResult::Challenge,
            OutcomeResult::Unknown => OutcomeResult::Unknown,
            OutcomeResult::Other(text) => OutcomeResult::Other(Cow::Owned(text.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            OutcomeResult::Success => "SUCCESS",
            OutcomeResult::Failure => "FAILURE",
            OutcomeResult::Skipped => "SKIPPED",
            OutcomeResult::Allow => "ALLOW",
            OutcomeResult::Deny => "DENY",
            OutcomeResult::Challenge => "CHALLENGE",
            OutcomeResult::Unknown => "UNKNOWN",
            OutcomeResult::Other(text) => text,
        }
    }
}

impl Serialize for OutcomeResult<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor<'a> {
    pub id: Text<'a>,
    #[serde(rename = "type")]
    pub kind: Text<'a>,
    pub alternate_id: Text<'a>,
    pub display_name: Text<'a>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Client<'a> {
    pub ip_address: Text<'a>,
    pub raw_user_agent: Text<'a>,
    pub os: Text<'a>,
    pub browser: Text<'a>,
    pub zone: Text<'a>,
    pub device: Text<'a>,
    pub city: Text<'a>,
    pub state: Text<'a>,
    pub country: Text<'a>,
    pub postal_code: Text<'a>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext<'a> {
    pub as_number: Option<u64>,
    pub as_org: Text<'a>,
    pub isp: Text<'a>,
    pub domain: Text<'a>,
    pub is_proxy: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target<'a> {
    pub id: Text<'a>,
    #[serde(rename = "type")]
    pub kind: Text<'a>,
    pub alternate_id: Text<'a>,
    pub display_name: Text<'a>,
}

impl Target<'_> {
    pub fn is_empty(&self) -> bool {
        self.id.is_none()
            && self.kind.is_none()
            && self.alternate_id.is_none()
            && self.display_name.is_none()
    }
}

impl<'a> Event<'a> {
    /// An event with its required fields and nothing else, to be filled in field by field.
    pub fn new(uuid: Cow<'a, str>, published: Timestamp, event_type: Cow<'a, str>) -> Event<'a> {
        Event {
            uuid,
            published,
            event_type,
            legacy_event_type: None,
            display_message: None,
            severity: None,
            outcome: Outcome::default(),
            actor: Actor::default(),
            client: Client::default(),
            security_context: SecurityContext::default(),
            request_uri: None,
            threat_detections: None,
            debug_data: Vec::new(),
            external_session_id: None,
            transaction_id: None,
            targets: Vec::new(),
        }
    }
}

impl Event<'_> {
    /// The identity of an event for de-duplication: its uuid and published time. Overlapping
    /// exports repeat events whole, while sanitised samples reuse one uuid for different
    /// events, which must not be merged.
    ///
    /// A 64-bit fingerprint, so that tens of millions of events fit in a few hundred
    /// megabytes: two different events share one with a probability of about n²/2⁶⁵ (one in
    /// 300,000 for ten million events); such a pair would count as a duplicate.
    pub fn fingerprint(&self) -> u64 {
        let uuid = parse_uuid(&self.uuid).unwrap_or_else(|| {
            // Not a canonical uuid: fingerprint the text.
            u128::from(text_hash(self.uuid.as_bytes())) | 1 << 127
        });
        let high = mix((uuid >> 64) as u64 ^ 0x9e37_79b9_7f4a_7c15);
        let low = mix(uuid as u64 ^ high);
        mix(low ^ (self.published.0 as u64).rotate_left(29))
    }

    /// A copy that owns its text, so it can outlive the input it was read from (`search` keeps
    /// its matches until the output is written).
    pub fn to_owned_event(&self) -> Event<'static> {
        let owned_cow = |text: &Cow<'_, str>| Cow::Owned(text.to_string());
        Event {
            uuid: owned_cow(&self.uuid),
            published: self.published,
            event_type: owned_cow(&self.event_type),
            legacy_event_type: owned(&self.legacy_event_type),
            display_message: owned(&self.display_message),
            severity: owned(&self.severity),
            outcome: Outcome {
                result: self
                    .outcome
                    .result
                    .as_ref()
                    .map(OutcomeResult::to_owned_result),
                reason: owned(&self.outcome.reason),
            },
            actor: Actor {
                id: owned(&self.actor.id),
                kind: owned(&self.actor.kind),
                alternate_id: owned(&self.actor.alternate_id),
                display_name: owned(&self.actor.display_name),
            },
            client: Client {
                ip_address: owned(&self.client.ip_address),
                raw_user_agent: owned(&self.client.raw_user_agent),
                os: owned(&self.client.os),
                browser: owned(&self.client.browser),
                zone: owned(&self.client.zone),
                device: owned(&self.client.device),
                city: owned(&self.client.city),
                state: owned(&self.client.state),
                country: owned(&self.client.country),
                postal_code: owned(&self.client.postal_code),
                lat: self.client.lat,
                lon: self.client.lon,
            },
            security_context: SecurityContext {
                as_number: self.security_context.as_number,
                as_org: owned(&self.security_context.as_org),
                isp: owned(&self.security_context.isp),
                domain: owned(&self.security_context.domain),
                is_proxy: self.security_context.is_proxy,
            },
            request_uri: owned(&self.request_uri),
            threat_detections: owned(&self.threat_detections),
            debug_data: self
                .debug_data
                .iter()
                .map(|(key, value)| (owned_cow(key), owned_cow(value)))
                .collect(),
            external_session_id: owned(&self.external_session_id),
            transaction_id: owned(&self.transaction_id),
            targets: self
                .targets
                .iter()
                .map(|target| Target {
                    id: owned(&target.id),
                    kind: owned(&target.kind),
                    alternate_id: owned(&target.alternate_id),
                    display_name: owned(&target.display_name),
                })
                .collect(),
        }
    }

    /// A `debugContext.debugData` entry by name (ignoring case, as SIEM re-exports change it).
    pub fn debug_value(&self, key: &str) -> Option<&str> {
        if key.eq_ignore_ascii_case("requestUri") {
            return self.request_uri.as_deref();
        }
        let entry = self
            .debug_data
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_ref());
        if key.eq_ignore_ascii_case("threatDetections") {
            return entry.or(self.threat_detections.as_deref());
        }
        entry
    }
}

/// A 64-bit hash of `text`, eight bytes at a time through [`mix`], fixed here so that it never
/// changes with the toolchain.
pub fn text_hash(text: &[u8]) -> u64 {
    text.chunks(8).fold(text.len() as u64, |hash, word| {
        let mut bytes = [0u8; 8];
        bytes[..word.len()].copy_from_slice(word);
        mix(hash ^ u64::from_le_bytes(bytes)).rotate_left(23)
    })
}

/// MurmurHash3's 64-bit finaliser: every input bit affects every output bit.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Eight hex digits, the first in the lowest byte of `word`, as a number; `None` when any byte
/// is not a hex digit. All eight at once (SWAR): this runs for every event read, and a digit at
/// a time was 4% of reading a CSV export.
fn hex_digits(word: u64) -> Option<u32> {
    if word & HIGH_BITS != 0 {
        return None;
    }
    // Below 0x80 every byte plus an offset below 0x80 stays within its byte: each high bit then
    // says whether that byte reached the bound.
    let at_least = |x: u64, bound: u8| x + LOW_BITS * u64::from(0x80 - bound);
    let digit = at_least(word, b'0') & !at_least(word, b'9' + 1);
    let folded = word | (LOW_BITS * 0x20);
    let letter = at_least(folded, b'a') & !at_least(folded, b'f' + 1);
    if (digit | letter) & HIGH_BITS != HIGH_BITS {
        return None;
    }
    // '0'..'9' are 0x30..0x39 and letters 0x41.. or 0x61..: the low nibble, plus 9 for letters.
    let values = (word & (LOW_BITS * 0x0f)) + 9 * (word >> 6 & LOW_BITS);
    let pairs = (values & 0x000f_000f_000f_000f) << 4 | (values >> 8 & 0x000f_000f_000f_000f);
    let quads = (pairs & 0x0000_00ff_0000_00ff) << 8 | (pairs >> 16 & 0x0000_00ff_0000_00ff);
    Some(((quads & 0xffff) << 16 | (quads >> 32 & 0xffff)) as u32)
}

/// A canonical uuid (`8-4-4-4-12` hex digits, any case) as a number.
pub(crate) fn parse_uuid(text: &str) -> Option<u128> {
    let bytes: &[u8; 36] = text.as_bytes().try_into().ok()?;
    if [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
        return None;
    }
    let eight = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    let four = |at: usize| {
        u64::from(u32::from_le_bytes(
            bytes[at..at + 4].try_into().unwrap_or_default(),
        ))
    };
    let words = [
        eight(0),
        four(9) | four(14) << 32,
        four(19) | four(24) << 32,
        eight(28),
    ];
    let mut value = 0u128;
    for word in words {
        value = value << 32 | u128::from(hex_digits(word)?);
    }
    Some(value)
}

fn serialize_pairs<S: serde::Serializer>(
    pairs: &[(Cow<'_, str>, Cow<'_, str>)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (key, value) in pairs {
        map.serialize_entry(key, value)?;
    }
    map.end()
}

fn owned(text: &Text<'_>) -> Text<'static> {
    text.as_deref().map(|t| Cow::Owned(t.to_string()))
}

/// Normalises a text value as read: empty strings and the string `"null"` (which Okta writes in
/// `client.zone`) mean absent, so every shape agrees on what is missing.
#[inline]
pub fn text(value: Cow<'_, str>) -> Text<'_> {
    if value.is_empty() || value == "null" {
        None
    } else {
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED_CANONICAL: u64 = 10_846_610_360_262_199_578;
    const PINNED_TEXT: u64 = 2_891_920_168_088_167_412;

    /// Fingerprints are pinned: they decide what counts as a duplicate, so a change must be
    /// deliberate.
    #[test]
    fn fingerprints_are_fixed_values() {
        let at = |uuid: &'static str, ms: i64| {
            Event::new(Cow::Borrowed(uuid), Timestamp(ms), Cow::Borrowed("x")).fingerprint()
        };
        assert_eq!(
            at("f1d0b993-cc19-11ed-a688-db22c99ef6c4", 0),
            at("F1D0B993-CC19-11ED-A688-DB22C99EF6C4", 0)
        );
        assert_ne!(
            at("f1d0b993-cc19-11ed-a688-db22c99ef6c4", 0),
            at("f1d0b993-cc19-11ed-a688-db22c99ef6c4", 1)
        );
        assert_ne!(at("AbC-123-XyZ", 0), at("AbC-123-XyZ ", 0));
        assert_eq!(
            [
                at("f1d0b993-cc19-11ed-a688-db22c99ef6c4", 1_714_568_400_000),
                at("AbC-123-XyZ", 0)
            ],
            [PINNED_CANONICAL, PINNED_TEXT]
        );
    }

    #[test]
    fn canonical_uuids_become_numbers() {
        assert_eq!(parse_uuid("00000000-0000-0000-0000-00000000000a"), Some(10));
        assert_eq!(
            parse_uuid("F1D0B993-CC19-11ED-A688-DB22C99EF6C4"),
            parse_uuid("f1d0b993-cc19-11ed-a688-db22c99ef6c4")
        );
        assert_eq!(parse_uuid("abcdefg"), None);
        assert_eq!(
            parse_uuid("01234567-89ab-cdef-ABCD-EF0123456789"),
            Some(0x0123_4567_89ab_cdef_abcd_ef01_2345_6789)
        );
        // Every byte that is not a hex digit, in every position of every group.
        let valid = "f1d0b993-cc19-11ed-a688-db22c99ef6c4";
        for at in (0..36).filter(|i| ![8, 13, 18, 23].contains(i)) {
            for byte in (0..=255u8).filter(|b| !b.is_ascii_hexdigit()) {
                let mut text = valid.as_bytes().to_vec();
                text[at] = byte;
                if let Ok(text) = std::str::from_utf8(&text) {
                    assert_eq!(parse_uuid(text), None, "{text:?}");
                }
            }
        }
        assert_eq!(parse_uuid("f1d0b993-cc19-11ed-a688-db22c99ef6cz"), None);
    }
}
