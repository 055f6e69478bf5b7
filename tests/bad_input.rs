//! Bad input: the corpus under tests/fixtures/bad/ and inputs generated here
//! (200 MB files, 10,000-deep nesting, alias bombs). Each case asserts the
//! exact message a user gets, naming the file and the place; nothing panics,
//! nothing hangs, memory stays bounded. A snapshot directory where nothing is
//! readable exits 2 and lists each file's problem; otherwise the problem is a
//! `coverage.problems` entry and the rest of the snapshot is audited.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use iamscope::graph::ReadCheck;
use iamscope::source::snapshot::{self, MemFiles, SnapshotError};
use serde_json::{Value, json};

fn bad() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scenarios")
        .join(name)
}

fn iamscope(args: &[&str]) -> Output {
    Command::cargo_bin("iamscope")
        .expect("binary")
        .args(args)
        .env_remove("RUST_LOG")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run iamscope")
}

/// `audit --format json` on a directory that must be readable: the report.
fn report(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["audit", "--from", dir.to_str().expect("utf-8 path")];
    args.extend_from_slice(&["--format", "json"]);
    args.extend_from_slice(extra);
    let out = iamscope(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json report")
}

fn problems(report: &Value) -> Vec<(String, String)> {
    report["coverage"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["source"].as_str().unwrap_or_default().to_string(),
                p["detail"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn status<'a>(report: &'a Value, source: &str) -> &'a str {
    report["coverage"]["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == source)
        .and_then(|s| s["status"].as_str())
        .unwrap_or("absent")
}

fn findings(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f.to_string(),
            )
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    for e in fs::read_dir(from).expect("read fixture dir") {
        let e = e.expect("entry");
        if e.path().is_file() {
            fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

/// The snapshot files of a fixture directory, in memory.
fn mem_files(dir: &Path) -> MemFiles {
    let mut m = BTreeMap::new();
    for e in fs::read_dir(dir).expect("read fixture dir") {
        let e = e.expect("entry");
        m.insert(
            e.file_name().into_string().expect("utf-8 name"),
            fs::read(e.path()).expect("read"),
        );
    }
    MemFiles(m)
}

const P: fn(&str, &str) -> (String, String) = |f, d| (f.to_string(), d.to_string());

/// Every corpus directory and the exact problems its report lists. Each has a
/// valid sts-caller-identity.json, so the snapshot is readable and exits 0.
fn corpus() -> Vec<(&'static str, Vec<(String, String)>)> {
    vec![
        (
            "truncated-json",
            vec![P(
                "kubernetes.json",
                "line 2, column 73: EOF while parsing an object",
            )],
        ),
        (
            "garbage-json",
            vec![P("iam.json", "line 1, column 1: expected value")],
        ),
        (
            "empty-json",
            vec![P("eks-cluster.json", "the file is empty")],
        ),
        (
            "truncated-yaml",
            vec![P(
                "kubernetes.yaml",
                "line 5, column 13: unclosed bracket '{'",
            )],
        ),
        (
            "garbage-yaml",
            vec![P(
                "kubernetes.yaml",
                "line 4, column 2: while parsing a block mapping, did not find expected key",
            )],
        ),
        (
            "invalid-utf8-json",
            vec![P("eks-cluster.json", "line 3, column 18: not valid UTF-8")],
        ),
        (
            "invalid-utf8-yaml",
            vec![P("kubernetes.yaml", "line 4, column 12: not valid UTF-8")],
        ),
        (
            "invalid-utf8-flags",
            vec![P(
                "kube-apiserver.flags",
                "line 3, column 24: not valid UTF-8",
            )],
        ),
        (
            "utf16-powershell",
            vec![P(
                "iam.json",
                "the file is UTF-16 (as PowerShell's `>` writes it), not UTF-8: write it with `| Out-File -Encoding utf8` or convert it",
            )],
        ),
        ("utf8-bom", vec![]),
        (
            "shape-kubernetes-json",
            vec![P(
                "kubernetes.json",
                "expected a Kubernetes object or a v1 List, found a list",
            )],
        ),
        (
            "shape-kubernetes-json-items",
            vec![P(
                "kubernetes.json",
                "line 1, column 46: invalid type: map, expected a sequence",
            )],
        ),
        (
            "shape-kubernetes-json-nokind",
            vec![P(
                "kubernetes.json",
                "expected a Kubernetes object (with kind) or a v1 List (with items)",
            )],
        ),
        (
            "shape-kubernetes-yaml",
            vec![
                P(
                    "kubernetes.yaml",
                    "document 1: expected a Kubernetes object, found a list",
                ),
                P(
                    "kubernetes.yaml",
                    "document 2: expected a Kubernetes object, found a string",
                ),
            ],
        ),
        (
            "shape-items",
            vec![
                P(
                    "kubernetes.json",
                    "item 0: expected a Kubernetes object, found a number",
                ),
                P("kubernetes.json", "item 1: object without kind"),
                P(
                    "kubernetes.json",
                    "item 2: ServiceAccount no-ns without namespace",
                ),
                P(
                    "kubernetes.json",
                    "item 3: RoleBinding rb: RoleBinding rb without roleRef",
                ),
            ],
        ),
        (
            "shape-aws-auth",
            vec![P(
                "kubernetes-aws-auth.json",
                "item 0: ConfigMap aws-auth: line 1, column 127: invalid type: integer `42`, expected a string",
            )],
        ),
        (
            "shape-iam-string",
            vec![P(
                "iam.json",
                "expected the JSON object of get-account-authorization-details, found a string",
            )],
        ),
        (
            "shape-iam-nolists",
            vec![P(
                "iam.json",
                "expected get-account-authorization-details output (RoleDetailList, UserDetailList, GroupDetailList, Policies); none found",
            )],
        ),
        (
            "shape-iam-list-not-array",
            vec![P(
                "iam.json",
                "RoleDetailList: expected a list, found a mapping",
            )],
        ),
        (
            "shape-iam-items",
            vec![
                P(
                    "iam.json",
                    "RoleDetailList[0]: expected an object, found a string",
                ),
                P("iam.json", "RoleDetailList[1]: no Arn"),
                P(
                    "iam.json",
                    "RoleDetailList[2] (ok): AssumeRolePolicyDocument: document is a number, not an object or URL-encoded string",
                ),
                P(
                    "iam.json",
                    "RoleDetailList[2] (ok): inline policy p: no PolicyDocument",
                ),
                P(
                    "iam.json",
                    "RoleDetailList[2] (ok): inline policy q: document is not valid JSON: line 1, column 2: key must be a string",
                ),
            ],
        ),
        (
            "shape-oidc",
            vec![P(
                "iam-oidc-providers.json",
                "OpenIDConnectProviderList: expected a list, found a mapping",
            )],
        ),
        (
            "shape-oidc-list",
            vec![P(
                "iam-oidc-providers.json",
                "expected an object with OpenIDConnectProviderList (a list), found a list",
            )],
        ),
        (
            "shape-eks-cluster",
            vec![P(
                "eks-cluster.json",
                "cluster: expected an object (describe-cluster output is {\"cluster\": {…}}), found a list",
            )],
        ),
        (
            "shape-eks-cluster-noname",
            vec![P("eks-cluster.json", "cluster.name is missing")],
        ),
        (
            "shape-access-entries",
            vec![P(
                "eks-access-entries.json",
                "expected an object with accessEntries (a list), found a list",
            )],
        ),
        (
            "shape-pod-identity",
            vec![P(
                "eks-pod-identity-associations.json",
                "associations: expected a list, found a string",
            )],
        ),
        (
            "shape-sts",
            vec![P(
                "sts-caller-identity.json",
                "Account: expected a string, found a number",
            )],
        ),
        (
            "arns",
            vec![
                P(
                    "iam.json",
                    "RoleDetailList[0] (garbage-role): Arn: \"garbage\" is not an ARN: it needs six ':'-separated parts (arn:partition:service:region:account:resource)",
                ),
                P(
                    "iam.json",
                    "RoleDetailList[1] (r): Arn: \"arn:aws:iam::111122223333:role/has space\": role name \"has space\" is not valid (1-64 of letters, digits and +=,.@_-)",
                ),
                P(
                    "iam.json",
                    "UserDetailList[0] (u): Arn: \"arn:aws:iam::111122223333\" is not an ARN: it needs six ':'-separated parts (arn:partition:service:region:account:resource)",
                ),
                P(
                    "iam.json",
                    "Policies[0] (p): Arn: \"arn::iam::aws:policy/p\": partition \"\" is not an AWS partition (aws, aws-cn, aws-us-gov, …)",
                ),
                P(
                    "iam-oidc-providers.json",
                    "OpenIDConnectProviderList[0]: Arn: \"garbage-provider\" is not an ARN: it needs six ':'-separated parts (arn:partition:service:region:account:resource)",
                ),
                P(
                    "iam-oidc-providers.json",
                    "OpenIDConnectProviderList[1]: Arn \"arn:aws:iam::111122223333:role/not-a-provider\" is not an IAM OIDC provider ARN (arn:aws:iam::ACCOUNT:oidc-provider/HOST)",
                ),
                P(
                    "eks-access-entries.json",
                    "accessEntries[0]: principalArn: \"not-an-arn\" is not an ARN: it needs six ':'-separated parts (arn:partition:service:region:account:resource)",
                ),
                P(
                    "eks-pod-identity-associations.json",
                    "associations[0]: roleArn: \"arn:aws:iam::1:role/\": account \"1\" is not 12 digits",
                ),
            ],
        ),
    ]
}

#[test]
fn corpus_gives_the_exact_problem_for_each_file() {
    let cases = corpus();
    // Every directory of the corpus is listed (fuzz crashers are their own test).
    let mut dirs: Vec<String> = fs::read_dir(bad())
        .expect("corpus")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with("fuzz-"))
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = cases.iter().map(|(d, _)| d.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed, "corpus directories and cases differ");

    for (dir, want) in cases {
        let r = report(&bad().join(dir), &[]);
        let mut got = problems(&r);
        let mut want = want;
        got.sort();
        want.sort();
        assert_eq!(got, want, "{dir}");
        // The library says the same, from disk and from memory.
        let (inv, _) = snapshot::read_dir(&bad().join(dir), &ReadCheck).expect("readable");
        let mut lib: Vec<(String, String)> = inv
            .coverage
            .problems
            .iter()
            .map(|p| (p.source.clone(), p.detail.clone()))
            .collect();
        lib.sort();
        assert_eq!(lib, want, "{dir} via read_dir");
        let (mem, _) =
            snapshot::read_files(&mem_files(&bad().join(dir)), &ReadCheck).expect("readable");
        assert_eq!(
            mem.coverage.problems.len(),
            want.len(),
            "{dir} via read_files"
        );
    }
}

#[test]
fn a_bad_file_is_an_error_for_its_source_only() {
    let r = report(&bad().join("garbage-json"), &[]);
    assert_eq!(status(&r, "aws/iam"), "error");
    assert_eq!(status(&r, "aws/sts"), "ok");
    assert_eq!(r["source"]["account"], "111122223333");
    let r = report(&bad().join("truncated-json"), &[]);
    assert_eq!(status(&r, "kubernetes/serviceaccounts"), "error");
    let r = report(&bad().join("utf8-bom"), &[]);
    assert_eq!(status(&r, "aws/eks-access-entries"), "ok", "BOM is skipped");
}

#[test]
fn nothing_readable_exits_2_and_says_why_for_each_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (case, file) in [
        ("truncated-json", "kubernetes.json"),
        ("garbage-json", "iam.json"),
        ("invalid-utf8-json", "eks-cluster.json"),
        ("utf16-powershell", "iam.json"),
    ] {
        let to = if case == "utf16-powershell" {
            "iam-oidc-providers.json"
        } else {
            file
        };
        fs::copy(bad().join(case).join(file), dir.path().join(to)).expect("copy");
    }
    let out = iamscope(&[
        "audit",
        "--from",
        dir.path().to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    for line in [
        "nothing readable in ",
        "  kubernetes.json: line 2, column 73: EOF while parsing an object",
        "  iam.json: line 1, column 1: expected value",
        "  eks-cluster.json: line 3, column 18: not valid UTF-8",
        "  iam-oidc-providers.json: the file is UTF-16",
    ] {
        assert!(err.contains(line), "{line:?} not in {err}");
    }
    // The library error carries the same list.
    match snapshot::read_dir(dir.path(), &ReadCheck) {
        Err(SnapshotError::Unusable(_, problems)) => assert_eq!(problems.len(), 4),
        other => panic!("expected Unusable, got {:?}", other.map(|_| ())),
    }
    // A directory with no snapshot file at all says what it expected.
    let empty = tempfile::tempdir().expect("tempdir");
    fs::write(empty.path().join("notes.txt"), "x").expect("write");
    let out = iamscope(&["audit", "--from", empty.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected kubernetes.json, iam.json"));
}

// ------------------------------------------------------------ size, depth, aliases

/// Peak resident memory of a child, polled from /proc (Linux); `None` elsewhere.
fn run_measured(args: &[&str]) -> (Output, Duration, Option<u64>) {
    let exe = assert_cmd::cargo::cargo_bin("iamscope");
    let started = Instant::now();
    let mut child = std::process::Command::new(exe)
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || read_all(stdout));
    let err_t = std::thread::spawn(move || read_all(stderr));
    let mut peak: Option<u64> = None;
    loop {
        if let Ok(s) = fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = Some(peak.unwrap_or(0).max(kb * 1024));
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "iamscope did not finish in 120 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().expect("wait");
    let out = Output {
        status,
        stdout: out_t.join().expect("stdout"),
        stderr: err_t.join().expect("stderr"),
    };
    (out, started.elapsed(), peak)
}

fn read_all<R: std::io::Read>(mut r: R) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = r.read_to_end(&mut v);
    v
}

#[test]
fn a_200_mb_kubernetes_json_is_read_in_bounded_memory_and_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kubernetes.json");
    // A realistic large cluster: 100,000+ service accounts, each with an annotation of 1.8 kB.
    let pad = "x".repeat(1800);
    let mut text = String::with_capacity(210 << 20);
    text.push_str(r#"{"apiVersion":"v1","kind":"List","items":["#);
    let mut n = 0usize;
    while text.len() < 200 << 20 {
        if n > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#"{{"apiVersion":"v1","kind":"ServiceAccount","metadata":{{"name":"sa-{n}","namespace":"ns-{}","annotations":{{"pad":"{pad}"}}}}}}"#,
            n % 100
        ));
        n += 1;
    }
    text.push_str("]}");
    let size = text.len() as u64;
    fs::write(&path, text).expect("write 200 MB");
    let (out, took, peak) = run_measured(&[
        "audit",
        "--from",
        dir.path().to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("report");
    let sa = r["coverage"]["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == "kubernetes/serviceaccounts")
        .expect("sa coverage")
        .clone();
    assert_eq!(sa["count"], json!(n));
    // Debug build on a shared 2-core machine: generous, but not unbounded.
    assert!(took < Duration::from_secs(90), "took {took:?}");
    if let Some(peak) = peak {
        assert!(
            peak < 4 * size,
            "peak RSS {} MB for a {} MB file",
            peak >> 20,
            size >> 20
        );
    }
}

#[test]
fn a_200_mb_garbage_file_fails_fast_with_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 200 MB of whitespace, then garbage: the place is the last line.
    let mut text = "\n".repeat(200 << 20);
    text.push_str("  }");
    fs::write(dir.path().join("iam.json"), text).expect("write");
    let (out, took, peak) = run_measured(&["audit", "--from", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("iam.json: line 209715201, column 3: expected value"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
    if let Some(peak) = peak {
        assert!(peak < 800 << 20, "peak RSS {} MB", peak >> 20);
    }
}

fn deep_json(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn deep_yaml_flow(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn deep_yaml_block(depth: usize) -> String {
    // 10,000 levels of block indentation is 100 MB of spaces; 200 levels make the point.
    (0..depth)
        .map(|i| format!("{}a:\n", " ".repeat(i)))
        .collect()
}

#[test]
fn ten_thousand_deep_nesting_is_refused_with_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let obj_deep = format!(
        r#"{{"kind":"List","items":[{{"kind":"Namespace","metadata":{{"name":"a","labels":{}}}}}]}}"#,
        deep_json(10_000)
    );
    fs::write(d.join("kubernetes.json"), obj_deep).expect("write");
    fs::write(d.join("kubernetes-flow.yaml"), deep_yaml_flow(10_000)).expect("write");
    fs::write(d.join("kubernetes-block.yaml"), deep_yaml_block(200)).expect("write");
    fs::write(
        d.join("iam.json"),
        format!(r#"{{"RoleDetailList": {}}}"#, deep_json(10_000)),
    )
    .expect("write");
    // A URL-encoded policy document that is itself deep.
    let doc = deep_json(10_000).replace('[', "%5B").replace(']', "%5D");
    fs::write(
        d.join("iam-oidc-providers.json"),
        r#"{"OpenIDConnectProviderList": []}"#,
    )
    .expect("write");
    fs::write(
        d.join("eks-access-entries.json"),
        json!({"accessEntries": []}).to_string(),
    )
    .expect("write");
    let aws_auth = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "aws-auth", "namespace": "kube-system"},
        "data": {"mapRoles": deep_yaml_flow(10_000)}});
    fs::write(d.join("kubernetes-aws-auth.json"), aws_auth.to_string()).expect("write");
    let started = Instant::now();
    let r = report(d, &[]);
    assert!(started.elapsed() < Duration::from_secs(30));
    let mut got = problems(&r);
    got.sort();
    assert_eq!(
        got,
        vec![
            P("iam.json", "line 1, column 146: recursion limit exceeded"),
            // Read but not judged: coverage says so, not only AUTH-003.
            P(
                "kubernetes-aws-auth.json",
                "ConfigMap kube-system/aws-auth, data.mapRoles: cannot be parsed (line 1, column 256: recursion limit exceeded); none of its entries are read"
            ),
            P(
                "kubernetes-block.yaml",
                "line 65, column 65: budget breached: Depth { depth: 65 }: the YAML is nested more than 64 levels deep, expands aliases too far or is too large (at most 10000000 values are read; write a large cluster's snapshot as JSON, `-o json`)"
            ),
            P(
                "kubernetes-flow.yaml",
                "line 1, column 256: recursion limit exceeded"
            ),
            // The labels are read as a map first: the deep list is refused before recursing.
            P(
                "kubernetes.json",
                "item 0: line 1, column 52: invalid type: sequence, expected a map"
            ),
        ]
    );
    // The deep mapRoles is an AUTH-003 finding that says why.
    let f = findings(&r);
    assert!(
        f.iter()
            .any(|(rule, text)| rule == "AUTH-003" && text.contains("recursion limit exceeded")),
        "{f:?}"
    );
    // A deep URL-encoded document in a role is named where it is.
    fs::write(
        d.join("iam.json"),
        json!({"RoleDetailList": [{"RoleName": "deep", "Arn": "arn:aws:iam::111122223333:role/deep",
            "AssumeRolePolicyDocument": doc}]})
        .to_string(),
    )
    .expect("write");
    let r = report(d, &[]);
    assert!(
        problems(&r).contains(&P(
        "iam.json",
        "RoleDetailList[0] (deep): AssumeRolePolicyDocument: document is not valid JSON: line 1, column 128: recursion limit exceeded"
        )),
        "{:?}",
        problems(&r)
    );
}

/// Nine levels of nine aliases: 387,420,489 strings if expanded.
fn alias_bomb(indent: &str) -> String {
    let mut s = format!(
        "{indent}a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let (prev, name) = (w[0], w[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        s.push_str(&format!("{indent}{name}: &{name} [{refs}]\n"));
    }
    s
}

#[test]
fn yaml_alias_bombs_are_refused_quickly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(
        d.join("kubernetes.yaml"),
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bombed\nspec:\n{}",
            alias_bomb("  ")
        ),
    )
    .expect("write");
    fs::write(
        d.join("kubernetes-aws-auth.yaml"),
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n{}",
            alias_bomb("    ")
        ),
    )
    .expect("write");
    fs::write(
        d.join("sts-caller-identity.json"),
        r#"{"Account": "111122223333"}"#,
    )
    .expect("write");
    let started = Instant::now();
    let (out, took, peak) = run_measured(&[
        "audit",
        "--from",
        d.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        took < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    if let Some(peak) = peak {
        assert!(peak < 300 << 20, "peak RSS {} MB", peak >> 20);
    }
    let r: Value = serde_json::from_slice(&out.stdout).expect("report");
    let mut got = problems(&r);
    got.sort();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].0, "kubernetes.yaml");
    assert!(
        got[1]
            .1
            .starts_with("line 10, column 25: budget breached: Nodes {"),
        "{got:?}"
    );
    // mapRoles is a string inside the ConfigMap: its bomb goes off in the aws-auth parser.
    // None of its mappings are read, so coverage names the object and the key ...
    assert_eq!(got[0].0, "kubernetes-aws-auth.yaml");
    assert!(
        got[0].1.starts_with(
            "ConfigMap kube-system/aws-auth, data.mapRoles: cannot be parsed (line 5, column 23: budget breached: Nodes {"
        ) && got[0].1.ends_with("none of its entries are read"),
        "{got:?}"
    );
    // ... and AUTH-003 reports it as a finding with the reason.
    let f = findings(&r);
    assert!(
        f.iter()
            .any(|(rule, text)| rule == "AUTH-003" && text.contains("budget breached")),
        "{f:?}"
    );
    // The parser itself, directly.
    let a = iamscope::model::AwsAuth::parse(Some(&alias_bomb("")), None, None);
    assert_eq!(a.unparsable.len(), 1);
    assert!(a.unparsable[0].1.contains("budget breached"), "{a:?}");
}

// ------------------------------------------------------------ policy documents

fn with_role_policies(policies: Value, trust: Option<Value>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&scenario("guide-example"), dir.path());
    let path = dir.path().join("iam.json");
    let mut iam: Value = serde_json::from_slice(&fs::read(&path).expect("iam")).expect("json");
    let role = &mut iam["RoleDetailList"][0];
    assert_eq!(role["RoleName"], "talos");
    role["RolePolicyList"] = policies;
    if let Some(t) = trust {
        role["AssumeRolePolicyDocument"] = t;
    }
    fs::write(&path, iam.to_string()).expect("write");
    // The fixture files are read-only; the copies must stay writable for cleanup.
    dir
}

fn url_encode(v: &Value) -> Value {
    let s = v.to_string();
    Value::String(
        percent_encoding::utf8_percent_encode(&s, percent_encoding::NON_ALPHANUMERIC).to_string(),
    )
}

const TALOS: &str = "arn:aws:iam::210987654321:role/talos";

fn iam_rules_on_talos(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["subject"]["arn"] == TALOS && f["rule"] != "IAM-006")
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn every_odd_legal_policy_shape_reads_like_the_plain_one() {
    let admin_plain = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]});
    let base = report(
        with_role_policies(
            json!([{"PolicyName": "p", "PolicyDocument": admin_plain}]),
            None,
        )
        .path(),
        &[],
    );
    let want = iam_rules_on_talos(&base);
    assert!(want.contains(&"IAM-001".to_string()), "{want:?}");
    let shapes = [
        // Statement an object, Action and Resource strings.
        json!({"Version": "2012-10-17", "Statement":
            {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
        // Condition values of every scalar type and arrays, all satisfiable.
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "", "Effect": "Allow",
            "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": true},
                          "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                          "StringLike": {"aws:PrincipalTag/team": ["a", "b"]}}}]}),
        // Unknown top-level and statement fields, Id, old Version, lists with extras.
        json!({"Version": "2008-10-17", "Id": "x", "Extra": 1, "Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "*"], "Resource": ["arn:aws:s3:::x", "*"],
             "Comment": "x"}]}),
    ];
    for shape in shapes {
        for doc in [
            shape.clone(),
            url_encode(&shape),
            Value::String(shape.to_string()),
        ] {
            let d = with_role_policies(json!([{"PolicyName": "p", "PolicyDocument": doc}]), None);
            let r = report(d.path(), &[]);
            assert_eq!(problems(&r), vec![], "{doc}");
            assert!(
                iam_rules_on_talos(&r).contains(&"IAM-001".to_string()),
                "{doc}: {:?}",
                iam_rules_on_talos(&r)
            );
        }
    }
    // A NotResource leaves out what it names, even a bucket that may not exist:
    // "every action on every resource" (IAM-001) is no longer true (issue 14
    // item 7), the whole services and escalation it still grants are.
    let not_resource = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*",
        "NotResource": "arn:aws:s3:::does-not-exist-bucket-x/y"}});
    let d = with_role_policies(
        json!([{"PolicyName": "p", "PolicyDocument": not_resource}]),
        None,
    );
    let r = report(d.path(), &[]);
    assert_eq!(problems(&r), vec![], "{not_resource}");
    let rules = iam_rules_on_talos(&r);
    assert!(!rules.contains(&"IAM-001".to_string()), "{rules:?}");
    for rule in ["IAM-002", "IAM-003"] {
        assert!(rules.contains(&rule.to_string()), "{rule}: {rules:?}");
    }
    // Trust policies: Principal "*", NotPrincipal, Principal lists, URL-encoded: the
    // same findings whether URL-encoded or not.
    let fed = "arn:aws:iam::210987654321:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/9F8E7D6C5B4A39281706F5E4D3C2B1A0";
    let trusts = [
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*",
            "Action": "sts:AssumeRoleWithWebIdentity"}}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "sts:AssumeRoleWithWebIdentity"}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Federated": [fed], "AWS": "*", "Service": ["eks.amazonaws.com"]},
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            "Condition": {"StringLike": {"oidc.eks.us-west-2.amazonaws.com/id/9F8E7D6C5B4A39281706F5E4D3C2B1A0:sub": "system:serviceaccount:*"},
                          "Bool": {"aws:ViaAWSService": "false"}, "NumericEquals": {"x:y": 1}}}]}),
    ];
    for t in trusts {
        let plain = report(with_role_policies(json!([]), Some(t.clone())).path(), &[]);
        let enc = report(
            with_role_policies(json!([]), Some(url_encode(&t))).path(),
            &[],
        );
        assert_eq!(problems(&plain), vec![], "{t}");
        let rules = |r: &Value| -> Vec<String> {
            let mut v: Vec<String> = findings(r).into_iter().map(|(rule, _)| rule).collect();
            v.sort();
            v
        };
        assert_eq!(rules(&plain), rules(&enc), "{t}");
    }
}

