//! Seeded, deterministic generator of synthetic Okta System Log exports.
//!
//! It serves two purposes: streaming arbitrarily large exports, in every shape authsift reads, to
//! test parsing and throughput; and writing the small bundled sample under `testdata/`, whose
//! attacks are described in a `SAMPLE.md` computed while the events are written.
//! Output depends only on the arguments: no wall-clock time, no OS randomness.
//!
//! ```text
//! cargo run --release --example generate -- --shape ndjson --size 1GB -o /tmp/okta.ndjson
//! cargo run --release --example generate -- --shape csv-admin --events 50000 --gzip -o /tmp/okta.csv.gz
//! cargo run --release --example generate -- --sample testdata/
//! ```
//!
//! The simulated tenant is `example.com`: employees sign in through the browser (with MFA when
//! outside the office), use SSO apps and Office 365, and a few still run mail clients that use
//! legacy basic authentication. On top of that come password sprays through basic auth, brute
//! force against one user, and MFA push storms. Attacker addresses come from the RFC 5737
//! documentation ranges, so no real host is accused of anything.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap};
use std::error::Error;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use clap::{Parser, ValueEnum};
use flate2::Compression;
use flate2::write::GzEncoder;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

/// Generate synthetic Okta System Log exports (same arguments, same bytes).
#[derive(Parser)]
#[command(name = "generate")]
struct Args {
    /// Output shape.
    #[arg(long, value_enum, required_unless_present = "sample")]
    shape: Option<Shape>,

    /// Stop at the first event boundary at or after this many bytes (uncompressed):
    /// 1GB, 500MB, 4GiB or plain bytes.
    #[arg(long, value_parser = parse_size, conflicts_with = "events")]
    size: Option<u64>,

    /// Number of events to write [default: 10000 unless --size is given].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    events: Option<u64>,

    /// Seed of the pseudo-random generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Gzip the output.
    #[arg(long)]
    gzip: bool,

    /// Users of the simulated tenant, 200 to 100,000 [default: as many as give about two weeks
    /// of the requested volume]. With a fixed tenant, a larger --size spans more days.
    #[arg(long, value_parser = clap::value_parser!(u64).range(SAMPLE_USERS as u64..=MAX_USERS as u64))]
    users: Option<u64>,

    /// Simulated instant of the first event, UTC.
    #[arg(long, value_parser = parse_instant, default_value = "2024-05-01T00:00:00Z")]
    start: i64,

    /// Output file.
    #[arg(short, long, required_unless_present = "sample")]
    output: Option<PathBuf>,

    /// Write the bundled sample (okta-sample.json, okta-sample.csv, SAMPLE.md) into this
    /// directory instead.
    #[arg(long, value_name = "DIR",
          conflicts_with_all = ["shape", "size", "events", "seed", "gzip", "users", "start", "output"])]
    sample: Option<PathBuf>,
}

/// The export shapes a responder is handed (see design/okta-domain.md).
#[derive(Clone, Copy, ValueEnum)]
enum Shape {
    /// System Log API pages: compact JSON arrays of up to 1000 events, one page per line.
    Json,
    /// The same pages pretty-printed with a 2-space indent.
    JsonPretty,
    /// One compact event per line.
    Ndjson,
    /// Admin Console "Download CSV": the 56 snake_case columns.
    CsvAdmin,
    /// SIEM re-export: camelCase dotted columns, zone-less `published`.
    CsvCamel,
}

/// Parses `1GB`, `500MB`, `4GiB` or plain bytes (decimal and binary units, case-insensitive).
fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("expected a size like 500MB, 4GiB or 1048576, got {text:?}"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
            ));
        }
    };
    number
        .checked_mul(multiplier)
        .filter(|&bytes| bytes > 0)
        .ok_or_else(|| format!("size {text:?} is zero or too large"))
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z` into milliseconds since the Unix epoch.
fn parse_instant(text: &str) -> std::result::Result<i64, String> {
    let invalid = || format!("expected an instant like 2024-05-01T00:00:00Z, got {text:?}");
    let number = |digits: &str| -> Option<i64> {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse().ok()
        } else {
            None
        }
    };
    let body = text.strip_suffix('Z').ok_or_else(invalid)?;
    let (whole, millis) = match body.split_once('.') {
        Some((whole, fraction)) if fraction.len() == 3 => {
            (whole, number(fraction).ok_or_else(invalid)?)
        }
        Some(_) => return Err(invalid()),
        None => (body, 0),
    };
    let layout = whole.as_bytes();
    if !whole.is_ascii()
        || layout.len() != 19
        || layout[4] != b'-'
        || layout[7] != b'-'
        || layout[10] != b'T'
        || layout[13] != b':'
        || layout[16] != b':'
    {
        return Err(invalid());
    }
    let part = |range: std::ops::Range<usize>| number(&whole[range]).ok_or_else(invalid);
    let (year, month, day) = (part(0..4)?, part(5..7)?, part(8..10)?);
    let (hour, minute, second) = (part(11..13)?, part(14..16)?, part(17..19)?);
    let valid = (1970..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return Err(invalid());
    }
    Ok(days_from_civil(year, month, day) * DAY
        + hour * HOUR
        + minute * MINUTE
        + second * SECOND
        + millis)
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = match (&args.sample, args.shape, &args.output) {
        (Some(dir), _, _) => write_sample(dir),
        (None, Some(shape), Some(path)) => write_export(&args, shape, path),
        _ => Err("give either --sample DIR, or --shape SHAPE and -o FILE".into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Events written when neither --size nor --events is given.
const DEFAULT_EVENTS: u64 = 10_000;
/// Events per System Log API page (the API's maximum `limit`).
const API_PAGE_SIZE: u64 = 1_000;

fn write_export(args: &Args, shape: Shape, path: &Path) -> Result<()> {
    let limits = Limits {
        events: match args.size {
            Some(_) => args.events,
            None => Some(args.events.unwrap_or(DEFAULT_EVENTS)),
        },
        bytes: args.size,
        until: None,
    };
    let users = match args.users {
        Some(users) => usize::try_from(users).unwrap_or(MAX_USERS),
        None => bulk_population(shape, &limits),
    };
    let scenario = Scenario::bulk(users);
    let users = scenario.users;
    let mut simulation = Simulation::new(args.seed, args.start, scenario);
    let mut outputs = vec![Output::create(
        path,
        Encoder::new(shape, API_PAGE_SIZE),
        args.gzip,
    )?];
    let tally = generate(&mut simulation, &mut outputs, &limits, args.seed)?;
    let mut bytes = 0;
    for output in outputs {
        bytes += output.finish()?;
    }
    eprintln!(
        "wrote {} events ({bytes} bytes before compression) to {}: {users} users, {} attacks, {} .. {}",
        tally.all.events,
        path.display(),
        tally.per_attack.len(),
        tally.all.first.map_or_else(String::new, iso_timestamp),
        iso_timestamp(tally.all.last),
    );
    Ok(())
}

const SAMPLE_SEED: u64 = 20_240_501;
const SAMPLE_START: i64 = days_from_civil(2024, 5, 1) * DAY;
const SAMPLE_DAYS: i64 = 4;
const SAMPLE_USERS: usize = 200;

fn write_sample(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut simulation = Simulation::new(SAMPLE_SEED, SAMPLE_START, Scenario::sample());
    let mut outputs = vec![
        Output::create(
            &dir.join("okta-sample.json"),
            Encoder::new(Shape::JsonPretty, u64::MAX),
            false,
        )?,
        Output::create(
            &dir.join("okta-sample.csv"),
            Encoder::new(Shape::CsvAdmin, u64::MAX),
            false,
        )?,
    ];
    let limits = Limits {
        events: None,
        bytes: None,
        until: Some(SAMPLE_START + SAMPLE_DAYS * DAY),
    };
    let tally = generate(&mut simulation, &mut outputs, &limits, SAMPLE_SEED)?;
    for output in outputs {
        output.finish()?;
    }
    let summary_path = dir.join("SAMPLE.md");
    fs::write(&summary_path, describe_sample(&simulation, &tally)?)
        .map_err(|e| format!("cannot write {}: {e}", summary_path.display()))?;
    eprintln!(
        "wrote {} events and SAMPLE.md to {}",
        tally.all.events,
        dir.display()
    );
    Ok(())
}

/// When to stop writing; the first limit reached wins.
struct Limits {
    events: Option<u64>,
    bytes: Option<u64>,
    until: Option<i64>,
}

/// Pulls events from the simulation in time order and writes each to every output.
fn generate(
    simulation: &mut Simulation,
    outputs: &mut [Output],
    limits: &Limits,
    seed: u64,
) -> Result<Tally> {
    // Identifiers get their own stream so they do not shift when the simulation changes.
    let mut identifiers = Rng::new(mix(seed ^ 0x1D5));
    let mut texts = Texts::default();
    let mut tally = Tally::default();
    for output in outputs.iter_mut() {
        output.begin()?;
    }
    while let Some(event) = simulation.next_event() {
        if limits.until.is_some_and(|until| event.at >= until) {
            break;
        }
        texts.fill(&event, &simulation.users, &mut identifiers);
        let record = Record::new(&event, &texts, &simulation.users);
        for output in outputs.iter_mut() {
            output.write(&record)?;
        }
        tally.add(&event);
        let enough_events = limits.events.is_some_and(|n| tally.all.events >= n);
        let enough_bytes = limits
            .bytes
            .is_some_and(|n| outputs.first().is_some_and(|output| output.bytes >= n));
        if enough_events || enough_bytes {
            break;
        }
    }
    Ok(tally)
}

/// Bulk exports should look like a real tenant's log: about two weeks of a population sized
/// to the requested volume, rather than years of a small company.
fn bulk_population(shape: Shape, limits: &Limits) -> usize {
    const SPAN_DAYS: u64 = 14;
    // Measured averages of this generator's output; they only steer the population size.
    const EVENTS_PER_USER_PER_DAY: u64 = 4;
    let bytes_per_event = match shape {
        Shape::Json | Shape::Ndjson => 2_050,
        Shape::JsonPretty => 2_950,
        Shape::CsvAdmin | Shape::CsvCamel => 700,
    };
    let events = limits
        .events
        .or(limits.bytes.map(|bytes| bytes / bytes_per_event))
        .unwrap_or(DEFAULT_EVENTS);
    let users = events / (SPAN_DAYS * EVENTS_PER_USER_PER_DAY);
    usize::try_from(users).map_or(MAX_USERS, |users| users.clamp(SAMPLE_USERS, MAX_USERS))
}

/// Keeps the day planning queue (about one entry per user) small.
const MAX_USERS: usize = 100_000;

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Days since 1970-01-01 of a proleptic Gregorian date (years counted from March, so the leap
/// day is the last day of the counting year).
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Monday to Friday; 1970-01-01 was a Thursday.
fn is_weekday(day: i64) -> bool {
    (day + 3).rem_euclid(7) < 5
}

/// `2024-05-01T13:00:00.123Z`: Okta's `published`, always with three fractional digits.
fn push_iso_timestamp(out: &mut String, ms: i64) {
    let (year, month, day) = civil_from_days(ms.div_euclid(DAY));
    let in_day = ms.rem_euclid(DAY);
    push_decimal(out, year.unsigned_abs(), 4);
    out.push('-');
    push_decimal(out, month.unsigned_abs(), 2);
    out.push('-');
    push_decimal(out, day.unsigned_abs(), 2);
    out.push('T');
    push_decimal(out, (in_day / HOUR).unsigned_abs(), 2);
    out.push(':');
    push_decimal(out, (in_day % HOUR / MINUTE).unsigned_abs(), 2);
    out.push(':');
    push_decimal(out, (in_day % MINUTE / SECOND).unsigned_abs(), 2);
    out.push('.');
    push_decimal(out, (in_day % SECOND).unsigned_abs(), 3);
    out.push('Z');
}

fn iso_timestamp(ms: i64) -> String {
    let mut text = String::with_capacity(24);
    push_iso_timestamp(&mut text, ms);
    text
}

/// Appends `value` in decimal, zero-padded to at least `width` digits.
fn push_decimal(out: &mut String, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut rest = value;
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let start = start.min(digits.len().saturating_sub(width));
    out.extend(digits[start..].iter().map(|&digit| char::from(digit)));
}

// ---------------------------------------------------------------------------------------------
// Pseudo-random numbers and identifiers
// ---------------------------------------------------------------------------------------------

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 finalizer: spreads any 64-bit input over all output bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// splitmix64: tiny, fast, statistically fine for test data, identical on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        mix(self.0)
    }

    /// Uniform in `0..bound` (`bound` > 0), by multiply-shift rather than a biased modulo.
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Uniform in `low..high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below(high.abs_diff(low)) as i64
    }

    fn chance(&mut self, probability: f64) -> bool {
        ((self.next_u64() >> 11) as f64) < probability * (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for end in (1..items.len()).rev() {
            items.swap(end, self.below(end as u64 + 1) as usize);
        }
    }
}

