//! Tests of the RBAC rules (moved unchanged from the single `rbac.rs`).

use super::*;
use crate::audit::Options;
use crate::graph::Graph;
use crate::model::{AwsAuth, SecretMeta};
use crate::policy::rbac::test_support::*;

fn run(inv: &Inventory, include_system: bool) -> Vec<Finding> {
    run_with(inv, include_system, true)
}

fn run_with(inv: &Inventory, include_system: bool, all_rules: bool) -> Vec<Finding> {
    let graph = Graph::build(inv);
    let opts = Options {
        include_system,
        all_rules,
        ..Options::default()
    };
    let ctx = Context {
        inv,
        graph: &graph,
        opts: &opts,
    };
    let mut out = Vec::new();
    check(&ctx, &mut out);
    out
}

fn rules_on(out: &[Finding], subject: &Subject) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = out
        .iter()
        .filter(|f| &f.subject == subject)
        .map(|f| f.rule)
        .collect();
    v.sort();
    v
}

fn find<'f>(out: &'f [Finding], rule: &str, subject: &Subject) -> Option<&'f Finding> {
    out.iter().find(|f| f.rule == rule && &f.subject == subject)
}

fn base() -> Inventory {
    let mut inv = Inventory::default();
    inv.roles.push(cluster_role(
        "cluster-admin",
        vec![rule(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])],
    ));
    inv.service_accounts.push(service_account("ci", "jenkins"));
    inv
}

fn sa_subject(ns: &str, n: &str) -> Subject {
    Subject::service_account(ns, n)
}

#[test]
fn cluster_admin_binding_is_rbac_001_and_more() {
    let mut inv = base();
    inv.bindings.push(crb(
        "jenkins-admin",
        "cluster-admin",
        vec![sa("ci", "jenkins")],
    ));
    let out = run(&inv, false);
    let rules = rules_on(&out, &sa_subject("ci", "jenkins"));
    for r in [
        "RBAC-001", "RBAC-002", "RBAC-003", "RBAC-004", "RBAC-005", "RBAC-006", "RBAC-008",
        "RBAC-011", "RBAC-013",
    ] {
        assert!(rules.contains(&r), "{r} missing from {rules:?}");
    }
    let f = find(&out, "RBAC-001", &sa_subject("ci", "jenkins")).unwrap();
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.evidence[0].contains("ClusterRoleBinding jenkins-admin"));
    assert!(
        f.remediation
            .contains("kubectl delete clusterrolebinding jenkins-admin")
    );
}

#[test]
fn cluster_admin_gets_one_finding_with_the_rest_folded_in() {
    let mut inv = base();
    inv.bindings.push(crb(
        "jenkins-admin",
        "cluster-admin",
        vec![sa("ci", "jenkins")],
    ));
    inv.bindings.push(rb(
        "dev",
        "dev-edit",
        "ClusterRole",
        "cluster-admin",
        vec![sa("dev", "builder")],
    ));
    let out = run_with(&inv, false, false);
    let jenkins = sa_subject("ci", "jenkins");
    assert_eq!(rules_on(&out, &jenkins), vec!["RBAC-001"]);
    let f = find(&out, "RBAC-001", &jenkins).unwrap();
    let also: Vec<&str> = f
        .evidence
        .iter()
        .filter_map(|e| e.strip_prefix("also: "))
        .collect();
    for r in [
        "RBAC-002", "RBAC-003", "RBAC-004", "RBAC-005", "RBAC-006", "RBAC-008", "RBAC-011",
        "RBAC-013",
    ] {
        assert_eq!(
            also.iter().filter(|l| l.starts_with(r)).count(),
            1,
            "{r} not folded once into {also:?}"
        );
    }
    assert!(
            also.contains(
                &"RBAC-003 (critical) ServiceAccount ci/jenkins can escalate its privileges through RBAC"
            ),
            "{also:?}"
        );
    // A subject that is not cluster admin keeps each of its findings.
    let builder = rules_on(&out, &sa_subject("dev", "builder"));
    assert!(builder.contains(&"RBAC-003") && builder.contains(&"RBAC-004"));
    // --all-rules keeps each as before.
    let all = run_with(&inv, false, true);
    assert_eq!(rules_on(&all, &jenkins).len(), 9);
    let f = find(&all, "RBAC-001", &jenkins).unwrap();
    assert!(!f.evidence.iter().any(|e| e.starts_with("also: ")));
}

