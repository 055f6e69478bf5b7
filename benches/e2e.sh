#!/usr/bin/env bash
# End-to-end, whole-process measurements of `iamscope audit --from DIR --format json`
# on generated estates, against the floor of parsing the same files into
# serde_json::Value (examples/parse-baseline.rs), and against cloudsplaining on
# the same iam.json. Writes a summary to $OUT (default /tmp/iamscope-e2e).
#
#   benches/e2e.sh                     # small and medium
#   SIZES="small medium large" benches/e2e.sh
#   CLOUDSPLAINING=/tmp/cs-venv/bin/cloudsplaining CS_SIZES="small medium" benches/e2e.sh
#   PRESET=classic benches/e2e.sh      # the estates of sessions 1-3 ($ESTATES/estate-classic-SIZE)
#
# Estates are $ESTATES/estate-SIZE (the real preset, gen-estate's default) or
# $ESTATES/estate-classic-SIZE, generated when missing.
#
# Needs: hyperfine (apt-get install -y hyperfine), GNU time (/usr/bin/time).
# cloudsplaining, when wanted: python3 -m venv /tmp/cs-venv && /tmp/cs-venv/bin/pip install cloudsplaining
set -euo pipefail

cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-/tmp/iamscope-bench-target}
ESTATES=${ESTATES:-/tmp}
SIZES=${SIZES-"small medium"}
RUNS=${RUNS:-5}
OUT=${OUT:-/tmp/iamscope-e2e}
CS_SIZES=${CS_SIZES:-"small"}
PRESET=${PRESET:-real}
case $PRESET in
  real) PREFIX=estate- ;;
  classic) PREFIX=estate-classic- ;;
  *) echo "PRESET is real or classic, not $PRESET" >&2; exit 2 ;;
esac
mkdir -p "$OUT"

CARGO_TARGET_DIR=$TARGET cargo build --release --bin iamscope --example gen-estate --example parse-baseline
BIN=$TARGET/release/iamscope
GEN=$TARGET/release/examples/gen-estate
BASE=$TARGET/release/examples/parse-baseline

declare -A SHAPE=([small]="50 20" [medium]="300 30" [large]="1000 50")

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/summary.txt"

peak() { # peak RSS (MiB) and wall (s) of one run of "$@"
  /usr/bin/time -f "%M %e" -o "$OUT/time.tmp" "$@" > /dev/null 2> "$OUT/stderr.tmp" || true
  awk '{printf "%.0f MiB, %.2f s", $1/1024, $2}' "$OUT/time.tmp"
}

for size in $SIZES; do
  dir=$ESTATES/$PREFIX$size
  if [ ! -d "$dir" ]; then
    read -r ns sa <<< "${SHAPE[$size]}"
    "$GEN" --preset "$PRESET" --namespaces "$ns" --sa-per-ns "$sa" "$dir"
  fi
  bytes=$(du -sb "$dir" | cut -f1)
  echo "== $size: $dir, $((bytes / 1000000)) MB" | tee -a "$OUT/summary.txt"
  hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/hyperfine-$size.json" \
    -n "iamscope audit ($size)" "$BIN audit --from $dir --format json > /dev/null" \
    -n "parse into Value, sequential ($size)" "$BASE $dir" \
    -n "parse into Value, a thread per file ($size)" "$BASE --parallel $dir" \
    | tee -a "$OUT/summary.txt"
  echo "peak RSS, iamscope audit:            $(peak "$BIN" audit --from "$dir" --format json)" | tee -a "$OUT/summary.txt"
  echo "peak RSS, parse-baseline:            $(peak "$BASE" "$dir")" | tee -a "$OUT/summary.txt"
done

if [ -n "${CLOUDSPLAINING:-}" ]; then
  for size in $CS_SIZES; do
    dir=$ESTATES/$PREFIX$size
    only=$OUT/iam-only-$size
    mkdir -p "$only" "$OUT/cs-$size"
    ln -sf "$dir/iam.json" "$only/iam.json"
    echo "== cloudsplaining vs iamscope on $dir/iam.json" | tee -a "$OUT/summary.txt"
    echo "cloudsplaining scan:                 $(peak "$CLOUDSPLAINING" scan -i "$dir/iam.json" -o "$OUT/cs-$size" -s)" | tee -a "$OUT/summary.txt"
    echo "iamscope audit (iam.json only):      $(peak "$BIN" audit --from "$only" --format json)" | tee -a "$OUT/summary.txt"
    echo "iamscope audit (whole snapshot):     $(peak "$BIN" audit --from "$dir" --format json)" | tee -a "$OUT/summary.txt"
  done
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/summary.txt"