#[test]
fn illegal_policy_documents_are_named_where_they_are() {
    let admin = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
    let bad = [
        (
            "stmt-string",
            json!({"Version": "2012-10-17", "Statement": "x"}),
        ),
        ("no-statement", json!({"Version": "2012-10-17"})),
        (
            "action-number",
            json!({"Statement": [{"Effect": "Allow", "Action": 5, "Resource": "*"}]}),
        ),
        (
            "effect-maybe",
            json!({"Statement": {"Effect": "Maybe", "Action": "*", "Resource": "*"}}),
        ),
        (
            "cond-object",
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:x": {"a": 1}}}}}),
        ),
        (
            "cond-null",
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": null}}}),
        ),
    ];
    let mut list = vec![json!({"PolicyName": "admin", "PolicyDocument": admin})];
    for (name, doc) in &bad {
        list.push(json!({"PolicyName": name, "PolicyDocument": doc}));
    }
    // Strings that are not documents are refused by the reader, with the policy's name.
    list.push(json!({"PolicyName": "url-garbage", "PolicyDocument": "%7B%22Statement%22%3A"}));
    list.push(json!({"PolicyName": "number", "PolicyDocument": 7}));
    list.push(json!({"PolicyName": "array-doc", "PolicyDocument": [1, 2]}));
    let d = with_role_policies(Value::Array(list), None);
    let r = report(d.path(), &[]);
    let mut got: Vec<_> = problems(&r)
        .into_iter()
        .filter(|p| !p.1.contains("cannot be evaluated"))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            P(
                "iam.json",
                "RoleDetailList[0] (talos): inline policy array-doc: document is a list, not an object or URL-encoded string"
            ),
            P(
                "iam.json",
                "RoleDetailList[0] (talos): inline policy number: document is a number, not an object or URL-encoded string"
            ),
            P(
                "iam.json",
                "RoleDetailList[0] (talos): inline policy url-garbage: document is not valid JSON: line 1, column 13: EOF while parsing a value"
            ),
        ]
    );
    // Documents that parse as JSON but that the evaluator refuses are problems too,
    // named with the statement and field.
    let evaluated = problems(&r);
    for (name, want) in [
        ("stmt-string", "\"Statement\" must be an object or an array"),
        ("no-statement", "no \"Statement\""),
        ("action-number", "Statement[0].Action"),
        ("effect-maybe", "Statement[0].Effect"),
        ("cond-object", "Statement[0].Condition.StringEquals.aws:x"),
        ("cond-null", "Statement[0].Condition.StringEquals"),
    ] {
        let prefix =
            format!("RoleDetailList[0] (talos): inline policy {name} cannot be evaluated: ");
        assert!(
            evaluated
                .iter()
                .any(|p| p.1.starts_with(&prefix) && p.1.contains(want)),
            "{name}: {evaluated:?}"
        );
    }
    // The rest are documents the evaluator refuses: the finding on the role says which
    // were not evaluated, by name.
    let admin_finding = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "IAM-001" && f["subject"]["arn"] == TALOS)
        .expect("IAM-001 from the admin policy")
        .to_string();
    for (name, _) in bad {
        assert!(
            admin_finding.contains(&format!("not evaluated: inline policy {name}: ")),
            "{name} not named in {admin_finding}"
        );
    }
}

