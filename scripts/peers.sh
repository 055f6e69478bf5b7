#!/usr/bin/env bash
# Install the test peers of tests/live.rs into .venv/ at the repository root:
# moto's server (AWS IAM, STS, EKS) and kmock (a Kubernetes API emulator).
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
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$MOTO" "$KMOCK"
installed || { echo "peers.sh: installation into $VENV did not yield moto 5.2.5 and kmock 0.8" >&2; exit 1; }
echo "peers.sh: installed moto 5.2.5 and kmock 0.8 into $VENV"
