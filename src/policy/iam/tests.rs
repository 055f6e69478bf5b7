//! Tests of IAM parsing, evaluation and the grant queries (moved unchanged
//! from the single `iam.rs`).

use super::*;
use serde_json::json;

fn doc(v: Value) -> PolicyDocument {
    parse_document(&v).unwrap_or_else(|e| panic!("{e}"))
}

fn set(v: Value) -> PermissionSet {
    PermissionSet::of(vec![NamedPolicy {
        name: "p".into(),
        doc: doc(v).into(),
    }])
}

#[test]
fn parses_every_shape() {
    let d = doc(json!({
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    }));
    assert_eq!(d.statements.len(), 1);
    assert_eq!(d.statements[0].action.values, vec!["s3:GetObject"]);
    let d = doc(json!({"Statement": [
        {"Sid": "A", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": "arn:aws:s3:::b"},
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "222233334444"], "Service": "pods.eks.amazonaws.com"},
         "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Condition": {
            "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "b"]},
            "Bool": {"aws:SecureTransport": true},
            "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
            "Null": {"aws:RequestTag/x": "false"}
         }},
        {"Effect": "Allow", "NotPrincipal": {"Federated": "x"}, "Action": "*"}
    ]}));
    assert_eq!(d.statements.len(), 4);
    let s0 = &d.statements[0];
    assert_eq!(s0.label(), "Statement[0] (Sid \"A\")");
    assert!(s0.action.negated);
    assert!(s0.resource.as_ref().is_some_and(|r| r.negated));
    assert!(d.statements[1].principal.as_ref().is_some_and(|p| p.any));
    let s2 = &d.statements[2];
    assert_eq!(s2.principal.as_ref().map(|p| p.entries.len()), Some(3));
    assert_eq!(s2.conditions.len(), 4);
    let tag = &s2.conditions[0];
    assert_eq!(tag.set, Some(SetQualifier::ForAnyValue));
    assert!(tag.if_exists);
    assert_eq!(tag.op, Operator::StringLike);
    assert_eq!(s2.conditions[1].values, vec!["true"]);
    assert_eq!(s2.conditions[2].values, vec!["3600"]);
    assert!(
        d.statements[3]
            .principal
            .as_ref()
            .is_some_and(|p| p.negated)
    );
}

#[test]
fn url_encoded_documents() {
    let raw = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
    let d = doc(Value::String(raw.into()));
    assert_eq!(d.statements[0].action.values, vec!["s3:GetObject"]);
    let d = doc(Value::String(
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.into(),
    ));
    assert_eq!(d.statements.len(), 1);
}

#[test]
fn parse_errors_say_where() {
    let cases = [
        (json!({"Version": "2012-10-17"}), "no \"Statement\""),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a:b"}, {"Effect": "Maybe", "Action": "x"}]}),
            "Statement[1].Effect",
        ),
        (
            json!({"Statement": [{"Effect": "Allow"}]}),
            "Statement[0]: no \"Action\"",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a", "NotAction": "b"}]}),
            "both",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": 3}]}),
            "Statement[0].Action",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"StringEqualz": {"k": "v"}}}]}),
            "unknown condition operator",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"StringEquals": {"k": {"x": 1}}}}]}),
            "Condition.StringEquals.k",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a", "Principal": "me"}]}),
            "Principal",
        ),
        (json!("not json %%"), "not valid JSON"),
        (json!(42), "expected a JSON object"),
    ];
    for (v, want) in cases {
        match parse_document(&v) {
            Ok(_) => panic!("{v} should not parse"),
            Err(e) => assert!(e.0.contains(want), "{v}: {e} lacks {want}"),
        }
    }
}

fn cond(op: &str, key: &str, vals: Value) -> Condition {
    let d = doc(
        json!({"Statement": {"Effect": "Allow", "Action": "*", "Condition": {op: {key: vals}}}}),
    );
    d.statements[0].conditions[0].clone()
}

