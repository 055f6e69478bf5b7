//! `who-can`: every subject, on both sides, that can; each with its shortest path.
//!
//! Complete by construction: every subject the inventory knows (users, groups and
//! service accounts bindings name, every service account and pod, every IAM role
//! and user of the account, every IAM principal aws-auth or an access entry maps)
//! is asked the same question as `can-i` would ask it, so the two cannot disagree.

use std::collections::BTreeSet;

use crate::policy::rbac::Principal;

use super::Asker;
use super::action::Action;
use super::answer::{Answer, Decision, PathAnswer};
use super::can_i::echo_action;
use super::subject::AsSubject;

impl<'a> Asker<'a> {
    /// Every subject worth asking, in a fixed order.
    pub fn candidates(&self, include_system: bool) -> Vec<AsSubject> {
        let mut out: BTreeSet<AsSubject> = BTreeSet::new();
        let sa_hidden = |ns: &str, name: &str| -> bool {
            // Kubernetes' own controllers: accounts of kube-system that only
            // bootstrap bindings name.
            if include_system || ns != "kube-system" {
                return false;
            }
            let pairs = self
                .rbac
                .bindings_naming(&Principal::service_account(ns, name));
            !pairs.is_empty()
                && pairs
                    .iter()
                    .all(|(b, _)| self.inv.bindings[*b].is_bootstrap())
        };
        // system:masters holds everything whether or not a binding names it.
        if include_system {
            out.insert(AsSubject::Group {
                name: crate::policy::rbac::MASTERS.to_string(),
            });
        }
        for (p, _) in self.rbac.named_principals() {
            match p {
                Principal::User { name } => {
                    if include_system || !name.starts_with("system:") {
                        out.insert(AsSubject::User {
                            name,
                            groups: Vec::new(),
                        });
                    }
                }
                Principal::Group { name } => {
                    if include_system || !name.starts_with("system:") {
                        out.insert(AsSubject::Group { name });
                    }
                }
                Principal::ServiceAccount { namespace, name } => {
                    if !sa_hidden(&namespace, &name) {
                        out.insert(AsSubject::ServiceAccount { namespace, name });
                    }
                }
                Principal::Iam { .. } => {}
            }
        }
        for sa in &self.inv.service_accounts {
            if !sa_hidden(&sa.namespace, &sa.name) {
                out.insert(AsSubject::ServiceAccount {
                    namespace: sa.namespace.clone(),
                    name: sa.name.clone(),
                });
            }
        }
        for p in &self.inv.pods {
            if !sa_hidden(&p.namespace, &p.service_account) {
                out.insert(AsSubject::Pod {
                    namespace: p.namespace.clone(),
                    name: p.name.clone(),
                });
            }
        }
        for r in &self.inv.iam.roles {
            out.insert(AsSubject::IamRole {
                arn: r.arn.clone(),
                session: None,
            });
        }
        for u in &self.inv.iam.users {
            out.insert(AsSubject::IamUser { arn: u.arn.clone() });
        }
        for m in self.rbac.mappings() {
            let arn = m.arn.to_string();
            if arn.contains(":user/") {
                out.insert(AsSubject::IamUser { arn });
            } else if arn.contains(":role/") {
                // The inventory's spelling (with its path) when the role is known.
                let arn = self.role(&arn).map_or(arn, |r| r.arn.clone());
                out.insert(AsSubject::IamRole { arn, session: None });
            }
        }
        out.into_iter().collect()
    }

    /// Every subject that can, with its best decision and shortest path.
    pub fn who_can(&self, action: &Action, include_system: bool) -> Answer {
        let mut answers: Vec<PathAnswer> = Vec::new();
        let mut seen_iam: BTreeSet<String> = BTreeSet::new();
        for s in self.candidates(include_system) {
            if let AsSubject::IamRole { arn, .. } | AsSubject::IamUser { arn } = &s
                && !seen_iam.insert(arn.to_ascii_lowercase())
            {
                continue;
            }
            let Ok(a) = self.can_i(&s, action, false) else {
                continue;
            };
            if a.decision == Decision::No {
                continue;
            }
            if let Some(best) = a.answers.into_iter().next() {
                answers.push(best);
            }
        }
        answers.sort_by(|x, y| {
            x.path
                .len()
                .cmp(&y.path.len())
                .then(y.decision.cmp(&x.decision))
                .then_with(|| x.subject.sort_name().cmp(&y.subject.sort_name()))
        });
        Answer {
            query: echo_action("who-can", action, false),
            decision: Answer::decide(&answers),
            answers,
            misses: Vec::new(),
            coverage: self.coverage(),
        }
    }
}
