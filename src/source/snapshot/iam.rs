//! `iam.json`: `aws iam get-account-authorization-details` output (one object
//! or a list of pages) read into roles, users, groups and managed policies,
//! each element's problems said at `List[i]` and the element kept.

use super::*;

pub(super) const IAM_FILE: &str = "iam.json";

impl Reader<'_> {
    // ------------------------------------------------------------ aws

    pub(super) fn read_iam(&mut self, done: IamDone) {
        let name = IAM_FILE;
        let outcome = match done {
            IamDone::Other(parsed) => {
                // Missing, unreadable or not JSON: coverage says so.
                let _ = self.json_parsed(name, SRC_IAM, parsed);
                return;
            }
            IamDone::Read(outcome) => {
                self.readable += 1;
                outcome
            }
        };
        match outcome {
            IamOutcome::Fail(detail) => {
                self.fail(name, SRC_IAM, detail);
            }
            IamOutcome::Read(iam, problems) => {
                self.inv.iam.roles.extend(iam.roles);
                self.inv.iam.users.extend(iam.users);
                self.inv.iam.groups.extend(iam.groups);
                self.inv.iam.policies.extend(iam.policies);
                self.inv.iam.instance_profiles.extend(iam.instance_profiles);
                for p in problems {
                    self.inv.coverage.problem(name, p);
                }
                let n = self.inv.iam.roles.len();
                self.inv.coverage.set(SRC_IAM, Status::Ok, Some(n), None);
            }
        }
    }
}

/// iam.json, parsed and read (on the thread that parsed it).
pub(super) enum IamDone {
    /// Not parsed: missing, unreadable, empty or not JSON.
    Other(Parsed),
    Read(IamOutcome),
}

#[derive(Debug)]
pub(super) enum IamOutcome {
    /// Valid JSON of the wrong shape: the detail to report.
    Fail(String),
    Read(IamInventory, Vec<String>),
}

impl IamDone {
    pub(super) fn of(parsed: Parsed) -> IamDone {
        if let Parsed::Loaded(Loaded::Text(t)) = &parsed
            && let Some(outcome) = typed::read(t)
        {
            return IamDone::Read(outcome);
        }
        match parsed.parse() {
            Parsed::Value(Ok(v)) => IamDone::Read(read_iam_value(v)),
            other => IamDone::Other(other),
        }
    }
}

/// get-account-authorization-details as one object, deserialized straight into
/// the fields the reader keeps (documents as JSON values), which is much
/// cheaper than building a `Value` of a large account first. Anything of
/// another shape (pages kept as a list, a field of an unexpected type, a
/// duplicate key) gives `None`, and the file is read through `Value` as
/// before, which also names the place of what is wrong. Both give the same
/// inventory and problems for the files both read.
pub(super) mod typed {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    use super::{IamOutcome, decode_document, element_problems, str_list};
    use crate::model::{
        AttachedPolicy, IamGroup, IamInventory, IamRole, IamUser, InlinePolicy, ManagedPolicy,
    };

