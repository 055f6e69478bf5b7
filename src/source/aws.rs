//! The AWS half of the live source: STS, IAM and EKS read calls, written as the
//! JSON the `aws` CLI prints (PascalCase for IAM and STS, camelCase for EKS,
//! policy documents decoded to objects, dates in ISO 8601), so that the
//! snapshot reader parses them.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::Region;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use serde_json::{Map, Value, json};

use super::kube::ClusterHint;
use super::live::{AWS_SOURCES, Collected, Limits, Progress, error_chain, run_bounded};
use super::snapshot::{SRC_ACCESS, SRC_EKS, SRC_IAM, SRC_OIDC, SRC_PODID, SRC_STS};
use crate::model::Status;
use crate::source::Target;

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

type Fail = (Status, String);

/// Attempts per AWS call: the SDK's standard retry (exponential back-off with
/// jitter, `x-amz-retry-after` honoured) retries throttling, 5xx answers,
/// broken connections and timed-out attempts.
const AWS_MAX_ATTEMPTS: u32 = 5;

/// Why an AWS call failed, as a coverage status and a detail naming the action.
fn classify<E, R>(e: &SdkError<E, R>, action: &str) -> Fail
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let retried = format!("after the SDK's retries, up to {AWS_MAX_ATTEMPTS} attempts");
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let Some(code) = err.code() else {
                // No error code: the answer itself could not be parsed (a
                // truncated or altered body); the SDK does not retry those.
                return (
                    Status::Error,
                    format!(
                        "{action}: the answer could not be read: {}; a proxy between iamscope and AWS may be altering answers; retry",
                        error_chain(err)
                    ),
                );
            };
            let msg = err.message().unwrap_or("");
            if is_denied(code) {
                return (
                    Status::Forbidden,
                    format!(
                        "{action}: {code}: {msg} (grant it: see assets/aws/iamscope-readonly-policy.json)"
                    ),
                );
            }
            let hint = if is_transient(code) {
                format!(" ({retried}; AWS is throttling or failing: retry later)")
            } else {
                String::new()
            };
            (Status::Error, format!("{action}: {code}: {msg}{hint}"))
        }
        SdkError::TimeoutError(_) => (
            Status::Error,
            format!(
                "{action}: no answer in time ({retried}); retry, raise IAMSCOPE_TIMEOUT_SECS, or check the network path to AWS"
            ),
        ),
        SdkError::DispatchFailure(_) => (
            Status::Error,
            format!(
                "{action}: the connection failed ({retried}): {}; check the network path to AWS and retry",
                error_chain(e)
            ),
        ),
        SdkError::ResponseError(_) => (
            Status::Error,
            format!(
                "{action}: the answer could not be read: {}; a proxy between iamscope and AWS may be altering answers; retry",
                error_chain(e)
            ),
        ),
        other => (Status::Error, format!("{action}: {}", error_chain(other))),
    }
}

/// Error codes the SDK's standard retry treats as transient (throttling, 5xx).
fn is_transient(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestThrottledException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "SlowDown"
            | "InternalFailure"
            | "InternalError"
            | "InternalServerError"
            | "InternalServerException"
            | "ServiceUnavailable"
            | "ServiceUnavailableException"
    ) || code.starts_with("HTTP 5")
}

fn is_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "Forbidden"
    )
}

fn is_not_found(f: &Fail) -> bool {
    f.1.contains(": ResourceNotFoundException:") || f.1.contains(": NoSuchEntity:")
}

// ---------------------------------------------------------------- JSON shapes

/// A JSON object built field by field; absent values are left out, as the CLI does.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl Obj {
    fn new() -> Obj {
        Obj::default()
    }
    fn s(mut self, k: &str, v: Option<&str>) -> Obj {
        if let Some(v) = v {
            self.0.insert(k.to_string(), Value::String(v.to_string()));
        }
        self
    }
    fn b(mut self, k: &str, v: Option<bool>) -> Obj {
        if let Some(v) = v {
            self.0.insert(k.to_string(), Value::Bool(v));
        }
        self
    }
    fn i(mut self, k: &str, v: Option<i32>) -> Obj {
        if let Some(v) = v {
            self.0.insert(k.to_string(), Value::from(v));
        }
        self
    }
    fn d(mut self, k: &str, v: Option<&DateTime>) -> Obj {
        if let Some(s) = v.and_then(|d| d.fmt(DateTimeFormat::DateTime).ok()) {
            self.0.insert(k.to_string(), Value::String(s));
        }
        self
    }
    fn v(mut self, k: &str, v: Value) -> Obj {
        self.0.insert(k.to_string(), v);
        self
    }
    fn opt(self, k: &str, v: Option<Value>) -> Obj {
        match v {
            Some(v) => self.v(k, v),
            None => self,
        }
    }
    fn strs(self, k: &str, v: &[String]) -> Obj {
        self.v(k, json!(v))
    }
    fn doc(self, k: &str, v: Option<&str>) -> Obj {
        let d = v.map(document);
        self.opt(k, d)
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// A policy document as the CLI prints it: the API's URL-encoded JSON, decoded
/// to an object; kept as the raw string when it is not JSON (the reader says so).
fn document(raw: &str) -> Value {
    let text = if raw.trim_start().starts_with('{') {
        raw.to_string()
    } else {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned()
    };
    serde_json::from_str::<Value>(&text)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::String(raw.to_string()))
}

mod iam_json {
    use super::*;
    use aws_sdk_iam::types as t;

