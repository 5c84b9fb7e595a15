//! A forward-only JSON reader over a byte slice, for reading records field by field: strings
//! borrow from the input unless they hold escapes, values that are not wanted are checked and
//! stepped over without being built. This is what makes JSON input fast: serde's visitor
//! machinery, UTF-8 checks of every skipped string and per-field allocation were most of the
//! cost of reading an Okta event.
//!
//! Every value read or skipped is checked against the JSON grammar, except that strings that
//! are skipped are not checked for valid UTF-8 (strings that are read are).

use std::borrow::Cow;

use crate::input::classify_block;
use crate::input::json::structure::{self, StructureError};

/// How far the structure scan of an unread value goes before the grammar takes over. No value
/// of a real event comes near it; a record cut short inside one (its brackets kept open by the
/// records after it) would otherwise be scanned through the rest of the input, once for each
/// such record.
const LONGEST_SCAN: usize = 1 << 20;

/// Deepest nesting accepted, as serde_json does: deeper input is malformed, not a stack overflow.
const MAX_DEPTH: u32 = 128;

/// Why a record is not valid JSON, and where (an offset into the cursor's data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub offset: usize,
    pub message: &'static str,
    /// The data ended before the value did.
    pub eof: bool,
}

pub type Result<T> = std::result::Result<T, JsonError>;

/// The kind of value that starts at the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Scalar,
}

/// A block start no position is within 64 bytes of (`at - NO_BLOCK` wraps to `at + 65`), so
/// that a cursor classifies its first block only when it first reads a string.
const NO_BLOCK: usize = usize::MAX - 64;

