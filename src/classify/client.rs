//! Client families of raw user agents, from a data table: the first row all of whose needles
//! occur in the user agent (ignoring case) names the family. Order matters: specific rows come
//! before general ones (Outlook's UA contains "Mozilla" on some builds, for instance).

/// `(needles, family)`: every needle (lower case) must occur in the user agent.
pub const FAMILIES: &[(&[&str], &str)] = &[
    // Password-spray tooling and scripting libraries. BAV2ROPC and CBAInPROD are the names
    // Microsoft Entra ID logs for resource-owner password flows that spray tools use.
    (&["bav2ropc"], "Scripted client"),
    (&["cbainprod"], "Scripted client"),
    (&["python-requests"], "Scripted client"),
    (&["python-urllib"], "Scripted client"),
    (&["aiohttp"], "Scripted client"),
    (&["go-http-client"], "Scripted client"),
    (&["axios/"], "Scripted client"),
    (&["node-fetch"], "Scripted client"),
    (&["curl/"], "Scripted client"),
    (&["wget/"], "Scripted client"),
    (&["libwww-perl"], "Scripted client"),
    (&["okhttp"], "Scripted client"),
    (&["java/"], "Scripted client"),
    (&["powershell"], "Scripted client"),
    (&["postmanruntime"], "Scripted client"),
    (&["ruby"], "Scripted client"),
    // Exchange ActiveSync devices and the Exchange server relaying them.
    (&["activesync"], "Exchange ActiveSync"),
    (&["outlook-ios"], "Outlook mobile"),
    (&["outlook-android"], "Outlook mobile"),
    (&["outlookmobile"], "Outlook mobile"),
    (&["macoutlook"], "Outlook for Mac"),
    (&["microsoft outlook", "mac os"], "Outlook for Mac"),
    (&["microsoft office", "macintosh"], "Outlook for Mac"),
    (&["microsoft outlook"], "Outlook for Windows"),
    (&["microsoft office"], "Outlook for Windows"),
    // Apple's built-in accounts: Mail, Calendar and Contacts on iOS and macOS.
    (&["dataaccessd"], "Apple Mail / iOS accounts"),
    (&["accountsd"], "Apple Mail / iOS accounts"),
    (&["apple-iphone"], "Apple Mail / iOS accounts"),
    (&["apple-ipad"], "Apple Mail / iOS accounts"),
    (&["calendaragent"], "Apple Mail / iOS accounts"),
    (&["mail/", "mac os x"], "Apple Mail / iOS accounts"),
    (&["android-mail"], "Android mail"),
    (&["samsungemail"], "Android mail"),
    (&["com.android.email"], "Android mail"),
    (&["thunderbird"], "Thunderbird"),
    (&["mozilla/"], "Browser"),
    (&["opera/"], "Browser"),
];

/// The family of an empty, missing or `unknown` user agent.
pub const UNKNOWN: &str = "Unknown";
/// The family of a user agent that no row matches.
pub const OTHER: &str = "Other";

/// The client family of a raw user agent.
pub fn family(user_agent: &str) -> &'static str {
    let trimmed = user_agent.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("unknown") {
        return UNKNOWN;
    }
    let lower = trimmed.to_lowercase();
    FAMILIES
        .iter()
        .find(|(needles, _)| needles.iter().all(|n| lower.contains(n)))
        .map_or(OTHER, |(_, family)| family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_of_known_user_agents() {
        let cases = [
            (
                "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
                "Outlook for Windows",
            ),
            ("Microsoft Outlook 16.0.17328", "Outlook for Windows"),
            (
                "MacOutlook/16.73.23051401 (Intel Mac OS X Version 13.4 (build 22F66))",
                "Outlook for Mac",
            ),
            (
                "Microsoft Office/16.0 (Macintosh; Mac OS X 13.4; Microsoft Outlook 16.73)",
                "Outlook for Mac",
            ),
            ("Outlook-iOS/2.0", "Outlook mobile"),
            ("Outlook-Android/2.0", "Outlook mobile"),
            ("Microsoft-Server-ActiveSync", "Exchange ActiveSync"),
            ("Apple-iPhone15C2/2006.26", "Apple Mail / iOS accounts"),
            (
                "iOS/16.1 (20B82) dataaccessd/1.0",
                "Apple Mail / iOS accounts",
            ),
            (
                "Mac OS X/13.4 (22F66) CalendarAgent/988",
                "Apple Mail / iOS accounts",
            ),
            ("Android-Mail/2024.05.01", "Android mail"),
            ("python-requests/2.31.0", "Scripted client"),
            ("Go-http-client/1.1", "Scripted client"),
            ("axios/1.6.7", "Scripted client"),
            ("curl/8.4.0", "Scripted client"),
            ("BAV2ROPC", "Scripted client"),
            ("CBAInPROD", "Scripted client"),
            ("Java/11.0.18", "Scripted client"),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
                "Browser",
            ),
            ("", "Unknown"),
            ("  ", "Unknown"),
            ("unknown", "Unknown"),
            ("UNKNOWN-DOWNLOAD", "Other"),
        ];
        for (user_agent, expected) in cases {
            assert_eq!(family(user_agent), expected, "{user_agent}");
        }
    }

    #[test]
    fn needles_are_lower_case() {
        for (needles, _) in FAMILIES {
            for needle in *needles {
                assert_eq!(*needle, needle.to_lowercase());
            }
        }
    }
}
