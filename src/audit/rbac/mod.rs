//! RBAC-001..013: what Kubernetes subjects may do (see `spec/rules.md`).
//!
//! A finding is raised on the subject a binding names (a grant to a group is
//! one finding on that Group, with its known members in the evidence), from
//! the bindings that name it directly. Grants of Kubernetes' bootstrap bindings
//! (`kubernetes.io/bootstrapping: rbac-defaults`) count only with
//! `--include-system`.
//!
//! One idea a file: `subjects` (who a finding is about; shared with PATH),
//! `grants` (grants as evidence), `subject_rules` (RBAC-001..006, 008, 011,
//! 013 on a subject), `bindings` (RBAC-007, 009, 010 on a binding), `secrets`
//! (RBAC-012). Rules read the RBAC engine and the graph; they never read
//! sources or draw (ARCHITECTURE.md).

use crate::hashing::{HashMap, HashSet};
use std::collections::BTreeMap;

use super::{Context, Finding, Related, Severity, Subject};
use crate::graph::reach::Via as LinkVia;
use crate::model::{Inventory, RbacBinding, RbacRole, Status};
use crate::policy::rbac::{
    ANONYMOUS, AUTHENTICATED, Grant, Name, Principal, RbacEngine, Request, Scope, UNAUTHENTICATED,
    Via, binding_label, format_rule,
};

/// Evidence lines listed before "… and N more".
const MAX_LINES: usize = 12;

/// The bootstrap bindings every cluster gives (anonymous and) authenticated users.
const DEFAULT_PUBLIC_ROLES: [&str; 3] = [
    "system:public-info-viewer",
    "system:discovery",
    "system:basic-user",
];

/// Workload kinds that own pods: (apiGroup, resource).
pub(crate) const POD_OWNERS: [(&str, &str); 8] = [
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

mod bindings;
mod grants;
mod secrets;
mod subject_rules;
mod subjects;
#[cfg(test)]
mod tests;

use bindings::*;
use grants::*;
use secrets::*;
use subject_rules::*;
pub(crate) use subjects::*;

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let engine = RbacEngine::build(ctx.inv, ctx.opts.include_system);
    let iam = IamSas::build(ctx);
    check_bindings(ctx, &engine, out);
    for (principal, pairs) in engine.named_principals() {
        let rows = engine.rows(&pairs);
        if rows.is_empty() {
            continue;
        }
        let start = out.len();
        check_subject(&engine, &iam, &principal, &rows, ctx.opts.max_related, out);
        if !ctx.opts.all_rules {
            fold_into_admin(out, start);
        }
    }
    check_secrets(ctx, &iam, out);
}
