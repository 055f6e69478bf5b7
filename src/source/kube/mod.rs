//! The Kubernetes half of the live source: connect as kubectl does, then one
//! paginated cluster-wide LIST per kind, the `aws-auth` ConfigMap, and the
//! service-account-token Secrets as metadata only. The outputs are the JSON
//! files of a snapshot (`kubernetes.json`, `kubernetes-aws-auth.json`,
//! `kubernetes-secrets.json`), so the snapshot reader parses them.
//!
//! Every request goes through one retry loop (`fetch`): 429, 5xx, broken
//! connections and stalled answers are tried again (Retry-After honoured,
//! else exponential back-off with jitter), up to 5 attempts and never past the
//! source's time (`IAMSCOPE_TIMEOUT_SECS`); kube's own retry layer is off so
//! that there is one policy. A list whose continue token expires (410) starts
//! over once, as kubectl does.
//!
//! One idea a file: `connect` (kubeconfig and client), `retry` (the retry
//! loop and its budget), `list` (paginated lists, aws-auth, token Secrets as
//! metadata). This file holds the kinds, the collection and the probes.
//! Read-only (LIST and GET only), never reads Secret data (ARCHITECTURE.md).

use super::live::{Collected, Limits, Note, Progress, error_chain, run_bounded};
use super::snapshot::{KUBE_KINDS, SRC_AWS_AUTH, SRC_SECRETS};
use crate::model::Status;
use crate::source::Target;
use ::kube::api::{ApiResource, DynamicObject, GetParams, ListParams, ObjectMeta};
use ::kube::client::Body;
use ::kube::config::{KubeConfigOptions, Kubeconfig};
use ::kube::core::{ObjectList, PartialObjectMeta, TypeMeta};
use ::kube::{Client, Config, Resource};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::time::Instant;

mod connect;
mod list;
mod retry;
#[cfg(test)]
mod tests;

pub use connect::*;
use list::*;
use retry::*;

/// The annotation `kubectl apply` leaves on objects: for a Secret it holds the
/// whole object, data included, so it is dropped before anything is kept.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
const SA_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// What the kubeconfig says about the cluster, for the AWS side.
#[derive(Debug, Clone, Default)]
pub struct ClusterHint {
    /// The EKS cluster name, when the kubeconfig names it.
    pub cluster_name: Option<String>,
    /// Where the name came from, for messages.
    pub name_from: Option<String>,
    /// The cluster's region (cluster ARN, EKS endpoint, exec `--region`).
    pub region: Option<String>,
    /// `AWS_PROFILE` of the exec plugin's environment.
    pub profile: Option<String>,
    /// The API server URL.
    pub server: Option<String>,
    /// Whether the API server is an EKS endpoint.
    pub eks_endpoint: bool,
}

/// A connected client and what was learnt while connecting.
pub struct Connection {
    pub client: Client,
    pub hint: ClusterHint,
    /// Kubeconfig files used (empty in-cluster).
    pub kubeconfig_paths: Vec<PathBuf>,
}

// ---------------------------------------------------------------- collection

/// One listed kind: its coverage name and API resource.
fn kinds() -> Vec<(&'static str, &'static str, ApiResource)> {
    let ar = |k: &str| -> ApiResource {
        match k {
            "Namespace" => ApiResource::erase::<Namespace>(&()),
            "ServiceAccount" => ApiResource::erase::<ServiceAccount>(&()),
            "Pod" => ApiResource::erase::<Pod>(&()),
            "Deployment" => ApiResource::erase::<Deployment>(&()),
            "DaemonSet" => ApiResource::erase::<DaemonSet>(&()),
            "StatefulSet" => ApiResource::erase::<StatefulSet>(&()),
            "ReplicaSet" => ApiResource::erase::<ReplicaSet>(&()),
            "Job" => ApiResource::erase::<Job>(&()),
            "CronJob" => ApiResource::erase::<CronJob>(&()),
            "Role" => ApiResource::erase::<Role>(&()),
            "RoleBinding" => ApiResource::erase::<RoleBinding>(&()),
            "ClusterRole" => ApiResource::erase::<ClusterRole>(&()),
            _ => ApiResource::erase::<ClusterRoleBinding>(&()),
        }
    };
    KUBE_KINDS
        .iter()
        .map(|(kind, source)| (*kind, *source, ar(kind)))
        .collect()
}

