#!/usr/bin/env python3
"""Build the bundled demo snapshot `assets/demo/` (what `iamscope --demo` shows).

    python3 scripts/make-demo.py [SHARED_DATA_DIR]

SHARED_DATA_DIR defaults to ../shared/data relative to the repository root. The
output is deterministic: fixed timestamps, identifiers derived from names by
hashing, `json.dump(..., indent=1)`. Python 3 standard library only.

The demo is one EKS cluster, `prod-eks` in account 111122223333, us-east-1. Most
of it is healthy; a minority of objects carry planted problems, listed in
assets/demo/README.md and assets/demo/expect.json. Real third-party data used:
Kubernetes' bootstrap RBAC (copied byte for byte as a YAML stream), the IAM
policies of aws-load-balancer-controller and aws-ebs-csi-driver, the
cluster-autoscaler manifest, and AWS managed policy documents (moto).
"""
import base64
import gzip
import hashlib
import json
import os
import shutil
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "assets", "demo")

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
CLUSTER = "prod-eks"
K8S_VERSION = "1.31"
OIDC_ID = hashlib.sha256(b"iamscope-demo/prod-eks").hexdigest()[:32].upper()
OIDC_HOST = f"oidc.eks.{REGION}.amazonaws.com/id/{OIDC_ID}"
ISSUER = f"https://{OIDC_HOST}"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC_HOST}"
CLUSTER_ARN = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
GITHUB_PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
SAML_PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_2b7e4f1c9a3d6e80_DO_NOT_DELETE"
SECRET_MARKER = "SUPERSECRET-marker-do-not-leak"

# Dates. The demo pretends it was captured on 2026-11-29.
CLUSTER_CREATED = "2025-03-10T09:12:44Z"
T_SYS = "2025-03-10T09:21:05Z"        # EKS add-ons, bootstrap objects
T_PLATFORM = "2025-03-18T14:02:31Z"   # platform controllers
T_APPS = "2025-05-06T10:44:12Z"       # app namespaces
T_RECENT = "2026-10-21T08:15:37Z"     # recent rollouts
T_PODS = "2026-11-24T03:10:09Z"       # pods (rolled by the weekly AMI refresh)
USED_RECENTLY = "2026-11-28T23:41:00Z"

KARPENTER_PROFILE = f"{CLUSTER}_" + hashlib.sha256(b"iamscope-demo/karpenter-profile").hexdigest()[:19]

NODES = [
    "ip-10-42-11-87.ec2.internal",
    "ip-10-42-37-142.ec2.internal",
    "ip-10-42-60-19.ec2.internal",
    "ip-10-42-78-203.ec2.internal",
]


# ------------------------------------------------------------------ helpers

