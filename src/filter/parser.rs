//! Recursive descent over the tokens: `or` binds loosest, then `and`, then `not`, then a
//! comparison or a parenthesised expression. Values are checked against the attribute's type
//! here, so evaluation never meets a comparison it cannot make.

use super::Mistake;
use super::attribute::{Attribute, ValueType};
use super::lexer::{Lexer, Token, TokenKind};
use crate::time::Timestamp;

/// Parentheses and `not`s nested deeper than this are refused rather than risk the stack.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `a or b or ...`: kept flat, so long chains need no deep recursion.
    Any(Vec<Expr>),
    /// `a and b and ...`
    All(Vec<Expr>),
    Not(Box<Expr>),
    /// `attribute pr`
    Present(Attribute),
    Compare(Comparison),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub attribute: Attribute,
    pub operator: Operator,
    pub operand: Operand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Ne,
    Sw,
    Co,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

const OPERATORS: [(&str, Operator); 9] = [
    ("eq", Operator::Eq),
    ("ne", Operator::Ne),
    ("sw", Operator::Sw),
    ("co", Operator::Co),
    ("ew", Operator::Ew),
    ("gt", Operator::Gt),
    ("ge", Operator::Ge),
    ("lt", Operator::Lt),
    ("le", Operator::Le),
];

impl Operator {
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("", |(name, _)| name)
    }

    /// Whether the operator can compare values of `value_type`.
    fn applies_to(self, value_type: ValueType) -> bool {
        match value_type {
            ValueType::Text => true,
            ValueType::Number | ValueType::Time => {
                !matches!(self, Operator::Sw | Operator::Co | Operator::Ew)
            }
            ValueType::Flag => matches!(self, Operator::Eq | Operator::Ne),
        }
    }
}

/// The literal a comparison is made against, of the attribute's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Text(String),
    Number(f64),
    Flag(bool),
    Time(Timestamp),
}

pub fn parse(source: &str) -> Result<Expr, Mistake> {
    let mut lexer = Lexer::new(source);
    let current = lexer.next_token()?;
    let mut parser = Parser {
        lexer,
        current,
        depth: 0,
    };
    let expression = parser.or()?;
    match parser.current.kind {
        TokenKind::End => Ok(expression),
        TokenKind::Close => Err(parser.mistake("unmatched \")\"")),
        _ => Err(parser.mistake("expected \"and\" or \"or\"")),
    }
}

struct Parser<'s> {
    lexer: Lexer<'s>,
    current: Token<'s>,
    depth: usize,
}

impl<'s> Parser<'s> {
    /// Moves to the next token, returning the one just passed.
    fn advance(&mut self) -> Result<Token<'s>, Mistake> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.current, next))
    }

    fn mistake(&self, message: impl Into<String>) -> Mistake {
        Mistake::new(message, self.current.start)
    }

    fn or(&mut self) -> Result<Expr, Mistake> {
        let first = self.and()?;
        if !self.current.is_word("or") {
            return Ok(first);
        }
        let mut terms = vec![first];
        while self.current.is_word("or") {
            self.advance()?;
            terms.push(self.and()?);
        }
        Ok(Expr::Any(terms))
    }

    fn and(&mut self) -> Result<Expr, Mistake> {
        let first = self.unary()?;
        if !self.current.is_word("and") {
            return Ok(first);
        }
        let mut terms = vec![first];
        while self.current.is_word("and") {
            self.advance()?;
            terms.push(self.unary()?);
        }
        Ok(Expr::All(terms))
    }

    fn unary(&mut self) -> Result<Expr, Mistake> {
        // Only a `not` or a `(` nests; the comparison inside the deepest one does not.
        if !(self.current.is_word("not") || self.current.kind == TokenKind::Open) {
            return self.nested();
        }
        if self.depth == MAX_DEPTH {
            return Err(self.mistake(format!(
                "more than {MAX_DEPTH} nested parentheses or \"not\"s"
            )));
        }
        self.depth += 1;
        let expression = self.nested();
        self.depth -= 1;
        expression
    }

    fn nested(&mut self) -> Result<Expr, Mistake> {
        match self.current.kind {
            TokenKind::Word if self.current.is_word("not") => {
                self.advance()?;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            TokenKind::Open => {
                let open = self.advance()?;
                let inner = self.or()?;
                match self.current.kind {
                    TokenKind::Close => {
                        self.advance()?;
                        Ok(inner)
                    }
                    TokenKind::End => Err(Mistake::new("unclosed \"(\"", open.start)),
                    _ => Err(self.mistake("expected \"and\", \"or\" or \")\"")),
                }
            }
            TokenKind::Word => self.comparison(),
            _ => Err(self.mistake("expected an attribute, \"not\" or \"(\"")),
        }
    }

    fn comparison(&mut self) -> Result<Expr, Mistake> {
        let path = self.current.text;
        let attribute = Attribute::parse(path)
            .ok_or_else(|| self.mistake(format!("unknown attribute \"{path}\"")))?;
        self.advance()?;
        if self.current.is_word("pr") {
            self.advance()?;
            if self.at_value() {
                return Err(self.mistake("\"pr\" takes no value"));
            }
            return Ok(Expr::Present(attribute));
        }
        let operator = OPERATORS
            .iter()
            .find(|(name, _)| self.current.is_word(name))
            .map(|(_, operator)| *operator)
            .ok_or_else(|| self.mistake(format!("expected an operator after \"{path}\"")))?;
        let value_type = attribute.value_type();
        if !operator.applies_to(value_type) {
            return Err(self.mistake(format!(
                "\"{}\" does not apply to \"{}\", which is {}",
                operator.name(),
                attribute.path(),
                value_type.describe()
            )));
        }
        let written_operator = self.advance()?.text;
        let operand = self.operand(value_type).ok_or_else(|| {
            let wanted = match value_type {
                ValueType::Text => "a \"quoted string\"",
                ValueType::Number => "a number",
                ValueType::Flag => "true or false",
                ValueType::Time => "a \"quoted\" time",
            };
            self.mistake(format!(
                "expected {wanted} after \"{path} {written_operator}\""
            ))
        })??;
        self.advance()?;
        Ok(Expr::Compare(Comparison {
            attribute,
            operator,
            operand,
        }))
    }

    /// True when the current token is a literal value.
    fn at_value(&self) -> bool {
        matches!(self.current.kind, TokenKind::Text(_) | TokenKind::Number(_))
            || self.current.is_word("true")
            || self.current.is_word("false")
    }

    /// The current token as a value of `value_type`: `None` when it is no such value, an error
    /// when it is but is invalid (a time that is not one).
    fn operand(&self, value_type: ValueType) -> Option<Result<Operand, Mistake>> {
        let token = &self.current;
        match (&token.kind, value_type) {
            (TokenKind::Text(text), ValueType::Text) => Some(Ok(Operand::Text(text.clone()))),
            (TokenKind::Text(text), ValueType::Time) => Some(
                Timestamp::parse_bound(text)
                    .map(Operand::Time)
                    .ok_or_else(|| {
                        self.mistake(format!("invalid time {text:?} (RFC 3339 or YYYY-MM-DD)"))
                    }),
            ),
            (TokenKind::Number(number), ValueType::Number) => Some(Ok(Operand::Number(*number))),
            (TokenKind::Word, ValueType::Flag) if token.is_word("true") => {
                Some(Ok(Operand::Flag(true)))
            }
            (TokenKind::Word, ValueType::Flag) if token.is_word("false") => {
                Some(Ok(Operand::Flag(false)))
            }
            _ => None,
        }
    }
}
