//! Trust policies: can this service account assume this role?
//!
//! Two request contexts are built here and evaluated with [`super::iam`]:
//! IRSA's web identity (`sts:AssumeRoleWithWebIdentity` from the cluster's IAM
//! OIDC provider, with `<issuer>:sub` and `<issuer>:aud`) and EKS Pod Identity
//! (`pods.eks.amazonaws.com` calling `sts:AssumeRole` and `sts:TagSession` with
//! the association's session tags). Answers name the statement that allowed,
//! or the part that failed, or the condition that could not be decided.
//!
//! [`provider_statements`] is the symbolic side: which service accounts a
//! role's trust admits through a provider, whether or not they exist.

use super::actions::action_matches;
use super::iam::{
    Check, Condition, Decision, Effect, Operator, PolicyDocument, PrincipalKind, Request,
    Statement, eval_condition, evaluate, statement_applies,
};
use crate::model::arn::provider_arn_host;

pub const WEB_IDENTITY_ACTION: &str = "sts:AssumeRoleWithWebIdentity";
pub const PODS_SERVICE: &str = "pods.eks.amazonaws.com";

/// The outcome of a trust evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustAnswer {
    /// Allowed by these statements (labels such as `Statement[0] (Sid "x")`).
    Allowed { statements: Vec<String> },
    /// Not allowed: what failed, one line per statement considered.
    Denied { reasons: Vec<String> },
    /// It hinges on a condition the engine cannot decide (named).
    Undecided { conditions: Vec<String> },
}

impl TrustAnswer {
    pub fn is_allowed(&self) -> bool {
        matches!(self, TrustAnswer::Allowed { .. })
    }
}

// ---------------------------------------------------------------- web identity (IRSA)

/// Global keys of every request whose value depends on when and from where the
/// call is made, not on the configuration: never decided by the engine.
const RUNTIME_KEYS: [&str; 9] = [
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:TokenIssueTime",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:VpcSourceIp",
    "aws:UserAgent",
    "aws:RequestedRegion",
];

const RUNTIME_WHY: &str = "depends on when and from where the call is made";

/// The web-identity request a pod's token makes.
#[derive(Debug, Clone)]
pub struct WebIdentity<'a> {
    /// The provider ARN the token is federated through.
    pub provider_arn: &'a str,
    /// The issuer host and path (`oidc.eks.…/id/X`), the prefix of the condition keys.
    pub issuer: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub audience: &'a str,
}

impl WebIdentity<'_> {
    pub fn sub(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }

    /// The request STS evaluates the trust policy against: the keys it sets for an
    /// `AssumeRoleWithWebIdentity` with a Kubernetes service-account token, and
    /// every other key absent, so that a condition on another issuer's keys or on
    /// a key STS never sets is decided ("IAM and AWS STS condition context keys:
    /// available keys for AWS web identity federation"; "AWS global condition
    /// context keys"):
    /// - `<issuer>:sub` (the token's `sub`) and `<issuer>:aud` (its `aud`: the
    ///   token has no `azp`); `<issuer>:amr` is set by Amazon Cognito only and
    ///   `oaud` by Google only, so both are absent here, as are other issuers' keys;
    /// - `aws:FederatedProvider`, the provider's ARN;
    /// - `aws:SecureTransport` true (STS is reached over TLS only);
    /// - `aws:ViaAWSService` false: the pod calls STS itself.
    ///
    /// Keys whose value depends on the moment, the network or the SDK stay
    /// unknown: the time keys, the source IP/VPC keys, the user agent, the
    /// Region asked for and the session name the SDK picks. No session tags are
    /// passed (an EKS token carries none): `aws:RequestTag/…`, `aws:TagKeys` and
    /// `aws:PrincipalTag/…` are absent.
    pub fn request(&self) -> Request {
        let mut r = Request::new(WEB_IDENTITY_ACTION)
            .principal(PrincipalKind::Federated, self.provider_arn)
            .key(&format!("{}:sub", self.issuer), self.sub())
            .key(&format!("{}:aud", self.issuer), self.audience)
            .key("aws:FederatedProvider", self.provider_arn)
            .key("aws:SecureTransport", "true")
            .key("aws:ViaAWSService", "false");
        for k in RUNTIME_KEYS {
            r = r.unknown_because(k, RUNTIME_WHY);
        }
        r.unknown_because("sts:RoleSessionName", "chosen by the SDK in the pod")
            .closed()
    }
}

/// Does the trust policy let this service account assume the role with web identity?
pub fn check_web_identity(trust: &PolicyDocument, wi: &WebIdentity) -> TrustAnswer {
    let req = wi.request();
    match evaluate(&[("trust policy", trust)], &req) {
        Decision::Allowed { by } => TrustAnswer::Allowed {
            statements: by.iter().map(stmt_label).collect(),
        },
        Decision::Denied { why, .. } => TrustAnswer::Denied { reasons: vec![why] },
        Decision::Undecided { conditions } => TrustAnswer::Undecided { conditions },
        Decision::NotAllowed { .. } => TrustAnswer::Denied {
            reasons: explain_web_identity(trust, wi, &req),
        },
    }
}

