//! The `/` filter language: space-separated terms, all of which must match.
//!
//! - `text`            row text contains it (case-insensitive)
//! - `sev:high`        severity is high; `sev:high+` high or worse; `sev:high,critical` either
//! - `rule:IRSA-*`     a rule on the row matches the glob (`*`, `?`)
//! - `ns:payments`     the row's namespace (glob)
//! - `new`             a finding new against `--baseline` (marked `NEW ·`)
//! - `!term`           inverts any term

use super::views::Row;
use crate::audit::Severity;

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Text(String),
    Sev(Vec<Severity>, bool),
    Rule(String),
    Ns(String),
    New,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    terms: Vec<(bool, Term)>,
    pub text: String,
}

impl Filter {
    /// Parse a filter; unknown `key:` prefixes are plain text. Errors name the bad term.
    pub fn parse(input: &str) -> Result<Filter, String> {
        let mut terms = Vec::new();
        for raw in input.split_whitespace() {
            let (neg, t) = match raw.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, raw),
            };
            if t.is_empty() {
                continue;
            }
            let lower = t.to_lowercase();
            let term = if let Some(v) = lower
                .strip_prefix("sev:")
                .or_else(|| lower.strip_prefix("severity:"))
            {
                let (v, plus) = match v.strip_suffix('+') {
                    Some(x) => (x, true),
                    None => (v, false),
                };
                let mut sevs = Vec::new();
                for s in v.split(',').filter(|s| !s.is_empty()) {
                    let short = match s {
                        "crit" => Some(Severity::Critical),
                        "med" => Some(Severity::Medium),
                        _ => None,
                    };
                    let sev = Severity::parse(s).or(short).ok_or_else(|| {
                        format!("{s:?} is not a severity (critical, high, medium, low, info)")
                    })?;
                    sevs.push(sev);
                }
                if sevs.is_empty() {
                    return Err("sev: needs a severity, e.g. sev:high".into());
                }
                Term::Sev(sevs, plus)
            } else if let Some(v) = lower.strip_prefix("rule:") {
                Term::Rule(v.to_string())
            } else if let Some(v) = lower
                .strip_prefix("ns:")
                .or_else(|| lower.strip_prefix("namespace:"))
            {
                Term::Ns(v.to_string())
            } else if lower == "new" {
                Term::New
            } else {
                Term::Text(lower)
            };
            terms.push((neg, term));
        }
        Ok(Filter {
            terms,
            text: input.trim().to_string(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, row: &Row) -> bool {
        self.terms.iter().all(|(neg, t)| {
            let hit = match t {
                Term::Text(s) => row.haystack().contains(s.as_str()),
                Term::Sev(sevs, plus) => match row.severity {
                    None => false,
                    Some(s) => {
                        if *plus {
                            sevs.iter().any(|x| s >= *x)
                        } else {
                            sevs.contains(&s)
                        }
                    }
                },
                Term::Rule(g) => row.rules.iter().any(|r| glob(g, &r.to_lowercase())),
                Term::New => row.new,
                Term::Ns(g) => row
                    .namespace
                    .as_deref()
                    .is_some_and(|n| glob(g, &n.to_lowercase())),
            };
            hit != *neg
        })
    }
}

/// `*` and `?` glob over chars.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::views::{Node, Row};

    fn row(text: &str, sev: Option<Severity>, rules: Vec<&'static str>, ns: Option<&str>) -> Row {
        Row {
            cells: vec![text.to_string()],
            severity: sev,
            node: Node::Info(text.into()),
            namespace: ns.map(str::to_string),
            rules,
            haystack: text.to_lowercase().into(),
            new: false,
        }
    }

    /// `new` keeps the findings new against --baseline; `!new` the others.
    #[test]
    fn new_term() {
        let mut fresh = row(
            "IRSA-006 role",
            Some(Severity::High),
            vec!["IRSA-006"],
            None,
        );
        fresh.new = true;
        let old = row(
            "IRSA-006 other",
            Some(Severity::High),
            vec!["IRSA-006"],
            None,
        );
        let f = Filter::parse("new").unwrap();
        assert!(f.matches(&fresh) && !f.matches(&old));
        let f = Filter::parse("!new sev:high").unwrap();
        assert!(!f.matches(&fresh) && f.matches(&old));
    }

    #[test]
    fn language() {
        let a = row(
            "Role payments-api reads secrets",
            Some(Severity::High),
            vec!["IAM-004"],
            Some("payments"),
        );
        let b = row(
            "ServiceAccount ci/jenkins",
            Some(Severity::Critical),
            vec!["RBAC-001"],
            Some("ci"),
        );
        let c = row("kube-system default", None, vec![], Some("kube-system"));
        let cases: &[(&str, [bool; 3])] = &[
            ("", [true, true, true]),
            ("payments", [true, false, false]),
            ("PAYMENTS", [true, false, false]),
            ("sev:high", [true, false, false]),
            ("sev:high+", [true, true, false]),
            ("sev:critical,high", [true, true, false]),
            ("!sev:high", [false, true, true]),
            ("rule:IRSA-*", [false, false, false]),
            ("rule:iam-*", [true, false, false]),
            ("rule:*-00?", [true, true, false]),
            ("ns:payments", [true, false, false]),
            ("ns:kube-*", [false, false, true]),
            ("!ns:kube-* sev:high+", [true, true, false]),
            ("jenkins !rule:RBAC-001", [false, false, false]),
        ];
        for (q, want) in cases {
            let f = Filter::parse(q).unwrap();
            let got = [f.matches(&a), f.matches(&b), f.matches(&c)];
            assert_eq!(&got, want, "filter {q:?}");
        }
    }

    #[test]
    fn bad_severity_is_an_error() {
        let e = Filter::parse("sev:severe").unwrap_err();
        assert!(e.contains("severe"));
        assert!(Filter::parse("sev:").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("irsa-*", "irsa-005"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("?", "x"));
        assert!(!glob("?", ""));
    }
}
