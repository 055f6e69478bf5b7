//! `who-can`: every subject, on both sides, that can; each with its shortest path.
//!
//! Complete by construction: every subject the inventory knows (users, groups and
//! service accounts bindings name, every service account and pod, every IAM role
//! and user of the account, every IAM principal aws-auth or an access entry maps)
//! is asked the same question as `can-i` would ask it, so the two cannot disagree.

use std::collections::BTreeSet;

use crate::audit::path::{Cap, Hop as Become, caps_of};
use crate::hashing::HashMap;

use crate::policy::rbac::Principal;

use super::action::Action;
use super::answer::{Answer, Decision, Node, Path, PathAnswer};
use super::can_i::echo_action;
use super::subject::AsSubject;
use super::{AccountPlan, Asker};

impl<'a> Asker<'a> {
    /// Every subject worth asking, in a fixed order.
    pub fn candidates(&self, include_system: bool) -> Vec<AsSubject> {
        let mut out: BTreeSet<AsSubject> = BTreeSet::new();
        let sa_hidden = |ns: &str, name: &str| -> bool {
            // Kubernetes' own controllers: accounts of kube-system that only
            // bootstrap bindings name.
            if include_system || ns != "kube-system" {
                return false;
            }
            let pairs = self
                .rbac
                .bindings_naming(&Principal::service_account(ns, name));
            !pairs.is_empty()
                && pairs
                    .iter()
                    .all(|(b, _)| self.inv.bindings[*b].is_bootstrap())
        };
        // system:masters holds everything whether or not a binding names it.
        if include_system {
            out.insert(AsSubject::Group {
                name: crate::policy::rbac::MASTERS.to_string(),
            });
        }
        for (p, _) in self.rbac.named_principals() {
            match p {
                Principal::User { name } => {
                    if include_system || !name.starts_with("system:") {
                        out.insert(AsSubject::User {
                            name,
                            groups: Vec::new(),
                        });
                    }
                }
                Principal::Group { name } => {
                    if include_system || !name.starts_with("system:") {
                        out.insert(AsSubject::Group { name });
                    }
                }
                Principal::ServiceAccount { namespace, name } => {
                    if !sa_hidden(&namespace, &name) {
                        out.insert(AsSubject::ServiceAccount { namespace, name });
                    }
                }
                Principal::Iam { .. } => {}
            }
        }
        for sa in &self.inv.service_accounts {
            if !sa_hidden(&sa.namespace, &sa.name) {
                out.insert(AsSubject::ServiceAccount {
                    namespace: sa.namespace.clone(),
                    name: sa.name.clone(),
                });
            }
        }
        for p in &self.inv.pods {
            if !sa_hidden(&p.namespace, &p.service_account) {
                out.insert(AsSubject::Pod {
                    namespace: p.namespace.clone(),
                    name: p.name.clone(),
                });
            }
        }
        for r in &self.inv.iam.roles {
            out.insert(AsSubject::IamRole {
                arn: r.arn.clone(),
                session: None,
            });
        }
        for u in &self.inv.iam.users {
            out.insert(AsSubject::IamUser { arn: u.arn.clone() });
        }
        for m in self.rbac.mappings() {
            let arn = m.arn.to_string();
            if arn.contains(":user/") {
                out.insert(AsSubject::IamUser { arn });
            } else if arn.contains(":role/") {
                // The inventory's spelling (with its path) when the role is known.
                let arn = self.role(&arn).map_or(arn, |r| r.arn.clone());
                out.insert(AsSubject::IamRole { arn, session: None });
            }
        }
        out.into_iter().collect()
    }

