//! Answers as text: `table` (decision first, then each path as indented hops
//! that read at 80 columns), `json` (the spec's shape) and `markdown`.

use std::io::{self, Write};

use super::answer::{Answer, PathAnswer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    Table,
    Json,
    Markdown,
}

const WIDTH: usize = 80;

/// Greedy word wrap of `text` at `WIDTH`, every line indented by `indent`.
pub fn wrap(text: &str, indent: usize) -> Vec<String> {
    hang(text, indent, indent)
}

/// Word wrap with the first line at `first` and the others at `rest` columns.
pub fn hang(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut indent = first;
    let mut room = WIDTH.saturating_sub(indent).max(20);
    let mut pad = " ".repeat(indent);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > room {
            lines.push(format!("{pad}{cur}"));
            cur.clear();
            indent = rest;
            room = WIDTH.saturating_sub(indent).max(20);
            pad = " ".repeat(indent);
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(format!("{pad}{cur}"));
    }
    lines
}

/// One path as indented hops.
fn path_lines(a: &PathAnswer, out: &mut Vec<String>) {
    let Some(first) = a.path.first() else {
        return;
    };
    out.extend(wrap(&first.from.label(), 3));
    for (i, h) in a.path.iter().enumerate() {
        let indent = 3 + 2 * (i + 1).min(6);
        out.extend(hang(
            &format!("└ {} → {}", h.edge, h.to.label()),
            indent,
            indent + 4,
        ));
        out.extend(wrap(&h.evidence, indent + 4));
    }
    if !a.conditions.is_empty() {
        out.extend(wrap(&format!("only if: {}", a.conditions.join("; ")), 3));
    }
}

fn headline(a: &Answer) -> String {
    let act = action_text(&a.query.action);
    match &a.query.as_ {
        Some(s) => format!("{} — {s} → {act}", a.decision.as_str()),
        None => format!(
            "{} — {} subject(s) can {act}",
            a.decision.as_str(),
            a.answers.len()
        ),
    }
}

fn action_text(v: &serde_json::Value) -> String {
    if let Some(k) = v.get("kube") {
        let s = |key: &str| k.get(key).and_then(|x| x.as_str()).unwrap_or("");
        if !s("path").is_empty() {
            return format!("{} {}", s("verb"), s("path"));
        }
        let mut t = format!("{} {}", s("verb"), s("resource"));
        if !s("group").is_empty() {
            t.push('.');
            t.push_str(s("group"));
        }
        if !s("subresource").is_empty() {
            t.push('/');
            t.push_str(s("subresource"));
        }
        if !s("name").is_empty() {
            t.push(' ');
            t.push_str(s("name"));
        }
        if s("namespace").is_empty() {
            t.push_str(" (cluster-wide)");
        } else {
            t.push_str(&format!(" -n {}", s("namespace")));
        }
        return t;
    }
    let s = |key: &str| v.get(key).and_then(|x| x.as_str()).unwrap_or("");
    format!("{} {}", s("aws"), s("resource"))
}

/// Table: the decision, then up to `limit` paths (0: all), then misses and coverage.
pub fn table(a: &Answer, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    let mut lines = wrap(&headline(a), 0);
    let n = a.answers.len();
    let shown = if limit == 0 { n } else { n.min(limit) };
    if n > 0 {
        lines.push(String::new());
        let what = if a.query.as_.is_some() {
            "path"
        } else {
            "subject"
        };
        lines.push(if shown < n {
            format!("{n} {what}s, shortest first; the first {shown} (--limit, or -o json for all):")
        } else {
            format!(
                "{n} {what}{}, shortest first:",
                if n == 1 { "" } else { "s" }
            )
        });
        if let Some(t) = a.paths_total {
            lines.extend(wrap(&folded_note(t), 0));
        }
    }
    for (i, p) in a.answers.iter().take(shown).enumerate() {
        lines.push(String::new());
        let head = format!(
            "{}. {} — {} ({} hop{})",
            i + 1,
            p.decision.as_str(),
            p.subject.label(),
            p.path.len(),
            if p.path.len() == 1 { "" } else { "s" }
        );
        lines.extend(hang(&head, 0, 3));
        path_lines(p, &mut lines);
    }
    if !a.misses.is_empty() {
        lines.push(String::new());
        lines.push("Why not / nearest misses:".to_string());
        for m in a
            .misses
            .iter()
            .take(if limit == 0 { usize::MAX } else { limit })
        {
            lines.extend(hang(&format!("- {m}"), 2, 4));
        }
    }
    coverage_lines(a, &mut lines);
    for l in lines {
        writeln!(w, "{}", l.trim_end())?;
    }
    Ok(())
}

fn coverage_lines(a: &Answer, lines: &mut Vec<String>) {
    if a.coverage.sources.is_empty() && a.coverage.problems.is_empty() {
        return;
    }
    lines.push(String::new());
    lines.push("Not seen (an answer may be incomplete there):".to_string());
    for s in &a.coverage.sources {
        let get = |k: &str| s.get(k).and_then(|x| x.as_str()).unwrap_or("");
        lines.extend(hang(
            &format!("- {} {} {}", get("source"), get("status"), get("detail")),
            2,
            4,
        ));
    }
    for p in &a.coverage.problems {
        lines.extend(hang(&format!("- {p}"), 2, 4));
    }
}

pub fn markdown(a: &Answer, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "## {}\n", headline(a).replace('|', "\\|"))?;
    let n = a.answers.len();
    let shown = if limit == 0 { n } else { n.min(limit) };
    if shown < n {
        writeln!(w, "{n} answers; the first {shown} shown.\n")?;
    }
    if let Some(t) = a.paths_total {
        writeln!(w, "{}\n", folded_note(t))?;
    }
    for (i, p) in a.answers.iter().take(shown).enumerate() {
        writeln!(
            w,
            "### {}. {} — {}\n",
            i + 1,
            p.decision.as_str(),
            p.subject.label()
        )?;
        writeln!(w, "| # | edge | from | to | evidence |")?;
        writeln!(w, "|---|---|---|---|---|")?;
        for (k, h) in p.path.iter().enumerate() {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} |",
                k + 1,
                h.edge,
                md(&h.from.label()),
                md(&h.to.label()),
                md(&h.evidence)
            )?;
        }
        if !p.conditions.is_empty() {
            writeln!(w, "\nOnly if: {}", md(&p.conditions.join("; ")))?;
        }
        writeln!(w)?;
    }
    if !a.misses.is_empty() {
        writeln!(w, "**Why not / nearest misses**\n")?;
        for m in &a.misses {
            writeln!(w, "- {}", md(m))?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// Said when can-i folded paths: one per identity that acts.
fn folded_note(total: usize) -> String {
    format!(
        "({} paths in all; the shortest of each identity that acts is listed)",
        crate::audit::iam::fmt_count(total)
    )
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn json(a: &Answer, w: &mut dyn Write) -> io::Result<()> {
    // Serialized first, so that a closed pipe stays a BrokenPipe (serde_json
    // would wrap it in an error of its own kind).
    let text = serde_json::to_string_pretty(a).map_err(io::Error::other)?;
    w.write_all(text.as_bytes())?;
    writeln!(w)
}

pub fn write(a: &Answer, format: QueryFormat, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    match format {
        QueryFormat::Table => table(a, limit, w),
        QueryFormat::Json => json(a, w),
        QueryFormat::Markdown => markdown(a, limit, w),
    }
}
