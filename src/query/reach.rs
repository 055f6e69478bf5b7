//! `reach`: a subject's blast radius — its Kubernetes rules, the identities it
//! can become, the IAM roles it obtains, and each role's effective permissions
//! per service and access level (the action catalogue's levels), with what the
//! IAM rules would flag.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::Arc;

use serde::Serialize;

use crate::policy::actions::{self, AccessLevel};
use crate::policy::iam::{Effect, Outcome, PolicyDocument};

use super::Asker;
use super::action::AwsAction;
use super::answer::{Decision, Hop, Node, Path};
use super::output::{QueryFormat, hang};
use super::subject::AsSubject;

#[derive(Debug, Serialize)]
pub struct Reach {
    pub subject: Node,
    /// `kubectl auth can-i --list`-like rules, per scope (`cluster-wide`, `namespace X`).
    pub kubernetes_rules: BTreeMap<String, Vec<String>>,
    /// Identities it can become, with the path to each.
    pub becomes: Vec<Reached>,
    pub roles: Vec<RoleReach>,
    pub coverage: super::answer::CoverageNote,
}

#[derive(Debug, Serialize)]
pub struct Reached {
    pub identity: Node,
    pub path: Path,
}

#[derive(Debug, Serialize)]
pub struct RoleReach {
    pub role: String,
    pub decision: Decision,
    pub conditions: Vec<String>,
    pub path: Path,
    /// service → access level → the actions allowed.
    pub permissions: BTreeMap<&'static str, BTreeMap<&'static str, LevelGrant>>,
    /// IAM-00x hits of the role, as the audit's IAM rules classify it.
    pub flagged: Vec<String>,
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize, Default)]
pub struct LevelGrant {
    pub count: usize,
    pub examples: Vec<&'static str>,
    pub resources: Vec<String>,
    pub conditional: bool,
}

const EXAMPLES: usize = 4;

impl<'a> Asker<'a> {
    pub fn reach(&self, subject: &AsSubject) -> Result<Reach, String> {
        let reached = self.reachable(subject, false)?;
        let node = self.subject_node(subject);
        let mut rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if let Some(first) = reached.first() {
            let rows = match subject {
                AsSubject::User { .. } => {
                    let mut rows = self.rbac.rows(&self.rbac.bindings_of(&first.id));
                    if first.id.masters_via.is_some() {
                        rows.clear();
                        rules.insert(
                            "cluster-wide".into(),
                            vec!["everything (system:masters bypasses RBAC)".into()],
                        );
                    }
                    rows
                }
                AsSubject::IamRole { .. } | AsSubject::IamUser { .. }
                    if first.id.groups.is_empty() =>
                {
                    Vec::new()
                }
                _ => match &first.sa {
                    Some((ns, n)) => self
                        .rbac
                        .permissions(&crate::policy::rbac::Principal::service_account(ns, n)),
                    None => match subject {
                        AsSubject::Group { name } => self
                            .rbac
                            .permissions(&crate::policy::rbac::Principal::group(name)),
                        AsSubject::IamRole { .. } | AsSubject::IamUser { .. } => {
                            let arn = first.iam.clone().unwrap_or_default();
                            self.rbac
                                .permissions(&crate::policy::rbac::Principal::iam(&arn))
                        }
                        _ => Vec::new(),
                    },
                },
            };
            for g in rows {
                // describe() names binding, role and rule: the rule once.
                let line = g.describe();
                let v = rules.entry(g.scope.to_string()).or_default();
                if !v.contains(&line) {
                    v.push(line);
                }
            }
        }
        let becomes = reached
            .iter()
            .skip(1)
            .map(|r| Reached {
                identity: r.node.clone(),
                path: r.path.clone(),
            })
            .collect();

        // Roles obtained: a service account's links, an IAM subject itself, and
        // (through can-i's walk) every role those can assume.
        let probe = AwsAction {
            action: "sts:GetCallerIdentity".into(),
            resource: "*".into(),
            ..AwsAction::default()
        };
        let (paths, _, _) = self.paths(subject, &super::Action::Aws(probe), false)?;
        let mut roles: BTreeMap<String, RoleReach> = BTreeMap::new();
        for pa in &paths {
            // The path ends in `allows` from the role; the hops before lead to it.
            let Some(last) = pa.path.last() else { continue };
            let (Node::IamRole { arn } | Node::IamUser { arn }) = &last.from else {
                continue;
            };
            if roles.contains_key(&arn.to_ascii_lowercase()) {
                continue;
            }
            let path = pa.path[..pa.path.len() - 1].to_vec();
            // The probe's own verdict is not the point: only how the role is reached.
            let d = if pa.conditions.is_empty() {
                Decision::Yes
            } else {
                Decision::Conditional
            };
            roles.insert(
                arn.to_ascii_lowercase(),
                self.role_reach(arn, path, d, pa.conditions.clone()),
            );
        }
        // A role its links name but whose policies allow not even GetCallerIdentity.
        for r in &reached {
            if let Some((ns, n)) = &r.sa {
                for (arn, via) in self.roles_of(ns, n) {
                    if roles.contains_key(&arn.to_ascii_lowercase()) {
                        continue;
                    }
                    let (d, conds, evidence) = self.link_evidence(ns, n, arn, *via);
                    if d == Decision::No {
                        continue;
                    }
                    let mut path = r.path.clone();
                    path.push(Arc::new(Hop {
                        edge: "assumes",
                        from: r.node.clone(),
                        to: Node::IamRole { arn: arn.clone() },
                        evidence,
                    }));
                    roles.insert(
                        arn.to_ascii_lowercase(),
                        self.role_reach(arn, path, d, conds),
                    );
                }
            }
        }
        let mut roles: Vec<RoleReach> = roles.into_values().collect();
        roles.sort_by(|a, b| a.path.len().cmp(&b.path.len()).then(a.role.cmp(&b.role)));
        Ok(Reach {
            subject: node,
            kubernetes_rules: rules,
            becomes,
            roles,
            coverage: self.coverage(),
        })
    }

