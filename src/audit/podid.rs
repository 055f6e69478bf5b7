//! Pod Identity rules: EKS Pod Identity associations (PODID-001..PODID-005).
//!
//! The trust is evaluated as EKS asks: principal `pods.eks.amazonaws.com`,
//! `sts:AssumeRole` and `sts:TagSession`, with `aws:SourceAccount`,
//! `aws:SourceArn` and the association's session tags in the context.

use super::{Context, Finding, Related, Severity, Subject};
use crate::graph::reach::{pod_identity_of, trust_of};
use crate::model::{IamRole, PodIdentityAssociation, RoleArn};
use crate::policy::trust::{
    PODS_SERVICE, TrustAnswer, check_pod_identity, unnarrowed_pod_statements,
};

const SRC_SERVICE_ACCOUNTS: &str = "kubernetes/serviceaccounts";
const SRC_NAMESPACES: &str = "kubernetes/namespaces";

fn subject(a: &PodIdentityAssociation) -> Subject {
    Subject::PodIdentityAssociation {
        namespace: a.namespace.clone(),
        name: a.service_account.clone(),
        id: a.id.clone(),
    }
}

/// The trust EKS Pod Identity needs, narrowed to this cluster (and, with session
/// tags, to the association's namespace and service account), in JSON, CLI and Terraform.
fn pod_trust_fix(ctx: &Context, role: &IamRole, a: Option<&PodIdentityAssociation>) -> String {
    let cluster_arn = ctx.graph.cluster().and_then(|c| c.arn.clone());
    let account = ctx
        .graph
        .account()
        .map(str::to_string)
        .or_else(|| RoleArn::parse(&role.arn).ok().map(|r| r.account))
        .unwrap_or_else(|| "ACCOUNT_ID".to_string());
    let mut cond = serde_json::Map::new();
    cond.insert("aws:SourceAccount".into(), account.into());
    if let Some(c) = cluster_arn {
        cond.insert("aws:SourceArn".into(), c.into());
    }
    if let Some(a) = a.filter(|a| !a.disable_session_tags) {
        cond.insert(
            "aws:RequestTag/kubernetes-namespace".into(),
            a.namespace.clone().into(),
        );
        cond.insert(
            "aws:RequestTag/kubernetes-service-account".into(),
            a.service_account.clone().into(),
        );
    }
    let mut policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": PODS_SERVICE},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": cond}
        }]
    });
    // Keep the role's statements for other principals (IRSA, other services).
    let kept: Vec<serde_json::Value> = role
        .trust_policy
        .as_ref()
        .and_then(|t| crate::policy::iam::document_value(t).ok())
        .and_then(|d| match d.get("Statement") {
            Some(serde_json::Value::Array(a)) => Some(a.clone()),
            Some(o @ serde_json::Value::Object(_)) => Some(vec![o.clone()]),
            _ => None,
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|st| !st.to_string().contains(PODS_SERVICE))
        .collect();
    if let Some(serde_json::Value::Array(stmts)) = policy.get_mut("Statement") {
        stmts.extend(kept);
    }
    super::irsa::trust_fix_text(
        role,
        &policy,
        &format!(
            "Let EKS Pod Identity assume {} for this cluster only (sts:TagSession is required because EKS tags the session):",
            role.name
        ),
    )
}

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let g = ctx.graph;
    let inv = ctx.inv;
    let cluster_name = g.cluster().map(|c| c.name.as_str());

    for a in &inv.pod_identity_associations {
        if let (Some(mine), Some(theirs)) = (cluster_name, a.cluster_name.as_deref())
            && mine != theirs
        {
            continue;
        }
        let subj = subject(a);
        podid_003(ctx, a, &subj, out);
        podid_001_002(ctx, a, &subj, out);
    }

    if g.iam_seen() {
        podid_004(ctx, out);
    }
    podid_005(ctx, cluster_name, out);
}

/// PODID-003: the namespace or service account of an association does not exist.
fn podid_003(ctx: &Context, a: &PodIdentityAssociation, subj: &Subject, out: &mut Vec<Finding>) {
    let g = ctx.graph;
    let inv = ctx.inv;
    if inv.seen(SRC_SERVICE_ACCOUNTS)
        && g.service_account(&a.namespace, &a.service_account)
            .is_none()
    {
        let ns_missing = inv.seen(SRC_NAMESPACES) && !g.namespace_exists(&a.namespace);
        let what = if ns_missing {
            format!("namespace {} does not exist", a.namespace)
        } else {
            format!(
                "service account {}/{} does not exist",
                a.namespace, a.service_account
            )
        };
        out.push(
            Finding::new(
                "PODID-003",
                Severity::Medium,
                subj.clone(),
                format!(
                    "Pod Identity association {} names {}/{}, which does not exist",
                    a.id, a.namespace, a.service_account
                ),
            )
            .related(Subject::iam_role(&a.role_arn))
            .evidence(what)
            .evidence(format!("role {}", a.role_arn))
            .evidence("whoever can create that service account gets the role")
            .remediation(format!(
                "Delete the association if nothing needs it: aws eks delete-pod-identity-association --cluster-name {} --association-id {}",
                a.cluster_name.as_deref().unwrap_or(&g.cluster_name()),
                a.id
            )),
        );
    }
}

