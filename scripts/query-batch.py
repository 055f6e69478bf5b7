#!/usr/bin/env python3
"""Write N `can-i --batch` questions (JSON lines, query.md) about a snapshot
directory, for measuring batch mode (BENCHMARKS.md, issue 15):

    python3 scripts/query-batch.py /tmp/estates/real-medium 10000 > /tmp/q10k.jsonl
    iamscope can-i --from /tmp/estates/real-medium --batch /tmp/q10k.jsonl > /dev/null

The questions cycle through the kinds a batch user asks: Kubernetes requests
of service accounts, pods and groups, AWS actions of service accounts, pods
and IAM roles (on buckets, keys and tables, with and without context), and
web identity trust checks; subjects are picked with a fixed seed from the
snapshot's own service accounts, pods and roles.
"""

import json
import random
import sys
from pathlib import Path


def items(snapshot: Path):
    for f in sorted(snapshot.glob("kubernetes*.json")):
        doc = json.loads(f.read_text())
        yield from doc.get("items", [])


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: query-batch.py SNAPSHOT_DIR N")
    snap, n = Path(sys.argv[1]), int(sys.argv[2])
    sas, pods = [], []
    for o in items(snap):
        md = o.get("metadata", {})
        if o.get("kind") == "ServiceAccount":
            sas.append((md.get("namespace", ""), md.get("name", "")))
        elif o.get("kind") == "Pod":
            pods.append((md.get("namespace", ""), md.get("name", "")))
    iam = json.loads((snap / "iam.json").read_text()) if (snap / "iam.json").exists() else {}
    roles = [r["Arn"] for r in iam.get("RoleDetailList", [])]
    if not sas or not roles:
        sys.exit(f"{snap}: no service accounts or no IAM roles")
    rnd = random.Random(15)
    kube = [
        ("get", "", "secrets", ""),
        ("list", "", "pods", ""),
        ("create", "", "pods", ""),
        ("get", "", "pods", "log"),
        ("create", "", "pods", "exec"),
        ("patch", "apps", "deployments", ""),
        ("create", "", "serviceaccounts", "token"),
    ]
    aws = [
        ("s3:GetObject", "arn:aws:s3:::{b}/reports/x.csv"),
        ("s3:PutObject", "arn:aws:s3:::{b}/uploads/y"),
        ("s3:ListBucket", "arn:aws:s3:::{b}"),
        ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/{b}"),
        ("kms:Decrypt", "*"),
        ("secretsmanager:GetSecretValue", "*"),
        ("iam:PassRole", "*"),
    ]
    buckets = ["data", "payments-invoices", "logs", "ml-models"]
    out = sys.stdout
    for i in range(n):
        kind = i % 8
        ns, sa = rnd.choice(sas)
        subject = f"system:serviceaccount:{ns}:{sa}"
        if kind in (1, 5) and pods:
            pns, pod = rnd.choice(pods)
            subject = f"pod:{pns}/{pod}"
        if kind in (0, 1, 2):
            verb, group, res, sub = rnd.choice(kube)
            q = {"as": subject, "action": {"kube": {"verb": verb, "group": group,
                 "resource": res, "subresource": sub, "namespace": rnd.choice(sas)[0]}}}
            if kind == 2:
                q["as"] = f"group:system:serviceaccounts:{ns}"
        elif kind == 7:
            q = {"as": subject, "action": {"aws": "sts:AssumeRoleWithWebIdentity",
                 "resource": rnd.choice(roles)}}
        else:
            action, res = rnd.choice(aws)
            q = {"as": subject, "action": {"aws": action,
                 "resource": res.format(b=rnd.choice(buckets))}}
            if kind == 6:
                q["as"] = rnd.choice(roles)
            if kind == 4:
                q["context"] = {"aws:SourceIp": "10.1.2.3", "aws:SecureTransport": "true"}
                q["context_complete"] = True
        out.write(json.dumps(q) + "\n")


if __name__ == "__main__":
    main()
