//! The AWS half of the live source: STS, IAM and EKS read calls, written as the
//! JSON the `aws` CLI prints (PascalCase for IAM and STS, camelCase for EKS,
//! policy documents decoded to objects, dates in ISO 8601), so that the
//! snapshot reader parses them.
//!
//! One idea a file: `errors` (an SDK error as a coverage status and detail),
//! `json` (SDK types written as the CLI's JSON), `iam` (the authorization
//! details, or the per-principal fallback when that call is denied), `eks`
//! (finding the cluster, describing it, access entries, Pod Identity
//! associations), `nodes` (EC2 instances, node groups, launch templates).
//! This file holds the plan, the clients, the paging macro and
//! the collection order. Read-only calls only; never prints credentials
//! (ARCHITECTURE.md).

use super::kube::ClusterHint;
use super::live::{AWS_SOURCES, Collected, Limits, Progress, error_chain, run_bounded};
use super::snapshot::{SRC_ACCESS, SRC_EKS, SRC_IAM, SRC_OIDC, SRC_PODID, SRC_STS};
use crate::model::Status;
use crate::source::Target;
use aws_config::BehaviorVersion;
use aws_config::Region;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

// ---------------------------------------------------------------- collection

/// Drain a paginator into one list, or the first failure.
macro_rules! pages {
    ($builder:expr, $action:expr, |$page:ident| $items:expr) => {{
        let mut stream = $builder.into_paginator().send();
        let mut acc = Vec::new();
        let mut failed: Option<Fail> = None;
        while let Some(page) = stream.next().await {
            match page {
                Ok($page) => acc.extend($items),
                Err(e) => {
                    failed = Some(classify(&e, $action));
                    break;
                }
            }
        }
        match failed {
            Some(f) => Err(f),
            None => Ok(acc),
        }
    }};
}

mod eks;
mod errors;
mod iam;
mod json;
mod nodes;
#[cfg(test)]
mod tests;

use eks::*;
use errors::*;
use iam::*;
use json::*;
use nodes::*;

/// Which cluster and account to read, decided before any call.
#[derive(Debug, Clone)]
pub struct Plan {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub cluster: ClusterPlan,
    /// The API server URL of the kubeconfig, to find the EKS cluster by its
    /// endpoint when nothing names it.
    pub server: Option<String>,
}

#[derive(Debug, Clone)]
pub enum ClusterPlan {
    /// An EKS cluster name and where it came from.
    Named { name: String, from: String },
    /// Not an EKS cluster, or one that cannot be named: the status and why.
    Unknown { status: Status, detail: String },
}

impl Plan {
    pub fn new(target: &Target, hint: &ClusterHint) -> Plan {
        let cluster = match (&target.cluster_name, &hint.cluster_name) {
            (Some(name), _) => ClusterPlan::Named {
                name: name.clone(),
                from: "--cluster-name".to_string(),
            },
            (None, Some(name)) => ClusterPlan::Named {
                name: name.clone(),
                from: hint
                    .name_from
                    .clone()
                    .unwrap_or_else(|| "the kubeconfig".to_string()),
            },
            (None, None) if hint.eks_endpoint => ClusterPlan::Unknown {
                status: Status::Missing,
                detail: format!(
                    "the API server {} is an EKS endpoint, but the kubeconfig does not name the cluster: pass --cluster-name",
                    hint.server.clone().unwrap_or_default()
                ),
            },
            (None, None) => ClusterPlan::Unknown {
                status: Status::NotObservable,
                detail: "not an EKS cluster: the kubeconfig names no EKS cluster (no EKS endpoint, cluster ARN or `aws eks get-token --cluster-name`); pass --cluster-name if it is one".to_string(),
            },
        };
        Plan {
            profile: target.profile.clone().or_else(|| hint.profile.clone()),
            region: target.region.clone().or_else(|| hint.region.clone()),
            cluster,
            server: hint.server.clone(),
        }
    }
}

