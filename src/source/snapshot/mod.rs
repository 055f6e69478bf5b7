//! Reading a snapshot directory (kubectl and aws CLI outputs) into an
//! [`Inventory`], with coverage saying what each file gave.
//!
//! One idea a file: `discover` (where the files come from: a directory or
//! memory, loading with a size cap, and errors that name file and place),
//! `stream` (JSON and YAML lists decoded in pieces and in parallel),
//! `kubernetes` (the Kubernetes kinds and their typed reading), `shapes`
//! (the typed shapes objects are read through), `iam` (the
//! IAM authorization details), `eks` (the OIDC providers, the EKS cluster,
//! access entries, Pod Identity associations, STS identity, API server
//! flags), `nodes` (EC2 instances, node groups, launch templates),
//! `coverage` (the collector's notes on what it could not read).
//! This file holds the source names, the error type and the reading order.
//! Sources read into the model only: no policy evaluation beyond parsing, no
//! UI, and they never write (ARCHITECTURE.md).

use super::Check;
use crate::hashing::HashSet;
use crate::model::{
    AccessEntry, AccessPolicyAssociation, ApiServerFlags, AttachedPolicy, AwsAuth, Container,
    EksCluster, IamGroup, IamInventory, IamRole, IamUser, InlinePolicy, Inventory, LabelSelector,
    LabelSelectorRequirement, ManagedPolicy, Mode, Namespace, OidcProvider, Pod,
    PodIdentityAssociation, PolicyRule, RbacBinding, RbacRole, RbacSubject, RoleRef, SecretMeta,
    ServiceAccount, Status, Workload,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

mod coverage;
mod discover;
mod eks;
mod iam;
mod kubernetes;
mod nodes;
mod shapes;
mod stream;
#[cfg(test)]
mod tests;

pub use coverage::*;
pub use discover::*;
pub use eks::*;
pub use iam::*;
pub use kubernetes::*;
pub use nodes::*;
use shapes::*;
use stream::*;

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
                "{} is not a snapshot directory (it does not exist or is not a directory); make one with `iamscope snapshot DIR` (live) or by hand as docs/snapshot.md shows, or write the demo's with `iamscope snapshot --demo DIR`",
                p.display()
            ),
            SnapshotError::Unreadable(p, e) => {
                write!(f, "cannot read snapshot directory {}: {e}", p.display())
            }
            SnapshotError::Empty(p) => write!(
                f,
                "nothing readable in {}: expected kubernetes.json, iam.json, eks-cluster.json or the other files of a snapshot (docs/snapshot.md lists them)",
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

/// Read a snapshot directory into an inventory, with what `check` kept of it.
pub fn read_dir<C: Check>(dir: &Path, check: &C) -> Result<(Inventory, C::Kept), SnapshotError> {
    if !dir.is_dir() {
        return Err(SnapshotError::NotADirectory(dir.to_path_buf()));
    }
    fs::read_dir(dir).map_err(|e| SnapshotError::Unreadable(dir.to_path_buf(), e.to_string()))?;
    let (inv, kept, readable) = read_counted(&DirFiles(dir.to_path_buf()), check);
    if readable > 0 {
        Ok((inv, kept))
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

/// Read snapshot files into an inventory, with what `check` kept of it; `None`
/// when not one file was readable.
pub fn read_files<C: Check>(files: &dyn Files, check: &C) -> Option<(Inventory, C::Kept)> {
    let (inv, kept, readable) = read_counted(files, check);
    (readable > 0).then_some((inv, kept))
}

/// The inventory, what `check` kept and how many files parsed.
fn read_counted<C: Check>(files: &dyn Files, check: &C) -> (Inventory, C::Kept, usize) {
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
            IamDone::Read(IamOutcome::Read(iam, _)) => check.documents(iam),
            _ => (Vec::new(), C::Kept::default()),
        };
        tracing::debug!("checked policy documents in {:?}", t.elapsed());
        (done, checked)
    };
    let (document_problems, kept) = std::thread::scope(|s| {
        let iam = s.spawn(iam_done);
        r.read_kubernetes(&names);
        let (iam, checked) = iam
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        r.read_iam(iam);
        checked
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
    for detail in check.gaps(&r.inv) {
        r.inv.coverage.problem("nodes", detail);
    }
    for detail in document_problems {
        r.inv.coverage.problem(IAM_FILE, detail);
    }
    (r.inv, kept, r.readable)
}

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
