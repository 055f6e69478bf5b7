//! `reach`'s effective permissions against a plain oracle: every catalogue
//! action each Allow statement takes in (every action for NotAction), on each
//! of its resources, asked one by one of the role's permission set
//! (`PermissionSet::outcome_alone`, held equal to `evaluate_quiet` on the
//! managed-policy corpus in tests/iam_managed_policies.rs). reach decides a
//! class of actions that every statement treats alike once; the oracle asks
//! each action.
//!
//! The roles are made of AWS managed policies (moto 5.2.5's copy,
//! `tests/fixtures/aws-managed-policies.json.gz`, Apache-2.0) with Denies,
//! conditions, NotAction, NotResource and permissions boundaries.

use std::collections::{BTreeMap, BTreeSet};

use iamscope::graph::ReadCheck;
use iamscope::model::{AttachedPolicy, IamRole, InlinePolicy, Inventory, ManagedPolicy};
use iamscope::policy::actions::flat;
use iamscope::policy::iam::{Effect, Outcome};
use iamscope::query::reach::RoleReach;
use iamscope::query::{AsSubject, Asker};
use serde_json::{Value, json};

#[path = "support/managed_policies.rs"]
mod managed;
use managed::policies as corpus;

/// The role whose policies the tests replace: the demo's kafka-connect role.
const ROLE: &str = "arn:aws:iam::111122223333:role/prod-eks-kafka-connect";

/// The demo, with `edit` given the role and the managed policies.
fn demo_with(edit: impl FnOnce(&mut IamRole, &mut Vec<ManagedPolicy>)) -> Inventory {
    let (mut inv, _) = iamscope::source::demo::read(&ReadCheck).expect("demo");
    let role = inv
        .iam
        .roles
        .iter_mut()
        .find(|r| r.arn == ROLE)
        .expect("kafka-connect role");
    edit(role, &mut inv.iam.policies);
    inv
}

/// The role's part of its own reach.
fn reach_of_role(asker: &Asker) -> RoleReach {
    asker
        .reach(&AsSubject::IamRole {
            arn: ROLE.into(),
            session: None,
        })
        .expect("reach")
        .roles
        .into_iter()
        .find(|r| r.role == ROLE)
        .expect("the role")
}

struct Case {
    name: &'static str,
    managed: &'static [&'static str],
    inline: Vec<Value>,
    boundary: Option<&'static str>,
}

/// Per (service, level): the actions allowed, whether any only conditionally.
type Levels = BTreeMap<(String, String), (BTreeSet<String>, bool)>;

fn oracle(asker: &Asker, arn: &str) -> Levels {
    let set = asker.permission_set(arn).expect("the role's permissions");
    let flat = flat();
    let mut out = Levels::new();
    for p in &set.policies {
        for s in &p.doc.statements {
            if s.effect != Effect::Allow {
                continue;
            }
            let candidates: BTreeSet<u32> = if s.action.negated {
                (0..flat.actions.len() as u32).collect()
            } else {
                s.action
                    .values
                    .iter()
                    .flat_map(|v| flat.expand(v))
                    .collect()
            };
            let resources: Vec<String> = match &s.resource {
                Some(r) if !r.negated => r.values.clone(),
                _ => vec!["*".to_string()],
            };
            for i in candidates {
                let a = &flat.actions[i as usize];
                for r in &resources {
                    let mut req = set_request(asker, arn);
                    req.action = a.full.to_string();
                    req.resource = Some(r.clone());
                    let conditional = match set.outcome_alone(&req) {
                        Outcome::Allowed => false,
                        Outcome::Undecided => true,
                        Outcome::Denied | Outcome::NotAllowed => continue,
                    };
                    let e = out
                        .entry((a.action.service.to_string(), a.action.level.to_string()))
                        .or_default();
                    e.0.insert(a.full.to_string());
                    e.1 |= conditional;
                }
            }
        }
    }
    out
}

/// The request reach asks with: the role as principal, the Asker's context.
fn set_request(asker: &Asker, arn: &str) -> iamscope::policy::iam::Request {
    asker.iam_request(&iamscope::query::AwsAction::default(), arn, "", "")
}

