//! NODE rules: the node's IAM role, which pods obtain it through the instance
//! metadata service, and what it lets them do (NODE-001..NODE-004).
//!
//! The semantics (IMDSv1/v2, hop limit, host network, disabled endpoint,
//! Karpenter's defaults, IRSA or Pod Identity beside IMDS) are in
//! `graph::imds`, each cited to AWS's documentation there. What the snapshot
//! cannot see (a NetworkPolicy, CNI or iptables rule that drops traffic to
//! 169.254.169.254) is said in the evidence; where a NetworkPolicy engine runs,
//! NODE-001 is conditional.

use std::collections::{BTreeMap, BTreeSet};

use super::path::Worst;
use super::{Context, Finding, MAX_EXAMPLES, Related, Severity, Subject};
use crate::graph::imds::{GroupKey, Imds, NodeAccess, NodeReach, Origin};

/// What a worker node needs: the actions of the AWS managed policies
/// AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy,
/// AmazonEC2ContainerRegistryReadOnly (and its successor
/// AmazonEC2ContainerRegistryPullOnly) and AmazonSSMManagedInstanceCore
/// (<https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html>).
/// `tests/node_baseline.rs` checks the list against the policies' documents.
pub const NODE_BASELINE_POLICIES: [&str; 5] = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
];

/// Every action the baseline policies allow (lowercase).
pub const NODE_BASELINE_ACTIONS: &[&str] = &[
    // AmazonEKSWorkerNodePolicy
    "ec2:describeinstances",
    "ec2:describeinstancetypes",
    "ec2:describeroutetables",
    "ec2:describesecuritygroups",
    "ec2:describesubnets",
    "ec2:describevolumes",
    "ec2:describevolumesmodifications",
    "ec2:describevpcs",
    "eks:describecluster",
    "eks-auth:assumeroleforpodidentity",
    // AmazonEKS_CNI_Policy
    "ec2:assignprivateipaddresses",
    "ec2:attachnetworkinterface",
    "ec2:createnetworkinterface",
    "ec2:deletenetworkinterface",
    "ec2:describetags",
    "ec2:describenetworkinterfaces",
    "ec2:detachnetworkinterface",
    "ec2:modifynetworkinterfaceattribute",
    "ec2:unassignprivateipaddresses",
    "ec2:createtags",
    // AmazonEC2ContainerRegistryReadOnly / PullOnly
    "ecr:getauthorizationtoken",
    "ecr:batchchecklayeravailability",
    "ecr:getdownloadurlforlayer",
    "ecr:getrepositorypolicy",
    "ecr:describerepositories",
    "ecr:listimages",
    "ecr:describeimages",
    "ecr:batchgetimage",
    "ecr:getlifecyclepolicy",
    "ecr:getlifecyclepolicypreview",
    "ecr:listtagsforresource",
    "ecr:describeimagescanfindings",
    "ecr:batchimportupstreamimage",
    // AmazonSSMManagedInstanceCore
    "ssm:describeassociation",
    "ssm:getdeployablepatchsnapshotforinstance",
    "ssm:getdocument",
    "ssm:describedocument",
    "ssm:getmanifest",
    "ssm:getparameter",
    "ssm:getparameters",
    "ssm:listassociations",
    "ssm:listinstanceassociations",
    "ssm:putinventory",
    "ssm:putcomplianceitems",
    "ssm:putconfigurepackageresult",
    "ssm:updateassociationstatus",
    "ssm:updateinstanceassociationstatus",
    "ssm:updateinstanceinformation",
    "ssmmessages:createcontrolchannel",
    "ssmmessages:createdatachannel",
    "ssmmessages:opencontrolchannel",
    "ssmmessages:opendatachannel",
    "ec2messages:acknowledgemessage",
    "ec2messages:deletemessage",
    "ec2messages:failmessage",
    "ec2messages:getendpoint",
    "ec2messages:getmessages",
    "ec2messages:sendreply",
];

