//! The compact records detections work on, and the [`Hunt`] aggregate that collects them.
//!
//! Only events some detection needs are kept — sign-in attempts that succeeded, failed or were
//! denied, MFA verifications, pushes, lockouts and ThreatInsight events — never the whole
//! stream, and each as a few small fields: texts, places and sources are kept once in a table
//! and referred to by id, because millions of records repeat a few thousand of them.

use std::hash::BuildHasher;
use std::num::NonZeroU32;

use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use crate::classify::{is_denied, is_failure, is_legacy, is_success, user_key};
use crate::detect::password_in_username::looks_like_password;
use crate::event::{Event, Parts, parse_uuid};
use crate::memory::release_freed;
use crate::pipeline::Aggregate;
use crate::time::Timestamp;

/// What a kept event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A credential check: `user.session.start` or `user.authentication.*` other than
    /// `auth_via_mfa` (a second factor), `sso`, `slo` and `universal_logout*` (no credential is
    /// checked there).
    SignIn = 0,
    /// `user.authentication.auth_via_mfa`: a second factor verified or refused.
    Mfa = 1,
    /// `system.push.send_factor_verify_push`: an Okta Verify push was sent.
    PushSent = 2,
    /// `user.mfa.okta_verify.deny_push`: the user refused a push.
    PushDenied = 3,
    /// `user.account.lock`.
    Lock = 4,
    /// `security.threat.detected`: Okta ThreatInsight flagged the request.
    Threat = 5,
}

/// `outcome.result`, as detections need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Outcome {
    Success = 0,
    /// FAILURE or DENY.
    Failure = 1,
    Other = 2,
}

/// One kept event, in 32 bytes: its texts and its source are ids into the [`Table`] of its
/// [`Hunt`], and its kind, outcome and flags share one word with its time. Millions are kept,
/// so each byte here is megabytes of a large export. The rare typed secret or threats are in
/// the table ([`Table::typed_secret`], [`Table::threats`]).
#[derive(Clone, Copy, PartialEq)]
pub struct Record {
    /// `published` shifted left by [`FLAG_BITS`], the flags in the bits below: a time that
    /// [`Timestamp::parse`] accepts (years 0000 to 9999) takes under 50 bits.
    time_and_flags: i64,
    /// A canonical uuid's 16 bytes, or (flag [`UUID_IS_TEXT`]) a text id in the first four.
    uuid: [u8; 16],
    /// `actor.alternateId` in lower case; `None` for `unknown` and for a password typed as the
    /// username, so that a secret never reaches another finding's list of users.
    pub user: Option<TextId>,
    pub source: SourceId,
}

const FLAG_BITS: u32 = 8;
const KIND_MASK: i64 = 0b111;
const OUTCOME_SHIFT: u32 = 3;
const OUTCOME_MASK: i64 = 0b11 << OUTCOME_SHIFT;
const LEGACY: i64 = 1 << 5;
const UUID_IS_TEXT: i64 = 1 << 6;
/// The table holds a typed secret or threats for the record.
const HAS_DETAIL: i64 = 1 << 7;

impl Record {
    /// A record without user or legacy flag; the `with_` methods add them.
    pub fn new(
        published: Timestamp,
        uuid: Uuid,
        kind: Kind,
        outcome: Outcome,
        source: SourceId,
    ) -> Record {
        let flags = kind as i64 | (outcome as i64) << OUTCOME_SHIFT;
        let mut record = Record {
            time_and_flags: published.0.wrapping_shl(FLAG_BITS) | flags,
            uuid: [0; 16],
            user: None,
            source,
        };
        record.set_uuid(uuid);
        record
    }

    /// Legacy (basic) authentication, see [`crate::classify::is_legacy`].
    pub fn with_legacy(mut self, legacy: bool) -> Record {
        let flags = self.flags() & !LEGACY;
        self.set_flags(if legacy { flags | LEGACY } else { flags });
        self
    }

