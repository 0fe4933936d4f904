# Guests under stock-wamr (cmake/StockWamr.cmake), included from tests/compat/CMakeLists.txt.
# Stock WAMR registers only load, load_by_name, load_by_name_with_config,
# init_execution_context, set_input, compute and get_output: a guest that also imports
# WasmEdge's compute_single, get_output_single, fini_single or unload still instantiates (WAMR
# leaves those imports unlinked) but traps if it calls one; those tests assert exactly that.

if(NOT TARGET stock_wamr)
  message(STATUS "compat tests under stock-wamr skipped (WASI_NN_BUILD_STOCK_WAMR)")
  return()
endif()
if(NOT EXISTS "${WASI_NN_WAMR_DIR}/wamr-wasi-extensions/samples/nn-cli")
  message(STATUS "compat: WAMR's nn-cli sample is not in ${WASI_NN_WAMR_DIR} "
                 "(the registry package carries the runtime only); its test is skipped")
endif()

set(_stock_env ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=$<TARGET_FILE_DIR:wasi_nn_llamacpp>
    WASI_NN_PRELOAD=tiny=${_qwen} "WASI_NN_CONFIG=${_short}")
set(_stock ${_stock_env} ${WASI_NN_STOCK_WAMR})
add_test(NAME compat.stock.build
         COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target stock_wamr complete)
set_tests_properties(compat.stock.build PROPERTIES FIXTURES_SETUP compat_stock_built LABELS "compat")

function(stock_test name code regex)
  compat_test(stock.${name} ${code} "${regex}" ${ARGN})
  set_property(TEST compat.stock.${name} APPEND PROPERTY FIXTURES_REQUIRED compat_stock_built)
endfunction()

stock_test(wasi_nn_crate 0 "wasi-nn-plain: ok" COMMAND ${_stock} ${_plain} name tiny "Once upon a time")
stock_test(wasmedge_grammar 0 "${_pass}"
  COMMAND ${_stock} ${_wasmedge} grammar tiny "Is the sky blue?" "${_opts}")
stock_test(wasmedge_errors 0 "${_pass}"
  COMMAND ${_stock} ${_wasmedge} errors tiny "{\"ctx-size\": 64, \"n-predict\": 4, \"temp\": 0}")
stock_test(wasmedge_load_bytes 0 "${_pass}"
  COMMAND ${_stock} --map-dir=/models::${_models} ${_wasmedge} load-bytes /models/tiny-phi3.gguf)
stock_test(wasmedge_load_missing 0 "${_pass}"
  COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=$<TARGET_FILE_DIR:wasi_nn_llamacpp>
          WASI_NN_PRELOAD=miss=${_models}/no-such-file.gguf
          ${WASI_NN_STOCK_WAMR} ${_wasmedge} load-missing miss)
# A refused load is logged by the library at its default level (warn), with the reason and the
# tenant: under stock WAMR the operator otherwise sees only WAMR's "load_by_name() -> 1".
stock_test(refused_load_logged 0
  "wasi-nn W\\] tenant [0-9]+: load_by_name_with_config refused \\(invalid_argument\\): config key 'ctx-size' = -5"
  COMMAND ${_stock} ${_wasmedge} probe tiny "{\"ctx-size\": -5}")
# WasmEdge's extensions are not in stock WAMR: streaming and unload trap there.
stock_test(wasmedge_stream_unavailable 1 "unlinked import function \\(wasi_ephemeral_nn, compute_single\\)"
  COMMAND ${_stock} ${_wasmedge} stream tiny "Once upon a time" "${_opts}")
stock_test(wasmedge_unload_unavailable 1 "unlinked import function \\(wasi_ephemeral_nn, unload\\)"
  COMMAND ${_stock} ${_wasmedge} unload tiny "Once upon a time" "${_opts}")

# The library's own profile under stock WAMR: WasmEdge's metadata and keys (generate checks
# output 1 after set_input and after compute), and stream-stdout, which needs a host that
# prints: iwasm has none, so the library warns and never writes to stdout itself.
stock_test(wasmedge_generate 0 "${_pass}"
  COMMAND ${_stock} ${_wasmedge} generate tiny "Once upon a time" "${_gen_opts}")
stock_test(wasmedge_example_options 0 "${_pass}"
  COMMAND ${_stock} ${_wasmedge} grammar tiny "Yes or no?"
          "{\"enable-log\": false, \"llama3\": false, \"n-gpu-layers\": 0, \"ctx-size\": 1024, \"n-predict\": 4}")
stock_test(wasmedge_stream_stdout 0 "warned as expected"
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stream_stdout.sh warned ${_qwen} ${_wasmedge}
          ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=$<TARGET_FILE_DIR:wasi_nn_llamacpp> WASI_NN_PRELOAD=m=${_qwen}
          ${WASI_NN_STOCK_WAMR})

# Our own C guest (guests/complete.c) as WAMR users run it.
if(TARGET complete)
  get_target_property(_complete complete WASM_FILE)
  stock_test(c_guest_complete 0 "\"output_tokens\": *8[,}]"
    COMMAND ${_stock} ${_complete} tiny "Hello there" "{\"max_tokens\": 8, \"ignore_eos\": true, \"temperature\": 0}")
endif()
