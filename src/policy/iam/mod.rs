//! IAM policy documents: parsing every element, evaluating a request against
//! them, and the symbolic queries the IAM rules ask of a role's effective
//! permissions ("does it allow `iam:PassRole` on `*`?").
//!
//! Evaluation never guesses: a condition whose key is not known in the request
//! context, or a policy variable that cannot be resolved, makes the answer
//! [`Decision::Undecided`] and names the condition.
//!
//! One idea a file: `document` (the elements and their parsing), `request`
//! (what a request carries), `evaluate` (statements and policies against a
//! request), `condition` (condition operators and policy variables),
//! `permissions` (a principal's policies and boundary), `grant` (the
//! symbolic "does it allow all of Q?" queries). Pure: no inventory joins, no
//! sources, no UI (ARCHITECTURE.md).

use crate::hashing::HashMap;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use serde_json::Value;

use super::actions::{self, action_matches, pattern_covers, patterns_intersect, wildcard_match};
use crate::model::{IamRole, ManagedPolicy};

mod condition;
mod document;
mod evaluate;
mod grant;
mod permissions;
mod request;
#[cfg(test)]
mod tests;

pub use condition::*;
pub use document::*;
pub use evaluate::*;
pub use grant::*;
pub use permissions::*;
pub use request::*;
