//! The results table of an answer and the hops table of one of its items.

use super::*;

fn row(cells: Vec<String>, r: Ref) -> Row {
    Row {
        cells,
        severity: None,
        node: Node::Query(r),
        namespace: None,
        rules: Vec::new(),
        // Made when a filter first reads it.
        haystack: std::sync::OnceLock::new(),
        new: false,
    }
}

fn missing(id: usize) -> Table {
    Table {
        title: "Answer".into(),
        headers: vec!["", "WHAT"],
        widths: vec![Col::Fixed(2), Col::Fill(100)],
        rows: Vec::new(),
        empty: format!(
            "answer #{id} is no longer kept (the last {KEPT} are); ask again with :can, :who or :reach"
        ),
    }
}

/// The results view: the decision first, then each path or subject (at most
/// `MAX_ROWS`, the rest counted), then misses and sources not seen.
pub fn table(q: &Questions, id: usize) -> Table {
    let Some(d) = q.get(id) else {
        return missing(id);
    };
    let at = |item: Item| Ref {
        id,
        item,
        hop: None,
    };
    let mut rows = Vec::new();
    rows.push(row(
        vec![
            d.decision().as_str().to_uppercase(),
            d.text.clone(),
            String::new(),
            d.headline(),
        ],
        at(Item::Summary),
    ));
    let mut more = 0;
    match &d.outcome {
        Outcome::Answer(a) => {
            rows.reserve(a.answers.len().min(MAX_ROWS) + a.misses.len() + 4);
            for (i, p) in a.answers.iter().enumerate().take(MAX_ROWS) {
                rows.push(row(
                    vec![
                        p.decision.as_str().to_string(),
                        short_label(&p.subject),
                        p.path.len().to_string(),
                        compact(&p.path),
                    ],
                    at(Item::Path(i)),
                ));
            }
            more += a.answers.len().saturating_sub(MAX_ROWS);
            for (i, m) in a.misses.iter().enumerate().take(MAX_ROWS) {
                rows.push(row(
                    vec!["why not".into(), clip(m, 240), String::new(), String::new()],
                    at(Item::Miss(i)),
                ));
            }
            more += a.misses.len().saturating_sub(MAX_ROWS);
        }
        Outcome::Reach(r) => {
            for (i, role) in r.roles.iter().enumerate().take(MAX_ROWS) {
                let services: Vec<&str> = role.permissions.keys().copied().collect();
                let flag = if role.flagged.is_empty() {
                    String::new()
                } else {
                    format!(" [flagged: {}]", role.flagged.join(", "))
                };
                rows.push(row(
                    vec![
                        format!("role {}", role.decision.as_str()),
                        short_label(&QNode::IamRole {
                            arn: role.role.clone(),
                        }),
                        role.path.len().to_string(),
                        clip(
                            &format!(
                                "{} service{}: {}{flag}",
                                services.len(),
                                if services.len() == 1 { "" } else { "s" },
                                services.join(", ")
                            ),
                            240,
                        ),
                    ],
                    at(Item::Role(i)),
                ));
            }
            for (i, b) in r.becomes.iter().enumerate().take(MAX_ROWS) {
                rows.push(row(
                    vec![
                        "becomes".into(),
                        short_label(&b.identity),
                        b.path.len().to_string(),
                        compact(&b.path),
                    ],
                    at(Item::Becomes(i)),
                ));
            }
            more +=
                r.roles.len().saturating_sub(MAX_ROWS) + r.becomes.len().saturating_sub(MAX_ROWS);
            for (i, (scope, rules)) in r.kubernetes_rules.iter().enumerate() {
                rows.push(row(
                    vec![
                        "rules".into(),
                        scope.clone(),
                        String::new(),
                        clip(
                            &format!("{} rule(s): {}", rules.len(), rules.join("; ")),
                            240,
                        ),
                    ],
                    at(Item::Rules(i)),
                ));
            }
        }
    }
    if more > 0 {
        rows.push(row(
            vec![
                "…".into(),
                format!("{more} more not listed here"),
                String::new(),
                "narrow the question (-n NS, a resource ARN), or e / E export it whole".into(),
            ],
            at(Item::More),
        ));
    }
    for (i, g) in d.gaps().iter().enumerate() {
        rows.push(row(
            vec![
                "not seen".into(),
                clip(g, 240),
                String::new(),
                String::new(),
            ],
            at(Item::Gap(i)),
        ));
    }
    Table {
        title: format!("Answer: {} — {}", clip(&d.text, 100), d.headline()),
        headers: vec!["DECISION", "SUBJECT", "HOPS", "PATH"],
        widths: vec![Col::Fixed(11), Col::Fill(60), Col::Fixed(4), Col::Fill(40)],
        rows,
        empty: "no answer".into(),
    }
}

/// A path's hops: where it starts, then each hop with its evidence.
pub fn hops_table(q: &Questions, id: usize, item: Item) -> Table {
    let Some(d) = q.get(id) else {
        return missing(id);
    };
    let hops = d.hops(item).unwrap_or(&[]);
    let mut rows = Vec::with_capacity(hops.len() + 1);
    if let Some(first) = hops.first() {
        rows.push(row(
            vec![
                "0".into(),
                "from".into(),
                short_label(&first.from),
                "where the path starts".into(),
            ],
            Ref {
                id,
                item,
                hop: None,
            },
        ));
    }
    for (k, h) in hops.iter().enumerate() {
        rows.push(row(
            vec![
                (k + 1).to_string(),
                h.edge.to_string(),
                short_label(&h.to),
                clip(&h.evidence, 400),
            ],
            Ref {
                id,
                item,
                hop: Some(k),
            },
        ));
    }
    Table {
        title: format!("Path: {}", clip(&d.item_label(item), 100)),
        headers: vec!["#", "EDGE", "TO", "EVIDENCE"],
        widths: vec![Col::Fixed(2), Col::Fixed(14), Col::Fill(50), Col::Fill(50)],
        rows,
        empty: "no hops: the subject is itself the answer".into(),
    }
}
