//! Differential test of the IAM engine against an independent simulator.
//!
//! A seeded generator builds a few thousand requests over the real action
//! catalogue (`assets/iam-actions.json.gz`, through `policy::actions`):
//! identity-policy questions (Allow/Deny, NotAction/NotResource, wildcards,
//! permission boundaries, every condition operator family, policy variables,
//! multivalued keys) and trust questions (IRSA web identity, EKS Pod
//! Identity). Each is answered by iamscope's engine through its public API and
//! by `@cloud-copilot/iam-simulate` (installed by `scripts/peers.sh` into
//! `.peers/node`, driven by `tests/support/iam_simulate.js`). Every request is
//! a closed context: the keys given are all the request has.
//!
//! Every disagreement must be listed, with its reason and the AWS documentation
//! page it rests on, in `tests/fixtures/iam-differential-known.json`; an
//! unlisted one fails the test. Where the simulator is the one that is wrong
//! the entry keeps the engine's answer.
//!
//! - `IAM_DIFF_REPORT=path`: write every disagreement (its request minimized)
//!   to `path` and do not fail, to measure or review; with it,
//!   `IAM_DIFF_SEED=n` generates another set of cases to explore.
//! - Without node or the simulator the test is skipped, and fails when `CI`
//!   is set.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use iamscope::policy::actions;
use iamscope::policy::iam::{
    Boundary, Decision, NamedPolicy, PermissionSet, PolicyDocument, Request, parse_document,
};
use iamscope::policy::trust::{
    PodIdentity, TrustAnswer, WebIdentity, check_pod_identity, check_web_identity,
};
use serde_json::{Value, json};

const SEED: u64 = 0x1a3_5c0e_2026;
const IDENTITY_CASES: usize = 3000;
const IRSA_CASES: usize = 1500;
const POD_CASES: usize = 500;

const ACCOUNT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::111122223333:role/probe";
const TARGET_ROLE: &str = "arn:aws:iam::111122223333:role/target";
const ISSUER: &str = "oidc.eks.us-east-1.amazonaws.com/id/AAAA1111";
const OTHER_ISSUER: &str = "oidc.eks.eu-west-1.amazonaws.com/id/BBBB2222";
const CLUSTER_ARN: &str = "arn:aws:eks:us-east-1:111122223333:cluster/prod";
const PODS: &str = "pods.eks.amazonaws.com";
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/iam-differential-known.json"
);

// ---------------------------------------------------------------- seeded choices

struct Rng(u64);

impl Rng {
    /// splitmix64: small, seeded, the same on every machine.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

// ---------------------------------------------------------------- cases

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Identity,
    Irsa,
    PodIdentity,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Identity => "identity",
            Kind::Irsa => "irsa",
            Kind::PodIdentity => "pod-identity",
        }
    }
}

struct Case {
    id: String,
    kind: Kind,
    /// Requests for the simulator (Pod Identity asks two: AssumeRole and TagSession).
    peer: Vec<Value>,
    engine: String,
}

/// One context key's value: single or multivalued.
#[derive(Clone)]
enum Val {
    One(String),
    Many(Vec<String>),
}

fn context_json(ctx: &BTreeMap<String, Val>) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in ctx {
        m.insert(
            k.clone(),
            match v {
                Val::One(s) => json!(s),
                Val::Many(v) => json!(v),
            },
        );
    }
    Value::Object(m)
}

fn open_request(action: &str, resource: &str, ctx: &BTreeMap<String, Val>) -> Request {
    let mut r = Request::new(action).resource(resource);
    for (k, v) in ctx {
        r = match v {
            Val::One(s) => r.key(k, s.clone()),
            Val::Many(v) => r.key_values(k, v.clone()),
        };
    }
    r
}

fn closed_request(action: &str, resource: &str, ctx: &BTreeMap<String, Val>) -> Request {
    open_request(action, resource, ctx).closed()
}

fn parse(v: &Value) -> PolicyDocument {
    parse_document(v).unwrap_or_else(|e| panic!("generated policy does not parse: {e}: {v}"))
}

fn decision_name(d: &Decision) -> &'static str {
    match d {
        Decision::Allowed { .. } => "Allowed",
        Decision::Denied { .. } => "ExplicitlyDenied",
        Decision::NotAllowed { .. } => "ImplicitlyDenied",
        Decision::Undecided { .. } => "Undecided",
    }
}

fn trust_name(t: &TrustAnswer) -> &'static str {
    match t {
        TrustAnswer::Allowed { .. } => "Allowed",
        TrustAnswer::Denied { .. } => "Denied",
        TrustAnswer::Undecided { .. } => "Undecided",
    }
}

// ---------------------------------------------------------------- identity generator

struct Catalogue {
    all: Vec<String>,
    by_service: BTreeMap<String, Vec<String>>,
}

fn catalogue() -> Catalogue {
    let all: Vec<String> = actions::expand("*").iter().map(|a| a.full_name()).collect();
    assert!(all.len() > 10_000, "the action catalogue looks empty");
    let mut by_service: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in &all {
        let (s, _) = a.split_once(':').unwrap_or((a, ""));
        by_service.entry(s.to_string()).or_default().push(a.clone());
    }
    Catalogue { all, by_service }
}

const FOCUS: [&str; 8] = [
    "s3",
    "iam",
    "ec2",
    "kms",
    "secretsmanager",
    "lambda",
    "dynamodb",
    "sts",
];

fn resource_for(rng: &mut Rng, svc: &str) -> String {
    match svc {
        "s3" => {
            let bucket = rng.pick(&["data", "home", "logs"]);
            if rng.chance(20) {
                format!("arn:aws:s3:::{bucket}")
            } else {
                let key = rng.pick(&["alice/notes.txt", "bob/x", "public/readme"]);
                format!("arn:aws:s3:::{bucket}/{key}")
            }
        }
        "iam" => {
            let what = rng.pick(&["role/app", "role/admin-x", "user/alice", "policy/p"]);
            format!("arn:aws:iam::{ACCOUNT}:{what}")
        }
        _ if rng.chance(8) => "*".to_string(),
        _ => {
            let what = rng.pick(&["thing/a", "thing/b-1", "other/c"]);
            format!("arn:aws:{svc}:us-east-1:{ACCOUNT}:{what}")
        }
    }
}

