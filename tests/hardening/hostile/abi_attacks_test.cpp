// Attacks of our own beyond the issue's, through both C ABIs: bytes that are not text where text
// is read, numbers JSON allows but no setting means, keys that collide, handles that are not the
// caller's or no longer live, output buffers of 0 and 1 byte, a close racing a compute, more
// contexts than the policy allows, and model bytes that are not GGUF. Each gets its documented
// code, a message with no host fact in it, and the same process then serves a normal request.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "hostile/hostile_fixture.h"

namespace hostile {
namespace {

using namespace std::string_literals;

struct BadConfig {
  const char* name;
  std::string text;    // the config bytes, sent whole (NULs included)
  const char* needle;  // what the message must name
};

// Load configs and request settings a config parser must refuse: invalid argument for each.
std::vector<BadConfig> BadConfigs() {
  return {
      {"nul_inside_string", "{\"system_prompt\": \"a\0b\"}"s, "config"},
      {"invalid_utf8_value", "{\"system_prompt\": \"\xff\xfe\"}", "UTF-8"},
      {"invalid_utf8_key", "{\"\xc3\x28\": 1}", "UTF-8"},
      {"overlong_utf8", "{\"system_prompt\": \"\xc0\xaf\"}", "UTF-8"},
      {"surrogate_escape_alone", R"({"system_prompt": "\ud800"})", "config"},
      {"nan_literal", R"({"temperature": NaN})", "config"},
      {"infinity_literal", R"({"temperature": Infinity})", "config"},
      {"number_1e400", R"({"ctx_size": 1e400})", "1e400"},
      {"number_1e308", R"({"ctx_size": 1e308})", "ctx_size"},
      {"negative_ctx", R"({"ctx_size": -512})", "ctx_size"},
      {"negative_parallel", R"({"n_parallel": -1})", "n_parallel"},
      {"fraction_for_integer", R"({"n_parallel": 1.5})", "n_parallel"},
      {"int64_max", R"({"top_k": 9223372036854775807})", "top_k"},
      {"uint64_over", R"({"top_k": 18446744073709551616})", "top_k"},
      {"negative_temperature", R"({"temperature": -1})", "temperature"},
      {"unknown_key", R"({"ctx_sise": 512})", "ctx_sise"},
      {"alias_and_canonical", R"({"ctx_size": 512, "n_ctx": 1024})", "ctx_size"},
      {"duplicate_key", R"({"ctx_size": 512, "ctx_size": 1024})", "ctx_size"},
      {"dash_and_underscore", R"({"n-parallel": 1, "n_parallel": 2})", "n_parallel"},
      {"section_and_flat", R"({"context": {"ctx_size": 512}, "ctx_size": 256})", "ctx_size"},
      {"deep_json_100000", Nest(100000, "[", "]"), "nest"},
      {"deep_json_objects", Nest(5000, "{\"a\":", "}", "1"), "nest"},
      {"array_not_object", R"([1, 2, 3])", "object"},
      {"string_not_object", R"("ctx_size")", "object"},
      {"trailing_garbage", R"({"ctx_size": 512} x)", "config"},
      {"wrong_type_bool_as_string", R"({"use_mmap": "yes"})", "use_mmap"},
      {"samplers_unknown", R"({"samplers": ["top_k", "no_such_sampler"]})", "samplers"},
      {"mode_unknown", R"({"mode": "overdrive"})", "mode"},
  };
}

TEST_F(Hostile, BadLoadConfigsAreRefused) {
  for (const BadConfig& c : BadConfigs()) {
    SCOPED_TRACE(c.name);
    graph g = 7;
    Refused(invalid_argument, LoadAt(model_path("tiny-llama"), c.text, &g), "load_by_name_with_config", c.needle);
    EXPECT_EQ(g, kNone);
  }
}

TEST_F(Hostile, BadRequestSettingsAreRefused) {
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &e), success);
  for (const BadConfig& c : BadConfigs()) {
    SCOPED_TRACE(c.name);
    const wasi_nn_error rc = SetBytes(ctx_, e, 1, c.text);
    // A load-time key per request is refused as such; everything else as it is at load.
    EXPECT_EQ(rc, invalid_argument) << LastError();
    ExpectNoHostFacts(LastError());
  }
  StillServes();
}

// Prompts that are not text, and per-request values that name what is not there.
TEST_F(Hostile, BadPromptsAndRequestValuesFailTheirRequestOnly) {
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &e), success);
  const std::string prompts[] = {"Hello\0world"s, "\xff\xfe\xfd", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"};
  for (const std::string& p : prompts) {
    Refused(invalid_argument, SetBytes(ctx_, e, 0, p), "set_input", "UTF-8");
  }
  const char* const requests[] = {
      R"({"logit_bias": [[-1, 1.0]]})",
      R"({"logit_bias": [[2147483647, 1.0]]})",
      R"({"grammar": "root ::= \"x\"", "grammar_lazy": true, "grammar_triggers": [{"type": "token", "value": 99999999}]})",
      R"({"n_probs": -1})",
      R"({"n_predict": -2})",
      R"({"n_predict": 1048577})",
  };
  for (const char* request : requests) {
    SCOPED_TRACE(request);
    const Reply r = Run(e, "Hello", request);
    Refused(invalid_argument, r.code, r.step, "");
  }
}

