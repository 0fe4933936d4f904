#!/usr/bin/env bash
# Prepares the working tree for bench/gpu.sh on a machine that reaches no network: copies the
# pinned llama.cpp source (the one this build uses) into .deps/llama.cpp, an ignored folder that
# travels with the tree, pruned to what a CUDA build of the backend and llama.cpp's tools needs.
#
#   bench/gpu-prepare.sh [LLAMA_DIR]     default: the source scripts/fetch-llama.sh prints (cached)
#
# Left out: .git, docs, benchmarks, media, llama.cpp's own tests, Python conversion code, the web
# UI's sources (LLAMA_BUILD_UI is off) and every vocabulary but llama-bpe (the 8B model's). The
# copy is about 55 MiB; the script fails when it exceeds LIMIT_MIB (default 60), since a carried
# folder may be 64 MiB at most.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${1:-$(bash "$root/scripts/fetch-llama.sh")}"
dst="$root/.deps/llama.cpp"
limit="${LIMIT_MIB:-60}"
[ -f "$src/include/llama.h" ] || { echo "gpu-prepare: $src holds no llama.cpp tree" >&2; exit 1; }

rm -rf "$dst"
mkdir -p "$dst/models"
tar -C "$src" --anchored \
  --exclude=./.git --exclude=./docs --exclude=./benches --exclude=./media --exclude=./tests \
  --exclude=./gguf-py --exclude=./conversion --exclude=./models \
  --exclude=./tools/ui/src --exclude=./tools/ui/tests --exclude=./tools/ui/package-lock.json \
  -cf - . | tar -C "$dst" -xf -
cp "$src/models/ggml-vocab-llama-bpe.gguf" "$dst/models/"
mib=$(( $(du -sk "$dst" | cut -f1) / 1024 ))
echo "gpu-prepare: $dst ($mib MiB) from $src"
if [ "$mib" -gt "$limit" ]; then
  echo "gpu-prepare: $mib MiB is over the $limit MiB limit for carried folders" >&2
  exit 1
fi
