//! API: kube-apiserver authentication flags, on self-managed control planes.
//! On EKS they are not observable; the snapshot reader says so in coverage.

use super::{Context, Finding, Severity, Subject};

/// Flags that are booleans: `--flag` alone means true, and `--flag false`
/// (a separate word) is read the way its author meant it.
const BOOL_FLAGS: [&str; 4] = [
    "anonymous-auth",
    "service-account-lookup",
    "enable-bootstrap-token-auth",
    "allow-privileged",
];

/// kube-apiserver's command line as flags, in order.
#[derive(Debug, Default)]
pub struct Flags {
    pub values: Vec<(String, String)>,
    /// Arguments kube-apiserver would refuse to start with: what remains is
    /// still read (the audit judges the command line as its author meant it),
    /// and these are reported as coverage problems and in the evidence of the
    /// findings that rest on them.
    pub refused: Vec<Refused>,
}

/// One argument kube-apiserver would refuse (its flag parser, pflag, or its
/// own check that it takes no positional arguments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Position on the command line, from 1 (the program name is 1).
    pub position: usize,
    /// The argument as written.
    pub arg: String,
    /// The flag it belongs to, or that it follows (`--anonymous-auth =false`).
    pub flag: Option<String>,
    pub why: String,
    /// kube-apiserver exits on it; a trailing `--` is only not a flag.
    pub fatal: bool,
}

impl Refused {
    /// `argument 3 "=false": not a flag …`, for problems and evidence; Debug
    /// quoting shows a NUL or a control character instead of printing it.
    pub fn describe(&self) -> String {
        format!("argument {} {:?}: {}", self.position, self.arg, self.why)
    }
}

/// The values Go's `strconv.ParseBool` accepts, which pflag uses for booleans.
fn go_bool(v: &str) -> bool {
    matches!(
        v,
        "1" | "t" | "T" | "TRUE" | "true" | "True" | "0" | "f" | "F" | "FALSE" | "false" | "False"
    )
}

const POSITIONAL: &str = "not a flag, and kube-apiserver takes no positional arguments";

