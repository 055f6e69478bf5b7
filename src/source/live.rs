//! Live collection from a cluster and an AWS account.
//!
//! The live source fetches the same raw outputs a user gets from `kubectl` and
//! the `aws` CLI (the files of a snapshot, held in memory), parses them with the
//! snapshot reader, then corrects coverage with what only the live collection
//! knows (403 → `forbidden`, failures → `error`, a cluster that is not EKS →
//! `not-observable`). `snapshot DIR` writes those same files, so `audit --from
//! DIR` gives the findings a live `audit` gives. One parser, both directions.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde_json::Value;

use super::snapshot::{
    KUBE_KINDS, MemFiles, SRC_ACCESS, SRC_APISERVER, SRC_AWS_AUTH, SRC_EKS, SRC_IAM, SRC_OIDC,
    SRC_PODID, SRC_SECRETS, SRC_STS, read_files,
};
use crate::model::{Inventory, Mode, Status};
use crate::source::{Check, Target};

/// Progress of a live collection, for the UI's header and the CLI's stderr.
#[derive(Debug, Clone)]
pub enum Progress {
    Started {
        source: String,
    },
    Finished {
        source: String,
        status: Status,
        count: Option<usize>,
    },
    /// Attempt `attempt` of `of` failed for a reason worth another try; the
    /// next one starts after `wait` where it is known (sent as the back-off
    /// begins; the AWS SDK computes its own back-off and does not tell).
    Retrying {
        source: String,
        attempt: u32,
        of: u32,
        wait: Option<Duration>,
        why: String,
    },
}

impl Progress {
    /// One line for a person: the UI's header, the CLI's standard error.
    pub fn line(&self) -> String {
        match self {
            Progress::Started { source } => format!("reading {source}…"),
            Progress::Finished {
                source,
                status,
                count: Some(n),
            } => format!("{source}: {} ({n})", status.as_str()),
            Progress::Finished { source, status, .. } => {
                format!("{source}: {}", status.as_str())
            }
            Progress::Retrying {
                source,
                attempt,
                of,
                wait,
                why,
            } => match wait {
                Some(w) => format!(
                    "{source}: retrying in {:.1}s (attempt {attempt} of {of}: {why})",
                    w.as_secs_f64()
                ),
                None => format!("{source}: retrying (attempt {attempt} of {of}: {why})"),
            },
        }
    }
}

/// The files a live collection writes into a snapshot directory, and reads.
pub const SNAPSHOT_FILES: [&str; 9] = [
    "kubernetes.json",
    "kubernetes-aws-auth.json",
    "kubernetes-secrets.json",
    "iam.json",
    "iam-oidc-providers.json",
    "eks-cluster.json",
    "eks-access-entries.json",
    "eks-pod-identity-associations.json",
    "sts-caller-identity.json",
];

/// The live coverage written beside the snapshot files, for people and tools:
/// why a file is absent, or which kinds of `kubernetes.json` could not be listed.
pub const COVERAGE_FILE: &str = "iamscope-coverage.json";

/// A coverage entry the live collection knows better than the files say.
#[derive(Debug, Clone)]
pub struct Note {
    pub source: String,
    pub status: Status,
    pub count: Option<usize>,
    pub detail: Option<String>,
}

/// Snapshot files fetched so far and the coverage corrections that go with them.
#[derive(Debug, Default)]
pub struct Collected {
    pub files: BTreeMap<String, Vec<u8>>,
    pub notes: Vec<Note>,
}

impl Collected {
    /// Keep an output under its snapshot file name, as indented JSON.
    pub fn file(&mut self, name: &str, value: &Value) {
        let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
        bytes.push(b'\n');
        self.files.insert(name.to_string(), bytes);
    }

    /// Keep an output already written as JSON text.
    pub fn bytes(&mut self, name: &str, bytes: Vec<u8>) {
        self.files.insert(name.to_string(), bytes);
    }

    pub fn note(&mut self, source: &str, status: Status, detail: impl Into<String>) {
        self.notes.push(Note {
            source: source.to_string(),
            status,
            count: None,
            detail: Some(detail.into()),
        });
    }

    pub fn extend(&mut self, other: Collected) {
        self.files.extend(other.files);
        self.notes.extend(other.notes);
    }
}

