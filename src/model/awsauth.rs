//! The `aws-auth` ConfigMap: `mapRoles` and `mapUsers` YAML, parsed as
//! aws-iam-authenticator does, keeping what failed so AUTH-003 can say why.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsAuthKind {
    Role,
    User,
}

impl AwsAuthKind {
    pub fn key(self) -> &'static str {
        match self {
            AwsAuthKind::Role => "mapRoles",
            AwsAuthKind::User => "mapUsers",
        }
    }
}

/// One entry of `mapRoles` / `mapUsers`.
#[derive(Debug, Clone)]
pub struct AwsAuthEntry {
    pub kind: AwsAuthKind,
    /// Position in its list, from 1.
    pub index: usize,
    /// `rolearn` / `userarn` as written (empty when missing).
    pub arn: String,
    pub username: Option<String>,
    pub groups: Vec<String>,
    /// Why the authenticator would not use this entry, if it would not.
    pub problems: Vec<String>,
}

impl AwsAuthEntry {
    /// The subject key for findings: the ARN as written, or where it stands.
    pub fn subject_arn(&self) -> String {
        if self.arn.is_empty() {
            format!("{}[{}]", self.kind.key(), self.index)
        } else {
            self.arn.clone()
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AwsAuth {
    pub entries: Vec<AwsAuthEntry>,
    /// Whole lists that could not be parsed: (key, error).
    pub unparsable: Vec<(String, String)>,
    pub map_accounts: Vec<String>,
}

/// Placeholders aws-iam-authenticator expands in `username`.
const TEMPLATE_VARS: [&str; 5] = [
    "AccountID",
    "SessionName",
    "SessionNameRaw",
    "EC2PrivateDNSName",
    "AccessKeyID",
];

/// Check `{{…}}` placeholders in a username; returns the unknown ones.
pub fn unknown_templates(username: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let mut rest = username;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let var = after[..end].trim();
                if !TEMPLATE_VARS.contains(&var) {
                    bad.push(format!("{{{{{var}}}}}"));
                }
                rest = &after[end + 2..];
            }
            None => {
                bad.push(format!("unclosed {{{{ in {username:?}"));
                break;
            }
        }
    }
    bad
}

impl AwsAuth {
    /// Parse the ConfigMap's `data` (string values only).
    pub fn parse(
        map_roles: Option<&str>,
        map_users: Option<&str>,
        map_accounts: Option<&str>,
    ) -> AwsAuth {
        let mut out = AwsAuth::default();
        if let Some(text) = map_roles {
            out.parse_list(AwsAuthKind::Role, text);
        }
        if let Some(text) = map_users {
            out.parse_list(AwsAuthKind::User, text);
        }
        if let Some(text) = map_accounts {
            match crate::model::yaml::parse_one(text) {
                Ok(Value::Array(items)) => {
                    out.map_accounts = items
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect();
                }
                Ok(Value::Null) => {}
                Ok(_) => out
                    .unparsable
                    .push(("mapAccounts".into(), "not a list of account IDs".into())),
                Err(e) => out.unparsable.push(("mapAccounts".into(), e)),
            }
        }
        out
    }

