// parse_config: every accepted spelling, and every way a config is rejected.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/base/error.h"
#include "core/config/config_parser.h"

namespace wasi_nn {
namespace {

Settings defaults() {
  Settings s;
  apply_defaults(s);
  return s;
}

Settings parsed(const std::string& json, unsigned scope = kScopeLoad) {
  Settings s = defaults();
  parse_config(json, scope, s);
  return s;
}

// The error parse_config throws for `json`; fails the test when it does not throw.
Error error_of(const std::string& json, unsigned scope = kScopeLoad) {
  Settings s = defaults();
  try {
    parse_config(json, scope, s);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << json;
  return Error(ErrorKind::Runtime, "");
}

// Asserts an InvalidArgument whose message contains every fragment.
void expect_invalid(const std::string& json, std::vector<std::string> fragments, unsigned scope = kScopeLoad) {
  const Error e = error_of(json, scope);
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << json << ": " << e.what();
  for (const auto& f : fragments) {
    EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << "'" << f << "' missing from: " << e.what();
  }
}

TEST(ParseConfig, EmptyAndBlankTextSetNothing) {
  for (const char* text : {"", "  \n\t ", "{}"}) {
    Settings s = parsed(text);
    EXPECT_TRUE(s.present.empty()) << text;
    EXPECT_EQ(s.context.ctx_size, 4096u);
  }
}

// The first example of the seed README, as a HyperBEAM-style caller passes it.
TEST(ParseConfig, SeedReadmeFlatExample) {
  const Settings s = parsed(R"({
    "n_gpu_layers": 98, "ctx_size": 2048, "n_predict": 512, "batch_size": 512,
    "threads": 8, "temp": 0.7, "top_p": 0.95, "repeat_penalty": 1.10 })");
  EXPECT_EQ(s.model.n_gpu_layers, 98);
  EXPECT_EQ(s.context.ctx_size, 2048u);
  EXPECT_EQ(s.request.n_predict, 512);
  EXPECT_EQ(s.context.n_batch, 512u);
  EXPECT_EQ(s.context.threads, 8);
  EXPECT_FLOAT_EQ(s.request.sampling.temp, 0.7f);
  EXPECT_FLOAT_EQ(s.request.sampling.top_p, 0.95f);
  EXPECT_FLOAT_EQ(s.request.sampling.penalty_repeat, 1.10f);
  EXPECT_TRUE(s.request.sampling.user_sampling_config & COMMON_PARAMS_SAMPLING_CONFIG_TEMP);
  EXPECT_EQ(s.present.count("temperature"), 1u);
  EXPECT_EQ(s.present.count("n_gpu_layers"), 1u);
}

// The seed README's nested example.
TEST(ParseConfig, SeedReadmeNestedExample) {
  const Settings s = parsed(R"({
    "sampling": {"dynatemp": {"range": 0.1, "exponent": 1.2}},
    "memory_management": {"cache_policy": {"enable_prompt_cache": false, "retention_ms": 60000}}
  })");
  EXPECT_FLOAT_EQ(s.request.sampling.dynatemp_range, 0.1f);
  EXPECT_FLOAT_EQ(s.request.sampling.dynatemp_exponent, 1.2f);
  EXPECT_FALSE(s.request.cache_prompt);
  EXPECT_EQ(s.backend.idle_timeout_ms, 60000u);
}

TEST(ParseConfig, OriginalProjectSections) {
  const Settings s = parsed(R"({
    "backend": {"max_sessions": 200, "idle_timeout_ms": 600000},
    "model": {"n_ctx": 1024, "n_gpu_layers": 32, "threads": 12, "use_mmap": false},
    "sampling": {"temperature": 0.5, "top_k": 20, "dry_sequence_breakers": ["\n", "```"]},
    "stopping": {"max_tokens": 64, "stop": ["</s>", "Human:"], "ignore_eos": true},
    "logging": {"level": "debug"},
    "performance": {"batch_size": 128}
  })",
                            kScopeBackend);
  EXPECT_EQ(s.backend.max_sessions, 200u);
  EXPECT_EQ(s.context.ctx_size, 1024u);
  EXPECT_EQ(s.context.threads, 12);
  EXPECT_FALSE(s.model.use_mmap);
  EXPECT_EQ(s.request.sampling.top_k, 20);
  EXPECT_EQ(s.request.sampling.dry_sequence_breakers, (std::vector<std::string>{"\n", "```"}));
  EXPECT_EQ(s.request.n_predict, 64);
  EXPECT_EQ(s.request.stop, (std::vector<std::string>{"</s>", "Human:"}));
  EXPECT_TRUE(s.request.sampling.ignore_eos);
  EXPECT_EQ(s.backend.log_level, LogLevel::Debug);
  EXPECT_EQ(s.context.n_batch, 128u);
}

