//! Which pods obtain their node's IAM role through the instance metadata service
//! (IMDS, 169.254.169.254), and which role that is. Pure: the inventory in, a
//! per-node and per-pod answer out, with what could not be known said as a gap.
//!
//! The facts this rests on, from AWS's and Karpenter's documentation:
//!
//! - Any process on an instance, every container of every pod included, gets
//!   the instance profile's credentials from IMDS unless access is restricted;
//!   a pod with IRSA has the service account's role *and* the node's
//!   (<https://docs.aws.amazon.com/eks/latest/userguide/restrict-ec2-credential-access.html>).
//!   EKS Pod Identity changes nothing there: the SDK prefers the container
//!   credentials, but IMDS still answers the pod
//!   (<https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html>).
//! - `HttpTokens: optional` allows IMDSv1: credentials without a session token
//!   (no PUT, so no hop limit applies); `required` means IMDSv2 only
//!   (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceMetadataOptionsRequest.html>).
//! - `HttpPutResponseHopLimit` bounds how far the IMDSv2 token response
//!   travels; a pod in its own network namespace is one hop further than the
//!   node, so a limit of 1 stops it and 2 or more lets it through, while a pod
//!   with `hostNetwork: true` is on the node's network and is not stopped
//!   (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-options.html>,
//!   <https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html>,
//!   section "Restrict access to the instance profile assigned to the worker
//!   node"; eksctl's `disablePodIMDS` "prevents all non host networking pods"
//!   from making IMDS requests: <https://docs.aws.amazon.com/eks/latest/eksctl/security.html>).
//!   Its documented default is 1.
//! - `HttpEndpoint: disabled` turns IMDS off for everything on the instance;
//!   its default is `enabled` (same API reference).
//! - Karpenter's EC2NodeClass defaults `spec.metadataOptions` to
//!   `httpEndpoint: enabled`, `httpTokens: required`,
//!   `httpPutResponseHopLimit: 1` (<https://karpenter.sh/docs/concepts/nodeclasses/#specmetadataoptions>),
//!   each field on its own.
//! - What the snapshot cannot see: a NetworkPolicy, CNI rule or iptables rule
//!   on the node that drops traffic to 169.254.169.254 (the EKS guide's
//!   alternatives to the hop limit). Answers say so.

use crate::hashing::HashMap;

use crate::model::{
    Ec2Instance, Inventory, LaunchTemplateVersion, MetadataOptions, Node, NodeClass, NodeGroup, Pod,
};

/// Where a node's metadata options were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `describe-instances` of the node's own instance: what it runs with.
    Instance(String),
    /// The node group's launch template version (the instance was not seen).
    LaunchTemplate { id: String, version: String },
    /// The EC2NodeClass; `defaults` when it does not set `metadataOptions`.
    NodeClass { name: String, defaults: bool },
}

impl Origin {
    /// Where, without saying that the instance was not seen.
    pub fn source(&self) -> String {
        match self {
            Origin::Instance(id) => format!("instance {id}"),
            Origin::LaunchTemplate { id, version } => {
                format!("launch template {id} version {version}")
            }
            Origin::NodeClass {
                name,
                defaults: true,
            } => format!("EC2NodeClass {name} (no metadataOptions: Karpenter's defaults)"),
            Origin::NodeClass { name, .. } => format!("EC2NodeClass {name} metadataOptions"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Origin::Instance(id) => format!("instance {id}"),
            Origin::LaunchTemplate { id, version } => {
                format!("launch template {id} version {version} (instance not seen)")
            }
            Origin::NodeClass {
                name,
                defaults: true,
            } => format!(
                "EC2NodeClass {name} (no metadataOptions: Karpenter's defaults; instance not seen)"
            ),
            Origin::NodeClass { name, .. } => {
                format!("EC2NodeClass {name} metadataOptions (instance not seen)")
            }
        }
    }
}

/// What IMDS answers on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imds {
    /// `HttpEndpoint: disabled`: nothing on the node gets metadata.
    Disabled,
    /// `HttpTokens: optional`: IMDSv1, any pod.
    V1,
    /// IMDSv2 required with a hop limit of 2 or more: any pod.
    V2Hops(i64),
    /// IMDSv2 required, hop limit 1: host-network pods only.
    HostOnly,
    /// Not known (no options, or `HttpTokens` not stated).
    Unknown,
}

