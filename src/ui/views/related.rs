//! The drill-down table of a node (Enter): the subjects, roles, bindings and
//! findings related to it, one function per kind of node.

use super::*;

// ---------------------------------------------------------------- drill-down

/// The neighbours of a node, as a table (what Enter opens).
pub fn related(node: &Node, m: &Model) -> Table {
    let mut rows: Vec<Row> = Vec::new();
    let title = match node {
        Node::Finding(i) => related_finding(i, m, &mut rows),
        Node::ServiceAccount { namespace, name } => {
            related_service_account(namespace, name, m, &mut rows)
        }
        Node::Subject {
            kind,
            name,
            namespace,
        } => related_subject(kind, name, namespace, m, &mut rows),
        Node::IamRole(arn) => related_iam_role(arn, m, &mut rows),
        Node::AdmittedBy(arn) => admitted_by(arn, m, &mut rows),
        Node::Binding(i) => related_binding(i, m, &mut rows),
        Node::AwsAuth(i) => related_aws_auth(i, m, &mut rows),
        Node::AccessEntry(i) => related_access_entry(i, m, &mut rows),
        Node::Association(i) => related_association(i, m, &mut rows),
        Node::Pod(i) => related_pod(i, m, &mut rows),
        Node::RbacRole(i) => related_rbac_role(i, m, &mut rows),
        Node::Policy(arn) => related_policy(arn, m, &mut rows),
        Node::Source(_)
        | Node::Flag(_)
        | Node::Cluster
        | Node::Context(_)
        | Node::Info(_)
        | Node::Query(_) => "details".into(),
    };
    Table {
        title,
        headers: vec!["KIND", "NAME", "RELATION"],
        widths: vec![Col::Fixed(16), Col::Fill(60), Col::Fill(40)],
        rows,
        empty: "nothing related".into(),
    }
}

/// A related subject as a row, when the UI has a node for it.
fn push_subject(m: &Model, rows: &mut Vec<Row>, s: &Subject, why: &str) {
    if let Some(n) = node_for_subject(s, m) {
        rows.push(
            Row::new(
                vec![s.kind().to_string(), s.display_name(), why.to_string()],
                n,
            )
            .sev(m.worst(s)),
        );
    }
}

/// What is related to a finding (the drill-down rows); returns the table's title.
fn related_finding(i: &usize, m: &Model, rows: &mut Vec<Row>) -> String {
    let f = &m.findings[*i];
    let title = format!("{} {}", f.rule, f.subject.display_name());
    push_subject(m, rows, &f.subject, "subject");
    for r in &f.related {
        push_subject(m, rows, r, "related");
    }
    title
}

/// What is related to a service account (the drill-down rows); returns the table's title.
fn related_service_account(namespace: &str, name: &str, m: &Model, rows: &mut Vec<Row>) -> String {
    let title = format!("ServiceAccount {namespace}/{name}");
    for (arn, via) in sa_roles(m, namespace, name) {
        rows.push(
            Row::new(
                vec!["IamRole".into(), arn.clone(), via.into()],
                Node::IamRole(arn.clone()),
            )
            .sev(m.worst(&Subject::iam_role(&arn))),
        );
    }
    for (i, p) in m.inv.pods.iter().enumerate() {
        if p.namespace == namespace && p.service_account == name {
            rows.push(Row::new(
                vec![
                    "Pod".into(),
                    format!("{}/{}", p.namespace, p.name),
                    "runs as".into(),
                ],
                Node::Pod(i),
            ));
        }
    }
    for w in &m.inv.workloads {
        if w.namespace == namespace && w.service_account == name {
            rows.push(Row::new(
                vec![
                    w.kind.clone(),
                    format!("{}/{}", w.namespace, w.name),
                    "template runs as".into(),
                ],
                Node::Info(format!(
                    "{} {}/{} runs pods as {namespace}/{name}",
                    w.kind, w.namespace, w.name
                )),
            ));
        }
    }
    bindings_naming(m, "ServiceAccount", name, Some(namespace), rows);
    findings_rows(m, &Subject::service_account(namespace, name), rows);
    title
}

/// What is related to a subject (the drill-down rows); returns the table's title.
fn related_subject(
    kind: &str,
    name: &str,
    namespace: &Option<String>,
    m: &Model,
    rows: &mut Vec<Row>,
) -> String {
    let title = format!(
        "{kind} {}{name}",
        namespace
            .as_ref()
            .map(|n| format!("{n}/"))
            .unwrap_or_default()
    );
    bindings_naming(m, kind, name, namespace.as_deref(), rows);
    findings_rows(m, &subject_of(kind, name, namespace.as_deref()), rows);
    title
}

