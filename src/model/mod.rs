//! The typed inventory: everything a source collected, owned, with no behaviour
//! beyond small lookups. Sources fill it; the graph joins it; rules read it.

pub mod apiserver;
pub mod arn;
pub mod awsauth;
pub mod node;
pub mod yaml;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use arn::{Arn, RoleArn};
pub use awsauth::{AwsAuth, AwsAuthEntry, AwsAuthKind};

/// Where the inventory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Live,
    #[default]
    Snapshot,
}

/// The label Kubernetes puts on its own bootstrap roles and bindings.
pub const BOOTSTRAP_LABEL: &str = "kubernetes.io/bootstrapping";
/// The service-account annotation that names an IRSA role.
pub const IRSA_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
/// The service-account annotation that overrides the web-identity audience.
pub const AUDIENCE_ANNOTATION: &str = "eks.amazonaws.com/audience";
/// The audience EKS' pod identity webhook uses unless the annotation overrides it.
pub const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";

#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub mode: Mode,
    /// Cluster name, when known (EKS DescribeCluster, kubeconfig context).
    pub cluster_name: Option<String>,
    /// The AWS account that `iam` describes (STS GetCallerIdentity).
    pub account: Option<String>,
    /// The identity that collected the AWS side.
    pub caller_arn: Option<String>,

    pub namespaces: Vec<Namespace>,
    pub service_accounts: Vec<ServiceAccount>,
    pub pods: Vec<Pod>,
    pub workloads: Vec<Workload>,
    pub roles: Vec<RbacRole>,
    pub bindings: Vec<RbacBinding>,
    pub secrets: Vec<SecretMeta>,
    /// The `aws-auth` ConfigMap of kube-system, when collected and present.
    pub aws_auth: Option<AwsAuth>,
    /// kube-apiserver flags, from its static pod or `kube-apiserver.flags`.
    pub apiserver: Option<ApiServerFlags>,
    /// Kubeconfig files that were read (CFG rules).
    pub kubeconfigs: Vec<Kubeconfig>,

    pub iam: IamInventory,
    pub oidc_providers: Vec<OidcProvider>,
    pub cluster: Option<EksCluster>,
    pub access_entries: Vec<AccessEntry>,
    pub pod_identity_associations: Vec<PodIdentityAssociation>,
    /// Kubernetes nodes, Karpenter's EC2NodeClasses and NodePools.
    pub nodes: Vec<Node>,
    pub node_classes: Vec<NodeClass>,
    pub node_pools: Vec<NodePool>,
    /// The nodes' EC2 instances (`ec2-instances.json`).
    pub ec2_instances: Vec<Ec2Instance>,
    /// EKS managed node groups (`eks-nodegroups.json`).
    pub nodegroups: Vec<NodeGroup>,
    /// Their launch template versions (`ec2-launch-template-versions.json`).
    pub launch_template_versions: Vec<LaunchTemplateVersion>,

    pub coverage: Coverage,
}

impl Inventory {
    /// Whether a source was fully read; rules that need it say so when it was not.
    pub fn seen(&self, source: &str) -> bool {
        self.coverage
            .sources
            .iter()
            .any(|s| s.source == source && s.status == Status::Ok)
    }
}

// ---------------------------------------------------------------- coverage

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Forbidden,
    Missing,
    Error,
    NotObservable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Forbidden => "forbidden",
            Status::Missing => "missing",
            Status::Error => "error",
            Status::NotObservable => "not-observable",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    pub source: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    pub source: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub sources: Vec<SourceStatus>,
    pub problems: Vec<Problem>,
}

impl Coverage {
    /// Record a source's status; a later call for the same source replaces it.
    pub fn set(
        &mut self,
        source: &str,
        status: Status,
        count: Option<usize>,
        detail: Option<String>,
    ) {
        let entry = SourceStatus {
            source: source.to_string(),
            status,
            count,
            detail,
        };
        if let Some(old) = self.sources.iter_mut().find(|s| s.source == source) {
            *old = entry;
        } else {
            self.sources.push(entry);
        }
    }

    pub fn problem(&mut self, source: impl Into<String>, detail: impl Into<String>) {
        self.problems.push(Problem {
            source: source.into(),
            detail: detail.into(),
        });
    }

    pub fn status(&self, source: &str) -> Option<&SourceStatus> {
        self.sources.iter().find(|s| s.source == source)
    }
}

// ---------------------------------------------------------------- kubernetes

