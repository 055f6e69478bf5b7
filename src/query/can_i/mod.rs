//! `can-i`: every way a subject gets a permission, hop by hop.
//!
//! A subject first *is* some identities (a service account, a user with groups,
//! an IAM principal mapped into the cluster), then *becomes* others through what
//! the PATH rule calls becoming (`audit::path::caps_of`: run pods, mint tokens,
//! create token Secrets, exec into pods), breadth first so each identity is
//! reached along a shortest path. Each identity reached is then asked the
//! question with the audit's engines.
//!
//! One idea a file: `identities` (who the subject is and what it becomes),
//! `hops` (the cluster-side hops: capability targets, how a grant is held),
//! `ask` (the answer and the paths of one question), `aws` (identities to IAM
//! roles, role chaining, paths to an IAM principal), `judge` (IAM decisions as
//! hops, assumable roles, the request context), `chain` (role chaining solved
//! for every principal at once, for who-can), `links` (trust policies and
//! role links: IRSA, Pod Identity). This file holds [`Reached`] and the echo of
//! the question. Asks the engines of `audit`, `graph` and `policy`; never
//! reads sources, never writes output (that is `query::output`) and never
//! imports the UI (ARCHITECTURE.md).

use std::collections::VecDeque;
use std::sync::Arc;

/// A decision with its conditions and the evidence saying so.
type Verdict = (Decision, Vec<String>, String);

use crate::audit::path::{Hop as Become, caps_of};
use crate::graph::reach::{Via as LinkVia, irsa_answer, provider_accepts};
use crate::hashing::HashSet;
use crate::model::ServiceAccount;
use crate::policy::iam::{self, Decision as IamDecision, PermissionSet, PrincipalKind};
use crate::policy::rbac::{
    ANONYMOUS, AUTHENTICATED, Grant, Identity, MASTERS, Principal, Scope, UNAUTHENTICATED, Via,
};
use crate::policy::trust::{PodIdentity, TrustAnswer, check_pod_identity};

use super::action::{Action, AwsAction, KubeAction};
use super::answer::{Answer, Decision, FoldedPaths, Hop, Node, Path, PathAnswer, QueryEcho};
use super::subject::AsSubject;
use super::{AccountPlan, Asker, AssumeEdges, RoleMemo};
use std::rc::Rc;

/// An identity the subject is or can become, with the path to it.
#[derive(Debug, Clone)]
pub struct Reached {
    /// Who acts here: the subject itself, or a service account it became.
    pub node: Node,
    pub id: Identity,
    /// The service account acting here, if any.
    pub sa: Option<(String, String)>,
    /// The IAM principal acting here (an IAM subject, at the start).
    pub iam: Option<String>,
    pub path: Path,
}

/// How deep role chaining (`sts:AssumeRole` from role to role) is followed.
const MAX_CHAIN: usize = 2;

mod ask;
mod aws;
pub(crate) mod chain;
mod hops;
mod identities;
mod judge;
mod links;

pub(crate) use identities::runs_as;

/// The question as the answer echoes it.
pub fn echo(
    command: &'static str,
    subject: &AsSubject,
    action: &Action,
    direct: bool,
) -> QueryEcho {
    let mut q = echo_action(command, action, direct);
    q.as_ = Some(subject.notation());
    if let AsSubject::User { groups, .. } = subject {
        q.as_groups = groups.clone();
    }
    q
}

pub fn echo_action(command: &'static str, action: &Action, direct: bool) -> QueryEcho {
    let (act, context, complete) = match action {
        Action::Kube(k) => (serde_json::json!({ "kube": k }), Default::default(), false),
        Action::Aws(a) => (
            serde_json::json!({"aws": a.action, "resource": a.resource}),
            a.context
                .iter()
                .map(|(k, v)| {
                    let val = if v.len() == 1 && !a.is_multivalued(k) {
                        serde_json::Value::String(v[0].clone())
                    } else {
                        serde_json::json!(v)
                    };
                    (k.clone(), val)
                })
                .collect(),
            a.complete,
        ),
    };
    QueryEcho {
        command,
        as_: None,
        as_groups: Vec::new(),
        action: act,
        context,
        context_complete: complete,
        direct,
    }
}
