//! Nodes and what gives them an IAM role: Kubernetes `Node` objects, Karpenter's
//! `EC2NodeClass`/`NodePool`, EC2 instances, EKS managed node groups and their
//! launch templates, IAM instance profiles.

use std::collections::BTreeMap;

/// The label EKS puts on the nodes of a managed node group.
pub const NODEGROUP_LABEL: &str = "eks.amazonaws.com/nodegroup";
/// The label Karpenter puts on the nodes it launches (v1; `karpenter.sh/provisioner-name` before).
pub const NODEPOOL_LABEL: &str = "karpenter.sh/nodepool";
/// The label Karpenter (AWS provider) puts on a node: the EC2NodeClass it was launched from.
pub const NODECLASS_LABEL: &str = "karpenter.k8s.aws/ec2nodeclass";

/// A Kubernetes node.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub name: String,
    /// `spec.providerID`, e.g. `aws:///us-east-1a/i-0abc…`.
    pub provider_id: Option<String>,
    pub labels: BTreeMap<String, String>,
}

impl Node {
    /// The EC2 instance ID of `spec.providerID` (`aws:///ZONE/i-…`), when it names one.
    pub fn instance_id(&self) -> Option<&str> {
        let id = self.provider_id.as_deref()?.trim();
        let id = id.strip_prefix("aws://")?;
        let last = id.rsplit('/').next()?;
        last.starts_with("i-").then_some(last)
    }
    pub fn nodegroup(&self) -> Option<&str> {
        self.labels.get(NODEGROUP_LABEL).map(String::as_str)
    }
    pub fn nodepool(&self) -> Option<&str> {
        self.labels.get(NODEPOOL_LABEL).map(String::as_str)
    }
    pub fn nodeclass_label(&self) -> Option<&str> {
        self.labels.get(NODECLASS_LABEL).map(String::as_str)
    }
}

/// Instance metadata options as EC2 (`MetadataOptions`), a launch template
/// (`LaunchTemplateData.MetadataOptions`) or an EC2NodeClass
/// (`spec.metadataOptions`, camelCase) states them. `None` where not stated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataOptions {
    /// `enabled` or `disabled`.
    pub http_endpoint: Option<String>,
    /// `optional` (IMDSv1 allowed) or `required` (IMDSv2 only).
    pub http_tokens: Option<String>,
    pub hop_limit: Option<i64>,
}

impl MetadataOptions {
    /// `HttpTokens=required, HttpPutResponseHopLimit=1, HttpEndpoint=enabled`, unstated fields left out.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.http_tokens {
            parts.push(format!("HttpTokens={t}"));
        }
        if let Some(h) = self.hop_limit {
            parts.push(format!("HttpPutResponseHopLimit={h}"));
        }
        if let Some(e) = &self.http_endpoint {
            parts.push(format!("HttpEndpoint={e}"));
        }
        if parts.is_empty() {
            "no metadata options stated".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// A Karpenter `EC2NodeClass` (cluster-scoped).
#[derive(Debug, Clone, Default)]
pub struct NodeClass {
    pub name: String,
    /// `spec.role`: an IAM role name (Karpenter creates the instance profile).
    pub role: Option<String>,
    /// `spec.instanceProfile`: an existing instance profile's name.
    pub instance_profile: Option<String>,
    /// `spec.metadataOptions`; `None` when the object does not set it (Karpenter's defaults apply).
    pub metadata: Option<MetadataOptions>,
}

/// A Karpenter `NodePool`: which EC2NodeClass its nodes come from.
#[derive(Debug, Clone, Default)]
pub struct NodePool {
    pub name: String,
    /// `spec.template.spec.nodeClassRef.name`.
    pub node_class: Option<String>,
}

/// One EC2 instance of `DescribeInstances`.
#[derive(Debug, Clone, Default)]
pub struct Ec2Instance {
    pub instance_id: String,
    /// `IamInstanceProfile.Arn`.
    pub instance_profile_arn: Option<String>,
    /// `MetadataOptions`; `None` when the output has none.
    pub metadata: Option<MetadataOptions>,
    /// `State.Name` (running, stopped, …).
    pub state: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// An EKS managed node group (`describe-nodegroup`).
#[derive(Debug, Clone, Default)]
pub struct NodeGroup {
    pub name: String,
    pub node_role: Option<String>,
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    pub launch_template_version: Option<String>,
}

/// One launch template version (`DescribeLaunchTemplateVersions`).
#[derive(Debug, Clone, Default)]
pub struct LaunchTemplateVersion {
    pub id: String,
    pub name: Option<String>,
    pub version: Option<String>,
    pub default_version: bool,
    /// `LaunchTemplateData.MetadataOptions`; `None` when the template does not set it.
    pub metadata: Option<MetadataOptions>,
}

/// An IAM instance profile and the roles in it.
#[derive(Debug, Clone, Default)]
pub struct InstanceProfile {
    pub arn: String,
    pub name: String,
    /// Role ARNs.
    pub roles: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_id_from_provider_id() {
        let n = |p: &str| Node {
            provider_id: Some(p.into()),
            ..Node::default()
        };
        assert_eq!(
            n("aws:///us-east-1a/i-0123456789abcdef0").instance_id(),
            Some("i-0123456789abcdef0")
        );
        // Fargate and other providers name no instance.
        assert_eq!(
            n("aws:///us-east-1a/fargate-ip-10-0-1-2").instance_id(),
            None
        );
        assert_eq!(
            n("kind://docker/kind/kind-control-plane").instance_id(),
            None
        );
    }
}
