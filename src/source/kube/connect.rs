//! Connecting as kubectl does: the kubeconfig (paths, context), the client,
//! and what the context says about the cluster (an EKS ARN, the endpoint's
//! region) for the AWS half.

use super::*;

/// Load the kubeconfig as kubectl does (`--kubeconfig`, else `KUBECONFIG` with
/// several files, else `~/.kube/config`, else the in-cluster service account)
/// and build a client for `--context` (else the current context).
pub async fn connect(target: &Target) -> Result<Connection, String> {
    let (kubeconfig, paths) = load_kubeconfig(target)?;
    let Some(kubeconfig) = kubeconfig else {
        if let Some(ctx) = &target.context {
            return Err(format!(
                "--context {ctx} given but no kubeconfig found (no --kubeconfig, KUBECONFIG or ~/.kube/config)"
            ));
        }
        let mut config = Config::incluster().map_err(|e| {
            format!(
                "no kubeconfig found (no --kubeconfig, KUBECONFIG or ~/.kube/config) and not running in a pod ({e}); pass --kubeconfig, or audit a snapshot with --from DIR"
            )
        })?;
        // Retries are ours (`send_with_retries`): one policy, counted, bounded by the source's time.
        config.default_retry = false;
        let client = Client::try_from(config).map_err(|e| {
            format!("cannot build a Kubernetes client from the in-cluster config: {e}")
        })?;
        return Ok(Connection {
            client,
            hint: ClusterHint::default(),
            kubeconfig_paths: Vec::new(),
        });
    };
    let hint = cluster_hint(&kubeconfig, target.context.as_deref());
    let options = KubeConfigOptions {
        context: target.context.clone(),
        cluster: None,
        user: None,
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| {
            let which = target
                .context
                .as_deref()
                .map(|c| format!("context {c}"))
                .unwrap_or_else(|| "the current context".to_string());
            format!(
                "cannot use {which} of the kubeconfig ({}): {e}; check `kubectl config get-contexts`",
                show_paths(&paths)
            )
        })?;
    config.default_retry = false;
    let client =
        Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))?;
    Ok(Connection {
        client,
        hint,
        kubeconfig_paths: paths,
    })
}

fn show_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// The kubeconfig to use and the files it came from; `None` when there is none.
fn load_kubeconfig(target: &Target) -> Result<(Option<Kubeconfig>, Vec<PathBuf>), String> {
    let paths: Vec<PathBuf> = if let Some(list) = &target.kubeconfig {
        crate::source::kubeconfig::split_paths(list)
            .into_iter()
            .map(PathBuf::from)
            .collect()
    } else if let Some(value) = std::env::var_os("KUBECONFIG") {
        std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect()
    } else {
        Vec::new()
    };
    let paths = if paths.is_empty() {
        match default_kubeconfig() {
            Some(p) if p.is_file() => vec![p],
            _ => return Ok((None, Vec::new())),
        }
    } else {
        paths
    };
    // As kubectl: files named by KUBECONFIG that do not exist are skipped;
    // a file named by --kubeconfig must exist.
    let explicit = target.kubeconfig.is_some();
    let mut merged: Option<Kubeconfig> = None;
    let mut used = Vec::new();
    for p in &paths {
        if !p.exists() {
            if explicit {
                return Err(format!(
                    "kubeconfig {} does not exist; check --kubeconfig",
                    p.display()
                ));
            }
            continue;
        }
        let kc = Kubeconfig::read_from(p)
            .map_err(|e| format!("cannot read kubeconfig {}: {e}", p.display()))?;
        merged = Some(match merged {
            None => kc,
            Some(m) => m
                .merge(kc)
                .map_err(|e| format!("cannot merge kubeconfig {}: {e}", p.display()))?,
        });
        used.push(p.clone());
    }
    Ok((merged, used))
}

fn default_kubeconfig() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    Some(Path::new(&home).join(".kube").join("config"))
}

