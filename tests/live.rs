//! Live collection against real peers: a Kubernetes API (kmock, over TLS) and
//! an AWS endpoint (moto), both seeded from the demo snapshot and started by
//! tests/support/peers.py on free loopback ports. Install them first with
//! `scripts/peers.sh` (a `.venv/` at the repository root).
//!
//! What is proven: a live audit gives the findings of the snapshot a user would
//! make of the same state with kubectl and the aws CLI; `snapshot DIR` then
//! `audit --from DIR` round-trips; only reads reach the peers, one paginated
//! LIST per kind; Secrets come as metadata only and their data never lands
//! anywhere; a forbidden kind, an IAM AccessDenied and a cluster that is not
//! EKS give partial results with the right coverage. Faults injected by the
//! peers (`--fault`: 5xx, 429 and IAM Throttling with and without Retry-After,
//! connection resets, truncated bodies, an expired continue token, stalled
//! answers) are retried as far as it makes sense, then reported as `error`
//! coverage without losing the rest; the request logs prove the attempts.
//! Running in a pod (in-cluster config, no kubeconfig) works too.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

const CANARY: &str = "LIVE-CANARY-secret-data-must-not-leak";
const PAGE_SIZE: usize = 20;
const EKS_PAGE: usize = 4;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    let p = repo().join(".venv/bin/python");
    assert!(
        p.exists(),
        "the live-test peers are not installed: run scripts/peers.sh (it creates .venv/ with moto[server]==5.2.5 and kmock==0.8), then cargo test"
    );
    p
}

/// Running peers; killed on drop, also when a test panics.
struct Peers {
    child: Child,
    dir: tempfile::TempDir,
    ready: Value,
}

