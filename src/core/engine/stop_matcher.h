// StopMatcher: cuts generated text at the first stop string, even when the stop string arrives
// split across several tokens, and tells how much of the text is safe to release while
// generating (streaming): never a byte that might still turn out to start a stop string, and
// never half of a UTF-8 character.
// Thread-safety: none; one request's worker uses it.
#pragma once

#include <string>
#include <vector>

namespace wasi_nn {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops = {});

  // Appends a piece of generated text; returns true when a stop string is now complete, in
  // which case text() ends just before it (the stop string itself is never part of text()).
  bool append(const std::string& piece);

  const std::string& text() const { return text_; }
  bool stopped() const { return stopped_; }
  const std::string& matched() const { return matched_; }

  // Bytes of text() that can be released now: excludes a tail that is a proper prefix of some
  // stop string and an incomplete UTF-8 sequence at the end.
  size_t safe_length() const;

 private:
  std::vector<std::string> stops_;
  size_t max_stop_ = 0;
  std::string text_;
  std::string matched_;
  bool stopped_ = false;
};

// Length of the longest prefix of `s` that does not end inside a UTF-8 multi-byte sequence.
size_t utf8_complete_prefix(const std::string& s);

}  // namespace wasi_nn
