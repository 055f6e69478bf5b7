//! Property tests: the parsers never panic on anything, and what they accept
//! means what it says (ARNs print back unchanged; `--k=v` and `--k v` agree;
//! random but schema-shaped IAM policies go through the whole audit).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use iamscope::audit::apiserver::Flags;
use iamscope::audit::{self, Options};
use iamscope::graph::ReadCheck;
use iamscope::model::{Arn, AwsAuth, RoleArn};
use iamscope::policy::iam::{NamedPolicy, PermissionSet, Request, parse_document};
use iamscope::source::snapshot::{MemFiles, read_files, split_flags_file};
use proptest::prelude::*;
use serde_json::{Value, json};

const FILES: [&str; 13] = [
    "kubernetes.json",
    "kubernetes.yaml",
    "kubernetes-aws-auth.json",
    "kubernetes-secrets.yaml",
    "kubernetes-x.yml",
    "iam.json",
    "iam-oidc-providers.json",
    "eks-cluster.json",
    "eks-access-entries.json",
    "eks-pod-identity-associations.json",
    "sts-caller-identity.json",
    "kube-apiserver.flags",
    "unrelated.txt",
];

fn one_file(name: &str, bytes: Vec<u8>) -> MemFiles {
    MemFiles(BTreeMap::from([(name.to_string(), bytes)]))
}

