//! Aligned text tables for a terminal. Attacker-controlled text (user agents, user names) is
//! shown with control characters escaped, so it cannot move the cursor or recolour the screen,
//! and long cells are cut with `…` so rows stay on one line.

use unicode_width::UnicodeWidthChar;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table with a header row.
pub struct Table {
    columns: Vec<(String, Align, usize)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// `columns`: name, alignment and the widest a cell may be shown.
    pub fn new(columns: &[(&str, Align, usize)]) -> Table {
        Table {
            columns: columns
                .iter()
                .map(|(n, a, w)| (n.to_string(), *a, *w))
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        let cells = cells
            .into_iter()
            .zip(&self.columns)
            .map(|(cell, (_, _, max))| fit(&printable(&cell), *max))
            .collect();
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (name, _, _))| {
                self.rows
                    .iter()
                    .map(|r| width(&r[i]))
                    .chain([width(name)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|(n, _, _)| n.clone()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                let pad = " ".repeat(widths[i] - width(cell));
                let last = i + 1 == row.len();
                match self.columns[i].1 {
                    Align::Right => {
                        line.push_str(&pad);
                        line.push_str(cell);
                    }
                    Align::Left if last => line.push_str(cell),
                    Align::Left => {
                        line.push_str(cell);
                        line.push_str(&pad);
                    }
                }
                if !last {
                    line.push_str("  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Escapes control characters (`\n`, `\u{1b}`, ...) and the bidirectional formatting
/// characters (`\u{202e}`, ...) so the text is shown, not interpreted or shown reordered.
pub fn printable(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if needs_escape(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Control characters, and the marks, embeddings, overrides and isolates of Unicode's
/// bidirectional algorithm, which a terminal may apply to reorder what follows them.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn width(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts a path to at most `max` columns from the left, keeping the file name: `…/dir/file.json`.
pub fn keep_tail(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > max {
            break;
        }
        kept.push(c);
        used += w;
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// Cuts `text` to at most `max` columns, ending in `…` when cut.
pub fn fit(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_overrides_are_escaped_too() {
        // "python-requests" written backwards behind a right-to-left override would show as
        // a harmless name on a terminal that applies it.
        assert_eq!(
            printable("Outlook\u{202e}stseuqer-nohtyp"),
            "Outlook\\u{202e}stseuqer-nohtyp"
        );
        for c in [
            '\u{200e}', '\u{200f}', '\u{061c}', '\u{202a}', '\u{2066}', '\u{2069}',
        ] {
            assert!(!printable(&format!("a{c}b")).contains(c), "{c:?}");
        }
        assert_eq!(printable("Zürich 東京"), "Zürich 東京");
    }

    #[test]
    fn aligns_cuts_and_escapes() {
        let mut table = Table::new(&[("name", Align::Left, 8), ("n", Align::Right, 5)]);
        table.row(vec!["a\u{1b}[31mb".into(), "7".into()]);
        table.row(vec!["short".into(), "12345".into()]);
        assert_eq!(keep_tail("a/b/events.json", 12), "…events.json");
        assert_eq!(keep_tail("events.json", 12), "events.json");
        assert_eq!(
            table.render(),
            "name          n\na\\u{1b}…      7\nshort     12345\n"
        );
    }
}
