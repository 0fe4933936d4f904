#!/usr/bin/env bash
# raw_parity.sh HOST GUEST COMPLETION MODEL PROMPT N [EXTRA_OPTIONS_JSON_MEMBERS]
# WasmEdge's GGML plugin tokenizes input 0 as raw text (special tokens parsed, BOS added as the
# model asks) and never applies a chat template: a guest's greedy output must equal llama.cpp's
# own llama-completion on the same text, byte for byte. EXTRA (e.g. '"mode": "raw"') is added to
# the guest's load options.
set -euo pipefail
host=$1 guest=$2 completion=$3 model=$4 prompt=$5 n=$6 extra=${7:-}
options="{\"ctx-size\": 512, \"n-predict\": $n, \"temp\": 0, \"ignore-eos\": true${extra:+, $extra}}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s' "$prompt" >"$tmp/prompt.txt"
"$host" --nn-preload "m:GGML:AUTO:$model" "$guest" raw m "$prompt" "$options" >"$tmp/guest.txt"
# llama-completion prints through an asynchronous log thread and may exit before flushing the
# end; a complete run ends with "\n\n" (see tests/engine/test_util.cpp), so retry until one does.
for _ in 1 2 3 4 5; do
  "$completion" -m "$model" -f "$tmp/prompt.txt" -n "$n" --temp 0 --ignore-eos -no-cnv \
    --no-display-prompt --no-warmup -t 2 -c 512 -fa off --simple-io >"$tmp/ref.txt" 2>/dev/null || true
  if [ "$(tail -c 2 "$tmp/ref.txt" | od -An -c | tr -d ' ')" = '\n\n' ]; then
    head -c -2 "$tmp/ref.txt" >"$tmp/native.txt"
    break
  fi
done
[ -f "$tmp/native.txt" ] || { echo "raw_parity.sh: llama-completion never finished its output" >&2; exit 1; }
echo "options  : $options"
echo "guest    : $(cat "$tmp/guest.txt")"
echo "reference: $(cat "$tmp/native.txt")"
cmp "$tmp/guest.txt" "$tmp/native.txt"
echo "raw_parity.sh: identical ($(wc -c <"$tmp/guest.txt") bytes)"
