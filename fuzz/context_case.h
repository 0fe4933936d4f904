// One case of the context fuzzer (fuzz/context_fuzz.cpp): a model, a backend config, a load
// config and a few requests, decoded from a 64-bit case number. The same number always decodes
// to the same case, so a run is reproducible from its seed; a case is also written and read
// back as JSON (the reproducer a crashing case leaves behind).
//
// Values come from per-key lists of boundaries and typical values (powers of two and their
// neighbours, the table's limits, a few out of range), so the pairs that matter to llama.cpp's
// preconditions (batch_size vs n_parallel, ubatch_size vs batch_size, cache types vs flash
// attention, ctx_size per sequence, ...) meet often.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace context_fuzz {

// How a request reaches the backend.
enum class Call { Compute, RunInference, Stream };

struct Request {
  uint32_t context = 0;  // index of the execution context; == the number open: open a new one
  std::string session;   // non-empty: open that context with this session id
  std::string prompt;    // input 0
  std::string settings;  // input 1 (JSON); empty: not set
  Call call = Call::Compute;
};

struct Case {
  uint64_t id = 0;
  std::string model;    // file name of a tiny model
  std::string backend;  // init_backend_with_config's JSON; empty: init_backend
  std::string load;     // load_by_name_with_config's JSON
  std::vector<Request> requests;
};

// The case numbered `id` of the run seeded with `seed`, on one of `models` (file names).
Case generate_case(uint64_t seed, uint64_t id, const std::vector<std::string>& models);

// The reproducer form of a case; `extra` (a JSON object's text, or empty) adds fields such as
// the outcome. case_from_json() throws std::exception on malformed text.
std::string case_to_json(const Case& c, const std::string& extra = "");
Case case_from_json(const std::string& text);

const char* call_name(Call call);

}  // namespace context_fuzz