pub struct Cursor<'a> {
    data: &'a [u8],
    pub pos: usize,
    depth: u32,
    /// Where the 64 bytes `specials` and `high` describe begin.
    block: usize,
    /// The quotes, backslashes and control characters of the block, a bit each: one block
    /// serves the several keys and short values it holds.
    specials: u64,
    /// The block's bytes with the high bit set (not ASCII).
    high: u64,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> Cursor<'a> {
        Cursor {
            data,
            pos,
            depth: 0,
            block: NO_BLOCK,
            specials: 0,
            high: 0,
        }
    }

    fn error(&self, message: &'static str) -> JsonError {
        JsonError {
            offset: self.pos.min(self.data.len()),
            message,
            eof: self.pos >= self.data.len(),
        }
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.data.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The kind of the next value, after white space.
    pub fn peek_kind(&mut self) -> Result<Kind> {
        self.skip_whitespace();
        match self.data.get(self.pos) {
            Some(b'{') => Ok(Kind::Object),
            Some(b'[') => Ok(Kind::Array),
            Some(b'"') => Ok(Kind::String),
            Some(b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => Ok(Kind::Scalar),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("input ends where a value should start")),
        }
    }

    /// The bytes of the string at the cursor (without quotes), and what they hold. The bytes
    /// that need attention are found from the masks of 64-byte blocks ([`Cursor::next_special`]).
    /// Most strings end in the block already classified, which is checked inline.
    #[inline]
    fn raw_string(&mut self) -> Result<(&'a [u8], StringKind)> {
        let start = self.pos + 1;
        if let Some((end, unicode)) = self.special_in_block(start)
            && self.data.get(end) == Some(&b'"')
        {
            self.pos = end + 1;
            let kind = if unicode {
                StringKind::Unicode
            } else {
                StringKind::Ascii
            };
            return Ok((&self.data[start..end], kind));
        }
        self.raw_string_across(start)
    }

    /// [`Cursor::raw_string`] for strings that end past the classified block, or hold escapes.
    #[inline(never)]
    fn raw_string_across(&mut self, start: usize) -> Result<(&'a [u8], StringKind)> {
        let mut at = start;
        let mut kind = StringKind::Ascii;
        loop {
            let (special, unicode) = self.next_special(at);
            if unicode {
                kind = kind.max(StringKind::Unicode);
            }
            at = special;
            match self.data.get(at) {
                Some(b'"') => {
                    self.pos = at + 1;
                    return Ok((&self.data[start..at], kind));
                }
                Some(b'\\') => {
                    kind = StringKind::Escaped;
                    at += 2;
                }
                Some(_) => {
                    self.pos = at;
                    return Err(self.error("control character inside a string"));
                }
                None => {
                    self.pos = at.min(self.data.len());
                    return Err(self.error("input ends inside a string"));
                }
            }
        }
    }

    /// The first quote, backslash or control character at or after `at` (the data's length
    /// when there is none), and whether a byte before it is not ASCII.
    #[inline]
    fn next_special(&mut self, mut at: usize) -> (usize, bool) {
        let mut unicode = false;
        loop {
            if at.wrapping_sub(self.block) >= 64 {
                if at >= self.data.len() {
                    return (self.data.len(), unicode);
                }
                self.load_block(at);
            }
            if let Some((special, before)) = self.special_in_block(at) {
                return (special, unicode | before);
            }
            unicode |= self.high & (u64::MAX << (at - self.block)) != 0;
            at = self.block + 64;
        }
    }

    /// [`Cursor::next_special`] within the classified block: `None` when the block does not
    /// hold `at`, or holds no special byte from it on.
    #[inline]
    fn special_in_block(&self, at: usize) -> Option<(usize, bool)> {
        let offset = at.wrapping_sub(self.block);
        if offset >= 64 {
            return None;
        }
        let ahead = u64::MAX << offset;
        let found = self.specials & ahead;
        if found == 0 {
            return None;
        }
        let end = found.trailing_zeros();
        let unicode = self.high & ahead & ((1 << end) - 1) != 0;
        Some(((self.block + end as usize).min(self.data.len()), unicode))
    }

    /// Classifies the 64 bytes from `at` (zeros past the data's end, which count as control
    /// characters and so stop a scan there).
    #[inline(never)]
    fn load_block(&mut self, at: usize) {
        self.block = at;
        (self.specials, self.high) = classify_block(self.data, at, 0, string_masks);
    }

    /// Reads a string value, decoding escapes; borrowed when it has none.
    #[inline]
    pub fn string(&mut self) -> Result<Cow<'a, str>> {
        let start = self.pos;
        let (bytes, kind) = self.raw_string()?;
        let decoded = match kind {
            // SAFETY: `raw_string` saw no byte with the high bit set, so this is ASCII and valid
            // UTF-8; skipping the check matters, as reading strings is most of the work.
            StringKind::Ascii => Some(Cow::Borrowed(unsafe {
                std::str::from_utf8_unchecked(bytes)
            })),
            StringKind::Unicode => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
            StringKind::Escaped => unescape(bytes).map(Cow::Owned),
        };
        decoded.ok_or(JsonError {
            offset: start,
            message: "invalid escape or UTF-8 in a string",
            eof: false,
        })
    }

    /// Reads a number, `true`, `false` or `null` and returns its text (`None` for null).
    pub fn scalar(&mut self) -> Result<Option<&'a str>> {
        let start = self.pos;
        let end = self.data[start..]
            .iter()
            .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
            .map_or(self.data.len(), |i| start + i);
        let text = &self.data[start..end];
        let valid = matches!(text, b"true" | b"false" | b"null") || is_number(text);
        if !valid {
            return Err(if end == self.data.len() {
                JsonError {
                    offset: end,
                    message: "input ends inside a value",
                    eof: true,
                }
            } else {
                self.error("invalid literal")
            });
        }
        self.pos = end;
        // The literal is ASCII, checked above.
        Ok((text != b"null").then(|| std::str::from_utf8(text).unwrap_or_default()))
    }

    /// Steps over a value that is not read: objects and arrays are checked for structure
    /// only ([`structure`]), strings and scalars in full.
    #[inline]
    pub fn skip_unread(&mut self) -> Result<()> {
        match self.peek_kind()? {
            Kind::Object | Kind::Array => match structure::value_end(
                &self.data[..self.data.len().min(self.pos + LONGEST_SCAN)],
                self.pos,
            ) {
                Ok(end) => {
                    self.pos = end;
                    Ok(())
                }
                // The brackets do not close before the data ends: the value may go on past
                // the data (a stream's buffer), or never close (a record cut short, whose
                // brackets the records after it keep open). Only the grammar tells these
                // apart, and a stream must not wait for the end of a value that has none.
                Err(StructureError::Eof) => self.skip_checked().map_err(|error| JsonError {
                    message: if error.eof {
                        "input ends inside a value"
                    } else {
                        error.message
                    },
                    ..error
                }),
                Err(StructureError::Invalid(at, message)) => {
                    self.pos = at;
                    Err(self.error(message))
                }
            },
            Kind::String => self.raw_string().map(|_| ()),
            Kind::Scalar => self.scalar().map(|_| ()),
        }
    }

    /// Steps over any value, checking its grammar.
    fn skip_checked(&mut self) -> Result<()> {
        match self.peek_kind()? {
            Kind::Object => self.object(|cursor, _| cursor.skip_checked()),
            Kind::Array => self.array(Self::skip_checked),
            Kind::String => self.raw_string().map(|_| ()),
            Kind::Scalar => self.scalar().map(|_| ()),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.pos += 1;
        Ok(())
    }

    /// Calls `entry` with each key of the object at the cursor (after white space); `entry`
    /// must read or skip the value.
    pub fn object(
        &mut self,
        mut entry: impl FnMut(&mut Cursor<'a>, Cow<'a, [u8]>) -> Result<()>,
    ) -> Result<()> {
        self.skip_whitespace();
        if self.data.get(self.pos) != Some(&b'{') {
            return Err(self.error("expected an object"));
        }
        self.enter()?;
        self.skip_whitespace();
        if self.data.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            if self.data.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a key"));
            }
            let key_start = self.pos;
            let (raw_key, kind) = self.raw_string()?;
            let key = if kind == StringKind::Escaped {
                Cow::Owned(
                    unescape(raw_key)
                        .ok_or(JsonError {
                            offset: key_start,
                            message: "invalid escape in a key",
                            eof: false,
                        })?
                        .into_bytes(),
                )
            } else {
                Cow::Borrowed(raw_key)
            };
            self.skip_whitespace();
            if self.data.get(self.pos) != Some(&b':') {
                return Err(self.error("expected `:` after a key"));
            }
            self.pos += 1;
            entry(self, key)?;
            self.skip_whitespace();
            match self.data.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    /// Calls `element` for each element of the array at the cursor; `element` must read or skip
    /// it.
    pub fn array(&mut self, mut element: impl FnMut(&mut Cursor<'a>) -> Result<()>) -> Result<()> {
        self.skip_whitespace();
        if self.data.get(self.pos) != Some(&b'[') {
            return Err(self.error("expected an array"));
        }
        self.enter()?;
        self.skip_whitespace();
        if self.data.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            element(self)?;
            self.skip_whitespace();
            match self.data.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }
}

/// What a string's bytes hold, in increasing order of the work they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum StringKind {
    Ascii,
    Unicode,
    Escaped,
}

