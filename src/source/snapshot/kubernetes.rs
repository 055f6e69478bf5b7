//! The Kubernetes kinds of a snapshot (`kubernetes.json` and friends): the
//! lightweight typed shapes each kind is read through, and their conversion
//! into the model (Secret data is dropped before anything is kept).

use super::*;

/// The Kubernetes kinds the standard `kubectl get …` of the snapshot lists, with their coverage names.
pub const KUBE_KINDS: [(&str, &str); 13] = [
    ("Namespace", "kubernetes/namespaces"),
    ("ServiceAccount", "kubernetes/serviceaccounts"),
    ("Pod", "kubernetes/pods"),
    ("Deployment", "kubernetes/deployments"),
    ("DaemonSet", "kubernetes/daemonsets"),
    ("StatefulSet", "kubernetes/statefulsets"),
    ("ReplicaSet", "kubernetes/replicasets"),
    ("Job", "kubernetes/jobs"),
    ("CronJob", "kubernetes/cronjobs"),
    ("Role", "kubernetes/roles"),
    ("RoleBinding", "kubernetes/rolebindings"),
    ("ClusterRole", "kubernetes/clusterroles"),
    ("ClusterRoleBinding", "kubernetes/clusterrolebindings"),
];

/// What reading the Kubernetes files found, for their coverage.
struct KubeRead {
    /// The main file (or another that is not Secrets or aws-auth) was read.
    main_ok: bool,
    /// Why the main file could not be read.
    main_error: Option<String>,
    secrets_file: bool,
    aws_auth_file: bool,
    /// Token Secrets read.
    secrets: usize,
    aws_auth_seen: bool,
}

