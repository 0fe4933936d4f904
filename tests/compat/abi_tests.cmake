# The profiles, WasmEdge's keys and HyperBEAM's calls, below the guests: the parser in the
# WasmEdge profile (no model), the same checks through each C ABI (compat_cases.h, one binary per
# ABI: both export the same names), and hyperbeam-probe, a C host that dlopens
# libwasi_nn_backend.so and calls it exactly as HyperBEAM's NIF does. Included from
# CMakeLists.txt before anything that needs the Rust guests.

add_executable(compat_config_tests profile_config_test.cpp)
target_link_libraries(compat_config_tests PRIVATE wasi_nn_config GTest::gtest_main)
gtest_discover_tests(compat_config_tests TEST_PREFIX "compat.config." DISCOVERY_MODE PRE_TEST
  PROPERTIES LABELS "compat")

function(compat_abi_test target source library)
  add_executable(${target} ${source} compat_cases.h)
  target_link_libraries(${target} PRIVATE ${library} wasi_nn_test_env GTest::gtest_main)
  target_include_directories(${target} PRIVATE ${WASI_NN_LLAMA_NLOHMANN_DIR})
  # The pinned llama.cpp reports its real build (cmake/LlamaCpp.cmake): check it exactly.
  if(DEFINED WASI_NN_PINNED_LLAMA_BUILD)
    target_compile_definitions(${target} PRIVATE WASI_NN_LLAMA_BUILD_NUMBER=${WASI_NN_PINNED_LLAMA_BUILD}
                                                 WASI_NN_LLAMA_BUILD_COMMIT="${WASI_NN_PINNED_LLAMA_COMMIT}")
  endif()
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  add_dependencies(${target} tiny_models)
  # The WAMR ABI loads only granted models; no host config, so each library's default profile.
  gtest_discover_tests(${target} TEST_PREFIX "compat.${target}." DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS compat ENVIRONMENT "WASI_NN_MODEL_DIRS=${WASI_NN_TEST_MODEL_DIR}")
endfunction()
compat_abi_test(compat_seed_tests seed_compat_test.cpp wasi_nn_backend)
compat_abi_test(compat_wamr_tests wamr_compat_test.cpp wasi_nn_llamacpp)

add_executable(hyperbeam-probe hyperbeam_probe.c)
set_target_properties(hyperbeam-probe PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON)
target_include_directories(hyperbeam-probe PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_compile_options(hyperbeam-probe PRIVATE -Wall -Wextra)
target_link_libraries(hyperbeam-probe PRIVATE ${CMAKE_DL_LIBS})
add_dependencies(hyperbeam-probe wasi_nn_backend tiny_models)
add_test(NAME compat.hyperbeam.nif_probe
  COMMAND hyperbeam-probe $<TARGET_FILE:wasi_nn_backend> ${WASI_NN_TEST_MODEL_DIR}/tiny-llama.gguf)
set_tests_properties(compat.hyperbeam.nif_probe PROPERTIES LABELS "compat;model" TIMEOUT 300)
