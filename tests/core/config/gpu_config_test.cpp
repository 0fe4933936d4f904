// The GPU and RPC keys: n_gpu_layers "auto", rpc_servers syntax, and the cross-key rule for a
// quantised V cache. Checks against the devices present happen at load (engine tests).
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace wasi_nn {
namespace {

Settings parsed(const std::string& json, unsigned scope = kScopeBackend) { return test::parsed_at(scope, json); }

void expect_error(const std::string& json, ErrorKind kind, const std::vector<std::string>& fragments,
                  unsigned scope = kScopeBackend) {
  test::expect_config_error(scope, json, kind, fragments);
}

TEST(GpuConfig, GpuLayersTakeAutoOrAnInteger) {
  EXPECT_EQ(parsed("{}").model.n_gpu_layers, ModelSettings::kAutoGpuLayers);
  EXPECT_EQ(parsed(R"({"n_gpu_layers": "auto"})").model.n_gpu_layers, ModelSettings::kAutoGpuLayers);
  EXPECT_EQ(parsed(R"({"ngl": 0})").model.n_gpu_layers, 0);
  EXPECT_EQ(parsed(R"({"n-gpu-layers": 99})").model.n_gpu_layers, 99);
  EXPECT_EQ(parsed(R"({"n_gpu_layers": -1})").model.n_gpu_layers, -1);
  EXPECT_NE(parsed("{}").model.key().find("n_gpu_layers=auto"), std::string::npos);
  expect_error(R"({"n_gpu_layers": "all"})", ErrorKind::InvalidArgument,
               {"'n_gpu_layers'", "\"all\"", "auto, or -1 to 2147483647"});
  expect_error(R"({"n_gpu_layers": -2})", ErrorKind::InvalidArgument, {"'n_gpu_layers'", "-2"});
  expect_error(R"({"n_gpu_layers": 1.5})", ErrorKind::InvalidArgument, {"'n_gpu_layers'", "integer or \"auto\""});
  expect_error(R"({"n_gpu_layers": true})", ErrorKind::InvalidArgument, {"'n_gpu_layers'", "a boolean"});
}

TEST(GpuConfig, OtherGpuKeysAreRangeChecked) {
  expect_error(R"({"main_gpu": -1})", ErrorKind::InvalidArgument, {"'main_gpu'", "0 to"});
  expect_error(R"({"split_mode": "tensor"})", ErrorKind::InvalidArgument, {"'split_mode'", "none, layer, row"});
  expect_error(R"({"tensor_split": [1, -0.5]})", ErrorKind::InvalidArgument, {"'tensor_split'", ">= 0"});
  expect_error(R"({"cache_type_v": "q2_K"})", ErrorKind::InvalidArgument, {"'cache_type_v'", "q4_0"});
  expect_error(R"({"flash_attn": 1})", ErrorKind::InvalidArgument, {"'flash_attn'", "string or bool"});
}

TEST(GpuConfig, QuantisedValueCacheNeedsFlashAttention) {
  expect_error(R"({"cache_type_v": "q8_0", "flash_attn": false})", ErrorKind::InvalidArgument,
               {"'cache_type_v' = \"q8_0\"", "quantised", "'flash_attn' is off", "\"auto\""});
  // The rule sees the merged result: a load turning flash attention off meets the backend's V type.
  Settings s = parsed(R"({"cache_type_v": "q4_0"})");
  EXPECT_THROW(parse_config(R"({"flash-attn": "off"})", kScopeLoad, s), Error);
  EXPECT_NO_THROW(parsed(R"({"cache_type_v": "q8_0", "flash_attn": "auto"})"));
  EXPECT_NO_THROW(parsed(R"({"cache_type_v": "bf16", "flash_attn": "off"})"));
  EXPECT_NO_THROW(parsed(R"({"cache_type_k": "q8_0", "flash_attn": "off"})"));  // K is fine
}

TEST(GpuConfig, RpcServersTakeACommaListOrAJsonList) {
  EXPECT_TRUE(parsed("{}").model.rpc_servers.empty());
  const std::vector<std::string> two = {"127.0.0.1:50052", "gpu-box.local:50053"};
  EXPECT_EQ(parsed(R"({"rpc_servers": "127.0.0.1:50052,gpu-box.local:50053"})").model.rpc_servers, two);
  EXPECT_EQ(parsed(R"({"rpc_servers": " 127.0.0.1:50052 , gpu-box.local:50053"})").model.rpc_servers, two);
  EXPECT_EQ(parsed(R"({"model": {"rpc": ["127.0.0.1:50052", "gpu-box.local:50053"]}})").model.rpc_servers, two);
  EXPECT_EQ(parsed(R"({"rpc_servers": []})").model.rpc_servers, std::vector<std::string>{});
  const Settings s = parsed(R"({"rpc_servers": "h:1"})");
  EXPECT_NE(s.model.key().find("rpc_servers=h:1"), std::string::npos) << s.model.key();
}

TEST(GpuConfig, RpcServerEntriesAreValidated) {
  const auto bad = [](const std::string& value, std::vector<std::string> fragments) {
    fragments.insert(fragments.begin(), "'rpc_servers'");
    expect_error(R"({"rpc_servers": )" + value + "}", ErrorKind::InvalidArgument, fragments);
  };
  bad(R"("localhost")", {"'localhost' has no port", "host:port"});
  bad(R"("h:0")", {"'h:0' has port '0'", "1 to 65535"});
  bad(R"("h:65536")", {"port '65536'", "1 to 65535"});
  bad(R"("h:80a")", {"port '80a'"});
  bad(R"("h:")", {"port ''"});
  bad(R"("h:1,,h:2")", {"empty entry"});
  bad(R"("h:1,")", {"empty entry"});
  bad(R"(":50052")", {"no valid host"});
  bad(R"("[::1]:50052")", {"no valid host", "IPv6"});
  bad(R"("a b:1")", {"no valid host"});
  bad(R"("h:1,h:1")", {"'h:1' twice"});
  bad(R"(["h:1", ""])", {"non-empty"});
  bad(R"(7)", {"string or list of strings"});
  std::string many;
  for (int i = 1; i <= 17; ++i) many += (i > 1 ? "," : "") + std::string("h:") + std::to_string(i);
  bad("\"" + many + "\"", {"17 servers", "at most 16"});
}

// rpc_servers opens network connections from the host: only the host's backend config sets it.
TEST(GpuConfig, RpcServersAreAHostSetting) {
  for (unsigned scope : {kScopeLoad, kScopeRequest}) {
    expect_error(R"({"rpc_servers": "127.0.0.1:50052"})", ErrorKind::Security, {"'rpc_servers'", "host setting"},
                 scope);
  }
}

}  // namespace
}  // namespace wasi_nn
