//! The Kubernetes identities of IAM principals (aws-auth mappings and EKS access
//! entries) and the in-cluster roles EKS access policies are approximated by.

use super::*;

/// Where an IAM principal's cluster identity comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingSource {
    /// Index into `aws_auth.entries`.
    AwsAuth(usize),
    /// Index into `access_entries`.
    AccessEntry(usize),
}

/// An IAM principal mapped to a Kubernetes user and groups.
#[derive(Debug, Clone)]
pub struct IamMapping<'a> {
    pub arn: &'a str,
    pub username: Option<&'a str>,
    pub groups: Vec<&'a str>,
    pub source: MappingSource,
}

impl IamMapping<'_> {
    pub fn describe(&self) -> String {
        match self.source {
            MappingSource::AwsAuth(_) => format!("aws-auth entry {}", self.arn),
            MappingSource::AccessEntry(_) => format!("access entry {}", self.arn),
        }
    }
}

/// What the authorizer sees of a principal: its user name and groups.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub user: Option<String>,
    /// Set for service accounts (ns, name).
    pub service_account: Option<(String, String)>,
    pub groups: Vec<String>,
    /// Access entries (indices) whose access policies apply.
    pub access_entries: Vec<usize>,
    /// How the identity got `system:masters`, when it did.
    pub masters_via: Option<String>,
}

/// Members of a group, as far as the inventory knows them.
#[derive(Debug, Clone, Default)]
pub struct Members {
    /// "every service account", "anyone without credentials", …
    pub description: Option<String>,
    pub service_accounts: usize,
    pub principals: Vec<Principal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Key {
    User(String),
    Group(String),
    Sa(String, String),
}

pub(super) fn key_of(s: &RbacSubject, binding_ns: Option<&str>) -> Option<Key> {
    Some(match Principal::from_subject(s, binding_ns)? {
        Principal::ServiceAccount { namespace, name } => Key::Sa(namespace, name),
        Principal::User { name } => Key::User(name),
        Principal::Group { name } => Key::Group(name),
        Principal::Iam { .. } => return None,
    })
}

/// An index of a role's effective rule: (role index in `inv.roles`, rule index in its rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RuleRef {
    pub(super) role: usize,
    pub(super) rule: usize,
}

/// The role name an EKS access policy mirrors, or `None` for full access.
///
/// AWS documents each access policy's rules in "Review access policy
/// permissions" (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html):
/// AmazonEKSClusterAdminPolicy is `*` on `*` (and every non-resource URL);
/// AmazonEKSAdminPolicy, AmazonEKSEditPolicy and AmazonEKSViewPolicy are "similar
/// to the Kubernetes user-facing cluster roles" admin, edit and view, whose rules
/// the cluster's own ClusterRoles give; AmazonEKSAdminViewPolicy is get, list and
/// watch on every resource, Secrets included ([`ADMIN_VIEW`]). The
/// special-purpose policies (AutoNode, BlockStorage, Compute, LoadBalancing,
/// Networking, Hybrid, and those of other AWS services) are not modelled:
/// [`access_policy_modelled`] says so, and the query layer reports them.
pub(super) fn access_policy_role(policy_arn: &str) -> Option<Option<&'static str>> {
    let name = policy_arn.rsplit('/').next().unwrap_or(policy_arn);
    match name {
        "AmazonEKSClusterAdminPolicy" => Some(None),
        "AmazonEKSAdminPolicy" => Some(Some("admin")),
        "AmazonEKSEditPolicy" => Some(Some("edit")),
        "AmazonEKSViewPolicy" => Some(Some("view")),
        "AmazonEKSAdminViewPolicy" => Some(Some(ADMIN_VIEW_NAME)),
        _ => None,
    }
}

/// Whether the engine knows what an EKS access policy grants.
pub fn access_policy_modelled(policy_arn: &str) -> bool {
    access_policy_role(policy_arn).is_some()
}

pub(super) const ADMIN_VIEW_NAME: &str = "eks:access-policy:AmazonEKSAdminViewPolicy";

/// AmazonEKSAdminViewPolicy's one rule, as AWS documents it: apiGroups `*`,
/// resources `*`, verbs get, list, watch.
pub(super) static ADMIN_VIEW: std::sync::LazyLock<RbacRole> =
    std::sync::LazyLock::new(|| RbacRole {
        namespace: None,
        name: ADMIN_VIEW_NAME.to_string(),
        labels: BTreeMap::new(),
        rules: vec![PolicyRule {
            api_groups: vec!["*".into()],
            resources: vec!["*".into()],
            resource_names: Vec::new(),
            non_resource_urls: Vec::new(),
            verbs: vec!["get".into(), "list".into(), "watch".into()],
        }],
        aggregation: None,
    });

/// `arn:aws:iam::1:role/a/b/name` → `arn:aws:iam::1:role/name`, lowercased:
/// how aws-iam-authenticator compares role ARNs.
pub(super) fn arn_without_path(arn: &str) -> String {
    let lower = arn.trim().to_ascii_lowercase();
    if let Some((head, res)) = lower.split_once(":role/") {
        let name = res.rsplit('/').next().unwrap_or(res);
        return format!("{head}:role/{name}");
    }
    if let Some((head, res)) = lower.split_once(":user/") {
        let name = res.rsplit('/').next().unwrap_or(res);
        return format!("{head}:user/{name}");
    }
    lower
}