impl Reader<'_> {
    // ------------------------------------------------------------ kubernetes

    pub(super) fn read_kubernetes(&mut self, names: &[String]) {
        let files: Vec<&String> = names
            .iter()
            .filter(|n| {
                n.as_str() == "kubernetes.json"
                    || n.as_str() == "kubernetes.yaml"
                    || n.as_str() == "kubernetes.yml"
                    || (n.starts_with("kubernetes-")
                        && (n.ends_with(".json") || n.ends_with(".yaml") || n.ends_with(".yml")))
            })
            .collect();
        let mut main_ok = false;
        let mut main_error: Option<String> = None;
        let mut secrets_file = false;
        let mut aws_auth_file = false;
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut secrets = 0usize;
        let mut aws_auth_seen = false;
        for name in files {
            let is_main = name.starts_with("kubernetes.");
            let t = std::time::Instant::now();
            if name.ends_with(".json")
                && let Some(decoded) = self
                    .files
                    .open(name)
                    .and_then(|r| decode_pretty_stream(r, STREAM_CHUNK_BYTES))
            {
                let before_secrets = self.inv.secrets.len();
                let before_auth = self.inv.aws_auth.is_some();
                self.seen_keys.reserve(decoded.len());
                for d in decoded {
                    self.apply(name, d, &mut counts);
                }
                self.readable += 1;
                if is_main || !name.contains("secret") && !name.contains("aws-auth") {
                    main_ok = true;
                }
                secrets_file |= name.contains("secret");
                aws_auth_file |= name.contains("aws-auth");
                secrets += self.inv.secrets.len() - before_secrets;
                aws_auth_seen |= !before_auth && self.inv.aws_auth.is_some();
                tracing::debug!("streamed {name} in {:?}", t.elapsed());
                continue;
            }
            let loaded = self.files.load(name);
            tracing::debug!("loaded {name} in {:?}", t.elapsed());
            let t = std::time::Instant::now();
            let text = match loaded {
                Loaded::Missing => continue,
                Loaded::Failed(e) => {
                    self.inv.coverage.problem(name.as_str(), e.clone());
                    if is_main {
                        main_error = Some(format!("{name}: {e}"));
                    }
                    continue;
                }
                Loaded::Text(t) => t,
            };
            let yaml = !name.ends_with(".json");
            let before_secrets = self.inv.secrets.len();
            let before_auth = self.inv.aws_auth.is_some();
            let result = if yaml {
                self.ingest_yaml(name, &text, &mut counts)
            } else {
                self.ingest_json(name, &text, &mut counts)
            };
            match result {
                Ok(()) => {
                    self.readable += 1;
                    if is_main || !name.contains("secret") && !name.contains("aws-auth") {
                        main_ok = true;
                    }
                    if name.contains("secret") {
                        secrets_file = true;
                    }
                    if name.contains("aws-auth") {
                        aws_auth_file = true;
                    }
                }
                Err(e) => {
                    self.inv.coverage.problem(name.as_str(), e.clone());
                    if is_main {
                        main_error = Some(format!("{name}: {e}"));
                    }
                }
            }
            tracing::debug!("read {name} in {:?}", t.elapsed());
            secrets += self.inv.secrets.len() - before_secrets;
            aws_auth_seen |= !before_auth && self.inv.aws_auth.is_some();
        }
        self.kubernetes_coverage(
            &counts,
            KubeRead {
                main_ok,
                main_error,
                secrets_file,
                aws_auth_file,
                secrets,
                aws_auth_seen,
            },
        );
    }

    /// The coverage of the Kubernetes kinds, Nodes, Karpenter's classes, the
    /// token Secrets and aws-auth from what the files gave: a kind none listed
    /// is "not seen", never "there are none".
    fn kubernetes_coverage(&mut self, counts: &BTreeMap<&str, usize>, read: KubeRead) {
        let KubeRead {
            main_ok,
            main_error,
            secrets_file,
            aws_auth_file,
            secrets,
            aws_auth_seen,
        } = read;
        for (kind, source) in KUBE_KINDS {
            let n = counts.get(kind).copied().unwrap_or(0);
            if main_ok {
                self.inv.coverage.set(source, Status::Ok, Some(n), None);
            } else if let Some(e) = &main_error {
                self.inv
                    .coverage
                    .set(source, Status::Error, None, Some(e.clone()));
            } else if n > 0 {
                self.inv.coverage.set(source, Status::Ok, Some(n), None);
            } else {
                self.inv.coverage.set(
                    source,
                    Status::Missing,
                    None,
                    Some("kubernetes.json not in snapshot".to_string()),
                );
            }
        }
        // Nodes and Karpenter's classes are not in every `kubectl get`: none
        // listed is "not seen", never "there are none".
        let nodes = counts.get("Node").copied().unwrap_or(0);
        if nodes > 0 {
            self.inv
                .coverage
                .set(SRC_NODES, Status::Ok, Some(nodes), None);
        } else {
            self.inv.coverage.set(
                SRC_NODES,
                Status::Missing,
                None,
                Some(
                    "no Node objects in the Kubernetes files (add nodes to the kubectl get)"
                        .to_string(),
                ),
            );
        }
        let classes = counts.get("EC2NodeClass").copied().unwrap_or(0);
        if classes > 0 {
            self.inv
                .coverage
                .set(SRC_NODECLASSES, Status::Ok, Some(classes), None);
        } else if self.inv.nodes.iter().any(|n| n.nodepool().is_some()) {
            self.inv.coverage.set(
                SRC_NODECLASSES,
                Status::Missing,
                None,
                Some("Karpenter nodes but no EC2NodeClass objects (kubectl get ec2nodeclasses,nodepools -o json)".to_string()),
            );
        }
        if secrets_file || secrets > 0 {
            self.inv
                .coverage
                .set(SRC_SECRETS, Status::Ok, Some(secrets), None);
        } else {
            self.inv.coverage.set(
                SRC_SECRETS,
                Status::Missing,
                None,
                Some(
                    "no service-account-token Secrets file (kubernetes-secrets.json) in snapshot"
                        .to_string(),
                ),
            );
        }
        if aws_auth_seen {
            self.inv
                .coverage
                .set(SRC_AWS_AUTH, Status::Ok, Some(1), None);
        } else if aws_auth_file {
            self.inv.coverage.set(
                SRC_AWS_AUTH,
                Status::Ok,
                Some(0),
                Some("no aws-auth ConfigMap in kube-system".to_string()),
            );
        } else {
            self.inv.coverage.set(
                SRC_AWS_AUTH,
                Status::Missing,
                None,
                Some("no aws-auth ConfigMap in snapshot (kubernetes-aws-auth.json)".to_string()),
            );
        }
    }

    pub(super) fn ingest_item(
        &mut self,
        file: &str,
        index: usize,
        item: &Item,
        counts: &mut BTreeMap<&'static str, usize>,
    ) {
        let d = decode_item(index, item);
        self.apply(file, d, counts);
    }

    /// Record one decoded object, in file order: duplicates (by kind,
    /// namespace and name) after the first readable one are dropped.
    pub(super) fn apply(
        &mut self,
        file: &str,
        d: Decoded,
        counts: &mut BTreeMap<&'static str, usize>,
    ) {
        let (key, result) = match d {
            Decoded::Problem(p) => {
                self.inv.coverage.problem(file, p);
                return;
            }
            Decoded::Object { key, result } => (key, result),
        };
        if self.seen_keys.contains(&key) {
            return;
        }
        let obj = match result {
            Ok(obj) => obj,
            Err(p) => {
                self.inv.coverage.problem(file, p);
                return;
            }
        };
        let mut count = |k: &'static str| *counts.entry(k).or_insert(0) += 1;
        match obj {
            Obj::Other => {}
            Obj::Namespace(n) => {
                count("Namespace");
                self.inv.namespaces.push(n);
            }
            Obj::ServiceAccount(sa) => {
                count("ServiceAccount");
                self.inv.service_accounts.push(sa);
            }
            Obj::Pod(pod) => {
                count("Pod");
                if pod.namespace == "kube-system"
                    && pod.labels.get("component").map(String::as_str) == Some("kube-apiserver")
                    && self.inv.apiserver.is_none()
                    && let Some(c) = pod.containers.first()
                {
                    let mut args = c.command.clone();
                    args.extend(c.args.iter().cloned());
                    self.inv.apiserver = Some(ApiServerFlags {
                        origin: format!("pod kube-system/{}", pod.name),
                        file: file.to_string(),
                        args,
                    });
                }
                self.inv.pods.push(pod);
            }
            Obj::Workload(w) => {
                if let Some(k) = KUBE_KINDS.iter().map(|(k, _)| *k).find(|k| *k == w.kind) {
                    count(k);
                }
                self.inv.workloads.push(w);
            }
            Obj::Role(r) => {
                count(if r.namespace.is_some() {
                    "Role"
                } else {
                    "ClusterRole"
                });
                self.inv.roles.push(r);
            }
            Obj::Binding(b) => {
                count(if b.namespace.is_some() {
                    "RoleBinding"
                } else {
                    "ClusterRoleBinding"
                });
                self.inv.bindings.push(b);
            }
            Obj::Secret(sm) => self.inv.secrets.push(sm),
            Obj::Node(n) => {
                count("Node");
                self.inv.nodes.push(n);
            }
            Obj::NodeClass(c) => {
                count("EC2NodeClass");
                self.inv.node_classes.push(c);
            }
            Obj::NodePool(p) => {
                count("NodePool");
                self.inv.node_pools.push(p);
            }
            Obj::AwsAuth(a) => {
                // A list that cannot be parsed is read but not judged: AUTH-003
                // says so as a finding, and coverage must too, since none of its
                // mappings reach the audit (who-can and PATH miss them).
                for (key, err) in &a.unparsable {
                    self.inv.coverage.problem(
                        file,
                        format!(
                            "ConfigMap kube-system/aws-auth, data.{key}: cannot be parsed ({err}); none of its entries are read"
                        ),
                    );
                }
                self.inv.aws_auth = Some(a);
            }
        }
        self.seen_keys.insert(key);
    }
}

