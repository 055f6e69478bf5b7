//! The rule framework: findings, severities, subjects, and running every family.
//!
//! Each family of `rules.md` lives in its own file as a pure function over the
//! inventory and graph: `pub fn check(ctx: &Context, out: &mut Vec<Finding>)`.

pub mod apiserver;
pub mod auth;
pub mod catalog;
pub mod iam;
pub mod id;
pub mod irsa;
pub mod kubeconfig;
pub mod node;
pub mod path;
pub mod podid;
pub mod rbac;
pub mod review;

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

use crate::graph::{Graph, ParsedTrusts};
use crate::model::Inventory;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One level less severe (a conditional grant); `info` stays `info`.
    pub fn down(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one object a finding is about (what a user would fix), with the keys of `findings.md`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(tag = "kind")]
pub enum Subject {
    ServiceAccount {
        namespace: String,
        name: String,
    },
    User {
        name: String,
    },
    Group {
        name: String,
    },
    Role {
        namespace: String,
        name: String,
    },
    RoleBinding {
        namespace: String,
        name: String,
    },
    Secret {
        namespace: String,
        name: String,
    },
    ClusterRole {
        name: String,
    },
    ClusterRoleBinding {
        name: String,
    },
    IamRole {
        arn: String,
    },
    AwsAuthEntry {
        arn: String,
    },
    AccessEntry {
        arn: String,
    },
    PodIdentityAssociation {
        namespace: String,
        name: String,
        id: String,
    },
    Cluster {
        name: String,
    },
    ApiServer {
        name: String,
    },
    Kubeconfig {
        name: String,
        path: String,
    },
    /// `source`: `eks-nodegroup`, `karpenter` (the EC2NodeClass) or `instances`.
    NodeGroup {
        name: String,
        source: String,
    },
}

