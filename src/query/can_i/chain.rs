//! Role chaining solved for every IAM principal at once, for who-can: which
//! roles each principal of the inventory can assume (`assume_edges`, once per
//! request context) and, per question, each one's best answer through them
//! (yes before conditional, then fewest hops) by two breadth-first searches
//! backwards from the principals that may do it themselves. `can-i` walks
//! forward from one principal (`principal_paths`); both follow the same edges,
//! judge with the same `judge_action` (who-can decides with
//! `PermissionSet::outcome_hits` and makes the hop of each path's last
//! principal with `evaluate_quiet_hits`, both held equal to `evaluate_quiet`
//! on the managed-policy corpus) and stop at `MAX_CHAIN` assumptions, and
//! among equally short paths both keep the first in the order of each
//! principal's edges.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::hashing::HashMap;
use crate::policy::iam::InlineScope;

/// Not reached within `MAX_CHAIN` assumptions.
const FAR: u8 = u8::MAX;

/// Every IAM principal of the inventory (roles, then users) with the roles it
/// can assume, for one request context.
pub(crate) struct ChainGraph {
    context: String,
    /// Its number among the Asker's graphs (kept places of principals name
    /// the graph they were found in).
    pub(super) serial: u32,
    /// The principal of each role every account obtains (`Asker::everyone`).
    everyone_at: std::cell::OnceCell<Vec<Option<(usize, bool)>>>,
    /// Lowercased ARN → principal.
    index: HashMap<String, usize>,
    arns: Vec<String>,
    sets: Vec<Rc<PermissionSet>>,
    /// The services the Allow statements of each principal's policies name
    /// (one per document, shared): a principal none of whose statements can
    /// bear on the action is a `no` without evaluating anything.
    scopes: Vec<Vec<Rc<InlineScope>>>,
    edges: Vec<AssumeEdges>,
    /// Each edge's target principal, in `edges` order.
    edge_to: Vec<Vec<usize>>,
    /// Reversed edges: target → (source, edge index at the source).
    back: Vec<Vec<(usize, usize)>>,
    /// Each principal's request in this context (its own keys and the
    /// asker's), the action and resource set per question.
    requests: RefCell<Vec<iam::Request>>,
    /// ARNs as asked (link annotations, mappings) → principal, and whether
    /// it is asked as the inventory spells it.
    asked: RefCell<HashMap<String, Option<(usize, bool)>>>,
    /// For the last actions asked (at most `HIT_ACTIONS`), each principal's
    /// inline statements that take in the action
    /// (`PermissionSet::inline_hits`): a question about an action asked
    /// before reads only those of the inline policies.
    hits: RefCell<Vec<Rc<ActionHits>>>,
}

/// Each principal's inline statements that take in one action, and whether
/// any of its documents' Allow statements names the action's service.
/// Flat, in principal order: a question reads them all, and the text before
/// the wildcards of their Resource patterns (`iam::resource_openings`) is
/// here too, so that the statements of other resources are passed over
/// without reading them (thousands of principals' statements lie all over
/// the heap: reading them was most of a question's cost).
pub(crate) struct ActionHits {
    action: String,
    /// Principal `i`'s are `hits[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    hits: Vec<Hit>,
    /// Ranges of `text`.
    openings: Vec<(u32, u32)>,
    text: Vec<u8>,
    bears: Vec<bool>,
}

/// An inline statement that takes in the action: its (policy, statement)
/// place and the range of `ActionHits::openings` that holds its Resource
/// openings (`OPEN` when they cannot tell).
#[derive(Clone, Copy)]
struct Hit {
    place: (u32, u32),
    gate: (u32, u32),
}

/// A statement whose Resource openings cannot tell whether it applies.
const OPEN: (u32, u32) = (u32::MAX, u32::MAX);

/// How many actions' [`ActionHits`] a graph keeps.
const HIT_ACTIONS: usize = 4;

