//! Which IAM roles the cluster's service accounts can actually obtain.
//!
//! Three ways in: an IRSA annotation, a trust so broad that it admits an
//! existing service account nobody annotated (its pods can still request a
//! web-identity token and call STS), and an EKS Pod Identity association.
//! The IAM rules judge exactly the roles that some link here `works` for; the
//! PATH rule follows these links from Kubernetes subjects to AWS.

use crate::hashing::{HashMap, HashSet};
use std::sync::Arc;

use super::{Graph, ProviderState};
use crate::model::{IamRole, Inventory, PodIdentityAssociation, RoleArn, ServiceAccount};
use crate::policy::iam::{Condition, Operator, PolicyDocument};
use crate::policy::trust::{
    PodIdentity, ProviderTrust, SaScope, TrustAnswer, WebIdentity, check_pod_identity,
    check_web_identity, provider_statements, scope_admits,
};

/// How a service account obtains a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    Irsa,
    PodIdentity,
}

/// One (service account, IAM role) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLink {
    pub namespace: String,
    pub service_account: String,
    /// The role's ARN as IAM returns it (with its path) when the role is known,
    /// else as the annotation or association wrote it.
    pub role_arn: String,
    pub via: Via,
    /// The role exists and its trust admits this service account. Where that cannot
    /// be verified it counts as working (the safe side for an audit): a trust that
    /// hinges on an undecidable condition, IAM not collected, a role in an account
    /// that was not audited. It is false when the role is known to be missing, the
    /// trust is known to refuse, or the cluster's OIDC provider is known to be
    /// missing or to refuse the audience.
    pub works: bool,
}

/// The audited account: STS's answer, else the one account all collected IAM roles
/// and users belong to (a snapshot without `sts-caller-identity.json`).
pub fn audited_account(inv: &Inventory) -> Option<String> {
    if let Some(a) = &inv.account {
        return Some(a.clone());
    }
    let mut accounts = inv
        .iam
        .roles
        .iter()
        .map(|r| r.arn.as_str())
        .chain(inv.iam.users.iter().map(|u| u.arn.as_str()))
        .filter_map(|arn| crate::model::Arn::parse(arn).ok().map(|a| a.account));
    let first = accounts.next()?;
    accounts.all(|a| a == first).then_some(first)
}

/// The role an annotation or association names ([`Graph::iam_role_for`], also by
/// name when only [`audited_account`] knows the account).
pub fn find_role<'a>(inv: &Inventory, graph: &Graph<'a>, arn: &RoleArn) -> Option<&'a IamRole> {
    graph.iam_role_for(arn).or_else(|| {
        if inv.account.is_none() && audited_account(inv).as_deref() == Some(arn.account.as_str()) {
            graph.iam_role_named(&arn.name)
        } else {
            None
        }
    })
}

/// A role that is not in the inventory but might exist: IAM was not collected, or
/// the role is in an account that was not audited.
fn unverifiable(inv: &Inventory, graph: &Graph, arn: &RoleArn) -> bool {
    !graph.iam_seen() || audited_account(inv).as_deref() != Some(arn.account.as_str())
}

/// The cluster's OIDC issuer host (`oidc.eks.…/id/X`), when the cluster was described.
pub fn cluster_issuer(graph: &Graph) -> Option<String> {
    graph.cluster().and_then(|c| c.issuer_host())
}

/// The ARN of the cluster's OIDC provider as a role in `role_arn`'s account names it:
/// the real provider when it was collected, else the ARN IAM would give it.
pub fn provider_arn_for(graph: &Graph, issuer: &str, role_arn: &str) -> String {
    let (partition, account) = match RoleArn::parse(role_arn) {
        Ok(r) => (r.partition, r.account),
        Err(_) => (
            "aws".to_string(),
            graph.account().unwrap_or("000000000000").to_string(),
        ),
    };
    if let Some(p) = graph.provider_for_issuer(issuer)
        && crate::model::Arn::parse(&p.arn).is_ok_and(|a| a.account == account)
    {
        return p.arn.clone();
    }
    format!("arn:{partition}:iam::{account}:oidc-provider/{issuer}")
}