impl Imds {
    /// From stated options (EC2's documented defaults for an absent endpoint and hop limit).
    pub fn of(m: &MetadataOptions) -> Imds {
        let endpoint = m
            .http_endpoint
            .as_deref()
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| "enabled".to_string());
        if endpoint == "disabled" {
            return Imds::Disabled;
        }
        match m
            .http_tokens
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("optional") => Imds::V1,
            Some("required") => match m.hop_limit.unwrap_or(1) {
                h if h >= 2 => Imds::V2Hops(h),
                _ => Imds::HostOnly,
            },
            _ => Imds::Unknown,
        }
    }

    /// Whether a pod obtains the node role: `None` when it cannot be told.
    pub fn reaches(self, host_network: bool) -> Option<bool> {
        match self {
            Imds::Disabled => Some(false),
            Imds::V1 | Imds::V2Hops(_) => Some(true),
            Imds::HostOnly => Some(host_network),
            Imds::Unknown => None,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Imds::Disabled => "IMDS disabled (HttpEndpoint=disabled)".to_string(),
            Imds::V1 => "IMDSv1 allowed (HttpTokens=optional): any pod".to_string(),
            Imds::V2Hops(h) => {
                format!("IMDSv2 required, hop limit {h}: any pod (the token crosses the pod's hop)")
            }
            Imds::HostOnly => "IMDSv2 required, hop limit 1: host-network pods only".to_string(),
            Imds::Unknown => "metadata options not known".to_string(),
        }
    }
}

/// Karpenter's defaults, field by field, for what an EC2NodeClass leaves out.
pub fn karpenter_defaults(m: Option<&MetadataOptions>) -> MetadataOptions {
    let m = m.cloned().unwrap_or_default();
    MetadataOptions {
        http_endpoint: m.http_endpoint.or_else(|| Some("enabled".into())),
        http_tokens: m.http_tokens.or_else(|| Some("required".into())),
        hop_limit: m.hop_limit.or(Some(1)),
    }
}

/// A node group as NODE-002 names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupKey {
    pub name: String,
    /// `eks-nodegroup`, `karpenter` or `instances`.
    pub source: &'static str,
}

/// One node: its group, metadata options, role, and what is not known.
#[derive(Debug, Clone)]
pub struct NodeAccess {
    pub node: usize,
    pub name: String,
    pub instance_id: Option<String>,
    pub group: GroupKey,
    pub options: Option<(MetadataOptions, Origin)>,
    pub imds: Imds,
    /// The node role's ARN as IAM returns it (or as the node group names it).
    pub role: Option<String>,
    /// How the role was found: `instance profile X`, `node group nodeRole`.
    pub role_via: String,
    /// The launch template (or class) allows IMDSv1, whatever the running instances do.
    pub template_v1: Option<String>,
    /// What could not be told about this node.
    pub gaps: Vec<String>,
}

/// A pod scheduled on a node that the snapshot knows.
#[derive(Debug, Clone, Copy)]
pub struct PodReach {
    pub pod: usize,
    pub node: usize,
    /// `Some(true)`: obtains the node role; `None`: cannot be told.
    pub reaches: Option<bool>,
}

#[derive(Debug, Default)]
pub struct NodeReach {
    pub nodes: Vec<NodeAccess>,
    by_name: HashMap<String, usize>,
    /// Running (or pending, scheduled) pods with a `nodeName`.
    pub pods: Vec<PodReach>,
    /// Pods whose node is not in the snapshot.
    pub pods_on_unknown_nodes: usize,
    /// Whether a network policy engine runs (a NetworkPolicy, not in the
    /// snapshot, could block 169.254.169.254): its pods, as evidence.
    pub policy_engine: Option<String>,
}

impl NodeReach {
    pub fn node_named(&self, name: &str) -> Option<&NodeAccess> {
        self.by_name.get(name).map(|&i| &self.nodes[i])
    }

    /// The node a pod runs on and whether it obtains the node role there.
    pub fn of_pod(&self, pod: usize) -> Option<(&NodeAccess, Option<bool>)> {
        let i = self.pods.binary_search_by_key(&pod, |p| p.pod).ok()?;
        let p = self.pods[i];
        Some((&self.nodes[p.node], p.reaches))
    }

