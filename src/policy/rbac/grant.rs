//! What the engine answers: a grant (which rule, of which role, bound by which
//! binding, in which scope) and the ways a subject came by it.

use super::*;

/// Where a grant applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope<'a> {
    /// Every namespace and cluster-scoped resources.
    Cluster,
    Namespace(&'a str),
}

impl fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Cluster => f.write_str("cluster-wide"),
            Scope::Namespace(ns) => write!(f, "namespace {ns}"),
        }
    }
}

/// One rule of one role, granted through one binding to one of its subjects.
#[derive(Debug, Clone, Copy)]
pub struct RuleGrant<'a> {
    pub binding_index: usize,
    pub binding: &'a RbacBinding,
    /// The subject entry of the binding that applies.
    pub subject: &'a RbacSubject,
    /// The role the binding refers to.
    pub role: &'a RbacRole,
    /// The role the rule is written in (another one when aggregated).
    pub rule_role: &'a RbacRole,
    pub rule_index: usize,
    pub rule: &'a PolicyRule,
}

#[derive(Debug, Clone)]
pub enum Via<'a> {
    Binding(RuleGrant<'a>),
    /// `system:masters` bypasses authorization; `member` says how the subject is in it.
    Masters {
        member: String,
    },
    /// An EKS access policy of an access entry; `rule` when it mirrors an in-cluster role.
    AccessPolicy {
        entry: &'a AccessEntry,
        policy_arn: &'a str,
        rule: Option<(&'a RbacRole, usize, &'a PolicyRule)>,
    },
}

/// Why a subject may do something: one row of its effective permissions.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    pub scope: Scope<'a>,
    pub via: Via<'a>,
}

impl<'a> Grant<'a> {
    pub fn rule(&self) -> Option<&'a PolicyRule> {
        match &self.via {
            Via::Binding(g) => Some(g.rule),
            Via::AccessPolicy { rule, .. } => rule.map(|r| r.2),
            Via::Masters { .. } => None,
        }
    }

    pub fn binding(&self) -> Option<&'a RbacBinding> {
        match &self.via {
            Via::Binding(g) => Some(g.binding),
            _ => None,
        }
    }

    /// Whether this grant allows a resource request (scope included).
    pub fn allows(&self, req: &Request) -> bool {
        let in_scope = match (self.scope, req.namespace) {
            (Scope::Cluster, _) => true,
            (Scope::Namespace(a), Some(b)) => a == b,
            (Scope::Namespace(_), None) => false,
        };
        in_scope
            && match &self.via {
                Via::Masters { .. } => true,
                Via::Binding(g) => rule_allows(g.rule, req),
                Via::AccessPolicy { rule: None, .. } => true,
                Via::AccessPolicy { rule: Some(r), .. } => rule_allows(r.2, req),
            }
    }

    /// One line: binding → role, rule, where.
    pub fn describe(&self) -> String {
        match &self.via {
            Via::Binding(g) => {
                let mut s = format!(
                    "{} → {}, rule #{} {}",
                    binding_label(g.binding),
                    role_label(g.role),
                    g.rule_index,
                    format_rule(g.rule)
                );
                if !std::ptr::eq(g.rule_role, g.role) {
                    s.push_str(&format!(" (aggregated from {})", role_label(g.rule_role)));
                }
                s.push_str(&format!(" [{}]", self.scope));
                s
            }
            Via::Masters { member } => {
                format!("{member}: system:masters bypasses RBAC (everything allowed)")
            }
            Via::AccessPolicy {
                entry,
                policy_arn,
                rule,
            } => {
                let mut s = format!(
                    "access entry {} → access policy {policy_arn} [{}]",
                    entry.principal_arn, self.scope
                );
                if let Some((role, i, r)) = rule {
                    s.push_str(&format!(
                        ", like {} rule #{i} {}",
                        role_label(role),
                        format_rule(r)
                    ));
                }
                s
            }
        }
    }
}
