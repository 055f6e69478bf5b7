#!/usr/bin/env bash
# Arrows run one way (ARCHITECTURE.md): fails on any `crate::` import (or
# `super::` that climbs to the crate root) from a module to one above it or
# beside it, and on ratatui/crossterm used outside `src/ui`.
#
#   base (hashing, par) ← model ← policy ← graph ← audit ← query ← report, ui ← cli ← main
#                         model ← source (the sources read into the model and use nothing else)
#
# A module may import itself, and any module on a lower rung; never one on its
# own rung (source and policy; report and ui) or above, and there are no
# exceptions: what a lower module needs from a higher one is handed to it
# (source::Check, implemented by graph::ReadCheck). Runs in scripts/test.sh;
# takes well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 - "$@" <<'PY'
import os, re, sys

RUNG = {
    "hashing": 0, "par": 0,
    "model": 1,
    "policy": 2, "source": 2,
    "graph": 3,
    "audit": 4,
    "query": 5,
    # Drift/diff between two inventories or reports (being written alongside):
    # a consumer of audit like the questions. Move it if it lands elsewhere.
    "drift": 5,
    "report": 6, "ui": 6,
    "cli": 7,
    "main": 8, "lib": 8,
}
# Sources read into the model and use nothing else (besides the base helpers).
ONLY = {"source": {"model", "hashing", "par"}}

def module_of(path):
    rel = os.path.relpath(path, "src")
    top = rel.split(os.sep)[0]
    return top[:-3] if top.endswith(".rs") else top

NAME = re.compile(r"\b(?:crate|iamscope)::(?:\{\s*)?([a-z_]+)")
GROUP = re.compile(r"\b(?:crate|iamscope)::\{([^}]*)\}", re.S)
UI_ONLY = re.compile(r"\b(ratatui|crossterm)::")

bad = []
for root, _, files in os.walk("src"):
    for f in sorted(files):
        if not f.endswith(".rs"):
            continue
        path = os.path.join(root, f)
        me = module_of(path)
        if me not in RUNG:
            bad.append(f"{path}: module `{me}` has no rung in scripts/check-layers.sh")
            continue
        text = open(path, encoding="utf-8").read()
        # Comments do not import: drop `//` comments (doc comments too).
        code = re.sub(r"//[^\n]*", "", text)
        targets = []
        for m in NAME.finditer(code):
            targets.append((m.group(1), code.count("\n", 0, m.start()) + 1))
        for m in GROUP.finditer(code):
            for item in m.group(1).split(","):
                item = item.strip()
                if item:
                    targets.append((re.split(r"[:\s]", item)[0], code.count("\n", 0, m.start()) + 1))
        # `super::super::x` from a file `depth` modules below the root.
        rel = os.path.relpath(path, "src").split(os.sep)
        depth = len(rel) - 1 if rel[-1] == "mod.rs" else len(rel)
        if rel[-1] in ("main.rs", "lib.rs"):
            depth = 0
        elif len(rel) == 1:
            depth = 1
        if depth >= 1:
            pat = re.compile(r"\b" + r"super::" * depth + r"([a-z_]+)")
            for m in pat.finditer(code):
                targets.append((m.group(1), code.count("\n", 0, m.start()) + 1))
        for dep, line in targets:
            if dep == me or dep not in RUNG or dep in ("self", "super", "crate"):
                continue
            ok = RUNG[dep] < RUNG[me] and (me not in ONLY or dep in ONLY[me])
            if ok:
                continue
            why = "sources use only model and the base helpers" if me in ONLY else f"`{dep}` is not below `{me}`"
            bad.append(f"{path}:{line}: `{me}` imports `{dep}`: {why} (ARCHITECTURE.md)")
        if me != "ui":
            for m in UI_ONLY.finditer(code):
                line = code.count("\n", 0, m.start()) + 1
                bad.append(f"{path}:{line}: {m.group(1)} outside src/ui (only the UI draws)")
if bad:
    print("check-layers: arrows that run the wrong way:", file=sys.stderr)
    for b in sorted(set(bad)):
        print("  " + b, file=sys.stderr)
    sys.exit(1)
print("check-layers: every import runs down the layers")
PY
