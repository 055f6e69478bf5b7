//! Tests of PATH-001 (moved unchanged from the single `path.rs`).

use super::*;
use crate::audit::Options;
use crate::graph::Graph;
use crate::model::Inventory;
use crate::policy::rbac::test_support::*;

fn run(inv: &Inventory, prior: &[Finding], include_system: bool) -> Vec<Finding> {
    let graph = Graph::build(inv);
    let opts = Options {
        include_system,
        ..Options::default()
    };
    let ctx = Context {
        inv,
        graph: &graph,
        opts: &opts,
    };
    let mut out = Vec::new();
    check(&ctx, prior, &mut out);
    out
}

fn iam_finding(rule: &'static str, sev: Severity, role: &str) -> Finding {
    Finding::new(rule, sev, Subject::iam_role(&role_arn(role)), "x")
}

fn user_subject(n: &str) -> Subject {
    Subject::User { name: n.into() }
}

#[test]
fn pod_creation_reaches_a_role_with_its_worst_severity() {
    let mut inv = Inventory::default();
    add_irsa_sa(&mut inv, "payments", "api", "pay");
    inv.roles.push(cluster_role(
        "deployer",
        vec![rule(&["apps"], &["deployments"], &["create"])],
    ));
    inv.bindings.push(rb(
        "payments",
        "dev",
        "ClusterRole",
        "deployer",
        vec![user("dev")],
    ));
    let prior = vec![
        iam_finding("IAM-005", Severity::Medium, "pay"),
        iam_finding("IAM-001", Severity::Critical, "pay"),
        iam_finding("IRSA-010", Severity::Low, "pay"),
    ];
    let out = run(&inv, &prior, false);
    assert_eq!(out.len(), 1);
    let f = &out[0];
    assert_eq!(f.rule, "PATH-001");
    assert_eq!(f.subject, user_subject("dev"));
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.evidence[0].starts_with("1. User dev can create or change pods"));
    assert!(f.evidence[0].contains("RoleBinding payments/dev"));
    assert!(f.evidence[1].contains(&role_arn("pay")));
    assert!(f.related.contains(&Subject::iam_role(&role_arn("pay"))));
    // Without IAM findings the severity is medium.
    let out = run(&inv, &[], false);
    assert_eq!(out[0].severity, Severity::Medium);
}

#[test]
fn multi_hop_path_is_followed_and_shortest() {
    let mut inv = Inventory::default();
    add_irsa_sa(&mut inv, "prod", "deployer", "prod-admin");
    inv.service_accounts
        .push(service_account("tools", "runner"));
    inv.pods.push(pod("tools", "runner-0", "runner"));
    // alice may exec into pods in tools, which run as tools/runner …
    inv.roles.push(role(
        "tools",
        "exec",
        vec![rule(&[""], &["pods/exec"], &["create"])],
    ));
    inv.bindings.push(rb(
        "tools",
        "alice-exec",
        "Role",
        "exec",
        vec![user("alice")],
    ));
    // … and tools/runner may mint a token for prod/deployer, which has the role.
    inv.roles.push(role(
        "prod",
        "mint",
        vec![named(
            rule(&[""], &["serviceaccounts/token"], &["create"]),
            &["deployer"],
        )],
    ));
    inv.bindings.push(rb(
        "prod",
        "runner-mints",
        "Role",
        "mint",
        vec![sa("tools", "runner")],
    ));
    let prior = vec![iam_finding("IAM-003", Severity::Critical, "prod-admin")];
    let out = run(&inv, &prior, false);
    let alice = out
        .iter()
        .find(|f| f.subject == user_subject("alice"))
        .unwrap();
    assert_eq!(alice.severity, Severity::Critical);
    assert!(alice.evidence[0].contains("exec into a pod running as ServiceAccount tools/runner"));
    assert!(
        alice.evidence[1]
            .starts_with("2. ServiceAccount tools/runner can create serviceaccounts/token")
    );
    assert!(alice.evidence[2].starts_with("3. as ServiceAccount prod/deployer it gets IAM role"));
    // tools/runner itself has a one-hop path.
    let runner = out
        .iter()
        .find(|f| f.subject == Subject::service_account("tools", "runner"))
        .unwrap();
    assert!(runner.evidence[1].starts_with("2. as ServiceAccount prod/deployer"));
}

