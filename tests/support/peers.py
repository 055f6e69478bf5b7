#!/usr/bin/env python3
"""Test peers for tests/live.rs: a Kubernetes API (kmock) over TLS and an AWS
endpoint (moto), both seeded from a snapshot directory, with every request
recorded.

    .venv/bin/python tests/support/peers.py --seed DIR --run DIR [--forbid PLURAL]... [--deny ACTION]...
        [--fault SIDE:TARGET:KIND:COUNT[:retry-after=SECS]]... [--slow-secs N] [--endpoint-is-kube]

Faults (`--fault`, for the reliability tests): the first COUNT requests that
match get KIND instead of their answer, the later ones pass. SIDE:TARGET is
`k8s:PLURAL` (a list or get of that resource; `*` for any) or
`aws:ACTION` / `aws:SERVICE:ACTION` (e.g. `aws:iam:GetAccountAuthorizationDetails`).
KIND is one of:

* an HTTP status (500, 502, 503, 504, 429, ...): the error as that API
  sends it (a Kubernetes Status; an AWS XML or JSON error document);
* `Throttling` (aws): IAM/STS `Throttling` (HTTP 400), EKS `ThrottlingException` (429);
* `slow`: wait `--slow-secs` (default 30) before answering normally;
* `reset`: close the connection without an answer;
* `malformed`: HTTP 200 with a truncated body;
* `expire` (k8s): 410 Expired for a page requested with a continue token.

`retry-after=SECS` adds `Retry-After` (and, on Kubernetes, the Status'
`details.retryAfterSeconds`; on AWS, `x-amz-retry-after` in ms). Each logged
request names the fault it got (`"fault"`), with its time (`"t"`, seconds).

What is ours and what is the peers' (see `tests/live.rs` in docs/testing.md):

* kmock 0.8 (KubernetesEmulator) stores the objects and serves single-object
  GETs. It ignores `limit`/`continue`, label and field selectors and the
  metadata-only `Accept` header, returns list items without apiVersion/kind
  like the real API, and fails on `/api/v1/namespaces` (its path parser reads
  `namespaces` as a namespace prefix). A thin TLS front of ours
  (`KubeFront`) adds: bearer-token check, 403 for `--forbid` plurals, the
  request log, paging with continue tokens, field/label selectors,
  PartialObjectMetadataList answers, and namespaces.
* moto 5.2.5 (in-process ThreadedMotoServer) serves IAM, STS and EKS
  DescribeCluster. It has no EKS access entries or Pod Identity associations:
  `AwsFront` serves those few read-only endpoints itself from the seed, injects
  AccessDenied for `--deny` actions, records every request, and proxies the
  rest to moto. The seeded cluster's issuer, endpoint and accessConfig are set
  on moto's model object, since moto's CreateCluster cannot set them.

The peer runs until its standard input closes (the test's Drop guard closes it
and kills the process). It writes RUN/ready.json when it listens, and the
request logs RUN/kube-requests.jsonl and RUN/aws-requests.jsonl. It also
writes RUN/reference/: the snapshot a user would make of the same state with
kubectl and the aws CLI (made with boto3, the CLI's engine, directly against
moto, so not logged).
"""
import argparse
import asyncio
import base64
import datetime
import glob
import ipaddress
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse

ACCOUNT = "111122223333"
REGION = "us-east-1"
TOKEN = "iamscope-test-token"
CANARY = "LIVE-CANARY-secret-data-must-not-leak"
os.environ.setdefault("MOTO_ACCOUNT_ID", ACCOUNT)
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
# AWS managed policies (AdministratorAccess, …) exist in moto only when loaded.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

import logging  # noqa: E402

import aiohttp  # noqa: E402
import aiohttp.web as web  # noqa: E402
import boto3  # noqa: E402
import yaml  # noqa: E402
import kmock  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

# plural -> (group, version, kind, namespaced)
RESOURCES = {
    "namespaces": ("", "v1", "Namespace", False),
    "serviceaccounts": ("", "v1", "ServiceAccount", True),
    "pods": ("", "v1", "Pod", True),
    "secrets": ("", "v1", "Secret", True),
    "configmaps": ("", "v1", "ConfigMap", True),
    "deployments": ("apps", "v1", "Deployment", True),
    "daemonsets": ("apps", "v1", "DaemonSet", True),
    "statefulsets": ("apps", "v1", "StatefulSet", True),
    "replicasets": ("apps", "v1", "ReplicaSet", True),
    "jobs": ("batch", "v1", "Job", True),
    "cronjobs": ("batch", "v1", "CronJob", True),
    "roles": ("rbac.authorization.k8s.io", "v1", "Role", True),
    "rolebindings": ("rbac.authorization.k8s.io", "v1", "RoleBinding", True),
    "clusterroles": ("rbac.authorization.k8s.io", "v1", "ClusterRole", False),
    "clusterrolebindings": ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", False),
    "nodes": ("", "v1", "Node", False),
    "ec2nodeclasses": ("karpenter.k8s.aws", "v1", "EC2NodeClass", False),
    "nodepools": ("karpenter.sh", "v1", "NodePool", False),
}
PLURAL_OF_KIND = {v[2]: k for k, v in RESOURCES.items()}


