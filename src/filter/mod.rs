//! Okta's System Log filter language (the `filter` parameter of `/api/v1/logs`), evaluated
//! offline, so expressions pasted from Okta's hunting guides select the same events from an
//! export as Okta would from the live log.
//!
//! `eventType eq "user.session.start" and (outcome.result eq "FAILURE" or not client.zone pr)`
//!
//! Where Okta's documentation is silent or the API refuses something, the choice made here is
//! stated in README ("Filter language"): operators and keywords ignore case (Okta documents
//! that); attribute paths ignore case too (Okta's are case-sensitive, but SIEM re-exports
//! lower-case them); string values are compared exactly, case included, as Okta's filters do;
//! `published` and `co` on `requestUri`, refused by the live API, are allowed here.

mod attribute;
mod eval;
mod lexer;
mod parser;

use std::fmt;

use unicode_width::UnicodeWidthStr;

pub use attribute::{Attribute, ValueType};

use crate::event::{Event, Parts};

/// A parsed filter expression.
#[derive(Debug, Clone)]
pub struct Filter {
    expression: parser::Expr,
}

impl Filter {
    pub fn parse(expression: &str) -> Result<Filter, FilterError> {
        parser::parse(expression)
            .map(|expression| Filter { expression })
            .map_err(|mistake| FilterError::new(expression, mistake))
    }

    pub fn matches(&self, event: &Event<'_>) -> bool {
        self.expression.matches(event)
    }

    /// The parts of an event the filter reads, so that they are read whatever the command.
    pub fn parts(&self) -> Parts {
        self.expression.parts()
    }
}

/// A mistake found while reading an expression, at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mistake {
    message: String,
    at: usize,
}

impl Mistake {
    fn new(message: impl Into<String>, at: usize) -> Mistake {
        Mistake {
            message: message.into(),
            at,
        }
    }
}

/// Why an expression could not be parsed, and where: shown as the message with its 1-based
/// column, then the expression with a caret under that column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub message: String,
    /// 1-based, in characters.
    pub column: usize,
    expression: String,
    /// Terminal columns before the caret.
    indent: usize,
}

impl FilterError {
    fn new(expression: &str, mistake: Mistake) -> FilterError {
        // Control characters (a pasted tab or newline) become spaces, keeping the caret aligned.
        let shown: String = expression
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let before = expression.get(..mistake.at).unwrap_or(expression);
        let indent = before.chars().count();
        let indent_width = shown.chars().take(indent).collect::<String>().width();
        FilterError {
            message: mistake.message,
            column: indent + 1,
            expression: shown,
            indent: indent_width,
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at column {}\n  {}\n  {}^",
            self.message,
            self.column,
            self.expression,
            " ".repeat(self.indent)
        )
    }
}

impl std::error::Error for FilterError {}

#[cfg(test)]
mod tests;