#[test]
fn reach_permissions_match_asking_every_action() {
    let corpus = corpus();
    let cases = vec![
        Case {
            name: "ReadOnlyAccess less a Deny on one bucket's objects",
            managed: &["ReadOnlyAccess"],
            inline: vec![
                json!({"Effect": "Deny", "Action": ["s3:GetObject*", "kms:Decrypt"],
                "Resource": ["arn:aws:s3:::payroll/*", "*"]}),
            ],
            boundary: None,
        },
        Case {
            name: "PowerUserAccess (NotAction) with a conditional PassRole",
            managed: &["PowerUserAccess"],
            inline: vec![json!({"Effect": "Allow", "Action": "iam:PassRole",
                "Resource": "arn:aws:iam::111122223333:role/app-*",
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}})],
            boundary: None,
        },
        Case {
            name: "AdministratorAccess under the AmazonS3ReadOnlyAccess boundary",
            managed: &["AdministratorAccess"],
            inline: vec![],
            boundary: Some("AmazonS3ReadOnlyAccess"),
        },
        Case {
            name: "EC2 full access and view-only, a Deny that holds only if a tag says so",
            managed: &["AmazonEC2FullAccess", "ViewOnlyAccess"],
            inline: vec![
                json!({"Effect": "Deny", "Action": ["ec2:Terminate*", "ec2:Delete*"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}),
            ],
            boundary: None,
        },
        Case {
            name: "NotResource and a wildcard service",
            managed: &[],
            inline: vec![
                json!({"Effect": "Allow", "Action": ["s3*:*", "dynamodb:Get?tem", "sqs:*Message*"],
                    "NotResource": "arn:aws:s3:::audit-logs/*"}),
                json!({"Effect": "Allow", "NotAction": ["ec2:*", "s3:*", "iam:*"],
                    "Resource": ["arn:aws:sqs:us-east-1:111122223333:jobs", "arn:aws:dynamodb:*:*:table/orders"],
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
            ],
            boundary: Some("PowerUserAccess"),
        },
    ];
    for case in cases {
        let inv = demo_with(|role, policies| {
            let mut named: Vec<&str> = case.managed.to_vec();
            named.extend(case.boundary);
            for n in named {
                let p = corpus.get(n).unwrap_or_else(|| panic!("{n} in the corpus"));
                let policy_arn = format!("arn:aws:iam::aws:policy/{n}");
                policies.retain(|x| x.arn != policy_arn);
                policies.push(ManagedPolicy {
                    arn: policy_arn,
                    name: n.to_string(),
                    path: "/".into(),
                    default_version_id: Some("v1".into()),
                    document: Some(p["Document"].clone()),
                });
            }
            role.attached_policies = case
                .managed
                .iter()
                .map(|n| AttachedPolicy {
                    name: n.to_string(),
                    arn: format!("arn:aws:iam::aws:policy/{n}"),
                })
                .collect();
            role.permissions_boundary = case
                .boundary
                .map(|n| format!("arn:aws:iam::aws:policy/{n}"));
            role.inline_policies = case
                .inline
                .iter()
                .enumerate()
                .map(|(k, s)| InlinePolicy {
                    name: format!("inline-{k}"),
                    document: json!({"Version": "2012-10-17", "Statement": [s]}),
                })
                .collect();
        });
        let asker = Asker::new(&inv);
        let got = &reach_of_role(&asker).permissions;
        let want = oracle(&asker, ROLE);
        let name = case.name;
        assert!(!want.is_empty(), "{name}: the oracle allows nothing");
        let got_keys: BTreeSet<(String, String)> = got
            .iter()
            .flat_map(|(s, l)| l.keys().map(|l| (s.to_string(), l.to_string())))
            .collect();
        let want_keys: BTreeSet<(String, String)> = want.keys().cloned().collect();
        assert_eq!(got_keys, want_keys, "{name}: services and levels");
        let mut conditional = 0;
        for ((service, level), (actions, cond)) in &want {
            let g = &got[service.as_str()][level.as_str()];
            assert_eq!(g.count, actions.len(), "{name}: {service} {level} count");
            assert_eq!(
                g.conditional, *cond,
                "{name}: {service} {level} conditional"
            );
            assert_eq!(
                g.examples.len(),
                actions.len().min(4),
                "{name}: {service} {level}"
            );
            for e in &g.examples {
                assert!(actions.contains(*e), "{name}: {e} is not allowed");
            }
            conditional += usize::from(*cond);
        }
        eprintln!(
            "{name}: {} services, {} levels ({conditional} conditional), {} actions",
            got.len(),
            want.len(),
            want.values().map(|(a, _)| a.len()).sum::<usize>()
        );
    }
}

/// Every Action and NotAction pattern of the corpus expands
/// (`Flat::expand`, which reach and the oracle above read) to exactly the
/// catalogue actions the evaluator's matcher (`action_matches`) takes in.
/// A pattern whose service has no wildcard is matched against that
/// service's actions (no other name starts with `svc:`); one pattern in
/// fifty, and every pattern whose service has a wildcard, against the whole
/// catalogue.
#[test]
fn expansions_are_what_the_matcher_takes_in() {
    use iamscope::policy::actions::action_matches;
    let mut patterns: BTreeSet<String> = BTreeSet::new();
    for p in corpus().values() {
        let statements = match &p["Document"]["Statement"] {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for s in statements {
            for key in ["Action", "NotAction"] {
                match &s[key] {
                    Value::String(v) => {
                        patterns.insert(v.clone());
                    }
                    Value::Array(vs) => {
                        patterns.extend(vs.iter().filter_map(Value::as_str).map(str::to_string));
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(patterns.len() > 5000, "{} patterns", patterns.len());
    let flat = flat();
    let mut by_service: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (i, a) in flat.actions.iter().enumerate() {
        by_service
            .entry(a.action.service.to_ascii_lowercase())
            .or_default()
            .push(i as u32);
    }
    let every: Vec<u32> = (0..flat.actions.len() as u32).collect();
    let (mut whole, mut wildcard_services) = (0, 0);
    for (k, p) in patterns.iter().enumerate() {
        let service = p
            .trim()
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase());
        let wild = service.as_ref().is_none_or(|s| s.contains(['*', '?']));
        let scope: &[u32] = if wild || k % 50 == 0 {
            whole += 1;
            wildcard_services += usize::from(wild);
            &every
        } else {
            service
                .as_ref()
                .and_then(|s| by_service.get(s))
                .map_or(&[], Vec::as_slice)
        };
        let want: Vec<u32> = scope
            .iter()
            .copied()
            .filter(|&i| action_matches(p, flat.actions[i as usize].full))
            .collect();
        assert_eq!(flat.expand(p), want, "{p}");
    }
    assert!(wildcard_services > 0);
    eprintln!(
        "{} patterns, {whole} against the whole catalogue ({wildcard_services} with a wildcard service)",
        patterns.len()
    );
}

/// reach counts each action once per access level, whatever the resources it
/// is allowed on: a role allowed `s3:Get*` on two buckets has as many s3
/// Read actions as the catalogue has Read actions matching `s3:Get*` (an
/// action allowed on a second resource was counted again).
#[test]
fn reach_counts_an_action_once_whatever_its_resources() {
    use iamscope::policy::actions::{AccessLevel, expand};
    let inv = demo_with(|role, _| {
        role.attached_policies.clear();
        role.permissions_boundary = None;
        role.inline_policies = vec![InlinePolicy {
            name: "two-buckets".into(),
            document: json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::one/*"},
                {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::two/*"}
            ]}),
        }];
    });
    let role = reach_of_role(&Asker::new(&inv));
    let read = &role.permissions["s3"]["Read"];
    let want = expand("s3:Get*")
        .iter()
        .filter(|a| a.level == AccessLevel::Read)
        .count();
    assert!(want > 4, "{want} catalogue actions");
    assert_eq!(read.count, want, "{:?}", read.examples);
    assert_eq!(
        read.resources,
        vec!["arn:aws:s3:::one/*", "arn:aws:s3:::two/*"]
    );
}