/// Whether the cluster's provider accepts tokens for this audience:
/// `None` when that cannot be said (issuer or providers not collected).
pub fn provider_accepts(graph: &Graph, audience: &str) -> Option<bool> {
    match graph.provider_state() {
        ProviderState::UnknownIssuer | ProviderState::ProvidersNotSeen { .. } => None,
        ProviderState::Missing { .. } => Some(false),
        ProviderState::NoStsAudience { provider, .. } | ProviderState::Ok { provider, .. } => {
            Some(provider.client_ids.iter().any(|c| c == audience))
        }
    }
}

/// A role's trust policy, parsed once per audit; `None` when not collected or not parseable.
pub fn trust_of(graph: &Graph, role: &IamRole) -> Option<Arc<PolicyDocument>> {
    graph.trust(role)
}

/// Evaluate IRSA for a service account and role; `None` when the cluster's issuer is unknown.
pub fn irsa_answer(
    graph: &Graph,
    role: &IamRole,
    trust: &PolicyDocument,
    sa: &ServiceAccount,
) -> Option<TrustAnswer> {
    let issuer = cluster_issuer(graph)?;
    let provider = provider_arn_for(graph, &issuer, &role.arn);
    Some(check_web_identity(
        trust,
        &WebIdentity {
            provider_arn: &provider,
            issuer: &issuer,
            namespace: &sa.namespace,
            name: &sa.name,
            audience: sa.audience(),
        },
    ))
}

/// Evaluates one role's trust for many service accounts. The web-identity
/// request differs from one account to the next only in `<issuer>:sub` and
/// `<issuer>:aud`; when every condition on `sub` is a plain string test
/// (StringEquals/Like and their negations, no policy variable), the answer
/// depends only on the audience and on which of those tests the subject
/// passes, so it is computed once per such combination: a trust that admits
/// every account (or no `sub` at all) costs a few string matches per account,
/// not an evaluation.
pub struct IrsaChecker<'t> {
    trust: &'t PolicyDocument,
    issuer: String,
    provider: String,
    /// The trust's conditions on `sub`, when each is a plain string test.
    sub_tests: Option<Vec<&'t Condition>>,
    /// Their StringLike values as match tokens, made once.
    like_tokens: Vec<Vec<Vec<crate::policy::actions::Tok>>>,
    /// Answers by the tests passed, then audience.
    memo: HashMap<u64, Vec<(String, Admits)>>,
    /// The subject being tested (reused, not allocated per account).
    sub: String,
}

/// A trust's answer for one account, without the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admits {
    Yes,
    No,
    Undecided,
}

