//! The case report as one self-contained HTML file: inline CSS, an inline SVG chart and one
//! small inline script that sorts tables; nothing is fetched when it is opened, and a
//! Content-Security-Policy tells the browser to refuse any fetch all the same.
//!
//! Every text that reaches the page goes through [`escape`], attribute values included: user
//! agents, usernames, URIs and display names are the attacker's to choose.

/// Escapes text for HTML and SVG, in element content and in quoted attribute values alike.
///
/// Besides the five markup characters, control characters and the Unicode bidirectional
/// overrides are shown as `\u{..}`: a user agent must not reorder or hide the text around it.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// The explicit embeddings, overrides and isolates of Unicode's bidirectional algorithm, and
/// the marks that steer it.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_controls_and_bidi_overrides() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\u{a}");
        assert_eq!(escape("user\u{202e}gpj.exe"), "user\\u{202e}gpj.exe");
        assert_eq!(escape("Zoë 日本"), "Zoë 日本");
    }
}