/// A drill-down row for service account `ns/name`, related as `how`.
fn sa_row(ns: &str, name: &str, how: &str) -> Row {
    Row::new(
        vec![
            "ServiceAccount".into(),
            format!("{ns}/{name}"),
            how.to_string(),
        ],
        Node::ServiceAccount {
            namespace: ns.to_string(),
            name: name.to_string(),
        },
    )
}

/// What is related to an IAM role (the drill-down rows); returns the table's title.
fn related_iam_role(arn: &str, m: &Model, rows: &mut Vec<Row>) -> String {
    let title = format!("IamRole {arn}");
    let mut annotated: crate::hashing::HashSet<(&str, &str)> = Default::default();
    for sa in annotated_with(m, arn) {
        annotated.insert((sa.namespace.as_str(), sa.name.as_str()));
        rows.push(sa_row(&sa.namespace, &sa.name, "IRSA annotation"));
    }
    for (i, a) in m.inv.pod_identity_associations.iter().enumerate() {
        if a.role_arn.eq_ignore_ascii_case(arn) {
            rows.push(Row::new(
                vec![
                    "PodIdentity".into(),
                    format!("{}/{}", a.namespace, a.service_account),
                    a.id.clone(),
                ],
                Node::Association(i),
            ));
        }
    }
    // Every other account the trust admits (a wildcard `sub`, no `sub`):
    // a few listed here, more as one row whose Enter lists them all.
    let others = admitted(m, arn, &annotated);
    if others.len() > MAX_ADMITTED_ROWS {
        rows.push(Row::new(
            vec![
                "ServiceAccount".into(),
                admitted_summary(m, others.len()),
                "trust admits them (not annotated): Enter lists them".into(),
            ],
            Node::AdmittedBy(arn.to_string()),
        ));
    } else {
        push_admitted(&others, rows);
    }
    if let Some(r) = m
        .inv
        .iam
        .roles
        .iter()
        .find(|r| r.arn.eq_ignore_ascii_case(arn))
    {
        for p in &r.attached_policies {
            rows.push(Row::new(
                vec!["Policy".into(), p.name.clone(), "attached".into()],
                Node::Policy(p.arn.clone()),
            ));
        }
        for p in &r.inline_policies {
            rows.push(Row::new(
                vec!["Policy".into(), p.name.clone(), "inline".into()],
                Node::Info(format!("inline policy {} of {}", p.name, r.name)),
            ));
        }
    }
    findings_rows(m, &Subject::iam_role(arn), rows);
    for &i in m.findings_related(&Subject::iam_role(arn)) {
        let f = &m.findings[i];
        rows.push(
            Row::new(
                vec![f.rule.into(), f.subject.display_name(), f.title.clone()],
                Node::Finding(i),
            )
            .sev(Some(f.severity)),
        );
    }
    title
}

/// How many accounts a role's trust may admit without an annotation before
/// its table shows them as one row (Enter lists them).
pub const MAX_ADMITTED_ROWS: usize = 100;

/// The accounts a role's trust admits (working IRSA links) that no IRSA
/// annotation in `annotated` names.
fn admitted<'m>(
    m: &'m Model,
    arn: &'m str,
    annotated: &crate::hashing::HashSet<(&str, &str)>,
) -> Vec<LinkView<'m>> {
    m.links_to_role(arn)
        .into_iter()
        .filter(|l| {
            l.via == crate::graph::reach::Via::Irsa
                && l.works
                // Usually none or a few: no hashing per link then.
                && (annotated.is_empty()
                    || !annotated.contains(&(l.namespace, l.service_account)))
        })
        .collect()
}

/// `51,017 service accounts (every one of the cluster)`.
fn admitted_summary(m: &Model, n: usize) -> String {
    let all = m.inv.service_accounts.len();
    let n_text = crate::audit::iam::fmt_count(n);
    if n == all {
        format!("{n_text} service accounts (every one of the cluster)")
    } else {
        format!(
            "{n_text} service accounts (of the cluster's {})",
            crate::audit::iam::fmt_count(all)
        )
    }
}

/// The service accounts whose IRSA annotation names a role.
fn annotated_with<'m>(
    m: &'m Model,
    arn: &'m str,
) -> impl Iterator<Item = &'m crate::model::ServiceAccount> {
    m.inv.service_accounts.iter().filter(move |sa| {
        sa.irsa_annotation()
            .is_some_and(|a| a.eq_ignore_ascii_case(arn))
    })
}

/// One row per admitted account.
fn push_admitted(links: &[LinkView], rows: &mut Vec<Row>) {
    rows.reserve(links.len());
    // Five strings a row: for 50,000 rows, a share of them per core.
    for part in crate::par::shares(links, 8192, |_, part| {
        part.iter()
            .map(|l| {
                sa_row(
                    l.namespace,
                    l.service_account,
                    "trust admits it (not annotated)",
                )
            })
            .collect::<Vec<Row>>()
    }) {
        rows.extend(part);
    }
}

