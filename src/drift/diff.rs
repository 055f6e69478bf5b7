//! `iamscope diff OLD NEW`: findings new, resolved and changed between two
//! audits, and for two snapshots the objects that changed underneath and the
//! reach that changed with them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::objects::{self, Change, ObjectKey, Objects};
use crate::audit::{self, Finding, Severity, Subject};
use crate::model::Inventory;

/// One side of a diff: its findings and, for a snapshot, its inventory.
pub struct Side {
    pub path: PathBuf,
    pub findings: Vec<Finding>,
    pub inv: Option<Inventory>,
}

/// Read a side: a snapshot directory (audited here) or a JSON report.
pub fn load(path: &Path, opts: &audit::Options) -> Result<Side, String> {
    if path.is_dir() {
        let t = std::time::Instant::now();
        let (inv, trusts) = crate::source::snapshot::read_dir(path, &crate::graph::ReadCheck)
            .map_err(|e| e.to_string())?;
        tracing::debug!("{} read in {:?}", path.display(), t.elapsed());
        let findings = audit::run_with_trusts(&inv, &trusts, opts);
        Ok(Side {
            path: path.to_path_buf(),
            findings,
            inv: Some(inv),
        })
    } else if path.is_file() {
        Ok(Side {
            path: path.to_path_buf(),
            findings: super::read_report(path)?,
            inv: None,
        })
    } else {
        Err(format!(
            "{}: neither a snapshot directory nor a JSON report",
            path.display()
        ))
    }
}

/// Both sides, read at once (each audit is mostly one thread).
pub fn load_pair(old: &Path, new: &Path, opts: &audit::Options) -> Result<(Side, Side), String> {
    std::thread::scope(|s| {
        let o = s.spawn(|| load(old, opts));
        let n = load(new, opts);
        let o = o
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok((o?, n?))
    })
}

/// The reach a subject gained or lost: a PATH finding that came or went.
#[derive(Debug, Clone, Serialize)]
pub struct Reach {
    /// `gained`, `lost`, or `changed` (the worst role reached is another).
    pub change: &'static str,
    pub subject: Subject,
    pub role: Option<Subject>,
    /// The worst role reached before, when it `changed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub was: Option<Subject>,
    pub title: String,
    /// The object changes it rests on, as `RoleBinding ci/x added`.
    pub through: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub before: Finding,
    pub after: Finding,
}

/// The whole diff, as `--format json` prints it.
#[derive(Debug, Serialize)]
pub struct Diff {
    pub old: String,
    #[serde(rename = "new_source")]
    pub new_path: String,
    pub new: Vec<Finding>,
    pub resolved: Vec<Finding>,
    pub changed: Vec<Changed>,
    /// `None` when either side is a report (no objects to compare).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<Change>>,
    pub reach: Vec<Reach>,
    /// For each new, resolved or changed finding id, the object changes it rests on.
    pub explained: BTreeMap<String, Vec<String>>,
}

/// Evidence as a set, without RBAC rule positions (`rule #3`): a role whose
/// rules were merely listed in another order says the same.
fn evidence_key(f: &Finding) -> Vec<String> {
    let mut v: Vec<String> = f.evidence.iter().map(|e| without_rule_numbers(e)).collect();
    v.sort();
    v
}

