//! IRSA rules: IAM roles for service accounts (IRSA-001..IRSA-010).
//!
//! "Does not exist" is only said where the input was collected: IAM for roles,
//! the OIDC provider list for the provider, the service-account list for
//! service accounts. What was not collected is shown by the report's coverage.
//!
//! IRSA-004 and IRSA-005: when the cluster's OIDC provider is missing, every
//! IRSA role is broken for that one reason, and IRSA-004 says so once with the
//! affected service accounts. IRSA-005 is then evaluated against the provider
//! ARN the role's account *would* have (`arn:…:oidc-provider/<issuer>`), so a
//! trust that is right apart from the missing provider raises nothing more,
//! and a trust that is also wrong (another namespace, another audience) still
//! raises IRSA-005: that part would stay broken after the provider is created.

use crate::hashing::HashMap;
use std::collections::BTreeSet;

use super::{Context, Finding, MAX_EXAMPLES, MAX_RELATED, Related, Severity, Subject};
use crate::graph::ProviderState;
use crate::graph::reach::{
    IrsaChecker, SaIndex, audited_account, cluster_issuer, find_role, irsa_answer,
    provider_arn_for, trust_of,
};
use crate::model::{IamRole, RoleArn, ServiceAccount};
use crate::policy::trust::{SaScope, TrustAnswer, corrected_trust, parse_sub, provider_statements};

const SRC_SERVICE_ACCOUNTS: &str = "kubernetes/serviceaccounts";
const SRC_PODS: &str = "kubernetes/pods";

/// A Terraform resource label from a role name.
fn tf_label(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() {
        format!("role_{s}")
    } else {
        s
    }
}

/// HCL for a JSON value, as `jsonencode({...})` expects it.
fn hcl(v: &serde_json::Value, indent: usize) -> String {
    let pad = "  ".repeat(indent);
    let inner = "  ".repeat(indent + 1);
    match v {
        serde_json::Value::Object(m) => {
            let mut s = "{\n".to_string();
            for (k, val) in m {
                let key = if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    k.clone()
                } else {
                    serde_json::Value::String(k.clone()).to_string()
                };
                s.push_str(&format!("{inner}{key} = {}\n", hcl(val, indent + 1)));
            }
            s.push_str(&format!("{pad}}}"));
            s
        }
        serde_json::Value::Array(a) => {
            let items: Vec<String> = a.iter().map(|x| hcl(x, indent + 1)).collect();
            if a.iter().all(|x| !x.is_object()) {
                format!("[{}]", items.join(", "))
            } else {
                let mut s = "[\n".to_string();
                for i in items {
                    s.push_str(&format!("{inner}{i},\n"));
                }
                s.push_str(&format!("{pad}]"));
                s
            }
        }
        other => other.to_string(),
    }
}

/// A trust policy in the three forms a user applies: JSON, the AWS CLI, Terraform.
pub fn trust_fix_text(role: &IamRole, policy: &serde_json::Value, intro: &str) -> String {
    let pretty = serde_json::to_string_pretty(policy).unwrap_or_default();
    let compact = policy.to_string();
    let path_line = if role.path.is_empty() || role.path == "/" {
        String::new()
    } else {
        format!("  path = \"{}\"\n", role.path)
    };
    format!(
        "{intro}\n\nTrust policy:\n{pretty}\n\nAWS CLI:\naws iam update-assume-role-policy --role-name {name} --policy-document '{compact}'\n\nTerraform:\nresource \"aws_iam_role\" \"{label}\" {{\n  name = \"{name}\"\n{path_line}  assume_role_policy = jsonencode({body})\n}}",
        name = role.name,
        label = tf_label(&role.name),
        body = hcl(policy, 1),
    )
}

/// The service accounts of the cluster annotated with each role (by lowercase role ARN).
fn annotated_index<'a>(
    ctx: &Context<'a>,
    annotated: &[(&'a ServiceAccount, RoleArn)],
) -> HashMap<String, Vec<&'a ServiceAccount>> {
    let mut by_role: HashMap<String, Vec<&'a ServiceAccount>> = HashMap::default();
    for (sa, arn) in annotated {
        if let Some(r) = find_role(ctx.inv, ctx.graph, arn) {
            by_role
                .entry(r.arn.to_ascii_lowercase())
                .or_default()
                .push(sa);
        }
    }
    by_role
}

