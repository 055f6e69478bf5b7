//! IRSA-004: the cluster's IAM OIDC provider is missing or does not accept the
//! audience its service accounts use; said once, on the cluster, with the
//! affected service accounts.

use super::*;

pub(super) fn check(
    ctx: &Context,
    annotated: &[(&ServiceAccount, RoleArn)],
    issuer: &Option<String>,
    out: &mut Vec<Finding>,
) {
    let g = ctx.graph;
    let (provider_problem, accepted): (Option<String>, Vec<String>) = match g.provider_state() {
        ProviderState::Missing { issuer } => (
            Some(format!(
                "no IAM OIDC provider for issuer {issuer} in account {}",
                g.account().unwrap_or("(unknown)")
            )),
            Vec::new(),
        ),
        ProviderState::NoStsAudience { provider, .. } | ProviderState::Ok { provider, .. } => (
            Some(format!(
                "IAM OIDC provider {} has ClientIDList {:?}",
                provider.arn, provider.client_ids
            )),
            provider.client_ids.clone(),
        ),
        _ => (None, Vec::new()),
    };
    if let Some(problem) = provider_problem {
        let missing = accepted.is_empty();
        let affected: Vec<&(&ServiceAccount, RoleArn)> = annotated
            .iter()
            .filter(|(sa, _)| missing || !accepted.iter().any(|c| c == sa.audience()))
            .collect();
        if !affected.is_empty() {
            let issuer_s = issuer.clone().unwrap_or_default();
            let title = if missing {
                format!(
                    "Cluster {} has no IAM OIDC provider: IRSA cannot work",
                    g.cluster_name()
                )
            } else {
                format!(
                    "The IAM OIDC provider of cluster {} does not accept the audience its service accounts use",
                    g.cluster_name()
                )
            };
            let remediation = if missing {
                format!(
                    "Create the provider for the cluster's issuer:\neksctl utils associate-iam-oidc-provider --cluster {} --approve\nor: aws iam create-open-id-connect-provider --url https://{issuer_s} --client-id-list sts.amazonaws.com",
                    g.cluster_name()
                )
            } else {
                let mut auds: BTreeSet<&str> =
                    affected.iter().map(|(sa, _)| sa.audience()).collect();
                auds.retain(|a| !accepted.iter().any(|c| c == a));
                let arn = provider_arn_for(g, &issuer_s, &affected[0].1.to_string());
                auds.iter()
                    .map(|a| format!("aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {arn} --client-id {a}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let mut f = Finding::new(
                "IRSA-004",
                Severity::High,
                Subject::Cluster {
                    name: g.cluster_name(),
                },
                title,
            )
            .evidence(problem)
            .remediation(remediation);
            for (sa, arn) in affected.iter().take(MAX_EXAMPLES) {
                f = f.evidence(format!(
                    "affected: {}/{} (role {arn}, audience {})",
                    sa.namespace,
                    sa.name,
                    sa.audience()
                ));
            }
            if affected.len() > MAX_EXAMPLES {
                f = f.evidence(format!(
                    "… and {} more annotated service accounts",
                    crate::audit::iam::fmt_count(affected.len() - MAX_EXAMPLES)
                ));
            }
            let sas: Vec<&ServiceAccount> = affected.iter().map(|(sa, _)| *sa).collect();
            f = f.with_related(&accounts(&sas, ctx.opts.max_related));
            out.push(f);
        }
    }
}
