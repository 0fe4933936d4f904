// Helpers for the conditions that need other tenants: process statistics (to know when the
// engine has admitted, evicted or spilled something) and the text other conversations send.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace det {

// wasi_nn_stats() parsed (process-wide: every engine of the process).
nlohmann::json process_stats();

// Polls process_stats() until `ready` holds; throws, naming `what`, after `limit`.
void wait_for(const std::function<bool(const nlohmann::json&)>& ready, const std::string& what,
              std::chrono::seconds limit = std::chrono::seconds(120));

// A prompt for another conversation: distinct for each `id` from its first words on (so no
// prefix is shared with anything else), about `words` words long.
std::string tenant_prompt(int id, size_t words);

// Request keys for another conversation: its own seed and temperature, `n_predict` tokens.
nlohmann::json tenant_settings(int id, int n_predict);

// A closed time interval of one compute call, for checking that two requests overlapped.
struct Span {
  std::chrono::steady_clock::time_point start, end;
  bool overlaps(const Span& o) const { return start < o.end && o.start < end; }
};

}  // namespace det