def res_key(plural):
    group, version, _, _ = RESOURCES[plural]
    return f"{group}/{version}/{plural}" if group else f"{version}/{plural}"


def api_version(plural):
    group, version, _, _ = RESOURCES[plural]
    return f"{group}/{version}" if group else version


# ------------------------------------------------------------------ seed


def load_kube_seed(seed):
    """All objects of the seed's kubernetes*.json/yaml files, first one wins."""
    objs = {}
    names = sorted(glob.glob(os.path.join(seed, "kubernetes*.json")) + glob.glob(os.path.join(seed, "kubernetes*.yaml")))
    for path in names:
        with open(path) as f:
            docs = [json.load(f)] if path.endswith(".json") else list(yaml.safe_load_all(f))
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            for obj in doc.get("items", [doc]) if "items" in doc else [doc]:
                kind = obj.get("kind")
                if kind not in PLURAL_OF_KIND:
                    continue
                meta = obj.get("metadata", {})
                key = (PLURAL_OF_KIND[kind], meta.get("namespace"), meta.get("name"))
                objs.setdefault(key, obj)
    # A token Secret applied with kubectl: its data and the last-applied
    # annotation (which holds the data again) must never leave the cluster.
    canary = base64.b64encode(CANARY.encode()).decode()
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "canary-token",
            "namespace": "default",
            "annotations": {
                "kubernetes.io/service-account.name": "default",
                "kubectl.kubernetes.io/last-applied-configuration": json.dumps({"data": {"token": canary}, "note": CANARY}),
            },
        },
        "type": "kubernetes.io/service-account-token",
        "data": {"token": canary},
    }
    objs.setdefault(("secrets", "default", "canary-token"), secret)
    return objs


def iso(d):
    if isinstance(d, datetime.datetime):
        return d.isoformat()
    return d


def jsonable(v):
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items() if k != "ResponseMetadata"}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    return iso(v)


