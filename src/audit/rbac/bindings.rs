//! RBAC-007, RBAC-009, RBAC-010: findings on bindings themselves (grants to
//! anonymous or all authenticated users, a missing role, missing service accounts).

use super::*;

/// One binding under audit, with what every rule on it names.
struct Bound<'a> {
    b: &'a RbacBinding,
    subject: Subject,
    label: String,
    /// The role it refers to, when that exists.
    role: Option<&'a RbacRole>,
    ref_label: String,
}

/// RBAC-007, RBAC-009, RBAC-010: findings on bindings.
pub(super) fn check_bindings(ctx: &Context, engine: &RbacEngine, out: &mut Vec<Finding>) {
    let inv = ctx.inv;
    let roles_seen = collected(inv, "kubernetes/roles");
    let cluster_roles_seen = collected(inv, "kubernetes/clusterroles");
    let sas_seen = collected(inv, "kubernetes/serviceaccounts");
    for (bi, b) in inv.bindings.iter().enumerate() {
        if !engine.counts(b) {
            continue;
        }
        let on = Bound {
            b,
            subject: binding_subject(b),
            label: binding_label(b),
            role: engine.binding_role(bi),
            ref_label: format!("{} {}", b.role_ref.kind, b.role_ref.name),
        };

        // RBAC-009: roleRef to a missing role.
        let can_tell = match b.role_ref.kind.as_str() {
            "ClusterRole" => cluster_roles_seen,
            "Role" => roles_seen,
            _ => true,
        };
        if on.role.is_none() && can_tell {
            missing_role(&on, out);
        }

        // RBAC-010: ServiceAccount subjects that do not exist.
        if sas_seen {
            missing_accounts(ctx, &on, out);
        }

        // RBAC-007: grants to anonymous / unauthenticated / all authenticated.
        public_grant(engine, &on, out);
    }
}

/// RBAC-009: the binding refers to a role that does not exist.
fn missing_role(on: &Bound, out: &mut Vec<Finding>) {
    let (b, subject, label, ref_label) = (on.b, &on.subject, &on.label, &on.ref_label);
    let why = if b.role_ref.kind == "Role" && b.namespace.is_none() {
        "a ClusterRoleBinding cannot refer to a Role".to_string()
    } else {
        match (&b.role_ref.kind[..], &b.namespace) {
            ("Role", Some(ns)) => format!("no Role {} in namespace {ns}", b.role_ref.name),
            _ => format!("no ClusterRole {}", b.role_ref.name),
        }
    };
    let who: Vec<String> = b
        .subjects
        .iter()
        .filter_map(|s| Principal::from_subject(s, b.namespace.as_deref()))
        .map(|p| p.label())
        .collect();
    let create = match (&b.role_ref.kind[..], &b.namespace) {
        ("Role", Some(ns)) => format!("kubectl -n {ns} create role {} …", b.role_ref.name),
        _ => format!("kubectl create clusterrole {} …", b.role_ref.name),
    };
    out.push(
        Finding::new(
            "RBAC-009",
            Severity::Medium,
            subject.clone(),
            format!("{label} refers to missing {ref_label}"),
        )
        .evidence(format!("roleRef: {ref_label}: {why}"))
        .evidence(format!(
            "subjects that would get whatever `{create}` grants: {}",
            if who.is_empty() {
                "none".to_string()
            } else {
                who.join(", ")
            }
        ))
        .remediation(format!(
            "{} (or create the intended role now, deliberately)",
            kubectl_delete(label)
        )),
    );
}

