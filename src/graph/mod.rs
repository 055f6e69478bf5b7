//! The graph: indexes that join the inventory's objects, built once per audit.
//!
//! Edges: service account → annotated IAM role, pod/workload → service account,
//! binding → role, aws-auth entry / access entry → IAM principal, Pod Identity
//! association → role, cluster → its OIDC provider. Nodes are indices into the
//! inventory's vectors, so the graph borrows and never clones objects.

mod check;
pub mod imds;
pub mod reach;

use crate::hashing::HashMap;
use std::sync::{Arc, OnceLock};

pub use crate::model::arn::provider_arn_host;
use crate::model::{
    AccessEntry, Arn, EksCluster, IamRole, IamUser, Inventory, ManagedPolicy, OidcProvider,
    PodIdentityAssociation, RbacBinding, RbacRole, RoleArn, ServiceAccount, strip_scheme,
};
use crate::policy::iam::{ParseError, PolicyDocument, parse_document};
pub use check::{ParsedTrusts, ReadCheck};

/// Something that runs pods as a service account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaUse {
    Pod(usize),
    Workload(usize),
}

/// The state of the cluster's web-identity provider in IAM.
#[derive(Debug, Clone)]
pub enum ProviderState<'a> {
    /// No EKS cluster description, so the issuer is unknown.
    UnknownIssuer,
    /// The issuer is known but the OIDC provider list was not collected.
    ProvidersNotSeen { issuer: String },
    /// No IAM OIDC provider for the issuer in the audited account.
    Missing { issuer: String },
    /// A provider exists, but its ClientIDList lacks `sts.amazonaws.com`.
    NoStsAudience {
        issuer: String,
        provider: &'a OidcProvider,
    },
    Ok {
        issuer: String,
        provider: &'a OidcProvider,
    },
}

pub struct Graph<'a> {
    pub inv: &'a Inventory,
    sa_index: HashMap<&'a str, HashMap<&'a str, usize>>,
    namespaces: HashMap<&'a str, usize>,
    sa_uses: HashMap<&'a str, HashMap<&'a str, Vec<SaUse>>>,
    roles_by_arn: HashMap<String, usize>,
    roles_by_name: HashMap<String, usize>,
    users_by_name: HashMap<String, usize>,
    policies_by_arn: HashMap<&'a str, usize>,
    cluster_roles: HashMap<&'a str, usize>,
    ns_roles: HashMap<&'a str, HashMap<&'a str, usize>>,
    /// Pod Identity associations by (namespace, service account), in inventory order.
    associations: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// `reach::role_links`, computed once for the families that read it.
    role_links: OnceLock<crate::graph::reach::RoleLinks>,
    /// Every service account by namespace and name, sorted on first use.
    accounts_by_name: OnceLock<Vec<&'a ServiceAccount>>,
    /// Nodes, their IMDS settings and roles, and the pods on them (`graph::imds`).
    node_reach: OnceLock<crate::graph::imds::NodeReach>,
    /// Trust policies by role index, parsed on first use (several families read them).
    trusts: Vec<OnceLock<Option<Arc<PolicyDocument>>>>,
    /// Managed policies' default documents by policy index, parsed on first use.
    managed_docs: Vec<OnceLock<ManagedDoc>>,
}

/// A managed policy's default version as the engine reads it: `None` when it
/// was not collected.
pub type ManagedDoc = Option<Result<Arc<PolicyDocument>, ParseError>>;

