#!/usr/bin/env bash
# Live collection at scale (issue #7): iamscope against the test peers of
# tests/live.rs (kmock behind our TLS front, moto behind our AWS front; see
# tests/support/peers.py) seeded with a generated estate. Counts the requests
# from the peers' own logs: one paginated LIST per kind, IAM through
# GetAccountAuthorizationDetails pages, no per-object calls where a list
# serves, sources in parallel. Also compares the live findings with
# `audit --from` of the peers' reference snapshot and of the estate itself.
#
#   scripts/peers.sh                              # once: the peers in .venv/
#   benches/live.sh                               # ESTATE=/tmp/estate-medium
#   ESTATE=/tmp/estate-small benches/live.sh
#
# Knobs: ESTATE, OUT (default /tmp/iamscope-live), BIN (default
# $CARGO_TARGET_DIR/release/iamscope, not built here), PAGE_SIZE (empty:
# iamscope's own default, 500), TIMEOUT_SECS (IAMSCOPE_TIMEOUT_SECS, per
# source; default 1800 since the Python peers are slow at this size),
# READY_TIMEOUT (seconds to wait for the peers' seeding, default 3600),
# RUNS ("audit snapshot": live runs, each measured and summarized apart).
#
# Network: nothing leaves 127.0.0.1: fake credentials, no IMDS, AWS_ENDPOINT_URL
# and the only kubeconfig point at the local peers, and $HOME is a fresh dir.
# Needs: GNU time (/usr/bin/time), python3.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-/tmp/iamscope-bench-target}
BIN=${BIN:-$TARGET/release/iamscope}
GEN=$TARGET/release/examples/gen-estate
ESTATE=${ESTATE:-/tmp/estate-medium}
OUT=${OUT:-/tmp/iamscope-live}
PAGE_SIZE=${PAGE_SIZE:-}
TIMEOUT_SECS=${TIMEOUT_SECS:-1800}
READY_TIMEOUT=${READY_TIMEOUT:-3600}
RUNS=${RUNS:-"audit snapshot"}
PY=$ROOT/.venv/bin/python

[ -x "$BIN" ] || { echo "live.sh: no iamscope binary at $BIN (build it with CARGO_TARGET_DIR=$TARGET cargo build --release)" >&2; exit 1; }
[ -x "$PY" ] || { echo "live.sh: the peers are not installed: run scripts/peers.sh" >&2; exit 1; }
if [ ! -d "$ESTATE" ]; then
    case $(basename "$ESTATE") in
        estate-small) "$GEN" --namespaces 50 --sa-per-ns 20 "$ESTATE" ;;
        estate-medium) "$GEN" --namespaces 300 --sa-per-ns 30 "$ESTATE" ;;
        *) echo "live.sh: no estate at $ESTATE" >&2; exit 1 ;;
    esac
fi

rm -rf "$OUT"
mkdir -p "$OUT"
RUN=$OUT/run
HOME_DIR=$OUT/home
mkdir -p "$HOME_DIR"
touch "$HOME_DIR/aws-config" "$HOME_DIR/aws-credentials" # empty: no profile, no warning
SUMMARY=$OUT/summary.txt

# ------------------------------------------------------------------ peers
PEERS_PID=
FIFO=$OUT/peers.stdin
mkfifo "$FIFO"
stop_peers() {
    exec 3>&- # EOF on the peers' stdin: they stop
    if [ -n "$PEERS_PID" ]; then
        for _ in $(seq 50); do kill -0 "$PEERS_PID" 2>/dev/null || break; sleep 0.1; done
        kill -- -"$PEERS_PID" 2>/dev/null || true # the whole group, if still there
        wait "$PEERS_PID" 2>/dev/null || true
    fi
    rm -f "$FIFO"
}
trap stop_peers EXIT
trap 'exit 130' INT TERM