/// Context keys and the values a request may carry.
fn identity_context(rng: &mut Rng) -> BTreeMap<String, Val> {
    let mut c = BTreeMap::new();
    let one = |c: &mut BTreeMap<String, Val>, rng: &mut Rng, p: u64, k: &str, vs: &[&str]| {
        if rng.chance(p) {
            c.insert(k.to_string(), Val::One(rng.pick(vs).to_string()));
        }
    };
    one(&mut c, rng, 50, "aws:username", &["alice", "bob"]);
    one(
        &mut c,
        rng,
        50,
        "aws:PrincipalTag/team",
        &["dev", "ops", "alice"],
    );
    one(&mut c, rng, 30, "aws:RequestTag/env", &["prod", "dev"]);
    one(
        &mut c,
        rng,
        50,
        "aws:SourceIp",
        &["10.1.2.3", "192.0.2.10", "2001:db8::1"],
    );
    one(
        &mut c,
        rng,
        40,
        "aws:MultiFactorAuthPresent",
        &["true", "false"],
    );
    one(
        &mut c,
        rng,
        30,
        "aws:MultiFactorAuthAge",
        &["30", "3600", "86400"],
    );
    one(
        &mut c,
        rng,
        40,
        "aws:CurrentTime",
        &["2025-06-01T12:00:00Z", "2019-01-01T00:00:00Z"],
    );
    one(
        &mut c,
        rng,
        30,
        "aws:EpochTime",
        &["1748779200", "1546300800"],
    );
    one(
        &mut c,
        rng,
        20,
        "aws:SourceArn",
        &[
            "arn:aws:sns:us-east-1:111122223333:topic",
            "arn:aws:sqs:eu-west-1:444455556666:queue",
        ],
    );
    one(&mut c, rng, 40, "aws:SecureTransport", &["true", "false"]);
    one(&mut c, rng, 20, "s3:prefix", &["alice/", "bob/", "public/"]);
    one(
        &mut c,
        rng,
        15,
        "aws:RequestTag/blob",
        &["QmluYXJ5", "b3RoZXI="],
    );
    if rng.chance(30) {
        let keys = [
            vec!["env"],
            vec!["env", "team"],
            vec!["team", "cost-center"],
            vec!["Env"],
        ];
        let k = rng.pick(&keys).iter().map(|s| s.to_string()).collect();
        c.insert("aws:TagKeys".to_string(), Val::Many(k));
    }
    if rng.chance(20) {
        let via = [
            vec!["athena.amazonaws.com"],
            vec!["cloudformation.amazonaws.com", "athena.amazonaws.com"],
        ];
        let v = rng.pick(&via).iter().map(|s| s.to_string()).collect();
        c.insert("aws:CalledVia".to_string(), Val::Many(v));
    }
    c
}

/// One condition of an identity statement: (operator, key, values), from every family.
fn identity_condition(rng: &mut Rng) -> (String, String, Value) {
    let if_exists = |rng: &mut Rng, op: &str| {
        if rng.chance(20) {
            format!("{op}IfExists")
        } else {
            op.to_string()
        }
    };
    match rng.below(13) {
        0 | 1 => {
            let op = rng.pick(&[
                "StringEquals",
                "StringNotEquals",
                "StringLike",
                "StringNotLike",
                "StringEqualsIgnoreCase",
                "StringNotEqualsIgnoreCase",
            ]);
            let key = rng.pick(&[
                "aws:username",
                "aws:PrincipalTag/team",
                "aws:RequestTag/env",
            ]);
            let vals = rng.pick(&[
                json!("alice"),
                json!(["dev", "prod"]),
                json!("a*"),
                json!("ALICE"),
                json!("${aws:username}"),
                json!("${aws:PrincipalTag/team}"),
                json!("d?v"),
                json!("${aws:userid, 'alice'}"),
            ]);
            (if_exists(rng, op), key.to_string(), vals)
        }
        2 => {
            let op = rng.pick(&[
                "NumericLessThan",
                "NumericGreaterThanEquals",
                "NumericEquals",
                "NumericNotEquals",
                "NumericLessThanEquals",
                "NumericGreaterThan",
            ]);
            let v = rng.pick(&[json!("3600"), json!(300), json!(["30", "86400"])]);
            (if_exists(rng, op), "aws:MultiFactorAuthAge".into(), v)
        }
        3 => {
            let op = rng.pick(&[
                "DateGreaterThan",
                "DateLessThan",
                "DateEquals",
                "DateNotEquals",
                "DateLessThanEquals",
                "DateGreaterThanEquals",
            ]);
            let key = rng.pick(&["aws:CurrentTime", "aws:EpochTime"]);
            let v = rng.pick(&[
                json!("2024-01-01T00:00:00Z"),
                json!("2030-01-01"),
                json!("1700000000"),
                json!("2025-06-01T12:00:00Z"),
            ]);
            (if_exists(rng, op), key.to_string(), v)
        }
        4 => {
            let key = rng.pick(&["aws:MultiFactorAuthPresent", "aws:SecureTransport"]);
            let v = rng.pick(&[json!("true"), json!("false"), json!(true)]);
            (if_exists(rng, "Bool"), key.to_string(), v)
        }
        5 => {
            let op = rng.pick(&["IpAddress", "NotIpAddress"]);
            let v = rng.pick(&[
                json!("10.0.0.0/8"),
                json!(["192.0.2.0/24", "2001:db8::/32"]),
                json!("10.1.2.3"),
                json!("0.0.0.0/0"),
            ]);
            (if_exists(rng, op), "aws:SourceIp".into(), v)
        }
        6 => {
            let op = rng.pick(&["ArnLike", "ArnEquals", "ArnNotLike", "ArnNotEquals"]);
            let v = rng.pick(&[
                json!("arn:aws:sns:*:111122223333:*"),
                json!("arn:aws:sns:us-east-1:111122223333:topic"),
                json!("arn:aws:*:*:444455556666:*"),
            ]);
            (if_exists(rng, op), "aws:SourceArn".into(), v)
        }
        7 => {
            let key = rng.pick(&[
                "aws:username",
                "aws:TagKeys",
                "aws:SourceIp",
                "aws:RequestTag/env",
                "aws:TokenIssueTime",
            ]);
            let v = rng.pick(&[json!("true"), json!("false"), json!(["true", "false"])]);
            ("Null".into(), key.to_string(), v)
        }
        8 | 9 => {
            let op = rng.pick(&[
                "ForAnyValue:StringEquals",
                "ForAllValues:StringEquals",
                "ForAnyValue:StringLike",
                "ForAllValues:StringNotLike",
                "ForAnyValue:StringEqualsIfExists",
                "ForAllValues:StringLikeIfExists",
                "ForAnyValue:StringNotEquals",
                "StringEquals",
                "StringNotEquals",
                "StringLike",
            ]);
            let key = rng.pick(&["aws:TagKeys", "aws:CalledVia"]);
            let v = rng.pick(&[
                json!("env"),
                json!(["env", "team"]),
                json!("athena.amazonaws.com"),
                json!("*.amazonaws.com"),
                json!("e*"),
            ]);
            (op.to_string(), key.to_string(), v)
        }
        10 => {
            let op = rng.pick(&["StringLike", "StringEquals", "StringNotLike"]);
            let v = rng.pick(&[
                json!("${aws:username}/*"),
                json!("${aws:username}/"),
                json!("public/*"),
            ]);
            (if_exists(rng, op), "s3:prefix".into(), v)
        }
        12 => {
            // Binary: base64 text compared as it is.
            let v = rng.pick(&[
                json!("QmluYXJ5"),
                json!(["b3RoZXI=", "QmluYXJ5"]),
                json!("b3RoZXI="),
            ]);
            (
                if_exists(rng, "BinaryEquals"),
                "aws:RequestTag/blob".into(),
                v,
            )
        }
        _ => {
            let op = rng.pick(&["StringEquals", "StringLike"]);
            let v = rng.pick(&[json!("${aws:username}"), json!("${aws:PrincipalTag/team}")]);
            let key = rng.pick(&["aws:PrincipalTag/team", "aws:username"]);
            (op.to_string(), key.to_string(), v)
        }
    }
}

