//! The objects of an inventory that findings rest on, in a canonical form:
//! what `iamscope diff` compares between two snapshots. Listing order,
//! resourceVersions, timestamps and other bookkeeping are left out, so that a
//! snapshot taken again of an unchanged estate compares equal.
//!
//! Compared: service accounts (their `eks.amazonaws.com/*` annotations), Roles
//! and ClusterRoles (rules, aggregation, the bootstrap and aggregation labels),
//! RoleBindings and ClusterRoleBindings (roleRef, subjects), service-account
//! token Secrets (metadata only), IAM roles (trust policy, inline and attached
//! policies, boundary), IAM users and groups, managed policies (the default
//! version's document), aws-auth entries, access entries, Pod Identity
//! associations, OIDC providers and the EKS cluster's access settings.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::model::{Inventory, LabelSelector, PolicyRule};

/// Which object: its kind and the keys that name it (as report subjects do).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectKey {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The name, or the ARN for AWS objects.
    pub name: String,
}

impl ObjectKey {
    fn new(kind: &'static str, namespace: Option<&str>, name: &str) -> ObjectKey {
        ObjectKey {
            kind,
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        }
    }

    /// `RoleBinding ci/deployer`, `IamRole arn:…`.
    pub fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// The object a finding's subject names, when it is one we compare.
    pub fn of_subject(s: &crate::audit::Subject) -> Option<ObjectKey> {
        use crate::audit::Subject as S;
        Some(match s {
            S::ServiceAccount { namespace, name } => {
                ObjectKey::new("ServiceAccount", Some(namespace), name)
            }
            S::Role { namespace, name } => ObjectKey::new("Role", Some(namespace), name),
            S::RoleBinding { namespace, name } => {
                ObjectKey::new("RoleBinding", Some(namespace), name)
            }
            S::Secret { namespace, name } => ObjectKey::new("Secret", Some(namespace), name),
            S::ClusterRole { name } => ObjectKey::new("ClusterRole", None, name),
            S::ClusterRoleBinding { name } => ObjectKey::new("ClusterRoleBinding", None, name),
            S::IamRole { arn } => ObjectKey::new("IamRole", None, arn),
            S::AwsAuthEntry { arn } => ObjectKey::new("AwsAuthEntry", None, arn),
            S::AccessEntry { arn } => ObjectKey::new("AccessEntry", None, arn),
            S::PodIdentityAssociation {
                namespace, name, ..
            } => ObjectKey::new("PodIdentityAssociation", Some(namespace), name),
            S::Cluster { name } => ObjectKey::new("Cluster", None, name),
            _ => return None,
        })
    }
}

/// Every compared object of an inventory, by key.
pub type Objects<'a> = BTreeMap<ObjectKey, Source<'a>>;

/// Object keys sorted; arrays sorted when their order carries no meaning.
fn canon(v: &Value, sort_arrays: bool) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), canon(&m[k], sort_arrays));
            }
            Value::Object(out)
        }
        Value::Array(a) => {
            let mut items: Vec<Value> = a.iter().map(|x| canon(x, sort_arrays)).collect();
            if sort_arrays {
                items.sort_by_cached_key(|x| x.to_string());
            }
            Value::Array(items)
        }
        other => other.clone(),
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

fn rule(r: &PolicyRule) -> Value {
    json!({
        "apiGroups": sorted(&r.api_groups),
        "resources": sorted(&r.resources),
        "resourceNames": sorted(&r.resource_names),
        "nonResourceURLs": sorted(&r.non_resource_urls),
        "verbs": sorted(&r.verbs),
    })
}

fn selector(s: &LabelSelector) -> Value {
    let mut exprs: Vec<Value> = s
        .match_expressions
        .iter()
        .map(|e| json!({"key": e.key, "operator": e.operator, "values": sorted(&e.values)}))
        .collect();
    exprs.sort_by_cached_key(|x| x.to_string());
    json!({"matchLabels": s.match_labels, "matchExpressions": exprs})
}

