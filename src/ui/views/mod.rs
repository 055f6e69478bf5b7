//! View-models: (inventory, findings) → rows and detail text. Pure: no
//! terminal types here, so every view is unit-testable and cheap to rebuild.
//!
//! One idea a file: one view's table a file (`findings`, `service_accounts`,
//! `subjects`, `roles`, `access`, `apiserver`, `coverage`), `related` (the
//! drill-down table of a node), `detail` (a node's detail text), `copy` (what
//! is copied, and the path from the cluster to a node). This file holds the
//! model, the view kinds, nodes, rows and tables. Views never import ratatui
//! or crossterm (only `ui::draw` does) and never read sources
//! (ARCHITECTURE.md).

use crate::audit::{Finding, Severity, Subject};
use crate::hashing::HashMap;
use crate::model::{Inventory, Status};

mod access;
mod apiserver;
mod copy;
mod coverage;
mod detail;
mod findings;
mod related;
mod roles;
mod service_accounts;
mod subjects;

use access::*;
use apiserver::*;
pub use copy::*;
use coverage::*;
pub use detail::*;
use findings::*;
pub use related::*;
use roles::*;
use service_accounts::*;
use subjects::*;

/// What the UI shows: the inventory and the findings made on it.
pub struct Model {
    pub inv: std::sync::Arc<Inventory>,
    /// The trust policies parsed while the inventory was read (empty when it
    /// was built otherwise), for every graph built of it.
    pub trusts: crate::graph::ParsedTrusts,
    pub findings: Vec<Finding>,
    pub include_system: bool,
    /// Findings by subject, and the worst severity per subject.
    by_subject: HashMap<Subject, Vec<usize>>,
    /// Findings that name a subject in `related` (an IAM role in an IRSA finding).
    by_related: HashMap<Subject, Vec<usize>>,
    /// Every (service account, IAM role) link and whether it works, with indexes
    /// by role and by account, computed on first use.
    links: std::sync::OnceLock<Links>,
    /// The RBAC engine the detail panes ask, built once (not per pane: at a
    /// large estate a build takes tens of milliseconds, a frame's budget).
    rbac: std::sync::OnceLock<RbacCell>,
}

type Engine<'a> = crate::policy::rbac::RbacEngine<'a>;

self_cell::self_cell!(
    /// The RBAC engine with the inventory it borrows.
    struct RbacCell {
        owner: std::sync::Arc<Inventory>,
        #[covariant]
        dependent: Engine,
    }
);

/// The role links and where each role's and each account's are: a role that
/// every account can assume is one entry, and no pane scans every link.
#[derive(Default)]
struct Links {
    all: crate::graph::reach::RoleLinks,
    /// By lowercase role ARN, in link order.
    by_role: HashMap<String, Vec<usize>>,
    /// By (namespace, service account), in link order.
    by_sa: HashMap<(String, String), Vec<usize>>,
    /// Every service account by namespace and name (indices into the inventory).
    sorted: Vec<usize>,
}

/// One (service account, IAM role) pair as a pane shows it.
#[derive(Debug, Clone, Copy)]
pub struct LinkView<'a> {
    pub namespace: &'a str,
    pub service_account: &'a str,
    pub role_arn: &'a str,
    pub via: crate::graph::reach::Via,
    pub works: bool,
}

impl<'a> From<&'a crate::graph::reach::RoleLink> for LinkView<'a> {
    fn from(l: &'a crate::graph::reach::RoleLink) -> LinkView<'a> {
        LinkView {
            namespace: &l.namespace,
            service_account: &l.service_account,
            role_arn: &l.role_arn,
            via: l.via,
            works: l.works,
        }
    }
}

impl Model {
    pub fn new(
        inv: impl Into<std::sync::Arc<Inventory>>,
        findings: Vec<Finding>,
        include_system: bool,
    ) -> Model {
        let inv = inv.into();
        let mut by_subject: HashMap<Subject, Vec<usize>> = HashMap::default();
        let mut by_related: HashMap<Subject, Vec<usize>> = HashMap::default();
        for (i, f) in findings.iter().enumerate() {
            by_subject.entry(f.subject.clone()).or_default().push(i);
            for r in &f.related {
                by_related.entry(r.clone()).or_default().push(i);
            }
        }
        Model {
            inv,
            trusts: crate::graph::ParsedTrusts::default(),
            findings,
            include_system,
            by_subject,
            by_related,
            links: std::sync::OnceLock::new(),
            rbac: std::sync::OnceLock::new(),
        }
    }