impl Drop for Peers {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peers {
    fn start(args: &[&str]) -> Peers {
        let python = python();
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        let log = fs::File::create(dir.path().join("peers.log")).unwrap();
        let child = Command::new(python)
            .arg(repo().join("tests/support/peers.py"))
            .arg("--seed")
            .arg(repo().join("assets/demo"))
            .arg("--run")
            .arg(&run)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start tests/support/peers.py");
        let mut peers = Peers {
            child,
            dir,
            ready: Value::Null,
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        let ready = run.join("ready.json");
        while !ready.exists() {
            if let Ok(Some(status)) = peers.child.try_wait() {
                panic!(
                    "the peers exited ({status}) before they were ready:\n{}",
                    peers.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the peers were not ready within 90 s:\n{}",
                peers.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        peers.ready = serde_json::from_str(&fs::read_to_string(&ready).unwrap()).unwrap();
        peers.write_kubeconfigs();
        peers
    }

    fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = fs::File::open(self.dir.path().join("peers.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn get(&self, key: &str) -> String {
        self.ready[key].as_str().unwrap_or_default().to_string()
    }

    /// Two files, merged as KUBECONFIG does: clusters and users in the first,
    /// contexts in the second. Context `eks` authenticates with an exec
    /// plugin that looks like `aws eks get-token --cluster-name prod-eks`;
    /// context `kind-test` with a static token and names no EKS cluster.
    fn write_kubeconfigs(&self) {
        let a = format!(
            r#"apiVersion: v1
kind: Config
clusters:
- name: test-apiserver
  cluster:
    server: {server}
    certificate-authority: {ca}
users:
- name: eks-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: {python}
      args: [{script}, eks, get-token, --cluster-name, prod-eks, --region, us-east-1]
      interactiveMode: Never
- name: static-user
  user:
    token: iamscope-test-token
"#,
            server = self.get("kube_url"),
            ca = self.get("ca"),
            python = python().display(),
            script = repo().join("tests/support/get_token.py").display(),
        );
        let b = r#"apiVersion: v1
kind: Config
current-context: eks
contexts:
- name: eks
  context: {cluster: test-apiserver, user: eks-user}
- name: kind-test
  context: {cluster: test-apiserver, user: static-user}
"#;
        write_private(&self.path("kubeconfig-a"), &a);
        write_private(&self.path("kubeconfig-b"), b);
    }

    fn kubeconfig_list(&self) -> String {
        format!(
            "{}:{}",
            self.path("kubeconfig-a").display(),
            self.path("kubeconfig-b").display()
        )
    }

    /// iamscope, pointed at the peers only: no user config, no real credentials.
    fn iamscope(&self) -> Command {
        let mut cmd = Command::cargo_bin("iamscope").unwrap();
        let home = self.path("home");
        fs::create_dir_all(&home).unwrap();
        for var in [
            "KUBECONFIG",
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_SESSION_TOKEN",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "KUBERNETES_SERVICE_HOST",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", &home)
            .env("AWS_CONFIG_FILE", home.join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL", self.get("aws_url"))
            .env("IAMSCOPE_PAGE_SIZE", PAGE_SIZE.to_string())
            .env("IAMSCOPE_TIMEOUT_SECS", "60")
            .env("RUST_LOG", "warn");
        cmd
    }

    fn requests(&self, file: &str) -> Vec<Value> {
        let text = fs::read_to_string(self.dir.path().join("run").join(file)).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn write_private(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Run to completion within a time limit; stdout as JSON.
fn run_json(mut cmd: Command, what: &str) -> Value {
    let out = run(&mut cmd, what);
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{what}: stdout is not JSON ({e})"))
}

fn run(cmd: &mut Command, what: &str) -> Vec<u8> {
    // assert_cmd reads both pipes while it waits, and kills at the time limit.
    let std = std::mem::replace(cmd, Command::new("true"));
    let out = assert_cmd::Command::from_std(std)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run iamscope: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}; killed after 120 s if no code):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn coverage(report: &Value) -> BTreeMap<String, (String, String)> {
    report["coverage"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap().to_string(),
                (
                    s["status"].as_str().unwrap().to_string(),
                    s["detail"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

fn status_of(report: &Value, source: &str) -> String {
    coverage(report)
        .get(source)
        .map(|s| s.0.clone())
        .unwrap_or_else(|| panic!("no coverage entry for {source}"))
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

/// A short description of the first differences between two finding lists.
fn diff(a: &[Value], b: &[Value]) -> String {
    let key = |f: &Value| format!("{} {}", f["rule"], f["subject"]);
    let ka: Vec<String> = a.iter().map(key).collect();
    let kb: Vec<String> = b.iter().map(key).collect();
    let only_a: Vec<&String> = ka.iter().filter(|k| !kb.contains(k)).take(5).collect();
    let only_b: Vec<&String> = kb.iter().filter(|k| !ka.contains(k)).take(5).collect();
    let changed: Vec<String> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x != y)
        .take(2)
        .map(|(x, y)| {
            let fields: Vec<String> = x
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, v)| y.get(k.as_str()) != Some(*v))
                .map(|(k, v)| format!("{k}: {v}\n   vs {}", y[k.as_str()]))
                .collect();
            format!("{} {}: {}", x["rule"], x["subject"], fields.join("; "))
        })
        .collect();
    format!(
        "{} vs {} findings; only in first: {only_a:?}; only in second: {only_b:?}; first changed: {changed:?}",
        a.len(),
        b.len()
    )
}

/// Findings with the words of each evidence line sorted: lists of roles in
/// evidence follow the order of the IAM input, which ListRoles does not share
/// with GetAccountAuthorizationDetails.
fn normalized(findings: &[Value]) -> Vec<Value> {
    findings
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if let Some(ev) = f["evidence"].as_array_mut() {
                for line in ev.iter_mut() {
                    let text = line.as_str().unwrap_or_default();
                    let mut words: Vec<&str> = text
                        .split(|c: char| c.is_whitespace() || c == ',')
                        .filter(|w| !w.is_empty())
                        .collect();
                    words.sort_unstable();
                    *line = Value::String(words.join(" "));
                }
            }
            f
        })
        .collect()
}

fn count_items(dir: &Path, file: &str, kind: &str) -> usize {
    let v: Value = serde_json::from_str(&fs::read_to_string(dir.join(file)).unwrap()).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == kind)
        .count()
}

const KINDS: [(&str, &str); 16] = [
    ("namespaces", "Namespace"),
    ("serviceaccounts", "ServiceAccount"),
    ("pods", "Pod"),
    ("deployments", "Deployment"),
    ("daemonsets", "DaemonSet"),
    ("statefulsets", "StatefulSet"),
    ("replicasets", "ReplicaSet"),
    ("jobs", "Job"),
    ("cronjobs", "CronJob"),
    ("roles", "Role"),
    ("rolebindings", "RoleBinding"),
    ("clusterroles", "ClusterRole"),
    ("clusterrolebindings", "ClusterRoleBinding"),
    ("nodes", "Node"),
    ("ec2nodeclasses", "EC2NodeClass"),
    ("nodepools", "NodePool"),
];

fn plural_of(path: &str) -> String {
    path.rsplit('/').next().unwrap_or_default().to_string()
}

#[test]
fn live_audit_equals_snapshot_of_same_state_and_is_read_only() {
    let peers = Peers::start(&[]);
    let reference = peers.dir.path().join("run/reference");

    // Live audit, context from --context, kubeconfig merged from two files.
    let mut cmd = peers.iamscope();
    cmd.args([
        "audit",
        "--format",
        "json",
        "--context",
        "eks",
        "--kubeconfig",
    ])
    .arg(peers.kubeconfig_list());
    let live = run_json(cmd, "live audit");
    let kube_log = peers.requests("kube-requests.jsonl");
    let aws_log = peers.requests("aws-requests.jsonl");

    assert_eq!(live["source"]["mode"], "live");
    assert_eq!(live["source"]["cluster"], "prod-eks");
    assert_eq!(live["source"]["account"], "111122223333");
    for (source, (status, detail)) in coverage(&live) {
        if source == "apiserver/flags" {
            assert_eq!(status, "not-observable", "{source}: {detail}");
        } else {
            assert_eq!(status, "ok", "{source}: {detail}");
        }
    }
    assert!(!findings(&live).is_empty());
    // The node side, through moto's EC2 and EKS node groups and kmock's nodes
    // and Karpenter objects: the demo's permissive group is found live.
    let has = |rule: &str, key: &str, value: &str| {
        findings(&live)
            .iter()
            .any(|f| f["rule"] == rule && f["subject"][key] == value)
    };
    assert!(has(
        "NODE-001",
        "arn",
        "arn:aws:iam::111122223333:role/prod-eks-legacy-batch-node-role"
    ));
    assert!(has("NODE-002", "name", "legacy-batch"));
    assert!(!has(
        "NODE-001",
        "arn",
        "arn:aws:iam::111122223333:role/KarpenterNodeRole-prod-eks"
    ));

    // The same state as kubectl and the aws CLI would snapshot it.
    let mut cmd = peers.iamscope();
    cmd.args(["audit", "--format", "json", "--from"])
        .arg(&reference)
        .arg("--kubeconfig")
        .arg(peers.kubeconfig_list());
    let by_reference = run_json(cmd, "audit of the reference snapshot");
    assert_eq!(
        findings(&live),
        findings(&by_reference),
        "live vs reference: {}",
        diff(findings(&live), findings(&by_reference))
    );
    assert_eq!(live["summary"], by_reference["summary"]);

    // snapshot DIR, then audit --from DIR.
    let snap = peers.path("snap");
    let mut cmd = peers.iamscope();
    cmd.args(["snapshot"])
        .arg(&snap)
        .args(["--context", "eks", "--kubeconfig"])
        .arg(peers.kubeconfig_list());
    run(&mut cmd, "snapshot");
    let mut cmd = peers.iamscope();
    cmd.args(["audit", "--format", "json", "--from"])
        .arg(&snap)
        .arg("--kubeconfig")
        .arg(peers.kubeconfig_list());
    let by_snapshot = run_json(cmd, "audit --from the written snapshot");
    assert_eq!(
        findings(&live),
        findings(&by_snapshot),
        "live vs snapshot: {}",
        diff(findings(&live), findings(&by_snapshot))
    );
    assert_eq!(by_snapshot["source"]["mode"], "snapshot");

    // The snapshot: private, complete, and without Secret data.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&snap), 0o700, "snapshot directory mode");
        for e in fs::read_dir(&snap).unwrap() {
            let p = e.unwrap().path();
            assert_eq!(mode(&p), 0o600, "{} mode", p.display());
        }
    }
    for name in [
        "kubernetes.json",
        "kubernetes-aws-auth.json",
        "kubernetes-secrets.json",
        "iam.json",
        "iam-oidc-providers.json",
        "eks-cluster.json",
        "eks-access-entries.json",
        "eks-pod-identity-associations.json",
        "sts-caller-identity.json",
        "ec2-instances.json",
        "eks-nodegroups.json",
        "ec2-launch-template-versions.json",
    ] {
        assert!(snap.join(name).is_file(), "{name} not written");
    }
    let canary_b64 = "TElWRS1DQU5BUlktc2VjcmV0LWRhdGEtbXVzdC1ub3QtbGVhaw==";
    for e in fs::read_dir(&snap).unwrap() {
        let p = e.unwrap().path();
        let text = fs::read_to_string(&p).unwrap();
        assert!(
            !text.contains(CANARY) && !text.contains(canary_b64),
            "Secret data leaked into {}",
            p.display()
        );
    }
    let secrets: Value =
        serde_json::from_str(&fs::read_to_string(snap.join("kubernetes-secrets.json")).unwrap())
            .unwrap();
    let secrets = secrets["items"].as_array().unwrap();
    assert!(
        secrets
            .iter()
            .any(|s| s["metadata"]["name"] == "canary-token")
    );
    for s in secrets {
        let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "type"], "{s}");
        assert_eq!(s["type"], "kubernetes.io/service-account-token");
    }
    let kube_items: Value =
        serde_json::from_str(&fs::read_to_string(snap.join("kubernetes.json")).unwrap()).unwrap();
    for item in kube_items["items"].as_array().unwrap() {
        assert!(
            item["apiVersion"].is_string() && item["kind"].is_string(),
            "{item}"
        );
    }

    // Read-only, one paginated LIST per kind (of the live audit's requests).
    assert!(!kube_log.is_empty());
    for r in &kube_log {
        assert_eq!(r["method"], "GET", "a non-read request: {r}");
        assert!(r["query"]["watch"].is_null(), "a watch: {r}");
    }
    for (plural, kind) in KINDS {
        let n = count_items(&reference, "kubernetes.json", kind);
        let pages: Vec<&Value> = kube_log
            .iter()
            .filter(|r| plural_of(r["path"].as_str().unwrap()) == plural)
            .collect();
        assert_eq!(
            pages.len(),
            n.div_ceil(PAGE_SIZE).max(1),
            "{plural}: {n} objects should take that many pages of {PAGE_SIZE}"
        );
        for (i, p) in pages.iter().enumerate() {
            assert_eq!(p["query"]["limit"], PAGE_SIZE.to_string(), "{p}");
            assert_eq!(p["query"]["continue"].is_string(), i > 0, "{p}");
            let path = p["path"].as_str().unwrap();
            assert!(
                !path.contains("/namespaces/") || plural == "namespaces",
                "not cluster-wide: {p}"
            );
        }
    }
    let secret_lists: Vec<&Value> = kube_log
        .iter()
        .filter(|r| r["path"] == "/api/v1/secrets")
        .collect();
    assert_eq!(secret_lists.len(), 1);
    assert_eq!(
        secret_lists[0]["query"]["fieldSelector"],
        "type=kubernetes.io/service-account-token"
    );
    assert!(
        secret_lists[0]["accept"]
            .as_str()
            .unwrap()
            .contains("as=PartialObjectMetadataList"),
        "secrets must be listed as metadata only: {}",
        secret_lists[0]
    );
    let gets: Vec<&str> = kube_log
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .filter(|p| p.contains("/configmaps"))
        .collect();
    assert_eq!(gets, ["/api/v1/namespaces/kube-system/configmaps/aws-auth"]);
    // One short probe (GET /version) before the lists, then nothing else.
    assert_eq!(kube_log[0]["path"], "/version", "{}", kube_log[0]);
    assert_eq!(
        kube_log.iter().filter(|r| r["path"] == "/version").count(),
        1
    );
    assert_eq!(
        kube_log.len(),
        KINDS
            .iter()
            .map(|(_, k)| count_items(&reference, "kubernetes.json", k)
                .div_ceil(PAGE_SIZE)
                .max(1))
            .sum::<usize>()
            + 3
    );

    let mut actions: BTreeMap<String, usize> = BTreeMap::new();
    for r in &aws_log {
        let a = r["action"].as_str().unwrap_or("?");
        assert!(
            a.starts_with("Get") || a.starts_with("List") || a.starts_with("Describe"),
            "a non-read AWS call: {r}"
        );
        *actions
            .entry(format!("{}:{a}", r["service"].as_str().unwrap()))
            .or_default() += 1;
    }
    let len = |file: &str, key: &str| -> usize {
        let v: Value =
            serde_json::from_str(&fs::read_to_string(reference.join(file)).unwrap()).unwrap();
        v.pointer(key).and_then(Value::as_array).map_or(0, Vec::len)
    };
    let entries = len("eks-access-entries.json", "/accessEntries");
    let assocs = len("eks-pod-identity-associations.json", "/associations");
    let providers = len("iam-oidc-providers.json", "/OpenIDConnectProviderList");
    let nodegroups = len("eks-nodegroups.json", "/nodegroups");
    let templates = len(
        "ec2-launch-template-versions.json",
        "/LaunchTemplateVersions",
    );
    let want: BTreeMap<String, usize> = [
        ("sts:GetCallerIdentity", 1),
        ("iam:GetAccountAuthorizationDetails", 1),
        ("iam:ListOpenIDConnectProviders", 1),
        ("iam:GetOpenIDConnectProvider", providers),
        ("eks:DescribeCluster", 1),
        ("eks:ListAccessEntries", entries.div_ceil(EKS_PAGE)),
        ("eks:DescribeAccessEntry", entries),
        ("eks:ListAssociatedAccessPolicies", entries),
        ("eks:ListPodIdentityAssociations", assocs.div_ceil(EKS_PAGE)),
        ("eks:DescribePodIdentityAssociation", assocs),
        ("eks:ListNodegroups", 1),
        ("eks:DescribeNodegroup", nodegroups),
        ("ec2:DescribeInstances", 1),
        ("ec2:DescribeLaunchTemplateVersions", templates),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(actions, want, "AWS calls of one live audit");
    eprintln!(
        "live audit: {} Kubernetes requests, AWS calls {actions:?}, {} findings",
        kube_log.len(),
        findings(&live).len()
    );
}

#[test]
fn forbidden_kinds_denied_iam_and_a_cluster_that_is_not_eks() {
    let peers = Peers::start(&[
        "--forbid",
        "clusterrolebindings",
        "--forbid",
        "secrets",
        "--deny",
        "iam:GetAccountAuthorizationDetails",
        "--deny",
        "iam:ListUsers",
    ]);
    // KUBECONFIG with several files, as kubectl reads it.
    let mut cmd = peers.iamscope();
    cmd.env("KUBECONFIG", peers.kubeconfig_list())
        .args(["audit", "--format", "json"]);
    let report = run_json(cmd, "live audit with forbidden kinds");
    let cov = coverage(&report);
    let (status, detail) = &cov["kubernetes/clusterrolebindings"];
    assert_eq!(status, "forbidden", "{detail}");
    assert!(
        detail.contains("403") && detail.contains("clusterrolebindings"),
        "{detail}"
    );
    assert_eq!(cov["kubernetes/secrets"].0, "forbidden");
    for source in [
        "kubernetes/pods",
        "kubernetes/clusterroles",
        "kubernetes/aws-auth",
        "aws/eks-cluster",
    ] {
        assert_eq!(cov[source].0, "ok", "{source}: {}", cov[source].1);
    }
    let (status, detail) = &cov["aws/iam"];
    assert_eq!(status, "forbidden", "{detail}");
    assert!(
        detail.contains("GetAccountAuthorizationDetails") && detail.contains("ListUsers"),
        "{detail}"
    );
    // The rest is still audited.
    assert!(!findings(&report).is_empty());
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["rule"].as_str().unwrap().starts_with("IRSA")),
        "IRSA findings are still made from the roles that could be read"
    );

    // The snapshot says what it lacks.
    let snap = peers.path("snap");
    let mut cmd = peers.iamscope();
    cmd.env("KUBECONFIG", peers.kubeconfig_list())
        .arg("snapshot")
        .arg(&snap);
    run(&mut cmd, "snapshot with forbidden kinds");
    assert!(!snap.join("kubernetes-secrets.json").exists());
    let notes = fs::read_to_string(snap.join("iamscope-coverage.json")).unwrap();
    assert!(notes.contains("kubernetes/clusterrolebindings") && notes.contains("forbidden"));

    // A cluster that is not EKS: no exec plugin, no EKS endpoint or ARN.
    let mut cmd = peers.iamscope();
    cmd.args([
        "audit",
        "--format",
        "json",
        "--context",
        "kind-test",
        "--kubeconfig",
    ])
    .arg(peers.kubeconfig_list());
    let report = run_json(cmd, "live audit of a cluster that is not EKS");
    for source in [
        "aws/eks-cluster",
        "aws/eks-access-entries",
        "aws/eks-pod-identity-associations",
    ] {
        assert_eq!(status_of(&report, source), "not-observable", "{source}");
    }
    assert_eq!(status_of(&report, "kubernetes/pods"), "ok");
    assert_eq!(status_of(&report, "aws/sts"), "ok");

    // An EKS cluster name that the account does not have.
    let mut cmd = peers.iamscope();
    cmd.args([
        "audit",
        "--format",
        "json",
        "--context",
        "kind-test",
        "--cluster-name",
        "nope",
        "--region",
        "us-east-1",
        "--kubeconfig",
    ])
    .arg(peers.kubeconfig_list());
    let report = run_json(cmd, "live audit with an unknown cluster name");
    let cov = coverage(&report);
    assert_eq!(
        cov["aws/eks-cluster"].0, "missing",
        "{}",
        cov["aws/eks-cluster"].1
    );
    assert!(cov["aws/eks-cluster"].1.contains("nope"));

    for r in peers.requests("kube-requests.jsonl") {
        assert_eq!(r["method"], "GET", "{r}");
    }
}

#[test]
fn iam_fallback_when_authorization_details_are_denied() {
    let peers = Peers::start(&["--deny", "iam:GetAccountAuthorizationDetails"]);
    let mut cmd = peers.iamscope();
    cmd.args(["audit", "--format", "json", "--kubeconfig"])
        .arg(peers.kubeconfig_list());
    let live = run_json(cmd, "live audit with GetAccountAuthorizationDetails denied");
    let cov = coverage(&live);
    let (status, detail) = &cov["aws/iam"];
    assert_eq!(status, "ok", "{detail}");
    assert!(
        detail.contains("AccessDenied") && detail.contains("ListRoles"),
        "{detail}"
    );

    let mut cmd = peers.iamscope();
    cmd.args(["audit", "--format", "json", "--from"])
        .arg(peers.dir.path().join("run/reference"))
        .arg("--kubeconfig")
        .arg(peers.kubeconfig_list());
    let reference = run_json(cmd, "audit of the reference snapshot");
    // ListRoles returns roles in another order than GetAccountAuthorizationDetails,
    // and some evidence lists roles in inventory order: compare the lists' items.
    let (a, b) = (
        normalized(findings(&live)),
        normalized(findings(&reference)),
    );
    assert_eq!(a, b, "fallback vs reference: {}", diff(&a, &b));
    let mut per_action: BTreeMap<String, usize> = BTreeMap::new();
    for r in peers.requests("aws-requests.jsonl") {
        let a = r["action"].as_str().unwrap().to_string();
        assert!(
            a.starts_with("Get") || a.starts_with("List") || a.starts_with("Describe"),
            "{r}"
        );
        *per_action.entry(a).or_default() += 1;
    }
    assert_eq!(per_action["GetAccountAuthorizationDetails"], 1);
    assert_eq!(per_action["ListRoles"], 1);
    assert_eq!(per_action["GetRole"], 43, "{per_action:?}");
    assert_eq!(per_action["ListInstanceProfiles"], 1, "{per_action:?}");
}

/// Requests of a log, grouped: Kubernetes by plural, AWS by action.
fn per_key(log: &[Value], key: impl Fn(&Value) -> String) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in log {
        out.entry(key(r)).or_default().push(r.clone());
    }
    out
}

fn kube_by_plural(peers: &Peers) -> BTreeMap<String, Vec<Value>> {
    per_key(&peers.requests("kube-requests.jsonl"), |r| {
        plural_of(r["path"].as_str().unwrap())
    })
}

fn aws_by_action(peers: &Peers) -> BTreeMap<String, Vec<Value>> {
    per_key(&peers.requests("aws-requests.jsonl"), |r| {
        r["action"].as_str().unwrap_or("?").to_string()
    })
}

/// The faults each request got, in order (`-` for none).
fn faults_of(requests: &[Value]) -> Vec<String> {
    requests
        .iter()
        .map(|r| r["fault"].as_str().unwrap_or("-").to_string())
        .collect()
}

#[test]
fn transient_faults_are_retried_and_exhausted_ones_reported() {
    let peers = Peers::start(&[
        // Kubernetes: each kind gets its own fault.
        "--fault=k8s:namespaces:500:2",
        "--fault=k8s:deployments:429:1:retry-after=1",
        "--fault=k8s:replicasets:429:2",
        "--fault=k8s:statefulsets:reset:2",
        "--fault=k8s:daemonsets:503:10",
        "--fault=k8s:jobs:malformed:1",
        "--fault=k8s:pods:expire:1",
        "--fault=k8s:serviceaccounts:expire:2",
        // AWS.
        "--fault=aws:sts:GetCallerIdentity:reset:1",
        "--fault=aws:iam:GetAccountAuthorizationDetails:Throttling:2",
        "--fault=aws:iam:ListOpenIDConnectProviders:500:1:retry-after=1",
        "--fault=aws:eks:DescribeCluster:malformed:1",
        "--fault=aws:eks:ListPodIdentityAssociations:503:10",
    ]);
    let started = Instant::now();
    let mut cmd = peers.iamscope();
    cmd.args(["audit", "--format", "json", "--kubeconfig"])
        .arg(peers.kubeconfig_list());
    let report = run_json(cmd, "live audit with injected faults");
    let took = started.elapsed();
    let cov = coverage(&report);
    let kube = kube_by_plural(&peers);
    let aws = aws_by_action(&peers);
    let reference = peers.dir.path().join("run/reference");
    let attempts = |m: &BTreeMap<String, Vec<Value>>, k: &str| faults_of(&m[k]);

    // Retried, then complete.
    assert_eq!(attempts(&kube, "namespaces"), ["500", "500", "-"]);
    assert_eq!(attempts(&kube, "deployments"), ["429", "-", "-"]);
    let d = &kube["deployments"];
    let waited = d[1]["t"].as_f64().unwrap() - d[0]["t"].as_f64().unwrap();
    assert!(waited >= 0.9, "Retry-After: 1 not honoured: {waited:.3}s");
    assert_eq!(attempts(&kube, "replicasets"), ["429", "429", "-", "-"]);
    assert_eq!(attempts(&kube, "statefulsets"), ["reset", "reset", "-"]);
    // An expired continue token: the list starts over once, from the first page.
    let pods = &kube["pods"];
    assert_eq!(attempts(&kube, "pods"), ["-", "expire", "-", "-", "-", "-"]);
    assert!(pods[2]["query"]["continue"].is_null(), "{}", pods[2]);
    for source in [
        "kubernetes/namespaces",
        "kubernetes/deployments",
        "kubernetes/replicasets",
        "kubernetes/statefulsets",
        "kubernetes/pods",
        "kubernetes/clusterroles",
        "kubernetes/aws-auth",
        "aws/sts",
        "aws/iam",
        "aws/oidc-providers",
        "aws/eks-access-entries",
    ] {
        assert_eq!(cov[source].0, "ok", "{source}: {}", cov[source].1);
    }
    let counts: BTreeMap<String, u64> = report["coverage"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| Some((s["source"].as_str()?.to_string(), s["count"].as_u64()?)))
        .collect();
    for (source, kind) in [
        ("kubernetes/pods", "Pod"),
        ("kubernetes/namespaces", "Namespace"),
        ("kubernetes/replicasets", "ReplicaSet"),
    ] {
        assert_eq!(
            counts[source] as usize,
            count_items(&reference, "kubernetes.json", kind),
            "{source}: nothing lost nor doubled by the retries and the restart"
        );
    }

    // Exhausted or not worth retrying: an error that says why; the rest is kept.
    assert_eq!(attempts(&kube, "daemonsets"), ["503"; 5]);
    let (status, detail) = &cov["kubernetes/daemonsets"];
    assert_eq!(status, "error", "{detail}");
    assert!(
        detail.contains("503") && detail.contains("after 5 attempts"),
        "{detail}"
    );
    assert_eq!(attempts(&kube, "jobs"), ["malformed"]);
    let (status, detail) = &cov["kubernetes/jobs"];
    assert_eq!(status, "error", "{detail}");
    assert!(detail.contains("not the JSON expected"), "{detail}");
    assert_eq!(
        attempts(&kube, "serviceaccounts"),
        ["-", "expire", "-", "expire"]
    );
    let (status, detail) = &cov["kubernetes/serviceaccounts"];
    assert_eq!(status, "error", "{detail}");
    assert!(
        detail.contains("410") && detail.contains("after starting over"),
        "{detail}"
    );

    // AWS: the SDK's standard retry.
    assert_eq!(attempts(&aws, "GetCallerIdentity"), ["reset", "-"]);
    assert_eq!(
        attempts(&aws, "GetAccountAuthorizationDetails"),
        ["Throttling", "Throttling", "-"]
    );
    assert_eq!(attempts(&aws, "ListOpenIDConnectProviders"), ["500", "-"]);
    let o = &aws["ListOpenIDConnectProviders"];
    let waited = o[1]["t"].as_f64().unwrap() - o[0]["t"].as_f64().unwrap();
    assert!(
        waited >= 0.9,
        "x-amz-retry-after: 1000 not honoured: {waited:.3}s"
    );
    assert_eq!(attempts(&aws, "ListPodIdentityAssociations"), ["503"; 5]);
    let (status, detail) = &cov["aws/eks-pod-identity-associations"];
    assert_eq!(status, "error", "{detail}");
    assert!(
        detail.contains("ServiceUnavailable") && detail.contains("5 attempts"),
        "{detail}"
    );
    // A body that cannot be parsed is not retried (neither does the SDK): an error.
    assert_eq!(attempts(&aws, "DescribeCluster"), ["malformed"]);
    let (status, detail) = &cov["aws/eks-cluster"];
    assert_eq!(status, "error", "{detail}");
    assert!(detail.contains("could not be read"), "{detail}");

    assert!(!findings(&report).is_empty());
    assert!(took < Duration::from_secs(60), "took {took:?}");
    for (source, (status, detail)) in &cov {
        if status == "error" {
            eprintln!("{source}: {detail}");
        }
    }
    eprintln!(
        "faults: kubernetes {:?}; aws {:?}; {took:?}",
        kube.iter()
            .map(|(k, v)| (k.clone(), faults_of(v)))
            .collect::<BTreeMap<_, _>>(),
        aws.iter()
            .map(|(k, v)| (k.clone(), faults_of(v)))
            .collect::<BTreeMap<_, _>>()
    );
}

#[test]
fn retries_are_reported_on_stderr_as_they_back_off() {
    // A user waiting on a throttled or failing source sees why nothing moves:
    // each back-off is a "retrying" line on standard error (also when it is not
    // a terminal), from our Kubernetes retry loop and from the AWS SDK's.
    let peers = Peers::start(&[
        "--fault=k8s:namespaces:503:2",
        "--fault=aws:iam:ListOpenIDConnectProviders:500:1",
    ]);
    let mut cmd = peers.iamscope();
    cmd.args(["audit", "--format", "json", "--kubeconfig"])
        .arg(peers.kubeconfig_list());
    let out = assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run iamscope");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(status_of(&report, "kubernetes/namespaces"), "ok");
    assert_eq!(status_of(&report, "aws/oidc-providers"), "ok");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let retries: Vec<&str> = stderr.lines().filter(|l| l.contains("retrying")).collect();
    for attempt in [1, 2] {
        assert!(
            retries.iter().any(
                |l| l.starts_with("iamscope: kubernetes/namespaces: retrying in ")
                    && l.contains(&format!("(attempt {attempt} of 5: 503"))
            ),
            "attempt {attempt}: {retries:?}"
        );
    }
    assert!(
        retries.contains(
            &"iamscope: aws/oidc-providers: retrying (attempt 1 of 5: iam:ListOpenIDConnectProviders HTTP 500)"
        ),
        "{retries:?}"
    );
    // Only the failed attempts, no other source.
    assert_eq!(retries.len(), 3, "{retries:?}");
}

#[test]
fn slow_answers_are_retried_then_time_out_without_a_hang() {
    const TIMEOUT: u64 = 4;
    let peers = Peers::start(&[
        "--slow-secs=30",
        // Stalled once: the attempt times out (a third of the source's time) and is retried.
        "--fault=k8s:roles:slow:1",
        "--fault=aws:eks:DescribeCluster:slow:1",
        // Stalled for good: the source's time runs out.
        "--fault=k8s:pods:slow:100",
        "--fault=aws:iam:GetAccountAuthorizationDetails:slow:100",
    ]);
    let started = Instant::now();
    let mut cmd = peers.iamscope();
    cmd.env("IAMSCOPE_TIMEOUT_SECS", TIMEOUT.to_string())
        .args(["audit", "--format", "json", "--kubeconfig"])
        .arg(peers.kubeconfig_list());
    let report = run_json(cmd, "live audit with slow answers");
    let took = started.elapsed();
    let cov = coverage(&report);
    let kube = kube_by_plural(&peers);
    let aws = aws_by_action(&peers);

    assert_eq!(faults_of(&kube["roles"]), ["slow", "-"]);
    assert_eq!(
        cov["kubernetes/roles"].0, "ok",
        "{}",
        cov["kubernetes/roles"].1
    );
    assert_eq!(faults_of(&aws["DescribeCluster"]), ["slow", "-"]);
    assert_eq!(
        cov["aws/eks-cluster"].0, "ok",
        "{}",
        cov["aws/eks-cluster"].1
    );

    let pods = faults_of(&kube["pods"]);
    assert!(
        (2..=5).contains(&pods.len()) && pods.iter().all(|f| f == "slow"),
        "{pods:?}"
    );
    let (status, detail) = &cov["kubernetes/pods"];
    assert_eq!(status, "error", "{detail}");
    assert!(
        detail.contains("no answer within") && detail.contains("IAMSCOPE_TIMEOUT_SECS"),
        "{detail}"
    );
    let (status, detail) = &cov["aws/iam"];
    assert_eq!(status, "error", "{detail}");
    assert!(detail.contains("no answer"), "{detail}");
    assert!(aws["GetAccountAuthorizationDetails"].len() >= 2);
    for source in [
        "kubernetes/namespaces",
        "kubernetes/clusterroles",
        "aws/sts",
    ] {
        assert_eq!(cov[source].0, "ok", "{source}: {}", cov[source].1);
    }
    // Bounded by the per-source time, not by the peers' 30 s stalls.
    assert!(
        took < Duration::from_secs(TIMEOUT + 10),
        "a slow source held the audit for {took:?}"
    );
    eprintln!(
        "slow: pods {pods:?}, GetAccountAuthorizationDetails {:?}, audit took {took:?}",
        faults_of(&aws["GetAccountAuthorizationDetails"])
    );
}

#[test]
fn eks_cluster_found_by_its_endpoint_when_nothing_names_it() {
    // The kubeconfig's context `kind-test` names no cluster (static token, no
    // ARN, no exec plugin); its server is the endpoint of prod-eks, one of two
    // clusters of the account. Without --cluster-name, the EKS sources are read.
    let peers = Peers::start(&["--endpoint-is-kube"]);
    let mut cmd = peers.iamscope();
    cmd.args([
        "audit",
        "--format",
        "json",
        "--context",
        "kind-test",
        "--region",
        "us-east-1",
        "--kubeconfig",
    ])
    .arg(peers.kubeconfig_list());
    let report = run_json(cmd, "live audit of a cluster named only by its endpoint");
    let cov = coverage(&report);
    for source in [
        "aws/eks-cluster",
        "aws/eks-access-entries",
        "aws/eks-pod-identity-associations",
    ] {
        assert_eq!(cov[source].0, "ok", "{source}: {}", cov[source].1);
    }
    assert_eq!(report["source"]["cluster"], "prod-eks");
    // EKS findings come from it: the demo's public endpoint open to 0.0.0.0/0.
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["rule"] == "AUTH-006" && f["subject"]["name"] == "prod-eks"),
        "{:?}",
        findings(&report)
    );
    // Found with read-only calls: one ListClusters, a DescribeCluster per cluster.
    let aws = aws_by_action(&peers);
    assert_eq!(aws["ListClusters"].len(), 1);
    let described: Vec<&str> = aws["DescribeCluster"]
        .iter()
        .map(|r| r["path"].as_str().unwrap_or_default())
        .collect();
    assert!(
        described.contains(&"/clusters/staging-eks") && described.contains(&"/clusters/prod-eks"),
        "{described:?}"
    );
    for r in peers.requests("aws-requests.jsonl") {
        let action = r["action"].as_str().unwrap_or_default();
        assert!(
            ["Get", "List", "Describe"]
                .iter()
                .any(|p| action.starts_with(p)),
            "{r}"
        );
    }

