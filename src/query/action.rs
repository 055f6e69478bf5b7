//! Action notation (`query.md`, "Actions"): kubectl's for Kubernetes, `SERVICE:Action
//! [ARN]` for AWS.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::rbac::{Name, Request};

/// A Kubernetes request, as `kubectl auth can-i` builds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeAction {
    pub verb: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub resource: String,
    #[serde(default)]
    pub subresource: String,
    /// `None` or `""`: cluster-scoped, or every namespace (`-A`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl KubeAction {
    /// The request the RBAC engine answers (for a resource request).
    pub fn request(&self) -> Request<'_> {
        Request {
            verb: &self.verb,
            api_group: &self.group,
            resource: &self.resource,
            subresource: &self.subresource,
            namespace: self.namespace.as_deref().filter(|n| !n.is_empty()),
            name: match self.name.as_deref() {
                Some(n) if !n.is_empty() => Name::Named(n),
                _ => Name::None,
            },
        }
    }

    /// `get pods/log web-1 -n shop`-like one-liner for tables.
    pub fn display(&self) -> String {
        if let Some(p) = &self.path {
            return format!("{} {p}", self.verb);
        }
        let mut s = format!("{} {}", self.verb, self.resource);
        if !self.group.is_empty() {
            s.push('.');
            s.push_str(&self.group);
        }
        if !self.subresource.is_empty() {
            s.push('/');
            s.push_str(&self.subresource);
        }
        if let Some(n) = self.name.as_deref().filter(|n| !n.is_empty()) {
            s.push(' ');
            s.push_str(n);
        }
        match self.namespace.as_deref().filter(|n| !n.is_empty()) {
            Some(ns) => s.push_str(&format!(" -n {ns}")),
            None => s.push_str(" (cluster-wide)"),
        }
        s
    }
}

/// An AWS request: action, resource and the context the asker gives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsAction {
    pub action: String,
    pub resource: String,
    /// Key → values (several for a multivalued key).
    pub context: BTreeMap<String, Vec<String>>,
    /// Keys not given are absent rather than unknown.
    pub complete: bool,
    /// Keys given as a list (a batch line's `[..]`), multivalued even with one
    /// value; see [`AwsAction::is_multivalued`].
    pub multivalued: std::collections::BTreeSet<String>,
}

/// Global condition keys AWS always sends as sets ("Single-valued vs.
/// multivalued context keys",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html),
/// so a single `--context-entry` of one is a set of one.
const MULTIVALUED_KEYS: [&str; 4] = [
    "aws:tagkeys",
    "aws:calledvia",
    "aws:principalservicenameslist",
    "aws:principalorgpaths",
];

