//! `can-i`: every way a subject gets a permission, hop by hop.
//!
//! A subject first *is* some identities (a service account, a user with groups,
//! an IAM principal mapped into the cluster), then *becomes* others through what
//! the PATH rule calls becoming (`audit::path::caps_of`: run pods, mint tokens,
//! create token Secrets, exec into pods), breadth first so each identity is
//! reached along a shortest path. Each identity reached is then asked the
//! question with the audit's engines.

use std::collections::VecDeque;

/// A decision with its conditions and the evidence saying so.
type Verdict = (Decision, Vec<String>, String);

use crate::audit::path::{Hop as Become, caps_of};
use crate::graph::reach::{Via as LinkVia, irsa_answer, provider_accepts};
use crate::hashing::HashSet;
use crate::model::ServiceAccount;
use crate::policy::iam::{self, Decision as IamDecision, PermissionSet, PrincipalKind};
use crate::policy::rbac::{
    ANONYMOUS, AUTHENTICATED, Grant, Identity, MASTERS, Principal, Scope, UNAUTHENTICATED, Via,
};
use crate::policy::trust::{PodIdentity, TrustAnswer, check_pod_identity};

use super::action::{Action, AwsAction, KubeAction};
use super::answer::{Answer, Decision, Hop, Node, PathAnswer, QueryEcho};
use super::subject::AsSubject;
use super::{Asker, AssumeEdges};

/// An identity the subject is or can become, with the path to it.
#[derive(Debug, Clone)]
pub struct Reached {
    /// Who acts here: the subject itself, or a service account it became.
    pub node: Node,
    pub id: Identity,
    /// The service account acting here, if any.
    pub sa: Option<(String, String)>,
    /// The IAM principal acting here (an IAM subject, at the start).
    pub iam: Option<String>,
    pub path: Vec<Hop>,
}