TEST(ParseConfig, WasmEdgeDashCase) {
  const Settings s = parsed(R"({
    "n-gpu-layers": -1, "ctx-size": 8192, "n-predict": -1, "batch-size": 1024,
    "ubatch-size": 256, "threads": 4, "temp": 0.2, "top-p": 0.5, "repeat-penalty": 1.3,
    "presence-penalty": 0.5, "frequency-penalty": -0.5, "main-gpu": 0, "split-mode": "row",
    "tensor-split": [1, 2.5], "use-mmap": false, "reverse-prompt": "User:", "flash-attn": true
  })");
  EXPECT_EQ(s.model.n_gpu_layers, -1);
  EXPECT_EQ(s.context.ctx_size, 8192u);
  EXPECT_EQ(s.request.n_predict, -1);
  EXPECT_EQ(s.context.n_batch, 1024u);
  EXPECT_EQ(s.context.n_ubatch, 256u);
  EXPECT_FLOAT_EQ(s.request.sampling.top_p, 0.5f);
  EXPECT_FLOAT_EQ(s.request.sampling.penalty_repeat, 1.3f);
  EXPECT_FLOAT_EQ(s.request.sampling.penalty_present, 0.5f);
  EXPECT_FLOAT_EQ(s.request.sampling.penalty_freq, -0.5f);
  EXPECT_EQ(s.model.split_mode, SplitMode::Row);
  EXPECT_EQ(s.model.tensor_split, (std::vector<float>{1.0f, 2.5f}));
  EXPECT_EQ(s.request.stop, std::vector<std::string>{"User:"});
  EXPECT_EQ(s.context.flash_attn, FlashAttn::On);
}

