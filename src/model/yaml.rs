//! YAML through serde-saphyr, into `serde_json::Value` so that one code path
//! reads JSON and YAML alike.
//!
//! Three safety properties matter here:
//! - Resource bounds. The parser's budget bounds alias expansion, so a
//!   "billion laughs" document fails instead of eating memory. The default
//!   budget (250,000 nodes, 1,024 documents) is too small for the output of
//!   `kubectl get … -o yaml` on a real cluster, so the counts scale with the
//!   input's size (a document without aliases cannot have more nodes than about
//!   two per byte), with a fixed allowance for aliases and an absolute cap.
//! - No quoted input in errors. serde-saphyr renders errors with a snippet of
//!   the surrounding source; that snippet could be a Secret's `data` or a
//!   kubeconfig token next to a syntax error. Errors are rendered without it:
//!   `line L, column C: what`.
//! - Stack. Parsing runs on a thread of its own with a large stack, so a
//!   document at the depth limit cannot overflow a caller's small one.

use serde_json::Value;
use serde_saphyr::{Budget, Options};

/// Node allowance for alias expansion, on top of what the text itself holds.
const ALIAS_ALLOWANCE: usize = 50_000;
/// Absolute cap on YAML nodes (about 1 GB of parsed values); beyond it, JSON
/// is the format to use (it is read without building a tree of the whole file).
pub const MAX_NODES: usize = 10_000_000;

fn options(text: &str) -> Options {
    let n = text.len();
    let nodes = n
        .saturating_mul(2)
        .saturating_add(ALIAS_ALLOWANCE)
        .min(MAX_NODES);
    let mut budget = Budget::default();
    budget.max_nodes = nodes;
    budget.max_events = nodes.saturating_mul(2);
    budget.max_documents = (n / 2).saturating_add(1_024);
    let mut opts = Options::default();
    opts.budget = Some(budget);
    opts.with_snippet = false;
    // YAML 1.2 booleans only: `username: y` or `on` is the string the
    // authenticator and kubectl (which read into string fields) see, not `true`.
    opts.strict_booleans = true;
    opts
}

/// Stack for a parse: serde-saphyr recurses per nesting level, using tens of
/// kilobytes a level in debug builds, so 64 levels can overflow the 2 MiB of a
/// spawned thread (the UI's loader, tokio's workers, test threads).
const PARSE_STACK: usize = 32 << 20;

/// Run a parse on its own thread with [`PARSE_STACK`], so that the depth limit,
/// not the caller's stack, bounds recursion. If no thread can be spawned, parse
/// on the caller's.
fn on_big_stack<T: Send>(parse: impl Fn() -> T + Sync) -> T {
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .name("iamscope-yaml".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(s, &parse)
        {
            Ok(h) => h
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => parse(),
        }
    })
}

/// Parse one YAML document.
pub fn parse_one(text: &str) -> Result<Value, String> {
    on_big_stack(|| {
        serde_saphyr::from_str_with_options::<Value>(text, options(text)).map_err(|e| message(&e))
    })
}

/// Parse a stream of YAML documents (`---` separated); empty documents are skipped.
pub fn parse_stream(text: &str) -> Result<Vec<Value>, String> {
    on_big_stack(|| {
        serde_saphyr::from_multiple_with_options::<Value>(text, options(text))
            .map(|docs| docs.into_iter().filter(|d| !d.is_null()).collect())
            .map_err(|e| message(&e))
    })
}

/// One line, `line L, column C: what`, never a quote of the input.
fn message(e: &serde_saphyr::Error) -> String {
    let plain = one_line(&e.without_snippet().to_string());
    let plain = plain.strip_prefix("error: ").unwrap_or(&plain);
    // serde-saphyr appends " at line L, column C"; say it first, as for JSON files.
    let what = match plain.rsplit_once(" at line ") {
        Some((what, at)) if at.split(", column ").count() == 2 => what,
        _ => plain,
    };
    let what = match what.find("budget breached") {
        // "budget breached: Nodes { nodes: 50865 } at … (defined at …) (used at …)": keep the
        // limit that tripped, then say what it means.
        Some(i) => {
            let rest = &what[i..];
            let end = rest.find('}').map_or(rest.len(), |j| j + 1);
            format!(
                "{}: the YAML is nested more than 64 levels deep, expands aliases too far or is too large (at most {MAX_NODES} values are read; write a large cluster's snapshot as JSON, `-o json`)",
                &rest[..end]
            )
        }
        None => what.to_string(),
    };
    match e.location() {
        Some(l) if l.line() > 0 => format!("line {}, column {}: {what}", l.line(), l.column()),
        _ => what,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_place_and_quote_nothing() {
        let e = parse_one("a: 1\nb: [\"do-not-quote-me\", {\n").unwrap_err();
        assert!(e.starts_with("line "), "{e}");
        assert!(!e.contains("do-not-quote-me"), "{e}");
    }

    #[test]
    fn large_streams_are_not_refused() {
        // 3,000 documents: more than serde-saphyr's default budget of 1,024.
        let text = "kind: Namespace\nmetadata: {name: x}\n---\n".repeat(3_000);
        assert_eq!(parse_stream(&text).map(|d| d.len()), Ok(3_000));
    }

    #[test]
    fn yaml_1_1_booleans_are_strings() {
        let v = parse_one("username: y\nb: on\nc: true\n").unwrap();
        assert_eq!(v["username"], "y");
        assert_eq!(v["b"], "on");
        assert_eq!(v["c"], true);
    }
}