const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64_URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX: &[u8] = b"0123456789abcdef";

/// Appends `count` characters of `alphabet` derived from `seed` (ten characters per draw).
fn push_id_chars(out: &mut String, alphabet: &[u8], count: usize, seed: u64) {
    let base = alphabet.len() as u64;
    let mut state = seed;
    let mut pool = 0;
    let mut left = 0;
    for _ in 0..count {
        if left == 0 {
            state = state.wrapping_add(GOLDEN_GAMMA);
            pool = mix(state);
            left = 10;
        }
        out.push(char::from(alphabet[(pool % base) as usize]));
        pool /= base;
        left -= 1;
    }
}

/// Okta object ids: a 3-character type prefix (`00u` user, `0oa` app, ...) and 17 characters.
fn okta_id(prefix: &str, seed: u64) -> String {
    let mut id = String::with_capacity(20);
    id.push_str(prefix);
    push_id_chars(&mut id, BASE62, 17, seed);
    id
}

/// Folds a string into a seed, to derive ids of (user, app) pairs.
fn str_seed(text: &str) -> u64 {
    text.bytes()
        .fold(0, |seed, byte| mix(seed ^ u64::from(byte)))
}

fn push_hex(out: &mut String, value: u64, digits: u32) {
    for shift in (0..digits).rev() {
        out.push(char::from(HEX[((value >> (4 * shift)) & 0xF) as usize]));
    }
}

/// A random (version 4, RFC 4122 variant) UUID.
fn push_uuid(out: &mut String, high: u64, low: u64) {
    let high = (high & !0xF000) | 0x4000;
    let low = (low & !(0b11 << 62)) | (0b10 << 62);
    push_hex(out, high >> 32, 8);
    out.push('-');
    push_hex(out, high >> 16, 4);
    out.push('-');
    push_hex(out, high, 4);
    out.push('-');
    push_hex(out, low >> 48, 4);
    out.push('-');
    push_hex(out, low, 12);
}

const fn ipv4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

fn push_ipv4(out: &mut String, ip: u32) {
    for (n, octet) in ip.to_be_bytes().into_iter().enumerate() {
        if n > 0 {
            out.push('.');
        }
        push_decimal(out, u64::from(octet), 1);
    }
}

fn ipv4_text(ip: u32) -> String {
    let mut text = String::with_capacity(15);
    push_ipv4(&mut text, ip);
    text
}

// ---------------------------------------------------------------------------------------------
// Reference data: user agents, places, networks, apps, names
// ---------------------------------------------------------------------------------------------

/// A user agent as Okta parses it into `client.userAgent` and `client.device`.
struct Agent {
    raw: &'static str,
    os: &'static str,
    browser: &'static str,
    device: &'static str,
}

const fn agent(
    raw: &'static str,
    os: &'static str,
    browser: &'static str,
    device: &'static str,
) -> Agent {
    Agent {
        raw,
        os,
        browser,
        device,
    }
}

static DESKTOP_BROWSERS: [Agent; 6] = [
    agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Windows 10",
        "CHROME",
        "Computer",
    ),
    agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
        "Windows 10",
        "EDGE_CHROMIUM",
        "Computer",
    ),
    agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Windows 10",
        "FIREFOX",
        "Computer",
    ),
    agent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mac OS X",
        "CHROME",
        "Computer",
    ),
    agent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "Mac OS X",
        "SAFARI",
        "Computer",
    ),
    agent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mac OS X",
        "FIREFOX",
        "Computer",
    ),
];

static MOBILE_BROWSERS: [Agent; 3] = [
    agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
        "iOS",
        "MOBILE_SAFARI",
        "Mobile",
    ),
    agent(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Android",
        "CHROME",
        "Mobile",
    ),
    agent(
        "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
        "iOS",
        "MOBILE_SAFARI",
        "Tablet",
    ),
];

/// Mail and calendar clients that still use basic authentication (Exchange relays the
/// password to Okta's WS-Trust active endpoint).
static MAIL_CLIENTS: [Agent; 10] = [
    agent(
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
        "Windows 10",
        "UNKNOWN",
        "Computer",
    ),
    agent(
        "Microsoft Outlook 16.0.17328",
        "Windows 10",
        "UNKNOWN",
        "Computer",
    ),
    agent("Outlook-iOS/2.0", "iOS", "UNKNOWN", "Mobile"),
    agent("Outlook-Android/2.0", "Android", "UNKNOWN", "Mobile"),
    agent(
        "Microsoft-Server-ActiveSync",
        "Unknown",
        "UNKNOWN",
        "Unknown",
    ),
    agent("Apple-iPhone15C2/2006.26", "iOS", "UNKNOWN", "Mobile"),
    agent(
        "iOS/16.1 (20B82) dataaccessd/1.0",
        "iOS",
        "UNKNOWN",
        "Mobile",
    ),
    agent("Android-Mail/2024.05.01", "Android", "UNKNOWN", "Mobile"),
    agent(
        "Mac OS X/13.4 (22F66) CalendarAgent/988",
        "Mac OS X",
        "UNKNOWN",
        "Computer",
    ),
    agent(
        "MacOutlook/16.73.23051401 (Intel Mac OS X Version 13.4 (build 22F66))",
        "Mac OS X",
        "UNKNOWN",
        "Computer",
    ),
];

static PYTHON_REQUESTS: Agent = agent("python-requests/2.31.0", "Unknown", "UNKNOWN", "Unknown");
static BAV2ROPC: Agent = agent("BAV2ROPC", "Unknown", "UNKNOWN", "Unknown");

/// Attack tooling; `BAV2ROPC` and `CBAInPROD` are names Entra ID gives spray tools' flows.
static SCRIPTED_CLIENTS: [Agent; 6] = [
    agent("Go-http-client/1.1", "Unknown", "UNKNOWN", "Unknown"),
    agent("axios/1.6.7", "Unknown", "UNKNOWN", "Unknown"),
    agent("curl/8.4.0", "Unknown", "UNKNOWN", "Unknown"),
    agent("CBAInPROD", "Unknown", "UNKNOWN", "Unknown"),
    agent("", "Unknown", "UNKNOWN", "Unknown"),
    agent("unknown", "Unknown", "UNKNOWN", "Unknown"),
];

/// `client.geographicalContext`; coordinates are kept as the JSON number text Okta writes.
struct Place {
    city: &'static str,
    state: &'static str,
    country: &'static str,
    postal_code: &'static str,
    lat: &'static str,
    lon: &'static str,
}

/// A block of addresses at one place, with the `securityContext` Okta reports for it.
struct Network {
    place: Place,
    as_number: u32,
    as_org: &'static str,
    isp: &'static str,
    domain: &'static str,
    is_proxy: bool,
    first_ip: u32,
    hosts: u32,
}

/// An office: its egress network, the employees' time zone and where they live.
struct Office {
    network: Network,
    utc_offset_hours: i64,
    homes: &'static [Network],
    /// Relative share of employees.
    weight: u64,
}

