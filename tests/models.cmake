# Tiny models for every real-model test, generated at build time by tools/make-tiny-model from
# the vocab-only GGUFs that llama.cpp ships in models/. Included from tests/CMakeLists.txt, so
# the variables below are visible to tests/*/CMakeLists.txt:
#
#   WASI_NN_TEST_MODEL_DIR     folder holding tiny-llama.gguf, tiny-qwen2.gguf, tiny-phi3.gguf,
#                              and the embedding encoder tiny-bert.gguf
#   WASI_NN_TEST_MODELS        the four model paths
#   WASI_NN_LLAMA_COMPLETION   $<TARGET_FILE:llama-completion> (a reference generator; empty
#                              when WASI_NN_BUILD_LLAMA_TOOLS is OFF)
#
# A test that uses the models should `add_dependencies(<its target> tiny_models)`; the models are
# also part of ALL, so a plain `cmake --build` produces them.

set(WASI_NN_TEST_MODEL_DIR "${CMAKE_BINARY_DIR}/models")
set(_wasi_nn_vocab_dir "${WASI_NN_LLAMA_DIR}/models")

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

set(WASI_NN_TEST_MODELS "")
foreach(_spec IN LISTS WASI_NN_TEST_MODEL_SPECS WASI_NN_TEST_EMBED_MODEL_SPECS)
  string(REPLACE "|" ";" _parts "${_spec}")
  list(GET _parts 0 _name)
  list(GET _parts 1 _arch)
  list(GET _parts 2 _vocab)
  set(_out "${WASI_NN_TEST_MODEL_DIR}/${_name}.gguf")
  if(NOT EXISTS "${_wasi_nn_vocab_dir}/${_vocab}")
    message(FATAL_ERROR "Test model ${_name} needs ${_wasi_nn_vocab_dir}/${_vocab}, which this llama.cpp "
                        "tree lacks; use the pinned llama.cpp (unset WASI_NN_LLAMA_DIR) or disable WASI_NN_BUILD_TESTS.")
  endif()
  # DEPENDS on the tool target: a rebuilt tool regenerates the models; nothing else does.
  add_custom_command(
    OUTPUT "${_out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${WASI_NN_TEST_MODEL_DIR}"
    COMMAND make-tiny-model --vocab "${_wasi_nn_vocab_dir}/${_vocab}" --arch ${_arch}
            --out "${_out}" --threads 2
    DEPENDS make-tiny-model "${_wasi_nn_vocab_dir}/${_vocab}"
    COMMENT "Generating test model ${_name}.gguf (${_arch})"
    VERBATIM)
  list(APPEND WASI_NN_TEST_MODELS "${_out}")
endforeach()

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
