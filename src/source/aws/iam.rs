//! IAM: `GetAccountAuthorizationDetails` page by page, or when that is denied,
//! the same document rebuilt from `ListRoles`, `ListUsers`, `ListGroups` and
//! per-principal Get/List calls (with what could not be read said in the
//! note); and the account's OIDC providers.

use super::*;

/// GetAccountAuthorizationDetails, all pages merged into one object; where it
/// is denied, the same content from ListRoles/ListUsers/ListGroups and
/// per-principal calls, with a note saying so.
pub(super) async fn iam_details(
    iam: &aws_sdk_iam::Client,
    limits: &Limits,
) -> Result<(Value, Option<crate::source::live::Note>), Fail> {
    // 1,000 items a page (the API's most; its default is 100): a large
    // account is a few pages rather than hundreds, fetched one after another.
    let mut stream = iam
        .get_account_authorization_details()
        .max_items(1000)
        .into_paginator()
        .send();
    let (mut users, mut groups, mut roles, mut policies) = (vec![], vec![], vec![], vec![]);
    while let Some(page) = stream.next().await {
        match page {
            Ok(p) => {
                users.extend(p.user_detail_list().iter().map(iam_json::user));
                groups.extend(p.group_detail_list().iter().map(iam_json::group));
                roles.extend(p.role_detail_list().iter().map(iam_json::role));
                policies.extend(p.policies().iter().map(iam_json::policy));
            }
            Err(e) => {
                let fail = classify(&e, "iam:GetAccountAuthorizationDetails");
                if fail.0 != Status::Forbidden {
                    return Err(fail);
                }
                return iam_fallback(iam, limits, fail.1).await;
            }
        }
    }
    Ok((
        json!({
            "UserDetailList": users,
            "GroupDetailList": groups,
            "RoleDetailList": roles,
            "Policies": policies,
        }),
        None,
    ))
}

async fn iam_fallback(
    iam: &aws_sdk_iam::Client,
    limits: &Limits,
    denied: String,
) -> Result<(Value, Option<crate::source::live::Note>), Fail> {
    let listed_roles = pages!(iam.list_roles(), "iam:ListRoles", |p| p.roles().to_vec())
        .map_err(|(s, d)| (s, format!("{denied}; the fallback failed too: {d}")))?;
    let mut gaps: Vec<Fail> = Vec::new();
    let mut attached_arns: BTreeSet<String> = BTreeSet::new();

    let mut roles = describe_each(
        limits,
        listed_roles,
        |r| fallback_role(iam, r),
        &mut attached_arns,
        &mut gaps,
    )
    .await;

    // Which instance profiles hold each role (the node roles of the NODE
    // rules), as GetAccountAuthorizationDetails' InstanceProfileList.
    match pages!(
        iam.list_instance_profiles(),
        "iam:ListInstanceProfiles",
        |p| p.instance_profiles().to_vec()
    ) {
        Ok(profiles) => {
            for role in roles.iter_mut() {
                let Some(arn) = role.get("Arn").and_then(Value::as_str).map(str::to_string) else {
                    continue;
                };
                let mine: Vec<aws_sdk_iam::types::InstanceProfile> = profiles
                    .iter()
                    .filter(|p| p.roles().iter().any(|r| r.arn() == arn))
                    .cloned()
                    .collect();
                if let Some(o) = role.as_object_mut() {
                    o.insert(
                        "InstanceProfileList".to_string(),
                        iam_json::instance_profiles(&mine),
                    );
                }
            }
        }
        Err(f) => gaps.push(f),
    }

    let users = match pages!(iam.list_users(), "iam:ListUsers", |p| p.users().to_vec()) {
        Ok(list) => {
            describe_each(
                limits,
                list,
                |u| fallback_user(iam, u),
                &mut attached_arns,
                &mut gaps,
            )
            .await
        }
        Err(f) => {
            gaps.push(f);
            Vec::new()
        }
    };

    let groups = match pages!(iam.list_groups(), "iam:ListGroups", |p| p.groups().to_vec()) {
        Ok(list) => {
            describe_each(
                limits,
                list,
                |g| fallback_group(iam, g),
                &mut attached_arns,
                &mut gaps,
            )
            .await
        }
        Err(f) => {
            gaps.push(f);
            Vec::new()
        }
    };

    let mut policies = Vec::new();
    let arns: Vec<String> = attached_arns.into_iter().collect();
    for r in run_bounded(limits.parallel, arns, |a| fallback_policy(iam, a)).await {
        match r {
            Ok(v) => policies.push(v),
            Err(f) => gaps.push(f),
        }
    }

    let n = roles.len();
    let value = json!({
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    });
    let base = format!(
        "{denied}; read instead with ListRoles, ListUsers, ListGroups and per-principal Get/List calls"
    );
    let note = if gaps.is_empty() {
        crate::source::live::Note {
            source: SRC_IAM.to_string(),
            status: Status::Ok,
            count: Some(n),
            detail: Some(base),
        }
    } else {
        let status = if gaps.iter().all(|g| g.0 == Status::Forbidden) {
            Status::Forbidden
        } else {
            Status::Error
        };
        let mut shown: Vec<String> = gaps.iter().map(|g| g.1.clone()).collect();
        shown.sort();
        shown.dedup();
        let more = shown.len().saturating_sub(3);
        shown.truncate(3);
        let tail = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        crate::source::live::Note {
            source: SRC_IAM.to_string(),
            status,
            count: Some(n),
            detail: Some(format!("{base}; incomplete: {}{tail}", shown.join("; "))),
        }
    };
    Ok((value, Some(note)))
}

