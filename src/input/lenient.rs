//! Reading numbers and flags from the text forms exports use: strings where numbers are
//! documented (`asNumber`, `lat`), `AS`-prefixed AS numbers, and `"true"`/`"false"` strings.

/// A finite number, from its text.
pub fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `asNumber`: an unsigned integer, from a number or a string.
pub fn parse_as_number(text: &str) -> Option<u64> {
    let trimmed = text.trim();
    let digits = trimmed
        .strip_prefix("AS")
        .or_else(|| trimmed.strip_prefix("as"))
        .unwrap_or(trimmed);
    digits.parse::<u64>().ok().or_else(|| {
        parse_number(digits)
            .filter(|n| *n >= 0.0 && n.fract() == 0.0)
            .map(|n| n as u64)
    })
}

/// `isProxy`: a boolean, from a JSON boolean or the strings `true`/`false` in any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_flags_from_either_form() {
        assert_eq!(parse_as_number("1337"), Some(1337));
        assert_eq!(parse_as_number("AS208091"), Some(208091));
        assert_eq!(parse_as_number("1337.0"), Some(1337));
        assert_eq!(parse_as_number("-5"), None);
        assert_eq!(parse_as_number("n/a"), None);
        assert_eq!(parse_number(" 43.6655 "), Some(43.6655));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("False"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