cpu_ticks() { # utime+stime (clock ticks) of a process
    awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
TICK=$(getconf CLK_TCK)

echo "live.sh: seeding the peers with $ESTATE ($(du -sh "$ESTATE" | cut -f1)) ..."
t0=$(date +%s.%N)
# Own process group (setsid), so that the trap can end it and only it.
setsid "$PY" tests/support/peers.py --seed "$ESTATE" --run "$RUN" < "$FIFO" > "$OUT/peers.log" 2>&1 &
PEERS_PID=$!
exec 3> "$FIFO"
next=30
while [ ! -f "$RUN/ready.json" ]; do
    kill -0 "$PEERS_PID" 2>/dev/null || { echo "live.sh: the peers exited before they were ready:" >&2; tail -30 "$OUT/peers.log" >&2; exit 1; }
    el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%d", b-a}')
    if [ "$el" -ge "$READY_TIMEOUT" ]; then echo "live.sh: the peers were not ready within ${READY_TIMEOUT}s" >&2; exit 1; fi
    if [ "$el" -ge "$next" ]; then
        echo "  ... ${el}s, peers' CPU $(( $(cpu_ticks "$PEERS_PID") / TICK ))s, RSS $(awk '/VmRSS/{printf "%d MiB", $2/1024}' "/proc/$PEERS_PID/status")"
        next=$((next + 30))
    fi
    sleep 1
done
SEED_SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
echo "live.sh: peers ready after ${SEED_SECS}s"

eval "$("$PY" - "$RUN/ready.json" <<'PY'
import json, shlex, sys
r = json.load(open(sys.argv[1]))
for k in ("kube_url", "aws_url", "ca", "region", "cluster"):
    print(f"{k.upper()}={shlex.quote(str(r.get(k) or ''))}")
print(f"SEED_SKIPPED={len(r.get('seed_skipped') or [])}")
PY
)"
case $KUBE_URL in https://127.0.0.1:*) ;; *) echo "live.sh: kube_url $KUBE_URL is not local" >&2; exit 1 ;; esac
case $AWS_URL in http://127.0.0.1:*) ;; *) echo "live.sh: aws_url $AWS_URL is not local" >&2; exit 1 ;; esac

# As tests/live.rs: an exec plugin that looks like `aws eks get-token`, so
# that iamscope infers the cluster and region from it.
KUBECONFIG_FILE=$OUT/kubeconfig
cat > "$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
current-context: eks
clusters:
- name: test-apiserver
  cluster:
    server: $KUBE_URL
    certificate-authority: $CA
users:
- name: eks-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: $PY
      args: [$ROOT/tests/support/get_token.py, eks, get-token, --cluster-name, $CLUSTER, --region, $REGION]
      interactiveMode: Never
contexts:
- name: eks
  context: {cluster: test-apiserver, user: eks-user}
EOF
chmod 600 "$KUBECONFIG_FILE"

if [ -n "$PAGE_SIZE" ]; then PAGE_ENV=(IAMSCOPE_PAGE_SIZE="$PAGE_SIZE"); else PAGE_ENV=(); fi
iamscope() { # iamscope pointed at the peers only
    env -u KUBECONFIG -u AWS_PROFILE -u AWS_REGION -u AWS_DEFAULT_REGION -u AWS_SESSION_TOKEN \
        -u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_CONTAINER_CREDENTIALS_FULL_URI \
        -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -u KUBERNETES_SERVICE_HOST -u IAMSCOPE_PARALLEL \
        -u IAMSCOPE_PAGE_SIZE -u AWS_ENDPOINT_URL_IAM -u AWS_ENDPOINT_URL_STS -u AWS_ENDPOINT_URL_EKS "${PAGE_ENV[@]}" \
        HOME="$HOME_DIR" AWS_CONFIG_FILE="$HOME_DIR/aws-config" AWS_SHARED_CREDENTIALS_FILE="$HOME_DIR/aws-credentials" \
        AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
        AWS_ENDPOINT_URL="$AWS_URL" IAMSCOPE_TIMEOUT_SECS="$TIMEOUT_SECS" RUST_LOG=warn \
        "$@"
}

lines() { [ -f "$1" ] && wc -l < "$1" || echo 0; }

