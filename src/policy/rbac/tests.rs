//! Tests of RBAC matching, aggregation and the engine (moved unchanged from
//! the single `rbac.rs`).

use super::test_support::*;
use super::*;
use crate::model::{
    AccessEntry, AccessPolicyAssociation, AwsAuth, Inventory, LabelSelectorRequirement,
};

fn req<'r>(verb: &'r str, group: &'r str, res: &'r str) -> Request<'r> {
    Request::new(verb, group, res)
}

#[test]
fn verbs_groups_resources_and_wildcards() {
    let r = rule(&[""], &["pods", "secrets"], &["get", "list"]);
    assert!(rule_allows(&r, &req("get", "", "pods")));
    assert!(!rule_allows(&r, &req("delete", "", "pods")));
    assert!(!rule_allows(&r, &req("get", "apps", "pods")));
    assert!(!rule_allows(&r, &req("get", "", "configmaps")));
    let any = rule(&["*"], &["*"], &["*"]);
    assert!(rule_allows(
        &any,
        &req("escalate", "rbac.authorization.k8s.io", "clusterroles")
    ));
    assert!(rule_allows(
        &any,
        &req("create", "", "pods/exec").any_name()
    ));
    let verbs_any = rule(&["apps"], &["deployments"], &["*"]);
    assert!(rule_allows(
        &verbs_any,
        &req("patch", "apps", "deployments")
    ));
    assert!(!rule_allows(&verbs_any, &req("patch", "", "deployments")));
}

#[test]
fn subresources_as_the_api_server_matches_them() {
    let exec = rule(&[""], &["pods/exec"], &["create"]);
    assert!(rule_allows(&exec, &req("create", "", "pods/exec")));
    assert!(!rule_allows(&exec, &req("create", "", "pods")));
    assert!(!rule_allows(&exec, &req("create", "", "pods/attach")));
    // `pods` alone does not grant its subresources.
    let pods = rule(&[""], &["pods"], &["create"]);
    assert!(!rule_allows(&pods, &req("create", "", "pods/exec")));
    // `*/scale` matches every resource's scale.
    let scale = rule(&["apps"], &["*/scale"], &["update"]);
    assert!(rule_allows(
        &scale,
        &req("update", "apps", "deployments/scale")
    ));
    assert!(!rule_allows(&scale, &req("update", "apps", "deployments")));
    // `pods/*` is no pattern in the API server: it grants no subresource.
    let pods_star = rule(&[""], &["pods/*"], &["create"]);
    assert!(!rule_allows(&pods_star, &req("create", "", "pods/exec")));
    assert!(!rule_allows(&pods_star, &req("create", "", "pods")));
}

#[test]
fn resource_names() {
    let r = named(
        rule(&[""], &["configmaps"], &["update", "create"]),
        &["aws-auth"],
    );
    assert!(rule_allows(
        &r,
        &req("update", "", "configmaps").named("aws-auth")
    ));
    assert!(!rule_allows(
        &r,
        &req("update", "", "configmaps").named("other")
    ));
    // A request without a name (create, list) is not admitted by resourceNames.
    assert!(!rule_allows(&r, &req("create", "", "configmaps")));
    assert!(rule_allows(&r, &req("update", "", "configmaps").any_name()));
}

#[test]
fn non_resource_urls() {
    let r = urls(&["/healthz", "/apis/*"], &["get"]);
    assert!(rule_allows_url(&r, "get", "/healthz"));
    assert!(!rule_allows_url(&r, "get", "/healthz/ping"));
    assert!(rule_allows_url(&r, "get", "/apis/apps/v1"));
    assert!(!rule_allows_url(&r, "post", "/healthz"));
    assert!(rule_allows_url(&urls(&["*"], &["*"]), "delete", "/x"));
    // A resource rule has no URLs.
    assert!(!rule_allows_url(
        &rule(&["*"], &["*"], &["*"]),
        "get",
        "/healthz"
    ));
}

#[test]
fn selectors() {
    let l = labels(&[("a", "1"), ("b", "2")]);
    assert!(selector_matches(&match_labels(&[("a", "1")]), &l));
    assert!(!selector_matches(&match_labels(&[("a", "2")]), &l));
    assert!(selector_matches(&LabelSelector::default(), &l));
    let expr = |key: &str, op: &str, values: &[&str]| LabelSelector {
        match_expressions: vec![LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }],
        ..LabelSelector::default()
    };
    assert!(selector_matches(&expr("a", "In", &["0", "1"]), &l));
    assert!(!selector_matches(&expr("a", "In", &["0"]), &l));
    assert!(!selector_matches(&expr("c", "In", &["0"]), &l));
    assert!(selector_matches(&expr("a", "NotIn", &["0"]), &l));
    assert!(selector_matches(&expr("c", "NotIn", &["0"]), &l));
    assert!(!selector_matches(&expr("a", "NotIn", &["1"]), &l));
    assert!(selector_matches(&expr("b", "Exists", &[]), &l));
    assert!(!selector_matches(&expr("c", "Exists", &[]), &l));
    assert!(selector_matches(&expr("c", "DoesNotExist", &[]), &l));
    assert!(!selector_matches(&expr("a", "DoesNotExist", &[]), &l));
    assert!(!selector_matches(&expr("a", "Bogus", &[]), &l));
}