/// One Kubernetes object of a file, decoded without touching the inventory
/// (so that the items of a large file can be decoded on several threads and
/// then recorded in file order).
// Nearly every item is an `Object`: boxing it would cost an allocation per object.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum Decoded {
    /// Not an object that can be keyed: no kind, no name, no namespace.
    Problem(String),
    /// An object with its key; `Err` is the problem to report unless the key was already seen.
    Object {
        key: (String, String, String),
        result: Result<Obj, String>,
    },
}

#[derive(Debug)]
pub(super) enum Obj {
    /// A kind that is not read (or a ConfigMap other than aws-auth).
    Other,
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    Pod(Pod),
    Workload(Workload),
    Role(RbacRole),
    Binding(RbacBinding),
    Secret(SecretMeta),
    AwsAuth(AwsAuth),
    Node(crate::model::Node),
    NodeClass(crate::model::NodeClass),
    NodePool(crate::model::NodePool),
}

/// Every field any kind is read for, in one pass over a JSON item. When it
/// does not deserialize (a field of an unexpected type), the item is read kind
/// by kind instead, which gives the same objects and the same messages.
/// A Secret's `data` is not a field here: it is skipped, never parsed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Full {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    metadata: Option<Meta>,
    #[serde(default)]
    spec: Option<FullSpec>,
    #[serde(default)]
    status: Option<PodStatusLite>,
    #[serde(default)]
    rules: Option<Vec<RuleLite>>,
    #[serde(default)]
    aggregation_rule: Option<AggregationLite>,
    #[serde(default)]
    role_ref: Option<RefLite>,
    #[serde(default)]
    subjects: Option<Vec<RefLite>>,
    #[serde(default, rename = "type")]
    type_: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FullSpec {
    #[serde(default)]
    service_account_name: Option<String>,
    #[serde(default)]
    service_account: Option<String>,
    #[serde(default)]
    containers: Option<Vec<ContainerLite>>,
    #[serde(default)]
    node_name: Option<String>,
    #[serde(default)]
    host_network: Option<bool>,
    #[serde(default)]
    template: Option<TemplateLite>,
    #[serde(default)]
    job_template: Option<JobTemplateLite>,
}

