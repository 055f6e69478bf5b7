//! NODE rules end to end: snapshot files in, findings and coverage out. Each
//! case is one fact of AWS's documentation (cited in `src/policy/imds.rs`):
//! IMDSv1 vs IMDSv2, the hop limit, `hostNetwork`, a disabled endpoint,
//! Karpenter's defaults, IRSA beside IMDS, missing EC2 data.

use std::path::Path;

use iamscope::audit::{self, Finding, Options, Subject};
use iamscope::model::Inventory;
use serde_json::{Value, json};

const ACCT: &str = "111122223333";

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCT}:role/{name}")
}

fn profile_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCT}:instance-profile/{name}")
}

/// A node role with the AWS node policies, and optionally an inline policy.
fn node_role(name: &str, inline: Option<Value>) -> Value {
    let mut policies = Vec::new();
    if let Some(doc) = inline {
        policies.push(json!({"PolicyName": "extra", "PolicyDocument": doc}));
    }
    json!({
        "RoleName": name, "Arn": role_arn(name), "Path": "/", "RoleId": "AROAEXAMPLE",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "RolePolicyList": policies,
        "AttachedManagedPolicies": [
            {"PolicyName": "AmazonEKSWorkerNodePolicy", "PolicyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
            {"PolicyName": "AmazonEC2ContainerRegistryReadOnly", "PolicyArn": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"}],
        "InstanceProfileList": [{"InstanceProfileName": name, "Arn": profile_arn(name), "Path": "/"}],
        "RoleLastUsed": {"LastUsedDate": "2026-11-28T00:00:00Z"},
        "CreateDate": "2026-01-01T00:00:00Z"
    })
}

fn node(name: &str, iid: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
           "spec": {"providerID": format!("aws:///us-east-1a/{iid}")}})
}

fn pod(ns: &str, name: &str, sa: &str, node: &str, host_network: bool) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
           "spec": {"serviceAccountName": sa, "nodeName": node, "hostNetwork": host_network,
                    "containers": [{"name": "c", "image": "x"}]},
           "status": {"phase": "Running"}})
}

fn instance(iid: &str, profile: &str, mo: Value) -> Value {
    json!({"InstanceId": iid, "State": {"Name": "running"},
           "IamInstanceProfile": {"Arn": profile_arn(profile)}, "MetadataOptions": mo})
}

struct Snap {
    kube: Vec<Value>,
    roles: Vec<Value>,
    instances: Option<Vec<Value>>,
    extra: Vec<(&'static str, Value)>,
}

impl Snap {
    fn new() -> Snap {
        Snap {
            kube: vec![
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}}),
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "app"}}),
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "agent", "namespace": "app"}}),
            ],
            roles: vec![node_role("ng-role", None)],
            instances: Some(Vec::new()),
            extra: Vec::new(),
        }
    }

    /// One managed-node-group node with `web` (pod network) and `agent` (host network) pods.
    fn one_node(mut self, mo: Value) -> Snap {
        self.kube.push(node(
            "n1",
            "i-0000000000000001",
            json!({"eks.amazonaws.com/nodegroup": "ng"}),
        ));
        self.kube.push(pod("app", "web-1", "web", "n1", false));
        self.kube.push(pod("app", "agent-1", "agent", "n1", true));
        if let Some(i) = self.instances.as_mut() {
            i.push(instance("i-0000000000000001", "ng-role", mo));
        }
        self
    }

    fn audit(self) -> (Inventory, Vec<Finding>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, v: &Value| {
            std::fs::write(dir.path().join(name), serde_json::to_vec(v).expect("json"))
                .expect("write")
        };
        write(
            "kubernetes.json",
            &json!({"apiVersion": "v1", "kind": "List", "items": self.kube}),
        );
        write(
            "iam.json",
            &json!({"RoleDetailList": self.roles, "UserDetailList": [], "GroupDetailList": [], "Policies": []}),
        );
        write("sts-caller-identity.json", &json!({"Account": ACCT}));
        if let Some(i) = self.instances {
            write(
                "ec2-instances.json",
                &json!({"Reservations": [{"Instances": i}]}),
            );
        }
        for (name, v) in &self.extra {
            write(name, v);
        }
        let inv = read(dir.path());
        let opts = Options {
            now: "2026-11-29T00:00:00Z".parse().expect("time"),
            ..Options::default()
        };
        let findings = audit::run(&inv, &opts);
        (inv, findings)
    }
}

