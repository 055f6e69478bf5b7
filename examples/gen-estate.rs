//! Generate a realistic, deterministic snapshot directory of a large estate,
//! for benchmarks: `cargo run --release --example gen-estate -- --namespaces 300 --sa-per-ns 30 OUT`.
//!
//! `--preset real` (the default) writes the shapes real accounts have (issue 13);
//! `--preset classic` writes what this generator wrote before it, byte for byte
//! the same files for the same flags and seed. Sizes: small `--namespaces 50
//! --sa-per-ns 20`, medium `--namespaces 300 --sa-per-ns 30`, large
//! `--namespaces 1000 --sa-per-ns 50` (BENCHMARKS.md gives the counts).
//!
//! What both presets write (the files of `spec/snapshot.md`):
//! - `kubernetes.json`: namespaces, service accounts (about half with an IRSA
//!   annotation), a Deployment + ReplicaSet + pods (≈2 per SA) per used SA,
//!   namespaced Roles/RoleBindings, cluster-wide roles with wildcards;
//! - `kubernetes-bootstrap.yaml`: the real bootstrap RBAC of `shared/data/k8s-bootstrap-rbac`;
//! - `kubernetes-aws-auth.json`, `kubernetes-secrets.json` (legacy tokens; their data is fake);
//! - `iam.json`: the IRSA and Pod Identity roles (a few percent broken in each
//!   way the IRSA/PODID rules know), thousands of roles the cluster cannot
//!   reach, users, groups, and the AWS managed policies attached (real
//!   documents from `shared/data/aws-managed-policies.json.gz`, or `--data DIR`,
//!   or `$IAMSCOPE_DATA`) plus customer managed ones, with `PolicyVersionList`;
//! - `iam-oidc-providers.json`, `eks-cluster.json`, `eks-access-entries.json`,
//!   `eks-pod-identity-associations.json`, `sts-caller-identity.json`.
//!
//! What `real` adds or changes (each count scales with the number of service
//! accounts, `total` = namespaces × sa-per-ns):
//! - 65 % of service accounts annotated (classic: 50 %), 2 % of the used ones
//!   running a big Deployment (5–15 pods);
//! - shared roles: three team patterns (`StringLike`
//!   `system:serviceaccount:<team>-*:*`, three of the 24 teams), three app
//!   patterns (`system:serviceaccount:*:<app>` and `…:*:<app>-*`, three of the
//!   20 apps), and `max(1, total / 2500)` exact `sub` lists (`StringEquals`,
//!   the accounts annotated with it). Three in four of the accounts a pattern
//!   matches are annotated with it (accounts that had no role get one), one
//!   sound account in ten elsewhere joins an exact list (skewed towards the
//!   first lists): hundreds of accounts per shared role at medium, a thousand
//!   or more per pattern at large;
//! - broad roles, `max(4, total / 300)` (a few dozen at medium), kinds in turn:
//!   `StringLike` `sub` `system:serviceaccount:*:*`, no `sub` condition at all
//!   (only `aud`), and (half of them) `system:serviceaccount:<ns>:*` for a
//!   namespace whose sound accounts use it at 60 %; the cluster-wide ones are
//!   annotated on 1–8 accounts anywhere;
//! - every workload, shared, broad and unreachable role attaches 1–5 AWS
//!   managed policies drawn uniformly over the whole attachable corpus (every
//!   path but `/aws-service-role/`), AdministratorAccess on 1 role in 200;
//! - inline policies with 1–3 more statements: Deny with `NotAction` outside
//!   the home regions (`aws:RequestedRegion`), Deny on `aws:SecureTransport`
//!   false, `IpAddress` `aws:SourceIp`, `ArnLike` `aws:SourceArn`, tag
//!   conditions (`aws:ResourceTag/team`, `${aws:PrincipalTag/team}`), `NotResource`
//!   in Allow and Deny, a regional `dynamodb:*`, a Deny of IAM writes;
//! - a permissions boundary on about one role in six (three customer managed
//!   boundaries, listed in `Policies`, or PowerUserAccess);
//! - a ClusterRole `pod-exec` (get pods, create `pods/exec`/`attach`/`portforward`)
//!   bound cluster-wide to four groups and a user, the groups mapped from IAM
//!   roles (aws-auth for one, access entries for the others, the roles in
//!   `iam.json`); in 45 % of namespaces a RoleBinding giving the team's
//!   `<team>-oncall` group (and in some a `<team>-lead` user) the same, and in
//!   10 % `edit` to `support-l1`; on-call groups mapped from `team-oncall-<team>`
//!   roles by access entries, leads from IAM users in aws-auth;
//! - `2000 + total / 25` unreachable roles by default (classic: `max(1000, total / 3)`).
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
    /// Which role its annotation names (always its own in the classic preset).
    role: SaRole,
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

