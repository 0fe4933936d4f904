// Through the C++ facade, on a tiny model: every attack, sent as a request or load config,
// answers InvalidArgument, and the same process then serves a normal request. Guests' own chat
// templates (the chat_template key, a GGUF sent as bytes) render in a child process.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "input_test_support.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using nlohmann::json;
using test::nested;

std::string grammar_of_parentheses() { return "root ::= " + nested(100000, "(", ")", "\"x\""); }

std::string long_chain(const char* op) {
  std::string s = "{{ 'a'";
  for (int i = 0; i < 100000; ++i) s += op + std::string("'a'");
  return s + " }}";
}

// Attacks that the config parser refuses as soon as they are set.
std::vector<json> static_attacks() {
  return {
      {{"grammar", grammar_of_parentheses()}},
      {{"grammar", "root ::= \"x\"{5,3}"}},
      {{"grammar", "root ::= \"" + std::string(100000, 'x') + "\"{1999}"}},
      {{"json_schema", nested(200000, "[", "]")}},
      {{"json_schema", nested(60000, "{\"items\":", "}", "{}")}},
      {{"json_schema", R"({"allOf": [{"$ref": "#/$defs/a"}], "$defs": {"a": {"$ref": "#/$defs/a"}}})"}},
      {{"grammar", "root ::= \"x\""},
       {"grammar_lazy", true},
       {"grammar_triggers", {{{"type", "pattern"}, {"value", nested(50000, "(", ")", "a")}}}}},
      {{"grammar", "root ::= \"x\""},
       {"grammar_lazy", true},
       {"grammar_triggers", {{{"type", "pattern"}, {"value", "[\\s\\S]*<tool_call>"}}}}},
      {{"grammar", "root ::= \"x\""},
       {"grammar_lazy", true},
       {"grammar_triggers", {{{"type", "pattern"}, {"value", "(a|a){0,30}b"}}}}},
      {{"chat_template", "{{ " + nested(100000, "(", ")", "1") + " }}"}},
      {{"chat_template", long_chain("~")}},
  };
}

// Attacks only running them shows: they pass the static checks and are stopped in the child.
std::vector<std::string> runtime_templates() {
  return {"{% macro f(x) %}{{ f(x) }}{% endmacro %}{{ f(1) }}", "{{ 'x' * 100000000000 }}",
          "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"};
}

class InputE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    g = b.load_by_name(test::model_path("tiny-llama"), load_config().dump());
    ctx = b.init_execution_context(g);
  }
  static json load_config() { return {{"ctx_size", 512}, {"threads", 2}, {"n_predict", 6}, {"temperature", 0}}; }

  std::string generate(const std::string& prompt, const json& request = json::object()) {
    return test::generate(b, ctx, prompt, request.empty() ? "" : request.dump()).text;
  }

  void expect_invalid(const std::function<void()>& call, const std::string& what) {
    try {
      call();
      ADD_FAILURE() << "accepted: " << what.substr(0, 120);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << what.substr(0, 120) << ": " << e.what();
    }
  }

  HostBackend b;
  uint32_t g = 0, ctx = 0;
};

TEST_F(InputE2E, AttacksInARequestAreInvalidAndTheProcessGoesOn) {
  const std::string normal = generate("Hello");
  EXPECT_FALSE(normal.empty());
  for (const json& attack : static_attacks()) {
    expect_invalid([&] { b.set_input(ctx, 1, attack.dump()); }, attack.dump());
  }
  for (const std::string& t : runtime_templates()) {
    expect_invalid([&] { generate("Hello", {{"chat_template", t}}); }, t);
  }
  ctx = b.init_execution_context(g);  // a fresh conversation: the same prompt as the first
  EXPECT_EQ(generate("Hello"), normal);
}

TEST_F(InputE2E, AttacksInALoadAreInvalidAndTheProcessGoesOn) {
  for (json attack : static_attacks()) {
    attack.update(load_config());
    expect_invalid([&] { b.load_by_name(test::model_path("tiny-llama"), attack.dump()); }, attack.dump());
  }
  // Building a template renders it with sample inputs (llama.cpp's capability detection,
  // which swallows some exceptions): a bomb is refused at the load or, when the detection let
  // it pass, at the first request, both in the child.
  for (const std::string& t : runtime_templates()) {
    json config = load_config();
    config["chat_template"] = t;
    expect_invalid(
        [&] {
          const uint32_t bad = b.load_by_name(test::model_path("tiny-llama"), config.dump());
          ctx = b.init_execution_context(bad);
          generate("Hello");
        },
        t);
  }
  ctx = b.init_execution_context(g);
  EXPECT_FALSE(generate("Hello").empty());
}

// A guest's own template renders (in a child) into the prompt the model sees.
TEST_F(InputE2E, GuestTemplateRendersInAChild) {
  const std::string tmpl = "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}[assistant]";
  json config = load_config();
  config["chat_template"] = tmpl;
  const uint32_t g2 = b.load_by_name(test::model_path("tiny-llama"), config.dump());
  ctx = b.init_execution_context(g2);
  const std::string out = generate("Hello");
  EXPECT_FALSE(out.empty());
  // The same prompt given raw generates the same text: the template rendered exactly.
  ctx = b.init_execution_context(g);
  EXPECT_EQ(generate("[user] Hello\n[assistant]", {{"mode", "raw"}}), out);
}

// A GGUF the guest sent as bytes: its template is the guest's, so it renders in a child too.
TEST_F(InputE2E, GgufSentAsBytesRendersItsTemplateInAChild) {
  const std::string bytes = test::read_file(test::model_path("tiny-llama"));
  const uint32_t g2 = b.load_from_bytes(bytes, load_config().dump());
  const uint32_t c2 = b.init_execution_context(g2);
  b.set_input(c2, 0, "Hello");
  b.compute(c2);
  std::string buf(1 << 16, '\0');
  const std::string from_bytes = buf.substr(0, b.get_output(c2, 0, buf.data(), buf.size()));
  EXPECT_EQ(from_bytes, generate("Hello"));
}

}  // namespace
}  // namespace wasi_nn

namespace wasi_nn {
namespace {

// An ambiguous grammar passes every static check, yet llama.cpp's matching doubles with each
// "z" (forced here with logit_bias): the engine ends the request once one token costs too much,
// and the same engine serves the next request promptly.
TEST_F(InputE2E, AGrammarWhoseMatchingExplodesEndsItsRequestNotTheEngine) {
  const json attack = {{"mode", "raw"},
                       {"grammar", "root ::= s\ns ::= \"z\" s \"x\" | \"z\" s \"y\" | \"\"\n"},
                       {"logit_bias", {{"z", 100}}},
                       {"n_predict", 60},
                       {"ignore_eos", true}};
  try {
    generate("Go", attack);
    ADD_FAILURE() << "the request ran to its end";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find("sampling one token took over"), std::string::npos) << e.what();
  }
  ctx = b.init_execution_context(g);
  EXPECT_FALSE(generate("Hello").empty());
}

}  // namespace
}  // namespace wasi_nn
