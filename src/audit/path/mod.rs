//! PATH-001: a Kubernetes subject without an IAM role of its own that can
//! obtain one, by running a pod, minting a token or exec-ing into a pod as a
//! service account that has one, directly or through further hops.
//!
//! Breadth-first search over "who can I become": nodes are "any service account
//! of namespace N" (create pods / workloads / Secrets, unrestricted TokenRequest)
//! and single service accounts (TokenRequest with resourceNames, exec/attach
//! into the pods that run as them). Each node is expanded once, with the union
//! of what its accounts may do, so the first time a role is reached is along a
//! shortest path.
//!
//! Tests in `tests.rs`. Rules read the graph and the RBAC engine; they never
//! read sources or draw (ARCHITECTURE.md).

use super::rbac::{IamSas, POD_OWNERS, binding_subject, members_evidence, subject_of, via_name};
use super::{Context, Finding, Severity, Subject};
use crate::hashing::{HashMap, HashSet};
use crate::policy::rbac::{Grant, Name, Principal, RbacEngine, Request, Scope};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

#[cfg(test)]
mod tests;

/// How a subject becomes another service account (shared with `crate::query`,
/// so that the questions and PATH-001 mean the same by "become").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hop {
    RunPods,
    MintToken,
    CreateSecret,
    Exec,
}

impl Hop {
    pub fn verb_phrase(self) -> &'static str {
        match self {
            Hop::RunPods => "create or change pods/workloads",
            Hop::MintToken => "create serviceaccounts/token",
            Hop::CreateSecret => "create a service-account-token Secret",
            Hop::Exec => "exec/attach into pods",
        }
    }
}

/// Something a subject may do that lets it act as other service accounts.
#[derive(Debug, Clone)]
pub struct Cap<'a> {
    pub hop: Hop,
    pub scope: Scope<'a>,
    /// resourceNames of the rule (service accounts for tokens, pods for exec).
    pub names: Option<Vec<String>>,
    pub grant: Grant<'a>,
    /// Who holds it (the subject the binding names, or the account the node stands for).
    pub holder: String,
}