/// What the context's cluster, user and exec plugin say about the EKS cluster.
pub fn cluster_hint(kc: &Kubeconfig, context: Option<&str>) -> ClusterHint {
    let mut hint = ClusterHint::default();
    let ctx_name = context
        .map(str::to_string)
        .or_else(|| kc.current_context.clone());
    let Some(ctx_name) = ctx_name else {
        return hint;
    };
    let ctx = kc
        .contexts
        .iter()
        .find(|c| c.name == ctx_name)
        .and_then(|c| c.context.clone());
    let Some(ctx) = ctx else {
        return hint;
    };
    let cluster = kc
        .clusters
        .iter()
        .find(|c| c.name == ctx.cluster)
        .and_then(|c| c.cluster.clone());
    hint.server = cluster.as_ref().and_then(|c| c.server.clone());
    if let Some(server) = &hint.server
        && let Some(region) = eks_endpoint_region(server)
    {
        hint.eks_endpoint = true;
        hint.region = Some(region);
    }
    let exec = ctx
        .user
        .as_ref()
        .and_then(|u| kc.auth_infos.iter().find(|a| &a.name == u))
        .and_then(|a| a.auth_info.as_ref())
        .and_then(|a| a.exec.clone());
    if let Some(exec) = exec {
        let args = exec.args.clone().unwrap_or_default();
        let value_of = |flags: &[&str]| {
            args.iter().enumerate().find_map(|(i, a)| {
                flags.iter().find_map(|f| {
                    if a == f {
                        args.get(i + 1).cloned()
                    } else {
                        a.strip_prefix(&format!("{f}=")).map(str::to_string)
                    }
                })
            })
        };
        if let Some(name) = value_of(&["--cluster-name", "--cluster-id", "-i"]) {
            hint.cluster_name = Some(name);
            hint.name_from = Some(format!(
                "the exec plugin of user {} (--cluster-name)",
                ctx.user.clone().unwrap_or_default()
            ));
        }
        if let Some(region) = value_of(&["--region"]) {
            hint.region.get_or_insert(region);
        }
        for pair in exec.env.clone().unwrap_or_default() {
            let (Some(name), Some(value)) = (pair.get("name"), pair.get("value")) else {
                continue;
            };
            match name.as_str() {
                "AWS_PROFILE" => hint.profile = Some(value.clone()),
                "AWS_REGION" | "AWS_DEFAULT_REGION" => {
                    hint.region.get_or_insert(value.clone());
                }
                _ => {}
            }
        }
    }
    if hint.cluster_name.is_none() {
        for (what, candidate) in [("cluster", &ctx.cluster), ("context", &ctx_name)] {
            if let Some((region, name)) = eks_cluster_arn(candidate) {
                hint.cluster_name = Some(name);
                hint.name_from = Some(format!("the kubeconfig {what} ARN {candidate}"));
                hint.region.get_or_insert(region);
                break;
            }
            // eksctl names its clusters NAME.REGION.eksctl.io.
            if let Some(rest) = candidate.strip_suffix(".eksctl.io")
                && let Some((name, region)) = rest.rsplit_once('.')
            {
                hint.cluster_name = Some(name.to_string());
                hint.name_from = Some(format!("the eksctl kubeconfig {what} {candidate}"));
                hint.region.get_or_insert(region.to_string());
                break;
            }
        }
    }
    hint
}

/// `arn:aws:eks:REGION:ACCOUNT:cluster/NAME` → (region, name).
pub(super) fn eks_cluster_arn(s: &str) -> Option<(String, String)> {
    let mut parts = s.splitn(6, ':');
    let (arn, _partition, service, region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" || service != "eks" {
        return None;
    }
    let name = resource.strip_prefix("cluster/")?;
    (!name.is_empty()).then(|| (region.to_string(), name.to_string()))
}

/// `https://XXXX.gr7.REGION.eks.amazonaws.com` → REGION.
pub(super) fn eks_endpoint_region(server: &str) -> Option<String> {
    let host = server
        .split("://")
        .nth(1)
        .unwrap_or(server)
        .split(['/', ':'])
        .next()?;
    let rest = host
        .strip_suffix(".eks.amazonaws.com")
        .or_else(|| host.strip_suffix(".eks.amazonaws.com.cn"))?;
    rest.rsplit('.').next().map(str::to_string)
}