    pub fn tags(v: &[t::Tag]) -> Value {
        Value::Array(
            v.iter()
                .map(|t| json!({"Key": t.key(), "Value": t.value()}))
                .collect(),
        )
    }
    pub fn inline(p: &t::PolicyDetail) -> Value {
        Obj::new()
            .s("PolicyName", p.policy_name())
            .doc("PolicyDocument", p.policy_document())
            .done()
    }
    pub fn attached(p: &t::AttachedPolicy) -> Value {
        Obj::new()
            .s("PolicyName", p.policy_name())
            .s("PolicyArn", p.policy_arn())
            .done()
    }
    pub fn boundary(b: Option<&t::AttachedPermissionsBoundary>) -> Option<Value> {
        b.map(|b| {
            Obj::new()
                .s(
                    "PermissionsBoundaryType",
                    b.permissions_boundary_type().map(|t| t.as_str()),
                )
                .s("PermissionsBoundaryArn", b.permissions_boundary_arn())
                .done()
        })
    }
    pub fn last_used(l: Option<&t::RoleLastUsed>) -> Option<Value> {
        l.map(|l| {
            Obj::new()
                .d("LastUsedDate", l.last_used_date())
                .s("Region", l.region())
                .done()
        })
    }
    pub fn instance_profiles(v: &[t::InstanceProfile]) -> Value {
        Value::Array(
            v.iter()
                .map(|p| {
                    Obj::new()
                        .s("Path", Some(p.path()))
                        .s("InstanceProfileName", Some(p.instance_profile_name()))
                        .s("InstanceProfileId", Some(p.instance_profile_id()))
                        .s("Arn", Some(p.arn()))
                        .d("CreateDate", Some(p.create_date()))
                        .done()
                })
                .collect(),
        )
    }
    pub fn role(r: &t::RoleDetail) -> Value {
        Obj::new()
            .s("Path", r.path())
            .s("RoleName", r.role_name())
            .s("RoleId", r.role_id())
            .s("Arn", r.arn())
            .d("CreateDate", r.create_date())
            .doc("AssumeRolePolicyDocument", r.assume_role_policy_document())
            .v(
                "InstanceProfileList",
                instance_profiles(r.instance_profile_list()),
            )
            .v(
                "RolePolicyList",
                Value::Array(r.role_policy_list().iter().map(inline).collect()),
            )
            .v(
                "AttachedManagedPolicies",
                Value::Array(r.attached_managed_policies().iter().map(attached).collect()),
            )
            .opt("PermissionsBoundary", boundary(r.permissions_boundary()))
            .v("Tags", tags(r.tags()))
            .opt("RoleLastUsed", last_used(r.role_last_used()))
            .done()
    }
    pub fn user(u: &t::UserDetail) -> Value {
        Obj::new()
            .s("Path", u.path())
            .s("UserName", u.user_name())
            .s("UserId", u.user_id())
            .s("Arn", u.arn())
            .d("CreateDate", u.create_date())
            .v(
                "UserPolicyList",
                Value::Array(u.user_policy_list().iter().map(inline).collect()),
            )
            .strs("GroupList", u.group_list())
            .v(
                "AttachedManagedPolicies",
                Value::Array(u.attached_managed_policies().iter().map(attached).collect()),
            )
            .opt("PermissionsBoundary", boundary(u.permissions_boundary()))
            .v("Tags", tags(u.tags()))
            .done()
    }
    pub fn group(g: &t::GroupDetail) -> Value {
        Obj::new()
            .s("Path", g.path())
            .s("GroupName", g.group_name())
            .s("GroupId", g.group_id())
            .s("Arn", g.arn())
            .d("CreateDate", g.create_date())
            .v(
                "GroupPolicyList",
                Value::Array(g.group_policy_list().iter().map(inline).collect()),
            )
            .v(
                "AttachedManagedPolicies",
                Value::Array(g.attached_managed_policies().iter().map(attached).collect()),
            )
            .done()
    }
    pub fn version(v: &t::PolicyVersion) -> Value {
        Obj::new()
            .doc("Document", v.document())
            .s("VersionId", v.version_id())
            .b("IsDefaultVersion", Some(v.is_default_version()))
            .d("CreateDate", v.create_date())
            .done()
    }
    pub fn policy(p: &t::ManagedPolicyDetail) -> Value {
        Obj::new()
            .s("PolicyName", p.policy_name())
            .s("PolicyId", p.policy_id())
            .s("Arn", p.arn())
            .s("Path", p.path())
            .s("DefaultVersionId", p.default_version_id())
            .i("AttachmentCount", p.attachment_count())
            .i(
                "PermissionsBoundaryUsageCount",
                p.permissions_boundary_usage_count(),
            )
            .b("IsAttachable", Some(p.is_attachable()))
            .s("Description", p.description())
            .d("CreateDate", p.create_date())
            .d("UpdateDate", p.update_date())
            .v(
                "PolicyVersionList",
                Value::Array(p.policy_version_list().iter().map(version).collect()),
            )
            .done()
    }
}

mod eks_json {
    use super::*;
    use aws_sdk_eks::types as t;
    use std::collections::HashMap;

    fn tags(v: Option<&HashMap<String, String>>) -> Value {
        let sorted: std::collections::BTreeMap<_, _> = v.into_iter().flatten().collect();
        json!(sorted)
    }

    pub fn cluster(c: &t::Cluster) -> Value {
        let vpc = c.resources_vpc_config().map(|v| {
            Obj::new()
                .strs("subnetIds", v.subnet_ids())
                .strs("securityGroupIds", v.security_group_ids())
                .s("clusterSecurityGroupId", v.cluster_security_group_id())
                .s("vpcId", v.vpc_id())
                .b("endpointPublicAccess", Some(v.endpoint_public_access()))
                .b("endpointPrivateAccess", Some(v.endpoint_private_access()))
                .strs("publicAccessCidrs", v.public_access_cidrs())
                .done()
        });
        let net = c.kubernetes_network_config().map(|n| {
            Obj::new()
                .s("serviceIpv4Cidr", n.service_ipv4_cidr())
                .s("serviceIpv6Cidr", n.service_ipv6_cidr())
                .s("ipFamily", n.ip_family().map(|f| f.as_str()))
                .done()
        });
        let logging = c.logging().map(|l| {
            json!({
                "clusterLogging": l.cluster_logging().iter().map(|s| {
                    Obj::new()
                        .v("types", json!(s.types().iter().map(|t| t.as_str()).collect::<Vec<_>>()))
                        .b("enabled", s.enabled())
                        .done()
                }).collect::<Vec<_>>()
            })
        });
        let identity = c.identity().map(|i| {
            Obj::new()
                .opt(
                    "oidc",
                    i.oidc().map(|o| Obj::new().s("issuer", o.issuer()).done()),
                )
                .done()
        });
        let access = c.access_config().map(|a| {
            Obj::new()
                .b(
                    "bootstrapClusterCreatorAdminPermissions",
                    a.bootstrap_cluster_creator_admin_permissions(),
                )
                .s(
                    "authenticationMode",
                    a.authentication_mode().map(|m| m.as_str()),
                )
                .done()
        });
        let cluster = Obj::new()
            .s("name", c.name())
            .s("arn", c.arn())
            .d("createdAt", c.created_at())
            .s("version", c.version())
            .s("endpoint", c.endpoint())
            .s("roleArn", c.role_arn())
            .opt("resourcesVpcConfig", vpc)
            .opt("kubernetesNetworkConfig", net)
            .opt("logging", logging)
            .opt("identity", identity)
            .s("status", c.status().map(|s| s.as_str()))
            .opt(
                "certificateAuthority",
                c.certificate_authority()
                    .map(|ca| Obj::new().s("data", ca.data()).done()),
            )
            .s("platformVersion", c.platform_version())
            .v("tags", tags(c.tags()))
            .opt("accessConfig", access)
            .done();
        json!({ "cluster": cluster })
    }

