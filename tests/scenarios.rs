//! Every expectation of the public scenarios (tests/fixtures/scenarios) and of
//! the demo snapshot (assets/demo/expect.json): what must be reported and
//! what must not, for all rule families.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn audit(dir: &Path) -> Value {
    let out = Command::cargo_bin("iamscope")
        .expect("binary")
        .args([
            "audit",
            "--from",
            dir.to_str().expect("path"),
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn matches(want: &Value, got: &Value) -> bool {
    want.as_object()
        .expect("subject")
        .iter()
        .all(|(k, v)| &got[k] == v)
}

/// Misses and false positives of one snapshot against its expect.json.
fn check(dir: &Path) -> Vec<String> {
    let expect: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expect.json")).expect("expect.json"),
    )
    .expect("json");
    let report = audit(dir);
    let got = report["findings"].as_array().expect("findings");
    let mut errors = Vec::new();
    for w in expect["expect"].as_array().expect("expect") {
        if !got
            .iter()
            .any(|g| g["rule"] == w["rule"] && matches(&w["subject"], &g["subject"]))
        {
            errors.push(format!(
                "{}: missing {} {}",
                dir.display(),
                w["rule"],
                w["subject"]
            ));
        }
    }
    for w in expect["forbid"].as_array().expect("forbid") {
        if let Some(g) = got
            .iter()
            .find(|g| g["rule"] == w["rule"] && matches(&w["subject"], &g["subject"]))
        {
            errors.push(format!(
                "{}: forbidden {} {}: {}",
                dir.display(),
                w["rule"],
                w["subject"],
                g["title"]
            ));
        }
    }
    for p in expect["forbid_any"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let p = p.as_str().expect("prefix");
        for g in got
            .iter()
            .filter(|g| g["rule"].as_str().unwrap_or("").starts_with(p))
        {
            errors.push(format!(
                "{}: forbidden family {p}: {} {}",
                dir.display(),
                g["rule"],
                g["subject"]
            ));
        }
    }
    errors
}

#[test]
fn public_scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios");
    let mut errors = Vec::new();
    let mut n = 0;
    for e in std::fs::read_dir(&root).expect("scenarios") {
        errors.extend(check(&e.expect("entry").path()));
        n += 1;
    }
    assert!(n >= 5);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn demo_snapshot_shows_every_planted_problem() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let errors = check(&dir);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The same cluster listed in another order (the API sorts by namespace and
/// name, a merged file keeps the order of its parts) gives the same report:
/// the same evidence, the same paths.
#[test]
fn report_does_not_depend_on_the_order_objects_are_listed_in() {
    use iamscope::audit::{self, Options};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let (inv, _) =
        iamscope::source::snapshot::read_dir(&dir, &iamscope::graph::ReadCheck).expect("demo");
    let opts = Options {
        include_system: false,
        all_rules: false,
        now: "2026-11-29T00:00:00Z".parse().expect("timestamp"),
        ..Options::default()
    };
    let json = |findings: &[audit::Finding]| serde_json::to_string_pretty(findings).expect("json");
    let want = json(&audit::run(&inv, &opts));
    let mut reversed = inv.clone();
    reversed.bindings.reverse();
    reversed.roles.reverse();
    reversed.service_accounts.reverse();
    reversed.pods.reverse();
    reversed.workloads.reverse();
    reversed.namespaces.reverse();
    let got = json(&audit::run(&reversed, &opts));
    assert!(want.contains("PATH-001") && want.contains("RBAC-004"));
    assert_eq!(got, want);
}
