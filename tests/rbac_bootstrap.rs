//! Kubernetes' real bootstrap RBAC policy (tests/fixtures/k8s-bootstrap-rbac,
//! upstream test fixtures, Apache-2.0, see its README) audited as a cluster:
//!
//! 1. it raises no RBAC/PATH finding by default (every grant is a bootstrap one);
//! 2. with `--include-system` it raises the reviewed list in
//!    tests/snapshots/bootstrap-include-system.txt (`UPDATE_SNAPSHOTS=1` rewrites it);
//! 3. `can_i` / `who_can` agree with a naive evaluator written here from the RBAC
//!    documentation, and with answers known from the documentation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use iamscope::audit::{self, Options};
use iamscope::model::{Inventory, Namespace, ServiceAccount};
use iamscope::policy::rbac::{Principal, RbacEngine, Request, Via};
use serde_json::Value;

const FILES: [&str; 6] = [
    "cluster-roles.yaml",
    "cluster-role-bindings.yaml",
    "controller-roles.yaml",
    "controller-role-bindings.yaml",
    "namespace-roles.yaml",
    "namespace-role-bindings.yaml",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s-bootstrap-rbac")
}

/// The bootstrap policy as a snapshot, plus the namespaces and service accounts
/// a real cluster has for the bindings (so RBAC-010 is not about the fixture).
fn load() -> Inventory {
    let dir = tempfile::tempdir().unwrap();
    for f in FILES {
        std::fs::copy(
            fixtures().join(f),
            dir.path().join(format!("kubernetes-{f}")),
        )
        .unwrap();
    }
    let (mut inv, _) =
        iamscope::source::snapshot::read_dir(dir.path(), &iamscope::graph::ReadCheck).unwrap();
    assert!(
        inv.coverage.problems.is_empty(),
        "{:?}",
        inv.coverage.problems
    );
    let mut sas = BTreeSet::new();
    for b in &inv.bindings {
        for s in &b.subjects {
            if s.kind == "ServiceAccount" {
                let ns = s.namespace.clone().or_else(|| b.namespace.clone()).unwrap();
                sas.insert((ns, s.name.clone()));
            }
        }
    }
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        inv.namespaces.push(Namespace {
            name: ns.into(),
            ..Namespace::default()
        });
    }
    for (ns, name) in sas {
        inv.service_accounts.push(ServiceAccount {
            namespace: ns,
            name,
            ..ServiceAccount::default()
        });
    }
    inv
}

fn rbac_lines(inv: &Inventory, include_system: bool) -> Vec<String> {
    let opts = Options {
        include_system,
        ..Options::default()
    };
    let mut lines: Vec<String> = audit::run(inv, &opts)
        .into_iter()
        .filter(|f| f.rule.starts_with("RBAC-") || f.rule.starts_with("PATH-"))
        .map(|f| format!("{} {} {}: {}", f.rule, f.severity, f.subject, f.title))
        .collect();
    lines.sort();
    lines
}

#[test]
fn bootstrap_policy_loads_completely() {
    let inv = load();
    assert_eq!(
        inv.roles.iter().filter(|r| r.namespace.is_none()).count(),
        31 + 38
    );
    assert_eq!(
        inv.roles.iter().filter(|r| r.namespace.is_some()).count(),
        7
    );
    assert_eq!(inv.bindings.len(), 12 + 38 + 7);
    assert!(inv.roles.iter().all(|r| r.is_bootstrap()));
    assert!(inv.bindings.iter().all(|b| b.is_bootstrap()));
}

#[test]
fn no_finding_by_default() {
    let inv = load();
    assert_eq!(rbac_lines(&inv, false), Vec::<String>::new());
}

