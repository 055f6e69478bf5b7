//! RBAC-001..013: what Kubernetes subjects may do (see `spec/rules.md`).
//!
//! A finding is raised on the subject a binding names (a grant to a group is
//! one finding on that Group, with its known members in the evidence), from
//! the bindings that name it directly. Grants of Kubernetes' bootstrap bindings
//! (`kubernetes.io/bootstrapping: rbac-defaults`) count only with
//! `--include-system`.

use crate::hashing::{HashMap, HashSet};
use std::collections::BTreeMap;

use super::{Context, Finding, Related, Severity, Subject};
use crate::graph::reach::Via as LinkVia;
use crate::model::{Inventory, RbacBinding, Status};
use crate::policy::rbac::{
    ANONYMOUS, AUTHENTICATED, Grant, Name, Principal, RbacEngine, Request, Scope, UNAUTHENTICATED,
    Via, binding_label, format_rule,
};

/// Evidence lines listed before "… and N more".
const MAX_LINES: usize = 12;

/// The bootstrap bindings every cluster gives (anonymous and) authenticated users.
const DEFAULT_PUBLIC_ROLES: [&str; 3] = [
    "system:public-info-viewer",
    "system:discovery",
    "system:basic-user",
];

/// Workload kinds that own pods: (apiGroup, resource).
pub(crate) const POD_OWNERS: [(&str, &str); 8] = [
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

pub(crate) fn subject_of(p: &Principal) -> Subject {
    match p {
        Principal::ServiceAccount { namespace, name } => Subject::service_account(namespace, name),
        Principal::User { name } => Subject::User { name: name.clone() },
        Principal::Group { name } => Subject::Group { name: name.clone() },
        Principal::Iam { arn } => Subject::AwsAuthEntry { arn: arn.clone() },
    }
}

pub(crate) fn binding_subject(b: &RbacBinding) -> Subject {
    match &b.namespace {
        Some(ns) => Subject::RoleBinding {
            namespace: ns.clone(),
            name: b.name.clone(),
        },
        None => Subject::ClusterRoleBinding {
            name: b.name.clone(),
        },
    }
}

/// Whether a source was read (or the inventory was built without coverage, as in tests).
pub(crate) fn collected(inv: &Inventory, source: &str) -> bool {
    inv.coverage
        .status(source)
        .is_none_or(|s| s.status == Status::Ok)
}

/// Service accounts that obtain a working IAM role (IRSA or Pod Identity).
#[derive(Debug, Default)]
pub(crate) struct IamSas {
    /// Each account's own roles, not those every account obtains (an account
    /// is here, maybe with no role of its own, whenever it has any).
    by_sa: HashMap<(String, String), Vec<(String, LinkVia)>>,
    by_ns: BTreeMap<String, Vec<String>>,
    /// The roles every existing service account obtains through IRSA.
    everyone: Vec<(String, LinkVia)>,
}

impl IamSas {
    pub(crate) fn build(ctx: &Context) -> IamSas {
        let mut out = IamSas {
            everyone: ctx
                .graph
                .everyone_roles()
                .iter()
                .map(|a| (a.clone(), LinkVia::Irsa))
                .collect(),
            ..IamSas::default()
        };
        let everyone: HashSet<&str> = ctx
            .graph
            .everyone_roles()
            .iter()
            .map(String::as_str)
            .collect();
        let add = |out: &mut IamSas, ns: &str, name: &str| -> (String, String) {
            let key = (ns.to_string(), name.to_string());
            if !out.by_sa.contains_key(&key) {
                out.by_ns
                    .entry(ns.to_string())
                    .or_default()
                    .push(name.to_string());
                out.by_sa.insert(key.clone(), Vec::new());
            }
            key
        };
        for l in ctx.graph.role_links() {
            if !l.works || everyone.contains(l.role_arn.as_str()) {
                continue;
            }
            let key = add(&mut out, &l.namespace, &l.service_account);
            if let Some(roles) = out.by_sa.get_mut(&key) {
                roles.push((l.role_arn.clone(), l.via));
            }
        }
        if !out.everyone.is_empty() {
            for sa in &ctx.inv.service_accounts {
                add(&mut out, &sa.namespace, &sa.name);
            }
        }
        // Links are distinct per way in: the same role through IRSA and Pod
        // Identity is one role here (the first way kept). A set, not a scan per link.
        for roles in out.by_sa.values_mut() {
            if roles.len() > 1 {
                let keep: Vec<bool> = {
                    let mut seen: HashSet<&str> = HashSet::default();
                    roles.iter().map(|(a, _)| seen.insert(a.as_str())).collect()
                };
                let mut keep = keep.into_iter();
                roles.retain(|_| keep.next().unwrap_or(true));
            }
        }
        out
    }

    /// Every role some service account obtains.
    pub(crate) fn all_roles(&self) -> impl Iterator<Item = &str> {
        self.by_sa
            .values()
            .flatten()
            .chain(&self.everyone)
            .map(|(a, _)| a.as_str())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_sa.is_empty()
    }

    /// An account's roles: its own, then those every account obtains.
    pub(crate) fn roles_of<'s>(
        &'s self,
        ns: &str,
        name: &str,
    ) -> impl Iterator<Item = &'s (String, LinkVia)> + Clone + 's {
        let own = self.by_sa.get(&(ns.to_string(), name.to_string()));
        let everyone: &'s [(String, LinkVia)] = if own.is_some() { &self.everyone } else { &[] };
        own.into_iter().flatten().chain(everyone)
    }

    /// Whether an account obtains any role.
    pub(crate) fn has_role(&self, ns: &str, name: &str) -> bool {
        self.roles_of(ns, name).next().is_some()
    }

    /// Service accounts with a role in a namespace.
    pub(crate) fn in_ns(&self, ns: &str) -> &[String] {
        self.by_ns.get(ns).map(Vec::as_slice).unwrap_or(&[])
    }

    /// (namespace, service account) pairs with a role within a scope.
    pub(crate) fn in_scope(&self, scope: Scope) -> Vec<(String, String)> {
        match scope {
            Scope::Cluster => self
                .by_ns
                .iter()
                .flat_map(|(ns, v)| v.iter().map(move |n| (ns.clone(), n.clone())))
                .collect(),
            Scope::Namespace(ns) => self
                .in_ns(ns)
                .iter()
                .map(|n| (ns.to_string(), n.clone()))
                .collect(),
        }
    }

    pub(crate) fn describe(&self, ns: &str, name: &str) -> String {
        let mut roles: Vec<String> = self
            .roles_of(ns, name)
            .map(|(arn, via)| format!("{arn} ({})", via_name(*via)))
            .collect();
        // Input order (ListRoles vs GetAccountAuthorizationDetails) must not change the report.
        roles.sort();
        // Where broad trusts give every account dozens of roles, a few are named.
        let more = roles.len().saturating_sub(super::MAX_EXAMPLES);
        roles.truncate(super::MAX_EXAMPLES);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!(
            "ServiceAccount {ns}/{name} has IAM role {}{more}",
            roles.join(", ")
        )
    }
}