/// What the snapshot cannot rule out, said on every NODE-001.
const UNSEEN_CONTROLS: &str = "unless a network control the snapshot cannot see blocks 169.254.169.254 for these pods (a NetworkPolicy, a CNI rule, or an iptables rule in the nodes' user data)";

const REMEDIATION_IMDS: &str = "Require IMDSv2 with a hop limit of 1 so that only the node itself (and host-network pods) reach IMDS: for a managed node group, a new launch template version with MetadataOptions {\"HttpTokens\":\"required\",\"HttpPutResponseHopLimit\":1,\"HttpEndpoint\":\"enabled\"} (aws ec2 create-launch-template-version, then aws eks update-nodegroup-version --launch-template …); for Karpenter, spec.metadataOptions {httpTokens: required, httpPutResponseHopLimit: 1} in the EC2NodeClass; for running instances, aws ec2 modify-instance-metadata-options --instance-id ID --http-tokens required --http-put-response-hop-limit 1. Give pods that need AWS access their own role (IRSA or EKS Pod Identity).";

/// Host-network pods of one service account: examples, count, node roles.
type HostPods = (Vec<String>, usize, BTreeSet<String>);

/// `a, b, c and 4 more`.
fn examples(items: &[String], total: usize) -> String {
    let shown = items.iter().take(MAX_EXAMPLES).cloned().collect::<Vec<_>>();
    let more = total.saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// One line per node group: how its nodes' IMDS is set, by where it was read.
fn group_lines(nodes: &[&NodeAccess]) -> Vec<String> {
    let mut by_group: BTreeMap<&GroupKey, BTreeMap<String, Vec<&str>>> = BTreeMap::new();
    for n in nodes {
        let how = match &n.options {
            Some((m, o)) => format!(
                "{}: {} from {}",
                n.imds.describe(),
                m.describe(),
                match o {
                    Origin::Instance(_) => "the instances".to_string(),
                    other => other.describe(),
                }
            ),
            None => n.imds.describe(),
        };
        by_group
            .entry(&n.group)
            .or_default()
            .entry(how)
            .or_default()
            .push(n.name.as_str());
    }
    let total = by_group.len();
    let mut lines: Vec<String> = by_group
        .into_iter()
        .take(MAX_EXAMPLES)
        .map(|(g, hows)| {
            let parts: Vec<String> = hows
                .into_iter()
                .map(|(how, names)| {
                    let list: Vec<String> = names.iter().map(|s| s.to_string()).collect();
                    format!(
                        "{how} ({} node(s): {})",
                        names.len(),
                        examples(&list, names.len())
                    )
                })
                .collect();
            format!("node group {} ({}): {}", g.name, g.source, parts.join("; "))
        })
        .collect();
    if total > MAX_EXAMPLES {
        lines.push(format!("and {} more node groups", total - MAX_EXAMPLES));
    }
    lines
}

pub fn check(ctx: &Context, worst: &Worst, out: &mut Vec<Finding>) {
    let reach = ctx.graph.node_reach();
    if reach.nodes.is_empty() {
        return;
    }
    let (roles, host_sas) = role_uses(ctx, reach);
    node_001(ctx, worst, reach, &roles, out);
    node_002(reach, out);
    node_003(ctx, &roles, out);
    node_004(host_sas, out);
}

/// Per node role: the pod-network pods that reach it (NODE-001) and the
/// host-network pods that reach it (NODE-004, NODE-003).
#[derive(Default)]
struct RoleUse<'n> {
    nodes: BTreeMap<&'n str, &'n NodeAccess>,
    pods: Vec<String>,
    pod_count: usize,
    own_role: usize,
    accounts: BTreeSet<(String, String)>,
    host_pods: usize,
}

/// Node roles by lowercase ARN: the ARN as written and its use.
type RoleUses<'n> = BTreeMap<String, (String, RoleUse<'n>)>;

