//! EKS Pod Identity: the request `pods.eks.amazonaws.com` makes for an
//! association (source account and ARN, session tags), its evaluation against a
//! trust policy, and the statements that trust the service with no narrowing
//! condition (PODID-004).

use super::*;

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