    pub fn with_user(mut self, user: Option<TextId>) -> Record {
        self.user = user;
        self
    }

    pub fn published(&self) -> Timestamp {
        Timestamp(self.time_and_flags >> FLAG_BITS)
    }

    pub fn kind(&self) -> Kind {
        match self.flags() & KIND_MASK {
            0 => Kind::SignIn,
            1 => Kind::Mfa,
            2 => Kind::PushSent,
            3 => Kind::PushDenied,
            4 => Kind::Lock,
            _ => Kind::Threat,
        }
    }

    pub fn outcome(&self) -> Outcome {
        match (self.flags() & OUTCOME_MASK) >> OUTCOME_SHIFT {
            0 => Outcome::Success,
            1 => Outcome::Failure,
            _ => Outcome::Other,
        }
    }

    pub fn legacy(&self) -> bool {
        self.flags() & LEGACY != 0
    }

    pub fn uuid(&self) -> Uuid {
        let bytes = self.uuid;
        if self.flags() & UUID_IS_TEXT == 0 {
            return Uuid::Lower(bytes);
        }
        let id = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        NonZeroU32::new(id).map_or(Uuid::Lower(bytes), |id| Uuid::Other(TextId(id)))
    }

    pub fn is_failed_sign_in(&self) -> bool {
        self.kind() == Kind::SignIn && self.outcome() == Outcome::Failure
    }

    pub fn is_successful_sign_in(&self) -> bool {
        self.kind() == Kind::SignIn && self.outcome() == Outcome::Success
    }

    fn flags(&self) -> i64 {
        self.time_and_flags & ((1 << FLAG_BITS) - 1)
    }

    fn set_flags(&mut self, flags: i64) {
        self.time_and_flags = (self.time_and_flags & !((1 << FLAG_BITS) - 1)) | flags;
    }

    fn has_detail(&self) -> bool {
        self.flags() & HAS_DETAIL != 0
    }

    fn set_has_detail(&mut self, has: bool) {
        let flags = self.flags() & !HAS_DETAIL;
        self.set_flags(if has { flags | HAS_DETAIL } else { flags });
    }

    /// What the table files the record's detail under: de-duplication leaves no two records
    /// with the same uuid and time.
    fn detail_key(&self) -> (Uuid, Timestamp) {
        (self.uuid(), self.published())
    }

    fn set_uuid(&mut self, uuid: Uuid) {
        let flags = self.flags() & !UUID_IS_TEXT;
        match uuid {
            Uuid::Lower(bytes) => {
                self.uuid = bytes;
                self.set_flags(flags);
            }
            Uuid::Other(id) => {
                self.uuid = [0; 16];
                self.uuid[..4].copy_from_slice(&id.0.get().to_le_bytes());
                self.set_flags(flags | UUID_IS_TEXT);
            }
        }
    }
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("published", &self.published())
            .field("uuid", &self.uuid())
            .field("kind", &self.kind())
            .field("outcome", &self.outcome())
            .field("legacy", &self.legacy())
            .field("user", &self.user)
            .field("source", &self.source)
            .field("has_detail", &self.has_detail())
            .finish()
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

/// The kind and outcome of an event detections need, `None` for the others.
fn kept(event: &Event<'_>) -> Option<(Kind, Outcome)> {
    let kind = kind_of(&event.event_type)?;
    let outcome = if is_success(event) {
        Outcome::Success
    } else if is_failure(event) || is_denied(event) {
        Outcome::Failure
    } else {
        Outcome::Other
    };
    let checked = matches!(kind, Kind::SignIn | Kind::Mfa);
    (!checked || outcome != Outcome::Other).then_some((kind, outcome))
}

/// A text of a [`Table`]: four bytes where a shared string took sixteen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextId(NonZeroU32);

/// A latitude and longitude of a [`Table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlaceId(NonZeroU32);

/// A [`Source`] of a [`Table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceId(NonZeroU32);

/// Where an event came from. A client sends many events alike in all of these, so a record
/// refers to them as one entry of its table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Source {
    pub ip: Option<TextId>,
    pub user_agent: Option<TextId>,
    pub country: Option<TextId>,
    /// Latitude and longitude in degrees.
    pub location: Option<PlaceId>,
    /// `AS14061 digitalocean, llc`.
    pub asn: Option<TextId>,
    /// `securityContext.isProxy`.
    pub proxy: bool,
}