fn stmt_label(s: &super::iam::StmtRef) -> String {
    match &s.sid {
        Some(sid) if !sid.is_empty() => format!("Statement[{}] (Sid \"{sid}\")", s.index),
        _ => format!("Statement[{}]", s.index),
    }
}

/// Why no Allow statement admits the request, in the words a user fixes it with.
fn explain_web_identity(trust: &PolicyDocument, wi: &WebIdentity, req: &Request) -> Vec<String> {
    let mut out = Vec::new();
    let allows: Vec<&Statement> = trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .collect();
    if allows.is_empty() {
        return vec!["the trust policy has no Allow statement".to_string()];
    }
    for s in allows {
        let label = s.label();
        // Principal first: the most common mistake is another cluster's provider.
        if let Some(p) = &s.principal {
            let federated: Vec<&str> = p
                .entries
                .iter()
                .filter(|(k, _)| *k == PrincipalKind::Federated)
                .map(|(_, v)| v.as_str())
                .collect();
            // The same comparison as the evaluation: exact, `"*"` and `{"AWS": "*"}` for all.
            let admits = p.matches(&PrincipalKind::Federated, wi.provider_arn);
            if !admits {
                let other_providers: Vec<&str> = federated
                    .iter()
                    .copied()
                    .filter(|f| provider_arn_host(f).is_some())
                    .collect();
                if !other_providers.is_empty() {
                    out.push(format!(
                        "{label} trusts {} (another cluster's provider), not this cluster's provider {}",
                        other_providers.join(", "),
                        wi.provider_arn
                    ));
                } else {
                    out.push(format!(
                        "{label} trusts {}, not this cluster's provider {}",
                        p.describe(),
                        wi.provider_arn
                    ));
                }
                continue;
            }
        }
        let action_hit = s
            .action
            .values
            .iter()
            .any(|a| action_matches(a, WEB_IDENTITY_ACTION));
        if action_hit == s.action.negated {
            out.push(format!(
                "{label} allows {} for this provider, not {WEB_IDENTITY_ACTION}",
                short(&s.action.values)
            ));
            continue;
        }
        let mut failed = false;
        for c in &s.conditions {
            if let Check::No(why) = eval_condition(c, req) {
                failed = true;
                out.push(format!(
                    "{label}: {}",
                    explain_condition(c, wi).unwrap_or(why)
                ));
            }
        }
        if !failed && let Check::No(why) = statement_applies(s, req) {
            out.push(format!("{label}: {why}"));
        }
    }
    out
}

/// `sub condition is system:serviceaccount:payment:api, not system:serviceaccount:payments:api`.
fn explain_condition(c: &Condition, wi: &WebIdentity) -> Option<String> {
    let key = c.key.to_ascii_lowercase();
    let issuer = wi.issuer.to_ascii_lowercase();
    let want_sub = wi.sub();
    if key == format!("{issuer}:sub") {
        let what = match parse_sub_values(c) {
            Some((ns, names)) if !ns.iter().any(|n| n == wi.namespace) => {
                format!("another namespace ({})", names.join(", "))
            }
            Some(_) => "another service account name".to_string(),
            None => "another subject".to_string(),
        };
        return Some(format!(
            "sub condition is {} {}, not {want_sub} ({what})",
            c.operator,
            short(&c.values)
        ));
    }
    if key == format!("{issuer}:aud") {
        return Some(format!(
            "aud condition is {} {}, not the service account's audience {}",
            c.operator,
            short(&c.values),
            wi.audience
        ));
    }
    None
}

/// The namespaces named by a sub condition's values, with the values.
fn parse_sub_values(c: &Condition) -> Option<(Vec<String>, Vec<String>)> {
    let mut ns = Vec::new();
    for v in &c.values {
        let rest = v.strip_prefix("system:serviceaccount:")?;
        let (n, _) = rest.split_once(':')?;
        ns.push(n.to_string());
    }
    Some((ns, c.values.clone()))
}

fn short(v: &[String]) -> String {
    if v.len() == 1 {
        v[0].clone()
    } else {
        format!("[{}]", v.join(", "))
    }
}

// ---------------------------------------------------------------- EKS Pod Identity

/// What EKS Pod Identity puts in the request when a pod of this association asks.
#[derive(Debug, Clone, Default)]
pub struct PodIdentity<'a> {
    /// The cluster's account (`aws:SourceAccount`), when known.
    pub account: Option<&'a str>,
    /// The cluster's ARN (`aws:SourceArn`, `eks-cluster-arn`), when known.
    pub cluster_arn: Option<&'a str>,
    pub cluster_name: Option<&'a str>,
    pub namespace: &'a str,
    pub service_account: &'a str,
    /// `disableSessionTags` unset: the six session tags are sent.
    pub session_tags: bool,
}

/// Why the pod name and UID tags are not decided for an association.
const POD_ONLY: &str = "set per pod: every pod of the association has its own, so the trust may admit some pods and not others";

const POD_TAGS: [&str; 6] = [
    "eks-cluster-arn",
    "eks-cluster-name",
    "kubernetes-namespace",
    "kubernetes-service-account",
    "kubernetes-pod-name",
    "kubernetes-pod-uid",
];

