# Brings llama.cpp into the build as a static, position-independent subproject.
# WASI_NN_LLAMA_DIR points at a user's own checkout; otherwise scripts/fetch-llama.sh fetches
# the pinned source into a cache outside the repo (offline once cached).

set(WASI_NN_LLAMA_DIR "" CACHE PATH "Use this llama.cpp checkout instead of the pinned, fetched one")

if(NOT WASI_NN_LLAMA_DIR)
  execute_process(
    COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/fetch-llama.sh
    OUTPUT_VARIABLE _llama_dir
    OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "Could not fetch llama.cpp (see above). Set WASI_NN_LLAMA_DIR to a checkout to build offline.")
  endif()
  set(WASI_NN_LLAMA_DIR "${_llama_dir}" CACHE PATH "" FORCE)
endif()
if(NOT EXISTS "${WASI_NN_LLAMA_DIR}/include/llama.h")
  message(FATAL_ERROR "WASI_NN_LLAMA_DIR=${WASI_NN_LLAMA_DIR} holds no llama.cpp tree (include/llama.h missing)")
endif()
message(STATUS "llama.cpp source: ${WASI_NN_LLAMA_DIR}")

# llama.cpp is linked statically into our shared libraries, so every symbol but the ABI stays
# hidden; that needs PIC objects.
set(BUILD_SHARED_LIBS OFF CACHE BOOL "" FORCE)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(LLAMA_BUILD_COMMON ON CACHE BOOL "" FORCE)
set(LLAMA_BUILD_TESTS OFF CACHE BOOL "" FORCE)
set(LLAMA_BUILD_EXAMPLES OFF CACHE BOOL "" FORCE)
set(LLAMA_BUILD_SERVER ${WASI_NN_BUILD_LLAMA_TOOLS} CACHE BOOL "" FORCE)
set(LLAMA_BUILD_TOOLS ${WASI_NN_BUILD_LLAMA_TOOLS} CACHE BOOL "" FORCE)
set(LLAMA_BUILD_APP OFF CACHE BOOL "" FORCE)
set(LLAMA_USE_PREBUILT_UI OFF CACHE BOOL "" FORCE)
set(LLAMA_BUILD_UI OFF CACHE BOOL "" FORCE)
set(LLAMA_OPENSSL OFF CACHE BOOL "" FORCE)
set(LLAMA_ALL_WARNINGS OFF CACHE BOOL "" FORCE)
# ggml's RPC backend (client) is linked in so rpc_servers can put layers on other machines'
# llama.cpp rpc-server processes; like the rest of ggml it stays static and hidden. The tools
# build adds the rpc-server executable (target ggml-rpc-server) that the tests start.
option(WASI_NN_GGML_RPC "Link ggml's RPC backend (config key rpc_servers)" ON)
set(GGML_RPC ${WASI_NN_GGML_RPC} CACHE BOOL "" FORCE)
# mtmd (images and audio) decodes guest bytes in-process: its video path would hand bytes that
# are no image to an ffmpeg child process, so it stays off (docs/MULTIMODAL.md).
set(MTMD_VIDEO OFF CACHE BOOL "" FORCE)

# The pinned source is node-llama-cpp's bundle of llama.cpp's release v0.4.0, squashed into one
# commit (80fb11a), so llama.cpp's build-info would report build 1 and that squash's hash. The
# release is upstream build b10809, commit 5266f24 (its tag's commit): report those, as a build
# from llama.cpp's own repository does (WasmEdge guests print llama_build_number/llama_commit).
if(EXISTS "${WASI_NN_LLAMA_DIR}/.wasi_nn_ok" AND WASI_NN_LLAMA_DIR MATCHES "llama\\.cpp-80fb11ac73e6$")
  set(WASI_NN_PINNED_LLAMA_BUILD 10809)     # the tests check that the libraries report these
  set(WASI_NN_PINNED_LLAMA_COMMIT "5266f24")
  set(LLAMA_BUILD_NUMBER ${WASI_NN_PINNED_LLAMA_BUILD})
  set(LLAMA_BUILD_COMMIT ${WASI_NN_PINNED_LLAMA_COMMIT})
endif()

# EXCLUDE_FROM_ALL: only the targets we link (and the reference tools the tests use) are built.
add_subdirectory(${WASI_NN_LLAMA_DIR} ${CMAKE_BINARY_DIR}/llama.cpp EXCLUDE_FROM_ALL)
# mtmd, llama.cpp's multimodal library (projectors for images and audio), linked into the core.
# The tools build adds it with llama-mtmd-cli; without the tools, add it alone.
if(NOT TARGET mtmd)
  add_subdirectory(${WASI_NN_LLAMA_DIR}/tools/mtmd ${CMAKE_BINARY_DIR}/llama.cpp/tools/mtmd EXCLUDE_FROM_ALL)
endif()
# llama.cpp's embedding tool lives among its examples, which we do not build: add just it, as
# the reference the embedding tests compare with.
if(WASI_NN_BUILD_LLAMA_TOOLS AND EXISTS "${WASI_NN_LLAMA_DIR}/examples/embedding/CMakeLists.txt")
  add_subdirectory(${WASI_NN_LLAMA_DIR}/examples/embedding ${CMAKE_BINARY_DIR}/llama.cpp/examples/embedding EXCLUDE_FROM_ALL)
endif()
# Likewise its speculative-decoding examples: the references the draft-model tests run
# (tests/models). Built only when a test needs them.
foreach(_example speculative speculative-simple)
  if(WASI_NN_BUILD_LLAMA_TOOLS AND EXISTS "${WASI_NN_LLAMA_DIR}/examples/${_example}/CMakeLists.txt")
    add_subdirectory(${WASI_NN_LLAMA_DIR}/examples/${_example} ${CMAKE_BINARY_DIR}/llama.cpp/examples/${_example} EXCLUDE_FROM_ALL)
  endif()
endforeach()

set(WASI_NN_LLAMA_NLOHMANN_DIR "${WASI_NN_LLAMA_DIR}/vendor")

# AMX: some virtual machines advertise AMX and grant its permission, yet fault on the first AMX
# instruction (seen here: SIGILL in ggml's AMX matmul for q8_0/q4_0/q4_K models). -march=native
# would compile those kernels in; keep them out unless asked for.
option(WASI_NN_GGML_AMX "Compile ggml's AMX kernels (only on hosts where AMX really runs)" OFF)
if(NOT WASI_NN_GGML_AMX AND TARGET ggml-cpu AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  target_compile_options(ggml-cpu PRIVATE -mno-amx-tile -mno-amx-int8 -mno-amx-bf16)
endif()

# llama.cpp's headers are third-party: included as system headers, so our -Wall -Wextra
# (and the clang thread-safety check) report our code only.
foreach(_t llama llama-common ggml ggml-base)
  if(TARGET ${_t})
    get_target_property(_inc ${_t} INTERFACE_INCLUDE_DIRECTORIES)
    if(_inc)
      set_property(TARGET ${_t} APPEND PROPERTY INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_inc})
    endif()
  endif()
endforeach()