/// Any JSON value, a few levels deep, with keys the snapshot schema uses so
/// that the reader gets past the top level.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("kind".to_string()),
        Just("items".to_string()),
        Just("metadata".to_string()),
        Just("name".to_string()),
        Just("namespace".to_string()),
        Just("data".to_string()),
        Just("spec".to_string()),
        Just("RoleDetailList".to_string()),
        Just("Arn".to_string()),
        Just("cluster".to_string()),
        Just("accessEntries".to_string()),
        Just("associations".to_string()),
        Just("OpenIDConnectProviderList".to_string()),
        Just("Account".to_string()),
        "[a-zA-Z]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop_oneof![
            Just("ServiceAccount".to_string()),
            Just("ConfigMap".to_string()),
            Just("aws-auth".to_string()),
            Just("kube-system".to_string()),
            Just("arn:aws:iam::111122223333:role/x".to_string()),
            ".{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn snapshot_reader_never_panics_on_bytes(
        which in 0..FILES.len(),
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let _ = read_files(&one_file(FILES[which], bytes), &ReadCheck);
    }

    #[test]
    fn snapshot_reader_never_panics_on_text(which in 0..FILES.len(), text in "\\PC{0,300}") {
        let _ = read_files(&one_file(FILES[which], text.into_bytes()), &ReadCheck);
    }

    #[test]
    fn snapshot_reader_and_audit_never_panic_on_json_values(
        which in 0..FILES.len(),
        v in json_value(),
    ) {
        let name = FILES[which];
        let bytes = if name.ends_with(".json") {
            v.to_string().into_bytes()
        } else {
            // JSON is YAML; flags files get the text too.
            serde_json::to_string_pretty(&v).unwrap_or_default().into_bytes()
        };
        if let Some((inv, _)) = read_files(&one_file(name, bytes), &ReadCheck) {
            let _ = audit::run(&inv, &Options::default());
        }
    }

    #[test]
    fn arn_parser_never_panics(s in "\\PC{0,80}") {
        let _ = Arn::parse(&s);
        let _ = RoleArn::parse(&s);
    }

    #[test]
    fn valid_arns_round_trip(
        partition in prop_oneof![Just("aws".to_string()), "aws-[a-z0-9-]{1,10}"],
        service in "[a-z0-9-]{1,12}",
        region in "[a-z0-9-]{0,14}",
        account in "[0-9]{0,12}",
        resource in "[^\\s]{1,40}",
    ) {
        let s = format!("arn:{partition}:{service}:{region}:{account}:{resource}");
        let a = Arn::parse(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&a.partition, &partition);
        prop_assert_eq!(&a.service, &service);
        prop_assert_eq!(&a.region, &region);
        prop_assert_eq!(&a.account, &account);
        prop_assert_eq!(&a.resource, &resource);
        prop_assert_eq!(a.to_string(), s);
    }

    #[test]
    fn valid_role_arns_round_trip(
        partition in prop_oneof![Just("aws"), Just("aws-cn"), Just("aws-us-gov")],
        account in "[0-9]{12}",
        path in prop::collection::vec("[!-.0-~]{1,8}", 0..4),
        name in "[A-Za-z0-9+=,.@_-]{1,64}",
    ) {
        let path = if path.is_empty() { "/".to_string() } else { format!("/{}/", path.join("/")) };
        let s = format!("arn:{partition}:iam::{account}:role{path}{name}");
        let r = RoleArn::parse(&s).map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
        prop_assert_eq!(&r.path, &path);
        prop_assert_eq!(&r.name, &name);
        prop_assert_eq!(&r.account, &account);
        prop_assert_eq!(r.to_string(), s.clone());
        prop_assert_eq!(RoleArn::parse(&r.to_string()), Ok(r.clone()));
        prop_assert_eq!(
            r.without_path(),
            format!("arn:{partition}:iam::{account}:role/{name}")
        );
    }

    #[test]
    fn aws_auth_parser_never_panics_on_text(
        roles in proptest::option::of("\\PC{0,200}"),
        users in proptest::option::of("\\PC{0,200}"),
        accounts in proptest::option::of("\\PC{0,80}"),
    ) {
        let a = AwsAuth::parse(roles.as_deref(), users.as_deref(), accounts.as_deref());
        for e in &a.entries {
            let _ = e.subject_arn();
        }
    }

    #[test]
    fn aws_auth_parser_never_panics_on_entries(entries in prop::collection::vec(
        prop::collection::vec((
            prop_oneof![Just("rolearn"), Just("userarn"), Just("username"), Just("groups"), Just("x")],
            prop_oneof![
                Just("arn:aws:iam::111122223333:role/a".to_string()),
                Just("'{{SessionName}}'".to_string()),
                Just("'{{Bogus'".to_string()),
                Just("[system:masters, 1, null]".to_string()),
                Just("{a: b}".to_string()),
                Just("~".to_string()),
                "[a-z:/{}]{0,20}",
            ],
        ), 0..4),
        0..5,
    )) {
        let yaml: String = entries
            .iter()
            .map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("- {{{}}}\n", body.join(", "))
            })
            .collect();
        let a = AwsAuth::parse(Some(&yaml), Some(&yaml), Some(&yaml));
        prop_assert!(a.entries.len() <= 2 * entries.len());
    }

    #[test]
    fn flag_parser_never_panics(args in prop::collection::vec("\\PC{0,20}", 0..12), text in "\\PC{0,200}") {
        let f = Flags::parse(&args);
        let _ = f.show("anonymous-auth");
        let _ = f.list("authorization-mode");
        let _ = Flags::parse(&split_flags_file(&text));
    }

    #[test]
    fn equals_and_space_forms_agree(flags in prop::collection::vec((
        "[a-z][a-z0-9-]{0,20}",
        "[A-Za-z0-9/.,:_=]{1,20}",
    ), 0..8)) {
        let bool_flags = ["anonymous-auth", "service-account-lookup", "enable-bootstrap-token-auth", "allow-privileged"];
        let flags: Vec<(String, String)> = flags
            .into_iter()
            .map(|(k, v)| if bool_flags.contains(&k.as_str()) { (k, "false".to_string()) } else { (k, v) })
            .collect();
        let mut eq = vec!["kube-apiserver".to_string()];
        let mut sp = vec!["kube-apiserver".to_string()];
        for (k, v) in &flags {
            eq.push(format!("--{k}={v}"));
            sp.push(format!("--{k}"));
            sp.push(v.clone());
        }
        prop_assert_eq!(&Flags::parse(&eq).values, &Flags::parse(&sp).values);
        prop_assert_eq!(Flags::parse(&eq).values, flags.clone());
        // And through a flags file, one per line or on one line.
        let one_per_line: String = eq.iter().map(|a| format!("{a}\n")).collect();
        prop_assert_eq!(Flags::parse(&split_flags_file(&one_per_line)).values, flags.clone());
        let one_line = sp.join(" ");
        prop_assert_eq!(Flags::parse(&split_flags_file(&one_line)).values, flags);
    }
}