#[derive(Debug, Clone, Default)]
pub struct Namespace {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceAccount {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub created: Option<String>,
}

impl ServiceAccount {
    /// The raw `eks.amazonaws.com/role-arn` annotation, trimmed; `None` when absent or empty.
    pub fn irsa_annotation(&self) -> Option<&str> {
        self.annotations
            .get(IRSA_ANNOTATION)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// The audience the pod identity webhook requests for this account's token.
    pub fn audience(&self) -> &str {
        self.annotations
            .get(AUDIENCE_ANNOTATION)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_AUDIENCE)
    }

    /// `system:serviceaccount:<ns>:<name>`, the username and the web-identity `sub`.
    pub fn username(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Container {
    pub name: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Pod {
    pub namespace: String,
    pub name: String,
    /// `spec.serviceAccountName` (or the deprecated `serviceAccount`), `default` when unset.
    pub service_account: String,
    pub labels: BTreeMap<String, String>,
    /// `kind/name` of the first owner reference, when any.
    pub owner: Option<String>,
    pub containers: Vec<Container>,
    pub node_name: Option<String>,
    pub phase: Option<String>,
    /// `spec.hostNetwork`: the pod shares its node's network namespace.
    pub host_network: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Workload {
    /// Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob, ReplicationController.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The pod template's service account, `default` when unset.
    pub service_account: String,
}

/// One RBAC `PolicyRule`, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PolicyRule {
    #[serde(rename = "apiGroups", skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(rename = "resourceNames", skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
    pub verbs: Vec<String>,
}

/// A label selector term of an `aggregationRule`.
#[derive(Debug, Clone, Default)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Debug, Clone, Default)]
pub struct LabelSelectorRequirement {
    pub key: String,
    /// In, NotIn, Exists, DoesNotExist.
    pub operator: String,
    pub values: Vec<String>,
}

/// A Role (namespace set) or ClusterRole (namespace `None`).
#[derive(Debug, Clone, Default)]
pub struct RbacRole {
    pub namespace: Option<String>,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub rules: Vec<PolicyRule>,
    /// `aggregationRule.clusterRoleSelectors`, ClusterRoles only.
    pub aggregation: Option<Vec<LabelSelector>>,
}

impl RbacRole {
    pub fn kind(&self) -> &'static str {
        if self.namespace.is_some() {
            "Role"
        } else {
            "ClusterRole"
        }
    }
    pub fn is_bootstrap(&self) -> bool {
        self.labels.get(BOOTSTRAP_LABEL).map(String::as_str) == Some("rbac-defaults")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RbacSubject {
    /// ServiceAccount, User or Group.
    pub kind: String,
    pub name: String,
    /// ServiceAccounts only (a RoleBinding's own namespace when omitted).
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RoleRef {
    /// Role or ClusterRole.
    pub kind: String,
    pub name: String,
}

/// A RoleBinding (namespace set) or ClusterRoleBinding (namespace `None`).
#[derive(Debug, Clone, Default)]
pub struct RbacBinding {
    pub namespace: Option<String>,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub role_ref: RoleRef,
    pub subjects: Vec<RbacSubject>,
}

impl RbacBinding {
    pub fn kind(&self) -> &'static str {
        if self.namespace.is_some() {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        }
    }
    pub fn is_bootstrap(&self) -> bool {
        self.labels.get(BOOTSTRAP_LABEL).map(String::as_str) == Some("rbac-defaults")
    }
}

/// A Secret's metadata and type. Its data is never read.
#[derive(Debug, Clone, Default)]
pub struct SecretMeta {
    pub namespace: String,
    pub name: String,
    pub type_: String,
    /// `kubernetes.io/service-account.name`, for service-account-token Secrets.
    pub service_account: Option<String>,
    pub created: Option<String>,
}

/// kube-apiserver's command line, split into arguments.
#[derive(Debug, Clone, Default)]
pub struct ApiServerFlags {
    /// Where they were read: `pod kube-system/kube-apiserver-cp-1` or `kube-apiserver.flags`.
    pub origin: String,
    /// The snapshot file they were read from, for coverage problems.
    pub file: String,
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Kubeconfig {
    pub path: String,
    /// Permission bits of the file, where the platform has them.
    pub mode: Option<u32>,
    pub users: Vec<KubeconfigUser>,
    pub clusters: Vec<KubeconfigCluster>,
}

#[derive(Debug, Clone, Default)]
pub struct KubeconfigUser {
    pub name: String,
    pub has_token: bool,
    pub has_token_file: bool,
    pub has_password: bool,
    pub has_username: bool,
    pub has_client_key_data: bool,
    pub exec_command: Option<String>,
    /// `--cluster-name`/`--cluster-id` of an `aws eks get-token` exec plugin.
    pub exec_cluster_name: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct KubeconfigCluster {
    pub name: String,
    pub server: Option<String>,
    pub insecure_skip_tls_verify: bool,
}

// ---------------------------------------------------------------- aws

#[derive(Debug, Clone, Default)]
pub struct IamInventory {
    pub roles: Vec<IamRole>,
    pub users: Vec<IamUser>,
    pub groups: Vec<IamGroup>,
    /// Managed policies (customer and AWS) with their default version's document.
    pub policies: Vec<ManagedPolicy>,
    /// Instance profiles, from the roles' `InstanceProfileList`.
    pub instance_profiles: Vec<InstanceProfile>,
}

#[derive(Debug, Clone, Default)]
pub struct InlinePolicy {
    pub name: String,
    /// The policy document as JSON (URL-encoded strings already decoded).
    pub document: Value,
}

#[derive(Debug, Clone, Default)]
pub struct AttachedPolicy {
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Clone, Default)]
pub struct IamRole {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub role_id: String,
    pub created: Option<String>,
    /// The trust policy (`AssumeRolePolicyDocument`), decoded.
    pub trust_policy: Option<Value>,
    pub inline_policies: Vec<InlinePolicy>,
    pub attached_policies: Vec<AttachedPolicy>,
    /// ARN of the permissions boundary policy, when set.
    pub permissions_boundary: Option<String>,
    /// `RoleLastUsed.LastUsedDate`, when IAM reported one.
    pub last_used: Option<String>,
    /// Whether `RoleLastUsed` was present at all (an empty object means never used).
    pub last_used_known: bool,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct IamUser {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub inline_policies: Vec<InlinePolicy>,
    pub attached_policies: Vec<AttachedPolicy>,
    pub groups: Vec<String>,
    pub permissions_boundary: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct IamGroup {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub inline_policies: Vec<InlinePolicy>,
    pub attached_policies: Vec<AttachedPolicy>,
}

#[derive(Debug, Clone, Default)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub default_version_id: Option<String>,
    /// The default version's document, decoded; `None` when no version was listed.
    pub document: Option<Value>,
}

#[derive(Debug, Clone, Default)]
pub struct OidcProvider {
    pub arn: String,
    /// Issuer host and path, without scheme (`oidc.eks.us-west-2.amazonaws.com/id/ABC`).
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct EksCluster {
    pub name: String,
    pub arn: Option<String>,
    pub version: Option<String>,
    /// The OIDC issuer URL, as DescribeCluster returns it (`https://…`).
    pub oidc_issuer: Option<String>,
    pub authentication_mode: Option<String>,
    pub bootstrap_cluster_creator_admin: Option<bool>,
    pub endpoint_public_access: Option<bool>,
    pub endpoint_private_access: Option<bool>,
    pub public_access_cidrs: Vec<String>,
    /// Log types and whether each is enabled.
    pub logging: BTreeMap<String, bool>,
    pub logging_known: bool,
    pub endpoint: Option<String>,
    pub platform_version: Option<String>,
}

impl EksCluster {
    /// The issuer without its scheme, as IAM names it in provider ARNs and condition keys.
    pub fn issuer_host(&self) -> Option<String> {
        self.oidc_issuer.as_deref().map(strip_scheme)
    }
}

/// `https://oidc.eks…/id/X` → `oidc.eks…/id/X` (also trims a trailing `/`).
pub fn strip_scheme(url: &str) -> String {
    let s = url.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    s.trim_end_matches('/').to_string()
}

#[derive(Debug, Clone, Default)]
pub struct AccessPolicyAssociation {
    pub policy_arn: String,
    /// `cluster` or `namespace`.
    pub scope_type: String,
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AccessEntry {
    pub principal_arn: String,
    pub kubernetes_groups: Vec<String>,
    pub username: Option<String>,
    /// STANDARD, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, …
    pub type_: Option<String>,
    pub access_policies: Vec<AccessPolicyAssociation>,
}

#[derive(Debug, Clone, Default)]
pub struct PodIdentityAssociation {
    pub id: String,
    pub arn: Option<String>,
    pub cluster_name: Option<String>,
    pub namespace: String,
    pub service_account: String,
    pub role_arn: String,
    pub disable_session_tags: bool,
    pub target_role_arn: Option<String>,
}

// ---------------------------------------------------------------- nodes

pub use node::{
    Ec2Instance, InstanceProfile, LaunchTemplateVersion, MetadataOptions, Node, NodeClass,
    NodeGroup, NodePool,
};