impl Subject {
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::ServiceAccount { .. } => "ServiceAccount",
            Subject::User { .. } => "User",
            Subject::Group { .. } => "Group",
            Subject::Role { .. } => "Role",
            Subject::RoleBinding { .. } => "RoleBinding",
            Subject::Secret { .. } => "Secret",
            Subject::ClusterRole { .. } => "ClusterRole",
            Subject::ClusterRoleBinding { .. } => "ClusterRoleBinding",
            Subject::IamRole { .. } => "IamRole",
            Subject::AwsAuthEntry { .. } => "AwsAuthEntry",
            Subject::AccessEntry { .. } => "AccessEntry",
            Subject::PodIdentityAssociation { .. } => "PodIdentityAssociation",
            Subject::Cluster { .. } => "Cluster",
            Subject::ApiServer { .. } => "ApiServer",
            Subject::Kubeconfig { .. } => "Kubeconfig",
            Subject::NodeGroup { .. } => "NodeGroup",
        }
    }

    /// The namespace, for namespaced subjects.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Subject::ServiceAccount { namespace, .. }
            | Subject::Role { namespace, .. }
            | Subject::RoleBinding { namespace, .. }
            | Subject::Secret { namespace, .. }
            | Subject::PodIdentityAssociation { namespace, .. } => Some(namespace),
            _ => None,
        }
    }

    /// A short human name: `payments/api`, an ARN, a user name.
    pub fn display_name(&self) -> String {
        match self {
            Subject::ServiceAccount { namespace, name }
            | Subject::Role { namespace, name }
            | Subject::RoleBinding { namespace, name }
            | Subject::Secret { namespace, name } => format!("{namespace}/{name}"),
            Subject::PodIdentityAssociation {
                namespace,
                name,
                id,
            } => {
                format!("{namespace}/{name} ({id})")
            }
            Subject::User { name }
            | Subject::Group { name }
            | Subject::ClusterRole { name }
            | Subject::ClusterRoleBinding { name }
            | Subject::Cluster { name }
            | Subject::ApiServer { name } => name.clone(),
            Subject::Kubeconfig { name, path } => format!("{name} ({path})"),
            Subject::NodeGroup { name, source } => format!("{name} ({source})"),
            Subject::IamRole { arn }
            | Subject::AwsAuthEntry { arn }
            | Subject::AccessEntry { arn } => arn.clone(),
        }
    }

    /// `IamRole prod-api`, `ServiceAccount ci/jenkins`: the kind and a name that
    /// fits a column (the ARN's last part; the full ARN is in the report).
    pub fn short_label(&self) -> String {
        match self {
            Subject::IamRole { arn }
            | Subject::AwsAuthEntry { arn }
            | Subject::AccessEntry { arn } => {
                format!(
                    "{} {}",
                    self.kind(),
                    arn.rsplit(['/', ':']).next().unwrap_or(arn)
                )
            }
            Subject::PodIdentityAssociation {
                namespace, name, ..
            } => {
                format!("PodIdentity {namespace}/{name}")
            }
            _ => self.label(),
        }
    }

    /// `Kind name`, for titles and evidence.
    pub fn label(&self) -> String {
        format!("{} {}", self.kind(), self.display_name())
    }

    pub fn service_account(namespace: &str, name: &str) -> Subject {
        Subject::ServiceAccount {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    pub fn iam_role(arn: &str) -> Subject {
        Subject::IamRole {
            arn: arn.to_string(),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// The grant depends on a condition (IAM `Condition`); severity already lowered.
    pub conditional: bool,
    pub title: String,
    pub subject: Subject,
    /// At most [`Options::max_related`] subjects (the first in report order when
    /// more are related); `related_total` then counts them all.
    pub related: Vec<Subject>,
    /// How many subjects are related when `related` lists only some of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_total: Option<usize>,
    pub evidence: Vec<String>,
    pub remediation: String,
    /// The finding's stable identity (`docs/findings-id.md`); set by [`run`].
    /// After the fields of `findings.md`, whose order stays as it was.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Against a baseline report (`audit --baseline`): new, unchanged or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<review::BaselineState>,
    /// An accepted risk (`.iamscope.yaml`): why and until when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<review::Suppression>,
}

/// How many related subjects a finding lists by default (`--max-related`).
pub const MAX_RELATED: usize = 20;

/// How many examples an evidence line names before "… and N more".
pub const MAX_EXAMPLES: usize = 5;

/// A bounded list of related subjects: the first `limit` distinct ones in the
/// finding's order (what it rests on first: the role, the bindings; then the
/// service accounts it reaches, by namespace and name), and how many there are
/// in all. Built once and shared by the findings that relate to the same
/// subjects (every IAM finding on a role).
#[derive(Debug, Clone, Default)]
pub struct Related {
    pub list: Vec<Subject>,
    pub total: usize,
}

impl Related {
    /// Distinct subjects in the order given, the first `limit` of them listed;
    /// one pass through a set, whatever their number.
    pub fn of(subjects: impl IntoIterator<Item = Subject>, limit: Option<usize>) -> Related {
        let mut seen = crate::hashing::HashSet::default();
        let mut list: Vec<Subject> = Vec::new();
        let mut total = 0;
        for s in subjects {
            if seen.contains(&s) {
                continue;
            }
            total += 1;
            if limit.is_none_or(|n| list.len() < n) {
                list.push(s.clone());
            }
            seen.insert(s);
        }
        Related { list, total }
    }

    /// From subjects already distinct and in report order (service accounts sorted
    /// by namespace and name), with their count: only the listed ones are built.
    pub fn sorted(
        first: impl Iterator<Item = Subject>,
        total: usize,
        limit: Option<usize>,
    ) -> Related {
        let list: Vec<Subject> = match limit {
            Some(n) => first.take(n).collect(),
            None => first.collect(),
        };
        Related { list, total }
    }
}

impl Finding {
    pub fn new(
        rule: &'static str,
        severity: Severity,
        subject: Subject,
        title: impl Into<String>,
    ) -> Finding {
        Finding {
            id: String::new(),
            rule,
            severity,
            conditional: false,
            title: title.into(),
            subject,
            related: Vec::new(),
            related_total: None,
            evidence: Vec::new(),
            remediation: String::new(),
            baseline_state: None,
            suppressed: None,
        }
    }

    /// Whether the finding counts (summary, `--fail-on`): not an accepted risk,
    /// not a baseline finding that is gone.
    pub fn counts(&self) -> bool {
        self.suppressed.is_none() && self.baseline_state != Some(review::BaselineState::Absent)
    }

    pub fn evidence(mut self, line: impl Into<String>) -> Finding {
        self.evidence.push(line.into());
        self
    }

    /// Add one related subject (once). For a handful only: lists that grow with
    /// the estate go through [`Finding::with_related`].
    pub fn related(mut self, subject: Subject) -> Finding {
        if !self.related.contains(&subject) {
            self.related.push(subject);
        }
        self
    }

    /// Add a bounded list of related subjects after the ones already named.
    pub fn with_related(mut self, r: &Related) -> Finding {
        let before = self.related.len();
        let mut dup = 0;
        if before == 0 {
            self.related.extend(r.list.iter().cloned());
        } else {
            let seen: crate::hashing::HashSet<Subject> = self.related.iter().cloned().collect();
            for s in &r.list {
                if seen.contains(s) {
                    dup += 1;
                } else {
                    self.related.push(s.clone());
                }
            }
        }
        let total = before + r.total - dup;
        self.related_total = (total > self.related.len()).then_some(total);
        self
    }

    pub fn remediation(mut self, text: impl Into<String>) -> Finding {
        self.remediation = text.into();
        self
    }

    /// Mark as conditional and lower the severity one level.
    pub fn conditional(mut self) -> Finding {
        if !self.conditional {
            self.conditional = true;
            self.severity = self.severity.down();
        }
        self
    }

    /// The report order: severity (critical first), then rule, then subject.
    pub fn report_order(a: &Finding, b: &Finding) -> Ordering {
        b.severity
            .cmp(&a.severity)
            .then_with(|| rule_order(a.rule, b.rule))
            .then_with(|| a.subject.cmp(&b.subject))
            .then_with(|| a.title.cmp(&b.title))
    }
}

/// Rule IDs compare by family, then number (`IAM-002` < `IAM-010`).
fn rule_order(a: &str, b: &str) -> Ordering {
    fn split(s: &str) -> (&str, u32) {
        match s.rsplit_once('-') {
            Some((fam, n)) => (fam, n.parse().unwrap_or(u32::MAX)),
            None => (s, u32::MAX),
        }
    }
    let (fa, na) = split(a);
    let (fb, nb) = split(b);
    fa.cmp(fb).then(na.cmp(&nb)).then_with(|| a.cmp(b))
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Report grants made by Kubernetes' own bootstrap bindings too.
    pub include_system: bool,
    /// Report each narrower RBAC rule of a cluster-admin subject as its own
    /// finding, instead of folding them into its RBAC-001 (`--all-rules`).
    pub all_rules: bool,
    /// "Now", for age-based rules (IAM-006); fixed in tests.
    pub now: jiff::Timestamp,
    /// How many related subjects a finding lists (`None`: all of them).
    pub max_related: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            include_system: false,
            all_rules: false,
            now: jiff::Timestamp::now(),
            max_related: Some(MAX_RELATED),
        }
    }
}

/// What every rule sees.
pub struct Context<'a> {
    pub inv: &'a Inventory,
    pub graph: &'a Graph<'a>,
    pub opts: &'a Options,
}

