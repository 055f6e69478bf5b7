//! SDK types written as the JSON the `aws` CLI prints, so that the snapshot
//! reader parses live answers and files alike: a small object builder and the
//! IAM, EKS and EC2 shapes.

use super::*;

// ---------------------------------------------------------------- JSON shapes

/// A JSON object built field by field; absent values are left out, as the CLI does.
#[derive(Default)]
pub(super) struct Obj(Map<String, Value>);

impl Obj {
    pub(super) fn new() -> Obj {
        Obj::default()
    }

    pub(super) fn s(mut self, k: &str, v: Option<&str>) -> Obj {
        if let Some(v) = v {
            self.0.insert(k.to_string(), Value::String(v.to_string()));
        }
        self
    }

    pub(super) fn b(mut self, k: &str, v: Option<bool>) -> Obj {
        if let Some(v) = v {
            self.0.insert(k.to_string(), Value::Bool(v));
        }
        self
    }

    pub(super) fn i(mut self, k: &str, v: Option<i32>) -> Obj {
        if let Some(v) = v {
            self.0.insert(k.to_string(), Value::from(v));
        }
        self
    }

    pub(super) fn d(mut self, k: &str, v: Option<&DateTime>) -> Obj {
        if let Some(s) = v.and_then(|d| d.fmt(DateTimeFormat::DateTime).ok()) {
            self.0.insert(k.to_string(), Value::String(s));
        }
        self
    }

    pub(super) fn v(mut self, k: &str, v: Value) -> Obj {
        self.0.insert(k.to_string(), v);
        self
    }

    pub(super) fn opt(self, k: &str, v: Option<Value>) -> Obj {
        match v {
            Some(v) => self.v(k, v),
            None => self,
        }
    }

    pub(super) fn strs(self, k: &str, v: &[String]) -> Obj {
        self.v(k, json!(v))
    }

    pub(super) fn doc(self, k: &str, v: Option<&str>) -> Obj {
        let d = v.map(document);
        self.opt(k, d)
    }

    pub(super) fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// A policy document as the CLI prints it: the API's URL-encoded JSON, decoded
/// to an object; kept as the raw string when it is not JSON (the reader says so).
pub(super) fn document(raw: &str) -> Value {
    let text = if raw.trim_start().starts_with('{') {
        raw.to_string()
    } else {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned()
    };
    serde_json::from_str::<Value>(&text)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::String(raw.to_string()))
}

pub(super) mod iam_json {
    use super::*;
    use aws_sdk_iam::types as t;