impl Flags {
    /// Accepts `--flag=value`, `--flag value` and bare boolean `--flag`; the
    /// program name is skipped. Anything else is kept in `refused`.
    pub fn parse(args: &[String]) -> Flags {
        let mut values = Vec::new();
        let mut refused = Vec::new();
        // The flag just read, for a stray word right after it: `--anonymous-auth
        // =false` is most likely meant as that flag's value.
        let mut last: Option<String> = None;
        // `--authorization-mode=` given empty: refused only if no mode is given anywhere.
        let mut empty_modes: Vec<(usize, String)> = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let raw = &args[i];
            let a = raw.trim();
            i += 1;
            let mut refuse = |flag: Option<String>, why: String| {
                refused.push(Refused {
                    position: i,
                    arg: raw.clone(),
                    flag,
                    why,
                    fatal: true,
                });
            };
            let body = a.strip_prefix("--").or_else(|| a.strip_prefix('-'));
            let name_of = |b: &str| b.split_once('=').map_or(b, |(k, _)| k).to_string();
            let nul = a.contains('\0');
            if nul {
                // No command line can carry a NUL: exec(2) ends the argument there.
                let flag = body.map(name_of).filter(|n| !n.is_empty());
                refuse(
                    flag,
                    "holds a NUL byte, which no command line can carry (the container runtime cannot start it as written)".into(),
                );
            }
            if a == "--" {
                let words_after = args[i..].iter().any(|w| !w.trim().is_empty());
                refused.push(Refused {
                    position: i,
                    arg: raw.clone(),
                    flag: None,
                    why: if words_after {
                        "`--` ends the flags: kube-apiserver reads every word after it as a positional argument, and takes none".into()
                    } else {
                        "`--` ends the flags, and nothing follows it".into()
                    },
                    fatal: words_after,
                });
                last = None;
                continue;
            }
            let Some(body) = body else {
                // The program name, and empty arguments, which kube-apiserver ignores.
                if i > 1 && !a.is_empty() {
                    refuse(last.take(), POSITIONAL.into());
                }
                continue;
            };
            if body.is_empty() {
                refuse(None, format!("a lone `-` is {POSITIONAL}"));
                last = None;
                continue;
            }
            let (name, inline) = match body.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (body, None),
            };
            if name.is_empty() || name.starts_with('-') || name.starts_with('=') {
                refuse(None, "bad flag syntax: no flag name".into());
                last = None;
                continue;
            }
            if let Some(v) = inline {
                if BOOL_FLAGS.contains(&name) && !go_bool(v) && !nul {
                    refuse(
                        Some(name.to_string()),
                        format!(
                            "{v:?} is not a boolean; kube-apiserver accepts only true or false here"
                        ),
                    );
                }
                if name == "authorization-mode" && v.trim().is_empty() {
                    empty_modes.push((i, raw.clone()));
                }
                values.push((name.to_string(), v.to_string()));
                last = Some(name.to_string());
                continue;
            }
            let next = args.get(i).map(|s| s.trim());
            let takes_next = match next {
                None => false,
                Some(n) if n.starts_with('-') => false,
                Some(n) if BOOL_FLAGS.contains(&name) => {
                    n.eq_ignore_ascii_case("true") || n.eq_ignore_ascii_case("false")
                }
                Some(_) => true,
            };
            if takes_next {
                let v = next.unwrap_or_default();
                if BOOL_FLAGS.contains(&name) {
                    // Read as its author meant it, but pflag gives a boolean its
                    // value only after `=`: the word is a positional argument.
                    refused.push(Refused {
                        position: i + 1,
                        arg: args[i].clone(),
                        flag: Some(name.to_string()),
                        why: format!("a boolean takes its value only as --{name}={v}; as a separate word it is {POSITIONAL}"),
                        fatal: true,
                    });
                }
                if name == "authorization-mode" && v.is_empty() {
                    empty_modes.push((i, raw.clone()));
                }
                values.push((name.to_string(), v.to_string()));
                i += 1;
            } else {
                let v = if BOOL_FLAGS.contains(&name) {
                    "true"
                } else {
                    ""
                };
                if name == "authorization-mode" {
                    empty_modes.push((i, raw.clone()));
                }
                values.push((name.to_string(), v.to_string()));
            }
            last = Some(name.to_string());
        }
        let mut flags = Flags { values, refused };
        if flags.list("authorization-mode").is_empty() {
            for (position, arg) in empty_modes {
                flags.refused.push(Refused {
                    position,
                    arg,
                    flag: Some("authorization-mode".into()),
                    why: "no authorization mode: kube-apiserver requires at least one and exits"
                        .into(),
                    fatal: true,
                });
            }
            flags.refused.sort_by_key(|r| r.position);
        }
        flags
    }

    /// The refused arguments a finding about `flag` rests on.
    pub fn refused_for<'a>(&'a self, flag: &'a str) -> impl Iterator<Item = &'a Refused> + 'a {
        self.refused
            .iter()
            .filter(move |r| r.flag.as_deref() == Some(flag))
    }

    /// The effective value: the last occurrence wins, as for kube-apiserver's string flags.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every comma-separated value of a list flag given once or several times.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.trim().is_empty())
    }

    /// How the flag appears, for evidence: `--authorization-mode=Node,RBAC`.
    pub fn show(&self, name: &str) -> String {
        let shown: Vec<String> = self
            .values
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(k, v)| {
                if v.is_empty() {
                    format!("--{k}")
                } else {
                    format!("--{k}={v}")
                }
            })
            .collect();
        if shown.is_empty() {
            format!("--{name} is not set")
        } else {
            shown.join(" ")
        }
    }
}

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
    let flags = Flags::parse(&api.args);
    let subject = Subject::ApiServer {
        name: "kube-apiserver".to_string(),
    };
    let origin = format!("kube-apiserver flags from {}", api.origin);
    let manifest = if api.origin.starts_with("pod ") {
        "/etc/kubernetes/manifests/kube-apiserver.yaml (the static pod manifest on each control-plane node)"
    } else {
        "the kube-apiserver command line (unit file or manifest)"
    };
    let finding = |rule: &'static str, sev: Severity, title: String, flag: &str, fix: String| {
        let mut f = Finding::new(rule, sev, subject.clone(), title)
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
    };

    match flags.get("anonymous-auth") {
        None => out.push(finding(
            "API-001",
            Severity::High,
            "kube-apiserver accepts anonymous requests (--anonymous-auth defaults to true)".into(),
            "anonymous-auth",
            "add --anonymous-auth=false (health checks can use authenticated probes or the /livez and /readyz endpoints with an authentication config).".into(),
        )),
        Some(v) if truthy(v) => out.push(finding(
            "API-001",
            Severity::High,
            "kube-apiserver accepts anonymous requests".into(),
            "anonymous-auth",
            "set --anonymous-auth=false.".into(),
        )),
        Some(_) => {}
    }
    if flags.is_set("token-auth-file") {
        out.push(finding(
            "API-002",
            Severity::High,
            "kube-apiserver accepts static bearer tokens from a file".into(),
            "token-auth-file",
            "remove --token-auth-file; issue client certificates, use OIDC or a webhook authenticator, and delete the token file.".into(),
        ));
    }
    if flags.is_set("basic-auth-file") {
        out.push(finding(
            "API-003",
            Severity::High,
            "kube-apiserver is configured with static passwords (--basic-auth-file)".into(),
            "basic-auth-file",
            "remove --basic-auth-file (removed in Kubernetes 1.19) and delete the password file; use certificates or OIDC.".into(),
        ));
    }
    let modes = flags.list("authorization-mode");
    if modes.is_empty() && flags.is_set("authorization-config") {
        // Structured authorization configuration: the modes live in that file.
    } else {
        let always = modes.iter().any(|m| m == "AlwaysAllow");
        if modes.is_empty() || always {
            out.push(finding(
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
                out.push(finding(
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
    if !flags.is_set("client-ca-file") {
        out.push(finding(
            "API-005",
            Severity::High,
            "kube-apiserver has no client CA: client certificates are not verified".into(),
            "client-ca-file",
            "add --client-ca-file=/etc/kubernetes/pki/ca.crt.".into(),
        ));
    }
    if let Some(port) = flags.get("insecure-port")
        && port
            .trim()
            .parse::<u32>()
            .map(|p| p != 0)
            .unwrap_or(!port.trim().is_empty())
    {
        out.push(finding(
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
    let lookup_off = flags
        .get("service-account-lookup")
        .is_some_and(|v| !truthy(v));
    if lookup_off || !flags.is_set("service-account-key-file") {
        let mut f = finding(
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
            "{origin}: {}",
            flags.show("service-account-key-file")
        ));
        out.push(f);
    }
    if !flags.is_set("kubelet-certificate-authority") {
        out.push(finding(
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
