//! View-models: (inventory, findings) → rows and detail text. Pure: no
//! terminal types here, so every view is unit-testable and cheap to rebuild.

use crate::hashing::HashMap;

use crate::audit::{Finding, Severity, Subject};
use crate::model::{Inventory, Status};

/// What the UI shows: the inventory and the findings made on it.
pub struct Model {
    pub inv: std::sync::Arc<Inventory>,
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
            findings,
            include_system,
            by_subject,
            by_related,
            links: std::sync::OnceLock::new(),
            rbac: std::sync::OnceLock::new(),
        }
    }

    fn links(&self) -> &Links {
        self.links.get_or_init(|| {
            let graph = crate::graph::Graph::build(&self.inv);
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

fn findings_table(m: &Model, idx: Vec<usize>, title: String) -> Table {
    let rows = idx
        .into_iter()
        .map(|i| {
            let f = &m.findings[i];
            let sev = if f.conditional {
                format!("{}*", f.severity)
            } else {
                f.severity.to_string()
            };
            // Marked against --baseline (the `new` filter term) and when accepted.
            let new = f.baseline_state == Some(crate::audit::review::BaselineState::New);
            let title = match (f.baseline_state, &f.suppressed) {
                (Some(crate::audit::review::BaselineState::New), _) => format!("NEW · {}", f.title),
                // In the baseline, gone now (listed last).
                (Some(crate::audit::review::BaselineState::Absent), _) => {
                    format!("GONE · {}", f.title)
                }
                (_, Some(_)) => format!("{} (accepted)", f.title),
                _ => f.title.clone(),
            };
            let mut row = Row::new(
                vec![sev, f.rule.to_string(), f.subject.short_label(), title],
                Node::Finding(i),
            );
            row.new = new;
            row.sev(Some(f.severity))
                .ns(f.subject.namespace())
                .rules(m, &[i])
        })
        .collect();
    Table {
        title,
        headers: vec!["SEVERITY", "RULE", "SUBJECT", "TITLE"],
        widths: vec![Col::Fixed(9), Col::Fixed(9), Col::Fill(40), Col::Fill(60)],
        rows,
        empty: "no findings".into(),
    }
}

/// The IAM roles a service account uses: its annotation and its Pod Identity associations.
fn sa_roles(m: &Model, ns: &str, name: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if let Some(sa) = m
        .inv
        .service_accounts
        .iter()
        .find(|s| s.namespace == ns && s.name == name)
        && let Some(a) = sa.irsa_annotation()
    {
        out.push((a.to_string(), "IRSA"));
    }
    for a in &m.inv.pod_identity_associations {
        if a.namespace == ns && a.service_account == name {
            out.push((a.role_arn.clone(), "Pod Identity"));
        }
    }
    out
}

fn service_accounts(m: &Model) -> Table {
    let mut pods: HashMap<(&str, &str), usize> = HashMap::default();
    for p in &m.inv.pods {
        *pods
            .entry((p.namespace.as_str(), p.service_account.as_str()))
            .or_default() += 1;
    }
    // Pod Identity associations by service account: one pass, not one per row.
    let mut associations: HashMap<(&str, &str), Vec<&str>> = HashMap::default();
    for a in &m.inv.pod_identity_associations {
        associations
            .entry((a.namespace.as_str(), a.service_account.as_str()))
            .or_default()
            .push(a.role_arn.as_str());
    }
    let rows = m
        .inv
        .service_accounts
        .iter()
        .map(|sa| {
            let subj = Subject::service_account(&sa.namespace, &sa.name);
            let idx = m.findings_on(&subj);
            // As `sa_roles`: the annotation, then the associations in inventory order.
            let roles: Vec<(&str, &str)> = sa
                .irsa_annotation()
                .map(|a| (a, "IRSA"))
                .into_iter()
                .chain(
                    associations
                        .get(&(sa.namespace.as_str(), sa.name.as_str()))
                        .into_iter()
                        .flatten()
                        .map(|r| (*r, "Pod Identity")),
                )
                .collect();
            let role = roles
                .iter()
                .map(|(r, _)| short_arn(r))
                .collect::<Vec<_>>()
                .join(", ");
            let via = roles.iter().map(|(_, v)| *v).collect::<Vec<_>>().join(", ");
            Row::new(
                vec![
                    sa.namespace.clone(),
                    sa.name.clone(),
                    role,
                    via,
                    pods.get(&(sa.namespace.as_str(), sa.name.as_str()))
                        .copied()
                        .unwrap_or(0)
                        .to_string(),
                    count_label(m, idx),
                ],
                Node::ServiceAccount {
                    namespace: sa.namespace.clone(),
                    name: sa.name.clone(),
                },
            )
            .sev(m.worst(&subj))
            .ns(Some(&sa.namespace))
            .rules(m, idx)
        })
        .collect();
    Table {
        title: "Service accounts".into(),
        headers: vec!["NAMESPACE", "NAME", "IAM ROLE", "VIA", "PODS", "FINDINGS"],
        widths: vec![
            Col::Fill(16),
            Col::Fill(24),
            Col::Fill(34),
            Col::Fixed(12),
            Col::Fixed(5),
            Col::Fixed(13),
        ],
        rows,
        empty: gap(m, &["kubernetes/serviceaccounts"]),
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

fn subjects(m: &Model) -> Table {
    // Every subject a binding names, plus service accounts and mapped AWS identities.
    let mut seen: HashMap<(String, String, Option<String>), (usize, bool)> = HashMap::default();
    let mut order = Vec::new();
    let mut add = |kind: &str, name: &str, ns: Option<&str>, bootstrap: bool, binding: bool| {
        let key = (
            kind.to_string(),
            name.to_string(),
            if kind == "ServiceAccount" {
                ns.map(str::to_string)
            } else {
                None
            },
        );
        let e = seen.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (0, true)
        });
        if binding {
            e.0 += 1;
        }
        e.1 &= bootstrap;
    };
    for b in &m.inv.bindings {
        for s in &b.subjects {
            add(
                &s.kind,
                &s.name,
                s.namespace.as_deref(),
                b.is_bootstrap(),
                true,
            );
        }
    }
    for sa in &m.inv.service_accounts {
        add(
            "ServiceAccount",
            &sa.name,
            Some(&sa.namespace),
            false,
            false,
        );
    }
    if let Some(a) = &m.inv.aws_auth {
        for e in &a.entries {
            for g in &e.groups {
                add("Group", g, None, false, false);
            }
            if let Some(u) = &e.username {
                add("User", u, None, false, false);
            }
        }
    }
    for e in &m.inv.access_entries {
        for g in &e.kubernetes_groups {
            add("Group", g, None, false, false);
        }
    }
    let rows = order
        .into_iter()
        .filter(|k| m.include_system || !seen[k].1 || seen[k].0 == 0)
        .map(|key| {
            let (kind, name, ns) = &key;
            let subj = subject_of(kind, name, ns.as_deref());
            let idx = m.findings_on(&subj);
            let (bindings, system) = seen[&key];
            Row::new(
                vec![
                    kind.clone(),
                    ns.clone().unwrap_or_default(),
                    name.clone(),
                    bindings.to_string(),
                    if system && bindings > 0 {
                        "system".into()
                    } else {
                        String::new()
                    },
                    count_label(m, idx),
                ],
                subject_node(kind, name, ns.as_deref()),
            )
            .sev(m.worst(&subj))
            .ns(ns.as_deref())
            .rules(m, idx)
        })
        .collect();
    Table {
        title: if m.include_system {
            "Subjects (system shown)".into()
        } else {
            "Subjects".into()
        },
        headers: vec![
            "KIND",
            "NAMESPACE",
            "NAME",
            "BINDINGS",
            "ORIGIN",
            "FINDINGS",
        ],
        widths: vec![
            Col::Fixed(14),
            Col::Fill(16),
            Col::Fill(40),
            Col::Fixed(8),
            Col::Fixed(7),
            Col::Fixed(13),
        ],
        rows,
        empty: gap(
            m,
            &["kubernetes/rolebindings", "kubernetes/clusterrolebindings"],
        ),
    }
}

fn iam_roles(m: &Model) -> Table {
    let mut used: HashMap<String, usize> = HashMap::default();
    for sa in &m.inv.service_accounts {
        if let Some(a) = sa.irsa_annotation() {
            *used.entry(a.to_ascii_lowercase()).or_default() += 1;
        }
    }
    for a in &m.inv.pod_identity_associations {
        *used.entry(a.role_arn.to_ascii_lowercase()).or_default() += 1;
    }
    let mut rows: Vec<Row> = m
        .inv
        .iam
        .roles
        .iter()
        .map(|r| {
            let subj = Subject::iam_role(&r.arn);
            let idx = m.findings_on(&subj);
            let n = used.get(&r.arn.to_ascii_lowercase()).copied().unwrap_or(0);
            Row::new(
                vec![
                    r.name.clone(),
                    r.path.clone(),
                    if n > 0 { n.to_string() } else { String::new() },
                    (r.attached_policies.len() + r.inline_policies.len()).to_string(),
                    r.last_used
                        .as_deref()
                        .map(|d| d.get(..10).unwrap_or(d).to_string())
                        .unwrap_or_else(|| "never".into()),
                    count_label(m, idx),
                ],
                Node::IamRole(r.arn.clone()),
            )
            .sev(m.worst(&subj))
            .rules(m, idx)
        })
        .collect();
    // Roles the cluster reaches first: that is where the findings are.
    rows.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.cells[2].is_empty().cmp(&a.cells[2].is_empty()).reverse())
            .then_with(|| a.cells[0].cmp(&b.cells[0]))
    });
    Table {
        title: "IAM roles".into(),
        headers: vec!["NAME", "PATH", "SAs", "POLICIES", "LAST USED", "FINDINGS"],
        widths: vec![
            Col::Fill(36),
            Col::Fill(20),
            Col::Fixed(4),
            Col::Fixed(8),
            Col::Fixed(10),
            Col::Fixed(13),
        ],
        rows,
        empty: gap(m, &["aws/iam"]),
    }
}