#[test]
fn include_system_matches_reviewed_snapshot() {
    let inv = load();
    let got = rbac_lines(&inv, true).join("\n") + "\n";
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/bootstrap-include-system.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        got, want,
        "bootstrap findings changed; review, then rerun with UPDATE_SNAPSHOTS=1"
    );
    // The headline facts a reviewer expects, whatever else changes.
    for needle in [
        "RBAC-001 critical Group system:masters",
        "RBAC-002 high ServiceAccount kube-system/namespace-controller",
        "RBAC-002 high User system:kube-controller-manager",
        "RBAC-003 critical ServiceAccount kube-system/clusterrole-aggregation-controller",
        "RBAC-004 medium ServiceAccount kube-system/generic-garbage-collector",
        "RBAC-011 high ServiceAccount kube-system/certificate-controller",
    ] {
        assert!(got.contains(needle), "expected a line starting {needle:?}");
    }
    assert!(
        !got.contains("RBAC-007"),
        "the public defaults are not findings"
    );
    assert!(
        !got.contains("RBAC-009"),
        "every bootstrap roleRef resolves"
    );
    assert!(
        !got.contains("RBAC-010"),
        "every bound service account exists here"
    );
}

// ------------------------------------------------------------------ naive evaluator

/// The raw objects, read independently of iamscope's snapshot reader.
struct Raw {
    roles: Vec<Value>,
    bindings: Vec<Value>,
}

