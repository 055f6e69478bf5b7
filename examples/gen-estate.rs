//! Generate a realistic, deterministic snapshot directory of a large estate,
//! for benchmarks: `cargo run --release --example gen-estate -- --namespaces 300 --sa-per-ns 30 OUT`.
//!
//! What it writes (the files of `spec/snapshot.md`):
//! - `kubernetes.json`: namespaces, service accounts (about half with an IRSA
//!   annotation), a Deployment + ReplicaSet + pods (≈2 per SA) per used SA,
//!   namespaced Roles/RoleBindings, cluster-wide roles with wildcards;
//! - `kubernetes-bootstrap.yaml`: the real bootstrap RBAC of `shared/data/k8s-bootstrap-rbac`;
//! - `kubernetes-aws-auth.json`, `kubernetes-secrets.json` (legacy tokens; their data is fake);
//! - `iam.json`: the IRSA and Pod Identity roles (a few percent broken in each
//!   way the IRSA/PODID rules know), thousands of roles the cluster cannot
//!   reach, users, groups, and the AWS managed policies attached (real
//!   documents from `shared/data/aws-managed-policies.json.gz`) plus customer
//!   managed ones, with `PolicyVersionList`;
//! - `iam-oidc-providers.json`, `eks-cluster.json`, `eks-access-entries.json`,
//!   `eks-pod-identity-associations.json`, `sts-caller-identity.json`.
//!
//! Everything is a function of `--seed`; objects are streamed to disk one at a time.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
const CLUSTER: &str = "prod-main";
const REGION: &str = "eu-west-1";
const OIDC_ID: &str = "5F2C1A9E0B7D4E3F8A6C2B1D0E9F8A7B";
const T0: &str = "2025-06-01T09:00:00Z";

fn issuer_host() -> String {
    format!("oidc.eks.{REGION}.amazonaws.com/id/{OIDC_ID}")
}

fn provider_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{}", issuer_host())
}

// ---------------------------------------------------------------- rng

/// SplitMix64: small, fast, deterministic.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// True with probability `p` percent.
    fn pct(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 100.0 < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(n);
        s
    }
}

// ---------------------------------------------------------------- plan

const TEAMS: &[&str] = &[
    "payments",
    "checkout",
    "catalog",
    "search",
    "identity",
    "billing",
    "orders",
    "shipping",
    "ledger",
    "risk",
    "fraud",
    "ads",
    "growth",
    "data",
    "ml",
    "media",
    "notify",
    "support",
    "inventory",
    "pricing",
    "reports",
    "audit",
    "gateway",
    "profile",
];
const ENVS: &[&str] = &["prod", "stage", "dev", "perf", "sandbox"];
const APPS: &[&str] = &[
    "api",
    "worker",
    "sync",
    "cron",
    "ingest",
    "exporter",
    "consumer",
    "publisher",
    "indexer",
    "scheduler",
    "migrator",
    "webhook",
    "frontend",
    "backend",
    "reconciler",
    "importer",
    "notifier",
    "archiver",
    "compactor",
    "router",
];
const BUCKET_WORDS: &[&str] = &["assets", "exports", "uploads", "backups", "logs", "reports"];

/// How an IRSA service account is set up (a few percent broken in each way).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Irsa {
    None,
    Ok,
    /// Trust's `sub` names another namespace (IRSA-005).
    WrongNsSub,
    /// Annotated role does not exist (IRSA-002).
    MissingRole,
    /// Trust's `sub` is `system:serviceaccount:<ns>:*` (IRSA-006).
    WildcardSub,
    /// Trust has a `sub` but no `aud` condition (IRSA-010).
    NoAud,
    /// Role in an account that was not audited (IRSA-003).
    OtherAccount,
    /// Annotation is not a role ARN (IRSA-001).
    InvalidArn,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum PodId {
    None,
    Ok,
    /// Association's role does not exist (PODID-001).
    MissingRole,
    /// Trust lacks sts:TagSession (PODID-002).
    NoTagSession,
}

struct SaPlan {
    name: String,
    irsa: Irsa,
    podid: PodId,
    /// Pods running as it (0: unused, IRSA-008 when annotated).
    pods: usize,
    /// Permission profile of its role.
    profile: usize,
}

struct NsPlan {
    name: String,
    team: &'static str,
    sas: Vec<SaPlan>,
    /// The namespace's `default` SA carries a role (IRSA-009).
    default_annotated: bool,
    /// An extra role whose trust names a SA that does not exist (IRSA-007).
    ghost_role: bool,
    /// A Pod Identity association for a SA that does not exist (PODID-003).
    ghost_assoc: bool,
    /// A legacy token Secret (RBAC-012).
    legacy_secret: bool,
    /// RBAC flavour of the namespace.
    deployer_group: bool,
    ci_can_exec: bool,
}

struct Plan {
    seed: u64,
    namespaces: Vec<NsPlan>,
    unreachable_roles: usize,
}

fn plan(seed: u64, n_ns: usize, sa_per_ns: usize, unreachable: Option<usize>) -> Plan {
    let mut rng = Rng::new(seed);
    let mut namespaces = Vec::with_capacity(n_ns);
    for i in 0..n_ns {
        let team = *rng.pick(TEAMS);
        let env = *rng.pick(ENVS);
        let name = format!("{team}-{env}-{i:04}");
        let mut sas = Vec::with_capacity(sa_per_ns);
        for j in 0..sa_per_ns {
            let app = APPS[j % APPS.len()];
            let sa_name = if j < APPS.len() {
                app.to_string()
            } else {
                format!("{app}-{}", j / APPS.len())
            };
            let irsa = if rng.pct(50.0) {
                let r = rng.below(1000);
                match r {
                    0..=24 => Irsa::WrongNsSub,
                    25..=44 => Irsa::MissingRole,
                    45..=59 => Irsa::WildcardSub,
                    60..=89 => Irsa::NoAud,
                    90..=99 => Irsa::OtherAccount,
                    100..=104 => Irsa::InvalidArn,
                    _ => Irsa::Ok,
                }
            } else {
                Irsa::None
            };
            let podid = if irsa == Irsa::None && rng.pct(8.0) {
                match rng.below(100) {
                    0..=4 => PodId::MissingRole,
                    5..=9 => PodId::NoTagSession,
                    _ => PodId::Ok,
                }
            } else if irsa == Irsa::Ok && rng.pct(1.0) {
                // Both IRSA and Pod Identity (PODID-005).
                PodId::Ok
            } else {
                PodId::None
            };
            let pods = if rng.pct(4.0) {
                0
            } else {
                // ≈2.2 pods per SA on average.
                match rng.below(10) {
                    0..=1 => 1,
                    2..=7 => 2,
                    _ => 3 + rng.below(2),
                }
            };
            sas.push(SaPlan {
                name: sa_name,
                irsa,
                podid,
                pods,
                profile: rng.below(PROFILES),
            });
        }
        namespaces.push(NsPlan {
            name,
            team,
            sas,
            default_annotated: rng.pct(1.0),
            ghost_role: rng.pct(2.0),
            ghost_assoc: rng.pct(1.0),
            legacy_secret: rng.pct(10.0),
            deployer_group: rng.pct(60.0),
            ci_can_exec: rng.pct(15.0),
        });
    }
    let total: usize = namespaces.iter().map(|n| n.sas.len()).sum();
    Plan {
        seed,
        namespaces,
        unreachable_roles: unreachable.unwrap_or((total / 3).max(1000)),
    }
}

fn irsa_role_name(ns: &str, sa: &str) -> String {
    format!("eks-{CLUSTER}-{ns}-{sa}")
}