    /// Every subject that can, with its best decision and shortest path.
    ///
    /// The same walk as `can-i`, done once for everyone: every subject's and
    /// every service account's "become" capabilities (`caps_of`) form one graph
    /// (a capability on a whole namespace goes through one node for it, so a
    /// cluster-wide grant is one edge per namespace, not per account); every
    /// identity's own answer is computed once; then a shortest-path search from
    /// the identities that can, backwards, gives each subject its nearest one.
    /// `yes` answers are searched first, so a subject with a `yes` path is never
    /// reported `conditional` because a conditional path is shorter.
    pub fn who_can(&self, action: &Action, include_system: bool) -> Answer {
        let t = std::time::Instant::now();
        let w = self.who_graph(include_system);
        let (cands, starts, g, acting) = (&w.cands, &w.starts, &w.g, &w.acting);
        // Each identity's own answer, once.
        let mut own: Vec<Option<Own>> = (0..g.keys.len()).map(|_| None).collect();
        // Only an own answer's decision, conditions and path are used (each
        // subject that reaches it gets its own answer in `rebuild`): it is
        // made with an empty subject, which costs no copy.
        let nobody = Node::Group {
            name: String::new(),
        };
        self.best_only.set(true);
        let (mut answers, mut misses) = (Vec::new(), Vec::new());
        for id in 0..acting.len() {
            let Some((r, _)) = &acting[id] else { continue };
            let cleared;
            let start = if r.path.is_empty() {
                r
            } else {
                let mut c = r.clone();
                c.path.clear();
                cleared = c;
                &cleared
            };
            answers.clear();
            misses.clear();
            let plan = w.plans.get(id).and_then(Option::as_ref);
            self.answers_at(
                start,
                action,
                &nobody,
                false,
                &mut answers,
                &mut misses,
                plan,
            );
            answers.retain(|a| a.decision != Decision::No);
            answers.sort_by(|x, y| {
                y.decision
                    .cmp(&x.decision)
                    .then(x.path.len().cmp(&y.path.len()))
            });
            own[id] = answers.drain(..).next().map(|a| Own {
                decision: a.decision,
                conditions: a.conditions,
                path: a.path,
            });
        }
        self.best_only.set(false);
        tracing::debug!("who-can: own answers in {:?}", t.elapsed());
        // Yes first, then conditional, each a shortest-path search backwards
        // (each node's decision is the one of the search that reached it).
        let mut best: Vec<Option<(usize, usize, Option<usize>)>> = vec![None; g.keys.len()];
        let mut reached_by = vec![Decision::No; g.keys.len()];
        for want in [Decision::Yes, Decision::Conditional] {
            let dist = g.search(|id| {
                own[id]
                    .as_ref()
                    .filter(|a| a.decision == want)
                    .map(|a| a.path.len())
            });
            for (id, d) in dist.into_iter().enumerate() {
                if best[id].is_none()
                    && let Some(d) = d
                {
                    best[id] = Some(d);
                    reached_by[id] = want;
                }
            }
        }
        // By path length, decision, then name (each subject's place in name
        // order was made with the graph). The search gives each subject its
        // path's length and decision: the answers are made in that order.
        let mut order: Vec<(usize, std::cmp::Reverse<Decision>, u32, u32)> = cands
            .iter()
            .enumerate()
            .filter_map(|(i, _)| {
                let (dist, _, _) = best[starts[i]]?;
                let i32 = u32::try_from(i).unwrap_or(u32::MAX);
                Some((
                    dist,
                    std::cmp::Reverse(reached_by[starts[i]]),
                    w.rank[i],
                    i32,
                ))
            })
            .collect();
        order.sort_unstable();
        let mut answers = Vec::with_capacity(order.len());
        let mut ranks = Vec::with_capacity(order.len());
        let mut in_order = true;
        for &(dist, std::cmp::Reverse(decision), _, i) in &order {
            let i = i as usize;
            if let Some(a) = self.rebuild(&cands[i], i, starts[i], &w, &best, &own) {
                in_order &= a.path.len() == dist && a.decision == decision;
                answers.push(a);
                ranks.push(w.rank[i]);
            }
        }
        if !in_order {
            // A rebuilt path that is not as the search measured it (none
            // is known): sorted by what was made.
            tracing::debug!("who-can: a path differs from the search's measure, sorted again");
            let mut keys: Vec<_> = answers
                .iter()
                .zip(&ranks)
                .enumerate()
                .map(|(at, (a, rank))| {
                    let at = u32::try_from(at).unwrap_or(u32::MAX);
                    (a.path.len(), std::cmp::Reverse(a.decision), *rank, at)
                })
                .collect();
            keys.sort_unstable();
            let order: Vec<u32> = keys.into_iter().map(|k| k.3).collect();
            permute(&mut answers, &order);
        }
        Answer {
            query: echo_action("who-can", action, false),
            decision: Answer::decide(&answers),
            answers,
            misses: Vec::new(),
            paths_total: None,
            coverage: self.coverage(),
        }
    }