fn without_rule_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("rule #") {
        out.push_str(&rest[..i + "rule #".len()]);
        rest = rest[i + "rule #".len()..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

fn differs(a: &Finding, b: &Finding) -> bool {
    a.severity != b.severity
        || a.conditional != b.conditional
        || a.title != b.title
        || (a.evidence != b.evidence && evidence_key(a) != evidence_key(b))
}

/// Pair findings by id (by title too where one id has several findings).
fn pair(old: &[Finding], new: &[Finding]) -> (Vec<Finding>, Vec<Finding>, Vec<Changed>) {
    let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in old {
        by_id.entry(f.id.as_str()).or_default().push(f);
    }
    let mut added = Vec::new();
    let mut changed = Vec::new();
    let mut pending: Vec<&Finding> = Vec::new();
    for f in new {
        let Some(list) = by_id.get_mut(f.id.as_str()) else {
            added.push(f.clone());
            continue;
        };
        if let Some(i) = list.iter().position(|o| o.title == f.title) {
            let o = list.remove(i);
            if differs(o, f) {
                changed.push(Changed {
                    before: o.clone(),
                    after: f.clone(),
                });
            }
        } else {
            pending.push(f);
        }
    }
    // Same id, no same title: the oldest left with that id, as an edit.
    for f in pending {
        match by_id.get_mut(f.id.as_str()) {
            Some(list) if !list.is_empty() => {
                let o = list.remove(0);
                changed.push(Changed {
                    before: o.clone(),
                    after: f.clone(),
                });
            }
            _ => added.push(f.clone()),
        }
    }
    let mut resolved: Vec<Finding> = by_id.into_values().flatten().cloned().collect();
    resolved.sort_by(Finding::report_order);
    added.sort_by(Finding::report_order);
    changed.sort_by(|a, b| Finding::report_order(&a.after, &b.after));
    (added, resolved, changed)
}

/// The object changes a finding rests on: its subject and related subjects,
/// and the IAM roles its evidence names.
fn explain(f: &Finding, by_key: &BTreeMap<&ObjectKey, usize>) -> Vec<usize> {
    let mut out = Vec::new();
    let mut push = |i: usize| {
        if !out.contains(&i) {
            out.push(i);
        }
    };
    for s in std::iter::once(&f.subject).chain(f.related.iter()) {
        if let Some(&i) = ObjectKey::of_subject(s).and_then(|k| by_key.get(&k)) {
            push(i);
        }
    }
    for line in &f.evidence {
        for arn in role_arns(line) {
            let key = ObjectKey::of_subject(&Subject::iam_role(arn));
            if let Some(&i) = key.and_then(|k| by_key.get(&k)) {
                push(i);
            }
        }
    }
    out
}

/// The IAM role ARNs written in a line of evidence.
fn role_arns(line: &str) -> impl Iterator<Item = &str> {
    line.match_indices("arn:aws:iam::").filter_map(|(i, _)| {
        let rest = &line[i..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ')' | '(' | '"' | '\''))
            .unwrap_or(rest.len());
        let arn = &rest[..end];
        arn.contains(":role/").then_some(arn)
    })
}

/// Managed-policy changes that concern the roles a finding names: a role
/// attaching the policy in either snapshot.
fn policy_links(
    f: &Finding,
    changes: &[Change],
    old: &Objects,
    new: &Objects,
    policy_changes: &[usize],
) -> Vec<usize> {
    let mut out = Vec::new();
    if policy_changes.is_empty() {
        return out;
    }
    for s in std::iter::once(&f.subject).chain(f.related.iter()) {
        let Some(key) = ObjectKey::of_subject(s) else {
            continue;
        };
        if key.kind != "IamRole" {
            continue;
        }
        for objs in [old, new] {
            let Some(list) = objs.get(&key).map(|o| o.attached_policy_arns()) else {
                continue;
            };
            for &i in policy_changes {
                if list.contains(&changes[i].object.name.as_str()) && !out.contains(&i) {
                    out.push(i);
                }
            }
        }
    }
    out
}

fn describe(c: &Change) -> String {
    format!("{} {}", c.object.label(), c.kind)
}

/// Compare two sides.
pub fn compare(old: &Side, new: &Side) -> Diff {
    let (added, resolved, changed) = pair(&old.findings, &new.findings);
    let (old_objects, new_objects) = match (&old.inv, &new.inv) {
        (Some(o), Some(n)) => {
            let t = std::time::Instant::now();
            let objs = (Some(objects::collect(o)), Some(objects::collect(n)));
            tracing::debug!("objects collected in {:?}", t.elapsed());
            objs
        }
        _ => (None, None),
    };
    let changes = match (&old_objects, &new_objects) {
        (Some(o), Some(n)) => Some(objects::compare(o, n)),
        _ => None,
    };
    let mut explained = BTreeMap::new();
    let mut reach = Vec::new();
    if let (Some(changes), Some(o), Some(n)) = (&changes, &old_objects, &new_objects) {
        let by_key: BTreeMap<&ObjectKey, usize> = changes
            .iter()
            .enumerate()
            .map(|(i, c)| (&c.object, i))
            .collect();
        let policy_changes: Vec<usize> = changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.object.kind == "ManagedPolicy")
            .map(|(i, _)| i)
            .collect();
        let mut why = |f: &Finding| -> Vec<String> {
            let mut idx = explain(f, &by_key);
            for i in policy_links(f, changes, o, n, &policy_changes) {
                if !idx.contains(&i) {
                    idx.push(i);
                }
            }
            idx.sort();
            let lines: Vec<String> = idx.iter().map(|&i| describe(&changes[i])).collect();
            if !lines.is_empty() {
                explained.insert(f.id.clone(), lines.clone());
            }
            lines
        };
        for f in &added {
            let through = why(f);
            if f.rule.starts_with("PATH-") {
                reach.push(reach_of("gained", f, through));
            }
        }
        for f in &resolved {
            let through = why(f);
            if f.rule.starts_with("PATH-") {
                reach.push(reach_of("lost", f, through));
            }
        }
        for c in &changed {
            // What the finding rested on before and rests on now.
            let mut both = c.after.clone();
            both.related.extend(c.before.related.iter().cloned());
            both.evidence.extend(c.before.evidence.iter().cloned());
            let through = why(&both);
            if let Some(r) = role_change(c, through) {
                reach.push(r);
            }
        }
    } else {
        for f in added.iter().filter(|f| f.rule.starts_with("PATH-")) {
            reach.push(reach_of("gained", f, Vec::new()));
        }
        for f in resolved.iter().filter(|f| f.rule.starts_with("PATH-")) {
            reach.push(reach_of("lost", f, Vec::new()));
        }
        reach.extend(changed.iter().filter_map(|c| role_change(c, Vec::new())));
    }
    Diff {
        old: old.path.display().to_string(),
        new_path: new.path.display().to_string(),
        new: added,
        resolved,
        changed,
        changes,
        reach,
        explained,
    }
}

