//! What changed: stable finding ids, `iamscope diff`, baselines
//! (`audit --baseline`), accepted risks (`.iamscope.yaml`) and dated snapshots
//! (`snapshot --keep`).

pub mod accept;
pub mod baseline;
pub mod diff;
pub mod keep;
pub mod objects;

use std::path::Path;

use serde::Deserialize;

pub use crate::audit::id;
pub use crate::audit::review::{BaselineState, Suppression};
use crate::audit::{Finding, Severity, Subject, catalog};

/// A finding as a JSON report holds it.
#[derive(Debug, Deserialize)]
struct RawFinding {
    #[serde(default)]
    id: Option<String>,
    rule: String,
    severity: Severity,
    #[serde(default)]
    conditional: bool,
    #[serde(default)]
    title: String,
    subject: Subject,
    #[serde(default)]
    related: Vec<Subject>,
    #[serde(default)]
    related_total: Option<usize>,
    #[serde(default)]
    evidence: Vec<String>,
    #[serde(default)]
    remediation: String,
    #[serde(default)]
    baseline_state: Option<BaselineState>,
}

/// The rule's name as the catalog has it; a rule this version does not know
/// (a report of another version) is kept under its own name.
pub fn intern_rule(rule: &str) -> &'static str {
    if let Some(ri) = catalog::RULES.iter().find(|ri| ri.id == rule) {
        return ri.id;
    }
    static OTHERS: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut others = OTHERS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = others.iter().find(|r| **r == rule) {
        return r;
    }
    // Bounded by the distinct rule names of the reports read, a handful.
    let leaked: &'static str = Box::leak(rule.to_string().into_boxed_str());
    others.push(leaked);
    leaked
}

impl RawFinding {
    fn into_finding(self) -> Finding {
        let mut f = Finding::new(
            intern_rule(&self.rule),
            self.severity,
            self.subject,
            self.title,
        );
        f.conditional = self.conditional;
        f.related = self.related;
        f.related_total = self.related_total;
        f.evidence = self.evidence;
        f.remediation = self.remediation;
        f.id = match self.id {
            Some(id) if !id.is_empty() => id,
            _ => id::of(&f),
        };
        f
    }
}

#[derive(Deserialize)]
struct RawReport {
    findings: Vec<serde_json::Value>,
}

/// The findings of a JSON report (`audit --format json`), with their ids
/// (computed when the report is older than ids). A baseline's own `absent`
/// findings are left out: they were gone already.
pub fn read_report(path: &Path) -> Result<Vec<Finding>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read report {}: {e}", path.display()))?;
    let raw: RawReport = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: not an iamscope JSON report (audit --format json): {e}",
            path.display()
        )
    })?;
    let mut out = Vec::with_capacity(raw.findings.len());
    for (i, v) in raw.findings.into_iter().enumerate() {
        let f: RawFinding = serde_json::from_value(v)
            .map_err(|e| format!("{}: findings[{i}]: {e}", path.display()))?;
        if f.baseline_state == Some(BaselineState::Absent) {
            continue;
        }
        out.push(f.into_finding());
    }
    Ok(out)
}

/// Today's date in UTC, for acceptance expiry; `IAMSCOPE_TODAY=YYYY-MM-DD`
/// fixes it (tests, and re-running an old CI job as it ran).
pub fn today() -> Result<jiff::civil::Date, String> {
    match std::env::var("IAMSCOPE_TODAY") {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse()
            .map_err(|e| format!("IAMSCOPE_TODAY={s:?} is not a date (YYYY-MM-DD): {e}")),
        _ => Ok(jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()),
    }
}

/// What `--baseline` and the acceptance file add to an audit, read before it
/// runs (a bad file stops it before anything is collected).
#[derive(Debug, Default, Clone)]
pub struct Extras {
    pub accepted: Option<accept::AcceptFile>,
    pub baseline: Option<Vec<Finding>>,
}

impl Extras {
    pub fn read(target: &crate::source::Target) -> Result<Extras, String> {
        let live = !target.demo && target.from.is_none();
        let accepted = match accept::find(target.accept.as_deref(), target.from.as_deref(), live) {
            Some(path) => Some(accept::read(&path)?),
            None => None,
        };
        let baseline = match &target.baseline {
            Some(path) => Some(read_report(path)?),
            None => None,
        };
        Ok(Extras { accepted, baseline })
    }

    /// Suppress the accepted findings and mark them against the baseline
    /// (appending its absent ones); the acceptance file's warnings.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> Result<accept::Outcome, String> {
        let mut outcome = accept::Outcome::default();
        if let Some(file) = &self.accepted {
            outcome = accept::apply(findings, file, today()?);
        }
        if let Some(base) = &self.baseline {
            baseline::apply(findings, base.clone());
        }
        Ok(outcome)
    }
}
