//! Tests of trust evaluation and the symbolic provider queries (moved
//! unchanged from the single `trust.rs`).

use super::*;
use crate::policy::iam::parse_document;
use serde_json::json;

const ISSUER: &str = "oidc.eks.us-west-2.amazonaws.com/id/ABC";
const PROVIDER: &str =
    "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC";
const OTHER: &str =
    "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/OTHER";

fn trust(cond: serde_json::Value) -> PolicyDocument {
    trust_with(PROVIDER, "sts:AssumeRoleWithWebIdentity", cond)
}

fn trust_with(provider: &str, action: &str, cond: serde_json::Value) -> PolicyDocument {
    let mut st = json!({"Effect": "Allow", "Principal": {"Federated": provider}, "Action": action});
    if !cond.is_null() {
        st["Condition"] = cond;
    }
    parse_document(&json!({"Version": "2012-10-17", "Statement": [st]}))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn wi<'a>(ns: &'a str, name: &'a str, aud: &'a str) -> WebIdentity<'a> {
    WebIdentity {
        provider_arn: PROVIDER,
        issuer: ISSUER,
        namespace: ns,
        name,
        audience: aud,
    }
}

fn exact(sub: &str, aud: &str) -> serde_json::Value {
    json!({"StringEquals": {format!("{ISSUER}:sub"): sub, format!("{ISSUER}:aud"): aud}})
}

#[test]
fn web_identity_table() {
    let sts = "sts.amazonaws.com";
    // (trust, sa namespace, name, audience, expected: Ok(()) or Err(substring of the reason))
    type Case<'a> = (
        PolicyDocument,
        &'a str,
        &'a str,
        &'a str,
        Result<(), &'a str>,
    );
    let cases: Vec<Case> = vec![
        (
            trust(exact("system:serviceaccount:payments:api", sts)),
            "payments",
            "api",
            sts,
            Ok(()),
        ),
        (
            trust(exact("system:serviceaccount:payment:api", sts)),
            "payments",
            "api",
            sts,
            Err("another namespace"),
        ),
        (
            trust(exact("system:serviceaccount:payments:web", sts)),
            "payments",
            "api",
            sts,
            Err("another service account name"),
        ),
        (
            trust(exact("system:serviceaccount:payments:api", sts)),
            "payments",
            "api",
            "custom",
            Err("aud condition"),
        ),
        (
            trust(exact("system:serviceaccount:payments:api", "custom")),
            "payments",
            "api",
            "custom",
            Ok(()),
        ),
        (
            trust_with(
                OTHER,
                "sts:AssumeRoleWithWebIdentity",
                exact("system:serviceaccount:payments:api", sts),
            ),
            "payments",
            "api",
            sts,
            Err("another cluster's provider"),
        ),
        (
            trust_with(
                PROVIDER,
                "sts:AssumeRole",
                exact("system:serviceaccount:payments:api", sts),
            ),
            "payments",
            "api",
            sts,
            Err("not sts:AssumeRoleWithWebIdentity"),
        ),
        (
            trust(
                json!({"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:payments:*"}}),
            ),
            "payments",
            "api",
            sts,
            Ok(()),
        ),
        (
            trust(
                json!({"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:payments:*"}}),
            ),
            "other",
            "api",
            sts,
            Err("sub condition"),
        ),
        (trust(serde_json::Value::Null), "any", "thing", sts, Ok(())),
    ];
    for (i, (t, ns, name, aud, want)) in cases.into_iter().enumerate() {
        let got = check_web_identity(&t, &wi(ns, name, aud));
        match (want, &got) {
            (Ok(()), TrustAnswer::Allowed { .. }) => {}
            (Err(s), TrustAnswer::Denied { reasons }) if reasons.iter().any(|r| r.contains(s)) => {}
            (w, g) => panic!("case {i}: want {w:?}, got {g:?}"),
        }
    }
}