    pub fn tags(v: &[t::Tag]) -> Value {
        Value::Array(
            v.iter()
                .map(|t| json!({"Key": t.key(), "Value": t.value()}))
                .collect(),
        )
    }
    pub fn inline(p: &t::PolicyDetail) -> Value {
        Obj::new()
            .s("PolicyName", p.policy_name())
            .doc("PolicyDocument", p.policy_document())
            .done()
    }
    pub fn attached(p: &t::AttachedPolicy) -> Value {
        Obj::new()
            .s("PolicyName", p.policy_name())
            .s("PolicyArn", p.policy_arn())
            .done()
    }
    pub fn boundary(b: Option<&t::AttachedPermissionsBoundary>) -> Option<Value> {
        b.map(|b| {
            Obj::new()
                .s(
                    "PermissionsBoundaryType",
                    b.permissions_boundary_type().map(|t| t.as_str()),
                )
                .s("PermissionsBoundaryArn", b.permissions_boundary_arn())
                .done()
        })
    }
    pub fn last_used(l: Option<&t::RoleLastUsed>) -> Option<Value> {
        l.map(|l| {
            Obj::new()
                .d("LastUsedDate", l.last_used_date())
                .s("Region", l.region())
                .done()
        })
    }
    pub fn instance_profiles(v: &[t::InstanceProfile]) -> Value {
        Value::Array(
            v.iter()
                .map(|p| {
                    Obj::new()
                        .s("Path", Some(p.path()))
                        .s("InstanceProfileName", Some(p.instance_profile_name()))
                        .s("InstanceProfileId", Some(p.instance_profile_id()))
                        .s("Arn", Some(p.arn()))
                        .d("CreateDate", Some(p.create_date()))
                        .done()
                })
                .collect(),
        )
    }
    pub fn role(r: &t::RoleDetail) -> Value {
        Obj::new()
            .s("Path", r.path())
            .s("RoleName", r.role_name())
            .s("RoleId", r.role_id())
            .s("Arn", r.arn())
            .d("CreateDate", r.create_date())
            .doc("AssumeRolePolicyDocument", r.assume_role_policy_document())
            .v(
                "InstanceProfileList",
                instance_profiles(r.instance_profile_list()),
            )
            .v(
                "RolePolicyList",
                Value::Array(r.role_policy_list().iter().map(inline).collect()),
            )
            .v(
                "AttachedManagedPolicies",
                Value::Array(r.attached_managed_policies().iter().map(attached).collect()),
            )
            .opt("PermissionsBoundary", boundary(r.permissions_boundary()))
            .v("Tags", tags(r.tags()))
            .opt("RoleLastUsed", last_used(r.role_last_used()))
            .done()
    }
    pub fn user(u: &t::UserDetail) -> Value {
        Obj::new()
            .s("Path", u.path())
            .s("UserName", u.user_name())
            .s("UserId", u.user_id())
            .s("Arn", u.arn())
            .d("CreateDate", u.create_date())
            .v(
                "UserPolicyList",
                Value::Array(u.user_policy_list().iter().map(inline).collect()),
            )
            .strs("GroupList", u.group_list())
            .v(
                "AttachedManagedPolicies",
                Value::Array(u.attached_managed_policies().iter().map(attached).collect()),
            )
            .opt("PermissionsBoundary", boundary(u.permissions_boundary()))
            .v("Tags", tags(u.tags()))
            .done()
    }
    pub fn group(g: &t::GroupDetail) -> Value {
        Obj::new()
            .s("Path", g.path())
            .s("GroupName", g.group_name())
            .s("GroupId", g.group_id())
            .s("Arn", g.arn())
            .d("CreateDate", g.create_date())
            .v(
                "GroupPolicyList",
                Value::Array(g.group_policy_list().iter().map(inline).collect()),
            )
            .v(
                "AttachedManagedPolicies",
                Value::Array(g.attached_managed_policies().iter().map(attached).collect()),
            )
            .done()
    }
    pub fn version(v: &t::PolicyVersion) -> Value {
        Obj::new()
            .doc("Document", v.document())
            .s("VersionId", v.version_id())
            .b("IsDefaultVersion", Some(v.is_default_version()))
            .d("CreateDate", v.create_date())
            .done()
    }
    pub fn policy(p: &t::ManagedPolicyDetail) -> Value {
        Obj::new()
            .s("PolicyName", p.policy_name())
            .s("PolicyId", p.policy_id())
            .s("Arn", p.arn())
            .s("Path", p.path())
            .s("DefaultVersionId", p.default_version_id())
            .i("AttachmentCount", p.attachment_count())
            .i(
                "PermissionsBoundaryUsageCount",
                p.permissions_boundary_usage_count(),
            )
            .b("IsAttachable", Some(p.is_attachable()))
            .s("Description", p.description())
            .d("CreateDate", p.create_date())
            .d("UpdateDate", p.update_date())
            .v(
                "PolicyVersionList",
                Value::Array(p.policy_version_list().iter().map(version).collect()),
            )
            .done()
    }
}

pub(super) mod eks_json {
    use super::*;
    use aws_sdk_eks::types as t;
    use std::collections::HashMap;

    fn tags(v: Option<&HashMap<String, String>>) -> Value {
        let sorted: std::collections::BTreeMap<_, _> = v.into_iter().flatten().collect();
        json!(sorted)
    }

    pub fn cluster(c: &t::Cluster) -> Value {
        let vpc = c.resources_vpc_config().map(|v| {
            Obj::new()
                .strs("subnetIds", v.subnet_ids())
                .strs("securityGroupIds", v.security_group_ids())
                .s("clusterSecurityGroupId", v.cluster_security_group_id())
                .s("vpcId", v.vpc_id())
                .b("endpointPublicAccess", Some(v.endpoint_public_access()))
                .b("endpointPrivateAccess", Some(v.endpoint_private_access()))
                .strs("publicAccessCidrs", v.public_access_cidrs())
                .done()
        });
        let net = c.kubernetes_network_config().map(|n| {
            Obj::new()
                .s("serviceIpv4Cidr", n.service_ipv4_cidr())
                .s("serviceIpv6Cidr", n.service_ipv6_cidr())
                .s("ipFamily", n.ip_family().map(|f| f.as_str()))
                .done()
        });
        let logging = c.logging().map(|l| {
            json!({
                "clusterLogging": l.cluster_logging().iter().map(|s| {
                    Obj::new()
                        .v("types", json!(s.types().iter().map(|t| t.as_str()).collect::<Vec<_>>()))
                        .b("enabled", s.enabled())
                        .done()
                }).collect::<Vec<_>>()
            })
        });
        let identity = c.identity().map(|i| {
            Obj::new()
                .opt(
                    "oidc",
                    i.oidc().map(|o| Obj::new().s("issuer", o.issuer()).done()),
                )
                .done()
        });
        let access = c.access_config().map(|a| {
            Obj::new()
                .b(
                    "bootstrapClusterCreatorAdminPermissions",
                    a.bootstrap_cluster_creator_admin_permissions(),
                )
                .s(
                    "authenticationMode",
                    a.authentication_mode().map(|m| m.as_str()),
                )
                .done()
        });
        let cluster = Obj::new()
            .s("name", c.name())
            .s("arn", c.arn())
            .d("createdAt", c.created_at())
            .s("version", c.version())
            .s("endpoint", c.endpoint())
            .s("roleArn", c.role_arn())
            .opt("resourcesVpcConfig", vpc)
            .opt("kubernetesNetworkConfig", net)
            .opt("logging", logging)
            .opt("identity", identity)
            .s("status", c.status().map(|s| s.as_str()))
            .opt(
                "certificateAuthority",
                c.certificate_authority()
                    .map(|ca| Obj::new().s("data", ca.data()).done()),
            )
            .s("platformVersion", c.platform_version())
            .v("tags", tags(c.tags()))
            .opt("accessConfig", access)
            .done();
        json!({ "cluster": cluster })
    }

