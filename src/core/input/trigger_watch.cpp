#include "core/input/trigger_watch.h"

#include <algorithm>

#include "core/input/regex_check.h"

namespace wasi_nn {

TriggerWatch::TriggerWatch(const common_params_sampling& sp, const InputLimits& limits) {
  waiting_ = sp.grammar_lazy && !common_grammar_value(sp.grammar).empty();
  if (!waiting_) return;
  size_t work = 0;
  for (const auto& t : sp.grammar_triggers) {
    switch (t.type) {
      case COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN: tokens_.push_back(t.token); break;
      case COMMON_GRAMMAR_TRIGGER_TYPE_WORD:
        work += check_trigger_word(t.value, limits).work;
        words_.push_back(t.value);
        break;
      case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN:
      case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL: {
        // As common_sampler_init passes it to llama.cpp.
        std::string p = t.value;
        if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL) {
          p = p.empty() ? "^$" : (p.front() != '^' ? "^" : "") + p + (p.back() != '$' ? "$" : "");
        }
        const PatternStats s = check_trigger_pattern(p, limits);
        Pattern pat{std::regex(p), !p.empty() && p.front() == '^' && p.back() == '$', s.max_reach};
        work += s.work * (pat.whole ? 2 : 1);
        patterns_.push_back(std::move(pat));
        break;
      }
    }
  }
  limit_ = work == 0 ? 0 : std::max<size_t>(1, limits.max_trigger_scan_work / work);
}

void TriggerWatch::accept(llama_token token, const std::string& piece) {
  if (!waiting_) return;
  if (std::find(tokens_.begin(), tokens_.end(), token) != tokens_.end()) {
    waiting_ = false;
  } else {
    text_ += piece;
    waiting_ = !matches_now(piece.size());
  }
  if (!waiting_) text_.clear();
}

// A match llama.cpp finds now and did not find before reads at least one new byte (or, for \b,
// the byte right before one), so it starts at most reach + 1 bytes before the new piece.
bool TriggerWatch::matches_now(size_t new_bytes) const {
  const size_t old_len = text_.size() - new_bytes;
  for (const auto& w : words_) {
    const size_t from = old_len + 1 > w.size() ? old_len + 1 - w.size() : 0;
    if (!w.empty() && text_.find(w, from) != std::string::npos) return true;
  }
  for (const auto& p : patterns_) {
    const size_t from = old_len > p.reach + 1 ? old_len - p.reach - 1 : 0;
    const auto flags = from > 0 ? std::regex_constants::match_prev_avail : std::regex_constants::match_default;
    if (std::regex_search(text_.begin() + static_cast<std::ptrdiff_t>(from), text_.end(), p.re, flags)) return true;
  }
  return false;
}

}  // namespace wasi_nn