    /// Node roles that a new pod in a namespace could obtain, by the pod's
    /// network: the roles of nodes where any pod reaches IMDS (IMDSv1 or a
    /// hop limit of 2+), and with `host_network` also those where only
    /// host-network pods do. Distinct, sorted by ARN.
    pub fn roles_for_new_pod(&self, host_network: bool) -> Vec<&NodeAccess> {
        let mut seen: std::collections::BTreeMap<String, &NodeAccess> = Default::default();
        for n in &self.nodes {
            if n.imds.reaches(host_network) == Some(true)
                && let Some(r) = &n.role
            {
                seen.entry(r.to_ascii_lowercase()).or_insert(n);
            }
        }
        seen.into_values().collect()
    }
}

/// Pods that have ended do not run anything.
fn running(p: &Pod) -> bool {
    !matches!(p.phase.as_deref(), Some("Succeeded") | Some("Failed"))
}

/// The pod-security label that decides whether a namespace admits host-network
/// pods: `baseline` and `restricted` forbid host namespaces, `privileged` (and
/// no label, Kubernetes' default) allows them
/// (<https://kubernetes.io/docs/concepts/security/pod-security-standards/>).
pub const PSA_ENFORCE: &str = "pod-security.kubernetes.io/enforce";

/// Whether Pod Security admission lets a namespace run `hostNetwork: true` pods.
pub fn psa_allows_host_network(inv: &Inventory, namespace: &str) -> (bool, String) {
    let level = inv
        .namespaces
        .iter()
        .find(|n| n.name == namespace)
        .and_then(|n| n.labels.get(PSA_ENFORCE))
        .map(|s| s.trim().to_ascii_lowercase());
    match level.as_deref() {
        Some("baseline") | Some("restricted") => (
            false,
            format!(
                "namespace {namespace} enforces Pod Security {} (no host network)",
                level.as_deref().unwrap_or_default()
            ),
        ),
        Some(l) => (
            true,
            format!("namespace {namespace} enforces Pod Security {l}, which allows hostNetwork"),
        ),
        None => (
            true,
            format!(
                "namespace {namespace} has no {PSA_ENFORCE} label (the cluster default, privileged unless its admission configuration says otherwise, allows hostNetwork)"
            ),
        ),
    }
}

fn node_class_for(inv: &Inventory, node: &Node) -> Option<String> {
    node.nodeclass_label().map(str::to_string).or_else(|| {
        let pool = node.nodepool()?;
        inv.node_pools
            .iter()
            .find(|p| p.name == pool)
            .and_then(|p| p.node_class.clone())
    })
}

/// The role in an instance profile named by ARN (path-insensitive: matched by name too).
fn role_of_profile(inv: &Inventory, arn_or_name: &str) -> Option<String> {
    let name = arn_or_name.rsplit('/').next().unwrap_or(arn_or_name);
    inv.iam
        .instance_profiles
        .iter()
        .find(|p| p.arn.eq_ignore_ascii_case(arn_or_name) || p.name == name)
        .and_then(|p| p.roles.first().cloned())
}

fn role_named(inv: &Inventory, name: &str) -> Option<String> {
    let name = name.rsplit('/').next().unwrap_or(name);
    inv.iam
        .roles
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(name))
        .map(|r| r.arn.clone())
        .or_else(|| {
            inv.account
                .as_deref()
                .map(|a| format!("arn:aws:iam::{a}:role/{name}"))
        })
}

/// Join nodes, instances, node groups, launch templates, node classes and
/// instance profiles; then every scheduled pod with its node.
pub fn node_reach(inv: &Inventory) -> NodeReach {
    let instances: HashMap<&str, usize> = inv
        .ec2_instances
        .iter()
        .enumerate()
        .map(|(i, x)| (x.instance_id.as_str(), i))
        .collect();
    let ec2_seen = inv.seen(crate::source::snapshot::SRC_EC2);
    let mut out = NodeReach::default();
    for (ni, node) in inv.nodes.iter().enumerate() {
        let access = node_access(inv, &instances, ec2_seen, ni, node);
        out.by_name.insert(node.name.clone(), out.nodes.len());
        out.nodes.push(access);
    }
    scheduled_pods(inv, &mut out);
    out.policy_engine = policy_engine(inv);
    out
}