impl PodIdentity<'_> {
    /// The request EKS Pod Identity makes of STS for one association (as
    /// `pods.eks.amazonaws.com`): `aws:SourceAccount` and `aws:SourceArn` (the
    /// cluster), and with session tags on, the six tags as `aws:RequestTag/…`
    /// with `aws:TagKeys` ("Amazon EKS User Guide: EKS Pod Identity session
    /// tags"; the trust policy conditions on the request tags). The pod's name
    /// and UID differ for every pod of the association, so conditions on
    /// `kubernetes-pod-name`/`kubernetes-pod-uid` stay undecided. The caller is
    /// the EKS service, which has no principal tags: `aws:PrincipalTag/…` is
    /// absent here (the session's tags become `aws:PrincipalTag/…` only for the
    /// role's own permission policies, see [`PodIdentity::session_request`]).
    pub fn request(&self, action: &str) -> Request {
        let mut r = Request::new(action)
            .principal(PrincipalKind::Service, PODS_SERVICE)
            .key("aws:SecureTransport", "true")
            .key("aws:PrincipalServiceName", PODS_SERVICE);
        for k in RUNTIME_KEYS {
            r = r.unknown_because(k, RUNTIME_WHY);
        }
        for k in [
            "sts:ExternalId",
            "sts:RoleSessionName",
            "aws:ViaAWSService",
            "aws:SourceOrgID",
            "aws:SourceOrgPaths",
        ] {
            r = r.unknown_because(k, "set by EKS Pod Identity, not known from the association");
        }
        r = r.key_or_unknown("aws:SourceAccount", self.account);
        r = r.key_or_unknown("aws:SourceArn", self.cluster_arn);
        if self.session_tags {
            r = r.key_values(
                "aws:TagKeys",
                POD_TAGS.iter().map(|s| s.to_string()).collect(),
            );
            r = r.key_or_unknown("aws:RequestTag/eks-cluster-arn", self.cluster_arn);
            r = r.key_or_unknown("aws:RequestTag/eks-cluster-name", self.cluster_name);
            r = r
                .key("aws:RequestTag/kubernetes-namespace", self.namespace)
                .key(
                    "aws:RequestTag/kubernetes-service-account",
                    self.service_account,
                )
                // Per pod, not per association: undecided if a policy tests them.
                .unknown_because("aws:RequestTag/kubernetes-pod-name", POD_ONLY)
                .unknown_because("aws:RequestTag/kubernetes-pod-uid", POD_ONLY);
        } else {
            r = r.absent("aws:TagKeys");
            for t in POD_TAGS {
                r = r.absent(&format!("aws:RequestTag/{t}"));
            }
        }
        r.closed()
    }

    /// The session's side: a request made with the credentials Pod Identity
    /// hands the pod, for the role's permission policies. The session tags are
    /// the principal's tags there (`aws:PrincipalTag/…`); pod name and UID are
    /// per pod, so unknown. Other keys are left unknown: the caller sets them.
    pub fn session_request(&self, action: &str) -> Request {
        let mut r = Request::new(action);
        if !self.session_tags {
            for t in POD_TAGS {
                r = r.absent(&format!("aws:PrincipalTag/{t}"));
            }
            return r;
        }
        if let Some(a) = self.cluster_arn {
            r = r.key("aws:PrincipalTag/eks-cluster-arn", a);
        }
        if let Some(n) = self.cluster_name {
            r = r.key("aws:PrincipalTag/eks-cluster-name", n);
        }
        r.key("aws:PrincipalTag/kubernetes-namespace", self.namespace)
            .key(
                "aws:PrincipalTag/kubernetes-service-account",
                self.service_account,
            )
    }
}

/// Does the trust policy let EKS Pod Identity assume the role for this association?
/// Both `sts:AssumeRole` and `sts:TagSession` must be allowed.
pub fn check_pod_identity(trust: &PolicyDocument, pi: &PodIdentity) -> TrustAnswer {
    let mut allowed = Vec::new();
    let mut denied = Vec::new();
    let mut undecided = Vec::new();
    for action in ["sts:AssumeRole", "sts:TagSession"] {
        let req = pi.request(action);
        match evaluate(&[("trust policy", trust)], &req) {
            Decision::Allowed { by } => {
                let labels: Vec<String> = by.iter().map(stmt_label).collect();
                allowed.push(format!("{action} by {}", labels.join(", ")));
            }
            Decision::Denied { why, .. } => denied.push(format!("{action}: {why}")),
            Decision::Undecided { conditions } => {
                undecided.extend(conditions.into_iter().map(|c| format!("{action}: {c}")))
            }
            Decision::NotAllowed { reasons } => {
                denied.push(explain_pod_identity(trust, action, &reasons));
            }
        }
    }
    if !denied.is_empty() {
        TrustAnswer::Denied { reasons: denied }
    } else if !undecided.is_empty() {
        TrustAnswer::Undecided {
            conditions: undecided,
        }
    } else {
        TrustAnswer::Allowed {
            statements: allowed,
        }
    }
}