/// Bounds of a live collection.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Requests in flight at once, per family of calls.
    pub parallel: usize,
    /// Items per page of a Kubernetes LIST.
    pub page_size: u32,
    /// Time allowed to one source (all its pages and per-item calls).
    pub timeout: Duration,
}

impl Limits {
    /// Defaults, overridable by `IAMSCOPE_PARALLEL`, `IAMSCOPE_PAGE_SIZE`,
    /// `IAMSCOPE_TIMEOUT_SECS` (for slow clusters and for tests).
    pub fn from_env() -> Limits {
        let num = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .filter(|&n| n > 0)
        };
        Limits {
            parallel: num("IAMSCOPE_PARALLEL").map_or(6, |n| n.min(64) as usize),
            page_size: num("IAMSCOPE_PAGE_SIZE").map_or(500, |n| n.min(10_000) as u32),
            timeout: super::kube::timeout_from_env(Duration::from_secs(180)),
        }
    }
}

/// An error and its causes on one line, without the Debug dumps some error
/// types add (those can hold whole responses).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Run `f` over `jobs` with at most `parallel` in flight; results in job order.
pub async fn run_bounded<J, T, F, Fut>(parallel: usize, jobs: Vec<J>, f: F) -> Vec<T>
where
    F: Fn(J) -> Fut,
    Fut: Future<Output = T>,
{
    stream::iter(jobs.into_iter().map(f))
        .buffered(parallel.max(1))
        .collect()
        .await
}

/// Collect a live inventory (blocking; runs its own async runtime, so call it
/// from outside one, e.g. from `spawn_blocking`), with what `check` kept of it.
pub fn collect<C: Check>(
    target: &Target,
    progress: &(dyn Fn(Progress) + Send + Sync),
    check: &C,
) -> Result<(Inventory, C::Kept), String> {
    gather(target, progress, check).map(|(inv, kept, _)| (inv, kept))
}

/// Collect live and write the snapshot files into `dir` (created 0700; files 0600).
pub fn snapshot<C: Check>(
    target: &Target,
    dir: &Path,
    progress: &(dyn Fn(Progress) + Send + Sync),
    check: &C,
) -> Result<Inventory, String> {
    let (inv, _, collected) = gather(target, progress, check)?;
    write_snapshot(dir, &collected)?;
    Ok(inv)
}

fn gather<C: Check>(
    target: &Target,
    progress: &(dyn Fn(Progress) + Send + Sync),
    check: &C,
) -> Result<(Inventory, C::Kept, Collected), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(gather_async(target, progress, check))
}

async fn gather_async<C: Check>(
    target: &Target,
    progress: &(dyn Fn(Progress) + Send + Sync),
    check: &C,
) -> Result<(Inventory, C::Kept, Collected), String> {
    let limits = Limits::from_env();
    let (conn, kube_error) = match super::kube::connect(target).await {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e)),
    };
    let hint = conn.as_ref().map(|c| c.hint.clone()).unwrap_or_default();
    let plan = super::aws::Plan::new(target, &hint);
    let kube_side = async {
        match &conn {
            Some(c) => super::kube::collect(c, &limits, progress).await,
            None => {
                let mut out = Collected::default();
                let detail = kube_error.clone().unwrap_or_default();
                for (_, source) in KUBE_KINDS {
                    out.note(source, Status::Error, detail.clone());
                }
                out.note(SRC_AWS_AUTH, Status::Error, detail.clone());
                out.note(SRC_SECRETS, Status::Error, detail);
                out
            }
        }
    };
    let aws_side = super::aws::collect(&plan, &limits, progress);
    let (kube_out, aws_out) = tokio::join!(kube_side, aws_side);
    let mut collected = kube_out;
    collected.extend(aws_out);

    let files = MemFiles(collected.files.clone());
    let Some((mut inv, kept)) = read_files(&files, check) else {
        let why: Vec<String> = collected
            .notes
            .iter()
            .filter_map(|n| n.detail.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        return Err(format!(
            "nothing could be collected from the cluster or the account: {}",
            why.join("; ")
        ));
    };
    inv.mode = Mode::Live;
    for n in &collected.notes {
        inv.coverage
            .set(&n.source, n.status, n.count, n.detail.clone());
    }
    fix_apiserver_coverage(&mut inv);

    // The kubeconfig files used to connect are audited too (CFG rules).
    match &conn {
        Some(c) if !c.kubeconfig_paths.is_empty() => {
            let paths: Vec<String> = c
                .kubeconfig_paths
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            inv.kubeconfigs = super::kubeconfig::read_all(&paths, &mut inv.coverage);
        }
        Some(_) => inv.coverage.set(
            super::kubeconfig::SRC_KUBECONFIG,
            Status::Missing,
            None,
            Some("connected with the in-cluster service account: no kubeconfig".to_string()),
        ),
        None => inv.coverage.set(
            super::kubeconfig::SRC_KUBECONFIG,
            Status::Error,
            None,
            kube_error.clone(),
        ),
    }
    Ok((inv, kept, collected))
}