impl<'a> Graph<'a> {
    /// Index the inventory; trust policies are parsed on first use.
    pub fn build(inv: &'a Inventory) -> Graph<'a> {
        Graph::build_with_trusts(inv, &ParsedTrusts::default())
    }

    /// Index the inventory, taking the trust policies parsed while it was read
    /// (`ReadCheck`) where they match its roles.
    pub fn build_with_trusts(inv: &'a Inventory, parsed: &ParsedTrusts) -> Graph<'a> {
        let mut g = Graph {
            inv,
            sa_index: HashMap::default(),
            namespaces: HashMap::with_capacity_and_hasher(inv.namespaces.len(), Default::default()),
            sa_uses: HashMap::default(),
            roles_by_arn: HashMap::with_capacity_and_hasher(
                inv.iam.roles.len(),
                Default::default(),
            ),
            roles_by_name: HashMap::with_capacity_and_hasher(
                inv.iam.roles.len(),
                Default::default(),
            ),
            users_by_name: HashMap::default(),
            policies_by_arn: HashMap::default(),
            cluster_roles: HashMap::default(),
            ns_roles: HashMap::default(),
            associations: HashMap::default(),
            role_links: OnceLock::new(),
            accounts_by_name: OnceLock::new(),
            node_reach: OnceLock::new(),
            // Parsed when the inventory was read, where that matches these roles.
            trusts: inv
                .iam
                .roles
                .iter()
                .enumerate()
                .map(|(i, r)| match parsed.get(i, &r.arn) {
                    Some(doc) => OnceLock::from(doc),
                    None => OnceLock::new(),
                })
                .collect(),
            managed_docs: (0..inv.iam.policies.len())
                .map(|_| OnceLock::new())
                .collect(),
        };
        for (i, a) in inv.pod_identity_associations.iter().enumerate() {
            g.associations
                .entry((a.namespace.as_str(), a.service_account.as_str()))
                .or_default()
                .push(i);
        }
        for (i, ns) in inv.namespaces.iter().enumerate() {
            g.namespaces.insert(ns.name.as_str(), i);
        }
        for (i, sa) in inv.service_accounts.iter().enumerate() {
            g.sa_index
                .entry(sa.namespace.as_str())
                .or_default()
                .insert(sa.name.as_str(), i);
        }
        for (i, p) in inv.pods.iter().enumerate() {
            g.sa_uses
                .entry(p.namespace.as_str())
                .or_default()
                .entry(p.service_account.as_str())
                .or_default()
                .push(SaUse::Pod(i));
        }
        for (i, w) in inv.workloads.iter().enumerate() {
            g.sa_uses
                .entry(w.namespace.as_str())
                .or_default()
                .entry(w.service_account.as_str())
                .or_default()
                .push(SaUse::Workload(i));
        }
        for (i, r) in inv.iam.roles.iter().enumerate() {
            // IAM role names are unique per account, case-insensitively.
            g.roles_by_arn.insert(r.arn.to_ascii_lowercase(), i);
            g.roles_by_name.insert(r.name.to_ascii_lowercase(), i);
        }
        for (i, u) in inv.iam.users.iter().enumerate() {
            g.users_by_name.insert(u.name.to_ascii_lowercase(), i);
        }
        for (i, p) in inv.iam.policies.iter().enumerate() {
            g.policies_by_arn.insert(p.arn.as_str(), i);
        }
        for (i, r) in inv.roles.iter().enumerate() {
            match &r.namespace {
                None => {
                    g.cluster_roles.insert(r.name.as_str(), i);
                }
                Some(ns) => {
                    g.ns_roles
                        .entry(ns.as_str())
                        .or_default()
                        .insert(r.name.as_str(), i);
                }
            }
        }
        g
    }

    // ------------------------------------------------------------ kubernetes

    pub fn namespace_exists(&self, ns: &str) -> bool {
        self.namespaces.contains_key(ns)
    }

    pub fn service_account(&self, ns: &str, name: &str) -> Option<&'a ServiceAccount> {
        self.sa_index
            .get(ns)
            .and_then(|m| m.get(name))
            .map(|&i| &self.inv.service_accounts[i])
    }

    /// Pods and workload templates that run as this service account.
    pub fn sa_uses(&self, ns: &str, name: &str) -> &[SaUse] {
        self.sa_uses
            .get(ns)
            .and_then(|m| m.get(name))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Human description of a use: `Pod web/api-1`, `Deployment web/api`.
    pub fn describe_use(&self, u: &SaUse) -> String {
        match u {
            SaUse::Pod(i) => {
                let p = &self.inv.pods[*i];
                format!("Pod {}/{}", p.namespace, p.name)
            }
            SaUse::Workload(i) => {
                let w = &self.inv.workloads[*i];
                format!("{} {}/{}", w.kind, w.namespace, w.name)
            }
        }
    }

    /// Service accounts of a namespace.
    /// How many service accounts a namespace has (from the index, not a scan).
    pub fn service_account_count(&self, ns: &str) -> usize {
        self.sa_index.get(ns).map_or(0, |m| m.len())
    }

    pub fn service_accounts_in<'s>(
        &'s self,
        ns: &'s str,
    ) -> impl Iterator<Item = &'a ServiceAccount> + 's {
        self.inv
            .service_accounts
            .iter()
            .filter(move |sa| sa.namespace == ns)
    }

    /// The role a binding refers to, if it exists.
    pub fn binding_role(&self, b: &RbacBinding) -> Option<&'a RbacRole> {
        match (b.role_ref.kind.as_str(), &b.namespace) {
            ("ClusterRole", _) => self.cluster_role(&b.role_ref.name),
            ("Role", Some(ns)) => self
                .ns_roles
                .get(ns.as_str())
                .and_then(|m| m.get(b.role_ref.name.as_str()))
                .map(|&i| &self.inv.roles[i]),
            _ => None,
        }
    }