/// Builds a [`Network`] from (city, state, country, postal code), (lat, lon),
/// (AS number, AS organisation, ISP, domain), the proxy flag and (first address, host count).
const fn network(
    (city, state, country, postal_code): (&'static str, &'static str, &'static str, &'static str),
    (lat, lon): (&'static str, &'static str),
    (as_number, as_org, isp, domain): (u32, &'static str, &'static str, &'static str),
    is_proxy: bool,
    (first_ip, hosts): (u32, u32),
) -> Network {
    Network {
        place: Place {
            city,
            state,
            country,
            postal_code,
            lat,
            lon,
        },
        as_number,
        as_org,
        isp,
        domain,
        is_proxy,
        first_ip,
        hosts,
    }
}

static OFFICES: [Office; 4] = [
    Office {
        network: network(
            ("New York", "New York", "United States", "10001"),
            ("40.7506", "-73.9972"),
            (6461, "zayo bandwidth", "zayo bandwidth", "zayo.com"),
            false,
            (ipv4(64, 125, 190, 34), 4),
        ),
        utc_offset_hours: -4,
        homes: &[
            network(
                ("Brooklyn", "New York", "United States", "11215"),
                ("40.6681", "-73.9806"),
                (701, "verizon business", "verizon fios", "verizon.net"),
                false,
                (ipv4(71, 105, 0, 0), 65_536),
            ),
            network(
                ("Jersey City", "New Jersey", "United States", "07302"),
                ("40.7196", "-74.0466"),
                (
                    7922,
                    "comcast cable communications, llc",
                    "comcast cable communications",
                    "comcast.net",
                ),
                false,
                (ipv4(73, 215, 0, 0), 65_536),
            ),
            network(
                ("Stamford", "Connecticut", "United States", "06901"),
                ("41.0534", "-73.5387"),
                (
                    6128,
                    "cablevision systems corp.",
                    "optimum online",
                    "optonline.net",
                ),
                false,
                (ipv4(69, 116, 0, 0), 65_536),
            ),
        ],
        weight: 8,
    },
    Office {
        network: network(
            ("London", "England", "United Kingdom", "EC2A"),
            ("51.5226", "-0.0823"),
            (
                5413,
                "daisy communications ltd",
                "daisy communications ltd",
                "daisyuk.tel",
            ),
            false,
            (ipv4(195, 59, 118, 10), 4),
        ),
        utc_offset_hours: 1,
        homes: &[
            network(
                ("Croydon", "England", "United Kingdom", "CR0"),
                ("51.3762", "-0.0982"),
                (
                    5089,
                    "virgin media limited",
                    "virgin media",
                    "virginmedia.com",
                ),
                false,
                (ipv4(86, 14, 0, 0), 65_536),
            ),
            network(
                ("Reading", "England", "United Kingdom", "RG1"),
                ("51.4543", "-0.9781"),
                (5607, "sky uk limited", "sky broadband", "sky.com"),
                false,
                (ipv4(2, 96, 0, 0), 65_536),
            ),
        ],
        weight: 5,
    },
    Office {
        network: network(
            ("Berlin", "Land Berlin", "Germany", "10115"),
            ("52.532", "13.3849"),
            (
                3320,
                "deutsche telekom ag",
                "deutsche telekom ag",
                "telekom.de",
            ),
            false,
            (ipv4(80, 156, 84, 18), 4),
        ),
        utc_offset_hours: 2,
        homes: &[
            network(
                ("Potsdam", "Brandenburg", "Germany", "14467"),
                ("52.3989", "13.0657"),
                (3209, "vodafone gmbh", "vodafone germany", "vodafone.de"),
                false,
                (ipv4(88, 72, 0, 0), 65_536),
            ),
            network(
                ("Berlin", "Land Berlin", "Germany", "10437"),
                ("52.5428", "13.4133"),
                (
                    6805,
                    "telefonica germany gmbh & co.ohg",
                    "telefonica germany",
                    "telefonica.de",
                ),
                false,
                (ipv4(89, 204, 0, 0), 65_536),
            ),
        ],
        weight: 4,
    },
    Office {
        network: network(
            ("Sydney", "New South Wales", "Australia", "2000"),
            ("-33.8688", "151.2093"),
            (1221, "telstra limited", "telstra", "telstra.net"),
            false,
            (ipv4(203, 35, 135, 66), 4),
        ),
        utc_offset_hours: 10,
        homes: &[
            network(
                ("Parramatta", "New South Wales", "Australia", "2150"),
                ("-33.815", "151.0011"),
                (7545, "tpg telecom limited", "tpg internet", "tpgi.com.au"),
                false,
                (ipv4(101, 166, 0, 0), 65_536),
            ),
            network(
                ("Bondi", "New South Wales", "Australia", "2026"),
                ("-33.8915", "151.2767"),
                (4804, "optus", "optus", "optusnet.com.au"),
                false,
                (ipv4(49, 180, 0, 0), 65_536),
            ),
        ],
        weight: 3,
    },
];

/// Hosting providers and anonymizers attackers rent, over RFC 5737 documentation addresses.
/// Host counts are coprime with [`ADDRESS_STRIDE`] so every address is handed out once per
/// cycle.
static ATTACKER_NETWORKS: [Network; 6] = [
    network(
        ("Amsterdam", "North Holland", "Netherlands", "1012"),
        ("52.374", "4.8897"),
        (208_091, "xtom", "xtom gmbh", "xtom.com"),
        false,
        (ipv4(198, 51, 100, 1), 126),
    ),
    network(
        ("Bucharest", "Bucuresti", "Romania", "030167"),
        ("44.4323", "26.1063"),
        (9009, "m247 europe srl", "m247 europe srl", "m247.com"),
        false,
        (ipv4(198, 51, 100, 129), 126),
    ),
    network(
        ("Frankfurt am Main", "Hesse", "Germany", "60313"),
        ("50.1109", "8.6821"),
        (
            14061,
            "digitalocean, llc",
            "digitalocean, llc",
            "digitalocean.com",
        ),
        false,
        (ipv4(203, 0, 113, 1), 62),
    ),
    network(
        ("Roubaix", "Hauts-de-France", "France", "59100"),
        ("50.6942", "3.1746"),
        (16276, "ovh sas", "ovh sas", "ovh.net"),
        false,
        (ipv4(203, 0, 113, 65), 62),
    ),
    network(
        ("Nuremberg", "Bavaria", "Germany", "90402"),
        ("49.4521", "11.0767"),
        (
            60729,
            "stiftung erneuerbare freiheit",
            "tor exit node",
            "artikel10.org",
        ),
        true,
        (ipv4(203, 0, 113, 129), 62),
    ),
    network(
        ("Las Vegas", "Nevada", "United States", "89101"),
        ("36.1716", "-115.1391"),
        (53667, "frantech solutions", "tor exit node", "buyvm.net"),
        true,
        (ipv4(203, 0, 113, 193), 62),
    ),
];

const ADDRESS_STRIDE: u32 = 37;

/// An application instance as it appears in `target` and in SSO request URIs.
struct App {
    id: &'static str,
    label: &'static str,
    name: &'static str,
    sign_on_mode: &'static str,
    request_uri: &'static str,
}

static OFFICE_365: App = App {
    id: "0oa1x2y3z4AbCdEfG5h6",
    label: "Microsoft Office 365",
    name: "Microsoft Office 365",
    sign_on_mode: "WS_FEDERATION",
    request_uri: "/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/passive",
};

/// WS-Trust endpoint Exchange Online relays basic-auth passwords to.
const OFFICE_365_ACTIVE_URI: &str = "/app/office365/0oa1x2y3z4AbCdEfG5h6/sso/wsfed/active";

static OKTA_DASHBOARD: App = App {
    id: "0oa1dsh2bRd3xQ4pL5m6",
    label: "Okta Dashboard",
    name: "Okta Dashboard",
    sign_on_mode: "OPENID_CONNECT",
    request_uri: "/app/UserHome",
};

static SSO_APPS: [App; 6] = [
    App {
        id: "0oa2sf3AbC4dEf5GhI6j",
        label: "Salesforce.com",
        name: "Salesforce.com",
        sign_on_mode: "SAML_2_0",
        request_uri: "/app/salesforce/0oa2sf3AbC4dEf5GhI6j/sso/saml",
    },
    App {
        id: "0oa3sl4KlM5nOp6QrS7t",
        label: "Slack",
        name: "Slack",
        sign_on_mode: "SAML_2_0",
        request_uri: "/app/slack/0oa3sl4KlM5nOp6QrS7t/sso/saml",
    },
    App {
        id: "0oa4wd5UvW6xYz7AbC8d",
        label: "Workday",
        name: "Workday",
        sign_on_mode: "SAML_2_0",
        request_uri: "/app/workday/0oa4wd5UvW6xYz7AbC8d/sso/saml",
    },
    App {
        id: "0oa5zm6EfG7hIj8KlM9n",
        label: "Zoom",
        name: "Zoom",
        sign_on_mode: "SAML_2_0",
        request_uri: "/app/zoomus/0oa5zm6EfG7hIj8KlM9n/sso/saml",
    },
    App {
        id: "0oa6gh7OpQ8rSt9UvW0x",
        label: "GitHub Enterprise Cloud - Organization",
        name: "GitHub Enterprise Cloud - Organization",
        sign_on_mode: "SAML_2_0",
        request_uri: "/app/githubcloud/0oa6gh7OpQ8rSt9UvW0x/sso/saml",
    },
    App {
        id: "0oa7at8YzA9bCd0EfG1h",
        label: "Atlassian Cloud",
        name: "Atlassian Cloud",
        sign_on_mode: "OPENID_CONNECT",
        request_uri: "/oauth2/v1/authorize",
    },
];

const URI_IDENTIFY: &str = "/idp/idx/identify";
const URI_CHALLENGE: &str = "/idp/idx/challenge";
const URI_POLL: &str = "/idp/idx/authenticators/poll";
const URI_SIGN_OUT: &str = "/login/signout";

const INVALID_CREDENTIALS: &str = "INVALID_CREDENTIALS";
const UNKNOWN_USER: &str = "UNKNOWN_USER";
const LOCKED_OUT: &str = "LOCKED_OUT";
const PUSH_REJECTED: &str = "USER_REJECTED_OKTA_VERIFY_PUSH";
const SPRAY_THREAT_REASON: &str = "Password Spray, Login failures with high unknown users count";
const SPRAY_THREAT_DETECTIONS: &str =
    r#"{"Password Spray":"HIGH","Login failures with high unknown users count":"MEDIUM"}"#;

/// debugData `behaviors` and `risk` as Okta serializes them (maps rendered as strings).
const USUAL_BEHAVIORS: &str = "{New Geo-Location=NEGATIVE, New Device=NEGATIVE, New IP=NEGATIVE, New State=NEGATIVE, New Country=NEGATIVE, Velocity=NEGATIVE, New City=NEGATIVE}";
const UNUSUAL_BEHAVIORS: &str = "{New Geo-Location=POSITIVE, New Device=POSITIVE, New IP=POSITIVE, New State=POSITIVE, New Country=POSITIVE, Velocity=POSITIVE, New City=POSITIVE}";
const LOW_RISK: &str = "{level=LOW}";
const HIGH_RISK: &str = "{reasons=Anomalous Geo-Distance, New Device, New IP, level=HIGH}";

/// Usernames spray lists try that do not exist in the tenant.
static UNKNOWN_USERNAMES: [&str; 8] = [
    "admin@example.com",
    "administrator@example.com",
    "test@example.com",
    "helpdesk@example.com",
    "info@example.com",
    "scanner@example.com",
    "backup@example.com",
    "j.doe@example.com",
];

static FIRST_NAMES: [&str; 40] = [
    "Alice",
    "Ben",
    "Chloé",
    "Daniel",
    "Emma",
    "Farid",
    "Grace",
    "Hiroshi",
    "Isabel",
    "Jack",
    "Katarzyna",
    "Liam",
    "Maria",
    "Noah",
    "Olivia",
    "Pedro",
    "Quinn",
    "Rosa",
    "Samuel",
    "Tanya",
    "Umar",
    "Valentina",
    "William",
    "Ximena",
    "Yusuf",
    "Zoë",
    "Aisha",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Elena",
    "Felix",
    "Gabriela",
    "Henrik",
    "Ingrid",
    "José",
    "Kenji",
    "Lucía",
    "Mateo",
    "Nina",
];

static LAST_NAMES: [&str; 50] = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Müller",
    "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White",
    "López", "Lee", "O'Brien", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen",
    "King", "Wright", "Schmidt", "Hill", "Scott", "Green", "Adams", "Baker", "Nakamura", "Nelson",
    "Carter", "Mitchell", "Pérez", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
    "Edwards", "Collins", "Nowak",
];

/// The local part of an email address for a display name: ASCII letters, accents dropped.
fn email_part(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'â' | 'ä' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' => Some('e'),
            'í' | 'ï' => Some('i'),
            'ó' | 'ö' | 'ô' | 'ø' => Some('o'),
            'ú' | 'ü' => Some('u'),
            'ñ' => Some('n'),
            'ç' => Some('c'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Population
// ---------------------------------------------------------------------------------------------

/// An employee of the simulated tenant.
struct User {
    id: String,
    email: String,
    name: String,
    password_enrollment: String,
    push_enrollment: String,
    /// Seed for ids derived from this user (app assignments).
    key: u64,
    profile: Profile,
}

/// Where and with what an employee signs in; copied out so flows can borrow the simulation.
#[derive(Clone, Copy)]
struct Profile {
    office: &'static Office,
    home: &'static Network,
    home_ip: u32,
    browser: &'static Agent,
    phone: &'static Agent,
    mail_client: Option<&'static Agent>,
}

/// Share of employees whose mail client still uses basic authentication.
const MAIL_CLIENT_SHARE: f64 = 0.1;

/// Names are unique (`first.last`, then `first.last2`, ...) without asking the generator, so
/// user N is the same person for every seed.
fn population(count: usize, rng: &mut Rng) -> Vec<User> {
    let combinations = FIRST_NAMES.len() * LAST_NAMES.len();
    (0..count)
        .map(|index| {
            let first_index = index % FIRST_NAMES.len();
            let round = index / FIRST_NAMES.len();
            let first = FIRST_NAMES[first_index];
            let last = LAST_NAMES[(round + 13 * first_index) % LAST_NAMES.len()];
            let generation = index / combinations;
            let mut local = format!("{}.{}", email_part(first), email_part(last));
            if generation > 0 {
                push_decimal(&mut local, generation as u64 + 1, 1);
            }
            let office = weighted_office(rng);
            let home = rng.pick(office.homes);
            let profile = Profile {
                office,
                home,
                home_ip: home.first_ip + rng.below(u64::from(home.hosts)) as u32,
                browser: rng.pick(&DESKTOP_BROWSERS),
                phone: rng.pick(&MOBILE_BROWSERS),
                mail_client: rng
                    .chance(MAIL_CLIENT_SHARE)
                    .then(|| rng.pick(&MAIL_CLIENTS)),
            };
            let key = rng.next_u64();
            User {
                id: okta_id("00u", key),
                email: format!("{local}@example.com"),
                name: format!("{first} {last}"),
                password_enrollment: okta_id("pfd", key ^ 1),
                push_enrollment: okta_id("opf", key ^ 2),
                key,
                profile,
            }
        })
        .collect()
}

fn weighted_office(rng: &mut Rng) -> &'static Office {
    let total: u64 = OFFICES.iter().map(|office| office.weight).sum();
    let mut roll = rng.below(total);
    for office in &OFFICES {
        if roll < office.weight {
            return office;
        }
        roll -= office.weight;
    }
    &OFFICES[0]
}

/// Hands out attacker addresses so that each attack gets fresh ones.
struct AddressPool {
    handed_out: [u32; ATTACKER_NETWORKS.len()],
}

impl AddressPool {
    fn new(rng: &mut Rng) -> Self {
        // A seeded starting point per network, so different seeds use different addresses.
        AddressPool {
            handed_out: std::array::from_fn(|_| rng.below(1_000) as u32),
        }
    }

    /// A fresh address on a hosting network, or on an anonymizer (`isProxy` true).
    fn draw(&mut self, rng: &mut Rng, agent: &'static Agent, anonymizer: bool) -> Client {
        let candidates: Vec<usize> = (0..ATTACKER_NETWORKS.len())
            .filter(|&n| ATTACKER_NETWORKS[n].is_proxy == anonymizer)
            .collect();
        let chosen = *rng.pick(&candidates);
        let network = &ATTACKER_NETWORKS[chosen];
        let host = self.handed_out[chosen].wrapping_mul(ADDRESS_STRIDE) % network.hosts;
        self.handed_out[chosen] += 1;
        Client {
            agent,
            network,
            ip: network.first_ip + host,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// The event types the simulation produces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    PolicyEvaluation,
    PushSent,
    PushDenied,
    MfaVerified,
    SessionStart,
    Sso,
    SessionEnd,
    RichClient,
    AccountLock,
    ThreatDetected,
}

impl Kind {
    const ALL: [Kind; 10] = [
        Kind::PolicyEvaluation,
        Kind::PushSent,
        Kind::PushDenied,
        Kind::MfaVerified,
        Kind::SessionStart,
        Kind::Sso,
        Kind::SessionEnd,
        Kind::RichClient,
        Kind::AccountLock,
        Kind::ThreatDetected,
    ];

    fn event_type(self) -> &'static str {
        match self {
            Kind::PolicyEvaluation => "policy.evaluate_sign_on",
            Kind::PushSent => "system.push.send_factor_verify_push",
            Kind::PushDenied => "user.mfa.okta_verify.deny_push",
            Kind::MfaVerified => "user.authentication.auth_via_mfa",
            Kind::SessionStart => "user.session.start",
            Kind::Sso => "user.authentication.sso",
            Kind::SessionEnd => "user.session.end",
            Kind::RichClient => "user.authentication.auth_via_richclient",
            Kind::AccountLock => "user.account.lock",
            Kind::ThreatDetected => "security.threat.detected",
        }
    }

    fn display_message(self) -> &'static str {
        match self {
            Kind::PolicyEvaluation => "Evaluation of sign-on policy",
            Kind::PushSent => "A push was sent to a user for verification",
            Kind::PushDenied => "User rejected Okta push verify",
            Kind::MfaVerified => "Authentication of user via MFA",
            Kind::SessionStart => "User login to Okta",
            Kind::Sso => "User single sign on to app",
            Kind::SessionEnd => "User logout from Okta",
            Kind::RichClient => "Authentication of a user via Rich Client",
            Kind::AccountLock => "Max sign in attempts exceeded",
            Kind::ThreatDetected => "Request from suspicious actor",
        }
    }
}

#[derive(Clone, Copy)]
enum Outcome {
    Success,
    Failure(&'static str),
    Allow,
    Challenge,
    Deny(&'static str),
}

impl Outcome {
    /// `outcome.result` values, in the order of [`Outcome::index`].
    const RESULTS: [&'static str; 5] = ["SUCCESS", "FAILURE", "ALLOW", "CHALLENGE", "DENY"];

    fn index(self) -> usize {
        match self {
            Outcome::Success => 0,
            Outcome::Failure(_) => 1,
            Outcome::Allow => 2,
            Outcome::Challenge => 3,
            Outcome::Deny(_) => 4,
        }
    }

    fn result(self) -> &'static str {
        Outcome::RESULTS[self.index()]
    }

    fn reason(self) -> Option<&'static str> {
        match self {
            Outcome::Success => None,
            Outcome::Failure(reason) | Outcome::Deny(reason) => Some(reason),
            Outcome::Allow => Some("Sign-on policy evaluation resulted in ALLOW"),
            Outcome::Challenge => Some("Sign-on policy evaluation resulted in CHALLENGE"),
        }
    }

    fn is_failure(self) -> bool {
        matches!(self, Outcome::Failure(_) | Outcome::Deny(_))
    }
}

fn legacy_event_type(kind: Kind, outcome: Outcome) -> Option<&'static str> {
    let failed = outcome.is_failure();
    match kind {
        Kind::PolicyEvaluation | Kind::PushSent => None,
        Kind::PushDenied => Some("core.user.factor.push_rejected"),
        Kind::MfaVerified if failed => Some("core.user.factor.attempt_fail"),
        Kind::MfaVerified => Some("core.user.factor.attempt_success"),
        Kind::SessionStart if failed => Some("core.user_auth.login_failed"),
        Kind::SessionStart => Some("core.user_auth.login_success"),
        Kind::Sso => Some("app.auth.sso"),
        Kind::SessionEnd => Some("core.user_auth.logout_success"),
        Kind::RichClient => Some(match outcome {
            Outcome::Failure(UNKNOWN_USER) => "app.rich_client.account_not_found",
            _ if failed => "app.rich_client.login_failure",
            _ => "app.rich_client.login_success",
        }),
        Kind::AccountLock => Some("core.user_auth.account_locked"),
        Kind::ThreatDetected => Some("security.threat.detected"),
    }
}

fn severity(outcome: Outcome) -> &'static str {
    if outcome.is_failure() { "WARN" } else { "INFO" }
}