    // Without a region to look in, the old advice stands: name the cluster.
    let mut cmd = peers.iamscope();
    cmd.args([
        "audit",
        "--format",
        "json",
        "--context",
        "kind-test",
        "--kubeconfig",
    ])
    .arg(peers.kubeconfig_list());
    let report = run_json(cmd, "live audit without a region");
    let (status, detail) = &coverage(&report)["aws/eks-cluster"];
    assert_eq!(status, "not-observable", "{detail}");
    assert!(detail.contains("--cluster-name"), "{detail}");
}

/// A TCP listener on loopback that accepts connections and never answers
/// (not even the TLS handshake), as a hung API server or a black-holing proxy.
/// It holds what it accepted until dropped.
struct Frozen {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Frozen {
    fn start() -> Frozen {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => held.push(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Frozen { port, stop }
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn an_api_server_that_never_answers_is_reported_at_once() {
    // Before the probe, each kind waited for its own time: about 9 minutes with
    // the defaults. Now one GET /version (10 s) tells, and the AWS side is
    // still audited.
    let peers = Peers::start(&[]);
    let frozen = Frozen::start();
    let kubeconfig = peers.path("kubeconfig-frozen");
    write_private(
        &kubeconfig,
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: frozen\ncontexts:\n- name: frozen\n  context: {{cluster: frozen, user: u}}\nclusters:\n- name: frozen\n  cluster: {{server: \"https://127.0.0.1:{}\", certificate-authority: {}}}\nusers:\n- name: u\n  user: {{token: iamscope-test-token}}\n",
            frozen.port,
            peers.get("ca")
        ),
    );
    let started = Instant::now();
    let mut cmd = peers.iamscope();
    // The default per-source time: the probe, not it, must bound the wait.
    cmd.env_remove("IAMSCOPE_TIMEOUT_SECS")
        .args([
            "audit",
            "--format",
            "json",
            "--cluster-name",
            "prod-eks",
            "--region",
            "us-east-1",
            "--kubeconfig",
        ])
        .arg(&kubeconfig);
    let report = run_json(cmd, "live audit of an API server that never answers");
    let took = started.elapsed();
    let cov = coverage(&report);
    for source in KINDS
        .iter()
        .map(|(plural, _)| format!("kubernetes/{plural}"))
        .chain([
            "kubernetes/aws-auth".to_string(),
            "kubernetes/secrets".to_string(),
        ])
        // Karpenter's kinds are only reported when listed (or when Karpenter runs).
        .filter(|s| s != "kubernetes/ec2nodeclasses" && s != "kubernetes/nodepools")
    {
        let (status, detail) = &cov[&source];
        assert_eq!(status, "error", "{source}: {detail}");
        assert!(
            detail.starts_with(&format!(
                "the API server at https://127.0.0.1:{} does not answer: GET /version got no answer within 10s, so nothing was listed",
                frozen.port
            )),
            "{source}: {detail}"
        );
    }
    assert_eq!(
        cov["aws/eks-cluster"].0, "ok",
        "{}",
        cov["aws/eks-cluster"].1
    );
    assert!(
        findings(&report).iter().any(|f| f["rule"] == "AUTH-006"),
        "the AWS side is still audited"
    );
    assert!(
        took < Duration::from_secs(30),
        "a frozen API server held the audit for {took:?}"
    );
    eprintln!("frozen API server reported after {took:?}");
}

/// The service-account directory of a pod, made for one test and removed after
/// it (also on panic): only what did not exist before is removed.
struct ServiceAccountDir {
    created: PathBuf,
}

impl Drop for ServiceAccountDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.created);
    }
}

const SA_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

impl ServiceAccountDir {
    /// `None` (with the reason) when the directory exists already or cannot be made.
    fn create(ca: &Path, token: &str) -> Result<ServiceAccountDir, String> {
        let dir = Path::new(SA_DIR);
        if dir.exists() {
            return Err(format!(
                "{SA_DIR} exists already (a real pod, or another test run): not overwriting it"
            ));
        }
        // The topmost directory this test creates, removed afterwards.
        let mut created = dir.to_path_buf();
        while let Some(parent) = created.parent() {
            if parent.exists() {
                break;
            }
            created = parent.to_path_buf();
        }
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {SA_DIR}: {e}"))?;
        let guard = ServiceAccountDir { created };
        fs::copy(ca, dir.join("ca.crt")).map_err(|e| format!("cannot write ca.crt: {e}"))?;
        write_private(&dir.join("token"), token);
        fs::write(dir.join("namespace"), "default").map_err(|e| e.to_string())?;
        Ok(guard)
    }
}

#[test]
fn in_cluster_config_without_a_kubeconfig() {
    let peers = Peers::start(&[]);
    let sa = match ServiceAccountDir::create(Path::new(&peers.get("ca")), &peers.get("token")) {
        Ok(sa) => sa,
        Err(why) => {
            eprintln!("SKIPPED in_cluster_config_without_a_kubeconfig: {why}");
            return;
        }
    };
    let url = peers.get("kube_url");
    let (host, port) = url.trim_start_matches("https://").rsplit_once(':').unwrap();
    // No kubeconfig anywhere: HOME is an empty directory, KUBECONFIG unset.
    let mut cmd = peers.iamscope();
    cmd.env("KUBERNETES_SERVICE_HOST", host)
        .env("KUBERNETES_SERVICE_PORT", port)
        .args(["audit", "--format", "json"]);
    let report = run_json(cmd, "live audit in a pod");
    drop(sa);
    assert!(!Path::new(SA_DIR).exists(), "{SA_DIR} left behind");

    let cov = coverage(&report);
    for source in [
        "kubernetes/pods",
        "kubernetes/clusterrolebindings",
        "kubernetes/aws-auth",
        "kubernetes/secrets",
        "aws/sts",
    ] {
        assert_eq!(cov[source].0, "ok", "{source}: {}", cov[source].1);
    }
    let (status, detail) = &cov["kubeconfig"];
    assert_eq!(status, "missing", "{detail}");
    assert!(detail.contains("in-cluster"), "{detail}");
    // The service account's token authenticated every request (the peer answers 401 otherwise).
    let log = peers.requests("kube-requests.jsonl");
    assert!(log.iter().any(|r| r["path"] == "/api/v1/pods"));
    assert!(!findings(&report).is_empty());
}
