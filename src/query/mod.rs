//! Questions asked of the joined graph: `can-i`, `who-can` and `reach`
//! (`../shared/spec/query.md`).
//!
//! One evaluation: every answer comes from the engines the audit uses — the
//! RBAC engine for Kubernetes requests, `caps_of` of the PATH rule for what a
//! subject can *become*, `role_links` for the roles a service account obtains,
//! the trust checks for web identity and Pod Identity, and
//! `PermissionSet::evaluate` for what an IAM principal may do. This module only
//! walks between them and records each hop with its evidence.

pub mod action;
pub mod answer;
pub mod args;
pub mod batch;
pub mod can_i;
pub mod output;
pub mod reach;
pub mod subject;
pub mod who_can;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::graph::reach::Via as LinkVia;
use crate::graph::{Graph, ParsedTrusts};
use crate::hashing::HashMap;
use crate::model::{IamRole, Inventory, Status};
use crate::policy::iam::{PermissionSet, PrincipalKind};
use crate::policy::rbac::RbacEngine;

pub use action::{Action, AwsAction, KubeAction, KubeScope, parse_action};
pub use answer::{Answer, Decision, Hop, Node, PathAnswer};
pub use subject::{AsSubject, parse_subject};

/// The engines and indexes one question (or a batch of them) reads; built once.
pub struct Asker<'a> {
    pub inv: &'a Inventory,
    pub graph: Graph<'a>,
    pub rbac: RbacEngine<'a>,
    /// Working role links per service account (ns, name): role ARN and how.
    links: HashMap<(String, String), Vec<(String, LinkVia)>>,
    /// The roles every existing service account obtains through IRSA.
    everyone: Vec<(String, LinkVia)>,
    /// Service accounts per namespace (sorted).
    sas: BTreeMap<String, Vec<String>>,
    /// Pods per namespace: (pod, its service account), sorted by pod.
    pods: BTreeMap<String, Vec<(String, String)>>,
    /// Roles whose trust has a statement an AWS principal can match (role chaining).
    aws_trusting: Vec<usize>,
    perms: RefCell<HashMap<String, Rc<PermissionSet>>>,
    /// Pods by (namespace, name): their index in the inventory.
    pod_index: HashMap<(String, String), usize>,
    /// Of `aws_trusting`, the trusts whose answer depends on the caller's
    /// account only (no principal but `*` and account roots, no condition on
    /// a key the caller determines, no policy variable), given the asker's
    /// request context.
    trust_uniform: crate::hashing::HashSet<usize>,
    /// Such a trust's answer per (role, caller account, request context).
    trust_memo: RefCell<HashMap<(usize, String, String), crate::policy::iam::Decision>>,
    /// The last AWS question asked and its number in `questions`, which numbers
    /// the distinct questions the per-question memos (`role_memo`,
    /// `judge_memo`) hold answers to. Past `MEMO_QUESTIONS` of them, or
    /// `MEMO_ENTRIES` answers, all three are emptied: a batch of thousands of questions that repeat a few
    /// actions and resources reuses their answers, with bounded memory.
    question: RefCell<Option<(action::AwsAction, u32)>>,
    questions: RefCell<HashMap<String, u32>>,
    next_question: std::cell::Cell<u32>,
    /// Per (question, direct, best only, principal): its paths to the AWS
    /// action and its misses.
    role_memo: RefCell<HashMap<(u32, bool, bool, String), RoleMemo>>,
    /// Set by who-can while it computes each identity's own answer: only the
    /// best path is needed there.
    best_only: std::cell::Cell<bool>,
    /// Per (question, principal): its own decision on the action.
    judge_memo: RefCell<HashMap<(u32, String), Judged>>,
    /// The catalogue actions each Action pattern matches (`reach` reads
    /// every pattern of every role it reaches; AWS managed policies repeat
    /// thousands of them).
    expanded: RefCell<HashMap<String, Expanded>>,
    /// Each policy document's Action lists as catalogue places (`reach`), by
    /// address (the entry holds the document).
    doc_actions: RefCell<HashMap<usize, Rc<reach::DocActions>>>,
    /// The IAM rules' answers shared between roles (`reach` classifies every
    /// role it reaches as the audit does). The documents are the graph's
    /// and `perms`', which outlive it.
    classify_memo: RefCell<crate::audit::iam::ClassifyMemo>,
    /// Per (request context, principal): the roles it can assume.
    assume_memo: RefCell<HashMap<(String, String), AssumeEdges>>,
    /// Node roles pods reach through IMDS (the `node-role` hop), built on first use.
    node_roles: std::cell::OnceCell<crate::audit::path::NodeRoles>,
    /// Per (namespace, account): its pods that reach the instance metadata
    /// service (places in `NodeReach::pods`), built on first use.
    node_pods: std::cell::OnceCell<HashMap<(String, String), Vec<usize>>>,
    /// The `assumes` verdict of a working role link per (namespace, account,
    /// lowercased role, Pod Identity or not): the trust's answer, which no
    /// question changes.
    link_memo: RefCell<HashMap<(String, String, String, bool), Verdict>>,
    /// Every principal's assumable roles for the last request context, and
    /// every principal's answer to the last question through them (who-can).
    chain_graph: RefCell<Option<Rc<can_i::chain::ChainGraph>>>,
    /// How many chaining graphs were built (each is numbered).
    chain_graphs: std::cell::Cell<u32>,
    chain_table: RefCell<Option<Rc<can_i::chain::ChainTable>>>,
    /// Shared policy documents' answers to the question of that number.
    tally_memo: RefCell<(Option<u32>, crate::policy::iam::TallyMemo)>,
    /// who-can's graph of what every subject can become, which no action
    /// changes: built by the first who-can, per `include_system`.
    who_graph: RefCell<[Option<Rc<who_can::WhoGraph<'a>>>; 2]>,
}

