// The GPU keys at load on this machine's devices: n_gpu_layers "auto" (the default) and explicit
// values, main_gpu and tensor_split checked against the devices present. On a CPU-only build
// there is no device, so "auto" must be a no-op and any device index an error.
#include <gtest/gtest.h>

#include "core/config/config_parser.h"
#include "core/engine/model_registry.h"
#include "core/model/llama_params.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using test::model_path;

// Loads tiny-phi3 through the registry (as Backend does) with a load config.
std::shared_ptr<Engine> load(const std::string& json) {
  Settings s;
  apply_defaults(s);
  parse_config(R"({"ctx_size": 256, "threads": 2, "n_parallel": 1})", kScopeLoad, s);
  parse_config(json, kScopeLoad, s);
  const ModelSource source = ModelSource::open_file(model_path("tiny-phi3"), ModelAccess({}, ModelAccess::Mode::Open));
  return ModelRegistry::instance().acquire(source, s.model, s.context);
}

Error load_error(const std::string& json) {
  try {
    load(json);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "loaded with " << json;
  return Error(ErrorKind::Runtime, "");
}

class DevicesOnCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    // A build with a GPU backend on a machine with a GPU has devices; these cases are CPU's.
    if (load("{}")->weights().n_devices() != 0) GTEST_SKIP() << "this machine has GPU devices";
  }
};

TEST_F(DevicesOnCpu, AutoIsTheDefaultAndLoadsOnTheCpu) {
  auto engine = load("{}");
  EXPECT_EQ(engine->weights().n_gpu_layers(), -1);         // llama.cpp's "all": nothing to offload to
  EXPECT_EQ(load(R"({"n_gpu_layers": "auto"})"), engine);  // the same settings, the same engine
  HostBackend b;
  const uint32_t g = b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 256, "n_gpu_layers": "auto"})");
  const auto out =
      test::generate(b, b.init_execution_context(g), "Hello", R"({"mode": "raw", "n_predict": 4, "temperature": 0})");
  EXPECT_EQ(out.meta["output_tokens"], 4);
  // The fitting saw no device and did not run; everything is placed here.
  const nlohmann::json stats = test::process_stats();
  for (const auto& m : stats["models"]) {
    EXPECT_EQ(m["n_gpu_layers"]["asked"], "auto") << m.dump();
    EXPECT_EQ(m["n_gpu_layers"]["decision"], "no_devices") << m.dump();
    EXPECT_EQ(m["n_gpu_layers"]["devices"], 0) << m.dump();
    for (const auto& d : m["engines"][0]["placement"]) {
      EXPECT_EQ(std::string(d["device"]).rfind("CPU", 0), 0u) << d.dump();
    }
  }
}

TEST_F(DevicesOnCpu, ExplicitLayerCountsAreHonoured) {
  for (int ngl : {0, 1, 99, -1}) {
    auto engine = load(R"({"n_gpu_layers": )" + std::to_string(ngl) + "}");
    EXPECT_EQ(engine->weights().n_gpu_layers(), ngl);
    const auto m = test::process_stats()["models"][0];
    EXPECT_EQ(m["n_gpu_layers"]["decision"], "given") << m.dump();
    EXPECT_EQ(m["n_gpu_layers"]["layers"], ngl) << m.dump();
  }
}

TEST_F(DevicesOnCpu, DeviceIndicesNeedDevices) {
  Error e = load_error(R"({"main_gpu": 1})");
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(std::string(e.what()).find("'main_gpu' = 1 names no device; devices present: none"), std::string::npos)
      << e.what();
  e = load_error(R"({"tensor_split": [1]})");
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(std::string(e.what()).find("'tensor_split' has 1 entries, more than the 0 device(s)"), std::string::npos)
      << e.what();
  EXPECT_NO_THROW(load(R"({"main_gpu": 0, "tensor_split": [], "split_mode": "none"})"));
}

// flash_attn "auto" is off where the model runs on the CPU only (llama.cpp's CPU flash attention
// is the slower kernel), unless a quantised V cache needs it; GPUs keep llama.cpp's "auto".
TEST(FlashAttn, AutoIsOffOnTheCpuUnlessAQuantisedVCacheNeedsIt) {
  EXPECT_EQ(resolve_flash_attn(FlashAttn::Auto, false, GGML_TYPE_F16), LLAMA_FLASH_ATTN_TYPE_DISABLED);
  EXPECT_EQ(resolve_flash_attn(FlashAttn::Auto, true, GGML_TYPE_F16), LLAMA_FLASH_ATTN_TYPE_AUTO);
  EXPECT_EQ(resolve_flash_attn(FlashAttn::Auto, false, GGML_TYPE_Q8_0), LLAMA_FLASH_ATTN_TYPE_AUTO);
  EXPECT_EQ(resolve_flash_attn(FlashAttn::On, false, GGML_TYPE_F16), LLAMA_FLASH_ATTN_TYPE_ENABLED);
  EXPECT_EQ(resolve_flash_attn(FlashAttn::Off, true, GGML_TYPE_F16), LLAMA_FLASH_ATTN_TYPE_DISABLED);
  // Both choices give the same greedy text on the CPU.
  HostBackend b;
  auto run = [&](const char* fa) {
    const uint32_t g = b.load_by_name(model_path("tiny-llama"),
                                      std::string(R"({"ctx_size": 256, "threads": 2, "flash_attn": ")") + fa + "\"}");
    return test::generate(b, b.init_execution_context(g), "The quick brown fox",
                          R"({"mode": "raw", "n_predict": 12, "temperature": 0})")
        .text;
  };
  EXPECT_EQ(run("auto"), run("on"));
}

}  // namespace
}  // namespace wasi_nn