#[test]
fn an_unparseable_policy_on_a_reachable_role_is_always_reported() {
    let d = with_role_policies(
        json!([{"PolicyName": "broken", "PolicyDocument": {"Statement": "x"}}]),
        None,
    );
    let r = report(d.path(), &[]);
    assert!(
        r.to_string().contains("inline policy broken"),
        "the unparseable policy is not mentioned anywhere"
    );
}

// ------------------------------------------------------------ ARNs in the rules

#[test]
fn malformed_arns_in_rule_inputs_are_findings_that_quote_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&scenario("guide-example"), dir.path());
    fs::write(
        dir.path().join("kubernetes-aws-auth.json"),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "aws-auth", "namespace": "kube-system"},
            "data": {
                "mapRoles": "- rolearn: arn:aws:iam:::role/no-account\n  username: x\n  groups: [team]\n- rolearn: 'arn:aws:iam::111122223333:role/a b'\n  username: y\n",
                "mapUsers": "- userarn: arn:aws:iam::111122223333:role/not-a-user\n  username: u\n- userarn: [1]\n  username: v\n"
            }})
        .to_string(),
    )
    .expect("write");
    let r = report(dir.path(), &[]);
    let text = r["findings"].to_string();
    for needle in [
        // The IRSA annotation of the scenario.
        r#"service \"I am\" is not a service name"#,
        // aws-auth entries.
        r#"rolearn \"arn:aws:iam:::role/no-account\": account \"\" is not 12 digits"#,
        r#"invalid rolearn: \"arn:aws:iam::111122223333:role/a b\""#,
        r#"userarn \"arn:aws:iam::111122223333:role/not-a-user\" is not an IAM user"#,
        "userarn is a list, not a string",
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
}

