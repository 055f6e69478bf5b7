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

use std::path::{Path, PathBuf};
use std::time::Duration;

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
use tokio::time::Instant;

use super::live::{Collected, Limits, Note, Progress, error_chain, run_bounded};
use super::snapshot::{KUBE_KINDS, SRC_AWS_AUTH, SRC_SECRETS};
use crate::model::Status;
use crate::source::Target;

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

/// Load the kubeconfig as kubectl does (`--kubeconfig`, else `KUBECONFIG` with
/// several files, else `~/.kube/config`, else the in-cluster service account)
/// and build a client for `--context` (else the current context).
pub async fn connect(target: &Target) -> Result<Connection, String> {
    let (kubeconfig, paths) = load_kubeconfig(target)?;
    let Some(kubeconfig) = kubeconfig else {
        if let Some(ctx) = &target.context {
            return Err(format!(
                "--context {ctx} given but no kubeconfig found (no --kubeconfig, KUBECONFIG or ~/.kube/config)"
            ));
        }
        let mut config = Config::incluster().map_err(|e| {
            format!(
                "no kubeconfig found (no --kubeconfig, KUBECONFIG or ~/.kube/config) and not running in a pod ({e}); pass --kubeconfig, or audit a snapshot with --from DIR"
            )
        })?;
        // Retries are ours (`send_with_retries`): one policy, counted, bounded by the source's time.
        config.default_retry = false;
        let client = Client::try_from(config).map_err(|e| {
            format!("cannot build a Kubernetes client from the in-cluster config: {e}")
        })?;
        return Ok(Connection {
            client,
            hint: ClusterHint::default(),
            kubeconfig_paths: Vec::new(),
        });
    };
    let hint = cluster_hint(&kubeconfig, target.context.as_deref());
    let options = KubeConfigOptions {
        context: target.context.clone(),
        cluster: None,
        user: None,
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| {
            let which = target
                .context
                .as_deref()
                .map(|c| format!("context {c}"))
                .unwrap_or_else(|| "the current context".to_string());
            format!(
                "cannot use {which} of the kubeconfig ({}): {e}; check `kubectl config get-contexts`",
                show_paths(&paths)
            )
        })?;
    config.default_retry = false;
    let client =
        Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))?;
    Ok(Connection {
        client,
        hint,
        kubeconfig_paths: paths,
    })
}

fn show_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// The kubeconfig to use and the files it came from; `None` when there is none.
fn load_kubeconfig(target: &Target) -> Result<(Option<Kubeconfig>, Vec<PathBuf>), String> {
    let paths: Vec<PathBuf> = if let Some(list) = &target.kubeconfig {
        super::kubeconfig::split_paths(list)
            .into_iter()
            .map(PathBuf::from)
            .collect()
    } else if let Some(value) = std::env::var_os("KUBECONFIG") {
        std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect()
    } else {
        Vec::new()
    };
    let paths = if paths.is_empty() {
        match default_kubeconfig() {
            Some(p) if p.is_file() => vec![p],
            _ => return Ok((None, Vec::new())),
        }
    } else {
        paths
    };
    // As kubectl: files named by KUBECONFIG that do not exist are skipped;
    // a file named by --kubeconfig must exist.
    let explicit = target.kubeconfig.is_some();
    let mut merged: Option<Kubeconfig> = None;
    let mut used = Vec::new();
    for p in &paths {
        if !p.exists() {
            if explicit {
                return Err(format!(
                    "kubeconfig {} does not exist; check --kubeconfig",
                    p.display()
                ));
            }
            continue;
        }
        let kc = Kubeconfig::read_from(p)
            .map_err(|e| format!("cannot read kubeconfig {}: {e}", p.display()))?;
        merged = Some(match merged {
            None => kc,
            Some(m) => m
                .merge(kc)
                .map_err(|e| format!("cannot merge kubeconfig {}: {e}", p.display()))?,
        });
        used.push(p.clone());
    }
    Ok((merged, used))
}

fn default_kubeconfig() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    Some(Path::new(&home).join(".kube").join("config"))
}