fn aggregation_inventory() -> Inventory {
    let mut inv = Inventory::default();
    // Stored rules of the aggregated roles are empty: the engine computes them.
    let mut admin = aggregated("admin", vec![match_labels(&[("agg/admin", "true")])]);
    admin.labels = labels(&[("agg/top", "true")]);
    let edit = {
        let mut r = aggregated("edit", vec![match_labels(&[("agg/edit", "true")])]);
        r.labels = labels(&[("agg/admin", "true")]);
        r
    };
    let mut exec = cluster_role("exec-part", vec![rule(&[""], &["pods/exec"], &["create"])]);
    exec.labels = labels(&[("agg/admin", "true")]);
    let mut write = cluster_role(
        "write-part",
        vec![rule(&["apps"], &["deployments"], &["create"])],
    );
    write.labels = labels(&[("agg/edit", "true")]);
    // A cycle: top selects admin, admin selects (through labels) top.
    let mut top = aggregated("top", vec![match_labels(&[("agg/top", "true")])]);
    top.labels = labels(&[("agg/admin", "true")]);
    top.rules = vec![rule(&[""], &["nodes"], &["get"])];
    inv.roles = vec![admin, edit, exec, write, top];
    inv
}

#[test]
fn aggregation_is_computed_transitively_and_survives_cycles() {
    let inv = aggregation_inventory();
    let e = RbacEngine::new(&inv);
    let admin = e.cluster_role("admin").unwrap();
    let rules: Vec<(String, usize)> = e
        .effective_rules(admin)
        .map(|(r, i, _)| (r.name.clone(), i))
        .collect();
    assert!(rules.contains(&("exec-part".into(), 0)));
    assert!(
        rules.contains(&("write-part".into(), 0)),
        "edit's parts reach admin: {rules:?}"
    );
    assert!(
        rules.contains(&("top".into(), 0)),
        "the cycle's own rules count: {rules:?}"
    );
    assert_eq!(rules.len(), 3);
    let edit = e.cluster_role("edit").unwrap();
    assert_eq!(e.effective_rules(edit).count(), 1);
}

#[test]
fn aggregated_roles_grant_through_bindings() {
    let mut inv = aggregation_inventory();
    inv.bindings.push(rb(
        "team",
        "devs-admin",
        "ClusterRole",
        "admin",
        vec![group("devs")],
    ));
    let e = RbacEngine::new(&inv);
    let devs = Principal::group("devs");
    let g = e
        .can_i(
            &devs,
            &req("create", "", "pods/exec").in_ns("team").named("p"),
        )
        .unwrap();
    let Via::Binding(rg) = &g.via else { panic!() };
    assert_eq!(rg.role.name, "admin");
    assert_eq!(rg.rule_role.name, "exec-part");
    assert_eq!(g.scope, Scope::Namespace("team"));
    // A RoleBinding to a ClusterRole grants it in its namespace only.
    assert!(
        e.can_i(
            &devs,
            &req("create", "", "pods/exec").in_ns("other").named("p")
        )
        .is_none()
    );
    assert!(
        e.can_i(&devs, &req("create", "apps", "deployments"))
            .is_none()
    );
}

#[test]
fn service_accounts_get_their_groups() {
    let mut inv = Inventory::default();
    inv.roles.push(cluster_role(
        "reader",
        vec![rule(&[""], &["configmaps"], &["get"])],
    ));
    inv.roles.push(cluster_role(
        "lister",
        vec![rule(&[""], &["pods"], &["list"])],
    ));
    inv.roles.push(cluster_role(
        "watcher",
        vec![rule(&[""], &["services"], &["watch"])],
    ));
    inv.bindings.push(crb(
        "all-sas",
        "reader",
        vec![group("system:serviceaccounts")],
    ));
    inv.bindings.push(crb(
        "ns-sas",
        "lister",
        vec![group("system:serviceaccounts:web")],
    ));
    inv.bindings
        .push(crb("authn", "watcher", vec![group("system:authenticated")]));
    let e = RbacEngine::new(&inv);
    let web = Principal::service_account("web", "api");
    let other = Principal::service_account("db", "api");
    assert!(
        e.can_i(&web, &req("get", "", "configmaps").in_ns("x"))
            .is_some()
    );
    assert!(e.can_i(&web, &req("list", "", "pods")).is_some());
    assert!(e.can_i(&other, &req("list", "", "pods")).is_none());
    assert!(e.can_i(&other, &req("watch", "", "services")).is_some());
    let anon = Principal::user(ANONYMOUS);
    assert!(e.can_i(&anon, &req("watch", "", "services")).is_none());
    let alice = Principal::user("alice");
    assert!(e.can_i(&alice, &req("watch", "", "services")).is_some());
    assert!(e.can_i(&alice, &req("get", "", "configmaps")).is_none());
}

