//! Live collection from a cluster and an AWS account (in progress).

use std::path::Path;

use crate::cli::Target;
use crate::model::{Inventory, Status};

/// Progress of a live collection, for the UI's header and the CLI's stderr.
#[derive(Debug, Clone)]
pub enum Progress {
    Started {
        source: String,
    },
    Finished {
        source: String,
        status: Status,
        count: Option<usize>,
    },
}

/// Collect a live inventory (blocking; runs its own async runtime).
pub fn collect(
    _target: &Target,
    _progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Inventory, String> {
    Err("live collection is not available in this build yet: audit a snapshot with --from DIR (see the README for the kubectl/aws commands that make one), or try --demo".to_string())
}

/// Collect live and write the snapshot files into `dir`.
pub fn snapshot(
    target: &Target,
    dir: &Path,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Inventory, String> {
    let _ = dir;
    collect(target, progress)
}
