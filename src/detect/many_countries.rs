//! `many-countries`: one account signing in from several countries within a short time — two
//! people using it, or a session stolen. The distance and speed between the sign-ins say
//! whether travel could explain it.

use rustc_hash::FxHashMap;

use crate::detect::params::{Param, Unit, Values};
use crate::detect::records::{Record, Table, TextId};
use crate::detect::window::{Distinct, Tally, group_by, keyed_episodes};
use crate::detect::{Context, Detection, Finding, Key, Severity, span};

const COUNTRIES: &str = "countries";
const WINDOW: &str = "window";
const MAX_SPEED: &str = "max_speed";

/// Mean Earth radius, km.
const EARTH_RADIUS_KM: f64 = 6_371.0;

pub const DETECTION: Detection = Detection {
    id: "many-countries",
    title: "Sign-ins from several countries",
    severity: Severity::Medium,
    logic: "Successful sign-ins (user.session.start, user.authentication.* other than sso and \
            auth_via_mfa) for one user from at least {countries} countries within {window}. Where \
            both ends have a geolocation, the fastest hop between consecutive sign-ins is given \
            as great-circle (haversine) distance and implied speed; high when it exceeds \
            {max_speed}.",
    params: &[
        Param {
            name: COUNTRIES,
            unit: Unit::Count,
            default: 2,
            doc: "distinct countries",
        },
        Param {
            name: WINDOW,
            unit: Unit::Duration,
            default: 3_600,
            doc: "sliding window",
        },
        Param {
            name: MAX_SPEED,
            unit: Unit::KmPerHour,
            default: 900,
            doc: "implied speed above which travel cannot explain it",
        },
    ],
    closest: "Elastic \"Okta User Sessions Started from Different Geolocations\" (2 countries in \
              30 minutes, proxies excluded) and Panther \"Geographically Improbable Okta Login\" \
              (over 900 km/h between consecutive sign-ins). Ours uses a 1-hour sliding window, \
              keeps proxied sign-ins (anonymizing-proxy reports them too), and raises severity on \
              the Panther speed.",
    credit: None,
    reads_earlier: false,
    run,
};

/// Great-circle distance in km between two (latitude, longitude) points in degrees.
pub fn haversine_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    let (lat1, lat2) = (from.0.to_radians(), to.0.to_radians());
    let (dlat, dlon) = ((to.0 - from.0).to_radians(), (to.1 - from.1).to_radians());
    let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

struct Countries<'t> {
    table: &'t Table,
    seen: Distinct,
    needed: usize,
}

impl Tally for Countries<'_> {
    fn add(&mut self, record: &Record) {
        if let Some(country) = self.table.source_of(record).country {
            self.seen.add(country);
        }
    }
    fn remove(&mut self, record: &Record) {
        if let Some(country) = self.table.source_of(record).country {
            self.seen.remove(country);
        }
    }
    fn met(&self) -> bool {
        self.seen.len() >= self.needed
    }
}

/// The fastest move between consecutive located sign-ins: (from, to, km, km/h).
fn fastest_hop<'r>(
    sign_ins: &[&'r Record],
    table: &Table,
) -> Option<(&'r Record, &'r Record, f64, f64)> {
    let located: Vec<(&Record, (f64, f64))> = sign_ins
        .iter()
        .filter_map(|r| table.place(table.source_of(r).location).map(|l| (*r, l)))
        .collect();
    located
        .windows(2)
        .map(|pair| {
            let ((from, a), (to, b)) = (pair[0], pair[1]);
            let km = haversine_km(a, b);
            // Sign-ins logged in the same second are taken as one second apart.
            let hours = ((to.published().0 - from.published().0).max(1000)) as f64 / 3_600_000.0;
            (from, to, km, km / hours)
        })
        .fold(None, |best, hop| match best {
            Some(b) if b.3 >= hop.3 => Some(b),
            _ => Some(hop),
        })
}

