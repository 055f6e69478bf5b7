//! Accepted risks: `.iamscope.yaml` (beside the snapshot) or `--accept FILE`.
//!
//! ```yaml
//! accept:
//!   - id: b1d9854cf003d071
//!     reason: reviewed with the payments team, ticket SEC-123
//!     expires: 2027-03-31
//!   - rule: IRSA-006
//!     subject: {kind: IamRole, arn: "arn:aws:iam::111122223333:role/shared"}
//!     reason: shared by design until the split
//!     expires: 2027-01-31
//! ```
//!
//! An entry names a finding by `id`, or by `rule` and `subject` (the report's
//! subject keys); `reason` and `expires` (YYYY-MM-DD, the last day it holds)
//! are required. A matched, unexpired entry suppresses the finding; an expired
//! one is a warning and the finding counts again; one that matches nothing is
//! reported as stale.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::Suppression;
use crate::audit::{Finding, Subject, catalog};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    accept: Vec<Spanned<RawEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    subject: Option<serde_json::Value>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    expires: Option<String>,
}

/// One accepted risk.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The line of the entry in its file, from 1.
    pub line: u64,
    pub id: Option<String>,
    pub rule: Option<&'static str>,
    pub subject: Option<Subject>,
    pub reason: String,
    pub expires: Date,
}

impl Entry {
    fn matches(&self, f: &Finding) -> bool {
        self.id.as_ref().is_none_or(|id| *id == f.id)
            && self.rule.is_none_or(|r| r == f.rule)
            && self.subject.as_ref().is_none_or(|s| *s == f.subject)
    }

    fn names(&self) -> String {
        match (&self.id, self.rule, &self.subject) {
            (Some(id), _, _) => format!("id {id}"),
            (None, Some(rule), Some(s)) => format!("{rule} on {}", s.label()),
            _ => "?".to_string(),
        }
    }
}

/// An acceptance file, parsed and checked.
#[derive(Debug, Clone)]
pub struct AcceptFile {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

/// Parse an acceptance file's text; errors name the file and line.
pub fn parse(path: &Path, text: &str) -> Result<AcceptFile, String> {
    let file = path.display();
    if text.trim().is_empty() {
        return Ok(AcceptFile {
            path: path.to_path_buf(),
            entries: Vec::new(),
        });
    }
    let raw: RawFile = serde_saphyr::from_str(text).map_err(|e| {
        let what = e.without_snippet().to_string();
        let what = what.split_whitespace().collect::<Vec<_>>().join(" ");
        match e.location() {
            Some(l) if l.line() > 0 => format!(
                "{file} line {}: {}",
                l.line(),
                what.rsplit_once(" at line ")
                    .map_or(what.as_str(), |(w, _)| w)
            ),
            _ => format!("{file}: {what}"),
        }
    })?;
    let mut entries = Vec::with_capacity(raw.accept.len());
    for spanned in raw.accept {
        let line = spanned.referenced.line();
        let at = format!("{file} line {line}");
        let r = spanned.value;
        let reason = match r.reason.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => {
                return Err(format!(
                    "{at}: no reason: say why the risk is accepted (reason:)"
                ));
            }
        };
        let expires = match r.expires.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(format!(
                    "{at}: no expiry: give the last day it holds (expires: YYYY-MM-DD)"
                ));
            }
            Some(s) => parse_date(s).ok_or_else(|| {
                format!("{at}: expires: {s:?} is not a date in the form YYYY-MM-DD")
            })?,
        };
        let rule = match r.rule.as_deref().map(str::trim) {
            None => None,
            Some(rule) => Some(
                catalog::RULES
                    .iter()
                    .find(|ri| ri.id.eq_ignore_ascii_case(rule))
                    .map(|ri| ri.id)
                    .ok_or_else(|| format!("{at}: unknown rule {rule:?}"))?,
            ),
        };
        let subject = match r.subject {
            None => None,
            Some(v) => Some(serde_json::from_value::<Subject>(v).map_err(|e| {
                format!("{at}: subject: {e} (use the report's subject keys, e.g. {{kind: IamRole, arn: …}})")
            })?),
        };
        let id = r.id.map(|s| s.trim().to_ascii_lowercase());
        if id.is_none() && (rule.is_none() || subject.is_none()) {
            return Err(format!(
                "{at}: name the finding by id:, or by rule: and subject: together"
            ));
        }
        entries.push(Entry {
            line,
            id,
            rule,
            subject,
            reason,
            expires,
        });
    }
    Ok(AcceptFile {
        path: path.to_path_buf(),
        entries,
    })
}

/// `YYYY-MM-DD` only (no times, no other forms).
fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    s.parse::<Date>().ok()
}

/// Read an acceptance file.
pub fn read(path: &Path) -> Result<AcceptFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read acceptance file {}: {e}", path.display()))?;
    parse(path, &text)
}

/// The acceptance file that applies: `--accept FILE`, or `.iamscope.yaml` in the
/// snapshot directory, or beside it (its parent, where dated snapshots live), or
/// for a live audit in the working directory.
pub fn find(explicit: Option<&Path>, from: Option<&Path>, live: bool) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    const NAME: &str = ".iamscope.yaml";
    let candidates: Vec<PathBuf> = match from {
        Some(dir) => {
            let mut v = vec![dir.join(NAME)];
            if let Some(parent) = dir.parent() {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                v.push(parent.join(NAME));
            }
            v
        }
        None if live => vec![PathBuf::from(NAME)],
        None => Vec::new(),
    };
    candidates.into_iter().find(|p| p.is_file())
}

