//! RBAC-001..006, 008, 011, 013: what one subject's grants let it do, one
//! finding per rule on the subject a binding names; a cluster admin's other
//! findings folded into its RBAC-001 unless `--all-rules`.

use super::*;

/// One subject under audit: who it is, its grants, and how each of its
/// findings is finished (members of a group, bounded related subjects).
struct On<'r, 'a> {
    iam: &'r IamSas,
    subject: Subject,
    label: String,
    members: Vec<String>,
    rows: &'r [Grant<'a>],
    limit: Option<usize>,
}

/// Grants that allow what a rule looks for, with what each allows.
type Hits<'g, 'a> = Vec<(&'g Grant<'a>, String)>;

impl On<'_, '_> {
    /// The group's members close every finding's evidence.
    fn finish(&self, mut f: Finding) -> Finding {
        f.evidence.extend(self.members.iter().cloned());
        f
    }

    /// The bindings behind the grants, then `more` (the service accounts a grant
    /// reaches): one bounded list, however many namespaces a group is bound in.
    fn related_with(&self, f: Finding, hits: &[(&Grant, String)], more: Vec<Subject>) -> Finding {
        let bindings = hits
            .iter()
            .filter_map(|(g, _)| g.binding().map(binding_subject));
        f.with_related(&Related::of(bindings.chain(more), self.limit))
    }

    fn related(&self, f: Finding, hits: &[(&Grant, String)]) -> Finding {
        self.related_with(f, hits, Vec::new())
    }

    /// The finding most subject rules raise: the grants as evidence, and the
    /// remedy to remove them or narrow them to `narrowed`.
    fn grant_finding(
        &self,
        rule: &'static str,
        severity: Severity,
        title: String,
        hits: &[(&Grant, String)],
        narrowed: &str,
    ) -> Finding {
        let f = Finding::new(rule, severity, self.subject.clone(), title);
        let mut f = self.related(f, hits);
        f.evidence.extend(grant_lines(hits));
        f.remediation(remove_or_narrow(hits, narrowed))
    }

    /// RBAC-004 and RBAC-005: grants that let the subject act as service
    /// accounts; High when one of those (`targets`) has an IAM role, else Medium.
    fn reach_finding(
        &self,
        rule: &'static str,
        title: String,
        hits: &[(&Grant, String)],
        targets: &[(String, String)],
        what: &str,
        narrowed: &str,
    ) -> Finding {
        let sev = if targets.is_empty() {
            Severity::Medium
        } else {
            Severity::High
        };
        let f = Finding::new(rule, sev, self.subject.clone(), title);
        let accounts = targets
            .iter()
            .map(|(ns, name)| Subject::service_account(ns, name))
            .collect();
        let mut f = self.related_with(f, hits, accounts);
        f.evidence.extend(grant_lines(hits));
        f.evidence.extend(target_lines(self.iam, targets, what));
        f.remediation(remove_or_narrow(hits, narrowed))
    }
}

pub(super) fn check_subject(
    engine: &RbacEngine,
    iam: &IamSas,
    p: &Principal,
    rows: &[Grant],
    limit: Option<usize>,
    out: &mut Vec<Finding>,
) {
    let on = On {
        iam,
        subject: subject_of(p),
        label: p.label(),
        members: members_evidence(engine, p),
        rows,
        limit,
    };
    let rules: [fn(&On) -> Option<Finding>; 9] = [
        cluster_admin,
        read_secrets,
        escalate,
        run_pods,
        mint_tokens,
        exec,
        aws_auth,
        approve_csrs,
        webhooks,
    ];
    for rule in rules {
        if let Some(f) = rule(&on) {
            out.push(on.finish(f));
        }
    }
}

/// RBAC-001: cluster-admin or * on * in * cluster-wide.
fn cluster_admin(on: &On) -> Option<Finding> {
    let admin: Hits = on
        .rows
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
    let admin: Hits = admin
        .into_iter()
        .filter(|(g, _)| seen_b.insert(g.binding().map(|b| b as *const RbacBinding)))
        .collect();
    if admin.is_empty() {
        return None;
    }
    let bindings = bindings_of_hits(&admin);
    Some(on.grant_finding(
        "RBAC-001",
        Severity::Critical,
        format!(
            "{} is cluster admin ({})",
            on.label,
            first_of(&bindings, 3, ", ")
        ),
        &admin,
        "the verbs, apiGroups and resources it needs, bound with RoleBindings in the namespaces it works in",
    ))
}

/// RBAC-002: read Secrets in every namespace.
fn read_secrets(on: &On) -> Option<Finding> {
    let hits = matching(
        on.rows,
        &[want(
            &["get", "list", "watch"],
            "",
            &["secrets"],
            true,
            Name::None,
        )],
    );
    (!hits.is_empty()).then(|| {
        on.grant_finding(
            "RBAC-002",
            Severity::High,
            format!("{} can read Secrets in every namespace", on.label),
            &hits,
            "the Secrets it needs: a Role in their namespace with `resourceNames: [name]` and `verbs: [get]`",
        )
    })
}