fn action_pattern(rng: &mut Rng, cat: &Catalogue, action: &str) -> String {
    let (svc, name) = action.split_once(':').unwrap_or((action, ""));
    match rng.below(20) {
        0..=5 => action.to_string(),
        6 => action.to_ascii_lowercase(),
        7..=10 => format!("{svc}:*"),
        11 | 12 => "*".to_string(),
        13..=15 => {
            let cut: String = name.chars().take(3).collect();
            format!("{svc}:{cut}*")
        }
        16 | 17 => rng.pick(&cat.all),
        _ => {
            // One character as `?`.
            let chars: Vec<char> = name.chars().collect();
            if chars.is_empty() {
                return action.to_string();
            }
            let i = rng.below(chars.len());
            let n: String = chars
                .iter()
                .enumerate()
                .map(|(j, c)| if j == i { '?' } else { *c })
                .collect();
            format!("{svc}:{n}")
        }
    }
}

fn resource_pattern(rng: &mut Rng, svc: &str, resource: &str) -> String {
    match rng.below(20) {
        0..=5 => "*".to_string(),
        6..=8 => resource.to_string(),
        9 | 10 => {
            let keep = resource.len().saturating_sub(4);
            format!("{}*", &resource[..keep])
        }
        11 | 12 => "arn:aws:s3:::home/${aws:username}/*".to_string(),
        13 => "arn:aws:s3:::*".to_string(),
        14 if rng.chance(50) => "arn:aws:s3:::data/${aws:PrincipalTag/team}/*".to_string(),
        14 => "arn:aws:s3:::home/${aws:username, 'public'}/*".to_string(),
        15 | 16 => format!("arn:aws:{svc}:*:*:*"),
        17 => format!("arn:aws:{svc}:us-east-1:{ACCOUNT}:thing/*"),
        _ => "arn:aws:sqs:us-east-1:111122223333:queue".to_string(),
    }
}

fn identity_statement(rng: &mut Rng, cat: &Catalogue, action: &str, resource: &str) -> Value {
    let svc = action.split_once(':').map_or("*", |(s, _)| s);
    let mut st = serde_json::Map::new();
    let effect = if rng.chance(70) { "Allow" } else { "Deny" };
    st.insert("Effect".into(), json!(effect));
    let n = 1 + rng.below(2);
    let acts: Vec<String> = (0..n).map(|_| action_pattern(rng, cat, action)).collect();
    let akey = if rng.chance(15) {
        "NotAction"
    } else {
        "Action"
    };
    st.insert(akey.into(), json!(acts));
    let n = 1 + rng.below(2);
    let res: Vec<String> = (0..n)
        .map(|_| resource_pattern(rng, svc, resource))
        .collect();
    let rkey = if rng.chance(15) {
        "NotResource"
    } else {
        "Resource"
    };
    st.insert(rkey.into(), json!(res));
    if rng.chance(45) {
        let mut cond: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
        for _ in 0..1 + rng.below(2) {
            let (op, key, vals) = identity_condition(rng);
            cond.entry(op).or_default().insert(key, vals);
        }
        st.insert("Condition".into(), json!(cond));
    }
    Value::Object(st)
}

fn identity_case(rng: &mut Rng, cat: &Catalogue, n: usize) -> Case {
    let action = if rng.chance(50) {
        let svc = rng.pick(&FOCUS);
        rng.pick(&cat.by_service[svc])
    } else {
        rng.pick(&cat.all)
    };
    let svc = action.split_once(':').map_or("", |(s, _)| s).to_string();
    let resource = resource_for(rng, &svc);
    let ctx = identity_context(rng);
    let mut policies = Vec::new();
    for _ in 0..1 + rng.below(2) {
        let stmts: Vec<Value> = (0..1 + rng.below(4))
            .map(|_| identity_statement(rng, cat, &action, &resource))
            .collect();
        policies.push(json!({"Version": "2012-10-17", "Statement": stmts}));
    }
    let boundary = rng.chance(20).then(|| {
        let stmts: Vec<Value> = (0..1 + rng.below(3))
            .map(|_| identity_statement(rng, cat, &action, &resource))
            .collect();
        json!({"Version": "2012-10-17", "Statement": stmts})
    });

    let mut peer = json!({
        "action": action, "resource": resource, "principal": ROLE,
        "identity": policies, "context": context_json(&ctx),
    });
    if let Some(b) = boundary {
        peer["boundary"] = b;
    }
    Case {
        id: format!("identity-{n}"),
        kind: Kind::Identity,
        engine: engine_for(Kind::Identity, &peer),
        peer: vec![peer],
    }
}

/// The engine's answer to a request as sent to the simulator (`meta` says what
/// the trust checks need that the request does not name).
fn engine_for(kind: Kind, req: &Value) -> String {
    engine_answer(kind, req, true)
}

/// `closed`: the keys given are all the request has; otherwise the keys not
/// given are unknown (identity only: a trust request is what STS sends).
fn engine_answer(kind: Kind, req: &Value, closed: bool) -> String {
    match kind {
        Kind::Identity => {
            let docs = req["identity"].as_array().cloned().unwrap_or_default();
            let mut set = PermissionSet::of(
                docs.iter()
                    .enumerate()
                    .map(|(i, p)| NamedPolicy {
                        name: format!("identity-{i}"),
                        doc: Arc::new(parse(p)),
                    })
                    .collect(),
            );
            if req["boundary"].is_object() {
                set.boundary = Some(Boundary::Known(NamedPolicy {
                    name: "boundary".into(),
                    doc: Arc::new(parse(&req["boundary"])),
                }));
            }
            let mut ctx = BTreeMap::new();
            for (k, v) in req["context"].as_object().cloned().unwrap_or_default() {
                let v = match v {
                    Value::Array(vs) => Val::Many(
                        vs.iter()
                            .map(|x| x.as_str().unwrap_or_default().to_string())
                            .collect(),
                    ),
                    other => Val::One(other.as_str().unwrap_or_default().to_string()),
                };
                ctx.insert(k, v);
            }
            let action = req["action"].as_str().unwrap_or_default();
            let resource = req["resource"].as_str().unwrap_or_default();
            let r = if closed {
                closed_request(action, resource, &ctx)
            } else {
                open_request(action, resource, &ctx)
            };
            decision_name(&set.evaluate(&r)).to_string()
        }
        Kind::Irsa => {
            let m = &req["meta"];
            let provider_arn = provider(ISSUER);
            let wi = WebIdentity {
                provider_arn: &provider_arn,
                issuer: ISSUER,
                namespace: m["ns"].as_str().unwrap_or_default(),
                name: m["name"].as_str().unwrap_or_default(),
                audience: m["aud"].as_str().unwrap_or_default(),
            };
            trust_name(&check_web_identity(&parse(&req["trust"]), &wi)).to_string()
        }
        Kind::PodIdentity => {
            let m = &req["meta"];
            let pi = PodIdentity {
                account: Some(ACCOUNT),
                cluster_arn: Some(CLUSTER_ARN),
                cluster_name: Some("prod"),
                namespace: m["ns"].as_str().unwrap_or_default(),
                service_account: m["sa"].as_str().unwrap_or_default(),
                session_tags: m["tags"].as_bool().unwrap_or(true),
            };
            trust_name(&check_pod_identity(&parse(&req["trust"]), &pi)).to_string()
        }
    }
}

