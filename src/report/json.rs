//! The JSON report of `spec/findings.md`.

use serde_json::{Map, Value, json};

use super::{Report, TOOL_NAME, TOOL_VERSION};
use crate::audit::summary;

pub fn to_value(r: &Report) -> Value {
    let mut summary_obj = Map::new();
    for (sev, n) in summary(r.findings) {
        summary_obj.insert(sev.as_str().to_string(), json!(n));
    }
    json!({
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
        "source": {
            "mode": r.inv.mode,
            "cluster": r.cluster(),
            "account": r.inv.account,
        },
        "coverage": r.inv.coverage,
        "summary": summary_obj,
        "findings": r.findings,
    })
}

pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(r))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
