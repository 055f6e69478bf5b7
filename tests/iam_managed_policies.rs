//! Every AWS managed policy (moto 5.2.5's copy, `tests/fixtures/aws-managed-policies.json.gz`,
//! Apache-2.0, see `tests/fixtures/LICENSE-moto`) classified by the IAM rules as if
//! attached to a role reachable from the cluster, compared with the reviewed
//! snapshot `tests/snapshots/managed-policies.txt`.
//!
//! To accept a change after reviewing the diff: `UPDATE_SNAPSHOTS=1 cargo test --test iam_managed_policies`.

use std::collections::BTreeMap;

use iamscope::audit::iam::{PermissionHit, classify_documents};
use serde_json::Value;

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/managed-policies.txt"
);

#[path = "support/managed_policies.rs"]
mod managed;
use managed::policies;

fn render(hits: &[PermissionHit]) -> String {
    if hits.is_empty() {
        return "-".to_string();
    }
    hits.iter()
        .map(|h| {
            if h.conditional {
                format!("{}(conditional)", h.rule)
            } else {
                h.rule.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn classify(name: &str, doc: &Value) -> Vec<PermissionHit> {
    classify_documents(&[(name, doc)]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rules_of(hits: &[PermissionHit]) -> Vec<&'static str> {
    hits.iter().map(|h| h.rule).collect()
}

#[test]
fn managed_policies_snapshot() {
    let all = policies();
    assert!(all.len() > 1500, "{} policies", all.len());
    let mut lines = Vec::new();
    let mut by_name = BTreeMap::new();
    for (name, p) in &all {
        let doc = &p["Document"];
        let hits = classify(name, doc);
        lines.push(format!("{name}: {}", render(&hits)));
        by_name.insert(name.clone(), hits);
    }
    let text = lines.join("\n") + "\n";

    let rules = |n: &str| rules_of(&by_name[n]);
    assert!(rules("AdministratorAccess").contains(&"IAM-001"));
    assert!(rules("IAMFullAccess").contains(&"IAM-002"));
    assert!(rules("IAMFullAccess").contains(&"IAM-003"));
    assert!(rules("AmazonS3ReadOnlyAccess").contains(&"IAM-004"));
    assert!(!rules("ReadOnlyAccess").contains(&"IAM-001"));
    assert!(!rules("ReadOnlyAccess").contains(&"IAM-003"));
    assert!(!rules("PowerUserAccess").contains(&"IAM-001"));
    assert!(rules("PowerUserAccess").contains(&"IAM-002"));
    assert!(rules("AmazonS3FullAccess").contains(&"IAM-002"));
    assert!(rules("SecretsManagerReadWrite").contains(&"IAM-004"));

    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(SNAPSHOT, &text).expect("write snapshot");
        return;
    }
    let want = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if want != text {
        let diff: Vec<String> = want
            .lines()
            .zip(text.lines())
            .filter(|(a, b)| a != b)
            .take(20)
            .map(|(a, b)| format!("- {a}\n+ {b}"))
            .collect();
        panic!(
            "managed-policy classification changed ({} vs {} lines); first differences:\n{}\nReview, then UPDATE_SNAPSHOTS=1 to accept.",
            want.lines().count(),
            text.lines().count(),
            diff.join("\n")
        );
    }
}

fn controller(file: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/controllers/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("controller policy")).expect("json")
}

/// The upstream controller policies, as a careful reviewer would judge them.
#[test]
fn controller_policies() {
    let lbc = classify(
        "aws-load-balancer-controller",
        &controller("aws-load-balancer-controller-iam_policy.json"),
    );
    let ebs = classify(
        "aws-ebs-csi-driver",
        &controller("aws-ebs-csi-driver-example-iam-policy.json"),
    );
    for (name, hits) in [("lbc", &lbc), ("ebs", &ebs)] {
        for h in hits.iter() {
            eprintln!(
                "{name}: {} conditional={} {}: {:?}",
                h.rule, h.conditional, h.what, h.evidence
            );
        }
    }
    // aws-load-balancer-controller: its only IAM action is iam:CreateServiceLinkedRole,
    // conditioned on iam:AWSServiceName = elasticloadbalancing.amazonaws.com (not an
    // escalation: the service-linked role's policy is fixed by AWS); the rest is ec2
    // Describe*/security-group and elasticloadbalancing actions, mostly tag-conditioned,
    // plus read-only acm/cognito/waf/shield calls. No whole service, no data read,
    // no sts:AssumeRole. (Unconditioned ec2:AuthorizeSecurityGroupIngress on * is
    // broad, but no rule of the catalog covers security groups.)
    assert_eq!(render(&lbc), "-", "{lbc:#?}");
    // aws-ebs-csi-driver: ec2 Describe* on *, volume/snapshot actions on
    // arn:aws:ec2:*:*:volume/* and snapshot/*, deletes conditioned on the driver's tags.
    assert_eq!(render(&ebs), "-", "{ebs:#?}");
}

/// `EXPLAIN=PolicyName cargo test --test iam_managed_policies explain -- --nocapture`
/// prints the evidence behind a policy's line of the snapshot.
#[test]
fn explain() {
    let Ok(names) = std::env::var("EXPLAIN") else {
        return;
    };
    let all = policies();
    for name in names.split(',') {
        for h in classify(name, &all[name]["Document"]) {
            println!(
                "{name}: {} conditional={} {}",
                h.rule, h.conditional, h.what
            );
            for e in &h.evidence {
                println!("    {e}");
            }
        }
    }
}

/// The audit keeps what each managed policy says about each query across the
/// roles it is attached to (`allows_all_memo`): over random combinations of
/// the whole corpus (with a Deny and a boundary now and then), every answer is
/// the one computed afresh (`allows_all`).
#[test]
fn kept_answers_are_the_fresh_ones() {
    use iamscope::policy::iam::{Boundary, GrantMemo, NamedPolicy, PermissionSet, parse_document};
    use std::sync::Arc;
    let all: Vec<(String, Arc<_>)> = policies()
        .into_iter()
        .map(|(name, v)| {
            let doc = parse_document(&v["Document"]).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, Arc::new(doc))
        })
        .collect();
    let deny = Arc::new(
        parse_document(&serde_json::json!({"Statement": [
            {"Effect": "Deny", "Action": ["s3:*", "iam:Pass*"], "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/admin"}
        ]}))
        .expect("deny"),
    );
    let queries: Vec<String> = [
        "*:*",
        "iam:PassRole",
        "sts:AssumeRole",
        "s3:GetObject",
        "kms:Decrypt",
    ]
    .iter()
    .map(|q| q.to_string())
    .chain(
        iamscope::audit::iam::SENSITIVE_SERVICES
            .iter()
            .map(|s| format!("{s}:*")),
    )
    .collect();
    let mut memo = GrantMemo::default();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for round in 0..300 {
        let mut set = PermissionSet::default();
        if round % 3 == 0 {
            set.policies.push(NamedPolicy {
                name: "inline policy d".into(),
                doc: deny.clone(),
            });
            set.inline = 1;
        }
        for _ in 0..1 + next(4) {
            let (name, doc) = &all[next(all.len())];
            set.policies.push(NamedPolicy {
                name: format!("managed policy {name}"),
                doc: doc.clone(),
            });
        }
        if round % 4 == 1 {
            let (name, doc) = &all[next(all.len())];
            set.boundary = Some(Boundary::Known(NamedPolicy {
                name: format!("permissions boundary {name}"),
                doc: doc.clone(),
            }));
        }
        for q in &queries {
            assert_eq!(
                set.allows_all_memo(q, &mut memo),
                set.allows_all(q),
                "round {round}, {q}"
            );
        }
    }
}

/// Who-can judges thousands of principals per question and reads each shared
/// document once (`PermissionSet::outcome` with a memo per request); its
/// decisions must be `evaluate_quiet`'s, whatever the policy, and so must the
/// evidence of `evaluate_quiet_memo`, which skips the shared documents the
/// memo says nothing of, and of `outcome_hits` and `evaluate_quiet_hits`,
/// which read only the inline statements whose Action takes in the
/// request's action. Every managed
/// policy of the corpus, attached to principals with and without tags, with
/// and without another managed policy as boundary, against requests of many
/// services, one memo per request shared by all of them.
#[test]
fn shared_document_outcomes_match_full_evaluation() {
    use iamscope::policy::iam::{
        Boundary, NamedPolicy, Outcome, PermissionSet, Request, TallyMemo, parse_document,
        resource_openings,
    };
    use std::sync::Arc;
    let docs: Vec<(String, Arc<iamscope::policy::iam::PolicyDocument>)> = policies()
        .iter()
        .filter_map(|(n, p)| Some((n.clone(), Arc::new(parse_document(&p["Document"]).ok()?))))
        .collect();
    assert!(docs.len() > 1500, "{} parsed", docs.len());
    let named = |i: usize| NamedPolicy {
        name: docs[i].0.clone(),
        doc: Arc::clone(&docs[i].1),
    };
    // Principal-dependent inline policy: a tag condition and a policy variable.
    let inline = Arc::new(
        parse_document(&serde_json::json!({"Statement": [
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blocked"}}},
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}
        ]}))
        .expect("inline"),
    );
    let requests: Vec<Request> = [
        ("s3:GetObject", "arn:aws:s3:::data/x"),
        ("s3:PutObject", "arn:aws:s3:::home/alice/x"),
        ("s3:GetObject", "arn:aws:s3:::home/bob/x"),
        ("iam:PassRole", "*"),
        ("iam:CreateUser", "arn:aws:iam::111122223333:user/x"),
        ("ec2:RunInstances", "*"),
        ("ec2:DescribeInstances", "*"),
        ("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k"),
        ("secretsmanager:GetSecretValue", "*"),
        ("sts:AssumeRole", "arn:aws:iam::111122223333:role/r"),
        ("lambda:InvokeFunction", "*"),
        (
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:111122223333:table/t",
        ),
        ("eks:DescribeCluster", "*"),
        (
            "logs:PutLogEvents",
            "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f:log-stream:s",
        ),
        ("s3:PutObject", "arn:aws:s3:::aws-glue-scripts/x"),
    ]
    .iter()
    .map(|(a, r)| Request::new(*a).resource(*r))
    .collect();
    let (mut checked, mut passed_over) = (0usize, 0usize);
    for base in requests {
        let mut memo = TallyMemo::default();
        for i in 0..docs.len() {
            for who in 0..5 {
                // 0: the policy alone; 1: with the principal-dependent document
                // inline; 2 and 3: with it attached (shared), as two principals
                // that differ in name and tags; 3 with a boundary too; 4: the
                // policy alone, inline.
                let mut req = base.clone().key("aws:username", ["alice", "bob"][who % 2]);
                if who == 2 {
                    req = req.key("aws:PrincipalTag/team", "blocked");
                }
                let tagged = NamedPolicy {
                    name: "tagged".into(),
                    doc: Arc::clone(&inline),
                };
                let policies = match who {
                    0 | 4 => vec![named(i)],
                    1 => vec![tagged, named(i)],
                    _ => vec![named(i), tagged],
                };
                let mut set = PermissionSet::of(policies);
                set.inline = usize::from(who == 1 || who == 4);
                if who == 3 {
                    set.boundary = Some(Boundary::Known(named((i * 7 + 3) % docs.len())));
                }
                let full = set.evaluate_quiet(&req);
                let want = Outcome::of(&full);
                assert_eq!(
                    set.outcome(&req, &mut memo),
                    want,
                    "{} (principal {who}) on {}",
                    docs[i].0,
                    req.action
                );
                assert_eq!(
                    set.outcome_alone(&req),
                    want,
                    "{} (principal {who}) on {}, without a memo",
                    docs[i].0,
                    req.action
                );
                // Skipping the shared documents the memo says nothing of
                // gives the same decision, evidence and all.
                assert_eq!(
                    set.evaluate_quiet_memo(&req, &mut memo),
                    full,
                    "{} (principal {who}) on {}, evidence",
                    docs[i].0,
                    req.action
                );
                // Reading of the inline policies only the statements whose
                // Action takes in the request's action, found beforehand.
                let hits = set.inline_hits(&req.action);
                assert_eq!(
                    set.outcome_hits(&req, &mut memo, &hits),
                    want,
                    "{} (principal {who}) on {}, inline hits",
                    docs[i].0,
                    req.action
                );
                assert_eq!(
                    set.evaluate_quiet_hits(&req, &mut memo, &hits),
                    full,
                    "{} (principal {who}) on {}, evidence from inline hits",
                    docs[i].0,
                    req.action
                );
                // Less the statements whose Resource openings the resource
                // does not start with, as who-can passes them over.
                let resource = req.resource.clone().unwrap_or_default();
                let live: Vec<(u32, u32)> = hits
                    .iter()
                    .copied()
                    .filter(|&(d, k)| {
                        let st = set.inline_statement(d, k).expect("a hit's statement");
                        resource_openings(st)
                            .is_none_or(|o| o.iter().any(|o| resource.as_bytes().starts_with(o)))
                    })
                    .collect();
                passed_over += hits.len() - live.len();
                assert_eq!(
                    set.outcome_hits(&req, &mut memo, &live),
                    want,
                    "{} (principal {who}) on {}, inline hits of the resource",
                    docs[i].0,
                    req.action
                );
                assert_eq!(
                    set.evaluate_quiet_hits(&req, &mut memo, &live),
                    full,
                    "{} (principal {who}) on {}, evidence from inline hits of the resource",
                    docs[i].0,
                    req.action
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 70_000, "{checked}");
    // The openings did pass statements over (of the policies naming other
    // log groups, buckets and roles).
    assert!(passed_over > 100, "{passed_over} statements passed over");
}