/// One node joined with its instance, node group, launch template, node
/// class and role: its metadata options, where they come from, and the gaps.
fn node_access(
    inv: &Inventory,
    instances: &HashMap<&str, usize>,
    ec2_seen: bool,
    ni: usize,
    node: &Node,
) -> NodeAccess {
    let instance_id = node.instance_id().map(str::to_string);
    let instance = instance_id
        .as_deref()
        .and_then(|id| instances.get(id))
        .map(|&i| &inv.ec2_instances[i]);
    let mut gaps = Vec::new();
    let nodegroup = node
        .nodegroup()
        .and_then(|g| inv.nodegroups.iter().find(|n| n.name == g));
    let class_name = node_class_for(inv, node);
    let class = class_name
        .as_deref()
        .and_then(|c| inv.node_classes.iter().find(|n| n.name == c));
    let group = group_key(node, instance, class_name.as_deref());
    let template = launch_template(inv, nodegroup);
    let template_options = template.and_then(|t| {
        t.metadata.clone().map(|m| {
            (
                m,
                Origin::LaunchTemplate {
                    id: t.id.clone(),
                    version: t.version.clone().unwrap_or_default(),
                },
            )
        })
    });
    let class_options = class.map(|c| {
        (
            karpenter_defaults(c.metadata.as_ref()),
            Origin::NodeClass {
                name: c.name.clone(),
                defaults: c.metadata.is_none(),
            },
        )
    });
    let options = match instance.and_then(|i| i.metadata.clone()) {
        Some(m) => Some((m, Origin::Instance(instance_id.clone().unwrap_or_default()))),
        None => {
            gaps.push(instance_options_gap(
                node,
                instance_id.as_deref(),
                instance,
                ec2_seen,
            ));
            template_options.clone().or_else(|| class_options.clone())
        }
    };
    let template_v1 = template_options
        .iter()
        .chain(class_options.iter())
        .find(|(m, _)| Imds::of(m) == Imds::V1)
        .map(|(m, o)| format!("{}: {}", o.source(), m.describe()));
    let imds = match &options {
        Some((m, _)) => Imds::of(m),
        None => Imds::Unknown,
    };
    if options.is_none() {
        gaps.push(format!(
            "node {}: metadata options unknown (no instance, launch template or EC2NodeClass data)",
            node.name
        ));
    } else if imds == Imds::Unknown {
        gaps.push(format!(
            "node {}: HttpTokens not stated, so whether IMDSv1 is allowed is unknown",
            node.name
        ));
    }
    let (role, role_via) = node_role(inv, node, instance, nodegroup, class, &group, &mut gaps);
    if role.is_none() && imds != Imds::Disabled {
        gaps.push(format!("node {}: its IAM role is unknown", node.name));
    }
    NodeAccess {
        node: ni,
        name: node.name.clone(),
        instance_id,
        group,
        options,
        imds,
        role,
        role_via,
        template_v1,
        gaps,
    }
}

/// The node group a node is counted in: its EKS node group, else its
/// Karpenter class or pool, else its instance profile.
fn group_key(node: &Node, instance: Option<&Ec2Instance>, class_name: Option<&str>) -> GroupKey {
    if let Some(g) = node.nodegroup() {
        GroupKey {
            name: g.to_string(),
            source: "eks-nodegroup",
        }
    } else if node.nodepool().is_some() || class_name.is_some() {
        GroupKey {
            name: class_name
                .map(str::to_string)
                .or_else(|| node.nodepool().map(str::to_string))
                .unwrap_or_default(),
            source: "karpenter",
        }
    } else {
        GroupKey {
            name: instance
                .and_then(|i| i.instance_profile_arn.as_deref())
                .and_then(|a| a.rsplit('/').next())
                .unwrap_or("(no node group)")
                .to_string(),
            source: "instances",
        }
    }
}

