//! Asking the question: the answer of `can-i`, every path found with its
//! misses, and the Kubernetes answer of one identity reached.

use super::*;

impl<'a> Asker<'a> {
    /// Answer one question.
    pub fn can_i(
        &self,
        subject: &AsSubject,
        action: &Action,
        direct: bool,
    ) -> Result<Answer, String> {
        let (mut answers, mut misses, total) = self.paths(subject, action, direct)?;
        // Shortest paths first; ties by the identity that acts.
        answers.sort_by(|x, y| {
            y.decision
                .cmp(&x.decision)
                .then(x.path.len().cmp(&y.path.len()))
        });
        let decision = Answer::decide(&answers);
        let no_paths: Vec<PathAnswer> = if decision == Decision::No {
            std::mem::take(&mut answers)
        } else {
            answers.retain(|a| a.decision != Decision::No);
            Vec::new()
        };
        // For a `no`, the deciding Deny hops are evidence worth keeping.
        for a in no_paths {
            if let Some(h) = a.path.last() {
                misses.push(format!("{}: {}", h.from.label(), h.evidence));
            }
        }
        misses.dedup();
        // Misses explain a `no`; next to a yes they are noise.
        if decision != Decision::No {
            misses.clear();
        } else if let Action::Kube(k) = action {
            misses.extend(self.other_namespaces(subject, k));
        }
        // Granting paths in all, when some were folded (a `no` lists none).
        let paths_total = (total > answers.len() && !answers.is_empty()).then_some(total);
        Ok(Answer {
            query: echo("can-i", subject, action, direct),
            decision,
            answers,
            misses,
            paths_total,
            coverage: self.coverage(),
        })
    }

    /// The nearest misses of a Kubernetes `no`: the subject's own grants that
    /// would allow the request in another namespace.
    fn other_namespaces(&self, subject: &AsSubject, k: &KubeAction) -> Vec<String> {
        if k.path.is_some() {
            return Vec::new();
        }
        let Ok((_, rows)) = self.start(subject) else {
            return Vec::new();
        };
        let want = k.namespace.as_deref().filter(|n| !n.is_empty());
        let mut out = Vec::new();
        for g in rows {
            let Scope::Namespace(ns) = g.scope else {
                continue;
            };
            if Some(ns) == want {
                continue;
            }
            let mut req = k.request();
            req.namespace = Some(ns);
            if g.allows(&req) {
                let line = match want {
                    Some(w) => format!("granted in namespace {ns}, not {w}: {}", g.describe()),
                    None => format!(
                        "granted in namespace {ns} only, not cluster-wide: {}",
                        g.describe()
                    ),
                };
                if !out.contains(&line) {
                    out.push(line);
                }
            }
            if out.len() >= 5 {
                break;
            }
        }
        out
    }

    /// The paths found for a question, whatever their decision (the best of
    /// each identity that acts, see [`FoldedPaths`]), the misses, and how many
    /// paths that grant it (yes or conditional) were found in all.
    pub fn paths(
        &self,
        subject: &AsSubject,
        action: &Action,
        direct: bool,
    ) -> Result<(Vec<PathAnswer>, Vec<String>, usize), String> {
        let reached = self.reachable(subject, direct)?;
        let subject_node = self.subject_node(subject);
        let mut misses = Vec::new();
        if let Some(r) = reached.first()
            && r.iam.is_some()
            && r.id.groups.is_empty()
            && matches!(action, Action::Kube(_))
        {
            misses.push(format!(
                "{} is mapped into the cluster by no aws-auth entry or access entry",
                subject_node.label()
            ));
        }
        // Access policies the RBAC engine does not model grant nothing here: say so.
        if let Some(r) = reached.first()
            && r.iam.is_some()
        {
            for &i in &r.id.access_entries {
                if let Some(e) = self.inv.access_entries.get(i) {
                    for ap in &e.access_policies {
                        if !crate::policy::rbac::access_policy_modelled(&ap.policy_arn) {
                            misses.push(format!(
                                "access entry {} has access policy {}, whose permissions are not modelled",
                                e.principal_arn, ap.policy_arn
                            ));
                        }
                    }
                }
            }
        }
        // Folded as found: a subject that becomes thousands of identities
        // would otherwise hold every (identity, role, chained role) path.
        let mut folded = FoldedPaths::default();
        let mut seen_misses: HashSet<String> = misses.iter().cloned().collect();
        let mut found = Vec::new();
        let mut found_misses = Vec::new();
        for r in &reached {
            self.answers_at(
                r,
                action,
                &subject_node,
                direct,
                &mut found,
                &mut found_misses,
                None,
            );
            for p in found.drain(..) {
                folded.add(p);
            }
            for m in found_misses.drain(..) {
                if !seen_misses.contains(&m) {
                    seen_misses.insert(m.clone());
                    misses.push(m);
                }
            }
        }
        let total = folded.granting();
        Ok((folded.into_paths(), misses, total))
    }

    /// The answers of one identity the subject is or became (its path included);
    /// `plan`: who-can's memo of the account's role links.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn answers_at(
        &self,
        r: &Reached,
        action: &Action,
        subject: &Node,
        direct: bool,
        answers: &mut Vec<PathAnswer>,
        misses: &mut Vec<String>,
        plan: Option<&AccountPlan>,
    ) {
        match action {
            Action::Kube(k) => {
                if let Some(a) = self.kube_answer(r, k, subject) {
                    answers.push(a);
                }
            }
            Action::Aws(a) => self.aws_answers(r, a, subject, direct, answers, misses, plan),
        }
    }

    fn kube_answer(&self, r: &Reached, k: &KubeAction, subject: &Node) -> Option<PathAnswer> {
        if r.iam.is_some() && r.id.groups.is_empty() && r.id.access_entries.is_empty() {
            return None;
        }
        let g = match &k.path {
            Some(p) => self.rbac.can_identity_url(&r.id, &k.verb, p),
            None => self.rbac.can_identity(&r.id, &k.request()),
        }?;
        let mut path = r.path.clone();
        path.extend(self.grant_hops(r, &g, Node::KubeRequest(Box::new(k.clone()))));
        Some(PathAnswer {
            subject: subject.clone(),
            decision: Decision::Yes,
            conditions: Vec::new(),
            path,
        })
    }
}