/// What the context's cluster, user and exec plugin say about the EKS cluster.
pub fn cluster_hint(kc: &Kubeconfig, context: Option<&str>) -> ClusterHint {
    let mut hint = ClusterHint::default();
    let ctx_name = context
        .map(str::to_string)
        .or_else(|| kc.current_context.clone());
    let Some(ctx_name) = ctx_name else {
        return hint;
    };
    let ctx = kc
        .contexts
        .iter()
        .find(|c| c.name == ctx_name)
        .and_then(|c| c.context.clone());
    let Some(ctx) = ctx else {
        return hint;
    };
    let cluster = kc
        .clusters
        .iter()
        .find(|c| c.name == ctx.cluster)
        .and_then(|c| c.cluster.clone());
    hint.server = cluster.as_ref().and_then(|c| c.server.clone());
    if let Some(server) = &hint.server
        && let Some(region) = eks_endpoint_region(server)
    {
        hint.eks_endpoint = true;
        hint.region = Some(region);
    }
    let exec = ctx
        .user
        .as_ref()
        .and_then(|u| kc.auth_infos.iter().find(|a| &a.name == u))
        .and_then(|a| a.auth_info.as_ref())
        .and_then(|a| a.exec.clone());
    if let Some(exec) = exec {
        let args = exec.args.clone().unwrap_or_default();
        let value_of = |flags: &[&str]| {
            args.iter().enumerate().find_map(|(i, a)| {
                flags.iter().find_map(|f| {
                    if a == f {
                        args.get(i + 1).cloned()
                    } else {
                        a.strip_prefix(&format!("{f}=")).map(str::to_string)
                    }
                })
            })
        };
        if let Some(name) = value_of(&["--cluster-name", "--cluster-id", "-i"]) {
            hint.cluster_name = Some(name);
            hint.name_from = Some(format!(
                "the exec plugin of user {} (--cluster-name)",
                ctx.user.clone().unwrap_or_default()
            ));
        }
        if let Some(region) = value_of(&["--region"]) {
            hint.region.get_or_insert(region);
        }
        for pair in exec.env.clone().unwrap_or_default() {
            let (Some(name), Some(value)) = (pair.get("name"), pair.get("value")) else {
                continue;
            };
            match name.as_str() {
                "AWS_PROFILE" => hint.profile = Some(value.clone()),
                "AWS_REGION" | "AWS_DEFAULT_REGION" => {
                    hint.region.get_or_insert(value.clone());
                }
                _ => {}
            }
        }
    }
    if hint.cluster_name.is_none() {
        for (what, candidate) in [("cluster", &ctx.cluster), ("context", &ctx_name)] {
            if let Some((region, name)) = eks_cluster_arn(candidate) {
                hint.cluster_name = Some(name);
                hint.name_from = Some(format!("the kubeconfig {what} ARN {candidate}"));
                hint.region.get_or_insert(region);
                break;
            }
            // eksctl names its clusters NAME.REGION.eksctl.io.
            if let Some(rest) = candidate.strip_suffix(".eksctl.io")
                && let Some((name, region)) = rest.rsplit_once('.')
            {
                hint.cluster_name = Some(name.to_string());
                hint.name_from = Some(format!("the eksctl kubeconfig {what} {candidate}"));
                hint.region.get_or_insert(region.to_string());
                break;
            }
        }
    }
    hint
}

/// `arn:aws:eks:REGION:ACCOUNT:cluster/NAME` → (region, name).
fn eks_cluster_arn(s: &str) -> Option<(String, String)> {
    let mut parts = s.splitn(6, ':');
    let (arn, _partition, service, region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" || service != "eks" {
        return None;
    }
    let name = resource.strip_prefix("cluster/")?;
    (!name.is_empty()).then(|| (region.to_string(), name.to_string()))
}

