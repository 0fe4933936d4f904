#!/usr/bin/env bash
# streams.sh CODE OUT_REGEX OUT_FORBIDDEN ERR_REGEX COMMAND...: runs COMMAND with stdout and
# stderr kept apart, shows both, and passes when it exits with CODE, its stdout matches the
# extended regex OUT_REGEX and has no line matching OUT_FORBIDDEN, and its stderr matches
# ERR_REGEX ('' = any, for each). OUT_REGEX and ERR_REGEX see each stream whole ('.' matches a
# newline too), so one regex can span lines. For what must reach the operator (stderr) and
# never the guest's own output (stdout).
set -u
want=$1 out_regex=$2 out_forbidden=$3 err_regex=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$@" >"$tmp/out" 2>"$tmp/err"
got=$?
echo "--- stdout"; cat "$tmp/out"
echo "--- stderr"; cat "$tmp/err"
fail() { echo "streams.sh: $*" >&2; exit 1; }
[ "$got" = "$want" ] || fail "exit status $got, expected $want"
if [ -n "$out_regex" ] && ! grep -Ezq -- "$out_regex" "$tmp/out"; then fail "stdout does not match /$out_regex/"; fi
if [ -n "$out_forbidden" ] && grep -Eq -- "$out_forbidden" "$tmp/out"; then fail "stdout matches /$out_forbidden/"; fi
if [ -n "$err_regex" ] && ! grep -Ezq -- "$err_regex" "$tmp/err"; then fail "stderr does not match /$err_regex/"; fi
exit 0
