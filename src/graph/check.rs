//! The checks a source runs while it reads (`source::Check`), made here where
//! the IAM engine and the node join are known: every IAM document the engine
//! cannot read is a coverage problem, and each role's trust policy is kept as
//! parsed ([`ParsedTrusts`]) so that the graph does not parse it again; what
//! the node join (`imds`) could not tell is a coverage problem too, so that a
//! snapshot's coverage and the report's agree. The sources call it; they do
//! not import this module (ARCHITECTURE.md).

use std::sync::Arc;

use crate::model::{IamInventory, IamRole, Inventory};
use crate::policy::iam::{PolicyDocument, parse_document};

/// Each role's trust policy as parsed when the inventory was read, by role
/// index: the role's ARN and its document (`None` when absent or not
/// parseable). Handed to [`Graph::build_with_trusts`](super::Graph::build_with_trusts)
/// beside the inventory; empty for inventories built any other way (the graph
/// then parses on first use). Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct ParsedTrusts(Arc<[(String, Option<Arc<PolicyDocument>>)]>);

impl ParsedTrusts {
    /// The trust parsed for the `i`th role, if the role there has this ARN.
    pub(super) fn get(&self, i: usize, arn: &str) -> Option<Option<Arc<PolicyDocument>>> {
        match self.0.get(i) {
            Some((a, doc)) if a == arn => Some(doc.clone()),
            _ => None,
        }
    }
}

/// The checks every reading of an inventory is handed: the IAM documents,
/// parsed by the engine, and the node join's gaps.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadCheck;

impl crate::source::Check for ReadCheck {
    type Kept = ParsedTrusts;

    /// Policy documents the IAM engine cannot read are problems of the input,
    /// named where they are: a role whose only policy is unreadable must not
    /// look harmless just because nothing could be evaluated. With them, every
    /// role's trust policy as parsed.
    fn documents(&self, iam: &IamInventory) -> (Vec<String>, ParsedTrusts) {
        // Tens of thousands of roles in a large account: one share per core.
        let roles = &iam.roles;
        let parts = crate::par::shares(roles, 4096, role_problems);
        let mut problems = Vec::new();
        let mut trusts = Vec::with_capacity(roles.len());
        for (p, t) in parts {
            problems.extend(p);
            trusts.extend(t);
        }
        for p in &iam.policies {
            if let Some(d) = &p.document
                && let Err(e) = parse_document(d)
            {
                problems.push(format!(
                    "managed policy {}: cannot be evaluated: {e}",
                    p.arn
                ));
            }
        }
        (problems, ParsedTrusts(trusts.into()))
    }

    fn gaps(&self, inv: &Inventory) -> Vec<String> {
        super::imds::coverage_gaps(inv)
    }
}

/// Roles' ARNs and trust policies as parsed, in role order.
type RoleTrusts = Vec<(String, Option<Arc<PolicyDocument>>)>;

/// The document problems of `roles` and their parsed trusts; `base` is the
/// index of the first of them in the inventory.
fn role_problems(base: usize, roles: &[IamRole]) -> (Vec<String>, RoleTrusts) {
    let mut problems = Vec::new();
    let mut trusts = Vec::with_capacity(roles.len());
    for (i, r) in roles.iter().enumerate() {
        let at = format!("RoleDetailList[{}] ({})", base + i, r.name);
        let trust = match r.trust_policy.as_ref().map(parse_document) {
            Some(Ok(doc)) => Some(Arc::new(doc)),
            Some(Err(e)) => {
                problems.push(format!("{at}: trust policy cannot be evaluated: {e}"));
                None
            }
            None => None,
        };
        trusts.push((r.arn.clone(), trust));
        for p in &r.inline_policies {
            if let Err(e) = parse_document(&p.document) {
                problems.push(format!(
                    "{at}: inline policy {} cannot be evaluated: {e}",
                    p.name
                ));
            }
        }
    }
    (problems, trusts)
}
