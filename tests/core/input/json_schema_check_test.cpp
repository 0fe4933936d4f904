// check_json_schema: the schemas of llama.cpp's own converter tests pass and convert to grammars
// check_gbnf passes; each attack on the converter is refused by name.
#include <gtest/gtest.h>

#include <regex>

#include "core/input/gbnf_check.h"
#include "core/input/json_schema_check.h"
#include "input_test_support.h"
#include "json-schema-to-grammar.h"

namespace wasi_nn {
namespace {

using test::nested;
const InputLimits kLimits;

// The schemas of llama.cpp's tests/test-json-schema-to-grammar.cpp that it expects to convert:
// in each test({SUCCESS, "name", R"""(schema)""", R"""(grammar)"""}), the first raw string.
std::vector<std::string> llama_test_schemas() {
  const std::string src = test::read_file(test::llama_dir() + "/tests/test-json-schema-to-grammar.cpp");
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = src.find("test({", at)) != std::string::npos) {
    const size_t end_of_case = src.find("});", at);
    const size_t status = src.find("SUCCESS", at);
    const size_t open = src.find("R\"\"\"(", at);
    at += 6;
    if (status > end_of_case || open > end_of_case) continue;
    const size_t close = src.find(")\"\"\"", open);
    out.push_back(src.substr(open + 5, close - open - 5));
  }
  return out;
}

TEST(JsonSchemaCheck, LlamaCppsTestSchemasPassAndConvertWithinGrammarLimits) {
  const auto schemas = llama_test_schemas();
  ASSERT_GE(schemas.size(), 40u);
  size_t converted = 0;
  for (const auto& s : schemas) {
    SchemaStats st;
    EXPECT_NO_THROW(st = check_json_schema(s, kLimits)) << s;
    if (st.parse_error) continue;
    std::string grammar;
    try {
      grammar = json_schema_to_grammar(common_json::parse(s));
    } catch (const std::exception&) {
      continue;  // a schema only the converter's other languages take
    }
    ++converted;
    GrammarStats g;
    EXPECT_NO_THROW(g = check_gbnf(grammar, kLimits, "json_schema")) << s;
    EXPECT_FALSE(g.syntax_error) << s << "\n" << grammar;
  }
  EXPECT_GE(converted, 40u);
}

TEST(JsonSchemaCheck, ToolSchemaOfRealUsePasses) {
  const std::string tool = R"({
    "type": "object",
    "properties": {
      "location": {"type": "string", "description": "City and country", "minLength": 1, "maxLength": 100},
      "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
      "days": {"type": "integer", "minimum": 1, "maximum": 14},
      "details": {"type": ["object", "null"], "properties": {"hourly": {"type": "boolean"}}},
      "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "maxItems": 10},
      "when": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}
    },
    "required": ["location"],
    "additionalProperties": false,
    "$defs": {"tag": {"type": "string", "pattern": "^[a-z]{1,20}$"}}
  })";
  const SchemaStats s = check_json_schema(tool, kLimits);
  EXPECT_EQ(s.refs, 1u);
  EXPECT_GT(s.visits, 8u);
  EXPECT_NO_THROW(check_gbnf(json_schema_to_grammar(common_json::parse(tool)), kLimits));
}

TEST(JsonSchemaCheck, DeepNestingIsRefusedBeforeParsing) {
  EXPECT_REFUSED(check_json_schema(nested(200000, "[", "]"), kLimits), "json_schema is 400000 bytes");
  EXPECT_REFUSED(check_json_schema(nested(100, "{\"items\":", "}", "{}"), kLimits), "nests brackets 101 deep",
                 "max_schema_depth");
  // Brackets inside strings do not count.
  EXPECT_NO_THROW(check_json_schema("{\"description\": \"" + std::string(500, '[') + "\"}", kLimits));
  EXPECT_EQ(json_text_depth(R"({"a": "}}]]\"[[", "b": [[{}]]})"), 4u);
}

TEST(JsonSchemaCheck, AllOfReferenceCyclesAreRefused) {
  const std::string s = R"({"allOf": [{"$ref": "#/$defs/a"}],
                            "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}})";
  EXPECT_REFUSED(check_json_schema(s, kLimits), "$ref chain returns to itself", "#/$defs/a -> #/$defs/b -> #/$defs/a");
}

TEST(JsonSchemaCheck, TypeListsThatMultiplyAreRefused) {
  // Each level's type list converts everything below it once per entry: 7^8 visits.
  std::string s = R"({"type": "string"})";
  for (int i = 0; i < 8; ++i) {
    s = R"({"type": ["object","array","string","number","integer","boolean","null"], "properties": {"p": )" + s + "}}";
  }
  InputLimits visits_only = kLimits;
  visits_only.max_schema_copies = size_t(1) << 40;
  EXPECT_REFUSED(check_json_schema(s, visits_only), "visit more than", "max_schema_visits");
  EXPECT_REFUSED(check_json_schema(s, kLimits), "json_schema makes the grammar converter");
}

TEST(JsonSchemaCheck, ObjectsAndNamesAreBounded) {
  std::string props;
  for (int i = 0; i < 200; ++i) props += std::string(props.empty() ? "" : ",") + "\"p" + std::to_string(i) + "\": {}";
  EXPECT_REFUSED(check_json_schema("{\"properties\": {" + props + "}}", kLimits), "object with 200 properties",
                 "max_schema_properties");
  const std::string long_name =
      "{\"properties\": {\"" + std::string(5000, '!') + "\": {}}, \"additionalProperties\": true}";
  EXPECT_REFUSED(check_json_schema(long_name, kLimits), "property name of 5000 bytes", "max_schema_name_bytes");
  std::string refs = "{\"$defs\": {\"a\": {}}, \"anyOf\": [";
  for (int i = 0; i < 70; ++i)
    refs += std::string(i ? "," : "") + "{\"$ref\": \"#/$defs/a?" + std::to_string(i) + "\"}";
  EXPECT_REFUSED(check_json_schema(refs + "]}", kLimits), "distinct $ref", "max_schema_refs");
}

TEST(JsonSchemaCheck, CountsAreCheckedWhereTheyAreWritten) {
  EXPECT_REFUSED(check_json_schema(R"({"type": "string", "maxLength": 5000})", kLimits),
                 "json_schema maxLength is 5000", "max_grammar_repetition");
  EXPECT_REFUSED(check_json_schema(R"({"type": "array", "minItems": -1})", kLimits), "minItems is -1");
  EXPECT_REFUSED(check_json_schema(R"({"type": "integer", "minimum": -9223372036854775808})", kLimits), "minimum",
                 "2^53");
}

TEST(JsonSchemaCheck, CopiesAreBounded) {
  // Every distinct $ref copies the whole schema: 60 refs x a 40,000-value schema.
  std::string big = "[";
  for (int i = 0; i < 40000; ++i) big += std::string(i ? "," : "") + "0";
  std::string s = "{\"$defs\": {\"a\": {}}, \"examples\": " + big + "], \"anyOf\": [";
  for (int i = 0; i < 60; ++i) s += std::string(i ? "," : "") + "{\"$ref\": \"#/$defs/a/" + std::to_string(i) + "\"}";
  EXPECT_REFUSED(check_json_schema(s + "]}", kLimits), "copy more than", "max_schema_copies");
}

TEST(JsonSchemaCheck, NotJsonIsLeftToTheParser) { EXPECT_TRUE(check_json_schema("{\"type\": ", kLimits).parse_error); }

}  // namespace
}  // namespace wasi_nn
