//! IAM rules: what the roles reachable from the cluster may do (IAM-001..IAM-006).
//!
//! A role is judged only when a service account of the cluster can obtain it
//! (`graph::reach`): through IRSA or Pod Identity, after the trust checks,
//! including a trust so broad that it admits accounts nobody annotated.
//! Roles that only map people into the cluster are the AUTH rules' business.
//!
//! [`classify`] is the pure core: a role's effective permissions in, the IAM-001..005
//! hits out. `tests/iam_managed_policies.rs` runs it over every AWS managed policy.

use crate::hashing::HashMap;
use std::collections::BTreeMap;

use serde_json::Value;

use super::{Context, Finding, MAX_EXAMPLES, Related, Severity, Subject};
use crate::graph::reach::Via;
use crate::model::{IamRole, ServiceAccount};
use crate::policy::iam::{
    Boundary, Grant, GrantMemo, NamedPolicy, ParseError, PermissionSet, parse_date, parse_document,
};
use std::sync::Arc;

/// Services whose every action (`svc:*`) is a finding (IAM-002).
pub const SENSITIVE_SERVICES: [&str; 11] = [
    "iam",
    "sts",
    "s3",
    "kms",
    "secretsmanager",
    "ssm",
    "ec2",
    "eks",
    "lambda",
    "dynamodb",
    "organizations",
];

/// Privilege-escalation actions (IAM-003), judged on every resource.
pub const ESCALATION_ACTIONS: [&str; 14] = [
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:PassRole",
];

/// Data-reading actions (IAM-004), judged on every resource.
pub const DATA_READ_ACTIONS: [&str; 10] = [
    "s3:GetObject",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "kms:Decrypt",
    "dynamodb:Scan",
    "dynamodb:Query",
    "dynamodb:GetItem",
];

/// One IAM rule a set of permissions raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionHit {
    pub rule: &'static str,
    /// The catalog's severity, before lowering for a condition.
    pub severity: Severity,
    /// Every grant behind the hit depends on a condition.
    pub conditional: bool,
    /// What the role may do, for a title: `every action on every resource`.
    pub what: String,
    pub evidence: Vec<String>,
    pub remediation: String,
}

/// Combine grants: conditional only when every grant is.
fn hit(
    rule: &'static str,
    severity: Severity,
    what: String,
    grants: &[(String, Grant)],
    remediation: &str,
) -> Option<PermissionHit> {
    if grants.is_empty() {
        return None;
    }
    let conditional = grants.iter().all(|(_, g)| g.conditional);
    Some(PermissionHit {
        rule,
        severity,
        conditional,
        what,
        evidence: grants
            .iter()
            .map(|(q, g)| {
                let c = if g.conditional { " [conditional]" } else { "" };
                format!("{q} on every resource{c}: granted by {}", g.evidence())
            })
            .collect(),
        remediation: remediation.to_string(),
    })
}