    /// The places in [`actions::flat`] of the catalogue actions `pattern`
    /// matches, expanded once per pattern.
    fn expanded(&self, pattern: &str) -> super::Expanded {
        if let Some(e) = self.expanded.borrow().get(pattern) {
            return Rc::clone(e);
        }
        let e: super::Expanded = actions::flat().expand(pattern).into();
        self.expanded
            .borrow_mut()
            .insert(pattern.to_string(), Rc::clone(&e));
        e
    }

    /// A document's Action lists as catalogue places, made once per document.
    fn doc_actions(&self, doc: &Arc<PolicyDocument>) -> Rc<DocActions> {
        let key = Arc::as_ptr(doc) as usize;
        if let Some(d) = self.doc_actions.borrow().get(&key) {
            return Rc::clone(d);
        }
        let mut seen = vec![false; actions::flat().actions.len()];
        let listed: Vec<Rc<[u32]>> = doc
            .statements
            .iter()
            .map(|s| {
                let mut list = Vec::new();
                for v in &s.action.values {
                    for &i in self.expanded(v).iter() {
                        if let Some(b) = seen.get_mut(i as usize)
                            && !*b
                        {
                            *b = true;
                            list.push(i);
                        }
                    }
                }
                for &i in &list {
                    seen[i as usize] = false;
                }
                list.into()
            })
            .collect();
        let d = Rc::new(DocActions {
            // Held, so that its address names it for as long as the Asker lives.
            _doc: Arc::clone(doc),
            total: listed.iter().map(|l| l.len()).sum(),
            listed,
            classes: std::cell::OnceCell::new(),
        });
        self.doc_actions.borrow_mut().insert(key, Rc::clone(&d));
        d
    }

