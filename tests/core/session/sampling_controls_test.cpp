// Each sampling, constraint and template control has its effect, shown on the random-weight
// tiny models (real tokenizers). Where a control's effect can be pinned down exactly, the test
// does (top_k = 1 is greedy, a banned token never appears, a grammar's output parses); where it
// only reshapes the distribution, the test shows it runs and changes the output at a fixed seed.
#include <gtest/gtest.h>

#include <thread>

#include <algorithm>
#include <set>

#include "core/base/error.h"
#include "support/core_helpers.h"
#include "support/model_vocab.h"

namespace wasi_nn {
namespace {

using nlohmann::json;
using test::generate;
using test::model_path;

using Vocab = test::ModelVocab;

class SamplingControls : public ::testing::Test {
 protected:
  void SetUp() override {
    g = b.load_by_name(model_path("tiny-llama"), R"({"ctx_size": 512, "threads": 2, "n_predict": 10})");
    ctx = b.init_execution_context(g);
  }

  // Raw-mode generation of `prompt` with `extra` request keys added. The prompt is decoded
  // afresh each time: reusing its KV prefix computes the last position's logits in another
  // batch shape, and the tiny differences that makes can flip a choice on a random model.
  test::Output run(json extra, const std::string& prompt = "Once upon a time") {
    extra["mode"] = "raw";
    extra["cache_prompt"] = false;
    return generate(b, ctx, prompt, extra.dump());
  }
  std::string text(json extra, const std::string& prompt = "Once upon a time") {
    return run(std::move(extra), prompt).text;
  }
  // Generated token ids (through n_probs = 1) and their pieces.
  std::vector<llama_token> tokens(json extra, const std::string& prompt = "Once upon a time") {
    extra["n_probs"] = 1;
    std::vector<llama_token> out;
    const test::Output res = run(std::move(extra), prompt);
    for (const auto& step : res.meta.at("probs")) out.push_back(step.at("token"));
    return out;
  }
  std::vector<std::string> pieces(json extra) {
    extra["n_probs"] = 1;
    std::vector<std::string> out;
    const test::Output res = run(std::move(extra));
    for (const auto& step : res.meta.at("probs")) out.push_back(step.at("text"));
    return out;
  }
  std::string greedy() { return text({{"temperature", 0}}); }