/// PODID-001: the role an association names does not exist; PODID-002: its
/// trust policy does not let EKS Pod Identity assume it for the association.
fn podid_001_002(
    ctx: &Context,
    a: &PodIdentityAssociation,
    subj: &Subject,
    out: &mut Vec<Finding>,
) {
    let g = ctx.graph;
    let inv = ctx.inv;
    if !g.iam_seen() {
        return;
    }
    let Ok(arn) = RoleArn::parse(&a.role_arn) else {
        return;
    };
    if crate::graph::reach::audited_account(inv).as_deref() != Some(arn.account.as_str()) {
        return;
    }
    let Some(role) = crate::graph::reach::find_role(inv, g, &arn) else {
        out.push(
            Finding::new(
                "PODID-001",
                Severity::High,
                subj.clone(),
                format!(
                    "Pod Identity association {} names role {}, which does not exist",
                    a.id, arn.name
                ),
            )
            .related(Subject::iam_role(&a.role_arn))
            .evidence(format!(
                "no role named {} in account {}",
                arn.name, arn.account
            ))
            .remediation(format!(
                "Create the role with a Pod Identity trust, or point the association at the right role: aws eks update-pod-identity-association --cluster-name {} --association-id {} --role-arn ROLE_ARN",
                a.cluster_name.as_deref().unwrap_or(&g.cluster_name()),
                a.id
            )),
        );
        return;
    };
    let Some(trust) = trust_of(g, role) else {
        return;
    };
    if let TrustAnswer::Denied { reasons } = check_pod_identity(&trust, &pod_identity_of(g, a)) {
        let mut f = Finding::new(
            "PODID-002",
            Severity::High,
            subj.clone(),
            format!(
                "Trust policy of role {} does not let EKS Pod Identity assume it for {}/{}",
                role.name, a.namespace, a.service_account
            ),
        )
        .related(Subject::iam_role(&role.arn));
        for r in reasons {
            f = f.evidence(r);
        }
        f = f.remediation(pod_trust_fix(ctx, role, Some(a)));
        out.push(f);
    }
}

/// PODID-004: roles any association in the account could use.
fn podid_004(ctx: &Context, out: &mut Vec<Finding>) {
    let g = ctx.graph;
    let inv = ctx.inv;
    // The associations that name each role (by the role's ARN), in inventory order.
    let mut by_role: crate::hashing::HashMap<&str, Vec<&PodIdentityAssociation>> =
        crate::hashing::HashMap::default();
    for a in &inv.pod_identity_associations {
        if let Some(r) = RoleArn::parse(&a.role_arn)
            .ok()
            .and_then(|r| g.iam_role_for(&r))
        {
            by_role.entry(r.arn.as_str()).or_default().push(a);
        }
    }
    for role in &inv.iam.roles {
        let Some(trust) = trust_of(g, role) else {
            continue;
        };
        let open = unnarrowed_pod_statements(&trust);
        if open.is_empty() {
            continue;
        }
        let mut f = Finding::new(
            "PODID-004",
            Severity::Medium,
            Subject::iam_role(&role.arn),
            format!(
                "Role {} trusts {PODS_SERVICE} without narrowing it to a cluster or namespace",
                role.name
            ),
        );
        for s in &open {
            f = f.evidence(format!("{}: {}", s.label(), s.summary()));
        }
        f = f.evidence(
            "any Pod Identity association in the account, in any cluster, can use this role",
        );
        let mine: Vec<&PodIdentityAssociation> =
            by_role.get(role.arn.as_str()).cloned().unwrap_or_default();
        f = f.with_related(&Related::of(
            mine.iter().map(|a| subject(a)),
            ctx.opts.max_related,
        ));
        f = f.remediation(pod_trust_fix(
            ctx,
            role,
            if mine.len() == 1 { Some(mine[0]) } else { None },
        ));
        out.push(f);
    }
}