impl<'t> IrsaChecker<'t> {
    /// `None` when the cluster's issuer is unknown.
    pub fn new(
        graph: &Graph,
        role: &IamRole,
        trust: &'t PolicyDocument,
    ) -> Option<IrsaChecker<'t>> {
        let issuer = cluster_issuer(graph)?;
        let provider = provider_arn_for(graph, &issuer, &role.arn);
        let sub_key = format!("{issuer}:sub");
        let conditions = || trust.statements.iter().flat_map(|s| &s.conditions);
        let variables = conditions().any(|c| c.values.iter().any(|v| v.contains("${")));
        let tests: Vec<&Condition> = conditions().filter(|c| c.is_key(&sub_key)).collect();
        let plain = tests.len() <= 64
            && tests.iter().all(|c| {
                c.set.is_none()
                    && matches!(
                        c.op,
                        Operator::StringEquals
                            | Operator::StringNotEquals
                            | Operator::StringEqualsIgnoreCase
                            | Operator::StringNotEqualsIgnoreCase
                            | Operator::StringLike
                            | Operator::StringNotLike
                    )
            });
        let like_tokens = tests
            .iter()
            .map(|c| {
                c.values
                    .iter()
                    .map(|v| crate::policy::actions::tokens(v, false))
                    .collect()
            })
            .collect();
        Some(IrsaChecker {
            trust,
            issuer,
            provider,
            sub_tests: (!variables && plain).then_some(tests),
            like_tokens,
            memo: HashMap::default(),
            sub: String::new(),
        })
    }

    /// Whether every existing service account passes the same `sub` tests: no
    /// test at all, or each one has a value that matches any account's subject
    /// (`system:serviceaccount:*:*`, `*`). The answer then depends on the
    /// audience alone.
    fn sub_constant(&self) -> bool {
        self.sub_tests.as_ref().is_some_and(|tests| {
            tests.iter().all(|c| {
                matches!(c.op, Operator::StringLike | Operator::StringNotLike)
                    && c.values.iter().any(|v| matches_every_account(v))
            })
        })
    }

    fn admits(&mut self, sa: &ServiceAccount) -> Admits {
        let aud = sa.audience();
        let evaluate = |me: &Self| match check_web_identity(
            me.trust,
            &WebIdentity {
                provider_arn: &me.provider,
                issuer: &me.issuer,
                namespace: &sa.namespace,
                name: &sa.name,
                audience: aud,
            },
        ) {
            TrustAnswer::Allowed { .. } => Admits::Yes,
            TrustAnswer::Denied { .. } => Admits::No,
            TrustAnswer::Undecided { .. } => Admits::Undecided,
        };
        let Some(tests) = &self.sub_tests else {
            return evaluate(self);
        };
        // Which of the sub tests the subject passes (before negation).
        self.sub.clear();
        for part in ["system:serviceaccount:", &sa.namespace, ":", &sa.name] {
            self.sub.push_str(part);
        }
        let sub = self.sub.as_str();
        let mut bits = 0u64;
        for (i, c) in tests.iter().enumerate() {
            let hit = match c.op {
                Operator::StringLike | Operator::StringNotLike => self.like_tokens[i]
                    .iter()
                    .any(|t| crate::policy::actions::match_tokens(t, sub, false)),
                Operator::StringEqualsIgnoreCase | Operator::StringNotEqualsIgnoreCase => c
                    .values
                    .iter()
                    .any(|v| v.to_lowercase() == sub.to_lowercase()),
                _ => c.values.iter().any(|v| v == sub),
            };
            if hit {
                bits |= 1 << i;
            }
        }
        if let Some(a) = self
            .memo
            .get(&bits)
            .and_then(|v| v.iter().find(|(x, _)| x == aud))
        {
            return a.1;
        }
        let a = evaluate(self);
        self.memo
            .entry(bits)
            .or_default()
            .push((aud.to_string(), a));
        a
    }

    /// Whether the trust admits this service account (`Undecided` counts as not, here).
    pub fn allows(&mut self, sa: &ServiceAccount) -> bool {
        self.admits(sa) == Admits::Yes
    }

    /// Whether the trust may admit it (allowed or undecided).
    pub fn may_allow(&mut self, sa: &ServiceAccount) -> bool {
        self.admits(sa) != Admits::No
    }
}

/// A StringLike pattern that every service account's subject
/// (`system:serviceaccount:NS:NAME`, with no `:` in NS or NAME) matches.
fn matches_every_account(pattern: &str) -> bool {
    matches!(
        pattern,
        "*" | "system:*" | "system:serviceaccount:*" | "system:serviceaccount:*:*"
    )
}

/// Who obtains which role: one link per (service account, role) pair, except
/// for the roles whose trust admits every service account of the cluster
/// through IRSA, which are listed once in `everyone` instead of once per
/// account (a few dozen such roles in a cluster of 50,000 accounts would
/// otherwise be millions of links).
#[derive(Debug, Clone, Default)]
pub struct RoleLinks {
    /// Annotations, Pod Identity associations, and the accounts other trusts admit.
    /// An annotated account keeps its own link even to a role in `everyone`.
    pub links: Vec<RoleLink>,
    /// Roles (their ARNs as IAM returns them) that every existing service
    /// account obtains through IRSA, in role order.
    pub everyone: Vec<String>,
    /// The same, lowercased, for lookups (asked once per role or link).
    everyone_lower: HashSet<String>,
}

impl RoleLinks {
    pub fn new(links: Vec<RoleLink>, everyone: Vec<String>) -> RoleLinks {
        let everyone_lower = everyone.iter().map(|a| a.to_ascii_lowercase()).collect();
        RoleLinks {
            links,
            everyone,
            everyone_lower,
        }
    }

    /// Whether a role is one that every service account obtains (any letter case).
    pub fn is_everyones(&self, arn: &str) -> bool {
        !self.everyone.is_empty() && self.everyone_lower.contains(&arn.to_ascii_lowercase())
    }
}

