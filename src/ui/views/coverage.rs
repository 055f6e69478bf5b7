//! The coverage view: what each source gave, and what it could not read.

use super::*;

pub(super) fn coverage(m: &Model) -> Table {
    let mut rows: Vec<Row> = m
        .inv
        .coverage
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let sev = match s.status {
                Status::Ok => None,
                Status::NotObservable => Some(Severity::Info),
                Status::Missing => Some(Severity::Low),
                Status::Forbidden | Status::Error => Some(Severity::Medium),
            };
            Row::new(
                vec![
                    s.source.clone(),
                    s.status.as_str().to_string(),
                    s.count.map(|c| c.to_string()).unwrap_or_default(),
                    s.detail.clone().unwrap_or_default(),
                ],
                Node::Source(i),
            )
            .sev(sev)
        })
        .collect();
    for p in &m.inv.coverage.problems {
        rows.push(
            Row::new(
                vec![
                    p.source.clone(),
                    "problem".into(),
                    String::new(),
                    p.detail.clone(),
                ],
                Node::Info(format!("{}: {}", p.source, p.detail)),
            )
            .sev(Some(Severity::Medium)),
        );
    }
    Table {
        title: "Coverage".into(),
        headers: vec!["SOURCE", "STATUS", "COUNT", "DETAIL"],
        widths: vec![Col::Fixed(34), Col::Fixed(14), Col::Fixed(6), Col::Fill(70)],
        rows,
        empty: "nothing was read".into(),
    }
}
