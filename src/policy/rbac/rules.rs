//! One RBAC rule against a request, field by field (verbs, apiGroups, resources
//! with subresources, resourceNames, nonResourceURLs), label selectors, and how
//! rules, roles and bindings read in evidence. Pure functions of one rule.

use super::*;

pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

pub fn group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

/// The API server's `ResourceMatches`: `*`, the exact `resource[/sub]`, or `*/sub`.
pub fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        if r == "*" {
            return true;
        }
        if subresource.is_empty() {
            return r == resource;
        }
        match r.split_once('/') {
            Some((res, sub)) => sub == subresource && (res == resource || res == "*"),
            None => false,
        }
    })
}

pub fn name_matches(rule: &PolicyRule, name: Name) -> bool {
    if rule.resource_names.is_empty() {
        return true;
    }
    match name {
        Name::None => false,
        Name::Named(n) => rule.resource_names.iter().any(|r| r == n),
        Name::Any => true,
    }
}

/// Whether a rule allows a resource request (scope is the binding's business).
pub fn rule_allows(rule: &PolicyRule, req: &Request) -> bool {
    verb_matches(rule, req.verb)
        && group_matches(rule, req.api_group)
        && resource_matches(rule, req.resource, req.subresource)
        && name_matches(rule, req.name)
}

/// Whether a rule allows a non-resource request (`get /healthz`).
pub fn rule_allows_url(rule: &PolicyRule, verb: &str, path: &str) -> bool {
    verb_matches(rule, verb)
        && rule.non_resource_urls.iter().any(|u| {
            u == "*"
                || u == path
                || u.strip_suffix('*')
                    .is_some_and(|prefix| path.starts_with(prefix))
        })
}

/// A `metav1.LabelSelector` term: matchLabels and matchExpressions, all must hold.
/// An empty selector selects everything, as `LabelSelectorAsSelector` makes it.
pub fn selector_matches(sel: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    sel.match_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v))
        && sel.match_expressions.iter().all(|e| {
            let have = labels.get(&e.key);
            match e.operator.as_str() {
                "In" => have.is_some_and(|v| e.values.contains(v)),
                "NotIn" => have.is_none_or(|v| !e.values.contains(v)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            }
        })
}

/// A rule as one line of YAML flow style, for evidence.
pub fn format_rule(rule: &PolicyRule) -> String {
    fn list(items: &[String]) -> String {
        let quoted: Vec<String> = items
            .iter()
            .map(|s| serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}")))
            .collect();
        format!("[{}]", quoted.join(", "))
    }
    let mut parts = Vec::new();
    if !rule.api_groups.is_empty() {
        parts.push(format!("apiGroups: {}", list(&rule.api_groups)));
    }
    if !rule.resources.is_empty() {
        parts.push(format!("resources: {}", list(&rule.resources)));
    }
    if !rule.resource_names.is_empty() {
        parts.push(format!("resourceNames: {}", list(&rule.resource_names)));
    }
    if !rule.non_resource_urls.is_empty() {
        parts.push(format!(
            "nonResourceURLs: {}",
            list(&rule.non_resource_urls)
        ));
    }
    parts.push(format!("verbs: {}", list(&rule.verbs)));
    format!("{{{}}}", parts.join(", "))
}

/// `ClusterRole view`, `Role ns/name`.
pub fn role_label(r: &RbacRole) -> String {
    match &r.namespace {
        Some(ns) => format!("Role {ns}/{}", r.name),
        None => format!("ClusterRole {}", r.name),
    }
}

/// `ClusterRoleBinding name`, `RoleBinding ns/name`.
pub fn binding_label(b: &RbacBinding) -> String {
    match &b.namespace {
        Some(ns) => format!("RoleBinding {ns}/{}", b.name),
        None => format!("ClusterRoleBinding {}", b.name),
    }
}
