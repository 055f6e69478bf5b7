//! Kubernetes RBAC evaluation, as the API server's RBAC authorizer does it.
//!
//! A rule matches a request when its verbs, apiGroups, resources (with
//! subresources: `pods/exec`, `*/scale`, `*`), resourceNames and, for
//! non-resource requests, nonResourceURLs (with a trailing `*` as a prefix
//! match) all admit it. As in the API server, `pods/*` is not a pattern: it only
//! matches a resource literally called `pods/*`, so it grants no subresource.
//!
//! Aggregated ClusterRoles are computed from their `aggregationRule` selectors
//! over every ClusterRole's labels, never trusted from the stored rules: the
//! effective rules are the role's own rules plus those of every role selected,
//! transitively (an aggregated role that selects another aggregated role gets
//! its parts too; cycles end).
//!
//! A RoleBinding grants its role in its own namespace only (also when it refers
//! to a ClusterRole, and never non-resource URLs); a ClusterRoleBinding grants
//! everywhere. A ServiceAccount is also in `system:serviceaccounts`,
//! `system:serviceaccounts:<ns>` and `system:authenticated`; IAM principals get
//! the groups aws-auth or their access entry maps them to. `system:masters`
//! bypasses RBAC altogether. EKS access policies are approximated by the
//! in-cluster roles they mirror (cluster-admin, admin, edit, view).
//!
//! [`RbacEngine`] is built once per audit: aggregated rules, roles by name and
//! bindings by subject and by namespace are precomputed, so a query touches only
//! the bindings that can apply.

use crate::hashing::{HashMap, HashSet};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use crate::model::{
    AccessEntry, Inventory, LabelSelector, PolicyRule, RbacBinding, RbacRole, RbacSubject,
};

pub const MASTERS: &str = "system:masters";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
pub const ANONYMOUS: &str = "system:anonymous";
pub const SERVICEACCOUNTS: &str = "system:serviceaccounts";
const SA_USER_PREFIX: &str = "system:serviceaccount:";

// ------------------------------------------------------------------ principals

/// A Kubernetes identity: what a binding can name, or what can be asked about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Principal {
    ServiceAccount {
        namespace: String,
        name: String,
    },
    User {
        name: String,
    },
    Group {
        name: String,
    },
    /// An IAM role or user mapped into the cluster (aws-auth or an access entry).
    Iam {
        arn: String,
    },
}

impl Principal {
    pub fn service_account(namespace: &str, name: &str) -> Principal {
        Principal::ServiceAccount {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
    pub fn user(name: &str) -> Principal {
        Principal::User {
            name: name.to_string(),
        }
    }
    pub fn group(name: &str) -> Principal {
        Principal::Group {
            name: name.to_string(),
        }
    }
    pub fn iam(arn: &str) -> Principal {
        Principal::Iam {
            arn: arn.to_string(),
        }
    }

    /// The principal a binding's subject entry names. A ServiceAccount without
    /// namespace takes the binding's; a User named `system:serviceaccount:<ns>:<n>`
    /// is that ServiceAccount (the authorizer compares user names).
    pub fn from_subject(s: &RbacSubject, binding_ns: Option<&str>) -> Option<Principal> {
        match s.kind.as_str() {
            "ServiceAccount" => {
                let ns = s
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .or(binding_ns)
                    .unwrap_or("");
                Some(Principal::service_account(ns, &s.name))
            }
            "User" => Some(match parse_sa_username(&s.name) {
                Some((ns, n)) => Principal::service_account(ns, n),
                None => Principal::user(&s.name),
            }),
            "Group" => Some(Principal::group(&s.name)),
            _ => None,
        }
    }

    /// `Kind name`, for evidence.
    pub fn label(&self) -> String {
        match self {
            Principal::ServiceAccount { namespace, name } => {
                format!("ServiceAccount {namespace}/{name}")
            }
            Principal::User { name } => format!("User {name}"),
            Principal::Group { name } => format!("Group {name}"),
            Principal::Iam { arn } => format!("IAM principal {arn}"),
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// `system:serviceaccount:<ns>:<name>` → (ns, name).
pub fn parse_sa_username(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SA_USER_PREFIX)?;
    let (ns, name) = rest.split_once(':')?;
    if ns.is_empty() || name.is_empty() || name.contains(':') {
        return None;
    }
    Some((ns, name))
}

// ------------------------------------------------------------------ requests

/// The object name of a request, as the authorizer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name<'r> {
    /// No name (list, watch, create, deletecollection): rules with resourceNames do not apply.
    None,
    /// One named object.
    Named(&'r str),
    /// Some object, whichever: rules with resourceNames apply too.
    Any,
}

/// A resource request: `kubectl auth can-i VERB RESOURCE[/SUB] [-n NS] [NAME]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'r> {
    pub verb: &'r str,
    pub api_group: &'r str,
    pub resource: &'r str,
    /// Empty when none.
    pub subresource: &'r str,
    /// `None`: a cluster-scoped request, or one across all namespaces.
    pub namespace: Option<&'r str>,
    pub name: Name<'r>,
}

impl<'r> Request<'r> {
    /// `resource` may carry a subresource: `pods/exec`.
    pub fn new(verb: &'r str, api_group: &'r str, resource: &'r str) -> Request<'r> {
        let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
        Request {
            verb,
            api_group,
            resource,
            subresource,
            namespace: None,
            name: Name::None,
        }
    }
    pub fn in_ns(mut self, ns: &'r str) -> Request<'r> {
        self.namespace = Some(ns);
        self
    }
    pub fn named(mut self, name: &'r str) -> Request<'r> {
        self.name = Name::Named(name);
        self
    }
    pub fn any_name(mut self) -> Request<'r> {
        self.name = Name::Any;
        self
    }
}

impl fmt::Display for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.verb)?;
        if !self.api_group.is_empty() {
            write!(f, "{}.", self.api_group)?;
        }
        f.write_str(self.resource)?;
        if !self.subresource.is_empty() {
            write!(f, "/{}", self.subresource)?;
        }
        if let Name::Named(n) = self.name {
            write!(f, " {n}")?;
        }
        match self.namespace {
            Some(ns) => write!(f, " in namespace {ns}"),
            None => f.write_str(" cluster-wide"),
        }
    }
}

// ------------------------------------------------------------------ rule matching

pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

pub fn group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

/// The API server's `ResourceMatches`: `*`, the exact `resource[/sub]`, or `*/sub`.
pub fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        if r == "*" {
            return true;
        }
        if subresource.is_empty() {
            return r == resource;
        }
        match r.split_once('/') {
            Some((res, sub)) => sub == subresource && (res == resource || res == "*"),
            None => false,
        }
    })
}

pub fn name_matches(rule: &PolicyRule, name: Name) -> bool {
    if rule.resource_names.is_empty() {
        return true;
    }
    match name {
        Name::None => false,
        Name::Named(n) => rule.resource_names.iter().any(|r| r == n),
        Name::Any => true,
    }
}

/// Whether a rule allows a resource request (scope is the binding's business).
pub fn rule_allows(rule: &PolicyRule, req: &Request) -> bool {
    verb_matches(rule, req.verb)
        && group_matches(rule, req.api_group)
        && resource_matches(rule, req.resource, req.subresource)
        && name_matches(rule, req.name)
}

/// Whether a rule allows a non-resource request (`get /healthz`).
pub fn rule_allows_url(rule: &PolicyRule, verb: &str, path: &str) -> bool {
    verb_matches(rule, verb)
        && rule.non_resource_urls.iter().any(|u| {
            u == "*"
                || u == path
                || u.strip_suffix('*')
                    .is_some_and(|prefix| path.starts_with(prefix))
        })
}