/// `authenticationContext` providers and credential type.
struct AuthContext {
    provider: Option<&'static str>,
    credential_provider: Option<&'static str>,
    credential_type: Option<&'static str>,
}

fn authentication_context(kind: Kind) -> AuthContext {
    match kind {
        Kind::SessionStart | Kind::RichClient => AuthContext {
            provider: Some("OKTA_AUTHENTICATION_PROVIDER"),
            credential_provider: Some("OKTA_CREDENTIAL_PROVIDER"),
            credential_type: Some("PASSWORD"),
        },
        Kind::MfaVerified | Kind::PushDenied => AuthContext {
            provider: Some("FACTOR_PROVIDER"),
            credential_provider: Some("OKTA_CREDENTIAL_PROVIDER"),
            credential_type: None,
        },
        _ => AuthContext {
            provider: None,
            credential_provider: None,
            credential_type: None,
        },
    }
}

/// Who the event is about.
#[derive(Clone, Copy)]
enum Actor {
    Employee(u32),
    /// A username that does not exist in the tenant.
    UnknownName(&'static str),
    /// ThreatInsight reports the source address itself.
    SourceAddress,
}

/// `client` and `securityContext`: what connected, from where.
#[derive(Clone, Copy)]
struct Client {
    agent: &'static Agent,
    network: &'static Network,
    ip: u32,
}

/// One System Log event, kept small (strings are rendered only when written).
#[derive(Clone, Copy)]
struct Event {
    at: i64,
    kind: Kind,
    outcome: Outcome,
    actor: Actor,
    client: Client,
    /// Seed of `externalSessionId`; `None` is written as `"unknown"`.
    session: Option<u64>,
    uri: &'static str,
    app: Option<&'static App>,
    /// Index of the attack this event belongs to.
    attack: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum AttackKind {
    PasswordSpray,
    BruteForce,
    PushStorm,
}

impl AttackKind {
    fn next(self) -> Self {
        match self {
            AttackKind::PasswordSpray => AttackKind::BruteForce,
            AttackKind::BruteForce => AttackKind::PushStorm,
            AttackKind::PushStorm => AttackKind::PasswordSpray,
        }
    }
}

/// What an attack did, recorded when it is launched.
struct Attack {
    kind: AttackKind,
    sources: Vec<Client>,
    victims: Vec<u32>,
    compromised: Vec<u32>,
    unknown_names: Vec<&'static str>,
}

/// The knobs that differ between the bundled sample and bulk generation.
struct Scenario {
    users: usize,
    /// Probability an employee signs in on a working day, and on a weekend day.
    weekday_presence: f64,
    weekend_presence: f64,
    /// Probability a mail client using basic auth syncs on a working day; phones and desktop
    /// clients sync whether or not their owner opens a browser.
    mail_client_presence: f64,
    attacks: AttackPlan,
}

enum AttackPlan {
    /// Exactly these attacks, at these instants.
    Fixed(Vec<(i64, AttackKind)>),
    /// One attack every few hours, cycling through the kinds.
    Recurring,
}

impl Scenario {
    fn bulk(users: usize) -> Self {
        Scenario {
            users,
            weekday_presence: 0.9,
            weekend_presence: 0.05,
            mail_client_presence: 0.95,
            attacks: AttackPlan::Recurring,
        }
    }

    /// Four quiet days of a 200-person tenant (about 500 events), one attack of each kind on
    /// a different day.
    fn sample() -> Self {
        let at = |day: i64, hour: i64, minute: i64, second: i64, ms: i64| {
            SAMPLE_START + day * DAY + hour * HOUR + minute * MINUTE + second * SECOND + ms
        };
        Scenario {
            users: SAMPLE_USERS,
            weekday_presence: 0.09,
            weekend_presence: 0.02,
            mail_client_presence: 0.3,
            attacks: AttackPlan::Fixed(vec![
                (at(0, 15, 37, 12, 418), AttackKind::BruteForce),
                (at(1, 2, 14, 26, 91), AttackKind::PasswordSpray),
                (at(2, 13, 52, 40, 703), AttackKind::PushStorm),
            ]),
        }
    }
}

/// What the simulation still has to do, ordered by time.
enum Pending {
    Event(Event),
    Flow(u32, Flow),
    PlanDay(i64),
    Attack(AttackKind),
}

/// An employee activity, expanded into events when its start time comes.
#[derive(Clone, Copy)]
enum Flow {
    BrowserSignIn { at_office: bool },
    MobileSignIn,
    MailClient { at_office: bool },
}

struct Scheduled {
    at: i64,
    /// Insertion order breaks ties, so equal timestamps come out deterministically.
    seq: u64,
    item: Pending,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    /// Reversed, because `BinaryHeap` pops the greatest and we want the earliest.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A time-ordered queue. Activities are expanded only when their start comes up, so it holds
/// about one entry per employee plus the events of activities in progress: memory stays
/// bounded however much is generated.
#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Scheduled>,
    next_seq: u64,
}

impl Queue {
    fn push(&mut self, at: i64, item: Pending) {
        self.heap.push(Scheduled {
            at,
            seq: self.next_seq,
            item,
        });
        self.next_seq += 1;
    }

    fn event(&mut self, event: Event) {
        self.push(event.at, Pending::Event(event));
    }
}

/// Typos before a successful browser sign-in.
const TYPO_RATE: f64 = 0.06;
const SPRAY_VICTIMS: usize = 30;
const SPRAY_COMPROMISED: usize = 2;
const SPRAY_WINDOW: i64 = 38 * MINUTE;
const PUSHES_IN_STORM: u64 = 8;

/// The tenant, its pending activities and the attacks launched so far; yields events in time
/// order.
struct Simulation {
    users: Vec<User>,
    rng: Rng,
    addresses: AddressPool,
    queue: Queue,
    start: i64,
    recurring_attacks: bool,
    attacks: Vec<Attack>,
    weekday_presence: f64,
    weekend_presence: f64,
    mail_client_presence: f64,
}

impl Simulation {
    fn new(seed: u64, start: i64, scenario: Scenario) -> Self {
        let mut rng = Rng::new(seed);
        let users = population(scenario.users, &mut rng);
        let addresses = AddressPool::new(&mut rng);
        let mut queue = Queue::default();
        // Start a day early: the previous local day of western offices runs past midnight UTC.
        let first_day = start.div_euclid(DAY) - 1;
        queue.push(day_planning_time(first_day), Pending::PlanDay(first_day));
        let recurring_attacks = match scenario.attacks {
            AttackPlan::Fixed(attacks) => {
                for (at, kind) in attacks {
                    queue.push(at, Pending::Attack(kind));
                }
                false
            }
            AttackPlan::Recurring => {
                let first = start + rng.between(20 * MINUTE, 2 * HOUR);
                queue.push(first, Pending::Attack(AttackKind::PasswordSpray));
                true
            }
        };
        Simulation {
            users,
            rng,
            addresses,
            queue,
            start,
            recurring_attacks,
            attacks: Vec::new(),
            weekday_presence: scenario.weekday_presence,
            weekend_presence: scenario.weekend_presence,
            mail_client_presence: scenario.mail_client_presence,
        }
    }

    /// The next event in time order; `None` only if nothing is left to simulate.
    fn next_event(&mut self) -> Option<Event> {
        while let Some(Scheduled { at, item, .. }) = self.queue.heap.pop() {
            match item {
                Pending::Event(event) if event.at >= self.start => return Some(event),
                Pending::Event(_) => {}
                Pending::Flow(user, flow) => self.expand_flow(at, user, flow),
                Pending::PlanDay(day) => self.plan_day(day),
                Pending::Attack(kind) => self.launch_attack(at, kind),
            }
        }
        None
    }

    /// Decides who does what on local calendar day `day`, in each office's time zone.
    fn plan_day(&mut self, day: i64) {
        self.queue
            .push(day_planning_time(day + 1), Pending::PlanDay(day + 1));
        let working = is_weekday(day);
        let presence = if working {
            self.weekday_presence
        } else {
            self.weekend_presence
        };
        for (index, user) in self.users.iter().enumerate() {
            let index = index as u32;
            let midnight = day * DAY - user.profile.office.utc_offset_hours * HOUR;
            let at_office = working && self.rng.chance(0.65);
            if working
                && user.profile.mail_client.is_some()
                && self.rng.chance(self.mail_client_presence)
            {
                let at = midnight + self.rng.between(7 * HOUR, 9 * HOUR);
                self.queue
                    .push(at, Pending::Flow(index, Flow::MailClient { at_office }));
            }
            if !self.rng.chance(presence) {
                continue;
            }
            let first_sign_in = if working {
                self.rng
                    .between(7 * HOUR + 30 * MINUTE, 10 * HOUR + 30 * MINUTE)
            } else {
                self.rng.between(9 * HOUR, 21 * HOUR)
            };
            self.queue.push(
                midnight + first_sign_in,
                Pending::Flow(index, Flow::BrowserSignIn { at_office }),
            );
            if self.rng.chance(0.25) {
                let at = midnight + self.rng.between(12 * HOUR, 21 * HOUR);
                self.queue
                    .push(at, Pending::Flow(index, Flow::MobileSignIn));
            }
        }
    }

    fn expand_flow(&mut self, at: i64, user: u32, flow: Flow) {
        let profile = self.users[user as usize].profile;
        match flow {
            Flow::BrowserSignIn { at_office } => self.browser_sign_in(at, user, profile, at_office),
            Flow::MobileSignIn => self.mobile_sign_in(at, user, profile),
            Flow::MailClient { at_office } => self.mail_client(at, user, profile, at_office),
        }
    }