  HostBackend b;
  uint32_t g = 0, ctx = 0;
};

// Random sampling with every truncation off, at a fixed seed: the baseline that the other
// controls are compared with.
json sampled(uint32_t seed = 1234) {
  return {{"temperature", 1.0}, {"top_k", 0}, {"top_p", 1.0}, {"min_p", 0.0}, {"seed", seed}};
}

json with(json base, const json& more) {
  base.update(more);
  return base;
}

TEST_F(SamplingControls, TopK1EqualsGreedy) {
  const std::string g0 = greedy();
  EXPECT_EQ(text(with(sampled(), {{"top_k", 1}})), g0);
  EXPECT_EQ(text(with(sampled(99), {{"top_k", 1}})), g0);
  EXPECT_NE(text(sampled()), g0);  // without top_k the sampled text differs
}

TEST_F(SamplingControls, SeedReproducesEvenWithEveryControlOn) {
  const json all = with(sampled(77), {{"top_k", 50},
                                      {"top_p", 0.9},
                                      {"min_p", 0.01},
                                      {"typical_p", 0.95},
                                      {"dynatemp_range", 0.5},
                                      {"repeat_penalty", 1.2},
                                      {"dry_multiplier", 0.5},
                                      {"xtc_probability", 0.5},
                                      {"xtc_threshold", 0.05}});
  EXPECT_EQ(text(all), text(all));
}

TEST_F(SamplingControls, BannedTokenByIdNeverAppears) {
  const auto greedy_tokens = tokens({{"temperature", 0}});
  ASSERT_FALSE(greedy_tokens.empty());
  const llama_token banned = greedy_tokens[0];
  for (const json& req : {json{{"temperature", 0}}, sampled(), sampled(5)}) {
    auto out = tokens(with(req, {{"logit_bias", {{banned, false}}}, {"n_predict", 24}}));
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(std::count(out.begin(), out.end(), banned), 0) << req.dump();
  }
  // The object form {"id": false} too; a positive bias makes a token the greedy choice.
  auto obj = tokens({{"temperature", 0}, {"logit_bias", {{std::to_string(banned), false}}}});
  EXPECT_EQ(std::count(obj.begin(), obj.end(), banned), 0);
  auto boosted = tokens({{"temperature", 0}, {"logit_bias", {{greedy_tokens[1], 100}}}});
  EXPECT_EQ(boosted[0], greedy_tokens[1]);
}

TEST_F(SamplingControls, BannedTextNeverAppears) {
  Vocab vocab(model_path("tiny-llama"));
  // Ban two greedy pieces (plain ASCII, so the metadata shows them whole) by text: none of
  // their tokens may appear.
  std::vector<std::string> words;
  for (const auto& piece : pieces({{"temperature", 0}, {"n_predict", 16}})) {
    if (!piece.empty() && std::all_of(piece.begin(), piece.end(), [](char c) { return c > 0; })) {
      words.push_back(piece);
    }
  }
  ASSERT_GE(words.size(), 2u);
  std::set<llama_token> banned;
  json bias = json::object();
  for (int i = 0; i < 2; ++i) {
    bias[words[i]] = false;
    for (llama_token t : vocab.tokenize(words[i])) banned.insert(t);
  }
  ASSERT_FALSE(banned.empty());
  for (const json& req : {json{{"temperature", 0}}, sampled()}) {
    for (llama_token t : tokens(with(req, {{"logit_bias", bias}, {"n_predict", 24}}))) {
      EXPECT_EQ(banned.count(t), 0u) << "banned token " << t << " generated; " << req.dump();
    }
  }
  // The list form [["text", false]] as well.
  const auto listed = tokens({{"temperature", 0}, {"logit_bias", {{words[0], false}}}});
  for (llama_token t : vocab.tokenize(words[0])) {
    EXPECT_EQ(std::count(listed.begin(), listed.end(), t), 0);
  }
}

TEST_F(SamplingControls, BadTokenIdsAndTextsAreRejectedPerRequest) {
  try {
    run({{"logit_bias", {{100000000, 1}}}});
    FAIL() << "an out-of-vocabulary token id was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("vocabulary"), std::string::npos) << e.what();
  }
}

TEST_F(SamplingControls, JsonSchemaOutputParsesWithItsShape) {
  const json schema = {{"type", "object"},
                       {"properties",
                        {{"answer", {{"type", "string"}, {"enum", {"yes", "no", "maybe"}}}},
                         {"count", {{"type", "integer"}, {"minimum", 0}, {"maximum", 9}}},
                         {"name", {{"type", "string"}, {"maxLength", 6}}}}},
                       {"required", {"answer", "count", "name"}},
                       {"additionalProperties", false}};
  for (const json& req : {json{{"temperature", 0}}, sampled(), sampled(42)}) {
    auto out = run(with(req, {{"json_schema", schema}, {"n_predict", 200}}));
    EXPECT_EQ(out.meta["stop_reason"], "eos") << out.text;
    json parsed;
    ASSERT_NO_THROW(parsed = json::parse(out.text)) << out.text;
    ASSERT_TRUE(parsed.is_object()) << out.text;
    EXPECT_EQ(parsed.size(), 3u) << out.text;
    EXPECT_TRUE(parsed["answer"] == "yes" || parsed["answer"] == "no" || parsed["answer"] == "maybe") << out.text;
    ASSERT_TRUE(parsed["count"].is_number_integer()) << out.text;
    EXPECT_GE(parsed["count"].get<int>(), 0);
    EXPECT_LE(parsed["count"].get<int>(), 9);
    ASSERT_TRUE(parsed["name"].is_string()) << out.text;
    EXPECT_LE(parsed["name"].get<std::string>().size(), 6u * 4) << out.text;  // <= 6 code points
  }
}

TEST_F(SamplingControls, GbnfGrammarForcesYesOrNo) {
  for (const json& req : {json{{"temperature", 0}}, sampled(), sampled(3), sampled(4)}) {
    auto out = run(with(req, {{"grammar", "root ::= \"yes\" | \"no\""}, {"n_predict", 20}}));
    EXPECT_TRUE(out.text == "yes" || out.text == "no") << out.text;
    EXPECT_EQ(out.meta["stop_reason"], "eos");
  }
  try {
    run({{"grammar", "root ::= yes"}});  // an undefined rule
    FAIL() << "a broken grammar was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
  }
}

// llama.cpp's common_sampler_init aborts the process on an llguidance grammar in a build
// without llguidance, and leaks its sampler chain on one that does not parse (LeakSanitizer in
// `scripts/sanitize.sh asan ours` watches this test): both are refused before it sees them.
TEST_F(SamplingControls, LlguidanceAndUnparsableGrammarsAreRefusedBeforeLlamaCpp) {
  for (const char* grammar : {"%llguidance {}\nstart: \"yes\"", "root ::= yes", "root ::= (", "root ::= root \"a\""}) {
    try {
      run({{"grammar", grammar}});
      FAIL() << "grammar accepted: " << grammar;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      EXPECT_NE(std::string(e.what()).find("grammar"), std::string::npos) << e.what();
    }
  }
  auto out = run(with(json{{"temperature", 0}}, {{"grammar", "root ::= \"yes\" | \"no\""}, {"n_predict", 4}}));
  EXPECT_TRUE(out.text == "yes" || out.text == "no") << out.text;
}

// A grammar that is complete can only end with EOS; ignore_eos bans it, so llama.cpp's grammar
// sampler throws on the engine thread. Found by fuzz/abi_fuzz: it terminated the host. Now the
// request fails with a message and the engine goes on serving.
TEST_F(SamplingControls, CompleteGrammarUnderIgnoreEosFailsOnlyThatRequest) {
  try {
    run({{"temperature", 0}, {"grammar", "root ::= \"yes\""}, {"ignore_eos", true}, {"n_predict", 6}});
    FAIL() << "a grammar that cannot continue generated anyway";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find("ignore_eos"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(greedy().empty());
}

// The first generated piece (index >= 1) that is plain ASCII letters (after one optional space)
// and does not occur earlier in the text: a trigger the model reaches at a known step.
size_t trigger_step(const std::vector<std::string>& p) {
  std::string before = p.empty() ? "" : p[0];
  for (size_t k = 1; k < p.size(); before += p[k], ++k) {
    const std::string& w = p[k];
    const size_t start = !w.empty() && w[0] == ' ' ? 1 : 0;
    if (w.size() < start + 2) continue;
    bool letters = true;
    for (size_t i = start; i < w.size(); ++i) letters = letters && std::isalpha(static_cast<unsigned char>(w[i]));
    if (letters && before.find(w) == std::string::npos) return k;
  }
  return 0;
}

TEST_F(SamplingControls, LazyGrammarSwitchesOnAtItsTrigger) {
  const auto p = pieces({{"temperature", 0}, {"n_predict", 16}});
  const size_t k = trigger_step(p);
  ASSERT_GT(k, 0u) << "no usable trigger piece in the greedy output";
  std::string prefix;
  for (size_t i = 0; i <= k; ++i) prefix += p[i];
  const std::string word = p[k];
  const std::string grammar = "root ::= \"" + word + "\" (\" yes\" | \" no\")";
  const json triggers[] = {
      json::array({word}),                                                // a word
      json::array({{{"type", "pattern"}, {"value", "(" + word + ")"}}}),  // a pattern
      json::array({{{"type", "token"}, {"value", word}}}),                // a token, by text
  };
  for (const auto& t : triggers) {
    auto out = run(
        {{"temperature", 0}, {"grammar", grammar}, {"grammar_lazy", true}, {"grammar_triggers", t}, {"n_predict", 40}});
    EXPECT_TRUE(out.text == prefix + " yes" || out.text == prefix + " no")
        << t.dump() << " -> " << out.text << " (free text up to the trigger: " << prefix << ")";
    EXPECT_EQ(out.meta["stop_reason"], "eos") << t.dump();
  }
  // A trigger that never appears leaves the output free.
  auto untriggered =
      run({{"temperature", 0}, {"grammar", grammar}, {"grammar_lazy", true}, {"grammar_triggers", {"zqxjzqxj"}}});
  EXPECT_EQ(untriggered.text, greedy());
}

TEST_F(SamplingControls, RepeatPenaltyAndDryReduceRepetition) {
  std::string prompt;
  for (int i = 0; i < 10; ++i) prompt += "the cat sat on the mat. ";
  // Repeated tokens: generated tokens already seen earlier in the output.
  auto repeats = [](const std::vector<llama_token>& t) {
    std::set<llama_token> seen;
    int n = 0;
    for (llama_token x : t) n += !seen.insert(x).second;
    return n;
  };
  // Repeated trigrams: what DRY targets (extending an earlier sequence).
  auto trigrams = [](const std::vector<llama_token>& t) {
    std::set<std::vector<llama_token>> seen;
    int n = 0;
    for (size_t i = 2; i < t.size(); ++i) n += !seen.insert({t[i - 2], t[i - 1], t[i]}).second;
    return n;
  };
  const json base = {{"temperature", 0}, {"n_predict", 32}, {"ignore_eos", true}};
  const auto plain = tokens(base, prompt);
  const auto penalised = tokens(with(base, {{"repeat_penalty", 1.8}, {"repeat_last_n", -1}}), prompt);
  const auto presence = tokens(with(base, {{"presence_penalty", 1.5}, {"frequency_penalty", 1.0}}), prompt);
  const auto dry = tokens(
      with(base, {{"dry_multiplier", 2.0}, {"dry_base", 2.0}, {"dry_allowed_length", 1}, {"dry_penalty_last_n", -1}}),
      prompt);
  ASSERT_EQ(plain.size(), 32u);
  ASSERT_GT(repeats(plain), 0) << "the baseline does not repeat; the test proves nothing";
  EXPECT_LT(repeats(penalised), repeats(plain));
  EXPECT_LT(repeats(presence), repeats(plain));
  EXPECT_LT(trigrams(dry), std::max(1, trigrams(plain)));
  EXPECT_NE(dry, plain);
}

TEST_F(SamplingControls, MirostatRunsAndShapesTheDistribution) {
  const std::string base = text(sampled());
  for (int version : {1, 2}) {
    const json req = with(sampled(), {{"mirostat", version}, {"mirostat_tau", 3.0}, {"mirostat_eta", 0.1}});
    const std::string a = text(req);
    EXPECT_EQ(a, text(req)) << "mirostat " << version << " is not reproducible at a fixed seed";
    EXPECT_NE(a, base) << "mirostat " << version << " changed nothing";
  }
  // Mirostat 2 keeps only tokens whose surprise is below mu (starts at 2 * tau): a tiny tau
  // leaves the most likely token alone, i.e. greedy.
  EXPECT_EQ(text(with(sampled(), {{"mirostat", 2}, {"mirostat_tau", 0.001}})), greedy());
}

TEST_F(SamplingControls, XtcRemovesTheTopChoices) {
  // With probability 1, XTC removes every candidate above the threshold except the least likely
  // of them, so even greedy decoding no longer picks its usual first token.
  const auto g0 = tokens({{"temperature", 0}});
  const json xtc = {{"temperature", 0},      {"min_p", 0}, {"top_p", 1}, {"top_k", 40}, {"xtc_probability", 1.0},
                    {"xtc_threshold", 0.001}};
  const auto x = tokens(xtc);
  ASSERT_FALSE(x.empty());
  EXPECT_NE(x[0], g0[0]);
  EXPECT_NE(text(with(sampled(), {{"xtc_probability", 0.5}, {"xtc_threshold", 0.001}})), text(sampled()));
}

TEST_F(SamplingControls, TruncationSamplersEachHaveTheirEffect) {
  const std::string g0 = greedy(), base = text(sampled());
  // top_n_sigma near 0 keeps only the top logit: greedy at any seed.
  EXPECT_EQ(text(with(sampled(), {{"top_n_sigma", 0.0001}})), g0);
  // min_p = 1 keeps only the most likely token; min_keep then forces more candidates back in.
  EXPECT_EQ(text(with(sampled(), {{"min_p", 1.0}})), g0);
  EXPECT_NE(text(with(sampled(), {{"min_p", 1.0}, {"min_keep", 50}})), g0);
  // top_p near 0 is greedy too.
  EXPECT_EQ(text(with(sampled(), {{"top_p", 0.0}})), g0);
  // typical_p = 0 keeps one token (the most typical): the seed no longer matters.
  const std::string typ = text(with(sampled(1), {{"typical_p", 0.0}}));
  EXPECT_EQ(typ, text(with(sampled(2), {{"typical_p", 0.0}})));
  EXPECT_NE(text(with(sampled(), {{"typical_p", 0.5}})), base);
  // Dynamic temperature changes the distribution at the same seed.
  EXPECT_NE(text(with(sampled(), {{"dynatemp_range", 0.9}, {"dynatemp_exponent", 2.0}})), base);
}

TEST_F(SamplingControls, SamplerOrderChoosesTheChain) {
  const std::string g0 = greedy();
  const json k1 = with(sampled(), {{"top_k", 1}});
  EXPECT_EQ(text(with(k1, {{"samplers", {"top_k", "temperature"}}})), g0);
  EXPECT_EQ(text(with(k1, {{"samplers", "kt"}})), g0);
  // Without top_k in the chain, top_k = 1 has no effect.
  EXPECT_NE(text(with(k1, {{"samplers", {"temperature"}}})), g0);
  EXPECT_EQ(text(with(k1, {{"samplers", {"temperature"}}})), text(sampled()));
}

TEST_F(SamplingControls, IgnoreEosKeepsGenerating) {
  Vocab vocab(model_path("tiny-llama"));
  const llama_token eos = llama_vocab_eos(vocab.get());
  ASSERT_NE(eos, LLAMA_TOKEN_NULL);
  const json force_eos = {{"temperature", 0}, {"logit_bias", {{eos, 100}}}, {"n_predict", 8}};
  auto ended = run(force_eos);
  EXPECT_EQ(ended.meta["stop_reason"], "eos");
  EXPECT_EQ(ended.meta["output_tokens"], 1);
  auto kept = run(with(force_eos, {{"ignore_eos", true}}));
  EXPECT_EQ(kept.meta["stop_reason"], "length");
  EXPECT_EQ(kept.meta["output_tokens"], 8);
}

// ---- chat templates ----

// Chat-mode output through a template equals raw-mode output of the prompt it should render.
void expect_renders(Backend& b, uint32_t ctx, const json& chat_req, const std::string& rendered) {
  json chat = chat_req, raw = {{"mode", "raw"}, {"temperature", 0}, {"n_predict", 12}, {"cache_prompt", false}};
  chat.update({{"temperature", 0}, {"n_predict", 12}, {"reset", true}, {"cache_prompt", false}});
  auto c = generate(b, ctx, "Hello", chat.dump());
  auto r = generate(b, ctx, rendered, raw.dump());
  EXPECT_EQ(c.meta["input_tokens"], r.meta["input_tokens"]) << chat_req.dump();
  EXPECT_EQ(c.text, r.text) << chat_req.dump();
}

const char* kTaggedJinja =
    "{% for m in messages %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>\n{% endfor %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}";

TEST_F(SamplingControls, ChatTemplateByBuiltInNamePerRequest) {
  expect_renders(b, ctx, {{"chat_template", "chatml"}}, "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n");
  expect_renders(b, ctx, {{"chat_template", "phi3"}}, "<|user|>\nHello<|end|>\n<|assistant|>\n");
  expect_renders(b, ctx, {{"chat_template", kTaggedJinja}}, "<user>Hello</user>\n<assistant>");
  expect_renders(b, ctx, {{"chat_template", kTaggedJinja}, {"system_prompt", "Be brief."}},
                 "<system>Be brief.</system>\n<user>Hello</user>\n<assistant>");
}

TEST(ChatTemplates, BuiltInNameAndJinjaFromLoadConfig) {
  HostBackend b;
  const json load = {{"ctx_size", 512}, {"threads", 2}, {"chat_template", "phi3"}};
  uint32_t ctx = b.init_execution_context(b.load_by_name(model_path("tiny-llama"), load.dump()));
  expect_renders(b, ctx, json::object(), "<|user|>\nHello<|end|>\n<|assistant|>\n");
  const json custom = {
      {"ctx_size", 512}, {"threads", 2}, {"chat_template", kTaggedJinja}, {"system_prompt", "Be brief."}};
  ctx = b.init_execution_context(b.load_by_name(model_path("tiny-llama"), custom.dump()));
  expect_renders(b, ctx, json::object(), "<system>Be brief.</system>\n<user>Hello</user>\n<assistant>");
}

TEST_F(SamplingControls, TemplateEndOfTurnMarkerStopsGeneration) {
  // The first turn's prompt does not contain the marker, so the greedy reply is the same
  // whatever the marker is; with a marker taken from that reply, the reply stops before it.
  auto tmpl = [](const std::string& marker) {
    return "{% for m in messages %}{{ m.role }}: {{ m.content }}{% if m.role == 'assistant' %}" + marker +
           "{% endif %}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
  };
  const json req = {{"temperature", 0}, {"n_predict", 16}, {"n_probs", 1}, {"reset", true}, {"cache_prompt", false}};
  auto free = generate(b, ctx, "Hello", with(req, {{"chat_template", tmpl("[END]")}}).dump());
  std::vector<std::string> p;
  for (const auto& step : free.meta["probs"]) p.push_back(step["text"]);
  const size_t k = trigger_step(p);
  ASSERT_GT(k, 0u) << free.text;
  const std::string marker = p[k][0] == ' ' ? p[k].substr(1) : p[k];
  auto cut = generate(b, ctx, "Hello", with(req, {{"chat_template", tmpl(marker)}}).dump());
  EXPECT_EQ(cut.text, free.text.substr(0, free.text.find(marker))) << "marker " << marker;
  EXPECT_EQ(cut.meta["stop_reason"], "stop");
  EXPECT_EQ(cut.meta["stop_word"], marker);
}

// ---- the seed README's configurations, accepted where a host passes them ----

TEST(SeedReadmeConfigs, AcceptedAtLoadAndAsBackendDefaults) {
  const std::string configs[] = {
      R"({"n_gpu_layers": 98, "ctx_size": 2048, "n_predict": 512, "batch_size": 512,
          "threads": 8, "temp": 0.7, "top_p": 0.95, "repeat_penalty": 1.10})",
      R"({"sampling": {"dynatemp": {"range": 0.1, "exponent": 1.2}},
          "memory_management": {"cache_policy": {"enable_prompt_cache": true, "retention_ms": 300000}}})",
      R"({"backend": {"max_sessions": 200, "idle_timeout_ms": 600000},
          "model": {"n_ctx": 1024, "n_gpu_layers": 32, "threads": 2, "use_mmap": false},
          "sampling": {"temperature": 0.5, "top_k": 20, "dry_sequence_breakers": ["\n", "```"]},
          "stopping": {"max_tokens": 64, "stop": ["</s>", "Human:"], "ignore_eos": false},
          "logging": {"level": "warn"}, "performance": {"batch_size": 128}})",
      R"({"n-gpu-layers": 0, "ctx-size": 1024, "n-predict": 32, "batch-size": 256, "threads": 2,
          "temp": 0.2, "top-p": 0.5, "repeat-penalty": 1.3, "reverse-prompt": "User:"})",
  };
  const bool eight_cores = std::thread::hardware_concurrency() >= 8;
  for (const auto& config : configs) {
    SCOPED_TRACE(config);
    HostBackend at_load;
    // The first example asks for 8 threads: a load (the tenant) may not ask for more threads
    // than the machine has cores; the host's own config is lowered to them instead.
    // The third sets the log level, which is the host's (backend config) and refused at load.
    if ((!eight_cores && config == configs[0]) || config == configs[2]) {
      try {
        at_load.load_by_name(model_path("tiny-llama"), config);
        ADD_FAILURE() << "accepted at load";
      } catch (const Error& e) {
        const bool threads = std::string(e.what()).find("limit threads") != std::string::npos;
        const bool host_only = e.kind() == ErrorKind::Security;
        EXPECT_TRUE(config == configs[0] ? threads : host_only) << e.what();
      }
    } else {
      uint32_t ctx = at_load.init_execution_context(at_load.load_by_name(model_path("tiny-llama"), config));
      auto out = generate(at_load, ctx, "Hello", R"({"n_predict": 4, "seed": 1})");
      EXPECT_GT(out.meta["output_tokens"].get<int>(), 0);
    }
    HostBackend as_defaults(config);
    uint32_t ctx = as_defaults.init_execution_context(as_defaults.load_by_name(model_path("tiny-llama"), "{}"));
    auto out = generate(as_defaults, ctx, "Hello", R"({"n_predict": 4, "seed": 1})");
    EXPECT_GT(out.meta["output_tokens"].get<int>(), 0);
  }
}

}  // namespace
}  // namespace wasi_nn
