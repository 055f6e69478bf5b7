//! Bounded evidence: a finding lists at most `--max-related` related subjects
//! (20 by default) and counts the rest in `related_total`; apart from that the
//! capped report is the full one (`--max-related 0`). Checked on the demo and
//! on a generated estate with the shapes that make lists grow: a role whose
//! trust admits every service account (`system:serviceaccount:*:*`), one with
//! no `sub` condition, one shared by many annotated accounts, and a group
//! that can exec into pods in every namespace.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};

const ACCT: &str = "111122223333";
const ISSUER: &str = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789";
const NAMESPACES: usize = 12;
const SA_PER_NS: usize = 10;

fn audit(args: &[&str]) -> Value {
    let out = Command::cargo_bin("iamscope")
        .expect("binary built")
        .args(args)
        .env_remove("AWS_PROFILE")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().expect("findings")
}

/// The capped report is the full one with each `related` cut to its first
/// `cap` entries and `related_total` giving the full count where it was cut.
fn assert_capped_is_full(capped: &Value, full: &Value, cap: usize) -> usize {
    let (c, f) = (findings(capped), findings(full));
    assert_eq!(c.len(), f.len(), "same findings");
    assert_eq!(capped["summary"], full["summary"]);
    let mut cut = 0;
    for (a, b) in c.iter().zip(f) {
        let full_rel = b["related"].as_array().expect("related");
        let rel = a["related"].as_array().expect("related");
        assert!(
            b.get("related_total").is_none(),
            "full report counts nothing: {b}"
        );
        if full_rel.len() > cap {
            cut += 1;
            assert_eq!(rel.as_slice(), &full_rel[..cap], "{}", a["title"]);
            assert_eq!(a["related_total"], json!(full_rel.len()), "{}", a["title"]);
        } else {
            assert_eq!(rel, full_rel);
            assert!(a.get("related_total").is_none());
        }
        let strip = |v: &Value| {
            let mut v = v.clone();
            let o = v.as_object_mut().expect("finding object");
            o.remove("related");
            o.remove("related_total");
            v
        };
        assert_eq!(strip(a), strip(b));
    }
    cut
}

#[test]
fn demo_capped_report_is_the_full_one_with_lists_cut() {
    let capped = audit(&["audit", "--demo", "-o", "json"]);
    let full = audit(&["audit", "--demo", "-o", "json", "--max-related", "0"]);
    // The demo has a role whose trust admits all 55 service accounts, and
    // groups that can run pods as dozens of accounts with IAM roles.
    let cut = assert_capped_is_full(&capped, &full, 20);
    assert!(
        cut > 0,
        "the demo has findings with more than 20 related subjects"
    );
    let small = audit(&["audit", "--demo", "-o", "json", "--max-related", "3"]);
    assert!(assert_capped_is_full(&small, &full, 3) > cut);
}

fn sa_name(ns: usize, i: usize) -> (String, String) {
    (format!("team-{ns:02}"), format!("app-{i:02}"))
}

fn web_identity_trust(condition: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:oidc-provider/{ISSUER}")},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition
    }]})
}

fn role(name: &str, trust: Value, policy: Value) -> Value {
    json!({
        "Path": "/", "RoleName": name, "RoleId": format!("AROA{}", name.len()),
        "Arn": format!("arn:aws:iam::{ACCT}:role/{name}"),
        "CreateDate": "2026-10-01T00:00:00Z",
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": policy}],
        "AttachedManagedPolicies": [],
        "RoleLastUsed": {"LastUsedDate": "2026-11-20T00:00:00Z"}
    })
}

