#!/usr/bin/env bash
# Builds the tests with sanitizers (llama.cpp included) and runs them.
#
#   scripts/sanitize.sh asan           ASan+UBSan (WASI_NN_SANITIZE_ADDRESS), llama.cpp included,
#                                      in build-asan: the whole suite
#   scripts/sanitize.sh asan quick     the short CI job, in build-asan-quick: our code only is
#                                      instrumented (WASI_NN_SANITIZE_LLAMA=OFF, Release, so
#                                      llama.cpp comes from ccache after scripts/test.sh); config,
#                                      ABI, hardening (the hostile suite of both ABIs included)
#                                      and the fast core tests
#   scripts/sanitize.sh asan ours      our code (and WAMR) instrumented as in `quick`, in
#                                      build-asan-ours, with llama.cpp's reference tools, the
#                                      WAMR host and the guests: the whole suite of scripts/test.sh
#   scripts/sanitize.sh tsan [quick]   TSan (WASI_NN_SANITIZE_THREAD) in build-tsan[-quick]: the
#                                      concurrency tests (core, and both ABIs' thread and last-error tests);
#                                      `quick` instruments our code only, as above
#
# Environment: BUILD_DIR overrides the folder, JOBS (default 2). Any sanitizer report fails the
# run (halt_on_error / exitcode); leaks are reported by LeakSanitizer under asan. The WAMR host
# and guests are not built here: WAMR's own interpreter is not what is being checked.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: scripts/sanitize.sh asan [quick|ours] | tsan [quick]}
scope=${2:-}
jobs=${JOBS:-2}
# ccache entries keyed relative to the checkout, so a fresh clone elsewhere (CI) reuses them.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
common=(-G Ninja -DWASI_NN_BUILD_BENCH=OFF)
case "$scope" in
  quick) common+=(-DWASI_NN_BUILD_LLAMA_TOOLS=OFF -DWASI_NN_BUILD_GUESTS=OFF -DWASI_NN_BUILD_WAMR_HOST=OFF) ;;
  ours) [ "$kind" = asan ] || { echo "sanitize.sh: 'ours' is for asan" >&2; exit 2; } ;;
  '') common+=(-DWASI_NN_BUILD_LLAMA_TOOLS=OFF -DWASI_NN_BUILD_GUESTS=OFF -DWASI_NN_BUILD_WAMR_HOST=OFF) ;;
  *) echo "usage: scripts/sanitize.sh asan [quick|ours] | tsan [quick]" >&2; exit 2 ;;
esac
quick=
if [ -n "$scope" ]; then
  quick=1
  suffix=-$scope
  common+=(-DCMAKE_BUILD_TYPE=Release -DWASI_NN_SANITIZE_LLAMA=OFF)
else
  suffix=
  common+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWASI_NN_SANITIZE_LLAMA=ON)
fi

case "$kind" in
  asan)
    build=${BUILD_DIR:-build-asan$suffix}
    cmake -S . -B "$build" "${common[@]}" -DWASI_NN_SANITIZE_ADDRESS=ON >/dev/null
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:allocator_may_return_null=1:detect_stack_use_after_return=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-llama.supp:print_suppressions=0"
    # ASan intercepts dlopen, so WAMR's dlopen("libwasi_nn_llamacpp.so") no longer sees
    # wasi-nn-run's RUNPATH ($ORIGIN): point the loader at the library folder instead.
    export LD_LIBRARY_PATH="$(realpath "$build")/src/abi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    if [ "$scope" = quick ]; then
      ninja -C "$build" -j"$jobs" config_tests abi_seed_tests abi_wamr_tests \
        hardening_seed_tests hardening_wamr_tests hardening_fault_tests core_tests tiny_models \
        hardening_hostile_seed_tests hardening_hostile_wamr_tests \
        wasi-nn-params-doc
      # The slow core tests (parity against llama.cpp, long generations) are left to the
      # full run.
      ctest --test-dir "$build" -j1 --timeout 900 --output-on-failure \
        -R '^(config\.|abi_seed_tests|abi_wamr_tests|hardening_|Session|OneSequence|Eviction|KvStore|StopMatcher|Registry|ModelAccess)'
    else
      ninja -C "$build" -j"$jobs"
      # The suite of scripts/test.sh (the bench label is left out there too).
      ctest --test-dir "$build" -j1 --timeout 1800 --output-on-failure -LE 'bench|compat-pending'
    fi
    ;;
  tsan)
    build=${BUILD_DIR:-build-tsan$suffix}
    cmake -S . -B "$build" "${common[@]}" -DWASI_NN_SANITIZE_THREAD=ON >/dev/null
    ninja -C "$build" -j"$jobs" core_tests abi_seed_tests abi_wamr_tests tiny_models
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
    [ -n "$quick" ] && TSAN_OPTIONS+=":suppressions=$PWD/scripts/tsan-llama.supp"
    "$build/tests/core/core_tests" \
      --gtest_filter='Session*:Concurrency*:OneSequence*:Eviction*:HotSwap*:Unload*:Finalize*'
    "$build/tests/abi/abi_seed_tests" --gtest_filter='SeedAbiThreads*:SeedLastError*'
    WASI_NN_MODEL_DIRS="$(realpath "$build")/models:/tmp" "$build/tests/abi/abi_wamr_tests" \
      --gtest_filter='WamrAbiThreads*:WamrLastError*'
    ;;
  *) echo "usage: scripts/sanitize.sh asan [quick|ours] | tsan [quick]" >&2; exit 2 ;;
esac
