//! IRSA-006, 007, 010: what each role's trust admits through the cluster's
//! provider (more than one service account, a service account that does not
//! exist, `sub` without `aud`), every role of the account, a share per core.

use super::*;
use crate::graph::reach::RoleLinks;
use crate::policy::iam::PolicyDocument;
use crate::policy::trust::ProviderTrust;

/// What the checks of every role read: built once per run.
struct Run<'r, 'a> {
    ctx: &'r Context<'a>,
    issuer: &'r str,
    index: SaIndex<'a>,
    /// Every account, by namespace and name, for the roles that admit them all.
    every_account: Vec<(&'a str, &'a str)>,
    links: &'a RoleLinks,
}

/// One role whose trust admits the cluster's provider, and the service
/// accounts annotated with it.
struct RoleTrust<'a> {
    role: &'a IamRole,
    stmts: Vec<ProviderTrust>,
    users: Vec<&'a ServiceAccount>,
    user_subs: Vec<String>,
    user_auds: BTreeSet<String>,
    subject: Subject,
}

pub(super) fn check<'a>(
    ctx: &Context<'a>,
    by_role: &HashMap<String, Vec<&'a ServiceAccount>>,
    issuer: &Option<String>,
    out: &mut Vec<Finding>,
) {
    let g = ctx.graph;
    let inv = ctx.inv;
    let sas_seen = inv.seen(SRC_SERVICE_ACCOUNTS);
    let Some(issuer) = issuer.as_deref() else {
        return;
    };
    if !g.iam_seen() {
        return;
    }
    let index = SaIndex::new(inv);
    // Every account, by namespace and name, for the roles that admit them all.
    let mut every_account: Vec<(&str, &str)> = g
        .accounts_by_name()
        .iter()
        .map(|sa| (sa.namespace.as_str(), sa.name.as_str()))
        .collect();
    every_account.dedup();
    let links = g.links();
    let run = Run {
        ctx,
        issuer,
        index,
        every_account,
        links,
    };
    // Every role of the account: a share of them per core, findings in role order.
    let judge = |roles: &[IamRole]| -> Vec<Finding> {
        let mut out = Vec::new();
        for role in roles {
            let Some(trust) = trust_of(g, role) else {
                continue;
            };
            let stmts = provider_statements(&trust, issuer);
            if stmts.is_empty() {
                continue;
            }
            let users: Vec<&ServiceAccount> = by_role
                .get(&role.arn.to_ascii_lowercase())
                .cloned()
                .unwrap_or_default();
            let user_subs: Vec<String> = users
                .iter()
                .map(|u| u.username())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let user_auds: BTreeSet<String> =
                users.iter().map(|u| u.audience().to_string()).collect();
            let subject = Subject::iam_role(&role.arn);

            let rt = RoleTrust {
                role,
                stmts,
                users,
                user_subs,
                user_auds,
                subject,
            };
            broad(&run, &rt, &trust, &mut out);
            if sas_seen {
                missing(&run, &rt, &mut out);
            }
            no_audience(&run, &rt, &mut out);
        }
        out
    };
    let parts = crate::par::shares(&inv.iam.roles, 2048, |_, part| judge(part));
    out.extend(parts.into_iter().flatten());
}

/// IRSA-006: more than one service account.
fn broad(run: &Run, rt: &RoleTrust, trust: &PolicyDocument, out: &mut Vec<Finding>) {
    let Run {
        ctx,
        issuer,
        index,
        every_account,
        links,
    } = run;
    let RoleTrust {
        role,
        stmts,
        users,
        user_subs,
        user_auds,
        subject,
    } = rt;
    let g = ctx.graph;
    let inv = ctx.inv;
    let mut checker = IrsaChecker::new(g, role, trust);
    let mut broad: Vec<String> = Vec::new();
    let mut severity = None;
    let mut admitted: Vec<(&str, &str)> = Vec::new();
    // A role that every account obtains admits them all (may_allow
    // includes what allows does): no need to ask for each.
    let everyone = links.is_everyones(&role.arn);
    for st in stmts.iter() {
        let Some(w) = st.widest() else { continue };
        let (sev, what) = match w {
            SaScope::Any { why } => (
                Severity::Critical,
                format!("any service account in the cluster ({why})"),
            ),
            SaScope::Namespace { namespace, pattern } => (
                Severity::High,
                format!("every service account of namespace {namespace} (StringLike {pattern})"),
            ),
            SaScope::Exact(_) => continue,
        };
        severity = severity.max(Some(sev));
        broad.push(format!("{} admits {what}", st.label));
        if everyone {
            continue;
        }
        for sa in st.scopes.iter().flat_map(|sc| index.admitted(sc)) {
            // Listed when the whole trust admits it (an explicit Deny may carve it out).
            if checker.as_mut().is_none_or(|c| c.may_allow(sa)) {
                admitted.push((sa.namespace.as_str(), sa.name.as_str()));
            }
        }
    }
    if let Some(sev) = severity {
        let mut f = Finding::new(
            "IRSA-006",
            sev,
            subject.clone(),
            format!(
                "Trust of role {} admits more than one service account of cluster {}",
                role.name,
                g.cluster_name()
            ),
        );
        for b in broad {
            f = f.evidence(b);
        }
        admitted.sort_unstable();
        admitted.dedup();
        let admitted: &[(&str, &str)] = if everyone { every_account } else { &admitted };
        if !admitted.is_empty() {
            let list: Vec<String> = admitted
                .iter()
                .take(20)
                .map(|(ns, n)| format!("{ns}/{n}"))
                .collect();
            let every = if admitted.len() == inv.service_accounts.len() && admitted.len() > 1 {
                "every service account of the cluster: "
            } else {
                ""
            };
            f = f.evidence(format!(
                "existing service accounts it admits ({every}{}): {}{}",
                crate::audit::iam::fmt_count(admitted.len()),
                list.join(", "),
                if admitted.len() > 20 { ", …" } else { "" }
            ));
        }
        f = f.evidence(
        "whoever can create a service account (or a pod with a projected token) where the trust admits it gets the role",
    );
        let (subs, intro) = if user_subs.is_empty() {
            (
                vec!["system:serviceaccount:NAMESPACE:NAME".to_string()],
                format!(
                    "No service account is annotated with {}; name the one that should use it:",
                    role.name
                ),
            )
        } else {
            (
                user_subs.clone(),
                format!(
                    "Replace the wildcard with the service accounts annotated with {} ({}), using StringEquals:",
                    role.name,
                    examples(user_subs)
                ),
            )
        };
        f = f.with_related(&accounts(users, ctx.opts.max_related));
        f = f.remediation(fix_for(ctx, issuer, role, &subs, user_auds, &intro));
        out.push(f);
    }
}