fn cluster_access(m: &Model) -> Table {
    let mut rows = Vec::new();
    if let Some(a) = &m.inv.aws_auth {
        for (i, e) in a.entries.iter().enumerate() {
            let subj = Subject::AwsAuthEntry {
                arn: e.subject_arn(),
            };
            let idx = m.findings_on(&subj);
            rows.push(
                Row::new(
                    vec![
                        format!("aws-auth {}", e.kind.key()),
                        e.subject_arn(),
                        e.username.clone().unwrap_or_default(),
                        e.groups.join(","),
                        count_label(m, idx),
                    ],
                    Node::AwsAuth(i),
                )
                .sev(m.worst(&subj))
                .rules(m, idx),
            );
        }
    }
    for (i, e) in m.inv.access_entries.iter().enumerate() {
        let subj = Subject::AccessEntry {
            arn: e.principal_arn.clone(),
        };
        let idx = m.findings_on(&subj);
        let mut grants: Vec<String> = e.kubernetes_groups.clone();
        grants.extend(e.access_policies.iter().map(|p| {
            format!(
                "{}@{}",
                p.policy_arn.rsplit('/').next().unwrap_or(&p.policy_arn),
                if p.scope_type == "namespace" {
                    p.namespaces.join("+")
                } else {
                    p.scope_type.clone()
                }
            )
        }));
        rows.push(
            Row::new(
                vec![
                    "access entry".into(),
                    e.principal_arn.clone(),
                    e.username.clone().unwrap_or_default(),
                    grants.join(","),
                    count_label(m, idx),
                ],
                Node::AccessEntry(i),
            )
            .sev(m.worst(&subj))
            .rules(m, idx),
        );
    }
    Table {
        title: "Cluster access".into(),
        headers: vec![
            "SOURCE",
            "PRINCIPAL",
            "USERNAME",
            "GROUPS / POLICIES",
            "FINDINGS",
        ],
        widths: vec![
            Col::Fixed(17),
            Col::Fill(50),
            Col::Fill(24),
            Col::Fill(36),
            Col::Fixed(13),
        ],
        rows,
        empty: gap(m, &["kubernetes/aws-auth", "aws/eks-access-entries"]),
    }
}

fn api_server(m: &Model) -> Table {
    let subj = Subject::ApiServer {
        name: "kube-apiserver".into(),
    };
    let mut rows = Vec::new();
    if let Some(api) = &m.inv.apiserver {
        let flags = crate::audit::apiserver::Flags::parse(&api.args);
        for (i, (k, v)) in flags.values.iter().enumerate() {
            let hits: Vec<usize> = m
                .findings_on(&subj)
                .iter()
                .copied()
                .filter(|&f| {
                    m.findings[f]
                        .evidence
                        .iter()
                        .any(|e| e.contains(&format!("--{k}")))
                })
                .collect();
            rows.push(
                Row::new(
                    vec![format!("--{k}"), v.clone(), count_label(m, &hits)],
                    Node::Flag(i),
                )
                .sev(hits.iter().map(|&f| m.findings[f].severity).max())
                .rules(m, &hits),
            );
        }
        // Findings about flags that are absent have no row of their own.
        for &f in m.findings_on(&subj) {
            if !rows.iter().any(|r| r.rules.contains(&m.findings[f].rule)) {
                rows.push(
                    Row::new(
                        vec![
                            "(not set)".into(),
                            m.findings[f].title.clone(),
                            count_label(m, &[f]),
                        ],
                        Node::Finding(f),
                    )
                    .sev(Some(m.findings[f].severity))
                    .rules(m, &[f]),
                );
            }
        }
    }
    if m.inv.apiserver.is_none()
        && let Some(c) = &m.inv.cluster
    {
        // Managed control plane: what EKS does expose about access to the API server.
        let cs = Subject::Cluster {
            name: c.name.clone(),
        };
        let on_cluster = m.findings_on(&cs);
        let by_rule = |rule: &str| -> Vec<usize> {
            on_cluster
                .iter()
                .copied()
                .filter(|&i| m.findings[i].rule == rule)
                .collect()
        };
        let flag_row = |k: &str, v: String, hits: Vec<usize>| {
            Row::new(vec![k.to_string(), v, count_label(m, &hits)], Node::Cluster)
                .sev(hits.iter().map(|&i| m.findings[i].severity).max())
                .rules(m, &hits)
        };
        rows.push(flag_row(
            "kube-apiserver flags",
            m.inv
                .coverage
                .status("apiserver/flags")
                .and_then(|s| s.detail.clone())
                .map(|d| format!("not observable: {d}"))
                .unwrap_or_else(|| "not observable".into()),
            Vec::new(),
        ));
        let opt = |b: Option<bool>| b.map(|b| b.to_string()).unwrap_or_else(|| "?".into());
        rows.push(flag_row(
            "endpointPublicAccess",
            opt(c.endpoint_public_access),
            by_rule("AUTH-006"),
        ));
        rows.push(flag_row(
            "publicAccessCidrs",
            c.public_access_cidrs.join(", "),
            by_rule("AUTH-006"),
        ));
        rows.push(flag_row(
            "endpointPrivateAccess",
            opt(c.endpoint_private_access),
            Vec::new(),
        ));
        rows.push(flag_row(
            "authenticationMode",
            c.authentication_mode.clone().unwrap_or_else(|| "?".into()),
            by_rule("AUTH-005"),
        ));
        rows.push(flag_row(
            "bootstrapClusterCreatorAdminPermissions",
            opt(c.bootstrap_cluster_creator_admin),
            by_rule("AUTH-007"),
        ));
        let logs: Vec<String> = c
            .logging
            .iter()
            .filter(|(_, on)| **on)
            .map(|(t, _)| t.clone())
            .collect();
        rows.push(flag_row(
            "logging (enabled)",
            logs.join(", "),
            by_rule("AUTH-008"),
        ));
        rows.push(flag_row(
            "OIDC issuer",
            c.oidc_issuer.clone().unwrap_or_else(|| "?".into()),
            Vec::new(),
        ));
    }
    let empty = match m.inv.coverage.status("apiserver/flags") {
        Some(s) if s.status == Status::NotObservable => format!(
            "not observable: {} — the API server's flags are managed by AWS; see Cluster access and the cluster's endpoint in Coverage",
            s.detail.as_deref().unwrap_or("managed control plane")
        ),
        _ => gap(m, &["apiserver/flags"]),
    };
    Table {
        title: "API server".into(),
        headers: vec!["FLAG", "VALUE", "FINDINGS"],
        widths: vec![Col::Fill(40), Col::Fill(60), Col::Fixed(13)],
        rows,
        empty,
    }
}

