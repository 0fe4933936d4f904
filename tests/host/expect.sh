#!/usr/bin/env bash
# expect.sh CODE REGEX COMMAND...: runs COMMAND, shows its output, and passes when it exits with
# CODE and its output (stdout and stderr together) matches the extended regex REGEX ('' = any).
set -u
want=$1 regex=$2
shift 2
out=$("$@" 2>&1)
got=$?
printf '%s\n' "$out"
if [ "$got" != "$want" ]; then
  echo "expect.sh: exit status $got, expected $want" >&2
  exit 1
fi
if [ -n "$regex" ] && ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
  echo "expect.sh: output does not match /$regex/" >&2
  exit 1
fi
exit 0
