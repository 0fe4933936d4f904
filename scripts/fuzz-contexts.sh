#!/usr/bin/env bash
# The long run of the context fuzzer (fuzz/context_fuzz.cpp): load configs and request settings
# that create real llama.cpp contexts on the tiny models and run requests on them, one forked
# child per case, through the seed ABI. A child that dies (an abort in llama.cpp is SIGABRT) is
# saved as a reproducer. The ctest fuzz.context_fuzz_short runs a fixed 400 cases of it.
#
#   scripts/fuzz-contexts.sh [SECONDS] [JOBS] [SEED]     default: 3600 s, 2 jobs, seed = the time
#
# Environment: BUILD_DIR (default build: a normal test build; the script builds context_fuzz and
# its models there), OUT (default $BUILD_DIR/context-fuzz-out: reproducers crash-*.json and
# hang-*.json, and the run's log), FIRST (first case number, default 0; to continue a run with
# the same seed), EXTRA (more context_fuzz options, e.g. "--timeout 120 --memory-mb 2048").
# Replay a reproducer: $BUILD_DIR/tests/fuzz/context_fuzz --models-dir DIRS --replay FILE.
# Exit status: 0 when no case crashed, 1 when one did, 2 when it could not run.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3600}
jobs=${2:-2}
seed=${3:-$(date +%s)}
build=${BUILD_DIR:-build}
out=${OUT:-$build/context-fuzz-out}
export CCACHE_BASEDIR="$PWD"

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 2
fi
nice cmake --build "$build" -j2 --target context_fuzz >/dev/null || { echo "fuzz-contexts.sh: build failed" >&2; exit 2; }

dirs="$build/models:$build/tests/fuzz/models"
mkdir -p "$out"
log="$out/run-$seed.log"
echo "fuzz-contexts.sh: seed $seed, $secs s, $jobs job(s); log $log, reproducers in $out"
# shellcheck disable=SC2086  # EXTRA is a list of options
nice "$build/tests/fuzz/context_fuzz" --models-dir "$dirs" --seed "$seed" --first "${FIRST:-0}" \
  --seconds "$secs" --jobs "$jobs" --out "$out" ${EXTRA:-} >"$log" 2>&1
rc=$?
grep '^context_fuzz: seed' "$log"
grep '^context_fuzz: first crash' "$log"
grep 'reproducer' "$log" | head -20
exit $rc