/// Nodes, and Karpenter's EC2NodeClasses and NodePools (custom resources,
/// absent where Karpenter is not installed), for the NODE rules.
fn node_kinds() -> Vec<(&'static str, ApiResource)> {
    let karpenter = |group: &str, kind: &str, plural: &str| ApiResource {
        group: group.to_string(),
        version: "v1".to_string(),
        api_version: format!("{group}/v1"),
        kind: kind.to_string(),
        plural: plural.to_string(),
    };
    vec![
        (super::snapshot::SRC_NODES, ApiResource::erase::<Node>(&())),
        (
            super::snapshot::SRC_NODECLASSES,
            karpenter("karpenter.k8s.aws", "EC2NodeClass", "ec2nodeclasses"),
        ),
        (
            SRC_NODEPOOLS,
            karpenter("karpenter.sh", "NodePool", "nodepools"),
        ),
    ]
}

/// Karpenter's NodePools (which EC2NodeClass their nodes come from).
const SRC_NODEPOOLS: &str = "kubernetes/nodepools";

enum Task {
    Kind(&'static str, ApiResource),
    Secrets,
    AwsAuth,
}

enum Got {
    Items(Vec<Box<RawValue>>),
    One(Option<Value>),
}

/// The time allowed to the first request (`GET /version`), `IAMSCOPE_PROBE_SECS`
/// (default 10 s, never more than a source's time).
fn probe_time(limits: &Limits) -> Duration {
    std::env::var("IAMSCOPE_PROBE_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map_or(Duration::from_secs(10), Duration::from_secs)
        .min(limits.timeout)
}

/// One short request before the lists: an API server that accepts connections
/// but never answers would otherwise hold every kind for its whole time (about
/// 9 minutes with the defaults). Any answer, even an error, means it answers;
/// only silence stops the collection here. `Err` is the reason, for coverage.
async fn probe(conn: &Connection, within: Duration) -> Result<(), String> {
    match tokio::time::timeout(within, conn.client.apiserver_version()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            // Refused, 401, 403, TLS errors: each list reports its own, precisely.
            tracing::debug!("GET /version failed: {}", error_chain(&e));
            Ok(())
        }
        Err(_) => Err(format!(
            "the API server{} does not answer: GET /version got no answer within {}s, so nothing was listed; check that the kubeconfig's server is the API server and that it is up (`kubectl get --raw /version`; a credential plugin waiting for a login delays it too), or raise IAMSCOPE_PROBE_SECS for a very slow one",
            conn.hint
                .server
                .as_deref()
                .map(|s| format!(" at {s}"))
                .unwrap_or_default(),
            within.as_secs()
        )),
    }
}

/// Every Kubernetes source, marked as not collected for the same reason.
fn all_failed(detail: &str, progress: &(dyn Fn(Progress) + Send + Sync)) -> Collected {
    let mut out = Collected::default();
    let sources = KUBE_KINDS.iter().map(|(_, s)| *s).chain([
        SRC_AWS_AUTH,
        SRC_SECRETS,
        super::snapshot::SRC_NODES,
    ]);
    for source in sources {
        out.note(source, Status::Error, detail);
        progress(Progress::Finished {
            source: source.to_string(),
            status: Status::Error,
            count: None,
        });
    }
    out
}

/// Collect every Kubernetes source concurrently (bounded), each with a timeout.
pub async fn collect(
    conn: &Connection,
    limits: &Limits,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Collected {
    if let Err(why) = probe(conn, probe_time(limits)).await {
        return all_failed(&why, progress);
    }
    let client = &conn.client;
    let mut jobs: Vec<Task> = kinds()
        .into_iter()
        .map(|(_, s, ar)| Task::Kind(s, ar))
        .collect();
    jobs.extend(node_kinds().into_iter().map(|(s, ar)| Task::Kind(s, ar)));
    jobs.push(Task::AwsAuth);
    jobs.push(Task::Secrets);
    let results = run_bounded(limits.parallel, jobs, |job| async move {
        let (source, what) = match &job {
            Task::Kind(source, ar) => (*source, format!("list {} at cluster scope", ar.plural)),
            Task::Secrets => (
                SRC_SECRETS,
                "list service-account-token secrets (metadata) at cluster scope".to_string(),
            ),
            Task::AwsAuth => (
                SRC_AWS_AUTH,
                "get configmap kube-system/aws-auth".to_string(),
            ),
        };
        progress(Progress::Started {
            source: source.to_string(),
        });
        let budget = Budget::new(limits, source, progress);
        let fut = async {
            match &job {
                Task::Kind(_, ar) => list_all(client, ar, limits.page_size, budget)
                    .await
                    .map(Got::Items),
                Task::Secrets => list_token_secrets(client, limits.page_size, budget)
                    .await
                    .map(Got::Items),
                Task::AwsAuth => get_aws_auth(client, budget).await.map(Got::One),
            }
        };
        let result = match tokio::time::timeout(limits.timeout, fut).await {
            Ok(Ok(got)) => Ok(got),
            Ok(Err(e)) => Err(classify(&e, &what)),
            Err(_) => Err((
                Status::Error,
                format!(
                    "cannot {what}: no answer within {}s; retry, or raise IAMSCOPE_TIMEOUT_SECS",
                    limits.timeout.as_secs()
                ),
            )),
        };
        let (status, count) = match &result {
            Ok(Got::Items(v)) => (Status::Ok, Some(v.len())),
            Ok(Got::One(o)) => (Status::Ok, Some(usize::from(o.is_some()))),
            Err((s, _)) => (*s, None),
        };
        progress(Progress::Finished {
            source: source.to_string(),
            status,
            count,
        });
        (job, source, result)
    })
    .await;

    let mut out = Collected::default();
    let mut items = Vec::new();
    let mut any_kind_ok = false;
    for (job, source, result) in results {
        match (job, result) {
            (Task::Kind(..), Ok(Got::Items(v))) => {
                any_kind_ok = true;
                items.extend(v);
            }
            (Task::Secrets, Ok(Got::Items(v))) => {
                out.bytes("kubernetes-secrets.json", v1_list(&v));
            }
            (Task::AwsAuth, Ok(Got::One(Some(cm)))) => {
                out.file("kubernetes-aws-auth.json", &cm);
            }
            (Task::AwsAuth, Ok(Got::One(None))) => {
                // What `kubectl get configmap -n kube-system --field-selector
                // metadata.name=aws-auth -o json` prints when there is none.
                out.bytes("kubernetes-aws-auth.json", v1_list(&[]));
            }
            (_, Ok(_)) => {}
            // A Karpenter API the server does not serve: Karpenter is not installed.
            (Task::Kind(..), Err((_, detail)))
                if (source == super::snapshot::SRC_NODECLASSES || source == SRC_NODEPOOLS)
                    && detail.contains("(404)") =>
            {
                if source == super::snapshot::SRC_NODECLASSES {
                    out.notes.push(Note {
                        source: source.to_string(),
                        status: Status::NotObservable,
                        count: None,
                        detail: Some("Karpenter is not installed (no karpenter.k8s.aws/v1 ec2nodeclasses API)".to_string()),
                    });
                }
            }
            (_, Err((status, detail))) => out.notes.push(Note {
                source: source.to_string(),
                status,
                count: None,
                detail: Some(detail),
            }),
        }
    }
    if any_kind_ok {
        out.bytes("kubernetes.json", v1_list(&items));
    }
    out
}

/// A per-source time limit for tests and slow clusters.
pub fn timeout_from_env(default: Duration) -> Duration {
    std::env::var("IAMSCOPE_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map(Duration::from_secs)
        .unwrap_or(default)
}