    pub fn access_entry(e: &t::AccessEntry, policies: Vec<Value>) -> Value {
        Obj::new()
            .s("clusterName", e.cluster_name())
            .s("principalArn", e.principal_arn())
            .strs("kubernetesGroups", e.kubernetes_groups())
            .s("accessEntryArn", e.access_entry_arn())
            .d("createdAt", e.created_at())
            .d("modifiedAt", e.modified_at())
            .v("tags", tags(e.tags()))
            .s("username", e.username())
            .s("type", e.r#type())
            .v("associatedAccessPolicies", Value::Array(policies))
            .done()
    }

    pub fn access_policy(p: &t::AssociatedAccessPolicy) -> Value {
        Obj::new()
            .s("policyArn", p.policy_arn())
            .opt(
                "accessScope",
                p.access_scope().map(|s| {
                    Obj::new()
                        .s("type", s.r#type().map(|t| t.as_str()))
                        .strs("namespaces", s.namespaces())
                        .done()
                }),
            )
            .d("associatedAt", p.associated_at())
            .d("modifiedAt", p.modified_at())
            .done()
    }

    pub fn association(a: &t::PodIdentityAssociation) -> Value {
        Obj::new()
            .s("clusterName", a.cluster_name())
            .s("namespace", a.namespace())
            .s("serviceAccount", a.service_account())
            .s("roleArn", a.role_arn())
            .s("associationArn", a.association_arn())
            .s("associationId", a.association_id())
            .v("tags", tags(a.tags()))
            .d("createdAt", a.created_at())
            .d("modifiedAt", a.modified_at())
            .s("ownerArn", a.owner_arn())
            .b("disableSessionTags", a.disable_session_tags())
            .s("targetRoleArn", a.target_role_arn())
            .s("externalId", a.external_id())
            .done()
    }
}

// ---------------------------------------------------------------- nodes

pub(super) mod ec2_json {
    use super::{Obj, Value, json};
    use aws_sdk_ec2::types as t;

    fn tags(v: &[t::Tag]) -> Value {
        Value::Array(
            v.iter()
                .map(|x| json!({"Key": x.key(), "Value": x.value()}))
                .collect(),
        )
    }

    /// What `aws ec2 describe-instances` prints of an instance, for the NODE rules.
    pub fn instance(i: &t::Instance) -> Value {
        let mo = i.metadata_options().map(|m| {
            Obj::new()
                .s("State", m.state().map(|x| x.as_str()))
                .s("HttpTokens", m.http_tokens().map(|x| x.as_str()))
                .i("HttpPutResponseHopLimit", m.http_put_response_hop_limit())
                .s("HttpEndpoint", m.http_endpoint().map(|x| x.as_str()))
                .done()
        });
        let profile = i
            .iam_instance_profile()
            .map(|p| Obj::new().s("Arn", p.arn()).s("Id", p.id()).done());
        Obj::new()
            .s("InstanceId", i.instance_id())
            .s("PrivateDnsName", i.private_dns_name())
            .opt(
                "State",
                i.state()
                    .map(|s| Obj::new().s("Name", s.name().map(|n| n.as_str())).done()),
            )
            .opt("IamInstanceProfile", profile)
            .opt("MetadataOptions", mo)
            .v("Tags", tags(i.tags()))
            .done()
    }

    pub fn template_version(v: &t::LaunchTemplateVersion) -> Value {
        let mo = v
            .launch_template_data()
            .and_then(|d| d.metadata_options())
            .map(|m| {
                Obj::new()
                    .s("HttpTokens", m.http_tokens().map(|x| x.as_str()))
                    .i("HttpPutResponseHopLimit", m.http_put_response_hop_limit())
                    .s("HttpEndpoint", m.http_endpoint().map(|x| x.as_str()))
                    .done()
            });
        let data = match mo {
            Some(m) => json!({"MetadataOptions": m}),
            None => json!({}),
        };
        let mut o = Obj::new()
            .s("LaunchTemplateId", v.launch_template_id())
            .s("LaunchTemplateName", v.launch_template_name())
            .b("DefaultVersion", v.default_version())
            .v("LaunchTemplateData", data)
            .done();
        if let (Some(n), Some(m)) = (v.version_number(), o.as_object_mut()) {
            m.insert("VersionNumber".into(), json!(n));
        }
        o
    }
}