    pub fn access_entry(e: &t::AccessEntry, policies: Vec<Value>) -> Value {
        Obj::new()
            .s("clusterName", e.cluster_name())
            .s("principalArn", e.principal_arn())
            .strs("kubernetesGroups", e.kubernetes_groups())
            .s("accessEntryArn", e.access_entry_arn())
            .d("createdAt", e.created_at())
            .d("modifiedAt", e.modified_at())
            .v("tags", tags(e.tags()))
            .s("username", e.username())
            .s("type", e.r#type())
            .v("associatedAccessPolicies", Value::Array(policies))
            .done()
    }

    pub fn access_policy(p: &t::AssociatedAccessPolicy) -> Value {
        Obj::new()
            .s("policyArn", p.policy_arn())
            .opt(
                "accessScope",
                p.access_scope().map(|s| {
                    Obj::new()
                        .s("type", s.r#type().map(|t| t.as_str()))
                        .strs("namespaces", s.namespaces())
                        .done()
                }),
            )
            .d("associatedAt", p.associated_at())
            .d("modifiedAt", p.modified_at())
            .done()
    }

    pub fn association(a: &t::PodIdentityAssociation) -> Value {
        Obj::new()
            .s("clusterName", a.cluster_name())
            .s("namespace", a.namespace())
            .s("serviceAccount", a.service_account())
            .s("roleArn", a.role_arn())
            .s("associationArn", a.association_arn())
            .s("associationId", a.association_id())
            .v("tags", tags(a.tags()))
            .d("createdAt", a.created_at())
            .d("modifiedAt", a.modified_at())
            .s("ownerArn", a.owner_arn())
            .b("disableSessionTags", a.disable_session_tags())
            .s("targetRoleArn", a.target_role_arn())
            .s("externalId", a.external_id())
            .done()
    }
}

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

/// The EKS cluster of this account and region whose endpoint is `server`:
/// eks:ListClusters, then eks:DescribeCluster of each (read-only), for a
/// kubeconfig that names no cluster (its server URL is all it has).
async fn find_cluster_by_endpoint(
    eks: &aws_sdk_eks::Client,
    server: &str,
    limits: &Limits,
) -> Result<Option<String>, Fail> {
    let Some(want) = endpoint_key(server) else {
        return Ok(None);
    };
    let names = pages!(eks.list_clusters(), "eks:ListClusters", |p| p
        .clusters()
        .to_vec())?;
    let endpoints = run_bounded(limits.parallel, names, |name| async move {
        let o = eks
            .describe_cluster()
            .name(&name)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("eks:DescribeCluster {name}")))?;
        let endpoint = o.cluster().and_then(|c| c.endpoint()).map(str::to_string);
        Ok::<_, Fail>((name, endpoint))
    })
    .await;
    for got in endpoints {
        let (name, endpoint) = got?;
        if endpoint.as_deref().and_then(endpoint_key).as_deref() == Some(want.as_str()) {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// The plan with the cluster named, when the kubeconfig named none but its
/// server URL is the endpoint of an EKS cluster of this account and region.
async fn find_cluster(plan: &Plan, c: &Clients, region: Option<&str>, limits: &Limits) -> Plan {
    let (ClusterPlan::Unknown { status, detail }, Some(server), Some(eks), Some(region)) =
        (&plan.cluster, &plan.server, &c.eks, region)
    else {
        return plan.clone();
    };
    let found = match tokio::time::timeout(
        limits.timeout,
        find_cluster_by_endpoint(eks, server, limits),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err((
            Status::Error,
            format!(
                "eks:ListClusters: no answer within {}s",
                limits.timeout.as_secs()
            ),
        )),
    };
    let mut out = plan.clone();
    out.cluster = match found {
        Ok(Some(name)) => ClusterPlan::Named {
            from: format!(
                "the EKS cluster of region {region} whose endpoint is the kubeconfig's server {server} (eks:ListClusters, eks:DescribeCluster)"
            ),
            name,
        },
        Ok(None) => ClusterPlan::Unknown {
            status: *status,
            detail: format!(
                "{detail} (no EKS cluster of this account in region {region} has the endpoint {server})"
            ),
        },
        Err((_, why)) => ClusterPlan::Unknown {
            status: *status,
            detail: format!(
                "{detail} (the cluster could not be looked up by its endpoint: {why}; eks:ListClusters and eks:DescribeCluster are needed for that)"
            ),
        },
    };
    tracing::debug!("cluster by endpoint {server}: {:?}", out.cluster);
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

/// GetAccountAuthorizationDetails, all pages merged into one object; where it
/// is denied, the same content from ListRoles/ListUsers/ListGroups and
/// per-principal calls, with a note saying so.
async fn iam_details(
    iam: &aws_sdk_iam::Client,
    limits: &Limits,
) -> Result<(Value, Option<super::live::Note>), Fail> {
    // 1,000 items a page (the API's most; its default is 100): a large
    // account is a few pages rather than hundreds, fetched one after another.
    let mut stream = iam
        .get_account_authorization_details()
        .max_items(1000)
        .into_paginator()
        .send();
    let (mut users, mut groups, mut roles, mut policies) = (vec![], vec![], vec![], vec![]);
    while let Some(page) = stream.next().await {
        match page {
            Ok(p) => {
                users.extend(p.user_detail_list().iter().map(iam_json::user));
                groups.extend(p.group_detail_list().iter().map(iam_json::group));
                roles.extend(p.role_detail_list().iter().map(iam_json::role));
                policies.extend(p.policies().iter().map(iam_json::policy));
            }
            Err(e) => {
                let fail = classify(&e, "iam:GetAccountAuthorizationDetails");
                if fail.0 != Status::Forbidden {
                    return Err(fail);
                }
                return iam_fallback(iam, limits, fail.1).await;
            }
        }
    }
    Ok((
        json!({
            "UserDetailList": users,
            "GroupDetailList": groups,
            "RoleDetailList": roles,
            "Policies": policies,
        }),
        None,
    ))
}

async fn iam_fallback(
    iam: &aws_sdk_iam::Client,
    limits: &Limits,
    denied: String,
) -> Result<(Value, Option<super::live::Note>), Fail> {
    let listed_roles = pages!(iam.list_roles(), "iam:ListRoles", |p| p.roles().to_vec())
        .map_err(|(s, d)| (s, format!("{denied}; the fallback failed too: {d}")))?;
    let mut gaps: Vec<Fail> = Vec::new();
    let mut attached_arns: BTreeSet<String> = BTreeSet::new();

    let role_results = run_bounded(limits.parallel, listed_roles, |r| fallback_role(iam, r)).await;
    let mut roles = Vec::new();
    for r in role_results {
        match r {
            Ok((v, arns)) => {
                attached_arns.extend(arns);
                roles.push(v);
            }
            Err(f) => gaps.push(f),
        }
    }

    // Which instance profiles hold each role (the node roles of the NODE
    // rules), as GetAccountAuthorizationDetails' InstanceProfileList.
    match pages!(
        iam.list_instance_profiles(),
        "iam:ListInstanceProfiles",
        |p| p.instance_profiles().to_vec()
    ) {
        Ok(profiles) => {
            for role in roles.iter_mut() {
                let Some(arn) = role.get("Arn").and_then(Value::as_str).map(str::to_string) else {
                    continue;
                };
                let mine: Vec<aws_sdk_iam::types::InstanceProfile> = profiles
                    .iter()
                    .filter(|p| p.roles().iter().any(|r| r.arn() == arn))
                    .cloned()
                    .collect();
                if let Some(o) = role.as_object_mut() {
                    o.insert(
                        "InstanceProfileList".to_string(),
                        iam_json::instance_profiles(&mine),
                    );
                }
            }
        }
        Err(f) => gaps.push(f),
    }

    let mut users = Vec::new();
    match pages!(iam.list_users(), "iam:ListUsers", |p| p.users().to_vec()) {
        Ok(list) => {
            for r in run_bounded(limits.parallel, list, |u| fallback_user(iam, u)).await {
                match r {
                    Ok((v, arns)) => {
                        attached_arns.extend(arns);
                        users.push(v);
                    }
                    Err(f) => gaps.push(f),
                }
            }
        }
        Err(f) => gaps.push(f),
    }

    let mut groups = Vec::new();
    match pages!(iam.list_groups(), "iam:ListGroups", |p| p.groups().to_vec()) {
        Ok(list) => {
            for r in run_bounded(limits.parallel, list, |g| fallback_group(iam, g)).await {
                match r {
                    Ok((v, arns)) => {
                        attached_arns.extend(arns);
                        groups.push(v);
                    }
                    Err(f) => gaps.push(f),
                }
            }
        }
        Err(f) => gaps.push(f),
    }

    let mut policies = Vec::new();
    let arns: Vec<String> = attached_arns.into_iter().collect();
    for r in run_bounded(limits.parallel, arns, |a| fallback_policy(iam, a)).await {
        match r {
            Ok(v) => policies.push(v),
            Err(f) => gaps.push(f),
        }
    }

    let n = roles.len();
    let value = json!({
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    });
    let base = format!(
        "{denied}; read instead with ListRoles, ListUsers, ListGroups and per-principal Get/List calls"
    );
    let note = if gaps.is_empty() {
        super::live::Note {
            source: SRC_IAM.to_string(),
            status: Status::Ok,
            count: Some(n),
            detail: Some(base),
        }
    } else {
        let status = if gaps.iter().all(|g| g.0 == Status::Forbidden) {
            Status::Forbidden
        } else {
            Status::Error
        };
        let mut shown: Vec<String> = gaps.iter().map(|g| g.1.clone()).collect();
        shown.sort();
        shown.dedup();
        let more = shown.len().saturating_sub(3);
        shown.truncate(3);
        let tail = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        super::live::Note {
            source: SRC_IAM.to_string(),
            status,
            count: Some(n),
            detail: Some(format!("{base}; incomplete: {}{tail}", shown.join("; "))),
        }
    };
    Ok((value, Some(note)))
}

async fn inline_docs<F, Fut>(
    names: Vec<String>,
    limits: &Limits,
    get: F,
) -> Result<Vec<Value>, Fail>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Value, Fail>>,
{
    run_bounded(limits.parallel.min(4), names, get)
        .await
        .into_iter()
        .collect()
}

fn attached_list(v: &[aws_sdk_iam::types::AttachedPolicy]) -> (Value, Vec<String>) {
    (
        Value::Array(v.iter().map(iam_json::attached).collect()),
        v.iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect(),
    )
}

async fn fallback_role(
    iam: &aws_sdk_iam::Client,
    listed: aws_sdk_iam::types::Role,
) -> Result<(Value, Vec<String>), Fail> {
    let name = listed.role_name().to_string();
    let got = iam
        .get_role()
        .role_name(&name)
        .send()
        .await
        .map_err(|e| classify(&e, &format!("iam:GetRole {name}")))?;
    let r = got.role().cloned().unwrap_or(listed);
    let names = pages!(
        iam.list_role_policies().role_name(&name),
        &format!("iam:ListRolePolicies {name}"),
        |p| p.policy_names().to_vec()
    )?;
    let limits = Limits {
        parallel: 4,
        page_size: 0,
        timeout: Duration::from_secs(0),
    };
    let inline = inline_docs(names, &limits, |pn| {
        let name = name.clone();
        async move {
            let o = iam
                .get_role_policy()
                .role_name(&name)
                .policy_name(&pn)
                .send()
                .await
                .map_err(|e| classify(&e, &format!("iam:GetRolePolicy {name}/{pn}")))?;
            Ok(Obj::new()
                .s("PolicyName", Some(o.policy_name()))
                .doc("PolicyDocument", Some(o.policy_document()))
                .done())
        }
    })
    .await?;
    let attached = pages!(
        iam.list_attached_role_policies().role_name(&name),
        &format!("iam:ListAttachedRolePolicies {name}"),
        |p| p.attached_policies().to_vec()
    )?;
    let (attached_v, mut arns) = attached_list(&attached);
    if let Some(b) = r
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
    {
        arns.push(b.to_string());
    }
    let v = Obj::new()
        .s("Path", Some(r.path()))
        .s("RoleName", Some(r.role_name()))
        .s("RoleId", Some(r.role_id()))
        .s("Arn", Some(r.arn()))
        .d("CreateDate", Some(r.create_date()))
        .doc("AssumeRolePolicyDocument", r.assume_role_policy_document())
        .v("InstanceProfileList", json!([]))
        .v("RolePolicyList", Value::Array(inline))
        .v("AttachedManagedPolicies", attached_v)
        .opt(
            "PermissionsBoundary",
            iam_json::boundary(r.permissions_boundary()),
        )
        .v("Tags", iam_json::tags(r.tags()))
        .opt("RoleLastUsed", iam_json::last_used(r.role_last_used()))
        .done();
    Ok((v, arns))
}

async fn fallback_user(
    iam: &aws_sdk_iam::Client,
    listed: aws_sdk_iam::types::User,
) -> Result<(Value, Vec<String>), Fail> {
    let name = listed.user_name().to_string();
    let got = iam
        .get_user()
        .user_name(&name)
        .send()
        .await
        .map_err(|e| classify(&e, &format!("iam:GetUser {name}")))?;
    let u = got.user().cloned().unwrap_or(listed);
    let names = pages!(
        iam.list_user_policies().user_name(&name),
        &format!("iam:ListUserPolicies {name}"),
        |p| p.policy_names().to_vec()
    )?;
    let limits = Limits {
        parallel: 4,
        page_size: 0,
        timeout: Duration::from_secs(0),
    };
    let inline = inline_docs(names, &limits, |pn| {
        let name = name.clone();
        async move {
            let o = iam
                .get_user_policy()
                .user_name(&name)
                .policy_name(&pn)
                .send()
                .await
                .map_err(|e| classify(&e, &format!("iam:GetUserPolicy {name}/{pn}")))?;
            Ok(Obj::new()
                .s("PolicyName", Some(o.policy_name()))
                .doc("PolicyDocument", Some(o.policy_document()))
                .done())
        }
    })
    .await?;
    let attached = pages!(
        iam.list_attached_user_policies().user_name(&name),
        &format!("iam:ListAttachedUserPolicies {name}"),
        |p| p.attached_policies().to_vec()
    )?;
    let groups = pages!(
        iam.list_groups_for_user().user_name(&name),
        &format!("iam:ListGroupsForUser {name}"),
        |p| p
            .groups()
            .iter()
            .map(|g| g.group_name().to_string())
            .collect::<Vec<_>>()
    )?;
    let (attached_v, mut arns) = attached_list(&attached);
    if let Some(b) = u
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
    {
        arns.push(b.to_string());
    }
    let v = Obj::new()
        .s("Path", Some(u.path()))
        .s("UserName", Some(u.user_name()))
        .s("UserId", Some(u.user_id()))
        .s("Arn", Some(u.arn()))
        .d("CreateDate", Some(u.create_date()))
        .v("UserPolicyList", Value::Array(inline))
        .strs("GroupList", &groups)
        .v("AttachedManagedPolicies", attached_v)
        .opt(
            "PermissionsBoundary",
            iam_json::boundary(u.permissions_boundary()),
        )
        .v("Tags", iam_json::tags(u.tags()))
        .done();
    Ok((v, arns))
}

async fn fallback_group(
    iam: &aws_sdk_iam::Client,
    g: aws_sdk_iam::types::Group,
) -> Result<(Value, Vec<String>), Fail> {
    let name = g.group_name().to_string();
    let names = pages!(
        iam.list_group_policies().group_name(&name),
        &format!("iam:ListGroupPolicies {name}"),
        |p| p.policy_names().to_vec()
    )?;
    let limits = Limits {
        parallel: 4,
        page_size: 0,
        timeout: Duration::from_secs(0),
    };
    let inline = inline_docs(names, &limits, |pn| {
        let name = name.clone();
        async move {
            let o = iam
                .get_group_policy()
                .group_name(&name)
                .policy_name(&pn)
                .send()
                .await
                .map_err(|e| classify(&e, &format!("iam:GetGroupPolicy {name}/{pn}")))?;
            Ok(Obj::new()
                .s("PolicyName", Some(o.policy_name()))
                .doc("PolicyDocument", Some(o.policy_document()))
                .done())
        }
    })
    .await?;
    let attached = pages!(
        iam.list_attached_group_policies().group_name(&name),
        &format!("iam:ListAttachedGroupPolicies {name}"),
        |p| p.attached_policies().to_vec()
    )?;
    let (attached_v, arns) = attached_list(&attached);
    let v = Obj::new()
        .s("Path", Some(g.path()))
        .s("GroupName", Some(g.group_name()))
        .s("GroupId", Some(g.group_id()))
        .s("Arn", Some(g.arn()))
        .d("CreateDate", Some(g.create_date()))
        .v("GroupPolicyList", Value::Array(inline))
        .v("AttachedManagedPolicies", attached_v)
        .done();
    Ok((v, arns))
}

async fn fallback_policy(iam: &aws_sdk_iam::Client, arn: String) -> Result<Value, Fail> {
    let got = iam
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .map_err(|e| classify(&e, &format!("iam:GetPolicy {arn}")))?;
    let Some(p) = got.policy() else {
        return Err((Status::Error, format!("iam:GetPolicy {arn}: empty answer")));
    };
    let mut versions = Vec::new();
    if let Some(vid) = p.default_version_id() {
        let v = iam
            .get_policy_version()
            .policy_arn(&arn)
            .version_id(vid)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("iam:GetPolicyVersion {arn} {vid}")))?;
        if let Some(v) = v.policy_version() {
            versions.push(iam_json::version(v));
        }
    }
    Ok(Obj::new()
        .s("PolicyName", p.policy_name())
        .s("PolicyId", p.policy_id())
        .s("Arn", p.arn())
        .s("Path", p.path())
        .s("DefaultVersionId", p.default_version_id())
        .i("AttachmentCount", p.attachment_count())
        .i(
            "PermissionsBoundaryUsageCount",
            p.permissions_boundary_usage_count(),
        )
        .b("IsAttachable", Some(p.is_attachable()))
        .s("Description", p.description())
        .d("CreateDate", p.create_date())
        .d("UpdateDate", p.update_date())
        .v("PolicyVersionList", Value::Array(versions))
        .done())
}

/// ListOpenIDConnectProviders, each merged with GetOpenIDConnectProvider.
async fn oidc_providers(iam: &aws_sdk_iam::Client, limits: &Limits) -> Result<Value, Fail> {
    let list = iam
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|e| classify(&e, "iam:ListOpenIDConnectProviders"))?;
    let arns: Vec<String> = list
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(str::to_string))
        .collect();
    let got = run_bounded(limits.parallel, arns, |arn| async move {
        let o = iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("iam:GetOpenIDConnectProvider {arn}")))?;
        Ok::<Value, Fail>(
            Obj::new()
                .s("Arn", Some(&arn))
                .s("Url", o.url())
                .strs("ClientIDList", o.client_id_list())
                .strs("ThumbprintList", o.thumbprint_list())
                .d("CreateDate", o.create_date())
                .v("Tags", iam_json::tags(o.tags()))
                .done(),
        )
    })
    .await;
    let providers: Vec<Value> = got.into_iter().collect::<Result<_, _>>()?;
    Ok(json!({ "OpenIDConnectProviderList": providers }))
}