/// The corrected trust for some subjects (and their audiences), as remediation text.
fn fix_for(
    ctx: &Context,
    issuer: &str,
    role: &IamRole,
    subs: &[String],
    audiences: &BTreeSet<String>,
    intro: &str,
) -> String {
    let provider = provider_arn_for(ctx.graph, issuer, &role.arn);
    let aud = if audiences.len() == 1 {
        audiences.iter().next().cloned().unwrap_or_default()
    } else if audiences.is_empty() {
        crate::model::DEFAULT_AUDIENCE.to_string()
    } else {
        // Several audiences: StringEquals with an array admits any of them.
        String::new()
    };
    // A trust policy holds about 2,048 characters (IAM's default quota): past a
    // score of names the fix scopes by namespace instead of listing every account.
    let by_namespace = subs.len() > MAX_RELATED;
    let patterns: Vec<String>;
    let subs: &[String] = if by_namespace {
        let namespaces: BTreeSet<&str> = subs
            .iter()
            .filter_map(|s| crate::policy::trust::parse_sub(s).map(|(ns, _)| ns))
            .collect();
        patterns = if namespaces.len() <= MAX_RELATED {
            namespaces
                .iter()
                .map(|ns| format!("system:serviceaccount:{ns}:*"))
                .collect()
        } else {
            vec!["system:serviceaccount:NAMESPACE:*".to_string()]
        };
        &patterns
    } else {
        subs
    };
    let mut policy = corrected_trust(&provider, issuer, subs, &aud);
    if by_namespace
        && let Some(cond) = policy["Statement"][0]
            .get_mut("Condition")
            .and_then(|c| c.as_object_mut())
        && let Some(serde_json::Value::Object(eq)) = cond.get_mut("StringEquals")
        && let Some(sub) = eq.remove(&format!("{issuer}:sub"))
    {
        cond.insert(
            "StringLike".to_string(),
            serde_json::json!({ format!("{issuer}:sub"): sub }),
        );
    }
    if audiences.len() > 1 {
        policy["Statement"][0]["Condition"]["StringEquals"][format!("{issuer}:aud")] =
            serde_json::Value::Array(
                audiences
                    .iter()
                    .cloned()
                    .map(serde_json::Value::String)
                    .collect(),
            );
    }
    // Keep the role's statements that are not about this cluster's provider
    // (another cluster, an AWS service): the fix replaces only what is wrong here.
    let kept = other_statements(role, issuer);
    let intro = if by_namespace {
        format!(
            "{intro} (too many to name in one trust policy, whose default quota is 2,048 characters: scoped by namespace below; a role per workload is narrower)"
        )
    } else {
        intro.to_string()
    };
    let intro = if kept.is_empty() {
        intro
    } else {
        format!(
            "{intro} (the role's {} other statement(s), not for this cluster's provider, are kept)",
            kept.len()
        )
    };
    if let Some(serde_json::Value::Array(stmts)) = policy.get_mut("Statement") {
        stmts.extend(kept);
    }
    trust_fix_text(role, &policy, &intro)
}

/// Service accounts as related subjects: by namespace and name when there are
/// more than can be listed (so that the ones listed do not depend on the
/// listing order), as given otherwise.
fn accounts(sas: &[&ServiceAccount], limit: Option<usize>) -> Related {
    let mut sas: Vec<&ServiceAccount> = sas.to_vec();
    if limit.is_some_and(|n| sas.len() > n) {
        sas.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    }
    Related::of(
        sas.iter()
            .map(|sa| Subject::service_account(&sa.namespace, &sa.name)),
        limit,
    )
}

/// `a, b, c, d, e and 12 more`: a list named in a title or sentence, bounded.
fn examples(items: &[String]) -> String {
    if items.len() <= MAX_EXAMPLES {
        return items.join(", ");
    }
    format!(
        "{} and {} more",
        items[..MAX_EXAMPLES].join(", "),
        super::iam::fmt_count(items.len() - MAX_EXAMPLES)
    )
}