    /// One role's effective permissions, per service and access level: every
    /// catalogue action an Allow statement names (or, for NotAction, every
    /// one) asked of the role's permission set on each of the statement's
    /// resources, and counted once per level whatever the resources it is
    /// allowed on.
    ///
    /// The catalogue is first split into classes of actions that every
    /// statement of the set takes in or leaves out alike
    /// ([`PermissionSet::deciding_documents`]): such actions have the same
    /// outcome on a resource, so each (class, resource) is decided once, by
    /// `outcome_alone` on the first of its actions asked.
    fn role_reach(
        &self,
        arn: &str,
        path: Path,
        decision: Decision,
        conditions: Vec<String>,
    ) -> RoleReach {
        let mut out = RoleReach {
            role: arn.to_string(),
            decision,
            conditions,
            path,
            permissions: BTreeMap::new(),
            flagged: Vec::new(),
            problems: Vec::new(),
        };
        let Some(set) = self.permission_set(arn) else {
            out.problems
                .push("not in the IAM inventory: its permissions are unknown".into());
            return out;
        };
        out.problems.clone_from(&set.problems);
        out.flagged = self
            .classify_memo
            .borrow_mut()
            .classify(&set)
            .into_iter()
            .map(|h| {
                format!(
                    "{} ({}{}): {}",
                    h.rule,
                    h.severity,
                    if h.conditional { ", conditional" } else { "" },
                    h.what
                )
            })
            .collect();
        let flat = actions::flat();
        let docs: Vec<Rc<DocActions>> = set
            .deciding_documents()
            .map(|d| self.doc_actions(d))
            .collect();
        // From the split a large document (a managed policy naming thousands
        // of actions, shared by many roles) makes alone, kept with it.
        let large = docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.total >= LARGE)
            .max_by_key(|(_, d)| d.total)
            .map(|(k, _)| k);
        let mut classes = match large {
            Some(k) => Classes::from(&docs[k].classes(flat.actions.len())),
            None => Classes::new(flat.actions.len()),
        };
        for (k, d) in docs.iter().enumerate() {
            if Some(k) != large {
                d.listed.iter().for_each(|l| classes.split(l));
            }
        }
        // A NotAction statement's candidates: every action (kept by `expanded`).
        let every = self.expanded("*");
        // The resources asked of, numbered; per resource, each class's
        // outcome once known.
        let mut resources: Vec<&str> = Vec::new();
        let mut decided: Vec<Vec<Known>> = Vec::new();
        let mut req = self.iam_request(&AwsAction::default(), arn, "", "");
        let mut counted = vec![0u64; flat.actions.len().div_ceil(64)];
        // Per (service, level) slot: its place in `grants`.
        let mut slots: crate::hashing::HashMap<u32, usize> = Default::default();
        let mut grants: Vec<(&'static str, AccessLevel, LevelGrant)> = Vec::new();
        let mut granted_on: Vec<Vec<usize>> = Vec::new();
        for (p, d) in set.policies.iter().zip(&docs) {
            for (s, listed) in p.doc.statements.iter().zip(&d.listed) {
                if s.effect != Effect::Allow {
                    continue;
                }
                let candidates: &[u32] = if s.action.negated { &every } else { listed };
                let named: Vec<&str> = match &s.resource {
                    Some(r) if !r.negated => r.values.iter().map(String::as_str).collect(),
                    _ => vec!["*"],
                };
                let ids: Vec<usize> = named
                    .iter()
                    .map(|&r| match resources.iter().position(|&x| x == r) {
                        Some(k) => k,
                        None => {
                            resources.push(r);
                            decided.push(vec![Known::Unasked; classes.count()]);
                            resources.len() - 1
                        }
                    })
                    .collect();
                for &i in candidates {
                    let Some(a) = flat.actions.get(i as usize) else {
                        continue;
                    };
                    let class = classes.of(i);
                    for &r in &ids {
                        let known = &mut decided[r][class];
                        if *known == Known::Unasked {
                            req.action.clear();
                            req.action.push_str(a.full);
                            let res = req.resource.get_or_insert_default();
                            res.clear();
                            res.push_str(resources[r]);
                            // The kind of `evaluate_quiet`'s decision (held
                            // equal on the managed-policy corpus), without
                            // its evidence.
                            *known = match set.outcome_alone(&req) {
                                Outcome::Allowed => Known::Allowed,
                                Outcome::Undecided => Known::Conditional,
                                Outcome::Denied | Outcome::NotAllowed => Known::Not,
                            };
                        }
                        let conditional = match *known {
                            Known::Allowed => false,
                            Known::Conditional => true,
                            Known::Not | Known::Unasked => continue,
                        };
                        let g = *slots.entry(a.slot).or_insert_with(|| {
                            grants.push((a.action.service, a.action.level, LevelGrant::default()));
                            granted_on.push(Vec::new());
                            grants.len() - 1
                        });
                        let level = &mut grants[g].2;
                        let (word, bit) = (i as usize / 64, 1u64 << (i % 64));
                        if counted[word] & bit == 0 {
                            counted[word] |= bit;
                            level.count += 1;
                            if level.examples.len() < EXAMPLES {
                                level.examples.push(a.full);
                            }
                        }
                        let on = &mut granted_on[g];
                        if on.len() < EXAMPLES && !on.contains(&r) {
                            on.push(r);
                        }
                        level.conditional |= conditional;
                    }
                }
            }
        }
        for ((service, level, mut g), on) in grants.into_iter().zip(granted_on) {
            g.resources = on.iter().map(|&r| resources[r].to_string()).collect();
            out.permissions
                .entry(service)
                .or_default()
                .insert(level.as_str(), g);
        }
        out
    }
}

