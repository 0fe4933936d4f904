#!/usr/bin/env bash
# Makes a benchmark model with realistic shapes and prints its path (stdout holds only the path).
#
#   bench/make-model.sh [llama3-1b|llama3-8b|tiny] [QUANT]     defaults: llama3-1b Q4_K_M
#
# tools/make-tiny-model writes the model (f16, Llama-3.2-1B or Llama-3-8B shapes, the llama-bpe
# tokenizer llama.cpp ships, random weights) and llama.cpp's llama-quantize converts it to QUANT
# (any type llama-quantize knows: Q4_K_M, Q8_0, F16 keeps the f16 file). Random weights are
# (`tiny`: the 2-layer test shape, for checking this flow in seconds; Q4_K falls back to other
# types for its narrow rows). Random weights are fine for speed: the work per token depends on the shapes and types, not on the values (the
# text it generates is gibberish, and with ignore_eos the token counts are fixed).
#
# Cached as $WASI_NN_CACHE_DIR/bench-models/<preset>-<quant>.gguf (default cache dir
# ~/.cache/wasi_nn_backend); a cached model is printed without any work. Tools come from
# $BUILD_DIR (default build; targets make-tiny-model and llama-quantize, built when missing).
# Sizes: llama3-1b f16 2.5 GB -> Q4_K_M 0.8 GB; llama3-8b f16 16 GB -> Q4_K_M 4.9 GB (the f16
# file is deleted after quantising). Progress goes to stderr.
set -euo pipefail

preset="${1:-llama3-1b}"
quant="${2:-Q4_K_M}"
case "$preset" in
  llama3-1b|llama3-8b) shape=(--preset "$preset");;
  tiny) shape=(--arch llama);;
  *) echo "make-model: unknown preset '$preset' (llama3-1b, llama3-8b or tiny)" >&2; exit 2;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
case "$build" in /*) ;; *) build="$root/$build";; esac
cache="${WASI_NN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wasi_nn_backend}/bench-models"
out="$cache/$preset-$(echo "$quant" | tr 'A-Z' 'a-z').gguf"
log() { echo "make-model: $*" >&2; }

if [ -s "$out" ]; then echo "$out"; exit 0; fi

[ -f "$build/CMakeCache.txt" ] || { log "$build is not a configured build dir (set BUILD_DIR, or run bench/run.sh)"; exit 1; }
log "building make-tiny-model and llama-quantize in $build ..."
cmake --build "$build" --target make-tiny-model llama-quantize >&2
llama_dir="$(sed -n 's/^WASI_NN_LLAMA_DIR:PATH=//p' "$build/CMakeCache.txt")"
vocab="$llama_dir/models/ggml-vocab-llama-bpe.gguf"
[ -f "$vocab" ] || { log "vocab $vocab not found"; exit 1; }
tool="$(find "$build" -name make-tiny-model -type f -perm -u+x | head -n1)"
quantize="$(find "$build" -name llama-quantize -type f -perm -u+x | head -n1)"
[ -n "$tool" ] && [ -n "$quantize" ] || { log "make-tiny-model or llama-quantize missing in $build"; exit 1; }

mkdir -p "$cache"
tmp="$(mktemp -d "$cache/.make-model.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
threads="$(nproc)"
log "writing $preset (f16, random weights) ..."
"$tool" --vocab "$vocab" "${shape[@]}" --out "$tmp/f16.gguf" --name "bench-$preset" --threads "$threads" >&2
if [ "$(echo "$quant" | tr 'a-z' 'A-Z')" = F16 ]; then
  mv "$tmp/f16.gguf" "$tmp/out.gguf"
else
  log "quantising to $quant ..."
  "$quantize" "$tmp/f16.gguf" "$tmp/out.gguf" "$quant" "$threads" >&2
  rm -f "$tmp/f16.gguf"
fi
mv "$tmp/out.gguf" "$out"
log "done: $(du -h "$out" | cut -f1)"
echo "$out"
