//! The AWS side of a question: from an identity reached to the IAM roles it
//! obtains (IRSA, Pod Identity, the node role), role chaining, and the paths
//! that end at an IAM principal allowed the action.

use super::*;
use crate::hashing::HashMap;

impl<'a> Asker<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn aws_answers(
        &self,
        r: &Reached,
        a: &AwsAction,
        subject: &Node,
        direct: bool,
        out: &mut Vec<PathAnswer>,
        misses: &mut Vec<String>,
        plan: Option<&AccountPlan>,
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
                path.push(Arc::new(Hop {
                    edge: "assumes",
                    from: r.node.clone(),
                    to,
                    evidence,
                }));
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
            if r.iam.is_some() && r.path.is_empty() {
                misses.push(format!(
                    "{}: sts:AssumeRoleWithWebIdentity is called with a web identity token, not AWS credentials, so an IAM principal's policies neither grant nor deny it (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html)",
                    r.node.label()
                ));
            }
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
                path.push(Arc::new(Hop {
                    edge: "node-role",
                    from: r.node.clone(),
                    to: Node::IamRole { arn: arn.clone() },
                    evidence,
                }));
                self.extend_with(
                    &arn, &path, decision, &conds, a, subject, direct, out, misses,
                );
            }
        }
        // The roles a service account obtains.
        if let Some((ns, name)) = &r.sa {
            if self.best_only.get() {
                self.best_link(r, ns, name, a, subject, direct, out, plan);
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
                path.push(Arc::new(Hop {
                    edge: "assumes",
                    from: r.node.clone(),
                    to: role_node,
                    evidence,
                }));
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
        // Each account's pods that reach IMDS, indexed once: who-can asks this
        // of every account.
        let on_nodes = self.node_pods.get_or_init(|| {
            let mut m: HashMap<(String, String), Vec<usize>> = HashMap::default();
            for (i, p) in reach.pods.iter().enumerate() {
                let pod = &self.inv.pods[p.pod];
                if p.reaches == Some(true) {
                    m.entry((pod.namespace.clone(), pod.service_account.clone()))
                        .or_default()
                        .push(i);
                }
            }
            m
        });
        let mine = on_nodes
            .get(&(ns.to_string(), name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for p in mine.iter().map(|&i| &reach.pods[i]) {
            let pod = &self.inv.pods[p.pod];
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
        plan: Option<&AccountPlan>,
    ) {
        let table = (!direct).then(|| self.chain_table(a));
        // A role's best decision and length in hops (its place among the
        // roles every account obtains, if it is one of them).
        let best_of = |role_arn: &str, place: Option<usize>| {
            let best = table.as_ref().and_then(|t| match place {
                Some(j) => self.chain_best_everyone(t, j),
                None => self.chain_best(t, role_arn),
            });
            match best {
                Some(best) => best,
                None => {
                    let memo = self.role_paths(role_arn, a, subject, direct);
                    memo.0
                        .iter()
                        .filter(|p| p.decision != Decision::No)
                        .map(|p| (p.decision, p.path.len()))
                        .max_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)))
                }
            }
        };
        // (decision, hops, place, role, link, the role's principal in the
        // chaining graph when known).
        type Ranked<'r> = (
            Decision,
            usize,
            usize,
            &'r String,
            LinkVia,
            Option<(usize, bool)>,
        );
        let order = |x: &Ranked, y: &Ranked| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2));
        let mut ranked: Vec<Ranked> = Vec::new();
        let candidates: Box<dyn Iterator<Item = Ranked>> = match (plan, &table) {
            // With a plan: its own links ranked, merged with the roles every
            // account obtains, ranked once per question (their places keep
            // their order, and come after the own links').
            (Some(p), Some(t)) => {
                // The own links' principals, kept in the plan.
                let own_at = p.chain_at(t.0.serial, |arn| self.chain_index(&t.0, arn));
                for (k, (role_arn, via)) in p.own_slots() {
                    let at = own_at.get(k).copied().flatten();
                    let best = match at {
                        Some(at) => self.chain_best_at(t, at),
                        None => best_of(role_arn, None),
                    };
                    if let Some((d, len)) = best {
                        ranked.push((d, len, k, role_arn, *via, at));
                    }
                }
                drop(own_at);
                ranked.sort_by(order);
                let everyone = t.1.everyone_ranked.get_or_init(|| {
                    let mut v: Vec<(Decision, usize, usize)> = (0..self.everyone.len())
                        .filter_map(|j| {
                            let (d, len) = best_of(&self.everyone[j].0, Some(j))?;
                            Some((d, len, j))
                        })
                        .collect();
                    v.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
                    v
                });
                let mut everyone = everyone
                    .iter()
                    .filter_map(|&(d, len, j)| {
                        let k = p.everyone_slot(j)?;
                        let (arn, via) = &self.everyone[j];
                        Some((d, len, k, arn, *via, self.chain_everyone_at(&t.0, j)))
                    })
                    .peekable();
                let mut own = ranked.into_iter().peekable();
                Box::new(std::iter::from_fn(move || {
                    match (own.peek(), everyone.peek()) {
                        (Some(x), Some(y)) if order(x, y) == std::cmp::Ordering::Greater => {
                            everyone.next()
                        }
                        (Some(_), _) => own.next(),
                        (None, _) => everyone.next(),
                    }
                }))
            }
            _ => {
                let placed = match plan {
                    Some(p) => p.placed(&self.everyone).collect::<Vec<_>>(),
                    None => self.roles_placed(ns, name),
                };
                for (k, ((role_arn, via), place)) in placed.into_iter().enumerate() {
                    if let Some((d, len)) = best_of(role_arn, place) {
                        ranked.push((d, len, k, role_arn, *via, None));
                    }
                }
                ranked.sort_by(order);
                Box::new(ranked.into_iter())
            }
        };
        let mut best: Option<PathAnswer> = None;
        for (_, _, k, role_arn, via, at) in candidates {
            // The link's verdict and hop: kept in the plan across questions.
            let made = || {
                let (d, conds, evidence) = self.link_evidence(ns, name, role_arn, via);
                (d != Decision::No).then(|| {
                    let hop = Arc::new(Hop {
                        edge: "assumes",
                        from: r.node.clone(),
                        to: Node::IamRole {
                            arn: role_arn.clone(),
                        },
                        evidence,
                    });
                    Rc::new((d, conds, hop))
                })
            };
            let link = match plan.and_then(|p| p.verdicts.get(k)) {
                Some(cell) => cell.get_or_init(made).clone(),
                None => made(),
            };
            let Some(link) = link else {
                continue;
            };
            let (d, conds, hop) = &*link;
            let mut path = r.path.clone();
            path.push(Arc::clone(hop));
            let d = *d;
            let mut found = Vec::new();
            // The role's path, from the chaining table (its principal known).
            match (!direct)
                .then(|| self.chain_path_at(role_arn, a, at))
                .flatten()
            {
                Some(best) => {
                    if let Some(b) = best {
                        found.push(built_answer(&b, &path, d, conds, subject));
                    }
                }
                None => {
                    let mut ignored = Vec::new();
                    self.extend_with(
                        role_arn,
                        &path,
                        d,
                        conds,
                        a,
                        subject,
                        direct,
                        &mut found,
                        &mut ignored,
                    );
                }
            }
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
        prefix: &[Arc<Hop>],
        so_far: Decision,
        conds: &[String],
        a: &AwsAction,
        subject: &Node,
        direct: bool,
        out: &mut Vec<PathAnswer>,
        misses: &mut Vec<String>,
    ) {
        // who-can keeps one path: every principal's is solved at once.
        if self.best_only.get()
            && !direct
            && let Some(best) = self.chain_path(arn, a)
        {
            if let Some(b) = best {
                out.push(built_answer(&b, prefix, so_far, conds, subject));
            }
            return;
        }
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
        let q = self.begin_question(a);
        let key = (q, direct, self.best_only.get(), arn.to_ascii_lowercase());
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
        path: Path,
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
                if visited.contains(lower) {
                    continue;
                }
                // A role at the last depth only answers itself: when it may
                // not do it, it adds nothing (no path is built for it).
                if depth + 1 >= MAX_CHAIN
                    && let Some(s2) = self.permission_set(next)
                    && self.judge_memo(&s2, a, next, &self.principal_node(next)).0 == Decision::No
                {
                    continue;
                }
                visited.insert(lower.clone());
                let mut p = path.clone();
                p.push(Arc::new(Hop {
                    edge: "assumes",
                    from: from.clone(),
                    to: Node::IamRole { arn: next.clone() },
                    evidence: evidence.clone(),
                }));
                let mut cs = conds.clone();
                cs.extend(c2.iter().cloned());
                queue.push_back((next.clone(), p, so_far.min(*d2), cs, depth + 1));
            }
        }
    }
}

/// A path of the chaining table after `prefix` (decided `so_far`, with
/// `conds`), as `subject`'s answer.
fn built_answer(
    b: &super::chain::Built,
    prefix: &[Arc<Hop>],
    so_far: Decision,
    conds: &[String],
    subject: &Node,
) -> PathAnswer {
    let (d, c, hops) = b;
    let mut path = Vec::with_capacity(prefix.len() + hops.len());
    path.extend_from_slice(prefix);
    path.extend(hops.iter().cloned());
    let mut all = conds.to_vec();
    all.extend(c.iter().cloned());
    PathAnswer {
        subject: subject.clone(),
        decision: so_far.min(*d),
        conditions: all,
        path,
    }
}