#[test]
fn subjects_service_account_namespace_defaults_and_user_form() {
    let mut inv = Inventory::default();
    inv.roles
        .push(role("web", "r", vec![rule(&[""], &["secrets"], &["get"])]));
    let mut subj = sa("", "api");
    subj.namespace = None;
    inv.bindings.push(rb("web", "b1", "Role", "r", vec![subj]));
    inv.roles
        .push(cluster_role("c", vec![rule(&[""], &["nodes"], &["get"])]));
    inv.bindings.push(crb(
        "b2",
        "c",
        vec![user("system:serviceaccount:db:worker")],
    ));
    let e = RbacEngine::new(&inv);
    let api = Principal::service_account("web", "api");
    assert!(
        e.can_i(&api, &req("get", "", "secrets").in_ns("web").named("s"))
            .is_some()
    );
    let worker = Principal::service_account("db", "worker");
    assert!(e.can_i(&worker, &req("get", "", "nodes")).is_some());
    assert!(
        e.can_i(
            &Principal::user("system:serviceaccount:db:worker"),
            &req("get", "", "nodes")
        )
        .is_some()
    );
}

#[test]
fn missing_roles_grant_nothing() {
    let mut inv = Inventory::default();
    inv.bindings.push(crb("b", "ghost", vec![user("bob")]));
    inv.bindings
        .push(rb("ns", "b2", "Role", "ghost", vec![user("bob")]));
    let e = RbacEngine::new(&inv);
    assert!(e.binding_role(0).is_none());
    assert!(e.permissions(&Principal::user("bob")).is_empty());
}

fn aws_auth_inventory() -> Inventory {
    let mut inv = Inventory {
        aws_auth: Some(AwsAuth::parse(
            Some(
                "- rolearn: arn:aws:iam::111122223333:role/admins\n  username: admin\n  groups: [system:masters]\n- rolearn: arn:aws:iam::111122223333:role/devs\n  username: dev\n  groups: [developers]\n",
            ),
            None,
            None,
        )),
        ..Inventory::default()
    };
    inv.access_entries.push(AccessEntry {
        principal_arn: "arn:aws:iam::111122223333:role/path/ops".into(),
        kubernetes_groups: vec!["ops".into()],
        access_policies: vec![AccessPolicyAssociation {
            policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy".into(),
            scope_type: "namespace".into(),
            namespaces: vec!["ops".into()],
        }],
        ..AccessEntry::default()
    });
    inv.roles.push(cluster_role(
        "pod-reader",
        vec![rule(&[""], &["pods"], &["get"])],
    ));
    inv.bindings
        .push(crb("devs", "pod-reader", vec![group("developers")]));
    inv
}

#[test]
fn iam_principals_map_to_groups_and_masters_bypasses() {
    let inv = aws_auth_inventory();
    let e = RbacEngine::new(&inv);
    // aws-auth compares role ARNs without their path.
    let admin = Principal::iam("arn:aws:iam::111122223333:role/team/admins");
    let g = e.can_i(&admin, &req("delete", "", "nodes")).unwrap();
    assert!(matches!(g.via, Via::Masters { .. }));
    assert!(e.can_i_url(&admin, "get", "/metrics").is_some());
    let dev = Principal::iam("arn:aws:iam::111122223333:role/devs");
    assert!(
        e.can_i(&dev, &req("get", "", "pods").in_ns("a").named("p"))
            .is_some()
    );
    assert!(
        e.can_i(&dev, &req("delete", "", "pods").in_ns("a"))
            .is_none()
    );
    // The mapped user name carries the groups too.
    assert!(
        e.can_i(
            &Principal::user("dev"),
            &req("get", "", "pods").in_ns("a").named("p")
        )
        .is_some()
    );
    // An access policy applies in its namespaces only.
    let ops = Principal::iam("arn:aws:iam::111122223333:role/path/ops");
    assert!(
        e.can_i(&ops, &req("delete", "", "secrets").in_ns("ops"))
            .is_some()
    );
    assert!(
        e.can_i(&ops, &req("delete", "", "secrets").in_ns("web"))
            .is_none()
    );
    assert!(
        e.can_i(
            &Principal::group(MASTERS),
            &req("escalate", "rbac.authorization.k8s.io", "roles")
        )
        .is_some()
    );
}