fn podid_role_name(ns: &str, sa: &str) -> String {
    format!("podid-{CLUSTER}-{ns}-{sa}")
}

fn role_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role/{name}")
}

// ---------------------------------------------------------------- streaming helpers

/// Write `{"k": v, ...}` where values may be streams, pretty-printed.
fn write_top(path: &Path, fields: Vec<(&str, Field<'_>)>) -> Result<(), String> {
    let f = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = Writer {
        out: BufWriter::with_capacity(1 << 20, f),
    };
    w.raw("{\n")?;
    let n = fields.len();
    for (i, (k, body)) in fields.into_iter().enumerate() {
        w.raw(&format!(
            "  {}: ",
            serde_json::to_string(k).map_err(|e| e.to_string())?
        ))?;
        body(&mut w)?;
        w.raw(if i + 1 < n { ",\n" } else { "\n" })?;
    }
    w.raw("}\n")?;
    w.out.flush().map_err(|e| e.to_string())
}

/// One field's value, written by a closure (so that it can stream).
type Field<'f> = Box<dyn FnOnce(&mut Writer) -> Result<(), String> + 'f>;

struct Writer {
    out: BufWriter<File>,
}

impl Writer {
    fn raw(&mut self, s: &str) -> Result<(), String> {
        self.out.write_all(s.as_bytes()).map_err(|e| e.to_string())
    }

    /// A value at nesting level 1, indented as if inside the top object.
    fn value(&mut self, v: &Value) -> Result<(), String> {
        self.indented(v, 1)
    }

    fn indented(&mut self, v: &Value, level: usize) -> Result<(), String> {
        let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
        // serde_json's 2-space indent (the CLIs use 4; 2 keeps files nearer real sizes).
        let pad = "  ".repeat(level);
        let mut first = true;
        for line in text.lines() {
            if !first {
                self.raw("\n")?;
                self.raw(&pad)?;
            }
            first = false;
            self.raw(line)?;
        }
        Ok(())
    }

    /// `[ item, item, … ]` from a generator, each item written as it comes.
    fn array<F>(&mut self, gen_items: F) -> Result<(), String>
    where
        F: FnOnce(&mut dyn FnMut(Value) -> Result<(), String>) -> Result<(), String>,
    {
        self.raw("[")?;
        let mut count = 0usize;
        {
            let mut emit = |v: Value| -> Result<(), String> {
                self.raw(if count == 0 { "\n    " } else { ",\n    " })?;
                count += 1;
                self.indented(&v, 2)
            };
            gen_items(&mut emit)?;
        }
        self.raw(if count == 0 { "]" } else { "\n  ]" })
    }
}

// ---------------------------------------------------------------- kubernetes

fn uid(rng: &mut Rng) -> String {
    let h = rng.hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn meta(rng: &mut Rng, name: &str, ns: Option<&str>, labels: Value, annotations: Value) -> Value {
    let mut m = serde_json::Map::new();
    if !annotations.as_object().is_none_or(|o| o.is_empty()) {
        m.insert("annotations".into(), annotations);
    }
    m.insert("creationTimestamp".into(), json!(T0));
    if !labels.as_object().is_none_or(|o| o.is_empty()) {
        m.insert("labels".into(), labels);
    }
    m.insert("name".into(), json!(name));
    if let Some(ns) = ns {
        m.insert("namespace".into(), json!(ns));
    }
    m.insert(
        "resourceVersion".into(),
        json!(format!("{}", 100_000 + rng.below(9_000_000))),
    );
    m.insert("uid".into(), json!(uid(rng)));
    Value::Object(m)
}

fn container(
    rng: &mut Rng,
    ns: &NsPlan,
    sa: &SaPlan,
    irsa_arn: Option<&str>,
    podid: bool,
    api_volume: Option<&str>,
) -> Value {
    let mut env = vec![
        json!({"name": "APP_ENV", "value": "production"}),
        json!({"name": "LOG_LEVEL", "value": "info"}),
        json!({"name": "SERVICE_NAME", "value": sa.name}),
    ];
    let mut mounts = vec![json!({"mountPath": "/etc/config", "name": "config", "readOnly": true})];
    if let Some(v) = api_volume {
        mounts.push(json!({"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": v, "readOnly": true}));
    }
    if let Some(arn) = irsa_arn {
        env.push(json!({"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"}));
        env.push(json!({"name": "AWS_DEFAULT_REGION", "value": REGION}));
        env.push(json!({"name": "AWS_REGION", "value": REGION}));
        env.push(json!({"name": "AWS_ROLE_ARN", "value": arn}));
        env.push(json!({"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}));
        mounts.push(json!({"mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount", "name": "aws-iam-token", "readOnly": true}));
    }
    if podid {
        env.push(json!({"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials"}));
        env.push(json!({"name": "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "value": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"}));
    }
    json!({
        "args": ["--port=8080", format!("--team={}", ns.team), "--metrics-addr=:9090"],
        "env": env,
        "image": format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{}/{}:v1.{}.{}", ns.team, sa.name, rng.below(40), rng.below(10)),
        "imagePullPolicy": "IfNotPresent",
        "livenessProbe": {"failureThreshold": 3, "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 10, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1},
        "name": sa.name,
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "resources": {"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": mounts,
    })
}

fn pod_spec(
    rng: &mut Rng,
    ns: &NsPlan,
    sa: &SaPlan,
    irsa_arn: Option<&str>,
    node: Option<String>,
) -> Value {
    // What admission injects (token volumes, IRSA/Pod Identity env, tolerations)
    // is in pods, not in the templates of their controllers.
    let injected = node.is_some();
    let irsa_arn = irsa_arn.filter(|_| injected);
    let podid = injected && sa.podid != PodId::None;
    let api_volume = format!("kube-api-access-{}", rng.hex(5));
    let mut volumes = vec![
        json!({"configMap": {"defaultMode": 420, "name": format!("{}-config", sa.name)}, "name": "config"}),
    ];
    if injected {
        volumes.push(json!({"name": api_volume, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
            {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
        ]}}));
    }
    if irsa_arn.is_some() {
        volumes.push(json!({"name": "aws-iam-token", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}
        ]}}));
    }
    let mut spec = json!({
        "containers": [container(rng, ns, sa, irsa_arn, podid, injected.then_some(api_volume.as_str()))],
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {"fsGroup": 65534, "runAsUser": 65534},
        "serviceAccount": sa.name,
        "serviceAccountName": sa.name,
        "terminationGracePeriodSeconds": 30,
        "volumes": volumes,
    });
    if let (Some(n), Some(o)) = (node, spec.as_object_mut()) {
        o.insert("nodeName".into(), json!(n));
        o.insert("enableServiceLinks".into(), json!(true));
        o.insert("preemptionPolicy".into(), json!("PreemptLowerPriority"));
        o.insert("priority".into(), json!(0));
        o.insert("tolerations".into(), json!([
            {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
        ]));
    }
    spec
}

fn node_name(rng: &mut Rng) -> String {
    format!(
        "ip-10-{}-{}-{}.{REGION}.compute.internal",
        rng.below(256),
        rng.below(256),
        rng.below(256)
    )
}

fn irsa_annotation(ns: &NsPlan, sa: &SaPlan) -> Option<String> {
    let name = irsa_role_name(&ns.name, &sa.name);
    match sa.irsa {
        Irsa::None => None,
        Irsa::OtherAccount => Some(role_arn(OTHER_ACCOUNT, &name)),
        Irsa::InvalidArn => Some(format!("arn:aws:iam:{ACCOUNT}:role/{name}")),
        _ => Some(role_arn(ACCOUNT, &name)),
    }
}

/// All the objects of one namespace, in kubectl's kind order is not needed: one List.
fn namespace_items(
    p: &Plan,
    i: usize,
    emit: &mut dyn FnMut(Value) -> Result<(), String>,
) -> Result<(), String> {
    let ns = &p.namespaces[i];
    let mut rng = Rng::new(p.seed.wrapping_mul(31).wrapping_add(i as u64 + 1));
    let n = ns.name.as_str();
    emit(json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": meta(&mut rng, n, None, json!({"kubernetes.io/metadata.name": n, "team": ns.team}), json!({})),
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}
    }))?;
    // The default service account, sometimes with a role (IRSA-009).
    let default_ann = if ns.default_annotated {
        json!({"eks.amazonaws.com/role-arn": role_arn(ACCOUNT, &irsa_role_name(n, "default"))})
    } else {
        json!({})
    };
    emit(
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(&mut rng, "default", Some(n), json!({}), default_ann)}),
    )?;
    for sa in &ns.sas {
        let arn = irsa_annotation(ns, sa);
        let mut ann = serde_json::Map::new();
        if let Some(a) = &arn {
            ann.insert("eks.amazonaws.com/role-arn".into(), json!(a));
            if rng.pct(30.0) {
                ann.insert(
                    "eks.amazonaws.com/sts-regional-endpoints".into(),
                    json!("true"),
                );
            }
        }
        ann.insert(
            "meta.helm.sh/release-name".into(),
            json!(format!("{}-{}", ns.team, sa.name)),
        );
        ann.insert("meta.helm.sh/release-namespace".into(), json!(n));
        emit(json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": meta(&mut rng, &sa.name, Some(n), json!({"app.kubernetes.io/name": sa.name, "app.kubernetes.io/managed-by": "Helm"}), Value::Object(ann)),
        }))?;
        if sa.pods == 0 {
            continue;
        }
        let labels =
            json!({"app.kubernetes.io/name": sa.name, "app.kubernetes.io/part-of": ns.team});
        let hash = rng.hex(10);
        let dep_name = sa.name.clone();
        let rs_name = format!("{dep_name}-{hash}");
        let valid_arn = arn.as_deref().filter(|_| sa.irsa != Irsa::InvalidArn);
        let template = json!({
            "metadata": {"creationTimestamp": null, "labels": labels},
            "spec": pod_spec(&mut rng, ns, sa, valid_arn, None),
        });
        let replicas = sa.pods;
        emit(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": meta(&mut rng, &dep_name, Some(n), labels.clone(), json!({"deployment.kubernetes.io/revision": "3", "meta.helm.sh/release-name": format!("{}-{}", ns.team, sa.name)})),
            "spec": {
                "progressDeadlineSeconds": 600, "replicas": replicas, "revisionHistoryLimit": 10,
                "selector": {"matchLabels": labels},
                "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
                "template": template,
            },
            "status": {"availableReplicas": replicas, "observedGeneration": 3, "readyReplicas": replicas, "replicas": replicas, "updatedReplicas": replicas,
                "conditions": [
                    {"lastTransitionTime": T0, "lastUpdateTime": T0, "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable", "status": "True", "type": "Available"},
                    {"lastTransitionTime": T0, "lastUpdateTime": T0, "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed."), "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"}
                ]}
        }))?;
        let dep_uid = uid(&mut rng);
        let mut rs_labels = labels.clone();
        if let Some(o) = rs_labels.as_object_mut() {
            o.insert("pod-template-hash".into(), json!(hash));
        }
        let rs_uid = uid(&mut rng);
        emit(json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {
                "annotations": {"deployment.kubernetes.io/desired-replicas": replicas.to_string(), "deployment.kubernetes.io/max-replicas": (replicas + 1).to_string(), "deployment.kubernetes.io/revision": "3"},
                "creationTimestamp": T0, "generation": 1, "labels": rs_labels, "name": rs_name, "namespace": n,
                "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": true, "controller": true, "kind": "Deployment", "name": dep_name, "uid": dep_uid}],
                "resourceVersion": format!("{}", 100_000 + rng.below(9_000_000)), "uid": rs_uid,
            },
            "spec": {"replicas": replicas, "selector": {"matchLabels": rs_labels}, "template": {"metadata": {"creationTimestamp": null, "labels": rs_labels}, "spec": pod_spec(&mut rng, ns, sa, valid_arn, None)}},
            "status": {"availableReplicas": replicas, "fullyLabeledReplicas": replicas, "observedGeneration": 1, "readyReplicas": replicas, "replicas": replicas}
        }))?;
        for _ in 0..sa.pods {
            let pod_name = format!("{rs_name}-{}", rng.hex(5));
            let ip = format!(
                "10.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                rng.below(256)
            );
            let host = format!(
                "10.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                rng.below(256)
            );
            let cid = rng.hex(64);
            emit(json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {
                    "creationTimestamp": T0, "generateName": format!("{rs_name}-"), "labels": rs_labels, "name": pod_name, "namespace": n,
                    "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": true, "controller": true, "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid}],
                    "resourceVersion": format!("{}", 100_000 + rng.below(9_000_000)), "uid": uid(&mut rng),
                },
                "spec": ({ let node = node_name(&mut rng); pod_spec(&mut rng, ns, sa, valid_arn, Some(node)) }),
                "status": {
                    "conditions": [
                        {"lastProbeTime": null, "lastTransitionTime": T0, "status": "True", "type": "PodReadyToStartContainers"},
                        {"lastProbeTime": null, "lastTransitionTime": T0, "status": "True", "type": "Initialized"},
                        {"lastProbeTime": null, "lastTransitionTime": T0, "status": "True", "type": "Ready"},
                        {"lastProbeTime": null, "lastTransitionTime": T0, "status": "True", "type": "ContainersReady"},
                        {"lastProbeTime": null, "lastTransitionTime": T0, "status": "True", "type": "PodScheduled"}
                    ],
                    "containerStatuses": [{
                        "containerID": format!("containerd://{cid}"),
                        "image": format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{}/{}:v1", ns.team, sa.name),
                        "imageID": format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{}/{}@sha256:{}", ns.team, sa.name, rng.hex(64)),
                        "lastState": {}, "name": sa.name, "ready": true, "restartCount": rng.below(3), "started": true,
                        "state": {"running": {"startedAt": T0}}
                    }],
                    "hostIP": host, "hostIPs": [{"ip": host}], "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                    "qosClass": "Burstable", "startTime": T0
                }
            }))?;
        }
    }
    // Namespaced RBAC: a deployer role (create pods/deployments), a reader of
    // secrets, bindings to groups and the namespace's CI account.
    let deployer_rules = json!([
        {"apiGroups": ["apps"], "resources": ["deployments", "replicasets", "statefulsets"], "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
        {"apiGroups": [""], "resources": ["pods", "services", "configmaps"], "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
        {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["*"]},
    ]);
    let mut deployer_rules = deployer_rules;
    if ns.ci_can_exec
        && let Some(a) = deployer_rules.as_array_mut()
    {
        a.push(json!({"apiGroups": [""], "resources": ["pods/exec", "pods/log"], "verbs": ["get", "create"]}));
    }
    emit(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(&mut rng, "deployer", Some(n), json!({}), json!({})), "rules": deployer_rules}),
    )?;
    emit(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(&mut rng, "secret-reader", Some(n), json!({}), json!({})),
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]}),
    )?;
    emit(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(&mut rng, "config-reader", Some(n), json!({}), json!({})),
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}, {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["feature-flags"], "verbs": ["update", "patch"]}]}),
    )?;
    let ci_subject = if ns.deployer_group {
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": format!("{}-deployers", ns.team)})
    } else {
        json!({"kind": "ServiceAccount", "name": "ci-deployer", "namespace": "ci"})
    };
    emit(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(&mut rng, "deployer", Some(n), json!({}), json!({})),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "deployer"}, "subjects": [ci_subject]}),
    )?;
    if let Some(first) = ns.sas.first() {
        emit(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(&mut rng, "secret-reader", Some(n), json!({}), json!({})),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "secret-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": first.name, "namespace": n}]}),
        )?;
        let sub: Vec<Value> = ns
            .sas
            .iter()
            .take(3)
            .map(|s| json!({"kind": "ServiceAccount", "name": s.name, "namespace": n}))
            .collect();
        emit(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(&mut rng, "config-reader", Some(n), json!({}), json!({})),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "config-reader"}, "subjects": sub}),
        )?;
    }
    emit(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(&mut rng, "team-view", Some(n), json!({}), json!({})),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": format!("{}-developers", ns.team)}]}),
    )?;
    if rng.pct(3.0) {
        // A binding to a role nobody created (RBAC-009) and to a removed SA (RBAC-010).
        emit(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(&mut rng, "legacy-operator", Some(n), json!({}), json!({})),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "legacy-operator"},
            "subjects": [{"kind": "ServiceAccount", "name": "legacy-operator", "namespace": n}]}),
        )?;
    }
    if rng.pct(2.0) {
        emit(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(&mut rng, "oncall-admin", Some(n), json!({}), json!({})),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oncall"}]}),
        )?;
    }
    Ok(())
}

