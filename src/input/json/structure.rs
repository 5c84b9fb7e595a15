//! Stepping over a JSON object or array that a command does not read, 64 bytes at a time:
//! each block is classified into bit masks (quotes, backslashes, brackets, control bytes, bytes
//! that cannot stand outside a string), strings are found from the quotes that are not escaped,
//! and the brackets outside strings are counted until the value closes.
//!
//! This checks structure, not the grammar token by token: brackets balance, strings close, no
//! string holds a raw control character (a line break, in NDJSON, so a broken record still ends
//! at its line), and outside strings there is nothing but white space, punctuation, numbers and
//! the letters of `true`, `false` and `null`. The last check matters for a stray or missing
//! quote: it turns strings inside out, and their text, now outside, is caught within a few
//! bytes instead of the scan running on through the records after it.

use crate::input::{classify_block, prefix_xor};

/// Why stepping over a value failed, and where (an offset into the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructureError {
    /// The data ends before the value closes.
    Eof,
    /// What is wrong, and at which offset.
    Invalid(usize, &'static str),
}

/// Bit `i` of each mask stands for byte `i` of a 64-byte block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
    control: u64,
    /// Bytes with bit 0x20 set: of the brackets, `{` and `}`.
    curly: u64,
    /// Bytes that may stand outside a string (quotes included).
    bare: u64,
}

/// The offset just past the object or array that opens at `start` (`data[start]` is `{` or
/// `[`).
pub fn value_end(data: &[u8], start: usize) -> Result<usize, StructureError> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
        {
            // SAFETY: the CPU has AVX-512BW and PCLMULQDQ, checked just above.
            return unsafe { value_end_avx512(data, start) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { value_end_avx2(data, start) };
        }
    }
    value_end_with(data, start, classify, prefix_xor)
}

/// [`value_end`] with two 32-byte compares per byte class, for CPUs without AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn value_end_avx2(data: &[u8], start: usize) -> Result<usize, StructureError> {
    // The closure inherits this function's target features.
    value_end_with(data, start, |block| classify_avx2(block), prefix_xor)
}

/// [`value_end`] with one 64-byte compare per byte class instead of four 16-byte ones.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw,pclmulqdq")]
fn value_end_avx512(data: &[u8], start: usize) -> Result<usize, StructureError> {
    // The closures inherit this function's target features.
    value_end_with(
        data,
        start,
        |block| classify_avx512(block),
        |bits| prefix_xor_clmul(bits),
    )
}

/// [`prefix_xor`] in one carry-less multiplication by all ones.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "pclmulqdq")]
fn prefix_xor_clmul(bits: u64) -> u64 {
    use std::arch::x86_64::{_mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set_epi64x};
    let product = _mm_clmulepi64_si128::<0>(_mm_set_epi64x(0, bits as i64), _mm_set_epi64x(0, -1));
    _mm_cvtsi128_si64(product) as u64
}

