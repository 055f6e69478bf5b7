//! The stable identity of a finding (`docs/findings-id.md`).
//!
//! `id` = the first 16 hex digits of SHA-256 over
//! `iamscope-finding/1`, the rule, the subject's kind and keys (sorted by key
//! name), and, for an IRSA or PODID finding about a service account or a Pod
//! Identity association, `related` and the first related IAM role (the role
//! the identity is tied to), each followed by a NUL byte. Titles, evidence, severity and the other related subjects are
//! left out: they say how bad the finding is today, not which finding it is.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::audit::{Finding, Subject};

/// The scheme's version, hashed in: bump it only when a rule's meaning changes.
const SCHEME: &str = "iamscope-finding/1";

/// The subject's kind and keys as `kind`, then `key=value` sorted by key.
fn subject_parts(subject: &Value) -> Vec<String> {
    let mut parts = Vec::new();
    if let Value::Object(map) = subject {
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
        parts.push(kind.to_string());
        let mut keys: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| *k != "kind").collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in keys {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            parts.push(format!("{k}={v}"));
        }
    }
    parts
}

/// The id of a finding given as its report fields (JSON subject and related).
pub fn of_parts(rule: &str, subject: &Value, related: &[Value]) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update(s.as_bytes());
        h.update([0u8]);
    };
    put(SCHEME);
    put(rule);
    for p in subject_parts(subject) {
        put(&p);
    }
    let is_role = |v: &Value| v.get("kind").and_then(Value::as_str) == Some("IamRole");
    if role_defines(rule, subject)
        && let Some(role) = related.iter().find(|r| is_role(r))
    {
        put("related");
        for p in subject_parts(role) {
            put(&p);
        }
    }
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the related role is part of the finding's identity: an IRSA or
/// PODID finding about an identity (a service account pointed at another role
/// is another finding). PATH-001 has one finding per subject, its worst role:
/// a different role there is the same finding, changed.
fn role_defines(rule: &str, subject: &Value) -> bool {
    let kind = subject.get("kind").and_then(Value::as_str);
    (rule.starts_with("IRSA-") || rule.starts_with("PODID-"))
        && matches!(kind, Some("ServiceAccount" | "PodIdentityAssociation"))
}

fn subject_value(s: &Subject) -> Value {
    serde_json::to_value(s).unwrap_or(Value::Null)
}

/// The id of an audit finding.
pub fn of(f: &Finding) -> String {
    let role = f
        .related
        .iter()
        .find(|r| matches!(r, Subject::IamRole { .. }))
        .map(subject_value);
    of_parts(f.rule, &subject_value(&f.subject), role.as_slice())
}

/// Give every finding its id.
pub fn assign(findings: &mut [Finding]) {
    let ids: Vec<String> = crate::par::shares(findings, 4096, |_, part| {
        part.iter().map(of).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    for (f, id) in findings.iter_mut().zip(ids) {
        f.id = id;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Severity;
    use serde_json::json;

    /// The documented scheme, as Python's hashlib computes it in
    /// docs/findings-id.md: a change
    /// here breaks every baseline and acceptance file users keep.
    #[test]
    fn id_is_the_documented_hash() {
        let f = Finding::new(
            "IRSA-005",
            Severity::High,
            Subject::service_account("payments", "api"),
            "any title",
        )
        .related(Subject::iam_role(
            "arn:aws:iam::111122223333:role/payments-reader",
        ));
        assert_eq!(of(&f), "b1d9854cf003d071");
    }

    #[test]
    fn id_ignores_title_severity_evidence_and_other_related() {
        let base = Finding::new(
            "RBAC-004",
            Severity::High,
            Subject::service_account("ci", "deployer"),
            "t1",
        );
        let other = Finding::new(
            "RBAC-004",
            Severity::Medium,
            Subject::service_account("ci", "deployer"),
            "t2",
        )
        .evidence("e")
        .related(Subject::service_account("a", "b"))
        .conditional();
        assert_eq!(of(&base), of(&other));
        // A role related to an RBAC or PATH finding does not define it...
        let role = |arn: &str| base.clone().related(Subject::iam_role(arn));
        assert_eq!(
            of(&role("arn:aws:iam::1:role/a")),
            of(&role("arn:aws:iam::1:role/b"))
        );
        // ...the role an IRSA finding's service account names does.
        let irsa = Finding::new(
            "IRSA-009",
            Severity::High,
            Subject::service_account("ci", "deployer"),
            "t",
        );
        let role = |arn: &str| irsa.clone().related(Subject::iam_role(arn));
        assert_ne!(
            of(&role("arn:aws:iam::1:role/a")),
            of(&role("arn:aws:iam::1:role/b"))
        );
        let mut rule = base.clone();
        rule.rule = "RBAC-005";
        assert_ne!(of(&base), of(&rule));
        // Keys hash by name, not by the order a report lists them.
        let a = json!({"kind": "ServiceAccount", "namespace": "ci", "name": "deployer"});
        let b = json!({"name": "deployer", "kind": "ServiceAccount", "namespace": "ci"});
        assert_eq!(of_parts("X-1", &a, &[]), of_parts("X-1", &b, &[]));
        assert_eq!(of_parts("RBAC-004", &a, &[]), of(&base));
    }
}