fn explain_pod_identity(trust: &PolicyDocument, action: &str, reasons: &[String]) -> String {
    let for_pods: Vec<&Statement> = trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow && trusts_service(s, PODS_SERVICE))
        .collect();
    if for_pods.is_empty() {
        return format!(
            "no Allow statement trusts principal Service {PODS_SERVICE}, so {action} is not allowed"
        );
    }
    let with_action = for_pods
        .iter()
        .any(|s| s.action.values.iter().any(|a| action_matches(a, action)) != s.action.negated);
    if !with_action {
        let labels: Vec<String> = for_pods
            .iter()
            .map(|s| format!("{} allows {}", s.label(), short(&s.action.values)))
            .collect();
        return format!(
            "{action} is not allowed for {PODS_SERVICE}: {}",
            labels.join("; ")
        );
    }
    format!("{action} is not allowed: {}", reasons.join("; "))
}

/// Whether a statement's principal names a service (or is `*`).
pub fn trusts_service(s: &Statement, service: &str) -> bool {
    match &s.principal {
        Some(p) if !p.negated => {
            p.admits_everyone()
                || p.entries
                    .iter()
                    .any(|(k, v)| *k == PrincipalKind::Service && v.eq_ignore_ascii_case(service))
        }
        _ => false,
    }
}

/// Condition keys that narrow a `pods.eks.amazonaws.com` trust to a cluster, namespace or account.
pub const POD_NARROWING_KEYS: [&str; 7] = [
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:RequestTag/eks-cluster-arn",
    "aws:RequestTag/eks-cluster-name",
    "aws:RequestTag/kubernetes-namespace",
    "aws:RequestTag/kubernetes-service-account",
    "aws:SourceOrgID",
];

/// Allow statements that trust `pods.eks.amazonaws.com` for `sts:AssumeRole` with no
/// narrowing condition (PODID-004).
pub fn unnarrowed_pod_statements(trust: &PolicyDocument) -> Vec<&Statement> {
    trust
        .statements
        .iter()
        .filter(|s| {
            s.effect == Effect::Allow
                && trusts_service(s, PODS_SERVICE)
                && s.action
                    .values
                    .iter()
                    .any(|a| action_matches(a, "sts:AssumeRole"))
                    != s.action.negated
                && !s
                    .conditions
                    .iter()
                    .any(|c| !c.op.negated() && POD_NARROWING_KEYS.iter().any(|k| c.is_key(k)))
        })
        .collect()
}

// ---------------------------------------------------------------- symbolic: who can assume

/// The service accounts a `sub` value or pattern admits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaScope {
    /// Any service account of the cluster (no `sub`, `system:serviceaccount:*:*`,
    /// a negated operator, or a wildcard across namespaces).
    Any { why: String },
    /// Several service accounts of one namespace (`system:serviceaccount:team-a:*`).
    Namespace { namespace: String, pattern: String },
    /// Exactly these subjects (`system:serviceaccount:<ns>:<name>`).
    Exact(Vec<String>),
}

impl SaScope {
    /// Broad scopes (IRSA-006) rank above exact names.
    fn rank(&self) -> u8 {
        match self {
            SaScope::Any { .. } => 2,
            SaScope::Namespace { .. } => 1,
            SaScope::Exact(_) => 0,
        }
    }
}

/// One Allow statement of a trust policy that admits a cluster's provider.
#[derive(Debug, Clone)]
pub struct ProviderTrust {
    pub index: usize,
    pub sid: Option<String>,
    /// `Statement[0] (Sid "x")`.
    pub label: String,
    /// Every scope the statement's `sub` admits (one per value; a union).
    pub scopes: Vec<SaScope>,
    /// The sub condition(s) as written, for evidence.
    pub sub_conditions: Vec<String>,
    pub has_sub: bool,
    pub has_aud: bool,
    /// The aud values required, when an aud condition is present.
    pub aud_values: Vec<String>,
}

impl ProviderTrust {
    /// The broadest scope admitted.
    pub fn widest(&self) -> Option<&SaScope> {
        self.scopes.iter().max_by_key(|s| s.rank())
    }
}

/// Whether a Federated principal value names the provider of this issuer. Exact,
/// as STS compares a Federated principal: other letter case is another provider.
pub fn names_issuer(federated: &str, issuer: &str) -> bool {
    provider_arn_host(federated).is_some_and(|h| h.trim_end_matches('/') == issuer)
}

/// The Allow statements of a trust that admit web identities of this issuer's provider,
/// with the service accounts each admits.
pub fn provider_statements(trust: &PolicyDocument, issuer: &str) -> Vec<ProviderTrust> {
    let sub_key = format!("{issuer}:sub");
    let aud_key = format!("{issuer}:aud");
    let mut out = Vec::new();
    for s in &trust.statements {
        if s.effect != Effect::Allow {
            continue;
        }
        let action_hit = s
            .action
            .values
            .iter()
            .any(|a| action_matches(a, WEB_IDENTITY_ACTION));
        if action_hit == s.action.negated {
            continue;
        }
        let Some(p) = &s.principal else { continue };
        // `"*"` and `{"AWS": "*"}` admit every caller, web identities included;
        // `{"Federated": "*"}` names no provider (the Principal element page).
        let names = p
            .entries
            .iter()
            .any(|(k, v)| *k == PrincipalKind::Federated && names_issuer(v, issuer));
        if p.negated || !(p.admits_everyone() || names) {
            continue;
        }
        let subs: Vec<&Condition> = s.conditions.iter().filter(|c| c.is_key(&sub_key)).collect();
        let auds: Vec<&Condition> = s.conditions.iter().filter(|c| c.is_key(&aud_key)).collect();
        let mut scopes = Vec::new();
        if subs.is_empty() {
            scopes.push(SaScope::Any {
                why: "no sub condition".to_string(),
            });
        } else {
            // Several sub conditions must all hold: the narrowest one bounds the statement.
            let mut per_condition: Vec<Vec<SaScope>> =
                subs.iter().map(|c| condition_scopes(c)).collect();
            per_condition.sort_by_key(|v| v.iter().map(SaScope::rank).max().unwrap_or(0));
            if let Some(first) = per_condition.into_iter().next() {
                scopes = first;
            }
        }
        out.push(ProviderTrust {
            index: s.index,
            sid: s.sid.clone(),
            label: s.label(),
            scopes,
            sub_conditions: subs.iter().map(|c| c.describe()).collect(),
            has_sub: !subs.is_empty(),
            has_aud: !auds.is_empty(),
            aud_values: auds.iter().flat_map(|c| c.values.clone()).collect(),
        });
    }
    out
}

