//! The node side of AWS: EC2 instances (their instance profiles and metadata
//! options), EKS node groups and launch templates, read so that the roles pods
//! get from their node are known.

use super::*;

pub const EC2_FILE: &str = "ec2-instances.json";
pub const NODEGROUPS_FILE: &str = "eks-nodegroups.json";
pub const LAUNCH_TEMPLATES_FILE: &str = "ec2-launch-template-versions.json";

impl Reader<'_> {
    pub(super) fn read_ec2_instances(&mut self) {
        let name = EC2_FILE;
        let Some(v) = self.json_file(name, SRC_EC2) else {
            return;
        };
        let Some(reservations) = v.get("Reservations").and_then(Value::as_array) else {
            self.field_shape_error(name, SRC_EC2, "Reservations", "a list", &v);
            return;
        };
        for (r, res) in reservations.iter().enumerate() {
            let Some(instances) = res.get("Instances").and_then(Value::as_array) else {
                self.inv
                    .coverage
                    .problem(name, format!("Reservations[{r}]: no Instances list"));
                continue;
            };
            for (i, inst) in instances.iter().enumerate() {
                let Some(id) = str_field(inst, "InstanceId") else {
                    self.inv.coverage.problem(
                        name,
                        format!("Reservations[{r}].Instances[{i}]: no InstanceId"),
                    );
                    continue;
                };
                let metadata = match inst.get("MetadataOptions") {
                    Some(m) => {
                        match metadata_options(m) {
                            Ok(m) => Some(m),
                            Err(e) => {
                                self.inv.coverage.problem(
                                name,
                                format!("Reservations[{r}].Instances[{i}] ({id}): MetadataOptions: {e}"),
                            );
                                None
                            }
                        }
                    }
                    None => None,
                };
                self.inv.ec2_instances.push(crate::model::Ec2Instance {
                    instance_profile_arn: inst
                        .pointer("/IamInstanceProfile/Arn")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    metadata,
                    state: inst
                        .pointer("/State/Name")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    tags: tags(inst),
                    instance_id: id,
                });
            }
        }
        let n = self.inv.ec2_instances.len();
        self.inv.coverage.set(SRC_EC2, Status::Ok, Some(n), None);
    }

    pub(super) fn read_nodegroups(&mut self) {
        let name = NODEGROUPS_FILE;
        let Some(v) = self.json_file(name, SRC_NODEGROUPS) else {
            return;
        };
        let Some(items) = v.get("nodegroups").and_then(Value::as_array) else {
            self.field_shape_error(name, SRC_NODEGROUPS, "nodegroups", "a list", &v);
            return;
        };
        for (i, g) in items.iter().enumerate() {
            let Some(ng) = str_field(g, "nodegroupName") else {
                self.inv
                    .coverage
                    .problem(name, format!("nodegroups[{i}]: no nodegroupName"));
                continue;
            };
            let lt = g.get("launchTemplate");
            let field = |k: &str| {
                lt.and_then(|l| l.get(k)).and_then(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
            };
            self.inv.nodegroups.push(crate::model::NodeGroup {
                name: ng,
                node_role: str_field(g, "nodeRole"),
                launch_template_id: field("id"),
                launch_template_name: field("name"),
                launch_template_version: field("version"),
            });
        }
        let n = self.inv.nodegroups.len();
        self.inv
            .coverage
            .set(SRC_NODEGROUPS, Status::Ok, Some(n), None);
    }

    pub(super) fn read_launch_templates(&mut self) {
        let name = LAUNCH_TEMPLATES_FILE;
        let Some(v) = self.json_file(name, SRC_LAUNCH_TEMPLATES) else {
            return;
        };
        let Some(items) = v.get("LaunchTemplateVersions").and_then(Value::as_array) else {
            self.field_shape_error(
                name,
                SRC_LAUNCH_TEMPLATES,
                "LaunchTemplateVersions",
                "a list",
                &v,
            );
            return;
        };
        for (i, t) in items.iter().enumerate() {
            let Some(id) = str_field(t, "LaunchTemplateId") else {
                self.inv.coverage.problem(
                    name,
                    format!("LaunchTemplateVersions[{i}]: no LaunchTemplateId"),
                );
                continue;
            };
            let metadata = match t.pointer("/LaunchTemplateData/MetadataOptions") {
                Some(m) => match metadata_options(m) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        self.inv.coverage.problem(
                            name,
                            format!("LaunchTemplateVersions[{i}] ({id}): MetadataOptions: {e}"),
                        );
                        None
                    }
                },
                None => None,
            };
            self.inv
                .launch_template_versions
                .push(crate::model::LaunchTemplateVersion {
                    name: str_field(t, "LaunchTemplateName"),
                    version: t.get("VersionNumber").map(|n| match n {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }),
                    default_version: t
                        .get("DefaultVersion")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    metadata,
                    id,
                });
        }
        let n = self.inv.launch_template_versions.len();
        self.inv
            .coverage
            .set(SRC_LAUNCH_TEMPLATES, Status::Ok, Some(n), None);
    }
}

/// EC2's `MetadataOptions` (PascalCase, as `describe-instances` and launch
/// templates print them). A field of the wrong type is an error, not a default.
pub(super) fn metadata_options(m: &Value) -> Result<crate::model::MetadataOptions, String> {
    if !m.is_object() {
        return Err(format!("expected an object, found a {}", type_of(m)));
    }
    let text = |k: &str| -> Result<Option<String>, String> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_ascii_lowercase())),
            Some(other) => Err(format!(
                "{k}: expected a string, found a {}",
                type_of(other)
            )),
        }
    };
    let hop_limit = match m.get("HttpPutResponseHopLimit") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| format!("HttpPutResponseHopLimit: {s:?} is not a number"))?,
        ),
        Some(other) => {
            return Err(format!(
                "HttpPutResponseHopLimit: expected a number, found a {}",
                type_of(other)
            ));
        }
    };
    Ok(crate::model::MetadataOptions {
        http_endpoint: text("HttpEndpoint")?,
        http_tokens: text("HttpTokens")?,
        hop_limit,
    })
}

/// (ARN, name) of each instance profile in a role's `InstanceProfileList`.
pub(super) fn instance_profiles_of(role: &Value) -> Vec<(String, String)> {
    role.get("InstanceProfileList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let arn = str_field(p, "Arn")?;
            let name = str_field(p, "InstanceProfileName")
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default();
            Some((arn, name))
        })
        .collect()
}

/// Record that a role is in these instance profiles (one entry per profile).
pub(super) fn add_instance_profiles(
    iam: &mut IamInventory,
    role_arn: &str,
    profiles: Vec<(String, String)>,
) {
    for (arn, name) in profiles {
        match iam.instance_profiles.iter_mut().find(|p| p.arn == arn) {
            Some(p) => {
                if !p.roles.iter().any(|r| r == role_arn) {
                    p.roles.push(role_arn.to_string());
                }
            }
            None => iam.instance_profiles.push(crate::model::InstanceProfile {
                arn,
                name,
                roles: vec![role_arn.to_string()],
            }),
        }
    }
}