/// DescribeCluster, the access entries with their policies, and the Pod
/// Identity associations, concurrently.
async fn eks_all(
    plan: &Plan,
    c: &Clients,
    region: Option<&str>,
    limits: &Limits,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Collected {
    let mut out = Collected::default();
    let name = match &plan.cluster {
        ClusterPlan::Unknown { status, detail } => {
            for s in [SRC_EKS, SRC_ACCESS, SRC_PODID] {
                out.note(s, *status, detail.clone());
            }
            return out;
        }
        ClusterPlan::Named { name, .. } => name.clone(),
    };
    let Some(eks) = &c.eks else {
        for s in [SRC_EKS, SRC_ACCESS, SRC_PODID] {
            out.note(
                s,
                Status::Error,
                format!("no AWS region for cluster {name}: pass --region or set AWS_REGION"),
            );
        }
        return out;
    };
    let region = region.unwrap_or_default();
    let (cluster, entries, assocs) = tokio::join!(
        timed(limits, SRC_EKS, progress, describe_cluster(eks, &name)),
        timed(
            limits,
            SRC_ACCESS,
            progress,
            access_entries(eks, &name, limits)
        ),
        timed(
            limits,
            SRC_PODID,
            progress,
            pod_identity(eks, &name, limits)
        ),
    );
    let not_found = |what: &str| {
        let from = match &plan.cluster {
            ClusterPlan::Named { from, .. } => from.clone(),
            ClusterPlan::Unknown { .. } => String::new(),
        };
        format!(
            "no EKS cluster {name} in region {region} of this account (name from {from}): {what}; pass --cluster-name and --region if it is elsewhere"
        )
    };
    match cluster {
        Ok(v) => out.file("eks-cluster.json", &v),
        Err(f) if is_not_found(&f) => out.note(SRC_EKS, Status::Missing, not_found("not found")),
        Err((s, d)) => out.note(SRC_EKS, s, d),
    }
    match entries {
        Ok(v) => out.file("eks-access-entries.json", &v),
        Err(f) if is_not_found(&f) => {
            out.note(SRC_ACCESS, Status::Missing, not_found("no access entries"))
        }
        Err((s, d)) => out.note(SRC_ACCESS, s, d),
    }
    match assocs {
        Ok(v) => out.file("eks-pod-identity-associations.json", &v),
        Err(f) if is_not_found(&f) => out.note(
            SRC_PODID,
            Status::Missing,
            not_found("no Pod Identity associations"),
        ),
        Err((s, d)) => out.note(SRC_PODID, s, d),
    }
    out
}

async fn describe_cluster(eks: &aws_sdk_eks::Client, name: &str) -> Result<Value, Fail> {
    let o = eks
        .describe_cluster()
        .name(name)
        .send()
        .await
        .map_err(|e| classify(&e, &format!("eks:DescribeCluster {name}")))?;
    match o.cluster() {
        Some(c) => Ok(eks_json::cluster(c)),
        None => Err((
            Status::Error,
            format!("eks:DescribeCluster {name}: empty answer"),
        )),
    }
}

async fn access_entries(
    eks: &aws_sdk_eks::Client,
    name: &str,
    limits: &Limits,
) -> Result<Value, Fail> {
    let principals = pages!(
        eks.list_access_entries().cluster_name(name),
        &format!("eks:ListAccessEntries {name}"),
        |p| p.access_entries().to_vec()
    )?;
    let got = run_bounded(limits.parallel, principals, |principal| async move {
        let d = eks
            .describe_access_entry()
            .cluster_name(name)
            .principal_arn(&principal)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("eks:DescribeAccessEntry {principal}")))?;
        let policies = pages!(
            eks.list_associated_access_policies()
                .cluster_name(name)
                .principal_arn(&principal),
            &format!("eks:ListAssociatedAccessPolicies {principal}"),
            |p| p
                .associated_access_policies()
                .iter()
                .map(eks_json::access_policy)
                .collect::<Vec<_>>()
        )?;
        match d.access_entry() {
            Some(e) => Ok(eks_json::access_entry(e, policies)),
            None => Err((
                Status::Error,
                format!("eks:DescribeAccessEntry {principal}: empty answer"),
            )),
        }
    })
    .await;
    let entries: Vec<Value> = got.into_iter().collect::<Result<_, Fail>>()?;
    Ok(json!({ "accessEntries": entries }))
}

