//! The cluster access view: aws-auth mappings and EKS access entries, who
//! they let into the cluster and as what.

use super::*;

pub(super) fn cluster_access(m: &Model) -> Table {
    let mut rows = Vec::new();
    if let Some(a) = &m.inv.aws_auth {
        for (i, e) in a.entries.iter().enumerate() {
            let subj = Subject::AwsAuthEntry {
                arn: e.subject_arn(),
            };
            let idx = m.findings_on(&subj);
            rows.push(
                Row::new(
                    vec![
                        format!("aws-auth {}", e.kind.key()),
                        e.subject_arn(),
                        e.username.clone().unwrap_or_default(),
                        e.groups.join(","),
                        count_label(m, idx),
                    ],
                    Node::AwsAuth(i),
                )
                .sev(m.worst(&subj))
                .rules(m, idx),
            );
        }
    }
    for (i, e) in m.inv.access_entries.iter().enumerate() {
        let subj = Subject::AccessEntry {
            arn: e.principal_arn.clone(),
        };
        let idx = m.findings_on(&subj);
        let mut grants: Vec<String> = e.kubernetes_groups.clone();
        grants.extend(e.access_policies.iter().map(|p| {
            format!(
                "{}@{}",
                p.policy_arn.rsplit('/').next().unwrap_or(&p.policy_arn),
                if p.scope_type == "namespace" {
                    p.namespaces.join("+")
                } else {
                    p.scope_type.clone()
                }
            )
        }));
        rows.push(
            Row::new(
                vec![
                    "access entry".into(),
                    e.principal_arn.clone(),
                    e.username.clone().unwrap_or_default(),
                    grants.join(","),
                    count_label(m, idx),
                ],
                Node::AccessEntry(i),
            )
            .sev(m.worst(&subj))
            .rules(m, idx),
        );
    }
    Table {
        title: "Cluster access".into(),
        headers: vec![
            "SOURCE",
            "PRINCIPAL",
            "USERNAME",
            "GROUPS / POLICIES",
            "FINDINGS",
        ],
        widths: vec![
            Col::Fixed(17),
            Col::Fill(50),
            Col::Fill(24),
            Col::Fill(36),
            Col::Fixed(13),
        ],
        rows,
        empty: gap(m, &["kubernetes/aws-auth", "aws/eks-access-entries"]),
    }
}