/// What is left of a `Full` item once kind and metadata are taken.
pub(super) struct Rest {
    spec: Option<FullSpec>,
    status: Option<PodStatusLite>,
    rules: Option<Vec<RuleLite>>,
    aggregation_rule: Option<AggregationLite>,
    role_ref: Option<RefLite>,
    subjects: Option<Vec<RefLite>>,
    type_: Option<String>,
}

impl Rest {
    pub(super) fn pod(self) -> PodLite {
        PodLite {
            spec: self.spec.map(|s| PodSpecLite {
                service_account_name: s.service_account_name,
                service_account: s.service_account,
                containers: s.containers,
                node_name: s.node_name,
                host_network: s.host_network,
            }),
            status: self.status,
        }
    }

    pub(super) fn workload(self) -> WorkloadLite {
        WorkloadLite {
            spec: self.spec.map(|s| WorkloadSpecLite {
                template: s.template,
                job_template: s.job_template,
            }),
        }
    }

    pub(super) fn role(self) -> RoleLite {
        RoleLite {
            rules: self.rules,
            aggregation_rule: self.aggregation_rule,
        }
    }

    fn binding(self) -> BindingLite {
        BindingLite {
            role_ref: self.role_ref,
            subjects: self.subjects,
        }
    }

    fn secret(self) -> SecretLite {
        SecretLite { type_: self.type_ }
    }
}

/// Kind-specific part of an item: from the one-pass read when there was one, else parsed now.
pub(super) fn part<T: DeserializeOwned>(
    rest: &mut Option<Rest>,
    item: &Item,
    from: fn(Rest) -> T,
) -> Result<T, String> {
    match rest.take() {
        Some(r) => Ok(from(r)),
        None => item.de(),
    }
}

