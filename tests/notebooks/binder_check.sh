#!/usr/bin/env bash
# Checks binder/postBuild as far as it can be checked off mybinder.org: runs it with the kernel
# going to a temp prefix, then executes notebooks/01-quickstart.ipynb (PEFT4J_FAST=1) with the
# kernel it installed. Needs Jupyter (tests/notebooks/run.sh installs Debian's packages).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

PEFT4J_KERNEL_PREFIX="$WORK/prefix" bash "$ROOT/binder/postBuild"
test -f "$WORK/prefix/share/jupyter/kernels/peft4j/kernel.json" || { echo "postBuild installed no kernelspec"; exit 1; }

export JUPYTER_PATH="$WORK/prefix/share/jupyter" PEFT4J_FAST=1
cp "$ROOT/notebooks/01-quickstart.ipynb" "$WORK/"
(cd "$WORK" && jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=900 \
  --output executed.ipynb 01-quickstart.ipynb)
echo "binder check: postBuild installed the kernel and it ran notebooks/01-quickstart.ipynb"
echo "binder: 1 passed, 0 failed"
