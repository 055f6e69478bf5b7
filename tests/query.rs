//! The questions (can-i, who-can, reach) on the demo: they agree with the audit,
//! exit as query.md says, and answer batches line by line.

use assert_cmd::Command;
use iamscope::audit::{self, Options, Subject};
use iamscope::graph::ReadCheck;
use iamscope::query::{Action, AsSubject, Asker, AwsAction, Decision, Node};
use serde_json::Value;

fn iamscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("iamscope")
        .expect("binary")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn aws(action: &str, resource: &str, complete: bool) -> Action {
    Action::Aws(AwsAction {
        action: action.into(),
        resource: resource.into(),
        context: Default::default(),
        complete,
        multivalued: Default::default(),
    })
}

fn subject_of(s: &Subject) -> Option<AsSubject> {
    Some(match s {
        Subject::ServiceAccount { namespace, name } => AsSubject::ServiceAccount {
            namespace: namespace.clone(),
            name: name.clone(),
        },
        Subject::User { name } => AsSubject::User {
            name: name.clone(),
            groups: Vec::new(),
        },
        Subject::Group { name } => AsSubject::Group { name: name.clone() },
        _ => return None,
    })
}

/// One evaluation: every PATH-001 finding of the audit is a `yes` of can-i for
/// the same subject and role, and every IAM-001 role is a `yes` of
/// `can-i --as ROLE --direct --context-complete '*:*'` (and no role without
/// IAM-001 is).
#[test]
fn the_audit_and_the_questions_agree_on_the_demo() {
    let (inv, _) = iamscope::source::demo::read(&ReadCheck).expect("demo");
    let findings = audit::run(&inv, &Options::default());
    let asker = Asker::new(&inv);
    let mut checked = 0;
    for f in findings.iter().filter(|f| f.rule == "PATH-001") {
        let subject = subject_of(&f.subject).expect("PATH-001 subjects are Kubernetes subjects");
        let role = f
            .related
            .iter()
            .find_map(|r| match r {
                Subject::IamRole { arn } => Some(arn.clone()),
                _ => None,
            })
            .expect("PATH-001 names its role");
        let (ns, sa) = f
            .related
            .iter()
            .find_map(|r| match r {
                Subject::ServiceAccount { namespace, name } => {
                    Some((namespace.clone(), name.clone()))
                }
                _ => None,
            })
            .expect("PATH-001 names the account");
        // The way the account obtains the role decides which STS call it makes.
        let via_pod_identity = asker
            .roles_of(&ns, &sa)
            .iter()
            .any(|(a, v)| a == &role && *v == iamscope::graph::reach::Via::PodIdentity);
        let action = if via_pod_identity {
            "sts:AssumeRole"
        } else {
            "sts:AssumeRoleWithWebIdentity"
        };
        let a = asker
            .can_i(&subject, &aws(action, &role, false), false)
            .expect("answers");
        assert_eq!(
            a.decision,
            Decision::Yes,
            "{}: the audit says {} obtains {role}, can-i says {:?} ({:?})",
            f.title,
            f.subject.label(),
            a.decision,
            a.misses
        );
        // Through a path that ends at that role, by way of that account.
        assert!(a.answers.iter().any(|p| {
            p.path
                .last()
                .is_some_and(|h| h.to == Node::IamRole { arn: role.clone() })
                && p.path.iter().any(|h| h.to == Node::sa(&ns, &sa))
        }));
        checked += 1;
    }
    assert!(checked >= 3, "the demo has PATH-001 findings ({checked})");

    let admins: Vec<String> = findings
        .iter()
        .filter(|f| f.rule == "IAM-001")
        .filter_map(|f| match &f.subject {
            Subject::IamRole { arn } => Some(arn.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    assert!(!admins.is_empty());
    // The IAM rules judge the roles a service account obtains.
    let judged: std::collections::BTreeSet<String> = inv
        .service_accounts
        .iter()
        .flat_map(|sa| asker.roles_of(&sa.namespace, &sa.name).to_vec())
        .map(|(a, _)| a.to_ascii_lowercase())
        .collect();
    for arn in &judged {
        let subject = AsSubject::IamRole {
            arn: arn.clone(),
            session: None,
        };
        let a = asker
            .can_i(&subject, &aws("*:*", "*", true), true)
            .expect("answers");
        assert_eq!(
            a.decision == Decision::Yes,
            admins.contains(arn),
            "IAM-001 and can-i '*:*' disagree on {arn}"
        );
    }
}

#[test]
fn exit_codes_and_notation_errors() {
    let (code, out, _) = iamscope(&[
        "can-i",
        "--demo",
        "--as",
        "group:data-engineers",
        "sts:AssumeRoleWithWebIdentity",
        "arn:aws:iam::111122223333:role/prod-eks-data-platform-airflow",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("yes"), "{out}");
    assert!(out.contains("creates-pod-as → ServiceAccount data-platform/airflow-worker"));
    // Every line of the table fits 80 columns.
    assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");

    let (code, out, _) = iamscope(&[
        "can-i",
        "--demo",
        "--as",
        "system:serviceaccount:checkout:cart",
        "delete",
        "nodes",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("no"));

    // A `no` names the nearest miss: the same grant in another namespace.
    let (code, out, _) = iamscope(&[
        "can-i",
        "--demo",
        "--as",
        "group:payments-developers",
        "get",
        "secrets",
        "-n",
        "checkout",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("granted in namespace payments, not checkout"),
        "{out}"
    );

    let (code, _, err) = iamscope(&["can-i", "--demo", "--as", "pod:nope", "get", "pods"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("pod:NAMESPACE/NAME") && err.contains("accepted subjects"),
        "{err}"
    );
    let (code, _, err) = iamscope(&["can-i", "--demo", "--as", "bob", "s3:GetObject", "bucket"]);
    assert_eq!(code, 2);
    assert!(err.contains("accepted actions"), "{err}");

    // A condition on a key not given: conditional (exit 3), naming the key;
    // given, decided; absent (--context-complete), no.
    let ebs = [
        "can-i",
        "--demo",
        "--direct",
        "--as",
        "arn:aws:iam::111122223333:role/AmazonEKS_EBS_CSI_DriverRole",
        "ec2:CreateVolume",
        "arn:aws:ec2:us-east-1:111122223333:volume/vol-1",
    ];
    let (code, out, _) = iamscope(&ebs);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.starts_with("conditional") && out.contains("aws:RequestTag/ebs.csi.aws.com/cluster")
    );
    let mut given = ebs.to_vec();
    given.extend([
        "--context-entry",
        "aws:RequestTag/ebs.csi.aws.com/cluster=true",
    ]);
    let (code, out, _) = iamscope(&given);
    assert_eq!(code, 0, "{out}");
    let mut closed = ebs.to_vec();
    closed.push("--context-complete");
    let (code, out, _) = iamscope(&closed);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn batch_answers_every_line_in_order_and_survives_bad_ones() {
    let input = [
        r#"{"as": "group:data-engineers", "as_groups": [], "action": {"aws": "sts:AssumeRoleWithWebIdentity", "resource": "arn:aws:iam::111122223333:role/prod-eks-data-platform-airflow"}}"#,
        r#"{"as": "nobody", "action": {"kube": {"verb": "get", "group": "", "resource": "secrets", "namespace": "kube-system"}}}"#,
        r#"{"as": "pod:nope", "action": {"kube": {"verb": "get", "resource": "pods"}}}"#,
        "not json",
        r#"{"as": "alice", "as_groups": ["system:masters"], "action": {"kube": {"verb": "get", "path": "/healthz"}}}"#,
    ]
    .join("\n");
    let out = Command::cargo_bin("iamscope")
        .expect("binary")
        .args(["can-i", "--demo", "--batch", "-"])
        .write_stdin(input)
        .output()
        .expect("runs");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["decision"], "yes");
    assert_eq!(lines[1]["decision"], "no");
    assert!(
        lines[2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("pod:NAMESPACE/NAME"))
    );
    assert!(lines[3]["error"].is_string());
    assert_eq!(lines[4]["decision"], "yes");
    assert_eq!(
        lines[4]["answers"][0]["path"][0]["to"],
        serde_json::json!({"kind": "Group", "name": "system:masters"})
    );
    // Errors make the batch exit 2.
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_answers_have_typed_hops_and_evidence() {
    let (code, out, _) = iamscope(&[
        "can-i",
        "--demo",
        "-o",
        "json",
        "--as",
        "group:sre",
        "s3:GetObject",
        "arn:aws:s3:::acme-data-lake-raw/kafka/x",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["query"]["as"], "group:sre");
    let path = v["answers"][0]["path"].as_array().expect("path");
    let edges: Vec<&str> = path.iter().filter_map(|h| h["edge"].as_str()).collect();
    assert_eq!(edges, ["exec-into", "runs-as", "assumes", "allows"]);
    assert!(
        path.iter()
            .all(|h| h["evidence"].as_str().is_some_and(|e| !e.is_empty()))
    );
    assert_eq!(path[3]["to"]["kind"], "AwsAction");
}

/// Who can read the demo's data lake, on both sides: reviewed by hand in
/// tests/snapshots/query-who-can-data-lake.review.md. A change of answer must be
/// reviewed again (UPDATE_SNAPSHOTS=1 rewrites the file).
#[test]
fn who_can_read_the_data_lake_snapshot() {
    let (code, out, err) = iamscope(&[
        "who-can",
        "--demo",
        "--limit",
        "0",
        "s3:GetObject",
        "arn:aws:s3:::acme-data-lake-raw/kafka/x",
    ]);
    assert_eq!(code, 0, "{err}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/query-who-can-data-lake.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &out).expect("write snapshot");
    }
    let want = std::fs::read_to_string(&path).expect("snapshot");
    assert!(
        out == want,
        "who-can answer changed; review it and update {}:\n{out}",
        path.display()
    );
}

/// who-can and can-i cannot disagree: for every subject who-can considers, its
/// who-can decision (absent: no) is can-i's, for questions on both sides.
#[test]
fn who_can_and_can_i_agree_on_every_subject() {
    let (inv, _) = iamscope::source::demo::read(&ReadCheck).expect("demo");
    let asker = Asker::new(&inv);
    let kube = |verb: &str, group: &str, resource: &str, ns: Option<&str>| {
        Action::Kube(iamscope::query::KubeAction {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            namespace: ns.map(str::to_string),
            ..Default::default()
        })
    };
    let questions = [
        aws(
            "s3:GetObject",
            "arn:aws:s3:::acme-data-lake-raw/kafka/x",
            false,
        ),
        aws("secretsmanager:GetSecretValue", "*", false),
        kube("create", "", "pods", Some("ci")),
        kube("get", "", "secrets", Some("kube-system")),
        kube("patch", "apps", "deployments", Some("payments")),
    ];
    for q in &questions {
        let who = asker.who_can(q, false);
        let listed: std::collections::BTreeMap<Node, (Decision, usize)> = who
            .answers
            .iter()
            .map(|a| (a.subject.clone(), (a.decision, a.path.len())))
            .collect();
        assert!(!listed.is_empty(), "{q:?}");
        for s in asker.candidates(false) {
            let node = asker.subject_node(&s);
            let a = asker.can_i(&s, q, false).expect("answers");
            let said = listed.get(&node).map_or(Decision::No, |l| l.0);
            assert_eq!(
                said, a.decision,
                "{q:?}: who-can and can-i disagree on {node:?}"
            );
            // And on how far: who-can's path is can-i's shortest of that decision.
            if let Some((d, len)) = listed.get(&node) {
                let shortest = a
                    .answers
                    .iter()
                    .filter(|p| p.decision == *d)
                    .map(|p| p.path.len())
                    .min();
                assert_eq!(Some(*len), shortest, "{q:?}: path length of {node:?}");
            }
        }
    }
}

/// What an `Asker` keeps between questions (who-can's graph, each account's
/// role links, the inline statements per action, the per-question memos)
/// never changes an answer: a run of who-can and can-i questions on one
/// Asker, repeating actions with other resources and coming back to earlier
/// ones, answers each exactly as a fresh Asker does.
#[test]
fn answers_do_not_depend_on_the_questions_before() {
    let (inv, _) = iamscope::source::demo::read(&ReadCheck).expect("demo");
    let shared = Asker::new(&inv);
    let questions = [
        aws(
            "s3:GetObject",
            "arn:aws:s3:::acme-data-lake-raw/kafka/x",
            false,
        ),
        aws(
            "s3:GetObject",
            "arn:aws:s3:::acme-payments-exports/x",
            false,
        ),
        aws(
            "s3:PutObject",
            "arn:aws:s3:::acme-data-lake-raw/kafka/x",
            false,
        ),
        aws("secretsmanager:GetSecretValue", "*", false),
        aws(
            "s3:GetObject",
            "arn:aws:s3:::acme-data-lake-raw/kafka/x",
            true,
        ),
        aws("iam:PassRole", "*", false),
        aws(
            "s3:GetObject",
            "arn:aws:s3:::acme-data-lake-raw/kafka/x",
            false,
        ),
        aws("s3:*", "*", false),
        aws(
            "s3:GetObject",
            "arn:aws:s3:::acme-payments-exports/x",
            false,
        ),
    ];
    let pod = AsSubject::Pod {
        namespace: "data-platform".into(),
        name: "airflow-worker-0".into(),
    };
    assert!(!shared.who_can(&questions[0], false).answers.is_empty());
    for (k, q) in questions.iter().enumerate() {
        let fresh = Asker::new(&inv);
        let want = json(&fresh.who_can(q, false));
        assert_eq!(
            json(&shared.who_can(q, false)),
            want,
            "who-can, question {k}: {q:?}"
        );
        let fresh = Asker::new(&inv);
        let want = json(&fresh.can_i(&pod, q, false).expect("can-i"));
        let got = json(&shared.can_i(&pod, q, false).expect("can-i"));
        assert_eq!(got, want, "can-i, question {k}: {q:?}");
    }
}

/// An answer's JSON, for comparing answers whole.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("json")
}

/// reach: a compromised Airflow worker pod reaches the administrator role
/// (flagged IAM-001), with its permissions per service and access level, and
/// the accounts of its namespace through its pod-creating grant.
#[test]
fn reach_of_a_compromised_pod() {
    let (code, out, err) = iamscope(&[
        "reach",
        "--demo",
        "-o",
        "json",
        "pod:data-platform/airflow-worker-0",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["subject"]["kind"], "Pod");
    let roles = v["roles"].as_array().expect("roles");
    let admin = roles
        .iter()
        .find(|r| r["role"] == "arn:aws:iam::111122223333:role/prod-eks-data-platform-airflow")
        .expect("the airflow role is reached");
    assert!(
        admin["flagged"][0]
            .as_str()
            .is_some_and(|f| f.starts_with("IAM-001"))
    );
    assert!(
        admin["permissions"]["s3"]["Read"]["count"]
            .as_u64()
            .is_some_and(|n| n > 10)
    );
    assert!(admin["permissions"]["iam"]["Permissions management"].is_object());
    // Its account may create pods in data-platform: every account there is reachable.
    let becomes: Vec<&str> = v["becomes"]
        .as_array()
        .expect("becomes")
        .iter()
        .filter_map(|b| b["identity"]["name"].as_str())
        .collect();
    assert!(
        becomes.contains(&"kafka-connect") && becomes.contains(&"lake-sync"),
        "{becomes:?}"
    );
    // The kafka-connect role, reached that way, writes only under the data lake's kafka/ prefix.
    let kc = roles
        .iter()
        .find(|r| r["role"] == "arn:aws:iam::111122223333:role/prod-eks-kafka-connect")
        .expect("kafka-connect role");
    assert_eq!(
        kc["permissions"]["s3"]["Write"]["resources"][0],
        "arn:aws:s3:::acme-data-lake-raw/kafka/*"
    );
}

/// can-i lists the shortest path of each identity that acts, once, and counts
/// every path: a subject that becomes every account of a namespace (and
/// through them their roles and the roles those chain to) gets one path per
/// role that does it, not one per (account, role, chained role).
#[test]
fn can_i_lists_each_acting_identity_once_and_counts_the_paths() {
    let (inv, _) = iamscope::source::demo::read(&ReadCheck).expect("demo");
    let asker = Asker::new(&inv);
    let questions = [
        aws(
            "s3:GetObject",
            "arn:aws:s3:::acme-data-lake-raw/kafka/x",
            false,
        ),
        aws("secretsmanager:GetSecretValue", "*", false),
        aws("sts:GetCallerIdentity", "*", false),
    ];
    let mut folded = 0;
    for q in &questions {
        for s in asker.candidates(false) {
            let a = asker.can_i(&s, q, false).expect("answers");
            let mut acting = std::collections::BTreeSet::new();
            for p in &a.answers {
                let last = p.path.last().expect("a path has hops");
                assert!(
                    acting.insert(last.from.clone()),
                    "{q:?} as {s:?}: {:?} acts in two listed paths",
                    last.from
                );
            }
            if let Some(t) = a.paths_total {
                assert!(t > a.answers.len(), "{q:?} as {s:?}: {t} paths in all");
                folded += 1;
            }
        }
    }
    assert!(folded > 0, "the demo has subjects with folded paths");
    // The table says so.
    let (code, out, err) = iamscope(&[
        "can-i",
        "--demo",
        "--as",
        "group:sre",
        "s3:GetObject",
        "arn:aws:s3:::acme-data-lake-raw/kafka/x",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("(10 paths in all; the shortest of each identity that acts is listed)"),
        "{out}"
    );
}

/// reach's table lists `--limit` roles (20 by default) and, for the others,
/// how many there are and what the IAM rules flag them for, as `-o json`
/// has them: the deployer account reaches 28 roles on the demo.
#[test]
fn reach_table_counts_the_roles_it_leaves_out_and_their_flags() {
    let who = "system:serviceaccount:ci:deployer";
    let (code, out, err) = iamscope(&["reach", "--demo", "-o", "json", who]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let roles = v["roles"].as_array().expect("roles");
    assert!(roles.len() > 20, "{} roles", roles.len());
    let hidden = &roles[20..];
    let flagged = hidden
        .iter()
        .filter(|r| r["flagged"].as_array().is_some_and(|f| !f.is_empty()))
        .count();
    let mut rules: std::collections::BTreeMap<String, usize> = Default::default();
    for r in hidden {
        let mut seen = std::collections::BTreeSet::new();
        for f in r["flagged"].as_array().expect("flagged") {
            let rule = f.as_str().expect("text").split(' ').next().expect("a rule");
            if seen.insert(rule) {
                *rules.entry(rule.to_string()).or_default() += 1;
            }
        }
    }
    assert!(flagged > 0, "no flagged role past the first 20");
    let each: Vec<String> = rules.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
    let (code, table, err) = iamscope(&["reach", "--demo", who]);
    assert_eq!(code, 0, "{err}");
    let shown = roles
        .iter()
        .filter(|r| {
            let arn = r["role"].as_str().expect("arn");
            table
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{arn} [")))
        })
        .count();
    assert_eq!(shown, 20);
    let last = format!(
        "… {} more roles, {flagged} flagged ({}) (--limit 0 or -o json for all)",
        hidden.len(),
        each.join(", ")
    );
    let joined: String = table.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    assert!(joined.contains(&last), "{last}\n{table}");
    let (_, all, _) = iamscope(&["reach", "--demo", "--limit", "0", who]);
    assert!(!all.contains("more roles"));
    for r in roles {
        let arn = r["role"].as_str().expect("arn");
        assert!(all.contains(&format!("{arn} [")), "{arn}");
    }
}
