#!/usr/bin/env bash
# The terminal UI on a large snapshot, in a real terminal (tmux): when the first
# frame is on screen, and when the loaded data is. Polls the pane every 20 ms.
#
#   benches/tui-first-frame.sh [DIR]        # default /tmp/estate-large
#
# Needs tmux and a release build (CARGO_TARGET_DIR, default /tmp/iamscope-bench-target).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-/tmp/estate-large}
BIN=${CARGO_TARGET_DIR:-/tmp/iamscope-bench-target}/release/iamscope
SOCK=iamscope-first-frame-$$
trap 'tmux -L "$SOCK" kill-server 2>/dev/null || true' EXIT
now() { date +%s.%N; }
start=$(now)
tmux -L "$SOCK" new-session -d -x 160 -y 48 -s ff "$BIN --from $DIR"
first=""; loaded=""
for _ in $(seq 1 1500); do
  screen=$(tmux -L "$SOCK" capture-pane -p -t ff 2>/dev/null || true)
  t=$(now)
  if [ -z "$first" ] && grep -q "iamscope" <<<"$screen"; then
    first=$(echo "$t - $start" | bc)
    echo "first frame after ${first} s:"; head -3 <<<"$screen"
  fi
  if [ -n "$first" ] && grep -qE "[0-9]+ critical" <<<"$screen"; then
    loaded=$(echo "$t - $start" | bc)
    echo "data on screen after ${loaded} s:"; head -3 <<<"$screen"
    break
  fi
  sleep 0.02
done
tmux -L "$SOCK" send-keys -t ff q
[ -n "$first" ] && [ -n "$loaded" ] || { echo "did not see both (first=$first loaded=$loaded)"; exit 1; }
echo "first frame ${first} s, loaded ${loaded} s ($DIR)"
