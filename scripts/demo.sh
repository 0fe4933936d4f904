#!/usr/bin/env bash
# The demo: a WebAssembly guest (guests/chat.c, compiled to wasm32-wasi) chatting with a real
# model through WASI-NN, run by WAMR (wasi-nn-run) over libwasi_nn_llamacpp.so.
#
#   ./scripts/demo.sh                  answers a sample prompt; at a terminal, then chats on
#   ./scripts/demo.sh "Your prompt"    answers that prompt instead
#
# On a fresh machine it installs what is missing (scripts/install-deps.sh), configures and
# builds only the targets it needs in build/ (BUILD_DIR overrides), and fetches the default
# model (scripts/fetch-model.sh: Gemma 3 270M, 253 MB, cached in ~/.cache/wasi_nn_backend).
# Later runs reuse all of it and work offline.
#
# Environment: BUILD_DIR (default build), CMAKE_ARGS (extra configure options for a new build
# folder, e.g. -DGGML_CUDA=ON), MODEL (a .gguf to use instead of the default),
# DEMO_CONFIG (load settings JSON, replacing the default below), WASI_NN_CACHE_DIR.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${BUILD_DIR:-build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
prompt="${1:-Hello! Who are you, and what can you do?}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "1/4 packages"
bash "$root/scripts/install-deps.sh" && echo "packages ready" >&2

step "2/4 build ($build): wasi-nn-run, libwasi_nn_llamacpp.so, chat.wasm"
if [ ! -f "$build/CMakeCache.txt" ]; then
  # shellcheck disable=SC2086 # CMAKE_ARGS holds several words, e.g. "-DGGML_CUDA=ON"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} >&2
fi
cmake --build "$build" --target wasi-nn-run wasi_nn_llamacpp chat >&2
host=$(find "$build" -name wasi-nn-run -type f -perm -u+x -print -quit)
guest="$build/guests/chat.wasm"
[ -n "$host" ] || { echo "demo: wasi-nn-run was not built in $build" >&2; exit 1; }
[ -f "$guest" ] || { echo "demo: $guest was not built (a clang that targets wasm32-wasi is needed)" >&2; exit 1; }

step "3/4 model"
model="${MODEL:-$("$root/scripts/fetch-model.sh")}"
echo "$model" >&2

# The default model is Gemma 3 270M *pretrained* (not instruction-tuned), and its GGUF has no
# chat template. Pretrained models answer best in a question/answer transcript, so the demo
# gives it one as its chat template (Jinja), with a one-line preamble, short replies that end
# at a blank line, the next "Question:" or a stray special token, and mild sampling. A model with its own template
# needs none of this: MODEL=... uses plain settings, DEMO_CONFIG replaces them.
qa_template='{% for m in messages %}{% if m.role == "system" %}{{ m.content | trim }}\n\n{% elif m.role == "user" %}Question: {{ m.content | trim }}\n{% else %}Answer: {{ m.content | trim }}\n\n{% endif %}{% endfor %}{% if add_generation_prompt %}Answer:{% endif %}'
if [ -n "${DEMO_CONFIG+set}" ]; then
  config="$DEMO_CONFIG"
elif [ -n "${MODEL:-}" ]; then
  config='{"ctx_size": 4096, "n_predict": 256}'
else
  config="{\"ctx_size\": 4096, \"n_predict\": 128, \"temperature\": 0.3, \"repeat_penalty\": 1.15,
    \"stop\": [\"Question:\", \"\\n\\n\", \"<start_of_image>\"], \"system_prompt\": \"Questions and clear, helpful answers.\",
    \"chat_template\": \"${qa_template//\"/\\\"}\"}"
fi
# llama.cpp's load-time notices are noise here; WASI_NN_LOG_LEVEL=warn (or info) shows them.
export WASI_NN_LOG_LEVEL="${WASI_NN_LOG_LEVEL:-error}"

step "4/4 chat: guests/chat.c in WAMR, model $(basename "$model")"
args=(--nn-preload "default:GGML:AUTO:$model" "$guest" default "$config" --prompt "$prompt")
# At a terminal the conversation goes on after the sample prompt (chat.wasm -i).
[ -t 0 ] && args+=(-i)
exec "$host" "${args[@]}"