/// `scheme://host:port` of a URL, lower-cased, with https' default port, so
/// that `https://X.eks.amazonaws.com/` and `https://x.eks.amazonaws.com:443`
/// are the same endpoint.
fn endpoint_key(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() {
        return None;
    }
    // An IPv6 literal keeps its colons inside brackets.
    let has_port = if authority.starts_with('[') {
        authority.contains("]:")
    } else {
        authority.contains(':')
    };
    let authority = match (has_port, scheme.as_str()) {
        (false, "https") => format!("{authority}:443"),
        (false, "http") => format!("{authority}:80"),
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
}

/// Tells the progress channel of each AWS SDK retry: after an attempt that
/// failed the way the SDK's standard retry tries again (throttling, 5xx, no
/// answer), as its back-off begins. The SDK retries inside one call, so
/// without this a throttled source looks stuck.
#[derive(Debug)]
struct RetryReporter {
    tx: tokio::sync::mpsc::UnboundedSender<Progress>,
}

impl aws_sdk_iam::config::Intercept for RetryReporter {
    fn name(&self) -> &'static str {
        "iamscope-retry-reporter"
    }

    fn read_after_attempt(
        &self,
        ctx: &aws_sdk_iam::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _rc: &aws_sdk_iam::config::RuntimeComponents,
        cfg: &mut aws_sdk_iam::config::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        use aws_smithy_runtime_api::client::orchestrator::Metadata;
        use aws_smithy_runtime_api::client::retries::RequestAttempts;
        let Some(Err(error)) = ctx.output_or_error() else {
            return Ok(());
        };
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        if attempt >= AWS_MAX_ATTEMPTS {
            return Ok(());
        }
        // The classes the standard retry classifier retries; others end the call.
        let why = match ctx.response() {
            Some(r) => {
                let code = r.status().as_u16();
                let throttled = r
                    .body()
                    .bytes()
                    .is_some_and(|b| memchr::memmem::find(b, b"Throttl").is_some());
                if !(matches!(code, 429 | 500 | 502 | 503 | 504) || throttled) {
                    return Ok(());
                }
                if throttled {
                    format!("throttled (HTTP {code})")
                } else {
                    format!("HTTP {code}")
                }
            }
            None if error.is_timeout_error() => "no answer in time".to_string(),
            None if error.is_connector_error() => "the connection failed".to_string(),
            // Anything else without an answer (signing, a bad request) is not retried.
            None => return Ok(()),
        };
        let (service, op) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_ascii_lowercase(), m.name().to_string()))
            .unwrap_or_default();
        let _ = self.tx.send(Progress::Retrying {
            source: source_of(&service, &op).to_string(),
            attempt,
            of: AWS_MAX_ATTEMPTS,
            wait: None,
            why: format!("{service}:{op} {why}"),
        });
        Ok(())
    }
}

/// The coverage source an AWS operation reads for.
fn source_of(service: &str, op: &str) -> &'static str {
    match (service, op) {
        (s, _) if s.contains("sts") => SRC_STS,
        (_, "ListOpenIDConnectProviders" | "GetOpenIDConnectProvider") => SRC_OIDC,
        (s, _) if s.contains("iam") => SRC_IAM,
        (_, op) if op.contains("AccessEntr") || op.contains("AccessPolic") => SRC_ACCESS,
        (_, op) if op.contains("PodIdentity") => SRC_PODID,
        _ => SRC_EKS,
    }
}

struct Clients {
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    eks: Option<aws_sdk_eks::Client>,
    ec2: Option<aws_sdk_ec2::Client>,
}

async fn clients(
    plan: &Plan,
    limits: &Limits,
    retries: tokio::sync::mpsc::UnboundedSender<Progress>,
) -> (Clients, Option<String>) {
    // One attempt gets a third of the source's time (1 s to 60 s), so that a
    // stalled call is retried while time remains; the source's own timeout
    // (`timed`) bounds the whole.
    let attempt = (limits.timeout / 3).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(AWS_MAX_ATTEMPTS))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(attempt.min(Duration::from_secs(10)))
                .operation_attempt_timeout(attempt)
                .build(),
        );
    if let Some(p) = &plan.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &plan.region {
        loader = loader.region(Region::new(r.clone()));
    }
    let conf = loader.load().await;
    let region = conf.region().map(|r| r.to_string());
    // IAM is global and STS answers in every region: they need no region of the user's.
    let global = Region::new(region.clone().unwrap_or_else(|| "us-east-1".to_string()));
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&conf)
            .region(global.clone())
            .interceptor(RetryReporter {
                tx: retries.clone(),
            })
            .build(),
    );
    let iam = aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::config::Builder::from(&conf)
            .region(global)
            .interceptor(RetryReporter {
                tx: retries.clone(),
            })
            .build(),
    );
    let eks = region.as_ref().map(|_| {
        aws_sdk_eks::Client::from_conf(
            aws_sdk_eks::config::Builder::from(&conf)
                .interceptor(RetryReporter {
                    tx: retries.clone(),
                })
                .build(),
        )
    });
    let ec2 = region.as_ref().map(|_| {
        aws_sdk_ec2::Client::from_conf(
            aws_sdk_ec2::config::Builder::from(&conf)
                .interceptor(RetryReporter { tx: retries })
                .build(),
        )
    });
    (Clients { sts, iam, eks, ec2 }, region)
}