def epoch(s):
    if s is None:
        return None
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def seed_moto(url, seed):
    iam = boto3.client("iam", endpoint_url=url, region_name=REGION)
    eks = boto3.client("eks", endpoint_url=url, region_name=REGION)
    with open(os.path.join(seed, "iam.json")) as f:
        details = json.load(f)
    as_text = lambda d: d if isinstance(d, str) else json.dumps(d)  # noqa: E731
    skipped = []
    for p in details.get("Policies", []):
        if ":aws:policy/" in p["Arn"]:
            continue  # AWS managed: moto has its own copy
        doc = next((v["Document"] for v in p.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
        iam.create_policy(PolicyName=p["PolicyName"], Path=p.get("Path", "/"), PolicyDocument=as_text(doc))

    def attach(fn, **kw):
        try:
            fn(**kw)
        except Exception as e:  # an AWS managed policy moto does not know
            skipped.append(f"{kw}: {e}")

    for g in details.get("GroupDetailList", []):
        iam.create_group(GroupName=g["GroupName"], Path=g.get("Path", "/"))
        for p in g.get("GroupPolicyList", []):
            iam.put_group_policy(GroupName=g["GroupName"], PolicyName=p["PolicyName"], PolicyDocument=as_text(p["PolicyDocument"]))
        for a in g.get("AttachedManagedPolicies", []):
            attach(iam.attach_group_policy, GroupName=g["GroupName"], PolicyArn=a["PolicyArn"])
    for u in details.get("UserDetailList", []):
        kw = {"UserName": u["UserName"], "Path": u.get("Path", "/")}
        if u.get("Tags"):
            kw["Tags"] = u["Tags"]
        if u.get("PermissionsBoundary"):
            kw["PermissionsBoundary"] = u["PermissionsBoundary"]["PermissionsBoundaryArn"]
        iam.create_user(**kw)
        for g in u.get("GroupList", []):
            iam.add_user_to_group(GroupName=g, UserName=u["UserName"])
        for p in u.get("UserPolicyList", []):
            iam.put_user_policy(UserName=u["UserName"], PolicyName=p["PolicyName"], PolicyDocument=as_text(p["PolicyDocument"]))
        for a in u.get("AttachedManagedPolicies", []):
            attach(iam.attach_user_policy, UserName=u["UserName"], PolicyArn=a["PolicyArn"])
    for r in details.get("RoleDetailList", []):
        kw = {
            "RoleName": r["RoleName"],
            "Path": r.get("Path", "/"),
            "AssumeRolePolicyDocument": as_text(r["AssumeRolePolicyDocument"]),
        }
        if r.get("Tags"):
            kw["Tags"] = r["Tags"]
        if r.get("PermissionsBoundary"):
            kw["PermissionsBoundary"] = r["PermissionsBoundary"]["PermissionsBoundaryArn"]
        iam.create_role(**kw)
        for p in r.get("RolePolicyList", []):
            iam.put_role_policy(RoleName=r["RoleName"], PolicyName=p["PolicyName"], PolicyDocument=as_text(p["PolicyDocument"]))
        for a in r.get("AttachedManagedPolicies", []):
            attach(iam.attach_role_policy, RoleName=r["RoleName"], PolicyArn=a["PolicyArn"])
    with open(os.path.join(seed, "iam-oidc-providers.json")) as f:
        for p in json.load(f)["OpenIDConnectProviderList"]:
            iam.create_open_id_connect_provider(
                Url="https://" + p["Url"], ClientIDList=p["ClientIDList"], ThumbprintList=p["ThumbprintList"], Tags=p.get("Tags", [])
            )
    cluster = None
    path = os.path.join(seed, "eks-cluster.json")
    if os.path.exists(path):
        with open(path) as f:
            c = json.load(f)["cluster"]
        vpc = c.get("resourcesVpcConfig", {})
        eks.create_cluster(
            name=c["name"],
            version=c.get("version", "1.31"),
            roleArn=c["roleArn"],
            resourcesVpcConfig={
                k: vpc[k]
                for k in ("subnetIds", "securityGroupIds", "endpointPublicAccess", "endpointPrivateAccess", "publicAccessCidrs")
                if k in vpc
            },
            logging=c.get("logging", {}),
        )
        # CreateCluster cannot set these; set them on moto's model object.
        from moto.eks.models import eks_backends

        model = eks_backends[ACCOUNT][REGION].clusters[c["name"]]
        model.identity = c["identity"]
        model.endpoint = c["endpoint"]
        model.access_config = c.get("accessConfig")
        model.resources_vpc_config = dict(model.resources_vpc_config or {}, **vpc)
        cluster = c["name"]
    return skipped, cluster


def seed_nodes(url, seed, objs, cluster):
    """The seed's instance profiles, node instances, launch templates and node
    groups, in moto. moto makes its own instance and launch template IDs: the
    Nodes' spec.providerID is rewritten to the instances moto made."""
    iam = boto3.client("iam", endpoint_url=url, region_name=REGION)
    ec2 = boto3.client("ec2", endpoint_url=url, region_name=REGION)
    eks = boto3.client("eks", endpoint_url=url, region_name=REGION)
    with open(os.path.join(seed, "iam.json")) as f:
        for r in json.load(f).get("RoleDetailList", []):
            for ip in r.get("InstanceProfileList", []):
                iam.create_instance_profile(InstanceProfileName=ip["InstanceProfileName"], Path=ip.get("Path", "/"))
                iam.add_role_to_instance_profile(InstanceProfileName=ip["InstanceProfileName"], RoleName=r["RoleName"])
    path = os.path.join(seed, "ec2-instances.json")
    if not os.path.exists(path):
        return
    with open(path) as f:
        reservations = json.load(f)["Reservations"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    new_id = {}
    for res in reservations:
        for i in res["Instances"]:
            kw = {"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": i.get("InstanceType", "m5.large")}
            if i.get("IamInstanceProfile"):
                kw["IamInstanceProfile"] = {"Arn": i["IamInstanceProfile"]["Arn"]}
            if i.get("MetadataOptions"):
                kw["MetadataOptions"] = {k: v for k, v in i["MetadataOptions"].items()
                                         if k in ("HttpTokens", "HttpPutResponseHopLimit", "HttpEndpoint")}
            if i.get("Tags"):
                kw["TagSpecifications"] = [{"ResourceType": "instance", "Tags": i["Tags"]}]
            made = ec2.run_instances(**kw)["Instances"][0]["InstanceId"]
            new_id[i["InstanceId"]] = made
    for (plural, _, _), obj in objs.items():
        pid = obj.get("spec", {}).get("providerID", "") if plural == "nodes" else ""
        old = pid.rsplit("/", 1)[-1]
        if old in new_id:
            obj["spec"]["providerID"] = pid[: -len(old)] + new_id[old]
    templates = {}
    path = os.path.join(seed, "ec2-launch-template-versions.json")
    if os.path.exists(path):
        with open(path) as f:
            for v in json.load(f)["LaunchTemplateVersions"]:
                templates.setdefault(v["LaunchTemplateId"], []).append(v)
    new_lt = {}
    for old, versions in templates.items():
        versions.sort(key=lambda v: int(v["VersionNumber"]))
        by_number = {int(v["VersionNumber"]): v for v in versions}
        first = versions[0]
        made = ec2.create_launch_template(LaunchTemplateName=first["LaunchTemplateName"],
                                          LaunchTemplateData=first["LaunchTemplateData"])["LaunchTemplate"]
        new_lt[old] = made["LaunchTemplateId"]
        # moto numbers versions from 1: the ones the seed does not have repeat the last one it has
        last = first
        for n in range(2, int(versions[-1]["VersionNumber"]) + 1):
            last = by_number.get(n, last)
            ec2.create_launch_template_version(LaunchTemplateId=new_lt[old], LaunchTemplateData=last["LaunchTemplateData"])
        default = next((int(v["VersionNumber"]) for v in versions if v.get("DefaultVersion")), None)
        if default:
            ec2.modify_launch_template(LaunchTemplateId=new_lt[old], DefaultVersion=str(default))
    path = os.path.join(seed, "eks-nodegroups.json")
    if cluster and os.path.exists(path):
        with open(path) as f:
            for g in json.load(f)["nodegroups"]:
                kw = {"clusterName": cluster, "nodegroupName": g["nodegroupName"], "nodeRole": g["nodeRole"],
                      "subnets": ["subnet-0a1b2c3d"]}
                lt = g.get("launchTemplate")
                if lt and lt.get("id") in new_lt:
                    kw["launchTemplate"] = {"id": new_lt[lt["id"]], "version": lt.get("version", "$Default")}
                eks.create_nodegroup(**kw)


def write_reference(url, seed, kube_objs, out, eks_data):
    """The snapshot `kubectl` and the `aws` CLI would write of the same state."""
    os.makedirs(out, exist_ok=True)
    iam = boto3.client("iam", endpoint_url=url, region_name=REGION)
    sts = boto3.client("sts", endpoint_url=url, region_name=REGION)
    eks = boto3.client("eks", endpoint_url=url, region_name=REGION)

    def dump(name, value):
        with open(os.path.join(out, name), "w") as f:
            json.dump(value, f, indent=4)

    merged = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    for page in iam.get_paginator("get_account_authorization_details").paginate():
        for k in merged:
            merged[k].extend(jsonable(page.get(k, [])))
    dump("iam.json", merged)
    providers = []
    for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        got = jsonable(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=p["Arn"]))
        providers.append(dict({"Arn": p["Arn"]}, **got))
    dump("iam-oidc-providers.json", {"OpenIDConnectProviderList": providers})
    dump("sts-caller-identity.json", jsonable(sts.get_caller_identity()))
    if eks_data["cluster"] and os.path.exists(os.path.join(seed, "ec2-instances.json")):
        ec2 = boto3.client("ec2", endpoint_url=url, region_name=REGION)
        tag = f"kubernetes.io/cluster/{eks_data['cluster']}"
        instances = [i for page in ec2.get_paginator("describe_instances").paginate(Filters=[{"Name": "tag-key", "Values": [tag]}])
                     for r in page["Reservations"] for i in r["Instances"]]
        dump("ec2-instances.json", {"Reservations": [{"Instances": jsonable(instances)}]})
        groups = [jsonable(eks.describe_nodegroup(clusterName=eks_data["cluster"], nodegroupName=n)["nodegroup"])
                  for n in eks.list_nodegroups(clusterName=eks_data["cluster"])["nodegroups"]]
        dump("eks-nodegroups.json", {"nodegroups": groups})
        versions = []
        for g in groups:
            lt = g.get("launchTemplate")
            if lt and lt.get("id"):
                versions += jsonable(ec2.describe_launch_template_versions(
                    LaunchTemplateId=lt["id"], Versions=[lt.get("version", "$Default")])["LaunchTemplateVersions"])
        dump("ec2-launch-template-versions.json", {"LaunchTemplateVersions": versions})
    if eks_data["cluster"]:
        dump("eks-cluster.json", jsonable(eks.describe_cluster(name=eks_data["cluster"])))
        dump("eks-access-entries.json", {"accessEntries": eks_data["entries"]})
        dump("eks-pod-identity-associations.json", {"associations": eks_data["associations"]})
    lists = {"kubernetes.json": [], "kubernetes-secrets.json": []}
    aws_auth = None
    for (plural, ns, name), obj in kube_objs.items():
        if plural == "secrets":
            if obj.get("type") == "kubernetes.io/service-account-token":
                lists["kubernetes-secrets.json"].append(obj)
        elif plural == "configmaps":
            if (ns, name) == ("kube-system", "aws-auth"):
                aws_auth = obj
        else:
            lists["kubernetes.json"].append(obj)
    for name, items in lists.items():
        dump(name, {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items})
    dump("kubernetes-aws-auth.json", aws_auth or {"apiVersion": "v1", "kind": "List", "items": []})


# ------------------------------------------------------------------ logging


class Faults:
    """The `--fault` specs of one side, each with the requests left to fail."""

    KINDS = ("Throttling", "slow", "reset", "malformed", "expire")

    def __init__(self, specs, side):
        self.specs = []
        for spec in specs:
            parts = spec.split(":")
            if parts[0] != side:
                continue
            retry_after = None
            if parts[-1].startswith("retry-after="):
                retry_after = int(parts.pop().split("=", 1)[1])
            if len(parts) < 4:
                raise SystemExit(f"--fault {spec}: expected SIDE:TARGET:KIND:COUNT[:retry-after=SECS]")
            target, kind, count = ":".join(parts[1:-2]), parts[-2], int(parts[-1])
            if not (kind.isdigit() or kind in self.KINDS):
                raise SystemExit(f"--fault {spec}: unknown kind {kind}")
            self.specs.append({"target": target, "kind": kind, "left": count, "retry_after": retry_after})

    def take(self, names, has_continue=False):
        """The fault for a request known by `names`, if one is left (counted down)."""
        for f in self.specs:
            if f["left"] <= 0 or not (f["target"] == "*" or f["target"] in names):
                continue
            if f["kind"] == "expire" and not has_continue:
                continue
            f["left"] -= 1
            return f
        return None


async def reset(request):
    """Close the connection without an answer."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise asyncio.CancelledError()


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def write(self, entry):
        entry.setdefault("t", round(time.time(), 3))
        with self.lock:
            self.f.write(json.dumps(entry) + "\n")


# ------------------------------------------------------------------ kubernetes


def parse_kube_path(path):
    """(plural, namespace, name) of a core or group resource path, or None."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        rest = parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        rest = parts[3:]
    else:
        return None
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        ns, rest = rest[1], rest[2:]
    else:
        ns = None
    if not rest:
        return None
    if rest[0] == "namespaces" and ns is None:  # the namespaces resource itself
        return ("namespaces", None, rest[1] if len(rest) > 1 else None)
    return (rest[0], ns, rest[1] if len(rest) > 1 else None)


def match_fields(obj, selector):
    for term in filter(None, (selector or "").split(",")):
        neg = "!=" in term
        key, _, want = term.partition("!=" if neg else "=")
        want = want.lstrip("=")
        if key == "type":
            got = obj.get("type")
        elif key == "metadata.name":
            got = obj.get("metadata", {}).get("name")
        elif key == "metadata.namespace":
            got = obj.get("metadata", {}).get("namespace")
        else:
            raise ValueError(f'field label not supported: "{key}"')
        if (got == want) == neg:
            return False
    return True


def match_labels(obj, selector):
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in filter(None, (selector or "").split(",")):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k) == v:
                return False
        elif "=" in term:
            k, v = term.split("=", 1)
            if labels.get(k) != v.lstrip("="):
                return False
        elif labels.get(term) is None:
            return False
    return True


def status(code, reason, message):
    return web.json_response(
        {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code},
        status=code,
    )


class KubeFront:
    def __init__(self, emulator, backend_url, log, forbid, faults):
        self.k = emulator
        self.backend = backend_url
        self.log = log
        self.forbid = set(forbid)
        self.faults = faults
        self.session = None
        self.slow_secs = 30

    async def handle(self, request):
        entry = {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "accept": request.headers.get("Accept", ""),
        }
        parsed = parse_kube_path(request.path)
        fault = None
        if parsed is not None:
            fault = self.faults.take({parsed[0]}, has_continue=bool(request.query.get("continue")))
        entry["fault"] = fault and fault["kind"]
        self.log.write(entry)
        if fault:
            answer = await self.inject(request, fault, parsed[0])
            if answer is not None:
                return answer
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return status(401, "Unauthorized", "Unauthorized")
        if request.method != "GET":
            return status(405, "MethodNotAllowed", f"the test peer is read-only: {request.method}")
        if parsed is None:
            return await self.proxy(request)  # discovery and the like: kmock's own
        plural, ns, name = parsed
        if plural not in RESOURCES:
            return status(404, "NotFound", f"the server could not find the requested resource ({plural})")
        if plural in self.forbid:
            group = RESOURCES[plural][0]
            verb = "get" if name else ("watch" if request.query.get("watch") else "list")
            scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
            return status(
                403,
                "Forbidden",
                f'{plural} is forbidden: User "iamscope" cannot {verb} resource "{plural}" in API group "{group}" {scope}',
            )
        if name is not None:
            if plural == "namespaces":
                obj = self.find(plural, None, name)
                return web.json_response(obj) if obj else status(404, "NotFound", f'namespaces "{name}" not found')
            return await self.proxy(request)
        return await self.list(request, plural, ns)

    async def inject(self, request, fault, plural):
        """The faulty answer, or None to answer normally (after a `slow` wait)."""
        kind = fault["kind"]
        if kind == "slow":
            await asyncio.sleep(self.slow_secs)
            return None
        if kind == "reset":
            await reset(request)
        if kind == "malformed":
            return web.Response(body=b'{"kind": "List", "apiVersion": "v1", "metadata": {}, "items": [{"metadata": {"na', content_type="application/json")
        if kind == "expire":
            return status(
                410,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
            )
        code = int(kind)
        reason = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}.get(code, "InternalError")
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": f"injected {code} for {plural}", "reason": reason, "code": code}
        headers = {}
        if fault["retry_after"] is not None:
            body["details"] = {"retryAfterSeconds": fault["retry_after"]}
            headers["Retry-After"] = str(fault["retry_after"])
        return web.json_response(body, status=code, headers=headers)

    def find(self, plural, ns, name):
        for (res, o_ns, o_name), obj in self.k.objects.items():
            if res.plural == plural and o_ns == ns and o_name == name and not obj.deleted:
                return obj.raw
        return None

    async def all_items(self, plural, ns):
        if plural == "namespaces":
            # kmock's path parser fails on /api/v1/namespaces: read its store directly.
            return [o.raw for (res, _, _), o in self.k.objects.items() if res.plural == "namespaces" and not o.deleted]
        group, version, _, _ = RESOURCES[plural]
        base = f"/apis/{group}/{version}" if group else "/api/v1"
        path = f"{base}/namespaces/{ns}/{plural}" if ns else f"{base}/{plural}"
        async with self.session.get(self.backend + path) as resp:
            if resp.status == 404:
                return []  # kmock knows a resource only once it holds an object of it
            data = await resp.json()
            return data.get("items", [])

    async def list(self, request, plural, ns):
        q = request.query
        items = await self.all_items(plural, ns)
        try:
            items = [o for o in items if match_fields(o, q.get("fieldSelector")) and match_labels(o, q.get("labelSelector"))]
        except ValueError as e:
            return status(400, "BadRequest", str(e))
        items.sort(key=lambda o: (o.get("metadata", {}).get("namespace") or "", o["metadata"]["name"]))
        offset = 0
        if q.get("continue"):
            try:
                offset = json.loads(base64.b64decode(q["continue"]))["offset"]
            except Exception:
                return status(400, "BadRequest", "invalid continue token")
        limit = int(q.get("limit", "0") or 0)
        page = items[offset : offset + limit] if limit > 0 else items[offset:]
        end = offset + len(page)
        meta = {"resourceVersion": "1000"}
        if end < len(items):
            meta["continue"] = base64.b64encode(json.dumps({"offset": end}).encode()).decode()
            meta["remainingItemCount"] = len(items) - end
        if "as=PartialObjectMetadataList" in request.headers.get("Accept", ""):
            return web.json_response(
                {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": meta,
                    "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]} for o in page],
                }
            )
        # As the real API: list items carry no apiVersion/kind.
        stripped = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")} for o in page]
        return web.json_response(
            {"kind": RESOURCES[plural][2] + "List", "apiVersion": api_version(plural), "metadata": meta, "items": stripped}
        )

    async def proxy(self, request):
        async with self.session.get(self.backend + request.path_qs) as resp:
            body = await resp.read()
            return web.Response(body=body, status=resp.status, content_type="application/json")


