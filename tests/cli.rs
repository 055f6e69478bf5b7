//! The `iamscope audit` binary on snapshot directories: the public scenarios
//! (copied into tests/fixtures/scenarios), malformed input, and cases the
//! scenarios do not have. Assertions are on what a user reads: the report's
//! fields, findings, coverage, exit codes and error messages.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::{Value, json};

const MARKERS: [&str; 3] = [
    "U1VQRVJTRUNSRVQtbWFya2VyLWRvLW5vdC1sZWFr",
    "SUPERSECRET-marker-do-not-leak",
    "ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNkltWmhhMlVpZlE=",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios")
}

fn iamscope(args: &[&str]) -> Output {
    Command::cargo_bin("iamscope")
        .expect("binary built")
        .args(args)
        .env_remove("AWS_PROFILE")
        .output()
        .expect("runs")
}

fn audit_json(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "audit",
        "--from",
        dir.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = iamscope(&args);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

fn has(report: &Value, rule: &str, subject: &Value) -> bool {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| {
            f["rule"] == rule
                && subject
                    .as_object()
                    .expect("subject object")
                    .iter()
                    .all(|(k, v)| &f["subject"][k] == v)
        })
}

fn rules_of(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn coverage<'a>(report: &'a Value, source: &str) -> &'a Value {
    report["coverage"]["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == source)
        .unwrap_or_else(|| panic!("no coverage entry for {source}: {}", report["coverage"]))
}

/// A scratch snapshot made from a public scenario, to be modified by a test.
fn scratch_from(scenario: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for e in fs::read_dir(fixtures().join(scenario)).expect("scenario") {
        let e = e.expect("entry");
        if e.file_name() != "expect.json" {
            fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
        }
    }
    dir
}

fn write_json(dir: &Path, name: &str, v: &Value) {
    fs::write(
        dir.join(name),
        serde_json::to_string_pretty(v).expect("json"),
    )
    .expect("write");
}

fn read_json(dir: &Path, name: &str) -> Value {
    serde_json::from_str(&fs::read_to_string(dir.join(name)).expect("read")).expect("json")
}

// ------------------------------------------------------------------ scenarios

/// The AUTH, API and CFG expectations of every public scenario hold, and nothing forbidden is reported.
#[test]
fn public_scenarios_auth_api_cfg() {
    for e in fs::read_dir(fixtures()).expect("fixtures") {
        let dir = e.expect("entry").path();
        let expect = read_json(&dir, "expect.json");
        let report = audit_json(&dir, &[]);
        for w in expect["expect"].as_array().expect("expect") {
            let rule = w["rule"].as_str().expect("rule");
            if ["AUTH-", "API-", "CFG-"]
                .iter()
                .any(|p| rule.starts_with(p))
            {
                assert!(
                    has(&report, rule, &w["subject"]),
                    "{}: missing {rule} {}",
                    dir.display(),
                    w["subject"]
                );
            }
        }
        for w in expect["forbid"].as_array().expect("forbid") {
            let rule = w["rule"].as_str().expect("rule");
            assert!(
                !has(&report, rule, &w["subject"]),
                "{}: forbidden {rule} {}",
                dir.display(),
                w["subject"]
            );
        }
    }
}

#[test]
fn report_has_the_spec_fields_and_order() {
    let report = audit_json(&fixtures().join("rbac-and-auth"), &[]);
    let top: Vec<&str> = report
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(top, ["tool", "source", "coverage", "summary", "findings"]);
    assert_eq!(report["tool"]["name"], "iamscope");
    assert_eq!(report["source"]["mode"], "snapshot");
    assert_eq!(report["source"]["cluster"], "platform");
    assert_eq!(report["source"]["account"], "111122223333");
    let summary: Vec<&str> = report["summary"]
        .as_object()
        .expect("summary")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(summary, ["critical", "high", "medium", "low", "info"]);
    let findings = report["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    let total: u64 = report["summary"]
        .as_object()
        .expect("summary")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(total as usize, findings.len());
    let rank = |s: &str| {
        ["critical", "high", "medium", "low", "info"]
            .iter()
            .position(|x| *x == s)
            .expect("severity")
    };
    for f in findings {
        let keys: Vec<&str> = f
            .as_object()
            .expect("finding")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "rule",
                "severity",
                "conditional",
                "title",
                "subject",
                "related",
                "evidence",
                "remediation",
                "id"
            ]
        );
        // The stable id of docs/findings-id.md: 16 hex digits.
        let id = f["id"].as_str().expect("id");
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(!f["title"].as_str().expect("title").is_empty());
        assert!(
            !f["evidence"].as_array().expect("evidence").is_empty(),
            "{f}"
        );
        assert!(
            !f["remediation"].as_str().expect("remediation").is_empty(),
            "{f}"
        );
    }
    for pair in findings.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (ra, rb) = (
            rank(a["severity"].as_str().expect("sev")),
            rank(b["severity"].as_str().expect("sev")),
        );
        assert!(
            ra <= rb,
            "not sorted by severity: {} before {}",
            a["rule"],
            b["rule"]
        );
    }
    for s in report["coverage"]["sources"].as_array().expect("sources") {
        let status = s["status"].as_str().expect("status");
        assert!(
            ["ok", "forbidden", "missing", "error", "not-observable"].contains(&status),
            "{s}"
        );
    }
}

