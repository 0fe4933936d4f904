# The determinism tools and the harness library (no GTest): included by tests/determinism and,
# when tests are off, by bench/ (docs/DETERMINISM.md).
set(_det_dir ${PROJECT_SOURCE_DIR}/tests/determinism)

add_executable(det-probe ${_det_dir}/det_probe.cpp)
target_link_libraries(det-probe PRIVATE llama-common llama ggml)
target_compile_features(det-probe PRIVATE cxx_std_17)
target_compile_options(det-probe PRIVATE -Wall -Wextra)

# The harness, through the public seed C ABI only (include/wasi_nn_backend.h and the library),
# with the benchmark's ABI client.
add_library(det_harness STATIC
  ${_det_dir}/turn_record.cpp
  ${_det_dir}/tenants.cpp
  ${_det_dir}/conditions.cpp
  ${PROJECT_SOURCE_DIR}/bench/bench_client.cpp)
target_include_directories(det_harness PUBLIC
  ${_det_dir} ${PROJECT_SOURCE_DIR}/bench ${PROJECT_SOURCE_DIR}/include
  ${WASI_NN_LLAMA_DIR}/vendor)
target_link_libraries(det_harness PUBLIC wasi_nn_backend Threads::Threads)
target_compile_features(det_harness PUBLIC cxx_std_17)
target_compile_options(det_harness PRIVATE -Wall -Wextra)

add_executable(det-table ${_det_dir}/det_table.cpp)
target_link_libraries(det-table PRIVATE det_harness)
target_compile_options(det-table PRIVATE -Wall -Wextra)

# det-cost: deterministic mode's cost as CPU time per token (a measuring tool, not a test).
add_executable(det-cost ${_det_dir}/det_cost.cpp)
target_link_libraries(det-cost PRIVATE det_harness)
target_compile_options(det-cost PRIVATE -Wall -Wextra)