    pub fn cluster_role(&self, name: &str) -> Option<&'a RbacRole> {
        self.cluster_roles.get(name).map(|&i| &self.inv.roles[i])
    }

    // ------------------------------------------------------------ aws

    /// Whether IAM was collected, so that "does not exist" can be said.
    pub fn iam_seen(&self) -> bool {
        self.inv.seen("aws/iam")
    }

    /// The audited account, when known.
    pub fn account(&self) -> Option<&'a str> {
        self.inv.account.as_deref()
    }

    /// Whether an account ID is the audited one.
    pub fn is_audited_account(&self, account: &str) -> bool {
        self.account() == Some(account)
    }

    /// A role by its full ARN (path included), compared case-insensitively.
    /// A role's trust policy, parsed (once per audit for the inventory's roles);
    /// `None` when not collected or not parseable.
    pub fn trust(&self, role: &IamRole) -> Option<Arc<PolicyDocument>> {
        let parse = || {
            role.trust_policy
                .as_ref()
                .and_then(|t| parse_document(t).ok())
                .map(Arc::new)
        };
        match self.roles_by_arn.get(&role.arn.to_ascii_lowercase()) {
            Some(&i) if std::ptr::eq(&self.inv.iam.roles[i], role) => {
                self.trusts[i].get_or_init(parse).clone()
            }
            // A role that is not one of the inventory's.
            _ => parse(),
        }
    }

    /// The default version of a managed policy, parsed once per audit.
    pub fn managed_doc(&self, arn: &str) -> ManagedDoc {
        let &i = self.policies_by_arn.get(arn)?;
        self.managed_docs[i]
            .get_or_init(|| {
                let doc = self.inv.iam.policies[i].document.as_ref()?;
                Some(parse_document(doc).map(Arc::new))
            })
            .clone()
    }

    pub fn iam_role(&self, arn: &str) -> Option<&'a IamRole> {
        self.roles_by_arn
            .get(&arn.to_ascii_lowercase())
            .map(|&i| &self.inv.iam.roles[i])
    }

    /// A role by name alone (IAM names are unique per account whatever the path).
    pub fn iam_role_named(&self, name: &str) -> Option<&'a IamRole> {
        self.roles_by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.inv.iam.roles[i])
    }

    /// The role an annotation or association names: the full ARN first, then by
    /// name when the ARN is in the audited account (a path mismatch is still the role).
    pub fn iam_role_for(&self, arn: &RoleArn) -> Option<&'a IamRole> {
        if let Some(r) = self.iam_role(&arn.to_string()) {
            return Some(r);
        }
        if self.is_audited_account(&arn.account) {
            return self.iam_role_named(&arn.name);
        }
        None
    }

    pub fn iam_user_named(&self, name: &str) -> Option<&'a IamUser> {
        self.users_by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.inv.iam.users[i])
    }

    pub fn managed_policy(&self, arn: &str) -> Option<&'a ManagedPolicy> {
        self.policies_by_arn
            .get(arn)
            .map(|&i| &self.inv.iam.policies[i])
    }

    /// Whether an IAM principal ARN (role or user) exists in the audited account.
    /// `None` when that cannot be said (IAM not collected, another account, not a role or user).
    pub fn principal_exists(&self, arn: &str, strip_path: bool) -> Option<bool> {
        if !self.iam_seen() {
            return None;
        }
        let parsed = Arn::parse(arn).ok()?;
        if !self.is_audited_account(&parsed.account) {
            return None;
        }
        let (kind, rest) = parsed.resource.split_once('/')?;
        let name = rest.rsplit('/').next().unwrap_or(rest);
        match kind {
            "role" => {
                if strip_path {
                    Some(self.iam_role_named(name).is_some())
                } else {
                    Some(self.iam_role(arn).is_some())
                }
            }
            "user" => {
                if strip_path {
                    Some(self.iam_user_named(name).is_some())
                } else {
                    Some(
                        self.inv
                            .iam
                            .users
                            .iter()
                            .any(|u| u.arn.eq_ignore_ascii_case(arn)),
                    )
                }
            }
            _ => None,
        }
    }

    pub fn cluster(&self) -> Option<&'a EksCluster> {
        self.inv.cluster.as_ref()
    }

    /// The cluster's name for subjects: DescribeCluster's, else what the source knew.
    pub fn cluster_name(&self) -> String {
        self.inv
            .cluster
            .as_ref()
            .map(|c| c.name.clone())
            .or_else(|| self.inv.cluster_name.clone())
            .unwrap_or_else(|| "cluster".to_string())
    }

    /// The IAM OIDC provider whose URL is this issuer (scheme and case of the host ignored).
    pub fn provider_for_issuer(&self, issuer: &str) -> Option<&'a OidcProvider> {
        let want = strip_scheme(issuer);
        self.inv.oidc_providers.iter().find(|p| {
            strip_scheme(&p.url).eq_ignore_ascii_case(&want)
                || provider_arn_host(&p.arn).is_some_and(|h| h.eq_ignore_ascii_case(&want))
        })
    }

    /// The cluster's web-identity provider and whether IRSA can work at all.
    pub fn provider_state(&self) -> ProviderState<'a> {
        let Some(issuer) = self.cluster().and_then(|c| c.issuer_host()) else {
            return ProviderState::UnknownIssuer;
        };
        if !self.inv.seen("aws/oidc-providers") {
            return ProviderState::ProvidersNotSeen { issuer };
        }
        match self.provider_for_issuer(&issuer) {
            None => ProviderState::Missing { issuer },
            Some(p)
                if !p
                    .client_ids
                    .iter()
                    .any(|c| c == crate::model::DEFAULT_AUDIENCE) =>
            {
                ProviderState::NoStsAudience {
                    issuer,
                    provider: p,
                }
            }
            Some(p) => ProviderState::Ok {
                issuer,
                provider: p,
            },
        }
    }

    /// Pod Identity associations of a service account.
    pub fn associations_of<'s>(
        &'s self,
        ns: &'s str,
        name: &'s str,
    ) -> impl Iterator<Item = &'a PodIdentityAssociation> + 's {
        self.associations
            .get(&(ns, name))
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&i| &self.inv.pod_identity_associations[i])
    }

    /// Every service account of the cluster by namespace and name (what a
    /// finding lists of a role that every account obtains).
    pub fn accounts_by_name(&self) -> &[&'a ServiceAccount] {
        self.accounts_by_name.get_or_init(|| {
            let mut all: Vec<&ServiceAccount> = self.inv.service_accounts.iter().collect();
            all.sort_unstable_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            all
        })
    }

    /// Who obtains which IAM role (`reach::role_links`), computed on first use
    /// and shared by the families that need it.
    pub fn links(&self) -> &crate::graph::reach::RoleLinks {
        self.role_links
            .get_or_init(|| crate::graph::reach::role_links(self.inv, self))
    }

    /// The (service account, IAM role) links of the cluster, except those of
    /// the roles every account obtains ([`Graph::everyone_roles`]).
    pub fn role_links(&self) -> &[crate::graph::reach::RoleLink] {
        &self.links().links
    }

    /// The roles whose trust admits every service account of the cluster.
    pub fn everyone_roles(&self) -> &[String] {
        &self.links().everyone
    }

    /// Which pods obtain their node's IAM role through IMDS, computed on first use.
    pub fn node_reach(&self) -> &crate::graph::imds::NodeReach {
        self.node_reach
            .get_or_init(|| crate::graph::imds::node_reach(self.inv))
    }

    pub fn access_entries(&self) -> &'a [AccessEntry] {
        &self.inv.access_entries
    }
}
