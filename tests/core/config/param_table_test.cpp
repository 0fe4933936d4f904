// The table itself: names are unique, defaults are valid and match llama.cpp, the reference is
// generated from it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/config/config_parser.h"
#include "core/config/param_table.h"

namespace wasi_nn {
namespace {

TEST(ParamTable, NamesAndAliasesAreUniqueSnakeCase) {
  std::set<std::string> seen;
  for (const auto& spec : param_table()) {
    std::vector<std::string> names = spec.aliases;
    names.push_back(spec.name);
    for (const auto& n : names) {
      EXPECT_TRUE(seen.insert(n).second) << n << " is listed twice";
      EXPECT_EQ(n.find('-'), std::string::npos) << n;
      EXPECT_EQ(n.find('.'), std::string::npos) << n;
    }
    EXPECT_FALSE(spec.help.empty()) << spec.name;
    EXPECT_NE(spec.scopes, 0u) << spec.name;
  }
}

TEST(ParamTable, NoNameIsASectionName) {
  std::set<std::string> names;
  for (const auto& spec : param_table()) names.insert(spec.name);
  for (const auto& section : param_sections()) EXPECT_EQ(names.count(section), 0u) << section;
}

// Every default is a value the parser accepts for that key (so the table cannot document a
// default outside its own range).
TEST(ParamTable, EveryDefaultPassesItsOwnChecks) {
  for (const auto& spec : param_table()) {
    if (spec.default_json.empty()) continue;
    Settings s;
    apply_defaults(s);
    const std::string doc = "{\"" + std::string(spec.name) + "\": " + spec.default_json + "}";
    const unsigned scope = (spec.scopes & kScopeLoad)      ? kScopeLoad
                           : (spec.scopes & kScopeBackend) ? kScopeBackend
                                                           : kScopeRequest;
    EXPECT_NO_THROW(parse_config(doc, scope, s)) << doc;
  }
}

TEST(ParamTable, DefaultsAreApplied) {
  Settings s;
  apply_defaults(s);
  EXPECT_EQ(s.backend.max_sessions, 100u);
  EXPECT_EQ(s.backend.idle_timeout_ms, 300000u);
  EXPECT_EQ(s.backend.log_level, LogLevel::Warn);
  EXPECT_EQ(s.model.n_gpu_layers, ModelSettings::kAutoGpuLayers);  // "auto", as llama.cpp
  EXPECT_TRUE(s.model.rpc_servers.empty());
  EXPECT_EQ(s.model.main_gpu, 0);
  EXPECT_EQ(s.model.split_mode, SplitMode::Layer);
  EXPECT_TRUE(s.model.tensor_split.empty());
  EXPECT_TRUE(s.model.use_mmap);
  EXPECT_FALSE(s.model.use_mlock);
  EXPECT_EQ(s.context.ctx_size, 4096u);
  EXPECT_EQ(s.context.n_batch, 512u);
  EXPECT_EQ(s.context.n_ubatch, 512u);
  EXPECT_EQ(s.context.threads, 0);
  EXPECT_EQ(s.context.threads_batch, 0);
  EXPECT_EQ(s.context.n_parallel, 4u);
  EXPECT_EQ(s.context.flash_attn, FlashAttn::Auto);
  EXPECT_EQ(s.context.cache_type_k, KvCacheType::F16);
  EXPECT_EQ(s.context.cache_type_v, KvCacheType::F16);
  EXPECT_EQ(s.request.n_predict, 512);
  EXPECT_TRUE(s.request.stop.empty());
  EXPECT_FALSE(s.request.reset);
  EXPECT_TRUE(s.request.cache_prompt);
  EXPECT_EQ(s.request.chat.mode, ChatMode::Chat);
  EXPECT_EQ(s.request.chat.chat_template, "");
  EXPECT_EQ(s.request.chat.system_prompt, "");
  EXPECT_TRUE(s.present.empty());
}

TEST(ParamTable, SamplingDefaultsAreLlamaCpps) {
  Settings s;
  apply_defaults(s);
  const common_params_sampling d;
  const auto& p = s.request.sampling;
  EXPECT_EQ(p.temp, d.temp);
  EXPECT_EQ(p.dynatemp_range, d.dynatemp_range);
  EXPECT_EQ(p.dynatemp_exponent, d.dynatemp_exponent);
  EXPECT_EQ(p.top_k, d.top_k);
  EXPECT_EQ(p.top_p, d.top_p);
  EXPECT_EQ(p.min_p, d.min_p);
  EXPECT_EQ(p.typ_p, d.typ_p);
  EXPECT_EQ(p.top_n_sigma, d.top_n_sigma);
  EXPECT_EQ(p.xtc_probability, d.xtc_probability);
  EXPECT_EQ(p.xtc_threshold, d.xtc_threshold);
  EXPECT_EQ(p.penalty_repeat, d.penalty_repeat);
  EXPECT_EQ(p.penalty_last_n, d.penalty_last_n);
  EXPECT_EQ(p.penalty_present, d.penalty_present);
  EXPECT_EQ(p.penalty_freq, d.penalty_freq);
  EXPECT_EQ(p.dry_multiplier, d.dry_multiplier);
  EXPECT_EQ(p.dry_base, d.dry_base);
  EXPECT_EQ(p.dry_allowed_length, d.dry_allowed_length);
  EXPECT_EQ(p.dry_penalty_last_n, d.dry_penalty_last_n);
  EXPECT_EQ(p.dry_sequence_breakers, d.dry_sequence_breakers);
  EXPECT_EQ(p.mirostat, d.mirostat);
  EXPECT_EQ(p.mirostat_tau, d.mirostat_tau);
  EXPECT_EQ(p.mirostat_eta, d.mirostat_eta);
  EXPECT_EQ(p.seed, d.seed);
  EXPECT_EQ(p.min_keep, d.min_keep);
  EXPECT_EQ(p.samplers, d.samplers);
  EXPECT_EQ(p.ignore_eos, d.ignore_eos);
  EXPECT_TRUE(p.grammar.empty());
  EXPECT_TRUE(p.logit_bias.empty());
  EXPECT_EQ(p.user_sampling_config, 0u);  // defaults do not count as the user's choice
}

TEST(ParamTable, ApplyDefaultsResetsEverything) {
  Settings s;
  parse_config(R"({"ctx_size": 128, "temp": 0.1, "stop": "x"})", kScopeLoad, s);
  apply_defaults(s);
  EXPECT_EQ(s.context.ctx_size, 4096u);
  EXPECT_TRUE(s.request.stop.empty());
  EXPECT_TRUE(s.present.empty());
}

TEST(Settings, KeysAndEqualityFollowEveryField) {
  Settings a, b;
  apply_defaults(a);
  apply_defaults(b);
  EXPECT_TRUE(a.model == b.model);
  EXPECT_TRUE(a.context == b.context);
  EXPECT_EQ(a.model.key(), b.model.key());
  parse_config(R"({"tensor_split": [3, 1]})", kScopeLoad, b);
  EXPECT_FALSE(a.model == b.model);
  EXPECT_NE(a.model.key(), b.model.key());
  EXPECT_NE(b.model.key().find("tensor_split=3,1"), std::string::npos) << b.model.key();
  parse_config(R"({"cache_type_v": "q8_0"})", kScopeLoad, b);
  EXPECT_FALSE(a.context == b.context);
  EXPECT_NE(a.context.key(), b.context.key());
  // Request keys do not change which engine serves a load.
  const std::string before = a.context.key();
  parse_config(R"({"temp": 0.1})", kScopeLoad, a);
  EXPECT_EQ(a.context.key(), before);
}

TEST(ParametersMarkdown, ListsEveryKeyWithItsAliases) {
  const std::string md = parameters_markdown();
  for (const auto& spec : param_table()) {
    EXPECT_NE(md.find("| `" + std::string(spec.name) + "` |"), std::string::npos) << spec.name;
    for (const auto& alias : spec.aliases) {
      EXPECT_NE(md.find("`" + alias + "`"), std::string::npos) << alias;
    }
  }
  EXPECT_NE(md.find("## Sampling"), std::string::npos);
  EXPECT_NE(md.find("dash-case"), std::string::npos);
  EXPECT_NE(md.find("Recognised but not supported"), std::string::npos);
}

}  // namespace
}  // namespace wasi_nn