# ------------------------------------------------------------------ live runs
: > "$OUT/runs.tsv"
for what in $RUNS; do
    case $what in
        audit) args=(audit --format json --out "$OUT/live-audit.json") ;;
        snapshot) args=(snapshot "$OUT/live-snapshot") ;;
        *) echo "live.sh: unknown run $what" >&2; exit 1 ;;
    esac
    k0=$(lines "$RUN/kube-requests.jsonl"); a0=$(lines "$RUN/aws-requests.jsonl")
    c0=$(cpu_ticks "$PEERS_PID")
    s=$(date +%s.%N)
    echo "live.sh: live $what ..."
    rc=0
    iamscope /usr/bin/time -v -o "$OUT/time-$what.txt" "$BIN" "${args[@]}" \
        --context eks --kubeconfig "$KUBECONFIG_FILE" > "$OUT/stdout-$what.txt" 2> "$OUT/stderr-$what.txt" || rc=$?
    e=$(date +%s.%N)
    c1=$(cpu_ticks "$PEERS_PID")
    k1=$(lines "$RUN/kube-requests.jsonl"); a1=$(lines "$RUN/aws-requests.jsonl")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$what" "$rc" "$s" "$e" "$k0" "$k1" "$a0" "$a1" \
        "$(awk -v a="$c0" -v b="$c1" -v t="$TICK" 'BEGIN{printf "%.1f", (b-a)/t}')" >> "$OUT/runs.tsv"
done

# Findings of the same state read from files (kubeconfig passed too, for the CFG rules).
iamscope "$BIN" audit --format json --from "$RUN/reference" --kubeconfig "$KUBECONFIG_FILE" \
    --out "$OUT/reference-audit.json" 2> "$OUT/stderr-reference.txt" || true
iamscope /usr/bin/time -v -o "$OUT/time-estate.txt" "$BIN" audit --format json --from "$ESTATE" \
    --kubeconfig "$KUBECONFIG_FILE" --out "$OUT/estate-audit.json" 2> "$OUT/stderr-estate.txt" || true
if [ -d "$OUT/live-snapshot" ]; then
    iamscope "$BIN" audit --format json --from "$OUT/live-snapshot" --kubeconfig "$KUBECONFIG_FILE" \
        --out "$OUT/snapshot-audit.json" 2> "$OUT/stderr-snapshot-audit.txt" || true
fi

# ------------------------------------------------------------------ summary
{
    echo "iamscope live collection against the test peers (benches/live.sh), $(date -u +%FT%TZ)"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "binary: $BIN ($(stat -c %y "$BIN" | cut -d. -f1))"
    echo "estate: $ESTATE ($(du -sh "$ESTATE" | cut -f1)); peers seeded and ready in ${SEED_SECS}s; seed_skipped: $SEED_SKIPPED"
    echo "page size: ${PAGE_SIZE:-iamscope default (500)}; IAMSCOPE_TIMEOUT_SECS=$TIMEOUT_SECS; IAMSCOPE_PARALLEL default"
    "$PY" - "$OUT" "${PAGE_SIZE:-500}" <<'PY'
import collections, json, math, os, re, sys

out, page = sys.argv[1], int(sys.argv[2])
run = os.path.join(out, "run")
ref = os.path.join(run, "reference")

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except Exception:
        return None

def jsonl(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

kube_all = jsonl(os.path.join(run, "kube-requests.jsonl"))
aws_all = jsonl(os.path.join(run, "aws-requests.jsonl"))

# Objects the peers serve, per plural (the reference snapshot is the peers' state).
PLURAL = {"Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "Pod": "pods", "Deployment": "deployments",
          "DaemonSet": "daemonsets", "StatefulSet": "statefulsets", "ReplicaSet": "replicasets", "Job": "jobs",
          "CronJob": "cronjobs", "Role": "roles", "RoleBinding": "rolebindings", "ClusterRole": "clusterroles",
          "ClusterRoleBinding": "clusterrolebindings"}
objects = collections.Counter()
for i in (load(os.path.join(ref, "kubernetes.json")) or {}).get("items", []):
    objects[PLURAL.get(i.get("kind"), i.get("kind"))] += 1
objects["secrets"] = len((load(os.path.join(ref, "kubernetes-secrets.json")) or {}).get("items", []))

# (plural, namespace, name) of a request path, as the peers themselves parse it.
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "support"))
from peers import parse_kube_path as parse  # noqa: E402

def span(rs):
    ts = [r["t"] for r in rs]
    return (min(ts), max(ts)) if ts else None