fn condition_scopes(c: &Condition) -> Vec<SaScope> {
    if c.op.negated() {
        return vec![SaScope::Any {
            why: format!("{} admits every other service account", c.describe()),
        }];
    }
    match c.op {
        Operator::StringEquals | Operator::StringEqualsIgnoreCase => {
            vec![SaScope::Exact(c.values.clone())]
        }
        Operator::StringLike => c.values.iter().map(|v| like_scope(v)).collect(),
        _ => vec![SaScope::Any {
            why: format!(
                "{} is not a StringEquals/StringLike test of the subject",
                c.describe()
            ),
        }],
    }
}

/// Classify one `StringLike` sub pattern.
pub fn like_scope(v: &str) -> SaScope {
    if !v.contains(['*', '?']) {
        return SaScope::Exact(vec![v.to_string()]);
    }
    let parts: Vec<&str> = v.splitn(4, ':').collect();
    if parts.len() == 4 && parts[0] == "system" && parts[1] == "serviceaccount" {
        let (ns, name) = (parts[2], parts[3]);
        if !ns.contains(['*', '?']) && !name.contains(':') {
            return SaScope::Namespace {
                namespace: ns.to_string(),
                pattern: v.to_string(),
            };
        }
    }
    SaScope::Any {
        why: format!("StringLike {v} matches service accounts in any namespace"),
    }
}

/// Whether a StringLike/StringEquals scope admits this subject.
pub fn scope_admits(scope: &SaScope, sub: &str) -> bool {
    match scope {
        SaScope::Any { .. } => true,
        SaScope::Namespace { pattern, .. } => super::actions::wildcard_match(pattern, sub, false),
        SaScope::Exact(v) => v.iter().any(|x| x == sub),
    }
}

/// `system:serviceaccount:ns:name` → (ns, name).
pub fn parse_sub(sub: &str) -> Option<(&str, &str)> {
    let rest = sub.strip_prefix("system:serviceaccount:")?;
    let (ns, name) = rest.split_once(':')?;
    if ns.is_empty() || name.is_empty() || name.contains(':') {
        return None;
    }
    Some((ns, name))
}

// ---------------------------------------------------------------- remediation