/// An event's uuid. Canonical lower-case ones, nearly all of them, are kept as their 16 bytes;
/// any other text, upper case included, as it was, so that it prints back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Uuid {
    Lower([u8; 16]),
    Other(TextId),
}

/// An event's uuid outside the [`Table`]: a finding lists one per evidence event, hundreds of
/// thousands on a large export, so a canonical one is kept as its 16 bytes (24 with the tag,
/// where a `String` took 72 with its heap block) and printed back in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventUuid {
    Canonical([u8; 16]),
    /// Any other text, as it was.
    Text(Box<str>),
}

impl std::fmt::Display for EventUuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventUuid::Canonical(bytes) => {
                let value = u128::from_be_bytes(*bytes);
                let group = |shift: u32, mask: u128| (value >> shift) & mask;
                write!(
                    f,
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    group(96, 0xffff_ffff),
                    group(80, 0xffff),
                    group(64, 0xffff),
                    group(48, 0xffff),
                    group(0, 0xffff_ffff_ffff)
                )
            }
            EventUuid::Text(text) => f.write_str(text),
        }
    }
}

impl serde::Serialize for EventUuid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The texts, places and sources records refer to, each kept once, numbered in order of first
/// use.
#[derive(Debug, Default, Clone)]
pub struct Table {
    texts: Texts,
    places: Vec<(f64, f64)>,
    /// By the bits of latitude and longitude, so that only identical numbers share an id.
    place_ids: FxHashMap<(u64, u64), PlaceId>,
    sources: Vec<Source>,
    source_ids: FxHashMap<Source, SourceId>,
    /// The typed secret of a failed sign-in or the threats of a Threat record, by the record's
    /// [`Record::detail_key`]: few records have one, so they are kept here rather than in a
    /// slot that every record would pay for.
    details: FxHashMap<(Uuid, Timestamp), TextId>,
}

/// The texts of a [`Table`], one after another in one string: a text costs its bytes and an
/// offset, where a shared string of its own cost three times that.
#[derive(Debug, Default, Clone)]
struct Texts {
    bytes: String,
    /// Where each text ends in `bytes`.
    ends: Vec<usize>,
    /// The id of each text by a hash of it, while texts are added.
    by_hash: FxHashMap<u64, TextId>,
    /// The texts whose hash an earlier, different text had already.
    collided: FxHashMap<Box<str>, TextId>,
}

impl Texts {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, index: usize) -> Option<&str> {
        text_at(&self.bytes, &self.ends, index)
    }

    fn id(&mut self, text: &str) -> TextId {
        let hash = FxBuildHasher.hash_one(text);
        let held = self.by_hash.get(&hash).copied();
        if let Some(id) = held
            && self.get(index_of(id.0)) == Some(text)
        {
            return id;
        }
        if held.is_some()
            && let Some(&id) = self.collided.get(text)
        {
            return id;
        }
        let id = TextId(id_at(self.ends.len()));
        self.bytes.push_str(text);
        self.ends.push(self.bytes.len());
        if held.is_some() {
            self.collided.insert(text.into(), id);
        } else {
            self.by_hash.insert(hash, id);
        }
        id
    }

    fn stop_adding(&mut self) {
        self.by_hash = FxHashMap::default();
        self.collided = FxHashMap::default();
    }
}

fn text_at<'t>(bytes: &'t str, ends: &[usize], index: usize) -> Option<&'t str> {
    let start = index
        .checked_sub(1)
        .map_or(Some(0), |before| ends.get(before).copied())?;
    bytes.get(start..*ends.get(index)?)
}