    fn client_for(&mut self, profile: Profile, agent: &'static Agent, at_office: bool) -> Client {
        if at_office {
            let office = &profile.office.network;
            let egress = self.rng.below(u64::from(office.hosts)) as u32;
            Client {
                agent,
                network: office,
                ip: office.first_ip + egress,
            }
        } else {
            Client {
                agent,
                network: profile.home,
                ip: profile.home_ip,
            }
        }
    }

    /// Morning sign-in: maybe a typo, policy, MFA push outside the office, session, apps
    /// through the day, sometimes an explicit sign-out.
    fn browser_sign_in(&mut self, at: i64, user: u32, profile: Profile, at_office: bool) {
        let client = self.client_for(profile, profile.browser, at_office);
        let base = Event {
            at,
            kind: Kind::SessionStart,
            outcome: Outcome::Success,
            actor: Actor::Employee(user),
            client,
            session: Some(self.rng.next_u64()),
            uri: URI_IDENTIFY,
            app: None,
            attack: None,
        };
        let mut t = at;
        if self.rng.chance(TYPO_RATE) {
            self.queue.event(Event {
                outcome: Outcome::Failure(INVALID_CREDENTIALS),
                session: None,
                ..base
            });
            t += self.rng.between(8 * SECOND, 90 * SECOND);
        }
        let challenged = !at_office || self.rng.chance(0.2);
        self.queue.event(Event {
            at: t,
            kind: Kind::PolicyEvaluation,
            outcome: if challenged {
                Outcome::Challenge
            } else {
                Outcome::Allow
            },
            ..base
        });
        if challenged {
            t += self.rng.between(300, 1_500);
            self.queue.event(Event {
                at: t,
                kind: Kind::PushSent,
                uri: URI_CHALLENGE,
                ..base
            });
            t += self.rng.between(3 * SECOND, 25 * SECOND);
            self.queue.event(Event {
                at: t,
                kind: Kind::MfaVerified,
                uri: URI_POLL,
                ..base
            });
        }
        t += self.rng.between(200, 900);
        self.queue.event(Event { at: t, ..base });
        let mut app_time = t;
        if self.rng.chance(0.8) {
            app_time += self.rng.between(5 * SECOND, 2 * MINUTE);
            self.queue.event(Event {
                at: app_time,
                kind: Kind::Sso,
                uri: OFFICE_365.request_uri,
                app: Some(&OFFICE_365),
                ..base
            });
        }
        for _ in 0..self.rng.between(0, 4) {
            app_time += self.rng.between(MINUTE, 90 * MINUTE);
            let app = self.rng.pick(&SSO_APPS);
            self.queue.event(Event {
                at: app_time,
                kind: Kind::Sso,
                uri: app.request_uri,
                app: Some(app),
                ..base
            });
        }
        if self.rng.chance(0.35) {
            self.queue.event(Event {
                at: t + self.rng.between(6 * HOUR, 9 * HOUR + 30 * MINUTE),
                kind: Kind::SessionEnd,
                uri: URI_SIGN_OUT,
                ..base
            });
        }
    }

    /// A quick look from the phone at home: no MFA prompt (device trusted), maybe one app.
    fn mobile_sign_in(&mut self, at: i64, user: u32, profile: Profile) {
        let client = self.client_for(profile, profile.phone, false);
        let base = Event {
            at,
            kind: Kind::PolicyEvaluation,
            outcome: Outcome::Allow,
            actor: Actor::Employee(user),
            client,
            session: Some(self.rng.next_u64()),
            uri: URI_IDENTIFY,
            app: None,
            attack: None,
        };
        self.queue.event(base);
        let started = at + self.rng.between(300, 900);
        self.queue.event(Event {
            at: started,
            kind: Kind::SessionStart,
            outcome: Outcome::Success,
            ..base
        });
        if self.rng.chance(0.7) {
            let app = self.rng.pick(&SSO_APPS);
            self.queue.event(Event {
                at: started + self.rng.between(10 * SECOND, 10 * MINUTE),
                kind: Kind::Sso,
                outcome: Outcome::Success,
                uri: app.request_uri,
                app: Some(app),
                ..base
            });
        }
    }

    /// Legitimate basic auth: the mail client re-authenticates every hour or two, and
    /// occasionally fails with a stale password first.
    fn mail_client(&mut self, at: i64, user: u32, profile: Profile, at_office: bool) {
        let Some(agent) = profile.mail_client else {
            return;
        };
        let client = self.client_for(profile, agent, at_office);
        let base = Event {
            at,
            kind: Kind::RichClient,
            outcome: Outcome::Success,
            actor: Actor::Employee(user),
            client,
            session: None,
            uri: OFFICE_365_ACTIVE_URI,
            app: Some(&OFFICE_365),
            attack: None,
        };
        let mut t = at;
        if self.rng.chance(0.04) {
            self.queue.event(Event {
                outcome: Outcome::Failure(INVALID_CREDENTIALS),
                ..base
            });
            t += self.rng.between(30 * SECOND, 3 * MINUTE);
        }
        for _ in 0..self.rng.between(2, 6) {
            self.queue.event(Event { at: t, ..base });
            t += self.rng.between(40 * MINUTE, 150 * MINUTE);
        }
    }

    fn launch_attack(&mut self, at: i64, kind: AttackKind) {
        let id = self.attacks.len() as u32;
        let attack = match kind {
            AttackKind::PasswordSpray => self.password_spray(at, id),
            AttackKind::BruteForce => self.brute_force(at, id),
            AttackKind::PushStorm => self.push_storm(at, id),
        };
        self.attacks.push(attack);
        if self.recurring_attacks {
            let next = at + self.rng.between(2 * HOUR, 6 * HOUR);
            self.queue.push(next, Pending::Attack(kind.next()));
        }
    }

    /// `count` distinct indices below `bound` (`count` much smaller than `bound`).
    fn distinct(&mut self, count: usize, bound: usize) -> Vec<u32> {
        let mut chosen = Vec::with_capacity(count);
        while chosen.len() < count.min(bound) {
            let candidate = self.rng.below(bound as u64) as u32;
            if !chosen.contains(&candidate) {
                chosen.push(candidate);
            }
        }
        chosen
    }

    /// One hosting address sprays basic auth at ~30 users (1-2 tries each) within 40 minutes;
    /// some attempts surface as `user.session.start` failures on the active endpoint, a few
    /// target non-existent names, two guesses work, and ThreatInsight flags the address.
    fn password_spray(&mut self, at: i64, id: u32) -> Attack {
        let agent = *self.rng.pick(&[&PYTHON_REQUESTS, &BAV2ROPC]);
        let source = self.addresses.draw(&mut self.rng, agent, false);
        let victims = self.distinct(SPRAY_VICTIMS, self.users.len());
        let base = Event {
            at,
            kind: Kind::RichClient,
            outcome: Outcome::Failure(INVALID_CREDENTIALS),
            actor: Actor::SourceAddress,
            client: source,
            session: None,
            uri: OFFICE_365_ACTIVE_URI,
            app: Some(&OFFICE_365),
            attack: Some(id),
        };
        for (n, &victim) in victims.iter().enumerate() {
            let attempts = if self.rng.chance(0.4) { 2 } else { 1 };
            let mut latest = at;
            for _ in 0..attempts {
                let t = at + self.rng.between(0, SPRAY_WINDOW);
                latest = latest.max(t);
                let kind = if self.rng.chance(0.25) {
                    Kind::SessionStart
                } else {
                    Kind::RichClient
                };
                self.queue.event(Event {
                    at: t,
                    kind,
                    actor: Actor::Employee(victim),
                    ..base
                });
            }
            if n < SPRAY_COMPROMISED {
                self.queue.event(Event {
                    at: latest + self.rng.between(20 * SECOND, 3 * MINUTE),
                    outcome: Outcome::Success,
                    actor: Actor::Employee(victim),
                    ..base
                });
            }
        }
        let unknown_count = self.rng.between(3, 5) as usize;
        let unknown_names: Vec<&'static str> = self
            .distinct(unknown_count, UNKNOWN_USERNAMES.len())
            .into_iter()
            .map(|n| UNKNOWN_USERNAMES[n as usize])
            .collect();
        for &name in &unknown_names {
            self.queue.event(Event {
                at: at + self.rng.between(0, SPRAY_WINDOW),
                outcome: Outcome::Failure(UNKNOWN_USER),
                actor: Actor::UnknownName(name),
                ..base
            });
        }
        for _ in 0..3 {
            self.queue.event(Event {
                at: at
                    + self
                        .rng
                        .between(SPRAY_WINDOW / 3, SPRAY_WINDOW + 2 * MINUTE),
                kind: Kind::ThreatDetected,
                outcome: Outcome::Deny(SPRAY_THREAT_REASON),
                ..base
            });
        }
        Attack {
            kind: AttackKind::PasswordSpray,
            sources: vec![source],
            compromised: victims[..SPRAY_COMPROMISED.min(victims.len())].to_vec(),
            victims,
            unknown_names,
        }
    }

    /// ~25 password guesses at one user in 20 minutes from 3-6 addresses (one an anonymizer),
    /// ending in a lockout.
    fn brute_force(&mut self, at: i64, id: u32) -> Attack {
        let victim = self.rng.below(self.users.len() as u64) as u32;
        let source_count = self.rng.between(3, 7) as usize;
        let sources: Vec<Client> = (0..source_count)
            .map(|n| {
                let agent = if self.rng.chance(0.5) {
                    self.rng.pick(&DESKTOP_BROWSERS)
                } else {
                    self.rng.pick(&SCRIPTED_CLIENTS)
                };
                self.addresses.draw(&mut self.rng, agent, n == 0)
            })
            .collect();
        let attempts = self.rng.between(23, 28) as usize;
        let mut times: Vec<i64> = (0..attempts)
            .map(|_| at + self.rng.between(0, 19 * MINUTE))
            .collect();
        times.sort_unstable();
        // Every address is used at least once, in no particular order.
        let mut assignment: Vec<usize> = (0..attempts)
            .map(|n| {
                if n < source_count {
                    n
                } else {
                    self.rng.below(source_count as u64) as usize
                }
            })
            .collect();
        self.rng.shuffle(&mut assignment);
        let base = Event {
            at,
            kind: Kind::SessionStart,
            outcome: Outcome::Failure(INVALID_CREDENTIALS),
            actor: Actor::Employee(victim),
            client: sources[0],
            session: None,
            uri: URI_IDENTIFY,
            app: None,
            attack: Some(id),
        };
        let mut last = base;
        for (&t, &source) in times.iter().zip(&assignment) {
            last = Event {
                at: t,
                client: sources[source],
                ..base
            };
            self.queue.event(last);
        }
        self.queue.event(Event {
            at: last.at + self.rng.between(200, 3 * SECOND),
            kind: Kind::AccountLock,
            outcome: Outcome::Failure(LOCKED_OUT),
            ..last
        });
        Attack {
            kind: AttackKind::BruteForce,
            sources,
            victims: vec![victim],
            compromised: Vec::new(),
            unknown_names: Vec::new(),
        }
    }

