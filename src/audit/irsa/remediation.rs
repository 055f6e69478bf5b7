//! Remediation text for IRSA findings: the corrected trust policy (keeping the
//! role's statements about other providers and services) in the three forms a
//! user applies, JSON, the AWS CLI and Terraform.

use super::*;

/// A Terraform resource label from a role name.
fn tf_label(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() {
        format!("role_{s}")
    } else {
        s
    }
}

/// HCL for a JSON value, as `jsonencode({...})` expects it.
fn hcl(v: &serde_json::Value, indent: usize) -> String {
    let pad = "  ".repeat(indent);
    let inner = "  ".repeat(indent + 1);
    match v {
        serde_json::Value::Object(m) => {
            let mut s = "{\n".to_string();
            for (k, val) in m {
                let key = if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    k.clone()
                } else {
                    serde_json::Value::String(k.clone()).to_string()
                };
                s.push_str(&format!("{inner}{key} = {}\n", hcl(val, indent + 1)));
            }
            s.push_str(&format!("{pad}}}"));
            s
        }
        serde_json::Value::Array(a) => {
            let items: Vec<String> = a.iter().map(|x| hcl(x, indent + 1)).collect();
            if a.iter().all(|x| !x.is_object()) {
                format!("[{}]", items.join(", "))
            } else {
                let mut s = "[\n".to_string();
                for i in items {
                    s.push_str(&format!("{inner}{i},\n"));
                }
                s.push_str(&format!("{pad}]"));
                s
            }
        }
        other => other.to_string(),
    }
}

/// A trust policy in the three forms a user applies: JSON, the AWS CLI, Terraform.
pub fn trust_fix_text(role: &IamRole, policy: &serde_json::Value, intro: &str) -> String {
    let pretty = serde_json::to_string_pretty(policy).unwrap_or_default();
    let compact = policy.to_string();
    let path_line = if role.path.is_empty() || role.path == "/" {
        String::new()
    } else {
        format!("  path = \"{}\"\n", role.path)
    };
    format!(
        "{intro}\n\nTrust policy:\n{pretty}\n\nAWS CLI:\naws iam update-assume-role-policy --role-name {name} --policy-document '{compact}'\n\nTerraform:\nresource \"aws_iam_role\" \"{label}\" {{\n  name = \"{name}\"\n{path_line}  assume_role_policy = jsonencode({body})\n}}",
        name = role.name,
        label = tf_label(&role.name),
        body = hcl(policy, 1),
    )
}

/// The corrected trust for some subjects (and their audiences), as remediation text.
pub(super) fn fix_for(
    ctx: &Context,
    issuer: &str,
    role: &IamRole,
    subs: &[String],
    audiences: &BTreeSet<String>,
    intro: &str,
) -> String {
    let provider = provider_arn_for(ctx.graph, issuer, &role.arn);
    let aud = if audiences.len() == 1 {
        audiences.iter().next().cloned().unwrap_or_default()
    } else if audiences.is_empty() {
        crate::model::DEFAULT_AUDIENCE.to_string()
    } else {
        // Several audiences: StringEquals with an array admits any of them.
        String::new()
    };
    // A trust policy holds about 2,048 characters (IAM's default quota): past a
    // score of names the fix scopes by namespace instead of listing every account.
    let by_namespace = subs.len() > MAX_RELATED;
    let patterns: Vec<String>;
    let subs: &[String] = if by_namespace {
        let namespaces: BTreeSet<&str> = subs
            .iter()
            .filter_map(|s| crate::policy::trust::parse_sub(s).map(|(ns, _)| ns))
            .collect();
        patterns = if namespaces.len() <= MAX_RELATED {
            namespaces
                .iter()
                .map(|ns| format!("system:serviceaccount:{ns}:*"))
                .collect()
        } else {
            vec!["system:serviceaccount:NAMESPACE:*".to_string()]
        };
        &patterns
    } else {
        subs
    };
    let mut policy = corrected_trust(&provider, issuer, subs, &aud);
    if by_namespace
        && let Some(cond) = policy["Statement"][0]
            .get_mut("Condition")
            .and_then(|c| c.as_object_mut())
        && let Some(serde_json::Value::Object(eq)) = cond.get_mut("StringEquals")
        && let Some(sub) = eq.remove(&format!("{issuer}:sub"))
    {
        cond.insert(
            "StringLike".to_string(),
            serde_json::json!({ format!("{issuer}:sub"): sub }),
        );
    }
    if audiences.len() > 1 {
        policy["Statement"][0]["Condition"]["StringEquals"][format!("{issuer}:aud")] =
            serde_json::Value::Array(
                audiences
                    .iter()
                    .cloned()
                    .map(serde_json::Value::String)
                    .collect(),
            );
    }
    // Keep the role's statements that are not about this cluster's provider
    // (another cluster, an AWS service): the fix replaces only what is wrong here.
    let kept = other_statements(role, issuer);
    let intro = if by_namespace {
        format!(
            "{intro} (too many to name in one trust policy, whose default quota is 2,048 characters: scoped by namespace below; a role per workload is narrower)"
        )
    } else {
        intro.to_string()
    };
    let intro = if kept.is_empty() {
        intro
    } else {
        format!(
            "{intro} (the role's {} other statement(s), not for this cluster's provider, are kept)",
            kept.len()
        )
    };
    if let Some(serde_json::Value::Array(stmts)) = policy.get_mut("Statement") {
        stmts.extend(kept);
    }
    trust_fix_text(role, &policy, &intro)
}

/// The trust statements of a role that do not name this issuer's provider.
fn other_statements(role: &IamRole, issuer: &str) -> Vec<serde_json::Value> {
    let Some(doc) = role
        .trust_policy
        .as_ref()
        .and_then(|t| crate::policy::iam::document_value(t).ok())
    else {
        return Vec::new();
    };
    let stmts = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(o @ serde_json::Value::Object(_)) => vec![o.clone()],
        _ => return Vec::new(),
    };
    let names_provider = |st: &serde_json::Value| -> bool {
        let fed = st.get("Principal").and_then(|p| p.get("Federated"));
        let vals: Vec<&str> = match fed {
            Some(serde_json::Value::String(s)) => vec![s.as_str()],
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        vals.iter()
            .any(|v| crate::policy::trust::names_issuer(v, issuer))
            || st.get("Principal").and_then(|p| p.as_str()) == Some("*")
    };
    stmts.into_iter().filter(|st| !names_provider(st)).collect()
}