/// The id of the `index`th entry of a table: ids count from 1, so that `None` costs nothing.
fn id_at(index: usize) -> NonZeroU32 {
    u32::try_from(index + 1)
        .ok()
        .and_then(NonZeroU32::new)
        .unwrap_or(NonZeroU32::MAX)
}

fn index_of(id: NonZeroU32) -> usize {
    id.get() as usize - 1
}

impl Table {
    pub fn text_id(&mut self, text: &str) -> TextId {
        self.texts.id(text)
    }

    pub fn place_id(&mut self, place: (f64, f64)) -> PlaceId {
        let places = &mut self.places;
        *self
            .place_ids
            .entry((place.0.to_bits(), place.1.to_bits()))
            .or_insert_with(|| {
                places.push(place);
                PlaceId(id_at(places.len() - 1))
            })
    }

    pub fn source_id(&mut self, source: Source) -> SourceId {
        let sources = &mut self.sources;
        *self.source_ids.entry(source).or_insert_with(|| {
            sources.push(source);
            SourceId(id_at(sources.len() - 1))
        })
    }

    pub fn uuid_of(&mut self, text: &str) -> Uuid {
        match parse_uuid(text) {
            Some(value) if !text.bytes().any(|b| b.is_ascii_uppercase()) => {
                Uuid::Lower(value.to_be_bytes())
            }
            _ => Uuid::Other(self.text_id(text)),
        }
    }

    pub fn text(&self, id: Option<TextId>) -> Option<&str> {
        id.and_then(|id| self.texts.get(index_of(id.0)))
    }

    pub fn place(&self, id: Option<PlaceId>) -> Option<(f64, f64)> {
        id.and_then(|id| self.places.get(index_of(id.0))).copied()
    }

    pub fn source_of(&self, record: &Record) -> Source {
        self.sources
            .get(index_of(record.source.0))
            .copied()
            .unwrap_or_default()
    }

    /// `record` with `detail` as its typed secret (a failed sign-in) or threats (a Threat
    /// record).
    pub fn with_detail(&mut self, mut record: Record, detail: Option<TextId>) -> Record {
        match detail {
            Some(detail) => {
                self.details.insert(record.detail_key(), detail);
            }
            None if record.has_detail() => {
                self.details.remove(&record.detail_key());
            }
            None => {}
        }
        record.set_has_detail(detail.is_some());
        record
    }

    fn detail(&self, record: &Record) -> Option<TextId> {
        if !record.has_detail() {
            return None;
        }
        self.details.get(&record.detail_key()).copied()
    }

    /// The `actor.alternateId` of a failed sign-in, as typed, when it looks like a password.
    pub fn typed_secret(&self, record: &Record) -> Option<TextId> {
        self.detail(record).filter(|_| record.is_failed_sign_in())
    }

    /// ThreatInsight's `threatDetections` (or else `outcome.reason`) of a `Threat` record.
    pub fn threats(&self, record: &Record) -> Option<TextId> {
        self.detail(record)
            .filter(|_| record.kind() == Kind::Threat)
    }

    /// The client IP of `record`.
    pub fn ip(&self, record: &Record) -> Option<&str> {
        self.text(self.ip_id(record))
    }

    /// The client IP of `record` by its id: equal ids are equal texts, and cheaper to hash.
    pub fn ip_id(&self, record: &Record) -> Option<TextId> {
        self.source_of(record).ip
    }

    /// Frees what only adding entries needs, once the records are complete.
    fn stop_adding(&mut self) {
        self.texts.stop_adding();
        self.place_ids = FxHashMap::default();
        self.source_ids = FxHashMap::default();
    }

    /// The uuid as it was in the input, held on its own (for a finding's evidence).
    pub fn event_uuid(&self, uuid: Uuid) -> EventUuid {
        match uuid {
            Uuid::Lower(bytes) => EventUuid::Canonical(bytes),
            Uuid::Other(id) => EventUuid::Text(self.text(Some(id)).unwrap_or_default().into()),
        }
    }

