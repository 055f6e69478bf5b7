//! What `y` copies for a node, and the path from the cluster to a node (how a
//! pod gets to an IAM role, a subject to its rules).

use super::*;

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
        Node::IamRole(a) | Node::Policy(a) | Node::AdmittedBy(a) => a.clone(),
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
