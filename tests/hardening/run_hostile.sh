#!/usr/bin/env bash
# run_hostile.sh WASI_NN_RUN GUEST_WASM MODEL: grants a scratch directory holding a FIFO and a
# truncated copy of MODEL, preloads MODEL as "tiny", and runs the hostile guest under WAMR.
set -euo pipefail
run=$1 guest=$2 model=$3
dir=$(mktemp -d /tmp/wasi_nn_hostile.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/fifo.gguf"
head -c 100000 "$model" > "$dir/cut.gguf"
# The operator's limits the guest's over-limit loads run into.
limits='{"use_mlock": false, "ctx_size": 4096, "n_parallel": 4, "kv_save_disk_budget_mb": 1024}'
exec timeout 170 "$run" --nn-dir "$dir" --nn-limits "$limits" --nn-preload "tiny:GGML:AUTO:$model" "$guest" \
  tiny fifo.gguf cut.gguf