    /// Adds the entries of `later` that this table lacks, in `later`'s order, and rewrites
    /// `records` (which refer to `later`) to refer to this table.
    fn absorb(&mut self, later: Table, records: &mut [Record]) {
        let texts: Vec<TextId> = (0..later.texts.len())
            .map(|index| self.text_id(later.texts.get(index).unwrap_or_default()))
            .collect();
        let places: Vec<PlaceId> = later.places.iter().map(|&p| self.place_id(p)).collect();
        let text = |id: Option<TextId>| id.map(|id| texts[index_of(id.0)]);
        let sources: Vec<SourceId> = later
            .sources
            .iter()
            .map(|source| {
                self.source_id(Source {
                    ip: text(source.ip),
                    user_agent: text(source.user_agent),
                    country: text(source.country),
                    location: source.location.map(|id| places[index_of(id.0)]),
                    asn: text(source.asn),
                    proxy: source.proxy,
                })
            })
            .collect();
        for record in records {
            record.user = text(record.user);
            record.source = sources[index_of(record.source.0)];
            if let Uuid::Other(id) = record.uuid() {
                record.set_uuid(Uuid::Other(texts[index_of(id.0)]));
            }
        }
        for ((uuid, at), detail) in later.details {
            let uuid = match uuid {
                Uuid::Other(id) => Uuid::Other(texts[index_of(id.0)]),
                lower => lower,
            };
            self.details.insert((uuid, at), texts[index_of(detail.0)]);
        }
    }
}

/// The aggregate behind `authsift hunt`: the records of the events detections need, in input
/// order. Chunks are merged by appending, so the order does not depend on the thread count.
#[derive(Debug, Default)]
pub struct Hunt {
    records: Vec<Record>,
    table: Table,
}

/// What detections read: the records in time order and the table they refer to.
#[derive(Debug, Default)]
pub struct Records {
    pub records: Vec<Record>,
    pub table: Table,
}

impl Aggregate for Hunt {
    const PARTS: Parts = Parts::ACTOR
        .with(Parts::CLIENT)
        .with(Parts::USER_AGENT)
        .with(Parts::GEO)
        .with(Parts::SECURITY)
        .with(Parts::THREATS);

    /// Most events of a tenant (single sign-on to apps, policy evaluations, sign-outs) are
    /// none of the kinds kept: their clients, places and networks are stepped over.
    fn deferrable(&self) -> Parts {
        Self::PARTS
    }

    fn needs_parts(&self, event: &Event<'_>) -> bool {
        kept(event).is_some()
    }

    fn add(&mut self, event: &Event<'_>) {
        let Some((kind, outcome)) = kept(event) else {
            return;
        };
        let table = &mut self.table;
        let typed_secret = (kind == Kind::SignIn && outcome == Outcome::Failure)
            .then_some(event.actor.alternate_id.as_deref())
            .flatten()
            .filter(|id| looks_like_password(id))
            .map(|id| table.text_id(id));
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
            .filter(|(lat, lon)| lat.abs() <= 90.0 && lon.abs() <= 180.0)
            .map(|place| table.place_id(place));
        let threats = (kind == Kind::Threat)
            .then(|| {
                event
                    .debug_value("threatDetections")
                    .or(event.outcome.reason.as_deref())
            })
            .flatten();
        let source = Source {
            ip: client.ip_address.as_deref().map(|t| table.text_id(t)),
            user_agent: client.raw_user_agent.as_deref().map(|t| table.text_id(t)),
            country: client.country.as_deref().map(|t| table.text_id(t)),
            location,
            asn: asn.map(|t| table.text_id(&t)),
            proxy: context.is_proxy == Some(true),
        };
        let uuid = table.uuid_of(&event.uuid);
        let user = user_key(event).map(|u| table.text_id(&u));
        let source = table.source_id(source);
        let threats = threats.map(|t| table.text_id(t));
        let record = Record::new(event.published, uuid, kind, outcome, source)
            .with_legacy(is_legacy(event))
            .with_user(user);
        let record = table.with_detail(record, typed_secret.or(threats));
        self.records.push(record);
    }