#[test]
fn condition_table() {
    let req = Request::new("s3:GetObject")
        .key("aws:username", "alice")
        .key("k", "Value-1")
        .key("n", "10")
        .key("b", "true")
        .key("ip", "10.1.2.3")
        .key("ip6", "2001:db8::1")
        .key("d", "2025-02-02T00:00:00Z")
        .key("arn", "arn:aws:iam::111122223333:role/team/app")
        .key_values("tags", vec!["a".into(), "b".into()])
        .absent("gone");
    use Check::*;
    let y = |c: Check| matches!(c, Yes);
    let n = |c: Check| matches!(c, No(_));
    let u = |c: Check| matches!(c, Undecided(_));
    type Case<'a> = (&'a str, &'a str, Value, fn(Check) -> bool);
    let cases: Vec<Case> = vec![
        ("StringEquals", "k", json!("Value-1"), y),
        ("StringEquals", "K", json!("Value-1"), y), // keys are case-insensitive
        ("StringEquals", "k", json!("value-1"), n),
        ("StringEquals", "k", json!(["x", "Value-1"]), y),
        ("StringNotEquals", "k", json!("x"), y),
        ("StringNotEquals", "k", json!(["x", "Value-1"]), n),
        ("StringEqualsIgnoreCase", "k", json!("VALUE-1"), y),
        ("StringNotEqualsIgnoreCase", "k", json!("VALUE-1"), n),
        ("StringLike", "k", json!("Val*"), y),
        ("StringLike", "k", json!("val*"), n),
        ("StringLike", "k", json!("Value-?"), y),
        ("StringNotLike", "k", json!("V*"), n),
        ("StringEquals", "k", json!("${aws:username}"), n),
        ("StringLike", "k", json!("${aws:userid}*"), u),
        ("StringEquals", "gone", json!("x"), n),
        ("StringNotEquals", "gone", json!("x"), y),
        ("StringEqualsIfExists", "gone", json!("x"), y),
        ("StringEquals", "nobody-knows", json!("x"), u),
        ("Null", "gone", json!(true), y),
        ("Null", "gone", json!("false"), n),
        ("Null", "k", json!(false), y),
        ("Null", "nobody-knows", json!(true), u),
        ("NumericEquals", "n", json!(10), y),
        ("NumericLessThan", "n", json!("11"), y),
        ("NumericLessThanEquals", "n", json!(9), n),
        ("NumericGreaterThan", "n", json!(9), y),
        ("NumericGreaterThanEquals", "n", json!(10), y),
        ("NumericNotEquals", "n", json!(10), n),
        ("Bool", "b", json!(true), y),
        ("Bool", "b", json!("false"), n),
        ("DateGreaterThan", "d", json!("2025-01-01T00:00:00Z"), y),
        ("DateLessThan", "d", json!("2025-01-01"), n),
        ("DateEquals", "d", json!("1738454400"), y),
        ("DateNotEquals", "d", json!("2024-01-01T00:00:00Z"), y),
        ("IpAddress", "ip", json!("10.0.0.0/8"), y),
        ("IpAddress", "ip", json!(["192.168.0.0/16"]), n),
        ("NotIpAddress", "ip", json!("192.168.0.0/16"), y),
        ("IpAddress", "ip6", json!("2001:db8::/32"), y),
        ("ArnLike", "arn", json!("arn:aws:iam::*:role/team/*"), y),
        ("ArnLike", "arn", json!("arn:aws:iam::*:role/other/*"), n),
        (
            "ArnEquals",
            "arn",
            json!("arn:aws:iam::111122223333:role/team/app"),
            y,
        ),
        ("ArnNotLike", "arn", json!("arn:aws:iam::*:user/*"), y),
        ("ForAnyValue:StringEquals", "tags", json!(["b", "c"]), y),
        ("ForAnyValue:StringEquals", "tags", json!(["c"]), n),
        (
            "ForAllValues:StringEquals",
            "tags",
            json!(["a", "b", "c"]),
            y,
        ),
        ("ForAllValues:StringEquals", "tags", json!(["a"]), n),
        ("ForAllValues:StringEquals", "gone", json!(["a"]), y),
        ("ForAnyValue:StringEquals", "gone", json!(["a"]), n),
        ("ForAnyValue:StringLike", "tags", json!("?"), y),
    ];
    for (op, key, vals, want) in cases {
        let c = cond(op, key, vals.clone());
        let got = eval_condition(&c, &req);
        assert!(want(got.clone()), "{op} {key} {vals}: got {got:?}");
        // Without its reasons, the same kind of answer.
        let quiet = super::condition::condition_check(&c, &req, false);
        assert_eq!(
            std::mem::discriminant(&quiet),
            std::mem::discriminant(&got),
            "{op} {key} {vals}: quietly {quiet:?}"
        );
    }
    // A known variable is substituted.
    let c = cond("StringEquals", "k", json!("${aws:username}"));
    let r2 = Request::new("x")
        .key("aws:username", "Value-1")
        .key("k", "Value-1");
    assert_eq!(eval_condition(&c, &r2), Check::Yes);
    // ${*} is a literal star, not a wildcard.
    let c = cond("StringLike", "k", json!("a${*}"));
    assert_eq!(
        eval_condition(&c, &Request::new("x").key("k", "a*")),
        Check::Yes
    );
    assert!(matches!(
        eval_condition(&c, &Request::new("x").key("k", "ab")),
        Check::No(_)
    ));
}

