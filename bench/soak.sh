#!/usr/bin/env bash
# soak.sh: a load/soak run of the seed ABI (not a ctest). Builds bench/soak_driver.c against
# an already built libwasi_nn_backend.so and runs THREADS concurrent sessions x REQUESTS each
# on a tiny model. Reports errors (only the documented busy code is allowed), p50/p99 latency
# and resident memory after load, after each tenth of the requests and at the end.
#
#   bench/soak.sh [THREADS] [REQUESTS]         default 64 x 50
# Environment: BUILD_DIR (default build), MODEL (default $BUILD_DIR/models/tiny-phi3.gguf),
# CONFIG (the load config JSON; see soak_driver.c for the default).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-64}
requests=${2:-50}
build=${BUILD_DIR:-build}
lib="$build/src/abi/libwasi_nn_backend.so"
model=${MODEL:-$build/models/tiny-phi3.gguf}
[ -f "$lib" ] || { echo "soak.sh: $lib not built (cmake --build $build)" >&2; exit 2; }
[ -f "$model" ] || { echo "soak.sh: no model at $model (set MODEL)" >&2; exit 2; }
out="$build/bench"
mkdir -p "$out"
cc -O2 -Wall -Wextra -std=c99 -D_POSIX_C_SOURCE=200809L -Iinclude bench/soak_driver.c \
  -o "$out/soak_driver" -L"$(dirname "$lib")" -lwasi_nn_backend -lpthread \
  -Wl,-rpath,"$(realpath "$(dirname "$lib")")"
export WASI_NN_LOG_LEVEL=${WASI_NN_LOG_LEVEL:-error}
exec "$out/soak_driver" "$model" "$threads" "$requests" ${CONFIG:+"$CONFIG"}