/// RBAC-010: the binding names ServiceAccounts that do not exist.
fn missing_accounts(ctx: &Context, on: &Bound, out: &mut Vec<Finding>) {
    let inv = ctx.inv;
    let (b, subject, label, ref_label) = (on.b, &on.subject, &on.label, &on.ref_label);
    for s in &b.subjects {
        let Some(Principal::ServiceAccount { namespace, name }) =
            Principal::from_subject(s, b.namespace.as_deref())
        else {
            continue;
        };
        if s.kind != "ServiceAccount" && !s.name.starts_with("system:serviceaccount:") {
            continue;
        }
        if ctx.graph.service_account(&namespace, &name).is_some() {
            continue;
        }
        let ns_note = if namespace.is_empty() {
            "the subject has no namespace".to_string()
        } else if !ctx.graph.namespace_exists(&namespace) && !inv.namespaces.is_empty() {
            format!("namespace {namespace} does not exist either")
        } else {
            format!("no ServiceAccount {name} in namespace {namespace}")
        };
        out.push(
            Finding::new(
                "RBAC-010",
                Severity::Low,
                subject.clone(),
                format!("{label} names missing ServiceAccount {namespace}/{name}"),
            )
            .evidence(format!(
                "subject ServiceAccount {namespace}/{name}: {ns_note}"
            ))
            .evidence(format!(
                "whoever creates that service account gets {ref_label}"
            ))
            .related(Subject::service_account(&namespace, &name))
            .remediation(format!(
                "Remove the subject from {label} (`kubectl edit {}`), or delete the binding: {}",
                match &b.namespace {
                    Some(ns) => format!("-n {ns} rolebinding {}", b.name),
                    None => format!("clusterrolebinding {}", b.name),
                },
                kubectl_delete(label)
            )),
        );
    }
}

/// RBAC-007: the binding grants its role to anonymous, unauthenticated or all
/// authenticated users.
fn public_grant(engine: &RbacEngine, on: &Bound, out: &mut Vec<Finding>) {
    let (b, subject, label, role, ref_label) =
        (on.b, &on.subject, &on.label, on.role, &on.ref_label);
    let mut worst: Option<Severity> = None;
    let mut who = Vec::new();
    for s in &b.subjects {
        let sev = match (s.kind.as_str(), s.name.as_str()) {
            ("User", ANONYMOUS) | ("Group", UNAUTHENTICATED) => Severity::Critical,
            ("Group", AUTHENTICATED) => Severity::High,
            _ => continue,
        };
        who.push(format!("{} {}", s.kind, s.name));
        worst = worst.max(Some(sev));
    }
    let Some(sev) = worst else {
        return;
    };
    if b.role_ref.kind == "ClusterRole" && DEFAULT_PUBLIC_ROLES.contains(&b.role_ref.name.as_str())
    {
        return;
    }
    let rules: Vec<String> = match role {
        Some(r) => engine
            .effective_rules(r)
            .map(|(src, i, rule)| {
                let mut s = format!("rule #{i} {}", format_rule(rule));
                if !std::ptr::eq(src, r) {
                    s.push_str(&format!(
                        " (aggregated from {})",
                        crate::policy::rbac::role_label(src)
                    ));
                }
                s
            })
            .collect(),
        None => Vec::new(),
    };
    if role.is_some() && rules.is_empty() {
        return; // grants nothing
    }
    let mut f = Finding::new(
        "RBAC-007",
        sev,
        subject.clone(),
        format!("{label} grants {ref_label} to {}", who.join(", ")),
    )
    .evidence(format!(
        "{label} binds {} to {ref_label}{}",
        who.join(", "),
        match &b.namespace {
            Some(ns) => format!(" in namespace {ns}"),
            None => " cluster-wide".to_string(),
        }
    ));
    if role.is_none() {
        f = f.evidence(format!(
            "{ref_label} does not exist: whoever creates it grants them anything"
        ));
    }
    let n = rules.len();
    f.evidence.extend(rules.into_iter().take(MAX_LINES));
    if n > MAX_LINES {
        f.evidence
            .push(format!("… and {} more rules", n - MAX_LINES));
    }
    f.evidence.push(
        "Kubernetes' defaults give these groups only system:public-info-viewer, system:discovery and system:basic-user".into(),
    );
    if b.is_bootstrap() {
        f.evidence.push("a Kubernetes bootstrap binding".into());
    }
    out.push(f.remediation(kubectl_delete(label)));
}
