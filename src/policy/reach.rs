//! Which IAM roles the cluster's service accounts can actually obtain.
//!
//! (first version: annotations and associations; trust refinement follows)

use crate::graph::Graph;
use crate::model::{Inventory, RoleArn};

/// How a service account obtains a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    Irsa,
    PodIdentity,
}

/// One (service account, IAM role) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLink {
    pub namespace: String,
    pub service_account: String,
    pub role_arn: String,
    pub via: Via,
    /// The role exists and its trust admits this service account.
    pub works: bool,
}

pub fn role_links(inv: &Inventory, graph: &Graph) -> Vec<RoleLink> {
    let mut out = Vec::new();
    for sa in &inv.service_accounts {
        let Some(ann) = sa.irsa_annotation() else {
            continue;
        };
        let Ok(arn) = RoleArn::parse(ann) else {
            continue;
        };
        let role = graph.iam_role_for(&arn);
        out.push(RoleLink {
            namespace: sa.namespace.clone(),
            service_account: sa.name.clone(),
            role_arn: role
                .map(|r| r.arn.clone())
                .unwrap_or_else(|| arn.to_string()),
            via: Via::Irsa,
            works: role.is_some(),
        });
    }
    for a in &inv.pod_identity_associations {
        let role = RoleArn::parse(&a.role_arn)
            .ok()
            .and_then(|arn| graph.iam_role_for(&arn));
        out.push(RoleLink {
            namespace: a.namespace.clone(),
            service_account: a.service_account.clone(),
            role_arn: role
                .map(|r| r.arn.clone())
                .unwrap_or_else(|| a.role_arn.clone()),
            via: Via::PodIdentity,
            works: role.is_some()
                && graph
                    .service_account(&a.namespace, &a.service_account)
                    .is_some(),
        });
    }
    out
}