# ------------------------------------------------------------------ aws


def aws_error_json(code, message, status_code):
    return web.json_response({"message": message}, status=status_code, headers={"x-amzn-ErrorType": code})


def aws_error_query(code, message, status_code):
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>"
    )
    return web.Response(body=body.encode(), status=status_code, content_type="text/xml")


EKS_PAGE = 4  # small pages, so that the client's paging is exercised


class AwsFront:
    def __init__(self, moto_url, log, deny, eks_data, faults):
        self.moto = moto_url
        self.log = log
        self.deny = set(deny)
        self.eks = eks_data
        self.faults = faults
        self.session = None
        self.slow_secs = 30

    async def handle(self, request):
        body = await request.read()
        auth = request.headers.get("Authorization", "")
        m = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/", auth)
        service = m.group(2) if m else "?"
        action = None
        if service in ("iam", "sts", "ec2"):
            form = urllib.parse.parse_qs(body.decode(errors="replace"))
            action = (form.get("Action") or request.query.getall("Action", None) or ["?"])[0]
        elif service == "eks":
            action = self.eks_action(request.method, request.raw_path.split("?")[0])
        name = f"{service}:{action}"
        fault = self.faults.take({action, name})
        self.log.write({"service": service, "action": action, "method": request.method, "path": request.path, "fault": fault and fault["kind"]})
        if fault:
            answer = await self.inject(request, fault, service, name)
            if answer is not None:
                return answer
        if name in self.deny:
            msg = f"User: arn:aws:sts::{ACCOUNT}:assumed-role/auditor/test is not authorized to perform: {name}"
            if service == "eks":
                return aws_error_json("AccessDeniedException", msg, 403)
            return aws_error_query("AccessDenied", msg, 403)
        if service == "eks" and action in ("ListAccessEntries", "DescribeAccessEntry", "ListAssociatedAccessPolicies",
                                           "ListPodIdentityAssociations", "DescribePodIdentityAssociation"):
            return self.serve_eks(request, action)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self.session.request(request.method, self.moto + request.raw_path, data=body, headers=headers) as resp:
            data = await resp.read()
            out_headers = {k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "x-amzn-errortype", "x-amzn-requestid")}
            return web.Response(body=data, status=resp.status, headers=out_headers)

    async def inject(self, request, fault, service, name):
        """The faulty answer, or None to answer normally (after a `slow` wait)."""
        kind = fault["kind"]
        query = service in ("iam", "sts")
        if kind == "slow":
            await asyncio.sleep(self.slow_secs)
            return None
        if kind == "reset":
            await reset(request)
        if kind == "malformed":
            if query:
                action = name.split(":", 1)[1]
                body = f"<{action}Response><{action}Result><UserDetailList><member><Path>/</Pa"
                return web.Response(body=body.encode(), content_type="text/xml")
            return web.Response(body=b'{"cluster": {"name": "pro', content_type="application/json")
        if kind == "expire":
            return None
        if kind == "Throttling":
            code, status_code = ("Throttling", 400) if query else ("ThrottlingException", 429)
        else:
            status_code = int(kind)
            code = {429: "Throttling" if query else "ThrottlingException", 503: "ServiceUnavailable"}.get(status_code, "InternalFailure")
        msg = f"injected {code} for {name}"
        resp = aws_error_query(code, msg, status_code) if query else aws_error_json(code, msg, status_code)
        if fault["retry_after"] is not None:
            resp.headers["Retry-After"] = str(fault["retry_after"])
            resp.headers["x-amz-retry-after"] = str(fault["retry_after"] * 1000)
        return resp

    @staticmethod
    def eks_action(method, raw_path):
        parts = raw_path.strip("/").split("/")
        if method != "GET":
            return f"{method} {raw_path}"
        if parts == ["clusters"]:
            return "ListClusters"
        if parts[:1] != ["clusters"]:
            return f"GET {raw_path}"
        n = len(parts)
        if n == 2:
            return "DescribeCluster"
        if parts[2] == "access-entries":
            return {3: "ListAccessEntries", 4: "DescribeAccessEntry", 5: "ListAssociatedAccessPolicies"}.get(n, "?")
        if parts[2] == "node-groups":
            return {3: "ListNodegroups", 4: "DescribeNodegroup"}.get(n, "?")
        if parts[2] == "pod-identity-associations":
            return {3: "ListPodIdentityAssociations", 4: "DescribePodIdentityAssociation"}.get(n, "?")
        return f"GET {raw_path}"

    def serve_eks(self, request, action):
        parts = [urllib.parse.unquote(p) for p in request.raw_path.split("?")[0].strip("/").split("/")]
        cluster = parts[1]
        if cluster != self.eks["cluster"]:
            return aws_error_json("ResourceNotFoundException", f"No cluster found for name: {cluster}.", 404)
        token = int(request.query.get("nextToken", "0") or 0)
        size = int(request.query.get("maxResults", EKS_PAGE) or EKS_PAGE)

        def page(items):
            out = items[token : token + size]
            nxt = str(token + size) if token + size < len(items) else None
            return out, nxt

        def dates(d, keys):
            return {k: (epoch(v) if k in keys else v) for k, v in d.items()}

        entries = {e["principalArn"]: e for e in self.eks["entries"]}
        if action == "ListAccessEntries":
            out, nxt = page(list(entries))
            return web.json_response({"accessEntries": out, **({"nextToken": nxt} if nxt else {})})
        if action in ("DescribeAccessEntry", "ListAssociatedAccessPolicies"):
            e = entries.get(parts[3])
            if e is None:
                return aws_error_json("ResourceNotFoundException", f"The specified access entry resource is not found: {parts[3]}", 404)
            if action == "DescribeAccessEntry":
                entry = {k: v for k, v in e.items() if k != "associatedAccessPolicies"}
                return web.json_response({"accessEntry": dates(entry, ("createdAt", "modifiedAt"))})
            pols = [dates(p, ("associatedAt", "modifiedAt")) for p in e.get("associatedAccessPolicies", [])]
            out, nxt = page(pols)
            return web.json_response(
                {"clusterName": cluster, "principalArn": e["principalArn"], "associatedAccessPolicies": out, **({"nextToken": nxt} if nxt else {})}
            )
        assocs = {a["associationId"]: a for a in self.eks["associations"]}
        if action == "ListPodIdentityAssociations":
            summaries = [
                {k: a[k] for k in ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId", "ownerArn") if k in a}
                for a in assocs.values()
            ]
            out, nxt = page(summaries)
            return web.json_response({"associations": out, **({"nextToken": nxt} if nxt else {})})
        a = assocs.get(parts[3])
        if a is None:
            return aws_error_json("ResourceNotFoundException", f"Association not found: {parts[3]}", 404)
        return web.json_response({"association": dates(a, ("createdAt", "modifiedAt"))})


# ------------------------------------------------------------------ main


def make_cert(run):
    """A throwaway CA and the API server's certificate (127.0.0.1, localhost) signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, public_key, signing_key, ca):
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            b = b.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        return b.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iamscope-test-ca")])
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]), ca_name, key.public_key(), ca_key, False)
    ca_path, crt, pem = (os.path.join(run, n) for n in ("ca.crt", "apiserver.crt", "apiserver.key"))
    with open(ca_path, "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(crt, "wb") as f:
        f.write(leaf.public_bytes(serialization.Encoding.PEM))
    with open(pem, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return ca_path, crt, pem


async def serve(args):
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    run = args.run
    os.makedirs(run, exist_ok=True)

    # AWS: moto in-process, seeded, then our front.
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    skipped, cluster = seed_moto(moto_url, args.seed)
    eks_data = {"cluster": cluster, "entries": [], "associations": []}
    for name, key in (("eks-access-entries.json", "accessEntries"), ("eks-pod-identity-associations.json", "associations")):
        path = os.path.join(args.seed, name)
        if cluster and os.path.exists(path):
            with open(path) as f:
                eks_data["entries" if key == "accessEntries" else "associations"] = json.load(f)[key]

    # Kubernetes: kmock holds the objects.
    objs = load_kube_seed(args.seed)
    seed_nodes(moto_url, args.seed, objs, cluster)
    emulator = kmock.KubernetesEmulator()
    for plural in RESOURCES:
        _, _, kind, namespaced = RESOURCES[plural]
        emulator.resources[res_key(plural)] = {"kind": kind, "namespaced": namespaced, "verbs": ["get", "list"]}
    for (plural, ns, name), obj in objs.items():
        emulator.objects[res_key(plural), ns, name] = obj
    write_reference(moto_url, args.seed, objs, os.path.join(run, "reference"), eks_data)

    ca_path, crt, key = make_cert(run)
    sslctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    sslctx.load_cert_chain(crt, key)

    async with emulator, kmock.Server(emulator) as backend, aiohttp.ClientSession() as session:
        kube = KubeFront(emulator, str(backend.url).rstrip("/"), Log(os.path.join(run, "kube-requests.jsonl")), args.forbid, Faults(args.fault, "k8s"))
        kube.session = session
        kube.slow_secs = args.slow_secs
        aws = AwsFront(moto_url, Log(os.path.join(run, "aws-requests.jsonl")), args.deny, eks_data, Faults(args.fault, "aws"))
        aws.session = session
        aws.slow_secs = args.slow_secs
        runners = []
        urls = {}
        for label, front, ctx in (("kube", kube, sslctx), ("aws", aws, None)):
            server = web.Server(front.handle)
            runner = web.ServerRunner(server, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
            await site.start()
            sock_port = site._server.sockets[0].getsockname()[1]
            urls[label] = f"{'https' if ctx else 'http'}://127.0.0.1:{sock_port}"
            runners.append(runner)
        ready = {
            "kube_url": urls["kube"],
            "aws_url": urls["aws"],
            "ca": ca_path,
            "token": TOKEN,
            "account": ACCOUNT,
            "region": REGION,
            "cluster": cluster,
            "seed_skipped": skipped,
        }
        if args.endpoint_is_kube and cluster:
            # A kubeconfig whose server is this cluster's endpoint and that names no
            # cluster: iamscope must find it with eks:ListClusters + DescribeCluster
            # (moto serves both). A second cluster makes the match a real choice.
            from moto.eks.models import eks_backends

            eks_backends[ACCOUNT][REGION].clusters[cluster].endpoint = urls["kube"]
            boto3.client("eks", endpoint_url=moto_url, region_name=REGION).create_cluster(
                name="staging-eks",
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/staging-eks-cluster",
                resourcesVpcConfig={"subnetIds": []},
            )
        tmp = os.path.join(run, "ready.json.tmp")
        with open(tmp, "w") as f:
            json.dump(ready, f)
        os.replace(tmp, os.path.join(run, "ready.json"))

        # Run until the test closes our standard input (or dies).
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
        for r in runners:
            await r.cleanup()
    moto.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--forbid", action="append", default=[], help="a plural the test user may not list (403)")
    ap.add_argument("--deny", action="append", default=[], help="an AWS action to deny, e.g. iam:GetAccountAuthorizationDetails")
    ap.add_argument("--fault", action="append", default=[], help="SIDE:TARGET:KIND:COUNT[:retry-after=SECS], e.g. k8s:pods:500:2")
    ap.add_argument("--slow-secs", type=float, default=30, help="how long a `slow` fault waits")
    ap.add_argument("--endpoint-is-kube", action="store_true", help="the seeded EKS cluster's endpoint is the Kubernetes peer's URL, beside a second cluster")
    args = ap.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
