// The process-wide model registry: one copy per file and settings, freed with its last user;
// handle ids are never reused.
#include <gtest/gtest.h>

#include "core/engine/model_registry.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using test::model_path;

TEST(Registry, BackendsShareOneModelAndFreeItWithTheLastUser) {
  ASSERT_EQ(ModelRegistry::instance().live_models(), 0u);
  {
    HostBackend a, b;
    a.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 256})");
    b.load_by_name(model_path("tiny-phi3"),
                   R"({"ctx_size": 256, "temperature": 0.1})");  // defaults differ: still shared
    EXPECT_EQ(ModelRegistry::instance().live_models(), 1u);
    b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 256, "n_gpu_layers": 0, "use_mmap": false})");
    EXPECT_EQ(ModelRegistry::instance().live_models(), 2u);  // other weight-loading settings: another copy
  }
  EXPECT_EQ(ModelRegistry::instance().live_models(), 0u);
}

TEST(Registry, HandleIdsAreNeverReused) {
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 256})");
  uint32_t c1 = b.init_execution_context(g);
  b.close_execution_context(c1);
  uint32_t c2 = b.init_execution_context(g);
  EXPECT_NE(c1, c2);
  uint32_t g2 = b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 256})");
  EXPECT_NE(g, g2);
  EXPECT_NE(g, Backend::kNoContext);
}

}  // namespace
}  // namespace wasi_nn
