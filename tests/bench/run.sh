#!/usr/bin/env bash
# Training-step benchmark: peft4j (DJL/PyTorch) against Hugging Face PEFT (torch) on the same model,
# batch and thread count. NOT part of `mvn verify`; run it on a quiet machine:
#
#   tests/bench/run.sh            full run (~15-25 min): 12 main rows + scaling rows
#   tests/bench/run.sh --quick    2 steps, one configuration per implementation: proves the pipeline
#   tests/bench/run.sh --no-scaling
#   tests/bench/run.sh --scaling-peer   also run SHiRA and torch full FT on the scaling models
#
# One process per configuration, strictly one after another, 2 intra-op threads each,
# MALLOC_ARENA_MAX=1. Output: tests/target/bench/{report.json,report.md,step-times.png,scaling.png}
# plus the raw per-process records in results.jsonl.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BENCH="$ROOT/tests/bench"
OUT="$ROOT/tests/target/bench"
QUICK=0
SCALING=1
SCALING_PEER=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --no-scaling) SCALING=0 ;;
    --scaling-peer) SCALING_PEER=1 ;;
    *) echo "unknown option $arg (use --quick, --no-scaling, --scaling-peer)" >&2; exit 2 ;;
  esac
done
STEPS=15; WARMUP=3
if [ "$QUICK" = 1 ]; then STEPS=2; WARMUP=1; fi
THREADS=2

export MALLOC_ARENA_MAX=1
export OMP_NUM_THREADS=$THREADS

# --- Python venv with torch + transformers + PEFT (from the machine's local wheelhouse) ---
VENV="${PEFT4J_VENV:-$HOME/.cache/peft4j/venv}"
PY="${PEFT4J_PYTHON:-$VENV/bin/python}"
if ! "$PY" -c "import torch, transformers, peft, safetensors" >/dev/null 2>&1; then
  echo "== creating Python venv $VENV"
  python3 -m venv "$VENV"
  index=()
  [ -d /opt/pypi/simple ] && index+=(--index-url file:///opt/pypi/simple)
  "$VENV/bin/pip" install -q "${index[@]}" "torch==2.13.0+cpu" transformers "peft==0.21.0" safetensors numpy
  PY="$VENV/bin/python"
fi

# --- Java build and class path (this checkout's classes, not whatever another build put in ~/.m2) ---
echo "== building peft4j"
(cd "$ROOT" && mvn -q -o -DskipTests install || mvn -q -DskipTests install)
mkdir -p "$OUT"
(cd "$ROOT/tests" && mvn -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$OUT/classpath.txt")
DEPS="$(tr ':' '\n' < "$OUT/classpath.txt" | grep -v '/peft4j-core-' | paste -sd: -)"
CP="$ROOT/tests/target/test-classes:$ROOT/core/target/classes:$DEPS"
JAVA=(java -Xmx6g -XX:+UseParallelGC -cp "$CP"
      -Dai.djl.pytorch.num_threads=$THREADS -Dai.djl.pytorch.num_interop_threads=1 -Dai.djl.offline=true)

RESULTS="$OUT/results.jsonl"
rm -f "$RESULTS" "$OUT/report.json" "$OUT/report.md"

MODEL="$("${JAVA[@]}" io.github.peft4j.tests.bench.BenchMain minilm-folder | tail -1)"
echo "== model: $MODEL"
"$PY" "$BENCH/peer.py" make-batch --vocab 30522 --batch 16 --seq 128 --out "$OUT/batch.safetensors"

echo "== fp32 matmul peak (torch, 2 threads)"
"$PY" "$BENCH/peer.py" matmul-peak --threads $THREADS --repeats $([ "$QUICK" = 1 ] && echo 3 || echo 20) --out "$RESULTS"

peft4j() {  # method dropout [model] [label]
  echo "== peft4j $1 dropout=$2 ${4:-main}"
  "${JAVA[@]}" io.github.peft4j.tests.bench.BenchMain run --model "${3:-$MODEL}" --batch "$OUT/batch.safetensors" \
    --method "$1" --dropout "$2" --steps $STEPS --warmup $WARMUP --label "${4:-main}" --out "$RESULTS"
}
peer() {  # method dropout [model] [label]
  echo "== peft $1 dropout=$2 ${4:-main}"
  "$PY" "$BENCH/peer.py" run --model "${3:-$MODEL}" --batch "$OUT/batch.safetensors" --method "$1" --dropout "$2" \
    --steps $STEPS --warmup $WARMUP --threads $THREADS --label "${4:-main}" --out "$RESULTS"
}

if [ "$QUICK" = 1 ]; then
  peft4j sparse-random 0
  peer shira 0
else
  for m in sparse-random lora full head-only; do peft4j "$m" 0; done
  for m in shira lora full head-only; do peer "$m" 0; done
  peft4j sparse-random 0.1; peft4j full 0.1
  peer shira 0.1; peer full 0.1
fi

if [ "$SCALING" = 1 ]; then
  sizes=("256 4" "512 6" "768 8")
  [ "$QUICK" = 1 ] && sizes=("256 4")
  for size in "${sizes[@]}"; do
    set -- $size
    dir="$HOME/.cache/peft4j/bench-models/bert-h$1-l$2"
    if [ ! -f "$dir/config.json" ]; then
      "$PY" "$BENCH/peer.py" make-bert --hidden "$1" --layers "$2" --out "$dir"
    fi
    peft4j sparse-random 0 "$dir" scaling
    [ "$QUICK" = 1 ] || peft4j full 0 "$dir" scaling
    if [ "$SCALING_PEER" = 1 ]; then
      peer shira 0 "$dir" scaling
      [ "$QUICK" = 1 ] || peer full 0 "$dir" scaling
    fi
  done
fi

echo "== report"
"${JAVA[@]}" io.github.peft4j.tests.bench.BenchReport "$RESULTS" "$OUT"
echo "== wrote $OUT/report.json, report.md, step-times.png, scaling.png"