/// Run every family and return the findings in report order.
pub fn run(inv: &Inventory, opts: &Options) -> Vec<Finding> {
    run_with_trusts(inv, &ParsedTrusts::default(), opts)
}

/// [`run`], with the trust policies parsed while the inventory was read
/// (`graph::ReadCheck`), so that they are not parsed again.
pub fn run_with_trusts(inv: &Inventory, trusts: &ParsedTrusts, opts: &Options) -> Vec<Finding> {
    let graph = Graph::build_with_trusts(inv, trusts);
    let ctx = Context {
        inv,
        graph: &graph,
        opts,
    };
    // The families are independent: IAM (the heaviest) runs on a thread of its
    // own while the others run here; the findings are joined in the same order
    // as one after the other, so dedup keeps the same ones.
    let timed = |name: &str, f: &dyn Fn(&mut Vec<Finding>)| {
        let t = std::time::Instant::now();
        let mut v = Vec::new();
        f(&mut v);
        tracing::debug!("{name}: {} findings in {:?}", v.len(), t.elapsed());
        v
    };
    std::thread::scope(|s| {
        let ctx = &ctx;
        let iam = s.spawn(move || timed("IAM", &|v| iam::check(ctx, v)));
        let mut out = Vec::new();
        auth::check(ctx, &mut out);
        apiserver::check(ctx, &mut out);
        kubeconfig::check(ctx, &mut out);
        out.extend(timed("IRSA", &|v| irsa::check(ctx, v)));
        out.extend(timed("PODID", &|v| podid::check(ctx, v)));
        let rbac_out = timed("RBAC", &|v| rbac::check(ctx, v));
        // PATH reads what the IAM rules found about the roles it reaches: what
        // it needs besides is built while they run.
        let t = std::time::Instant::now();
        let path = path::prepare(ctx);
        tracing::debug!("PATH prepared in {:?}", t.elapsed());
        let iam_out = iam
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let worst = path::worst_of(&iam_out);
        // NODE-001 is critical where the node role raises a critical IAM finding.
        out.extend(timed("NODE", &|v| node::check(ctx, &worst, v)));
        out.extend(iam_out);
        out.extend(rbac_out);
        // The rest is de-duplicated and sorted while PATH searches. Only PATH
        // raises PATH-001, so de-duplicating the two apart is the same, and a
        // stable merge of the two sorted lists is the same as sorting both.
        let rest = s.spawn(move || {
            let t = std::time::Instant::now();
            dedup(&mut out);
            out.sort_by(Finding::report_order);
            tracing::debug!(
                "{} findings de-duplicated and sorted in {:?}",
                out.len(),
                t.elapsed()
            );
            out
        });
        let t = std::time::Instant::now();
        let mut path_out = Vec::new();
        if let Some(p) = path {
            path::finish_with(p, &worst, &mut path_out);
        }
        tracing::debug!("PATH: {} findings in {:?}", path_out.len(), t.elapsed());
        dedup(&mut path_out);
        path_out.sort_by(Finding::report_order);
        let rest = rest
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let mut all = merge_sorted(rest, path_out);
        id::assign(&mut all);
        all
    })
}

