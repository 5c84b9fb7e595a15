//! Detection thresholds: named parameters with defaults, and the `--set ID.PARAM=VALUE`
//! overrides. Every threshold a detection uses is one of these, so `--list` can show it and
//! `--set` can change it.

use std::collections::BTreeMap;

use crate::detect::CATALOGUE;

/// What a parameter measures, which decides how its value is written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of events, users or addresses.
    Count,
    /// A time span, held in seconds, written `90s`, `15m`, `3h` or `1d`.
    Duration,
    /// A speed in km/h, written `900km/h` (or `900`).
    KmPerHour,
    /// A share, written `50%` (or `50`).
    Percent,
}

/// A named threshold of a detection.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub unit: Unit,
    pub default: u64,
    pub doc: &'static str,
}

/// Upper bounds that keep every value far from arithmetic overflow.
const MAX_COUNT: u64 = 1_000_000_000;
const MAX_SECONDS: u64 = 366 * 86_400;
const MAX_SPEED: u64 = 1_000_000;

/// A value as `--list` shows it and `--set` reads it back.
pub fn format_value(unit: Unit, value: u64) -> String {
    match unit {
        Unit::Count => value.to_string(),
        Unit::Duration => {
            for (seconds, suffix) in [(86_400, "d"), (3_600, "h"), (60, "m")] {
                if value >= seconds && value.is_multiple_of(seconds) {
                    return format!("{}{suffix}", value / seconds);
                }
            }
            format!("{value}s")
        }
        Unit::KmPerHour => format!("{value}km/h"),
        Unit::Percent => format!("{value}%"),
    }
}

/// Reads a value written as [`format_value`] writes it.
pub fn parse_value(unit: Unit, text: &str) -> Result<u64, String> {
    let text = text.trim();
    let number = |digits: &str| -> Option<u64> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    match unit {
        Unit::Count => number(text)
            .filter(|n| (1..=MAX_COUNT).contains(n))
            .ok_or_else(|| format!("expected a whole number from 1 to {MAX_COUNT}")),
        Unit::Duration => {
            let (digits, suffix) = text
                .char_indices()
                .last()
                .map_or(("", ""), |(last, _)| text.split_at(last));
            let scale = match suffix {
                "s" => Some(1),
                "m" => Some(60),
                "h" => Some(3_600),
                "d" => Some(86_400),
                _ => None,
            };
            scale
                .zip(number(digits))
                .and_then(|(scale, n)| n.checked_mul(scale))
                .filter(|s| (1..=MAX_SECONDS).contains(s))
                .ok_or_else(|| {
                    "expected a duration such as 90s, 15m, 3h or 1d (at most 366d)".into()
                })
        }
        Unit::KmPerHour => number(text.strip_suffix("km/h").unwrap_or(text).trim_end())
            .filter(|n| (1..=MAX_SPEED).contains(n))
            .ok_or_else(|| {
                format!("expected a speed in km/h from 1 to {MAX_SPEED}, such as 900km/h")
            }),
        Unit::Percent => number(text.strip_suffix('%').unwrap_or(text))
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| "expected a percentage from 1% to 100%".into()),
    }
}

/// The threshold values of every detection: the defaults with `--set` overrides applied.
#[derive(Debug, Clone)]
pub struct Settings {
    values: BTreeMap<&'static str, Vec<u64>>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            values: CATALOGUE
                .iter()
                .map(|d| (d.id, d.params.iter().map(|p| p.default).collect()))
                .collect(),
        }
    }
}

impl Settings {
    /// Applies one `ID.PARAM=VALUE`; the error is one line naming what was wrong.
    /// The defaults with every `--set` assignment applied, in order. A pair of parameters
    /// `min_X` and `max_X` that leaves no room between them is refused: it would switch the
    /// detection off without a word.
    pub fn from_assignments(assignments: &[String]) -> Result<Settings, String> {
        let mut settings = Settings::default();
        for assignment in assignments {
            settings.apply(assignment)?;
        }
        for detection in CATALOGUE {
            let values = settings.of(detection.id);
            for min in detection
                .params
                .iter()
                .filter(|p| p.name.starts_with("min_"))
            {
                let max_name = format!("max_{}", &min.name[4..]);
                if detection.params.iter().any(|p| p.name == max_name)
                    && values.get(min.name) > values.get(&max_name)
                {
                    return Err(format!(
                        "--set: {id}.{min_name} ({low}) is above {id}.{max_name} ({high}), so \
                         {id} could never fire",
                        id = detection.id,
                        min_name = min.name,
                        low = values.get(min.name),
                        high = values.get(&max_name),
                    ));
                }
            }
        }
        Ok(settings)
    }

