#!/usr/bin/env node
// Test peer driver for tests/iam_differential.rs: reads JSON-lines requests on
// stdin and prints, one line each, the decision of @cloud-copilot/iam-simulate
// (an independent IAM simulator, installed by scripts/peers.sh into
// .peers/node). Used only to compare answers, never by iamscope itself.
//
// Request: {"id": 1, "action": "s3:GetObject", "resource": "arn:…",
//   "principal": "arn:…", "identity": [doc…], "boundary": doc?, "trust": doc?,
//   "context": {"key": "v" | ["v", …]}}
// Answer:  {"id": 1, "result": "Allowed" | "ExplicitlyDenied" |
//   "ImplicitlyDenied" | "error", "error"?: "…"}
//
// The simulator is run as its runUnsafeSimulation does (no validation of the
// action, resource type or context keys against its own catalogue: the
// requests are built from iamscope's catalogue, which may differ), in Strict
// mode, with the trust policy passed as the resource policy.
'use strict';
const path = require('path');
const readline = require('readline');

const root = process.env.IAM_SIMULATE_DIR || path.join(__dirname, '..', '..', '.peers', 'node');
const resolveIn = (m) => require.resolve(m, { paths: [root] });
const simDir = path.dirname(resolveIn('@cloud-copilot/iam-simulate'));
const { loadPolicy } = require(resolveIn('@cloud-copilot/iam-policy'));
const { authorize } = require(path.join(simDir, 'core_engine', 'CoreSimulatorEngine.js'));
const { AwsRequestImpl } = require(path.join(simDir, 'request', 'request.js'));
const { RequestContextImpl } = require(path.join(simDir, 'requestContext.js'));
const { DiscoveryContextKeyConstraints } = require(
  path.join(simDir, 'context_keys', 'discoveryContextKeyConstraints.js')
);

// The simulator accepts an OIDC condition key only as `<host>:<claim>` with no
// `/` in the host part; an EKS issuer is `oidc.eks.<region>.amazonaws.com/id/<ID>`.
// Rename such keys the same way in the policies and in the context (keys are
// names, so a consistent renaming keeps every comparison as it was).
const oidcKey = /^(.+\/id\/[^:]+):([A-Za-z_]+)$/;
const renameKey = (k) => {
  const m = oidcKey.exec(k);
  return m ? `${m[1].replace(/[^0-9A-Za-z._-]/g, '_')}:${m[2]}` : k;
};
const renamePolicy = (doc) => {
  if (!doc || typeof doc !== 'object') return doc;
  const copy = JSON.parse(JSON.stringify(doc));
  const stmts = Array.isArray(copy.Statement) ? copy.Statement : [copy.Statement];
  for (const s of stmts) {
    if (!s || typeof s.Condition !== 'object') continue;
    for (const op of Object.keys(s.Condition)) {
      const keys = s.Condition[op];
      const renamed = {};
      for (const k of Object.keys(keys)) renamed[renameKey(k)] = keys[k];
      s.Condition[op] = renamed;
    }
  }
  return copy;
};

function decide(req) {
  const context = {};
  for (const [k, v] of Object.entries(req.context || {})) context[renameKey(k)] = v;
  const identity = (req.identity || []).map((d, i) =>
    loadPolicy(renamePolicy(d), { name: `identity-${i}` })
  );
  const boundaries = req.boundary
    ? [loadPolicy(renamePolicy(req.boundary), { name: 'boundary' })]
    : undefined;
  const request = new AwsRequestImpl(
    req.principal,
    { resource: req.resource, accountId: req.account || '111122223333' },
    req.action,
    new RequestContextImpl(context)
  );
  const analysis = authorize({
    request,
    sessionPolicy: undefined,
    identityPolicies: identity,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: req.trust ? loadPolicy(renamePolicy(req.trust), { name: 'trust' }) : undefined,
    permissionBoundaries: boundaries,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([])
    },
    serviceSettings: { s3: {} }
  });
  return analysis.result;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let id = null;
  try {
    const req = JSON.parse(line);
    id = req.id;
    process.stdout.write(JSON.stringify({ id, result: decide(req) }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ id, result: 'error', error: String(e && e.message) }) + '\n');
  }
});