// ------------------------------------------------------------ apiserver flags

#[test]
fn odd_apiserver_flag_files_read_as_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(
        d.join("sts-caller-identity.json"),
        r#"{"Account": "111122223333"}"#,
    )
    .expect("write");
    // The API rules found, and the coverage problems (all on the flags file).
    let api_and_problems = |flags: &str| -> (Vec<String>, Vec<String>) {
        fs::write(d.join("kube-apiserver.flags"), flags).expect("write");
        let r = report(d, &[]);
        let problems: Vec<String> = problems(&r)
            .into_iter()
            .map(|(source, detail)| {
                assert_eq!(source, "kube-apiserver.flags", "{detail}");
                detail
            })
            .collect();
        let mut v: Vec<String> = findings(&r)
            .into_iter()
            .map(|(rule, _)| rule)
            .filter(|r| r.starts_with("API-"))
            .collect();
        v.sort();
        v.dedup();
        (v, problems)
    };
    let api = |flags: &str| -> Vec<String> {
        let (rules, problems) = api_and_problems(flags);
        assert_eq!(problems, Vec::<String>::new(), "{flags:?}");
        rules
    };
    let hardened = "--anonymous-auth=false\n--authorization-mode=Node,RBAC\n--client-ca-file=/etc/kubernetes/pki/ca.crt\n--service-account-key-file=/etc/kubernetes/pki/sa.pub\n--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt\n";
    assert_eq!(api(hardened), Vec::<String>::new());
    // The same flags in odd but legal spellings.
    let odd = [
        // CRLF line ends, blank lines, comments, indentation.
        hardened.replace('\n', "\r\n\r\n  "),
        // Unicode in unrelated values, a single-dash flag, `=`-less boolean flags.
        format!(
            "{hardened}--oidc-username-prefix=ユーザー:\n-v=2\n--profiling\n--allow-privileged\n"
        ),
    ];
    for text in &odd {
        assert_eq!(api(text), Vec::<String>::new(), "{text:?}");
    }
    // One command line with continuations, quotes and `--k v`: read as its author
    // meant it, but kube-apiserver (pflag) gives a boolean its value only after
    // `=`, so `--anonymous-auth false` leaves "false" as an argument it refuses.
    let (rules, problems) = api_and_problems(
        "kube-apiserver \\\n  --anonymous-auth false \\\n  --authorization-mode \"Node,RBAC\" \\\n  --client-ca-file='/etc/kubernetes/pki/ca.crt' \\\n  --service-account-key-file /etc/kubernetes/pki/sa.pub \\\n  --kubelet-certificate-authority=\"/etc/kubernetes/pki/ca.crt\"\n",
    );
    assert_eq!(rules, Vec::<String>::new());
    assert_eq!(
        problems,
        [
            "kube-apiserver.flags: argument 3 \"false\": a boolean takes its value only as --anonymous-auth=false; as a separate word it is not a flag, and kube-apiserver takes no positional arguments; kube-apiserver refuses to start with it (the audit reads the other arguments as written)"
        ]
    );
    // A bare `--anonymous-auth` means true; an unterminated quote takes the rest of the line.
    let bare = hardened.replace("--anonymous-auth=false", "--anonymous-auth");
    assert_eq!(api(&bare), vec!["API-001"]);
    let unterminated = hardened.replace(
        "--authorization-mode=Node,RBAC",
        "--authorization-mode=\"Node,RBAC --x",
    );
    assert_eq!(api(&unterminated), vec!["API-004"]);
    // Nothing but noise: every default applies, and each word that is not a
    // flag is named (the first word is taken for the program name).
    let (noise, problems) = api_and_problems("\n\n# nothing\n\u{feff}\u{200b} ---\n= =\n--=x\n");
    assert!(noise.contains(&"API-001".to_string()), "{noise:?}");
    let tail = "; kube-apiserver refuses to start with it (the audit reads the other arguments as written)";
    assert_eq!(
        problems,
        [
            format!(
                "kube-apiserver.flags: argument 2 \"---\": bad flag syntax: no flag name{tail}"
            ),
            format!(
                "kube-apiserver.flags: argument 3 \"=\": not a flag, and kube-apiserver takes no positional arguments{tail}"
            ),
            format!(
                "kube-apiserver.flags: argument 4 \"=\": not a flag, and kube-apiserver takes no positional arguments{tail}"
            ),
            format!(
                "kube-apiserver.flags: argument 5 \"--=x\": bad flag syntax: no flag name{tail}"
            ),
        ]
    );
}

