//! IRSA-002, 003, 005: the role an annotation names is in an account that was
//! not audited, does not exist, or its trust does not admit the service account.

use super::*;

pub(super) fn check(
    ctx: &Context,
    annotated: &[(&ServiceAccount, RoleArn)],
    by_role: &HashMap<String, Vec<&ServiceAccount>>,
    issuer: &Option<String>,
    out: &mut Vec<Finding>,
) {
    let g = ctx.graph;
    let inv = ctx.inv;
    let audited = audited_account(inv);
    for (sa, arn) in annotated {
        let subject = Subject::service_account(&sa.namespace, &sa.name);
        match audited.as_deref() {
            Some(acct) if acct != arn.account => {
                out.push(
                    Finding::new(
                        "IRSA-003",
                        Severity::Info,
                        subject,
                        format!(
                            "Role {} of {}/{} is in account {}, which was not audited",
                            arn.name, sa.namespace, sa.name, arn.account
                        ),
                    )
                    .related(Subject::iam_role(&arn.to_string()))
                    .evidence(format!("eks.amazonaws.com/role-arn: {arn}"))
                    .evidence(format!("the audited account is {acct}"))
                    .remediation(format!(
                        "Audit account {} as well (iam.json from `aws iam get-account-authorization-details` there) so that the role's trust and permissions can be checked.",
                        arn.account
                    )),
                );
                continue;
            }
            None => continue,
            Some(_) => {}
        }
        if !g.iam_seen() {
            continue;
        }
        let Some(role) = find_role(inv, g, arn) else {
            out.push(
                Finding::new(
                    "IRSA-002",
                    Severity::High,
                    subject,
                    format!(
                        "Service account {}/{} names role {}, which does not exist",
                        sa.namespace, sa.name, arn.name
                    ),
                )
                .related(Subject::iam_role(&arn.to_string()))
                .evidence(format!("eks.amazonaws.com/role-arn: {arn}"))
                .evidence(format!(
                    "no role named {} in account {}",
                    arn.name, arn.account
                ))
                .remediation(format!(
                    "Create the role with a trust for this service account, or point the annotation at the right role (kubectl annotate serviceaccount -n {} {} --overwrite eks.amazonaws.com/role-arn=ARN). Until then, whoever creates a role named {} in this account decides what these pods can do.",
                    sa.namespace, sa.name, arn.name
                )),
            );
            continue;
        };
        let (Some(issuer), Some(trust)) = (issuer.as_deref(), trust_of(g, role)) else {
            continue;
        };
        if let Some(TrustAnswer::Denied { reasons }) = irsa_answer(g, role, &trust, sa) {
            let mut others: Vec<&ServiceAccount> = by_role
                .get(&role.arn.to_ascii_lowercase())
                .cloned()
                .unwrap_or_default();
            if !others
                .iter()
                .any(|o| o.namespace == sa.namespace && o.name == sa.name)
            {
                others.push(sa);
            }
            let subs: Vec<String> = others
                .iter()
                .map(|o| o.username())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let auds: BTreeSet<String> = others.iter().map(|o| o.audience().to_string()).collect();
            let mut f = Finding::new(
                "IRSA-005",
                Severity::High,
                subject,
                format!(
                    "Trust policy of role {} does not admit {}/{}",
                    role.name, sa.namespace, sa.name
                ),
            )
            .related(Subject::iam_role(&role.arn));
            for r in reasons {
                f = f.evidence(r);
            }
            f = f
                .evidence(format!(
                    "request: {} from {} with sub {} and aud {}",
                    crate::policy::trust::WEB_IDENTITY_ACTION,
                    provider_arn_for(g, issuer, &role.arn),
                    sa.username(),
                    sa.audience()
                ))
                .remediation(fix_for(
                    ctx,
                    issuer,
                    role,
                    &subs,
                    &auds,
                    &format!(
                        "Replace the trust policy of {} with one that admits exactly the service accounts annotated with it ({}):",
                        role.name,
                        examples(&subs)
                    ),
                ));
            out.push(f);
        }
    }
}