/// The reader decides about the API server's flags before it knows that pods
/// could not be listed; say why they are missing.
fn fix_apiserver_coverage(inv: &mut Inventory) {
    if inv.apiserver.is_some() || inv.cluster.is_some() {
        return;
    }
    let pods = inv
        .coverage
        .status("kubernetes/pods")
        .filter(|s| s.status != Status::Ok)
        .map(|s| (s.status, s.detail.clone().unwrap_or_default()));
    if let Some((status, detail)) = pods {
        inv.coverage.set(
            SRC_APISERVER,
            Status::Missing,
            None,
            Some(format!(
                "pods could not be listed ({}): {detail}",
                status.as_str()
            )),
        );
    }
}

/// The bundled demo snapshot's files, written to `dir` as a collection would
/// write them (a directory to start from, or to try `--from` on).
pub fn write_demo(dir: &Path) -> Result<(), String> {
    let collected = Collected {
        files: super::demo::files().0,
        notes: Vec::new(),
    };
    write_snapshot(dir, &collected)
}

fn write_snapshot(dir: &Path, collected: &Collected) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "{} exists and is not a directory; name a new or existing directory",
            dir.display()
        ));
    }
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    for (name, bytes) in &collected.files {
        write_private(&dir.join(name), bytes)?;
    }
    // A file of an earlier snapshot that this collection could not fetch would
    // otherwise be read as current.
    for name in SNAPSHOT_FILES {
        if !collected.files.contains_key(name) {
            let path = dir.join(name);
            if path.is_file() {
                std::fs::remove_file(&path).map_err(|e| {
                    format!(
                        "cannot remove the stale {} (this collection could not fetch it): {e}",
                        path.display()
                    )
                })?;
            }
        }
    }
    let coverage: Vec<Value> = collected
        .notes
        .iter()
        .map(|n| {
            serde_json::json!({
                "source": n.source,
                "status": n.status.as_str(),
                "detail": n.detail,
            })
        })
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&serde_json::json!({
        "note": "sources the live collection could not fetch in full; their files are absent or partial",
        "sources": coverage,
    }))
    .unwrap_or_default();
    bytes.push(b'\n');
    write_private(&dir.join(COVERAGE_FILE), &bytes)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // An existing file keeps its mode on open; snapshots hold sensitive metadata.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
    }
    f.write_all(bytes)
        .and_then(|_| f.flush())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Coverage names of the AWS side, for notes made before any call.
pub const AWS_SOURCES: [&str; 9] = [
    SRC_STS,
    SRC_IAM,
    SRC_OIDC,
    SRC_EKS,
    SRC_ACCESS,
    SRC_PODID,
    super::snapshot::SRC_EC2,
    super::snapshot::SRC_NODEGROUPS,
    super::snapshot::SRC_LAUNCH_TEMPLATES,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_say_what_happens() {
        let retry = Progress::Retrying {
            source: "kubernetes/pods".into(),
            attempt: 2,
            of: 5,
            wait: Some(Duration::from_millis(1500)),
            why: "429 TooManyRequests".into(),
        };
        assert_eq!(
            retry.line(),
            "kubernetes/pods: retrying in 1.5s (attempt 2 of 5: 429 TooManyRequests)"
        );
        let sdk = Progress::Retrying {
            source: "aws/iam".into(),
            attempt: 1,
            of: 5,
            wait: None,
            why: "iam:GetAccountAuthorizationDetails throttled (HTTP 400)".into(),
        };
        assert_eq!(
            sdk.line(),
            "aws/iam: retrying (attempt 1 of 5: iam:GetAccountAuthorizationDetails throttled (HTTP 400))"
        );
    }
}