#[inline(always)]
fn value_end_with(
    data: &[u8],
    start: usize,
    classify: impl Fn(&[u8; 64]) -> Masks,
    prefix_xor: impl Fn(u64) -> u64,
) -> Result<usize, StructureError> {
    // The open brackets, innermost in bit 0: 1 for `[`, 0 for `{`.
    let mut open_arrays: u128 = 0;
    let mut depth: u32 = 0;
    // The first byte of the next block is escaped by a backslash ending this one.
    let mut escape_carry = false;
    // The next block starts inside a string.
    let mut in_string = false;
    let mut block_start = start;
    while block_start < data.len() {
        let masks = classify_block(data, block_start, b' ', &classify);
        let escaped = escaped_bytes(masks.backslash, &mut escape_carry);
        let quotes = masks.quote & !escaped;
        // Bits from each opening quote up to (not including) its closing quote.
        let inside = prefix_xor(quotes) ^ if in_string { u64::MAX } else { 0 };
        in_string = inside >> 63 == 1;
        let control = masks.control & inside;
        let unexpected = !masks.bare & !inside;
        let problems = control | unexpected;
        let limit = if problems != 0 {
            problems.trailing_zeros()
        } else {
            64
        };
        let mut brackets = (masks.open | masks.close) & !inside & low_bits(limit);
        while brackets != 0 {
            let bit = brackets.trailing_zeros();
            let at = block_start + bit as usize;
            let square = masks.curly >> bit & 1 == 0;
            if masks.open >> bit & 1 == 1 {
                if depth == u128::BITS {
                    return Err(StructureError::Invalid(at, "nesting too deep"));
                }
                open_arrays = open_arrays << 1 | u128::from(square);
                depth += 1;
            } else {
                if depth == 0 || (open_arrays & 1 == 1) != square {
                    return Err(StructureError::Invalid(at, "mismatched bracket"));
                }
                open_arrays >>= 1;
                depth -= 1;
                if depth == 0 {
                    return Ok(at + 1);
                }
            }
            brackets &= brackets - 1;
        }
        if problems != 0 {
            let at = block_start + limit as usize;
            return Err(StructureError::Invalid(
                at,
                if control >> limit & 1 == 1 {
                    "control character inside a string"
                } else {
                    "unexpected character outside a string"
                },
            ));
        }
        block_start += 64;
    }
    Err(StructureError::Eof)
}

/// The bytes that may stand outside a string, by class: each class is one high nibble and
/// the low nibbles it allows. White space; quote, `+`, `,`, `-`, `.`; digits and `:`; `E`;
/// `[` and `]`; `a e f l n`; `r s t u { }`. A byte may stand outside a string when the class
/// bits of its two nibbles meet.
const BARE_BY_HIGH_NIBBLE: [u8; 16] = [1, 0, 2, 4, 8, 16, 32, 64, 0, 0, 0, 0, 0, 0, 0, 0];
const BARE_BY_LOW_NIBBLE: [u8; 16] = {
    let mut table = [0u8; 16];
    let classes: [(u8, &[u8]); 7] = [
        (1, b"\t\n\r"),
        (2, b" \"+,-."),
        (4, b"0123456789:"),
        (8, b"E"),
        (16, b"[]"),
        (32, b"aefln"),
        (64, b"rstu{}"),
    ];
    let mut class = 0;
    while class < classes.len() {
        let (bit, bytes) = classes[class];
        let mut i = 0;
        while i < bytes.len() {
            table[(bytes[i] & 0x0F) as usize] |= bit;
            i += 1;
        }
        class += 1;
    }
    table
};

/// Whether `byte` may stand outside a string.
fn is_bare(byte: u8) -> bool {
    BARE_BY_LOW_NIBBLE[usize::from(byte & 0x0F)] & BARE_BY_HIGH_NIBBLE[usize::from(byte >> 4)] != 0
}

/// The `n` lowest bits set.
fn low_bits(n: u32) -> u64 {
    if n >= 64 { u64::MAX } else { (1 << n) - 1 }
}

