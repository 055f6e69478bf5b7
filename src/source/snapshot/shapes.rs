//! The typed shapes Kubernetes objects are read through: only the fields the
//! rules use (metadata, owners, pod specs, workload templates, RBAC rules,
//! selectors, bindings, Secret and ConfigMap metadata), with serde defaults so
//! that a missing field reads as absent.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct NodeLite {
    #[serde(default)]
    pub(super) spec: Option<NodeSpecLite>,
}

#[derive(Deserialize, Default)]
pub(super) struct NodeSpecLite {
    #[serde(default, rename = "providerID")]
    pub(super) provider_id: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct NodeClassLite {
    #[serde(default)]
    pub(super) spec: Option<NodeClassSpecLite>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct NodeClassSpecLite {
    #[serde(default)]
    pub(super) role: Option<String>,
    #[serde(default)]
    pub(super) instance_profile: Option<String>,
    #[serde(default)]
    pub(super) metadata_options: Option<MetadataOptionsLite>,
}

/// `spec.metadataOptions` of an EC2NodeClass (camelCase, as Karpenter spells it).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct MetadataOptionsLite {
    #[serde(default)]
    pub(super) http_endpoint: Option<String>,
    #[serde(default)]
    pub(super) http_tokens: Option<String>,
    #[serde(default)]
    pub(super) http_put_response_hop_limit: Option<i64>,
}

#[derive(Deserialize, Default)]
pub(super) struct NodePoolLite {
    #[serde(default)]
    pub(super) spec: Option<NodePoolSpecLite>,
}

#[derive(Deserialize, Default)]
pub(super) struct NodePoolSpecLite {
    #[serde(default)]
    pub(super) template: Option<NodePoolTemplateLite>,
}

#[derive(Deserialize, Default)]
pub(super) struct NodePoolTemplateLite {
    #[serde(default)]
    pub(super) spec: Option<NodePoolTemplateSpecLite>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct NodePoolTemplateSpecLite {
    #[serde(default)]
    pub(super) node_class_ref: Option<RefLite>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Meta {
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) namespace: Option<String>,
    #[serde(default)]
    pub(super) labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(super) annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(super) creation_timestamp: Option<String>,
    #[serde(default)]
    pub(super) owner_references: Option<Vec<OwnerRef>>,
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct OwnerRef {
    #[serde(default)]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) name: Option<String>,
}

/// Kind and metadata only: every other field (a Secret's `data` among them) is skipped.
#[derive(Deserialize)]
pub(super) struct Head {
    #[serde(default)]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) metadata: Option<Meta>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct PodSpecLite {
    #[serde(default)]
    pub(super) service_account_name: Option<String>,
    #[serde(default)]
    pub(super) service_account: Option<String>,
    #[serde(default)]
    pub(super) containers: Option<Vec<ContainerLite>>,
    #[serde(default)]
    pub(super) node_name: Option<String>,
    #[serde(default)]
    pub(super) host_network: Option<bool>,
}

impl PodSpecLite {
    pub(super) fn service_account(&self) -> String {
        self.service_account_name
            .clone()
            .or_else(|| self.service_account.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "default".to_string())
    }
}

#[derive(Deserialize, Default)]
pub(super) struct ContainerLite {
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) command: Option<Vec<String>>,
    #[serde(default)]
    pub(super) args: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
pub(super) struct PodStatusLite {
    #[serde(default)]
    pub(super) phase: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct PodLite {
    #[serde(default)]
    pub(super) spec: Option<PodSpecLite>,
    #[serde(default)]
    pub(super) status: Option<PodStatusLite>,
}

#[derive(Deserialize, Default)]
pub(super) struct TemplateLite {
    #[serde(default)]
    pub(super) spec: Option<PodSpecLite>,
}

#[derive(Deserialize, Default)]
pub(super) struct JobSpecLite {
    #[serde(default)]
    pub(super) template: Option<TemplateLite>,
}

#[derive(Deserialize, Default)]
pub(super) struct JobTemplateLite {
    #[serde(default)]
    pub(super) spec: Option<JobSpecLite>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct WorkloadSpecLite {
    #[serde(default)]
    pub(super) template: Option<TemplateLite>,
    #[serde(default)]
    pub(super) job_template: Option<JobTemplateLite>,
}

#[derive(Deserialize, Default)]
pub(super) struct WorkloadLite {
    #[serde(default)]
    pub(super) spec: Option<WorkloadSpecLite>,
}

#[derive(Deserialize, Default)]
pub(super) struct RuleLite {
    #[serde(default, rename = "apiGroups")]
    api_groups: Option<Vec<String>>,
    #[serde(default)]
    resources: Option<Vec<String>>,
    #[serde(default, rename = "resourceNames")]
    resource_names: Option<Vec<String>>,
    #[serde(default, rename = "nonResourceURLs")]
    non_resource_urls: Option<Vec<String>>,
    #[serde(default)]
    verbs: Option<Vec<String>>,
}

impl RuleLite {
    pub(super) fn into_rule(self) -> PolicyRule {
        PolicyRule {
            api_groups: self.api_groups.unwrap_or_default(),
            resources: self.resources.unwrap_or_default(),
            resource_names: self.resource_names.unwrap_or_default(),
            non_resource_urls: self.non_resource_urls.unwrap_or_default(),
            verbs: self.verbs.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct SelectorRequirementLite {
    pub(super) key: String,
    pub(super) operator: String,
    #[serde(default)]
    pub(super) values: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct SelectorLite {
    #[serde(default)]
    pub(super) match_labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(super) match_expressions: Option<Vec<SelectorRequirementLite>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct AggregationLite {
    #[serde(default)]
    pub(super) cluster_role_selectors: Option<Vec<SelectorLite>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RoleLite {
    #[serde(default)]
    pub(super) rules: Option<Vec<RuleLite>>,
    #[serde(default)]
    pub(super) aggregation_rule: Option<AggregationLite>,
}

#[derive(Deserialize, Default)]
pub(super) struct RefLite {
    #[serde(default)]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) namespace: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct BindingLite {
    #[serde(default)]
    pub(super) role_ref: Option<RefLite>,
    #[serde(default)]
    pub(super) subjects: Option<Vec<RefLite>>,
}

#[derive(Deserialize, Default)]
pub(super) struct SecretLite {
    #[serde(default, rename = "type")]
    pub(super) type_: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct ConfigMapLite {
    #[serde(default)]
    pub(super) data: Option<BTreeMap<String, String>>,
}
