//! IAM decisions as hops: judging an action or a pattern against a
//! principal's permissions (memoised per question), the roles it may assume,
//! and the request context the asker gives.

use super::*;

impl<'a> Asker<'a> {
    /// [`Asker::judge_action`], once per question and principal: a role that
    /// many others can assume is judged once.
    pub(super) fn judge_memo(
        &self,
        set: &PermissionSet,
        a: &AwsAction,
        arn: &str,
        from: &Node,
    ) -> super::super::Judged {
        let q = self.begin_question(a);
        let key = (q, arn.to_ascii_lowercase());
        if let Some(j) = self.judge_memo.borrow().get(&key) {
            return j.clone();
        }
        let (d, c, hop) = self.judge_action(set, a, arn, from, None);
        let j = (d, c, Arc::new(hop));
        self.judge_memo.borrow_mut().insert(key, j.clone());
        j
    }

    /// [`Asker::judge_memo`]'s answer, made from the principal's request
    /// for the action and its inline statements that take in the action
    /// (`PermissionSet::inline_hits`), which role chaining keeps per
    /// principal; the caller keeps the answer.
    pub(super) fn judge_with(
        &self,
        set: &PermissionSet,
        a: &AwsAction,
        arn: &str,
        from: &Node,
        req: (&iam::Request, &[(u32, u32)]),
    ) -> super::super::Judged {
        let (d, c, hop) = self.judge_action(set, a, arn, from, Some(req));
        (d, c, Arc::new(hop))
    }

