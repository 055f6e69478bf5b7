//! The hops of a path inside the cluster: the service accounts one capability
//! leads to, how the acting identity holds an RBAC grant, and how the grant
//! reaches it (bindings, groups, access entries).

use super::*;

impl<'a> Asker<'a> {
    /// The service accounts one capability leads to, each with the hops to it.
    pub(crate) fn targets(
        &self,
        from: &Node,
        cap: &crate::audit::path::Cap<'a>,
    ) -> Vec<((String, String), Path)> {
        let namespaces: Vec<&String> = match cap.scope {
            Scope::Cluster => self.sas.keys().chain(self.pods.keys()).collect(),
            Scope::Namespace(ns) => self
                .sas
                .get_key_value(ns)
                .map(|(k, _)| k)
                .into_iter()
                .chain(self.pods.get_key_value(ns).map(|(k, _)| k))
                .collect(),
        };
        let mut namespaces = namespaces;
        namespaces.sort();
        namespaces.dedup();
        let evidence = format!(
            "{} can {} [{}]: {}",
            from.label(),
            cap.hop.verb_phrase(),
            cap.scope,
            cap.grant.describe()
        );
        let mut out = Vec::new();
        for ns in namespaces {
            let accounts = self.sas.get(ns).map(Vec::as_slice).unwrap_or(&[]);
            match cap.hop {
                Become::RunPods | Become::CreateSecret | Become::MintToken => {
                    let edge = if cap.hop == Become::RunPods {
                        "creates-pod-as"
                    } else {
                        "token-for"
                    };
                    for name in accounts {
                        if cap.hop == Become::MintToken
                            && cap.names.as_ref().is_some_and(|n| !n.contains(name))
                        {
                            continue;
                        }
                        out.push((
                            (ns.clone(), name.clone()),
                            vec![Arc::new(Hop {
                                edge,
                                from: from.clone(),
                                to: Node::sa(ns, name),
                                evidence: evidence.clone(),
                            })],
                        ));
                    }
                }
                Become::Exec => {
                    for (pod, sa) in self.pods.get(ns).map(Vec::as_slice).unwrap_or(&[]) {
                        if cap.names.as_ref().is_some_and(|n| !n.contains(pod)) {
                            continue;
                        }
                        let pod_node = Node::Pod {
                            namespace: ns.clone(),
                            name: pod.clone(),
                        };
                        out.push((
                            (ns.clone(), sa.clone()),
                            vec![
                                Arc::new(Hop {
                                    edge: "exec-into",
                                    from: from.clone(),
                                    to: pod_node.clone(),
                                    evidence: evidence.clone(),
                                }),
                                Arc::new(Hop {
                                    edge: "runs-as",
                                    from: pod_node,
                                    to: Node::sa(ns, sa),
                                    evidence: format!(
                                        "Pod {ns}/{pod} spec.serviceAccountName {sa}"
                                    ),
                                }),
                            ],
                        ));
                    }
                }
            }
        }
        out
    }

    /// [`Asker::targets`] for one service account: the shortest hops by which
    /// `cap` leads to `ns/name`, if it does (who-can's path rebuilding, which
    /// knows where it goes, without listing every account a cluster-wide
    /// capability reaches).
    pub(crate) fn target_hops(
        &self,
        from: &Node,
        cap: &crate::audit::path::Cap<'a>,
        ns: &str,
        name: &str,
    ) -> Option<Path> {
        if let Scope::Namespace(n) = cap.scope
            && n != ns
        {
            return None;
        }
        let evidence = || {
            format!(
                "{} can {} [{}]: {}",
                from.label(),
                cap.hop.verb_phrase(),
                cap.scope,
                cap.grant.describe()
            )
        };
        match cap.hop {
            Become::RunPods | Become::CreateSecret | Become::MintToken => {
                let exists = self
                    .sas
                    .get(ns)
                    .is_some_and(|v| v.binary_search_by(|x| x.as_str().cmp(name)).is_ok());
                if !exists
                    || (cap.hop == Become::MintToken
                        && cap
                            .names
                            .as_ref()
                            .is_some_and(|n| !n.iter().any(|x| x == name)))
                {
                    return None;
                }
                let edge = if cap.hop == Become::RunPods {
                    "creates-pod-as"
                } else {
                    "token-for"
                };
                Some(vec![Arc::new(Hop {
                    edge,
                    from: from.clone(),
                    to: Node::sa(ns, name),
                    evidence: evidence(),
                })])
            }
            Become::Exec => {
                let (pod, _) = self.pods.get(ns)?.iter().find(|(pod, sa)| {
                    sa == name && cap.names.as_ref().is_none_or(|n| n.contains(pod))
                })?;
                let pod_node = Node::Pod {
                    namespace: ns.to_string(),
                    name: pod.clone(),
                };
                Some(vec![
                    Arc::new(Hop {
                        edge: "exec-into",
                        from: from.clone(),
                        to: pod_node.clone(),
                        evidence: evidence(),
                    }),
                    Arc::new(Hop {
                        edge: "runs-as",
                        from: pod_node,
                        to: Node::sa(ns, name),
                        evidence: format!("Pod {ns}/{pod} spec.serviceAccountName {name}"),
                    }),
                ])
            }
        }
    }