    /// A field that is present, even as `null` (which `Option` alone reads as absent).
    fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Value::deserialize(d).map(Some)
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Lists {
        #[serde(default)]
        role_detail_list: Option<Vec<Role>>,
        #[serde(default)]
        user_detail_list: Option<Vec<User>>,
        #[serde(default)]
        group_detail_list: Option<Vec<Group>>,
        #[serde(default)]
        policies: Option<Vec<Policy>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Role {
        arn: Option<String>,
        role_name: Option<String>,
        path: Option<String>,
        role_id: Option<String>,
        create_date: Option<String>,
        #[serde(default, deserialize_with = "present")]
        assume_role_policy_document: Option<Value>,
        #[serde(default)]
        role_policy_list: Option<Vec<Inline>>,
        #[serde(default)]
        attached_managed_policies: Option<Vec<Attached>>,
        #[serde(default)]
        permissions_boundary: Option<Boundary>,
        #[serde(default)]
        role_last_used: Option<LastUsed>,
        #[serde(default)]
        tags: Option<Vec<Tag>>,
        #[serde(default)]
        instance_profile_list: Option<Vec<Profile>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Profile {
        arn: Option<String>,
        instance_profile_name: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct User {
        arn: Option<String>,
        user_name: Option<String>,
        path: Option<String>,
        #[serde(default)]
        user_policy_list: Option<Vec<Inline>>,
        #[serde(default)]
        attached_managed_policies: Option<Vec<Attached>>,
        #[serde(default, deserialize_with = "present")]
        group_list: Option<Value>,
        #[serde(default)]
        permissions_boundary: Option<Boundary>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Group {
        arn: Option<String>,
        group_name: Option<String>,
        path: Option<String>,
        #[serde(default)]
        group_policy_list: Option<Vec<Inline>>,
        #[serde(default)]
        attached_managed_policies: Option<Vec<Attached>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Policy {
        arn: Option<String>,
        policy_name: Option<String>,
        path: Option<String>,
        default_version_id: Option<String>,
        #[serde(default)]
        policy_version_list: Option<Vec<Version>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Version {
        #[serde(default, deserialize_with = "present")]
        document: Option<Value>,
        version_id: Option<String>,
        is_default_version: Option<bool>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Inline {
        policy_name: Option<String>,
        #[serde(default, deserialize_with = "present")]
        policy_document: Option<Value>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Attached {
        policy_name: Option<String>,
        policy_arn: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Boundary {
        permissions_boundary_arn: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct LastUsed {
        last_used_date: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Tag {
        key: Option<String>,
        value: Option<String>,
    }

    pub(in crate::source::snapshot) fn read(text: &str) -> Option<IamOutcome> {
        // Which lists are there (and not of another type) is what the general
        // reader reports on: a file without any, or with one that is not a
        // list, is left to it.
        let lists: Lists = serde_json::from_str(text).ok()?;
        if lists.role_detail_list.is_none()
            && lists.user_detail_list.is_none()
            && lists.group_detail_list.is_none()
            && lists.policies.is_none()
        {
            return None;
        }
        let mut problems = Vec::new();
        let mut iam = IamInventory::default();
        for (i, r) in lists.role_detail_list.into_iter().flatten().enumerate() {
            read_role(i, r, &mut iam, &mut problems);
        }
        for (i, u) in lists.user_detail_list.into_iter().flatten().enumerate() {
            read_user(i, u, &mut iam, &mut problems);
        }
        for (i, g) in lists.group_detail_list.into_iter().flatten().enumerate() {
            read_group(i, g, &mut iam, &mut problems);
        }
        for (i, p) in lists.policies.into_iter().flatten().enumerate() {
            read_policy(i, p, &mut iam, &mut problems);
        }
        Some(IamOutcome::Read(iam, problems))
    }

    /// One element of RoleDetailList, kept in `iam` with its problems.
    fn read_role(i: usize, r: Role, iam: &mut IamInventory, problems: &mut Vec<String>) {
        let Some(arn) = r.arn else {
            problems.push(format!("RoleDetailList[{i}]: no Arn"));
            return;
        };
        let mut ps = Vec::new();
        let trust_policy = match r.assume_role_policy_document.map(decode_document) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                ps.push(format!("AssumeRolePolicyDocument: {e}"));
                None
            }
            None => None,
        };
        let inline_policies = inline(r.role_policy_list, "RolePolicyList", &mut ps);
        let profiles: Vec<(String, String)> = r
            .instance_profile_list
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let arn = p.arn?;
                let name = p
                    .instance_profile_name
                    .or_else(|| arn.rsplit('/').next().map(str::to_string))
                    .unwrap_or_default();
                Some((arn, name))
            })
            .collect();
        super::add_instance_profiles(iam, &arn, profiles);
        let role = IamRole {
            name: r
                .role_name
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default(),
            path: r.path.unwrap_or_else(|| "/".to_string()),
            role_id: r.role_id.unwrap_or_default(),
            created: r.create_date,
            trust_policy,
            inline_policies,
            attached_policies: attached(r.attached_managed_policies),
            permissions_boundary: r
                .permissions_boundary
                .and_then(|b| b.permissions_boundary_arn),
            last_used_known: r.role_last_used.is_some(),
            last_used: r.role_last_used.and_then(|l| l.last_used_date),
            tags: r
                .tags
                .into_iter()
                .flatten()
                .filter_map(|t| Some((t.key?, t.value.unwrap_or_default())))
                .collect::<BTreeMap<_, _>>(),
            arn,
        };
        let arn = crate::model::RoleArn::parse(&role.arn)
            .err()
            .map(|e| e.to_string());
        element_problems(problems, "RoleDetailList", i, &role.name, arn, ps);
        iam.roles.push(role);
    }

    /// One element of UserDetailList, kept in `iam` with its problems.
    fn read_user(i: usize, u: User, iam: &mut IamInventory, problems: &mut Vec<String>) {
        let Some(arn) = u.arn else {
            problems.push(format!("UserDetailList[{i}]: no Arn"));
            return;
        };
        let mut ps = Vec::new();
        let user = IamUser {
            name: u
                .user_name
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default(),
            path: u.path.unwrap_or_else(|| "/".to_string()),
            inline_policies: inline(u.user_policy_list, "UserPolicyList", &mut ps),
            attached_policies: attached(u.attached_managed_policies),
            groups: str_list(u.group_list.as_ref()),
            permissions_boundary: u
                .permissions_boundary
                .and_then(|b| b.permissions_boundary_arn),
            arn,
        };
        let arn = crate::model::Arn::parse(&user.arn)
            .err()
            .map(|e| e.to_string());
        element_problems(problems, "UserDetailList", i, &user.name, arn, ps);
        iam.users.push(user);
    }

    /// One element of GroupDetailList, kept in `iam` with its problems.
    fn read_group(i: usize, g: Group, iam: &mut IamInventory, problems: &mut Vec<String>) {
        let Some(arn) = g.arn else {
            problems.push(format!("GroupDetailList[{i}]: no Arn"));
            return;
        };
        let mut ps = Vec::new();
        let group = IamGroup {
            name: g
                .group_name
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default(),
            path: g.path.unwrap_or_else(|| "/".to_string()),
            inline_policies: inline(g.group_policy_list, "GroupPolicyList", &mut ps),
            attached_policies: attached(g.attached_managed_policies),
            arn,
        };
        let arn = crate::model::Arn::parse(&group.arn)
            .err()
            .map(|e| e.to_string());
        element_problems(problems, "GroupDetailList", i, &group.name, arn, ps);
        iam.groups.push(group);
    }

    /// One element of Policies, kept in `iam` with its problems.
    fn read_policy(i: usize, p: Policy, iam: &mut IamInventory, problems: &mut Vec<String>) {
        let Some(arn) = p.arn else {
            problems.push(format!("Policies[{i}]: no Arn"));
            return;
        };
        let mut ps = Vec::new();
        let mut versions = p.policy_version_list.unwrap_or_default();
        let listed = !versions.is_empty();
        let default = versions
            .iter()
            .position(|v| v.is_default_version == Some(true))
            .or_else(|| {
                versions.iter().position(|v| {
                    p.default_version_id.is_some() && v.version_id == p.default_version_id
                })
            });
        let document = match default
            .and_then(|d| versions[d].document.take())
            .map(decode_document)
        {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                ps.push(format!("default version document: {e}"));
                None
            }
            None => {
                if listed {
                    ps.push("no default version in PolicyVersionList".to_string());
                }
                None
            }
        };
        let policy = ManagedPolicy {
            name: p
                .policy_name
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default(),
            path: p.path.unwrap_or_else(|| "/".to_string()),
            default_version_id: p.default_version_id,
            document,
            arn,
        };
        let arn = crate::model::Arn::parse(&policy.arn)
            .err()
            .map(|e| e.to_string());
        element_problems(problems, "Policies", i, &policy.name, arn, ps);
        iam.policies.push(policy);
    }

    fn inline(
        list: Option<Vec<Inline>>,
        key: &str,
        problems: &mut Vec<String>,
    ) -> Vec<InlinePolicy> {
        let mut out = Vec::new();
        for (i, p) in list.into_iter().flatten().enumerate() {
            let name = p.policy_name.unwrap_or_else(|| format!("{key}[{i}]"));
            match p.policy_document.map(decode_document) {
                Some(Ok(document)) => out.push(InlinePolicy { name, document }),
                Some(Err(e)) => problems.push(format!("inline policy {name}: {e}")),
                None => problems.push(format!("inline policy {name}: no PolicyDocument")),
            }
        }
        out
    }

    fn attached(list: Option<Vec<Attached>>) -> Vec<AttachedPolicy> {
        list.into_iter()
            .flatten()
            .filter_map(|p| {
                Some(AttachedPolicy {
                    name: p.policy_name.unwrap_or_default(),
                    arn: p.policy_arn?,
                })
            })
            .collect()
    }
}

/// The problems of element `i` of an IAM list, named by list, index and
/// name; a malformed ARN (the element is kept: rules judge it) first.
fn element_problems(
    problems: &mut Vec<String>,
    list: &str,
    i: usize,
    name: &str,
    arn: Option<String>,
    ps: Vec<String>,
) {
    problems.extend(
        arn.map(|e| format!("Arn: {e}"))
            .into_iter()
            .chain(ps)
            .map(|p| format!("{list}[{i}] ({name}): {p}")),
    );
}

/// The roles, users, groups and managed policies of get-account-authorization-details.
pub(super) fn read_iam_value(v: Value) -> IamOutcome {
    // Pages may be merged into one object, or kept as a list of page objects.
    let pages: Vec<&serde_json::Map<String, Value>> = match &v {
        Value::Object(o) => vec![o],
        Value::Array(a) if a.iter().all(Value::is_object) => {
            a.iter().filter_map(Value::as_object).collect()
        }
        other => {
            return IamOutcome::Fail(format!(
                "expected the JSON object of get-account-authorization-details, found a {}",
                type_of(other)
            ));
        }
    };
    if !pages.iter().any(|p| {
        [
            "RoleDetailList",
            "UserDetailList",
            "GroupDetailList",
            "Policies",
        ]
        .iter()
        .any(|k| p.contains_key(*k))
    }) {
        return IamOutcome::Fail(
            "expected get-account-authorization-details output (RoleDetailList, UserDetailList, GroupDetailList, Policies); none found".to_string(),
        );
    }
    let mut problems = Vec::new();
    let mut iam = IamInventory::default();
    for page in &pages {
        // A list that is something else would otherwise read as empty, silently.
        for key in [
            "RoleDetailList",
            "UserDetailList",
            "GroupDetailList",
            "Policies",
        ] {
            if let Some(v) = page.get(key).filter(|v| !v.is_array() && !v.is_null()) {
                problems.push(format!("{key}: expected a list, found a {}", type_of(v)));
            }
        }
    }
    // Each element is taken out of the parsed file and dropped once read,
    // so the documents are not held twice (as parsed and as kept).
    let pages: Vec<serde_json::Map<String, Value>> = match v {
        Value::Object(o) => vec![o],
        Value::Array(a) => a
            .into_iter()
            .filter_map(|p| match p {
                Value::Object(o) => Some(o),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for mut page in pages {
        let mut roles = Vec::new();
        read_list(
            &mut page,
            "RoleDetailList",
            parse_role_with_profiles,
            &mut roles,
            &mut problems,
            |(role, _)| {
                // Kept (rules judge it), but a malformed ARN is said where it is.
                let arn = crate::model::RoleArn::parse(&role.arn)
                    .err()
                    .map(|e| e.to_string());
                (&role.name, arn)
            },
        );
        for (role, profiles) in roles {
            add_instance_profiles(&mut iam, &role.arn, profiles);
            iam.roles.push(role);
        }
        read_list(
            &mut page,
            "UserDetailList",
            parse_user,
            &mut iam.users,
            &mut problems,
            |user| (&user.name, arn_error(&user.arn)),
        );
        read_list(
            &mut page,
            "GroupDetailList",
            parse_group,
            &mut iam.groups,
            &mut problems,
            |group| (&group.name, arn_error(&group.arn)),
        );
        read_list(
            &mut page,
            "Policies",
            parse_managed_policy,
            &mut iam.policies,
            &mut problems,
            |pol| (&pol.name, arn_error(&pol.arn)),
        );
    }
    IamOutcome::Read(iam, problems)
}

/// How an element of an IAM list is parsed: the element and its problems.
type Parse<T> = fn(Value) -> Result<(T, Vec<String>), String>;

/// Reads one list of a page (`RoleDetailList`, `UserDetailList`,
/// `GroupDetailList`, `Policies`): each element parsed and kept in `into`, its
/// problems (and its ARN's, from `name_and_arn_error`) said at `KEY[i]`, and an
/// element that cannot be read at all said and skipped.
fn read_list<T>(
    page: &mut serde_json::Map<String, Value>,
    key: &str,
    parse: Parse<T>,
    into: &mut Vec<T>,
    problems: &mut Vec<String>,
    name_and_arn_error: fn(&T) -> (&str, Option<String>),
) {
    for (i, v) in take_list(page, key).into_iter().enumerate() {
        match parse(v) {
            Ok((item, ps)) => {
                let (name, arn) = name_and_arn_error(&item);
                element_problems(problems, key, i, name, arn, ps);
                into.push(item);
            }
            Err(e) => problems.push(format!("{key}[{i}]: {e}")),
        }
    }
}

/// A role and the instance profiles (ARN, name) its element lists.
type RoleWithProfiles = (IamRole, Vec<(String, String)>);

/// A role and the instance profiles its element lists (read before the
/// element is consumed by the parse).
fn parse_role_with_profiles(r: Value) -> Result<(RoleWithProfiles, Vec<String>), String> {
    let profiles = instance_profiles_of(&r);
    parse_role(r).map(|(role, ps)| ((role, profiles), ps))
}

/// What is wrong with a user's, group's or policy's ARN, if anything.
fn arn_error(arn: &str) -> Option<String> {
    crate::model::Arn::parse(arn).err().map(|e| e.to_string())
}

/// A policy document as the CLI prints it (an object) or as the API returns it
/// (URL-encoded JSON text).
pub fn decode_document(v: Value) -> Result<Value, String> {
    match v {
        Value::Object(_) => Ok(v),
        Value::String(s) => {
            let text = if s.trim_start().starts_with('{') {
                s
            } else {
                percent_encoding::percent_decode_str(&s)
                    .decode_utf8()
                    .map_err(|e| format!("URL-encoded document is not UTF-8: {e}"))?
                    .into_owned()
            };
            let doc: Value = serde_json::from_str(&text)
                .map_err(|e| format!("document is not valid JSON: {}", json_error(&e)))?;
            if doc.is_object() {
                Ok(doc)
            } else {
                Err(format!(
                    "document is a {}, not a JSON object",
                    type_of(&doc)
                ))
            }
        }
        other => Err(format!(
            "document is a {}, not an object or URL-encoded string",
            type_of(&other)
        )),
    }
}

/// The inline policies under `key`; their documents are taken out of `v`.
fn inline_policies(v: &mut Value, key: &str, problems: &mut Vec<String>) -> Vec<InlinePolicy> {
    let mut out = Vec::new();
    for (i, p) in v
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .map(Vec::as_mut_slice)
        .unwrap_or(&mut [])
        .iter_mut()
        .enumerate()
    {
        let name = str_field(p, "PolicyName").unwrap_or_else(|| format!("{key}[{i}]"));
        match p
            .get_mut("PolicyDocument")
            .map(Value::take)
            .map(decode_document)
        {
            Some(Ok(document)) => out.push(InlinePolicy { name, document }),
            Some(Err(e)) => problems.push(format!("inline policy {name}: {e}")),
            None => problems.push(format!("inline policy {name}: no PolicyDocument")),
        }
    }
    out
}

fn attached(v: &Value) -> Vec<AttachedPolicy> {
    v.get("AttachedManagedPolicies")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some(AttachedPolicy {
                        name: str_field(p, "PolicyName").unwrap_or_default(),
                        arn: str_field(p, "PolicyArn")?,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn tags(v: &Value) -> BTreeMap<String, String> {
    v.get("Tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some((
                        str_field(t, "Key")?,
                        str_field(t, "Value").unwrap_or_default(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn require_object(v: &Value) -> Result<(), String> {
    if v.is_object() {
        Ok(())
    } else {
        Err(format!("expected an object, found a {}", type_of(v)))
    }
}

fn parse_role(mut owned: Value) -> Result<(IamRole, Vec<String>), String> {
    require_object(&owned)?;
    let mut problems = Vec::new();
    let trust = owned
        .get_mut("AssumeRolePolicyDocument")
        .map(Value::take)
        .map(decode_document);
    let trust_policy = match trust {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            problems.push(format!("AssumeRolePolicyDocument: {e}"));
            None
        }
        None => None,
    };
    let inline_policies = inline_policies(&mut owned, "RolePolicyList", &mut problems);
    let v = &owned;
    let arn = str_field(v, "Arn").ok_or("no Arn")?;
    let name = str_field(v, "RoleName")
        .or_else(|| arn.rsplit('/').next().map(str::to_string))
        .unwrap_or_default();
    let last_used_v = v.get("RoleLastUsed");
    Ok((
        IamRole {
            name,
            path: str_field(v, "Path").unwrap_or_else(|| "/".to_string()),
            role_id: str_field(v, "RoleId").unwrap_or_default(),
            created: str_field(v, "CreateDate"),
            trust_policy,
            inline_policies,
            attached_policies: attached(v),
            permissions_boundary: v
                .pointer("/PermissionsBoundary/PermissionsBoundaryArn")
                .and_then(Value::as_str)
                .map(str::to_string),
            last_used: last_used_v.and_then(|l| str_field(l, "LastUsedDate")),
            last_used_known: last_used_v.is_some_and(Value::is_object),
            tags: tags(v),
            arn,
        },
        problems,
    ))
}

fn parse_user(mut owned: Value) -> Result<(IamUser, Vec<String>), String> {
    require_object(&owned)?;
    let mut problems = Vec::new();
    let inline_policies = inline_policies(&mut owned, "UserPolicyList", &mut problems);
    let v = &owned;
    let arn = str_field(v, "Arn").ok_or("no Arn")?;
    Ok((
        IamUser {
            name: str_field(v, "UserName")
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default(),
            path: str_field(v, "Path").unwrap_or_else(|| "/".to_string()),
            inline_policies,
            attached_policies: attached(v),
            groups: str_list(v.get("GroupList")),
            permissions_boundary: v
                .pointer("/PermissionsBoundary/PermissionsBoundaryArn")
                .and_then(Value::as_str)
                .map(str::to_string),
            arn,
        },
        problems,
    ))
}

fn parse_group(mut owned: Value) -> Result<(IamGroup, Vec<String>), String> {
    require_object(&owned)?;
    let mut problems = Vec::new();
    let inline_policies = inline_policies(&mut owned, "GroupPolicyList", &mut problems);
    let v = &owned;
    let arn = str_field(v, "Arn").ok_or("no Arn")?;
    Ok((
        IamGroup {
            name: str_field(v, "GroupName")
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default(),
            path: str_field(v, "Path").unwrap_or_else(|| "/".to_string()),
            inline_policies,
            attached_policies: attached(v),
            arn,
        },
        problems,
    ))
}

fn parse_managed_policy(mut owned: Value) -> Result<(ManagedPolicy, Vec<String>), String> {
    require_object(&owned)?;
    let arn = str_field(&owned, "Arn").ok_or("no Arn")?;
    let mut problems = Vec::new();
    let default_id = str_field(&owned, "DefaultVersionId");
    let versions = owned
        .get_mut("PolicyVersionList")
        .and_then(Value::as_array_mut)
        .map(Vec::as_mut_slice)
        .unwrap_or(&mut []);
    let listed = !versions.is_empty();
    let default = versions
        .iter()
        .position(|ver| ver.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
        .or_else(|| {
            versions
                .iter()
                .position(|ver| default_id.is_some() && str_field(ver, "VersionId") == default_id)
        });
    // The default version's document is taken out, not copied.
    let document = default
        .and_then(|i| versions[i].get_mut("Document"))
        .map(Value::take);
    let v = &owned;
    let document = match document.map(decode_document) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            problems.push(format!("default version document: {e}"));
            None
        }
        None => {
            if listed {
                problems.push("no default version in PolicyVersionList".to_string());
            }
            None
        }
    };
    Ok((
        ManagedPolicy {
            name: str_field(v, "PolicyName")
                .or_else(|| arn.rsplit('/').next().map(str::to_string))
                .unwrap_or_default(),
            path: str_field(v, "Path").unwrap_or_else(|| "/".to_string()),
            default_version_id: default_id,
            document,
            arn,
        },
        problems,
    ))
}