fn coverage(m: &Model) -> Table {
    let mut rows: Vec<Row> = m
        .inv
        .coverage
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let sev = match s.status {
                Status::Ok => None,
                Status::NotObservable => Some(Severity::Info),
                Status::Missing => Some(Severity::Low),
                Status::Forbidden | Status::Error => Some(Severity::Medium),
            };
            Row::new(
                vec![
                    s.source.clone(),
                    s.status.as_str().to_string(),
                    s.count.map(|c| c.to_string()).unwrap_or_default(),
                    s.detail.clone().unwrap_or_default(),
                ],
                Node::Source(i),
            )
            .sev(sev)
        })
        .collect();
    for p in &m.inv.coverage.problems {
        rows.push(
            Row::new(
                vec![
                    p.source.clone(),
                    "problem".into(),
                    String::new(),
                    p.detail.clone(),
                ],
                Node::Info(format!("{}: {}", p.source, p.detail)),
            )
            .sev(Some(Severity::Medium)),
        );
    }
    Table {
        title: "Coverage".into(),
        headers: vec!["SOURCE", "STATUS", "COUNT", "DETAIL"],
        widths: vec![Col::Fixed(34), Col::Fixed(14), Col::Fixed(6), Col::Fill(70)],
        rows,
        empty: "nothing was read".into(),
    }
}

// ---------------------------------------------------------------- drill-down