fn inline(policies: &[crate::model::InlinePolicy]) -> Value {
    let m: BTreeMap<&str, Value> = policies
        .iter()
        .map(|p| (p.name.as_str(), p.document.clone()))
        .collect();
    json!(m)
}

fn attached(policies: &[crate::model::AttachedPolicy]) -> Vec<String> {
    let mut v: Vec<String> = policies.iter().map(|p| p.arn.clone()).collect();
    v.sort();
    v
}

/// Labels that change what RBAC grants: the bootstrap label and aggregation labels.
fn rbac_labels(labels: &BTreeMap<String, String>) -> BTreeMap<&str, &str> {
    labels
        .iter()
        .filter(|(k, _)| k.as_str() == crate::model::BOOTSTRAP_LABEL || k.contains("aggregate"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Insert, keeping a second object of the same key apart (`#2`).
fn put<'a>(out: &mut Objects<'a>, mut key: ObjectKey, value: Source<'a>) {
    if out.contains_key(&key) {
        let base = key.name.clone();
        let mut n = 2;
        loop {
            key.name = format!("{base}#{n}");
            if !out.contains_key(&key) {
                break;
            }
            n += 1;
        }
    }
    out.insert(key, value);
}

/// A compared object, borrowed from its inventory: rendered as a value only
/// when it differs from its counterpart (or is added or removed), so that an
/// estate's thousands of unchanged objects cost one comparison each.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    ServiceAccount(&'a crate::model::ServiceAccount),
    Role(&'a crate::model::RbacRole),
    Binding(&'a crate::model::RbacBinding),
    Secret(&'a crate::model::SecretMeta),
    IamRole(&'a crate::model::IamRole),
    IamUser(&'a crate::model::IamUser),
    IamGroup(&'a crate::model::IamGroup),
    Policy(&'a crate::model::ManagedPolicy),
    AwsAuth(&'a crate::model::AwsAuthEntry),
    AwsAccounts(&'a [String]),
    Access(&'a crate::model::AccessEntry),
    PodIdentity(&'a crate::model::PodIdentityAssociation),
    Oidc(&'a crate::model::OidcProvider),
    Cluster(&'a crate::model::EksCluster),
}

fn eks_annotations(sa: &crate::model::ServiceAccount) -> BTreeMap<&str, &str> {
    sa.annotations
        .iter()
        .filter(|(k, _)| k.starts_with("eks.amazonaws.com/"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn same_inline(a: &[crate::model::InlinePolicy], b: &[crate::model::InlinePolicy]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.name == y.name && x.document == y.document)
}

fn same_attached(a: &[crate::model::AttachedPolicy], b: &[crate::model::AttachedPolicy]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.arn == y.arn)
}

impl Source<'_> {
    /// Equal as listed (then surely the same object); `false` means "render
    /// both and compare in canonical form".
    fn same_as_listed(&self, other: &Source) -> bool {
        match (self, other) {
            (Source::ServiceAccount(a), Source::ServiceAccount(b)) => {
                eks_annotations(a) == eks_annotations(b)
            }
            (Source::Role(a), Source::Role(b)) => {
                a.aggregation.is_none()
                    && b.aggregation.is_none()
                    && a.rules == b.rules
                    && rbac_labels(&a.labels) == rbac_labels(&b.labels)
            }
            (Source::Binding(a), Source::Binding(b)) => {
                a.role_ref.kind == b.role_ref.kind
                    && a.role_ref.name == b.role_ref.name
                    && a.subjects == b.subjects
                    && rbac_labels(&a.labels) == rbac_labels(&b.labels)
            }
            (Source::IamRole(a), Source::IamRole(b)) => {
                a.trust_policy == b.trust_policy
                    && same_inline(&a.inline_policies, &b.inline_policies)
                    && same_attached(&a.attached_policies, &b.attached_policies)
                    && a.permissions_boundary == b.permissions_boundary
            }
            (Source::IamUser(a), Source::IamUser(b)) => {
                same_inline(&a.inline_policies, &b.inline_policies)
                    && same_attached(&a.attached_policies, &b.attached_policies)
                    && a.groups == b.groups
                    && a.permissions_boundary == b.permissions_boundary
            }
            (Source::IamGroup(a), Source::IamGroup(b)) => {
                same_inline(&a.inline_policies, &b.inline_policies)
                    && same_attached(&a.attached_policies, &b.attached_policies)
            }
            (Source::Policy(a), Source::Policy(b)) => a.document == b.document,
            _ => false,
        }
    }

    /// The ARNs of the managed policies an IAM role attaches.
    pub fn attached_policy_arns(&self) -> Vec<&str> {
        match self {
            Source::IamRole(r) => r.attached_policies.iter().map(|p| p.arn.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The object as a value (arrays in listing order; [`compare`] sorts them).
    pub fn render(&self) -> Value {
        match *self {
            Source::ServiceAccount(sa) => json!({"annotations": eks_annotations(sa)}),
            Source::Role(r) => {
                let rules: Vec<Value> = r.rules.iter().map(rule).collect();
                let mut v = json!({"rules": rules, "labels": rbac_labels(&r.labels)});
                if let Some(agg) = &r.aggregation {
                    let sels: Vec<Value> = agg.iter().map(selector).collect();
                    v["aggregationRule"] = json!(sels);
                }
                v
            }
            Source::Binding(b) => {
                let subjects: Vec<String> = b
                    .subjects
                    .iter()
                    .map(|s| match (&s.namespace, s.kind.as_str()) {
                        (Some(ns), "ServiceAccount") => format!("ServiceAccount {ns}/{}", s.name),
                        _ => format!("{} {}", s.kind, s.name),
                    })
                    .collect();
                json!({
                    "roleRef": format!("{} {}", b.role_ref.kind, b.role_ref.name),
                    "subjects": subjects,
                    "labels": rbac_labels(&b.labels),
                })
            }
            Source::Secret(s) => json!({"type": s.type_, "serviceAccount": s.service_account}),
            Source::IamRole(r) => json!({
                "trustPolicy": r.trust_policy,
                "inlinePolicies": inline(&r.inline_policies),
                "attachedPolicies": attached(&r.attached_policies),
                "permissionsBoundary": r.permissions_boundary,
            }),
            Source::IamUser(u) => json!({
                "inlinePolicies": inline(&u.inline_policies),
                "attachedPolicies": attached(&u.attached_policies),
                "groups": u.groups,
                "permissionsBoundary": u.permissions_boundary,
            }),
            Source::IamGroup(g) => json!({
                "inlinePolicies": inline(&g.inline_policies),
                "attachedPolicies": attached(&g.attached_policies),
            }),
            Source::Policy(p) => json!({"document": p.document}),
            Source::AwsAuth(e) => json!({
                "list": e.kind.key(),
                "username": e.username,
                "groups": e.groups,
            }),
            Source::AwsAccounts(a) => json!({"accounts": a}),
            Source::Access(a) => {
                let policies: Vec<Value> = a
                    .access_policies
                    .iter()
                    .map(|p| json!({"policy": p.policy_arn, "scope": p.scope_type, "namespaces": p.namespaces}))
                    .collect();
                json!({
                    "kubernetesGroups": a.kubernetes_groups,
                    "username": a.username,
                    "type": a.type_,
                    "accessPolicies": policies,
                })
            }
            Source::PodIdentity(p) => json!({
                "roleArn": p.role_arn,
                "targetRoleArn": p.target_role_arn,
                "disableSessionTags": p.disable_session_tags,
            }),
            Source::Oidc(o) => json!({"url": o.url, "clientIds": o.client_ids}),
            Source::Cluster(c) => json!({
                "authenticationMode": c.authentication_mode,
                "bootstrapClusterCreatorAdminPermissions": c.bootstrap_cluster_creator_admin,
                "endpointPublicAccess": c.endpoint_public_access,
                "endpointPrivateAccess": c.endpoint_private_access,
                "publicAccessCidrs": c.public_access_cidrs,
                "oidcIssuer": c.oidc_issuer,
                "logging": c.logging,
            }),
        }
    }
}

/// The compared objects of an inventory.
pub fn collect(inv: &Inventory) -> Objects<'_> {
    let mut out = Objects::new();
    for sa in &inv.service_accounts {
        put(
            &mut out,
            ObjectKey::new("ServiceAccount", Some(&sa.namespace), &sa.name),
            Source::ServiceAccount(sa),
        );
    }
    for r in &inv.roles {
        put(
            &mut out,
            ObjectKey::new(r.kind(), r.namespace.as_deref(), &r.name),
            Source::Role(r),
        );
    }
    for b in &inv.bindings {
        put(
            &mut out,
            ObjectKey::new(b.kind(), b.namespace.as_deref(), &b.name),
            Source::Binding(b),
        );
    }
    for s in &inv.secrets {
        if s.service_account.is_none() && !s.type_.contains("service-account-token") {
            continue;
        }
        put(
            &mut out,
            ObjectKey::new("Secret", Some(&s.namespace), &s.name),
            Source::Secret(s),
        );
    }
    for r in &inv.iam.roles {
        put(
            &mut out,
            ObjectKey::new("IamRole", None, &r.arn),
            Source::IamRole(r),
        );
    }
    for u in &inv.iam.users {
        put(
            &mut out,
            ObjectKey::new("IamUser", None, &u.arn),
            Source::IamUser(u),
        );
    }
    for g in &inv.iam.groups {
        put(
            &mut out,
            ObjectKey::new("IamGroup", None, &g.arn),
            Source::IamGroup(g),
        );
    }
    for p in &inv.iam.policies {
        put(
            &mut out,
            ObjectKey::new("ManagedPolicy", None, &p.arn),
            Source::Policy(p),
        );
    }
    if let Some(aws_auth) = &inv.aws_auth {
        for e in &aws_auth.entries {
            put(
                &mut out,
                ObjectKey::new("AwsAuthEntry", None, &e.subject_arn()),
                Source::AwsAuth(e),
            );
        }
        if !aws_auth.map_accounts.is_empty() {
            put(
                &mut out,
                ObjectKey::new("AwsAuthAccounts", None, "mapAccounts"),
                Source::AwsAccounts(&aws_auth.map_accounts),
            );
        }
    }
    for a in &inv.access_entries {
        put(
            &mut out,
            ObjectKey::new("AccessEntry", None, &a.principal_arn),
            Source::Access(a),
        );
    }
    for p in &inv.pod_identity_associations {
        put(
            &mut out,
            ObjectKey::new(
                "PodIdentityAssociation",
                Some(&p.namespace),
                &p.service_account,
            ),
            Source::PodIdentity(p),
        );
    }
    for o in &inv.oidc_providers {
        put(
            &mut out,
            ObjectKey::new("OidcProvider", None, &o.arn),
            Source::Oidc(o),
        );
    }
    if let Some(c) = &inv.cluster {
        put(
            &mut out,
            ObjectKey::new("Cluster", None, &c.name),
            Source::Cluster(c),
        );
    }
    out
}

/// One object added, removed or edited between two snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// `added`, `removed` or `edited`.
    pub kind: &'static str,
    pub object: ObjectKey,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The places where two values differ, deepest first: `(path, before, after)`
/// with paths as `trustPolicy.Statement[0].Condition`; arrays of another
/// length differ as a whole.
pub fn leaf_diffs(b: &Value, a: &Value) -> Vec<(String, Value, Value)> {
    let mut out = Vec::new();
    walk(String::new(), b, a, &mut out);
    out
}

fn walk(path: String, b: &Value, a: &Value, out: &mut Vec<(String, Value, Value)>) {
    if b == a {
        return;
    }
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (b, a) {
        (Value::Object(bm), Value::Object(am)) => {
            let mut keys: Vec<&String> = bm.keys().chain(am.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let bv = bm.get(k).unwrap_or(&Value::Null);
                let av = am.get(k).unwrap_or(&Value::Null);
                walk(join(k), bv, av, out);
            }
        }
        (Value::Array(ba), Value::Array(aa)) if ba.len() == aa.len() => {
            for (i, (bv, av)) in ba.iter().zip(aa).enumerate() {
                walk(format!("{path}[{i}]"), bv, av, out);
            }
        }
        _ => out.push((path, b.clone(), a.clone())),
    }
}

/// The objects added, removed or edited from `old` to `new`, sorted by key.
/// Every array of a compared object is a set (rules, verbs, subjects,
/// statements, actions, …): two objects that differ as listed are compared
/// again in canonical form, arrays sorted, and shown so.
pub fn compare(old: &Objects, new: &Objects) -> Vec<Change> {
    let mut out = Vec::new();
    for (k, b) in old {
        match new.get(k) {
            None => out.push(Change {
                kind: "removed",
                object: k.clone(),
                before: Some(canon(&b.render(), true)),
                after: None,
            }),
            Some(a) if !b.same_as_listed(a) => {
                let (cb, ca) = (canon(&b.render(), true), canon(&a.render(), true));
                if cb != ca {
                    out.push(Change {
                        kind: "edited",
                        object: k.clone(),
                        before: Some(cb),
                        after: Some(ca),
                    });
                }
            }
            Some(_) => {}
        }
    }
    for (k, a) in new {
        if !old.contains_key(k) {
            out.push(Change {
                kind: "added",
                object: k.clone(),
                before: None,
                after: Some(canon(&a.render(), true)),
            });
        }
    }
    out.sort_by(|x, y| x.object.cmp(&y.object));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IamRole;

    fn role(trust: Value) -> IamRole {
        IamRole {
            arn: "arn:aws:iam::1:role/r".into(),
            trust_policy: Some(trust),
            ..Default::default()
        }
    }

    fn objects(r: &IamRole) -> Objects<'_> {
        let mut o = Objects::new();
        o.insert(ObjectKey::new("IamRole", None, &r.arn), Source::IamRole(r));
        o
    }

    /// Keys in another order and set-like arrays in another order are the
    /// same object; a changed value is an edit, shown in canonical form.
    #[test]
    fn order_is_not_a_change() {
        let a = role(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sts:TagSession", "sts:AssumeRole"]},
            {"Effect": "Deny", "Action": "iam:*"}]}));
        let b = role(json!({"Statement": [
            {"Action": "iam:*", "Effect": "Deny"},
            {"Action": ["sts:AssumeRole", "sts:TagSession"], "Effect": "Allow"}],
            "Version": "2012-10-17"}));
        assert!(compare(&objects(&a), &objects(&b)).is_empty());
        let c = role(json!({"Statement": [
            {"Action": "iam:*", "Effect": "Deny"},
            {"Action": ["sts:AssumeRole"], "Effect": "Allow"}],
            "Version": "2012-10-17"}));
        let changes = compare(&objects(&a), &objects(&c));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind, "edited");
        let diffs = leaf_diffs(
            changes[0].before.as_ref().unwrap(),
            changes[0].after.as_ref().unwrap(),
        );
        assert_eq!(
            diffs,
            [(
                "trustPolicy.Statement[1].Action".to_string(),
                json!(["sts:AssumeRole", "sts:TagSession"]),
                json!(["sts:AssumeRole"])
            )]
        );
    }
}
