# Builds WebAssembly guests written in Rust (a cargo workspace -> wasm32-wasi), for tests.
#
#   wasi_nn_add_rust_guests(<target> MANIFEST <Cargo.toml> BINARIES <name>...)
#
# builds every binary of the workspace with `cargo build --release --locked --offline --target
# wasm32-wasi` into ${CMAKE_CURRENT_BINARY_DIR}/target and copies each <name>.wasm to
# ${CMAKE_CURRENT_BINARY_DIR}/<name>.wasm. The custom target <target> (part of ALL) produces
# them; its property WASM_DIR holds that folder. Nothing is written into the source tree.
#
# Toolchain: a rustc that has the wasm32-wasi standard library (Debian: rustc, cargo,
# libstd-rust-dev-wasm32; rustup toolchains here lack the target). WASI_NN_CARGO / WASI_NN_RUSTC
# pick them (default: /usr/bin first). Crates come from crates.io at the versions in the
# workspace's Cargo.lock, fetched at configure time into a cache outside the repo
# (${WASI_NN_CACHE_DIR:-~/.cache/wasi_nn_backend}/cargo); the build itself is offline.
# Debian's cargo (1.65) reaches crates.io only through the sparse protocol, an unstable
# feature there, hence RUSTC_BOOTSTRAP=1 and the two CARGO_* variables below.
#
# When the toolchain is missing or the crates cannot be fetched, WASI_NN_HAVE_RUST_GUESTS is OFF
# and wasi_nn_add_rust_guests() adds nothing (callers check `if(TARGET <target>)`).

if(DEFINED _WASI_NN_RUST_GUEST_INCLUDED)
  return()
endif()
set(_WASI_NN_RUST_GUEST_INCLUDED TRUE)

find_program(WASI_NN_CARGO NAMES cargo HINTS /usr/bin NO_DEFAULT_PATH DOC "cargo for wasm guests")
find_program(WASI_NN_CARGO NAMES cargo DOC "cargo for wasm guests")
find_program(WASI_NN_RUSTC NAMES rustc HINTS /usr/bin NO_DEFAULT_PATH DOC "rustc with the wasm32-wasi std")
find_program(WASI_NN_RUSTC NAMES rustc DOC "rustc with the wasm32-wasi std")

if(DEFINED ENV{WASI_NN_CACHE_DIR})
  set(_cache "$ENV{WASI_NN_CACHE_DIR}")
elseif(DEFINED ENV{XDG_CACHE_HOME})
  set(_cache "$ENV{XDG_CACHE_HOME}/wasi_nn_backend")
else()
  set(_cache "$ENV{HOME}/.cache/wasi_nn_backend")
endif()
set(WASI_NN_CARGO_HOME "${_cache}/cargo" CACHE PATH "CARGO_HOME for the Rust guests' crates (outside the repo)")

# The environment of every cargo call: our CARGO_HOME, the rustc that has wasm32-wasi, the
# sparse registry protocol.
set(WASI_NN_CARGO_ENV
    CARGO_HOME=${WASI_NN_CARGO_HOME} RUSTC=${WASI_NN_RUSTC} RUSTC_BOOTSTRAP=1
    CARGO_UNSTABLE_SPARSE_REGISTRY=true CARGO_REGISTRIES_CRATES_IO_PROTOCOL=sparse)

set(WASI_NN_HAVE_RUST_GUESTS OFF)
if(WASI_NN_CARGO AND WASI_NN_RUSTC)
  execute_process(COMMAND ${WASI_NN_RUSTC} --print target-libdir --target wasm32-wasi
                  OUTPUT_VARIABLE _libdir OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _rc ERROR_QUIET)
  file(GLOB _std "${_libdir}/libstd-*.rlib")
  if(_rc EQUAL 0 AND _std)
    set(WASI_NN_HAVE_RUST_GUESTS ON)
  else()
    message(STATUS "Rust guests: ${WASI_NN_RUSTC} has no wasm32-wasi standard library "
                   "(apt-get install rustc cargo libstd-rust-dev-wasm32)")
  endif()
else()
  message(STATUS "Rust guests: no cargo/rustc (apt-get install rustc cargo libstd-rust-dev-wasm32)")
endif()

# Fetches the locked crates into WASI_NN_CARGO_HOME (offline first: no network once cached).
function(_wasi_nn_cargo_fetch manifest out_ok)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env ${WASI_NN_CARGO_ENV}
                          ${WASI_NN_CARGO} fetch --locked --offline --manifest-path ${manifest}
                  RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT _rc EQUAL 0)
    message(STATUS "Rust guests: fetching crates for ${manifest} into ${WASI_NN_CARGO_HOME}")
    execute_process(COMMAND ${CMAKE_COMMAND} -E env ${WASI_NN_CARGO_ENV}
                            ${WASI_NN_CARGO} fetch --locked --manifest-path ${manifest}
                    RESULT_VARIABLE _rc ERROR_VARIABLE _err OUTPUT_QUIET)
    if(NOT _rc EQUAL 0)
      message(STATUS "Rust guests skipped: cargo fetch failed: ${_err}")
    endif()
  endif()
  if(_rc EQUAL 0)
    set(${out_ok} ON PARENT_SCOPE)
  else()
    set(${out_ok} OFF PARENT_SCOPE)
  endif()
endfunction()

function(wasi_nn_add_rust_guests target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "MANIFEST" "BINARIES")
  if(NOT ARG_MANIFEST OR NOT ARG_BINARIES)
    message(FATAL_ERROR "wasi_nn_add_rust_guests(${target}): MANIFEST and BINARIES are required")
  endif()
  if(NOT WASI_NN_HAVE_RUST_GUESTS)
    return()
  endif()
  _wasi_nn_cargo_fetch(${ARG_MANIFEST} _fetched)
  if(NOT _fetched)
    return()
  endif()
  get_filename_component(_root "${ARG_MANIFEST}" DIRECTORY)
  file(GLOB_RECURSE _sources CONFIGURE_DEPENDS "${_root}/*.rs" "${_root}/*/Cargo.toml")
  set(_target_dir "${CMAKE_CURRENT_BINARY_DIR}/target")
  set(_outputs "")
  set(_copies "")
  foreach(_bin IN LISTS ARG_BINARIES)
    list(APPEND _outputs "${CMAKE_CURRENT_BINARY_DIR}/${_bin}.wasm")
    list(APPEND _copies COMMAND ${CMAKE_COMMAND} -E copy
         "${_target_dir}/wasm32-wasi/release/${_bin}.wasm" "${CMAKE_CURRENT_BINARY_DIR}/${_bin}.wasm")
  endforeach()
  add_custom_command(
    OUTPUT ${_outputs}
    COMMAND ${CMAKE_COMMAND} -E env ${WASI_NN_CARGO_ENV}
            ${WASI_NN_CARGO} build --release --locked --offline --quiet --target wasm32-wasi
            --manifest-path ${ARG_MANIFEST} --target-dir ${_target_dir}
    ${_copies}
    DEPENDS ${ARG_MANIFEST} "${_root}/Cargo.lock" ${_sources}
    COMMENT "Building Rust wasm guests: ${ARG_BINARIES}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${_outputs})
  set_target_properties(${target} PROPERTIES WASM_DIR "${CMAKE_CURRENT_BINARY_DIR}")
endfunction()