/// Every account a role's trust admits without an annotation (the row
/// [`Node::AdmittedBy`] of its table); returns the table's title.
fn admitted_by(arn: &str, m: &Model, rows: &mut Vec<Row>) -> String {
    let annotated: crate::hashing::HashSet<(&str, &str)> = annotated_with(m, arn)
        .map(|sa| (sa.namespace.as_str(), sa.name.as_str()))
        .collect();
    let links = admitted(m, arn, &annotated);
    push_admitted(&links, rows);
    format!("IamRole {arn}: accounts its trust admits")
}

/// What is related to a binding (the drill-down rows); returns the table's title.
fn related_binding(i: &usize, m: &Model, rows: &mut Vec<Row>) -> String {
    let b = &m.inv.bindings[*i];
    let title = format!("{} {}", b.kind(), b.name);
    if let Some((ri, _)) = m.inv.roles.iter().enumerate().find(|(_, r)| {
        r.name == b.role_ref.name
            && (r.namespace.is_none() && b.role_ref.kind == "ClusterRole"
                || r.namespace == b.namespace && b.role_ref.kind == "Role")
    }) {
        rows.push(Row::new(
            vec![
                b.role_ref.kind.clone(),
                b.role_ref.name.clone(),
                "roleRef".into(),
            ],
            Node::RbacRole(ri),
        ));
    } else {
        rows.push(Row::new(
            vec![
                b.role_ref.kind.clone(),
                b.role_ref.name.clone(),
                "roleRef: does not exist".into(),
            ],
            Node::Info(format!(
                "{} {} does not exist",
                b.role_ref.kind, b.role_ref.name
            )),
        ));
    }
    for s in &b.subjects {
        rows.push(Row::new(
            vec![
                s.kind.clone(),
                format!(
                    "{}{}",
                    s.namespace
                        .as_ref()
                        .map(|n| format!("{n}/"))
                        .unwrap_or_default(),
                    s.name
                ),
                "subject".into(),
            ],
            subject_node(&s.kind, &s.name, s.namespace.as_deref()),
        ));
    }
    title
}

/// What is related to an aws-auth mapping (the drill-down rows); returns the table's title.
fn related_aws_auth(i: &usize, m: &Model, rows: &mut Vec<Row>) -> String {
    let title = "aws-auth entry".into();
    if let Some(e) = m.inv.aws_auth.as_ref().and_then(|a| a.entries.get(*i)) {
        if m.inv
            .iam
            .roles
            .iter()
            .any(|r| r.arn.eq_ignore_ascii_case(&e.arn))
        {
            rows.push(Row::new(
                vec!["IamRole".into(), e.arn.clone(), "mapped".into()],
                Node::IamRole(e.arn.clone()),
            ));
        }
        for g in &e.groups {
            rows.push(Row::new(
                vec!["Group".into(), g.clone(), "member of".into()],
                subject_node("Group", g, None),
            ));
        }
        findings_rows(
            m,
            &Subject::AwsAuthEntry {
                arn: e.subject_arn(),
            },
            rows,
        );
    }
    title
}

/// What is related to an access entry (the drill-down rows); returns the table's title.
fn related_access_entry(i: &usize, m: &Model, rows: &mut Vec<Row>) -> String {
    let title = "access entry".into();
    if let Some(e) = m.inv.access_entries.get(*i) {
        for g in &e.kubernetes_groups {
            rows.push(Row::new(
                vec!["Group".into(), g.clone(), "member of".into()],
                subject_node("Group", g, None),
            ));
        }
        findings_rows(
            m,
            &Subject::AccessEntry {
                arn: e.principal_arn.clone(),
            },
            rows,
        );
    }
    title
}

/// What is related to an association (the drill-down rows); returns the table's title.
fn related_association(i: &usize, m: &Model, rows: &mut Vec<Row>) -> String {
    let title = "Pod Identity association".into();
    if let Some(a) = m.inv.pod_identity_associations.get(*i) {
        rows.push(sa_row(&a.namespace, &a.service_account, "associated"));
        rows.push(Row::new(
            vec!["IamRole".into(), a.role_arn.clone(), "role".into()],
            Node::IamRole(a.role_arn.clone()),
        ));
    }
    title
}

/// What is related to a pod (the drill-down rows); returns the table's title.
fn related_pod(i: &usize, m: &Model, rows: &mut Vec<Row>) -> String {
    let p = &m.inv.pods[*i];
    let title = format!("Pod {}/{}", p.namespace, p.name);
    rows.push(sa_row(&p.namespace, &p.service_account, "runs as"));
    title
}

