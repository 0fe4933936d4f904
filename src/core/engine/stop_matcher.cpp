#include "core/engine/stop_matcher.h"

#include <algorithm>

namespace wasi_nn {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (auto& s : stops) {
    if (s.empty()) continue;  // an empty stop string would stop before anything is said
    max_stop_ = std::max(max_stop_, s.size());
    stops_.push_back(std::move(s));
  }
}

bool StopMatcher::append(const std::string& piece) {
  if (stopped_) return true;
  const size_t old_len = text_.size();
  text_ += piece;
  if (stops_.empty()) return false;
  // A new match must end inside the new piece, so it starts at most max_stop_-1 bytes earlier.
  const size_t from = old_len >= max_stop_ ? old_len - (max_stop_ - 1) : 0;
  size_t best = std::string::npos;
  for (const auto& s : stops_) {
    const size_t pos = text_.find(s, from);
    if (pos < best) {
      best = pos;
      matched_ = s;
    }
  }
  if (best == std::string::npos) return false;
  text_.resize(best);
  stopped_ = true;
  return true;
}

size_t StopMatcher::safe_length() const {
  size_t hold = 0;
  if (!stopped_) {
    for (const auto& s : stops_) {
      const size_t max_l = std::min(s.size() - 1, text_.size());
      for (size_t l = max_l; l > hold; --l) {
        if (text_.compare(text_.size() - l, l, s, 0, l) == 0) {
          hold = l;
          break;
        }
      }
    }
  }
  return utf8_complete_prefix(text_.substr(0, text_.size() - hold));
}

size_t utf8_complete_prefix(const std::string& s) {
  // Walk back over at most 3 continuation bytes to the lead byte of the last character.
  size_t n = s.size();
  size_t i = n;
  int cont = 0;
  while (i > 0 && cont < 4) {
    const unsigned char c = static_cast<unsigned char>(s[i - 1]);
    if ((c & 0xC0) != 0x80) break;
    --i;
    ++cont;
  }
  if (i == 0) return n;
  const unsigned char lead = static_cast<unsigned char>(s[i - 1]);
  size_t need = 1;
  if ((lead & 0xE0) == 0xC0)
    need = 2;
  else if ((lead & 0xF0) == 0xE0)
    need = 3;
  else if ((lead & 0xF8) == 0xF0)
    need = 4;
  const size_t have = n - (i - 1);
  return have < need ? i - 1 : n;
}

}  // namespace wasi_nn