def h(*parts, n=64):
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def aws_id(prefix, *seed):
    """AROA…, ANPA…, AIDA…, AGPA… + 17 uppercase alphanumerics, from a seed."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    digest = hashlib.sha256("/".join(seed).encode()).digest()
    return prefix + "".join(alphabet[b % 32] for b in digest[:17])


def k8s_suffix(n, *seed):
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    digest = hashlib.sha256("/".join(seed).encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:n])


def uid(*seed):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "iamscope-demo/" + "/".join(seed)))


_rv = [8_310_000]


def rv():
    _rv[0] += 17
    return str(_rv[0])


def meta(kind, name, ns=None, created=T_APPS, labels=None, annotations=None, owner=None):
    m = {"name": name}
    if ns is not None:
        m["namespace"] = ns
    m["uid"] = uid(kind, ns or "", name)
    m["resourceVersion"] = rv()
    m["creationTimestamp"] = created
    if labels:
        m["labels"] = dict(labels)
    if annotations:
        m["annotations"] = dict(annotations)
    if owner:
        okind, oname, oapi = owner
        m["ownerReferences"] = [{
            "apiVersion": oapi, "kind": okind, "name": oname,
            "uid": uid(okind, ns or "", oname), "controller": True, "blockOwnerDeletion": True,
        }]
    return m


def role_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


# ------------------------------------------------------------------ tiny YAML reader
# Enough for the cluster-autoscaler manifest (block maps and lists, flow lists of
# scalars, quoted scalars, comments). Not a general YAML parser.

def _strip_comment(s):
    q = None
    for i, c in enumerate(s):
        if q:
            if c == q:
                q = None
        elif c in "'\"":
            q = c
        elif c == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s.rstrip()


def _scalar(s):
    s = s.strip()
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        return [_scalar(p) for p in _split_flow(inner)] if inner else []
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    if s in ("true", "false"):
        return s == "true"
    if s in ("null", "~", ""):
        return None
    if s.lstrip("-").isdigit():
        return int(s)
    return s


def _split_flow(s):
    out, cur, q = [], "", None
    for c in s:
        if q:
            cur += c
            if c == q:
                q = None
        elif c in "'\"":
            q = c
            cur += c
        elif c == ",":
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        out.append(cur.strip())
    return out


def _split_key(s):
    q = None
    for i, c in enumerate(s):
        if q:
            if c == q:
                q = None
        elif c in "'\"":
            q = c
        elif c == ":" and (i + 1 == len(s) or s[i + 1] == " "):
            return _scalar(s[:i]), s[i + 1:].strip()
    return None


def _parse_node(lines, i, indent):
    ind, text = lines[i]
    if text == "-" or text.startswith("- "):
        return _parse_seq(lines, i, ind)
    return _parse_map(lines, i, ind)


def _parse_seq(lines, i, ind):
    out = []
    while i < len(lines) and lines[i][0] == ind and (lines[i][1] == "-" or lines[i][1].startswith("- ")):
        rest = lines[i][1][1:].lstrip()
        if not rest:
            v, i = _parse_node(lines, i + 1, ind + 1)
            out.append(v)
        elif _split_key(rest) is not None and not rest.startswith(("'", '"', "[")):
            lines[i] = (ind + len(lines[i][1]) - len(rest), rest)
            v, i = _parse_map(lines, i, lines[i][0])
            out.append(v)
        else:
            out.append(_scalar(rest))
            i += 1
    return out, i


def _parse_map(lines, i, ind):
    out = {}
    while i < len(lines) and lines[i][0] == ind and not (lines[i][1] == "-" or lines[i][1].startswith("- ")):
        k, v = _split_key(lines[i][1])
        if v:
            out[k] = _scalar(v)
            i += 1
            continue
        i += 1
        if i < len(lines) and (lines[i][0] > ind or (lines[i][0] == ind and lines[i][1].startswith("-"))):
            out[k], i = _parse_node(lines, i, lines[i][0])
        else:
            out[k] = None
    return out, i


def yaml_docs(text):
    docs, cur = [], []
    for raw in text.split("\n") + ["---"]:
        if raw.strip() == "---":
            if cur:
                docs.append(_parse_node(cur, 0, cur[0][0])[0])
            cur = []
            continue
        line = _strip_comment(raw)
        if line.strip():
            cur.append((len(line) - len(line.lstrip(" ")), line.strip()))
    return docs


# ------------------------------------------------------------------ IAM building blocks

def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resources="*", sid=None, condition=None):
    s = {}
    if sid:
        s["Sid"] = sid
    s["Effect"] = "Allow"
    s["Action"] = actions
    s["Resource"] = resources
    if condition:
        s["Condition"] = condition
    return s


def irsa_trust(ns, sa, op="StringEquals", sub=None, aud=True, provider=PROVIDER_ARN, host=OIDC_HOST):
    cond = {op: {f"{host}:sub": sub or f"system:serviceaccount:{ns}:{sa}"}}
    if aud:
        if op == "StringEquals":
            cond[op][f"{host}:aud"] = "sts.amazonaws.com"
        else:
            cond["StringEquals"] = {f"{host}:aud": "sts.amazonaws.com"}
    return doc({"Effect": "Allow", "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond})


def podid_trust(narrow=True, actions=("sts:AssumeRole", "sts:TagSession")):
    s = {"Sid": "AllowEksAuthToAssumeRoleForPodIdentity", "Effect": "Allow",
         "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": list(actions)}
    if narrow:
        s["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                          "ArnEquals": {"aws:SourceArn": CLUSTER_ARN}}
    return doc(s)


def service_trust(*services):
    return doc({"Effect": "Allow", "Principal": {"Service": list(services) if len(services) > 1 else services[0]},
                "Action": "sts:AssumeRole"})


def sso_trust():
    return doc({"Effect": "Allow", "Principal": {"Federated": SAML_PROVIDER_ARN},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}})


def github_trust(repo_pattern):
    return doc({"Effect": "Allow", "Principal": {"Federated": GITHUB_PROVIDER_ARN},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                              "StringLike": {"token.actions.githubusercontent.com:sub": repo_pattern}}})


class Iam:
    def __init__(self, managed):
        self.managed_src = managed
        self.roles, self.users, self.groups = [], [], []
        self.customer = {}   # name -> policy entry
        self.aws_used = set()

    def _attach(self, names):
        out = []
        for n in names:
            if n in self.customer:
                out.append({"PolicyName": n, "PolicyArn": self.customer[n]["Arn"]})
            else:
                self.aws_used.add(n)
                out.append({"PolicyName": n, "PolicyArn": self.managed_src[n]["Arn"]})
        return out

    def policy(self, name, versions, created=T_PLATFORM, description=None):
        """versions: list of documents, the last is the default."""
        vl = []
        for i, d in enumerate(versions):
            vl.append({"Document": d, "VersionId": f"v{i + 1}", "IsDefaultVersion": i == len(versions) - 1,
                       "CreateDate": created if i == 0 else T_RECENT})
        self.customer[name] = {
            "PolicyName": name, "PolicyId": aws_id("ANPA", "policy", name),
            "Arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}", "Path": "/",
            "DefaultVersionId": f"v{len(versions)}", "AttachmentCount": 0,
            "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
            "CreateDate": created, "UpdateDate": created if len(versions) == 1 else T_RECENT,
            "PolicyVersionList": vl,
        }

    def role(self, name, trust, path="/", inline=None, attached=(), created=T_PLATFORM,
             last_used=USED_RECENTLY, tags=None, description=None, instance_profile=False, max_session=3600):
        r = {"Path": path, "RoleName": name, "RoleId": aws_id("AROA", "role", name),
             "Arn": role_arn(name, path), "CreateDate": created,
             "AssumeRolePolicyDocument": trust}
        if description:
            r["Description"] = description
        r["MaxSessionDuration"] = max_session
        r["InstanceProfileList"] = []
        if instance_profile:
            ip_name = instance_profile if isinstance(instance_profile, str) else name
            r["InstanceProfileList"].append({
                "Path": "/", "InstanceProfileName": ip_name,
                "InstanceProfileId": aws_id("AIPA", "ip", ip_name),
                "Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{ip_name}", "CreateDate": created,
                "Roles": [{"Path": path, "RoleName": name, "RoleId": r["RoleId"], "Arn": r["Arn"],
                           "CreateDate": created, "AssumeRolePolicyDocument": trust}]})
        r["RolePolicyList"] = [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()]
        r["AttachedManagedPolicies"] = self._attach(attached)
        r["Tags"] = [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]
        if last_used:
            r["RoleLastUsed"] = {"LastUsedDate": last_used, "Region": REGION}
        else:
            r["RoleLastUsed"] = {}
        self.roles.append(r)
        return r["Arn"]

    def user(self, name, inline=None, attached=(), groups=(), created=T_PLATFORM, tags=None):
        self.users.append({
            "Path": "/", "UserName": name, "UserId": aws_id("AIDA", "user", name),
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "CreateDate": created,
            "UserPolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()],
            "GroupList": list(groups), "AttachedManagedPolicies": self._attach(attached),
            "Tags": [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]})

    def group(self, name, attached=(), inline=None, created=T_PLATFORM):
        self.groups.append({
            "Path": "/", "GroupName": name, "GroupId": aws_id("AGPA", "group", name),
            "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}", "CreateDate": created,
            "GroupPolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()],
            "AttachedManagedPolicies": self._attach(attached)})

    def dump(self):
        counts = {}
        for holder in self.roles + self.users + self.groups:
            for a in holder["AttachedManagedPolicies"]:
                counts[a["PolicyArn"]] = counts.get(a["PolicyArn"], 0) + 1
        policies = []
        for name in sorted(self.customer):
            p = self.customer[name]
            p["AttachmentCount"] = counts.get(p["Arn"], 0)
            policies.append(p)
        for name in sorted(self.aws_used):
            src = self.managed_src[name]
            policies.append({
                "PolicyName": name, "PolicyId": aws_id("ANPA", "aws-managed", name), "Arn": src["Arn"],
                "Path": src["Path"], "DefaultVersionId": src["DefaultVersionId"],
                "AttachmentCount": counts.get(src["Arn"], 0), "PermissionsBoundaryUsageCount": 0,
                "IsAttachable": True, "CreateDate": "2015-02-06T18:39:46Z", "UpdateDate": "2026-06-30T00:00:00Z",
                "PolicyVersionList": [{"Document": src["Document"], "VersionId": src["DefaultVersionId"],
                                       "IsDefaultVersion": True, "CreateDate": "2026-06-30T00:00:00Z"}]})
        return {"UserDetailList": self.users, "GroupDetailList": self.groups,
                "RoleDetailList": self.roles, "Policies": policies, "IsTruncated": False}


# ------------------------------------------------------------------ Kubernetes building blocks

class Kube:
    def __init__(self):
        self.items = []
        self.secrets = []
        self.node_i = 0

    def add(self, obj):
        self.items.append(obj)
        return obj

    def namespace(self, name, created=T_APPS, labels=None):
        lab = {"kubernetes.io/metadata.name": name}
        lab.update(labels or {})
        self.add({"apiVersion": "v1", "kind": "Namespace",
                  "metadata": meta("Namespace", name, created=created, labels=lab),
                  "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        # every namespace gets its default service account
        self.sa(name, "default", created=created)

    def sa(self, ns, name, role=None, created=T_APPS, labels=None, annotations=None):
        ann = dict(annotations or {})
        if role:
            ann["eks.amazonaws.com/role-arn"] = role
        self.add({"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": meta("ServiceAccount", name, ns, created, labels, ann or None)})

    def _pod_spec(self, sa, containers, irsa=None, podid=False, extra=None):
        spec = {}
        # admission fills in the default service account on every pod
        spec["serviceAccountName"] = sa or "default"
        spec["serviceAccount"] = sa or "default"
        conts = []
        for c in containers:
            c = dict(c)
            c.setdefault("imagePullPolicy", "IfNotPresent")
            env = list(c.pop("env", []))
            mounts = list(c.pop("volumeMounts", [])) + [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                       "readOnly": True}]
            if irsa:
                env += [{"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
                        {"name": "AWS_DEFAULT_REGION", "value": REGION},
                        {"name": "AWS_REGION", "value": REGION},
                        {"name": "AWS_ROLE_ARN", "value": irsa},
                        {"name": "AWS_WEB_IDENTITY_TOKEN_FILE",
                         "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}]
                mounts.append({"name": "aws-iam-token", "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount",
                               "readOnly": True})
            if podid:
                env += [{"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
                        {"name": "AWS_DEFAULT_REGION", "value": REGION},
                        {"name": "AWS_REGION", "value": REGION},
                        {"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials"},
                        {"name": "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                         "value": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"}]
                mounts.append({"name": "eks-pod-identity-token",
                               "mountPath": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount", "readOnly": True})
            if env:
                c["env"] = env
            c["volumeMounts"] = mounts
            conts.append(c)
        spec["containers"] = conts
        vols = [{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}]
        if irsa:
            vols.append({"name": "aws-iam-token", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}]}})
        if podid:
            vols.append({"name": "eks-pod-identity-token", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"audience": "pods.eks.amazonaws.com", "expirationSeconds": 86400,
                                         "path": "eks-pod-identity-token"}}]}})
        extra = dict(extra or {})
        spec["volumes"] = list(extra.pop("volumes", [])) + vols
        spec.update(extra)
        return spec

    def _template_spec(self, sa, containers, extra=None):
        spec = {}
        if sa is not None:
            spec["serviceAccountName"] = sa
        spec["containers"] = [dict(c, **{"imagePullPolicy": c.get("imagePullPolicy", "IfNotPresent")}) for c in containers]
        spec.update(extra or {})
        return spec

    def _pods(self, ns, prefix, n, labels, sa, containers, owner, irsa, podid, extra, fixed_node=None):
        for i in range(n):
            name = f"{prefix}{k8s_suffix(5, ns, prefix, str(i))}" if not fixed_node else f"{prefix}{k8s_suffix(5, ns, prefix, fixed_node)}"
            node = fixed_node or NODES[self.node_i % len(NODES)]
            self.node_i += 1
            spec = self._pod_spec(sa, containers, irsa, podid, extra)
            spec["nodeName"] = node
            self.add({"apiVersion": "v1", "kind": "Pod",
                      "metadata": meta("Pod", name, ns, T_PODS, labels, None, owner),
                      "spec": spec,
                      "status": {"phase": "Running", "qosClass": "Burstable",
                                 "podIP": "10.42.%d.%d" % (int(h(name, n=2), 16) % 64 + 8, int(h(name, "ip", n=2), 16) % 250 + 3),
                                 "startTime": T_PODS}})

    def deployment(self, ns, name, sa, containers, replicas=2, labels=None, irsa=None, podid=False,
                   created=T_APPS, extra=None, pods=None):
        lab = {"app.kubernetes.io/name": name}
        lab.update(labels or {})
        sel = {"app.kubernetes.io/name": name}
        tmpl = {"metadata": {"labels": dict(lab)}, "spec": self._template_spec(sa, containers, extra)}
        self.add({"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": meta("Deployment", name, ns, created, lab, {"deployment.kubernetes.io/revision": "7"}),
                  "spec": {"replicas": replicas, "selector": {"matchLabels": sel},
                           "strategy": {"type": "RollingUpdate",
                                        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                           "template": tmpl},
                  "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                             "updatedReplicas": replicas, "observedGeneration": 7}})
        hsh = k8s_suffix(10, ns, name, "rs")
        rs = f"{name}-{hsh}"
        rlab = dict(lab, **{"pod-template-hash": hsh})
        self.add({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": meta("ReplicaSet", rs, ns, T_RECENT, rlab,
                                   {"deployment.kubernetes.io/revision": "7"}, ("Deployment", name, "apps/v1")),
                  "spec": {"replicas": replicas,
                           "selector": {"matchLabels": dict(sel, **{"pod-template-hash": hsh})},
                           "template": {"metadata": {"labels": rlab}, "spec": tmpl["spec"]}},
                  "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas}})
        self._pods(ns, rs + "-", replicas if pods is None else pods, rlab, sa, containers,
                   ("ReplicaSet", rs, "apps/v1"), irsa, podid, extra)

    def daemonset(self, ns, name, sa, containers, labels=None, irsa=None, created=T_SYS, extra=None):
        lab = {"app.kubernetes.io/name": name}
        lab.update(labels or {})
        tmpl = {"metadata": {"labels": dict(lab)}, "spec": self._template_spec(sa, containers, extra)}
        self.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
                  "metadata": meta("DaemonSet", name, ns, created, lab),
                  "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                           "updateStrategy": {"type": "RollingUpdate"}, "template": tmpl},
                  "status": {"currentNumberScheduled": len(NODES), "desiredNumberScheduled": len(NODES),
                             "numberReady": len(NODES), "numberAvailable": len(NODES)}})
        for node in NODES:
            self._pods(ns, name + "-", 1, dict(lab, **{"controller-revision-hash": k8s_suffix(10, ns, name, "crh")}),
                       sa, containers, ("DaemonSet", name, "apps/v1"), irsa, False, extra, fixed_node=node)

    def statefulset(self, ns, name, sa, containers, replicas=1, labels=None, irsa=None, created=T_APPS):
        lab = {"app.kubernetes.io/name": name}
        lab.update(labels or {})
        tmpl = {"metadata": {"labels": dict(lab)}, "spec": self._template_spec(sa, containers)}
        self.add({"apiVersion": "apps/v1", "kind": "StatefulSet",
                  "metadata": meta("StatefulSet", name, ns, created, lab),
                  "spec": {"replicas": replicas, "serviceName": name,
                           "selector": {"matchLabels": {"app.kubernetes.io/name": name}}, "template": tmpl},
                  "status": {"replicas": replicas, "readyReplicas": replicas}})
        for i in range(replicas):
            pod = f"{name}-{i}"
            spec = self._pod_spec(sa, containers, irsa)
            spec["nodeName"] = NODES[self.node_i % len(NODES)]
            self.node_i += 1
            self.add({"apiVersion": "v1", "kind": "Pod",
                      "metadata": meta("Pod", pod, ns, T_PODS, dict(lab, **{"statefulset.kubernetes.io/pod-name": pod}),
                                       None, ("StatefulSet", name, "apps/v1")),
                      "spec": spec, "status": {"phase": "Running", "qosClass": "Burstable", "startTime": T_PODS}})

    def cronjob(self, ns, name, sa, containers, schedule, labels=None, irsa=None, created=T_APPS, last_job=True):
        lab = {"app.kubernetes.io/name": name}
        lab.update(labels or {})
        tspec = self._template_spec(sa, containers, {"restartPolicy": "OnFailure"})
        self.add({"apiVersion": "batch/v1", "kind": "CronJob",
                  "metadata": meta("CronJob", name, ns, created, lab),
                  "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3,
                           "failedJobsHistoryLimit": 1,
                           "jobTemplate": {"spec": {"backoffLimit": 2, "template": {
                               "metadata": {"labels": dict(lab)}, "spec": tspec}}}},
                  "status": {"lastScheduleTime": "2026-11-29T02:00:00Z"}})
        if last_job:
            job = f"{name}-29405640"
            self.add({"apiVersion": "batch/v1", "kind": "Job",
                      "metadata": meta("Job", job, ns, "2026-11-29T02:00:00Z", lab, None, ("CronJob", name, "batch/v1")),
                      "spec": {"backoffLimit": 2, "completions": 1, "parallelism": 1,
                               "template": {"metadata": {"labels": dict(lab, **{"job-name": job})}, "spec": tspec}},
                      "status": {"succeeded": 1, "startTime": "2026-11-29T02:00:00Z",
                                 "completionTime": "2026-11-29T02:06:41Z"}})
            spec = self._pod_spec(sa, containers, irsa, extra={"restartPolicy": "OnFailure"})
            spec["nodeName"] = NODES[self.node_i % len(NODES)]
            self.node_i += 1
            self.add({"apiVersion": "v1", "kind": "Pod",
                      "metadata": meta("Pod", f"{job}-{k8s_suffix(5, ns, job)}", ns, "2026-11-29T02:00:00Z",
                                       dict(lab, **{"job-name": job}), None, ("Job", job, "batch/v1")),
                      "spec": spec, "status": {"phase": "Succeeded", "qosClass": "BestEffort",
                                               "startTime": "2026-11-29T02:00:00Z"}})

    def cluster_role(self, name, rules, labels=None, created=T_PLATFORM, annotations=None, aggregation=None):
        o = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": meta("ClusterRole", name, None, created, labels, annotations)}
        if aggregation:
            o["aggregationRule"] = {"clusterRoleSelectors": aggregation}
        o["rules"] = rules
        self.add(o)

    def role(self, ns, name, rules, labels=None, created=T_PLATFORM):
        self.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                  "metadata": meta("Role", name, ns, created, labels), "rules": rules})

    @staticmethod
    def subj(s):
        kind, rest = s.split(":", 1)
        if kind == "sa":
            ns, name = rest.split("/", 1)
            return {"kind": "ServiceAccount", "name": name, "namespace": ns}
        return {"kind": {"group": "Group", "user": "User"}[kind], "apiGroup": "rbac.authorization.k8s.io", "name": rest}

    def crb(self, name, role, subjects, labels=None, created=T_PLATFORM):
        self.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                  "metadata": meta("ClusterRoleBinding", name, None, created, labels),
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                  "subjects": [self.subj(s) for s in subjects]})

    def rb(self, ns, name, role_kind, role, subjects, labels=None, created=T_PLATFORM):
        self.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                  "metadata": meta("RoleBinding", name, ns, created, labels),
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
                  "subjects": [self.subj(s) for s in subjects]})

    def legacy_token(self, ns, name, sa, token_plain, created, last_used=None):
        labels = {"kubernetes.io/legacy-token-last-used": last_used} if last_used else None
        m = meta("Secret", name, ns, created, labels,
                 {"kubernetes.io/service-account.name": sa,
                  "kubernetes.io/service-account.uid": uid("ServiceAccount", ns, sa)})
        b64 = lambda s: base64.b64encode(s.encode()).decode()
        ca = ("-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIdemo0000000000wDQYJKoZIhvcNAQELBQAwFTETMBEGA1UE\n"
              "AxMKa3ViZXJuZXRlczAeFw0yNTAzMTAwOTA3MDBaFw0zNTAzMDgwOTEyMDBaMBUx\n-----END CERTIFICATE-----\n")
        self.secrets.append({"apiVersion": "v1", "kind": "Secret", "metadata": m,
                             "type": "kubernetes.io/service-account-token",
                             "data": {"ca.crt": b64(ca), "namespace": b64(ns), "token": b64(token_plain)}})


def crule(groups, resources, verbs, names=None):
    r = {"apiGroups": groups, "resources": resources}
    if names:
        r["resourceNames"] = names
    r["verbs"] = verbs
    return r


RO = ["get", "list", "watch"]
ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]


# ------------------------------------------------------------------ the cluster

def build(data_dir):
    managed = json.load(gzip.open(os.path.join(data_dir, "aws-managed-policies.json.gz")))
    ctrl = os.path.join(data_dir, "controllers")
    alb_policy = json.load(open(os.path.join(ctrl, "aws-load-balancer-controller-iam_policy.json")))
    ebs_policy = json.load(open(os.path.join(ctrl, "aws-ebs-csi-driver-example-iam-policy.json")))
    ca_docs = yaml_docs(open(os.path.join(ctrl, "cluster-autoscaler-autodiscover.yaml")).read())

    iam = Iam(managed)
    k = Kube()
    expect, forbid = [], []

    def exp(rule, **subject):
        expect.append({"rule": rule, "subject": subject})

    def nope(rule, **subject):
        forbid.append({"rule": rule, "subject": subject})

    def sa_subj(ns, name):
        return {"kind": "ServiceAccount", "namespace": ns, "name": name}

    # ---------------- namespaces
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"]:
        k.namespace(ns, created=CLUSTER_CREATED)
    for ns in ["karpenter", "external-dns", "cert-manager", "monitoring"]:
        k.namespace(ns, created=T_PLATFORM, labels={"team": "platform"})
    k.namespace("ci", created=T_PLATFORM, labels={"team": "platform"})
    for ns, team in [("payments", "payments"), ("checkout", "checkout"), ("catalog", "catalog"),
                     ("data-platform", "data")]:
        k.namespace(ns, created=T_APPS, labels={"team": team, "pod-security.kubernetes.io/enforce": "baseline"})

    # ---------------- IAM: the customer managed policies of the controllers (real documents)
    iam.policy("AWSLoadBalancerControllerIAMPolicy", [alb_policy], created=T_PLATFORM)
    iam.policy("prod-eks-ebs-csi-driver", [ebs_policy], created=T_PLATFORM)
    iam.policy("prod-eks-cluster-autoscaler", [doc(
        allow(["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
               "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
               "ec2:DescribeImages", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplateVersions",
               "ec2:GetInstanceTypesFromInstanceRequirements", "eks:DescribeNodegroup"], ["*"]),
        allow(["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"], ["*"],
              condition={"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{CLUSTER}": "owned"}}))])
    zone = "Z0418273VQ5J2K8XAMPLE"
    iam.policy("prod-eks-external-dns", [doc(
        allow(["route53:ChangeResourceRecordSets"], [f"arn:aws:route53:::hostedzone/{zone}"]),
        allow(["route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResources"], ["*"]))])
    karp = f"arn:aws:ec2:{REGION}"
    cluster_tag = f"aws:ResourceTag/kubernetes.io/cluster/{CLUSTER}"
    req_tags = {"StringEquals": {f"aws:RequestTag/kubernetes.io/cluster/{CLUSTER}": "owned",
                                 "aws:RequestTag/eks:eks-cluster-name": CLUSTER},
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}}
    iam.policy(f"KarpenterControllerPolicy-{CLUSTER}", [doc(
        allow(["ec2:RunInstances", "ec2:CreateFleet"],
              [f"{karp}::image/*", f"{karp}::snapshot/*", f"{karp}:*:security-group/*", f"{karp}:*:subnet/*",
               f"{karp}:*:capacity-reservation/*"], sid="AllowScopedEC2InstanceAccessActions"),
        allow(["ec2:RunInstances", "ec2:CreateFleet"], f"{karp}:*:launch-template/*",
              sid="AllowScopedEC2LaunchTemplateAccessActions",
              condition={"StringEquals": {cluster_tag: "owned"},
                         "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}),
        allow(["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
              [f"{karp}:*:fleet/*", f"{karp}:*:instance/*", f"{karp}:*:volume/*", f"{karp}:*:network-interface/*",
               f"{karp}:*:launch-template/*", f"{karp}:*:spot-instances-request/*"],
              sid="AllowScopedEC2InstanceActionsWithTags", condition=req_tags),
        allow("ec2:CreateTags", [f"{karp}:*:fleet/*", f"{karp}:*:instance/*", f"{karp}:*:volume/*",
                                 f"{karp}:*:network-interface/*", f"{karp}:*:launch-template/*",
                                 f"{karp}:*:spot-instances-request/*"],
              sid="AllowScopedResourceCreationTagging",
              condition={"StringEquals": dict(req_tags["StringEquals"],
                                              **{"ec2:CreateAction": ["RunInstances", "CreateFleet",
                                                                      "CreateLaunchTemplate"]}),
                         "StringLike": req_tags["StringLike"]}),
        allow("ec2:CreateTags", f"{karp}:*:instance/*", sid="AllowScopedResourceTagging",
              condition={"StringEquals": {cluster_tag: "owned"},
                         "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                         "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": CLUSTER},
                         "ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name",
                                                                       "karpenter.sh/nodeclaim", "Name"]}}),
        allow(["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
              [f"{karp}:*:instance/*", f"{karp}:*:launch-template/*"], sid="AllowScopedDeletion",
              condition={"StringEquals": {cluster_tag: "owned"},
                         "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}),
        allow(["ec2:DescribeAvailabilityZones", "ec2:DescribeImages", "ec2:DescribeInstances",
               "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates",
               "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"], "*",
              sid="AllowRegionalReadActions", condition={"StringEquals": {"aws:RequestedRegion": REGION}}),
        allow("ssm:GetParameter", f"arn:aws:ssm:{REGION}::parameter/aws/service/*", sid="AllowSSMReadActions"),
        allow("pricing:GetProducts", "*", sid="AllowPricingReadActions"),
        allow(["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
              f"arn:aws:sqs:{REGION}:{ACCOUNT}:Karpenter-{CLUSTER}", sid="AllowInterruptionQueueActions"),
        allow("iam:PassRole", role_arn(f"KarpenterNodeRole-{CLUSTER}"), sid="AllowPassingInstanceRole",
              condition={"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com"]}}),
        allow(["iam:CreateInstanceProfile"], f"arn:aws:iam::{ACCOUNT}:instance-profile/*",
              sid="AllowScopedInstanceProfileCreationActions",
              condition={"StringEquals": {f"aws:RequestTag/kubernetes.io/cluster/{CLUSTER}": "owned",
                                          "aws:RequestTag/eks:eks-cluster-name": CLUSTER,
                                          "aws:RequestTag/topology.kubernetes.io/region": REGION},
                         "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}}),
        allow(["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile",
               "iam:TagInstanceProfile"], f"arn:aws:iam::{ACCOUNT}:instance-profile/*",
              sid="AllowScopedInstanceProfileActions",
              condition={"StringEquals": {cluster_tag: "owned",
                                          "aws:ResourceTag/topology.kubernetes.io/region": REGION},
                         "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}}),
        allow("iam:GetInstanceProfile", f"arn:aws:iam::{ACCOUNT}:instance-profile/*",
              sid="AllowInstanceProfileReadActions"),
        allow("eks:DescribeCluster", CLUSTER_ARN, sid="AllowAPIServerEndpointDiscovery"))])

    # ---------------- IAM: infrastructure roles that are not reachable from pods
    iam.role(f"{CLUSTER}-cluster-role", service_trust("eks.amazonaws.com"), created=CLUSTER_CREATED,
             attached=["AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"],
             description="EKS control plane role for prod-eks")
    node_role = iam.role(f"{CLUSTER}-node-group-role", service_trust("ec2.amazonaws.com"), created=CLUSTER_CREATED,
                         attached=["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
                                   "AmazonSSMManagedInstanceCore"], instance_profile=True,
                         description="Managed node group general-purpose")
    # Karpenter makes the instance profile of an EC2NodeClass's spec.role itself
    karp_node_role = iam.role(f"KarpenterNodeRole-{CLUSTER}", service_trust("ec2.amazonaws.com"),
                              created=T_PLATFORM, instance_profile=KARPENTER_PROFILE,
                              attached=["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
                                        "AmazonSSMManagedInstanceCore"])
    iam.role("AWSServiceRoleForAmazonEKS", service_trust("eks.amazonaws.com"),
             path="/aws-service-role/eks.amazonaws.com/", attached=["AmazonEKSServiceRolePolicy"],
             created="2024-11-04T16:20:11Z",
             description="Allows Amazon EKS to call AWS services on your behalf.")
    iam.role("AWSServiceRoleForAmazonEKSNodegroup", service_trust("eks-nodegroup.amazonaws.com"),
             path="/aws-service-role/eks-nodegroup.amazonaws.com/",
             attached=["AWSServiceRoleForAmazonEKSNodegroup"], created=CLUSTER_CREATED,
             description="This policy allows Amazon EKS to create and manage Nodegroups")
    iam.role("AWSServiceRoleForAutoScaling", service_trust("autoscaling.amazonaws.com"),
             path="/aws-service-role/autoscaling.amazonaws.com/", attached=["AutoScalingServiceRolePolicy"],
             created="2024-11-04T16:20:40Z",
             description="Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling")
    iam.role("rds-monitoring-role", service_trust("monitoring.rds.amazonaws.com"),
             attached=["AmazonRDSEnhancedMonitoringRole"], created="2025-04-02T11:00:00Z")
    iam.role("payments-webhook-lambda", service_trust("lambda.amazonaws.com"), path="/service-role/",
             attached=["AWSLambdaBasicExecutionRole"], created="2025-06-12T08:30:00Z",
             inline={"sqs-send": doc(allow("sqs:SendMessage",
                                           f"arn:aws:sqs:{REGION}:{ACCOUNT}:payments-webhooks"))})
    iam.role("terraform-platform", github_trust("repo:acme-corp/platform-infra:ref:refs/heads/main"),
             attached=["AdministratorAccess"], created="2024-11-04T16:05:00Z", max_session=7200,
             description="GitHub Actions: platform-infra applies (created prod-eks)")
    iam.role("OrganizationAccountAccessRole",
             doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                  "Action": "sts:AssumeRole"}),
             attached=["AdministratorAccess"], created="2024-11-04T16:00:02Z", last_used="2026-09-14T10:02:00Z")
    iam.role("gitlab-ci-deploy", doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                      "Action": "sts:AssumeRole"}),
             inline={"eks-describe": doc(allow(["eks:DescribeCluster", "eks:ListClusters"], "*"))},
             created="2025-04-22T13:14:00Z")
    # IAM Identity Center (SSO) roles
    sso = "/aws-reserved/sso.amazonaws.com/"
    sso_roles = {}
    for permset, suffix, attached in [
            ("AdministratorAccess", "5e1c0b7a94d2f386", ["AdministratorAccess"]),
            ("PlatformAdmin", "8c2d4f1e6a7b9c03", ["PowerUserAccess"]),
            ("PaymentsDeveloper", "3f8a9b2c1d4e5f60", ["ViewOnlyAccess"]),
            ("DataEngineer", "a41e7c0d2b9f8e35", ["ViewOnlyAccess"]),
            ("ReadOnly", "07b3d9e1f4a2c6d8", ["ViewOnlyAccess", "SecurityAudit"])]:
        name = f"AWSReservedSSO_{permset}_{suffix}"
        sso_roles[permset] = iam.role(name, sso_trust(), path=sso, attached=attached, created="2024-11-05T09:00:00Z",
                                      max_session=43200)
    nope("IAM-001", kind="IamRole", arn=sso_roles["AdministratorAccess"])
    nope("IAM-001", kind="IamRole", arn=role_arn("terraform-platform"))
    nope("IAM-001", kind="IamRole", arn=role_arn("OrganizationAccountAccessRole"))
    # users and groups
    iam.group("Admins", attached=["AdministratorAccess"], created="2024-11-04T16:01:00Z")
    iam.group("Deployers", inline={"ecr-push": doc(allow(
        ["ecr:GetAuthorizationToken"], "*"), allow(
        ["ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload",
         "ecr:PutImage", "ecr:UploadLayerPart", "ecr:BatchGetImage"],
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*"))})
    iam.user("break-glass-admin", groups=["Admins"], created="2024-11-04T16:02:00Z",
             tags={"purpose": "emergency access, MFA required"})
    iam.user("ci-legacy-deployer", groups=["Deployers"], created="2025-04-01T12:00:00Z",
             tags={"owner": "platform", "ticket": "PLAT-1182"})
    iam.user("grafana-cloudwatch", attached=["CloudWatchReadOnlyAccess"], created="2025-05-20T15:45:00Z")

    # ---------------- kube-system: EKS add-ons
    img_cni = "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1"
    cni_role = iam.role(f"{CLUSTER}-vpc-cni", irsa_trust("kube-system", "aws-node"),
                        attached=["AmazonEKS_CNI_Policy"], created=CLUSTER_CREATED,
                        tags={"alpha.eksctl.io/cluster-name": CLUSTER})
    k.sa("kube-system", "aws-node", cni_role, created=T_SYS,
         labels={"app.kubernetes.io/name": "aws-node", "app.kubernetes.io/instance": "aws-vpc-cni"})
    k.daemonset("kube-system", "aws-node", "aws-node",
                [{"name": "aws-node", "image": img_cni},
                 {"name": "aws-eks-nodeagent",
                  "image": "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon/aws-network-policy-agent:v1.1.6-eksbuild.1"}],
                labels={"k8s-app": "aws-node"}, irsa=cni_role, extra={"hostNetwork": True,
                                                                       "priorityClassName": "system-node-critical"})
    k.cluster_role("aws-node", [
        crule(["crd.k8s.amazonaws.com"], ["eniconfigs"], RO),
        crule([""], ["namespaces"], RO), crule([""], ["pods"], RO), crule([""], ["nodes"], RO),
        crule(["", "events.k8s.io"], ["events"], ["create", "patch", "list"]),
        crule(["networking.k8s.aws"], ["policyendpoints"], RO),
        crule(["networking.k8s.aws"], ["policyendpoints/status"], ["get"]),
        crule(["vpcresources.k8s.aws"], ["cninodes"], ["get", "list", "watch", "patch"])],
        labels={"app.kubernetes.io/name": "aws-node"}, created=T_SYS)
    k.crb("aws-node", "aws-node", ["sa:kube-system/aws-node"], labels={"app.kubernetes.io/name": "aws-node"},
          created=T_SYS)

    k.sa("kube-system", "kube-proxy", created=T_SYS, labels={"eks.amazonaws.com/component": "kube-proxy"})
    k.daemonset("kube-system", "kube-proxy", "kube-proxy",
                [{"name": "kube-proxy",
                  "image": "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.31.3-minimal-eksbuild.2",
                  "command": ["kube-proxy", "--v=2", "--config=/var/lib/kube-proxy-config/config"]}],
                labels={"k8s-app": "kube-proxy", "eks.amazonaws.com/component": "kube-proxy"},
                extra={"hostNetwork": True, "priorityClassName": "system-node-critical"})
    k.crb("eks:kube-proxy", "system:node-proxier", ["sa:kube-system/kube-proxy"],
          labels={"eks.amazonaws.com/component": "kube-proxy"}, created=T_SYS)

    k.sa("kube-system", "coredns", created=T_SYS, labels={"eks.amazonaws.com/component": "coredns"})
    k.deployment("kube-system", "coredns", "coredns",
                 [{"name": "coredns", "image": "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.11.4-eksbuild.2",
                   "args": ["-conf", "/etc/coredns/Corefile"]}],
                 replicas=2, labels={"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}, created=T_SYS,
                 extra={"priorityClassName": "system-cluster-critical"})
    k.cluster_role("system:coredns", [crule([""], ["endpoints", "services", "pods", "namespaces"], ["list", "watch"]),
                                      crule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"])],
                   labels={"eks.amazonaws.com/component": "coredns", "k8s-app": "kube-dns"}, created=T_SYS)
    k.crb("system:coredns", "system:coredns", ["sa:kube-system/coredns"],
          labels={"eks.amazonaws.com/component": "coredns", "k8s-app": "kube-dns"}, created=T_SYS)

    k.sa("kube-system", "eks-pod-identity-agent", created=T_SYS)
    k.daemonset("kube-system", "eks-pod-identity-agent", None,
                [{"name": "eks-pod-identity-agent",
                  "image": "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/eks-pod-identity-agent:v0.1.17",
                  "command": ["/go-runner", "/eks-pod-identity-agent", "server"]}],
                extra={"hostNetwork": True, "priorityClassName": "system-node-critical"})

    # EKS' own ClusterRoles and bindings (the ones that raise nothing)
    k.cluster_role("eks:cluster-event-watcher", [crule([""], ["events"], RO)], created=CLUSTER_CREATED,
                   labels={"eks.amazonaws.com/component": "event-watcher"})
    k.crb("eks:cluster-event-watcher", "eks:cluster-event-watcher", ["user:eks:cluster-event-watcher"],
          labels={"eks.amazonaws.com/component": "event-watcher"}, created=CLUSTER_CREATED)
    k.cluster_role("eks:node-bootstrapper", [
        crule(["certificates.k8s.io"], ["certificatesigningrequests/selfnodeserver"], ["create"])],
        labels={"eks.amazonaws.com/component": "node"}, created=CLUSTER_CREATED)
    k.crb("eks:node-bootstrapper", "eks:node-bootstrapper", ["group:system:bootstrappers", "group:system:nodes"],
          labels={"eks.amazonaws.com/component": "node"}, created=CLUSTER_CREATED)
    k.cluster_role("eks:k8s-metrics", [crule([""], ["nodes", "pods", "namespaces"], ["list"]),
                                       crule(["apps"], ["deployments", "daemonsets", "statefulsets"], ["list"])],
                   labels={"eks.amazonaws.com/component": "k8s-metrics"}, created=CLUSTER_CREATED)
    k.crb("eks:k8s-metrics", "eks:k8s-metrics", ["user:eks:k8s-metrics"],
          labels={"eks.amazonaws.com/component": "k8s-metrics"}, created=CLUSTER_CREATED)

    # ---------------- kube-system: aws-load-balancer-controller (real IAM policy)
    alb_role = iam.role("AmazonEKSLoadBalancerControllerRole",
                        irsa_trust("kube-system", "aws-load-balancer-controller"),
                        attached=["AWSLoadBalancerControllerIAMPolicy"],
                        tags={"app.kubernetes.io/managed-by": "terraform", "cluster": CLUSTER})
    alb_labels = {"app.kubernetes.io/name": "aws-load-balancer-controller",
                  "app.kubernetes.io/instance": "aws-load-balancer-controller",
                  "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "aws-load-balancer-controller-1.11.0"}
    k.sa("kube-system", "aws-load-balancer-controller", alb_role, created=T_PLATFORM, labels=alb_labels)
    k.deployment("kube-system", "aws-load-balancer-controller", "aws-load-balancer-controller",
                 [{"name": "aws-load-balancer-controller",
                   "image": "public.ecr.aws/eks/aws-load-balancer-controller:v2.11.0",
                   "args": [f"--cluster-name={CLUSTER}", "--ingress-class=alb", f"--aws-region={REGION}"]}],
                 replicas=2, labels=alb_labels, irsa=alb_role, created=T_PLATFORM,
                 extra={"priorityClassName": "system-cluster-critical"})
    k.cluster_role("aws-load-balancer-controller-role", [
        crule(["elbv2.k8s.aws"], ["targetgroupbindings"], ALL_VERBS),
        crule(["elbv2.k8s.aws"], ["ingressclassparams"], RO),
        crule([""], ["events"], ["create", "patch"]),
        crule([""], ["pods"], RO),
        crule(["networking.k8s.io"], ["ingressclasses"], RO),
        crule(["", "extensions", "networking.k8s.io"], ["services", "ingresses"], ["get", "list", "patch", "update", "watch"]),
        crule([""], ["nodes", "namespaces", "endpoints"], RO),
        crule(["elbv2.k8s.aws", "", "extensions", "networking.k8s.io"],
              ["targetgroupbindings/status", "pods/status", "services/status", "ingresses/status"], ["update", "patch"]),
        crule(["discovery.k8s.io"], ["endpointslices"], RO)], labels=alb_labels)
    k.crb("aws-load-balancer-controller-rolebinding", "aws-load-balancer-controller-role",
          ["sa:kube-system/aws-load-balancer-controller"], labels=alb_labels)
    k.role("kube-system", "aws-load-balancer-controller-leader-election-role", [
        crule([""], ["configmaps"], ["create"]),
        crule([""], ["configmaps"], ["get", "patch", "update"], ["aws-load-balancer-controller-leader"]),
        crule(["coordination.k8s.io"], ["leases"], ["create"]),
        crule(["coordination.k8s.io"], ["leases"], ["get", "update", "patch"], ["aws-load-balancer-controller-leader"])],
        labels=alb_labels)
    k.rb("kube-system", "aws-load-balancer-controller-leader-election-rolebinding", "Role",
         "aws-load-balancer-controller-leader-election-role", ["sa:kube-system/aws-load-balancer-controller"],
         labels=alb_labels)
    nope("IRSA-005", **sa_subj("kube-system", "aws-load-balancer-controller"))
    nope("IRSA-008", **sa_subj("kube-system", "aws-load-balancer-controller"))
    nope("IAM-003", kind="IamRole", arn=alb_role)

    # ---------------- kube-system: aws-ebs-csi-driver (real IAM policy)
    ebs_role = iam.role("AmazonEKS_EBS_CSI_DriverRole", irsa_trust("kube-system", "ebs-csi-controller-sa"),
                        attached=["prod-eks-ebs-csi-driver"], tags={"cluster": CLUSTER})
    ebs_labels = {"app.kubernetes.io/name": "aws-ebs-csi-driver", "app.kubernetes.io/component": "csi-driver",
                  "app.kubernetes.io/managed-by": "EKS"}
    k.sa("kube-system", "ebs-csi-controller-sa", ebs_role, created=T_PLATFORM, labels=ebs_labels)
    k.sa("kube-system", "ebs-csi-node-sa", created=T_PLATFORM, labels=ebs_labels)
    ebs_img = "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.37.0"
    k.deployment("kube-system", "ebs-csi-controller", "ebs-csi-controller-sa",
                 [{"name": "ebs-plugin", "image": ebs_img, "args": ["controller", "--endpoint=$(CSI_ENDPOINT)"]},
                  {"name": "csi-provisioner", "image": "public.ecr.aws/eks-distro/kubernetes-csi/external-provisioner:v5.1.0-eks-1-31-7"},
                  {"name": "csi-attacher", "image": "public.ecr.aws/eks-distro/kubernetes-csi/external-attacher:v4.7.0-eks-1-31-7"},
                  {"name": "csi-resizer", "image": "public.ecr.aws/eks-distro/kubernetes-csi/external-resizer:v1.12.0-eks-1-31-7"}],
                 replicas=2, labels=dict(ebs_labels, app="ebs-csi-controller"), irsa=ebs_role, created=T_PLATFORM,
                 extra={"priorityClassName": "system-cluster-critical"})
    k.daemonset("kube-system", "ebs-csi-node", "ebs-csi-node-sa",
                [{"name": "ebs-plugin", "image": ebs_img, "args": ["node", "--endpoint=$(CSI_ENDPOINT)"],
                  "securityContext": {"privileged": True}},
                 {"name": "node-driver-registrar",
                  "image": "public.ecr.aws/eks-distro/kubernetes-csi/node-driver-registrar:v2.12.0-eks-1-31-7"}],
                labels=dict(ebs_labels, app="ebs-csi-node"), created=T_PLATFORM,
                extra={"priorityClassName": "system-node-critical"})
    k.cluster_role("ebs-external-provisioner-role", [
        crule([""], ["persistentvolumes"], ["get", "list", "watch", "create", "patch", "delete"]),
        crule([""], ["persistentvolumeclaims"], ["get", "list", "watch", "update"]),
        crule(["storage.k8s.io"], ["storageclasses"], RO),
        crule([""], ["events"], ["list", "watch", "create", "update", "patch"]),
        crule(["snapshot.storage.k8s.io"], ["volumesnapshots", "volumesnapshotcontents"], ["get", "list"]),
        crule(["storage.k8s.io"], ["csinodes"], RO), crule([""], ["nodes"], RO),
        crule(["coordination.k8s.io"], ["leases"], ["get", "watch", "list", "delete", "update", "create"]),
        crule(["storage.k8s.io"], ["volumeattachments"], RO)], labels=ebs_labels)
    k.cluster_role("ebs-external-attacher-role", [
        crule([""], ["persistentvolumes"], ["get", "list", "watch", "update", "patch"]),
        crule([""], ["nodes"], RO), crule(["csi.storage.k8s.io"], ["csinodeinfos"], RO),
        crule(["storage.k8s.io"], ["volumeattachments"], ["get", "list", "watch", "update", "patch"]),
        crule(["storage.k8s.io"], ["volumeattachments/status"], ["patch"])], labels=ebs_labels)
    k.cluster_role("ebs-external-resizer-role", [
        crule([""], ["persistentvolumes"], ["get", "list", "watch", "patch"]),
        crule([""], ["persistentvolumeclaims"], RO), crule([""], ["pods"], ["list", "watch"]),
        crule([""], ["persistentvolumeclaims/status"], ["patch"]),
        crule([""], ["events"], ["list", "watch", "create", "update", "patch"]),
        crule(["storage.k8s.io"], ["volumeattributesclasses"], RO)], labels=ebs_labels)
    k.cluster_role("ebs-csi-node-role", [crule([""], ["nodes"], ["get", "patch"]),
                                         crule(["storage.k8s.io"], ["volumeattachments"], RO),
                                         crule(["storage.k8s.io"], ["csinodes"], ["get"])], labels=ebs_labels)
    for r in ["provisioner", "attacher", "resizer"]:
        k.crb(f"ebs-csi-{r}-binding", f"ebs-external-{r}-role", ["sa:kube-system/ebs-csi-controller-sa"],
              labels=ebs_labels)
    k.crb("ebs-csi-node-getter-binding", "ebs-csi-node-role", ["sa:kube-system/ebs-csi-node-sa"], labels=ebs_labels)
    nope("IRSA-005", **sa_subj("kube-system", "ebs-csi-controller-sa"))

    # ---------------- kube-system: cluster-autoscaler (real manifest, IRSA annotation added)
    ca_role = iam.role(f"{CLUSTER}-cluster-autoscaler", irsa_trust("kube-system", "cluster-autoscaler"),
                       attached=["prod-eks-cluster-autoscaler"])
    for d in ca_docs:
        kind, md = d["kind"], d["metadata"]
        ns = md.get("namespace")
        labels = md.get("labels")
        if kind == "ServiceAccount":
            k.sa(ns, md["name"], ca_role, created=T_PLATFORM, labels=labels)
        elif kind == "ClusterRole":
            k.cluster_role(md["name"], d["rules"], labels=labels)
        elif kind == "Role":
            k.role(ns, md["name"], d["rules"], labels=labels)
        elif kind == "ClusterRoleBinding":
            k.add({"apiVersion": d["apiVersion"], "kind": kind,
                   "metadata": meta(kind, md["name"], None, T_PLATFORM, labels),
                   "roleRef": d["roleRef"], "subjects": d["subjects"]})
        elif kind == "RoleBinding":
            k.add({"apiVersion": d["apiVersion"], "kind": kind,
                   "metadata": meta(kind, md["name"], ns, T_PLATFORM, labels),
                   "roleRef": d["roleRef"], "subjects": d["subjects"]})
        elif kind == "Deployment":
            spec = d["spec"]["template"]["spec"]
            c = spec["containers"][0]
            c["command"] = [a.replace("<YOUR CLUSTER NAME>", CLUSTER) for a in c["command"]]
            extra = {kk: vv for kk, vv in spec.items() if kk not in ("containers", "serviceAccountName")}
            k.deployment(ns, md["name"], spec["serviceAccountName"], [c], replicas=d["spec"]["replicas"],
                         labels=md.get("labels"), irsa=ca_role, created=T_PLATFORM, extra=extra)
    nope("IRSA-005", **sa_subj("kube-system", "cluster-autoscaler"))

    # ---------------- kube-system: planted RBAC problems
    # RBAC-011: a home-grown kubelet CSR approver that may approve for every signer
    k.sa("kube-system", "kubelet-csr-approver", created="2025-07-08T12:30:00Z",
         labels={"app.kubernetes.io/name": "kubelet-csr-approver"})
    k.deployment("kube-system", "kubelet-csr-approver", "kubelet-csr-approver",
                 [{"name": "kubelet-csr-approver", "image": "ghcr.io/postfinance/kubelet-csr-approver:v1.2.3",
                   "args": ["-metrics-bind-address", ":8080", "-health-probe-bind-address", ":8081"]}],
                 replicas=1, created="2025-07-08T12:30:00Z")
    k.cluster_role("kubelet-csr-approver", [
        crule(["certificates.k8s.io"], ["certificatesigningrequests"], RO),
        crule(["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"]),
        crule(["certificates.k8s.io"], ["signers"], ["approve"]),
        crule([""], ["events"], ["create"])], created="2025-07-08T12:30:00Z")
    k.crb("kubelet-csr-approver", "kubelet-csr-approver", ["sa:kube-system/kubelet-csr-approver"],
          created="2025-07-08T12:30:00Z")
    exp("RBAC-011", **sa_subj("kube-system", "kubelet-csr-approver"))
    # RBAC-008: the IaC runner may rewrite aws-auth
    k.role("kube-system", "aws-auth-editor", [
        crule([""], ["configmaps"], ["get", "update", "patch"], ["aws-auth"])], created="2025-04-22T13:20:00Z")
    k.rb("kube-system", "atlantis-aws-auth-editor", "Role", "aws-auth-editor", ["sa:ci/atlantis"],
         created="2025-04-22T13:20:00Z")
    exp("RBAC-008", **sa_subj("ci", "atlantis"))

    # ---------------- karpenter
    karp_role = iam.role(f"KarpenterControllerRole-{CLUSTER}", irsa_trust("karpenter", "karpenter"),
                         attached=[f"KarpenterControllerPolicy-{CLUSTER}"], tags={"karpenter.sh/discovery": CLUSTER})
    kl = {"app.kubernetes.io/name": "karpenter", "app.kubernetes.io/instance": "karpenter",
          "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "karpenter-1.1.1"}
    k.sa("karpenter", "karpenter", karp_role, created=T_PLATFORM, labels=kl)
    k.deployment("karpenter", "karpenter", "karpenter",
                 [{"name": "controller", "image": "public.ecr.aws/karpenter/controller:1.1.1",
                   "env": [{"name": "CLUSTER_NAME", "value": CLUSTER},
                           {"name": "INTERRUPTION_QUEUE", "value": f"Karpenter-{CLUSTER}"}]}],
                 replicas=2, labels=kl, irsa=karp_role, created=T_PLATFORM,
                 extra={"priorityClassName": "system-cluster-critical"})
    k.cluster_role("karpenter-core", [
        crule(["karpenter.sh"], ["nodepools", "nodepools/status", "nodeclaims", "nodeclaims/status"], RO),
        crule([""], ["pods", "nodes", "persistentvolumes", "persistentvolumeclaims", "replicationcontrollers",
                     "namespaces"], RO),
        crule(["storage.k8s.io"], ["storageclasses", "csinodes", "volumeattachments"], RO),
        crule(["apps"], ["daemonsets", "deployments", "replicasets", "statefulsets"], ["list", "watch"]),
        crule(["policy"], ["poddisruptionbudgets"], RO),
        crule(["karpenter.sh"], ["nodeclaims", "nodeclaims/status"], ["create", "delete", "update", "patch"]),
        crule(["karpenter.sh"], ["nodepools", "nodepools/status"], ["update", "patch"]),
        crule([""], ["events"], ["create", "patch"]),
        crule([""], ["nodes"], ["patch", "delete", "update"]),
        crule([""], ["pods/eviction"], ["create"]),
        crule([""], ["pods"], ["delete"])], labels=kl)
    k.cluster_role("karpenter", [
        crule(["karpenter.k8s.aws"], ["ec2nodeclasses"], RO),
        crule(["karpenter.k8s.aws"], ["ec2nodeclasses", "ec2nodeclasses/status"], ["patch", "update"])], labels=kl)
    k.crb("karpenter-core", "karpenter-core", ["sa:karpenter/karpenter"], labels=kl)
    k.crb("karpenter", "karpenter", ["sa:karpenter/karpenter"], labels=kl)
    k.role("karpenter", "karpenter", [
        crule(["coordination.k8s.io"], ["leases"], ["get", "watch"]),
        crule(["coordination.k8s.io"], ["leases"], ["patch", "update"], ["karpenter-leader-election"]),
        crule(["coordination.k8s.io"], ["leases"], ["create"])], labels=kl)
    k.rb("karpenter", "karpenter", "Role", "karpenter", ["sa:karpenter/karpenter"], labels=kl)
    nope("IRSA-005", **sa_subj("karpenter", "karpenter"))
    nope("IAM-003", kind="IamRole", arn=karp_role)

    # ---------------- external-dns
    edns_role = iam.role(f"{CLUSTER}-external-dns", irsa_trust("external-dns", "external-dns"),
                         attached=["prod-eks-external-dns"])
    el = {"app.kubernetes.io/name": "external-dns", "app.kubernetes.io/instance": "external-dns"}
    k.sa("external-dns", "external-dns", edns_role, created=T_PLATFORM, labels=el)
    k.deployment("external-dns", "external-dns", "external-dns",
                 [{"name": "external-dns", "image": "registry.k8s.io/external-dns/external-dns:v0.15.1",
                   "args": ["--source=service", "--source=ingress", "--domain-filter=shop.acme-corp.example",
                            "--provider=aws", "--policy=upsert-only", "--aws-zone-type=public",
                            "--registry=txt", f"--txt-owner-id={CLUSTER}"]}],
                 replicas=1, labels=el, irsa=edns_role, created=T_PLATFORM)
    k.cluster_role("external-dns", [crule([""], ["nodes"], ["list", "watch"]),
                                    crule([""], ["pods"], RO), crule([""], ["services", "endpoints"], RO),
                                    crule(["discovery.k8s.io"], ["endpointslices"], RO),
                                    crule(["extensions", "networking.k8s.io"], ["ingresses"], RO)], labels=el)
    k.crb("external-dns-viewer", "external-dns", ["sa:external-dns/external-dns"], labels=el)
    nope("IRSA-005", **sa_subj("external-dns", "external-dns"))
    nope("IAM-002", kind="IamRole", arn=edns_role)

    # ---------------- cert-manager (DNS01 via Route 53)
    cm_role = iam.role(f"{CLUSTER}-cert-manager", irsa_trust("cert-manager", "cert-manager"), inline={
        "route53-dns01": doc(allow("route53:GetChange", "arn:aws:route53:::change/*"),
                             allow(["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                                   f"arn:aws:route53:::hostedzone/{zone}"),
                             allow("route53:ListHostedZonesByName", "*"))})
    cml = lambda comp: {"app.kubernetes.io/name": comp, "app.kubernetes.io/instance": "cert-manager",
                        "app.kubernetes.io/component": comp.replace("cert-manager-", "") if comp != "cert-manager" else "controller",
                        "app.kubernetes.io/version": "v1.16.2"}
    k.sa("cert-manager", "cert-manager", cm_role, created=T_PLATFORM, labels=cml("cert-manager"))
    k.sa("cert-manager", "cert-manager-cainjector", created=T_PLATFORM, labels=cml("cainjector"))
    k.sa("cert-manager", "cert-manager-webhook", created=T_PLATFORM, labels=cml("webhook"))
    k.deployment("cert-manager", "cert-manager", "cert-manager",
                 [{"name": "cert-manager-controller", "image": "quay.io/jetstack/cert-manager-controller:v1.16.2",
                   "args": ["--v=2", "--cluster-resource-namespace=$(POD_NAMESPACE)",
                            "--leader-election-namespace=kube-system"]}],
                 replicas=1, labels=cml("cert-manager"), irsa=cm_role, created=T_PLATFORM)
    k.deployment("cert-manager", "cert-manager-cainjector", "cert-manager-cainjector",
                 [{"name": "cert-manager-cainjector", "image": "quay.io/jetstack/cert-manager-cainjector:v1.16.2"}],
                 replicas=1, labels=cml("cainjector"), created=T_PLATFORM)
    k.deployment("cert-manager", "cert-manager-webhook", "cert-manager-webhook",
                 [{"name": "cert-manager-webhook", "image": "quay.io/jetstack/cert-manager-webhook:v1.16.2"}],
                 replicas=1, labels=cml("webhook"), created=T_PLATFORM)
    k.cluster_role("cert-manager-cainjector", [
        crule(["cert-manager.io"], ["certificates"], RO),
        crule([""], ["secrets"], RO),
        crule([""], ["events"], ["get", "create", "update", "patch"]),
        crule(["admissionregistration.k8s.io"], ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"],
              ["get", "list", "watch", "update", "patch"]),
        crule(["apiregistration.k8s.io"], ["apiservices"], ["get", "list", "watch", "update", "patch"]),
        crule(["apiextensions.k8s.io"], ["customresourcedefinitions"], ["get", "list", "watch", "update", "patch"])],
        labels=cml("cainjector"))
    k.cluster_role("cert-manager-controller-certificates", [
        crule(["cert-manager.io"], ["certificates", "certificates/status", "certificaterequests",
                                    "certificaterequests/status"], ["update", "patch"]),
        crule(["cert-manager.io"], ["certificates", "certificaterequests", "clusterissuers", "issuers"], RO),
        crule(["cert-manager.io"], ["certificates/finalizers", "certificaterequests/finalizers"], ["update"]),
        crule(["acme.cert-manager.io"], ["orders"], ["create", "delete", "get", "list", "watch"]),
        crule([""], ["secrets"], ["get", "list", "watch", "create", "update", "delete", "patch"]),
        crule([""], ["events"], ["create", "patch"])], labels=cml("cert-manager"))
    k.cluster_role("cert-manager-controller-issuers", [
        crule(["cert-manager.io"], ["issuers", "issuers/status"], ["update", "patch"]),
        crule(["cert-manager.io"], ["issuers"], RO),
        crule([""], ["secrets"], ["get", "list", "watch", "create", "update", "delete"]),
        crule([""], ["events"], ["create", "patch"])], labels=cml("cert-manager"))
    k.cluster_role("cert-manager-controller-challenges", [
        crule(["acme.cert-manager.io"], ["challenges", "challenges/status"], ["update", "patch"]),
        crule(["acme.cert-manager.io"], ["challenges"], RO),
        crule(["cert-manager.io"], ["issuers", "clusterissuers"], RO),
        crule([""], ["secrets"], RO),
        crule([""], ["events"], ["create", "patch"]),
        crule([""], ["pods", "services"], ["get", "list", "watch", "create", "delete"]),
        crule(["networking.k8s.io"], ["ingresses"], ["get", "list", "watch", "create", "delete", "update"]),
        crule(["acme.cert-manager.io"], ["challenges/finalizers"], ["update"])], labels=cml("cert-manager"))
    k.cluster_role("cert-manager-webhook:subjectaccessreviews", [
        crule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"])], labels=cml("webhook"))
    k.crb("cert-manager-cainjector", "cert-manager-cainjector", ["sa:cert-manager/cert-manager-cainjector"],
          labels=cml("cainjector"))
    for r in ["certificates", "issuers", "challenges"]:
        k.crb(f"cert-manager-controller-{r}", f"cert-manager-controller-{r}", ["sa:cert-manager/cert-manager"],
              labels=cml("cert-manager"))
    k.crb("cert-manager-webhook:subjectaccessreviews", "cert-manager-webhook:subjectaccessreviews",
          ["sa:cert-manager/cert-manager-webhook"], labels=cml("webhook"))
    exp("RBAC-013", **sa_subj("cert-manager", "cert-manager-cainjector"))
    exp("RBAC-002", **sa_subj("cert-manager", "cert-manager"))
    nope("IRSA-005", **sa_subj("cert-manager", "cert-manager"))

    # ---------------- monitoring
    ml = {"app.kubernetes.io/part-of": "kube-prometheus-stack", "release": "kube-prometheus-stack"}
    k.sa("monitoring", "kube-prometheus-stack-prometheus", created=T_PLATFORM, labels=ml)
    k.sa("monitoring", "kube-prometheus-stack-operator", created=T_PLATFORM, labels=ml)
    k.sa("monitoring", "kube-state-metrics", created=T_PLATFORM, labels=ml)
    k.sa("monitoring", "grafana", created=T_PLATFORM, labels=ml)
    k.sa("monitoring", "prometheus-node-exporter", created=T_PLATFORM, labels=ml)
    cw_role = iam.role(f"{CLUSTER}-yace-cloudwatch-exporter", irsa_trust("monitoring", "yace"),
                       attached=["CloudWatchReadOnlyAccess"], inline={"tag-discovery": doc(
                           allow(["tag:GetResources", "apigateway:GET"], "*"))})
    k.sa("monitoring", "yace", cw_role, created=T_PLATFORM, labels=ml)
    k.statefulset("monitoring", "prometheus-kube-prometheus-stack-prometheus", "kube-prometheus-stack-prometheus",
                  [{"name": "prometheus", "image": "quay.io/prometheus/prometheus:v3.0.1"},
                   {"name": "config-reloader", "image": "quay.io/prometheus-operator/prometheus-config-reloader:v0.79.2"}],
                  replicas=2, labels=dict(ml, **{"app.kubernetes.io/name": "prometheus"}), created=T_PLATFORM)
    k.deployment("monitoring", "kube-prometheus-stack-operator", "kube-prometheus-stack-operator",
                 [{"name": "kube-prometheus-stack", "image": "quay.io/prometheus-operator/prometheus-operator:v0.79.2"}],
                 replicas=1, labels=ml, created=T_PLATFORM)
    k.deployment("monitoring", "kube-state-metrics", "kube-state-metrics",
                 [{"name": "kube-state-metrics", "image": "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.14.0"}],
                 replicas=1, labels=ml, created=T_PLATFORM)
    k.deployment("monitoring", "grafana", "grafana",
                 [{"name": "grafana", "image": "docker.io/grafana/grafana:11.3.1"}], replicas=1, labels=ml,
                 created=T_PLATFORM)
    k.deployment("monitoring", "yace", "yace",
                 [{"name": "yace", "image": "ghcr.io/nerdswords/yet-another-cloudwatch-exporter:v0.61.2"}],
                 replicas=1, labels=ml, irsa=cw_role, created=T_PLATFORM)
    k.daemonset("monitoring", "prometheus-node-exporter", "prometheus-node-exporter",
                [{"name": "node-exporter", "image": "quay.io/prometheus/node-exporter:v1.8.2"}], labels=ml,
                created=T_PLATFORM, extra={"hostNetwork": True, "hostPID": True})
    k.cluster_role("kube-prometheus-stack-prometheus", [
        crule([""], ["nodes", "nodes/metrics", "services", "endpoints", "pods"], RO),
        crule(["discovery.k8s.io"], ["endpointslices"], RO),
        crule(["networking.k8s.io"], ["ingresses"], RO),
        {"nonResourceURLs": ["/metrics", "/metrics/cadvisor"], "verbs": ["get"]}], labels=ml)
    k.crb("kube-prometheus-stack-prometheus", "kube-prometheus-stack-prometheus",
          ["sa:monitoring/kube-prometheus-stack-prometheus"], labels=ml)
    k.cluster_role("kube-prometheus-stack-operator", [
        crule(["monitoring.coreos.com"], ["alertmanagers", "alertmanagers/finalizers", "alertmanagers/status",
                                          "alertmanagerconfigs", "prometheuses", "prometheuses/finalizers",
                                          "prometheuses/status", "thanosrulers", "servicemonitors", "podmonitors",
                                          "probes", "prometheusrules", "scrapeconfigs"], ["*"]),
        crule(["apps"], ["statefulsets"], ["*"]),
        crule([""], ["configmaps", "secrets"], ["*"]),
        crule([""], ["pods"], ["list", "delete"]),
        crule([""], ["services", "services/finalizers", "endpoints"], ["get", "create", "update", "delete"]),
        crule([""], ["nodes"], ["list", "watch"]),
        crule([""], ["namespaces"], RO),
        crule(["networking.k8s.io"], ["ingresses"], RO)], labels=ml)
    k.crb("kube-prometheus-stack-operator", "kube-prometheus-stack-operator",
          ["sa:monitoring/kube-prometheus-stack-operator"], labels=ml)
    k.cluster_role("kube-state-metrics", [
        crule(["certificates.k8s.io"], ["certificatesigningrequests"], ["list", "watch"]),
        crule([""], ["configmaps", "endpoints", "limitranges", "namespaces", "nodes", "persistentvolumeclaims",
                     "persistentvolumes", "pods", "replicationcontrollers", "resourcequotas", "secrets",
                     "services", "serviceaccounts"], ["list", "watch"]),
        crule(["apps"], ["daemonsets", "deployments", "replicasets", "statefulsets"], ["list", "watch"]),
        crule(["batch"], ["cronjobs", "jobs"], ["list", "watch"]),
        crule(["autoscaling"], ["horizontalpodautoscalers"], ["list", "watch"]),
        crule(["networking.k8s.io"], ["ingresses", "networkpolicies"], ["list", "watch"]),
        crule(["policy"], ["poddisruptionbudgets"], ["list", "watch"]),
        crule(["storage.k8s.io"], ["storageclasses", "volumeattachments"], ["list", "watch"])], labels=ml)
    k.crb("kube-state-metrics", "kube-state-metrics", ["sa:monitoring/kube-state-metrics"], labels=ml)
    exp("RBAC-002", **sa_subj("monitoring", "kube-state-metrics"))
    k.legacy_token("monitoring", "grafana-token", "grafana", "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2UifQ",
                   "2025-03-18T14:10:00Z")
    exp("RBAC-012", kind="Secret", namespace="monitoring", name="grafana-token")
    k.cluster_role("grafana-clusterrole", [crule([""], ["configmaps", "secrets"], RO)], labels=ml)
    k.crb("grafana-clusterrolebinding", "grafana-clusterrole", ["sa:monitoring/grafana"], labels=ml)
    # RBAC-010: a binding left behind for a log shipper that was uninstalled
    k.cluster_role("fluent-bit", [crule([""], ["namespaces", "pods"], RO)], created="2025-05-14T09:00:00Z",
                   labels={"app.kubernetes.io/name": "fluent-bit"})
    k.crb("fluent-bit", "fluent-bit", ["sa:monitoring/fluent-bit"], created="2025-05-14T09:00:00Z",
          labels={"app.kubernetes.io/name": "fluent-bit"})
    exp("RBAC-010", kind="ClusterRoleBinding", name="fluent-bit")
    # RBAC-007 (critical): anonymous scraping of /metrics "for the load balancer health check"
    k.cluster_role("metrics-reader", [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
                                      crule([""], ["nodes/metrics", "pods"], ["get", "list"])],
                   created="2025-09-02T16:40:00Z")
    k.crb("anonymous-metrics-reader", "metrics-reader", ["user:system:anonymous"], created="2025-09-02T16:40:00Z")
    exp("RBAC-007", kind="ClusterRoleBinding", name="anonymous-metrics-reader")
    nope("IRSA-005", **sa_subj("monitoring", "yace"))

    # ---------------- ci
    ci_l = {"app.kubernetes.io/part-of": "ci"}
    jenkins_role = iam.role(f"{CLUSTER}-ci-jenkins", irsa_trust("ci", "jenkins"), attached=["PowerUserAccess"],
                            created="2025-04-22T13:00:00Z", description="Jenkins agents: builds and integration tests")
    k.sa("ci", "jenkins", jenkins_role, created="2025-04-22T13:00:00Z", labels=ci_l)
    k.statefulset("ci", "jenkins", "jenkins",
                  [{"name": "jenkins", "image": "docker.io/jenkins/jenkins:2.479.2-lts-jdk21"}], replicas=1,
                  labels=ci_l, irsa=jenkins_role, created="2025-04-22T13:00:00Z")
    k.crb("jenkins-cluster-admin", "cluster-admin", ["sa:ci/jenkins"], created="2025-04-22T13:00:00Z")
    exp("RBAC-001", **sa_subj("ci", "jenkins"))
    exp("IAM-002", kind="IamRole", arn=jenkins_role)
    k.legacy_token("ci", "jenkins-token", "jenkins",
                   SECRET_MARKER + "." + "eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2ln",
                   "2025-04-22T13:01:10Z", last_used="2026-11-27")
    exp("RBAC-012", kind="Secret", namespace="ci", name="jenkins-token")

    deployer_role = iam.role(f"{CLUSTER}-ci-deployer", irsa_trust("ci", "deployer"), inline={
        "deploy-lambdas-and-ecs": doc(
            allow(["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:GetFunction"],
                  f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-*"),
            allow(["ecs:RegisterTaskDefinition", "ecs:UpdateService", "ecs:DescribeServices"], "*"),
            allow("iam:PassRole", "*"))}, created="2025-04-22T13:05:00Z")
    k.sa("ci", "deployer", deployer_role, created="2025-04-22T13:05:00Z", labels=ci_l)
    k.cronjob("ci", "nightly-deploy", "deployer",
              [{"name": "deploy", "image": "public.ecr.aws/aws-cli/aws-cli:2.22.10",
                "command": ["/scripts/deploy.sh"]}], "30 1 * * *", labels=ci_l, irsa=deployer_role,
              created="2025-04-22T13:05:00Z")
    exp("IAM-003", kind="IamRole", arn=deployer_role)
    # RBAC-003: the deployer may create any binding and bind any role
    k.cluster_role("ci-deployer", [
        crule(["apps"], ["deployments"], ["get", "list", "watch", "update", "patch"]),
        crule(["rbac.authorization.k8s.io"], ["rolebindings", "clusterrolebindings"], ["get", "list", "create", "update", "patch"]),
        crule(["rbac.authorization.k8s.io"], ["roles", "clusterroles"], ["get", "list", "bind", "escalate"])],
        created="2025-04-22T13:05:00Z")
    k.crb("ci-deployer", "ci-deployer", ["sa:ci/deployer"], created="2025-04-22T13:05:00Z")
    exp("RBAC-003", **sa_subj("ci", "deployer"))

    # RBAC-005: the GitLab runner may mint a token for any service account
    k.sa("ci", "gitlab-runner", created="2025-06-03T10:00:00Z", labels=ci_l)
    k.deployment("ci", "gitlab-runner", "gitlab-runner",
                 [{"name": "gitlab-runner", "image": "registry.gitlab.com/gitlab-org/gitlab-runner:alpine-v17.6.0"}],
                 replicas=1, labels=ci_l, created="2025-06-03T10:00:00Z")
    k.cluster_role("serviceaccount-token-creator", [crule([""], ["serviceaccounts/token"], ["create"]),
                                                    crule([""], ["serviceaccounts"], ["get", "list"])],
                   created="2025-06-03T10:00:00Z")
    k.crb("gitlab-runner-token-creator", "serviceaccount-token-creator", ["sa:ci/gitlab-runner"],
          created="2025-06-03T10:00:00Z")
    exp("RBAC-005", **sa_subj("ci", "gitlab-runner"))

    k.sa("ci", "atlantis", created="2025-04-22T13:20:00Z", labels=ci_l)
    k.statefulset("ci", "atlantis", "atlantis",
                  [{"name": "atlantis", "image": "ghcr.io/runatlantis/atlantis:v0.31.0"}], replicas=1, labels=ci_l,
                  created="2025-04-22T13:20:00Z")
    # RBAC-009: a binding to a Role that was deleted in a cleanup
    k.rb("ci", "release-bot", "Role", "release-manager", ["sa:ci/gitlab-runner"], created="2025-06-03T10:05:00Z")
    exp("RBAC-009", kind="RoleBinding", namespace="ci", name="release-bot")

    # ---------------- people: groups and users (mapped by access entries / aws-auth)
    k.crb("authenticated-view", "view", ["group:system:authenticated"], created="2025-08-19T17:22:00Z")
    exp("RBAC-007", kind="ClusterRoleBinding", name="authenticated-view")
    k.cluster_role("pod-debugger", [crule([""], ["pods", "pods/log"], RO),
                                    crule([""], ["pods/exec", "pods/attach", "pods/portforward"], ["create", "get"])],
                   created="2025-05-30T11:00:00Z")
    k.crb("sre-pod-debugger", "pod-debugger", ["group:sre"], created="2025-05-30T11:00:00Z")
    exp("RBAC-006", kind="Group", name="sre")
    k.cluster_role("oncall-impersonator", [crule([""], ["users", "groups", "serviceaccounts"], ["impersonate"])],
                   created="2025-10-07T08:00:00Z")
    k.crb("platform-oncall-impersonate", "oncall-impersonator", ["group:platform-oncall"],
          created="2025-10-07T08:00:00Z")
    exp("RBAC-003", kind="Group", name="platform-oncall")
    k.crb("readonly-users-view", "view", ["group:readonly-users"], created=T_PLATFORM)
    nope("RBAC-002", kind="Group", name="readonly-users")
    for ns in ["checkout", "catalog"]:
        k.rb(ns, f"{ns}-developers-view", "ClusterRole", "view", [f"group:{ns}-developers"], created=T_APPS)
    k.rb("data-platform", "data-engineers-admin", "ClusterRole", "admin", ["group:data-engineers"], created=T_APPS)

    # ---------------- payments (PATH-001 target)
    pay_role = iam.role(f"{CLUSTER}-payments-api", irsa_trust("payments", "payments-api"), inline={
        "payments-api": doc(
            allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
                  [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/payments-ledger",
                   f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/payments-ledger/index/*"]),
            allow(["kms:Decrypt", "kms:GenerateDataKey"],
                  f"arn:aws:kms:{REGION}:{ACCOUNT}:key/8d2f6c1a-4b7e-4f0a-9c3d-2e5b7a9f1c04"),
            allow(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "*",
                  sid="ReadProviderCredentials"))}, created=T_APPS)
    pl = {"team": "payments"}
    k.sa("payments", "payments-api", pay_role, created=T_APPS, labels=pl)
    k.deployment("payments", "payments-api", "payments-api",
                 [{"name": "api", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments/api:2026.11.3"}],
                 replicas=3, labels=pl, irsa=pay_role)
    k.sa("payments", "fraud-scoring", created=T_APPS, labels=pl)
    k.deployment("payments", "fraud-scoring", "fraud-scoring",
                 [{"name": "scorer", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments/fraud-scoring:1.14.0"}],
                 replicas=2, labels=pl)
    k.rb("payments", "payments-developers-edit", "ClusterRole", "edit", ["group:payments-developers"], created=T_APPS)
    exp("IAM-004", kind="IamRole", arn=pay_role)
    exp("RBAC-004", kind="Group", name="payments-developers")
    exp("PATH-001", kind="Group", name="payments-developers")
    nope("IRSA-005", **sa_subj("payments", "payments-api"))
    # IRSA-007: a role for a reconciler that was never deployed
    recon_role = iam.role(f"{CLUSTER}-payments-reconciler", irsa_trust("payments", "reconciler"), inline={
        "reconcile": doc(allow(["dynamodb:Query", "dynamodb:GetItem"],
                               f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/payments-ledger"),
                         allow("s3:PutObject", "arn:aws:s3:::acme-payments-reports-prod/reconciliation/*"))},
        created="2025-08-14T15:30:00Z", last_used=None)
    exp("IRSA-007", kind="IamRole", arn=recon_role)

    # ---------------- checkout
    cl = {"team": "checkout"}
    co_role = iam.role(f"{CLUSTER}-checkout-api", irsa_trust("checkout", "checkout-api"), inline={
        "checkout-api": doc(allow("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:checkout-orders"),
                            allow("s3:GetObject", "arn:aws:s3:::acme-checkout-config-prod/*"))}, created=T_APPS)
    k.sa("checkout", "checkout-api", co_role, created=T_APPS, labels=cl)
    k.deployment("checkout", "checkout-api", "checkout-api",
                 [{"name": "api", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout/api:4.22.1"}],
                 replicas=3, labels=cl, irsa=co_role)
    nope("IRSA-005", **sa_subj("checkout", "checkout-api"))
    nope("IAM-004", kind="IamRole", arn=co_role)
    # IRSA-005: trust copied from staging, still names checkout-staging
    cart_role = iam.role(f"{CLUSTER}-checkout-cart", irsa_trust("checkout-staging", "cart"), inline={
        "cart-sessions": doc(allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                                   f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/checkout-carts"))},
        created="2025-07-01T09:00:00Z")
    k.sa("checkout", "cart", cart_role, created=T_APPS, labels=cl)
    k.deployment("checkout", "cart", "cart",
                 [{"name": "cart", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout/cart:3.9.0"}],
                 replicas=2, labels=cl, irsa=cart_role)
    exp("IRSA-005", **sa_subj("checkout", "cart"))
    exp("IRSA-007", kind="IamRole", arn=cart_role)   # checkout-staging/cart does not exist in this cluster
    # IRSA-010: sub without aud
    ev_role = iam.role(f"{CLUSTER}-checkout-events", irsa_trust("checkout", "events-publisher", aud=False), inline={
        "publish": doc(allow("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/checkout"))})
    k.sa("checkout", "events-publisher", ev_role, created=T_APPS, labels=cl)
    k.deployment("checkout", "events-publisher", "events-publisher",
                 [{"name": "publisher", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout/events:1.3.2"}],
                 replicas=1, labels=cl, irsa=ev_role)
    exp("IRSA-010", kind="IamRole", arn=ev_role)
    nope("IRSA-005", **sa_subj("checkout", "events-publisher"))
    # IRSA-002: the role was never created (terraform PR not merged)
    k.sa("checkout", "receipts-mailer", role_arn(f"{CLUSTER}-checkout-receipts"), created="2026-10-30T14:00:00Z",
         labels=cl)
    k.deployment("checkout", "receipts-mailer", "receipts-mailer",
                 [{"name": "mailer", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/checkout/receipts:0.4.0"}],
                 replicas=1, labels=cl, irsa=role_arn(f"{CLUSTER}-checkout-receipts"), created="2026-10-30T14:00:00Z")
    exp("IRSA-002", **sa_subj("checkout", "receipts-mailer"))

    # ---------------- catalog
    cal = {"team": "catalog"}
    cat_role_name = f"{CLUSTER}-catalog-api"
    iam.policy("catalog-api-read", [
        doc(allow("s3:*", "*")),   # v1: the first draft, no longer the default version
        doc(allow("s3:GetObject", "arn:aws:s3:::acme-catalog-images-prod/*"))], created=T_APPS)
    cat_role = iam.role(cat_role_name, irsa_trust("catalog", "catalog-api"), attached=["catalog-api-read"],
                        created=T_APPS)
    k.sa("catalog", "catalog-api", cat_role, created=T_APPS, labels=cal)
    k.deployment("catalog", "catalog-api", "catalog-api",
                 [{"name": "api", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/catalog/api:7.1.0"}],
                 replicas=3, labels=cal, irsa=cat_role)
    nope("IRSA-005", **sa_subj("catalog", "catalog-api"))
    nope("IAM-004", kind="IamRole", arn=cat_role)
    nope("IAM-002", kind="IamRole", arn=cat_role)
    nope("IAM-006", kind="IamRole", arn=cat_role)
    # IRSA-006 (critical): "shared" role that admits every service account of the cluster
    shared_role = iam.role(f"{CLUSTER}-catalog-shared", irsa_trust("catalog", "*", op="StringLike",
                                                                  sub="system:serviceaccount:*:*"), inline={
        "catalog-shared": doc(allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                                    ["arn:aws:s3:::acme-catalog-feeds-prod", "arn:aws:s3:::acme-catalog-feeds-prod/*"]),
                              allow(["sqs:ReceiveMessage", "sqs:DeleteMessage"],
                                    f"arn:aws:sqs:{REGION}:{ACCOUNT}:catalog-index-updates"))},
        created="2025-06-20T10:00:00Z")
    k.sa("catalog", "catalog-indexer", shared_role, created=T_APPS, labels=cal)
    k.deployment("catalog", "catalog-indexer", "catalog-indexer",
                 [{"name": "indexer", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/catalog/indexer:2.8.5"}],
                 replicas=2, labels=cal, irsa=shared_role)
    exp("IRSA-006", kind="IamRole", arn=shared_role)
    # IRSA-008 + IAM-006: annotated, used by nothing, role idle since May
    resize_role = iam.role(f"{CLUSTER}-catalog-image-resizer", irsa_trust("catalog", "image-resizer"), inline={
        "images": doc(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::acme-catalog-images-prod/*"))},
        created="2025-05-06T10:50:00Z", last_used="2026-05-02T07:13:00Z")
    k.sa("catalog", "image-resizer", resize_role, created=T_APPS, labels=cal)
    exp("IRSA-008", **sa_subj("catalog", "image-resizer"))
    exp("IAM-006", kind="IamRole", arn=resize_role)
    # IRSA-001: a typo in the annotation (iam:<account> instead of iam::<account>)
    k.sa("catalog", "legacy-importer", f"arn:aws:iam:{ACCOUNT}:role/{CLUSTER}-catalog-importer",
         created="2025-05-06T11:00:00Z", labels=cal)
    k.cronjob("catalog", "legacy-importer", "legacy-importer",
              [{"name": "importer", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/catalog/importer:0.9.7"}],
              "0 3 * * *", labels=cal)
    exp("IRSA-001", **sa_subj("catalog", "legacy-importer"))
    # Pod Identity done right
    search_role = iam.role(f"{CLUSTER}-catalog-search", podid_trust(), inline={
        "opensearch": doc(allow(["es:ESHttpGet", "es:ESHttpPost", "es:ESHttpPut"],
                                f"arn:aws:es:{REGION}:{ACCOUNT}:domain/catalog-search/*"))}, created="2025-09-10T09:00:00Z")
    k.sa("catalog", "catalog-search", created=T_APPS, labels=cal)
    k.deployment("catalog", "catalog-search", "catalog-search",
                 [{"name": "search", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/catalog/search:5.0.2"}],
                 replicas=2, labels=cal, podid=True)

    # ---------------- data-platform
    dl = {"team": "data"}
    # IRSA-009: the namespace's default service account carries a role
    dp_default_role = iam.role(f"{CLUSTER}-data-platform-default", irsa_trust("data-platform", "default"), inline={
        "exports": doc(allow(["s3:PutObject"], "arn:aws:s3:::acme-data-exports-prod/nightly/*"))},
        created="2025-05-06T12:00:00Z")
    # replace the plain default SA created with the namespace
    for it in k.items:
        if it["kind"] == "ServiceAccount" and it["metadata"].get("namespace") == "data-platform" \
                and it["metadata"]["name"] == "default":
            it["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": dp_default_role}
    k.cronjob("data-platform", "nightly-export", None,
              [{"name": "export", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/data/exporter:1.2.0"}],
              "0 2 * * *", labels=dl, irsa=dp_default_role)
    exp("IRSA-009", **sa_subj("data-platform", "default"))
    # IAM-001: Airflow workers with AdministratorAccess
    airflow_role = iam.role(f"{CLUSTER}-data-platform-airflow", irsa_trust("data-platform", "airflow-worker"),
                            attached=["AdministratorAccess"], created="2025-05-06T12:10:00Z",
                            description="TEMPORARY: admin until DAG permissions are sorted out (DATA-311)")
    k.sa("data-platform", "airflow-worker", airflow_role, created=T_APPS, labels=dl)
    k.statefulset("data-platform", "airflow-worker", "airflow-worker",
                  [{"name": "worker", "image": "docker.io/apache/airflow:2.10.3-python3.12",
                    "args": ["celery", "worker"]}], replicas=2, labels=dl, irsa=airflow_role)
    exp("IAM-001", kind="IamRole", arn=airflow_role)
    # IAM-005 + PODID-005: the scheduler has IRSA and (unused) Pod Identity; it may assume any role
    sched_role = iam.role(f"{CLUSTER}-airflow-scheduler", irsa_trust("data-platform", "airflow-scheduler"), inline={
        "assume-tenant-roles": doc(allow("sts:AssumeRole", "*"),
                                   allow(["s3:GetObject", "s3:ListBucket"],
                                         ["arn:aws:s3:::acme-airflow-dags-prod", "arn:aws:s3:::acme-airflow-dags-prod/*"]))},
        created="2025-05-06T12:10:00Z")
    sched_podid_role = iam.role(f"{CLUSTER}-airflow-scheduler-podid", podid_trust(), inline={
        "dags": doc(allow(["s3:GetObject", "s3:ListBucket"],
                          ["arn:aws:s3:::acme-airflow-dags-prod", "arn:aws:s3:::acme-airflow-dags-prod/*"]))},
        created="2026-09-15T10:00:00Z")
    k.sa("data-platform", "airflow-scheduler", sched_role, created=T_APPS, labels=dl)
    k.deployment("data-platform", "airflow-scheduler", "airflow-scheduler",
                 [{"name": "scheduler", "image": "docker.io/apache/airflow:2.10.3-python3.12", "args": ["scheduler"]}],
                 replicas=1, labels=dl, irsa=sched_role, podid=True)
    exp("IAM-005", kind="IamRole", arn=sched_role)
    # IRSA-006 (high): a namespace-wide trust, with AmazonS3FullAccess (IAM-002)
    team_role = iam.role(f"{CLUSTER}-data-platform-team",
                         irsa_trust("data-platform", "*", op="StringLike", sub="system:serviceaccount:data-platform:*"),
                         attached=["AmazonS3FullAccess"], created="2025-05-06T12:20:00Z")
    k.sa("data-platform", "spark", team_role, created=T_APPS, labels=dl)
    k.deployment("data-platform", "spark-history-server", "spark",
                 [{"name": "history", "image": "docker.io/apache/spark:3.5.3"}], replicas=1, labels=dl, irsa=team_role)
    exp("IRSA-006", kind="IamRole", arn=team_role)
    exp("IAM-002", kind="IamRole", arn=team_role)
    # IRSA-003: a role in the data lake account, which was not audited
    k.sa("data-platform", "lake-sync", f"arn:aws:iam::{OTHER_ACCOUNT}:role/shared-data-lake-reader",
         created=T_APPS, labels=dl)
    k.cronjob("data-platform", "lake-sync", "lake-sync",
              [{"name": "sync", "image": "public.ecr.aws/aws-cli/aws-cli:2.22.10",
                "command": ["aws", "s3", "sync", "s3://acme-data-lake/curated/", "/data"]}], "15 * * * *", labels=dl)
    exp("IRSA-003", **sa_subj("data-platform", "lake-sync"))
    # Pod Identity service accounts
    for sa_name, image in [("trino", "docker.io/trinodb/trino:466"), ("flink", "docker.io/library/flink:1.20.0"),
                           ("kafka-connect", "quay.io/strimzi/kafka:0.44.0-kafka-3.8.0")]:
        k.sa("data-platform", sa_name, created=T_APPS, labels=dl)
        k.deployment("data-platform", sa_name, sa_name, [{"name": sa_name, "image": image}], replicas=1, labels=dl,
                     podid=True)
    flink_role = iam.role(f"{CLUSTER}-flink", irsa_trust("data-platform", "flink"), inline={
        "checkpoints": doc(allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                                 "arn:aws:s3:::acme-flink-checkpoints-prod/*"))}, created="2025-10-02T09:00:00Z")
    kc_role = iam.role(f"{CLUSTER}-kafka-connect", podid_trust(narrow=False), inline={
        "sink": doc(allow(["s3:PutObject"], "arn:aws:s3:::acme-data-lake-raw/kafka/*"))},
        created="2025-10-02T09:10:00Z")
    k.rb("data-platform", "airflow-pod-launcher", "Role", "airflow-pod-launcher", ["sa:data-platform/airflow-worker"])
    k.role("data-platform", "airflow-pod-launcher", [crule([""], ["pods"], ["create", "get", "list", "watch", "delete"]),
                                                     crule([""], ["pods/log"], ["get"])])

    # ---------------- aws-auth
    sso_platform_plain = role_arn(f"AWSReservedSSO_PlatformAdmin_8c2d4f1e6a7b9c03")
    map_roles = (
        f"- rolearn: {node_role}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups:\n"
        f"    - system:bootstrappers\n    - system:nodes\n"
        f"- rolearn: {karp_node_role}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups:\n"
        f"    - system:bootstrappers\n    - system:nodes\n"
        f"- rolearn: {sso_platform_plain}\n  username: platform-admin:{{{{SessionName}}}}\n  groups:\n"
        f"    - system:masters\n"
        f"- rolearn: {role_arn('AWSReservedSSO_ReadOnly_07b3d9e1f4a2c6d8')}\n  username: readonly:{{{{SessionName}}}}\n"
        f"  groups:\n    - readonly-users\n"
        f"- rolearn: {role_arn('eks-readonly-legacy')}\n  username: legacy-readonly\n  groups:\n    - readonly-users\n"
        f"- rolearn: {role_arn('gitlab-ci-deploy')}\n  groups:\n    - ci-deployers\n")
    map_users = (f"- userarn: arn:aws:iam::{ACCOUNT}:user/ci-legacy-deployer\n  username: ci-legacy-deployer\n"
                 f"  groups:\n    - readonly-users\n")
    aws_auth = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": meta("ConfigMap", "aws-auth", "kube-system", CLUSTER_CREATED),
                "data": {"mapRoles": map_roles, "mapUsers": map_users}}
    exp("AUTH-001", kind="AwsAuthEntry", arn=sso_platform_plain)
    exp("AUTH-002", kind="AwsAuthEntry", arn=role_arn("eks-readonly-legacy"))
    exp("AUTH-003", kind="AwsAuthEntry", arn=role_arn("gitlab-ci-deploy"))
    nope("AUTH-002", kind="AwsAuthEntry", arn=node_role)
    nope("AUTH-002", kind="AwsAuthEntry", arn=sso_platform_plain)
    nope("AUTH-003", kind="AwsAuthEntry", arn=node_role)

    # ---------------- EKS: cluster, access entries, pod identity associations
    cluster = {"cluster": {
        "name": CLUSTER, "arn": CLUSTER_ARN, "createdAt": "2025-03-10T09:12:44.511000+00:00",
        "version": K8S_VERSION, "endpoint": f"https://{OIDC_ID}.gr7.{REGION}.eks.amazonaws.com",
        "roleArn": role_arn(f"{CLUSTER}-cluster-role"),
        "resourcesVpcConfig": {
            "subnetIds": ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829", "subnet-0c3d4e5f60718293a"],
            "securityGroupIds": ["sg-0d4e5f60718293a4b"], "clusterSecurityGroupId": "sg-0e5f60718293a4b5c",
            "vpcId": "vpc-0f60718293a4b5c6d", "endpointPublicAccess": True, "endpointPrivateAccess": True,
            "publicAccessCidrs": ["0.0.0.0/0"]},
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4"},
        "logging": {"clusterLogging": [{"types": ["api", "audit"], "enabled": True},
                                       {"types": ["authenticator", "controllerManager", "scheduler"], "enabled": False}]},
        "identity": {"oidc": {"issuer": ISSUER}},
        "status": "ACTIVE",
        "certificateAuthority": {"data": base64.b64encode(b"demo cluster CA placeholder").decode()},
        "platformVersion": "eks.19",
        "tags": {"environment": "production", "owner": "platform"},
        "accessConfig": {"bootstrapClusterCreatorAdminPermissions": True, "authenticationMode": "API_AND_CONFIG_MAP"},
        "upgradePolicy": {"supportType": "STANDARD"}}}
    for r in ["AUTH-006", "AUTH-007", "AUTH-008"]:
        exp(r, kind="Cluster", name=CLUSTER)
    nope("IRSA-004", kind="Cluster", name=CLUSTER)
    nope("AUTH-005", kind="Cluster", name=CLUSTER)

    def entry(principal, etype="STANDARD", groups=(), username=None, policies=(), created="2025-03-10T09:13:02Z"):
        ident = h(principal, n=8)
        name = principal.split(":", 5)[5]
        e = {"clusterName": CLUSTER, "principalArn": principal, "kubernetesGroups": list(groups),
             "accessEntryArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:access-entry/{CLUSTER}/{name.split('/')[0]}/{ACCOUNT}/"
                               f"{name.split('/')[-1]}/{ident[:4]}-{ident[4:]}",
             "createdAt": created, "modifiedAt": created, "tags": {},
             "username": username or principal, "type": etype}
        e["associatedAccessPolicies"] = [
            {"policyArn": f"arn:aws:eks::aws:cluster-access-policy/{p}",
             "accessScope": {"type": "cluster", "namespaces": []} if not nss else {"type": "namespace", "namespaces": nss},
             "associatedAt": created, "modifiedAt": created} for p, nss in policies]
        return e

    entries = [
        entry(node_role, "EC2_LINUX", ["system:nodes"], "system:node:{{EC2PrivateDNSName}}"),
        entry(role_arn("terraform-platform"), username=f"arn:aws:sts::{ACCOUNT}:assumed-role/terraform-platform/{{{{SessionName}}}}",
              policies=[("AmazonEKSClusterAdminPolicy", [])]),
        entry(role_arn("AWSReservedSSO_PaymentsDeveloper_3f8a9b2c1d4e5f60", sso), groups=["payments-developers"],
              username="payments-dev:{{SessionName}}", policies=[("AmazonEKSViewPolicy", ["payments"])],
              created="2025-05-06T10:50:00Z"),
        entry(role_arn("AWSReservedSSO_DataEngineer_a41e7c0d2b9f8e35", sso), groups=["data-engineers"],
              username="data-eng:{{SessionName}}", policies=[("AmazonEKSViewPolicy", ["data-platform"])],
              created="2025-05-06T10:51:00Z"),
        entry(role_arn("AWSReservedSSO_PlatformAdmin_8c2d4f1e6a7b9c03", sso), groups=["sre", "platform-oncall"],
              username="platform-admin:{{SessionName}}", policies=[("AmazonEKSViewPolicy", [])],
              created="2025-05-06T10:52:00Z"),
        entry(role_arn("github-actions-checkout-deploy"), groups=[], username="github-checkout-deploy",
              policies=[("AmazonEKSEditPolicy", ["checkout"])], created="2025-07-15T12:00:00Z"),
    ]
    exp("AUTH-004", kind="AccessEntry", arn=role_arn("terraform-platform"))
    exp("AUTH-002", kind="AccessEntry", arn=role_arn("github-actions-checkout-deploy"))
    nope("AUTH-002", kind="AccessEntry", arn=role_arn("AWSReservedSSO_PaymentsDeveloper_3f8a9b2c1d4e5f60", sso))
    nope("AUTH-004", kind="AccessEntry", arn=role_arn("AWSReservedSSO_PaymentsDeveloper_3f8a9b2c1d4e5f60", sso))

    def assoc(ns, sa, role, created="2025-10-02T09:30:00Z"):
        aid = "a-" + h("assoc", ns, sa, n=17)
        return {"clusterName": CLUSTER, "namespace": ns, "serviceAccount": sa, "roleArn": role,
                "associationArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/{CLUSTER}/{aid}",
                "associationId": aid, "tags": {}, "createdAt": created, "modifiedAt": created,
                "ownerArn": "", "disableSessionTags": False}, aid

    assocs = []
    a, aid = assoc("catalog", "catalog-search", search_role, "2025-09-10T09:05:00Z")
    assocs.append(a)
    nope("PODID-001", kind="PodIdentityAssociation", namespace="catalog", name="catalog-search", id=aid)
    nope("PODID-002", kind="PodIdentityAssociation", namespace="catalog", name="catalog-search", id=aid)
    nope("PODID-004", kind="IamRole", arn=search_role)
    a, aid = assoc("data-platform", "trino", role_arn(f"{CLUSTER}-trino"))
    assocs.append(a)
    exp("PODID-001", kind="PodIdentityAssociation", namespace="data-platform", name="trino", id=aid)
    a, aid = assoc("data-platform", "flink", flink_role)
    assocs.append(a)
    exp("PODID-002", kind="PodIdentityAssociation", namespace="data-platform", name="flink", id=aid)
    a, aid = assoc("analytics", "etl-loader", kc_role, "2025-10-02T09:40:00Z")
    assocs.append(a)
    exp("PODID-003", kind="PodIdentityAssociation", namespace="analytics", name="etl-loader", id=aid)
    a, aid = assoc("data-platform", "kafka-connect", kc_role)
    assocs.append(a)
    exp("PODID-004", kind="IamRole", arn=kc_role)
    a, aid = assoc("data-platform", "airflow-scheduler", sched_podid_role, "2026-09-15T10:05:00Z")
    assocs.append(a)
    exp("PODID-005", **sa_subj("data-platform", "airflow-scheduler"))

    # ---------------- OIDC providers, caller identity
    oidc = {"OpenIDConnectProviderList": [
        {"Arn": GITHUB_PROVIDER_ARN, "Url": "token.actions.githubusercontent.com",
         "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"],
         "CreateDate": "2024-11-04T16:03:00Z", "Tags": []},
        {"Arn": PROVIDER_ARN, "Url": OIDC_HOST, "ClientIDList": ["sts.amazonaws.com"],
         "ThumbprintList": ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"], "CreateDate": "2025-03-10T09:30:12Z",
         "Tags": [{"Key": "alpha.eksctl.io/cluster-name", "Value": CLUSTER}]}]}
    sts = {"UserId": f"{aws_id('AROA', 'role', 'AWSReservedSSO_ReadOnly_07b3d9e1f4a2c6d8')}:auditor@acme-corp.example",
           "Account": ACCOUNT,
           "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_07b3d9e1f4a2c6d8/auditor@acme-corp.example"}

    # ---------------- nodes: one hardened managed node group (IMDSv2, hop limit 1), one
    # permissive (IMDSv1 allowed, hop limit 2), and a Karpenter node with the
    # EC2NodeClass defaults (IMDSv2, hop limit 1)
    legacy_role = iam.role(f"{CLUSTER}-legacy-batch-node-role", service_trust("ec2.amazonaws.com"),
                           created=CLUSTER_CREATED, instance_profile=True,
                           attached=["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
                                     "AmazonEKS_CNI_Policy"],
                           # grown over the years: batch jobs' bucket and "whatever EC2 the old autoscaler needed"
                           inline={"batch-artifacts": doc(allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                                                                ["arn:aws:s3:::acme-batch-artifacts",
                                                                 "arn:aws:s3:::acme-batch-artifacts/*"])),
                                   "legacy-autoscaler": doc(allow(["ec2:*", "autoscaling:*"]))},
                           description="Managed node group legacy-batch")
    node_specs = [
        # (node, group, role, metadata options of the running instance)
        (NODES[0], ("eks-nodegroup", "general"), node_role, {"HttpTokens": "required", "HttpPutResponseHopLimit": 1}),
        (NODES[1], ("eks-nodegroup", "general"), node_role, {"HttpTokens": "required", "HttpPutResponseHopLimit": 1}),
        (NODES[2], ("eks-nodegroup", "legacy-batch"), legacy_role,
         {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2}),
        (NODES[3], ("karpenter", "default"), karp_node_role, {"HttpTokens": "required", "HttpPutResponseHopLimit": 1}),
    ]
    reservations = []
    for i, (node, (gsrc, gname), role, mo) in enumerate(node_specs):
        iid = "i-0" + h("instance", node, n=16)
        zone = REGION + "abc"[i % 3]
        labels = {"kubernetes.io/hostname": node, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                  "node.kubernetes.io/instance-type": "m6i.xlarge", "topology.kubernetes.io/region": REGION,
                  "topology.kubernetes.io/zone": zone}
        tags = {f"kubernetes.io/cluster/{CLUSTER}": "owned", "Name": node}
        if gsrc == "eks-nodegroup":
            labels.update({"eks.amazonaws.com/nodegroup": gname, "eks.amazonaws.com/capacityType": "ON_DEMAND"})
            tags["eks:nodegroup-name"] = gname
            profile = role.rsplit("/", 1)[1]
        else:
            labels.update({"karpenter.sh/nodepool": gname, "karpenter.k8s.aws/ec2nodeclass": gname,
                           "karpenter.sh/capacity-type": "spot", "karpenter.sh/registered": "true"})
            tags.update({"karpenter.sh/nodepool": gname, "karpenter.k8s.aws/ec2nodeclass": gname})
            profile = KARPENTER_PROFILE
        k.add({"apiVersion": "v1", "kind": "Node",
               "metadata": meta("Node", node, created=T_PODS, labels=labels,
                                annotations={"alpha.kubernetes.io/provided-node-ip": "10.42.%d.%d" % (i * 20 + 11, i + 7)}),
               "spec": {"providerID": f"aws:///{zone}/{iid}"},
               "status": {"nodeInfo": {"kubeletVersion": f"v{K8S_VERSION}.2-eks-94953ac", "osImage": "Amazon Linux 2023",
                                       "containerRuntimeVersion": "containerd://1.7.22"},
                          "conditions": [{"type": "Ready", "status": "True"}]}})
        reservations.append({"ReservationId": "r-0" + h("reservation", node, n=16), "OwnerId": ACCOUNT, "Instances": [{
            "InstanceId": iid, "InstanceType": "m6i.xlarge", "ImageId": "ami-0" + h("ami", gname, n=16),
            "LaunchTime": T_PODS, "Placement": {"AvailabilityZone": zone}, "PrivateDnsName": node,
            "State": {"Code": 16, "Name": "running"},
            "IamInstanceProfile": {"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{profile}",
                                   "Id": aws_id("AIPA", "ip", profile)},
            "MetadataOptions": dict({"State": "applied", "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled",
                                     "InstanceMetadataTags": "disabled"}, **mo),
            "Tags": [{"Key": key, "Value": v} for key, v in sorted(tags.items())]}]})
    lt = {g: "lt-0" + h("lt", g, n=16) for g in ["general", "legacy-batch"]}
    nodegroups = []
    for g, role, ver in [("general", node_role, "3"), ("legacy-batch", legacy_role, "1")]:
        nodegroups.append({
            "nodegroupName": g, "nodegroupArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:nodegroup/{CLUSTER}/{g}/{uid('ng', g)}",
            "clusterName": CLUSTER, "version": K8S_VERSION, "releaseVersion": f"{K8S_VERSION}.2-20261115",
            "createdAt": CLUSTER_CREATED, "status": "ACTIVE", "capacityType": "ON_DEMAND",
            "scalingConfig": {"minSize": 1, "maxSize": 6, "desiredSize": 2 if g == "general" else 1},
            "instanceTypes": ["m6i.xlarge"], "amiType": "AL2023_x86_64_STANDARD", "nodeRole": role,
            "launchTemplate": {"name": f"{CLUSTER}-{g}", "version": ver, "id": lt[g]},
            "labels": {}, "tags": {"team": "platform"}})
    lt_versions = {"LaunchTemplateVersions": [
        {"LaunchTemplateId": lt["general"], "LaunchTemplateName": f"{CLUSTER}-general", "VersionNumber": 3,
         "CreateTime": T_RECENT, "DefaultVersion": True,
         "LaunchTemplateData": {"InstanceType": "m6i.xlarge", "MetadataOptions": {
             "HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"}}},
        {"LaunchTemplateId": lt["legacy-batch"], "LaunchTemplateName": f"{CLUSTER}-legacy-batch", "VersionNumber": 1,
         "CreateTime": CLUSTER_CREATED, "DefaultVersion": True,
         "LaunchTemplateData": {"InstanceType": "m6i.xlarge", "MetadataOptions": {
             "HttpTokens": "optional", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled"}}}]}
    # Karpenter's EC2NodeClass without metadataOptions: its defaults (IMDSv2, hop limit 1)
    k.add({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
           "metadata": meta("EC2NodeClass", "default", created=T_PLATFORM),
           "spec": {"role": f"KarpenterNodeRole-{CLUSTER}", "amiSelectorTerms": [{"alias": "al2023@latest"}],
                    "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": CLUSTER}}],
                    "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": CLUSTER}}]}})
    k.add({"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
           "metadata": meta("NodePool", "default", created=T_PLATFORM),
           "spec": {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                                          "name": "default"},
                                          "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In",
                                                            "values": ["spot", "on-demand"]}]}},
                    "limits": {"cpu": "200"}}})
    exp("NODE-001", kind="IamRole", arn=legacy_role)
    exp("NODE-003", kind="IamRole", arn=legacy_role)
    exp("IAM-002", kind="IamRole", arn=legacy_role)
    exp("NODE-002", kind="NodeGroup", name="legacy-batch", source="eks-nodegroup")
    for sa in ["aws-node", "kube-proxy"]:
        exp("NODE-004", **sa_subj("kube-system", sa))
    for arn in [node_role, karp_node_role]:
        nope("NODE-001", kind="IamRole", arn=arn)
        nope("NODE-003", kind="IamRole", arn=arn)
    nope("NODE-002", kind="NodeGroup", name="general", source="eks-nodegroup")
    nope("NODE-002", kind="NodeGroup", name="default", source="karpenter")

    # RBAC grants made by Kubernetes' own bootstrap bindings are not findings
    nope("RBAC-001", kind="Group", name="system:masters")
    # a cluster-admin's narrower RBAC findings are folded into its RBAC-001
    for r in ["RBAC-002", "RBAC-003", "RBAC-004", "RBAC-005", "RBAC-006", "RBAC-008", "RBAC-011", "RBAC-013"]:
        nope(r, **sa_subj("ci", "jenkins"))
    for b in ["system:basic-user", "system:discovery", "system:public-info-viewer"]:
        nope("RBAC-007", kind="ClusterRoleBinding", name=b)

    # kubectl prints the kinds in the order they were asked for
    order = ["Namespace", "Node", "ServiceAccount", "Pod", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet",
             "Job", "CronJob", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "EC2NodeClass", "NodePool"]
    k.items.sort(key=lambda o: (order.index(o["kind"]), o["metadata"].get("namespace", ""), o["metadata"]["name"]))
    kube = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": k.items}
    secrets = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": k.secrets}
    return {
        "kubernetes.json": kube,
        "kubernetes-aws-auth.json": aws_auth,
        "kubernetes-secrets.json": secrets,
        "iam.json": iam.dump(),
        "iam-oidc-providers.json": oidc,
        "eks-cluster.json": cluster,
        "eks-access-entries.json": {"accessEntries": entries},
        "eks-pod-identity-associations.json": {"associations": assocs},
        "sts-caller-identity.json": sts,
        "ec2-instances.json": {"Reservations": reservations},
        "eks-nodegroups.json": {"nodegroups": nodegroups},
        "ec2-launch-template-versions.json": lt_versions,
        "expect.json": {"expect": expect, "forbid": forbid, "forbid_any": ["API-", "CFG-"]},
    }


BOOTSTRAP_FILES = ["cluster-roles.yaml", "cluster-role-bindings.yaml", "controller-roles.yaml",
                   "controller-role-bindings.yaml", "namespace-roles.yaml", "namespace-role-bindings.yaml"]


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data")
    data_dir = os.path.abspath(data_dir)
    os.makedirs(OUT, exist_ok=True)
    files = build(data_dir)
    for name, obj in files.items():
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(obj, f, indent=1, ensure_ascii=False)
            f.write("\n")
    # Kubernetes' bootstrap RBAC, byte for byte, as one YAML stream of six `kind: List` documents
    parts = []
    for fn in BOOTSTRAP_FILES:
        with open(os.path.join(data_dir, "k8s-bootstrap-rbac", fn)) as f:
            text = f.read()
        if not text.endswith("\n"):
            text += "\n"
        parts.append(f"# kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/{fn}"
                     f" (Apache-2.0)\n---\n" + text)
    with open(os.path.join(OUT, "kubernetes-bootstrap-rbac.yaml"), "w") as f:
        f.write("# Kubernetes bootstrap RBAC, copied unmodified from upstream test fixtures. See README.md.\n")
        f.write("".join(parts))
    shutil.copyfile(os.path.join(data_dir, "LICENSE-moto"), os.path.join(OUT, "LICENSE-moto"))
    print(f"wrote {len(files) + 2} files to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
