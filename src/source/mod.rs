//! Sources produce an owned [`Inventory`](crate::model::Inventory) with per-source coverage.

pub mod snapshot;
pub mod yaml;
