//! A plain table for terminals and logs: one finding a line, then coverage gaps.

use std::fmt::Write;

use super::Report;
use crate::audit::summary;
use crate::model::Status;

fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let cluster = r.cluster().unwrap_or_else(|| "-".into());
    let account = r.inv.account.clone().unwrap_or_else(|| "-".into());
    let counts = summary(r.findings)
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "iamscope {}: cluster {cluster}, account {account} ({})",
        super::TOOL_VERSION,
        match r.inv.mode {
            crate::model::Mode::Live => "live",
            crate::model::Mode::Snapshot => "snapshot",
        }
    );
    let _ = writeln!(
        out,
        "{} findings: {counts}\n",
        r.findings.iter().filter(|f| f.counts()).count()
    );
    if !r.findings.is_empty() {
        // Against a baseline (`audit --baseline`), each finding's state first.
        let states = r.findings.iter().any(|f| f.baseline_state.is_some());
        let state = |f: &crate::audit::Finding| match (states, f.baseline_state) {
            (false, _) => String::new(),
            (true, s) => format!("{:<10}", s.map_or("", |s| s.as_str())),
        };
        let _ = writeln!(
            out,
            "{}{:<9} {:<10} {:<52} TITLE",
            if states { "STATE     " } else { "" },
            "SEVERITY",
            "RULE",
            "SUBJECT"
        );
        for f in r.findings {
            let sev = if f.conditional {
                format!("{}*", f.severity)
            } else {
                f.severity.to_string()
            };
            let _ = writeln!(
                out,
                "{}{:<9} {:<10} {:<52} {}{}",
                state(f),
                sev,
                f.rule,
                clip(&f.subject.short_label(), 52),
                f.title,
                if f.suppressed.is_some() {
                    " (accepted)"
                } else {
                    ""
                }
            );
        }
        if r.findings.iter().any(|f| f.conditional) {
            let _ = writeln!(
                out,
                "\n* conditional: the grant depends on an IAM condition; severity lowered one level"
            );
        }
    }
    let gaps: Vec<_> = r
        .inv
        .coverage
        .sources
        .iter()
        .filter(|s| s.status != Status::Ok)
        .collect();
    if !gaps.is_empty() {
        let _ = writeln!(out, "\nNot seen (rules that need these could not run):");
        for s in gaps {
            let _ = writeln!(
                out,
                "  {:<38} {:<15} {}",
                s.source,
                s.status.as_str(),
                s.detail.as_deref().unwrap_or("")
            );
        }
    }
    if !r.inv.coverage.problems.is_empty() {
        let _ = writeln!(out, "\nProblems reading the input:");
        for p in &r.inv.coverage.problems {
            let _ = writeln!(out, "  {}: {}", p.source, p.detail);
        }
    }
    out
}