/// The Pod Identity request context of an association.
pub fn pod_identity_of<'a>(graph: &'a Graph, a: &'a PodIdentityAssociation) -> PodIdentity<'a> {
    let cluster = graph.cluster();
    let cluster_arn = cluster.and_then(|c| c.arn.as_deref());
    let account = cluster_arn
        .and_then(|arn| arn.split(':').nth(4))
        .filter(|s| !s.is_empty())
        .or(graph.account());
    PodIdentity {
        account,
        cluster_arn,
        cluster_name: a
            .cluster_name
            .as_deref()
            .or(cluster.map(|c| c.name.as_str())),
        namespace: &a.namespace,
        service_account: &a.service_account,
        session_tags: !a.disable_session_tags,
    }
}

/// Service accounts by subject and by namespace, so that a trust's scopes are
/// resolved without scanning every account for every role.
pub struct SaIndex<'a> {
    all: Vec<(String, &'a ServiceAccount)>,
    by_sub: HashMap<String, usize>,
    by_ns: HashMap<&'a str, Vec<usize>>,
    /// One account per audience, with how many use it.
    audiences: Vec<(&'a ServiceAccount, usize)>,
}

impl<'a> SaIndex<'a> {
    pub fn new(inv: &'a Inventory) -> SaIndex<'a> {
        let mut idx = SaIndex {
            all: Vec::with_capacity(inv.service_accounts.len()),
            by_sub: HashMap::default(),
            by_ns: HashMap::default(),
            audiences: Vec::new(),
        };
        let mut audiences: HashMap<&str, usize> = HashMap::default();
        for (i, sa) in inv.service_accounts.iter().enumerate() {
            let sub = sa.username();
            idx.by_sub.insert(sub.clone(), i);
            idx.by_ns.entry(sa.namespace.as_str()).or_default().push(i);
            idx.all.push((sub, sa));
            match audiences.get(sa.audience()) {
                Some(&k) => idx.audiences[k].1 += 1,
                None => {
                    audiences.insert(sa.audience(), idx.audiences.len());
                    idx.audiences.push((sa, 1));
                }
            }
        }
        idx
    }

    /// How many distinct accounts there are.
    pub fn len(&self) -> usize {
        self.by_sub.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_sub.is_empty()
    }

    /// The existing service accounts a scope admits.
    pub fn admitted(&self, scope: &SaScope) -> Vec<&'a ServiceAccount> {
        match scope {
            SaScope::Any { .. } => self.all.iter().map(|(_, sa)| *sa).collect(),
            SaScope::Exact(values) => values
                .iter()
                .filter_map(|v| self.by_sub.get(v))
                .map(|&i| self.all[i].1)
                .collect(),
            SaScope::Namespace { namespace, .. } => self
                .by_ns
                .get(namespace.as_str())
                .map(|v| v.as_slice())
                .unwrap_or(&[])
                .iter()
                .map(|&i| &self.all[i])
                .filter(|(sub, _)| scope_admits(scope, sub))
                .map(|(_, sa)| *sa)
                .collect(),
        }
    }
}

/// The existing service accounts any of these statements admits, each once.
fn candidates<'a>(index: &SaIndex<'a>, stmts: &[ProviderTrust]) -> Vec<&'a ServiceAccount> {
    // A scope that admits any account makes the others moot.
    if stmts
        .iter()
        .flat_map(|st| &st.scopes)
        .any(|sc| matches!(sc, SaScope::Any { .. }))
    {
        return index.admitted(&SaScope::Any { why: String::new() });
    }
    let mut seen = HashSet::default();
    let mut out = Vec::new();
    for st in stmts {
        for sc in &st.scopes {
            for sa in index.admitted(sc) {
                if seen.insert((sa.namespace.as_str(), sa.name.as_str())) {
                    out.push(sa);
                }
            }
        }
    }
    out
}