/// The neighbours of a node, as a table (what Enter opens).
pub fn related(node: &Node, m: &Model) -> Table {
    let mut rows: Vec<Row> = Vec::new();
    let push_subject = |rows: &mut Vec<Row>, s: &Subject, why: &str| {
        if let Some(n) = node_for_subject(s, m) {
            rows.push(
                Row::new(
                    vec![s.kind().to_string(), s.display_name(), why.to_string()],
                    n,
                )
                .sev(m.worst(s)),
            );
        }
    };
    let title;
    match node {
        Node::Finding(i) => {
            let f = &m.findings[*i];
            title = format!("{} {}", f.rule, f.subject.display_name());
            push_subject(&mut rows, &f.subject, "subject");
            for r in &f.related {
                push_subject(&mut rows, r, "related");
            }
        }
        Node::ServiceAccount { namespace, name } => {
            title = format!("ServiceAccount {namespace}/{name}");
            for (arn, via) in sa_roles(m, namespace, name) {
                rows.push(
                    Row::new(
                        vec!["IamRole".into(), arn.clone(), via.into()],
                        Node::IamRole(arn.clone()),
                    )
                    .sev(m.worst(&Subject::iam_role(&arn))),
                );
            }
            for (i, p) in m.inv.pods.iter().enumerate() {
                if &p.namespace == namespace && &p.service_account == name {
                    rows.push(Row::new(
                        vec![
                            "Pod".into(),
                            format!("{}/{}", p.namespace, p.name),
                            "runs as".into(),
                        ],
                        Node::Pod(i),
                    ));
                }
            }
            for w in &m.inv.workloads {
                if &w.namespace == namespace && &w.service_account == name {
                    rows.push(Row::new(
                        vec![
                            w.kind.clone(),
                            format!("{}/{}", w.namespace, w.name),
                            "template runs as".into(),
                        ],
                        Node::Info(format!(
                            "{} {}/{} runs pods as {namespace}/{name}",
                            w.kind, w.namespace, w.name
                        )),
                    ));
                }
            }
            bindings_naming(m, "ServiceAccount", name, Some(namespace), &mut rows);
            findings_rows(m, &Subject::service_account(namespace, name), &mut rows);
        }
        Node::Subject {
            kind,
            name,
            namespace,
        } => {
            title = format!(
                "{kind} {}{name}",
                namespace
                    .as_ref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default()
            );
            bindings_naming(m, kind, name, namespace.as_deref(), &mut rows);
            findings_rows(m, &subject_of(kind, name, namespace.as_deref()), &mut rows);
        }
        Node::IamRole(arn) => {
            title = format!("IamRole {arn}");
            let mut annotated: crate::hashing::HashSet<(&str, &str)> = Default::default();
            for sa in &m.inv.service_accounts {
                if sa
                    .irsa_annotation()
                    .is_some_and(|a| a.eq_ignore_ascii_case(arn))
                {
                    annotated.insert((sa.namespace.as_str(), sa.name.as_str()));
                    rows.push(Row::new(
                        vec![
                            "ServiceAccount".into(),
                            format!("{}/{}", sa.namespace, sa.name),
                            "IRSA annotation".into(),
                        ],
                        Node::ServiceAccount {
                            namespace: sa.namespace.clone(),
                            name: sa.name.clone(),
                        },
                    ));
                }
            }
            for (i, a) in m.inv.pod_identity_associations.iter().enumerate() {
                if a.role_arn.eq_ignore_ascii_case(arn) {
                    rows.push(Row::new(
                        vec![
                            "PodIdentity".into(),
                            format!("{}/{}", a.namespace, a.service_account),
                            a.id.clone(),
                        ],
                        Node::Association(i),
                    ));
                }
            }
            // Every other account the trust admits (a wildcard `sub`, no `sub`):
            // the full "who can assume it" list, paged by the table. Sized
            // first: growing a vector of 50,000 rows copies it again and again.
            let links: Vec<_> = m
                .links_to_role(arn)
                .into_iter()
                .filter(|l| {
                    l.via == crate::graph::reach::Via::Irsa
                        && l.works
                        // Usually none or a few: no hashing per link then.
                        && (annotated.is_empty()
                            || !annotated.contains(&(l.namespace, l.service_account)))
                })
                .collect();
            rows.reserve(links.len());
            // Five strings a row: for 50,000 rows, a share of them per core.
            for part in crate::par::shares(&links, 8192, |_, part| {
                part.iter()
                    .map(|l| {
                        Row::new(
                            vec![
                                "ServiceAccount".into(),
                                format!("{}/{}", l.namespace, l.service_account),
                                "trust admits it (not annotated)".into(),
                            ],
                            Node::ServiceAccount {
                                namespace: l.namespace.to_string(),
                                name: l.service_account.to_string(),
                            },
                        )
                    })
                    .collect::<Vec<Row>>()
            }) {
                rows.extend(part);
            }
            if let Some(r) = m
                .inv
                .iam
                .roles
                .iter()
                .find(|r| r.arn.eq_ignore_ascii_case(arn))
            {
                for p in &r.attached_policies {
                    rows.push(Row::new(
                        vec!["Policy".into(), p.name.clone(), "attached".into()],
                        Node::Policy(p.arn.clone()),
                    ));
                }
                for p in &r.inline_policies {
                    rows.push(Row::new(
                        vec!["Policy".into(), p.name.clone(), "inline".into()],
                        Node::Info(format!("inline policy {} of {}", p.name, r.name)),
                    ));
                }
            }
            findings_rows(m, &Subject::iam_role(arn), &mut rows);
            for &i in m.findings_related(&Subject::iam_role(arn)) {
                let f = &m.findings[i];
                rows.push(
                    Row::new(
                        vec![f.rule.into(), f.subject.display_name(), f.title.clone()],
                        Node::Finding(i),
                    )
                    .sev(Some(f.severity)),
                );
            }
        }
        Node::Binding(i) => {
            let b = &m.inv.bindings[*i];
            title = format!("{} {}", b.kind(), b.name);
            if let Some((ri, _)) = m.inv.roles.iter().enumerate().find(|(_, r)| {
                r.name == b.role_ref.name
                    && (r.namespace.is_none() && b.role_ref.kind == "ClusterRole"
                        || r.namespace == b.namespace && b.role_ref.kind == "Role")
            }) {
                rows.push(Row::new(
                    vec![
                        b.role_ref.kind.clone(),
                        b.role_ref.name.clone(),
                        "roleRef".into(),
                    ],
                    Node::RbacRole(ri),
                ));
            } else {
                rows.push(Row::new(
                    vec![
                        b.role_ref.kind.clone(),
                        b.role_ref.name.clone(),
                        "roleRef: does not exist".into(),
                    ],
                    Node::Info(format!(
                        "{} {} does not exist",
                        b.role_ref.kind, b.role_ref.name
                    )),
                ));
            }
            for s in &b.subjects {
                rows.push(Row::new(
                    vec![
                        s.kind.clone(),
                        format!(
                            "{}{}",
                            s.namespace
                                .as_ref()
                                .map(|n| format!("{n}/"))
                                .unwrap_or_default(),
                            s.name
                        ),
                        "subject".into(),
                    ],
                    subject_node(&s.kind, &s.name, s.namespace.as_deref()),
                ));
            }
        }
        Node::AwsAuth(i) => {
            title = "aws-auth entry".into();
            if let Some(e) = m.inv.aws_auth.as_ref().and_then(|a| a.entries.get(*i)) {
                if m.inv
                    .iam
                    .roles
                    .iter()
                    .any(|r| r.arn.eq_ignore_ascii_case(&e.arn))
                {
                    rows.push(Row::new(
                        vec!["IamRole".into(), e.arn.clone(), "mapped".into()],
                        Node::IamRole(e.arn.clone()),
                    ));
                }
                for g in &e.groups {
                    rows.push(Row::new(
                        vec!["Group".into(), g.clone(), "member of".into()],
                        subject_node("Group", g, None),
                    ));
                }
                findings_rows(
                    m,
                    &Subject::AwsAuthEntry {
                        arn: e.subject_arn(),
                    },
                    &mut rows,
                );
            }
        }
        Node::AccessEntry(i) => {
            title = "access entry".into();
            if let Some(e) = m.inv.access_entries.get(*i) {
                for g in &e.kubernetes_groups {
                    rows.push(Row::new(
                        vec!["Group".into(), g.clone(), "member of".into()],
                        subject_node("Group", g, None),
                    ));
                }
                findings_rows(
                    m,
                    &Subject::AccessEntry {
                        arn: e.principal_arn.clone(),
                    },
                    &mut rows,
                );
            }
        }
        Node::Association(i) => {
            title = "Pod Identity association".into();
            if let Some(a) = m.inv.pod_identity_associations.get(*i) {
                rows.push(Row::new(
                    vec![
                        "ServiceAccount".into(),
                        format!("{}/{}", a.namespace, a.service_account),
                        "associated".into(),
                    ],
                    Node::ServiceAccount {
                        namespace: a.namespace.clone(),
                        name: a.service_account.clone(),
                    },
                ));
                rows.push(Row::new(
                    vec!["IamRole".into(), a.role_arn.clone(), "role".into()],
                    Node::IamRole(a.role_arn.clone()),
                ));
            }
        }
        Node::Pod(i) => {
            let p = &m.inv.pods[*i];
            title = format!("Pod {}/{}", p.namespace, p.name);
            rows.push(Row::new(
                vec![
                    "ServiceAccount".into(),
                    format!("{}/{}", p.namespace, p.service_account),
                    "runs as".into(),
                ],
                Node::ServiceAccount {
                    namespace: p.namespace.clone(),
                    name: p.service_account.clone(),
                },
            ));
        }
        Node::RbacRole(i) => {
            let r = &m.inv.roles[*i];
            title = format!("{} {}", r.kind(), r.name);
            for (bi, b) in m.inv.bindings.iter().enumerate() {
                let kind_ok = (b.role_ref.kind == "ClusterRole" && r.namespace.is_none())
                    || (b.role_ref.kind == "Role" && r.namespace == b.namespace);
                if kind_ok && b.role_ref.name == r.name {
                    rows.push(Row::new(
                        vec![b.kind().into(), b.name.clone(), "binds it".into()],
                        Node::Binding(bi),
                    ));
                }
            }
        }
        Node::Policy(arn) => {
            title = format!("Policy {arn}");
            for r in &m.inv.iam.roles {
                if r.attached_policies.iter().any(|p| &p.arn == arn) {
                    rows.push(
                        Row::new(
                            vec!["IamRole".into(), r.arn.clone(), "attached to".into()],
                            Node::IamRole(r.arn.clone()),
                        )
                        .sev(m.worst(&Subject::iam_role(&r.arn))),
                    );
                }
            }
        }
        Node::Source(_)
        | Node::Flag(_)
        | Node::Cluster
        | Node::Context(_)
        | Node::Info(_)
        | Node::Query(_) => {
            title = "details".into();
        }
    }
    Table {
        title,
        headers: vec!["KIND", "NAME", "RELATION"],
        widths: vec![Col::Fixed(16), Col::Fill(60), Col::Fill(40)],
        rows,
        empty: "nothing related".into(),
    }
}

fn findings_rows(m: &Model, s: &Subject, rows: &mut Vec<Row>) {
    for &i in m.findings_on(s) {
        let f = &m.findings[i];
        rows.push(
            Row::new(
                vec![f.rule.into(), f.severity.to_string(), f.title.clone()],
                Node::Finding(i),
            )
            .sev(Some(f.severity)),
        );
    }
}

fn bindings_naming(
    m: &Model,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    rows: &mut Vec<Row>,
) {
    for (i, b) in m.inv.bindings.iter().enumerate() {
        if !m.include_system && b.is_bootstrap() {
            continue;
        }
        if b.subjects.iter().any(|s| {
            s.kind == kind
                && s.name == name
                && (kind != "ServiceAccount" || s.namespace.as_deref() == namespace)
        }) {
            rows.push(Row::new(
                vec![
                    b.kind().into(),
                    format!(
                        "{}{}",
                        b.namespace
                            .as_ref()
                            .map(|n| format!("{n}/"))
                            .unwrap_or_default(),
                        b.name
                    ),
                    format!("→ {} {}", b.role_ref.kind, b.role_ref.name),
                ],
                Node::Binding(i),
            ));
        }
    }
}