/// Cluster-scoped and system objects: kube-system, ci, observability, cluster-wide roles.
fn cluster_items(
    p: &Plan,
    emit: &mut dyn FnMut(Value) -> Result<(), String>,
) -> Result<(), String> {
    let mut rng = Rng::new(p.seed ^ 0xC1);
    for n in [
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "ci",
        "observability",
    ] {
        emit(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": meta(&mut rng, n, None, json!({"kubernetes.io/metadata.name": n}), json!({})),
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}))?;
        emit(
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(&mut rng, "default", Some(n), json!({}), json!({}))}),
        )?;
    }
    let system_sas: &[(&str, &str, Option<&str>)] = &[
        ("kube-system", "aws-node", Some("AmazonEKS_CNI_Policy")),
        (
            "kube-system",
            "ebs-csi-controller-sa",
            Some("AmazonEBSCSIDriverPolicy"),
        ),
        ("kube-system", "aws-load-balancer-controller", None),
        ("kube-system", "cluster-autoscaler", None),
        ("kube-system", "coredns", None),
        ("kube-system", "kube-proxy", None),
        ("ci", "ci-deployer", None),
        ("ci", "argocd-application-controller", None),
        ("observability", "prometheus", None),
        ("observability", "otel-collector", None),
        ("observability", "fluent-bit", None),
    ];
    for (ns, name, _) in system_sas {
        let ann = match *name {
            "aws-node"
            | "ebs-csi-controller-sa"
            | "aws-load-balancer-controller"
            | "cluster-autoscaler"
            | "fluent-bit" => {
                json!({"eks.amazonaws.com/role-arn": role_arn(ACCOUNT, &format!("{CLUSTER}-{name}"))})
            }
            _ => json!({}),
        };
        emit(
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(&mut rng, name, Some(ns), json!({}), ann)}),
        )?;
        let replicas = 2;
        for k in 0..replicas {
            let pname = format!("{name}-{}-{k}", rng.hex(5));
            emit(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pname, "namespace": ns, "creationTimestamp": T0, "labels": {"app": name}, "uid": uid(&mut rng),
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{name}-abc"), "controller": true, "uid": uid(&mut rng)}]},
                "spec": {"serviceAccountName": name, "serviceAccount": name, "nodeName": node_name(&mut rng),
                    "containers": [{"name": name, "image": format!("public.ecr.aws/eks/{name}:v1.0.0"), "args": ["--v=2"]}]},
                "status": {"phase": "Running"}}))?;
        }
        emit(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(&mut rng, name, Some(ns), json!({"app": name}), json!({})),
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": {"serviceAccountName": name, "containers": [{"name": name, "image": format!("public.ecr.aws/eks/{name}:v1.0.0")}]}}}}),
        )?;
    }
    // Cluster-wide roles, some with wildcards, and their bindings.
    let rbac = "rbac.authorization.k8s.io/v1";
    emit(
        json!({"apiVersion": rbac, "kind": "ClusterRole", "metadata": meta(&mut rng, "platform-admin", None, json!({}), json!({})),
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
    )?;
    emit(
        json!({"apiVersion": rbac, "kind": "ClusterRole", "metadata": meta(&mut rng, "argocd-application-controller", None, json!({}), json!({})),
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}]}),
    )?;
    emit(
        json!({"apiVersion": rbac, "kind": "ClusterRole", "metadata": meta(&mut rng, "prometheus", None, json!({}), json!({})),
        "rules": [{"apiGroups": [""], "resources": ["nodes", "nodes/metrics", "services", "endpoints", "pods"], "verbs": ["get", "list", "watch"]},
                  {"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get", "list", "watch"]},
                  {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]}),
    )?;
    emit(
        json!({"apiVersion": rbac, "kind": "ClusterRole", "metadata": meta(&mut rng, "ci-deployer", None, json!({}), json!({})),
        "rules": [{"apiGroups": ["", "apps", "batch"], "resources": ["*"], "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
                  {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create", "update", "patch"]}]}),
    )?;
    emit(
        json!({"apiVersion": rbac, "kind": "ClusterRole", "metadata": meta(&mut rng, "aws-auth-editor", None, json!({}), json!({})),
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["aws-auth"], "verbs": ["get", "update", "patch"]}]}),
    )?;
    emit(
        json!({"apiVersion": rbac, "kind": "ClusterRole", "metadata": meta(&mut rng, "webhook-manager", None, json!({}), json!({})),
        "rules": [{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"], "verbs": ["*"]}]}),
    )?;
    emit(
        json!({"apiVersion": rbac, "kind": "ClusterRole", "metadata": meta(&mut rng, "debugger", None, json!({}), json!({})),
        "rules": [{"apiGroups": [""], "resources": ["pods/exec", "pods/attach", "pods/ephemeralcontainers"], "verbs": ["create", "get"]}, {"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}]}),
    )?;
    let crbs: &[(&str, &str, Value)] = &[
        (
            "platform-admins",
            "platform-admin",
            json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "platform-admins"}]),
        ),
        (
            "argocd-application-controller",
            "argocd-application-controller",
            json!([{"kind": "ServiceAccount", "name": "argocd-application-controller", "namespace": "ci"}]),
        ),
        (
            "prometheus",
            "prometheus",
            json!([{"kind": "ServiceAccount", "name": "prometheus", "namespace": "observability"}]),
        ),
        (
            "ci-deployer",
            "ci-deployer",
            json!([{"kind": "ServiceAccount", "name": "ci-deployer", "namespace": "ci"}]),
        ),
        (
            "aws-auth-editors",
            "aws-auth-editor",
            json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "eks-ops"}]),
        ),
        (
            "webhook-manager",
            "webhook-manager",
            json!([{"kind": "ServiceAccount", "name": "cert-manager", "namespace": "cert-manager"}]),
        ),
        (
            "sre-debug",
            "debugger",
            json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "sre"}]),
        ),
        (
            "everyone-view",
            "view",
            json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}]),
        ),
        (
            "legacy-dashboard",
            "kubernetes-dashboard",
            json!([{"kind": "ServiceAccount", "name": "kubernetes-dashboard", "namespace": "kube-system"}]),
        ),
    ];
    for (name, role, subjects) in crbs {
        emit(
            json!({"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": meta(&mut rng, name, None, json!({}), json!({})),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": subjects}),
        )?;
    }
    Ok(())
}

fn write_kubernetes(out: &Path, p: &Plan) -> Result<(), String> {
    write_top(
        &out.join("kubernetes.json"),
        vec![
            (
                "apiVersion",
                Box::new(|w: &mut Writer| w.value(&json!("v1"))),
            ),
            (
                "items",
                Box::new(|w: &mut Writer| {
                    w.array(|emit| {
                        cluster_items(p, emit)?;
                        for i in 0..p.namespaces.len() {
                            namespace_items(p, i, emit)?;
                        }
                        Ok(())
                    })
                }),
            ),
            ("kind", Box::new(|w: &mut Writer| w.value(&json!("List")))),
            (
                "metadata",
                Box::new(|w: &mut Writer| w.value(&json!({"resourceVersion": ""}))),
            ),
        ],
    )
}

fn write_secrets(out: &Path, p: &Plan) -> Result<(), String> {
    let mut rng = Rng::new(p.seed ^ 0x5EC);
    write_top(
        &out.join("kubernetes-secrets.json"),
        vec![
            (
                "apiVersion",
                Box::new(|w: &mut Writer| w.value(&json!("v1"))),
            ),
            (
                "items",
                Box::new(|w: &mut Writer| {
                    w.array(|emit| {
                        for ns in p.namespaces.iter().filter(|n| n.legacy_secret) {
                            let sa = ns.sas.first().map(|s| s.name.as_str()).unwrap_or("default");
                            emit(json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                                "data": {"ca.crt": "bm90LWEtY2VydA==", "namespace": "bm90LXJlYWw=", "token": "ZmFrZS10b2tlbi1mb3ItYmVuY2htYXJrcw=="},
                                "metadata": ({ let u = uid(&mut rng); meta(&mut rng, &format!("{sa}-token"), Some(&ns.name), json!({}), json!({"kubernetes.io/service-account.name": sa, "kubernetes.io/service-account.uid": u})) })}))?;
                        }
                        Ok(())
                    })
                }),
            ),
            ("kind", Box::new(|w: &mut Writer| w.value(&json!("List")))),
        ],
    )
}

