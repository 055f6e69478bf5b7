//! AUTH: who gets into the cluster from AWS (aws-auth, access entries, the
//! EKS endpoint, authentication mode and control-plane logs).

use super::{Context, Finding, Severity, Subject};
use crate::model::AwsAuthKind;

const ADMIN_POLICIES: [&str; 2] = ["AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy"];

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    aws_auth(ctx, out);
    access_entries(ctx, out);
    cluster(ctx, out);
}

fn aws_auth(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(auth) = &ctx.inv.aws_auth else {
        return;
    };
    for (key, err) in &auth.unparsable {
        out.push(
            Finding::new(
                "AUTH-003",
                Severity::Medium,
                Subject::AwsAuthEntry { arn: key.clone() },
                format!("aws-auth {key} cannot be parsed; none of its entries apply"),
            )
            .evidence(format!("ConfigMap kube-system/aws-auth, data.{key}: {err}"))
            .remediation(format!(
                "Fix the YAML of data.{key} (a list of entries with rolearn/userarn, username and groups):\n  kubectl edit configmap aws-auth -n kube-system\nor move the mappings to EKS access entries (aws eks create-access-entry)."
            )),
        );
    }
    for e in &auth.entries {
        let arn_key = match e.kind {
            AwsAuthKind::Role => "rolearn",
            AwsAuthKind::User => "userarn",
        };
        let place = format!(
            "ConfigMap kube-system/aws-auth, data.{}[{}]",
            e.kind.key(),
            e.index
        );
        let subject = Subject::AwsAuthEntry {
            arn: e.subject_arn(),
        };
        let describe = format!(
            "{place}: {arn_key}: {}, username: {}, groups: [{}]",
            if e.arn.is_empty() { "(none)" } else { &e.arn },
            e.username.as_deref().unwrap_or("(none)"),
            e.groups.join(", ")
        );
        if !e.problems.is_empty() {
            let mut f = Finding::new(
                "AUTH-003",
                Severity::Medium,
                subject.clone(),
                format!(
                    "aws-auth entry {} cannot be used: {}",
                    e.subject_arn(),
                    e.problems.join("; ")
                ),
            )
            .evidence(describe.clone());
            for p in &e.problems {
                f = f.evidence(p.clone());
            }
            out.push(f.remediation(format!(
                "Each {} entry needs a valid {arn_key} (arn:aws:iam::<12 digits>:{}/<name>), a username (placeholders: {{{{AccountID}}}}, {{{{SessionName}}}}, {{{{SessionNameRaw}}}}, {{{{EC2PrivateDNSName}}}}, {{{{AccessKeyID}}}}) and groups:\n  kubectl edit configmap aws-auth -n kube-system",
                e.kind.key(),
                if e.kind == AwsAuthKind::Role { "role" } else { "user" }
            )));
        }
        let masters = e.groups.iter().any(|g| g == "system:masters");
        if !e.problems.is_empty() && masters && !e.arn.is_empty() {
            // A broken entry is not used today; say what fixing it would grant.
            if let Some(f) = out
                .iter_mut()
                .rev()
                .find(|f| f.rule == "AUTH-003" && f.subject == subject)
            {
                f.evidence.push(format!(
                    "once fixed, it would put {} into system:masters (cluster-admin that RBAC cannot limit)",
                    e.arn
                ));
            }
        }
        if e.problems.is_empty() && masters {
            out.push(
                Finding::new(
                    "AUTH-001",
                    Severity::Critical,
                    subject.clone(),
                    format!("aws-auth puts {} into system:masters (cluster-admin that RBAC cannot limit)", e.arn),
                )
                .evidence(describe.clone())
                .evidence("system:masters bypasses RBAC authorization: no binding can narrow or revoke it")
                .remediation(format!(
                    "Map the principal to a group of your own and bind that group to the access it needs, e.g.:\n  - {arn_key}: {}\n    username: {}\n    groups: [platform-admins]\n  kubectl create clusterrolebinding platform-admins --clusterrole=admin --group=platform-admins\nor replace the mapping with an EKS access entry and a scoped access policy:\n  aws eks create-access-entry --cluster-name {} --principal-arn {}\n  aws eks associate-access-policy --cluster-name {} --principal-arn {} --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope type=cluster",
                    e.arn,
                    e.username.as_deref().unwrap_or("admin:{{SessionName}}"),
                    ctx.graph.cluster_name(),
                    e.arn,
                    ctx.graph.cluster_name(),
                    e.arn,
                )),
            );
        }
        if e.problems.is_empty() && ctx.graph.principal_exists(&e.arn, true) == Some(false) {
            let name = e.arn.rsplit('/').next().unwrap_or(&e.arn);
            let mut f = Finding::new(
                "AUTH-002",
                Severity::High,
                subject.clone(),
                format!("aws-auth maps {}, which does not exist in account {}", e.arn, ctx.graph.account().unwrap_or("?")),
            )
            .evidence(describe.clone())
            .evidence(format!(
                "no IAM {} named {name:?} in iam.json (aws-auth role ARNs are matched without their path)",
                if e.kind == AwsAuthKind::Role { "role" } else { "user" }
            ));
            if !e.groups.is_empty() {
                f = f.evidence(format!(
                    "whoever creates it gets groups [{}]",
                    e.groups.join(", ")
                ));
            }
            out.push(f.remediation(
                "Remove the entry (kubectl edit configmap aws-auth -n kube-system), or create the principal deliberately and scope its groups.",
            ));
        }
    }
}

