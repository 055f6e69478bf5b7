//! CFG: the local kubeconfig. Credentials are never shown, only where they sit.

use super::{Context, Finding, Severity, Subject};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for kc in &ctx.inv.kubeconfigs {
        let subject = |name: &str| Subject::Kubeconfig {
            name: name.to_string(),
            path: kc.path.clone(),
        };
        for u in &kc.users {
            let mut what = Vec::new();
            if u.has_token {
                what.push("a static bearer token (token)");
            }
            if u.has_password {
                what.push(if u.has_username {
                    "a username and password"
                } else {
                    "a password"
                });
            }
            if what.is_empty() {
                continue;
            }
            out.push(
                Finding::new(
                    "CFG-001",
                    Severity::High,
                    subject(&u.name),
                    format!("Kubeconfig user {} holds {}", u.name, what.join(" and ")),
                )
                .evidence(format!("{}: users[name={}].user has {} (value not shown)", kc.path, u.name, what.join(", ")))
                .remediation(format!(
                    "Replace the static credential with short-lived ones from an exec plugin, e.g.\n  kubectl config set-credentials {} --exec-api-version=client.authentication.k8s.io/v1beta1 --exec-command=aws --exec-arg=eks --exec-arg=get-token --exec-arg=--cluster-name --exec-arg=<cluster>\nthen revoke the token/password on the server side.",
                    u.name
                )),
            );
        }
        for c in &kc.clusters {
            if c.insecure_skip_tls_verify {
                out.push(
                    Finding::new(
                        "CFG-002",
                        Severity::High,
                        subject(&c.name),
                        format!("Kubeconfig cluster {} skips TLS verification", c.name),
                    )
                    .evidence(format!(
                        "{}: clusters[name={}].cluster.insecure-skip-tls-verify: true (server {})",
                        kc.path,
                        c.name,
                        c.server.as_deref().unwrap_or("?")
                    ))
                    .remediation(format!(
                        "Pin the cluster's CA instead:\n  kubectl config set-cluster {} --certificate-authority=<ca.crt> --embed-certs --insecure-skip-tls-verify=false",
                        c.name
                    )),
                );
            }
        }
        if let Some(mode) = kc.mode
            && mode & 0o044 != 0
        {
            let name = std::path::Path::new(&kc.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| kc.path.clone());
            out.push(
                Finding::new(
                    "CFG-003",
                    Severity::Medium,
                    subject(&name),
                    format!(
                        "Kubeconfig {} is readable by {}",
                        kc.path,
                        if mode & 0o004 != 0 {
                            "others"
                        } else {
                            "its group"
                        }
                    ),
                )
                .evidence(format!("{}: mode {:04o}", kc.path, mode))
                .remediation(format!("chmod 600 {}", kc.path)),
            );
        }
    }
}