    /// With the password already known: 8 Okta Verify pushes in under 10 minutes, 6 denied,
    /// one ignored, the last accepted, and a session from the attacker's address.
    fn push_storm(&mut self, at: i64, id: u32) -> Attack {
        let victim = self.rng.below(self.users.len() as u64) as u32;
        let agent = self.rng.pick(&DESKTOP_BROWSERS);
        let anonymizer = self.rng.chance(0.5);
        let source = self.addresses.draw(&mut self.rng, agent, anonymizer);
        let base = Event {
            at,
            kind: Kind::PolicyEvaluation,
            outcome: Outcome::Challenge,
            actor: Actor::Employee(victim),
            client: source,
            session: Some(self.rng.next_u64()),
            uri: URI_IDENTIFY,
            app: None,
            attack: Some(id),
        };
        self.queue.event(base);
        let ignored = self.rng.below(PUSHES_IN_STORM - 1);
        let mut t = at + self.rng.between(SECOND, 3 * SECOND);
        for push in 0..PUSHES_IN_STORM {
            self.queue.event(Event {
                at: t,
                kind: Kind::PushSent,
                outcome: Outcome::Success,
                uri: URI_CHALLENGE,
                ..base
            });
            if push == PUSHES_IN_STORM - 1 {
                let verified = t + self.rng.between(8 * SECOND, 25 * SECOND);
                self.queue.event(Event {
                    at: verified,
                    kind: Kind::MfaVerified,
                    outcome: Outcome::Success,
                    uri: URI_POLL,
                    ..base
                });
                self.queue.event(Event {
                    at: verified + self.rng.between(300, 900),
                    kind: Kind::SessionStart,
                    outcome: Outcome::Success,
                    ..base
                });
            } else if push != ignored {
                self.queue.event(Event {
                    at: t + self.rng.between(6 * SECOND, 40 * SECOND),
                    kind: Kind::PushDenied,
                    outcome: Outcome::Failure(PUSH_REJECTED),
                    uri: URI_POLL,
                    ..base
                });
            }
            t += self.rng.between(45 * SECOND, 70 * SECOND);
        }
        Attack {
            kind: AttackKind::PushStorm,
            sources: vec![source],
            victims: vec![victim],
            compromised: vec![victim],
            unknown_names: Vec::new(),
        }
    }
}

/// Local day `day` is planned half a day ahead: before the earliest office (UTC+10) starts it.
fn day_planning_time(day: i64) -> i64 {
    day * DAY - 12 * HOUR
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// Per-event strings, rendered once and shared by every output (reused buffers).
#[derive(Default)]
struct Texts {
    uuid: String,
    published: String,
    published_siem: String,
    transaction: String,
    session: String,
    ip: String,
    url: String,
    as_number: String,
    app_user: String,
}

impl Texts {
    fn fill(&mut self, event: &Event, users: &[User], identifiers: &mut Rng) {
        self.uuid.clear();
        push_uuid(
            &mut self.uuid,
            identifiers.next_u64(),
            identifiers.next_u64(),
        );
        self.published.clear();
        push_iso_timestamp(&mut self.published, event.at);
        self.published_siem.clear();
        self.published_siem.push_str(&self.published[..10]);
        self.published_siem.push(' ');
        self.published_siem.push_str(&self.published[11..23]);
        self.transaction.clear();
        push_id_chars(
            &mut self.transaction,
            BASE64_URL,
            27,
            identifiers.next_u64(),
        );
        self.session.clear();
        match event.session {
            Some(seed) => {
                self.session.push_str("idx");
                push_id_chars(&mut self.session, BASE62, 22, seed);
            }
            None => self.session.push_str("unknown"),
        }
        self.ip.clear();
        push_ipv4(&mut self.ip, event.client.ip);
        self.url.clear();
        self.url.push_str(event.uri);
        self.url.push('?');
        self.as_number.clear();
        push_decimal(
            &mut self.as_number,
            u64::from(event.client.network.as_number),
            1,
        );
        self.app_user.clear();
        if let (Actor::Employee(user), Some(app)) = (event.actor, event.app) {
            let seed = users[user as usize].key ^ str_seed(app.id);
            self.app_user.push_str("0ua");
            push_id_chars(&mut self.app_user, BASE62, 17, seed);
        }
    }
}

#[derive(Clone, Copy)]
struct ActorFields<'a> {
    id: &'a str,
    kind: &'static str,
    alternate_id: &'a str,
    display_name: &'a str,
}

#[derive(Clone, Copy)]
struct Target<'a> {
    id: &'a str,
    kind: &'static str,
    alternate_id: &'a str,
    display_name: &'a str,
    detail: Detail,
}

/// `target[].detailEntry`.
#[derive(Clone, Copy)]
enum Detail {
    None,
    SignOnMode(&'static str),
    Method {
        used: &'static str,
        verified_properties: &'static str,
    },
}

/// An event with everything needed to write it in any shape.
struct Record<'a> {
    event: &'a Event,
    texts: &'a Texts,
    actor: ActorFields<'a>,
    targets: [Option<Target<'a>>; 2],
}

impl<'a> Record<'a> {
    fn new(event: &'a Event, texts: &'a Texts, users: &'a [User]) -> Self {
        let user = match event.actor {
            Actor::Employee(index) => Some(&users[index as usize]),
            _ => None,
        };
        let actor = match (event.actor, user) {
            (Actor::UnknownName(name), _) => ActorFields {
                id: "unknown",
                kind: "User",
                alternate_id: name,
                display_name: "unknown",
            },
            (_, Some(user)) => ActorFields {
                id: &user.id,
                kind: "User",
                alternate_id: &user.email,
                display_name: &user.name,
            },
            _ => ActorFields {
                id: &texts.ip,
                kind: "IP address",
                alternate_id: "unknown",
                display_name: &texts.ip,
            },
        };
        Record {
            event,
            texts,
            actor,
            targets: targets(event, texts, user),
        }
    }

    /// The text of one flattened field; empty when Okta would write null.
    fn field(&self, field: Field) -> &'a str {
        let event = self.event;
        let texts = self.texts;
        let agent = event.client.agent;
        let network = event.client.network;
        let place = &network.place;
        let auth = authentication_context(event.kind);
        match field {
            Field::Severity => severity(event.outcome),
            Field::EventType => event.kind.event_type(),
            Field::LegacyEventType => legacy_event_type(event.kind, event.outcome).unwrap_or(""),
            Field::DisplayMessage => event.kind.display_message(),
            Field::Uuid => &texts.uuid,
            Field::Version => "0",
            Field::Published => &texts.published,
            Field::PublishedSiem => &texts.published_siem,
            Field::OutcomeResult => event.outcome.result(),
            Field::OutcomeReason => event.outcome.reason().unwrap_or(""),
            Field::ActorId => self.actor.id,
            Field::ActorType => self.actor.kind,
            Field::ActorAlternateId => self.actor.alternate_id,
            Field::ActorDisplayName => self.actor.display_name,
            Field::AuthenticationStep => "0",
            Field::AuthenticationProvider => auth.provider.unwrap_or(""),
            Field::CredentialProvider => auth.credential_provider.unwrap_or(""),
            Field::CredentialType => auth.credential_type.unwrap_or(""),
            Field::Issuer | Field::IpChainSource => "",
            Field::ExternalSessionId => &texts.session,
            Field::Zone => "null",
            Field::IpAddress | Field::IpChainIp => &texts.ip,
            Field::Device => agent.device,
            Field::RawUserAgent => agent.raw,
            Field::Os => agent.os,
            Field::Browser => agent.browser,
            Field::Country => place.country,
            Field::State | Field::IpChainState => place.state,
            Field::City => place.city,
            Field::PostalCode | Field::IpChainPostalCode => place.postal_code,
            Field::Lat | Field::IpChainLat => place.lat,
            Field::Lon | Field::IpChainLon => place.lon,
            Field::AsNumber => &texts.as_number,
            Field::AsOrg => network.as_org,
            Field::Isp => network.isp,
            Field::Domain => network.domain,
            Field::IsProxy => bool_text(network.is_proxy),
            Field::TransactionId => &texts.transaction,
            Field::TransactionType => "WEB",
            Field::RequestUri => event.uri,
            Field::IpChainVersion => "V4",
            Field::Target(slot, part) => match self.targets.get(slot).copied().flatten() {
                None => "",
                Some(target) => match part {
                    TargetPart::Id => target.id,
                    TargetPart::Type => target.kind,
                    TargetPart::AlternateId => target.alternate_id,
                    TargetPart::DisplayName => target.display_name,
                },
            },
        }
    }
}

fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

fn app_target(app: &'static App) -> Target<'static> {
    Target {
        id: app.id,
        kind: "AppInstance",
        alternate_id: app.label,
        display_name: app.name,
        detail: Detail::SignOnMode(app.sign_on_mode),
    }
}

/// `target[]` by event type, as far as the public samples show it (at most two here).
fn targets<'a>(event: &Event, texts: &'a Texts, user: Option<&'a User>) -> [Option<Target<'a>>; 2] {
    let as_target = |user: &'a User| Target {
        id: &user.id,
        kind: "User",
        alternate_id: &user.email,
        display_name: &user.name,
        detail: Detail::None,
    };
    let push_enrollment = |user: &'a User, detail: Detail| Target {
        id: &user.push_enrollment,
        kind: "AuthenticatorEnrollment",
        alternate_id: "unknown",
        display_name: "Okta Verify",
        detail,
    };
    match event.kind {
        Kind::SessionStart | Kind::RichClient if event.uri == OFFICE_365_ACTIVE_URI => {
            [Some(app_target(&OFFICE_365)), None]
        }
        Kind::SessionStart => [
            user.map(|user| Target {
                id: &user.password_enrollment,
                kind: "AuthenticatorEnrollment",
                alternate_id: "unknown",
                display_name: "Password",
                detail: Detail::Method {
                    used: "Password",
                    verified_properties: "[USER_PRESENCE]",
                },
            }),
            Some(app_target(&OKTA_DASHBOARD)),
        ],
        Kind::MfaVerified => [
            user.map(as_target),
            user.map(|user| {
                push_enrollment(
                    user,
                    Detail::Method {
                        used: "Okta Verify",
                        verified_properties: "[DEVICE_BOUND, POSSESSION, USER_PRESENCE]",
                    },
                )
            }),
        ],
        Kind::PushSent => [user.map(as_target), None],
        Kind::PushDenied => [
            user.map(as_target),
            user.map(|user| push_enrollment(user, Detail::None)),
        ],
        Kind::PolicyEvaluation => [
            Some(Target {
                id: "00p1sgn2On3Pol4cy5x6",
                kind: "PolicyEntity",
                alternate_id: "unknown",
                display_name: "Default Policy",
                detail: Detail::None,
            }),
            Some(Target {
                id: "0pr1cAt2cH3aLl4Ru5l6",
                kind: "PolicyRule",
                alternate_id: "unknown",
                display_name: "Catch-all Rule",
                detail: Detail::None,
            }),
        ],
        Kind::Sso => [
            event.app.map(app_target),
            user.map(|user| Target {
                id: &texts.app_user,
                kind: "AppUser",
                alternate_id: &user.email,
                display_name: &user.name,
                detail: Detail::None,
            }),
        ],
        Kind::RichClient | Kind::SessionEnd | Kind::AccountLock | Kind::ThreatDetected => {
            [None, None]
        }
    }
}

/// Streaming JSON writer producing serde_json's compact or 2-space pretty layout.
struct JsonWriter<'a> {
    out: &'a mut Vec<u8>,
    pretty: bool,
    depth: usize,
    /// No member written yet in the innermost open container.
    first: bool,
    /// A key was just written, so the value needs no separator.
    after_key: bool,
}

impl<'a> JsonWriter<'a> {
    /// A writer for one value nested `depth` levels deep (for indentation).
    fn new(out: &'a mut Vec<u8>, pretty: bool, depth: usize) -> Self {
        JsonWriter {
            out,
            pretty,
            depth,
            first: true,
            after_key: true,
        }
    }

    fn separator(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        if self.pretty {
            self.newline();
        }
    }

    fn newline(&mut self) {
        self.out.push(b'\n');
        self.out.extend(std::iter::repeat_n(b' ', 2 * self.depth));
    }

    fn open(&mut self, bracket: u8) {
        self.separator();
        self.out.push(bracket);
        self.depth += 1;
        self.first = true;
    }

    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        if self.pretty && !self.first {
            self.newline();
        }
        self.out.push(bracket);
        self.first = false;
    }

    fn begin_object(&mut self) {
        self.open(b'{');
    }

    fn end_object(&mut self) {
        self.close(b'}');
    }

    fn begin_array(&mut self) {
        self.open(b'[');
    }

    fn end_array(&mut self) {
        self.close(b']');
    }

    fn key(&mut self, key: &str) {
        self.separator();
        push_json_string(self.out, key);
        self.out
            .extend_from_slice(if self.pretty { b": " } else { b":" });
        self.after_key = true;
    }

    fn string(&mut self, value: &str) {
        self.separator();
        push_json_string(self.out, value);
    }

    /// A number, boolean or null, written verbatim.
    fn literal(&mut self, text: &str) {
        self.separator();
        self.out.extend_from_slice(text.as_bytes());
    }

    fn string_field(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    fn optional_field(&mut self, key: &str, value: Option<&str>) {
        self.key(key);
        match value {
            Some(value) => self.string(value),
            None => self.literal("null"),
        }
    }

    fn literal_field(&mut self, key: &str, text: &str) {
        self.key(key);
        self.literal(text);
    }
}

/// Appends `value` as a JSON string: quotes, backslashes and control characters escaped.
fn push_json_string(out: &mut Vec<u8>, value: &str) {
    out.push(b'"');
    let bytes = value.as_bytes();
    let mut clean_from = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if byte >= 0x20 && byte != b'"' && byte != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[clean_from..index]);
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0xF)]);
            }
        }
        clean_from = index + 1;
    }
    out.extend_from_slice(&bytes[clean_from..]);
    out.push(b'"');
}

fn write_place(json: &mut JsonWriter, place: &Place) {
    json.begin_object();
    json.string_field("city", place.city);
    json.string_field("state", place.state);
    json.string_field("country", place.country);
    json.string_field("postalCode", place.postal_code);
    json.key("geolocation");
    json.begin_object();
    json.literal_field("lat", place.lat);
    json.literal_field("lon", place.lon);
    json.end_object();
    json.end_object();
}

