//! API: kube-apiserver authentication flags, on self-managed control planes.
//! On EKS they are not observable; the snapshot reader says so in coverage.

use super::{Context, Finding, Severity, Subject};
pub use crate::model::apiserver::{Flags, Refused};

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "" | "true" | "t" | "1"
    )
}

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(api) = &ctx.inv.apiserver else {
        return;
    };
    let a = Api {
        flags: Flags::parse(&api.args),
        subject: Subject::ApiServer {
            name: "kube-apiserver".to_string(),
        },
        origin: format!("kube-apiserver flags from {}", api.origin),
        manifest: if api.origin.starts_with("pod ") {
            "/etc/kubernetes/manifests/kube-apiserver.yaml (the static pod manifest on each control-plane node)"
        } else {
            "the kube-apiserver command line (unit file or manifest)"
        },
    };
    api_001(&a, out);
    api_002(&a, out);
    api_003(&a, out);
    api_004(&a, out);
    api_005(&a, out);
    api_006(&a, out);
    api_007(&a, out);
    api_008(&a, out);
}

/// The flags read, and what every API finding says of where they come from.
struct Api {
    flags: Flags,
    subject: Subject,
    /// `kube-apiserver flags from …`, the evidence's prefix.
    origin: String,
    /// Where the fix is made.
    manifest: &'static str,
}

impl Api {
    /// A finding on one flag: its value as evidence, and the fix.
    fn finding(
        &self,
        rule: &'static str,
        sev: Severity,
        title: String,
        flag: &str,
        fix: String,
    ) -> Finding {
        let (flags, origin, manifest) = (&self.flags, &self.origin, self.manifest);
        let mut f = Finding::new(rule, sev, self.subject.clone(), title)
            .evidence(format!("{origin}: {}", flags.show(flag)));
        // The server would not start with this command line, so what it would
        // really do is unknown: the finding reads the argument as meant, and says so.
        for r in flags.refused_for(flag) {
            f = f.evidence(format!(
                "kube-apiserver would refuse {} and not start with this command line; this finding reads it as written",
                r.describe()
            ));
        }
        f.remediation(format!("In {manifest}: {fix}"))
    }
}

/// API-001: anonymous requests are accepted.
fn api_001(a: &Api, out: &mut Vec<Finding>) {
    match a.flags.get("anonymous-auth") {
        None => out.push(a.finding(
            "API-001",
            Severity::High,
            "kube-apiserver accepts anonymous requests (--anonymous-auth defaults to true)".into(),
            "anonymous-auth",
            "add --anonymous-auth=false (health checks can use authenticated probes or the /livez and /readyz endpoints with an authentication config).".into(),
        )),
        Some(v) if truthy(v) => out.push(a.finding(
            "API-001",
            Severity::High,
            "kube-apiserver accepts anonymous requests".into(),
            "anonymous-auth",
            "set --anonymous-auth=false.".into(),
        )),
        Some(_) => {}
    }
}

/// API-002: static bearer tokens from a file.
fn api_002(a: &Api, out: &mut Vec<Finding>) {
    if a.flags.is_set("token-auth-file") {
        out.push(a.finding(
            "API-002",
            Severity::High,
            "kube-apiserver accepts static bearer tokens from a file".into(),
            "token-auth-file",
            "remove --token-auth-file; issue client certificates, use OIDC or a webhook authenticator, and delete the token file.".into(),
        ));
    }
}

/// API-003: static passwords.
fn api_003(a: &Api, out: &mut Vec<Finding>) {
    if a.flags.is_set("basic-auth-file") {
        out.push(a.finding(
            "API-003",
            Severity::High,
            "kube-apiserver is configured with static passwords (--basic-auth-file)".into(),
            "basic-auth-file",
            "remove --basic-auth-file (removed in Kubernetes 1.19) and delete the password file; use certificates or OIDC.".into(),
        ));
    }
}

/// API-004: every request authorized (AlwaysAllow), or Node or RBAC missing.
fn api_004(a: &Api, out: &mut Vec<Finding>) {
    let modes = a.flags.list("authorization-mode");
    if modes.is_empty() && a.flags.is_set("authorization-config") {
        // Structured authorization configuration: the modes live in that file.
    } else {
        let always = modes.iter().any(|m| m == "AlwaysAllow");
        if modes.is_empty() || always {
            out.push(a.finding(
                "API-004",
                Severity::Critical,
                if modes.is_empty() {
                    "kube-apiserver authorizes every request (--authorization-mode defaults to AlwaysAllow)".into()
                } else {
                    "kube-apiserver authorizes every request (AlwaysAllow)".into()
                },
                "authorization-mode",
                "set --authorization-mode=Node,RBAC.".into(),
            ));
        } else {
            let lacking: Vec<&str> = ["Node", "RBAC"]
                .into_iter()
                .filter(|m| !modes.iter().any(|x| x == m))
                .collect();
            if !lacking.is_empty() {
                out.push(a.finding(
                    "API-004",
                    Severity::High,
                    format!(
                        "kube-apiserver authorization mode lacks {}",
                        lacking.join(" and ")
                    ),
                    "authorization-mode",
                    format!(
                        "set --authorization-mode=Node,RBAC (now: {}).",
                        modes.join(",")
                    ),
                ));
            }
        }
    }
}