/// A document listing at least this many actions has its split of the
/// catalogue kept (AWS's ReadOnlyAccess lists about 6,700).
const LARGE: usize = 2048;

/// A policy document's Action lists as places in [`actions::flat`].
pub(crate) struct DocActions {
    _doc: Arc<PolicyDocument>,
    /// Per statement: the actions its Action (or NotAction) patterns match,
    /// each once, in the order the patterns name them.
    listed: Vec<Rc<[u32]>>,
    /// How many places `listed` holds in all.
    total: usize,
    /// The catalogue split by this document's statements alone (each
    /// action's class, and how many classes), made when asked.
    classes: std::cell::OnceCell<Rc<(Vec<u32>, usize)>>,
}

impl DocActions {
    fn classes(&self, actions: usize) -> Rc<(Vec<u32>, usize)> {
        Rc::clone(self.classes.get_or_init(|| {
            let mut c = Classes::new(actions);
            self.listed.iter().for_each(|l| c.split(l));
            Rc::new((c.class, c.moved.len()))
        }))
    }
}

/// What is known of a (class, resource).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    Unasked,
    Allowed,
    Conditional,
    Not,
}

/// A split of the catalogue's actions into classes, each list of actions
/// given to [`Classes::split`] a union of classes.
struct Classes {
    /// Each action's class.
    class: Vec<u32>,
    /// Per class: the split that last moved some of it, and where to.
    moved: Vec<(u32, u32)>,
    /// Per action: the last split that moved it.
    seen: Vec<u32>,
    split: u32,
}

impl Classes {
    fn new(actions: usize) -> Classes {
        Classes {
            class: vec![0; actions],
            moved: vec![(0, 0)],
            seen: vec![0; actions],
            split: 0,
        }
    }

    /// Starting from a split already made (each action's class, and how
    /// many classes).
    fn from(made: &(Vec<u32>, usize)) -> Classes {
        Classes {
            class: made.0.clone(),
            moved: vec![(0, 0); made.1],
            seen: vec![0; made.0.len()],
            split: 0,
        }
    }

    fn count(&self) -> usize {
        self.moved.len()
    }

    fn of(&self, action: u32) -> usize {
        self.class.get(action as usize).map_or(0, |&c| c as usize)
    }

    /// Moves the listed actions of each class into a class of their own.
    fn split(&mut self, listed: &[u32]) {
        self.split += 1;
        for &i in listed {
            let i = i as usize;
            if i >= self.class.len() || self.seen[i] == self.split {
                continue;
            }
            self.seen[i] = self.split;
            let from = self.class[i] as usize;
            let (by, to) = self.moved[from];
            let to = if by == self.split {
                to
            } else {
                let to = u32::try_from(self.moved.len()).unwrap_or(u32::MAX);
                self.moved.push((0, 0));
                self.moved[from] = (self.split, to);
                to
            };
            self.class[i] = to;
        }
    }
}

pub fn write(r: &Reach, format: QueryFormat, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    match format {
        QueryFormat::Json => {
            let text = serde_json::to_string_pretty(r).map_err(io::Error::other)?;
            w.write_all(text.as_bytes())?;
            writeln!(w)
        }
        QueryFormat::Table | QueryFormat::Markdown => {
            text(r, format == QueryFormat::Markdown, limit, w)
        }
    }
}

