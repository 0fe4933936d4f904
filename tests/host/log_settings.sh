#!/usr/bin/env bash
# log_settings.sh HOST GUEST MODEL: wasi-nn-run's --nn-log-* options reach the library.
#   1. --nn-log-level info --nn-log-format json --nn-log-file F: the library's lines are JSON
#      at info level in F, none on stderr, none on the guest's stdout;
#   2. --nn-log-level none: the warning the tiny model always causes is not printed.
set -euo pipefail
host=$1 guest=$2 model=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "log_settings.sh: $*" >&2; exit 1; }
run() { "$host" "$@" --nn-preload "m:GGML:AUTO:$model" "$guest" generate m "Once upon a time" 4; }

run --nn-log-level info --nn-log-format json --nn-log-file "$tmp/lib.log" >"$tmp/out" 2>"$tmp/err"
echo "log file: $(wc -l <"$tmp/lib.log") lines; first: $(head -1 "$tmp/lib.log")"
grep -q '^{.*"level":"info"' "$tmp/lib.log" || fail "no JSON info line in the log file"
grep -q '"level"\|\[wasi-nn' "$tmp/err" && fail "library lines on stderr despite --nn-log-file: $(cat "$tmp/err")"
grep -q '"level"\|\[wasi-nn' "$tmp/out" && fail "library lines on the guest's stdout"

run >/dev/null 2>"$tmp/err-default"
grep -q '\[wasi-nn W\]' "$tmp/err-default" || fail "the default level printed no warning: the next check proves nothing"
run --nn-log-level none >/dev/null 2>"$tmp/err-none"
grep -q '\[wasi-nn' "$tmp/err-none" && fail "--nn-log-level none still logged: $(cat "$tmp/err-none")"
echo "log_settings.sh: level, format and file reach the library"