def fmt_span(s, base):
    return f"+{s[0] - base:.2f}s .. +{s[1] - base:.2f}s" if s else "none"

def max_concurrent(spans):
    ev = sorted([(a, 1) for a, b in spans] + [(b, -1) for a, b in spans], key=lambda x: (x[0], -x[1]))
    cur = best = 0
    for _, d in ev:
        cur += d
        best = max(best, cur)
    return best

def time_v(path):
    d = {}
    try:
        for line in open(path):
            k, _, v = line.strip().rpartition(": ")
            d[k] = v
    except FileNotFoundError:
        pass
    return d

def wall(s):
    p = [float(x) for x in s.split(":")] if s else [0]
    return sum(x * 60 ** i for i, x in enumerate(reversed(p)))

problems = []
for row in open(os.path.join(out, "runs.tsv")):
    what, rc, s, e, k0, k1, a0, a1, peer_cpu = row.rstrip("\n").split("\t")
    s, e = float(s), float(e)
    kube, aws = kube_all[int(k0):int(k1)], aws_all[int(a0):int(a1)]
    tv = time_v(os.path.join(out, f"time-{what}.txt"))
    rss = int(tv.get("Maximum resident set size (kbytes)", "0")) / 1024
    print(f"\n== live {what}: exit {rc}; wall {wall(tv.get('Elapsed (wall clock) time (h:mm:ss or m:ss)')):.2f}s, "
          f"iamscope CPU user {tv.get('User time (seconds)')}s + sys {tv.get('System time (seconds)')}s, peak RSS {rss:.0f} MiB; "
          f"peers' CPU in that time {peer_cpu}s (one Python process: when ≈ wall, the peers are the bottleneck)")
    if rc != "0":
        problems.append(f"live {what} exited {rc}")
    err = [l.rstrip() for l in open(os.path.join(out, f"stderr-{what}.txt")) if l.strip() and "Command being timed" not in l]
    err = [l for l in err if not l.startswith("\t")]
    print(f"  stderr: {len(err)} line(s)" + "".join(f"\n    {l[:300]}" for l in err[:8]))

    # Kubernetes
    by = collections.Counter()
    pages = collections.defaultdict(list)
    gets, other = [], []
    for r in kube:
        p = parse(r["path"])
        if r["method"] != "GET":
            other.append(r)
            continue
        if p is None:
            by[("discovery", r["path"])] += 1
            continue
        plural, ns, name = p
        if r["query"].get("watch"):
            by[("watch", plural)] += 1
        elif name:
            by[("get", plural)] += 1
            gets.append(r)
        else:
            by[("list", plural)] += 1
            pages[plural].append(r)
    print(f"  Kubernetes: {len(kube)} requests, {fmt_span(span(kube), s)} after start")
    print(f"    {'resource':22} {'objects':>7} {'pages':>5} {'ceil(n/' + str(page) + ')':>10}  checks")
    for plural in sorted(set(PLURAL.values()) | {"secrets"} | set(pages), key=lambda x: (-objects.get(x, 0), x)):
        ps = pages.get(plural, [])
        n = objects.get(plural, 0)
        want = max(1, math.ceil(n / page))
        bad, info = [], []
        if len(ps) != want:
            bad.append("NOT LISTED" if not ps else "pages != expected")
        if any(q["query"].get("limit") != str(page) for q in ps):
            bad.append("limit: " + ",".join(sorted({str(q["query"].get("limit")) for q in ps})))
        if [bool(q["query"].get("continue")) for q in ps] != [i > 0 for i in range(len(ps))]:
            bad.append("continue tokens out of order (a restart?)")
        if any(parse(q["path"])[1] for q in ps):
            bad.append("NOT cluster-wide")
        if any(q.get("fault") for q in ps):
            info.append("faults injected")
        if plural == "secrets" and ps:
            fs = ps[0]["query"].get("fieldSelector")
            meta = "as=PartialObjectMetadataList" in ps[0].get("accept", "")
            (info if fs == "type=kubernetes.io/service-account-token" else bad).append(f"fieldSelector={fs}")
            (info if meta else bad).append(f"metadata-only={meta}")
        if bad:
            problems.append(f"{what}: kube {plural}: {'; '.join(bad)}")
        print(f"    {plural:22} {n:>7} {len(ps):>5} {want:>10}  {'; '.join(bad + info) or 'ok'}")
    for (verb, res), c in sorted(by.items()):
        if verb != "list":
            print(f"    {verb} {res}: {c}")
    for r in gets:
        line = f"single-object GET {r['path']}"
        if r["path"] != "/api/v1/namespaces/kube-system/configmaps/aws-auth":
            problems.append(f"{what}: {line} (a list serves)")
        print(f"    {line}" + ("" if "aws-auth" in r["path"] else "   <-- a LIST serves this"))
    for r in other:
        problems.append(f"{what}: non-GET kube request {r['method']} {r['path']}")
    kinds = [span(v) for v in pages.values() if v]
    print(f"    kinds listed at once (overlapping first..last page spans): max {max_concurrent(kinds)} of {len(kinds)}")

    # AWS
    acts = collections.Counter(f"{r['service']}:{r['action']}" for r in aws)
    print(f"  AWS: {len(aws)} requests, {fmt_span(span(aws), s)} after start")
    for a, c in sorted(acts.items()):
        act = a.split(":", 1)[1]
        note = ""
        if not act.startswith(("Get", "List", "Describe")):
            note = "   <-- NOT a read"
            problems.append(f"{what}: non-read AWS call {a} x{c}")
        elif a.startswith("iam:") and act not in ("GetAccountAuthorizationDetails", "ListOpenIDConnectProviders", "GetOpenIDConnectProvider"):
            note = "   <-- per-object/extra IAM call (GetAccountAuthorizationDetails serves)"
            problems.append(f"{what}: extra IAM call {a} x{c}")
        print(f"    {a:45} {c:>6}{note}")
    faults = [r for r in kube + aws if r.get("fault")]
    if faults:
        print(f"  faults in logs: {len(faults)}")
    svc = collections.defaultdict(list)
    for r in aws:
        svc[r["service"]].append(r)
    print("  overlap (request arrival times, seconds after iamscope started):")
    print(f"    kubernetes {fmt_span(span(kube), s)}")
    for k in sorted(svc):
        print(f"    aws/{k:6} {fmt_span(span(svc[k]), s)}")
    ks, as_ = span(kube), span(aws)
    if ks and as_:
        ov = min(ks[1], as_[1]) - max(ks[0], as_[0])
        inside = sum(1 for r in aws if ks[0] <= r["t"] <= ks[1])
        print(f"    kube and AWS spans overlap {max(ov, 0):.2f}s; {inside}/{len(aws)} AWS requests arrived while Kubernetes paging was going on")
        if ov <= 0:
            problems.append(f"{what}: Kubernetes and AWS requests did not overlap in time (serial sources?)")

    # Coverage of the live audit
    if what == "audit":
        rep = load(os.path.join(out, "live-audit.json"))
        if rep:
            bad = [c for c in rep["coverage"]["sources"] if c["status"] != "ok"]
            print(f"  coverage: {len(rep['coverage']['sources'])} sources, not ok: " +
                  (", ".join(f"{c['source']}={c['status']} ({c.get('detail', '')[:120]})" for c in bad) or "none"))
            for c in bad:
                if c["source"] != "apiserver/flags":
                    problems.append(f"audit: coverage {c['source']}={c['status']}: {c.get('detail', '')[:200]}")

