//! The AWS and control-plane files besides IAM: OIDC providers, the EKS
//! cluster, access entries, Pod Identity associations, the STS caller
//! identity, and API server flags (a kubeadm manifest or a flags file).

use super::*;

impl Reader<'_> {
    pub(super) fn read_oidc(&mut self) {
        let name = "iam-oidc-providers.json";
        let Some(v) = self.json_file(name, SRC_OIDC) else {
            return;
        };
        let Some(items) = v.get("OpenIDConnectProviderList").and_then(Value::as_array) else {
            self.field_shape_error(name, SRC_OIDC, "OpenIDConnectProviderList", "a list", &v);
            return;
        };
        for (i, p) in items.iter().enumerate() {
            let arn = str_field(p, "Arn");
            let Some(arn) = arn else {
                self.inv
                    .coverage
                    .problem(name, format!("OpenIDConnectProviderList[{i}]: no Arn"));
                continue;
            };
            match crate::model::Arn::parse(&arn) {
                Ok(a) if a.service == "iam" && a.resource.starts_with("oidc-provider/") => {}
                Ok(_) => self.inv.coverage.problem(
                    name,
                    format!("OpenIDConnectProviderList[{i}]: Arn {arn:?} is not an IAM OIDC provider ARN (arn:aws:iam::ACCOUNT:oidc-provider/HOST)"),
                ),
                Err(e) => self
                    .inv
                    .coverage
                    .problem(name, format!("OpenIDConnectProviderList[{i}]: Arn: {e}")),
            }
            let url = str_field(p, "Url")
                .map(|u| crate::model::strip_scheme(&u))
                .or_else(|| crate::model::arn::provider_arn_host(&arn).map(str::to_string))
                .unwrap_or_default();
            self.inv.oidc_providers.push(OidcProvider {
                arn,
                url,
                client_ids: str_list(p.get("ClientIDList")),
                thumbprints: str_list(p.get("ThumbprintList")),
            });
        }
        let n = self.inv.oidc_providers.len();
        self.inv.coverage.set(SRC_OIDC, Status::Ok, Some(n), None);
    }

    pub(super) fn read_eks_cluster(&mut self) {
        let name = "eks-cluster.json";
        let Some(v) = self.json_file(name, SRC_EKS) else {
            return;
        };
        let Some(c) = v.get("cluster").filter(|c| c.is_object()) else {
            self.field_shape_error(
                name,
                SRC_EKS,
                "cluster",
                "an object (describe-cluster output is {\"cluster\": {…}})",
                &v,
            );
            return;
        };
        let Some(cname) = str_field(c, "name") else {
            self.fail(name, SRC_EKS, "cluster.name is missing".to_string());
            return;
        };
        let vpc = c.get("resourcesVpcConfig");
        let access = c.get("accessConfig");
        let mut logging = BTreeMap::new();
        let mut logging_known = false;
        if let Some(entries) = c
            .pointer("/logging/clusterLogging")
            .and_then(Value::as_array)
        {
            logging_known = true;
            for e in entries {
                let enabled = e.get("enabled").and_then(Value::as_bool).unwrap_or(false);
                for t in str_list(e.get("types")) {
                    let slot = logging.entry(t).or_insert(false);
                    *slot |= enabled;
                }
            }
        }
        self.inv.cluster = Some(EksCluster {
            name: cname.clone(),
            arn: str_field(c, "arn"),
            version: str_field(c, "version"),
            oidc_issuer: c
                .pointer("/identity/oidc/issuer")
                .and_then(Value::as_str)
                .map(str::to_string),
            authentication_mode: access.and_then(|a| str_field(a, "authenticationMode")),
            bootstrap_cluster_creator_admin: access
                .and_then(|a| a.get("bootstrapClusterCreatorAdminPermissions"))
                .and_then(Value::as_bool),
            endpoint_public_access: vpc
                .and_then(|v| v.get("endpointPublicAccess"))
                .and_then(Value::as_bool),
            endpoint_private_access: vpc
                .and_then(|v| v.get("endpointPrivateAccess"))
                .and_then(Value::as_bool),
            public_access_cidrs: str_list(vpc.and_then(|v| v.get("publicAccessCidrs"))),
            logging,
            logging_known,
            endpoint: str_field(c, "endpoint"),
            platform_version: str_field(c, "platformVersion"),
        });
        self.inv.cluster_name = Some(cname);
        self.inv.coverage.set(SRC_EKS, Status::Ok, Some(1), None);
    }

    pub(super) fn read_access_entries(&mut self) {
        let name = "eks-access-entries.json";
        let Some(v) = self.json_file(name, SRC_ACCESS) else {
            return;
        };
        let Some(items) = v.get("accessEntries").and_then(Value::as_array) else {
            self.field_shape_error(name, SRC_ACCESS, "accessEntries", "a list", &v);
            return;
        };
        for (i, e) in items.iter().enumerate() {
            let Some(principal_arn) = str_field(e, "principalArn") else {
                self.inv
                    .coverage
                    .problem(name, format!("accessEntries[{i}]: no principalArn"));
                continue;
            };
            if let Err(e) = crate::model::Arn::parse(&principal_arn) {
                self.inv
                    .coverage
                    .problem(name, format!("accessEntries[{i}]: principalArn: {e}"));
            }
            let policies = e
                .get("associatedAccessPolicies")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| AccessPolicyAssociation {
                            policy_arn: str_field(p, "policyArn").unwrap_or_default(),
                            scope_type: p
                                .pointer("/accessScope/type")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                            namespaces: str_list(p.pointer("/accessScope/namespaces")),
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.inv.access_entries.push(AccessEntry {
                principal_arn,
                kubernetes_groups: str_list(e.get("kubernetesGroups")),
                username: str_field(e, "username"),
                type_: str_field(e, "type"),
                access_policies: policies,
            });
        }
        let n = self.inv.access_entries.len();
        self.inv.coverage.set(SRC_ACCESS, Status::Ok, Some(n), None);
    }

    pub(super) fn read_pod_identity(&mut self) {
        let name = "eks-pod-identity-associations.json";
        let Some(v) = self.json_file(name, SRC_PODID) else {
            return;
        };
        let Some(items) = v.get("associations").and_then(Value::as_array) else {
            self.field_shape_error(name, SRC_PODID, "associations", "a list", &v);
            return;
        };
        for (i, a) in items.iter().enumerate() {
            let (Some(namespace), Some(sa), Some(role)) = (
                str_field(a, "namespace"),
                str_field(a, "serviceAccount"),
                str_field(a, "roleArn"),
            ) else {
                self.inv.coverage.problem(
                    name,
                    format!("associations[{i}]: needs namespace, serviceAccount and roleArn"),
                );
                continue;
            };
            if let Err(e) = crate::model::RoleArn::parse(&role) {
                self.inv
                    .coverage
                    .problem(name, format!("associations[{i}]: roleArn: {e}"));
            }
            self.inv
                .pod_identity_associations
                .push(PodIdentityAssociation {
                    id: str_field(a, "associationId")
                        .unwrap_or_else(|| format!("associations[{i}]")),
                    arn: str_field(a, "associationArn"),
                    cluster_name: str_field(a, "clusterName"),
                    namespace,
                    service_account: sa,
                    role_arn: role,
                    disable_session_tags: a
                        .get("disableSessionTags")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    target_role_arn: str_field(a, "targetRoleArn"),
                });
        }
        let n = self.inv.pod_identity_associations.len();
        self.inv.coverage.set(SRC_PODID, Status::Ok, Some(n), None);
    }

    pub(super) fn read_sts(&mut self) {
        let name = "sts-caller-identity.json";
        if let Some(v) = self.json_file(name, SRC_STS) {
            match str_field(&v, "Account") {
                Some(a) => {
                    self.inv.account = Some(a);
                    self.inv.caller_arn = str_field(&v, "Arn");
                    self.inv.coverage.set(SRC_STS, Status::Ok, Some(1), None);
                }
                None => {
                    let detail = match v.get("Account") {
                        Some(a) => format!("Account: expected a string, found a {}", type_of(a)),
                        None => {
                            "no Account field (expected get-caller-identity output)".to_string()
                        }
                    };
                    self.fail(name, SRC_STS, detail);
                }
            }
        }
        if self.inv.account.is_none() {
            // The roles of iam.json say which account it describes.
            let mut accounts: Vec<&str> = self
                .inv
                .iam
                .roles
                .iter()
                .filter_map(|r| r.arn.split(':').nth(4))
                .collect();
            accounts.sort_unstable();
            accounts.dedup();
            if let [only] = accounts.as_slice() {
                let only = only.to_string();
                if let Some(s) = self
                    .inv
                    .coverage
                    .sources
                    .iter_mut()
                    .find(|s| s.source == SRC_STS)
                {
                    let d = s.detail.take().unwrap_or_default();
                    s.detail = Some(format!("{d}; account {only} inferred from iam.json"));
                }
                self.inv.account = Some(only);
            }
        }
    }

    pub(super) fn read_apiserver_flags(&mut self) {
        let name = "kube-apiserver.flags";
        match self.files.load(name) {
            Loaded::Missing => {}
            Loaded::Failed(e) => {
                self.fail(name, SRC_APISERVER, e);
                return;
            }
            Loaded::Text(t) => {
                self.readable += 1;
                if self.inv.apiserver.is_none() {
                    self.inv.apiserver = Some(ApiServerFlags {
                        origin: name.to_string(),
                        file: name.to_string(),
                        args: split_flags_file(&t),
                    });
                }
            }
        }
        if let Some(f) = &self.inv.apiserver {
            // Arguments kube-apiserver would refuse are read but not judged as
            // the server would: coverage names each, the API findings say which
            // rest on one.
            for r in crate::model::apiserver::Flags::parse(&f.args).refused {
                let effect = if r.fatal {
                    "kube-apiserver refuses to start with it (the audit reads the other arguments as written)"
                } else {
                    "kube-apiserver ignores it"
                };
                self.inv.coverage.problem(
                    f.file.as_str(),
                    format!("{}: {}; {effect}", f.origin, r.describe()),
                );
            }
            let n = f.args.iter().filter(|a| a.starts_with('-')).count();
            self.inv.coverage.set(
                SRC_APISERVER,
                Status::Ok,
                Some(n),
                Some(format!("from {}", f.origin)),
            );
        } else if self.inv.cluster.is_some() {
            self.inv.coverage.set(
                SRC_APISERVER,
                Status::NotObservable,
                None,
                Some("managed control plane (EKS)".to_string()),
            );
        } else if self.inv.seen("kubernetes/pods") {
            self.inv.coverage.set(
                SRC_APISERVER,
                Status::Missing,
                None,
                Some("no kube-apiserver pod (component=kube-apiserver) in kube-system and no kube-apiserver.flags".to_string()),
            );
        } else {
            self.inv.coverage.set(
                SRC_APISERVER,
                Status::Missing,
                None,
                Some("pods not in snapshot and no kube-apiserver.flags".to_string()),
            );
        }
    }
}

/// Split a flags file: one flag per line or a whole command line, with `\`
/// continuations, `#` comments and shell-style quotes.
pub fn split_flags_file(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_suffix('\\').unwrap_or(line);
        out.extend(shell_words(line));
    }
    out
}

fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}