async fn pod_identity(
    eks: &aws_sdk_eks::Client,
    name: &str,
    limits: &Limits,
) -> Result<Value, Fail> {
    let ids = pages!(
        eks.list_pod_identity_associations().cluster_name(name),
        &format!("eks:ListPodIdentityAssociations {name}"),
        |p| p
            .associations()
            .iter()
            .filter_map(|a| a.association_id().map(str::to_string))
            .collect::<Vec<_>>()
    )?;
    let got = run_bounded(limits.parallel, ids, |id| async move {
        let d = eks
            .describe_pod_identity_association()
            .cluster_name(name)
            .association_id(&id)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("eks:DescribePodIdentityAssociation {id}")))?;
        match d.association() {
            Some(a) => Ok(eks_json::association(a)),
            None => Err((
                Status::Error,
                format!("eks:DescribePodIdentityAssociation {id}: empty answer"),
            )),
        }
    })
    .await;
    let associations: Vec<Value> = got.into_iter().collect::<Result<_, Fail>>()?;
    Ok(json!({ "associations": associations }))
}

// ---------------------------------------------------------------- nodes

mod ec2_json {
    use super::{Obj, Value, json};
    use aws_sdk_ec2::types as t;

    fn tags(v: &[t::Tag]) -> Value {
        Value::Array(
            v.iter()
                .map(|x| json!({"Key": x.key(), "Value": x.value()}))
                .collect(),
        )
    }