#[test]
fn namespaced_admin_is_not_cluster_admin() {
    let mut inv = base();
    inv.bindings.push(rb(
        "ci",
        "local-admin",
        "ClusterRole",
        "cluster-admin",
        vec![sa("ci", "jenkins")],
    ));
    let out = run(&inv, false);
    let rules = rules_on(&out, &sa_subject("ci", "jenkins"));
    assert!(!rules.contains(&"RBAC-001"));
    assert!(
        !rules.contains(&"RBAC-002"),
        "secrets of one namespace only"
    );
    assert!(!rules.contains(&"RBAC-011"), "CSRs are cluster-scoped");
    assert!(!rules.contains(&"RBAC-013"));
    assert!(!rules.contains(&"RBAC-008"), "aws-auth is in kube-system");
    assert!(
        rules.contains(&"RBAC-003"),
        "it can write RoleBindings in ci"
    );
    assert!(rules.contains(&"RBAC-004"));
    assert!(rules.contains(&"RBAC-006"));
}

#[test]
fn wildcard_role_counts_as_admin() {
    let mut inv = base();
    inv.roles
        .push(cluster_role("god", vec![rule(&["*"], &["*"], &["*"])]));
    inv.bindings.push(crb("god", "god", vec![user("alice")]));
    let out = run(&inv, false);
    assert!(
        find(
            &out,
            "RBAC-001",
            &Subject::User {
                name: "alice".into()
            }
        )
        .is_some()
    );
}

#[test]
fn bootstrap_grants_only_with_include_system() {
    let mut inv = base();
    inv.bindings.push(bootstrap(crb(
        "cluster-admin",
        "cluster-admin",
        vec![group("system:masters")],
    )));
    // Not a bootstrap binding, though its subject looks like a system one.
    inv.bindings.push(crb(
        "sneaky",
        "cluster-admin",
        vec![user("system:kube-controller-manager")],
    ));
    let masters = Subject::Group {
        name: "system:masters".into(),
    };
    let kcm = Subject::User {
        name: "system:kube-controller-manager".into(),
    };
    let out = run(&inv, false);
    assert!(find(&out, "RBAC-001", &masters).is_none());
    assert!(find(&out, "RBAC-001", &kcm).is_some());
    let out = run(&inv, true);
    let f = find(&out, "RBAC-001", &masters).unwrap();
    assert!(f.evidence.iter().any(|e| e.contains("bootstrap binding")));
}

#[test]
fn a_group_grant_is_one_finding_with_members() {
    let mut inv = base();
    inv.service_accounts.push(service_account("web", "api"));
    inv.roles.push(cluster_role(
        "secret-reader",
        vec![rule(&[""], &["secrets"], &["list"])],
    ));
    inv.bindings.push(crb(
        "all-read",
        "secret-reader",
        vec![group("system:serviceaccounts")],
    ));
    inv.aws_auth = Some(AwsAuth::parse(
        Some(
            "- rolearn: arn:aws:iam::111122223333:role/ops\n  username: ops\n  groups: [ops-team]\n",
        ),
        None,
        None,
    ));
    inv.bindings
        .push(crb("ops-read", "secret-reader", vec![group("ops-team")]));
    let out = run(&inv, false);
    let all: Vec<&Finding> = out.iter().filter(|f| f.rule == "RBAC-002").collect();
    assert_eq!(all.len(), 2, "{all:#?}");
    let g = find(
        &out,
        "RBAC-002",
        &Subject::Group {
            name: "system:serviceaccounts".into(),
        },
    )
    .unwrap();
    assert!(
        g.evidence
            .iter()
            .any(|e| e.contains("2 service account(s)"))
    );
    let ops = find(
        &out,
        "RBAC-002",
        &Subject::Group {
            name: "ops-team".into(),
        },
    )
    .unwrap();
    assert!(
        ops.evidence
            .iter()
            .any(|e| e.contains("arn:aws:iam::111122223333:role/ops")),
        "{:?}",
        ops.evidence
    );
}

#[test]
fn secrets_need_every_namespace_and_no_resource_names() {
    let mut inv = base();
    inv.roles.push(cluster_role(
        "one-secret",
        vec![named(rule(&[""], &["secrets"], &["get"]), &["tls"])],
    ));
    inv.roles.push(cluster_role(
        "reader",
        vec![rule(&[""], &["secrets"], &["watch"])],
    ));
    inv.bindings.push(crb("one", "one-secret", vec![user("a")]));
    inv.bindings
        .push(rb("web", "ns", "ClusterRole", "reader", vec![user("b")]));
    inv.bindings.push(crb("all", "reader", vec![user("c")]));
    let out = run(&inv, false);
    let rbac2: Vec<&Subject> = out
        .iter()
        .filter(|f| f.rule == "RBAC-002")
        .map(|f| &f.subject)
        .collect();
    assert_eq!(rbac2, vec![&Subject::User { name: "c".into() }]);
}

