#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the test peers it needs
# (moto's server and kmock, pinned, into .venv/), then format, lints and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# tmux drives the real-terminal UI test.
if ! command -v tmux >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq tmux >/dev/null
  else
    echo "scripts/test.sh: tmux is needed for tests/tmux.rs; install it (apt-get install tmux)" >&2
    exit 2
  fi
fi

if [ -f scripts/peers.sh ]; then
  bash scripts/peers.sh
fi

cargo fmt --check
bash scripts/check-layers.sh
bash scripts/check-packaging.sh
bash scripts/check-links.sh
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
# SARIF output against the SARIF 2.1.0 schema (installs its validators; ~15 s).
bash scripts/sarif-check.sh