// ---------------------------------------------------------------- IRSA trust generator

fn provider(issuer: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}")
}

fn irsa_condition(rng: &mut Rng, sub: &str) -> (String, String, Value) {
    let sub_key = format!("{ISSUER}:sub");
    match rng.below(12) {
        0..=3 => {
            let op = rng.pick(&[
                "StringEquals",
                "StringLike",
                "StringNotEquals",
                "StringNotLike",
                "ForAnyValue:StringEquals",
            ]);
            let v = rng.pick(&[
                json!(sub),
                json!("system:serviceaccount:payments:api"),
                json!("system:serviceaccount:default:*"),
                json!("system:serviceaccount:*:*"),
                json!(["system:serviceaccount:kube-system:worker", sub]),
                json!("system:serviceaccount:*:api"),
            ]);
            (op.to_string(), sub_key, v)
        }
        4 | 5 => {
            let v = rng.pick(&[json!("sts.amazonaws.com"), json!("other")]);
            let op = rng.pick(&["StringEquals", "StringLike", "StringNotEquals"]);
            (op.to_string(), format!("{ISSUER}:aud"), v)
        }
        6 => {
            let op = rng.pick(&[
                "ForAnyValue:StringLike",
                "StringEquals",
                "ForAllValues:StringEquals",
                "Null",
            ]);
            let v = if op == "Null" {
                rng.pick(&[json!("true"), json!("false")])
            } else {
                json!("authenticated")
            };
            (op.to_string(), format!("{ISSUER}:amr"), v)
        }
        7 | 8 => {
            let op = rng.pick(&["StringEquals", "StringNotEquals", "StringLike", "Null"]);
            let v = if op == "Null" {
                rng.pick(&[json!("true"), json!("false")])
            } else {
                json!(sub)
            };
            let key = rng.pick(&["sub", "aud"]);
            (op.to_string(), format!("{OTHER_ISSUER}:{key}"), v)
        }
        9 => {
            let op = rng.pick(&["Bool", "BoolIfExists"]);
            let v = rng.pick(&[json!("true"), json!("false")]);
            (op.to_string(), "aws:SecureTransport".into(), v)
        }
        10 => {
            let op = rng.pick(&["StringEquals", "ArnLike", "StringNotEquals"]);
            let v = rng.pick(&[
                json!(provider(ISSUER)),
                json!(provider(OTHER_ISSUER)),
                json!("arn:aws:iam::*:oidc-provider/oidc.eks.*"),
            ]);
            (op.to_string(), "aws:FederatedProvider".into(), v)
        }
        _ => {
            let key = rng.pick(&[
                "aws:RequestTag/team",
                "aws:PrincipalTag/team",
                "aws:ViaAWSService",
            ]);
            let (op, v) = if key == "aws:ViaAWSService" {
                ("Bool", rng.pick(&[json!("true"), json!("false")]))
            } else {
                (
                    rng.pick(&["StringEquals", "StringNotEquals", "Null"]),
                    json!("x"),
                )
            };
            let v = if op == "Null" { json!("true") } else { v };
            (op.to_string(), key.to_string(), v)
        }
    }
}

fn irsa_case(rng: &mut Rng, n: usize) -> Case {
    let ns = rng.pick(&["default", "payments", "kube-system"]);
    let name = rng.pick(&["api", "worker"]);
    let aud = if rng.chance(90) {
        "sts.amazonaws.com"
    } else {
        "other"
    };
    let sub = format!("system:serviceaccount:{ns}:{name}");
    let mut stmts = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let mut st = serde_json::Map::new();
        let effect = if rng.chance(80) { "Allow" } else { "Deny" };
        st.insert("Effect".into(), json!(effect));
        let principal = match rng.below(20) {
            0..=8 => json!({"Federated": provider(ISSUER)}),
            9 | 10 => json!({"Federated": provider(OTHER_ISSUER)}),
            11 => json!({"Federated": provider(ISSUER).to_uppercase()}),
            12 => json!({"Federated": "*"}),
            13 | 14 => json!({"AWS": "*"}),
            15 => json!("*"),
            16 => json!({"Service": PODS}),
            17 => json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}),
            _ => json!({"Federated": [provider(OTHER_ISSUER), provider(ISSUER)]}),
        };
        st.insert("Principal".into(), principal);
        let (akey, action) = match rng.below(20) {
            0..=13 => ("Action", json!("sts:AssumeRoleWithWebIdentity")),
            14 | 15 => ("Action", json!("sts:*")),
            16 => ("Action", json!("sts:AssumeRole")),
            17 => (
                "Action",
                json!(["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]),
            ),
            18 => ("Action", json!("sts:AssumeRoleWith*")),
            _ => ("NotAction", json!("sts:AssumeRole")),
        };
        st.insert(akey.into(), action);
        if rng.chance(75) {
            let mut cond: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
            for _ in 0..1 + rng.below(3) {
                let (op, key, vals) = irsa_condition(rng, &sub);
                cond.entry(op).or_default().insert(key, vals);
            }
            st.insert("Condition".into(), json!(cond));
        }
        stmts.push(Value::Object(st));
    }
    let trust = json!({"Version": "2012-10-17", "Statement": stmts});
    let provider_arn = provider(ISSUER);
    // What STS puts in the request for an EKS service-account token (see
    // `WebIdentity::request`): the rest is absent.
    let ctx = json!({
        format!("{ISSUER}:sub"): sub,
        format!("{ISSUER}:aud"): aud,
        "aws:FederatedProvider": provider_arn,
        "aws:SecureTransport": "true",
        "aws:ViaAWSService": "false",
    });
    let peer = json!({
        "action": "sts:AssumeRoleWithWebIdentity", "resource": TARGET_ROLE,
        "principal": provider_arn, "trust": trust, "context": ctx,
        "meta": {"ns": ns, "name": name, "aud": aud},
    });
    Case {
        id: format!("irsa-{n}"),
        kind: Kind::Irsa,
        engine: engine_for(Kind::Irsa, &peer),
        peer: vec![peer],
    }
}

// ---------------------------------------------------------------- Pod Identity trust generator