/// One LogEvent with the System Log API's key order and its explicit nulls.
fn write_event_json(json: &mut JsonWriter, record: &Record) {
    let event = record.event;
    let texts = record.texts;
    let agent = event.client.agent;
    let network = event.client.network;
    let auth = authentication_context(event.kind);

    json.begin_object();
    json.key("actor");
    json.begin_object();
    json.string_field("id", record.actor.id);
    json.string_field("type", record.actor.kind);
    json.string_field("alternateId", record.actor.alternate_id);
    json.string_field("displayName", record.actor.display_name);
    json.literal_field("detailEntry", "null");
    json.end_object();

    json.key("client");
    json.begin_object();
    json.key("userAgent");
    json.begin_object();
    json.string_field("rawUserAgent", agent.raw);
    json.string_field("os", agent.os);
    json.string_field("browser", agent.browser);
    json.end_object();
    json.string_field("zone", "null");
    json.string_field("device", agent.device);
    json.literal_field("id", "null");
    json.string_field("ipAddress", &texts.ip);
    json.key("geographicalContext");
    write_place(json, &network.place);
    json.end_object();
    json.literal_field("device", "null");

    json.key("authenticationContext");
    json.begin_object();
    json.optional_field("authenticationProvider", auth.provider);
    json.optional_field("credentialProvider", auth.credential_provider);
    json.optional_field("credentialType", auth.credential_type);
    json.literal_field("issuer", "null");
    json.literal_field("interface", "null");
    json.literal_field("authenticationStep", "0");
    json.string_field("externalSessionId", &texts.session);
    json.end_object();

    json.string_field("displayMessage", event.kind.display_message());
    json.string_field("eventType", event.kind.event_type());
    json.key("outcome");
    json.begin_object();
    json.string_field("result", event.outcome.result());
    json.optional_field("reason", event.outcome.reason());
    json.end_object();
    json.string_field("published", &texts.published);

    json.key("securityContext");
    json.begin_object();
    json.literal_field("asNumber", &texts.as_number);
    json.string_field("asOrg", network.as_org);
    json.string_field("isp", network.isp);
    json.string_field("domain", network.domain);
    json.literal_field("isProxy", bool_text(network.is_proxy));
    json.end_object();
    json.string_field("severity", severity(event.outcome));

    json.key("debugContext");
    json.begin_object();
    json.key("debugData");
    json.begin_object();
    json.string_field("requestId", &texts.transaction);
    json.string_field("requestUri", event.uri);
    json.string_field("url", &texts.url);
    let suspicious = event.attack.is_some();
    if matches!(
        event.kind,
        Kind::PolicyEvaluation | Kind::MfaVerified | Kind::SessionStart
    ) {
        let (behaviors, risk) = if suspicious {
            (UNUSUAL_BEHAVIORS, HIGH_RISK)
        } else {
            (USUAL_BEHAVIORS, LOW_RISK)
        };
        json.string_field("behaviors", behaviors);
        json.string_field("risk", risk);
    }
    if event.kind == Kind::ThreatDetected {
        json.string_field("threatDetections", SPRAY_THREAT_DETECTIONS);
    }
    json.string_field("threatSuspected", bool_text(suspicious));
    json.end_object();
    json.end_object();

    json.optional_field(
        "legacyEventType",
        legacy_event_type(event.kind, event.outcome),
    );
    json.key("transaction");
    json.begin_object();
    json.string_field("type", "WEB");
    json.string_field("id", &texts.transaction);
    json.key("detail");
    json.begin_object();
    json.end_object();
    json.end_object();
    json.string_field("uuid", &texts.uuid);
    json.string_field("version", "0");

    json.key("request");
    json.begin_object();
    json.key("ipChain");
    json.begin_array();
    json.begin_object();
    json.string_field("ip", &texts.ip);
    json.key("geographicalContext");
    write_place(json, &network.place);
    json.string_field("version", "V4");
    json.literal_field("source", "null");
    json.end_object();
    json.end_array();
    json.end_object();

    json.key("target");
    if record.targets.iter().all(Option::is_none) {
        json.literal("null");
    } else {
        json.begin_array();
        for target in record.targets.iter().flatten() {
            json.begin_object();
            json.string_field("id", target.id);
            json.string_field("type", target.kind);
            json.string_field("alternateId", target.alternate_id);
            json.string_field("displayName", target.display_name);
            json.key("detailEntry");
            match target.detail {
                Detail::None => json.literal("null"),
                Detail::SignOnMode(mode) => {
                    json.begin_object();
                    json.string_field("signOnModeType", mode);
                    json.end_object();
                }
                Detail::Method {
                    used,
                    verified_properties,
                } => {
                    json.begin_object();
                    json.string_field("methodTypeUsed", used);
                    json.string_field("methodUsedVerifiedProperties", verified_properties);
                    json.end_object();
                }
            }
            json.end_object();
        }
        json.end_array();
    }
    json.end_object();
}

/// A flattened event attribute, for the CSV shapes.
#[derive(Clone, Copy)]
enum Field {
    Severity,
    EventType,
    LegacyEventType,
    DisplayMessage,
    Uuid,
    Version,
    Published,
    PublishedSiem,
    OutcomeResult,
    OutcomeReason,
    ActorId,
    ActorType,
    ActorAlternateId,
    ActorDisplayName,
    AuthenticationStep,
    AuthenticationProvider,
    CredentialProvider,
    CredentialType,
    Issuer,
    ExternalSessionId,
    Zone,
    IpAddress,
    Device,
    RawUserAgent,
    Os,
    Browser,
    Country,
    State,
    City,
    PostalCode,
    Lat,
    Lon,
    AsNumber,
    AsOrg,
    Isp,
    Domain,
    IsProxy,
    TransactionId,
    TransactionType,
    RequestUri,
    Target(usize, TargetPart),
    IpChainPostalCode,
    IpChainLon,
    IpChainLat,
    IpChainState,
    IpChainIp,
    IpChainSource,
    IpChainVersion,
}

#[derive(Clone, Copy)]
enum TargetPart {
    Id,
    Type,
    AlternateId,
    DisplayName,
}

type Column = (&'static str, Field);

/// The Admin Console "Download CSV" header (okta-systemlog-csv-export-header.56col.csv).
static ADMIN_COLUMNS: [Column; 56] = [
    ("severity", Field::Severity),
    ("event_type", Field::EventType),
    ("display_message", Field::DisplayMessage),
    ("uuid", Field::Uuid),
    ("version", Field::Version),
    ("timestamp", Field::Published),
    ("outcome.result", Field::OutcomeResult),
    ("outcome.reason", Field::OutcomeReason),
    ("actor.id", Field::ActorId),
    ("actor.type", Field::ActorType),
    ("actor.display_name", Field::ActorDisplayName),
    ("actor.alternate_id", Field::ActorAlternateId),
    (
        "authentication_context.authentication_step",
        Field::AuthenticationStep,
    ),
    (
        "authentication_context.authentication_provider",
        Field::AuthenticationProvider,
    ),
    (
        "authentication_context.credential_provider",
        Field::CredentialProvider,
    ),
    (
        "authentication_context.credential_type",
        Field::CredentialType,
    ),
    ("authentication_context.issuer", Field::Issuer),
    (
        "authentication_context.external_session_id",
        Field::ExternalSessionId,
    ),
    ("client.zone", Field::Zone),
    ("client.ip_address", Field::IpAddress),
    ("client.device", Field::Device),
    ("client.user_agent.raw_user_agent", Field::RawUserAgent),
    ("client.user_agent.os", Field::Os),
    ("client.user_agent.browser", Field::Browser),
    ("client.geographical_context.country", Field::Country),
    ("client.geographical_context.city", Field::City),
    ("client.geographical_context.postal_code", Field::PostalCode),
    ("client.geographical_context.geolocation.lon", Field::Lon),
    ("client.geographical_context.geolocation.lat", Field::Lat),
    ("transaction.id", Field::TransactionId),
    ("transaction.type", Field::TransactionType),
    ("debug_context.debug_data.request_uri", Field::RequestUri),
    ("legacy_event_type", Field::LegacyEventType),
    ("target0.id", Field::Target(0, TargetPart::Id)),
    ("target0.type", Field::Target(0, TargetPart::Type)),
    (
        "target0.alternate_id",
        Field::Target(0, TargetPart::AlternateId),
    ),
    (
        "target0.display_name",
        Field::Target(0, TargetPart::DisplayName),
    ),
    ("target1.id", Field::Target(1, TargetPart::Id)),
    ("target1.type", Field::Target(1, TargetPart::Type)),
    (
        "target1.alternate_id",
        Field::Target(1, TargetPart::AlternateId),
    ),
    (
        "target1.display_name",
        Field::Target(1, TargetPart::DisplayName),
    ),
    ("target2.id", Field::Target(2, TargetPart::Id)),
    ("target2.type", Field::Target(2, TargetPart::Type)),
    (
        "target2.alternate_id",
        Field::Target(2, TargetPart::AlternateId),
    ),
    (
        "target2.display_name",
        Field::Target(2, TargetPart::DisplayName),
    ),
    ("target3.id", Field::Target(3, TargetPart::Id)),
    ("target3.type", Field::Target(3, TargetPart::Type)),
    (
        "target3.alternate_id",
        Field::Target(3, TargetPart::AlternateId),
    ),
    (
        "target3.display_name",
        Field::Target(3, TargetPart::DisplayName),
    ),
    (
        "request.ip_chain.geographical_context.postal_code",
        Field::IpChainPostalCode,
    ),
    (
        "request.ip_chain.geographical_context.geolocation.lon",
        Field::IpChainLon,
    ),
    (
        "request.ip_chain.geographical_context.geolocation.lat",
        Field::IpChainLat,
    ),
    (
        "request.ip_chain.geographical_context.geolocation.state",
        Field::IpChainState,
    ),
    ("request.ip_chain.ip", Field::IpChainIp),
    ("request.ip_chain.source", Field::IpChainSource),
    ("request.ip_chain.version", Field::IpChainVersion),
];

/// A SIEM re-export (json_normalize style): identity and outcome first, then who, from where,
/// and what; `published` zone-less as SIEMs write it.
static CAMEL_COLUMNS: [Column; 41] = [
    ("uuid", Field::Uuid),
    ("published", Field::PublishedSiem),
    ("eventType", Field::EventType),
    ("legacyEventType", Field::LegacyEventType),
    ("displayMessage", Field::DisplayMessage),
    ("severity", Field::Severity),
    ("outcome.result", Field::OutcomeResult),
    ("outcome.reason", Field::OutcomeReason),
    ("actor.id", Field::ActorId),
    ("actor.type", Field::ActorType),
    ("actor.alternateId", Field::ActorAlternateId),
    ("actor.displayName", Field::ActorDisplayName),
    ("client.ipAddress", Field::IpAddress),
    ("client.userAgent.rawUserAgent", Field::RawUserAgent),
    ("client.userAgent.os", Field::Os),
    ("client.userAgent.browser", Field::Browser),
    ("client.zone", Field::Zone),
    ("client.device", Field::Device),
    ("client.geographicalContext.city", Field::City),
    ("client.geographicalContext.state", Field::State),
    ("client.geographicalContext.country", Field::Country),
    ("client.geographicalContext.postalCode", Field::PostalCode),
    ("client.geographicalContext.geolocation.lat", Field::Lat),
    ("client.geographicalContext.geolocation.lon", Field::Lon),
    ("securityContext.asNumber", Field::AsNumber),
    ("securityContext.asOrg", Field::AsOrg),
    ("securityContext.isp", Field::Isp),
    ("securityContext.domain", Field::Domain),
    ("securityContext.isProxy", Field::IsProxy),
    ("debugContext.debugData.requestUri", Field::RequestUri),
    (
        "authenticationContext.externalSessionId",
        Field::ExternalSessionId,
    ),
    ("transaction.id", Field::TransactionId),
    ("transaction.type", Field::TransactionType),
    ("target0.id", Field::Target(0, TargetPart::Id)),
    ("target0.type", Field::Target(0, TargetPart::Type)),
    (
        "target0.alternateId",
        Field::Target(0, TargetPart::AlternateId),
    ),
    (
        "target0.displayName",
        Field::Target(0, TargetPart::DisplayName),
    ),
    ("target1.id", Field::Target(1, TargetPart::Id)),
    ("target1.type", Field::Target(1, TargetPart::Type)),
    (
        "target1.alternateId",
        Field::Target(1, TargetPart::AlternateId),
    ),
    (
        "target1.displayName",
        Field::Target(1, TargetPart::DisplayName),
    ),
];

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// In-memory sink shared with a `csv::Writer`, so each record's bytes can be taken out and
/// counted at the event boundary (the writer's own buffer would hide them).
#[derive(Clone, Default)]
struct SharedBuffer(Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Turns events into the bytes of one shape.
enum Encoder {
    JsonPages {
        pretty: bool,
        page_size: u64,
        in_page: u64,
    },
    Ndjson,
    Csv {
        /// Boxed: the writer carries its own buffer, far larger than the other variants.
        writer: Box<csv::Writer<SharedBuffer>>,
        buffer: SharedBuffer,
        columns: &'static [Column],
    },
}

impl Encoder {
    fn new(shape: Shape, page_size: u64) -> Self {
        let csv = |columns: &'static [Column]| {
            let buffer = SharedBuffer::default();
            Encoder::Csv {
                writer: Box::new(csv::Writer::from_writer(buffer.clone())),
                buffer,
                columns,
            }
        };
        match shape {
            Shape::Json | Shape::JsonPretty => Encoder::JsonPages {
                pretty: matches!(shape, Shape::JsonPretty),
                page_size,
                in_page: 0,
            },
            Shape::Ndjson => Encoder::Ndjson,
            Shape::CsvAdmin => csv(&ADMIN_COLUMNS),
            Shape::CsvCamel => csv(&CAMEL_COLUMNS),
        }
    }

    fn begin(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if let Encoder::Csv {
            writer,
            buffer,
            columns,
        } = self
        {
            writer.write_record(columns.iter().map(|(name, _)| name))?;
            writer.flush()?;
            out.append(&mut buffer.0.borrow_mut());
        }
        Ok(())
    }

    fn event(&mut self, record: &Record, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Encoder::JsonPages {
                pretty,
                page_size,
                in_page,
            } => {
                out.push(if *in_page == 0 { b'[' } else { b',' });
                if *pretty {
                    out.extend_from_slice(b"\n  ");
                }
                write_event_json(&mut JsonWriter::new(out, *pretty, 1), record);
                *in_page += 1;
                if *in_page == *page_size {
                    close_page(*pretty, out);
                    *in_page = 0;
                }
            }
            Encoder::Ndjson => {
                write_event_json(&mut JsonWriter::new(out, false, 0), record);
                out.push(b'\n');
            }
            Encoder::Csv {
                writer,
                buffer,
                columns,
            } => {
                for &(_, field) in columns.iter() {
                    writer.write_field(record.field(field))?;
                }
                writer.write_record(None::<&[u8]>)?;
                writer.flush()?;
                out.append(&mut buffer.0.borrow_mut());
            }
        }
        Ok(())
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        if let Encoder::JsonPages {
            pretty, in_page, ..
        } = self
            && *in_page > 0
        {
            close_page(*pretty, out);
            *in_page = 0;
        }
    }
}