/// Describes each listed principal with `describe` (at most `limits.parallel`
/// at once), in the listed order: the documents, with the policy ARNs they
/// attach added to `attached` and each failure to `gaps`.
async fn describe_each<T, F, Fut>(
    limits: &Limits,
    listed: Vec<T>,
    describe: F,
    attached: &mut BTreeSet<String>,
    gaps: &mut Vec<Fail>,
) -> Vec<Value>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<(Value, Vec<String>), Fail>>,
{
    let mut out = Vec::new();
    for r in run_bounded(limits.parallel, listed, describe).await {
        match r {
            Ok((v, arns)) => {
                attached.extend(arns);
                out.push(v);
            }
            Err(f) => gaps.push(f),
        }
    }
    out
}

/// A principal's inline policies by name, each fetched by `get` as (name,
/// document), at most four at once, written as the CLI prints
/// `{PolicyName, PolicyDocument}`; the first failure fails them all.
async fn inline_docs<F, Fut>(names: Vec<String>, get: F) -> Result<Vec<Value>, Fail>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(String, String), Fail>>,
{
    run_bounded(4, names, |pn| {
        let got = get(pn);
        async move {
            let (name, doc) = got.await?;
            Ok(Obj::new()
                .s("PolicyName", Some(name.as_str()))
                .doc("PolicyDocument", Some(doc.as_str()))
                .done())
        }
    })
    .await
    .into_iter()
    .collect()
}

fn attached_list(v: &[aws_sdk_iam::types::AttachedPolicy]) -> (Value, Vec<String>) {
    (
        Value::Array(v.iter().map(iam_json::attached).collect()),
        v.iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect(),
    )
}

async fn fallback_role(
    iam: &aws_sdk_iam::Client,
    listed: aws_sdk_iam::types::Role,
) -> Result<(Value, Vec<String>), Fail> {
    let name = listed.role_name().to_string();
    let got = iam
        .get_role()
        .role_name(&name)
        .send()
        .await
        .map_err(|e| classify(&e, &format!("iam:GetRole {name}")))?;
    let r = got.role().cloned().unwrap_or(listed);
    let names = pages!(
        iam.list_role_policies().role_name(&name),
        &format!("iam:ListRolePolicies {name}"),
        |p| p.policy_names().to_vec()
    )?;
    let inline = inline_docs(names, |pn| {
        let name = name.clone();
        async move {
            let o = iam
                .get_role_policy()
                .role_name(&name)
                .policy_name(&pn)
                .send()
                .await
                .map_err(|e| classify(&e, &format!("iam:GetRolePolicy {name}/{pn}")))?;
            Ok((o.policy_name().to_string(), o.policy_document().to_string()))
        }
    })
    .await?;
    let attached = pages!(
        iam.list_attached_role_policies().role_name(&name),
        &format!("iam:ListAttachedRolePolicies {name}"),
        |p| p.attached_policies().to_vec()
    )?;
    let (attached_v, mut arns) = attached_list(&attached);
    if let Some(b) = r
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
    {
        arns.push(b.to_string());
    }
    let v = Obj::new()
        .s("Path", Some(r.path()))
        .s("RoleName", Some(r.role_name()))
        .s("RoleId", Some(r.role_id()))
        .s("Arn", Some(r.arn()))
        .d("CreateDate", Some(r.create_date()))
        .doc("AssumeRolePolicyDocument", r.assume_role_policy_document())
        .v("InstanceProfileList", json!([]))
        .v("RolePolicyList", Value::Array(inline))
        .v("AttachedManagedPolicies", attached_v)
        .opt(
            "PermissionsBoundary",
            iam_json::boundary(r.permissions_boundary()),
        )
        .v("Tags", iam_json::tags(r.tags()))
        .opt("RoleLastUsed", iam_json::last_used(r.role_last_used()))
        .done();
    Ok((v, arns))
}

