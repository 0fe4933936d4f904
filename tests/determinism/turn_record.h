// TurnRecord: what one compute returned that determinism is judged on (the generated tokens and
// the probabilities n_probs reports for each, from output 1's "probs"), and the comparison of two
// of them bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace det {

// One generated token: its id, its probability and the n_probs most likely candidates.
struct TokenStep {
  int32_t token = -1;
  float prob = 0;
  std::vector<std::pair<int32_t, float>> top;
};

struct TurnRecord {
  std::vector<TokenStep> steps;
  uint32_t input_tokens = 0, cached_tokens = 0, restored_tokens = 0, shared_tokens = 0;
};

// Reads output 1 of a compute. Probabilities travel as JSON numbers written with enough digits
// to round-trip a float, so the float read back is the float the engine computed.
TurnRecord parse_turn(const nlohmann::json& meta);

// How a run differs from its reference. The probability difference is measured over the steps
// up to and including the first token that differs: after it the two runs see different
// histories, so their later probabilities are not comparable.
struct Divergence {
  size_t steps = 0;  // steps compared
  bool tokens_identical = true;
  bool probs_identical = true;  // every probability (chosen and top) has the same bits
  int first_token_diff = -1;    // step of the first differing token, -1 when none
  double max_abs_diff = 0;      // largest |p_run - p_ref| over the comparable steps

  bool identical() const { return tokens_identical && probs_identical; }
};

Divergence compare(const TurnRecord& ref, const TurnRecord& run);
// The worst of two comparisons (for a table cell that covers several requests).
Divergence worst(const Divergence& a, const Divergence& b);

}  // namespace det