    fn merge(&mut self, later: Hunt) {
        let mut records = later.records;
        self.table.absorb(later.table, &mut records);
        self.records.extend(records);
    }
}

impl Hunt {
    /// The records in time order (input order among equal times), ready for the detections.
    ///
    /// A failed sign-in's username that looks like a password but is also the username of a
    /// successful sign-in is a real username after all; every other one is kept only as a
    /// typed secret, never as a user.
    pub fn into_records(self) -> Records {
        let mut records = self.records;
        sort_by_time(&mut records);
        let signed_in: FxHashSet<TextId> = records
            .iter()
            .filter(|r| r.is_successful_sign_in())
            .filter_map(|r| r.user)
            .collect();
        let mut table = self.table;
        for record in &mut records {
            if table.typed_secret(record).is_none() {
                continue;
            }
            if record.user.is_some_and(|u| signed_in.contains(&u)) {
                *record = table.with_detail(*record, None);
            } else {
                record.user = None;
            }
        }
        table.stop_adding();
        // What reading needed and the detections do not (the table's look-ups, the
        // de-duplication set, a report's other aggregates) is freed by now.
        release_freed();
        Records { records, table }
    }
}

/// Sorts `records` by time, input order among equal times. A stable sort of the records
/// themselves would borrow half of them again as scratch; sorting a key and index per record
/// instead, mostly packed in 8 bytes, then moving each record once, needs a sixth of that.
fn sort_by_time(records: &mut [Record]) {
    if records.is_sorted_by_key(Record::published) {
        return;
    }
    let times = || records.iter().map(|r| r.published().0);
    let (Some(first), Some(last)) = (times().min(), times().max()) else {
        return;
    };
    let since_first = |r: &Record| r.published().0.abs_diff(first);
    let index_bits = usize::BITS - records.len().leading_zeros();
    if last.abs_diff(first).leading_zeros() >= index_bits {
        let mut keys: Vec<u64> = records
            .iter()
            .enumerate()
            .map(|(i, r)| (since_first(r) << index_bits) | i as u64)
            .collect();
        keys.sort_unstable();
        let index_mask = (1u64 << index_bits) - 1;
        permute(records, |at| (keys[at] & index_mask) as usize);
    } else {
        // Times spread over more than the 64 bits can hold next to an index (forged dates).
        let mut keys: Vec<(u64, usize)> = records
            .iter()
            .enumerate()
            .map(|(i, r)| (since_first(r), i))
            .collect();
        keys.sort_unstable();
        permute(records, |at| keys[at].1);
    }
}