#[test]
fn escalation_variants() {
    let mut inv = base();
    let r = "rbac.authorization.k8s.io";
    inv.roles.push(role(
        "web",
        "binder",
        vec![rule(&[r], &["clusterroles"], &["bind"])],
    ));
    inv.roles.push(cluster_role(
        "imp",
        vec![rule(&[""], &["users", "groups"], &["impersonate"])],
    ));
    inv.roles.push(role(
        "web",
        "rbw",
        vec![rule(&[r], &["rolebindings"], &["create"])],
    ));
    inv.roles.push(role(
        "web",
        "harmless",
        vec![rule(&[r], &["rolebindings"], &["get", "list"])],
    ));
    inv.bindings
        .push(rb("web", "b1", "Role", "binder", vec![user("binder")]));
    inv.bindings.push(crb("b2", "imp", vec![user("imp")]));
    inv.bindings
        .push(rb("web", "b3", "Role", "rbw", vec![user("writer")]));
    inv.bindings
        .push(rb("web", "b4", "Role", "harmless", vec![user("reader")]));
    // Impersonating users through a RoleBinding does nothing (cluster-scoped).
    inv.bindings
        .push(rb("web", "b5", "ClusterRole", "imp", vec![user("ns-imp")]));
    let out = run(&inv, false);
    for who in ["binder", "imp", "writer"] {
        assert!(
            find(&out, "RBAC-003", &Subject::User { name: who.into() }).is_some(),
            "{who}"
        );
    }
    for who in ["reader", "ns-imp"] {
        assert!(
            find(&out, "RBAC-003", &Subject::User { name: who.into() }).is_none(),
            "{who}"
        );
    }
}

#[test]
fn pod_creation_is_high_where_an_iam_role_is() {
    let mut inv = base();
    add_irsa_sa(&mut inv, "payments", "api", "payments-role");
    inv.service_accounts.push(service_account("web", "front"));
    inv.roles.push(cluster_role(
        "deployer",
        vec![rule(&["apps"], &["deployments"], &["create", "update"])],
    ));
    inv.bindings.push(rb(
        "payments",
        "d1",
        "ClusterRole",
        "deployer",
        vec![user("pay-dev")],
    ));
    inv.bindings.push(rb(
        "web",
        "d2",
        "ClusterRole",
        "deployer",
        vec![user("web-dev")],
    ));
    let out = run(&inv, false);
    let pay = find(
        &out,
        "RBAC-004",
        &Subject::User {
            name: "pay-dev".into(),
        },
    )
    .unwrap();
    assert_eq!(pay.severity, Severity::High);
    assert!(pay.evidence.iter().any(|e| e.contains("payments-role")));
    let web = find(
        &out,
        "RBAC-004",
        &Subject::User {
            name: "web-dev".into(),
        },
    )
    .unwrap();
    assert_eq!(web.severity, Severity::Medium);
}

#[test]
fn token_minting_honours_resource_names() {
    let mut inv = base();
    add_irsa_sa(&mut inv, "payments", "api", "payments-role");
    inv.service_accounts
        .push(service_account("payments", "plain"));
    inv.roles.push(role(
        "payments",
        "tok-plain",
        vec![named(
            rule(&[""], &["serviceaccounts/token"], &["create"]),
            &["plain"],
        )],
    ));
    inv.roles.push(role(
        "payments",
        "tok-api",
        vec![named(
            rule(&[""], &["serviceaccounts/token"], &["create"]),
            &["api"],
        )],
    ));
    inv.roles.push(role(
        "payments",
        "sec",
        vec![rule(&[""], &["secrets"], &["create"])],
    ));
    inv.bindings
        .push(rb("payments", "t1", "Role", "tok-plain", vec![user("u1")]));
    inv.bindings
        .push(rb("payments", "t2", "Role", "tok-api", vec![user("u2")]));
    inv.bindings
        .push(rb("payments", "t3", "Role", "sec", vec![user("u3")]));
    let out = run(&inv, false);
    let sev =
        |u: &str| find(&out, "RBAC-005", &Subject::User { name: u.into() }).map(|f| f.severity);
    assert_eq!(sev("u1"), Some(Severity::Medium));
    assert_eq!(sev("u2"), Some(Severity::High));
    assert_eq!(sev("u3"), Some(Severity::High));
}

