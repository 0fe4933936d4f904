# Checks one wasm guest: it validates (wasm-validate), it imports only from wasi_ephemeral_nn and
# wasi_snapshot_preview1, every wasi_ephemeral_nn import has the signature WAMR 2.4 registers
# for it, and the imports in REQUIRED are there.
#
#   cmake -DWASM=x.wasm -DOBJDUMP=wasm-objdump -DVALIDATE=wasm-validate
#         -DREQUIRED="load_by_name;compute" -P check_imports.cmake

cmake_minimum_required(VERSION 3.16)

foreach(_v WASM OBJDUMP VALIDATE)
  if(NOT ${_v})
    message(FATAL_ERROR "check_imports: ${_v} is not set")
  endif()
endforeach()
if(NOT EXISTS "${WASM}")
  message(FATAL_ERROR "check_imports: ${WASM} does not exist (build the guests first)")
endif()

execute_process(COMMAND "${VALIDATE}" "${WASM}" RESULT_VARIABLE _rc ERROR_VARIABLE _err OUTPUT_VARIABLE _out)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "wasm-validate rejects ${WASM}: ${_out}${_err}")
endif()

execute_process(COMMAND "${OBJDUMP}" -x -j Type "${WASM}" OUTPUT_VARIABLE _types RESULT_VARIABLE _rc1)
execute_process(COMMAND "${OBJDUMP}" -x -j Import "${WASM}" OUTPUT_VARIABLE _imports RESULT_VARIABLE _rc2)
if(NOT _rc1 EQUAL 0 OR NOT _rc2 EQUAL 0)
  message(FATAL_ERROR "wasm-objdump failed on ${WASM}")
endif()

# WAMR's signatures ("*" is a guest pointer, an i32 in wasm32): core/iwasm/libraries/wasi-nn/src/wasi_nn.c.
set(_sig_load "(i32, i32, i32, i32, i32) -> i32")                      # (*iii*)i
set(_sig_load_by_name "(i32, i32, i32) -> i32")                        # (*i*)i
set(_sig_load_by_name_with_config "(i32, i32, i32, i32, i32) -> i32")  # (*i*i*)i
set(_sig_init_execution_context "(i32, i32) -> i32")                   # (i*)i
set(_sig_set_input "(i32, i32, i32) -> i32")                           # (ii*)i
set(_sig_compute "(i32) -> i32")                                       # (i)i
set(_sig_get_output "(i32, i32, i32, i32, i32) -> i32")                # (ii*i*)i
# Streaming, as WasmEdge names them; wasi-nn-run registers them (src/host/wasi_nn_streaming.c).
set(_sig_compute_single "(i32) -> i32")                                # (i)i
set(_sig_get_output_single "(i32, i32, i32, i32, i32) -> i32")         # (ii*i*)i
set(_sig_fini_single "(i32) -> i32")                                   # (i)i

string(REPLACE "\n" ";" _type_lines "${_types}")
string(REPLACE "\n" ";" _import_lines "${_imports}")
set(_found "")
set(_errors "")
foreach(_line IN LISTS _import_lines)
  if(NOT _line MATCHES "^ - func\\[[0-9]+\\] sig=([0-9]+) .* <- ([A-Za-z0-9_]+)\\.([A-Za-z0-9_]+)$")
    if(_line MATCHES "^ - ")
      string(APPEND _errors "\n  an import that is not a function: ${_line}")
    endif()
    continue()
  endif()
  set(_sig_index "${CMAKE_MATCH_1}")
  set(_module "${CMAKE_MATCH_2}")
  set(_name "${CMAKE_MATCH_3}")
  if(_module STREQUAL "wasi_snapshot_preview1")
    continue()
  endif()
  if(NOT _module STREQUAL "wasi_ephemeral_nn")
    string(APPEND _errors "\n  import from an unexpected module: ${_module}.${_name}")
    continue()
  endif()
  if(NOT DEFINED _sig_${_name})
    string(APPEND _errors "\n  wasi_ephemeral_nn.${_name} is not a function WAMR 2.4 provides")
    continue()
  endif()
  set(_sig "")
  foreach(_t IN LISTS _type_lines)
    if(_t MATCHES "^ - type\\[${_sig_index}\\] (.*)$")
      set(_sig "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  if(NOT _sig STREQUAL _sig_${_name})
    string(APPEND _errors "\n  wasi_ephemeral_nn.${_name} has type '${_sig}', WAMR expects '${_sig_${_name}}'")
  endif()
  list(APPEND _found ${_name})
endforeach()
foreach(_r IN LISTS REQUIRED)
  if(NOT _r IN_LIST _found)
    string(APPEND _errors "\n  missing import wasi_ephemeral_nn.${_r}")
  endif()
endforeach()
if(_errors)
  message(FATAL_ERROR "${WASM}:${_errors}\nimports:\n${_imports}")
endif()
list(JOIN _found ", " _found_text)
message(STATUS "${WASM}: valid; wasi_ephemeral_nn imports ${_found_text}")