pub fn node_for_subject(s: &Subject, m: &Model) -> Option<Node> {
    Some(match s {
        Subject::ServiceAccount { namespace, name } => Node::ServiceAccount {
            namespace: namespace.clone(),
            name: name.clone(),
        },
        Subject::User { name } => subject_node("User", name, None),
        Subject::Group { name } => subject_node("Group", name, None),
        Subject::IamRole { arn } => Node::IamRole(arn.clone()),
        Subject::RoleBinding { namespace, name } => Node::Binding(
            m.inv
                .bindings
                .iter()
                .position(|b| b.namespace.as_deref() == Some(namespace) && &b.name == name)?,
        ),
        Subject::ClusterRoleBinding { name } => Node::Binding(
            m.inv
                .bindings
                .iter()
                .position(|b| b.namespace.is_none() && &b.name == name)?,
        ),
        Subject::Role { namespace, name } => Node::RbacRole(
            m.inv
                .roles
                .iter()
                .position(|r| r.namespace.as_deref() == Some(namespace) && &r.name == name)?,
        ),
        Subject::ClusterRole { name } => Node::RbacRole(
            m.inv
                .roles
                .iter()
                .position(|r| r.namespace.is_none() && &r.name == name)?,
        ),
        Subject::AwsAuthEntry { arn } => Node::AwsAuth(
            m.inv
                .aws_auth
                .as_ref()?
                .entries
                .iter()
                .position(|e| &e.subject_arn() == arn)?,
        ),
        Subject::AccessEntry { arn } => Node::AccessEntry(
            m.inv
                .access_entries
                .iter()
                .position(|e| &e.principal_arn == arn)?,
        ),
        Subject::PodIdentityAssociation { id, .. } => Node::Association(
            m.inv
                .pod_identity_associations
                .iter()
                .position(|a| &a.id == id)?,
        ),
        Subject::Cluster { .. } | Subject::ApiServer { .. } => Node::Cluster,
        Subject::Secret { namespace, name } => {
            Node::Info(format!("Secret {namespace}/{name} (metadata only)"))
        }
        Subject::Kubeconfig { name, path } => Node::Info(format!("kubeconfig {path}: {name}")),
        Subject::NodeGroup { name, source } => Node::Info(format!("node group {name} ({source})")),
    })
}

// ---------------------------------------------------------------- detail text

/// How a span of detail text should look; the UI maps these to colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Heading,
    Key,
    Dim,
    Code,
    /// The statement or rule that matters.
    Highlight,
    Sev(Severity),
}

pub type Line = Vec<(String, Tone)>;

fn line(parts: &[(&str, Tone)]) -> Line {
    parts.iter().map(|(s, t)| (s.to_string(), *t)).collect()
}

fn kv(k: &str, v: &str) -> Line {
    vec![(format!("{k}: "), Tone::Key), (v.to_string(), Tone::Plain)]
}

fn heading(s: &str) -> Line {
    vec![(s.to_string(), Tone::Heading)]
}

fn code_block(out: &mut Vec<Line>, text: &str) {
    for l in text.lines() {
        out.push(vec![(format!("  {l}"), Tone::Code)]);
    }
}

