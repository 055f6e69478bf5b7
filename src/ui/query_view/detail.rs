//! The detail text of an answer's row, and the inventory node a query node
//! stands for.

use super::*;

fn heading(s: &str) -> Line {
    vec![(s.to_string(), Tone::Heading)]
}

fn kv(k: &str, v: &str) -> Line {
    vec![(format!("{k}: "), Tone::Key), (v.to_string(), Tone::Plain)]
}

fn plain(s: &str, t: Tone) -> Line {
    vec![(s.to_string(), t)]
}

fn hop_lines(k: usize, h: &Hop, out: &mut Vec<Line>) {
    out.push(vec![
        (format!("{}. ", k + 1), Tone::Dim),
        (h.edge.to_string(), Tone::Highlight),
        (format!(" → {}", h.to.label()), Tone::Plain),
    ]);
    out.push(plain(&format!("   {}", h.evidence), Tone::Dim));
}

/// The detail pane of a results row or a hop.
pub fn detail(q: &Questions, r: &Ref) -> Vec<Line> {
    let Some(d) = q.get(r.id) else {
        return vec![plain("this answer is no longer kept", Tone::Dim)];
    };
    let mut out: Vec<Line> = Vec::new();
    if let (Some(k), Some(hops)) = (r.hop, d.hops(r.item)) {
        if let Some(h) = hops.get(k) {
            hop_detail(k, hops.len(), h, &mut out);
        }
        return out;
    }
    match r.item {
        Item::Summary | Item::More => summary_detail(d, &mut out),
        Item::Path(_) | Item::Role(_) | Item::Becomes(_) => path_detail(d, r.item, &mut out),
        Item::Rules(i) => rules_detail(d, i, &mut out),
        Item::Miss(i) => {
            if let Outcome::Answer(a) = &d.outcome
                && let Some(m) = a.misses.get(i)
            {
                out.push(heading("Why not"));
                out.push(plain(m, Tone::Plain));
            }
        }
        Item::Gap(i) => {
            out.push(heading("Not seen"));
            if let Some(g) = d.gaps().get(i) {
                out.push(plain(g, Tone::Plain));
            }
            out.push(plain(
                "A `no` or a short list may be incomplete where a source was not read.",
                Tone::Dim,
            ));
        }
    }
    out
}

/// Hop `k` of `of`: its two ends and its evidence.
fn hop_detail(k: usize, of: usize, h: &Hop, out: &mut Vec<Line>) {
    out.push(heading(&format!("Hop {} of {}: {}", k + 1, of, h.edge)));
    out.push(kv("from", &h.from.label()));
    out.push(kv("to", &h.to.label()));
    out.push(Vec::new());
    out.push(heading("Evidence"));
    out.push(plain(&h.evidence, Tone::Plain));
    out.push(Vec::new());
    out.push(plain(
        "Enter opens it in the inventory views; y copies the whole path.",
        Tone::Dim,
    ));
}

/// The answer as a whole: the question, its time, nearest misses and gaps.
fn summary_detail(d: &Done, out: &mut Vec<Line>) {
    out.push(heading(&d.headline()));
    out.push(kv("question", &format!("iamscope {}", d.text)));
    out.push(kv("answered in", &format!("{} ms", d.took.as_millis())));
    if let Outcome::Answer(a) = &d.outcome
        && !a.misses.is_empty()
    {
        out.push(Vec::new());
        out.push(heading("Why not / nearest misses"));
        for m in a.misses.iter().take(MAX_DETAIL) {
            out.push(plain(&format!("- {m}"), Tone::Plain));
        }
    }
    let gaps = d.gaps();
    if !gaps.is_empty() {
        out.push(Vec::new());
        out.push(heading("Not seen (the answer may be incomplete there)"));
        for g in gaps.iter().take(MAX_DETAIL) {
            out.push(plain(
                &format!("- {g}"),
                Tone::Sev(crate::audit::Severity::Medium),
            ));
        }
    }
    out.push(Vec::new());
    out.push(plain(
        "Enter on a row opens its path; e / E export the whole answer (markdown / json).",
        Tone::Dim,
    ));
}

