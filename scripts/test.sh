#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the test peers it needs
# (moto's server and kmock, pinned, into .venv/), then format, lints and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f scripts/peers.sh ]; then
  bash scripts/peers.sh
fi

cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
