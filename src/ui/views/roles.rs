//! The IAM roles view: each role, who obtains it and its findings.

use super::*;

pub(super) fn iam_roles(m: &Model) -> Table {
    let mut used: HashMap<String, usize> = HashMap::default();
    for sa in &m.inv.service_accounts {
        if let Some(a) = sa.irsa_annotation() {
            *used.entry(a.to_ascii_lowercase()).or_default() += 1;
        }
    }
    for a in &m.inv.pod_identity_associations {
        *used.entry(a.role_arn.to_ascii_lowercase()).or_default() += 1;
    }
    let mut rows: Vec<Row> = m
        .inv
        .iam
        .roles
        .iter()
        .map(|r| {
            let subj = Subject::iam_role(&r.arn);
            let idx = m.findings_on(&subj);
            let n = used.get(&r.arn.to_ascii_lowercase()).copied().unwrap_or(0);
            Row::new(
                vec![
                    r.name.clone(),
                    r.path.clone(),
                    if n > 0 { n.to_string() } else { String::new() },
                    (r.attached_policies.len() + r.inline_policies.len()).to_string(),
                    r.last_used
                        .as_deref()
                        .map(|d| d.get(..10).unwrap_or(d).to_string())
                        .unwrap_or_else(|| "never".into()),
                    count_label(m, idx),
                ],
                Node::IamRole(r.arn.clone()),
            )
            .sev(m.worst(&subj))
            .rules(m, idx)
        })
        .collect();
    // Roles the cluster reaches first: that is where the findings are.
    rows.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.cells[2].is_empty().cmp(&a.cells[2].is_empty()).reverse())
            .then_with(|| a.cells[0].cmp(&b.cells[0]))
    });
    Table {
        title: "IAM roles".into(),
        headers: vec!["NAME", "PATH", "SAs", "POLICIES", "LAST USED", "FINDINGS"],
        widths: vec![
            Col::Fill(36),
            Col::Fill(20),
            Col::Fixed(4),
            Col::Fixed(8),
            Col::Fixed(10),
            Col::Fixed(13),
        ],
        rows,
        empty: gap(m, &["aws/iam"]),
    }
}