pub(super) fn decode_item(index: usize, item: &Item) -> Decoded {
    let full: Option<Full> = match item {
        Item::Text(t) => serde_json::from_str(t).ok(),
        Item::Value(_) => None,
    };
    decode_with(index, item, full)
}

/// Decode one item, given its one-pass read when there was one.
pub(super) fn decode_with(index: usize, item: &Item, full: Option<Full>) -> Decoded {
    let at = |detail: String| format!("item {index}: {detail}");
    let (head, mut rest) = match full {
        Some(f) => {
            let (head, rest) = f.split();
            (head, Some(rest))
        }
        None => match item.de::<Head>() {
            Ok(h) => (h, None),
            Err(e) => return Decoded::Problem(at(e)),
        },
    };
    let Some(kind) = head.kind else {
        return Decoded::Problem(at("object without kind".to_string()));
    };
    let meta = head.metadata.unwrap_or_default();
    let Some(name) = meta.name.filter(|n| !n.is_empty()) else {
        return Decoded::Problem(at(format!("{kind} without metadata.name")));
    };
    let ns = meta.namespace.filter(|n| !n.is_empty());
    if is_namespaced(&kind) && ns.is_none() {
        return Decoded::Problem(at(format!("{kind} {name} without namespace")));
    }
    let ns = ns.unwrap_or_default();
    let key = (kind.clone(), ns.clone(), name.clone());
    let common = Common {
        kind: &kind,
        ns: &ns,
        name: &name,
        labels: meta.labels.unwrap_or_default(),
        annotations: meta.annotations.unwrap_or_default(),
        created: meta.creation_timestamp,
        owner_references: meta.owner_references,
    };
    let result = object(common, &mut rest, item);
    Decoded::Object {
        key,
        result: result.map_err(|e| at(format!("{kind} {name}: {e}"))),
    }
}

/// The kinds that live in a namespace (an item of one without a namespace cannot be keyed).
fn is_namespaced(kind: &str) -> bool {
    matches!(
        kind,
        "ServiceAccount"
            | "Pod"
            | "Deployment"
            | "DaemonSet"
            | "StatefulSet"
            | "ReplicaSet"
            | "Job"
            | "CronJob"
            | "ReplicationController"
            | "Role"
            | "RoleBinding"
            | "Secret"
            | "ConfigMap"
    )
}

impl Full {
    /// Kind and metadata, and what is left for the kind-specific part.
    fn split(self) -> (Head, Rest) {
        (
            Head {
                kind: self.kind,
                metadata: self.metadata,
            },
            Rest {
                spec: self.spec,
                status: self.status,
                rules: self.rules,
                aggregation_rule: self.aggregation_rule,
                role_ref: self.role_ref,
                subjects: self.subjects,
                type_: self.type_,
            },
        )
    }
}

/// What every kind is built from: the item's key and metadata, checked.
struct Common<'a> {
    kind: &'a String,
    ns: &'a String,
    name: &'a String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    created: Option<String>,
    owner_references: Option<Vec<OwnerRef>>,
}

/// The model object of a keyed item, by kind (`Obj::Other` for a kind that is not read).
fn object(c: Common, rest: &mut Option<Rest>, item: &Item) -> Result<Obj, String> {
    Ok(match c.kind.as_str() {
        "Namespace" => Obj::Namespace(Namespace {
            name: c.name.clone(),
            labels: c.labels,
        }),
        "ServiceAccount" => Obj::ServiceAccount(ServiceAccount {
            namespace: c.ns.clone(),
            name: c.name.clone(),
            labels: c.labels,
            annotations: c.annotations,
            created: c.created,
        }),
        "Pod" => Obj::Pod(pod(c, part(rest, item, Rest::pod)?)),
        "Deployment"
        | "DaemonSet"
        | "StatefulSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController"
        | "CronJob" => Obj::Workload(workload(c, part(rest, item, Rest::workload)?)),
        "Role" | "ClusterRole" => Obj::Role(rbac_role(c, part(rest, item, Rest::role)?)),
        "RoleBinding" | "ClusterRoleBinding" => {
            Obj::Binding(rbac_binding(c, part(rest, item, Rest::binding)?)?)
        }
        "Secret" => Obj::Secret(secret_meta(c, part(rest, item, Rest::secret)?)),
        "ConfigMap" if c.ns == "kube-system" && c.name == "aws-auth" => {
            Obj::AwsAuth(aws_auth(item.de()?))
        }
        "Node" => Obj::Node(node(c, item.de()?)),
        "EC2NodeClass" => Obj::NodeClass(node_class(c, item.de()?)),
        "NodePool" => Obj::NodePool(node_pool(c, item.de()?)),
        _ => Obj::Other,
    })
}

