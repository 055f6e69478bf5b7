//! The symbolic queries behind "does it allow all of Q on every resource?":
//! which statements cover or touch an action pattern and its resources, the
//! union of several policies, and the memo that shares the work across rules.

use super::*;

/// The answer to "does it allow all of Q on every resource?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The grant depends on a condition (of an Allow, of a Deny, or an uncollected boundary).
    pub conditional: bool,
    /// The statements that grant it.
    pub by: Vec<StmtRef>,
    /// Extra facts (conditions, boundaries, Denies that narrow it).
    pub notes: Vec<String>,
}

impl Grant {
    /// `inline policy x Statement[0]; …` plus notes, for evidence.
    pub fn evidence(&self) -> String {
        let by: Vec<String> = self.by.iter().map(|s| s.to_string()).collect();
        let mut s = by.join("; ");
        if !self.notes.is_empty() {
            s.push_str(" (");
            s.push_str(&self.notes.join("; "));
            s.push(')');
        }
        s
    }
}

/// The service an action pattern belongs to (`s3:Get*` → `s3`; `*` → `*`).
pub(super) fn service_of(q: &str) -> &str {
    q.split_once(':').map(|(s, _)| s).unwrap_or("*")
}

pub(super) fn has_wildcard(s: &str) -> bool {
    s.bytes().any(|b| b == b'*' || b == b'?')
}

/// Cheap pre-test: two action patterns with different literal services never meet.
fn same_service(p: &str, q: &str) -> bool {
    let (ps, qs) = (service_of(p.trim()), service_of(q));
    has_wildcard(ps) || has_wildcard(qs) || ps.eq_ignore_ascii_case(qs)
}

/// Does pattern `p` cover every action matched by `q`?
pub(super) fn covers(p: &str, q: &str) -> bool {
    if !same_service(p, q) {
        return false;
    }
    if has_wildcard(q) {
        // A literal names one action; it cannot cover a wildcard's many.
        has_wildcard(p) && pattern_covers(p.trim(), q, true)
    } else {
        action_matches(p, q)
    }
}

/// Does the statement's Action/NotAction cover every action of `q`?
pub(super) fn stmt_covers_action(s: &Statement, q: &str) -> bool {
    if s.action.negated {
        let candidates = s.patterns_for(q);
        !candidates
            .iter()
            .any(|p| patterns_intersect(p.trim(), q, true))
    } else if has_wildcard(service_of(q)) {
        // Only a pattern whose service is a wildcard can cover the actions of
        // every service `q` matches (`*:*`, `s3*:Get*`): the patterns of a big
        // managed policy naming one service each are not even looked at.
        s.action_index
            .get("*")
            .is_some_and(|ix| ix.iter().any(|&i| covers(&s.action.values[i], q)))
    } else {
        s.patterns_for(q).iter().any(|p| covers(p, q))
    }
}

/// Whether a resource pattern means "every resource" for a service: `*`,
/// `arn:…:*`, or a whole resource type (`arn:aws:iam::*:role/*`, `…:secret:*`).
pub fn broad_resource(pattern: &str, service: &str) -> bool {
    let p = pattern.trim();
    if p == "*" {
        return true;
    }
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return false;
    }
    let svc = parts[2];
    if !(svc == "*" || service == "*" || svc.eq_ignore_ascii_case(service)) {
        return false;
    }
    let rest = parts[5];
    if rest.chars().all(|c| c == '*') {
        return true;
    }
    if svc.eq_ignore_ascii_case("s3") {
        // S3 resources start with the bucket name, not a type.
        return rest == "*/*";
    }
    // A literal resource type followed only by a wildcard.
    let (ty, tail) = match rest.find(['/', ':']) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => return false,
    };
    !ty.is_empty() && !has_wildcard(ty) && !tail.is_empty() && tail.chars().all(|c| c == '*')
}

/// Whether a resource pattern can match some resource of `service` (`*` for any).
fn resource_touches(pattern: &str, service: &str) -> bool {
    let parts: Vec<&str> = pattern.trim().splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        // `*`, or a pattern that is not an ARN: it may match anything.
        return true;
    }
    let svc = parts[2];
    service == "*" || has_wildcard(svc) || svc.eq_ignore_ascii_case(service)
}