/// The quotes, backslashes and control characters of a 64-byte block, and its bytes that are
/// not ASCII, as bit masks.
fn string_masks(block: &[u8; 64]) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of every x86-64 CPU.
    return unsafe { string_masks_sse2(block) };
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut specials = 0;
        let mut high = 0;
        for (i, &b) in block.iter().enumerate() {
            specials |= u64::from(b == b'"' || b == b'\\' || b < 0x20) << i;
            high |= u64::from(b >= 0x80) << i;
        }
        (specials, high)
    }
}

/// [`string_masks`] sixteen bytes at a compare.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn string_masks_sse2(block: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_setzero_si128,
    };
    let (mut specials, mut high) = (0, 0);
    for quarter in 0..4 {
        // SAFETY: the load reads 16 bytes inside `block`, which is 64 bytes long.
        let bytes = unsafe { _mm_loadu_si128(block.as_ptr().add(quarter * 16).cast::<__m128i>()) };
        let quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
        // Below 0x20: none of the top three bits set.
        let control = _mm_cmpeq_epi8(
            _mm_and_si128(bytes, _mm_set1_epi8(0xE0u8 as i8)),
            _mm_setzero_si128(),
        );
        let found = _mm_or_si128(_mm_or_si128(quote, backslash), control);
        specials |= u64::from(_mm_movemask_epi8(found) as u16) << (quarter * 16);
        high |= u64::from(_mm_movemask_epi8(bytes) as u16) << (quarter * 16);
    }
    (specials, high)
}