/// RBAC-003: escalate, bind, impersonate, write bindings.
fn escalate(on: &On) -> Option<Finding> {
    let rbac = "rbac.authorization.k8s.io";
    let hits = matching(
        on.rows,
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
    (!hits.is_empty()).then(|| {
        on.grant_finding(
            "RBAC-003",
            Severity::Critical,
            format!("{} can escalate its privileges through RBAC", on.label),
            &hits,
            "exclude escalate, bind, impersonate and writes to rolebindings/clusterrolebindings",
        )
    })
}

/// RBAC-004: run pods (directly or through a workload).
fn run_pods(on: &On) -> Option<Finding> {
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
    let hits = matching(on.rows, &wants);
    if hits.is_empty() {
        return None;
    }
    let targets = iam_targets(on.iam, &hits, |_| None);
    Some(on.reach_finding(
        "RBAC-004",
        format!(
            "{} can create or change pods or pod-owning workloads",
            on.label
        ),
        &hits,
        &targets,
        "run pods as",
        "read-only verbs on workloads, and keep service accounts with IAM roles out of namespaces where others can create pods",
    ))
}

/// RBAC-005: mint service-account tokens.
fn mint_tokens(on: &On) -> Option<Finding> {
    let hits = matching(
        on.rows,
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
    if hits.is_empty() {
        return None;
    }
    let targets = iam_targets(on.iam, &hits, |g| {
        // A TokenRequest rule with resourceNames mints only those accounts.
        let rule = g.rule()?;
        let token_only = !rule.resources.iter().any(|r| r == "*" || r == "secrets")
            && !rule.resource_names.is_empty();
        token_only.then(|| rule.resource_names.clone())
    });
    Some(on.reach_finding(
        "RBAC-005",
        format!("{} can mint service-account tokens", on.label),
        &hits,
        &targets,
        "mint a token for",
        "no create on serviceaccounts/token or secrets (or serviceaccounts/token with `resourceNames` of accounts without IAM roles)",
    ))
}

/// RBAC-006: exec, attach, ephemeral containers, node proxy.
fn exec(on: &On) -> Option<Finding> {
    let hits = matching(
        on.rows,
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
    (!hits.is_empty()).then(|| {
        on.grant_finding(
            "RBAC-006",
            Severity::High,
            format!("{} can run commands in pods or on nodes", on.label),
            &hits,
            "exclude pods/exec, pods/attach, pods/ephemeralcontainers and nodes/proxy",
        )
    })
}

/// RBAC-008: write the aws-auth ConfigMap.
fn aws_auth(on: &On) -> Option<Finding> {
    let hits: Hits = on
        .rows
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
    if hits.is_empty() {
        return None;
    }
    let mut f = on.grant_finding(
        "RBAC-008",
        Severity::High,
        format!("{} can change the aws-auth ConfigMap", on.label),
        &hits,
        "get on configmaps (move cluster access to EKS access entries and stop using aws-auth)",
    );
    f.evidence.push(
        "whoever edits kube-system/aws-auth can map an IAM principal it controls to system:masters"
            .into(),
    );
    Some(f)
}

/// RBAC-011: approve CSRs.
fn approve_csrs(on: &On) -> Option<Finding> {
    let cert = "certificates.k8s.io";
    let approval = matching(
        on.rows,
        &[want(
            &["update"],
            cert,
            &["certificatesigningrequests/approval"],
            true,
            Name::Any,
        )],
    );
    let signers = matching(
        on.rows,
        &[want(&["approve"], cert, &["signers"], true, Name::Any)],
    );
    if approval.is_empty() || signers.is_empty() {
        return None;
    }
    let mut hits = approval;
    hits.extend(signers);
    Some(on.grant_finding(
        "RBAC-011",
        Severity::High,
        format!("{} can approve certificate signing requests", on.label),
        &hits,
        "no update on certificatesigningrequests/approval, or approve only on the signers it must serve (resourceNames)",
    ))
}

/// RBAC-013: admission webhooks.
fn webhooks(on: &On) -> Option<Finding> {
    let adm = "admissionregistration.k8s.io";
    let hooks: &'static [&'static str] = &[
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
    ];
    let hits = matching(
        on.rows,
        &[
            want(&["create"], adm, hooks, true, Name::None),
            want(&["update", "patch"], adm, hooks, true, Name::Any),
        ],
    );
    (!hits.is_empty()).then(|| {
        on.grant_finding(
            "RBAC-013",
            Severity::Medium,
            format!("{} can change admission webhooks", on.label),
            &hits,
            "read-only verbs on admission webhook configurations",
        )
    })
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
