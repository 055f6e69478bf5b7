//! The symbolic side of IRSA trust: which service accounts a role's trust
//! admits through a cluster's OIDC provider (`sub` values and patterns as
//! scopes), whether or not they exist, and the corrected trust that admits
//! exactly the ones meant (remediation).

use super::*;

/// The service accounts a `sub` value or pattern admits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaScope {
    /// Any service account of the cluster (no `sub`, `system:serviceaccount:*:*`,
    /// a negated operator, or a wildcard across namespaces).
    Any { why: String },
    /// Several service accounts of one namespace (`system:serviceaccount:team-a:*`).
    Namespace { namespace: String, pattern: String },
    /// Exactly these subjects (`system:serviceaccount:<ns>:<name>`).
    Exact(Vec<String>),
}

impl SaScope {
    /// Broad scopes (IRSA-006) rank above exact names.
    pub(super) fn rank(&self) -> u8 {
        match self {
            SaScope::Any { .. } => 2,
            SaScope::Namespace { .. } => 1,
            SaScope::Exact(_) => 0,
        }
    }
}

/// One Allow statement of a trust policy that admits a cluster's provider.
#[derive(Debug, Clone)]
pub struct ProviderTrust {
    pub index: usize,
    pub sid: Option<String>,
    /// `Statement[0] (Sid "x")`.
    pub label: String,
    /// Every scope the statement's `sub` admits (one per value; a union).
    pub scopes: Vec<SaScope>,
    /// The sub condition(s) as written, for evidence.
    pub sub_conditions: Vec<String>,
    pub has_sub: bool,
    pub has_aud: bool,
    /// The aud values required, when an aud condition is present.
    pub aud_values: Vec<String>,
}

impl ProviderTrust {
    /// The broadest scope admitted.
    pub fn widest(&self) -> Option<&SaScope> {
        self.scopes.iter().max_by_key(|s| s.rank())
    }
}

/// Whether a Federated principal value names the provider of this issuer. Exact,
/// as STS compares a Federated principal: other letter case is another provider.
pub fn names_issuer(federated: &str, issuer: &str) -> bool {
    provider_arn_host(federated).is_some_and(|h| h.trim_end_matches('/') == issuer)
}

/// The Allow statements of a trust that admit web identities of this issuer's provider,
/// with the service accounts each admits.
pub fn provider_statements(trust: &PolicyDocument, issuer: &str) -> Vec<ProviderTrust> {
    let sub_key = format!("{issuer}:sub");
    let aud_key = format!("{issuer}:aud");
    let mut out = Vec::new();
    for s in &trust.statements {
        if s.effect != Effect::Allow {
            continue;
        }
        let action_hit = s
            .action
            .values
            .iter()
            .any(|a| action_matches(a, WEB_IDENTITY_ACTION));
        if action_hit == s.action.negated {
            continue;
        }
        let Some(p) = &s.principal else { continue };
        // `"*"` and `{"AWS": "*"}` admit every caller, web identities included;
        // `{"Federated": "*"}` names no provider (the Principal element page).
        let names = p
            .entries
            .iter()
            .any(|(k, v)| *k == PrincipalKind::Federated && names_issuer(v, issuer));
        if p.negated || !(p.admits_everyone() || names) {
            continue;
        }
        let subs: Vec<&Condition> = s.conditions.iter().filter(|c| c.is_key(&sub_key)).collect();
        let auds: Vec<&Condition> = s.conditions.iter().filter(|c| c.is_key(&aud_key)).collect();
        let mut scopes = Vec::new();
        if subs.is_empty() {
            scopes.push(SaScope::Any {
                why: "no sub condition".to_string(),
            });
        } else {
            // Several sub conditions must all hold: the narrowest one bounds the statement.
            let mut per_condition: Vec<Vec<SaScope>> =
                subs.iter().map(|c| condition_scopes(c)).collect();
            per_condition.sort_by_key(|v| v.iter().map(SaScope::rank).max().unwrap_or(0));
            if let Some(first) = per_condition.into_iter().next() {
                scopes = first;
            }
        }
        out.push(ProviderTrust {
            index: s.index,
            sid: s.sid.clone(),
            label: s.label(),
            scopes,
            sub_conditions: subs.iter().map(|c| c.describe()).collect(),
            has_sub: !subs.is_empty(),
            has_aud: !auds.is_empty(),
            aud_values: auds.iter().flat_map(|c| c.values.clone()).collect(),
        });
    }
    out
}

fn condition_scopes(c: &Condition) -> Vec<SaScope> {
    if c.op.negated() {
        return vec![SaScope::Any {
            why: format!("{} admits every other service account", c.describe()),
        }];
    }
    match c.op {
        Operator::StringEquals | Operator::StringEqualsIgnoreCase => {
            vec![SaScope::Exact(c.values.clone())]
        }
        Operator::StringLike => c.values.iter().map(|v| like_scope(v)).collect(),
        _ => vec![SaScope::Any {
            why: format!(
                "{} is not a StringEquals/StringLike test of the subject",
                c.describe()
            ),
        }],
    }
}

/// Classify one `StringLike` sub pattern.
pub fn like_scope(v: &str) -> SaScope {
    if !v.contains(['*', '?']) {
        return SaScope::Exact(vec![v.to_string()]);
    }
    let parts: Vec<&str> = v.splitn(4, ':').collect();
    if parts.len() == 4 && parts[0] == "system" && parts[1] == "serviceaccount" {
        let (ns, name) = (parts[2], parts[3]);
        if !ns.contains(['*', '?']) && !name.contains(':') {
            return SaScope::Namespace {
                namespace: ns.to_string(),
                pattern: v.to_string(),
            };
        }
    }
    SaScope::Any {
        why: format!("StringLike {v} matches service accounts in any namespace"),
    }
}

/// Whether a StringLike/StringEquals scope admits this subject.
pub fn scope_admits(scope: &SaScope, sub: &str) -> bool {
    match scope {
        SaScope::Any { .. } => true,
        SaScope::Namespace { pattern, .. } => wildcard_match(pattern, sub, false),
        SaScope::Exact(v) => v.iter().any(|x| x == sub),
    }
}

/// `system:serviceaccount:ns:name` → (ns, name).
pub fn parse_sub(sub: &str) -> Option<(&str, &str)> {
    let rest = sub.strip_prefix("system:serviceaccount:")?;
    let (ns, name) = rest.split_once(':')?;
    if ns.is_empty() || name.is_empty() || name.contains(':') {
        return None;
    }
    Some((ns, name))
}

// ---------------------------------------------------------------- remediation

/// The trust policy that admits exactly these service accounts through a provider.
pub fn corrected_trust(
    provider_arn: &str,
    issuer: &str,
    subs: &[String],
    audience: &str,
) -> serde_json::Value {
    let sub: serde_json::Value = if subs.len() == 1 {
        serde_json::Value::String(subs[0].clone())
    } else {
        serde_json::Value::Array(
            subs.iter()
                .cloned()
                .map(serde_json::Value::String)
                .collect(),
        )
    };
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": WEB_IDENTITY_ACTION,
            "Condition": {
                "StringEquals": {
                    format!("{issuer}:sub"): sub,
                    format!("{issuer}:aud"): audience,
                }
            }
        }]
    })
}