// Each alias lands in the same field as its canonical name.
TEST(ParseConfig, EveryAliasSetsItsParameter) {
  struct Case {
    const char* json;
    bool (*check)(const Settings&);
  };
  const Case cases[] = {
      {R"({"ngl": 7})", [](const Settings& s) { return s.model.n_gpu_layers == 7; }},
      {R"({"gpu_layers": 7})", [](const Settings& s) { return s.model.n_gpu_layers == 7; }},
      {R"({"n_ctx": 512})", [](const Settings& s) { return s.context.ctx_size == 512; }},
      {R"({"context_size": 512})", [](const Settings& s) { return s.context.ctx_size == 512; }},
      {R"({"context": {"size": 512}})", [](const Settings& s) { return s.context.ctx_size == 512; }},
      {R"({"n_batch": 64})", [](const Settings& s) { return s.context.n_batch == 64; }},
      {R"({"n_ubatch": 64})", [](const Settings& s) { return s.context.n_ubatch == 64; }},
      {R"({"n_threads": 3})", [](const Settings& s) { return s.context.threads == 3; }},
      {R"({"n_threads_batch": 3})", [](const Settings& s) { return s.context.threads_batch == 3; }},
      {R"({"parallel": 2})", [](const Settings& s) { return s.context.n_parallel == 2; }},
      {R"({"slots": 2})", [](const Settings& s) { return s.context.n_parallel == 2; }},
      {R"({"flash_attention": "off"})", [](const Settings& s) { return s.context.flash_attn == FlashAttn::Off; }},
      {R"({"retention_ms": 5})", [](const Settings& s) { return s.backend.idle_timeout_ms == 5; }},
      {R"({"logging_level": "info"})", [](const Settings& s) { return s.backend.log_level == LogLevel::Info; }},
      {R"({"temp": 0.25})", [](const Settings& s) { return s.request.sampling.temp == 0.25f; }},
      {R"({"typ_p": 0.5})", [](const Settings& s) { return s.request.sampling.typ_p == 0.5f; }},
      {R"({"penalty_repeat": 1.5})", [](const Settings& s) { return s.request.sampling.penalty_repeat == 1.5f; }},
      {R"({"penalty_last_n": -1})", [](const Settings& s) { return s.request.sampling.penalty_last_n == -1; }},
      {R"({"penalty_present": 0.5})", [](const Settings& s) { return s.request.sampling.penalty_present == 0.5f; }},
      {R"({"penalty_freq": 0.5})", [](const Settings& s) { return s.request.sampling.penalty_freq == 0.5f; }},
      {R"({"max_tokens": 9})", [](const Settings& s) { return s.request.n_predict == 9; }},
      {R"({"max_completion_tokens": 9})", [](const Settings& s) { return s.request.n_predict == 9; }},
      {R"({"stop_sequences": ["a"]})", [](const Settings& s) { return s.request.stop.size() == 1; }},
      {R"({"enable_prompt_cache": false})", [](const Settings& s) { return !s.request.cache_prompt; }},
      {R"({"mmap": false})", [](const Settings& s) { return !s.model.use_mmap; }},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(c.check(parsed(c.json, kScopeBackend))) << c.json;
  }
}

TEST(ParseConfig, NestedNamesAndObjectValues) {
  Settings s = parsed(R"({"sampling": {"mirostat": {"tau": 3, "eta": 0.2}},
                          "dry": {"multiplier": 0.8, "base": 2}})");
  EXPECT_FLOAT_EQ(s.request.sampling.mirostat_tau, 3.0f);
  EXPECT_FLOAT_EQ(s.request.sampling.mirostat_eta, 0.2f);
  EXPECT_FLOAT_EQ(s.request.sampling.dry_multiplier, 0.8f);
  EXPECT_FLOAT_EQ(s.request.sampling.dry_base, 2.0f);
  // An object value is not flattened when its key takes an object.
  s = parsed(R"({"sampling": {"json_schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}})");
  EXPECT_EQ(s.request.sampling.grammar.type, COMMON_GRAMMAR_TYPE_OUTPUT_FORMAT);
  s = parsed(R"({"logit_bias": {"15": -2.5, "16": false}})");
  ASSERT_EQ(s.request.sampling.logit_bias.size(), 2u);
  EXPECT_EQ(s.request.sampling.logit_bias[0].token, 15);
  EXPECT_FLOAT_EQ(s.request.sampling.logit_bias[0].bias, -2.5f);
  EXPECT_TRUE(std::isinf(s.request.sampling.logit_bias[1].bias));
  s = parsed(R"({"logit_bias": [[198, -1.0], [628, 0.5]]})");
  ASSERT_EQ(s.request.sampling.logit_bias.size(), 2u);
  EXPECT_EQ(s.request.sampling.logit_bias[1].token, 628);
}

TEST(ParseConfig, JsonSchemaBecomesAGrammar) {
  for (const char* json :
       {R"({"json_schema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}})",
        R"({"json_schema": "{\"type\": \"array\", \"items\": {\"type\": \"string\"}}"})"}) {
    const Settings s = parsed(json, kScopeRequest);
    EXPECT_EQ(s.request.sampling.grammar.type, COMMON_GRAMMAR_TYPE_OUTPUT_FORMAT) << json;
    EXPECT_NE(s.request.sampling.grammar.grammar.find("root ::="), std::string::npos)
        << s.request.sampling.grammar.grammar;
  }
  expect_invalid(R"({"json_schema": "not json"})", {"json_schema", "not a usable JSON schema"});
  expect_invalid(R"({"json_schema": {"type": "foo"}})", {"json_schema", "not a usable JSON schema"});
  expect_invalid(R"({"json_schema": {"$ref": "#"}})", {"json_schema", "ref"});
  // A self-referencing definition is a recursive grammar rule, not endless recursion here.
  EXPECT_FALSE(parsed(R"({"json_schema": {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}})")
                   .request.sampling.grammar.empty());
  expect_invalid(R"({"json_schema": 5})", {"json_schema", "object or string"});
  expect_invalid(R"({"json_schema": {"type": "object"}, "grammar": "root ::= \"a\""})",
                 {"grammar", "json_schema", "only one"});
}