/// Subject keys are exactly those of findings.md for each kind.
#[test]
fn subject_keys_match_the_spec() {
    let expected: &[(&str, &[&str])] = &[
        ("ServiceAccount", &["kind", "namespace", "name"]),
        ("User", &["kind", "name"]),
        ("Group", &["kind", "name"]),
        ("Role", &["kind", "namespace", "name"]),
        ("RoleBinding", &["kind", "namespace", "name"]),
        ("Secret", &["kind", "namespace", "name"]),
        ("ClusterRole", &["kind", "name"]),
        ("ClusterRoleBinding", &["kind", "name"]),
        ("IamRole", &["kind", "arn"]),
        ("AwsAuthEntry", &["kind", "arn"]),
        ("AccessEntry", &["kind", "arn"]),
        (
            "PodIdentityAssociation",
            &["kind", "namespace", "name", "id"],
        ),
        ("Cluster", &["kind", "name"]),
        ("ApiServer", &["kind", "name"]),
        ("Kubeconfig", &["kind", "name", "path"]),
    ];
    let mut seen = 0;
    for e in fs::read_dir(fixtures()).expect("fixtures") {
        let report = audit_json(&e.expect("entry").path(), &["--include-system"]);
        for f in report["findings"].as_array().expect("findings") {
            let kind = f["subject"]["kind"].as_str().expect("kind");
            let (_, keys) = expected
                .iter()
                .find(|(k, _)| *k == kind)
                .unwrap_or_else(|| panic!("unknown kind {kind}"));
            let mut got: Vec<&str> = f["subject"]
                .as_object()
                .expect("subject")
                .keys()
                .map(String::as_str)
                .collect();
            let mut want = keys.to_vec();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{}", f["subject"]);
            seen += 1;
        }
    }
    assert!(seen > 0);
}

#[test]
fn other_formats_carry_the_same_findings() {
    let dir = fixtures().join("rbac-and-auth");
    let d = dir.to_str().expect("path");
    let sarif: Value =
        serde_json::from_slice(&iamscope(&["audit", "--from", d, "--format", "sarif"]).stdout)
            .expect("sarif json");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let json = audit_json(&dir, &[]);
    assert_eq!(results.len(), json["findings"].as_array().expect("f").len());
    assert!(results.iter().any(|r| r["ruleId"] == "AUTH-001"));
    let md = String::from_utf8(iamscope(&["audit", "--from", d, "--format", "markdown"]).stdout)
        .expect("utf-8");
    assert!(md.contains("AUTH-001") && md.contains("arn:aws:iam::111122223333:role/k8s-admins"));
    assert!(md.contains("## Coverage"));
    let table = String::from_utf8(iamscope(&["audit", "--from", d, "--format", "table"]).stdout)
        .expect("utf-8");
    assert!(table.contains("AUTH-006") && table.contains("Cluster platform"));
}

#[test]
fn a_cluster_admin_is_reported_once_unless_all_rules() {
    // ci/jenkins is bound to cluster-admin in the demo: one RBAC-001 whose
    // evidence names what else that implies, not nine findings.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let jenkins = json!({"kind": "ServiceAccount", "namespace": "ci", "name": "jenkins"});
    let on_jenkins = |r: &Value| -> Vec<Value> {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["subject"] == jenkins)
            .cloned()
            .collect()
    };
    let folded = audit_json(&demo, &[]);
    let mine = on_jenkins(&folded);
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["rule"], "RBAC-001");
    let also: Vec<&str> = mine[0]["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(|e| e.as_str()?.strip_prefix("also: "))
        .collect();
    assert!(
        also.contains(
            &"RBAC-002 (high) ServiceAccount ci/jenkins can read Secrets in every namespace"
        ),
        "{also:?}"
    );
    assert_eq!(also.len(), 8, "{also:?}");
    // Other subjects keep their narrower findings.
    assert!(has(
        &folded,
        "RBAC-003",
        &json!({"kind": "ServiceAccount", "namespace": "ci", "name": "deployer"})
    ));
    let all = audit_json(&demo, &["--all-rules"]);
    let mut rules: Vec<String> = on_jenkins(&all)
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "RBAC-001", "RBAC-002", "RBAC-003", "RBAC-004", "RBAC-005", "RBAC-006", "RBAC-008",
            "RBAC-011", "RBAC-013"
        ]
    );
    let total = |r: &Value| r["findings"].as_array().map_or(0, Vec::len);
    assert_eq!(total(&all), total(&folded) + 8);
}

