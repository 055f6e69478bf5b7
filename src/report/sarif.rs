//! SARIF 2.1.0, for code-scanning dashboards. Subjects are logical locations.

use serde_json::{Value, json};

use super::{Report, TOOL_NAME, TOOL_URI, TOOL_VERSION};
use crate::audit::{Severity, catalog};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` scale.
/// The finding's own fields, as the JSON report has them.
fn properties(f: &crate::audit::Finding) -> serde_json::Value {
    let mut p = json!({
        "severity": f.severity,
        "security-severity": score(f.severity),
        "conditional": f.conditional,
        "subject": f.subject,
        "related": f.related,
        "evidence": f.evidence,
        "remediation": f.remediation,
    });
    if let Some(total) = f.related_total {
        p["related_total"] = json!(total);
    }
    p
}

fn score(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

pub fn to_value(r: &Report) -> Value {
    let rules: Vec<Value> = catalog::RULES
        .iter()
        .map(|ri| {
            json!({
                "id": ri.id,
                "name": ri.id.replace('-', ""),
                "shortDescription": {"text": ri.summary},
                "defaultConfiguration": {"level": level(ri.severity)},
                "properties": {"security-severity": score(ri.severity), "tags": ["security"]},
            })
        })
        .collect();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let mut text = f.title.clone();
            for e in &f.evidence {
                text.push_str("\n- ");
                text.push_str(e);
            }
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": catalog::RULES.iter().position(|ri| ri.id == f.rule),
                "level": level(f.severity),
                "message": {"text": text},
                "locations": [{
                    "logicalLocations": [{
                        "name": f.subject.display_name(),
                        "fullyQualifiedName": f.subject.label(),
                        "kind": f.subject.kind(),
                    }]
                }],
                // The finding's stable id (docs/findings-id.md), for matching across runs.
                "partialFingerprints": {"iamscopeFindingId/v1": f.id},
                "properties": properties(f),
            });
            if let Some(state) = f.baseline_state {
                result["baselineState"] = json!(state.as_str());
            }
            if let Some(s) = &f.suppressed {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("{} (until {})", s.reason, s.expires),
                    "properties": {"expires": s.expires, "source": s.source},
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": TOOL_NAME,
                "version": TOOL_VERSION,
                // Validators (the SARIF multitool) warn without it, and code-scanning
                // dashboards link the tool's name to it.
                "informationUri": TOOL_URI,
                "rules": rules,
            }},
            "results": results,
            "properties": {
                "source": {"mode": r.inv.mode, "cluster": r.cluster(), "account": r.inv.account},
                "coverage": r.inv.coverage,
            },
        }]
    })
}

pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(r))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
