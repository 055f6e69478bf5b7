//! IRSA rules: IAM roles for service accounts (IRSA-001..IRSA-010).
//!
//! "Does not exist" is only said where the input was collected: IAM for roles,
//! the OIDC provider list for the provider, the service-account list for
//! service accounts. What was not collected is shown by the report's coverage.
//!
//! IRSA-004 and IRSA-005: when the cluster's OIDC provider is missing, every
//! IRSA role is broken for that one reason, and IRSA-004 says so once with the
//! affected service accounts. IRSA-005 is then evaluated against the provider
//! ARN the role's account *would* have (`arn:…:oidc-provider/<issuer>`), so a
//! trust that is right apart from the missing provider raises nothing more,
//! and a trust that is also wrong (another namespace, another audience) still
//! raises IRSA-005: that part would stay broken after the provider is created.
//!
//! One idea a file: `annotations` (IRSA-001, 008, 009 on each annotated
//! service account), `provider` (IRSA-004, the cluster's OIDC provider),
//! `annotated_roles` (IRSA-002, 003, 005: the role an annotation names),
//! `trusts` (IRSA-006, 007, 010: what each role's trust admits), `remediation`
//! (the corrected trust as JSON, AWS CLI and Terraform). Rules read the graph
//! and the trust engine; they never read sources or draw (ARCHITECTURE.md).

use crate::hashing::HashMap;
use std::collections::BTreeSet;

use super::{Context, Finding, MAX_EXAMPLES, MAX_RELATED, Related, Severity, Subject};
use crate::graph::ProviderState;
use crate::graph::reach::{
    IrsaChecker, SaIndex, audited_account, cluster_issuer, find_role, irsa_answer,
    provider_arn_for, trust_of,
};
use crate::model::{IamRole, RoleArn, ServiceAccount};
use crate::policy::trust::{SaScope, TrustAnswer, corrected_trust, parse_sub, provider_statements};

mod annotated_roles;
mod annotations;
mod provider;
mod remediation;
#[cfg(test)]
mod tests;
mod trusts;

use remediation::fix_for;
pub use remediation::trust_fix_text;

const SRC_SERVICE_ACCOUNTS: &str = "kubernetes/serviceaccounts";
const SRC_PODS: &str = "kubernetes/pods";

/// The service accounts of the cluster annotated with each role (by lowercase role ARN).
fn annotated_index<'a>(
    ctx: &Context<'a>,
    annotated: &[(&'a ServiceAccount, RoleArn)],
) -> HashMap<String, Vec<&'a ServiceAccount>> {
    let mut by_role: HashMap<String, Vec<&'a ServiceAccount>> = HashMap::default();
    for (sa, arn) in annotated {
        if let Some(r) = find_role(ctx.inv, ctx.graph, arn) {
            by_role
                .entry(r.arn.to_ascii_lowercase())
                .or_default()
                .push(sa);
        }
    }
    by_role
}

/// Service accounts as related subjects: by namespace and name when there are
/// more than can be listed (so that the ones listed do not depend on the
/// listing order), as given otherwise.
fn accounts(sas: &[&ServiceAccount], limit: Option<usize>) -> Related {
    let mut sas: Vec<&ServiceAccount> = sas.to_vec();
    if limit.is_some_and(|n| sas.len() > n) {
        sas.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    }
    Related::of(
        sas.iter()
            .map(|sa| Subject::service_account(&sa.namespace, &sa.name)),
        limit,
    )
}

/// `a, b, c, d, e and 12 more`: a list named in a title or sentence, bounded.
fn examples(items: &[String]) -> String {
    if items.len() <= MAX_EXAMPLES {
        return items.join(", ");
    }
    format!(
        "{} and {} more",
        items[..MAX_EXAMPLES].join(", "),
        super::iam::fmt_count(items.len() - MAX_EXAMPLES)
    )
}

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let issuer = cluster_issuer(ctx.graph);
    let annotated = annotations::check(ctx, out);
    provider::check(ctx, &annotated, &issuer, out);
    let by_role = annotated_index(ctx, &annotated);
    annotated_roles::check(ctx, &annotated, &by_role, &issuer, out);
    trusts::check(ctx, &by_role, &issuer, out);
}