/// The bytes escaped by a backslash: each backslash that is not itself escaped escapes the
/// byte after it. Backslashes are rare in Okta's data, so walking them one by one is cheap.
fn escaped_bytes(backslash: u64, carry: &mut bool) -> u64 {
    let mut escaped = u64::from(*carry);
    let mut pending = backslash & !escaped;
    *carry = false;
    while pending != 0 {
        let bit = pending.trailing_zeros();
        if bit == 63 {
            *carry = true;
            break;
        }
        escaped |= 1 << (bit + 1);
        pending &= !(1 << bit) & !(1 << (bit + 1));
    }
    escaped
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
fn classify_avx512(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{
        _mm512_and_si512, _mm512_broadcast_i32x4, _mm512_cmpeq_epi8_mask, _mm512_cmple_epu8_mask,
        _mm512_loadu_si512, _mm512_or_si512, _mm512_set1_epi8, _mm512_shuffle_epi8,
        _mm512_srli_epi16, _mm512_test_epi8_mask,
    };
    // SAFETY: the load reads the 64 bytes of `block`.
    let bytes = unsafe { _mm512_loadu_si512(block.as_ptr().cast()) };
    let folded = _mm512_or_si512(bytes, _mm512_set1_epi8(0x20));
    Masks {
        quote: _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(b'"' as i8)),
        backslash: _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(b'\\' as i8)),
        open: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'{' as i8)),
        close: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'}' as i8)),
        control: _mm512_cmple_epu8_mask(bytes, _mm512_set1_epi8(0x1F)),
        curly: _mm512_test_epi8_mask(bytes, _mm512_set1_epi8(0x20)),
        bare: {
            // Each byte's class by its low and by its high nibble, looked up 16 at a time.
            let low_table = _mm512_broadcast_i32x4(nibble_table(&BARE_BY_LOW_NIBBLE));
            let high_table = _mm512_broadcast_i32x4(nibble_table(&BARE_BY_HIGH_NIBBLE));
            let nibble = _mm512_set1_epi8(0x0F);
            let low = _mm512_and_si512(bytes, nibble);
            let high = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), nibble);
            _mm512_test_epi8_mask(
                _mm512_shuffle_epi8(low_table, low),
                _mm512_shuffle_epi8(high_table, high),
            )
        },
    }
}

/// A 16-byte table as a vector.
#[cfg(target_arch = "x86_64")]
fn nibble_table(table: &[u8; 16]) -> std::arch::x86_64::__m128i {
    // SAFETY: the load reads the 16 bytes of `table`; SSE2 is part of the x86_64 baseline.
    unsafe { std::arch::x86_64::_mm_loadu_si128(table.as_ptr().cast()) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn classify_avx2(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_broadcastsi128_si256, _mm256_cmpeq_epi8,
        _mm256_loadu_si256, _mm256_max_epu8, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_srli_epi16,
    };
    let low_table = _mm256_broadcastsi128_si256(nibble_table(&BARE_BY_LOW_NIBBLE));
    let high_table = _mm256_broadcastsi128_si256(nibble_table(&BARE_BY_HIGH_NIBBLE));
    let nibble = _mm256_set1_epi8(0x0F);
    let case_bit = _mm256_set1_epi8(0x20);
    let highest_control = _mm256_set1_epi8(0x1F);
    let mut masks = Masks::default();
    for half in 0..2 {
        // SAFETY: the load reads 32 bytes inside `block`, which is 64 bytes long.
        let bytes = unsafe { _mm256_loadu_si256(block.as_ptr().add(half * 32).cast::<__m256i>()) };
        let mask = |v| u64::from(_mm256_movemask_epi8(v) as u32) << (half * 32);
        let folded = _mm256_or_si256(bytes, case_bit);
        masks.quote |= mask(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(b'"' as i8)));
        masks.backslash |= mask(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(b'\\' as i8)));
        masks.open |= mask(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8(b'{' as i8)));
        masks.close |= mask(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8(b'}' as i8)));
        masks.control |= mask(_mm256_cmpeq_epi8(
            _mm256_max_epu8(bytes, highest_control),
            highest_control,
        ));
        masks.curly |= mask(_mm256_cmpeq_epi8(
            _mm256_and_si256(bytes, case_bit),
            case_bit,
        ));
        let low = _mm256_and_si256(bytes, nibble);
        let high = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble);
        let classes = _mm256_and_si256(
            _mm256_shuffle_epi8(low_table, low),
            _mm256_shuffle_epi8(high_table, high),
        );
        masks.bare |=
            !mask(_mm256_cmpeq_epi8(classes, _mm256_setzero_si256())) & mask_of_half(half);
    }
    masks
}