    /// The model, with the trust policies parsed while its inventory was read.
    pub fn with_trusts(mut self, trusts: crate::graph::ParsedTrusts) -> Model {
        self.trusts = trusts;
        self
    }

    fn links(&self) -> &Links {
        self.links.get_or_init(|| {
            let graph = crate::graph::Graph::build_with_trusts(&self.inv, &self.trusts);
            let all = crate::graph::reach::role_links(&self.inv, &graph);
            let mut by_role: HashMap<String, Vec<usize>> = HashMap::default();
            let mut by_sa: HashMap<(String, String), Vec<usize>> = HashMap::default();
            for (i, l) in all.links.iter().enumerate() {
                by_role
                    .entry(l.role_arn.to_ascii_lowercase())
                    .or_default()
                    .push(i);
                by_sa
                    .entry((l.namespace.clone(), l.service_account.clone()))
                    .or_default()
                    .push(i);
            }
            let sas = &self.inv.service_accounts;
            let mut sorted: Vec<usize> = (0..sas.len()).collect();
            sorted.sort_unstable_by(|&a, &b| {
                (&sas[a].namespace, &sas[a].name).cmp(&(&sas[b].namespace, &sas[b].name))
            });
            Links {
                all,
                by_role,
                by_sa,
                sorted,
            }
        })
    }

    /// Compute the role links and the RBAC engine now (the UI's loader does,
    /// off the UI thread).
    pub fn prepare_links(&self) {
        self.links();
        self.rbac();
    }

