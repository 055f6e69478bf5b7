//! A principal's identity policies and permissions boundary ([`PermissionSet`]),
//! and what it answers: evaluate a request, or ask whether it grants an action
//! pattern everywhere (with the helpers in `grant`). Built from parsed
//! documents; it does not look up roles or policies in the inventory itself.

use super::*;
use std::rc::Rc;

/// A parsed policy with a name for evidence (`inline policy x`, `managed policy arn:…`).
#[derive(Debug, Clone)]
pub struct NamedPolicy {
    pub name: String,
    /// Shared: a managed policy is parsed once for every role it is attached to.
    pub doc: Arc<PolicyDocument>,
}

/// The permissions boundary of a principal.
#[derive(Debug, Clone)]
pub enum Boundary {
    Known(NamedPolicy),
    /// Set, but its document was not collected: grants are then only possible.
    Unknown(String),
}

/// Shared documents' [`Tally`] for one request (see [`PermissionSet::outcome`]).
#[derive(Debug, Default)]
pub struct TallyMemo {
    /// By document address: its tally (`None` when its answer depends on the
    /// principal) and the statements whose Action takes in the request's
    /// action.
    docs: HashMap<usize, (Option<Tally>, Rc<[u32]>)>,
    held: Vec<Arc<PolicyDocument>>,
    /// By document address, across requests: whether its answer depends on
    /// the principal ([`depends_on_principal`]); `kept` holds the documents.
    principal: HashMap<usize, bool>,
    kept: Vec<Arc<PolicyDocument>>,
}

impl TallyMemo {
    /// Forget the request's answers (what depends on the documents alone stays).
    pub fn clear(&mut self) {
        self.docs.clear();
        self.held.clear();
    }

    /// A document's [`Tally`] of `req`; kept when it is `shared` (a managed
    /// policy or boundary) and its answer is the same for every principal.
    fn tally(&mut self, doc: &Arc<PolicyDocument>, shared: bool, req: &Request) -> Tally {
        if !shared {
            return Tally::of(doc, req);
        }
        let key = Arc::as_ptr(doc) as usize;
        match self.docs.get(&key) {
            Some((Some(t), _)) => *t,
            // Its answer depends on the principal, not which statements take
            // in the action: only those are read.
            Some((None, hits)) => {
                let mut t = Tally::default();
                for s in hits.iter().filter_map(|&k| doc.statements.get(k as usize)) {
                    t.add(Tally::of_statement(s, req));
                    if t.denied {
                        break;
                    }
                }
                t
            }
            None => {
                let mut hits = Vec::new();
                let t = Tally::of_noting(doc, req, &mut hits);
                let depends = match self.principal.get(&key) {
                    Some(&d) => d,
                    None => {
                        let d = depends_on_principal(doc);
                        self.principal.insert(key, d);
                        self.kept.push(Arc::clone(doc));
                        d
                    }
                };
                self.docs
                    .insert(key, ((!depends).then_some(t), hits.into()));
                // The memo holds the document too, so that its address
                // names it for as long as the memo lives.
                self.held.push(Arc::clone(doc));
                t
            }
        }
    }

    /// The statements of a document [`TallyMemo::tally`] has read whose
    /// Action takes in the request's action (all of them if it has not).
    fn hits(&self, doc: &Arc<PolicyDocument>) -> Option<Rc<[u32]>> {
        let key = Arc::as_ptr(doc) as usize;
        self.docs.get(&key).map(|(_, h)| Rc::clone(h))
    }
}

