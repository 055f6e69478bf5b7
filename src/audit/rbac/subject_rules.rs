//! RBAC-001..006, 008, 011, 013: what one subject's grants let it do, one
//! finding per rule on the subject a binding names; a cluster admin's other
//! findings folded into its RBAC-001 unless `--all-rules`.

use super::*;

pub(super) fn check_subject(
    engine: &RbacEngine,
    iam: &IamSas,
    p: &Principal,
    rows: &[Grant],
    limit: Option<usize>,
    out: &mut Vec<Finding>,
) {
    let subject = subject_of(p);
    let label = p.label();
    let members = members_evidence(engine, p);
    let finish = |f: Finding| -> Finding {
        let mut f = f;
        f.evidence.extend(members.iter().cloned());
        f
    };
    // The bindings behind the grants, then `more` (the service accounts a grant
    // reaches): one bounded list, however many namespaces a group is bound in.
    let related_with = |f: Finding, hits: &[(&Grant, String)], more: Vec<Subject>| -> Finding {
        let bindings = hits
            .iter()
            .filter_map(|(g, _)| g.binding().map(binding_subject));
        f.with_related(&Related::of(bindings.chain(more), limit))
    };
    let related = |f: Finding, hits: &[(&Grant, String)]| related_with(f, hits, Vec::new());

    // RBAC-001: cluster-admin or * on * in * cluster-wide.
    let admin: Vec<(&Grant, String)> = rows
        .iter()
        .filter(|g| g.scope == Scope::Cluster)
        .filter_map(|g| match &g.via {
            Via::Binding(rg) => {
                let full = rg.rule.verbs.iter().any(|v| v == "*")
                    && rg.rule.resources.iter().any(|r| r == "*")
                    && rg.rule.api_groups.iter().any(|a| a == "*")
                    && rg.rule.resource_names.is_empty();
                let is_ca = rg.role.namespace.is_none() && rg.role.name == "cluster-admin";
                (full || is_ca).then(|| {
                    (
                        g,
                        if full {
                            "* on * in every apiGroup".to_string()
                        } else {
                            "cluster-admin".to_string()
                        },
                    )
                })
            }
            _ => None,
        })
        .collect();
    // One line per binding is enough for this one.
    let mut seen_b = HashSet::default();
    let admin: Vec<(&Grant, String)> = admin
        .into_iter()
        .filter(|(g, _)| seen_b.insert(g.binding().map(|b| b as *const RbacBinding)))
        .collect();
    if !admin.is_empty() {
        let bindings = bindings_of_hits(&admin);
        let f = Finding::new(
            "RBAC-001",
            Severity::Critical,
            subject.clone(),
            format!(
                "{label} is cluster admin ({})",
                first_of(&bindings, 3, ", ")
            ),
        );
        let mut f = related(f, &admin);
        f.evidence.extend(grant_lines(&admin));
        f = f.remediation(remove_or_narrow(
            &admin,
            "the verbs, apiGroups and resources it needs, bound with RoleBindings in the namespaces it works in",
        ));
        out.push(finish(f));
    }

    // RBAC-002: read Secrets in every namespace.
    let hits = matching(
        rows,
        &[want(
            &["get", "list", "watch"],
            "",
            &["secrets"],
            true,
            Name::None,
        )],
    );
    if !hits.is_empty() {
        let f = Finding::new(
            "RBAC-002",
            Severity::High,
            subject.clone(),
            format!("{label} can read Secrets in every namespace"),
        );
        let mut f = related(f, &hits);
        f.evidence.extend(grant_lines(&hits));
        f = f.remediation(remove_or_narrow(
            &hits,
            "the Secrets it needs: a Role in their namespace with `resourceNames: [name]` and `verbs: [get]`",
        ));
        out.push(finish(f));
    }

    // RBAC-003: escalate, bind, impersonate, write bindings.
    let rbac = "rbac.authorization.k8s.io";
    let hits = matching(
        rows,
        &[
            want(
                &["escalate", "bind"],
                rbac,
                &["roles", "clusterroles"],
                false,
                Name::Any,
            ),
            want(&["impersonate"], "", &["users", "groups"], true, Name::Any),
            want(&["impersonate"], "", &["serviceaccounts"], false, Name::Any),
            want(&["create"], rbac, &["rolebindings"], false, Name::None),
            want(
                &["update", "patch"],
                rbac,
                &["rolebindings"],
                false,
                Name::Any,
            ),
            want(
                &["create"],
                rbac,
                &["clusterrolebindings"],
                true,
                Name::None,
            ),
            want(
                &["update", "patch"],
                rbac,
                &["clusterrolebindings"],
                true,
                Name::Any,
            ),
        ],
    );
    if !hits.is_empty() {
        let f = Finding::new(
            "RBAC-003",
            Severity::Critical,
            subject.clone(),
            format!("{label} can escalate its privileges through RBAC"),
        );
        let mut f = related(f, &hits);
        f.evidence.extend(grant_lines(&hits));
        f = f.remediation(remove_or_narrow(
            &hits,
            "exclude escalate, bind, impersonate and writes to rolebindings/clusterrolebindings",
        ));
        out.push(finish(f));
    }

    // RBAC-004: run pods (directly or through a workload).
    let mut wants = Vec::new();
    for (group, res) in POD_OWNERS {
        let r: &'static [&'static str] = match res {
            "pods" => &["pods"],
            "replicationcontrollers" => &["replicationcontrollers"],
            "deployments" => &["deployments"],
            "daemonsets" => &["daemonsets"],
            "statefulsets" => &["statefulsets"],
            "replicasets" => &["replicasets"],
            "jobs" => &["jobs"],
            _ => &["cronjobs"],
        };
        wants.push(want(&["create"], group, r, false, Name::None));
        wants.push(want(&["update", "patch"], group, r, false, Name::Any));
    }
    let hits = matching(rows, &wants);
    if !hits.is_empty() {
        let targets = iam_targets(iam, &hits, |_| None);
        let sev = if targets.is_empty() {
            Severity::Medium
        } else {
            Severity::High
        };
        let f = Finding::new(
            "RBAC-004",
            sev,
            subject.clone(),
            format!("{label} can create or change pods or pod-owning workloads"),
        );
        let accounts = targets
            .iter()
            .map(|(ns, name)| Subject::service_account(ns, name))
            .collect();
        let mut f = related_with(f, &hits, accounts);
        f.evidence.extend(grant_lines(&hits));
        f.evidence
            .extend(target_lines(iam, &targets, "run pods as"));
        f = f.remediation(remove_or_narrow(
            &hits,
            "read-only verbs on workloads, and keep service accounts with IAM roles out of namespaces where others can create pods",
        ));
        out.push(finish(f));
    }

    // RBAC-005: mint service-account tokens.
    let hits = matching(
        rows,
        &[
            want(
                &["create"],
                "",
                &["serviceaccounts/token"],
                false,
                Name::Any,
            ),
            want(&["create"], "", &["secrets"], false, Name::None),
        ],
    );
    if !hits.is_empty() {
        let targets = iam_targets(iam, &hits, |g| {
            // A TokenRequest rule with resourceNames mints only those accounts.
            let rule = g.rule()?;
            let token_only = !rule.resources.iter().any(|r| r == "*" || r == "secrets")
                && !rule.resource_names.is_empty();
            token_only.then(|| rule.resource_names.clone())
        });
        let sev = if targets.is_empty() {
            Severity::Medium
        } else {
            Severity::High
        };
        let f = Finding::new(
            "RBAC-005",
            sev,
            subject.clone(),
            format!("{label} can mint service-account tokens"),
        );
        let accounts = targets
            .iter()
            .map(|(ns, name)| Subject::service_account(ns, name))
            .collect();
        let mut f = related_with(f, &hits, accounts);
        f.evidence.extend(grant_lines(&hits));
        f.evidence
            .extend(target_lines(iam, &targets, "mint a token for"));
        f = f.remediation(remove_or_narrow(
            &hits,
            "no create on serviceaccounts/token or secrets (or serviceaccounts/token with `resourceNames` of accounts without IAM roles)",
        ));
        out.push(finish(f));
    }

    // RBAC-006: exec, attach, ephemeral containers, node proxy.
    let hits = matching(
        rows,
        &[
            want(
                &["create"],
                "",
                &["pods/exec", "pods/attach"],
                false,
                Name::Any,
            ),
            want(
                &["create", "update", "patch"],
                "",
                &["pods/ephemeralcontainers"],
                false,
                Name::Any,
            ),
            want(&["get", "create"], "", &["nodes/proxy"], true, Name::Any),
        ],
    );
    if !hits.is_empty() {
        let f = Finding::new(
            "RBAC-006",
            Severity::High,
            subject.clone(),
            format!("{label} can run commands in pods or on nodes"),
        );
        let mut f = related(f, &hits);
        f.evidence.extend(grant_lines(&hits));
        f = f.remediation(remove_or_narrow(
            &hits,
            "exclude pods/exec, pods/attach, pods/ephemeralcontainers and nodes/proxy",
        ));
        out.push(finish(f));
    }

    // RBAC-008: write the aws-auth ConfigMap.
    let hits: Vec<(&Grant, String)> = rows
        .iter()
        .filter(|g| matches!(g.scope, Scope::Cluster | Scope::Namespace("kube-system")))
        .filter_map(|g| {
            let verbs: Vec<&str> = ["update", "patch"]
                .into_iter()
                .filter(|v| {
                    g.allows(
                        &Request::new(v, "", "configmaps")
                            .in_ns("kube-system")
                            .named("aws-auth"),
                    )
                })
                .collect();
            (!verbs.is_empty()).then(|| (g, format!("{} configmaps/aws-auth", verbs.join(", "))))
        })
        .collect();
    if !hits.is_empty() {
        let f = Finding::new(
            "RBAC-008",
            Severity::High,
            subject.clone(),
            format!("{label} can change the aws-auth ConfigMap"),
        );
        let mut f = related(f, &hits);
        f.evidence.extend(grant_lines(&hits));
        f.evidence.push(
            "whoever edits kube-system/aws-auth can map an IAM principal it controls to system:masters".into(),
        );
        f = f.remediation(remove_or_narrow(
            &hits,
            "get on configmaps (move cluster access to EKS access entries and stop using aws-auth)",
        ));
        out.push(finish(f));
    }

    // RBAC-011: approve CSRs.
    let cert = "certificates.k8s.io";
    let approval = matching(
        rows,
        &[want(
            &["update"],
            cert,
            &["certificatesigningrequests/approval"],
            true,
            Name::Any,
        )],
    );
    let signers = matching(
        rows,
        &[want(&["approve"], cert, &["signers"], true, Name::Any)],
    );
    if !approval.is_empty() && !signers.is_empty() {
        let mut hits = approval;
        hits.extend(signers);
        let f = Finding::new(
            "RBAC-011",
            Severity::High,
            subject.clone(),
            format!("{label} can approve certificate signing requests"),
        );
        let mut f = related(f, &hits);
        f.evidence.extend(grant_lines(&hits));
        f = f.remediation(remove_or_narrow(
            &hits,
            "no update on certificatesigningrequests/approval, or approve only on the signers it must serve (resourceNames)",
        ));
        out.push(finish(f));
    }

    // RBAC-013: admission webhooks.
    let adm = "admissionregistration.k8s.io";
    let hooks: &'static [&'static str] = &[
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
    ];
    let hits = matching(
        rows,
        &[
            want(&["create"], adm, hooks, true, Name::None),
            want(&["update", "patch"], adm, hooks, true, Name::Any),
        ],
    );
    if !hits.is_empty() {
        let f = Finding::new(
            "RBAC-013",
            Severity::Medium,
            subject.clone(),
            format!("{label} can change admission webhooks"),
        );
        let mut f = related(f, &hits);
        f.evidence.extend(grant_lines(&hits));
        f = f.remediation(remove_or_narrow(
            &hits,
            "read-only verbs on admission webhook configurations",
        ));
        out.push(finish(f));
    }
}

/// A cluster admin can do everything the narrower subject rules look for, so
/// listing each as a finding of its own only buries the one that matters: the
/// findings of one subject (`out[start..]`, RBAC-001 first when raised) are
/// folded into its RBAC-001, one evidence line each.
pub(super) fn fold_into_admin(out: &mut Vec<Finding>, start: usize) {
    if out.get(start).is_none_or(|f| f.rule != "RBAC-001") {
        return;
    }
    let folded: Vec<Finding> = out.drain(start + 1..).collect();
    let admin = &mut out[start];
    for f in folded {
        admin
            .evidence
            .push(format!("also: {} ({}) {}", f.rule, f.severity, f.title));
    }
}
