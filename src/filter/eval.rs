//! Evaluation of a parsed expression against one event.

use std::cmp::Ordering;

use super::attribute::Value;
use super::parser::{Comparison, Expr, Operand, Operator};
use crate::event::{Event, Parts};

impl Expr {
    /// The parts of an event the expression reads.
    pub fn parts(&self) -> Parts {
        match self {
            Expr::Any(terms) | Expr::All(terms) => terms
                .iter()
                .fold(Parts::CORE, |parts, term| parts.with(term.parts())),
            Expr::Not(inner) => inner.parts(),
            Expr::Present(attribute) => attribute.part(),
            Expr::Compare(comparison) => comparison.attribute.part(),
        }
    }

    pub fn matches(&self, event: &Event<'_>) -> bool {
        match self {
            Expr::Any(terms) => terms.iter().any(|term| term.matches(event)),
            Expr::All(terms) => terms.iter().all(|term| term.matches(event)),
            Expr::Not(inner) => !inner.matches(event),
            Expr::Present(attribute) => attribute.any_value(event, |value| value.is_some()),
            Expr::Compare(comparison) => {
                comparison.attribute.any_value(event, |value| match value {
                    // An absent value equals nothing, so it differs from everything.
                    None => comparison.operator == Operator::Ne,
                    Some(value) => comparison.holds(value),
                })
            }
        }
    }
}

impl Comparison {
    fn holds(&self, value: Value<'_>) -> bool {
        let operator = self.operator;
        match (value, &self.operand) {
            (Value::Text(text), Operand::Text(operand)) => match operator {
                Operator::Sw => text.starts_with(operand.as_str()),
                Operator::Co => text.contains(operand.as_str()),
                Operator::Ew => text.ends_with(operand.as_str()),
                _ => ordered(operator, Some(text.cmp(operand))),
            },
            (Value::Time(time), Operand::Time(operand)) => {
                ordered(operator, Some(time.cmp(operand)))
            }
            (Value::Flag(flag), Operand::Flag(operand)) => {
                ordered(operator, Some(flag.cmp(operand)))
            }
            (value, Operand::Number(operand)) => value
                .as_number()
                .is_some_and(|number| ordered(operator, number.partial_cmp(operand))),
            // The parser pairs every attribute with an operand of its own type.
            _ => false,
        }
    }
}

/// Whether `ordering` (the value against the operand; `None` when incomparable, as NaN is)
/// satisfies an equality or ordering operator.
fn ordered(operator: Operator, ordering: Option<Ordering>) -> bool {
    use Ordering::{Equal, Greater, Less};
    match operator {
        Operator::Eq => ordering == Some(Equal),
        Operator::Ne => ordering != Some(Equal),
        Operator::Gt => ordering == Some(Greater),
        Operator::Ge => matches!(ordering, Some(Greater | Equal)),
        Operator::Lt => ordering == Some(Less),
        Operator::Le => matches!(ordering, Some(Less | Equal)),
        Operator::Sw | Operator::Co | Operator::Ew => false,
    }
}
