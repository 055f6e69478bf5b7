//! Who makes a Kubernetes request: users, groups and service accounts, with the
//! groups Kubernetes adds (`system:serviceaccounts`, `system:authenticated`).

use super::*;

/// A Kubernetes identity: what a binding can name, or what can be asked about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Principal {
    ServiceAccount {
        namespace: String,
        name: String,
    },
    User {
        name: String,
    },
    Group {
        name: String,
    },
    /// An IAM role or user mapped into the cluster (aws-auth or an access entry).
    Iam {
        arn: String,
    },
}

impl Principal {
    pub fn service_account(namespace: &str, name: &str) -> Principal {
        Principal::ServiceAccount {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
    pub fn user(name: &str) -> Principal {
        Principal::User {
            name: name.to_string(),
        }
    }
    pub fn group(name: &str) -> Principal {
        Principal::Group {
            name: name.to_string(),
        }
    }
    pub fn iam(arn: &str) -> Principal {
        Principal::Iam {
            arn: arn.to_string(),
        }
    }

    /// The principal a binding's subject entry names. A ServiceAccount without
    /// namespace takes the binding's; a User named `system:serviceaccount:<ns>:<n>`
    /// is that ServiceAccount (the authorizer compares user names).
    pub fn from_subject(s: &RbacSubject, binding_ns: Option<&str>) -> Option<Principal> {
        match s.kind.as_str() {
            "ServiceAccount" => {
                let ns = s
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .or(binding_ns)
                    .unwrap_or("");
                Some(Principal::service_account(ns, &s.name))
            }
            "User" => Some(match parse_sa_username(&s.name) {
                Some((ns, n)) => Principal::service_account(ns, n),
                None => Principal::user(&s.name),
            }),
            "Group" => Some(Principal::group(&s.name)),
            _ => None,
        }
    }

    /// `Kind name`, for evidence.
    pub fn label(&self) -> String {
        match self {
            Principal::ServiceAccount { namespace, name } => {
                format!("ServiceAccount {namespace}/{name}")
            }
            Principal::User { name } => format!("User {name}"),
            Principal::Group { name } => format!("Group {name}"),
            Principal::Iam { arn } => format!("IAM principal {arn}"),
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// `system:serviceaccount:<ns>:<name>` → (ns, name).
pub fn parse_sa_username(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SA_USER_PREFIX)?;
    let (ns, name) = rest.split_once(':')?;
    if ns.is_empty() || name.is_empty() || name.contains(':') {
        return None;
    }
    Some((ns, name))
}