fn write_aws_auth(out: &Path) -> Result<(), String> {
    let map_roles = format!(
        "- rolearn: arn:aws:iam::{ACCOUNT}:role/{CLUSTER}-node\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n\
- rolearn: arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PlatformAdmin_0123456789abcdef\n  username: platform-admin\n  groups:\n  - system:masters\n\
- rolearn: arn:aws:iam::{ACCOUNT}:role/old-ci-runner\n  username: ci\n  groups:\n  - ci-deployers\n\
- rolearn: arn:aws:iam::{ACCOUNT}:role/eks-ops\n  username: eks-ops:{{{{SessionName}}}}\n  groups:\n  - eks-ops\n"
    );
    let map_users = format!(
        "- userarn: arn:aws:iam::{ACCOUNT}:user/alice\n  username: alice\n  groups:\n  - sre\n"
    );
    let v = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "aws-auth", "namespace": "kube-system", "creationTimestamp": T0, "resourceVersion": "1234", "uid": "0b4d6c1e-aaaa-bbbb-cccc-000000000001"},
        "data": {"mapRoles": map_roles, "mapUsers": map_users}});
    write_json(&out.join("kubernetes-aws-auth.json"), &v)
}

fn write_bootstrap(out: &Path, data: &Path) -> Result<(), String> {
    let dir = data.join("k8s-bootstrap-rbac");
    let mut f = BufWriter::new(
        File::create(out.join("kubernetes-bootstrap.yaml")).map_err(|e| e.to_string())?,
    );
    for name in [
        "cluster-roles.yaml",
        "cluster-role-bindings.yaml",
        "controller-roles.yaml",
        "controller-role-bindings.yaml",
        "namespace-roles.yaml",
        "namespace-role-bindings.yaml",
    ] {
        let text = std::fs::read_to_string(dir.join(name))
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))?;
        f.write_all(b"---\n").map_err(|e| e.to_string())?;
        f.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        if !text.ends_with('\n') {
            f.write_all(b"\n").map_err(|e| e.to_string())?;
        }
    }
    f.flush().map_err(|e| e.to_string())
}

