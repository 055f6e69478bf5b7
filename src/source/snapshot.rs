//! The snapshot directory of `spec/snapshot.md`: plain `kubectl` / `aws` outputs.
//!
//! Every file is optional. A missing file becomes a `missing` coverage entry, a
//! file that cannot be read or has the wrong shape an `error` entry plus a
//! problem naming the file and place; nothing else is lost. Secrets are read for
//! metadata and type only: their `data` is skipped by the deserializer and
//! never stored.

use crate::hashing::HashSet;
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::model::{
    AccessEntry, AccessPolicyAssociation, ApiServerFlags, AttachedPolicy, AwsAuth, Container,
    EksCluster, IamGroup, IamInventory, IamRole, IamUser, InlinePolicy, Inventory, LabelSelector,
    LabelSelectorRequirement, ManagedPolicy, Mode, Namespace, OidcProvider, Pod,
    PodIdentityAssociation, PolicyRule, RbacBinding, RbacRole, RbacSubject, RoleRef, SecretMeta,
    ServiceAccount, Status, Workload,
};

/// Files larger than this are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// The Kubernetes kinds the standard `kubectl get …` of the snapshot lists, with their coverage names.
pub const KUBE_KINDS: [(&str, &str); 13] = [
    ("Namespace", "kubernetes/namespaces"),
    ("ServiceAccount", "kubernetes/serviceaccounts"),
    ("Pod", "kubernetes/pods"),
    ("Deployment", "kubernetes/deployments"),
    ("DaemonSet", "kubernetes/daemonsets"),
    ("StatefulSet", "kubernetes/statefulsets"),
    ("ReplicaSet", "kubernetes/replicasets"),
    ("Job", "kubernetes/jobs"),
    ("CronJob", "kubernetes/cronjobs"),
    ("Role", "kubernetes/roles"),
    ("RoleBinding", "kubernetes/rolebindings"),
    ("ClusterRole", "kubernetes/clusterroles"),
    ("ClusterRoleBinding", "kubernetes/clusterrolebindings"),
];

pub const SRC_AWS_AUTH: &str = "kubernetes/aws-auth";
pub const SRC_SECRETS: &str = "kubernetes/secrets";
pub const SRC_IAM: &str = "aws/iam";
pub const SRC_OIDC: &str = "aws/oidc-providers";
pub const SRC_EKS: &str = "aws/eks-cluster";
pub const SRC_ACCESS: &str = "aws/eks-access-entries";
pub const SRC_PODID: &str = "aws/eks-pod-identity-associations";
pub const SRC_STS: &str = "aws/sts";
pub const SRC_APISERVER: &str = "apiserver/flags";
pub const SRC_NODES: &str = "kubernetes/nodes";
pub const SRC_NODECLASSES: &str = "kubernetes/ec2nodeclasses";
pub const SRC_EC2: &str = "aws/ec2-instances";
pub const SRC_NODEGROUPS: &str = "aws/eks-nodegroups";
pub const SRC_LAUNCH_TEMPLATES: &str = "aws/ec2-launch-template-versions";
pub const EC2_FILE: &str = "ec2-instances.json";
pub const NODEGROUPS_FILE: &str = "eks-nodegroups.json";
pub const LAUNCH_TEMPLATES_FILE: &str = "ec2-launch-template-versions.json";

#[derive(Debug)]
pub enum SnapshotError {
    NotADirectory(PathBuf),
    Unreadable(PathBuf, String),
    Empty(PathBuf),
    /// Snapshot files were there but none could be read: each file and why.
    Unusable(PathBuf, Vec<(String, String)>),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::NotADirectory(p) => write!(
                f,
                "{} is not a snapshot directory (it does not exist or is not a directory); make one with the commands in the README, or `iamscope snapshot DIR`",
                p.display()
            ),
            SnapshotError::Unreadable(p, e) => {
                write!(f, "cannot read snapshot directory {}: {e}", p.display())
            }
            SnapshotError::Empty(p) => write!(
                f,
                "nothing readable in {}: expected kubernetes.json, iam.json, eks-cluster.json or the other files of a snapshot (see the README)",
                p.display()
            ),
            SnapshotError::Unusable(p, problems) => {
                write!(f, "nothing readable in {}:", p.display())?;
                for (file, detail) in problems {
                    write!(f, "\n  {file}: {detail}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SnapshotError {}

/// The files of a snapshot: a directory on disk, or the same outputs held in
/// memory (what the live sources fetched, before `snapshot DIR` writes them).
pub trait Files: Sync {
    /// File names, sorted.
    fn names(&self) -> Vec<String>;
    fn load(&self, name: &str) -> Loaded;
    /// The file as a stream of bytes, for reading a large file piece by piece;
    /// `None` when it cannot be opened (`load` then says why).
    fn open(&self, name: &str) -> Option<Box<dyn Read + '_>>;
}

/// A snapshot directory.
pub struct DirFiles(pub PathBuf);

impl Files for DirFiles {
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| e.path().is_file())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    fn load(&self, name: &str) -> Loaded {
        load(&self.0.join(name))
    }

    fn open(&self, name: &str) -> Option<Box<dyn Read + '_>> {
        let f = fs::File::open(self.0.join(name)).ok()?;
        // What `load` refuses is not streamed either: it says why.
        (f.metadata().ok()?.len() <= MAX_FILE_BYTES).then(|| Box::new(f) as Box<dyn Read>)
    }
}

/// Snapshot files held in memory, by name.
#[derive(Debug, Clone, Default)]
pub struct MemFiles(pub BTreeMap<String, Vec<u8>>);

impl Files for MemFiles {
    fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    fn load(&self, name: &str) -> Loaded {
        match self.0.get(name) {
            None => Loaded::Missing,
            Some(bytes) => text_of(bytes.clone()),
        }
    }

    fn open(&self, name: &str) -> Option<Box<dyn Read + '_>> {
        self.0
            .get(name)
            .map(|b| Box::new(b.as_slice()) as Box<dyn Read>)
    }
}

/// Read a snapshot directory into an inventory.
pub fn read_dir(dir: &Path) -> Result<Inventory, SnapshotError> {
    if !dir.is_dir() {
        return Err(SnapshotError::NotADirectory(dir.to_path_buf()));
    }
    fs::read_dir(dir).map_err(|e| SnapshotError::Unreadable(dir.to_path_buf(), e.to_string()))?;
    let (inv, readable) = read_counted(&DirFiles(dir.to_path_buf()));
    if readable > 0 {
        Ok(inv)
    } else if inv.coverage.problems.is_empty() {
        Err(SnapshotError::Empty(dir.to_path_buf()))
    } else {
        // Say why each file was refused: the coverage that would have said so is never printed.
        Err(SnapshotError::Unusable(
            dir.to_path_buf(),
            inv.coverage
                .problems
                .into_iter()
                .map(|p| (p.source, p.detail))
                .collect(),
        ))
    }
}

/// Read snapshot files into an inventory; `None` when not one file was readable.
pub fn read_files(files: &dyn Files) -> Option<Inventory> {
    let (inv, readable) = read_counted(files);
    (readable > 0).then_some(inv)
}

/// The inventory and how many files parsed.
fn read_counted(files: &dyn Files) -> (Inventory, usize) {
    let names = files.names();
    let mut r = Reader {
        files,
        inv: Inventory {
            mode: Mode::Snapshot,
            ..Inventory::default()
        },
        seen_keys: HashSet::default(),
        readable: 0,
    };
    // iam.json is parsed on another thread while the Kubernetes files are read
    // (those are streamed: the two together hold less than either file's size).
    let started = std::time::Instant::now();
    // The file is loaded and its documents are checked on that thread too
    // (document problems are reported last, as before).
    let iam_done = || {
        let t = std::time::Instant::now();
        let done = IamDone::of(Parsed::of(files.load(IAM_FILE)));
        tracing::debug!("parsed {IAM_FILE} in {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let checked = match &done {
            IamDone::Read(IamOutcome::Read(iam, _)) => super::document_problems(iam),
            _ => (Vec::new(), Vec::new()),
        };
        tracing::debug!("checked policy documents in {:?}", t.elapsed());
        (done, checked)
    };
    let document_problems = std::thread::scope(|s| {
        let iam = s.spawn(iam_done);
        r.read_kubernetes(&names);
        let (iam, (problems, trusts)) = iam
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        r.read_iam(iam);
        r.inv.parsed_trusts = trusts;
        problems
    });
    tracing::debug!("read Kubernetes and IAM files in {:?}", started.elapsed());
    r.read_oidc();
    r.read_eks_cluster();
    r.read_access_entries();
    r.read_pod_identity();
    r.read_ec2_instances();
    r.read_nodegroups();
    r.read_launch_templates();
    r.read_sts();
    r.read_apiserver_flags();
    r.read_collection_notes();
    for detail in crate::graph::imds::coverage_gaps(&r.inv) {
        r.inv.coverage.problem("nodes", detail);
    }
    for detail in document_problems {
        r.inv.coverage.problem(IAM_FILE, detail);
    }
    (r.inv, r.readable)
}

const IAM_FILE: &str = "iam.json";

/// A JSON file as loaded, then parsed when it had text.
enum Parsed {
    Loaded(Loaded),
    Value(Result<Value, serde_json::Error>),
}

impl Parsed {
    fn of(l: Loaded) -> Parsed {
        Parsed::Loaded(l)
    }

    /// Parse the text, unless it is empty (which is reported as such).
    fn parse(self) -> Parsed {
        match self {
            Parsed::Loaded(Loaded::Text(t)) if !t.trim().is_empty() => {
                Parsed::Value(serde_json::from_str::<Value>(&t))
            }
            other => other,
        }
    }
}

struct Reader<'f> {
    files: &'f dyn Files,
    inv: Inventory,
    /// (kind, namespace, name) already read, so merged files may overlap.
    seen_keys: HashSet<(String, String, String)>,
    /// Files that parsed.
    readable: usize,
}

/// A file's text, or why it could not be had.
pub enum Loaded {
    Missing,
    Failed(String),
    Text(String),
}

fn load(path: &Path) -> Loaded {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e) => return Loaded::Failed(format!("cannot read: {e}")),
    };
    if meta.len() > MAX_FILE_BYTES {
        return Loaded::Failed(format!(
            "file is {} bytes, more than the {} bytes iamscope reads",
            meta.len(),
            MAX_FILE_BYTES
        ));
    }
    match fs::read(path) {
        Err(e) => Loaded::Failed(format!("cannot read: {e}")),
        Ok(bytes) => text_of(bytes),
    }
}

fn text_of(mut bytes: Vec<u8>) -> Loaded {
    // Windows tools write a byte-order mark: skip UTF-8's, and name UTF-16
    // (PowerShell 5's `>`) rather than report its second byte as bad UTF-8.
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    } else if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Loaded::Failed(
            "the file is UTF-16 (as PowerShell's `>` writes it), not UTF-8: write it with `| Out-File -Encoding utf8` or convert it".to_string(),
        );
    }
    match String::from_utf8(bytes) {
        Ok(s) => Loaded::Text(s),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let (line, col) = line_col(&e.into_bytes(), at);
            Loaded::Failed(format!("line {line}, column {col}: not valid UTF-8"))
        }
    }
}

fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; say it first, as editors do.
    match msg.rsplit_once(" at line ") {
        Some((what, at)) => match at.split_once(" column ") {
            Some((l, c)) => format!("line {l}, column {c}: {what}"),
            None => msg,
        },
        None => msg,
    }
}

fn type_of(v: &Value) -> &'static str {
    crate::model::awsauth::type_name(v)
}