fn pod_condition(rng: &mut Rng, ns: &str, sa: &str) -> (String, String, Value) {
    match rng.below(10) {
        0 | 1 => {
            let op = rng.pick(&["StringEquals", "StringLike", "StringNotEquals"]);
            let v = rng.pick(&[json!(ns), json!("other"), json!("pay*")]);
            (
                op.to_string(),
                "aws:RequestTag/kubernetes-namespace".into(),
                v,
            )
        }
        2 => {
            let v = rng.pick(&[json!(sa), json!("other")]);
            (
                "StringEquals".into(),
                "aws:RequestTag/kubernetes-service-account".into(),
                v,
            )
        }
        3 => {
            let v = rng.pick(&[json!("prod"), json!("staging")]);
            (
                "StringEquals".into(),
                "aws:RequestTag/eks-cluster-name".into(),
                v,
            )
        }
        4 => {
            let op = rng.pick(&["ArnLike", "ArnEquals", "ArnNotLike"]);
            let v = rng.pick(&[
                json!(CLUSTER_ARN),
                json!("arn:aws:eks:*:111122223333:cluster/*"),
                json!("arn:aws:eks:*:444455556666:cluster/*"),
            ]);
            let key = rng.pick(&["aws:RequestTag/eks-cluster-arn", "aws:SourceArn"]);
            (op.to_string(), key.to_string(), v)
        }
        5 => {
            let v = rng.pick(&[json!(ACCOUNT), json!("444455556666")]);
            ("StringEquals".into(), "aws:SourceAccount".into(), v)
        }
        6 => {
            let op = rng.pick(&[
                "ForAllValues:StringEquals",
                "ForAnyValue:StringLike",
                "ForAnyValue:StringEquals",
            ]);
            let v = rng.pick(&[
                json!([
                    "eks-cluster-arn",
                    "eks-cluster-name",
                    "kubernetes-namespace",
                    "kubernetes-service-account",
                    "kubernetes-pod-name",
                    "kubernetes-pod-uid"
                ]),
                json!("kubernetes-*"),
                json!("team"),
            ]);
            (op.to_string(), "aws:TagKeys".into(), v)
        }
        7 => (
            "StringEquals".into(),
            "aws:PrincipalTag/kubernetes-namespace".into(),
            json!(ns),
        ),
        8 => {
            let v = rng.pick(&[json!("true"), json!("false")]);
            (
                "Null".into(),
                rng.pick(&[
                    "aws:RequestTag/eks-cluster-name",
                    "aws:RequestTag/kubernetes-namespace",
                ])
                .to_string(),
                v,
            )
        }
        _ => {
            let v = rng.pick(&[json!("true"), json!("false")]);
            ("Bool".into(), "aws:SecureTransport".into(), v)
        }
    }
}

fn pod_case(rng: &mut Rng, n: usize) -> Case {
    let ns = rng.pick(&["payments", "default"]);
    let sa = rng.pick(&["api", "worker"]);
    let tags = rng.chance(85);
    let mut stmts = Vec::new();
    for _ in 0..1 + rng.below(2) {
        let mut st = serde_json::Map::new();
        let effect = if rng.chance(85) { "Allow" } else { "Deny" };
        st.insert("Effect".into(), json!(effect));
        let principal = match rng.below(10) {
            0..=6 => json!({"Service": PODS}),
            7 => json!({"AWS": "*"}),
            8 => json!({"Service": "ec2.amazonaws.com"}),
            _ => json!("*"),
        };
        st.insert("Principal".into(), principal);
        let action = match rng.below(10) {
            0..=5 => json!(["sts:AssumeRole", "sts:TagSession"]),
            6 | 7 => json!("sts:AssumeRole"),
            8 => json!("sts:*"),
            _ => json!("sts:TagSession"),
        };
        st.insert("Action".into(), action);
        if rng.chance(70) {
            let mut cond: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
            for _ in 0..1 + rng.below(2) {
                let (op, key, vals) = pod_condition(rng, ns, sa);
                cond.entry(op).or_default().insert(key, vals);
            }
            st.insert("Condition".into(), json!(cond));
        }
        stmts.push(Value::Object(st));
    }
    let trust = json!({"Version": "2012-10-17", "Statement": stmts});
    // What EKS Pod Identity sends (Amazon EKS User Guide, session tags); the
    // pod's name and UID are one pod's, which the engine leaves unknown, so
    // the generator never conditions on them.
    let mut ctx = json!({
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": CLUSTER_ARN,
        "aws:SecureTransport": "true",
        "aws:PrincipalServiceName": PODS,
    });
    if tags {
        for (k, v) in [
            ("eks-cluster-arn", CLUSTER_ARN),
            ("eks-cluster-name", "prod"),
            ("kubernetes-namespace", ns),
            ("kubernetes-service-account", sa),
            ("kubernetes-pod-name", "api-7d9f8-x2x"),
            ("kubernetes-pod-uid", "0c7c2a7e-1111-2222-3333-444455556666"),
        ] {
            ctx[format!("aws:RequestTag/{k}")] = json!(v);
        }
        ctx["aws:TagKeys"] = json!([
            "eks-cluster-arn",
            "eks-cluster-name",
            "kubernetes-namespace",
            "kubernetes-service-account",
            "kubernetes-pod-name",
            "kubernetes-pod-uid"
        ]);
    }
    let first = json!({"action": "sts:AssumeRole", "resource": TARGET_ROLE, "principal": PODS,
        "trust": trust, "context": ctx, "meta": {"ns": ns, "sa": sa, "tags": tags}});
    Case {
        id: format!("pod-{n}"),
        kind: Kind::PodIdentity,
        engine: engine_for(Kind::PodIdentity, &first),
        peer: pod_pair(first),
    }
}

/// EKS Pod Identity needs both `sts:AssumeRole` and `sts:TagSession`: the same
/// request for each.
fn pod_pair(first: Value) -> Vec<Value> {
    let mut second = first.clone();
    second["action"] = json!("sts:TagSession");
    vec![first, second]
}

// ---------------------------------------------------------------- the peer

fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".peers/node")
}

/// Why the peer cannot run, if it cannot.
fn peer_missing() -> Option<String> {
    let ok = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return Some("node is not installed".into());
    }
    let pkg = node_dir().join("node_modules/@cloud-copilot/iam-simulate/package.json");
    if !pkg.exists() {
        return Some(format!(
            "{} is missing: run scripts/peers.sh",
            pkg.display()
        ));
    }
    None
}

/// The simulator's answer to each case, folded as the comparison reads it.
fn peer_answers(cases: &[(Kind, Vec<Value>)]) -> Vec<String> {
    let requests: Vec<Value> = cases.iter().flat_map(|(_, r)| r.clone()).collect();
    let answers = run_peer(&requests);
    let mut out = Vec::new();
    let mut at = 0;
    for (kind, reqs) in cases {
        let mine = &answers[at..at + reqs.len()];
        at += reqs.len();
        out.push(
            if let Some(e) = mine.iter().find(|a| a.starts_with("error")) {
                e.clone()
            } else if *kind == Kind::Identity {
                mine[0].clone()
            } else if mine.iter().all(|a| a == "Allowed") {
                // Trust: allowed or not (TrustAnswer does not tell explicit from implicit).
                "Allowed".to_string()
            } else {
                "Denied".to_string()
            },
        );
    }
    out
}

