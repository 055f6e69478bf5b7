#!/usr/bin/env bash
# Validate iamscope's SARIF against the official SARIF 2.1.0 schema (as shipped
# in Microsoft's SARIF multitool package on npm) with Python's jsonschema, and
# run the multitool's own `validate` rules: a plain report, and one with every
# baselineState and a suppression (audit --baseline, --accept).
# Usage: scripts/sarif-check.sh [path/to/iamscope]   (default: builds the debug binary)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MT_VERSION="5.7.0"
JSONSCHEMA="jsonschema==4.26.0"
MT_DIR="$ROOT/.peers/sarif"
MT_PKG="$MT_DIR/node_modules/@microsoft/sarif-multitool-linux"
VENV="$ROOT/.venv"

if ! { [ -f "$MT_PKG/package.json" ] &&
    node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
        "$MT_PKG/package.json" "$MT_VERSION" 2>/dev/null; }; then
    mkdir -p "$MT_DIR"
    npm install --silent --no-audit --no-fund --prefix "$MT_DIR" "@microsoft/sarif-multitool-linux@$MT_VERSION"
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import jsonschema' 2>/dev/null ||
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$JSONSCHEMA"

BIN="${1:-}"
if [ -z "$BIN" ]; then
    cargo build --quiet
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/iamscope"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$BIN" audit --demo --format sarif --out "$WORK/plain.sarif"
# A baseline without one finding and with one that is gone, and an acceptance:
# every baselineState and a suppression appear in the second report.
"$BIN" audit --demo --format json --out "$WORK/demo.json"
"$VENV/bin/python" - "$WORK/demo.json" "$WORK/baseline.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
gone = dict(d["findings"][0], id="0000000000000000", title="a finding since resolved")
d["findings"] = d["findings"][1:] + [gone]
json.dump(d, open(sys.argv[2], "w"))
PY
cat > "$WORK/accept.yaml" <<'YAML'
accept:
  - rule: AUTH-006
    subject: {kind: Cluster, name: prod-eks}
    reason: endpoint restricted by the corporate proxy (SEC-7)
    expires: 2099-12-31
YAML
"$BIN" audit --demo --format sarif --baseline "$WORK/baseline.json" --accept "$WORK/accept.yaml" \
    --out "$WORK/drift.sarif"

SCHEMA="$MT_PKG/sarif-2.1.0.json"
"$VENV/bin/python" - "$SCHEMA" "$WORK/plain.sarif" "$WORK/drift.sarif" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
bad = 0
for path in sys.argv[2:]:
    doc = json.load(open(path))
    for e in sorted(Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))[:20]:
        print(f"sarif-check: {path.rsplit('/', 1)[-1]}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        bad += 1
drift = json.load(open(sys.argv[3]))["runs"][0]["results"]
states = sorted({r.get("baselineState") for r in drift})
if states != ["absent", "new", "unchanged"] or not any("suppressions" in r for r in drift):
    print(f"sarif-check: the baseline report lacks states or suppressions: {states}")
    bad += 1
sys.exit(1 if bad else 0)
PY

for f in plain drift; do
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$MT_DIR/node_modules/.bin/sarif-multitool-linux" \
        validate "$WORK/$f.sarif" --output "$WORK/$f.validation.sarif" --log ForceOverwrite >/dev/null
    "$VENV/bin/python" - "$WORK/$f.validation.sarif" "$f" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["runs"][0].get("results", [])
errors = [r for r in results if r.get("level", "warning") == "error"]
for r in errors:
    print(f"sarif-check: {sys.argv[2]}.sarif: multitool {r['ruleId']}: {r['message'].get('text') or r['message']}")
sys.exit(1 if errors else 0)
PY
done
echo "sarif-check: plain and baseline/suppression SARIF valid against the SARIF 2.1.0 schema and the multitool's rules"
