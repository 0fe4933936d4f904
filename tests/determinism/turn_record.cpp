#include "turn_record.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace det {
namespace {

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

uint32_t count(const nlohmann::json& meta, const char* key) { return meta.value(key, 0u); }

// Compares the probabilities of one step; returns whether every bit matched and widens *diff.
bool compare_step(const TokenStep& a, const TokenStep& b, double* diff) {
  bool same = same_bits(a.prob, b.prob) && a.top.size() == b.top.size();
  *diff = std::max(*diff, std::fabs(double(a.prob) - double(b.prob)));
  for (size_t i = 0; i < std::min(a.top.size(), b.top.size()); ++i) {
    same = same && a.top[i].first == b.top[i].first && same_bits(a.top[i].second, b.top[i].second);
    // A candidate that changed rank is compared with what took its place: still a difference.
    *diff = std::max(*diff, std::fabs(double(a.top[i].second) - double(b.top[i].second)));
  }
  return same;
}

}  // namespace

TurnRecord parse_turn(const nlohmann::json& meta) {
  TurnRecord r;
  r.input_tokens = count(meta, "input_tokens");
  r.cached_tokens = count(meta, "cached_tokens");
  r.restored_tokens = count(meta, "restored_tokens");
  r.shared_tokens = count(meta, "shared_tokens");
  for (const auto& p : meta.value("probs", nlohmann::json::array())) {
    TokenStep s;
    s.token = p.at("token").get<int32_t>();
    s.prob = static_cast<float>(p.at("prob").get<double>());
    for (const auto& c : p.at("top")) {
      s.top.emplace_back(c.at("token").get<int32_t>(), static_cast<float>(c.at("prob").get<double>()));
    }
    r.steps.push_back(std::move(s));
  }
  return r;
}

Divergence compare(const TurnRecord& ref, const TurnRecord& run) {
  Divergence d;
  d.steps = std::max(ref.steps.size(), run.steps.size());
  d.tokens_identical = ref.steps.size() == run.steps.size();
  d.probs_identical = d.tokens_identical;
  for (size_t i = 0; i < std::min(ref.steps.size(), run.steps.size()); ++i) {
    d.probs_identical = compare_step(ref.steps[i], run.steps[i], &d.max_abs_diff) && d.probs_identical;
    if (ref.steps[i].token != run.steps[i].token) {
      d.tokens_identical = false;
      d.probs_identical = false;
      d.first_token_diff = static_cast<int>(i);
      break;
    }
  }
  if (d.first_token_diff < 0 && ref.steps.size() != run.steps.size()) {
    d.first_token_diff = static_cast<int>(std::min(ref.steps.size(), run.steps.size()));
  }
  return d;
}

Divergence worst(const Divergence& a, const Divergence& b) {
  Divergence w;
  w.steps = a.steps + b.steps;
  w.tokens_identical = a.tokens_identical && b.tokens_identical;
  w.probs_identical = a.probs_identical && b.probs_identical;
  w.max_abs_diff = std::max(a.max_abs_diff, b.max_abs_diff);
  if (a.first_token_diff < 0)
    w.first_token_diff = b.first_token_diff;
  else if (b.first_token_diff < 0)
    w.first_token_diff = a.first_token_diff;
  else
    w.first_token_diff = std::min(a.first_token_diff, b.first_token_diff);
  return w;
}

}  // namespace det