/// Two lists sorted in report order, merged; on ties `a`'s come first (as a
/// stable sort of `a` followed by `b` would have them).
fn merge_sorted(a: Vec<Finding>, b: Vec<Finding>) -> Vec<Finding> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut b = b.into_iter().peekable();
    for x in a {
        while let Some(y) = b.next_if(|y| Finding::report_order(y, &x) == std::cmp::Ordering::Less)
        {
            out.push(y);
        }
        out.push(x);
    }
    out.extend(b);
    out
}

/// One finding per (rule, subject, title): a family may reach the same fact twice.
fn dedup(out: &mut Vec<Finding>) {
    let keep: Vec<bool> = {
        let mut seen =
            crate::hashing::HashSet::with_capacity_and_hasher(out.len(), Default::default());
        out.iter()
            .map(|f| seen.insert((f.rule, &f.subject, f.title.as_str())))
            .collect()
    };
    let mut keep = keep.into_iter();
    out.retain(|_| keep.next().unwrap_or(true));
}

/// Counts by severity, for the summary.
pub fn summary(findings: &[Finding]) -> [(Severity, usize); 5] {
    let mut counts = Severity::ALL.map(|s| (s, 0usize));
    for f in findings.iter().filter(|f| f.counts()) {
        for c in counts.iter_mut() {
            if c.0 == f.severity {
                c.1 += 1;
            }
        }
    }
    counts
}