/// Moves the record at `source(at)` to `at`, for every `at` at once, following each cycle of
/// the permutation so that every record moves once and no second array is needed.
fn permute(records: &mut [Record], source: impl Fn(usize) -> usize) {
    let mut placed = vec![false; records.len()];
    for start in 0..records.len() {
        if placed[start] {
            continue;
        }
        let held = records[start];
        let mut at = start;
        loop {
            placed[at] = true;
            let from = source(at);
            if from == start {
                records[at] = held;
                break;
            }
            records[at] = records[from];
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first and last instants a record can hold: those [`Timestamp::parse`] accepts.
    const FIRST: i64 = -62_167_219_200_000;
    const LAST: i64 = 253_402_300_799_999;

    /// Records at `times`, told apart by their uuids, which count up in input order.
    fn timed(times: &[i64]) -> Vec<Record> {
        let mut table = Table::default();
        let source = table.source_id(Source::default());
        times
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let uuid = Uuid::Lower((i as u128).to_be_bytes());
                Record::new(Timestamp(t), uuid, Kind::SignIn, Outcome::Success, source)
            })
            .collect()
    }

    #[test]
    fn sorting_keeps_input_order_among_equal_times() {
        let times: Vec<i64> = (0..1000).map(|i| (i * 7919) % 13).collect();
        let far = [LAST, 5, FIRST, 5, 0, FIRST, LAST, -1];
        for times in [&times[..], &far, &[], &[3], &[2, 1, 2, 1]] {
            let mut records = timed(times);
            let mut expected = records.clone();
            expected.sort_by_key(Record::published);
            sort_by_time(&mut records);
            assert_eq!(records, expected, "{times:?}");
        }
    }

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

    /// The reader steps over the clients, places and networks of the events `needs_parts`
    /// declines: `add` must keep none of them, and keep every other.
    #[test]
    fn only_kept_events_need_their_parts() {
        let cases = [
            ("user.session.start", "FAILURE", true),
            ("user.session.start", "SUCCESS", true),
            ("user.session.start", "CHALLENGE", false),
            ("user.authentication.auth_via_richclient", "DENY", true),
            ("user.authentication.auth_via_mfa", "SUCCESS", true),
            ("user.authentication.auth_via_mfa", "SKIPPED", false),
            ("system.push.send_factor_verify_push", "CHALLENGE", true),
            ("user.mfa.okta_verify.deny_push", "SUCCESS", true),
            ("user.account.lock", "UNKNOWN", true),
            ("security.threat.detected", "DENY", true),
            ("user.authentication.sso", "FAILURE", false),
            ("policy.evaluate_sign_on", "DENY", false),
            ("user.session.end", "SUCCESS", false),
        ];
        for (event_type, result, kept) in cases {
            let mut event = Event::new("uuid".into(), Timestamp(0), event_type.into());
            event.outcome.result = Some(crate::event::OutcomeResult::parse(result.into()));
            let mut hunt = Hunt::default();
            assert_eq!(hunt.needs_parts(&event), kept, "{event_type} {result}");
            hunt.add(&event);
            assert_eq!(
                hunt.records.len(),
                usize::from(kept),
                "{event_type} {result}"
            );
        }
    }

    #[test]
    fn uuids_print_back_as_they_were_read() {
        let mut table = Table::default();
        for text in [
            "f1d0b993-cc19-11ed-a688-db22c99ef6c4",
            "00000000-0000-0000-0000-00000000000a",
            "F1D0B993-CC19-11ED-A688-DB22C99EF6C4",
            "f1d0b993-cc19-11ed-a688-db22c99ef6cz",
            "not a uuid",
            "",
        ] {
            let uuid = table.uuid_of(text);
            assert_eq!(table.event_uuid(uuid).to_string(), text);
        }
        assert!(matches!(
            table.uuid_of("f1d0b993-cc19-11ed-a688-db22c99ef6c4"),
            Uuid::Lower(_)
        ));
        assert!(matches!(
            table.uuid_of("F1D0B993-CC19-11ED-A688-DB22C99EF6C4"),
            Uuid::Other(_)
        ));
    }

    #[test]
    fn texts_that_share_a_hash_keep_their_own_ids() {
        let mut texts = Texts::default();
        let first = texts.id("first");
        // As if "second" hashed like "first".
        texts
            .by_hash
            .insert(FxBuildHasher.hash_one("second"), first);
        let second = texts.id("second");
        assert_ne!(first, second);
        assert_eq!(texts.id("second"), second);
        texts.by_hash.insert(FxBuildHasher.hash_one("first"), first);
        assert_eq!(texts.id("first"), first);
        let third = texts.id("");
        assert_eq!(
            [first, second, third].map(|id| texts.get(index_of(id.0))),
            [Some("first"), Some("second"), Some("")]
        );
        assert_eq!(texts.get(3), None);
    }

    #[test]
    fn records_stay_small() {
        assert!(std::mem::size_of::<Record>() <= 32);
    }

    #[test]
    fn records_give_back_what_they_were_made_of() {
        let mut table = Table::default();
        let source = table.source_id(Source::default());
        let kinds = [
            Kind::SignIn,
            Kind::Mfa,
            Kind::PushSent,
            Kind::PushDenied,
            Kind::Lock,
            Kind::Threat,
        ];
        let uuids = [
            table.uuid_of("F1D0B993-CC19-11ED-A688-DB22C99EF6C4"),
            Uuid::Lower([0xff; 16]),
        ];
        for published in [FIRST, -1, 0, 1_714_521_600_123, LAST] {
            for kind in kinds {
                for outcome in [Outcome::Success, Outcome::Failure, Outcome::Other] {
                    for (legacy, uuid) in [(true, uuids[0]), (false, uuids[1])] {
                        let detail = Some(table.text_id("detail"));
                        let record = Record::new(Timestamp(published), uuid, kind, outcome, source)
                            .with_legacy(legacy)
                            .with_user(detail);
                        let record = table.with_detail(record, detail);
                        assert_eq!(record.published(), Timestamp(published));
                        assert_eq!(record.uuid(), uuid);
                        assert_eq!((record.kind(), record.outcome()), (kind, outcome));
                        assert_eq!(record.legacy(), legacy);
                        assert_eq!(record.user, detail);
                        assert_eq!(record.source, source);
                        let failed = kind == Kind::SignIn && outcome == Outcome::Failure;
                        assert_eq!(table.typed_secret(&record), detail.filter(|_| failed));
                        let threat = kind == Kind::Threat;
                        assert_eq!(table.threats(&record), detail.filter(|_| threat));
                        let record = table.with_detail(record, None);
                        assert_eq!(table.typed_secret(&record), None);
                        assert_eq!(table.threats(&record), None);
                    }
                }
            }
        }
    }

    #[test]
    fn merging_refers_later_records_to_the_earlier_table() {
        let record = |table: &mut Table, user: &str, ip: &str, place: (f64, f64)| {
            let uuid = table.uuid_of(&format!("{user}-{ip}"));
            let source = Source {
                ip: Some(table.text_id(ip)),
                location: Some(table.place_id(place)),
                ..Source::default()
            };
            let source = table.source_id(source);
            Record::new(Timestamp(0), uuid, Kind::SignIn, Outcome::Success, source)
                .with_user(Some(table.text_id(user)))
        };
        let mut earlier = Hunt::default();
        let first = record(&mut earlier.table, "ann", "192.0.2.1", (1.0, 2.0));
        earlier.records.push(first);
        let mut later = Hunt::default();
        for (user, ip, place) in [
            ("bob", "192.0.2.1", (3.0, 4.0)),
            ("ann", "192.0.2.9", (1.0, 2.0)),
        ] {
            let next = record(&mut later.table, user, ip, place);
            later.records.push(next);
        }
        earlier.merge(later);
        let Records { records, table } = earlier.into_records();
        let read = |r: &Record| {
            (
                table.event_uuid(r.uuid()).to_string(),
                table.text(r.user),
                table.ip(r),
                table.place(table.source_of(r).location),
            )
        };
        assert_eq!(
            records.iter().map(read).collect::<Vec<_>>(),
            [
                (
                    "ann-192.0.2.1".into(),
                    Some("ann"),
                    Some("192.0.2.1"),
                    Some((1.0, 2.0))
                ),
                (
                    "bob-192.0.2.1".into(),
                    Some("bob"),
                    Some("192.0.2.1"),
                    Some((3.0, 4.0))
                ),
                (
                    "ann-192.0.2.9".into(),
                    Some("ann"),
                    Some("192.0.2.9"),
                    Some((1.0, 2.0))
                ),
            ]
        );
        assert_eq!(records[0].user, records[2].user);
        assert_eq!(
            table.source_of(&records[0]).ip,
            table.source_of(&records[1]).ip
        );
    }
}