#[test]
fn evaluation_deny_wins_and_undecided_is_named() {
    let d = doc(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "arn:aws:s3:::prod/*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}
    ]}));
    let docs = [("p", &d)];
    let r = Request::new("s3:GetObject").resource("arn:aws:s3:::prod/x");
    assert!(evaluate(&docs, &r).is_allowed());
    let r = Request::new("s3:DeleteObject").resource("arn:aws:s3:::prod/x");
    match evaluate(&docs, &r) {
        Decision::Denied { by, .. } => assert_eq!(by.sid.as_deref(), Some("NoDelete")),
        other => panic!("{other:?}"),
    }
    let r = Request::new("s3:DeleteObject").resource("arn:aws:s3:::dev/x");
    assert!(evaluate(&docs, &r).is_allowed());
    let r = Request::new("kms:Decrypt").resource("arn:aws:kms:us-east-1:1:key/k");
    match evaluate(&docs, &r) {
        Decision::Undecided { conditions } => {
            assert!(conditions[0].contains("kms:ViaService"), "{conditions:?}")
        }
        other => panic!("{other:?}"),
    }
    let r = Request::new("ec2:RunInstances").resource("*");
    assert!(matches!(evaluate(&docs, &r), Decision::NotAllowed { .. }));
    // A Deny that may apply: undecided when something allows, irrelevant otherwise.
    let d2 = doc(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:ViaAWSService": "false"}}}
    ]}));
    let docs2 = [("p", &d2)];
    match evaluate(&docs2, &Request::new("s3:GetObject").resource("x")) {
        Decision::Undecided { conditions } => {
            assert!(
                conditions[0].contains("aws:ViaAWSService"),
                "{conditions:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        evaluate(&docs2, &Request::new("s3:PutObject").resource("x")),
        Decision::NotAllowed { .. }
    ));
    let r = Request::new("s3:GetObject")
        .resource("x")
        .key("aws:ViaAWSService", "true");
    assert!(evaluate(&docs2, &r).is_allowed());
}