impl AwsAction {
    /// Whether context key `k` is a set: given several times or as a list, or
    /// a key AWS always sends as a set.
    pub fn is_multivalued(&self, k: &str) -> bool {
        self.context.get(k).is_some_and(|v| v.len() > 1)
            || self.multivalued.contains(k)
            || MULTIVALUED_KEYS.contains(&k.to_ascii_lowercase().as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Kube(KubeAction),
    Aws(AwsAction),
}

impl Action {
    pub fn display(&self) -> String {
        match self {
            Action::Kube(k) => k.display(),
            Action::Aws(a) => format!("{} {}", a.action, a.resource),
        }
    }
}

pub const ACTION_FORMS: &str = "accepted actions: VERB TYPE[.GROUP][/NAME] [--subresource SUB] [-n NS | -A] (as kubectl auth can-i, e.g. get pods/web-1 -n shop), VERB /NON/RESOURCE/URL (get /healthz), SERVICE:Action [RESOURCE_ARN] (s3:GetObject arn:aws:s3:::bucket/key)";

/// Where the Kubernetes request applies, from `-n`/`-A`.
#[derive(Debug, Clone, Default)]
pub struct KubeScope {
    pub namespace: Option<String>,
    pub all_namespaces: bool,
    pub subresource: Option<String>,
}

/// Parse the positional ACTION words of `can-i`/`who-can`.
pub fn parse_action(
    words: &[String],
    scope: &KubeScope,
    context: &[String],
    complete: bool,
) -> Result<Action, String> {
    let msg = |why: String| format!("bad action {:?}: {why}; {ACTION_FORMS}", words.join(" "));
    let bad = |why: String| Err(msg(why));
    let Some(first) = words.first() else {
        return bad("nothing given".into());
    };
    if first.contains(':') {
        if words.len() > 2 {
            return bad("an AWS action takes at most one resource ARN".into());
        }
        let resource = words.get(1).cloned().unwrap_or_else(|| "*".to_string());
        let action = parse_aws_action(first).map_err(msg)?;
        if resource != "*" && !resource.starts_with("arn:") {
            return bad(format!("resource {resource:?} is not an ARN or *"));
        }
        if scope.subresource.is_some() || scope.namespace.is_some() || scope.all_namespaces {
            return bad("-n, -A and --subresource are for Kubernetes actions".into());
        }
        let mut ctx: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for entry in context {
            let Some((k, v)) = entry.split_once('=') else {
                return Err(format!(
                    "bad --context-entry {entry:?}: use KEY=VALUE (aws:SourceVpce=vpce-1); give a key twice for several values"
                ));
            };
            if k.trim().is_empty() {
                return Err(format!("bad --context-entry {entry:?}: empty key"));
            }
            ctx.entry(k.trim().to_string())
                .or_default()
                .push(v.to_string());
        }
        return Ok(Action::Aws(AwsAction {
            action,
            resource,
            context: ctx,
            complete,
            multivalued: Default::default(),
        }));
    }
    if !context.is_empty() || complete {
        return bad("--context-entry and --context-complete are for AWS actions".into());
    }
    if words.len() != 2 {
        return bad("a Kubernetes action is VERB and TYPE[/NAME] or a /URL".into());
    }
    let verb = first.trim();
    if verb.is_empty() || verb.contains('/') {
        return bad(format!("{verb:?} is not a verb"));
    }
    let target = words[1].trim();
    if target.starts_with('/') {
        if scope.subresource.is_some() {
            return bad("--subresource does not apply to a URL".into());
        }
        return Ok(Action::Kube(KubeAction {
            verb: verb.to_string(),
            path: Some(target.to_string()),
            ..KubeAction::default()
        }));
    }
    let (ty, name) = match target.split_once('/') {
        Some((t, n)) if !n.is_empty() && !n.contains('/') => (t, Some(n.to_string())),
        Some(_) => return bad(format!("{target:?}: TYPE/NAME has one slash and a name")),
        None => (target, None),
    };
    let (resource, group) = resolve_type(ty).map_err(msg)?;
    // -A, or a cluster-scoped type without -n: no namespace (as kubectl sends it).
    let cluster_wide = scope.all_namespaces
        || (CLUSTER_SCOPED.contains(&resource.as_str()) && scope.namespace.is_none());
    let namespace = if cluster_wide {
        None
    } else {
        Some(
            scope
                .namespace
                .clone()
                .unwrap_or_else(|| "default".to_string()),
        )
    };
    Ok(Action::Kube(KubeAction {
        verb: verb.to_string(),
        path: None,
        group,
        resource,
        subresource: scope.subresource.clone().unwrap_or_default(),
        namespace,
        name,
    }))
}

fn parse_aws_action(s: &str) -> Result<String, String> {
    let (svc, act) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not SERVICE:Action"))?;
    let ok_svc = !svc.is_empty()
        && svc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*');
    let ok_act = !act.is_empty()
        && act
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?' || b == b'-');
    if ok_svc && ok_act {
        Ok(s.to_string())
    } else {
        Err(format!("{s:?} is not SERVICE:Action"))
    }
}

/// Resources kubectl would treat as cluster-scoped (no `-n default` implied).
const CLUSTER_SCOPED: &[&str] = &[
    "namespaces",
    "nodes",
    "persistentvolumes",
    "clusterroles",
    "clusterrolebindings",
    "storageclasses",
    "certificatesigningrequests",
    "customresourcedefinitions",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "priorityclasses",
    "apiservices",
    "users",
    "groups",
    "tokenreviews",
    "subjectaccessreviews",
    "selfsubjectaccessreviews",
    "selfsubjectrulesreviews",
];

/// kubectl's resource names, short names and singulars for the built-in API, with
/// their groups. Without discovery, a type not here is taken as written in the
/// core group (or the group given after the first dot).
const TYPES: &[(&str, &str, &[&str])] = &[
    ("pods", "", &["po", "pod"]),
    ("services", "", &["svc", "service"]),
    ("serviceaccounts", "", &["sa", "serviceaccount"]),
    ("secrets", "", &["secret"]),
    ("configmaps", "", &["cm", "configmap"]),
    ("namespaces", "", &["ns", "namespace"]),
    ("nodes", "", &["no", "node"]),
    (
        "persistentvolumeclaims",
        "",
        &["pvc", "persistentvolumeclaim"],
    ),
    ("persistentvolumes", "", &["pv", "persistentvolume"]),
    ("endpoints", "", &["ep"]),
    ("events", "", &["ev", "event"]),
    (
        "replicationcontrollers",
        "",
        &["rc", "replicationcontroller"],
    ),
    ("limitranges", "", &["limits", "limitrange"]),
    ("resourcequotas", "", &["quota", "resourcequota"]),
    ("podtemplates", "", &["podtemplate"]),
    ("users", "", &["user"]),
    ("groups", "", &["group"]),
    ("deployments", "apps", &["deploy", "deployment"]),
    ("daemonsets", "apps", &["ds", "daemonset"]),
    ("statefulsets", "apps", &["sts", "statefulset"]),
    ("replicasets", "apps", &["rs", "replicaset"]),
    ("controllerrevisions", "apps", &["controllerrevision"]),
    ("jobs", "batch", &["job"]),
    ("cronjobs", "batch", &["cj", "cronjob"]),
    ("roles", "rbac.authorization.k8s.io", &["role"]),
    (
        "rolebindings",
        "rbac.authorization.k8s.io",
        &["rolebinding"],
    ),
    (
        "clusterroles",
        "rbac.authorization.k8s.io",
        &["clusterrole"],
    ),
    (
        "clusterrolebindings",
        "rbac.authorization.k8s.io",
        &["clusterrolebinding"],
    ),
    ("ingresses", "networking.k8s.io", &["ing", "ingress"]),
    (
        "networkpolicies",
        "networking.k8s.io",
        &["netpol", "networkpolicy"],
    ),
    (
        "poddisruptionbudgets",
        "policy",
        &["pdb", "poddisruptionbudget"],
    ),
    (
        "horizontalpodautoscalers",
        "autoscaling",
        &["hpa", "horizontalpodautoscaler"],
    ),
    ("storageclasses", "storage.k8s.io", &["sc", "storageclass"]),
    (
        "certificatesigningrequests",
        "certificates.k8s.io",
        &["csr", "certificatesigningrequest"],
    ),
    (
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        &["mutatingwebhookconfiguration"],
    ),
    (
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        &["validatingwebhookconfiguration"],
    ),
    (
        "customresourcedefinitions",
        "apiextensions.k8s.io",
        &["crd", "crds", "customresourcedefinition"],
    ),
    ("leases", "coordination.k8s.io", &["lease"]),
    (
        "priorityclasses",
        "scheduling.k8s.io",
        &["pc", "priorityclass"],
    ),
    ("tokenreviews", "authentication.k8s.io", &["tokenreview"]),
    (
        "subjectaccessreviews",
        "authorization.k8s.io",
        &["subjectaccessreview"],
    ),
    ("apiservices", "apiregistration.k8s.io", &["apiservice"]),
];

/// `po` → (`pods`, ``); `deployments.apps` → (`deployments`, `apps`); `*` → (`*`, ``).
fn resolve_type(ty: &str) -> Result<(String, String), String> {
    if ty.is_empty() {
        return Err("empty TYPE".into());
    }
    let lower = ty.to_ascii_lowercase();
    if lower == "*" {
        return Ok(("*".into(), String::new()));
    }
    let (base, group) = match lower.split_once('.') {
        Some((b, g)) => (b.to_string(), Some(g.to_string())),
        None => (lower.clone(), None),
    };
    let known = TYPES
        .iter()
        .find(|(plural, _, aliases)| *plural == base || aliases.contains(&base.as_str()));
    match (known, group) {
        (Some((plural, _, _)), Some(g)) => Ok((plural.to_string(), g)),
        (Some((plural, g, _)), None) => Ok((plural.to_string(), g.to_string())),
        (None, Some(g)) => Ok((base, g)),
        (None, None) => Ok((base, String::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kube(words: &[&str], scope: &KubeScope) -> KubeAction {
        let w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        match parse_action(&w, scope, &[], false).unwrap() {
            Action::Kube(k) => k,
            a => panic!("{a:?}"),
        }
    }

    #[test]
    fn kubectl_notation() {
        let s = KubeScope {
            namespace: Some("shop".into()),
            subresource: Some("log".into()),
            ..KubeScope::default()
        };
        let k = kube(&["get", "po/web-1"], &s);
        assert_eq!(
            (
                k.resource.as_str(),
                k.subresource.as_str(),
                k.name.as_deref()
            ),
            ("pods", "log", Some("web-1"))
        );
        assert_eq!(k.namespace.as_deref(), Some("shop"));
        let k = kube(&["create", "deploy"], &KubeScope::default());
        assert_eq!(
            (k.group.as_str(), k.namespace.as_deref()),
            ("apps", Some("default"))
        );
        let all = KubeScope {
            all_namespaces: true,
            ..KubeScope::default()
        };
        assert_eq!(kube(&["list", "secrets"], &all).namespace, None);
        assert_eq!(
            kube(&["get", "nodes"], &KubeScope::default()).namespace,
            None
        );
        let k = kube(&["get", "widgets.example.com"], &KubeScope::default());
        assert_eq!(k.group, "example.com");
        assert_eq!(
            kube(&["get", "/healthz"], &KubeScope::default())
                .path
                .as_deref(),
            Some("/healthz")
        );
    }

    #[test]
    fn aws_notation_and_errors() {
        let w = vec!["s3:GetObject".to_string()];
        let a = parse_action(
            &w,
            &KubeScope::default(),
            &["a=1".into(), "a=2".into()],
            true,
        )
        .unwrap();
        let Action::Aws(a) = a else { panic!() };
        assert_eq!(a.resource, "*");
        assert_eq!(a.context["a"], vec!["1", "2"]);
        let e = parse_action(&["get".into()], &KubeScope::default(), &[], false).unwrap_err();
        assert!(e.contains("accepted actions"));
        assert!(
            parse_action(
                &["s3:GetObject".into(), "bucket".into()],
                &KubeScope::default(),
                &[],
                false
            )
            .is_err()
        );
    }
}