fn access_entries(ctx: &Context, out: &mut Vec<Finding>) {
    let cluster = ctx.graph.cluster_name();
    for e in ctx.graph.access_entries() {
        let subject = Subject::AccessEntry {
            arn: e.principal_arn.clone(),
        };
        for p in &e.access_policies {
            let policy = p.policy_arn.rsplit('/').next().unwrap_or(&p.policy_arn);
            if ADMIN_POLICIES.contains(&policy) && p.scope_type.eq_ignore_ascii_case("cluster") {
                out.push(
                    Finding::new(
                        "AUTH-004",
                        Severity::High,
                        subject.clone(),
                        format!("Access entry {} has {policy} on the whole cluster", e.principal_arn),
                    )
                    .evidence(format!(
                        "access entry {} (type {}): associated access policy {} with accessScope type=cluster",
                        e.principal_arn,
                        e.type_.as_deref().unwrap_or("STANDARD"),
                        p.policy_arn
                    ))
                    .remediation(format!(
                        "Scope it to the namespaces this principal administers, or use a narrower policy:\n  aws eks disassociate-access-policy --cluster-name {cluster} --principal-arn {arn} --policy-arn {pol}\n  aws eks associate-access-policy --cluster-name {cluster} --principal-arn {arn} --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy --access-scope type=namespace,namespaces=<ns>",
                        arn = e.principal_arn,
                        pol = p.policy_arn
                    )),
                );
            }
        }
        if ctx.graph.principal_exists(&e.principal_arn, false) == Some(false) {
            let mut f = Finding::new(
                "AUTH-002",
                Severity::High,
                subject.clone(),
                format!(
                    "Access entry maps {}, which does not exist in account {}",
                    e.principal_arn,
                    ctx.graph.account().unwrap_or("?")
                ),
            )
            .evidence(format!(
                "no IAM principal with ARN {} in iam.json (access entries match the full ARN, path included)",
                e.principal_arn
            ));
            if let Some(r) = e
                .principal_arn
                .rsplit('/')
                .next()
                .and_then(|n| ctx.graph.iam_role_named(n))
            {
                f = f.evidence(format!(
                    "a role of that name exists as {}: the path differs",
                    r.arn
                ));
            }
            if !e.kubernetes_groups.is_empty() {
                f = f.evidence(format!(
                    "kubernetesGroups: [{}]",
                    e.kubernetes_groups.join(", ")
                ));
            }
            for p in &e.access_policies {
                f = f.evidence(format!("access policy {} ({})", p.policy_arn, p.scope_type));
            }
            out.push(f.remediation(format!(
                "Delete the entry if the principal is gone:\n  aws eks delete-access-entry --cluster-name {cluster} --principal-arn {}",
                e.principal_arn
            )));
        }
    }
}