pub(crate) fn via_name(v: LinkVia) -> &'static str {
    match v {
        LinkVia::Irsa => "IRSA",
        LinkVia::PodIdentity => "Pod Identity",
    }
}

/// Evidence lines about who is in a group the finding is on.
pub(crate) fn members_evidence(engine: &RbacEngine, p: &Principal) -> Vec<String> {
    let Principal::Group { name } = p else {
        return Vec::new();
    };
    let m = engine.members(name);
    let mut out = Vec::new();
    if let Some(d) = &m.description {
        out.push(format!("members of {name}: {d}"));
    }
    if m.service_accounts > 0 {
        out.push(format!(
            "{} service account(s) of the cluster are members",
            m.service_accounts
        ));
    }
    if !m.principals.is_empty() {
        let names: Vec<String> = m
            .principals
            .iter()
            .take(MAX_LINES)
            .map(Principal::label)
            .collect();
        let more = m.principals.len().saturating_sub(MAX_LINES);
        out.push(format!(
            "known members: {}{}",
            names.join(", "),
            if more > 0 {
                format!(" … and {more} more")
            } else {
                String::new()
            }
        ));
    }
    if m.description.is_none() && m.principals.is_empty() {
        out.push(format!(
            "no member of {name} is known from aws-auth or access entries (others may be, e.g. from client certificates)"
        ));
    }
    out
}

/// One request pattern a rule looks for.
struct Want {
    verbs: &'static [&'static str],
    group: &'static str,
    resources: &'static [&'static str],
    /// Cluster-scoped resource (or "in every namespace"): only ClusterRoleBindings grant it.
    cluster_only: bool,
    name: Name<'static>,
}

const fn want(
    verbs: &'static [&'static str],
    group: &'static str,
    resources: &'static [&'static str],
    cluster_only: bool,
    name: Name<'static>,
) -> Want {
    Want {
        verbs,
        group,
        resources,
        cluster_only,
        name,
    }
}

/// The rows that allow any of the wanted requests, with what each allows.
fn matching<'g, 'a>(rows: &'g [Grant<'a>], wants: &[Want]) -> Vec<(&'g Grant<'a>, String)> {
    let mut out = Vec::new();
    for g in rows {
        let mut what: Vec<String> = Vec::new();
        for w in wants {
            if w.cluster_only && g.scope != Scope::Cluster {
                continue;
            }
            for res in w.resources {
                for verb in w.verbs {
                    let mut req = Request::new(verb, w.group, res);
                    req.name = w.name;
                    req.namespace = match g.scope {
                        Scope::Namespace(ns) => Some(ns),
                        Scope::Cluster => None,
                    };
                    if g.allows(&req) {
                        let mut s = format!("{verb} {res}");
                        if !w.group.is_empty() {
                            s = format!("{verb} {res}.{}", w.group);
                        }
                        if !what.contains(&s) {
                            what.push(s);
                        }
                    }
                }
            }
        }
        if !what.is_empty() {
            out.push((g, what.join(", ")));
        }
    }
    out
}