#[test]
fn symbolic_queries() {
    let admin = set(json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}));
    assert!(admin.allows_all("*:*").is_some());
    assert!(admin.allows_service("iam").is_some());
    let s3 = set(json!({"Statement": {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}}));
    assert!(s3.allows_all("*:*").is_none());
    assert!(s3.allows_service("s3").is_some());
    assert!(s3.allows_all("s3:GetObject").is_some());
    let guide = set(
        json!({"Statement": {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::bucket/*"]}}),
    );
    assert!(guide.allows_all("s3:GetObject").is_none());
    assert!(guide.allows_service("s3").is_none());
    let put = set(
        json!({"Statement": {"Effect": "Allow", "Action": "iam:Put*", "Resource": "arn:aws:iam::*:role/*"}}),
    );
    assert!(put.allows_all("iam:PutRolePolicy").is_some());
    assert!(put.allows_all("iam:PassRole").is_none());
    // NotAction grants everything else.
    let na =
        set(json!({"Statement": {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}}));
    assert!(na.allows_service("s3").is_some());
    assert!(na.allows_service("iam").is_none());
    assert!(na.allows_all("*:*").is_none());
    assert_eq!(na.allow_not_action().len(), 1);
    // Unconditional Deny removes; conditional Deny makes it conditional.
    let denied = set(json!({"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
    ]}));
    assert!(denied.allows_service("iam").is_none());
    assert!(denied.allows_all("iam:PassRole").is_none());
    assert!(denied.allows_service("s3").is_some());
    let cdeny = set(json!({"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}
    ]}));
    let g = cdeny.allows_service("iam");
    assert!(g.as_ref().is_some_and(|g| g.conditional), "{g:?}");
    assert!(cdeny.allows_service("s3").is_some_and(|g| !g.conditional));
    // Conditions on the Allow.
    let cond = set(
        json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}}}),
    );
    assert!(
        cond.allows_all("sts:AssumeRole")
            .is_some_and(|g| g.conditional)
    );
    // Piecewise grant of a whole service across statements.
    let pieces = set(json!({"Statement": [
        {"Effect": "Allow", "Action": ["sts:Assume*", "sts:Get*", "sts:Decode*", "sts:Tag*", "sts:Set*"], "Resource": "*"}
    ]}));
    assert!(pieces.allows_service("sts").is_some());
}

/// For a query whose service is a wildcard only wildcard-service patterns
/// are tried: the same answer as trying every pattern.
#[test]
fn wildcard_service_queries_look_at_wildcard_patterns_only() {
    let patterns = [
        "*",
        "*:*",
        "s3:*",
        "s3*:*",
        "s3:Get*",
        "*:Get*",
        "?3:*",
        "iam:PassRole",
        "S3:*",
        "ec2:*",
        "*:*Object",
        "sts:*",
    ];
    let queries = [
        "*:*",
        "s3*:Get*",
        "*:Get*",
        "s?:*",
        "*:GetObject",
        "s3:*",
        "s3:GetObject",
        "*",
    ];
    for n in 0..patterns.len() {
        for m in n..patterns.len() {
            let actions: Vec<&str> = patterns[n..=m].to_vec();
            let st =
                &doc(json!({"Statement": {"Effect": "Allow", "Action": actions, "Resource": "*"}}))
                    .statements[0];
            for q in queries {
                let every = st.action.values.iter().any(|p| covers(p, q));
                assert_eq!(stmt_covers_action(st, q), every, "{actions:?} {q}");
            }
        }
    }
}

#[test]
fn boundary_intersects() {
    let mut s = set(json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}));
    s.boundary = Some(Boundary::Known(NamedPolicy {
        name: "permissions boundary b".into(),
        doc: doc(json!({"Statement": {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}}))
            .into(),
    }));
    assert!(s.allows_all("*:*").is_none());
    assert!(s.allows_service("s3").is_some());
    assert!(s.allows_all("iam:PassRole").is_none());
    let r = Request::new("iam:PassRole").resource("*");
    assert!(matches!(s.evaluate(&r), Decision::NotAllowed { .. }));
    s.boundary = Some(Boundary::Unknown("arn:aws:iam::1:policy/b".into()));
    assert!(s.allows_all("*:*").is_some_and(|g| g.conditional));
}

#[test]
fn broad_resources() {
    let cases = [
        ("*", "s3", true),
        ("arn:aws:s3:::*", "s3", true),
        ("arn:aws:s3:::*/*", "s3", true),
        ("arn:aws:s3:::bucket/*", "s3", false),
        (
            "arn:aws:secretsmanager:*:*:secret:*",
            "secretsmanager",
            true,
        ),
        (
            "arn:aws:secretsmanager:*:*:secret:prod/*",
            "secretsmanager",
            false,
        ),
        ("arn:aws:iam::*:role/*", "iam", true),
        ("arn:aws:iam::111122223333:role/app", "iam", false),
        ("arn:aws:ssm:*:*:parameter/*", "ssm", true),
        ("arn:aws:kms:*:*:key/*", "kms", true),
        ("arn:aws:kms:*:*:key/*", "s3", false),
        ("arn:*:*:*:*:*", "iam", true),
    ];
    for (p, svc, want) in cases {
        assert_eq!(broad_resource(p, svc), want, "{p} for {svc}");
    }
}
fn with_boundary(identity: Value, boundary: Value) -> PermissionSet {
    let mut s = set(identity);
    s.boundary = Some(Boundary::Known(NamedPolicy {
        name: "permissions boundary b".into(),
        doc: doc(boundary).into(),
    }));
    s
}

fn kind(d: &Decision) -> &'static str {
    match d {
        Decision::Allowed { .. } => "allowed",
        Decision::Denied { .. } => "denied",
        Decision::NotAllowed { .. } => "not allowed",
        Decision::Undecided { .. } => "undecided",
    }
}

/// Issue 14 item 1, "IAM policy elements: variables and tags": variables are
/// substituted in Resource and NotResource. `Deny s3:* on home/${aws:username}/*`
/// denies alice her own prefix and nobody else's.
#[test]
fn variables_in_resource_are_substituted() {
    let s = set(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}
    ]}));
    let req = |user: &str, key: &str| {
        Request::new("s3:GetObject")
            .resource(format!("arn:aws:s3:::home/{key}"))
            .key("aws:username", user)
            .closed()
    };
    assert_eq!(kind(&s.evaluate(&req("alice", "alice/notes"))), "denied");
    assert_eq!(kind(&s.evaluate(&req("alice", "bob/notes"))), "allowed");
    // A role has no aws:username: the Deny's resource matches nothing.
    let role = Request::new("s3:GetObject")
        .resource("arn:aws:s3:::home/alice/notes")
        .closed();
    assert_eq!(kind(&s.evaluate(&role)), "allowed");
    // Unknown user: the Deny may apply.
    let open = Request::new("s3:GetObject").resource("arn:aws:s3:::home/alice/notes");
    assert_eq!(kind(&s.evaluate(&open)), "undecided");
    // NotResource with a variable: allowed everywhere but the caller's own prefix.
    let s = set(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::home/${aws:username}/*"}
    ]}));
    assert_eq!(kind(&s.evaluate(&req("alice", "alice/x"))), "not allowed");
    assert_eq!(kind(&s.evaluate(&req("alice", "bob/x"))), "allowed");
    // A variable's value is literal text: a `*` in it is no wildcard.
    let s = set(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"}
    ]}));
    assert_eq!(kind(&s.evaluate(&req("*", "bob/x"))), "not allowed");
}

/// Issue 14 item 2, "IAM policy elements: variables and tags" (policy
/// variables with no value): a variable whose key is not in the request
/// matches nothing, so the statement does not apply: decided, not conditional.
#[test]
fn unresolvable_variable_in_a_condition_is_decided() {
    let s = set(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringEquals": {"s3:prefix": "${aws:username}"}}}
    ]}));
    let role = Request::new("s3:GetObject")
        .resource("arn:aws:s3:::b/k")
        .key("s3:prefix", "alice")
        .closed();
    assert_eq!(kind(&s.evaluate(&role)), "not allowed");
    let user = role.clone().key("aws:username", "alice");
    assert_eq!(kind(&s.evaluate(&user)), "allowed");
    // With a default, the default is used ("specifying default values").
    let s = set(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringEquals": {"s3:prefix": "${aws:username, 'alice'}"}}}
    ]}));
    assert_eq!(kind(&s.evaluate(&role)), "allowed");
}

/// Issue 14 item 3, "Condition element: multiple values": the values of one
/// key are ORed, for Null too.
#[test]
fn null_with_several_values_is_ored() {
    let c = cond("Null", "aws:TokenIssueTime", json!(["true", "false"]));
    for req in [
        Request::new("x").closed(),
        Request::new("x").key("aws:TokenIssueTime", "2024-01-01T00:00:00Z"),
        Request::new("x"),
    ] {
        assert_eq!(eval_condition(&c, &req), Check::Yes, "{req:?}");
    }
    let c = cond("Null", "aws:TokenIssueTime", json!(["false", "true"]));
    assert_eq!(eval_condition(&c, &Request::new("x").closed()), Check::Yes);
}

/// Issue 14 item 4, "Policy evaluation logic": an explicit Deny in any
/// policy, the permissions boundary included, is final; an Allow needs both
/// the identity policies and the boundary.
#[test]
fn boundary_is_read_whatever_the_identity_policies_say() {
    // Explicit Deny in the boundary: an explicit deny, not an implicit one.
    let s = with_boundary(
        json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}),
        json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
        ]}),
    );
    let r = Request::new("s3:DeleteBucket")
        .resource("arn:aws:s3:::b")
        .closed();
    assert_eq!(kind(&s.evaluate(&r)), "denied");
    // ...also when the identity policies do not allow at all.
    let s2 = with_boundary(
        json!({"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}),
        json!({"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}),
    );
    assert_eq!(kind(&s2.evaluate(&r)), "denied");
    // An identity Allow hinging on unknown context, and a boundary that cannot
    // allow the action: denied either way.
    let s = with_boundary(
        json!({"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*",
                   "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}),
    );
    let r = Request::new("iam:CreateUser").resource("*");
    assert_eq!(kind(&s.evaluate(&r)), "not allowed");
}

/// Issue 14 item 7: `allows_all` claims every action of q on every resource,
/// unconditionally. "Policy evaluation logic": a Deny of any part removes
/// that part, so the claim goes; a NotResource leaves out what it names; and
/// `arn:aws:s3:::*` is not every resource of `s3:*` (actions without
/// resource-level permissions need `"Resource": "*"`, "IAM JSON policy
/// elements: Resource").
#[test]
fn allows_all_does_not_over_claim() {
    let admin = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
    // A Deny of part of the actions.
    let s =
        set(json!({"Statement": [admin, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}));
    assert!(s.allows_everything().is_none());
    assert!(
        s.allows_service("s3").is_some(),
        "the rest is still granted"
    );
    assert!(s.allows_service("iam").is_none());
    // A Deny of part of the resources.
    let s = set(
        json!({"Statement": [admin, {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secret/*"}]}),
    );
    assert!(s.allows_everything().is_none());
    assert!(s.allows_service("s3").is_none());
    assert!(s.allows_service("ec2").is_some());
    // A conditional partial Deny: still granted, but conditional, and it says so.
    let s = set(
        json!({"Statement": [admin, {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secret/*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}),
    );
    let g = s
        .allows_everything()
        .unwrap_or_else(|| panic!("granted conditionally"));
    assert!(
        g.conditional && g.evidence().contains("to part of it"),
        "{}",
        g.evidence()
    );
    // NotResource.
    let s = set(
        json!({"Statement": {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret"}}),
    );
    assert!(s.allows_everything().is_none());
    assert!(s.allows_service("s3").is_none());
    assert!(
        s.allows_service("iam").is_some(),
        "an S3 exclusion leaves IAM whole"
    );
    // Service-wide resource patterns.
    let s =
        set(json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::*"}}));
    assert!(s.allows_everything().is_none());
    assert!(s.allows_service("s3").is_none());
    assert!(
        s.allows_all("s3:GetObject").is_some(),
        "one action on its whole service"
    );
    let s = set(
        json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]}}),
    );
    assert!(s.allows_service("s3").is_none());
}

/// Issue 14 item 8, "Single-valued vs. multivalued context keys":
/// multivalued keys require a set operator, so a single-valued operator on
/// one does not match (an Allow relying on it does not apply, nor does a
/// Deny); `ForAnyValue` on a missing key is false, with or without IfExists.
#[test]
fn multivalued_keys_and_set_operators() {
    let called = Request::new("x")
        .key_values("aws:CalledVia", vec!["athena.amazonaws.com".into()])
        .closed();
    for op in ["StringEquals", "StringNotEquals", "StringLike"] {
        let c = cond(op, "aws:CalledVia", json!("athena.amazonaws.com"));
        assert!(matches!(eval_condition(&c, &called), Check::No(_)), "{op}");
    }
    let c = cond(
        "ForAnyValue:StringEquals",
        "aws:CalledVia",
        json!("athena.amazonaws.com"),
    );
    assert_eq!(eval_condition(&c, &called), Check::Yes);
    // A single-valued key set with one value is not multivalued.
    let one = Request::new("x").key("aws:SourceVpc", "vpc-1").closed();
    let c = cond("StringEquals", "aws:SourceVpc", json!("vpc-1"));
    assert_eq!(eval_condition(&c, &one), Check::Yes);
    let absent = Request::new("x").closed();
    let c = cond(
        "ForAnyValue:StringEqualsIfExists",
        "aws:TagKeys",
        json!("team"),
    );
    assert!(matches!(eval_condition(&c, &absent), Check::No(_)));
    let c = cond(
        "ForAllValues:StringEqualsIfExists",
        "aws:TagKeys",
        json!("team"),
    );
    assert_eq!(eval_condition(&c, &absent), Check::Yes);
    // An empty set reads as missing.
    let empty = Request::new("x").key_values("aws:TagKeys", vec![]).closed();
    let c = cond("ForAnyValue:StringEquals", "aws:TagKeys", json!("team"));
    assert!(matches!(eval_condition(&c, &empty), Check::No(_)));
}