/// The detail pane for a node: evidence, remediation, documents.
pub fn detail(node: &Node, m: &Model) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    match node {
        Node::Finding(i) => {
            let f = &m.findings[*i];
            out.push(vec![
                (format!("{} ", f.rule), Tone::Heading),
                (
                    format!(
                        "[{}{}]",
                        f.severity,
                        if f.conditional { ", conditional" } else { "" }
                    ),
                    Tone::Sev(f.severity),
                ),
            ]);
            out.push(vec![(f.title.clone(), Tone::Plain)]);
            if let Some(info) = crate::audit::catalog::info(f.rule) {
                out.push(vec![(info.summary.to_string(), Tone::Dim)]);
            }
            out.push(Vec::new());
            out.push(kv("Subject", &f.subject.label()));
            for r in &f.related {
                out.push(kv("Related", &r.label()));
            }
            out.push(Vec::new());
            out.push(heading("Evidence"));
            for e in &f.evidence {
                let mut first = true;
                for l in e.lines() {
                    out.push(vec![(
                        if first {
                            format!("• {l}")
                        } else {
                            format!("  {l}")
                        },
                        Tone::Highlight,
                    )]);
                    first = false;
                }
            }
            if !f.remediation.is_empty() {
                out.push(Vec::new());
                out.push(heading("Fix (y copies it)"));
                code_block(&mut out, &f.remediation);
            }
        }
        Node::ServiceAccount { namespace, name } => {
            out.push(heading(&format!("ServiceAccount {namespace}/{name}")));
            if let Some(sa) = m
                .inv
                .service_accounts
                .iter()
                .find(|s| &s.namespace == namespace && &s.name == name)
            {
                for (k, v) in &sa.annotations {
                    let tone = if k == crate::model::IRSA_ANNOTATION {
                        Tone::Highlight
                    } else {
                        Tone::Plain
                    };
                    out.push(vec![(format!("{k}: "), Tone::Key), (v.clone(), tone)]);
                }
                out.push(kv("Audience", sa.audience()));
            } else {
                out.push(line(&[("not in the cluster", Tone::Dim)]));
            }
            let roles = sa_roles(m, namespace, name);
            if roles.is_empty() {
                out.push(line(&[(
                    "No IAM role (no IRSA annotation, no Pod Identity association).",
                    Tone::Dim,
                )]));
            }
            for (arn, via) in roles {
                out.push(kv(&format!("IAM role via {via}"), &arn));
            }
            // The node role its pods obtain through IMDS, beside its own (NODE-001/004).
            if let Some(l) = super::nodes::account_node_role_line(m, namespace, name) {
                out.push(kv("Node role", &l));
            }
            trust_links(m, None, Some((namespace, name)), &mut out);
            effective_rbac(
                m,
                &crate::policy::rbac::Principal::service_account(namespace, name),
                &mut out,
            );
            findings_summary(m, &Subject::service_account(namespace, name), &mut out);
        }
        Node::IamRole(arn) => {
            out.push(heading(&format!("IAM role {arn}")));
            match m
                .inv
                .iam
                .roles
                .iter()
                .find(|r| r.arn.eq_ignore_ascii_case(arn))
            {
                None => out.push(line(&[(
                    "not in the audited account's IAM data",
                    Tone::Dim,
                )])),
                Some(r) => {
                    out.push(kv("Created", r.created.as_deref().unwrap_or("?")));
                    out.push(kv(
                        "Last used",
                        r.last_used.as_deref().unwrap_or("never (or not reported)"),
                    ));
                    if let Some(b) = &r.permissions_boundary {
                        out.push(kv("Permissions boundary", b));
                    }
                    findings_summary(m, &Subject::iam_role(arn), &mut out);
                    trust_links(m, Some(&r.arn), None, &mut out);
                    out.push(Vec::new());
                    out.push(heading("Trust policy"));
                    if let Some(t) = &r.trust_policy {
                        code_block(
                            &mut out,
                            &serde_json::to_string_pretty(t).unwrap_or_default(),
                        );
                    }
                    for p in &r.attached_policies {
                        out.push(Vec::new());
                        out.push(heading(&format!("Attached policy {}", p.name)));
                        match m
                            .inv
                            .iam
                            .policies
                            .iter()
                            .find(|x| x.arn == p.arn)
                            .and_then(|x| x.document.as_ref())
                        {
                            Some(d) => code_block(
                                &mut out,
                                &serde_json::to_string_pretty(d).unwrap_or_default(),
                            ),
                            None => out.push(line(&[("document not in iam.json", Tone::Dim)])),
                        }
                    }
                    for p in &r.inline_policies {
                        out.push(Vec::new());
                        out.push(heading(&format!("Inline policy {}", p.name)));
                        code_block(
                            &mut out,
                            &serde_json::to_string_pretty(&p.document).unwrap_or_default(),
                        );
                    }
                }
            }
        }
        Node::Subject {
            kind,
            name,
            namespace,
        } => {
            out.push(heading(&format!(
                "{kind} {}{name}",
                namespace
                    .as_ref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default()
            )));
            if kind == "ServiceAccount" {
                out.push(line(&[(
                    "Also a member of system:serviceaccounts, system:serviceaccounts:<namespace> and system:authenticated.",
                    Tone::Dim,
                )]));
            }
            out.push(Vec::new());
            out.push(heading("RBAC grants (binding → role → rules)"));
            let mut any = false;
            for b in &m.inv.bindings {
                if !m.include_system && b.is_bootstrap() {
                    continue;
                }
                if !b.subjects.iter().any(|s| {
                    &s.kind == kind
                        && &s.name == name
                        && (kind != "ServiceAccount" || &s.namespace == namespace)
                }) {
                    continue;
                }
                any = true;
                let scope = b
                    .namespace
                    .as_ref()
                    .map(|n| format!("in namespace {n}"))
                    .unwrap_or_else(|| "cluster-wide".into());
                out.push(vec![
                    (format!("{} {} ", b.kind(), b.name), Tone::Key),
                    (
                        format!("→ {} {} ({scope})", b.role_ref.kind, b.role_ref.name),
                        Tone::Plain,
                    ),
                ]);
                let role = m.inv.roles.iter().find(|r| {
                    r.name == b.role_ref.name
                        && ((b.role_ref.kind == "ClusterRole" && r.namespace.is_none())
                            || (b.role_ref.kind == "Role" && r.namespace == b.namespace))
                });
                match role {
                    None => out.push(line(&[(
                        "    the role does not exist",
                        Tone::Sev(Severity::Medium),
                    )])),
                    Some(r) => {
                        if r.aggregation.is_some() {
                            out.push(line(&[("    aggregated ClusterRole: rules of the roles its selectors match", Tone::Dim)]));
                        }
                        for rule in &r.rules {
                            out.push(vec![(format!("    {}", rule_text(rule)), rule_tone(rule))]);
                        }
                    }
                }
            }
            if !any {
                out.push(line(&[(
                    "no bindings name this subject directly",
                    Tone::Dim,
                )]));
            }
            let principal = match kind.as_str() {
                "ServiceAccount" => crate::policy::rbac::Principal::service_account(
                    namespace.as_deref().unwrap_or(""),
                    name,
                ),
                "Group" => crate::policy::rbac::Principal::group(name),
                _ => crate::policy::rbac::Principal::user(name),
            };
            effective_rbac(m, &principal, &mut out);
            findings_summary(m, &subject_of(kind, name, namespace.as_deref()), &mut out);
        }
        Node::Binding(i) => {
            let b = &m.inv.bindings[*i];
            out.push(heading(&format!(
                "{} {}{}",
                b.kind(),
                b.namespace
                    .as_ref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default(),
                b.name
            )));
            out.push(kv(
                "roleRef",
                &format!("{} {}", b.role_ref.kind, b.role_ref.name),
            ));
            if b.is_bootstrap() {
                out.push(line(&[(
                    "Kubernetes bootstrap binding (rbac-defaults)",
                    Tone::Dim,
                )]));
            }
            for s in &b.subjects {
                out.push(kv(
                    "subject",
                    &format!(
                        "{} {}{}",
                        s.kind,
                        s.namespace
                            .as_ref()
                            .map(|n| format!("{n}/"))
                            .unwrap_or_default(),
                        s.name
                    ),
                ));
            }
        }
        Node::RbacRole(i) => {
            let r = &m.inv.roles[*i];
            out.push(heading(&format!(
                "{} {}{}",
                r.kind(),
                r.namespace
                    .as_ref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default(),
                r.name
            )));
            for rule in &r.rules {
                out.push(vec![(rule_text(rule), rule_tone(rule))]);
            }
        }
        Node::AwsAuth(i) => {
            if let Some(e) = m.inv.aws_auth.as_ref().and_then(|a| a.entries.get(*i)) {
                out.push(heading(&format!("aws-auth {}[{}]", e.kind.key(), e.index)));
                out.push(kv("ARN", &e.subject_arn()));
                out.push(kv("username", e.username.as_deref().unwrap_or("(none)")));
                out.push(kv("groups", &e.groups.join(", ")));
                for p in &e.problems {
                    out.push(vec![(format!("problem: {p}"), Tone::Sev(Severity::Medium))]);
                }
                findings_summary(
                    m,
                    &Subject::AwsAuthEntry {
                        arn: e.subject_arn(),
                    },
                    &mut out,
                );
            }
        }
        Node::AccessEntry(i) => {
            if let Some(e) = m.inv.access_entries.get(*i) {
                out.push(heading(&format!("Access entry {}", e.principal_arn)));
                out.push(kv("type", e.type_.as_deref().unwrap_or("STANDARD")));
                out.push(kv("username", e.username.as_deref().unwrap_or("")));
                out.push(kv("kubernetesGroups", &e.kubernetes_groups.join(", ")));
                for p in &e.access_policies {
                    out.push(kv(
                        "access policy",
                        &format!(
                            "{} ({} {})",
                            p.policy_arn,
                            p.scope_type,
                            p.namespaces.join(",")
                        ),
                    ));
                }
                findings_summary(
                    m,
                    &Subject::AccessEntry {
                        arn: e.principal_arn.clone(),
                    },
                    &mut out,
                );
            }
        }
        Node::Association(i) => {
            if let Some(a) = m.inv.pod_identity_associations.get(*i) {
                out.push(heading(&format!("Pod Identity association {}", a.id)));
                out.push(kv(
                    "service account",
                    &format!("{}/{}", a.namespace, a.service_account),
                ));
                out.push(kv("role", &a.role_arn));
                out.push(kv(
                    "session tags",
                    if a.disable_session_tags {
                        "disabled"
                    } else {
                        "enabled"
                    },
                ));
            }
        }
        Node::Pod(i) => {
            let p = &m.inv.pods[*i];
            out.push(heading(&format!("Pod {}/{}", p.namespace, p.name)));
            out.push(kv("service account", &p.service_account));
            out.push(kv("phase", p.phase.as_deref().unwrap_or("?")));
            if let Some(line) = super::nodes::node_role_line(m, *i) {
                out.push(kv("node role", &line));
            }
            if let Some(o) = &p.owner {
                out.push(kv("owner", o));
            }
            for c in &p.containers {
                out.push(kv("container", &c.name));
            }
        }
        Node::Policy(arn) => {
            out.push(heading(&format!("Managed policy {arn}")));
            match m
                .inv
                .iam
                .policies
                .iter()
                .find(|p| &p.arn == arn)
                .and_then(|p| p.document.as_ref())
            {
                Some(d) => code_block(
                    &mut out,
                    &serde_json::to_string_pretty(d).unwrap_or_default(),
                ),
                None => out.push(line(&[("document not in iam.json", Tone::Dim)])),
            }
        }
        Node::Source(i) => {
            if let Some(s) = m.inv.coverage.sources.get(*i) {
                out.push(heading(&s.source));
                out.push(kv("status", s.status.as_str()));
                if let Some(c) = s.count {
                    out.push(kv("count", &c.to_string()));
                }
                if let Some(d) = &s.detail {
                    out.push(kv("detail", d));
                }
                if s.status != Status::Ok {
                    out.push(Vec::new());
                    out.push(line(&[("Rules that need this source could not check it; the rest of the audit stands.", Tone::Dim)]));
                }
            }
        }
        Node::Flag(i) => {
            if let Some(api) = &m.inv.apiserver {
                let flags = crate::audit::apiserver::Flags::parse(&api.args);
                if let Some((k, v)) = flags.values.get(*i) {
                    out.push(heading(&format!("--{k}")));
                    out.push(kv("value", v));
                    out.push(kv("from", &api.origin));
                }
            }
        }
        Node::Cluster => {
            out.push(heading(&format!("Cluster {}", m.cluster())));
            if let Some(c) = &m.inv.cluster {
                out.push(kv("version", c.version.as_deref().unwrap_or("?")));
                out.push(kv("OIDC issuer", c.oidc_issuer.as_deref().unwrap_or("?")));
                out.push(kv(
                    "authentication mode",
                    c.authentication_mode.as_deref().unwrap_or("?"),
                ));
                out.push(kv(
                    "public endpoint",
                    &match c.endpoint_public_access {
                        Some(true) => format!("enabled, from {}", c.public_access_cidrs.join(", ")),
                        Some(false) => "disabled".to_string(),
                        None => "?".to_string(),
                    },
                ));
                let logs: Vec<&str> = c
                    .logging
                    .iter()
                    .filter(|(_, on)| **on)
                    .map(|(t, _)| t.as_str())
                    .collect();
                out.push(kv("control-plane logs", &logs.join(", ")));
                findings_summary(
                    m,
                    &Subject::Cluster {
                        name: c.name.clone(),
                    },
                    &mut out,
                );
            }
            if let Some(api) = &m.inv.apiserver {
                out.push(kv("kube-apiserver flags from", &api.origin));
                findings_summary(
                    m,
                    &Subject::ApiServer {
                        name: "kube-apiserver".into(),
                    },
                    &mut out,
                );
            }
        }
        Node::Context(c) => {
            out.push(heading(&format!("Context {c}")));
            out.push(line(&[(
                "Enter switches to it and collects again.",
                Tone::Dim,
            )]));
        }
        Node::Info(text) => out.push(vec![(text.clone(), Tone::Plain)]),
        Node::Query(_) => {}
    }
    out
}