    /// What `aws ec2 describe-instances` prints of an instance, for the NODE rules.
    pub fn instance(i: &t::Instance) -> Value {
        let mo = i.metadata_options().map(|m| {
            Obj::new()
                .s("State", m.state().map(|x| x.as_str()))
                .s("HttpTokens", m.http_tokens().map(|x| x.as_str()))
                .i("HttpPutResponseHopLimit", m.http_put_response_hop_limit())
                .s("HttpEndpoint", m.http_endpoint().map(|x| x.as_str()))
                .done()
        });
        let profile = i
            .iam_instance_profile()
            .map(|p| Obj::new().s("Arn", p.arn()).s("Id", p.id()).done());
        Obj::new()
            .s("InstanceId", i.instance_id())
            .s("PrivateDnsName", i.private_dns_name())
            .opt(
                "State",
                i.state()
                    .map(|s| Obj::new().s("Name", s.name().map(|n| n.as_str())).done()),
            )
            .opt("IamInstanceProfile", profile)
            .opt("MetadataOptions", mo)
            .v("Tags", tags(i.tags()))
            .done()
    }

    pub fn template_version(v: &t::LaunchTemplateVersion) -> Value {
        let mo = v
            .launch_template_data()
            .and_then(|d| d.metadata_options())
            .map(|m| {
                Obj::new()
                    .s("HttpTokens", m.http_tokens().map(|x| x.as_str()))
                    .i("HttpPutResponseHopLimit", m.http_put_response_hop_limit())
                    .s("HttpEndpoint", m.http_endpoint().map(|x| x.as_str()))
                    .done()
            });
        let data = match mo {
            Some(m) => json!({"MetadataOptions": m}),
            None => json!({}),
        };
        let mut o = Obj::new()
            .s("LaunchTemplateId", v.launch_template_id())
            .s("LaunchTemplateName", v.launch_template_name())
            .b("DefaultVersion", v.default_version())
            .v("LaunchTemplateData", data)
            .done();
        if let (Some(n), Some(m)) = (v.version_number(), o.as_object_mut()) {
            m.insert("VersionNumber".into(), json!(n));
        }
        o
    }
}

