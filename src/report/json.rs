//! The JSON report of `spec/findings.md`.

use std::io::Write;

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
    let mut out = Vec::new();
    match write(r, &mut out) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

/// The report written to `w` as it is rendered: a large report's findings
/// are serialized on every core and written in order, never gathered into
/// one buffer first.
pub fn write(r: &Report, w: &mut dyn Write) -> std::io::Result<()> {
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
        findings: &[],
    };
    write_with_findings(&doc, r.findings, w)
}

/// The document pretty-printed as `serde_json::to_writer_pretty` would print
/// it with these findings.
fn write_with_findings(
    doc: &Document,
    findings: &[crate::audit::Finding],
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let mut head = serde_json::to_vec_pretty(doc)?;
    // `findings` is the last field: the document ends with its empty array.
    const EMPTY_END: &[u8] = b"[]\n}";
    if findings.is_empty() || !head.ends_with(EMPTY_END) {
        head.push(b'\n');
        return w.write_all(&head);
    }
    head.truncate(head.len() - EMPTY_END.len());
    head.extend_from_slice(b"[\n");
    w.write_all(&head)?;
    // Each finding is an element of an array two levels deep: its lines are
    // indented by four more spaces than when it is printed alone (a JSON
    // string holds no raw newline, so every newline is layout).
    let parts = crate::par::shares(findings, REPORT_MIN_FINDINGS_PER_THREAD, |at, part| {
        // About 1.4 kB a finding: sized once rather than grown by doubling.
        let mut text = Vec::with_capacity(part.len() * 1536);
        let mut one = Vec::with_capacity(4096);
        for (i, f) in part.iter().enumerate() {
            if at + i > 0 {
                text.extend_from_slice(b",\n");
            }
            one.clear();
            serde_json::to_writer_pretty(&mut one, f)?;
            text.extend_from_slice(b"    ");
            for (j, line) in one.split(|b| *b == b'\n').enumerate() {
                if j > 0 {
                    text.extend_from_slice(b"\n    ");
                }
                text.extend_from_slice(line);
            }
        }
        Ok::<_, serde_json::Error>(text)
    });
    for part in parts {
        w.write_all(&part?)?;
    }
    w.write_all(b"\n  ]\n}\n")
}

/// Below this many findings a thread of its own costs more than it saves.
const REPORT_MIN_FINDINGS_PER_THREAD: usize = 2048;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Finding, Severity, Subject};

    /// The parallel writing is byte for byte what serde_json prints for the
    /// whole document at once, with findings on either side of a share boundary.
    #[test]
    fn findings_render_as_serde_json_prints_the_whole_document() {
        let finding = |i: usize| {
            let mut f = Finding::new(
                "IAM-004",
                Severity::Medium,
                Subject::IamRole {
                    arn: format!("arn:aws:iam::111122223333:role/r{i}"),
                },
                format!("role r{i} \"quoted\"\nand a newline"),
            )
            .evidence(format!("line {i}"))
            .evidence("é ✓");
            f.related.push(Subject::IamRole {
                arn: "arn:aws:iam::111122223333:role/other".to_string(),
            });
            f
        };
        for n in [0, 1, 3, REPORT_MIN_FINDINGS_PER_THREAD * 2 + 5] {
            let findings: Vec<Finding> = (0..n).map(finding).collect();
            let doc = Document {
                tool: json!({"name": TOOL_NAME}),
                source: json!({"mode": "snapshot"}),
                coverage: &crate::model::Coverage::default(),
                summary: Map::new(),
                findings: &[],
            };
            let whole = Document {
                findings: &findings,
                ..doc
            };
            let mut want = serde_json::to_vec_pretty(&whole).unwrap();
            want.push(b'\n');
            let doc = Document {
                findings: &[],
                ..whole
            };
            let mut got = Vec::new();
            write_with_findings(&doc, &findings, &mut got).unwrap();
            assert_eq!(got, want, "{n} findings");
        }
    }
}