/// How many distinct AWS questions the per-question memos hold at most, and
/// how many answers in all (a who-can judges every role: a few thousand).
const MEMO_QUESTIONS: usize = 4096;
const MEMO_ENTRIES: usize = 200_000;

/// The places in the flat catalogue of the actions an Action pattern matches.
pub(crate) type Expanded = Rc<[u32]>;

/// A decision, its conditions and the evidence saying so.
pub(crate) type Verdict = (Decision, Vec<String>, String);

/// A principal's decision on a question, its conditions and the hop saying so.
pub(crate) type Judged = (Decision, Vec<String>, std::sync::Arc<Hop>);

pub(crate) type RoleMemo = Rc<(Vec<PathAnswer>, Vec<String>)>;

/// Roles a principal can assume: (role ARN, lowercased, decision, conditions, evidence).
pub(crate) type AssumeEdges = Rc<Vec<(String, String, Decision, Vec<String>, String)>>;

/// An account's roles in the order they are tried: its own links, then the
/// roles every account obtains that its own links do not already name, each
/// with its place among those (`None`: an own link).
fn place<'l>(
    own: &'l [(String, LinkVia)],
    everyone: &'l [(String, LinkVia)],
    everyones: bool,
) -> Vec<(&'l (String, LinkVia), Option<usize>)> {
    let mut out: Vec<(&(String, LinkVia), Option<usize>)> = own.iter().map(|r| (r, None)).collect();
    if everyones {
        for (j, e) in everyone.iter().enumerate() {
            if !own.iter().any(|(a, _)| a.eq_ignore_ascii_case(&e.0)) {
                out.push((e, Some(j)));
            }
        }
    }
    out
}

/// An account's role links as who-can keeps them across questions: its own
/// links, the order they are tried in with the roles every account obtains, and the
/// `assumes` verdict and hop of each role in [`place`]'s order, made on first
/// use (a trust's answer, which no question changes).
pub(crate) struct AccountPlan {
    own: Vec<(String, LinkVia)>,
    /// [`place`]'s order: (place in `own`, `None`) or (_, place among the
    /// roles every account obtains).
    slots: Vec<(usize, Option<usize>)>,
    /// Whether it obtains the roles every account obtains, and which of them
    /// its own links already name (sorted places).
    everyones: bool,
    shadowed: Vec<usize>,
    verdicts: Vec<std::cell::OnceCell<Option<Rc<LinkHop>>>>,
    /// Its own links' principals in the chaining graph of that number
    /// (`Asker::chain_index`), found once per graph.
    chain_at: RefCell<(u32, Vec<Option<ChainAt>>)>,
}

