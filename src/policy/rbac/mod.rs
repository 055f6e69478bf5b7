//! Kubernetes RBAC evaluation, as the API server's RBAC authorizer does it.
//!
//! A rule matches a request when its verbs, apiGroups, resources (with
//! subresources: `pods/exec`, `*/scale`, `*`), resourceNames and, for
//! non-resource requests, nonResourceURLs (with a trailing `*` as a prefix
//! match) all admit it. As in the API server, `pods/*` is not a pattern: it only
//! matches a resource literally called `pods/*`, so it grants no subresource.
//!
//! Aggregated ClusterRoles are computed from their `aggregationRule` selectors
//! over every ClusterRole's labels, never trusted from the stored rules: the
//! effective rules are the role's own rules plus those of every role selected,
//! transitively (an aggregated role that selects another aggregated role gets
//! its parts too; cycles end).
//!
//! A RoleBinding grants its role in its own namespace only (also when it refers
//! to a ClusterRole, and never non-resource URLs); a ClusterRoleBinding grants
//! everywhere. A ServiceAccount is also in `system:serviceaccounts`,
//! `system:serviceaccounts:<ns>` and `system:authenticated`; IAM principals get
//! the groups aws-auth or their access entry maps them to. `system:masters`
//! bypasses RBAC altogether. EKS access policies are approximated by the
//! in-cluster roles they mirror (cluster-admin, admin, edit, view).
//!
//! [`RbacEngine`] is built once per audit: aggregated rules, roles by name and
//! bindings by subject and by namespace are precomputed, so a query touches only
//! the bindings that can apply.
//!
//! One idea a file: `principal` (who asks), `request` (what is asked), `rules`
//! (one rule against a request), `grant` (what the engine answers), `identity`
//! (IAM principals' Kubernetes identities, EKS access policies), `engine` (the
//! indexes and queries), `aggregation` (aggregated ClusterRoles). Policy only:
//! no sources, no graph, no UI (ARCHITECTURE.md).

use crate::hashing::{HashMap, HashSet};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use crate::model::{
    AccessEntry, Inventory, LabelSelector, PolicyRule, RbacBinding, RbacRole, RbacSubject,
};

pub const MASTERS: &str = "system:masters";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
pub const ANONYMOUS: &str = "system:anonymous";
pub const SERVICEACCOUNTS: &str = "system:serviceaccounts";
const SA_USER_PREFIX: &str = "system:serviceaccount:";

mod aggregation;
mod engine;
mod grant;
mod identity;
mod principal;
mod request;
mod rules;

/// Small builders for tests of the RBAC engine and the RBAC/PATH rules.
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

use aggregation::*;
pub use engine::*;
pub use grant::*;
pub use identity::*;
pub use principal::*;
pub use request::*;
pub use rules::*;