// ------------------------------------------------------------ policy documents

fn string_or_list(s: impl Strategy<Value = String> + Clone) -> impl Strategy<Value = Value> {
    prop_oneof![
        s.clone().prop_map(Value::String),
        prop::collection::vec(s, 0..4).prop_map(|v| json!(v)),
    ]
}

fn action() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        Just("*".to_string()),
        Just("s3:*".to_string()),
        Just("iam:PassRole".to_string()),
        Just("iam:*".to_string()),
        Just("sts:AssumeRole*".to_string()),
        Just("ec2:Describe*".to_string()),
        Just("sts:AssumeRoleWithWebIdentity".to_string()),
        "[a-z0-9]{1,6}:[A-Za-z*?]{0,10}",
        "\\PC{0,8}",
    ]
}

fn resource() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        Just("*".to_string()),
        Just("arn:aws:s3:::bucket/*".to_string()),
        Just("arn:aws:iam::111122223333:role/*".to_string()),
        Just("arn:aws:iam::*:role/${aws:PrincipalTag/team}".to_string()),
        "arn:aws:[a-z0-9*]{0,5}:[a-z0-9-*]{0,6}:[0-9*]{0,12}:[a-z/*?${}:]{0,12}",
    ]
}

fn condition() -> impl Strategy<Value = Value> {
    let op = prop_oneof![
        Just("StringEquals"),
        Just("StringLike"),
        Just("StringNotEquals"),
        Just("ForAnyValue:StringLike"),
        Just("ForAllValues:StringEquals"),
        Just("StringEqualsIfExists"),
        Just("ArnLike"),
        Just("Bool"),
        Just("Null"),
        Just("NumericLessThan"),
        Just("DateGreaterThan"),
        Just("IpAddress"),
        Just("NotIpAddress"),
        Just("BinaryEquals"),
        Just("Unknown"),
    ];
    let key = prop_oneof![
        Just("aws:SourceIp"),
        Just("aws:PrincipalTag/team"),
        Just("aws:CurrentTime"),
        Just("aws:MultiFactorAuthPresent"),
        Just("oidc.eks.us-west-2.amazonaws.com/id/9F8E7D6C5B4A39281706F5E4D3C2B1A0:sub"),
        Just("oidc.eks.us-west-2.amazonaws.com/id/9F8E7D6C5B4A39281706F5E4D3C2B1A0:aud"),
        Just("aws:TagKeys"),
    ];
    let val = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        Just(json!("10.0.0.0/8")),
        Just(json!("2026-01-01T00:00:00Z")),
        Just(json!("system:serviceaccount:default:*")),
        Just(json!("sts.amazonaws.com")),
        "\\PC{0,10}".prop_map(Value::String),
    ];
    let vals = prop_oneof![
        val.clone(),
        prop::collection::vec(val, 0..3).prop_map(Value::Array)
    ];
    prop::collection::vec((op, prop::collection::vec((key, vals), 1..3)), 0..3).prop_map(|ops| {
        let mut m = serde_json::Map::new();
        for (op, kvs) in ops {
            let inner: serde_json::Map<String, Value> =
                kvs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            m.insert(op.to_string(), Value::Object(inner));
        }
        Value::Object(m)
    })
}