/// A path, role or `becomes` row: its conditions and hops, and for a role
/// what it was flagged for and its effective permissions.
fn path_detail(d: &Done, item: Item, out: &mut Vec<Line>) {
    out.push(heading(&d.item_label(item)));
    let cond = d.conditions(item);
    if !cond.is_empty() {
        out.push(kv("only if", &cond.join("; ")));
    }
    out.push(Vec::new());
    let hops = d.hops(item).unwrap_or(&[]);
    if let Some(first) = hops.first() {
        out.push(kv("from", &first.from.label()));
    }
    for (k, h) in hops.iter().enumerate() {
        hop_lines(k, h, out);
    }
    if let (Outcome::Reach(rc), Item::Role(i)) = (&d.outcome, item)
        && let Some(role) = rc.roles.get(i)
    {
        role_lines(role, out);
    }
    out.push(Vec::new());
    out.push(plain(
        "Enter opens the hops; y copies the path; a asks the reach of this subject.",
        Tone::Dim,
    ));
}

/// A reached role's flags, what was not evaluated, and its effective
/// permissions by service and level.
fn role_lines(role: &reach::RoleReach, out: &mut Vec<Line>) {
    for f in &role.flagged {
        out.push(kv("flagged", f));
    }
    for p in &role.problems {
        out.push(kv("not evaluated", p));
    }
    out.push(Vec::new());
    out.push(heading("Effective permissions (service: level count)"));
    for (svc, levels) in role.permissions.iter().take(MAX_DETAIL) {
        for (level, g) in levels {
            out.push(vec![
                (format!("{svc}: "), Tone::Key),
                (
                    format!(
                        "{level} {}{} — {} — on {}",
                        g.count,
                        if g.conditional { " (conditional)" } else { "" },
                        g.examples.join(", "),
                        g.resources.join(", ")
                    ),
                    Tone::Plain,
                ),
            ]);
        }
    }
    if role.permissions.len() > MAX_DETAIL {
        out.push(plain(
            &format!(
                "… {} more services (E exports all)",
                role.permissions.len() - MAX_DETAIL
            ),
            Tone::Dim,
        ));
    }
}

/// The Kubernetes rules of one scope of a reach answer.
fn rules_detail(d: &Done, i: usize, out: &mut Vec<Line>) {
    if let Outcome::Reach(rc) = &d.outcome
        && let Some((scope, rules)) = rc.kubernetes_rules.iter().nth(i)
    {
        out.push(heading(&format!("Kubernetes rules, {scope}")));
        for rule in rules.iter().take(MAX_DETAIL) {
            out.push(plain(&format!("- {rule}"), Tone::Plain));
        }
        if rules.len() > MAX_DETAIL {
            out.push(plain(
                &format!("… {} more (E exports all)", rules.len() - MAX_DETAIL),
                Tone::Dim,
            ));
        }
    }
}

/// The inventory view's node for a path node, where the views have one.
pub(super) fn inventory_node(n: &QNode, m: &Model) -> Option<Node> {
    Some(match n {
        QNode::ServiceAccount { namespace, name } => Node::ServiceAccount {
            namespace: namespace.clone(),
            name: name.clone(),
        },
        QNode::Pod { namespace, name } => Node::Pod(
            m.inv
                .pods
                .iter()
                .position(|p| &p.namespace == namespace && &p.name == name)?,
        ),
        QNode::User { name } => Node::Subject {
            kind: "User".into(),
            name: name.clone(),
            namespace: None,
        },
        QNode::Group { name } => Node::Subject {
            kind: "Group".into(),
            name: name.clone(),
            namespace: None,
        },
        QNode::IamRole { arn } => Node::IamRole(arn.clone()),
        _ => return None,
    })
}
