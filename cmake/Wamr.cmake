# WAMR (WebAssembly Micro Runtime 2.4), for the wasi-nn-run host (src/host) and the tests that
# run wasm guests through it. WASI_NN_WAMR_DIR points at a user's own WAMR checkout; otherwise
# scripts/fetch-wamr.sh fetches the pinned source (WAMR 2.4.3 from the crate wamrx-sys 0.3.0)
# into a cache outside the repo (offline once cached).
#
# This file only locates the source. wasi_nn_add_wamr_vmlib() (a macro: WAMR's build scripts
# set directory-scoped flags, so call it from the directory that links the runtime, src/host)
# builds the runtime library as the static target `wamr_vmlib`: fast interpreter, libc-wasi,
# and WAMR's own wasi-nn library with the wasi_ephemeral_nn ABI. That library dlopen()s
# "libwasi_nn_llamacpp.so" by name through the library search path, like stock iwasm does.

option(WASI_NN_BUILD_WAMR_HOST "Build the wasi-nn-run host (WAMR) and the tests that run wasm guests" ON)
set(WASI_NN_WAMR_DIR "" CACHE PATH "Use this WAMR 2.4 checkout instead of the pinned, fetched one")

if(WASI_NN_BUILD_WAMR_HOST)
  if(NOT WASI_NN_WAMR_DIR)
    execute_process(
      COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/fetch-wamr.sh
      OUTPUT_VARIABLE _wamr_dir
      OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "Could not fetch WAMR (see above). Set WASI_NN_WAMR_DIR to a WAMR 2.4 "
                          "checkout to build offline, or -DWASI_NN_BUILD_WAMR_HOST=OFF.")
    endif()
    set(WASI_NN_WAMR_DIR "${_wamr_dir}" CACHE PATH "" FORCE)
  endif()
  foreach(_need build-scripts/runtime_lib.cmake core/iwasm/include/wasm_export.h
                core/iwasm/libraries/wasi-nn/src/wasi_nn.c)
    if(NOT EXISTS "${WASI_NN_WAMR_DIR}/${_need}")
      message(FATAL_ERROR "WASI_NN_WAMR_DIR=${WASI_NN_WAMR_DIR} holds no WAMR 2.4 tree (${_need} missing)")
    endif()
  endforeach()
  message(STATUS "WAMR source: ${WASI_NN_WAMR_DIR}")
endif()

macro(wasi_nn_add_wamr_vmlib)
  enable_language(C ASM)
  set(WAMR_ROOT_DIR "${WASI_NN_WAMR_DIR}")
  string(TOLOWER "${CMAKE_HOST_SYSTEM_NAME}" WAMR_BUILD_PLATFORM)
  set(WAMR_BUILD_INTERP 1)
  set(WAMR_BUILD_FAST_INTERP 1)
  set(WAMR_BUILD_AOT 0)
  set(WAMR_BUILD_JIT 0)
  set(WAMR_BUILD_FAST_JIT 0)
  set(WAMR_BUILD_LIBC_BUILTIN 0)
  set(WAMR_BUILD_LIBC_WASI 1)
  set(WAMR_BUILD_SIMD 0)
  set(WAMR_BUILD_REF_TYPES 1)
  set(WAMR_BUILD_BULK_MEMORY 1)
  set(WAMR_BUILD_MULTI_MODULE 0)
  set(WAMR_BUILD_LIB_PTHREAD 0)
  set(WAMR_BUILD_LIB_WASI_THREADS 0)
  # WASI-NN: WAMR's runtime_lib.cmake insists on a backend choice and, for llama.cpp, builds its
  # own libwasi_nn_llamacpp.so; ours replaces that library. So WAMR_BUILD_WASI_NN stays off for
  # its scripts and the wasi-nn sources and definitions it would add are added below, the same
  # ones (WASM_ENABLE_WASI_NN=1, WASM_ENABLE_WASI_EPHEMERAL_NN=1, the include folder).
  set(WAMR_BUILD_WASI_NN 0)
  include(${WASI_NN_WAMR_DIR}/build-scripts/runtime_lib.cmake)
  set(_wamr_nn ${WASI_NN_WAMR_DIR}/core/iwasm/libraries/wasi-nn)
  # WAMR's own include folders (platform, utils, ...), set by its scripts for this directory.
  get_directory_property(_wamr_includes INCLUDE_DIRECTORIES)
  # src/host/wamr_nn_state.c compiles WAMR's wasi_nn.c and wasi_nn_app_native.c (by #include,
  # their state is file-static) and exposes what wasi-nn-run's natives need (wamr_nn_state.h).
  add_library(wamr_vmlib STATIC
    ${WAMR_RUNTIME_LIB_SOURCE}
    ${PROJECT_SOURCE_DIR}/src/host/wamr_nn_state.c)
  target_compile_definitions(wamr_vmlib PUBLIC
    WASM_ENABLE_WASI_NN=1 WASM_ENABLE_WASI_EPHEMERAL_NN=1 WASM_ENABLE_MODULE_INST_CONTEXT=1
    PRIVATE NN_LOG_LEVEL=2)
  # SYSTEM for users: WAMR's headers are third-party, so our -Werror code (src/host) does not
  # answer for their warnings.
  target_include_directories(wamr_vmlib SYSTEM PUBLIC
    ${WASI_NN_WAMR_DIR}/core/iwasm/include ${_wamr_nn}/include ${_wamr_nn}/src ${_wamr_includes})
  target_include_directories(wamr_vmlib PRIVATE ${PROJECT_SOURCE_DIR}/src/host)
  # Third-party C: its own warnings are not ours to fix.
  target_compile_options(wamr_vmlib PRIVATE -w)
  if(WASI_NN_SANITIZE_ADDRESS)
    # WAMR's fast interpreter stores pointers unaligned into the bytecode it precompiles, on
    # purpose, where the CPU allows it (WASM_CPU_SUPPORTS_UNALIGNED_ADDR_ACCESS on x86): UBSan's
    # alignment check would stop every guest at load. All other checks stay on for WAMR.
    target_compile_options(wamr_vmlib PRIVATE -fno-sanitize=alignment)
  endif()
  target_link_libraries(wamr_vmlib PUBLIC m ${CMAKE_DL_LIBS} Threads::Threads)
endmacro()