    /// A principal's decision on the action alone, as [`Asker::judge_memo`]
    /// decides it, without its hop: who-can's table of every principal makes
    /// hops only for the paths it keeps.
    /// `req` is the principal's request for the action (see [`Asker::iam_request`]),
    /// `hits` its inline statements that take in the action
    /// (`PermissionSet::inline_hits`). `memo` holds the question's
    /// [`Asker::tally_memo`] once taken, so that a caller judging every
    /// principal takes it once.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn judge_decision<'m>(
        &'m self,
        set: &PermissionSet,
        a: &AwsAction,
        arn: &str,
        req: &iam::Request,
        hits: &[(u32, u32)],
        memo: &mut Option<std::cell::RefMut<'m, iam::TallyMemo>>,
    ) -> Decision {
        if judged_whole(a) {
            // Never with the memo taken: the full evaluation takes it too.
            *memo = None;
            return self.judge_memo(set, a, arn, &self.principal_node(arn)).0;
        }
        let memo = memo.get_or_insert_with(|| self.tally_memo(a));
        match set.outcome_hits(req, memo, hits) {
            iam::Outcome::Allowed => Decision::Yes,
            iam::Outcome::Undecided => Decision::Conditional,
            iam::Outcome::Denied | iam::Outcome::NotAllowed => Decision::No,
        }
    }

    /// [`Asker::judge_decision`], and for a principal that may (unless the
    /// action is judged whole), its hop as [`Asker::judge_with`] makes it from
    /// the same request and hits: who-can's table judges every principal,
    /// the paths end at those that may, and their statements are at hand.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn judge_decision_hop<'m>(
        &'m self,
        set: &PermissionSet,
        a: &AwsAction,
        arn: &str,
        req: &iam::Request,
        hits: &[(u32, u32)],
        memo: &mut Option<std::cell::RefMut<'m, iam::TallyMemo>>,
    ) -> (Decision, Option<super::super::Judged>) {
        let own = self.judge_decision(set, a, arn, req, hits, memo);
        if own == Decision::No || judged_whole(a) {
            return (own, None);
        }
        let memo = memo.get_or_insert_with(|| self.tally_memo(a));
        let (d, c, hop) = judge_hits(set, a, &self.principal_node(arn), req, hits, memo);
        (own, Some((d, c, Arc::new(hop))))
    }

    /// The shared documents' answers to question `a` (emptied when the
    /// question changes).
    fn tally_memo(&self, a: &AwsAction) -> std::cell::RefMut<'_, iam::TallyMemo> {
        let q = self.begin_question(a);
        let mut memo = self.tally_memo.borrow_mut();
        if memo.0 != Some(q) {
            memo.1.clear();
            memo.0 = Some(q);
        }
        std::cell::RefMut::map(memo, |m| &mut m.1)
    }

    /// One principal's decision on the action, as an `allows`/`denies` hop.
    fn judge_action(
        &self,
        set: &PermissionSet,
        a: &AwsAction,
        arn: &str,
        from: &Node,
        req: Option<(&iam::Request, &[(u32, u32)])>,
    ) -> (Decision, Vec<String>, Hop) {
        let (mut d, mut c, mut hop) = if has_wildcard(&a.action) {
            self.judge_pattern(set, a, arn, from, action_node(a))
        } else {
            match req {
                Some((req, hits)) => judge_hits(set, a, from, req, hits, &mut self.tally_memo(a)),
                None => {
                    let req = self.iam_request(a, arn, &a.action, &a.resource);
                    let d = set.evaluate_quiet_memo(&req, &mut self.tally_memo(a));
                    judge(&d, from, action_node(a))
                }
            }
        };
        // sts:AssumeRole on a role needs the role's trust too.
        if a.action.eq_ignore_ascii_case("sts:AssumeRole")
            && a.resource.contains(":role/")
            && d != Decision::No
        {
            let (td, tc, ev) = self.role_trust_admits(&a.resource, arn, a);
            d = d.min(td);
            c.extend(tc);
            hop.evidence = format!("{}; {ev}", hop.evidence);
        }
        (d, c, hop)
    }

    /// The roles `arn` can assume (`sts:AssumeRole` allowed by its policies and
    /// by the role's trust), with the decision, conditions and evidence; once
    /// per principal and request context. A principal none of whose Allow
    /// statements can grant `sts:AssumeRole` has none, without asking each role.
    pub(super) fn assume_edges(
        &self,
        arn: &str,
        set: &PermissionSet,
        a: &AwsAction,
    ) -> AssumeEdges {
        let context = context_key(a);
        let key = (context.clone(), arn.to_ascii_lowercase());
        if let Some(e) = self.assume_memo.borrow().get(&key) {
            return std::rc::Rc::clone(e);
        }
        let may_assume = set
            .policies
            .iter()
            .flat_map(|p| &p.doc.statements)
            .any(|s| {
                s.effect == crate::policy::iam::Effect::Allow
                    && s.action
                        .values
                        .iter()
                        .any(|p| crate::policy::actions::action_matches(p, "sts:AssumeRole"))
                        != s.action.negated
            });
        let mut edges = Vec::new();
        if may_assume {
            let from = self.principal_node(arn);
            // Policies whose every statement that may bear on sts:AssumeRole is
            // on Resource "*" without a condition decide alike for every role:
            // evaluated once, not once per role.
            let uniform = assume_uniform(set);
            let mut once: Option<(Decision, Vec<String>, String)> = None;
            for &i in &self.aws_trusting {
                let next = &self.inv.iam.roles[i];
                if next.arn.eq_ignore_ascii_case(arn) {
                    continue;
                }
                let (td, tc, tev) = self.trust_of_index_admits(i, arn, a, &context);
                if td == Decision::No {
                    continue;
                }
                let (ad, ac, aev) = match &once {
                    Some(x) if uniform => x.clone(),
                    _ => {
                        let areq = self.iam_request(a, arn, "sts:AssumeRole", &next.arn);
                        let (ad, ac, ahop) = judge(
                            &set.evaluate_quiet(&areq),
                            &from,
                            Node::IamRole {
                                arn: next.arn.clone(),
                            },
                        );
                        let x = (ad, ac, ahop.evidence);
                        if uniform {
                            once = Some(x.clone());
                        }
                        x
                    }
                };
                if ad == Decision::No {
                    continue;
                }
                let mut c = tc;
                c.extend(ac);
                edges.push((
                    next.arn.clone(),
                    next.arn.to_ascii_lowercase(),
                    td.min(ad),
                    c,
                    format!("sts:AssumeRole {aev}; {tev}"),
                ));
            }
        }
        let edges = std::rc::Rc::new(edges);
        self.assume_memo
            .borrow_mut()
            .insert(key, std::rc::Rc::clone(&edges));
        edges
    }

    /// A wildcard action (`s3:*`, `*:*`) asks whether *every* action it matches
    /// is allowed, as the IAM rules ask it: on every resource through the
    /// symbolic `PermissionSet::allows_all`, on one resource by evaluating each
    /// catalogue action the pattern matches.
    fn judge_pattern(
        &self,
        set: &PermissionSet,
        a: &AwsAction,
        arn: &str,
        from: &Node,
        to: Node,
    ) -> (Decision, Vec<String>, Hop) {
        let hop = |edge: &'static str, evidence: String| Hop {
            edge,
            from: from.clone(),
            to: to.clone(),
            evidence,
        };
        if a.resource == "*" {
            return match set.allows_all(&a.action) {
                Some(g) if g.conditional => (
                    Decision::Conditional,
                    g.notes.clone(),
                    hop("allows", g.evidence()),
                ),
                Some(g) => (Decision::Yes, Vec::new(), hop("allows", g.evidence())),
                None => (
                    Decision::No,
                    Vec::new(),
                    hop(
                        "denies",
                        format!(
                            "not every action of {} is allowed on every resource",
                            a.action
                        ),
                    ),
                ),
            };
        }
        let actions = crate::policy::actions::expand(&a.action);
        if actions.is_empty() {
            return (
                Decision::No,
                Vec::new(),
                hop("denies", format!("{} matches no known action", a.action)),
            );
        }
        let mut worst = (Decision::Yes, Vec::new(), hop("allows", String::new()));
        let mut by: Vec<String> = Vec::new();
        for act in actions {
            let name = act.full_name();
            let req = self.iam_request(a, arn, &name, &a.resource);
            let (d, c, h) = judge(&set.evaluate_quiet(&req), from, to.clone());
            if d < worst.0 {
                worst = (d, c, h);
                if d == Decision::No {
                    worst.2.evidence = format!("{name}: {}", worst.2.evidence);
                    return worst;
                }
            } else if d == Decision::Yes && by.len() < 3 && !by.contains(&h.evidence) {
                by.push(h.evidence);
            }
        }
        if worst.0 == Decision::Yes {
            worst.2.evidence = by.join("; ");
        }
        worst
    }

    pub(super) fn principal_node(&self, arn: &str) -> Node {
        if arn.contains(":user/") {
            Node::IamUser {
                arn: arn.to_string(),
            }
        } else {
            Node::IamRole {
                arn: arn.to_string(),
            }
        }
    }

    /// The IAM request a principal makes: the asker's context, plus the keys the
    /// principal itself determines unless the asker gave them.
    pub fn iam_request(
        &self,
        a: &AwsAction,
        principal: &str,
        action: &str,
        resource: &str,
    ) -> iam::Request {
        let mut r = iam::Request::new(action).resource(resource);
        let given = |k: &str| a.context.keys().any(|g| g.eq_ignore_ascii_case(k));
        let fill = |r: iam::Request, k: &str, v: &str| {
            if given(k) { r } else { r.key(k, v) }
        };
        r = fill(r, "aws:PrincipalArn", principal);
        if let Some(acct) = principal.split(':').nth(4).filter(|s| !s.is_empty()) {
            r = fill(r, "aws:PrincipalAccount", acct);
        }
        if principal.contains(":user/") {
            r = fill(r, "aws:PrincipalType", "User");
            if let Some(name) = principal.rsplit('/').next() {
                r = fill(r, "aws:username", name);
            }
        } else {
            r = fill(r, "aws:PrincipalType", "AssumedRole");
            if let Some(role) = self.role(principal) {
                for (k, v) in &role.tags {
                    r = fill(r, &format!("aws:PrincipalTag/{k}"), v);
                }
            }
        }
        // A key given once is single-valued; given twice, multivalued (query.md),
        // which only set operators (ForAnyValue/ForAllValues) match.
        for (k, v) in &a.context {
            r = match v.as_slice() {
                [one] if !a.is_multivalued(k) => r.key(k, one.clone()),
                _ => r.key_values(k, v.clone()),
            };
        }
        if a.complete {
            r = r.closed();
        }
        r
    }
}