#[test]
fn sarif_driver_links_to_the_tool() {
    // The SARIF multitool's validator warns when tool.driver.informationUri is
    // missing, and code-scanning dashboards link the tool's name to it; SARIF
    // 2.1.0 (3.19.17) requires an absolute URI.
    let dir = fixtures().join("rbac-and-auth");
    let sarif: Value = serde_json::from_slice(
        &iamscope(&[
            "audit",
            "--from",
            dir.to_str().expect("path"),
            "--format",
            "sarif",
        ])
        .stdout,
    )
    .expect("sarif json");
    let uri = sarif["runs"][0]["tool"]["driver"]["informationUri"]
        .as_str()
        .expect("tool.driver.informationUri");
    assert!(
        uri.starts_with("https://") && uri.len() > "https://".len(),
        "{uri}"
    );
    assert_eq!(uri, env!("CARGO_PKG_HOMEPAGE"));
}

// ------------------------------------------------------------------ exit codes and errors

#[test]
fn exit_codes() {
    let d = fixtures().join("rbac-and-auth");
    let d = d.to_str().expect("path");
    assert_eq!(
        iamscope(&["audit", "--from", d, "--format", "json"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        iamscope(&["audit", "--from", d, "--fail-on", "critical"])
            .status
            .code(),
        Some(1)
    );
    let k = fixtures().join("kubeadm-apiserver");
    let k = k.to_str().expect("path");
    // Only high API findings there: a critical gate passes, a high one fails.
    let crit = iamscope(&[
        "audit",
        "--from",
        k,
        "--fail-on",
        "critical",
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&crit.stdout).expect("json");
    let worst_is_critical = report["summary"]["critical"].as_u64().unwrap_or(0) > 0;
    assert_eq!(
        crit.status.code(),
        Some(if worst_is_critical { 1 } else { 0 })
    );
    assert_eq!(
        iamscope(&["audit", "--from", k, "--fail-on", "high"])
            .status
            .code(),
        Some(1)
    );

    let missing = iamscope(&["audit", "--from", "/nonexistent/snap", "--format", "json"]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("/nonexistent/snap") && err.contains("not a snapshot directory"),
        "{err}"
    );
    assert!(missing.stdout.is_empty());

    let empty = tempfile::tempdir().expect("tempdir");
    let out = iamscope(&["audit", "--from", empty.path().to_str().expect("p")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing readable"));

    let bad = iamscope(&["audit", "--from", d, "--fail-on", "severe"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("critical, high, medium, low or info"));
    assert_eq!(
        iamscope(&["audit", "--from", d, "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
}

// ------------------------------------------------------------------ coverage

#[test]
fn coverage_statuses() {
    let eks = audit_json(&fixtures().join("rbac-and-auth"), &[]);
    assert_eq!(
        coverage(&eks, "apiserver/flags")["status"],
        "not-observable"
    );
    assert_eq!(coverage(&eks, "aws/iam")["status"], "ok");
    assert_eq!(
        coverage(&eks, "kubernetes/clusterrolebindings")["status"],
        "ok"
    );
    assert_eq!(coverage(&eks, "kubernetes/clusterrolebindings")["count"], 6);
    assert_eq!(coverage(&eks, "kubernetes/aws-auth")["status"], "ok");
    assert_eq!(coverage(&eks, "kubernetes/secrets")["status"], "missing");
    assert!(
        !eks["findings"]
            .as_array()
            .expect("f")
            .iter()
            .any(|f| f["rule"].as_str().unwrap_or("").starts_with("API-"))
    );

    let kubeadm = audit_json(&fixtures().join("kubeadm-apiserver"), &[]);
    assert_eq!(coverage(&kubeadm, "apiserver/flags")["status"], "ok");
    assert_eq!(coverage(&kubeadm, "aws/eks-cluster")["status"], "missing");
    assert!(
        coverage(&kubeadm, "aws/eks-cluster")["detail"]
            .as_str()
            .expect("detail")
            .contains("eks-cluster.json")
    );
}

#[test]
fn malformed_file_is_an_error_for_that_source_only() {
    let dir = scratch_from("rbac-and-auth");
    let text = fs::read_to_string(dir.path().join("iam.json")).expect("read");
    fs::write(dir.path().join("iam.json"), &text[..text.len() / 2]).expect("truncate");
    fs::write(dir.path().join("eks-access-entries.json"), "[1, 2]").expect("write");
    let report = audit_json(dir.path(), &[]);
    let iam = coverage(&report, "aws/iam");
    assert_eq!(iam["status"], "error");
    let detail = iam["detail"].as_str().expect("detail");
    assert!(detail.starts_with("iam.json: line "), "{detail}");
    let access = coverage(&report, "aws/eks-access-entries");
    assert_eq!(access["status"], "error");
    assert!(
        access["detail"]
            .as_str()
            .expect("d")
            .contains("accessEntries"),
        "{access}"
    );
    let problems = report["coverage"]["problems"].as_array().expect("problems");
    assert!(problems.iter().any(|p| p["source"] == "iam.json"));
    // Everything else was still audited.
    assert!(has(&report, "AUTH-001", &json!({"kind": "AwsAuthEntry"})));
    assert!(has(
        &report,
        "AUTH-006",
        &json!({"kind": "Cluster", "name": "platform"})
    ));
    // Without IAM, "does not exist" cannot be said.
    assert!(!rules_of(&report).contains(&"AUTH-002".to_string()));
}

#[test]
fn garbage_and_invalid_utf8_name_the_file() {
    let dir = scratch_from("rbac-and-auth");
    fs::write(
        dir.path().join("kubernetes.json"),
        b"{\"kind\": \"List\", \"items\": [\xff\xfe]}",
    )
    .expect("write");
    fs::write(dir.path().join("eks-cluster.json"), "{\"cluster\": ").expect("write");
    let report = audit_json(dir.path(), &[]);
    let problems = report["coverage"]["problems"].as_array().expect("problems");
    let k = problems
        .iter()
        .find(|p| p["source"] == "kubernetes.json")
        .expect("kubernetes.json problem");
    assert!(
        k["detail"].as_str().expect("d").contains("not valid UTF-8"),
        "{k}"
    );
    assert_eq!(
        coverage(&report, "kubernetes/serviceaccounts")["status"],
        "error"
    );
    let e = problems
        .iter()
        .find(|p| p["source"] == "eks-cluster.json")
        .expect("eks problem");
    assert!(e["detail"].as_str().expect("d").contains("line 1"), "{e}");
    assert_eq!(coverage(&report, "aws/eks-cluster")["status"], "error");
}

#[test]
fn object_without_namespace_is_a_problem_for_that_object_only() {
    let dir = scratch_from("rbac-and-auth");
    let mut k = read_json(dir.path(), "kubernetes.json");
    let items = k["items"].as_array_mut().expect("items");
    items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "orphan"}, "roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": []}));
    let idx = items.len() - 1;
    write_json(dir.path(), "kubernetes.json", &k);
    let report = audit_json(dir.path(), &[]);
    let problems = report["coverage"]["problems"].as_array().expect("problems");
    let want = format!("item {idx}: RoleBinding orphan without namespace");
    assert!(
        problems
            .iter()
            .any(|p| p["source"] == "kubernetes.json" && p["detail"] == want.as_str()),
        "{problems:?}"
    );
    assert_eq!(
        coverage(&report, "kubernetes/clusterrolebindings")["status"],
        "ok"
    );
    assert!(has(&report, "AUTH-001", &json!({"kind": "AwsAuthEntry"})));
}

// ------------------------------------------------------------------ secrets

#[test]
fn secret_data_never_appears_in_any_format() {
    let dir = scratch_from("rbac-and-auth");
    let secret = |name: &str| {
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
            "metadata": {"name": name, "namespace": "ci", "annotations": {"kubernetes.io/service-account.name": "jenkins"}},
            "data": {"token": MARKERS[2], "ca.crt": MARKERS[0], "namespace": "Y2k="},
            "stringData": {"note": MARKERS[1]}})
    };
    write_json(
        dir.path(),
        "kubernetes-secrets.json",
        &json!({"apiVersion": "v1", "kind": "List", "items": [secret("jenkins-token")]}),
    );
    let yaml = format!(
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\nmetadata:\n  name: yaml-token\n  namespace: ci\ndata:\n  token: {}\nstringData:\n  x: {}\n",
        MARKERS[2], MARKERS[1]
    );
    fs::write(dir.path().join("kubernetes-secrets-extra.yaml"), yaml).expect("write");
    let d = dir.path().to_str().expect("p");
    for format in ["json", "sarif", "markdown", "table"] {
        for extra in [&[][..], &["--include-system"][..], &["-vv"][..]] {
            let mut args = vec!["audit", "--from", d, "--format", format];
            args.extend_from_slice(extra);
            let out = iamscope(&args);
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for m in MARKERS {
                assert!(!all.contains(m), "{format} {extra:?} leaked a Secret value");
            }
        }
    }
    let report = audit_json(dir.path(), &[]);
    assert_eq!(coverage(&report, "kubernetes/secrets")["status"], "ok");
    assert_eq!(coverage(&report, "kubernetes/secrets")["count"], 2);
}

// ------------------------------------------------------------------ AUTH beyond the scenarios

fn with_aws_auth(dir: &Path, map_roles: &str, map_users: &str) {
    let mut k = read_json(dir, "kubernetes.json");
    let items = k["items"].as_array_mut().expect("items");
    items.retain(|i| !(i["kind"] == "ConfigMap" && i["metadata"]["name"] == "aws-auth"));
    items.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "aws-auth", "namespace": "kube-system"},
        "data": {"mapRoles": map_roles, "mapUsers": map_users}}));
    write_json(dir, "kubernetes.json", &k);
}