/// A place in a policy or statement list, as `u32` (lists that long do not exist).
fn place(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// A principal's identity policies and boundary, ready for queries.
#[derive(Debug, Clone, Default)]
pub struct PermissionSet {
    pub policies: Vec<NamedPolicy>,
    pub boundary: Option<Boundary>,
    /// Policies that could not be used (not collected, not parseable).
    pub problems: Vec<String>,
    /// How many of `policies`, the first ones, are the principal's inline policies.
    pub inline: usize,
}

/// The services a principal's inline policies name (see [`PermissionSet::inline_bears_on`]).
#[derive(Debug, Clone, Default)]
pub struct InlineScope {
    any_statement: bool,
    /// A NotAction, or an action whose service has a wildcard.
    every_service: bool,
    services: std::collections::BTreeSet<String>,
}

impl InlineScope {
    /// Adds what one statement's actions name.
    fn name(&mut self, s: &Statement) {
        self.any_statement = true;
        if s.action.negated {
            self.every_service = true;
        }
        for a in &s.action.values {
            let svc = service_of(a.trim());
            if has_wildcard(svc) {
                self.every_service = true;
            } else {
                self.services.insert(svc.to_ascii_lowercase());
            }
        }
    }

    /// Whether a statement could bear on action pattern `q`.
    pub fn bears_on(&self, q: &str) -> bool {
        let qs = service_of(q);
        if !self.any_statement {
            return false;
        }
        if self.every_service || has_wildcard(qs) {
            return true;
        }
        if qs.bytes().any(|b| b.is_ascii_uppercase()) {
            self.services.contains(&qs.to_ascii_lowercase())
        } else {
            self.services.contains(qs)
        }
    }
}

impl PermissionSet {
    /// The identity policies of a role: inline, then attached managed (default version),
    /// with its permissions boundary. `lookup` finds a managed policy by ARN.
    pub fn for_role<'p>(
        role: &IamRole,
        lookup: impl Fn(&str) -> Option<&'p ManagedPolicy>,
    ) -> PermissionSet {
        PermissionSet::for_role_parsed(role, |arn| {
            lookup(arn)
                .and_then(|m| m.document.as_ref())
                .map(|d| parse_document(d).map(Arc::new))
        })
    }

    /// As [`PermissionSet::for_role`], with managed policies already parsed:
    /// `managed` gives a policy's default version by ARN (`None`: not collected).
    pub fn for_role_parsed(
        role: &IamRole,
        mut managed: impl FnMut(&str) -> Option<Result<Arc<PolicyDocument>, ParseError>>,
    ) -> PermissionSet {
        let mut set = PermissionSet::default();
        for ip in &role.inline_policies {
            let name = format!("inline policy {}", ip.name);
            match parse_document(&ip.document) {
                Ok(doc) => set.policies.push(NamedPolicy {
                    name,
                    doc: Arc::new(doc),
                }),
                Err(e) => set.problems.push(format!("{name}: {e}")),
            }
        }
        set.inline = set.policies.len();
        for ap in &role.attached_policies {
            let name = format!(
                "managed policy {}",
                if ap.name.is_empty() {
                    &ap.arn
                } else {
                    &ap.name
                }
            );
            match managed(&ap.arn) {
                Some(Ok(doc)) => set.policies.push(NamedPolicy { name, doc }),
                Some(Err(e)) => set.problems.push(format!("{name}: {e}")),
                None => set.problems.push(format!(
                    "{name} ({}): its document was not collected",
                    ap.arn
                )),
            }
        }
        if let Some(b) = &role.permissions_boundary {
            let name = format!("permissions boundary {b}");
            set.boundary = Some(match managed(b) {
                Some(Ok(doc)) => Boundary::Known(NamedPolicy { name, doc }),
                Some(Err(e)) => {
                    set.problems.push(format!("{name}: {e}"));
                    Boundary::Unknown(b.clone())
                }
                None => Boundary::Unknown(b.clone()),
            });
        }
        set
    }

    /// A set of documents with no boundary.
    pub fn of(policies: Vec<NamedPolicy>) -> PermissionSet {
        PermissionSet {
            policies,
            boundary: None,
            problems: Vec::new(),
            inline: 0,
        }
    }

    /// Whether a statement of the inline policies could bear on action pattern
    /// `q` (allow or deny any of it): one naming q's service or a wildcard
    /// service, or a NotAction. When none does, what the set allows of `q` is
    /// what its managed policies and boundary allow, the same for every
    /// principal with those.
    pub fn inline_bears_on(&self, q: &str) -> bool {
        self.inline_scope().bears_on(q)
    }

    /// What the Allow statements of one document name, for
    /// [`InlineScope::bears_on`]: when none of a principal's documents can bear
    /// on an action, nothing allows it, whatever the resource, the conditions
    /// or the boundary.
    pub fn allow_scope(doc: &PolicyDocument) -> InlineScope {
        let mut scope = InlineScope::default();
        for s in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
            scope.name(s);
        }
        scope
    }

    /// What the inline policies' statements name, for [`InlineScope::bears_on`].
    pub fn inline_scope(&self) -> InlineScope {
        let mut scope = InlineScope::default();
        for s in self.policies[..self.inline.min(self.policies.len())]
            .iter()
            .flat_map(|p| &p.doc.statements)
        {
            scope.name(s);
        }
        scope
    }

    /// Does it allow every action `q` matches (`iam:PassRole`, `s3:*`, `*:*`) on every
    /// resource, after explicit Denies and the permissions boundary?
    pub fn allows_all(&self, q: &str) -> Option<Grant> {
        self.allows_all_inner(q, None)
    }

    /// [`PermissionSet::allows_all`], with what each managed policy and the
    /// boundary say about `q` kept in `memo` for the next principal that has
    /// them. The memo may only outlive documents it has seen when they stay
    /// alive (the graph holds managed policies for the whole audit).
    pub fn allows_all_memo(&self, q: &str, memo: &mut GrantMemo) -> Option<Grant> {
        self.allows_all_inner(q, Some(memo))
    }

    fn allows_all_inner(&self, q: &str, mut memo: Option<&mut GrantMemo>) -> Option<Grant> {
        let inline = self.inline;
        let mut of = |i: usize, p: &NamedPolicy| -> Arc<PolicyOnQuery> {
            match memo.as_deref_mut() {
                // Inline policies are the principal's own: not worth keeping.
                Some(m) if i >= inline => m.get(&p.doc, q),
                _ => Arc::new(PolicyOnQuery::of(&p.doc, q)),
            }
        };
        let mut grant = docs_grant_with(&self.policies, q, &mut of)?;
        match &self.boundary {
            None => {}
            Some(Boundary::Known(b)) => {
                let bg =
                    docs_grant_with(std::slice::from_ref(b), q, &mut |_, p| of(usize::MAX, p))?;
                if bg.conditional {
                    grant.conditional = true;
                    grant
                        .notes
                        .push(format!("{} allows it only conditionally", b.name));
                    grant.notes.extend(bg.notes);
                } else {
                    grant.notes.push(format!("{} allows it too", b.name));
                }
            }
            Some(Boundary::Unknown(arn)) => {
                grant.conditional = true;
                grant.notes.push(format!(
                    "permissions boundary {arn} was not collected and may narrow it"
                ));
            }
        }
        Some(grant)
    }

    /// Does it allow `*` on `*` (AdministratorAccess or equivalent)?
    pub fn allows_everything(&self) -> Option<Grant> {
        self.allows_all("*:*")
    }

    /// Does it allow every action of a service (`s3` → `s3:*`)?
    pub fn allows_service(&self, service: &str) -> Option<Grant> {
        self.allows_all(&format!("{service}:*"))
    }

    /// Allow statements that use `NotAction` (and are not cut off by the boundary).
    pub fn allow_not_action(&self) -> Vec<(StmtRef, String)> {
        let mut out = Vec::new();
        for p in &self.policies {
            for s in &p.doc.statements {
                if s.effect == Effect::Allow && s.action.negated {
                    out.push((StmtRef::of(&p.name, s), s.summary()));
                }
            }
        }
        if let Some(Boundary::Known(b)) = &self.boundary {
            // A boundary that allows nothing beyond named actions defuses NotAction.
            let boundary_open = b.doc.statements.iter().any(|s| {
                s.effect == Effect::Allow
                    && (s.action.negated
                        || s.action.values.iter().any(|a| has_wildcard(service_of(a))))
            });
            if !boundary_open {
                out.clear();
            }
        }
        out
    }

    /// Evaluate a concrete request against these policies and the boundary.
    pub fn evaluate(&self, req: &Request) -> Decision {
        self.evaluate_by(req, evaluate)
    }

    /// [`PermissionSet::evaluate`]'s decision without the reasons of an
    /// implicit deny (see [`evaluate_quiet`]): for the questions, which say
    /// "no statement allows it" and judge thousands of principals each.
    pub fn evaluate_quiet(&self, req: &Request) -> Decision {
        self.evaluate_by(req, evaluate_quiet)
    }

    /// The kind of [`PermissionSet::evaluate_quiet`]'s decision, without its
    /// evidence. Documents shared between principals (managed policies,
    /// boundaries) are read once per request through `memo`, which the caller
    /// empties whenever the request changes in anything but the keys the
    /// principal determines (see [`depends_on_principal`]): judging thousands of
    /// principals that share AWS managed policies reads each policy once.
    pub fn outcome(&self, req: &Request, memo: &mut TallyMemo) -> Outcome {
        let mut t = Tally::default();
        for (i, p) in self.policies.iter().enumerate() {
            t.add(memo.tally(&p.doc, i >= self.inline, req));
            if t.denied {
                break;
            }
        }
        self.with_boundary(t.outcome(), req, memo)
    }

    /// The statements of its inline policies whose Action (or NotAction)
    /// takes in `action`, as (policy, statement) places: what
    /// [`PermissionSet::outcome_hits`] and [`PermissionSet::evaluate_quiet_hits`]
    /// read of them. It depends on the action only, not on the rest of the
    /// request, so it can serve every question about that action.
    pub fn inline_hits(&self, action: &str) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for (d, p) in self.policies[..self.inline.min(self.policies.len())]
            .iter()
            .enumerate()
        {
            for (k, st) in p.doc.statements.iter().enumerate() {
                if st.action_applies(action) {
                    out.push((place(d), place(k)));
                }
            }
        }
        out
    }

    /// [`PermissionSet::outcome`], reading of the inline policies only the
    /// statements `hits` names (its [`PermissionSet::inline_hits`] for the
    /// request's action).
    pub fn outcome_hits(
        &self,
        req: &Request,
        memo: &mut TallyMemo,
        hits: &[(u32, u32)],
    ) -> Outcome {
        let mut t = Tally::default();
        for s in hits.iter().filter_map(|&(d, k)| self.hit(d, k)) {
            t.add(Tally::of_statement(s, req));
            if t.denied {
                break;
            }
        }
        let shared = self.policies.get(self.inline..).unwrap_or_default();
        for p in shared {
            if t.denied {
                break;
            }
            t.add(memo.tally(&p.doc, true, req));
        }
        self.with_boundary(t.outcome(), req, memo)
    }

    /// [`PermissionSet::evaluate_quiet_memo`], reading of the inline
    /// policies only the statements `hits` names (see
    /// [`PermissionSet::outcome_hits`]).
    pub fn evaluate_quiet_hits(
        &self,
        req: &Request,
        memo: &mut TallyMemo,
        hits: &[(u32, u32)],
    ) -> Decision {
        // The shared documents that say something of it, each with its
        // statements whose Action takes in the action.
        let mut shared: Vec<(&NamedPolicy, Option<Rc<[u32]>>)> = Vec::new();
        for p in self.policies.get(self.inline..).unwrap_or_default() {
            if memo.tally(&p.doc, true, req) != Tally::default() {
                shared.push((p, memo.hits(&p.doc)));
            }
        }
        let inline = hits.iter().filter_map(|&(d, k)| {
            let p = self.policies.get(d as usize)?;
            Some((p.name.as_str(), self.hit(d, k)?, Some(true)))
        });
        let rest = shared.iter().flat_map(|(p, hits)| {
            let name = p.name.as_str();
            let all: Box<dyn Iterator<Item = _>> = match hits {
                Some(h) => Box::new(
                    h.iter()
                        .filter_map(|&k| p.doc.statements.get(k as usize))
                        .map(move |s| (name, s, Some(true))),
                ),
                None => Box::new(p.doc.statements.iter().map(move |s| (name, s, None))),
            };
            all
        });
        let d = evaluate_quiet_statements(inline.chain(rest), req);
        // The boundary's statements likewise: only those the memo noted.
        self.combine_by(d, |b| {
            let name = b.name.as_str();
            if memo.tally(&b.doc, true, req) == Tally::default() {
                // Nothing of it applies: it allows nothing (a quiet
                // `NotAllowed` has no reasons).
                return Decision::NotAllowed {
                    reasons: Vec::new(),
                };
            }
            match memo.hits(&b.doc) {
                Some(h) => evaluate_quiet_statements(
                    h.iter()
                        .filter_map(|&k| b.doc.statements.get(k as usize))
                        .map(|s| (name, s, Some(true))),
                    req,
                ),
                None => evaluate_quiet(&[(name, &b.doc)], req),
            }
        })
    }

    /// Statement `k` of inline policy `d` (a place of
    /// [`PermissionSet::inline_hits`]).
    pub fn inline_statement(&self, d: u32, k: u32) -> Option<&Statement> {
        self.hit(d, k)
    }

    /// Statement `k` of inline policy `d`.
    fn hit(&self, d: u32, k: u32) -> Option<&Statement> {
        self.policies[..self.inline.min(self.policies.len())]
            .get(d as usize)?
            .doc
            .statements
            .get(k as usize)
    }

    /// The identity policies' outcome `d` with the boundary's.
    fn with_boundary(&self, d: Outcome, req: &Request, memo: &mut TallyMemo) -> Outcome {
        self.with_boundary_by(d, |b| memo.tally(b, true, req))
    }

    /// Every document [`PermissionSet::outcome_alone`] reads: the identity
    /// policies' (in `policies` order) and the known boundary's. Two requests
    /// that differ only in their action, for two actions every statement of
    /// these takes in or leaves out alike, have the same outcome (no
    /// condition, variable or resource reads the action).
    pub fn deciding_documents(&self) -> impl Iterator<Item = &Arc<PolicyDocument>> {
        let boundary = match &self.boundary {
            Some(Boundary::Known(b)) => Some(&b.doc),
            _ => None,
        };
        self.policies.iter().map(|p| &p.doc).chain(boundary)
    }

    /// [`PermissionSet::outcome`] without a memo: each document read once
    /// for this one request (many requests of one principal, as `reach`
    /// asks them action by action).
    pub fn outcome_alone(&self, req: &Request) -> Outcome {
        let mut t = Tally::default();
        for p in &self.policies {
            t.add(Tally::of(&p.doc, req));
            if t.denied {
                break;
            }
        }
        self.with_boundary_by(t.outcome(), |b| Tally::of(b, req))
    }

    /// The identity policies' outcome `d` with the boundary's, `tally`
    /// reading the known boundary.
    fn with_boundary_by(
        &self,
        d: Outcome,
        tally: impl FnOnce(&Arc<PolicyDocument>) -> Tally,
    ) -> Outcome {
        let b = match &self.boundary {
            None => return d,
            Some(Boundary::Known(b)) => tally(&b.doc).outcome(),
            Some(Boundary::Unknown(_)) => {
                return match d {
                    Outcome::Allowed | Outcome::Undecided => Outcome::Undecided,
                    other => other,
                };
            }
        };
        // As `evaluate_by` combines them.
        match (d, b) {
            (Outcome::Denied, _) | (_, Outcome::Denied) => Outcome::Denied,
            (Outcome::NotAllowed, _) | (_, Outcome::NotAllowed) => Outcome::NotAllowed,
            (Outcome::Undecided, _) | (_, Outcome::Undecided) => Outcome::Undecided,
            (Outcome::Allowed, Outcome::Allowed) => Outcome::Allowed,
        }
    }

    /// [`PermissionSet::evaluate_quiet`], skipping the shared documents
    /// whose [`Tally`] in `memo` (see [`PermissionSet::outcome`]) says that
    /// none of their statements applies, even conditionally: such a document
    /// adds nothing to a quiet decision, so the decision is the same.
    pub fn evaluate_quiet_memo(&self, req: &Request, memo: &mut TallyMemo) -> Decision {
        let docs: Vec<(&str, &PolicyDocument)> = self
            .policies
            .iter()
            .enumerate()
            .filter(|(i, p)| *i < self.inline || memo.tally(&p.doc, true, req) != Tally::default())
            .map(|(_, p)| (p.name.as_str(), &*p.doc))
            .collect();
        self.combine(evaluate_quiet(&docs, req), req, evaluate_quiet)
    }

    fn evaluate_by(
        &self,
        req: &Request,
        evaluate: fn(&[(&str, &PolicyDocument)], &Request) -> Decision,
    ) -> Decision {
        let docs: Vec<(&str, &PolicyDocument)> = self
            .policies
            .iter()
            .map(|p| (p.name.as_str(), &*p.doc))
            .collect();
        self.combine(evaluate(&docs, req), req, evaluate)
    }

    /// The identity policies' decision `d` with the boundary's.
    fn combine(
        &self,
        d: Decision,
        req: &Request,
        evaluate: fn(&[(&str, &PolicyDocument)], &Request) -> Decision,
    ) -> Decision {
        self.combine_by(d, |b| evaluate(&[(b.name.as_str(), &b.doc)], req))
    }

    /// [`PermissionSet::combine`], with `boundary` deciding the known boundary.
    fn combine_by(&self, d: Decision, boundary: impl FnOnce(&NamedPolicy) -> Decision) -> Decision {
        let b = match &self.boundary {
            None => return d,
            Some(Boundary::Known(b)) => boundary(b),
            Some(Boundary::Unknown(arn)) => {
                return match d {
                    Decision::Allowed { .. } | Decision::Undecided { .. } => Decision::Undecided {
                        conditions: vec![format!("permissions boundary {arn} was not collected")],
                    },
                    other => other,
                };
            }
        };
        // "Policy evaluation logic": an explicit Deny in any policy, the boundary
        // included, is final; an Allow needs both the identity policies and the
        // boundary. So the boundary is read whatever the identity policies say,
        // and one side that cannot allow decides a deny even while the other
        // side hinges on a condition.
        match (d, b) {
            (d @ Decision::Denied { .. }, _) | (_, d @ Decision::Denied { .. }) => d,
            (Decision::Undecided { mut conditions }, Decision::Undecided { conditions: more }) => {
                conditions.extend(more);
                Decision::Undecided { conditions }
            }
            // A pending Deny on one side with no Allow on the other: denied either way.
            (d @ Decision::NotAllowed { .. }, _) => d,
            (_, Decision::NotAllowed { reasons }) => Decision::NotAllowed {
                reasons: reasons
                    .into_iter()
                    .map(|r| format!("not allowed by the permissions boundary: {r}"))
                    .collect(),
            },
            (d @ Decision::Undecided { .. }, _) | (_, d @ Decision::Undecided { .. }) => d,
            (d, _) => d,
        }
    }
}
