//! Evaluation of statements and policies against a request: explicit Deny wins,
//! then any Allow, else implicit deny; undecidable parts make the answer
//! `Undecided` and say why. Conditions themselves are in `condition`.

use super::*;

/// Three-valued result of checking one part of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Yes,
    /// Does not apply, and why.
    No(String),
    /// Cannot be decided, and what.
    Undecided(String),
}

/// Where a statement lives: a policy's name and the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StmtRef {
    pub policy: String,
    pub index: usize,
    pub sid: Option<String>,
    pub conditional: bool,
}

impl fmt::Display for StmtRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sid {
            Some(sid) if !sid.is_empty() => {
                write!(
                    f,
                    "{} Statement[{}] (Sid \"{sid}\")",
                    self.policy, self.index
                )
            }
            _ => write!(f, "{} Statement[{}]", self.policy, self.index),
        }
    }
}

impl StmtRef {
    pub(super) fn of(policy: &str, s: &Statement) -> StmtRef {
        StmtRef {
            policy: policy.to_string(),
            index: s.index,
            sid: s.sid.clone(),
            conditional: s.has_conditions(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed {
        by: Vec<StmtRef>,
    },
    /// An explicit Deny applies.
    Denied {
        by: StmtRef,
        why: String,
    },
    /// No Allow applies (implicit deny); a reason per statement considered.
    NotAllowed {
        reasons: Vec<String>,
    },
    /// Some statement hinges on something the engine cannot decide.
    Undecided {
        conditions: Vec<String>,
    },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
}

/// How much a check says of why: everything; only what leaves it undecided
/// (a quiet decision's conditions); nothing (a [`Tally`] counts kinds only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Say {
    All,
    Undecided,
    Nothing,
}

impl Say {
    fn of(explain: bool) -> Say {
        if explain { Say::All } else { Say::Undecided }
    }
}

/// Whether a statement applies to a request; `No` carries the first part that failed.
pub fn statement_applies(stmt: &Statement, req: &Request) -> Check {
    statement_applies_with(stmt, req, Say::All)
}

/// [`statement_applies`]; unless it says all, a statement whose Action does
/// not match (most statements, for most requests) says `No` without its
/// reason.
fn statement_applies_with(stmt: &Statement, req: &Request, say: Say) -> Check {
    if !stmt.action_applies(&req.action) {
        if say != Say::All {
            return Check::No(String::new());
        }
        return Check::No(format!(
            "action {} is not granted by {}",
            req.action,
            stmt.action.describe("Action")
        ));
    }
    statement_applies_past_action(stmt, req, say)
}

/// [`statement_applies_with`] for a statement whose Action (or NotAction) is
/// known to take in the request's action: its Resource, Principal and
/// conditions.
fn statement_applies_past_action(stmt: &Statement, req: &Request, say: Say) -> Check {
    if let (Some(spec), Some(res)) = (&stmt.resource, &req.resource) {
        // Policy variables are substituted in Resource and NotResource too
        // ("IAM policy elements: variables and tags"); one that is unknown leaves
        // the match open unless another pattern decides it.
        let mut hit = false;
        let mut pending = None;
        for p in &spec.values {
            if !has_variable(p) {
                hit = resource_matches(p, res);
            } else {
                match substituted(p, req) {
                    Ok(Some(pieces)) => hit = pieces_arn_like(&pieces, res),
                    Ok(None) => {}
                    Err(why) => pending = Some(why),
                }
            }
            if hit {
                break;
            }
        }
        if let (false, Some(why)) = (hit, pending) {
            if say == Say::Nothing {
                return Check::Undecided(String::new());
            }
            return Check::Undecided(format!("{}: {why}", spec.describe("Resource")));
        }
        if hit == spec.negated {
            if say != Say::All {
                return Check::No(String::new());
            }
            return Check::No(format!(
                "resource {res} is not in {}",
                spec.describe("Resource")
            ));
        }
    }
    if let (Some(spec), Some((kind, id))) = (&stmt.principal, &req.principal)
        && !spec.matches(kind, id)
    {
        if say != Say::All {
            return Check::No(String::new());
        }
        return Check::No(format!(
            "principal {}: {id} is not {}",
            kind.as_str(),
            spec.describe()
        ));
    }
    let mut undecided = Vec::new();
    for c in &stmt.conditions {
        match condition_check(c, req, say != Say::Nothing) {
            Check::Yes => {}
            no @ Check::No(_) => return no,
            Check::Undecided(why) => undecided.push(why),
        }
    }
    if say == Say::Nothing && !undecided.is_empty() {
        return Check::Undecided(String::new());
    }
    if undecided.is_empty() {
        Check::Yes
    } else {
        Check::Undecided(undecided.join("; "))
    }
}

/// What the statements of one document say of a request, without evidence:
/// as much as a decision needs (see [`Tally::outcome`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// A Deny applies.
    pub denied: bool,
    /// An Allow applies.
    pub allowed: bool,
    /// An Allow applies only if a condition holds.
    pub allow_undecided: bool,
    /// A Deny applies if a condition holds.
    pub deny_undecided: bool,
}

/// The kind of a [`Decision`], without its evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Undecided,
    Denied,
    NotAllowed,
}

