#!/usr/bin/env bash
# parity.sh HOST GUEST NATIVE MODEL PROMPT N: the guest's greedy raw generation under WAMR
# (wasi-nn-run, model preloaded as an alias) must equal the native seed-ABI host's, byte for byte.
set -euo pipefail
host=$1 guest=$2 native=$3 model=$4 prompt=$5 n=$6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$host" --nn-preload "m:GGML:AUTO:$model" "$guest" generate m "$prompt" "$n" >"$tmp/guest.txt"
"$native" "$model" "$prompt" "$n" >"$tmp/native.txt"
echo "guest : $(cat "$tmp/guest.txt")"
echo "native: $(cat "$tmp/native.txt")"
if [ ! -s "$tmp/native.txt" ]; then
  echo "parity.sh: the native host generated nothing" >&2
  exit 1
fi
cmp "$tmp/guest.txt" "$tmp/native.txt"
echo "parity.sh: identical ($(wc -c <"$tmp/guest.txt") bytes)"