/// Whether every statement of `set` (boundary included) that may bear on
/// `sts:AssumeRole` applies to `Resource: "*"` without a condition, so that
/// the decision is the same whichever role is asked for.
fn assume_uniform(set: &PermissionSet) -> bool {
    let bears = |s: &iam::Statement| {
        s.action
            .values
            .iter()
            .any(|p| crate::policy::actions::action_matches(p, "sts:AssumeRole"))
            != s.action.negated
    };
    let plain = |s: &iam::Statement| {
        !bears(s)
            || (s.conditions.is_empty()
                && s.resource
                    .as_ref()
                    .is_some_and(|r| !r.negated && r.values.iter().all(|v| v == "*")))
    };
    let boundary_ok = match &set.boundary {
        None => true,
        Some(iam::Boundary::Known(b)) => b.doc.statements.iter().all(plain),
        Some(iam::Boundary::Unknown(_)) => false,
    };
    boundary_ok
        && set
            .policies
            .iter()
            .all(|p| p.doc.statements.iter().all(plain))
}

/// The request context of `a` as a key: what the roles a principal can
/// assume (and the chaining graph) depend on, besides the principal.
pub(super) fn context_key(a: &AwsAction) -> String {
    format!("{:?}|{:?}|{}", a.context, a.multivalued, a.complete)
}

