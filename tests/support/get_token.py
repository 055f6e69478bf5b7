#!/usr/bin/env python3
"""A stand-in for `aws eks get-token` in the live tests' kubeconfig: prints the
ExecCredential kube-rs expects. Accepts and ignores the real command's flags
(`eks get-token --cluster-name NAME --region R`), so that iamscope can infer the
cluster name from them as it does from the real plugin."""
import json
import sys

if "get-token" not in sys.argv:
    sys.exit("usage: get_token.py eks get-token --cluster-name NAME [--region R]")
json.dump(
    {
        "kind": "ExecCredential",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "spec": {},
        "status": {"token": "iamscope-test-token"},
    },
    sys.stdout,
)
