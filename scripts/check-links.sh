#!/usr/bin/env bash
# Documentation checks, run by scripts/test.sh (well under a second, Python's
# standard library only):
# - every relative link in the project's markdown files ([text](path) and
#   [text](path#anchor)) names a file or directory that exists, and an anchor
#   names a heading of that file (GitHub's heading ids);
# - docs/rules.md lists every rule ID of src/audit/catalog.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" - <<'PY'
import os, re, subprocess, sys

files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
                       capture_output=True, text=True, check=True).stdout.split()
link = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
fence = re.compile(r"^\s*(```|~~~)")

def anchors(path):
    ids, seen, in_code = set(), {}, False
    for line in open(path, encoding="utf-8"):
        if fence.match(line):
            in_code = not in_code
            continue
        m = None if in_code else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            ids.add(slug if n == 0 else f"{slug}-{n}")
    return ids

bad = []
for f in files:
    in_code = False
    for no, line in enumerate(open(f, encoding="utf-8"), 1):
        if fence.match(line):
            in_code = not in_code
            continue
        if in_code:
            continue
        for target in link.findall(re.sub(r"`[^`]*`", "", line)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto: …
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
            if not os.path.exists(dest):
                bad.append(f"{f}:{no}: {target}: no such file")
            elif anchor and os.path.isfile(dest) and anchor not in anchors(dest):
                bad.append(f"{f}:{no}: {target}: no such heading")

catalog = open("src/audit/catalog.rs", encoding="utf-8").read()
rules = open("docs/rules.md", encoding="utf-8").read()
for rule in re.findall(r'"([A-Z]+-\d{3})"', catalog):
    if f"| {rule} |" not in rules:
        bad.append(f"docs/rules.md: rule {rule} of src/audit/catalog.rs is not listed")

for b in bad:
    print("check-links:", b, file=sys.stderr)
if bad:
    sys.exit(1)
print(f"check-links: {len(files)} markdown files, every relative link resolves; docs/rules.md lists every rule")
PY
