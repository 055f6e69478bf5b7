//! Tests of the IRSA rules (moved unchanged from the single `irsa.rs`).

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
    let fixed =
        crate::policy::iam::parse_document(&serde_json::from_str(json_part).unwrap_or_default())
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
