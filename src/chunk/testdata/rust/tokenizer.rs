//! A small tokenizer for arithmetic expressions.
use std::fmt;
use std::iter::Peekable;
use std::str::Chars;

/// One token of input.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Number(f64),
    Ident(String),
    Op(char),
    LParen,
    RParen,
}

#[derive(Debug)]
pub struct TokenizeError {
    pub offset: usize,
    pub found: char,
}

impl fmt::Display for TokenizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unexpected {:?} at offset {}", self.found, self.offset)
    }
}

pub struct Tokenizer<'a> {
    chars: Peekable<Chars<'a>>,
    offset: usize,
}

impl<'a> Tokenizer<'a> {
    pub fn new(input: &'a str) -> Self {
        Tokenizer { chars: input.chars().peekable(), offset: 0 }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        self.offset += c.len_utf8();
        Some(c)
    }

    fn number(&mut self, first: char) -> Token {
        let mut text = String::from(first);
        while let Some(&c) = self.chars.peek() {
            if c.is_ascii_digit() || c == '.' {
                text.push(c);
                self.bump();
            } else {
                break;
            }
        }
        Token::Number(text.parse().unwrap_or(0.0))
    }

    fn ident(&mut self, first: char) -> Token {
        let mut text = String::from(first);
        while let Some(&c) = self.chars.peek() {
            if c.is_alphanumeric() || c == '_' {
                text.push(c);
                self.bump();
            } else {
                break;
            }
        }
        Token::Ident(text)
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Result<Token, TokenizeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let offset = self.offset;
            let c = self.bump()?;
            return Some(match c {
                ' ' | '\t' | '\n' => continue,
                '0'..='9' => Ok(self.number(c)),
                'a'..='z' | 'A'..='Z' | '_' => Ok(self.ident(c)),
                '+' | '-' | '*' | '/' | '^' => Ok(Token::Op(c)),
                '(' => Ok(Token::LParen),
                ')' => Ok(Token::RParen),
                other => Err(TokenizeError { offset, found: other }),
            });
        }
    }
}

pub fn tokenize(input: &str) -> Result<Vec<Token>, TokenizeError> {
    Tokenizer::new(input).collect()
}

macro_rules! ops {
    ($($c:expr),*) => { vec![$(Token::Op($c)),*] };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ops() {
        assert_eq!(tokenize("1 + 2").unwrap(), vec![Token::Number(1.0), Token::Op('+'), Token::Number(2.0)]);
    }

    #[test]
    fn rejects_unknown() {
        assert_eq!(tokenize("1 $ 2").unwrap_err().offset, 2);
        assert_eq!(ops!('+', '-').len(), 2);
    }
}
