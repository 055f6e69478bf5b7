//! The bundled demo snapshot (`assets/demo/`), read from where the crate was built.

use std::path::PathBuf;

use super::snapshot::{SnapshotError, read_dir};
use crate::model::Inventory;

/// The demo snapshot's directory.
pub fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo"))
}

pub fn read() -> Result<Inventory, SnapshotError> {
    let mut inv = read_dir(&dir())?;
    inv.cluster_name.get_or_insert_with(|| "demo".to_string());
    Ok(inv)
}