fn pod(c: Common, p: PodLite) -> Pod {
    let spec = p.spec.unwrap_or_default();
    Pod {
        namespace: c.ns.clone(),
        name: c.name.clone(),
        service_account: spec.service_account(),
        labels: c.labels,
        owner: c
            .owner_references
            .as_ref()
            .and_then(|o| o.first())
            .map(|o| {
                format!(
                    "{}/{}",
                    o.kind.as_deref().unwrap_or_default(),
                    o.name.as_deref().unwrap_or_default()
                )
            }),
        containers: spec
            .containers
            .unwrap_or_default()
            .into_iter()
            .map(|c| Container {
                name: c.name.unwrap_or_default(),
                command: c.command.unwrap_or_default(),
                args: c.args.unwrap_or_default(),
            })
            .collect(),
        node_name: spec.node_name,
        phase: p.status.and_then(|s| s.phase),
        host_network: spec.host_network.unwrap_or(false),
    }
}

/// A workload with the service account of its pod template (a CronJob's is one level deeper).
fn workload(c: Common, w: WorkloadLite) -> Workload {
    let spec = w.spec.unwrap_or_default();
    let pod_spec = if c.kind == "CronJob" {
        spec.job_template
            .and_then(|j| j.spec)
            .and_then(|s| s.template)
            .and_then(|t| t.spec)
    } else {
        spec.template.and_then(|t| t.spec)
    };
    Workload {
        kind: c.kind.clone(),
        namespace: c.ns.clone(),
        name: c.name.clone(),
        service_account: pod_spec.unwrap_or_default().service_account(),
    }
}

/// A Role or ClusterRole, with its rules and aggregation selectors.
fn rbac_role(c: Common, r: RoleLite) -> RbacRole {
    RbacRole {
        namespace: (c.kind == "Role").then(|| c.ns.clone()),
        name: c.name.clone(),
        labels: c.labels,
        rules: r
            .rules
            .unwrap_or_default()
            .into_iter()
            .map(RuleLite::into_rule)
            .collect(),
        aggregation: r.aggregation_rule.map(|a| {
            a.cluster_role_selectors
                .unwrap_or_default()
                .into_iter()
                .map(|s| LabelSelector {
                    match_labels: s.match_labels.unwrap_or_default(),
                    match_expressions: s
                        .match_expressions
                        .unwrap_or_default()
                        .into_iter()
                        .map(|e| LabelSelectorRequirement {
                            key: e.key,
                            operator: e.operator,
                            values: e.values.unwrap_or_default(),
                        })
                        .collect(),
                })
                .collect()
        }),
    }
}

