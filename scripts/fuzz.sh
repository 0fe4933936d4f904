#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang-14 and runs each for a while.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default: 60 s each, config_fuzz and abi_fuzz
#
# Environment: BUILD_DIR (default build-fuzz), MODEL (a tiny GGUF for abi_fuzz; default: the
# generated tiny-phi3.gguf of a test build, see tests/models.cmake), JOBS (default 2).
# Each target starts from fuzz/corpus/<target>/ and grows a working corpus in
# $BUILD_DIR/fuzz-corpus/<target>/; a crashing input is written to $BUILD_DIR/fuzz-crashes/.
# Prints, per target, the executions run and the crashes found; exits 1 when any target crashed.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(config_fuzz abi_fuzz)
build=${BUILD_DIR:-build-fuzz}
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true  # see scripts/sanitize.sh
jobs=${JOBS:-2}

command -v clang++-14 >/dev/null || { echo "fuzz.sh: clang++-14 is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWASI_NN_BUILD_FUZZERS=ON -DWASI_NN_BUILD_TESTS=OFF -DWASI_NN_BUILD_LLAMA_TOOLS=OFF \
    -DWASI_NN_BUILD_BENCH=OFF -DWASI_NN_BUILD_GUESTS=OFF -DWASI_NN_BUILD_WAMR_HOST=OFF >/dev/null || exit 2
fi
ninja -C "$build" -j"$jobs" "${targets[@]}" >/dev/null || { echo "fuzz.sh: build failed" >&2; exit 2; }

model=${MODEL:-}
if [ -z "$model" ]; then
  for m in build/models/tiny-phi3.gguf build-*/models/tiny-phi3.gguf; do
    [ -f "$m" ] && { model=$(realpath "$m"); break; }
  done
fi

status=0
for t in "${targets[@]}"; do
  work="$build/fuzz-corpus/$t" crashes="$build/fuzz-crashes/$t"
  mkdir -p "$work" "$crashes"
  log="$build/fuzz-$t.log"
  if [ "$t" = abi_fuzz ]; then
    [ -n "$model" ] || { echo "fuzz.sh: abi_fuzz needs MODEL=tiny.gguf (run scripts/test.sh once to generate one)" >&2; exit 2; }
    export WASI_NN_FUZZ_MODEL="$model"
  fi
  # detect_leaks: a Backend that survives deinit_backend is a finding too.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
    "$build/fuzz/$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -max_len=4096 \
      -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
  found=$(find "$crashes" -type f | wc -l)
  echo "$t: ${execs:-?} executions in ${secs}s, exit $rc, $found crashing input(s) in $crashes (log: $log)"
  [ "$rc" -eq 0 ] && [ "$found" -eq 0 ] || status=1
done
exit $status