/// How deep role chaining (`sts:AssumeRole` from role to role) is followed.
const MAX_CHAIN: usize = 2;

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
                let pod = self
                    .inv
                    .pods
                    .iter()
                    .find(|p| &p.namespace == namespace && &p.name == name)
                    .ok_or_else(|| {
                        format!("pod {namespace}/{name} is not in the inventory (pods are read from kubernetes.json or the cluster)")
                    })?;
                let sa = &pod.service_account;
                let p = Principal::service_account(namespace, sa);
                let sa_node = Node::sa(namespace, sa);
                (
                    Reached {
                        node: sa_node.clone(),
                        id: rbac.identity(&p),
                        sa: Some((namespace.clone(), sa.clone())),
                        iam: None,
                        path: vec![Hop {
                            edge: "runs-as",
                            from: node.clone(),
                            to: sa_node,
                            evidence: format!(
                                "Pod {namespace}/{name} spec.serviceAccountName {sa}"
                            ),
                        }],
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

    /// The service accounts one capability leads to, each with the hops to it.
    pub(crate) fn targets(
        &self,
        from: &Node,
        cap: &crate::audit::path::Cap<'a>,
    ) -> Vec<((String, String), Vec<Hop>)> {
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
                            vec![Hop {
                                edge,
                                from: from.clone(),
                                to: Node::sa(ns, name),
                                evidence: evidence.clone(),
                            }],
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
                                Hop {
                                    edge: "exec-into",
                                    from: from.clone(),
                                    to: pod_node.clone(),
                                    evidence: evidence.clone(),
                                },
                                Hop {
                                    edge: "runs-as",
                                    from: pod_node,
                                    to: Node::sa(ns, sa),
                                    evidence: format!(
                                        "Pod {ns}/{pod} spec.serviceAccountName {sa}"
                                    ),
                                },
                            ],
                        ));
                    }
                }
            }
        }
        out
    }

    /// The hops of one RBAC grant: how the acting identity holds it, then the grant.
    fn grant_hops(&self, r: &Reached, g: &Grant, to: Node) -> Vec<Hop> {
        let (mut hops, holder) = self.via_hops(r, g);
        let evidence = match &g.via {
            Via::Masters { .. } => format!("{MASTERS} bypasses RBAC: every request is allowed"),
            _ => g.describe(),
        };
        hops.push(Hop {
            edge: "grants",
            from: holder,
            to,
            evidence,
        });
        hops
    }

    /// How the acting identity holds a grant: the group it is in (`member-of`),
    /// the user or group an IAM principal is mapped to (`maps-to`), or the EKS
    /// access policy of its access entry (`access-policy`); and that holder.
    pub(crate) fn via_hops(&self, r: &Reached, g: &Grant) -> (Vec<Hop>, Node) {
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
                    hops.push(Hop {
                        edge: via_edge,
                        from: from.clone(),
                        to: grp.clone(),
                        evidence: member.clone(),
                    });
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
                hops.push(Hop {
                    edge: "access-policy",
                    from: from.clone(),
                    to: pol.clone(),
                    evidence: format!(
                        "access entry {} associates {policy_arn} [{}]",
                        entry.principal_arn, g.scope
                    ),
                });
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
                    hops.push(Hop {
                        edge: via_edge,
                        from: from.clone(),
                        to: holder.clone(),
                        evidence,
                    });
                }
                holder
            }
        };
        (hops, holder)
    }

    /// Answer one question.
    pub fn can_i(
        &self,
        subject: &AsSubject,
        action: &Action,
        direct: bool,
    ) -> Result<Answer, String> {
        let (mut answers, mut misses) = self.paths(subject, action, direct)?;
        // Shortest paths first; ties by the identity that acts.
        answers.sort_by(|x, y| {
            y.decision
                .cmp(&x.decision)
                .then(x.path.len().cmp(&y.path.len()))
        });
        let decision = Answer::decide(&answers);
        let no_paths: Vec<PathAnswer> = if decision == Decision::No {
            std::mem::take(&mut answers)
        } else {
            answers.retain(|a| a.decision != Decision::No);
            Vec::new()
        };
        // For a `no`, the deciding Deny hops are evidence worth keeping.
        for a in no_paths {
            if let Some(h) = a.path.last() {
                misses.push(format!("{}: {}", h.from.label(), h.evidence));
            }
        }
        misses.dedup();
        // Misses explain a `no`; next to a yes they are noise.
        if decision != Decision::No {
            misses.clear();
        } else if let Action::Kube(k) = action {
            misses.extend(self.other_namespaces(subject, k));
        }
        Ok(Answer {
            query: echo("can-i", subject, action, direct),
            decision,
            answers,
            misses,
            coverage: self.coverage(),
        })
    }

    /// The nearest misses of a Kubernetes `no`: the subject's own grants that
    /// would allow the request in another namespace.
    fn other_namespaces(&self, subject: &AsSubject, k: &KubeAction) -> Vec<String> {
        if k.path.is_some() {
            return Vec::new();
        }
        let Ok((_, rows)) = self.start(subject) else {
            return Vec::new();
        };
        let want = k.namespace.as_deref().filter(|n| !n.is_empty());
        let mut out = Vec::new();
        for g in rows {
            let Scope::Namespace(ns) = g.scope else {
                continue;
            };
            if Some(ns) == want {
                continue;
            }
            let mut req = k.request();
            req.namespace = Some(ns);
            if g.allows(&req) {
                let line = match want {
                    Some(w) => format!("granted in namespace {ns}, not {w}: {}", g.describe()),
                    None => format!(
                        "granted in namespace {ns} only, not cluster-wide: {}",
                        g.describe()
                    ),
                };
                if !out.contains(&line) {
                    out.push(line);
                }
            }
            if out.len() >= 5 {
                break;
            }
        }
        out
    }

    /// Every path found for a question, whatever its decision, and the misses.
    pub fn paths(
        &self,
        subject: &AsSubject,
        action: &Action,
        direct: bool,
    ) -> Result<(Vec<PathAnswer>, Vec<String>), String> {
        let reached = self.reachable(subject, direct)?;
        let subject_node = self.subject_node(subject);
        let mut answers = Vec::new();
        let mut misses = Vec::new();
        if let Some(r) = reached.first()
            && r.iam.is_some()
            && r.id.groups.is_empty()
            && matches!(action, Action::Kube(_))
        {
            misses.push(format!(
                "{} is mapped into the cluster by no aws-auth entry or access entry",
                subject_node.label()
            ));
        }
        // Access policies the RBAC engine does not model grant nothing here: say so.
        if let Some(r) = reached.first()
            && r.iam.is_some()
        {
            for &i in &r.id.access_entries {
                if let Some(e) = self.inv.access_entries.get(i) {
                    for ap in &e.access_policies {
                        if !crate::policy::rbac::access_policy_modelled(&ap.policy_arn) {
                            misses.push(format!(
                                "access entry {} has access policy {}, whose permissions are not modelled",
                                e.principal_arn, ap.policy_arn
                            ));
                        }
                    }
                }
            }
        }
        for r in &reached {
            self.answers_at(r, action, &subject_node, direct, &mut answers, &mut misses);
        }
        Ok((answers, misses))
    }

    /// The answers of one identity the subject is or became (its path included).
    pub(crate) fn answers_at(
        &self,
        r: &Reached,
        action: &Action,
        subject: &Node,
        direct: bool,
        answers: &mut Vec<PathAnswer>,
        misses: &mut Vec<String>,
    ) {
        match action {
            Action::Kube(k) => {
                if let Some(a) = self.kube_answer(r, k, subject) {
                    answers.push(a);
                }
            }
            Action::Aws(a) => self.aws_answers(r, a, subject, direct, answers, misses),
        }
    }

    fn kube_answer(&self, r: &Reached, k: &KubeAction, subject: &Node) -> Option<PathAnswer> {
        if r.iam.is_some() && r.id.groups.is_empty() && r.id.access_entries.is_empty() {
            return None;
        }
        let g = match &k.path {
            Some(p) => self.rbac.can_identity_url(&r.id, &k.verb, p),
            None => self.rbac.can_identity(&r.id, &k.request()),
        }?;
        let mut path = r.path.clone();
        path.extend(self.grant_hops(r, &g, Node::KubeRequest(k.clone())));
        Some(PathAnswer {
            subject: subject.clone(),
            decision: Decision::Yes,
            conditions: Vec::new(),
            path,
        })
    }

    fn aws_answers(
        &self,
        r: &Reached,
        a: &AwsAction,
        subject: &Node,
        direct: bool,
        out: &mut Vec<PathAnswer>,
        misses: &mut Vec<String>,
    ) {
        let is_web = a
            .action
            .eq_ignore_ascii_case("sts:AssumeRoleWithWebIdentity");
        let is_assume = a.action.eq_ignore_ascii_case("sts:AssumeRole")
            || a.action.eq_ignore_ascii_case("sts:TagSession");
        let target_role = a.resource.contains(":role/").then_some(a.resource.as_str());
        // A service account's own token, whether or not it is annotated.
        if let (Some((ns, name)), Some(role)) = (&r.sa, target_role)
            && (is_web || is_assume)
        {
            let (d, conds, evidence) = if is_web {
                self.web_identity(ns, name, role)
            } else {
                self.pod_identity(ns, name, role)
            };
            let to = Node::IamRole {
                arn: self
                    .role(role)
                    .map_or_else(|| role.to_string(), |x| x.arn.clone()),
            };
            if d == Decision::No {
                misses.push(format!("{}: {evidence}", r.node.label()));
            } else {
                let mut path = r.path.clone();
                path.push(Hop {
                    edge: "assumes",
                    from: r.node.clone(),
                    to,
                    evidence,
                });
                out.push(PathAnswer {
                    subject: subject.clone(),
                    decision: d,
                    conditions: conds,
                    path,
                });
            }
        }
        if is_web {
            // The web-identity call carries no AWS credentials: only the trust decides.
            return;
        }
        // An IAM subject's own policies.
        if let Some(arn) = &r.iam {
            self.extend_with(
                arn,
                &r.path,
                Decision::Yes,
                &[],
                a,
                subject,
                direct,
                out,
                misses,
            );
        }
        // The node roles its pods obtain through IMDS (`node-role`, as NODE-001/004 and PATH-001).
        if let Some((ns, name)) = &r.sa {
            for (arn, decision, conds, evidence) in self.node_role_links(r, ns, name) {
                let mut path = r.path.clone();
                path.push(Hop {
                    edge: "node-role",
                    from: r.node.clone(),
                    to: Node::IamRole { arn: arn.clone() },
                    evidence,
                });
                self.extend_with(
                    &arn, &path, decision, &conds, a, subject, direct, out, misses,
                );
            }
        }
        // The roles a service account obtains.
        if let Some((ns, name)) = &r.sa {
            if self.best_only.get() {
                self.best_link(r, ns, name, a, subject, direct, out);
                return;
            }
            for (role_arn, via) in self.roles_of(ns, name) {
                // The trust is only worth evaluating (for its evidence and
                // conditions) when the role, or a role it chains to, may do it.
                let useful = self
                    .role_paths(role_arn, a, subject, direct)
                    .0
                    .iter()
                    .any(|p| p.decision != Decision::No);
                let (d, conds, evidence) = if useful {
                    self.link_evidence(ns, name, role_arn, *via)
                } else {
                    (
                        Decision::Yes,
                        Vec::new(),
                        "obtains it (a working IRSA or Pod Identity link)".to_string(),
                    )
                };
                if d == Decision::No {
                    continue;
                }
                let mut path = r.path.clone();
                let role_node = Node::IamRole {
                    arn: role_arn.clone(),
                };
                path.push(Hop {
                    edge: "assumes",
                    from: r.node.clone(),
                    to: role_node,
                    evidence,
                });
                self.extend_with(role_arn, &path, d, &conds, a, subject, direct, out, misses);
            }
        }
    }

    /// The node roles a service account's pods obtain through the instance
    /// metadata service: its running pods where NODE-001 or NODE-004 holds, and
    /// (when it was reached by creating a pod) a new pod in its namespace, with
    /// `hostNetwork: true` where Pod Security admission allows it. Conditional
    /// where a NetworkPolicy engine could block 169.254.169.254 for pod-network pods.
    fn node_role_links(
        &self,
        r: &Reached,
        ns: &str,
        name: &str,
    ) -> Vec<(String, Decision, Vec<String>, String)> {
        let reach = self.graph.node_reach();
        if reach.nodes.is_empty() {
            return Vec::new();
        }
        let nr = self
            .node_roles
            .get_or_init(|| crate::audit::path::NodeRoles::of(&self.graph, self.inv));
        let blocked = reach.policy_engine.as_ref().map(|e| {
            format!("no NetworkPolicy blocks 169.254.169.254 ({e}; NetworkPolicies are not in the snapshot)")
        });
        let mut out: std::collections::BTreeMap<String, (String, Decision, Vec<String>, String)> =
            Default::default();
        let mut add = |arn: &str, host: bool, evidence: String| {
            let (d, c) = match (&blocked, host) {
                (Some(b), false) => (Decision::Conditional, vec![b.clone()]),
                _ => (Decision::Yes, Vec::new()),
            };
            let e = out
                .entry(arn.to_ascii_lowercase())
                .or_insert_with(|| (arn.to_string(), d, c.clone(), evidence.clone()));
            if d > e.1 {
                *e = (arn.to_string(), d, c, evidence);
            }
        };
        for p in &reach.pods {
            let pod = &self.inv.pods[p.pod];
            if p.reaches != Some(true) || pod.namespace != ns || pod.service_account != name {
                continue;
            }
            let n = &reach.nodes[p.node];
            if let Some(arn) = &n.role {
                add(
                    arn,
                    pod.host_network,
                    format!(
                        "pod {ns}/{}{} on node {} (node group {}, {}): {}; the role from {}",
                        pod.name,
                        if pod.host_network {
                            " (hostNetwork)"
                        } else {
                            ""
                        },
                        n.name,
                        n.group.name,
                        n.group.source,
                        n.imds.describe(),
                        n.role_via
                    ),
                );
            }
        }
        if r.path.last().is_some_and(|h| h.edge == "creates-pod-as") {
            for (role, psa) in nr.for_namespace(ns) {
                let pod = match psa {
                    Some(why) => format!("a new pod with hostNetwork: true ({why})"),
                    None => "a new pod".to_string(),
                };
                add(&role.arn, psa.is_some(), format!("{pod} on {}", role.how));
            }
        }
        out.into_values().collect()
    }

    /// who-can's shortcut for an account's own answer: only its best path.
    /// Its roles' memoized answers are ranked first (yes before conditional,
    /// then shortest), and trusts are evaluated in that order until one admits
    /// the account outright: an account with dozens of roles costs a few trust
    /// evaluations, not dozens of copied path lists.
    #[allow(clippy::too_many_arguments)]
    fn best_link(
        &self,
        r: &Reached,
        ns: &str,
        name: &str,
        a: &AwsAction,
        subject: &Node,
        direct: bool,
        out: &mut Vec<PathAnswer>,
    ) {
        let mut ranked: Vec<(Decision, usize, usize, &String, LinkVia)> = Vec::new();
        for (k, (role_arn, via)) in self.roles_of(ns, name).iter().enumerate() {
            let memo = self.role_paths(role_arn, a, subject, direct);
            if let Some((d, len)) = memo
                .0
                .iter()
                .filter(|p| p.decision != Decision::No)
                .map(|p| (p.decision, p.path.len()))
                .max_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)))
            {
                ranked.push((d, len, k, role_arn, *via));
            }
        }
        ranked.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        let mut best: Option<PathAnswer> = None;
        for (_, _, _, role_arn, via) in ranked {
            let (d, conds, evidence) = self.link_evidence(ns, name, role_arn, via);
            if d == Decision::No {
                continue;
            }
            let mut path = r.path.clone();
            path.push(Hop {
                edge: "assumes",
                from: r.node.clone(),
                to: Node::IamRole {
                    arn: role_arn.clone(),
                },
                evidence,
            });
            let mut found = Vec::new();
            let mut ignored = Vec::new();
            self.extend_with(
                role_arn,
                &path,
                d,
                &conds,
                a,
                subject,
                direct,
                &mut found,
                &mut ignored,
            );
            found.retain(|p| p.decision != Decision::No);
            found.sort_by(|x, y| {
                y.decision
                    .cmp(&x.decision)
                    .then(x.path.len().cmp(&y.path.len()))
            });
            if let Some(f) = found.into_iter().next() {
                let better = best.as_ref().is_none_or(|b| {
                    (f.decision, std::cmp::Reverse(f.path.len()))
                        > (b.decision, std::cmp::Reverse(b.path.len()))
                });
                if better {
                    best = Some(f);
                }
            }
            if best.as_ref().is_some_and(|b| b.decision == Decision::Yes) {
                break;
            }
        }
        out.extend(best);
    }

    /// `principal_paths` of one principal, computed once per question and
    /// principal (many accounts share a role), then put after `prefix`.
    #[allow(clippy::too_many_arguments)]
    fn extend_with(
        &self,
        arn: &str,
        prefix: &[Hop],
        so_far: Decision,
        conds: &[String],
        a: &AwsAction,
        subject: &Node,
        direct: bool,
        out: &mut Vec<PathAnswer>,
        misses: &mut Vec<String>,
    ) {
        let memo = self.role_paths(arn, a, subject, direct);
        for pa in &memo.0 {
            let mut path = prefix.to_vec();
            path.extend(pa.path.iter().cloned());
            let mut c = conds.to_vec();
            c.extend(pa.conditions.iter().cloned());
            out.push(PathAnswer {
                subject: subject.clone(),
                decision: so_far.min(pa.decision),
                conditions: c,
                path,
            });
        }
        misses.extend(memo.1.iter().cloned());
    }

    /// `principal_paths` of one principal with an empty prefix, memoized per
    /// question and principal.
    fn role_paths(
        &self,
        arn: &str,
        a: &AwsAction,
        subject: &Node,
        direct: bool,
    ) -> super::RoleMemo {
        let key = (
            format!("{}|{direct}|{}", question_key(a), self.best_only.get()),
            arn.to_ascii_lowercase(),
        );
        let cached = self.role_memo.borrow().get(&key).cloned();
        match cached {
            Some(m) => m,
            None => {
                let mut paths = Vec::new();
                let mut found_misses = Vec::new();
                self.principal_paths(
                    arn,
                    Vec::new(),
                    Decision::Yes,
                    Vec::new(),
                    a,
                    subject,
                    direct,
                    &mut paths,
                    &mut found_misses,
                );
                let m = std::rc::Rc::new((paths, found_misses));
                self.role_memo
                    .borrow_mut()
                    .insert(key, std::rc::Rc::clone(&m));
                m
            }
        }
    }

    /// What an IAM principal (reached along `path` with `so_far`) may do of `a`,
    /// then, unless `direct`, what the roles it can assume may do: breadth
    /// first, each role once (so along a shortest chain), at most `MAX_CHAIN`
    /// assumptions deep. A chained role that may not do it adds no answer.
    #[allow(clippy::too_many_arguments)]
    fn principal_paths(
        &self,
        arn: &str,
        path: Vec<Hop>,
        so_far: Decision,
        conds: Vec<String>,
        a: &AwsAction,
        subject: &Node,
        direct: bool,
        out: &mut Vec<PathAnswer>,
        misses: &mut Vec<String>,
    ) {
        let mut visited: HashSet<String> = HashSet::default();
        visited.insert(arn.to_ascii_lowercase());
        let mut queue = VecDeque::from([(arn.to_string(), path, so_far, conds, 0usize)]);
        while let Some((arn, path, so_far, conds, depth)) = queue.pop_front() {
            let from = self.principal_node(&arn);
            let Some(set) = self.permission_set(&arn) else {
                misses.push(format!(
                    "{}: not in the IAM inventory, its policies are unknown",
                    from.label()
                ));
                continue;
            };
            let (d, c, hop) = self.judge_memo(&set, a, &arn, &from);
            if depth == 0 || d != Decision::No {
                let mut p = path.clone();
                p.push(hop);
                let mut all_conds = conds.clone();
                all_conds.extend(c);
                out.push(PathAnswer {
                    subject: subject.clone(),
                    decision: so_far.min(d),
                    conditions: all_conds,
                    path: p,
                });
            }
            // who-can needs one path: breadth first, the first yes is a shortest.
            if self.best_only.get() && so_far.min(d) == Decision::Yes {
                return;
            }
            if depth == 0 {
                for pr in &set.problems {
                    misses.push(format!("{}: not evaluated: {pr}", from.label()));
                }
            }
            if direct || depth >= MAX_CHAIN {
                continue;
            }
            // Role chaining: roles whose trust admits this principal and that
            // its own policies let it assume (computed once per principal).
            let edges = self.assume_edges(&arn, &set, a);
            for (next, lower, d2, c2, evidence) in edges.iter() {
                if !visited.insert(lower.clone()) {
                    continue;
                }
                let mut p = path.clone();
                p.push(Hop {
                    edge: "assumes",
                    from: from.clone(),
                    to: Node::IamRole { arn: next.clone() },
                    evidence: evidence.clone(),
                });
                let mut cs = conds.clone();
                cs.extend(c2.iter().cloned());
                queue.push_back((next.clone(), p, so_far.min(*d2), cs, depth + 1));
            }
        }
    }

    /// [`Asker::judge_action`], once per question and principal: a role that
    /// many others can assume is judged once.
    fn judge_memo(
        &self,
        set: &PermissionSet,
        a: &AwsAction,
        arn: &str,
        from: &Node,
    ) -> (Decision, Vec<String>, Hop) {
        let key = (question_key(a), arn.to_ascii_lowercase());
        if let Some(j) = self.judge_memo.borrow().get(&key) {
            return j.clone();
        }
        let j = self.judge_action(set, a, arn, from);
        self.judge_memo.borrow_mut().insert(key, j.clone());
        j
    }

    /// One principal's decision on the action, as an `allows`/`denies` hop.
    fn judge_action(
        &self,
        set: &PermissionSet,
        a: &AwsAction,
        arn: &str,
        from: &Node,
    ) -> (Decision, Vec<String>, Hop) {
        let to = Node::AwsAction {
            action: a.action.clone(),
            resource: a.resource.clone(),
        };
        let (mut d, mut c, mut hop) = if has_wildcard(&a.action) {
            self.judge_pattern(set, a, arn, from, to)
        } else {
            let req = self.iam_request(a, arn, &a.action, &a.resource);
            judge(&set.evaluate(&req), from, to)
        };
        // sts:AssumeRole on a role needs the role's trust too.
        if a.action.eq_ignore_ascii_case("sts:AssumeRole")
            && a.resource.contains(":role/")
            && d != Decision::No
        {
            let (td, tc, ev) = self.role_trust_admits(&a.resource, arn, a);
            d = d.min(td);
            c.extend(tc);
            hop.evidence = format!("{}; {ev}", hop.evidence);
        }
        (d, c, hop)
    }

    /// The roles `arn` can assume (`sts:AssumeRole` allowed by its policies and
    /// by the role's trust), with the decision, conditions and evidence; once
    /// per principal and request context. A principal none of whose Allow
    /// statements can grant `sts:AssumeRole` has none, without asking each role.
    fn assume_edges(&self, arn: &str, set: &PermissionSet, a: &AwsAction) -> AssumeEdges {
        let key = (
            format!("{:?}|{}", a.context, a.complete),
            arn.to_ascii_lowercase(),
        );
        if let Some(e) = self.assume_memo.borrow().get(&key) {
            return std::rc::Rc::clone(e);
        }
        let may_assume = set
            .policies
            .iter()
            .flat_map(|p| &p.doc.statements)
            .any(|s| {
                s.effect == crate::policy::iam::Effect::Allow
                    && s.action
                        .values
                        .iter()
                        .any(|p| crate::policy::actions::action_matches(p, "sts:AssumeRole"))
                        != s.action.negated
            });
        let mut edges = Vec::new();
        if may_assume {
            let from = self.principal_node(arn);
            for &i in &self.aws_trusting {
                let next = &self.inv.iam.roles[i];
                if next.arn.eq_ignore_ascii_case(arn) {
                    continue;
                }
                let (td, tc, tev) = self.role_trust_admits(&next.arn, arn, a);
                if td == Decision::No {
                    continue;
                }
                let areq = self.iam_request(a, arn, "sts:AssumeRole", &next.arn);
                let (ad, ac, ahop) = judge(
                    &set.evaluate(&areq),
                    &from,
                    Node::IamRole {
                        arn: next.arn.clone(),
                    },
                );
                if ad == Decision::No {
                    continue;
                }
                let mut c = tc;
                c.extend(ac);
                edges.push((
                    next.arn.clone(),
                    next.arn.to_ascii_lowercase(),
                    td.min(ad),
                    c,
                    format!("sts:AssumeRole {}; {tev}", ahop.evidence),
                ));
            }
        }
        let edges = std::rc::Rc::new(edges);
        self.assume_memo
            .borrow_mut()
            .insert(key, std::rc::Rc::clone(&edges));
        edges
    }

    /// A wildcard action (`s3:*`, `*:*`) asks whether *every* action it matches
    /// is allowed, as the IAM rules ask it: on every resource through the
    /// symbolic `PermissionSet::allows_all`, on one resource by evaluating each
    /// catalogue action the pattern matches.
    fn judge_pattern(
        &self,
        set: &PermissionSet,
        a: &AwsAction,
        arn: &str,
        from: &Node,
        to: Node,
    ) -> (Decision, Vec<String>, Hop) {
        let hop = |edge: &'static str, evidence: String| Hop {
            edge,
            from: from.clone(),
            to: to.clone(),
            evidence,
        };
        if a.resource == "*" {
            return match set.allows_all(&a.action) {
                Some(g) if g.conditional => (
                    Decision::Conditional,
                    g.notes.clone(),
                    hop("allows", g.evidence()),
                ),
                Some(g) => (Decision::Yes, Vec::new(), hop("allows", g.evidence())),
                None => (
                    Decision::No,
                    Vec::new(),
                    hop(
                        "denies",
                        format!(
                            "not every action of {} is allowed on every resource",
                            a.action
                        ),
                    ),
                ),
            };
        }
        let actions = crate::policy::actions::expand(&a.action);
        if actions.is_empty() {
            return (
                Decision::No,
                Vec::new(),
                hop("denies", format!("{} matches no known action", a.action)),
            );
        }
        let mut worst = (Decision::Yes, Vec::new(), hop("allows", String::new()));
        let mut by: Vec<String> = Vec::new();
        for act in actions {
            let name = act.full_name();
            let req = self.iam_request(a, arn, &name, &a.resource);
            let (d, c, h) = judge(&set.evaluate(&req), from, to.clone());
            if d < worst.0 {
                worst = (d, c, h);
                if d == Decision::No {
                    worst.2.evidence = format!("{name}: {}", worst.2.evidence);
                    return worst;
                }
            } else if d == Decision::Yes && by.len() < 3 && !by.contains(&h.evidence) {
                by.push(h.evidence);
            }
        }
        if worst.0 == Decision::Yes {
            worst.2.evidence = by.join("; ");
        }
        worst
    }

    fn principal_node(&self, arn: &str) -> Node {
        if arn.contains(":user/") {
            Node::IamUser {
                arn: arn.to_string(),
            }
        } else {
            Node::IamRole {
                arn: arn.to_string(),
            }
        }
    }

    /// The IAM request a principal makes: the asker's context, plus the keys the
    /// principal itself determines unless the asker gave them.
    pub fn iam_request(
        &self,
        a: &AwsAction,
        principal: &str,
        action: &str,
        resource: &str,
    ) -> iam::Request {
        let mut r = iam::Request::new(action).resource(resource);
        let given = |k: &str| a.context.keys().any(|g| g.eq_ignore_ascii_case(k));
        let fill = |r: iam::Request, k: &str, v: &str| {
            if given(k) { r } else { r.key(k, v) }
        };
        r = fill(r, "aws:PrincipalArn", principal);
        if let Some(acct) = principal.split(':').nth(4).filter(|s| !s.is_empty()) {
            r = fill(r, "aws:PrincipalAccount", acct);
        }
        if principal.contains(":user/") {
            r = fill(r, "aws:PrincipalType", "User");
            if let Some(name) = principal.rsplit('/').next() {
                r = fill(r, "aws:username", name);
            }
        } else {
            r = fill(r, "aws:PrincipalType", "AssumedRole");
            if let Some(role) = self.role(principal) {
                for (k, v) in &role.tags {
                    r = fill(r, &format!("aws:PrincipalTag/{k}"), v);
                }
            }
        }
        // A key given once is single-valued; given twice, multivalued (query.md),
        // which only set operators (ForAnyValue/ForAllValues) match.
        for (k, v) in &a.context {
            r = match v.as_slice() {
                [one] => r.key(k, one.clone()),
                _ => r.key_values(k, v.clone()),
            };
        }
        if a.complete {
            r = r.closed();
        }
        r
    }

    /// A role and its trust policy, or the answer (decision, conditions,
    /// evidence) when either is missing: no
    /// for a role that is not there, conditional for a trust not collected.
    fn role_and_trust(
        &self,
        role: &str,
    ) -> Result<
        (
            &'a crate::model::IamRole,
            std::sync::Arc<crate::policy::iam::PolicyDocument>,
        ),
        Verdict,
    > {
        let Some(r) = self.role(role) else {
            return Err((
                Decision::No,
                Vec::new(),
                format!("role {role} is not in the IAM inventory"),
            ));
        };
        let Some(trust) = self.graph.trust(r) else {
            let why = format!("trust policy of {} not collected", r.arn);
            return Err((Decision::Conditional, vec![why.clone()], why));
        };
        Ok((r, trust))
    }

    /// Whether role `role`'s trust lets IAM principal `caller` call sts:AssumeRole.
    fn role_trust_admits(
        &self,
        role: &str,
        caller: &str,
        a: &AwsAction,
    ) -> (Decision, Vec<String>, String) {
        let (r, trust) = match self.role_and_trust(role) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        let mut req = self.iam_request(a, caller, "sts:AssumeRole", &r.arn);
        req.resource = None;
        req = req.principal(PrincipalKind::Aws, caller);
        let name = format!("trust policy of {}", r.name);
        match iam::evaluate(&[(name.as_str(), &trust)], &req) {
            IamDecision::Allowed { by } => (
                Decision::Yes,
                Vec::new(),
                format!(
                    "{} admits {caller}",
                    by.iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ),
            IamDecision::Undecided { conditions } => (
                Decision::Conditional,
                conditions.clone(),
                format!("{name} may admit {caller}: {}", conditions.join("; ")),
            ),
            IamDecision::Denied { why, .. } => (Decision::No, Vec::new(), why),
            IamDecision::NotAllowed { .. } => (
                Decision::No,
                Vec::new(),
                format!("{name} does not admit {caller}"),
            ),
        }
    }

    fn service_account(&self, ns: &str, name: &str) -> ServiceAccount {
        self.graph
            .service_account(ns, name)
            .cloned()
            .unwrap_or_else(|| ServiceAccount {
                namespace: ns.to_string(),
                name: name.to_string(),
                ..ServiceAccount::default()
            })
    }

    /// Does role `role`'s trust admit the projected token of `ns/name`?
    pub fn web_identity(
        &self,
        ns: &str,
        name: &str,
        role: &str,
    ) -> (Decision, Vec<String>, String) {
        let sa = self.service_account(ns, name);
        let (r, trust) = match self.role_and_trust(role) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        if provider_accepts(&self.graph, sa.audience()) == Some(false) {
            return (
                Decision::No,
                Vec::new(),
                format!(
                    "the cluster's OIDC provider is missing in IAM or does not accept audience {}",
                    sa.audience()
                ),
            );
        }
        let annotated = sa.irsa_annotation().is_some_and(|a| {
            a.eq_ignore_ascii_case(&r.arn) || a.rsplit('/').next() == Some(r.name.as_str())
        });
        let how = if annotated {
            "IRSA annotation eks.amazonaws.com/role-arn"
        } else {
            "no IRSA annotation needed: its projected token can call STS"
        };
        match irsa_answer(&self.graph, r, &trust, &sa) {
            None => (
                Decision::Conditional,
                vec!["the cluster's OIDC issuer is unknown".into()],
                format!("{how}; the cluster's OIDC issuer is unknown"),
            ),
            Some(TrustAnswer::Allowed { statements }) => (
                Decision::Yes,
                Vec::new(),
                format!(
                    "{how}; trust {} admits system:serviceaccount:{ns}:{name} (sub, aud {})",
                    statements.join(", "),
                    sa.audience()
                ),
            ),
            Some(TrustAnswer::Undecided { conditions }) => (
                Decision::Conditional,
                conditions.clone(),
                format!("{how}; trust may admit it: {}", conditions.join("; ")),
            ),
            Some(TrustAnswer::Denied { reasons }) => (
                Decision::No,
                Vec::new(),
                format!(
                    "trust of {} does not admit system:serviceaccount:{ns}:{name}: {}",
                    r.arn,
                    reasons.join("; ")
                ),
            ),
        }
    }

    /// Does role `role`'s trust let EKS Pod Identity assume it for `ns/name`?
    pub fn pod_identity(
        &self,
        ns: &str,
        name: &str,
        role: &str,
    ) -> (Decision, Vec<String>, String) {
        let (r, trust) = match self.role_and_trust(role) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        let assoc = self.inv.pod_identity_associations.iter().find(|x| {
            x.namespace == ns
                && x.service_account == name
                && x.role_arn.eq_ignore_ascii_case(&r.arn)
        });
        let cluster = self.graph.cluster();
        let cluster_arn = cluster.and_then(|c| c.arn.as_deref());
        let pi = PodIdentity {
            account: cluster_arn
                .and_then(|a| a.split(':').nth(4))
                .filter(|s| !s.is_empty())
                .or(self.graph.account()),
            cluster_arn,
            cluster_name: cluster.map(|c| c.name.as_str()),
            namespace: ns,
            service_account: name,
            session_tags: assoc.is_none_or(|a| !a.disable_session_tags),
        };
        let how = match assoc {
            Some(a) => format!("Pod Identity association {}", a.id),
            None => "no Pod Identity association names it (one would be needed)".to_string(),
        };
        match check_pod_identity(&trust, &pi) {
            TrustAnswer::Allowed { statements } => (
                if assoc.is_some() {
                    Decision::Yes
                } else {
                    Decision::Conditional
                },
                if assoc.is_some() {
                    Vec::new()
                } else {
                    vec![format!(
                        "a Pod Identity association for {ns}/{name} and {}",
                        r.arn
                    )]
                },
                format!(
                    "{how}; trust {} admits pods.eks.amazonaws.com (sts:AssumeRole, sts:TagSession)",
                    statements.join(", ")
                ),
            ),
            TrustAnswer::Undecided { conditions } => (
                Decision::Conditional,
                conditions.clone(),
                format!("{how}; trust may admit it: {}", conditions.join("; ")),
            ),
            TrustAnswer::Denied { reasons } => (
                Decision::No,
                Vec::new(),
                format!(
                    "trust of {} does not let Pod Identity assume it for {ns}/{name}: {}",
                    r.arn,
                    reasons.join("; ")
                ),
            ),
        }
    }

    /// The `assumes` hop of a working role link, with the trust's say.
    pub(crate) fn link_evidence(
        &self,
        ns: &str,
        name: &str,
        role: &str,
        via: LinkVia,
    ) -> (Decision, Vec<String>, String) {
        let known = self.role(role).is_some();
        if !known {
            return (
                Decision::Conditional,
                vec![format!(
                    "role {role} is in an account that was not audited (or IAM was not collected)"
                )],
                format!(
                    "{} names {role}, which could not be verified",
                    match via {
                        LinkVia::Irsa => "IRSA annotation eks.amazonaws.com/role-arn",
                        LinkVia::PodIdentity => "a Pod Identity association",
                    }
                ),
            );
        }
        match via {
            LinkVia::Irsa => self.web_identity(ns, name, role),
            LinkVia::PodIdentity => self.pod_identity(ns, name, role),
        }
    }
}

