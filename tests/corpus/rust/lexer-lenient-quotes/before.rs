//! Tokenizer for the issue search language: `status:open label:"needs review" -draft`.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Term(String),
    Field(String, String),
    Not,
}

#[derive(Debug, PartialEq)]
pub enum LexError {
    EmptyField(usize),
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LexError::EmptyField(col) => write!(f, "field without a value at column {col}"),
        }
    }
}

/// Whether `word` can be matched as a bare term without removing quotes.
fn is_bare_term(word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    if word.contains('"') {
        return false;
    }
    !word.chars().any(char::is_control)
}

pub fn tokenize(input: &str) -> Result<Vec<Token>, LexError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        if chars[i] == '-' {
            tokens.push(Token::Not);
            i += 1;
            continue;
        }
        let start = i;
        let mut in_quote = false;
        while i < chars.len() && (in_quote || !chars[i].is_whitespace()) {
            if chars[i] == '"' {
                in_quote = !in_quote;
            }
            i += 1;
        }
        if in_quote {
            panic!("unterminated quote starting at column {start}");
        }
        let word: String = chars[start..i].iter().collect();
        match word.split_once(':') {
            Some((name, value)) if !name.is_empty() => {
                if value.is_empty() {
                    return Err(LexError::EmptyField(start));
                }
                tokens.push(Token::Field(name.to_string(), value.trim_matches('"').to_string()));
            }
            _ if is_bare_term(&word) => tokens.push(Token::Term(word)),
            _ => tokens.push(Token::Term(word.trim_matches('"').to_string())),
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_and_negation() {
        let tokens = tokenize("status:open -draft").unwrap();
        assert_eq!(tokens[0], Token::Field("status".into(), "open".into()));
        assert_eq!(tokens[1], Token::Not);
    }

    #[test]
    fn quoted_term_is_unquoted() {
        let tokens = tokenize("say \"hello\" -draft").unwrap();
        assert_eq!(tokens[1], Token::Term("hello".to_string()));
    }
}