tv = time_v(os.path.join(out, "time-estate.txt"))
if tv:
    print(f"\n== offline baseline, audit --from the estate: wall {wall(tv.get('Elapsed (wall clock) time (h:mm:ss or m:ss)')):.2f}s, "
          f"CPU user {tv.get('User time (seconds)')}s + sys {tv.get('System time (seconds)')}s, "
          f"peak RSS {int(tv.get('Maximum resident set size (kbytes)', '0')) / 1024:.0f} MiB")

# Findings
print("\n== findings (counts by rule)")
reps = {n: load(os.path.join(out, f)) for n, f in (("live", "live-audit.json"), ("reference", "reference-audit.json"),
                                                    ("estate", "estate-audit.json"), ("snapshot", "snapshot-audit.json"))}
reps = {n: r for n, r in reps.items() if r}
counts = {n: collections.Counter(f["rule"] for f in r["findings"]) for n, r in reps.items()}
names = list(reps)
print(f"  {'rule':12} " + " ".join(f"{n:>9}" for n in names))
for rule in sorted(set().union(*counts.values())):
    row = [counts[n][rule] for n in names]
    mark = "" if len(set(row)) == 1 else "   <-- differs"
    print(f"  {rule:12} " + " ".join(f"{c:>9}" for c in row) + mark)