/// A principal's place in a chaining graph, and whether it was asked as the
/// inventory spells it (`Asker::chain_index`).
pub(crate) type ChainAt = (usize, bool);

/// A working link's decision, conditions and `assumes` hop.
pub(crate) type LinkHop = (Decision, Vec<String>, std::sync::Arc<Hop>);

impl AccountPlan {
    /// The place in [`place`]'s order of the role every account obtains at
    /// `j`, unless the account's own links name it or it obtains none.
    pub(crate) fn everyone_slot(&self, j: usize) -> Option<usize> {
        if !self.everyones || self.shadowed.binary_search(&j).is_ok() {
            return None;
        }
        let before = self.shadowed.partition_point(|&s| s < j);
        Some(self.own.len() + j - before)
    }

    /// Its own links' principals in chaining graph `serial`, `find` giving
    /// one's when the plan does not hold them for that graph.
    pub(crate) fn chain_at(
        &self,
        serial: u32,
        find: impl Fn(&str) -> Option<ChainAt>,
    ) -> std::cell::Ref<'_, [Option<ChainAt>]> {
        if self.chain_at.borrow().0 != serial {
            let found = self.own.iter().map(|(arn, _)| find(arn)).collect();
            *self.chain_at.borrow_mut() = (serial, found);
        }
        std::cell::Ref::map(self.chain_at.borrow(), |(_, v)| v.as_slice())
    }

    /// Its own links with their places.
    pub(crate) fn own_slots(&self) -> impl Iterator<Item = (usize, &(String, LinkVia))> {
        self.own.iter().enumerate()
    }

    /// The account's roles in [`place`]'s order.
    pub(crate) fn placed<'l>(
        &'l self,
        everyone: &'l [(String, LinkVia)],
    ) -> impl Iterator<Item = (&'l (String, LinkVia), Option<usize>)> {
        self.slots.iter().filter_map(|&(k, j)| match j {
            None => Some((self.own.get(k)?, None)),
            Some(j) => Some((everyone.get(j)?, Some(j))),
        })
    }
}