    fn parse_list(&mut self, kind: AwsAuthKind, text: &str) {
        let key = kind.key();
        let items = match crate::model::yaml::parse_one(text) {
            Ok(Value::Array(items)) => items,
            Ok(Value::Null) => return,
            Ok(other) => {
                self.unparsable.push((
                    key.to_string(),
                    format!(
                        "expected a YAML list of entries, found {}",
                        type_name(&other)
                    ),
                ));
                return;
            }
            Err(e) => {
                self.unparsable.push((key.to_string(), e));
                return;
            }
        };
        let arn_key = match kind {
            AwsAuthKind::Role => "rolearn",
            AwsAuthKind::User => "userarn",
        };
        for (i, item) in items.iter().enumerate() {
            let mut problems = Vec::new();
            let Some(obj) = item.as_object() else {
                self.entries.push(AwsAuthEntry {
                    kind,
                    index: i + 1,
                    arn: String::new(),
                    username: None,
                    groups: Vec::new(),
                    problems: vec![format!("entry is a {}, not a mapping", type_name(item))],
                });
                continue;
            };
            let arn = match obj.get(arn_key) {
                Some(Value::String(s)) => s.trim().to_string(),
                Some(other) => {
                    problems.push(format!("{arn_key} is a {}, not a string", type_name(other)));
                    String::new()
                }
                None => {
                    problems.push(format!("no {arn_key}"));
                    String::new()
                }
            };
            if !arn.is_empty() {
                let want = match kind {
                    AwsAuthKind::Role => "role/",
                    AwsAuthKind::User => "user/",
                };
                match super::Arn::parse(&arn) {
                    Err(e) => problems.push(format!("invalid {arn_key}: {e}")),
                    Ok(a) if a.service != "iam" || !a.resource.starts_with(want) => {
                        problems.push(format!(
                            "{arn_key} {arn:?} is not an IAM {}",
                            want.trim_end_matches('/')
                        ))
                    }
                    Ok(a)
                        if a.account.len() != 12
                            || !a.account.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        problems.push(format!(
                            "{arn_key} {arn:?}: account {:?} is not 12 digits",
                            a.account
                        ))
                    }
                    Ok(_) => {
                        // A role name or path IAM would not accept can never match a caller.
                        if kind == AwsAuthKind::Role
                            && let Err(e) = super::RoleArn::parse(&arn)
                        {
                            problems.push(format!("invalid {arn_key}: {e}"));
                        }
                    }
                }
            }
            let username = match obj.get("username") {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Some(Value::String(_)) | None => {
                    problems.push("no username".to_string());
                    None
                }
                Some(other) => {
                    problems.push(format!("username is a {}, not a string", type_name(other)));
                    None
                }
            };
            if let Some(u) = &username {
                for bad in unknown_templates(u) {
                    problems.push(format!("username {u:?} uses unknown placeholder {bad}"));
                }
            }
            let groups = match obj.get("groups") {
                Some(Value::Array(gs)) => gs
                    .iter()
                    .filter_map(|g| match g {
                        Value::String(s) => Some(s.trim().to_string()),
                        _ => {
                            problems.push("a group is not a string".to_string());
                            None
                        }
                    })
                    .collect(),
                Some(Value::Null) | None => Vec::new(),
                Some(Value::String(s)) => {
                    problems.push(format!("groups is a string ({s:?}), not a list"));
                    Vec::new()
                }
                Some(other) => {
                    problems.push(format!("groups is a {}, not a list", type_name(other)));
                    Vec::new()
                }
            };
            self.entries.push(AwsAuthEntry {
                kind,
                index: i + 1,
                arn,
                username,
                groups,
                problems,
            });
        }
    }
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_roles_and_users() {
        let roles = "- rolearn: arn:aws:iam::111122223333:role/teams/admins\n  username: admin:{{SessionName}}\n  groups:\n    - system:masters\n- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n";
        let users = "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n";
        let a = AwsAuth::parse(Some(roles), Some(users), None);
        assert!(a.unparsable.is_empty());
        assert_eq!(a.entries.len(), 3);
        assert!(
            a.entries.iter().all(|e| e.problems.is_empty()),
            "{:?}",
            a.entries
        );
        assert_eq!(a.entries[0].groups, vec!["system:masters"]);
        assert_eq!(a.entries[2].kind, AwsAuthKind::User);
    }

    #[test]
    fn reports_broken_entries() {
        let roles = "- username: x\n- rolearn: arn:aws:iam::1:role/y\n  username: y\n- rolearn: arn:aws:iam::111122223333:role/z\n- rolearn: arn:aws:iam::111122223333:role/w\n  username: '{{Bogus}}'\n";
        let a = AwsAuth::parse(Some(roles), None, None);
        let problems: Vec<_> = a.entries.iter().map(|e| e.problems.len()).collect();
        assert_eq!(problems, vec![1, 1, 1, 1]);
        assert_eq!(a.entries[0].subject_arn(), "mapRoles[1]");
        let bad = AwsAuth::parse(Some("- rolearn: [unclosed"), None, None);
        assert_eq!(bad.unparsable.len(), 1);
    }
}
