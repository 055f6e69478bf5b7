//! The rule catalog of `spec/rules.md`: IDs, default severities and one-line
//! descriptions, for SARIF rule metadata, help and the UI.

use super::Severity;

pub struct RuleInfo {
    pub id: &'static str,
    /// The worst severity the rule can have.
    pub severity: Severity,
    pub summary: &'static str,
}

const fn r(id: &'static str, severity: Severity, summary: &'static str) -> RuleInfo {
    RuleInfo {
        id,
        severity,
        summary,
    }
}

use Severity::{Critical, High, Info, Low, Medium};

pub const RULES: &[RuleInfo] = &[
    r(
        "IRSA-001",
        High,
        "IRSA role annotation is not a valid IAM role ARN",
    ),
    r(
        "IRSA-002",
        High,
        "IRSA role does not exist in the audited account",
    ),
    r(
        "IRSA-003",
        Info,
        "IRSA role is in an account that was not audited",
    ),
    r(
        "IRSA-004",
        High,
        "Cluster OIDC issuer has no usable IAM OIDC provider",
    ),
    r(
        "IRSA-005",
        High,
        "IRSA role's trust policy does not admit the service account",
    ),
    r(
        "IRSA-006",
        Critical,
        "IRSA trust admits more than one service account",
    ),
    r(
        "IRSA-007",
        Medium,
        "IRSA trust names a service account that does not exist",
    ),
    r(
        "IRSA-008",
        Low,
        "Service account with an IAM role is used by no pod or workload",
    ),
    r(
        "IRSA-009",
        Medium,
        "A namespace's default service account has an IAM role",
    ),
    r("IRSA-010", Low, "IRSA trust checks sub but not aud"),
    r(
        "PODID-001",
        High,
        "Pod Identity association's role does not exist",
    ),
    r(
        "PODID-002",
        High,
        "Role's trust does not allow pods.eks.amazonaws.com AssumeRole and TagSession",
    ),
    r(
        "PODID-003",
        Medium,
        "Pod Identity association names a missing namespace or service account",
    ),
    r(
        "PODID-004",
        Medium,
        "Role trusts pods.eks.amazonaws.com without narrowing conditions",
    ),
    r(
        "PODID-005",
        Low,
        "Service account has both IRSA and Pod Identity; the association is unused",
    ),
    r(
        "IAM-001",
        Critical,
        "Role reachable from the cluster allows * on *",
    ),
    r(
        "IAM-002",
        High,
        "Role reachable from the cluster allows a whole sensitive service or Allow+NotAction",
    ),
    r(
        "IAM-003",
        Critical,
        "Role reachable from the cluster allows privilege escalation",
    ),
    r(
        "IAM-004",
        High,
        "Role reachable from the cluster reads data on every resource",
    ),
    r(
        "IAM-005",
        Medium,
        "Role reachable from the cluster may sts:AssumeRole on *",
    ),
    r(
        "IAM-006",
        Low,
        "Role reachable from the cluster unused for 90 days",
    ),
    r(
        "RBAC-001",
        Critical,
        "Subject is cluster-admin or equivalent cluster-wide",
    ),
    r(
        "RBAC-002",
        High,
        "Subject can read Secrets in every namespace",
    ),
    r(
        "RBAC-003",
        Critical,
        "Subject can escalate (escalate, bind, impersonate, write bindings)",
    ),
    r(
        "RBAC-004",
        High,
        "Subject can create or change pods or pod-owning workloads",
    ),
    r("RBAC-005", High, "Subject can mint service-account tokens"),
    r(
        "RBAC-006",
        High,
        "Subject can exec, attach or proxy into pods or nodes",
    ),
    r(
        "RBAC-007",
        Critical,
        "Binding grants anonymous or all authenticated users more than the defaults",
    ),
    r(
        "RBAC-008",
        High,
        "Subject can change the aws-auth ConfigMap",
    ),
    r(
        "RBAC-009",
        Medium,
        "Binding refers to a role that does not exist",
    ),
    r(
        "RBAC-010",
        Low,
        "Binding names a service account that does not exist",
    ),
    r(
        "RBAC-011",
        High,
        "Subject can approve certificate signing requests",
    ),
    r(
        "RBAC-012",
        Medium,
        "Legacy long-lived service-account token Secret",
    ),
    r(
        "RBAC-013",
        Medium,
        "Subject can change admission webhook configurations",
    ),
    r(
        "PATH-001",
        Critical,
        "Kubernetes subject can obtain an IAM role",
    ),
    r(
        "AUTH-001",
        Critical,
        "aws-auth maps an IAM principal into system:masters",
    ),
    r("AUTH-002", High, "Mapped IAM principal does not exist"),
    r("AUTH-003", Medium, "aws-auth entry cannot be parsed"),
    r(
        "AUTH-004",
        High,
        "Access entry has cluster-admin access policy at cluster scope",
    ),
    r(
        "AUTH-005",
        Info,
        "Cluster authentication mode is CONFIG_MAP only",
    ),
    r("AUTH-006", High, "Public API endpoint open to 0.0.0.0/0"),
    r("AUTH-007", Low, "Cluster creator keeps admin permissions"),
    r(
        "AUTH-008",
        Low,
        "Authenticator or audit control-plane logs disabled",
    ),
    r("API-001", High, "API server allows anonymous requests"),
    r("API-002", High, "API server uses a static token file"),
    r("API-003", High, "API server uses a static password file"),
    r(
        "API-004",
        Critical,
        "API server authorization mode is unsafe",
    ),
    r("API-005", High, "API server has no client CA"),
    r("API-006", High, "API server insecure port is open"),
    r(
        "API-007",
        Medium,
        "Service-account token lookup or key file missing",
    ),
    r(
        "API-008",
        Medium,
        "API server does not verify kubelet certificates",
    ),
    r(
        "API-009",
        High,
        "API server serving certificate expired or expiring",
    ),
    r(
        "CFG-001",
        High,
        "Kubeconfig holds a static token or password",
    ),
    r("CFG-002", High, "Kubeconfig skips TLS verification"),
    r(
        "CFG-003",
        Medium,
        "Kubeconfig file is readable by group or others",
    ),
    r(
        "NODE-001",
        Critical,
        "Pods obtain the node's IAM role through the instance metadata service",
    ),
    r(
        "NODE-002",
        Medium,
        "Node group allows IMDSv1 (HttpTokens optional)",
    ),
    r(
        "NODE-003",
        High,
        "Node role that pods can obtain grants more than worker nodes need",
    ),
    r(
        "NODE-004",
        Medium,
        "Host-network pods of this service account obtain the node role",
    ),
];

pub fn info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}