/// A `metav1.LabelSelector` term: matchLabels and matchExpressions, all must hold.
/// An empty selector selects everything, as `LabelSelectorAsSelector` makes it.
pub fn selector_matches(sel: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    sel.match_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v))
        && sel.match_expressions.iter().all(|e| {
            let have = labels.get(&e.key);
            match e.operator.as_str() {
                "In" => have.is_some_and(|v| e.values.contains(v)),
                "NotIn" => have.is_none_or(|v| !e.values.contains(v)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            }
        })
}

/// A rule as one line of YAML flow style, for evidence.
pub fn format_rule(rule: &PolicyRule) -> String {
    fn list(items: &[String]) -> String {
        let quoted: Vec<String> = items
            .iter()
            .map(|s| serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}")))
            .collect();
        format!("[{}]", quoted.join(", "))
    }
    let mut parts = Vec::new();
    if !rule.api_groups.is_empty() {
        parts.push(format!("apiGroups: {}", list(&rule.api_groups)));
    }
    if !rule.resources.is_empty() {
        parts.push(format!("resources: {}", list(&rule.resources)));
    }
    if !rule.resource_names.is_empty() {
        parts.push(format!("resourceNames: {}", list(&rule.resource_names)));
    }
    if !rule.non_resource_urls.is_empty() {
        parts.push(format!(
            "nonResourceURLs: {}",
            list(&rule.non_resource_urls)
        ));
    }
    parts.push(format!("verbs: {}", list(&rule.verbs)));
    format!("{{{}}}", parts.join(", "))
}

/// `ClusterRole view`, `Role ns/name`.
pub fn role_label(r: &RbacRole) -> String {
    match &r.namespace {
        Some(ns) => format!("Role {ns}/{}", r.name),
        None => format!("ClusterRole {}", r.name),
    }
}

/// `ClusterRoleBinding name`, `RoleBinding ns/name`.
pub fn binding_label(b: &RbacBinding) -> String {
    match &b.namespace {
        Some(ns) => format!("RoleBinding {ns}/{}", b.name),
        None => format!("ClusterRoleBinding {}", b.name),
    }
}

// ------------------------------------------------------------------ grants

/// Where a grant applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope<'a> {
    /// Every namespace and cluster-scoped resources.
    Cluster,
    Namespace(&'a str),
}

impl fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Cluster => f.write_str("cluster-wide"),
            Scope::Namespace(ns) => write!(f, "namespace {ns}"),
        }
    }
}

/// One rule of one role, granted through one binding to one of its subjects.
#[derive(Debug, Clone, Copy)]
pub struct RuleGrant<'a> {
    pub binding_index: usize,
    pub binding: &'a RbacBinding,
    /// The subject entry of the binding that applies.
    pub subject: &'a RbacSubject,
    /// The role the binding refers to.
    pub role: &'a RbacRole,
    /// The role the rule is written in (another one when aggregated).
    pub rule_role: &'a RbacRole,
    pub rule_index: usize,
    pub rule: &'a PolicyRule,
}

#[derive(Debug, Clone)]
pub enum Via<'a> {
    Binding(RuleGrant<'a>),
    /// `system:masters` bypasses authorization; `member` says how the subject is in it.
    Masters {
        member: String,
    },
    /// An EKS access policy of an access entry; `rule` when it mirrors an in-cluster role.
    AccessPolicy {
        entry: &'a AccessEntry,
        policy_arn: &'a str,
        rule: Option<(&'a RbacRole, usize, &'a PolicyRule)>,
    },
}

/// Why a subject may do something: one row of its effective permissions.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    pub scope: Scope<'a>,
    pub via: Via<'a>,
}

impl<'a> Grant<'a> {
    pub fn rule(&self) -> Option<&'a PolicyRule> {
        match &self.via {
            Via::Binding(g) => Some(g.rule),
            Via::AccessPolicy { rule, .. } => rule.map(|r| r.2),
            Via::Masters { .. } => None,
        }
    }

    pub fn binding(&self) -> Option<&'a RbacBinding> {
        match &self.via {
            Via::Binding(g) => Some(g.binding),
            _ => None,
        }
    }

    /// Whether this grant allows a resource request (scope included).
    pub fn allows(&self, req: &Request) -> bool {
        let in_scope = match (self.scope, req.namespace) {
            (Scope::Cluster, _) => true,
            (Scope::Namespace(a), Some(b)) => a == b,
            (Scope::Namespace(_), None) => false,
        };
        in_scope
            && match &self.via {
                Via::Masters { .. } => true,
                Via::Binding(g) => rule_allows(g.rule, req),
                Via::AccessPolicy { rule: None, .. } => true,
                Via::AccessPolicy { rule: Some(r), .. } => rule_allows(r.2, req),
            }
    }

    /// One line: binding → role, rule, where.
    pub fn describe(&self) -> String {
        match &self.via {
            Via::Binding(g) => {
                let mut s = format!(
                    "{} → {}, rule #{} {}",
                    binding_label(g.binding),
                    role_label(g.role),
                    g.rule_index,
                    format_rule(g.rule)
                );
                if !std::ptr::eq(g.rule_role, g.role) {
                    s.push_str(&format!(" (aggregated from {})", role_label(g.rule_role)));
                }
                s.push_str(&format!(" [{}]", self.scope));
                s
            }
            Via::Masters { member } => {
                format!("{member}: system:masters bypasses RBAC (everything allowed)")
            }
            Via::AccessPolicy {
                entry,
                policy_arn,
                rule,
            } => {
                let mut s = format!(
                    "access entry {} → access policy {policy_arn} [{}]",
                    entry.principal_arn, self.scope
                );
                if let Some((role, i, r)) = rule {
                    s.push_str(&format!(
                        ", like {} rule #{i} {}",
                        role_label(role),
                        format_rule(r)
                    ));
                }
                s
            }
        }
    }
}

// ------------------------------------------------------------------ identities

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
enum Key {
    User(String),
    Group(String),
    Sa(String, String),
}

fn key_of(s: &RbacSubject, binding_ns: Option<&str>) -> Option<Key> {
    Some(match Principal::from_subject(s, binding_ns)? {
        Principal::ServiceAccount { namespace, name } => Key::Sa(namespace, name),
        Principal::User { name } => Key::User(name),
        Principal::Group { name } => Key::Group(name),
        Principal::Iam { .. } => return None,
    })
}

/// An index of a role's effective rule: (role index in `inv.roles`, rule index in its rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RuleRef {
    role: usize,
    rule: usize,
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
fn access_policy_role(policy_arn: &str) -> Option<Option<&'static str>> {
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

const ADMIN_VIEW_NAME: &str = "eks:access-policy:AmazonEKSAdminViewPolicy";