/// One question's answers over a [`ChainGraph`].
pub(crate) struct ChainTable {
    question: u32,
    graph: Rc<ChainGraph>,
    /// Fewest assumptions, through `yes` edges only, to a principal whose own
    /// decision is `yes`.
    yes: Vec<u8>,
    /// Fewest assumptions, through any edge, to a principal that may.
    any: Vec<u8>,
    /// Paths already rebuilt (empty prefix, the principal's own spelling).
    paths: RefCell<Vec<Option<Option<Rc<Built>>>>>,
    /// The decision and hop of each principal that ends a path (asked as the
    /// inventory spells it), made once: many paths end at one role. Made
    /// with the table for every principal that may (while its statements
    /// are at hand: the paths end at those), else on first use.
    judged: RefCell<Vec<Option<crate::query::Judged>>>,
    /// The best of each role every account obtains (`Asker::everyone`),
    /// the same for every account: made on first use.
    everyone: std::cell::OnceCell<Vec<Option<Best>>>,
    /// Those roles that may, best first (yes before conditional, then fewest
    /// hops, then their place): (decision, hops, place). Made on first use.
    pub(super) everyone_ranked: std::cell::OnceCell<Vec<(Decision, usize, usize)>>,
}

/// A principal's best decision and its path's length in hops (`None`: it may not).
type Best = Option<(Decision, usize)>;

/// A rebuilt path: its decision, conditions and hops.
pub(super) type Built = (Decision, Vec<String>, Path);

impl<'a> Asker<'a> {
    /// The chaining graph of `a`'s request context (built on first use, kept
    /// while the context stays the same).
    fn chain_graph(&self, a: &AwsAction) -> Rc<ChainGraph> {
        let context = super::judge::context_key(a);
        if let Some(g) = self.chain_graph.borrow().as_ref()
            && g.context == context
        {
            return Rc::clone(g);
        }
        let t = std::time::Instant::now();
        let mut arns: Vec<String> = Vec::new();
        let mut sets = Vec::new();
        let mut index = HashMap::default();
        let principals = self.inv.iam.roles.iter().map(|r| &r.arn);
        for arn in principals.chain(self.inv.iam.users.iter().map(|u| &u.arn)) {
            let lower = arn.to_ascii_lowercase();
            if index.contains_key(&lower) {
                continue;
            }
            let Some(set) = self.permission_set(arn) else {
                continue;
            };
            index.insert(lower, arns.len());
            arns.push(arn.clone());
            sets.push(set);
        }
        // A managed policy's scope is made once for all its principals.
        let mut by_doc: HashMap<usize, Rc<InlineScope>> = HashMap::default();
        let scopes = sets
            .iter()
            .map(|s| {
                s.policies
                    .iter()
                    .map(|p| {
                        let key = std::sync::Arc::as_ptr(&p.doc) as usize;
                        Rc::clone(
                            by_doc
                                .entry(key)
                                .or_insert_with(|| Rc::new(PermissionSet::allow_scope(&p.doc))),
                        )
                    })
                    .collect()
            })
            .collect();
        let edges: Vec<AssumeEdges> = arns
            .iter()
            .zip(&sets)
            .map(|(arn, set)| self.assume_edges(arn, set, a))
            .collect();
        let mut back = vec![Vec::new(); arns.len()];
        let edge_to = edges
            .iter()
            .enumerate()
            .map(|(from, es)| {
                es.iter()
                    .enumerate()
                    .filter_map(|(k, e)| {
                        let to = *index.get(&e.1)?;
                        back[to].push((from, k));
                        Some(to)
                    })
                    .collect()
            })
            .collect();
        tracing::debug!(
            "role chaining: {} principals, {} edges in {:?}",
            arns.len(),
            edges.iter().map(|e| e.len()).sum::<usize>(),
            t.elapsed()
        );
        let requests = arns
            .iter()
            .map(|arn| self.iam_request(a, arn, "", ""))
            .collect();
        let serial = self.chain_graphs.get().wrapping_add(1).max(1);
        self.chain_graphs.set(serial);
        let g = Rc::new(ChainGraph {
            serial,
            everyone_at: std::cell::OnceCell::new(),
            requests: RefCell::new(requests),
            asked: RefCell::new(HashMap::default()),
            hits: RefCell::new(Vec::new()),
            context,
            index,
            arns,
            sets,
            scopes,
            edges,
            edge_to,
            back,
        });
        *self.chain_graph.borrow_mut() = Some(Rc::clone(&g));
        g
    }