fn cluster(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(c) = ctx.graph.cluster() else {
        return;
    };
    let subject = Subject::Cluster {
        name: c.name.clone(),
    };
    let name = &c.name;
    if c.authentication_mode.as_deref() == Some("CONFIG_MAP") {
        out.push(
            Finding::new(
                "AUTH-005",
                Severity::Info,
                subject.clone(),
                format!("Cluster {name} authenticates IAM principals only through the aws-auth ConfigMap"),
            )
            .evidence("accessConfig.authenticationMode: CONFIG_MAP")
            .remediation(format!(
                "Enable access entries (one-way: CONFIG_MAP → API_AND_CONFIG_MAP → API):\n  aws eks update-cluster-config --name {name} --access-config authenticationMode=API_AND_CONFIG_MAP"
            )),
        );
    }
    if c.endpoint_public_access == Some(true) {
        let open: Vec<&String> = c
            .public_access_cidrs
            .iter()
            .filter(|cidr| cidr.trim() == "0.0.0.0/0" || cidr.trim() == "::/0")
            .collect();
        let defaulted = c.public_access_cidrs.is_empty();
        if !open.is_empty() || defaulted {
            out.push(
                Finding::new(
                    "AUTH-006",
                    Severity::High,
                    subject.clone(),
                    format!("Cluster {name}'s public API endpoint is open to the whole internet"),
                )
                .evidence(format!(
                    "resourcesVpcConfig.endpointPublicAccess: true, publicAccessCidrs: {}",
                    if defaulted {
                        "not given (EKS defaults to 0.0.0.0/0)".to_string()
                    } else {
                        format!("[{}]", c.public_access_cidrs.join(", "))
                    }
                ))
                .remediation(format!(
                    "Restrict the public endpoint to your networks, or make it private:\n  aws eks update-cluster-config --name {name} --resources-vpc-config endpointPublicAccess=true,publicAccessCidrs=\"203.0.113.0/24\"\n  aws eks update-cluster-config --name {name} --resources-vpc-config endpointPublicAccess=false,endpointPrivateAccess=true"
                )),
            );
        }
    }
    if c.bootstrap_cluster_creator_admin == Some(true) {
        out.push(
            Finding::new(
                "AUTH-007",
                Severity::Low,
                subject.clone(),
                format!("The identity that created cluster {name} keeps cluster-admin"),
            )
            .evidence("accessConfig.bootstrapClusterCreatorAdminPermissions: true")
            .remediation(format!(
                "Give administrators explicit access entries, then remove the creator's implicit one:\n  aws eks list-access-entries --cluster-name {name}\n  aws eks delete-access-entry --cluster-name {name} --principal-arn <creator ARN>"
            )),
        );
    }
    if c.logging_known {
        let missing: Vec<&str> = ["authenticator", "audit"]
            .into_iter()
            .filter(|t| c.logging.get(*t) != Some(&true))
            .collect();
        if !missing.is_empty() {
            out.push(
                Finding::new(
                    "AUTH-008",
                    Severity::Low,
                    subject.clone(),
                    format!("Cluster {name} does not log {}", missing.join(" or ")),
                )
                .evidence(format!(
                    "logging.clusterLogging: enabled types [{}]",
                    c.logging
                        .iter()
                        .filter(|(_, on)| **on)
                        .map(|(t, _)| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .remediation(format!(
                    "aws eks update-cluster-config --name {name} --logging '{{\"clusterLogging\":[{{\"types\":[\"audit\",\"authenticator\"],\"enabled\":true}}]}}'"
                )),
            );
        }
    }
}
