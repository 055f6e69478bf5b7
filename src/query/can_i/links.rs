//! Trust: whether a role's trust policy admits a caller, a service account's
//! projected token (IRSA) or EKS Pod Identity, and the evidence of a working
//! role link.

use super::*;

impl<'a> Asker<'a> {
    /// A role and its trust policy, or the answer (decision, conditions,
    /// evidence) when either is missing: no
    /// for a role that is not there, conditional for a trust not collected.
    fn role_and_trust(
        &self,
        role: &str,
    ) -> Result<
        (
            &'a crate::model::IamRole,
            std::sync::Arc<crate::policy::iam::PolicyDocument>,
        ),
        Verdict,
    > {
        let Some(r) = self.role(role) else {
            return Err((
                Decision::No,
                Vec::new(),
                format!("role {role} is not in the IAM inventory"),
            ));
        };
        let Some(trust) = self.graph.trust(r) else {
            let why = format!("trust policy of {} not collected", r.arn);
            return Err((Decision::Conditional, vec![why.clone()], why));
        };
        Ok((r, trust))
    }

    /// Whether role `role`'s trust lets IAM principal `caller` call sts:AssumeRole.
    pub(super) fn role_trust_admits(
        &self,
        role: &str,
        caller: &str,
        a: &AwsAction,
    ) -> (Decision, Vec<String>, String) {
        let (r, trust) = match self.role_and_trust(role) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        let name = format!("trust policy of {}", r.name);
        let eval = || {
            let mut req = self.iam_request(a, caller, "sts:AssumeRole", &r.arn);
            req.resource = None;
            req = req.principal(PrincipalKind::Aws, caller);
            iam::evaluate(&[(name.as_str(), &trust)], &req)
        };
        self.trust_verdict(&name, caller, eval())
    }

    /// [`Asker::role_trust_admits`] for the role `aws_trusting[..]` holds at
    /// inventory index `i`: a trust whose answer depends on the caller's
    /// account only is evaluated once per account, and its `no` comes without
    /// evidence (role chaining drops it: of the ~370,000 caller and role
    /// pairs of the medium estate, all but ~27,000 are a no).
    pub(super) fn trust_of_index_admits(
        &self,
        i: usize,
        caller: &str,
        a: &AwsAction,
        context: &str,
    ) -> (Decision, Vec<String>, String) {
        let r = &self.inv.iam.roles[i];
        let trust = match self.graph.trust(r) {
            Some(t) if self.trust_uniform.contains(&i) => t,
            _ => return self.role_trust_admits(&r.arn, caller, a),
        };
        let name = || format!("trust policy of {}", r.name);
        let account = caller.split(':').nth(4).unwrap_or("").to_string();
        let key = (i, account, context.to_string());
        let no = |d: &IamDecision| {
            matches!(
                d,
                IamDecision::Denied { .. } | IamDecision::NotAllowed { .. }
            )
        };
        let cached = match self.trust_memo.borrow().get(&key) {
            Some(d) if no(d) => return (Decision::No, Vec::new(), String::new()),
            other => other.cloned(),
        };
        let d = match cached {
            Some(d) => d,
            None => {
                let mut req = self.iam_request(a, caller, "sts:AssumeRole", &r.arn);
                req.resource = None;
                req = req.principal(PrincipalKind::Aws, caller);
                let d = iam::evaluate(&[(name().as_str(), &trust)], &req);
                self.trust_memo.borrow_mut().insert(key, d.clone());
                d
            }
        };
        if no(&d) {
            return (Decision::No, Vec::new(), String::new());
        }
        self.trust_verdict(&name(), caller, d)
    }