/// Host-network pods by service account (namespace, name).
type HostSas = BTreeMap<(String, String), HostPods>;

/// Who obtains each node role: the pods that reach their node's IMDS, by
/// role, and the host-network ones by service account (NODE-004); lists sorted.
fn role_uses<'n>(ctx: &Context, reach: &'n NodeReach) -> (RoleUses<'n>, HostSas) {
    let inv = ctx.inv;
    let has_own_role = |ns: &str, sa: &str| -> bool {
        ctx.graph
            .service_account(ns, sa)
            .is_some_and(|s| s.irsa_annotation().is_some())
            || ctx.graph.associations_of(ns, sa).next().is_some()
    };
    let mut roles: RoleUses = BTreeMap::new();
    // NODE-004: per service account, host-network pods whose node's IMDS answers.
    let mut host_sas: HostSas = BTreeMap::new();
    for p in &reach.pods {
        if p.reaches != Some(true) {
            continue;
        }
        let pod = &inv.pods[p.pod];
        let node = &reach.nodes[p.node];
        let Some(role) = &node.role else {
            // The gap is in coverage (graph::imds::coverage_gaps).
            if pod.host_network {
                let e = host_sas
                    .entry((pod.namespace.clone(), pod.service_account.clone()))
                    .or_default();
                e.1 += 1;
                e.0.push(format!("{}/{} on {}", pod.namespace, pod.name, node.name));
            }
            continue;
        };
        let (_, u) = roles
            .entry(role.to_ascii_lowercase())
            .or_insert_with(|| (role.clone(), RoleUse::default()));
        if pod.host_network {
            u.host_pods += 1;
            let e = host_sas
                .entry((pod.namespace.clone(), pod.service_account.clone()))
                .or_default();
            e.1 += 1;
            e.0.push(format!("{}/{} on {}", pod.namespace, pod.name, node.name));
            e.2.insert(role.clone());
            continue;
        }
        u.nodes.insert(node.name.as_str(), node);
        u.pod_count += 1;
        u.pods.push(format!(
            "{}/{} (service account {})",
            pod.namespace, pod.name, pod.service_account
        ));
        if has_own_role(&pod.namespace, &pod.service_account) {
            u.own_role += 1;
        }
        u.accounts
            .insert((pod.namespace.clone(), pod.service_account.clone()));
    }

    for (_, u) in roles.values_mut() {
        u.pods.sort_unstable();
    }
    for (pods, _, _) in host_sas.values_mut() {
        pods.sort_unstable();
    }
    (roles, host_sas)
}

/// NODE-001: pod-network pods obtain a node role through IMDS.
fn node_001(
    ctx: &Context,
    worst: &Worst,
    reach: &NodeReach,
    roles: &RoleUses,
    out: &mut Vec<Finding>,
) {
    for (key, (arn, u)) in roles {
        if u.pod_count == 0 {
            continue;
        }
        let critical = worst
            .get(key)
            .is_some_and(|(s, _)| *s == Severity::Critical);
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let nodes: Vec<&NodeAccess> = u.nodes.values().copied().collect();
        let mut f = Finding::new(
            "NODE-001",
            if critical {
                Severity::Critical
            } else {
                Severity::High
            },
            Subject::iam_role(arn),
            format!(
                "{} pod(s) can obtain node role {name} through the instance metadata service",
                u.pod_count
            ),
        );
        for l in group_lines(&nodes) {
            f = f.evidence(l);
        }
        f = f.evidence(format!(
            "{} pod(s) on the pod network of those nodes obtain it, e.g. {}",
            u.pod_count,
            examples(&u.pods, u.pod_count)
        ));
        if u.own_role > 0 {
            f = f.evidence(format!(
                "{} of them also have an IRSA or Pod Identity role: IMDS still answers them, so they hold the node role as well (https://docs.aws.amazon.com/eks/latest/userguide/restrict-ec2-credential-access.html)",
                u.own_role
            ));
        }
        if let Some(n) = nodes.first() {
            f = f.evidence(format!("the node role comes from {}", n.role_via));
        }
        if let Some((s, rule)) = worst.get(key) {
            f = f.evidence(format!("the role's worst IAM finding: {rule} ({s})"));
        }
        match &reach.policy_engine {
            Some(engine) => {
                f = f
                    .evidence(format!(
                        "conditional: {engine}; a NetworkPolicy (NetworkPolicies are not in the snapshot) could block 169.254.169.254"
                    ))
                    .conditional();
            }
            None => f = f.evidence(UNSEEN_CONTROLS.to_string()),
        }
        let related = Related::of(
            u.accounts
                .iter()
                .map(|(ns, n)| Subject::service_account(ns, n)),
            ctx.opts.max_related,
        );
        f = f.with_related(&related).remediation(REMEDIATION_IMDS);
        out.push(f);
    }
}

