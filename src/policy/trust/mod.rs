//! Trust policies: can this service account assume this role?
//!
//! Two request contexts are built here and evaluated with [`super::iam`]:
//! IRSA's web identity (`sts:AssumeRoleWithWebIdentity` from the cluster's IAM
//! OIDC provider, with `<issuer>:sub` and `<issuer>:aud`) and EKS Pod Identity
//! (`pods.eks.amazonaws.com` calling `sts:AssumeRole` and `sts:TagSession` with
//! the association's session tags). Answers name the statement that allowed,
//! or the part that failed, or the condition that could not be decided.
//!
//! [`provider_statements`] is the symbolic side: which service accounts a
//! role's trust admits through a provider, whether or not they exist.
//!
//! One idea a file: `web_identity` (IRSA's request and why it fails),
//! `pod_identity` (EKS Pod Identity's request, PODID-004's unnarrowed
//! statements), `provider` (the symbolic "which service accounts does it
//! admit" and the corrected trust). This file holds the answer type and the
//! helpers they share. Pure: no inventory joins, no sources, no UI
//! (ARCHITECTURE.md).

use super::actions::{action_matches, wildcard_match};
use super::iam::{
    Check, Condition, Decision, Effect, Operator, PolicyDocument, PrincipalKind, Request,
    Statement, eval_condition, evaluate, statement_applies,
};
use crate::model::arn::provider_arn_host;

mod pod_identity;
mod provider;
#[cfg(test)]
mod tests;
mod web_identity;

pub use pod_identity::*;
pub use provider::*;
pub use web_identity::*;

pub const WEB_IDENTITY_ACTION: &str = "sts:AssumeRoleWithWebIdentity";
pub const PODS_SERVICE: &str = "pods.eks.amazonaws.com";

/// The outcome of a trust evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustAnswer {
    /// Allowed by these statements (labels such as `Statement[0] (Sid "x")`).
    Allowed { statements: Vec<String> },
    /// Not allowed: what failed, one line per statement considered.
    Denied { reasons: Vec<String> },
    /// It hinges on a condition the engine cannot decide (named).
    Undecided { conditions: Vec<String> },
}

impl TrustAnswer {
    pub fn is_allowed(&self) -> bool {
        matches!(self, TrustAnswer::Allowed { .. })
    }
}

// ---------------------------------------------------------------- shared by the two requests

/// Global keys of every request whose value depends on when and from where the
/// call is made, not on the configuration: never decided by the engine.
const RUNTIME_KEYS: [&str; 9] = [
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:TokenIssueTime",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:VpcSourceIp",
    "aws:UserAgent",
    "aws:RequestedRegion",
];

const RUNTIME_WHY: &str = "depends on when and from where the call is made";

/// `Statement[0] (Sid "x")`: how answers name a statement.
fn stmt_label(s: &super::iam::StmtRef) -> String {
    match &s.sid {
        Some(sid) if !sid.is_empty() => format!("Statement[{}] (Sid \"{sid}\")", s.index),
        _ => format!("Statement[{}]", s.index),
    }
}

/// One value as is, several as `[a, b]`.
fn short(v: &[String]) -> String {
    if v.len() == 1 {
        v[0].clone()
    } else {
        format!("[{}]", v.join(", "))
    }
}