/// PODID-005: IRSA annotation and an association on the same service account.
fn podid_005(ctx: &Context, cluster_name: Option<&str>, out: &mut Vec<Finding>) {
    let g = ctx.graph;
    let inv = ctx.inv;
    for sa in &inv.service_accounts {
        let Some(ann) = sa.irsa_annotation() else {
            continue;
        };
        let assoc: Vec<&PodIdentityAssociation> = g
            .associations_of(&sa.namespace, &sa.name)
            .filter(|a| match (cluster_name, a.cluster_name.as_deref()) {
                (Some(m), Some(t)) => m == t,
                _ => true,
            })
            .collect();
        if assoc.is_empty() {
            continue;
        }
        let mut f = Finding::new(
            "PODID-005",
            Severity::Low,
            Subject::service_account(&sa.namespace, &sa.name),
            format!(
                "Service account {}/{} has both an IRSA role and a Pod Identity association",
                sa.namespace, sa.name
            ),
        )
        .evidence(format!(
            "eks.amazonaws.com/role-arn: {ann} (used: the SDKs try web identity first)"
        ));
        for a in &assoc {
            f = f
                .evidence(format!(
                    "association {} → {} (silently unused)",
                    a.id, a.role_arn
                ))
                .related(subject(a));
        }
        f = f.remediation(format!(
            "Keep one mechanism. To move to Pod Identity: kubectl annotate serviceaccount -n {} {} eks.amazonaws.com/role-arn- and restart the pods; to stay on IRSA: aws eks delete-pod-identity-association --cluster-name {} --association-id {}",
            sa.namespace,
            sa.name,
            g.cluster_name(),
            assoc[0].id
        ));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Options;
    use crate::graph::Graph;
    use crate::model::{
        Coverage, EksCluster, IamInventory, Inventory, Namespace, ServiceAccount, Status,
    };
    use serde_json::json;

    const ACCT: &str = "111122223333";

    fn role(name: &str, st: serde_json::Value) -> IamRole {
        IamRole {
            arn: format!("arn:aws:iam::{ACCT}:role/{name}"),
            name: name.into(),
            path: "/".into(),
            trust_policy: Some(json!({"Statement": [st]})),
            ..Default::default()
        }
    }

    fn assoc(id: &str, ns: &str, sa: &str, role: &str) -> PodIdentityAssociation {
        PodIdentityAssociation {
            id: id.into(),
            cluster_name: Some("prod".into()),
            namespace: ns.into(),
            service_account: sa.into(),
            role_arn: format!("arn:aws:iam::{ACCT}:role/{role}"),
            ..Default::default()
        }
    }

    #[test]
    fn rules_table() {
        let mut cov = Coverage::default();
        for s in [
            "aws/iam",
            "kubernetes/serviceaccounts",
            "kubernetes/namespaces",
        ] {
            cov.set(s, Status::Ok, None, None);
        }
        let mut both = ServiceAccount {
            namespace: "etl".into(),
            name: "both".into(),
            ..Default::default()
        };
        both.annotations.insert(
            crate::model::IRSA_ANNOTATION.into(),
            format!("arn:aws:iam::{ACCT}:role/good"),
        );
        let sas = vec![
            ServiceAccount {
                namespace: "etl".into(),
                name: "loader".into(),
                ..Default::default()
            },
            ServiceAccount {
                namespace: "etl".into(),
                name: "good".into(),
                ..Default::default()
            },
            both,
        ];
        let good = json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCT}}});
        let inv = Inventory {
            account: Some(ACCT.into()),
            namespaces: vec![Namespace {
                name: "etl".into(),
                ..Default::default()
            }],
            service_accounts: sas,
            iam: IamInventory {
                roles: vec![
                    role(
                        "loader",
                        json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": ACCT}}}),
                    ),
                    role("good", good),
                    role(
                        "open",
                        json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE}, "Action": ["sts:AssumeRole", "sts:TagSession"]}),
                    ),
                ],
                ..Default::default()
            },
            cluster: Some(EksCluster {
                name: "prod".into(),
                arn: Some(format!("arn:aws:eks:us-west-2:{ACCT}:cluster/prod")),
                ..Default::default()
            }),
            pod_identity_associations: vec![
                assoc("a-1", "etl", "loader", "loader"),
                assoc("a-2", "etl", "good", "good"),
                assoc("a-3", "etl", "good", "missing-role"),
                assoc("a-4", "nope", "x", "open"),
                assoc("a-5", "etl", "both", "good"),
                PodIdentityAssociation {
                    cluster_name: Some("other-cluster".into()),
                    ..assoc("a-6", "etl", "nobody", "missing-role")
                },
            ],
            coverage: cov,
            ..Default::default()
        };
        let g = Graph::build(&inv);
        let opts = Options::default();
        let ctx = Context {
            inv: &inv,
            graph: &g,
            opts: &opts,
        };
        let mut out = Vec::new();
        check(&ctx, &mut out);
        let mut got: Vec<String> = out
            .iter()
            .map(|f| format!("{} {}", f.rule, f.subject.display_name()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                "PODID-001 etl/good (a-3)",
                "PODID-002 etl/loader (a-1)",
                "PODID-003 nope/x (a-4)",
                "PODID-004 arn:aws:iam::111122223333:role/open",
                "PODID-005 etl/both",
            ],
            "{out:#?}"
        );
        let f = out
            .iter()
            .find(|f| f.rule == "PODID-002")
            .unwrap_or_else(|| panic!());
        assert!(
            f.evidence.iter().any(|e| e.contains("sts:TagSession")),
            "{:?}",
            f.evidence
        );
        assert!(f.remediation.contains("\"sts:TagSession\""));
    }
}
