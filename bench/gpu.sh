#!/usr/bin/env bash
# The GPU benchmark in one prepared script, for an NVIDIA machine that reaches no network and gets
# only a copy of this working tree. See docs/GPU.md.
#
#   bench/gpu-prepare.sh           once, on a machine with the llama.cpp source cached: copies it
#                                  into .deps/llama.cpp (ignored, ~52 MiB) to carry with the tree
#   bench/gpu.sh [options]         on the GPU machine
#
# Stages (each is skipped when its result is already there, so a second call continues where a
# cut-off first one stopped):
#   check   cmake, ninja, a C++ compiler, nvcc, python3, nvidia-smi and the llama.cpp source;
#           says what is missing and stops
#   build   $BUILD_DIR with GGML_CUDA=ON for CMAKE_CUDA_ARCHITECTURES=$CUDA_ARCH (90 = Hopper:
#           H100/H200), tests/WAMR/guests off; targets wasi-nn-bench llama-bench llama-batched-bench llama-server
#           llama-quantize make-tiny-model wasi_nn_llamacpp det-table; then tests/abi/check_exports.sh
#   model   bench/make-model.sh llama3-8b Q4_K_M (random weights, 4.9 GB; 16 GB of disk while
#           it is made), cached in .deps/cache
#   bench   bench/bench.py with every layer on the GPU (-ngl 99 / n_gpu_layers 99): decode tg128
#           and prompt pp512 against llama-bench, $PARALLEL concurrent sessions against
#           llama-server --parallel $PARALLEL; then our decode with n_gpu_layers "auto"
#   determinism  det-table (docs/DETERMINISM.md) on a tiny F16 llama with every layer on the GPU:
#           which conditions change a request's bytes in normal mode (the table, in
#           determinism-normal.md), and whether deterministic mode loads there
#           (determinism-deterministic.md; on a GPU it is refused until the CUDA route is built)
# Everything goes to $OUT (default $BUILD_DIR/gpu-out): gpu.log (all output), machine.txt (card,
# driver, toolkit), stages.txt (seconds per stage), exports.txt (export check, NEEDED libraries),
# bench-results/ (bench.py's JSON and logs).
#
# Options (or env): --arch A (CUDA_ARCH, default 90; e.g. "80;86;89;90" for a general build)
#   --parallel N (PARALLEL, default 32)  --reps R (REPS, default 3)  --model M (MODEL: llama3-8b,
#   llama3-1b, or a .gguf path)  --stage S (stop after check|build|model|bench|determinism; a stage already
#   done takes seconds, so `--stage build` then a plain call splits a run in two)
#   --cpu-smoke   the same flow without CUDA on the tiny shape, 4 sessions, 1 repetition, in
#                 $BUILD_DIR (default build-gpu-smoke; an existing configured build is used as
#                 it is): checks the script itself on a machine without a GPU.
# Env: BUILD_DIR (default build-cuda), WASI_NN_LLAMA_DIR (default .deps/llama.cpp, else the cache).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch="${CUDA_ARCH:-90}"
parallel="${PARALLEL:-32}"
reps="${REPS:-3}"
model="${MODEL:-llama3-8b}"
only=""
smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch="$2"; shift 2;;
    --parallel) parallel="$2"; shift 2;;
    --reps) reps="$2"; shift 2;;
    --model) model="$2"; shift 2;;
    --stage) only="$2"; shift 2
      case "$only" in check|build|model|bench|determinism) ;; *) echo "gpu.sh: --stage takes check, build, model, bench or determinism" >&2; exit 2;; esac;;
    --cpu-smoke) smoke=1; shift;;
    -h|--help) sed -n '2,32p' "$0"; exit 0;;
    *) echo "gpu.sh: unknown option $1 (see --help)" >&2; exit 2;;
  esac
done
if [ "$smoke" = 1 ]; then
  build="${BUILD_DIR:-build-gpu-smoke}"; model="${MODEL:-tiny}"; parallel="${PARALLEL:-4}"; reps=1
else
  build="${BUILD_DIR:-build-cuda}"
