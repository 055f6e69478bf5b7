#!/usr/bin/env bash
# Capture the terminal UI on the demo snapshot into docs/screens/*.txt,
# from the real binary in tmux (docs/screens/README.md and docs/ui.md show them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q
bin="${CARGO_TARGET_DIR:-target}/debug/iamscope"
out=docs/screens
mkdir -p "$out"
sock="iamscope-shots-$$"
shot() { # name keys...
  local name=$1; shift
  tmux -L "$sock-$name" new-session -d -s s -x 160 -y 40 "NO_COLOR=1 $bin --demo"
  sleep 1.5
  for k in "$@"; do tmux -L "$sock-$name" send-keys -t s "$k"; sleep 0.3; done
  sleep 0.5
  tmux -L "$sock-$name" capture-pane -p -t s | sed -e 's/[[:space:]]*$//' > "$out/$name.txt"
  tmux -L "$sock-$name" kill-server
}
shot findings
shot finding-detail / rule:IRSA-005 Enter
shot role-drilldown / rule:IAM-001 Enter Enter Enter
shot service-accounts 2
shot subjects 3 / payments-developers Enter
shot path / rule:PATH-001 Enter p
shot cluster-access 5
# Questions (issue 15): who can read the data lake, then one path's hops.
shot query-answer : "who s3:GetObject arn:aws:s3:::acme-data-lake-raw/kafka/x" Enter
shot query-path : "who s3:GetObject arn:aws:s3:::acme-data-lake-raw/kafka/x" Enter / ci/jenkins Enter Enter j
echo "wrote $(ls "$out" | wc -l) screens to $out"
