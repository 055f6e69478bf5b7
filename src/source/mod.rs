//! Sources produce an owned [`Inventory`](crate::model::Inventory) with per-source coverage.

pub mod demo;
pub mod kubeconfig;
pub mod snapshot;
pub mod yaml;
