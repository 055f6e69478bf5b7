//! The Kubernetes RBAC authorizer's own decision tables (tests/fixtures/rbac-upstream,
//! ported from kubernetes/kubernetes as data) and the cases they miss, asked
//! through `can-i --batch` (the binary) and `who-can` (the engine the command
//! calls), each case as a snapshot directory of its own.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use iamscope::graph::ReadCheck;
use iamscope::query::{Action, Asker, KubeAction, Node};
use serde_json::{Value, json};

fn cases(file: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rbac-upstream")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("fixture");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["cases"].as_array().expect("cases").clone()
}

/// A snapshot directory holding one case's objects.
fn snapshot(case: &Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = json!({"apiVersion": "v1", "kind": "List", "items": case["objects"]});
    std::fs::write(dir.path().join("kubernetes.json"), list.to_string()).expect("write");
    dir
}

/// Every `can` line of every case through `can-i --batch`; the disagreements.
fn run_can(file: &str) -> (usize, Vec<String>) {
    let mut asked = 0;
    let mut wrong = Vec::new();
    for case in cases(file) {
        let Some(can) = case["can"].as_array() else {
            continue;
        };
        let dir = snapshot(&case);
        let input: Vec<String> = can
            .iter()
            .map(|q| {
                let mut q = q.clone();
                q.as_object_mut().map(|o| o.remove("expect"));
                q.to_string()
            })
            .collect();
        let out = Command::cargo_bin("iamscope")
            .expect("binary")
            .args(["can-i", "--from"])
            .arg(dir.path())
            .args(["--batch", "-"])
            .write_stdin(input.join("\n"))
            .output()
            .expect("runs");
        let answers: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(answers.len(), can.len(), "{}", case["source"]);
        for (q, a) in can.iter().zip(&answers) {
            asked += 1;
            if a["decision"] != q["expect"] {
                wrong.push(format!(
                    "{}: {} expected {}, got {}",
                    case["source"], q, q["expect"], a
                ));
            }
        }
    }
    (asked, wrong)
}

fn label(n: &Node) -> Option<String> {
    match n {
        Node::User { name } => Some(format!("User:{name}")),
        Node::Group { name } => Some(format!("Group:{name}")),
        _ => None,
    }
}

#[test]
fn upstream_authorizer_and_rule_matching_tables() {
    let (asked, wrong) = run_can("upstream.json");
    assert!(asked >= 100, "{asked}");
    assert!(
        wrong.is_empty(),
        "{} of {asked} disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn cases_the_upstream_tables_miss() {
    let (asked, wrong) = run_can("extra.json");
    assert!(asked >= 25, "{asked}");
    assert!(
        wrong.is_empty(),
        "{} of {asked} disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// `iamscope who-can --include-system -o json` on a snapshot, the action in
/// kubectl's notation: the users and groups it lists.
fn who_can_command(dir: &Path, action: &Value) -> BTreeSet<String> {
    let k: KubeAction = serde_json::from_value(action.clone()).expect("action");
    let mut target = k.resource.clone();
    if !k.group.is_empty() {
        target = format!("{target}.{}", k.group);
    }
    if let Some(n) = k.name.as_deref().filter(|n| !n.is_empty()) {
        target = format!("{target}/{n}");
    }
    let mut cmd = Command::cargo_bin("iamscope").expect("binary");
    cmd.args(["who-can", "--include-system", "-o", "json", "--from"])
        .arg(dir)
        .args([k.verb.as_str(), target.as_str()]);
    if !k.subresource.is_empty() {
        cmd.args(["--subresource", k.subresource.as_str()]);
    }
    match k.namespace.as_deref().filter(|n| !n.is_empty()) {
        Some(ns) => cmd.args(["-n", ns]),
        None => cmd.arg("-A"),
    };
    let out = cmd.output().expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "who-can {action}: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .filter_map(|a| {
            let s = &a["subject"];
            let name = s["name"].as_str()?;
            match s["kind"].as_str()? {
                "User" => Some(format!("User:{name}")),
                "Group" => Some(format!("Group:{name}")),
                _ => None,
            }
        })
        .collect()
}

/// TestSubjectLocator: who-can (the engine and `iamscope who-can`) lists
/// exactly the users and groups upstream's SubjectAccessEvaluator returns
/// (system subjects included, as upstream does).
#[test]
fn upstream_subject_locator() {
    let mut asked = 0;
    for case in cases("upstream.json") {
        let Some(who) = case["who"].as_array() else {
            continue;
        };
        let dir = snapshot(&case);
        let (inv, trusts) =
            iamscope::source::snapshot::read_dir(dir.path(), &ReadCheck).expect("snapshot");
        let asker = Asker::with_trusts(&inv, &trusts);
        for w in who {
            let k: KubeAction = serde_json::from_value(w["action"].clone()).expect("action");
            let got: BTreeSet<String> = asker
                .who_can(&Action::Kube(k), true)
                .answers
                .iter()
                .filter_map(|a| label(&a.subject))
                .collect();
            let want: BTreeSet<String> = w["expect"]
                .as_array()
                .expect("expect")
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            assert_eq!(got, want, "{}: {}", case["source"], w["action"]);
            // The command line gives the engine's list. Its TYPE is resolved as
            // kubectl resolves it (`Pods` is sent as `pods`, which a rule for
            // `Pods` does not match: RBAC compares exactly), so the engine is
            // asked the request the command line sends.
            let mut sent: KubeAction = serde_json::from_value(w["action"].clone()).expect("action");
            sent.resource = sent.resource.to_ascii_lowercase();
            let engine: BTreeSet<String> = asker
                .who_can(&Action::Kube(sent), true)
                .answers
                .iter()
                .filter_map(|a| label(&a.subject))
                .collect();
            assert_eq!(
                who_can_command(dir.path(), &w["action"]),
                engine,
                "iamscope who-can, {}: {}",
                case["source"],
                w["action"]
            );
            asked += 1;
        }
    }
    assert_eq!(asked, 6);
}