fn grant_lines(hits: &[(&Grant, String)]) -> Vec<String> {
    let mut lines: Vec<String> = hits
        .iter()
        .take(MAX_LINES)
        .map(|(g, what)| {
            let mut s = format!("{what} [{}] via {}", g.scope, g.describe());
            if g.binding().is_some_and(RbacBinding::is_bootstrap) {
                s.push_str(" (a Kubernetes bootstrap binding)");
            }
            s
        })
        .collect();
    if hits.len() > MAX_LINES {
        lines.push(format!("… and {} more grants", hits.len() - MAX_LINES));
    }
    lines
}

/// The bindings behind some grants, as kubectl objects.
fn bindings_of_hits(hits: &[(&Grant, String)]) -> Vec<String> {
    // A set, not a scan: a group may be bound in every namespace.
    let mut seen: HashSet<String> = HashSet::default();
    let mut out: Vec<String> = Vec::new();
    for (g, _) in hits {
        if let Some(b) = g.binding() {
            let s = binding_label(b);
            if seen.insert(s.clone()) {
                out.push(s);
            }
        }
    }
    out
}

/// `a, b, c and 12 more`: bindings named in a title or sentence, bounded.
fn first_of(items: &[String], shown: usize, sep: &str) -> String {
    if items.len() <= shown {
        return items.join(sep);
    }
    format!(
        "{}{sep}… and {} more",
        items[..shown].join(sep),
        super::iam::fmt_count(items.len() - shown)
    )
}

fn kubectl_delete(label: &str) -> String {
    match label.split_once(' ') {
        Some(("RoleBinding", rest)) => match rest.split_once('/') {
            Some((ns, name)) => format!("kubectl -n {ns} delete rolebinding {name}"),
            None => format!("kubectl delete rolebinding {rest}"),
        },
        Some(("ClusterRoleBinding", name)) => format!("kubectl delete clusterrolebinding {name}"),
        _ => label.to_string(),
    }
}

fn remove_or_narrow(hits: &[(&Grant, String)], narrowed: &str) -> String {
    let bindings = bindings_of_hits(hits);
    let cmds: Vec<String> = bindings.iter().map(|b| kubectl_delete(b)).collect();
    // Bounded: the bindings past these are in `related` (all with --max-related 0).
    format!(
        "Remove the grant ({}), or bind a role whose rules are narrowed to {narrowed}.",
        first_of(&cmds, 8, "; ")
    )
}

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let engine = RbacEngine::build(ctx.inv, ctx.opts.include_system);
    let iam = IamSas::build(ctx);
    check_bindings(ctx, &engine, out);
    for (principal, pairs) in engine.named_principals() {
        let rows = engine.rows(&pairs);
        if rows.is_empty() {
            continue;
        }
        let start = out.len();
        check_subject(&engine, &iam, &principal, &rows, ctx.opts.max_related, out);
        if !ctx.opts.all_rules {
            fold_into_admin(out, start);
        }
    }
    check_secrets(ctx, &iam, out);
}

fn check_subject(
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
fn fold_into_admin(out: &mut Vec<Finding>, start: usize) {
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

/// Service accounts with an IAM role inside the scopes of these grants.
/// `names` may restrict a grant to some service-account names.
fn iam_targets(
    iam: &IamSas,
    hits: &[(&Grant, String)],
    names: impl Fn(&Grant) -> Option<Vec<String>>,
) -> Vec<(String, String)> {
    // A set, not a scan of the list: a cluster-wide grant reaches every account.
    let mut out: HashSet<(String, String)> = HashSet::default();
    for (g, _) in hits {
        let only = names(g);
        for (ns, name) in iam.in_scope(g.scope) {
            if only.as_ref().is_some_and(|o| !o.contains(&name)) {
                continue;
            }
            out.insert((ns, name));
        }
    }
    let mut out: Vec<(String, String)> = out.into_iter().collect();
    out.sort();
    out
}

fn target_lines(iam: &IamSas, targets: &[(String, String)], what: &str) -> Vec<String> {
    let mut lines: Vec<String> = targets
        .iter()
        .take(MAX_LINES)
        .map(|(ns, name)| format!("can {what} {}", iam.describe(ns, name)))
        .collect();
    if targets.len() > MAX_LINES {
        lines.push(format!(
            "… and {} more service accounts with IAM roles",
            targets.len() - MAX_LINES
        ));
    }
    if targets.is_empty() {
        lines.push("no service account with an IAM role is within reach of these grants".into());
    }
    lines
}

/// RBAC-007, RBAC-009, RBAC-010: findings on bindings.
fn check_bindings(ctx: &Context, engine: &RbacEngine, out: &mut Vec<Finding>) {
    let inv = ctx.inv;
    let roles_seen = collected(inv, "kubernetes/roles");
    let cluster_roles_seen = collected(inv, "kubernetes/clusterroles");
    let sas_seen = collected(inv, "kubernetes/serviceaccounts");
    for (bi, b) in inv.bindings.iter().enumerate() {
        if !engine.counts(b) {
            continue;
        }
        let subject = binding_subject(b);
        let label = binding_label(b);
        let role = engine.binding_role(bi);
        let ref_label = format!("{} {}", b.role_ref.kind, b.role_ref.name);

        // RBAC-009: roleRef to a missing role.
        let can_tell = match b.role_ref.kind.as_str() {
            "ClusterRole" => cluster_roles_seen,
            "Role" => roles_seen,
            _ => true,
        };
        if role.is_none() && can_tell {
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
                    kubectl_delete(&label)
                )),
            );
        }

        // RBAC-010: ServiceAccount subjects that do not exist.
        if sas_seen {
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
                    .evidence(format!("subject ServiceAccount {namespace}/{name}: {ns_note}"))
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
                        kubectl_delete(&label)
                    )),
                );
            }
        }

        // RBAC-007: grants to anonymous / unauthenticated / all authenticated.
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
            continue;
        };
        if b.role_ref.kind == "ClusterRole"
            && DEFAULT_PUBLIC_ROLES.contains(&b.role_ref.name.as_str())
        {
            continue;
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
            continue; // grants nothing
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
        out.push(f.remediation(kubectl_delete(&label)));
    }
}