    /// The answers of question `a` for every principal (once per question).
    pub(super) fn chain_table(&self, a: &AwsAction) -> (Rc<ChainGraph>, Rc<ChainTable>) {
        let q = self.begin_question(a);
        if let Some(t) = self.chain_table.borrow().as_ref()
            && t.question == q
        {
            return (Rc::clone(&t.graph), Rc::clone(t));
        }
        let g = self.chain_graph(a);
        let hits = g.hits(&a.action);
        let mut requests = g.requests.borrow_mut();
        let mut memo = None;
        let mut live = Vec::new();
        let mut judged = vec![None; g.arns.len()];
        let own: Vec<Decision> = (0..g.arns.len())
            .map(|i| {
                if !hits.bears[i] {
                    return Decision::No;
                }
                let req = &mut requests[i];
                req.action.clone_from(&a.action);
                req.resource = Some(a.resource.clone());
                hits.live(i, &a.resource, &mut live);
                let (d, hop) =
                    self.judge_decision_hop(&g.sets[i], a, &g.arns[i], req, &live, &mut memo);
                judged[i] = hop;
                d
            })
            .collect();
        drop(memo);
        drop(requests);
        tracing::debug!(
            "who-can table: {} of {} principals may ({} yes)",
            own.iter().filter(|d| **d != Decision::No).count(),
            own.len(),
            own.iter().filter(|d| **d == Decision::Yes).count()
        );
        let yes = g.distances(|i| own[i] == Decision::Yes, |d| d == Decision::Yes);
        let any = g.distances(|i| own[i] != Decision::No, |_| true);
        let t = Rc::new(ChainTable {
            question: q,
            graph: Rc::clone(&g),
            yes,
            any,
            paths: RefCell::new(vec![None; g.arns.len()]),
            judged: RefCell::new(judged),
            everyone: std::cell::OnceCell::new(),
            everyone_ranked: std::cell::OnceCell::new(),
        });
        *self.chain_table.borrow_mut() = Some(Rc::clone(&t));
        (g, t)
    }

    /// A principal's best decision on `a`, itself or through the roles it
    /// can assume, with the path's length in hops (`None` inside: it may
    /// not); `None`: not a principal of the inventory.
    /// `table` is [`Asker::chain_table`]'s, fetched once by a caller that asks
    /// for many principals (an account and the roles every account obtains).
    pub(super) fn chain_best(
        &self,
        table: &(Rc<ChainGraph>, Rc<ChainTable>),
        arn: &str,
    ) -> Option<Best> {
        let (g, t) = table;
        let (i, _) = self.chain_index(g, arn)?;
        Some(t.best(i).map(|(d, k)| (d, usize::from(k) + 1)))
    }

    /// [`Asker::chain_best`] of the role at place `j` among those every
    /// account obtains.
    pub(super) fn chain_best_everyone(
        &self,
        table: &(Rc<ChainGraph>, Rc<ChainTable>),
        j: usize,
    ) -> Option<Best> {
        let all = table.1.everyone.get_or_init(|| {
            self.everyone
                .iter()
                .map(|(arn, _)| self.chain_best(table, arn))
                .collect()
        });
        all.get(j).copied().flatten()
    }

    /// [`Asker::chain_best`] of the principal at `at` ([`Asker::chain_index`]).
    pub(super) fn chain_best_at(
        &self,
        table: &(Rc<ChainGraph>, Rc<ChainTable>),
        at: (usize, bool),
    ) -> Best {
        table.1.best(at.0).map(|(d, k)| (d, usize::from(k) + 1))
    }

    /// The principal of the role at place `j` among those every account
    /// obtains ([`Asker::chain_index`]), found once per graph.
    pub(super) fn chain_everyone_at(&self, g: &ChainGraph, j: usize) -> Option<(usize, bool)> {
        let all = g.everyone_at.get_or_init(|| {
            self.everyone
                .iter()
                .map(|(arn, _)| self.chain_index(g, arn))
                .collect()
        });
        all.get(j).copied().flatten()
    }

    /// A principal's best path on `a` (see [`Asker::chain_best`]), hops and
    /// all; `None`: not a principal of the inventory.
    pub(super) fn chain_path(&self, arn: &str, a: &AwsAction) -> Option<Option<Rc<Built>>> {
        self.chain_path_at(arn, a, None)
    }

