# Tiny models for every real-model test, generated at build time by the generators in tools/
# (make-tiny-model, make-tiny-lora, make-tiny-mmproj, make-test-media) from the vocab-only GGUFs
# that llama.cpp ships in models/. docs/TEST_MODELS.md lists every file and what it is for.
# Included from tests/CMakeLists.txt, so the variables below are visible to tests/*/CMakeLists.txt:
#
#   WASI_NN_TEST_MODEL_DIR     folder holding every generated file: tiny-llama.gguf,
#                              tiny-qwen2.gguf, tiny-phi3.gguf, the embedding encoder
#                              tiny-bert.gguf, and the files listed below (reranker, draft,
#                              LoRA adapters, projectors, test media)
#   WASI_NN_TEST_MODELS        the paths of all generated files
#   WASI_NN_LLAMA_COMPLETION   $<TARGET_FILE:llama-completion> (a reference generator; empty
#                              when WASI_NN_BUILD_LLAMA_TOOLS is OFF)
#
# A test that uses the models should `add_dependencies(<its target> tiny_models)`; the models are
# also part of ALL, so a plain `cmake --build` produces them.

set(WASI_NN_TEST_MODEL_DIR "${CMAKE_BINARY_DIR}/models")
set(_wasi_nn_vocab_dir "${WASI_NN_LLAMA_DIR}/models")
set(WASI_NN_TEST_MODELS "")
set(_wasi_nn_manifest "")

# wasi_nn_generate_test_file(<file> <tool target> <arg>...)
# One build step: `<tool> <arg>... --out <model dir>/<file>`. It depends on the tool (a rebuilt
# tool regenerates its files) and on every argument that is a path, absolute or in the model dir
# (vocabularies, base models). The command is also recorded in <model dir>/manifest.tsv, one
# line per file (file, tool, args, tab-separated), from which tests/models regenerates every
# file and checks that the result is byte-identical.
function(wasi_nn_generate_test_file file tool)
  set(_out "${WASI_NN_TEST_MODEL_DIR}/${file}")
  set(_deps ${tool})
  foreach(_arg IN LISTS ARGN)
    if(IS_ABSOLUTE "${_arg}")
      list(APPEND _deps "${_arg}")
    endif()
  endforeach()
  add_custom_command(
    OUTPUT "${_out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${WASI_NN_TEST_MODEL_DIR}"
    COMMAND ${tool} ${ARGN} --out "${_out}"
    DEPENDS ${_deps}
    COMMENT "Generating test file ${file}"
    VERBATIM)
  string(REPLACE ";" "\t" _args "${ARGN}")
  set(WASI_NN_TEST_MODELS ${WASI_NN_TEST_MODELS} "${_out}" PARENT_SCOPE)
  set(_wasi_nn_manifest "${_wasi_nn_manifest}${file}\t$<TARGET_FILE:${tool}>\t${_args}\n" PARENT_SCOPE)
endfunction()

function(wasi_nn_require_vocab name vocab)
  if(NOT EXISTS "${_wasi_nn_vocab_dir}/${vocab}")
    message(FATAL_ERROR "Test model ${name} needs ${_wasi_nn_vocab_dir}/${vocab}, which this llama.cpp "
                        "tree lacks; use the pinned llama.cpp (unset WASI_NN_LLAMA_DIR) or disable WASI_NN_BUILD_TESTS.")
  endif()
endfunction()

# Every model: 2 layers, width 64, 4 heads, f16, tied embeddings, seed 42, spread 0.2 (the
# tool's defaults). Only the vocabulary and the architecture differ. Sizes: llama-bpe ~24 MB,
# qwen2 ~26 MB, phi-3 ~5 MB (the embedding table dominates).
set(WASI_NN_TEST_MODEL_SPECS
    "tiny-llama|llama|ggml-vocab-llama-bpe.gguf"
    "tiny-qwen2|qwen2|ggml-vocab-qwen2.gguf"
    "tiny-phi3|phi3|ggml-vocab-phi-3.gguf")

# Embedding-only models (no text generation, so not in the llama-completion smoke test): a tiny
# BERT encoder with mean pooling (~4 MB).
set(WASI_NN_TEST_EMBED_MODEL_SPECS "tiny-bert|bert|ggml-vocab-bert-bge.gguf")

foreach(_spec IN LISTS WASI_NN_TEST_MODEL_SPECS WASI_NN_TEST_EMBED_MODEL_SPECS)
  string(REPLACE "|" ";" _parts "${_spec}")
  list(GET _parts 0 _name)
  list(GET _parts 1 _arch)
  list(GET _parts 2 _vocab)
  wasi_nn_require_vocab(${_name} ${_vocab})
  wasi_nn_generate_test_file(${_name}.gguf make-tiny-model
    --vocab "${_wasi_nn_vocab_dir}/${_vocab}" --arch ${_arch} --threads 2)
endforeach()

set(_dir "${WASI_NN_TEST_MODEL_DIR}")