    /// The RBAC engine of this inventory (bootstrap grants as `include_system` says).
    pub fn rbac(&self) -> &crate::policy::rbac::RbacEngine<'_> {
        self.rbac
            .get_or_init(|| {
                RbacCell::new(std::sync::Arc::clone(&self.inv), |inv| {
                    crate::policy::rbac::RbacEngine::build(inv, self.include_system)
                })
            })
            .borrow_dependent()
    }

    /// Which service accounts can obtain which roles, and whether the trust
    /// admits them, except the roles every account obtains ([`Model::everyone_roles`]).
    pub fn role_links(&self) -> &[crate::graph::reach::RoleLink] {
        &self.links().all.links
    }

    /// The roles whose trust admits every service account of the cluster.
    pub fn everyone_roles(&self) -> &[String] {
        &self.links().all.everyone
    }

    /// The links to one role (any letter case of its ARN): for a role every
    /// account obtains, every account by namespace and name, then its Pod
    /// Identity links.
    pub fn links_to_role<'s>(&'s self, arn: &'s str) -> Vec<LinkView<'s>> {
        let l = self.links();
        let key = arn.to_ascii_lowercase();
        let explicit = l
            .by_role
            .get(&key)
            .into_iter()
            .flatten()
            .map(|&i| &l.all.links[i]);
        if !l.all.is_everyones(arn) {
            return explicit.map(LinkView::from).collect();
        }
        let role_arn = l
            .all
            .everyone
            .iter()
            .find(|e| e.eq_ignore_ascii_case(arn))
            .map_or(arn, String::as_str);
        let sas = &self.inv.service_accounts;
        l.sorted
            .iter()
            .map(|&i| LinkView {
                namespace: &sas[i].namespace,
                service_account: &sas[i].name,
                role_arn,
                via: crate::graph::reach::Via::Irsa,
                works: true,
            })
            .chain(
                explicit
                    .filter(|x| x.via != crate::graph::reach::Via::Irsa)
                    .map(LinkView::from),
            )
            .collect()
    }

    /// The links from one service account, then the roles every account obtains.
    pub fn links_of_account<'s>(&'s self, ns: &'s str, name: &'s str) -> Vec<LinkView<'s>> {
        let l = self.links();
        let mut out: Vec<LinkView> = l
            .by_sa
            .get(&(ns.to_string(), name.to_string()))
            .into_iter()
            .flatten()
            .map(|&i| LinkView::from(&l.all.links[i]))
            .collect();
        let exists = self
            .inv
            .service_accounts
            .iter()
            .any(|s| s.namespace == ns && s.name == name);
        if exists {
            for e in &l.all.everyone {
                let listed = out.iter().any(|x| {
                    x.via == crate::graph::reach::Via::Irsa && x.role_arn.eq_ignore_ascii_case(e)
                });
                if !listed {
                    out.push(LinkView {
                        namespace: ns,
                        service_account: name,
                        role_arn: e,
                        via: crate::graph::reach::Via::Irsa,
                        works: true,
                    });
                }
            }
        }
        out
    }

    pub fn findings_on(&self, s: &Subject) -> &[usize] {
        self.by_subject.get(s).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn findings_related(&self, s: &Subject) -> &[usize] {
        self.by_related.get(s).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn worst(&self, s: &Subject) -> Option<Severity> {
        self.findings_on(s)
            .iter()
            .map(|&i| self.findings[i].severity)
            .max()
    }

    pub fn cluster(&self) -> String {
        self.inv
            .cluster
            .as_ref()
            .map(|c| c.name.clone())
            .or_else(|| self.inv.cluster_name.clone())
            .unwrap_or_else(|| "-".into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewKind {
    Findings,
    ServiceAccounts,
    Subjects,
    IamRoles,
    ClusterAccess,
    ApiServer,
    Coverage,
    Nodes,
}

impl ViewKind {
    pub const ALL: [ViewKind; 8] = [
        ViewKind::Findings,
        ViewKind::ServiceAccounts,
        ViewKind::Subjects,
        ViewKind::IamRoles,
        ViewKind::ClusterAccess,
        ViewKind::ApiServer,
        ViewKind::Coverage,
        ViewKind::Nodes,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ViewKind::Findings => "Findings",
            ViewKind::ServiceAccounts => "Service accounts",
            ViewKind::Subjects => "Subjects",
            ViewKind::IamRoles => "IAM roles",
            ViewKind::ClusterAccess => "Cluster access",
            ViewKind::ApiServer => "API server",
            ViewKind::Coverage => "Coverage",
            ViewKind::Nodes => "Nodes",
        }
    }

    /// For narrow terminals.
    pub fn short_title(self) -> &'static str {
        match self {
            ViewKind::Findings => "Findings",
            ViewKind::ServiceAccounts => "SAs",
            ViewKind::Subjects => "Subjects",
            ViewKind::IamRoles => "Roles",
            ViewKind::ClusterAccess => "Access",
            ViewKind::ApiServer => "API",
            ViewKind::Coverage => "Coverage",
            ViewKind::Nodes => "Nodes",
        }
    }

    /// `:` command names, k9s style: the first is canonical.
    pub fn commands(self) -> &'static [&'static str] {
        match self {
            ViewKind::Findings => &["findings", "f", "fi"],
            ViewKind::ServiceAccounts => &["sa", "serviceaccounts", "serviceaccount"],
            ViewKind::Subjects => &["subjects", "subj", "rbac", "who"],
            ViewKind::IamRoles => &["roles", "iam", "role"],
            ViewKind::ClusterAccess => &["auth", "access", "awsauth"],
            ViewKind::ApiServer => &["api", "apiserver"],
            ViewKind::Coverage => &["coverage", "cov"],
            ViewKind::Nodes => &["nodes", "node", "no", "imds"],
        }
    }

    pub fn from_command(cmd: &str) -> Option<ViewKind> {
        let cmd = cmd.trim().to_ascii_lowercase();
        ViewKind::ALL
            .into_iter()
            .find(|v| v.commands().contains(&cmd.as_str()))
    }
}

/// Something a row stands for; Enter opens its neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    Finding(usize),
    ServiceAccount {
        namespace: String,
        name: String,
    },
    /// A User, Group or ServiceAccount as RBAC names it.
    Subject {
        kind: String,
        name: String,
        namespace: Option<String>,
    },
    IamRole(String),
    /// The service accounts an IAM role's trust admits without an IRSA
    /// annotation naming it, when there are many: one row in the role's
    /// table, the list one Enter away.
    AdmittedBy(String),
    Policy(String),
    AwsAuth(usize),
    AccessEntry(usize),
    Binding(usize),
    RbacRole(usize),
    Pod(usize),
    Association(usize),
    Source(usize),
    Flag(usize),
    Cluster,
    /// A kubeconfig context (`:ctx`); Enter switches to it.
    Context(String),
    Info(String),
    /// A row of a question's answer (`query_view`).
    Query(super::query_view::Ref),
}