fn raw() -> Raw {
    let mut roles = Vec::new();
    let mut bindings = Vec::new();
    for f in FILES {
        let text = std::fs::read_to_string(fixtures().join(f)).unwrap();
        let list: Value = serde_saphyr::from_str(&text).unwrap();
        for item in list["items"].as_array().unwrap() {
            match item["kind"].as_str().unwrap() {
                "ClusterRole" | "Role" => roles.push(item.clone()),
                _ => bindings.push(item.clone()),
            }
        }
    }
    Raw { roles, bindings }
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

impl Raw {
    fn role(&self, kind: &str, ns: Option<&str>, name: &str) -> Option<&Value> {
        self.roles.iter().find(|r| {
            r["kind"] == kind
                && r["metadata"]["name"] == name
                && (kind == "ClusterRole" || r["metadata"]["namespace"].as_str() == ns)
        })
    }

    /// Rules of a role; for aggregated ClusterRoles, the rules of every role whose
    /// labels match a selector (matchLabels, as all bootstrap selectors are), to a fixpoint.
    fn rules(&self, role: &Value) -> Vec<Value> {
        let mut rules: Vec<Value> = role["rules"].as_array().cloned().unwrap_or_default();
        let mut included = vec![role["metadata"]["name"].clone()];
        let mut frontier = vec![role.clone()];
        while let Some(r) = frontier.pop() {
            let Some(sels) = r["aggregationRule"]["clusterRoleSelectors"].as_array() else {
                continue;
            };
            for other in self.roles.iter().filter(|o| o["kind"] == "ClusterRole") {
                if included.contains(&other["metadata"]["name"]) {
                    continue;
                }
                let labels = &other["metadata"]["labels"];
                let selected = sels.iter().any(|s| {
                    s["matchLabels"]
                        .as_object()
                        .is_some_and(|m| m.iter().all(|(k, v)| &labels[k] == v))
                });
                if selected {
                    included.push(other["metadata"]["name"].clone());
                    rules.extend(other["rules"].as_array().cloned().unwrap_or_default());
                    frontier.push(other.clone());
                }
            }
        }
        rules
    }

    /// Does `subject` (kind, name, ns) appear in the binding for user/groups?
    fn binding_applies(&self, b: &Value, user: &str, groups: &[String]) -> bool {
        b["subjects"].as_array().into_iter().flatten().any(|s| {
            let name = s["name"].as_str().unwrap_or("");
            match s["kind"].as_str().unwrap_or("") {
                "User" => name == user,
                "Group" => groups.iter().any(|g| g == name),
                "ServiceAccount" => {
                    let ns = s["namespace"]
                        .as_str()
                        .or(b["metadata"]["namespace"].as_str())
                        .unwrap_or("");
                    user == format!("system:serviceaccount:{ns}:{name}")
                }
                _ => false,
            }
        })
    }

    /// The documentation's evaluation: allowed if any applicable binding's role has a
    /// rule matching verb, apiGroup, resource (`*`, exact, `*/sub`) and name.
    #[allow(clippy::too_many_arguments)]
    fn allowed(
        &self,
        user: &str,
        groups: &[String],
        verb: &str,
        group: &str,
        resource: &str,
        ns: Option<&str>,
        name: Option<&str>,
    ) -> bool {
        if groups.iter().any(|g| g == "system:masters") {
            return true;
        }
        let sub = resource.split_once('/').map(|(_, s)| s);
        for b in &self.bindings {
            let b_ns = b["metadata"]["namespace"].as_str();
            if b_ns.is_some() && b_ns != ns {
                continue;
            }
            if !self.binding_applies(b, user, groups) {
                continue;
            }
            let rr = &b["roleRef"];
            let Some(role) = self.role(
                rr["kind"].as_str().unwrap(),
                b_ns,
                rr["name"].as_str().unwrap(),
            ) else {
                continue;
            };
            for rule in self.rules(role) {
                let verbs = strs(&rule["verbs"]);
                let groups_ = strs(&rule["apiGroups"]);
                let resources = strs(&rule["resources"]);
                let names = strs(&rule["resourceNames"]);
                let v = verbs.iter().any(|x| x == "*" || x == verb);
                let g = groups_.iter().any(|x| x == "*" || x == group);
                let r = resources.iter().any(|x| {
                    x == "*" || x == resource || sub.is_some_and(|s| *x == format!("*/{s}"))
                });
                let n = names.is_empty() || name.is_some_and(|n| names.iter().any(|x| x == n));
                if v && g && r && n {
                    return true;
                }
            }
        }
        false
    }
}

fn identity_of(p: &Principal) -> (String, Vec<String>) {
    match p {
        Principal::ServiceAccount { namespace, name } => (
            format!("system:serviceaccount:{namespace}:{name}"),
            vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
        ),
        Principal::User { name } => (name.clone(), vec!["system:authenticated".into()]),
        Principal::Group { name } => (String::new(), vec![name.clone()]),
        Principal::Iam { arn } => (arn.clone(), vec![]),
    }
}

type Case = (
    Principal,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    bool,
);

fn cases() -> Vec<Case> {
    let sa = Principal::service_account;
    let user = Principal::user;
    let group = Principal::group;
    vec![
        // kube-scheduler binds pods to nodes.
        (
            user("system:kube-scheduler"),
            "create",
            "",
            "bindings",
            Some("default"),
            None,
            true,
        ),
        (
            user("system:kube-scheduler"),
            "create",
            "",
            "pods/binding",
            Some("default"),
            None,
            true,
        ),
        (
            user("system:kube-scheduler"),
            "get",
            "",
            "secrets",
            Some("default"),
            Some("s"),
            false,
        ),
        // view, edit, admin are aggregated: the stored admin role has no rules of its own.
        (
            group("viewers"),
            "get",
            "",
            "pods",
            Some("default"),
            Some("p"),
            false,
        ),
        // Group subjects of the bootstrap policy.
        (
            group("system:masters"),
            "delete",
            "",
            "nodes",
            None,
            Some("n"),
            true,
        ),
        // The system:node binding has no subjects: the Node authorizer serves kubelets.
        (
            group("system:nodes"),
            "get",
            "",
            "nodes",
            None,
            Some("n"),
            false,
        ),
        (
            group("system:monitoring"),
            "get",
            "",
            "pods",
            Some("default"),
            Some("p"),
            false,
        ),
        (
            group("system:authenticated"),
            "create",
            "authorization.k8s.io",
            "selfsubjectaccessreviews",
            None,
            None,
            true,
        ),
        (
            group("system:authenticated"),
            "list",
            "",
            "secrets",
            None,
            None,
            false,
        ),
        (
            group("system:unauthenticated"),
            "create",
            "authorization.k8s.io",
            "selfsubjectaccessreviews",
            None,
            None,
            false,
        ),
        (
            sa("default", "any"),
            "create",
            "authorization.k8s.io",
            "selfsubjectaccessreviews",
            None,
            None,
            true,
        ),
        (
            sa("default", "any"),
            "get",
            "",
            "pods",
            Some("default"),
            Some("p"),
            false,
        ),
        // Controllers.
        (
            sa("kube-system", "namespace-controller"),
            "delete",
            "",
            "secrets",
            Some("team"),
            None,
            true,
        ),
        (
            sa("kube-system", "namespace-controller"),
            "list",
            "",
            "secrets",
            None,
            None,
            true,
        ),
        (
            sa("kube-system", "generic-garbage-collector"),
            "delete",
            "apps",
            "deployments",
            Some("team"),
            Some("d"),
            true,
        ),
        (
            sa("kube-system", "replicaset-controller"),
            "create",
            "",
            "pods",
            Some("team"),
            None,
            true,
        ),
        (
            sa("kube-system", "replicaset-controller"),
            "create",
            "",
            "pods/exec",
            Some("team"),
            Some("p"),
            false,
        ),
        (
            sa("kube-system", "certificate-controller"),
            "update",
            "certificates.k8s.io",
            "certificatesigningrequests/approval",
            None,
            Some("csr"),
            true,
        ),
        (
            sa("kube-system", "clusterrole-aggregation-controller"),
            "escalate",
            "rbac.authorization.k8s.io",
            "clusterroles",
            None,
            Some("admin"),
            true,
        ),
        (
            sa("kube-system", "bootstrap-signer"),
            "update",
            "",
            "configmaps",
            Some("kube-public"),
            Some("cluster-info"),
            true,
        ),
        (
            sa("kube-system", "bootstrap-signer"),
            "update",
            "",
            "configmaps",
            Some("kube-public"),
            Some("other"),
            false,
        ),
        (
            sa("kube-system", "bootstrap-signer"),
            "update",
            "",
            "configmaps",
            Some("kube-system"),
            Some("cluster-info"),
            false,
        ),
        (
            sa("kube-system", "job-controller"),
            "create",
            "",
            "pods",
            Some("x"),
            None,
            true,
        ),
        (
            sa("kube-system", "job-controller"),
            "get",
            "",
            "secrets",
            Some("x"),
            Some("s"),
            false,
        ),
        (
            user("system:kube-controller-manager"),
            "get",
            "",
            "secrets",
            Some("x"),
            Some("s"),
            true,
        ),
        (
            user("system:kube-proxy"),
            "list",
            "",
            "endpoints",
            None,
            None,
            true,
        ),
        (
            user("system:kube-proxy"),
            "list",
            "",
            "secrets",
            None,
            None,
            false,
        ),
        (
            user("nobody-special"),
            "get",
            "",
            "pods",
            Some("default"),
            Some("p"),
            false,
        ),
    ]
}

#[test]
fn can_i_agrees_with_naive_evaluation() {
    let inv = load();
    let engine = RbacEngine::new(&inv);
    let raw = raw();
    for (p, verb, group, resource, ns, name, expect) in cases() {
        let (resource_, sub) = resource.split_once('/').unwrap_or((resource, ""));
        let got = engine
            .can_i_parts(&p, verb, group, resource_, sub, ns, name)
            .is_some();
        let (user, groups) = identity_of(&p);
        let naive = raw.allowed(&user, &groups, verb, group, resource, ns, name);
        let q = format!("{p} {verb} {group}/{resource} ns={ns:?} name={name:?}");
        assert_eq!(got, naive, "engine and naive evaluator disagree: {q}");
        assert_eq!(got, expect, "unexpected answer: {q}");
    }
}

#[test]
fn aggregated_user_facing_roles() {
    let inv = load();
    let engine = RbacEngine::new(&inv);
    let mut inv2 = inv.clone();
    // Bind the user-facing roles in a namespace, as a cluster admin would.
    for (who, role) in [("ann", "admin"), ("ed", "edit"), ("vic", "view")] {
        inv2.bindings.push(iamscope::model::RbacBinding {
            namespace: Some("team".into()),
            name: format!("{who}-{role}"),
            role_ref: iamscope::model::RoleRef {
                kind: "ClusterRole".into(),
                name: role.into(),
            },
            subjects: vec![iamscope::model::RbacSubject {
                kind: "User".into(),
                name: who.into(),
                namespace: None,
            }],
            ..Default::default()
        });
    }
    let engine2 = RbacEngine::new(&inv2);
    let table: [(&str, &str, &str, &str, bool); 10] = [
        ("ann", "create", "", "pods/exec", true),
        (
            "ann",
            "create",
            "rbac.authorization.k8s.io",
            "rolebindings",
            true,
        ),
        ("ann", "get", "", "secrets", true),
        ("ed", "create", "", "pods/exec", true),
        (
            "ed",
            "create",
            "rbac.authorization.k8s.io",
            "rolebindings",
            false,
        ),
        ("ed", "create", "apps", "deployments", true),
        ("vic", "get", "", "pods", true),
        ("vic", "get", "", "secrets", false),
        ("vic", "create", "", "pods/exec", false),
        ("vic", "get", "", "pods/log", true),
    ];
    for (who, verb, group, resource, expect) in table {
        let (res, sub) = resource.split_once('/').unwrap_or((resource, ""));
        let p = Principal::user(who);
        let got = engine2
            .can_i_parts(&p, verb, group, res, sub, Some("team"), Some("x"))
            .is_some();
        assert_eq!(got, expect, "{who} {verb} {group}/{resource}");
        // And nowhere else.
        assert!(
            engine2
                .can_i_parts(&p, verb, group, res, sub, Some("other"), Some("x"))
                .is_none()
        );
    }
    // The aggregated rules come from the parts, not from the stored (empty) admin rules.
    let admin = engine.cluster_role("admin").unwrap();
    assert!(admin.rules.is_empty() || admin.aggregation.is_some());
    let sources: BTreeSet<String> = engine
        .effective_rules(admin)
        .map(|(r, _, _)| r.name.clone())
        .collect();
    assert!(sources.contains("system:aggregate-to-admin"), "{sources:?}");
    assert!(sources.contains("system:aggregate-to-edit"), "{sources:?}");
    assert!(sources.contains("system:aggregate-to-view"), "{sources:?}");
}

#[test]
fn who_can_agrees_with_naive_evaluation() {
    let inv = load();
    let engine = RbacEngine::new(&inv);
    let raw = raw();
    let queries: [(&str, &str, &str, Option<&str>); 6] = [
        ("list", "", "secrets", None),
        ("create", "", "pods", Some("team")),
        ("create", "", "serviceaccounts/token", Some("kube-system")),
        (
            "update",
            "certificates.k8s.io",
            "certificatesigningrequests/approval",
            None,
        ),
        ("create", "", "bindings", Some("default")),
        ("delete", "", "namespaces", None),
    ];
    // Every principal any binding names, as the candidates of the naive answer.
    let mut candidates: BTreeSet<Principal> = BTreeSet::new();
    for b in &inv.bindings {
        for s in &b.subjects {
            if let Some(p) = Principal::from_subject(s, b.namespace.as_deref()) {
                candidates.insert(p);
            }
        }
    }
    for (verb, group, resource, ns) in queries {
        let mut req = Request::new(verb, group, resource);
        req.namespace = ns;
        let got: BTreeSet<Principal> = engine.who_can(&req).into_iter().map(|(p, _)| p).collect();
        let naive: BTreeSet<Principal> = candidates
            .iter()
            .filter(|p| {
                // who-can lists the subjects named, so evaluate each as itself
                // (a Group alone, a User with no extra group).
                let (user, groups) = match p {
                    Principal::User { name } => (name.clone(), vec![]),
                    other => {
                        let (u, g) = identity_of(other);
                        match other {
                            Principal::ServiceAccount { .. } => (u, vec![]),
                            _ => (u, g),
                        }
                    }
                };
                raw.allowed(&user, &groups, verb, group, resource, ns, None)
            })
            .cloned()
            .collect();
        assert_eq!(got, naive, "who can {verb} {group}/{resource} in {ns:?}");
        let masters = engine.who_can(&req);
        assert!(
            masters
                .iter()
                .any(|(p, g)| *p == Principal::group("system:masters")
                    && matches!(g.via, Via::Masters { .. }))
        );
    }
    // A known answer: the scheduler may create bindings.
    let mut req = Request::new("create", "", "bindings");
    req.namespace = Some("default");
    let who: BTreeMap<Principal, ()> = engine
        .who_can(&req)
        .into_iter()
        .map(|(p, _)| (p, ()))
        .collect();
    assert!(who.contains_key(&Principal::user("system:kube-scheduler")));
}