/// The 32 bits of a 64-bit block mask that stand for half `half` of the block.
#[cfg(target_arch = "x86_64")]
fn mask_of_half(half: usize) -> u64 {
    u64::from(u32::MAX) << (half * 32)
}

/// The masks of a block one byte at a time, where the CPU has neither AVX2 nor AVX-512.
fn classify(block: &[u8; 64]) -> Masks {
    let mut masks = Masks::default();
    for (i, &byte) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match byte {
            b'"' => masks.quote |= bit,
            b'\\' => masks.backslash |= bit,
            b'{' | b'[' => masks.open |= bit,
            b'}' | b']' => masks.close |= bit,
            0..0x20 => masks.control |= bit,
            _ => {}
        }
        if is_bare(byte) {
            masks.bare |= bit;
        }
        if byte & 0x20 != 0 {
            masks.curly |= bit;
        }
    }
    masks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The end of the value at `start`, found one byte at a time.
    fn value_end_bytewise(data: &[u8], start: usize) -> Result<usize, StructureError> {
        let (mut open, mut in_string, mut escaped) = (Vec::new(), false, false);
        for (at, &byte) in data.iter().enumerate().skip(start) {
            if in_string {
                match byte {
                    _ if escaped => escaped = false,
                    b'\\' => escaped = true,
                    b'"' => in_string = false,
                    0..0x20 => {
                        return Err(StructureError::Invalid(
                            at,
                            "control character inside a string",
                        ));
                    }
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                _ if !is_bare(byte) => {
                    return Err(StructureError::Invalid(
                        at,
                        "unexpected character outside a string",
                    ));
                }
                b'{' | b'[' if open.len() == 128 => {
                    return Err(StructureError::Invalid(at, "nesting too deep"));
                }
                b'{' | b'[' => open.push(byte),
                b'}' | b']' => {
                    if open.pop() != Some(if byte == b'}' { b'{' } else { b'[' }) {
                        return Err(StructureError::Invalid(at, "mismatched bracket"));
                    }
                    if open.is_empty() {
                        return Ok(at + 1);
                    }
                }
                _ => {}
            }
        }
        Err(StructureError::Eof)
    }

    #[test]
    fn agrees_with_a_bytewise_scan_at_every_alignment() {
        // Runs of backslashes before quotes, brackets inside strings, and a value long enough
        // to span blocks, shifted across every position of a 64-byte block.
        let values = [
            r#"{"a":"x\\"}"#.to_string(),
            r#"{"a":"x\"}","b":[1,{"c":"]"}]}"#.to_string(),
            r#"["\\\\\"[", "\\\\", {}, [[]]]"#.to_string(),
            format!(
                r#"{{"k":"{}","v":[{}]}}"#,
                "\\\"".repeat(70),
                "{},".repeat(50) + "0"
            ),
            format!(r#"{{"k":"{}\\"}}"#, "\\\\".repeat(40)),
            "{\"a\":\"line\nbreak\"}".to_string(),
            r#"{"a":"never closed}"#.to_string(),
            "[[[]]".to_string(),
            // A quote lost: the strings turn inside out, caught at the first letter outside.
            r#"{"a":"x,"b":"Mozilla/5.0 {"},{"c":1}"#.to_string(),
            r#"{"a":[true,false,null,-1.5E+3,"é"], "b" : {} }"#.to_string(),
            "{\"a\":1}\u{e9}".to_string(),
            r#"{"request":{"ipChain":]},"target":[]}"#.to_string(),
            format!("{}{}", "[".repeat(130), "]".repeat(130)),
        ];
        for value in &values {
            for shift in 0..130 {
                let data = format!("{}{value} ", " ".repeat(shift));
                let expected = value_end_bytewise(data.as_bytes(), shift);
                assert_eq!(
                    value_end(data.as_bytes(), shift),
                    expected,
                    "{value} at {shift}"
                );
                // The narrower classifiers too, where the CPU would pick a wider one.
                assert_eq!(
                    value_end_with(data.as_bytes(), shift, classify, prefix_xor),
                    expected,
                    "{value} at {shift}"
                );
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2, checked just above.
                    let avx2 = unsafe { value_end_avx2(data.as_bytes(), shift) };
                    assert_eq!(avx2, expected, "{value} at {shift}");
                }
            }
        }
    }

    fn classify_bytewise(block: &[u8; 64]) -> Masks {
        let mut masks = Masks::default();
        for (i, &byte) in block.iter().enumerate() {
            let bit = 1u64 << i;
            let set = |mask: &mut u64, yes: bool| *mask |= if yes { bit } else { 0 };
            set(&mut masks.quote, byte == b'"');
            set(&mut masks.backslash, byte == b'\\');
            set(&mut masks.open, matches!(byte, b'{' | b'['));
            set(&mut masks.close, matches!(byte, b'}' | b']'));
            set(&mut masks.control, byte < 0x20);
            set(&mut masks.curly, byte & 0x20 != 0);
            set(
                &mut masks.bare,
                byte.is_ascii_digit() || b"\t\n\r \"+,-.:E[]aeflnrstu{}".contains(&byte),
            );
        }
        masks
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn carry_less_prefix_xor_agrees_with_the_shifts() {
        if !std::arch::is_x86_feature_detected!("pclmulqdq") {
            eprintln!("skipped: no PCLMULQDQ");
            return;
        }
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let singles = (0..64).map(|bit| 1u64 << bit);
        let random = std::iter::repeat_with(|| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        });
        for bits in [0, u64::MAX]
            .into_iter()
            .chain(singles)
            .chain(random.take(10_000))
        {
            // SAFETY: the CPU has PCLMULQDQ, checked above.
            assert_eq!(
                unsafe { prefix_xor_clmul(bits) },
                prefix_xor(bits),
                "{bits:#x}"
            );
        }
    }

    #[test]
    fn classifiers_agree_byte_for_byte() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut blocks: Vec<[u8; 64]> = (0..=255u8)
            .collect::<Vec<u8>>()
            .chunks(64)
            .map(|c| c.try_into().expect("64 bytes"))
            .collect();
        // Random bytes, then random JSON punctuation and letters, so that every class is common.
        const JSON_BYTES: &[u8] = b"{}[]\":,\\ \n\t-+.0E9aeflnrstuxyzA\x00\x1f\x7f\x80\xff";
        for round in 0..40_000 {
            let mut block = [0u8; 64];
            for byte in &mut block {
                let random = next();
                *byte = if round % 2 == 0 {
                    random as u8
                } else {
                    JSON_BYTES[(random % JSON_BYTES.len() as u64) as usize]
                };
            }
            blocks.push(block);
        }
        for block in &blocks {
            let expected = classify_bytewise(block);
            assert_eq!(classify(block), expected, "{block:?}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2, checked just above.
                assert_eq!(unsafe { classify_avx2(block) }, expected, "{block:?}");
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx512bw") {
                // SAFETY: the CPU has AVX-512BW, checked just above.
                assert_eq!(unsafe { classify_avx512(block) }, expected, "{block:?}");
            }
        }
    }

    #[test]
    fn agrees_with_a_bytewise_scan_on_the_bundled_sample() {
        let data = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/okta-sample.json"
        ))
        .expect("the bundled sample");
        let mut checked = 0;
        // Objects that are values: after a colon, comma or bracket, not inside a string.
        let is_value = |start: usize| {
            let before = data[..start].iter().rposition(|b| !b.is_ascii_whitespace());
            before.is_none_or(|b| matches!(data[b], b':' | b',' | b'['))
        };
        for start in memchr::memchr_iter(b'{', &data).filter(|&s| is_value(s)) {
            assert_eq!(
                value_end(&data, start),
                value_end_bytewise(&data, start),
                "at {start}"
            );
            checked += 1;
        }
        assert!(checked > 1000, "{checked} objects");
    }
}