fn run(context: &Context<'_>, values: &Values<'_>) -> Vec<Finding> {
    let table = context.table;
    let needed = values.count(COUNTRIES);
    let sign_ins = || {
        context
            .records
            .iter()
            .filter(|r| r.is_successful_sign_in() && table.source_of(r).country.is_some())
    };
    // No window holds more countries than all of a user's sign-ins. Most users sign in from
    // one: only the others' sign-ins are gathered, and slid over.
    let mut countries: FxHashMap<TextId, Vec<TextId>> = FxHashMap::default();
    for record in sign_ins() {
        let (Some(user), Some(country)) = (record.user, table.source_of(record).country) else {
            continue;
        };
        let seen = countries.entry(user).or_default();
        if seen.len() < needed && !seen.contains(&country) {
            seen.push(country);
        }
    }
    countries.retain(|_, seen| seen.len() >= needed);
    let by_user = group_by(
        sign_ins().filter(|r| r.user.is_some_and(|user| countries.contains_key(&user))),
        table,
        |r| r.user,
    );
    let max_speed = values.get(MAX_SPEED) as f64;
    keyed_episodes(&by_user, values.millis(WINDOW), || Countries {
        table,
        seen: Distinct::default(),
        needed,
    })
    .into_iter()
    .map(|(user, sign_ins)| {
        let finding = Finding::new(&DETECTION, Key::user(user), sign_ins.iter().copied(), table);
        let countries = finding.countries.len();
        let hop = fastest_hop(&sign_ins, table);
        let mut details = format!(
            "{user} signed in from {} in {}",
            finding.countries.join(", "),
            span(finding.start, finding.end)
        );
        let mut severity = DETECTION.severity;
        let mut figures = (None, None);
        if let Some((from, to, km, speed)) = hop {
            let place = |r: &Record| {
                table
                    .text(table.source_of(r).country)
                    .unwrap_or("?")
                    .to_string()
            };
            details.push_str(&format!(
                "; fastest hop {} to {}: {:.0} km in {} ({:.0} km/h)",
                place(from),
                place(to),
                km,
                span(from.published(), to.published()),
                speed
            ));
            if speed > max_speed {
                severity = Severity::High;
                details.push_str(", faster than travel");
            }
            figures = (Some(km.round() as u64), Some(speed.round() as u64));
        }
        let mut finding = finding
            .count("sign_ins", sign_ins.len())
            .count("countries", countries);
        if let (Some(km), Some(speed)) = figures {
            finding = finding.count("distance_km", km).count("speed_kmh", speed);
        }
        finding.severity(severity).details(details)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::{at, place, run, success, text, with_source};

    const NEW_YORK: (f64, f64) = (40.7128, -74.0060);
    const LONDON: (f64, f64) = (51.5074, -0.1278);

    fn located(t: i64, country: &str, location: Option<(f64, f64)>) -> Record {
        with_source(success(at(t), "ann@example.com", "192.0.2.1"), |source| {
            source.country = text(country);
            source.location = location.and_then(|(lat, lon)| place(lat, lon));
        })
    }

    #[test]
    fn haversine_distances() {
        assert!((haversine_km(NEW_YORK, LONDON) - 5_570.0).abs() < 10.0);
        assert_eq!(haversine_km(LONDON, LONDON), 0.0);
        assert!((haversine_km((0.0, 0.0), (0.0, 180.0)) - 20_015.0).abs() < 1.0);
    }

    #[test]
    fn two_countries_in_an_hour_faster_than_a_plane() {
        let records = [
            located(0, "United States", Some(NEW_YORK)),
            located(1800, "United Kingdom", Some(LONDON)),
        ];
        let findings = run(&DETECTION, &records, &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::High);
        assert_eq!(
            findings[0].counts,
            [
                ("sign_ins", 2),
                ("countries", 2),
                ("distance_km", 5570),
                ("speed_kmh", 11140)
            ]
        );
        assert_eq!(
            findings[0].details,
            "ann@example.com signed in from United Kingdom, United States in 30m; fastest hop \
             United States to United Kingdom: 5570 km in 30m (11140 km/h), faster than travel"
        );
    }

    #[test]
    fn neighbours_within_reach_stay_medium_and_unknown_places_have_no_speed() {
        let near = [
            located(0, "Germany", Some((47.5596, 7.5886))),
            located(3000, "Switzerland", Some((47.5596, 7.6))),
        ];
        assert_eq!(run(&DETECTION, &near, &[])[0].severity, Severity::Medium);
        let unknown = [located(0, "Germany", None), located(60, "France", None)];
        let findings = run(&DETECTION, &unknown, &[]);
        assert_eq!(findings[0].counts, [("sign_ins", 2), ("countries", 2)]);
    }

    #[test]
    fn near_misses() {
        let apart = [
            located(0, "United States", Some(NEW_YORK)),
            located(3601, "United Kingdom", Some(LONDON)),
        ];
        assert_eq!(run(&DETECTION, &apart, &[]), []);
        let one = [
            located(0, "United States", Some(NEW_YORK)),
            located(60, "United States", Some((34.05, -118.24))),
        ];
        assert_eq!(run(&DETECTION, &one, &[]), []);
    }
}