fn read(dir: &Path) -> Inventory {
    iamscope::source::snapshot::read_dir(dir, &iamscope::graph::ReadCheck)
        .expect("snapshot")
        .0
}

fn has(findings: &[Finding], rule: &str, subject: &Subject) -> Option<Finding> {
    findings
        .iter()
        .find(|f| f.rule == rule && &f.subject == subject)
        .cloned()
}

fn role(name: &str) -> Subject {
    Subject::iam_role(&role_arn(name))
}

fn mo(tokens: &str, hops: i64) -> Value {
    json!({"HttpTokens": tokens, "HttpPutResponseHopLimit": hops, "HttpEndpoint": "enabled"})
}

#[test]
fn imdsv1_lets_every_pod_take_the_node_role() {
    let (_, f) = Snap::new().one_node(mo("optional", 1)).audit();
    let n1 = has(&f, "NODE-001", &role("ng-role")).expect("NODE-001 on the node role");
    assert_eq!(n1.severity, audit::Severity::High);
    assert!(!n1.conditional);
    assert!(n1.evidence.iter().any(|e| e.contains("IMDSv1 allowed")));
    assert!(n1.evidence.iter().any(|e| e.contains("app/web-1")));
    // The host-network pod is NODE-004's, not counted again here.
    assert!(n1.title.starts_with("1 pod(s)"), "{}", n1.title);
    let group = Subject::NodeGroup {
        name: "ng".into(),
        source: "eks-nodegroup".into(),
    };
    assert!(has(&f, "NODE-002", &group).is_some());
}

#[test]
fn imdsv2_with_hop_limit_1_stops_pod_network_pods_but_not_host_network_ones() {
    let (_, f) = Snap::new().one_node(mo("required", 1)).audit();
    assert!(has(&f, "NODE-001", &role("ng-role")).is_none());
    assert!(!f.iter().any(|x| x.rule == "NODE-002"));
    let n4 = has(&f, "NODE-004", &Subject::service_account("app", "agent"))
        .expect("host-network pods get the role whatever the hop limit");
    assert!(n4.related.contains(&role("ng-role")));
    assert!(has(&f, "NODE-004", &Subject::service_account("app", "web")).is_none());
}

#[test]
fn imdsv2_with_hop_limit_2_lets_pod_network_pods_through() {
    let (_, f) = Snap::new().one_node(mo("required", 2)).audit();
    let n1 = has(&f, "NODE-001", &role("ng-role")).expect("hop limit 2 reaches pods");
    assert!(n1.evidence.iter().any(|e| e.contains("hop limit 2")));
    // IMDSv1 is not allowed, so no NODE-002.
    assert!(!f.iter().any(|x| x.rule == "NODE-002"));
}

#[test]
fn disabled_endpoint_stops_everyone() {
    let (_, f) = Snap::new()
        .one_node(json!({"HttpTokens": "optional", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "disabled"}))
        .audit();
    assert!(
        !f.iter()
            .any(|x| x.rule == "NODE-001" || x.rule == "NODE-004")
    );
}

#[test]
fn irsa_pods_on_an_imdsv1_node_hold_the_node_role_too() {
    let mut s = Snap::new().one_node(mo("optional", 1));
    s.kube[1] = json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "web", "namespace": "app",
                     "annotations": {"eks.amazonaws.com/role-arn": role_arn("web-role")}}});
    let (_, f) = s.audit();
    let n1 = has(&f, "NODE-001", &role("ng-role")).expect("NODE-001");
    assert!(
        n1.evidence
            .iter()
            .any(|e| e.contains("1 of them also have an IRSA or Pod Identity role")),
        "{:#?}",
        n1.evidence
    );
}