fn principal() -> impl Strategy<Value = Value> {
    let id = prop_oneof![
        Just("*".to_string()),
        Just("arn:aws:iam::111122223333:root".to_string()),
        Just("111122223333".to_string()),
        Just("arn:aws:iam::210987654321:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/9F8E7D6C5B4A39281706F5E4D3C2B1A0".to_string()),
        Just("pods.eks.amazonaws.com".to_string()),
        "\\PC{0,10}",
    ];
    prop_oneof![
        Just(json!("*")),
        prop::collection::vec(
            (
                prop_oneof![
                    Just("AWS"),
                    Just("Federated"),
                    Just("Service"),
                    Just("CanonicalUser"),
                    Just("Bogus")
                ],
                string_or_list(id)
            ),
            0..3
        )
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("Allow"), Just("Deny")],
        any::<bool>(),
        string_or_list(action()),
        any::<bool>(),
        string_or_list(resource()),
        proptest::option::of(condition()),
        proptest::option::of((any::<bool>(), principal())),
        proptest::option::of("[A-Za-z0-9]{0,6}"),
    )
        .prop_map(
            |(effect, not_action, a, not_resource, r, cond, princ, sid)| {
                let mut m = serde_json::Map::new();
                m.insert("Effect".into(), json!(effect));
                m.insert(if not_action { "NotAction" } else { "Action" }.into(), a);
                m.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    r,
                );
                if let Some(c) = cond {
                    m.insert("Condition".into(), c);
                }
                if let Some((not, p)) = princ {
                    m.insert(if not { "NotPrincipal" } else { "Principal" }.into(), p);
                }
                if let Some(s) = sid {
                    m.insert("Sid".into(), json!(s));
                }
                Value::Object(m)
            },
        )
}

/// A policy document in any of the shapes IAM and the CLI produce.
fn document() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(statement(), 0..4),
        any::<bool>(),
        0..3u8,
    )
        .prop_map(|(stmts, single, encoding)| {
            let statement = if single && stmts.len() == 1 {
                stmts[0].clone()
            } else {
                Value::Array(stmts)
            };
            let doc = json!({"Version": "2012-10-17", "Statement": statement});
            match encoding {
                0 => doc,
                1 => Value::String(doc.to_string()),
                _ => Value::String(
                    percent_encoding::utf8_percent_encode(
                        &doc.to_string(),
                        percent_encoding::NON_ALPHANUMERIC,
                    )
                    .to_string(),
                ),
            }
        })
}

fn scenario_files() -> BTreeMap<String, Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios/guide-example");
    fs::read_dir(dir)
        .expect("scenario")
        .filter_map(|e| e.ok())
        .map(|e| {
            (
                e.file_name().into_string().expect("utf-8"),
                fs::read(e.path()).expect("read"),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn policy_parser_and_queries_never_panic(doc in document()) {
        if let Ok(d) = parse_document(&doc) {
            let set = PermissionSet::of(vec![NamedPolicy { name: "p".into(), doc: d.into() }]);
            let _ = set.allows_everything();
            let _ = set.allows_all("iam:PassRole");
            let _ = set.allows_service("s3");
            let _ = set.allow_not_action();
            let _ = set.evaluate(&Request::new("s3:GetObject").resource("arn:aws:s3:::bucket/k"));
            let _ = set.evaluate(&Request::new("iam:PassRole").resource("*").closed());
        }
    }
}

proptest! {
    // The whole audit is slower in debug builds: fewer cases.
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn policies_through_the_whole_audit_never_panic(
        inline in prop::collection::vec(document(), 0..3),
        trust in document(),
        managed in document(),
    ) {
        let mut files = scenario_files();
        let mut iam: Value = serde_json::from_slice(&files["iam.json"]).expect("iam.json");
        let role = &mut iam["RoleDetailList"][0];
        role["AssumeRolePolicyDocument"] = trust;
        role["RolePolicyList"] = inline
            .into_iter()
            .enumerate()
            .map(|(i, d)| json!({"PolicyName": format!("p{i}"), "PolicyDocument": d}))
            .collect();
        role["AttachedManagedPolicies"] = json!([{"PolicyName": "m", "PolicyArn": "arn:aws:iam::210987654321:policy/m"}]);
        role["PermissionsBoundary"] = json!({"PermissionsBoundaryArn": "arn:aws:iam::210987654321:policy/m"});
        iam["Policies"] = json!([{"PolicyName": "m", "Arn": "arn:aws:iam::210987654321:policy/m",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": managed}]}]);
        files.insert("iam.json".into(), iam.to_string().into_bytes());
        let (inv, _) = read_files(&MemFiles(files), &ReadCheck).expect("readable");
        let findings = audit::run(&inv, &Options::default());
        // Whatever the documents say, every finding is rendered in every format.
        use iamscope::report::Format;
        for f in [Format::Json, Format::Sarif, Format::Markdown, Format::Table] {
            let _ = iamscope::report::Report { inv: &inv, findings: &findings }.render(f);
        }
    }
}