// ------------------------------------------------------------ kubeconfigs

#[test]
fn kubeconfigs_with_missing_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(
        d.join("sts-caller-identity.json"),
        r#"{"Account": "111122223333"}"#,
    )
    .expect("write");
    let kc = tempfile::tempdir().expect("tempdir");
    let files = [
        ("empty", ""),
        ("no-lists", "apiVersion: v1\nkind: Config\n"),
        ("null-users", "users:\nclusters: ~\n"),
        (
            "nameless",
            "users:\n- user: {token: abc}\n- name: nouser\n- {}\nclusters:\n- cluster: {insecure-skip-tls-verify: true}\n- name: nocluster\n",
        ),
        ("wrong-types", "users: 5\nclusters: {a: b}\ncontexts: x\n"),
        ("a-list", "- a\n- b\n"),
        ("broken", "users:\n- name: x\n  user: {token: [\n"),
    ];
    let mut paths = Vec::new();
    for (name, text) in files {
        let p = kc.path().join(name);
        fs::write(&p, text).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        paths.push(p.to_str().expect("utf-8").to_string());
    }
    let missing = kc.path().join("does-not-exist");
    paths.push(missing.to_str().expect("utf-8").to_string());
    let list = paths.join(":");
    let r = report(d, &["--kubeconfig", &list]);
    let at = |n: &str| kc.path().join(n).to_str().expect("utf-8").to_string();
    let mut got = problems(&r);
    got.sort();
    let mut want = vec![
        (
            at("a-list"),
            "expected a kubeconfig mapping (apiVersion, clusters, users, contexts), found a list"
                .to_string(),
        ),
        (
            at("broken"),
            "line 3, column 17: unclosed bracket '['".to_string(),
        ),
        (
            at("does-not-exist"),
            "cannot read: No such file or directory (os error 2)".to_string(),
        ),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(status(&r, "kubeconfig"), "error");
    // The readable ones are audited: the nameless token user and insecure cluster are found,
    // named by their position.
    let text = r["findings"].to_string();
    assert!(text.contains("users[0]"), "{text}");
    assert!(text.contains("clusters[0]"), "{text}");
}

