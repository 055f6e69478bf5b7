//! Sources produce an owned [`Inventory`](crate::model::Inventory) with per-source coverage.

pub mod aws;
pub mod demo;
pub mod kube;
pub mod kubeconfig;
pub mod live;
pub mod snapshot;
mod target;
pub use crate::model::yaml;

use crate::model::{Inventory, Status};
pub use target::Target;

/// Read the inventory the target names: the demo, a snapshot directory, or live.
/// Kubeconfig files named by `--kubeconfig` are read for the CFG rules in every mode.
pub fn load(
    target: &Target,
    progress: &(dyn Fn(live::Progress) + Send + Sync),
) -> Result<Inventory, String> {
    let mut inv = if target.demo {
        demo::read().map_err(|e| e.to_string())?
    } else if let Some(dir) = &target.from {
        snapshot::read_dir(dir).map_err(|e| e.to_string())?
    } else {
        return live::collect(target, progress);
    };
    match &target.kubeconfig {
        Some(list) => {
            let paths = kubeconfig::split_paths(list);
            inv.kubeconfigs = kubeconfig::read_all(&paths, &mut inv.coverage);
        }
        None => inv.coverage.set(
            kubeconfig::SRC_KUBECONFIG,
            Status::Missing,
            None,
            Some("no --kubeconfig given: a snapshot carries no kubeconfig".to_string()),
        ),
    }
    Ok(inv)
}

/// Policy documents the IAM engine cannot read are problems of the input,
/// named where they are: a role whose only policy is unreadable must not look
/// harmless just because nothing could be evaluated.
/// With them, every role's trust policy as parsed (see `Inventory::parsed_trusts`).
pub fn document_problems(iam: &crate::model::IamInventory) -> (Vec<String>, ParsedTrusts) {
    use crate::policy::iam::parse_document;
    let role_problems = |base: usize, roles: &[crate::model::IamRole]| {
        let mut problems = Vec::new();
        let mut trusts: ParsedTrusts = Vec::with_capacity(roles.len());
        for (i, r) in roles.iter().enumerate() {
            let at = format!("RoleDetailList[{}] ({})", base + i, r.name);
            let trust = match r.trust_policy.as_ref().map(parse_document) {
                Some(Ok(doc)) => Some(std::sync::Arc::new(doc)),
                Some(Err(e)) => {
                    problems.push(format!("{at}: trust policy cannot be evaluated: {e}"));
                    None
                }
                None => None,
            };
            trusts.push((r.arn.clone(), trust));
            for p in &r.inline_policies {
                if let Err(e) = parse_document(&p.document) {
                    problems.push(format!(
                        "{at}: inline policy {} cannot be evaluated: {e}",
                        p.name
                    ));
                }
            }
        }
        (problems, trusts)
    };
    // Tens of thousands of roles in a large account: one share per core.
    let roles = &iam.roles;
    let parts = crate::par::shares(roles, 4096, role_problems);
    let mut problems = Vec::new();
    let mut trusts = Vec::with_capacity(roles.len());
    for (p, t) in parts {
        problems.extend(p);
        trusts.extend(t);
    }
    for p in &iam.policies {
        if let Some(d) = &p.document
            && let Err(e) = parse_document(d)
        {
            problems.push(format!(
                "managed policy {}: cannot be evaluated: {e}",
                p.arn
            ));
        }
    }
    (problems, trusts)
}

/// Each role's ARN and its trust policy as parsed (`None`: absent or not parseable).
pub type ParsedTrusts = Vec<(
    String,
    Option<std::sync::Arc<crate::policy::iam::PolicyDocument>>,
)>;
