//! Parsing of HTTP/1.1 header blocks for the webhook receiver.

use std::collections::HashMap;

/// Headers that must not be forwarded by a proxy (RFC 9110, section 7.6.1).
const HOP_BY_HOP: [&str; 5] = ["connection", "keep-alive", "te", "trailer", "upgrade"];

/// Splits one `Name: value` line; the name is lower-cased.
fn parse_hdr(line: &str) -> Option<(String, String)> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    Some((name.to_ascii_lowercase(), value.trim().to_string()))
}

#[allow(dead_code)]
pub fn is_hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Parses a header block up to the first empty line. Repeated headers are joined with ", ".
pub fn parse_block(text: &str) -> HashMap<String, String> {
    let mut headers: HashMap<String, String> = HashMap::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        let parsed = parse_hdr(line);
        if let Some((name, value)) = parsed {
            headers
                .entry(name)
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_repeated_headers() {
        let h = parse_block("Accept: a\r\naccept: b\r\n\r\nbody");
        assert_eq!(h["accept"], "a, b");
    }
}
