//! RBAC-012: legacy service-account token Secrets (their metadata only: the
//! Secret's data is never read).

use super::*;

/// RBAC-012: legacy service-account token Secrets.
pub(super) fn check_secrets(ctx: &Context, iam: &IamSas, out: &mut Vec<Finding>) {
    for s in &ctx.inv.secrets {
        if s.type_ != "kubernetes.io/service-account-token" {
            continue;
        }
        let mut f = Finding::new(
            "RBAC-012",
            Severity::Medium,
            Subject::Secret {
                namespace: s.namespace.clone(),
                name: s.name.clone(),
            },
            format!(
                "Secret {}/{} is a long-lived service-account token",
                s.namespace, s.name
            ),
        )
        .evidence(format!(
            "type kubernetes.io/service-account-token{}",
            s.created
                .as_deref()
                .map(|c| format!(", created {c}"))
                .unwrap_or_default()
        ));
        if let Some(sa) = &s.service_account {
            f = f
                .evidence(format!(
                    "a token of ServiceAccount {}/{sa} that never expires",
                    s.namespace
                ))
                .related(Subject::service_account(&s.namespace, sa));
            if iam.has_role(&s.namespace, sa) {
                f = f.evidence(iam.describe(&s.namespace, sa));
            }
        }
        out.push(f.remediation(format!(
            "Use short-lived projected tokens (TokenRequest, `kubectl create token`) instead, then `kubectl -n {} delete secret {}`.",
            s.namespace, s.name
        )));
    }
}