fn add_role(dir: &Path, name: &str, path: &str) {
    let mut iam = read_json(dir, "iam.json");
    iam["RoleDetailList"].as_array_mut().expect("roles").push(json!({
        "Path": path, "RoleName": name, "RoleId": "AROAEXAMPLE0000000001",
        "Arn": format!("arn:aws:iam::111122223333:role{path}{name}"),
        "CreateDate": "2025-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
        "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": [], "RoleLastUsed": {}}));
    write_json(dir, "iam.json", &iam);
}

#[test]
fn aws_auth_paths_templates_and_broken_entries() {
    let dir = scratch_from("rbac-and-auth");
    add_role(dir.path(), "dev", "/teams/platform/");
    with_aws_auth(
        dir.path(),
        "- rolearn: arn:aws:iam::111122223333:role/teams/platform/dev\n  username: dev:{{SessionName}}\n  groups: [developers]\n\
         - rolearn: arn:aws:iam::111122223333:role/dev\n  username: dev2\n  groups: [developers]\n\
         - rolearn: arn:aws:iam::111122223333:role/ghost\n  username: ghost\n  groups: [system:masters]\n\
         - rolearn: arn:aws:iam::111122223333:role/nouser\n  groups: [viewers]\n\
         - rolearn: arn:aws:iam:::role/badarn\n  username: x\n\
         - rolearn: arn:aws:iam::999988887777:role/other-account\n  username: o\n  groups: [viewers]\n",
        "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: [system:masters]\n",
    );
    let report = audit_json(dir.path(), &[]);
    let entry = |arn: &str| json!({"kind": "AwsAuthEntry", "arn": arn});
    // A path in aws-auth is stripped: both spellings name the existing role `dev`.
    assert!(!has(
        &report,
        "AUTH-002",
        &entry("arn:aws:iam::111122223333:role/teams/platform/dev")
    ));
    assert!(!has(
        &report,
        "AUTH-002",
        &entry("arn:aws:iam::111122223333:role/dev")
    ));
    assert!(
        !has(
            &report,
            "AUTH-003",
            &entry("arn:aws:iam::111122223333:role/teams/platform/dev")
        ),
        "{{SessionName}} is a valid template"
    );
    assert!(has(
        &report,
        "AUTH-002",
        &entry("arn:aws:iam::111122223333:role/ghost")
    ));
    assert!(has(
        &report,
        "AUTH-001",
        &entry("arn:aws:iam::111122223333:role/ghost")
    ));
    assert!(has(
        &report,
        "AUTH-003",
        &entry("arn:aws:iam::111122223333:role/nouser")
    ));
    assert!(has(
        &report,
        "AUTH-003",
        &entry("arn:aws:iam:::role/badarn")
    ));
    // Another account cannot be checked for existence.
    assert!(!has(
        &report,
        "AUTH-002",
        &entry("arn:aws:iam::999988887777:role/other-account")
    ));
    assert!(has(
        &report,
        "AUTH-001",
        &entry("arn:aws:iam::111122223333:user/alice")
    ));
    assert!(has(
        &report,
        "AUTH-002",
        &entry("arn:aws:iam::111122223333:user/alice")
    ));

    with_aws_auth(dir.path(), "- rolearn: [unclosed\n", "");
    let report = audit_json(dir.path(), &[]);
    assert!(has(&report, "AUTH-003", &entry("mapRoles")));
}