// Handles a tenant did not get, or that are gone.
TEST_F(Hostile, HandlesOfAnotherTenantOrClosedOnesAreNotFound) {
  Tenant other;
  graph theirs = kNone;
  ASSERT_EQ(other.Load(Small(), "tiny-llama", &theirs), success) << other.LastError();
  const graph_execution_context their_ctx = other.Open(theirs);
  graph_execution_context e = kNone;
  // Their graph and context ids, through this tenant: unknown here, even when the numbers exist.
  const wasi_nn_error by_graph = init_execution_context(ctx_, theirs + 1000, &e);
  Refused(not_found, by_graph, "init_execution_context", "");
  Refused(not_found, compute(ctx_, their_ctx + 1000), "compute", "");
  Refused(not_found, init_execution_context(ctx_, kNone, &e), "init_execution_context", "");
  // Closed and unloaded handles.
  graph g = kNone;
  ASSERT_EQ(LoadAt(model_path("tiny-llama"), Small(), &g), success);
  graph_execution_context closed = kNone;
  ASSERT_EQ(init_execution_context(ctx_, g, &closed), success);
  ASSERT_EQ(CloseContext(ctx_, closed), success);
  Refused(not_found, compute(ctx_, closed), "compute", "");
  Refused(not_found, SetBytes(ctx_, closed, 0, "Hello"), "set_input", "");
  Refused(not_found, CloseContext(ctx_, closed), kCloseName, "");
  ASSERT_EQ(unload(ctx_, g), success);
  Refused(not_found, init_execution_context(ctx_, g, &e), "init_execution_context", "");
  Refused(not_found, unload(ctx_, g), "unload", "");
  // Input and output indices outside the ABI.
  graph_execution_context live = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &live), success);
  Refused(not_found, SetBytes(ctx_, live, kNone, "Hello"), "set_input", "");
  std::string out;
  Refused(not_found, GetBytes(ctx_, live, 0xFFFFFFFEu, &out), "get_output", "");
  // The other tenant's context is untouched by all of it.
  EXPECT_EQ(other.Run(their_ctx, "Hello", R"({"n_predict": 2})").code, success) << other.LastError();
}

TEST_F(Hostile, OutputBuffersOfZeroAndOneByteAreTooLarge) {
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &e), success);
  ASSERT_EQ(Run(e, "Hello", R"({"n_predict": 4, "ignore_eos": true})").code, success);
  for (uint32_t cap : {0u, 1u}) {
    for (uint32_t index : {0u, 1u}) {
      std::string out;
      EXPECT_EQ(GetBytes(ctx_, e, index, &out, cap), too_large) << "cap " << cap << ", output " << index;
    }
  }
  std::string text;
  EXPECT_EQ(GetBytes(ctx_, e, 0, &text), success) << "the output is kept after a too small read";
  EXPECT_FALSE(text.empty());
  StillServes();
}

// A close from another thread while a long compute runs: the compute ends, cancelled.
TEST_F(Hostile, CloseDuringComputeCancelsIt) {
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &e), success);
  ASSERT_EQ(SetBytes(ctx_, e, 0, "Tell a long story"), success);
  ASSERT_EQ(SetBytes(ctx_, e, 1, R"({"n_predict": 100000, "ignore_eos": true})"), success);
  std::atomic<int> rc{-1};
  std::thread t([&] { rc = compute(ctx_, e); });
  // The close waits for no output: whichever comes first, the compute ends and the close holds.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(CloseContext(ctx_, e), success) << LastError();
  t.join();
  EXPECT_TRUE(rc == runtime_error || rc == not_found) << rc;
  StillServes();
}

// Thousands of contexts: the policy's max_contexts holds, and closing them frees room.
TEST_F(Hostile, ThousandsOfContextsStopAtTheLimit) {
  std::vector<graph_execution_context> opened;
  wasi_nn_error rc = success;
  for (int i = 0; i < 2000 && rc == success; ++i) {
    graph_execution_context e = kNone;
    rc = init_execution_context(ctx_, normal_, &e);
    if (rc == success) opened.push_back(e);
  }
  EXPECT_EQ(rc, invalid_argument);
  EXPECT_NE(LastError().find("max_contexts"), std::string::npos) << LastError();
  EXPECT_EQ(opened.size(), 256u);
  for (graph_execution_context e : opened) EXPECT_EQ(CloseContext(ctx_, e), success);
  StillServes();
}

// Model bytes a tenant sends with load() that are not a GGUF model.
TEST_F(Hostile, ModelBytesThatAreNotGgufAreRefused) {
  const std::string images[] = {
      std::string(1 << 20, '\0'),                  // 1 MiB of zeros
      "GGUF",                                      // the magic alone
      "GGUF\x03\0\0\0" + std::string(64, '\xff'),  // counts of 2^64 - 1
      "\x7f"
      "ELF" +
          std::string(4096, 'x'),  // an executable's header
  };
  for (const std::string& image : images) {
    SCOPED_TRACE(image.size());
    std::string copy = image;
    graph_builder part{reinterpret_cast<uint8_t*>(copy.data()), static_cast<uint32_t>(copy.size())};
    graph_builder_array builders{&part, 1};
    graph g = 7;
    const wasi_nn_error rc = load(ctx_, &builders, ggml, cpu, &g);
    EXPECT_NE(rc, success);
    EXPECT_EQ(g, kNone);
    ExpectNoHostFacts(LastError());
  }
  graph_builder_array none{nullptr, 0};
  graph g = 7;
  Refused(invalid_argument, load(ctx_, &none, ggml, cpu, &g), "load", "");
  StillServes();
}

}  // namespace
}  // namespace hostile