/// Pages are concatenated one per line, as when saving API responses one after another.
fn close_page(pretty: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if pretty { b"\n]\n" } else { b"]\n" });
}

enum Sink {
    Plain(BufWriter<File>),
    /// Boxed: the encoder's state is some hundreds of bytes.
    Gzip(Box<GzEncoder<BufWriter<File>>>),
}

/// One output file: an encoder, the (possibly compressed) file, and the uncompressed byte
/// count that `--size` refers to.
struct Output {
    encoder: Encoder,
    sink: Sink,
    bytes: u64,
    scratch: Vec<u8>,
}

impl Output {
    fn create(path: &Path, encoder: Encoder, gzip: bool) -> Result<Self> {
        let file =
            File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let file = BufWriter::with_capacity(1 << 20, file);
        // Fast compression: the point is a realistic .gz, not the smallest one.
        let sink = if gzip {
            Sink::Gzip(Box::new(GzEncoder::new(file, Compression::fast())))
        } else {
            Sink::Plain(file)
        };
        Ok(Output {
            encoder,
            sink,
            bytes: 0,
            scratch: Vec::with_capacity(8 << 10),
        })
    }

    fn emit(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Plain(file) => file.write_all(&self.scratch)?,
            Sink::Gzip(gzip) => gzip.write_all(&self.scratch)?,
        }
        self.bytes += self.scratch.len() as u64;
        self.scratch.clear();
        Ok(())
    }

    fn begin(&mut self) -> Result<()> {
        self.encoder.begin(&mut self.scratch)?;
        Ok(self.emit()?)
    }

    fn write(&mut self, record: &Record) -> Result<()> {
        self.encoder.event(record, &mut self.scratch)?;
        Ok(self.emit()?)
    }

    /// Closes the last page, flushes, and returns the uncompressed size.
    fn finish(mut self) -> Result<u64> {
        self.encoder.end(&mut self.scratch);
        self.emit()?;
        let mut file = match self.sink {
            Sink::Plain(file) => file,
            Sink::Gzip(gzip) => gzip.finish()?,
        };
        file.flush()?;
        Ok(self.bytes)
    }
}

// ---------------------------------------------------------------------------------------------
// Counting and describing what was written
// ---------------------------------------------------------------------------------------------

/// Event counts by type and outcome, and the time window they cover.
#[derive(Clone, Default)]
struct Counts {
    events: u64,
    first: Option<i64>,
    last: i64,
    by_type: [[u64; Outcome::RESULTS.len()]; Kind::ALL.len()],
}

impl Counts {
    fn add(&mut self, event: &Event) {
        self.events += 1;
        self.first.get_or_insert(event.at);
        self.last = event.at;
        self.by_type[event.kind as usize][event.outcome.index()] += 1;
    }

    /// "`eventType` RESULT ×n" for every non-zero combination.
    fn breakdown(&self) -> String {
        let mut parts = Vec::new();
        for kind in Kind::ALL {
            for (result, &count) in Outcome::RESULTS.iter().zip(&self.by_type[kind as usize]) {
                if count > 0 {
                    parts.push(format!("`{}` {result} ×{count}", kind.event_type()));
                }
            }
        }
        parts.join(", ")
    }
}

/// Everything written, overall and per attack, plus who used basic auth legitimately.
#[derive(Default)]
struct Tally {
    all: Counts,
    per_attack: Vec<Counts>,
    mail_client_users: BTreeSet<u32>,
}

impl Tally {
    fn add(&mut self, event: &Event) {
        self.all.add(event);
        if let Some(attack) = event.attack {
            let attack = attack as usize;
            if self.per_attack.len() <= attack {
                self.per_attack.resize(attack + 1, Counts::default());
            }
            self.per_attack[attack].add(event);
        } else if let (Kind::RichClient, Actor::Employee(user)) = (event.kind, event.actor) {
            self.mail_client_users.insert(user);
        }
    }
}

fn describe_source(source: &Client) -> String {
    let network = source.network;
    let proxy = if network.is_proxy {
        ", isProxy true"
    } else {
        ""
    };
    let agent = match source.agent.raw {
        "" => "empty User-Agent".to_string(),
        raw => format!("UA `{raw}`"),
    };
    format!(
        "`{}` (AS{} {}, {}, {}{proxy}; {agent})",
        ipv4_text(source.ip),
        network.as_number,
        network.as_org,
        network.place.city,
        network.place.country,
    )
}

fn user_list(users: &[User], indices: &[u32]) -> String {
    indices
        .iter()
        .map(|&index| format!("`{}`", users[index as usize].email))
        .collect::<Vec<_>>()
        .join(", ")
}

/// SAMPLE.md: what the bundled sample contains, computed from what was actually written.
fn describe_sample(simulation: &Simulation, tally: &Tally) -> Result<String> {
    let users = &simulation.users;
    let mut md = String::new();
    writeln!(md, "# Bundled Okta System Log sample")?;
    writeln!(md)?;
    writeln!(
        md,
        "Generated by `cargo run --release --example generate -- --sample testdata/` \
         (seed {SAMPLE_SEED}); regenerate rather than edit. Every number below was computed \
         while the events were written."
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "Synthetic data: a {}-employee tenant on `example.com` with offices in New York, \
         London, Berlin and Sydney, over {SAMPLE_DAYS} days from {} (Wednesday to Saturday). \
         Attacker addresses are RFC 5737 documentation addresses.",
        users.len(),
        iso_timestamp(SAMPLE_START),
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "- `okta-sample.json`: one System Log API page, a JSON array pretty-printed with a \
         2-space indent, {} events.",
        tally.all.events
    )?;
    writeln!(
        md,
        "- `okta-sample.csv`: the same events in the same order, as the Admin Console \
         \"Download CSV\" export ({} columns).",
        ADMIN_COLUMNS.len()
    )?;
    writeln!(
        md,
        "- First event `{}`, last event `{}`.",
        tally.all.first.map_or_else(String::new, iso_timestamp),
        iso_timestamp(tally.all.last)
    )?;
    writeln!(md)?;
    writeln!(md, "## Attacks")?;
    for (number, (attack, counts)) in simulation.attacks.iter().zip(&tally.per_attack).enumerate() {
        let title = match attack.kind {
            AttackKind::PasswordSpray => "Password spray through legacy (basic) authentication",
            AttackKind::BruteForce => "Brute force against one user",
            AttackKind::PushStorm => "MFA push storm (push fatigue)",
        };
        writeln!(md)?;
        writeln!(md, "### {}. {title}", number + 1)?;
        writeln!(md)?;
        writeln!(
            md,
            "- Window: `{}` to `{}`, {} events.",
            counts.first.map_or_else(String::new, iso_timestamp),
            iso_timestamp(counts.last),
            counts.events
        )?;
        let sources: Vec<String> = attack.sources.iter().map(describe_source).collect();
        writeln!(md, "- Source addresses: {}.", sources.join("; "))?;
        match attack.kind {
            AttackKind::PasswordSpray => {
                writeln!(
                    md,
                    "- Sprayed users ({}): {}.",
                    attack.victims.len(),
                    user_list(users, &attack.victims)
                )?;
                let names: Vec<String> = attack
                    .unknown_names
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect();
                writeln!(
                    md,
                    "- Non-existent usernames tried (`UNKNOWN_USER`): {}.",
                    names.join(", ")
                )?;
                writeln!(
                    md,
                    "- Compromised (`auth_via_richclient` SUCCESS from the spray address): {}.",
                    user_list(users, &attack.compromised)
                )?;
            }
            AttackKind::BruteForce => {
                writeln!(
                    md,
                    "- Victim: {} (locked out at the end).",
                    user_list(users, &attack.victims)
                )?;
            }
            AttackKind::PushStorm => {
                writeln!(
                    md,
                    "- Victim: {}; the last push is accepted, so the account is compromised \
                     (session started from the attacker's address).",
                    user_list(users, &attack.victims)
                )?;
            }
        }
        writeln!(md, "- Events: {}.", counts.breakdown())?;
    }
    writeln!(md)?;
    writeln!(md, "## Background traffic")?;
    writeln!(md)?;
    writeln!(
        md,
        "Everything else is ordinary: browser sign-ins (a few typos), sign-on policy \
         evaluations, Okta Verify pushes outside the office, SSO to apps and Office 365 \
         (`/sso/wsfed/passive`), sign-outs."
    )?;
    let mail_users: Vec<u32> = tally.mail_client_users.iter().copied().collect();
    writeln!(
        md,
        "Legitimate basic authentication (`auth_via_richclient` from mail clients, not an \
         attack) by {} employees: {}.",
        mail_users.len(),
        user_list(users, &mail_users)
    )?;
    writeln!(md)?;
    writeln!(md, "## Events per eventType and outcome")?;
    writeln!(md)?;
    let used_results: Vec<usize> = (0..Outcome::RESULTS.len())
        .filter(|&result| {
            Kind::ALL
                .iter()
                .any(|&kind| tally.all.by_type[kind as usize][result] > 0)
        })
        .collect();
    let header: Vec<&str> = used_results.iter().map(|&r| Outcome::RESULTS[r]).collect();
    writeln!(md, "| eventType | {} | total |", header.join(" | "))?;
    writeln!(md, "|---|{}---|", "---|".repeat(used_results.len()))?;
    for kind in Kind::ALL {
        let row = &tally.all.by_type[kind as usize];
        let total: u64 = row.iter().sum();
        if total == 0 {
            continue;
        }
        let cells: Vec<String> = used_results.iter().map(|&r| row[r].to_string()).collect();
        writeln!(
            md,
            "| `{}` | {} | {total} |",
            kind.event_type(),
            cells.join(" | ")
        )?;
    }
    writeln!(md)?;
    writeln!(md, "## Events per outcome")?;
    writeln!(md)?;
    writeln!(md, "| outcome.result | events |")?;
    writeln!(md, "|---|---|")?;
    for &result in &used_results {
        let count: u64 = Kind::ALL
            .iter()
            .map(|&kind| tally.all.by_type[kind as usize][result])
            .sum();
        writeln!(md, "| {} | {count} |", Outcome::RESULTS[result])?;
    }
    writeln!(md, "| total | {} |", tally.all.events)?;
    Ok(md)
}