impl Reader<'_> {
    /// Load a JSON file as a Value, recording coverage for `source` on failure.
    fn json_file(&mut self, name: &str, source: &str) -> Option<Value> {
        let loaded = Parsed::of(self.files.load(name));
        self.json_parsed(name, source, loaded)
    }

    /// Coverage and the value of a JSON file loaded (and perhaps parsed) elsewhere.
    fn json_parsed(&mut self, name: &str, source: &str, parsed: Parsed) -> Option<Value> {
        let loaded = match parsed {
            Parsed::Value(Ok(v)) => {
                self.readable += 1;
                return Some(v);
            }
            Parsed::Value(Err(e)) => return self.fail(name, source, json_error(&e)),
            Parsed::Loaded(l) => l,
        };
        match loaded {
            Loaded::Missing => {
                self.inv.coverage.set(
                    source,
                    Status::Missing,
                    None,
                    Some(format!("{name} not in snapshot")),
                );
                None
            }
            Loaded::Failed(e) => self.fail(name, source, e),
            Loaded::Text(t) if t.trim().is_empty() => {
                self.fail(name, source, "the file is empty".to_string())
            }
            Loaded::Text(t) => match serde_json::from_str::<Value>(&t) {
                Ok(v) => {
                    self.readable += 1;
                    Some(v)
                }
                Err(e) => self.fail(name, source, json_error(&e)),
            },
        }
    }

    fn fail(&mut self, name: &str, source: &str, detail: String) -> Option<Value> {
        self.inv.coverage.problem(name, detail.clone());
        self.inv.coverage.set(
            source,
            Status::Error,
            None,
            Some(format!("{name}: {detail}")),
        );
        None
    }

    fn shape_error(&mut self, name: &str, source: &str, want: &str, got: &Value) {
        let detail = format!("expected {want}, found a {}", type_of(got));
        self.fail(name, source, detail);
    }

    /// `top[key]` should be a list (or object): say so about the field when the top level is
    /// an object, and about the whole file otherwise.
    fn field_shape_error(&mut self, name: &str, source: &str, key: &str, want: &str, top: &Value) {
        match top.get(key) {
            Some(v) if top.is_object() => {
                let detail = format!("{key}: expected {want}, found a {}", type_of(v));
                self.fail(name, source, detail);
            }
            _ => self.shape_error(name, source, &format!("an object with {key} ({want})"), top),
        }
    }

    // ------------------------------------------------------------ kubernetes

    fn read_kubernetes(&mut self, names: &[String]) {
        let files: Vec<&String> = names
            .iter()
            .filter(|n| {
                n.as_str() == "kubernetes.json"
                    || n.as_str() == "kubernetes.yaml"
                    || n.as_str() == "kubernetes.yml"
                    || (n.starts_with("kubernetes-")
                        && (n.ends_with(".json") || n.ends_with(".yaml") || n.ends_with(".yml")))
            })
            .collect();
        let mut main_ok = false;
        let mut main_error: Option<String> = None;
        let mut secrets_file = false;
        let mut aws_auth_file = false;
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut secrets = 0usize;
        let mut aws_auth_seen = false;
        for name in files {
            let is_main = name.starts_with("kubernetes.");
            let t = std::time::Instant::now();
            if name.ends_with(".json")
                && let Some(decoded) = self
                    .files
                    .open(name)
                    .and_then(|r| decode_pretty_stream(r, STREAM_CHUNK_BYTES))
            {
                let before_secrets = self.inv.secrets.len();
                let before_auth = self.inv.aws_auth.is_some();
                self.seen_keys.reserve(decoded.len());
                for d in decoded {
                    self.apply(name, d, &mut counts);
                }
                self.readable += 1;
                if is_main || !name.contains("secret") && !name.contains("aws-auth") {
                    main_ok = true;
                }
                secrets_file |= name.contains("secret");
                aws_auth_file |= name.contains("aws-auth");
                secrets += self.inv.secrets.len() - before_secrets;
                aws_auth_seen |= !before_auth && self.inv.aws_auth.is_some();
                tracing::debug!("streamed {name} in {:?}", t.elapsed());
                continue;
            }
            let loaded = self.files.load(name);
            tracing::debug!("loaded {name} in {:?}", t.elapsed());
            let t = std::time::Instant::now();
            let text = match loaded {
                Loaded::Missing => continue,
                Loaded::Failed(e) => {
                    self.inv.coverage.problem(name.as_str(), e.clone());
                    if is_main {
                        main_error = Some(format!("{name}: {e}"));
                    }
                    continue;
                }
                Loaded::Text(t) => t,
            };
            let yaml = !name.ends_with(".json");
            let before_secrets = self.inv.secrets.len();
            let before_auth = self.inv.aws_auth.is_some();
            let result = if yaml {
                self.ingest_yaml(name, &text, &mut counts)
            } else {
                self.ingest_json(name, &text, &mut counts)
            };
            match result {
                Ok(()) => {
                    self.readable += 1;
                    if is_main || !name.contains("secret") && !name.contains("aws-auth") {
                        main_ok = true;
                    }
                    if name.contains("secret") {
                        secrets_file = true;
                    }
                    if name.contains("aws-auth") {
                        aws_auth_file = true;
                    }
                }
                Err(e) => {
                    self.inv.coverage.problem(name.as_str(), e.clone());
                    if is_main {
                        main_error = Some(format!("{name}: {e}"));
                    }
                }
            }
            tracing::debug!("read {name} in {:?}", t.elapsed());
            secrets += self.inv.secrets.len() - before_secrets;
            aws_auth_seen |= !before_auth && self.inv.aws_auth.is_some();
        }
        for (kind, source) in KUBE_KINDS {
            let n = counts.get(kind).copied().unwrap_or(0);
            if main_ok {
                self.inv.coverage.set(source, Status::Ok, Some(n), None);
            } else if let Some(e) = &main_error {
                self.inv
                    .coverage
                    .set(source, Status::Error, None, Some(e.clone()));
            } else if n > 0 {
                self.inv.coverage.set(source, Status::Ok, Some(n), None);
            } else {
                self.inv.coverage.set(
                    source,
                    Status::Missing,
                    None,
                    Some("kubernetes.json not in snapshot".to_string()),
                );
            }
        }
        // Nodes and Karpenter's classes are not in every `kubectl get`: none
        // listed is "not seen", never "there are none".
        let nodes = counts.get("Node").copied().unwrap_or(0);
        if nodes > 0 {
            self.inv
                .coverage
                .set(SRC_NODES, Status::Ok, Some(nodes), None);
        } else {
            self.inv.coverage.set(
                SRC_NODES,
                Status::Missing,
                None,
                Some(
                    "no Node objects in the Kubernetes files (add nodes to the kubectl get)"
                        .to_string(),
                ),
            );
        }
        let classes = counts.get("EC2NodeClass").copied().unwrap_or(0);
        if classes > 0 {
            self.inv
                .coverage
                .set(SRC_NODECLASSES, Status::Ok, Some(classes), None);
        } else if self.inv.nodes.iter().any(|n| n.nodepool().is_some()) {
            self.inv.coverage.set(
                SRC_NODECLASSES,
                Status::Missing,
                None,
                Some("Karpenter nodes but no EC2NodeClass objects (kubectl get ec2nodeclasses,nodepools -o json)".to_string()),
            );
        }
        if secrets_file || secrets > 0 {
            self.inv
                .coverage
                .set(SRC_SECRETS, Status::Ok, Some(secrets), None);
        } else {
            self.inv.coverage.set(
                SRC_SECRETS,
                Status::Missing,
                None,
                Some(
                    "no service-account-token Secrets file (kubernetes-secrets.json) in snapshot"
                        .to_string(),
                ),
            );
        }
        if aws_auth_seen {
            self.inv
                .coverage
                .set(SRC_AWS_AUTH, Status::Ok, Some(1), None);
        } else if aws_auth_file {
            self.inv.coverage.set(
                SRC_AWS_AUTH,
                Status::Ok,
                Some(0),
                Some("no aws-auth ConfigMap in kube-system".to_string()),
            );
        } else {
            self.inv.coverage.set(
                SRC_AWS_AUTH,
                Status::Missing,
                None,
                Some("no aws-auth ConfigMap in snapshot (kubernetes-aws-auth.json)".to_string()),
            );
        }
    }

    fn ingest_json(
        &mut self,
        file: &str,
        text: &str,
        counts: &mut BTreeMap<&'static str, usize>,
    ) -> Result<(), String> {
        #[derive(Deserialize)]
        struct Top<'a> {
            #[serde(borrow, default)]
            items: Option<Vec<&'a RawValue>>,
            #[serde(default)]
            kind: Option<String>,
        }
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            return Err("the file is empty".to_string());
        }
        if !trimmed.starts_with('{') {
            // Give serde's position for garbage; say the shape for valid JSON of the wrong type.
            return match serde_json::from_str::<Value>(text) {
                Err(e) => Err(json_error(&e)),
                Ok(v) => Err(format!(
                    "expected a Kubernetes object or a v1 List, found a {}",
                    type_of(&v)
                )),
            };
        }
        let top: Top = serde_json::from_str(text).map_err(|e| json_error(&e))?;
        match top.items {
            Some(items) => {
                for d in decode_all(&items) {
                    self.apply(file, d, counts);
                }
            }
            None => {
                if top.kind.is_none() {
                    return Err(
                        "expected a Kubernetes object (with kind) or a v1 List (with items)"
                            .to_string(),
                    );
                }
                let raw: &RawValue = serde_json::from_str(text).map_err(|e| json_error(&e))?;
                self.ingest_item(file, 0, &Item::Text(raw.get()), counts);
            }
        }
        Ok(())
    }

    fn ingest_yaml(
        &mut self,
        file: &str,
        text: &str,
        counts: &mut BTreeMap<&'static str, usize>,
    ) -> Result<(), String> {
        let docs = super::yaml::parse_stream(text)?;
        let mut index = 0usize;
        for (d, doc) in docs.into_iter().enumerate() {
            match doc {
                Value::Object(mut obj) => {
                    if let Some(Value::Array(items)) = obj.remove("items") {
                        for mut item in items {
                            strip_secret_data(&mut item);
                            self.ingest_item(file, index, &Item::Value(&item), counts);
                            index += 1;
                        }
                    } else {
                        let mut item = Value::Object(obj);
                        strip_secret_data(&mut item);
                        self.ingest_item(file, index, &Item::Value(&item), counts);
                        index += 1;
                    }
                }
                other => {
                    self.inv.coverage.problem(
                        file,
                        format!(
                            "document {}: expected a Kubernetes object, found a {}",
                            d + 1,
                            type_of(&other)
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn ingest_item(
        &mut self,
        file: &str,
        index: usize,
        item: &Item,
        counts: &mut BTreeMap<&'static str, usize>,
    ) {
        let d = decode_item(index, item);
        self.apply(file, d, counts);
    }

    /// Record one decoded object, in file order: duplicates (by kind,
    /// namespace and name) after the first readable one are dropped.
    fn apply(&mut self, file: &str, d: Decoded, counts: &mut BTreeMap<&'static str, usize>) {
        let (key, result) = match d {
            Decoded::Problem(p) => {
                self.inv.coverage.problem(file, p);
                return;
            }
            Decoded::Object { key, result } => (key, result),
        };
        if self.seen_keys.contains(&key) {
            return;
        }
        let obj = match result {
            Ok(obj) => obj,
            Err(p) => {
                self.inv.coverage.problem(file, p);
                return;
            }
        };
        let mut count = |k: &'static str| *counts.entry(k).or_insert(0) += 1;
        match obj {
            Obj::Other => {}
            Obj::Namespace(n) => {
                count("Namespace");
                self.inv.namespaces.push(n);
            }
            Obj::ServiceAccount(sa) => {
                count("ServiceAccount");
                self.inv.service_accounts.push(sa);
            }
            Obj::Pod(pod) => {
                count("Pod");
                if pod.namespace == "kube-system"
                    && pod.labels.get("component").map(String::as_str) == Some("kube-apiserver")
                    && self.inv.apiserver.is_none()
                    && let Some(c) = pod.containers.first()
                {
                    let mut args = c.command.clone();
                    args.extend(c.args.iter().cloned());
                    self.inv.apiserver = Some(ApiServerFlags {
                        origin: format!("pod kube-system/{}", pod.name),
                        file: file.to_string(),
                        args,
                    });
                }
                self.inv.pods.push(pod);
            }
            Obj::Workload(w) => {
                if let Some(k) = KUBE_KINDS.iter().map(|(k, _)| *k).find(|k| *k == w.kind) {
                    count(k);
                }
                self.inv.workloads.push(w);
            }
            Obj::Role(r) => {
                count(if r.namespace.is_some() {
                    "Role"
                } else {
                    "ClusterRole"
                });
                self.inv.roles.push(r);
            }
            Obj::Binding(b) => {
                count(if b.namespace.is_some() {
                    "RoleBinding"
                } else {
                    "ClusterRoleBinding"
                });
                self.inv.bindings.push(b);
            }
            Obj::Secret(sm) => self.inv.secrets.push(sm),
            Obj::Node(n) => {
                count("Node");
                self.inv.nodes.push(n);
            }
            Obj::NodeClass(c) => {
                count("EC2NodeClass");
                self.inv.node_classes.push(c);
            }
            Obj::NodePool(p) => {
                count("NodePool");
                self.inv.node_pools.push(p);
            }
            Obj::AwsAuth(a) => {
                // A list that cannot be parsed is read but not judged: AUTH-003
                // says so as a finding, and coverage must too, since none of its
                // mappings reach the audit (who-can and PATH miss them).
                for (key, err) in &a.unparsable {
                    self.inv.coverage.problem(
                        file,
                        format!(
                            "ConfigMap kube-system/aws-auth, data.{key}: cannot be parsed ({err}); none of its entries are read"
                        ),
                    );
                }
                self.inv.aws_auth = Some(a);
            }
        }
        self.seen_keys.insert(key);
    }

    // ------------------------------------------------------------ aws

    fn read_iam(&mut self, done: IamDone) {
        let name = IAM_FILE;
        let outcome = match done {
            IamDone::Other(parsed) => {
                // Missing, unreadable or not JSON: coverage says so.
                let _ = self.json_parsed(name, SRC_IAM, parsed);
                return;
            }
            IamDone::Read(outcome) => {
                self.readable += 1;
                outcome
            }
        };
        match outcome {
            IamOutcome::Fail(detail) => {
                self.fail(name, SRC_IAM, detail);
            }
            IamOutcome::Read(iam, problems) => {
                self.inv.iam.roles.extend(iam.roles);
                self.inv.iam.users.extend(iam.users);
                self.inv.iam.groups.extend(iam.groups);
                self.inv.iam.policies.extend(iam.policies);
                self.inv.iam.instance_profiles.extend(iam.instance_profiles);
                for p in problems {
                    self.inv.coverage.problem(name, p);
                }
                let n = self.inv.iam.roles.len();
                self.inv.coverage.set(SRC_IAM, Status::Ok, Some(n), None);
            }
        }
    }

    fn read_oidc(&mut self) {
        let name = "iam-oidc-providers.json";
        let Some(v) = self.json_file(name, SRC_OIDC) else {
            return;
        };
        let Some(items) = v.get("OpenIDConnectProviderList").and_then(Value::as_array) else {
            self.field_shape_error(name, SRC_OIDC, "OpenIDConnectProviderList", "a list", &v);
            return;
        };
        for (i, p) in items.iter().enumerate() {
            let arn = str_field(p, "Arn");
            let Some(arn) = arn else {
                self.inv
                    .coverage
                    .problem(name, format!("OpenIDConnectProviderList[{i}]: no Arn"));
                continue;
            };
            match crate::model::Arn::parse(&arn) {
                Ok(a) if a.service == "iam" && a.resource.starts_with("oidc-provider/") => {}
                Ok(_) => self.inv.coverage.problem(
                    name,
                    format!("OpenIDConnectProviderList[{i}]: Arn {arn:?} is not an IAM OIDC provider ARN (arn:aws:iam::ACCOUNT:oidc-provider/HOST)"),
                ),
                Err(e) => self
                    .inv
                    .coverage
                    .problem(name, format!("OpenIDConnectProviderList[{i}]: Arn: {e}")),
            }
            let url = str_field(p, "Url")
                .map(|u| crate::model::strip_scheme(&u))
                .or_else(|| crate::model::arn::provider_arn_host(&arn).map(str::to_string))
                .unwrap_or_default();
            self.inv.oidc_providers.push(OidcProvider {
                arn,
                url,
                client_ids: str_list(p.get("ClientIDList")),
                thumbprints: str_list(p.get("ThumbprintList")),
            });
        }
        let n = self.inv.oidc_providers.len();
        self.inv.coverage.set(SRC_OIDC, Status::Ok, Some(n), None);
    }

    fn read_eks_cluster(&mut self) {
        let name = "eks-cluster.json";
        let Some(v) = self.json_file(name, SRC_EKS) else {
            return;
        };
        let Some(c) = v.get("cluster").filter(|c| c.is_object()) else {
            self.field_shape_error(
                name,
                SRC_EKS,
                "cluster",
                "an object (describe-cluster output is {\"cluster\": {…}})",
                &v,
            );
            return;
        };
        let Some(cname) = str_field(c, "name") else {
            self.fail(name, SRC_EKS, "cluster.name is missing".to_string());
            return;
        };
        let vpc = c.get("resourcesVpcConfig");
        let access = c.get("accessConfig");
        let mut logging = BTreeMap::new();
        let mut logging_known = false;
        if let Some(entries) = c
            .pointer("/logging/clusterLogging")
            .and_then(Value::as_array)
        {
            logging_known = true;
            for e in entries {
                let enabled = e.get("enabled").and_then(Value::as_bool).unwrap_or(false);
                for t in str_list(e.get("types")) {
                    let slot = logging.entry(t).or_insert(false);
                    *slot |= enabled;
                }
            }
        }
        self.inv.cluster = Some(EksCluster {
            name: cname.clone(),
            arn: str_field(c, "arn"),
            version: str_field(c, "version"),
            oidc_issuer: c
                .pointer("/identity/oidc/issuer")
                .and_then(Value::as_str)
                .map(str::to_string),
            authentication_mode: access.and_then(|a| str_field(a, "authenticationMode")),
            bootstrap_cluster_creator_admin: access
                .and_then(|a| a.get("bootstrapClusterCreatorAdminPermissions"))
                .and_then(Value::as_bool),
            endpoint_public_access: vpc
                .and_then(|v| v.get("endpointPublicAccess"))
                .and_then(Value::as_bool),
            endpoint_private_access: vpc
                .and_then(|v| v.get("endpointPrivateAccess"))
                .and_then(Value::as_bool),
            public_access_cidrs: str_list(vpc.and_then(|v| v.get("publicAccessCidrs"))),
            logging,
            logging_known,
            endpoint: str_field(c, "endpoint"),
            platform_version: str_field(c, "platformVersion"),
        });
        self.inv.cluster_name = Some(cname);
        self.inv.coverage.set(SRC_EKS, Status::Ok, Some(1), None);
    }

    fn read_access_entries(&mut self) {
        let name = "eks-access-entries.json";
        let Some(v) = self.json_file(name, SRC_ACCESS) else {
            return;
        };
        let Some(items) = v.get("accessEntries").and_then(Value::as_array) else {
            self.field_shape_error(name, SRC_ACCESS, "accessEntries", "a list", &v);
            return;
        };
        for (i, e) in items.iter().enumerate() {
            let Some(principal_arn) = str_field(e, "principalArn") else {
                self.inv
                    .coverage
                    .problem(name, format!("accessEntries[{i}]: no principalArn"));
                continue;
            };
            if let Err(e) = crate::model::Arn::parse(&principal_arn) {
                self.inv
                    .coverage
                    .problem(name, format!("accessEntries[{i}]: principalArn: {e}"));
            }
            let policies = e
                .get("associatedAccessPolicies")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| AccessPolicyAssociation {
                            policy_arn: str_field(p, "policyArn").unwrap_or_default(),
                            scope_type: p
                                .pointer("/accessScope/type")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                            namespaces: str_list(p.pointer("/accessScope/namespaces")),
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.inv.access_entries.push(AccessEntry {
                principal_arn,
                kubernetes_groups: str_list(e.get("kubernetesGroups")),
                username: str_field(e, "username"),
                type_: str_field(e, "type"),
                access_policies: policies,
            });
        }
        let n = self.inv.access_entries.len();
        self.inv.coverage.set(SRC_ACCESS, Status::Ok, Some(n), None);
    }

    fn read_pod_identity(&mut self) {
        let name = "eks-pod-identity-associations.json";
        let Some(v) = self.json_file(name, SRC_PODID) else {
            return;
        };
        let Some(items) = v.get("associations").and_then(Value::as_array) else {
            self.field_shape_error(name, SRC_PODID, "associations", "a list", &v);
            return;
        };
        for (i, a) in items.iter().enumerate() {
            let (Some(namespace), Some(sa), Some(role)) = (
                str_field(a, "namespace"),
                str_field(a, "serviceAccount"),
                str_field(a, "roleArn"),
            ) else {
                self.inv.coverage.problem(
                    name,
                    format!("associations[{i}]: needs namespace, serviceAccount and roleArn"),
                );
                continue;
            };
            if let Err(e) = crate::model::RoleArn::parse(&role) {
                self.inv
                    .coverage
                    .problem(name, format!("associations[{i}]: roleArn: {e}"));
            }
            self.inv
                .pod_identity_associations
                .push(PodIdentityAssociation {
                    id: str_field(a, "associationId")
                        .unwrap_or_else(|| format!("associations[{i}]")),
                    arn: str_field(a, "associationArn"),
                    cluster_name: str_field(a, "clusterName"),
                    namespace,
                    service_account: sa,
                    role_arn: role,
                    disable_session_tags: a
                        .get("disableSessionTags")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    target_role_arn: str_field(a, "targetRoleArn"),
                });
        }
        let n = self.inv.pod_identity_associations.len();
        self.inv.coverage.set(SRC_PODID, Status::Ok, Some(n), None);
    }

    fn read_ec2_instances(&mut self) {
        let name = EC2_FILE;
        let Some(v) = self.json_file(name, SRC_EC2) else {
            return;
        };
        let Some(reservations) = v.get("Reservations").and_then(Value::as_array) else {
            self.field_shape_error(name, SRC_EC2, "Reservations", "a list", &v);
            return;
        };
        for (r, res) in reservations.iter().enumerate() {
            let Some(instances) = res.get("Instances").and_then(Value::as_array) else {
                self.inv
                    .coverage
                    .problem(name, format!("Reservations[{r}]: no Instances list"));
                continue;
            };
            for (i, inst) in instances.iter().enumerate() {
                let Some(id) = str_field(inst, "InstanceId") else {
                    self.inv.coverage.problem(
                        name,
                        format!("Reservations[{r}].Instances[{i}]: no InstanceId"),
                    );
                    continue;
                };
                let metadata = match inst.get("MetadataOptions") {
                    Some(m) => {
                        match metadata_options(m) {
                            Ok(m) => Some(m),
                            Err(e) => {
                                self.inv.coverage.problem(
                                name,
                                format!("Reservations[{r}].Instances[{i}] ({id}): MetadataOptions: {e}"),
                            );
                                None
                            }
                        }
                    }
                    None => None,
                };
                self.inv.ec2_instances.push(crate::model::Ec2Instance {
                    instance_profile_arn: inst
                        .pointer("/IamInstanceProfile/Arn")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    metadata,
                    state: inst
                        .pointer("/State/Name")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    tags: tags(inst),
                    instance_id: id,
                });
            }
        }
        let n = self.inv.ec2_instances.len();
        self.inv.coverage.set(SRC_EC2, Status::Ok, Some(n), None);
    }

    fn read_nodegroups(&mut self) {
        let name = NODEGROUPS_FILE;
        let Some(v) = self.json_file(name, SRC_NODEGROUPS) else {
            return;
        };
        let Some(items) = v.get("nodegroups").and_then(Value::as_array) else {
            self.field_shape_error(name, SRC_NODEGROUPS, "nodegroups", "a list", &v);
            return;
        };
        for (i, g) in items.iter().enumerate() {
            let Some(ng) = str_field(g, "nodegroupName") else {
                self.inv
                    .coverage
                    .problem(name, format!("nodegroups[{i}]: no nodegroupName"));
                continue;
            };
            let lt = g.get("launchTemplate");
            let field = |k: &str| {
                lt.and_then(|l| l.get(k)).and_then(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
            };
            self.inv.nodegroups.push(crate::model::NodeGroup {
                name: ng,
                node_role: str_field(g, "nodeRole"),
                launch_template_id: field("id"),
                launch_template_name: field("name"),
                launch_template_version: field("version"),
            });
        }
        let n = self.inv.nodegroups.len();
        self.inv
            .coverage
            .set(SRC_NODEGROUPS, Status::Ok, Some(n), None);
    }

    fn read_launch_templates(&mut self) {
        let name = LAUNCH_TEMPLATES_FILE;
        let Some(v) = self.json_file(name, SRC_LAUNCH_TEMPLATES) else {
            return;
        };
        let Some(items) = v.get("LaunchTemplateVersions").and_then(Value::as_array) else {
            self.field_shape_error(
                name,
                SRC_LAUNCH_TEMPLATES,
                "LaunchTemplateVersions",
                "a list",
                &v,
            );
            return;
        };
        for (i, t) in items.iter().enumerate() {
            let Some(id) = str_field(t, "LaunchTemplateId") else {
                self.inv.coverage.problem(
                    name,
                    format!("LaunchTemplateVersions[{i}]: no LaunchTemplateId"),
                );
                continue;
            };
            let metadata = match t.pointer("/LaunchTemplateData/MetadataOptions") {
                Some(m) => match metadata_options(m) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        self.inv.coverage.problem(
                            name,
                            format!("LaunchTemplateVersions[{i}] ({id}): MetadataOptions: {e}"),
                        );
                        None
                    }
                },
                None => None,
            };
            self.inv
                .launch_template_versions
                .push(crate::model::LaunchTemplateVersion {
                    name: str_field(t, "LaunchTemplateName"),
                    version: t.get("VersionNumber").map(|n| match n {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }),
                    default_version: t
                        .get("DefaultVersion")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    metadata,
                    id,
                });
        }
        let n = self.inv.launch_template_versions.len();
        self.inv
            .coverage
            .set(SRC_LAUNCH_TEMPLATES, Status::Ok, Some(n), None);
    }

    fn read_sts(&mut self) {
        let name = "sts-caller-identity.json";
        if let Some(v) = self.json_file(name, SRC_STS) {
            match str_field(&v, "Account") {
                Some(a) => {
                    self.inv.account = Some(a);
                    self.inv.caller_arn = str_field(&v, "Arn");
                    self.inv.coverage.set(SRC_STS, Status::Ok, Some(1), None);
                }
                None => {
                    let detail = match v.get("Account") {
                        Some(a) => format!("Account: expected a string, found a {}", type_of(a)),
                        None => {
                            "no Account field (expected get-caller-identity output)".to_string()
                        }
                    };
                    self.fail(name, SRC_STS, detail);
                }
            }
        }
        if self.inv.account.is_none() {
            // The roles of iam.json say which account it describes.
            let mut accounts: Vec<&str> = self
                .inv
                .iam
                .roles
                .iter()
                .filter_map(|r| r.arn.split(':').nth(4))
                .collect();
            accounts.sort_unstable();
            accounts.dedup();
            if let [only] = accounts.as_slice() {
                let only = only.to_string();
                if let Some(s) = self
                    .inv
                    .coverage
                    .sources
                    .iter_mut()
                    .find(|s| s.source == SRC_STS)
                {
                    let d = s.detail.take().unwrap_or_default();
                    s.detail = Some(format!("{d}; account {only} inferred from iam.json"));
                }
                self.inv.account = Some(only);
            }
        }
    }

    fn read_apiserver_flags(&mut self) {
        let name = "kube-apiserver.flags";
        match self.files.load(name) {
            Loaded::Missing => {}
            Loaded::Failed(e) => {
                self.fail(name, SRC_APISERVER, e);
                return;
            }
            Loaded::Text(t) => {
                self.readable += 1;
                if self.inv.apiserver.is_none() {
                    self.inv.apiserver = Some(ApiServerFlags {
                        origin: name.to_string(),
                        file: name.to_string(),
                        args: split_flags_file(&t),
                    });
                }
            }
        }
        if let Some(f) = &self.inv.apiserver {
            // Arguments kube-apiserver would refuse are read but not judged as
            // the server would: coverage names each, the API findings say which
            // rest on one.
            for r in crate::model::apiserver::Flags::parse(&f.args).refused {
                let effect = if r.fatal {
                    "kube-apiserver refuses to start with it (the audit reads the other arguments as written)"
                } else {
                    "kube-apiserver ignores it"
                };
                self.inv.coverage.problem(
                    f.file.as_str(),
                    format!("{}: {}; {effect}", f.origin, r.describe()),
                );
            }
            let n = f.args.iter().filter(|a| a.starts_with('-')).count();
            self.inv.coverage.set(
                SRC_APISERVER,
                Status::Ok,
                Some(n),
                Some(format!("from {}", f.origin)),
            );
        } else if self.inv.cluster.is_some() {
            self.inv.coverage.set(
                SRC_APISERVER,
                Status::NotObservable,
                None,
                Some("managed control plane (EKS)".to_string()),
            );
        } else if self.inv.seen("kubernetes/pods") {
            self.inv.coverage.set(
                SRC_APISERVER,
                Status::Missing,
                None,
                Some("no kube-apiserver pod (component=kube-apiserver) in kube-system and no kube-apiserver.flags".to_string()),
            );
        } else {
            self.inv.coverage.set(
                SRC_APISERVER,
                Status::Missing,
                None,
                Some("pods not in snapshot and no kube-apiserver.flags".to_string()),
            );
        }
    }
}

/// What `iamscope snapshot` could not fetch live (`iamscope-coverage.json`),
/// so that auditing the directory later still says "forbidden" rather than
/// "ok" for a kind that is merely absent from `kubernetes.json`.
pub const COLLECTION_NOTES: &str = "iamscope-coverage.json";

impl Reader<'_> {
    fn read_collection_notes(&mut self) {
        let Loaded::Text(text) = self.files.load(COLLECTION_NOTES) else {
            return;
        };
        let v: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                self.inv.coverage.problem(COLLECTION_NOTES, json_error(&e));
                return;
            }
        };
        let notes = v
            .get("sources")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for (i, n) in notes.iter().enumerate() {
            let status = match n.get("status").and_then(Value::as_str) {
                Some("ok") => Status::Ok,
                Some("forbidden") => Status::Forbidden,
                Some("missing") => Status::Missing,
                Some("error") => Status::Error,
                Some("not-observable") => Status::NotObservable,
                other => {
                    self.inv.coverage.problem(
                        COLLECTION_NOTES,
                        format!("sources[{i}]: unknown status {other:?}"),
                    );
                    continue;
                }
            };
            let Some(source) = n.get("source").and_then(Value::as_str) else {
                continue;
            };
            let detail = n
                .get("detail")
                .and_then(Value::as_str)
                .map(|d| format!("{d} (when the snapshot was taken)"));
            let count = self
                .inv
                .coverage
                .status(source)
                .filter(|s| s.status == status)
                .and_then(|s| s.count);
            self.inv.coverage.set(source, status, count, detail);
        }
    }
}

/// iam.json, parsed and read (on the thread that parsed it).
enum IamDone {
    /// Not parsed: missing, unreadable, empty or not JSON.
    Other(Parsed),
    Read(IamOutcome),
}

#[derive(Debug)]
enum IamOutcome {
    /// Valid JSON of the wrong shape: the detail to report.
    Fail(String),
    Read(IamInventory, Vec<String>),
}

impl IamDone {
    fn of(parsed: Parsed) -> IamDone {
        if let Parsed::Loaded(Loaded::Text(t)) = &parsed
            && let Some(outcome) = typed::read(t)
        {
            return IamDone::Read(outcome);
        }
        match parsed.parse() {
            Parsed::Value(Ok(v)) => IamDone::Read(read_iam_value(v)),
            other => IamDone::Other(other),
        }
    }
}

/// get-account-authorization-details as one object, deserialized straight into
/// the fields the reader keeps (documents as JSON values), which is much
/// cheaper than building a `Value` of a large account first. Anything of
/// another shape (pages kept as a list, a field of an unexpected type, a
/// duplicate key) gives `None`, and the file is read through `Value` as
/// before, which also names the place of what is wrong. Both give the same
/// inventory and problems for the files both read.
mod typed {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    use super::{IamOutcome, decode_document, element_problems, str_list};
    use crate::model::{
        AttachedPolicy, IamGroup, IamInventory, IamRole, IamUser, InlinePolicy, ManagedPolicy,
    };

    /// A field that is present, even as `null` (which `Option` alone reads as absent).
    fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Value::deserialize(d).map(Some)
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Lists {
        #[serde(default)]
        role_detail_list: Option<Vec<Role>>,
        #[serde(default)]
        user_detail_list: Option<Vec<User>>,
        #[serde(default)]
        group_detail_list: Option<Vec<Group>>,
        #[serde(default)]
        policies: Option<Vec<Policy>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Role {
        arn: Option<String>,
        role_name: Option<String>,
        path: Option<String>,
        role_id: Option<String>,
        create_date: Option<String>,
        #[serde(default, deserialize_with = "present")]
        assume_role_policy_document: Option<Value>,
        #[serde(default)]
        role_policy_list: Option<Vec<Inline>>,
        #[serde(default)]
        attached_managed_policies: Option<Vec<Attached>>,
        #[serde(default)]
        permissions_boundary: Option<Boundary>,
        #[serde(default)]
        role_last_used: Option<LastUsed>,
        #[serde(default)]
        tags: Option<Vec<Tag>>,
        #[serde(default)]
        instance_profile_list: Option<Vec<Profile>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Profile {
        arn: Option<String>,
        instance_profile_name: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct User {
        arn: Option<String>,
        user_name: Option<String>,
        path: Option<String>,
        #[serde(default)]
        user_policy_list: Option<Vec<Inline>>,
        #[serde(default)]
        attached_managed_policies: Option<Vec<Attached>>,
        #[serde(default, deserialize_with = "present")]
        group_list: Option<Value>,
        #[serde(default)]
        permissions_boundary: Option<Boundary>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Group {
        arn: Option<String>,
        group_name: Option<String>,
        path: Option<String>,
        #[serde(default)]
        group_policy_list: Option<Vec<Inline>>,
        #[serde(default)]
        attached_managed_policies: Option<Vec<Attached>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Policy {
        arn: Option<String>,
        policy_name: Option<String>,
        path: Option<String>,
        default_version_id: Option<String>,
        #[serde(default)]
        policy_version_list: Option<Vec<Version>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Version {
        #[serde(default, deserialize_with = "present")]
        document: Option<Value>,
        version_id: Option<String>,
        is_default_version: Option<bool>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Inline {
        policy_name: Option<String>,
        #[serde(default, deserialize_with = "present")]
        policy_document: Option<Value>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Attached {
        policy_name: Option<String>,
        policy_arn: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Boundary {
        permissions_boundary_arn: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct LastUsed {
        last_used_date: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Tag {
        key: Option<String>,
        value: Option<String>,
    }

    pub(super) fn read(text: &str) -> Option<IamOutcome> {
        // Which lists are there (and not of another type) is what the general
        // reader reports on: a file without any, or with one that is not a
        // list, is left to it.
        let lists: Lists = serde_json::from_str(text).ok()?;
        if lists.role_detail_list.is_none()
            && lists.user_detail_list.is_none()
            && lists.group_detail_list.is_none()
            && lists.policies.is_none()
        {
            return None;
        }
        let mut problems = Vec::new();
        let mut iam = IamInventory::default();
        for (i, r) in lists.role_detail_list.into_iter().flatten().enumerate() {
            let Some(arn) = r.arn else {
                problems.push(format!("RoleDetailList[{i}]: no Arn"));
                continue;
            };
            let mut ps = Vec::new();
            let trust_policy = match r.assume_role_policy_document.map(decode_document) {
                Some(Ok(d)) => Some(d),
                Some(Err(e)) => {
                    ps.push(format!("AssumeRolePolicyDocument: {e}"));
                    None
                }
                None => None,
            };
            let inline_policies = inline(r.role_policy_list, "RolePolicyList", &mut ps);
            let profiles: Vec<(String, String)> = r
                .instance_profile_list
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let arn = p.arn?;
                    let name = p
                        .instance_profile_name
                        .or_else(|| arn.rsplit('/').next().map(str::to_string))
                        .unwrap_or_default();
                    Some((arn, name))
                })
                .collect();
            super::add_instance_profiles(&mut iam, &arn, profiles);
            let role = IamRole {
                name: r
                    .role_name
                    .or_else(|| arn.rsplit('/').next().map(str::to_string))
                    .unwrap_or_default(),
                path: r.path.unwrap_or_else(|| "/".to_string()),
                role_id: r.role_id.unwrap_or_default(),
                created: r.create_date,
                trust_policy,
                inline_policies,
                attached_policies: attached(r.attached_managed_policies),
                permissions_boundary: r
                    .permissions_boundary
                    .and_then(|b| b.permissions_boundary_arn),
                last_used_known: r.role_last_used.is_some(),
                last_used: r.role_last_used.and_then(|l| l.last_used_date),
                tags: r
                    .tags
                    .into_iter()
                    .flatten()
                    .filter_map(|t| Some((t.key?, t.value.unwrap_or_default())))
                    .collect::<BTreeMap<_, _>>(),
                arn,
            };
            let arn = crate::model::RoleArn::parse(&role.arn)
                .err()
                .map(|e| e.to_string());
            element_problems(&mut problems, "RoleDetailList", i, &role.name, arn, ps);
            iam.roles.push(role);
        }
        for (i, u) in lists.user_detail_list.into_iter().flatten().enumerate() {
            let Some(arn) = u.arn else {
                problems.push(format!("UserDetailList[{i}]: no Arn"));
                continue;
            };
            let mut ps = Vec::new();
            let user = IamUser {
                name: u
                    .user_name
                    .or_else(|| arn.rsplit('/').next().map(str::to_string))
                    .unwrap_or_default(),
                path: u.path.unwrap_or_else(|| "/".to_string()),
                inline_policies: inline(u.user_policy_list, "UserPolicyList", &mut ps),
                attached_policies: attached(u.attached_managed_policies),
                groups: str_list(u.group_list.as_ref()),
                permissions_boundary: u
                    .permissions_boundary
                    .and_then(|b| b.permissions_boundary_arn),
                arn,
            };
            let arn = crate::model::Arn::parse(&user.arn)
                .err()
                .map(|e| e.to_string());
            element_problems(&mut problems, "UserDetailList", i, &user.name, arn, ps);
            iam.users.push(user);
        }
        for (i, g) in lists.group_detail_list.into_iter().flatten().enumerate() {
            let Some(arn) = g.arn else {
                problems.push(format!("GroupDetailList[{i}]: no Arn"));
                continue;
            };
            let mut ps = Vec::new();
            let group = IamGroup {
                name: g
                    .group_name
                    .or_else(|| arn.rsplit('/').next().map(str::to_string))
                    .unwrap_or_default(),
                path: g.path.unwrap_or_else(|| "/".to_string()),
                inline_policies: inline(g.group_policy_list, "GroupPolicyList", &mut ps),
                attached_policies: attached(g.attached_managed_policies),
                arn,
            };
            let arn = crate::model::Arn::parse(&group.arn)
                .err()
                .map(|e| e.to_string());
            element_problems(&mut problems, "GroupDetailList", i, &group.name, arn, ps);
            iam.groups.push(group);
        }
        for (i, p) in lists.policies.into_iter().flatten().enumerate() {
            let Some(arn) = p.arn else {
                problems.push(format!("Policies[{i}]: no Arn"));
                continue;
            };
            let mut ps = Vec::new();
            let mut versions = p.policy_version_list.unwrap_or_default();
            let listed = !versions.is_empty();
            let default = versions
                .iter()
                .position(|v| v.is_default_version == Some(true))
                .or_else(|| {
                    versions.iter().position(|v| {
                        p.default_version_id.is_some() && v.version_id == p.default_version_id
                    })
                });
            let document = match default
                .and_then(|d| versions[d].document.take())
                .map(decode_document)
            {
                Some(Ok(d)) => Some(d),
                Some(Err(e)) => {
                    ps.push(format!("default version document: {e}"));
                    None
                }
                None => {
                    if listed {
                        ps.push("no default version in PolicyVersionList".to_string());
                    }
                    None
                }
            };
            let policy = ManagedPolicy {
                name: p
                    .policy_name
                    .or_else(|| arn.rsplit('/').next().map(str::to_string))
                    .unwrap_or_default(),
                path: p.path.unwrap_or_else(|| "/".to_string()),
                default_version_id: p.default_version_id,
                document,
                arn,
            };
            let arn = crate::model::Arn::parse(&policy.arn)
                .err()
                .map(|e| e.to_string());
            element_problems(&mut problems, "Policies", i, &policy.name, arn, ps);
            iam.policies.push(policy);
        }
        Some(IamOutcome::Read(iam, problems))
    }

    fn inline(
        list: Option<Vec<Inline>>,
        key: &str,
        problems: &mut Vec<String>,
    ) -> Vec<InlinePolicy> {
        let mut out = Vec::new();
        for (i, p) in list.into_iter().flatten().enumerate() {
            let name = p.policy_name.unwrap_or_else(|| format!("{key}[{i}]"));
            match p.policy_document.map(decode_document) {
                Some(Ok(document)) => out.push(InlinePolicy { name, document }),
                Some(Err(e)) => problems.push(format!("inline policy {name}: {e}")),
                None => problems.push(format!("inline policy {name}: no PolicyDocument")),
            }
        }
        out
    }

    fn attached(list: Option<Vec<Attached>>) -> Vec<AttachedPolicy> {
        list.into_iter()
            .flatten()
            .filter_map(|p| {
                Some(AttachedPolicy {
                    name: p.policy_name.unwrap_or_default(),
                    arn: p.policy_arn?,
                })
            })
            .collect()
    }
}

/// The problems of element `i` of an IAM list, named by list, index and
/// name; a malformed ARN (the element is kept: rules judge it) first.
fn element_problems(
    problems: &mut Vec<String>,
    list: &str,
    i: usize,
    name: &str,
    arn: Option<String>,
    ps: Vec<String>,
) {
    problems.extend(
        arn.map(|e| format!("Arn: {e}"))
            .into_iter()
            .chain(ps)
            .map(|p| format!("{list}[{i}] ({name}): {p}")),
    );
}

/// The roles, users, groups and managed policies of get-account-authorization-details.
fn read_iam_value(v: Value) -> IamOutcome {
    // Pages may be merged into one object, or kept as a list of page objects.
    let pages: Vec<&serde_json::Map<String, Value>> = match &v {
        Value::Object(o) => vec![o],
        Value::Array(a) if a.iter().all(Value::is_object) => {
            a.iter().filter_map(Value::as_object).collect()
        }
        other => {
            return IamOutcome::Fail(format!(
                "expected the JSON object of get-account-authorization-details, found a {}",
                type_of(other)
            ));
        }
    };
    if !pages.iter().any(|p| {
        [
            "RoleDetailList",
            "UserDetailList",
            "GroupDetailList",
            "Policies",
        ]
        .iter()
        .any(|k| p.contains_key(*k))
    }) {
        return IamOutcome::Fail(
            "expected get-account-authorization-details output (RoleDetailList, UserDetailList, GroupDetailList, Policies); none found".to_string(),
        );
    }
    let mut problems = Vec::new();
    let mut iam = IamInventory::default();
    for page in &pages {
        // A list that is something else would otherwise read as empty, silently.
        for key in [
            "RoleDetailList",
            "UserDetailList",
            "GroupDetailList",
            "Policies",
        ] {
            if let Some(v) = page.get(key).filter(|v| !v.is_array() && !v.is_null()) {
                problems.push(format!("{key}: expected a list, found a {}", type_of(v)));
            }
        }
    }
    // Each element is taken out of the parsed file and dropped once read,
    // so the documents are not held twice (as parsed and as kept).
    let pages: Vec<serde_json::Map<String, Value>> = match v {
        Value::Object(o) => vec![o],
        Value::Array(a) => a
            .into_iter()
            .filter_map(|p| match p {
                Value::Object(o) => Some(o),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for mut page in pages {
        for (i, r) in take_list(&mut page, "RoleDetailList")
            .into_iter()
            .enumerate()
        {
            let profiles = instance_profiles_of(&r);
            match parse_role(r) {
                Ok((role, ps)) => {
                    add_instance_profiles(&mut iam, &role.arn, profiles);
                    // Kept (rules judge it), but a malformed ARN is said where it is.
                    let arn = crate::model::RoleArn::parse(&role.arn)
                        .err()
                        .map(|e| e.to_string());
                    element_problems(&mut problems, "RoleDetailList", i, &role.name, arn, ps);
                    iam.roles.push(role);
                }
                Err(e) => problems.push(format!("RoleDetailList[{i}]: {e}")),
            }
        }
        for (i, u) in take_list(&mut page, "UserDetailList")
            .into_iter()
            .enumerate()
        {
            match parse_user(u) {
                Ok((user, ps)) => {
                    let arn = crate::model::Arn::parse(&user.arn)
                        .err()
                        .map(|e| e.to_string());
                    element_problems(&mut problems, "UserDetailList", i, &user.name, arn, ps);
                    iam.users.push(user);
                }
                Err(e) => problems.push(format!("UserDetailList[{i}]: {e}")),
            }
        }
        for (i, g) in take_list(&mut page, "GroupDetailList")
            .into_iter()
            .enumerate()
        {
            match parse_group(g) {
                Ok((group, ps)) => {
                    let arn = crate::model::Arn::parse(&group.arn)
                        .err()
                        .map(|e| e.to_string());
                    element_problems(&mut problems, "GroupDetailList", i, &group.name, arn, ps);
                    iam.groups.push(group);
                }
                Err(e) => problems.push(format!("GroupDetailList[{i}]: {e}")),
            }
        }
        for (i, p) in take_list(&mut page, "Policies").into_iter().enumerate() {
            match parse_managed_policy(p) {
                Ok((pol, ps)) => {
                    let arn = crate::model::Arn::parse(&pol.arn)
                        .err()
                        .map(|e| e.to_string());
                    element_problems(&mut problems, "Policies", i, &pol.name, arn, ps);
                    iam.policies.push(pol);
                }
                Err(e) => problems.push(format!("Policies[{i}]: {e}")),
            }
        }
    }
    IamOutcome::Read(iam, problems)
}

/// Split a flags file: one flag per line or a whole command line, with `\`
/// continuations, `#` comments and shell-style quotes.
pub fn split_flags_file(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_suffix('\\').unwrap_or(line);
        out.extend(shell_words(line));
    }
    out
}

fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// One Kubernetes object of a file, decoded without touching the inventory
/// (so that the items of a large file can be decoded on several threads and
/// then recorded in file order).
// Nearly every item is an `Object`: boxing it would cost an allocation per object.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Decoded {
    /// Not an object that can be keyed: no kind, no name, no namespace.
    Problem(String),
    /// An object with its key; `Err` is the problem to report unless the key was already seen.
    Object {
        key: (String, String, String),
        result: Result<Obj, String>,
    },
}

#[derive(Debug)]
enum Obj {
    /// A kind that is not read (or a ConfigMap other than aws-auth).
    Other,
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    Pod(Pod),
    Workload(Workload),
    Role(RbacRole),
    Binding(RbacBinding),
    Secret(SecretMeta),
    AwsAuth(AwsAuth),
    Node(crate::model::Node),
    NodeClass(crate::model::NodeClass),
    NodePool(crate::model::NodePool),
}

/// Every field any kind is read for, in one pass over a JSON item. When it
/// does not deserialize (a field of an unexpected type), the item is read kind
/// by kind instead, which gives the same objects and the same messages.
/// A Secret's `data` is not a field here: it is skipped, never parsed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Full {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    metadata: Option<Meta>,
    #[serde(default)]
    spec: Option<FullSpec>,
    #[serde(default)]
    status: Option<PodStatusLite>,
    #[serde(default)]
    rules: Option<Vec<RuleLite>>,
    #[serde(default)]
    aggregation_rule: Option<AggregationLite>,
    #[serde(default)]
    role_ref: Option<RefLite>,
    #[serde(default)]
    subjects: Option<Vec<RefLite>>,
    #[serde(default, rename = "type")]
    type_: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FullSpec {
    #[serde(default)]
    service_account_name: Option<String>,
    #[serde(default)]
    service_account: Option<String>,
    #[serde(default)]
    containers: Option<Vec<ContainerLite>>,
    #[serde(default)]
    node_name: Option<String>,
    #[serde(default)]
    host_network: Option<bool>,
    #[serde(default)]
    template: Option<TemplateLite>,
    #[serde(default)]
    job_template: Option<JobTemplateLite>,
}

/// What is left of a `Full` item once kind and metadata are taken.
struct Rest {
    spec: Option<FullSpec>,
    status: Option<PodStatusLite>,
    rules: Option<Vec<RuleLite>>,
    aggregation_rule: Option<AggregationLite>,
    role_ref: Option<RefLite>,
    subjects: Option<Vec<RefLite>>,
    type_: Option<String>,
}

impl Rest {
    fn pod(self) -> PodLite {
        PodLite {
            spec: self.spec.map(|s| PodSpecLite {
                service_account_name: s.service_account_name,
                service_account: s.service_account,
                containers: s.containers,
                node_name: s.node_name,
                host_network: s.host_network,
            }),
            status: self.status,
        }
    }
    fn workload(self) -> WorkloadLite {
        WorkloadLite {
            spec: self.spec.map(|s| WorkloadSpecLite {
                template: s.template,
                job_template: s.job_template,
            }),
        }
    }
    fn role(self) -> RoleLite {
        RoleLite {
            rules: self.rules,
            aggregation_rule: self.aggregation_rule,
        }
    }
    fn binding(self) -> BindingLite {
        BindingLite {
            role_ref: self.role_ref,
            subjects: self.subjects,
        }
    }
    fn secret(self) -> SecretLite {
        SecretLite { type_: self.type_ }
    }
}

/// Kind-specific part of an item: from the one-pass read when there was one, else parsed now.
fn part<T: DeserializeOwned>(
    rest: &mut Option<Rest>,
    item: &Item,
    from: fn(Rest) -> T,
) -> Result<T, String> {
    match rest.take() {
        Some(r) => Ok(from(r)),
        None => item.de(),
    }
}

/// Items per thread below which a file is decoded on the calling thread.
const PARALLEL_MIN_ITEMS: usize = 4096;

/// One item of a JSON List.
fn decode_raw(i: usize, raw: &RawValue) -> Decoded {
    if !raw.get().starts_with('{') {
        // Not an object: say what it is rather than serde's "expected struct".
        let what = serde_json::from_str::<Value>(raw.get())
            .map(|v| type_of(&v))
            .unwrap_or("value");
        return Decoded::Problem(format!(
            "item {i}: expected a Kubernetes object, found a {what}"
        ));
    }
    decode_item(i, &Item::Text(raw.get()))
}

/// Decode the items of a JSON List, on as many threads as there are cores
/// for a large one; the result is in item order.
fn decode_all(items: &[&RawValue]) -> Vec<Decoded> {
    in_parallel(items, |base, chunk| {
        Some(
            chunk
                .iter()
                .enumerate()
                .map(|(i, raw)| decode_raw(base + i, raw))
                .collect(),
        )
    })
    .unwrap_or_default()
}

/// How much of a large JSON file is read at a time.
const STREAM_CHUNK_BYTES: usize = 32 << 20;

/// How many List items a core takes at a time while a chunk is decoded: small
/// enough that the cores finish a chunk together, large enough that taking
/// turns costs nothing.
const STREAM_BATCH_ITEMS: usize = 64;

/// The items of a List laid out one value per line, as `kubectl … -o json`,
/// `jq` and most tools write it, read piece by piece and decoded in parallel,
/// without holding the whole file or scanning it on one thread first.
///
/// An item starts on a line indented twice as deep as the List's own keys
/// (raw newlines never occur inside JSON strings, so a line start is always
/// between tokens). Every piece is checked while it is decoded: it must be
/// UTF-8 and hold exactly one value followed by a comma (the last one by the
/// rest of the List), and the List with its items replaced by one marker must
/// parse with the marker as its only item. `None` when any of that does not
/// hold or the file cannot be read; the caller then reads the file the general
/// way, which also gives the messages for malformed files.
fn decode_pretty_stream(mut r: impl Read, chunk: usize) -> Option<Vec<Decoded>> {
    let mut buf = Vec::new();
    let mut eof = fill(&mut r, &mut buf, chunk)?;
    // The start of the List up to its first item; read on if a chunk does not hold it.
    let (text_start, needle, first) = loop {
        if let Some(found) = list_head(&buf) {
            break found;
        }
        if eof || buf.len() > HEAD_MAX_BYTES {
            return None;
        }
        eof = fill(&mut r, &mut buf, chunk)?;
    };
    let finder = memchr::memmem::Finder::new(&needle);
    let prefix = std::str::from_utf8(&buf[text_start..first])
        .ok()?
        .to_string();
    let mut out: Vec<Decoded> = Vec::new();
    let mut next = Vec::new();
    let mut pos = first;
    loop {
        // Whole pieces from `pos` on; the last start's piece may go on in the next chunk.
        let mut starts = vec![pos];
        starts.extend(
            finder
                .find_iter(&buf[pos..])
                .map(|at| pos + at + needle.len() - 1),
        );
        let pieces: Vec<&[u8]> = starts
            .windows(2)
            .map(|w| &buf[w[0]..w[1] + 1 - needle.len()])
            .collect();
        let tail = starts[starts.len() - 1];
        let base = out.len();
        let decode = |at: usize, batch: &[&[u8]]| -> Option<Vec<Decoded>> {
            batch
                .iter()
                .enumerate()
                .map(|(i, piece)| {
                    let piece = std::str::from_utf8(piece).ok()?;
                    let (d, rest) = decode_piece(base + at + i, piece)?;
                    (rest.trim() == ",").then_some(d)
                })
                .collect()
        };
        // Every core decodes these pieces, a batch at a time, while this thread
        // first reads the next chunk and then joins in.
        let (decoded, more) = crate::par::batches(&pieces, STREAM_BATCH_ITEMS, decode, || {
            if eof {
                Some(false)
            } else {
                next.clear();
                next.extend_from_slice(&buf[tail..]);
                fill(&mut r, &mut next, chunk)
            }
        });
        let decoded: Option<Vec<Vec<Decoded>>> = decoded.into_iter().collect();
        let decoded = decoded.map(|d| d.into_iter().flatten());
        out.extend(decoded?);
        if eof {
            pos = tail;
            break;
        }
        eof = more?;
        std::mem::swap(&mut buf, &mut next);
        pos = 0;
    }
    // The last item, then what closes the List, checked with the start of the file.
    let last = std::str::from_utf8(&buf[pos..]).ok()?;
    let (last_decoded, suffix) = decode_piece(out.len(), last)?;
    let envelope = format!("{prefix}0{suffix}");
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        items: Vec<&'a RawValue>,
    }
    let env: Envelope = serde_json::from_str(&envelope).ok()?;
    if env.items.len() != 1 || env.items[0].get() != "0" {
        return None;
    }
    out.push(last_decoded);
    Some(out)
}

/// Where a List's items may start: far into the file is not a `kubectl` List.
const HEAD_MAX_BYTES: usize = 1 << 20;

/// Where the text starts (after a UTF-8 byte-order mark), the bytes that
/// precede every item of a pretty-printed List (a newline and the items'
/// indentation, then `{`), and where its first item starts.
fn list_head(buf: &[u8]) -> Option<(usize, Vec<u8>, usize)> {
    let text_start = if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let open = text_start
        + buf[text_start..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())?;
    if buf[open] != b'{' {
        return None;
    }
    let line = open + memchr::memchr(b'\n', &buf[open..])? + 1;
    let unit = *buf.get(line)?;
    let indent = buf[line..].iter().take_while(|b| **b == unit).count();
    if indent == 0 || !(unit == b' ' || unit == b'\t') || line + indent == buf.len() {
        return None;
    }
    let mut needle = Vec::with_capacity(2 * indent + 2);
    needle.push(b'\n');
    needle.extend(std::iter::repeat_n(unit, 2 * indent));
    needle.push(b'{');
    let first = line + memchr::memmem::find(&buf[line..], &needle)? + needle.len() - 1;
    Some((text_start, needle, first))
}

/// Append up to `want` more bytes of `r` to `buf`: whether the end was
/// reached; `None` on a read error.
fn fill(r: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> Option<bool> {
    buf.reserve(want);
    let got = r.by_ref().take(want as u64).read_to_end(buf).ok()?;
    Some(got < want)
}

/// Decode the one value a piece of a List starts with; the piece's text after it.
fn decode_piece(index: usize, piece: &str) -> Option<(Decoded, &str)> {
    let mut values = serde_json::Deserializer::from_str(piece).into_iter::<Full>();
    if let Some(Ok(full)) = values.next() {
        let end = values.byte_offset();
        return Some((
            decode_with(index, &Item::Text(&piece[..end]), Some(full)),
            &piece[end..],
        ));
    }
    // Not of the one-pass shape: read it kind by kind, if it is JSON at all.
    let mut values = serde_json::Deserializer::from_str(piece).into_iter::<&RawValue>();
    let raw = values.next()?.ok()?;
    let end = values.byte_offset();
    Some((decode_item(index, &Item::Text(raw.get())), &piece[end..]))
}

/// Run `f` over `items` in consecutive shares, one per core for large
/// inputs, and join the results in order; `None` when any share gives `None`.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(usize, &[T]) -> Option<Vec<R>> + Sync,
) -> Option<Vec<R>> {
    let mut out = Vec::with_capacity(items.len());
    for part in crate::par::shares(items, PARALLEL_MIN_ITEMS, f) {
        out.extend(part?);
    }
    Some(out)
}

fn decode_item(index: usize, item: &Item) -> Decoded {
    let full: Option<Full> = match item {
        Item::Text(t) => serde_json::from_str(t).ok(),
        Item::Value(_) => None,
    };
    decode_with(index, item, full)
}

/// Decode one item, given its one-pass read when there was one.
fn decode_with(index: usize, item: &Item, full: Option<Full>) -> Decoded {
    let at = |detail: String| format!("item {index}: {detail}");
    let (head, mut rest) = match full {
        Some(f) => (
            Head {
                kind: f.kind,
                metadata: f.metadata,
            },
            Some(Rest {
                spec: f.spec,
                status: f.status,
                rules: f.rules,
                aggregation_rule: f.aggregation_rule,
                role_ref: f.role_ref,
                subjects: f.subjects,
                type_: f.type_,
            }),
        ),
        None => match item.de::<Head>() {
            Ok(h) => (h, None),
            Err(e) => return Decoded::Problem(at(e)),
        },
    };
    let Some(kind) = head.kind else {
        return Decoded::Problem(at("object without kind".to_string()));
    };
    let meta = head.metadata.unwrap_or_default();
    let Some(name) = meta.name.filter(|n| !n.is_empty()) else {
        return Decoded::Problem(at(format!("{kind} without metadata.name")));
    };
    let namespaced = matches!(
        kind.as_str(),
        "ServiceAccount"
            | "Pod"
            | "Deployment"
            | "DaemonSet"
            | "StatefulSet"
            | "ReplicaSet"
            | "Job"
            | "CronJob"
            | "ReplicationController"
            | "Role"
            | "RoleBinding"
            | "Secret"
            | "ConfigMap"
    );
    let ns = meta.namespace.filter(|n| !n.is_empty());
    if namespaced && ns.is_none() {
        return Decoded::Problem(at(format!("{kind} {name} without namespace")));
    }
    let ns = ns.unwrap_or_default();
    let key = (kind.clone(), ns.clone(), name.clone());
    let labels = meta.labels.unwrap_or_default();
    let annotations = meta.annotations.unwrap_or_default();
    let created = meta.creation_timestamp;
    let owner_references = meta.owner_references;
    let result: Result<Obj, String> = (|| {
        Ok(match kind.as_str() {
            "Namespace" => Obj::Namespace(Namespace {
                name: name.clone(),
                labels,
            }),
            "ServiceAccount" => Obj::ServiceAccount(ServiceAccount {
                namespace: ns.clone(),
                name: name.clone(),
                labels,
                annotations,
                created,
            }),
            "Pod" => {
                let p: PodLite = part(&mut rest, item, Rest::pod)?;
                let spec = p.spec.unwrap_or_default();
                Obj::Pod(Pod {
                    namespace: ns.clone(),
                    name: name.clone(),
                    service_account: spec.service_account(),
                    labels,
                    owner: owner_references.as_ref().and_then(|o| o.first()).map(|o| {
                        format!(
                            "{}/{}",
                            o.kind.as_deref().unwrap_or_default(),
                            o.name.as_deref().unwrap_or_default()
                        )
                    }),
                    containers: spec
                        .containers
                        .unwrap_or_default()
                        .into_iter()
                        .map(|c| Container {
                            name: c.name.unwrap_or_default(),
                            command: c.command.unwrap_or_default(),
                            args: c.args.unwrap_or_default(),
                        })
                        .collect(),
                    node_name: spec.node_name,
                    phase: p.status.and_then(|s| s.phase),
                    host_network: spec.host_network.unwrap_or(false),
                })
            }
            "Deployment"
            | "DaemonSet"
            | "StatefulSet"
            | "ReplicaSet"
            | "Job"
            | "ReplicationController"
            | "CronJob" => {
                let w: WorkloadLite = part(&mut rest, item, Rest::workload)?;
                let spec = w.spec.unwrap_or_default();
                let pod_spec = if kind == "CronJob" {
                    spec.job_template
                        .and_then(|j| j.spec)
                        .and_then(|s| s.template)
                        .and_then(|t| t.spec)
                } else {
                    spec.template.and_then(|t| t.spec)
                };
                Obj::Workload(Workload {
                    kind: kind.clone(),
                    namespace: ns.clone(),
                    name: name.clone(),
                    service_account: pod_spec.unwrap_or_default().service_account(),
                })
            }
            "Role" | "ClusterRole" => {
                let r: RoleLite = part(&mut rest, item, Rest::role)?;
                Obj::Role(RbacRole {
                    namespace: (kind == "Role").then(|| ns.clone()),
                    name: name.clone(),
                    labels,
                    rules: r
                        .rules
                        .unwrap_or_default()
                        .into_iter()
                        .map(RuleLite::into_rule)
                        .collect(),
                    aggregation: r.aggregation_rule.map(|a| {
                        a.cluster_role_selectors
                            .unwrap_or_default()
                            .into_iter()
                            .map(|s| LabelSelector {
                                match_labels: s.match_labels.unwrap_or_default(),
                                match_expressions: s
                                    .match_expressions
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(|e| LabelSelectorRequirement {
                                        key: e.key,
                                        operator: e.operator,
                                        values: e.values.unwrap_or_default(),
                                    })
                                    .collect(),
                            })
                            .collect()
                    }),
                })
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                let b: BindingLite = part(&mut rest, item, Rest::binding)?;
                let Some(rr) = b.role_ref else {
                    return Err(format!("{kind} {name} without roleRef"));
                };
                Obj::Binding(RbacBinding {
                    namespace: (kind == "RoleBinding").then(|| ns.clone()),
                    name: name.clone(),
                    labels,
                    role_ref: RoleRef {
                        kind: rr.kind.unwrap_or_default(),
                        name: rr.name.unwrap_or_default(),
                    },
                    subjects: b
                        .subjects
                        .unwrap_or_default()
                        .into_iter()
                        .map(|s| {
                            let kind = s.kind.unwrap_or_default();
                            let namespace = if kind == "ServiceAccount" {
                                s.namespace
                                    .filter(|n| !n.is_empty())
                                    .or_else(|| (!ns.is_empty()).then(|| ns.clone()))
                            } else {
                                None
                            };
                            RbacSubject {
                                kind,
                                name: s.name.unwrap_or_default(),
                                namespace,
                            }
                        })
                        .collect(),
                })
            }
            "Secret" => {
                let s: SecretLite = part(&mut rest, item, Rest::secret)?;
                Obj::Secret(SecretMeta {
                    namespace: ns.clone(),
                    name: name.clone(),
                    type_: s.type_.unwrap_or_default(),
                    service_account: annotations
                        .get("kubernetes.io/service-account.name")
                        .cloned(),
                    created,
                })
            }
            "ConfigMap" if ns == "kube-system" && name == "aws-auth" => {
                let c: ConfigMapLite = item.de()?;
                let data = c.data.unwrap_or_default();
                Obj::AwsAuth(AwsAuth::parse(
                    data.get("mapRoles").map(String::as_str),
                    data.get("mapUsers").map(String::as_str),
                    data.get("mapAccounts").map(String::as_str),
                ))
            }
            "Node" => {
                let n: NodeLite = item.de()?;
                Obj::Node(crate::model::Node {
                    name: name.clone(),
                    provider_id: n.spec.and_then(|s| s.provider_id),
                    labels,
                })
            }
            "EC2NodeClass" => {
                let c: NodeClassLite = item.de()?;
                let spec = c.spec.unwrap_or_default();
                Obj::NodeClass(crate::model::NodeClass {
                    name: name.clone(),
                    role: spec.role,
                    instance_profile: spec.instance_profile,
                    metadata: spec
                        .metadata_options
                        .map(|m| crate::model::MetadataOptions {
                            http_endpoint: m.http_endpoint,
                            http_tokens: m.http_tokens,
                            hop_limit: m.http_put_response_hop_limit,
                        }),
                })
            }
            "NodePool" => {
                let p: NodePoolLite = item.de()?;
                Obj::NodePool(crate::model::NodePool {
                    name: name.clone(),
                    node_class: p
                        .spec
                        .and_then(|s| s.template)
                        .and_then(|t| t.spec)
                        .and_then(|s| s.node_class_ref)
                        .and_then(|r| r.name),
                })
            }
            _ => Obj::Other,
        })
    })();
    Decoded::Object {
        key,
        result: result.map_err(|e| at(format!("{kind} {name}: {e}"))),
    }
}

#[derive(Deserialize, Default)]
struct NodeLite {
    #[serde(default)]
    spec: Option<NodeSpecLite>,
}

#[derive(Deserialize, Default)]
struct NodeSpecLite {
    #[serde(default, rename = "providerID")]
    provider_id: Option<String>,
}

#[derive(Deserialize, Default)]
struct NodeClassLite {
    #[serde(default)]
    spec: Option<NodeClassSpecLite>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct NodeClassSpecLite {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    instance_profile: Option<String>,
    #[serde(default)]
    metadata_options: Option<MetadataOptionsLite>,
}

/// `spec.metadataOptions` of an EC2NodeClass (camelCase, as Karpenter spells it).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct MetadataOptionsLite {
    #[serde(default)]
    http_endpoint: Option<String>,
    #[serde(default)]
    http_tokens: Option<String>,
    #[serde(default)]
    http_put_response_hop_limit: Option<i64>,
}

#[derive(Deserialize, Default)]
struct NodePoolLite {
    #[serde(default)]
    spec: Option<NodePoolSpecLite>,
}

#[derive(Deserialize, Default)]
struct NodePoolSpecLite {
    #[serde(default)]
    template: Option<NodePoolTemplateLite>,
}

#[derive(Deserialize, Default)]
struct NodePoolTemplateLite {
    #[serde(default)]
    spec: Option<NodePoolTemplateSpecLite>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct NodePoolTemplateSpecLite {
    #[serde(default)]
    node_class_ref: Option<RefLite>,
}

/// Drop a YAML Secret's payload as soon as it is parsed.
fn strip_secret_data(item: &mut Value) {
    if item.get("kind").and_then(Value::as_str) == Some("Secret")
        && let Some(o) = item.as_object_mut()
    {
        o.remove("data");
        o.remove("stringData");
    }
}

// ---------------------------------------------------------------- items

/// One Kubernetes object: JSON text of one value (deserialized lazily, per kind) or a parsed YAML value.
enum Item<'a> {
    Text(&'a str),
    Value(&'a Value),
}

impl Item<'_> {
    fn de<T: DeserializeOwned>(&self) -> Result<T, String> {
        match self {
            Item::Text(t) => serde_json::from_str(t).map_err(|e| json_error(&e)),
            Item::Value(v) => T::deserialize(*v).map_err(|e| e.to_string()),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Meta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    creation_timestamp: Option<String>,
    #[serde(default)]
    owner_references: Option<Vec<OwnerRef>>,
}

#[derive(Deserialize, Default, Clone)]
struct OwnerRef {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Kind and metadata only: every other field (a Secret's `data` among them) is skipped.
#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    metadata: Option<Meta>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PodSpecLite {
    #[serde(default)]
    service_account_name: Option<String>,
    #[serde(default)]
    service_account: Option<String>,
    #[serde(default)]
    containers: Option<Vec<ContainerLite>>,
    #[serde(default)]
    node_name: Option<String>,
    #[serde(default)]
    host_network: Option<bool>,
}

impl PodSpecLite {
    fn service_account(&self) -> String {
        self.service_account_name
            .clone()
            .or_else(|| self.service_account.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "default".to_string())
    }
}

#[derive(Deserialize, Default)]
struct ContainerLite {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    command: Option<Vec<String>>,
    #[serde(default)]
    args: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct PodStatusLite {
    #[serde(default)]
    phase: Option<String>,
}

#[derive(Deserialize, Default)]
struct PodLite {
    #[serde(default)]
    spec: Option<PodSpecLite>,
    #[serde(default)]
    status: Option<PodStatusLite>,
}

#[derive(Deserialize, Default)]
struct TemplateLite {
    #[serde(default)]
    spec: Option<PodSpecLite>,
}

#[derive(Deserialize, Default)]
struct JobSpecLite {
    #[serde(default)]
    template: Option<TemplateLite>,
}

#[derive(Deserialize, Default)]
struct JobTemplateLite {
    #[serde(default)]
    spec: Option<JobSpecLite>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct WorkloadSpecLite {
    #[serde(default)]
    template: Option<TemplateLite>,
    #[serde(default)]
    job_template: Option<JobTemplateLite>,
}

#[derive(Deserialize, Default)]
struct WorkloadLite {
    #[serde(default)]
    spec: Option<WorkloadSpecLite>,
}

#[derive(Deserialize, Default)]
struct RuleLite {
    #[serde(default, rename = "apiGroups")]
    api_groups: Option<Vec<String>>,
    #[serde(default)]
    resources: Option<Vec<String>>,
    #[serde(default, rename = "resourceNames")]
    resource_names: Option<Vec<String>>,
    #[serde(default, rename = "nonResourceURLs")]
    non_resource_urls: Option<Vec<String>>,
    #[serde(default)]
    verbs: Option<Vec<String>>,
}

impl RuleLite {
    fn into_rule(self) -> PolicyRule {
        PolicyRule {
            api_groups: self.api_groups.unwrap_or_default(),
            resources: self.resources.unwrap_or_default(),
            resource_names: self.resource_names.unwrap_or_default(),
            non_resource_urls: self.non_resource_urls.unwrap_or_default(),
            verbs: self.verbs.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SelectorRequirementLite {
    key: String,
    operator: String,
    #[serde(default)]
    values: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SelectorLite {
    #[serde(default)]
    match_labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    match_expressions: Option<Vec<SelectorRequirementLite>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AggregationLite {
    #[serde(default)]
    cluster_role_selectors: Option<Vec<SelectorLite>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RoleLite {
    #[serde(default)]
    rules: Option<Vec<RuleLite>>,
    #[serde(default)]
    aggregation_rule: Option<AggregationLite>,
}

#[derive(Deserialize, Default)]
struct RefLite {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct BindingLite {
    #[serde(default)]
    role_ref: Option<RefLite>,
    #[serde(default)]
    subjects: Option<Vec<RefLite>>,
}

#[derive(Deserialize, Default)]
struct SecretLite {
    #[serde(default, rename = "type")]
    type_: Option<String>,
}

#[derive(Deserialize, Default)]
struct ConfigMapLite {
    #[serde(default)]
    data: Option<BTreeMap<String, String>>,
}

// ---------------------------------------------------------------- iam helpers

/// The elements of a list field, taken out of the object (none when it is not a list).
fn take_list(o: &mut serde_json::Map<String, Value>, key: &str) -> Vec<Value> {
    match o.get_mut(key) {
        Some(Value::Array(a)) => std::mem::take(a),
        _ => Vec::new(),
    }
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// A policy document as the CLI prints it (an object) or as the API returns it
/// (URL-encoded JSON text).
pub fn decode_document(v: Value) -> Result<Value, String> {
    match v {
        Value::Object(_) => Ok(v),
        Value::String(s) => {
            let text = if s.trim_start().starts_with('{') {
                s
            } else {
                percent_encoding::percent_decode_str(&s)
                    .decode_utf8()
                    .map_err(|e| format!("URL-encoded document is not UTF-8: {e}"))?
                    .into_owned()
            };
            let doc: Value = serde_json::from_str(&text)
                .map_err(|e| format!("document is not valid JSON: {}", json_error(&e)))?;
            if doc.is_object() {
                Ok(doc)
            } else {
                Err(format!(
                    "document is a {}, not a JSON object",
                    type_of(&doc)
                ))
            }
        }
        other => Err(format!(
            "document is a {}, not an object or URL-encoded string",
            type_of(&other)
        )),
    }
}

/// The inline policies under `key`; their documents are taken out of `v`.
fn inline_policies(v: &mut Value, key: &str, problems: &mut Vec<String>) -> Vec<InlinePolicy> {
    let mut out = Vec::new();
    for (i, p) in v
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .map(Vec::as_mut_slice)
        .unwrap_or(&mut [])
        .iter_mut()
        .enumerate()
    {
        let name = str_field(p, "PolicyName").unwrap_or_else(|| format!("{key}[{i}]"));
        match p
            .get_mut("PolicyDocument")
            .map(Value::take)
            .map(decode_document)
        {
            Some(Ok(document)) => out.push(InlinePolicy { name, document }),
            Some(Err(e)) => problems.push(format!("inline policy {name}: {e}")),
            None => problems.push(format!("inline policy {name}: no PolicyDocument")),
        }
    }
    out
}

fn attached(v: &Value) -> Vec<AttachedPolicy> {
    v.get("AttachedManagedPolicies")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some(AttachedPolicy {
                        name: str_field(p, "PolicyName").unwrap_or_default(),
                        arn: str_field(p, "PolicyArn")?,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn tags(v: &Value) -> BTreeMap<String, String> {
    v.get("Tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some((
                        str_field(t, "Key")?,
                        str_field(t, "Value").unwrap_or_default(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// EC2's `MetadataOptions` (PascalCase, as `describe-instances` and launch
/// templates print them). A field of the wrong type is an error, not a default.
fn metadata_options(m: &Value) -> Result<crate::model::MetadataOptions, String> {
    if !m.is_object() {
        return Err(format!("expected an object, found a {}", type_of(m)));
    }
    let text = |k: &str| -> Result<Option<String>, String> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_ascii_lowercase())),
            Some(other) => Err(format!(
                "{k}: expected a string, found a {}",
                type_of(other)
            )),
        }
    };
    let hop_limit = match m.get("HttpPutResponseHopLimit") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| format!("HttpPutResponseHopLimit: {s:?} is not a number"))?,
        ),
        Some(other) => {
            return Err(format!(
                "HttpPutResponseHopLimit: expected a number, found a {}",
                type_of(other)
            ));
        }
    };
    Ok(crate::model::MetadataOptions {
        http_endpoint: text("HttpEndpoint")?,
        http_tokens: text("HttpTokens")?,
        hop_limit,
    })
}

/// (ARN, name) of each instance profile in a role's `InstanceProfileList`.
fn instance_profiles_of(role: &Value) -> Vec<(String, String)> {
    role.get("InstanceProfileList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let arn = str_field(p, "Arn")?;
            let name = str_field(p, "InstanceProfileName")
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default();
            Some((arn, name))
        })
        .collect()
}

/// Record that a role is in these instance profiles (one entry per profile).
fn add_instance_profiles(iam: &mut IamInventory, role_arn: &str, profiles: Vec<(String, String)>) {
    for (arn, name) in profiles {
        match iam.instance_profiles.iter_mut().find(|p| p.arn == arn) {
            Some(p) => {
                if !p.roles.iter().any(|r| r == role_arn) {
                    p.roles.push(role_arn.to_string());
                }
            }
            None => iam.instance_profiles.push(crate::model::InstanceProfile {
                arn,
                name,
                roles: vec![role_arn.to_string()],
            }),
        }
    }
}

fn require_object(v: &Value) -> Result<(), String> {
    if v.is_object() {
        Ok(())
    } else {
        Err(format!("expected an object, found a {}", type_of(v)))
    }
}

fn parse_role(mut owned: Value) -> Result<(IamRole, Vec<String>), String> {
    require_object(&owned)?;
    let mut problems = Vec::new();
    let trust = owned
        .get_mut("AssumeRolePolicyDocument")
        .map(Value::take)
        .map(decode_document);
    let trust_policy = match trust {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            problems.push(format!("AssumeRolePolicyDocument: {e}"));
            None
        }
        None => None,
    };
    let inline_policies = inline_policies(&mut owned, "RolePolicyList", &mut problems);
    let v = &owned;
    let arn = str_field(v, "Arn").ok_or("no Arn")?;
    let name = str_field(v, "RoleName")
        .or_else(|| arn.rsplit('/').next().map(str::to_string))
        .unwrap_or_default();
    let last_used_v = v.get("RoleLastUsed");
    Ok((
        IamRole {
            name,
            path: str_field(v, "Path").unwrap_or_else(|| "/".to_string()),
            role_id: str_field(v, "RoleId").unwrap_or_default(),
            created: str_field(v, "CreateDate"),
            trust_policy,
            inline_policies,
            attached_policies: attached(v),
            permissions_boundary: v
                .pointer("/PermissionsBoundary/PermissionsBoundaryArn")
                .and_then(Value::as_str)
                .map(str::to_string),
            last_used: last_used_v.and_then(|l| str_field(l, "LastUsedDate")),
            last_used_known: last_used_v.is_some_and(Value::is_object),
            tags: tags(v),
            arn,
        },
        problems,
    ))
}

fn parse_user(mut owned: Value) -> Result<(IamUser, Vec<String>), String> {
    require_object(&owned)?;
    let mut problems = Vec::new();
    let inline_policies = inline_policies(&mut owned, "UserPolicyList", &mut problems);
    let v = &owned;
    let arn = str_field(v, "Arn").ok_or("no Arn")?;
    Ok((
        IamUser {
            name: str_field(v, "UserName")
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default(),
            path: str_field(v, "Path").unwrap_or_else(|| "/".to_string()),
            inline_policies,
            attached_policies: attached(v),
            groups: str_list(v.get("GroupList")),
            permissions_boundary: v
                .pointer("/PermissionsBoundary/PermissionsBoundaryArn")
                .and_then(Value::as_str)
                .map(str::to_string),
            arn,
        },
        problems,
    ))
}

fn parse_group(mut owned: Value) -> Result<(IamGroup, Vec<String>), String> {
    require_object(&owned)?;
    let mut problems = Vec::new();
    let inline_policies = inline_policies(&mut owned, "GroupPolicyList", &mut problems);
    let v = &owned;
    let arn = str_field(v, "Arn").ok_or("no Arn")?;
    Ok((
        IamGroup {
            name: str_field(v, "GroupName")
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default(),
            path: str_field(v, "Path").unwrap_or_else(|| "/".to_string()),
            inline_policies,
            attached_policies: attached(v),
            arn,
        },
        problems,
    ))
}

fn parse_managed_policy(mut owned: Value) -> Result<(ManagedPolicy, Vec<String>), String> {
    require_object(&owned)?;
    let arn = str_field(&owned, "Arn").ok_or("no Arn")?;
    let mut problems = Vec::new();
    let default_id = str_field(&owned, "DefaultVersionId");
    let versions = owned
        .get_mut("PolicyVersionList")
        .and_then(Value::as_array_mut)
        .map(Vec::as_mut_slice)
        .unwrap_or(&mut []);
    let listed = !versions.is_empty();
    let default = versions
        .iter()
        .position(|ver| ver.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
        .or_else(|| {
            versions
                .iter()
                .position(|ver| default_id.is_some() && str_field(ver, "VersionId") == default_id)
        });
    // The default version's document is taken out, not copied.
    let document = default
        .and_then(|i| versions[i].get_mut("Document"))
        .map(Value::take);
    let v = &owned;
    let document = match document.map(decode_document) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            problems.push(format!("default version document: {e}"));
            None
        }
        None => {
            if listed {
                problems.push("no default version in PolicyVersionList".to_string());
            }
            None
        }
    };
    Ok((
        ManagedPolicy {
            name: str_field(v, "PolicyName")
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default(),
            path: str_field(v, "Path").unwrap_or_else(|| "/".to_string()),
            default_version_id: default_id,
            document,
            arn,
        },
        problems,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_file_forms() {
        let one = split_flags_file("kube-apiserver --a=1 --b 2 \\\n  --c='x y'\n# comment\n--d\n");
        assert_eq!(
            one,
            vec!["kube-apiserver", "--a=1", "--b", "2", "--c=x y", "--d"]
        );
    }

    #[test]
    fn url_encoded_documents() {
        let enc = Value::String(
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D".into(),
        );
        let d = decode_document(enc).unwrap();
        assert_eq!(d["Version"], "2012-10-17");
        assert!(decode_document(Value::String("%7Bnot json".into())).is_err());
        assert!(decode_document(Value::Bool(true)).is_err());
    }

    /// A List of items of every kind the reader knows, some odd ones among them.
    fn sample_items() -> Vec<Value> {
        use serde_json::json;
        let mut items = vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
            json!({"kind": "ServiceAccount", "metadata": {"name": "s", "namespace": "a",
                "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/r"}}}),
            // A string holding what looks like an item start: never a line start in JSON.
            json!({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"},
                "data": {"x": "\n    {\n      \"kind\": \"Pod\""}}),
            json!({"kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
                "spec": {"serviceAccountName": "s", "containers": [{"name": "c", "image": "i",
                    "args": ["--x", "{"]}], "volumes": [{"name": "v", "projected": {"sources": [{}]}}]}}),
            // A field of an unexpected type: read kind by kind, with its message.
            json!({"kind": "Pod", "metadata": {"name": "q", "namespace": "a"}, "spec": {"containers": 5}}),
            json!({"kind": "Role", "metadata": {"name": "r", "namespace": "a"},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}),
            json!({"kind": "Secret", "metadata": {"name": "t", "namespace": "a"},
                "type": "kubernetes.io/service-account-token", "data": {"token": "c2VjcmV0"}}),
            json!({"kind": "Pod", "metadata": {"name": "no-namespace"}}),
            json!({"metadata": {"name": "no-kind"}}),
        ];
        for n in 0..50 {
            items.push(json!({"kind": "ServiceAccount", "metadata": {"name": format!("sa-{n}"), "namespace": "a"}}));
        }
        items
    }

    fn pretty(v: &Value, indent: &[u8]) -> String {
        use serde::Serialize;
        let mut out = Vec::new();
        let f = serde_json::ser::PrettyFormatter::with_indent(indent);
        let mut ser = serde_json::Serializer::with_formatter(&mut out, f);
        v.serialize(&mut ser).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn stream(text: &str) -> Option<Vec<Decoded>> {
        decode_pretty_stream(text.as_bytes(), STREAM_CHUNK_BYTES)
    }

    fn inventory_of(text: &str) -> String {
        let files = MemFiles(BTreeMap::from([(
            "kubernetes.json".to_string(),
            text.as_bytes().to_vec(),
        )]));
        let (inv, _) = read_counted(&files);
        // Places inside an item are counted from the item's first line, which
        // differs between layouts: compare without them.
        let text = format!("{inv:?}");
        let mut out = String::new();
        for (i, part) in text.split("line ").enumerate() {
            if i > 0 {
                out.push_str("line ");
            }
            match part.split_once(", column ") {
                Some((l, rest)) if l.bytes().all(|b| b.is_ascii_digit()) => {
                    out.push_str("_, column ");
                    out.push_str(rest.trim_start_matches(|c: char| c.is_ascii_digit()));
                }
                _ => out.push_str(part),
            }
        }
        out
    }

    #[test]
    fn pretty_lists_are_split_in_parallel_and_read_as_the_general_way() {
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List",
            "metadata": {"resourceVersion": ""}, "items": sample_items()});
        let general = inventory_of(&list.to_string());
        assert!(stream(&list.to_string()).is_none(), "one line: no split");
        for indent in [&b" "[..], b"  ", b"    ", b"\t"] {
            let text = pretty(&list, indent);
            let fast = stream(&text).expect("a pretty List is split");
            assert_eq!(fast.len(), sample_items().len());
            assert_eq!(inventory_of(&text), general, "indent {indent:?}");
            let crlf = text.replace('\n', "\r\n");
            assert!(stream(&crlf).is_some());
            assert_eq!(inventory_of(&crlf), general);
            let bom = format!("\u{feff}{text}");
            assert!(stream(&bom).is_some());
            assert_eq!(inventory_of(&bom), general);
            // Read a few bytes at a time: pieces and the List's start span chunks.
            let whole = format!("{fast:?}");
            for chunk in [5, 64, 1000] {
                let got = decode_pretty_stream(text.as_bytes(), chunk).expect("split");
                assert_eq!(format!("{got:?}"), whole, "chunk {chunk}");
            }
        }
        assert!(
            general.contains("item 4: "),
            "the odd Pod's message is kept"
        );
        assert!(general.contains("no-namespace without namespace"));
    }

    #[test]
    fn pretty_split_gives_way_when_the_layout_is_not_one_value_per_line() {
        let items = sample_items();
        let list = serde_json::json!({"kind": "List", "items": items});
        let text = pretty(&list, b"  ");
        // Another top-level array of objects before items: its elements sit at the same depth.
        let other = pretty(
            &serde_json::json!({"extra": [{"kind": "Namespace", "metadata": {"name": "x"}}], "items": items}),
            b"  ",
        );
        assert!(stream(&other).is_none());
        assert_eq!(inventory_of(&other), inventory_of(&list.to_string()));
        // A non-object item, two items on one line, broken JSON: the general reader decides.
        for broken in [
            text.replacen(
                "\n    {\n      \"kind\": \"ServiceAccount\"",
                "\n    7,\n    {\n      \"kind\": \"ServiceAccount\"",
                1,
            ),
            text.replacen("},\n    {", "}, {", 1),
            text.replacen("\"name\": \"s\"", "\"name\": \"s\",,", 1),
            text.replacen("\n  ]\n}", "\n  ]\n", 1),
            text.replacen("\n  ]\n}", "\n  ],\n  \"items\": []\n}", 1),
        ] {
            assert_ne!(broken, text);
            assert!(stream(&broken).is_none(), "{broken}");
            assert!(
                decode_pretty_stream(broken.as_bytes(), 5).is_none(),
                "{broken}"
            );
        }
        let garbage = text.replacen("\"name\": \"s\"", "\"name\": \"s\",,", 1);
        assert!(
            inventory_of(&garbage).contains("line "),
            "the general reader names the place"
        );
    }

    /// Every iam.json of the repository (and odd variants of one): where the
    /// typed reader takes a file, it reads what the general reader reads.
    #[test]
    fn typed_iam_reader_agrees_with_the_general_one() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut dirs = vec![root.join("tests/fixtures"), root.join("assets/demo")];
        while let Some(d) = dirs.pop() {
            for e in fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.file_name().is_some_and(|n| n == "iam.json")
                    && let Ok(t) = fs::read_to_string(&p)
                {
                    texts.push((p.display().to_string(), t));
                }
            }
        }
        let demo = fs::read_to_string(root.join("assets/demo/iam.json")).unwrap();
        let variants = [
            ("\"RoleName\"", "\"Ignored\": 5, \"RoleName\""),
            ("\"Path\"", "\"Path\": null, \"Was\""),
            ("\"RoleLastUsed\": {", "\"RoleLastUsed\": null, \"X\": {"),
            (
                "\"AssumeRolePolicyDocument\": {",
                "\"AssumeRolePolicyDocument\": null, \"X\": {",
            ),
            (
                "\"PolicyDocument\": {",
                "\"PolicyDocument\": \"%7Bbad\", \"X\": {",
            ),
            ("\"Arn\": \"arn:aws:iam::", "\"Arn\": \"arn:aws:iam:::"),
            ("\"IsDefaultVersion\": true", "\"IsDefaultVersion\": false"),
            ("\"RoleName\"", "\"RoleName\": 7, \"Was\""),
            ("\"Tags\": [", "\"Tags\": [{\"Key\": \"k\"}, 5, "),
        ];
        for (from, to) in variants {
            assert!(demo.contains(from), "{from}");
            texts.push((format!("demo with {to}"), demo.replacen(from, to, 1)));
        }
        let mut typed_read = 0;
        for (name, text) in &texts {
            let Ok(v) = serde_json::from_str::<Value>(text) else {
                assert!(typed::read(text).is_none(), "{name}");
                continue;
            };
            if let Some(t) = typed::read(text) {
                typed_read += 1;
                assert_eq!(
                    format!("{t:?}"),
                    format!("{:?}", read_iam_value(v)),
                    "{name}"
                );
            }
        }
        assert!(
            typed_read >= 10,
            "only {typed_read} of {} files read typed",
            texts.len()
        );
    }
}