pub fn role_links(inv: &Inventory, graph: &Graph) -> RoleLinks {
    let mut out = Vec::new();
    let mut everyone: Vec<String> = Vec::new();
    let mut seen: HashSet<(String, String, String, Via)> = HashSet::default();
    let mut push = |out: &mut Vec<RoleLink>, link: RoleLink| {
        let key = (
            link.namespace.clone(),
            link.service_account.clone(),
            link.role_arn.to_ascii_lowercase(),
            link.via,
        );
        if seen.insert(key) {
            out.push(link);
        }
    };

    // 1. IRSA annotations.
    for sa in &inv.service_accounts {
        if let Some(link) = annotation_link(inv, graph, sa) {
            push(&mut out, link);
        }
    }

    // 2. Existing service accounts a role's trust admits without an annotation.
    // Every role of the account is read: a share of them per core, the links
    // recorded in role order. A role that admits every account is recorded once.
    if let Some(issuer) = cluster_issuer(graph) {
        let index = SaIndex::new(inv);
        let parts = crate::par::shares(&inv.iam.roles, 2048, |_, part| {
            trust_links(graph, &index, &issuer, part)
        });
        for (links, all) in parts.into_iter().flatten() {
            for l in links {
                push(&mut out, l);
            }
            everyone.extend(all);
        }
    }

    // 3. Pod Identity associations.
    let cluster_name = graph.cluster().map(|c| c.name.as_str());
    for a in &inv.pod_identity_associations {
        if let Some(link) = association_link(inv, graph, cluster_name, a) {
            push(&mut out, link);
        }
    }
    RoleLinks::new(out, everyone)
}

/// The link a service account's IRSA annotation makes, and whether it works
/// (`None` when there is no annotation or it is not a role ARN).
fn annotation_link(inv: &Inventory, graph: &Graph, sa: &ServiceAccount) -> Option<RoleLink> {
    let ann = sa.irsa_annotation()?;
    let Ok(arn) = RoleArn::parse(ann) else {
        return None;
    };
    let role = find_role(inv, graph, &arn);
    let works = match role {
        None => {
            unverifiable(inv, graph, &arn) && provider_accepts(graph, sa.audience()) != Some(false)
        }
        Some(r) => {
            let trust_ok = match trust_of(graph, r) {
                None => true,
                Some(t) => !matches!(
                    irsa_answer(graph, r, &t, sa),
                    Some(TrustAnswer::Denied { .. })
                ),
            };
            trust_ok && provider_accepts(graph, sa.audience()) != Some(false)
        }
    };
    Some(RoleLink {
        namespace: sa.namespace.clone(),
        service_account: sa.name.clone(),
        role_arn: role
            .map(|r| r.arn.clone())
            .unwrap_or_else(|| arn.to_string()),
        via: Via::Irsa,
        works,
    })
}

/// A working IRSA link of an existing service account to a role whose trust admits it.
fn trust_link(sa: &ServiceAccount, role: &IamRole) -> RoleLink {
    RoleLink {
        namespace: sa.namespace.clone(),
        service_account: sa.name.clone(),
        role_arn: role.arn.clone(),
        via: Via::Irsa,
        works: true,
    }
}

/// For one share of the roles, in order: the accounts each role's trust
/// admits, or its ARN alone when it admits every account.
fn trust_links(
    graph: &Graph,
    index: &SaIndex,
    issuer: &str,
    roles: &[IamRole],
) -> Vec<(Vec<RoleLink>, Option<String>)> {
    let mut found = Vec::new();
    for role in roles {
        if let Some(f) = role_trust_links(graph, index, issuer, role) {
            found.push(f);
        }
    }
    found
}

/// The existing accounts one role's trust admits (`None` when it trusts
/// the cluster's provider for none of them, or not at all).
fn role_trust_links(
    graph: &Graph,
    index: &SaIndex,
    issuer: &str,
    role: &IamRole,
) -> Option<(Vec<RoleLink>, Option<String>)> {
    let trust = trust_of(graph, role)?;
    let stmts = provider_statements(&trust, issuer);
    if stmts.is_empty() {
        return None;
    }
    let mut checker = IrsaChecker::new(graph, role, &trust)?;
    let cands = candidates(index, &stmts);
    let whole = !index.is_empty() && cands.len() == index.len();
    if whole && checker.sub_constant() {
        // Every account passes the same sub tests: one answer per audience.
        let mut yes: HashSet<&str> = HashSet::default();
        for (rep, _) in &index.audiences {
            if provider_accepts(graph, rep.audience()) != Some(false) && checker.allows(rep) {
                yes.insert(rep.audience());
            }
        }
        if yes.len() == index.audiences.len() {
            return Some((Vec::new(), Some(role.arn.clone())));
        } else if !yes.is_empty() {
            let links = cands
                .iter()
                .filter(|sa| yes.contains(sa.audience()))
                .map(|sa| trust_link(sa, role))
                .collect();
            return Some((links, None));
        }
        return None;
    }
    let mut links = Vec::new();
    for sa in &cands {
        if provider_accepts(graph, sa.audience()) == Some(false) {
            continue;
        }
        if checker.allows(sa) {
            links.push(trust_link(sa, role));
        }
    }
    if whole && links.len() == cands.len() {
        Some((Vec::new(), Some(role.arn.clone())))
    } else {
        Some((links, None))
    }
}