/// `https://XXXX.gr7.REGION.eks.amazonaws.com` → REGION.
fn eks_endpoint_region(server: &str) -> Option<String> {
    let host = server
        .split("://")
        .nth(1)
        .unwrap_or(server)
        .split(['/', ':'])
        .next()?;
    let rest = host
        .strip_suffix(".eks.amazonaws.com")
        .or_else(|| host.strip_suffix(".eks.amazonaws.com.cn"))?;
    rest.rsplit('.').next().map(str::to_string)
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

/// Attempts of one Kubernetes request, as the AWS side's standard retry.
const MAX_ATTEMPTS: u32 = 5;
/// The first back-off; it doubles per attempt, with jitter, up to `MAX_BACKOFF`.
const BASE_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// The longest server-requested wait (`Retry-After`) honoured as is.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Why one Kubernetes request failed.
#[derive(Debug)]
enum KubeFail {
    /// An answer with an error status (kube's `Status`, or one made of a non-JSON body).
    Api {
        code: u16,
        reason: String,
        message: String,
    },
    /// The connection failed or was reset before a whole answer came.
    Transport(String),
    /// No whole answer within the time allowed to one attempt.
    Slow(Duration),
    /// A 2xx answer whose body is not the JSON expected.
    Malformed(String),
    /// Anything else (authentication plugin, building the request).
    Other(String),
}

impl KubeFail {
    /// A few words for a progress line: `503 ServiceUnavailable`, `connection reset`.
    fn short(&self) -> String {
        match self {
            KubeFail::Api { code, reason, .. } => format!("{code} {reason}"),
            KubeFail::Transport(_) => "the connection failed".to_string(),
            KubeFail::Slow(d) => format!("no answer within {}s", d.as_secs()),
            KubeFail::Malformed(_) => "a malformed answer".to_string(),
            KubeFail::Other(e) => e.chars().take(80).collect(),
        }
    }

    /// Worth another attempt: overload, server errors, broken connections, stalls.
    fn transient(&self) -> bool {
        match self {
            KubeFail::Api { code, .. } => matches!(code, 429 | 500 | 502 | 503 | 504),
            KubeFail::Transport(_) | KubeFail::Slow(_) => true,
            KubeFail::Malformed(_) | KubeFail::Other(_) => false,
        }
    }
}

/// A request that failed for good: the last failure, how many attempts were
/// made, and whether a list was started over after an expired continue token.
#[derive(Debug)]
struct Failed {
    fail: KubeFail,
    attempts: u32,
    restarted: bool,
}

impl Failed {
    fn expired(&self) -> bool {
        matches!(self.fail, KubeFail::Api { code: 410, .. })
    }
}

/// Time bounds of one source's requests, and where its retries are reported.
#[derive(Clone, Copy)]
struct Budget<'p> {
    /// One attempt: a third of the source's time (1 s to 60 s), so that a
    /// stalled request is retried while time remains.
    attempt: Duration,
    /// The source's end: no retry is started that could not finish by then.
    deadline: Instant,
    /// The coverage name of the source, for progress.
    source: &'p str,
    /// Told of each back-off, so that a waiting user sees why nothing moves.
    progress: &'p (dyn Fn(Progress) + Send + Sync),
}

impl<'p> Budget<'p> {
    fn new(
        limits: &Limits,
        source: &'p str,
        progress: &'p (dyn Fn(Progress) + Send + Sync),
    ) -> Budget<'p> {
        Budget {
            attempt: (limits.timeout / 3).clamp(Duration::from_secs(1), Duration::from_secs(60)),
            deadline: Instant::now() + limits.timeout,
            source,
            progress,
        }
    }
}

