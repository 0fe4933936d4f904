// Guest text that a recursive parser in llama.cpp would see: GBNF grammars, lazy-grammar trigger
// patterns, JSON schemas and Jinja chat templates, sent as a load config and as a request. The
// issue's attacks first (each of them crashed or stalled the process once), then more of the
// same families. Each is refused with invalid_argument naming the key, and the same process
// serves a normal request after it (Hostile::Refused).
#include <gtest/gtest.h>

#include "hostile/hostile_fixture.h"

namespace hostile {
namespace {

struct Attack {
  const char* name;
  json config;         // the keys of the attack (merged into Small() for a load)
  const char* needle;  // what the message must name: the key the caller sent
};

json Lazy(const json& trigger) {
  return {{"grammar", "root ::= \"x\""}, {"grammar_lazy", true}, {"grammar_triggers", json::array({trigger})}};
}
json Pattern(const std::string& regex) { return Lazy({{"type", "pattern"}, {"value", regex}}); }

// Refused before llama.cpp's parser sees them: when the config is parsed (set_input, a load), or,
// for what needs the model (a grammar's rules are checked when its sampler is built), by the
// first compute.
std::vector<Attack> StaticAttacks() {
  std::string chain_rules = "root ::= r0\n";  // a chain of 40,000 rules, each naming the next
  for (int i = 0; i < 40000; ++i) chain_rules += "r" + std::to_string(i) + " ::= r" + std::to_string(i + 1) + "\n";
  chain_rules += "r40000 ::= \"x\"\n";
  json nine_type_lists = json::object();  // nine levels of seven "object" types: 7^9 conversions
  for (int i = 0; i < 9; ++i) {
    nine_type_lists = {{"type", json::array({"object", "object", "object", "object", "object", "object", "object"})},
                       {"properties", {{"a", nine_type_lists}}}};
  }
  json many_properties = {{"type", "object"}, {"properties", json::object()}};
  for (int i = 0; i < 200; ++i) many_properties["properties"]["p" + std::to_string(i)] = {{"type", "string"}};
  json many_triggers = json::array();
  for (int i = 0; i < 17; ++i) many_triggers.push_back("word" + std::to_string(i));
  std::string crlf_template;
  for (int i = 0; i < 5000; ++i) crlf_template += "{{ 'a' }}\r\n";
  return {
      // The issue's attacks.
      {"grammar_100000_parens", {{"grammar", "root ::= " + Nest(100000, "(", ")", "\"x\"")}}, "grammar"},
      {"trigger_50000_groups", Pattern(Nest(50000, "(", ")", "a")), "grammar_triggers"},
      {"trigger_backtracking_alternation", Pattern("(a|a){0,30}b"), "grammar_triggers"},
      {"trigger_backtracking_star", Pattern("[\\s\\S]*<tool_call>"), "grammar_triggers"},
      {"schema_200000_brackets", {{"json_schema", Nest(200000, "[", "]")}}, "json_schema"},
      {"template_100000_parens", {{"chat_template", "{{ " + Nest(100000, "(", ")", "1") + " }}"}}, "chat_template"},
      // The same, each just within the size limits, so that the depth checks answer.
      {"grammar_20000_parens", {{"grammar", "root ::= " + Nest(20000, "(", ")", "\"x\"")}}, "grammar"},
      {"trigger_100_groups", Pattern(Nest(100, "(", ")", "a")), "grammar_triggers"},
      {"schema_100000_brackets", {{"json_schema", Nest(100000, "[", "]")}}, "json_schema"},
      {"template_20000_parens", {{"chat_template", "{{ " + Nest(20000, "(", ")", "1") + " }}"}}, "chat_template"},
      // More of the same families.
      {"grammar_40000_rule_chain", {{"grammar", chain_rules}}, "grammar"},
      {"grammar_repetition_bomb", {{"grammar", "root ::= ((\"x\"{2000}){2000}){2000}"}}, "grammar"},
      {"grammar_left_recursion", {{"grammar", "root ::= root \"x\" | \"y\""}}, "grammar"},
      {"grammar_undefined_rule", {{"grammar", "root ::= nowhere"}}, "grammar"},
      {"grammar_over_256k", {{"grammar", "root ::= \"" + std::string(300000, 'x') + "\""}}, "grammar"},
      {"grammar_inverted_repetition", {{"grammar", "root ::= \"x\"{5,3}"}}, "grammar"},
      {"grammar_llguidance", {{"grammar", "%llguidance {}\nstart: \"x\""}}, "grammar"},
      {"schema_self_ref_allof",
       {{"json_schema", R"({"allOf": [{"$ref": "#/$defs/a"}], "$defs": {"a": {"$ref": "#/$defs/a"}}})"}},
       "json_schema"},
      {"schema_nested_type_lists", {{"json_schema", nine_type_lists}}, "json_schema"},
      {"schema_200_properties", {{"json_schema", many_properties}}, "json_schema"},
      {"schema_long_property_name",
       {{"json_schema", {{"type", "object"}, {"properties", {{std::string(20000, '-'), {{"type", "string"}}}}}}}},
       "json_schema"},
      {"schema_60000_nested_items", {{"json_schema", Nest(60000, "{\"items\":", "}", "{}")}}, "json_schema"},
      {"triggers_17",
       {{"grammar", "root ::= \"x\""}, {"grammar_lazy", true}, {"grammar_triggers", many_triggers}},
       "grammar_triggers"},
      {"trigger_word_300_bytes", Lazy(std::string(300, 'w')), "grammar_triggers"},
      {"trigger_unbalanced_regex", Pattern("(a"), "grammar_triggers"},
      {"trigger_nested_quantifiers", Pattern("(a+)+b"), "grammar_triggers"},
      {"template_1000_nested_ifs", {{"chat_template", Nest(1000, "{% if true %}", "{% endif %}")}}, "chat_template"},
      {"template_8000_concatenations",
       {{"chat_template", "{{ 'a'" + Nest(8000, " ~ 'a'", "") + " }}"}},
       "chat_template"},
      {"template_5000_crlf", {{"chat_template", crlf_template}}, "chat_template"},
      {"template_over_64k", {{"chat_template", "{{ 'x' }}" + std::string(70000, 'x')}}, "chat_template"},
  };
}

// Templates that pass the static checks and are stopped only by running them (in a child
// process, bounded in time and memory): refused at the load, or at the first request.
std::vector<std::string> RuntimeTemplates() {
  return {
      "{% macro f(x) %}{{ f(x) }}{% endmacro %}{{ f(1) }}",                                // the issue's
      "{{ 'x' * 100000000000 }}",                                                          // the issue's
      "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",  // the issue's
      "{% set a = [1] %}{% set _ = a.append(a) %}{{ a }}",                                 // prints itself
      "{{ 'x' | indent(1000000000) }}{{ 'y' * 30000000 }}",                                // output over 16 MiB
  };
}

TEST_F(Hostile, ParserAttacksInALoadConfigAreRefused) {
  for (const Attack& a : StaticAttacks()) {
    SCOPED_TRACE(a.name);
    json config = Small();
    config.update(a.config);
    graph g = 7;
    const wasi_nn_error loaded = LoadAt(model_path("tiny-llama"), config, &g);
    if (loaded != success) {
      Refused(invalid_argument, loaded, "load_by_name_with_config", a.needle);
      EXPECT_EQ(g, kNone);
      continue;
    }
    graph_execution_context e = kNone;
    ASSERT_EQ(init_execution_context(ctx_, g, &e), success);
    const Reply r = Run(e, "Hello");
    Refused(invalid_argument, r.code, r.step, a.needle);
    EXPECT_EQ(unload(ctx_, g), success);
  }
}

TEST_F(Hostile, ParserAttacksInARequestAreRefused) {
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &e), success);
  for (const Attack& a : StaticAttacks()) {
    SCOPED_TRACE(a.name);
    const Reply r = Run(e, "Hello", a.config.dump());
    Refused(invalid_argument, r.code, r.step, a.needle);
  }
  // The context itself is unharmed.
  EXPECT_EQ(Run(e, "Hello", R"({"n_predict": 2})").code, success) << LastError();
}

TEST_F(Hostile, TemplateBombsInARequestFailTheirRequestOnly) {
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &e), success);
  for (const std::string& t : RuntimeTemplates()) {
    SCOPED_TRACE(t);
    const Reply r = Run(e, "Hello", json{{"chat_template", t}}.dump());
    Refused(invalid_argument, r.code, "compute", "template");
    ASSERT_TRUE(r.meta.is_object()) << "output 1 after a failed compute is the error as JSON";
    EXPECT_EQ(r.meta["error"]["kind"], "invalid_argument") << r.meta.dump();
  }
}

TEST_F(Hostile, TemplateBombsInALoadConfigFailTheLoadOrTheFirstRequest) {
  for (const std::string& t : RuntimeTemplates()) {
    SCOPED_TRACE(t);
    json config = Small();
    config["chat_template"] = t;
    graph g = kNone;
    const wasi_nn_error loaded = LoadAt(model_path("tiny-llama"), config, &g);
    if (loaded != success) {
      Refused(invalid_argument, loaded, "load_by_name_with_config", "template");
      continue;
    }
    graph_execution_context e = kNone;
    ASSERT_EQ(init_execution_context(ctx_, g, &e), success);
    Refused(invalid_argument, Run(e, "Hello").code, "compute", "template");
    EXPECT_EQ(unload(ctx_, g), success);
  }
}

}  // namespace
}  // namespace hostile