#[test]
fn explicit_deny_and_undecided() {
    let t = parse_document(&json!({"Statement": [
        {"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity"},
        {"Sid": "NoKubeSystem", "Effect": "Deny", "Principal": "*", "Action": "sts:*",
         "Condition": {"StringLike": {format!("{ISSUER}:sub"): "system:serviceaccount:kube-system:*"}}}
    ]}))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(check_web_identity(&t, &wi("app", "x", "sts.amazonaws.com")).is_allowed());
    match check_web_identity(&t, &wi("kube-system", "x", "sts.amazonaws.com")) {
        TrustAnswer::Denied { reasons } => {
            assert!(reasons[0].contains("NoKubeSystem"), "{reasons:?}")
        }
        other => panic!("{other:?}"),
    }
    // A key whose value depends on the caller's network stays undecided.
    let t = trust(
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringEquals": {format!("{ISSUER}:sub"): "system:serviceaccount:a:b"}}),
    );
    match check_web_identity(&t, &wi("a", "b", "sts.amazonaws.com")) {
        TrustAnswer::Undecided { conditions } => {
            assert!(conditions[0].contains("aws:SourceIp"), "{conditions:?}")
        }
        other => panic!("{other:?}"),
    }
}

/// "IAM and AWS STS condition context keys: available keys for AWS web
/// identity federation": STS sets `<issuer>:sub` and `:aud` for an EKS token;
/// `amr` is Amazon Cognito's only, another issuer's keys are never sent, and
/// the call is over TLS ("AWS global condition context keys":
/// aws:SecureTransport). Each is decided, none is left conditional.
#[test]
fn web_identity_request_has_the_keys_sts_sets_and_no_others() {
    let sub = format!("{ISSUER}:sub");
    let other = "oidc.eks.eu-west-1.amazonaws.com/id/OTHERCLUSTER";
    let cases = [
        // amr is absent: a condition requiring it fails, one forbidding it holds.
        (
            json!({"StringEquals": {format!("{ISSUER}:amr"): "x", &sub: "system:serviceaccount:a:b"}}),
            false,
        ),
        (
            json!({"Null": {format!("{ISSUER}:amr"): "true"}, "StringEquals": {&sub: "system:serviceaccount:a:b"}}),
            true,
        ),
        // Another cluster's issuer keys are never in this request.
        (
            json!({"StringEquals": {format!("{other}:sub"): "system:serviceaccount:a:b"}}),
            false,
        ),
        (
            json!({"StringNotEquals": {format!("{other}:sub"): "system:serviceaccount:a:b"}, "StringEquals": {&sub: "system:serviceaccount:a:b"}}),
            true,
        ),
        (
            json!({"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {&sub: "system:serviceaccount:a:b"}}),
            true,
        ),
        (json!({"Bool": {"aws:SecureTransport": "false"}}), false),
        // No session tags with an EKS token.
        (json!({"StringEquals": {"aws:RequestTag/team": "x"}}), false),
    ];
    for (cond, want) in cases {
        let t = trust(cond.clone());
        let got = check_web_identity(&t, &wi("a", "b", "sts.amazonaws.com"));
        assert!(
            !matches!(got, TrustAnswer::Undecided { .. }),
            "{cond}: left undecided: {got:?}"
        );
        assert_eq!(got.is_allowed(), want, "{cond}: {got:?}");
    }
}

/// "AWS JSON policy elements: Principal" (all principals): `"*"` and
/// `{"AWS": "*"}` are the same and admit every caller, web identities
/// included; `{"Federated": "*"}` names no provider, and a provider ARN in
/// other letter case is another provider, STS compares exactly.
#[test]
fn principal_everyone_and_exact_federated() {
    let stmt = |p: serde_json::Value| {
        parse_document(&json!({"Statement": [
            {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRoleWithWebIdentity"}
        ]}))
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let cases = [
        (json!({"AWS": "*"}), true),
        (json!("*"), true),
        (
            json!({"AWS": ["arn:aws:iam::111122223333:root", "*"]}),
            true,
        ),
        (json!({"Federated": "*"}), false),
        (json!({"Federated": PROVIDER.to_uppercase()}), false),
        (json!({"Federated": PROVIDER}), true),
    ];
    for (p, want) in cases {
        let t = stmt(p.clone());
        let got = check_web_identity(&t, &wi("a", "b", "sts.amazonaws.com"));
        assert_eq!(got.is_allowed(), want, "{p}: {got:?}");
        // The symbolic side agrees: the role admits the cluster's service accounts.
        assert_eq!(!provider_statements(&t, ISSUER).is_empty(), want, "{p}");
    }
}

#[test]
fn scopes() {
    let sub = format!("{ISSUER}:sub");
    let cases = [
        (serde_json::Value::Null, 2u8, false),
        (
            json!({"StringLike": {&sub: "system:serviceaccount:*:*"}}),
            2,
            false,
        ),
        (
            json!({"StringLike": {&sub: "system:serviceaccount:team-a:*"}}),
            1,
            false,
        ),
        (
            json!({"StringLike": {&sub: "system:serviceaccount:team-*:*"}}),
            2,
            false,
        ),
        (
            json!({"StringEquals": {&sub: "system:serviceaccount:a:b", format!("{ISSUER}:aud"): "sts.amazonaws.com"}}),
            0,
            true,
        ),
        (
            json!({"StringNotEquals": {&sub: "system:serviceaccount:a:b"}}),
            2,
            false,
        ),
        (
            json!({"StringLike": {&sub: "system:serviceaccount:a:b"}}),
            0,
            false,
        ),
    ];
    for (cond, rank, aud) in cases {
        let t = trust(cond.clone());
        let st = provider_statements(&t, ISSUER);
        assert_eq!(st.len(), 1, "{cond}");
        assert_eq!(st[0].widest().map(SaScope::rank), Some(rank), "{cond}");
        assert_eq!(st[0].has_aud, aud, "{cond}");
    }
    // Another provider: not a statement for this issuer.
    let t = trust_with(
        OTHER,
        "sts:AssumeRoleWithWebIdentity",
        serde_json::Value::Null,
    );
    assert!(provider_statements(&t, ISSUER).is_empty());
    assert_eq!(parse_sub("system:serviceaccount:a:b"), Some(("a", "b")));
    assert_eq!(parse_sub("system:serviceaccount:a"), None);
}

#[test]
fn principal_forms() {
    let sts = "sts.amazonaws.com";
    let any = parse_document(&json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"}}))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(check_web_identity(&any, &wi("a", "b", sts)).is_allowed());
    assert_eq!(provider_statements(&any, ISSUER).len(), 1);
    let aws = parse_document(&json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRoleWithWebIdentity"}}))
        .unwrap_or_else(|e| panic!("{e}"));
    match check_web_identity(&aws, &wi("a", "b", sts)) {
        TrustAnswer::Denied { reasons } => assert!(
            reasons[0].contains("not this cluster's provider"),
            "{reasons:?}"
        ),
        other => panic!("{other:?}"),
    }
    let list = parse_document(&json!({"Statement": {"Effect": "Allow", "Principal": {"Federated": [OTHER, PROVIDER]}, "Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"],
        "Condition": {"StringEquals": {format!("{ISSUER}:sub"): ["system:serviceaccount:a:b", "system:serviceaccount:c:d"]}}}}))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(check_web_identity(&list, &wi("c", "d", sts)).is_allowed());
    assert!(!check_web_identity(&list, &wi("c", "e", sts)).is_allowed());
}

fn pod_trust(st: serde_json::Value) -> PolicyDocument {
    parse_document(&json!({"Statement": [st]})).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn pod_identity() {
    let pi = PodIdentity {
        account: Some("111122223333"),
        cluster_arn: Some("arn:aws:eks:us-west-2:111122223333:cluster/prod"),
        cluster_name: Some("prod"),
        namespace: "etl",
        service_account: "loader",
        session_tags: true,
    };
    let ok = pod_trust(
        json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333", "aws:RequestTag/kubernetes-namespace": "etl"}}}),
    );
    assert!(check_pod_identity(&ok, &pi).is_allowed());
    assert!(unnarrowed_pod_statements(&ok).is_empty());
    let no_tag = pod_trust(
        json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
        "Action": ["sts:AssumeRole"], "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}),
    );
    match check_pod_identity(&no_tag, &pi) {
        TrustAnswer::Denied { reasons } => {
            assert!(
                reasons.iter().any(|r| r.contains("sts:TagSession")),
                "{reasons:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    let wrong_ns = pod_trust(
        json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "other"}}}),
    );
    assert!(matches!(
        check_pod_identity(&wrong_ns, &pi),
        TrustAnswer::Denied { .. }
    ));
    let open = pod_trust(
        json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
        "Action": ["sts:AssumeRole", "sts:TagSession"]}),
    );
    assert!(check_pod_identity(&open, &pi).is_allowed());
    assert_eq!(unnarrowed_pod_statements(&open).len(), 1);
    let ec2 = pod_trust(
        json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
    );
    match check_pod_identity(&ec2, &pi) {
        TrustAnswer::Denied { reasons } => assert!(
            reasons[0].contains("no Allow statement trusts"),
            "{reasons:?}"
        ),
        other => panic!("{other:?}"),
    }
    let pod_name = pod_trust(
        json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringLike": {"aws:RequestTag/kubernetes-pod-name": "loader-*"}}}),
    );
    assert!(matches!(
        check_pod_identity(&pod_name, &pi),
        TrustAnswer::Undecided { .. }
    ));
}
/// "Amazon EKS User Guide: EKS Pod Identity session tags" and "Create IAM role
/// with trust policy required by EKS Pod Identity": the six session tags are
/// request tags of the AssumeRole/TagSession call, so trust conditions on
/// them are decided per association, except the pod's name and UID, which
/// differ for every pod and stay conditional. The caller is the EKS service:
/// it has no principal tags in the trust; the session's tags are principal
/// tags for the role's own policies.
#[test]
fn pod_identity_session_tags() {
    let pi = PodIdentity {
        account: Some("111122223333"),
        cluster_arn: Some("arn:aws:eks:us-west-2:111122223333:cluster/prod"),
        cluster_name: Some("prod"),
        namespace: "etl",
        service_account: "loader",
        session_tags: true,
    };
    let with = |cond: serde_json::Value| {
        pod_trust(
            json!({"Effect": "Allow", "Principal": {"Service": PODS_SERVICE},
            "Action": ["sts:AssumeRole", "sts:TagSession"], "Condition": cond}),
        )
    };
    let cases = [
        (
            json!({"StringEquals": {"aws:RequestTag/eks-cluster-name": "prod"}}),
            Some(true),
        ),
        (
            json!({"StringEquals": {"aws:RequestTag/eks-cluster-name": "staging"}}),
            Some(false),
        ),
        (
            json!({"ArnLike": {"aws:RequestTag/eks-cluster-arn": "arn:aws:eks:*:111122223333:cluster/*"}}),
            Some(true),
        ),
        (
            json!({"StringEquals": {"aws:RequestTag/kubernetes-service-account": "loader"}}),
            Some(true),
        ),
        (
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["eks-cluster-arn", "eks-cluster-name",
            "kubernetes-namespace", "kubernetes-service-account", "kubernetes-pod-name", "kubernetes-pod-uid"]}}),
            Some(true),
        ),
        (
            json!({"StringEquals": {"aws:PrincipalTag/kubernetes-namespace": "etl"}}),
            Some(false),
        ),
        (json!({"Bool": {"aws:SecureTransport": "true"}}), Some(true)),
        (
            json!({"StringLike": {"aws:RequestTag/kubernetes-pod-name": "loader-*"}}),
            None,
        ),
        (
            json!({"StringEquals": {"aws:RequestTag/kubernetes-pod-uid": "x"}}),
            None,
        ),
    ];
    for (cond, want) in cases {
        let got = check_pod_identity(&with(cond.clone()), &pi);
        match (want, &got) {
            (Some(w), _) => assert_eq!(got.is_allowed(), w, "{cond}: {got:?}"),
            // Undecided, and the answer says why: the tag is set per pod.
            (None, TrustAnswer::Undecided { conditions }) => {
                assert!(
                    conditions.iter().any(|c| c.contains("per pod")),
                    "{conditions:?}"
                )
            }
            (None, other) => panic!("{cond}: {other:?}"),
        }
    }
    // Session tags disabled: no tag is sent.
    let off = PodIdentity {
        session_tags: false,
        ..pi.clone()
    };
    let t = with(json!({"StringEquals": {"aws:RequestTag/kubernetes-namespace": "etl"}}));
    assert!(matches!(
        check_pod_identity(&t, &off),
        TrustAnswer::Denied { .. }
    ));
    // The session's own requests carry the tags as principal tags.
    let r = pi.session_request("s3:GetObject");
    let c = Condition {
        operator: "StringEquals".into(),
        op: Operator::StringEquals,
        set: None,
        if_exists: false,
        key: "aws:PrincipalTag/kubernetes-namespace".into(),
        values: vec!["etl".into()],
    };
    assert_eq!(eval_condition(&c, &r), Check::Yes);
}
