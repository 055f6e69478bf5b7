//! Who the subject is and what it can become: its starting identity and
//! grants, then every identity reached breadth first, shortest path first.

use super::*;

impl<'a> Asker<'a> {
    /// The node that stands for a subject in answers.
    pub fn subject_node(&self, s: &AsSubject) -> Node {
        match s {
            AsSubject::ServiceAccount { namespace, name } => Node::sa(namespace, name),
            AsSubject::Pod { namespace, name } => Node::Pod {
                namespace: namespace.clone(),
                name: name.clone(),
            },
            AsSubject::User { name, .. } => Node::User { name: name.clone() },
            AsSubject::Group { name } => Node::Group { name: name.clone() },
            AsSubject::IamRole { arn, .. } => Node::IamRole {
                arn: self
                    .role(arn)
                    .map_or_else(|| arn.clone(), |r| r.arn.clone()),
            },
            AsSubject::IamUser { arn } => Node::IamUser { arn: arn.clone() },
        }
    }

    /// The identity a subject starts as, with its grants.
    pub(crate) fn start(&self, s: &AsSubject) -> Result<(Reached, Vec<Grant<'a>>), String> {
        let rbac = &self.rbac;
        let node = self.subject_node(s);
        let plain = |id: Identity, rows: Vec<Grant<'a>>, sa: Option<(String, String)>| {
            (
                Reached {
                    node: node.clone(),
                    id,
                    sa,
                    iam: None,
                    path: Vec::new(),
                },
                rows,
            )
        };
        Ok(match s {
            AsSubject::ServiceAccount { namespace, name } => {
                let p = Principal::service_account(namespace, name);
                plain(
                    rbac.identity(&p),
                    rbac.permissions(&p),
                    Some((namespace.clone(), name.clone())),
                )
            }
            AsSubject::Pod { namespace, name } => {
                let pod = self.pod(namespace, name).ok_or_else(|| {
                        format!("pod {namespace}/{name} is not in the inventory (pods are read from kubernetes.json or the cluster)")
                    })?;
                let sa = &pod.service_account;
                let p = Principal::service_account(namespace, sa);
                (
                    Reached {
                        node: Node::sa(namespace, sa),
                        id: rbac.identity(&p),
                        sa: Some((namespace.clone(), sa.clone())),
                        iam: None,
                        path: vec![runs_as(namespace, name, sa)],
                    },
                    rbac.permissions(&p),
                )
            }
            AsSubject::User { name, groups } => {
                // As the API server's impersonation: exactly these groups, plus
                // system:authenticated for anyone but the anonymous user.
                let mut id = Identity {
                    user: Some(name.clone()),
                    ..Identity::default()
                };
                if let Some((ns, n)) = crate::policy::rbac::parse_sa_username(name) {
                    id.service_account = Some((ns.to_string(), n.to_string()));
                }
                for g in groups {
                    if !id.groups.contains(g) {
                        id.groups.push(g.clone());
                    }
                }
                let implied = if name == ANONYMOUS {
                    UNAUTHENTICATED
                } else {
                    AUTHENTICATED
                };
                if !id.groups.iter().any(|g| g == implied) {
                    id.groups.push(implied.to_string());
                }
                let mut rows = Vec::new();
                if id.groups.iter().any(|g| g == MASTERS) {
                    let member = format!("User {name} (--as-group {MASTERS})");
                    id.masters_via = Some(member.clone());
                    rows.push(Grant {
                        scope: Scope::Cluster,
                        via: Via::Masters { member },
                    });
                }
                rows.extend(rbac.rows(&rbac.bindings_of(&id)));
                let sa = id.service_account.clone();
                plain(id, rows, sa)
            }
            AsSubject::Group { name } => {
                let p = Principal::group(name);
                plain(rbac.identity(&p), rbac.permissions(&p), None)
            }
            AsSubject::IamRole { .. } | AsSubject::IamUser { .. } => {
                let arn = match &node {
                    Node::IamRole { arn } | Node::IamUser { arn } => arn.clone(),
                    _ => String::new(),
                };
                let p = Principal::iam(&arn);
                let id = rbac.identity(&p);
                // An IAM principal nothing maps into the cluster cannot authenticate
                // to it: no Kubernetes groups at all (not even system:authenticated).
                let mapped = id.user.is_some() || !id.access_entries.is_empty();
                let (id, rows) = if mapped {
                    (id, rbac.permissions(&p))
                } else {
                    (Identity::default(), Vec::new())
                };
                let (mut r, rows) = plain(id, rows, None);
                r.iam = Some(arn);
                (r, rows)
            }
        })
    }

    /// The subject and every identity it can become (unless `direct`), shortest first.
    pub fn reachable(&self, s: &AsSubject, direct: bool) -> Result<Vec<Reached>, String> {
        let (first, rows) = self.start(s)?;
        let mut out = vec![first];
        if direct {
            return Ok(out);
        }
        let mut seen: HashSet<(String, String)> = HashSet::default();
        if let Some(sa) = &out[0].sa {
            seen.insert(sa.clone());
        }
        let mut queue: VecDeque<(usize, Vec<Grant<'a>>)> = VecDeque::from([(0, rows)]);
        while let Some((i, rows)) = queue.pop_front() {
            let caps = caps_of(&rows, &out[i].node.label());
            for cap in &caps {
                // The capability is held by a group, mapping or access policy of
                // the identity: those hops come first.
                let (pre, holder) = self.via_hops(&out[i], &cap.grant);
                for ((ns, name), hops) in self.targets(&holder, cap) {
                    if !seen.insert((ns.clone(), name.clone())) {
                        continue;
                    }
                    let p = Principal::service_account(&ns, &name);
                    let mut path = out[i].path.clone();
                    path.extend(pre.iter().cloned());
                    path.extend(hops);
                    out.push(Reached {
                        node: Node::sa(&ns, &name),
                        id: self.rbac.identity(&p),
                        sa: Some((ns, name)),
                        iam: None,
                        path,
                    });
                    queue.push_back((out.len() - 1, self.rbac.permissions(&p)));
                }
            }
        }
        Ok(out)
    }
}

/// A pod's first hop: the service account it runs as.
pub(crate) fn runs_as(namespace: &str, name: &str, sa: &str) -> Arc<Hop> {
    Arc::new(Hop {
        edge: "runs-as",
        from: Node::Pod {
            namespace: namespace.to_string(),
            name: name.to_string(),
        },
        to: Node::sa(namespace, sa),
        evidence: format!("Pod {namespace}/{name} spec.serviceAccountName {sa}"),
    })
}
