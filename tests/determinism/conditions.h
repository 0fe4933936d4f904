// The determinism harness: runs one request in one condition (other conversations decoding in
// the same batches, a copied prefix, KV reused across turns, eviction and restore, other batch,
// thread and sequence settings) and compares what it generated, bit for bit, with the same
// request alone on a fresh engine. Everything goes through the public seed C ABI
// (include/wasi_nn_backend.h), as a host uses it.
//
// "Fresh engine": the library keeps one engine per model and settings while some backend uses
// it; every run here opens its own backend contexts and closes them all before returning, so
// the next run starts from a new engine with an empty KV cache.
//
// A condition that could not be created (a neighbour that never overlapped the request, a
// prefix that was not copied, a state that was not restored) throws std::runtime_error: a
// comparison made without its condition would pass for the wrong reason.
//
// Thread-safety: a Harness is used from one thread (it starts its own neighbour threads).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "turn_record.h"

namespace det {

enum class Condition {
  AloneAgain,   // the same settings, a second fresh engine
  Neighbours1,  // 1, 3, 7 other conversations decode in the same batches
  Neighbours3,
  Neighbours7,
  PrefixShared,  // the prompt's prefix is copied from another conversation's KV
  TurnTwo,       // the request is turn two, reusing its own KV from turn one
  EvictMemory,   // ... after its KV was evicted to host memory and restored
  EvictDisk,     // ... after its KV was spilled to kv_save_dir and restored
  Batch512,      // batch_size (and ubatch_size) 512, 64, 8
  Batch64,
  Batch8,
  Threads1,  // threads 1, 2
  Threads2,
  Parallel1,  // n_parallel 1, 8
  Parallel8,
};

const std::vector<Condition>& all_conditions();
const char* condition_name(Condition c);
// Parses a name as written by condition_name(); throws on an unknown one.
Condition condition_from_name(const std::string& name);

// One request: a prompt (raw text; in the two-turn conditions, turn one's user message) and the
// request keys it is sent with (sampling, n_predict, n_probs).
struct RequestSpec {
  std::string name;
  std::string prompt;
  nlohmann::json settings;
};

// The host's backend config (init_backend_with_config) every client here opens with: llama.cpp's
// log quiet (a host setting, refused in a load's config), plus `extra`.
std::string host_config(const nlohmann::json& extra = nlohmann::json::object());

// The baseline load settings every condition starts from: ctx_size 1024, n_parallel 8,
// batch_size 512, 1 thread; with "deterministic": true when asked.
nlohmann::json baseline_settings(bool deterministic);

// The requests every condition runs: prompts of three lengths (one chosen so its last prompt
// chunk holds a single token at batch sizes 8 and 64), greedy and seeded sampling, 40 tokens,
// n_probs 3.
std::vector<RequestSpec> standard_requests(const std::string& long_prompt);

struct Outcome {
  Divergence divergence;
  bool applicable = true;  // false: the condition does not apply to this request
  std::string note;        // why not, or what the condition observed
};

class Harness {
 public:
  // `load` holds the baseline load settings (mode keys included, e.g. "deterministic").
  Harness(std::string model_path, nlohmann::json load);

  Outcome run(Condition c, const RequestSpec& request);
  // The request alone on a fresh engine with the baseline settings (not cached).
  TurnRecord alone_record(const RequestSpec& request) { return alone(load_, request); }

  // A prompt of roughly `words` words whose token count is 1 more than a multiple of 64 (found
  // by asking the engine how many tokens candidate prompts have).
  std::string prompt_with_tail_of_one(size_t words);

 private:
  TurnRecord alone(const nlohmann::json& load, const RequestSpec& r);
  const TurnRecord& baseline(const RequestSpec& r);
  TurnRecord with_neighbours(int n, const RequestSpec& r);
  Outcome prefix_shared(const RequestSpec& r);
  TurnRecord two_turns(const RequestSpec& r, const nlohmann::json& turn_two_extra, bool* reply_reused);
  const TurnRecord& turn_two_reference(const RequestSpec& r);
  const TurnRecord& turn_two_reused(const RequestSpec& r);
  TurnRecord evicted(const RequestSpec& r, bool disk);
  nlohmann::json with(const nlohmann::json& patch) const;

  std::string model_;
  nlohmann::json load_;
  std::map<std::string, TurnRecord> baseline_, turn_two_ref_, turn_two_reused_;
};

}  // namespace det
