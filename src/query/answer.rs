//! The answer shape of `query.md` ("JSON answer"): decisions, typed hops, evidence.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::action::KubeAction;

/// yes, no or conditional; ordered so that the best of several paths is the max.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    No,
    Conditional,
    Yes,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::No => "no",
            Decision::Conditional => "conditional",
            Decision::Yes => "yes",
        }
    }

    /// The spec's exit codes: 0 yes, 1 no, 3 conditional.
    pub fn exit_code(self) -> u8 {
        match self {
            Decision::Yes => 0,
            Decision::No => 1,
            Decision::Conditional => 3,
        }
    }
}

/// A node of a path, with the keys of `findings.md` subjects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind")]
pub enum Node {
    ServiceAccount {
        namespace: String,
        name: String,
    },
    Pod {
        namespace: String,
        name: String,
    },
    User {
        name: String,
    },
    Group {
        name: String,
    },
    IamRole {
        arn: String,
    },
    IamUser {
        arn: String,
    },
    /// An EKS access policy as associated with an access entry.
    AccessPolicy {
        arn: String,
        scope: String,
    },
    AwsAction {
        action: String,
        resource: String,
    },
    /// Boxed: the largest kind by far, and answers hold thousands of nodes.
    KubeRequest(Box<KubeAction>),
}

impl Node {
    pub fn sa(ns: &str, name: &str) -> Node {
        Node::ServiceAccount {
            namespace: ns.to_string(),
            name: name.to_string(),
        }
    }

    /// A short label for tables: `ServiceAccount shop/web`.
    pub fn label(&self) -> String {
        match self {
            Node::ServiceAccount { namespace, name } => {
                format!("ServiceAccount {namespace}/{name}")
            }
            Node::Pod { namespace, name } => format!("Pod {namespace}/{name}"),
            Node::User { name } => format!("User {name}"),
            Node::Group { name } => format!("Group {name}"),
            Node::IamRole { arn } => format!("IamRole {arn}"),
            Node::IamUser { arn } => format!("IamUser {arn}"),
            Node::AccessPolicy { arn, scope } => {
                format!(
                    "AccessPolicy {} [{scope}]",
                    arn.rsplit('/').next().unwrap_or(arn)
                )
            }
            Node::AwsAction { action, resource } => format!("{action} on {resource}"),
            Node::KubeRequest(k) => k.display(),
        }
    }

    /// Sort key for who-can: Kubernetes' kinds, then IAM's, then name.
    pub fn sort_name(&self) -> String {
        self.label()
    }
}

/// A path: its hops, shared between the answers that go through them (a
/// role's `allows` hop ends thousands of who-can paths).
pub type Path = Vec<Arc<Hop>>;

/// One hop of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub edge: &'static str,
    pub from: Node,
    pub to: Node,
    pub evidence: String,
}

/// One subject's answer, with the path that gives it.
#[derive(Debug, Clone, Serialize)]
pub struct PathAnswer {
    pub subject: Node,
    pub decision: Decision,
    /// For `conditional`: the conditions (keys and values) that decide it.
    pub conditions: Vec<String>,
    pub path: Path,
}

/// The question as understood (echoed in every answer).
#[derive(Debug, Clone, Serialize)]
pub struct QueryEcho {
    pub command: &'static str,
    #[serde(rename = "as", skip_serializing_if = "Option::is_none")]
    pub as_: Option<String>,
    pub as_groups: Vec<String>,
    pub action: serde_json::Value,
    pub context: BTreeMap<String, serde_json::Value>,
    pub context_complete: bool,
    pub direct: bool,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct CoverageNote {
    /// Sources that were not read completely (status other than ok).
    pub sources: Vec<serde_json::Value>,
    pub problems: Vec<String>,
}

/// The whole answer to one question.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub query: QueryEcho,
    pub decision: Decision,
    pub answers: Vec<PathAnswer>,
    /// For `no`: the deciding Deny or the nearest misses, when cheap to name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub misses: Vec<String>,
    /// can-i: how many paths were found in all, when more than the answers
    /// listed (the shortest path of each identity that acts is listed; the
    /// others, e.g. thousands of pods running as accounts that share a role,
    /// are only counted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths_total: Option<usize>,
    pub coverage: CoverageNote,
}

/// The paths of one question, folded as they are found: the best path (yes
/// before conditional before no, then shortest, then first found) of each
/// identity that acts (the last hop's `from`), and a count of every path.
/// A subject that can become thousands of identities sharing a few roles
/// holds one path per role, not one per (identity, role, chained role).
#[derive(Debug, Default)]
pub struct FoldedPaths {
    /// (order found, answer); the index by acting identity.
    kept: Vec<(usize, PathAnswer)>,
    at: crate::hashing::HashMap<Node, usize>,
    seen: usize,
    /// Paths added that were not `no`.
    granting: usize,
}

impl FoldedPaths {
    pub fn add(&mut self, p: PathAnswer) {
        let seq = self.seen;
        self.seen += 1;
        if p.decision != Decision::No {
            self.granting += 1;
        }
        let Some(last) = p.path.last() else {
            self.kept.push((seq, p));
            return;
        };
        // The key is copied only for an identity not seen yet.
        match self.at.get(&last.from) {
            Some(&i) => {
                let old = &self.kept[i].1;
                if (p.decision, std::cmp::Reverse(p.path.len()))
                    > (old.decision, std::cmp::Reverse(old.path.len()))
                {
                    self.kept[i] = (seq, p);
                }
            }
            None => {
                self.at.insert(last.from.clone(), self.kept.len());
                self.kept.push((seq, p));
            }
        }
    }

    /// How many paths were added that were not `no`.
    pub fn granting(&self) -> usize {
        self.granting
    }

    /// The kept paths, in the order they were found.
    pub fn into_paths(mut self) -> Vec<PathAnswer> {
        self.kept.sort_by_key(|(seq, _)| *seq);
        self.kept.into_iter().map(|(_, p)| p).collect()
    }
}

impl Answer {
    /// The best decision over the answers (no answers: no).
    pub fn decide(answers: &[PathAnswer]) -> Decision {
        answers
            .iter()
            .map(|a| a.decision)
            .max()
            .unwrap_or(Decision::No)
    }
}