impl<'a> Asker<'a> {
    /// Ready to answer about the inventory; trust policies are parsed on first use.
    pub fn new(inv: &'a Inventory) -> Asker<'a> {
        Asker::with_trusts(inv, &ParsedTrusts::default())
    }

    /// [`Asker::new`], with the trust policies parsed while the inventory was
    /// read (`graph::ReadCheck`), so that they are not parsed again.
    pub fn with_trusts(inv: &'a Inventory, trusts: &ParsedTrusts) -> Asker<'a> {
        let graph = Graph::build_with_trusts(inv, trusts);
        let rbac = RbacEngine::new(inv);
        let mut links: HashMap<(String, String), Vec<(String, LinkVia)>> = HashMap::default();
        let everyone: Vec<(String, LinkVia)> = graph
            .everyone_roles()
            .iter()
            .map(|a| (a.clone(), LinkVia::Irsa))
            .collect();
        for l in graph.role_links() {
            if !l.works || graph.links().is_everyones(&l.role_arn) {
                continue;
            }
            let v = links
                .entry((l.namespace.clone(), l.service_account.clone()))
                .or_default();
            if !v.iter().any(|(a, _)| a.eq_ignore_ascii_case(&l.role_arn)) {
                v.push((l.role_arn.clone(), l.via));
            }
        }
        let mut sas: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for sa in &inv.service_accounts {
            sas.entry(sa.namespace.clone())
                .or_default()
                .push(sa.name.clone());
        }
        for v in sas.values_mut() {
            v.sort();
            v.dedup();
        }
        let mut pods: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for p in &inv.pods {
            pods.entry(p.namespace.clone())
                .or_default()
                .push((p.name.clone(), p.service_account.clone()));
        }
        for v in pods.values_mut() {
            v.sort();
        }
        let pod_index = inv
            .pods
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.namespace.clone(), p.name.clone()), i))
            .collect();
        let aws_trusting: Vec<usize> = inv
            .iam
            .roles
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                graph.trust(r).is_some_and(|t| {
                    t.statements.iter().any(|s| {
                        s.principal.as_ref().is_some_and(|p| {
                            p.any
                                || p.negated
                                || p.entries.iter().any(|(k, _)| *k == PrincipalKind::Aws)
                        })
                    })
                })
            })
            .map(|(i, _)| i)
            .collect();
        let trust_uniform = aws_trusting
            .iter()
            .copied()
            .filter(|&i| {
                graph.trust(&inv.iam.roles[i]).is_some_and(|t| {
                    t.statements.iter().all(|s| {
                        s.conditions.iter().all(|c| {
                            !caller_key(&c.key) && !c.values.iter().any(|v| v.contains("${"))
                        }) && s.principal.as_ref().is_none_or(|p| {
                            !p.negated
                                && p.entries.iter().all(|(k, v)| {
                                    *k != PrincipalKind::Aws
                                        || v == "*"
                                        || (v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()))
                                        || crate::model::Arn::parse(v)
                                            .is_ok_and(|a| a.resource == "root")
                                })
                        })
                    })
                })
            })
            .collect();
        Asker {
            inv,
            graph,
            rbac,
            links,
            everyone,
            sas,
            pods,
            aws_trusting,
            perms: RefCell::new(HashMap::default()),
            pod_index,
            trust_uniform,
            trust_memo: RefCell::new(HashMap::default()),
            question: RefCell::new(None),
            questions: RefCell::new(HashMap::default()),
            next_question: std::cell::Cell::new(0),
            who_graph: RefCell::new([None, None]),
            chain_graph: RefCell::new(None),
            chain_graphs: std::cell::Cell::new(0),
            chain_table: RefCell::new(None),
            tally_memo: RefCell::new((None, Default::default())),
            link_memo: RefCell::new(HashMap::default()),
            role_memo: RefCell::new(HashMap::default()),
            assume_memo: RefCell::new(HashMap::default()),
            best_only: std::cell::Cell::new(false),
            judge_memo: RefCell::new(HashMap::default()),
            expanded: RefCell::new(HashMap::default()),
            classify_memo: RefCell::new(Default::default()),
            doc_actions: RefCell::new(HashMap::default()),
            node_roles: std::cell::OnceCell::new(),
            node_pods: std::cell::OnceCell::new(),
        }
    }

    /// The number of question `a` in the per-question memos (see `question`).
    pub(crate) fn begin_question(&self, a: &action::AwsAction) -> u32 {
        if let Some((q, id)) = self.question.borrow().as_ref()
            && q == a
        {
            return *id;
        }
        let key = format!(
            "{}|{}|{:?}|{:?}|{}",
            a.action, a.resource, a.context, a.multivalued, a.complete
        );
        let mut questions = self.questions.borrow_mut();
        let id = match questions.get(&key) {
            Some(&id) => id,
            None => {
                if questions.len() >= MEMO_QUESTIONS
                    || self.judge_memo.borrow().len() + self.role_memo.borrow().len()
                        >= MEMO_ENTRIES
                {
                    questions.clear();
                    self.role_memo.borrow_mut().clear();
                    self.judge_memo.borrow_mut().clear();
                }
                // Never a number given before: a stale entry cannot be read
                // as another question's.
                let id = self.next_question.get();
                self.next_question.set(id.wrapping_add(1));
                questions.insert(key, id);
                id
            }
        };
        *self.question.borrow_mut() = Some((a.clone(), id));
        id
    }

    /// A pod of the inventory by namespace and name.
    pub fn pod(&self, ns: &str, name: &str) -> Option<&'a crate::model::Pod> {
        self.pod_index
            .get(&(ns.to_string(), name.to_string()))
            .map(|&i| &self.inv.pods[i])
    }

    /// The roles a service account obtains (working IRSA / Pod Identity links),
    /// then the roles whose trust admits every account of the cluster
    /// (`Graph::everyone_roles`, one entry each rather than a link per account).
    pub fn roles_of(&self, ns: &str, name: &str) -> Vec<&(String, LinkVia)> {
        self.roles_placed(ns, name)
            .into_iter()
            .map(|(r, _)| r)
            .collect()
    }

    /// [`Asker::roles_of`], each with its place among the roles every
    /// account obtains (`None`: the account's own link).
    pub(crate) fn roles_placed(
        &self,
        ns: &str,
        name: &str,
    ) -> Vec<(&(String, LinkVia), Option<usize>)> {
        let own: &[(String, LinkVia)] = self
            .links
            .get(&(ns.to_string(), name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        place(own, &self.everyone, self.obtains_everyones(ns, name))
    }

    /// Whether an account obtains the roles every account obtains: an
    /// account that exists (one only a binding names obtains none).
    fn obtains_everyones(&self, ns: &str, name: &str) -> bool {
        !self.everyone.is_empty() && self.graph.service_account(ns, name).is_some()
    }

    /// An account's role links, kept by who-can for every question
    /// ([`AccountPlan`]).
    pub(crate) fn account_plan(&self, ns: &str, name: &str) -> AccountPlan {
        let own = self
            .links
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
            .unwrap_or_default();
        let everyones = self.obtains_everyones(ns, name);
        let mut k = 0;
        let slots: Vec<(usize, Option<usize>)> = place(&own, &self.everyone, everyones)
            .into_iter()
            .map(|(_, j)| {
                k += usize::from(j.is_none());
                (k.saturating_sub(1), j)
            })
            .collect();
        // The roles every account obtains that its own links already name.
        let shadowed: Vec<usize> = if everyones {
            (0..self.everyone.len())
                .filter(|j| !slots.iter().any(|s| s.1 == Some(*j)))
                .collect()
        } else {
            Vec::new()
        };
        AccountPlan {
            verdicts: (0..slots.len())
                .map(|_| std::cell::OnceCell::new())
                .collect(),
            own,
            slots,
            everyones,
            shadowed,
            chain_at: RefCell::new((0, Vec::new())),
        }
    }

    pub fn role(&self, arn: &str) -> Option<&'a IamRole> {
        self.graph.iam_role(arn).or_else(|| {
            crate::model::RoleArn::parse(arn)
                .ok()
                .and_then(|r| crate::graph::reach::find_role(self.inv, &self.graph, &r))
        })
    }

    /// A role's (or user's) identity policies and boundary, as the IAM rules build them.
    pub fn permission_set(&self, arn: &str) -> Option<Rc<PermissionSet>> {
        let key = arn.to_ascii_lowercase();
        if let Some(p) = self.perms.borrow().get(&key) {
            return Some(Rc::clone(p));
        }
        let set = if let Some(role) = self.role(arn) {
            PermissionSet::for_role_parsed(role, |a| self.graph.managed_doc(a))
        } else {
            let user = self
                .inv
                .iam
                .users
                .iter()
                .find(|u| u.arn.eq_ignore_ascii_case(arn))?;
            // A user's policies are its own and its groups': read through the
            // same builder as a role's, so both are evaluated alike.
            let mut as_role = IamRole {
                arn: user.arn.clone(),
                name: user.name.clone(),
                inline_policies: user.inline_policies.clone(),
                attached_policies: user.attached_policies.clone(),
                permissions_boundary: user.permissions_boundary.clone(),
                ..IamRole::default()
            };
            for g in &user.groups {
                if let Some(grp) = self.inv.iam.groups.iter().find(|x| &x.name == g) {
                    as_role
                        .inline_policies
                        .extend(grp.inline_policies.iter().cloned());
                    as_role
                        .attached_policies
                        .extend(grp.attached_policies.iter().cloned());
                }
            }
            PermissionSet::for_role_parsed(&as_role, |a| self.graph.managed_doc(a))
        };
        let set = Rc::new(set);
        self.perms.borrow_mut().insert(key, Rc::clone(&set));
        Some(set)
    }

    /// What the answer must admit it did not see.
    pub fn coverage(&self) -> answer::CoverageNote {
        let mut c = answer::CoverageNote::default();
        for s in &self.inv.coverage.sources {
            if s.status != Status::Ok {
                c.sources.push(serde_json::json!({
                    "source": s.source,
                    "status": s.status.as_str(),
                    "detail": s.detail,
                }));
            }
        }
        for p in &self.inv.coverage.problems {
            c.problems.push(format!("{}: {}", p.source, p.detail));
        }
        c
    }
}

/// Condition keys whose value comes from the calling principal (filled in by
/// `Asker::iam_request` or by AWS from the caller).
fn caller_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("aws:principal")
        || k.starts_with("aws:username")
        || k.starts_with("aws:userid")
        || k.starts_with("aws:sourceidentity")
        || k.starts_with("aws:federatedprovider")
}
