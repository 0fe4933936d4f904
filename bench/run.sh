#!/usr/bin/env bash
# The benchmark suite in one command: builds what is missing, makes (or fetches) the model, and
# runs llama.cpp's llama-bench and llama-server, our seed-ABI driver wasi-nn-bench and a WAMR
# guest on the same model with the same threads, in the same run; prints a table of ratios
# against their targets and writes every figure as JSON under $BUILD_DIR/bench-results/.
#
#   bench/run.sh [options] [MODEL]
#
# MODEL (or env MODEL): a .gguf path; llama3-1b (the default) or llama3-8b: a model with those
# shapes and random weights, quantised to Q4_K_M by bench/make-model.sh; `default`: the demo
# model of scripts/fetch-model.sh (Gemma 3 270M Q4_K_M).
# Options (or env):
#   --threads T   (THREADS)    CPU threads for every engine (default: nproc)
#   --reps R      (REPS)       repetitions of each figure (default 3)
#   --no-build                 use $BUILD_DIR as it is
#   --smoke                    short runs, one repetition (checks that the suite works)
#   --skip server,wamr,det,spec leave out the llama-server or the WAMR guest comparison, the
#                              deterministic-mode rows (docs/DETERMINISM.md) or the speculative ones
# Env: BUILD_DIR (default build; configured with -DWASI_NN_BUILD_LLAMA_TOOLS=ON when missing),
#      WASI_NN_CACHE_DIR (model cache, default ~/.cache/wasi_nn_backend).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-build}"
case "$build" in /*) ;; *) build="$root/$build";; esac
model="${MODEL:-llama3-1b}"
threads="${THREADS:-$(nproc)}"
reps="${REPS:-3}"
do_build=1
extra=()
die() { echo "run.sh: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2;;
    --reps) reps="$2"; shift 2;;
    --no-build) do_build=0; shift;;
    --smoke) extra+=(--smoke); shift;;
    --skip) extra+=(--skip "$2"); shift 2;;
    -h|--help) sed -n '2,18p' "$0"; exit 0;;
    -*) die "unknown option $1 (see --help)";;
    *) model="$1"; shift;;
  esac
done
command -v python3 >/dev/null || die "python3 is needed (apt-get install python3)"

if [ "$do_build" = 1 ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
    cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DWASI_NN_BUILD_LLAMA_TOOLS=ON \
      || die "configuring $build failed"
  fi
  cmake --build "$build" --target bench || die "building the bench target in $build failed"
fi

case "$model" in
  llama3-1b|llama3-8b) model="$(BUILD_DIR="$build" "$root/bench/make-model.sh" "$model" Q4_K_M)" \
                         || die "bench/make-model.sh failed";;
  default|gemma) model="$("$root/scripts/fetch-model.sh")" || die "scripts/fetch-model.sh failed";;
esac
[ -f "$model" ] || die "model $model not found"

exec python3 "$root/bench/bench.py" --build "$build" --model "$model" --threads "$threads" --reps "$reps" \
  "${extra[@]}"