TEST(ParseConfig, GrammarIsUserGbnf) {
  Settings s = parsed(R"({"grammar": "root ::= \"yes\" | \"no\""})", kScopeRequest);
  EXPECT_EQ(s.request.sampling.grammar.type, COMMON_GRAMMAR_TYPE_USER);
  EXPECT_EQ(s.request.sampling.grammar.grammar, "root ::= \"yes\" | \"no\"");
  parse_config(R"({"grammar": ""})", kScopeRequest, s);
  EXPECT_TRUE(s.request.sampling.grammar.empty());
}

TEST(ParseConfig, StopAsStringOrList) {
  EXPECT_EQ(parsed(R"({"stop": "\n\n"})").request.stop, std::vector<std::string>{"\n\n"});
  EXPECT_EQ(parsed(R"({"stop": ["a", "b"]})").request.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(parsed(R"({"stop": []})").request.stop.empty());
  expect_invalid(R"({"stop": 3})", {"'stop'", "string or list of strings", "3"});
  expect_invalid(R"({"stop": ["a", 1]})", {"'stop'"});
  expect_invalid(R"({"stop": ""})", {"'stop'", "non-empty"});
}

TEST(ParseConfig, SamplersFromNamesAndChars) {
  Settings s = parsed(R"({"samplers": ["top_k", "min-p", "temperature"]})", kScopeRequest);
  EXPECT_EQ(s.request.sampling.samplers,
            (std::vector<common_sampler_type>{COMMON_SAMPLER_TYPE_TOP_K, COMMON_SAMPLER_TYPE_MIN_P,
                                              COMMON_SAMPLER_TYPE_TEMPERATURE}));
  EXPECT_TRUE(s.request.sampling.user_sampling_config & COMMON_PARAMS_SAMPLING_CONFIG_SAMPLERS);
  const std::string chars = {common_sampler_type_to_chr(COMMON_SAMPLER_TYPE_TOP_P),
                             common_sampler_type_to_chr(COMMON_SAMPLER_TYPE_TEMPERATURE)};
  s = parsed("{\"samplers\": \"" + chars + "\"}", kScopeRequest);
  EXPECT_EQ(s.request.sampling.samplers,
            (std::vector<common_sampler_type>{COMMON_SAMPLER_TYPE_TOP_P, COMMON_SAMPLER_TYPE_TEMPERATURE}));
  expect_invalid(R"({"samplers": ["top_k", "nucleus_x"]})", {"samplers", "nucleus_x", "top_k"});
  expect_invalid(R"({"samplers": "k#"})", {"samplers", "'#'"});
  expect_invalid(R"({"samplers": 3})", {"samplers"});
}

TEST(ParseConfig, SpecialValues) {
  Settings s = parsed(R"({"seed": -1})");
  EXPECT_EQ(s.request.sampling.seed, LLAMA_DEFAULT_SEED);
  s = parsed(R"({"seed": 42, "repeat_last_n": -1, "dry_penalty_last_n": -1, "n_gpu_layers": -1})");
  EXPECT_EQ(s.request.sampling.seed, 42u);
  EXPECT_EQ(s.request.sampling.penalty_last_n, -1);  // -1 = ctx_size, resolved by the engine
  EXPECT_EQ(s.request.sampling.dry_penalty_last_n, -1);
  EXPECT_EQ(s.model.n_gpu_layers, -1);
  s = parsed(R"({"flash_attn": false, "mode": "raw", "ctx_size": 2048.0})");
  EXPECT_EQ(s.context.flash_attn, FlashAttn::Off);
  EXPECT_EQ(s.request.chat.mode, ChatMode::Raw);
  EXPECT_EQ(s.context.ctx_size, 2048u);
}

TEST(ParseConfig, WrongTypesNameKeyValueAndExpectation) {
  expect_invalid(R"({"ctx_size": "2048"})", {"'ctx_size'", "must be an integer", "\"2048\"", "16 to 1048576"});
  expect_invalid(R"({"ctx-size": 20.5})", {"'ctx-size'", "integer", "20.5"});
  expect_invalid(R"({"use_mmap": 1})", {"'use_mmap'", "bool", "1"});
  expect_invalid(R"({"temp": "hot"})", {"'temp'", "number", "\"hot\""});
  expect_invalid(R"({"sampling": {"temp": null}})", {"'sampling.temp'", "null"});
  expect_invalid(R"({"tensor_split": [1, "a"]})", {"'tensor_split'", "list of numbers"});
  expect_invalid(R"({"dry_sequence_breakers": []})", {"'dry_sequence_breakers'", "non-empty"});
  expect_invalid(R"({"chat_template": ["x"]})", {"'chat_template'", "string"});
  expect_invalid(R"({"model": 5})", {"'model'", "section"});
  expect_invalid(R"({"sampling": {"temp": {"value": 1}}})", {"'sampling.temp'", "number"});
}

TEST(ParseConfig, OutOfRangeNamesKeyValueAndRange) {
  expect_invalid(R"({"ctx_size": 8})", {"'ctx_size'", "8", "16 to 1048576"});
  expect_invalid(R"({"top_p": 1.5})", {"'top_p'", "1.5", "0 to 1"});
  expect_invalid(R"({"temp": -0.5})", {"'temp'", "-0.5", ">= 0"});
  expect_invalid(R"({"temp": 1e300})", {"'temp'", ">= 0"});
  expect_invalid(R"({"n_parallel": 0})", {"'n_parallel'", "1 to 256"});
  expect_invalid(R"({"max_sessions": 1e12})", {"'max_sessions'", "1 to 100000"});
  expect_invalid(R"({"mirostat": 3})", {"'mirostat'", "0 to 2"});
  expect_invalid(R"({"seed": 4294967296})", {"'seed'", "-1 to 4294967295"});
  expect_invalid(R"({"n_predict": -2})", {"'n_predict'", "-1 to 1048576"});
  expect_invalid(R"({"split_mode": "rows"})", {"'split_mode'", "\"rows\"", "not one of: none, layer, row"});
  expect_invalid(R"({"cache_type_k": "q3"})", {"'cache_type_k'", "q8_0"});
  expect_invalid(R"({"flash_attn": "yes"})", {"'flash_attn'", "auto, on, off"});
  expect_invalid(R"({"log_level": "fatal"})", {"'log_level'", "none, error, warn, info, debug"}, kScopeBackend);
  expect_invalid(R"({"tensor_split": [1, -1]})", {"'tensor_split'", ">= 0"});
  expect_invalid(R"({"dry_base": 0.5})", {"'dry_base'", ">= 1"});
  expect_invalid(
      R"({"tensor_split": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]})",
      {"'tensor_split'", "devices"});
  expect_invalid(R"({"logit_bias": [[1, "x"]]})", {"'logit_bias'", "bias"});
  expect_invalid(R"({"logit_bias": [[-1, 1]]})", {"'logit_bias'", "integer >= 0"});
  expect_invalid(R"({"logit_bias": {"": 1}})", {"'logit_bias'", "non-empty text"});
}

TEST(ParseConfig, CrossParameterRules) {
  expect_invalid(R"({"batch_size": 256, "ubatch_size": 512})", {"'ubatch_size'", "512", "batch_size = 256"});
  // Only batch_size given: ubatch_size follows it down.
  Settings s = parsed(R"({"batch_size": 128})");
  EXPECT_EQ(s.context.n_ubatch, 128u);
  expect_invalid(R"({"xtc_probability": 0.5, "xtc_threshold": 0.6})",
                 {"'xtc_threshold'", "'xtc_probability'", "no effect"});
  EXPECT_NO_THROW(parsed(R"({"xtc_probability": 0.5, "xtc_threshold": 0.1})"));
  EXPECT_NO_THROW(parsed(R"({"xtc_threshold": 0.9})"));  // XTC off anyway: harmless
  // Checked against what an earlier document set.
  s = parsed(R"({"xtc_threshold": 0.9})");
  EXPECT_THROW(parse_config(R"({"xtc_probability": 0.3})", kScopeRequest, s), Error);
}

TEST(ParseConfig, UnknownKeysSuggestTheClosestName) {
  expect_invalid(R"({"tempreature": 0.5})", {"'tempreature'", "did you mean 'temperature'"});
  expect_invalid(R"({"sampling": {"top_pp": 0.5}})", {"'sampling.top_pp'", "did you mean"});
  expect_invalid(R"({"n_gpu_layer": 5})", {"'n_gpu_layer'", "'n_gpu_layers'"});
  expect_invalid(R"({"ctx-sise": 5})", {"'ctx-sise'", "'ctx_size'"});
  expect_invalid(R"({"wibble": {"temp": 1}})", {"'wibble'"});
  const Error e = error_of(R"({"completely_unrelated_setting": 1})");
  EXPECT_EQ(std::string(e.what()).find("did you mean"), std::string::npos) << e.what();
}

TEST(ParseConfig, KeysGivenTwiceAreRejected) {
  expect_invalid(R"({"temp": 0.5, "sampling": {"temperature": 0.7}})",
                 {"'temp'", "'sampling.temperature'", "keep one"});
  expect_invalid(R"({"n_predict": 5, "max_tokens": 6})", {"'n_predict'", "'max_tokens'"});
  expect_invalid(R"({"top_k": 5, "top_k": 6})", {"'top_k'", "twice"});
}

TEST(ParseConfig, UnsupportedKeys) {
  for (const char* json : {R"({"stream": true})", R"({"numa": "distribute"})", R"({"numa": 1})"}) {
    const Error e = error_of(json);
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << json << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("not supported"), std::string::npos) << e.what();
  }
  // The value that describes what the backend does anyway is accepted.
  EXPECT_NO_THROW(parsed(R"({"stream": false, "context_shift": false})", kScopeRequest));
}

TEST(ParseConfig, MediaKeys) {
  EXPECT_EQ(parsed(R"({"mmproj": "llava.mmproj"})").request.media.mmproj, "llava.mmproj");
  EXPECT_EQ(parsed(R"({"media_marker": "<image>"})", kScopeRequest).request.media.marker, "<image>");
  expect_invalid(R"({"mmproj": {"path": "x"}})", {"'mmproj'"});
  expect_invalid(R"({"mmproj": "p.gguf"})", {"'mmproj'", "loading"}, kScopeRequest);
  expect_invalid(R"({"media_marker": ")" + std::string(65, 'x') + "\"}", {"'media_marker'", "at most 64"},
                 kScopeRequest);
}

