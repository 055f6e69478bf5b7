//! `reach`: a subject's blast radius — its Kubernetes rules, the identities it
//! can become, the IAM roles it obtains, and each role's effective permissions
//! per service and access level (the action catalogue's levels), with what the
//! IAM rules would flag.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;

use crate::policy::actions::{self, AccessLevel};
use crate::policy::iam::{Effect, Outcome};

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
    pub permissions: BTreeMap<String, BTreeMap<String, LevelGrant>>,
    /// IAM-00x hits of the role, as the audit's IAM rules classify it.
    pub flagged: Vec<String>,
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize, Default)]
pub struct LevelGrant {
    pub count: usize,
    pub examples: Vec<String>,
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

    /// The catalogue actions `pattern` matches ([`actions::expand_named`]),
    /// expanded once per pattern.
    fn expanded(&self, pattern: &str) -> super::Expanded {
        if let Some(e) = self.expanded.borrow().get(pattern) {
            return std::rc::Rc::clone(e);
        }
        let e: super::Expanded = actions::expand_named(pattern).into();
        self.expanded
            .borrow_mut()
            .insert(pattern.to_string(), std::rc::Rc::clone(&e));
        e
    }

    /// One role's effective permissions, per service and access level: every
    /// catalogue action an Allow statement names (or, for NotAction, leaves out)
    /// asked of `PermissionSet::evaluate` on the statement's resources.
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
        out.flagged = crate::audit::iam::classify(&set)
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
        // One request, its action and resource set for each question; each
        // (action, resource) asked once; an action counted once per level
        // whatever the resources it is allowed on.
        let mut req = self.iam_request(&AwsAction::default(), arn, "", "");
        let mut done: crate::hashing::HashSet<(&'static str, &str)> = Default::default();
        let mut counted: crate::hashing::HashSet<&'static str> = Default::default();
        for p in &set.policies {
            for s in &p.doc.statements {
                if s.effect != Effect::Allow {
                    continue;
                }
                let candidates: Vec<super::Expanded> = if s.action.negated {
                    vec![self.expanded("*")]
                } else {
                    s.action.values.iter().map(|v| self.expanded(v)).collect()
                };
                let resources: Vec<&str> = match &s.resource {
                    Some(r) if !r.negated => r.values.iter().map(String::as_str).collect(),
                    _ => vec!["*"],
                };
                for &(a, name) in candidates.iter().flat_map(|c| c.iter()) {
                    for &res in &resources {
                        if !done.insert((name, res)) {
                            continue;
                        }
                        req.action.clear();
                        req.action.push_str(name);
                        let r = req.resource.get_or_insert_default();
                        r.clear();
                        r.push_str(res);
                        // The kind of `evaluate_quiet`'s decision (held equal
                        // on the managed-policy corpus), without its evidence.
                        let conditional = match set.outcome_alone(&req) {
                            Outcome::Allowed => false,
                            Outcome::Undecided => true,
                            Outcome::Denied | Outcome::NotAllowed => continue,
                        };
                        let level = out
                            .permissions
                            .entry(a.service.to_string())
                            .or_default()
                            .entry(level_name(a.level).to_string())
                            .or_default();
                        if counted.insert(name) {
                            level.count += 1;
                            if level.examples.len() < EXAMPLES {
                                level.examples.push(name.to_string());
                            }
                        }
                        if level.resources.len() < EXAMPLES
                            && !level.resources.iter().any(|r| r == res)
                        {
                            level.resources.push(res.to_string());
                        }
                        level.conditional |= conditional;
                    }
                }
            }
        }
        out
    }
}

fn level_name(l: AccessLevel) -> &'static str {
    l.as_str()
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
    for role in &r.roles {
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
                "    … {} more services (-o json for all)",
                services - cap(services)
            ));
        }
    }
    for l in lines {
        writeln!(w, "{}", l.trim_end())?;
    }
    Ok(())
}