#[test]
fn missing_ec2_data_is_a_coverage_gap_never_a_silent_safe() {
    let mut s = Snap::new().one_node(mo("optional", 1));
    s.instances = None;
    let (inv, f) = s.audit();
    assert!(!f.iter().any(|x| x.rule.starts_with("NODE-")));
    let ec2 = inv
        .coverage
        .status("aws/ec2-instances")
        .expect("ec2 coverage");
    assert_eq!(ec2.status.as_str(), "missing");
    assert!(
        inv.coverage
            .problems
            .iter()
            .any(|p| p.source == "nodes" && p.detail.contains("metadata options unknown")),
        "{:#?}",
        inv.coverage.problems
    );
}

#[test]
fn an_instance_missing_from_the_file_and_tokens_not_stated_are_gaps() {
    let mut s = Snap::new().one_node(json!({"HttpPutResponseHopLimit": 1}));
    s.kube.push(node("n2", "i-0000000000000002", json!({})));
    s.kube.push(pod("app", "web-2", "web", "n2", false));
    s.kube.push(pod("app", "web-3", "web", "gone-node", false));
    let (inv, f) = s.audit();
    assert!(!f.iter().any(|x| x.rule == "NODE-001"));
    let text: Vec<&str> = inv
        .coverage
        .problems
        .iter()
        .filter(|p| p.source == "nodes")
        .map(|p| p.detail.as_str())
        .collect();
    let all = text.join("\n");
    assert!(all.contains("HttpTokens not stated"), "{all}");
    assert!(
        all.contains("i-0000000000000002 of node n2 is not in ec2-instances.json"),
        "{all}"
    );
    assert!(
        all.contains("1 pod(s) run on nodes that are not in the snapshot"),
        "{all}"
    );
}

#[test]
fn launch_template_decides_when_the_instance_was_not_seen() {
    let mut s = Snap::new().one_node(mo("required", 1));
    s.instances = None;
    s.extra.push((
        "eks-nodegroups.json",
        json!({"nodegroups": [{"nodegroupName": "ng", "nodeRole": role_arn("ng-role"),
                               "launchTemplate": {"id": "lt-1", "version": "2"}}]}),
    ));
    s.extra.push((
        "ec2-launch-template-versions.json",
        json!({"LaunchTemplateVersions": [
            {"LaunchTemplateId": "lt-1", "VersionNumber": 1, "LaunchTemplateData": {"MetadataOptions": {"HttpTokens": "required"}}},
            {"LaunchTemplateId": "lt-1", "VersionNumber": 2, "LaunchTemplateData": {"MetadataOptions": {"HttpTokens": "optional"}}}]}),
    ));
    let (_, f) = s.audit();
    let n1 = has(&f, "NODE-001", &role("ng-role")).expect("version 2 allows IMDSv1");
    assert!(
        n1.evidence
            .iter()
            .any(|e| e.contains("launch template lt-1 version 2"))
    );
}

#[test]
fn karpenter_defaults_block_pods_and_optional_tokens_do_not() {
    let karpenter = |metadata: Option<Value>| {
        let mut s = Snap::new();
        s.instances = None;
        s.roles = vec![node_role("karp-node", None)];
        let mut spec = json!({"role": "karp-node"});
        if let Some(m) = metadata {
            spec["metadataOptions"] = m;
        }
        s.kube.push(
            json!({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
                           "metadata": {"name": "default"}, "spec": spec}),
        );
        s.kube.push(node(
            "k1",
            "i-0000000000000009",
            json!({"karpenter.sh/nodepool": "default", "karpenter.k8s.aws/ec2nodeclass": "default"}),
        ));
        s.kube.push(pod("app", "web-1", "web", "k1", false));
        s.audit().1
    };
    let f = karpenter(None);
    assert!(has(&f, "NODE-001", &role("karp-node")).is_none(), "{f:#?}");
    let f = karpenter(Some(json!({"httpTokens": "optional"})));
    assert!(has(&f, "NODE-001", &role("karp-node")).is_some());
    let group = Subject::NodeGroup {
        name: "default".into(),
        source: "karpenter".into(),
    };
    assert!(has(&f, "NODE-002", &group).is_some());
}

