//! The findings view: one row a finding, worst first.

use super::*;

pub(super) fn findings_table(m: &Model, idx: Vec<usize>, title: String) -> Table {
    let rows = idx
        .into_iter()
        .map(|i| {
            let f = &m.findings[i];
            let sev = if f.conditional {
                format!("{}*", f.severity)
            } else {
                f.severity.to_string()
            };
            // Marked against --baseline (the `new` filter term) and when accepted.
            let new = f.baseline_state == Some(crate::audit::review::BaselineState::New);
            let title = match (f.baseline_state, &f.suppressed) {
                (Some(crate::audit::review::BaselineState::New), _) => format!("NEW · {}", f.title),
                // In the baseline, gone now (listed last).
                (Some(crate::audit::review::BaselineState::Absent), _) => {
                    format!("GONE · {}", f.title)
                }
                (_, Some(_)) => format!("{} (accepted)", f.title),
                _ => f.title.clone(),
            };
            let mut row = Row::new(
                vec![sev, f.rule.to_string(), f.subject.short_label(), title],
                Node::Finding(i),
            );
            row.new = new;
            row.sev(Some(f.severity))
                .ns(f.subject.namespace())
                .rules(m, &[i])
        })
        .collect();
    Table {
        title,
        headers: vec!["SEVERITY", "RULE", "SUBJECT", "TITLE"],
        widths: vec![Col::Fixed(9), Col::Fixed(9), Col::Fill(40), Col::Fill(60)],
        rows,
        empty: "no findings".into(),
    }
}
