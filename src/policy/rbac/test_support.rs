//! Small builders for tests of the RBAC engine and the RBAC/PATH rules.

use std::collections::BTreeMap;

use crate::model::{
    BOOTSTRAP_LABEL, IRSA_ANNOTATION, IamRole, Inventory, LabelSelector, Pod, PolicyRule,
    RbacBinding, RbacRole, RbacSubject, RoleRef, ServiceAccount,
};

pub fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: groups.iter().map(|s| s.to_string()).collect(),
        resources: resources.iter().map(|s| s.to_string()).collect(),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..PolicyRule::default()
    }
}

pub fn named(mut r: PolicyRule, names: &[&str]) -> PolicyRule {
    r.resource_names = names.iter().map(|s| s.to_string()).collect();
    r
}

pub fn urls(paths: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        non_resource_urls: paths.iter().map(|s| s.to_string()).collect(),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..PolicyRule::default()
    }
}

pub fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn cluster_role(name: &str, rules: Vec<PolicyRule>) -> RbacRole {
    RbacRole {
        namespace: None,
        name: name.into(),
        rules,
        ..RbacRole::default()
    }
}

pub fn role(ns: &str, name: &str, rules: Vec<PolicyRule>) -> RbacRole {
    RbacRole {
        namespace: Some(ns.into()),
        name: name.into(),
        rules,
        ..RbacRole::default()
    }
}

pub fn aggregated(name: &str, sel: Vec<LabelSelector>) -> RbacRole {
    RbacRole {
        aggregation: Some(sel),
        ..cluster_role(name, vec![])
    }
}

pub fn match_labels(kv: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        match_labels: labels(kv),
        ..LabelSelector::default()
    }
}

pub fn sa(ns: &str, name: &str) -> RbacSubject {
    RbacSubject {
        kind: "ServiceAccount".into(),
        name: name.into(),
        namespace: Some(ns.into()),
    }
}

pub fn user(name: &str) -> RbacSubject {
    RbacSubject {
        kind: "User".into(),
        name: name.into(),
        namespace: None,
    }
}

pub fn group(name: &str) -> RbacSubject {
    RbacSubject {
        kind: "Group".into(),
        name: name.into(),
        namespace: None,
    }
}

pub fn crb(name: &str, role: &str, subjects: Vec<RbacSubject>) -> RbacBinding {
    RbacBinding {
        namespace: None,
        name: name.into(),
        role_ref: RoleRef {
            kind: "ClusterRole".into(),
            name: role.into(),
        },
        subjects,
        ..RbacBinding::default()
    }
}

/// A RoleBinding; `kind` is Role or ClusterRole.
pub fn rb(ns: &str, name: &str, kind: &str, role: &str, subjects: Vec<RbacSubject>) -> RbacBinding {
    RbacBinding {
        namespace: Some(ns.into()),
        name: name.into(),
        role_ref: RoleRef {
            kind: kind.into(),
            name: role.into(),
        },
        subjects,
        ..RbacBinding::default()
    }
}

pub fn bootstrap(mut b: RbacBinding) -> RbacBinding {
    b.labels
        .insert(BOOTSTRAP_LABEL.into(), "rbac-defaults".into());
    b
}

pub fn service_account(ns: &str, name: &str) -> ServiceAccount {
    ServiceAccount {
        namespace: ns.into(),
        name: name.into(),
        ..ServiceAccount::default()
    }
}

pub const ACCOUNT: &str = "111122223333";

pub fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

/// A service account annotated with an IAM role that exists.
pub fn add_irsa_sa(inv: &mut Inventory, ns: &str, name: &str, role_name: &str) {
    let mut s = service_account(ns, name);
    s.annotations
        .insert(IRSA_ANNOTATION.into(), role_arn(role_name));
    inv.service_accounts.push(s);
    if !inv.iam.roles.iter().any(|r| r.name == role_name) {
        inv.iam.roles.push(IamRole {
            arn: role_arn(role_name),
            name: role_name.into(),
            path: "/".into(),
            ..IamRole::default()
        });
    }
    inv.account = Some(ACCOUNT.into());
}

pub fn pod(ns: &str, name: &str, sa: &str) -> Pod {
    Pod {
        namespace: ns.into(),
        name: name.into(),
        service_account: sa.into(),
        ..Pod::default()
    }
}
