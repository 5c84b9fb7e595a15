//! UTC timestamps with millisecond precision: parsing the forms Okta exports and SIEM re-exports
//! use, and formatting them one way (`2024-05-01T13:00:00.000Z`) everywhere output is written.
//!
//! Hand-written rather than delegated to a date crate because it runs once per event on the hot
//! path and must reject impossible dates (Okta's own docs example has `2017-09-31`).

use std::fmt;

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const MS_PER_DAY: i64 = 86_400_000;

/// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the instants a four-digit year
/// can write.
const FIRST_WRITABLE: i64 = -62_167_219_200_000;
const LAST_WRITABLE: i64 = 253_402_300_799_999;

impl Timestamp {
    /// Parses `YYYY-MM-DD[T ]HH:MM:SS[.f{0,9}][Z|±HH:MM|±HHMM]`; a time without a zone is UTC.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.trim().as_bytes();
        if b.len() < 19 || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
            return None;
        }
        let days = parse_date(&b[..10])?;
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let hour = two_digits(&b[11..13])?;
        let minute = two_digits(&b[14..16])?;
        let second = two_digits(&b[17..19])?;
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let mut rest = &b[19..];
        let mut millis = 0i64;
        if let Some((b'.', fraction)) = rest.split_first() {
            let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 || digits > 9 {
                return None;
            }
            for (i, &c) in fraction[..digits.min(3)].iter().enumerate() {
                millis += i64::from(c - b'0') * [100, 10, 1][i];
            }
            rest = &fraction[digits..];
        }
        let offset_minutes = parse_zone(rest)?;
        let seconds = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        let utc = days * MS_PER_DAY + seconds * 1000 + millis - offset_minutes * 60_000;
        // An offset can carry a time written in year 0000 or 9999 out of the years that output
        // (`YYYY-...`) can show; such a time is as unreadable as an impossible date.
        (FIRST_WRITABLE..=LAST_WRITABLE)
            .contains(&utc)
            .then_some(Timestamp(utc))
    }

    /// Parses a full timestamp or a bare date (`YYYY-MM-DD`, midnight UTC): the forms accepted by
    /// `--since` and `--until`.
    pub fn parse_bound(text: &str) -> Option<Timestamp> {
        let trimmed = text.trim();
        if trimmed.len() == 10 {
            return parse_date(trimmed.as_bytes()).map(|days| Timestamp(days * MS_PER_DAY));
        }
        Timestamp::parse(trimmed)
    }

    /// The start of the bucket of `width` milliseconds holding this instant.
    pub fn floor(self, width: i64) -> Timestamp {
        Timestamp(self.0.div_euclid(width) * width)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds = ms_of_day / 1000;
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60,
            ms_of_day % 1000
        )
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [t, u] if t.is_ascii_digit() && u.is_ascii_digit() => {
            Some(u32::from(t - b'0') * 10 + u32::from(u - b'0'))
        }
        _ => None,
    }
}

/// Days since the epoch of a valid `YYYY-MM-DD`, or `None` for an impossible date.
fn parse_date(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i64::from(two_digits(&b[0..2])? * 100 + two_digits(&b[2..4])?);
    let month = two_digits(&b[5..7])?;
    let day = two_digits(&b[8..10])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn parse_zone(b: &[u8]) -> Option<i64> {
    match b {
        [] | [b'Z'] | [b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hours, minutes) = match rest {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (two_digits(&[*h1, *h2])?, two_digits(&[*m1, *m2])?)
                }
                [h1, h2] => (two_digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = i64::from(hours * 60 + minutes);
            Some(if *sign == b'-' { -total } else { total })
        }
        _ => None,
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's days-from-civil algorithm (proleptic Gregorian calendar).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        Timestamp::parse(text).map_or("invalid".into(), |t| t.to_string())
    }

    #[test]
    fn accepts_every_form_okta_and_siems_write() {
        let cases = [
            ("2024-05-01T13:00:00.123Z", "2024-05-01T13:00:00.123Z"),
            ("2024-05-01T13:00:00Z", "2024-05-01T13:00:00.000Z"),
            ("2024-05-01T13:00:00.1Z", "2024-05-01T13:00:00.100Z"),
            ("2024-05-01T13:00:00.12Z", "2024-05-01T13:00:00.120Z"),
            ("2024-05-01T13:00:00.123456789Z", "2024-05-01T13:00:00.123Z"),
            ("2024-05-01T15:30:00.000+02:30", "2024-05-01T13:00:00.000Z"),
            ("2024-05-01T08:00:00.000-0500", "2024-05-01T13:00:00.000Z"),
            ("2024-05-01T14:00:00+01", "2024-05-01T13:00:00.000Z"),
            ("2022-11-22 18:48:49.177", "2022-11-22T18:48:49.177Z"),
            ("2024-05-01T13:00:00", "2024-05-01T13:00:00.000Z"),
            ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"),
            ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
            ("2000-03-01T00:00:00Z", "2000-03-01T00:00:00.000Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(round_trip(input), expected, "input {input}");
        }
    }

    #[test]
    fn rejects_impossible_and_malformed_times() {
        for input in [
            "2017-09-31T22:23:07.777Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T13:60:00Z",
            "2024-05-01T13:00:00.Z",
            "2024-05-01T13:00:00.1234567890Z",
            "2024-05-01T13:00:00+25:00",
            "2024-05-01T13:00:00 UTC",
            "2024-05-01",
            "1714568400000",
            "",
            "2024-05-01X13:00:00Z",
        ] {
            assert_eq!(Timestamp::parse(input), None, "input {input:?}");
        }
    }

    #[test]
    fn offsets_cannot_carry_a_time_outside_the_years_it_can_be_written_in() {
        // The first and last instants RFC 3339 output can show are read...
        for (input, expected) in [
            ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"),
            ("0000-01-01T00:00:00-01:00", "0000-01-01T01:00:00.000Z"),
            ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
            ("9999-12-31T23:59:59.999+23:59", "9999-12-31T00:00:59.999Z"),
        ] {
            assert_eq!(round_trip(input), expected, "input {input}");
        }
        // ...but an offset that moves a time before year 0 or past year 9999 leaves nothing
        // that can be written back ("-001-12-31T...", "10000-01-01T..."): a malformed record.
        for input in [
            "0000-01-01T00:00:00+00:01",
            "0000-01-01T00:00:00.000+23:59",
            "9999-12-31T23:59:59.999-00:01",
            "9999-12-31T23:00:00-23:59",
        ] {
            assert_eq!(Timestamp::parse(input), None, "input {input:?}");
            assert_eq!(Timestamp::parse_bound(input), None, "input {input:?}");
        }
    }

    #[test]
    fn epoch_and_bounds() {
        assert_eq!(Timestamp::parse("1970-01-01T00:00:00Z"), Some(Timestamp(0)));
        assert_eq!(
            Timestamp::parse_bound("0000-01-01"),
            Some(Timestamp(FIRST_WRITABLE))
        );
        assert_eq!(
            Timestamp::parse("9999-12-31T23:59:59.999Z"),
            Some(Timestamp(LAST_WRITABLE))
        );
        assert_eq!(
            Timestamp::parse_bound("2024-05-02"),
            Timestamp::parse("2024-05-02T00:00:00Z")
        );
        assert_eq!(Timestamp::parse_bound("2024-05-32"), None);
    }

    #[test]
    fn floor_buckets_before_the_epoch_too() {
        assert_eq!(Timestamp(-1).floor(3_600_000), Timestamp(-3_600_000));
        assert_eq!(Timestamp(7_199_999).floor(3_600_000), Timestamp(3_600_000));
    }
}
