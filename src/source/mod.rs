//! Sources produce an owned [`Inventory`](crate::model::Inventory) with per-source coverage.

pub mod aws;
pub mod demo;
pub mod kube;
pub mod kubeconfig;
pub mod live;
pub mod snapshot;
pub mod yaml;

use crate::cli::Target;
use crate::model::{Inventory, Status};

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
