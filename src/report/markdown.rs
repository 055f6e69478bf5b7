//! A Markdown report, for tickets and pull requests.

use std::fmt::Write;

use super::Report;
use crate::audit::summary;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let cluster = r.cluster().unwrap_or_else(|| "unknown".into());
    let account = r.inv.account.clone().unwrap_or_else(|| "unknown".into());
    let _ = writeln!(
        out,
        "# iamscope report: cluster `{cluster}`, account `{account}`\n"
    );
    let _ = writeln!(
        out,
        "| critical | high | medium | low | info |\n|---|---|---|---|---|"
    );
    let counts: Vec<String> = summary(r.findings)
        .iter()
        .map(|(_, n)| n.to_string())
        .collect();
    let _ = writeln!(out, "| {} |\n", counts.join(" | "));

    let _ = writeln!(
        out,
        "## Coverage\n\n| source | status | count | detail |\n|---|---|---|---|"
    );
    for s in &r.inv.coverage.sources {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            s.source,
            s.status.as_str(),
            s.count.map(|c| c.to_string()).unwrap_or_default(),
            cell(s.detail.as_deref().unwrap_or(""))
        );
    }
    if !r.inv.coverage.problems.is_empty() {
        let _ = writeln!(out, "\nProblems reading the input:\n");
        for p in &r.inv.coverage.problems {
            let _ = writeln!(out, "- `{}`: {}", p.source, p.detail);
        }
    }

    let _ = writeln!(out, "\n## Findings\n");
    if r.findings.is_empty() {
        let _ = writeln!(out, "No findings.");
    } else {
        let states = r.findings.iter().any(|f| f.baseline_state.is_some());
        let _ = writeln!(
            out,
            "{}| severity | rule | subject | title |\n{}|---|---|---|---|",
            if states { "| state " } else { "" },
            if states { "|---" } else { "" }
        );
        for f in r.findings {
            let state = match (states, f.baseline_state) {
                (false, _) => String::new(),
                (true, s) => format!("| {} ", s.map_or("", |s| s.as_str())),
            };
            let _ = writeln!(
                out,
                "{state}| {}{}{} | {} | {} | {} |",
                f.severity,
                if f.suppressed.is_some() {
                    " (accepted)"
                } else {
                    ""
                },
                if f.conditional { " (conditional)" } else { "" },
                f.rule,
                cell(&f.subject.label()),
                cell(&f.title)
            );
        }
        for f in r.findings {
            let _ = writeln!(out, "\n### {} {}: {}\n", f.rule, f.severity, f.title);
            let _ = writeln!(out, "Subject: `{}`", f.subject.label());
            if !f.id.is_empty() {
                let _ = writeln!(out, "\nId: `{}`", f.id);
            }
            if let Some(state) = f.baseline_state {
                let _ = writeln!(out, "\nBaseline: {}", state.as_str());
            }
            if let Some(s) = &f.suppressed {
                let _ = writeln!(
                    out,
                    "\nAccepted until {}: {} ({})",
                    s.expires,
                    s.reason.replace('\n', " "),
                    s.source
                );
            }
            if !f.related.is_empty() {
                let rel: Vec<String> = f
                    .related
                    .iter()
                    .map(|s| format!("`{}`", s.label()))
                    .collect();
                let more = match f.related_total {
                    Some(total) if total > rel.len() => {
                        format!(" and {} more", total - rel.len())
                    }
                    _ => String::new(),
                };
                let _ = writeln!(out, "\nRelated: {}{more}", rel.join(", "));
            }
            if !f.evidence.is_empty() {
                let _ = writeln!(out, "\nEvidence:\n");
                for e in &f.evidence {
                    let _ = writeln!(out, "- {}", e.replace('\n', "\n  "));
                }
            }
            if !f.remediation.is_empty() {
                let _ = writeln!(
                    out,
                    "\nRemediation:\n\n````text\n{}\n````",
                    f.remediation.trim_end()
                );
            }
        }
    }
    out
}
