//! EKS access policies, as AWS documents their Kubernetes permissions
//! ("Review access policy permissions",
//! https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html),
//! with cluster or namespace scope: can-i and who-can for IAM principals that only
//! an access entry maps into the cluster. The demo snapshot gives the cluster's
//! own admin, edit and view ClusterRoles, which the admin, edit and view policies
//! are documented to be similar to.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";

fn arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

fn entry(name: &str, policy: &str, namespaces: &[&str]) -> Value {
    let scope = if namespaces.is_empty() {
        json!({"type": "cluster", "namespaces": []})
    } else {
        json!({"type": "namespace", "namespaces": namespaces})
    };
    json!({
        "clusterName": "prod-eks",
        "principalArn": arn(name),
        "kubernetesGroups": [],
        "username": format!("{name}-user"),
        "type": "STANDARD",
        "associatedAccessPolicies": [{
            "policyArn": format!("arn:aws:eks::aws:cluster-access-policy/{policy}"),
            "accessScope": scope
        }]
    })
}

/// The demo with these access entries instead of its own.
fn cluster() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    for f in std::fs::read_dir(&demo).expect("demo") {
        let f = f.expect("entry").path();
        if f.extension().is_some_and(|e| e == "json" || e == "yaml") {
            let name = f.file_name().expect("name");
            std::fs::copy(&f, dir.path().join(name)).expect("copy");
        }
    }
    // Without the demo's grant of view to every authenticated user, so that
    // what the access policies give is all an unmapped-by-group principal has.
    let kube = dir.path().join("kubernetes.json");
    let mut list: Value =
        serde_json::from_str(&std::fs::read_to_string(&kube).expect("read")).expect("json");
    if let Some(items) = list["items"].as_array_mut() {
        items.retain(|o| o["metadata"]["name"] != "authenticated-view");
    }
    std::fs::write(&kube, list.to_string()).expect("write");
    let entries = json!({"accessEntries": [
        entry("ap-cluster-admin", "AmazonEKSClusterAdminPolicy", &[]),
        entry("ap-edit-ns1", "AmazonEKSEditPolicy", &["ns1"]),
        entry("ap-view", "AmazonEKSViewPolicy", &[]),
        entry("ap-admin-view", "AmazonEKSAdminViewPolicy", &[]),
        entry("ap-admin-ns1", "AmazonEKSAdminPolicy", &["ns1"]),
        entry("ap-networking", "AmazonEKSNetworkingPolicy", &[]),
    ]});
    std::fs::write(
        dir.path().join("eks-access-entries.json"),
        entries.to_string(),
    )
    .expect("write");
    dir
}

fn can(dir: &Path, who: &str, action: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("iamscope")
        .expect("binary")
        .args(["can-i", "--direct", "--from"])
        .arg(dir)
        .args(["--as", &arn(who)])
        .args(action)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn access_policies_grant_what_aws_documents_in_their_scope() {
    let dir = cluster();
    let d = dir.path();
    let table: &[(&str, &[&str], i32)] = &[
        ("ap-cluster-admin", &["delete", "nodes"], 0),
        ("ap-cluster-admin", &["get", "/debug/pprof/heap"], 0),
        (
            "ap-edit-ns1",
            &["create", "deployments.apps", "-n", "ns1"],
            0,
        ),
        ("ap-edit-ns1", &["get", "secrets", "-n", "ns1"], 0),
        (
            "ap-edit-ns1",
            &["create", "deployments.apps", "-n", "ns2"],
            1,
        ),
        (
            "ap-edit-ns1",
            &[
                "create",
                "rolebindings.rbac.authorization.k8s.io",
                "-n",
                "ns1",
            ],
            1,
        ),
        ("ap-view", &["get", "pods", "-n", "payments"], 0),
        ("ap-view", &["get", "secrets", "-n", "payments"], 1),
        ("ap-view", &["create", "pods", "-n", "payments"], 1),
        ("ap-admin-view", &["get", "secrets", "-n", "payments"], 0),
        ("ap-admin-view", &["list", "nodes"], 0),
        ("ap-admin-view", &["delete", "pods", "-n", "payments"], 1),
        (
            "ap-admin-ns1",
            &[
                "create",
                "rolebindings.rbac.authorization.k8s.io",
                "-n",
                "ns1",
            ],
            0,
        ),
        (
            "ap-admin-ns1",
            &[
                "create",
                "rolebindings.rbac.authorization.k8s.io",
                "-n",
                "ns2",
            ],
            1,
        ),
        ("ap-admin-ns1", &["get", "nodes"], 1),
        ("ap-networking", &["get", "pods", "-n", "ns1"], 1),
    ];
    for (who, action, want) in table {
        let (code, out) = can(d, who, action);
        assert_eq!(code, *want, "{who} {action:?}:\n{out}");
        if *want == 0 {
            assert!(out.contains("access-policy →"), "{out}");
        }
    }
    // An access policy the engine does not model is named, not silently ignored.
    let (_, out) = can(d, "ap-networking", &["get", "pods", "-n", "ns1"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("AmazonEKSNetworkingPolicy, whose permissions are not modelled"),
        "{out}"
    );
}

#[test]
fn who_can_lists_principals_mapped_by_access_entries() {
    let dir = cluster();
    let out = Command::cargo_bin("iamscope")
        .expect("binary")
        .args(["who-can", "-o", "json", "--from"])
        .arg(dir.path())
        .args(["get", "secrets", "-n", "ns1"])
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let arns: Vec<String> = v["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .filter_map(|a| a["subject"]["arn"].as_str().map(str::to_string))
        .collect();
    for yes in [
        "ap-cluster-admin",
        "ap-edit-ns1",
        "ap-admin-view",
        "ap-admin-ns1",
    ] {
        assert!(arns.contains(&arn(yes)), "{yes} missing from {arns:?}");
    }
    for no in ["ap-view", "ap-networking"] {
        assert!(!arns.contains(&arn(no)), "{no} listed in {arns:?}");
    }
}