/// API-005: client certificates not verified.
fn api_005(a: &Api, out: &mut Vec<Finding>) {
    if !a.flags.is_set("client-ca-file") {
        out.push(a.finding(
            "API-005",
            Severity::High,
            "kube-apiserver has no client CA: client certificates are not verified".into(),
            "client-ca-file",
            "add --client-ca-file=/etc/kubernetes/pki/ca.crt.".into(),
        ));
    }
}

/// API-006: an unauthenticated insecure port.
fn api_006(a: &Api, out: &mut Vec<Finding>) {
    if let Some(port) = a.flags.get("insecure-port")
        && port
            .trim()
            .parse::<u32>()
            .map(|p| p != 0)
            .unwrap_or(!port.trim().is_empty())
    {
        out.push(a.finding(
            "API-006",
            Severity::High,
            format!(
                "kube-apiserver serves an unauthenticated insecure port ({})",
                port.trim()
            ),
            "insecure-port",
            "set --insecure-port=0 (or remove it on Kubernetes 1.24+, where it is gone).".into(),
        ));
    }
}

/// API-007: tokens of deleted service accounts accepted, or no key to verify them.
fn api_007(a: &Api, out: &mut Vec<Finding>) {
    let lookup_off = a
        .flags
        .get("service-account-lookup")
        .is_some_and(|v| !truthy(v));
    if lookup_off || !a.flags.is_set("service-account-key-file") {
        let mut f = a.finding(
            "API-007",
            Severity::Medium,
            if lookup_off {
                "kube-apiserver accepts tokens of deleted service accounts (--service-account-lookup=false)".into()
            } else {
                "kube-apiserver has no --service-account-key-file to verify service-account tokens".into()
            },
            "service-account-lookup",
            "set --service-account-lookup=true and --service-account-key-file=/etc/kubernetes/pki/sa.pub.".into(),
        );
        f = f.evidence(format!(
            "{}: {}",
            a.origin,
            a.flags.show("service-account-key-file")
        ));
        out.push(f);
    }
}

/// API-008: kubelets' serving certificates not verified.
fn api_008(a: &Api, out: &mut Vec<Finding>) {
    if !a.flags.is_set("kubelet-certificate-authority") {
        out.push(a.finding(
            "API-008",
            Severity::Medium,
            "kube-apiserver does not verify kubelets' serving certificates".into(),
            "kubelet-certificate-authority",
            "add --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt (and serve kubelet certificates signed by it).".into(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn both_forms_and_repeats() {
        let f = Flags::parse(&v(&[
            "kube-apiserver",
            "--authorization-mode",
            "Node",
            "--authorization-mode=RBAC",
            "--anonymous-auth",
            "false",
            "--token-auth-file",
            "/x.csv",
            "--profiling",
        ]));
        assert_eq!(f.list("authorization-mode"), vec!["Node", "RBAC"]);
        assert_eq!(f.get("anonymous-auth"), Some("false"));
        assert_eq!(f.get("token-auth-file"), Some("/x.csv"));
        assert_eq!(f.get("profiling"), Some(""));
        let bare = Flags::parse(&v(&["--anonymous-auth", "--client-ca-file=/ca"]));
        assert_eq!(bare.get("anonymous-auth"), Some("true"));
        assert!(bare.is_set("client-ca-file"));
    }

    #[test]
    fn refused_arguments_are_kept_with_their_flag() {
        let f = Flags::parse(&v(&[
            "kube-apiserver",
            "--anonymous-auth",
            "=false",
            "--service-account-lookup=maybe",
            "-v",
            "2",
            "--authorization-mode=",
        ]));
        let got: Vec<(usize, Option<&str>)> = f
            .refused
            .iter()
            .map(|r| (r.position, r.flag.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (3, Some("anonymous-auth")),
                (4, Some("service-account-lookup")),
                (7, Some("authorization-mode")),
            ]
        );
        // What remains is read as written: a short flag with its value.
        assert_eq!(f.get("v"), Some("2"));
        assert_eq!(f.get("anonymous-auth"), Some("true"));
        // A later mode makes an empty one harmless.
        let later = Flags::parse(&v(&["--authorization-mode=", "--authorization-mode=RBAC"]));
        assert!(later.refused.is_empty(), "{:?}", later.refused);
    }

    #[test]
    fn last_string_value_wins() {
        let f = Flags::parse(&v(&["--anonymous-auth=true", "--anonymous-auth=false"]));
        assert_eq!(f.get("anonymous-auth"), Some("false"));
    }
}