/// What a managed node group is, for the NODE rules (as `describe-nodegroup`).
fn nodegroup_json(g: &aws_sdk_eks::types::Nodegroup) -> Value {
    let lt = g.launch_template().map(|l| {
        Obj::new()
            .s("name", l.name())
            .s("version", l.version())
            .s("id", l.id())
            .done()
    });
    Obj::new()
        .s("nodegroupName", g.nodegroup_name())
        .s("nodegroupArn", g.nodegroup_arn())
        .s("clusterName", g.cluster_name())
        .s("nodeRole", g.node_role())
        .s("status", g.status().map(|s| s.as_str()))
        .opt("launchTemplate", lt)
        .done()
}

/// Nodes on the AWS side: the managed node groups (eks:ListNodegroups,
/// eks:DescribeNodegroup), their launch template versions
/// (ec2:DescribeLaunchTemplateVersions), and the cluster's instances
/// (ec2:DescribeInstances filtered on the `kubernetes.io/cluster/NAME` tag that
/// EKS node groups, Karpenter and eksctl put on them: the Kubernetes side is
/// collected at the same time, so the nodes' instance IDs are not known yet).
async fn nodes_all(
    plan: &Plan,
    c: &Clients,
    limits: &Limits,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Collected {
    use super::snapshot::{SRC_EC2, SRC_LAUNCH_TEMPLATES, SRC_NODEGROUPS};
    let mut out = Collected::default();
    let sources = [SRC_EC2, SRC_NODEGROUPS, SRC_LAUNCH_TEMPLATES];
    let name = match &plan.cluster {
        ClusterPlan::Unknown { status, detail } => {
            for s in sources {
                out.note(s, *status, detail.clone());
            }
            return out;
        }
        ClusterPlan::Named { name, .. } => name.clone(),
    };
    let (Some(eks), Some(ec2)) = (&c.eks, &c.ec2) else {
        for s in sources {
            out.note(
                s,
                Status::Error,
                format!("no AWS region for cluster {name}: pass --region or set AWS_REGION"),
            );
        }
        return out;
    };
    let (groups, instances) = tokio::join!(
        timed(
            limits,
            SRC_NODEGROUPS,
            progress,
            nodegroups(eks, &name, limits)
        ),
        timed(limits, SRC_EC2, progress, cluster_instances(ec2, &name)),
    );
    match instances {
        Ok(v) => out.file(super::snapshot::EC2_FILE, &v),
        Err((s, d)) => out.note(SRC_EC2, s, d),
    }
    let groups = match groups {
        Ok(v) => v,
        Err((s, d)) => {
            out.note(SRC_NODEGROUPS, s, d.clone());
            out.note(
                SRC_LAUNCH_TEMPLATES,
                s,
                format!("not asked: the node groups were not read ({d})"),
            );
            return out;
        }
    };
    let templates: Vec<(String, String)> = groups
        .iter()
        .filter_map(|g| {
            let lt = g.get("launchTemplate")?;
            let id = lt.get("id")?.as_str()?.to_string();
            let v = lt
                .get("version")
                .and_then(Value::as_str)
                .unwrap_or("$Default")
                .to_string();
            Some((id, v))
        })
        .collect();
    out.file(
        super::snapshot::NODEGROUPS_FILE,
        &json!({ "nodegroups": groups }),
    );
    let versions = timed(
        limits,
        SRC_LAUNCH_TEMPLATES,
        progress,
        template_versions(ec2, templates, limits),
    )
    .await;
    match versions {
        Ok(v) => out.file(super::snapshot::LAUNCH_TEMPLATES_FILE, &v),
        Err((s, d)) => out.note(SRC_LAUNCH_TEMPLATES, s, d),
    }
    out
}

async fn nodegroups(
    eks: &aws_sdk_eks::Client,
    name: &str,
    limits: &Limits,
) -> Result<Vec<Value>, Fail> {
    let names = pages!(
        eks.list_nodegroups().cluster_name(name),
        &format!("eks:ListNodegroups {name}"),
        |p| p.nodegroups().to_vec()
    )?;
    let got = run_bounded(limits.parallel, names, |ng| async move {
        let d = eks
            .describe_nodegroup()
            .cluster_name(name)
            .nodegroup_name(&ng)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("eks:DescribeNodegroup {ng}")))?;
        match d.nodegroup() {
            Some(g) => Ok(nodegroup_json(g)),
            None => Err((
                Status::Error,
                format!("eks:DescribeNodegroup {ng}: empty answer"),
            )),
        }
    })
    .await;
    got.into_iter().collect()
}

