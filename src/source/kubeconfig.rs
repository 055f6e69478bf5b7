//! Kubeconfig files, read for the CFG rules: which users hold static
//! credentials, which clusters skip TLS verification, and the file's mode.
//! Credential values themselves are never kept, only whether they are there.

use std::path::Path;

use serde_json::Value;

use crate::model::{Coverage, Kubeconfig, KubeconfigCluster, KubeconfigUser, Status};

pub const SRC_KUBECONFIG: &str = "kubeconfig";

/// `KUBECONFIG`-style list: paths separated by `:` (`;` on Windows).
pub fn split_paths(list: &str) -> Vec<String> {
    let sep = if cfg!(windows) { ';' } else { ':' };
    list.split(sep)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn has(v: &Value, key: &str) -> bool {
    match v.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// Parse one kubeconfig's text; `Err` names the place that is wrong.
pub fn parse(path: &str, text: &str, mode: Option<u32>) -> Result<Kubeconfig, String> {
    let doc = super::yaml::parse_one(text)?;
    if doc.is_null() {
        return Ok(Kubeconfig {
            path: path.to_string(),
            mode,
            ..Kubeconfig::default()
        });
    }
    if !doc.is_object() {
        return Err(format!(
            "expected a kubeconfig mapping (apiVersion, clusters, users, contexts), found a {}",
            crate::model::awsauth::type_name(&doc)
        ));
    }
    let mut kc = Kubeconfig {
        path: path.to_string(),
        mode,
        ..Kubeconfig::default()
    };
    for (i, u) in doc
        .get("users")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let name = u
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("users[{i}]"));
        let user = u.get("user").cloned().unwrap_or(Value::Null);
        let exec = user.get("exec");
        let exec_args: Vec<String> = exec
            .and_then(|e| e.get("args"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let exec_cluster_name = exec_args
            .iter()
            .position(|a| a == "--cluster-name" || a == "--cluster-id" || a == "-i")
            .and_then(|i| exec_args.get(i + 1).cloned())
            .or_else(|| {
                exec_args.iter().find_map(|a| {
                    a.strip_prefix("--cluster-name=")
                        .or_else(|| a.strip_prefix("--cluster-id="))
                        .map(str::to_string)
                })
            });
        kc.users.push(KubeconfigUser {
            name,
            has_token: has(&user, "token"),
            has_token_file: has(&user, "tokenFile"),
            has_password: has(&user, "password"),
            has_username: has(&user, "username"),
            has_client_key_data: has(&user, "client-key-data"),
            exec_command: exec
                .and_then(|e| e.get("command"))
                .and_then(Value::as_str)
                .map(str::to_string),
            exec_cluster_name,
        });
    }
    for (i, c) in doc
        .get("clusters")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("clusters[{i}]"));
        let cluster = c.get("cluster").cloned().unwrap_or(Value::Null);
        let insecure = match cluster.get("insecure-skip-tls-verify") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        };
        kc.clusters.push(KubeconfigCluster {
            name,
            server: cluster
                .get("server")
                .and_then(Value::as_str)
                .map(str::to_string),
            insecure_skip_tls_verify: insecure,
        });
    }
    Ok(kc)
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Option<u32> {
    None
}

/// Read each path; failures are coverage problems, the rest is kept.
pub fn read_all(paths: &[String], coverage: &mut Coverage) -> Vec<Kubeconfig> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        let path = Path::new(p);
        let text = match std::fs::read(path) {
            Ok(b) => match String::from_utf8(b) {
                Ok(t) => t,
                Err(e) => {
                    // Say where, as for snapshot files (never what: it may be next to a token).
                    let at = e.utf8_error().valid_up_to();
                    let before = &e.as_bytes()[..at];
                    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
                    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
                    let detail = format!("line {line}, column {col}: not valid UTF-8");
                    errors.push(format!("{p}: {detail}"));
                    coverage.problem(p.as_str(), detail);
                    continue;
                }
            },
            Err(e) => {
                errors.push(format!("{p}: {e}"));
                coverage.problem(p.as_str(), format!("cannot read: {e}"));
                continue;
            }
        };
        match parse(p, &text, file_mode(path)) {
            Ok(kc) => out.push(kc),
            Err(e) => {
                errors.push(format!("{p}: {e}"));
                coverage.problem(p.as_str(), e);
            }
        }
    }
    if errors.is_empty() {
        coverage.set(SRC_KUBECONFIG, Status::Ok, Some(out.len()), None);
    } else {
        coverage.set(
            SRC_KUBECONFIG,
            Status::Error,
            Some(out.len()),
            Some(errors.join("; ")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_static_credentials_without_keeping_them() {
        let text = r#"
apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://x", insecure-skip-tls-verify: true}
- name: dev
  cluster: {server: "https://y"}
users:
- name: admin
  user: {token: "abc.def"}
- name: basic
  user: {username: u, password: p}
- name: eks
  user:
    exec: {command: aws, args: [--region, us-east-1, eks, get-token, --cluster-name, prod-eks]}
"#;
        let kc = parse("/tmp/kc", text, Some(0o644)).unwrap();
        assert_eq!(kc.users.len(), 3);
        assert!(kc.users[0].has_token);
        assert!(kc.users[1].has_password && kc.users[1].has_username);
        assert_eq!(kc.users[2].exec_cluster_name.as_deref(), Some("prod-eks"));
        assert!(kc.clusters[0].insecure_skip_tls_verify);
        assert!(!kc.clusters[1].insecure_skip_tls_verify);
        assert!(!format!("{kc:?}").contains("abc.def"));
    }

    #[test]
    fn wrong_shape_is_an_error() {
        assert!(parse("k", "- a\n- b\n", None).is_err());
        assert!(parse("k", "users: [\n", None).is_err());
    }
}