#[test]
fn access_entries_match_the_full_arn() {
    let dir = scratch_from("rbac-and-auth");
    add_role(dir.path(), "ops", "/people/");
    let entry = |arn: &str, policy: &str, scope: &str| {
        json!({"clusterName": "platform", "principalArn": arn, "kubernetesGroups": [], "type": "STANDARD",
            "username": arn, "associatedAccessPolicies": [{"policyArn": format!("arn:aws:eks::aws:cluster-access-policy/{policy}"),
            "accessScope": {"type": scope, "namespaces": if scope == "namespace" { json!(["ops"]) } else { json!([]) }}}]})
    };
    write_json(
        dir.path(),
        "eks-access-entries.json",
        &json!({"accessEntries": [
            entry("arn:aws:iam::111122223333:role/people/ops", "AmazonEKSClusterAdminPolicy", "cluster"),
            entry("arn:aws:iam::111122223333:role/ops", "AmazonEKSAdminPolicy", "namespace"),
            entry("arn:aws:iam::111122223333:role/k8s-admins", "AmazonEKSAdminPolicy", "cluster"),
            entry("arn:aws:iam::111122223333:role/k8s-admins-view", "AmazonEKSViewPolicy", "cluster"),
        ]}),
    );
    let report = audit_json(dir.path(), &[]);
    let ae = |arn: &str| json!({"kind": "AccessEntry", "arn": arn});
    assert!(!has(
        &report,
        "AUTH-002",
        &ae("arn:aws:iam::111122223333:role/people/ops")
    ));
    assert!(
        has(
            &report,
            "AUTH-002",
            &ae("arn:aws:iam::111122223333:role/ops")
        ),
        "path missing from the access entry ARN"
    );
    assert!(has(
        &report,
        "AUTH-002",
        &ae("arn:aws:iam::111122223333:role/k8s-admins-view")
    ));
    assert!(has(
        &report,
        "AUTH-004",
        &ae("arn:aws:iam::111122223333:role/people/ops")
    ));
    assert!(has(
        &report,
        "AUTH-004",
        &ae("arn:aws:iam::111122223333:role/k8s-admins")
    ));
    assert!(
        !has(
            &report,
            "AUTH-004",
            &ae("arn:aws:iam::111122223333:role/ops")
        ),
        "namespace scope is not cluster scope"
    );
    assert!(!has(
        &report,
        "AUTH-004",
        &ae("arn:aws:iam::111122223333:role/k8s-admins-view")
    ));
}