fn write_json(path: &Path, v: &Value) -> Result<(), String> {
    let f = BufWriter::new(File::create(path).map_err(|e| format!("{}: {e}", path.display()))?);
    let mut ser = serde_json::Serializer::with_formatter(
        f,
        serde_json::ser::PrettyFormatter::with_indent(b"  "),
    );
    v.serialize(&mut ser).map_err(|e| e.to_string())?;
    let mut f = ser.into_inner();
    f.write_all(b"\n").map_err(|e| e.to_string())?;
    f.flush().map_err(|e| e.to_string())
}

// ---------------------------------------------------------------- iam

const PROFILES: usize = 12;

/// Managed policies attached by permission profile (real AWS documents).
const MANAGED_POOL: &[&str] = &[
    "AmazonS3ReadOnlyAccess",
    "CloudWatchAgentServerPolicy",
    "AmazonDynamoDBReadOnlyAccess",
    "AmazonSQSFullAccess",
    "AWSXRayDaemonWriteAccess",
    "AmazonSNSFullAccess",
    "SecretsManagerReadWrite",
    "AmazonS3FullAccess",
    "AmazonEC2ReadOnlyAccess",
    "AmazonKinesisFullAccess",
    "AmazonSSMReadOnlyAccess",
    "AmazonRDSReadOnlyAccess",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonRoute53FullAccess",
];

/// Managed policies of the unreachable roles (what a real account attaches).
const OTHER_POOL: &[&str] = &[
    "AdministratorAccess",
    "PowerUserAccess",
    "ReadOnlyAccess",
    "AWSLambdaBasicExecutionRole",
    "AmazonEC2RoleforSSM",
    "AmazonSSMManagedInstanceCore",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEKSClusterPolicy",
    "AWSLambdaVPCAccessExecutionRole",
    "AmazonECSTaskExecutionRolePolicy",
    "AWSGlueServiceRole",
    "AmazonEBSCSIDriverPolicy",
    "ViewOnlyAccess",
    "IAMFullAccess",
    "AWSCodeBuildDeveloperAccess",
];

struct Managed {
    docs: BTreeMap<String, Value>,
}

