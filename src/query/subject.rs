//! Subject notation (`query.md`, "Subjects"): who a question is asked as.

use crate::policy::rbac::parse_sa_username;

/// Who a question is about, as parsed from `--as` (and `--as-group`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AsSubject {
    ServiceAccount {
        namespace: String,
        name: String,
    },
    Pod {
        namespace: String,
        name: String,
    },
    /// A Kubernetes user, as `kubectl --as NAME --as-group G…`.
    User {
        name: String,
        groups: Vec<String>,
    },
    /// A member of this group with nothing else.
    Group {
        name: String,
    },
    /// An IAM role (an `assumed-role` session ARN is read as its role).
    IamRole {
        arn: String,
        /// The session name of an `assumed-role` ARN.
        session: Option<String>,
    },
    IamUser {
        arn: String,
    },
}

/// The accepted forms, for error messages.
pub const SUBJECT_FORMS: &str = "accepted subjects: system:serviceaccount:NS:NAME, pod:NS/NAME, group:NAME, NAME (a Kubernetes user, with --as-group G), arn:aws:iam::ACCOUNT:role/PATH/NAME, arn:aws:iam::ACCOUNT:user/NAME, arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION";

/// Parse `--as` with its `--as-group`s.
pub fn parse_subject(s: &str, groups: &[String]) -> Result<AsSubject, String> {
    let s = s.trim();
    let bad = |why: &str| Err(format!("bad subject {s:?}: {why}; {SUBJECT_FORMS}"));
    if s.is_empty() {
        return bad("empty");
    }
    if let Some(rest) = s.strip_prefix("pod:") {
        return match rest.split_once('/') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
                only_users_take_groups(s, groups)?;
                Ok(AsSubject::Pod {
                    namespace: ns.to_string(),
                    name: name.to_string(),
                })
            }
            _ => bad("a pod is pod:NAMESPACE/NAME"),
        };
    }
    if let Some(name) = s.strip_prefix("group:") {
        if name.is_empty() {
            return bad("a group needs a name");
        }
        only_users_take_groups(s, groups)?;
        return Ok(AsSubject::Group {
            name: name.to_string(),
        });
    }
    if s.starts_with("arn:") {
        only_users_take_groups(s, groups)?;
        return parse_arn(s)
            .ok_or(())
            .or_else(|()| bad("an IAM principal is a role, user or assumed-role ARN"));
    }
    if s.starts_with("system:serviceaccount:") {
        return match parse_sa_username(s) {
            // kubectl --as system:serviceaccount:NS:NAME --as-group G: an account
            // with extra groups is a user as far as the authorizer goes.
            Some((ns, name)) if groups.is_empty() => Ok(AsSubject::ServiceAccount {
                namespace: ns.to_string(),
                name: name.to_string(),
            }),
            Some(_) => Ok(AsSubject::User {
                name: s.to_string(),
                groups: groups.to_vec(),
            }),
            None => bad("a service account is system:serviceaccount:NAMESPACE:NAME"),
        };
    }
    if s.contains(char::is_whitespace) {
        return bad("a user name has no spaces");
    }
    Ok(AsSubject::User {
        name: s.to_string(),
        groups: groups.to_vec(),
    })
}

fn only_users_take_groups(s: &str, groups: &[String]) -> Result<(), String> {
    if groups.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "--as-group only applies to a Kubernetes user or service account, not to {s:?}"
        ))
    }
}

/// `arn:aws:iam::1:role/p/n`, `arn:aws:iam::1:user/n`, `arn:aws:sts::1:assumed-role/n/s`.
fn parse_arn(s: &str) -> Option<AsSubject> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    if parts.len() != 6 {
        return None;
    }
    let (partition, service, account, res) = (parts[1], parts[2], parts[4], parts[5]);
    if account.is_empty() {
        return None;
    }
    match service {
        "iam" => {
            if res.strip_prefix("role/").is_some_and(|n| !n.is_empty()) {
                Some(AsSubject::IamRole {
                    arn: s.to_string(),
                    session: None,
                })
            } else if res.strip_prefix("user/").is_some_and(|n| !n.is_empty()) {
                Some(AsSubject::IamUser { arn: s.to_string() })
            } else {
                None
            }
        }
        "sts" => {
            let rest = res.strip_prefix("assumed-role/")?;
            let (name, session) = rest.split_once('/')?;
            if name.is_empty() || session.is_empty() {
                return None;
            }
            Some(AsSubject::IamRole {
                arn: format!("arn:{partition}:iam::{account}:role/{name}"),
                session: Some(session.to_string()),
            })
        }
        _ => None,
    }
}

impl AsSubject {
    /// The notation it was given in (canonical form).
    pub fn notation(&self) -> String {
        match self {
            AsSubject::ServiceAccount { namespace, name } => {
                format!("system:serviceaccount:{namespace}:{name}")
            }
            AsSubject::Pod { namespace, name } => format!("pod:{namespace}/{name}"),
            AsSubject::User { name, .. } => name.clone(),
            AsSubject::Group { name } => format!("group:{name}"),
            AsSubject::IamRole { arn, .. } | AsSubject::IamUser { arn } => arn.clone(),
        }
    }

    pub fn is_kubernetes(&self) -> bool {
        !matches!(self, AsSubject::IamRole { .. } | AsSubject::IamUser { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_parses_and_bad_ones_name_the_forms() {
        assert_eq!(
            parse_subject("system:serviceaccount:shop:web", &[]).unwrap(),
            AsSubject::ServiceAccount {
                namespace: "shop".into(),
                name: "web".into()
            }
        );
        assert!(matches!(
            parse_subject("pod:shop/web-1", &[]).unwrap(),
            AsSubject::Pod { .. }
        ));
        assert_eq!(
            parse_subject("alice", &["dev".into()]).unwrap(),
            AsSubject::User {
                name: "alice".into(),
                groups: vec!["dev".into()]
            }
        );
        assert_eq!(
            parse_subject("arn:aws:sts::111122223333:assumed-role/admin/alice", &[]).unwrap(),
            AsSubject::IamRole {
                arn: "arn:aws:iam::111122223333:role/admin".into(),
                session: Some("alice".into())
            }
        );
        let e = parse_subject("pod:web", &[]).unwrap_err();
        assert!(e.contains("pod:NAMESPACE/NAME") && e.contains("accepted subjects"));
        assert!(parse_subject("arn:aws:s3:::bucket", &[]).is_err());
        assert!(parse_subject("group:x", &["y".into()]).is_err());
    }
}