async fn cluster_instances(ec2: &aws_sdk_ec2::Client, name: &str) -> Result<Value, Fail> {
    let filter = aws_sdk_ec2::types::Filter::builder()
        .name("tag-key")
        .values(format!("kubernetes.io/cluster/{name}"))
        .build();
    let instances = pages!(
        ec2.describe_instances().filters(filter),
        &format!("ec2:DescribeInstances tag-key kubernetes.io/cluster/{name}"),
        |p| p
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .map(ec2_json::instance)
            .collect::<Vec<_>>()
    )?;
    Ok(json!({"Reservations": [{"Instances": instances}]}))
}

async fn template_versions(
    ec2: &aws_sdk_ec2::Client,
    templates: Vec<(String, String)>,
    limits: &Limits,
) -> Result<Value, Fail> {
    let got = run_bounded(limits.parallel, templates, |(id, version)| async move {
        let o = ec2
            .describe_launch_template_versions()
            .launch_template_id(&id)
            .versions(&version)
            .send()
            .await
            .map_err(|e| {
                classify(
                    &e,
                    &format!("ec2:DescribeLaunchTemplateVersions {id} {version}"),
                )
            })?;
        Ok::<Vec<Value>, Fail>(
            o.launch_template_versions()
                .iter()
                .map(ec2_json::template_version)
                .collect(),
        )
    })
    .await;
    let mut all = Vec::new();
    for r in got {
        all.extend(r?);
    }
    Ok(json!({ "LaunchTemplateVersions": all }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_decode_to_objects() {
        let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            document(enc),
            json!({"Version": "2012-10-17", "Statement": []})
        );
        assert_eq!(document("{\"a\":1}"), json!({"a": 1}));
        assert_eq!(document("not json"), json!("not json"));
    }

    #[test]
    fn endpoints_compare_as_kubectl_would_reach_them() {
        let eks = "https://A1B2C3.gr7.us-east-1.eks.amazonaws.com";
        for same in [
            "https://a1b2c3.gr7.us-east-1.eks.amazonaws.com/",
            "https://A1B2C3.gr7.us-east-1.eks.amazonaws.com:443",
            " HTTPS://A1B2C3.gr7.us-east-1.eks.amazonaws.com ",
        ] {
            assert_eq!(endpoint_key(same), endpoint_key(eks), "{same}");
        }
        for other in [
            "https://A1B2C3.gr7.us-east-1.eks.amazonaws.com:8443",
            "http://A1B2C3.gr7.us-east-1.eks.amazonaws.com",
            "https://Z9.gr7.us-east-1.eks.amazonaws.com",
        ] {
            assert_ne!(endpoint_key(other), endpoint_key(eks), "{other}");
        }
        assert_eq!(
            endpoint_key("https://[::1]:6443").as_deref(),
            Some("https://[::1]:6443")
        );
        assert_eq!(
            endpoint_key("https://[::1]").as_deref(),
            Some("https://[::1]:443")
        );
        assert_eq!(endpoint_key("not a url"), None);
    }

    #[test]
    fn plan_from_hint() {
        let t = Target::default();
        let p = Plan::new(&t, &ClusterHint::default());
        assert!(matches!(
            p.cluster,
            ClusterPlan::Unknown {
                status: Status::NotObservable,
                ..
            }
        ));
        let h = ClusterHint {
            cluster_name: Some("prod".into()),
            region: Some("eu-west-1".into()),
            ..ClusterHint::default()
        };
        let t = Target {
            region: Some("us-east-1".into()),
            ..Target::default()
        };
        let p = Plan::new(&t, &h);
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
        assert!(matches!(p.cluster, ClusterPlan::Named { ref name, .. } if name == "prod"));
    }
}