/// AmazonEKSAdminViewPolicy's one rule, as AWS documents it: apiGroups `*`,
/// resources `*`, verbs get, list, watch.
static ADMIN_VIEW: std::sync::LazyLock<RbacRole> = std::sync::LazyLock::new(|| RbacRole {
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
fn arn_without_path(arn: &str) -> String {
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

// ------------------------------------------------------------------ engine

/// RBAC over one inventory, built once.
pub struct RbacEngine<'a> {
    inv: &'a Inventory,
    include_bootstrap: bool,
    /// Effective rules per role (index as in `inv.roles`).
    effective: Vec<Vec<RuleRef>>,
    cluster_roles: HashMap<&'a str, usize>,
    ns_roles: HashMap<(&'a str, &'a str), usize>,
    /// The role each binding refers to, when it exists.
    binding_role: Vec<Option<usize>>,
    /// (binding, subject entry) pairs per subject.
    by_subject: HashMap<Key, Vec<(usize, usize)>>,
    cluster_bindings: Vec<usize>,
    ns_bindings: HashMap<&'a str, Vec<usize>>,
    mappings: Vec<IamMapping<'a>>,
    sa_count: usize,
    sa_per_ns: HashMap<&'a str, usize>,
}

impl<'a> RbacEngine<'a> {
    /// Every binding counts, as in the cluster.
    pub fn new(inv: &'a Inventory) -> RbacEngine<'a> {
        RbacEngine::build(inv, true)
    }

    /// `include_bootstrap == false` leaves out the grants of Kubernetes' own
    /// bootstrap bindings (what an audit reports by default).
    pub fn build(inv: &'a Inventory, include_bootstrap: bool) -> RbacEngine<'a> {
        let mut cluster_roles = HashMap::default();
        let mut ns_roles = HashMap::default();
        for (i, r) in inv.roles.iter().enumerate() {
            match &r.namespace {
                None => {
                    cluster_roles.insert(r.name.as_str(), i);
                }
                Some(ns) => {
                    ns_roles.insert((ns.as_str(), r.name.as_str()), i);
                }
            }
        }
        let effective = aggregate(inv);

        let binding_role: Vec<Option<usize>> = inv
            .bindings
            .iter()
            .map(|b| match (b.role_ref.kind.as_str(), &b.namespace) {
                ("ClusterRole", _) => cluster_roles.get(b.role_ref.name.as_str()).copied(),
                ("Role", Some(ns)) => ns_roles
                    .get(&(ns.as_str(), b.role_ref.name.as_str()))
                    .copied(),
                _ => None,
            })
            .collect();
        let mut by_subject: HashMap<Key, Vec<(usize, usize)>> = HashMap::default();
        let mut cluster_bindings = Vec::new();
        let mut ns_bindings: HashMap<&str, Vec<usize>> = HashMap::default();
        // Bindings in a fixed order (cluster-wide ones first, then by namespace
        // and name), whatever order the API or the files gave them in: the
        // evidence and the paths chosen are then the same for the same cluster.
        let mut order: Vec<usize> = (0..inv.bindings.len()).collect();
        order.sort_by_key(|&i| {
            let b = &inv.bindings[i];
            (
                b.namespace.is_some(),
                b.namespace.as_deref(),
                b.name.as_str(),
            )
        });
        for bi in order {
            let b = &inv.bindings[bi];
            if !include_bootstrap && b.is_bootstrap() {
                continue;
            }
            match &b.namespace {
                None => cluster_bindings.push(bi),
                Some(ns) => ns_bindings.entry(ns.as_str()).or_default().push(bi),
            }
            for (si, s) in b.subjects.iter().enumerate() {
                if let Some(k) = key_of(s, b.namespace.as_deref()) {
                    let v = by_subject.entry(k).or_default();
                    if v.last().map(|l| l.0) != Some(bi) {
                        v.push((bi, si));
                    }
                }
            }
        }

        let mut mappings = Vec::new();
        if let Some(aa) = &inv.aws_auth {
            for (i, e) in aa.entries.iter().enumerate() {
                // An entry the authenticator would not use maps nobody.
                if e.arn.is_empty() || !e.problems.is_empty() {
                    continue;
                }
                mappings.push(IamMapping {
                    arn: e.arn.as_str(),
                    username: e.username.as_deref(),
                    groups: e.groups.iter().map(String::as_str).collect(),
                    source: MappingSource::AwsAuth(i),
                });
            }
        }
        for (i, e) in inv.access_entries.iter().enumerate() {
            mappings.push(IamMapping {
                arn: e.principal_arn.as_str(),
                username: e.username.as_deref(),
                groups: e.kubernetes_groups.iter().map(String::as_str).collect(),
                source: MappingSource::AccessEntry(i),
            });
        }

        let mut sa_per_ns: HashMap<&str, usize> = HashMap::default();
        for sa in &inv.service_accounts {
            *sa_per_ns.entry(sa.namespace.as_str()).or_default() += 1;
        }

        RbacEngine {
            inv,
            include_bootstrap,
            effective,
            cluster_roles,
            ns_roles,
            binding_role,
            by_subject,
            cluster_bindings,
            ns_bindings,
            mappings,
            sa_count: inv.service_accounts.len(),
            sa_per_ns,
        }
    }

    pub fn inventory(&self) -> &'a Inventory {
        self.inv
    }

    pub fn includes_bootstrap(&self) -> bool {
        self.include_bootstrap
    }

    /// Whether a binding takes part in this engine's answers.
    pub fn counts(&self, b: &RbacBinding) -> bool {
        self.include_bootstrap || !b.is_bootstrap()
    }

    pub fn cluster_role(&self, name: &str) -> Option<&'a RbacRole> {
        self.cluster_roles.get(name).map(|&i| &self.inv.roles[i])
    }

    pub fn role(&self, namespace: &str, name: &str) -> Option<&'a RbacRole> {
        self.ns_roles
            .get(&(namespace, name))
            .map(|&i| &self.inv.roles[i])
    }

    /// The role a binding (index into `inv.bindings`) refers to, if it exists.
    pub fn binding_role(&self, binding: usize) -> Option<&'a RbacRole> {
        self.binding_role
            .get(binding)
            .copied()
            .flatten()
            .map(|i| &self.inv.roles[i])
    }

    /// A role's effective rules: its own, then its aggregated parts'.
    /// Each item: (the role the rule is written in, rule index, rule).
    pub fn effective_rules(
        &self,
        role: &RbacRole,
    ) -> impl Iterator<Item = (&'a RbacRole, usize, &'a PolicyRule)> + '_ {
        let idx = match &role.namespace {
            None => self.cluster_roles.get(role.name.as_str()).copied(),
            Some(ns) => self
                .ns_roles
                .get(&(ns.as_str(), role.name.as_str()))
                .copied(),
        };
        self.rules_of(idx)
    }

    fn rules_of(
        &self,
        role: Option<usize>,
    ) -> impl Iterator<Item = (&'a RbacRole, usize, &'a PolicyRule)> + '_ {
        let inv = self.inv;
        role.and_then(|i| self.effective.get(i))
            .into_iter()
            .flatten()
            .map(move |rr| {
                let r = &inv.roles[rr.role];
                (r, rr.rule, &r.rules[rr.rule])
            })
    }

    /// The IAM mappings (aws-auth entries, access entries) the engine knows.
    pub fn mappings(&self) -> &[IamMapping<'a>] {
        &self.mappings
    }

    /// The user name and groups the authorizer would see for a principal.
    pub fn identity(&self, p: &Principal) -> Identity {
        let mut id = Identity::default();
        match p {
            Principal::ServiceAccount { namespace, name } => {
                id.user = Some(format!("{SA_USER_PREFIX}{namespace}:{name}"));
                id.service_account = Some((namespace.clone(), name.clone()));
                id.groups = vec![
                    SERVICEACCOUNTS.to_string(),
                    format!("{SERVICEACCOUNTS}:{namespace}"),
                    AUTHENTICATED.to_string(),
                ];
            }
            Principal::User { name } => {
                if let Some((ns, n)) = parse_sa_username(name) {
                    return self.identity(&Principal::service_account(ns, n));
                }
                id.user = Some(name.clone());
                if name == ANONYMOUS {
                    id.groups.push(UNAUTHENTICATED.to_string());
                } else {
                    id.groups.push(AUTHENTICATED.to_string());
                    for m in &self.mappings {
                        if m.username == Some(name.as_str()) {
                            self.add_mapping(&mut id, m);
                        }
                    }
                }
            }
            Principal::Group { name } => {
                id.groups.push(name.clone());
                if name == MASTERS {
                    id.masters_via = Some(format!("Group {MASTERS}"));
                }
            }
            Principal::Iam { arn } => {
                let want_stripped = arn_without_path(arn);
                id.groups.push(AUTHENTICATED.to_string());
                for m in &self.mappings {
                    let hit = match m.source {
                        MappingSource::AwsAuth(_) => arn_without_path(m.arn) == want_stripped,
                        MappingSource::AccessEntry(_) => m.arn.eq_ignore_ascii_case(arn.trim()),
                    };
                    if hit {
                        if id.user.is_none() {
                            id.user = Some(m.username.unwrap_or(m.arn).to_string());
                        }
                        self.add_mapping(&mut id, m);
                    }
                }
            }
        }
        id
    }

    fn add_mapping(&self, id: &mut Identity, m: &IamMapping) {
        for g in &m.groups {
            if !id.groups.iter().any(|x| x == g) {
                id.groups.push(g.to_string());
            }
            if *g == MASTERS && id.masters_via.is_none() {
                id.masters_via = Some(format!("{} maps into {MASTERS}", m.describe()));
            }
        }
        if let MappingSource::AccessEntry(i) = m.source
            && !id.access_entries.contains(&i)
        {
            id.access_entries.push(i);
        }
    }

    /// The (binding, subject entry) pairs that apply to an identity: bindings
    /// naming its user, its service account or any of its groups.
    pub fn bindings_of(&self, id: &Identity) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        let mut keys = Vec::new();
        if let Some((ns, n)) = &id.service_account {
            keys.push(Key::Sa(ns.clone(), n.clone()));
        } else if let Some(u) = &id.user {
            keys.push(Key::User(u.clone()));
        }
        keys.extend(id.groups.iter().map(|g| Key::Group(g.clone())));
        for k in keys {
            if let Some(v) = self.by_subject.get(&k) {
                out.extend_from_slice(v);
            }
        }
        out.sort_unstable();
        out.dedup_by_key(|p| p.0);
        out
    }

    /// The bindings that name a principal directly (no group expansion).
    pub fn bindings_naming(&self, p: &Principal) -> &[(usize, usize)] {
        let key = match p {
            Principal::ServiceAccount { namespace, name } => {
                Key::Sa(namespace.clone(), name.clone())
            }
            Principal::User { name } => match parse_sa_username(name) {
                Some((ns, n)) => Key::Sa(ns.to_string(), n.to_string()),
                None => Key::User(name.clone()),
            },
            Principal::Group { name } => Key::Group(name.clone()),
            Principal::Iam { .. } => return &[],
        };
        self.by_subject.get(&key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every principal that some (counted) binding names, with those bindings.
    pub fn named_principals(&self) -> BTreeMap<Principal, Vec<(usize, usize)>> {
        let mut out = BTreeMap::new();
        for (k, v) in &self.by_subject {
            let p = match k {
                Key::User(n) => Principal::user(n),
                Key::Group(n) => Principal::group(n),
                Key::Sa(ns, n) => Principal::service_account(ns, n),
            };
            out.insert(p, v.clone());
        }
        out
    }

    /// The rows granted by these (binding, subject) pairs: one per effective rule.
    pub fn rows(&self, pairs: &[(usize, usize)]) -> Vec<Grant<'a>> {
        let mut out = Vec::new();
        for &(bi, si) in pairs {
            self.push_rows(bi, si, &mut out);
        }
        out
    }

    fn push_rows(&self, bi: usize, si: usize, out: &mut Vec<Grant<'a>>) {
        let inv = self.inv;
        let b = &inv.bindings[bi];
        let Some(role_idx) = self.binding_role.get(bi).copied().flatten() else {
            return;
        };
        let role = &inv.roles[role_idx];
        let scope = match &b.namespace {
            None => Scope::Cluster,
            Some(ns) => Scope::Namespace(ns.as_str()),
        };
        let Some(subject) = b.subjects.get(si) else {
            return;
        };
        for (rule_role, rule_index, rule) in self.rules_of(Some(role_idx)) {
            // A RoleBinding never grants non-resource URLs.
            if matches!(scope, Scope::Namespace(_)) && rule.resources.is_empty() {
                continue;
            }
            out.push(Grant {
                scope,
                via: Via::Binding(RuleGrant {
                    binding_index: bi,
                    binding: b,
                    subject,
                    role,
                    rule_role,
                    rule_index,
                    rule,
                }),
            });
        }
    }

    /// Grants of the EKS access policies of these access entries.
    fn access_rows(&self, entries: &[usize], out: &mut Vec<Grant<'a>>) {
        for &i in entries {
            let Some(entry) = self.inv.access_entries.get(i) else {
                continue;
            };
            for ap in &entry.access_policies {
                let Some(mirror) = access_policy_role(&ap.policy_arn) else {
                    continue;
                };
                let scopes: Vec<Scope<'a>> = if ap.scope_type.eq_ignore_ascii_case("namespace") {
                    ap.namespaces
                        .iter()
                        .map(|n| Scope::Namespace(n.as_str()))
                        .collect()
                } else {
                    vec![Scope::Cluster]
                };
                for scope in scopes {
                    match mirror {
                        None => out.push(Grant {
                            scope,
                            via: Via::AccessPolicy {
                                entry,
                                policy_arn: &ap.policy_arn,
                                rule: None,
                            },
                        }),
                        Some(ADMIN_VIEW_NAME) => {
                            let role: &'static RbacRole = &ADMIN_VIEW;
                            for (i, rule) in role.rules.iter().enumerate() {
                                out.push(Grant {
                                    scope,
                                    via: Via::AccessPolicy {
                                        entry,
                                        policy_arn: &ap.policy_arn,
                                        rule: Some((role, i, rule)),
                                    },
                                });
                            }
                        }
                        Some(role_name) => {
                            let idx = self.cluster_roles.get(role_name).copied();
                            for r in self.rules_of(idx) {
                                out.push(Grant {
                                    scope,
                                    via: Via::AccessPolicy {
                                        entry,
                                        policy_arn: &ap.policy_arn,
                                        rule: Some(r),
                                    },
                                });
                            }
                        }
                    }
                }
            }
        }
    }

    /// A principal's effective permissions: a row per rule, with where and why.
    pub fn permissions(&self, p: &Principal) -> Vec<Grant<'a>> {
        let id = self.identity(p);
        let mut out = Vec::new();
        if let Some(m) = &id.masters_via {
            out.push(Grant {
                scope: Scope::Cluster,
                via: Via::Masters { member: m.clone() },
            });
        }
        out.extend(self.rows(&self.bindings_of(&id)));
        self.access_rows(&id.access_entries, &mut out);
        out
    }

    /// `kubectl auth can-i`: the first grant that allows the request, if any.
    pub fn can_i(&self, p: &Principal, req: &Request) -> Option<Grant<'a>> {
        let id = self.identity(p);
        self.can_identity(&id, req)
    }

    /// `can_i` with the full argument list of `kubectl auth can-i`.
    #[allow(clippy::too_many_arguments)]
    pub fn can_i_parts(
        &self,
        p: &Principal,
        verb: &str,
        group: &str,
        resource: &str,
        subresource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Option<Grant<'a>> {
        let req = Request {
            verb,
            api_group: group,
            resource,
            subresource,
            namespace,
            name: name.map_or(Name::None, Name::Named),
        };
        self.can_i(p, &req)
    }

    pub fn can_identity(&self, id: &Identity, req: &Request) -> Option<Grant<'a>> {
        if let Some(m) = &id.masters_via {
            return Some(Grant {
                scope: Scope::Cluster,
                via: Via::Masters { member: m.clone() },
            });
        }
        let pairs = self.bindings_of(id);
        if let Some(g) = self.grant_in(&pairs, req) {
            return Some(g);
        }
        let mut rows = Vec::new();
        self.access_rows(&id.access_entries, &mut rows);
        rows.into_iter().find(|g| g.allows(req))
    }

    /// The first grant among these (binding, subject) pairs allowing the request.
    pub fn grant_in(&self, pairs: &[(usize, usize)], req: &Request) -> Option<Grant<'a>> {
        let inv = self.inv;
        for &(bi, si) in pairs {
            let b = &inv.bindings[bi];
            if let Some(ns) = &b.namespace
                && req.namespace != Some(ns.as_str())
            {
                continue;
            }
            let Some(role_idx) = self.binding_role.get(bi).copied().flatten() else {
                continue;
            };
            let Some(subject) = b.subjects.get(si) else {
                continue;
            };
            for (rule_role, rule_index, rule) in self.rules_of(Some(role_idx)) {
                if rule_allows(rule, req) {
                    return Some(Grant {
                        scope: match &b.namespace {
                            None => Scope::Cluster,
                            Some(ns) => Scope::Namespace(ns.as_str()),
                        },
                        via: Via::Binding(RuleGrant {
                            binding_index: bi,
                            binding: b,
                            subject,
                            role: &inv.roles[role_idx],
                            rule_role,
                            rule_index,
                            rule,
                        }),
                    });
                }
            }
        }
        None
    }

    /// A non-resource request (`get /healthz`); only ClusterRoleBindings grant these.
    pub fn can_i_url(&self, p: &Principal, verb: &str, path: &str) -> Option<Grant<'a>> {
        self.can_identity_url(&self.identity(p), verb, path)
    }

    /// [`RbacEngine::can_i_url`] for an identity the caller built (`kubectl --as U --as-group G`).
    pub fn can_identity_url(&self, id: &Identity, verb: &str, path: &str) -> Option<Grant<'a>> {
        if let Some(m) = &id.masters_via {
            return Some(Grant {
                scope: Scope::Cluster,
                via: Via::Masters { member: m.clone() },
            });
        }
        let pairs = self.bindings_of(id);
        let mut rows = self.rows(&pairs);
        // AmazonEKSClusterAdminPolicy on the cluster also grants every non-resource URL.
        self.access_rows(&id.access_entries, &mut rows);
        rows.into_iter().find(|g| {
            g.scope == Scope::Cluster
                && match (&g.via, g.rule()) {
                    (Via::AccessPolicy { rule: None, .. }, _) => true,
                    (_, Some(r)) => rule_allows_url(r, verb, path),
                    _ => false,
                }
        })
    }

    /// kubectl-who-can: every principal a binding names that may make the
    /// request, plus `system:masters` and the IAM principals mapped into it, plus
    /// access entries whose access policies allow it.
    pub fn who_can(&self, req: &Request) -> Vec<(Principal, Grant<'a>)> {
        let inv = self.inv;
        let mut out: Vec<(Principal, Grant<'a>)> = Vec::new();
        let mut seen: HashSet<Principal> = HashSet::default();

        let masters = Grant {
            scope: Scope::Cluster,
            via: Via::Masters {
                member: format!("Group {MASTERS}"),
            },
        };
        seen.insert(Principal::group(MASTERS));
        out.push((Principal::group(MASTERS), masters));
        for m in &self.mappings {
            if m.groups.contains(&MASTERS) {
                let p = Principal::iam(m.arn);
                if seen.insert(p.clone()) {
                    out.push((
                        p,
                        Grant {
                            scope: Scope::Cluster,
                            via: Via::Masters {
                                member: format!("{} maps into {MASTERS}", m.describe()),
                            },
                        },
                    ));
                }
            }
        }

        let ns_list = req
            .namespace
            .and_then(|ns| self.ns_bindings.get(ns))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for &bi in self.cluster_bindings.iter().chain(ns_list) {
            let b = &inv.bindings[bi];
            let Some(role_idx) = self.binding_role.get(bi).copied().flatten() else {
                continue;
            };
            let Some((rule_role, rule_index, rule)) = self
                .rules_of(Some(role_idx))
                .find(|(_, _, r)| rule_allows(r, req))
            else {
                continue;
            };
            for (si, s) in b.subjects.iter().enumerate() {
                let Some(p) = Principal::from_subject(s, b.namespace.as_deref()) else {
                    continue;
                };
                if seen.insert(p.clone()) {
                    out.push((
                        p,
                        Grant {
                            scope: match &b.namespace {
                                None => Scope::Cluster,
                                Some(ns) => Scope::Namespace(ns.as_str()),
                            },
                            via: Via::Binding(RuleGrant {
                                binding_index: bi,
                                binding: b,
                                subject: &b.subjects[si],
                                role: &inv.roles[role_idx],
                                rule_role,
                                rule_index,
                                rule,
                            }),
                        },
                    ));
                }
            }
        }

        let all: Vec<usize> = (0..inv.access_entries.len()).collect();
        let mut rows = Vec::new();
        self.access_rows(&all, &mut rows);
        for g in rows {
            if let Via::AccessPolicy { entry, .. } = &g.via
                && g.allows(req)
            {
                let p = Principal::iam(&entry.principal_arn);
                if seen.insert(p.clone()) {
                    out.push((p, g));
                }
            }
        }
        out
    }

    /// Who is in a group, as far as the inventory tells.
    pub fn members(&self, group: &str) -> Members {
        let mut m = Members::default();
        let mappings_into = |m: &mut Members, pred: &dyn Fn(&IamMapping) -> bool| {
            for map in &self.mappings {
                if pred(map) {
                    let p = Principal::iam(map.arn);
                    if !m.principals.contains(&p) {
                        m.principals.push(p);
                    }
                }
            }
        };
        match group {
            SERVICEACCOUNTS => {
                m.description = Some("every service account of the cluster".into());
                m.service_accounts = self.sa_count;
            }
            AUTHENTICATED => {
                m.description = Some("every authenticated user and every service account".into());
                m.service_accounts = self.sa_count;
                mappings_into(&mut m, &|_| true);
            }
            UNAUTHENTICATED => {
                m.description = Some("anyone who sends no credentials (anonymous)".into());
            }
            g if g.starts_with("system:serviceaccounts:") => {
                let ns = &g["system:serviceaccounts:".len()..];
                m.description = Some(format!("every service account of namespace {ns}"));
                m.service_accounts = self.sa_per_ns.get(ns).copied().unwrap_or(0);
                for sa in self
                    .inv
                    .service_accounts
                    .iter()
                    .filter(|s| s.namespace == ns)
                {
                    m.principals
                        .push(Principal::service_account(&sa.namespace, &sa.name));
                }
                mappings_into(&mut m, &|map| map.groups.contains(&g));
            }
            g => mappings_into(&mut m, &|map| map.groups.contains(&g)),
        }
        m
    }
}