/// Which role a service account's IRSA annotation names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SaRole {
    /// `eks-<cluster>-<ns>-<sa>`, trusted for that account alone (or broken as `irsa` says).
    Own,
    /// One of `Plan::shared`: a role annotated on hundreds of accounts.
    Shared(usize),
    /// One of `Plan::broad`: a role whose trust admits every account, or a whole namespace.
    Broad(usize),
}

/// The shape of the estate: `classic` (what the generator wrote until issue 13)
/// or `real` (the shapes real accounts have: shared and broad trusts, the whole
/// managed-policy corpus, boundaries, exec granted widely).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Preset {
    Classic,
    Real,
}

/// How a shared role's trust names the accounts that use it.
#[derive(Clone, PartialEq, Eq, Debug)]
enum SharedKind {
    /// `StringEquals` on `sub` with the exact list of its accounts.
    ExactList,
    /// `StringLike` `system:serviceaccount:<team>-*:*`: every account of a team's namespaces.
    Team(&'static str),
    /// `StringLike` `system:serviceaccount:*:<app>` and `…:*:<app>-*`: one app in every namespace.
    App(&'static str),
}

struct SharedRole {
    name: String,
    kind: SharedKind,
    /// The accounts annotated with it, `(namespace index, account index)`.
    members: Vec<(usize, usize)>,
}

/// How a broad role's trust admits accounts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BroadKind {
    /// `StringLike` `sub`: `system:serviceaccount:*:*`.
    AnySa,
    /// Only an `aud` condition, no `sub` at all.
    NoSub,
    /// `StringLike` `sub`: `system:serviceaccount:<ns>:*` (namespace index).
    Namespace(usize),
}

struct BroadRole {
    name: String,
    kind: BroadKind,
    members: usize,
}

struct Plan {
    seed: u64,
    preset: Preset,
    namespaces: Vec<NsPlan>,
    unreachable_roles: usize,
    /// Real preset only: roles annotated on many accounts, and roles trusting too broadly.
    shared: Vec<SharedRole>,
    broad: Vec<BroadRole>,
}

impl Plan {
    fn real(&self) -> bool {
        self.preset == Preset::Real
    }
}

fn plan(
    seed: u64,
    preset: Preset,
    n_ns: usize,
    sa_per_ns: usize,
    unreachable: Option<usize>,
) -> Plan {
    let real = preset == Preset::Real;
    // Draws that the classic preset does not make come from their own stream,
    // so that the classic plan is the one it always was.
    let mut extra = Rng::new(seed ^ 0x7EA1_E57A_7E00_0013);
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
            let irsa = if rng.pct(if real { 65.0 } else { 50.0 }) {
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
            let mut pods = if rng.pct(4.0) {
                0
            } else {
                // ≈2.2 pods per SA on average.
                match rng.below(10) {
                    0..=1 => 1,
                    2..=7 => 2,
                    _ => 3 + rng.below(2),
                }
            };
            if real && pods > 0 && extra.pct(2.0) {
                // A few big deployments.
                pods = 5 + extra.below(11);
            }
            sas.push(SaPlan {
                name: sa_name,
                irsa,
                role: SaRole::Own,
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
    let (shared, broad) = if real {
        share_roles(&mut extra, &mut namespaces)
    } else {
        (Vec::new(), Vec::new())
    };
    let unreachable_default = if real {
        2000 + total / 25
    } else {
        (total / 3).max(1000)
    };
    Plan {
        seed,
        preset,
        namespaces,
        unreachable_roles: unreachable.unwrap_or(unreachable_default),
        shared,
        broad,
    }
}

/// Real preset: move some annotated accounts onto shared roles (hundreds of
/// accounts each) and onto roles whose trust admits every account of the
/// cluster or of a namespace. Only accounts whose own role would have been
/// sound (`Irsa::Ok`) move; their own role is then not created.
fn share_roles(rng: &mut Rng, namespaces: &mut [NsPlan]) -> (Vec<SharedRole>, Vec<BroadRole>) {
    let total: usize = namespaces.iter().map(|n| n.sas.len()).sum();
    // Shared roles: three team patterns and three app patterns (each matches
    // a fixed share of the estate: hundreds of accounts at medium, thousands
    // at large), and one exact list per ~2,500 accounts.
    let mut teams: Vec<&'static str> = TEAMS.to_vec();
    let mut apps: Vec<&'static str> = APPS.to_vec();
    shuffle(rng, &mut teams);
    shuffle(rng, &mut apps);
    let n_exact = (total / 2500).max(1);
    let kinds = teams
        .iter()
        .take(3)
        .map(|t| SharedKind::Team(t))
        .chain(apps.iter().take(3).map(|a| SharedKind::App(a)))
        .chain((0..n_exact).map(|_| SharedKind::ExactList));
    let mut shared: Vec<SharedRole> = kinds
        .enumerate()
        .map(|(k, kind)| {
            let name = match &kind {
                SharedKind::Team(t) => format!("eks-{CLUSTER}-team-{t}"),
                SharedKind::App(a) => format!("eks-{CLUSTER}-app-{a}"),
                SharedKind::ExactList => format!("eks-{CLUSTER}-shared-{k:03}"),
            };
            SharedRole {
                name,
                kind,
                members: Vec::new(),
            }
        })
        .collect();
    let exact: Vec<usize> = (0..shared.len())
        .filter(|&k| shared[k].kind == SharedKind::ExactList)
        .collect();
    // Broad roles: one per ~300 accounts, at least 4 (a few dozen at medium).
    let n_broad = (total / 300).max(4);
    let mut ns_order: Vec<usize> = (0..namespaces.len()).collect();
    shuffle(rng, &mut ns_order);
    let mut broad: Vec<BroadRole> = (0..n_broad)
        .map(|k| {
            let kind = match k % 4 {
                0 => BroadKind::AnySa,
                1 => BroadKind::NoSub,
                _ => BroadKind::Namespace(ns_order[k % ns_order.len().max(1)]),
            };
            let name = match kind {
                BroadKind::AnySa => format!("eks-{CLUSTER}-any-sa-{k:03}"),
                BroadKind::NoSub => format!("eks-{CLUSTER}-platform-{k:03}"),
                BroadKind::Namespace(i) => {
                    format!("eks-{CLUSTER}-{}-all-{k:03}", namespaces[i].name)
                }
            };
            BroadRole {
                name,
                kind,
                members: 0,
            }
        })
        .collect();
    // Namespace-wide roles take most sound accounts of their namespace.
    for (b, role) in broad.iter_mut().enumerate() {
        if let BroadKind::Namespace(i) = role.kind {
            for sa in namespaces[i].sas.iter_mut() {
                if sa.irsa == Irsa::Ok && sa.role == SaRole::Own && rng.pct(60.0) {
                    sa.role = SaRole::Broad(b);
                    role.members += 1;
                }
            }
        }
    }
    // Cluster-wide ones: a handful of accounts anywhere.
    for (b, role) in broad.iter_mut().enumerate() {
        if matches!(role.kind, BroadKind::AnySa | BroadKind::NoSub) {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(namespaces.len());
                let j = rng.below(namespaces[i].sas.len());
                let sa = &mut namespaces[i].sas[j];
                if sa.irsa == Irsa::Ok && sa.role == SaRole::Own {
                    sa.role = SaRole::Broad(b);
                    role.members += 1;
                }
            }
        }
    }
    // Shared roles: team and app patterns take three in four of the accounts
    // they match (a team's charts annotate them all, also those that had no
    // role); exact lists one sound account in ten, the first lists more than the last.
    for (i, ns) in namespaces.iter_mut().enumerate() {
        for (j, sa) in ns.sas.iter_mut().enumerate() {
            let unannotated = sa.irsa == Irsa::None && sa.podid == PodId::None;
            if !(sa.irsa == Irsa::Ok || unannotated) || sa.role != SaRole::Own {
                continue;
            }
            let base = sa.name.split('-').next().unwrap_or("");
            let pattern = shared.iter().position(|r| match r.kind {
                SharedKind::Team(t) => t == ns.team,
                SharedKind::App(a) => a == base,
                SharedKind::ExactList => false,
            });
            let k = match pattern {
                Some(k) if rng.pct(75.0) => Some(k),
                _ if unannotated => None,
                _ if !exact.is_empty() && rng.pct(10.0) => {
                    let skew = rng.below(exact.len()) + 1;
                    Some(exact[rng.below(skew)])
                }
                _ => None,
            };
            if let Some(k) = k {
                sa.irsa = Irsa::Ok;
                sa.role = SaRole::Shared(k);
                shared[k].members.push((i, j));
            }
        }
    }
    (shared, broad)
}

fn shuffle<T>(rng: &mut Rng, xs: &mut [T]) {
    for i in (1..xs.len()).rev() {
        let j = rng.below(i + 1);
        xs.swap(i, j);
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

fn irsa_annotation(p: &Plan, ns: &NsPlan, sa: &SaPlan) -> Option<String> {
    let name = match sa.role {
        SaRole::Own => irsa_role_name(&ns.name, &sa.name),
        SaRole::Shared(k) => p.shared[k].name.clone(),
        SaRole::Broad(k) => p.broad[k].name.clone(),
    };
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
        let arn = irsa_annotation(p, ns, sa);
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
    if p.real() {
        // Exec into the namespace's pods for the team's on-call group (mapped
        // from an IAM role by an access entry) and, in some, a team lead's user.
        if rng.pct(45.0) {
            let mut subjects = vec![
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": format!("{}-oncall", ns.team)}),
            ];
            if rng.pct(30.0) {
                subjects.push(json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": format!("{}-lead", ns.team)}));
            }
            emit(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(&mut rng, "oncall-exec", Some(n), json!({}), json!({})),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": POD_EXEC}, "subjects": subjects}),
            )?;
        }
        if rng.pct(10.0) {
            emit(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(&mut rng, "support-exec", Some(n), json!({}), json!({})),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "support-l1"}]}),
            )?;
        }
    }
    Ok(())
}

/// Real preset: the ClusterRole that on-call and support groups are bound to,
/// cluster-wide or namespace by namespace.
const POD_EXEC: &str = "pod-exec";

/// Real preset: the SSO role mapped (access entry) to the group bound to `edit` in some namespaces.
const SUPPORT_L1: &str = "AWSReservedSSO_SupportL1_4c2a9e7b1d0f3a65";

/// The teams that own at least one namespace, in order of first appearance.
fn plan_teams(p: &Plan) -> Vec<&'static str> {
    let mut teams: Vec<&'static str> = Vec::new();
    for ns in &p.namespaces {
        if !teams.contains(&ns.team) {
            teams.push(ns.team);
        }
    }
    teams
}

/// Real preset: the groups bound cluster-wide to `POD_EXEC`, and the IAM role
/// each is mapped from (`aws-auth` for the first, access entries for the rest).
const EXEC_GROUPS: &[(&str, &str)] = &[
    ("oncall-engineers", "eks-oncall"),
    ("support-l2", "AWSReservedSSO_SupportL2_7d1e0a9c4b3f2e18"),
    ("platform-debuggers", "platform-debug"),
    ("sre-readonly-exec", "AWSReservedSSO_SRE_2b8f6c0d9e1a4735"),
];

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
    if p.real() {
        emit(
            json!({"apiVersion": rbac, "kind": "ClusterRole", "metadata": meta(&mut rng, POD_EXEC, None, json!({}), json!({})),
            "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
                      {"apiGroups": [""], "resources": ["pods/exec", "pods/attach", "pods/portforward"], "verbs": ["create", "get"]},
                      {"apiGroups": ["apps"], "resources": ["deployments", "replicasets", "statefulsets", "daemonsets"], "verbs": ["get", "list", "watch"]}]}),
        )?;
        for (group, _) in EXEC_GROUPS {
            emit(
                json!({"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": meta(&mut rng, &format!("{group}-exec"), None, json!({}), json!({})),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": POD_EXEC},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}]}),
            )?;
        }
        // A user bound directly, as break-glass accounts often are.
        emit(
            json!({"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": meta(&mut rng, "break-glass-exec", None, json!({}), json!({})),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": POD_EXEC},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "break-glass"}]}),
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

fn write_aws_auth(out: &Path, p: &Plan) -> Result<(), String> {
    let mut map_roles = format!(
        "- rolearn: arn:aws:iam::{ACCOUNT}:role/{CLUSTER}-node\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n\
- rolearn: arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PlatformAdmin_0123456789abcdef\n  username: platform-admin\n  groups:\n  - system:masters\n\
- rolearn: arn:aws:iam::{ACCOUNT}:role/old-ci-runner\n  username: ci\n  groups:\n  - ci-deployers\n\
- rolearn: arn:aws:iam::{ACCOUNT}:role/eks-ops\n  username: eks-ops:{{{{SessionName}}}}\n  groups:\n  - eks-ops\n"
    );
    let mut map_users = format!(
        "- userarn: arn:aws:iam::{ACCOUNT}:user/alice\n  username: alice\n  groups:\n  - sre\n"
    );
    if p.real() {
        let (group, role) = EXEC_GROUPS[0];
        map_roles.push_str(&format!(
            "- rolearn: arn:aws:iam::{ACCOUNT}:role/{role}\n  username: oncall:{{{{SessionName}}}}\n  groups:\n  - {group}\n"
        ));
        map_users.push_str(&format!(
            "- userarn: arn:aws:iam::{ACCOUNT}:user/user-001\n  username: break-glass\n  groups:\n  - {}\n",
            EXEC_GROUPS[2].0
        ));
        for (i, team) in TEAMS.iter().enumerate().take(8) {
            map_users.push_str(&format!(
                "- userarn: arn:aws:iam::{ACCOUNT}:user/user-{:03}\n  username: {team}-lead\n  groups:\n  - {team}-developers\n",
                10 + i
            ));
        }
    }
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
    /// Real preset: the names a customer role can attach (every path but
    /// `/aws-service-role/`, whose policies AWS attaches to service-linked roles only).
    attachable: Vec<String>,
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
        let attachable = docs
            .iter()
            .filter(|(_, p)| p.get("Path").and_then(Value::as_str) != Some("/aws-service-role/"))
            .map(|(n, _)| n.clone())
            .collect();
        Ok(Managed { docs, attachable })
    }

    /// Real preset: 1–5 managed policies drawn uniformly over the whole
    /// attachable corpus (1: 35 %, 2: 30 %, 3: 20 %, 4: 10 %, 5: 5 %), and
    /// AdministratorAccess on one role in 200 besides.
    fn random(&self, rng: &mut Rng) -> Vec<&str> {
        let n = match rng.below(100) {
            0..=34 => 1,
            35..=64 => 2,
            65..=84 => 3,
            85..=94 => 4,
            _ => 5,
        };
        let mut names: Vec<&str> = Vec::with_capacity(n + 1);
        for _ in 0..n {
            let name = self.attachable[rng.below(self.attachable.len())].as_str();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        if rng.pct(0.5) && !names.contains(&"AdministratorAccess") {
            names.push("AdministratorAccess");
        }
        names
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

/// Real preset: a workload's inline policy, `inline_doc`'s statements and
/// 1–3 of the shapes real policies have: Deny with conditions, NotAction,
/// NotResource, region, transport, source IP, source ARN and tag conditions.
fn inline_doc_real(rng: &mut Rng, team: &str, ns: &str, sa: &str, profile: usize) -> Value {
    let mut doc = inline_doc(rng, ns, sa, profile);
    let bucket = format!("arn:aws:s3:::{ns}-{}", rng.pick(BUCKET_WORDS));
    let mut extra = Vec::new();
    for _ in 0..1 + rng.below(3) {
        extra.push(match rng.below(10) {
            0 => json!({"Sid": "DenyOutsideRegions", "Effect": "Deny",
                "NotAction": ["iam:*", "sts:*", "organizations:*", "route53:*", "cloudfront:*", "support:*", "budgets:*"], "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": [REGION, "eu-central-1"]}}}),
            1 => json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Action": "s3:*",
                "Resource": [bucket.clone(), format!("{bucket}/*")], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
            2 => json!({"Sid": "InvokeFromOffice", "Effect": "Allow", "Action": ["execute-api:Invoke", "execute-api:ManageConnections"],
                "Resource": format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:*/prod/*"),
                "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}}}),
            3 => json!({"Sid": "PublishFromBucketEvents", "Effect": "Allow", "Action": ["sns:Publish", "sqs:SendMessage"],
                "Resource": [format!("arn:aws:sns:{REGION}:{ACCOUNT}:{ns}-*"), format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{ns}-*")],
                "Condition": {"ArnLike": {"aws:SourceArn": format!("arn:aws:s3:::{ns}-*")}}}),
            4 => json!({"Sid": "TeamTaggedInstances", "Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances"],
                "Resource": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:instance/*"),
                "Condition": {"StringEquals": {"aws:ResourceTag/team": team}}}),
            5 => json!({"Sid": "TeamParameters", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                "Resource": "*", "Condition": {"StringEquals": {"ssm:resourceTag/team": "${aws:PrincipalTag/team}"}}}),
            6 => json!({"Sid": "DenyOtherBuckets", "Effect": "Deny", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "NotResource": [format!("{bucket}/*"), format!("arn:aws:s3:::{ns}-shared/*")]}),
            7 => json!({"Sid": "AllSecretsButProd", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "NotResource": format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/*")}),
            8 => json!({"Sid": "RegionalDynamo", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}}}),
            _ => json!({"Sid": "DenyIamWrites", "Effect": "Deny",
                "Action": ["iam:Create*", "iam:Delete*", "iam:Put*", "iam:Attach*", "iam:Update*", "iam:PassRole"], "Resource": "*",
                "Condition": {"StringNotLike": {"aws:PrincipalArn": format!("arn:aws:iam::{ACCOUNT}:role/platform-*")}}}),
        });
    }
    if let Some(st) = doc.get_mut("Statement").and_then(Value::as_array_mut) {
        st.extend(extra);
    }
    doc
}

/// Real preset: the customer managed policies used as permissions boundaries.
fn boundary_docs() -> Vec<(String, Value)> {
    vec![
        (
            format!("{CLUSTER}-boundary-workload"),
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "Workloads", "Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "sqs:*", "sns:*", "kinesis:*", "kms:Decrypt", "kms:GenerateDataKey",
                    "secretsmanager:GetSecretValue", "ssm:GetParameter*", "logs:*", "cloudwatch:PutMetricData", "xray:Put*", "execute-api:Invoke", "ec2:Describe*"], "Resource": "*"},
                {"Sid": "NoIdentityChanges", "Effect": "Deny", "Action": ["iam:*", "organizations:*", "account:*", "sts:AssumeRole"], "Resource": "*"}
            ]}),
        ),
        (
            format!("{CLUSTER}-boundary-no-iam"),
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "AllButIdentity", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
                {"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
                {"Sid": "HomeRegion", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "route53:*", "cloudfront:*", "support:*"], "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": [REGION]}}}
            ]}),
        ),
        (
            format!("{CLUSTER}-boundary-data"),
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:PutObject", "athena:*", "glue:Get*", "dynamodb:Query", "dynamodb:GetItem", "kms:Decrypt"], "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
                {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::data-*", "arn:aws:s3:::data-*/*"]}
            ]}),
        ),
    ]
}

/// Real preset: a trust for this cluster's provider with the given `sub`
/// condition (`None`: no `sub` at all, only `aud`).
fn provider_trust(op: &str, sub: Option<Value>) -> Value {
    let host = issuer_host();
    let mut cond = serde_json::Map::new();
    cond.insert(
        "StringEquals".into(),
        json!({format!("{host}:aud"): "sts.amazonaws.com"}),
    );
    if let Some(sub) = sub {
        let entry = cond.entry(op.to_string()).or_insert_with(|| json!({}));
        if let Some(o) = entry.as_object_mut() {
            o.insert(format!("{host}:sub"), sub);
        }
    }
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider_arn()}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond}]})
}

/// A trust for people: the SSO SAML provider, or the account with MFA.
fn people_trust(rng: &mut Rng, sso: bool) -> Value {
    if sso {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_{}_DO_NOT_DELETE", rng.hex(16))}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"], "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]})
    } else {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})
    }
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
    let real = p.real();
    // Real preset: boundaries (customer managed, and one AWS managed) and how many roles use each.
    let boundaries = if real { boundary_docs() } else { Vec::new() };
    let boundary_uses: std::cell::RefCell<BTreeMap<String, usize>> = Default::default();
    let roles_body = |w: &mut Writer| -> Result<(), String> {
        w.array(|emit| {
            let mut rng = Rng::new(p.seed ^ 0x1A);
            let mut used = used_cell.borrow_mut();
            let mut uses = boundary_uses.borrow_mut();
            // Real preset: a permissions boundary on about one workload role in six.
            let mut bounded = |rng: &mut Rng, used: &mut std::collections::BTreeSet<String>, mut role: Value| -> Value {
                if !real || !rng.pct(16.0) {
                    return role;
                }
                let (name, arn) = if rng.pct(20.0) {
                    used.insert("PowerUserAccess".to_string());
                    ("PowerUserAccess".to_string(), managed.arn("PowerUserAccess").unwrap_or_default())
                } else {
                    let n = boundaries[rng.below(boundaries.len())].0.clone();
                    let a = customer_arn(&n);
                    (n, a)
                };
                *uses.entry(name).or_default() += 1;
                if let Some(o) = role.as_object_mut() {
                    o.insert("PermissionsBoundary".into(), json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}));
                }
                role
            };
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
                    let attached_names: Vec<&str> = if real {
                        managed.random(&mut rng)
                    } else {
                        match sa.profile {
                            0 => vec![MANAGED_POOL[rng.below(MANAGED_POOL.len())]],
                            1 | 2 => vec![MANAGED_POOL[rng.below(4)], "CloudWatchAgentServerPolicy"],
                            3 => vec![],
                            _ if rng.pct(0.5) => vec!["AdministratorAccess"],
                            _ => vec![MANAGED_POOL[rng.below(MANAGED_POOL.len())]],
                        }
                    };
                    let mut att = attach(&attached_names, &mut used);
                    if rng.pct(20.0) {
                        let c = &customer[rng.below(customer.len())];
                        att.push((c.clone(), customer_arn(c)));
                    }
                    let tags = [("team", ns.team.to_string()), ("kubernetes-namespace", ns.name.clone()), ("managed-by", "terraform".to_string())];
                    let doc = |rng: &mut Rng| if real { inline_doc_real(rng, ns.team, &ns.name, &sa.name, sa.profile) } else { inline_doc(rng, &ns.name, &sa.name, sa.profile) };
                    match sa.irsa {
                        Irsa::None | Irsa::MissingRole | Irsa::OtherAccount | Irsa::InvalidArn => {}
                        // Its annotation names a shared or broad role, written below.
                        _ if sa.role != SaRole::Own => {}
                        how => {
                            let inline = vec![(format!("{}-access", sa.name), doc(&mut rng))];
                            let used_recently = rng.pct(85.0);
                            let r = role(&mut rng, "/", &name, irsa_trust(&ns.name, &sa.name, how), inline, &att, &tags, used_recently);
                            emit(bounded(&mut rng, &mut used, r))?;
                        }
                    }
                    match sa.podid {
                        PodId::Ok | PodId::NoTagSession => {
                            let inline = vec![(format!("{}-access", sa.name), doc(&mut rng))];
                            let trust = podid_trust(&ns.name, &sa.name, sa.podid == PodId::Ok, rng.pct(50.0));
                            let r = role(&mut rng, "/", &podid_role_name(&ns.name, &sa.name), trust, inline, &att, &tags, true);
                            emit(bounded(&mut rng, &mut used, r))?;
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
            if real {
                // Roles annotated on hundreds of accounts.
                for r in &p.shared {
                    let sub = match r.kind {
                        SharedKind::ExactList => ("StringEquals", json!(r.members.iter().map(|&(i, j)| format!("system:serviceaccount:{}:{}", p.namespaces[i].name, p.namespaces[i].sas[j].name)).collect::<Vec<_>>())),
                        SharedKind::Team(t) => ("StringLike", json!(format!("system:serviceaccount:{t}-*:*"))),
                        SharedKind::App(a) => ("StringLike", json!([format!("system:serviceaccount:*:{a}"), format!("system:serviceaccount:*:{a}-*")])),
                    };
                    let names = managed.random(&mut rng);
                    let att = attach(&names, &mut used);
                    let (team, scope) = match r.kind {
                        SharedKind::Team(t) => (t, t.to_string()),
                        _ => ("platform", "shared".to_string()),
                    };
                    let pr = rng.below(PROFILES);
                    let inline = vec![("workload-access".to_string(), inline_doc_real(&mut rng, team, &scope, &r.name, pr))];
                    let tags = [("team", team.to_string()), ("managed-by", "terraform".to_string()), ("shared", "true".to_string())];
                    let rl = role(&mut rng, "/", &r.name, provider_trust(sub.0, Some(sub.1)), inline, &att, &tags, true);
                    emit(bounded(&mut rng, &mut used, rl))?;
                }
                // Roles whose trust admits every account of the cluster, or of a namespace.
                for r in &p.broad {
                    let trust = match r.kind {
                        BroadKind::AnySa => provider_trust("StringLike", Some(json!("system:serviceaccount:*:*"))),
                        BroadKind::NoSub => provider_trust("StringEquals", None),
                        BroadKind::Namespace(i) => provider_trust("StringLike", Some(json!(format!("system:serviceaccount:{}:*", p.namespaces[i].name)))),
                    };
                    let (team, scope) = match r.kind {
                        BroadKind::Namespace(i) => (p.namespaces[i].team, p.namespaces[i].name.clone()),
                        _ => ("platform", "platform".to_string()),
                    };
                    let names = managed.random(&mut rng);
                    let mut att = attach(&names, &mut used);
                    if rng.pct(20.0) {
                        let c = &customer[rng.below(customer.len())];
                        att.push((c.clone(), customer_arn(c)));
                    }
                    let pr = rng.below(PROFILES);
                    let inline = vec![("access".to_string(), inline_doc_real(&mut rng, team, &scope, &r.name, pr))];
                    let tags = [("team", team.to_string()), ("managed-by", "terraform".to_string())];
                    let used_recently = rng.pct(80.0);
                    let rl = role(&mut rng, "/", &r.name, trust, inline, &att, &tags, used_recently);
                    emit(bounded(&mut rng, &mut used, rl))?;
                }
                // The roles people come into the cluster with (aws-auth, access entries).
                let sso = "/aws-reserved/sso.amazonaws.com/";
                for (k, (_, name)) in EXEC_GROUPS.iter().enumerate() {
                    let is_sso = name.starts_with("AWSReservedSSO_");
                    let att = attach(&[if k % 2 == 0 { "ReadOnlyAccess" } else { "ViewOnlyAccess" }], &mut used);
                    let trust = people_trust(&mut rng, is_sso);
                    emit(role(&mut rng, if is_sso { sso } else { "/" }, name, trust, vec![], &att, &[], true))?;
                }
                let trust = people_trust(&mut rng, true);
                let att = attach(&["ViewOnlyAccess"], &mut used);
                emit(role(&mut rng, sso, SUPPORT_L1, trust, vec![], &att, &[], true))?;
                for team in plan_teams(p) {
                    let trust = people_trust(&mut rng, false);
                    let att = attach(&["ReadOnlyAccess"], &mut used);
                    let pr = rng.below(PROFILES);
                    let inline = vec![("oncall".to_string(), inline_doc_real(&mut rng, team, team, "oncall", pr))];
                    emit(role(&mut rng, "/", &format!("team-oncall-{team}"), trust, inline, &att, &[("team", team.to_string())], true))?;
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
                let names: Vec<&str> = if real {
                    managed.random(&mut rng)
                } else {
                    let mut names: Vec<&str> = vec![OTHER_POOL[rng.below(OTHER_POOL.len())]];
                    if rng.pct(40.0) {
                        names.push(OTHER_POOL[rng.below(OTHER_POOL.len())]);
                    }
                    names.dedup();
                    names
                };
                let att = attach(&names, &mut used);
                let inline = if rng.pct(50.0) {
                    vec![("inline".to_string(), {
                        let t = *rng.pick(TEAMS);
                        let pr = rng.below(PROFILES);
                        if real { inline_doc_real(&mut rng, t, t, "svc", pr) } else { inline_doc(&mut rng, t, "svc", pr) }
                    })]
                } else {
                    vec![]
                };
                let used_recently = rng.pct(70.0);
                let r = role(&mut rng, path, &name, trust, inline, &att, &[], used_recently);
                emit(bounded(&mut rng, &mut used, r))?;
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
            let uses = boundary_uses.borrow();
            for name in used.iter() {
                let Some(p) = managed.docs.get(name) else { continue };
                let s = |k: &str| p.get(k).cloned().unwrap_or(Value::Null);
                emit(json!({"PolicyName": name, "PolicyId": format!("ANPA{}", rng.hex(17).to_uppercase()), "Arn": s("Arn"), "Path": s("Path"),
                    "DefaultVersionId": s("DefaultVersionId"), "AttachmentCount": 1 + rng.below(500), "PermissionsBoundaryUsageCount": uses.get(name).copied().unwrap_or(0), "IsAttachable": true,
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
            for (name, doc) in &boundaries {
                emit(json!({"PolicyName": name, "PolicyId": format!("ANPA{}", rng.hex(17).to_uppercase()), "Arn": customer_arn(name), "Path": "/",
                    "DefaultVersionId": "v1", "AttachmentCount": 0, "PermissionsBoundaryUsageCount": uses.get(name).copied().unwrap_or(0), "IsAttachable": true,
                    "CreateDate": "2024-05-14T08:00:00Z", "UpdateDate": "2024-05-14T08:00:00Z",
                    "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2024-05-14T08:00:00Z"}]}))?;
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
    if p.real() {
        let sso = "aws-reserved/sso.amazonaws.com/";
        for (group, role) in EXEC_GROUPS.iter().skip(1) {
            let path = if role.starts_with("AWSReservedSSO_") {
                sso
            } else {
                ""
            };
            entries.push(json!({"principalArn": format!("arn:aws:iam::{ACCOUNT}:role/{path}{role}"), "kubernetesGroups": [group], "type": "STANDARD", "username": format!("{group}:{{{{SessionName}}}}"), "associatedAccessPolicies": []}));
        }
        entries.push(json!({"principalArn": format!("arn:aws:iam::{ACCOUNT}:role/{sso}{SUPPORT_L1}"), "kubernetesGroups": ["support-l1"], "type": "STANDARD", "username": "support-l1:{{SessionName}}", "associatedAccessPolicies": []}));
        for team in plan_teams(p) {
            entries.push(json!({"principalArn": format!("arn:aws:iam::{ACCOUNT}:role/team-oncall-{team}"), "kubernetesGroups": [format!("{team}-oncall")], "type": "STANDARD", "username": format!("{team}-oncall:{{{{SessionName}}}}"),
                "associatedAccessPolicies": []}));
        }
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
    preset: Preset,
    namespaces: usize,
    sa_per_ns: usize,
    seed: u64,
    unreachable: Option<usize>,
    data: PathBuf,
    out: PathBuf,
}

fn usage() -> String {
    "usage: gen-estate [--preset real|classic] [--namespaces N] [--sa-per-ns M] [--seed S] [--unreachable-roles K] [--data DIR] OUT".to_string()
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        preset: Preset::Real,
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
            "--preset" => {
                a.preset = match val("--preset")?.as_str() {
                    "real" => Preset::Real,
                    "classic" => Preset::Classic,
                    s => {
                        return Err(format!(
                            "--preset: {s}: expected real or classic\n{}",
                            usage()
                        ));
                    }
                }
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
    let p = plan(a.seed, a.preset, a.namespaces, a.sa_per_ns, a.unreachable);
    let managed = Managed::load(&a.data)?;
    write_kubernetes(&a.out, &p)?;
    write_secrets(&a.out, &p)?;
    write_aws_auth(&a.out, &p)?;
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
