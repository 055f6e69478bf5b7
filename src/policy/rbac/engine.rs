//! [`RbacEngine`]: roles by name and bindings by subject and namespace, indexed
//! once per audit, and the queries every RBAC rule and question asks of them
//! (grants of a request, effective rules of a subject, members of a role).

use super::*;

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