    /// [`Asker::chain_path`], with `arn`'s principal when the caller has
    /// it ([`Asker::chain_index`] in the current graph).
    pub(super) fn chain_path_at(
        &self,
        arn: &str,
        a: &AwsAction,
        at: Option<(usize, bool)>,
    ) -> Option<Option<Rc<Built>>> {
        let (g, t) = self.chain_table(a);
        // The memo holds paths spelled as the inventory spells the principal.
        let (i, own_spelling) = match at {
            Some(at) => at,
            None => self.chain_index(&g, arn)?,
        };
        if own_spelling && let Some(Some(p)) = t.paths.borrow().get(i) {
            return Some(p.clone());
        }
        let built = self
            .chain_rebuild(&g, &t, i, arn, own_spelling, a)
            .map(Rc::new);
        if own_spelling && let Some(slot) = t.paths.borrow_mut().get_mut(i) {
            *slot = Some(built.clone());
        }
        Some(built)
    }

    /// The principal `arn` names, and whether `arn` spells it as the
    /// inventory does.
    pub(super) fn chain_index(&self, g: &ChainGraph, arn: &str) -> Option<(usize, bool)> {
        if let Some(&i) = g.asked.borrow().get(arn) {
            return i;
        }
        let i = match g.index.get(&arn.to_ascii_lowercase()) {
            Some(&i) => Some(i),
            None => self
                .role(arn)
                .and_then(|role| g.index.get(&role.arn.to_ascii_lowercase()).copied()),
        };
        let i = i.map(|i| (i, g.arns[i] == arn));
        g.asked.borrow_mut().insert(arn.to_string(), i);
        i
    }

    /// The path of principal `i` (asked as `arn`, spelled as the inventory
    /// does or not): at each principal the first of its edges that leads one
    /// assumption nearer, then its own hop.
    fn chain_rebuild(
        &self,
        g: &ChainGraph,
        t: &ChainTable,
        i: usize,
        arn: &str,
        own_spelling: bool,
        a: &AwsAction,
    ) -> Option<Built> {
        let (want, mut k) = t.best(i)?;
        let dist = if want == Decision::Yes {
            &t.yes
        } else {
            &t.any
        };
        let (mut cur, mut cur_arn) = (i, arn);
        let mut decision = Decision::Yes;
        let mut conds = Vec::new();
        let mut hops = Vec::new();
        while k > 0 {
            let (e, &to) = g.edges[cur]
                .iter()
                .zip(&g.edge_to[cur])
                .find(|(e, to)| (want != Decision::Yes || e.2 == want) && dist[**to] == k - 1)?;
            hops.push(Arc::new(Hop {
                edge: "assumes",
                from: self.principal_node(cur_arn),
                to: Node::IamRole { arn: e.0.clone() },
                evidence: e.4.clone(),
            }));
            decision = decision.min(e.2);
            conds.extend(e.3.iter().cloned());
            cur = to;
            cur_arn = &g.arns[to];
            k -= 1;
        }
        // The principal's request as the table judged it, when it is asked
        // as the inventory spells it (its ARN is a key of the request); its
        // action and resource are set again, as the graph's requests hold
        // the last question's.
        // Judged here (and kept in the table) when asked as the inventory
        // spells it, with the request and hits the table judged it by;
        // otherwise as `can-i` judges it.
        // (Past an assumption, the principal is the inventory's spelling.)
        let spelled = cur != i || own_spelling;
        let kept_here = spelled && !super::judge::judged_whole(a);
        let kept = kept_here
            .then(|| t.judged.borrow().get(cur).cloned().flatten())
            .flatten();
        let (d, c, hop) = match kept {
            Some(j) => j,
            None => {
                let hits = g.hits(&a.action);
                let mut requests = g.requests.borrow_mut();
                let mut live = Vec::new();
                let req = kept_here.then(|| {
                    let req = &mut requests[cur];
                    req.action.clone_from(&a.action);
                    req.resource = Some(a.resource.clone());
                    hits.live(cur, &a.resource, &mut live);
                    (&*req, live.as_slice())
                });
                let from = self.principal_node(cur_arn);
                let j = match req {
                    Some(req) => self.judge_with(&g.sets[cur], a, cur_arn, &from, req),
                    None => self.judge_memo(&g.sets[cur], a, cur_arn, &from),
                };
                if kept_here && let Some(slot) = t.judged.borrow_mut().get_mut(cur) {
                    *slot = Some(j.clone());
                }
                j
            }
        };
        conds.extend(c);
        hops.push(hop);
        Some((decision.min(d), conds, hops))
    }
}