#[test]
fn cluster_settings() {
    let dir = scratch_from("rbac-and-auth");
    let mut c = read_json(dir.path(), "eks-cluster.json");
    c["cluster"]["accessConfig"] = json!({"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": true});
    c["cluster"]["resourcesVpcConfig"] =
        json!({"endpointPublicAccess": true, "publicAccessCidrs": ["203.0.113.0/24"]});
    c["cluster"]["logging"] = json!({"clusterLogging": [{"types": ["api", "audit"], "enabled": true}, {"types": ["authenticator"], "enabled": false}]});
    write_json(dir.path(), "eks-cluster.json", &c);
    let report = audit_json(dir.path(), &[]);
    let cl = json!({"kind": "Cluster", "name": "platform"});
    assert!(has(&report, "AUTH-005", &cl));
    assert!(
        !has(&report, "AUTH-006", &cl),
        "restricted CIDRs are not open"
    );
    assert!(has(&report, "AUTH-007", &cl));
    assert!(has(&report, "AUTH-008", &cl));

    c["cluster"]["accessConfig"] =
        json!({"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": false});
    c["cluster"]["resourcesVpcConfig"] =
        json!({"endpointPublicAccess": false, "publicAccessCidrs": ["0.0.0.0/0"]});
    c["cluster"]["logging"] =
        json!({"clusterLogging": [{"types": ["audit", "authenticator"], "enabled": true}]});
    write_json(dir.path(), "eks-cluster.json", &c);
    let report = audit_json(dir.path(), &[]);
    for rule in ["AUTH-005", "AUTH-006", "AUTH-007", "AUTH-008"] {
        assert!(
            !has(&report, rule, &cl),
            "{rule} on a well-configured cluster"
        );
    }
}

// ------------------------------------------------------------------ API beyond the scenarios

fn with_apiserver(dir: &Path, command: &[&str], args: &[&str]) {
    let mut k = read_json(dir, "kubernetes.json");
    let items = k["items"].as_array_mut().expect("items");
    items
        .retain(|i| i["kind"] != "Pod" || i["metadata"]["labels"]["component"] != "kube-apiserver");
    items.push(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp-9", "namespace": "kube-system", "labels": {"component": "kube-apiserver"}},
        "spec": {"containers": [{"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.31.2", "command": command, "args": args}]}}));
    write_json(dir, "kubernetes.json", &k);
}

fn api_rules(dir: &Path) -> Vec<String> {
    let mut r: Vec<String> = rules_of(&audit_json(dir, &[]))
        .into_iter()
        .filter(|r| r.starts_with("API-"))
        .collect();
    r.sort();
    r.dedup();
    r
}

#[test]
fn apiserver_flags_in_args_and_both_forms() {
    let dir = scratch_from("kubeadm-apiserver");
    // A hardened server, flags split between command and args, both spellings.
    with_apiserver(
        dir.path(),
        &["kube-apiserver"],
        &[
            "--anonymous-auth=false",
            "--authorization-mode",
            "Node",
            "--authorization-mode=RBAC",
            "--client-ca-file",
            "/etc/kubernetes/pki/ca.crt",
            "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
            "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
            "--insecure-port=0",
        ],
    );
    assert_eq!(api_rules(dir.path()), Vec::<String>::new());

    with_apiserver(
        dir.path(),
        &[
            "kube-apiserver",
            "--authorization-mode=AlwaysAllow",
            "--anonymous-auth",
            "true",
        ],
        &[
            "--basic-auth-file=/etc/kubernetes/pw.csv",
            "--insecure-port",
            "8080",
            "--service-account-lookup=false",
        ],
    );
    assert_eq!(
        api_rules(dir.path()),
        [
            "API-001", "API-003", "API-004", "API-005", "API-006", "API-007", "API-008"
        ]
    );
    let report = audit_json(dir.path(), &[]);
    let f = report["findings"]
        .as_array()
        .expect("f")
        .iter()
        .find(|f| f["rule"] == "API-004")
        .expect("API-004");
    assert_eq!(f["severity"], "critical");

    with_apiserver(
        dir.path(),
        &[
            "kube-apiserver",
            "--authorization-mode=RBAC",
            "--client-ca-file=/ca",
        ],
        &[],
    );
    let report = audit_json(dir.path(), &[]);
    let f = report["findings"]
        .as_array()
        .expect("f")
        .iter()
        .find(|f| f["rule"] == "API-004")
        .expect("API-004");
    assert_eq!(f["severity"], "high");
    assert!(f["title"].as_str().expect("t").contains("Node"));
}