    /// The hops of one RBAC grant: how the acting identity holds it, then the grant.
    pub(super) fn grant_hops(&self, r: &Reached, g: &Grant, to: Node) -> Path {
        let (mut hops, holder) = self.via_hops(r, g);
        let evidence = match &g.via {
            Via::Masters { .. } => format!("{MASTERS} bypasses RBAC: every request is allowed"),
            _ => g.describe(),
        };
        hops.push(Arc::new(Hop {
            edge: "grants",
            from: holder,
            to,
            evidence,
        }));
        hops
    }

    /// How the acting identity holds a grant: the group it is in (`member-of`),
    /// the user or group an IAM principal is mapped to (`maps-to`), or the EKS
    /// access policy of its access entry (`access-policy`); and that holder.
    pub(crate) fn via_hops(&self, r: &Reached, g: &Grant) -> (Path, Node) {
        let from = &r.node;
        let via_edge = if r.iam.is_some() {
            "maps-to"
        } else {
            "member-of"
        };
        let mapping_evidence = |target: &str| -> String {
            let arn = r.iam.as_deref().unwrap_or("");
            let name = arn.rsplit('/').next().unwrap_or(arn);
            self.rbac
                .mappings()
                .iter()
                .find(|m| {
                    m.arn
                        .rsplit('/')
                        .next()
                        .unwrap_or(m.arn)
                        .eq_ignore_ascii_case(name)
                        && (m.groups.contains(&target) || m.username == Some(target))
                })
                .map(|m| {
                    format!(
                        "{} maps it to {target} (username {})",
                        m.describe(),
                        m.username.unwrap_or("-")
                    )
                })
                .unwrap_or_else(|| {
                    format!("every principal the cluster authenticates is in {target}")
                })
        };
        let mut hops = Vec::new();
        let holder = match &g.via {
            Via::Masters { member } => {
                let grp = Node::Group {
                    name: MASTERS.to_string(),
                };
                if *from != grp {
                    hops.push(Arc::new(Hop {
                        edge: via_edge,
                        from: from.clone(),
                        to: grp.clone(),
                        evidence: member.clone(),
                    }));
                }
                grp
            }
            Via::AccessPolicy {
                entry, policy_arn, ..
            } => {
                let pol = Node::AccessPolicy {
                    arn: policy_arn.to_string(),
                    scope: g.scope.to_string(),
                };
                hops.push(Arc::new(Hop {
                    edge: "access-policy",
                    from: from.clone(),
                    to: pol.clone(),
                    evidence: format!(
                        "access entry {} associates {policy_arn} [{}]",
                        entry.principal_arn, g.scope
                    ),
                }));
                pol
            }
            Via::Binding(rg) => {
                let s = rg.subject;
                let holder = match s.kind.as_str() {
                    "Group" => Node::Group {
                        name: s.name.clone(),
                    },
                    "ServiceAccount" => Node::sa(
                        s.namespace
                            .as_deref()
                            .or(rg.binding.namespace.as_deref())
                            .unwrap_or(""),
                        &s.name,
                    ),
                    _ => Node::User {
                        name: s.name.clone(),
                    },
                };
                if holder != *from {
                    let evidence = if r.iam.is_some() {
                        mapping_evidence(&s.name)
                    } else {
                        format!("{} is in {}", from.label(), holder.label())
                    };
                    hops.push(Arc::new(Hop {
                        edge: via_edge,
                        from: from.clone(),
                        to: holder.clone(),
                        evidence,
                    }));
                }
                holder
            }
        };
        (hops, holder)
    }
}
