//! Pure policy evaluation: IAM documents, trust, the action catalogue, and RBAC.
//! Nothing here knows about sources, the UI or reports.

pub mod actions;
pub mod iam;
pub mod rbac;
pub mod trust;