/// The requests made: a LIST (whole objects or metadata only) or a GET.
#[derive(Clone, Copy)]
enum Call<'a> {
    List(&'a ListParams),
    ListMetadata(&'a ListParams),
    Get(&'a str),
}

/// The back-off before attempt `attempt + 1`: exponential, with jitter (50–100 %).
fn backoff(attempt: u32) -> Duration {
    use std::hash::BuildHasher;
    let full = BASE_BACKOFF
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    let jitter = std::collections::hash_map::RandomState::new().hash_one(attempt) % 1000;
    full.mul_f64(0.5 + jitter as f64 / 2000.0)
}

/// One HTTP exchange: the body of a 2xx answer, or the failure and the wait
/// the server asked for (`Retry-After`, or the Status' `retryAfterSeconds`).
async fn exchange(
    client: &Client,
    path: &str,
    call: Call<'_>,
) -> Result<Vec<u8>, (KubeFail, Option<Duration>)> {
    let request = ::kube::core::Request::new(path);
    let req = match call {
        Call::List(lp) => request.list(lp),
        Call::ListMetadata(lp) => request.list_metadata(lp),
        Call::Get(name) => request.get(name, &GetParams::default()),
    }
    .map_err(|e| {
        (
            KubeFail::Other(format!("cannot build the request: {e}")),
            None,
        )
    })?;
    let res = client.send(req.map(Body::from)).await.map_err(|e| {
        let fail = match &e {
            ::kube::Error::HyperError(_) | ::kube::Error::Service(_) => {
                KubeFail::Transport(error_chain(&e))
            }
            _ => KubeFail::Other(error_chain(&e)),
        };
        (fail, None)
    })?;
    let code = res.status().as_u16();
    let header_wait = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = res
        .into_body()
        .collect_bytes()
        .await
        .map_err(|e| (KubeFail::Transport(error_chain(&e)), None))?
        .to_vec();
    if (200..300).contains(&code) {
        return Ok(body);
    }
    let (reason, message, status_wait) = match serde_json::from_slice::<::kube::core::Status>(&body)
    {
        Ok(s) => (
            s.reason,
            s.message,
            s.details
                .map(|d| d.retry_after_seconds)
                .filter(|&n| n > 0)
                .map(|n| Duration::from_secs(n.into())),
        ),
        Err(_) => {
            let text = String::from_utf8_lossy(&body);
            let text: String = text.trim().chars().take(200).collect();
            (String::new(), text, None)
        }
    };
    let reason = if reason.is_empty() {
        format!("HTTP {code}")
    } else {
        reason
    };
    Err((
        KubeFail::Api {
            code,
            reason,
            message,
        },
        header_wait.or(status_wait),
    ))
}

/// One request with retries: transient failures (429, 5xx, broken
/// connections, stalled answers) are tried again, up to `MAX_ATTEMPTS`, after
/// the server's `Retry-After` or an exponential back-off, and never past the
/// source's deadline. Then the body is parsed as `T`.
async fn fetch<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    call: Call<'_>,
    budget: Budget<'_>,
) -> Result<T, Failed> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = match tokio::time::timeout(budget.attempt, exchange(client, path, call)).await
        {
            Ok(r) => r,
            Err(_) => Err((KubeFail::Slow(budget.attempt), None)),
        };
        let (fail, wait) = match result {
            Ok(body) => {
                return serde_json::from_slice::<T>(&body).map_err(|e| Failed {
                    fail: KubeFail::Malformed(e.to_string()),
                    attempts: attempt,
                    restarted: false,
                });
            }
            Err(f) => f,
        };
        let delay = wait.map_or_else(|| backoff(attempt), |w| w.min(MAX_RETRY_AFTER));
        let out_of_time = Instant::now() + delay + Duration::from_millis(100) >= budget.deadline;
        if !fail.transient() || attempt >= MAX_ATTEMPTS || out_of_time {
            return Err(Failed {
                fail,
                attempts: attempt,
                restarted: false,
            });
        }
        tracing::debug!(
            "kubernetes {path}: attempt {attempt} failed ({fail:?}); retrying in {delay:?}"
        );
        (budget.progress)(Progress::Retrying {
            source: budget.source.to_string(),
            attempt,
            of: MAX_ATTEMPTS,
            wait: Some(delay),
            why: fail.short(),
        });
        tokio::time::sleep(delay).await;
    }
}

/// Why a Kubernetes call failed, as a coverage status and a detail.
fn classify(f: &Failed, what: &str) -> (Status, String) {
    let tries = if f.attempts > 1 {
        format!(" (after {} attempts)", f.attempts)
    } else {
        String::new()
    };
    match &f.fail {
        KubeFail::Api {
            code: 403, message, ..
        } => (
            Status::Forbidden,
            format!("cannot {what}: forbidden (403): {message}"),
        ),
        KubeFail::Api { code: 401, .. } => (
            Status::Error,
            format!(
                "cannot {what}: the API server rejected the credentials (401); refresh them (e.g. `aws sso login`) and retry"
            ),
        ),
        KubeFail::Api {
            code: 404, message, ..
        } => (
            Status::Error,
            format!("cannot {what}: the API server does not serve it (404): {message}"),
        ),
        KubeFail::Api { code: 410, .. } if f.restarted => (
            Status::Error,
            format!(
                "cannot {what}: the list changed too much while paging (410 Expired), again after starting over; retry later, or raise IAMSCOPE_PAGE_SIZE so that fewer pages are needed"
            ),
        ),
        KubeFail::Api { code: 410, .. } => (
            Status::Error,
            format!("cannot {what}: the list changed too much while paging (410 Expired); retry"),
        ),
        KubeFail::Api {
            code,
            reason,
            message,
        } if f.fail.transient() => (
            Status::Error,
            format!(
                "cannot {what}: {reason} ({code}): {message}{tries}; the API server is overloaded or failing: retry later"
            ),
        ),
        KubeFail::Api {
            code,
            reason,
            message,
        } => (
            Status::Error,
            format!("cannot {what}: {reason} ({code}): {message}"),
        ),
        KubeFail::Transport(e) => (
            Status::Error,
            format!(
                "cannot {what}: the connection failed{tries}: {e}; check the network path to the API server and retry"
            ),
        ),
        KubeFail::Slow(d) => (
            Status::Error,
            format!(
                "cannot {what}: no answer within {}s{tries}; retry, or raise IAMSCOPE_TIMEOUT_SECS",
                d.as_secs()
            ),
        ),
        KubeFail::Malformed(e) => (
            Status::Error,
            format!(
                "cannot {what}: the answer is not the JSON expected ({e}); a proxy between iamscope and the API server may be altering answers"
            ),
        ),
        KubeFail::Other(e) => (Status::Error, format!("cannot {what}: {e}")),
    }
}

