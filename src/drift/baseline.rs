//! `audit --baseline REPORT.json`: each finding `new` or `unchanged` against an
//! earlier report, and the earlier report's findings that are gone `absent`,
//! as SARIF's `baselineState`.

use std::collections::HashSet;

use super::BaselineState;
use crate::audit::Finding;

/// Mark `findings` against `baseline` and append the baseline's findings that
/// are gone (in report order, after the others).
pub fn apply(findings: &mut Vec<Finding>, baseline: Vec<Finding>) {
    let before: HashSet<&str> = baseline.iter().map(|f| f.id.as_str()).collect();
    for f in findings.iter_mut() {
        f.baseline_state = Some(if before.contains(f.id.as_str()) {
            BaselineState::Unchanged
        } else {
            BaselineState::New
        });
    }
    let now: HashSet<String> = findings.iter().map(|f| f.id.clone()).collect();
    let mut absent: Vec<Finding> = baseline
        .into_iter()
        .filter(|f| !now.contains(&f.id))
        .map(|mut f| {
            f.baseline_state = Some(BaselineState::Absent);
            f.suppressed = None;
            f
        })
        .collect();
    absent.sort_by(Finding::report_order);
    findings.extend(absent);
}

/// Whether `--fail-on` counts this finding: with a baseline, new ones only.
pub fn counts_for_fail(f: &Finding) -> bool {
    f.counts() && f.baseline_state.is_none_or(|s| s == BaselineState::New)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Severity, Subject};

    fn f(ns: &str) -> Finding {
        let mut f = Finding::new(
            "RBAC-004",
            Severity::High,
            Subject::service_account(ns, "x"),
            format!("{ns}/x can create pods"),
        );
        f.id = super::super::id::of(&f);
        f
    }

    #[test]
    fn new_unchanged_and_absent_listed_last() {
        let mut now = vec![f("a"), f("b")];
        apply(&mut now, vec![f("b"), f("c")]);
        let states: Vec<(&str, Option<BaselineState>)> = now
            .iter()
            .map(|f| (f.subject.namespace().unwrap_or(""), f.baseline_state))
            .collect();
        assert_eq!(
            states,
            [
                ("a", Some(BaselineState::New)),
                ("b", Some(BaselineState::Unchanged)),
                ("c", Some(BaselineState::Absent)),
            ]
        );
        let failing: Vec<bool> = now.iter().map(counts_for_fail).collect();
        assert_eq!(failing, [true, false, false]);
        // An absent finding is not in the summary.
        assert_eq!(
            crate::audit::summary(&now)
                .iter()
                .map(|(_, n)| n)
                .sum::<usize>(),
            2
        );
    }
}