/// The link a Pod Identity association of this cluster makes, and whether it
/// works (`None` for another cluster's association).
fn association_link(
    inv: &Inventory,
    graph: &Graph,
    cluster_name: Option<&str>,
    a: &PodIdentityAssociation,
) -> Option<RoleLink> {
    if let (Some(mine), Some(theirs)) = (cluster_name, a.cluster_name.as_deref())
        && mine != theirs
    {
        return None;
    }
    let role = RoleArn::parse(&a.role_arn)
        .ok()
        .and_then(|arn| find_role(inv, graph, &arn));
    let sa_exists = graph
        .service_account(&a.namespace, &a.service_account)
        .is_some();
    let works = match role {
        None => {
            sa_exists && RoleArn::parse(&a.role_arn).is_ok_and(|arn| unverifiable(inv, graph, &arn))
        }
        Some(r) => {
            sa_exists
                && match trust_of(graph, r) {
                    None => true,
                    Some(t) => !matches!(
                        check_pod_identity(&t, &pod_identity_of(graph, a)),
                        TrustAnswer::Denied { .. }
                    ),
                }
        }
    };
    Some(RoleLink {
        namespace: a.namespace.clone(),
        service_account: a.service_account.clone(),
        role_arn: role
            .map(|r| r.arn.clone())
            .unwrap_or_else(|| a.role_arn.clone()),
        via: Via::PodIdentity,
        works,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Coverage, EksCluster, IamInventory, OidcProvider, ServiceAccount, Status};
    use serde_json::json;

    const ISSUER: &str = "oidc.eks.us-west-2.amazonaws.com/id/ABC";

    fn sa(ns: &str, name: &str, role: Option<&str>) -> ServiceAccount {
        let mut s = ServiceAccount {
            namespace: ns.into(),
            name: name.into(),
            ..Default::default()
        };
        if let Some(r) = role {
            s.annotations
                .insert(crate::model::IRSA_ANNOTATION.into(), r.into());
        }
        s
    }

    fn role(name: &str, sub_op: &str, sub: &str) -> IamRole {
        IamRole {
            arn: format!("arn:aws:iam::111122223333:role/{name}"),
            name: name.into(),
            path: "/".into(),
            trust_policy: Some(json!({"Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::111122223333:oidc-provider/{ISSUER}")},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {sub_op: {format!("{ISSUER}:sub"): sub}}
            }]})),
            ..Default::default()
        }
    }

    /// The checker's shortcut (one evaluation per audience and set of `sub`
    /// tests passed) gives the answer of a full evaluation for every account.
    #[test]
    fn checker_answers_as_a_full_evaluation() {
        let provider = format!("arn:aws:iam::111122223333:oidc-provider/{ISSUER}");
        let sub = format!("{ISSUER}:sub");
        let aud = format!("{ISSUER}:aud");
        let trusts = [
            json!({"StringLike": {&sub: "system:serviceaccount:*:*"}}),
            json!({"StringEquals": {&aud: "sts.amazonaws.com"}}),
            json!({"StringLike": {&sub: ["system:serviceaccount:team-*:*", "system:serviceaccount:ops:a?"]},
                   "StringEquals": {&aud: "sts.amazonaws.com"}}),
            json!({"StringNotLike": {&sub: "system:serviceaccount:kube-system:*"}}),
            json!({"StringEqualsIgnoreCase": {&sub: "system:serviceaccount:OPS:A1"}}),
            json!({"StringEquals": {&sub: ["system:serviceaccount:ops:a1", "system:serviceaccount:team-b:x"]},
                   "StringNotEquals": {&sub: "system:serviceaccount:team-b:x"}}),
            json!({"StringLike": {&sub: "system:serviceaccount:${aws:username}:*"}}),
            json!({"ForAnyValue:StringLike": {&sub: "system:serviceaccount:team-*:*"}}),
        ];
        let mut accounts = Vec::new();
        for ns in ["team-a", "team-b", "ops", "kube-system", "OPS"] {
            for name in ["a1", "ab", "x", "default"] {
                let mut s = sa(ns, name, None);
                if name == "x" {
                    s.annotations.insert(
                        crate::model::AUDIENCE_ANNOTATION.into(),
                        "other-audience".into(),
                    );
                }
                accounts.push(s);
            }
        }
        let mut inv = Inventory {
            cluster: Some(EksCluster {
                name: "prod".into(),
                oidc_issuer: Some(format!("https://{ISSUER}")),
                ..Default::default()
            }),
            ..Default::default()
        };
        inv.service_accounts = accounts.clone();
        let g = Graph::build(&inv);
        for (i, cond) in trusts.iter().enumerate() {
            let doc = crate::policy::iam::parse_document(&json!({"Statement": [
                {"Effect": "Allow", "Principal": {"Federated": &provider},
                 "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond},
                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringLike": {&sub: "system:serviceaccount:team-b:*"}}}
            ]}))
            .unwrap_or_else(|e| panic!("{e}"));
            let r = IamRole {
                arn: "arn:aws:iam::111122223333:role/r".into(),
                name: "r".into(),
                ..Default::default()
            };
            let mut checker = IrsaChecker::new(&g, &r, &doc).expect("issuer");
            for a in &accounts {
                let full = irsa_answer(&g, &r, &doc, a).expect("issuer");
                assert_eq!(
                    checker.allows(a),
                    full.is_allowed(),
                    "trust {i} {}/{}: {full:?}",
                    a.namespace,
                    a.name
                );
                assert_eq!(
                    checker.may_allow(a),
                    !matches!(full, TrustAnswer::Denied { .. }),
                    "trust {i} {}/{}: {full:?}",
                    a.namespace,
                    a.name
                );
            }
        }
    }

    #[test]
    fn links_include_broad_trust() {
        let mut cov = Coverage::default();
        cov.set("aws/iam", Status::Ok, None, None);
        cov.set("aws/oidc-providers", Status::Ok, None, None);
        let inv = Inventory {
            account: Some("111122223333".into()),
            service_accounts: vec![
                sa("a", "app", Some("arn:aws:iam::111122223333:role/exact")),
                sa("a", "other", None),
                sa("b", "x", None),
                sa("a", "wrong", Some("arn:aws:iam::111122223333:role/exact")),
            ],
            iam: IamInventory {
                roles: vec![
                    role("exact", "StringEquals", "system:serviceaccount:a:app"),
                    role("ns-a", "StringLike", "system:serviceaccount:a:*"),
                ],
                ..Default::default()
            },
            oidc_providers: vec![OidcProvider {
                arn: format!("arn:aws:iam::111122223333:oidc-provider/{ISSUER}"),
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
        let links = role_links(&inv, &g);
        let works: Vec<(String, String, bool)> = links
            .links
            .iter()
            .map(|l| {
                (
                    format!("{}/{}", l.namespace, l.service_account),
                    l.role_arn.rsplit('/').next().unwrap_or("").to_string(),
                    l.works,
                )
            })
            .collect();
        assert!(
            works.contains(&("a/app".into(), "exact".into(), true)),
            "{works:?}"
        );
        assert!(
            works.contains(&("a/wrong".into(), "exact".into(), false)),
            "{works:?}"
        );
        assert!(
            works.contains(&("a/other".into(), "ns-a".into(), true)),
            "{works:?}"
        );
        assert!(
            works.contains(&("a/app".into(), "ns-a".into(), true)),
            "{works:?}"
        );
        assert!(!works.iter().any(|w| w.0 == "b/x"), "{works:?}");

        // Without IAM, an annotation cannot be verified: it counts as working.
        let mut blind = inv.clone();
        blind.coverage = Coverage::default();
        blind.iam = IamInventory::default();
        let g = Graph::build(&blind);
        let links = role_links(&blind, &g);
        assert!(
            links
                .links
                .iter()
                .filter(|l| l.via == Via::Irsa)
                .all(|l| l.works),
            "{links:?}"
        );
    }
}