fn tidy_meta(meta: &mut ObjectMeta, secret: bool) {
    // kubectl hides managedFields by default; they say nothing about access.
    meta.managed_fields = None;
    if secret && let Some(a) = meta.annotations.as_mut() {
        a.remove(LAST_APPLIED);
    }
}

/// A paginated LIST, each item turned into JSON text by `keep` (text, not a
/// `Value`: a large cluster's objects are held until the snapshot files are
/// written, and a value tree costs several times its text). When the continue
/// token expires (410), the list starts over once from the first page, as
/// kubectl does.
async fn list_pages<T, F>(
    client: &Client,
    path: &str,
    first: ListParams,
    metadata: bool,
    budget: Budget<'_>,
    keep: F,
) -> Result<Vec<Box<RawValue>>, Failed>
where
    T: DeserializeOwned + Clone,
    F: Fn(T) -> Result<Box<RawValue>, serde_json::Error>,
{
    let mut lp = first.clone();
    let mut out = Vec::new();
    let mut restarted = false;
    loop {
        let call = if metadata {
            Call::ListMetadata(&lp)
        } else {
            Call::List(&lp)
        };
        let list = match fetch::<ObjectList<T>>(client, path, call, budget).await {
            Ok(list) => list,
            Err(f) if f.expired() && lp.continue_token.is_some() && !restarted => {
                tracing::debug!("kubernetes {path}: continue token expired; starting over");
                restarted = true;
                out.clear();
                lp = first.clone();
                continue;
            }
            Err(mut f) => {
                f.restarted = restarted;
                return Err(f);
            }
        };
        for item in list.items {
            out.push(keep(item).map_err(|e| Failed {
                fail: KubeFail::Malformed(e.to_string()),
                attempts: 1,
                restarted,
            })?);
        }
        match list.metadata.continue_ {
            Some(token) if !token.is_empty() => lp = first.clone().continue_token(&token),
            _ => break,
        }
    }
    Ok(out)
}

/// One paginated cluster-wide LIST; the items carry apiVersion and kind as kubectl prints them.
async fn list_all(
    client: &Client,
    ar: &ApiResource,
    page_size: u32,
    budget: Budget<'_>,
) -> Result<Vec<Box<RawValue>>, Failed> {
    let path = DynamicObject::url_path(ar, None);
    let lp = ListParams::default().limit(page_size);
    list_pages(
        client,
        &path,
        lp,
        false,
        budget,
        |mut item: DynamicObject| {
            item.types = Some(TypeMeta {
                api_version: ar.api_version.clone(),
                kind: ar.kind.clone(),
            });
            tidy_meta(&mut item.metadata, false);
            serde_json::value::to_raw_value(&item)
        },
    )
    .await
}

/// The service-account-token Secrets, metadata only: their data is never requested.
async fn list_token_secrets(
    client: &Client,
    page_size: u32,
    budget: Budget<'_>,
) -> Result<Vec<Box<RawValue>>, Failed> {
    let path = Secret::url_path(&(), None);
    let lp = ListParams::default()
        .fields(&format!("type={SA_TOKEN_TYPE}"))
        .limit(page_size);
    list_pages(
        client,
        &path,
        lp,
        true,
        budget,
        |item: PartialObjectMeta<Secret>| {
            let mut meta = item.metadata;
            tidy_meta(&mut meta, true);
            serde_json::value::to_raw_value(&json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": meta,
                "type": SA_TOKEN_TYPE,
            }))
        },
    )
    .await
}

