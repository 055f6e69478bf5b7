//! IRSA-001, 008, 009: the `eks.amazonaws.com/role-arn` annotation of each
//! service account (an invalid ARN, a default service account with a role, a
//! role no pod uses).

use super::*;

/// Checks each annotated service account and returns those whose annotation
/// is a role ARN, with that ARN, for the rules that follow the annotation.
pub(super) fn check<'a>(
    ctx: &Context<'a>,
    out: &mut Vec<Finding>,
) -> Vec<(&'a ServiceAccount, RoleArn)> {
    let g = ctx.graph;
    let inv = ctx.inv;
    let pods_seen = inv.seen(SRC_PODS);
    let mut annotated: Vec<(&ServiceAccount, RoleArn)> = Vec::new();
    for sa in &inv.service_accounts {
        let Some(ann) = sa.irsa_annotation() else {
            continue;
        };
        let subject = Subject::service_account(&sa.namespace, &sa.name);
        let arn = match RoleArn::parse(ann) {
            Ok(a) => a,
            Err(e) => {
                let account = audited_account(inv).unwrap_or_else(|| "ACCOUNT_ID".to_string());
                out.push(
                    Finding::new(
                        "IRSA-001",
                        Severity::High,
                        subject,
                        format!(
                            "Service account {}/{} is annotated with an invalid role ARN",
                            sa.namespace, sa.name
                        ),
                    )
                    .evidence(format!("eks.amazonaws.com/role-arn: {ann}"))
                    .evidence(e.to_string())
                    .evidence("pods of this service account get no AWS identity")
                    .remediation(format!(
                        "Set the annotation to the role's full ARN (arn:<partition>:iam::<12-digit account>:role/<path/>name):\nkubectl annotate serviceaccount -n {} {} --overwrite eks.amazonaws.com/role-arn=arn:aws:iam::{account}:role/ROLE_NAME\nthen restart the pods that use it.",
                        sa.namespace, sa.name
                    )),
                );
                continue;
            }
        };
        if sa.name == "default" {
            out.push(
                Finding::new(
                    "IRSA-009",
                    Severity::Medium,
                    subject.clone(),
                    format!(
                        "The default service account of namespace {} has IAM role {}",
                        sa.namespace, arn.name
                    ),
                )
                .related(Subject::iam_role(&arn.to_string()))
                .evidence(format!("eks.amazonaws.com/role-arn: {arn}"))
                .evidence("every pod in the namespace that names no service account runs with this role")
                .remediation(format!(
                    "Create a dedicated service account for the workload, annotate it instead, set serviceAccountName in its pod template, then remove the annotation from the default account:\nkubectl create serviceaccount -n {ns} WORKLOAD\nkubectl annotate serviceaccount -n {ns} WORKLOAD eks.amazonaws.com/role-arn={arn}\nkubectl annotate serviceaccount -n {ns} default eks.amazonaws.com/role-arn-",
                    ns = sa.namespace
                )),
            );
        }
        if pods_seen && g.sa_uses(&sa.namespace, &sa.name).is_empty() {
            out.push(
                Finding::new(
                    "IRSA-008",
                    Severity::Low,
                    subject.clone(),
                    format!(
                        "Service account {}/{} has IAM role {} but no pod or workload uses it",
                        sa.namespace, sa.name, arn.name
                    ),
                )
                .related(Subject::iam_role(&arn.to_string()))
                .evidence(format!("eks.amazonaws.com/role-arn: {arn}"))
                .evidence("no pod and no workload template runs as this service account")
                .remediation(format!(
                    "If nothing needs it any more, remove the grant: kubectl annotate serviceaccount -n {} {} eks.amazonaws.com/role-arn- (or delete the service account), and review whether role {} is still needed.",
                    sa.namespace, sa.name, arn.name
                )),
            );
        }
        annotated.push((sa, arn));
    }
    annotated
}
