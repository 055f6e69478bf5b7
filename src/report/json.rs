//! The JSON report of `spec/findings.md`.

use serde_json::{Map, Value, json};

use super::{Report, TOOL_NAME, TOOL_VERSION};
use crate::audit::summary;

/// The report of `spec/findings.md`, serialized straight from the findings
/// (a large report is never built as a `Value` tree first).
#[derive(serde::Serialize)]
struct Document<'a> {
    tool: Value,
    source: Value,
    coverage: &'a crate::model::Coverage,
    summary: Map<String, Value>,
    findings: &'a [crate::audit::Finding],
}

pub fn render(r: &Report) -> String {
    let mut summary_obj = Map::new();
    for (sev, n) in summary(r.findings) {
        summary_obj.insert(sev.as_str().to_string(), json!(n));
    }
    let doc = Document {
        tool: json!({"name": TOOL_NAME, "version": TOOL_VERSION}),
        source: json!({
            "mode": r.inv.mode,
            "cluster": r.cluster(),
            "account": r.inv.account,
        }),
        coverage: &r.inv.coverage,
        summary: summary_obj,
        findings: r.findings,
    };
    // About 1.4 kB a finding: sized once rather than grown by doubling.
    let mut out = Vec::with_capacity(4096 + r.findings.len() * 1536);
    match serde_json::to_writer_pretty(&mut out, &doc) {
        Ok(()) => {
            out.push(b'\n');
            String::from_utf8(out).unwrap_or_default()
        }
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}