    pub fn apply(&mut self, assignment: &str) -> Result<(), String> {
        let fail = |why: String| format!("--set {assignment}: {why}");
        let (name, value) = assignment
            .split_once('=')
            .and_then(|(name, value)| Some((name.split_once('.')?, value)))
            .ok_or_else(|| {
                fail("expected ID.PARAM=VALUE, such as brute-force.failures=20".into())
            })?;
        let (id, param) = (name.0.trim(), name.1.trim());
        let detection = CATALOGUE.iter().find(|d| d.id == id).ok_or_else(|| {
            fail(format!(
                "no detection {id:?} (authsift hunt --list shows them)"
            ))
        })?;
        let Some(index) = detection.params.iter().position(|p| p.name == param) else {
            let names: Vec<&str> = detection.params.iter().map(|p| p.name).collect();
            return Err(fail(if names.is_empty() {
                format!("{id} has no parameters")
            } else {
                format!(
                    "{id} has no parameter {param:?} (it has {})",
                    names.join(", ")
                )
            }));
        };
        let parsed = parse_value(detection.params[index].unit, value).map_err(fail)?;
        if let Some(slot) = self.values.get_mut(id).and_then(|v| v.get_mut(index)) {
            *slot = parsed;
        }
        Ok(())
    }

    /// The values of one detection's parameters.
    pub fn of(&self, id: &str) -> Values<'_> {
        let params = CATALOGUE
            .iter()
            .find(|d| d.id == id)
            .map_or(&[][..], |d| d.params);
        Values {
            params,
            values: self.values.get(id).map_or(&[][..], Vec::as_slice),
        }
    }
}

/// One detection's parameter values, read by name.
#[derive(Debug, Clone, Copy)]
pub struct Values<'s> {
    params: &'static [Param],
    values: &'s [u64],
}

impl Values<'_> {
    /// The value of `name`. Names are constants beside each detection's parameter list, so an
    /// unknown one is a programming error that the detection's own tests catch.
    pub fn get(&self, name: &str) -> u64 {
        let value = self
            .params
            .iter()
            .position(|p| p.name == name)
            .and_then(|i| self.values.get(i).copied());
        debug_assert!(value.is_some(), "no parameter {name}");
        value.unwrap_or(u64::MAX)
    }

    /// A count parameter as `usize`.
    pub fn count(&self, name: &str) -> usize {
        usize::try_from(self.get(name)).unwrap_or(usize::MAX)
    }

    /// A duration parameter in milliseconds, the unit of [`crate::time::Timestamp`].
    pub fn millis(&self, name: &str) -> i64 {
        i64::try_from(self.get(name)).map_or(i64::MAX, |s| s.saturating_mul(1000))
    }

    /// Every parameter with its current value, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Param, u64)> + '_ {
        self.params.iter().zip(self.values.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_their_text() {
        for (unit, value, text) in [
            (Unit::Count, 10, "10"),
            (Unit::Duration, 3_600, "1h"),
            (Unit::Duration, 900, "15m"),
            (Unit::Duration, 90, "90s"),
            (Unit::Duration, 86_400, "1d"),
            (Unit::Duration, 5_400, "90m"),
            (Unit::KmPerHour, 900, "900km/h"),
            (Unit::Percent, 50, "50%"),
        ] {
            assert_eq!(format_value(unit, value), text);
            assert_eq!(parse_value(unit, text), Ok(value), "{text}");
        }
        assert_eq!(parse_value(Unit::KmPerHour, "900"), Ok(900));
        assert_eq!(parse_value(Unit::Percent, "40"), Ok(40));
    }

    #[test]
    fn bad_values_are_refused() {
        for (unit, text) in [
            (Unit::Count, "0"),
            (Unit::Count, "-3"),
            (Unit::Count, "ten"),
            (Unit::Count, "1.5"),
            (Unit::Count, ""),
            (Unit::Count, "99999999999999999999999"),
            (Unit::Duration, "60"),
            (Unit::Duration, "0m"),
            (Unit::Duration, "1w"),
            (Unit::Duration, "h"),
            (Unit::Duration, "400d"),
            (Unit::Duration, "99999999999999999999d"),
            (Unit::Duration, "1é"),
            (Unit::KmPerHour, "fast"),
            (Unit::Percent, "101%"),
            (Unit::Percent, "0"),
        ] {
            assert!(parse_value(unit, text).is_err(), "{unit:?} {text:?}");
        }
    }

    #[test]
    fn overrides_apply_and_errors_are_one_line() {
        let mut settings = Settings::default();
        assert_eq!(settings.of("brute-force").get("failures"), 10);
        settings.apply("brute-force.failures=20").unwrap();
        settings.apply("brute-force.window=1h").unwrap();
        assert_eq!(settings.of("brute-force").get("failures"), 20);
        assert_eq!(settings.of("brute-force").millis("window"), 3_600_000);
        for (text, message) in [
            (
                "brute-force",
                "--set brute-force: expected ID.PARAM=VALUE, such as brute-force.failures=20",
            ),
            (
                "nope.x=1",
                "--set nope.x=1: no detection \"nope\" (authsift hunt --list shows them)",
            ),
            (
                "brute-force.speed=1",
                "--set brute-force.speed=1: brute-force has no parameter \"speed\" (it has failures, window)",
            ),
            (
                "threatinsight.x=1",
                "--set threatinsight.x=1: threatinsight has no parameters",
            ),
            (
                "brute-force.window=30",
                "--set brute-force.window=30: expected a duration such as 90s, 15m, 3h or 1d (at most 366d)",
            ),
        ] {
            assert_eq!(settings.apply(text), Err(message.to_string()));
        }
    }
}