/// What applying the file left to say: expired and stale entries.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub suppressed: usize,
    /// `FILE line N: …` warnings, one per expired or stale entry.
    pub warnings: Vec<String>,
}

/// Suppress the findings the file accepts, as of `today`.
pub fn apply(findings: &mut [Finding], file: &AcceptFile, today: Date) -> Outcome {
    let mut out = Outcome::default();
    let name = file.path.display();
    for e in &file.entries {
        let mut matched = 0usize;
        let expired = e.expires < today;
        for f in findings.iter_mut().filter(|f| e.matches(f)) {
            matched += 1;
            if !expired && f.suppressed.is_none() {
                f.suppressed = Some(Suppression {
                    reason: e.reason.clone(),
                    expires: e.expires.to_string(),
                    source: format!("{name}:{}", e.line),
                });
                out.suppressed += 1;
            }
        }
        if matched == 0 {
            out.warnings.push(format!(
                "{name} line {}: stale acceptance: no finding matches {} (remove the entry)",
                e.line,
                e.names()
            ));
        } else if expired {
            out.warnings.push(format!(
                "{name} line {}: acceptance of {} expired on {}: its {matched} finding(s) count again",
                e.line,
                e.names(),
                e.expires
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Severity;

    fn finding() -> Finding {
        let mut f = Finding::new(
            "IRSA-006",
            Severity::Medium,
            Subject::iam_role("arn:aws:iam::111122223333:role/shared"),
            "shared",
        );
        f.id = crate::drift::id::of(&f);
        f
    }

    fn parse_str(text: &str) -> Result<AcceptFile, String> {
        parse(Path::new("acc.yaml"), text)
    }

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    const BY_RULE: &str = "accept:\n  - rule: IRSA-006\n    subject: {kind: IamRole, arn: \"arn:aws:iam::111122223333:role/shared\"}\n    reason: shared by design\n    expires: 2027-01-31\n";

    #[test]
    fn accepted_until_the_expiry_day_then_counts_again() {
        let file = parse_str(BY_RULE).unwrap();
        let mut fs = vec![finding()];
        let o = apply(&mut fs, &file, day("2027-01-31"));
        assert_eq!(o.suppressed, 1);
        assert!(o.warnings.is_empty());
        let s = fs[0].suppressed.as_ref().unwrap();
        assert_eq!(s.reason, "shared by design");
        assert_eq!(s.source, "acc.yaml:2");
        assert!(!fs[0].counts());

        let mut fs = vec![finding()];
        let o = apply(&mut fs, &file, day("2027-02-01"));
        assert_eq!(o.suppressed, 0);
        assert!(fs[0].counts());
        assert_eq!(
            o.warnings,
            [
                "acc.yaml line 2: acceptance of IRSA-006 on IamRole arn:aws:iam::111122223333:role/shared expired on 2027-01-31: its 1 finding(s) count again"
            ]
        );
    }

    #[test]
    fn by_id_and_stale() {
        let id = finding().id;
        let text = format!(
            "accept:\n- id: {id}\n  reason: ok\n  expires: 2030-01-01\n- id: 0000000000000000\n  reason: gone\n  expires: 2030-01-01\n"
        );
        let file = parse_str(&text).unwrap();
        let mut fs = vec![finding()];
        let o = apply(&mut fs, &file, day("2026-12-06"));
        assert_eq!(o.suppressed, 1);
        assert_eq!(
            o.warnings,
            [
                "acc.yaml line 5: stale acceptance: no finding matches id 0000000000000000 (remove the entry)"
            ]
        );
    }

    #[test]
    fn malformed_entries_name_the_line() {
        let cases = [
            (
                "accept:\n  - id: abc\n    expires: 2027-01-01\n",
                "acc.yaml line 2: no reason",
            ),
            (
                "accept:\n  - id: abc\n    reason: x\n    expires: 2027-13-01\n",
                "acc.yaml line 2: expires: \"2027-13-01\" is not a date",
            ),
            (
                "accept:\n  - id: abc\n    reason: x\n    expires: 31/01/2027\n",
                "acc.yaml line 2: expires: \"31/01/2027\" is not a date",
            ),
            (
                "accept:\n  - id: abc\n    reason: x\n",
                "acc.yaml line 2: no expiry",
            ),
            (
                "accept:\n  - id: a\n    reason: x\n    expires: 2027-01-01\n  - rule: IRSA-999\n    subject: {kind: Group, name: x}\n    reason: x\n    expires: 2027-01-01\n",
                "acc.yaml line 5: unknown rule \"IRSA-999\"",
            ),
            (
                "accept:\n  - rule: IRSA-006\n    reason: x\n    expires: 2027-01-01\n",
                "acc.yaml line 2: name the finding by id:, or by rule: and subject: together",
            ),
            (
                "accept:\n  - rule: IRSA-006\n    subject: {kind: Pod, name: x}\n    reason: x\n    expires: 2027-01-01\n",
                "acc.yaml line 2: subject: unknown variant `Pod`",
            ),
        ];
        for (text, want) in cases {
            let e = parse_str(text).unwrap_err();
            assert!(e.starts_with(want), "{text:?}: got {e:?}, want {want:?}");
        }
        let e = parse_str("accept:\n  - id: a\n    reson: typo\n").unwrap_err();
        assert!(e.starts_with("acc.yaml line 3"), "{e}");
        assert!(e.contains("reson"), "{e}");
    }
}