/// IRSA-007: exact names that do not exist.
fn missing(run: &Run, rt: &RoleTrust, out: &mut Vec<Finding>) {
    let Run { ctx, issuer, .. } = run;
    let RoleTrust {
        role,
        stmts,
        users,
        user_subs,
        user_auds,
        subject,
    } = rt;
    let g = ctx.graph;
    let mut missing: Vec<String> = Vec::new();
    for st in stmts.iter() {
        for sc in &st.scopes {
            let SaScope::Exact(values) = sc else { continue };
            for v in values {
                if let Some((ns, name)) = parse_sub(v)
                    && g.service_account(ns, name).is_none()
                {
                    let ns_note = if g.namespace_exists(ns) {
                        ""
                    } else {
                        " (its namespace does not exist either)"
                    };
                    missing.push(format!(
                        "{} names {v}, which does not exist{ns_note}",
                        st.label
                    ));
                }
            }
        }
    }
    if !missing.is_empty() {
        let mut f = Finding::new(
            "IRSA-007",
            Severity::Medium,
            subject.clone(),
            format!(
                "Trust of role {} names a service account that does not exist in cluster {}",
                role.name,
                g.cluster_name()
            ),
        );
        for m in missing {
            f = f.evidence(m);
        }
        f = f.evidence("whoever can create that service account in that namespace gets the role");
        let remediation = if user_subs.is_empty() {
            format!(
                "If no workload needs role {name}, delete it (or remove this statement); if the name is a typo, correct it. A trust for an existing service account looks like this:\n\n{}",
                fix_for(
                    ctx,
                    issuer,
                    role,
                    &["system:serviceaccount:NAMESPACE:NAME".to_string()],
                    user_auds,
                    "Trust naming an existing service account:"
                ),
                name = role.name
            )
        } else {
            fix_for(
                ctx,
                issuer,
                role,
                user_subs,
                user_auds,
                &format!(
                    "Name only the service accounts that exist and are annotated with {} ({}):",
                    role.name,
                    examples(user_subs)
                ),
            )
        };
        f = f
            .remediation(remediation)
            .with_related(&accounts(users, ctx.opts.max_related));
        out.push(f);
    }
}

/// IRSA-010: sub without aud.
fn no_audience(run: &Run, rt: &RoleTrust, out: &mut Vec<Finding>) {
    let Run { ctx, issuer, .. } = run;
    let RoleTrust {
        role,
        stmts,
        user_subs,
        user_auds,
        subject,
        ..
    } = rt;
    let no_aud: Vec<&crate::policy::trust::ProviderTrust> =
        stmts.iter().filter(|s| s.has_sub && !s.has_aud).collect();
    if !no_aud.is_empty() {
        let mut f = Finding::new(
            "IRSA-010",
            Severity::Low,
            subject.clone(),
            format!("Trust of role {} checks sub but not aud", role.name),
        );
        let mut subs: BTreeSet<String> = BTreeSet::new();
        for st in &no_aud {
            f = f.evidence(format!(
                "{} has {} but no {issuer}:aud condition",
                st.label,
                st.sub_conditions.join(" and ")
            ));
            for sc in &st.scopes {
                if let SaScope::Exact(v) = sc {
                    subs.extend(v.iter().cloned());
                }
            }
        }
        let subs: Vec<String> = if user_subs.is_empty() {
            subs.into_iter().collect()
        } else {
            user_subs.clone()
        };
        let subs = if subs.is_empty() {
            vec!["system:serviceaccount:NAMESPACE:NAME".to_string()]
        } else {
            subs
        };
        f = f.remediation(fix_for(
            ctx,
            issuer,
            role,
            &subs,
            user_auds,
            "Add the audience condition next to the subject:",
        ));
        out.push(f);
    }
}
