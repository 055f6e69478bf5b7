//! The question `a` asks of the selected row, in the notation of the command
//! line.

use super::*;

pub(super) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The notation of a path node as a subject, when it is one.
fn notation(n: &QNode) -> Option<String> {
    Some(match n {
        QNode::ServiceAccount { namespace, name } => {
            format!("system:serviceaccount:{namespace}:{name}")
        }
        QNode::Pod { namespace, name } => format!("pod:{namespace}/{name}"),
        QNode::User { name } => name.clone(),
        QNode::Group { name } => format!("group:{name}"),
        QNode::IamRole { arn } | QNode::IamUser { arn } => arn.clone(),
        _ => return None,
    })
}

/// The question `a` asks about a row of the inventory views (or an answer's subject).
pub fn question_for(node: &Node, app: &App, m: &Model) -> Option<String> {
    let q = |s: String| Some(format!("reach {}", shell_word(&s)));
    match node {
        Node::ServiceAccount { namespace, name } => {
            q(format!("system:serviceaccount:{namespace}:{name}"))
        }
        Node::Subject {
            kind,
            name,
            namespace,
        } => match kind.as_str() {
            "ServiceAccount" => q(format!(
                "system:serviceaccount:{}:{name}",
                namespace.as_deref().unwrap_or("default")
            )),
            "Group" => q(format!("group:{name}")),
            _ => q(name.clone()),
        },
        Node::Pod(i) => {
            let p = m.inv.pods.get(*i)?;
            q(format!("pod:{}/{}", p.namespace, p.name))
        }
        Node::IamRole(arn) => {
            // Who can assume it: through a projected token where its trust
            // names web identity (IRSA), else sts:AssumeRole (Pod Identity,
            // other principals).
            let web = m
                .inv
                .iam
                .roles
                .iter()
                .find(|r| r.arn.eq_ignore_ascii_case(arn))
                .and_then(|r| r.trust_policy.as_ref())
                .is_some_and(|t| t.to_string().contains("AssumeRoleWithWebIdentity"));
            let action = if web {
                "sts:AssumeRoleWithWebIdentity"
            } else {
                "sts:AssumeRole"
            };
            Some(format!("who-can {action} {}", shell_word(arn)))
        }
        Node::Query(r) => {
            let d = app.questions.get(r.id)?;
            q(notation(&d.subject_of(r.item)?)?)
        }
        _ => None,
    }
}