/// A small estate with the shapes that grow lists.
fn write_estate(dir: &Path) {
    let admin = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let reads = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "secretsmanager:GetSecretValue"], "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]});
    let shared_subs: Vec<String> = (0..NAMESPACES)
        .flat_map(|n| (0..3).map(move |i| sa_name(n, i)))
        .map(|(ns, n)| format!("system:serviceaccount:{ns}:{n}"))
        .collect();
    let roles = vec![
        role(
            "everyone-admin",
            web_identity_trust(
                json!({"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:*:*"}}),
            ),
            admin.clone(),
        ),
        role(
            "no-sub-reader",
            web_identity_trust(
                json!({"StringEquals": {format!("{ISSUER}:aud"): "sts.amazonaws.com"}}),
            ),
            reads.clone(),
        ),
        role(
            "team-03-reader",
            web_identity_trust(
                json!({"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:team-03:*"}}),
            ),
            reads.clone(),
        ),
        role(
            "shared-reader",
            web_identity_trust(json!({"StringEquals": {format!("{ISSUER}:sub"): shared_subs}})),
            reads,
        ),
    ];
    let iam = json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": []});
    fs::write(dir.join("iam.json"), iam.to_string()).expect("write");

    let mut items = Vec::new();
    for n in 0..NAMESPACES {
        let (ns, _) = sa_name(n, 0);
        items.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
        for i in 0..SA_PER_NS {
            let (ns, name) = sa_name(n, i);
            let mut meta = json!({"name": name, "namespace": ns});
            if i < 3 {
                meta["annotations"] = json!({"eks.amazonaws.com/role-arn": format!("arn:aws:iam::{ACCT}:role/shared-reader")});
            }
            items.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}));
            items.push(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{name}-0"), "namespace": ns},
                "spec": {"serviceAccountName": name, "containers": [{"name": "c", "image": "app"}]}}));
        }
    }
    items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "debugger"},
        "rules": [{"apiGroups": [""], "resources": ["pods", "pods/exec"], "verbs": ["get", "list", "create"]}]}));
    items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "oncall-debug"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "debugger"},
        "subjects": [{"kind": "Group", "name": "oncall", "apiGroup": "rbac.authorization.k8s.io"}]}));
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    fs::write(dir.join("kubernetes.json"), list.to_string()).expect("write");

    fs::write(
        dir.join("iam-oidc-providers.json"),
        json!({"OpenIDConnectProviderList": [{
            "Arn": format!("arn:aws:iam::{ACCT}:oidc-provider/{ISSUER}"), "Url": ISSUER,
            "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": []}]})
        .to_string(),
    )
    .expect("write");
    fs::write(
        dir.join("eks-cluster.json"),
        json!({"cluster": {"name": "gen", "arn": format!("arn:aws:eks:eu-west-1:{ACCT}:cluster/gen"),
            "identity": {"oidc": {"issuer": format!("https://{ISSUER}")}}}})
        .to_string(),
    )
    .expect("write");
    fs::write(
        dir.join("sts-caller-identity.json"),
        json!({"Account": ACCT, "Arn": format!("arn:aws:iam::{ACCT}:user/auditor"), "UserId": "AIDA"}).to_string(),
    )
    .expect("write");
}