    /// who-can's graph of what every subject can become (built once per
    /// `include_system`: no action changes it).
    fn who_graph(&self, include_system: bool) -> std::rc::Rc<WhoGraph<'a>> {
        let slot = usize::from(include_system);
        if let Some(w) = &self.who_graph.borrow()[slot] {
            return std::rc::Rc::clone(w);
        }
        let t = std::time::Instant::now();
        let cands = self.candidates(include_system);
        tracing::debug!("who-can: {} candidates in {:?}", cands.len(), t.elapsed());
        let mut g = Graph::default();
        let starts = self.who_nodes(&cands, &mut g);
        let mut runs_as = Vec::new();
        let acting = self.who_identities(&cands, &starts, &mut g, &mut runs_as);
        tracing::debug!("who-can: identities read in {:?}", t.elapsed());
        // What each identity can become, which no action changes.
        let caps: Vec<Vec<Cap<'a>>> = acting
            .iter()
            .map(|slot| {
                slot.as_ref()
                    .map(|(r, rows)| caps_of(rows, &r.node.label()))
                    .unwrap_or_default()
            })
            .collect();
        self.become_edges(&acting, &caps, &mut g);
        self.namespace_edges(&mut g);
        let plans = acting
            .iter()
            .map(|slot| {
                let (r, _) = slot.as_ref()?;
                let (ns, name) = r.sa.as_ref()?;
                Some(self.account_plan(ns, name))
            })
            .collect();
        let subjects: Vec<Node> = cands.iter().map(|s| self.subject_node(s)).collect();
        // Each subject's place in name order (ties in candidate order).
        let mut order: Vec<(String, usize)> = subjects
            .iter()
            .enumerate()
            .map(|(i, n)| (n.sort_name(), i))
            .collect();
        order.sort_unstable();
        let mut rank = vec![0u32; cands.len()];
        for (place, (_, i)) in order.into_iter().enumerate() {
            rank[i] = u32::try_from(place).unwrap_or(u32::MAX);
        }
        tracing::debug!(
            "who-can: graph of {} nodes in {:?}",
            g.keys.len(),
            t.elapsed()
        );
        let w = std::rc::Rc::new(WhoGraph {
            cands,
            starts,
            g,
            acting,
            runs_as,
            plans,
            subjects,
            rank,
            caps,
        });
        self.who_graph.borrow_mut()[slot] = Some(std::rc::Rc::clone(&w));
        w
    }

    /// The graph's nodes: subjects first (their own node, returned in
    /// candidate order), then every service account.
    fn who_nodes(&self, cands: &[AsSubject], g: &mut Graph) -> Vec<usize> {
        let mut starts: Vec<usize> = Vec::new();
        for s in cands {
            let key = match s {
                AsSubject::ServiceAccount { namespace, name } => {
                    Key::Sa(namespace.clone(), name.clone())
                }
                other => Key::Subject(other.clone()),
            };
            let id = g.node(key);
            starts.push(id);
        }
        for (ns, names) in &self.sas {
            for n in names {
                g.node(Key::Sa(ns.clone(), n.clone()));
            }
        }
        starts
    }

    /// The identity each node acts as, and its grants; a pod instead gets a
    /// `runs-as` edge to its account.
    fn who_identities(
        &self,
        cands: &[AsSubject],
        starts: &[usize],
        g: &mut Graph,
        runs_as: &mut Vec<Option<std::sync::Arc<super::answer::Hop>>>,
    ) -> Acting<'a> {
        let mut acting: Acting<'a> = (0..g.keys.len()).map(|_| None).collect();
        for (i, s) in cands.iter().enumerate() {
            if let AsSubject::Pod { namespace, name } = s {
                // A pod is its account, one `runs-as` hop away.
                if let Some(pod) = self.pod(namespace, name) {
                    let sa = &pod.service_account;
                    let to = g.node(Key::Sa(namespace.clone(), sa.clone()));
                    let from = starts[i];
                    g.edge(from, to, 1, None);
                    if runs_as.len() <= from {
                        runs_as.resize(from + 1, None);
                    }
                    runs_as[from] = Some(super::can_i::runs_as(namespace, name, sa));
                }
                continue;
            }
            if let Ok((r, rows)) = self.start(s) {
                let id = starts[i];
                acting[id] = Some((r, rows));
            }
        }
        for id in 0..g.keys.len() {
            if acting.get(id).is_some_and(Option::is_some) {
                continue;
            }
            if let Key::Sa(ns, n) = &g.keys[id] {
                let s = AsSubject::ServiceAccount {
                    namespace: ns.clone(),
                    name: n.clone(),
                };
                if let Ok(x) = self.start(&s) {
                    if acting.len() <= id {
                        acting.resize_with(id + 1, || None);
                    }
                    acting[id] = Some(x);
                }
            }
        }
        acting
    }

    /// Become edges: what each identity's grants let it become, through a
    /// namespace's node for a capability on a whole namespace.
    fn become_edges(&self, acting: &Acting<'a>, caps: &[Vec<Cap<'a>>], g: &mut Graph) {
        for (id, slot) in acting.iter().enumerate() {
            let Some((r, _)) = slot else {
                continue;
            };
            for cap in &caps[id] {
                // The member-of / maps-to / access-policy hops count too.
                let pre = self.via_hops(r, &cap.grant).0.len();
                for ns in self.cap_namespaces(cap.scope) {
                    match (cap.hop, &cap.names) {
                        (Become::RunPods | Become::CreateSecret, _) | (Become::MintToken, None) => {
                            let all = g.node(Key::AllOf(ns.clone()));
                            g.edge(id, all, 1 + pre, None);
                        }
                        (Become::MintToken, Some(names)) => {
                            for n in names {
                                if self.sas.get(&ns).is_some_and(|v| v.contains(n)) {
                                    let to = g.node(Key::Sa(ns.clone(), n.clone()));
                                    g.edge(id, to, 1 + pre, None);
                                }
                            }
                        }
                        (Become::Exec, None) => {
                            let ex = g.node(Key::ExecIn(ns.clone()));
                            g.edge(id, ex, 2 + pre, None);
                        }
                        (Become::Exec, Some(pods)) => {
                            for (pod, sa) in self.pods.get(&ns).map(Vec::as_slice).unwrap_or(&[]) {
                                if pods.contains(pod) {
                                    let to = g.node(Key::Sa(ns.clone(), sa.clone()));
                                    g.edge(id, to, 2 + pre, None);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The namespace nodes lead to their accounts at no cost.
    fn namespace_edges(&self, g: &mut Graph) {
        for id in 0..g.keys.len() {
            match g.keys[id].clone() {
                Key::AllOf(ns) => {
                    for n in self.sas.get(&ns).cloned().unwrap_or_default() {
                        let to = g.node(Key::Sa(ns.clone(), n));
                        g.edge(id, to, 0, None);
                    }
                }
                Key::ExecIn(ns) => {
                    let mut running: Vec<String> = self
                        .pods
                        .get(&ns)
                        .map(|v| v.iter().map(|(_, sa)| sa.clone()).collect())
                        .unwrap_or_default();
                    running.sort();
                    running.dedup();
                    for sa in running {
                        let to = g.node(Key::Sa(ns.clone(), sa));
                        g.edge(id, to, 0, None);
                    }
                }
                _ => {}
            }
        }
    }

    fn cap_namespaces(&self, scope: crate::policy::rbac::Scope) -> Vec<String> {
        let mut v: Vec<String> = match scope {
            crate::policy::rbac::Scope::Cluster => {
                self.sas.keys().chain(self.pods.keys()).cloned().collect()
            }
            crate::policy::rbac::Scope::Namespace(ns) => vec![ns.to_string()],
        };
        v.sort();
        v.dedup();
        v
    }

    /// A subject's path: its hops along the search's choices, each made again
    /// with `can-i`'s own hop builders, then the identity's own answer.
    #[allow(clippy::type_complexity)]
    fn rebuild(
        &self,
        s: &AsSubject,
        i: usize,
        id: usize,
        w: &WhoGraph<'a>,
        best: &[Option<(usize, usize, Option<usize>)>],
        own: &[Option<Own>],
    ) -> Option<PathAnswer> {
        let (g, acting) = (&w.g, &w.acting);
        let subject = w.subjects[i].clone();
        // The search's distance is the path's length in hops.
        let mut path: Path = Vec::with_capacity(best[id]?.0);
        let mut cur = id;
        // A pod: its runs-as hop, then its account.
        if let AsSubject::Pod { .. } = s {
            path.push(std::sync::Arc::clone(w.runs_as.get(id)?.as_ref()?));
            cur = best[id]?.2?;
        }
        let mut guard = 0;
        loop {
            guard += 1;
            if guard > g.keys.len() + 2 {
                return None;
            }
            let (_, _, next) = best[cur]?;
            let Some(next) = next else {
                // The identity here answers itself.
                let a = own[cur].as_ref()?;
                path.extend(a.path.iter().cloned());
                return Some(PathAnswer {
                    subject,
                    decision: a.decision,
                    conditions: a.conditions.clone(),
                    path,
                });
            };
            // The real next identity (past a namespace node).
            let (target, _) = match &g.keys[next] {
                Key::AllOf(_) | Key::ExecIn(_) => {
                    let t = best[next]?.2?;
                    (t, next)
                }
                _ => (next, next),
            };
            let Key::Sa(tns, tname) = &g.keys[target] else {
                return None;
            };
            let (r, _) = acting.get(cur)?.as_ref()?;
            let mut here = r.clone();
            here.path.clear();
            let mut found = None;
            for cap in w.caps.get(cur)? {
                let (pre, holder) = self.via_hops(&here, &cap.grant);
                if let Some(hops) = self.target_hops(&holder, cap, tns, tname) {
                    let mut h = pre;
                    h.extend(hops);
                    if found.as_ref().is_none_or(|f: &Path| h.len() < f.len()) {
                        found = Some(h);
                    }
                }
            }
            path.extend(found?);
            cur = target;
        }
    }
}

/// An identity's own best answer: its decision, conditions and path.
struct Own {
    decision: Decision,
    conditions: Vec<String>,
    path: Path,
}

/// Reorders `v` so that its element `k` is the one at `order[k]` before
/// (`order` a permutation of its places), moving each element once.
fn permute<T>(v: &mut [T], order: &[u32]) {
    let mut done = vec![false; v.len()];
    for start in 0..v.len() {
        if done[start] {
            continue;
        }
        let mut k = start;
        loop {
            done[k] = true;
            let from = order[k] as usize;
            if from == start {
                break;
            }
            v.swap(k, from);
            k = from;
        }
    }
}

/// Who-can's graph, the candidates and the identity each node acts as.
pub(crate) struct WhoGraph<'a> {
    cands: Vec<AsSubject>,
    starts: Vec<usize>,
    g: Graph,
    /// A pod's node → its `runs-as` hop.
    runs_as: Vec<Option<std::sync::Arc<super::answer::Hop>>>,
    acting: Acting<'a>,
    /// Each account's role links (by node), kept across questions.
    plans: Vec<Option<AccountPlan>>,
    /// Each candidate's node and place in name order.
    subjects: Vec<Node>,
    rank: Vec<u32>,
    /// What each identity (by node) can become.
    caps: Vec<Vec<Cap<'a>>>,
}

/// For each node of who-can's graph, the identity it acts as and its grants.
type Acting<'a> = Vec<Option<(super::can_i::Reached, Vec<crate::policy::rbac::Grant<'a>>)>>;

/// A node of who-can's graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Subject(AsSubject),
    Sa(String, String),
    /// Every account of a namespace (run pods, mint tokens, token Secrets).
    AllOf(String),
    /// The accounts the pods of a namespace run as (exec).
    ExecIn(String),
}

#[derive(Default)]
struct Graph {
    keys: Vec<Key>,
    index: HashMap<Key, usize>,
    /// Reversed edges: to → (from, weight).
    back: Vec<Vec<(usize, usize)>>,
}

impl Graph {
    fn node(&mut self, k: Key) -> usize {
        if let Some(&i) = self.index.get(&k) {
            return i;
        }
        self.keys.push(k.clone());
        self.back.push(Vec::new());
        self.index.insert(k, self.keys.len() - 1);
        self.keys.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize, w: usize, _why: Option<()>) {
        self.back[to].push((from, w));
    }

    /// Multi-source Dijkstra on the reversed edges: for each node, the
    /// distance to the nearest identity that answers itself (`own` gives its
    /// path length), with the next node on the way (`None`: it answers itself).
    #[allow(clippy::type_complexity)]
    fn search(
        &self,
        own: impl Fn(usize) -> Option<usize>,
    ) -> Vec<Option<(usize, usize, Option<usize>)>> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let n = self.keys.len();
        let mut best: Vec<Option<(usize, usize, Option<usize>)>> = vec![None; n];
        let mut heap = BinaryHeap::new();
        for (id, slot) in best.iter_mut().enumerate() {
            if let Some(d) = own(id) {
                *slot = Some((d, id, None));
                heap.push(Reverse((d, id)));
            }
        }
        while let Some(Reverse((d, v))) = heap.pop() {
            if best[v].is_some_and(|b| b.0 < d) {
                continue;
            }
            for &(u, w) in &self.back[v] {
                let nd = d + w;
                if best[u].is_none_or(|b| nd < b.0) {
                    best[u] = Some((nd, u, Some(v)));
                    heap.push(Reverse((nd, u)));
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn permute_moves_each_element_to_its_place() {
        // Every permutation of five places, as a sort by key would give it.
        let mut order: Vec<u32> = (0..5).collect();
        let mut seen = 0;
        loop {
            let mut v: Vec<String> = (0..5).map(|i| format!("e{i}")).collect();
            permute(&mut v, &order);
            let want: Vec<String> = order.iter().map(|i| format!("e{i}")).collect();
            assert_eq!(v, want, "{order:?}");
            seen += 1;
            // Next permutation (lexicographic).
            let Some(i) = (0..4).rev().find(|&i| order[i] < order[i + 1]) else {
                break;
            };
            let j = (i + 1..5).rev().find(|&j| order[j] > order[i]).expect("j");
            order.swap(i, j);
            order[i + 1..].reverse();
        }
        assert_eq!(seen, 120);
    }
}