/// The trust statements of a role that do not name this issuer's provider.
fn other_statements(role: &IamRole, issuer: &str) -> Vec<serde_json::Value> {
    let Some(doc) = role
        .trust_policy
        .as_ref()
        .and_then(|t| crate::policy::iam::document_value(t).ok())
    else {
        return Vec::new();
    };
    let stmts = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(o @ serde_json::Value::Object(_)) => vec![o.clone()],
        _ => return Vec::new(),
    };
    let names_provider = |st: &serde_json::Value| -> bool {
        let fed = st.get("Principal").and_then(|p| p.get("Federated"));
        let vals: Vec<&str> = match fed {
            Some(serde_json::Value::String(s)) => vec![s.as_str()],
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        vals.iter()
            .any(|v| crate::policy::trust::names_issuer(v, issuer))
            || st.get("Principal").and_then(|p| p.as_str()) == Some("*")
    };
    stmts.into_iter().filter(|st| !names_provider(st)).collect()
}

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let g = ctx.graph;
    let inv = ctx.inv;
    let sas_seen = inv.seen(SRC_SERVICE_ACCOUNTS);
    let pods_seen = inv.seen(SRC_PODS);
    let issuer = cluster_issuer(g);

    // ------------------------------------------------ per service account
    let mut annotated: Vec<(&ServiceAccount, RoleArn)> = Vec::new();
    for sa in &inv.service_accounts {
        let Some(ann) = sa.irsa_annotation() else {
            continue;
        };
        let subject = Subject::service_account(&sa.namespace, &sa.name);
        let arn = match RoleArn::parse(ann) {
            Ok(a) => a,
            Err(e) => {
                let account = audited_account(inv).unwrap_or_else(|| "ACCOUNT_ID".to_string());
                out.push(
                    Finding::new(
                        "IRSA-001",
                        Severity::High,
                        subject,
                        format!(
                            "Service account {}/{} is annotated with an invalid role ARN",
                            sa.namespace, sa.name
                        ),
                    )
                    .evidence(format!("eks.amazonaws.com/role-arn: {ann}"))
                    .evidence(e.to_string())
                    .evidence("pods of this service account get no AWS identity")
                    .remediation(format!(
                        "Set the annotation to the role's full ARN (arn:<partition>:iam::<12-digit account>:role/<path/>name):\nkubectl annotate serviceaccount -n {} {} --overwrite eks.amazonaws.com/role-arn=arn:aws:iam::{account}:role/ROLE_NAME\nthen restart the pods that use it.",
                        sa.namespace, sa.name
                    )),
                );
                continue;
            }
        };
        if sa.name == "default" {
            out.push(
                Finding::new(
                    "IRSA-009",
                    Severity::Medium,
                    subject.clone(),
                    format!(
                        "The default service account of namespace {} has IAM role {}",
                        sa.namespace, arn.name
                    ),
                )
                .related(Subject::iam_role(&arn.to_string()))
                .evidence(format!("eks.amazonaws.com/role-arn: {arn}"))
                .evidence("every pod in the namespace that names no service account runs with this role")
                .remediation(format!(
                    "Create a dedicated service account for the workload, annotate it instead, set serviceAccountName in its pod template, then remove the annotation from the default account:\nkubectl create serviceaccount -n {ns} WORKLOAD\nkubectl annotate serviceaccount -n {ns} WORKLOAD eks.amazonaws.com/role-arn={arn}\nkubectl annotate serviceaccount -n {ns} default eks.amazonaws.com/role-arn-",
                    ns = sa.namespace
                )),
            );
        }
        if pods_seen && g.sa_uses(&sa.namespace, &sa.name).is_empty() {
            out.push(
                Finding::new(
                    "IRSA-008",
                    Severity::Low,
                    subject.clone(),
                    format!(
                        "Service account {}/{} has IAM role {} but no pod or workload uses it",
                        sa.namespace, sa.name, arn.name
                    ),
                )
                .related(Subject::iam_role(&arn.to_string()))
                .evidence(format!("eks.amazonaws.com/role-arn: {arn}"))
                .evidence("no pod and no workload template runs as this service account")
                .remediation(format!(
                    "If nothing needs it any more, remove the grant: kubectl annotate serviceaccount -n {} {} eks.amazonaws.com/role-arn- (or delete the service account), and review whether role {} is still needed.",
                    sa.namespace, sa.name, arn.name
                )),
            );
        }
        annotated.push((sa, arn));
    }

    // ------------------------------------------------ the provider (IRSA-004)
    let (provider_problem, accepted): (Option<String>, Vec<String>) = match g.provider_state() {
        ProviderState::Missing { issuer } => (
            Some(format!(
                "no IAM OIDC provider for issuer {issuer} in account {}",
                g.account().unwrap_or("(unknown)")
            )),
            Vec::new(),
        ),
        ProviderState::NoStsAudience { provider, .. } | ProviderState::Ok { provider, .. } => (
            Some(format!(
                "IAM OIDC provider {} has ClientIDList {:?}",
                provider.arn, provider.client_ids
            )),
            provider.client_ids.clone(),
        ),
        _ => (None, Vec::new()),
    };
    if let Some(problem) = provider_problem {
        let missing = accepted.is_empty();
        let affected: Vec<&(&ServiceAccount, RoleArn)> = annotated
            .iter()
            .filter(|(sa, _)| missing || !accepted.iter().any(|c| c == sa.audience()))
            .collect();
        if !affected.is_empty() {
            let issuer_s = issuer.clone().unwrap_or_default();
            let title = if missing {
                format!(
                    "Cluster {} has no IAM OIDC provider: IRSA cannot work",
                    g.cluster_name()
                )
            } else {
                format!(
                    "The IAM OIDC provider of cluster {} does not accept the audience its service accounts use",
                    g.cluster_name()
                )
            };
            let remediation = if missing {
                format!(
                    "Create the provider for the cluster's issuer:\neksctl utils associate-iam-oidc-provider --cluster {} --approve\nor: aws iam create-open-id-connect-provider --url https://{issuer_s} --client-id-list sts.amazonaws.com",
                    g.cluster_name()
                )
            } else {
                let mut auds: BTreeSet<&str> =
                    affected.iter().map(|(sa, _)| sa.audience()).collect();
                auds.retain(|a| !accepted.iter().any(|c| c == a));
                let arn = provider_arn_for(g, &issuer_s, &affected[0].1.to_string());
                auds.iter()
                    .map(|a| format!("aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {arn} --client-id {a}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let mut f = Finding::new(
                "IRSA-004",
                Severity::High,
                Subject::Cluster {
                    name: g.cluster_name(),
                },
                title,
            )
            .evidence(problem)
            .remediation(remediation);
            for (sa, arn) in affected.iter().take(MAX_EXAMPLES) {
                f = f.evidence(format!(
                    "affected: {}/{} (role {arn}, audience {})",
                    sa.namespace,
                    sa.name,
                    sa.audience()
                ));
            }
            if affected.len() > MAX_EXAMPLES {
                f = f.evidence(format!(
                    "… and {} more annotated service accounts",
                    super::iam::fmt_count(affected.len() - MAX_EXAMPLES)
                ));
            }
            let sas: Vec<&ServiceAccount> = affected.iter().map(|(sa, _)| *sa).collect();
            f = f.with_related(&accounts(&sas, ctx.opts.max_related));
            out.push(f);
        }
    }

    // ------------------------------------------------ annotated role (IRSA-002/003/005)
    let audited = audited_account(inv);
    let by_role = annotated_index(ctx, &annotated);
    for (sa, arn) in &annotated {
        let subject = Subject::service_account(&sa.namespace, &sa.name);
        match audited.as_deref() {
            Some(acct) if acct != arn.account => {
                out.push(
                    Finding::new(
                        "IRSA-003",
                        Severity::Info,
                        subject,
                        format!(
                            "Role {} of {}/{} is in account {}, which was not audited",
                            arn.name, sa.namespace, sa.name, arn.account
                        ),
                    )
                    .related(Subject::iam_role(&arn.to_string()))
                    .evidence(format!("eks.amazonaws.com/role-arn: {arn}"))
                    .evidence(format!("the audited account is {acct}"))
                    .remediation(format!(
                        "Audit account {} as well (iam.json from `aws iam get-account-authorization-details` there) so that the role's trust and permissions can be checked.",
                        arn.account
                    )),
                );
                continue;
            }
            None => continue,
            Some(_) => {}
        }
        if !g.iam_seen() {
            continue;
        }
        let Some(role) = find_role(inv, g, arn) else {
            out.push(
                Finding::new(
                    "IRSA-002",
                    Severity::High,
                    subject,
                    format!(
                        "Service account {}/{} names role {}, which does not exist",
                        sa.namespace, sa.name, arn.name
                    ),
                )
                .related(Subject::iam_role(&arn.to_string()))
                .evidence(format!("eks.amazonaws.com/role-arn: {arn}"))
                .evidence(format!(
                    "no role named {} in account {}",
                    arn.name, arn.account
                ))
                .remediation(format!(
                    "Create the role with a trust for this service account, or point the annotation at the right role (kubectl annotate serviceaccount -n {} {} --overwrite eks.amazonaws.com/role-arn=ARN). Until then, whoever creates a role named {} in this account decides what these pods can do.",
                    sa.namespace, sa.name, arn.name
                )),
            );
            continue;
        };
        let (Some(issuer), Some(trust)) = (issuer.as_deref(), trust_of(g, role)) else {
            continue;
        };
        if let Some(TrustAnswer::Denied { reasons }) = irsa_answer(g, role, &trust, sa) {
            let mut others: Vec<&ServiceAccount> = by_role
                .get(&role.arn.to_ascii_lowercase())
                .cloned()
                .unwrap_or_default();
            if !others
                .iter()
                .any(|o| o.namespace == sa.namespace && o.name == sa.name)
            {
                others.push(sa);
            }
            let subs: Vec<String> = others
                .iter()
                .map(|o| o.username())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let auds: BTreeSet<String> = others.iter().map(|o| o.audience().to_string()).collect();
            let mut f = Finding::new(
                "IRSA-005",
                Severity::High,
                subject,
                format!(
                    "Trust policy of role {} does not admit {}/{}",
                    role.name, sa.namespace, sa.name
                ),
            )
            .related(Subject::iam_role(&role.arn));
            for r in reasons {
                f = f.evidence(r);
            }
            f = f
                .evidence(format!(
                    "request: {} from {} with sub {} and aud {}",
                    crate::policy::trust::WEB_IDENTITY_ACTION,
                    provider_arn_for(g, issuer, &role.arn),
                    sa.username(),
                    sa.audience()
                ))
                .remediation(fix_for(
                    ctx,
                    issuer,
                    role,
                    &subs,
                    &auds,
                    &format!(
                        "Replace the trust policy of {} with one that admits exactly the service accounts annotated with it ({}):",
                        role.name,
                        examples(&subs)
                    ),
                ));
            out.push(f);
        }
    }

    // ------------------------------------------------ role trusts (IRSA-006/007/010)
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

            // IRSA-006: more than one service account.
            let mut checker = IrsaChecker::new(g, role, &trust);
            let mut broad: Vec<String> = Vec::new();
            let mut severity = None;
            let mut admitted: Vec<(&str, &str)> = Vec::new();
            // A role that every account obtains admits them all (may_allow
            // includes what allows does): no need to ask for each.
            let everyone = links.is_everyones(&role.arn);
            for st in &stmts {
                let Some(w) = st.widest() else { continue };
                let (sev, what) = match w {
                    SaScope::Any { why } => (
                        Severity::Critical,
                        format!("any service account in the cluster ({why})"),
                    ),
                    SaScope::Namespace { namespace, pattern } => (
                        Severity::High,
                        format!(
                            "every service account of namespace {namespace} (StringLike {pattern})"
                        ),
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
                let admitted: &[(&str, &str)] = if everyone { &every_account } else { &admitted };
                if !admitted.is_empty() {
                    let list: Vec<String> = admitted
                        .iter()
                        .take(20)
                        .map(|(ns, n)| format!("{ns}/{n}"))
                        .collect();
                    let every =
                        if admitted.len() == inv.service_accounts.len() && admitted.len() > 1 {
                            "every service account of the cluster: "
                        } else {
                            ""
                        };
                    f = f.evidence(format!(
                        "existing service accounts it admits ({every}{}): {}{}",
                        super::iam::fmt_count(admitted.len()),
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
                            examples(&user_subs)
                        ),
                    )
                };
                f = f.with_related(&accounts(&users, ctx.opts.max_related));
                f = f.remediation(fix_for(ctx, issuer, role, &subs, &user_auds, &intro));
                out.push(f);
            }

            // IRSA-007: exact names that do not exist.
            if sas_seen {
                let mut missing: Vec<String> = Vec::new();
                for st in &stmts {
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
                    f = f.evidence(
                        "whoever can create that service account in that namespace gets the role",
                    );
                    let remediation = if user_subs.is_empty() {
                        format!(
                            "If no workload needs role {name}, delete it (or remove this statement); if the name is a typo, correct it. A trust for an existing service account looks like this:\n\n{}",
                            fix_for(
                                ctx,
                                issuer,
                                role,
                                &["system:serviceaccount:NAMESPACE:NAME".to_string()],
                                &user_auds,
                                "Trust naming an existing service account:"
                            ),
                            name = role.name
                        )
                    } else {
                        fix_for(
                            ctx,
                            issuer,
                            role,
                            &user_subs,
                            &user_auds,
                            &format!(
                                "Name only the service accounts that exist and are annotated with {} ({}):",
                                role.name,
                                examples(&user_subs)
                            ),
                        )
                    };
                    f = f
                        .remediation(remediation)
                        .with_related(&accounts(&users, ctx.opts.max_related));
                    out.push(f);
                }
            }

            // IRSA-010: sub without aud.
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
                    &user_auds,
                    "Add the audience condition next to the subject:",
                ));
                out.push(f);
            }
        }
        out
    };
    let parts = crate::par::shares(&inv.iam.roles, 2048, |_, part| judge(part));
    out.extend(parts.into_iter().flatten());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Options;
    use crate::graph::Graph;
    use crate::model::{Coverage, EksCluster, IamInventory, Inventory, OidcProvider, Pod, Status};
    use serde_json::json;

    const ISSUER: &str = "oidc.eks.us-west-2.amazonaws.com/id/ABC";
    const ACCT: &str = "111122223333";

    fn provider() -> String {
        format!("arn:aws:iam::{ACCT}:oidc-provider/{ISSUER}")
    }

    fn sa(ns: &str, name: &str, role: Option<&str>) -> ServiceAccount {
        let mut s = ServiceAccount {
            namespace: ns.into(),
            name: name.into(),
            ..Default::default()
        };
        if let Some(r) = role {
            s.annotations
                .insert(crate::model::IRSA_ANNOTATION.into(), r.into());
        }
        s
    }

    fn role(name: &str, cond: serde_json::Value) -> IamRole {
        let mut st = json!({"Effect": "Allow", "Principal": {"Federated": provider()}, "Action": "sts:AssumeRoleWithWebIdentity"});
        if !cond.is_null() {
            st["Condition"] = cond;
        }
        IamRole {
            arn: format!("arn:aws:iam::{ACCT}:role/{name}"),
            name: name.into(),
            path: "/".into(),
            trust_policy: Some(json!({"Version": "2012-10-17", "Statement": [st]})),
            ..Default::default()
        }
    }

    fn exact(sub: &str) -> serde_json::Value {
        json!({"StringEquals": {format!("{ISSUER}:sub"): sub, format!("{ISSUER}:aud"): "sts.amazonaws.com"}})
    }

    fn inventory(sas: Vec<ServiceAccount>, roles: Vec<IamRole>, with_provider: bool) -> Inventory {
        let mut cov = Coverage::default();
        for s in [
            "aws/iam",
            "aws/oidc-providers",
            "kubernetes/serviceaccounts",
            "kubernetes/pods",
        ] {
            cov.set(s, Status::Ok, None, None);
        }
        let pods = sas
            .iter()
            .filter(|s| s.name != "idle")
            .map(|s| Pod {
                namespace: s.namespace.clone(),
                name: format!("{}-pod", s.name),
                service_account: s.name.clone(),
                ..Default::default()
            })
            .collect();
        Inventory {
            account: Some(ACCT.into()),
            service_accounts: sas,
            pods,
            iam: IamInventory {
                roles,
                ..Default::default()
            },
            oidc_providers: if with_provider {
                vec![OidcProvider {
                    arn: provider(),
                    url: ISSUER.into(),
                    client_ids: vec!["sts.amazonaws.com".into()],
                    thumbprints: vec![],
                }]
            } else {
                vec![]
            },
            cluster: Some(EksCluster {
                name: "prod".into(),
                oidc_issuer: Some(format!("https://{ISSUER}")),
                ..Default::default()
            }),
            coverage: cov,
            ..Default::default()
        }
    }

    fn run(inv: &Inventory) -> Vec<Finding> {
        let g = Graph::build(inv);
        let opts = Options::default();
        let ctx = Context {
            inv,
            graph: &g,
            opts: &opts,
        };
        let mut out = Vec::new();
        check(&ctx, &mut out);
        out
    }

    fn ids(out: &[Finding]) -> Vec<String> {
        let mut v: Vec<String> = out
            .iter()
            .map(|f| format!("{} {} {}", f.rule, f.severity, f.subject.display_name()))
            .collect();
        v.sort();
        v
    }

    fn arn(name: &str) -> String {
        format!("arn:aws:iam::{ACCT}:role/{name}")
    }

    #[test]
    fn rules_table() {
        let inv = inventory(
            vec![
                sa("web", "bad", Some("arn:aws:I am::XXXXXXXXXXXX:role/x")),
                sa("pay", "api", Some(&arn("pay-api"))),
                sa("pay", "gone", Some(&arn("does-not-exist"))),
                sa("pay", "xacct", Some("arn:aws:iam::999988887777:role/x")),
                sa("cat", "sync", Some(&arn("cat-sync"))),
                sa("cat", "idle", Some(&arn("cat-any"))),
                sa("team", "default", Some(&arn("team-ns"))),
            ],
            vec![
                role("pay-api", exact("system:serviceaccount:pay:api")),
                role("cat-sync", exact("system:serviceaccount:cat:synch")),
                role(
                    "cat-any",
                    json!({"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:*:*"}}),
                ),
                role(
                    "team-ns",
                    json!({"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:team:*"}, "StringEquals": {format!("{ISSUER}:aud"): "sts.amazonaws.com"}}),
                ),
                role(
                    "no-aud",
                    json!({"StringEquals": {format!("{ISSUER}:sub"): "system:serviceaccount:pay:api"}}),
                ),
            ],
            true,
        );
        let got = ids(&run(&inv));
        let want = [
            "IRSA-001 high web/bad",
            "IRSA-002 high pay/gone",
            "IRSA-003 info pay/xacct",
            "IRSA-005 high cat/sync",
            "IRSA-006 critical arn:aws:iam::111122223333:role/cat-any",
            "IRSA-006 high arn:aws:iam::111122223333:role/team-ns",
            "IRSA-007 medium arn:aws:iam::111122223333:role/cat-sync",
            "IRSA-008 low cat/idle",
            "IRSA-009 medium team/default",
            "IRSA-010 low arn:aws:iam::111122223333:role/cat-any",
            "IRSA-010 low arn:aws:iam::111122223333:role/no-aud",
        ];
        assert_eq!(got, want, "{got:#?}");
    }

    #[test]
    fn irsa005_names_the_part_and_fixes_it() {
        let mut r = role("pay-api", exact("system:serviceaccount:payment:api"));
        r.path = "/apps/".into();
        r.arn = format!("arn:aws:iam::{ACCT}:role/apps/pay-api");
        let inv = inventory(
            vec![sa(
                "payments",
                "api",
                Some(&format!("arn:aws:iam::{ACCT}:role/apps/pay-api")),
            )],
            vec![r],
            true,
        );
        let out = run(&inv);
        let f = out
            .iter()
            .find(|f| f.rule == "IRSA-005")
            .unwrap_or_else(|| panic!("{out:#?}"));
        assert!(
            f.evidence
                .iter()
                .any(|e| e.contains("system:serviceaccount:payment:api")
                    && e.contains("another namespace")),
            "{:?}",
            f.evidence
        );
        assert!(
            f.remediation
                .contains("aws iam update-assume-role-policy --role-name pay-api"),
            "{}",
            f.remediation
        );
        assert!(
            f.remediation
                .contains("resource \"aws_iam_role\" \"pay_api\"")
        );
        assert!(f.remediation.contains("path = \"/apps/\""));
        assert!(f.remediation.contains("assume_role_policy = jsonencode("));
        assert!(
            f.remediation
                .contains("\"system:serviceaccount:payments:api\"")
        );
        // The JSON of the CLI form is a valid trust that admits the account.
        let json_part = f
            .remediation
            .split("--policy-document '")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .unwrap_or("");
        let fixed = crate::policy::iam::parse_document(
            &serde_json::from_str(json_part).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let sa = &inv.service_accounts[0];
        let g = Graph::build(&inv);
        let answer = irsa_answer(&g, &inv.iam.roles[0], &fixed, sa);
        assert!(
            matches!(answer, Some(TrustAnswer::Allowed { .. })),
            "{answer:?}"
        );
    }

    #[test]
    fn missing_provider_is_one_cluster_finding() {
        let inv = inventory(
            vec![
                sa("pay", "api", Some(&arn("pay-api"))),
                sa("pay", "web", Some(&arn("pay-web"))),
            ],
            vec![
                role("pay-api", exact("system:serviceaccount:pay:api")),
                role("pay-web", exact("system:serviceaccount:pay:other")),
            ],
            false,
        );
        let out = run(&inv);
        let got = ids(&out);
        assert!(got.contains(&"IRSA-004 high prod".to_string()), "{got:?}");
        // pay/api's trust is right apart from the provider: no IRSA-005; pay/web's is wrong too.
        assert!(
            !got.contains(&"IRSA-005 high pay/api".to_string()),
            "{got:?}"
        );
        assert!(
            got.contains(&"IRSA-005 high pay/web".to_string()),
            "{got:?}"
        );
        let f = out
            .iter()
            .find(|f| f.rule == "IRSA-004")
            .unwrap_or_else(|| panic!());
        assert!(f.evidence.iter().any(|e| e.contains("pay/api")));
    }

    #[test]
    fn account_inferred_without_sts() {
        let mut inv = inventory(
            vec![
                sa("pay", "gone", Some(&arn("does-not-exist"))),
                sa("pay", "xacct", Some("arn:aws:iam::999988887777:role/x")),
            ],
            vec![role("r", exact("system:serviceaccount:pay:gone-not"))],
            true,
        );
        inv.account = None;
        let got = ids(&run(&inv));
        assert!(
            got.contains(&"IRSA-002 high pay/gone".to_string()),
            "{got:?}"
        );
        assert!(
            got.contains(&"IRSA-003 info pay/xacct".to_string()),
            "{got:?}"
        );
    }

    #[test]
    fn custom_audience_and_trust_deny() {
        let mut custom = sa("pay", "api", Some(&arn("pay-api")));
        custom
            .annotations
            .insert(crate::model::AUDIENCE_ANNOTATION.into(), "vault".into());
        let mut denied = role("deny", exact("system:serviceaccount:pay:web"));
        if let Some(t) = denied.trust_policy.as_mut() {
            t["Statement"]
                .as_array_mut()
                .unwrap_or_else(|| panic!())
                .push(json!({"Sid": "NoPay", "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:pay:*"}}}));
        }
        let mut inv = inventory(
            vec![custom, sa("pay", "web", Some(&arn("deny")))],
            vec![
                role("pay-api", exact("system:serviceaccount:pay:api")),
                denied,
            ],
            true,
        );
        inv.oidc_providers[0].client_ids.push("vault".into());
        let out = run(&inv);
        let api = out
            .iter()
            .find(|f| f.rule == "IRSA-005" && f.subject.display_name() == "pay/api")
            .unwrap_or_else(|| panic!("{out:#?}"));
        assert!(
            api.evidence
                .iter()
                .any(|e| e.contains("aud condition") && e.contains("vault")),
            "{:?}",
            api.evidence
        );
        assert!(api.remediation.contains("\"vault\""), "{}", api.remediation);
        let web = out
            .iter()
            .find(|f| f.rule == "IRSA-005" && f.subject.display_name() == "pay/web")
            .unwrap_or_else(|| panic!("{out:#?}"));
        assert!(
            web.evidence
                .iter()
                .any(|e| e.contains("explicit Deny") && e.contains("NoPay")),
            "{:?}",
            web.evidence
        );
        assert!(!out.iter().any(|f| f.rule == "IRSA-004"), "{out:#?}");
    }

    #[test]
    fn nothing_without_coverage() {
        let mut inv = inventory(
            vec![sa("pay", "gone", Some(&arn("does-not-exist")))],
            vec![role("r", exact("system:serviceaccount:x:y"))],
            true,
        );
        inv.coverage = Coverage::default();
        let got = ids(&run(&inv));
        assert!(
            got.iter().all(|g| !g.starts_with("IRSA-002")
                && !g.starts_with("IRSA-007")
                && !g.starts_with("IRSA-004")
                && !g.starts_with("IRSA-008")),
            "{got:?}"
        );
    }
}