# A reranker: tiny-bert's shape with a classification head and rank pooling (~5 MB).
wasi_nn_generate_test_file(tiny-bert-reranker.gguf make-tiny-model
  --vocab "${_wasi_nn_vocab_dir}/ggml-vocab-bert-bge.gguf" --arch bert --pooling rank --threads 2)

# A classifier: the same with three labelled outputs (bert.classifier.output_labels), as a
# sentiment model converted from a *ForSequenceClassification checkpoint has (~5 MB).
wasi_nn_generate_test_file(tiny-bert-classifier.gguf make-tiny-model
  --vocab "${_wasi_nn_vocab_dir}/ggml-vocab-bert-bge.gguf" --arch bert --pooling rank
  --labels negative,neutral,positive --threads 2)

# A draft model for speculative decoding: tiny-llama's vocabulary and seed with one layer, so its
# embeddings and first block equal tiny-llama's and some of its drafts are accepted (~24 MB).
wasi_nn_generate_test_file(tiny-llama-draft.gguf make-tiny-model
  --vocab "${_wasi_nn_vocab_dir}/ggml-vocab-llama-bpe.gguf" --arch llama --n-layer 1 --threads 2)

# LoRA adapters (rank 8, alpha 16, f32; a few KB each). tiny-llama has two that touch different
# matrices, to test several adapters at once.
wasi_nn_generate_test_file(tiny-llama-lora.gguf make-tiny-lora
  --base "${_dir}/tiny-llama.gguf" --targets attn_q,attn_v --seed 1)
wasi_nn_generate_test_file(tiny-llama-lora-ffn.gguf make-tiny-lora
  --base "${_dir}/tiny-llama.gguf" --targets ffn_gate,ffn_up,ffn_down --seed 2)
wasi_nn_generate_test_file(tiny-qwen2-lora.gguf make-tiny-lora
  --base "${_dir}/tiny-qwen2.gguf" --targets attn_q,attn_v --seed 1)
wasi_nn_generate_test_file(tiny-phi3-lora.gguf make-tiny-lora
  --base "${_dir}/tiny-phi3.gguf" --targets attn_qkv,attn_output --seed 1)

# Multimodal projectors for tiny-llama (width 64): a LLaVA-style image encoder (~64 KB) and an
# Ultravox-style audio encoder (~0.5 MB), and the media they are tested with.
wasi_nn_generate_test_file(tiny-llava-mmproj.gguf make-tiny-mmproj
  --kind vision --text "${_dir}/tiny-llama.gguf")
wasi_nn_generate_test_file(tiny-ultravox-mmproj.gguf make-tiny-mmproj
  --kind audio --text "${_dir}/tiny-llama.gguf")
# Vision-language pairs of two families whose media placement differs from LLaVA's
# (docs/TEST_MODELS.md): each text model is tiny-llama's shape in the family's architecture, with
# its chat template and its media tokens as control tokens at the family's own ids; each projector
# is a ~100 KB encoder of the family's graph that makes 16 tokens of a 32x32 image.
#   tiny-qwen2vl    qwen2vl text (M-RoPE: image tokens take 2-D positions), qwen2 vocabulary with
#                   <|vision_start|> <|vision_end|> <|image_pad|> where Qwen2-VL has them
#   tiny-gemma3     gemma3 text (image tokens attend to each other without a causal mask), the
#                   gemma-4 vocabulary (llama.cpp ships no Gemma 3 one; Gemma 4's has Gemma 3's
#                   special-token ids under new names) with Gemma 3's turn and image tokens
#                   named back at those ids
wasi_nn_require_vocab(tiny-qwen2vl ggml-vocab-qwen2.gguf)
wasi_nn_generate_test_file(tiny-qwen2vl.gguf make-tiny-model
  --vocab "${_wasi_nn_vocab_dir}/ggml-vocab-qwen2.gguf" --arch qwen2vl --threads 2
  --control-token "151652=<|vision_start|>" --control-token "151653=<|vision_end|>"
  --control-token "151655=<|image_pad|>")
wasi_nn_generate_test_file(tiny-qwen2vl-mmproj.gguf make-tiny-mmproj
  --kind qwen2vl --text "${_dir}/tiny-qwen2vl.gguf")
wasi_nn_require_vocab(tiny-gemma3 ggml-vocab-gemma-4.gguf)
wasi_nn_generate_test_file(tiny-gemma3.gguf make-tiny-model
  --vocab "${_wasi_nn_vocab_dir}/ggml-vocab-gemma-4.gguf" --arch gemma3 --threads 2
  --control-token "105=<start_of_turn>" --control-token "106=<end_of_turn>"
  --control-token "255999=<start_of_image>" --control-token "256000=<end_of_image>")
# Spread 0.5: Gemma 3 scales token embeddings by sqrt(n_embd) and image embeddings not, so with
# the default 0.2 the image barely reaches a later turn's reply (the WasmEdge gemma-3 guest's
# "another image, another reply" check saw the same text for both test images).
wasi_nn_generate_test_file(tiny-gemma3-mmproj.gguf make-tiny-mmproj
  --kind gemma3 --text "${_dir}/tiny-gemma3.gguf" --spread 0.5)
