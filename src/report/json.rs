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
        findings: r.findings,
    };
    write_document(doc, w)
}

/// A share of the findings, printed as its own document: its elements are two
/// levels deep, as in the whole document.
#[derive(serde::Serialize)]
struct Share<'a> {
    findings: &'a [crate::audit::Finding],
}

/// The document pretty-printed as `serde_json::to_writer_pretty` prints it,
/// with the findings (the bulk of a large report) serialized on every core.
fn write_document(doc: Document, w: &mut dyn Write) -> std::io::Result<()> {
    let findings = doc.findings;
    let rest = Document {
        findings: &[],
        ..doc
    };
    let head = serde_json::to_vec_pretty(&rest)?;
    let parts = crate::par::shares(findings, REPORT_MIN_FINDINGS_PER_THREAD, |_, part| {
        serde_json::to_vec_pretty(&Share { findings: part })
    })
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    // `findings` is the last field: the head ends with its empty array, and
    // each share is `{"findings": [` + its elements + `]}`.
    const EMPTY_END: &[u8] = b"[]\n}";
    const SHARE_OPEN: &[u8] = b"{\n  \"findings\": [\n";
    const SHARE_CLOSE: &[u8] = b"\n  ]\n}";
    let head = head.strip_suffix(EMPTY_END);
    let inner: Option<Vec<&[u8]>> = parts
        .iter()
        .map(|p| p.strip_prefix(SHARE_OPEN)?.strip_suffix(SHARE_CLOSE))
        .collect();
    let (Some(head), Some(inner)) = (head, inner) else {
        // No findings (or a layout other than expected): the whole document at once.
        serde_json::to_writer_pretty(&mut *w, &Document { findings, ..rest })?;
        return w.write_all(b"\n");
    };
    w.write_all(head)?;
    w.write_all(b"[\n")?;
    for (i, part) in inner.iter().enumerate() {
        if i > 0 {
            w.write_all(b",\n")?;
        }
        w.write_all(part)?;
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
        let coverage = crate::model::Coverage::default();
        for n in [0, 1, 3, REPORT_MIN_FINDINGS_PER_THREAD * 2 + 5] {
            let findings: Vec<Finding> = (0..n).map(finding).collect();
            let doc = || Document {
                tool: json!({"name": TOOL_NAME}),
                source: json!({"mode": "snapshot"}),
                coverage: &coverage,
                summary: Map::new(),
                findings: &findings,
            };
            let mut want = serde_json::to_vec_pretty(&doc()).unwrap();
            want.push(b'\n');
            let mut got = Vec::new();
            write_document(doc(), &mut got).unwrap();
            assert_eq!(got, want, "{n} findings");
        }
    }
}
