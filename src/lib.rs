//! iamscope: audit who can do what in a Kubernetes cluster on AWS.
//!
//! Data flows one way: sources → inventory → graph → findings → views/reports.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod audit;
pub mod cli;
pub mod drift;
pub mod graph;
pub mod hashing;
pub mod model;
pub mod par;
pub mod policy;
pub mod query;
pub mod report;
pub mod source;
pub mod ui;