/// Effective RBAC through the engine: own bindings, the groups the subject is
/// in (a service account's three groups, aws-auth and access-entry groups),
/// aggregated roles, system:masters.
fn effective_rbac(m: &Model, p: &crate::policy::rbac::Principal, out: &mut Vec<Line>) {
    let engine = m.rbac();
    let id = engine.identity(p);
    out.push(Vec::new());
    out.push(heading(
        "Effective RBAC (every binding, through groups and aggregation)",
    ));
    if !id.groups.is_empty() {
        out.push(kv("groups", &id.groups.join(", ")));
    }
    let grants = engine.permissions(p);
    if grants.is_empty() {
        out.push(line(&[(
            if m.include_system {
                "no grants"
            } else {
                "no grants outside Kubernetes' bootstrap bindings (s shows them)"
            },
            Tone::Dim,
        )]));
    }
    const MAX: usize = 200;
    for g in grants.iter().take(MAX) {
        let tone = g.rule().map(rule_tone).unwrap_or(Tone::Highlight);
        out.push(vec![(format!("• {}", g.describe()), tone)]);
    }
    if grants.len() > MAX {
        out.push(line(&[(
            &format!("… and {} more", grants.len() - MAX),
            Tone::Dim,
        )]));
    }
}

/// The trust links of a role or a service account: who can assume what, and whether it works.
fn trust_links(m: &Model, role: Option<&str>, sa: Option<(&str, &str)>, out: &mut Vec<Line>) {
    // From the indexes: a role every account can assume has one link per account.
    let links: Vec<LinkView> = match (role, sa) {
        (Some(r), _) => m
            .links_to_role(r)
            .into_iter()
            .filter(|l| sa.is_none_or(|(ns, n)| l.namespace == ns && l.service_account == n))
            .collect(),
        (None, Some((ns, n))) => m.links_of_account(ns, n),
        (None, None) => m.role_links().iter().map(LinkView::from).collect(),
    };
    out.push(Vec::new());
    out.push(heading(if role.is_some() {
        "Who in the cluster can assume it"
    } else {
        "Trust links"
    }));
    if links.is_empty() {
        out.push(line(&[(
            "no service account of this cluster can obtain it",
            Tone::Dim,
        )]));
    }
    const MAX: usize = 100;
    for l in links.iter().take(MAX) {
        let via = match l.via {
            crate::graph::reach::Via::Irsa => "IRSA",
            crate::graph::reach::Via::PodIdentity => "Pod Identity",
        };
        let (verdict, tone) = if l.works {
            ("trust admits it", Tone::Plain)
        } else {
            (
                "does not work (see its findings)",
                Tone::Sev(Severity::High),
            )
        };
        let what = if role.is_some() {
            format!("ServiceAccount {}/{}", l.namespace, l.service_account)
        } else {
            l.role_arn.to_string()
        };
        out.push(vec![
            (format!("• {what} "), Tone::Plain),
            (format!("via {via}: "), Tone::Key),
            (verdict.to_string(), tone),
        ]);
    }
    if links.len() > MAX {
        let hint = if role.is_some() {
            " (Enter lists them all)"
        } else {
            ""
        };
        out.push(line(&[(
            &format!("… and {} more{hint}", links.len() - MAX),
            Tone::Dim,
        )]));
    }
}

fn findings_summary(m: &Model, s: &Subject, out: &mut Vec<Line>) {
    let idx = m.findings_on(s);
    if idx.is_empty() {
        return;
    }
    out.push(Vec::new());
    out.push(heading("Findings"));
    for &i in idx {
        let f = &m.findings[i];
        out.push(vec![
            (
                format!("{:<9}", f.severity.to_string()),
                Tone::Sev(f.severity),
            ),
            (format!("{} ", f.rule), Tone::Key),
            (f.title.clone(), Tone::Plain),
        ]);
    }
}