async fn get_aws_auth(client: &Client, budget: Budget<'_>) -> Result<Option<Value>, Failed> {
    let ar = ApiResource::erase::<ConfigMap>(&());
    let path = DynamicObject::url_path(&ar, Some("kube-system"));
    let mut cm = match fetch::<DynamicObject>(client, &path, Call::Get("aws-auth"), budget).await {
        Ok(cm) => cm,
        Err(Failed {
            fail: KubeFail::Api { code: 404, .. },
            ..
        }) => return Ok(None),
        Err(f) => return Err(f),
    };
    cm.types = Some(TypeMeta {
        api_version: ar.api_version.clone(),
        kind: ar.kind.clone(),
    });
    tidy_meta(&mut cm.metadata, false);
    serde_json::to_value(&cm).map(Some).map_err(|e| Failed {
        fail: KubeFail::Malformed(e.to_string()),
        attempts: 1,
        restarted: false,
    })
}

/// A v1 List as `kubectl get -o json` prints it, except that each item is on
/// one line (compact): the same JSON, written without a value tree of the
/// whole cluster, and read back by the snapshot reader's parallel path.
fn v1_list(items: &[Box<RawValue>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + items.iter().map(|i| i.get().len() + 6).sum::<usize>());
    out.extend_from_slice(
        b"{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"metadata\": {\n    \"resourceVersion\": \"\"\n  },\n  \"items\": [",
    );
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"\n    ");
        out.extend_from_slice(item.get().as_bytes());
    }
    if !items.is_empty() {
        out.extend_from_slice(b"\n  ");
    }
    out.extend_from_slice(b"]\n}\n");
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_from_kubeconfig() {
        let kc = Kubeconfig::from_yaml(
            r#"
apiVersion: v1
kind: Config
current-context: arn:aws:eks:eu-west-1:111122223333:cluster/prod
contexts:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  context: {cluster: arn:aws:eks:eu-west-1:111122223333:cluster/prod, user: u}
- name: exec
  context: {cluster: c2, user: e}
clusters:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  cluster: {server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com"}
- name: c2
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: u
  user: {token: x}
- name: e
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, us-east-2, eks, get-token, --cluster-name, staging]
      env: [{name: AWS_PROFILE, value: stage}]
"#,
        )
        .unwrap();
        let h = cluster_hint(&kc, None);
        assert_eq!(h.cluster_name.as_deref(), Some("prod"));
        assert_eq!(h.region.as_deref(), Some("eu-west-1"));
        assert!(h.eks_endpoint);
        let h = cluster_hint(&kc, Some("exec"));
        assert_eq!(h.cluster_name.as_deref(), Some("staging"));
        assert_eq!(h.region.as_deref(), Some("us-east-2"));
        assert_eq!(h.profile.as_deref(), Some("stage"));
        assert!(!h.eks_endpoint);
    }

    #[test]
    fn retries_back_off_within_bounds() {
        for attempt in 1..=8 {
            let d = backoff(attempt);
            let full = BASE_BACKOFF
                .saturating_mul(1 << (attempt - 1))
                .min(MAX_BACKOFF);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        let api = |code| KubeFail::Api {
            code,
            reason: String::new(),
            message: String::new(),
        };
        for code in [429, 500, 502, 503, 504] {
            assert!(api(code).transient(), "{code}");
        }
        for code in [400, 401, 403, 404, 410] {
            assert!(!api(code).transient(), "{code}");
        }
        assert!(KubeFail::Transport("reset".into()).transient());
        assert!(!KubeFail::Malformed("eof".into()).transient());
    }

    #[test]
    fn endpoint_and_arn() {
        assert_eq!(
            eks_endpoint_region("https://A1B2.gr7.us-west-2.eks.amazonaws.com"),
            Some("us-west-2".to_string())
        );
        assert_eq!(eks_endpoint_region("https://10.0.0.1:6443"), None);
        assert_eq!(
            eks_cluster_arn("arn:aws:eks:us-east-1:1:cluster/a"),
            Some(("us-east-1".to_string(), "a".to_string()))
        );
        assert_eq!(eks_cluster_arn("kind-kind"), None);
    }
}
