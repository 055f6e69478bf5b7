//! The API server view: authentication and authorization flags of the
//! control plane (kubeadm manifest or EKS cluster settings).

use super::*;

pub(super) fn api_server(m: &Model) -> Table {
    let subj = Subject::ApiServer {
        name: "kube-apiserver".into(),
    };
    let mut rows = Vec::new();
    if let Some(api) = &m.inv.apiserver {
        let flags = crate::audit::apiserver::Flags::parse(&api.args);
        for (i, (k, v)) in flags.values.iter().enumerate() {
            let hits: Vec<usize> = m
                .findings_on(&subj)
                .iter()
                .copied()
                .filter(|&f| {
                    m.findings[f]
                        .evidence
                        .iter()
                        .any(|e| e.contains(&format!("--{k}")))
                })
                .collect();
            rows.push(
                Row::new(
                    vec![format!("--{k}"), v.clone(), count_label(m, &hits)],
                    Node::Flag(i),
                )
                .sev(hits.iter().map(|&f| m.findings[f].severity).max())
                .rules(m, &hits),
            );
        }
        // Findings about flags that are absent have no row of their own.
        for &f in m.findings_on(&subj) {
            if !rows.iter().any(|r| r.rules.contains(&m.findings[f].rule)) {
                rows.push(
                    Row::new(
                        vec![
                            "(not set)".into(),
                            m.findings[f].title.clone(),
                            count_label(m, &[f]),
                        ],
                        Node::Finding(f),
                    )
                    .sev(Some(m.findings[f].severity))
                    .rules(m, &[f]),
                );
            }
        }
    }
    if m.inv.apiserver.is_none()
        && let Some(c) = &m.inv.cluster
    {
        // Managed control plane: what EKS does expose about access to the API server.
        let cs = Subject::Cluster {
            name: c.name.clone(),
        };
        let on_cluster = m.findings_on(&cs);
        let by_rule = |rule: &str| -> Vec<usize> {
            on_cluster
                .iter()
                .copied()
                .filter(|&i| m.findings[i].rule == rule)
                .collect()
        };
        let flag_row = |k: &str, v: String, hits: Vec<usize>| {
            Row::new(vec![k.to_string(), v, count_label(m, &hits)], Node::Cluster)
                .sev(hits.iter().map(|&i| m.findings[i].severity).max())
                .rules(m, &hits)
        };
        rows.push(flag_row(
            "kube-apiserver flags",
            m.inv
                .coverage
                .status("apiserver/flags")
                .and_then(|s| s.detail.clone())
                .map(|d| format!("not observable: {d}"))
                .unwrap_or_else(|| "not observable".into()),
            Vec::new(),
        ));
        let opt = |b: Option<bool>| b.map(|b| b.to_string()).unwrap_or_else(|| "?".into());
        rows.push(flag_row(
            "endpointPublicAccess",
            opt(c.endpoint_public_access),
            by_rule("AUTH-006"),
        ));
        rows.push(flag_row(
            "publicAccessCidrs",
            c.public_access_cidrs.join(", "),
            by_rule("AUTH-006"),
        ));
        rows.push(flag_row(
            "endpointPrivateAccess",
            opt(c.endpoint_private_access),
            Vec::new(),
        ));
        rows.push(flag_row(
            "authenticationMode",
            c.authentication_mode.clone().unwrap_or_else(|| "?".into()),
            by_rule("AUTH-005"),
        ));
        rows.push(flag_row(
            "bootstrapClusterCreatorAdminPermissions",
            opt(c.bootstrap_cluster_creator_admin),
            by_rule("AUTH-007"),
        ));
        let logs: Vec<String> = c
            .logging
            .iter()
            .filter(|(_, on)| **on)
            .map(|(t, _)| t.clone())
            .collect();
        rows.push(flag_row(
            "logging (enabled)",
            logs.join(", "),
            by_rule("AUTH-008"),
        ));
        rows.push(flag_row(
            "OIDC issuer",
            c.oidc_issuer.clone().unwrap_or_else(|| "?".into()),
            Vec::new(),
        ));
    }
    let empty = match m.inv.coverage.status("apiserver/flags") {
        Some(s) if s.status == Status::NotObservable => format!(
            "not observable: {} — the API server's flags are managed by AWS; see Cluster access and the cluster's endpoint in Coverage",
            s.detail.as_deref().unwrap_or("managed control plane")
        ),
        _ => gap(m, &["apiserver/flags"]),
    };
    Table {
        title: "API server".into(),
        headers: vec!["FLAG", "VALUE", "FINDINGS"],
        widths: vec![Col::Fill(40), Col::Fill(60), Col::Fixed(13)],
        rows,
        empty,
    }
}
