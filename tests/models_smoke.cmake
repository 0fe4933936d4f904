# Smoke test of the generated models: llama.cpp's own llama-completion loads each one, reports
# the expected architecture, generates text greedily, and generates the same text twice.
# If this fails, the generator (not our engine) is at fault. Included from models.cmake.

# Entries are joined with "," because a ";" inside an add_test argument would split it.
string(REPLACE ";" "," _wasi_nn_model_specs "${WASI_NN_TEST_MODEL_SPECS}")
add_test(NAME tiny_models_generate_text
  COMMAND ${CMAKE_COMMAND}
          -DCOMPLETION=${WASI_NN_LLAMA_COMPLETION}
          "-DMODELS=${_wasi_nn_model_specs}"
          -DMODEL_DIR=${WASI_NN_TEST_MODEL_DIR}
          -P ${CMAKE_CURRENT_LIST_DIR}/scripts/check_tiny_models.cmake)
set_tests_properties(tiny_models_generate_text PROPERTIES LABELS "models" TIMEOUT 900)
