// The config checks that keep values llama.cpp would abort on away from it (docs/HARDENING.md,
// "llama.cpp preconditions"), through parse_config: each bad combination is InvalidArgument
// naming the keys as written, its neighbours are accepted, and derived values follow the
// documented rule. The same cases end to end: preconditions_abi_test.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/config/config_parser.h"

namespace wasi_nn {
namespace {

Settings defaults() {
  Settings s;
  apply_defaults(s);
  return s;
}

Settings parsed(const std::string& json, unsigned scope = kScopeLoad, Settings s = defaults()) {
  parse_config(json, scope, s);
  return s;
}

// Asserts that `json` (parsed over `base`) is InvalidArgument with every fragment in the message.
void expect_invalid(const std::string& json, const std::vector<std::string>& fragments, unsigned scope = kScopeLoad,
                    Settings base = defaults()) {
  SCOPED_TRACE(json.substr(0, 200));
  try {
    parse_config(json, scope, base);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    for (const auto& f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
  }
}

std::string json_string(const std::string& s) { return nlohmann::json(s).dump(); }

TEST(Preconditions, BatchSmallerThanParallelIsRejectedNamingBothKeys) {
  // The tenant-isolation issue's config: llama.cpp asserted n_outputs_max and aborted.
  expect_invalid(R"({"n_batch": 4, "n_parallel": 8})", {"'n_batch' = 4", "'n_parallel' = 8", "at least 8"});
  expect_invalid(R"({"batch-size": 1, "slots": 2})", {"'batch-size' = 1", "'slots' = 2"});
  EXPECT_NO_THROW(parsed(R"({"batch_size": 8, "n_parallel": 8})"));
  EXPECT_NO_THROW(parsed(R"({"batch_size": 1, "n_parallel": 1})"));
  // n_parallel from the backend config, batch_size from the load: checked on the merged result.
  const Settings backend = parsed(R"({"n_parallel": 16})", kScopeBackend);
  expect_invalid(R"({"batch_size": 8})", {"'batch_size' = 8", "n_parallel' = 16"}, kScopeLoad, backend);
  // The default batch (512) holds the largest n_parallel (256).
  EXPECT_NO_THROW(parsed(R"({"n_parallel": 256})"));
}

TEST(Preconditions, UbatchNobodyGaveFollowsBatchDownAndBackUp) {
  const Settings backend = parsed(R"({"batch_size": 3, "n_parallel": 1})", kScopeBackend);
  EXPECT_EQ(backend.context.n_ubatch, 3u);
  // A load raising batch_size raises the ubatch that only followed it (it used to stay at 3).
  EXPECT_EQ(parsed(R"({"batch_size": 32})", kScopeLoad, backend).context.n_ubatch, 32u);
  EXPECT_EQ(parsed(R"({"batch_size": 4096})", kScopeLoad, backend).context.n_ubatch, 512u);
  // One given stays as given while it fits.
  const Settings given = parsed(R"({"batch_size": 64, "ubatch_size": 16})", kScopeBackend);
  EXPECT_EQ(parsed(R"({"batch_size": 128})", kScopeLoad, given).context.n_ubatch, 16u);
}

TEST(Preconditions, QuantisedVCacheNeedsFlashAttention) {
  expect_invalid(R"({"cache_type_v": "q8_0", "flash_attn": false})", {"'cache_type_v' = \"q8_0\"", "'flash_attn'"});
  EXPECT_NO_THROW(parsed(R"({"cache_type_v": "q8_0", "flash_attn": "auto"})"));
  EXPECT_NO_THROW(parsed(R"({"cache_type_v": "bf16", "flash_attn": "off"})"));
}

TEST(Preconditions, InfillSamplerWithAGrammarIsRejected) {
  expect_invalid(R"({"samplers": ["infill"], "grammar": "root ::= \"a\""})", {"'samplers'", "infill", "grammar"},
                 kScopeRequest);
  expect_invalid(R"({"samplers": "ki", "json_schema": {"type": "string"}})", {"'samplers'", "infill"}, kScopeRequest);
  // The load's samplers, the request's grammar.
  const Settings load = parsed(R"({"samplers": ["top_k", "infill"]})");
  expect_invalid(R"({"grammar": "root ::= \"a\""})", {"infill"}, kScopeRequest, load);
  EXPECT_NO_THROW(parsed(R"({"samplers": ["infill"]})", kScopeRequest));
  EXPECT_NO_THROW(parsed(R"({"grammar": "root ::= \"a\""})", kScopeRequest));
  // Mirostat replaces the chain, infill and all.
  EXPECT_NO_THROW(parsed(R"({"mirostat": 2, "grammar": "root ::= \"a\""})", kScopeRequest, load));
}

// Grammar and trigger-pattern bounds are core/input's (tests/core/input/gbnf_check_test.cpp,
// regex_check_test.cpp); the ABI-level case is PreconditionsSeed.DeeplyNestedGrammarIsInvalidArgumentAtSetInput.

}  // namespace
}  // namespace wasi_nn