// ------------------------------------------------------------ fuzz crashers

/// Inputs the fuzzers found (tests/fixtures/bad/fuzz-*/): each directory is a
/// snapshot; reading and auditing it must not panic.
#[test]
fn fuzz_crashers_stay_fixed() {
    let mut n = 0;
    for e in fs::read_dir(bad()).expect("corpus") {
        let e = e.expect("entry");
        let name = e.file_name().into_string().expect("utf-8");
        if !name.starts_with("fuzz-") || !e.path().is_dir() {
            continue;
        }
        n += 1;
        if let Some((inv, _)) = snapshot::read_files(&mem_files(&e.path()), &ReadCheck) {
            let _ = iamscope::audit::run(&inv, &iamscope::audit::Options::default());
        }
        let _ = snapshot::read_dir(&e.path(), &ReadCheck);
    }
    // The count is informative; zero is fine when the fuzzers found nothing.
    eprintln!("{n} fuzz crasher directories replayed");
}

/// The library on a thread with a small (1 MiB) stack: the depth limits are
/// low enough that no input at the limit overflows it, in debug builds too.
#[test]
fn inputs_at_the_depth_limits_fit_a_small_stack() {
    let names = [
        "kubernetes.json",
        "kubernetes.yaml",
        "iam.json",
        "iam-oidc-providers.json",
        "eks-cluster.json",
        "eks-access-entries.json",
        "eks-pod-identity-associations.json",
        "sts-caller-identity.json",
    ];
    let mut inputs = Vec::new();
    for depth in [60, 63, 64, 65, 126, 127, 128, 129, 10_000] {
        for name in names {
            let text = if name.ends_with(".yaml") {
                if depth <= 200 {
                    deep_yaml_block(depth)
                } else {
                    deep_yaml_flow(depth)
                }
            } else {
                format!(
                    r#"{{"kind":"List","items":[{{"kind":"Namespace","metadata":{{"name":"a"}},"x":{}}}], "RoleDetailList":[{{"Arn":"arn:aws:iam::111122223333:role/a","AssumeRolePolicyDocument":{}}}]}}"#,
                    deep_json(depth),
                    deep_json(depth)
                )
            };
            inputs.push((name, text));
        }
    }
    let t = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            for (name, text) in inputs {
                let files = MemFiles(BTreeMap::from([(name.to_string(), text.into_bytes())]));
                if let Some((inv, _)) = snapshot::read_files(&files, &ReadCheck) {
                    let _ = iamscope::audit::run(&inv, &iamscope::audit::Options::default());
                }
            }
            let deep = deep_yaml_block(64);
            let _ = iamscope::model::AwsAuth::parse(Some(&deep), Some(&deep), Some(&deep));
        })
        .expect("spawn");
    t.join().expect("no stack overflow, no panic");
}