fn text(r: &Reach, md: bool, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    let h = |level: usize, s: &str| {
        if md {
            format!("{} {s}", "#".repeat(level + 1))
        } else {
            s.to_string()
        }
    };
    let cap = |n: usize| if limit == 0 { n } else { n.min(limit) };
    // Markdown: one line per item (a renderer wraps it); tables: 80 columns.
    let puth = |text: &str, first: usize, rest: usize| -> Vec<String> {
        if md {
            vec![format!("{}{}", " ".repeat(first.min(2)), text)]
        } else {
            hang(text, first, rest)
        }
    };
    let put = |text: &str, indent: usize| -> Vec<String> { puth(text, indent, indent) };
    let mut lines = vec![
        h(1, &format!("Reach of {}", r.subject.label())),
        String::new(),
    ];
    lines.push(h(2, "Kubernetes rules"));
    if r.kubernetes_rules.is_empty() {
        lines.push("  (none)".into());
    }
    for (scope, rules) in &r.kubernetes_rules {
        lines.push(format!("  {scope}:"));
        for rule in rules.iter().take(cap(rules.len())) {
            lines.extend(puth(&format!("- {rule}"), 4, 6));
        }
        if cap(rules.len()) < rules.len() {
            lines.push(format!(
                "    … {} more (-o json for all)",
                rules.len() - cap(rules.len())
            ));
        }
    }
    lines.push(String::new());
    lines.push(h(
        2,
        &format!("Identities it can become ({})", r.becomes.len()),
    ));
    for b in r.becomes.iter().take(cap(r.becomes.len())) {
        let hops: Vec<String> = b
            .path
            .iter()
            .map(|h| format!("{} {}", h.edge, h.to.label()))
            .collect();
        lines.extend(put(
            &format!("- {}: {}", b.identity.label(), hops.join(" → ")),
            2,
        ));
    }
    if cap(r.becomes.len()) < r.becomes.len() {
        lines.push(format!(
            "  … {} more (-o json for all)",
            r.becomes.len() - cap(r.becomes.len())
        ));
    }
    lines.push(String::new());
    lines.push(h(2, &format!("IAM roles obtained ({})", r.roles.len())));
    let shown = cap(r.roles.len());
    for role in r.roles.iter().take(shown) {
        lines.push(String::new());
        lines.extend(put(
            &format!("{} [{}]", role.role, role.decision.as_str()),
            2,
        ));
        let hops: Vec<String> = role
            .path
            .iter()
            .map(|h| format!("{} {}", h.edge, h.to.label()))
            .collect();
        lines.extend(put(&format!("via: {}", hops.join(" → ")), 4));
        for c in &role.conditions {
            lines.extend(put(&format!("only if: {c}"), 4));
        }
        for f in &role.flagged {
            lines.extend(put(&format!("flagged: {f}"), 4));
        }
        for p in &role.problems {
            lines.extend(put(&format!("not evaluated: {p}"), 4));
        }
        let services = role.permissions.len();
        for (svc, levels) in role.permissions.iter().take(cap(services)) {
            let parts: Vec<String> = levels
                .iter()
                .map(|(l, g)| {
                    format!(
                        "{l} {}{} ({}; on {})",
                        g.count,
                        if g.conditional { " conditional" } else { "" },
                        g.examples.join(", "),
                        g.resources.join(", ")
                    )
                })
                .collect();
            lines.extend(puth(&format!("{svc}: {}", parts.join("; ")), 4, 6));
        }
        if cap(services) < services {
            lines.push(format!(
                "    … {} more {} (-o json for all)",
                services - cap(services),
                if services - cap(services) == 1 {
                    "service"
                } else {
                    "services"
                }
            ));
        }
    }
    if shown < r.roles.len() {
        // What the hidden roles are flagged for, so that none is lost from sight.
        let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
        let hidden = &r.roles[shown..];
        for role in hidden {
            let mut seen: Vec<&str> = Vec::new();
            for f in &role.flagged {
                let rule = f.split_once(' ').map_or(f.as_str(), |(r, _)| r);
                if !seen.contains(&rule) {
                    seen.push(rule);
                    *rules.entry(rule).or_default() += 1;
                }
            }
        }
        let flagged = hidden.iter().filter(|r| !r.flagged.is_empty()).count();
        let why = if flagged == 0 {
            String::new()
        } else {
            let each: Vec<String> = rules.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
            format!(", {flagged} flagged ({})", each.join(", "))
        };
        lines.push(String::new());
        lines.extend(put(
            &format!(
                "… {} more {}{why} (--limit 0 or -o json for all)",
                hidden.len(),
                if hidden.len() == 1 { "role" } else { "roles" }
            ),
            2,
        ));
    }
    for l in lines {
        writeln!(w, "{}", l.trim_end())?;
    }
    Ok(())
}
