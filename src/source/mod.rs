//! Sources produce an owned [`Inventory`](crate::model::Inventory) with per-source coverage.
//! What they cannot check with the model alone (the IAM documents, which need
//! the engine's parser; the nodes, which need the graph's join) the caller
//! hands in as a [`Check`]; what it keeps is returned beside the inventory.

pub mod aws;
pub mod demo;
pub mod kube;
pub mod kubeconfig;
pub mod live;
pub mod snapshot;
mod target;
pub use crate::model::yaml;

use crate::model::{IamInventory, Inventory, Status};
pub use target::Target;

/// Read the inventory the target names: the demo, a snapshot directory, or live,
/// with what `check` kept of it. Kubeconfig files named by `--kubeconfig` are
/// read for the CFG rules in every mode.
pub fn load<C: Check>(
    target: &Target,
    progress: &(dyn Fn(live::Progress) + Send + Sync),
    check: &C,
) -> Result<(Inventory, C::Kept), String> {
    let (mut inv, kept) = if target.demo {
        demo::read(check).map_err(|e| e.to_string())?
    } else if let Some(dir) = &target.from {
        snapshot::read_dir(dir, check).map_err(|e| e.to_string())?
    } else {
        return live::collect(target, progress, check);
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
    Ok((inv, kept))
}

/// Checks of what was read that need more than the model: the IAM engine's
/// parser and the node join live above the sources, so the caller hands them
/// in (`graph::ReadCheck`) and the sources stay on the model alone.
pub trait Check: Sync {
    /// What the check keeps of the documents for later (the parsed trust
    /// policies), returned beside the inventory.
    type Kept: Send + Default;

    /// The problems of the IAM documents (details of `iam.json` coverage, in
    /// order) and what is kept of them. Runs on the thread that reads
    /// `iam.json`, while the Kubernetes files are read.
    fn documents(&self, iam: &IamInventory) -> (Vec<String>, Self::Kept);

    /// Once every file is read (before the document problems are added): what
    /// joining the objects could not tell, as details of `nodes` coverage.
    fn gaps(&self, inv: &Inventory) -> Vec<String>;
}