#[test]
fn apiserver_flags_file_for_self_managed_control_planes() {
    let dir = scratch_from("kubeadm-apiserver");
    let mut k = read_json(dir.path(), "kubernetes.json");
    k["items"]
        .as_array_mut()
        .expect("items")
        .retain(|i| i["kind"] != "Pod");
    write_json(dir.path(), "kubernetes.json", &k);
    let report = audit_json(dir.path(), &[]);
    assert_eq!(coverage(&report, "apiserver/flags")["status"], "missing");
    assert!(api_rules(dir.path()).is_empty());

    fs::write(
        dir.path().join("kube-apiserver.flags"),
        "# from /etc/systemd/system/kube-apiserver.service\n/usr/local/bin/kube-apiserver \\\n  --anonymous-auth=false \\\n  --authorization-mode=Node,RBAC \\\n  --client-ca-file=/var/lib/kubernetes/ca.pem \\\n  --token-auth-file=/var/lib/kubernetes/tokens.csv \\\n  --service-account-key-file=/var/lib/kubernetes/sa.pem \\\n  --kubelet-certificate-authority=/var/lib/kubernetes/ca.pem\n",
    )
    .expect("write");
    assert_eq!(api_rules(dir.path()), ["API-002"]);
    let report = audit_json(dir.path(), &[]);
    assert_eq!(coverage(&report, "apiserver/flags")["status"], "ok");
}

// ------------------------------------------------------------------ CFG

