//! The detail text of a node: headings, key-value lines and code blocks in
//! tones the drawing maps to styles; one function per kind of node.

use super::*;

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
        Node::Finding(i) => detail_finding(i, m, &mut out),
        Node::ServiceAccount { namespace, name } => {
            detail_service_account(namespace, name, m, &mut out)
        }
        Node::IamRole(arn) => detail_iam_role(arn, m, &mut out),
        Node::AdmittedBy(arn) => out.push(vec![(
            format!(
                "The service accounts whose tokens the trust of {arn} admits, without an IRSA annotation naming the role. Enter lists them; :who sts:AssumeRoleWithWebIdentity {arn} asks who can assume it, with the path of each."
            ),
            Tone::Plain,
        )]),
        Node::Subject {
            kind,
            name,
            namespace,
        } => detail_subject(kind, name, namespace, m, &mut out),
        Node::Binding(i) => detail_binding(i, m, &mut out),
        Node::RbacRole(i) => detail_rbac_role(i, m, &mut out),
        Node::AwsAuth(i) => detail_aws_auth(i, m, &mut out),
        Node::AccessEntry(i) => detail_access_entry(i, m, &mut out),
        Node::Association(i) => detail_association(i, m, &mut out),
        Node::Pod(i) => detail_pod(i, m, &mut out),
        Node::Policy(arn) => detail_policy(arn, m, &mut out),
        Node::Source(i) => detail_source(i, m, &mut out),
        Node::Flag(i) => detail_flag(i, m, &mut out),
        Node::Cluster => detail_cluster(m, &mut out),
        Node::Context(c) => detail_context(c, &mut out),
        Node::Info(text) => out.push(vec![(text.clone(), Tone::Plain)]),
        Node::Query(_) => {}
    }
    out
}

/// The detail text of a finding.
fn detail_finding(i: &usize, m: &Model, out: &mut Vec<Line>) {
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
        code_block(out, &f.remediation);
    }
}

/// The detail text of a service account.
fn detail_service_account(namespace: &str, name: &str, m: &Model, out: &mut Vec<Line>) {
    out.push(heading(&format!("ServiceAccount {namespace}/{name}")));
    if let Some(sa) = m
        .inv
        .service_accounts
        .iter()
        .find(|s| s.namespace == namespace && s.name == name)
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
    if let Some(l) = crate::ui::nodes::account_node_role_line(m, namespace, name) {
        out.push(kv("Node role", &l));
    }
    trust_links(m, None, Some((namespace, name)), out);
    effective_rbac(
        m,
        &crate::policy::rbac::Principal::service_account(namespace, name),
        out,
    );
    findings_summary(m, &Subject::service_account(namespace, name), out);
}

/// The detail text of an IAM role.
fn detail_iam_role(arn: &str, m: &Model, out: &mut Vec<Line>) {
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
            findings_summary(m, &Subject::iam_role(arn), out);
            trust_links(m, Some(&r.arn), None, out);
            out.push(Vec::new());
            out.push(heading("Trust policy"));
            if let Some(t) = &r.trust_policy {
                code_block(out, &serde_json::to_string_pretty(t).unwrap_or_default());
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
                    Some(d) => {
                        code_block(out, &serde_json::to_string_pretty(d).unwrap_or_default())
                    }
                    None => out.push(line(&[("document not in iam.json", Tone::Dim)])),
                }
            }
            for p in &r.inline_policies {
                out.push(Vec::new());
                out.push(heading(&format!("Inline policy {}", p.name)));
                code_block(
                    out,
                    &serde_json::to_string_pretty(&p.document).unwrap_or_default(),
                );
            }
        }
    }
}