print(f"  {'total':12} " + " ".join(f"{len(reps[n]['findings']):>9}" for n in names))
for n in names:
    print(f"  summary {n}: {reps[n]['summary']}")

def key(f):
    return (f["rule"], json.dumps(f["subject"], sort_keys=True))

def norm(f):
    """A finding with its lists in a canonical order: related objects, evidence
    lines and the commands of a remediation follow the order of the input,
    which differs between the live lists (sorted by the peers), the peers'
    store and the estate's files. The EKS cluster's region is blanked: the
    peers serve the estate's cluster in their own region (us-east-1)."""
    f = json.loads(re.sub(r"arn:aws:eks:[a-z0-9-]+:", "arn:aws:eks:*:", json.dumps(f)))
    words = lambda t: " ".join(sorted(t.replace(",", " ").replace(";", " ").split()))  # noqa: E731
    f["related"] = sorted(json.dumps(r, sort_keys=True) for r in f.get("related") or [])
    f["evidence"] = sorted(words(l) for l in f.get("evidence") or [])
    f["remediation"] = words(f.get("remediation") or "")
    return f

def compare(a, b):
    if a not in reps or b not in reps:
        return None
    fa, fb = reps[a]["findings"], reps[b]["findings"]
    ka = collections.Counter(key(f) for f in fa)
    kb = collections.Counter(key(f) for f in fb)
    oa, ob = ka - kb, kb - ka
    same = fa == fb
    by_b = {key(f): f for f in fb}
    exact = order = 0
    content = collections.Counter()
    example = None
    for f in fa:
        g = by_b.get(key(f))
        if g is None:
            continue
        if f == g:
            exact += 1
        elif norm(f) == norm(g):
            order += 1
        else:
            content[f["rule"]] += 1
            if example is None:
                example = (f, g)
    print(f"  {a} vs {b}: identical lists: {same}; (rule, subject) only in {a}: {sum(oa.values())}, only in {b}: {sum(ob.values())}; "
          f"of the common ones: {exact} equal, {order} equal up to list order (related, evidence, remediation) and the cluster ARN region, "
          f"{sum(content.values())} with other differences {dict(content)}")
    for k, c in collections.Counter(k[0] for k in oa.elements()).items():
        ex = next(k2[1] for k2 in oa if k2[0] == k)
        print(f"    only {a}: {k} x{c}, e.g. {ex[:140]}")
    for k, c in collections.Counter(k[0] for k in ob.elements()).items():
        ex = next(k2[1] for k2 in ob if k2[0] == k)
        print(f"    only {b}: {k} x{c}, e.g. {ex[:140]}")
    if example:
        f, g = example
        d = [k for k in f if f.get(k) != g.get(k)]
        print(f"    e.g. {f['rule']} {json.dumps(f['subject'])[:110]}: {d} differ; title {a}: {f['title'][:150]!r}")
        print(f"         title {b}: {g['title'][:150]!r}")
    return same, not oa and not ob, sum(content.values())

for other in ("reference", "snapshot"):
    got = compare("live", other)
    if got and not got[0]:
        if not got[1]:
            problems.append(f"live and {other} findings differ in (rule, subject)")
        elif got[2]:
            problems.append(f"live vs {other}: same (rule, subject) set, but {got[2]} finding(s) differ beyond list order "
                            "(a choice that depends on input order, e.g. PATH-001's path; see above)")
        else:
            problems.append(f"live vs {other}: same findings up to list order (input order)")
compare("live", "estate")

print("\n== problems")
print("\n".join(f"  - {p}" for p in problems) if problems else "  none")
PY
} 2>&1 | tee "$SUMMARY"
echo "live.sh: summary in $SUMMARY"