#[test]
fn generated_estate_capped_report_is_the_full_one_and_says_who_in_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_estate(dir.path());
    let path = dir.path().to_str().expect("utf-8");
    let capped = audit(&["audit", "--from", path, "-o", "json"]);
    let full = audit(&["audit", "--from", path, "-o", "json", "--max-related", "0"]);
    let cut = assert_capped_is_full(&capped, &full, 20);
    assert!(cut >= 3, "{cut} findings cut");

    let all = NAMESPACES * SA_PER_NS;
    let on_role = |name: &str, rule: &str| -> Value {
        findings(&capped)
            .iter()
            .find(|f| {
                f["rule"] == rule
                    && f["subject"]["arn"] == json!(format!("arn:aws:iam::{ACCT}:role/{name}"))
            })
            .cloned()
            .unwrap_or_else(|| panic!("{rule} on {name}"))
    };
    // The admin role every account can obtain: one line says so, with the
    // trust condition that makes it so and a few examples; related is capped.
    let admin = on_role("everyone-admin", "IAM-001");
    assert_eq!(admin["related"].as_array().map(Vec::len), Some(20));
    assert_eq!(admin["related_total"], json!(all));
    let evidence: Vec<&str> = admin["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let line = evidence
        .iter()
        .find(|e| e.starts_with("every service account of the cluster"))
        .unwrap_or_else(|| panic!("{evidence:#?}"));
    assert!(line.contains(&format!("({all})")), "{line}");
    assert!(line.contains("system:serviceaccount:*:*"), "{line}");
    assert!(line.contains(&format!("and {} more", all - 5)), "{line}");
    assert!(line.len() < 600, "one bounded line: {line}");
    // No sub condition at all: the same, and the reason given.
    let no_sub = on_role("no-sub-reader", "IAM-004");
    let text = no_sub["evidence"].to_string();
    assert!(
        text.contains("every service account of the cluster"),
        "{text}"
    );
    assert!(text.contains("no sub condition"), "{text}");
    // A namespace-wide trust.
    let ns = on_role("team-03-reader", "IAM-004");
    let text = ns["evidence"].to_string();
    assert!(
        text.contains(&format!(
            "every service account of namespace team-03 ({SA_PER_NS})"
        )),
        "{text}"
    );
    // A role shared by 36 annotated accounts: counted, a few named.
    let shared = on_role("shared-reader", "IAM-004");
    let text = shared["evidence"].to_string();
    assert!(
        text.contains(&format!(
            "reachable from {} service accounts",
            NAMESPACES * 3
        )),
        "{text}"
    );
    assert_eq!(shared["related_total"], json!(NAMESPACES * 3));

    // Every finding stays a few KB, however many accounts it concerns.
    for f in findings(&capped) {
        let size = f.to_string().len();
        assert!(size < 8_000, "{} is {size} bytes", f["title"]);
    }
}

/// The terminal UI bounds the same list: a role whose trust admits more
/// accounts than `MAX_ADMITTED_ROWS` shows them as one row with the count in
/// its table (its policies and findings stay on the first screen), and Enter
/// on that row lists every one of them.
#[test]
fn ui_role_table_folds_the_accounts_a_broad_trust_admits() {
    use iamscope::ui::views::{self, MAX_ADMITTED_ROWS, Model, Node};
    let dir = tempfile::tempdir().expect("tempdir");
    write_estate(dir.path());
    let (inv, _) = iamscope::source::snapshot::read_dir(dir.path(), &iamscope::graph::ReadCheck)
        .expect("estate reads");
    let all = inv.service_accounts.len();
    let findings = iamscope::audit::run(&inv, &iamscope::audit::Options::default());
    let m = Model::new(inv, findings, false);
    let arn = format!("arn:aws:iam::{ACCT}:role/everyone-admin");
    // With a threshold under the estate's size, the fold shows; above it, the rows.
    assert!(all > 100, "{all} accounts");
    assert_eq!(MAX_ADMITTED_ROWS, 100);
    let t = views::related(&Node::IamRole(arn.clone()), &m);
    let folded: Vec<_> = t
        .rows
        .iter()
        .filter(|r| matches!(r.node, Node::AdmittedBy(_)))
        .collect();
    assert_eq!(folded.len(), 1, "one row for the admitted accounts");
    assert!(
        folded[0].cells[1].contains("service accounts (every one of the cluster)"),
        "{:?}",
        folded[0].cells
    );
    let singles = t
        .rows
        .iter()
        .filter(|r| r.cells[2] == "trust admits it (not annotated)")
        .count();
    assert_eq!(singles, 0, "no account row beside the fold");
    assert!(t.rows.iter().any(|r| r.cells[0] == "Policy"));
    // Enter on it: every account the trust admits that no annotation names.
    let list = views::related(&folded[0].node, &m);
    let annotated = t
        .rows
        .iter()
        .filter(|r| r.cells[2] == "IRSA annotation")
        .count();
    assert_eq!(list.rows.len() + annotated, all, "{}", list.title);
    let n: usize = folded[0].cells[1]
        .split_whitespace()
        .next()
        .expect("a count")
        .replace(',', "")
        .parse()
        .expect("a number");
    assert_eq!(n, list.rows.len());
}