impl Outcome {
    pub fn of(d: &Decision) -> Outcome {
        match d {
            Decision::Allowed { .. } => Outcome::Allowed,
            Decision::Undecided { .. } => Outcome::Undecided,
            Decision::Denied { .. } => Outcome::Denied,
            Decision::NotAllowed { .. } => Outcome::NotAllowed,
        }
    }
}

impl Tally {
    /// One document's statements against `req`, as [`evaluate_quiet`] reads them.
    pub fn of(doc: &PolicyDocument, req: &Request) -> Tally {
        let mut t = Tally::default();
        for s in &doc.statements {
            match (s.effect, statement_applies_with(s, req, Say::Nothing)) {
                (Effect::Deny, Check::Yes) => {
                    t.denied = true;
                    return t;
                }
                (Effect::Deny, Check::Undecided(_)) => t.deny_undecided = true,
                (Effect::Allow, Check::Yes) => t.allowed = true,
                (Effect::Allow, Check::Undecided(_)) => t.allow_undecided = true,
                (_, Check::No(_)) => {}
            }
        }
        t
    }

    /// [`Tally::of`], noting in `hits` the places of the statements whose
    /// Action takes in the request's action (all of them: the ones past a
    /// Deny that applies too).
    pub fn of_noting(doc: &PolicyDocument, req: &Request, hits: &mut Vec<u32>) -> Tally {
        let mut t = Tally::default();
        for (k, s) in doc.statements.iter().enumerate() {
            if !s.action_applies(&req.action) {
                continue;
            }
            hits.push(u32::try_from(k).unwrap_or(u32::MAX));
            if !t.denied {
                t.add(Tally::of_statement(s, req));
            }
        }
        t
    }

    /// One statement whose Action takes in the request's action (see
    /// [`Statement::action_applies`]), as [`Tally::of`] counts it.
    pub fn of_statement(s: &Statement, req: &Request) -> Tally {
        let mut t = Tally::default();
        match (
            s.effect,
            statement_applies_past_action(s, req, Say::Nothing),
        ) {
            (Effect::Deny, Check::Yes) => t.denied = true,
            (Effect::Deny, Check::Undecided(_)) => t.deny_undecided = true,
            (Effect::Allow, Check::Yes) => t.allowed = true,
            (Effect::Allow, Check::Undecided(_)) => t.allow_undecided = true,
            (_, Check::No(_)) => {}
        }
        t
    }

    pub fn add(&mut self, o: Tally) {
        self.denied |= o.denied;
        self.allowed |= o.allowed;
        self.allow_undecided |= o.allow_undecided;
        self.deny_undecided |= o.deny_undecided;
    }

    /// The decision's kind, as `evaluate` decides it over the same statements.
    pub fn outcome(self) -> Outcome {
        if self.denied {
            Outcome::Denied
        } else if self.allowed {
            if self.deny_undecided {
                Outcome::Undecided
            } else {
                Outcome::Allowed
            }
        } else if self.allow_undecided {
            Outcome::Undecided
        } else {
            Outcome::NotAllowed
        }
    }
}