fn role_of(f: &Finding) -> Option<Subject> {
    f.related
        .iter()
        .find(|s| matches!(s, Subject::IamRole { .. }))
        .cloned()
}

fn reach_of(change: &'static str, f: &Finding, through: Vec<String>) -> Reach {
    Reach {
        change,
        subject: f.subject.clone(),
        role: role_of(f),
        was: None,
        title: f.title.clone(),
        through,
    }
}

/// A PATH finding whose worst reachable role is another one now.
fn role_change(c: &Changed, through: Vec<String>) -> Option<Reach> {
    if !c.after.rule.starts_with("PATH-") {
        return None;
    }
    let (was, now) = (role_of(&c.before), role_of(&c.after));
    (was != now).then(|| Reach {
        was,
        ..reach_of("changed", &c.after, through)
    })
}

impl Reach {
    /// `Group sre can now obtain IAM role X (through ClusterRoleBinding Y added)`.
    pub fn line(&self) -> String {
        let role = self
            .role
            .as_ref()
            .map(|r| r.display_name())
            .unwrap_or_else(|| "an IAM role".to_string());
        let mut s = match (self.change, &self.was) {
            ("gained", _) => format!("{} can now obtain IAM role {role}", self.subject.label()),
            ("lost", _) => format!(
                "{} can no longer obtain IAM role {role}",
                self.subject.label()
            ),
            (_, was) => format!(
                "{}: the worst IAM role it can obtain is now {role} (was {})",
                self.subject.label(),
                was.as_ref()
                    .map_or_else(|| "none".to_string(), Subject::display_name)
            ),
        };
        if !self.through.is_empty() {
            let _ = write!(s, " (through {})", self.through.join(", "));
        }
        s
    }
}

impl Diff {
    /// Whether a new or worsened finding reaches `threshold` (`--fail-on`).
    pub fn fails(&self, threshold: Severity) -> bool {
        self.new.iter().any(|f| f.severity >= threshold)
            || self
                .changed
                .iter()
                .any(|c| c.after.severity >= threshold && c.after.severity > c.before.severity)
    }

    pub fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}