/// What is related to an RBAC role (the drill-down rows); returns the table's title.
fn related_rbac_role(i: &usize, m: &Model, rows: &mut Vec<Row>) -> String {
    let r = &m.inv.roles[*i];
    let title = format!("{} {}", r.kind(), r.name);
    for (bi, b) in m.inv.bindings.iter().enumerate() {
        let kind_ok = (b.role_ref.kind == "ClusterRole" && r.namespace.is_none())
            || (b.role_ref.kind == "Role" && r.namespace == b.namespace);
        if kind_ok && b.role_ref.name == r.name {
            rows.push(Row::new(
                vec![b.kind().into(), b.name.clone(), "binds it".into()],
                Node::Binding(bi),
            ));
        }
    }
    title
}

/// What is related to a policy (the drill-down rows); returns the table's title.
fn related_policy(arn: &str, m: &Model, rows: &mut Vec<Row>) -> String {
    let title = format!("Policy {arn}");
    for r in &m.inv.iam.roles {
        if r.attached_policies.iter().any(|p| p.arn == arn) {
            rows.push(
                Row::new(
                    vec!["IamRole".into(), r.arn.clone(), "attached to".into()],
                    Node::IamRole(r.arn.clone()),
                )
                .sev(m.worst(&Subject::iam_role(&r.arn))),
            );
        }
    }
    title
}

fn findings_rows(m: &Model, s: &Subject, rows: &mut Vec<Row>) {
    for &i in m.findings_on(s) {
        let f = &m.findings[i];
        rows.push(
            Row::new(
                vec![f.rule.into(), f.severity.to_string(), f.title.clone()],
                Node::Finding(i),
            )
            .sev(Some(f.severity)),
        );
    }
}

fn bindings_naming(
    m: &Model,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    rows: &mut Vec<Row>,
) {
    for (i, b) in m.inv.bindings.iter().enumerate() {
        if !m.include_system && b.is_bootstrap() {
            continue;
        }
        if b.subjects.iter().any(|s| {
            s.kind == kind
                && s.name == name
                && (kind != "ServiceAccount" || s.namespace.as_deref() == namespace)
        }) {
            rows.push(Row::new(
                vec![
                    b.kind().into(),
                    format!(
                        "{}{}",
                        b.namespace
                            .as_ref()
                            .map(|n| format!("{n}/"))
                            .unwrap_or_default(),
                        b.name
                    ),
                    format!("→ {} {}", b.role_ref.kind, b.role_ref.name),
                ],
                Node::Binding(i),
            ));
        }
    }
}

pub fn node_for_subject(s: &Subject, m: &Model) -> Option<Node> {
    Some(match s {
        Subject::ServiceAccount { namespace, name } => Node::ServiceAccount {
            namespace: namespace.clone(),
            name: name.clone(),
        },
        Subject::User { name } => subject_node("User", name, None),
        Subject::Group { name } => subject_node("Group", name, None),
        Subject::IamRole { arn } => Node::IamRole(arn.clone()),
        Subject::RoleBinding { namespace, name } => Node::Binding(
            m.inv
                .bindings
                .iter()
                .position(|b| b.namespace.as_deref() == Some(namespace) && &b.name == name)?,
        ),
        Subject::ClusterRoleBinding { name } => Node::Binding(
            m.inv
                .bindings
                .iter()
                .position(|b| b.namespace.is_none() && &b.name == name)?,
        ),
        Subject::Role { namespace, name } => Node::RbacRole(
            m.inv
                .roles
                .iter()
                .position(|r| r.namespace.as_deref() == Some(namespace) && &r.name == name)?,
        ),
        Subject::ClusterRole { name } => Node::RbacRole(
            m.inv
                .roles
                .iter()
                .position(|r| r.namespace.is_none() && &r.name == name)?,
        ),
        Subject::AwsAuthEntry { arn } => Node::AwsAuth(
            m.inv
                .aws_auth
                .as_ref()?
                .entries
                .iter()
                .position(|e| &e.subject_arn() == arn)?,
        ),
        Subject::AccessEntry { arn } => Node::AccessEntry(
            m.inv
                .access_entries
                .iter()
                .position(|e| &e.principal_arn == arn)?,
        ),
        Subject::PodIdentityAssociation { id, .. } => Node::Association(
            m.inv
                .pod_identity_associations
                .iter()
                .position(|a| &a.id == id)?,
        ),
        Subject::Cluster { .. } | Subject::ApiServer { .. } => Node::Cluster,
        Subject::Secret { namespace, name } => {
            Node::Info(format!("Secret {namespace}/{name} (metadata only)"))
        }
        Subject::Kubeconfig { name, path } => Node::Info(format!("kubeconfig {path}: {name}")),
        Subject::NodeGroup { name, source } => Node::Info(format!("node group {name} ({source})")),
    })
}
