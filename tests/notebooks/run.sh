#!/usr/bin/env bash
# End-to-end check of the peft4j Jupyter kernel and the notebooks (CI calls this).
#  1. installs Debian's Jupyter packages when jupyter/nbconvert are missing (needs root + apt),
#  2. installs the kernel into a temp prefix (kernel/install.sh PREFIX),
#  3. runs tests/notebooks/smoke.ipynb, checks that a failing cell fails nbconvert, checks interrupts,
#  4. executes every notebooks/*.ipynb with PEFT4J_FAST=1 (unless PEFT4J_NOTEBOOKS=smoke).
# Exits non-zero on the first failure. Prints "N passed, N failed" at the end.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY=/usr/bin/python3

if ! command -v jupyter >/dev/null 2>&1 || ! "$PY" -c 'import nbclient, nbconvert, jupyter_client' >/dev/null 2>&1; then
  echo "run.sh: installing Debian's Jupyter packages ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null && apt-get install -y -q jupyter-core jupyter-client jupyter-nbconvert \
    python3-nbclient python3-ipykernel >/dev/null || { echo "run.sh: could not install Jupyter" >&2; exit 1; }
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PREFIX="$WORK/prefix"
bash "$ROOT/kernel/install.sh" "$PREFIX" || { echo "run.sh: kernel install failed" >&2; exit 1; }
export JUPYTER_PATH="$PREFIX/share/jupyter"
export PEFT4J_FAST=1 MALLOC_ARENA_MAX=1

passed=0; failed=0
check() { # name, command...
  local name="$1"; shift
  local start=$SECONDS
  if "$@" > "$WORK/log" 2>&1; then
    passed=$((passed + 1)); echo "PASS $name ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); echo "FAIL $name ($((SECONDS - start)) s)"; tail -40 "$WORK/log"
  fi
}
execute() { # notebook: nbconvert exits non-zero when a cell raises an error
  jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=900 \
    --output-dir "$WORK/out" --output "$(basename "$1")" "$1"
}
expect_failure() {
  if execute "$1"; then echo "nbconvert succeeded although a cell throws"; return 1; fi
  grep -q "this cell fails on purpose" "$WORK/log" || { echo "error not reported"; return 1; }
  ! grep -q "must not run" "$WORK/out/$(basename "$1")"
}

check "smoke notebook" execute "$ROOT/tests/notebooks/smoke.ipynb"
check "failing cell fails nbconvert" expect_failure "$ROOT/tests/notebooks/failing.ipynb"
check "interrupt" timeout 300 "$PY" "$ROOT/tests/notebooks/interrupt_check.py"
if [[ "${PEFT4J_NOTEBOOKS:-all}" != smoke ]]; then
  for notebook in "$ROOT"/notebooks/*.ipynb; do
    [[ -e "$notebook" ]] || continue
    check "$(basename "$notebook")" execute "$notebook"
  done
fi

echo "notebooks: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
