//! `iamscope diff`, `audit --baseline` and accepted risks on pairs of snapshots
//! made from the bundled demo with one planted change each; every pair's diff
//! is stated exactly. A snapshot merely re-listed (objects, rules and subjects
//! in another order, new resourceVersions) must give no diff at all.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::{Value, json};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
}

fn iamscope(args: &[&str], today: Option<&str>) -> Output {
    let mut cmd = Command::cargo_bin("iamscope").expect("binary built");
    cmd.args(args).env_remove("AWS_PROFILE");
    match today {
        Some(d) => cmd.env("IAMSCOPE_TODAY", d),
        None => cmd.env_remove("IAMSCOPE_TODAY"),
    };
    cmd.output().expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A copy of the demo snapshot in `root/name`, with `edit` applied to one file.
fn variant(root: &Path, name: &str, file: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let dir = root.join(name);
    fs::create_dir_all(&dir).unwrap();
    for e in fs::read_dir(demo()).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    if !file.is_empty() {
        let p = dir.join(file);
        let mut v: Value = serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
        edit(&mut v);
        fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }
    dir
}

fn role_mut<'a>(iam: &'a mut Value, name: &str) -> &'a mut Value {
    iam["RoleDetailList"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["RoleName"] == name)
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn diff_json(old: &Path, new: &Path) -> Value {
    let o = iamscope(&["diff", s(old), s(new), "--format", "json"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn label(subject: &Value) -> String {
    let kind = subject["kind"].as_str().unwrap_or("");
    let name = subject
        .get("arn")
        .or_else(|| subject.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match subject.get("namespace").and_then(Value::as_str) {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// The diff as a user reads it: `RULE subject` per finding, `kind object` per change.
fn summary(d: &Value) -> Value {
    let findings = |k: &str| -> Vec<String> {
        d[k].as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["rule"].as_str().unwrap(), label(&f["subject"])))
            .collect()
    };
    let changed: Vec<String> = d["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}->{}",
                c["after"]["rule"].as_str().unwrap(),
                label(&c["after"]["subject"]),
                c["before"]["severity"].as_str().unwrap(),
                c["after"]["severity"].as_str().unwrap()
            )
        })
        .collect();
    let changes: Vec<String> = d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["kind"].as_str().unwrap(), label(&c["object"])))
        .collect();
    let reach: Vec<String> = d["reach"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} via {}",
                r["change"].as_str().unwrap(),
                label(&r["subject"]),
                label(&r["role"]),
                r["through"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    json!({
        "new": findings("new"),
        "resolved": findings("resolved"),
        "changed": changed,
        "changes": changes,
        "reach": reach,
    })
}

const PAYMENTS_API: &str = "arn:aws:iam::111122223333:role/prod-eks-payments-api";

#[test]
fn a_binding_added_gives_the_group_its_findings_and_a_role() {
    let tmp = tempfile::tempdir().unwrap();
    let old = variant(tmp.path(), "old", "", |_| {});
    let new = variant(tmp.path(), "new", "kubernetes.json", |k| {
        k["items"].as_array_mut().unwrap().push(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "contractors-edit", "namespace": "data-platform", "resourceVersion": "9100001"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "contractors"}]
        }));
    });
    let d = diff_json(&old, &new);
    assert_eq!(
        summary(&d),
        json!({
            "new": [
                "PATH-001 Group contractors",
                "RBAC-003 Group contractors",
                "RBAC-004 Group contractors",
                "RBAC-005 Group contractors",
                "RBAC-006 Group contractors",
            ],
            "resolved": [],
            "changed": [],
            "changes": ["added RoleBinding data-platform/contractors-edit"],
            "reach": ["gained Group contractors IamRole arn:aws:iam::111122223333:role/prod-eks-data-platform-airflow via RoleBinding data-platform/contractors-edit added"],
        })
    );
    let change = &d["changes"][0];
    assert_eq!(change["before"], Value::Null);
    assert_eq!(change["after"]["roleRef"], "ClusterRole edit");
    assert_eq!(change["after"]["subjects"], json!(["Group contractors"]));
    // The table says it in a line, and --fail-on counts the new findings.
    let o = iamscope(&["diff", s(&old), s(&new), "--fail-on", "critical"], None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains(
        "Group contractors can now obtain IAM role arn:aws:iam::111122223333:role/prod-eks-data-platform-airflow (through RoleBinding data-platform/contractors-edit added)"
    ), "{}", stdout(&o));
    // Backwards, the same findings are resolved and the binding removed; nothing is new.
    let back = diff_json(&new, &old);
    assert_eq!(back["new"], json!([]));
    assert_eq!(back["resolved"].as_array().unwrap().len(), 5);
    assert_eq!(back["changes"][0]["kind"], "removed");
    let o = iamscope(&["diff", s(&new), s(&old), "--fail-on", "info"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn a_trust_widened_to_a_namespace_admits_more_than_one_account() {
    let tmp = tempfile::tempdir().unwrap();
    let old = variant(tmp.path(), "old", "", |_| {});
    let new = variant(tmp.path(), "new", "iam.json", |iam| {
        let cond = &mut role_mut(iam, "prod-eks-payments-api")["AssumeRolePolicyDocument"]["Statement"]
            [0]["Condition"];
        let key = "oidc.eks.us-east-1.amazonaws.com/id/3A2EBD69466EE3E23383BB1909AE60CD:sub";
        cond["StringEquals"].as_object_mut().unwrap().remove(key);
        cond["StringLike"] = json!({key: "system:serviceaccount:payments:*"});
    });
    let d = diff_json(&old, &new);
    assert_eq!(
        summary(&d),
        json!({
            "new": ["IRSA-006 IamRole arn:aws:iam::111122223333:role/prod-eks-payments-api"],
            "resolved": [],
            "changed": [
                "IAM-004 IamRole arn:aws:iam::111122223333:role/prod-eks-payments-api high->high",
                "PATH-001 Group payments-developers high->high",
                "RBAC-004 Group payments-developers high->high",
                "RBAC-005 Group payments-developers high->high",
            ],
            "changes": ["edited IamRole arn:aws:iam::111122223333:role/prod-eks-payments-api"],
            "reach": [],
        })
    );
    // The edit shows where the trust changed, before and after.
    let o = iamscope(&["diff", s(&old), s(&new)], None);
    let out = stdout(&o);
    assert!(out.contains("trustPolicy.Statement[0].Condition.StringLike: (none) -> {\"oidc.eks.us-east-1.amazonaws.com/id/3A2EBD69466EE3E23383BB1909AE60CD:sub\":\"system:serviceaccount:payments:*\"}"), "{out}");
    assert!(
        out.contains(":sub: system:serviceaccount:payments:payments-api -> (none)"),
        "{out}"
    );
    // The new IRSA-006 is explained by the role's edit.
    let id = d["new"][0]["id"].as_str().unwrap();
    assert_eq!(
        d["explained"][id],
        json!([format!("IamRole {PAYMENTS_API} edited")])
    );
}

#[test]
fn a_policy_narrowed_resolves_its_finding_and_moves_the_path_to_the_next_worst_role() {
    let tmp = tempfile::tempdir().unwrap();
    let old = variant(tmp.path(), "old", "", |_| {});
    let new = variant(tmp.path(), "new", "iam.json", |iam| {
        role_mut(iam, "prod-eks-payments-api")["RolePolicyList"][0]["PolicyDocument"]["Statement"]
            [2]["Resource"] =
            json!("arn:aws:secretsmanager:us-east-1:111122223333:secret:payments/provider-*");
    });
    let d = diff_json(&old, &new);
    assert_eq!(
        summary(&d),
        json!({
            "new": [],
            "resolved": ["IAM-004 IamRole arn:aws:iam::111122223333:role/prod-eks-payments-api"],
            // The next worst role the group obtains is the legacy node group's role
            // (pods it creates in payments can land on IMDSv1 nodes: NODE-001).
            "changed": ["PATH-001 Group payments-developers high->high"],
            "changes": ["edited IamRole arn:aws:iam::111122223333:role/prod-eks-payments-api"],
            "reach": [format!("changed Group payments-developers IamRole arn:aws:iam::111122223333:role/prod-eks-legacy-batch-node-role via IamRole {PAYMENTS_API} edited")],
        })
    );
    assert_eq!(d["reach"][0]["was"]["arn"], PAYMENTS_API);
    // Less is no failure.
    let o = iamscope(&["diff", s(&old), s(&new), "--fail-on", "info"], None);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn an_access_entry_removed_resolves_its_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let old = variant(tmp.path(), "old", "", |_| {});
    let new = variant(tmp.path(), "new", "eks-access-entries.json", |v| {
        v["accessEntries"]
            .as_array_mut()
            .unwrap()
            .retain(|e| e["principalArn"] != "arn:aws:iam::111122223333:role/terraform-platform");
    });
    let d = diff_json(&old, &new);
    assert_eq!(
        summary(&d),
        json!({
            "new": [],
            "resolved": ["AUTH-004 AccessEntry arn:aws:iam::111122223333:role/terraform-platform"],
            "changed": [],
            "changes": ["removed AccessEntry arn:aws:iam::111122223333:role/terraform-platform"],
            "reach": [],
        })
    );
    assert_eq!(
        d["changes"][0]["before"]["accessPolicies"][0]["policy"],
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    );
}

/// Objects listed in another order, rules and subjects in another order, new
/// resourceVersions: the same estate, no diff.
#[test]
fn a_snapshot_relisted_gives_no_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let old = variant(tmp.path(), "old", "", |_| {});
    let new = variant(tmp.path(), "new", "kubernetes.json", |k| {
        let items = k["items"].as_array_mut().unwrap();
        items.reverse();
        for it in items.iter_mut() {
            if let Some(rv) = it["metadata"]["resourceVersion"].as_str() {
                it["metadata"]["resourceVersion"] = json!(format!("{rv}9"));
            }
            for key in ["rules", "subjects"] {
                if let Some(a) = it.get_mut(key).and_then(Value::as_array_mut) {
                    a.reverse();
                }
            }
        }
    });
    for (file, lists) in [
        (
            "iam.json",
            &[
                "RoleDetailList",
                "UserDetailList",
                "GroupDetailList",
                "Policies",
            ][..],
        ),
        ("eks-access-entries.json", &["accessEntries"][..]),
    ] {
        let p = new.join(file);
        let mut v: Value = serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
        for l in lists {
            v[*l].as_array_mut().unwrap().reverse();
        }
        fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    }
    let d = diff_json(&old, &new);
    assert_eq!(
        summary(&d),
        json!({"new": [], "resolved": [], "changed": [], "changes": [], "reach": []})
    );
    let o = iamscope(&["diff", s(&old), s(&new)], None);
    assert!(stdout(&o).contains("No changes."), "{}", stdout(&o));
    // The ids are the same whatever the listing order.
    let ids = |dir: &Path| -> Vec<String> {
        let o = iamscope(&["audit", "--from", s(dir), "-o", "json"], None);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        let mut ids: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let a = ids(&old);
    assert_eq!(a.len(), 86);
    assert_eq!(a, ids(&new));
    let mut dedup = a.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), a.len(), "ids are unique in the demo report");
}