TEST(ParseConfig, ScopesLimitWhereKeysMayAppear) {
  expect_invalid(R"({"ctx_size": 1024})", {"'ctx_size'", "only be set when loading a model"}, kScopeRequest);
  expect_invalid(R"({"model": {"n_gpu_layers": 1}})", {"'model.n_gpu_layers'", "loading"}, kScopeRequest);
  expect_invalid(R"({"max_sessions": 3})", {"'max_sessions'", "loading"}, kScopeRequest);
  expect_invalid(R"({"reset": true})", {"'reset'", "per request"}, kScopeLoad);
  expect_invalid(R"({"reset": true})", {"'reset'", "per request"}, kScopeBackend);
  EXPECT_TRUE(parsed(R"({"reset": true, "temp": 0})", kScopeRequest).request.reset);
  // Backend and load scopes accept model, context, backend and request keys.
  for (unsigned scope : {unsigned(kScopeBackend), unsigned(kScopeLoad)}) {
    EXPECT_NO_THROW(parsed(R"({"max_sessions": 3, "ctx_size": 1024, "ngl": 1, "temp": 0.1,
                              "stop": "x", "mode": "raw"})",
                           scope));
  }
}

TEST(ParseConfig, InvalidJsonAndNonObjects) {
  expect_invalid(R"({"temp": 0.5,})", {"not valid JSON"});
  expect_invalid(R"({"temp": )", {"not valid JSON"});
  expect_invalid("{\"temp\": \"\xff\"}", {"not valid JSON"});
  expect_invalid(R"([1, 2])", {"JSON object", "[1,2]"});
  expect_invalid(R"("ctx_size")", {"JSON object"});
  expect_invalid("null", {"JSON object"});
  expect_invalid(std::string("{\"temp\": 0.5}\0x", 15), {"NUL byte at offset 13"});
  // A terminator counted in the length is not an error.
  EXPECT_FLOAT_EQ(parsed(std::string("{\"temp\": 0.5}\0", 14)).request.sampling.temp, 0.5f);
}

