//! Who an RBAC or PATH finding is about and what surrounds it: the finding's
//! subject for a principal or binding, whether a source was collected, the
//! service accounts that carry IAM roles (`IamSas`), and a group's members.
//! Shared with `audit::path`; no rule is decided here.

use super::*;

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
        let more = roles.len().saturating_sub(crate::audit::MAX_EXAMPLES);
        roles.truncate(crate::audit::MAX_EXAMPLES);
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
