//! The Nodes view: node groups and node classes, their instances' metadata
//! options, the node role, and how many pods obtain it through IMDS. Pure, as
//! the other views (`views/`): rows and text, no terminal types.

use std::collections::BTreeMap;

use super::views::{Col, Model, Node, Row, Table};
use crate::audit::Subject;
use crate::graph::imds::{GroupKey, Imds, NodeReach};

/// One row per node group: its nodes, what IMDS answers there, its role, the
/// pods that reach the role. Enter on a row opens the role.
pub fn nodes(m: &Model) -> Table {
    let reach = crate::graph::imds::node_reach(&m.inv);
    let rows = rows(m, &reach);
    let empty = if m.inv.nodes.is_empty() {
        "not seen: kubernetes/nodes (add nodes to the kubectl get, and ec2-instances.json)"
            .to_string()
    } else {
        "no node groups".to_string()
    };
    Table {
        title: "Nodes".to_string(),
        headers: vec![
            "group",
            "source",
            "nodes",
            "IMDS",
            "node role",
            "pods reaching it",
            "findings",
        ],
        widths: vec![
            Col::Fill(2),
            Col::Fixed(14),
            Col::Fixed(6),
            Col::Fill(3),
            Col::Fill(3),
            Col::Fixed(17),
            Col::Fixed(12),
        ],
        rows,
        empty,
    }
}

/// How a group's nodes answer, in a few words: `IMDSv1`, `v2 hop 2`, `v2 hop 1`.
fn short(imds: Imds) -> &'static str {
    match imds {
        Imds::Disabled => "disabled",
        Imds::V1 => "IMDSv1",
        Imds::V2Hops(_) => "v2, hop 2+",
        Imds::HostOnly => "v2, hop 1",
        Imds::Unknown => "unknown",
    }
}

fn rows(m: &Model, reach: &NodeReach) -> Vec<Row> {
    #[derive(Default)]
    struct Group<'a> {
        nodes: usize,
        imds: BTreeMap<&'static str, usize>,
        roles: BTreeMap<&'a str, ()>,
        pods: usize,
        host_pods: usize,
    }
    let mut groups: BTreeMap<&GroupKey, Group> = BTreeMap::new();
    for n in &reach.nodes {
        let g = groups.entry(&n.group).or_default();
        g.nodes += 1;
        *g.imds.entry(short(n.imds)).or_default() += 1;
        if let Some(r) = &n.role {
            g.roles.insert(r.as_str(), ());
        }
    }
    for p in &reach.pods {
        if p.reaches == Some(true) {
            let n = &reach.nodes[p.node];
            if let Some(g) = groups.get_mut(&n.group) {
                if m.inv.pods[p.pod].host_network {
                    g.host_pods += 1;
                } else {
                    g.pods += 1;
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|(key, g)| {
            let imds: Vec<String> = g
                .imds
                .iter()
                .map(|(k, n)| {
                    if g.imds.len() == 1 {
                        k.to_string()
                    } else {
                        format!("{k} ({n})")
                    }
                })
                .collect();
            let role = g.roles.keys().next().copied();
            let role_name = match (role, g.roles.len()) {
                (None, _) => "unknown (see coverage)".to_string(),
                (Some(r), 1) => r.rsplit('/').next().unwrap_or(r).to_string(),
                (Some(r), n) => format!("{} and {} more", r.rsplit('/').next().unwrap_or(r), n - 1),
            };
            let subject = Subject::NodeGroup {
                name: key.name.clone(),
                source: key.source.to_string(),
            };
            let mut hits: Vec<usize> = m.findings_on(&subject).to_vec();
            if let Some(r) = role {
                hits.extend(
                    m.findings_on(&Subject::iam_role(r))
                        .iter()
                        .copied()
                        .filter(|&f| m.findings[f].rule.starts_with("NODE-")),
                );
            }
            let worst = hits.iter().map(|&f| m.findings[f].severity).max();
            let findings = match worst {
                Some(w) => format!("{} ({w})", hits.len()),
                None => String::new(),
            };
            let node = match role {
                Some(r) => Node::IamRole(r.to_string()),
                None => Node::Info(format!(
                    "node group {} ({}): its role is not known; see Coverage",
                    key.name, key.source
                )),
            };
            Row::new(
                vec![
                    key.name.clone(),
                    key.source.to_string(),
                    g.nodes.to_string(),
                    imds.join(", "),
                    role_name,
                    format!("{} + {} host-net", g.pods, g.host_pods),
                    findings,
                ],
                node,
            )
            .sev(worst)
        })
        .collect()
}

/// The node role a pod obtains through IMDS, for the pods and service
/// account panes: `role (IMDSv1 allowed, node n1)`, or why not.
pub fn node_role_line(m: &Model, pod: usize) -> Option<String> {
    if m.inv.nodes.is_empty() {
        return None;
    }
    let reach = crate::graph::imds::node_reach(&m.inv);
    pod_line(&reach, pod)
}

/// The node roles a service account's pods obtain: the distinct roles, the
/// pods that reach them, and the first pod's line; one pass.
pub fn account_node_role_line(m: &Model, ns: &str, name: &str) -> Option<String> {
    if m.inv.nodes.is_empty() {
        return None;
    }
    let reach = crate::graph::imds::node_reach(&m.inv);
    let mut first = None;
    let mut pods = 0usize;
    let mut reaching = 0usize;
    let mut roles: std::collections::BTreeSet<&str> = Default::default();
    for p in &reach.pods {
        let pod = &m.inv.pods[p.pod];
        if pod.namespace != ns || pod.service_account != name {
            continue;
        }
        pods += 1;
        if p.reaches == Some(true) {
            reaching += 1;
            if let Some(r) = &reach.nodes[p.node].role {
                roles.insert(r.as_str());
            }
        }
        if first.is_none() {
            first = pod_line(&reach, p.pod);
        }
    }
    let first = first?;
    Some(if pods > 1 {
        format!(
            "{reaching} of its {pods} pods obtain {} node role(s); e.g. {first}",
            roles.len()
        )
    } else {
        first
    })
}

fn pod_line(reach: &NodeReach, pod: usize) -> Option<String> {
    let (node, reaches) = reach.of_pod(pod)?;
    let role = node.role.as_deref().unwrap_or("unknown role");
    Some(match reaches {
        Some(true) => format!(
            "node role {role} through IMDS on node {} ({})",
            node.name,
            node.imds.describe()
        ),
        Some(false) => format!(
            "no node role: {} on node {}",
            node.imds.describe(),
            node.name
        ),
        None => format!(
            "node role {role} on node {}: whether IMDS answers is not known (see Coverage)",
            node.name
        ),
    })
}
