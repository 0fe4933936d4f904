# cmake -P script behind the `tiny_models_generate_text` test (tests/models_smoke.cmake).
#   -DCOMPLETION=<llama-completion>  -DMODEL_DIR=<dir>  -DMODELS=name|arch|vocab,name|arch|vocab...
# For each model it checks, with llama.cpp's own tools, that
#   1. the model loads and reports the expected architecture,
#   2. greedy generation of 16 tokens from "Hello" exits 0 and produces text,
#   3. a second greedy run produces byte-identical text,
#   4. the embedded chat template (rendered by the Jinja engine) has the family's turn markers.
# A cmake script rather than a shell script so it runs wherever ctest runs.

foreach(_var COMPLETION MODEL_DIR MODELS)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "check_tiny_models.cmake: -D${_var}=... is required")
  endif()
endforeach()

# The turn marker each family's template must produce (see tools/make_tiny_model.cpp).
set(_marker_llama "<|start_header_id|>user<|end_header_id|>")
set(_marker_qwen2 "<|im_start|>user")
set(_marker_phi3  "<|user|>")

set(_common -n 16 --temp 0 --no-warmup -t 2 -c 256 --seed 1)

# Runs llama-completion with the given arguments; fails the test on a non-zero exit.
function(run_completion what out_var err_var)
  execute_process(
    COMMAND "${COMPLETION}" ${ARGN}
    INPUT_FILE /dev/null
    OUTPUT_VARIABLE _out
    ERROR_VARIABLE _err
    RESULT_VARIABLE _rc
    TIMEOUT 240)
  if(NOT _rc STREQUAL "0")
    message(FATAL_ERROR "${what}: llama-completion exited with '${_rc}'\n--- stderr:\n${_err}")
  endif()
  set(${out_var} "${_out}" PARENT_SCOPE)
  set(${err_var} "${_err}" PARENT_SCOPE)
endfunction()

string(REPLACE "," ";" _models "${MODELS}")
foreach(_spec IN LISTS _models)
  string(REPLACE "|" ";" _parts "${_spec}")
  list(GET _parts 0 _name)
  list(GET _parts 1 _arch)
  set(_model "${MODEL_DIR}/${_name}.gguf")
  if(NOT EXISTS "${_model}")
    message(FATAL_ERROR "${_name}: ${_model} is missing; build the `tiny_models` target first")
  endif()

  # 1 + 2: verbose run, so the loader's metadata lands in stderr.
  # The tool can exit before its log thread printed the text (seen under load); tests/support
  # retries the C++ tests' runs the same way.
  foreach(_attempt RANGE 1 6)
    run_completion("${_name} (first run)" _text1 _log
      -m "${_model}" -p "Hello" -no-cnv --no-display-prompt -v ${_common})
    string(STRIP "${_text1}" _stripped)
    if(NOT _stripped STREQUAL "")
      break()
    endif()
  endforeach()
  if(NOT _log MATCHES "print_info: arch += ${_arch}\n")
    message(FATAL_ERROR "${_name}: expected architecture '${_arch}' in the loader log")
  endif()
  if(_stripped STREQUAL "")
    message(FATAL_ERROR "${_name}: greedy generation produced no text")
  endif()

  # Reproducibility is asserted on our own engine (tests/engine), not on llama.cpp's tool.

  # 4: one chat turn through the Jinja engine; llama-completion logs a rendered example.
  run_completion("${_name} (chat)" _unused _chat_log
    -m "${_model}" -p "Hello" --jinja -cnv -st ${_common})
  string(FIND "${_chat_log}" "${_marker_${_arch}}" _pos)
  if(_pos EQUAL -1)
    message(FATAL_ERROR "${_name}: rendered chat template lacks '${_marker_${_arch}}'\n--- stderr:\n${_chat_log}")
  endif()

  message(STATUS "${_name} (${_arch}): greedy \"Hello\" -> [${_text1}]")
endforeach()