/// Every request one step smaller than `r`: a policy, statement, list element,
/// condition or (identity) context key less.
fn shrink(kind: Kind, r: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut docs: Vec<String> = Vec::new();
    if let Some(ids) = r["identity"].as_array() {
        for i in 0..ids.len() {
            if ids.len() > 1 {
                let mut c = r.clone();
                if let Some(a) = c["identity"].as_array_mut() {
                    a.remove(i);
                }
                out.push(c);
            }
            docs.push(format!("/identity/{i}"));
        }
    }
    if r["boundary"].is_object() {
        let mut c = r.clone();
        if let Some(o) = c.as_object_mut() {
            o.remove("boundary");
        }
        out.push(c);
        docs.push("/boundary".into());
    }
    if r["trust"].is_object() {
        docs.push("/trust".into());
    }
    for d in &docs {
        let n = r
            .pointer(&format!("{d}/Statement"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for j in 0..n {
            if n > 1 {
                let mut c = r.clone();
                if let Some(a) = c
                    .pointer_mut(&format!("{d}/Statement"))
                    .and_then(Value::as_array_mut)
                {
                    a.remove(j);
                }
                out.push(c);
            }
            let st = format!("{d}/Statement/{j}");
            for f in ["Action", "NotAction", "Resource", "NotResource"] {
                let len = r
                    .pointer(&format!("{st}/{f}"))
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                for k in 0..if len > 1 { len } else { 0 } {
                    let mut c = r.clone();
                    if let Some(a) = c
                        .pointer_mut(&format!("{st}/{f}"))
                        .and_then(Value::as_array_mut)
                    {
                        a.remove(k);
                    }
                    out.push(c);
                }
            }
            let conds = r
                .pointer(&format!("{st}/Condition"))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (op, keys) in &conds {
                for (key, vals) in keys.as_object().cloned().unwrap_or_default() {
                    let mut c = r.clone();
                    if let Some(cond) = c
                        .pointer_mut(&format!("{st}/Condition"))
                        .and_then(Value::as_object_mut)
                    {
                        if let Some(k) = cond.get_mut(op).and_then(Value::as_object_mut) {
                            k.remove(&key);
                            if k.is_empty() {
                                cond.remove(op);
                            }
                        }
                        if cond.is_empty()
                            && let Some(s) = c.pointer_mut(&st).and_then(Value::as_object_mut)
                        {
                            s.remove("Condition");
                        }
                    }
                    out.push(c);
                    let len = vals.as_array().map_or(0, Vec::len);
                    for k in 0..if len > 1 { len } else { 0 } {
                        let mut c = r.clone();
                        if let Some(a) = c
                            .pointer_mut(&format!("{st}/Condition"))
                            .and_then(|v| v.get_mut(op))
                            .and_then(|v| v.get_mut(&key))
                            .and_then(Value::as_array_mut)
                        {
                            a.remove(k);
                        }
                        out.push(c);
                    }
                }
            }
        }
    }
    if kind == Kind::Identity {
        for key in r["context"]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let mut c = r.clone();
            if let Some(o) = c["context"].as_object_mut() {
                o.remove(&key);
            }
            out.push(c);
        }
    }
    out
}

/// Shrink each disagreement while the two answers stay the same: what is left
/// is what the disagreement rests on.
fn minimize(mut items: Vec<(Kind, Value, String, String)>) -> Vec<(Kind, Value, String, String)> {
    loop {
        let mut candidates: Vec<(usize, Value)> = Vec::new();
        for (i, (kind, r, _, _)) in items.iter().enumerate() {
            candidates.extend(shrink(*kind, r).into_iter().map(|c| (i, c)));
        }
        if candidates.is_empty() {
            return items;
        }
        let batch: Vec<(Kind, Vec<Value>)> = candidates
            .iter()
            .map(|(i, c)| {
                let kind = items[*i].0;
                (
                    kind,
                    if kind == Kind::PodIdentity {
                        pod_pair(c.clone())
                    } else {
                        vec![c.clone()]
                    },
                )
            })
            .collect();
        let peers = peer_answers(&batch);
        let mut changed = false;
        let mut done = BTreeSet::new();
        for ((i, c), peer) in candidates.into_iter().zip(peers) {
            if done.contains(&i) {
                continue;
            }
            let (kind, _, engine, want_peer) = &items[i];
            if peer == *want_peer && engine_for(*kind, &c) == *engine {
                items[i].1 = c;
                done.insert(i);
                changed = true;
            }
        }
        if !changed {
            return items;
        }
    }
}

/// Run the simulator on every request; answers by request index.
fn run_peer(requests: &[Value]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/iam_simulate.js");
    let mut child = Command::new("node")
        .arg(&script)
        .env("IAM_SIMULATE_DIR", node_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start node {}: {e}", script.display()));
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            r["id"] = json!(i);
            format!("{r}\n")
        })
        .collect();
    // Write from another thread: the driver answers while it reads.
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).expect("write to node");
    });
    let stdout = child.stdout.take().expect("stdout");
    let mut answers = vec![String::new(); requests.len()];
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read from node");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let i = v["id"].as_u64().expect("id") as usize;
        let mut result = v["result"].as_str().unwrap_or("error").to_string();
        if result == "error" {
            result = format!("error: {}", v["error"].as_str().unwrap_or("?"));
        }
        answers[i] = result;
    }
    writer.join().expect("writer");
    let status = child.wait().expect("node");
    assert!(status.success(), "the simulator driver failed: {status}");
    answers
}

// ---------------------------------------------------------------- the test

/// Every case of a seed, in the order the simulator is asked.
fn all_cases(cat: &Catalogue, seed: u64) -> Vec<Case> {
    let mut rng = Rng(seed);
    let mut cases = Vec::new();
    for n in 0..IDENTITY_CASES {
        cases.push(identity_case(&mut rng, cat, n));
    }
    for n in 0..IRSA_CASES {
        cases.push(irsa_case(&mut rng, n));
    }
    for n in 0..POD_CASES {
        cases.push(pod_case(&mut rng, n));
    }
    cases
}

#[derive(Default)]
struct Tally {
    agree: usize,
    total: usize,
}