/// Collect every AWS source: STS first (it tells whether credentials work at
/// all), then IAM, OIDC providers and EKS concurrently, each with a timeout.
pub async fn collect(
    plan: &Plan,
    limits: &Limits,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Collected {
    // The SDK's retries arrive on a channel (its interceptors must be 'static);
    // they are passed on while the collection runs, and the rest after it.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let work = collect_with(plan, limits, progress, tx);
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => {
                while let Ok(p) = rx.try_recv() {
                    progress(p);
                }
                return out;
            }
            Some(p) = rx.recv() => progress(p),
        }
    }
}

async fn collect_with(
    plan: &Plan,
    limits: &Limits,
    progress: &(dyn Fn(Progress) + Send + Sync),
    retries: tokio::sync::mpsc::UnboundedSender<Progress>,
) -> Collected {
    let mut out = Collected::default();
    let (c, region) = clients(plan, limits, retries).await;

    let sts = timed(limits, SRC_STS, progress, sts_identity(&c.sts)).await;
    match sts {
        Ok(v) => out.file("sts-caller-identity.json", &v),
        Err((status, detail)) => {
            // Without working credentials nothing else can be read: say it once per source.
            let detail = format!(
                "{detail}; check the AWS credentials (--profile, AWS_PROFILE, `aws sso login`) and the network path"
            );
            for source in AWS_SOURCES {
                out.note(source, status, detail.clone());
            }
            return out;
        }
    }

    let plan = &find_cluster(plan, &c, region.as_deref(), limits).await;
    let iam = timed(limits, SRC_IAM, progress, iam_details(&c.iam, limits));
    let oidc = timed(limits, SRC_OIDC, progress, oidc_providers(&c.iam, limits));
    let eks = eks_all(plan, &c, region.as_deref(), limits, progress);
    let nodes = nodes_all(plan, &c, limits, progress);
    let (iam, oidc, eks, nodes) = tokio::join!(iam, oidc, eks, nodes);
    out.extend(nodes);

    match iam {
        Ok((v, note)) => {
            out.file("iam.json", &v);
            if let Some(n) = note {
                out.notes.push(n);
            }
        }
        Err((s, d)) => out.note(SRC_IAM, s, d),
    }
    match oidc {
        Ok(v) => out.file("iam-oidc-providers.json", &v),
        Err((s, d)) => out.note(SRC_OIDC, s, d),
    }
    out.extend(eks);
    out
}

async fn timed<T>(
    limits: &Limits,
    source: &str,
    progress: &(dyn Fn(Progress) + Send + Sync),
    fut: impl std::future::Future<Output = Result<T, Fail>>,
) -> Result<T, Fail> {
    progress(Progress::Started {
        source: source.to_string(),
    });
    let r = match tokio::time::timeout(limits.timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err((
            Status::Error,
            format!(
                "no answer within {}s; retry, or raise IAMSCOPE_TIMEOUT_SECS",
                limits.timeout.as_secs()
            ),
        )),
    };
    progress(Progress::Finished {
        source: source.to_string(),
        status: r.as_ref().map_or_else(|e| e.0, |_| Status::Ok),
        count: None,
    });
    r
}

async fn sts_identity(sts: &aws_sdk_sts::Client) -> Result<Value, Fail> {
    let o = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify(&e, "sts:GetCallerIdentity"))?;
    Ok(Obj::new()
        .s("UserId", o.user_id())
        .s("Account", o.account())
        .s("Arn", o.arn())
        .done())
}