/// Two JSON reports are enough for the findings; objects are not compared.
/// A directory of dated snapshots compares its last two.
#[test]
fn reports_and_a_directory_of_dated_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    let dated = tmp.path().join("dated");
    let old = variant(&dated, "snapshot-20261205T031700Z", "", |_| {});
    let new = variant(
        &dated,
        "snapshot-20261206T031700Z",
        "eks-access-entries.json",
        |v| {
            v["accessEntries"].as_array_mut().unwrap().retain(|e| {
                e["principalArn"] != "arn:aws:iam::111122223333:role/terraform-platform"
            });
        },
    );
    let o = iamscope(&["diff", s(&dated), "-o", "json"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(d["old"], s(&old));
    assert_eq!(d["resolved"][0]["rule"], "AUTH-004");

    let report = |dir: &Path, name: &str| {
        let out = tmp.path().join(name);
        let o = iamscope(
            &["audit", "--from", s(dir), "-o", "json", "--out", s(&out)],
            None,
        );
        assert!(o.status.success());
        out
    };
    let (a, b) = (report(&old, "a.json"), report(&new, "b.json"));
    let d = diff_json(&a, &b);
    assert_eq!(d["resolved"].as_array().unwrap().len(), 1);
    assert_eq!(d["new"], json!([]));
    assert!(d.get("changes").is_none());
    let o = iamscope(&["diff", s(&a), s(&b), "--format", "markdown"], None);
    assert!(
        stdout(&o).contains("| 0 | 1 | 0 | not compared |"),
        "{}",
        stdout(&o)
    );

    let o = iamscope(&["diff", s(&tmp.path().join("nothing-here")), s(&b)], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("neither a snapshot directory nor a JSON report"));
    let o = iamscope(&["diff", s(&old)], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("fewer than two dated snapshots"),
        "{}",
        stderr(&o)
    );
}

fn audit(dir: &Path, extra: &[&str], today: Option<&str>) -> Output {
    let mut args = vec!["audit", "--from", s(dir)];
    args.extend_from_slice(extra);
    iamscope(&args, today)
}

#[test]
fn a_baseline_marks_new_unchanged_and_absent_and_fails_on_new_only() {
    let tmp = tempfile::tempdir().unwrap();
    let old = variant(tmp.path(), "old", "", |_| {});
    let new = variant(tmp.path(), "new", "eks-access-entries.json", |v| {
        v["accessEntries"]
            .as_array_mut()
            .unwrap()
            .retain(|e| e["principalArn"] != "arn:aws:iam::111122223333:role/terraform-platform");
        v["accessEntries"].as_array_mut().unwrap().push(json!({
            "clusterName": "prod-eks",
            "principalArn": "arn:aws:iam::111122223333:role/vendor-support",
            "kubernetesGroups": [],
            "type": "STANDARD",
            "associatedAccessPolicies": [{
                "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                "accessScope": {"type": "cluster", "namespaces": []}
            }]
        }));
    });
    let base = tmp.path().join("base.json");
    assert!(
        audit(&old, &["-o", "json", "--out", s(&base)], None)
            .status
            .success()
    );

    let o = audit(&new, &["-o", "json", "--baseline", s(&base)], None);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let f = v["findings"].as_array().unwrap();
    let states: Vec<(String, String)> = f
        .iter()
        .filter(|f| f["baseline_state"] != "unchanged")
        .map(|f| {
            (
                f["baseline_state"].as_str().unwrap().to_string(),
                label(&f["subject"]),
            )
        })
        .collect();
    let vendor = "arn:aws:iam::111122223333:role/vendor-support";
    let terraform = "arn:aws:iam::111122223333:role/terraform-platform";
    assert!(
        states.contains(&("new".into(), format!("AccessEntry {vendor}"))),
        "{states:?}"
    );
    assert_eq!(
        states.last().unwrap(),
        &("absent".to_string(), format!("AccessEntry {terraform}"))
    );
    assert_eq!(f.last().unwrap()["rule"], "AUTH-004");
    assert_eq!(
        f.iter()
            .filter(|f| f["baseline_state"] == "unchanged")
            .count(),
        85
    );
    // The summary counts what is there now, not what is gone.
    let total: u64 = v["summary"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, f.len() - 1);

    // --fail-on counts new findings only.
    let o = audit(&new, &["--baseline", s(&base), "--fail-on", "high"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("STATE     SEVERITY"), "{}", stdout(&o));
    assert!(stdout(&o).contains("new       high"), "{}", stdout(&o));
    let o = audit(&old, &["--baseline", s(&base), "--fail-on", "info"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // Without a baseline every finding counts.
    let o = audit(&old, &["--fail-on", "info"], None);
    assert_eq!(o.status.code(), Some(1));

    // SARIF carries the states and ids.
    let o = audit(&new, &["-o", "sarif", "--baseline", s(&base)], None);
    let sarif: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.last().unwrap()["baselineState"], "absent");
    assert!(results.iter().all(|r| {
        r["partialFingerprints"]["iamscopeFindingId/v1"]
            .as_str()
            .is_some_and(|id| id.len() == 16)
    }));

    let o = audit(
        &new,
        &["--baseline", s(&tmp.path().join("nope.json"))],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.json"), "{}", stderr(&o));
}

const TERRAFORM_ACCEPT: &str = "accept:\n  # Terraform needs cluster admin; SEC-42\n  - rule: AUTH-004\n    subject: {kind: AccessEntry, arn: \"arn:aws:iam::111122223333:role/terraform-platform\"}\n    reason: Terraform manages the cluster (SEC-42)\n    expires: 2027-01-31\n  - rule: IRSA-006\n    subject: {kind: IamRole, arn: \"arn:aws:iam::111122223333:role/no-such-role\"}\n    reason: left over\n    expires: 2027-06-30\n";

#[test]
fn accepted_risks_are_suppressed_until_they_expire_and_stale_ones_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = variant(tmp.path(), "snap", "", |_| {});
    // Beside the snapshot: in its parent directory.
    let file = tmp.path().join(".iamscope.yaml");
    fs::write(&file, TERRAFORM_ACCEPT).unwrap();

    let o = audit(
        &snap,
        &["-o", "json", "--fail-on", "high"],
        Some("2027-01-31"),
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let f = v["findings"].as_array().unwrap();
    let accepted: Vec<&Value> = f.iter().filter(|f| f.get("suppressed").is_some()).collect();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["rule"], "AUTH-004");
    assert_eq!(
        accepted[0]["suppressed"],
        json!({"reason": "Terraform manages the cluster (SEC-42)", "expires": "2027-01-31", "source": format!("{}:3", file.display())})
    );
    let total: u64 = v["summary"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(total, 85, "the accepted finding is not counted");
    assert_eq!(v["summary"]["high"], 47 - 1);
    assert!(
        stderr(&o).contains("line 7: stale acceptance: no finding matches IRSA-006 on IamRole arn:aws:iam::111122223333:role/no-such-role"),
        "{}",
        stderr(&o)
    );
    // The other high findings still fail the run.
    assert_eq!(o.status.code(), Some(1));

    // The table hides it unless asked, and says so.
    let o = audit(&snap, &[], Some("2027-01-31"));
    assert!(
        !stdout(&o).contains("AccessEntry terraform-platform"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("1 accepted risk(s) not listed (--show-suppressed lists them)"));
    let o = audit(&snap, &["--show-suppressed"], Some("2027-01-31"));
    assert!(stdout(&o).contains("(accepted)"), "{}", stdout(&o));

    // SARIF: a suppression with the justification.
    let o = audit(&snap, &["-o", "sarif"], Some("2027-01-31"));
    let sarif: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let r = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "AUTH-004")
        .unwrap();
    assert_eq!(r["suppressions"][0]["kind"], "external");
    assert_eq!(r["suppressions"][0]["status"], "accepted");
    assert_eq!(
        r["suppressions"][0]["justification"],
        "Terraform manages the cluster (SEC-42) (until 2027-01-31)"
    );

    // The day after: a warning, and the finding counts again.
    let o = audit(&snap, &["-o", "json"], Some("2027-02-01"));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("suppressed").is_none())
    );
    assert_eq!(v["summary"]["high"], 47);
    assert!(
        stderr(&o).contains("line 3: acceptance of AUTH-004 on AccessEntry arn:aws:iam::111122223333:role/terraform-platform expired on 2027-01-31"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_malformed_acceptance_file_is_refused_naming_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = variant(tmp.path(), "snap", "", |_| {});
    let bad = tmp.path().join("accept.yaml");
    fs::write(
        &bad,
        "accept:\n  - id: 0123456789abcdef\n    reason: fine\n    expires: 2027-01-31\n  - rule: AUTH-004\n    subject: {kind: AccessEntry, arn: x}\n    reason: \"\"\n    expires: 2027-01-31\n",
    )
    .unwrap();
    let o = audit(&snap, &["--accept", s(&bad)], None);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        format!(
            "iamscope: {} line 5: no reason: say why the risk is accepted (reason:)",
            bad.display()
        )
    );
    let o = audit(
        &snap,
        &["--accept", s(&tmp.path().join("missing.yaml"))],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read acceptance file"),
        "{}",
        stderr(&o)
    );
}

/// The CronJob recipe's arguments are ones the binary accepts: the snapshot
/// step parses, and the drift step on an empty volume says what is missing.
#[test]
fn the_cronjob_recipe_runs_commands_that_exist() {
    use clap::Parser;
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/k8s/iamscope-cronjob.yaml"),
    )
    .unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
    let spec = &docs[1]["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let args = |c: &Value| -> Vec<String> {
        c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    let snapshot = args(&spec["initContainers"][0]);
    let cli =
        iamscope::cli::Cli::try_parse_from(std::iter::once("iamscope".to_string()).chain(snapshot))
            .unwrap();
    match cli.command {
        Some(iamscope::cli::Command::Snapshot(s)) => assert_eq!(s.keep, Some(14)),
        other => panic!("{other:?}"),
    }
    let tmp = tempfile::tempdir().unwrap();
    let drift: Vec<String> = args(&spec["containers"][0])
        .into_iter()
        .map(|a| {
            if a == "/snapshots" {
                s(tmp.path()).to_string()
            } else {
                a
            }
        })
        .collect();
    let drift: Vec<&str> = drift.iter().map(String::as_str).collect();
    let o = iamscope(&drift, None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("fewer than two dated snapshots"),
        "{}",
        stderr(&o)
    );
}

/// The terminal UI against a baseline: the new findings are marked `NEW ·`
/// and the `new` filter term keeps exactly them.
#[test]
fn the_ui_marks_new_findings_and_filters_them() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use iamscope::ui::app::App;
    use iamscope::ui::views::Model;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let tmp = tempfile::tempdir().unwrap();
    let out = iamscope(&["audit", "--demo", "-o", "json"], None);
    let mut report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    // The baseline lacks the two AUTH-002 findings: they are new now; and it
    // has one that is gone.
    let findings = report["findings"].as_array_mut().unwrap();
    findings.retain(|f| f["rule"] != "AUTH-002");
    let mut gone = findings[0].clone();
    gone["id"] = json!("0000000000000000");
    gone["title"] = json!("a finding since resolved");
    findings.push(gone);
    let base = tmp.path().join("base.json");
    fs::write(&base, report.to_string()).unwrap();

    let target = iamscope::cli::Target {
        demo: true,
        baseline: Some(base),
        ..Default::default()
    };
    let (inv, trusts) = iamscope::source::demo::read(&iamscope::graph::ReadCheck).unwrap();
    let mut findings =
        iamscope::audit::run_with_trusts(&inv, &trusts, &iamscope::audit::Options::default());
    let extras = iamscope::drift::Extras::read(&target).unwrap();
    extras.apply(&mut findings).unwrap();
    let mut app = App::new("demo snapshot".into());
    app.set_model(Model::new(inv, findings, false));
    let total = app.visible().len();
    for c in "/new".chars() {
        app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(app.visible().len(), 2, "of {total}");
    let mut t = Terminal::new(TestBackend::new(160, 20)).unwrap();
    t.draw(|f| iamscope::ui::draw::draw(f, &mut app, iamscope::ui::draw::Theme { color: false }))
        .unwrap();
    let buf = t.backend().buffer().clone();
    let text: String = (0..20)
        .map(|y| (0..160).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect();
    assert_eq!(text.matches("NEW · ").count(), 2, "{text}");
    assert!(text.contains("AUTH-002"), "{text}");
    assert_eq!(total, 86 + 1);
    // The gone one is listed last, marked, and is no `new`.
    app.on_key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE));
    for _ in 0.."new".len() {
        app.on_key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
    }
    for c in "!new gone".chars() {
        app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(app.visible().len(), 1, "the GONE · row");
}