#[test]
fn who_can_lists_binding_subjects_and_masters_members() {
    let mut inv = aws_auth_inventory();
    inv.roles.push(role(
        "web",
        "exec",
        vec![rule(&[""], &["pods/exec"], &["create"])],
    ));
    inv.bindings.push(rb(
        "web",
        "exec",
        "Role",
        "exec",
        vec![sa("web", "debugger"), user("carol")],
    ));
    let e = RbacEngine::new(&inv);
    let who: Vec<Principal> = e
        .who_can(&req("create", "", "pods/exec").in_ns("web").any_name())
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert!(who.contains(&Principal::group(MASTERS)));
    assert!(who.contains(&Principal::iam("arn:aws:iam::111122223333:role/admins")));
    assert!(who.contains(&Principal::service_account("web", "debugger")));
    assert!(who.contains(&Principal::user("carol")));
    assert!(!who.contains(&Principal::group("developers")));
    let who_other: Vec<Principal> = e
        .who_can(&req("create", "", "pods/exec").in_ns("db").any_name())
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert!(!who_other.contains(&Principal::user("carol")));
    let readers: Vec<Principal> = e
        .who_can(&req("get", "", "pods").in_ns("db").named("x"))
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert!(readers.contains(&Principal::group("developers")));
}

#[test]
fn role_bindings_never_grant_urls_or_cluster_scope() {
    let mut inv = Inventory::default();
    inv.roles.push(cluster_role(
        "all",
        vec![rule(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])],
    ));
    inv.bindings
        .push(rb("web", "b", "ClusterRole", "all", vec![user("u")]));
    let e = RbacEngine::new(&inv);
    let u = Principal::user("u");
    assert!(
        e.can_i(&u, &req("delete", "", "pods").in_ns("web"))
            .is_some()
    );
    assert!(e.can_i(&u, &req("get", "", "nodes")).is_none());
    assert!(e.can_i_url(&u, "get", "/healthz").is_none());
    let rows = e.permissions(&u);
    assert_eq!(rows.len(), 1, "the URL rule is dropped from a RoleBinding");
}

#[test]
fn bootstrap_bindings_can_be_left_out() {
    let mut inv = Inventory::default();
    inv.roles.push(cluster_role(
        "cluster-admin",
        vec![rule(&["*"], &["*"], &["*"])],
    ));
    inv.bindings
        .push(bootstrap(crb("boot", "cluster-admin", vec![user("x")])));
    let all = RbacEngine::new(&inv);
    assert!(
        all.can_i(&Principal::user("x"), &req("get", "", "pods"))
            .is_some()
    );
    let audit = RbacEngine::build(&inv, false);
    assert!(
        audit
            .can_i(&Principal::user("x"), &req("get", "", "pods"))
            .is_none()
    );
}

#[test]
fn format_rule_is_yaml_flow() {
    let r = named(rule(&[""], &["secrets"], &["get"]), &["a"]);
    assert_eq!(
        format_rule(&r),
        r#"{apiGroups: [""], resources: ["secrets"], resourceNames: ["a"], verbs: ["get"]}"#
    );
}

#[test]
fn scales_to_many_service_accounts() {
    let mut inv = Inventory::default();
    inv.roles.push(cluster_role(
        "reader",
        vec![rule(&[""], &["configmaps"], &["get"])],
    ));
    for i in 0..50_000 {
        let ns = format!("ns{}", i % 500);
        inv.service_accounts
            .push(service_account(&ns, &format!("sa{i}")));
        if i % 10 == 0 {
            inv.bindings.push(rb(
                &ns,
                &format!("b{i}"),
                "ClusterRole",
                "reader",
                vec![sa(&ns, &format!("sa{i}"))],
            ));
        }
    }
    let start = std::time::Instant::now();
    let e = RbacEngine::new(&inv);
    let mut allowed = 0;
    for sa in &inv.service_accounts {
        let p = Principal::service_account(&sa.namespace, &sa.name);
        if e.can_i(
            &p,
            &req("get", "", "configmaps").in_ns(&sa.namespace).named("c"),
        )
        .is_some()
        {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 5_000);
    let who = e.who_can(&req("get", "", "configmaps").in_ns("ns10").named("c"));
    assert_eq!(
        who.len(),
        1 + 100,
        "system:masters and every account bound in ns10"
    );
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
}