/// Whether the decision table judges action `a` with [`Asker::judge_memo`]
/// (a pattern, or sts:AssumeRole with the role's trust), so that a path's
/// last hop is found there too.
pub(super) fn judged_whole(a: &AwsAction) -> bool {
    has_wildcard(&a.action) || a.action.eq_ignore_ascii_case("sts:AssumeRole")
}

fn has_wildcard(action: &str) -> bool {
    action.contains(['*', '?'])
}

/// The node of the action asked about.
fn action_node(a: &AwsAction) -> Node {
    Node::AwsAction {
        action: a.action.clone(),
        resource: a.resource.clone(),
    }
}

/// A principal's decision on a concrete action from its request and its
/// inline statements that take in the action, as a hop.
fn judge_hits(
    set: &PermissionSet,
    a: &AwsAction,
    from: &Node,
    req: &iam::Request,
    hits: &[(u32, u32)],
    memo: &mut iam::TallyMemo,
) -> (Decision, Vec<String>, Hop) {
    judge(
        &set.evaluate_quiet_hits(req, memo, hits),
        from,
        action_node(a),
    )
}

/// An IAM decision as a hop: `allows` (or `denies`) with the statements.
fn judge(d: &IamDecision, from: &Node, to: Node) -> (Decision, Vec<String>, Hop) {
    let hop = |edge: &'static str, evidence: String| Hop {
        edge,
        from: from.clone(),
        to: to.clone(),
        evidence,
    };
    match d {
        IamDecision::Allowed { by } => (
            Decision::Yes,
            Vec::new(),
            hop(
                "allows",
                by.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        IamDecision::Undecided { conditions } => (
            Decision::Conditional,
            conditions.clone(),
            hop("allows", format!("only if: {}", conditions.join("; "))),
        ),
        IamDecision::Denied { why, .. } => (Decision::No, Vec::new(), hop("denies", why.clone())),
        IamDecision::NotAllowed { .. } => (
            Decision::No,
            Vec::new(),
            hop(
                "denies",
                "no statement allows it (implicit deny)".to_string(),
            ),
        ),
    }
}