/// Does the statement's Resource/NotResource take in every resource of every
/// action of `q`? Only `*` does for a wildcard `q`: its actions include some
/// that take no resource ARN at all (`s3:ListAllMyBuckets` needs `"Resource":
/// "*"`), so `arn:aws:s3:::*` is not all of `s3:*`. For one action, a pattern
/// covering its whole service or resource type ([`broad_resource`]) is. A
/// `NotResource` leaves out what it names, unless that is outside q's service.
fn stmt_all_resources(s: &Statement, q: &str) -> bool {
    let service = service_of(q);
    match &s.resource {
        None => true,
        Some(spec) if spec.negated => !spec.values.iter().any(|p| resource_touches(p, service)),
        Some(spec) if has_wildcard(q) => spec.values.iter().any(|p| p.trim() == "*"),
        Some(spec) => spec.values.iter().any(|p| broad_resource(p, service)),
    }
}

/// Could the statement's Action/NotAction match some action of `q`?
fn stmt_touches_action(s: &Statement, q: &str) -> bool {
    if s.action.negated {
        !stmt_covers_action_negated_all(s, q)
    } else {
        s.action
            .values
            .iter()
            .any(|p| same_service(p, q) && patterns_intersect(p.trim(), q, true))
    }
}

/// For a NotAction statement: does its NotAction list exclude every action of `q`?
fn stmt_covers_action_negated_all(s: &Statement, q: &str) -> bool {
    s.action.values.iter().any(|p| covers(p, q))
}

/// Could the statement's Resource/NotResource match some resource of `q`'s service?
fn stmt_touches_resources(s: &Statement, q: &str) -> bool {
    let service = service_of(q);
    match &s.resource {
        None => true,
        Some(spec) if spec.negated => !spec.values.iter().any(|p| p.trim() == "*"),
        Some(spec) => spec.values.iter().any(|p| resource_touches(p, service)),
    }
}

/// How a resource spec reads in evidence.
fn resource_note(s: &Statement) -> Option<String> {
    match &s.resource {
        Some(spec) if spec.negated => Some(format!(
            "on every resource except {}",
            short_list(&spec.values)
        )),
        _ => None,
    }
}

/// What one policy says about an action pattern `q`, for [`docs_grant_with`]: the
/// statements that matter, found once per (policy, q) and shared by every
/// principal the policy is attached to.
#[derive(Debug, Default)]
pub struct PolicyOnQuery {
    /// The first unconditional / conditional Allow of all of q on every resource.
    first_unconditional: Option<usize>,
    first_conditional: Option<usize>,
    /// Deny statements that can apply to some of q.
    denies: Vec<usize>,
    /// An Allow that could grant part of a wildcard q ([`union_grant`]).
    partial: bool,
}

impl PolicyOnQuery {
    pub(super) fn of(doc: &PolicyDocument, q: &str) -> PolicyOnQuery {
        let mut out = PolicyOnQuery::default();
        let service = service_of(q);
        let piecewise = has_wildcard(q) && !has_wildcard(service);
        let whole_service = format!("{service}:*");
        for (i, s) in doc.statements.iter().enumerate() {
            match s.effect {
                Effect::Allow => {
                    if stmt_covers_action(s, q) && stmt_all_resources(s, q) {
                        if s.has_conditions() {
                            out.first_conditional.get_or_insert(i);
                        } else {
                            out.first_unconditional.get_or_insert(i);
                        }
                    }
                    out.partial |= piecewise && union_relevant(s, service, &whole_service);
                }
                Effect::Deny => {
                    if stmt_touches_action(s, q) && stmt_touches_resources(s, q) {
                        out.denies.push(i);
                    }
                }
            }
        }
        out
    }
}

/// Answers of [`PolicyOnQuery`] kept across principals, by action pattern and
/// policy. Only for documents that outlive the memo (managed policies held by
/// the graph): keyed by the document's address.
#[derive(Debug, Default)]
pub struct GrantMemo {
    by_query: HashMap<String, HashMap<usize, Arc<PolicyOnQuery>>>,
}

impl GrantMemo {
    pub(super) fn get(&mut self, doc: &Arc<PolicyDocument>, q: &str) -> Arc<PolicyOnQuery> {
        let key = Arc::as_ptr(doc) as usize;
        if let Some(m) = self.by_query.get(q)
            && let Some(a) = m.get(&key)
        {
            return a.clone();
        }
        let a = Arc::new(PolicyOnQuery::of(doc, q));
        self.by_query
            .entry(q.to_string())
            .or_default()
            .insert(key, a.clone());
        a
    }
}

