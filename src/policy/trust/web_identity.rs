//! IRSA's web identity: the `sts:AssumeRoleWithWebIdentity` request a pod's
//! projected token makes, its evaluation against a trust policy, and why a
//! trust does not admit it (in the words a user fixes it with).
//!

use super::*;

/// The web-identity request a pod's token makes.
#[derive(Debug, Clone)]
pub struct WebIdentity<'a> {
    /// The provider ARN the token is federated through.
    pub provider_arn: &'a str,
    /// The issuer host and path (`oidc.eks.…/id/X`), the prefix of the condition keys.
    pub issuer: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub audience: &'a str,
}

impl WebIdentity<'_> {
    pub fn sub(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }

    /// The request STS evaluates the trust policy against: the keys it sets for an
    /// `AssumeRoleWithWebIdentity` with a Kubernetes service-account token, and
    /// every other key absent, so that a condition on another issuer's keys or on
    /// a key STS never sets is decided ("IAM and AWS STS condition context keys:
    /// available keys for AWS web identity federation"; "AWS global condition
    /// context keys"):
    /// - `<issuer>:sub` (the token's `sub`) and `<issuer>:aud` (its `aud`: the
    ///   token has no `azp`); `<issuer>:amr` is set by Amazon Cognito only and
    ///   `oaud` by Google only, so both are absent here, as are other issuers' keys;
    /// - `aws:FederatedProvider`, the provider's ARN;
    /// - `aws:SecureTransport` true (STS is reached over TLS only);
    /// - `aws:ViaAWSService` false: the pod calls STS itself.
    ///
    /// Keys whose value depends on the moment, the network or the SDK stay
    /// unknown: the time keys, the source IP/VPC keys, the user agent, the
    /// Region asked for and the session name the SDK picks. No session tags are
    /// passed (an EKS token carries none): `aws:RequestTag/…`, `aws:TagKeys` and
    /// `aws:PrincipalTag/…` are absent.
    pub fn request(&self) -> Request {
        let mut r = Request::new(WEB_IDENTITY_ACTION)
            .principal(PrincipalKind::Federated, self.provider_arn)
            .key(&format!("{}:sub", self.issuer), self.sub())
            .key(&format!("{}:aud", self.issuer), self.audience)
            .key("aws:FederatedProvider", self.provider_arn)
            .key("aws:SecureTransport", "true")
            .key("aws:ViaAWSService", "false");
        for k in RUNTIME_KEYS {
            r = r.unknown_because(k, RUNTIME_WHY);
        }
        r.unknown_because("sts:RoleSessionName", "chosen by the SDK in the pod")
            .closed()
    }
}

/// Does the trust policy let this service account assume the role with web identity?
pub fn check_web_identity(trust: &PolicyDocument, wi: &WebIdentity) -> TrustAnswer {
    let req = wi.request();
    match evaluate(&[("trust policy", trust)], &req) {
        Decision::Allowed { by } => TrustAnswer::Allowed {
            statements: by.iter().map(stmt_label).collect(),
        },
        Decision::Denied { why, .. } => TrustAnswer::Denied { reasons: vec![why] },
        Decision::Undecided { conditions } => TrustAnswer::Undecided { conditions },
        Decision::NotAllowed { .. } => TrustAnswer::Denied {
            reasons: explain_web_identity(trust, wi, &req),
        },
    }
}

/// Why no Allow statement admits the request, in the words a user fixes it with.
fn explain_web_identity(trust: &PolicyDocument, wi: &WebIdentity, req: &Request) -> Vec<String> {
    let mut out = Vec::new();
    let allows: Vec<&Statement> = trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .collect();
    if allows.is_empty() {
        return vec!["the trust policy has no Allow statement".to_string()];
    }
    for s in allows {
        let label = s.label();
        // Principal first: the most common mistake is another cluster's provider.
        if let Some(p) = &s.principal {
            let federated: Vec<&str> = p
                .entries
                .iter()
                .filter(|(k, _)| *k == PrincipalKind::Federated)
                .map(|(_, v)| v.as_str())
                .collect();
            // The same comparison as the evaluation: exact, `"*"` and `{"AWS": "*"}` for all.
            let admits = p.matches(&PrincipalKind::Federated, wi.provider_arn);
            if !admits {
                let other_providers: Vec<&str> = federated
                    .iter()
                    .copied()
                    .filter(|f| provider_arn_host(f).is_some())
                    .collect();
                if !other_providers.is_empty() {
                    out.push(format!(
                        "{label} trusts {} (another cluster's provider), not this cluster's provider {}",
                        other_providers.join(", "),
                        wi.provider_arn
                    ));
                } else {
                    out.push(format!(
                        "{label} trusts {}, not this cluster's provider {}",
                        p.describe(),
                        wi.provider_arn
                    ));
                }
                continue;
            }
        }
        let action_hit = s
            .action
            .values
            .iter()
            .any(|a| action_matches(a, WEB_IDENTITY_ACTION));
        if action_hit == s.action.negated {
            out.push(format!(
                "{label} allows {} for this provider, not {WEB_IDENTITY_ACTION}",
                short(&s.action.values)
            ));
            continue;
        }
        let mut failed = false;
        for c in &s.conditions {
            if let Check::No(why) = eval_condition(c, req) {
                failed = true;
                out.push(format!(
                    "{label}: {}",
                    explain_condition(c, wi).unwrap_or(why)
                ));
            }
        }
        if !failed && let Check::No(why) = statement_applies(s, req) {
            out.push(format!("{label}: {why}"));
        }
    }
    out
}

/// `sub condition is system:serviceaccount:payment:api, not system:serviceaccount:payments:api`.
fn explain_condition(c: &Condition, wi: &WebIdentity) -> Option<String> {
    let key = c.key.to_ascii_lowercase();
    let issuer = wi.issuer.to_ascii_lowercase();
    let want_sub = wi.sub();
    if key == format!("{issuer}:sub") {
        let what = match parse_sub_values(c) {
            Some((ns, names)) if !ns.iter().any(|n| n == wi.namespace) => {
                format!("another namespace ({})", names.join(", "))
            }
            Some(_) => "another service account name".to_string(),
            None => "another subject".to_string(),
        };
        return Some(format!(
            "sub condition is {} {}, not {want_sub} ({what})",
            c.operator,
            short(&c.values)
        ));
    }
    if key == format!("{issuer}:aud") {
        return Some(format!(
            "aud condition is {} {}, not the service account's audience {}",
            c.operator,
            short(&c.values),
            wi.audience
        ));
    }
    None
}

/// The namespaces named by a sub condition's values, with the values.
fn parse_sub_values(c: &Condition) -> Option<(Vec<String>, Vec<String>)> {
    let mut ns = Vec::new();
    for v in &c.values {
        let rest = v.strip_prefix("system:serviceaccount:")?;
        let (n, _) = rest.split_once(':')?;
        ns.push(n.to_string());
    }
    Some((ns, c.values.clone()))
}