/// JSON number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_number(text: &[u8]) -> bool {
    let mut i = usize::from(text.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while text.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if text.get(i) == Some(&b'0') {
        i += 1;
    } else if !digits(&mut i) {
        return false;
    }
    if text.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == text.len()
}

/// Decodes the escapes of a JSON string's bytes; `None` for an invalid escape or invalid UTF-8.
/// A lone surrogate becomes U+FFFD, as it cannot be represented.
fn unescape(bytes: &[u8]) -> Option<String> {
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let escape = *bytes.get(i + 1)?;
        i += 2;
        let c = match escape {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = hex4(bytes.get(i..i + 4)?)?;
                i += 4;
                if (0xD800..0xDC00).contains(&high) && bytes.get(i..i + 2) == Some(b"\\u") {
                    let low = hex4(bytes.get(i + 2..i + 6)?)?;
                    if (0xDC00..0xE000).contains(&low) {
                        i += 6;
                        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?
                    } else {
                        char::REPLACEMENT_CHARACTER
                    }
                } else {
                    char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER)
                }
            }
            _ => return None,
        };
        let mut buffer = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
    }
    String::from_utf8(out).ok()
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &d| {
        Some(value << 4 | (d as char).to_digit(16)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks every value with the grammar checked, as a record's own object is read.
    fn walk(cursor: &mut Cursor<'_>) -> Result<()> {
        match cursor.peek_kind()? {
            Kind::Object => cursor.object(|cursor, _| walk(cursor)),
            Kind::Array => cursor.array(walk),
            Kind::String | Kind::Scalar => cursor.skip_unread(),
        }
    }

    fn skip(json: &str) -> Result<usize> {
        let mut cursor = Cursor::new(json.as_bytes(), 0);
        walk(&mut cursor).map(|()| cursor.pos)
    }

    #[test]
    fn skips_valid_json_to_its_end() {
        for json in [
            r#"{"a":[1,-2.5e+3,true,false,null,"x\"y"],"b":{}}"#,
            r#"[ ]"#,
            r#" { "k" : "v" , "n" : 0 } "#,
            r#""\u00e9\ud83d\ude00""#,
            "-0.5",
        ] {
            assert_eq!(skip(json), Ok(json.trim_end().len()), "{json}");
        }
    }

    #[test]
    fn reports_what_is_wrong_and_where() {
        let cases = [
            (r#"{"a" 1}"#, 5, "expected `:` after a key", false),
            (r#"{"a":1 "b":2}"#, 7, "expected `,` or `}`", false),
            (r#"{"a":tru}"#, 5, "invalid literal", false),
            (r#"{"a":01}"#, 5, "invalid literal", false),
            (r#"{"a":"x"#, 7, "input ends inside a string", true),
            (r#"{"a":[1,2"#, 9, "expected `,` or `]`", true),
            (
                "{\"a\":\"x\ny\"}",
                7,
                "control character inside a string",
                false,
            ),
            (r#"{a:1}"#, 1, "expected a key", false),
            (r#"[1,]"#, 3, "expected a value", false),
        ];
        for (json, offset, message, eof) in cases {
            assert_eq!(
                skip(json),
                Err(JsonError {
                    offset,
                    message,
                    eof
                }),
                "{json}"
            );
        }
    }

    #[test]
    fn unread_objects_are_checked_for_structure_only() {
        let unread = |json: &str| {
            let mut cursor = Cursor::new(json.as_bytes(), 0);
            cursor.skip_unread().map(|()| cursor.pos)
        };
        let json = r#"{"a":[tru, 01 "b"],"c":"}\"]"} "#;
        assert_eq!(unread(json), Ok(json.len() - 1));
        assert_eq!(
            unread(r#"{"a":[1,2"#),
            Err(JsonError {
                offset: 9,
                message: "input ends inside a value",
                eof: true
            })
        );
        assert_eq!(
            unread("{\"a\":\"x\ny\"}"),
            Err(JsonError {
                offset: 7,
                message: "control character inside a string",
                eof: false
            })
        );
        assert_eq!(unread(r#"{"a":tru}"#), Ok(9));
        // Cut short, with the next records keeping its brackets open: not a value that the
        // data ends inside, but one that is broken where the next record begins.
        assert_eq!(
            unread("{\"a\":[\n{\"b\":1}\n{\"c\":2}"),
            Err(JsonError {
                offset: 15,
                message: "expected `,` or `]`",
                eof: false
            })
        );
        assert_eq!(
            unread("tru"),
            Err(JsonError {
                offset: 3,
                message: "input ends inside a value",
                eof: true
            })
        );
    }

    /// A value whose brackets stay open past [`LONGEST_SCAN`] bytes is walked by the grammar
    /// from its start, which stops where the records after a cut-short one break it.
    #[test]
    fn a_scan_that_runs_long_hands_over_to_the_grammar() {
        let cut_short = "{\"a\":[1,{\"b\":2}\n";
        let next_records = "{\"c\":[3]}\n".repeat(LONGEST_SCAN / 10 + 1);
        let json = format!("{cut_short}{next_records}");
        let mut cursor = Cursor::new(json.as_bytes(), 0);
        assert_eq!(
            cursor.skip_unread(),
            Err(JsonError {
                offset: cut_short.len(),
                message: "expected `,` or `]`",
                eof: false
            })
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let json = "[".repeat(100_000);
        assert_eq!(skip(&json).unwrap_err().message, "nesting too deep");
    }

    /// The string scan before it used cached 64-byte masks (eight bytes at a time), kept as
    /// the reference: the end of the string (or the error) and its kind, and where it leaves
    /// the cursor.
    fn eight_at_a_time(data: &[u8], pos: usize) -> (Result<(usize, usize, StringKind)>, usize) {
        const LOW_BITS: u64 = 0x0101_0101_0101_0101;
        const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
        let special_bytes = |word: u64| {
            let zero_byte = |x: u64| x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS;
            let quote = zero_byte(word ^ (LOW_BITS * u64::from(b'"')));
            let backslash = zero_byte(word ^ (LOW_BITS * u64::from(b'\\')));
            let control = word.wrapping_sub(LOW_BITS * 0x20) & !word & HIGH_BITS;
            quote | backslash | control
        };
        let error = |pos: usize, message| {
            let error = JsonError {
                offset: pos.min(data.len()),
                message,
                eof: pos >= data.len(),
            };
            (Err(error), pos)
        };
        let start = pos + 1;
        let mut at = start;
        let mut kind = StringKind::Ascii;
        loop {
            while let Some(word) = data.get(at..at + 8) {
                let word = u64::from_le_bytes(word.try_into().unwrap());
                let special = special_bytes(word);
                if special != 0 {
                    let first = special.trailing_zeros() as usize / 8;
                    if word & HIGH_BITS & ((1u64 << (first * 8)) - 1) != 0 {
                        kind = kind.max(StringKind::Unicode);
                    }
                    at += first;
                    break;
                }
                if word & HIGH_BITS != 0 {
                    kind = kind.max(StringKind::Unicode);
                }
                at += 8;
            }
            match data.get(at) {
                Some(b'"') => return (Ok((start, at, kind)), at + 1),
                Some(b'\\') => {
                    kind = StringKind::Escaped;
                    at += 2;
                }
                Some(0..0x20) => return error(at, "control character inside a string"),
                Some(128..) => {
                    kind = kind.max(StringKind::Unicode);
                    at += 1;
                }
                Some(_) => at += 1,
                None => return error(at.min(data.len()), "input ends inside a string"),
            }
        }
    }

    /// Strings ended from the cached block masks agree with the eight-byte scan on random
    /// bytes (quotes, backslashes, control and non-ASCII bytes, clustered so that strings cross
    /// blocks and end near the data's end), read one after another from one cursor at positions
    /// that go forward and back, so that cached blocks are reused, left behind and reloaded.
    #[test]
    fn block_masks_end_strings_as_the_eight_byte_scan_did() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut compared = 0;
        for _ in 0..4000 {
            let len = (next() % 300) as usize;
            // How often each kind of byte comes up differs from one input to the next.
            let (quotes, backslashes, controls, high) =
                (next() % 40 + 1, next() % 40, next() % 20, next() % 60);
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    let roll = next() % 400;
                    if roll < quotes {
                        b'"'
                    } else if roll < quotes + backslashes {
                        b'\\'
                    } else if roll < quotes + backslashes + controls {
                        (next() % 0x20) as u8
                    } else if roll < quotes + backslashes + controls + high {
                        0x80 | next() as u8
                    } else {
                        b' ' + (next() % 0x60) as u8
                    }
                })
                .collect();
            let mut cursor = Cursor::new(&data, (next() % (len as u64 + 2)) as usize);
            for _ in 0..40 {
                let pos = match next() % 4 {
                    // Right after where the last string left the cursor.
                    0 | 1 => cursor.pos,
                    // A few bytes on, or anywhere, or at and past the data's end.
                    2 => cursor.pos + (next() % 70) as usize,
                    _ => (next() % (len as u64 + 3)) as usize,
                };
                if pos > len + 1 {
                    continue;
                }
                cursor.pos = pos;
                let got = cursor.raw_string().map(|(bytes, kind)| {
                    let start = bytes.as_ptr() as usize - data.as_ptr() as usize;
                    (start, start + bytes.len(), kind)
                });
                let (expected, expected_pos) = eight_at_a_time(&data, pos);
                assert_eq!(
                    (got, cursor.pos),
                    (expected, expected_pos),
                    "string at {pos} of {data:?}"
                );
                compared += 1;
            }
        }
        assert!(compared > 100_000, "{compared}");
    }

    #[test]
    fn strings_decode_escapes_and_borrow_otherwise() {
        let read = |json: &str| {
            Cursor::new(json.as_bytes(), 0)
                .string()
                .map(|s| s.into_owned())
        };
        assert_eq!(read(r#""plain""#).unwrap(), "plain");
        assert!(matches!(
            Cursor::new(br#""plain""#, 0).string(),
            Ok(Cow::Borrowed(_))
        ));
        assert_eq!(read(r#""a\"b\\c\/d\n\t""#).unwrap(), "a\"b\\c/d\n\t");
        assert_eq!(read(r#""\u00e9\ud83d\ude00""#).unwrap(), "é😀");
        assert_eq!(read(r#""\ud800x""#).unwrap(), "\u{fffd}x");
        assert!(read(r#""\x""#).is_err());
        assert!(Cursor::new(b"\"\xff\"", 0).string().is_err());
    }
}