/// A RoleBinding or ClusterRoleBinding; a ServiceAccount subject without a
/// namespace takes the binding's.
fn rbac_binding(c: Common, b: BindingLite) -> Result<RbacBinding, String> {
    let (kind, name, ns) = (c.kind, c.name, c.ns);
    let Some(rr) = b.role_ref else {
        return Err(format!("{kind} {name} without roleRef"));
    };
    Ok(RbacBinding {
        namespace: (kind == "RoleBinding").then(|| ns.clone()),
        name: name.clone(),
        labels: c.labels,
        role_ref: RoleRef {
            kind: rr.kind.unwrap_or_default(),
            name: rr.name.unwrap_or_default(),
        },
        subjects: b
            .subjects
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                let kind = s.kind.unwrap_or_default();
                let namespace = if kind == "ServiceAccount" {
                    s.namespace
                        .filter(|n| !n.is_empty())
                        .or_else(|| (!ns.is_empty()).then(|| ns.clone()))
                } else {
                    None
                };
                RbacSubject {
                    kind,
                    name: s.name.unwrap_or_default(),
                    namespace,
                }
            })
            .collect(),
    })
}

/// A Secret's metadata only (its payload is never kept).
fn secret_meta(c: Common, s: SecretLite) -> SecretMeta {
    SecretMeta {
        namespace: c.ns.clone(),
        name: c.name.clone(),
        type_: s.type_.unwrap_or_default(),
        service_account: c
            .annotations
            .get("kubernetes.io/service-account.name")
            .cloned(),
        created: c.created,
    }
}

/// The kube-system/aws-auth ConfigMap's three lists.
fn aws_auth(c: ConfigMapLite) -> AwsAuth {
    let data = c.data.unwrap_or_default();
    AwsAuth::parse(
        data.get("mapRoles").map(String::as_str),
        data.get("mapUsers").map(String::as_str),
        data.get("mapAccounts").map(String::as_str),
    )
}

fn node(c: Common, n: NodeLite) -> crate::model::Node {
    crate::model::Node {
        name: c.name.clone(),
        provider_id: n.spec.and_then(|s| s.provider_id),
        labels: c.labels,
    }
}

/// A Karpenter EC2NodeClass: its role or instance profile and metadata options.
fn node_class(c: Common, nc: NodeClassLite) -> crate::model::NodeClass {
    let spec = nc.spec.unwrap_or_default();
    crate::model::NodeClass {
        name: c.name.clone(),
        role: spec.role,
        instance_profile: spec.instance_profile,
        metadata: spec
            .metadata_options
            .map(|m| crate::model::MetadataOptions {
                http_endpoint: m.http_endpoint,
                http_tokens: m.http_tokens,
                hop_limit: m.http_put_response_hop_limit,
            }),
    }
}

/// A Karpenter NodePool and the node class it names.
fn node_pool(c: Common, p: NodePoolLite) -> crate::model::NodePool {
    crate::model::NodePool {
        name: c.name.clone(),
        node_class: p
            .spec
            .and_then(|s| s.template)
            .and_then(|t| t.spec)
            .and_then(|s| s.node_class_ref)
            .and_then(|r| r.name),
    }
}

/// Drop a YAML Secret's payload as soon as it is parsed.
pub(super) fn strip_secret_data(item: &mut Value) {
    if item.get("kind").and_then(Value::as_str) == Some("Secret")
        && let Some(o) = item.as_object_mut()
    {
        o.remove("data");
        o.remove("stringData");
    }
}

// ---------------------------------------------------------------- items

/// One Kubernetes object: JSON text of one value (deserialized lazily, per kind) or a parsed YAML value.
pub(super) enum Item<'a> {
    Text(&'a str),
    Value(&'a Value),
}

impl Item<'_> {
    pub(super) fn de<T: DeserializeOwned>(&self) -> Result<T, String> {
        match self {
            Item::Text(t) => serde_json::from_str(t).map_err(|e| json_error(&e)),
            Item::Value(v) => T::deserialize(*v).map_err(|e| e.to_string()),
        }
    }
}

// ---------------------------------------------------------------- iam helpers

/// The elements of a list field, taken out of the object (none when it is not a list).
pub(super) fn take_list(o: &mut serde_json::Map<String, Value>, key: &str) -> Vec<Value> {
    match o.get_mut(key) {
        Some(Value::Array(a)) => std::mem::take(a),
        _ => Vec::new(),
    }
}

pub(super) fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

pub(super) fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}