/// NODE-002: IMDSv1 allowed in a group's running nodes or its template.
fn node_002(reach: &NodeReach, out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<&GroupKey, (Vec<String>, usize, Option<&str>)> = BTreeMap::new();
    for n in &reach.nodes {
        let running_v1 = matches!(&n.options, Some((_, Origin::Instance(_)))) && n.imds == Imds::V1;
        if !running_v1 && n.template_v1.is_none() {
            continue;
        }
        let e = groups.entry(&n.group).or_default();
        if running_v1 {
            e.1 += 1;
            e.0.push(format!(
                "{} ({})",
                n.name,
                n.instance_id.as_deref().unwrap_or("?")
            ));
        }
        if e.2.is_none() {
            e.2 = n.template_v1.as_deref();
        }
    }
    for (g, (mut names, count, template)) in groups {
        names.sort_unstable();
        let mut f = Finding::new(
            "NODE-002",
            Severity::Medium,
            Subject::NodeGroup {
                name: g.name.clone(),
                source: g.source.to_string(),
            },
            format!("Node group {} allows IMDSv1 (HttpTokens optional)", g.name),
        );
        if count > 0 {
            f = f.evidence(format!(
                "{count} running instance(s) with HttpTokens=optional: {}",
                examples(&names, count)
            ));
        }
        if let Some(t) = template {
            f = f.evidence(format!("new nodes too: {t}"));
        }
        f = f
            .evidence("IMDSv1 answers without a session token, so the hop limit does not stop pods (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceMetadataOptionsRequest.html)")
            .remediation(REMEDIATION_IMDS);
        out.push(f);
    }
}

/// NODE-003: a node role pods obtain that grants more than a node needs.
fn node_003(ctx: &Context, roles: &RoleUses, out: &mut Vec<Finding>) {
    for (arn, u) in roles.values() {
        let Some(role) = ctx.graph.iam_role(arn) else {
            continue;
        };
        let exceed = beyond_baseline(ctx, role);
        if exceed.is_empty() {
            continue;
        }
        let how = match (u.pod_count, u.host_pods) {
            (0, h) => format!("{h} host-network pod(s) obtain it (NODE-004)"),
            (p, 0) => format!("{p} pod(s) obtain it through IMDS (NODE-001)"),
            (p, h) => {
                format!("{p} pod(s) obtain it through IMDS (NODE-001), and {h} host-network pod(s)")
            }
        };
        let mut f = Finding::new(
            "NODE-003",
            Severity::High,
            Subject::iam_role(&role.arn),
            format!(
                "Node role {} grants more than worker nodes need, and pods can obtain it",
                role.name
            ),
        );
        let total = exceed.len();
        for e in exceed.into_iter().take(MAX_EXAMPLES) {
            f = f.evidence(e);
        }
        if total > MAX_EXAMPLES {
            f = f.evidence(format!("and {} more", total - MAX_EXAMPLES));
        }
        f = f
            .evidence(format!(
                "what a node needs: {}",
                NODE_BASELINE_POLICIES.join(", ")
            ))
            .evidence(how)
            .remediation(format!(
                "Move what the workloads need to their own roles (IRSA or EKS Pod Identity) and detach it from the node role (aws iam detach-role-policy --role-name {} --policy-arn ARN, or aws iam delete-role-policy for an inline policy); then block pods from IMDS (NODE-001).",
                role.name
            ));
        out.push(f);
    }
}