#[test]
fn node_role_beyond_what_nodes_need_is_node_003_and_judged_by_the_iam_rules() {
    let mut s = Snap::new().one_node(mo("optional", 1));
    s.roles = vec![node_role(
        "ng-role",
        Some(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "ecr:BatchGetImage"], "Resource": "*"}]})),
    )];
    let (_, f) = s.audit();
    let n3 = has(&f, "NODE-003", &role("ng-role")).expect("NODE-003");
    assert!(n3.evidence.iter().any(|e| e.contains("s3:GetObject")));
    assert!(!n3.evidence.iter().any(|e| e.contains("ecr:BatchGetImage")));
    let i4 = has(&f, "IAM-004", &role("ng-role")).expect("IAM rules judge node roles");
    assert!(
        i4.evidence
            .iter()
            .any(|e| e.contains("instance metadata service"))
    );
    // The role's high IAM finding does not make NODE-001 critical; a critical one would.
    assert_eq!(
        has(&f, "NODE-001", &role("ng-role")).map(|f| f.severity),
        Some(audit::Severity::High)
    );
    let mut s = Snap::new().one_node(mo("optional", 1));
    s.roles = vec![node_role(
        "ng-role",
        Some(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        ),
    )];
    let (_, f) = s.audit();
    assert_eq!(
        has(&f, "NODE-001", &role("ng-role")).map(|f| f.severity),
        Some(audit::Severity::Critical)
    );
    // Only the AWS node policies: nothing beyond.
    let (_, f) = Snap::new().one_node(mo("optional", 1)).audit();
    assert!(has(&f, "NODE-003", &role("ng-role")).is_none());
}

#[test]
fn a_network_policy_engine_makes_node_001_conditional() {
    let mut s = Snap::new().one_node(mo("optional", 1));
    s.kube.push(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
    );
    s.kube.push(pod(
        "kube-system",
        "calico-node-abcde",
        "calico-node",
        "n1",
        true,
    ));
    let (_, f) = s.audit();
    let n1 = has(&f, "NODE-001", &role("ng-role")).expect("NODE-001");
    assert!(n1.conditional);
    assert_eq!(n1.severity, audit::Severity::Medium);
    assert!(n1.evidence.iter().any(|e| e.contains("calico-node-abcde")));
}

/// Pod Security admission: `baseline` and `restricted` forbid host namespaces
/// (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
#[test]
fn pod_security_levels_and_host_network() {
    use iamscope::graph::imds::psa_allows_host_network;
    let inv = {
        let mut s = Snap::new();
        s.kube = vec![
            json!({"kind": "Namespace", "metadata": {"name": "base", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}),
            json!({"kind": "Namespace", "metadata": {"name": "strict", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}),
            json!({"kind": "Namespace", "metadata": {"name": "priv", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}}),
            json!({"kind": "Namespace", "metadata": {"name": "plain"}}),
        ];
        s.audit().0
    };
    assert!(!psa_allows_host_network(&inv, "base").0);
    assert!(!psa_allows_host_network(&inv, "strict").0);
    assert!(psa_allows_host_network(&inv, "priv").0);
    let (allowed, why) = psa_allows_host_network(&inv, "plain");
    assert!(allowed && why.contains("no pod-security.kubernetes.io/enforce label"));
}

#[test]
fn bad_metadata_options_are_reported_with_file_and_place() {
    let mut s = Snap::new();
    s.instances = Some(vec![
        json!({"InstanceId": "i-1", "MetadataOptions": {"HttpPutResponseHopLimit": "two"}}),
    ]);
    let (inv, _) = s.audit();
    assert!(
        inv.coverage
            .problems
            .iter()
            .any(|p| p.source == "ec2-instances.json"
                && p.detail.contains("Reservations[0].Instances[0] (i-1)")
                && p.detail.contains("HttpPutResponseHopLimit")),
        "{:#?}",
        inv.coverage.problems
    );
}

/// The baseline of NODE-003 is exactly what AWS's node policies allow, as
/// moto's copy of the AWS managed policies (tests/fixtures) has them.
#[test]
fn node_baseline_is_the_aws_node_policies() {
    use std::io::Read;
    let gz = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/aws-managed-policies.json.gz"
    ))
    .expect("fixture");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .expect("gzip");
    let all: Value = serde_json::from_str(&text).expect("json");
    let mut actions = std::collections::BTreeSet::new();
    for name in iamscope::audit::node::NODE_BASELINE_POLICIES {
        let doc = &all[name]["Document"];
        assert!(doc.is_object(), "{name} in the fixture");
        for st in doc["Statement"].as_array().expect("statements") {
            assert_eq!(st["Effect"], "Allow", "{name}");
            match &st["Action"] {
                Value::String(a) => {
                    actions.insert(a.to_ascii_lowercase());
                }
                Value::Array(a) => actions.extend(
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_ascii_lowercase),
                ),
                other => panic!("{name}: Action {other}"),
            }
        }
    }
    let ours: std::collections::BTreeSet<String> = iamscope::audit::node::NODE_BASELINE_ACTIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(ours, actions);
}

