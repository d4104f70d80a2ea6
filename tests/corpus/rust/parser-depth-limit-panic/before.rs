//! Parser for the block-structured `.tide` configuration format.
//!
//! ```text
//! server {
//!     port = 8080
//!     tls { cert = /etc/tide/cert.pem }
//! }
//! ```

use std::collections::HashMap;
use std::fmt;

const MAX_KEY_LEN: usize = 64;
const MAX_DEPTH: usize = 32;

#[derive(Debug, PartialEq)]
pub enum ParseError {
    UnexpectedEof,
    UnbalancedBrace(usize),
    KeyTooLong(usize),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnexpectedEof => write!(f, "unexpected end of input"),
            ParseError::UnbalancedBrace(line) => write!(f, "unbalanced brace on line {line}"),
            ParseError::KeyTooLong(line) => write!(f, "key too long on line {line}"),
        }
    }
}

pub struct Parser<'a> {
    lines: std::str::Lines<'a>,
    line_no: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub fn new(input: &'a str) -> Self {
        Parser { lines: input.lines(), line_no: 0, depth: 0 }
    }

    pub fn parse(&mut self) -> Result<HashMap<String, String>, ParseError> {
        let mut out = HashMap::new();
        let mut prefix: Vec<String> = Vec::with_capacity(MAX_DEPTH);
        while let Some(raw) = self.lines.next() {
            self.line_no += 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_suffix('{') {
                self.depth += 1;
                prefix.push(name.trim().to_string());
            } else if line == "}" {
                if self.depth == 0 {
                    return Err(ParseError::UnbalancedBrace(self.line_no));
                }
                self.depth -= 1;
                prefix.pop();
            } else if let Some((key, value)) = line.split_once('=') {
                let key = key.trim();
                if key.len() > MAX_KEY_LEN {
                    return Err(ParseError::KeyTooLong(self.line_no));
                }
                let mut full = prefix.join(".");
                if !full.is_empty() {
                    full.push('.');
                }
                full.push_str(key);
                out.insert(full, value.trim().to_string());
            }
        }
        if self.depth != 0 {
            return Err(ParseError::UnexpectedEof);
        }
        Ok(out)
    }
}