impl ChainTable {
    /// Yes through yes edges if it can, else the nearest that may at all.
    fn best(&self, i: usize) -> Option<(Decision, u8)> {
        if self.yes[i] != FAR {
            Some((Decision::Yes, self.yes[i]))
        } else if self.any[i] != FAR {
            Some((Decision::Conditional, self.any[i]))
        } else {
            None
        }
    }
}

impl ActionHits {
    fn of(action: &str, sets: &[Rc<PermissionSet>], scopes: &[Vec<Rc<InlineScope>>]) -> ActionHits {
        let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let mut h = ActionHits {
            action: action.to_string(),
            starts: vec![0],
            hits: Vec::new(),
            openings: Vec::new(),
            text: Vec::new(),
            bears: scopes
                .iter()
                .map(|docs| docs.iter().any(|s| s.bears_on(action)))
                .collect(),
        };
        for set in sets {
            for place in set.inline_hits(action) {
                let gate = match set
                    .inline_statement(place.0, place.1)
                    .and_then(iam::resource_openings)
                {
                    Some(openings) => {
                        let first = to_u32(h.openings.len());
                        for o in openings {
                            let at = to_u32(h.text.len());
                            h.text.extend_from_slice(o);
                            h.openings.push((at, to_u32(h.text.len())));
                        }
                        (first, to_u32(h.openings.len()))
                    }
                    None => OPEN,
                };
                h.hits.push(Hit { place, gate });
            }
            h.starts.push(to_u32(h.hits.len()));
        }
        h
    }

    /// Principal `i`'s inline statements that take in the action, less
    /// those whose Resource openings say they do not apply to `resource`
    /// (they change nothing in a quiet decision), into `out`.
    fn live(&self, i: usize, resource: &str, out: &mut Vec<(u32, u32)>) {
        out.clear();
        let (from, to) = (self.starts[i] as usize, self.starts[i + 1] as usize);
        for hit in &self.hits[from..to] {
            if hit.gate != OPEN {
                let (o0, o1) = (hit.gate.0 as usize, hit.gate.1 as usize);
                let opened = self.openings[o0..o1].iter().any(|&(t0, t1)| {
                    resource
                        .as_bytes()
                        .starts_with(&self.text[t0 as usize..t1 as usize])
                });
                if !opened {
                    continue;
                }
            }
            out.push(hit.place);
        }
    }
}

impl ChainGraph {
    /// Each principal's inline statements that take in `action`, made on
    /// the first question about it.
    fn hits(&self, action: &str) -> Rc<ActionHits> {
        if let Some(h) = self.hits.borrow().iter().find(|h| h.action == action) {
            return Rc::clone(h);
        }
        let h = Rc::new(ActionHits::of(action, &self.sets, &self.scopes));
        let mut kept = self.hits.borrow_mut();
        if kept.len() >= HIT_ACTIONS {
            kept.remove(0);
        }
        kept.push(Rc::clone(&h));
        h
    }

    /// Breadth first backwards from the principals `from` holds, along the
    /// edges whose decision `edge` accepts: the fewest assumptions from each
    /// principal to one of them, at most `MAX_CHAIN`.
    fn distances(&self, from: impl Fn(usize) -> bool, edge: impl Fn(Decision) -> bool) -> Vec<u8> {
        let mut dist = vec![FAR; self.arns.len()];
        let mut queue = VecDeque::new();
        for (i, d) in dist.iter_mut().enumerate() {
            if from(i) {
                *d = 0;
                queue.push_back(i);
            }
        }
        while let Some(v) = queue.pop_front() {
            let next = dist[v] + 1;
            if usize::from(next) > MAX_CHAIN {
                continue;
            }
            for &(u, k) in &self.back[v] {
                if dist[u] == FAR && edge(self.edges[u][k].2) {
                    dist[u] = next;
                    queue.push_back(u);
                }
            }
        }
        dist
    }
}
