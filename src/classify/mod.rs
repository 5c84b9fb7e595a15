//! Classification of events: legacy (basic) authentication, failure and denial, and the client
//! family of a user agent. Pure functions of one event, run on the workers.

pub mod client;

use crate::event::{Event, OutcomeResult};

/// The definition of a legacy (basic-auth) event, as README and `--help` state it.
pub const LEGACY_DEFINITION: &str = "An event is legacy (basic) authentication when its eventType \
is user.authentication.auth_via_richclient, or its legacyEventType starts with app.rich_client., \
or its debugContext.debugData.requestUri contains /sso/wsfed/active (ignoring case). Every other \
event is not legacy.";

const RICH_CLIENT_EVENT: &str = "user.authentication.auth_via_richclient";
const RICH_CLIENT_LEGACY_PREFIX: &str = "app.rich_client.";
const WSFED_ACTIVE: &str = "/sso/wsfed/active";

/// True for legacy (basic) authentication: see [`LEGACY_DEFINITION`].
pub fn is_legacy(event: &Event<'_>) -> bool {
    event.event_type == RICH_CLIENT_EVENT
        || event
            .legacy_event_type
            .as_deref()
            .is_some_and(|t| t.starts_with(RICH_CLIENT_LEGACY_PREFIX))
        || event
            .request_uri
            .as_deref()
            .is_some_and(|uri| contains_ignore_ascii_case(uri, WSFED_ACTIVE))
}

/// `outcome.result` is FAILURE.
pub fn is_failure(event: &Event<'_>) -> bool {
    event.outcome.result == Some(OutcomeResult::Failure)
}

/// `outcome.result` is DENY.
pub fn is_denied(event: &Event<'_>) -> bool {
    event.outcome.result == Some(OutcomeResult::Deny)
}

/// `outcome.result` is SUCCESS.
pub fn is_success(event: &Event<'_>) -> bool {
    event.outcome.result == Some(OutcomeResult::Success)
}

/// `needle` must be lower case and start with a byte that has no case (a `/`): only where that
/// byte occurs is the rest compared (this runs on every event; a search for the byte costs
/// more to set up than Okta's short paths take to walk).
fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else {
        return true;
    };
    debug_assert!(!first.is_ascii_alphabetic());
    haystack
        .windows(needle.len())
        .any(|w| w[0] == first && w.eq_ignore_ascii_case(needle))
}

/// The key by which users are counted: `actor.alternateId` in lower case. Okta's placeholder
/// `unknown` (system actors, unidentified requests) is no user.
pub fn user_key<'e>(event: &'e Event<'_>) -> Option<std::borrow::Cow<'e, str>> {
    event
        .actor
        .alternate_id
        .as_deref()
        .filter(|id| !id.eq_ignore_ascii_case("unknown"))
        .map(lower_case)
}

/// Lower-cases without allocating when the text already is.
pub fn lower_case(text: &str) -> std::borrow::Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) || !text.is_ascii() {
        std::borrow::Cow::Owned(text.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::time::Timestamp;
    use std::borrow::Cow;

    fn event(
        event_type: &'static str,
        legacy: Option<&'static str>,
        uri: Option<&'static str>,
    ) -> Event<'static> {
        let mut event = Event::new(Cow::Borrowed("u"), Timestamp(0), Cow::Borrowed(event_type));
        event.legacy_event_type = legacy.map(Cow::Borrowed);
        event.request_uri = uri.map(Cow::Borrowed);
        event
    }

    #[test]
    fn legacy_definition() {
        assert!(is_legacy(&event(
            "user.authentication.auth_via_richclient",
            None,
            None
        )));
        assert!(is_legacy(&event(
            "x",
            Some("app.rich_client.login_failure"),
            None
        )));
        assert!(is_legacy(&event(
            "user.session.start",
            Some("core.user_auth.login_failed"),
            Some("/app/office365/0oa1x2y3z4/sso/wsfed/active")
        )));
        assert!(is_legacy(&event(
            "security.threat.detected",
            None,
            Some("/APP/Office365Tenant/abc/SSO/WSFed/Active?x=1")
        )));
        assert!(!is_legacy(&event(
            "user.session.start",
            None,
            Some("/app/office365/0oa1/sso/wsfed/passive")
        )));
        assert!(is_legacy(&event("x", None, Some("/sso//SSO/wsfed/ACTIVE"))));
        assert!(!is_legacy(&event("x", None, Some("sso/wsfed/active/"))));
        assert!(!is_legacy(&event(
            "app.kerberos_rich_client.user_authentication_successful",
            Some("app.kerberos_rich_client.user_authentication_successful"),
            None
        )));
        assert!(!is_legacy(&event(
            "user.authentication.auth_via_richclient.x",
            None,
            Some("/sso/wsfed")
        )));
    }

    #[test]
    fn lower_case_borrows_when_it_can() {
        assert!(matches!(lower_case("a@b.com"), Cow::Borrowed(_)));
        assert_eq!(lower_case("Ann@B.com"), "ann@b.com");
        assert_eq!(lower_case("ÅSA@b.se"), "åsa@b.se");
    }
}