#[test]
fn exec_and_node_proxy() {
    let mut inv = base();
    inv.roles.push(cluster_role(
        "exec",
        vec![rule(&[""], &["pods/exec"], &["create"])],
    ));
    inv.roles.push(cluster_role(
        "exec-get-only",
        vec![rule(&[""], &["pods/exec"], &["get"])],
    ));
    inv.roles.push(cluster_role(
        "star",
        vec![rule(&[""], &["pods/*"], &["create"])],
    ));
    inv.roles.push(cluster_role(
        "proxy",
        vec![rule(&[""], &["nodes/proxy"], &["get"])],
    ));
    inv.bindings
        .push(rb("web", "e1", "ClusterRole", "exec", vec![user("execer")]));
    inv.bindings
        .push(crb("e2", "exec-get-only", vec![user("getter")]));
    inv.bindings.push(crb("e3", "star", vec![user("star")]));
    inv.bindings.push(crb("e4", "proxy", vec![user("proxy")]));
    inv.bindings.push(rb(
        "web",
        "e5",
        "ClusterRole",
        "proxy",
        vec![user("ns-proxy")],
    ));
    let out = run(&inv, false);
    let has = |u: &str| find(&out, "RBAC-006", &Subject::User { name: u.into() }).is_some();
    assert!(has("execer"));
    assert!(has("proxy"));
    assert!(!has("getter"));
    assert!(
        !has("star"),
        "pods/* grants no subresource in the API server"
    );
    assert!(!has("ns-proxy"), "nodes are cluster-scoped");
}

#[test]
fn public_groups_beyond_defaults() {
    let mut inv = base();
    inv.roles
        .push(cluster_role("view", vec![rule(&[""], &["pods"], &["get"])]));
    inv.roles.push(cluster_role(
        "system:discovery",
        vec![urls(&["/api"], &["get"])],
    ));
    inv.bindings.push(bootstrap(crb(
        "system:discovery",
        "system:discovery",
        vec![group("system:authenticated")],
    )));
    inv.bindings.push(crb(
        "anonymous-view",
        "view",
        vec![group("system:unauthenticated")],
    ));
    inv.bindings
        .push(crb("anon-user", "view", vec![user("system:anonymous")]));
    inv.bindings.push(rb(
        "web",
        "all-users",
        "ClusterRole",
        "view",
        vec![group("system:authenticated")],
    ));
    inv.bindings.push(crb(
        "custom-discovery",
        "system:discovery",
        vec![group("system:authenticated")],
    ));
    for include in [false, true] {
        let out = run(&inv, include);
        let sev = |s: Subject| find(&out, "RBAC-007", &s).map(|f| f.severity);
        assert_eq!(
            sev(Subject::ClusterRoleBinding {
                name: "anonymous-view".into()
            }),
            Some(Severity::Critical)
        );
        assert_eq!(
            sev(Subject::ClusterRoleBinding {
                name: "anon-user".into()
            }),
            Some(Severity::Critical)
        );
        assert_eq!(
            sev(Subject::RoleBinding {
                namespace: "web".into(),
                name: "all-users".into()
            }),
            Some(Severity::High)
        );
        assert_eq!(
            sev(Subject::ClusterRoleBinding {
                name: "system:discovery".into()
            }),
            None
        );
        assert_eq!(
            sev(Subject::ClusterRoleBinding {
                name: "custom-discovery".into()
            }),
            None,
            "the default role grants nothing beyond the defaults"
        );
    }
}

#[test]
fn aws_auth_writers() {
    let mut inv = base();
    inv.roles.push(role(
        "kube-system",
        "cm-named",
        vec![named(
            rule(&[""], &["configmaps"], &["patch"]),
            &["aws-auth"],
        )],
    ));
    inv.roles.push(role(
        "kube-system",
        "cm-other",
        vec![named(
            rule(&[""], &["configmaps"], &["patch"]),
            &["coredns"],
        )],
    ));
    inv.roles.push(cluster_role(
        "cm-any",
        vec![rule(&[""], &["configmaps"], &["update"])],
    ));
    inv.bindings
        .push(rb("kube-system", "a", "Role", "cm-named", vec![user("a")]));
    inv.bindings
        .push(rb("kube-system", "b", "Role", "cm-other", vec![user("b")]));
    inv.bindings.push(crb("c", "cm-any", vec![user("c")]));
    inv.bindings
        .push(rb("web", "d", "ClusterRole", "cm-any", vec![user("d")]));
    let out = run(&inv, false);
    let has = |u: &str| find(&out, "RBAC-008", &Subject::User { name: u.into() }).is_some();
    assert!(has("a"));
    assert!(!has("b"));
    assert!(has("c"));
    assert!(!has("d"));
}

