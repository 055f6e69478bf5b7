//! Grants as evidence: which of a subject's grants allow the requests a rule
//! looks for (`Want`, `matching`), the bounded evidence lines and remediation
//! built from them, and the service accounts with IAM roles they reach.

use super::*;

/// One request pattern a rule looks for.
pub(super) struct Want {
    verbs: &'static [&'static str],
    group: &'static str,
    resources: &'static [&'static str],
    /// Cluster-scoped resource (or "in every namespace"): only ClusterRoleBindings grant it.
    cluster_only: bool,
    name: Name<'static>,
}

pub(super) const fn want(
    verbs: &'static [&'static str],
    group: &'static str,
    resources: &'static [&'static str],
    cluster_only: bool,
    name: Name<'static>,
) -> Want {
    Want {
        verbs,
        group,
        resources,
        cluster_only,
        name,
    }
}

/// The rows that allow any of the wanted requests, with what each allows.
pub(super) fn matching<'g, 'a>(
    rows: &'g [Grant<'a>],
    wants: &[Want],
) -> Vec<(&'g Grant<'a>, String)> {
    let mut out = Vec::new();
    for g in rows {
        let mut what: Vec<String> = Vec::new();
        for w in wants {
            if w.cluster_only && g.scope != Scope::Cluster {
                continue;
            }
            for res in w.resources {
                for verb in w.verbs {
                    let mut req = Request::new(verb, w.group, res);
                    req.name = w.name;
                    req.namespace = match g.scope {
                        Scope::Namespace(ns) => Some(ns),
                        Scope::Cluster => None,
                    };
                    if g.allows(&req) {
                        let mut s = format!("{verb} {res}");
                        if !w.group.is_empty() {
                            s = format!("{verb} {res}.{}", w.group);
                        }
                        if !what.contains(&s) {
                            what.push(s);
                        }
                    }
                }
            }
        }
        if !what.is_empty() {
            out.push((g, what.join(", ")));
        }
    }
    out
}

pub(super) fn grant_lines(hits: &[(&Grant, String)]) -> Vec<String> {
    let mut lines: Vec<String> = hits
        .iter()
        .take(MAX_LINES)
        .map(|(g, what)| {
            let mut s = format!("{what} [{}] via {}", g.scope, g.describe());
            if g.binding().is_some_and(RbacBinding::is_bootstrap) {
                s.push_str(" (a Kubernetes bootstrap binding)");
            }
            s
        })
        .collect();
    if hits.len() > MAX_LINES {
        lines.push(format!("… and {} more grants", hits.len() - MAX_LINES));
    }
    lines
}

/// The bindings behind some grants, as kubectl objects.
pub(super) fn bindings_of_hits(hits: &[(&Grant, String)]) -> Vec<String> {
    // A set, not a scan: a group may be bound in every namespace.
    let mut seen: HashSet<String> = HashSet::default();
    let mut out: Vec<String> = Vec::new();
    for (g, _) in hits {
        if let Some(b) = g.binding() {
            let s = binding_label(b);
            if seen.insert(s.clone()) {
                out.push(s);
            }
        }
    }
    out
}

/// `a, b, c and 12 more`: bindings named in a title or sentence, bounded.
pub(super) fn first_of(items: &[String], shown: usize, sep: &str) -> String {
    if items.len() <= shown {
        return items.join(sep);
    }
    format!(
        "{}{sep}… and {} more",
        items[..shown].join(sep),
        crate::audit::iam::fmt_count(items.len() - shown)
    )
}

pub(super) fn kubectl_delete(label: &str) -> String {
    match label.split_once(' ') {
        Some(("RoleBinding", rest)) => match rest.split_once('/') {
            Some((ns, name)) => format!("kubectl -n {ns} delete rolebinding {name}"),
            None => format!("kubectl delete rolebinding {rest}"),
        },
        Some(("ClusterRoleBinding", name)) => format!("kubectl delete clusterrolebinding {name}"),
        _ => label.to_string(),
    }
}

pub(super) fn remove_or_narrow(hits: &[(&Grant, String)], narrowed: &str) -> String {
    let bindings = bindings_of_hits(hits);
    let cmds: Vec<String> = bindings.iter().map(|b| kubectl_delete(b)).collect();
    // Bounded: the bindings past these are in `related` (all with --max-related 0).
    format!(
        "Remove the grant ({}), or bind a role whose rules are narrowed to {narrowed}.",
        first_of(&cmds, 8, "; ")
    )
}

/// Service accounts with an IAM role inside the scopes of these grants.
/// `names` may restrict a grant to some service-account names.
pub(super) fn iam_targets(
    iam: &IamSas,
    hits: &[(&Grant, String)],
    names: impl Fn(&Grant) -> Option<Vec<String>>,
) -> Vec<(String, String)> {
    // A set, not a scan of the list: a cluster-wide grant reaches every account.
    let mut out: HashSet<(String, String)> = HashSet::default();
    for (g, _) in hits {
        let only = names(g);
        for (ns, name) in iam.in_scope(g.scope) {
            if only.as_ref().is_some_and(|o| !o.contains(&name)) {
                continue;
            }
            out.insert((ns, name));
        }
    }
    let mut out: Vec<(String, String)> = out.into_iter().collect();
    out.sort();
    out
}

pub(super) fn target_lines(iam: &IamSas, targets: &[(String, String)], what: &str) -> Vec<String> {
    let mut lines: Vec<String> = targets
        .iter()
        .take(MAX_LINES)
        .map(|(ns, name)| format!("can {what} {}", iam.describe(ns, name)))
        .collect();
    if targets.len() > MAX_LINES {
        lines.push(format!(
            "… and {} more service accounts with IAM roles",
            targets.len() - MAX_LINES
        ));
    }
    if targets.is_empty() {
        lines.push("no service account with an IAM role is within reach of these grants".into());
    }
    lines
}