TEST(ParseConfig, DeepNestingIsRejectedWithoutRecursing) {
  const int depth = 100000;
  const std::string deep_array = std::string(depth, '[') + std::string(depth, ']');
  expect_invalid(deep_array, {"nests deeper than 32"});
  std::string deep_object;
  for (int i = 0; i < 40; ++i) deep_object += "{\"sampling\":";
  deep_object += "{}" + std::string(40, '}');
  expect_invalid(deep_object, {"nests deeper than 32"});
  expect_invalid("{\"stop\": " + deep_array + "}", {"nests deeper than 32"});
  // Within the limit, nesting is fine.
  std::string ok;
  for (int i = 0; i < 20; ++i) ok += "{\"sampling\":";
  ok += "{\"temp\": 0.3}" + std::string(20, '}');
  EXPECT_FLOAT_EQ(parsed(ok).request.sampling.temp, 0.3f);
}

TEST(ParseConfig, HugeInputIsRejectedBeforeParsing) {
  const std::string huge = "{\"system_prompt\": \"" + std::string(kMaxConfigBytes, 'a') + "\"}";
  expect_invalid(huge, {"bytes", "limit"});
  // A long but allowed value, and a long unknown key (no suggestion search on it).
  const std::string big = "{\"system_prompt\": \"" + std::string(500000, 'a') + "\"}";
  EXPECT_EQ(parsed(big).request.chat.system_prompt.size(), 500000u);
  const Error e = error_of("{\"" + std::string(300000, 'k') + "\": 1}");
  EXPECT_LT(std::string(e.what()).size(), 400u);
}

TEST(ParseConfig, FailedParseLeavesSettingsUnchanged) {
  Settings s = defaults();
  EXPECT_THROW(parse_config(R"({"ctx_size": 1024, "temp": -1})", kScopeLoad, s), Error);
  EXPECT_EQ(s.context.ctx_size, 4096u);
  EXPECT_TRUE(s.present.empty());
}

TEST(ParseConfig, LaterDocumentsOverrideEarlierOnes) {
  Settings s = parsed(R"({"temp": 0.1, "ctx_size": 1024, "stop": ["a"]})", kScopeBackend);
  parse_config(R"({"temp": 0.9})", kScopeLoad, s);
  parse_config(R"({"stop": "b", "n_predict": 3})", kScopeRequest, s);
  EXPECT_FLOAT_EQ(s.request.sampling.temp, 0.9f);
  EXPECT_EQ(s.context.ctx_size, 1024u);
  EXPECT_EQ(s.request.stop, std::vector<std::string>{"b"});
  EXPECT_EQ(s.request.n_predict, 3);
  EXPECT_EQ(s.present, (std::set<std::string>{"temperature", "ctx_size", "stop", "n_predict"}));
}

}  // namespace
}  // namespace wasi_nn