const SCOPED_EXAMPLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::my-bucket/*"]}]}"#;

/// `a, b, c and 4 more`, for titles.
fn brief(grants: &[(String, Grant)]) -> String {
    let names: Vec<&str> = grants.iter().map(|(q, _)| q.as_str()).collect();
    if names.len() <= 3 {
        names.join(", ")
    } else {
        format!("{} and {} more", names[..3].join(", "), names.len() - 3)
    }
}

/// The IAM-001..IAM-005 hits of a set of effective permissions.
pub fn classify(set: &PermissionSet) -> Vec<PermissionHit> {
    classify_with(set, &mut |q| set.allows_all(q))
}

/// What the IAM rules' answers share between principals: what each managed
/// policy and boundary says of each query ([`GrantMemo`]), and, per set of
/// managed policies and boundary, the answer to each query its principals'
/// inline policies do not bear on. The documents must outlive it (the
/// graph's managed policies do).
#[derive(Debug, Default)]
pub struct ClassifyMemo {
    grants: GrantMemo,
    shared: HashMap<String, HashMap<String, Option<Grant>>>,
}

impl ClassifyMemo {
    /// [`classify`], with the answers `set` shares with earlier ones.
    pub fn classify(&mut self, set: &PermissionSet) -> Vec<PermissionHit> {
        let answers = self.shared.entry(shared_key(set)).or_default();
        let grants = &mut self.grants;
        let inline = set.inline_scope();
        classify_with(set, &mut |q| {
            if inline.bears_on(q) {
                return set.allows_all_memo(q, grants);
            }
            if let Some(g) = answers.get(q) {
                return g.clone();
            }
            let g = set.allows_all_memo(q, grants);
            answers.insert(q.to_string(), g.clone());
            g
        })
    }
}

/// What a permission set shares with others of the same managed policies
/// and boundary: their names and documents (by address).
fn shared_key(set: &PermissionSet) -> String {
    use std::fmt::Write as _;
    let mut key = String::new();
    for p in set.policies.iter().skip(set.inline) {
        let _ = write!(key, "{}\0{:p}\0", p.name, Arc::as_ptr(&p.doc));
    }
    match &set.boundary {
        Some(Boundary::Known(b)) => {
            let _ = write!(key, "B{}\0{:p}", b.name, Arc::as_ptr(&b.doc));
        }
        Some(Boundary::Unknown(arn)) => {
            let _ = write!(key, "U{arn}");
        }
        None => {}
    }
    key
}

/// [`classify`], asking `allows` whether the set allows all of an action
/// pattern on every resource (so that answers can be shared between roles).
fn classify_with(
    set: &PermissionSet,
    allows: &mut dyn FnMut(&str) -> Option<Grant>,
) -> Vec<PermissionHit> {
    let mut out = Vec::new();
    let mut grants = |qs: &[&str]| -> Vec<(String, Grant)> {
        qs.iter()
            .filter_map(|q| allows(q).map(|g| (q.to_string(), g)))
            .collect()
    };

    // IAM-001: * on *.
    if let Some(g) = grants(&["*:*"]).pop().map(|(_, g)| g) {
        out.extend(hit(
            "IAM-001",
            Severity::Critical,
            "every action on every resource".to_string(),
            &[("*".to_string(), g)],
            &format!(
                "Replace the administrator grant with a policy that names only the actions and resources the workload uses (IAM Access Analyzer can generate one from CloudTrail), for example: {SCOPED_EXAMPLE}"
            ),
        ));
    }

    // IAM-002: a whole sensitive service, or Allow + NotAction.
    let mut whole: Vec<(String, Grant)> = Vec::new();
    for svc in SENSITIVE_SERVICES {
        whole.extend(grants(&[&format!("{svc}:*")]));
    }
    let not_action = set.allow_not_action();
    if !whole.is_empty() || !not_action.is_empty() {
        let mut services: Vec<String> = vec![brief(&whole)];
        services.retain(|s| !s.is_empty());
        if !not_action.is_empty() {
            services.push("Allow with NotAction".to_string());
        }
        let mut h = hit(
            "IAM-002",
            Severity::High,
            services.join(", "),
            &whole,
            &format!(
                "List the actions the workload calls instead of whole services or NotAction, and scope Resource to its own resources, for example: {SCOPED_EXAMPLE}"
            ),
        )
        .unwrap_or(PermissionHit {
            rule: "IAM-002",
            severity: Severity::High,
            conditional: true,
            what: services.join(", "),
            evidence: Vec::new(),
            remediation: format!(
                "Replace Allow + NotAction with an Allow that lists the actions the workload calls, for example: {SCOPED_EXAMPLE}"
            ),
        });
        let all_na_conditional = not_action.iter().all(|(s, _)| s.conditional);
        h.conditional = (whole.is_empty() || h.conditional) && all_na_conditional;
        for (s, summary) in &not_action {
            h.evidence
                .push(format!("{s} uses Allow with NotAction: {summary}"));
        }
        out.push(h);
    }

    // IAM-003: privilege escalation.
    let esc = grants(&ESCALATION_ACTIONS);
    out.extend(hit(
        "IAM-003",
        Severity::Critical,
        format!("privilege escalation ({})", brief(&esc)),
        &esc,
        "Remove these IAM actions from the workload's role; if it must pass a role, allow iam:PassRole only on that role's ARN with an iam:PassedToService condition, e.g. {\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\",\"Resource\":\"arn:aws:iam::111122223333:role/my-task-role\",\"Condition\":{\"StringEquals\":{\"iam:PassedToService\":\"ecs-tasks.amazonaws.com\"}}}",
    ));

    // IAM-004: data reads everywhere.
    let reads = grants(&DATA_READ_ACTIONS);
    out.extend(hit(
        "IAM-004",
        Severity::High,
        format!("reading data on every resource ({})", brief(&reads)),
        &reads,
        &format!("Scope Resource to the buckets, secrets, parameters, keys or tables the workload reads, for example: {SCOPED_EXAMPLE}"),
    ));

    // IAM-005: chaining into any role.
    let chain = grants(&["sts:AssumeRole"]);
    out.extend(hit(
        "IAM-005",
        Severity::Medium,
        "sts:AssumeRole on every role".to_string(),
        &chain,
        "Allow sts:AssumeRole only on the ARNs of the roles the workload must chain into, e.g. {\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::111122223333:role/target-role\"}",
    ));
    out
}

/// Classify a set of policy documents (as JSON, or URL-encoded JSON strings), as if
/// attached together to a reachable role with no boundary.
pub fn classify_documents(docs: &[(&str, &Value)]) -> Result<Vec<PermissionHit>, ParseError> {
    let mut policies = Vec::new();
    for (name, v) in docs {
        let doc = parse_document(v).map_err(|e| ParseError(format!("{name}: {e}")))?;
        policies.push(NamedPolicy {
            name: name.to_string(),
            doc: doc.into(),
        });
    }
    Ok(classify(&PermissionSet::of(policies)))
}

/// The service accounts that reach each role, by lowercase role ARN.
fn reachable<'g>(ctx: &Context<'g>) -> BTreeMap<String, Users<'g>> {
    let mut by_role: BTreeMap<String, Users<'g>> = BTreeMap::new();
    // Shared with the RBAC and PATH families: computed once per audit. Borrowed,
    // not copied.
    let links: &'g [crate::graph::reach::RoleLink] = ctx.graph.role_links();
    for l in links {
        if l.works {
            by_role
                .entry(l.role_arn.to_ascii_lowercase())
                .or_default()
                .list
                .push((l.namespace.as_str(), l.service_account.as_str(), l.via));
        }
    }
    // Roles every account obtains are one entry, not one link per account.
    for arn in ctx.graph.everyone_roles() {
        by_role
            .entry(arn.to_ascii_lowercase())
            .or_default()
            .everyone = true;
    }
    // Node roles that pods obtain through the instance metadata service
    // (NODE-001, NODE-004) are judged too.
    let reach = ctx.graph.node_reach();
    for p in &reach.pods {
        if p.reaches == Some(true)
            && let Some(role) = &reach.nodes[p.node].role
        {
            by_role
                .entry(role.to_ascii_lowercase())
                .or_default()
                .node_pods += 1;
        }
    }
    // By namespace and name, whatever order the service accounts were listed in.
    for users in by_role.values_mut() {
        users.list.sort_unstable();
    }
    by_role
}

/// What a role shares with others of the same managed policies and boundary.
fn shared_key_of(role: &IamRole) -> String {
    let mut key = String::new();
    for p in &role.attached_policies {
        key.push_str(&p.name);
        key.push('\0');
        key.push_str(&p.arn);
        key.push('\0');
    }
    if let Some(b) = &role.permissions_boundary {
        key.push('B');
        key.push_str(b);
    }
    key
}

/// A hash of a role's inline policies (names and documents).
fn inline_hash(role: &IamRole) -> u64 {
    use std::hash::{Hash, Hasher};
    fn value(v: &Value, h: &mut impl Hasher) {
        match v {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => (1u8, b).hash(h),
            Value::Number(n) => (2u8, n).hash(h),
            Value::String(s) => (3u8, s).hash(h),
            Value::Array(a) => {
                (4u8, a.len()).hash(h);
                a.iter().for_each(|x| value(x, h));
            }
            Value::Object(o) => {
                (5u8, o.len()).hash(h);
                for (k, x) in o {
                    k.hash(h);
                    value(x, h);
                }
            }
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in &role.inline_policies {
        p.name.hash(&mut h);
        value(&p.document, &mut h);
    }
    h.finish()
}

fn same_inline(a: &IamRole, b: &IamRole) -> bool {
    a.inline_policies.len() == b.inline_policies.len()
        && a.inline_policies
            .iter()
            .zip(&b.inline_policies)
            .all(|(x, y)| x.name == y.name && x.document == y.document)
}

const NINETY_DAYS_SECS: i64 = 90 * 24 * 3600;

/// IAM-006: unused for 90 days, or never used and older than 90 days.
fn unused(ctx: &Context, role: &IamRole) -> Option<String> {
    let now = ctx.opts.now;
    let older = |t: jiff::Timestamp| now.duration_since(t).as_secs() > NINETY_DAYS_SECS;
    match &role.last_used {
        Some(d) => {
            let t = parse_date(d)?;
            older(t).then(|| {
                format!(
                    "RoleLastUsed.LastUsedDate is {d}, {} days before now",
                    now.duration_since(t).as_secs() / 86_400
                )
            })
        }
        None if role.last_used_known => {
            let created = parse_date(role.created.as_deref()?)?;
            older(created).then(|| {
                format!(
                    "never used (RoleLastUsed is empty) and created {} ({} days ago)",
                    role.created.as_deref().unwrap_or(""),
                    now.duration_since(created).as_secs() / 86_400
                )
            })
        }
        None => None,
    }
}

/// The distinct service accounts of a role's users, as related subjects.
fn related_accounts(users: &Users<'_>, all: &[&ServiceAccount], limit: Option<usize>) -> Related {
    Related::sorted(
        users
            .distinct(all)
            .map(|(ns, n, _)| Subject::service_account(ns, n)),
        users.count(all),
        limit,
    )
}

/// Who obtains the role, in one line whatever their number: every account of
/// the cluster or of a namespace is said so (with the trust condition that makes
/// it so), otherwise the first few are named and the rest counted.
fn reach_line(ctx: &Context, role: &IamRole, users: &Users<'_>, all: &[&ServiceAccount]) -> String {
    let line = account_line(ctx, role, users, all);
    match (users.node_pods, line) {
        (0, Some(l)) => l,
        (n, Some(l)) => format!(
            "{l}; and through the instance metadata service by {} pod(s) on its nodes",
            fmt_count(n)
        ),
        (n, None) => format!(
            "the node role of {} pod(s), which obtain it through the instance metadata service (NODE-001/NODE-004)",
            fmt_count(n)
        ),
    }
}

/// Who obtains the role as a service account; `None` when no account does.
fn account_line(
    ctx: &Context,
    role: &IamRole,
    users: &Users<'_>,
    all: &[&ServiceAccount],
) -> Option<String> {
    if !users.everyone && users.list.is_empty() {
        return None;
    }
    Some(account_line_of(ctx, role, users, all))
}

fn account_line_of(
    ctx: &Context,
    role: &IamRole,
    users: &Users<'_>,
    all: &[&ServiceAccount],
) -> String {
    let how = |via: &Via| match via {
        Via::Irsa => "IRSA",
        Via::PodIdentity => "Pod Identity",
    };
    let mut names: Vec<String> = Vec::new();
    let mut count = 0usize;
    let mut namespaces: crate::hashing::HashSet<&str> = Default::default();
    if users.everyone {
        count = all.len();
        for (ns, n, via) in users.distinct(all).take(MAX_EXAMPLES) {
            names.push(format!("{ns}/{n} ({})", how(&via)));
        }
    } else {
        for (ns, n, via) in users.distinct(all) {
            count += 1;
            namespaces.insert(ns);
            if names.len() < MAX_EXAMPLES {
                names.push(format!("{ns}/{n} ({})", how(&via)));
            }
        }
    }
    let examples = if count > names.len() {
        format!(
            "{} and {} more",
            names.join(", "),
            fmt_count(count - names.len())
        )
    } else {
        names.join(", ")
    };
    if count <= MAX_EXAMPLES {
        return format!("reachable from service account(s) {examples}");
    }
    let all = ctx.inv.service_accounts.len();
    let why = broad_trust_reason(ctx, role);
    if count == all {
        return format!(
            "every service account of the cluster ({}) can obtain it{}: e.g. {examples}",
            fmt_count(count),
            why.map(|w| format!(" ({w})")).unwrap_or_default()
        );
    }
    if namespaces.len() == 1
        && let Some(ns) = namespaces.iter().next()
        && ctx.graph.service_account_count(ns) == count
    {
        return format!(
            "every service account of namespace {ns} ({}) can obtain it{}: e.g. {examples}",
            fmt_count(count),
            why.map(|w| format!(" ({w})")).unwrap_or_default()
        );
    }
    let most = if count * 2 > all {
        format!(" (most of the cluster's {})", fmt_count(all))
    } else {
        String::new()
    };
    format!(
        "reachable from {} service accounts{most}{}: {examples}",
        fmt_count(count),
        why.map(|w| format!(" ({w})")).unwrap_or_default()
    )
}

/// Why a role's trust admits many service accounts: its broadest `sub` scope.
fn broad_trust_reason(ctx: &Context, role: &IamRole) -> Option<String> {
    use crate::policy::trust::{SaScope, provider_statements};
    let issuer = crate::graph::reach::cluster_issuer(ctx.graph)?;
    let trust = ctx.graph.trust(role)?;
    let stmts = provider_statements(&trust, &issuer);
    let (st, scope) = stmts
        .iter()
        .filter_map(|st| st.widest().map(|w| (st, w)))
        .max_by_key(|(_, w)| match w {
            SaScope::Any { .. } => 2,
            SaScope::Namespace { .. } => 1,
            SaScope::Exact(_) => 0,
        })?;
    match scope {
        SaScope::Any { why } => Some(format!("trust {}: {why}", st.label)),
        SaScope::Namespace { pattern, .. } => {
            Some(format!("trust {}: sub is StringLike {pattern}", st.label))
        }
        SaScope::Exact(_) => None,
    }
}

/// `9,019`: counts as a person reads them.
pub(crate) fn fmt_count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    if !ctx.graph.iam_seen() {
        return;
    }
    // Tens of thousands of reachable roles in a large estate: a share per core,
    // findings joined in role order.
    let roles: Vec<_> = reachable(ctx).into_iter().collect();
    let all = ctx.graph.accounts_by_name();
    let parts = crate::par::shares(&roles, 2048, |_, part| {
        let mut v = Vec::new();
        check_roles(ctx, part, all, &mut v);
        v
    });
    out.extend(parts.into_iter().flatten());
}

/// The service accounts that obtain a role: every one of the cluster, or
/// these (sorted by namespace, name and way; an account may come twice, once
/// per way).
#[derive(Debug, Default)]
struct Users<'g> {
    everyone: bool,
    list: Vec<(&'g str, &'g str, Via)>,
    /// Pods that obtain the role as their node's, through IMDS.
    node_pods: usize,
}

impl<'g> Users<'g> {
    /// Each account once, by namespace and name, with its first way in.
    /// `all` is every service account of the cluster, sorted.
    fn distinct<'s>(
        &'s self,
        all: &'s [&'g ServiceAccount],
    ) -> Box<dyn Iterator<Item = (&'g str, &'g str, Via)> + 's> {
        if self.everyone {
            // Every account obtains it through IRSA (which sorts before Pod Identity).
            return Box::new(
                all.iter()
                    .map(|sa| (sa.namespace.as_str(), sa.name.as_str(), Via::Irsa)),
            );
        }
        let mut last: Option<(&str, &str)> = None;
        Box::new(self.list.iter().copied().filter(move |(ns, n, _)| {
            let key = (*ns, *n);
            last.replace(key) != Some(key)
        }))
    }

    fn count(&self, all: &[&ServiceAccount]) -> usize {
        if self.everyone {
            all.len()
        } else {
            self.distinct(all).count()
        }
    }
}

fn check_roles(
    ctx: &Context,
    roles: &[(String, Users<'_>)],
    all: &[&ServiceAccount],
    out: &mut Vec<Finding>,
) {
    // Roles stamped from one template share their policies: classify each set once.
    type Classified<'r> = (&'r IamRole, Vec<PermissionHit>, Vec<String>);
    let mut cache: HashMap<(String, u64), Vec<Classified>> = HashMap::default();
    // Roles with the same managed policies and boundary share the answers for
    // every action their inline policies do not mention; what each managed
    // policy and boundary says about each query is kept for every role it is
    // attached to: the cost follows distinct policies, not roles.
    let mut memo = ClassifyMemo::default();
    for (arn, users) in roles {
        let Some(role) = ctx.graph.iam_role(arn) else {
            continue;
        };
        let same = cache
            .entry((shared_key_of(role), inline_hash(role)))
            .or_default();
        let (hits, problems) = match same.iter().find(|(r, _, _)| same_inline(r, role)) {
            Some((_, hits, problems)) => (hits.clone(), problems.clone()),
            None => {
                // Managed policies (AWS's are large) are attached to many roles: parsed once.
                let set = PermissionSet::for_role_parsed(role, |arn| ctx.graph.managed_doc(arn));
                let hits = memo.classify(&set);
                same.push((role, hits.clone(), set.problems.clone()));
                (hits, set.problems)
            }
        };
        let subject = Subject::iam_role(&role.arn);
        let reach_line = reach_line(ctx, role, users, all);
        let related = related_accounts(users, all, ctx.opts.max_related);
        for h in hits {
            let mut f = Finding::new(
                h.rule,
                h.severity,
                subject.clone(),
                format!("Role {} allows {}", role.name, h.what),
            )
            .remediation(h.remediation);
            for e in h.evidence {
                f = f.evidence(e);
            }
            for p in &problems {
                f = f.evidence(format!("not evaluated: {p}"));
            }
            f = f.evidence(reach_line.clone()).with_related(&related);
            if h.conditional {
                f = f.conditional();
            }
            out.push(f);
        }
        if let Some(why) = unused(ctx, role) {
            let f = Finding::new(
                "IAM-006",
                Severity::Low,
                subject.clone(),
                format!("Role {} has not been used for 90 days", role.name),
            )
            .evidence(why)
            .evidence(reach_line.clone())
            .remediation(format!(
                "Review whether the workload still needs it; if not, remove the service account's annotation or association and delete the role (aws iam delete-role --role-name {} after detaching its policies).",
                role.name
            ))
            .with_related(&related);
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Options;
    use crate::graph::Graph;
    use crate::model::{
        AttachedPolicy, Coverage, EksCluster, IamInventory, InlinePolicy, Inventory, ManagedPolicy,
        OidcProvider, ServiceAccount, Status,
    };
    use serde_json::json;

    const ISSUER: &str = "oidc.eks.us-west-2.amazonaws.com/id/ABC";
    const ACCT: &str = "111122223333";

    fn irsa_role(name: &str, sub: &str) -> IamRole {
        IamRole {
            arn: format!("arn:aws:iam::{ACCT}:role/{name}"),
            name: name.into(),
            path: "/".into(),
            created: Some("2025-01-01T00:00:00Z".into()),
            last_used_known: true,
            trust_policy: Some(json!({"Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:oidc-provider/{ISSUER}")},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {format!("{ISSUER}:sub"): sub}}
            }]})),
            ..Default::default()
        }
    }

    fn run_on(roles: Vec<IamRole>, policies: Vec<ManagedPolicy>, now: &str) -> Vec<Finding> {
        let mut cov = Coverage::default();
        for s in [
            "aws/iam",
            "aws/oidc-providers",
            "kubernetes/serviceaccounts",
        ] {
            cov.set(s, Status::Ok, None, None);
        }
        let mut sa = ServiceAccount {
            namespace: "app".into(),
            name: "api".into(),
            ..Default::default()
        };
        sa.annotations.insert(
            crate::model::IRSA_ANNOTATION.into(),
            format!("arn:aws:iam::{ACCT}:role/reached"),
        );
        let inv = Inventory {
            account: Some(ACCT.into()),
            service_accounts: vec![sa],
            iam: IamInventory {
                roles,
                policies,
                ..Default::default()
            },
            oidc_providers: vec![OidcProvider {
                arn: format!("arn:aws:iam::{ACCT}:oidc-provider/{ISSUER}"),
                url: ISSUER.into(),
                client_ids: vec!["sts.amazonaws.com".into()],
                thumbprints: vec![],
            }],
            cluster: Some(EksCluster {
                name: "prod".into(),
                oidc_issuer: Some(format!("https://{ISSUER}")),
                ..Default::default()
            }),
            coverage: cov,
            ..Default::default()
        };
        let g = Graph::build(&inv);
        let opts = Options {
            now: now.parse().unwrap_or_else(|e| panic!("{e}")),
            ..Options::default()
        };
        let ctx = Context {
            inv: &inv,
            graph: &g,
            opts: &opts,
        };
        let mut out = Vec::new();
        check(&ctx, &mut out);
        out
    }

    #[test]
    fn only_reachable_roles_and_effective_permissions() {
        let admin = ManagedPolicy {
            arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
            name: "AdministratorAccess".into(),
            document: Some(
                json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
            ),
            ..Default::default()
        };
        let boundary = ManagedPolicy {
            arn: format!("arn:aws:iam::{ACCT}:policy/s3-only"),
            name: "s3-only".into(),
            // URL-encoded, as the raw API returns documents.
            document: Some(Value::String(
                "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D".into(),
            )),
            ..Default::default()
        };
        let mut reached = irsa_role("reached", "system:serviceaccount:app:api");
        reached.attached_policies.push(AttachedPolicy {
            name: "AdministratorAccess".into(),
            arn: admin.arn.clone(),
        });
        reached.permissions_boundary = Some(boundary.arn.clone());
        reached.inline_policies.push(InlinePolicy {
            name: "deny-kms".into(),
            document: json!({"Statement": {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}}),
        });
        let mut unreached = irsa_role("unreached", "system:serviceaccount:other:x");
        unreached.attached_policies.push(AttachedPolicy {
            name: "AdministratorAccess".into(),
            arn: admin.arn.clone(),
        });
        let out = run_on(
            vec![reached, unreached],
            vec![admin, boundary],
            "2025-02-01T00:00:00Z",
        );
        let got: Vec<String> = out
            .iter()
            .map(|f| format!("{} {} {}", f.rule, f.severity, f.subject.display_name()))
            .collect();
        // The boundary keeps only s3: no IAM-001/003/005; s3:* and s3:GetObject remain.
        assert_eq!(
            got,
            [
                "IAM-002 high arn:aws:iam::111122223333:role/reached",
                "IAM-004 high arn:aws:iam::111122223333:role/reached",
            ],
            "{out:#?}"
        );
        assert!(
            out[0]
                .related
                .contains(&Subject::service_account("app", "api"))
        );
    }

    #[test]
    fn answers_shared_between_roles_match_each_role_judged_alone() {
        let broad = ManagedPolicy {
            arn: format!("arn:aws:iam::{ACCT}:policy/broad"),
            name: "broad".into(),
            document: Some(json!({"Statement": [
                {"Effect": "Allow", "Action": ["s3:Get*", "kms:Decrypt", "ssm:GetParameter*"], "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                 "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}
            ]})),
            ..Default::default()
        };
        let inline = |name: &str, doc: Value| InlinePolicy {
            name: name.into(),
            document: doc,
        };
        let deny_kms = json!({"Statement": {"Effect": "Deny", "Action": "kms:*", "Resource": "*"}});
        let variants: Vec<Vec<InlinePolicy>> = vec![
            vec![],
            vec![inline("deny-kms", deny_kms.clone())],
            // The same inline policy again: answered from the cache.
            vec![inline("deny-kms", deny_kms)],
            vec![inline(
                "pass",
                json!({"Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}}),
            )],
            vec![inline(
                "not",
                json!({"Statement": {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}}),
            )],
            vec![inline(
                "star",
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
            )],
            vec![inline(
                "other",
                json!({"Statement": {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}}),
            )],
        ];
        let roles: Vec<IamRole> = variants
            .into_iter()
            .enumerate()
            .map(|(i, inline_policies)| {
                let mut r = irsa_role(&format!("r{i}"), "system:serviceaccount:app:api");
                r.attached_policies.push(AttachedPolicy {
                    name: "broad".into(),
                    arn: broad.arn.clone(),
                });
                r.inline_policies = inline_policies;
                r
            })
            .collect();
        let out = run_on(roles.clone(), vec![broad.clone()], "2025-02-01T00:00:00Z");
        for role in &roles {
            let alone = classify(&PermissionSet::for_role(role, |a| {
                (a == broad.arn).then_some(&broad)
            }));
            let want: Vec<(&str, &str, bool)> = alone
                .iter()
                .map(|h| (h.rule, h.what.as_str(), h.conditional))
                .collect();
            let got: Vec<(&str, String, bool)> = out
                .iter()
                .filter(|f| f.subject == Subject::iam_role(&role.arn) && f.rule != "IAM-006")
                .map(|f| {
                    let what = f.title.split(" allows ").nth(1).unwrap_or("").to_string();
                    (f.rule, what, f.conditional)
                })
                .collect();
            let got: Vec<(&str, &str, bool)> =
                got.iter().map(|(r, w, c)| (*r, w.as_str(), *c)).collect();
            assert_eq!(got, want, "{}", role.name);
        }
        let rules = |name: &str| -> Vec<&str> {
            out.iter()
                .filter(|f| f.subject.display_name().ends_with(&format!("/{name}")))
                .map(|f| f.rule)
                .collect()
        };
        assert_eq!(rules("r0"), ["IAM-003", "IAM-004"]);
        assert_eq!(rules("r1"), rules("r2"));
        assert_eq!(
            rules("r5"),
            ["IAM-001", "IAM-002", "IAM-003", "IAM-004", "IAM-005"]
        );
    }

    #[test]
    fn unused_for_90_days() {
        let mut never = irsa_role("reached", "system:serviceaccount:app:api");
        never.last_used = None;
        let out = run_on(vec![never.clone()], vec![], "2025-06-01T00:00:00Z");
        assert!(out.iter().any(|f| f.rule == "IAM-006"), "{out:#?}");
        let out = run_on(vec![never.clone()], vec![], "2025-02-01T00:00:00Z");
        assert!(!out.iter().any(|f| f.rule == "IAM-006"), "{out:#?}");
        let mut recent = never.clone();
        recent.last_used = Some("2025-05-20T00:00:00Z".into());
        assert!(
            !run_on(vec![recent.clone()], vec![], "2025-06-01T00:00:00Z")
                .iter()
                .any(|f| f.rule == "IAM-006")
        );
        assert!(
            run_on(vec![recent], vec![], "2025-09-01T00:00:00Z")
                .iter()
                .any(|f| f.rule == "IAM-006")
        );
        let mut unknown = never;
        unknown.last_used_known = false;
        assert!(
            !run_on(vec![unknown], vec![], "2026-06-01T00:00:00Z")
                .iter()
                .any(|f| f.rule == "IAM-006")
        );
    }

    fn rules(v: Value) -> Vec<(&'static str, bool)> {
        classify_documents(&[("p", &v)])
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|h| (h.rule, h.conditional))
            .collect()
    }

    #[test]
    fn classification_table() {
        let cases: Vec<(Value, Vec<(&str, bool)>)> = vec![
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
                vec![
                    ("IAM-001", false),
                    ("IAM-002", false),
                    ("IAM-003", false),
                    ("IAM-004", false),
                    ("IAM-005", false),
                ],
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::bucket/*"]}}),
                vec![],
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}}),
                vec![("IAM-002", false), ("IAM-004", false)],
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}}),
                vec![("IAM-003", true)],
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/x"}}),
                vec![],
            ),
            (
                json!({"Statement": {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}}),
                vec![("IAM-002", false), ("IAM-004", false), ("IAM-005", false)],
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}}),
                vec![("IAM-005", false)],
            ),
            (
                json!({"Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Effect": "Deny", "Action": "*", "Resource": "*"}
                ]}),
                vec![],
            ),
        ];
        for (doc, want) in cases {
            assert_eq!(rules(doc.clone()), want, "{doc}");
        }
    }
}
