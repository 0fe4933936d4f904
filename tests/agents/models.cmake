# Tiny models for the agent tests: the shape of tests/models.cmake's (2 layers, width 64, seed 42,
# random weights) with the published chat template of a tools-capable family, read from the
# pinned llama.cpp's models/templates at build time (nothing third-party is committed):
#
#   tiny-qwen25-tools.gguf   Qwen2.5 (Hermes-style <tool_call> JSON), qwen2 vocabulary
#   tiny-hermes-tools.gguf   Hermes 2 Pro (lazy <tool_call> grammar), llama-bpe vocabulary
#   tiny-llama31-tools.gguf  Llama 3.1 (bare JSON calls, "parameters"), llama-bpe vocabulary
#   tiny-mistral-tools.gguf  Mistral Nemo ([TOOL_CALLS] [...] with ids), llama-spm vocabulary
#   tiny-glm-think.gguf      GLM-4.7-Flash (thinking forced open: the generation prompt ends in
#                            "<think>"), phi-3 vocabulary, where "<|assistant|>" is one token so
#                            "<think>" after it tokenizes as it does alone (the reasoning budget
#                            matches the tag by its tokens)
#
# The generic fallback format is tested on tests/models.cmake's tiny-phi3 and tiny-llama, whose
# templates have no tool support. WASI_NN_AGENT_MODEL_DIR is where these files are written.
set(WASI_NN_AGENT_MODEL_DIR "${CMAKE_BINARY_DIR}/models/agents")
set(_vocabs "${WASI_NN_LLAMA_DIR}/models")
set(_templates "${WASI_NN_LLAMA_DIR}/models/templates")
set(_agent_models "")

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
  if(NOT EXISTS "${_vocabs}/${_vocab}" OR NOT EXISTS "${_templates}/${_template}")
    message(FATAL_ERROR "agent test model ${_name} needs ${_vocab} and ${_template} from llama.cpp's models/; "
                        "use the pinned llama.cpp (unset WASI_NN_LLAMA_DIR) or disable WASI_NN_BUILD_TESTS.")
  endif()
  set(_out "${WASI_NN_AGENT_MODEL_DIR}/${_name}.gguf")
  add_custom_command(
    OUTPUT "${_out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${WASI_NN_AGENT_MODEL_DIR}"
    COMMAND make-tiny-model --vocab "${_vocabs}/${_vocab}" --arch ${_arch}
            --chat-template-file "${_templates}/${_template}" --threads 2 --out "${_out}"
    DEPENDS make-tiny-model "${_vocabs}/${_vocab}" "${_templates}/${_template}"
    COMMENT "Generating agent test model ${_name}.gguf"
    VERBATIM)
  list(APPEND _agent_models "${_out}")
endforeach()
add_custom_target(agent_models ALL DEPENDS ${_agent_models})
