//! CSV output, neutralised against spreadsheet formula injection: a text cell that starts with
//! `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so a user agent such as
//! `=HYPERLINK(...)` is shown, not run. Numbers are written as numbers and left alone.

use crate::error::Error;
use crate::report::Output;

/// A CSV cell: text (neutralised) or a number (written as is).
pub enum Cell {
    Text(String),
    Number(String),
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    pub fn number(value: impl ToString) -> Cell {
        Cell::Number(value.to_string())
    }
}

/// Prefixes `'` to text a spreadsheet would read as a formula.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// Writes a header and rows as CSV.
pub fn write(
    output: &mut Output,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<Cell>>,
) -> Result<(), Error> {
    let mut writer = csv::Writer::from_writer(output.writer());
    let result = (|| {
        writer.write_record(header)?;
        for row in rows {
            writer.write_record(
                row.iter()
                    .map(|cell| match cell {
                        Cell::Text(text) => neutralise(text),
                        Cell::Number(number) => number.as_str().into(),
                    })
                    .map(|c| c.into_owned()),
            )?;
        }
        writer.flush()?;
        Ok(())
    })();
    drop(writer);
    result.map_err(|error: csv::Error| match error.into_kind() {
        csv::ErrorKind::Io(io) => output.error(io),
        other => Error::Output("CSV".into(), format!("{other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_formula_openers_only() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-cmd"), "'-cmd");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("\rx"), "'\rx");
        assert_eq!(
            neutralise("python-requests/2.31.0"),
            "python-requests/2.31.0"
        );
        assert_eq!(neutralise(""), "");
    }
}
