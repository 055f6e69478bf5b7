//! One answer as the views read it: its decision and headline, each item's
//! hops, label, conditions and gaps, and a path as text.

use super::*;
use std::sync::Arc;

impl Done {
    pub fn decision(&self) -> Decision {
        match &self.outcome {
            Outcome::Answer(a) => a.decision,
            Outcome::Reach(r) => {
                if r.roles.is_empty() && r.becomes.is_empty() && r.kubernetes_rules.is_empty() {
                    Decision::No
                } else {
                    Decision::Yes
                }
            }
        }
    }

    /// `yes — 40 subjects`, `no`, `reach: 3 roles, 2 identities`.
    pub fn headline(&self) -> String {
        match &self.outcome {
            Outcome::Answer(a) => {
                let n = a.answers.len();
                let what = if a.query.as_.is_some() {
                    "path"
                } else {
                    "subject"
                };
                format!(
                    "{} — {n} {what}{}",
                    a.decision.as_str(),
                    if n == 1 { "" } else { "s" }
                )
            }
            Outcome::Reach(r) => format!(
                "reach — {} IAM role{}, {} identit{}, rules in {} scope{}",
                r.roles.len(),
                if r.roles.len() == 1 { "" } else { "s" },
                r.becomes.len(),
                if r.becomes.len() == 1 { "y" } else { "ies" },
                r.kubernetes_rules.len(),
                if r.kubernetes_rules.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ),
        }
    }

    pub(super) fn hops(&self, item: Item) -> Option<&[Arc<Hop>]> {
        match (&self.outcome, item) {
            (Outcome::Answer(a), Item::Path(i)) => a.answers.get(i).map(|p| p.path.as_slice()),
            (Outcome::Reach(r), Item::Role(i)) => r.roles.get(i).map(|p| p.path.as_slice()),
            (Outcome::Reach(r), Item::Becomes(i)) => r.becomes.get(i).map(|p| p.path.as_slice()),
            _ => None,
        }
    }

    pub(super) fn subject_of(&self, item: Item) -> Option<QNode> {
        match (&self.outcome, item) {
            (Outcome::Answer(a), Item::Path(i)) => a.answers.get(i).map(|p| p.subject.clone()),
            (Outcome::Reach(r), Item::Role(i)) => r.roles.get(i).map(|p| QNode::IamRole {
                arn: p.role.clone(),
            }),
            (Outcome::Reach(r), Item::Becomes(i)) => r.becomes.get(i).map(|p| p.identity.clone()),
            (Outcome::Reach(r), Item::Summary) => Some(r.subject.clone()),
            _ => None,
        }
    }

    pub(super) fn item_label(&self, item: Item) -> String {
        match (&self.outcome, item) {
            (Outcome::Answer(a), Item::Path(i)) => a
                .answers
                .get(i)
                .map(|p| {
                    format!(
                        "{} — {} ({} hop{})",
                        p.decision.as_str(),
                        p.subject.label(),
                        p.path.len(),
                        if p.path.len() == 1 { "" } else { "s" }
                    )
                })
                .unwrap_or_default(),
            (Outcome::Reach(r), Item::Role(i)) => r
                .roles
                .get(i)
                .map(|p| format!("{} — IamRole {}", p.decision.as_str(), p.role))
                .unwrap_or_default(),
            (Outcome::Reach(r), Item::Becomes(i)) => r
                .becomes
                .get(i)
                .map(|p| format!("becomes {}", p.identity.label()))
                .unwrap_or_default(),
            _ => self.headline(),
        }
    }

    pub(super) fn conditions(&self, item: Item) -> &[String] {
        match (&self.outcome, item) {
            (Outcome::Answer(a), Item::Path(i)) => {
                a.answers.get(i).map(|p| p.conditions.as_slice())
            }
            (Outcome::Reach(r), Item::Role(i)) => r.roles.get(i).map(|p| p.conditions.as_slice()),
            _ => None,
        }
        .unwrap_or(&[])
    }

    fn coverage(&self) -> &crate::query::answer::CoverageNote {
        match &self.outcome {
            Outcome::Answer(a) => &a.coverage,
            Outcome::Reach(r) => &r.coverage,
        }
    }

    pub(super) fn gaps(&self) -> Vec<String> {
        let c = self.coverage();
        let mut out: Vec<String> = c
            .sources
            .iter()
            .map(|s| {
                let get = |k: &str| s.get(k).and_then(|x| x.as_str()).unwrap_or("");
                format!("{} {} {}", get("source"), get("status"), get("detail"))
            })
            .collect();
        out.extend(c.problems.iter().cloned());
        out
    }

    /// The selected path as text, hop by hop with evidence (as `can-i -o table` prints one).
    pub fn path_text(&self, item: Item) -> Option<String> {
        let hops = self.hops(item)?;
        let mut lines = output::hang(&self.item_label(item), 0, 3);
        if let Some(first) = hops.first() {
            lines.extend(output::wrap(&first.from.label(), 3));
        }
        for (i, h) in hops.iter().enumerate() {
            let indent = 3 + 2 * (i + 1).min(6);
            lines.extend(output::hang(
                &format!("└ {} → {}", h.edge, h.to.label()),
                indent,
                indent + 4,
            ));
            lines.extend(output::wrap(&h.evidence, indent + 4));
        }
        let cond = self.conditions(item);
        if !cond.is_empty() {
            lines.extend(output::wrap(&format!("only if: {}", cond.join("; ")), 3));
        }
        Some(lines.join("\n"))
    }
}

/// A node as a row names it: IAM principals by name (the ARN is in the detail pane).
pub(super) fn short_label(n: &QNode) -> String {
    match n {
        QNode::IamRole { arn } => format!("IamRole {}", arn.rsplit('/').next().unwrap_or(arn)),
        QNode::IamUser { arn } => format!("IamUser {}", arn.rsplit('/').next().unwrap_or(arn)),
        QNode::AwsAction { action, .. } => action.clone(),
        _ => n.label(),
    }
}

pub(super) fn compact(hops: &[Arc<Hop>]) -> String {
    let mut s = String::new();
    for (i, h) in hops.iter().enumerate() {
        if i > 0 {
            s.push_str(" → ");
        }
        s.push_str(h.edge);
        s.push(' ');
        s.push_str(&short_label(&h.to));
        if s.len() > 240 {
            return clip(&s, 240);
        }
    }
    s
}
