//! kube-apiserver's command line read as flags, the way kube-apiserver reads it
//! (`--flag=value`, `--flag value`, bare booleans), with the arguments it would
//! refuse. A parser of an inventory field: it judges nothing (the API rules in
//! `audit::apiserver` do) and imports nothing from the layers above `model`.

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