/// Effective rules of every role: own rules, then those of every ClusterRole its
/// aggregationRule selects, transitively (breadth first, each role once).
fn aggregate(inv: &Inventory) -> Vec<Vec<RuleRef>> {
    let cluster: Vec<usize> = inv
        .roles
        .iter()
        .enumerate()
        .filter(|(_, r)| r.namespace.is_none())
        .map(|(i, _)| i)
        .collect();
    let selects = |sels: &[LabelSelector], labels: &BTreeMap<String, String>| {
        sels.iter().any(|s| selector_matches(s, labels))
    };
    // Direct selections, computed once per aggregated role.
    let mut direct: HashMap<usize, Vec<usize>> = HashMap::default();
    for &i in &cluster {
        if let Some(sels) = &inv.roles[i].aggregation {
            let picked = cluster
                .iter()
                .copied()
                .filter(|&c| c != i && selects(sels, &inv.roles[c].labels))
                .collect();
            direct.insert(i, picked);
        }
    }
    inv.roles
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let own = (0..r.rules.len()).map(|k| RuleRef { role: i, rule: k });
            if !direct.contains_key(&i) {
                return own.collect();
            }
            let mut order = Vec::new();
            let mut visited = HashSet::from_iter([i]);
            let mut queue = VecDeque::from([i]);
            while let Some(cur) = queue.pop_front() {
                order.push(cur);
                for &next in direct.get(&cur).map(Vec::as_slice).unwrap_or(&[]) {
                    if visited.insert(next) {
                        queue.push_back(next);
                    }
                }
            }
            let mut seen: HashSet<&PolicyRuleKey> = HashSet::default();
            let keys: Vec<(RuleRef, PolicyRuleKey)> = order
                .iter()
                .flat_map(|&ri| {
                    inv.roles[ri]
                        .rules
                        .iter()
                        .enumerate()
                        .map(move |(k, rule)| {
                            (RuleRef { role: ri, rule: k }, PolicyRuleKey::of(rule))
                        })
                })
                .collect();
            let mut out = Vec::new();
            for (rr, key) in &keys {
                if seen.insert(key) {
                    out.push(*rr);
                }
            }
            out
        })
        .collect()
}