/// The detail text of a subject.
fn detail_subject(
    kind: &str,
    name: &str,
    namespace: &Option<String>,
    m: &Model,
    out: &mut Vec<Line>,
) {
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
            s.kind == kind
                && s.name == name
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
                    out.push(line(&[(
                        "    aggregated ClusterRole: rules of the roles its selectors match",
                        Tone::Dim,
                    )]));
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
    let principal = match kind {
        "ServiceAccount" => crate::policy::rbac::Principal::service_account(
            namespace.as_deref().unwrap_or(""),
            name,
        ),
        "Group" => crate::policy::rbac::Principal::group(name),
        _ => crate::policy::rbac::Principal::user(name),
    };
    effective_rbac(m, &principal, out);
    findings_summary(m, &subject_of(kind, name, namespace.as_deref()), out);
}

/// The detail text of a binding.
fn detail_binding(i: &usize, m: &Model, out: &mut Vec<Line>) {
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

/// The detail text of an RBAC role.
fn detail_rbac_role(i: &usize, m: &Model, out: &mut Vec<Line>) {
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

/// The detail text of an aws-auth mapping.
fn detail_aws_auth(i: &usize, m: &Model, out: &mut Vec<Line>) {
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
            out,
        );
    }
}

/// The detail text of an access entry.
fn detail_access_entry(i: &usize, m: &Model, out: &mut Vec<Line>) {
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
            out,
        );
    }
}

/// The detail text of an association.
fn detail_association(i: &usize, m: &Model, out: &mut Vec<Line>) {
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

/// The detail text of a pod.
fn detail_pod(i: &usize, m: &Model, out: &mut Vec<Line>) {
    let p = &m.inv.pods[*i];
    out.push(heading(&format!("Pod {}/{}", p.namespace, p.name)));
    out.push(kv("service account", &p.service_account));
    out.push(kv("phase", p.phase.as_deref().unwrap_or("?")));
    if let Some(line) = crate::ui::nodes::node_role_line(m, *i) {
        out.push(kv("node role", &line));
    }
    if let Some(o) = &p.owner {
        out.push(kv("owner", o));
    }
    for c in &p.containers {
        out.push(kv("container", &c.name));
    }
}

/// The detail text of a policy.
fn detail_policy(arn: &str, m: &Model, out: &mut Vec<Line>) {
    out.push(heading(&format!("Managed policy {arn}")));
    match m
        .inv
        .iam
        .policies
        .iter()
        .find(|p| p.arn == arn)
        .and_then(|p| p.document.as_ref())
    {
        Some(d) => code_block(out, &serde_json::to_string_pretty(d).unwrap_or_default()),
        None => out.push(line(&[("document not in iam.json", Tone::Dim)])),
    }
}

/// The detail text of a source.
fn detail_source(i: &usize, m: &Model, out: &mut Vec<Line>) {
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
            out.push(line(&[(
                "Rules that need this source could not check it; the rest of the audit stands.",
                Tone::Dim,
            )]));
        }
    }
}

/// The detail text of a flag.
fn detail_flag(i: &usize, m: &Model, out: &mut Vec<Line>) {
    if let Some(api) = &m.inv.apiserver {
        let flags = crate::audit::apiserver::Flags::parse(&api.args);
        if let Some((k, v)) = flags.values.get(*i) {
            out.push(heading(&format!("--{k}")));
            out.push(kv("value", v));
            out.push(kv("from", &api.origin));
        }
    }
}

/// The detail text of the cluster.
fn detail_cluster(m: &Model, out: &mut Vec<Line>) {
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
            out,
        );
    }
    if let Some(api) = &m.inv.apiserver {
        out.push(kv("kube-apiserver flags from", &api.origin));
        findings_summary(
            m,
            &Subject::ApiServer {
                name: "kube-apiserver".into(),
            },
            out,
        );
    }
}

/// The detail text of a context.
fn detail_context(c: &str, out: &mut Vec<Line>) {
    out.push(heading(&format!("Context {c}")));
    out.push(line(&[(
        "Enter switches to it and collects again.",
        Tone::Dim,
    )]));
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