#[test]
fn engine_agrees_with_an_independent_simulator() {
    if let Some(why) = peer_missing() {
        if std::env::var_os("CI").is_some() {
            panic!("the IAM simulator peer is not available in CI: {why}");
        }
        eprintln!("SKIPPED iam_differential: {why}");
        return;
    }
    let cat = catalogue();
    // Another seed explores new cases; the fixture is for SEED, so only with a report.
    let seed = match std::env::var("IAM_DIFF_SEED") {
        Ok(v) if std::env::var_os("IAM_DIFF_REPORT").is_some() => v
            .parse()
            .unwrap_or_else(|e| panic!("IAM_DIFF_SEED={v}: {e}")),
        _ => SEED,
    };
    let cases = all_cases(&cat, seed);
    let batch: Vec<(Kind, Vec<Value>)> = cases.iter().map(|c| (c.kind, c.peer.clone())).collect();
    let answers = peer_answers(&batch);

    let known = load_fixture();
    let mut tally: BTreeMap<Kind, Tally> = BTreeMap::new();
    let mut unexplained = Vec::new();
    let mut disagreements = Vec::new();
    let mut seen = BTreeSet::new();
    // Open context: the same identity requests with every key not given
    // unknown. What the engine decides with less knowledge must be what it
    // decides with all of it; the rest is undecided. Compared as allowed or
    // not: with no Allow, a Deny that may apply leaves the request denied
    // either way, and the engine says "not allowed" without telling explicit
    // from implicit.
    let allowed_or_not = |a: &str| match a {
        "ExplicitlyDenied" | "ImplicitlyDenied" => "Denied".to_string(),
        other => other.to_string(),
    };
    let (mut open_decided, mut open_agree, mut open_total) = (0, 0, 0);
    let mut unsound = Vec::new();
    for (c, peer) in cases.iter().zip(&answers) {
        if c.kind != Kind::Identity {
            continue;
        }
        open_total += 1;
        let open = engine_answer(c.kind, &c.peer[0], false);
        if open != "Undecided" {
            open_decided += 1;
            let open = allowed_or_not(&open);
            open_agree += usize::from(open == allowed_or_not(peer));
            if open != allowed_or_not(&c.engine) {
                unsound.push(format!(
                    "{}: {open} with unknown keys, {} with all",
                    c.id, c.engine
                ));
            }
        }
    }
    println!(
        "iam_differential identity, open context: {open_decided} of {open_total} decided, {open_agree} of them (allowed or not) as the simulator decides with every key"
    );

    for (c, peer) in cases.iter().zip(answers) {
        assert!(
            !peer.starts_with("error"),
            "{}: the simulator could not answer: {peer}",
            c.id
        );
        let t = tally.entry(c.kind).or_default();
        t.total += 1;
        if peer == c.engine {
            t.agree += 1;
            continue;
        }
        disagreements.push((
            c.id.clone(),
            c.kind,
            c.peer[0].clone(),
            c.engine.clone(),
            peer.clone(),
        ));
        match known.get(&c.id) {
            Some((engine, p)) if *engine == c.engine && *p == peer => {
                seen.insert(c.id.clone());
            }
            _ => unexplained.push(format!("{}: engine {} vs simulator {peer}", c.id, c.engine)),
        }
    }
    for (k, t) in &tally {
        println!(
            "iam_differential {}: {} of {} agree ({:.1} %)",
            k.name(),
            t.agree,
            t.total,
            100.0 * t.agree as f64 / t.total as f64
        );
    }
    let stale: Vec<&String> = known.keys().filter(|k| !seen.contains(*k)).collect();
    if let Some(path) = std::env::var_os("IAM_DIFF_REPORT") {
        let ids: Vec<String> = disagreements.iter().map(|d| d.0.clone()).collect();
        let small = minimize(
            disagreements
                .into_iter()
                .map(|(_, k, r, e, p)| (k, r, e, p))
                .collect(),
        );
        let text: Vec<String> = ids
            .iter()
            .zip(small)
            .map(|(id, (_, r, e, p))| {
                json!({"id": id, "engine": e, "simulator": p, "minimized": r}).to_string()
            })
            .collect();
        std::fs::write(&path, text.join("\n") + "\n").expect("write the report");
        println!(
            "iam_differential: {} disagreements, minimized, written to {}",
            ids.len(),
            Path::new(&path).display()
        );
        return;
    }
    assert!(
        unsound.is_empty(),
        "answers that change when keys become known:\n{}",
        unsound.join("\n")
    );
    assert!(
        stale.is_empty(),
        "fixture entries that no longer disagree (remove them): {stale:?}"
    );
    assert!(
        unexplained.is_empty(),
        "{} disagreements with the simulator are not in {FIXTURE} (review each, then add it with its reason and documentation page; IAM_DIFF_REPORT=path writes them with the requests):\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}

/// Reviewed disagreements: id → (engine's answer, simulator's answer).
fn load_fixture() -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(FIXTURE).unwrap_or_else(|e| panic!("{FIXTURE}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{FIXTURE}: {e}"));
    let mut out = BTreeMap::new();
    for group in v["groups"].as_array().expect("groups") {
        let reason = group["reason"].as_str().unwrap_or("");
        let doc = group["documentation"].as_str().unwrap_or("");
        assert!(
            !reason.is_empty() && !doc.is_empty(),
            "every group needs a reason and a documentation page: {group}"
        );
        for case in group["cases"].as_array().expect("cases") {
            let id = case["id"].as_str().expect("id").to_string();
            let engine = case["engine"].as_str().expect("engine").to_string();
            let peer = case["simulator"].as_str().expect("simulator").to_string();
            out.insert(id, (engine, peer));
        }
    }
    out
}

// ---------------------------------------------------------------- the command line

/// The role a case's question is asked about, in the snapshot of `batch_snapshot`.
fn case_role(c: &Case) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{}", c.id)
}

fn write_json(dir: &Path, file: &str, v: &Value) {
    std::fs::write(dir.join(file), v.to_string()).unwrap_or_else(|e| panic!("{file}: {e}"));
}