#[test]
fn missing_roles_and_service_accounts() {
    let mut inv = base();
    inv.namespaces.push(crate::model::Namespace {
        name: "ci".into(),
        ..Default::default()
    });
    inv.bindings
        .push(crb("ghost", "no-such-role", vec![sa("ci", "jenkins")]));
    inv.bindings.push(rb(
        "ci",
        "ghost-role",
        "Role",
        "nope",
        vec![sa("ci", "nobody")],
    ));
    let out = run(&inv, false);
    assert!(
        find(
            &out,
            "RBAC-009",
            &Subject::ClusterRoleBinding {
                name: "ghost".into()
            }
        )
        .is_some()
    );
    let rb_subject = Subject::RoleBinding {
        namespace: "ci".into(),
        name: "ghost-role".into(),
    };
    assert!(find(&out, "RBAC-009", &rb_subject).is_some());
    let f = find(&out, "RBAC-010", &rb_subject).unwrap();
    assert_eq!(f.severity, Severity::Low);
    assert!(f.title.contains("ci/nobody"));
    assert!(
        find(
            &out,
            "RBAC-010",
            &Subject::ClusterRoleBinding {
                name: "ghost".into()
            }
        )
        .is_none()
    );
}

#[test]
fn csr_approval_needs_both_halves() {
    let mut inv = base();
    let c = "certificates.k8s.io";
    inv.roles.push(cluster_role(
        "approve-half",
        vec![rule(
            &[c],
            &["certificatesigningrequests/approval"],
            &["update"],
        )],
    ));
    inv.roles.push(cluster_role(
        "approver",
        vec![
            rule(&[c], &["certificatesigningrequests/approval"], &["update"]),
            named(
                rule(&[c], &["signers"], &["approve"]),
                &["kubernetes.io/kube-apiserver-client"],
            ),
        ],
    ));
    inv.bindings
        .push(crb("h", "approve-half", vec![user("half")]));
    inv.bindings.push(crb("f", "approver", vec![user("full")]));
    let out = run(&inv, false);
    assert!(
        find(
            &out,
            "RBAC-011",
            &Subject::User {
                name: "full".into()
            }
        )
        .is_some()
    );
    assert!(
        find(
            &out,
            "RBAC-011",
            &Subject::User {
                name: "half".into()
            }
        )
        .is_none()
    );
}

#[test]
fn webhooks_and_token_secrets() {
    let mut inv = base();
    inv.roles.push(cluster_role(
        "hooks",
        vec![rule(
            &["admissionregistration.k8s.io"],
            &["mutatingwebhookconfigurations"],
            &["patch"],
        )],
    ));
    inv.bindings.push(crb("h", "hooks", vec![user("hooker")]));
    inv.secrets.push(SecretMeta {
        namespace: "ci".into(),
        name: "jenkins-token".into(),
        type_: "kubernetes.io/service-account-token".into(),
        service_account: Some("jenkins".into()),
        created: None,
    });
    inv.secrets.push(SecretMeta {
        namespace: "ci".into(),
        name: "tls".into(),
        type_: "kubernetes.io/tls".into(),
        ..SecretMeta::default()
    });
    let out = run(&inv, false);
    assert!(
        find(
            &out,
            "RBAC-013",
            &Subject::User {
                name: "hooker".into()
            }
        )
        .is_some()
    );
    let secrets: Vec<&Finding> = out.iter().filter(|f| f.rule == "RBAC-012").collect();
    assert_eq!(secrets.len(), 1);
    assert_eq!(
        secrets[0].subject,
        Subject::Secret {
            namespace: "ci".into(),
            name: "jenkins-token".into()
        }
    );
}

#[test]
fn aggregated_rules_are_computed_not_trusted() {
    let mut inv = base();
    // The stored rules of `reader` say nothing about secrets; its part does.
    let mut agg = aggregated("reader", vec![match_labels(&[("agg", "reader")])]);
    agg.rules = vec![rule(&[""], &["pods"], &["get"])];
    let mut part = cluster_role("part", vec![rule(&[""], &["secrets"], &["list"])]);
    part.labels = labels(&[("agg", "reader")]);
    inv.roles.push(agg);
    inv.roles.push(part);
    inv.bindings.push(crb("r", "reader", vec![user("u")]));
    let out = run(&inv, false);
    let f = find(&out, "RBAC-002", &Subject::User { name: "u".into() }).unwrap();
    assert!(
        f.evidence[0].contains("aggregated from ClusterRole part"),
        "{:?}",
        f.evidence
    );
}