/// A user who can create pods in namespace `app`.
fn with_pod_creator(mut s: Snap) -> Snap {
    s.kube.push(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "pod-maker", "namespace": "app"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}]}),
    );
    s.kube.push(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "dev-pods", "namespace": "app"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-maker"},
        "subjects": [{"kind": "User", "name": "dev"}]}),
    );
    s
}

fn dev() -> Subject {
    Subject::User { name: "dev".into() }
}

#[test]
fn path_001_gains_the_node_role_hop() {
    // IMDSv1: any pod the user creates gets the node role.
    let (_, f) = with_pod_creator(Snap::new().one_node(mo("optional", 1))).audit();
    let p = has(&f, "PATH-001", &dev()).expect("PATH-001 through node-role");
    assert!(p.title.contains("node IAM role"), "{}", p.title);
    assert!(p.related.contains(&role("ng-role")));
    assert!(
        p.evidence
            .iter()
            .any(|e| e.contains("node-role: any pod on node group ng")),
        "{:#?}",
        p.evidence
    );
    // IMDSv2, hop limit 2: the same.
    let (_, f) = with_pod_creator(Snap::new().one_node(mo("required", 2))).audit();
    assert!(has(&f, "PATH-001", &dev()).is_some());
}

#[test]
fn host_network_hop_depends_on_pod_security_admission() {
    // IMDSv2 with hop limit 1: only a host-network pod gets the role, and only
    // where Pod Security admission lets one be created.
    let psa = |level: Option<&str>| {
        let mut s = with_pod_creator(Snap::new().one_node(mo("required", 1)));
        s.kube[0] = match level {
            Some(l) => json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app",
                "labels": {"pod-security.kubernetes.io/enforce": l}}}),
            None => json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}}),
        };
        s.audit().1
    };
    let f = psa(None);
    let p = has(&f, "PATH-001", &dev()).expect("no PSA label: host network allowed");
    assert!(
        p.evidence
            .iter()
            .any(|e| e.contains("a pod with hostNetwork: true")),
        "{:#?}",
        p.evidence
    );
    assert!(has(&psa(Some("privileged")), "PATH-001", &dev()).is_some());
    assert!(has(&psa(Some("baseline")), "PATH-001", &dev()).is_none());
    assert!(has(&psa(Some("restricted")), "PATH-001", &dev()).is_none());
}

#[test]
fn no_node_role_hop_when_imds_is_disabled() {
    let (_, f) = with_pod_creator(
        Snap::new().one_node(json!({"HttpTokens": "optional", "HttpEndpoint": "disabled"})),
    )
    .audit();
    assert!(has(&f, "PATH-001", &dev()).is_none());
}