/// RBAC-012: legacy service-account token Secrets.
fn check_secrets(ctx: &Context, iam: &IamSas, out: &mut Vec<Finding>) {
    for s in &ctx.inv.secrets {
        if s.type_ != "kubernetes.io/service-account-token" {
            continue;
        }
        let mut f = Finding::new(
            "RBAC-012",
            Severity::Medium,
            Subject::Secret {
                namespace: s.namespace.clone(),
                name: s.name.clone(),
            },
            format!(
                "Secret {}/{} is a long-lived service-account token",
                s.namespace, s.name
            ),
        )
        .evidence(format!(
            "type kubernetes.io/service-account-token{}",
            s.created
                .as_deref()
                .map(|c| format!(", created {c}"))
                .unwrap_or_default()
        ));
        if let Some(sa) = &s.service_account {
            f = f
                .evidence(format!(
                    "a token of ServiceAccount {}/{sa} that never expires",
                    s.namespace
                ))
                .related(Subject::service_account(&s.namespace, sa));
            if iam.has_role(&s.namespace, sa) {
                f = f.evidence(iam.describe(&s.namespace, sa));
            }
        }
        out.push(f.remediation(format!(
            "Use short-lived projected tokens (TokenRequest, `kubectl create token`) instead, then `kubectl -n {} delete secret {}`.",
            s.namespace, s.name
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Options;
    use crate::graph::Graph;
    use crate::model::{AwsAuth, SecretMeta};
    use crate::policy::rbac::test_support::*;

    fn run(inv: &Inventory, include_system: bool) -> Vec<Finding> {
        run_with(inv, include_system, true)
    }

    fn run_with(inv: &Inventory, include_system: bool, all_rules: bool) -> Vec<Finding> {
        let graph = Graph::build(inv);
        let opts = Options {
            include_system,
            all_rules,
            ..Options::default()
        };
        let ctx = Context {
            inv,
            graph: &graph,
            opts: &opts,
        };
        let mut out = Vec::new();
        check(&ctx, &mut out);
        out
    }

    fn rules_on(out: &[Finding], subject: &Subject) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = out
            .iter()
            .filter(|f| &f.subject == subject)
            .map(|f| f.rule)
            .collect();
        v.sort();
        v
    }

    fn find<'f>(out: &'f [Finding], rule: &str, subject: &Subject) -> Option<&'f Finding> {
        out.iter().find(|f| f.rule == rule && &f.subject == subject)
    }

    fn base() -> Inventory {
        let mut inv = Inventory::default();
        inv.roles.push(cluster_role(
            "cluster-admin",
            vec![rule(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])],
        ));
        inv.service_accounts.push(service_account("ci", "jenkins"));
        inv
    }

    fn sa_subject(ns: &str, n: &str) -> Subject {
        Subject::service_account(ns, n)
    }

    #[test]
    fn cluster_admin_binding_is_rbac_001_and_more() {
        let mut inv = base();
        inv.bindings.push(crb(
            "jenkins-admin",
            "cluster-admin",
            vec![sa("ci", "jenkins")],
        ));
        let out = run(&inv, false);
        let rules = rules_on(&out, &sa_subject("ci", "jenkins"));
        for r in [
            "RBAC-001", "RBAC-002", "RBAC-003", "RBAC-004", "RBAC-005", "RBAC-006", "RBAC-008",
            "RBAC-011", "RBAC-013",
        ] {
            assert!(rules.contains(&r), "{r} missing from {rules:?}");
        }
        let f = find(&out, "RBAC-001", &sa_subject("ci", "jenkins")).unwrap();
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.evidence[0].contains("ClusterRoleBinding jenkins-admin"));
        assert!(
            f.remediation
                .contains("kubectl delete clusterrolebinding jenkins-admin")
        );
    }

    #[test]
    fn cluster_admin_gets_one_finding_with_the_rest_folded_in() {
        let mut inv = base();
        inv.bindings.push(crb(
            "jenkins-admin",
            "cluster-admin",
            vec![sa("ci", "jenkins")],
        ));
        inv.bindings.push(rb(
            "dev",
            "dev-edit",
            "ClusterRole",
            "cluster-admin",
            vec![sa("dev", "builder")],
        ));
        let out = run_with(&inv, false, false);
        let jenkins = sa_subject("ci", "jenkins");
        assert_eq!(rules_on(&out, &jenkins), vec!["RBAC-001"]);
        let f = find(&out, "RBAC-001", &jenkins).unwrap();
        let also: Vec<&str> = f
            .evidence
            .iter()
            .filter_map(|e| e.strip_prefix("also: "))
            .collect();
        for r in [
            "RBAC-002", "RBAC-003", "RBAC-004", "RBAC-005", "RBAC-006", "RBAC-008", "RBAC-011",
            "RBAC-013",
        ] {
            assert_eq!(
                also.iter().filter(|l| l.starts_with(r)).count(),
                1,
                "{r} not folded once into {also:?}"
            );
        }
        assert!(
            also.contains(
                &"RBAC-003 (critical) ServiceAccount ci/jenkins can escalate its privileges through RBAC"
            ),
            "{also:?}"
        );
        // A subject that is not cluster admin keeps each of its findings.
        let builder = rules_on(&out, &sa_subject("dev", "builder"));
        assert!(builder.contains(&"RBAC-003") && builder.contains(&"RBAC-004"));
        // --all-rules keeps each as before.
        let all = run_with(&inv, false, true);
        assert_eq!(rules_on(&all, &jenkins).len(), 9);
        let f = find(&all, "RBAC-001", &jenkins).unwrap();
        assert!(!f.evidence.iter().any(|e| e.starts_with("also: ")));
    }

    #[test]
    fn namespaced_admin_is_not_cluster_admin() {
        let mut inv = base();
        inv.bindings.push(rb(
            "ci",
            "local-admin",
            "ClusterRole",
            "cluster-admin",
            vec![sa("ci", "jenkins")],
        ));
        let out = run(&inv, false);
        let rules = rules_on(&out, &sa_subject("ci", "jenkins"));
        assert!(!rules.contains(&"RBAC-001"));
        assert!(
            !rules.contains(&"RBAC-002"),
            "secrets of one namespace only"
        );
        assert!(!rules.contains(&"RBAC-011"), "CSRs are cluster-scoped");
        assert!(!rules.contains(&"RBAC-013"));
        assert!(!rules.contains(&"RBAC-008"), "aws-auth is in kube-system");
        assert!(
            rules.contains(&"RBAC-003"),
            "it can write RoleBindings in ci"
        );
        assert!(rules.contains(&"RBAC-004"));
        assert!(rules.contains(&"RBAC-006"));
    }

    #[test]
    fn wildcard_role_counts_as_admin() {
        let mut inv = base();
        inv.roles
            .push(cluster_role("god", vec![rule(&["*"], &["*"], &["*"])]));
        inv.bindings.push(crb("god", "god", vec![user("alice")]));
        let out = run(&inv, false);
        assert!(
            find(
                &out,
                "RBAC-001",
                &Subject::User {
                    name: "alice".into()
                }
            )
            .is_some()
        );
    }

    #[test]
    fn bootstrap_grants_only_with_include_system() {
        let mut inv = base();
        inv.bindings.push(bootstrap(crb(
            "cluster-admin",
            "cluster-admin",
            vec![group("system:masters")],
        )));
        // Not a bootstrap binding, though its subject looks like a system one.
        inv.bindings.push(crb(
            "sneaky",
            "cluster-admin",
            vec![user("system:kube-controller-manager")],
        ));
        let masters = Subject::Group {
            name: "system:masters".into(),
        };
        let kcm = Subject::User {
            name: "system:kube-controller-manager".into(),
        };
        let out = run(&inv, false);
        assert!(find(&out, "RBAC-001", &masters).is_none());
        assert!(find(&out, "RBAC-001", &kcm).is_some());
        let out = run(&inv, true);
        let f = find(&out, "RBAC-001", &masters).unwrap();
        assert!(f.evidence.iter().any(|e| e.contains("bootstrap binding")));
    }

    #[test]
    fn a_group_grant_is_one_finding_with_members() {
        let mut inv = base();
        inv.service_accounts.push(service_account("web", "api"));
        inv.roles.push(cluster_role(
            "secret-reader",
            vec![rule(&[""], &["secrets"], &["list"])],
        ));
        inv.bindings.push(crb(
            "all-read",
            "secret-reader",
            vec![group("system:serviceaccounts")],
        ));
        inv.aws_auth = Some(AwsAuth::parse(
            Some(
                "- rolearn: arn:aws:iam::111122223333:role/ops\n  username: ops\n  groups: [ops-team]\n",
            ),
            None,
            None,
        ));
        inv.bindings
            .push(crb("ops-read", "secret-reader", vec![group("ops-team")]));
        let out = run(&inv, false);
        let all: Vec<&Finding> = out.iter().filter(|f| f.rule == "RBAC-002").collect();
        assert_eq!(all.len(), 2, "{all:#?}");
        let g = find(
            &out,
            "RBAC-002",
            &Subject::Group {
                name: "system:serviceaccounts".into(),
            },
        )
        .unwrap();
        assert!(
            g.evidence
                .iter()
                .any(|e| e.contains("2 service account(s)"))
        );
        let ops = find(
            &out,
            "RBAC-002",
            &Subject::Group {
                name: "ops-team".into(),
            },
        )
        .unwrap();
        assert!(
            ops.evidence
                .iter()
                .any(|e| e.contains("arn:aws:iam::111122223333:role/ops")),
            "{:?}",
            ops.evidence
        );
    }

    #[test]
    fn secrets_need_every_namespace_and_no_resource_names() {
        let mut inv = base();
        inv.roles.push(cluster_role(
            "one-secret",
            vec![named(rule(&[""], &["secrets"], &["get"]), &["tls"])],
        ));
        inv.roles.push(cluster_role(
            "reader",
            vec![rule(&[""], &["secrets"], &["watch"])],
        ));
        inv.bindings.push(crb("one", "one-secret", vec![user("a")]));
        inv.bindings
            .push(rb("web", "ns", "ClusterRole", "reader", vec![user("b")]));
        inv.bindings.push(crb("all", "reader", vec![user("c")]));
        let out = run(&inv, false);
        let rbac2: Vec<&Subject> = out
            .iter()
            .filter(|f| f.rule == "RBAC-002")
            .map(|f| &f.subject)
            .collect();
        assert_eq!(rbac2, vec![&Subject::User { name: "c".into() }]);
    }

    #[test]
    fn escalation_variants() {
        let mut inv = base();
        let r = "rbac.authorization.k8s.io";
        inv.roles.push(role(
            "web",
            "binder",
            vec![rule(&[r], &["clusterroles"], &["bind"])],
        ));
        inv.roles.push(cluster_role(
            "imp",
            vec![rule(&[""], &["users", "groups"], &["impersonate"])],
        ));
        inv.roles.push(role(
            "web",
            "rbw",
            vec![rule(&[r], &["rolebindings"], &["create"])],
        ));
        inv.roles.push(role(
            "web",
            "harmless",
            vec![rule(&[r], &["rolebindings"], &["get", "list"])],
        ));
        inv.bindings
            .push(rb("web", "b1", "Role", "binder", vec![user("binder")]));
        inv.bindings.push(crb("b2", "imp", vec![user("imp")]));
        inv.bindings
            .push(rb("web", "b3", "Role", "rbw", vec![user("writer")]));
        inv.bindings
            .push(rb("web", "b4", "Role", "harmless", vec![user("reader")]));
        // Impersonating users through a RoleBinding does nothing (cluster-scoped).
        inv.bindings
            .push(rb("web", "b5", "ClusterRole", "imp", vec![user("ns-imp")]));
        let out = run(&inv, false);
        for who in ["binder", "imp", "writer"] {
            assert!(
                find(&out, "RBAC-003", &Subject::User { name: who.into() }).is_some(),
                "{who}"
            );
        }
        for who in ["reader", "ns-imp"] {
            assert!(
                find(&out, "RBAC-003", &Subject::User { name: who.into() }).is_none(),
                "{who}"
            );
        }
    }

    #[test]
    fn pod_creation_is_high_where_an_iam_role_is() {
        let mut inv = base();
        add_irsa_sa(&mut inv, "payments", "api", "payments-role");
        inv.service_accounts.push(service_account("web", "front"));
        inv.roles.push(cluster_role(
            "deployer",
            vec![rule(&["apps"], &["deployments"], &["create", "update"])],
        ));
        inv.bindings.push(rb(
            "payments",
            "d1",
            "ClusterRole",
            "deployer",
            vec![user("pay-dev")],
        ));
        inv.bindings.push(rb(
            "web",
            "d2",
            "ClusterRole",
            "deployer",
            vec![user("web-dev")],
        ));
        let out = run(&inv, false);
        let pay = find(
            &out,
            "RBAC-004",
            &Subject::User {
                name: "pay-dev".into(),
            },
        )
        .unwrap();
        assert_eq!(pay.severity, Severity::High);
        assert!(pay.evidence.iter().any(|e| e.contains("payments-role")));
        let web = find(
            &out,
            "RBAC-004",
            &Subject::User {
                name: "web-dev".into(),
            },
        )
        .unwrap();
        assert_eq!(web.severity, Severity::Medium);
    }

    #[test]
    fn token_minting_honours_resource_names() {
        let mut inv = base();
        add_irsa_sa(&mut inv, "payments", "api", "payments-role");
        inv.service_accounts
            .push(service_account("payments", "plain"));
        inv.roles.push(role(
            "payments",
            "tok-plain",
            vec![named(
                rule(&[""], &["serviceaccounts/token"], &["create"]),
                &["plain"],
            )],
        ));
        inv.roles.push(role(
            "payments",
            "tok-api",
            vec![named(
                rule(&[""], &["serviceaccounts/token"], &["create"]),
                &["api"],
            )],
        ));
        inv.roles.push(role(
            "payments",
            "sec",
            vec![rule(&[""], &["secrets"], &["create"])],
        ));
        inv.bindings
            .push(rb("payments", "t1", "Role", "tok-plain", vec![user("u1")]));
        inv.bindings
            .push(rb("payments", "t2", "Role", "tok-api", vec![user("u2")]));
        inv.bindings
            .push(rb("payments", "t3", "Role", "sec", vec![user("u3")]));
        let out = run(&inv, false);
        let sev =
            |u: &str| find(&out, "RBAC-005", &Subject::User { name: u.into() }).map(|f| f.severity);
        assert_eq!(sev("u1"), Some(Severity::Medium));
        assert_eq!(sev("u2"), Some(Severity::High));
        assert_eq!(sev("u3"), Some(Severity::High));
    }

    #[test]
    fn exec_and_node_proxy() {
        let mut inv = base();
        inv.roles.push(cluster_role(
            "exec",
            vec![rule(&[""], &["pods/exec"], &["create"])],
        ));
        inv.roles.push(cluster_role(
            "exec-get-only",
            vec![rule(&[""], &["pods/exec"], &["get"])],
        ));
        inv.roles.push(cluster_role(
            "star",
            vec![rule(&[""], &["pods/*"], &["create"])],
        ));
        inv.roles.push(cluster_role(
            "proxy",
            vec![rule(&[""], &["nodes/proxy"], &["get"])],
        ));
        inv.bindings
            .push(rb("web", "e1", "ClusterRole", "exec", vec![user("execer")]));
        inv.bindings
            .push(crb("e2", "exec-get-only", vec![user("getter")]));
        inv.bindings.push(crb("e3", "star", vec![user("star")]));
        inv.bindings.push(crb("e4", "proxy", vec![user("proxy")]));
        inv.bindings.push(rb(
            "web",
            "e5",
            "ClusterRole",
            "proxy",
            vec![user("ns-proxy")],
        ));
        let out = run(&inv, false);
        let has = |u: &str| find(&out, "RBAC-006", &Subject::User { name: u.into() }).is_some();
        assert!(has("execer"));
        assert!(has("proxy"));
        assert!(!has("getter"));
        assert!(
            !has("star"),
            "pods/* grants no subresource in the API server"
        );
        assert!(!has("ns-proxy"), "nodes are cluster-scoped");
    }

    #[test]
    fn public_groups_beyond_defaults() {
        let mut inv = base();
        inv.roles
            .push(cluster_role("view", vec![rule(&[""], &["pods"], &["get"])]));
        inv.roles.push(cluster_role(
            "system:discovery",
            vec![urls(&["/api"], &["get"])],
        ));
        inv.bindings.push(bootstrap(crb(
            "system:discovery",
            "system:discovery",
            vec![group("system:authenticated")],
        )));
        inv.bindings.push(crb(
            "anonymous-view",
            "view",
            vec![group("system:unauthenticated")],
        ));
        inv.bindings
            .push(crb("anon-user", "view", vec![user("system:anonymous")]));
        inv.bindings.push(rb(
            "web",
            "all-users",
            "ClusterRole",
            "view",
            vec![group("system:authenticated")],
        ));
        inv.bindings.push(crb(
            "custom-discovery",
            "system:discovery",
            vec![group("system:authenticated")],
        ));
        for include in [false, true] {
            let out = run(&inv, include);
            let sev = |s: Subject| find(&out, "RBAC-007", &s).map(|f| f.severity);
            assert_eq!(
                sev(Subject::ClusterRoleBinding {
                    name: "anonymous-view".into()
                }),
                Some(Severity::Critical)
            );
            assert_eq!(
                sev(Subject::ClusterRoleBinding {
                    name: "anon-user".into()
                }),
                Some(Severity::Critical)
            );
            assert_eq!(
                sev(Subject::RoleBinding {
                    namespace: "web".into(),
                    name: "all-users".into()
                }),
                Some(Severity::High)
            );
            assert_eq!(
                sev(Subject::ClusterRoleBinding {
                    name: "system:discovery".into()
                }),
                None
            );
            assert_eq!(
                sev(Subject::ClusterRoleBinding {
                    name: "custom-discovery".into()
                }),
                None,
                "the default role grants nothing beyond the defaults"
            );
        }
    }

    #[test]
    fn aws_auth_writers() {
        let mut inv = base();
        inv.roles.push(role(
            "kube-system",
            "cm-named",
            vec![named(
                rule(&[""], &["configmaps"], &["patch"]),
                &["aws-auth"],
            )],
        ));
        inv.roles.push(role(
            "kube-system",
            "cm-other",
            vec![named(
                rule(&[""], &["configmaps"], &["patch"]),
                &["coredns"],
            )],
        ));
        inv.roles.push(cluster_role(
            "cm-any",
            vec![rule(&[""], &["configmaps"], &["update"])],
        ));
        inv.bindings
            .push(rb("kube-system", "a", "Role", "cm-named", vec![user("a")]));
        inv.bindings
            .push(rb("kube-system", "b", "Role", "cm-other", vec![user("b")]));
        inv.bindings.push(crb("c", "cm-any", vec![user("c")]));
        inv.bindings
            .push(rb("web", "d", "ClusterRole", "cm-any", vec![user("d")]));
        let out = run(&inv, false);
        let has = |u: &str| find(&out, "RBAC-008", &Subject::User { name: u.into() }).is_some();
        assert!(has("a"));
        assert!(!has("b"));
        assert!(has("c"));
        assert!(!has("d"));
    }

    #[test]
    fn missing_roles_and_service_accounts() {
        let mut inv = base();
        inv.namespaces.push(crate::model::Namespace {
            name: "ci".into(),
            ..Default::default()
        });
        inv.bindings
            .push(crb("ghost", "no-such-role", vec![sa("ci", "jenkins")]));
        inv.bindings.push(rb(
            "ci",
            "ghost-role",
            "Role",
            "nope",
            vec![sa("ci", "nobody")],
        ));
        let out = run(&inv, false);
        assert!(
            find(
                &out,
                "RBAC-009",
                &Subject::ClusterRoleBinding {
                    name: "ghost".into()
                }
            )
            .is_some()
        );
        let rb_subject = Subject::RoleBinding {
            namespace: "ci".into(),
            name: "ghost-role".into(),
        };
        assert!(find(&out, "RBAC-009", &rb_subject).is_some());
        let f = find(&out, "RBAC-010", &rb_subject).unwrap();
        assert_eq!(f.severity, Severity::Low);
        assert!(f.title.contains("ci/nobody"));
        assert!(
            find(
                &out,
                "RBAC-010",
                &Subject::ClusterRoleBinding {
                    name: "ghost".into()
                }
            )
            .is_none()
        );
    }

    #[test]
    fn csr_approval_needs_both_halves() {
        let mut inv = base();
        let c = "certificates.k8s.io";
        inv.roles.push(cluster_role(
            "approve-half",
            vec![rule(
                &[c],
                &["certificatesigningrequests/approval"],
                &["update"],
            )],
        ));
        inv.roles.push(cluster_role(
            "approver",
            vec![
                rule(&[c], &["certificatesigningrequests/approval"], &["update"]),
                named(
                    rule(&[c], &["signers"], &["approve"]),
                    &["kubernetes.io/kube-apiserver-client"],
                ),
            ],
        ));
        inv.bindings
            .push(crb("h", "approve-half", vec![user("half")]));
        inv.bindings.push(crb("f", "approver", vec![user("full")]));
        let out = run(&inv, false);
        assert!(
            find(
                &out,
                "RBAC-011",
                &Subject::User {
                    name: "full".into()
                }
            )
            .is_some()
        );
        assert!(
            find(
                &out,
                "RBAC-011",
                &Subject::User {
                    name: "half".into()
                }
            )
            .is_none()
        );
    }

    #[test]
    fn webhooks_and_token_secrets() {
        let mut inv = base();
        inv.roles.push(cluster_role(
            "hooks",
            vec![rule(
                &["admissionregistration.k8s.io"],
                &["mutatingwebhookconfigurations"],
                &["patch"],
            )],
        ));
        inv.bindings.push(crb("h", "hooks", vec![user("hooker")]));
        inv.secrets.push(SecretMeta {
            namespace: "ci".into(),
            name: "jenkins-token".into(),
            type_: "kubernetes.io/service-account-token".into(),
            service_account: Some("jenkins".into()),
            created: None,
        });
        inv.secrets.push(SecretMeta {
            namespace: "ci".into(),
            name: "tls".into(),
            type_: "kubernetes.io/tls".into(),
            ..SecretMeta::default()
        });
        let out = run(&inv, false);
        assert!(
            find(
                &out,
                "RBAC-013",
                &Subject::User {
                    name: "hooker".into()
                }
            )
            .is_some()
        );
        let secrets: Vec<&Finding> = out.iter().filter(|f| f.rule == "RBAC-012").collect();
        assert_eq!(secrets.len(), 1);
        assert_eq!(
            secrets[0].subject,
            Subject::Secret {
                namespace: "ci".into(),
                name: "jenkins-token".into()
            }
        );
    }

    #[test]
    fn aggregated_rules_are_computed_not_trusted() {
        let mut inv = base();
        // The stored rules of `reader` say nothing about secrets; its part does.
        let mut agg = aggregated("reader", vec![match_labels(&[("agg", "reader")])]);
        agg.rules = vec![rule(&[""], &["pods"], &["get"])];
        let mut part = cluster_role("part", vec![rule(&[""], &["secrets"], &["list"])]);
        part.labels = labels(&[("agg", "reader")]);
        inv.roles.push(agg);
        inv.roles.push(part);
        inv.bindings.push(crb("r", "reader", vec![user("u")]));
        let out = run(&inv, false);
        let f = find(&out, "RBAC-002", &Subject::User { name: "u".into() }).unwrap();
        assert!(
            f.evidence[0].contains("aggregated from ClusterRole part"),
            "{:?}",
            f.evidence
        );
    }
}