#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<String>,
    pub severity: Option<Severity>,
    pub node: Node,
    pub namespace: Option<String>,
    /// Rule IDs attached to the row, for `rule:` filters.
    pub rules: Vec<&'static str>,
    /// Lower-cased text of all cells, for plain filters: made when a filter
    /// first reads it (a table of 50,000 rows is opened far more often than
    /// filtered), or set by whoever builds the row.
    pub haystack: std::sync::OnceLock<String>,
    /// A finding new against `--baseline`, for the `new` filter term.
    pub new: bool,
}

impl Row {
    pub(crate) fn new(cells: Vec<String>, node: Node) -> Row {
        Row {
            cells,
            severity: None,
            node,
            namespace: None,
            rules: Vec::new(),
            haystack: std::sync::OnceLock::new(),
            new: false,
        }
    }

    /// The lower-cased text a plain filter searches.
    pub fn haystack(&self) -> &str {
        self.haystack
            .get_or_init(|| self.cells.join(" ").to_lowercase())
    }

    pub(crate) fn sev(mut self, s: Option<Severity>) -> Row {
        self.severity = s;
        self
    }

    fn ns(mut self, ns: Option<&str>) -> Row {
        self.namespace = ns.map(str::to_string);
        self
    }

    fn rules(mut self, m: &Model, idx: &[usize]) -> Row {
        self.rules = idx.iter().map(|&i| m.findings[i].rule).collect();
        self
    }
}

/// A column's width: fixed cells, or a share of what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Fixed(u16),
    Fill(u16),
}

pub struct Table {
    pub title: String,
    pub headers: Vec<&'static str>,
    pub widths: Vec<Col>,
    pub rows: Vec<Row>,
    /// Shown when there are no rows: why (never a silent empty list).
    pub empty: String,
}

fn count_label(m: &Model, idx: &[usize]) -> String {
    if idx.is_empty() {
        return String::new();
    }
    let worst = idx
        .iter()
        .map(|&i| m.findings[i].severity)
        .max()
        .unwrap_or(Severity::Info);
    format!("{} ({worst})", idx.len())
}

/// Why a list may be empty, from coverage.
fn gap(m: &Model, sources: &[&str]) -> String {
    let gaps: Vec<String> = sources
        .iter()
        .filter_map(|s| m.inv.coverage.status(s))
        .filter(|s| s.status != Status::Ok)
        .map(|s| {
            format!(
                "{} {}{}",
                s.source,
                s.status.as_str(),
                s.detail
                    .as_ref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if gaps.is_empty() {
        "none in this cluster".to_string()
    } else {
        format!("not seen: {}", gaps.join("; "))
    }
}

pub fn table(kind: ViewKind, m: &Model) -> Table {
    match kind {
        ViewKind::Findings => findings_table(m, (0..m.findings.len()).collect(), "Findings".into()),
        ViewKind::ServiceAccounts => service_accounts(m),
        ViewKind::Subjects => subjects(m),
        ViewKind::IamRoles => iam_roles(m),
        ViewKind::ClusterAccess => cluster_access(m),
        ViewKind::ApiServer => api_server(m),
        ViewKind::Coverage => coverage(m),
        ViewKind::Nodes => super::nodes::nodes(m),
    }
}

/// `arn:aws:iam::1:role/a/b` → `b (1)`; anything else as is.
pub fn short_arn(arn: &str) -> String {
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        [_, _, _, _, account, resource] => {
            let name = resource.rsplit('/').next().unwrap_or(resource);
            format!("{name} ({account})")
        }
        _ => arn.to_string(),
    }
}

fn subject_node(kind: &str, name: &str, namespace: Option<&str>) -> Node {
    Node::Subject {
        kind: kind.to_string(),
        name: name.to_string(),
        namespace: if kind == "ServiceAccount" {
            namespace.map(str::to_string)
        } else {
            None
        },
    }
}

fn subject_of(kind: &str, name: &str, namespace: Option<&str>) -> Subject {
    match kind {
        "ServiceAccount" => Subject::service_account(namespace.unwrap_or(""), name),
        "Group" => Subject::Group {
            name: name.to_string(),
        },
        _ => Subject::User {
            name: name.to_string(),
        },
    }
}