/// NODE-004: host-network pods of a service account obtain the node role.
fn node_004(host_sas: HostSas, out: &mut Vec<Finding>) {
    for ((ns, sa), (pods, count, roles)) in host_sas {
        let mut f = Finding::new(
            "NODE-004",
            Severity::Medium,
            Subject::service_account(&ns, &sa),
            format!("{count} host-network pod(s) of {ns}/{sa} obtain the node role"),
        )
        .evidence(format!(
            "hostNetwork: true on nodes whose IMDS is enabled, so the hop limit does not stop them (https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html): {}",
            examples(&pods, count)
        ));
        if roles.is_empty() {
            f = f.evidence("the node role is not known (see coverage)");
        } else {
            let list: Vec<String> = roles.iter().cloned().collect();
            f = f.evidence(format!("node role(s): {}", examples(&list, list.len())));
        }
        for r in roles.iter().take(MAX_EXAMPLES) {
            f = f.related(Subject::iam_role(r));
        }
        f = f.remediation("Run the pods on the pod network unless they must share the node's (remove hostNetwork: true), and give them their own role (IRSA or EKS Pod Identity); where host networking is needed, keep the node role to what nodes need (NODE-003) and enforce Pod Security baseline in namespaces that do not need it (kubectl label namespace NS pod-security.kubernetes.io/enforce=baseline).");
        out.push(f);
    }
}

/// Whether an action pattern is within the baseline (exact match: a wildcard or
/// NotAction is beyond it unless it names a baseline action exactly).
fn in_baseline(action: &str) -> bool {
    let a = action.trim().to_ascii_lowercase();
    NODE_BASELINE_ACTIONS.contains(&a.as_str())
}

/// What a role's policies allow beyond the baseline, one line per policy.
pub fn beyond_baseline(ctx: &Context, role: &crate::model::IamRole) -> Vec<String> {
    let mut out = Vec::new();
    for p in &role.attached_policies {
        let aws_baseline = p.arn.starts_with("arn:aws:iam::aws:policy/")
            && NODE_BASELINE_POLICIES.contains(&p.name.as_str());
        if aws_baseline {
            continue;
        }
        match ctx.graph.managed_policy(&p.arn).and_then(|m| m.document.as_ref()) {
            Some(doc) => {
                let extra = extra_actions(doc);
                if !extra.is_empty() {
                    out.push(format!(
                        "managed policy {} allows {}",
                        p.name,
                        examples(&extra, extra.len())
                    ));
                }
            }
            None => out.push(format!(
                "managed policy {} is not one of the node policies (its document is not in the snapshot)",
                p.name
            )),
        }
    }
    for p in &role.inline_policies {
        let extra = extra_actions(&p.document);
        if !extra.is_empty() {
            out.push(format!(
                "inline policy {} allows {}",
                p.name,
                examples(&extra, extra.len())
            ));
        }
    }
    out
}

/// The `Allow` actions of a document beyond the baseline, as written, with the
/// resource when it is not `*`.
fn extra_actions(doc: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let list = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let stmts = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for st in stmts {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let res = list(st.get("Resource"));
        let on = if res.is_empty() || res.iter().any(|r| r == "*") {
            String::new()
        } else {
            format!(" on {}", res.join(", "))
        };
        if st.get("NotAction").is_some() {
            out.push(format!(
                "everything but {}{on} (NotAction)",
                list(st.get("NotAction")).join(", ")
            ));
            continue;
        }
        for a in list(st.get("Action")) {
            if !in_baseline(&a) {
                out.push(format!("{a}{on}"));
            }
        }
    }
    out
}
