# Builds WebAssembly guests (C -> wasm32-wasi) with clang, for tests and examples.
#
#   wasi_nn_add_guest(<target> SOURCES <files...> [INCLUDE_DIRS <dirs...>])
#
# produces ${CMAKE_CURRENT_BINARY_DIR}/<target>.wasm and a custom target <target> (part of ALL)
# whose WASM_FILE property holds that path. Compiled with `clang --target=wasm32-wasi -O2`
# against the system WASI sysroot (Debian: wasi-libc, libclang-rt-14-dev-wasm32, lld-14).
#
# WASI_NN_WASM_CC picks the compiler (default: clang-14, then clang). When it cannot build a
# wasm32-wasi program, WASI_NN_HAVE_WASM_GUESTS is OFF and wasi_nn_add_guest() adds nothing:
# callers check WASI_NN_HAVE_WASM_GUESTS (or `if(TARGET <target>)`) before using a guest.
# WASI_NN_WASM_OBJDUMP is wasm-objdump (wabt) when found, for tests that check imports.

if(DEFINED _WASI_NN_WASM_GUEST_INCLUDED)
  return()
endif()
set(_WASI_NN_WASM_GUEST_INCLUDED TRUE)

find_program(WASI_NN_WASM_CC NAMES clang-14 clang DOC "C compiler that targets wasm32-wasi")
find_program(WASI_NN_WASM_OBJDUMP NAMES wasm-objdump DOC "wabt's wasm-objdump")

set(WASI_NN_HAVE_WASM_GUESTS OFF)
if(WASI_NN_WASM_CC)
  # Probe once: compile and link a tiny WASI program.
  set(_probe_dir "${CMAKE_BINARY_DIR}/CMakeFiles/wasi_nn_wasm_probe")
  file(MAKE_DIRECTORY "${_probe_dir}")
  file(WRITE "${_probe_dir}/probe.c" "#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n")
  execute_process(
    COMMAND ${WASI_NN_WASM_CC} --target=wasm32-wasi -O2 -o "${_probe_dir}/probe.wasm" "${_probe_dir}/probe.c"
    RESULT_VARIABLE _probe_rc OUTPUT_QUIET ERROR_VARIABLE _probe_err)
  if(_probe_rc EQUAL 0)
    set(WASI_NN_HAVE_WASM_GUESTS ON)
  else()
    message(STATUS "wasm guests: ${WASI_NN_WASM_CC} cannot build wasm32-wasi programs "
                   "(apt-get install wasi-libc libclang-rt-14-dev-wasm32 lld-14 clang-14): ${_probe_err}")
  endif()
else()
  message(STATUS "wasm guests: no clang found (apt-get install clang-14 wasi-libc libclang-rt-14-dev-wasm32 lld-14)")
endif()
message(STATUS "wasm guests: ${WASI_NN_HAVE_WASM_GUESTS} (compiler: ${WASI_NN_WASM_CC})")

function(wasi_nn_add_guest target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;INCLUDE_DIRS")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "wasi_nn_add_guest(${target}): SOURCES is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "wasi_nn_add_guest(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT WASI_NN_HAVE_WASM_GUESTS)
    return()
  endif()
  set(_out "${CMAKE_CURRENT_BINARY_DIR}/${target}.wasm")
  set(_sources "")
  foreach(_s IN LISTS ARG_SOURCES)
    get_filename_component(_abs "${_s}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND _sources "${_abs}")
  endforeach()
  set(_includes "")
  foreach(_d IN LISTS ARG_INCLUDE_DIRS)
    get_filename_component(_abs "${_d}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND _includes "-I${_abs}")
  endforeach()
  # Headers in INCLUDE_DIRS are dependencies too, so editing one rebuilds the guest.
  set(_headers "")
  foreach(_d IN LISTS ARG_INCLUDE_DIRS)
    get_filename_component(_abs "${_d}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    file(GLOB _h "${_abs}/*.h")
    list(APPEND _headers ${_h})
  endforeach()
  add_custom_command(
    OUTPUT "${_out}"
    COMMAND ${WASI_NN_WASM_CC} --target=wasm32-wasi -O2 -Wall -Wextra ${_includes}
            -o "${_out}" ${_sources}
    DEPENDS ${_sources} ${_headers}
    COMMENT "Building wasm guest ${target}.wasm"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS "${_out}")
  set_target_properties(${target} PROPERTIES WASM_FILE "${_out}")
endfunction()