/// The trust policy that admits exactly these service accounts through a provider.
pub fn corrected_trust(
    provider_arn: &str,
    issuer: &str,
    subs: &[String],
    audience: &str,
) -> serde_json::Value {
    let sub: serde_json::Value = if subs.len() == 1 {
        serde_json::Value::String(subs[0].clone())
    } else {
        serde_json::Value::Array(
            subs.iter()
                .cloned()
                .map(serde_json::Value::String)
                .collect(),
        )
    };
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": WEB_IDENTITY_ACTION,
            "Condition": {
                "StringEquals": {
                    format!("{issuer}:sub"): sub,
                    format!("{issuer}:aud"): audience,
                }
            }
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::iam::parse_document;
    use serde_json::json;

    const ISSUER: &str = "oidc.eks.us-west-2.amazonaws.com/id/ABC";
    const PROVIDER: &str =
        "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC";
    const OTHER: &str =
        "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/OTHER";

    fn trust(cond: serde_json::Value) -> PolicyDocument {
        trust_with(PROVIDER, "sts:AssumeRoleWithWebIdentity", cond)
    }

    fn trust_with(provider: &str, action: &str, cond: serde_json::Value) -> PolicyDocument {
        let mut st =
            json!({"Effect": "Allow", "Principal": {"Federated": provider}, "Action": action});
        if !cond.is_null() {
            st["Condition"] = cond;
        }
        parse_document(&json!({"Version": "2012-10-17", "Statement": [st]}))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn wi<'a>(ns: &'a str, name: &'a str, aud: &'a str) -> WebIdentity<'a> {
        WebIdentity {
            provider_arn: PROVIDER,
            issuer: ISSUER,
            namespace: ns,
            name,
            audience: aud,
        }
    }

    fn exact(sub: &str, aud: &str) -> serde_json::Value {
        json!({"StringEquals": {format!("{ISSUER}:sub"): sub, format!("{ISSUER}:aud"): aud}})
    }

    #[test]
    fn web_identity_table() {
        let sts = "sts.amazonaws.com";
        // (trust, sa namespace, name, audience, expected: Ok(()) or Err(substring of the reason))
        type Case<'a> = (
            PolicyDocument,
            &'a str,
            &'a str,
            &'a str,
            Result<(), &'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                trust(exact("system:serviceaccount:payments:api", sts)),
                "payments",
                "api",
                sts,
                Ok(()),
            ),
            (
                trust(exact("system:serviceaccount:payment:api", sts)),
                "payments",
                "api",
                sts,
                Err("another namespace"),
            ),
            (
                trust(exact("system:serviceaccount:payments:web", sts)),
                "payments",
                "api",
                sts,
                Err("another service account name"),
            ),
            (
                trust(exact("system:serviceaccount:payments:api", sts)),
                "payments",
                "api",
                "custom",
                Err("aud condition"),
            ),
            (
                trust(exact("system:serviceaccount:payments:api", "custom")),
                "payments",
                "api",
                "custom",
                Ok(()),
            ),
            (
                trust_with(
                    OTHER,
                    "sts:AssumeRoleWithWebIdentity",
                    exact("system:serviceaccount:payments:api", sts),
                ),
                "payments",
                "api",
                sts,
                Err("another cluster's provider"),
            ),
            (
                trust_with(
                    PROVIDER,
                    "sts:AssumeRole",
                    exact("system:serviceaccount:payments:api", sts),
                ),
                "payments",
                "api",
                sts,
                Err("not sts:AssumeRoleWithWebIdentity"),
            ),
            (
                trust(
                    json!({"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:payments:*"}}),
                ),
                "payments",
                "api",
                sts,
                Ok(()),
            ),
            (
                trust(
                    json!({"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:payments:*"}}),
                ),
                "other",
                "api",
                sts,
                Err("sub condition"),
            ),
            (trust(serde_json::Value::Null), "any", "thing", sts, Ok(())),
        ];
        for (i, (t, ns, name, aud, want)) in cases.into_iter().enumerate() {
            let got = check_web_identity(&t, &wi(ns, name, aud));
            match (want, &got) {
                (Ok(()), TrustAnswer::Allowed { .. }) => {}
                (Err(s), TrustAnswer::Denied { reasons })
                    if reasons.iter().any(|r| r.contains(s)) => {}
                (w, g) => panic!("case {i}: want {w:?}, got {g:?}"),
            }
        }
    }

    #[test]
    fn explicit_deny_and_undecided() {
        let t = parse_document(&json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity"},
            {"Sid": "NoKubeSystem", "Effect": "Deny", "Principal": "*", "Action": "sts:*",
             "Condition": {"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:kube-system:*"}}}
        ]}))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(check_web_identity(&t, &wi("app", "x", "sts.amazonaws.com")).is_allowed());
        match check_web_identity(&t, &wi("kube-system", "x", "sts.amazonaws.com")) {
            TrustAnswer::Denied { reasons } => {
                assert!(reasons[0].contains("NoKubeSystem"), "{reasons:?}")
            }
            other => panic!("{other:?}"),
        }
        // A key whose value depends on the caller's network stays undecided.
        let t = trust(
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringEquals": {format!("{ISSUER}:sub"): "system:serviceaccount:a:b"}}),
        );
        match check_web_identity(&t, &wi("a", "b", "sts.amazonaws.com")) {
            TrustAnswer::Undecided { conditions } => {
                assert!(conditions[0].contains("aws:SourceIp"), "{conditions:?}")
            }
            other => panic!("{other:?}"),
        }
    }

    /// "IAM and AWS STS condition context keys: available keys for AWS web
    /// identity federation": STS sets `<issuer>:sub` and `:aud` for an EKS token;
    /// `amr` is Amazon Cognito's only, another issuer's keys are never sent, and
    /// the call is over TLS ("AWS global condition context keys":
    /// aws:SecureTransport). Each is decided, none is left conditional.
    #[test]
    fn web_identity_request_has_the_keys_sts_sets_and_no_others() {
        let sub = format!("{ISSUER}:sub");
        let other = "oidc.eks.eu-west-1.amazonaws.com/id/OTHERCLUSTER";
        let cases = [
            // amr is absent: a condition requiring it fails, one forbidding it holds.
            (
                json!({"StringEquals": {format!("{ISSUER}:amr"): "x", &sub: "system:serviceaccount:a:b"}}),
                false,
            ),
            (
                json!({"Null": {format!("{ISSUER}:amr"): "true"}, "StringEquals": {&sub: "system:serviceaccount:a:b"}}),
                true,
            ),
            // Another cluster's issuer keys are never in this request.
            (
                json!({"StringEquals": {format!("{other}:sub"): "system:serviceaccount:a:b"}}),
                false,
            ),
            (
                json!({"StringNotEquals": {format!("{other}:sub"): "system:serviceaccount:a:b"}, "StringEquals": {&sub: "system:serviceaccount:a:b"}}),
                true,
            ),
            (
                json!({"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {&sub: "system:serviceaccount:a:b"}}),
                true,
            ),
            (json!({"Bool": {"aws:SecureTransport": "false"}}), false),
            // No session tags with an EKS token.
            (json!({"StringEquals": {"aws:RequestTag/team": "x"}}), false),
        ];
        for (cond, want) in cases {
            let t = trust(cond.clone());
            let got = check_web_identity(&t, &wi("a", "b", "sts.amazonaws.com"));
            assert!(
                !matches!(got, TrustAnswer::Undecided { .. }),
                "{cond}: left undecided: {got:?}"
            );
            assert_eq!(got.is_allowed(), want, "{cond}: {got:?}");
        }
    }

    /// "AWS JSON policy elements: Principal" (all principals): `"*"` and
    /// `{"AWS": "*"}` are the same and admit every caller, web identities
    /// included; `{"Federated": "*"}` names no provider, and a provider ARN in
    /// other letter case is another provider, STS compares exactly.
    #[test]
    fn principal_everyone_and_exact_federated() {
        let stmt = |p: serde_json::Value| {
            parse_document(&json!({"Statement": [
                {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRoleWithWebIdentity"}
            ]}))
            .unwrap_or_else(|e| panic!("{e}"))
        };
        let cases = [
            (json!({"AWS": "*"}), true),
            (json!("*"), true),
            (
                json!({"AWS": ["arn:aws:iam::111122223333:root", "*"]}),
                true,
            ),
            (json!({"Federated": "*"}), false),
            (json!({"Federated": PROVIDER.to_uppercase()}), false),
            (json!({"Federated": PROVIDER}), true),
        ];
        for (p, want) in cases {
            let t = stmt(p.clone());
            let got = check_web_identity(&t, &wi("a", "b", "sts.amazonaws.com"));
            assert_eq!(got.is_allowed(), want, "{p}: {got:?}");
            // The symbolic side agrees: the role admits the cluster's service accounts.
            assert_eq!(!provider_statements(&t, ISSUER).is_empty(), want, "{p}");
        }
    }

    #[test]
    fn scopes() {
        let sub = format!("{ISSUER}:sub");
        let cases = [
            (serde_json::Value::Null, 2u8, false),
            (
                json!({"StringLike": {&sub: "system:serviceaccount:*:*"}}),
                2,
                false,
            ),
            (
                json!({"StringLike": {&sub: "system:serviceaccount:team-a:*"}}),
                1,
                false,
            ),
            (
                json!({"StringLike": {&sub: "system:serviceaccount:team-*:*"}}),
                2,
                false,
            ),
            (
                json!({"StringEquals": {&sub: "system:serviceaccount:a:b", format!("{ISSUER}:aud"): "sts.amazonaws.com"}}),
                0,
                true,
            ),
            (
                json!({"StringNotEquals": {&sub: "system:serviceaccount:a:b"}}),
                2,
                false,
            ),
            (
                json!({"StringLike": {&sub: "system:serviceaccount:a:b"}}),
                0,
                false,
            ),
        ];
        for (cond, rank, aud) in cases {
            let t = trust(cond.clone());
            let st = provider_statements(&t, ISSUER);
            assert_eq!(st.len(), 1, "{cond}");
            assert_eq!(st[0].widest().map(SaScope::rank), Some(rank), "{cond}");
            assert_eq!(st[0].has_aud, aud, "{cond}");
        }
        // Another provider: not a statement for this issuer.
        let t = trust_with(
            OTHER,
            "sts:AssumeRoleWithWebIdentity",
            serde_json::Value::Null,
        );
        assert!(provider_statements(&t, ISSUER).is_empty());
        assert_eq!(parse_sub("system:serviceaccount:a:b"), Some(("a", "b")));
        assert_eq!(parse_sub("system:serviceaccount:a"), None);
    }

    #[test]
    fn principal_forms() {
        let sts = "sts.amazonaws.com";
        let any = parse_document(&json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"}}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(check_web_identity(&any, &wi("a", "b", sts)).is_allowed());
        assert_eq!(provider_statements(&any, ISSUER).len(), 1);
        let aws = parse_document(&json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRoleWithWebIdentity"}}))
            .unwrap_or_else(|e| panic!("{e}"));
        match check_web_identity(&aws, &wi("a", "b", sts)) {
            TrustAnswer::Denied { reasons } => assert!(
                reasons[0].contains("not this cluster's provider"),
                "{reasons:?}"
            ),
            other => panic!("{other:?}"),
        }
        let list = parse_document(&json!({"Statement": {"Effect": "Allow", "Principal": {"Federated": [OTHER, PROVIDER]}, "Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"],
            "Condition": {"StringEquals": {format!("{ISSUER}:sub"): ["system:serviceaccount:a:b", "system:serviceaccount:c:d"]}}}}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(check_web_identity(&list, &wi("c", "d", sts)).is_allowed());
        assert!(!check_web_identity(&list, &wi("c", "e", sts)).is_allowed());
    }

    fn pod_trust(st: serde_json::Value) -> PolicyDocument {
        parse_document(&json!({"Statement": [st]})).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn pod_identity() {
        let pi = PodIdentity {
            account: Some("111122223333"),
            cluster_arn: Some("arn:aws:eks:us-west-2:111122223333:cluster/prod"),
            cluster_name: Some("prod"),
            namespace: "etl",
            service_account: "loader",
            session_tags: true,
        };
        let ok = pod_trust(
            json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333", "aws:RequestTag/kubernetes-namespace": "etl"}}}),
        );
        assert!(check_pod_identity(&ok, &pi).is_allowed());
        assert!(unnarrowed_pod_statements(&ok).is_empty());
        let no_tag = pod_trust(
            json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
            "Action": ["sts:AssumeRole"], "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}),
        );
        match check_pod_identity(&no_tag, &pi) {
            TrustAnswer::Denied { reasons } => {
                assert!(
                    reasons.iter().any(|r| r.contains("sts:TagSession")),
                    "{reasons:?}"
                )
            }
            other => panic!("{other:?}"),
        }
        let wrong_ns = pod_trust(
            json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "other"}}}),
        );
        assert!(matches!(
            check_pod_identity(&wrong_ns, &pi),
            TrustAnswer::Denied { .. }
        ));
        let open = pod_trust(
            json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
            "Action": ["sts:AssumeRole", "sts:TagSession"]}),
        );
        assert!(check_pod_identity(&open, &pi).is_allowed());
        assert_eq!(unnarrowed_pod_statements(&open).len(), 1);
        let ec2 = pod_trust(
            json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
        );
        match check_pod_identity(&ec2, &pi) {
            TrustAnswer::Denied { reasons } => assert!(
                reasons[0].contains("no Allow statement trusts"),
                "{reasons:?}"
            ),
            other => panic!("{other:?}"),
        }
        let pod_name = pod_trust(
            json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringLike": {"aws:RequestTag/kubernetes-pod-name": "loader-*"}}}),
        );
        assert!(matches!(
            check_pod_identity(&pod_name, &pi),
            TrustAnswer::Undecided { .. }
        ));
    }
    /// "Amazon EKS User Guide: EKS Pod Identity session tags" and "Create IAM role
    /// with trust policy required by EKS Pod Identity": the six session tags are
    /// request tags of the AssumeRole/TagSession call, so trust conditions on
    /// them are decided per association, except the pod's name and UID, which
    /// differ for every pod and stay conditional. The caller is the EKS service:
    /// it has no principal tags in the trust; the session's tags are principal
    /// tags for the role's own policies.
    #[test]
    fn pod_identity_session_tags() {
        let pi = PodIdentity {
            account: Some("111122223333"),
            cluster_arn: Some("arn:aws:eks:us-west-2:111122223333:cluster/prod"),
            cluster_name: Some("prod"),
            namespace: "etl",
            service_account: "loader",
            session_tags: true,
        };
        let with = |cond: serde_json::Value| {
            pod_trust(
                json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
                "Action": ["sts:AssumeRole", "sts:TagSession"], "Condition": cond}),
            )
        };
        let cases = [
            (
                json!({"StringEquals": {"aws:RequestTag/eks-cluster-name": "prod"}}),
                Some(true),
            ),
            (
                json!({"StringEquals": {"aws:RequestTag/eks-cluster-name": "staging"}}),
                Some(false),
            ),
            (
                json!({"ArnLike": {"aws:RequestTag/eks-cluster-arn": "arn:aws:eks:*:111122223333:cluster/*"}}),
                Some(true),
            ),
            (
                json!({"StringEquals": {"aws:RequestTag/kubernetes-service-account": "loader"}}),
                Some(true),
            ),
            (
                json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["eks-cluster-arn", "eks-cluster-name",
                "kubernetes-namespace", "kubernetes-service-account", "kubernetes-pod-name", "kubernetes-pod-uid"]}}),
                Some(true),
            ),
            (
                json!({"StringEquals": {"aws:PrincipalTag/kubernetes-namespace": "etl"}}),
                Some(false),
            ),
            (json!({"Bool": {"aws:SecureTransport": "true"}}), Some(true)),
            (
                json!({"StringLike": {"aws:RequestTag/kubernetes-pod-name": "loader-*"}}),
                None,
            ),
            (
                json!({"StringEquals": {"aws:RequestTag/kubernetes-pod-uid": "x"}}),
                None,
            ),
        ];
        for (cond, want) in cases {
            let got = check_pod_identity(&with(cond.clone()), &pi);
            match (want, &got) {
                (Some(w), _) => assert_eq!(got.is_allowed(), w, "{cond}: {got:?}"),
                // Undecided, and the answer says why: the tag is set per pod.
                (None, TrustAnswer::Undecided { conditions }) => {
                    assert!(
                        conditions.iter().any(|c| c.contains("per pod")),
                        "{conditions:?}"
                    )
                }
                (None, other) => panic!("{cond}: {other:?}"),
            }
        }
        // Session tags disabled: no tag is sent.
        let off = PodIdentity {
            session_tags: false,
            ..pi.clone()
        };
        let t = with(json!({"StringEquals": {"aws:RequestTag/kubernetes-namespace": "etl"}}));
        assert!(matches!(
            check_pod_identity(&t, &off),
            TrustAnswer::Denied { .. }
        ));
        // The session's own requests carry the tags as principal tags.
        let r = pi.session_request("s3:GetObject");
        let c = Condition {
            operator: "StringEquals".into(),
            op: Operator::StringEquals,
            set: None,
            if_exists: false,
            key: "aws:PrincipalTag/kubernetes-namespace".into(),
            values: vec!["etl".into()],
        };
        assert_eq!(eval_condition(&c, &r), Check::Yes);
    }
}