/// A hashable copy of a rule, to drop duplicates when aggregating.
#[derive(PartialEq, Eq, Hash)]
struct PolicyRuleKey([Vec<String>; 5]);

impl PolicyRuleKey {
    fn of(r: &PolicyRule) -> PolicyRuleKey {
        PolicyRuleKey([
            r.api_groups.clone(),
            r.resources.clone(),
            r.resource_names.clone(),
            r.non_resource_urls.clone(),
            r.verbs.clone(),
        ])
    }
}

/// Small builders for tests of the RBAC engine and the RBAC/PATH rules.
#[cfg(test)]
pub(crate) mod test_support {
    use std::collections::BTreeMap;

    use crate::model::{
        BOOTSTRAP_LABEL, IRSA_ANNOTATION, IamRole, Inventory, LabelSelector, Pod, PolicyRule,
        RbacBinding, RbacRole, RbacSubject, RoleRef, ServiceAccount,
    };

    pub fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            api_groups: groups.iter().map(|s| s.to_string()).collect(),
            resources: resources.iter().map(|s| s.to_string()).collect(),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            ..PolicyRule::default()
        }
    }

    pub fn named(mut r: PolicyRule, names: &[&str]) -> PolicyRule {
        r.resource_names = names.iter().map(|s| s.to_string()).collect();
        r
    }

    pub fn urls(paths: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            non_resource_urls: paths.iter().map(|s| s.to_string()).collect(),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            ..PolicyRule::default()
        }
    }

    pub fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub fn cluster_role(name: &str, rules: Vec<PolicyRule>) -> RbacRole {
        RbacRole {
            namespace: None,
            name: name.into(),
            rules,
            ..RbacRole::default()
        }
    }

    pub fn role(ns: &str, name: &str, rules: Vec<PolicyRule>) -> RbacRole {
        RbacRole {
            namespace: Some(ns.into()),
            name: name.into(),
            rules,
            ..RbacRole::default()
        }
    }

    pub fn aggregated(name: &str, sel: Vec<LabelSelector>) -> RbacRole {
        RbacRole {
            aggregation: Some(sel),
            ..cluster_role(name, vec![])
        }
    }

    pub fn match_labels(kv: &[(&str, &str)]) -> LabelSelector {
        LabelSelector {
            match_labels: labels(kv),
            ..LabelSelector::default()
        }
    }

    pub fn sa(ns: &str, name: &str) -> RbacSubject {
        RbacSubject {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: Some(ns.into()),
        }
    }

    pub fn user(name: &str) -> RbacSubject {
        RbacSubject {
            kind: "User".into(),
            name: name.into(),
            namespace: None,
        }
    }

    pub fn group(name: &str) -> RbacSubject {
        RbacSubject {
            kind: "Group".into(),
            name: name.into(),
            namespace: None,
        }
    }

    pub fn crb(name: &str, role: &str, subjects: Vec<RbacSubject>) -> RbacBinding {
        RbacBinding {
            namespace: None,
            name: name.into(),
            role_ref: RoleRef {
                kind: "ClusterRole".into(),
                name: role.into(),
            },
            subjects,
            ..RbacBinding::default()
        }
    }

    /// A RoleBinding; `kind` is Role or ClusterRole.
    pub fn rb(
        ns: &str,
        name: &str,
        kind: &str,
        role: &str,
        subjects: Vec<RbacSubject>,
    ) -> RbacBinding {
        RbacBinding {
            namespace: Some(ns.into()),
            name: name.into(),
            role_ref: RoleRef {
                kind: kind.into(),
                name: role.into(),
            },
            subjects,
            ..RbacBinding::default()
        }
    }

    pub fn bootstrap(mut b: RbacBinding) -> RbacBinding {
        b.labels
            .insert(BOOTSTRAP_LABEL.into(), "rbac-defaults".into());
        b
    }

    pub fn service_account(ns: &str, name: &str) -> ServiceAccount {
        ServiceAccount {
            namespace: ns.into(),
            name: name.into(),
            ..ServiceAccount::default()
        }
    }

    pub const ACCOUNT: &str = "111122223333";

    pub fn role_arn(name: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT}:role/{name}")
    }

    /// A service account annotated with an IAM role that exists.
    pub fn add_irsa_sa(inv: &mut Inventory, ns: &str, name: &str, role_name: &str) {
        let mut s = service_account(ns, name);
        s.annotations
            .insert(IRSA_ANNOTATION.into(), role_arn(role_name));
        inv.service_accounts.push(s);
        if !inv.iam.roles.iter().any(|r| r.name == role_name) {
            inv.iam.roles.push(IamRole {
                arn: role_arn(role_name),
                name: role_name.into(),
                path: "/".into(),
                ..IamRole::default()
            });
        }
        inv.account = Some(ACCOUNT.into());
    }

    pub fn pod(ns: &str, name: &str, sa: &str) -> Pod {
        Pod {
            namespace: ns.into(),
            name: name.into(),
            service_account: sa.into(),
            ..Pod::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::model::{
        AccessEntry, AccessPolicyAssociation, AwsAuth, Inventory, LabelSelectorRequirement,
    };

    fn req<'r>(verb: &'r str, group: &'r str, res: &'r str) -> Request<'r> {
        Request::new(verb, group, res)
    }

    #[test]
    fn verbs_groups_resources_and_wildcards() {
        let r = rule(&[""], &["pods", "secrets"], &["get", "list"]);
        assert!(rule_allows(&r, &req("get", "", "pods")));
        assert!(!rule_allows(&r, &req("delete", "", "pods")));
        assert!(!rule_allows(&r, &req("get", "apps", "pods")));
        assert!(!rule_allows(&r, &req("get", "", "configmaps")));
        let any = rule(&["*"], &["*"], &["*"]);
        assert!(rule_allows(
            &any,
            &req("escalate", "rbac.authorization.k8s.io", "clusterroles")
        ));
        assert!(rule_allows(
            &any,
            &req("create", "", "pods/exec").any_name()
        ));
        let verbs_any = rule(&["apps"], &["deployments"], &["*"]);
        assert!(rule_allows(
            &verbs_any,
            &req("patch", "apps", "deployments")
        ));
        assert!(!rule_allows(&verbs_any, &req("patch", "", "deployments")));
    }

    #[test]
    fn subresources_as_the_api_server_matches_them() {
        let exec = rule(&[""], &["pods/exec"], &["create"]);
        assert!(rule_allows(&exec, &req("create", "", "pods/exec")));
        assert!(!rule_allows(&exec, &req("create", "", "pods")));
        assert!(!rule_allows(&exec, &req("create", "", "pods/attach")));
        // `pods` alone does not grant its subresources.
        let pods = rule(&[""], &["pods"], &["create"]);
        assert!(!rule_allows(&pods, &req("create", "", "pods/exec")));
        // `*/scale` matches every resource's scale.
        let scale = rule(&["apps"], &["*/scale"], &["update"]);
        assert!(rule_allows(
            &scale,
            &req("update", "apps", "deployments/scale")
        ));
        assert!(!rule_allows(&scale, &req("update", "apps", "deployments")));
        // `pods/*` is no pattern in the API server: it grants no subresource.
        let pods_star = rule(&[""], &["pods/*"], &["create"]);
        assert!(!rule_allows(&pods_star, &req("create", "", "pods/exec")));
        assert!(!rule_allows(&pods_star, &req("create", "", "pods")));
    }

    #[test]
    fn resource_names() {
        let r = named(
            rule(&[""], &["configmaps"], &["update", "create"]),
            &["aws-auth"],
        );
        assert!(rule_allows(
            &r,
            &req("update", "", "configmaps").named("aws-auth")
        ));
        assert!(!rule_allows(
            &r,
            &req("update", "", "configmaps").named("other")
        ));
        // A request without a name (create, list) is not admitted by resourceNames.
        assert!(!rule_allows(&r, &req("create", "", "configmaps")));
        assert!(rule_allows(&r, &req("update", "", "configmaps").any_name()));
    }

    #[test]
    fn non_resource_urls() {
        let r = urls(&["/healthz", "/apis/*"], &["get"]);
        assert!(rule_allows_url(&r, "get", "/healthz"));
        assert!(!rule_allows_url(&r, "get", "/healthz/ping"));
        assert!(rule_allows_url(&r, "get", "/apis/apps/v1"));
        assert!(!rule_allows_url(&r, "post", "/healthz"));
        assert!(rule_allows_url(&urls(&["*"], &["*"]), "delete", "/x"));
        // A resource rule has no URLs.
        assert!(!rule_allows_url(
            &rule(&["*"], &["*"], &["*"]),
            "get",
            "/healthz"
        ));
    }

    #[test]
    fn selectors() {
        let l = labels(&[("a", "1"), ("b", "2")]);
        assert!(selector_matches(&match_labels(&[("a", "1")]), &l));
        assert!(!selector_matches(&match_labels(&[("a", "2")]), &l));
        assert!(selector_matches(&LabelSelector::default(), &l));
        let expr = |key: &str, op: &str, values: &[&str]| LabelSelector {
            match_expressions: vec![LabelSelectorRequirement {
                key: key.into(),
                operator: op.into(),
                values: values.iter().map(|s| s.to_string()).collect(),
            }],
            ..LabelSelector::default()
        };
        assert!(selector_matches(&expr("a", "In", &["0", "1"]), &l));
        assert!(!selector_matches(&expr("a", "In", &["0"]), &l));
        assert!(!selector_matches(&expr("c", "In", &["0"]), &l));
        assert!(selector_matches(&expr("a", "NotIn", &["0"]), &l));
        assert!(selector_matches(&expr("c", "NotIn", &["0"]), &l));
        assert!(!selector_matches(&expr("a", "NotIn", &["1"]), &l));
        assert!(selector_matches(&expr("b", "Exists", &[]), &l));
        assert!(!selector_matches(&expr("c", "Exists", &[]), &l));
        assert!(selector_matches(&expr("c", "DoesNotExist", &[]), &l));
        assert!(!selector_matches(&expr("a", "DoesNotExist", &[]), &l));
        assert!(!selector_matches(&expr("a", "Bogus", &[]), &l));
    }

    fn aggregation_inventory() -> Inventory {
        let mut inv = Inventory::default();
        // Stored rules of the aggregated roles are empty: the engine computes them.
        let mut admin = aggregated("admin", vec![match_labels(&[("agg/admin", "true")])]);
        admin.labels = labels(&[("agg/top", "true")]);
        let edit = {
            let mut r = aggregated("edit", vec![match_labels(&[("agg/edit", "true")])]);
            r.labels = labels(&[("agg/admin", "true")]);
            r
        };
        let mut exec = cluster_role("exec-part", vec![rule(&[""], &["pods/exec"], &["create"])]);
        exec.labels = labels(&[("agg/admin", "true")]);
        let mut write = cluster_role(
            "write-part",
            vec![rule(&["apps"], &["deployments"], &["create"])],
        );
        write.labels = labels(&[("agg/edit", "true")]);
        // A cycle: top selects admin, admin selects (through labels) top.
        let mut top = aggregated("top", vec![match_labels(&[("agg/top", "true")])]);
        top.labels = labels(&[("agg/admin", "true")]);
        top.rules = vec![rule(&[""], &["nodes"], &["get"])];
        inv.roles = vec![admin, edit, exec, write, top];
        inv
    }

    #[test]
    fn aggregation_is_computed_transitively_and_survives_cycles() {
        let inv = aggregation_inventory();
        let e = RbacEngine::new(&inv);
        let admin = e.cluster_role("admin").unwrap();
        let rules: Vec<(String, usize)> = e
            .effective_rules(admin)
            .map(|(r, i, _)| (r.name.clone(), i))
            .collect();
        assert!(rules.contains(&("exec-part".into(), 0)));
        assert!(
            rules.contains(&("write-part".into(), 0)),
            "edit's parts reach admin: {rules:?}"
        );
        assert!(
            rules.contains(&("top".into(), 0)),
            "the cycle's own rules count: {rules:?}"
        );
        assert_eq!(rules.len(), 3);
        let edit = e.cluster_role("edit").unwrap();
        assert_eq!(e.effective_rules(edit).count(), 1);
    }

    #[test]
    fn aggregated_roles_grant_through_bindings() {
        let mut inv = aggregation_inventory();
        inv.bindings.push(rb(
            "team",
            "devs-admin",
            "ClusterRole",
            "admin",
            vec![group("devs")],
        ));
        let e = RbacEngine::new(&inv);
        let devs = Principal::group("devs");
        let g = e
            .can_i(
                &devs,
                &req("create", "", "pods/exec").in_ns("team").named("p"),
            )
            .unwrap();
        let Via::Binding(rg) = &g.via else { panic!() };
        assert_eq!(rg.role.name, "admin");
        assert_eq!(rg.rule_role.name, "exec-part");
        assert_eq!(g.scope, Scope::Namespace("team"));
        // A RoleBinding to a ClusterRole grants it in its namespace only.
        assert!(
            e.can_i(
                &devs,
                &req("create", "", "pods/exec").in_ns("other").named("p")
            )
            .is_none()
        );
        assert!(
            e.can_i(&devs, &req("create", "apps", "deployments"))
                .is_none()
        );
    }

    #[test]
    fn service_accounts_get_their_groups() {
        let mut inv = Inventory::default();
        inv.roles.push(cluster_role(
            "reader",
            vec![rule(&[""], &["configmaps"], &["get"])],
        ));
        inv.roles.push(cluster_role(
            "lister",
            vec![rule(&[""], &["pods"], &["list"])],
        ));
        inv.roles.push(cluster_role(
            "watcher",
            vec![rule(&[""], &["services"], &["watch"])],
        ));
        inv.bindings.push(crb(
            "all-sas",
            "reader",
            vec![group("system:serviceaccounts")],
        ));
        inv.bindings.push(crb(
            "ns-sas",
            "lister",
            vec![group("system:serviceaccounts:web")],
        ));
        inv.bindings
            .push(crb("authn", "watcher", vec![group("system:authenticated")]));
        let e = RbacEngine::new(&inv);
        let web = Principal::service_account("web", "api");
        let other = Principal::service_account("db", "api");
        assert!(
            e.can_i(&web, &req("get", "", "configmaps").in_ns("x"))
                .is_some()
        );
        assert!(e.can_i(&web, &req("list", "", "pods")).is_some());
        assert!(e.can_i(&other, &req("list", "", "pods")).is_none());
        assert!(e.can_i(&other, &req("watch", "", "services")).is_some());
        let anon = Principal::user(ANONYMOUS);
        assert!(e.can_i(&anon, &req("watch", "", "services")).is_none());
        let alice = Principal::user("alice");
        assert!(e.can_i(&alice, &req("watch", "", "services")).is_some());
        assert!(e.can_i(&alice, &req("get", "", "configmaps")).is_none());
    }

    #[test]
    fn subjects_service_account_namespace_defaults_and_user_form() {
        let mut inv = Inventory::default();
        inv.roles
            .push(role("web", "r", vec![rule(&[""], &["secrets"], &["get"])]));
        let mut subj = sa("", "api");
        subj.namespace = None;
        inv.bindings.push(rb("web", "b1", "Role", "r", vec![subj]));
        inv.roles
            .push(cluster_role("c", vec![rule(&[""], &["nodes"], &["get"])]));
        inv.bindings.push(crb(
            "b2",
            "c",
            vec![user("system:serviceaccount:db:worker")],
        ));
        let e = RbacEngine::new(&inv);
        let api = Principal::service_account("web", "api");
        assert!(
            e.can_i(&api, &req("get", "", "secrets").in_ns("web").named("s"))
                .is_some()
        );
        let worker = Principal::service_account("db", "worker");
        assert!(e.can_i(&worker, &req("get", "", "nodes")).is_some());
        assert!(
            e.can_i(
                &Principal::user("system:serviceaccount:db:worker"),
                &req("get", "", "nodes")
            )
            .is_some()
        );
    }

    #[test]
    fn missing_roles_grant_nothing() {
        let mut inv = Inventory::default();
        inv.bindings.push(crb("b", "ghost", vec![user("bob")]));
        inv.bindings
            .push(rb("ns", "b2", "Role", "ghost", vec![user("bob")]));
        let e = RbacEngine::new(&inv);
        assert!(e.binding_role(0).is_none());
        assert!(e.permissions(&Principal::user("bob")).is_empty());
    }

    fn aws_auth_inventory() -> Inventory {
        let mut inv = Inventory {
            aws_auth: Some(AwsAuth::parse(
                Some(
                    "- rolearn: arn:aws:iam::111122223333:role/admins\n  username: admin\n  groups: [system:masters]\n- rolearn: arn:aws:iam::111122223333:role/devs\n  username: dev\n  groups: [developers]\n",
                ),
                None,
                None,
            )),
            ..Inventory::default()
        };
        inv.access_entries.push(AccessEntry {
            principal_arn: "arn:aws:iam::111122223333:role/path/ops".into(),
            kubernetes_groups: vec!["ops".into()],
            access_policies: vec![AccessPolicyAssociation {
                policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
                    .into(),
                scope_type: "namespace".into(),
                namespaces: vec!["ops".into()],
            }],
            ..AccessEntry::default()
        });
        inv.roles.push(cluster_role(
            "pod-reader",
            vec![rule(&[""], &["pods"], &["get"])],
        ));
        inv.bindings
            .push(crb("devs", "pod-reader", vec![group("developers")]));
        inv
    }

    #[test]
    fn iam_principals_map_to_groups_and_masters_bypasses() {
        let inv = aws_auth_inventory();
        let e = RbacEngine::new(&inv);
        // aws-auth compares role ARNs without their path.
        let admin = Principal::iam("arn:aws:iam::111122223333:role/team/admins");
        let g = e.can_i(&admin, &req("delete", "", "nodes")).unwrap();
        assert!(matches!(g.via, Via::Masters { .. }));
        assert!(e.can_i_url(&admin, "get", "/metrics").is_some());
        let dev = Principal::iam("arn:aws:iam::111122223333:role/devs");
        assert!(
            e.can_i(&dev, &req("get", "", "pods").in_ns("a").named("p"))
                .is_some()
        );
        assert!(
            e.can_i(&dev, &req("delete", "", "pods").in_ns("a"))
                .is_none()
        );
        // The mapped user name carries the groups too.
        assert!(
            e.can_i(
                &Principal::user("dev"),
                &req("get", "", "pods").in_ns("a").named("p")
            )
            .is_some()
        );
        // An access policy applies in its namespaces only.
        let ops = Principal::iam("arn:aws:iam::111122223333:role/path/ops");
        assert!(
            e.can_i(&ops, &req("delete", "", "secrets").in_ns("ops"))
                .is_some()
        );
        assert!(
            e.can_i(&ops, &req("delete", "", "secrets").in_ns("web"))
                .is_none()
        );
        assert!(
            e.can_i(
                &Principal::group(MASTERS),
                &req("escalate", "rbac.authorization.k8s.io", "roles")
            )
            .is_some()
        );
    }

    #[test]
    fn who_can_lists_binding_subjects_and_masters_members() {
        let mut inv = aws_auth_inventory();
        inv.roles.push(role(
            "web",
            "exec",
            vec![rule(&[""], &["pods/exec"], &["create"])],
        ));
        inv.bindings.push(rb(
            "web",
            "exec",
            "Role",
            "exec",
            vec![sa("web", "debugger"), user("carol")],
        ));
        let e = RbacEngine::new(&inv);
        let who: Vec<Principal> = e
            .who_can(&req("create", "", "pods/exec").in_ns("web").any_name())
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert!(who.contains(&Principal::group(MASTERS)));
        assert!(who.contains(&Principal::iam("arn:aws:iam::111122223333:role/admins")));
        assert!(who.contains(&Principal::service_account("web", "debugger")));
        assert!(who.contains(&Principal::user("carol")));
        assert!(!who.contains(&Principal::group("developers")));
        let who_other: Vec<Principal> = e
            .who_can(&req("create", "", "pods/exec").in_ns("db").any_name())
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert!(!who_other.contains(&Principal::user("carol")));
        let readers: Vec<Principal> = e
            .who_can(&req("get", "", "pods").in_ns("db").named("x"))
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert!(readers.contains(&Principal::group("developers")));
    }

    #[test]
    fn role_bindings_never_grant_urls_or_cluster_scope() {
        let mut inv = Inventory::default();
        inv.roles.push(cluster_role(
            "all",
            vec![rule(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])],
        ));
        inv.bindings
            .push(rb("web", "b", "ClusterRole", "all", vec![user("u")]));
        let e = RbacEngine::new(&inv);
        let u = Principal::user("u");
        assert!(
            e.can_i(&u, &req("delete", "", "pods").in_ns("web"))
                .is_some()
        );
        assert!(e.can_i(&u, &req("get", "", "nodes")).is_none());
        assert!(e.can_i_url(&u, "get", "/healthz").is_none());
        let rows = e.permissions(&u);
        assert_eq!(rows.len(), 1, "the URL rule is dropped from a RoleBinding");
    }

    #[test]
    fn bootstrap_bindings_can_be_left_out() {
        let mut inv = Inventory::default();
        inv.roles.push(cluster_role(
            "cluster-admin",
            vec![rule(&["*"], &["*"], &["*"])],
        ));
        inv.bindings
            .push(bootstrap(crb("boot", "cluster-admin", vec![user("x")])));
        let all = RbacEngine::new(&inv);
        assert!(
            all.can_i(&Principal::user("x"), &req("get", "", "pods"))
                .is_some()
        );
        let audit = RbacEngine::build(&inv, false);
        assert!(
            audit
                .can_i(&Principal::user("x"), &req("get", "", "pods"))
                .is_none()
        );
    }

    #[test]
    fn format_rule_is_yaml_flow() {
        let r = named(rule(&[""], &["secrets"], &["get"]), &["a"]);
        assert_eq!(
            format_rule(&r),
            r#"{apiGroups: [""], resources: ["secrets"], resourceNames: ["a"], verbs: ["get"]}"#
        );
    }

    #[test]
    fn scales_to_many_service_accounts() {
        let mut inv = Inventory::default();
        inv.roles.push(cluster_role(
            "reader",
            vec![rule(&[""], &["configmaps"], &["get"])],
        ));
        for i in 0..50_000 {
            let ns = format!("ns{}", i % 500);
            inv.service_accounts
                .push(service_account(&ns, &format!("sa{i}")));
            if i % 10 == 0 {
                inv.bindings.push(rb(
                    &ns,
                    &format!("b{i}"),
                    "ClusterRole",
                    "reader",
                    vec![sa(&ns, &format!("sa{i}"))],
                ));
            }
        }
        let start = std::time::Instant::now();
        let e = RbacEngine::new(&inv);
        let mut allowed = 0;
        for sa in &inv.service_accounts {
            let p = Principal::service_account(&sa.namespace, &sa.name);
            if e.can_i(
                &p,
                &req("get", "", "configmaps").in_ns(&sa.namespace).named("c"),
            )
            .is_some()
            {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5_000);
        let who = e.who_can(&req("get", "", "configmaps").in_ns("ns10").named("c"));
        assert_eq!(
            who.len(),
            1 + 100,
            "system:masters and every account bound in ns10"
        );
        assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    }
}
