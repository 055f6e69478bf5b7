//! YAML through serde-saphyr, into `serde_json::Value` so that one code path
//! reads JSON and YAML alike. The parser's default budget bounds alias
//! expansion, so a "billion laughs" document fails instead of eating memory.

use serde_json::Value;

/// Parse one YAML document.
pub fn parse_one(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| one_line(&e.to_string()))
}

/// Parse a stream of YAML documents (`---` separated); empty documents are skipped.
pub fn parse_stream(text: &str) -> Result<Vec<Value>, String> {
    serde_saphyr::from_multiple::<Value>(text)
        .map(|docs| docs.into_iter().filter(|d| !d.is_null()).collect())
        .map_err(|e| one_line(&e.to_string()))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
