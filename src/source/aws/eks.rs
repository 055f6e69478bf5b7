//! EKS: finding the cluster (by name or by the kubeconfig's endpoint),
//! describing it, its access entries and their policies, and its Pod Identity
//! associations.

use super::*;

/// The EKS cluster of this account and region whose endpoint is `server`:
/// eks:ListClusters, then eks:DescribeCluster of each (read-only), for a
/// kubeconfig that names no cluster (its server URL is all it has).
async fn find_cluster_by_endpoint(
    eks: &aws_sdk_eks::Client,
    server: &str,
    limits: &Limits,
) -> Result<Option<String>, Fail> {
    let Some(want) = endpoint_key(server) else {
        return Ok(None);
    };
    let names = pages!(eks.list_clusters(), "eks:ListClusters", |p| p
        .clusters()
        .to_vec())?;
    let endpoints = run_bounded(limits.parallel, names, |name| async move {
        let o = eks
            .describe_cluster()
            .name(&name)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("eks:DescribeCluster {name}")))?;
        let endpoint = o.cluster().and_then(|c| c.endpoint()).map(str::to_string);
        Ok::<_, Fail>((name, endpoint))
    })
    .await;
    for got in endpoints {
        let (name, endpoint) = got?;
        if endpoint.as_deref().and_then(endpoint_key).as_deref() == Some(want.as_str()) {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// The plan with the cluster named, when the kubeconfig named none but its
/// server URL is the endpoint of an EKS cluster of this account and region.
pub(super) async fn find_cluster(
    plan: &Plan,
    c: &Clients,
    region: Option<&str>,
    limits: &Limits,
) -> Plan {
    let (ClusterPlan::Unknown { status, detail }, Some(server), Some(eks), Some(region)) =
        (&plan.cluster, &plan.server, &c.eks, region)
    else {
        return plan.clone();
    };
    let found = match tokio::time::timeout(
        limits.timeout,
        find_cluster_by_endpoint(eks, server, limits),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err((
            Status::Error,
            format!(
                "eks:ListClusters: no answer within {}s",
                limits.timeout.as_secs()
            ),
        )),
    };
    let mut out = plan.clone();
    out.cluster = match found {
        Ok(Some(name)) => ClusterPlan::Named {
            from: format!(
                "the EKS cluster of region {region} whose endpoint is the kubeconfig's server {server} (eks:ListClusters, eks:DescribeCluster)"
            ),
            name,
        },
        Ok(None) => ClusterPlan::Unknown {
            status: *status,
            detail: format!(
                "{detail} (no EKS cluster of this account in region {region} has the endpoint {server})"
            ),
        },
        Err((_, why)) => ClusterPlan::Unknown {
            status: *status,
            detail: format!(
                "{detail} (the cluster could not be looked up by its endpoint: {why}; eks:ListClusters and eks:DescribeCluster are needed for that)"
            ),
        },
    };
    tracing::debug!("cluster by endpoint {server}: {:?}", out.cluster);
    out
}

/// DescribeCluster, the access entries with their policies, and the Pod
/// Identity associations, concurrently.
pub(super) async fn eks_all(
    plan: &Plan,
    c: &Clients,
    region: Option<&str>,
    limits: &Limits,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Collected {
    let mut out = Collected::default();
    let name = match &plan.cluster {
        ClusterPlan::Unknown { status, detail } => {
            for s in [SRC_EKS, SRC_ACCESS, SRC_PODID] {
                out.note(s, *status, detail.clone());
            }
            return out;
        }
        ClusterPlan::Named { name, .. } => name.clone(),
    };
    let Some(eks) = &c.eks else {
        for s in [SRC_EKS, SRC_ACCESS, SRC_PODID] {
            out.note(
                s,
                Status::Error,
                format!("no AWS region for cluster {name}: pass --region or set AWS_REGION"),
            );
        }
        return out;
    };
    let region = region.unwrap_or_default();
    let (cluster, entries, assocs) = tokio::join!(
        timed(limits, SRC_EKS, progress, describe_cluster(eks, &name)),
        timed(
            limits,
            SRC_ACCESS,
            progress,
            access_entries(eks, &name, limits)
        ),
        timed(
            limits,
            SRC_PODID,
            progress,
            pod_identity(eks, &name, limits)
        ),
    );
    let not_found = |what: &str| {
        let from = match &plan.cluster {
            ClusterPlan::Named { from, .. } => from.clone(),
            ClusterPlan::Unknown { .. } => String::new(),
        };
        format!(
            "no EKS cluster {name} in region {region} of this account (name from {from}): {what}; pass --cluster-name and --region if it is elsewhere"
        )
    };
    match cluster {
        Ok(v) => out.file("eks-cluster.json", &v),
        Err(f) if is_not_found(&f) => out.note(SRC_EKS, Status::Missing, not_found("not found")),
        Err((s, d)) => out.note(SRC_EKS, s, d),
    }
    match entries {
        Ok(v) => out.file("eks-access-entries.json", &v),
        Err(f) if is_not_found(&f) => {
            out.note(SRC_ACCESS, Status::Missing, not_found("no access entries"))
        }
        Err((s, d)) => out.note(SRC_ACCESS, s, d),
    }
    match assocs {
        Ok(v) => out.file("eks-pod-identity-associations.json", &v),
        Err(f) if is_not_found(&f) => out.note(
            SRC_PODID,
            Status::Missing,
            not_found("no Pod Identity associations"),
        ),
        Err((s, d)) => out.note(SRC_PODID, s, d),
    }
    out
}

async fn describe_cluster(eks: &aws_sdk_eks::Client, name: &str) -> Result<Value, Fail> {
    let o = eks
        .describe_cluster()
        .name(name)
        .send()
        .await
        .map_err(|e| classify(&e, &format!("eks:DescribeCluster {name}")))?;
    match o.cluster() {
        Some(c) => Ok(eks_json::cluster(c)),
        None => Err((
            Status::Error,
            format!("eks:DescribeCluster {name}: empty answer"),
        )),
    }
}

async fn access_entries(
    eks: &aws_sdk_eks::Client,
    name: &str,
    limits: &Limits,
) -> Result<Value, Fail> {
    let principals = pages!(
        eks.list_access_entries().cluster_name(name),
        &format!("eks:ListAccessEntries {name}"),
        |p| p.access_entries().to_vec()
    )?;
    let got = run_bounded(limits.parallel, principals, |principal| async move {
        let d = eks
            .describe_access_entry()
            .cluster_name(name)
            .principal_arn(&principal)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("eks:DescribeAccessEntry {principal}")))?;
        let policies = pages!(
            eks.list_associated_access_policies()
                .cluster_name(name)
                .principal_arn(&principal),
            &format!("eks:ListAssociatedAccessPolicies {principal}"),
            |p| p
                .associated_access_policies()
                .iter()
                .map(eks_json::access_policy)
                .collect::<Vec<_>>()
        )?;
        match d.access_entry() {
            Some(e) => Ok(eks_json::access_entry(e, policies)),
            None => Err((
                Status::Error,
                format!("eks:DescribeAccessEntry {principal}: empty answer"),
            )),
        }
    })
    .await;
    let entries: Vec<Value> = got.into_iter().collect::<Result<_, Fail>>()?;
    Ok(json!({ "accessEntries": entries }))
}

async fn pod_identity(
    eks: &aws_sdk_eks::Client,
    name: &str,
    limits: &Limits,
) -> Result<Value, Fail> {
    let ids = pages!(
        eks.list_pod_identity_associations().cluster_name(name),
        &format!("eks:ListPodIdentityAssociations {name}"),
        |p| p
            .associations()
            .iter()
            .filter_map(|a| a.association_id().map(str::to_string))
            .collect::<Vec<_>>()
    )?;
    let got = run_bounded(limits.parallel, ids, |id| async move {
        let d = eks
            .describe_pod_identity_association()
            .cluster_name(name)
            .association_id(&id)
            .send()
            .await
            .map_err(|e| classify(&e, &format!("eks:DescribePodIdentityAssociation {id}")))?;
        match d.association() {
            Some(a) => Ok(eks_json::association(a)),
            None => Err((
                Status::Error,
                format!("eks:DescribePodIdentityAssociation {id}: empty answer"),
            )),
        }
    })
    .await;
    let associations: Vec<Value> = got.into_iter().collect::<Result<_, Fail>>()?;
    Ok(json!({ "associations": associations }))
}