/// A value on one line, at most `width` characters.
fn brief(v: &Value, width: usize) -> String {
    let s = match v {
        Value::Null => "(none)".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() <= width {
        s
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// How wide a before/after value is shown in table and markdown output
/// (`--format json` has them whole).
const VALUE_WIDTH: usize = 160;

/// How many differing places of one edited object are listed.
const MAX_EDIT_LINES: usize = 8;

fn change_lines(c: &Change) -> Vec<String> {
    match c.kind {
        "edited" => {
            let diffs = objects::leaf_diffs(
                c.before.as_ref().unwrap_or(&Value::Null),
                c.after.as_ref().unwrap_or(&Value::Null),
            );
            let mut lines: Vec<String> = diffs
                .iter()
                .take(MAX_EDIT_LINES)
                .map(|(k, b, a)| {
                    format!(
                        "{k}: {} -> {}",
                        brief(b, VALUE_WIDTH),
                        brief(a, VALUE_WIDTH)
                    )
                })
                .collect();
            if diffs.len() > MAX_EDIT_LINES {
                lines.push(format!(
                    "… and {} more (--format json has the whole objects)",
                    diffs.len() - MAX_EDIT_LINES
                ));
            }
            lines
        }
        _ => {
            let v = c.after.as_ref().or(c.before.as_ref());
            match v.and_then(Value::as_object) {
                Some(m) => m
                    .iter()
                    .filter(|(_, v)| !is_empty(v))
                    .map(|(k, v)| format!("{k}: {}", brief(v, VALUE_WIDTH)))
                    .collect(),
                None => Vec::new(),
            }
        }
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn finding_line(f: &Finding) -> String {
    let sev = if f.conditional {
        format!("{}*", f.severity)
    } else {
        f.severity.to_string()
    };
    format!(
        "{:<9} {:<10} {:<44} {}",
        sev,
        f.rule,
        brief(&Value::String(f.subject.short_label()), 44),
        f.title
    )
}

fn what_changed(c: &Changed) -> String {
    let mut parts = Vec::new();
    if c.before.severity != c.after.severity || c.before.conditional != c.after.conditional {
        parts.push(format!(
            "severity {}{} -> {}{}",
            c.before.severity,
            if c.before.conditional { "*" } else { "" },
            c.after.severity,
            if c.after.conditional { "*" } else { "" }
        ));
    }
    if c.before.title != c.after.title {
        parts.push(format!("title was: {}", c.before.title));
    }
    if c.before.evidence != c.after.evidence {
        let gone = c
            .before
            .evidence
            .iter()
            .filter(|e| !c.after.evidence.contains(e))
            .count();
        let came = c
            .after
            .evidence
            .iter()
            .filter(|e| !c.before.evidence.contains(e))
            .count();
        parts.push(format!("evidence: {came} line(s) new, {gone} gone"));
    }
    parts.join("; ")
}

pub fn table(d: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "iamscope diff: {} -> {}", d.old, d.new_path);
    let _ = writeln!(
        out,
        "{} new, {} resolved, {} changed findings{}\n",
        d.new.len(),
        d.resolved.len(),
        d.changed.len(),
        match &d.changes {
            Some(c) => format!("; {} object changes", c.len()),
            None => "; objects not compared (a side is a report, not a snapshot)".to_string(),
        }
    );
    let because = |out: &mut String, id: &str| {
        if let Some(lines) = d.explained.get(id) {
            let _ = writeln!(out, "{:>20} {}", "because:", lines.join(", "));
        }
    };
    for (title, list) in [("New findings", &d.new), ("Resolved findings", &d.resolved)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}:");
        for f in list.iter() {
            let _ = writeln!(out, "  {}", finding_line(f));
            because(&mut out, &f.id);
        }
        out.push('\n');
    }
    if !d.changed.is_empty() {
        let _ = writeln!(out, "Changed findings:");
        for c in &d.changed {
            let _ = writeln!(out, "  {}", finding_line(&c.after));
            let _ = writeln!(out, "{:>20} {}", "was:", what_changed(c));
            because(&mut out, &c.after.id);
        }
        out.push('\n');
    }
    if !d.reach.is_empty() {
        let _ = writeln!(out, "Reach that changed:");
        for r in &d.reach {
            let _ = writeln!(out, "  {}", r.line());
        }
        out.push('\n');
    }
    if let Some(changes) = &d.changes
        && !changes.is_empty()
    {
        let _ = writeln!(out, "Object changes:");
        for c in changes {
            let _ = writeln!(out, "  {:<8} {}", c.kind, c.object.label());
            for l in change_lines(c) {
                let _ = writeln!(out, "             {l}");
            }
        }
    }
    if d.new.is_empty()
        && d.resolved.is_empty()
        && d.changed.is_empty()
        && d.changes.as_ref().is_none_or(Vec::is_empty)
    {
        let _ = writeln!(out, "No changes.");
    }
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(d: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# iamscope diff: `{}` -> `{}`\n", d.old, d.new_path);
    let _ = writeln!(
        out,
        "| new | resolved | changed | object changes |\n|---|---|---|---|\n| {} | {} | {} | {} |\n",
        d.new.len(),
        d.resolved.len(),
        d.changed.len(),
        d.changes
            .as_ref()
            .map_or("not compared".to_string(), |c| c.len().to_string())
    );
    for (title, list) in [("New findings", &d.new), ("Resolved findings", &d.resolved)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "## {title}\n\n| severity | rule | subject | title | because |\n|---|---|---|---|---|"
        );
        for f in list.iter() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.severity,
                f.rule,
                cell(&f.subject.label()),
                cell(&f.title),
                cell(
                    &d.explained
                        .get(&f.id)
                        .map(|l| l.join(", "))
                        .unwrap_or_default()
                )
            );
        }
        out.push('\n');
    }
    if !d.changed.is_empty() {
        let _ = writeln!(
            out,
            "## Changed findings\n\n| rule | subject | title | what changed |\n|---|---|---|---|"
        );
        for c in &d.changed {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.after.rule,
                cell(&c.after.subject.label()),
                cell(&c.after.title),
                cell(&what_changed(c))
            );
        }
        out.push('\n');
    }
    if !d.reach.is_empty() {
        let _ = writeln!(out, "## Reach that changed\n");
        for r in &d.reach {
            let _ = writeln!(out, "- {}", cell(&r.line()));
        }
        out.push('\n');
    }
    if let Some(changes) = &d.changes
        && !changes.is_empty()
    {
        let _ = writeln!(
            out,
            "## Object changes\n\n| change | object | details |\n|---|---|---|"
        );
        for c in changes {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                c.kind,
                cell(&c.object.label()),
                cell(&change_lines(c).join("; "))
            );
        }
    }
    out
}
