#!/usr/bin/env bash
# stream_stdout.sh MODE MODEL GUEST HOST...: WasmEdge's "stream-stdout": true makes the host
# print each piece of compute's reply to the guest's stdout as it is generated. The guest
# (wasmedge-ggml.wasm raw) prints output 0 itself afterwards, so its stdout holds the reply
# twice: once streamed by the host, once from output 0.
#   MODE printed: the host installs a stream sink (wasi-nn-run): stdout == reply + reply.
#   MODE warned:  the host has none (stock WAMR): stdout == reply, and the library logs that
#                 stream-stdout was ignored; it never writes to stdout itself.
set -euo pipefail
mode=$1 model=$2 guest=$3
shift 3
opts='{"ctx-size": 256, "n-predict": 12, "temp": 0, "ignore-eos": true'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$@" "$guest" raw m "Once upon a time" "$opts}" >"$tmp/plain" 2>"$tmp/plain.err"
"$@" "$guest" raw m "Once upon a time" "$opts, \"stream-stdout\": true}" >"$tmp/streamed" 2>"$tmp/streamed.err"
# Stock WAMR logs to stdout too ("[HH:MM:SS:mmm - THREAD]: warning: failed to link import
# function ..." for WasmEdge's extensions it lacks): those lines are WAMR's, not the reply's.
if [ "$mode" = warned ]; then
  for f in plain streamed; do
    grep -av '^\[[0-9:]* - [0-9A-Fa-f]*\]: ' "$tmp/$f" >"$tmp/$f.kept" || true
    mv "$tmp/$f.kept" "$tmp/$f"
  done
fi
echo "reply   : $(cat "$tmp/plain")"
echo "stdout  : $(cat "$tmp/streamed")"
[ -s "$tmp/plain" ] || { echo "stream_stdout.sh: empty reply" >&2; cat "$tmp/plain.err" >&2; exit 1; }
if [ "$mode" = printed ]; then
  cat "$tmp/plain" "$tmp/plain" >"$tmp/want"
else
  cp "$tmp/plain" "$tmp/want"
  grep -q "stream-stdout' is ignored" "$tmp/streamed.err" || { echo "stream_stdout.sh: no warning" >&2; exit 1; }
fi
cmp "$tmp/streamed" "$tmp/want"
echo "stream_stdout.sh: $mode as expected"