#[test]
fn subjects_with_a_role_of_their_own_and_bootstrap_grants_are_skipped() {
    let mut inv = Inventory::default();
    add_irsa_sa(&mut inv, "a", "has-role", "r1");
    add_irsa_sa(&mut inv, "a", "other", "r2");
    inv.roles.push(cluster_role(
        "pods",
        vec![rule(&[""], &["pods"], &["create"])],
    ));
    inv.bindings.push(rb(
        "a",
        "b1",
        "ClusterRole",
        "pods",
        vec![sa("a", "has-role")],
    ));
    inv.bindings
        .push(bootstrap(crb("boot", "pods", vec![group("system:nodes")])));
    assert!(run(&inv, &[], false).is_empty());
    let out = run(&inv, &[], true);
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].subject,
        Subject::Group {
            name: "system:nodes".into()
        }
    );
}

#[test]
fn no_role_within_reach_no_finding() {
    let mut inv = Inventory::default();
    add_irsa_sa(&mut inv, "prod", "api", "r");
    inv.service_accounts.push(service_account("dev", "x"));
    inv.roles.push(cluster_role(
        "pods",
        vec![
            rule(&[""], &["pods"], &["create"]),
            rule(&[""], &["pods/exec"], &["get"]),
        ],
    ));
    inv.bindings
        .push(rb("dev", "b", "ClusterRole", "pods", vec![user("u")]));
    // Exec into prod is only `get`: not enough.
    inv.bindings
        .push(rb("prod", "b2", "ClusterRole", "pods", vec![user("v")]));
    let out = run(&inv, &[], false);
    assert!(out.iter().all(|f| f.subject != user_subject("u")));
    // v can create pods in prod though.
    assert!(out.iter().any(|f| f.subject == user_subject("v")));
}

#[test]
fn group_grants_are_followed_from_service_accounts() {
    // Every service account may create pods in `shared`, where a role lives:
    // the finding is on the group, once.
    let mut inv = Inventory::default();
    add_irsa_sa(&mut inv, "shared", "cloud", "cloud-role");
    inv.service_accounts.push(service_account("web", "a"));
    inv.roles.push(cluster_role(
        "pods",
        vec![rule(&[""], &["pods"], &["create"])],
    ));
    inv.bindings.push(rb(
        "shared",
        "everyone",
        "ClusterRole",
        "pods",
        vec![group("system:serviceaccounts")],
    ));
    let out = run(&inv, &[], false);
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].subject,
        Subject::Group {
            name: "system:serviceaccounts".into()
        }
    );
}
#[test]
fn audit_scales_to_a_large_cluster() {
    // 50k service accounts in 500 namespaces, 5k bindings, 500 IAM roles.
    let mut inv = Inventory::default();
    inv.roles.push(cluster_role(
        "deployer",
        vec![rule(&["apps"], &["deployments"], &["create"])],
    ));
    inv.roles.push(cluster_role(
        "exec",
        vec![rule(&[""], &["pods/exec"], &["create"])],
    ));
    for n in 0..500 {
        let ns = format!("ns{n}");
        add_irsa_sa(&mut inv, &ns, "cloud", &format!("role{n}"));
        for i in 0..99 {
            inv.service_accounts
                .push(service_account(&ns, &format!("sa{i}")));
            inv.pods.push(pod(&ns, &format!("p{i}"), &format!("sa{i}")));
        }
        for i in 0..10 {
            let kind = if i % 2 == 0 { "deployer" } else { "exec" };
            inv.bindings.push(rb(
                &ns,
                &format!("b{i}"),
                "ClusterRole",
                kind,
                vec![sa(&format!("ns{}", (n + 1) % 500), &format!("sa{i}"))],
            ));
        }
    }
    let start = std::time::Instant::now();
    let graph = Graph::build(&inv);
    let opts = Options::default();
    let ctx = Context {
        inv: &inv,
        graph: &graph,
        opts: &opts,
    };
    let mut out = Vec::new();
    crate::audit::rbac::check(&ctx, &mut out);
    let prior = out.clone();
    check(&ctx, &prior, &mut out);
    let paths = out.iter().filter(|f| f.rule == "PATH-001").count();
    assert_eq!(paths, 5_000);
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
}