    /// A trust policy's decision on `caller`, as (decision, conditions, evidence).
    fn trust_verdict(
        &self,
        name: &str,
        caller: &str,
        d: IamDecision,
    ) -> (Decision, Vec<String>, String) {
        match d {
            IamDecision::Allowed { by } => (
                Decision::Yes,
                Vec::new(),
                format!(
                    "{} admits {caller}",
                    by.iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ),
            IamDecision::Undecided { conditions } => (
                Decision::Conditional,
                conditions.clone(),
                format!("{name} may admit {caller}: {}", conditions.join("; ")),
            ),
            IamDecision::Denied { why, .. } => (Decision::No, Vec::new(), why),
            IamDecision::NotAllowed { .. } => (
                Decision::No,
                Vec::new(),
                format!("{name} does not admit {caller}"),
            ),
        }
    }

    fn service_account(&self, ns: &str, name: &str) -> ServiceAccount {
        self.graph
            .service_account(ns, name)
            .cloned()
            .unwrap_or_else(|| ServiceAccount {
                namespace: ns.to_string(),
                name: name.to_string(),
                ..ServiceAccount::default()
            })
    }

    /// Does role `role`'s trust admit the projected token of `ns/name`?
    pub fn web_identity(
        &self,
        ns: &str,
        name: &str,
        role: &str,
    ) -> (Decision, Vec<String>, String) {
        let sa = self.service_account(ns, name);
        let (r, trust) = match self.role_and_trust(role) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        if provider_accepts(&self.graph, sa.audience()) == Some(false) {
            return (
                Decision::No,
                Vec::new(),
                format!(
                    "the cluster's OIDC provider is missing in IAM or does not accept audience {}",
                    sa.audience()
                ),
            );
        }
        let annotated = sa.irsa_annotation().is_some_and(|a| {
            a.eq_ignore_ascii_case(&r.arn) || a.rsplit('/').next() == Some(r.name.as_str())
        });
        let how = if annotated {
            "IRSA annotation eks.amazonaws.com/role-arn"
        } else {
            "no IRSA annotation needed: its projected token can call STS"
        };
        match irsa_answer(&self.graph, r, &trust, &sa) {
            None => (
                Decision::Conditional,
                vec!["the cluster's OIDC issuer is unknown".into()],
                format!("{how}; the cluster's OIDC issuer is unknown"),
            ),
            Some(TrustAnswer::Allowed { statements }) => (
                Decision::Yes,
                Vec::new(),
                format!(
                    "{how}; trust {} admits system:serviceaccount:{ns}:{name} (sub, aud {})",
                    statements.join(", "),
                    sa.audience()
                ),
            ),
            Some(TrustAnswer::Undecided { conditions }) => (
                Decision::Conditional,
                conditions.clone(),
                format!("{how}; trust may admit it: {}", conditions.join("; ")),
            ),
            Some(TrustAnswer::Denied { reasons }) => (
                Decision::No,
                Vec::new(),
                format!(
                    "trust of {} does not admit system:serviceaccount:{ns}:{name}: {}",
                    r.arn,
                    reasons.join("; ")
                ),
            ),
        }
    }

    /// Does role `role`'s trust let EKS Pod Identity assume it for `ns/name`?
    pub fn pod_identity(
        &self,
        ns: &str,
        name: &str,
        role: &str,
    ) -> (Decision, Vec<String>, String) {
        let (r, trust) = match self.role_and_trust(role) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        let assoc = self.inv.pod_identity_associations.iter().find(|x| {
            x.namespace == ns
                && x.service_account == name
                && x.role_arn.eq_ignore_ascii_case(&r.arn)
        });
        let cluster = self.graph.cluster();
        let cluster_arn = cluster.and_then(|c| c.arn.as_deref());
        let pi = PodIdentity {
            account: cluster_arn
                .and_then(|a| a.split(':').nth(4))
                .filter(|s| !s.is_empty())
                .or(self.graph.account()),
            cluster_arn,
            cluster_name: cluster.map(|c| c.name.as_str()),
            namespace: ns,
            service_account: name,
            session_tags: assoc.is_none_or(|a| !a.disable_session_tags),
        };
        let how = match assoc {
            Some(a) => format!("Pod Identity association {}", a.id),
            None => "no Pod Identity association names it (one would be needed)".to_string(),
        };
        match check_pod_identity(&trust, &pi) {
            TrustAnswer::Allowed { statements } => (
                if assoc.is_some() {
                    Decision::Yes
                } else {
                    Decision::Conditional
                },
                if assoc.is_some() {
                    Vec::new()
                } else {
                    vec![format!(
                        "a Pod Identity association for {ns}/{name} and {}",
                        r.arn
                    )]
                },
                format!(
                    "{how}; trust {} admits pods.eks.amazonaws.com (sts:AssumeRole, sts:TagSession)",
                    statements.join(", ")
                ),
            ),
            TrustAnswer::Undecided { conditions } => (
                Decision::Conditional,
                conditions.clone(),
                format!("{how}; trust may admit it: {}", conditions.join("; ")),
            ),
            TrustAnswer::Denied { reasons } => (
                Decision::No,
                Vec::new(),
                format!(
                    "trust of {} does not let Pod Identity assume it for {ns}/{name}: {}",
                    r.arn,
                    reasons.join("; ")
                ),
            ),
        }
    }

    /// The `assumes` hop of a working role link, with the trust's say.
    pub(crate) fn link_evidence(
        &self,
        ns: &str,
        name: &str,
        role: &str,
        via: LinkVia,
    ) -> (Decision, Vec<String>, String) {
        let key = (
            ns.to_string(),
            name.to_string(),
            role.to_ascii_lowercase(),
            via == LinkVia::PodIdentity,
        );
        if let Some(v) = self.link_memo.borrow().get(&key) {
            return v.clone();
        }
        let v = self.link_verdict(ns, name, role, via);
        self.link_memo.borrow_mut().insert(key, v.clone());
        v
    }

    fn link_verdict(
        &self,
        ns: &str,
        name: &str,
        role: &str,
        via: LinkVia,
    ) -> (Decision, Vec<String>, String) {
        let known = self.role(role).is_some();
        if !known {
            return (
                Decision::Conditional,
                vec![format!(
                    "role {role} is in an account that was not audited (or IAM was not collected)"
                )],
                format!(
                    "{} names {role}, which could not be verified",
                    match via {
                        LinkVia::Irsa => "IRSA annotation eks.amazonaws.com/role-arn",
                        LinkVia::PodIdentity => "a Pod Identity association",
                    }
                ),
            );
        }
        match via {
            LinkVia::Irsa => self.web_identity(ns, name, role),
            LinkVia::PodIdentity => self.pod_identity(ns, name, role),
        }
    }
}