/// Whether a document's answer can differ between principals asking the same
/// request: a condition on a key the principal determines (`aws:Principal…`,
/// `aws:username`, `aws:userid`, `aws:SourceIdentity`,
/// `aws:FederatedProvider`) or a policy variable anywhere.
pub fn depends_on_principal(doc: &PolicyDocument) -> bool {
    let variable = |v: &String| v.contains("${");
    doc.statements.iter().any(|s| {
        s.action.values.iter().any(variable)
            || s.resource
                .as_ref()
                .is_some_and(|r| r.values.iter().any(variable))
            || s.conditions.iter().any(|c| {
                let k = c.key.to_ascii_lowercase();
                k.starts_with("aws:principal")
                    || k.starts_with("aws:username")
                    || k.starts_with("aws:userid")
                    || k.starts_with("aws:sourceidentity")
                    || k.starts_with("aws:federatedprovider")
                    || c.values.iter().any(variable)
            })
    })
}

/// Whether a pattern holds a policy variable (`${…}`).
fn has_variable(p: &str) -> bool {
    p.as_bytes().windows(2).any(|w| w == b"${")
}

/// ARN-aware resource match: `*` matches anything, otherwise per-component wildcards.
fn resource_matches(pattern: &str, resource: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    // What comes before the pattern's first wildcard must open the resource,
    // in both of `arn_like`'s ways to match: most patterns of a policy name
    // other resources, and this says so without splitting either.
    resource.as_bytes().starts_with(opening(pattern)) && arn_like(pattern, resource)
}

/// A Resource pattern's text before its first wildcard.
fn opening(pattern: &str) -> &[u8] {
    let literal = pattern
        .bytes()
        .position(|b| b == b'*' || b == b'?')
        .unwrap_or(pattern.len());
    &pattern.as_bytes()[..literal]
}

/// The text before the first wildcard of each of a statement's Resource
/// patterns, when that alone can tell that the statement does not apply to
/// a resource: a request whose resource none of them opens is not matched
/// by any pattern (`resource_matches`), so the statement does not apply at
/// all, not even conditionally (see [`evaluate_quiet_statements`]). `None`
/// when they cannot tell: no Resource element, NotResource, a pattern `*`
/// or one with a policy variable.
pub fn resource_openings(stmt: &Statement) -> Option<Vec<&[u8]>> {
    let spec = stmt.resource.as_ref()?;
    if spec.negated {
        return None;
    }
    spec.values
        .iter()
        .map(|p| (p != "*" && !has_variable(p)).then(|| opening(p)))
        .collect()
}

fn arn_like(pattern: &str, value: &str) -> bool {
    match (arn_parts(pattern), arn_parts(value)) {
        (Some(p), Some(v)) => p
            .iter()
            .zip(v.iter())
            .all(|(a, b)| wildcard_match(a, b, false)),
        _ => wildcard_match(pattern, value, false),
    }
}

/// The six colon-separated parts of an ARN (the last keeps its colons).
fn arn_parts(s: &str) -> Option<[&str; 6]> {
    let mut it = s.splitn(6, ':');
    Some([
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ])
}

/// Evaluate a set of policies (one principal's identity policies, or one trust
/// policy) against a request: explicit Deny wins, then any Allow, else implicit deny.
pub fn evaluate(policies: &[(&str, &PolicyDocument)], req: &Request) -> Decision {
    evaluate_with(policies, req, true)
}

/// [`evaluate`] without the reasons of an implicit deny (`NotAllowed` has none):
/// the same decision, for callers that only say "no statement allows it".
/// Formatting why each statement of a large managed policy does not apply
/// was most of the cost of judging thousands of roles for one question.
pub fn evaluate_quiet(policies: &[(&str, &PolicyDocument)], req: &Request) -> Decision {
    evaluate_with(policies, req, false)
}

fn evaluate_with(policies: &[(&str, &PolicyDocument)], req: &Request, explain: bool) -> Decision {
    let statements = policies
        .iter()
        .flat_map(|(name, doc)| doc.statements.iter().map(move |s| (*name, s, None)));
    evaluate_statements(statements, req, explain)
}

/// [`evaluate_quiet`] of the statements given with their policy's name, in
/// their policies' order; a statement marked `Some(true)` is known to take in
/// the request's action. Statements left out must be ones that do not apply
/// at all (not even conditionally): they change nothing in a quiet decision.
pub fn evaluate_quiet_statements<'s>(
    statements: impl Iterator<Item = (&'s str, &'s Statement, Option<bool>)>,
    req: &Request,
) -> Decision {
    evaluate_statements(statements, req, false)
}