wasi_nn_generate_test_file(test-gradient.bmp make-test-media --pattern gradient)
wasi_nn_generate_test_file(test-checker.bmp make-test-media --pattern checker --width 48 --height 32)
wasi_nn_generate_test_file(test-tone-440.wav make-test-media --freq 440)
wasi_nn_generate_test_file(test-tone-3000.wav make-test-media --freq 3000)

# Agent models (tests/agents, guests/agent.c; docs/AGENTS.md): tiny-llama's shape with the
# published chat template of a tools-capable family, read from the pinned llama.cpp's
# models/templates at build time (nothing third-party is committed). The generic fallback format
# is tested on tiny-phi3 and tiny-llama, whose templates have no tool support.
#   tiny-qwen25-tools    Qwen2.5 (Hermes-style <tool_call> JSON), qwen2 vocabulary
#   tiny-hermes-tools    Hermes 2 Pro (lazy <tool_call> grammar), llama-bpe vocabulary
#   tiny-llama31-tools   Llama 3.1 (bare JSON calls, "parameters"), llama-bpe vocabulary
#   tiny-mistral-tools   Mistral Nemo ([TOOL_CALLS] [...] with ids), llama-spm vocabulary
#   tiny-glm-think       GLM-4.7-Flash (thinking forced open: the generation prompt ends in
#                        "<think>"), phi-3 vocabulary, where "<|assistant|>" is one token so
#                        "<think>" after it tokenizes as it does alone (the reasoning budget
#                        matches the tag by its tokens)
set(_wasi_nn_template_dir "${_wasi_nn_vocab_dir}/templates")
foreach(_spec
    "tiny-qwen25-tools|qwen2|ggml-vocab-qwen2.gguf|Qwen-Qwen2.5-7B-Instruct.jinja"
    "tiny-hermes-tools|llama|ggml-vocab-llama-bpe.gguf|NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja"
    "tiny-llama31-tools|llama|ggml-vocab-llama-bpe.gguf|meta-llama-Llama-3.1-8B-Instruct.jinja"
    "tiny-mistral-tools|llama|ggml-vocab-llama-spm.gguf|mistralai-Mistral-Nemo-Instruct-2407.jinja"
    "tiny-glm-think|phi3|ggml-vocab-phi-3.gguf|GLM-4.7-Flash.jinja")
  string(REPLACE "|" ";" _parts "${_spec}")
  list(GET _parts 0 _name)
  list(GET _parts 1 _arch)
  list(GET _parts 2 _vocab)
  list(GET _parts 3 _template)
  wasi_nn_require_vocab(${_name} ${_vocab})
  wasi_nn_require_vocab(${_name} templates/${_template})
  wasi_nn_generate_test_file(${_name}.gguf make-tiny-model
    --vocab "${_wasi_nn_vocab_dir}/${_vocab}" --arch ${_arch}
    --chat-template-file "${_wasi_nn_template_dir}/${_template}" --threads 2)
endforeach()

file(GENERATE OUTPUT "${WASI_NN_TEST_MODEL_DIR}/manifest.tsv" CONTENT "${_wasi_nn_manifest}")
add_custom_target(tiny_models ALL DEPENDS ${WASI_NN_TEST_MODELS})

if(TARGET llama-completion)
  set(WASI_NN_LLAMA_COMPLETION "$<TARGET_FILE:llama-completion>")
  # Built with the models so the smoke test (and any test comparing against llama.cpp's own
  # generation) finds it after a plain build.
  add_dependencies(tiny_models llama-completion)
  include(${CMAKE_CURRENT_LIST_DIR}/models_smoke.cmake)
else()
  set(WASI_NN_LLAMA_COMPLETION "")
  message(STATUS "llama-completion not built (WASI_NN_BUILD_LLAMA_TOOLS=OFF): tiny-model smoke test skipped")
endif()

# Preloaded into llama.cpp's tools when tests use them as references: their log thread may not
# have written the last output lines when they exit (tests/support/log_drain.c). Under
# sanitizers only when llama.cpp's tools are not instrumented (WASI_NN_SANITIZE_LLAMA OFF), and
# then built without the sanitizer flags: preloading an instrumented library into an
# uninstrumented program fails (the sanitizer runtime must be loaded first).
set(_wasi_nn_sanitized OFF)
if(WASI_NN_SANITIZE_ADDRESS OR WASI_NN_SANITIZE_THREAD)
  set(_wasi_nn_sanitized ON)
endif()
if(NOT _wasi_nn_sanitized OR NOT WASI_NN_SANITIZE_LLAMA)
  add_library(wasi_nn_log_drain SHARED ${CMAKE_CURRENT_LIST_DIR}/support/log_drain.c)
  if(_wasi_nn_sanitized)
    set_target_properties(wasi_nn_log_drain PROPERTIES COMPILE_OPTIONS "-O2" LINK_OPTIONS "")
  endif()
  set(WASI_NN_LOG_DRAIN "$<TARGET_FILE:wasi_nn_log_drain>")
  add_dependencies(tiny_models wasi_nn_log_drain)
else()
  set(WASI_NN_LOG_DRAIN "")
endif()