pub fn rule_text(r: &crate::model::PolicyRule) -> String {
    let mut parts = Vec::new();
    if !r.api_groups.is_empty() {
        parts.push(format!(
            "apiGroups [{}]",
            r.api_groups
                .iter()
                .map(|g| if g.is_empty() {
                    "\"\"".to_string()
                } else {
                    g.clone()
                })
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    if !r.resources.is_empty() {
        parts.push(format!("resources [{}]", r.resources.join(",")));
    }
    if !r.resource_names.is_empty() {
        parts.push(format!("names [{}]", r.resource_names.join(",")));
    }
    if !r.non_resource_urls.is_empty() {
        parts.push(format!("urls [{}]", r.non_resource_urls.join(",")));
    }
    parts.push(format!("verbs [{}]", r.verbs.join(",")));
    parts.join(" ")
}

/// Wildcards and sensitive resources stand out.
fn rule_tone(r: &crate::model::PolicyRule) -> Tone {
    let star = r.verbs.iter().any(|v| v == "*") || r.resources.iter().any(|v| v == "*");
    let sensitive = r.resources.iter().any(|x| {
        [
            "secrets",
            "pods/exec",
            "serviceaccounts/token",
            "clusterrolebindings",
            "rolebindings",
        ]
        .contains(&x.as_str())
    });
    if star || sensitive {
        Tone::Highlight
    } else {
        Tone::Plain
    }
}

/// The copyable text of a node: a finding's fix, an ARN, a name.
pub fn copy_text(node: &Node, m: &Model) -> String {
    match node {
        Node::Finding(i) => {
            let f = &m.findings[*i];
            if f.remediation.is_empty() {
                f.subject.display_name()
            } else {
                f.remediation.clone()
            }
        }
        Node::ServiceAccount { namespace, name } => format!("{namespace}/{name}"),
        Node::Subject { name, .. } => name.clone(),
        Node::IamRole(a) | Node::Policy(a) => a.clone(),
        Node::AwsAuth(i) => m
            .inv
            .aws_auth
            .as_ref()
            .and_then(|a| a.entries.get(*i))
            .map(|e| e.subject_arn())
            .unwrap_or_default(),
        Node::AccessEntry(i) => m
            .inv
            .access_entries
            .get(*i)
            .map(|e| e.principal_arn.clone())
            .unwrap_or_default(),
        Node::Binding(i) => m.inv.bindings[*i].name.clone(),
        Node::RbacRole(i) => m.inv.roles[*i].name.clone(),
        Node::Pod(i) => m.inv.pods[*i].name.clone(),
        Node::Association(i) => m
            .inv
            .pod_identity_associations
            .get(*i)
            .map(|a| a.id.clone())
            .unwrap_or_default(),
        Node::Source(i) => m
            .inv
            .coverage
            .sources
            .get(*i)
            .map(|s| s.source.clone())
            .unwrap_or_default(),
        Node::Flag(i) => m
            .inv
            .apiserver
            .as_ref()
            .and_then(|a| {
                crate::audit::apiserver::Flags::parse(&a.args)
                    .values
                    .get(*i)
                    .map(|(k, v)| format!("--{k}={v}"))
            })
            .unwrap_or_default(),
        Node::Cluster => m.cluster(),
        Node::Context(c) => c.clone(),
        Node::Info(t) => t.clone(),
        Node::Query(_) => String::new(),
    }
}

/// The shortest chain of "related" links from one node to another (a pair of
/// nodes marked in the UI), as labels; `None` when they are not connected
/// within `limit` expanded nodes.
pub fn path_between(from: &Node, to: &Node, m: &Model, limit: usize) -> Option<Vec<String>> {
    use std::collections::VecDeque;
    let mut prev: HashMap<Node, (Node, String)> = HashMap::default();
    let mut queue = VecDeque::from([from.clone()]);
    let mut seen = crate::hashing::HashSet::from_iter([from.clone()]);
    let mut expanded = 0;
    while let Some(n) = queue.pop_front() {
        if &n == to {
            let mut steps = vec![copy_label(&n, m)];
            let mut cur = n;
            while let Some((p, how)) = prev.get(&cur) {
                steps.push(format!("{} ({how})", copy_label(p, m)));
                cur = p.clone();
            }
            steps.reverse();
            return Some(steps);
        }
        expanded += 1;
        if expanded > limit {
            return None;
        }
        for r in related(&n, m).rows {
            if matches!(r.node, Node::Info(_)) || !seen.insert(r.node.clone()) {
                continue;
            }
            prev.insert(
                r.node.clone(),
                (n.clone(), r.cells.last().cloned().unwrap_or_default()),
            );
            queue.push_back(r.node);
        }
    }
    None
}

fn copy_label(n: &Node, m: &Model) -> String {
    match n {
        Node::Finding(i) => format!(
            "{} {}",
            m.findings[*i].rule,
            m.findings[*i].subject.short_label()
        ),
        Node::ServiceAccount { namespace, name } => format!("ServiceAccount {namespace}/{name}"),
        Node::Subject {
            kind,
            name,
            namespace,
        } => {
            format!(
                "{kind} {}{name}",
                namespace
                    .as_ref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default()
            )
        }
        Node::IamRole(a) => format!("IamRole {a}"),
        Node::Policy(a) => format!("Policy {a}"),
        Node::Binding(i) => format!("{} {}", m.inv.bindings[*i].kind(), m.inv.bindings[*i].name),
        Node::RbacRole(i) => format!("{} {}", m.inv.roles[*i].kind(), m.inv.roles[*i].name),
        Node::Pod(i) => format!("Pod {}/{}", m.inv.pods[*i].namespace, m.inv.pods[*i].name),
        other => copy_text(other, m),
    }
}

/// The chain a finding or node stands on: pod → service account → trust → role
/// → policy → actions, or subject → binding → role → rule.
pub fn path(node: &Node, m: &Model) -> Vec<String> {
    match node {
        Node::Finding(i) => {
            let f = &m.findings[*i];
            if f.rule == "PATH-001" {
                let mut out = vec![f.subject.label()];
                out.extend(f.evidence.iter().cloned());
                return out;
            }
            if let Some(n) = node_for_subject(&f.subject, m) {
                let mut p = path(&n, m);
                if p.is_empty() {
                    p.push(f.subject.label());
                }
                p.push(format!("{} {}: {}", f.rule, f.severity, f.title));
                return p;
            }
            vec![f.subject.label()]
        }
        Node::ServiceAccount { namespace, name } => {
            let mut out = Vec::new();
            let pods: Vec<&str> = m
                .inv
                .pods
                .iter()
                .filter(|p| &p.namespace == namespace && &p.service_account == name)
                .map(|p| p.name.as_str())
                .collect();
            if !pods.is_empty() {
                out.push(format!(
                    "Pods {} ({})",
                    pods.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                    pods.len()
                ));
            }
            out.push(format!("ServiceAccount {namespace}/{name}"));
            for (arn, via) in sa_roles(m, namespace, name) {
                out.push(format!("trust via {via}"));
                out.extend(role_chain(&arn, m));
            }
            out
        }
        Node::IamRole(arn) => role_chain(arn, m),
        Node::Subject {
            kind,
            name,
            namespace,
        } => {
            let mut out = vec![format!(
                "{kind} {}{name}",
                namespace
                    .as_ref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default()
            )];
            for b in &m.inv.bindings {
                if (!m.include_system && b.is_bootstrap())
                    || !b.subjects.iter().any(|s| {
                        &s.kind == kind
                            && &s.name == name
                            && (kind != "ServiceAccount" || &s.namespace == namespace)
                    })
                {
                    continue;
                }
                out.push(format!(
                    "{} {} → {} {}",
                    b.kind(),
                    b.name,
                    b.role_ref.kind,
                    b.role_ref.name
                ));
            }
            out
        }
        other => vec![copy_text(other, m)],
    }
}

fn role_chain(arn: &str, m: &Model) -> Vec<String> {
    let mut out = vec![format!("IamRole {arn}")];
    if let Some(r) = m
        .inv
        .iam
        .roles
        .iter()
        .find(|r| r.arn.eq_ignore_ascii_case(arn))
    {
        let mut pols: Vec<String> = r
            .attached_policies
            .iter()
            .map(|p| format!("policy {} (attached)", p.name))
            .collect();
        pols.extend(
            r.inline_policies
                .iter()
                .map(|p| format!("policy {} (inline)", p.name)),
        );
        if !pols.is_empty() {
            out.push(pols.join(", "));
        }
        for &i in m.findings_on(&Subject::iam_role(&r.arn)) {
            let f = &m.findings[i];
            if f.rule.starts_with("IAM-") {
                out.push(format!("{} {}: {}", f.rule, f.severity, f.title));
            }
        }
    } else {
        out.push("(role not in the audited account's IAM data)".into());
    }
    out
}