/// One snapshot holding every case of `cases` as what the command line reads:
/// an identity case is a role (its policies inline, its boundary a managed
/// policy), a trust case a role with that trust; the service accounts the
/// trust cases name (with `audience`), the cluster, its OIDC provider (which
/// accepts both audiences the generator uses, so that only the trust decides)
/// and a Pod Identity association per Pod Identity case.
fn batch_snapshot(cases: &[&Case], audience: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut roles = Vec::new();
    let mut managed = Vec::new();
    let mut assocs = Vec::new();
    let nobody = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    // The roles identity cases name as resources of sts:AssumeRole: a trust that
    // admits any AWS principal, so that the identity policies alone decide.
    for name in ["app", "admin-x"] {
        roles.push(json!({"RoleName": name, "Path": "/",
            "Arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [], "AttachedManagedPolicies": []}));
    }
    for c in cases {
        let req = &c.peer[0];
        let mut role = json!({"RoleName": c.id, "Path": "/", "Arn": case_role(c),
            "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": []});
        match c.kind {
            Kind::Identity => {
                role["AssumeRolePolicyDocument"] = nobody.clone();
                let inline: Vec<Value> = req["identity"]
                    .as_array()
                    .expect("identity")
                    .iter()
                    .enumerate()
                    .map(|(i, p)| json!({"PolicyName": format!("identity-{i}"), "PolicyDocument": p}))
                    .collect();
                role["RolePolicyList"] = json!(inline);
                if req["boundary"].is_object() {
                    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/boundary-{}", c.id);
                    role["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "Policy",
                        "PermissionsBoundaryArn": arn});
                    managed.push(
                        json!({"PolicyName": format!("boundary-{}", c.id), "Arn": arn,
                        "Path": "/", "DefaultVersionId": "v1",
                        "PolicyVersionList": [{"Document": req["boundary"], "VersionId": "v1",
                            "IsDefaultVersion": true}]}),
                    );
                }
            }
            Kind::Irsa | Kind::PodIdentity => {
                role["AssumeRolePolicyDocument"] = req["trust"].clone();
            }
        }
        if c.kind == Kind::PodIdentity {
            let m = &req["meta"];
            assocs.push(json!({"clusterName": "prod", "namespace": m["ns"],
                "serviceAccount": m["sa"], "roleArn": case_role(c),
                "associationId": format!("a-{}", c.id),
                "disableSessionTags": !m["tags"].as_bool().unwrap_or(true)}));
        }
        roles.push(role);
    }
    write_json(
        d,
        "iam.json",
        &json!({"RoleDetailList": roles, "Policies": managed,
        "UserDetailList": [], "GroupDetailList": []}),
    );
    write_json(
        d,
        "sts-caller-identity.json",
        &json!({"Account": ACCOUNT,
        "Arn": format!("arn:aws:iam::{ACCOUNT}:user/auditor"), "UserId": "AIDAEXAMPLE"}),
    );
    write_json(
        d,
        "eks-cluster.json",
        &json!({"cluster": {"name": "prod", "arn": CLUSTER_ARN,
        "version": "1.31", "identity": {"oidc": {"issuer": format!("https://{ISSUER}")}}}}),
    );
    write_json(
        d,
        "iam-oidc-providers.json",
        &json!({"OpenIDConnectProviderList": [{
        "Arn": provider(ISSUER), "Url": ISSUER,
        "ClientIDList": ["sts.amazonaws.com", "other"], "ThumbprintList": []}]}),
    );
    write_json(
        d,
        "eks-pod-identity-associations.json",
        &json!({"associations": assocs}),
    );
    let mut items = Vec::new();
    for ns in ["default", "payments", "kube-system"] {
        items.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
        for name in ["api", "worker"] {
            let mut sa = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": name, "namespace": ns}});
            if audience != "sts.amazonaws.com" {
                sa["metadata"]["annotations"] = json!({"eks.amazonaws.com/audience": audience});
            }
            items.push(sa);
        }
    }
    write_json(
        d,
        "kubernetes.json",
        &json!({"apiVersion": "v1", "kind": "List", "items": items}),
    );
    dir
}

/// The `can-i --batch` line asking what a case asks: an identity case as the
/// role itself (`--direct`, `--context-complete`, the request's keys as
/// context), a trust case as the service account asking for the role
/// (`sts:AssumeRoleWithWebIdentity`, or `sts:AssumeRole` for Pod Identity).
fn batch_line(c: &Case) -> Value {
    let req = &c.peer[0];
    match c.kind {
        Kind::Identity => json!({"as": case_role(c),
            "action": {"aws": req["action"], "resource": req["resource"]},
            "context": req["context"], "context_complete": true, "direct": true}),
        Kind::Irsa => json!({
            "as": format!("system:serviceaccount:{}:{}", req["meta"]["ns"].as_str().unwrap_or(""),
                req["meta"]["name"].as_str().unwrap_or("")),
            "action": {"aws": "sts:AssumeRoleWithWebIdentity", "resource": case_role(c)},
            "direct": true}),
        Kind::PodIdentity => json!({
            "as": format!("system:serviceaccount:{}:{}", req["meta"]["ns"].as_str().unwrap_or(""),
                req["meta"]["sa"].as_str().unwrap_or("")),
            "action": {"aws": "sts:AssumeRole", "resource": case_role(c)},
            "direct": true}),
    }
}

/// An identity case about `sts:AssumeRoleWithWebIdentity`: the engine's API
/// answers what the role's policies say of the action; `can-i --as ROLE`
/// answers whether the role can make the call, and that call is made with a
/// web identity token, not AWS credentials ("Calling AssumeRoleWithWebIdentity
/// does not require the use of AWS security credentials",
/// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html),
/// so the role's policies neither grant nor deny it and `can-i` says `no`.
fn web_identity_as_iam(c: &Case) -> bool {
    c.kind == Kind::Identity && c.peer[0]["action"] == "sts:AssumeRoleWithWebIdentity"
}

/// The engine's answer as the command line words it.
fn as_decision(engine: &str) -> &'static str {
    match engine {
        "Allowed" => "yes",
        "Undecided" => "conditional",
        _ => "no",
    }
}

/// The cases asked through `iamscope can-i --batch` against one snapshot: the
/// disagreements with the engine's answer through its API.
fn batch_disagreements(cases: &[&Case], audience: &str) -> Vec<String> {
    if cases.is_empty() {
        return Vec::new();
    }
    let dir = batch_snapshot(cases, audience);
    let input: String = cases
        .iter()
        .map(|c| format!("{}\n", batch_line(c)))
        .collect();
    let out = assert_cmd::Command::cargo_bin("iamscope")
        .expect("binary")
        .args(["can-i", "--from"])
        .arg(dir.path())
        .args(["--batch", "-"])
        .write_stdin(input)
        .output()
        .expect("iamscope runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let answers: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(
        answers.len(),
        cases.len(),
        "one answer a question; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut wrong = Vec::new();
    for (c, a) in cases.iter().zip(&answers) {
        let want = if web_identity_as_iam(c) {
            "no"
        } else {
            as_decision(&c.engine)
        };
        if a["decision"].as_str() != Some(want) {
            wrong.push(format!(
                "{}: engine {} ({want}), can-i {}; asked {}; policies {}",
                c.id,
                c.engine,
                if a["error"].is_null() {
                    &a["decision"]
                } else {
                    &a["error"]
                },
                batch_line(c),
                c.peer[0]
            ));
        }
    }
    wrong
}

/// The same cases through the command line: `iamscope can-i --batch` on a
/// snapshot that holds each case's policies or trust answers as the engine's
/// API does, case by case, so that the command line (notation, snapshot
/// reading, request context, subject keys, the trust checks' inputs) cannot
/// drift from the engine the simulator checks. Runs without the simulator.
#[test]
fn command_line_agrees_with_the_engine() {
    let cat = catalogue();
    let cases = all_cases(&cat, SEED);
    let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
    for c in &cases {
        *counts.entry(c.kind).or_default() += 1;
    }
    assert_eq!(counts[&Kind::Identity], IDENTITY_CASES);
    assert_eq!(counts[&Kind::Irsa], IRSA_CASES);
    assert_eq!(counts[&Kind::PodIdentity], POD_CASES);
    // A service account has one audience: the cases whose token carries
    // another are asked on a snapshot of their own.
    let other = |c: &&Case| c.kind == Kind::Irsa && c.peer[0]["meta"]["aud"] != "sts.amazonaws.com";
    let (odd, usual): (Vec<&Case>, Vec<&Case>) = cases.iter().partition(other);
    let mut wrong = batch_disagreements(&usual, "sts.amazonaws.com");
    wrong.extend(batch_disagreements(&odd, "other"));
    let mut by_decision: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &cases {
        *by_decision.entry(as_decision(&c.engine)).or_default() += 1;
    }
    let by_design: Vec<&str> = cases
        .iter()
        .filter(|c| web_identity_as_iam(c) && c.engine == "Allowed")
        .map(|c| c.id.as_str())
        .collect();
    println!(
        "iam_differential through can-i --batch: {} cases ({} identity, {} irsa, {} pod-identity; engine {by_decision:?}), {} disagree; {} differ by design (sts:AssumeRoleWithWebIdentity asked as an IAM role: {by_design:?})",
        cases.len(),
        counts[&Kind::Identity],
        counts[&Kind::Irsa],
        counts[&Kind::PodIdentity],
        wrong.len(),
        by_design.len()
    );
    assert_eq!(by_design.len(), 6, "{by_design:?}");
    // A closed context leaves nothing undecided: yes and no both occur, so
    // the comparison can fail either way.
    assert!(
        by_decision.get("yes").is_some_and(|&n| n > 1000)
            && by_decision.get("no").is_some_and(|&n| n > 1000),
        "{by_decision:?}"
    );
    assert!(
        wrong.is_empty(),
        "{} of {} answers of can-i --batch differ from the engine's:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