impl Managed {
    fn load(data: &Path) -> Result<Managed, String> {
        let path = data.join("aws-managed-policies.json.gz");
        let f = File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut text = String::new();
        flate2::read::GzDecoder::new(f)
            .read_to_string(&mut text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let docs: BTreeMap<String, Value> =
            serde_json::from_str(&text).map_err(|e| e.to_string())?;
        Ok(Managed { docs })
    }

    fn arn(&self, name: &str) -> Option<String> {
        self.docs
            .get(name)
            .and_then(|p| p.get("Arn"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

fn stmt(effect: &str, actions: &[&str], resources: Vec<String>) -> Value {
    json!({"Effect": effect, "Action": actions, "Resource": resources})
}

/// Inline policy of a workload role, by profile.
fn inline_doc(rng: &mut Rng, ns: &str, sa: &str, profile: usize) -> Value {
    let bucket = format!("{ns}-{}-{}", rng.pick(BUCKET_WORDS), rng.below(100));
    let table = format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{ns}-{sa}");
    let queue = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{ns}-{sa}");
    let secret = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{ns}/{sa}/*");
    let key = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{}", uid(rng));
    let mut st = vec![
        json!({"Sid": "ReadWriteBucket", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": [format!("arn:aws:s3:::{bucket}/*")]}),
        json!({"Sid": "ListBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [format!("arn:aws:s3:::{bucket}")]}),
    ];
    match profile {
        0..=2 => st.push(stmt("Allow", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"], vec![table.clone(), format!("{table}/index/*")])),
        3 | 4 => st.push(stmt("Allow", &["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage", "sqs:GetQueueAttributes"], vec![queue])),
        5 => st.push(stmt("Allow", &["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], vec![secret])),
        6 => st.push(json!({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [key], "Condition": {"StringEquals": {"kms:ViaService": format!("s3.{REGION}.amazonaws.com")}}})),
        7 => st.push(stmt("Allow", &["s3:*"], vec!["*".into()])),
        8 => st.push(stmt("Allow", &["iam:PassRole"], vec!["*".into()])),
        9 => st.push(json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})),
        10 => st.push(stmt("Allow", &["ssm:GetParameter", "ssm:GetParametersByPath"], vec!["*".into()])),
        _ => st.push(json!({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})),
    }
    st.push(json!({"Sid": "DenyUnencrypted", "Effect": "Deny", "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*"), "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}));
    json!({"Version": "2012-10-17", "Statement": st})
}

fn irsa_trust(ns: &str, sa: &str, how: Irsa) -> Value {
    let host = issuer_host();
    let (op, sub) = match how {
        Irsa::WrongNsSub => (
            "StringEquals",
            format!("system:serviceaccount:{ns}-old:{sa}"),
        ),
        Irsa::WildcardSub => ("StringLike", format!("system:serviceaccount:{ns}:*")),
        _ => ("StringEquals", format!("system:serviceaccount:{ns}:{sa}")),
    };
    let mut cond = serde_json::Map::new();
    let mut inner = serde_json::Map::new();
    inner.insert(format!("{host}:sub"), json!(sub));
    if how != Irsa::NoAud {
        if op == "StringEquals" {
            inner.insert(format!("{host}:aud"), json!("sts.amazonaws.com"));
        } else {
            cond.insert(
                "StringEquals".into(),
                json!({format!("{host}:aud"): "sts.amazonaws.com"}),
            );
        }
    }
    cond.insert(op.into(), Value::Object(inner));
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider_arn()}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond}]})
}

fn podid_trust(ns: &str, sa: &str, tag_session: bool, narrowed: bool) -> Value {
    let actions: Vec<&str> = if tag_session {
        vec!["sts:AssumeRole", "sts:TagSession"]
    } else {
        vec!["sts:AssumeRole"]
    };
    let mut s = json!({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": actions});
    if narrowed && let Some(o) = s.as_object_mut() {
        o.insert(
            "Condition".into(),
            json!({"StringEquals": {
                "aws:SourceAccount": ACCOUNT,
                "aws:RequestTag/kubernetes-namespace": ns,
                "aws:RequestTag/kubernetes-service-account": sa,
            }}),
        );
    }
    json!({"Version": "2012-10-17", "Statement": [s]})
}

#[allow(clippy::too_many_arguments)]
fn role(
    rng: &mut Rng,
    path: &str,
    name: &str,
    trust: Value,
    inline: Vec<(String, Value)>,
    attached: &[(String, String)],
    tags: &[(&str, String)],
    last_used: bool,
) -> Value {
    let arn = format!("arn:aws:iam::{ACCOUNT}:role{path}{name}");
    let last = if last_used {
        json!({"LastUsedDate": format!("2026-{:02}-{:02}T{:02}:00:00Z", 1 + rng.below(11), 1 + rng.below(28), rng.below(24)), "Region": REGION})
    } else {
        json!({})
    };
    json!({
        "Path": path, "RoleName": name, "RoleId": format!("AROA{}", rng.hex(17).to_uppercase()), "Arn": arn,
        "CreateDate": format!("2024-{:02}-{:02}T10:00:00Z", 1 + rng.below(12), 1 + rng.below(28)),
        "AssumeRolePolicyDocument": trust,
        "InstanceProfileList": [],
        "RolePolicyList": inline.into_iter().map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": d})).collect::<Vec<_>>(),
        "AttachedManagedPolicies": attached.iter().map(|(n, a)| json!({"PolicyName": n, "PolicyArn": a})).collect::<Vec<_>>(),
        "Tags": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
        "RoleLastUsed": last,
    })
}

fn write_iam(out: &Path, p: &Plan, managed: &Managed) -> Result<(), String> {
    let mut used: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let customer: Vec<String> = (0..40)
        .map(|i| format!("{CLUSTER}-shared-{i:02}"))
        .collect();
    let customer_arn = |n: &str| format!("arn:aws:iam::{ACCOUNT}:policy/{n}");
    let attach =
        |names: &[&str], used: &mut std::collections::BTreeSet<String>| -> Vec<(String, String)> {
            names
                .iter()
                .filter_map(|n| {
                    let a = managed.arn(n)?;
                    used.insert(n.to_string());
                    Some((n.to_string(), a))
                })
                .collect()
        };
    let used_cell = std::cell::RefCell::new(&mut used);
    let roles_body = |w: &mut Writer| -> Result<(), String> {
        w.array(|emit| {
            let mut rng = Rng::new(p.seed ^ 0x1A);
            let mut used = used_cell.borrow_mut();
            // Node, controllers, SSO roles.
            let node_attached = attach(&["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"], &mut used);
            emit(role(&mut rng, "/", &format!("{CLUSTER}-node"), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}), vec![], &node_attached, &[], true))?;
            for ctl in ["aws-node", "ebs-csi-controller-sa", "aws-load-balancer-controller", "cluster-autoscaler", "fluent-bit"] {
                let att = match ctl {
                    "aws-node" => attach(&["AmazonEKS_CNI_Policy"], &mut used),
                    "ebs-csi-controller-sa" => attach(&["AmazonEBSCSIDriverPolicy"], &mut used),
                    "fluent-bit" => attach(&["CloudWatchAgentServerPolicy"], &mut used),
                    _ => vec![],
                };
                let inline = match ctl {
                    "aws-load-balancer-controller" => vec![("alb".to_string(), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:Describe*", "elasticloadbalancing:*", "iam:CreateServiceLinkedRole"], "Resource": "*"}]}))],
                    "cluster-autoscaler" => vec![("autoscaling".to_string(), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup", "autoscaling:Describe*", "ec2:DescribeLaunchTemplateVersions"], "Resource": "*"}]}))],
                    _ => vec![],
                };
                let ns = if ctl == "fluent-bit" { "observability" } else { "kube-system" };
                emit(role(&mut rng, "/", &format!("{CLUSTER}-{ctl}"), irsa_trust(ns, ctl, Irsa::Ok), inline, &att, &[("kubernetes.io/cluster", CLUSTER.to_string())], true))?;
            }
            for (k, ns) in p.namespaces.iter().enumerate() {
                for sa in &ns.sas {
                    let name = irsa_role_name(&ns.name, &sa.name);
                    let attached_names: Vec<&str> = match sa.profile {
                        0 => vec![MANAGED_POOL[rng.below(MANAGED_POOL.len())]],
                        1 | 2 => vec![MANAGED_POOL[rng.below(4)], "CloudWatchAgentServerPolicy"],
                        3 => vec![],
                        _ if rng.pct(0.5) => vec!["AdministratorAccess"],
                        _ => vec![MANAGED_POOL[rng.below(MANAGED_POOL.len())]],
                    };
                    let mut att = attach(&attached_names, &mut used);
                    if rng.pct(20.0) {
                        let c = &customer[rng.below(customer.len())];
                        att.push((c.clone(), customer_arn(c)));
                    }
                    let tags = [("team", ns.team.to_string()), ("kubernetes-namespace", ns.name.clone()), ("managed-by", "terraform".to_string())];
                    match sa.irsa {
                        Irsa::None | Irsa::MissingRole | Irsa::OtherAccount | Irsa::InvalidArn => {}
                        how => {
                            let inline = vec![(format!("{}-access", sa.name), inline_doc(&mut rng, &ns.name, &sa.name, sa.profile))];
                            let used_recently = rng.pct(85.0); emit(role(&mut rng, "/", &name, irsa_trust(&ns.name, &sa.name, how), inline, &att, &tags, used_recently))?;
                        }
                    }
                    match sa.podid {
                        PodId::Ok | PodId::NoTagSession => {
                            let inline = vec![(format!("{}-access", sa.name), inline_doc(&mut rng, &ns.name, &sa.name, sa.profile))];
                            let trust = podid_trust(&ns.name, &sa.name, sa.podid == PodId::Ok, rng.pct(50.0));
                            emit(role(&mut rng, "/", &podid_role_name(&ns.name, &sa.name), trust, inline, &att, &tags, true))?;
                        }
                        _ => {}
                    }
                }
                if ns.default_annotated {
                    let inline = vec![("default-access".to_string(), inline_doc(&mut rng, &ns.name, "default", 0))];
                    emit(role(&mut rng, "/", &irsa_role_name(&ns.name, "default"), irsa_trust(&ns.name, "default", Irsa::Ok), inline, &[], &[], true))?;
                }
                if ns.ghost_role {
                    let inline = vec![("ghost-access".to_string(), inline_doc(&mut rng, &ns.name, "ghost", 1))];
                    emit(role(&mut rng, "/", &format!("eks-{CLUSTER}-{}-retired-{k}", ns.name), irsa_trust(&ns.name, "retired-job", Irsa::Ok), inline, &[], &[], false))?;
                }
            }
            // Roles the cluster cannot reach: services, SSO, other clusters, cross-account.
            for i in 0..p.unreachable_roles {
                let kind = rng.below(10);
                let (path, name, trust) = match kind {
                    0..=2 => ("/service-role/", format!("lambda-{}-{i:05}", rng.pick(TEAMS)), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})),
                    3 | 4 => ("/", format!("ec2-{}-{i:05}", rng.pick(TEAMS)), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})),
                    5 => ("/aws-reserved/sso.amazonaws.com/", format!("AWSReservedSSO_{}_{}", rng.pick(TEAMS), rng.hex(16)), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_{}_DO_NOT_DELETE", rng.hex(16))}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"], "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]})),
                    6 => ("/", format!("cross-account-{}-{i:05}", rng.pick(TEAMS)), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{OTHER_ACCOUNT}:root")}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": rng.hex(12)}}}]})),
                    7 => {
                        let other = format!("oidc.eks.{REGION}.amazonaws.com/id/{}", rng.hex(32).to_uppercase());
                        ("/", format!("eks-other-{}-{i:05}", rng.pick(TEAMS)), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{other}")}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {format!("{other}:sub"): format!("system:serviceaccount:{}:app", rng.pick(TEAMS)), format!("{other}:aud"): "sts.amazonaws.com"}}}]}))
                    }
                    8 => ("/", format!("ecs-task-{}-{i:05}", rng.pick(TEAMS)), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})),
                    _ => ("/", format!("github-actions-{}-{i:05}", rng.pick(TEAMS)), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com")}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": format!("repo:example/{}:*", rng.pick(TEAMS))}, "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]})),
                };
                let mut names: Vec<&str> = vec![OTHER_POOL[rng.below(OTHER_POOL.len())]];
                if rng.pct(40.0) {
                    names.push(OTHER_POOL[rng.below(OTHER_POOL.len())]);
                }
                names.dedup();
                let att = attach(&names, &mut used);
                let inline = if rng.pct(50.0) {
                    vec![("inline".to_string(), { let t = *rng.pick(TEAMS); let pr = rng.below(PROFILES); inline_doc(&mut rng, t, "svc", pr) })]
                } else {
                    vec![]
                };
                let used_recently = rng.pct(70.0); emit(role(&mut rng, path, &name, trust, inline, &att, &[], used_recently))?;
            }
            Ok(())
        })
    };
    let users_body = |w: &mut Writer| -> Result<(), String> {
        w.array(|emit| {
            let mut rng = Rng::new(p.seed ^ 0x05E);
            let mut used = used_cell.borrow_mut();
            for i in 0..60 {
                let name = if i == 0 { "alice".to_string() } else { format!("user-{i:03}") };
                let att = attach(&[OTHER_POOL[rng.below(OTHER_POOL.len())]], &mut used);
                emit(json!({"Path": "/", "UserName": name, "UserId": format!("AIDA{}", rng.hex(17).to_uppercase()), "Arn": format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
                    "CreateDate": "2023-04-01T10:00:00Z", "UserPolicyList": [], "GroupList": [format!("group-{}", i % 8)],
                    "AttachedManagedPolicies": att.iter().map(|(n, a)| json!({"PolicyName": n, "PolicyArn": a})).collect::<Vec<_>>(), "Tags": []}))?;
            }
            Ok(())
        })
    };
    let groups_body = |w: &mut Writer| -> Result<(), String> {
        w.array(|emit| {
            let mut rng = Rng::new(p.seed ^ 0x6A);
            let mut used = used_cell.borrow_mut();
            for i in 0..8 {
                let att = attach(&[OTHER_POOL[rng.below(OTHER_POOL.len())]], &mut used);
                emit(json!({"Path": "/", "GroupName": format!("group-{i}"), "GroupId": format!("AGPA{}", rng.hex(17).to_uppercase()), "Arn": format!("arn:aws:iam::{ACCOUNT}:group/group-{i}"),
                    "CreateDate": "2023-04-01T10:00:00Z", "GroupPolicyList": [],
                    "AttachedManagedPolicies": att.iter().map(|(n, a)| json!({"PolicyName": n, "PolicyArn": a})).collect::<Vec<_>>()}))?;
            }
            Ok(())
        })
    };
    let policies_body = |w: &mut Writer| -> Result<(), String> {
        w.array(|emit| {
            let mut rng = Rng::new(p.seed ^ 0x90);
            let used = used_cell.borrow();
            for name in used.iter() {
                let Some(p) = managed.docs.get(name) else { continue };
                let s = |k: &str| p.get(k).cloned().unwrap_or(Value::Null);
                emit(json!({"PolicyName": name, "PolicyId": format!("ANPA{}", rng.hex(17).to_uppercase()), "Arn": s("Arn"), "Path": s("Path"),
                    "DefaultVersionId": s("DefaultVersionId"), "AttachmentCount": 1 + rng.below(500), "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
                    "CreateDate": "2015-02-06T18:40:00Z", "UpdateDate": "2025-01-10T18:40:00Z",
                    "PolicyVersionList": [{"Document": s("Document"), "VersionId": s("DefaultVersionId"), "IsDefaultVersion": true, "CreateDate": "2025-01-10T18:40:00Z"}]}))?;
            }
            for (i, name) in customer.iter().enumerate() {
                let doc = inline_doc(&mut rng, "shared", &format!("c{i}"), i % PROFILES);
                let old = inline_doc(&mut rng, "shared", &format!("c{i}"), (i + 1) % PROFILES);
                emit(json!({"PolicyName": name, "PolicyId": format!("ANPA{}", rng.hex(17).to_uppercase()), "Arn": customer_arn(name), "Path": "/",
                    "DefaultVersionId": "v2", "AttachmentCount": 3, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
                    "CreateDate": "2024-02-06T18:40:00Z", "UpdateDate": "2025-01-10T18:40:00Z",
                    "PolicyVersionList": [
                        {"Document": doc, "VersionId": "v2", "IsDefaultVersion": true, "CreateDate": "2025-01-10T18:40:00Z"},
                        {"Document": old, "VersionId": "v1", "IsDefaultVersion": false, "CreateDate": "2024-02-06T18:40:00Z"}
                    ]}))?;
            }
            Ok(())
        })
    };
    // Roles, users and groups first: they decide which managed policies are listed.
    write_top(
        &out.join("iam.json"),
        vec![
            ("RoleDetailList", Box::new(roles_body)),
            ("UserDetailList", Box::new(users_body)),
            ("GroupDetailList", Box::new(groups_body)),
            ("Policies", Box::new(policies_body)),
        ],
    )
}

fn write_aws_side(out: &Path, p: &Plan) -> Result<(), String> {
    write_json(
        &out.join("sts-caller-identity.json"),
        &json!({"UserId": "AROAEXAMPLEAUDITOR:auditor", "Account": ACCOUNT, "Arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/auditor/auditor")}),
    )?;
    write_json(
        &out.join("iam-oidc-providers.json"),
        &json!({"OpenIDConnectProviderList": [
            {"Arn": provider_arn(), "Url": issuer_host(), "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"], "CreateDate": "2024-03-01T12:00:00Z"},
            {"Arn": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"), "Url": "token.actions.githubusercontent.com", "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"], "CreateDate": "2024-03-01T12:00:00Z"}
        ]}),
    )?;
    write_json(
        &out.join("eks-cluster.json"),
        &json!({"cluster": {
            "name": CLUSTER, "arn": format!("arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"), "version": "1.33", "status": "ACTIVE",
            "endpoint": format!("https://{OIDC_ID}.gr7.{REGION}.eks.amazonaws.com"), "platformVersion": "eks.9",
            "roleArn": format!("arn:aws:iam::{ACCOUNT}:role/{CLUSTER}-cluster"),
            "identity": {"oidc": {"issuer": format!("https://{}", issuer_host())}},
            "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": false},
            "resourcesVpcConfig": {"endpointPublicAccess": true, "endpointPrivateAccess": true, "publicAccessCidrs": ["203.0.113.0/24"], "subnetIds": ["subnet-0a1b2c3d", "subnet-1a2b3c4d"], "vpcId": "vpc-0123abcd"},
            "logging": {"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": true}, {"types": ["controllerManager", "scheduler"], "enabled": false}]},
        }}),
    )?;
    let mut entries = vec![
        json!({"principalArn": format!("arn:aws:iam::{ACCOUNT}:role/{CLUSTER}-node"), "kubernetesGroups": ["system:nodes"], "type": "EC2_LINUX", "username": "system:node:{{EC2PrivateDNSName}}", "associatedAccessPolicies": []}),
        json!({"principalArn": format!("arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PlatformAdmin_0123456789abcdef"), "kubernetesGroups": [], "type": "STANDARD", "username": "platform-admin",
            "associatedAccessPolicies": [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "accessScope": {"type": "cluster", "namespaces": []}}]}),
    ];
    for (i, ns) in p.namespaces.iter().enumerate().filter(|(i, _)| i % 10 == 0) {
        entries.push(json!({"principalArn": format!("arn:aws:iam::{ACCOUNT}:role/team-{}-{i}", ns.team), "kubernetesGroups": [format!("{}-developers", ns.team)], "type": "STANDARD", "username": format!("team-{}", ns.team),
            "associatedAccessPolicies": [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", "accessScope": {"type": "namespace", "namespaces": [ns.name]}}]}));
    }
    write_json(
        &out.join("eks-access-entries.json"),
        &json!({"accessEntries": entries}),
    )?;
    let mut assoc = Vec::new();
    let mut rng = Rng::new(p.seed ^ 0xA55);
    for ns in &p.namespaces {
        for sa in ns.sas.iter().filter(|s| s.podid != PodId::None) {
            let id = format!("a-{}", rng.hex(17));
            assoc.push(json!({"clusterName": CLUSTER, "namespace": ns.name, "serviceAccount": sa.name,
                "roleArn": role_arn(ACCOUNT, &podid_role_name(&ns.name, &sa.name)),
                "associationArn": format!("arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/{CLUSTER}/{id}"), "associationId": id,
                "tags": {}, "createdAt": T0, "modifiedAt": T0, "disableSessionTags": false}));
        }
        if ns.ghost_assoc {
            let id = format!("a-{}", rng.hex(17));
            assoc.push(json!({"clusterName": CLUSTER, "namespace": ns.name, "serviceAccount": "removed-app",
                "roleArn": role_arn(ACCOUNT, &podid_role_name(&ns.name, APPS[0])),
                "associationArn": format!("arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/{CLUSTER}/{id}"), "associationId": id,
                "tags": {}, "createdAt": T0, "modifiedAt": T0, "disableSessionTags": false}));
        }
    }
    write_json(
        &out.join("eks-pod-identity-associations.json"),
        &json!({"associations": assoc}),
    )
}

// ---------------------------------------------------------------- main

struct Args {
    namespaces: usize,
    sa_per_ns: usize,
    seed: u64,
    unreachable: Option<usize>,
    data: PathBuf,
    out: PathBuf,
}

fn usage() -> String {
    "usage: gen-estate [--namespaces N] [--sa-per-ns M] [--seed S] [--unreachable-roles K] [--data DIR] OUT".to_string()
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        namespaces: 50,
        sa_per_ns: 20,
        seed: 7,
        unreachable: None,
        data: PathBuf::from(
            std::env::var("IAMSCOPE_DATA").unwrap_or_else(|_| "/work/shared/data".into()),
        ),
        out: PathBuf::new(),
    };
    let mut it = std::env::args().skip(1);
    let mut out = None;
    while let Some(arg) = it.next() {
        let mut val = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{}", usage()))
        };
        match arg.as_str() {
            "--namespaces" => {
                a.namespaces = val("--namespaces")?
                    .parse()
                    .map_err(|e| format!("--namespaces: {e}"))?
            }
            "--sa-per-ns" => {
                a.sa_per_ns = val("--sa-per-ns")?
                    .parse()
                    .map_err(|e| format!("--sa-per-ns: {e}"))?
            }
            "--seed" => a.seed = val("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--unreachable-roles" => {
                a.unreachable = Some(
                    val("--unreachable-roles")?
                        .parse()
                        .map_err(|e| format!("--unreachable-roles: {e}"))?,
                )
            }
            "--data" => a.data = PathBuf::from(val("--data")?),
            "-h" | "--help" => return Err(usage()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}\n{}", usage())),
            s => out = Some(PathBuf::from(s)),
        }
    }
    a.out = out.ok_or_else(usage)?;
    Ok(a)
}

fn run() -> Result<(), String> {
    let a = parse_args()?;
    std::fs::create_dir_all(&a.out).map_err(|e| format!("{}: {e}", a.out.display()))?;
    let p = plan(a.seed, a.namespaces, a.sa_per_ns, a.unreachable);
    let managed = Managed::load(&a.data)?;
    write_kubernetes(&a.out, &p)?;
    write_secrets(&a.out, &p)?;
    write_aws_auth(&a.out)?;
    write_bootstrap(&a.out, &a.data)?;
    write_iam(&a.out, &p, &managed)?;
    write_aws_side(&a.out, &p)?;
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("gen-estate: {e}");
        std::process::exit(2);
    }
}