fn evaluate_statements<'s>(
    statements: impl Iterator<Item = (&'s str, &'s Statement, Option<bool>)>,
    req: &Request,
    explain: bool,
) -> Decision {
    let mut allows = Vec::new();
    let mut allow_undecided = Vec::new();
    let mut deny_undecided = Vec::new();
    let mut reasons = Vec::new();
    for (name, s, action_applies) in statements {
        let check = match action_applies {
            Some(true) => statement_applies_past_action(s, req, Say::of(explain)),
            _ => statement_applies_with(s, req, Say::of(explain)),
        };
        match (s.effect, check) {
            (Effect::Deny, Check::Yes) => {
                return Decision::Denied {
                    by: StmtRef::of(name, s),
                    why: format!("explicit Deny in {name} {}: {}", s.label(), s.summary()),
                };
            }
            (Effect::Deny, Check::Undecided(c)) => {
                deny_undecided.push(format!("Deny in {name} {} may apply: {c}", s.label()))
            }
            (Effect::Deny, Check::No(_)) => {}
            (Effect::Allow, Check::Yes) => allows.push(StmtRef::of(name, s)),
            (Effect::Allow, Check::Undecided(c)) => {
                allow_undecided.push(format!("{name} {}: {c}", s.label()))
            }
            (Effect::Allow, Check::No(why)) => {
                if explain {
                    reasons.push(format!("{name} {}: {why}", s.label()))
                }
            }
        }
    }
    if !allows.is_empty() {
        // Allowed, unless a Deny that may apply is pending.
        if deny_undecided.is_empty() {
            return Decision::Allowed { by: allows };
        }
        return Decision::Undecided {
            conditions: deny_undecided,
        };
    }
    if !allow_undecided.is_empty() {
        allow_undecided.extend(deny_undecided);
        return Decision::Undecided {
            conditions: allow_undecided,
        };
    }
    // Nothing allows it: a pending Deny changes nothing.
    Decision::NotAllowed { reasons }
}

#[cfg(test)]
mod tests {
    use super::{arn_like, resource_matches};
    use proptest::prelude::*;

    proptest! {
        /// A statement whose Resource openings (`resource_openings`) none
        /// opens the resource does not apply to it, not even conditionally.
        #[test]
        fn closed_openings_mean_the_statement_does_not_apply(
            patterns in proptest::collection::vec("arn:aws:s3:::[ab*?/]{0,6}|\\*|[ab]{0,3}\\$\\{aws:username\\}", 0..3),
            negated in proptest::bool::ANY,
            r in "arn:aws:s3:::[ab/]{0,6}",
            conditioned in proptest::bool::ANY,
        ) {
            use super::super::{parse_document, Request};
            let key = if negated { "NotResource" } else { "Resource" };
            let mut st = serde_json::json!({"Effect": "Allow", "Action": "s3:GetObject", key: patterns});
            if conditioned {
                st["Condition"] = serde_json::json!({"StringEquals": {"aws:PrincipalTag/t": "x"}});
            }
            let doc = parse_document(&serde_json::json!({"Statement": [st]})).expect("doc");
            let stmt = &doc.statements[0];
            let req = Request::new("s3:GetObject").resource(&r);
            if let Some(openings) = super::resource_openings(stmt) {
                let opened = openings.iter().any(|o| r.as_bytes().starts_with(o));
                if !opened {
                    prop_assert!(matches!(
                        super::statement_applies_past_action(stmt, &req, super::Say::Nothing),
                        super::Check::No(_)
                    ));
                }
            }
        }

        /// The literal-prefix test before `arn_like` never changes its answer.
        #[test]
        fn prefix_test_keeps_arn_like(p in "[ab:*?/]{0,12}", r in "[ab:/]{0,12}") {
            prop_assert_eq!(resource_matches(&p, &r), p == "*" || arn_like(&p, &r));
        }

        /// The same on ARN-shaped text, six parts and more.
        #[test]
        fn prefix_test_keeps_arn_like_on_arns(
            p in "arn:aws:s3:[a:]{0,3}:[ab*?/:]{0,8}",
            r in "arn:aws:s3:[a:]{0,3}:[ab/:]{0,8}",
        ) {
            prop_assert_eq!(resource_matches(&p, &r), arn_like(&p, &r));
        }
    }
}
