//! The nodes' side: the cluster's EC2 instances (instance profiles, metadata
//! options), its managed node groups and their launch template versions.

use super::*;

/// What a managed node group is, for the NODE rules (as `describe-nodegroup`).
fn nodegroup_json(g: &aws_sdk_eks::types::Nodegroup) -> Value {
    let lt = g.launch_template().map(|l| {
        Obj::new()
            .s("name", l.name())
            .s("version", l.version())
            .s("id", l.id())
            .done()
    });
    Obj::new()
        .s("nodegroupName", g.nodegroup_name())
        .s("nodegroupArn", g.nodegroup_arn())
        .s("clusterName", g.cluster_name())
        .s("nodeRole", g.node_role())
        .s("status", g.status().map(|s| s.as_str()))
        .opt("launchTemplate", lt)
        .done()
}

/// Nodes on the AWS side: the managed node groups (eks:ListNodegroups,
/// eks:DescribeNodegroup), their launch template versions
/// (ec2:DescribeLaunchTemplateVersions), and the cluster's instances
/// (ec2:DescribeInstances filtered on the `kubernetes.io/cluster/NAME` tag that
/// EKS node groups, Karpenter and eksctl put on them: the Kubernetes side is
/// collected at the same time, so the nodes' instance IDs are not known yet).
pub(super) async fn nodes_all(
    plan: &Plan,
    c: &Clients,
    limits: &Limits,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Collected {
    use crate::source::snapshot::{SRC_EC2, SRC_LAUNCH_TEMPLATES, SRC_NODEGROUPS};
    let mut out = Collected::default();
    let sources = [SRC_EC2, SRC_NODEGROUPS, SRC_LAUNCH_TEMPLATES];
    let name = match &plan.cluster {
        ClusterPlan::Unknown { status, detail } => {
            for s in sources {
                out.note(s, *status, detail.clone());
            }
            return out;
        }
        ClusterPlan::Named { name, .. } => name.clone(),
    };
    let (Some(eks), Some(ec2)) = (&c.eks, &c.ec2) else {
        for s in sources {
            out.note(
                s,
                Status::Error,
                format!("no AWS region for cluster {name}: pass --region or set AWS_REGION"),
            );
        }
        return out;
    };
    let (groups, instances) = tokio::join!(
        timed(
            limits,
            SRC_NODEGROUPS,
            progress,
            nodegroups(eks, &name, limits)
        ),
        timed(limits, SRC_EC2, progress, cluster_instances(ec2, &name)),
    );
    match instances {
        Ok(v) => out.file(crate::source::snapshot::EC2_FILE, &v),
        Err((s, d)) => out.note(SRC_EC2, s, d),
    }
    let groups = match groups {
        Ok(v) => v,
        Err((s, d)) => {
            out.note(SRC_NODEGROUPS, s, d.clone());
            out.note(
                SRC_LAUNCH_TEMPLATES,
                s,
                format!("not asked: the node groups were not read ({d})"),
            );
            return out;
        }
    };
    let templates: Vec<(String, String)> = groups
        .iter()
        .filter_map(|g| {
            let lt = g.get("launchTemplate")?;
            let id = lt.get("id")?.as_str()?.to_string();
            let v = lt
                .get("version")
                .and_then(Value::as_str)
                .unwrap_or("$Default")
                .to_string();
            Some((id, v))
        })
        .collect();
    out.file(
        crate::source::snapshot::NODEGROUPS_FILE,
        &json!({ "nodegroups": groups }),
    );
    let versions = timed(
        limits,
        SRC_LAUNCH_TEMPLATES,
        progress,
        template_versions(ec2, templates, limits),
    )
    .await;
    match versions {
        Ok(v) => out.file(crate::source::snapshot::LAUNCH_TEMPLATES_FILE, &v),
        Err((s, d)) => out.note(SRC_LAUNCH_TEMPLATES, s, d),
    }
    out
}

async fn nodegroups(
    eks: &aws_sdk_eks::Client,
    name: &str,
    limits: &Limits,
) -> Result<Vec<Value>, Fail> {
    let names = pages!(
        eks.list_nodegroups().cluster_name(name),
        &format!("eks:ListNodegroups {name}"),
        |p| p.nodegroups().to_vec()
    )?;
    let got = run_bounded(limits.parallel, names, |ng| async move {
        let d = eks
            .describe_nodegroup()
            .cluster_name(name)
            .nodegroup_name(&ng)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("eks:DescribeNodegroup {ng}")))?;
        match d.nodegroup() {
            Some(g) => Ok(nodegroup_json(g)),
            None => Err((
                Status::Error,
                format!("eks:DescribeNodegroup {ng}: empty answer"),
            )),
        }
    })
    .await;
    got.into_iter().collect()
}

async fn cluster_instances(ec2: &aws_sdk_ec2::Client, name: &str) -> Result<Value, Fail> {
    let filter = aws_sdk_ec2::types::Filter::builder()
        .name("tag-key")
        .values(format!("kubernetes.io/cluster/{name}"))
        .build();
    let instances = pages!(
        ec2.describe_instances().filters(filter),
        &format!("ec2:DescribeInstances tag-key kubernetes.io/cluster/{name}"),
        |p| p
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .map(ec2_json::instance)
            .collect::<Vec<_>>()
    )?;
    Ok(json!({"Reservations": [{"Instances": instances}]}))
}

async fn template_versions(
    ec2: &aws_sdk_ec2::Client,
    templates: Vec<(String, String)>,
    limits: &Limits,
) -> Result<Value, Fail> {
    let got = run_bounded(limits.parallel, templates, |(id, version)| async move {
        let o = ec2
            .describe_launch_template_versions()
            .launch_template_id(&id)
            .versions(&version)
            .send()
            .await
            .map_err(|e| {
                classify(
                    &e,
                    &format!("ec2:DescribeLaunchTemplateVersions {id} {version}"),
                )
            })?;
        Ok::<Vec<Value>, Fail>(
            o.launch_template_versions()
                .iter()
                .map(ec2_json::template_version)
                .collect(),
        )
    })
    .await;
    let mut all = Vec::new();
    for r in got {
        all.extend(r?);
    }
    Ok(json!({ "LaunchTemplateVersions": all }))
}