#[test]
fn apiserver_arguments_that_are_not_flags_are_named_and_the_rest_is_judged() {
    // kube-apiserver refuses each of these (pflag's syntax, its "does not take any
    // arguments" check, at least one authorization mode, a NUL no exec can pass):
    // each is a coverage problem naming the pod and the argument, the other flags
    // are judged, and the findings that rest on one say so.
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(
        d.join("sts-caller-identity.json"),
        r#"{"Account": "111122223333"}"#,
    )
    .expect("write");
    let command = [
        "kube-apiserver",
        "--anonymous-auth",
        "=false",
        "--authorization-mode=",
        "--token-auth-file=/etc/kubernetes/tokens.csv",
        "-",
        "--=",
        "--client-ca-file=/etc/kubernetes/pki/ca.crt\u{0}",
        "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
        "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
        "--",
        "--profiling",
        "--",
    ];
    let pod = json!({"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp-1", "namespace": "kube-system", "labels": {"component": "kube-apiserver"}},
        "spec": {"containers": [{"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.31.2", "command": command}]}}]});
    fs::write(d.join("kubernetes.json"), pod.to_string()).expect("write");
    let r = report(d, &[]);
    let tail = "; kube-apiserver refuses to start with it (the audit reads the other arguments as written)";
    let positional = "not a flag, and kube-apiserver takes no positional arguments";
    let want: Vec<(String, String)> = [
        format!("argument 3 \"=false\": {positional}"),
        "argument 4 \"--authorization-mode=\": no authorization mode: kube-apiserver requires at least one and exits".to_string(),
        format!("argument 6 \"-\": a lone `-` is {positional}"),
        "argument 7 \"--=\": bad flag syntax: no flag name".to_string(),
        "argument 8 \"--client-ca-file=/etc/kubernetes/pki/ca.crt\\0\": holds a NUL byte, which no command line can carry (the container runtime cannot start it as written)".to_string(),
        "argument 11 \"--\": `--` ends the flags: kube-apiserver reads every word after it as a positional argument, and takes none".to_string(),
    ]
    .into_iter()
    .map(|p| P("kubernetes.json", &format!("pod kube-system/kube-apiserver-cp-1: {p}{tail}")))
    .chain([P(
        "kubernetes.json",
        "pod kube-system/kube-apiserver-cp-1: argument 13 \"--\": `--` ends the flags, and nothing follows it; kube-apiserver ignores it",
    )])
    .collect();
    assert_eq!(problems(&r), want);
    assert_eq!(status(&r, "apiserver/flags"), "ok");
    let api: Vec<&Value> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"].as_str().is_some_and(|x| x.starts_with("API-")))
        .collect();
    let evidence = |rule: &str| -> Vec<String> {
        api.iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule} missing: {api:?}"))["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .map(|e| e.as_str().unwrap_or_default().to_string())
            .collect()
    };
    // `--anonymous-auth =false`: read as a bare --anonymous-auth, i.e. true.
    assert!(
        evidence("API-001").contains(&format!("kube-apiserver would refuse argument 3 \"=false\": {positional} and not start with this command line; this finding reads it as written")),
        "{:?}",
        evidence("API-001")
    );
    let api004 = evidence("API-004");
    assert!(
        api004.iter().any(|e| e.starts_with(
            "kube-apiserver would refuse argument 4 \"--authorization-mode=\": no authorization mode"
        )),
        "{api004:?}"
    );
    // Findings drawn from what remains are still reported, and say nothing of refusals.
    let api002 = evidence("API-002");
    assert!(!api002.iter().any(|e| e.contains("refuse")), "{api002:?}");
    let mut rules: Vec<&str> = api.iter().filter_map(|f| f["rule"].as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    assert_eq!(rules, ["API-001", "API-002", "API-004"]);
}
