//! Splits a filter expression into tokens, one at a time, so that the first mistake from the
//! left is the one reported.

use super::Mistake;

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// An attribute path, an operator or a keyword (`and`, `or`, `not`, `true`, `false`): which
    /// one depends on where it stands, so the parser decides.
    Word,
    /// A double-quoted string, escapes resolved.
    Text(String),
    Number(f64),
    Open,
    Close,
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token<'s> {
    pub kind: TokenKind,
    /// Byte offset in the expression.
    pub start: usize,
    /// The token as written.
    pub text: &'s str,
}

impl Token<'_> {
    /// True for the word `keyword`, in any case.
    pub fn is_word(&self, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(keyword)
    }
}

pub struct Lexer<'s> {
    source: &'s str,
    position: usize,
}

impl<'s> Lexer<'s> {
    pub fn new(source: &'s str) -> Lexer<'s> {
        Lexer {
            source,
            position: 0,
        }
    }

    pub fn next_token(&mut self) -> Result<Token<'s>, Mistake> {
        let rest = &self.source[self.position..];
        let skipped = rest.len() - rest.trim_start().len();
        self.position += skipped;
        let start = self.position;
        let Some(first) = self.source[start..].chars().next() else {
            return Ok(self.token(TokenKind::End, start));
        };
        let kind = match first {
            '(' => {
                self.position += 1;
                TokenKind::Open
            }
            ')' => {
                self.position += 1;
                TokenKind::Close
            }
            '"' => TokenKind::Text(self.string()?),
            '-' | '0'..='9' => TokenKind::Number(self.number()?),
            c if is_word_start(c) => {
                self.position = self.word_end(start);
                TokenKind::Word
            }
            '\'' => {
                return Err(Mistake::new(
                    "unexpected ': strings are written in double quotes",
                    start,
                ));
            }
            other => {
                return Err(Mistake::new(
                    format!("unexpected character {other:?}"),
                    start,
                ));
            }
        };
        Ok(self.token(kind, start))
    }

    fn token(&self, kind: TokenKind, start: usize) -> Token<'s> {
        Token {
            kind,
            start,
            text: &self.source[start..self.position],
        }
    }

    fn word_end(&self, start: usize) -> usize {
        self.source[start..]
            .find(|c| !is_word_char(c))
            .map_or(self.source.len(), |i| start + i)
    }

    /// `-?digits(.digits)?`; a run of letters or dots glued to it makes it invalid.
    fn number(&mut self) -> Result<f64, Mistake> {
        let start = self.position;
        let digits_from = start + usize::from(self.source[start..].starts_with('-'));
        let end = self.word_end(digits_from);
        self.position = end;
        let written = &self.source[start..end];
        let unsigned = &self.source[digits_from..end];
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match written.parse::<f64>() {
            Ok(number) if all_digits(whole) && all_digits(fraction) => Ok(number),
            _ => Err(Mistake::new(format!("invalid number {written:?}"), start)),
        }
    }

    /// A double-quoted string with JSON's escapes.
    fn string(&mut self) -> Result<String, Mistake> {
        let open = self.position;
        let mut at = open + 1;
        let mut text = String::new();
        while let Some(c) = self.source[at..].chars().next() {
            match c {
                '"' => {
                    self.position = at + 1;
                    return Ok(text);
                }
                '\\' if at + 1 == self.source.len() => break,
                '\\' => {
                    let (escaped, length) = self.escape(at)?;
                    text.push(escaped);
                    at += length;
                }
                other => {
                    text.push(other);
                    at += other.len_utf8();
                }
            }
        }
        Err(Mistake::new("unterminated string", open))
    }

    /// The character the escape at `at` stands for, and the escape's length in bytes.
    fn escape(&self, at: usize) -> Result<(char, usize), Mistake> {
        let escaped = match self.source[at + 1..].chars().next() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => return self.unicode_escape(at),
            other => {
                let written: String = other.into_iter().collect();
                return Err(Mistake::new(
                    format!("invalid escape \"\\{written}\" in a string"),
                    at,
                ));
            }
        };
        Ok((escaped, 2))
    }

    /// `\uXXXX`, or a UTF-16 surrogate pair `\uD83D\uDE00`.
    fn unicode_escape(&self, at: usize) -> Result<(char, usize), Mistake> {
        let hex = |from: usize| {
            self.source
                .get(from..from + 4)
                .filter(|digits| digits.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|digits| u32::from_str_radix(digits, 16).ok())
        };
        // The escape as written (`\uXXXX`); for a surrogate without its partner, the first half.
        let invalid = || {
            let written: String = self.source[at..].chars().take(6).collect();
            Mistake::new(format!("invalid unicode escape \"{written}\""), at)
        };
        let first = hex(at + 2).ok_or_else(invalid)?;
        if !(0xD800..=0xDBFF).contains(&first) {
            // Lone low surrogates are no character.
            return char::from_u32(first).map(|c| (c, 6)).ok_or_else(invalid);
        }
        let low = self
            .source
            .get(at + 6..at + 8)
            .filter(|marker| *marker == "\\u")
            .and_then(|_| hex(at + 8))
            .filter(|low| (0xDC00..=0xDFFF).contains(low))
            .ok_or_else(invalid)?;
        let code = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
        char::from_u32(code).map(|c| (c, 12)).ok_or_else(invalid)
    }
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}