/// Whether `policies` allow all of `q` on every resource, after their Denies,
/// from each policy's [`PolicyOnQuery`] (`of` gives it for the policy at an
/// index, computed or kept).
pub(super) fn docs_grant_with(
    policies: &[NamedPolicy],
    q: &str,
    of: &mut dyn FnMut(usize, &NamedPolicy) -> Arc<PolicyOnQuery>,
) -> Option<Grant> {
    let on: Vec<Arc<PolicyOnQuery>> = policies.iter().enumerate().map(|(i, p)| of(i, p)).collect();
    // The Allow that grants all of q on every resource: the first unconditional
    // one, else the first conditional one.
    let chosen = policies
        .iter()
        .zip(&on)
        .find_map(|(p, o)| o.first_unconditional.map(|i| (p, i)))
        .or_else(|| {
            policies
                .iter()
                .zip(&on)
                .find_map(|(p, o)| o.first_conditional.map(|i| (p, i)))
        });
    let mut grant = match chosen {
        Some((p, i)) => {
            let s = &p.doc.statements[i];
            let mut g = Grant {
                conditional: s.has_conditions(),
                by: vec![StmtRef::of(&p.name, s)],
                notes: Vec::new(),
            };
            if s.has_conditions() {
                g.notes.push(format!("when {}", s.conditions_text()));
            }
            if let Some(n) = resource_note(s) {
                g.notes.push(n);
            }
            g
        }
        None if on.iter().any(|o| o.partial) => union_grant(policies, q)?,
        None => return None,
    };
    // An explicit Deny that can apply to any of q (some of its actions on some of
    // their resources) means q is not allowed in full ("policy evaluation logic":
    // an explicit deny overrides any allow): the claim goes. With a condition,
    // the claim becomes conditional and says which Deny, and whether it covers
    // all of q or only part.
    for (p, o) in policies.iter().zip(&on) {
        for &i in &o.denies {
            let s = &p.doc.statements[i];
            if !s.has_conditions() {
                return None;
            }
            let whole = stmt_covers_action(s, q) && stmt_all_resources(s, q);
            grant.conditional = true;
            grant.notes.push(format!(
                "unless Deny {} {} applies{}: {}",
                p.name,
                s.label(),
                if whole { "" } else { " (to part of it)" },
                s.conditions_text()
            ));
        }
    }
    Some(grant)
}

/// Whether an Allow statement can contribute to granting `service:*` piecewise.
fn union_relevant(s: &Statement, service: &str, whole_service: &str) -> bool {
    // Each action must be granted on every resource, including the actions that
    // take none: only `*` (or a NotResource outside the service) does that for all.
    // The statement's patterns by service (lowercase, `*` for a wildcard
    // service) say whether one names `service` without reading them all.
    s.effect == Effect::Allow
        && (s.action.negated
            || s.action_index.contains_key("*")
            || s.action_index.contains_key(service)
            || (service.bytes().any(|b| b.is_ascii_uppercase())
                && s.action_index
                    .contains_key(service.to_ascii_lowercase().as_str())))
        && stmt_all_resources(s, whole_service)
}

/// A wildcard `q` granted piecewise: every catalogue action of it allowed by some statement.
fn union_grant(policies: &[NamedPolicy], q: &str) -> Option<Grant> {
    if !has_wildcard(q) {
        return None;
    }
    let service = service_of(q);
    if has_wildcard(service) {
        return None;
    }
    let whole_service = format!("{service}:*");
    // Only statements that mention this service can contribute.
    let relevant: Vec<(&NamedPolicy, &Statement)> = policies
        .iter()
        .flat_map(|p| p.doc.statements.iter().map(move |s| (p, s)))
        .filter(|(_, s)| union_relevant(s, service, &whole_service))
        .collect();
    if relevant.is_empty() {
        return None;
    }
    let all = actions::service_full_names(service);
    let wanted: Vec<&String> = if q.ends_with(":*") && q.len() == service.len() + 2 {
        all.iter().collect()
    } else {
        let toks = actions::tokens(q, true);
        all.iter()
            .filter(|a| actions::match_tokens(&toks, a, true))
            .collect()
    };
    if wanted.is_empty() {
        return None;
    }
    let mut used: Vec<StmtRef> = Vec::new();
    let mut conditional = false;
    for name in &wanted {
        let mut hit: Option<&(&NamedPolicy, &Statement)> = None;
        for r in &relevant {
            if stmt_covers_action(r.1, name) {
                if !r.1.has_conditions() {
                    hit = Some(r);
                    break;
                }
                hit.get_or_insert(r);
            }
        }
        let (p, s) = hit?;
        conditional |= s.has_conditions();
        let sref = StmtRef::of(&p.name, s);
        if !used.contains(&sref) {
            used.push(sref);
        }
    }
    Some(Grant {
        conditional,
        by: used,
        notes: vec![format!(
            "every one of the {} actions of {q}, across statements",
            wanted.len()
        )],
    })
}