/// What of these grants lets their holder act as other service accounts.
pub fn caps_of<'a>(rows: &[Grant<'a>], holder: &str) -> Vec<Cap<'a>> {
    let mut out = Vec::new();
    for g in rows {
        let ns = match g.scope {
            Scope::Namespace(ns) => Some(ns),
            Scope::Cluster => None,
        };
        let test = |verb: &str, group: &str, res: &str, name: Name| {
            let mut r = Request::new(verb, group, res);
            r.namespace = ns;
            r.name = name;
            g.allows(&r)
        };
        let names = || {
            g.rule()
                .filter(|r| !r.resource_names.is_empty())
                .map(|r| r.resource_names.clone())
        };
        let mut push = |hop: Hop, names: Option<Vec<String>>| {
            out.push(Cap {
                hop,
                scope: g.scope,
                names,
                grant: g.clone(),
                holder: holder.to_string(),
            })
        };
        let run = POD_OWNERS.iter().any(|(group, res)| {
            test("create", group, res, Name::None)
                || test("update", group, res, Name::Any)
                || test("patch", group, res, Name::Any)
        });
        if run {
            push(Hop::RunPods, None);
        }
        if test("create", "", "serviceaccounts/token", Name::Any) {
            push(Hop::MintToken, names());
        }
        if test("create", "", "secrets", Name::None) {
            push(Hop::CreateSecret, None);
        }
        let exec = test("create", "", "pods/exec", Name::Any)
            || test("create", "", "pods/attach", Name::Any)
            || test("patch", "", "pods/ephemeralcontainers", Name::Any)
            || test("update", "", "pods/ephemeralcontainers", Name::Any);
        if exec {
            push(Hop::Exec, names());
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Node {
    /// Any service account of a namespace.
    AnySa(String),
    Sa(String, String),
}

impl Node {
    fn label(&self) -> String {
        match self {
            Node::AnySa(ns) => format!("any service account of namespace {ns}"),
            Node::Sa(ns, n) => format!("ServiceAccount {ns}/{n}"),
        }
    }
}

/// The cluster facts the search needs, computed once.
struct World<'a, 'e> {
    engine: &'e RbacEngine<'a>,
    iam: &'e IamSas,
    /// Service accounts per namespace.
    sas: &'e BTreeMap<&'a str, Vec<&'a str>>,
    /// Service accounts that pods (or workload templates) run as, per namespace.
    running: &'e BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// Pod name → its service account, per namespace.
    pods: &'e HashMap<(&'a str, &'a str), &'a str>,
    /// What a service account (or any of a namespace) can do, as found so far
    /// by this thread's searches.
    caps: HashMap<Node, Rc<[Cap<'a>]>>,
    /// Node roles a new pod obtains through IMDS (the `node-role` hop).
    node_roles: &'e NodeRoles,
}

/// A node role a new pod can obtain, and how.
#[derive(Debug, Clone)]
pub struct NodeRole {
    pub arn: String,
    /// Only with `hostNetwork: true` (IMDSv2 with hop limit 1 stops other pods).
    pub host_network: bool,
    /// `node group ng (eks-nodegroup): IMDSv1 allowed …`.
    pub how: String,
}

/// The node roles of the cluster that pods reach, and which namespaces admit
/// host-network pods (Pod Security admission).
#[derive(Debug, Default)]
pub struct NodeRoles {
    pub roles: Vec<NodeRole>,
    /// Per namespace: whether Pod Security admission allows hostNetwork, and why.
    pub psa: BTreeMap<String, (bool, String)>,
}

impl NodeRoles {
    /// From the node join (`graph::imds`): roles any pod reaches, then those
    /// only host-network pods reach.
    pub fn build(ctx: &Context) -> NodeRoles {
        NodeRoles::of(ctx.graph, ctx.inv)
    }

    /// [`NodeRoles::build`] from the graph and inventory (for the questions too).
    pub fn of(graph: &crate::graph::Graph, inv: &crate::model::Inventory) -> NodeRoles {
        let reach = graph.node_reach();
        let mut out = NodeRoles::default();
        let any = reach.roles_for_new_pod(false);
        let describe = |n: &crate::graph::imds::NodeAccess| {
            format!(
                "node group {} ({}): {}",
                n.group.name,
                n.group.source,
                n.imds.describe()
            )
        };
        for n in &any {
            if let Some(arn) = &n.role {
                out.roles.push(NodeRole {
                    arn: arn.clone(),
                    host_network: false,
                    how: describe(n),
                });
            }
        }
        for n in reach.roles_for_new_pod(true) {
            if let Some(arn) = &n.role
                && !out.roles.iter().any(|r| r.arn.eq_ignore_ascii_case(arn))
            {
                out.roles.push(NodeRole {
                    arn: arn.clone(),
                    host_network: true,
                    how: describe(n),
                });
            }
        }
        if out.roles.iter().any(|r| r.host_network) {
            for ns in &inv.namespaces {
                out.psa.insert(
                    ns.name.clone(),
                    crate::graph::imds::psa_allows_host_network(inv, &ns.name),
                );
            }
        }
        out
    }

    /// Node roles a pod created in `ns` obtains: with the Pod Security reason
    /// when it needs `hostNetwork: true`.
    pub fn for_namespace<'s>(&'s self, ns: &str) -> Vec<(&'s NodeRole, Option<&'s str>)> {
        let psa = self.psa.get(ns);
        self.roles
            .iter()
            .filter_map(|r| {
                if !r.host_network {
                    return Some((r, None));
                }
                match psa {
                    Some((true, why)) => Some((r, Some(why.as_str()))),
                    _ => None,
                }
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
    }
}

impl<'a, 'e> World<'a, 'e> {
    fn namespaces(&self, scope: Scope) -> Vec<&'a str> {
        match scope {
            Scope::Cluster => self.sas.keys().copied().collect(),
            Scope::Namespace(ns) => self
                .sas
                .get_key_value(ns)
                .map(|(k, _)| vec![*k])
                .unwrap_or_default(),
        }
    }

    fn sa_exists(&self, ns: &str, name: &str) -> bool {
        self.sas.get(ns).is_some_and(|v| v.contains(&name))
    }

    /// What the accounts of a node may do (with group grants), cached.
    fn node_caps(&mut self, node: &Node) -> Rc<[Cap<'a>]> {
        if let Some(c) = self.caps.get(node) {
            return Rc::clone(c);
        }
        let engine = self.engine;
        let caps = match node {
            Node::Sa(ns, n) => {
                let p = Principal::service_account(ns, n);
                let rows = engine.rows(&engine.bindings_of(&engine.identity(&p)));
                caps_of(&rows, &p.label())
            }
            Node::AnySa(ns) => {
                let names = self.sas.get(ns.as_str()).cloned().unwrap_or_default();
                let mut caps = Vec::new();
                let mut seen: HashSet<usize> = HashSet::default();
                // Bindings naming one account, then the groups all of them share.
                for n in &names {
                    let p = Principal::service_account(ns, n);
                    let direct: Vec<(usize, usize)> = engine
                        .bindings_naming(&p)
                        .iter()
                        .copied()
                        .filter(|(b, _)| seen.insert(*b))
                        .collect();
                    caps.extend(caps_of(&engine.rows(&direct), &p.label()));
                }
                if let Some(first) = names.first() {
                    let groups = [
                        "system:serviceaccounts".to_string(),
                        format!("system:serviceaccounts:{ns}"),
                        "system:authenticated".to_string(),
                    ];
                    for g in groups {
                        let pairs: Vec<(usize, usize)> = engine
                            .bindings_naming(&Principal::group(&g))
                            .iter()
                            .copied()
                            .filter(|(b, _)| seen.insert(*b))
                            .collect();
                        let holder = format!("ServiceAccount {ns}/{first} (in group {g})");
                        caps.extend(caps_of(&engine.rows(&pairs), &holder));
                    }
                }
                caps
            }
        };
        let caps: Rc<[Cap<'a>]> = caps.into();
        self.caps.insert(node.clone(), Rc::clone(&caps));
        caps
    }

    /// The nodes a capability leads to.
    fn targets(&self, cap: &Cap) -> Vec<Node> {
        let mut out = Vec::new();
        for ns in self.namespaces(cap.scope) {
            match (cap.hop, &cap.names) {
                (Hop::RunPods | Hop::CreateSecret, _) | (Hop::MintToken, None) => {
                    out.push(Node::AnySa(ns.to_string()));
                }
                (Hop::MintToken, Some(names)) => {
                    for n in names {
                        if self.sa_exists(ns, n) {
                            out.push(Node::Sa(ns.to_string(), n.clone()));
                        }
                    }
                }
                (Hop::Exec, None) => {
                    for sa in self.running.get(ns).into_iter().flatten() {
                        out.push(Node::Sa(ns.to_string(), sa.to_string()));
                    }
                }
                (Hop::Exec, Some(pods)) => {
                    for pod in pods {
                        if let Some(sa) = self.pods.get(&(ns, pod.as_str())) {
                            out.push(Node::Sa(ns.to_string(), sa.to_string()));
                        }
                    }
                }
            }
        }
        out
    }

    /// Roles held at a node: (namespace, service account).
    fn roles_at(&self, node: &Node) -> Vec<(String, String)> {
        match node {
            Node::AnySa(ns) => self
                .iam
                .in_ns(ns)
                .iter()
                .map(|n| (ns.clone(), n.clone()))
                .collect(),
            Node::Sa(ns, n) => {
                if !self.iam.has_role(ns, n) {
                    Vec::new()
                } else {
                    vec![(ns.clone(), n.clone())]
                }
            }
        }
    }
}

/// A step of a path: how the previous node gets to this one.
#[derive(Debug, Clone)]
struct Step<'a> {
    prev: Option<Node>,
    /// The capability that makes the step (its text is written only for the
    /// steps of the path reported: a search visits every account it can reach).
    caps: Rc<[Cap<'a>]>,
    cap: usize,
}

fn step_text(cap: &Cap, to: &Node) -> String {
    let how = match cap.hop {
        Hop::RunPods => "run a pod as",
        Hop::MintToken => "mint a token for",
        Hop::CreateSecret => "create a token Secret for",
        Hop::Exec => "exec into a pod running as",
    };
    format!(
        "{} can {} [{}] and so {how} {}: {}",
        cap.holder,
        cap.hop.verb_phrase(),
        cap.scope,
        to.label(),
        cap.grant.describe()
    )
}

pub fn check(ctx: &Context, prior: &[Finding], out: &mut Vec<Finding>) {
    if let Some(p) = prepare(ctx) {
        finish(p, prior, out);
    }
}

/// What PATH reads that does not depend on the IAM findings, so that it can be
/// built while the IAM family runs.
pub struct Prepared<'a> {
    iam: IamSas,
    node_roles: NodeRoles,
    engine: RbacEngine<'a>,
    sas: BTreeMap<&'a str, Vec<&'a str>>,
    running: BTreeMap<&'a str, BTreeSet<&'a str>>,
    pods: HashMap<(&'a str, &'a str), &'a str>,
}

/// `None` when no service account has a working IAM role: nothing to reach.
pub fn prepare<'a>(ctx: &Context<'a>) -> Option<Prepared<'a>> {
    let iam = IamSas::build(ctx);
    let node_roles = NodeRoles::build(ctx);
    if iam.is_empty() && node_roles.is_empty() {
        return None;
    }
    let inv = ctx.inv;
    let engine = RbacEngine::build(inv, ctx.opts.include_system);
    let mut sas: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for sa in &inv.service_accounts {
        sas.entry(sa.namespace.as_str())
            .or_default()
            .push(sa.name.as_str());
    }
    let mut running: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut pods = HashMap::default();
    for p in &inv.pods {
        running
            .entry(p.namespace.as_str())
            .or_default()
            .insert(p.service_account.as_str());
        pods.insert(
            (p.namespace.as_str(), p.name.as_str()),
            p.service_account.as_str(),
        );
    }
    for w in &inv.workloads {
        running
            .entry(w.namespace.as_str())
            .or_default()
            .insert(w.service_account.as_str());
    }
    Some(Prepared {
        iam,
        node_roles,
        engine,
        sas,
        running,
        pods,
    })
}

/// PATH-001, given what [`prepare`] built and the IAM findings (`prior`).
pub fn finish(p: Prepared, prior: &[Finding], out: &mut Vec<Finding>) {
    finish_with(p, &worst_of(prior), out);
}

/// The worst IAM finding per role ARN (lowercase), all PATH reads of them.
pub type Worst = HashMap<String, (Severity, &'static str)>;

pub fn worst_of(prior: &[Finding]) -> Worst {
    let mut worst: Worst = HashMap::default();
    for f in prior {
        if let Subject::IamRole { arn } = &f.subject
            && f.rule.starts_with("IAM-")
        {
            let e = worst
                .entry(arn.to_ascii_lowercase())
                .or_insert((f.severity, f.rule));
            if f.severity > e.0 {
                *e = (f.severity, f.rule);
            }
        }
    }
    worst
}

/// PATH-001, given what [`prepare`] built and the IAM findings' [`worst_of`].
pub fn finish_with(p: Prepared, worst: &Worst, out: &mut Vec<Finding>) {
    let Prepared {
        iam,
        node_roles,
        engine,
        sas,
        running,
        pods,
    } = p;
    let world = |caps| World {
        engine: &engine,
        iam: &iam,
        sas: &sas,
        running: &running,
        pods: &pods,
        caps,
        node_roles: &node_roles,
    };

    // The worst severity any reachable role could have: a search stops there.
    let ceiling = iam
        .all_roles()
        .chain(node_roles.roles.iter().map(|r| r.arn.as_str()))
        .map(|arn| role_severity(worst, arn))
        .max()
        .unwrap_or(Severity::Medium);
    let subjects: Vec<(Principal, Vec<(usize, usize)>)> = engine
        .named_principals()
        .into_iter()
        .filter(|(principal, _)| match principal {
            // It has a role of its own.
            Principal::ServiceAccount { namespace, name } => !iam.has_role(namespace, name),
            _ => true,
        })
        .collect();
    // Subjects are searched on every core, each thread with its own memo.
    let found = crate::par::shares(&subjects, PATH_MIN_SUBJECTS_PER_THREAD, |_, part| {
        let mut world = world(HashMap::default());
        part.iter()
            .filter_map(|(principal, pairs)| {
                let start_caps = caps_of(&engine.rows(pairs), &principal.label());
                if start_caps.is_empty() {
                    return None;
                }
                search(&mut world, principal, start_caps, worst, ceiling)
            })
            .collect::<Vec<_>>()
    });
    out.extend(found.into_iter().flatten());
}

/// Below this many subjects a thread of its own costs more than it saves.
const PATH_MIN_SUBJECTS_PER_THREAD: usize = 256;

/// A reached role's severity: its worst IAM finding's, at least medium.
fn role_severity(worst: &HashMap<String, (Severity, &'static str)>, arn: &str) -> Severity {
    worst
        .get(&arn.to_ascii_lowercase())
        .map(|w| w.0)
        .unwrap_or(Severity::Medium)
        .max(Severity::Medium)
}

/// What a search found: how each node was reached, each service account
/// reached with the node where and the depth, and each node role reached.
struct Reach<'a> {
    steps: HashMap<Node, Step<'a>>,
    /// (ns, sa) → (node where reached, depth)
    reached: BTreeMap<(String, String), (Node, usize)>,
    /// node role (lowercase ARN) → (namespace node where a pod is run, depth)
    node_reached: BTreeMap<String, (Node, usize)>,
}

/// Breadth-first search from one subject's capabilities, up to the first depth
/// where a role of the ceiling's severity is reached.
fn explore<'a>(
    world: &mut World<'a, '_>,
    start_caps: Vec<Cap<'a>>,
    worst: &HashMap<String, (Severity, &'static str)>,
    ceiling: Severity,
) -> Reach<'a> {
    let mut steps: HashMap<Node, Step<'a>> = HashMap::default();
    let mut queue: VecDeque<Node> = VecDeque::new();
    // (ns, sa) → (node where reached, depth)
    let mut reached: BTreeMap<(String, String), (Node, usize)> = BTreeMap::new();
    let mut depth: HashMap<Node, usize> = HashMap::default();
    // node role (lowercase ARN) → (namespace node where a pod is run, depth)
    let mut node_reached: BTreeMap<String, (Node, usize)> = BTreeMap::new();

    let expand = |world: &World<'a, '_>,
                  from: Option<&Node>,
                  caps: &Rc<[Cap<'a>]>,
                  d: usize,
                  steps: &mut HashMap<Node, Step<'a>>,
                  queue: &mut VecDeque<Node>,
                  depth: &mut HashMap<Node, usize>| {
        for (ci, cap) in caps.iter().enumerate() {
            for t in world.targets(cap) {
                if steps.contains_key(&t) {
                    continue;
                }
                // A single account is already covered when its whole namespace is.
                if let Node::Sa(ns, _) = &t
                    && steps.contains_key(&Node::AnySa(ns.clone()))
                {
                    continue;
                }
                steps.insert(
                    t.clone(),
                    Step {
                        prev: from.cloned(),
                        caps: Rc::clone(caps),
                        cap: ci,
                    },
                );
                depth.insert(t.clone(), d + 1);
                queue.push_back(t);
            }
        }
    };
    let start_caps: Rc<[Cap<'a>]> = start_caps.into();
    expand(
        world,
        None,
        &start_caps,
        0,
        &mut steps,
        &mut queue,
        &mut depth,
    );
    while let Some(node) = queue.pop_front() {
        let d = depth.get(&node).copied().unwrap_or(0);
        let mut top = false;
        for key in world.roles_at(&node) {
            top |= world
                .iam
                .roles_of(&key.0, &key.1)
                .any(|(arn, _)| role_severity(worst, arn) >= ceiling);
            reached.entry(key).or_insert((node.clone(), d));
        }
        // The `node-role` hop: whoever runs a pod in a namespace gets the node
        // roles that pods reach through IMDS there.
        if let Node::AnySa(ns) = &node
            && steps
                .get(&node)
                .is_some_and(|s| s.caps[s.cap].hop == Hop::RunPods)
        {
            for (r, _) in world.node_roles.for_namespace(ns) {
                top |= role_severity(worst, &r.arn) >= ceiling;
                node_reached
                    .entry(r.arn.to_ascii_lowercase())
                    .or_insert((node.clone(), d));
            }
        }
        if top {
            // Nothing further can be worse, and BFS order makes this path a shortest one.
            break;
        }
        let caps = world.node_caps(&node);
        expand(
            world,
            Some(&node),
            &caps,
            d,
            &mut steps,
            &mut queue,
            &mut depth,
        );
    }
    Reach {
        steps,
        reached,
        node_reached,
    }
}

/// The other (role, account) pairs reached besides `arn`, as one bounded line
/// of evidence; `None` when there are none.
fn others_reached(
    world: &World,
    reached: &BTreeMap<(String, String), (Node, usize)>,
    worst: &HashMap<String, (Severity, &'static str)>,
    arn: &str,
) -> Option<String> {
    // The other (role, account) pairs reached, worst and nearest first: counted,
    // and the first few kept in a bounded buffer rather than sorting them all
    // (each pair is distinct: accounts are reached once, their roles listed once).
    const SHOWN: usize = 8;
    type Other<'r> = (
        std::cmp::Reverse<Severity>,
        usize,
        &'r str,
        usize,
        &'r str,
        &'r str,
    );
    let mut n = 0usize;
    let mut first: Vec<Other> = Vec::new();
    let mut seq = 0usize;
    for ((ns, sa), (_, d)) in reached {
        for (a, _) in world.iam.roles_of(ns, sa) {
            seq += 1;
            if *a == arn {
                continue;
            }
            n += 1;
            first.push((
                std::cmp::Reverse(role_severity(worst, a)),
                *d,
                a.as_str(),
                seq,
                ns.as_str(),
                sa.as_str(),
            ));
            if first.len() > 32 * SHOWN {
                first.sort_unstable();
                first.truncate(SHOWN);
            }
        }
    }
    first.sort_unstable();
    first.truncate(SHOWN);
    if n == 0 {
        return None;
    }
    let shown: Vec<String> = first
        .iter()
        .map(|(sev, _, a, _, ns, sa)| format!("{a} via ServiceAccount {ns}/{sa} ({})", sev.0))
        .collect();
    Some(format!(
        "other roles reached on the way ({n}): {}{}",
        shown.join("; "),
        if n > SHOWN { " …" } else { "" }
    ))
}

/// Breadth-first search from one subject; the finding for the worst role reached.
fn search<'a>(
    world: &mut World<'a, '_>,
    principal: &Principal,
    start_caps: Vec<Cap<'a>>,
    worst: &HashMap<String, (Severity, &'static str)>,
    ceiling: Severity,
) -> Option<Finding> {
    let Reach {
        steps,
        reached,
        node_reached,
    } = explore(world, start_caps, worst, ceiling);
    // The worst node role reached (then the nearest), when any.
    let node_best = node_reached
        .iter()
        .filter_map(|(key, (node, d))| {
            let r = world
                .node_roles
                .roles
                .iter()
                .find(|r| r.arn.eq_ignore_ascii_case(key))?;
            Some((role_severity(worst, &r.arn), *d, r, node))
        })
        .min_by(|a, b| {
            (std::cmp::Reverse(a.0), a.1, &a.2.arn).cmp(&(std::cmp::Reverse(b.0), b.1, &b.2.arn))
        });
    if reached.is_empty() && node_best.is_none() {
        return None;
    }

    // Every role reached, with its severity; the worst (then the nearest) is the finding's.
    // One pass keeping the best: a subject that can run pods everywhere reaches
    // every account, and broad trusts give each of them dozens of roles.
    let mut best: Option<(Severity, usize, &str, &str, &str, &Node)> = None;
    for ((ns, sa), (node, d)) in &reached {
        for (arn, _) in world.iam.roles_of(ns, sa) {
            let sev = role_severity(worst, arn);
            let better = best.is_none_or(|(bs, bd, barn, ..)| {
                (std::cmp::Reverse(sev), *d, arn.as_str()) < (std::cmp::Reverse(bs), bd, barn)
            });
            if better {
                best = Some((sev, *d, arn, ns, sa, node));
            }
        }
    }
    // A node role is the finding's when it is worse than every service
    // account's role (on a tie, the service account's path is kept).
    if let Some((nsev, _, role, nnode)) = node_best
        && best.is_none_or(|(bs, ..)| nsev > bs)
    {
        return Some(node_role_finding(
            world, principal, &steps, nsev, role, nnode, worst,
        ));
    }
    let (sev, _, arn, ns, sa, node) = best?;
    let (arn, ns, sa, node) = (
        arn.to_string(),
        ns.to_string(),
        sa.to_string(),
        node.clone(),
    );

    // The path, from the subject to the node, then the role.
    let chain = chain_to(&steps, &node);

    let label = principal.label();
    let mut f = Finding::new(
        "PATH-001",
        sev,
        subject_of(principal),
        format!("{label} can obtain IAM role {arn} through ServiceAccount {ns}/{sa}"),
    )
    .related(Subject::iam_role(&arn))
    .related(Subject::service_account(&ns, &sa));
    for (i, (text, binding)) in chain.iter().enumerate() {
        f = f.evidence(format!("{}. {}", i + 1, text));
        if let Some(b) = binding {
            f = f.related(b.clone());
        }
    }
    let vias: Vec<&str> = world
        .iam
        .roles_of(&ns, &sa)
        .filter(|(a, _)| a == &arn)
        .map(|(_, v)| via_name(*v))
        .collect();
    f = f.evidence(format!(
        "{}. as ServiceAccount {ns}/{sa} it gets IAM role {arn} ({})",
        chain.len() + 1,
        vias.join(", ")
    ));
    match worst.get(&arn.to_ascii_lowercase()) {
        Some((s, rule)) => {
            f = f.evidence(format!("the role's worst IAM finding: {rule} ({s})"));
        }
        None => {
            f = f.evidence("the role has no IAM finding; severity is the minimum, medium");
        }
    }
    if let Some(others) = others_reached(world, &reached, worst, &arn) {
        f = f.evidence(others);
    }
    f.evidence.extend(members_evidence(world.engine, principal));
    let first = chain
        .first()
        .and_then(|(_, b)| b.as_ref())
        .map(|b| b.label())
        .unwrap_or_else(|| "the first grant".to_string());
    Some(f.remediation(format!(
        "Break the first hop: remove or narrow {first} so that {label} cannot run pods, mint tokens or exec in namespace {ns}; or move ServiceAccount {ns}/{sa} (and its IAM role) to a namespace that only its own deployer can write to."
    )))
}

/// The path to a node namespace, subject first: each step's text and binding.
fn chain_to(steps: &HashMap<Node, Step>, node: &Node) -> Vec<(String, Option<Subject>)> {
    let mut chain = Vec::new();
    let mut cur = Some(node.clone());
    let mut guard = 0;
    while let Some(n) = cur {
        let Some(step) = steps.get(&n) else {
            break;
        };
        let cap = &step.caps[step.cap];
        chain.push((step_text(cap, &n), cap.grant.binding().map(binding_subject)));
        cur = step.prev.clone();
        guard += 1;
        if guard > steps.len() {
            break;
        }
    }
    chain.reverse();
    chain
}

/// PATH-001 through the `node-role` hop: the subject runs a pod in a namespace
/// (with `hostNetwork: true` where only that reaches IMDS and Pod Security
/// admission allows it) and the pod obtains the node's role.
fn node_role_finding(
    world: &World,
    principal: &Principal,
    steps: &HashMap<Node, Step>,
    sev: Severity,
    role: &NodeRole,
    node: &Node,
    worst: &Worst,
) -> Finding {
    let chain = chain_to(steps, node);
    let ns = match node {
        Node::AnySa(ns) | Node::Sa(ns, _) => ns.clone(),
    };
    let label = principal.label();
    let mut f = Finding::new(
        "PATH-001",
        sev,
        subject_of(principal),
        format!(
            "{label} can obtain node IAM role {} by running a pod in namespace {ns}",
            role.arn
        ),
    )
    .related(Subject::iam_role(&role.arn));
    for (i, (text, binding)) in chain.iter().enumerate() {
        f = f.evidence(format!("{}. {}", i + 1, text));
        if let Some(b) = binding {
            f = f.related(b.clone());
        }
    }
    let psa = world
        .node_roles
        .for_namespace(&ns)
        .into_iter()
        .find(|(r, _)| r.arn == role.arn)
        .and_then(|(_, why)| why.map(str::to_string));
    let pod = match &psa {
        Some(why) => format!("a pod with hostNetwork: true ({why})"),
        None => "any pod".to_string(),
    };
    f = f.evidence(format!(
        "{}. node-role: {pod} on {} gets node role {} from the instance metadata service",
        chain.len() + 1,
        role.how,
        role.arn
    ));
    match worst.get(&role.arn.to_ascii_lowercase()) {
        Some((s, rule)) => {
            f = f.evidence(format!("the role's worst IAM finding: {rule} ({s})"));
        }
        None => {
            f = f.evidence("the role has no IAM finding; severity is the minimum, medium");
        }
    }
    f.evidence.extend(members_evidence(world.engine, principal));
    let first = chain
        .first()
        .and_then(|(_, b)| b.as_ref())
        .map(|b| b.label())
        .unwrap_or_else(|| "the first grant".to_string());
    f.remediation(format!(
        "Block pods from the instance metadata service (IMDSv2 with a hop limit of 1, see NODE-001) and keep the node role to what nodes need (NODE-003); {}or remove or narrow {first} so that {label} cannot run pods in namespace {ns}.",
        if psa.is_some() {
            format!("enforce Pod Security baseline in namespace {ns} (kubectl label namespace {ns} pod-security.kubernetes.io/enforce=baseline) so that it admits no host-network pods; ")
        } else {
            String::new()
        }
    ))
}
