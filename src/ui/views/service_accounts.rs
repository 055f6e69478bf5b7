//! The service accounts view: each account, the IAM roles it obtains (IRSA,
//! Pod Identity) and its findings.

use super::*;

/// The IAM roles a service account uses: its annotation and its Pod Identity associations.
pub(super) fn sa_roles(m: &Model, ns: &str, name: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if let Some(sa) = m
        .inv
        .service_accounts
        .iter()
        .find(|s| s.namespace == ns && s.name == name)
        && let Some(a) = sa.irsa_annotation()
    {
        out.push((a.to_string(), "IRSA"));
    }
    for a in &m.inv.pod_identity_associations {
        if a.namespace == ns && a.service_account == name {
            out.push((a.role_arn.clone(), "Pod Identity"));
        }
    }
    out
}

pub(super) fn service_accounts(m: &Model) -> Table {
    let mut pods: HashMap<(&str, &str), usize> = HashMap::default();
    for p in &m.inv.pods {
        *pods
            .entry((p.namespace.as_str(), p.service_account.as_str()))
            .or_default() += 1;
    }
    // Pod Identity associations by service account: one pass, not one per row.
    let mut associations: HashMap<(&str, &str), Vec<&str>> = HashMap::default();
    for a in &m.inv.pod_identity_associations {
        associations
            .entry((a.namespace.as_str(), a.service_account.as_str()))
            .or_default()
            .push(a.role_arn.as_str());
    }
    let rows = m
        .inv
        .service_accounts
        .iter()
        .map(|sa| {
            let subj = Subject::service_account(&sa.namespace, &sa.name);
            let idx = m.findings_on(&subj);
            // As `sa_roles`: the annotation, then the associations in inventory order.
            let roles: Vec<(&str, &str)> = sa
                .irsa_annotation()
                .map(|a| (a, "IRSA"))
                .into_iter()
                .chain(
                    associations
                        .get(&(sa.namespace.as_str(), sa.name.as_str()))
                        .into_iter()
                        .flatten()
                        .map(|r| (*r, "Pod Identity")),
                )
                .collect();
            let role = roles
                .iter()
                .map(|(r, _)| short_arn(r))
                .collect::<Vec<_>>()
                .join(", ");
            let via = roles.iter().map(|(_, v)| *v).collect::<Vec<_>>().join(", ");
            Row::new(
                vec![
                    sa.namespace.clone(),
                    sa.name.clone(),
                    role,
                    via,
                    pods.get(&(sa.namespace.as_str(), sa.name.as_str()))
                        .copied()
                        .unwrap_or(0)
                        .to_string(),
                    count_label(m, idx),
                ],
                Node::ServiceAccount {
                    namespace: sa.namespace.clone(),
                    name: sa.name.clone(),
                },
            )
            .sev(m.worst(&subj))
            .ns(Some(&sa.namespace))
            .rules(m, idx)
        })
        .collect();
    Table {
        title: "Service accounts".into(),
        headers: vec!["NAMESPACE", "NAME", "IAM ROLE", "VIA", "PODS", "FINDINGS"],
        widths: vec![
            Col::Fill(16),
            Col::Fill(24),
            Col::Fill(34),
            Col::Fixed(12),
            Col::Fixed(5),
            Col::Fixed(13),
        ],
        rows,
        empty: gap(m, &["kubernetes/serviceaccounts"]),
    }
}