/// What identifies an AWS question for the memos.
fn question_key(a: &AwsAction) -> String {
    format!("{}|{}|{:?}|{}", a.action, a.resource, a.context, a.complete)
}

fn has_wildcard(action: &str) -> bool {
    action.contains(['*', '?'])
}

/// An IAM decision as a hop: `allows` (or `denies`) with the statements.
fn judge(d: &IamDecision, from: &Node, to: Node) -> (Decision, Vec<String>, Hop) {
    let hop = |edge: &'static str, evidence: String| Hop {
        edge,
        from: from.clone(),
        to: to.clone(),
        evidence,
    };
    match d {
        IamDecision::Allowed { by } => (
            Decision::Yes,
            Vec::new(),
            hop(
                "allows",
                by.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        IamDecision::Undecided { conditions } => (
            Decision::Conditional,
            conditions.clone(),
            hop("allows", format!("only if: {}", conditions.join("; "))),
        ),
        IamDecision::Denied { why, .. } => (Decision::No, Vec::new(), hop("denies", why.clone())),
        IamDecision::NotAllowed { .. } => (
            Decision::No,
            Vec::new(),
            hop(
                "denies",
                "no statement allows it (implicit deny)".to_string(),
            ),
        ),
    }
}

/// The question as the answer echoes it.
pub fn echo(
    command: &'static str,
    subject: &AsSubject,
    action: &Action,
    direct: bool,
) -> QueryEcho {
    let mut q = echo_action(command, action, direct);
    q.as_ = Some(subject.notation());
    if let AsSubject::User { groups, .. } = subject {
        q.as_groups = groups.clone();
    }
    q
}

pub fn echo_action(command: &'static str, action: &Action, direct: bool) -> QueryEcho {
    let (act, context, complete) = match action {
        Action::Kube(k) => (serde_json::json!({ "kube": k }), Default::default(), false),
        Action::Aws(a) => (
            serde_json::json!({"aws": a.action, "resource": a.resource}),
            a.context
                .iter()
                .map(|(k, v)| {
                    let val = if v.len() == 1 {
                        serde_json::Value::String(v[0].clone())
                    } else {
                        serde_json::json!(v)
                    };
                    (k.clone(), val)
                })
                .collect(),
            a.complete,
        ),
    };
    QueryEcho {
        command,
        as_: None,
        as_groups: Vec::new(),
        action: act,
        context,
        context_complete: complete,
        direct,
    }
}