/// The launch template version a managed node group names.
fn launch_template<'a>(
    inv: &'a Inventory,
    nodegroup: Option<&NodeGroup>,
) -> Option<&'a LaunchTemplateVersion> {
    nodegroup.and_then(|g| {
        let id = g.launch_template_id.as_deref();
        let name = g.launch_template_name.as_deref();
        let version = g.launch_template_version.as_deref();
        inv.launch_template_versions.iter().find(|t| {
            (id == Some(t.id.as_str()) || (name.is_some() && name == t.name.as_deref()))
                && match version {
                    Some("$Default") | None => t.default_version,
                    Some(v) => t.version.as_deref() == Some(v),
                }
        })
    })
}

/// Why the running instance's metadata options are not known.
fn instance_options_gap(
    node: &Node,
    instance_id: Option<&str>,
    instance: Option<&Ec2Instance>,
    ec2_seen: bool,
) -> String {
    match (instance_id, instance) {
        (None, _) => format!(
            "node {} has no EC2 instance ID in spec.providerID",
            node.name
        ),
        (Some(id), None) if ec2_seen => format!(
            "instance {id} of node {} is not in {}",
            node.name,
            crate::source::snapshot::EC2_FILE
        ),
        (Some(_), None) => format!(
            "{} not in snapshot: node {}'s metadata options are taken from its template, if any",
            crate::source::snapshot::EC2_FILE,
            node.name
        ),
        (Some(id), Some(_)) => format!("instance {id} has no MetadataOptions"),
    }
}

/// The node role and how it was found: the instance's profile, else the node
/// group's or class's.
fn node_role(
    inv: &Inventory,
    node: &Node,
    instance: Option<&Ec2Instance>,
    nodegroup: Option<&NodeGroup>,
    class: Option<&NodeClass>,
    group: &GroupKey,
    gaps: &mut Vec<String>,
) -> (Option<String>, String) {
    if let Some(p) = instance.and_then(|i| i.instance_profile_arn.as_deref()) {
        match role_of_profile(inv, p) {
            Some(r) => (Some(r), format!("instance profile {p}")),
            None => {
                gaps.push(format!(
                    "instance profile {p} of node {} is not in iam.json (InstanceProfileList), so its role is unknown",
                    node.name
                ));
                (None, format!("instance profile {p} (role unknown)"))
            }
        }
    } else if let Some(r) = nodegroup.and_then(|g| g.node_role.clone()) {
        (Some(r), format!("node group {} nodeRole", group.name))
    } else if let Some(c) = class {
        match (&c.role, &c.instance_profile) {
            (Some(r), _) => (
                role_named(inv, r),
                format!("EC2NodeClass {} spec.role", c.name),
            ),
            (None, Some(p)) => (
                role_of_profile(inv, p),
                format!("EC2NodeClass {} spec.instanceProfile {p}", c.name),
            ),
            (None, None) => (None, format!("EC2NodeClass {} names no role", c.name)),
        }
    } else {
        (
            None,
            "no instance, node group or EC2NodeClass names a role".to_string(),
        )
    }
}

/// Every running pod with a `nodeName`, with its node and whether it reaches IMDS there.
fn scheduled_pods(inv: &Inventory, out: &mut NodeReach) {
    for (pi, pod) in inv.pods.iter().enumerate() {
        let Some(node) = pod.node_name.as_deref().filter(|_| running(pod)) else {
            continue;
        };
        match out.by_name.get(node) {
            Some(&n) => out.pods.push(PodReach {
                pod: pi,
                node: n,
                reaches: out.nodes[n].imds.reaches(pod.host_network),
            }),
            None => out.pods_on_unknown_nodes += 1,
        }
    }
}

/// A NetworkPolicy engine means a policy the snapshot does not hold could
/// block 169.254.169.254 for pods on the pod network.
fn policy_engine(inv: &Inventory) -> Option<String> {
    inv.pods
        .iter()
        .filter(|p| {
            p.namespace == "kube-system"
                && (p.name.starts_with("calico-node")
                    || p.name.starts_with("cilium")
                    || p.containers
                        .iter()
                        .any(|c| c.name == "aws-network-policy-agent"))
        })
        .min_by_key(|p| p.name.as_str())
        .map(|p| format!("pod kube-system/{} enforces NetworkPolicies", p.name))
}