async fn fallback_user(
    iam: &aws_sdk_iam::Client,
    listed: aws_sdk_iam::types::User,
) -> Result<(Value, Vec<String>), Fail> {
    let name = listed.user_name().to_string();
    let got = iam
        .get_user()
        .user_name(&name)
        .send()
        .await
        .map_err(|e| classify(&e, &format!("iam:GetUser {name}")))?;
    let u = got.user().cloned().unwrap_or(listed);
    let names = pages!(
        iam.list_user_policies().user_name(&name),
        &format!("iam:ListUserPolicies {name}"),
        |p| p.policy_names().to_vec()
    )?;
    let inline = inline_docs(names, |pn| {
        let name = name.clone();
        async move {
            let o = iam
                .get_user_policy()
                .user_name(&name)
                .policy_name(&pn)
                .send()
                .await
                .map_err(|e| classify(&e, &format!("iam:GetUserPolicy {name}/{pn}")))?;
            Ok((o.policy_name().to_string(), o.policy_document().to_string()))
        }
    })
    .await?;
    let attached = pages!(
        iam.list_attached_user_policies().user_name(&name),
        &format!("iam:ListAttachedUserPolicies {name}"),
        |p| p.attached_policies().to_vec()
    )?;
    let groups = pages!(
        iam.list_groups_for_user().user_name(&name),
        &format!("iam:ListGroupsForUser {name}"),
        |p| p
            .groups()
            .iter()
            .map(|g| g.group_name().to_string())
            .collect::<Vec<_>>()
    )?;
    let (attached_v, mut arns) = attached_list(&attached);
    if let Some(b) = u
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
    {
        arns.push(b.to_string());
    }
    let v = Obj::new()
        .s("Path", Some(u.path()))
        .s("UserName", Some(u.user_name()))
        .s("UserId", Some(u.user_id()))
        .s("Arn", Some(u.arn()))
        .d("CreateDate", Some(u.create_date()))
        .v("UserPolicyList", Value::Array(inline))
        .strs("GroupList", &groups)
        .v("AttachedManagedPolicies", attached_v)
        .opt(
            "PermissionsBoundary",
            iam_json::boundary(u.permissions_boundary()),
        )
        .v("Tags", iam_json::tags(u.tags()))
        .done();
    Ok((v, arns))
}

async fn fallback_group(
    iam: &aws_sdk_iam::Client,
    g: aws_sdk_iam::types::Group,
) -> Result<(Value, Vec<String>), Fail> {
    let name = g.group_name().to_string();
    let names = pages!(
        iam.list_group_policies().group_name(&name),
        &format!("iam:ListGroupPolicies {name}"),
        |p| p.policy_names().to_vec()
    )?;
    let inline = inline_docs(names, |pn| {
        let name = name.clone();
        async move {
            let o = iam
                .get_group_policy()
                .group_name(&name)
                .policy_name(&pn)
                .send()
                .await
                .map_err(|e| classify(&e, &format!("iam:GetGroupPolicy {name}/{pn}")))?;
            Ok((o.policy_name().to_string(), o.policy_document().to_string()))
        }
    })
    .await?;
    let attached = pages!(
        iam.list_attached_group_policies().group_name(&name),
        &format!("iam:ListAttachedGroupPolicies {name}"),
        |p| p.attached_policies().to_vec()
    )?;
    let (attached_v, arns) = attached_list(&attached);
    let v = Obj::new()
        .s("Path", Some(g.path()))
        .s("GroupName", Some(g.group_name()))
        .s("GroupId", Some(g.group_id()))
        .s("Arn", Some(g.arn()))
        .d("CreateDate", Some(g.create_date()))
        .v("GroupPolicyList", Value::Array(inline))
        .v("AttachedManagedPolicies", attached_v)
        .done();
    Ok((v, arns))
}

async fn fallback_policy(iam: &aws_sdk_iam::Client, arn: String) -> Result<Value, Fail> {
    let got = iam
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .map_err(|e| classify(&e, &format!("iam:GetPolicy {arn}")))?;
    let Some(p) = got.policy() else {
        return Err((Status::Error, format!("iam:GetPolicy {arn}: empty answer")));
    };
    let mut versions = Vec::new();
    if let Some(vid) = p.default_version_id() {
        let v = iam
            .get_policy_version()
            .policy_arn(&arn)
            .version_id(vid)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("iam:GetPolicyVersion {arn} {vid}")))?;
        if let Some(v) = v.policy_version() {
            versions.push(iam_json::version(v));
        }
    }
    Ok(Obj::new()
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
        .v("PolicyVersionList", Value::Array(versions))
        .done())
}

/// ListOpenIDConnectProviders, each merged with GetOpenIDConnectProvider.
pub(super) async fn oidc_providers(
    iam: &aws_sdk_iam::Client,
    limits: &Limits,
) -> Result<Value, Fail> {
    let list = iam
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|e| classify(&e, "iam:ListOpenIDConnectProviders"))?;
    let arns: Vec<String> = list
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(str::to_string))
        .collect();
    let got = run_bounded(limits.parallel, arns, |arn| async move {
        let o = iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("iam:GetOpenIDConnectProvider {arn}")))?;
        Ok::<Value, Fail>(
            Obj::new()
                .s("Arn", Some(&arn))
                .s("Url", o.url())
                .strs("ClientIDList", o.client_id_list())
                .strs("ThumbprintList", o.thumbprint_list())
                .d("CreateDate", o.create_date())
                .v("Tags", iam_json::tags(o.tags()))
                .done(),
        )
    })
    .await;
    let providers: Vec<Value> = got.into_iter().collect::<Result<_, _>>()?;
    Ok(json!({ "OpenIDConnectProviderList": providers }))
}
