//! The subjects view: users, groups and service accounts as RBAC bindings,
//! aws-auth and access entries name them.

use super::*;

pub(super) fn subjects(m: &Model) -> Table {
    // Every subject a binding names, plus service accounts and mapped AWS identities.
    let mut seen: HashMap<(String, String, Option<String>), (usize, bool)> = HashMap::default();
    let mut order = Vec::new();
    let mut add = |kind: &str, name: &str, ns: Option<&str>, bootstrap: bool, binding: bool| {
        let key = (
            kind.to_string(),
            name.to_string(),
            if kind == "ServiceAccount" {
                ns.map(str::to_string)
            } else {
                None
            },
        );
        let e = seen.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (0, true)
        });
        if binding {
            e.0 += 1;
        }
        e.1 &= bootstrap;
    };
    for b in &m.inv.bindings {
        for s in &b.subjects {
            add(
                &s.kind,
                &s.name,
                s.namespace.as_deref(),
                b.is_bootstrap(),
                true,
            );
        }
    }
    for sa in &m.inv.service_accounts {
        add(
            "ServiceAccount",
            &sa.name,
            Some(&sa.namespace),
            false,
            false,
        );
    }
    if let Some(a) = &m.inv.aws_auth {
        for e in &a.entries {
            for g in &e.groups {
                add("Group", g, None, false, false);
            }
            if let Some(u) = &e.username {
                add("User", u, None, false, false);
            }
        }
    }
    for e in &m.inv.access_entries {
        for g in &e.kubernetes_groups {
            add("Group", g, None, false, false);
        }
    }
    let rows = order
        .into_iter()
        .filter(|k| m.include_system || !seen[k].1 || seen[k].0 == 0)
        .map(|key| {
            let (kind, name, ns) = &key;
            let subj = subject_of(kind, name, ns.as_deref());
            let idx = m.findings_on(&subj);
            let (bindings, system) = seen[&key];
            Row::new(
                vec![
                    kind.clone(),
                    ns.clone().unwrap_or_default(),
                    name.clone(),
                    bindings.to_string(),
                    if system && bindings > 0 {
                        "system".into()
                    } else {
                        String::new()
                    },
                    count_label(m, idx),
                ],
                subject_node(kind, name, ns.as_deref()),
            )
            .sev(m.worst(&subj))
            .ns(ns.as_deref())
            .rules(m, idx)
        })
        .collect();
    Table {
        title: if m.include_system {
            "Subjects (system shown)".into()
        } else {
            "Subjects".into()
        },
        headers: vec![
            "KIND",
            "NAMESPACE",
            "NAME",
            "BINDINGS",
            "ORIGIN",
            "FINDINGS",
        ],
        widths: vec![
            Col::Fixed(14),
            Col::Fill(16),
            Col::Fill(40),
            Col::Fixed(8),
            Col::Fixed(7),
            Col::Fixed(13),
        ],
        rows,
        empty: gap(
            m,
            &["kubernetes/rolebindings", "kubernetes/clusterrolebindings"],
        ),
    }
}