fi
case "$build" in /*) ;; *) build="$root/$build";; esac
OUT="${OUT:-$build/gpu-out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu.log") 2>&1
t_start=$(date +%s)
say() { echo "gpu.sh [$(( $(date +%s) - t_start ))s]: $*"; }
die() { say "error: $*"; exit 1; }
order="check build model bench determinism"
wants() {  # is stage $1 at or before the --stage to stop after?
  [ -z "$only" ] && return 0
  case " ${order%%"$only"*}$only " in *" $1 "*) return 0;; esac
  return 1
}
stage_done() { echo "$1 $(( $(date +%s) - $2 ))" >> "$OUT/stages.txt"; say "$1 done in $(( $(date +%s) - $2 )) s"; }

# ---- check ------------------------------------------------------------------------------------
t0=$(date +%s)
missing=()
find_tool() {  # name, then fallbacks; prints the first found
  for c in "$@"; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    if [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  return 1
}
cmake_bin=$(find_tool cmake) || missing+=("cmake (3.18 or later)")
cxx=$(find_tool "${CXX:-c++}" g++ clang++) || missing+=("a C++17 compiler (g++ or clang++)")
python=$(find_tool python3) || missing+=("python3 (bench.py)")
ninja_bin=$(find_tool ninja) || say "ninja not found: using make (slower builds)"
nvcc=""
if [ "$smoke" = 0 ]; then
  nvcc=$(find_tool nvcc /usr/local/cuda/bin/nvcc /usr/cuda/bin/nvcc) ||
    missing+=("nvcc (the CUDA toolkit; put its bin/ on PATH or install it under /usr/local/cuda)")
  find_tool nvidia-smi >/dev/null || missing+=("nvidia-smi (the NVIDIA driver: without it no GPU is usable)")
fi
llama_dir="${WASI_NN_LLAMA_DIR:-}"
if [ -z "$llama_dir" ] && [ -f "$build/CMakeCache.txt" ]; then  # an existing build keeps its source
  llama_dir="$(sed -n 's/^WASI_NN_LLAMA_DIR:PATH=//p' "$build/CMakeCache.txt")"
fi
if [ -z "$llama_dir" ]; then
  for d in "$root/.deps/llama.cpp" "$HOME/.cache/wasi_nn_backend/llama.cpp-80fb11ac73e6"; do
    [ -f "$d/include/llama.h" ] && { llama_dir="$d"; break; }
  done
fi
[ -n "$llama_dir" ] && [ -f "$llama_dir/include/llama.h" ] ||
  missing+=("the llama.cpp source: run bench/gpu-prepare.sh where it is cached and carry .deps/llama.cpp")
if [ ${#missing[@]} -gt 0 ]; then
  for m in "${missing[@]}"; do say "missing: $m"; done
  die "${#missing[@]} prerequisite(s) missing (listed above)"
fi
{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(hostname), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  if [ "$smoke" = 0 ]; then
    echo "gpu: $(nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version --format=csv,noheader 2>&1)"
    echo "nvcc: $("$nvcc" --version | tail -n 2 | tr '\n' ' ')"
    echo "cuda architectures: $arch"
  else
    echo "gpu: none (--cpu-smoke)"
  fi
  echo "cmake: $("$cmake_bin" --version | head -n1)"
  echo "compiler: $("$cxx" --version | head -n1)"
  echo "llama.cpp: $llama_dir"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"
stage_done check "$t0"

# ---- build ------------------------------------------------------------------------------------
targets=(wasi-nn-bench llama-bench llama-batched-bench llama-server llama-quantize make-tiny-model wasi_nn_llamacpp det-table)
if wants build; then
  t0=$(date +%s)
  if [ ! -f "$build/CMakeCache.txt" ]; then
    gen=(); [ -n "$ninja_bin" ] && gen=(-G Ninja)
    cuda=(-DGGML_CUDA=OFF)
    [ "$smoke" = 0 ] && cuda=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=$arch" "-DCMAKE_CUDA_COMPILER=$nvcc")
    say "configuring $build"
    "$cmake_bin" -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
      "-DWASI_NN_LLAMA_DIR=$llama_dir" "${cuda[@]}" -DWASI_NN_BUILD_LLAMA_TOOLS=ON \
      -DWASI_NN_BUILD_TESTS=OFF -DWASI_NN_BUILD_WAMR_HOST=OFF -DWASI_NN_BUILD_GUESTS=OFF \
      > "$OUT/configure.log" 2>&1 || { tail -n 30 "$OUT/configure.log"; die "configuring failed (see $OUT/configure.log)"; }
  fi
  say "building ${targets[*]} ($(nproc) jobs)"
  "$cmake_bin" --build "$build" --parallel "$(nproc)" --target "${targets[@]}" > "$OUT/build.log" 2>&1 ||
    { tail -n 40 "$OUT/build.log"; die "building failed (see $OUT/build.log)"; }
  # The CUDA build must stay self-contained too: only the ABI exported, no llama/ggml NEEDED.
  bash "$root/tests/abi/check_exports.sh" "$build/src/abi/libwasi_nn_backend.so" \
    "$build/src/abi/libwasi_nn_llamacpp.so" > "$OUT/exports.txt" 2>&1 ||
    say "warning: tests/abi/check_exports.sh failed on this build (see $OUT/exports.txt)"
  readelf -d "$build/src/abi/libwasi_nn_backend.so" 2>/dev/null | awk '/NEEDED/ {print $NF}' >> "$OUT/exports.txt"
  cat "$OUT/exports.txt"
  stage_done build "$t0"
fi

# ---- model ------------------------------------------------------------------------------------
model_path="$model"
if wants model; then
  t0=$(date +%s)
  case "$model" in
    llama3-1b|llama3-8b|tiny)
      export WASI_NN_CACHE_DIR="${WASI_NN_CACHE_DIR:-$root/.deps/cache}"
      mkdir -p "$WASI_NN_CACHE_DIR"
      free_gb=$(( $(df -Pk "$WASI_NN_CACHE_DIR" | awk 'NR==2 {print $4}') / 1048576 ))
      [ "$model" = llama3-8b ] && [ ! -s "$WASI_NN_CACHE_DIR/bench-models/llama3-8b-q4_k_m.gguf" ] &&
        [ "$free_gb" -lt 22 ] && die "$free_gb GB free in $WASI_NN_CACHE_DIR; making the 8B model needs 22"
      say "making the $model Q4_K_M model"
      model_path=$(BUILD_DIR="$build" "$root/bench/make-model.sh" "$model" Q4_K_M) || die "bench/make-model.sh failed"
      ;;
  esac
  [ -f "$model_path" ] || die "model $model_path not found"
  say "model: $model_path ($(du -h "$model_path" | cut -f1))"
  stage_done model "$t0"
fi

# ---- bench ------------------------------------------------------------------------------------
if wants bench; then
  t0=$(date +%s)
  smoke_args=(); [ "$smoke" = 1 ] && smoke_args=(--smoke)
  ngl=99; [ "$smoke" = 1 ] && ngl=0
  "$python" "$root/bench/bench.py" --build "$build" --model "$model_path" --threads "$(nproc)" \
    --reps "$reps" --parallel "$parallel" --ngl "$ngl" --skip wamr "${smoke_args[@]}" ||
    die "bench.py failed"
  # Our default placement: n_gpu_layers "auto" (llama.cpp's fitting); on one big GPU it should
  # offload everything, so its decode speed should match the -ngl 99 figure above.
  "$build/bench/wasi-nn-bench" --model "$model_path" --threads "$(nproc)" --reps 1 --only decode \
    --parallel "$parallel" --load-config '{"n_gpu_layers": "auto"}' --json "$OUT/auto-decode.json" ||
    die "wasi-nn-bench with n_gpu_layers auto failed"
  latest=$(ls -t "$build/bench-results" | grep '\.json$' | head -n1)
  mkdir -p "$OUT/bench-results"
  cp -r "$build/bench-results/$latest" "$build/bench-results/${latest%.json}" "$OUT/bench-results/" 2>/dev/null
  stage_done bench "$t0"
fi

# ---- determinism ------------------------------------------------------------------------------
# Measures, never fails the run: the tables are the result (docs/DETERMINISM.md, "GPU").
if wants determinism; then
  t0=$(date +%s)
  det_model="$build/det-models/tiny-llama.gguf"
  if [ ! -s "$det_model" ]; then
    mkdir -p "$(dirname "$det_model")"
    "$build/tools/make-tiny-model" --vocab "$llama_dir/models/ggml-vocab-llama-bpe.gguf" --arch llama \
      --threads "$(nproc)" --out "$det_model" > "$OUT/det-model.log" 2>&1 || die "make-tiny-model failed"
  fi
  det_ngl=99; [ "$smoke" = 1 ] && det_ngl=0
  # build/bench/ when tests are off (this script's build), build/tests/determinism/ otherwise.
  det_table=$(find "$build/bench" "$build/tests" -name det-table -type f -perm -u+x 2>/dev/null | head -n1)
  [ -n "$det_table" ] || die "det-table is missing in $build (build its target)"
  for mode in normal deterministic; do
    OMP_WAIT_POLICY=PASSIVE timeout 900 "$det_table" --mode "$mode" --load "{\"n_gpu_layers\": $det_ngl}" \
      --json "$OUT/determinism-$mode.json" "tiny-llama-f16=$det_model" > "$OUT/determinism-$mode.md" \
      2> "$OUT/determinism-$mode.log"
    rc=$?
    say "determinism, $mode mode, n_gpu_layers $det_ngl: exit $rc (0 every condition bit-identical, 1 some differ, 2 refused or failed; $OUT/determinism-$mode.md)"
    [ "$rc" = 2 ] && tail -n 3 "$OUT/determinism-$mode.log"
  done
  stage_done determinism "$t0"
fi
say "all done in $(( $(date +%s) - t_start )) s; results in $OUT"