#[cfg(unix)]
#[test]
fn kubeconfig_with_several_users() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config");
    fs::write(
        &path,
        "apiVersion: v1\nkind: Config\ncurrent-context: prod\nclusters:\n- name: prod\n  cluster:\n    server: https://prod.example:6443\n    insecure-skip-tls-verify: true\n- name: staging\n  cluster:\n    server: https://staging.example:6443\n    certificate-authority-data: Zm9v\ncontexts:\n- name: prod\n  context: {cluster: prod, user: ci-bot}\nusers:\n- name: ci-bot\n  user:\n    token: sk-live-0123456789abcdef\n- name: legacy\n  user:\n    username: admin\n    password: hunter2-very-secret\n- name: sso\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [eks, get-token, --cluster-name, prod]\n",
    )
    .expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let p = path.to_str().expect("p");
    let snap = fixtures().join("rbac-and-auth");
    let out = iamscope(&[
        "audit",
        "--from",
        snap.to_str().expect("p"),
        "--kubeconfig",
        p,
        "--format",
        "json",
    ]);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        !text.contains("sk-live-0123456789abcdef") && !text.contains("hunter2-very-secret"),
        "credential printed"
    );
    let report: Value = serde_json::from_str(&text).expect("json");
    let kc = |name: &str| json!({"kind": "Kubeconfig", "name": name, "path": p});
    assert!(has(&report, "CFG-001", &kc("ci-bot")));
    assert!(has(&report, "CFG-001", &kc("legacy")));
    assert!(!has(&report, "CFG-001", &kc("sso")));
    assert!(has(&report, "CFG-002", &kc("prod")));
    assert!(!has(&report, "CFG-002", &kc("staging")));
    assert!(has(
        &report,
        "CFG-003",
        &json!({"kind": "Kubeconfig", "path": p})
    ));
    assert_eq!(coverage(&report, "kubeconfig")["status"], "ok");

    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    let report = audit_json(&snap, &["--kubeconfig", p]);
    assert!(!has(&report, "CFG-003", &json!({"kind": "Kubeconfig"})));

    let report = audit_json(&snap, &["--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(coverage(&report, "kubeconfig")["status"], "error");
}

// ------------------------------------------------------------------ formats of the snapshot

#[test]
fn yaml_streams_and_merged_files_read_like_json() {
    let dir = scratch_from("rbac-and-auth");
    let k = read_json(dir.path(), "kubernetes.json");
    fs::remove_file(dir.path().join("kubernetes.json")).expect("rm");
    // Split into a YAML stream of single objects and a List, plus a merged JSON file.
    let items = k["items"].as_array().expect("items");
    let (a, b) = items.split_at(items.len() / 2);
    let mut yaml = String::new();
    for item in a {
        yaml.push_str("---\n");
        yaml.push_str(&json_to_yaml(item));
    }
    yaml.push_str("---\n");
    yaml.push_str(&json_to_yaml(
        &json!({"apiVersion": "v1", "kind": "List", "items": []}),
    ));
    fs::write(dir.path().join("kubernetes.yaml"), yaml).expect("write");
    write_json(
        dir.path(),
        "kubernetes-rest.json",
        &json!({"apiVersion": "v1", "kind": "List", "items": b}),
    );
    let report = audit_json(dir.path(), &[]);
    let expect = read_json(&fixtures().join("rbac-and-auth"), "expect.json");
    for w in expect["expect"].as_array().expect("expect") {
        let rule = w["rule"].as_str().expect("rule");
        if rule.starts_with("AUTH-") {
            assert!(has(&report, rule, &w["subject"]), "{rule}");
        }
    }
    assert_eq!(
        coverage(&report, "kubernetes/clusterrolebindings")["status"],
        "ok"
    );
    let total: u64 = [
        "kubernetes/namespaces",
        "kubernetes/serviceaccounts",
        "kubernetes/clusterroles",
        "kubernetes/clusterrolebindings",
        "kubernetes/pods",
        "kubernetes/deployments",
    ]
    .iter()
    .map(|s| coverage(&report, s)["count"].as_u64().unwrap_or(0))
    .sum();
    let orig: usize = items.iter().filter(|i| i["kind"] != "ConfigMap").count();
    assert_eq!(total as usize, orig);
}

/// JSON is YAML: flow style keeps the test free of a YAML writer.
fn json_to_yaml(v: &Value) -> String {
    format!("{}\n", serde_json::to_string(v).expect("json"))
}

#[test]
fn the_ui_without_a_terminal_says_what_to_run_instead() {
    let out = iamscope(&["--demo"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs a terminal") && err.contains("iamscope audit"),
        "{err}"
    );
}

/// What `iamscope snapshot` could not fetch stays visible when the directory is audited later.
#[test]
fn collection_notes_keep_forbidden_sources_forbidden() {
    let dir = scratch_from("rbac-and-auth");
    write_json(
        dir.path(),
        "iamscope-coverage.json",
        &json!({"note": "sources the live collection could not fetch in full",
        "sources": [
            {"source": "kubernetes/secrets", "status": "forbidden", "detail": "secrets is forbidden: User cannot list resource"},
            {"source": "kubernetes/clusterrolebindings", "status": "forbidden", "detail": "403"},
            {"source": "aws/iam", "status": "bogus"}
        ]}),
    );
    let report = audit_json(dir.path(), &[]);
    assert_eq!(
        coverage(&report, "kubernetes/secrets")["status"],
        "forbidden"
    );
    assert_eq!(
        coverage(&report, "kubernetes/clusterrolebindings")["status"],
        "forbidden"
    );
    assert!(
        coverage(&report, "kubernetes/secrets")["detail"]
            .as_str()
            .expect("detail")
            .contains("when the snapshot was taken")
    );
    assert_eq!(coverage(&report, "aws/iam")["status"], "ok");
    let problems = report["coverage"]["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["source"] == "iamscope-coverage.json"
                && p["detail"].as_str().unwrap_or("").contains("bogus"))
    );
}

/// `snapshot --demo DIR` writes the bundled demo as a snapshot directory
/// (which audits as `--demo` does); `snapshot --from` is refused with why,
/// instead of silently collecting from whatever cluster the kubeconfig names.
#[test]
fn snapshot_of_the_demo_and_from_a_snapshot() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("demo-snap");
    let out = iamscope(&["snapshot", "--demo", dir.to_str().expect("utf-8")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("kubernetes.json").is_file() && dir.join("iam.json").is_file());
    let from_dir = audit_json(&dir, &[]);
    let demo: Value =
        serde_json::from_slice(&iamscope(&["audit", "--demo", "--format", "json"]).stdout)
            .expect("json");
    assert_eq!(from_dir["summary"], demo["summary"]);
    assert_eq!(from_dir["findings"], demo["findings"]);

    let out = iamscope(&[
        "snapshot",
        "--from",
        dir.to_str().expect("utf-8"),
        tmp.path().join("again").to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("names a snapshot that already exists"),
        "{err}"
    );
    assert!(!tmp.path().join("again").exists());
}

/// `--now` judges IAM-006 (unused for 90 days) as of the time given, so a
/// report made twice reads the same: the demo's image-resizer role was last
/// used on 2026-05-02T07:13:00Z.
#[test]
fn now_fixes_the_age_of_unused_roles() {
    let unused = |now: &str| -> Vec<String> {
        let out = iamscope(&["--demo", "audit", "--format", "json", "--now", now]);
        assert!(
            out.status.success() || out.status.code() == Some(1),
            "{out:?}"
        );
        let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == "IAM-006")
            .map(|f| f["evidence"][0].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        unused("2026-09-01"),
        vec!["RoleLastUsed.LastUsedDate is 2026-05-02T07:13:00Z, 121 days before now"]
    );
    // 30 days after its last use it is not unused.
    assert!(unused("2026-06-01T00:00:00Z").is_empty());
    let twice: Vec<Vec<u8>> = (0..2)
        .map(|_| iamscope(&["--demo", "audit", "--format", "json", "--now", "2026-09-01"]).stdout)
        .collect();
    assert_eq!(twice[0], twice[1]);
    let bad = iamscope(&["--demo", "audit", "--now", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("\"yesterday\" is not a time"), "{err}");
}