/// What the join could not tell, for coverage (added while the inventory is
/// read, by `ReadCheck`): one line per kind of gap, with a few examples,
/// whatever the number of nodes.
pub fn coverage_gaps(inv: &Inventory) -> Vec<String> {
    if inv.nodes.is_empty() {
        return Vec::new();
    }
    let reach = node_reach(inv);
    let mut lines = Vec::new();
    let gaps: Vec<&String> = reach.nodes.iter().flat_map(|n| n.gaps.iter()).collect();
    if !gaps.is_empty() {
        let shown: Vec<&str> = gaps.iter().take(3).map(|s| s.as_str()).collect();
        let more = gaps.len().saturating_sub(shown.len());
        lines.push(format!(
            "node IMDS reach not fully known ({} gap(s)): {}{}",
            gaps.len(),
            shown.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    if reach.pods_on_unknown_nodes > 0 {
        lines.push(format!(
            "{} pod(s) run on nodes that are not in the snapshot: whether they reach a node role is not judged",
            reach.pods_on_unknown_nodes
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(endpoint: Option<&str>, tokens: Option<&str>, hop: Option<i64>) -> MetadataOptions {
        MetadataOptions {
            http_endpoint: endpoint.map(str::to_string),
            http_tokens: tokens.map(str::to_string),
            hop_limit: hop,
        }
    }

    /// Every combination of the three options, against the EC2 API reference
    /// (API_InstanceMetadataOptionsRequest) and the EKS best-practices guide.
    #[test]
    fn metadata_option_combinations_per_aws_docs() {
        // (endpoint, tokens, hop) -> (ordinary pod, host-network pod)
        type Row<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Option<i64>,
            Option<bool>,
            Option<bool>,
        );
        let table: &[Row] = &[
            // IMDSv1 allowed: no token, so the hop limit does not matter.
            (
                Some("enabled"),
                Some("optional"),
                Some(1),
                Some(true),
                Some(true),
            ),
            (
                Some("enabled"),
                Some("optional"),
                Some(2),
                Some(true),
                Some(true),
            ),
            // IMDSv2 only: the hop limit decides for pod-network pods.
            (
                Some("enabled"),
                Some("required"),
                Some(1),
                Some(false),
                Some(true),
            ),
            (
                Some("enabled"),
                Some("required"),
                Some(2),
                Some(true),
                Some(true),
            ),
            (
                Some("enabled"),
                Some("required"),
                Some(64),
                Some(true),
                Some(true),
            ),
            // Default hop limit is 1.
            (
                Some("enabled"),
                Some("required"),
                None,
                Some(false),
                Some(true),
            ),
            // Default endpoint is enabled.
            (None, Some("optional"), None, Some(true), Some(true)),
            // Endpoint disabled: nobody, whatever else is set.
            (
                Some("disabled"),
                Some("optional"),
                Some(2),
                Some(false),
                Some(false),
            ),
            (Some("disabled"), None, None, Some(false), Some(false)),
            // Tokens not stated: unknown, never "safe".
            (Some("enabled"), None, Some(1), None, None),
            (Some("enabled"), Some("sometimes"), Some(1), None, None),
            // Case as EC2 prints it or not.
            (
                Some("Enabled"),
                Some("Required"),
                Some(1),
                Some(false),
                Some(true),
            ),
        ];
        for (e, t, h, pod, host) in table {
            let m = opts(*e, *t, *h);
            let imds = Imds::of(&m);
            assert_eq!(imds.reaches(false), *pod, "pod network, {}", m.describe());
            assert_eq!(imds.reaches(true), *host, "host network, {}", m.describe());
        }
    }

    /// Karpenter's documented defaults apply field by field
    /// (karpenter.sh/docs/concepts/nodeclasses/#specmetadataoptions).
    #[test]
    fn karpenter_defaults_are_imdsv2_hop_1() {
        assert_eq!(Imds::of(&karpenter_defaults(None)), Imds::HostOnly);
        let only_hops = opts(None, None, Some(2));
        assert_eq!(
            Imds::of(&karpenter_defaults(Some(&only_hops))),
            Imds::V2Hops(2)
        );
        let v1 = opts(None, Some("optional"), None);
        assert_eq!(Imds::of(&karpenter_defaults(Some(&v1))), Imds::V1);
    }
}
